"""Policy-gradient methods for the LQR from K = 0 on unstable systems, and the benchmark over a
random set.

Every method takes steps K ← K − η D(K) on the (possibly discounted) cost and records, after
every step, the undiscounted cost C(K) (inf while K does not stabilise the plant):

* vanilla PG      D = ∇C_γ(K) = 2 E_K Σ_K
* natural PG      D = ∇C_γ(K) Σ_K⁻¹ = 2 E_K
* Gauss–Newton    D = 2 (R + BᵀP_K B)⁻¹ E_K       (η = ½ is policy iteration)
* discount annealing (Perdomo et al. 2021): start at γ₀ = 0.9/ρ(A)² (K = 0 then stabilises
  the discounted problem), run vanilla or natural PG on C_γ, then raise γ to the largest value
  with C_γ'(K) ≤ `factor`·C_γ(K) (bisection; our reading of "a bounded factor"), until γ = 1.
* adaptive-discount policy iteration ("adaptive PI"), the stabilising scheme of notebook 16 (our
  reading of the abstract): start at γ₀ = 0.9/ρ(A)²; at every step take one Gauss–Newton
  (policy-iteration, η = ½) step on C_γ, then raise γ to the larger of (a) the stability margin
  of the new policy, min(1, α/ρ(A − BK)²) with α = 0.9, and (b) the bounded-cost value of
  discount annealing. Both keep K stabilising for the new discounted problem, and policy
  iteration from a stabilising gain stays stabilising, so K never leaves the stable set; once
  γ = 1 it is policy iteration on the true cost, which converges quadratically.

Step sizes: `step` is the first trial step; with `backtrack=True` each step is halved until the
Armijo condition holds (and the next step starts from twice the accepted one); with
`backtrack=False` the step is fixed and a step that leaves the stable set ends the run as
"diverged". One iteration is one step (one gradient or Gauss–Newton direction).

The effort of a run, everything counted (`Run.info`): `lyapunov_solves`, the discrete Lyapunov
equations solved (two per gradient or Gauss–Newton direction, P_K and Σ_K; one per cost
evaluation of a line-search trial, a stall check or a γ bisection step, none for a gain that does
not stabilise, which only takes an eigenvalue check); `cost_evaluations`, the calls of
`lqr.evaluate` behind them; `rollouts` for the model-free methods; `cpu_s`, the CPU seconds of
the method (the optimum C* and the tracker's record of the undiscounted cost, which every method
shares and none uses, left out). No evaluation is made whose result is already at hand or cannot
change the iterates: the cost after a step is the line search's, and adaptive PI skips the γ
bisection when the stability margin alone already allows γ = 1.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lab.core import stats
from lab.core.checks import (check_array, check_bool, check_choice, check_int, check_number, check_table,
                              check_type)

from .lqr import evaluate, optimal, zeroth_order_gradient, cost as lqr_cost
from lab.core.claims import Measured

from .systems import LQR, random_set

METHODS = ("vanilla", "vanilla (γ fixed)", "natural", "gauss-newton", "annealing (vanilla)",
           "annealing (natural)", "adaptive PI", "model-free vanilla", "model-free annealing")
DEFAULT_STEP = {"vanilla": 1e-3, "vanilla (γ fixed)": 1e-3, "natural": 0.05, "gauss-newton": 0.5,
                "annealing (vanilla)": 1e-3, "annealing (natural)": 0.05, "adaptive PI": 0.5,
                "model-free vanilla": 1e-4, "model-free annealing": 1e-4}
MAX_ITER = 200_000
ALPHA = 0.9          # margin of the adaptive discount: √γ ρ(A − BK) = √α
STATUSES = ("converged", "stalled", "budget exhausted", "diverged", "never stabilising")


@dataclass(frozen=True)
class Run:
    """One run: `costs` the undiscounted cost after each iteration (index 0 = start; inf while
    not stabilising), `gammas` the discount in use, `K` the last gain, `status` one of
    converged / stalled (a fixed-γ method settled at a non-optimal gain: its own cost
    stopped decreasing) / budget exhausted / diverged / never stabilising, `iters` the first iteration
    with (C − C*)/C* < tol (-1 if none), `c_star` the optimal cost."""
    method: str
    costs: np.ndarray
    gammas: np.ndarray
    K: np.ndarray
    status: str
    iters: int
    c_star: float
    first_stable: int = -1
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        check_type("method", self.method, str)
        costs = check_array("costs", self.costs, ndim=1, finite=False).astype(float)
        if np.isnan(costs).any() or (costs == -np.inf).any():
            raise ValueError("costs must be numbers or +inf (not stabilising), never NaN or -inf")
        object.__setattr__(self, "costs", costs)
        object.__setattr__(self, "gammas", check_array("gammas", self.gammas, ndim=1, lo=0.0, hi=1.0,
                                                       min_size=0).astype(float))
        object.__setattr__(self, "K", check_array("K", self.K, ndim=2).astype(float))
        check_choice("status", self.status, STATUSES)
        object.__setattr__(self, "iters", check_int("iters", self.iters, lo=-1, hi=MAX_ITER))
        object.__setattr__(self, "c_star", check_number("c_star", self.c_star, lo=0.0, lo_open=True))
        object.__setattr__(self, "first_stable", check_int("first_stable", self.first_stable, lo=-1, hi=MAX_ITER))
        check_type("info", self.info, dict)

    @property
    def gaps(self) -> np.ndarray:
        """(C − C*)/C* per iteration (inf while not stabilising)."""
        return (self.costs - self.c_star) / self.c_star


def _direction(kind: str, ev, sys: LQR) -> np.ndarray:
    if kind == "vanilla":
        return ev.grad
    if kind == "natural":
        return 2.0 * ev.E
    return 2.0 * np.linalg.solve(sys.R + sys.B.T @ ev.P @ sys.B, ev.E)


class _Work:
    """What a method spends: Lyapunov solves and cost evaluations (through `evaluate` and
    `cost`), rollouts (model-free), and its CPU time from its creation."""

    def __init__(self):
        self.solves = 0
        self.evals = 0
        self.rollouts = 0
        self.t0 = time.process_time()

    def evaluate(self, sys: LQR, K: np.ndarray, need_grad: bool = True):
        ev = evaluate(sys, K, need_grad=need_grad)
        self.evals += 1
        self.solves += int(ev.rho < 1.0) + int(ev.Sigma is not None)   # P_K when stable, Σ_K with the gradient
        return ev

    def cost(self, sys: LQR, K: np.ndarray, gamma: float = 1.0) -> float:
        """C_γ(K), as lqr.cost computes it."""
        return self.evaluate(sys if gamma == 1.0 else sys.discounted(gamma), K, need_grad=False).cost


class _Tracker:
    """Records the undiscounted cost per iteration and stops at the tolerance; its own time is
    kept apart from the method's."""

    def __init__(self, sys: LQR, c_star: float, tol: float, work: _Work):
        self.sys, self.c_star, self.tol, self.work = sys, c_star, tol, work
        self.costs: list[float] = []
        self.gammas: list[float] = []
        self.hit = -1
        self.first_stable = -1
        self.t_record = 0.0

    def record(self, K: np.ndarray, gamma: float) -> bool:
        t0 = time.process_time()
        try:
            return self._record(K, gamma)
        finally:
            self.t_record += time.process_time() - t0

    def _record(self, K: np.ndarray, gamma: float) -> bool:
        c = lqr_cost(self.sys, K)
        self.costs.append(c)
        self.gammas.append(gamma)
        i = len(self.costs) - 1
        if np.isfinite(c) and self.first_stable < 0:
            self.first_stable = i
        if self.hit < 0 and (c - self.c_star) / self.c_star < self.tol:
            self.hit = i
        return self.hit >= 0

    def result(self, method: str, K: np.ndarray, status: str | None, **info) -> Run:
        if status is None:
            status = "converged" if self.hit >= 0 else (
                "budget exhausted" if self.first_stable >= 0 else "never stabilising")
        w = self.work
        cpu = max(0.0, time.process_time() - w.t0 - self.t_record)
        info = dict(info, lyapunov_solves=w.solves, cost_evaluations=w.evals, rollouts=w.rollouts, cpu_s=cpu)
        return Run(method, np.array(self.costs), np.array(self.gammas), K, status, self.hit, self.c_star,
                   self.first_stable, info)


