"""Figures and the explorer of notebook 02."""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.core import viz3d
from lab.core.checks import check_array, check_int, check_number, check_type
from lab.core.plotting import COLORS, label, label_axes
from lab.core.widgets import Explorer, figure_widget, int_slider, memo, readout_table, slider

from .evaluate import METHODS, check_df, summary
from .projector import measure, sinogram
from .recon import SHAPE, ber, mle, npcc, refine
from .train import Prior, generate


def voxel_geometry(x, threshold: float = 0.5):
    """The voxels of an (8, 16, 16) volume above `threshold` as an Open3D point cloud
    (x, y, z in voxel units), coloured by layer."""
    x = check_array("x", x, shape=SHAPE)
    threshold = check_number("threshold", threshold, lo=0.0, hi=10.0)
    o3d = viz3d.open3d()
    if o3d is None:
        raise RuntimeError(f"Open3D does not import here: {viz3d.import_error()}")
    z, yy, xx = np.nonzero(x > threshold)
    pts = np.stack([xx, yy, z], 1).astype(np.float64) if len(z) else np.zeros((1, 3))
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
    t = (pts[:, 2] / max(SHAPE[0] - 1, 1))[:, None]
    pc.colors = o3d.utility.Vector3dVector(np.clip((1 - t) * np.array([0.85, 0.45, 0.1]) + t * np.array([0.1, 0.35, 0.8]), 0, 1))
    box = o3d.geometry.AxisAlignedBoundingBox(np.array([-0.5, -0.5, -0.5]),
                                              np.array([SHAPE[2] - 0.5, SHAPE[1] - 0.5, SHAPE[0] - 0.5]))
    return [pc, box]


def object_view(x, title: str = "CircuitFaker object"):
    """Open3D offscreen render (where it works) beside a rotatable plotly view of an object."""
    check_type("title", title, str)
    return viz3d.view(voxel_geometry(x), title=title, marker_size=4.0)


def _heat(z, colorscale="Greys", zmin=0.0, zmax=1.0, show=False):
    return go.Heatmap(z=z, colorscale=colorscale, zmin=zmin, zmax=zmax, showscale=show, reversescale=True)


def sinogram_figure(x, n_angles: int, photons: float, seed: int, layer: int = 0) -> go.Figure:
    """Photon counts and line integrals of one layer of an object, as the detector sees them."""
    x = check_array("x", x, shape=SHAPE)
    layer = check_int("layer", layer, lo=0, hi=SHAPE[0] - 1)
    y = measure(x, n_angles, photons, seed)
    counts = y.reshape(SHAPE[0], n_angles, -1)[layer]
    p = sinogram(y, photons, n_angles, SHAPE)[layer].T
    fig = make_subplots(1, 2, subplot_titles=(f"counts (I₀ = {photons:g} per ray)", "−log(y / I₀) / μ"))
    fig.add_trace(go.Heatmap(z=counts, colorscale="Viridis", colorbar=dict(x=0.45, title="photons")), 1, 1)
    fig.add_trace(go.Heatmap(z=p, colorscale="Viridis", colorbar=dict(title="voxels")), 1, 2)
    fig.update_layout(height=300, title=f"layer {layer}, {n_angles} angles")
    return label_axes(fig, xaxis=label("detector bin", "bin"), yaxis=label("angle index", "1"),
                      xaxis2=label("detector bin", "bin"), yaxis2=label("angle index", "1"))


def slices_figure(truth, recs: dict, layer: int = 0) -> go.Figure:
    """One layer of the truth and of each reconstruction (name -> (8, 16, 16)), with BER in the titles."""
    t = check_array("truth", truth, shape=SHAPE)
    check_type("recs", recs, dict)
    if not recs or len(recs) > 8:
        raise ValueError(f"recs must map 1 to 8 method names to volumes; got {len(recs)}")
    recs = {str(k): check_array(f"recs[{k!r}]", v, shape=SHAPE) for k, v in recs.items()}
    layer = check_int("layer", layer, lo=0, hi=SHAPE[0] - 1)
    names = ["truth", *recs]
    titles = ["truth"] + [f"{k} (BER {ber(v, t):.3f})" for k, v in recs.items()]
    fig = make_subplots(1, len(names), subplot_titles=titles, horizontal_spacing=0.045)
    for i, name in enumerate(names):
        fig.add_trace(_heat((t if name == "truth" else recs[name])[layer]), 1, i + 1)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{i + 1 if i else ''}", row=1, col=i + 1)
    fig.update_layout(height=260, margin=dict(l=40, r=10, t=50, b=40))
    axes = {f"{a}axis{i + 1 if i else ''}": label(a, "voxel") for i in range(len(names)) for a in "xy"}
    return label_axes(fig, **axes)


