"""SPGF against its baselines, and the explorer "watch SPGF fit depth frames".

Part of notebooks/06_spgf.ipynb (the algorithm itself is in lab/spgf.py). Paper:
P. Z. X. Li, S. Karaman, V. Sze, "Memory-efficient Gaussian fitting for depth images
in real time", ICRA 2022.

Baselines, through libraries:
* EM: scikit-learn's `GaussianMixture` (full covariances) on the back-projected points,
  with as many components as SPGF found on the same frame (standing in for the
  paper's hierarchical EM). EM must hold every point and an N×K responsibility matrix.
* NDT: a Gaussian per occupied voxel (normal-distributions-transform style), from
  per-voxel sums over all back-projected points.

Memory is measured the same way for every method: the peak of Python's traced
allocations (`tracemalloc`, which numpy reports to) while fitting one depth image,
from the depth image to the mixture. For SPGF this is its fixed-size state plus
the output mixture; `GMM.stats["state_bytes"]` is the state alone (the paper's
"memory overhead"). Speed is CPU time per frame on one thread.
"""
from __future__ import annotations

import time
import tracemalloc
from typing import Callable

import numpy as np
import pandas as pd

from . import scenes
from .core.checks import check_int, check_number, check_type
from .spgf import GMM, Params, depth_error, fit, state_after_row

PAPER = {  # the paper's table (ARM Cortex-A57, TUM RGB-D at 640x480)
    "SPGF": dict(rmse_cm=9, memory="43 KB", fps=32),
    "hierarchical EM": dict(rmse_cm=13, memory="6 MB", fps=0.0007),
    "NDT": dict(rmse_cm=15, memory="3.5 MB", fps=6.31),
    "region growing": dict(rmse_cm=11, memory="0.49 MB", fps=0.49),
}


def valid_points(depth_m: np.ndarray, intrinsics: scenes.Intrinsics, stride: int = 1) -> np.ndarray:
    """Camera-frame points [N,3] (m, float64) of the measured pixels, every `stride`-th row and column."""
    stride = check_int("stride", stride, lo=1, hi=64)
    p = scenes.backproject(np.nan_to_num(depth_m), intrinsics)[::stride, ::stride].reshape(-1, 3)
    return p[p[:, 2] > 0].astype(np.float64)