def _step(sys_g: LQR, K: np.ndarray, kind: str, eta: float, backtrack: bool, work: _Work):
    """One descent step on the (discounted) system sys_g; returns (K', accepted step, ok, the
    cost of sys_g at K')."""
    ev = work.evaluate(sys_g, K)
    if ev.grad is None:
        return K, eta, False, ev.cost
    D = _direction(kind, ev, sys_g)
    slope = float(np.sum(ev.grad * D))
    if not backtrack:
        Kn = K - eta * D
        cn = work.evaluate(sys_g, Kn, need_grad=False).cost
        return Kn, eta, bool(np.isfinite(cn)), cn
    for _ in range(60):
        Kn = K - eta * D
        cn = work.evaluate(sys_g, Kn, need_grad=False).cost
        if np.isfinite(cn) and cn <= ev.cost - 1e-4 * eta * slope:
            return Kn, eta, True, cn
        eta *= 0.5
    return K, eta, True, ev.cost        # no decrease found: at a (numerical) minimum


def run(sys: LQR, method: str, *, step: float | None = None, backtrack: bool = True, max_iter: int = 2000,
        tol: float = 1e-3, gamma: float = 1.0, factor: float = 2.5, inner_tol: float = 1e-3,
        samples: int = 20, horizon: int = 60, seed: int = 0) -> Run:
    """Run `method` (one of METHODS) from K = 0 on `sys` for at most max_iter (1..200000) steps.

    step: first trial (or fixed) step size (default DEFAULT_STEP[method]); gamma: the fixed
    discount of 'vanilla (γ fixed)' (default 0.9/ρ(A)² when gamma=1) and of the exact methods;
    factor (1 < factor ≤ 100): the cost ratio allowed when annealing raises γ; inner_tol: relative
    cost decrease per step below which annealing raises γ; samples, horizon, seed: the
    zeroth-order estimate of the model-free methods. tol: the target (C − C*)/C*."""
    check_type("sys", sys, LQR)
    check_choice("method", method, METHODS)
    step = DEFAULT_STEP[method] if step is None else check_number("step", step, lo=0.0, hi=1e3, lo_open=True)
    backtrack = check_bool("backtrack", backtrack)
    max_iter = check_int("max_iter", max_iter, lo=1, hi=MAX_ITER)
    tol = check_number("tol", tol, lo=0.0, hi=1.0, lo_open=True)
    gamma = check_number("gamma", gamma, lo=0.0, hi=1.0, lo_open=True)
    factor = check_number("factor", factor, lo=1.0, hi=100.0, lo_open=True)
    inner_tol = check_number("inner_tol", inner_tol, lo=0.0, hi=1.0, lo_open=True)
    samples = check_int("samples", samples, lo=1, hi=1000)
    horizon = check_int("horizon", horizon, lo=1, hi=1000)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    _, c_star = optimal(sys)
    work = _Work()
    tr = _Tracker(sys, c_star, tol, work)
    K = np.zeros((sys.m, sys.n))
    rho_a = sys.rho
    gamma0 = min(1.0, 0.9 / rho_a ** 2)
    if method == "vanilla (γ fixed)" and gamma == 1.0:
        gamma = gamma0
    if tr.record(K, 1.0):
        return tr.result(method, K, None)
    if method in ("vanilla", "vanilla (γ fixed)", "natural", "gauss-newton"):
        kind = method.split(" ")[0]
        sys_g = sys if gamma == 1.0 else sys.discounted(gamma)
        if not np.isfinite(work.evaluate(sys_g, K, need_grad=False).cost):
            return tr.result(method, K, "never stabilising", reason="K = 0 has infinite cost: no gradient")
        eta, c_prev = step, np.inf
        for _ in range(max_iter):
            K, eta, ok, c = _step(sys_g, K, kind, eta, backtrack, work)
            if not ok:
                tr.record(K, gamma)
                return tr.result(method, K, "diverged")
            if tr.record(K, gamma):
                break
            eta = min(2 * eta, 1e3) if backtrack else eta
            if c_prev - c <= 1e-10 * c:
                return tr.result(method, K, "stalled" if np.isfinite(tr.costs[-1]) else "never stabilising")
            c_prev = c
        return tr.result(method, K, None)
    if method in ("annealing (vanilla)", "annealing (natural)"):
        return _annealing(sys, tr, K, "vanilla" if "vanilla" in method else "natural", method, step, backtrack,
                          max_iter, gamma0, factor, inner_tol, work)
    if method == "adaptive PI":
        return _adaptive(sys, tr, K, step, max_iter, factor, work)
    return _model_free(sys, tr, K, method, step, max_iter, gamma0, factor, samples, horizon, seed, work)


