"""Analysis of the synapse circuit (device.py): small-signal admittance (state space
and analytic element impedances), relaxation after a pulse and its predicted time
constants, pulse-pair interaction and the electrolyte design levers.

Part of notebooks/03_synapse.ipynb (the device model is device.py).
"""
from __future__ import annotations

import math

import numpy as np

from lab.core.claims import Measured
from lab.core.checks import (check_array, check_bool, check_choice, check_int, check_number,
                             check_type)
from .device import Device, Model, Result, at, simulate
from .waveforms import pulse_train

# ----------------------------------------------------------- small-signal analysis
def linearize(device: Device, y: np.ndarray | None = None, mode: str = "V", value: float = 0.0):
    """State-space (A, B, C, Dm) of the stack around state `y` (default: equilibrium),
    input the gate voltage [V] (mode "V"), output the gate current [A]; the four
    integrator states are dropped. Finite-difference B/C, analytic A."""
    check_type("device", device, Device)
    check_choice("mode", mode, ("V",))
    value = check_number("value", value, lo=-100.0, hi=100.0)
    mdl = Model(device)
    y = mdl.y0() if y is None else check_array("y", y, ndim=1, shape=(mdl.n,)).astype(float)
    ns = mdl.iq
    A = mdl.jac(0.0, y, mode, value)[:ns, :ns]
    h = 1e-6
    B = ((mdl.rhs(0, y, mode, value + h) - mdl.rhs(0, y, mode, value - h)) / (2 * h))[:ns, None]
    k = -1.0 / mdl.Rst
    C = np.zeros((1, ns))
    C[0, 0] = k
    C[0, 1:1 + mdl.N] = k
    C[0, mdl.ic] = k
    Dm = np.array([[1.0 / mdl.Rst + (1.0 / mdl.Re if mdl.Re != math.inf else 0.0)]])
    return A, B, C, Dm


def admittance_statespace(device: Device, omega) -> np.ndarray:
    """Small-signal gate admittance Y(j omega) [S] from the linearised state space."""
    omega = _omega("omega", omega)
    A, B, C, Dm = linearize(device)
    eye = np.eye(A.shape[0])
    return np.array([(C @ np.linalg.solve(1j * w * eye - A, B) + Dm)[0, 0] for w in omega])


def _omega(name, value):
    arr = np.atleast_1d(check_array(name, value, ndim=(0, 1), dtype_kind="fiu")).astype(float)
    if (arr <= 0).any() or (arr > 1e15).any():
        raise ValueError(f"{name} must be in (0, 1e15] [rad/s]")
    if arr.size > 100_000:
        raise ValueError(f"{name} must hold at most 100000 frequencies; got {arr.size}")
    return arr


def impedance_analytic(device: Device, omega, continuous: bool = False) -> np.ndarray:
    """Gate impedance Z(j omega) [ohm] of the linearised circuit at equilibrium, from the
    element impedances: R_s + Z_gate + N * Z_cell + Z_channel, in parallel with R_e.
    The channel diffusion is the discrete M-segment ladder, or (continuous=True) the
    finite-length reflecting Warburg element Z_W = R_d coth(sqrt(j w tau))/sqrt(j w tau)."""
    check_type("device", device, Device)
    w = _omega("omega", omega)
    continuous = check_bool("continuous", continuous)
    d, s = device, 1j * w
    mdl = Model(d)
    Rct_g = 1.0 / (mdl.I0g * mdl.fg)
    Rct_c = 1.0 / (mdl.I0c * mdl.fc)
    Zg = 1.0 / (s * mdl.Cg + 1.0 / Rct_g)
    Zcell = mdl.Rk / (1 + s * mdl.Rk * mdl.Ck)
    Cmu = mdl.Qseg / d.de_eq(d.theta0)      # chemical capacitance of one segment [F]
    Rseg = 1.0 / (mdl.kd * Cmu)             # ionic resistance between segments [ohm]
    if continuous:
        if d.k_out > 0:
            raise ValueError("continuous=True needs k_out == 0 (a reflecting far end)")
        Rd, Ct = d.m * Rseg, d.m * Cmu
        x = np.sqrt(s * Rd * Ct)
        Zw = Rd / (x * np.tanh(x))
    else:
        g_out = mdl.kout * Cmu                 # out-diffusion conductance of the far segment [S]
        Zw = 1.0 / (s * Cmu + g_out)
        for _ in range(d.m - 1):
            Zw = 1.0 / (s * Cmu + 1.0 / (Rseg + Zw))
    Zc = 1.0 / (s * mdl.Cc + 1.0 / (Rct_c + Zw))
    Zst = mdl.Rst + Zg + d.n_e * Zcell + Zc
    Y = 1.0 / Zst + (1.0 / mdl.Re if mdl.Re != math.inf else 0.0)
    return 1.0 / Y