def fit_em(depth_m: np.ndarray, intrinsics: scenes.Intrinsics, n_components: int, seed: int = 0,
           max_iter: int = 100, stride: int = 1) -> GMM:
    """EM (scikit-learn GaussianMixture, full covariances, k-means++ start) on the
    back-projected points of one depth image (every `stride`-th pixel per axis).
    stats: seconds, n_iter, converged, points, and `bytes_points_resp`, the bytes of
    the points and the N×K responsibilities that EM must hold (float64)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture
    import warnings

    n_components = check_int("n_components", n_components, lo=1, hi=10_000)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    max_iter = check_int("max_iter", max_iter, lo=1, hi=10_000)
    t0 = time.process_time()
    pts = valid_points(depth_m, intrinsics, stride)
    if len(pts) < n_components:
        raise ValueError(f"n_components must be <= the number of measured points ({len(pts)}); got {n_components}")
    em = GaussianMixture(n_components, covariance_type="full", max_iter=max_iter, reg_covar=1e-6,
                         init_params="k-means++", random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        em.fit(pts)
    sec = time.process_time() - t0
    n = len(pts)
    support = np.bincount(em.predict(pts), minlength=n_components)
    return GMM(means=em.means_.copy(), covariances=em.covariances_.copy(), weights=em.weights_.copy(),
               support=support, stats=dict(seconds=sec, n_iter=int(em.n_iter_), converged=bool(em.converged_),
                                           points=n, bytes_points_resp=int(n * 3 * 8 + n * n_components * 8)))


def fit_ndt(depth_m: np.ndarray, intrinsics: scenes.Intrinsics, voxel_m: float = 0.3, min_points: int = 10) -> GMM:
    """NDT-style fit: one Gaussian per voxel of side `voxel_m` (m) holding at least
    `min_points` back-projected points. stats: seconds, voxels, points."""
    voxel_m = check_number("voxel_m", voxel_m, lo=0.0, lo_open=True, hi=100.0)
    min_points = check_int("min_points", min_points, lo=2, hi=1_000_000)
    t0 = time.process_time()
    pts = valid_points(depth_m, intrinsics)
    ijk = np.floor(pts / voxel_m).astype(np.int64)
    ijk -= ijk.min(0)
    dims = ijk.max(0) + 1
    keys = (ijk[:, 0] * dims[1] + ijk[:, 1]) * dims[2] + ijk[:, 2]     # one integer per voxel
    _, inv, counts = np.unique(keys, return_inverse=True, return_counts=True)
    K = len(counts)
    s = np.stack([np.bincount(inv, pts[:, i], K) for i in range(3)], 1)
    j = np.stack([np.bincount(inv, pts[:, a] * pts[:, b], K) for a in range(3) for b in range(3)], 1).reshape(K, 3, 3)
    keep = counts >= min_points
    n = counts[keep].astype(np.float64)
    mu = s[keep] / n[:, None]
    cov = j[keep] / n[:, None, None] - mu[:, :, None] * mu[:, None, :]
    sec = time.process_time() - t0
    return GMM(means=mu, covariances=cov, weights=n / n.sum(), support=counts[keep].astype(np.int64),
               stats=dict(seconds=sec, voxels=int(K), points=len(pts)))


def traced(fn: Callable, *args, **kwargs):
    """Run fn(*args, **kwargs) under tracemalloc: (result, peak traced bytes)."""
    if not callable(fn):
        raise TypeError("fn must be callable")
    was = tracemalloc.is_tracing()
    if not was:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        out = fn(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        if not was:
            tracemalloc.stop()
    return out, int(peak)


def _spgf_timed(depth, intr, params):
    t0 = time.process_time()
    g = fit(depth, intr, params)
    g.stats["seconds"] = time.process_time() - t0
    return g


def compare(frames: scenes.Frames, params: Params = Params(), em_frames: int = 3, em_max_iter: int = 100,
            em_stride: int = 1, ndt_voxel_m: float = 0.3, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """Fit every frame's noisy depth with SPGF and NDT, and the first `em_frames` with EM
    (same component count as SPGF). One row per (frame, method): gaussians, rmse_cm (against
    the fitted depth image), rmse_true_cm (against the true depth), coverage, peak_bytes
    (traced), state_bytes (SPGF's counted state; NaN for the baselines), cpu_s, fps."""
    from tqdm.auto import tqdm

    check_type("frames", frames, scenes.Frames)
    check_type("params", params, Params)
    em_frames = check_int("em_frames", em_frames, lo=0, hi=len(frames))
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    intr = frames.intrinsics
    rows = []
    fit(np.zeros(intr.shape, np.float32), intr, params)   # compile outside the measurement
    for i in tqdm(range(len(frames)), desc="fitting frames", disable=not progress):
        d, dt = frames.depth_noisy[i], frames.depth[i]
        runs = [("SPGF", lambda: _spgf_timed(d, intr, params))]
        runs.append(("NDT", lambda: fit_ndt(d, intr, ndt_voxel_m)))
        for name, fn in runs:
            g, peak = traced(fn)
            rows.append(_row(i, name, g, peak, d, dt, intr))
            if name == "SPGF" and i < em_frames:
                k = len(g)
                ge, pe = traced(fit_em, d, intr, k, seed + i, em_max_iter, em_stride)
                rows.append(_row(i, "EM", ge, pe, d, dt, intr))
    return pd.DataFrame(rows)


def _row(i, name, g, peak, d, dt, intr):
    e = depth_error(d, g, intr)
    et = depth_error(dt, g, intr)
    sec = g.stats["seconds"]
    return dict(frame=i, method=name, gaussians=len(g), rmse_cm=100 * e["rmse"], rmse_true_cm=100 * et["rmse"],
                coverage=e["coverage"], peak_bytes=peak, state_bytes=g.stats.get("state_bytes", np.nan),
                state_peak_bytes=g.stats.get("state_bytes_peak", np.nan),
                cpu_s=sec, fps=1.0 / sec if sec > 0 else np.inf)


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per method: mean ± std over frames of RMSE, memory and fps, beside the paper's numbers."""
    check_type("df", df, pd.DataFrame)
    out = []
    for name in ("SPGF", "EM", "NDT"):
        s = df[df.method == name]
        if not len(s):
            continue
        pk = PAPER["hierarchical EM" if name == "EM" else name]
        out.append({
            "method": name, "frames": len(s),
            "RMSE [cm] (paper)": pk["rmse_cm"], "RMSE [cm]": f"{s.rmse_cm.mean():.1f} ± {s.rmse_cm.std(ddof=0):.1f}",
            "RMSE vs truth [cm]": f"{s.rmse_true_cm.mean():.1f}", "coverage": f"{s.coverage.mean():.3f}",
            "memory (paper)": pk["memory"], "peak traced [KB]": f"{s.peak_bytes.mean() / 1e3:,.1f}",
            "state [KB]": f"{s.state_bytes.mean() / 1e3:.1f}" if name == "SPGF" else "–",
            "fps (paper, A57)": pk["fps"], "fps (ours, 1 core)": f"{s.fps.median():.3g}",
            "Gaussians": f"{s.gaussians.mean():.0f}",
        })
    return pd.DataFrame(out).set_index("method")


def claim_numbers(df: pd.DataFrame) -> dict:
    """The numbers the notebook's claims check, from a `compare` table: SPGF's state bytes
    (max over frames) and peak live bytes, the traced-memory ratios EM/SPGF and NDT/SPGF
    (means over frames), RMSE mean and std (cm) of SPGF and EM on the frames EM fitted,
    and SPGF's median fps."""
    check_type("df", df, pd.DataFrame)
    sp, em, nd = (df[df.method == m] for m in ("SPGF", "EM", "NDT"))
    if not len(sp) or not len(em) or not len(nd):
        raise ValueError("df must hold SPGF, EM and NDT rows (from compare with em_frames >= 1)")
    sp_em = sp[sp.frame.isin(em.frame)]
    return dict(
        state_bytes=int(sp.state_bytes.max()), state_peak_bytes=int(sp.state_peak_bytes.max()),
        em_over_spgf=float(em.peak_bytes.mean() / sp.peak_bytes.mean()),
        ndt_over_spgf=float(nd.peak_bytes.mean() / sp.peak_bytes.mean()),
        spgf_peak_bytes=float(sp.peak_bytes.mean()),
        spgf_rmse_cm=float(sp_em.rmse_cm.mean()), spgf_rmse_std=float(sp_em.rmse_cm.std(ddof=0)),
        em_rmse_cm=float(em.rmse_cm.mean()), em_rmse_std=float(em.rmse_cm.std(ddof=0)),
        em_frames=int(len(em)), gaussians=float(sp_em.gaussians.mean()),
        spgf_fps=float(sp.fps.median()),
    )


# --------------------------------------------------------------------------- drawing
def _ellipses_2d(means, covs, intr, n_sigma=2.0, n_pts=24):
    """Image-plane outlines (u, v lists with None breaks) of the projected n-sigma ellipses."""
    xs, ys = [], []
    t = np.linspace(0, 2 * np.pi, n_pts)
    circle = np.stack([np.cos(t), np.sin(t)])
    for m, c in zip(means, covs):
        x, y, z = m
        if z <= 0.05:
            continue
        J = np.array([[intr.fx / z, 0, -intr.fx * x / z ** 2], [0, intr.fy / z, -intr.fy * y / z ** 2]])
        lam, vec = np.linalg.eigh(J @ c @ J.T)
        pts = (vec * (n_sigma * np.sqrt(np.maximum(lam, 0)))) @ circle
        pts += np.array([[intr.fx * x / z + intr.cx], [intr.fy * y / z + intr.cy]])
        xs += list(pts[0]) + [None]
        ys += list(pts[1]) + [None]
    return xs, ys


def ellipsoid_mesh(gmm: GMM, n_sigma: float = 2.0, resolution: int = 6):
    """One Open3D TriangleMesh of every component's n-sigma ellipsoid, shown in a
    z-up view (x, z, −y of the camera frame), each component in its own colour."""
    from .core import viz3d

    check_type("gmm", gmm, GMM)
    n_sigma = check_number("n_sigma", n_sigma, lo=0.0, lo_open=True, hi=10.0)
    o3d = viz3d.open3d()
    unit = o3d.geometry.TriangleMesh.create_sphere(1.0, resolution=check_int("resolution", resolution, lo=3, hi=40))
    uv, ut = np.asarray(unit.vertices), np.asarray(unit.triangles)
    V, T, C = [], [], []
    rng = np.random.default_rng(0)
    for k, (m, c) in enumerate(zip(gmm.means, gmm.covariances)):
        lam, vec = np.linalg.eigh(c)
        v = m + (uv * (n_sigma * np.sqrt(np.maximum(lam, 0)))) @ vec.T
        V.append(v[:, [0, 2, 1]] * [1, 1, -1])
        T.append(ut + k * len(uv))
        C.append(np.tile(0.35 + 0.6 * rng.random(3), (len(uv), 1)))
    mesh = o3d.geometry.TriangleMesh()
    if V:
        mesh.vertices = o3d.utility.Vector3dVector(np.concatenate(V))
        mesh.triangles = o3d.utility.Vector3iVector(np.concatenate(T).astype(np.int32))
        mesh.vertex_colors = o3d.utility.Vector3dVector(np.concatenate(C))
    return mesh


def view_3d(depth_m, intrinsics, gmm: GMM, stride: int = 4, title: str = ""):
    """A plotly figure (via lab.core.viz3d) of the depth frame's point cloud with the
    mixture's 2-sigma ellipsoids, in a z-up view of the camera frame (metres)."""
    from .core import viz3d

    o3d = viz3d.open3d()
    p = valid_points(depth_m, intrinsics, stride)
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(p[:, [0, 2, 1]] * [1, 1, -1]))
    pc.paint_uniform_color([0.45, 0.45, 0.5])
    geoms = [pc] + ([ellipsoid_mesh(gmm)] if len(gmm) else [])
    fig = viz3d.to_plotly(geoms, title=title or None, marker_size=1.2, height=420)
    for tr in fig.data:
        if tr.type == "mesh3d":
            tr.opacity = 0.55
    fig.update_layout(scene=dict(xaxis_title="x (right) [m]", yaxis_title="z (depth) [m]", zaxis_title="−y (up) [m]"))
    return fig


