"""Graded exercises: the closing **Exercises** section of a notebook, in nbgrader's format.

A notebook's exercises sit in one section that starts with a markdown cell whose first line is
``## Exercises`` and runs to the next ``## `` heading (Further reading) or the notebook's end, after
the claim check, so a student's Run All renders everything above them. The section runs on its own:
its first code cell (tagged ``exercise-setup``) imports what the section uses.

Cells, with their nbgrader metadata (``metadata.nbgrader``, schema 3) and tags:

* **solution** (code, tag ``exercise``): ``{"solution": true, "grade": false, "locked": false}``; the
  lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` are the answer (a function body, or a
  value for a hand calculation).
* **check** (code, tag ``self-check``): ``{"solution": false, "grade": true, "locked": true, "points": p}``;
  asserts against expected values written in the cell (not computed by `lab` when it runs), then more
  inputs between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` (left out of the student version).
* **written answer** (markdown, tag ``written-answer``): ``{"solution": true, "grade": true,
  "locked": false, "points": p}``, graded by hand; its text is the model answer.
* other cells of the section (statements, the cell that runs an explorer setting or a claim) are read-only,
  ``{"solution": false, "grade": false, "locked": true}`` with a ``grade_id``, or carry no nbgrader metadata.

As nbgrader's schema 3 requires, every cell with nbgrader metadata holds the three flags, and every solution,
graded or locked cell a ``grade_id``.

Every ``grade_id`` is unique in the notebook. An exercise is a graded cell (a check or
a written answer); a notebook has at least `MIN_EXERCISES` of them.
"""
from __future__ import annotations

import copy
import re

from .checks import check_int, check_type

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STUB = "raise NotImplementedError()  # your answer here"
ANSWER_STUB = "YOUR ANSWER HERE"
HEADING = "## Exercises"
MIN_EXERCISES = 4
SCHEMA = 3


def _notebook(nb):
    import nbformat

    if not isinstance(nb, nbformat.NotebookNode) or not isinstance(nb.get("cells"), list):
        raise TypeError(f"nb must be a notebook (nbformat.read(path, as_version=4)); got {type(nb).__name__}")
    return nb


def section(nb) -> tuple[int, int]:
    """(first, end) cell indices of notebook `nb`'s Exercises section (end exclusive); (n, n) if none."""
    cells = _notebook(nb).cells
    start = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"
                  and c.source.lstrip().splitlines()[:1] == [HEADING]), None)
    if start is None:
        return len(cells), len(cells)
    end = next((i for i in range(start + 1, len(cells)) if cells[i].cell_type == "markdown"
                and re.match(r"##\s", cells[i].source.lstrip())), len(cells))
    return start, end


def _meta(cell) -> dict:
    return dict(cell.metadata.get("nbgrader", {}))


def _tags(cell) -> list:
    return list(cell.metadata.get("tags", []))


def kind(cell) -> str:
    """'solution', 'check', 'answer' (a written answer) or 'other', from the cell's nbgrader metadata."""
    import nbformat

    if not isinstance(cell, nbformat.NotebookNode) or "cell_type" not in cell:
        raise TypeError(f"cell must be a notebook cell (an item of nb.cells); got {type(cell).__name__}")
    m = _meta(cell)
    if cell.cell_type == "code" and m.get("solution") and not m.get("grade"):
        return "solution"
    if cell.cell_type == "code" and m.get("grade") and not m.get("solution"):
        return "check"
    if cell.cell_type == "markdown" and m.get("grade") and m.get("solution"):
        return "answer"
    return "other"


def graded(nb) -> list:
    """The graded cells of `nb` (checks and written answers), in order."""
    _notebook(nb)
    return [c for c in nb.cells if kind(c) in ("check", "answer")]


def points(nb) -> float:
    """The notebook's total points."""
    return float(sum(_meta(c).get("points", 0) for c in graded(nb)))


