"""Valid, fast calls of lab.core.exercises, for tests/test_bad_input.py."""
import nbformat

MODULE = "lab.core.exercises"


def _nb():
    nbg = {"schema_version": 3, "solution": True, "grade": False, "locked": False, "grade_id": "e1"}
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## Exercises"),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["exercise-setup"]}),
        nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
                                  metadata={"tags": ["exercise"], "nbgrader": nbg})])


SPECS = {
    "section": lambda: dict(nb=_nb()),
    "kind": lambda: dict(cell=_nb().cells[2]),
    "graded": lambda: dict(nb=_nb()),
    "points": lambda: dict(nb=_nb()),
    "problems": lambda: dict(nb=_nb(), min_exercises=0),
    "strip_solution": lambda: dict(src="### BEGIN SOLUTION\nx = 1\n### END SOLUTION"),
    "strip_hidden": lambda: dict(src="a = 1\n### BEGIN HIDDEN TESTS\nb = 2\n### END HIDDEN TESTS"),
    "student_notebook": lambda: dict(nb=_nb()),
    "has_exercises": lambda: dict(nb=_nb()),
    "run_section": lambda: dict(nb=_nb(), student=True),
}
SKIP: dict = {}