def image_figure(depth_m, intrinsics, state=None, closed: GMM | None = None, title: str = ""):
    """A plotly figure of a depth image [H,W] (m) with SPGF's open clusters (orange),
    closed Gaussians (blue, 2-sigma ellipses) and the current scanline."""
    import plotly.graph_objects as go

    from .core import plotting

    fig = plotting.figure(plotting.label("u", "px"), plotting.label("v", "px"), title=title or None, height=420)
    _draw_image(fig, depth_m, intrinsics, state, closed)
    return fig


def _draw_image(fig, depth_m, intr, state, closed):
    import plotly.graph_objects as go

    H, W = intr.shape
    fig.add_trace(go.Heatmap(z=np.where(depth_m > 0, depth_m, np.nan), colorscale="Viridis",
                             colorbar=dict(title="depth [m]"), hoverinfo="skip"))
    g = closed if closed is not None else (state.closed if state is not None else None)
    if g is not None:
        x, y = _ellipses_2d(g.means, g.covariances, intr)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color="#1f77b4", width=1.5), name="closed Gaussians"))
    if state is not None:
        x, y = _ellipses_2d(state.open_means, state.open_covariances, intr)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color="#ff7f0e", width=2), name="open clusters"))
        fig.add_trace(go.Scatter(x=[0, W - 1], y=[state.row, state.row], mode="lines",
                                 line=dict(color="red", dash="dot"), name=f"scanline v={state.row}"))
    fig.update_xaxes(range=[0, W - 1], constrain="domain")
    fig.update_yaxes(range=[H - 1, 0], scaleanchor="x")
    fig.update_layout(legend=dict(orientation="h", y=-0.15))


