"""Electrochemical artificial synapses based on Mg²⁺ intercalation (M. Schwacke,
J. A. del Alamo, J. Li, B. Yildiz, MTL 2022), on top of the circuit model of `lab.synapse`.

Backs notebooks/10_mg_synapse.ipynb.

What this module adds to `lab.synapse`:
* Mg presets: valence z = 2, a Mg metal reservoir with a resistive interfacial phase
  (series resistance `R_int` plus a lower exchange current, i.e. extra overpotential), an
  MgI2 artificial-SEI variant without it, and a phase-convertible electrolyte (PCE, here
  with noticeable electronic leakage) against a NASICON-like electrolyte (100x lower
  electronic conductivity). A protonic comparison channel with out-diffusion.
* The Figure-1b protocol: 15 current pulses of +20 µA, 0.5 s, then 15 of -60 µA, 2.5 s
  open-gate reads between pulses.
* Device metrics of any pulse train, as the analog-AI literature defines them.

Every device number here is an ASSUMPTION (order of magnitude) unless marked otherwise:
the abstract gives the protocol, not the material parameters.
"""
from __future__ import annotations

import math

import numpy as np

from lab.core.checks import check_array, check_bool, check_choice, check_int, check_number, check_positive, check_type
from lab.core.claims import Measured
from lab.synapse import Device, Result, Waveform, pulse_train, simulate

SCALES = {
    # m channel segments, n_e electrolyte cells, pts samples per waveform segment,
    # t_hold [s]: retention hold time after programming
    "small": dict(m=10, n_e=1, pts=14, t_hold=200.0),
    "paper": dict(m=30, n_e=3, pts=40, t_hold=1000.0),
}

_AREA_SIDE = 1.5e-3  # m, ASSUMED mm-scale device (a 20 µA, 0.5 s pulse moves 10 µC)

# electronic conductivity of the electrolyte [S/m]: ASSUMED, PCE-like vs NASICON-like (100x lower)
ELECTRONIC_SIGMA = {"PCE": 1e-5, "NASICON": 1e-7}

BASE = Device(
    name="mg_wo3", z=2, W=_AREA_SIDE, L=_AREA_SIDE, R_s=10.0,
    t_e=1e-6, sigma_e=1e-2, eps_r=30.0, n_e=1,          # electrolyte: ASSUMED µm film, 1e-4 S/cm ionic
    i0_g=1.0, alpha_g=0.5, cdl_g=0.2,                    # Mg|electrolyte with SEI: ASSUMED
    i0_c=0.5, alpha_c=0.5, cdl_c=0.2,                    # electrolyte|WO3: ASSUMED
    t_ch=100e-9, D=3e-15, c_max=3.09e4, theta0=0.4,      # 100 nm WO3, one site per W (bound)
    g_int=0.2, m=10, sigma_ch=100.0, p_sigma=2.0, mu_es=0.0,
)
RESISTIVE_PHASE = dict(R_int=2e4, i0_g=0.02)  # ASSUMED: bare Mg with a resistive interfacial film

VARIANTS = ("PCE, bare Mg", "PCE + MgI2 SEI", "NASICON-like + SEI")


def _check_runs(name: str, runs) -> dict:
    check_type(name, runs, dict)
    if not runs or not all(isinstance(r, Result) for r in runs.values()):
        raise TypeError(f"{name} must map device names to simulated Results (at least one)")
    return runs


def leakage_resistance(sigma_el: float, device: Device = BASE) -> float:
    """Electronic leakage resistance [ohm] of the electrolyte: t_e / (sigma_el * A)."""
    sigma_el = check_positive("sigma_el", sigma_el)
    check_type("device", device, Device)
    return device.t_e / (sigma_el * device.area)


def device(variant: str = "NASICON-like + SEI", *, m: int = 10, n_e: int = 1, sigma_el: float | None = None,
           sei: bool | None = None) -> Device:
    """A Mg synapse. variant: one of VARIANTS; or give `sigma_el` [S/m] (electronic
    conductivity of the electrolyte) and `sei` (True: MgI2 SEI, no resistive phase)."""
    check_choice("variant", variant, VARIANTS)
    m = check_int("m", m, lo=1, hi=500)
    n_e = check_int("n_e", n_e, lo=1, hi=50)
    if sei is not None:
        sei = check_bool("sei", sei)
    if sigma_el is None:
        sigma_el = ELECTRONIC_SIGMA["NASICON" if variant.startswith("NASICON") else "PCE"]
    if sei is None:
        sei = "SEI" in variant
    changes = dict(m=m, n_e=n_e, R_e=leakage_resistance(sigma_el), name=variant)
    if not sei:
        changes.update(RESISTIVE_PHASE)
    return BASE.replace(**changes)


