"""The teachers' round trip through nbgrader: release, submit, autograde, read the gradebook.

    .venv/bin/python tests/nbgrader_roundtrip.py --nbgrader .venv-grade/bin/nbgrader [03 12 ...]

(`make grade` builds `.venv-grade` from requirements-grade.lock and runs this on every topic notebook;
`.ci/run` runs it after the browser tests.) nbgrader lives in its own environment so that it never enters the
researchers' JupyterLab; the notebooks run in the workbench kernel (`mlnc-lab`, found through JUPYTER_PATH).

For each notebook, its Exercises section becomes one notebook of the assignment `exercises` in a fresh
nbgrader course under build/grade/ (the section runs on its own: its first code cell imports what it uses).
Then:

1. `nbgrader generate_assignment` writes the release; it must hold no solution region and no hidden test,
   and each of its cells must read as `lab.core.exercises.student_notebook` writes it (`make student`);
2. two submissions: "reference" (the notebook's own solutions) and "blank" (the release, unanswered);
3. `nbgrader autograde` runs both in the workbench kernel;
4. the gradebook must give the reference every auto-graded point and the blank none, with the written
   answers left for the teacher (manually graded points are counted, not scored).

The last line reads `nbgrader round trip: N notebooks, reference A of A auto-graded points, blank 0, W points
of written answers to grade by hand` (exit 1 on any difference).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab.core import exercises, registry  # noqa: E402

ASSIGNMENT = "exercises"
CONFIG = """c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "mlnc"
c.CourseDirectory.db_url = "sqlite:///" + {db!r}
c.ClearSolutions.code_stub = {{"python": {code_stub!r}}}
c.ClearSolutions.text_stub = {text_stub!r}
c.Execute.timeout = 300
"""
SCORES = """
import json, sys
from nbgrader.api import Gradebook
out = {}
with Gradebook(sys.argv[1]) as gb:
    for student in ("reference", "blank"):
        for nb in json.loads(sys.argv[2]):
            s = gb.find_submission_notebook(nb, "exercises", student)
            out[f"{student}/{nb}"] = dict(code=s.code_score, max_code=s.max_code_score, written=s.max_written_score,
                                          failed=[g.cell.name for g in s.grades
                                                  if g.cell.cell_type == "code" and g.auto_score != g.max_score])
print(json.dumps(out))
"""


def section_notebook(name: str) -> nbformat.NotebookNode:
    """Notebook `name`'s Exercises section as a notebook of its own (the workbench kernel)."""
    nb = nbformat.read(registry.by_name(name).path, as_version=4)
    first, end = exercises.section(nb)
    if first == end:
        raise ValueError(f"{name}: no Exercises section")
    out = nbformat.v4.new_notebook(metadata=nb.metadata)
    out.cells = nb.cells[first:end]
    return out


def _norm(src: str) -> list[str]:
    return [line.rstrip() for line in src.strip().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nbgrader", required=True, help="the nbgrader command of the grading environment")
    ap.add_argument("names", nargs="*", help="notebooks ('03', 'synapse'; default: every topic notebook)")
    args = ap.parse_args(argv)
    nbgrader = Path(args.nbgrader).absolute()
    if not nbgrader.is_file():
        ap.error(f"--nbgrader: no such program {nbgrader} (make grade builds it)")
    entries = [registry.by_name(n) for n in args.names] if args.names else \
        [e for e in registry.ENTRIES if e.exists]
    course = ROOT / "build" / "grade" / "course"
    shutil.rmtree(course, ignore_errors=True)
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    db = course / "gradebook.db"
    (course / "nbgrader_config.py").write_text(CONFIG.format(
        root=str(course), db=str(db), code_stub=exercises.STUB, text_stub=exercises.ANSWER_STUB))
    for e in entries:
        nbformat.write(section_notebook(e.name), course / "source" / ASSIGNMENT / f"{e.name}.ipynb")
    # the workbench kernel (installed into .venv by make setup) for the grading environment's jupyter
    # (nbgrader calls its environment's own programs, alembic among them, by name: its bin first on PATH)
    env = {**os.environ, "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter"),
           "PATH": f"{nbgrader.parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}

    def run(*cmd: str) -> None:
        r = subprocess.run([str(nbgrader), *cmd], cwd=course, env=env, capture_output=True, text=True)
        if r.returncode:
            raise SystemExit(f"nbgrader {' '.join(cmd)} failed ({r.returncode}):\n{r.stdout[-3000:]}{r.stderr[-3000:]}")

    for student in ("reference", "blank"):
        run("db", "student", "add", student)
    run("db", "assignment", "add", ASSIGNMENT)
    run("generate_assignment", ASSIGNMENT, "--force")
    problems = []
    for e in entries:
        released = nbformat.read(course / "release" / ASSIGNMENT / f"{e.name}.ipynb", as_version=4)
        text = "\n".join(c.source for c in released.cells)
        for marker in (exercises.BEGIN, exercises.HIDDEN_BEGIN):
            if marker in text:
                problems.append(f"{e.name}: the release still holds {marker!r}")
        ours = exercises.student_notebook(section_notebook(e.name))
        for i, (a, b) in enumerate(zip(released.cells, ours.cells)):
            if _norm(a.source) != _norm(b.source):
                problems.append(f"{e.name} cell {i}: nbgrader's release differs from make student's")
        for student, src in (("reference", course / "source"), ("blank", course / "release")):
            dst = course / "submitted" / student / ASSIGNMENT
            dst.mkdir(parents=True, exist_ok=True)
            shutil.copy(src / ASSIGNMENT / f"{e.name}.ipynb", dst / f"{e.name}.ipynb")
    run("autograde", ASSIGNMENT, "--force")
    py = nbgrader.with_name("python")
    r = subprocess.run([str(py), "-c", SCORES, f"sqlite:///{db}", json.dumps([e.name for e in entries])],
                       capture_output=True, text=True, env=env)
    if r.returncode:
        raise SystemExit(f"reading the gradebook failed:\n{r.stderr[-3000:]}")
    scores = json.loads(r.stdout)
    ref = sum(scores[f"reference/{e.name}"]["code"] for e in entries)
    ref_max = sum(scores[f"reference/{e.name}"]["max_code"] for e in entries)
    blank = sum(scores[f"blank/{e.name}"]["code"] for e in entries)
    written = sum(scores[f"reference/{e.name}"]["written"] for e in entries)
    for e in entries:
        s, b = scores[f"reference/{e.name}"], scores[f"blank/{e.name}"]
        print(f"{e.name}: reference {s['code']:g} of {s['max_code']:g} auto-graded points, blank {b['code']:g}, "
              f"{s['written']:g} written")
        if s["code"] != s["max_code"]:
            problems.append(f"{e.name}: the reference lost points in {s['failed']}")
        if b["code"] != 0:
            problems.append(f"{e.name}: an unanswered notebook scored {b['code']:g}")
    for p in problems:
        print("problem:", p)
    print(f"nbgrader round trip: {len(entries)} notebooks, reference {ref:g} of {ref_max:g} auto-graded points, "
          f"blank {blank:g}, {written:g} points of written answers to grade by hand"
          + (f"; {len(problems)} problem(s)" if problems else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
