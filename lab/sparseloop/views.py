"""Figures and the explorer of notebook 15 (Sparseloop)."""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import pandas as pd
from plotly.subplots import make_subplots

from ..core.checks import check_array, check_int, check_table
from ..core.plotting import COLORS, figure, label, label_axes, widget_figure
from ..core.widgets import Explorer, dropdown, readout_table, slider
from .density import Uniform
from .formats import encode
from .model import evaluate
from .spec import FEATURES, INNER_FORMATS, SparseOpt, default_arch, fig1_mapping, matmul

KIND_COLORS = {"actual": COLORS[0], "gated": COLORS[4], "skipped": "#bbbbbb"}


def taxonomy_table(tile, rle_bits: int = 2) -> pd.DataFrame:
    """Each format's explicit encoding of a small 2-D tile: what is stored as metadata,
    its size in bits and the payload entries (rows: (outer, inner) format pairs)."""
    tile = check_array("tile", tile, ndim=2)
    rows = []
    for fmts in (("U", "U"), ("U", "B"), ("U", "CP"), ("U", "RLE"), ("UOP", "CP"), ("B", "B"), ("CP", "CP")):
        e = encode(tile, fmts, rle_bits)
        rows.append(dict(format=f"{fmts[0]} / {fmts[1]}", outer_metadata=str(e.parts.get("outer", "–")),
                         inner_metadata="; ".join(str(m) for m in e.parts["inner"]),
                         metadata_bits=e.meta_bits, payload_words=e.payload_words))
    return pd.DataFrame(rows)


def taxonomy_figure(a, b):
    """One PE walk drawn: the two fibers (top), and the slots the PE spends on them
    with gating (middle: every position, gated ones marked) and with skipping (bottom:
    only the stored coordinates, merged; reads happen on matches)."""
    a = check_array("a", a, ndim=1)
    b = check_array("b", b, ndim=1, shape=(len(a),))
    K = len(a)
    fig = make_subplots(rows=3, cols=1, shared_xaxes=False, vertical_spacing=0.14,
                        subplot_titles=("operand fibers A[m, :] and B[n, :] (nonzeros numbered)",
                                        "gating: one slot per position", "skipping: one slot per merge step"))
    z = np.vstack([a != 0, b != 0]).astype(float)
    txt = [[f"{v:g}" if v else "" for v in row] for row in (a, b)]
    fig.add_heatmap(z=z, x=list(range(K)), y=["A", "B"], colorscale=[[0, "#f4f4f4"], [1, COLORS[0]]],
                    showscale=False, text=txt, texttemplate="%{text}", row=1, col=1)
    kinds = np.where((a != 0) & (b != 0), "actual", "gated")
    for kd in ("actual", "gated"):
        sel = np.flatnonzero(kinds == kd)
        fig.add_bar(x=sel, y=np.ones(len(sel)), marker_color=KIND_COLORS[kd], name=f"MAC {kd}", row=2, col=1)
    ca, cb = list(np.flatnonzero(a)), list(np.flatnonzero(b))
    i = j = 0
    steps, kind = [], []
    while i < len(ca) or j < len(cb):
        if i < len(ca) and j < len(cb) and ca[i] == cb[j]:
            steps.append(f"k={ca[i]}: match")
            kind.append("actual")
            i += 1
            j += 1
        elif j >= len(cb) or (i < len(ca) and ca[i] < cb[j]):
            steps.append(f"k={ca[i]}: A only")
            kind.append("skipped")
            i += 1
        else:
            steps.append(f"k={cb[j]}: B only")
            kind.append("skipped")
            j += 1
    for kd in ("actual", "skipped"):
        sel = [s for s, k in zip(range(len(steps)), kind) if k == kd]
        fig.add_bar(x=sel, y=np.ones(len(sel)), marker_color=KIND_COLORS[kd], name=f"step, MAC {kd}",
                    hovertext=[steps[s] for s in sel], row=3, col=1)
    fig.update_layout(height=560, bargap=0.15, template="lab")
    label_axes(fig, xaxis=label("coordinate k", "index"), yaxis=label("operand", ""),
               xaxis2=label("cycle (= position k)", "cycle"), yaxis2=label("slot used", ""),
               xaxis3=label("cycle (merge step)", "cycle"), yaxis3=label("slot used", ""))
    return fig


