"""Handouts and student versions (lab.core.handouts): pages that work offline, and exercises whose
self-check fails on the stub and passes on the reference solution."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from lab.core import exercises, handouts

ROOT = Path(__file__).resolve().parents[1]


def test_strip_solution_keeps_the_rest_of_the_cell():
    src = "x = 1\n    ### BEGIN SOLUTION\n    y = secret()\n    ### END SOLUTION\nprint(x)"
    assert exercises.strip_solution(src) == f"x = 1\n    {exercises.STUB}\nprint(x)"
    with pytest.raises(ValueError, match="without"):
        exercises.strip_solution("### BEGIN SOLUTION\ny = 1")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1")])
    with pytest.raises(ValueError, match="nothing to turn into an exercise"):
        exercises.student_notebook(nb)


TOPICS = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if not p.stem.startswith("00"))
# notebooks whose Exercises section is still to be written (issue 28): this set only shrinks, and a
# notebook in it must not carry half an assignment
NO_EXERCISES_YET: set[str] = set()


@pytest.mark.parametrize("path", TOPICS, ids=[p.stem for p in TOPICS])
def test_exercises_are_a_gradable_assignment(path):
    """Every topic notebook closes with at least four graded exercises in nbgrader's format
    (lab.core.exercises); its Exercises section runs on its own: every cell passes with the reference
    solutions, and in the student version every autograded check fails (the stub, or the answer missing)."""
    nb = nbformat.read(path, as_version=4)
    if path.stem in NO_EXERCISES_YET:
        assert exercises.section(nb)[0] == len(nb.cells) and not exercises.has_exercises(nb), \
            f"{path.stem} has exercises now: take it out of NO_EXERCISES_YET"
        return
    assert not exercises.problems(nb), f"{path.stem}: {exercises.problems(nb)}"
    failed = [r for r in exercises.run_section(nb) if r[2] != "ok"]
    assert not failed, f"{path.stem}: the reference solutions fail: {failed}"
    student = exercises.run_section(nb, student=True)
    assert student[0][2] == "ok", f"{path.stem}: the student version's set-up cell fails: {student[0]}"
    passing = [r for r in student if r[1] == "check" and r[2] == "ok"]
    assert not passing, f"{path.stem}: checks that pass on the student version's stubs: {passing}"


def test_exercise_format_is_checked():
    """exercises.problems names what is missing; the student version clears answers and hidden tests."""
    nbg = lambda **m: {"nbgrader": {"schema_version": exercises.SCHEMA, **m}}  # noqa: E731
    cells = [nbformat.v4.new_code_cell("rec.table()"),
             nbformat.v4.new_markdown_cell("## Exercises\n\nFour questions."),
             nbformat.v4.new_code_cell("import math", metadata={"tags": ["exercise-setup"],
                                                                 **nbg(solution=False, grade=False, locked=True,
                                                                       grade_id="setup")}),
             nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                                       metadata={"tags": ["exercise"],
                                                 **nbg(solution=True, grade=False, locked=False, grade_id="e1")}),
             nbformat.v4.new_code_cell("assert f(2) == 4\n### BEGIN HIDDEN TESTS\nassert f(3) == 6\n"
                                       "### END HIDDEN TESTS",
                                       metadata={"tags": ["self-check"],
                                                 **nbg(solution=False, grade=True, locked=True, points=2,
                                                       grade_id="e1-check")}),
             nbformat.v4.new_markdown_cell("Doubling is linear, so f(a + b) = f(a) + f(b) for every a and b.",
                                           metadata={"tags": ["written-answer"],
                                                     **nbg(solution=True, grade=True, locked=False, points=1,
                                                           grade_id="e2")})]
    nb = nbformat.v4.new_notebook(cells=cells)
    assert exercises.problems(nb, min_exercises=2) == []
    assert exercises.problems(nb) == ["2 graded exercises (checks and written answers); at least 4"]
    assert [r[2] for r in exercises.run_section(nb)] == ["ok", "ok", "ok"]
    student = exercises.student_notebook(nb)
    assert student.cells[4].source == "assert f(2) == 4" and student.cells[5].source == exercises.ANSWER_STUB
    assert [r[2].split(":")[0] for r in exercises.run_section(nb, student=True)] == ["ok", "ok", "NotImplementedError"]
    nb.cells[4].metadata["nbgrader"].pop("points")
    assert "graded cell 'e1-check' without positive points" in exercises.problems(nb, min_exercises=0)
    # nbgrader's schema 3: the three flags always, a grade_id on a locked cell too (its generate_assignment
    # refuses the whole assignment otherwise)
    nb.cells[2].metadata["nbgrader"] = {"schema_version": exercises.SCHEMA, "locked": True}
    found = exercises.problems(nb, min_exercises=0)
    assert any("without grade, solution" in p for p in found) and any("locked cell without grade_id" in p for p in found)


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


def test_handout_pack_is_a_course_map_with_stamped_pages(tmp_path):
    """Counts read in order once the parameters cell is dropped; each page names its scale, date and commit and
    links its notebook and student version (copied into the pack); the index groups the notebooks by field."""
    import nbformat

    from lab.core import handouts, registry

    entry = registry.by_name("12")
    nb = nbformat.read(entry.path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"][:3]
    injected = nbformat.v4.new_code_cell("SCALE = 'small'", metadata={"tags": ["injected-parameters"]})
    cells = [code[0], injected, code[1], code[2]]
    for k, c in enumerate(cells, 1):
        c.execution_count = k
        c.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": str(k)}, execution_count=k)]
    nb.cells = cells
    executed = tmp_path / "executed.ipynb"
    nbformat.write(nb, executed)
    out = tmp_path / "pack"
    page = handouts.write_page(executed, entry, out=out, pdf=False, scale="small", commit="abc1234").read_text()
    prompts = re.findall(r"In&nbsp;\[(\d+)\]", page) or re.findall(r"\[(\d+)\]:", page)
    assert list(dict.fromkeys(prompts)) == ["1", "2", "3"], prompts  # In and Out of a cell share its count
    assert "lab-stamp" in page and "scale <b>small</b>" in page and "abc1234" in page
    assert (out / "notebooks" / f"{entry.name}.ipynb").is_file() and "notebooks/12_anomaly.ipynb" in page
    assert (out / "student" / f"{entry.name}.ipynb").is_file() and not (out / "student" / "key").exists()
    index = handouts.write_index([registry.START, *registry.ENTRIES], out=out).read_text()
    assert "Sensing, imaging and perception" in index and "student version" in index
    assert "No PDFs" in index  # none was printed: the index says so instead of leaving the reader to wonder
    placed = [n for _, ns in handouts.COURSE_MAP for n in ns]
    assert sorted(placed) == list(range(1, 18)), "every topic notebook belongs to one group of the course map"


def _figure_output(fig):
    """A figure as a handout run writes it (lab.core.plotting.HandoutRenderer: plotly's HTML, float32 arrays)."""
    from lab.core import plotting

    html = plotting.HandoutRenderer().to_mimebundle(fig.to_plotly_json())["text/html"]
    return nbformat.v4.new_output("display_data", data={"text/html": html})


def _depth_like(seed: int, shape=(240, 320)):
    """A 240 x 320 depth-like image (a slanted plane, a few blobs, noise, holes), the size SPGF's views draw."""
    import numpy as np

    rng = np.random.default_rng(seed)
    v, u = np.mgrid[0:shape[0], 0:shape[1]]
    z = 2.0 + 3.0 * v / shape[0] + 0.02 * rng.standard_normal(shape)
    for cu, cv, r in rng.uniform((0, 0, 10), (shape[1], shape[0], 40), size=(6, 3)):
        z[(u - cu) ** 2 + (v - cv) ** 2 < r ** 2] = 1.5
    z[rng.random(shape) < 0.03] = np.nan
    return z.astype(np.float32)


def test_large_heatmaps_become_images_and_pages_stay_within_budget(tmp_path):
    """Notebook 06's page was 5.15 MB: its depth images are 240 x 320-cell heatmaps (0.4 MB of float32 each, with
    no hover values). The handout draws a large hover-less heatmap as a lossless image with the same colours, axes
    and colour bar; a heatmap with hover values keeps its numbers; eight depth images fit in a 3 MB page."""
    import base64
    import io
    from types import SimpleNamespace

    import numpy as np
    import plotly.graph_objects as go
    from PIL import Image

    cells = []
    for k in range(8):
        fig = go.Figure(go.Heatmap(z=_depth_like(k), x=np.arange(0, 640, 2), y=np.arange(0, 480, 2),
                                   colorscale=[[0, "#000000"], [1, "#ff0000"]], zmin=1.0, zmax=5.0, hoverinfo="skip",
                                   colorbar=dict(title="depth [m]")))
        fig.update_layout(yaxis=dict(range=[479, 0]))
        cells.append(nbformat.v4.new_code_cell(f"fig{k}", outputs=[_figure_output(fig)]))
    hover = go.Figure(go.Heatmap(z=_depth_like(9)))  # hover values on: kept as numbers
    cells.append(nbformat.v4.new_code_cell("hover", outputs=[_figure_output(hover)]))
    nb = nbformat.v4.new_notebook(cells=cells)
    executed = tmp_path / "nb.ipynb"
    nbformat.write(nb, executed)
    raw = sum(len(o["data"]["text/html"]) for c in cells for o in c.outputs)
    assert raw > handouts.PAGE_BUDGET  # as notebook 06's page was before
    page = handouts.write_page(executed, SimpleNamespace(name="nb", title="t"), out=tmp_path / "out", pdf=False)
    size = page.stat().st_size
    assert size <= handouts.PAGE_BUDGET and size < raw / 3, (size, raw)
    text = page.read_text()
    assert text.count('"type":"image"') == 8 and text.count("data:image/webp;base64,") == 8
    # the image's pixels are the heatmap's colours: zmin black, zmax red, a hole transparent
    image, bar = _traces(handouts.compact_figures(cells[0].outputs[0]["data"]["text/html"]))
    assert (image["x0"], image["dx"], image["y0"], image["dy"]) == (0, 2, 0, 2)
    assert bar["type"] == "heatmap" and bar["opacity"] == 0 and bar["colorbar"]["title"]["text"] == "depth [m]"
    px = np.asarray(Image.open(io.BytesIO(base64.b64decode(image["source"].split(",", 1)[1]))).convert("RGBA"))
    z = _depth_like(0)
    assert px.shape == (240, 320, 4)
    assert (px[np.isnan(z)][:, 3] == 0).all() and (px[~np.isnan(z)][:, 3] == 255).all()
    i, j = np.argwhere(np.isclose(z, 1.5))[0]  # a blob at 1.5 m: 1/8 of the way from black to red
    assert tuple(px[i, j, :3]) == (32, 0, 0)
    kept = _traces(handouts.compact_figures(cells[-1].outputs[0]["data"]["text/html"]))
    assert [t["type"] for t in kept] == ["heatmap"] and "bdata" in kept[0]["z"]


def _traces(html: str) -> list:
    """The data argument of the figure's Plotly.newPlot(id, data, layout, config) call."""
    import json

    decoder, at = json.JSONDecoder(), html.index("Plotly.newPlot(") + len("Plotly.newPlot(")
    div, at = decoder.raw_decode(html, len(html) - len(html[at:].lstrip()))
    return decoder.raw_decode(html, len(html) - len(html[at:].lstrip(" \n\t,")))[0]


def test_a_page_over_budget_warns(tmp_path):
    """The handout build warns (and `python -m lab handouts` repeats at its end) when a page is over 3 MB."""
    from types import SimpleNamespace

    assert handouts.page_size_warning("06_spgf", 2_900_000) is None
    assert "5.15 MB, over the 3 MB budget" in handouts.page_size_warning("06_spgf", 5_150_000)
    big = nbformat.v4.new_output("display_data", data={"text/html": "<p>" + "x" * (handouts.PAGE_BUDGET + 1) + "</p>"})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("big", outputs=[big])])
    nbformat.write(nb, tmp_path / "nb.ipynb")
    with pytest.warns(UserWarning, match="over the 3 MB budget"):
        handouts.write_page(tmp_path / "nb.ipynb", SimpleNamespace(name="nb", title="t"), out=tmp_path / "out",
                            pdf=False)