# --------------------------------------------------------------------------- explorer
def explorer(frames: scenes.Frames | None = None, params: Params = Params(), n_frames: int = 4,
             width: int = 320, height: int = 240, seed: int = 0):
    """Watch SPGF fit depth frames: pick a frame and a scanline to see the open clusters
    (orange) and closed Gaussians (blue) over the depth image, and the Gaussians as
    ellipsoids over the point cloud; threshold sliders re-fit the frame and update
    RMSE, Gaussian count, state bytes and frame time."""
    import plotly.graph_objects as go

    from .core import plotting, widgets

    check_type("params", params, Params)
    if frames is None:
        frames = scenes.render_sequence(n_frames=n_frames, width=width, height=height, seed=seed)
    check_type("frames", frames, scenes.Frames)
    intr = frames.intrinsics
    H = intr.height
    controls = {
        "frame": widgets.int_slider("frame", 0, 0, len(frames) - 1),
        "row": widgets.int_slider("scanline row v [px]", H // 2, 0, H - 1),
        "adaptive_thresh_scale": widgets.slider("threshold scale", params.adaptive_thresh_scale, 0.2, 6.0, 0.1),
        "noise_floor": widgets.slider("noise floor", params.noise_floor, 0.01, 0.3, 0.01, unit="m"),
        "angle_t": widgets.slider("angle |cos| min", params.angle_t, 0.0, 0.99, 0.01),
        "num_pixels_t": widgets.int_slider("min pixels / Gaussian", params.num_pixels_t, 10, 2000, 10),
        "max_len": widgets.slider("max length", params.max_len, 0.1, 4.0, 0.1, unit="m"),
    }
    fig2d = plotting.widget_figure(plotting.label("u", "px"), plotting.label("v", "px"),
                                   title="depth image, SPGF clusters so far", height=420)
    fig3d = go.FigureWidget()
    readout = None

    def update():
        c = {k: w.value for k, w in controls.items()}
        p = params.replace(adaptive_thresh_scale=float(c["adaptive_thresh_scale"]), noise_floor=float(c["noise_floor"]),
                           angle_t=float(c["angle_t"]), num_pixels_t=int(c["num_pixels_t"]), max_len=float(c["max_len"]))
        d = frames.depth_noisy[c["frame"]]
        t0 = time.process_time()
        g = fit(d, intr, p)
        ms = 1e3 * (time.process_time() - t0)
        err = depth_error(d, g, intr)
        st = state_after_row(d, intr, int(c["row"]), p)
        fig2d.data = ()
        _draw_image(fig2d, d, intr, st, None)
        new3d = view_3d(d, intr, g, stride=max(1, intr.width // 60), title="Gaussians (2σ) over the point cloud")
        fig3d.data = ()
        fig3d.add_traces(list(new3d.data))
        fig3d.update_layout(new3d.layout.to_plotly_json())
        ex.readout.value = widgets.readout_table({
            "RMSE (re-rendered vs input depth)": f"{100 * err['rmse']:.1f} cm (coverage {err['coverage']:.1%})",
            "Gaussians": f"{len(g)} ({g.stats['clusters_pruned']} small clusters pruned)",
            "state bytes (fixed arrays / peak live)": f"{g.stats['state_bytes']:,} B / {g.stats['state_bytes_peak']:,} B",
            "open clusters at this row": f"{len(st.open_means)} ({st.live_bytes:,} B)",
            "frame time (CPU, incl. Python call)": f"{ms:.1f} ms",
        })

    presets = {
        "paper defaults (TUM)": dict(adaptive_thresh_scale=2.4, noise_floor=0.08, angle_t=0.5, num_pixels_t=200, max_len=1.0),
        "fine": dict(adaptive_thresh_scale=1.2, noise_floor=0.04, angle_t=0.8, num_pixels_t=60, max_len=0.5),
        "coarse": dict(adaptive_thresh_scale=4.0, noise_floor=0.15, angle_t=0.3, num_pixels_t=600, max_len=3.0),
    }
    ex = widgets.Explorer(controls=controls, figures=[fig2d, fig3d], update=update, title="Watch SPGF fit depth frames",
                          presets=presets)
    ex.frames = frames
    # a play button that walks the scanline down the frame (linked in Python, so it also works in handouts' kernels)
    import ipywidgets as W

    play = W.Play(value=controls["row"].value, min=0, max=H - 1, step=max(1, H // 24), interval=700,
                  description="play rows")
    W.link((play, "value"), (controls["row"], "value"))
    ex.play = play
    ex.children[0].children = (*ex.children[0].children, W.HBox([W.HTML("watch the scanline advance "), play]))
    update()
    return ex
