"""Claim helpers of notebooks/17_dga.ipynb (Delayed Gradient Averaging, Zhu et al., NeurIPS 2021): accuracy
gaps, time-to-accuracy speedups and bytes to accuracy as `Measured`, and the **Scales.** paragraph written from
the presets.
"""
from __future__ import annotations

import numpy as np

from lab.core.checks import check_choice, check_number, check_type
from lab.core import stats
from lab.core.claims import Measured
from .algorithm import PARTITIONS
from .simulation import curve_times, time_to_accuracy, wire_bytes
from .experiments import check_runs, group_runs


# ----------------------------------------------------------------------------- claim helpers
def accuracy_gap(runs: dict, partition_kind: str, baseline: str = "sync", points: float = 1.0) -> Measured:
    """Final test accuracy of `baseline` minus DGA's [points], paired by seed (each worker's own model, which
    is the mean model once `train_loop` has applied the last averages). The value is the mean gap; the claim
    "no accuracy loss" holds when the workbench's paired 95 % t-interval of the gap lies within ±`points`
    (equivalence: the interval, not only the mean, must stay inside the margin). With a single seed there
    is no interval: the one gap is judged, and the note says so."""
    runs = check_runs(runs)
    partition_kind = check_choice("partition_kind", partition_kind, PARTITIONS)
    baseline = check_choice("baseline", baseline, ("sync", "fedavg"))
    points = check_number("points", points, lo=0.0, lo_open=True, hi=100.0)
    a, d = group_runs(runs, partition_kind, baseline), group_runs(runs, partition_kind, "dga")
    if not a or len(a) != len(d):
        raise ValueError(f"runs must hold {baseline} and dga runs of the same seeds for {partition_kind!r}")
    acc_a, acc_d = 100 * np.array([r.final_acc for r in a]), 100 * np.array([r.final_acc for r in d])
    if len(a) == 1:  # one seed has no interval: the single gap, said to be one
        gap = float(acc_a[0] - acc_d[0])
        return Measured(round(gap, 2), bool(abs(gap) <= points), f"{baseline} − DGA on a single seed: {gap:.2f} "
                        f"points (no interval from one seed); {baseline} {acc_a[0]:.1f} %, DGA {acc_d[0]:.1f} %")
    iv = stats.paired_interval(acc_a, acc_d)
    return Measured(round(iv.mean, 2), bool(iv.lo >= -points and iv.hi <= points),
                    f"{baseline} − DGA over {iv.n} paired seeds: {iv.text(unit=' points')}; within "
                    f"±{points:g} needs the whole interval inside; {baseline} {acc_a.mean():.1f} %, DGA "
                    f"{acc_d.mean():.1f} % (each worker's own model, which after the last averages is the mean model)")


def tta_speedup(runs: dict, partition_kind: str, baseline: str, latency_s: float, step_s: float,
                transfer_s: float, delay: int, period: int, target: float = 0.93) -> Measured:
    """Time for `baseline` to first reach `target` test accuracy over DGA's time (ratio of the means over
    seeds), from the timeline with latency, bandwidth (transfer_s) and step time; holds when DGA gets there
    sooner by the workbench's rule: the paired 95 % t-interval of (baseline − DGA) times lies above zero.
    Never reaching the target counts as not holding."""
    runs = check_runs(runs)
    partition_kind = check_choice("partition_kind", partition_kind, PARTITIONS)
    baseline = check_choice("baseline", baseline, ("sync", "fedavg"))
    target = check_number("target", target, lo=0.0, hi=1.0)

    def tta(m):
        return [time_to_accuracy(curve_times(r, latency_s, delay, period, step_s, transfer_s), r.acc, target)
                for r in group_runs(runs, partition_kind, m)]
    tb, td = tta(baseline), tta("dga")
    if not tb or not td or len(tb) != len(td):
        raise ValueError(f"runs must hold {baseline} and dga runs of the same seeds for {partition_kind!r}")
    if not (np.isfinite(tb).all() and np.isfinite(td).all()):
        return Measured("target not reached", False, f"{baseline} or DGA never reached {100 * target:.0f} % in some "
                        f"seed (times {baseline} {tb}, DGA {td})")
    ratio = float(np.mean(tb) / np.mean(td))
    if len(tb) == 1:  # one seed has no interval: the single comparison, said to be one
        return Measured(round(ratio, 2), bool(tb[0] > td[0]), f"time to {100 * target:.0f} %: {baseline} "
                        f"{tb[0]:.2f} s, DGA {td[0]:.2f} s on a single seed (no interval from one seed)")
    iv = stats.paired_interval(tb, td)
    per = np.array(tb) / np.array(td)
    return Measured(round(ratio, 2), iv.above(0.0), f"time to {100 * target:.0f} %: {baseline} "
                    f"{np.mean(tb):.2f} s, DGA {np.mean(td):.2f} s; {baseline} − DGA over {iv.n} paired seeds "
                    f"{iv.text(unit=' s')}; per seed ratio {stats.mean_std_text(per)}")


