"""The experiments of notebooks/17_dga.ipynb (Delayed Gradient Averaging, Zhu et al., NeurIPS 2021): the
comparison of the three update rules over partitions and seeds, the speedups and their summary, and the sweeps
over delay, step time, latency and bandwidth.
"""
from __future__ import annotations

import numpy as np

from lab.core.checks import check_choice, check_int, check_number, check_type
from lab.data.digits import Digits
from .algorithm import METHODS, PARTITIONS, check_data, seq
from .simulation import (MAX_TIMELINE_STEPS, Run, check_step_s, curve_times, ready_times, simulate, time_to_accuracy,
                         transfer_seconds)


# ----------------------------------------------------------------------------- experiments
def compare(partitions=PARTITIONS, methods=METHODS, seeds=(0, 1, 2), data: Digits | None = None,
            progress: bool = True, **settings) -> dict:
    """Simulate every (partition, method, seed); returns {(partition, method, seed): Run}.
    settings: workers, steps, batch, hidden, lr, delay, period, eval_every (see `simulate`)."""
    from tqdm.auto import tqdm

    partitions = seq("partitions", partitions, lambda n, p: check_choice(n, p, PARTITIONS))
    methods = seq("methods", methods, lambda n, m: check_choice(n, m, METHODS))
    seeds = seq("seeds", seeds, lambda n, v: check_int(n, v, lo=0, hi=2**32 - 1))
    data = check_data(data)
    keys = [(p, m, s) for p in partitions for m in methods for s in seeds]
    return {k: simulate(k[1], k[0], seed=k[2], data=data, **settings)
            for k in tqdm(keys, desc="simulated runs", disable=not progress)}


def speedup(method: str, step_s: float, latency_s: float, steps: int, delay: int = 4, period: int = 4,
            baseline: str = "sync", transfer_s: float = 0.0) -> float:
    """Wall-clock speedup of `method` over `baseline` for the same number of steps, from
    `ready_times` (until every worker holds the final mean model) with a per-step compute
    time step_s [s], latency latency_s [s] and link time transfer_s [s] per all-reduce."""
    steps = check_int("steps", steps, lo=1, hi=MAX_TIMELINE_STEPS)
    check_choice("baseline", baseline, METHODS)
    c = np.full(steps, check_step_s(step_s))
    return float(ready_times(baseline, c, latency_s, delay, period, transfer_s)[-1]
                 / ready_times(method, c, latency_s, delay, period, transfer_s)[-1])


def check_runs(runs) -> dict:
    check_type("runs", runs, dict)
    if not runs or not all(isinstance(k, tuple) and len(k) == 3 and isinstance(r, Run) for k, r in runs.items()):
        raise ValueError("runs must map (partition, method, seed) to a Run, as `compare` returns")
    return runs


def group_runs(runs: dict, p: str, m: str) -> list:
    return [r for (pp, mm, _), r in sorted(runs.items(), key=lambda kv: kv[0][2]) if (pp, mm) == (p, m)]


def summary(runs: dict, latencies_ms=(0, 50, 200), step_s: float = 4e-4, delay: int = 4, period: int = 4,
            target_acc: float = 0.93, transfer_s: float = 0.0):
    """A table (pandas DataFrame), one row per (partition, method, latency): final test
    accuracy [%] mean and std over seeds, modelled wall time [s] for all steps, the
    speedup over sync for equal steps, and over sync in time to reach `target_acc`
    (transfer_s: link time [s] of one all-reduce)."""
    import pandas as pd

    runs = check_runs(runs)
    target_acc = check_number("target_acc", target_acc, lo=0.0, hi=1.0)
    step_s = check_step_s(step_s)
    latencies_ms = seq("latencies_ms", latencies_ms, lambda n, v: check_number(n, v, lo=0.0, hi=1e6))
    rows = []
    groups = sorted({(p, m) for p, m, _ in runs}, key=lambda k: (PARTITIONS.index(k[0]), METHODS.index(k[1])))
    for lat in latencies_ms:
        lat_s = check_number("latencies_ms", lat, lo=0.0, hi=1e6) / 1000
        for p, m in groups:
            rs, sy = group_runs(runs, p, m), group_runs(runs, p, "sync")
            acc = 100 * np.array([r.final_acc for r in rs])
            steps = len(rs[0].compute_s)
            t_all = ready_times(m, np.full(steps, step_s), lat_s, delay, period, transfer_s)[-1]
            tta = [time_to_accuracy(curve_times(r, lat_s, delay, period, step_s, transfer_s), r.acc, target_acc)
                   for r in rs]
            tta_sync = [time_to_accuracy(curve_times(r, lat_s, delay, period, step_s, transfer_s), r.acc, target_acc)
                        for r in sy]
            ok = sy and np.isfinite(tta).all() and np.isfinite(tta_sync).all()
            rows.append(dict(partition=p, method=m, latency_ms=lat, acc_mean=acc.mean(), acc_std=acc.std(),
                             wall_s=t_all, speedup=speedup(m, step_s, lat_s, steps, delay, period, "sync", transfer_s),
                             tta_speedup=float(np.mean(tta_sync) / np.mean(tta)) if ok else None))
    return pd.DataFrame(rows)