def fig1_figure(ours: pd.DataFrame, artifact: pd.DataFrame):
    """The artifact's Fig. 1 layout: each design's speed and energy efficiency normalised
    to the coordinate list, ours (bars) beside the artifact's published outputs (markers)."""
    check_table("ours", ours, ("density", "design", "speed_vs_cp", "efficiency_vs_cp"), what="a fig1_sweep table")
    check_table("artifact", artifact, ("density", "design", "speed_vs_cp", "efficiency_vs_cp"),
                what="an artifact_fig1 table")
    fig = make_subplots(rows=1, cols=2, subplot_titles=("processing speed", "energy efficiency"))
    for col, metric in ((1, "speed_vs_cp"), (2, "efficiency_vs_cp")):
        for i, (name, g) in enumerate(ours.groupby("design", sort=False)):
            fig.add_bar(x=[f"{100 * d:g} %" for d in g.density], y=g[metric], name=f"ours: {name}",
                        marker_color=COLORS[i], showlegend=col == 1, row=1, col=col)
        g = artifact[artifact.design == "bitmask + gating"]
        fig.add_scatter(x=[f"{100 * d:g} %" for d in g.density], y=g[metric], mode="markers",
                        marker=dict(symbol="diamond", size=11, color="black"), name="artifact: bitmask + gating",
                        showlegend=col == 1, row=1, col=col)
    fig.update_layout(height=400, barmode="group", template="lab")
    label_axes(fig, xaxis=label("density of A and B", "%"), xaxis2=label("density of A and B", "%"),
               yaxis=label("speed / coordinate list's", "×"), yaxis2=label("efficiency / coordinate list's", "×"))
    fig.update_yaxes(type="log")
    return fig


def validation_figure(uniform: pd.DataFrame, real: pd.DataFrame):
    """Model against simulator: relative error of cycles and energy per case, uniform
    random operands (by density) and pruned weights x digit images (by sparsity)."""
    check_table("uniform", uniform, ("density", "design", "cycle_err_pct", "energy_err_pct"),
                what="a validate_uniform table")
    check_table("real", real, ("sparsity", "design", "cycle_err_pct", "energy_err_pct"), what="a validate_real table")
    fig = make_subplots(rows=1, cols=2, subplot_titles=("uniform random (statistical)", "pruned MLP × digits (real)"))
    for col, df, x in ((1, uniform, "density"), (2, real, "sparsity")):
        for i, (name, g) in enumerate(df.groupby("design", sort=False)):
            for j, (m, sym) in enumerate((("cycle_err_pct", "circle"), ("energy_err_pct", "x"))):
                fig.add_scatter(x=100 * g[x], y=g[m], mode="markers", marker=dict(color=COLORS[i], symbol=sym, size=8),
                                name=f"{name}: {'cycles' if j == 0 else 'energy'}", showlegend=col == 1,
                                row=1, col=col)
    fig.update_layout(height=400, template="lab")
    label_axes(fig, xaxis=label("density of A and B", "%"), xaxis2=label("weight sparsity", "%"),
               yaxis=label("model − simulator", "%"), yaxis2=label("model − simulator", "%"))
    fig.update_xaxes(type="log", row=1, col=1)
    return fig


def speed_figure(df: pd.DataFrame):
    """CPU time of the model and the simulator against problem size."""
    check_table("df", df, ("size", "t_model_s", "t_sim_s"), what="a speed(...) table")
    fig = figure(label("matmul size n (n × n × n)", "–"), label("CPU time per evaluation", "s"),
                 title="model vs simulator")
    g = df.groupby("size")[["t_model_s", "t_sim_s"]].mean()
    fig.add_scatter(x=g.index, y=g.t_sim_s, name="simulator", mode="lines+markers")
    fig.add_scatter(x=g.index, y=g.t_model_s, name="analytical model", mode="lines+markers")
    fig.update_xaxes(type="log")
    fig.update_yaxes(type="log")
    return fig


def sweep_figure(sweep: pd.DataFrame, metric: str = "energy_uJ"):
    """Every design's energy (or cycles) across densities, from the model."""
    unit = {"energy_uJ": ("energy", "µJ"), "cycles": ("cycles", "cycle"), "edp": ("energy-delay", "µJ·Mcycle")}
    if metric not in unit:
        raise ValueError(f"metric must be one of {list(unit)}; got {metric!r}")
    check_table("sweep", sweep, ("density", "design", metric), what="a design_sweep table")
    fig = figure(label("density of A and B", "%"), label(*unit[metric]), title="design space")
    for name, g in sweep.groupby("design", sort=False):
        fig.add_scatter(x=100 * g.density, y=g[metric], name=name, mode="lines+markers",
                        line=dict(dash="dot" if "none" in name else "dash" if "gating" in name else "solid"))
    fig.update_xaxes(type="log")
    fig.update_yaxes(type="log")
    return fig


def _breakdown(res) -> tuple[pd.DataFrame, dict]:
    t = res.table.copy()
    t["group"] = np.where(t.action.str.startswith("metadata"), "metadata", t.kind)
    return t.groupby(["level", "group"]).energy_pj.sum().unstack(fill_value=0.0), res.cycles_by_level


