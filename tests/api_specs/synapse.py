"""Valid, fast calls of lab.synapse's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import numpy as np

from lab import mg_synapse as mg
from lab import synapse as T

DEV = T.preset(m=4, n_e=1)


def _wave():
    return T.pulse_train("voltage", 1.0, 1e-3, 2, 5e-3)


@lru_cache(maxsize=1)
def _res():
    return T.simulate(DEV, _wave(), pts=8)


@lru_cache(maxsize=1)
def _rel():
    return T.relaxation(_res(), 0)


@lru_cache(maxsize=1)
def _pp():
    return T.pulse_pair(DEV, 1.0, 1e-3, [2e-3, 20e-3], pts=8)


SP_DEV = mg.device("PCE + MgI2 SEI", m=3)
SP_WAVE = mg.figure1b_protocol(n=1, read=0.5)


@lru_cache(maxsize=1)
def _sp_res():
    return T.simulate(SP_DEV, SP_WAVE, pts=10, rtol=1e-8)


@lru_cache(maxsize=1)
def _sp():
    return T.run_ngspice(SP_DEV, SP_WAVE)


SPECS = {
    "Device": lambda: dict(name="d", z=1, T=300.0, W=5e-6, L=5e-6, R_s=1e4, R_int=0.0, R_e=1e9, i0_g=30.0,
                           alpha_g=0.5, cdl_g=0.1, t_e=10e-9, sigma_e=1e-5, eps_r=4.0, n_e=2, i0_c=30.0, alpha_c=0.5,
                           cdl_c=0.1, t_ch=20e-9, D=1e-15, c_max=3.09e4, theta0=0.05, g_int=0.0, m=4, sigma_ch=100.0,
                           p_sigma=2.0, mu_es=1e-4, k_out=0.0),
    "Segment": lambda: dict(duration=1e-3, mode="V", value=1.0, kind="pulse", pulse=0),
    "Waveform": lambda: dict(segments=(T.Segment(1e-3, "V", 1.0, "pulse", 0), T.Segment(1e-3, "I", 0.0))),
    "admittance_statespace": lambda: dict(device=DEV, omega=np.logspace(0, 6, 5)),
    "amplitude_for_dg": lambda: dict(device=DEV, target_dg=2e-7, width=1e-3, read=0.02, mode="voltage", pts=8,
                                     start=0.5, xtol=0.05, rtol=1e-5),
    "claim_partial_relaxation": lambda: dict(rel=_rel()),
    "claim_pulse_interaction": lambda: dict(pp=_pp(), threshold=0.05),
    "claim_relaxation_processes": lambda: dict(base=_rel(), more_cdl=_rel(), more_d=_rel()),
    "compare_with_spice": lambda: dict(res=_sp_res(), spice=_sp(), skip_edges=1e-5),
    "design_levers": lambda: dict(device=DEV, target_dg=2e-7, width=1e-3, thickness=[5e-9], sigma=[2e-5], pts=8,
                                  xtol=0.05),
    "design_waveform": lambda: dict(mode="voltage", amplitude_v=1.0, amplitude_na=10.0, width=1e-3, count=2,
                                    interval=5e-3, polarity="+ then −", read="open gate", lead=1e-3),
    "figure2": lambda: dict(res=_res(), t_unit="ms"),
    "impedance_analytic": lambda: dict(device=DEV, omega=np.logspace(0, 6, 5), continuous=False),
    "linearize": lambda: dict(device=DEV, y=None, mode="V", value=0.0),
    "ngspice_path": lambda: dict(),
    "overlay_figure": lambda: dict(res=_sp_res(), spice_traces=_sp(), title="t"),
    "parameter_table": lambda: dict(name="psg_wo3"),
    "preset": lambda: dict(name="psg_wo3", m=8, D=2e-15),
    "pulse_pair": lambda: dict(device=DEV, amplitude=1.0, width=1e-3, intervals=np.array([2e-3, 20e-3]),
                               mode="voltage", pts=8, read=0.02),
    "pulse_train": lambda: dict(mode="voltage", amplitude=1.0, width=1e-3, count=2, interval=5e-3,
                                polarity=[1.0, -1.0], rest=0.0, lead=1e-3, tail=5e-3),
    "relaxation": lambda: dict(res=_res(), pulse=1),
    "relaxation_theory": lambda: dict(device=DEV),
    "run_ngspice": lambda: dict(device=SP_DEV, waveform=SP_WAVE, timeout=120.0, edge=1e-6, reltol=1e-6),
    "schematic": lambda: dict(n_e=2, fmt="svg", path=None),
    "simulate": lambda: dict(device=DEV, waveform=_wave(), pts=8, rtol=1e-6, y0=None, first_step_rel=None,
                             method="LSODA"),
    "table": lambda: dict(rows=[dict(a=1.0, b=2.0)], columns={"A [x]": ("a", 2.0)}),
    "to_spice": lambda: dict(device=DEV, waveform=T.pulse_train("current", 1e-8, 1e-3, 2, 1e-3), edge=1e-9,
                             tstep=None, out_file="out.txt", reltol=1e-6),
    "xy_figure": lambda: dict(x=np.arange(3.0), ys={"a": np.arange(3.0)}, x_label="x [s]", y_label="y [V]",
                              title="t", log_x=False, mode="lines"),
}
SKIP = {
    "explorer": "widget; driven by notebook 03's explorer-check cell and tests/test_synapse.py::test_views",
    "Result": "a record filled by simulate; every helper that reads it checks its type",
}
FINITE_EXEMPT = {"Device": "R_e = math.inf is the documented value for no electronic leakage",
                 "preset": "the psg_wo3 preset has R_e = math.inf (no electronic leakage)",
                 "simulate": "the Result holds its Device, whose R_e = math.inf is the documented no-leakage value",
                 "relaxation": "the answer holds the Result and so its Device (R_e = math.inf, no leakage)"}
EDGE_EXEMPT = {
    "run_ngspice(timeout)": "a timeout too short for ngspice to finish raises run_ngspice's documented RuntimeError",
    "pulse_pair(width)": "not fixed: at the documented maximum width (1e6 s) the stiff solver fails and simulate "
                         "raises its RuntimeError ('integration failed'); the range or the solver needs a decision",
}
