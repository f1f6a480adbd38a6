"""Unit tests of lab.synapse (device, waveforms, analysis, views): known limits,
conservation, bad inputs and determinism."""
import math

import numpy as np
import pytest
from scipy.linalg import expm
from scipy.optimize import approx_fprime

from lab import synapse as s
from lab import synapse as sa
from lab.synapse.device import Model


@pytest.fixture(scope="module")
def dev():
    return s.preset(m=16, n_e=2)


def test_scales():
    assert "small" in s.SCALES and "paper" in s.SCALES


def test_analytic_jacobian_matches_finite_differences(dev):
    rng = np.random.default_rng(0)
    for mode, val, re in (("V", 0.7, math.inf), ("V", -0.4, 1e8), ("I", 1e-8, math.inf), ("I", -2e-8, 1e8)):
        m = Model(dev.replace(R_e=re, k_out=1e-9))
        y = m.y0()
        y[:m.ith.start] += rng.normal(0, 0.1, m.ith.start)
        y[m.ith] += rng.uniform(0, 0.05, dev.m)
        J = m.jac(0, y, mode, val)
        Jn = np.array([approx_fprime(y, lambda yy, i=i: m.rhs(0, yy, mode, val)[i], 1e-8) for i in range(m.n)])
        assert np.max(np.abs(J - Jn)) <= 1e-5 * np.max(np.abs(J))


@pytest.mark.parametrize("r_e,k_out", [(math.inf, 0.0), (3e8, 0.0), (math.inf, 1e-9)])
def test_small_signal_admittance_matches_element_impedances(dev, r_e, k_out):
    d = dev.replace(R_e=r_e, k_out=k_out)
    w = np.logspace(-1, 8, 40)
    y_ss = sa.admittance_statespace(d, w)
    y_an = 1.0 / sa.impedance_analytic(d, w)
    assert np.max(np.abs(y_ss - y_an) / np.abs(y_an)) < 1e-6


def test_discrete_ladder_tends_to_finite_length_warburg():
    d = s.preset(m=400, n_e=1)
    w = np.logspace(-1, 4, 30)  # well below the segment frequency
    z_d = sa.impedance_analytic(d, w)
    z_c = sa.impedance_analytic(d, w, continuous=True)
    assert np.max(np.abs(z_d - z_c) / np.abs(z_c)) < 0.01
    # reflecting end: capacitive at low frequency, Warburg (45 degrees) in between
    d1 = s.preset()
    z = sa.impedance_analytic(d1.replace(i0_c=1e6, cdl_c=1e-6), np.array([1e-3]), continuous=True)
    assert np.angle(z[0], deg=True) < -85


def test_time_domain_step_matches_linearised_state_space(dev):
    """A 1 mV voltage step: the nonlinear solver's gate current equals the linear
    state-space step response (exact matrix exponential) within 1 %."""
    a = 1e-3
    res = s.simulate(dev, s.Waveform((s.Segment(5e-3, "V", a, "pulse", 0),)), pts=40, rtol=1e-9)
    A, B, C, Dm = sa.linearize(dev)
    t = res.t[res.t > 2e-5]
    Ainv_B = np.linalg.solve(A, B)
    i_lin = np.array([(C @ (expm(A * tk) - np.eye(A.shape[0])) @ Ainv_B)[0, 0] * a + Dm[0, 0] * a for tk in t])
    i_nl = res.I_gate[res.t > 2e-5]
    assert np.max(np.abs(i_nl - i_lin)) < 0.01 * np.max(np.abs(i_lin))


def test_stiff_solvers_agree(dev):
    w = s.pulse_train("current", 1e-8, 1e-3, 2, 3e-3, polarity=[1, -1])
    runs = {m: s.simulate(dev, w, pts=20, method=m) for m in ("LSODA", "BDF", "Radau")}
    for m in ("BDF", "Radau"):
        assert np.allclose(runs[m].G, runs["LSODA"].G, rtol=1e-5)
        assert np.allclose(runs[m].V, runs["LSODA"].V, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="method"):
        s.simulate(dev, w, method="Euler")


def test_charge_conservation(dev):
    w = s.pulse_train("voltage", 1.0, 1e-3, 2, 5e-3, polarity=[1, -1])
    r = s.simulate(dev, w, pts=200)
    # integrated Faraday current = inserted charge from the profile
    assert np.allclose(r.q_F, r.q_inserted, rtol=1e-6, atol=1e-6 * np.abs(r.q_F).max())
    trap = np.concatenate([[0], np.cumsum(0.5 * (r.I_F[1:] + r.I_F[:-1]) * np.diff(r.t))])
    assert abs(trap[-1] - r.q_inserted[-1]) < 0.02 * np.abs(r.q_inserted).max()
    # KCL at the channel interface: stack charge = Faradaic charge + double-layer charge
    m = Model(dev)
    v_c = r.states[:, m.ic]
    assert np.allclose(r.q_stack, r.q_F + m.Cc * v_c, atol=1e-4 * np.abs(r.q_stack).max())
    # current mode without leakage: the gate charge is exactly I * width
    r2 = s.simulate(dev, s.pulse_train("current", 1e-8, 2e-3, 1, 5e-3), pts=40)
    assert r2.pulses[0]["q_gate"] == pytest.approx(2e-11, rel=1e-6)


