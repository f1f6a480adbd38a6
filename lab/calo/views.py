"""Figures and the explorer of lab.calo (notebooks/09_calo.ipynb), "view point-cloud clusters in Open3D":
calorimeter hits as Open3D point clouds coloured by cluster, with Open3D bounding
boxes per cluster, rendered offscreen by Open3D (orbit sliders) and as a rotatable
plotly view with hits sized by energy, beside a per-cluster energy table.
(Calorimetry clustering with SPVCNN, Z. Liu, X. Yang, S. Han et al., MTL 2022.)
"""
from __future__ import annotations

import html
import io
from typing import Sequence

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from ..core import viz3d
from ..core.checks import check_array, check_bool, check_int, check_number, check_type
from ..core.widgets import Explorer, dropdown, figure_widget, int_slider, memo, slider
from .events import NOISE, Event, check_events, cluster_embeddings, panoptic_quality


def cluster_colors(labels) -> np.ndarray:
    """RGB colours in [0, 1], [N,3], one per cluster id; noise (-1) is light grey."""
    lab = check_array("labels", labels, ndim=1, dtype_kind="iu", lo=-1, min_size=0)
    palette = np.array([[31, 119, 180], [214, 39, 40], [44, 160, 44], [148, 103, 189], [255, 127, 14],
                        [23, 190, 207], [140, 86, 75], [227, 119, 194], [188, 189, 34], [0, 0, 128]]) / 255.0
    cols = palette[np.mod(lab, len(palette))]
    cols[lab < 0] = 0.8
    return cols


def cluster_table(event: Event, labels) -> list[dict]:
    """Per-cluster rows (cluster, hits, energy [GeV], centroid z [cm], matched truth
    particle and its true energy) for the labels [N] of one event."""
    check_type("event", event, Event)
    lab = check_array("labels", labels, shape=(event.n_hits,), dtype_kind="iu", lo=-1)
    rows = []
    for c in np.unique(lab):
        m = lab == c
        if c < 0:
            rows.append(dict(cluster="noise", hits=int(m.sum()), energy_gev=float(event.energy[m].sum()),
                             z_cm=float("nan"), truth="", truth_energy_gev=float("nan")))
            continue
        tid, cnt = np.unique(event.cluster[m], return_counts=True)
        best = int(tid[np.argmax(cnt)])
        rows.append(dict(cluster=int(c), hits=int(m.sum()), energy_gev=float(event.energy[m].sum()),
                         z_cm=float(np.average(event.xyz[m, 2], weights=event.energy[m])),
                         truth="noise" if best < 0 else f"{best} ({event.kinds[best]})",
                         truth_energy_gev=float("nan") if best < 0 else float(event.energy[event.cluster == best].sum())))
    return rows


def event_geometries(event: Event, labels, boxes: bool = True) -> list:
    """Open3D geometries of one event: the hits as a point cloud coloured by cluster id
    (labels [N], -1 = noise in grey) and an axis-aligned bounding box per cluster."""
    check_type("event", event, Event)
    lab = check_array("labels", labels, shape=(event.n_hits,), dtype_kind="iu", lo=-1)
    boxes = check_bool("boxes", boxes)
    o3d = viz3d.open3d()
    if o3d is None:
        raise RuntimeError(f"Open3D is not importable here: {viz3d.import_error()}")
    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(event.xyz.astype(np.float64)))
    pcd.colors = o3d.utility.Vector3dVector(cluster_colors(lab))
    geoms = [pcd]
    if boxes:
        cols = cluster_colors(np.unique(lab[lab >= 0]))
        for c, col in zip(np.unique(lab[lab >= 0]), cols):
            pts = event.xyz[lab == c]
            if len(pts) < 2:
                continue
            bb = o3d.geometry.AxisAlignedBoundingBox(pts.min(0) - 0.5, pts.max(0) + 0.5)
            bb.color = col
            geoms.append(bb)
    return geoms


def energy_marker_sizes(energy, lo: float = 2.0, hi: float = 9.0) -> np.ndarray:
    """Marker sizes [px] growing with log hit energy, between lo and hi."""
    e = check_array("energy", energy, ndim=1, lo=0.0)
    lo = check_number("lo", lo, lo=0.1, hi=100.0)
    hi = check_number("hi", hi, lo=lo, hi=100.0)
    le = np.log10(np.maximum(e, 1e-6))
    span = max(le.max() - le.min(), 1e-9)
    return lo + (hi - lo) * (le - le.min()) / span


