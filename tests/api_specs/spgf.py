"""Valid, fast calls of lab.spgf's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import numpy as np

from lab import spgf as T
from lab.data import scenes

INTR = scenes.Intrinsics(width=32, height=24, fx=26.25, fy=26.25, cx=15.5, cy=11.5)
LOOSE = T.Params(max_len=100.0, num_pixels_t=10, num_line_t=2)


def _depth() -> np.ndarray:
    v, u = np.mgrid[0:24, 0:32]
    return np.where(u < 16, 1.5 + 0.01 * u, 3.0).astype(np.float32)


@lru_cache(maxsize=1)
def _gmm():
    return T.fit(_depth(), INTR, LOOSE)


def _ones():
    return np.ones(1000)


@lru_cache(maxsize=1)
def _frames():
    return scenes.render_sequence(n_frames=1, width=32, height=24, seed=0)


@lru_cache(maxsize=1)
def _rt():
    return T.rendering_table(_frames(), params=LOOSE, n_sigmas=(2.0,), bands_px=(3,), progress=False)


@lru_cache(maxsize=1)
def _df():
    return T.compare(_frames(), params=LOOSE, em_frames=1, em_max_iter=2, em_stride=2, region_growing=True,
                     progress=False)


@lru_cache(maxsize=1)
def _cv():
    return T.count_curve(_frames(), params=LOOSE, min_gau_lens=(0.5,), max_lens=(1.0,), em_components=(2,),
                         voxels_m=(0.5,), rg_min_pixels=(20,), em_max_iter=2, em_stride=2, progress=False)


SPECS = {
    "Params": lambda: dict(adaptive_thresh_scale=2.4, noise_floor=0.08, noise_thresh=0.2, line_t=0.3, occ_x_t=10,
                           ncheck_t=16, max_incomplete_clusters=2, angle_t=0.5, sparse_t=5, num_line_t=16,
                           num_pixels_t=200, max_len=1.0, min_gau_len=0.5, frame_max_scale=4.0, max_depth=10.0),
    "Params.replace": lambda: dict(self=T.Params(), noise_floor=0.1),
    "GMM": lambda: dict(means=np.array([[0.0, 0.0, 2.0]]), covariances=np.eye(3)[None] * 0.01, weights=np.ones(1),
                        support=np.array([10])),
    "RowState": lambda: dict(row=0, open_means=np.zeros((0, 3)), open_covariances=np.zeros((0, 3, 3)),
                             open_columns=np.zeros((0, 2), int), open_rows=np.zeros((0, 2), int), closed=_gmm(),
                             live_bytes=0),
    "fit": lambda: dict(depth_m=_depth(), intrinsics=INTR, params=LOOSE),
    "stream": lambda: dict(depth_m=_depth(), intrinsics=INTR, params=LOOSE, rows_per_step=8),
    "state_after_row": lambda: dict(depth_m=_depth(), intrinsics=INTR, row=5, params=LOOSE),
    "capacities": lambda: dict(width=64, params=T.Params()),
    "max_length_table": lambda: dict(intrinsics=INTR, params=T.Params()),
    "state_bytes": lambda: dict(width=64, params=T.Params()),
    "render_depth": lambda: dict(gmm=_gmm(), intrinsics=INTR, shape=(24, 32), bound=3.0, reg=1e-6),
    "depth_error": lambda: dict(depth=_depth(), gmm=_gmm(), intrinsics=INTR, bound=3.0),
    "rmse": lambda: dict(depth=_depth(), gmm=_gmm(), intrinsics=INTR, bound=3.0),
    "raycast_depth": lambda: dict(gmm=_gmm(), intrinsics=INTR, n_sigma=2.0, reg=1e-6),
    "depth_edges": lambda: dict(depth_m=_depth(), jump_m=0.1, band_px=2),
    "error_split": lambda: dict(pred_m=_depth() + 0.01, truth_m=_depth(), edges=_depth() > 2.0, mask=_depth() > 0),
    "raycast_label": lambda: dict(n_sigma=2.0),
    "rendering_table": lambda: dict(frames=_frames(), params=LOOSE, n_sigmas=(2.0,), jump_m=0.1, bands_px=(3,),
                                    progress=False),
    "rendering_summary": lambda: dict(table=_rt()),
    "rendering_rmse_claim": lambda: dict(table=_rt(), renderer=T.NEAREST, without_edges=True, paper_cm=9.0,
                                         fraction=0.5),
    "error_figure": lambda: dict(pred_m=_depth() + 0.01, truth_m=_depth(), intrinsics=INTR, edges=_depth() > 2.0,
                                 clip_cm=50.0, title="error"),
    "valid_points": lambda: dict(depth_m=_depth(), intrinsics=INTR, stride=2),
    "fit_em": lambda: dict(depth_m=_depth(), intrinsics=INTR, n_components=2, seed=0, max_iter=5, stride=2),
    "fit_ndt": lambda: dict(depth_m=_depth(), intrinsics=INTR, voxel_m=0.5, min_points=5),
    "fit_region_growing": lambda: dict(depth_m=_depth(), intrinsics=INTR, scale=2.0, sigma=0.5, min_pixels=20),
    "fit_matched": lambda: dict(depth_m=_depth(), intrinsics=INTR, method="NDT", target=2, tolerance=0.1, start=0.3,
                                max_evals=4),
    "traced": lambda: dict(fn=_ones),
    "compare": lambda: dict(frames=_frames(), params=LOOSE, em_frames=1, em_max_iter=2, em_stride=2,
                            ndt_voxel_m=0.3, seed=0, region_growing=False, rg_min_pixels=None, count_tolerance=0.1,
                            progress=False),
    "count_curve": lambda: dict(frames=_frames(), params=LOOSE, n_frames=1, min_gau_lens=(0.5,), max_lens=(1.0,),
                                em_components=(2,), voxels_m=(0.5,), rg_min_pixels=(20,), em_max_iter=2, em_stride=2,
                                seed=0, progress=False),
    "count_figure": lambda: dict(curve=_cv(), table=_df(), title="curve"),
    "summary": lambda: dict(df=_df()),
    "claim_numbers": lambda: dict(df=_df()),
    "live_state_claim": lambda: dict(df=_df(), budget_kb=43.0),
    "memory_ratio_claim": lambda: dict(df=_df()),
    "rmse_claim": lambda: dict(df=_df(), baseline="NDT"),
    "paper_rmse_ratio": lambda: dict(baseline="EM"),
    "speed_claim": lambda: dict(df=_df(), target_fps=30.0),
    "ellipsoid_mesh": lambda: dict(gmm=_gmm(), n_sigma=2.0, resolution=6),
    "view_3d": lambda: dict(depth_m=_depth(), intrinsics=INTR, gmm=_gmm(), stride=4, title="view"),
    "image_figure": lambda: dict(depth_m=_depth(), intrinsics=INTR, state=None, closed=_gmm(), title="image"),
}
SKIP = {"explorer": "widget; driven by notebook 06's explorer-check cell"}
TABLE_ACCEPTS = {"summary(df=column missing)": ("the dropped first column, 'frame', is one summary does not read (it "
                                                "averages over each method's rows)", "same")}
