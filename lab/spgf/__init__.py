"""SPGF: single-pass Gaussian fitting of depth images. Backs notebooks/06_spgf.ipynb.

Paper: P. Z. X. Li, S. Karaman, V. Sze, "Memory-efficient Gaussian fitting for depth images
in real time", ICRA 2022.

Files: `fit.py` the algorithm (a numba kernel over the scanlines), `render.py` the mixture
type, the depth re-rendered from it (nearest component, or first-surface ray casting),
depth edges and the error split at them, `baselines.py` EM, NDT, region growing (with their
counts matched to SPGF's), traced memory, the comparison table, the RMSE-against-count curve and
the table of renderers, `claims.py` the claim helpers,
`views.py` the figures and the explorer.
"""
from .baselines import (NEAREST, PAPER, claim_numbers, compare, count_curve, fit_em, fit_matched, fit_ndt,
                        fit_region_growing, raycast_label, rendering_summary, rendering_table, summary, traced,
                        valid_points)
from .claims import (live_state_claim, memory_ratio_claim, paper_rmse_ratio, rendering_rmse_claim, rmse_claim,
                     speed_claim)
from .fit import (RECORD_BYTES, TARTANAIR, Params, RowState, capacities, fit, max_length_table, state_after_row,
                  state_bytes, stream)
from .render import GMM, depth_edges, depth_error, error_split, raycast_depth, render_depth, rmse
from .views import count_figure, ellipsoid_mesh, error_figure, explorer, image_figure, view_3d

SCALES = {
    # frames: synthetic frames fitted by SPGF and NDT at width x height; em_frames: how many of
    # them EM also fits (the costly baseline), with em_max_iter iterations on every em_stride-th
    # pixel per axis; explorer_*: the explorer's own frames.
    # curve_frames: the frames of the RMSE-against-count curve (every method at a few settings);
    # corridor_frames: noise-free frames of the corridor layout, fitted by every method (EM included)
    "small": dict(frames=3, em_frames=3, em_max_iter=30, em_stride=5, width=640, height=480, curve_frames=1,
                  corridor_frames=1, explorer_frames=3, explorer_width=320, explorer_height=240),
    # paper: EM on every 2nd pixel per axis (75k points; one frame converged in 21 iterations, 24 s CPU here);
    # every pixel has 4x the points, about 100 s CPU per frame, which would take the preset past 10 minutes
    "paper": dict(frames=10, em_frames=5, em_max_iter=100, em_stride=2, width=640, height=480, curve_frames=3,
                  corridor_frames=3, explorer_frames=10, explorer_width=640, explorer_height=480),
}

__all__ = [
    "SCALES", "PAPER", "RECORD_BYTES", "TARTANAIR",
    "Params", "GMM", "RowState", "fit", "stream", "state_after_row", "capacities", "state_bytes", "max_length_table",
    "render_depth", "depth_error", "rmse", "raycast_depth", "depth_edges", "error_split",
    "valid_points", "fit_em", "fit_ndt", "fit_region_growing", "fit_matched", "traced", "compare", "summary",
    "claim_numbers", "count_curve",
    "NEAREST", "raycast_label", "rendering_table", "rendering_summary",
    "live_state_claim", "memory_ratio_claim", "rmse_claim", "paper_rmse_ratio", "speed_claim", "rendering_rmse_claim",
    "ellipsoid_mesh", "view_3d", "image_figure", "error_figure", "count_figure", "explorer",
]