def _num(v: float, fmt: str = ".2f") -> str:
    return "" if np.isnan(v) else format(v, fmt)


def _table_html(rows: list[dict], title: str) -> str:
    head = ("<tr><th>cluster</th><th>hits</th><th>energy [GeV]</th><th>depth z [cm]</th>"
            "<th>main truth particle</th><th>its energy [GeV]</th></tr>")
    body = "".join(
        f"<tr><td>{html.escape(str(r['cluster']))}</td><td>{r['hits']}</td><td>{_num(r['energy_gev'])}</td>"
        f"<td>{_num(r['z_cm'], '.1f')}</td><td>{html.escape(r['truth'])}</td>"
        f"<td>{_num(r['truth_energy_gev'])}</td></tr>" for r in rows)
    return f"<b>{html.escape(title)}</b><table style='font-size:12px'>{head}{body}</table>"


def _check_embeddings(embeddings, events) -> dict:
    """{model: [(emb [n_hits, D], noise_prob [n_hits]) per event]} checked against the events."""
    if embeddings is None:
        return {}
    check_type("embeddings", embeddings, dict)
    out = {}
    for name, per_event in embeddings.items():
        if not isinstance(per_event, (list, tuple)) or len(per_event) != len(events):
            raise ValueError(f"embeddings[{name!r}] must hold one (emb, noise_prob) pair per event ({len(events)})")
        pairs = []
        for ev, pair in zip(events, per_event):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise TypeError(f"embeddings[{name!r}] must hold (emb, noise_prob) pairs, as compare() returns them")
            emb = check_array("embeddings", pair[0], ndim=2, dtype_kind="f")
            if emb.shape[0] != ev.n_hits:
                raise ValueError(f"embeddings[{name!r}] must have one row per hit ({ev.n_hits}); got {emb.shape[0]}")
            pairs.append((emb, check_array("embeddings", pair[1], shape=(ev.n_hits,), dtype_kind="f", lo=0.0, hi=1.0)))
        out[name] = pairs
    return out


