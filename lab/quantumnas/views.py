"""Figures and the explorer of notebooks/14_quantumnas.ipynb (QuantumNAS, Wang et al., HPCA 2022):
the circuit drawing, the qubit mapping on the backend's coupling map, Figure 1 (noise-free vs
noisy accuracy as parameters grow) and the contenders' accuracy bars.
"""
from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from . import qsim
from .data import encode, load_digits_4x4
from .pipeline import TASKS, Contender, PipelineResult, evaluate_all, run_pipeline
from .supercircuit import N_QUBITS, SPACES, SuperCircuit, n_params
from lab.core import plotting, widgets
from lab.core.checks import check_number, check_type
import numpy as np
from .device import BACKENDS, Device, get_device
from .vqe import VQEResult

_SYMBOL = {"u3": "U3", "cu3": "U3", "rx": "RX", "ry": "RY", "rz": "RZ", "rzz": "ZZ", "rxx": "XX",
           "rzx": "ZX", "cx": "X", "cz": "Z", "sx": "SX", "h": "H"}


def _moments(circuit: qsim.Circuit) -> list[int]:
    """ASAP column of every op (ops on disjoint wires share a column)."""
    free = [0] * circuit.n_qubits
    cols = []
    for op in circuit.ops:
        lo, hi = min(op.wires), max(op.wires)
        col = max(free[lo:hi + 1])
        for q in range(lo, hi + 1):
            free[q] = col + 1
        cols.append(col)
    return cols


def draw_circuit(circuit: qsim.Circuit, fig: go.Figure | None = None, title: str = "") -> go.Figure:
    """Plotly drawing of a circuit: wires, gate boxes, controls. x: moment, y: qubit."""
    check_type("circuit", circuit, qsim.Circuit)
    check_type("title", title, str)
    if fig is not None:
        check_type("fig", fig, (go.Figure, go.FigureWidget))
    fig = fig if fig is not None else plotting.figure(plotting.label("moment", ""), plotting.label("qubit", ""),
                                                      height=260)
    cols = _moments(circuit)
    width = max(cols, default=0) + 1
    traces = [go.Scatter(x=[-0.5, width - 0.5], y=[q, q], mode="lines", line=dict(color="#888"),
                         showlegend=False, hoverinfo="skip") for q in range(circuit.n_qubits)]
    lx, ly, bx, by, bt, cx_, cy = [], [], [], [], [], [], []
    for op, c in zip(circuit.ops, cols):
        if len(op.wires) == 2:
            lx += [c, c, None]
            ly += [op.wires[0], op.wires[1], None]
            symmetric = op.name in ("rzz", "rxx", "cz")
            if op.name.startswith("c") and not symmetric:
                cx_.append(c); cy.append(op.wires[0])
                bx.append(c); by.append(op.wires[1]); bt.append(_SYMBOL[op.name])
            else:
                for q in op.wires:
                    bx.append(c); by.append(q); bt.append(_SYMBOL[op.name])
        else:
            bx.append(c); by.append(op.wires[0]); bt.append(_SYMBOL[op.name])
    traces.append(go.Scatter(x=lx, y=ly, mode="lines", line=dict(color="#333", width=2), showlegend=False,
                             hoverinfo="skip"))
    traces.append(go.Scatter(x=cx_, y=cy, mode="markers", marker=dict(size=9, color="#333"), showlegend=False))
    traces.append(go.Scatter(x=bx, y=by, mode="markers+text", text=bt, textfont=dict(color="white", size=9),
                             marker=dict(symbol="square", size=22, color=plotting.COLORS[0]), showlegend=False))
    fig.data = []
    fig.add_traces(traces)
    fig.update_layout(title=title or f"{len(circuit.ops)} gates, {n_params(circuit)} parameters")
    fig.update_yaxes(autorange="reversed", tickvals=list(range(circuit.n_qubits)))
    return fig


def _positions(device: Device) -> dict[int, tuple[float, float]]:
    import rustworkx as rx

    g = rx.PyGraph()
    g.add_nodes_from(range(device.n_qubits))
    g.add_edges_from_no_data(device.coupling)
    pos = rx.spring_layout(g, seed=1)
    return {q: (float(pos[q][0]), float(pos[q][1])) for q in range(device.n_qubits)}