def problems(nb, min_exercises: int = MIN_EXERCISES) -> list[str]:
    """What keeps notebook `nb`'s Exercises section from being a gradable assignment (empty when none)."""
    _notebook(nb)
    min_exercises = check_int("min_exercises", min_exercises, lo=0, hi=1000)
    out = []
    first, end = section(nb)
    if first == end:
        return [f"no markdown cell starting with {HEADING!r}"] if min_exercises else []
    claims_at = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "rec.table()" in c.source]
    if claims_at and first < claims_at[-1]:
        out.append("the Exercises section must come after the claim check (rec.table())")
    cells = nb.cells[first:end]
    code = [c for c in cells if c.cell_type == "code"]
    if not code or "exercise-setup" not in _tags(code[0]):
        out.append("the section's first code cell must be tagged exercise-setup (its imports)")
    ids: set = set()
    for i, c in enumerate(nb.cells):
        m, k = _meta(c), kind(c)
        in_section = first <= i < end
        if (BEGIN in c.source or k != "other") and not in_section:
            out.append(f"a solution or graded cell outside the Exercises section: {c.source[:60]!r}")
        if not m:
            continue
        if m.get("schema_version") != SCHEMA:
            out.append(f"nbgrader metadata without schema_version {SCHEMA}: {c.source[:60]!r}")
        # nbgrader's own schema-3 rules (its CheckCellMetadata refuses the whole assignment otherwise): the
        # three flags always, and a grade_id on every solution, graded or locked cell
        missing = [k for k in ("grade", "solution", "locked") if not isinstance(m.get(k), bool)]
        if missing:
            out.append(f"nbgrader metadata without {', '.join(missing)} (true or false): {c.source[:60]!r}")
        if (m.get("solution") or m.get("grade") or m.get("locked")) and not m.get("grade_id"):
            out.append(f"a solution, graded or locked cell without grade_id: {c.source[:60]!r}")
        gid = m.get("grade_id")
        if gid:
            if gid in ids:
                out.append(f"grade_id {gid!r} used twice")
            ids.add(gid)
        if k in ("check", "answer") and not (isinstance(m.get("points"), (int, float)) and m["points"] > 0):
            out.append(f"graded cell {gid!r} without positive points")
        if k == "solution" and (BEGIN not in c.source or END not in c.source):
            out.append(f"solution cell {gid!r} without {BEGIN!r} / {END!r}")
        if k == "solution" and "exercise" not in _tags(c):
            out.append(f"solution cell {gid!r} not tagged exercise")
        if k == "check" and "self-check" not in _tags(c):
            out.append(f"check cell {gid!r} not tagged self-check")
        if k == "check" and not m.get("locked"):
            out.append(f"check cell {gid!r} not locked")
        if k == "check" and not re.search(r"\d", strip_hidden(c.source)):
            out.append(f"check cell {gid!r} writes no expected value")
        if k == "answer" and "written-answer" not in _tags(c):
            out.append(f"written-answer cell {gid!r} not tagged written-answer")
        if k == "answer" and len(c.source.strip()) < 40:
            out.append(f"written-answer cell {gid!r} holds no model answer")
    for c in cells:
        if c.cell_type == "code" and BEGIN in c.source and kind(c) != "solution":
            out.append(f"a cell with {BEGIN!r} whose nbgrader metadata does not make it a solution cell")
    n = len(graded(nb))
    if n < min_exercises:
        out.append(f"{n} graded exercises (checks and written answers); at least {min_exercises}")
    return out


def _strip(src: str, begin: str, end: str, stub: str | None) -> str:
    """`src` with each region from a `begin` line to an `end` line replaced by `stub` (at the region's
    indentation), or dropped when `stub` is None."""
    out, inside = [], False
    for line in src.splitlines():
        if line.strip() == begin:
            inside = True
            if stub is not None:
                out.append(line[: len(line) - len(line.lstrip())] + stub)
        elif line.strip() == end:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"a cell opens {begin!r} without {end!r}")
    return "\n".join(out)


def strip_solution(src: str) -> str:
    """`src` with each solution region replaced by the stub (at the region's indentation)."""
    check_type("src", src, str)
    return _strip(src, BEGIN, END, STUB)


def strip_hidden(src: str) -> str:
    """`src` without its hidden-test regions."""
    check_type("src", src, str)
    return _strip(src, HIDDEN_BEGIN, HIDDEN_END, None).rstrip("\n")


def student_notebook(nb):
    """A copy of `nb` as nbgrader's generate_assignment writes it: each solution region replaced by a
    stub, written answers by "YOUR ANSWER HERE", hidden tests left out, those cells' outputs cleared."""
    nb = copy.deepcopy(_notebook(nb))
    n = 0
    for cell in nb.cells:
        k = kind(cell)
        if cell.cell_type == "code" and BEGIN in cell.source:
            cell.source = strip_solution(cell.source)
            n += 1
        elif k == "answer":
            cell.source = ANSWER_STUB
            n += 1
        if cell.cell_type == "code" and HIDDEN_BEGIN in cell.source:
            cell.source = strip_hidden(cell.source)
        if cell.cell_type == "code" and (k != "other" or "exercise" in _tags(cell)):
            cell.outputs, cell.execution_count = [], None
    if not n:
        raise ValueError(f"notebook has no cell marked with {BEGIN!r} and no written answer; nothing to turn "
                         "into an exercise")
    return nb


def has_exercises(nb) -> bool:
    """Whether notebook `nb` has a solution region or a written answer."""
    _notebook(nb)
    return any((c.cell_type == "code" and BEGIN in c.source) or kind(c) == "answer" for c in nb.cells)


def run_section(nb, *, student: bool = False) -> list[tuple[int, str, str]]:
    """Run notebook `nb`'s Exercises section on its own, in this process (a fresh namespace), as the
    reference (`student=False`) or as the student version. Returns, per code cell, (index in `nb`,
    kind, outcome): outcome is "ok" or the exception's class name and message. Cells run in order and
    go on after a failure, as a student's cell-by-cell run would."""
    check_type("student", student, bool)
    import contextlib
    import io
    import linecache

    first, end = section(nb)
    if first == end:
        raise ValueError(f"notebook has no {HEADING!r} section")
    run = student_notebook(nb) if student else nb
    ns: dict = {"__name__": "__exercises__"}
    exec("from IPython.display import display, Markdown", ns)  # noqa: S102 (the notebook's own code)
    out = []
    for i in range(first, end):
        cell = run.cells[i]
        if cell.cell_type != "code":
            continue
        # registered as a file, as IPython does, so `inspect.getsource` finds a function the cell defines
        filename = f"<exercise-{id(run)}-cell-{i}>"
        linecache.cache[filename] = (len(cell.source), None, cell.source.splitlines(True), filename)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(cell.source, filename, "exec"), ns)  # noqa: S102
            outcome = "ok"
        except Exception as exc:  # a student's failing cell is an outcome, not an error of the runner
            outcome = f"{type(exc).__name__}: {str(exc)[:200]}"
        out.append((i, kind(nb.cells[i]), outcome))
    return out
