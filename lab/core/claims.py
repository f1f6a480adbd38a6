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
"""
from __future__ import annotations

import html
import json
import math
import numbers
import os
import re
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .checks import check_type
from .paths import build_dir, build_path, repo_root

_NB_RE = re.compile(r"[0-9]{2}_[a-z0-9_]+")
_SCALE_RE = re.compile(r"[a-z][a-z0-9_]*")

REPRODUCED = "reproduced"
DIRECTION = "direction only"
NOT_REPRODUCED = "not reproduced"
VERDICTS = (REPRODUCED, DIRECTION, NOT_REPRODUCED)


class ClaimFailed(AssertionError):
    """A claim marked `must_hold=True` did not hold."""


def _check_text(name: str, value: Any, *, empty: bool = True) -> str:
    check_type(name, value, str)
    if any(ord(ch) < 32 and ch not in "\t" for ch in value):
        raise ValueError(f"{name} must be one line of text without control characters; got {value!r}")
    if not empty and not value.strip():
        raise ValueError(f"{name} must be a non-empty sentence")
    return value


def _is_bool(v: Any) -> bool:
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
        if not _is_bool(self.holds):
            raise TypeError(f"holds must be a bool; got {type(self.holds).__name__} {self.holds!r}")
        object.__setattr__(self, "holds", bool(self.holds))
        check_type("note", self.note, str)
        num = self.number
        if num is None and isinstance(self.value, numbers.Real) and not _is_bool(self.value):
            num = float(self.value)
        if num is not None:
            if _is_bool(num) or not isinstance(num, numbers.Real):
                raise TypeError(f"number must be a real number or None; got {type(num).__name__}")
            num = float(num)
            if not math.isfinite(num):
                raise ValueError(f"value must be finite (a claim measured as {num} measured nothing; "
                                 "give text such as 'diverged' and number=None instead)")
        object.__setattr__(self, "number", num)
        object.__setattr__(self, "value", _clean(self.value))


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
            if v is not None and (_is_bool(v) or not isinstance(v, numbers.Real) or not math.isfinite(v)):
                raise ValueError(f"{name} must be a finite number or None; got {v!r}")
        if self.kind in ("rel", "abs") and (self.amount is None or self.amount <= 0):
            raise ValueError(f"amount must be a number > 0 for a {self.kind} tolerance; got {self.amount!r}")
        _check_text("why", self.why, empty=False)

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
            return f"±{_fmt(self.amount)}"
        if self.lo is not None and self.hi is not None:
            return f"[{_fmt(self.lo)}, {_fmt(self.hi)}]"
        return f"≥ {_fmt(self.lo)}" if self.lo is not None else f"≤ {_fmt(self.hi)}"


def rel(fraction: float, why: str) -> Tolerance:
    """Ours counts as the paper's within ±fraction of the paper's value (0 < fraction ≤ 10)."""
    if _is_bool(fraction) or not isinstance(fraction, numbers.Real) or not 0 < fraction <= 10:
        raise ValueError(f"fraction must be a number in (0, 10]; got {fraction!r}")
    return Tolerance("rel", amount=float(fraction), why=why)


def absolute(amount: float, why: str) -> Tolerance:
    """Ours counts as the paper's within ±amount (in the claim's unit, amount > 0)."""
    if _is_bool(amount) or not isinstance(amount, numbers.Real) or not (0 < amount < math.inf):
        raise ValueError(f"amount must be a finite number > 0; got {amount!r}")
    return Tolerance("abs", amount=float(amount), why=why)


def band(lo: float | None, hi: float | None, why: str) -> Tolerance:
    """Ours counts as the paper's when lo ≤ ours ≤ hi (None: open end; not both None)."""
    for name, v in (("lo", lo), ("hi", hi)):
        if v is not None and (_is_bool(v) or not isinstance(v, numbers.Real) or not math.isfinite(v)):
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


def _fmt(value: Any) -> str:
    if _is_bool(value):
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


