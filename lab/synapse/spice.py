"""SPICE export of the synapse circuit (device.py), and a batch ngspice runner, to
cross-validate our state-space solver against an independent circuit simulator.

Used by notebooks/10_mg_synapse.ipynb (the overlay of the two simulators is in views.py).

`to_spice(device, waveform)` writes an ngspice netlist of the same circuit:
R_s (+R_int), the gate interface (C_dl,g and a behavioural Butler-Volmer current source),
N electrolyte cells (R || C), the channel interface (C_dl,c and a behavioural BV source
whose overpotential subtracts E_eq of the surface concentration), the channel
diffusion line with node voltages equal to the inserted fractions theta_i (capacitors of
Q_seg farad per unit theta, resistors between them, the BV current injected into the
first node), the electronic leakage R_e and the out-diffusion conductance. A behavioural
voltage node `gout` carries the conductance G(t) in siemens. The drive is a PWL voltage
source (voltage waveforms; rests at a fixed gate voltage) or a PWL current source (current
waveforms; I = 0 = open gate between pulses), with `edge` rise/fall times.
"""
from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from lab.core.checks import check_array, check_number, check_positive, check_type
from lab.core.paths import build_dir
from .device import Device, Model, Result
from .waveforms import Waveform


def ngspice_path() -> str | None:
    """The ngspice executable, or None when it is not installed."""
    return shutil.which("ngspice")


_FILE_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


def _pwl(waveform: Waveform, edge: float) -> tuple[str, str]:
    """(kind, PWL points) of a waveform that is entirely voltage- or current-controlled; the
    PWL times are strictly increasing as written (12 significant digits)."""
    modes = {s.mode for s in waveform.segments}
    if modes == {"I"}:
        kind = "I"
    elif modes == {"V"}:
        kind = "V"
    else:
        raise ValueError("waveform must be all voltage-controlled (rest at a gate voltage, not open) or all "
                         "current-controlled for SPICE export; got a mix of modes")
    shortest = min(s.duration for s in waveform.segments)
    if not edge < shortest:
        raise ValueError(f"edge must be shorter than the shortest waveform segment ({shortest:g} s); got {edge:g} s")
    pts = [(0.0, waveform.segments[0].value)]
    t = 0.0
    for s in waveform.segments:
        if abs(s.value - pts[-1][1]) > 0:
            pts.append((t + edge, s.value))
        t += s.duration
        pts.append((t, s.value))
    text = [(f"{a:.12g}", f"{b:.12g}") for a, b in pts]
    times = [float(a) for a, _ in text]
    if any(b <= a for a, b in zip(times, times[1:])):
        raise ValueError(f"edge must be at least 1e-11 of the waveform duration ({waveform.duration:g} s) for the "
                         f"PWL times to stay increasing at 12 significant digits; got {edge:g} s")
    return kind, " ".join(f"{a} {b}" for a, b in text)