def _device_errors(device: Device) -> dict:
    """The device's calibration as its noise model uses it (`device._scaled_target`: every error times the
    noise factor, capped at 0.5; T1 and T2 divided by it): per qubit `readout` error [–], `t1` and `t2` [µs] (inf when noise-free), and
    per coupled pair (a, b), a < b, the two-qubit gate's error [–] (`two_qubit`, the larger of its two
    directions) with its gate name (`gate`)."""
    f, t = device.noise_factor, device.backend.target
    n = device.n_qubits

    def err(e):
        return min(0.5, (e or 0.0) * f)

    props = t.qubit_properties or [None] * n
    us = [(q.t1 if q is not None else None, q.t2 if q is not None else None) for q in props]
    t1 = [1e6 * a / f if a and f > 0 else float("inf") for a, _ in us]
    t2 = [1e6 * b / f if b and f > 0 else float("inf") for _, b in us]
    gate = next((g for g in ("cx", "ecr", "cz") if g in t.operation_names), None)
    two = {}
    for a, b in device.coupling:
        es = [t[gate][qa].error for qa in ((a, b), (b, a)) if gate and qa in t[gate] and t[gate][qa] is not None]
        two[(a, b)] = err(max((e for e in es if e is not None), default=0.0))
    return dict(readout=[err(t["measure"][(q,)].error) for q in range(n)], t1=t1, t2=t2, two_qubit=two,
                gate=(gate or "two-qubit gate").upper())


def draw_mapping(device: Device, layout: Sequence[int], fig: go.Figure | None = None) -> go.Figure:
    """The backend's coupling map with its calibration (`_device_errors`, scaled by the noise factor):
    each physical qubit coloured by its readout error, each coupling by its two-qubit gate's error (printed
    on the edge), T1 and T2 in the hover; the chosen physical qubit of each virtual qubit labelled 'v<i>'
    and ringed. Axes in arbitrary layout units."""
    from plotly.colors import sample_colorscale

    check_type("device", device, Device)
    if isinstance(layout, (str, bytes)) or not hasattr(layout, "__iter__"):
        raise TypeError(f"layout must be a sequence of physical qubits; got {type(layout).__name__}")
    layout = [int(q) if isinstance(q, (int, np.integer)) and not isinstance(q, bool) else q for q in layout]
    if not layout or not all(isinstance(q, int) and 0 <= q < device.n_qubits for q in layout):
        raise ValueError(f"layout must hold physical qubits in [0, {device.n_qubits - 1}]; got {layout}")
    if fig is not None:
        check_type("fig", fig, (go.Figure, go.FigureWidget))
    fig = fig if fig is not None else plotting.figure(plotting.label("layout x", "a.u."),
                                                      plotting.label("layout y", "a.u."), height=300)
    pos = _positions(device)
    e = _device_errors(device)
    nq = device.n_qubits
    used = {p: v for v, p in enumerate(layout)}
    # one colour scale for both: errors in %, from 0 to the largest readout or two-qubit error shown
    top = max(1e-3, max(e["readout"]), max(e["two_qubit"].values(), default=0.0))
    scale = "YlOrRd"
    traces = []
    mx, my, mt, mh = [], [], [], []
    for (a, b), err in e["two_qubit"].items():
        colour = sample_colorscale(scale, [min(1.0, err / top)])[0]
        traces.append(go.Scatter(x=[pos[a][0], pos[b][0]], y=[pos[a][1], pos[b][1]], mode="lines",
                                 line=dict(color=colour, width=6), showlegend=False, hoverinfo="skip"))
        mx.append((pos[a][0] + pos[b][0]) / 2)
        my.append((pos[a][1] + pos[b][1]) / 2)
        mt.append(f"{100 * err:.1f}")
        mh.append(f"Q{a}–Q{b}: {e['gate']} error {100 * err:.2f} %")
    # the edge labels: the two-qubit error in %, hoverable at the edge's middle
    traces.append(go.Scatter(x=mx, y=my, mode="text", text=mt, textfont=dict(size=10, color="#333"),
                             hovertext=mh, hoverinfo="text", showlegend=False))

    def t_text(v):
        return "∞ (noise-free)" if not np.isfinite(v) else f"{v:.0f} µs"

    text = [f"Q{q}" + (f"<br>v{used[q]}" if q in used else "") for q in range(nq)]
    hover = [f"Q{q}" + (f" (virtual v{used[q]})" if q in used else "") +
             f"<br>readout error {100 * e['readout'][q]:.2f} %<br>T1 {t_text(e['t1'][q])}, T2 {t_text(e['t2'][q])}"
             for q in range(nq)]
    traces.append(go.Scatter(
        x=[pos[q][0] for q in range(nq)], y=[pos[q][1] for q in range(nq)], mode="markers+text", text=text,
        textposition="top center", hovertext=hover, hoverinfo="text", showlegend=False,
        marker=dict(size=24, color=[100 * r for r in e["readout"]], colorscale=scale, cmin=0.0, cmax=100 * top,
                    line=dict(color=["#000" if q in used else "#bbb" for q in range(nq)],
                              width=[3 if q in used else 1 for q in range(nq)]),
                    colorbar=dict(title=dict(text="error [%]", side="right"), thickness=12, len=0.9))))
    fig.data = []
    fig.add_traces(traces)
    # plotly's autorange leaves room for the markers, not for the labels above them: the top node's two-line
    # label ("Q2", "v3") was cut off. Pad the y range by the labels' height (about 0.4 of a 300 px plot).
    ys = [pos[q][1] for q in range(nq)]
    span = max(max(ys) - min(ys), 0.5)
    fig.update_yaxes(range=[min(ys) - 0.2 * span, max(ys) + 0.45 * span])
    # two short lines: one line held it all and ran past a half-width column in the browser
    fig.update_layout(title=f"{device.name} ×{device.noise_factor:g}: layout {tuple(layout)}, ringed = used"
                            f"<br><sup>colour: readout error (qubits), {e['gate']} error (couplings)</sup>",
                      margin=dict(t=70))
    return fig


