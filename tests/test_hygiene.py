"""Notebook hygiene: the house style of CONTRIBUTING.md, checked on every notebook."""
import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

from lab.core import registry
from lab.core.nbtemplate import KERNEL, find_parts

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TOPIC_NBS = [p for p in NOTEBOOKS if not p.name.startswith("00_")]


def _ids(paths):
    return [p.stem for p in paths]


def test_there_are_notebooks():
    assert (ROOT / "notebooks" / "00_start_here.ipynb").is_file()
    assert TOPIC_NBS, "no topic notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; strip them (nbstripout)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_kernel_is_the_workbench_kernel(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == KERNEL["name"]


@pytest.mark.parametrize("path", TOPIC_NBS, ids=_ids(TOPIC_NBS))
def test_template_parts_in_order(path):
    nb = nbformat.read(path, as_version=4)
    parts = find_parts(nb)
    for part in ("title", "parameters", "explore", "explorer call", "claim check", "claims call",
                 "further reading"):
        assert part in parts, f"{path.name}: missing the {part!r} part of the template"
    order = [parts[p] for p in ("title", "parameters", "explore", "claim check", "further reading")]
    assert order == sorted(order), f"{path.name}: template parts out of order: {parts}"
    params = nb.cells[parts["parameters"]].source
    assert re.search(r'^SCALE\s*=\s*"small"', params, re.M), f"{path.name}: parameters cell must set SCALE = \"small\""


@pytest.mark.parametrize("path", TOPIC_NBS, ids=_ids(TOPIC_NBS))
def test_module_and_tests_exist(path):
    number, topic = int(path.stem[:2]), path.stem[3:]
    entry = registry.by_name(path.stem)
    assert (entry.number, entry.topic) == (number, topic), f"{path.name} does not match the registry"
    mod = ROOT / "lab" / f"{topic}.py"
    if not mod.is_file():
        mod = ROOT / "lab" / topic / "__init__.py"
    assert mod.is_file(), f"{path.name}: no module lab/{topic}.py"
    doc = ast.get_docstring(ast.parse(mod.read_text())) or ""
    assert path.name in doc, f"lab/{topic}: module docstring must name its notebook {path.name}"
    test = ROOT / "tests" / f"test_{topic}.py"
    assert test.is_file(), f"{path.name}: no unit tests tests/test_{topic}.py"
    assert "def test_determinism" in test.read_text(), f"{test.name}: needs a determinism test"