def test_course_book_lists_every_notebook_by_the_course_map(tmp_path):
    """`make book`'s table of contents (Jupyter Book's _toc.yml) lists every notebook once, in the course map's
    groups, and its config never executes a notebook nor loads a script from a network."""
    import json

    import yaml

    from lab.core import registry

    entries = [registry.START, *registry.existing()]
    toc = handouts.book_toc(entries)
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(files) == notebooks and len(files) == len(set(files))
    assert [p["caption"] for p in toc["parts"]] == ["Start here", *(s for s, _ in handouts.COURSE_MAP)]
    assert "Other notebooks" not in str(toc)
    config = handouts.book_config()
    assert config["execute"]["execute_notebooks"] == "off"
    assert "://" not in json.dumps(config)
    # the source folder as jupyter-book reads it (YAML), from one executed notebook
    entry = registry.by_name("12")
    nb = nbformat.read(entry.path, as_version=4)
    executed = tmp_path / "12.ipynb"
    nbformat.write(nb, executed)
    src = handouts.write_book_source({entry: executed}, out=tmp_path / "src", stamp="stamp")
    read = yaml.safe_load((src / "_toc.yml").read_text())
    assert read["root"] == "intro" and (src / "intro.md").is_file()
    assert [c["file"] for p in read["parts"] for c in p["chapters"]] == [entry.name]
    assert (src / f"{entry.name}.ipynb").is_file() and (src / "_assets" / "plotly.min.js").is_file()
    assert (src / "_assets" / "mathjax" / "MathJax.js").is_file() and not (src / "_static").exists()
    assert yaml.safe_load((src / "_config.yml").read_text())["sphinx"]["config"]["html_static_path"] == ["_assets"]
    with pytest.raises(ValueError, match="entries"):
        handouts.book_toc([])