# ------------------------------------------------------------------ measurements
def _e_fold(t, g):
    """Time [s] for g(t) - g(end) to fall to 1/e of its value at t[0] (interpolated)."""
    x = np.abs(g - g[-1])
    if x[0] <= 0:
        return float("nan")
    below = np.flatnonzero(x <= x[0] / math.e)
    if below.size == 0:
        return float("nan")
    j = int(below[0])
    if j == 0:
        return 0.0
    # log-linear interpolation between samples j-1 and j
    a, b = np.log(max(x[j - 1], 1e-300)), np.log(max(x[j], 1e-300))
    target = np.log(x[0] / math.e)
    frac = (a - target) / (a - b) if a != b else 1.0
    return float(t[j - 1] + frac * (t[j] - t[j - 1]) - t[0])


def _tail_tau(t, g, hi: float = 0.1, lo: float = 3e-3):
    """Late-time exponential time constant [s] of g(t) -> g(end): a straight-line fit of
    log|g - g_end| against t where the excess lies between `lo` and `hi` of its peak."""
    x = np.abs(g - g[-1])
    j = int(np.argmax(x))
    x, tt = x[j:], t[j:]
    sel = (x <= hi * x[0]) & (x >= lo * x[0])
    if sel.sum() < 3:
        return float("nan")
    slope = np.polyfit(tt[sel], np.log(x[sel]), 1)[0]
    return float(-1.0 / slope) if slope < 0 else float("nan")


def relaxation(res: Result, pulse: int = 0):
    """Relaxation of the conductance after pulse `pulse`, over the rest that follows it.

    Returns a dict with
      fraction: (G_end - G_final) / (G_end - G_before), the share of the pulse's
                conductance change that decays during the rest;
      tau_1e: the 1/e time [s] of the total decay G(t) - G_final;
      tau_fast: the 1/e time [s] of the electrostatic part G_es (double-layer discharge; its
                late tail follows the surface concentration, so the early decay is used);
      tau_slow: late-time constant [s] of the ionic part G_ion (diffusion into the bulk);
      share_es: the electrostatic part's share of the decaying change;
      theory_fast, theory_slow: the predictions of `relaxation_theory`.
    """
    check_type("res", res, Result)
    if not res.pulses or res.waveform is None or res.device is None:
        raise ValueError("res must be a Result of simulate with at least one pulse")
    pulse = check_int("pulse", pulse, lo=0, hi=len(res.pulses) - 1)
    row = res.pulses[pulse]
    edges = res.waveform.edges()
    k = int(np.flatnonzero(np.isclose(edges, row["end"]))[0])
    stop = edges[k + 1] if k + 1 < len(edges) else res.t[-1]
    b = at(res, row["end"], "right")
    e = at(res, stop, "left")
    t = res.t[b:e + 1]
    G, Ges, Gion = res.G[b:e + 1], res.G_es[b:e + 1], res.G_ion[b:e + 1]
    frac = (G[0] - G[-1]) / (row["G_end"] - row["G_before"])
    dec = G[0] - G[-1]
    th = relaxation_theory(res.device)
    return dict(fraction=float(frac), tau_1e=_e_fold(t, G), tau_fast=_e_fold(t, Ges),
                tau_slow=_tail_tau(t, Gion),
                share_es=float((Ges[0] - Ges[-1]) / dec) if dec != 0 else float("nan"),
                G_before=float(row["G_before"]), G_end=float(row["G_end"]), G_final=float(G[-1]),
                theory_fast=th["fast"], theory_slow=th["slow"])


def relaxation_theory(device: Device) -> dict:
    """Predicted relaxation time constants [s] of an open-gate device near equilibrium.

    fast: the channel double layer discharging through the charge-transfer resistance
          into the surface segment, R_ct,c * (C_dl,c series C_mu,1);
    slow: the flattening of the inserted profile. With sigma ~ theta**2 the ionic
          conductance excess is the sum of squared deviations, so it decays at twice the
          slowest diffusion rate: 1 / (2 * (D/dx^2) * (2 - 2 cos(pi/M))), which tends to
          t_ch^2 / (2 pi^2 D) for many segments.
    """
    check_type("device", device, Device)
    mdl = Model(device)
    rct = 1.0 / (mdl.I0c * mdl.fc)
    cmu1 = mdl.Qseg / device.de_eq(device.theta0)
    fast = rct * mdl.Cc * cmu1 / (mdl.Cc + cmu1)
    lam = mdl.kd * (2 - 2 * math.cos(math.pi / device.m)) if device.m > 1 else math.inf
    return dict(fast=fast, slow=1.0 / (2 * lam), slow_continuum=device.t_ch ** 2 / (2 * math.pi ** 2 * device.D))


