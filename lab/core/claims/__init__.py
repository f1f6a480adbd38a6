"""Claim checks: the paper's number beside ours, with a tolerance and a verdict.

A notebook opens a recorder near its top and records each claim at its end::

    rec = claims.start(NB, SCALE)          # remembers the notebook and the scale
    ...
    rec.check("SPGF's depth RMSE is within 30 % of the paper's",
              paper="9 cm", paper_value=9.0, unit="cm",
              measured=spgf.rmse_claim(df),        # a Measured(value, holds, note)
              tolerance=claims.rel(0.3, "synthetic frames; ±30 % covers frame-to-frame spread"),
              fails_if="SPGF's mean RMSE over the frames above EM's or NDT's")

The contract, the same in every notebook:

* Claim helpers in `lab` return one small type, `Measured(value, holds, note)`:
  `value` is what we measured (a number, or short text with `number` the one
  compared), `holds` whether the qualitative claim holds by that measurement.
* `tolerance` says within what our number counts as the paper's, and why:
  `rel`, `absolute`, `band` (also `at_least` / `at_most` for a paper's bound), or
  `qualitative` where the paper gives no number.
* `fails_if` says which measurement would have made the claim fail. A claim that
  cannot fail is not a claim: record it with `rec.fact(...)` as a setup fact.
* The verdict is computed, never given: *reproduced* (holds, and our number is
  within the tolerance of the paper's, or the claim is qualitative), *direction
  only* (holds, the number is outside: the table shows ours/paper), or *not
  reproduced* (does not hold). `must_hold=True` (the default) raises `ClaimFailed`
  when a claim does not hold, which fails the notebook under nbmake; a claim
  known not to reproduce at our scale is recorded with `must_hold=False` and a
  note saying why.

Claims go to `build/claims/<notebook>.json` ("small" scale) or
`build/claims/<notebook>.<scale>.json` (any other scale, e.g. "paper").
`report()` gathers them into one markdown table with counts per verdict.

Files: `contract.py` the contract (Measured, the tolerances, the records, the verdict as a pure function);
`record.py` the notebook's recorder; `store.py` where claims files live and how they are read and written;
`report.py` the tables (HTML, markdown, CLAIMS.md, the README's counts).
"""
from .contract import (DIRECTION, NOT_REPRODUCED, REPRODUCED, VERDICTS, Claim, ClaimFailed, Fact, Measured,
                       Tolerance, absolute, at_least, at_most, band, qualitative, rel, verdict)
from .record import Recorder, start
from .report import ClaimTable, available, counts_line, report, status, summary, table
from .store import load, results_dir

__all__ = [
    "REPRODUCED", "DIRECTION", "NOT_REPRODUCED", "VERDICTS", "ClaimFailed", "Measured", "Tolerance",
    "rel", "absolute", "band", "at_least", "at_most", "qualitative", "Claim", "Fact", "verdict",
    "Recorder", "start", "ClaimTable", "table", "available", "counts_line", "report", "summary", "status",
    "load", "results_dir",
]