def bytes_to_accuracy(runs: dict, partition_kind: str, message_bytes: float, target: float = 0.93) -> Measured:
    """Equal bytes on the wire: bytes each worker sends before FedAvg first reaches `target`, over the bytes
    DGA sends before it does (ratio of the means over seeds); holds when DGA needs no more bytes than FedAvg
    by the workbench's rule: the paired 95 % t-interval of (FedAvg − DGA) bytes does not lie below zero
    (DGA needing significantly more fails; a tie holds)."""
    runs = check_runs(runs)
    partition_kind = check_choice("partition_kind", partition_kind, PARTITIONS)
    target = check_number("target", target, lo=0.0, hi=1.0)

    def need(m):
        return [time_to_accuracy(wire_bytes(r, message_bytes), r.acc, target) for r in group_runs(runs, partition_kind, m)]
    bf, bd = need("fedavg"), need("dga")
    if not bf or not bd or len(bf) != len(bd):
        raise ValueError(f"runs must hold fedavg and dga runs of the same seeds for {partition_kind!r}")
    if not (np.isfinite(bf).all() and np.isfinite(bd).all()):
        return Measured("target not reached", False, f"FedAvg or DGA never reached {100 * target:.0f} % in some seed")
    ratio = float(np.mean(bf) / np.mean(bd))
    if len(bf) == 1:  # one seed has no interval: the single comparison, said to be one
        return Measured(round(ratio, 2), bool(bd[0] <= bf[0]), f"bytes per worker to {100 * target:.0f} %: FedAvg "
                        f"{bf[0] / 1e6:.2f} MB, DGA {bd[0] / 1e6:.2f} MB on a single seed (no interval from one seed)")
    iv = stats.paired_interval(np.array(bf) / 1e6, np.array(bd) / 1e6)
    return Measured(round(ratio, 2), not iv.below(0.0), f"bytes per worker to {100 * target:.0f} %: FedAvg "
                    f"{np.mean(bf) / 1e6:.2f} MB, DGA {np.mean(bd) / 1e6:.2f} MB; FedAvg − DGA over {iv.n} paired "
                    f"seeds {iv.text(unit=' MB')}")


# ----------------------------------------------------------------------------- prose from the presets
def scales_markdown(scales: dict) -> str:
    """The **Scales.** paragraph of notebook 17, written from the presets `scales`
    (name -> settings, as `lab.dga.SCALES`), so its numbers are the ones that run."""
    check_type("scales", scales, dict)
    need = ("workers", "steps", "hidden", "seeds", "real_steps", "delay", "period", "step_ms")
    for name, c in scales.items():
        check_type("scales", c, dict)
        missing = [k for k in need if k not in c]
        if missing:
            raise ValueError(f"scales[{name!r}] must hold {need}; missing {missing}")
    parts = []
    for name, c in scales.items():
        steps = ", ".join(f"{k} {v:g} ms" for k, v in c["step_ms"].items())
        parts.append(f"`{name}` simulates {c['workers']} workers for {c['steps']} steps (MLP hidden width "
                     f"{c['hidden']}, D = {c['delay']}, K = {c['period']}) over {len(c['seeds'])} seeds, runs "
                     f"{c['real_steps']} real gloo steps, and times every method at these per-step compute "
                     f"times: {steps}.")
    return "**Scales.** " + " ".join(parts)