def sweep_figure(rows: Sequence[dict]) -> go.Figure:
    """Figure 1: test accuracy [%] noise-free and noisy against the number of parameters."""
    if not isinstance(rows, (list, tuple)) or not rows or not all(isinstance(r, dict) for r in rows):
        raise TypeError("rows must be a non-empty list of dicts (param_sweep output)")
    for r in rows:
        for k in ("params", "acc_noise_free", "acc_noisy"):
            check_number(f"rows[{k}]", r.get(k))
    fig = plotting.figure(plotting.label("trainable parameters", ""), plotting.label("test accuracy", "%"),
                          title="More parameters: noise-free accuracy up, noisy accuracy not")
    p = [r["params"] for r in rows]
    fig.add_trace(go.Scatter(x=p, y=[100 * r["acc_noise_free"] for r in rows], mode="lines+markers",
                             name="noise-free"))
    fig.add_trace(go.Scatter(x=p, y=[100 * r["acc_noisy"] for r in rows], mode="lines+markers",
                             name="noisy (fake backend)"))
    return fig


def contenders_figure(summary: dict, title: str = "", fig: go.Figure | None = None) -> go.Figure:
    """Grouped bars: noise-free and noisy accuracy [%] of each contender, error bars = std
    over seeds. summary: `quantumnas.summarize_seeds(...)`."""
    check_type("summary", summary, dict)
    check_type("title", title, str)
    if not summary:
        raise ValueError("summary must hold at least one contender")
    for n, m in summary.items():
        for key in ("acc_clean", "acc_noisy"):
            if not isinstance(m, dict) or key not in m:
                raise ValueError(f"summary must map contender -> {{'acc_clean': (mean, std), 'acc_noisy': ...}}")
            for v in m[key]:
                check_number(f"summary[{key}]", v)
    if fig is not None:
        check_type("fig", fig, (go.Figure, go.FigureWidget))
    fig = fig if fig is not None else plotting.figure(plotting.label("contender", ""),
                                                      plotting.label("test accuracy", "%"), height=340)
    names = list(summary)
    fig.data = []
    for key, lab_ in (("acc_clean", "noise-free"), ("acc_noisy", "noisy")):
        fig.add_trace(go.Bar(x=names, y=[100 * summary[n][key][0] for n in names], name=lab_,
                             error_y=dict(type="data", array=[100 * summary[n][key][1] for n in names])))
    fig.update_layout(barmode="group", title=title)
    return fig