def explorer(events: Sequence[Event], predictions: dict | None = None, event: int = 0,
             render: bool = True, embeddings: dict | None = None) -> Explorer:
    """The explorer "view point-cloud clusters in Open3D".

    events: the events to browse; predictions: {model name: [labels per event]};
    embeddings: {model name: [(emb, noise_prob) per event]} as `compare` returns them, which
    adds the clustering knobs (clusterer, HDBSCAN's minimum cluster size, mean-shift's
    bandwidth, the noise threshold) and re-clusters a model's embeddings with them.
    Controls: the event, truth or a model's clusters, bounding boxes on/off, the
    orbit of the Open3D camera (which re-renders only the Open3D image). Shows the Open3D
    offscreen render (where the machine can render) and a rotatable plotly view of the same
    Open3D geometries, hits sized by energy, with a per-cluster energy table."""
    events = check_events("events", events)
    predictions = dict(predictions or {})
    for name, labs in predictions.items():
        if len(labs) != len(events):
            raise ValueError(f"predictions[{name!r}] must hold one label array per event ({len(events)}); "
                             f"got {len(labs)}")
    embeddings = _check_embeddings(embeddings, events)
    models = list(dict.fromkeys([*predictions, *embeddings]))
    event = check_int("event", event, lo=0, hi=len(events) - 1)
    render = check_bool("render", render) and viz3d.can_render()

    controls = {
        "event": int_slider("event", event, 0, len(events) - 1),
        "clusters": dropdown("clusters", ["truth", *models]),
        "boxes": W.Checkbox(value=True, description="bounding boxes"),
        "azimuth": slider("azimuth", -60.0, -180.0, 180.0, 15.0, "°"),
        "elevation": slider("elevation", 25.0, -85.0, 85.0, 5.0, "°"),
    }
    if embeddings:
        controls.update(clusterer=dropdown("clusterer", ["hdbscan", "meanshift"]),
                        min_cluster_size=int_slider("HDBSCAN min size", 5, 2, 40),
                        bandwidth=slider("mean-shift bandwidth", 0.35, 0.05, 1.2, 0.05),
                        noise_threshold=slider("noise threshold", 0.5, 0.05, 0.95, 0.05))
    fig = figure_widget()
    fig.update_layout(height=460, margin=dict(l=0, r=0, t=40, b=0),
                      scene=dict(aspectmode="data", xaxis_title="x [cm]", yaxis_title="y [cm]",
                                 zaxis_title="z (depth) [cm]"))
    image = W.Image(format="png", layout=W.Layout(width="480px", height="360px", min_width="480px",
                                                  object_fit="contain"))
    readout = W.HTML()

    knob_names = ("clusterer", "min_cluster_size", "bandwidth", "noise_threshold") if embeddings else ()
    @memo(maxsize=256)          # re-clustered labels per (event, model, knobs): each computed once
    def reclustered(i: int, which: str, knobs: tuple) -> np.ndarray:
        emb, prob = embeddings[which][i]
        method, mcs, bw, thr = knobs
        return cluster_embeddings(emb, prob, bandwidth=bw, noise_threshold=thr, method=method, min_cluster_size=mcs)

    def labels_now(i: int, which: str, knobs: tuple) -> np.ndarray:
        if which == "truth":
            return events[i].cluster
        if which not in embeddings:
            return np.asarray(predictions[which][i])
        return reclustered(i, which, knobs)

    shown = {"scene": None}     # the (event, clusters, boxes, knobs) the plotly view and the readout show

    def update() -> None:
        i, which = controls["event"].value, controls["clusters"].value
        if knob_names:
            # the clustering knobs act on a network's embeddings only, each on its own clusterer: greyed where
            # they change nothing (the truth, or the other clusterer's knob)
            off = which not in embeddings
            hdb = controls["clusterer"].value == "hdbscan"
            controls["clusterer"].disabled = controls["noise_threshold"].disabled = off
            controls["min_cluster_size"].disabled = off or not hdb
            controls["bandwidth"].disabled = off or hdb
        knobs = tuple(controls[k].value for k in knob_names)
        ev, lab = events[i], labels_now(i, which, knobs)
        geoms = event_geometries(ev, lab, boxes=controls["boxes"].value)
        scene = (i, which, controls["boxes"].value, knobs if which in embeddings else ())
        if scene == shown["scene"]:
            # only the camera moved: the Open3D render follows, the plotly view (rotated by hand) and the
            # cluster table stay as they are
            scene = None
        else:
            new = viz3d.to_plotly(geoms, marker_size=energy_marker_sizes(ev.energy), unit="cm")
            fig.data = []
            fig.add_traces(list(new.data))
            n_cl = len(np.unique(lab[lab >= 0]))
            fig.layout.title = f"event {i}: {which}, {n_cl} clusters, {ev.n_hits} hits (marker size ~ log energy)"
        if render:
            ext = ev.xyz.max(0) - ev.xyz.min(0)
            center = (ev.xyz.max(0) + ev.xyz.min(0)) / 2
            eye = viz3d.orbit_eye(center, 0.85 * float(np.linalg.norm(ext)), controls["azimuth"].value,
                                  controls["elevation"].value)
            tiers, sizes = _energy_tiers(geoms[0], ev.energy)
            img = viz3d.render(tiers + geoms[1:], 480, 360, eye=eye, center=center,
                               point_size=sizes + [1.0] * (len(geoms) - 1))
            if img is not None:
                from PIL import Image

                buf = io.BytesIO()
                Image.fromarray(img).save(buf, format="PNG")
                image.value = buf.getvalue()
        if scene is None:
            return
        shown["scene"] = scene
        how = ""
        if which in embeddings:
            method, mcs, bw, thr = knobs
            how = (f", {method} ({'min cluster size ' + str(mcs) if method == 'hdbscan' else f'bandwidth {bw:.2f}'}), "
                   f"noise threshold {thr:.2f}")
        text = _table_html(cluster_table(ev, lab), f"Clusters ({which}{how}) of event {i}")
        if which != "truth":
            c = panoptic_quality(ev.cluster, lab)
            ce = panoptic_quality(ev.cluster, lab, ev.energy)
            text += (f"<p>this event: PQ = {c.pq:.3f} (SQ {c.sq:.3f} x RQ {c.rq:.3f}), "
                     f"energy-weighted PQ = {ce.pq:.3f}</p>")
        readout.value = text

    presets = {"truth, side view": dict(clusters="truth", azimuth=0.0, elevation=0.0)}
    if models:
        presets[f"{models[0]}, top view"] = dict(clusters=models[0], elevation=80.0)
    if render:
        # the render keeps its size and the rotatable view wraps below it when the column is narrow
        render_box = W.VBox([W.HTML("<b>Open3D offscreen render</b>"), image],
                            layout=W.Layout(flex="0 0 auto", min_width="480px"))
        fig_box = W.VBox([fig], layout=W.Layout(flex="1 1 320px", min_width="320px"))
        body = W.HBox([render_box, fig_box], layout=W.Layout(flex_flow="row wrap", width="100%"))
    else:
        body = W.VBox([W.HTML("<i>Open3D offscreen rendering is not available here; plotly view only.</i>"), fig])
    ex = Explorer(controls, [fig], update, readout=readout, title="Calorimeter clusters in Open3D",
                  presets=presets, body=body)
    ex.image = image
    ex.refresh()
    return ex


