"""Valid, fast calls of lab.core.handouts, for tests/test_bad_input.py."""
MODULE = "lab.core.handouts"
SPECS = {
    "remote_references": lambda: dict(page="<html><script src='plotly.min.js'></script></html>"),
    "compact_figures": lambda: dict(html="<div></div><script>Plotly.newPlot(\"d\", [], {}, {})</script>", min_cells=100),
    "page_size_warning": lambda: dict(name="06_spgf", size=5_150_000, budget=3_000_000),
    "book_config": lambda: dict(title="A course"),
}
SKIP = {
    "handout_notebook": "reads an executed notebook file; exercised by write_page in tests/test_handouts.py",
    "book_toc": "takes registry entries; tested in tests/test_handouts.py",
    "write_book_source": "writes the book's source folder; tested in tests/test_handouts.py",
    "build_book": "runs jupyter-book from .venv-book; exercised by make book",
    "student_notebook": "takes a notebook node; tested on a marked notebook in test_handouts",
    "student_version": "writes a notebook file; tested in test_handouts",
    "has_exercises": "takes a notebook node; tested in test_handouts (make student skips notebooks without exercises)",
    "print_pdf": "starts Chromium; exercised by make handouts",
    "write_page": "executes nothing but converts an executed notebook; exercised by make handouts and test_handouts",
    "write_index": "writes the pack's index; exercised by make handouts and test_handouts",
}
