"""Claim helpers for notebook 04: each takes the measured runs and returns a
`lab.core.claims.Measured`. Gains are paired by seed (method − SimCLR on the same seed),
in accuracy points (percentage points)."""
from __future__ import annotations

import numpy as np

from ..core.checks import check_number, check_type
from ..core.claims import Measured
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


def _gain_holds(g: np.ndarray) -> bool:
    """A gain counts when its mean over seeds is positive and larger than its standard error
    (std/√n over the paired seeds): a mean inside the seed-to-seed noise is no gain."""
    g = np.asarray(g, dtype=float)
    se = float(g.std(ddof=1)) / np.sqrt(len(g)) if len(g) > 1 else 0.0
    return bool(g.mean() > 0 and g.mean() > se)


def _pm(v: np.ndarray) -> str:
    sd = float(v.std(ddof=1)) if len(v) > 1 else 0.0
    return f"{v.mean():+.2f} ± {sd:.2f} points over {len(v)} seeds"


def standard_gain_claim(runs: list[Run], *, method: str = "nacl", metric: str = "standard") -> Measured:
    """Mean paired gain of `method` over SimCLR in `metric` accuracy; holds when it is positive
    beyond its standard error (`_gain_holds`)."""
    g = paired_gain(runs, method, metric=metric)
    return Measured(round(float(g.mean()), 2), _gain_holds(g), f"{NAMES[method]} − SimCLR: {_pm(g)}")


def robust_gain_claim(runs: list[Run], *, metric: str) -> Measured:
    """The larger of IntCl's and IntNaCl's mean paired robust gain over SimCLR (the paper's
    'up to'); holds when both integrated methods gain beyond their standard error."""
    runs = _runs(runs)
    gains = {m: paired_gain(runs, m, metric=metric) for m in INTEGRATED}
    best = max(gains, key=lambda m: gains[m].mean())
    note = "; ".join(f"{NAMES[m]} − SimCLR: {_pm(g)}" for m, g in gains.items())
    return Measured(round(float(gains[best].mean()), 2), all(_gain_holds(g) for g in gains.values()),
                    f"{note} ({metric})")


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
    in robust accuracy at radius eps under `attack`; holds when both gain beyond their
    standard error."""
    import pandas as pd

    check_type("sweep", sweep, pd.DataFrame)
    if not {"method", "seed", "attack", "eps", "accuracy"} <= set(sweep.columns):
        raise ValueError("sweep must be eps_sweep()'s table (columns method, seed, attack, eps, accuracy)")
    eps = check_number("eps", eps, lo=0.0, hi=0.5)
    check_type("attack", attack, str)
    sub = sweep[(sweep.attack == attack) & np.isclose(sweep.eps, eps)]
    if sub.empty:
        raise ValueError(f"eps and attack must pick rows of sweep; none at eps={eps:g}, attack={attack!r}")
    acc = sub.pivot_table(index="seed", columns="method", values="accuracy")
    need = [NAMES[m] for m in ("simclr", *INTEGRATED)]
    if not set(need) <= set(acc.columns):
        raise ValueError(f"sweep must hold {need}")
    gains = {m: (acc[NAMES[m]] - acc["SimCLR"]).to_numpy() for m in INTEGRATED}
    best = max(gains, key=lambda m: gains[m].mean())
    note = "; ".join(f"{NAMES[m]} − SimCLR: {_pm(g)}" for m, g in gains.items())
    return Measured(round(float(gains[best].mean()), 2), all(_gain_holds(g) for g in gains.values()),
                    f"{note} ({attack.upper()}, ε = {eps:g})")