def _raise_gamma(sys: LQR, K: np.ndarray, gamma: float, c: float, factor: float, work: _Work) -> tuple:
    """The largest γ' in [γ, 1] with C_γ'(K) ≤ factor·C_γ(K) = factor·c (bisection, 30 halvings),
    and C_γ'(K)."""
    c1 = work.cost(sys, K)
    if c1 <= factor * c:
        return 1.0, c1
    lo, hi, c_lo = gamma, 1.0, c
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        cm = work.cost(sys, K, mid)
        if cm <= factor * c:
            lo, c_lo = mid, cm
        else:
            hi = mid
    return lo, c_lo


def _annealing(sys, tr, K, kind, method, step, backtrack, max_iter, gamma, factor, inner_tol, work) -> Run:
    eta = step
    c_prev = work.cost(sys, K, gamma)
    stages = 0
    for _ in range(max_iter):
        sys_g = sys if gamma == 1.0 else sys.discounted(gamma)
        K, eta, ok, c = _step(sys_g, K, kind, eta, backtrack, work)
        if not ok:
            tr.record(K, gamma)
            return tr.result(method, K, "diverged", stages=stages)
        if tr.record(K, gamma):
            break
        eta = min(2 * eta, 1e3) if backtrack else eta
        if gamma < 1.0 and (c_prev - c) <= inner_tol * c:
            gamma, c = _raise_gamma(sys, K, gamma, c, factor, work)
            stages += 1
        c_prev = c
    return tr.result(method, K, None, stages=stages)