def proton_device(*, m: int = 10, n_e: int = 1, k_out: float = 1e-9) -> Device:
    """The protonic comparison: z = 1, faster diffusion, and out-diffusion of protons from
    the channel's far face (`k_out` [m/s], ASSUMED), otherwise the NASICON + SEI device."""
    k_out = check_number("k_out", k_out, lo=0.0)
    return device("NASICON-like + SEI", m=m, n_e=n_e).replace(z=1, D=3e-14, k_out=k_out, name="protonic")


def figure1b_protocol(up: float = 20e-6, down: float = -60e-6, width: float = 0.5, read: float = 2.5,
                      n: int = 15) -> Waveform:
    """The Figure-1b protocol: n pulses of `up` [A] then n of `down` [A], each `width` s,
    with a `read` s open-gate read after every pulse. Amplitudes within 1 mA (the paper's are tens of µA)."""
    up = check_number("up", up, lo=0.0, hi=1e-3, lo_open=True)
    down = check_number("down", down, lo=-1e-3, hi=0.0, hi_open=True)
    width = check_number("width", width, lo=0.0, hi=1e3, lo_open=True)
    read = check_number("read", read, lo=0.0, hi=1e4, lo_open=True)
    n = check_int("n", n, lo=1, hi=1000)
    return (pulse_train("current", up, width, n, read)
            + pulse_train("current", abs(down), width, n, read, polarity=[-1.0] * n))


def metrics(res: Result, *, dg_min: float | None = None) -> dict:
    """Device metrics of a pulse train (pulses with positive amplitude = potentiation).

    dynamic_range: G_max / G_min over the read values (after each pulse, and before the first);
    states: 1 + number of pulses whose retained |ΔG| >= dg_min (distinguishable steps);
    nonlinearity_up / _down: max |G_n - straight line between the train's ends| / range of
        the train (0 = perfectly linear update);
    asymmetry: | |ΣΔG_up| - |ΣΔG_down| | / (|ΣΔG_up| + |ΣΔG_down|) (0 = symmetric);
    coulombic_efficiency: Σ|inserted/extracted ionic charge| / Σ|gate charge| over the pulses;
    energy_per_pulse [J]; energy_per_state [J]: total energy / (Σ|ΔG| / dg_min);
    dg_min [S]: the read resolution used (default 0.5 % of the first G).
    """
    check_type("res", res, Result)
    rows = res.pulses
    if not rows:
        raise ValueError("res must contain at least one pulse")
    g_first = rows[0]["G_before"]
    dg_min = 0.005 * g_first if dg_min is None else check_positive("dg_min", dg_min)
    reads = np.array([g_first] + [r["G_read"] for r in rows])
    dg = np.array([r["dG"] for r in rows])
    up = np.array([r["amplitude"] > 0 for r in rows])

    def nonlin(mask):
        idx = np.flatnonzero(mask)
        if idx.size < 2:
            return float("nan")
        g = np.r_[rows[idx[0]]["G_before"], [rows[i]["G_read"] for i in idx]]
        line = np.linspace(g[0], g[-1], g.size)
        span = abs(g[-1] - g[0])
        return float(np.max(np.abs(g - line)) / span) if span > 0 else float("nan")

    s_up, s_dn = abs(dg[up].sum()), abs(dg[~up].sum())
    energy = np.array([r["energy"] for r in rows])
    q_ion = sum(abs(r["q_F"]) for r in rows)
    q_gate = sum(abs(r["q_gate"]) for r in rows)
    return dict(dynamic_range=float(reads.max() / reads.min()), states=int(1 + np.sum(np.abs(dg) >= dg_min)),
                nonlinearity_up=nonlin(up), nonlinearity_down=nonlin(~up),
                asymmetry=float(abs(s_up - s_dn) / (s_up + s_dn)) if s_up + s_dn > 0 else float("nan"),
                coulombic_efficiency=float(q_ion / q_gate), energy_per_pulse=float(energy.mean()),
                energy_per_state=float(energy.sum() / (np.abs(dg).sum() / dg_min)) if np.abs(dg).sum() > 0
                else math.inf, dg_min=float(dg_min), G_min=float(reads.min()), G_max=float(reads.max()))