def test_directions_and_leakage(dev):
    for mode, amp in (("voltage", 1.0), ("current", 1e-8)):
        up = s.simulate(dev, s.pulse_train(mode, amp, 1e-3, 1, 20e-3)).pulses[0]
        dn = s.simulate(dev, s.pulse_train(mode, -amp, 1e-3, 1, 20e-3)).pulses[0]
        assert up["dG"] > 0 > dn["dG"]
    # leakage steals gate current: less inserted charge for the same gate charge
    leak = s.simulate(dev.replace(R_e=2e7), s.pulse_train("current", 1e-8, 1e-3, 1, 20e-3)).pulses[0]
    ok = s.simulate(dev, s.pulse_train("current", 1e-8, 1e-3, 1, 20e-3)).pulses[0]
    assert leak["q_gate"] == pytest.approx(ok["q_gate"], rel=1e-6)
    assert leak["q_stack"] < 0.9 * ok["q_stack"]


def test_relaxation_time_constants_follow_the_elements(dev):
    base = sa.relaxation(s.simulate(dev, s.pulse_train("voltage", 1.0, 1e-3, 1, 0.3), pts=100))
    assert 0.1 < base["fraction"] < 1.0
    assert base["tau_slow"] == pytest.approx(base["theory_slow"], rel=0.1)
    fastD = sa.relaxation(s.simulate(dev.replace(D=10 * dev.D), s.pulse_train("voltage", 1.0, 1e-3, 1, 0.3),
                                     pts=100))
    assert fastD["tau_slow"] == pytest.approx(base["tau_slow"] / 10, rel=0.15)
    bigC = sa.relaxation(s.simulate(dev.replace(cdl_c=10 * dev.cdl_c), s.pulse_train("voltage", 1.0, 1e-3, 1, 0.3),
                                    pts=100))
    assert 5 < bigC["tau_fast"] / base["tau_fast"] < 15


def test_waveform_building():
    w = s.pulse_train("voltage", 2.0, 1e-3, 3, 4e-3, polarity=[1, -1, 1], rest=0.0, lead=1e-3)
    assert w.n_pulses == 3 and w.duration == pytest.approx(1e-3 + 3 * 5e-3)
    assert [seg.value for seg in w.segments if seg.kind == "pulse"] == [2.0, -2.0, 2.0]
    both = w + s.pulse_train("current", 1e-8, 1e-3, 2, 1e-3)
    assert [seg.pulse for seg in both.segments if seg.kind == "pulse"] == [0, 1, 2, 3, 4]


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="width"):
        s.pulse_train("voltage", 1.0, -1e-3)
    with pytest.raises(ValueError, match="amplitude"):
        s.pulse_train("voltage", float("nan"), 1e-3)
    with pytest.raises(ValueError, match="amplitude"):
        s.pulse_train("voltage", float("inf"), 1e-3)
    with pytest.raises(ValueError, match="count"):
        s.pulse_train("voltage", 1.0, 1e-3, count=0)
    with pytest.raises(ValueError, match="polarity"):
        s.pulse_train("voltage", 1.0, 1e-3, count=2, polarity=[1])
    with pytest.raises(ValueError, match="mode"):
        s.pulse_train("magnetic", 1.0, 1e-3)
    with pytest.raises(ValueError, match="rest"):
        s.pulse_train("current", 1e-8, 1e-3, rest=0.0)
    with pytest.raises(ValueError, match="m must"):
        s.preset(m=0)
    with pytest.raises(ValueError, match="n_e"):
        s.preset(n_e=0)
    with pytest.raises(ValueError, match="R_e"):
        s.preset(R_e=-1.0)
    with pytest.raises(ValueError, match="D must"):
        s.preset(D=0.0)
    with pytest.raises(ValueError, match="unknown Device parameter"):
        s.preset(colour=3)
    with pytest.raises(ValueError, match="name"):
        s.preset("graphene")
    with pytest.raises(TypeError, match="device"):
        s.simulate("psg", s.pulse_train())
    with pytest.raises(ValueError, match="waveform"):
        s.simulate(s.preset(), s.Waveform(()))
    with pytest.raises(ValueError, match="omega"):
        sa.impedance_analytic(s.preset(), [-1.0])
    with pytest.raises(ValueError, match="intervals"):
        sa.pulse_pair(s.preset(), 1.0, 1e-3, [0.0])


def test_determinism_same_inputs_same_numbers(dev):
    w = s.pulse_train("voltage", 1.0, 1e-3, 3, 5e-3, polarity=[1, 1, -1])
    a, b = s.simulate(dev, w, pts=20), s.simulate(dev, w, pts=20)
    for k in ("t", "V", "I_gate", "I_F", "G", "q_F", "energy"):
        assert np.array_equal(getattr(a, k), getattr(b, k))
    assert a.pulses == b.pulses


def test_views(build_tmp, dev):
    v = s
    from lab.core.plotting import unlabelled_axes
    p = v.schematic(fmt="svg")
    assert p.is_file() and p.stat().st_size > 1000 and str(p).startswith(str(build_tmp))
    fig = v.figure2(s.simulate(dev, s.pulse_train("voltage", 1.0, 1e-3, 1, 5e-3), pts=20))
    assert not unlabelled_axes(fig)
    ex = v.explorer(dev, pts=12)
    before = ex.snapshot()[0].to_dict()["data"]
    ex.set(mode="current", count=2)
    assert ex.snapshot()[0].to_dict()["data"] != before
    assert "energy per pulse" in ex.readout.value


def test_explorer_greys_out_what_the_mode_ignores():
    ex = s.explorer()
    c = ex.controls
    assert not c["amplitude_v"].disabled and c["amplitude_na"].disabled
    ex.set(mode="current")
    assert c["amplitude_v"].disabled and c["read"].disabled and not c["amplitude_na"].disabled
    ex.reset()
    assert c["mode"].value == "voltage" and not c["amplitude_v"].disabled
