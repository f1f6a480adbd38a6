"""The claims of notebooks/11_ufm.ipynb (Uncertainty from Motion, S. Sudhakar, S. Karaman,
V. Sze, ICRA 2022), each measured from a `Comparison` and returned as a
`lab.core.claims.Measured`."""
from __future__ import annotations

import numpy as np

from ..core.checks import check_str_choice, check_number, check_type
from ..core.claims import Measured
from ..core.stats import paired_interval
from .method import Comparison, calibration_ranking, claim_numbers


def _layouts(comparison: Comparison, *layouts: str) -> None:
    held = sorted(set(map(str, comparison.table.layout)))
    missing = [x for x in layouts if x not in held]
    if missing:
        raise ValueError(f"comparison must hold the layouts {list(layouts)} (compare(..., layouts=...)); it lacks "
                         f"{missing} (it holds {held})")


def nll_claim(comparison: Comparison, keep: float = 0.5) -> Measured:
    """Ensemble-UfM's NLL gap to the full ensemble out of distribution (mean ± std over seeds);
    holds when the ensemble beats aleatoric-only on every ood seed and ensemble-UfM keeps at
    least `keep` of that NLL gain on average."""
    keep = check_number("keep", keep, lo=0.0, hi=1.0)
    n = claim_numbers(comparison)
    _layouts(comparison, "ood", "indoor")
    gap, kept, gain = n["gap"]["ood"], n["recovered"]["ood"], n["gain"]["ood"]
    ind = n["gap"]["indoor"]
    return Measured(f"{gap.mean():+.3f} ± {gap.std():.3f}", bool(np.all(gain > 0) and kept.mean() >= keep),
                    number=float(gap.mean()),
                    note=f"keeps {100 * kept.mean():.0f} ± {100 * kept.std():.0f} % of the gain (ood); in distribution "
                         f"the gap is {ind.mean():+.3f} ± {ind.std():.3f} nats/pixel and UfM keeps "
                         f"{100 * n['recovered']['indoor'].mean():.0f} % of the gain; {len(gap)} seeds")


def speed_claim(comparison: Comparison) -> Measured:
    """Measured time per timed frame of the full ensemble over ensemble-UfM's (means over every
    sequence; the clock `compare` was given; the first `comparison.timing_warmup` frames of each
    sequence untimed); holds when ensemble-UfM is faster (> 1)."""
    check_type("comparison", comparison, Comparison)
    n = claim_numbers(comparison)
    r, ms = n["time_ratio"], n["ms_per_frame"]
    w = comparison.timing_warmup
    timed = f"frames {w} on of each sequence timed (the first {w} are warm-up)" if w else "every frame timed"
    return Measured(round(r, 2), bool(r > 1.0),
                    note=f"{ms['ensemble']:.1f} ms per frame against {ms['ensemble-UfM']:.1f} ms (aleatoric-only "
                         f"{ms['aleatoric']:.1f} ms), {comparison.n_members} members; {timed}; UfM's numpy merge is a "
                         "large share of a frame next to a 30 k-parameter CNN, so the ratio stays below the "
                         "inference ratio; benchmarks/ufm.py shows it growing with the network's cost")


def aleatoric_ood_claim(comparison: Comparison) -> Measured:
    """Aleatoric-only NLL above the ensemble's out of distribution (mean ± std over seeds);
    holds when it is above on every ood seed and by more than in distribution."""
    n = claim_numbers(comparison)
    _layouts(comparison, "ood", "indoor")
    g = n["gain"]
    return Measured(f"{g['ood'].mean():+.3f} ± {g['ood'].std():.3f}",
                    bool(np.all(g["ood"] > 0) and g["ood"].mean() > g["indoor"].mean()), number=float(g["ood"].mean()),
                    note=f"in distribution: {g['indoor'].mean():+.3f} ± {g['indoor'].std():.3f} nats/pixel; "
                         f"{len(g['ood'])} seeds")


def calibration_claim(comparison: Comparison, layout: str = "ood") -> Measured:
    """On the authors' δ1 calibration error (δ = 0.25, 100 bins), ensemble-UfM against
    aleatoric-only on one layout: the value is the mean over seeds of ECE(aleatoric) −
    ECE(ensemble-UfM); holds when ensemble-UfM is the better calibrated on every seed.
    The note gives the ranking of the three methods on both calibration metrics."""
    check_type("comparison", comparison, Comparison)
    layout = check_str_choice("layout", layout, sorted(set(comparison.table.layout)))
    n = claim_numbers(comparison)
    d1 = n["ece_delta1"][layout]
    diff = d1["aleatoric"] - d1["ensemble-UfM"]
    ours, theirs = (calibration_ranking(comparison, m, layout) for m in ("ece", "ece_delta1"))
    change = "the same ranking" if ours == theirs else "the ranking changes"
    return Measured(f"{diff.mean():+.3f} ± {diff.std():.3f}", bool(np.all(diff > 0)), number=float(diff.mean()),
                    note=f"δ1 ECE ({layout}): aleatoric {d1['aleatoric'].mean():.3f}, ensemble "
                         f"{d1['ensemble'].mean():.3f}, ensemble-UfM {d1['ensemble-UfM'].mean():.3f}; best to worst by "
                         f"the authors' δ1 ECE: {' < '.join(theirs)}; by our interval ECE: {' < '.join(ours)} "
                         f"({change}); {len(diff)} seeds")


def ensemble_calibration_claim(comparison: Comparison, layout: str = "ood", margin: float = 0.02) -> Measured:
    """What UfM is for: matching the full ensemble's calibration with one inference per frame.
    On the authors' δ1 calibration error (δ = 0.25, 100 bins), the paired 95 % t-interval over
    seeds of ECE(ensemble-UfM) − ECE(ensemble) on one layout; holds when the whole interval lies
    below `margin` (in (0, 1], δ1 ECE units): ensemble-UfM is then no worse calibrated than the
    ensemble by more than the margin (a non-inferiority test; being better is no failure). The
    value is the interval, its number the mean difference; the note gives the other layouts'
    intervals. Needs at least 2 seeds per layout."""
    check_type("comparison", comparison, Comparison)
    layout = check_str_choice("layout", layout, sorted(set(comparison.table.layout)))
    margin = check_number("margin", margin, lo=0.0, lo_open=True, hi=1.0)
    n = claim_numbers(comparison)
    ivs = {}
    for lay, d1 in n["ece_delta1"].items():
        if len(d1["ensemble"]) < 2:
            raise ValueError(f"comparison must hold at least 2 seeds per layout for a paired interval; layout "
                             f"{lay!r} has {len(d1['ensemble'])}")
        ivs[lay] = paired_interval(d1["ensemble-UfM"], d1["ensemble"])
    iv, d1 = ivs[layout], n["ece_delta1"][layout]
    others = "; ".join(f"{lay}: {ivs[lay].text(3, signed=True)}" for lay in sorted(ivs) if lay != layout)
    return Measured(iv.text(3, signed=True, short=True), bool(iv.below(margin)), number=iv.mean,
                    note=f"δ1 ECE ({layout}), ensemble-UfM − ensemble: {iv.text(3, signed=True)}, upper end "
                         f"{'below' if iv.below(margin) else 'at or above'} the margin {margin:g}; ensemble "
                         f"{d1['ensemble'].mean():.3f}, ensemble-UfM {d1['ensemble-UfM'].mean():.3f}, aleatoric "
                         f"{d1['aleatoric'].mean():.3f}" + (f"; other layouts: {others}" if others else ""))