# ----------------------------------------------------------------------------- the explorer
def explorer(result: PipelineResult, cfg) -> widgets.Explorer:
    """Backend (<= 7 qubits), noise scale factor, design space, blocks and search budget.
    Changing backend or noise re-measures the shown contenders' noisy accuracy (live); changing
    the design space or blocks previews its full circuit; "run search" reruns the whole
    pipeline with those settings (progress bar)."""
    import ipywidgets as W
    from tqdm.auto import tqdm

    check_type("result", result, PipelineResult)
    runs = [result]          # the notebook's pipeline, then each "run search"
    c = dict(backend=widgets.dropdown("backend", BACKENDS, result.backend),
             noise=widgets.slider("noise scale", 1.0, 0.0, 3.0, 0.25),
             space=widgets.dropdown("design space", list(SPACES), result.space),
             blocks=widgets.int_slider("blocks", result.sc.max_blocks, 1, 6))
    # the search budget only matters to "run search": it sits beside the button, not among the controls
    # that redraw (moving it used to cost a full update that changed nothing)
    budget = widgets.int_slider("search iterations", cfg.iterations, 1, 20)
    f_circ = plotting.widget_figure(plotting.label("moment", ""), plotting.label("qubit", ""), height=260)
    f_map = plotting.widget_figure(plotting.label("layout x", "a.u."), plotting.label("layout y", "a.u."),
                                   height=300)
    f_acc = plotting.widget_figure(plotting.label("contender", ""), plotting.label("test accuracy", "%"),
                                   height=320)
    readout = W.HTML()
    button = W.Button(description="run search", button_style="primary")
    # the test split of run_pipeline (its train part holds n_train + n_val images)
    _, _, xte, yte = load_digits_4x4(TASKS[result.task], cfg.n_train + cfg.n_val, cfg.n_test, seed=result.seed)
    ste = encode(xte)
    nc = len(TASKS[result.task])

    names = ("human baseline", "QuantumNAS")

    @widgets.memo(32)      # per (run, backend, noise): a revisited setting answers at once
    def measure(run: int, backend: str, noise: float) -> dict:
        r = runs[run]
        if (backend, noise) == (r.backend, float(r.noise_factor)):       # the pipeline measured these already
            return {n: {"acc_clean": (r.contenders[n].acc_clean, 0.0), "acc_noisy": (r.contenders[n].acc_noisy, 0.0)}
                    for n in names}
        evs = evaluate_all([Contender(n, r.contenders[n].circuit, r.contenders[n].layout,
                                            r.contenders[n].weights) for n in names],
                              get_device(backend, noise), xte, yte, ste, nc, cfg.shots, r.seed)   # one Aer job
        return {n: {"acc_clean": (ev.acc_clean, 0.0), "acc_noisy": (ev.acc_noisy, 0.0)} for n, ev in zip(names, evs)}

    drawn = {}

    def update():
        run = len(runs) - 1
        r = runs[run]
        backend, noise = c["backend"].value, float(c["noise"].value)
        dev = get_device(backend, noise)
        best = r.contenders["QuantumNAS"]
        preview = (c["space"].value, c["blocks"].value) != (r.space, r.sc.max_blocks)
        # each figure is redrawn only when what it shows changes (the circuit with the design space and blocks,
        # the map with the backend and noise)
        if drawn.get("circuit") != (run, c["space"].value, c["blocks"].value):
            if preview:
                sc = SuperCircuit(c["space"].value, N_QUBITS, c["blocks"].value)
                draw_circuit(sc.circuit(sc.full_arch()), f_circ,
                             title=f"{c['space'].value}, {c['blocks'].value} blocks (press 'run search')")
            else:
                draw_circuit(best.circuit, f_circ, title=f"QuantumNAS circuit: {len(best.circuit.ops)} gates")
            drawn["circuit"] = (run, c["space"].value, c["blocks"].value)
        if drawn.get("map") != (run, backend, noise):
            draw_mapping(dev, best.layout, f_map)
            drawn["map"] = (run, backend, noise)
        if not measure.holds(run, backend, noise):
            what = f"measuring both circuits' noisy accuracy on {backend} ×{noise:g} (one Aer job)"
            ex.busy(what)
            readout.value = f"<i>{what}…</i>"
        rows = measure(run, backend, noise)
        if drawn.get("acc") != (run, backend, noise):
            contenders_figure(rows, f"{dev.name}, noise x{dev.noise_factor:g}", f_acc)
            drawn["acc"] = (run, backend, noise)
        e = _device_errors(dev)
        used_edges = [e["two_qubit"][k] for k in e["two_qubit"] if k[0] in best.layout and k[1] in best.layout]
        readout.value = widgets.readout_table({
            "layout (virtual -> physical)": str(best.layout),
            "readout error of the used qubits (mean)": f"{100 * np.mean([e['readout'][q] for q in best.layout]):.2f} %",
            f"{e['gate']} error of the used couplings (mean)":
                f"{100 * np.mean(used_edges):.2f} %" if used_edges else "– (no coupling between the used qubits)",
            "baseline noisy accuracy": f"{100 * rows['human baseline']['acc_noisy'][0]:.1f} % (measured)",
            "QuantumNAS noisy accuracy": f"{100 * rows['QuantumNAS']['acc_noisy'][0]:.1f} % (measured)"})

    def run_search(_b=None):
        run_cfg = type(cfg)(**{**cfg.as_dict(), "name": cfg.name, "iterations": budget.value,
                               "max_blocks": c["blocks"].value})
        bar = tqdm(total=4, desc="QuantumNAS")
        ex.busy("running the search, pruning and evaluation (progress bar below)")
        runs.append(run_pipeline(result.task, c["space"].value, c["backend"].value, run_cfg,
                                          seed=result.seed, noise_factor=float(c["noise"].value),
                                          progress=lambda s: (bar.set_postfix_str(s), bar.update(1))))
        bar.close()
        ex.refresh()

    button.on_click(run_search)
    ex = widgets.Explorer(controls=c, figures=[f_circ, f_map, f_acc], update=update, readout=readout,
                          title="QuantumNAS explorer", extra=(widgets.labelled(budget), button),
                          recompute=["backend", "noise"])
    ex.run_search, ex.budget = run_search, budget
    ex.refresh()
    return ex


