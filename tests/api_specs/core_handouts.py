"""Valid, fast calls of lab.core.handouts, for tests/test_bad_input.py."""
MODULE = "lab.core.handouts"
SPECS = {"remote_references": lambda: dict(page="<html><script src='plotly.min.js'></script></html>")}
SKIP = {
    "student_notebook": "takes a notebook node; tested on a marked notebook in test_handouts",
    "student_version": "writes a notebook file; tested in test_handouts",
    "has_exercises": "takes a notebook node; tested in test_handouts (make student skips notebooks without exercises)",
    "print_pdf": "starts Chromium; exercised by make handouts",
    "write_page": "executes nothing but converts an executed notebook; exercised by make handouts and test_handouts",
    "write_index": "writes the pack's index; exercised by make handouts and test_handouts",
}
