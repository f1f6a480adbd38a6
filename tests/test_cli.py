"""`python -m lab run` and `handouts`: headless execution with parameter injection and
self-contained HTML handouts (plotly.js embedded, so they open offline)."""
import re

from lab.__main__ import main


def test_handout_pack_works_offline(build_tmp, capsys):
    """`python -m lab handouts 00`: a small page that loads the pack's one plotly.js and MathJax, fetches
    nothing from a network, leaves out the explorer-driving cell and papermill's parameters, and is
    listed on the index page."""
    from lab.core import handouts

    assert main(["handouts", "00", "--no-pdf"]) == 0
    pack = build_tmp / "handouts"
    page = (pack / "00_start_here.html").read_text(encoding="utf-8")
    assert '<script src="plotly.min.js"></script>' in page and (pack / "plotly.min.js").is_file()
    assert (pack / "mathjax" / "MathJax.js").is_file()
    assert handouts.remote_references(page) == [], "a handout must not fetch anything from a network"
    assert not re.search(r"<script[^>]+src=\"https?://", page)
    assert "Interactive explorer: open this notebook in JupyterLab" in page
    assert "ex.set(tau=3.0)" not in page, "the explorer-check cell must be left out of handouts"
    assert "# Parameters" not in page, "papermill's injected parameters cell must be left out"
    assert (pack / "00_start_here.html").stat().st_size < 2_000_000
    assert "00_start_here.html" in (pack / "index.html").read_text()
    assert (build_tmp / "executed" / "00_start_here.ipynb").is_file()


def test_make_student_writes_every_marked_notebook_and_skips_the_rest(build_tmp, capsys):
    """`make student` (`handouts --student` with no names): a student version of each notebook with
    exercises, a 'skipped' line for each without (the start page among them), and no error."""
    import nbformat

    from lab.core import exercises, registry

    assert main(["handouts", "--student"]) == 0
    out = capsys.readouterr().out
    assert "00_start_here: skipped (no exercises)" in out
    for e in registry.existing():
        marked = exercises.has_exercises(nbformat.read(e.path, as_version=4))
        assert (build_tmp / "student" / f"{e.name}.ipynb").is_file() == marked, e.name