def explorer(size: int = 128) -> Explorer:
    """Operand densities, the PE's inner format and feature, and the outer levels' formats
    -> energy per level by action type, and cycles per level (the analytical model)."""
    size = check_int("size", size, lo=8, hi=512)
    arch, wl = default_arch(), matmul(size, size, size)
    orders = {"N outer, M inner (artifact)": "NM", "M outer, N inner": "MN"}
    c = {"dA": slider("density of A", 0.1, 0.01, 1.0, 0.01),
         "dB": slider("density of B", 0.1, 0.01, 1.0, 0.01),
         "pe_format": dropdown("PE inner format", INNER_FORMATS, "B"),
         "feature": dropdown("PE feature", FEATURES, "gating"),
         "glb_format": dropdown("GLB and DRAM inner format", INNER_FORMATS, "B"),
         "order": dropdown("GLB loop order (mapping)", list(orders), "N outer, M inner (artifact)")}
    levels = list(arch.names) + ["MAC"]
    groups = ("actual", "gated", "metadata")
    e_fig = widget_figure(label("level", ""), label("energy", "nJ"), title="energy by level and action type", height=330)
    for g in groups:
        e_fig.add_bar(x=levels, y=np.zeros(len(levels)), name=g,
                      marker_color=KIND_COLORS.get(g, COLORS[2]))
    e_fig.update_layout(barmode="stack")
    c_fig = widget_figure(label("level", ""), label("cycles needed", "cycle"), title="cycles by level", height=300)
    c_fig.add_bar(x=["DRAM", "GLB", "PE"], y=[0, 0, 0], name="cycles", marker_color=COLORS[3])
    readout = W.HTML()

    def update() -> None:
        v = {k: w.value for k, w in c.items()}
        f = {}
        # the model's DRAM traffic does not depend on the DRAM format (every tile is read once), so
        # the outer levels share one control rather than offer one that changes nothing
        for lv, key in (("DRAM", "glb_format"), ("GLB", "glb_format")):
            for t in "AB":
                f[(lv, t)] = ("U" if v[key] == "U" else "UOP", v[key])
        for t in "AB":
            f[("PEBuf", t)] = ("U", v["pe_format"])
        try:
            opt = SparseOpt(f, v["feature"], cp_bits=14)
        except ValueError as exc:
            readout.value = f"<b>not a valid design:</b> {exc}"
            for tr in e_fig.data:
                tr.y = np.zeros(len(levels))
            c_fig.data[0].y = [0, 0, 0]
            return
        mp = fig1_mapping(size, size, size, orders[v["order"]])
        res = evaluate(arch, wl, mp, opt, {"A": Uniform(v["dA"]), "B": Uniform(v["dB"])})
        fills = {t: res.count("PEBuf", t, "write") for t in "AB"}
        table, cyc = _breakdown(res)
        for tr, g in zip(e_fig.data, groups):
            tr.y = [float(table.loc[lv, g]) / 1e3 if (lv in table.index and g in table.columns) else 0.0
                    for lv in levels]
        c_fig.data[0].y = [cyc["DRAM"], cyc["GLB"], cyc["PE"]]
        skipped = res.table[res.table.kind == "skipped"]["count"].sum()
        readout.value = readout_table({"energy": f"{res.energy_pj / 1e6:.3f} µJ", "cycles": f"{res.cycles:,.0f}",
                                       "bottleneck": max(cyc, key=cyc.get),
                                       "skipped actions": f"{skipped:,.0f}",
                                       "words into the PE buffer (A / B)": f"{fills['A']:,.0f} / {fills['B']:,.0f}",
                                       "energy-delay": f"{res.energy_pj / 1e6 * res.cycles / 1e6:.3g} µJ·Mcycle"})

    ex = Explorer(c, [e_fig, c_fig], update, readout, title=f"Sparse design explorer ({size}³ matmul)",
                  presets={"artifact: bitmask + gating": dict(pe_format="B", feature="gating", glb_format="B"),
                           "artifact: coordinate list + skipping": dict(pe_format="CP", feature="skipping",
                                                                        glb_format="CP"),
                           "dense": dict(pe_format="U", feature="none", glb_format="U")})
    ex.refresh()
    return ex


def eyeriss_figure(df: pd.DataFrame):
    """Cycles per layer of the Eyeriss V2 PE: its ground truth, Sparseloop's output and our
    model's (df: an `eyeriss_validation` table), with our error against the ground truth."""
    check_table("df", df, ("layer", "ground_truth_cycles", "sparseloop_cycles", "cycles", "err_vs_truth_pct"),
                what="an eyeriss_validation table")
    fig = figure(label("MobileNet-0.5 layer", ""), label("cycles", "Mcycle"),
                 title="Eyeriss V2 PE: ground truth, Sparseloop and our model")
    for col, name, k in (("ground_truth_cycles", "Eyeriss V2 PE (ground truth)", 0),
                         ("sparseloop_cycles", "Sparseloop (artifact)", 1), ("cycles", "our model", 2)):
        fig.add_bar(x=df.layer, y=df[col] / 1e6, name=name, marker_color=COLORS[k],
                    text=[f"{e:+.1f} %" for e in df.err_vs_truth_pct] if col == "cycles" else None)
    fig.update_layout(barmode="group")
    return fig
