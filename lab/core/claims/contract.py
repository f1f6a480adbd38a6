"""The claims contract: what a claim helper returns (`Measured`), the tolerances, the records kept per claim
and per fact, and the verdict as a pure function of them."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checks import check_type

REPRODUCED = "reproduced"
DIRECTION = "direction only"
NOT_REPRODUCED = "not reproduced"
VERDICTS = (REPRODUCED, DIRECTION, NOT_REPRODUCED)


class ClaimFailed(AssertionError):
    """A claim marked `must_hold=True` did not hold."""


def check_text(name: str, value: Any, *, empty: bool = True) -> str:
    check_type(name, value, str)
    if any(ord(ch) < 32 and ch not in "\t" for ch in value):
        raise ValueError(f"{name} must be one line of text without control characters; got {value!r}")
    if not empty and not value.strip():
        raise ValueError(f"{name} must be a non-empty sentence")
    return value


def is_bool(v: Any) -> bool:
    return isinstance(v, (bool, np.bool_))


# ----------------------------------------------------------------------------- the measured value
@dataclass(frozen=True)
class Measured:
    """What a claim helper measured.

    value: the number (or short text) shown as ours. holds: whether the qualitative
    claim holds by this measurement (a bool computed from measured numbers).
    note: context (seeds, spread, what differs from the paper's setting).
    number: the number compared with the paper's when `value` is text (defaults to
    `value` when that is a real number).
    """
    value: Any
    holds: bool
    note: str = ""
    number: float | None = None

    def __post_init__(self):
        if not is_bool(self.holds):
            raise TypeError(f"holds must be a bool; got {type(self.holds).__name__} {self.holds!r}")
        object.__setattr__(self, "holds", bool(self.holds))
        check_type("note", self.note, str)
        num = self.number
        if num is None and isinstance(self.value, numbers.Real) and not is_bool(self.value):
            num = float(self.value)
        if num is not None:
            if is_bool(num) or not isinstance(num, numbers.Real):
                raise TypeError(f"number must be a real number or None; got {type(num).__name__}")
            num = float(num)
            if not math.isfinite(num):
                raise ValueError(f"value must be finite (a claim measured as {num} measured nothing; "
                                 "give text such as 'diverged' and number=None instead)")
        object.__setattr__(self, "number", num)
        object.__setattr__(self, "value", clean(self.value))


# ----------------------------------------------------------------------------- tolerances
@dataclass(frozen=True)
class Tolerance:
    """Within what our number counts as the paper's. Build with rel, absolute, band,
    at_least, at_most or qualitative; `why` gives the reason for the choice."""
    kind: str
    amount: float | None = None
    lo: float | None = None
    hi: float | None = None
    why: str = ""

    def __post_init__(self):
        if self.kind not in ("rel", "abs", "band", "qualitative"):
            raise ValueError(f"kind must be one of rel, abs, band, qualitative; got {self.kind!r}")
        for name in ("amount", "lo", "hi"):
            v = getattr(self, name)
            if v is not None and (is_bool(v) or not isinstance(v, numbers.Real) or not math.isfinite(v)):
                raise ValueError(f"{name} must be a finite number or None; got {v!r}")
        if self.kind in ("rel", "abs") and (self.amount is None or self.amount <= 0):
            raise ValueError(f"amount must be a number > 0 for a {self.kind} tolerance; got {self.amount!r}")
        check_text("why", self.why, empty=False)

    @property
    def numeric(self) -> bool:
        return self.kind != "qualitative"

    def within(self, ours: float, paper: float | None) -> bool:
        """Whether `ours` counts as `paper` under this tolerance."""
        if self.kind == "qualitative":
            return True
        if self.kind == "band":
            return (self.lo is None or ours >= self.lo) and (self.hi is None or ours <= self.hi)
        if paper is None:
            raise ValueError(f"paper_value is needed for a {self.kind} tolerance")
        if self.kind == "rel":
            return abs(ours - paper) <= self.amount * abs(paper)
        return abs(ours - paper) <= self.amount

    def describe(self) -> str:
        if self.kind == "qualitative":
            return "qualitative"
        if self.kind == "rel":
            return f"±{self.amount * 100:.3g} %"
        if self.kind == "abs":
            return f"±{fmt(self.amount)}"
        if self.lo is not None and self.hi is not None:
            return f"[{fmt(self.lo)}, {fmt(self.hi)}]"
        return f"≥ {fmt(self.lo)}" if self.lo is not None else f"≤ {fmt(self.hi)}"


def rel(fraction: float, why: str) -> Tolerance:
    """Ours counts as the paper's within ±fraction of the paper's value (0 < fraction ≤ 10)."""
    if is_bool(fraction) or not isinstance(fraction, numbers.Real) or not 0 < fraction <= 10:
        raise ValueError(f"fraction must be a number in (0, 10]; got {fraction!r}")
    return Tolerance("rel", amount=float(fraction), why=why)


def absolute(amount: float, why: str) -> Tolerance:
    """Ours counts as the paper's within ±amount (in the claim's unit, amount > 0)."""
    if is_bool(amount) or not isinstance(amount, numbers.Real) or not (0 < amount < math.inf):
        raise ValueError(f"amount must be a finite number > 0; got {amount!r}")
    return Tolerance("abs", amount=float(amount), why=why)


def band(lo: float | None, hi: float | None, why: str) -> Tolerance:
    """Ours counts as the paper's when lo ≤ ours ≤ hi (None: open end; not both None)."""
    for name, v in (("lo", lo), ("hi", hi)):
        if v is not None and (is_bool(v) or not isinstance(v, numbers.Real) or not math.isfinite(v)):
            raise ValueError(f"{name} must be a finite number or None; got {v!r}")
    if lo is None and hi is None:
        raise ValueError("lo and hi must not both be None")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"lo must be <= hi; got lo={lo}, hi={hi}")
    return Tolerance("band", lo=None if lo is None else float(lo), hi=None if hi is None else float(hi), why=why)