def figure2(df, base_angles: int, base_photons: float, title: str = "Figure 2 rebuilt") -> go.Figure:
    """BER (mean ± std over test objects) against photons per ray (at `base_angles`) and
    against the number of angles (at `base_photons`), one line per method."""
    s = summary(check_df(df))
    base_angles = check_int("base_angles", base_angles, lo=1, hi=180)
    base_photons = check_number("base_photons", base_photons, lo=0.0, hi=1e9, lo_open=True)
    check_type("title", title, str)
    fig = make_subplots(1, 2, subplot_titles=(f"{base_angles} angles", f"{base_photons:g} photons per ray"))
    for i, m in enumerate([m for m in METHODS if m in set(s.method)]):
        for col, sub, xcol in ((1, s[(s.n_angles == base_angles) & (s.method == m)], "photons"),
                               (2, s[(s.photons == base_photons) & (s.method == m)], "n_angles")):
            sub = sub.sort_values(xcol)
            fig.add_trace(go.Scatter(x=sub[xcol], y=sub["mean"], error_y=dict(type="data", array=sub["std"]),
                                     mode="lines+markers", name=m, legendgroup=m, showlegend=col == 1,
                                     line=dict(color=COLORS[i % len(COLORS)])), 1, col)
    fig.update_xaxes(type="log", row=1, col=1)
    fig.update_xaxes(type="log", row=1, col=2)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_layout(height=400, title=title)
    return label_axes(fig, xaxis=label("photons per ray I₀", "photons"), yaxis=label("bit error rate", "1"),
                      xaxis2=label("number of angles", "angles"), yaxis2=label("bit error rate", "1"))


def explorer(truth, prior: Prior, n_angles: int = 4, photons: float = 30.0, seed: int = 0) -> Explorer:
    """Number of angles, photons per ray and the prior's weight λ against slices of the truth,
    MLE, PGAN (G on the MLE) and PGAN+NLL of one object (8, 16, 16), with their BER. The MLE and
    G's output are kept per (angles, photons) and PGAN+NLL per λ too (lab.core.widgets.memo), so moving λ
    only re-solves PGAN+NLL (a fraction of a second), the layer only redraws, and a setting seen before is
    instant."""
    t = check_array("truth", truth, shape=SHAPE, lo=0.0, hi=10.0)
    check_type("prior", prior, Prior)
    n_angles = check_int("n_angles", n_angles, lo=1, hi=32)
    photons = check_number("photons", photons, lo=1.0, hi=1e4)
    seed = check_int("seed", seed, lo=0, hi=2**31)
    c_ang = int_slider("angles", n_angles, 1, 32)
    c_ph = slider("photons per ray", photons, 0, 4, 0.25, unit="photons", log=True, readout_format=".3g")
    c_w = slider("prior weight λ", prior.weight, -2, 4, 0.25, unit="photons", log=True, readout_format=".3g")
    c_layer = int_slider("layer z", 0, 0, SHAPE[0] - 1)
    names = ("truth", "MLE", "PGAN", "PGAN+NLL")
    base = make_subplots(1, 4, subplot_titles=names, horizontal_spacing=0.03)
    for i in range(4):
        base.add_trace(_heat(np.zeros(SHAPE[1:])), 1, i + 1)
        base.update_yaxes(autorange="reversed", row=1, col=i + 1)
    base.update_layout(height=280, margin=dict(l=40, r=10, t=50, b=40))
    label_axes(base, **{f"xaxis{i + 1 if i else ''}": label("x", "voxel") for i in range(4)},
               **{f"yaxis{i + 1 if i else ''}": label("y", "voxel") for i in range(4)})
    fig = figure_widget(base)
    readout = W.HTML()

    @memo(maxsize=8)
    def front(na: int, ph: float):        # the measurement, its MLE and G's output on it
        y = measure(t, na, ph, seed)
        m = mle(y, na, ph)
        return y, m, generate(prior.generator, m)

    @memo(maxsize=64)
    def refined(na: int, ph: float, w: float):
        y, _, g = front(na, ph)
        return refine(y, na, ph, g, w)

    def update() -> None:
        na, ph, w = int(c_ang.value), float(c_ph.value), float(c_w.value)
        if not front.holds(na, ph):
            ex.busy(f"measuring {na} angles at {ph:.3g} photons/ray, MLE and G")
        elif not refined.holds(na, ph, w):
            ex.busy("solving PGAN+NLL")
        y, m, g = front(na, ph)
        p = refined(na, ph, w)
        z = int(c_layer.value)
        for i, v in enumerate((t, m, g, p)):
            fig.data[i].z = v[z]
        bers = [ber(v, t) for v in (m, g, p)]
        fig.layout.annotations[0].text = "truth"
        for i, (n, b) in enumerate(zip(names[1:], bers)):
            fig.layout.annotations[i + 1].text = f"{n} (BER {b:.3f})"
        readout.value = readout_table({
            "BER MLE / PGAN / PGAN+NLL": " / ".join(f"{b:.4f}" for b in bers),
            "NPCC MLE / PGAN / PGAN+NLL": f"{npcc(m, t):.3f} / {npcc(g, t):.3f} / {npcc(p, t):.3f}",
            "PGAN / MLE BER ratio": f"{bers[1] / bers[0]:.2f}" if bers[0] > 0 else "MLE is exact",
            "measurements / unknowns": f"{y.size} / {t.size}"})

    ex = Explorer({"n_angles": c_ang, "photons": c_ph, "weight": c_w, "layer": c_layer}, [fig], update, readout,
                  recompute=("n_angles", "photons", "weight"), title="PGAN against MLE", presets={"limited": {"n_angles": 2, "photons": 10.0},
                                                     "generous": {"n_angles": 16, "photons": 1000.0}})
    ex.refresh()
    return ex