def retention(dev: Device, *, t_hold: float = 200.0, n: int = 15, up: float = 20e-6, width: float = 0.5,
              read: float = 2.5, pts: int = 14) -> dict:
    """Program with n potentiation pulses (Figure-1b style), then leave the gate open for
    `t_hold` s (`up` in (0, 1 mA]: the paper's pulses are tens of µA, and the cell model's solver is not meant for
    amperes). Returns dict(t [s] from the end of programming, G [S], retention = fraction
    of the programmed ΔG left at t_hold, res)."""
    check_type("dev", dev, Device)
    t_hold = check_number("t_hold", t_hold, lo=0.0, hi=1e6, lo_open=True)
    n = check_int("n", n, lo=1, hi=1000)
    up = check_number("up", up, lo=0.0, hi=1e-3, lo_open=True)
    width = check_number("width", width, lo=0.0, hi=1e3, lo_open=True)
    read = check_number("read", read, lo=0.0, hi=1e4, lo_open=True)
    w = pulse_train("current", up, width, n, read, tail=t_hold)
    res = simulate(dev, w, pts=pts)
    t_end = res.pulses[-1]["end"]
    sel = res.t >= t_end
    g_prog = res.pulses[-1]["G_end"]
    g0 = res.pulses[0]["G_before"]
    return dict(t=res.t[sel] - t_end, G=res.G[sel], retention=float((res.G[-1] - g0) / (g_prog - g0)), res=res)


def figure1b(results: dict, title: str = "Figure 1b protocol: 15 × +20 µA, then 15 × −60 µA"):
    """Conductance against time for several simulated devices (name -> Result)."""
    _check_runs("results", results)
    check_type("title", title, str)
    import plotly.graph_objects as go
    from lab.core import plotting
    fig = plotting.figure(plotting.label("time", "s"), plotting.label("G", "µS"), title=title)
    for name, res in results.items():
        fig.add_trace(go.Scatter(x=res.t, y=res.G * 1e6, name=name, mode="lines"))
    return fig


def metrics_table(results: dict):
    """A DataFrame of `metrics` for several devices (name -> Result)."""
    _check_runs("results", results)
    import pandas as pd
    cols = {"dynamic_range": "Gmax/Gmin", "states": "states", "nonlinearity_up": "NL up",
            "nonlinearity_down": "NL down", "asymmetry": "asymmetry", "coulombic_efficiency": "Coulombic eff.",
            "energy_per_pulse": "energy/pulse [µJ]", "energy_per_state": "energy/state [µJ]"}
    rows = {}
    for name, res in results.items():
        mt = metrics(res)
        rows[name] = {v: mt[k] * (1e6 if "energy" in k else 1) for k, v in cols.items()}
    return pd.DataFrame(rows).T.astype({"states": int})


