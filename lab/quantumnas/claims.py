"""Tables and claim helpers of notebooks/14_quantumnas.ipynb (QuantumNAS, Wang et al., HPCA 2022): the
contenders' summary and pruning tables and the `Measured` claims on the pipeline's per-seed results.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from lab.core.claims import Measured
from lab.core.checks import check_array, check_choice, check_int, check_number, check_type
from lab.core.stats import mean_interval, paired_interval
from .pipeline import PipelineResult, check_results


# ----------------------------------------------------------------------------- tables and claims
CONTENDERS = ("human baseline", "random", "QuantumNAS", "QuantumNAS + pruning")


def summary_frame(summary: dict, backend: str, task: str):
    """A pandas table of `summarize_seeds` output: accuracies in % as mean ± std."""
    import pandas as pd

    check_type("summary", summary, dict)
    check_type("backend", backend, str)
    check_type("task", task, str)
    if not summary:
        raise ValueError("summary must hold at least one contender (summarize_seeds output)")
    rows = []
    for name, m in summary.items():
        rows.append({"task": task, "backend": backend, "contender": name,
                     "parameters": f"{m['n_params'][0]:.0f}", "native gates": f"{m['n_native'][0]:.0f}",
                     "noise-free acc [%]": f"{100 * m['acc_clean'][0]:.1f} ± {100 * m['acc_clean'][1]:.1f}",
                     "noisy acc [%]": f"{100 * m['acc_noisy'][0]:.1f} ± {100 * m['acc_noisy'][1]:.1f}"})
    return pd.DataFrame(rows)


def _per_seed(results: Sequence[PipelineResult], name: str, metric: str) -> np.ndarray:
    return np.array([getattr(r.contenders[name], metric) for r in results], dtype=float)


def interval_text(values, scale: float = 100.0, digits: int = 1) -> str:
    """'mean [lo, hi]' of `values` times `scale` (> 0; fractions -> % by default): the 95 % t-interval
    of the mean (`lab.core.stats.mean_interval`), or the single value when there is only one (one seed)."""
    v = check_array("values", values, ndim=1, min_size=1, lo=-1e12, hi=1e12)
    scale = check_number("scale", scale, lo=0.0, hi=1e6, lo_open=True)
    digits = check_int("digits", digits, lo=0, hi=6)
    if len(v) == 1:
        return f"{scale * float(v[0]):.{digits}f} (one seed)"
    return mean_interval(v).scaled(scale).text(digits, short=True)


def noise_free_ceiling(results: Sequence[PipelineResult]) -> np.ndarray:
    """Per seed, the noise-free ceiling of the circuit family on that seed's data and encoder: the
    best noise-free test accuracy (fraction) among the circuits trained on it (the full
    SuperCircuit of the human baseline, which holds every SubCircuit, and the random, searched and
    pruned SubCircuits). The best is taken on the test split, so it leans high and a ratio to it
    leans low. Shape (n_seeds,)."""
    results = check_results(results)
    return np.array([max(c.acc_clean for c in r.contenders.values()) for r in results], dtype=float)


def claim_ceiling_ratio(results: Sequence[PipelineResult], bound: float, name: str = "QuantumNAS") -> Measured:
    """The noisy test accuracy of contender `name` as a share of the noise-free ceiling
    (`noise_free_ceiling`), per seed [%]; holds when the mean share is at least `bound` (a
    fraction). The paper's absolute accuracy A is a lower bound on its own share (its ceiling is
    at most 100 %), so A read as a fraction is the bound to compare with. value: mean and 95 %
    t-interval over the seeds [%]."""
    results = check_results(results)
    bound = check_number("bound", bound, lo=0.0, hi=1.0)
    check_choice("name", name, CONTENDERS)
    ceil = noise_free_ceiling(results)
    if not np.all(ceil > 0):
        raise ValueError("results must hold a contender with a noise-free accuracy above 0 in every seed")
    share = _per_seed(results, name, "acc_noisy") / ceil
    return Measured(interval_text(share), bool(share.mean() >= bound), number=float(100 * share.mean()),
                    note=(f"noisy accuracy / noise-free ceiling, {len(share)} seed(s) (95 % t-interval); "
                          f"ceiling {interval_text(ceil)} %; at or above {100 * bound:.0f} % in "
                          f"{int(np.sum(share >= bound))} of {len(share)}"))


def claim_searched_beats(results: Sequence[PipelineResult], other: str = "human baseline") -> Measured:
    """QuantumNAS's noisy test accuracy against another contender's ("human baseline": the same
    training budget on the layout Qiskit's transpiler picks, optimization_level=3; "random": a
    random SubCircuit and layout with inherited weights), paired by seed; holds when the paired 95 %
    t-interval of the difference (`lab.core.stats`, at least 2 seeds) lies above 0. value: both as
    mean [95 % t-interval] [%]; number: the mean difference [points]."""
    results = check_results(results)
    check_choice("other", other, [c for c in CONTENDERS if c != "QuantumNAS"])
    q, b = _per_seed(results, "QuantumNAS", "acc_noisy"), _per_seed(results, other, "acc_noisy")
    if len(q) < 2:
        raise ValueError(f"results must hold at least 2 seeds (a paired t-interval needs 2); got {len(q)}")
    iv = paired_interval(q, b).scaled(100.0)
    wins = int(np.sum(q > b))
    return Measured(f"{interval_text(q)} vs {interval_text(b)}", iv.above(0.0), number=iv.mean,
                    note=(f"noisy test accuracy [%], searched vs {other}, mean [95 % t-interval] over {len(q)} seeds; "
                          f"searched − {other}: {iv.text(1, ' points', signed=True)}; searched higher in "
                          f"{wins} of {len(q)}"))


def pruned_gates(results: Sequence[PipelineResult]) -> tuple[float, float]:
    """Mean native gate counts (after transpiling) of the searched circuit before and after pruning
    (the same where the unpruned circuit was kept)."""
    results = check_results(results)
    return (float(_per_seed(results, "QuantumNAS", "n_native").mean()),
            float(_per_seed(results, "QuantumNAS + pruning", "n_native").mean()))


def pruning_frame(results: Sequence[PipelineResult]):
    """A pandas table, one row per seed, of the pruning choice (`run_pipeline`): the noisy validation
    accuracy [%] at each ratio tried (0: unpruned), the ratio kept, and the searched circuit's native
    gates before and after pruning with the share removed [%]."""
    import pandas as pd

    results = check_results(results)
    rows = []
    for r in results:
        if not r.pruning:
            raise ValueError("results must come from run_pipeline (their pruning record is empty)")
        n0, n1 = r.contenders["QuantumNAS"].n_native, r.contenders["QuantumNAS + pruning"].n_native
        rows.append({"seed": r.seed,
                     "noisy validation acc [%] at ratio": ", ".join(
                         f"{q:.2f}: {100 * a:.0f}" for q, a in zip(r.pruning["ratios"], r.pruning["val_acc"])),
                     "ratio kept": round(r.pruning["chosen"], 2), "native gates": f"{n0} → {n1}",
                     "gates removed [%]": round(100 * (n0 - n1) / n0, 1) if n0 else 0.0})
    return pd.DataFrame(rows)


def claim_pruning(results: Sequence[PipelineResult], n_test: int) -> Measured:
    """The paper's "pruning keeps or improves accuracy": the mean paired change of noisy test
    accuracy from pruning [points]; holds when it is no worse than minus one test sample
    (100 / n_test points, the resolution of an accuracy measured on n_test samples)."""
    results = check_results(results)
    n_test = check_int("n_test", n_test, lo=1, hi=100_000)
    a0, a1 = _per_seed(results, "QuantumNAS", "acc_noisy"), _per_seed(results, "QuantumNAS + pruning", "acc_noisy")
    d = 100 * (a1 - a0)
    change = (paired_interval(a1, a0).scaled(100.0).text(1, " points", signed=True) if len(d) > 1
              else f"{d[0]:+.1f} points (one seed)")
    return Measured(f"{100 * a0.mean():.1f} -> {100 * a1.mean():.1f} % ({interval_text(d, scale=1.0)} points)",
                    bool(d.mean() >= -100.0 / n_test), number=float(d.mean()),
                    note=f"noisy test accuracy after − before pruning: {change}; improved or equal in "
                         f"{int(np.sum(d >= 0))} of {len(d)} seeds")


def claim_accuracy(results: Sequence[PipelineResult], paper: float, task: str) -> Measured:
    """Claim 3: the searched circuit's noisy accuracy [%] against the paper's number (a fraction)."""
    results = check_results(results)
    paper = check_number("paper", paper, lo=0.0, hi=1.0)
    check_type("task", task, str)
    a = _per_seed(results, "QuantumNAS", "acc_noisy")
    note = (f"{task} on 4x4-pooled sklearn digits (not 28x28 MNIST), fake-backend noise model (not the real "
            f"device), laptop-scale training; mean [95 % t-interval] over {len(a)} seed(s)")
    return Measured(interval_text(a), bool(a.mean() >= paper), note=note, number=float(100 * a.mean()))
