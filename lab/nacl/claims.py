"""Claim helpers for notebook 04: each takes the measured runs and returns a
`lab.core.claims.Measured`. Gains are paired by seed (method − baseline on the same seed: SimCLR,
the adversarial-only A2A or IntCl), in accuracy points (percentage points), and judged by their
paired 95 % t-interval (`lab.core.stats`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.checks import check_number, check_table, check_type
from ..core.claims import Measured
from ..core.stats import Interval, mean_interval
from .train import FIGURE1, INTEGRATED, NAMES, Run


def _runs(runs) -> list[Run]:
    check_type("runs", runs, list)
    if not runs or not all(isinstance(r, Run) for r in runs):
        raise ValueError("runs must be a non-empty list of Run (from run_methods)")
    return runs


def _metric(runs: list[Run], metric: str, name: str = "metric") -> str:
    check_type(name, metric, str)
    if metric not in runs[0].acc:
        raise ValueError(f"{name} must be one of {sorted(runs[0].acc)}; got {metric!r}")
    return metric


def paired_gain(runs: list[Run], method: str, *, metric: str = "standard", baseline: str = "simclr") -> np.ndarray:
    """method's accuracy minus baseline's, per seed they share, in points."""
    runs = _runs(runs)
    metric = _metric(runs, metric)
    for name, m in (("method", method), ("baseline", baseline)):
        check_type(name, m, str)
        if m not in NAMES:
            raise ValueError(f"{name} must be one of {list(NAMES)}; got {m!r}")
    a = {r.seed: r.acc[metric] for r in runs if r.method == method}
    b = {r.seed: r.acc[metric] for r in runs if r.method == baseline}
    seeds = sorted(set(a) & set(b))
    if len(seeds) < 1:
        raise ValueError(f"runs must hold {method} and {baseline} on at least one common seed")
    return np.array([a[s] - b[s] for s in seeds])


def _gain(g: np.ndarray) -> Interval:
    """The paired 95 % t-interval of the per-seed gains `g` (`lab.core.stats`; at least 2 seeds).
    A gain counts when the whole interval lies above 0: a mean inside the seed-to-seed noise is no gain."""
    if len(g) < 2:
        raise ValueError(f"runs must hold at least 2 common seeds per method (a paired t-interval needs 2); got {len(g)}")
    return mean_interval(g, paired=True)


def _names(name: str, methods) -> tuple[str, ...]:
    if isinstance(methods, str) or not isinstance(methods, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of method names; got {type(methods).__name__}")
    if not 1 <= len(methods) <= len(NAMES) or len(set(methods)) != len(methods):
        raise ValueError(f"{name} must hold 1..{len(NAMES)} distinct method names; got {list(methods)}")
    for m in methods:
        check_type(name, m, str)
        if m not in NAMES:
            raise ValueError(f"{name} must hold names from {list(NAMES)}; got {m!r}")
    return tuple(methods)


def _label(metric: str) -> str:
    return "standard" if metric == "standard" else metric.replace("robust@", "robust ε = ")


def gain_claim(runs: list[Run], *, methods=INTEGRATED, baseline: str = "simclr", metric: str = "standard",
               beside: str | None = None, pick: str = "max") -> Measured:
    """Whether every method of `methods` (a tuple of names from NAMES) beats `baseline` in `metric`
    accuracy: the paired gain per seed (method − baseline, in points) and its 95 % t-interval
    (`lab.core.stats`); holds when every interval lies above 0. Value: the largest mean gain
    (pick="max", the paper's "up to") or the smallest (pick="min", the weakest method). `beside` (a
    metric, or None) adds that metric's paired difference to the note, e.g. the standard-accuracy
    cost beside a robust gain."""
    runs = _runs(runs)
    methods = _names("methods", methods)
    metric = _metric(runs, metric)
    if beside is not None:
        beside = _metric(runs, beside, "beside")
    check_type("pick", pick, str)
    if pick not in ("max", "min"):
        raise ValueError(f"pick must be 'max' or 'min'; got {pick!r}")
    if baseline in methods:
        raise ValueError(f"baseline must not be one of methods; got {baseline!r} in both")
    ivs = {m: _gain(paired_gain(runs, m, metric=metric, baseline=baseline)) for m in methods}
    parts = []
    for m, iv in ivs.items():
        text = f"{NAMES[m]} − {NAMES[baseline]}: {iv.text(2, ' points', signed=True)}"
        if beside is not None and beside != metric:
            ib = _gain(paired_gain(runs, m, metric=beside, baseline=baseline))
            text += f", {_label(beside)} {ib.text(2, ' points', signed=True, short=True)}"
        parts.append(text)
    chosen = (max if pick == "max" else min)(ivs, key=lambda m: ivs[m].mean)
    where = "" if metric == "standard" and beside is None else f" ({_label(metric)})"
    return Measured(round(ivs[chosen].mean, 2), all(iv.above(0.0) for iv in ivs.values()), "; ".join(parts) + where)


def standard_gain_claim(runs: list[Run], *, method: str = "nacl", metric: str = "standard",
                        baseline: str = "simclr") -> Measured:
    """Mean paired gain of `method` over `baseline` (SimCLR by default) in `metric` accuracy; holds
    when its paired 95 % t-interval over the seeds lies above 0 (`gain_claim`)."""
    check_type("method", method, str)
    return gain_claim(runs, methods=(method,), baseline=baseline, metric=metric)


def robust_gain_claim(runs: list[Run], *, metric: str, methods=INTEGRATED, baseline: str = "simclr") -> Measured:
    """The larger of the `methods`' (IntCl's and IntNaCl's by default) mean paired gain over
    `baseline` (SimCLR by default) in `metric` accuracy (the paper's 'up to'); holds when the paired
    95 % t-intervals of all of them lie above 0. The note gives each one's standard-accuracy
    difference beside its robust gain."""
    return gain_claim(runs, methods=methods, baseline=baseline, metric=metric, beside="standard", pick="max")


def gain_table(runs: list[Run], *, pairs, metric: str) -> pd.DataFrame:
    """The paired differences behind the claims, one row per (method, baseline) of `pairs` (1..20
    tuples of names from NAMES): for the standard accuracy and for `metric`, the mean difference
    method − baseline over the common seeds and its 95 % paired t-interval (`lab.core.stats`), in
    points. Columns: method, baseline, n, then '<label> Δ', '<label> lo', '<label> hi' per metric."""
    runs = _runs(runs)
    metric = _metric(runs, metric)
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, (tuple, list)) or not 1 <= len(pairs) <= 20:
        raise ValueError("pairs must be a tuple of 1..20 (method, baseline) name pairs")
    rows = []
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"pairs must hold (method, baseline) pairs; got {pair!r}")
        m, b = _names("pairs", tuple(pair))
        row = dict(method=NAMES[m], baseline=NAMES[b])
        for met in dict.fromkeys(("standard", metric)):
            iv = _gain(paired_gain(runs, m, metric=met, baseline=b))
            row["n"] = iv.n
            lab = _label(met)
            row.update({f"{lab} Δ": iv.mean, f"{lab} lo": iv.lo, f"{lab} hi": iv.hi})
        rows.append(row)
    df = pd.DataFrame(rows)
    return df[["method", "baseline", "n", *[c for c in df.columns if c not in ("method", "baseline", "n")]]]


def means(runs: list[Run], metric: str) -> dict[str, tuple[float, float]]:
    """(mean standard accuracy, mean `metric` accuracy) per method, in %."""
    runs = _runs(runs)
    metric = _metric(runs, metric)
    out = {}
    for m in dict.fromkeys(r.method for r in runs):
        rs = [r for r in runs if r.method == m]
        out[m] = (float(np.mean([r.acc["standard"] for r in rs])), float(np.mean([r.acc[metric] for r in rs])))
    return out


def upper_right_claim(runs: list[Run], *, metric: str, slack: float = 0.0) -> Measured:
    """Whether IntCl and IntNaCl sit upper right on the (standard, robust) plane among the
    four contrastive methods: each has a higher mean robust accuracy than SimCLR and NaCl,
    and a mean standard accuracy no more than `slack` points (in [0, 10]) below theirs.
    Value: how many of the two do."""
    slack = check_number("slack", slack, lo=0.0, hi=10.0)
    mu = means(runs, metric)
    missing = [m for m in FIGURE1 if m not in mu]
    if missing:
        raise ValueError(f"runs must hold every figure-1 method; missing {missing}")
    plain = ("simclr", "nacl")
    ok = [m for m in INTEGRATED if all(mu[m][1] > mu[p][1] and mu[m][0] >= mu[p][0] - slack for p in plain)]
    pts = ", ".join(f"{NAMES[m]} ({mu[m][0]:.1f}, {mu[m][1]:.1f})" for m in FIGURE1)
    return Measured(f"{len(ok)} of 2 upper right", len(ok) == 2, f"(standard, robust) in %: {pts}; {metric}",
                    number=float(len(ok)))


def sweep_gain_claim(sweep, *, eps: float, attack: str = "pgd", baseline: str = "simclr") -> Measured:
    """From an `eps_sweep` table: the larger mean paired gain of IntCl and IntNaCl over `baseline`
    (SimCLR by default; a name from NAMES held by the sweep) in robust accuracy at radius eps under
    `attack`; holds when the paired 95 % t-intervals of both lie above 0."""
    check_table("sweep", sweep, ("method", "seed", "attack", "eps", "accuracy"), min_rows=0,
                what="eps_sweep()'s table")
    eps = check_number("eps", eps, lo=0.0, hi=0.5)
    check_type("attack", attack, str)
    check_type("baseline", baseline, str)
    if baseline not in NAMES or baseline in INTEGRATED:
        raise ValueError(f"baseline must be a name from {list(NAMES)} other than {list(INTEGRATED)}; got {baseline!r}")
    sub = sweep[(sweep.attack == attack) & np.isclose(sweep.eps, eps)]
    if sub.empty:
        raise ValueError(f"eps and attack must pick rows of sweep; none at eps={eps:g}, attack={attack!r}")
    acc = sub.pivot_table(index="seed", columns="method", values="accuracy")
    need = [NAMES[m] for m in (baseline, *INTEGRATED)]
    if not set(need) <= set(acc.columns):
        raise ValueError(f"sweep must hold {need}")
    ivs = {m: _gain((acc[NAMES[m]] - acc[NAMES[baseline]]).dropna().to_numpy()) for m in INTEGRATED}
    best = max(ivs, key=lambda m: ivs[m].mean)
    note = "; ".join(f"{NAMES[m]} − {NAMES[baseline]}: {iv.text(2, ' points', signed=True)}" for m, iv in ivs.items())
    return Measured(round(ivs[best].mean, 2), all(iv.above(0.0) for iv in ivs.values()),
                    f"{note} ({attack.upper()}, ε = {eps:g})")
