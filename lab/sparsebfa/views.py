"""Figures and the explorer of notebook 05 (SparseBFA)."""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..core.checks import check_array, check_choice, check_int, check_number, check_type
from ..core.plotting import COLORS, TEMPLATE_NAME, label, label_axes, widget_figure
from ..core.widgets import Explorer, int_slider, readout_table
from .experiment import Study
from .formats import FORMAT_NAMES, FORMATS, decode, encode, flip
from .model import PrunedNet
from .search import METHOD_NAMES, METHODS, Trace

_COLOR = dict(zip(METHODS, (COLORS[1], COLORS[0], COLORS[6])))


def _choice(description: str, options: list, value) -> W.Dropdown:
    """A dropdown of (label, value) pairs starting at `value`, styled like
    lab.core.widgets.dropdown (which takes plain options only)."""
    return W.Dropdown(options=options, value=value, description=description,
                      style={"description_width": "150px"}, layout=W.Layout(width="320px"))


def _mean_curve(traces: list[Trace]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and std of accuracy over traces on a common grid of counts; a greedy run that
    stopped early (it reached random guess) is held at its last value."""
    grid = np.unique(np.concatenate([t.counts for t in traces]))
    acc = np.stack([np.interp(grid, t.counts, t.acc, right=t.acc[-1]) for t in traces])
    return grid, acc.mean(0), acc.std(0)


def curves_figure(study: Study, height: int = 420) -> go.Figure:
    """Test accuracy against flipped bits, one panel per format, for SparseBFA, the value-bit
    attack and random index flips (mean ± std over networks and draws; log count axis)."""
    check_type("study", study, Study)
    height = check_int("height", height, lo=100, hi=3000)
    fmts = [f for f in FORMATS if study.select("sparsebfa", f)]
    fig = make_subplots(rows=1, cols=len(fmts), shared_yaxes=True, horizontal_spacing=0.08,
                        subplot_titles=[FORMAT_NAMES[f] for f in fmts])
    for j, fmt in enumerate(fmts, start=1):
        for m in METHODS:
            grid, mean, std = _mean_curve(study.select(m, fmt))
            keep = grid >= 1
            x, y, s = grid[keep], 100 * mean[keep], 100 * std[keep]
            fig.add_scatter(x=np.r_[x, x[::-1]], y=np.r_[y + s, (y - s)[::-1]], fill="toself", mode="none",
                            fillcolor=_COLOR[m], opacity=0.15, showlegend=False, hoverinfo="skip", row=1, col=j)
            fig.add_scatter(x=x, y=y, mode="lines+markers", marker_size=4, line_color=_COLOR[m],
                            name=METHOD_NAMES[m], legendgroup=m, showlegend=j == 1, row=1, col=j)
        clean = 100 * np.mean([t.acc[0] for t in study.select("sparsebfa", fmt)])
        fig.add_hline(y=clean, line_dash="dot", line_color="#444", row=1, col=j)
        fig.add_hline(y=100 * study.threshold, line_dash="dash", line_color="#999", row=1, col=j)
        fig.update_xaxes(type="log", title_text=label("flipped bits", "bits"), row=1, col=j)
        fig.update_yaxes(title_text=label("test accuracy", "%") if j == 1 else label("accuracy", "%"), row=1, col=j)
    fig.update_layout(template=TEMPLATE_NAME, height=height, legend=dict(orientation="h", y=-0.25),
                      title="Accuracy against flipped bits (dotted: clean; dashed: random guess)")
    return fig


def rewired(net: PrunedNet, fmt: str, flipped) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer, (lost, gained): boolean (rows, cols) masks of the connections whose weight
    the flips changed, where the clean network had one (lost) or the attacked one has one
    (gained). A moved weight is one lost and one gained connection."""
    check_type("net", net, PrunedNet)
    check_choice("fmt", fmt, FORMATS)
    store = encode(net.weights, fmt)
    flipped = check_array("flipped", np.atleast_1d(flipped), ndim=1, dtype_kind="iu", min_size=0,
                          lo=0, hi=store.n_bits - 1)
    clean, bad = decode(store), decode(store, flip(store.bits, flipped))
    return [((c != 0) & (c != b), (b != 0) & (c != b)) for c, b in zip(clean, bad)]


def rewiring_figure(net: PrunedNet, trace: Trace, height: int = 460) -> go.Figure:
    """The network as three columns of units (64 pixels, hidden units, 10 outputs), with the
    connections the attack removed (grey) and created (red)."""
    check_type("net", net, PrunedNet)
    check_type("trace", trace, Trace)
    height = check_int("height", height, lo=100, hi=3000)
    sizes = (net.weights[0].shape[1], net.weights[0].shape[0], net.weights[1].shape[0])
    ys = [np.linspace(0, 1, n) for n in sizes]
    fig = go.Figure()
    for i, (n, y) in enumerate(zip(sizes, ys)):
        fig.add_scatter(x=np.full(n, i), y=y, mode="markers", marker=dict(size=4, color="#bbb"),
                        showlegend=False, hoverinfo="skip")
    for which, color, name, dash in ((0, "#888", "removed connection", "dot"), (1, COLORS[1], "new connection", "solid")):
        xs, yv = [], []
        for li, masks in enumerate(rewired(net, trace.fmt, trace.flipped)):
            r, c = np.nonzero(masks[which])
            for a, b in zip(r, c):  # weight (row a, col b): from unit b of column li to unit a of column li+1
                xs += [li, li + 1, None]
                yv += [ys[li][b], ys[li + 1][a], None]
        fig.add_scatter(x=xs, y=yv, mode="lines", line=dict(color=color, width=1.5, dash=dash), name=name)
    fig.update_layout(template=TEMPLATE_NAME, height=height,
                      title=f"Rewired connections after {len(trace.flipped)} SparseBFA flips ({FORMAT_NAMES[trace.fmt]})")
    label_axes(fig, xaxis=label("layer (0: pixels, 1: hidden, 2: outputs)", ""),
               yaxis=label("unit position within its layer", ""))
    fig.update_xaxes(tickvals=[0, 1, 2])
    return fig


def explorer(traces: dict, *, threshold: float = 0.11, sparsity: float | None = None, fmt: str = "csr",
             flips: int = 1) -> Explorer:
    """Sparsity, format and number of SparseBFA flips: the weight matrix of one layer with
    the rewired entries highlighted, and the accuracy curves (SparseBFA, value-bit BFA,
    random flips) with the current count marked. traces: from `explorer_traces`. An attack
    that reached random guess in fewer flips than the slider asks for is shown at its end."""
    check_type("traces", traces, dict)
    if not traces:
        raise ValueError("traces must not be empty (use explorer_traces)")
    threshold = check_number("threshold", threshold, lo=0.0, hi=1.0)
    sps = sorted({k[0] for k in traces})
    fmts = [f for f in FORMATS if any(k[1] == f for k in traces)]
    sparsity = sps[len(sps) // 2] if sparsity is None else check_number("sparsity", sparsity, lo=0.0, hi=1.0)
    if sparsity not in sps or fmt not in fmts:
        raise ValueError(f"sparsity must be one of {sps} and fmt one of {fmts}")
    n_max = max(len(tr["sparsebfa"].flipped) for _, tr in traces.values())
    flips = check_int("flips", flips, lo=0, hi=max(n_max, 1))
    c_sp = _choice("sparsity", [(f"{100 * s:g} %", s) for s in sps], sparsity)
    c_fmt = _choice("format", [(FORMAT_NAMES[f], f) for f in fmts], fmt)
    c_k = int_slider("SparseBFA flips", flips, 0, max(n_max, 1))
    c_layer = _choice("layer", [("1: hidden ← pixels", 0), ("2: outputs ← hidden", 1)], 0)
    heat = widget_figure(label("input unit", ""), label("output unit", ""), title="Decoded weights", height=430)
    heat.add_heatmap(z=[[0]], colorscale="RdBu", zmid=0, colorbar=dict(title="w [–]"))
    heat.add_scatter(x=[], y=[], mode="markers", name="lost (weight moved away)",
                     marker=dict(symbol="circle-open", size=9, color="#222", line_width=2))
    heat.add_scatter(x=[], y=[], mode="markers", name="gained (weight moved here)",
                     marker=dict(symbol="x", size=9, color="#e6a100"))
    heat.update_yaxes(autorange="reversed")
    heat.update_layout(legend=dict(orientation="h", y=-0.2))
    curve = widget_figure(label("flipped bits + 1", "bits"), label("test accuracy", "%"), height=340)
    for m in METHODS:
        curve.add_scatter(x=[], y=[], mode="lines+markers", marker_size=4, line_color=_COLOR[m], name=METHOD_NAMES[m])
    curve.add_scatter(x=[], y=[], mode="markers", marker=dict(size=14, color=_COLOR["sparsebfa"], symbol="star"),
                      name="current")
    curve.add_scatter(x=[], y=[], mode="lines", line=dict(dash="dash", color="#999"), name="random guess")
    curve.update_xaxes(type="log")
    readout = W.HTML()

    def update() -> None:
        net, tr = traces[(c_sp.value, c_fmt.value)]
        a = tr["sparsebfa"]
        k = min(c_k.value, len(a.flipped))
        store = encode(net.weights, c_fmt.value)
        w = decode(store, flip(store.bits, a.flipped[:k]))[c_layer.value]
        lost, gained = rewired(net, c_fmt.value, a.flipped[:k])[c_layer.value]
        heat.data[0].z = w
        (r0, c0), (r1, c1) = np.nonzero(lost), np.nonzero(gained)
        heat.data[1].x, heat.data[1].y = c0, r0
        heat.data[2].x, heat.data[2].y = c1, r1
        heat.layout.title.text = f"Layer {c_layer.value + 1} after {k} SparseBFA flips ({FORMAT_NAMES[c_fmt.value]})"
        for i, m in enumerate(METHODS):
            curve.data[i].x, curve.data[i].y = tr[m].counts + 1, 100 * tr[m].acc
        curve.data[3].x, curve.data[3].y = [k + 1], [100 * a.acc[k]]
        hi = max(int(tr["random"].counts[-1]) + 1, 2)
        curve.data[4].x, curve.data[4].y = [1, hi], [100 * threshold] * 2
        moved = sum(int(l.sum()) for l, _ in rewired(net, c_fmt.value, a.flipped[:k]))
        readout.value = readout_table({
            "test accuracy after these flips": f"{100 * a.acc[k]:.1f} % (clean {100 * a.acc[0]:.1f} %)",
            "flipped / stored bits": f"{k} / {a.n_bits} = {100 * k / a.n_bits:.3g} %"
                                     + (" (the attack stopped here: random guess)" if c_k.value > k else ""),
            "connections lost (both layers)": str(moved),
            **{f"flips to random guess, {METHOD_NAMES[m]}": (f"{tr[m].flips_to(threshold):.0f}"
                                                           if np.isfinite(tr[m].flips_to(threshold)) else "not reached")
               for m in METHODS}})

    ex = Explorer({"sparsity": c_sp, "fmt": c_fmt, "flips": c_k, "layer": c_layer}, [heat, curve], update, readout,
                  title="SparseBFA: rewired weights")
    ex.refresh()
    return ex
