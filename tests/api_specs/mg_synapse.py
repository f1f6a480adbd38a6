"""Valid, fast calls of lab.mg_synapse's public API, for tests/test_bad_input.py."""
from functools import lru_cache

from lab import mg_synapse as T
from lab import synapse

W = T.figure1b_protocol(20e-6, -20e-6, n=2, read=0.5)


@lru_cache(maxsize=1)
def _res():
    return synapse.simulate(T.device(m=3), W, pts=6)


SPECS = {
    "claim_monotonic": lambda: dict(runs={"a": _res()}),
    "claim_spice_agreement": lambda: dict(deviations={"G": 1e-4, "V_gate": 2e-4}, limit=0.01),
    "device": lambda: dict(variant="PCE + MgI2 SEI", m=4, n_e=1, sigma_el=1e-6, sei=True),
    "figure1b": lambda: dict(results={"a": _res()}, title="t"),
    "figure1b_protocol": lambda: dict(up=20e-6, down=-60e-6, width=0.5, read=2.5, n=3),
    "leakage_resistance": lambda: dict(sigma_el=1e-5, device=T.BASE),
    "metrics": lambda: dict(res=_res(), dg_min=1e-9),
    "metrics_table": lambda: dict(results={"a": _res()}),
    "monotonic": lambda: dict(res=_res()),
    "proton_device": lambda: dict(m=4, n_e=1, k_out=1e-9),
    "retention": lambda: dict(dev=T.device(m=3), t_hold=5.0, n=2, up=20e-6, width=0.5, read=0.5, pts=6),
}
SKIP = {"explorer": "widget; driven by notebook 10's explorer-check cell"}