def explorer(pts: int = 10, m: int = 8):
    """Figure-1b designer: up/down pulse currents, width, read time, electrolyte electronic
    conductivity and the SEI on/off; shows the conductance trace and the metric table (one metric a
    row). Every control re-simulates the protocol (about half a second), memoised by the control values,
    so going back to a setting is instant; the status line says so while it simulates."""
    import plotly.graph_objects as go
    from lab.core import plotting
    from lab.core.widgets import Explorer, Memo, dropdown, readout_table, slider
    from ipywidgets import HTML
    pts = check_int("pts", pts, lo=1, hi=1000)
    m = check_int("m", m, lo=1, hi=500)
    controls = dict(
        up=slider("up current", 20.0, 1.0, 60.0, 1.0, "µA"),
        down=slider("down current", -60.0, -120.0, -1.0, 1.0, "µA"),
        width=slider("pulse width", 0.5, 0.1, 2.0, 0.1, "s"),
        read=slider("read time", 2.5, 0.5, 10.0, 0.5, "s"),
        sigma_el=slider("electronic σ", 1e-5, -8, -4, 0.25, "S/m", log=True),
        sei=dropdown("MgI2 SEI", ("on", "off"), "on"),
    )

    def run(up: float, down: float, width: float, read: float, sigma_el: float, sei: str) -> Result:
        dev = device(m=m, sigma_el=sigma_el, sei=sei == "on")
        return simulate(dev, figure1b_protocol(up * 1e-6, down * 1e-6, width, read), pts=pts)

    runs = Memo(run, maxsize=64)
    fig = plotting.widget_figure(plotting.label("time", "s"), plotting.label("G", "µS"), height=360)
    fig.add_trace(go.Scatter(x=[0.0], y=[0.0], mode="lines+markers", marker=dict(size=3), name="G"))
    readout = HTML()
    ex = None

    def update():
        v = {k: w.value for k, w in controls.items()}
        if not runs.holds(**v):
            ex.busy("simulating the Figure-1b protocol")
        res = runs(**v)
        fig.data[0].x, fig.data[0].y = res.t, res.G * 1e6
        # one metric per row (quantity, value): eight columns side by side ran past the figure column
        row = metrics_table({"this device": res}).iloc[0]
        readout.value = readout_table({str(k): (f"{v:.3g}" if isinstance(v, (int, float, np.floating, np.integer))
                                                else str(v)) for k, v in row.items()})

    ex = Explorer(controls, [fig], update, readout=readout, title="Mg synapse: Figure-1b designer",
                  recompute=tuple(controls),
                  presets={"PCE, bare Mg": dict(sigma_el=ELECTRONIC_SIGMA["PCE"], sei="off"),
                           "PCE + SEI": dict(sigma_el=ELECTRONIC_SIGMA["PCE"], sei="on"),
                           "NASICON-like + SEI": dict(sigma_el=ELECTRONIC_SIGMA["NASICON"], sei="on")})
    ex.refresh()
    return ex


# ----------------------------------------------------------------------------- claim helpers
def monotonic(res: Result) -> bool:
    """Whether every read value rises after a potentiation pulse and falls after a depression
    pulse (amplitude > 0 / < 0) of a simulated pulse train."""
    check_type("res", res, Result)
    if not res.pulses:
        raise ValueError("res must contain at least one pulse")
    return all((r["G_read"] > r["G_before"]) if r["amplitude"] > 0 else (r["G_read"] < r["G_before"])
               for r in res.pulses)


def claim_monotonic(runs: dict) -> Measured:
    """Figure 1b: whether the conductance moves monotonically over every pulse of each device's
    run (runs: name -> Result); number: the devices that do."""
    _check_runs("runs", runs)
    ok = {name: monotonic(r) for name, r in runs.items()}
    worst = {name: min(abs(p["G_read"] - p["G_before"]) for p in r.pulses) for name, r in runs.items()}
    return Measured(f"{sum(ok.values())} of {len(ok)} devices", all(ok.values()), number=float(sum(ok.values())),
                    note="smallest |ΔG| per pulse: " + ", ".join(f"{k} {v * 1e9:.3g} nS" for k, v in worst.items()) +
                         ". It could fail where the electronic leak carries the whole gate current (the stack "
                         "current changes sign when I·R_e falls below the interface voltages)")


def claim_spice_agreement(deviations: dict | None, limit: float = 0.01) -> Measured:
    """Our solver against ngspice: the largest relative deviation over the compared traces
    (`synapse.compare_with_spice`) [%]; holds below `limit` (fraction). None: ngspice absent."""
    limit = check_number("limit", limit, lo=0.0, hi=1.0, lo_open=True)
    if deviations is None:
        return Measured("ngspice absent", False, note="ngspice is not installed here (apt-get install ngspice)")
    check_type("deviations", deviations, dict)
    vals = check_array("deviations", list(deviations.values()), ndim=1)
    worst = float(vals.max())
    key = max(deviations, key=deviations.get)
    return Measured(round(100 * worst, 4), bool(worst < limit), note=f"largest in {key}; traces compared: "
                    + ", ".join(f"{k} {100 * v:.3g} %" for k, v in deviations.items()))


__all__ = ["SCALES", "BASE", "claim_monotonic", "claim_spice_agreement", "monotonic", "ELECTRONIC_SIGMA", "RESISTIVE_PHASE", "VARIANTS", "device", "explorer",
           "figure1b", "figure1b_protocol", "leakage_resistance", "metrics", "metrics_table", "proton_device",
           "retention"]
