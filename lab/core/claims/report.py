"""Claims as tables: one notebook's (HTML in the notebook, markdown), every notebook's at each scale
(`report`, written to CLAIMS.md), the README's counts per notebook (`summary`) and `python -m lab list`'s status."""
from __future__ import annotations

import html
import warnings
from pathlib import Path
from typing import Any, Iterable

from .contract import DIRECTION, NOT_REPRODUCED, REPRODUCED, VERDICTS, Claim, Fact, check_text, fmt
from .store import check_nb, check_scale, claim_files, claims_path, load, read_claims, results_dir


def _esc(s: Any) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def markdown_table(head: list[str], rows: Iterable[list[Any]], align: str = "---|") -> list[str]:
    """The lines of a markdown table (cells escaped; `align` is the separator cell of every column but the first,
    which is left-aligned)."""
    lines = ["| " + " | ".join(head) + " |", "|---|" + align * (len(head) - 1)]
    lines += ["| " + " | ".join(_esc(x) for x in r) + " |" for r in rows]
    return lines


def facts_markdown(facts: Iterable[tuple[str, Fact]], title: str) -> list[str]:
    """The setup facts as a markdown table under `title` (nothing when there are none)."""
    facts = list(facts)
    if not facts:
        return []
    return ["", title, ""] + markdown_table(["Notebook", "Fact", "Value", "Unit", "Note"],
                                             ([nb, f.fact, fmt(f.value), f.unit, f.note] for nb, f in facts))


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
            out.append(dict(notebook=nb, claim=c.claim, paper=c.paper, measured=fmt(c.measured),
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
        lines = markdown_table([c.capitalize() for c in cols], ([r[c] for c in cols] for r in self.records()))
        lines += facts_markdown(self.facts, "Setup facts (numbers that describe the setting; they cannot fail):")
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
            rows = "".join(f"<tr><td>{html.escape(f.fact)}</td><td>{html.escape(fmt(f.value))} "
                           f"{html.escape(f.unit)}</td><td>{html.escape(f.note)}</td></tr>" for _, f in self.facts)
            out += ("<p><b>Setup facts</b> (they describe the setting and cannot fail)</p>"
                    f"<table class='lab-facts'><thead><tr><th>Fact</th><th>Value</th><th>Note</th></tr></thead>"
                    f"<tbody>{rows}</tbody></table>")
        return out

    def __repr__(self) -> str:
        return self.to_markdown()


def table(notebook: str | None = None, scale: str = "small", folder: Path | None = None) -> ClaimTable:
    """All recorded claims (of one notebook, or of every notebook) at one scale, from `build/claims/`
    or from `folder` (e.g. `results_dir("paper")`). A corrupted file is skipped with a warning that names it."""
    check_scale(scale)
    if notebook is not None:
        check_nb(notebook)
    rows, facts = [], []
    for nb, _sc, f in claim_files(scale, folder):
        if notebook is not None and nb != notebook:
            continue
        try:
            cl, fa = read_claims(f)
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
    rows = []
    for (nb, c), r in zip(small.rows, small.records()):
        cells = [nb, r["claim"], r["paper"], r["measured"], r["unit"], r["tolerance"], r["verdict"]]
        for s, m in others.items():
            o = m.get((nb, c.claim))
            cells += [fmt(o.measured), o.status] if o else ["–", "–"]
        cells.append(r["note"])
        rows.append(cells)
    lines += [""] + markdown_table(head, rows)
    lines += facts_markdown(small.facts, "Setup facts (they describe the setting and cannot fail):")
    return "\n".join(lines)

def summary(scales: tuple[str, ...] = ("small", "paper"), link: str = "CLAIMS.md") -> str:
    """The README's short form of `report`: the verdict counts per notebook at each scale (a recorded
    run in `results/<scale>/` wins over a local one, as in `report`) and a link to the full table."""
    if not isinstance(scales, tuple) or not all(isinstance(x, str) for x in scales):
        raise TypeError(f"scales must be a tuple of scale names such as ('small', 'paper'); got {scales!r}")
    for x in scales:
        check_scale(x)
    check_text("link", link, empty=False)
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
    rows = []
    for nb in dict.fromkeys(nb for nb, _ in small.rows):
        cells = [nb]
        for t in tables.values():
            sub = ClaimTable((n, c) for n, c in t.rows if n == nb)
            counts = sub.counts() if len(sub) else {}
            cells += [str(counts.get(v, 0)) if len(sub) else "–" for v in VERDICTS]
        rows.append(cells)
    lines += markdown_table(head, rows, align="--:|")
    return "\n".join(lines)

def status(notebook: str, scale: str = "small") -> str:
    """'not run', or the verdict counts, e.g. '3 reproduced, 1 direction only', for `python -m lab list`."""
    try:
        claims = load(notebook, scale)
    except Exception as exc:
        warnings.warn(f"claims: skipped {claims_path(notebook, scale)}: {type(exc).__name__}: {exc}", stacklevel=2)
        return "unreadable claims file"
    if not claims:
        return "not run"
    t = ClaimTable((notebook, c) for c in claims)
    return ", ".join(f"{n} {k}" for k, n in t.counts().items() if n)
