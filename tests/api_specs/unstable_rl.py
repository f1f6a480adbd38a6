"""Valid, fast calls of lab.unstable_rl's public API, for tests/test_bad_input.py (fixtures built on first use)."""
from functools import lru_cache

import numpy as np

from lab import unstable_rl as T

_S = T.random_unstable(n=2, m=1, rho=1.2, seed=0)
_K, _ = T.optimal(_S)


@lru_cache(maxsize=1)
def _run():
    return T.run(_S, "adaptive PI", max_iter=20)


@lru_cache(maxsize=1)
def _df():
    return T.benchmark_sets(seeds=(0, 1), count=2, max_iter=50)


SPECS = {
    "LQR": lambda: dict(A=_S.A, B=_S.B, Q=_S.Q, R=_S.R, S0=_S.S0, name="x"),
    "random_unstable": lambda: dict(n=2, m=1, rho=1.2, seed=0),
    "random_set": lambda: dict(count=2, sizes=((2, 1),), rho_range=(1.1, 1.2), seed=0),
    "named": lambda: dict(name="pendulum", dt=0.05),
    "spectral_radius": lambda: dict(M=_S.A),
    "evaluate": lambda: dict(sys=_S, K=_K, need_grad=True),
    "cost": lambda: dict(sys=_S, K=_K, gamma=0.9),
    "gradient": lambda: dict(sys=_S, K=_K, gamma=1.0),
    "lyapunov": lambda: dict(A=0.5 * np.eye(2), Q=np.eye(2)),
    "optimal": lambda: dict(sys=_S),
    "closed_loop_radius": lambda: dict(sys=_S, K=_K),
    "trajectory": lambda: dict(sys=_S, K=_K, x0=np.ones(2), steps=10),
    "rollout_cost": lambda: dict(sys=_S, K=_K, x0s=np.ones((3, 2)), horizon=10, gamma=1.0),
    "zeroth_order_gradient": lambda: dict(sys=_S, K=_K, samples=5, radius=0.05, horizon=10, gamma=1.0, seed=0),
    "run": lambda: dict(sys=_S, method="adaptive PI", step=0.5, backtrack=True, max_iter=10, tol=1e-3, gamma=1.0,
                        factor=2.5, inner_tol=1e-3, samples=5, horizon=10, seed=0),
    "benchmark": lambda: dict(systems=[_S], methods=("adaptive PI",), max_iter=10, tol=1e-3),
    "benchmark_sets": lambda: dict(seeds=(0,), count=1, sizes=((2, 1),), rho_range=(1.1, 1.2), max_iter=10, tol=1e-3),
    "success_table": lambda: dict(df=_df()),
    "vanilla_fails_claim": lambda: dict(df=_df(), max_rate=0.05),
    "converges_claim": lambda: dict(df=_df(), method="adaptive PI"),
    "iterations_claim": lambda: dict(df=_df(), method="adaptive PI", others=("annealing (natural)",), metric="solves"),
    "model_free_claim": lambda: dict(runs=[_run()]),
    "cost_figure": lambda: dict(runs=[_run()], title="t"),
    "trajectory_figure": lambda: dict(sys=_S, runs=[_run()], x0=np.ones(2), steps=10),
    "success_figure": lambda: dict(table=T.success_table(_df())),
    "instability_figure": lambda: dict(df=_df()),
    "Evaluation": lambda: dict(cost=1.0, rho=0.5, P=None, Sigma=None, E=None, grad=None),
    "Run": lambda: dict(method="x", costs=np.ones(2), gammas=np.ones(2), K=_K, status="converged", iters=1,
                        c_star=1.0),
}
SKIP = {"explorer": "widget; driven by notebook 16's explorer-check cell",
        "SCALES": "a preset table, not a callable", "METHODS": "a tuple of names, not a callable",
        "BENCH_METHODS": "a tuple of names, not a callable"}
FINITE_EXEMPT = {
    "run": "costs are +inf while a policy does not stabilise the plant: the measured outcome, never NaN",
    "Run": "costs are +inf while a policy does not stabilise the plant",
    "Evaluation": "cost is +inf for a policy that does not stabilise the plant",
}
_UNREAD = "the dropped first column, 'system', is one it does not read: the answer is the full table's"
TABLE_ACCEPTS = {f"{name}(df=column missing)": (_UNREAD, "same")
                 for name in ("success_table", "vanilla_fails_claim", "converges_claim", "instability_figure")}
