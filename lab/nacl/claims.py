"""Claim helpers for notebook 04: each takes the measured runs and returns a
`lab.core.claims.Measured`. Gains are paired by seed (method − SimCLR on the same seed),
in accuracy points (percentage points), and judged by their paired 95 % t-interval
(`lab.core.stats`)."""
from __future__ import annotations

import numpy as np

from ..core.checks import check_number, check_table, check_type
from ..core.claims import Measured
from ..core.stats import Interval, mean_interval
from .train import FIGURE1, INTEGRATED, NAMES, Run


def _runs(runs) -> list[Run]:
    check_type("runs", runs, list)
    if not runs or not all(isinstance(r, Run) for r in runs):
        raise ValueError("runs must be a non-empty list of Run (from run_methods)")
    return runs


def _metric(runs: list[Run], metric: str) -> str:
    check_type("metric", metric, str)
    if metric not in runs[0].acc:
        raise ValueError(f"metric must be one of {sorted(runs[0].acc)}; got {metric!r}")
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


def standard_gain_claim(runs: list[Run], *, method: str = "nacl", metric: str = "standard") -> Measured:
    """Mean paired gain of `method` over SimCLR in `metric` accuracy; holds when its paired 95 %
    t-interval over the seeds lies above 0 (`_gain`)."""
    iv = _gain(paired_gain(runs, method, metric=metric))
    return Measured(round(iv.mean, 2), iv.above(0.0), f"{NAMES[method]} − SimCLR: {iv.text(2, ' points', signed=True)}")


def robust_gain_claim(runs: list[Run], *, metric: str) -> Measured:
    """The larger of IntCl's and IntNaCl's mean paired robust gain over SimCLR (the paper's
    'up to'); holds when the paired 95 % t-intervals of both integrated methods lie above 0."""
    runs = _runs(runs)
    return _integrated({m: paired_gain(runs, m, metric=metric) for m in INTEGRATED}, metric)


def _integrated(gains: dict[str, np.ndarray], where: str) -> Measured:
    """The larger mean paired gain of the integrated methods; holds when each one's interval lies above 0."""
    ivs = {m: _gain(g) for m, g in gains.items()}
    best = max(ivs, key=lambda m: ivs[m].mean)
    note = "; ".join(f"{NAMES[m]} − SimCLR: {iv.text(2, ' points', signed=True)}" for m, iv in ivs.items())
    return Measured(round(ivs[best].mean, 2), all(iv.above(0.0) for iv in ivs.values()), f"{note} ({where})")


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


def nca_claim(conn: dict) -> Measured:
    """SimCLR's loss equals the NCA loss with one positive and a uniform prior (difference
    below 1e-9 nats in float64), while a non-uniform prior changes it (by > 1e-3 nats)."""
    check_type("conn", conn, dict)
    need = {"simclr", "nca_uniform", "abs_diff", "nca_nonuniform"}
    if not need <= set(conn):
        raise ValueError(f"conn must be nca_connection()'s dict with keys {sorted(need)}")
    moved = abs(conn["nca_nonuniform"] - conn["simclr"])
    holds = conn["abs_diff"] < 1e-9 and moved > 1e-3
    return Measured(f"|Δ| = {conn['abs_diff']:.1e} nats", bool(holds),
                    f"SimCLR {conn['simclr']:.6f}, NCA (uniform prior) {conn['nca_uniform']:.6f}, "
                    f"NCA (non-uniform prior) {conn['nca_nonuniform']:.6f} nats", number=conn["abs_diff"])


def sweep_gain_claim(sweep, *, eps: float, attack: str = "pgd") -> Measured:
    """From an `eps_sweep` table: the larger mean paired gain of IntCl and IntNaCl over SimCLR
    in robust accuracy at radius eps under `attack`; holds when the paired 95 % t-intervals of
    both lie above 0."""
    check_table("sweep", sweep, ("method", "seed", "attack", "eps", "accuracy"), min_rows=0,
                what="eps_sweep()'s table")
    eps = check_number("eps", eps, lo=0.0, hi=0.5)
    check_type("attack", attack, str)
    sub = sweep[(sweep.attack == attack) & np.isclose(sweep.eps, eps)]
    if sub.empty:
        raise ValueError(f"eps and attack must pick rows of sweep; none at eps={eps:g}, attack={attack!r}")
    acc = sub.pivot_table(index="seed", columns="method", values="accuracy")
    need = [NAMES[m] for m in ("simclr", *INTEGRATED)]
    if not set(need) <= set(acc.columns):
        raise ValueError(f"sweep must hold {need}")
    return _integrated({m: (acc[NAMES[m]] - acc["SimCLR"]).dropna().to_numpy() for m in INTEGRATED},
                       f"{attack.upper()}, ε = {eps:g}")