def to_spice(device: Device, waveform: Waveform, *, edge: float = 1e-9, tstep: float | None = None,
             out_file: str = "synapse_out.txt", reltol: float = 1e-6) -> str:
    """An ngspice netlist (str) of the stack under `waveform`, with a `.control` block that
    writes time, V(gate), V(channel-interface), V(theta_1) and G to `out_file` (wrdata).

    edge: PWL rise/fall time [s]; tstep: maximum time step [s] (default duration/2000).
    """
    check_type("device", device, Device)
    check_type("waveform", waveform, Waveform)
    if not waveform.segments:
        raise ValueError("waveform must have at least one segment")
    edge = check_positive("edge", edge)
    reltol = check_number("reltol", reltol, lo=1e-9, hi=1e-2)
    check_type("out_file", out_file, str)
    if not _FILE_RE.fullmatch(out_file):
        raise ValueError("out_file must be a plain file name (letters, digits, '_', '.', '-'; at most 100 "
                         f"characters; no path, space or control character); got {out_file!r}")
    m = Model(device)
    d = device
    T = waveform.duration
    tstep = T / 2000 if tstep is None else check_number("tstep", tstep, lo=0.0, hi=T, lo_open=True)
    kind, pwl = _pwl(waveform, edge)
    N, M = d.n_e, d.m
    f = 1.0 / d.vt
    t0 = d.theta0
    L = []
    name = "".join(ch if ch.isalnum() or ch in " _.,+-()" else "_" for ch in d.name)  # a comment, never a command
    L.append(f"* synapse stack exported from lab.synapse (device {name}, z={d.z})")
    if kind == "V":
        L.append(f"VG g 0 PWL({pwl})")
    else:
        L.append(f"IG 0 g PWL({pwl})")
    L.append(f"RS g n0 {m.Rst:.12g}")
    if m.Re != math.inf:
        L.append(f"RE g 0 {m.Re:.12g}")
    # gate interface n0 -> n1
    L.append(f"CDLG n0 n1 {m.Cg:.12g}")
    L.append(f"BFG n0 n1 I={m.I0g:.12g}*(exp({d.alpha_g * f:.12g}*V(n0,n1))"
             f"-exp({-(1 - d.alpha_g) * f:.12g}*V(n0,n1)))")
    prev = "n1"
    for k in range(N):
        nxt = f"e{k + 1}"
        L.append(f"RI{k + 1} {prev} {nxt} {m.Rk:.12g}")
        L.append(f"CG{k + 1} {prev} {nxt} {m.Ck:.12g}")
        prev = nxt
    # channel interface: prev -> 0 (the channel's electronic rail)
    lo, hi = d._EPS, 1 - d._EPS
    xc = f"min(max(V(th1),{lo:.6g}),{hi:.6g})"
    eeq = (f"({d.vt:.12g}*(ln({xc}/(1-{xc}))-({math.log(t0 / (1 - t0)):.12g}))+{d.g_int:.12g}*({xc}-{t0:.12g})"
           f"+({d.vt:.12g}/({xc}*(1-{xc}))+{d.g_int:.12g})*(V(th1)-{xc}))")
    L.append(f"BEQ eq 0 V={eeq}")
    L.append(f"CDLC {prev} 0 {m.Cc:.12g}")
    bv_c = (f"{m.I0c:.12g}*(exp(min(max({d.alpha_c * f:.12g}*(V({prev})-V(eq)),-60),60))"
            f"-exp(min(max({-(1 - d.alpha_c) * f:.12g}*(V({prev})-V(eq)),-60),60)))")
    L.append(f"BFC {prev} 0 I={bv_c}")
    # diffusion line: node voltage = theta
    L.append(f"BINS 0 th1 I={bv_c}")
    rseg = 1.0 / (m.kd * m.Qseg)
    for i in range(1, M + 1):
        L.append(f"CMU{i} th{i} 0 {m.Qseg:.12g}")
        if i < M:
            L.append(f"RD{i} th{i} th{i + 1} {rseg:.12g}")
    if d.k_out > 0:
        L.append(f"VENV env 0 DC {t0:.12g}")
        L.append(f"ROUT th{M} env {1.0 / (m.kout * m.Qseg):.12g}")
    # conductance G = W/L * [sum sigma(theta_i) dx + mu_es cdl_c eta]
    terms = "+".join(f"pwr(max(V(th{i}),0),{d.p_sigma:.12g})" for i in range(1, M + 1))
    L.append(f"BG gout 0 V={d.W / d.L * d.sigma_ch * m.dx / t0 ** d.p_sigma:.12g}*({terms})"
             f"+{d.W / d.L * d.mu_es * d.cdl_c:.12g}*(V({prev})-V(eq))")
    ics = " ".join(f"V(th{i})={t0:.12g}" for i in range(1, M + 1))
    L.append(f".ic {ics}")
    L.append(f".options reltol={reltol:g} abstol=1e-18 vntol=1e-9 chgtol=1e-20 method=gear maxord=2 itl4=200")
    L.append(f".tran {tstep:.6g} {T:.12g} 0 {tstep:.6g} uic")
    L.append(".control")
    L.append("set wr_singlescale")
    L.append("set wr_vecnames")
    L.append("option numdgt=12")
    L.append("run")
    L.append(f"wrdata {out_file} v(g) v({prev}) v(th1) v(gout)")
    L.append("quit")
    L.append(".endc")
    L.append(".end")
    return "\n".join(L) + "\n"