def amplitude_for_dg(device: Device, target_dg: float, width: float, *, read: float = 0.1,
                     mode: str = "voltage", pts: int = 16, start: float = 0.5, xtol: float = 1e-2,
                     rtol: float = 1e-5):
    """The pulse amplitude (V in voltage mode, A in current mode) whose single pulse of
    `width` [s] leaves a conductance change `target_dg` [S] measured `read` s after it
    (open gate meanwhile). Brackets by doubling from `start`, then Brent's method to a
    relative tolerance `xtol` (solver tolerance `rtol`). Returns dict(amplitude, energy [J], dG [S], V_max [V])."""
    from scipy.optimize import brentq
    check_type("device", device, Device)
    target_dg = check_number("target_dg", target_dg, lo=0.0, hi=1.0, lo_open=True)
    width = check_number("width", width, lo=0.0, hi=10.0, lo_open=True)
    read = check_number("read", read, lo=0.0, hi=100.0, lo_open=True)
    check_choice("mode", mode, ("voltage", "current"))
    top = 100.0 if mode == "voltage" else 1.0  # the largest amplitude tried [V or A]
    start = check_number("start", start, lo=0.0, hi=top, lo_open=True)
    pts = check_int("pts", pts, lo=4, hi=10_000)
    xtol = check_number("xtol", xtol, lo=1e-8, hi=0.5)
    rtol = check_number("rtol", rtol, lo=1e-12, hi=1e-2)

    def row(a):
        try:
            return simulate(device, pulse_train(mode, a, width, 1, read), pts=pts, rtol=rtol).pulses[0]
        except RuntimeError as exc:
            raise ValueError(f"target_dg={target_dg:g} S: the solver failed at amplitude {a:g} ({exc})") from None

    lo, hi = 0.0, start
    while row(hi)["dG"] < target_dg:
        if hi >= top:
            raise ValueError(f"target_dg={target_dg:g} S is out of reach with amplitude <= {top:g}")
        lo, hi = hi, min(2 * hi, top)
    a = brentq(lambda x: row(x)["dG"] - target_dg, lo, hi, rtol=xtol, xtol=xtol * start * 1e-3)
    r = row(a)
    return dict(amplitude=float(a), energy=float(r["energy"]), dG=float(r["dG"]), V_max=float(r["V_max"]))


def design_levers(device: Device, target_dg: float, width: float, thickness=(), sigma=(), *,
                  pts: int = 16, xtol: float = 1e-2) -> list:
    """Gate voltage and energy per pulse for a target retained ΔG [S] at a fixed pulse
    width [s], for electrolyte thicknesses `thickness` [m] (at the device's conductivity)
    and conductivities `sigma` [S/m] (at the device's thickness).
    Returns one dict per variant: lever, t_e [m], sigma_e [S/m], R_ion [ohm], amplitude [V],
    energy [J]."""
    check_type("device", device, Device)
    rows = []
    for lever, name, values, hi in (("thickness", "thickness", thickness, 1e-4), ("conductivity", "sigma", sigma, 1e3)):
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__") or len(values) > 20:
            raise TypeError(f"{name} must be a sequence of at most 20 values")
        for v in values:
            v = check_number(name, v, lo=0.0, hi=hi, lo_open=True)
            dev = device.replace(t_e=v) if lever == "thickness" else device.replace(sigma_e=v)
            r = amplitude_for_dg(dev, target_dg, width, pts=pts, xtol=xtol)
            rows.append(dict(lever=lever, t_e=dev.t_e, sigma_e=dev.sigma_e, R_ion=dev.R_ion,
                             amplitude=r["amplitude"], energy=r["energy"], dG=r["dG"]))
    return rows