def _clean(value: Any) -> Any:
    """Make a measured value JSON-friendly (numpy scalars, tensors, tuples)."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, numbers.Real):
        return float(value)
    return str(value)


class ClaimTable:
    """The claims of one or more notebooks; renders as HTML, markdown or text."""

    COLUMNS = ("notebook", "claim", "paper", "measured", "unit", "tolerance", "verdict", "note")

    def __init__(self, rows: Iterable[tuple[str, Claim]], facts: Iterable[tuple[str, Fact]] = ()):
        self.rows = list(rows)
        self.facts = list(facts)

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict[str, str]]:
        out = []
        for nb, c in self.rows:
            verdict = c.status
            if c.verdict == DIRECTION and c.ratio is not None:
                verdict = f"{verdict} (ours/paper {c.ratio:.3g})"
            note = c.note
            if c.fails_if:
                note = f"{note}; would fail if: {c.fails_if}" if note else f"would fail if: {c.fails_if}"
            out.append(dict(notebook=nb, claim=c.claim, paper=c.paper, measured=_fmt(c.measured),
                            unit=c.unit, tolerance=c.tolerance, verdict=verdict, note=note))
        return out

    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in (*VERDICTS, "FAILS")}
        for _, c in self.rows:
            out[c.status] += 1
        return {k: v for k, v in out.items() if v or k in VERDICTS}

    @property
    def all_hold(self) -> bool:
        return all(c.holds or not c.must_hold for _, c in self.rows)

    def to_markdown(self, columns: tuple[str, ...] | None = None) -> str:
        cols = columns or self.COLUMNS

        def esc(s: str) -> str:
            return str(s).replace("|", "\\|").replace("\n", " ")
        lines = ["| " + " | ".join(c.capitalize() for c in cols) + " |", "|" + "---|" * len(cols)]
        for r in self.records():
            lines.append("| " + " | ".join(esc(r[c]) for c in cols) + " |")
        if self.facts:
            lines += ["", "Setup facts (numbers that describe the setting; they cannot fail):", ""]
            lines += ["| Notebook | Fact | Value | Unit | Note |", "|---|---|---|---|---|"]
            for nb, f in self.facts:
                lines.append(f"| {nb} | {esc(f.fact)} | {esc(_fmt(f.value))} | {esc(f.unit)} | {esc(f.note)} |")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        colors = {REPRODUCED: "#1a7f37", DIRECTION: "#9a6700", NOT_REPRODUCED: "#8250df", "FAILS": "#cf222e"}
        cells = "".join(f"<th style='text-align:left'>{c.capitalize()}</th>" for c in self.COLUMNS)
        body = []
        for (_, c), r in zip(self.rows, self.records()):
            tds = []
            for col in self.COLUMNS:
                v = html.escape(r[col])
                if col == "verdict":
                    v = f"<b style='color:{colors.get(c.status, '#000')}'>{v}</b>"
                tds.append(f"<td style='text-align:left'>{v}</td>")
            body.append("<tr>" + "".join(tds) + "</tr>")
        out = (f"<table class='lab-claims'><thead><tr>{cells}</tr></thead>"
               f"<tbody>{''.join(body)}</tbody></table>")
        if self.facts:
            rows = "".join(f"<tr><td>{html.escape(f.fact)}</td><td>{html.escape(_fmt(f.value))} "
                           f"{html.escape(f.unit)}</td><td>{html.escape(f.note)}</td></tr>" for _, f in self.facts)
            out += ("<p><b>Setup facts</b> (they describe the setting and cannot fail)</p>"
                    f"<table class='lab-facts'><thead><tr><th>Fact</th><th>Value</th><th>Note</th></tr></thead>"
                    f"<tbody>{rows}</tbody></table>")
        return out

    def __repr__(self) -> str:
        return self.to_markdown()


# ----------------------------------------------------------------------------- files
def _check_nb(notebook: Any) -> str:
    check_type("notebook", notebook, str)
    if not _NB_RE.fullmatch(notebook):
        raise ValueError(f"notebook must look like 'NN_topic' (e.g. '03_synapse'); got {notebook!r}")
    return notebook


def _check_scale(scale: Any) -> str:
    check_type("scale", scale, str)
    if not _SCALE_RE.fullmatch(scale):
        raise ValueError(f"scale must be a preset name such as 'small' or 'paper'; got {scale!r}")
    return scale


def _path(notebook: str, scale: str = "small") -> Path:
    suffix = "" if scale == "small" else f".{scale}"
    return build_dir("claims") / f"{notebook}{suffix}.json"


def _read(p: Path) -> tuple[list[Claim], list[Fact]]:
    data = json.loads(p.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("claims", []), list):
        raise ValueError("not a claims file (no 'claims' list)")
    return ([Claim(**c) for c in data.get("claims", [])], [Fact(**f) for f in data.get("facts", [])])


def load(notebook: str, scale: str = "small") -> list[Claim]:
    """The recorded claims of one notebook at one scale (empty when it has not run)."""
    p = _path(_check_nb(notebook), _check_scale(scale))
    return _read(p)[0] if p.is_file() else []


def _save(notebook: str, scale: str, claims: list[Claim], facts: list[Fact]) -> None:
    p = _path(notebook, scale)
    tmp = p.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"notebook": notebook, "scale": scale, "claims": [asdict(c) for c in claims],
                               "facts": [asdict(f) for f in facts]}, indent=2, sort_keys=True))
    tmp.replace(p)


class Recorder:
    """The claims of one notebook at one scale. Made by `start(NB, SCALE)`."""

    def __init__(self, notebook: str, scale: str):
        self.notebook = _check_nb(notebook)
        self.scale = _check_scale(scale)
        self.claims: list[Claim] = []
        self.facts: list[Fact] = []
        _save(self.notebook, self.scale, [], [])

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
        must_hold: raise ClaimFailed after recording when the claim does not hold at the small scale
        (the one make test runs); at a larger scale it is recorded as not reproduced, with a warning, so a
        long run keeps its other claims.
        note: added to the measured note (what differs, whatever the outcome).
        why_not: the reason the claim does not reproduce at this scale, added to the note only when the
        measurement does not hold (an explanation written in advance must not sit beside a claim that held).
        """
        _check_text("claim", claim, empty=False)
        _check_text("unit", unit)
        _check_text("note", note)
        _check_text("why_not", why_not)
        _check_text("fails_if", fails_if, empty=False)
        check_type("measured", measured, Measured)
        check_type("tolerance", tolerance, Tolerance)
        if not _is_bool(must_hold):
            raise TypeError(f"must_hold must be a bool; got {type(must_hold).__name__}")
        if paper_value is not None:
            if _is_bool(paper_value) or not isinstance(paper_value, numbers.Real) or not math.isfinite(paper_value):
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
        # make test guards the small scale as shipped; a long run, or a run with overridden settings (a quick
        # look in the browser test, a tiny check of the paper tier), records what it finds instead of stopping
        overridden = os.environ.get("LAB_SCALE_OVERRIDES", "").strip() not in ("", "{}")
        stop = must_hold and not measured.holds and self.scale == "small" and not overridden
        if must_hold and not measured.holds and not stop:
            where = f"{self.scale} scale" + (" with overridden settings" if overridden else "")
            notes = "; ".join(s for s in (notes, f"required at small scale; does not hold at {where}") if s)
            warnings.warn(f"{self.notebook}: claim did not hold at {where}: {claim}", stacklevel=2)
        if not must_hold and not measured.holds and not notes.strip():
            raise ValueError("note must say why, when a claim is recorded as not reproduced "
                             "(must_hold=False and it does not hold)")
        if not measured.holds:
            verdict = NOT_REPRODUCED
        elif tolerance.within(measured.number if tolerance.numeric else 0.0, paper_value):
            verdict = REPRODUCED
        else:
            verdict = DIRECTION
        entry = Claim(claim=claim, paper=str(paper), measured=measured.value, unit=unit, holds=measured.holds,
                      verdict=verdict, tolerance=tolerance.describe(), tolerance_why=tolerance.why,
                      fails_if=fails_if, paper_value=paper_value, number=measured.number,
                      must_hold=bool(must_hold) and (measured.holds or stop), note=notes, scale=self.scale)
        self.claims = [c for c in self.claims if c.claim != claim] + [entry]
        _save(self.notebook, self.scale, self.claims, self.facts)
        tbl = self.table()
        if stop:
            raise ClaimFailed(f"{self.notebook}: claim did not hold: {claim} (paper {paper}, measured "
                              f"{_fmt(measured.value)} {unit})\n{tbl.to_markdown()}")
        return tbl

    def fact(self, fact: str, value: Any, unit: str = "", note: str = "") -> ClaimTable:
        """Record a setup fact: a number shown apart from the claims, because it cannot fail."""
        _check_text("fact", fact, empty=False)
        _check_text("unit", unit)
        _check_text("note", note)
        entry = Fact(fact=fact, value=_clean(value), unit=unit, note=note)
        self.facts = [f for f in self.facts if f.fact != fact] + [entry]
        _save(self.notebook, self.scale, self.claims, self.facts)
        return self.table()

    def table(self) -> ClaimTable:
        return ClaimTable(((self.notebook, c) for c in self.claims), ((self.notebook, f) for f in self.facts))