def _adaptive(sys, tr, K, step, max_iter, factor, work) -> Run:
    gamma = min(1.0, ALPHA / sys.rho ** 2)
    for _ in range(max_iter):
        sys_g = sys if gamma == 1.0 else sys.discounted(gamma)
        K, _, ok, c = _step(sys_g, K, "gauss-newton", step, True, work)
        if not ok:                                   # cannot happen from a stabilising K; kept honest
            tr.record(K, gamma)
            return tr.result("adaptive PI", K, "diverged")
        if tr.record(K, gamma):
            break
        if gamma < 1.0:
            rho = float(np.max(np.abs(np.linalg.eigvals(sys.A - sys.B @ K))))
            margin = min(1.0, ALPHA / rho ** 2)
            gamma = 1.0 if margin == 1.0 else max(margin, _raise_gamma(sys, K, gamma, c, factor, work)[0])
    return tr.result("adaptive PI", K, None)


def _model_free(sys, tr, K, method, step, max_iter, gamma0, factor, samples, horizon, seed, work) -> Run:
    """Zeroth-order vanilla PG with a fixed step: undiscounted ('model-free vanilla') or with
    discount annealing whose γ update uses rollout-cost estimates ('model-free annealing')."""
    anneal = method == "model-free annealing"
    gamma = gamma0 if anneal else 1.0
    rng = np.random.default_rng(seed)
    per_stage = 0
    for it in range(max_iter):
        g, c_est = zeroth_order_gradient(sys, K, samples=samples, radius=0.05, horizon=horizon, gamma=gamma,
                                         seed=int(rng.integers(2**31)))
        work.rollouts += 2 * samples
        with np.errstate(over="ignore", invalid="ignore"):
            gn = np.linalg.norm(g)
        K = K - step * g
        if not np.all(np.isfinite(K)) or np.abs(K).max() > 1e6:
            K = np.nan_to_num(K, nan=0.0, posinf=1e6, neginf=-1e6).clip(-1e6, 1e6)
            tr.record(K, gamma)
            return tr.result(method, K, "diverged", gradient_norm=float(gn))
        if tr.record(K, gamma):
            break
        per_stage += 1
        if anneal and gamma < 1.0 and per_stage >= 50:
            # raise γ by the largest of a few candidates whose estimated cost stays within the factor
            for cand in (1.0, gamma + 0.5 * (1 - gamma), gamma + 0.25 * (1 - gamma), gamma + 0.1 * (1 - gamma)):
                _, c_new = zeroth_order_gradient(sys, K, samples=samples, radius=0.05, horizon=horizon,
                                                 gamma=cand, seed=int(rng.integers(2**31)))
                work.rollouts += 2 * samples
                if c_new <= factor * c_est:
                    gamma = cand
                    break
            per_stage = 0
    return tr.result(method, K, None)


