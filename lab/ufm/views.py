"""Figures and the frame-scrubber explorer of notebooks/11_ufm.ipynb (Uncertainty from
Motion, S. Sudhakar, S. Karaman, V. Sze, ICRA 2022). The computations live in `method.py`."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..core import plotting
from ..core.checks import check_str_choice, check_choice, check_int, check_type
from ..core.plotting import COLORS, label
from ..core.widgets import Explorer, dropdown, figure_widget, int_slider, readout_table
from .method import METHODS, Comparison, calibration_curve, per_frame_nll

METHOD_COLORS = dict(zip(METHODS, COLORS))


def calibration_figure(comparison: Comparison, layout: str = "ood") -> go.Figure:
    """Observed against expected coverage of the central confidence intervals, per method,
    pooled over the seeds of one layout. The diagonal is perfect calibration."""
    check_type("comparison", comparison, Comparison)
    layouts = sorted({k[0] for k in comparison.sequences})
    layout = check_str_choice("layout", layout, layouts)
    fig = plotting.figure(label("expected coverage", ""), label("observed coverage", ""),
                          title=f"Calibration, {layout} sequences")
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color="#999", dash="dot"), name="calibrated")
    for m in METHODS:
        seqs = [(fr, runs[m]) for (lay, _), (fr, runs) in comparison.sequences.items() if lay == layout]
        pred = np.concatenate([r.depth for _, r in seqs])
        var = np.concatenate([r.var for _, r in seqs])
        target = np.concatenate([fr.depth for fr, _ in seqs])
        lv, obs = calibration_curve(pred, var, target)
        fig.add_scatter(x=lv, y=obs, mode="lines+markers", name=m, line=dict(color=METHOD_COLORS[m]))
    fig.update_layout(xaxis_range=[0, 1], yaxis_range=[0, 1])
    return fig


def nll_figure(comparison: Comparison) -> go.Figure:
    """NLL per method and layout: mean over seeds with the standard deviation as error bars."""
    check_type("comparison", comparison, Comparison)
    t = comparison.table
    fig = plotting.figure(label("sequence", ""), label("NLL", "nats/pixel"),
                          title="Uncertainty quality (lower is better)")
    for m in METHODS:
        g = t[t.method == m].groupby("layout", sort=False)["nll"]
        fig.add_bar(x=list(g.mean().index), y=g.mean().to_numpy(), error_y=dict(array=g.std(ddof=0).to_numpy()),
                    name=m, marker_color=METHOD_COLORS[m])
    fig.update_layout(barmode="group")
    return fig


PANELS = ("image", "predicted depth (UfM's member)", "|error|",
          "σ aleatoric", "σ ensemble", "σ ensemble-UfM")


def explorer(comparison: Comparison, seed: int | None = None, frame: int = 0) -> Explorer:
    """The frame scrubber: for one sequence (in or out of distribution) and one frame, the
    image, ensemble-UfM's predicted depth (the current member's), its absolute error and
    the three uncertainty maps (standard deviation in m, shared colour scale); below, the
    per-frame NLL of each method, where UfM's improves as frames accumulate."""
    check_type("comparison", comparison, Comparison)
    keys = list(comparison.sequences)
    layouts = list(dict.fromkeys(k[0] for k in keys))
    seeds = sorted({k[1] for k in keys})
    seed = seeds[0] if seed is None else check_choice("seed", seed, seeds)
    n_frames = len(comparison.sequences[keys[0]][0].gray)
    frame = check_int("frame", frame, lo=0, hi=n_frames - 1)
    curves = {k: {m: per_frame_nll(r, fr) for m, r in runs.items()}
              for k, (fr, runs) in comparison.sequences.items()}
    base = make_subplots(rows=2, cols=3, subplot_titles=PANELS, horizontal_spacing=0.06, vertical_spacing=0.14)
    for i in range(6):
        base.add_heatmap(z=np.zeros((2, 2)), row=i // 3 + 1, col=i % 3 + 1, coloraxis="coloraxis2" if i >= 3 else
                         ("coloraxis" if i in (1, 2) else None), colorscale="gray" if i == 0 else None,
                         showscale=False)
    base.update_layout(coloraxis=dict(colorscale="Viridis", colorbar=dict(title="m", x=1.0, y=0.78, len=0.4)),
                       coloraxis2=dict(colorscale="Magma", colorbar=dict(title="σ [m]", x=1.0, y=0.22, len=0.4)),
                       height=520, template=plotting.TEMPLATE_NAME, margin=dict(l=50, r=20, t=40, b=40))
    base.update_yaxes(autorange="reversed", scaleanchor=None)
    # axis titles on the outer edges only: the bottom row's u, the left column's v (a u title under every map sat
    # on the subplot title of the map below it, and a v title inside the neighbouring map)
    axes = {}
    for i in range(6):
        sfx = "" if i == 0 else str(i + 1)
        if i >= 3:
            axes[f"xaxis{sfx}"] = label("u", "px")
        if i % 3 == 0:
            axes[f"yaxis{sfx}"] = label("v", "px")
    plotting.label_axes(base, **axes)
    maps = figure_widget(base)
    curve = plotting.widget_figure(label("frame", ""), label("NLL", "nats/pixel"),
                                   title="Per-frame NLL (ensemble-UfM: member i mod N at frame i)", height=300)
    for m in METHODS:
        curve.add_scatter(x=[], y=[], mode="lines+markers", name=m, line=dict(color=METHOD_COLORS[m]))
    curve.add_scatter(x=[], y=[], mode="markers", marker=dict(size=14, symbol="circle-open", color="#000"),
                      name="this frame")
    controls = {"sequence": dropdown("sequence", layouts, layouts[0]),
                "seed": dropdown("seed", seeds, seed),
                "frame": int_slider("frame", frame, 0, n_frames - 1)}
    readout = W_html()

    def update():
        key = (controls["sequence"].value, controls["seed"].value)
        i = controls["frame"].value
        fr, runs = comparison.sequences[key]
        u = runs["ensemble-UfM"]
        valid = fr.depth[i] > 0
        err = np.where(valid, np.abs(u.depth[i] - fr.depth[i]), np.nan)
        sig = [np.sqrt(runs[m].var[i]) for m in METHODS]
        zs = [fr.gray[i], u.depth[i], err, *sig]
        for k, z in enumerate(zs):
            maps.data[k].z = z
        dmax = float(max(fr.depth.max(), u.depth.max()))
        smax = float(np.nanpercentile(np.stack(sig), 99))
        maps.layout.coloraxis.cmin, maps.layout.coloraxis.cmax = 0.0, dmax
        maps.layout.coloraxis2.cmin, maps.layout.coloraxis2.cmax = 0.0, smax
        c = curves[key]
        x = np.arange(n_frames)
        for k, m in enumerate(METHODS):
            curve.data[k].x, curve.data[k].y = x, c[m]
        curve.data[-1].x = [i] * len(METHODS)
        curve.data[-1].y = [c[m][i] for m in METHODS]
        rows = {f"NLL {m}": f"{c[m][i]:.3f} nats/px" for m in METHODS}
        rows.update({f"mean σ {m}": f"{float(np.mean(s[valid])):.3f} m" for m, s in zip(METHODS, sig)})
        rows["ensemble member run"] = f"{i % comparison.n_members} of {comparison.n_members}"
        rows["UfM cloud"] = f"{int(u.points[i])} points"
        readout.value = readout_table(rows)

    ex = Explorer(controls, [maps, curve], update, readout=readout,
                  title="Frame scrubber: depth and uncertainty")
    ex.refresh()
    return ex


def W_html():
    import ipywidgets as W
    return W.HTML()