def start(notebook: str, scale: str = "small") -> Recorder:
    """Forget the notebook's earlier claims at this scale and return its recorder;
    call once near the top of the notebook: ``rec = claims.start(NB, SCALE)``."""
    return Recorder(notebook, scale)


# ----------------------------------------------------------------------------- gathering
def results_dir(scale: str) -> Path:
    """`results/<scale>/`: the committed claims of a recorded long run (`python -m lab run NN --scale paper
    --record`), one `<nb>.<scale>.json` and one `<nb>.run.json` (time, machine, commit) per notebook."""
    return repo_root() / "results" / _check_scale(scale)


def _files(scale: str | None = "small", folder: Path | None = None) -> list[tuple[str, str, Path]]:
    out = []
    if folder is not None and not isinstance(folder, Path):
        raise TypeError(f"folder must be a pathlib.Path (e.g. results_dir('paper')) or None; got {type(folder).__name__}")
    where = build_path("claims") if folder is None else folder
    for f in sorted(where.glob("*.json")) if where.is_dir() else []:
        if f.name.endswith(".run.json"):
            continue
        parts = f.name[:-5].split(".")
        nb, sc = parts[0], (parts[1] if len(parts) > 1 else "small")
        if len(parts) > 2 or not _NB_RE.fullmatch(nb) or not _SCALE_RE.fullmatch(sc):
            warnings.warn(f"claims: skipped {f}: its name is not <NN_topic>[.<scale>].json", stacklevel=3)
            continue
        if scale is None or sc == scale:
            out.append((nb, sc, f))
    return out


