"""The claim helpers of notebook 12: each takes a run_seeds table (or a severity_sweep table) and
returns a `Measured`. Comparisons between two methods pair them by seed and follow the workbench's
one significance rule (`lab.core.stats.paired_interval`: the 95 % paired t-interval of the mean
difference must lie on the claimed side of zero)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lab.core.checks import check_choice, check_number, check_table
from lab.core.claims import Measured
from lab.core.stats import mean_std_text, paired_interval

from .evaluate import FAULTS, METHODS, method_input, severity_to_reach


def _rows(df: pd.DataFrame, method: str, fault: str | None = None, name: str = "df") -> pd.DataFrame:
    """The rows of `method` (on `fault`, if given) in the table `df` (the argument `name`); a ValueError
    naming what is absent."""
    d = df[(df.method == method) & ((df.fault == fault) if fault is not None else True)]
    if d.empty:
        on = f" on {fault}" if fault is not None else ""
        raise ValueError(f"{name} holds no rows of {method!r}{on}; it holds the methods "
                         f"{sorted(set(map(str, df.method)))} and faults {sorted(set(map(str, df.fault)))}")
    return d


def _ms(v: pd.Series) -> str:
    """mean ± sample std (ddof=1) over seeds, in per cent (the mean alone for one seed)."""
    v = 100 * v.to_numpy(float)
    return mean_std_text(v, 1) if len(v) > 1 else f"{v[0]:.1f} (one seed)"


def _paired(df: pd.DataFrame, a: str, b: str, fault: str | None, name: str = "df"):
    """The paired interval of mean AUC (over the rows of each seed) of a − b, seeds matched."""
    pa = _rows(df, a, fault, name).groupby("seed").auc.mean()
    pb = _rows(df, b, fault, name).groupby("seed").auc.mean()
    if set(pa.index) != set(pb.index):
        raise ValueError(f"{name} must hold the same seeds for {a!r} and {b!r} (paired by seed); got "
                         f"{sorted(pa.index)} and {sorted(pb.index)}")
    if len(pa) < 2:
        raise ValueError(f"{name} must hold at least 2 seeds (a paired t-interval needs 2); got {len(pa)}")
    pb = pb.loc[pa.index]
    return paired_interval(pa.to_numpy(float), pb.to_numpy(float)), pa, pb


def _reach_text(severity: np.ndarray, top: float) -> str:
    """The mean severity over seeds, and how many seeds never reached the target by `top`."""
    out = int(np.sum(~np.isfinite(severity)))
    if out == len(severity):
        return f"> {top:g} (every seed)"
    return f"{np.minimum(severity, top).mean():.2f}" + (f" ({out} seed(s) > {top:g})" if out else "")


def auc_claim(df: pd.DataFrame, fault: str, method: str = "AE (frequency)", at_least: float = 0.9) -> Measured:
    """AUC of `method` on `fault` (mean ± std over seeds); holds when the mean is ≥ at_least."""
    check_table("df", df, ("seed", "method", "fault", "auc"), what="a run_seeds table")
    check_choice("fault", fault, FAULTS)
    check_choice("method", method, METHODS)
    at_least = check_number("at_least", at_least, lo=0.0, hi=1.0)
    d = _rows(df, method, fault).groupby("seed").auc.mean()
    return Measured(_ms(d), bool(d.mean() >= at_least), f"{len(d)} seeds; held-out good vs {fault}",
                    number=float(d.mean() * 100))


def accuracy_claim(df: pd.DataFrame, method: str = "AE (frequency)", at_least: float = 0.8) -> Measured:
    """Accuracy of the mean + 2σ rule, averaged over both faults (mean ± std over seeds)."""
    check_table("df", df, ("seed", "method", "fault", "accuracy"), what="a run_seeds table")
    check_choice("method", method, METHODS)
    at_least = check_number("at_least", at_least, lo=0.0, hi=1.0)
    rows = _rows(df, method)
    d = rows.groupby("seed").accuracy.mean()
    per = rows.groupby("fault").accuracy.mean()
    return Measured(_ms(d), bool(d.mean() >= at_least),
                    f"{len(d)} seeds; per fault " + ", ".join(f"{k} {v:.3f}" for k, v in per.items()),
                    number=float(d.mean() * 100))


def false_alarm_claim(df: pd.DataFrame, method: str = "AE (frequency)", at_most: float = 0.1) -> Measured:
    """False-alarm rate of the mean + 2σ threshold on held-out good runs (mean ± std over seeds)."""
    check_table("df", df, ("seed", "method", "fault", "far"), what="a run_seeds table")
    check_choice("method", method, METHODS)
    at_most = check_number("at_most", at_most, lo=0.0, hi=1.0)
    d = _rows(df, method, FAULTS[0]).groupby("seed").far.mean()
    return Measured(_ms(d), bool(d.mean() <= at_most), f"{len(d)} seeds; a Gaussian score would give 2.3 %",
                    number=float(d.mean() * 100))


def frequency_beats_time_claim(df: pd.DataFrame, against: str = "AE (time)",
                               method: str = "AE (frequency)") -> Measured:
    """`method` (a frequency-domain method) against a time-domain one on each fault, paired by seed: holds
    when the 95 % paired t-interval of AUC(method) − AUC(against) lies above 0 on both faults. against:
    a time-domain method of METHODS, or "best": per fault, the time-domain method with the highest mean
    AUC in df (chosen after the fact, which favours the time domain). number: the smaller mean difference."""
    check_table("df", df, ("seed", "method", "fault", "auc"), what="a run_seeds table")
    check_choice("method", method, [m for m in METHODS if method_input(m)[1] == "frequency"])
    times = [m for m in METHODS if method_input(m)[1] == "time"]
    check_choice("against", against, [*times, "best"])
    for f in FAULTS:
        _rows(df, method, f)
        if against != "best":
            _rows(df, against, f)
    parts, notes, diffs, holds = [], [], [], True
    for f in FAULTS:
        b = against
        if against == "best":
            present = [m for m in times if not df[(df.method == m) & (df.fault == f)].empty]
            if not present:
                raise ValueError(f"df holds no rows of a time-domain method on {f}; it holds the methods "
                                 f"{sorted(set(map(str, df.method)))}")
            b = max(present, key=lambda m: df[(df.method == m) & (df.fault == f)].auc.mean())
        iv, pa, pb = _paired(df, method, b, f)
        holds &= iv.above(0.0)
        diffs.append(iv.mean)
        parts.append(f"{f}: {pa.mean():.3f} vs {pb.mean():.3f}")
        notes.append(f"{f}: {method} − {b} {iv.text(3, signed=True)}")
    return Measured("; ".join(parts), bool(holds), "AUC, paired by seed; " + "; ".join(notes),
                    number=float(min(diffs)))


def beats_claim(df: pd.DataFrame, a: str = "AE (frequency)", b: str = "PCA") -> Measured:
    """Method `a` against method `b` (both in METHODS), paired by seed on the mean AUC of each seed's rows
    (both faults, and every severity in a severity_sweep table): holds when the 95 % paired t-interval of
    a − b lies above 0. value: both means; number: the mean difference [AUC points, ×100]."""
    check_table("df", df, ("seed", "method", "fault", "auc"), what="a run_seeds or severity_sweep table")
    check_choice("a", a, METHODS)
    check_choice("b", b, METHODS)
    if a == b:
        raise ValueError(f"b must differ from a; got {b!r} twice")
    iv, pa, pb = _paired(df, a, b, None)
    over = "severities and both faults" if "severity" in df.columns else "both faults"
    return Measured(f"{100 * pa.mean():.1f} vs {100 * pb.mean():.1f}", iv.above(0.0),
                    f"mean AUC [%] over {over}, {a} vs {b}; {a} − {b}: "
                    f"{iv.scaled(100.0).text(1, ' points', signed=True)}",
                    number=float(100 * iv.mean))


def sensitivity_claim(sw: pd.DataFrame, a: str = "AE (frequency)", b: str = "AE (time)",
                      target: float = 0.99) -> Measured:
    """Method `a` reaches AUC `target` (in (0.5, 1]) at a lower fault severity than method `b`, on each
    fault, paired by seed (severity_to_reach on a severity_sweep table): holds when the 95 % paired
    t-interval of severity(b) − severity(a) lies above 0 on both faults. A method that never reaches the
    target counts as reaching it at the grid's top severity (censored: this shrinks the difference when
    `b` is censored, so the claim can only be harder to hold). number: the smaller mean difference."""
    check_table("sw", sw, ("seed", "severity", "method", "fault", "auc"), what="a severity_sweep table")
    check_choice("a", a, METHODS)
    check_choice("b", b, METHODS)
    target = check_number("target", target, lo=0.5, hi=1.0, lo_open=True)
    if a == b:
        raise ValueError(f"b must differ from a; got {b!r} twice")
    for m in (a, b):
        for f in FAULTS:
            _rows(sw, m, f, "sw")
    top = float(sw.severity.max())
    reach = severity_to_reach(sw, target)
    parts, notes, diffs, holds = [], [], [], True
    for f in FAULTS:
        sa = reach[(reach.method == a) & (reach.fault == f)].set_index("seed").severity
        sb = reach[(reach.method == b) & (reach.fault == f)].set_index("seed").severity
        if set(sa.index) != set(sb.index) or len(sa) < 2:
            raise ValueError(f"sw must hold the same 2 or more seeds for {a!r} and {b!r}; got "
                             f"{sorted(sa.index)} and {sorted(sb.index)}")
        sb = sb.loc[sa.index]
        ca, cb = np.minimum(sa.to_numpy(float), top), np.minimum(sb.to_numpy(float), top)
        iv = paired_interval(cb, ca)
        holds &= iv.above(0.0)
        diffs.append(iv.mean)
        parts.append(f"{f}: {_reach_text(sa.to_numpy(float), top)} vs {_reach_text(sb.to_numpy(float), top)}")
        notes.append(f"{f}: {b} − {a} {iv.text(2, signed=True)}")
    return Measured("; ".join(parts), bool(holds),
                    f"fault severity at which AUC first reaches {target:g} and stays there, {a} vs {b}, paired "
                    f"by seed; not reached by {top:g} (the grid's top) counts as {top:g}; " + "; ".join(notes),
                    number=float(min(diffs)))