BENCH_METHODS = ("vanilla", "vanilla (γ fixed)", "model-free vanilla", "annealing (vanilla)", "annealing (natural)",
                 "adaptive PI")


def benchmark(systems: list, methods=BENCH_METHODS, max_iter: int = 2000, tol: float = 1e-3) -> pd.DataFrame:
    """Every method from K = 0 on every system (a list of LQR, 1..2000): one row per (system,
    method) with n, m, ρ(A), status, iterations to tol (-1 if never), first stabilising
    iteration, final gap, and the run's effort to its end (which is the target when it
    converged): Lyapunov solves, cost evaluations, CPU milliseconds (see the module's notes)."""
    check_type("systems", systems, (list, tuple))
    if not 1 <= len(systems) <= 2000:
        raise ValueError(f"systems must hold 1..2000 systems; got {len(systems)}")
    for s in systems:
        check_type("systems[i]", s, LQR)
    check_type("methods", methods, (list, tuple))
    if not methods:
        raise ValueError("methods must name at least one method")
    for m in methods:
        check_choice("methods", m, METHODS)
    max_iter = check_int("max_iter", max_iter, lo=1, hi=MAX_ITER)
    tol = check_number("tol", tol, lo=0.0, hi=1.0, lo_open=True)
    rows = []
    for i, s in enumerate(systems):
        for m in methods:
            r = run(s, m, max_iter=min(max_iter, 200) if m.startswith("model-free") else max_iter, tol=tol)
            gap = float(r.gaps[-1])
            rows.append(dict(system=i, n=s.n, m=s.m, rho=s.rho, method=m, status=r.status, iters=r.iters,
                             first_stable=r.first_stable, final_gap=gap if np.isfinite(gap) else np.inf,
                             solves=r.info["lyapunov_solves"], evals=r.info["cost_evaluations"],
                             cpu_ms=1e3 * r.info["cpu_s"]))
    return pd.DataFrame(rows)


def benchmark_sets(seeds=(0, 1, 2), count: int = 20, sizes=((2, 1), (3, 1), (4, 2), (6, 2)),
                   rho_range=(1.05, 1.5), max_iter: int = 2000, tol: float = 1e-3) -> pd.DataFrame:
    """`benchmark` on one random set per seed (1..20 seeds, `count` systems each); column `seed`
    names the set. Model-free methods get at most 200 iterations here."""
    check_type("seeds", seeds, (tuple, list))
    if not 1 <= len(seeds) <= 20:
        raise ValueError(f"seeds must hold 1..20 seeds; got {len(seeds)}")
    frames = []
    for sd in seeds:
        check_int("seeds", sd, lo=0, hi=2**31 - 1)
        df = benchmark(random_set(count, sizes, rho_range, seed=int(sd)), max_iter=max_iter, tol=tol)
        frames.append(df.assign(seed=int(sd)))
    return pd.concat(frames, ignore_index=True)