def closing_note(summary4: dict, summary2: dict, vqe, backend: str) -> str:
    """Markdown: every contender's accuracies per task on the backend, and the VQE energies
    (vqe: a VQEResult or a list of them, one per seed)."""
    check_type("summary4", summary4, dict)
    check_type("summary2", summary2, dict)
    check_type("backend", backend, str)
    runs = list(vqe) if isinstance(vqe, (list, tuple)) else [vqe]
    if not runs or not all(isinstance(v, VQEResult) for v in runs):
        raise TypeError("vqe must be a VQEResult or a non-empty list of VQEResult")
    lines = [f"Backend: **{backend}** (fake IBM backend, Aer noise model from its calibration snapshot).", "",
             "| task | contender | native gates | noise-free acc [%] | noisy acc [%] |", "|---|---|---|---|---|"]
    for task, summ in (("4-class", summary4), ("2-class", summary2)):
        for name, m in summ.items():
            lines.append(f"| {task} | {name} | {m['n_native'][0]:.0f} | {100 * m['acc_clean'][0]:.1f} ± "
                         f"{100 * m['acc_clean'][1]:.1f} | {100 * m['acc_noisy'][0]:.1f} ± {100 * m['acc_noisy'][1]:.1f} |")
    for i, v in enumerate(runs):
        lines += ["" if i == 0 else None, f"H2 VQE (seed run {i}): exact {v.exact:.5f} Ha; QuantumNAS {v.energy_clean:.5f} Ha "
                  f"noise-free, {v.energy_noisy:.4f} Ha noisy (layout {v.gene.layout}); human baseline "
                  f"{v.baseline_clean:.5f} Ha noise-free, {v.baseline_noisy:.4f} Ha noisy (layout {v.baseline_layout})."]
    return "\n".join(x for x in lines if x is not None)