def pulse_pair(device: Device, amplitude: float, width: float, intervals, *, mode: str = "voltage",
               pts: int = 30, read: float = 0.1) -> dict:
    """Two identical pulses separated by each interval [s] (open gate in between).

    Returns arrays: interval [s], dG1 and dG2 [S] (the conductance rise during each pulse),
    ratio = dG2/dG1, and retained [S] (ΔG left `read` s after the second pulse)."""
    check_type("device", device, Device)
    iv = check_array("intervals", intervals, ndim=1, lo=0.0, hi=1e3)
    if (iv <= 0).any() or iv.size > 100:
        raise ValueError("intervals must be 1..100 values in (0, 1000] s")
    read = check_number("read", read, lo=0.0, hi=1e3, lo_open=True)
    amplitude = check_number("amplitude", amplitude, lo=-1e3, hi=1e3)
    dg1, dg2, kept = [], [], []
    for d in iv:
        w = pulse_train(mode, amplitude, width, 2, float(d), tail=read)
        rows = simulate(device, w, pts=pts).pulses
        dg1.append(rows[0]["dG_peak"])
        dg2.append(rows[1]["dG_peak"])
        kept.append(rows[1]["G_read"] - rows[0]["G_before"])
    dg1, dg2 = np.array(dg1), np.array(dg2)
    return dict(interval=iv.astype(float), dG1=dg1, dG2=dg2, ratio=dg2 / dg1, retained=np.array(kept))


# ------------------------------------------------------------------ claim helpers
def _check_relaxation(name: str, r) -> dict:
    check_type(name, r, dict)
    missing = {"fraction", "tau_fast", "tau_slow", "theory_slow"} - set(r)
    if missing:
        raise ValueError(f"{name} must be a `relaxation` result; missing {sorted(missing)}")
    return r


def claim_partial_relaxation(rel: dict) -> Measured:
    """The share of a pulse's conductance change that relaxes during the following open-gate
    rest [%], from `relaxation(...)`; holds when some but not all of it relaxes (5 % < share < 95 %)."""
    rel = _check_relaxation("rel", rel)
    f = float(rel["fraction"])
    if not math.isfinite(f):
        raise ValueError("rel['fraction'] must be finite")
    return Measured(round(100 * f, 1), bool(0.05 < f < 0.95),
                    note=f"the electrostatic part is {100 * rel.get('share_es', float('nan')):.0f} % of the decay; the "
                         "magnitude follows from assumed parameters (see the parameter table)")


def claim_relaxation_processes(base: dict, more_cdl: dict, more_d: dict) -> Measured:
    """Whether the two relaxation time constants follow the elements the model attributes them to:
    ×10 channel double-layer capacitance -> τ_fast ×5..15; ×10 diffusivity -> τ_slow ×0.07..0.15;
    τ_slow within 10 % of the diffusion theory; τ_fast unchanged (±30 %) by ×10 D.
    Arguments: `relaxation(...)` of the base device and of the two variants."""
    base = _check_relaxation("base", base)
    more_cdl = _check_relaxation("more_cdl", more_cdl)
    more_d = _check_relaxation("more_d", more_d)
    fast_ratio = more_cdl["tau_fast"] / base["tau_fast"]
    slow_ratio = more_d["tau_slow"] / base["tau_slow"]
    theory = base["tau_slow"] / base["theory_slow"]
    fast_d = more_d["tau_fast"] / base["tau_fast"]
    ok = bool(5 < fast_ratio < 15 and 0.07 < slow_ratio < 0.15 and abs(theory - 1) < 0.1 and abs(fast_d - 1) < 0.3)
    return Measured(f"τ_fast {base['tau_fast'] * 1e3:.3g} ms (×{fast_ratio:.1f}), "
                    f"τ_slow {base['tau_slow'] * 1e3:.3g} ms (×{slow_ratio:.2f})", ok,
                    note=f"τ_slow / diffusion theory = {theory:.3f}; τ_fast changes ×{fast_d:.2f} with ×10 D")


def claim_pulse_interaction(pp: dict, threshold: float = 0.05) -> Measured:
    """Whether the second pulse's ΔG relative to the first (from `pulse_pair`) differs by more
    than `threshold` between the shortest and the longest interval (number: that difference)."""
    check_type("pp", pp, dict)
    threshold = check_number("threshold", threshold, lo=0.0, hi=10.0, lo_open=True)
    ratio = check_array("pp['ratio']", pp.get("ratio"), ndim=1)
    iv = check_array("pp['interval']", pp.get("interval"), ndim=1, shape=(len(ratio),))
    if len(ratio) < 2:
        raise ValueError("pp must hold at least 2 intervals")
    diff = float(ratio[0] - ratio[-1])
    return Measured(f"ΔG₂/ΔG₁ = {ratio[0]:.3f} at {iv[0] * 1e3:g} ms, {ratio[-1]:.3f} at {iv[-1] * 1e3:g} ms",
                    bool(abs(diff) > threshold), number=diff,
                    note="the second pulse meets a still-enriched surface and a charged double layer")