def delay_sweep(delays=(0, 1, 2, 4, 8, 16), partition_kind: str = "iid", latency_ms: float = 200,
                step_s: float = 4e-4, seeds=(0,), data: Digits | None = None, transfer_s: float = 0.0,
                **settings):
    """DGA at each delay D: final accuracy [%] (mean over seeds) and speedup over sync
    for equal steps at `latency_ms` (and link time transfer_s [s] per all-reduce), at the
    averaging period settings["period"] (default 4). Returns a pandas DataFrame."""
    import pandas as pd

    data = check_data(data)
    delays = seq("delays", delays, lambda n, v: check_int(n, v, lo=0, hi=1000))
    latency_ms = check_number("latency_ms", latency_ms, lo=0.0, hi=1e6)
    seeds = seq("seeds", seeds, lambda n, v: check_int(n, v, lo=0, hi=2**32 - 1))
    period = check_int("period", settings.get("period", 4), lo=1, hi=1000)
    rows = []
    for d in delays:
        d = check_int("delays", d, lo=0, hi=1000)
        rs = [simulate("dga", partition_kind, delay=d, seed=s, data=data, eval_every=0, **settings) for s in seeds]
        rows.append(dict(delay=d, acc_mean=100 * np.mean([r.final_acc for r in rs]),
                         speedup=speedup("dga", step_s, latency_ms / 1000, len(rs[0].compute_s), d, period,
                                         transfer_s=transfer_s)))
    return pd.DataFrame(rows)


def speedup_grid(step_ms=(0.5, 20, 50, 100, 200), latencies_ms=(50, 200), delay: int = 4, period: int = 4,
                 steps: int = 300):
    """Modelled speedup of DGA over sync and over FedAvg for hypothetical per-step compute
    times [ms] (e.g. slower edge devices) at each latency [ms]. Returns a pandas DataFrame."""
    import pandas as pd

    step_ms = seq("step_ms", step_ms, lambda n, v: check_number(n, v, lo=0.0, lo_open=True, hi=1e6))
    latencies_ms = seq("latencies_ms", latencies_ms, lambda n, v: check_number(n, v, lo=0.0, hi=1e6))
    rows = []
    for c in step_ms:
        c_s = check_number("step_ms", c, lo=0.0, lo_open=True) / 1000
        for lat in latencies_ms:
            lat_s = check_number("latencies_ms", lat, lo=0.0, hi=1e6) / 1000
            rows.append(dict(step_ms=c, latency_ms=lat,
                             over_sync=speedup("dga", c_s, lat_s, steps, delay, period, "sync"),
                             over_fedavg=speedup("dga", c_s, lat_s, steps, delay, period, "fedavg")))
    return pd.DataFrame(rows)


def bandwidth_grid(bandwidths_mbit=(1, 2, 5, 10, 100), latency_ms: float = 200, step_s: float = 4e-4,
                   message_bytes: float = 19280, workers: int = 4, delay: int = 4, period: int = 4,
                   steps: int = 300):
    """Modelled speedup of DGA over sync and over FedAvg (equal steps) at each link
    bandwidth [Mbit/s]: sync all-reduces every step, FedAvg and DGA every `period` steps,
    so at low bandwidth sync's messages queue on the link. Returns a pandas DataFrame."""
    import pandas as pd

    latency_ms = check_number("latency_ms", latency_ms, lo=0.0, hi=1e6)
    bandwidths_mbit = seq("bandwidths_mbit", bandwidths_mbit, lambda n, v: v)
    message_bytes = check_number("message_bytes", message_bytes, lo=0.0, hi=1e9)
    rows = []
    for bw in bandwidths_mbit:
        tr = transfer_seconds(message_bytes, workers, check_number("bandwidths_mbit", bw, lo=0.0, lo_open=True,
                                                                   hi=1e6))
        rows.append(dict(bandwidth_mbit=bw, transfer_ms=1e3 * tr,
                         over_sync=speedup("dga", step_s, latency_ms / 1000, steps, delay, period, "sync", tr),
                         over_fedavg=speedup("dga", step_s, latency_ms / 1000, steps, delay, period, "fedavg", tr)))
    return pd.DataFrame(rows)