def at_least(lo: float, why: str) -> Tolerance:
    """The paper states a lower bound (e.g. "> 600x"): ours counts when ≥ lo."""
    return band(lo, None, why)


def at_most(hi: float, why: str) -> Tolerance:
    """The paper states an upper bound (e.g. "< 1 %"): ours counts when ≤ hi."""
    return band(None, hi, why)


def qualitative(why: str) -> Tolerance:
    """The paper gives no number: the verdict follows `holds` alone."""
    return Tolerance("qualitative", why=why)


# ----------------------------------------------------------------------------- records
@dataclass
class Claim:
    claim: str
    paper: str
    measured: Any
    unit: str
    holds: bool
    verdict: str
    tolerance: str
    tolerance_why: str
    fails_if: str
    paper_value: float | None = None
    number: float | None = None
    must_hold: bool = True
    note: str = ""
    scale: str = "small"

    @property
    def status(self) -> str:
        if not self.holds and self.must_hold:
            return "FAILS"
        return self.verdict

    @property
    def ratio(self) -> float | None:
        if self.number is None or not self.paper_value:
            return None
        return self.number / self.paper_value


@dataclass
class Fact:
    """A setup fact: a number that describes the setting and cannot fail (e.g. a model's size)."""
    fact: str
    value: Any
    unit: str = ""
    note: str = ""


def fmt(value: Any) -> str:
    if is_bool(value):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if not math.isfinite(v):
            return str(v)
        if v == 0:
            return "0"
        if 1e-3 <= abs(v) < 1e5:
            return f"{v:.4g}"
        return f"{v:.3e}"
    return str(value)


def clean(value: Any) -> Any:
    """Make a measured value JSON-friendly (numpy scalars, tensors, tuples)."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, numbers.Real):
        return float(value)
    return str(value)


def verdict(holds: bool, tolerance: Tolerance, number: float | None, paper_value: float | None) -> str:
    """The verdict of a claim: not reproduced when it does not hold; reproduced when it holds and `number`
    counts as `paper_value` under `tolerance` (always, for a qualitative tolerance); direction only otherwise."""
    if not is_bool(holds):
        raise TypeError(f"holds must be a bool; got {type(holds).__name__}")
    check_type("tolerance", tolerance, Tolerance)
    for name, v in (("number", number), ("paper_value", paper_value)):
        if v is not None and (is_bool(v) or not isinstance(v, numbers.Real) or not math.isfinite(v)):
            raise TypeError(f"{name} must be a finite number or None; got {v!r}")
    if not holds:
        return NOT_REPRODUCED
    if tolerance.numeric and number is None:
        raise ValueError("number is needed for a numeric tolerance")
    return REPRODUCED if tolerance.within(number if tolerance.numeric else 0.0, paper_value) else DIRECTION
