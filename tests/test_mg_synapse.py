"""Unit tests of lab.mg_synapse: presets, the Figure-1b protocol, device metrics."""
import math

import numpy as np
import pytest

from lab import mg_synapse as mg
from lab import synapse as s


def test_scales_and_presets():
    assert "small" in mg.SCALES
    d = mg.device("PCE, bare Mg")
    assert d.z == 2 and d.R_int > 0
    assert mg.device("PCE + MgI2 SEI").R_int == 0
    assert mg.device("NASICON-like + SEI").R_e == pytest.approx(100 * mg.device("PCE + MgI2 SEI").R_e)
    h = mg.proton_device()
    assert h.z == 1 and h.k_out > 0
    assert mg.leakage_resistance(1e-5) == pytest.approx(mg.BASE.t_e / (1e-5 * mg.BASE.area))


def test_figure1b_protocol_shape():
    w = mg.figure1b_protocol()
    pulses = [seg for seg in w.segments if seg.kind == "pulse"]
    assert len(pulses) == 30 and w.duration == pytest.approx(30 * 3.0)
    assert [p.value for p in pulses[:15]] == [20e-6] * 15 and [p.value for p in pulses[15:]] == [-60e-6] * 15
    assert all(seg.mode == "I" for seg in w.segments)


def _toy_result(g_reads, amps, q_f, q_gate, energy):
    """A Result with only the pulse table filled, for metric arithmetic."""
    rows, g_prev = [], 1.0
    for g, a, qf, qg, e in zip(g_reads, amps, q_f, q_gate, energy):
        rows.append(dict(G_before=g_prev, G_read=g, dG=g - g_prev, amplitude=a, q_F=qf, q_gate=qg, energy=e))
        g_prev = g
    z = np.zeros(1)
    r = s.Result(*(z,) * 15)
    r.pulses = rows
    return r


def test_metrics_known_answers():
    # linear up by 0.1 x3, then down by 0.1 x3: symmetric, linear
    r = _toy_result([1.1, 1.2, 1.3, 1.2, 1.1, 1.0], [1, 1, 1, -1, -1, -1], [1, 1, 1, -1, -1, -1],
                    [2, 2, 2, -2, -2, -2], [1.0] * 6)
    m = mg.metrics(r, dg_min=0.05)
    assert m["dynamic_range"] == pytest.approx(1.3)
    assert m["states"] == 7
    assert m["nonlinearity_up"] == pytest.approx(0, abs=1e-12)
    assert m["asymmetry"] == pytest.approx(0, abs=1e-12)
    assert m["coulombic_efficiency"] == pytest.approx(0.5)
    assert m["energy_per_state"] == pytest.approx(6.0 / (0.6 / 0.05))
    # a saturating up-train is nonlinear; unequal up/down sums are asymmetric
    r2 = _toy_result([1.2, 1.3, 1.35, 1.25], [1, 1, 1, -1], [1] * 4, [1] * 4, [1.0] * 4)
    m2 = mg.metrics(r2, dg_min=0.15)
    assert m2["nonlinearity_up"] == pytest.approx((1.2 - (1 + 0.35 / 3)) / 0.35)
    assert m2["asymmetry"] == pytest.approx((0.35 - 0.1) / 0.45)
    assert m2["states"] == 1 + 1


def test_leakage_and_sei_move_the_metrics():
    w = mg.figure1b_protocol(20e-6, -20e-6, n=3, read=1.0)
    res = {v: s.simulate(mg.device(v, m=6), w, pts=8) for v in mg.VARIANTS}
    m = {v: mg.metrics(r) for v, r in res.items()}
    assert m["NASICON-like + SEI"]["coulombic_efficiency"] > m["PCE + MgI2 SEI"]["coulombic_efficiency"]
    assert m["NASICON-like + SEI"]["coulombic_efficiency"] > 0.99
    vmax = {v: max(p["V_max"] for p in r.pulses) for v, r in res.items()}
    assert vmax["PCE, bare Mg"] > 2 * vmax["PCE + MgI2 SEI"]


def test_retention_mg_vs_protons():
    mg_r = mg.retention(mg.device(m=6), t_hold=50.0, n=3, pts=8)
    h_r = mg.retention(mg.proton_device(m=6), t_hold=50.0, n=3, pts=8)
    assert 0.9 < mg_r["retention"] <= 1.01
    assert h_r["retention"] < mg_r["retention"] - 0.1


def test_bad_inputs():
    with pytest.raises(ValueError, match="variant"):
        mg.device("graphite")
    with pytest.raises(ValueError, match="up"):
        mg.figure1b_protocol(up=-1e-6)
    with pytest.raises(ValueError, match="down"):
        mg.figure1b_protocol(down=1e-6)
    with pytest.raises(ValueError, match="n must"):
        mg.figure1b_protocol(n=0)
    with pytest.raises(ValueError, match="sigma_el"):
        mg.leakage_resistance(0.0)
    with pytest.raises(ValueError, match="t_hold"):
        mg.retention(mg.device(), t_hold=-1.0)
    with pytest.raises(ValueError, match="k_out"):
        mg.proton_device(k_out=float("nan"))
    assert math.isfinite(mg.device().R_e)


def test_determinism_of_metrics():
    w = mg.figure1b_protocol(n=2, read=0.5)
    a = mg.metrics(s.simulate(mg.device(m=5), w, pts=6))
    b = mg.metrics(s.simulate(mg.device(m=5), w, pts=6))
    assert a == b