def table(notebook: str | None = None, scale: str = "small", folder: Path | None = None) -> ClaimTable:
    """All recorded claims (of one notebook, or of every notebook) at one scale, from `build/claims/`
    or from `folder` (e.g. `results_dir("paper")`). A corrupted file is skipped with a warning that names it."""
    _check_scale(scale)
    if notebook is not None:
        _check_nb(notebook)
    rows, facts = [], []
    for nb, _sc, f in _files(scale, folder):
        if notebook is not None and nb != notebook:
            continue
        try:
            cl, fa = _read(f)
        except Exception as exc:  # corrupted, truncated or from another version
            warnings.warn(f"claims: skipped {f}: {type(exc).__name__}: {exc}", stacklevel=2)
            continue
        rows.extend((nb, c) for c in cl)
        facts.extend((nb, x) for x in fa)
    return ClaimTable(rows, facts)


def available() -> tuple[ClaimTable, str]:
    """The claims a reader can see now, and where they come from: this machine's runs in `build/claims/`
    (small scale) when there are any, else the committed paper-scale records in `results/paper/`, so that a
    fresh clone's start page is not empty."""
    local = table(scale="small")
    if len(local):
        return local, f"this machine's runs (`build/claims/`, small scale): {counts_line(local)}"
    committed = table(scale="paper", folder=results_dir("paper"))
    if len(committed):
        return committed, (f"no notebook has run on this machine yet, so these are the committed paper-scale records "
                           f"(`results/paper/`): {counts_line(committed)}")
    return committed, "no claims recorded yet: run a notebook, or `make test`"


def counts_line(t: ClaimTable) -> str:
    c = t.counts()
    return ", ".join(f"{n} {k}" for k, n in c.items())


