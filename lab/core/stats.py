"""The workbench's one significance rule for stochastic comparisons.

Two contenders run on the same seeds (or the same test objects) are compared by the
Student-t confidence interval of the mean of their paired differences (scipy.stats' t
distribution, standard error std(ddof=1) / sqrt(n)); the comparison is significant when the
95 % interval excludes zero, and a claimed direction holds when the interval lies on its side
(`Interval.above(0)` for a gain, `Interval.below(0)` for a loss)::

    iv = stats.paired_interval(new, old)          # Interval(mean, lo, hi, n) of new - old
    Measured(iv.text(unit=" points"), iv.above(0.0), note=f"new - old: {iv.text()}")

`mean_interval` is the same interval for the mean of one sample (a claim's value with its
uncertainty). Fewer than 2 values, NaN and inf are refused with a ValueError. When every
difference is the same the interval is that one number (lo = hi = mean). Bounds are never
clipped: an interval of accuracies may pass 100 % or 0 % (a caller that clips says so in its
note). `mean_std_text` writes "mean ± std" with the sample std (ddof=1) for a note's spread.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .checks import check_array, check_bool, check_int, check_number, check_type

LEVEL = 0.95
MAX_VALUES = 10_000_000          # values per sample (the cost is linear in their number)


@dataclass(frozen=True)
class Interval:
    """A Student-t confidence interval of a mean: `mean`, bounds `lo` <= mean <= `hi` (the unit of
    the values), `n` values (2..1e9), confidence `level` in [0.5, 1), `paired` when the values are
    paired differences (a - b on the same seeds or objects)."""
    mean: float
    lo: float
    hi: float
    n: int
    level: float = LEVEL
    paired: bool = True

    def __post_init__(self):
        mean = check_number("mean", self.mean)
        lo = check_number("lo", self.lo)
        hi = check_number("hi", self.hi)
        check_int("n", self.n, lo=2, hi=10**9)
        check_number("level", self.level, lo=0.5, hi=1.0, hi_open=True)
        check_bool("paired", self.paired)
        tol = 1e-9 * max(1.0, abs(mean))
        if not lo <= mean + tol:
            raise ValueError(f"lo must be <= mean ({mean:g}); got lo={lo:g}")
        if not mean <= hi + tol:
            raise ValueError(f"hi must be >= mean ({mean:g}); got hi={hi:g}")

    def excludes_zero(self) -> bool:
        """True when the interval lies wholly above or wholly below 0: the difference is significant."""
        return self.lo > 0.0 or self.hi < 0.0

    def above(self, value: float = 0.0) -> bool:
        """True when the whole interval lies above `value` (same unit as the interval, finite)."""
        value = check_number("value", value)
        return self.lo > value

    def below(self, value: float = 0.0) -> bool:
        """True when the whole interval lies below `value` (same unit as the interval, finite)."""
        value = check_number("value", value)
        return self.hi < value

    def scaled(self, factor: float) -> "Interval":
        """The interval in another unit: every bound times `factor` (> 0, at most 1e6; 100 turns
        fractions into %)."""
        factor = check_number("factor", factor, lo=0.0, hi=1e6, lo_open=True)
        return Interval(factor * self.mean, factor * self.lo, factor * self.hi, self.n, self.level, self.paired)

    def text(self, digits: int = 2, unit: str = "", signed: bool = False, short: bool = False) -> str:
        """'mean [lo, hi]<unit> (95 % paired t, n = 5)': `digits` decimals (0..6), `unit` written
        after the bounds (e.g. " points"), `signed` puts a + on positive numbers, `short` leaves
        out the parenthesis (for a claim's value when its note gives the whole text)."""
        digits = check_int("digits", digits, lo=0, hi=6)
        short = check_bool("short", short)
        unit = _unit(unit)
        signed = check_bool("signed", signed)
        f = (lambda x: f"{x:+.{digits}f}") if signed else (lambda x: f"{x:.{digits}f}")
        kind = "paired t" if self.paired else "t"
        body = f"{f(self.mean)} [{f(self.lo)}, {f(self.hi)}]{unit}"
        return body if short else f"{body} ({_pct(self.level)} % {kind}, n = {self.n})"


def _unit(unit) -> str:
    check_type("unit", unit, str)
    if len(unit) > 40 or not unit.isprintable():
        raise ValueError(f"unit must be printable text of at most 40 characters; got {unit!r}")
    return unit


def _pct(level: float) -> str:
    return f"{100 * level:.1f}".rstrip("0").rstrip(".")


def _sample(name: str, values) -> np.ndarray:
    v = check_array(name, values, ndim=1, dtype_kind="fiu", min_size=2, lo=-1e100, hi=1e100).astype(float)
    if v.size > MAX_VALUES:
        raise ValueError(f"{name} must hold at most {MAX_VALUES} values; got {v.size}")
    return v


def mean_interval(values, level: float = LEVEL, *, paired: bool = False) -> Interval:
    """The Student-t interval (scipy.stats.t) at `level` (in [0.5, 1)) of the mean of `values`
    (1-D, 2..1e7 finite numbers within ±1e100, any unit). `paired=True` says the values are paired differences
    (the formatter then writes "paired t"); `paired_interval` builds those from two samples."""
    from scipy import stats

    v = _sample("values", values)
    level = check_number("level", level, lo=0.5, hi=1.0, hi_open=True)
    paired = check_bool("paired", paired)
    m = float(v.mean())
    sem = float(v.std(ddof=1)) / math.sqrt(len(v))
    if sem == 0.0:
        return Interval(m, m, m, len(v), level, paired)
    lo, hi = stats.t.interval(level, len(v) - 1, loc=m, scale=sem)
    return Interval(m, min(float(lo), m), max(float(hi), m), len(v), level, paired)


def paired_interval(a, b, level: float = LEVEL) -> Interval:
    """The paired Student-t interval at `level` of mean(a - b): `a` and `b` are 1-D samples of the
    same length (2..1e7 finite numbers, the same unit), a[i] and b[i] measured on the same seed or
    object. The same interval as scipy.stats.ttest_rel(a, b).confidence_interval(level)."""
    a = _sample("a", a)
    b = _sample("b", b)
    if a.shape != b.shape:
        raise ValueError(f"b must hold as many values as a (paired by seed); got {len(b)} and {len(a)}")
    return mean_interval(a - b, level, paired=True)


def significant(a, b, level: float = LEVEL) -> bool:
    """True when the paired t-interval of mean(a - b) at `level` excludes zero (two-sided; `a`, `b`
    as in `paired_interval`). A directed claim uses `paired_interval(a, b).above(0)` or `.below(0)`."""
    return paired_interval(a, b, level).excludes_zero()


def mean_std_text(values, digits: int = 2, unit: str = "") -> str:
    """'mean ± std<unit>' of `values` (1-D, 2..1e7 finite numbers) with the sample std (ddof=1);
    `digits` decimals (0..6)."""
    v = _sample("values", values)
    digits = check_int("digits", digits, lo=0, hi=6)
    unit = _unit(unit)
    sd = float(v.std(ddof=1))
    return f"{v.mean():.{digits}f} ± {sd:.{digits}f}{unit}"
