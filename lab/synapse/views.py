"""Figures and the explorer of the synapse circuit model: the circuit diagram (Figure 1),
the three Figure-2 panels, the pulse-waveform designer, and the overlay of our solver on
ngspice. Part of notebooks/03_synapse.ipynb and notebooks/10_mg_synapse.ipynb.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.core import plotting
from lab.core.checks import check_array, check_bool, check_choice, check_int, check_number, check_type
from lab.core.paths import build_dir
from lab.core.widgets import Explorer, dropdown, figure_widget, int_slider, memo, readout_table, slider
from .analysis import relaxation
from .device import PRESET_NOTES, Device, Result, preset, simulate
from .waveforms import pulse_train


# ------------------------------------------------------------------------ Figure 1
def schematic(n_e: int = 3, fmt: str = "svg", path: str | Path | None = None) -> Path:
    """Draw the equivalent circuit (Figure 1) with schemdraw and save it under build/.

    n_e: electrolyte cells drawn (labelled "x N" in the model). fmt: "svg" or "png".
    Returns the path of the written file (default build/figures/synapse_circuit.<fmt>).
    """
    import matplotlib
    matplotlib.use("Agg")
    import schemdraw
    import schemdraw.elements as elm

    n_e = check_int("n_e", n_e, lo=1, hi=4)
    check_choice("fmt", fmt, ("svg", "png"))
    if path is not None:
        check_type("path", path, (str, Path))
        text = str(path)
        if not Path(text).name or any(ord(ch) < 32 for ch in text) or Path(text).suffix != f".{fmt}":
            raise ValueError(f"path must be a file path ending in .{fmt}, without control characters; got {text!r}")
    out = Path(path) if path is not None else build_dir("figures") / f"synapse_circuit.{fmt}"
    h = 1.0

    def parallel(d, top, bottom, length=2.4):
        start = d.here
        d.add(elm.Line().up(h).at(start))
        d.add(top.right(length))
        d.add(elm.Line().down(h))
        end = d.here
        d.add(elm.Line().down(h).at(start))
        d.add(bottom.right(length))
        d.add(elm.Line().up(h))
        d.here = end

    d = schemdraw.Drawing(show=False)
    d.config(fontsize=11, unit=2.0, margin=0.6)  # the margin keeps the end labels ("gate") inside the image
    gate = d.add(elm.Dot(open=True).label("gate", loc="left"))
    d.add(elm.Line().right(0.5))
    d.add(elm.Resistor().right(2.2).label("$R_s$ (+$R_{int}$)"))
    parallel(d, elm.Capacitor().label("$C_{dl,g}$"), elm.RBox().label("BV gate", loc="bottom"))
    for k in range(n_e):
        lab_r = "$R_{ion}/N$" if k == 0 else ""
        lab_c = "$N C_{geo}$" if k == 0 else ""
        parallel(d, elm.Resistor().label(lab_r), elm.Capacitor().label(lab_c, loc="bottom"), length=1.8)
    parallel(d, elm.Capacitor().label("$C_{dl,c}$"),
             elm.RBox().label("BV channel", loc="bottom"), length=3.2)
    # channel: diffusion transmission line (ionic rail with chemical capacitors to the electronic rail)
    for k in range(3):
        node = d.here
        d.add(elm.Capacitor().down(1.6).at(node).label("$C_\\mu$" if k == 0 else "", loc="bottom"))
        d.here = node
        if k < 2:
            d.add(elm.Resistor().right(1.6).label("$R_{d}/M$" if k == 0 else ""))
    chan = d.here
    # electronic rail of the channel, back to the channel contact, and the leakage path
    rail_y = chan[1] - 1.6
    d.add(elm.Line().at((chan[0] - 3.2, rail_y)).to((chan[0], rail_y)))
    contact = d.add(elm.Dot(open=True).at((chan[0] + 0.0, rail_y - 0.0)).label("channel contact", loc="bottom"))
    # the diffusion line's name above it, between the interface's top rail and the leakage wire; the channel
    # interface's overpotential under its box's label
    d.add(elm.Label().at((chan[0] - 1.6, chan[1] + 1.95)).label("diffusion line (M segments)"))
    d.add(elm.Label().at((chan[0] - 4.8, rail_y - 0.8)).label("$\\eta = v_c - E_{eq}(\\theta_1)$"))
    top_y = gate.center[1] + 2.4
    d.add(elm.Line().at(gate.center).up(2.4 - 0.0))
    d.add(elm.Resistor().right(4.0).label("$R_e$ (electronic leakage)"))
    d.add(elm.Line().to((contact.center[0] + 1.6, top_y)))
    d.add(elm.Line().to((contact.center[0] + 1.6, rail_y)))
    d.add(elm.Line().to(contact.center))
    out.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(out))
    return out


# ------------------------------------------------------------------------ Figure 2
def _fill_figure2(fig: go.Figure, res: Result, t_unit: str = "ms") -> None:
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[t_unit]
    t = res.t * scale
    traces = [(t, res.V, 1, "V_gate"), (t, res.G * 1e6, 2, "G"), (t, res.G_ion * 1e6, 2, "G ionic part"),
              (t, res.I_F * 1e9, 3, "I_F")]
    if len(fig.data) != len(traces):
        fig.data = ()
        for x, y, row, name in traces:
            fig.add_trace(go.Scatter(x=x, y=y, name=name, mode="lines",
                                     line=dict(dash="dot") if name == "G ionic part" else None),
                          row=row, col=1)
    else:
        for tr, (x, y, _, _) in zip(fig.data, traces):
            tr.x, tr.y = x, y


def figure2(res: Result, t_unit: str = "ms") -> go.Figure:
    """Figure 2: (a) gate voltage, (b) channel conductance (total and ionic part) and
    (c) Faraday current at the channel electrode, against time. A static figure; the explorer
    wraps it in a live one (`widgets.figure_widget`)."""
    check_type("res", res, Result)
    check_choice("t_unit", t_unit, ("s", "ms", "us"))
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("(a) gate voltage", "(b) channel conductance",
                                        "(c) Faraday current at the channel"))
    fig.update_layout(template=plotting.TEMPLATE_NAME, height=700, showlegend=True)
    t_label = plotting.label("time", t_unit.replace("us", "µs"))
    plotting.label_axes(fig, xaxis=t_label, xaxis2=t_label, xaxis3=t_label,
                        yaxis=plotting.label("V_gate", "V"), yaxis2=plotting.label("G", "µS"),
                        yaxis3=plotting.label("I_F", "nA"))
    _fill_figure2(fig, res, t_unit)
    return fig


def xy_figure(x, ys: dict, x_label: str, y_label: str, title: str | None = None, log_x: bool = False,
              mode: str = "lines+markers") -> go.Figure:
    """A simple line figure: one trace per entry of `ys` (name -> array) against x; the axis
    labels carry their unit ("time [s]")."""
    x = check_array("x", x, ndim=1)
    check_type("ys", ys, dict)
    if not ys:
        raise ValueError("ys must name at least one curve")
    ys = {str(k): check_array("ys", v, ndim=1, shape=(len(x),), allow_nan=True) for k, v in ys.items()}
    for name, lab in (("x_label", x_label), ("y_label", y_label)):
        check_type(name, lab, str)
        if "[" not in lab:
            raise ValueError(f"{name} must carry a unit, e.g. 'time [s]'; got {lab!r}")
    if title is not None:
        check_type("title", title, str)
    log_x = check_bool("log_x", log_x)
    check_choice("mode", mode, ("lines", "markers", "lines+markers"))
    fig = plotting.figure(x_label, y_label, title=title)
    for name, y in ys.items():
        fig.add_trace(go.Scatter(x=x, y=y, name=name, mode=mode))
    if log_x:
        fig.update_xaxes(type="log")
    return fig


# ---------------------------------------------------------------------- explorer
POLARITIES = ("+", "−", "+ then −", "alternating")


def _polarity(kind: str, count: int) -> list:
    if kind == "+":
        return [1.0] * count
    if kind == "−":
        return [-1.0] * count
    if kind == "+ then −":
        h = (count + 1) // 2
        return [1.0] * h + [-1.0] * (count - h)
    return [1.0 if k % 2 == 0 else -1.0 for k in range(count)]


def design_waveform(mode: str = "voltage", amplitude_v: float = 1.0, amplitude_na: float = 10.0,
                    width: float = 1e-3, count: int = 1, interval: float = 20e-3,
                    polarity: str = "+", read: str = "open gate", lead: float = 1e-3):
    """A pulse train from the explorer's controls (widths, intervals in s; amplitude_v in
    V, amplitude_na in nA; read "open gate" or "0 V")."""
    check_choice("mode", mode, ("voltage", "current"))
    check_choice("polarity", polarity, POLARITIES)
    check_choice("read", read, ("open gate", "0 V"))
    count = check_int("count", count, lo=1, hi=100)
    amplitude_v = check_number("amplitude_v", amplitude_v, lo=-100.0, hi=100.0)
    amplitude_na = check_number("amplitude_na", amplitude_na, lo=-1e6, hi=1e6)
    interval = check_number("interval", interval, lo=0.0, hi=1e3, lo_open=True)
    amp = amplitude_v if mode == "voltage" else amplitude_na * 1e-9
    rest = 0.0 if (read == "0 V" and mode == "voltage") else None
    return pulse_train(mode, amp, width, count, interval, polarity=_polarity(polarity, count), rest=rest,
                       lead=lead, tail=max(interval, 0.1))


def explorer(device: Device | None = None, pts: int = 30):
    """The pulse-waveform designer: drive mode, amplitude, width, count, interval,
    polarity and read condition, plus electrolyte thickness/conductivity and channel
    thickness. Shows the three Figure-2 panels and a readout of ΔG per pulse, energy per
    pulse and relaxation after the last pulse."""
    dev0 = device if device is not None else preset()
    check_type("device", dev0, Device)
    pts = check_int("pts", pts, lo=8, hi=1000)
    controls = dict(
        mode=dropdown("mode", ("voltage", "current"), "voltage"),
        amplitude_v=slider("amplitude (V mode)", 1.0, 0.1, 3.0, 0.05, "V"),
        amplitude_na=slider("amplitude (I mode)", 10.0, 1.0, 100.0, 1.0, "nA"),
        width=slider("width", 1e-3, -4, -2, 0.1, "s", log=True),
        count=int_slider("count", 1, 1, 12),
        interval=slider("interval", 20e-3, -3, -0.5, 0.1, "s", log=True),
        polarity=dropdown("polarity", POLARITIES, "+"),
        read=dropdown("read periods", ("open gate", "0 V"), "open gate"),
        t_e=slider("electrolyte t_e", dev0.t_e * 1e9, 2.0, 50.0, 1.0, "nm"),
        sigma_e=slider("electrolyte σ", dev0.sigma_e, -6, -3, 0.1, "S/m", log=True),
        t_ch=slider("channel t_ch", dev0.t_ch * 1e9, 5.0, 50.0, 1.0, "nm"),
    )

    def effective(v: dict) -> tuple:
        # the values the simulation depends on: the amplitude of the other drive mode, and the read condition
        # in current mode (the gate is driven by the current source then), change nothing and are greyed
        voltage = v["mode"] == "voltage"
        return (v["mode"], v["amplitude_v"] if voltage else v["amplitude_na"], v["width"], v["count"], v["interval"],
                v["polarity"], v["read"] if voltage else "open gate", v["t_e"], v["sigma_e"], v["t_ch"])

    @memo(32)      # per effective setting: going back to one answers at once
    def run(mode, amp, width, count, interval, polarity, read, t_e, sigma_e, t_ch):
        dev = dev0.replace(t_e=t_e * 1e-9, sigma_e=sigma_e, t_ch=t_ch * 1e-9)
        wf = design_waveform(mode, amp if mode == "voltage" else 1.0, amp if mode == "current" else 10.0, width,
                             count, interval, polarity, read)
        res = simulate(dev, wf, pts=pts)
        rows = res.pulses
        rel = relaxation(res, len(rows) - 1)
        up = [r["dG"] for r in rows if r["amplitude"] > 0]
        dn = [r["dG"] for r in rows if r["amplitude"] < 0]
        return res, readout_table({
            "ΔG per + pulse (retained, mean)": f"{np.mean(up) * 1e9:.1f} nS" if up else "–",
            "ΔG per − pulse (retained, mean)": f"{np.mean(dn) * 1e9:.1f} nS" if dn else "–",
            "energy per pulse (mean)": f"{np.mean([r['energy'] for r in rows]) * 1e12:.2f} pJ",
            "peak |V_gate|": f"{max(r['V_max'] for r in rows):.2f} V",
            "relaxation after last pulse": f"{100 * rel['fraction']:.0f} % (1/e time {rel['tau_1e'] * 1e3:.2g} ms)",
        })

    v0 = {k: w.value for k, w in controls.items()}
    fig = figure_widget(figure2(run(*effective(v0))[0]))
    readout = __import__("ipywidgets").HTML()
    drawn = {"key": None}

    def update():
        v = {k: w.value for k, w in controls.items()}
        # controls that do nothing in the current drive mode are greyed out, and moving them costs nothing
        controls["amplitude_v"].disabled = v["mode"] != "voltage"
        controls["read"].disabled = v["mode"] != "voltage"
        controls["amplitude_na"].disabled = v["mode"] != "current"
        key = effective(v)
        if key == drawn["key"]:
            return
        if not run.holds(*key):
            ex.busy("simulating the circuit")
        res, table_html = run(*key)
        _fill_figure2(fig, res)
        readout.value = table_html
        drawn["key"] = key

    presets = {
        "single pulse": dict(count=1, polarity="+", interval=0.1),
        "potentiation/depression train": dict(count=10, polarity="+ then −", interval=20e-3),
        "pulse pair": dict(count=2, polarity="+", interval=5e-3),
    }
    ex = Explorer(controls, [fig], update, readout=readout, title="Gate-pulse designer", presets=presets,
                  recompute=list(controls))     # each may re-simulate (an amplitude or the read only in its mode)
    ex.refresh()
    return ex


def parameter_table(name: str = "psg_wo3"):
    """The preset's parameters with their sources/assumption notes, as a DataFrame."""
    import pandas as pd
    check_choice("name", name, PRESET_NOTES)
    return pd.DataFrame([dict(parameter=k, source=v) for k, v in PRESET_NOTES[name].items()])


