"""Fast convergence of policy gradient on unstable linear-quadratic systems (W. Zhang, MIT MTL
2022) -- notebooks/16_unstable_rl.ipynb.

Exact LQR cost and policy gradient from Lyapunov equations (Fazel et al. 2018), vanilla and
natural policy gradient, Gauss–Newton, discount annealing (Perdomo et al. 2021), the
adaptive-discount policy iteration that the notebook proposes from the abstract, and model-free
zeroth-order variants, benchmarked from K = 0 on random unstable systems.
"""
from lab.core.scale import freeze

from .lqr import (Evaluation, closed_loop_radius, cost, evaluate, gradient, lyapunov, optimal, rollout_cost,
                  trajectory, zeroth_order_gradient)
from .methods import (BENCH_METHODS, METHODS, Run, benchmark, benchmark_sets, converges_claim, iterations_claim,
                      model_free_claim, run, success_table, vanilla_fails_claim)
from .systems import LQR, named, random_set, random_unstable, spectral_radius
from .views import cost_figure, explorer, instability_figure, success_figure, trajectory_figure

SCALES = freeze({
    "small": dict(seeds=(0, 1, 2), count=20, sizes=((2, 1), (3, 1), (4, 2), (6, 2)), max_iter=1500,
                  mf_iter=600, mf_seeds=(0, 1, 2)),
    "paper": dict(seeds=(0, 1, 2, 3, 4), count=40, sizes=((2, 1), (3, 1), (4, 2), (6, 2), (8, 3)),
                  max_iter=5000, mf_iter=5000, mf_seeds=(0, 1, 2, 3, 4)),
})

__all__ = [
    "SCALES", "LQR", "random_unstable", "random_set", "named", "spectral_radius",
    "Evaluation", "evaluate", "cost", "gradient", "lyapunov", "optimal", "closed_loop_radius", "trajectory",
    "rollout_cost", "zeroth_order_gradient",
    "METHODS", "BENCH_METHODS", "Run", "run", "benchmark", "benchmark_sets", "success_table",
    "vanilla_fails_claim", "converges_claim", "iterations_claim", "model_free_claim",
    "cost_figure", "trajectory_figure", "success_figure", "instability_figure", "explorer",
]