def run_ngspice(device: Device, waveform: Waveform, *, timeout: float = 300.0, **kwargs) -> dict:
    """Export, run `ngspice -b` in a temporary folder under build/spice/, and read the traces back.

    Returns dict of arrays: t [s], V_gate [V], v_c [V] (channel-interface voltage),
    theta1 [-], G [S]. timeout: (0, 3600] s. Raises RuntimeError when ngspice is absent, fails or does not
    finish within `timeout`."""
    check_type("device", device, Device)
    check_type("waveform", waveform, Waveform)
    timeout = check_number("timeout", timeout, lo=0.0, hi=3600.0, lo_open=True)
    if "out_file" in kwargs:
        raise TypeError("out_file is chosen by run_ngspice (the traces are read back from a temporary folder)")
    netlist = to_spice(device, waveform, out_file="out.txt", **kwargs)
    exe = ngspice_path()
    if exe is None:
        raise RuntimeError("ngspice is not installed (apt-get install ngspice)")
    with tempfile.TemporaryDirectory(dir=build_dir("spice")) as tmp:
        net = Path(tmp) / "synapse.cir"
        net.write_text(netlist)
        try:
            proc = subprocess.run([exe, "-b", str(net)], cwd=tmp, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"ngspice did not finish within timeout={timeout:g} s") from None
        out = Path(tmp) / "out.txt"
        if not out.is_file():
            raise RuntimeError(f"ngspice failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        data = np.loadtxt(out, skiprows=1)
    t, vg, vc, th1, g = data.T
    keep = np.concatenate([[True], np.diff(t) > 0])
    return dict(t=t[keep], V_gate=vg[keep], v_c=vc[keep], theta1=th1[keep], G=g[keep])


def compare_with_spice(res, spice: dict, *, skip_edges: float = 1e-5) -> dict:
    """Largest relative deviations between our `Result` and ngspice's traces, on our sample
    times away from the waveform edges (within `skip_edges` s): for the gate voltage and the
    channel-interface voltage relative to their peak magnitude, for theta_1 and G relative to
    their own values."""
    check_type("res", res, Result)
    check_type("spice", spice, dict)
    missing = {"t", "V_gate", "v_c", "theta1", "G"} - set(spice)
    if missing:
        raise ValueError(f"spice must be the dict of traces from run_ngspice; missing {sorted(missing)}")
    ts = check_array("spice['t']", spice["t"], ndim=1, min_size=2)
    for k in ("V_gate", "v_c", "theta1", "G"):
        check_array(f"spice[{k!r}]", spice[k], ndim=1, shape=(len(ts),))
    skip_edges = check_number("skip_edges", skip_edges, lo=0.0, hi=1.0)
    t = res.t
    if res.waveform is None:
        raise ValueError("res must be a Result of simulate (with its device, waveform and states)")
    if np.any(np.diff(ts) <= 0):
        raise ValueError("spice['t'] must be strictly increasing")
    edges = res.waveform.edges()
    ok = np.min(np.abs(t[:, None] - edges[None, :]), axis=1) > skip_edges
    ok &= (t >= spice["t"][0]) & (t <= spice["t"][-1])
    if res.device is None or res.waveform is None or res.states is None:
        raise ValueError("res must be a Result of simulate (with its device, waveform and states)")
    if not ok.any():
        raise ValueError("spice must cover our sample times away from the edges (its t does not overlap res.t)")
    ic = Model(res.device).ic
    ours = dict(V_gate=res.V, v_c=res.states[:, ic], theta1=res.theta[:, 0], G=res.G)
    out = {}
    for k, y in ours.items():
        ys = np.interp(t[ok], spice["t"], spice[k])
        if k in ("G", "theta1"):
            out[k] = float(np.max(np.abs(ys - y[ok]) / np.abs(y[ok])))
        else:
            out[k] = float(np.max(np.abs(ys - y[ok])) / max(np.max(np.abs(y[ok])), 1e-30))
    return out

