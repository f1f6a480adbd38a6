"""The recorder a notebook opens near its top (`rec = claims.start(NB, SCALE)`) and records each claim and
fact with."""
from __future__ import annotations

import math
import numbers
import os
import warnings
from typing import Any

from ..checks import check_type
from .contract import (Claim, ClaimFailed, Fact, Measured, Tolerance, check_text, clean, fmt,
                       is_bool, verdict)
from .report import ClaimTable
from .store import check_nb, check_scale, save_claims


class Recorder:
    """The claims of one notebook at one scale. Made by `start(NB, SCALE)`."""

    def __init__(self, notebook: str, scale: str, strict: bool):
        self.notebook = check_nb(notebook)
        self.scale = check_scale(scale)
        if not is_bool(strict):
            raise TypeError(f"strict must be a bool; got {type(strict).__name__}")
        self.strict = bool(strict)
        self.claims: list[Claim] = []
        self.facts: list[Fact] = []
        save_claims(self.notebook, self.scale, [], [])

    def __repr__(self) -> str:
        return f"Recorder({self.notebook!r}, scale={self.scale!r}, {len(self.claims)} claims)"

    def check(self, claim: str, *, paper: Any, measured: Measured, unit: str, tolerance: Tolerance,
              fails_if: str, paper_value: float | None = None, must_hold: bool = True,
              note: str = "", why_not: str = "") -> ClaimTable:
        """Record one claim and return the notebook's claims table.

        claim: one sentence. paper: the paper's value as stated ("8x", "> 95 %").
        paper_value: that value as a number, where the paper gives one (needed by
        rel and absolute tolerances). measured: a `Measured`. unit: its unit ("" when
        dimensionless). tolerance: `rel`, `absolute`, `band`, `at_least`, `at_most` or
        `qualitative`. fails_if: the measurement that would have made the claim fail.
        must_hold: raise ClaimFailed after recording when the claim does not hold and the recorder is strict
        (the small scale as shipped, the one make test runs); otherwise it is recorded as not reproduced, with a
        warning, so a long run keeps its other claims.
        note: added to the measured note (what differs, whatever the outcome).
        why_not: the reason the claim does not reproduce at this scale, added to the note only when the
        measurement does not hold (an explanation written in advance must not sit beside a claim that held).
        """
        check_text("claim", claim, empty=False)
        check_text("unit", unit)
        check_text("note", note)
        check_text("why_not", why_not)
        check_text("fails_if", fails_if, empty=False)
        check_type("measured", measured, Measured)
        check_type("tolerance", tolerance, Tolerance)
        if not is_bool(must_hold):
            raise TypeError(f"must_hold must be a bool; got {type(must_hold).__name__}")
        if paper_value is not None:
            if is_bool(paper_value) or not isinstance(paper_value, numbers.Real) or not math.isfinite(paper_value):
                raise TypeError(f"paper_value must be a finite number or None; got {paper_value!r}")
            paper_value = float(paper_value)
        if tolerance.kind in ("rel", "abs") and paper_value is None:
            raise ValueError(f"paper_value is needed for a {tolerance.kind} tolerance ({claim!r})")
        if tolerance.numeric and measured.number is None:
            raise ValueError(f"measured.number is needed for a numeric tolerance ({claim!r}); "
                             "use qualitative(...) where there is no number to compare")
        if measured.number is not None and not math.isfinite(measured.number) and tolerance.numeric:
            raise ValueError(f"measured number must be finite for a numeric tolerance; got {measured.number}")
        notes = "; ".join(s for s in (measured.note, note, "" if measured.holds else why_not) if s.strip())
        stop = must_hold and not measured.holds and self.strict
        if must_hold and not measured.holds and not stop:
            where = f"{self.scale} scale" + ("" if self.scale != "small" else " with overridden settings")
            notes = "; ".join(s for s in (notes, f"required at small scale; does not hold at {where}") if s)
            warnings.warn(f"{self.notebook}: claim did not hold at {where}: {claim}", stacklevel=2)
        if not must_hold and not measured.holds and not notes.strip():
            raise ValueError("note must say why, when a claim is recorded as not reproduced "
                             "(must_hold=False and it does not hold)")
        outcome = verdict(measured.holds, tolerance, measured.number, paper_value)
        entry = Claim(claim=claim, paper=str(paper), measured=measured.value, unit=unit, holds=measured.holds,
                      verdict=outcome, tolerance=tolerance.describe(), tolerance_why=tolerance.why,
                      fails_if=fails_if, paper_value=paper_value, number=measured.number,
                      must_hold=bool(must_hold) and (measured.holds or stop), note=notes, scale=self.scale)
        self.claims = [c for c in self.claims if c.claim != claim] + [entry]
        save_claims(self.notebook, self.scale, self.claims, self.facts)
        tbl = self.table()
        if stop:
            raise ClaimFailed(f"{self.notebook}: claim did not hold: {claim} (paper {paper}, measured "
                              f"{fmt(measured.value)} {unit})\n{tbl.to_markdown()}")
        return tbl

    def fact(self, fact: str, value: Any, unit: str = "", note: str = "") -> ClaimTable:
        """Record a setup fact: a number shown apart from the claims, because it cannot fail."""
        check_text("fact", fact, empty=False)
        check_text("unit", unit)
        check_text("note", note)
        entry = Fact(fact=fact, value=clean(value), unit=unit, note=note)
        self.facts = [f for f in self.facts if f.fact != fact] + [entry]
        save_claims(self.notebook, self.scale, self.claims, self.facts)
        return self.table()

    def table(self) -> ClaimTable:
        return ClaimTable(((self.notebook, c) for c in self.claims), ((self.notebook, f) for f in self.facts))


def start(notebook: str, scale: str = "small", strict: bool | None = None) -> Recorder:
    """Forget the notebook's earlier claims at this scale and return its recorder;
    call once near the top of the notebook: ``rec = claims.start(NB, SCALE)``.

    strict: whether a `must_hold` claim that does not hold stops the notebook (raises `ClaimFailed`).
    None (the default) means: at the small scale as shipped, yes (make test guards it); at another scale,
    or with settings overridden through LAB_SCALE_OVERRIDES (the quick settings of tests that run a
    notebook for its page, not its claims), no: the claim is recorded as not reproduced, with a warning.
    """
    if strict is None:
        overridden = os.environ.get("LAB_SCALE_OVERRIDES", "").strip() not in ("", "{}")
        strict = check_scale(scale) == "small" and not overridden
    return Recorder(notebook, scale, strict)