def shower_profiles_figure(events: Sequence[Event]) -> go.Figure:
    """Mean energy per layer of EM and hadronic truth clusters (longitudinal profiles)."""
    from ..core.plotting import figure, label

    events = check_events("events", events)
    nz = int(max(e.cell[:, 2].max() for e in events)) + 1
    prof = {"em": np.zeros(nz), "had": np.zeros(nz), "noise": np.zeros(nz)}
    count = {"em": 0, "had": 0, "noise": len(events)}
    for e in events:
        for p, kind in enumerate(e.kinds):
            m = e.cluster == p
            prof[kind] += np.bincount(e.cell[m, 2], weights=e.energy[m], minlength=nz)[:nz]
            count[kind] += 1
        m = e.cluster == NOISE
        prof["noise"] += np.bincount(e.cell[m, 2], weights=e.energy[m], minlength=nz)[:nz]
    fig = figure(label("depth z (layer, 1 X0 each)", "cm"), label("mean energy per particle", "GeV"),
                 title="Longitudinal shower profiles")
    names = {"em": "electromagnetic", "had": "hadronic", "noise": "noise (per event)"}
    for kind in ("em", "had", "noise"):
        if count[kind]:
            fig.add_scatter(x=np.arange(nz) + 0.5, y=prof[kind] / count[kind], mode="lines+markers", name=names[kind])
    return fig


def comparison_figure(df, baseline_pq: float | None = None) -> go.Figure:
    """PQ and energy-weighted PQ per seed and model (bars), with the geometric baseline."""
    import pandas as pd
    from plotly.subplots import make_subplots

    check_type("df", df, pd.DataFrame)
    missing = {"seed", "model", "pq", "pq_energy"} - set(df.columns)
    if missing or not len(df):
        raise ValueError(f"df must be compare()'s non-empty table; missing columns {sorted(missing)}")
    if baseline_pq is not None:
        baseline_pq = check_number("baseline_pq", baseline_pq, lo=0.0, hi=1.0)

    from ..core.plotting import label_axes

    fig = make_subplots(rows=1, cols=2, subplot_titles=("PQ", "energy-weighted PQ"))
    for j, col in enumerate(("pq", "pq_energy")):
        for i, (model, g) in enumerate(df.groupby("model", sort=False)):
            fig.add_bar(x=[f"seed {s}" for s in g["seed"]], y=g[col], name=model, row=1, col=j + 1,
                        marker_color=("#1f77b4", "#d62728", "#2ca02c")[i % 3], showlegend=j == 0)
    if baseline_pq is not None:
        fig.add_hline(y=baseline_pq, line_dash="dot", annotation_text="DBSCAN on positions", row=1, col=1)
    fig.update_layout(height=360, barmode="group", template="lab", title="Test-set panoptic quality per seed")
    return label_axes(fig, xaxis="training seed [–]", xaxis2="training seed [–]", yaxis="PQ [–]",
                      yaxis2="energy-weighted PQ [–]")


def _energy_tiers(pcd, energy, sizes=(2.5, 4.5, 7.5)):
    """Split a hit cloud into three clouds by log-energy tercile, for the Open3D render
    (which takes one point size per geometry): small points for soft hits, large for hard."""
    le = np.log10(np.maximum(np.asarray(energy, float), 1e-6))
    edges = np.quantile(le, [1 / 3, 2 / 3])
    tier = np.digitize(le, edges)
    out, out_sizes = [], []
    for k, size in enumerate(sizes):
        idx = np.flatnonzero(tier == k)
        if len(idx):
            out.append(pcd.select_by_index(idx.tolist()))
            out_sizes.append(size)
    return out, out_sizes
