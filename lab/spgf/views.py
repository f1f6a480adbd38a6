"""Figures and the explorer "watch SPGF fit depth frames" of notebooks/06_spgf.ipynb
(SPGF, P. Z. X. Li, S. Karaman, V. Sze, ICRA 2022): projected 2-sigma ellipses over the
depth image, ellipsoids over the point cloud (Open3D geometry via lab.core.viz3d), and
the explorer that re-fits a frame as the thresholds move.
"""
from __future__ import annotations

import time

import numpy as np

from ..core.checks import check_array, check_int, check_number, check_table, check_type
from ..data import scenes
from .baselines import CURVE_METHODS, CURVE_SETTINGS, valid_points
from .fit import Params, RowState, fit, state_after_row
from .render import GMM, check_depth, depth_error, error_split, raycast_depth


# --------------------------------------------------------------------------- drawing
def _ellipses_2d(means, covs, intr, n_sigma=2.0, n_pts=24):
    """Image-plane outlines (u, v lists with None breaks) of the projected n-sigma ellipses, computed for all
    components at once."""
    means = np.asarray(means, float).reshape(-1, 3)
    covs = np.asarray(covs, float).reshape(-1, 3, 3)
    keep = means[:, 2] > 0.05
    means, covs = means[keep], covs[keep]
    if not len(means):
        return [], []
    x, y, z = means.T
    J = np.zeros((len(means), 2, 3))
    J[:, 0, 0], J[:, 0, 2] = intr.fx / z, -intr.fx * x / z ** 2
    J[:, 1, 1], J[:, 1, 2] = intr.fy / z, -intr.fy * y / z ** 2
    lam, vec = np.linalg.eigh(J @ covs @ J.transpose(0, 2, 1))
    t = np.linspace(0, 2 * np.pi, n_pts)
    circle = np.stack([np.cos(t), np.sin(t)])                                     # [2, n_pts]
    pts = (vec * (n_sigma * np.sqrt(np.maximum(lam, 0)))[:, None, :]) @ circle    # [M, 2, n_pts]
    pts += np.stack([intr.fx * x / z + intr.cx, intr.fy * y / z + intr.cy], axis=1)[:, :, None]
    pts = np.concatenate([pts, np.full((len(means), 2, 1), np.nan)], axis=2)     # a gap after each outline
    return ([None if v != v else v for v in pts[:, 0].ravel().tolist()],
            [None if v != v else v for v in pts[:, 1].ravel().tolist()])


def ellipsoid_mesh(gmm: GMM, n_sigma: float = 2.0, resolution: int = 6):
    """One Open3D TriangleMesh of every component's n-sigma ellipsoid, shown in a
    z-up view (x, z, −y of the camera frame), each component in its own colour."""
    from ..core import viz3d

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
    from ..core import viz3d

    check_type("gmm", gmm, GMM)
    check_type("title", title, str)
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

    from ..core import plotting

    d = check_depth(depth_m, intrinsics)
    if state is not None:
        check_type("state", state, RowState)
    if closed is not None:
        check_type("closed", closed, GMM)
    check_type("title", title, str)
    fig = plotting.figure(plotting.label("u", "px"), plotting.label("v", "px"), title=title or None, height=420)
    _draw_image(fig, d, intrinsics, state, closed)
    return fig


DISPLAY_PX = 320  # heatmaps are drawn at most this many cells wide: a figure column is about 600 px