def report(scales: tuple[str, ...] = ("small", "paper")) -> str:
    """The markdown claims table (CLAIMS.md): the small-scale verdict and, where a
    paper-scale run was recorded, the paper-scale one beside it; counts per verdict."""
    small = table(scale="small")
    if not len(small):
        return "_No claims recorded yet: run `make test` or `python -m lab run NAME`._"
    tables = {}
    for s in scales:
        if s == "small":
            continue
        committed = table(scale=s, folder=results_dir(s))  # a recorded run wins over a local one
        tables[s] = committed if len(committed) else table(scale=s)
    others = {s: {(nb, c.claim): c for nb, c in t.rows} for s, t in tables.items() if len(t)}
    head = ["Notebook", "Claim", "Paper", "Ours (small)", "Unit", "Tolerance", "Verdict (small)"]
    for s in others:
        head += [f"Ours ({s})", f"Verdict ({s})"]
    head.append("Note")
    lines = [f"Verdicts at small scale: {counts_line(small)}."]
    for s in others:
        lines.append(f"Verdicts at {s} scale: {counts_line(tables[s])}.")
    lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def esc(s: Any) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")
    for (nb, c), r in zip(small.rows, small.records()):
        cells = [nb, r["claim"], r["paper"], r["measured"], r["unit"], r["tolerance"], r["verdict"]]
        for s, m in others.items():
            o = m.get((nb, c.claim))
            cells += [_fmt(o.measured), o.status] if o else ["–", "–"]
        cells.append(r["note"])
        lines.append("| " + " | ".join(esc(x) for x in cells) + " |")
    if small.facts:
        lines += ["", "Setup facts (they describe the setting and cannot fail):", "",
                  "| Notebook | Fact | Value | Unit | Note |", "|---|---|---|---|---|"]
        for nb, f in small.facts:
            lines.append(f"| {nb} | {esc(f.fact)} | {esc(_fmt(f.value))} | {esc(f.unit)} | {esc(f.note)} |")
    return "\n".join(lines)


def summary(scales: tuple[str, ...] = ("small", "paper"), link: str = "CLAIMS.md") -> str:
    """The README's short form of `report`: the verdict counts per notebook at each scale (a recorded
    run in `results/<scale>/` wins over a local one, as in `report`) and a link to the full table."""
    if not isinstance(scales, tuple) or not all(isinstance(x, str) for x in scales):
        raise TypeError(f"scales must be a tuple of scale names such as ('small', 'paper'); got {scales!r}")
    for x in scales:
        _check_scale(x)
    _check_text("link", link, empty=False)
    small = table(scale="small")
    if not len(small):
        return "_No claims recorded yet: run `make test` or `python -m lab run NAME`._"
    tables = {"small": small}
    for s in scales:
        if s != "small":
            committed = table(scale=s, folder=results_dir(s))
            t = committed if len(committed) else table(scale=s)
            if len(t):
                tables[s] = t
    lines = [f"Verdicts at {s} scale: {counts_line(t)}." for s, t in tables.items()]
    lines += ["", f"{len(small)} claims and {len(small.facts)} setup facts; the full table (the paper's number, ours at "
              f"each scale, the tolerance and its reason, the note that says what would have made the claim fail) is "
              f"in [{link}]({link}).", ""]
    head = ["Notebook"] + [f"{v} ({s})" for s in tables for v in VERDICTS]
    lines += ["| " + " | ".join(head) + " |", "|---|" + "--:|" * (len(head) - 1)]
    notebooks = list(dict.fromkeys(nb for nb, _ in small.rows))
    for nb in notebooks:
        cells = [nb]
        for t in tables.values():
            sub = ClaimTable((n, c) for n, c in t.rows if n == nb)
            counts = sub.counts() if len(sub) else {}
            cells += [str(counts.get(v, 0)) if len(sub) else "–" for v in VERDICTS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def status(notebook: str, scale: str = "small") -> str:
    """'not run', or the verdict counts, e.g. '3 reproduced, 1 direction only', for `python -m lab list`."""
    try:
        claims = load(notebook, scale)
    except Exception as exc:
        warnings.warn(f"claims: skipped {_path(notebook, scale)}: {type(exc).__name__}: {exc}", stacklevel=2)
        return "unreadable claims file"
    if not claims:
        return "not run"
    t = ClaimTable((notebook, c) for c in claims)
    return ", ".join(f"{n} {k}" for k, n in t.counts().items() if n)
