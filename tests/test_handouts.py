"""Handouts and student versions (lab.core.handouts): pages that work offline, and exercises whose
self-check fails on the stub and passes on the reference solution."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import QUICK, quick_env

from lab.core import handouts
from lab.core.nbtemplate import KERNEL

ROOT = Path(__file__).resolve().parents[1]
MARKED = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if handouts.BEGIN in p.read_text())


def test_strip_solution_keeps_the_rest_of_the_cell():
    src = "x = 1\n    ### BEGIN SOLUTION\n    y = secret()\n    ### END SOLUTION\nprint(x)"
    assert handouts._strip_solution(src) == f"x = 1\n    {handouts.STUB}\nprint(x)"
    with pytest.raises(ValueError, match="without"):
        handouts._strip_solution("### BEGIN SOLUTION\ny = 1")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1")])
    with pytest.raises(ValueError, match="nothing to turn into an exercise"):
        handouts.student_notebook(nb)


def test_some_notebooks_have_exercises():
    assert len(MARKED) >= 2, "mark one or two cells per teaching notebook with ### BEGIN/END SOLUTION"


def _run_prefix(nb, upto: int, tmp_path: Path):
    part = nbformat.v4.new_notebook(cells=nb.cells[: upto + 1], metadata=nb.metadata)
    part.metadata["kernelspec"] = dict(KERNEL)
    client = NotebookClient(part, timeout=300, kernel_name=KERNEL["name"], allow_errors=True,
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()
    return part


def _errors(cell) -> list[str]:
    return [o.get("ename", "") for o in cell.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.parametrize("path", MARKED, ids=[p.stem for p in MARKED])
def test_student_version_runs_to_the_stub_and_its_self_check_fails_there(path, tmp_path, monkeypatch):
    # the kernels inherit this: the notebook's quick settings, and a build folder of the test's own
    for k, v in quick_env(QUICK.get(path.stem), tmp_path / "build").items():
        monkeypatch.setenv(k, v)
    reference = nbformat.read(path, as_version=4)
    student = handouts.student_notebook(reference)
    stubs = [i for i, c in enumerate(student.cells) if c.cell_type == "code" and handouts.STUB in c.source]
    checks = [i for i, c in enumerate(student.cells) if "self-check" in c.metadata.get("tags", [])]
    assert stubs and checks, f"{path.name}: a marked exercise needs a cell tagged self-check after it"
    first = stubs[0]
    check = next(i for i in checks if i > first)
    # one kernel: the student version up to the first self-check, then the reference's solution cell and
    # the same self-check again (nbmake runs the whole reference notebook; this only needs the exercise)
    solution = next(c for c in reference.cells if c.cell_type == "code" and handouts.BEGIN in c.source)
    run = nbformat.v4.new_notebook(cells=student.cells[: check + 1] + [nbformat.v4.new_code_cell(solution.source),
                                                                       nbformat.v4.new_code_cell(student.cells[check].source)],
                                   metadata=student.metadata)
    ran = _run_prefix(run, len(run.cells) - 1, tmp_path)
    for i in range(first):
        if ran.cells[i].cell_type == "code":
            assert not _errors(ran.cells[i]), f"{path.name}: cell {i} before the exercise failed"
    assert set(_errors(ran.cells[first])) <= {"NotImplementedError"}, "the stub cell fails for another reason"
    assert _errors(ran.cells[check]) == ["NotImplementedError"], "the self-check must fail on the stub, there"
    assert not _errors(ran.cells[-2]) and not _errors(ran.cells[-1]), \
        f"{path.name}: the reference solution must pass its self-check: {ran.cells[-1].get('outputs')}"


def test_handout_page_shows_the_claims_table_once(tmp_path):
    """rec.check(...) returns the growing claims table after each claim cell; the page keeps the last."""
    import nbformat

    from lab.core import handouts

    def table(n):
        rows = "".join(f"<tr><td>claim {i}</td></tr>" for i in range(n))
        return nbformat.v4.new_output("execute_result", data={"text/html": f"{handouts.CLAIMS_MARK}{rows}</table>"},
                                      execution_count=n)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("rec.check(1)", outputs=[table(1)]),
                nbformat.v4.new_code_cell("rec.check(2)", outputs=[table(2)]),
                nbformat.v4.new_code_cell("rec.table()", outputs=[table(2)])]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    from types import SimpleNamespace
    page = handouts.write_page(path, SimpleNamespace(name="nb", title="t"), out=tmp_path / "out", pdf=False).read_text()
    assert page.count("lab-claims") == 1 and page.count("claim 1") == 1
