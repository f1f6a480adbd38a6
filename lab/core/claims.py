"""Claim checks: the paper's number beside ours, recorded and shown as a table.

Each notebook ends with calls to `check(...)`. Each call

* upserts one claim (keyed by its text) in `build/claims/<notebook>.json`,
* returns a `ClaimTable` of all of that notebook's claims, which renders as a
  table in Jupyter and in the HTML handouts, and
* raises `ClaimFailed` when a claim that must hold does not, which fails the
  notebook under nbmake.

A claim that does not reproduce at laptop scale is recorded with
``must_hold=False`` and a note that says why. It is shown as "not reproduced",
never hidden. `report()` gathers all JSON files into one markdown table
(`python -m lab report`).
"""
from __future__ import annotations

import html
import json
import math
import numbers
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .checks import check_bool, check_type
from .paths import build_dir

_NB_RE = re.compile(r"^[0-9]{2}_[a-z0-9_]+$")


class ClaimFailed(AssertionError):
    """A claim marked `must_hold=True` did not hold."""


@dataclass
class Claim:
    claim: str
    paper: str
    measured: Any
    unit: str
    holds: bool
    must_hold: bool = True
    note: str = ""
    scale: str | None = None

    @property
    def status(self) -> str:
        if self.holds:
            return "holds"
        return "FAILS" if self.must_hold else "not reproduced"


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
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

    COLUMNS = ("notebook", "claim", "paper", "measured", "unit", "status", "note")

    def __init__(self, rows: Iterable[tuple[str, Claim]]):
        self.rows = list(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict[str, str]]:
        out = []
        for nb, c in self.rows:
            out.append(dict(notebook=nb, claim=c.claim, paper=c.paper, measured=_fmt(c.measured),
                            unit=c.unit, status=c.status, note=c.note))
        return out

    @property
    def all_hold(self) -> bool:
        return all(c.holds or not c.must_hold for _, c in self.rows)

    def to_markdown(self) -> str:
        def esc(s: str) -> str:
            return str(s).replace("|", "\\|").replace("\n", " ")
        head = "| " + " | ".join(c.capitalize() for c in self.COLUMNS) + " |"
        sep = "|" + "---|" * len(self.COLUMNS)
        lines = [head, sep]
        for r in self.records():
            lines.append("| " + " | ".join(esc(r[c]) for c in self.COLUMNS) + " |")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        colors = {"holds": "#1a7f37", "FAILS": "#cf222e", "not reproduced": "#9a6700"}
        cells = "".join(f"<th style='text-align:left'>{c.capitalize()}</th>" for c in self.COLUMNS)
        body = []
        for r in self.records():
            tds = []
            for c in self.COLUMNS:
                v = html.escape(r[c])
                if c == "status":
                    v = f"<b style='color:{colors.get(r[c], '#000')}'>{v}</b>"
                tds.append(f"<td style='text-align:left'>{v}</td>")
            body.append("<tr>" + "".join(tds) + "</tr>")
        return (f"<table class='lab-claims'><thead><tr>{cells}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>")

    def __repr__(self) -> str:
        return self.to_markdown()


def _path(notebook: str) -> Path:
    return build_dir("claims") / f"{notebook}.json"


def _check_nb(notebook: Any) -> str:
    check_type("notebook", notebook, str)
    if not _NB_RE.match(notebook):
        raise ValueError(f"notebook must look like 'NN_topic' (e.g. '03_synapse'); got {notebook!r}")
    return notebook


def load(notebook: str) -> list[Claim]:
    """The recorded claims of one notebook (empty when it has not run)."""
    p = _path(_check_nb(notebook))
    if not p.is_file():
        return []
    data = json.loads(p.read_text())
    return [Claim(**c) for c in data.get("claims", [])]


def _save(notebook: str, claims: list[Claim]) -> None:
    p = _path(notebook)
    tmp = p.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"notebook": notebook, "claims": [asdict(c) for c in claims]},
                              indent=2, sort_keys=True))
    tmp.replace(p)


def start(notebook: str, scale: str | None = None) -> None:
    """Forget the notebook's earlier claims; call once near the top of the notebook."""
    _save(_check_nb(notebook), [])


def check(notebook: str, claim: str, paper: Any, measured: Any, unit: str, holds: bool,
          must_hold: bool = True, note: str = "", scale: str | None = None) -> ClaimTable:
    """Record one claim and return the notebook's claims table.

    notebook: 'NN_topic'. claim: one sentence. paper: the paper's value as stated
    (e.g. "8x", ">95 %"). measured: our measured value (a number or short text).
    unit: its unit ("" when dimensionless). holds: whether our measurement supports
    the claim, computed from measured numbers. must_hold: if True and the claim does
    not hold, raise ClaimFailed after recording it. note: why it does not reproduce,
    or what differs from the paper's setting.
    """
    _check_nb(notebook)
    for pname, pval in (("claim", claim), ("unit", unit), ("note", note)):
        check_type(pname, pval, str)
    if not claim.strip():
        raise ValueError("claim must be a non-empty sentence")
    holds = check_bool("holds", holds)
    must_hold = check_bool("must_hold", must_hold)
    if not must_hold and not holds and not note.strip():
        raise ValueError("note must say why, when a claim is recorded as not reproduced "
                         "(must_hold=False and holds=False)")
    entry = Claim(claim=claim, paper=str(paper), measured=_clean(measured), unit=unit,
                  holds=holds, must_hold=must_hold, note=note, scale=scale)
    claims = [c for c in load(notebook) if c.claim != claim] + [entry]
    _save(notebook, claims)
    table = ClaimTable((notebook, c) for c in claims)
    if must_hold and not holds:
        raise ClaimFailed(f"{notebook}: claim did not hold: {claim} "
                          f"(paper {paper}, measured {_fmt(measured)} {unit})\n{table.to_markdown()}")
    return table


def table(notebook: str | None = None) -> ClaimTable:
    """All recorded claims (of one notebook, or of every notebook)."""
    files = [_path(_check_nb(notebook))] if notebook else sorted(build_dir("claims").glob("*.json"))
    rows = []
    for f in files:
        if f.is_file():
            nb = f.stem
            rows.extend((nb, c) for c in load(nb))
    return ClaimTable(rows)


def report() -> str:
    """The markdown table of every recorded claim, for the README."""
    t = table()
    if not len(t):
        return "_No claims recorded yet: run `make test` or `python -m lab run NAME`._"
    return t.to_markdown()


def status(notebook: str) -> str:
    """'not run', 'all hold', or e.g. '1 not reproduced' for `python -m lab list`."""
    claims = load(notebook)
    if not claims:
        return "not run"
    counts: dict[str, int] = {}
    for c in claims:
        counts[c.status] = counts.get(c.status, 0) + 1
    if set(counts) == {"holds"}:
        return f"all {counts['holds']} hold"
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