def table(rows, columns: dict):
    """A DataFrame of `rows` (list of dicts) with columns renamed/scaled:
    columns = {new_name: (key, factor)}."""
    import pandas as pd
    if not isinstance(rows, (list, tuple)) or not rows or not all(isinstance(r, dict) for r in rows):
        raise TypeError("rows must be a non-empty list of dicts")
    check_type("columns", columns, dict)
    if not columns:
        raise ValueError("columns must name at least one column")
    for new, spec in columns.items():
        if not (isinstance(spec, tuple) and len(spec) == 2 and all(spec[0] in r for r in rows)):
            raise ValueError(f"columns must map name -> (key in every row, factor); got {new!r}: {spec!r}")
        check_number("columns", spec[1])
    return pd.DataFrame([{new: r[key] * f for new, (key, f) in columns.items()} for r in rows])


def overlay_figure(res, spice_traces: dict, title: str = "our solver vs ngspice"):
    """Two panels: gate voltage and conductance against time, our solver (lines) and
    ngspice (dots)."""
    check_type("res", res, Result)
    check_type("spice_traces", spice_traces, dict)
    if not {"t", "V_gate", "G"} <= set(spice_traces):
        raise ValueError("spice_traces must be the dict of traces from run_ngspice (t, V_gate, G)")
    n = len(check_array("spice_traces['t']", spice_traces["t"], ndim=1))
    for k in ("V_gate", "G"):
        check_array(f"spice_traces[{k!r}]", spice_traces[k], ndim=1, shape=(n,))
    check_type("title", title, str)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    fig.update_layout(template=plotting.TEMPLATE_NAME, height=520, title=title)
    step = max(1, len(spice_traces["t"]) // 400)
    for row, (ours, theirs, scale) in enumerate((("V", "V_gate", 1.0), ("G", "G", 1e6)), start=1):
        fig.add_trace(go.Scatter(x=res.t, y=getattr(res, ours) * scale, mode="lines", name=f"{ours}: lab.synapse"),
                      row=row, col=1)
        fig.add_trace(go.Scatter(x=spice_traces["t"][::step], y=spice_traces[theirs][::step] * scale, mode="markers",
                                 marker=dict(size=4), name=f"{ours}: ngspice"), row=row, col=1)
    plotting.label_axes(fig, xaxis=plotting.label("time", "s"), xaxis2=plotting.label("time", "s"),
                        yaxis=plotting.label("V_gate", "V"), yaxis2=plotting.label("G", "µS"))
    return fig