def _display_grid(H: int, W: int) -> tuple[int, np.ndarray, np.ndarray]:
    """The stride and pixel coordinates at which an [H, W] image is drawn (every pixel up to DISPLAY_PX wide,
    else every 2nd, 3rd, ...): the axes stay in image pixels, and a 640x480 frame's heatmap holds 4x fewer
    numbers, which keeps the handout page small (a full-resolution depth image is 2 MB of HTML)."""
    step = max(1, -(-max(H, W) // DISPLAY_PX))
    return step, np.arange(0, W, step), np.arange(0, H, step)


def _pooled_any(mask: np.ndarray, step: int) -> np.ndarray:
    """A boolean mask at the display stride, True where any pixel of the step x step cell is (so thin
    edges stay visible)."""
    if step == 1:
        return mask
    H, W = mask.shape
    pad = np.zeros((-(-H // step) * step, -(-W // step) * step), dtype=bool)
    pad[:H, :W] = mask
    return pad.reshape(pad.shape[0] // step, step, pad.shape[1] // step, step).any(axis=(1, 3))


def _draw_image(fig, depth_m, intr, state, closed):
    import plotly.graph_objects as go

    H, W = intr.shape
    step, xs, ys = _display_grid(H, W)
    shown = depth_m[::step, ::step]
    fig.add_trace(go.Heatmap(z=np.where(shown > 0, shown, np.nan).astype(np.float32), x=xs, y=ys, colorscale="Viridis",
                             colorbar=dict(title=dict(text="depth [m]", side="right")), hoverinfo="skip"))
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
    # the legend goes below the "u [px]" axis title, not over it
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.22), margin=dict(b=95))


def error_figure(pred_m, truth_m, intrinsics, edges=None, clip_cm: float = 50.0, title: str = ""):
    """A plotly figure of the absolute depth error |pred − truth| (cm, clipped at `clip_cm`)
    of a re-rendered image against the true depth [H,W] (m), on pixels where both have
    depth, with the depth-edge pixels `edges` [H,W] bool drawn in black."""
    import plotly.graph_objects as go

    from ..core import plotting

    check_type("intrinsics", intrinsics, scenes.Intrinsics)
    pred = check_array("pred_m", pred_m, shape=intrinsics.shape, lo=0.0)
    truth = check_array("truth_m", truth_m, shape=intrinsics.shape, lo=0.0)
    if edges is not None:
        edges = check_array("edges", edges, shape=intrinsics.shape, dtype_kind="b")
    clip_cm = check_number("clip_cm", clip_cm, lo=0.0, lo_open=True, hi=1e4)
    check_type("title", title, str)
    H, W = intrinsics.shape
    both = (pred > 0) & (truth > 0)
    # float32 on the page (0.1 mm steps at 1 m: far below a colour step) holds half the bytes of float64
    err = np.where(both, np.minimum(100 * np.abs(pred.astype(np.float64) - truth), clip_cm), np.nan).astype(np.float32)
    fig = plotting.figure(plotting.label("u", "px"), plotting.label("v", "px"), title=title or None, height=420)
    step, xs, ys = _display_grid(H, W)
    fig.add_trace(go.Heatmap(z=err[::step, ::step], x=xs, y=ys, colorscale="Magma", zmin=0, zmax=clip_cm,
                             hoverinfo="skip",
                             colorbar=dict(title=dict(text=f"|error| [cm], clipped at {clip_cm:g}", side="right"))))
    if edges is not None:
        shown = _pooled_any(edges, step)
        fig.add_trace(go.Heatmap(z=np.where(shown, 1.0, np.nan).astype(np.float32), x=xs[:shown.shape[1]],
                                 y=ys[:shown.shape[0]],
                                 colorscale=[[0, "#00e5ff"], [1, "#00e5ff"]],
                                 showscale=False, hoverinfo="skip", name="depth edges"))
    fig.update_xaxes(range=[0, W - 1], constrain="domain")
    fig.update_yaxes(range=[H - 1, 0], scaleanchor="x")
    return fig


def count_figure(curve, table=None, title: str = ""):
    """A plotly figure of depth RMSE against the number of Gaussians (log axis), one line per
    method of a `count_curve` table (means over its frames at each setting), and, where a
    `compare` table is given, each method's mean over that table's frames as a larger open
    marker (the equal-count comparison)."""
    import plotly.graph_objects as go

    from ..core import plotting

    curve = check_table("curve", curve, ("frame", "method", "setting", "gaussians", "rmse_cm"),
                        what="a count_curve() table")
    if table is not None:
        table = check_table("table", table, ("frame", "method", "gaussians", "rmse_cm"), what="a compare() table")
    check_type("title", title, str)
    fig = plotting.figure(plotting.label("Gaussians per frame", "count"), plotting.label("depth RMSE", "cm"),
                          title=title or None, height=420)
    colour = dict(zip(CURVE_METHODS, plotting.COLORS))
    for name in CURVE_METHODS:
        s = curve[curve.method == name]
        if not len(s):
            continue
        m = s.groupby("setting", sort=True)[["gaussians", "rmse_cm"]].mean()
        fig.add_trace(go.Scatter(x=m.gaussians, y=m.rmse_cm, mode="lines+markers", name=name,
                                 line=dict(color=colour[name], dash="dot" if "fixed" in name else "solid"),
                                 text=[f"{CURVE_SETTINGS[name]} = {v:g}" for v in m.index],
                                 hovertemplate="%{text}<br>%{x:.0f} Gaussians, %{y:.1f} cm<extra>" + name + "</extra>"))
    if table is not None:
        for name in ("SPGF", "EM", "NDT", "RG"):
            s = table[table.method == name]
            if len(s):
                fig.add_trace(go.Scatter(x=[s.gaussians.mean()], y=[s.rmse_cm.mean()], mode="markers",
                                         name=f"{name} at SPGF's count" if name != "SPGF" else "SPGF (defaults)",
                                         marker=dict(color=colour[name], size=14, symbol="circle-open",
                                                     line=dict(width=3))))
    fig.update_xaxes(type="log")
    return fig


# --------------------------------------------------------------------------- explorer
def explorer(frames: scenes.Frames | None = None, params: Params = Params(), n_frames: int = 4,
             width: int = 320, height: int = 240, seed: int = 0):
    """Watch SPGF fit depth frames: pick a frame and a scanline to see the open clusters
    (orange) and closed Gaussians (blue) over the depth image, and the Gaussians as
    ellipsoids over the point cloud; threshold sliders re-fit the frame and update
    RMSE, Gaussian count, state bytes and frame time."""

    from ..core import plotting, widgets

    check_type("params", params, Params)
    if frames is None:
        frames = scenes.render_sequence(n_frames=n_frames, width=width, height=height, seed=seed)
    check_type("frames", frames, scenes.Frames)
    intr = frames.intrinsics
    H = intr.height
    controls = {
        # one frame: the slider stays (greyed), its one stop is frame 0
        "frame": widgets.int_slider("frame", 0, 0, max(1, len(frames) - 1)),
        "row": widgets.int_slider("scanline row v [px]", H // 2, 0, H - 1),
        "adaptive_thresh_scale": widgets.slider("threshold scale", params.adaptive_thresh_scale, 0.2, 6.0, 0.1),
        "noise_floor": widgets.slider("noise floor", params.noise_floor, 0.01, 0.3, 0.01, unit="m"),
        "angle_t": widgets.slider("angle |cos| min", params.angle_t, 0.0, 0.99, 0.01),
        "num_pixels_t": widgets.int_slider("min pixels / Gaussian", params.num_pixels_t, 10, 2000, 10),
        # GMMap's resolution: the length bound near the camera; far away it is 4x this (frame_max_scale)
        "min_gau_len": widgets.slider("shortest max length", params.min_gau_len, 0.05, 2.0, 0.05, unit="m"),
    }
    controls["frame"].disabled = len(frames) == 1
    controls["min_gau_len"].disabled = params.max_len is not None    # a fixed length bound: no depth rule to move
    fig2d = plotting.widget_figure(plotting.label("u", "px"), plotting.label("v", "px"),
                                   title="depth image, SPGF clusters so far", height=420)
    fig3d = widgets.figure_widget()

    drawn = {"frame": None, "fit": None}

    @widgets.memo(32)    # per (frame, thresholds): a scanline move never re-fits, a revisit answers at once
    def fit_frame(frame: int, p: Params):
        d = frames.depth_noisy[frame]
        t0 = time.process_time()
        g = fit(d, intr, p)
        ms = 1e3 * (time.process_time() - t0)
        try:
            e = depth_error(d, g, intr)
            rmse_text = f"{100 * e['rmse']:.1f} cm (coverage {e['coverage']:.1%})"
            r = error_split(raycast_depth(g, intr, 2.0), d, np.zeros(d.shape, bool), d > 0)
            ray_text = f"{100 * r['rmse']:.1f} cm (coverage {r['coverage']:.1%})"
        except ValueError:          # every cluster pruned: nothing to re-render
            rmse_text = ray_text = "– (no Gaussian kept)"
        return g, ms, {
            "RMSE (nearest component vs input depth)": rmse_text,
            "RMSE (first-surface ray cast, 2σ, vs input depth)": ray_text,
            "Gaussians": f"{len(g)} ({g.stats['clusters_pruned']} small clusters pruned)",
            "state bytes (fixed arrays / peak live)": f"{g.stats['state_bytes']:,} B / {g.stats['state_bytes_peak']:,} B"}

    @widgets.memo(4 * H)    # SPGF's state after a row: a few ms (a partial pass); a replayed row answers at once
    def row_state(frame: int, p: Params, row: int) -> RowState:
        return state_after_row(frames.depth_noisy[frame], intr, row, p)

    @widgets.memo(32)    # the 3-D view of a fit: building its plotly traces takes longer than the fit itself
    def scene_3d(frame: int, p: Params):
        return view_3d(frames.depth_noisy[frame], intr, fit_frame(frame, p)[0], stride=max(1, intr.width // 60),
                       title="Gaussians (2σ) over the point cloud")

    def update():
        c = {k: w.value for k, w in controls.items()}
        p = params.replace(adaptive_thresh_scale=float(c["adaptive_thresh_scale"]), noise_floor=float(c["noise_floor"]),
                           angle_t=float(c["angle_t"]), num_pixels_t=int(c["num_pixels_t"]),
                           min_gau_len=float(c["min_gau_len"]))
        frame = min(int(c["frame"]), len(frames) - 1)
        d = frames.depth_noisy[frame]
        key = (frame, p)
        if not fit_frame.holds(frame, p):
            ex.busy("fitting the frame and ray-casting its Gaussians")
        g, ms, rows = fit_frame(frame, p)
        st = row_state(frame, p, int(c["row"]))
        if drawn["frame"] == frame and len(fig2d.data) == 4:
            # same depth image: only the overlays move (the heatmap's numbers are not sent again)
            for tr, (x, y) in zip(fig2d.data[1:3], (_ellipses_2d(st.closed.means, st.closed.covariances, intr),
                                                     _ellipses_2d(st.open_means, st.open_covariances, intr))):
                tr.x, tr.y = x, y
            fig2d.data[3].y = [st.row, st.row]
            fig2d.data[3].name = f"scanline v={st.row}"
        else:
            fig2d.data = ()
            _draw_image(fig2d, d, intr, st, None)
            drawn["frame"] = frame
        if drawn["fit"] != key:
            new3d = scene_3d(frame, p)
            fig3d.data = ()
            fig3d.add_traces(list(new3d.data))
            if drawn["fit"] is None:    # the layout is the same for every fit; the template is the figure's own
                layout = new3d.layout.to_plotly_json()
                layout.pop("template", None)
                fig3d.update_layout(layout)
            drawn["fit"] = key
        ex.readout.value = widgets.readout_table({
            **rows, "open clusters at this row": f"{len(st.open_means)} ({st.live_bytes:,} B)",
            "frame time (CPU, incl. Python call)": f"{ms:.1f} ms"})

    presets = {
        "authors' defaults (GMMap tum.json)": dict(adaptive_thresh_scale=2.4, noise_floor=0.08, angle_t=0.5,
                                                   num_pixels_t=200, min_gau_len=0.5),
        "fine": dict(adaptive_thresh_scale=1.2, noise_floor=0.04, angle_t=0.8, num_pixels_t=60, min_gau_len=0.15),
        "coarse": dict(adaptive_thresh_scale=4.0, noise_floor=0.15, angle_t=0.3, num_pixels_t=600, min_gau_len=1.5),
    }
    # a play button that walks the scanline down the frame (linked in Python, so it also works in handouts' kernels)
    import ipywidgets as W

    # a step redraws two outlines and the scanline (tens of ms in the kernel, the fit being held): 700 ms between
    # steps leaves the page time to draw each one, so steps never queue up behind one another
    play = W.Play(value=controls["row"].value, min=0, max=H - 1, step=max(1, H // 24), interval=700,
                  description="play rows")
    W.link((play, "value"), (controls["row"], "value"))
    ex = widgets.Explorer(controls=controls, figures=[fig2d, fig3d], update=update, title="Watch SPGF fit depth frames",
                          presets=presets, extra=(W.HBox([W.HTML("watch the scanline advance "), play]),),
                          recompute=[k for k in controls if k != "row"])
    ex.frames = frames
    ex.play = play
    update()
    return ex