@pytest.mark.parametrize("path", TOPIC_NBS, ids=_ids(TOPIC_NBS))
def test_code_cells_are_short(path):
    """Logic lives in lab: notebook code cells stay short (about 15 lines). The Exercises section is the
    student's own code and its checks (a solution, hidden tests), so its cells may run to 30 lines."""
    from lab.core import exercises

    nb = nbformat.read(path, as_version=4)
    first, end = exercises.section(nb)
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code":
            lines = [ln for ln in c.source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
            limit = 30 if first <= i < end else 20
            assert len(lines) <= limit, f"{path.name} cell {i}: {len(lines)} lines; move the logic into lab"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_explorer_is_driven_in_its_own_tagged_cell(path):
    """The Explore section shows the explorer in one cell; a cell tagged explorer-check drives it and
    puts it back in its default state (ex.reset()), so handouts can leave the driving code out."""
    nb = nbformat.read(path, as_version=4)
    checks = [c for c in nb.cells if c.cell_type == "code" and "explorer-check" in c.metadata.get("tags", [])]
    assert checks, f"{path.name}: no cell tagged 'explorer-check' drives the explorer"
    for c in checks:
        assert "assert" in c.source, f"{path.name}: the explorer-check cell asserts nothing"
        assert "reset()" in c.source, f"{path.name}: the explorer-check cell must end with ex.reset()"
    shows = [c for c in nb.cells if c.cell_type == "code" and ("explorer(" in c.source or "show(" in c.source)]
    assert shows and all("explorer-check" not in c.metadata.get("tags", []) for c in shows), \
        f"{path.name}: the cell that shows the explorer must not be the tagged driving cell"


def _claim_calls(nb):
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code":
            continue
        try:
            tree = ast.parse(c.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "check" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "rec":
                yield i, node


@pytest.mark.parametrize("path", TOPIC_NBS, ids=_ids(TOPIC_NBS))
def test_every_claim_has_a_tolerance_and_a_way_to_fail(path):
    """A claim recorded without a tolerance, or without saying what would have made it fail, is refused."""
    nb = nbformat.read(path, as_version=4)
    calls = list(_claim_calls(nb))
    assert calls, f"{path.name}: no rec.check(...) call"
    for i, node in calls:
        kw = {k.arg for k in node.keywords}
        star = any(k.arg is None for k in node.keywords)
        assert star or {"tolerance", "fails_if", "measured", "paper"} <= kw, \
            f"{path.name} cell {i}: rec.check needs paper=, measured=, tolerance= and fails_if= (has {sorted(kw)})"
        for k in node.keywords:
            if k.arg == "fails_if" and isinstance(k.value, ast.Constant):
                assert isinstance(k.value.value, str) and len(k.value.value.strip()) >= 10, \
                    f"{path.name} cell {i}: fails_if must say which measurement would fail the claim"
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "claims.check(" not in sources, f"{path.name}: uses the old claims.check; record with rec.check"


# Notebooks whose paper's authors published code. Each tells, in a markdown cell placed after the method sections
# and before the Explore section, what the authors' code does that ours does not: a table of what they do
# (repository and file), what we do, why, and what it may change in the claims.
AUTHORS_CODE = ["01_netaug", "02_tomography", "06_spgf", "07_mcunet", "09_calo", "11_ufm", "13_sparseconv",
                "14_quantumnas", "15_sparseloop", "17_dga"]
DIFFERENCES = "**Differences from the authors' code.**"


@pytest.mark.parametrize("name", AUTHORS_CODE)
def test_notebooks_with_public_code_say_how_they_differ(name):
    path = ROOT / "notebooks" / f"{name}.ipynb"
    assert path.is_file(), f"{name}: no such notebook"
    nb = nbformat.read(path, as_version=4)
    cells = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "markdown" and c.source.lstrip().startswith(DIFFERENCES)]
    assert cells, f"{path.name}: no markdown cell starting with {DIFFERENCES!r}"
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells start with {DIFFERENCES!r}; keep one"
    at, parts = cells[0], find_parts(nb)
    assert parts.get("parameters", -1) < at < parts.get("explore", -1), \
        f"{path.name} cell {at}: put the differences after the method sections, before the Explore section"
    assert re.search(r"^\|.*\|\s*$", nb.cells[at].source, re.M), f"{path.name} cell {at}: the differences are a table"


# the counts a Scales paragraph states, and the preset keys that can hold them: "3 seeds" is the length of a
# seed list, "12 epochs" a value of an *epoch* key, "40 systems" a value of `count`, ...
SCALE_UNITS = {"seed": ("seed",), "epoch": ("epoch",), "system": ("count", "system"), "iteration": ("iter",),
               "step": ("step",), "network": ("net", "seed"), "event": ("event", "n_"), "image": ("image", "n_"),
               "frame": ("frame",)}
SCALE_COUNT = re.compile(r"(\d[\d,]*)\s*(seeds?|epochs?|systems|iterations|steps|networks|events|images|frames)\b")


def _preset_counts(preset: dict, keys: tuple, out: set) -> set:
    for k, v in preset.items():
        if isinstance(v, dict):
            _preset_counts(v, keys, out)
        elif any(s in k for s in keys):
            if isinstance(v, (list, tuple)):
                out.add(len(v))
                out.update(x for x in v if isinstance(x, int))
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                out.add(int(v))
    return out


@pytest.mark.parametrize("path", TOPIC_NBS, ids=_ids(TOPIC_NBS))
def test_scales_paragraph_states_what_the_presets_run(path):
    """A notebook's "**Scales.**" paragraph and its parameters cell's comments say what its presets run: every count of seeds, epochs, systems,
    iterations, steps, networks, events, images or frames in it is one that a preset of the topic's SCALES holds
    (a settings sentence that drifted from the code, "20 systems" where the preset runs 40, fails). Settings
    tried and dropped belong in another paragraph."""
    import importlib

    topic = path.stem.split("_", 1)[1]
    scales = getattr(importlib.import_module(f"lab.{topic}"), "SCALES", None)
    nb = nbformat.read(path, as_version=4)
    paras = [c.source[c.source.index("**Scales."):].split("\n\n")[0]
             for c in nb.cells if c.cell_type == "markdown" and "**Scales." in c.source]
    if not paras or scales is None:
        pytest.skip(f"{path.name}: no Scales paragraph or no SCALES presets")
    # the parameters cell's comments describe the presets too ("paper: 100 epochs, 5 seeds")
    comments = ["\n".join(ln.split("#", 1)[1] for ln in c.source.splitlines() if "#" in ln)
                for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    wrong = []
    for m in SCALE_COUNT.finditer("\n".join([paras[0], *comments])):
        n, unit = int(m.group(1).replace(",", "")), m.group(2).rstrip("s")
        held = set()
        for preset in scales.values():
            _preset_counts(dict(preset), SCALE_UNITS[unit], held)
        if n not in held:
            wrong.append(f"'{m.group(0)}' (the presets hold {sorted(held)[:10]})")
    assert not wrong, f"{path.name}: the Scales paragraph or the parameters cell states counts no preset runs: {wrong}"
