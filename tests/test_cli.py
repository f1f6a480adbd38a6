"""`python -m lab run` and `handouts`: headless execution with parameter injection and
self-contained HTML handouts (plotly.js embedded, so they open offline)."""
import re

from lab.__main__ import main


def test_handout_is_self_contained(build_tmp, capsys):
    assert main(["handouts", "00"]) == 0
    page = (build_tmp / "handouts" / "00_start_here.html").read_text(encoding="utf-8")
    assert "plotly.js v" in page, "plotly.js must be embedded in the handout"
    assert not re.search(r"<script[^>]+src=\"https?://[^\"]*plotly", page), "plotly must not come from a CDN"
    assert "Interactive explorer: open this notebook in JupyterLab" in page
    assert (build_tmp / "executed" / "00_start_here.ipynb").is_file()
