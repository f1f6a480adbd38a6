"""Cross-validation of lab.synapse against ngspice (lab.synapse.spice): node voltages and G(t)
within 1 % for a voltage pulse and a current pulse train."""
import numpy as np
import pytest

from lab import mg_synapse as mg
from lab.synapse import spice
from lab import synapse as s

needs_ngspice = pytest.mark.skipif(spice.ngspice_path() is None,
                                   reason="ngspice is not installed (apt-get install ngspice); "
                                          "the SPICE cross-check cannot run")


def test_netlist_text():
    d = s.preset(m=4, n_e=2, R_e=1e9, k_out=1e-9)
    net = spice.to_spice(d, s.pulse_train("current", 1e-8, 1e-3, 2, 1e-3))
    assert net.startswith("*") and net.rstrip().endswith(".end")
    for part in ("IG 0 g PWL(", "RE g 0", "BFG n0 n1 I=", "BFC e2 0 I=", "BINS 0 th1", "CMU4 th4 0",
                 "ROUT th4 env", "BG gout 0 V=", ".ic V(th1)=", "wrdata"):
        assert part in net, part
    assert "nan" not in net.lower() and "inf" not in net.lower()


def test_netlist_rejects_mixed_modes():
    w = s.pulse_train("voltage", 1.0, 1e-3, 1, 1e-3)  # open-gate rest = current mode
    with pytest.raises(ValueError, match="waveform"):
        spice.to_spice(s.preset(), w)
    with pytest.raises(ValueError, match="edge"):
        spice.to_spice(s.preset(), s.pulse_train("current", 1e-8, 1e-3), edge=0.0)


@needs_ngspice
def test_voltage_pulse_matches_ngspice():
    d = s.preset(m=12, n_e=2, R_e=5e8)
    w = s.pulse_train("voltage", 1.0, 1e-3, 1, 5e-3, rest=0.0, lead=1e-3)
    res = s.simulate(d, w, pts=60, rtol=1e-8)
    dev = spice.compare_with_spice(res, spice.run_ngspice(d, w))
    assert max(dev.values()) < 0.01, dev


@needs_ngspice
def test_current_pulse_train_matches_ngspice():
    d = mg.device("PCE + MgI2 SEI", m=8)
    w = mg.figure1b_protocol(n=2, read=1.0)
    res = s.simulate(d, w, pts=40, rtol=1e-8)
    dev = spice.compare_with_spice(res, spice.run_ngspice(d, w))
    assert max(dev.values()) < 0.01, dev


def test_determinism_of_the_netlist():
    d = s.preset(m=5)
    w = s.pulse_train("current", 1e-8, 1e-3, 3, 1e-3)
    assert spice.to_spice(d, w) == spice.to_spice(d, w)
    assert np.isfinite(d.q_ref)


def test_netlist_is_safe_and_its_times_increase():
    d = s.preset(m=4)
    w = s.pulse_train("current", 1e-8, 1e-3, 2, 1e-3)
    for name in ("out.txt\nshell rm -rf /", "a b.txt", "../x.txt", "x\x00.txt"):
        with pytest.raises(ValueError, match="out_file"):
            spice.to_spice(d, w, out_file=name)
    with pytest.raises(ValueError, match="name"):
        s.preset().replace(name="psg\n.control\nshell ls")
    with pytest.raises(ValueError, match="edge"):
        spice.to_spice(d, w, edge=1e3)
    net = spice.to_spice(d, w, edge=1e-4)
    pwl = net.split("PWL(")[1].split(")")[0].split()
    times = [float(t) for t in pwl[::2]]
    assert all(b > a for a, b in zip(times, times[1:]))
    assert all(ord(ch) >= 32 for line in net.splitlines() for ch in line)
