"""The claims of notebooks/09_calo.ipynb (calorimetry clustering with SPVCNN, Z. Liu,
X. Yang, S. Han et al., MTL 2022), each measured from the seed-by-seed results of `compare`
(summarised by `gap`: seeds paired, t-intervals of the paired differences, `lab.core.stats`) and
returned as a `lab.core.claims.Measured`."""
from __future__ import annotations

import math

from ..core.checks import check_int, check_number, check_type
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


def ci_reading(lo: float, hi: float) -> str:
    """Plain words for a t-interval (lo, hi) of the SPVCNN - GNN gap in PQ points (each in
    [-1e4, 1e4]; a t-interval of few seeds can pass +-100): which side of zero it lies on."""
    lo = check_number("lo", lo, lo=-1e4, hi=1e4)
    hi = check_number("hi", hi, lo=-1e4, hi=1e4)
    if hi < lo:
        raise ValueError(f"lo must be <= hi (an interval in PQ points, within [-1e4, 1e4]); got lo={lo}, hi={hi}")
    if lo > 0:
        return "the interval excludes zero: SPVCNN is ahead"
    if hi < 0:
        return "the interval excludes zero: the GNN is ahead"
    return "the interval includes zero: these seeds cannot tell the two apart"


def pq_gap_claim(stats: dict, n_train: int, epochs: int, n_params: int) -> Measured:
    """SPVCNN's PQ minus the GNN's in PQ points, mean over seeds paired by seed (same events,
    same init seed); holds when the paired t-interval (`lab.core.stats`) lies above zero.
    n_train, epochs, n_params describe the run for the note."""
    stats = _check_stats(stats)
    n_train = check_int("n_train", n_train, lo=1, hi=10**7)
    epochs = check_int("epochs", epochs, lo=1, hi=10**6)
    n_params = check_int("n_params", n_params, lo=1, hi=10**10)
    gap, sd = stats["gap_pp"]
    iv = _interval(stats, "gap_pp", "gap_ci_pp")
    holds = iv.above(0.0)
    note = (f"SPVCNN − GNN {iv.text(1, ' points', signed=True)}, std {sd:.1f} points: "
            f"{ci_reading(iv.lo, iv.hi)}; SPVCNN ahead on "
            f"{stats['seeds_spvcnn_ahead']} of {stats['n_seeds']} seeds; SPVCNN PQ {stats['spvcnn_pq'][0]:.3f}, "
            f"GNN PQ {stats['gnn_pq'][0]:.3f}; {n_train} training events, {epochs} epochs, ~{n_params // 1000}k "
            "parameters per network, synthetic events")
    return Measured(round(gap, 2), bool(holds), note=note)


def energy_gap_claim(stats: dict) -> Measured:
    """The same paired gap in energy-weighted PQ points; holds when its paired t-interval lies above zero."""
    stats = _check_stats(stats)
    gap, sd = stats["gap_energy_pp"]
    iv = _interval(stats, "gap_energy_pp", "gap_energy_ci_pp")
    return Measured(round(gap, 2), iv.above(0.0),
                    note=f"SPVCNN − GNN {iv.text(1, ' points', signed=True)}, std {sd:.1f} points: "
                         f"{ci_reading(iv.lo, iv.hi)}")


def baseline_claim(stats: dict, baseline_pq: float) -> Measured:
    """The lower of the two networks' mean PQs; holds when it is above the learning-free
    baseline's PQ `baseline_pq` (DBSCAN on hit positions)."""
    stats = _check_stats(stats)
    baseline_pq = check_number("baseline_pq", baseline_pq, lo=0.0, hi=1.0)
    learned = min(stats["spvcnn_pq"][0], stats["gnn_pq"][0])
    return Measured(round(learned, 3), bool(learned > baseline_pq),
                    note=f"DBSCAN baseline PQ {baseline_pq:.3f} (eps and min_hits picked on the test events: optimistic)")
