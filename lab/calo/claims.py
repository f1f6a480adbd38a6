"""The claims of notebooks/09_calo.ipynb (calorimetry clustering with SPVCNN, Z. Liu,
X. Yang, S. Han et al., MTL 2022), each measured from the seed-by-seed results of `compare`
(summarised by `gap`: seeds paired, t-intervals of the paired differences, `lab.core.stats`) and
returned as a `lab.core.claims.Measured`."""
from __future__ import annotations

import math

from ..core.checks import check_int, check_number, check_str_choice, check_table, check_type
from ..core.claims import Measured
from ..core.stats import Interval

_NEED = {"spvcnn_pq", "gnn_pq", "spvcnn_ci", "gnn_ci", "gap_pp", "gap_ci_pp", "gap_energy_pp", "gap_energy_ci_pp",
         "seeds_spvcnn_ahead", "n_seeds", "level"}


def _check_stats(stats) -> dict:
    check_type("stats", stats, dict)
    if _NEED - set(stats):
        raise ValueError(f"stats must be the dict of gap(df); missing {sorted(_NEED - set(stats))}")
    if stats["n_seeds"] < 2 or not all(math.isfinite(v) for v in stats["gap_ci_pp"]):
        raise ValueError(f"stats must come from at least 2 seeds (a t-interval needs 2); got {stats['n_seeds']}")
    return stats


def _interval(stats: dict, mean: str, ci: str) -> Interval:
    """The paired t-interval that `gap` summarised as stats[mean][0] and stats[ci]."""
    lo, hi = stats[ci]
    return Interval(stats[mean][0], lo, hi, stats["n_seeds"], stats["level"], paired=True)


def ci_reading(lo: float, hi: float, baseline: str = "GNN") -> str:
    """Plain words for a t-interval (lo, hi) of the SPVCNN - `baseline` gap in PQ points (each in
    [-1e4, 1e4]; a t-interval of few seeds can pass +-100): which side of zero it lies on.
    baseline: "GNN" or "GNN-eq"."""
    lo = check_number("lo", lo, lo=-1e4, hi=1e4)
    hi = check_number("hi", hi, lo=-1e4, hi=1e4)
    baseline = check_str_choice("baseline", baseline, ("GNN", "GNN-eq"))
    if hi < lo:
        raise ValueError(f"lo must be <= hi (an interval in PQ points, within [-1e4, 1e4]); got lo={lo}, hi={hi}")
    if lo > 0:
        return "the interval excludes zero: SPVCNN is ahead"
    if hi < 0:
        return f"the interval excludes zero: the {baseline} is ahead"
    return "the interval includes zero: these seeds cannot tell the two apart"


def pq_gap_claim(stats: dict, n_train: int, epochs: int, n_params: int, baseline_params: int | None = None) -> Measured:
    """SPVCNN's PQ minus the baseline GNN's (stats["baseline"], default "GNN") in PQ points, mean
    over seeds paired by seed (same events, same init seed); holds when the paired t-interval
    (`lab.core.stats`) lies above zero. n_train, epochs, n_params (SPVCNN's) and baseline_params
    (the baseline's, when given) describe the run for the note."""
    stats = _check_stats(stats)
    n_train = check_int("n_train", n_train, lo=1, hi=10**7)
    epochs = check_int("epochs", epochs, lo=1, hi=10**6)
    n_params = check_int("n_params", n_params, lo=1, hi=10**10)
    if baseline_params is not None:
        baseline_params = check_int("baseline_params", baseline_params, lo=1, hi=10**10)
    base = str(stats.get("baseline", "GNN"))
    gap, sd = stats["gap_pp"]
    iv = _interval(stats, "gap_pp", "gap_ci_pp")
    holds = iv.above(0.0)
    size = f"SPVCNN {n_params / 1000:,.0f}k parameters" + (
        f", {base} {baseline_params / 1000:,.0f}k" if baseline_params is not None else "")
    note = (f"SPVCNN − {base} {iv.text(1, ' points', signed=True)}, std {sd:.1f} points: "
            f"{ci_reading(iv.lo, iv.hi, base)}; SPVCNN ahead on "
            f"{stats['seeds_spvcnn_ahead']} of {stats['n_seeds']} seeds; SPVCNN PQ {stats['spvcnn_pq'][0]:.3f}, "
            f"{base} PQ {stats['gnn_pq'][0]:.3f}; {n_train} training events, {epochs} epochs, {size}, "
            "synthetic events")
    return Measured(round(gap, 2), bool(holds), note=note)


def energy_gap_claim(stats: dict) -> Measured:
    """The same paired gap in energy-weighted PQ points; holds when its paired t-interval lies above zero."""
    stats = _check_stats(stats)
    gap, sd = stats["gap_energy_pp"]
    iv = _interval(stats, "gap_energy_pp", "gap_energy_ci_pp")
    return Measured(round(gap, 2), iv.above(0.0),
                    note=f"SPVCNN − {stats.get('baseline', 'GNN')} {iv.text(1, ' points', signed=True)}, std {sd:.1f} points: "
                         f"{ci_reading(iv.lo, iv.hi, stats.get('baseline', 'GNN'))}")


def baseline_claim(df, baseline_pq: float) -> Measured:
    """The lowest of the networks' mean PQs over seeds (df: `compare`'s table, columns model and pq,
    PQs in [0, 1]); holds when it is above the learning-free baseline's PQ `baseline_pq` (DBSCAN on
    hit positions)."""
    df = check_table("df", df, ["model", "pq"], what="compare()'s table")
    baseline_pq = check_number("baseline_pq", baseline_pq, lo=0.0, hi=1.0)
    means = df.groupby("model", sort=False)["pq"].mean()
    if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in means):
        raise ValueError(f"df's pq must hold PQs in [0, 1]; got means {means.to_dict()}")
    worst = str(means.idxmin())
    learned = float(means.min())
    return Measured(round(learned, 3), bool(learned > baseline_pq),
                    note=f"lowest: {worst}; mean PQs " + ", ".join(f"{k} {v:.3f}" for k, v in means.items())
                         + f"; DBSCAN baseline PQ {baseline_pq:.3f} (eps and min_hits picked on the test events: optimistic)")