def _median_ok(s: pd.Series) -> float:
    return float(np.median(s)) if len(s) else np.nan


def success_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per method: success rate (mean ± std over the sets) and, among successes, the median
    iterations to the target (mean ± std over the sets of each set's median), and likewise the
    median Lyapunov solves and CPU milliseconds when the table has them (NaN where a method
    never converged), from a `benchmark_sets` table."""
    check_table("df", df, ("seed", "method", "status", "iters"), what="a benchmark_sets table")
    effort = [c for c in ("iters", "solves", "cpu_ms") if c in df.columns]
    ok = df.status == "converged"
    per = df.assign(ok=ok).groupby(["method", "seed"]).agg(rate=("ok", "mean"))
    for c in effort:
        per[c] = df[ok].groupby(["method", "seed"])[c].agg(_median_ok).reindex(per.index)
    aggs = dict(success_mean=("rate", "mean"), success_std=("rate", "std"))
    for c in effort:
        aggs[f"{c}_median"] = (c, "mean")
        aggs[f"{c}_std"] = (c, "std")
    out = per.groupby("method").agg(**aggs)
    out["systems"] = df.groupby("method").size()
    order = [m for m in METHODS if m in out.index]
    return out.loc[order]


def _has_methods(df: pd.DataFrame, methods) -> None:
    missing = [m for m in methods if not (df.method == m).any()]
    if missing:
        raise ValueError(f"df holds no rows of {missing} (a benchmark_sets table of these methods); it holds "
                         f"{sorted(set(map(str, df.method)))}")


def _rate(df: pd.DataFrame, method: str) -> tuple[float, float]:
    r = df[df.method == method].assign(ok=lambda d: d.status == "converged").groupby("seed").ok.mean()
    return float(r.mean()), float(r.std(ddof=0))


def vanilla_fails_claim(df: pd.DataFrame, max_rate: float = 0.05) -> Measured:
    """Vanilla PG from K = 0 (exact with a fixed discount, and model-free undiscounted) reaches
    (C − C*)/C* < tol on at most `max_rate` of the systems (each set), from a benchmark_sets table."""
    check_table("df", df, ("seed", "method", "status"), what="a benchmark_sets table")
    max_rate = check_number("max_rate", max_rate, lo=0.0, hi=1.0)
    _has_methods(df, ("vanilla", "vanilla (γ fixed)", "model-free vanilla"))
    rates = {m: _rate(df, m) for m in ("vanilla", "vanilla (γ fixed)", "model-free vanilla")}
    worst = max(v[0] for v in rates.values())
    sub = df[df.method.isin(list(rates))]
    counts = sub.groupby(["method", "status"]).size()
    detail = "; ".join(f"{m}: " + ", ".join(f"{n} {s}" for (mm, s), n in counts.items() if mm == m) for m in rates)
    return Measured(f"{worst * 100:.0f} % success (worst vanilla variant)", bool(worst <= max_rate),
                    f"{df.seed.nunique()} sets of {df[df.method == 'vanilla'].shape[0] // df.seed.nunique()} "
                    f"systems; {detail}", number=worst * 100)


def converges_claim(df: pd.DataFrame, method: str = "adaptive PI") -> Measured:
    """`method` reaches (C − C*)/C* < tol from K = 0 on every system of every set."""
    check_table("df", df, ("seed", "method", "status"), what="a benchmark_sets table")
    check_choice("method", method, METHODS)
    _has_methods(df, (method,))
    mean, std = _rate(df, method)
    n = int((df.method == method).sum())
    ok = int(((df.method == method) & (df.status == "converged")).sum())
    return Measured(f"{mean * 100:.1f} ± {std * 100:.1f} %", bool(ok == n),
                    f"{ok}/{n} systems over {df.seed.nunique()} sets (mean ± std over sets)", number=mean * 100)


_EFFORT = {"solves": "Lyapunov solves", "iters": "iterations", "evals": "cost evaluations", "cpu_ms": "CPU ms"}


def iterations_claim(df: pd.DataFrame, method: str = "adaptive PI",
                     others=("annealing (natural)", "annealing (vanilla)"), metric: str = "solves") -> Measured:
    """Whether `method` reaches (C − C*)/C* < tol with less effort than each of `others`.
    `metric` is the effort counted to the target: "solves" (Lyapunov solves, line searches and γ
    bisections included), "iters", "evals" (cost evaluations) or "cpu_ms". Per set (seed), the
    median effort over the systems where both methods converged; then the paired 95 %
    t-interval over the sets (at least 2) of other − method, which must lie above 0 for every
    other. The number is the smallest ratio other / method of the means over the sets. When a
    method converged on none of a set's systems (with the other), there is nothing to compare:
    the claim does not hold and the value says so (number None)."""
    check_table("df", df, ("seed", "system", "method", "status"), what="a benchmark_sets table")
    check_choice("method", method, METHODS)
    check_type("others", others, (tuple, list))
    if not others:
        raise ValueError("others must name at least one method")
    for o in others:
        check_choice("others", o, METHODS)
    check_choice("metric", metric, tuple(_EFFORT))
    _has_methods(df, (method, *others))
    check_table("df", df, ("seed", "system", "method", "status", metric), what="a benchmark_sets table")
    sets = sorted(df.seed.unique().tolist())
    if len(sets) < 2:
        raise ValueError(f"df must hold at least 2 sets (seeds) for a paired interval over sets; got {sets}")
    ok = df[df.status == "converged"]
    mine = ok[ok.method == method].set_index(["seed", "system"])[metric].rename("ours")
    parts, values, ratios, missing, holds = [], [], [], [], True
    for o in others:
        theirs = ok[ok.method == o].set_index(["seed", "system"])[metric].rename("other")
        both = pd.concat([mine, theirs], axis=1, join="inner")
        per = both.groupby(level="seed").median()
        lacking = [sd for sd in sets if sd not in per.index]
        if lacking:
            missing.append(f"{o} and {method} converged together on no system of set(s) {lacking}")
            holds = False
            continue
        per = per.loc[sets]
        iv = stats.paired_interval(per.other.to_numpy(float), per.ours.to_numpy(float))
        holds = holds and iv.above(0.0)
        a, b = float(per.ours.mean()), float(per.other.mean())
        ratios.append(b / a if a > 0 else np.inf)
        values.append(f"{a:.1f} vs {b:.1f} ({o})")
        parts.append(f"{o} − {method}: {iv.text(1)} over sets, {len(both)} systems where both converged")
    unit = _EFFORT[metric]
    if missing:
        return Measured("not comparable: " + "; ".join(missing), False,
                        f"{unit} to the target; " + "; ".join(parts + missing))
    ratio = min(ratios)
    return Measured(f"{unit}: " + ", ".join(values), bool(holds),
                    f"median {unit} to the target per set, mean over {len(sets)} sets; " + "; ".join(parts),
                    number=float(ratio) if np.isfinite(ratio) else None)


def model_free_claim(runs: list) -> Measured:
    """Model-free runs (a list of Run, one per seed) all reach a stabilising gain from K = 0;
    the value is their mean final gap (C − C*)/C*."""
    check_type("runs", runs, (list, tuple))
    if not runs or not all(isinstance(r, Run) for r in runs):
        raise ValueError("runs must be a non-empty list of Run")
    gaps = np.array([r.gaps[-1] for r in runs])
    ok = bool(np.all(np.isfinite(gaps)))
    g = gaps[np.isfinite(gaps)]
    first = [r.first_stable for r in runs]
    val = f"final gap {g.mean():.3g} ± {g.std():.3g}" if g.size else "never stabilising"
    return Measured(val, ok, f"{len(runs)} seeds; first stabilising iteration {first}",
                    number=float(g.mean()) if g.size else None)
