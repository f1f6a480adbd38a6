"""Layout guards (CONTRIBUTING.md, "Layout"): no import cycle inside `lab`, no module using another
module's `_private` names, every topic's `__all__` resolving, a package `__init__` that is only a
public face, and importing `lab` creating nothing on disk. All checks read the AST, so a cycle hidden
in a function body counts too."""
from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "lab"


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def lab_modules(root: Path = LAB) -> dict[str, Path]:
    return {module_name(p): p for p in sorted(root.rglob("*.py")) if "__pycache__" not in p.parts}


def _resolve(mod: str, is_pkg: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([target] if target else []))


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import in the file, function bodies too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out.append((a.name, None, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_pkg, node.level, node.module)
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in modules:
                    out.append((sub, None, node.lineno))
                else:
                    out.append((base, a.name, node.lineno))
    return out


def import_graph(root: Path = LAB) -> dict[str, set[str]]:
    modules = lab_modules(root)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for m, p in modules.items():
        for target, _name, _line in imports_of(m, p, modules):
            if target in modules and target != m:
                graph[m].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def private_uses(root: Path = LAB) -> list[str]:
    """`from X import _name` or `X._name` on an imported module, where X is another lab module."""
    modules = lab_modules(root)
    bad = []
    for m, p in modules.items():
        tree = ast.parse(p.read_text(encoding="utf-8"))
        module_aliases = {}
        for target, name, line in imports_of(m, p, modules):
            if name and name.startswith("_") and not name.startswith("__") and target.startswith("lab"):
                bad.append(f"{p.relative_to(ROOT)}:{line} imports {target}.{name}")
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for a in node.names:
                    base = _resolve(m, p.name == "__init__.py", getattr(node, "level", 0),
                                    getattr(node, "module", None)) if isinstance(node, ast.ImportFrom) else ""
                    full = f"{base}.{a.name}" if isinstance(node, ast.ImportFrom) else a.name
                    if full in modules:
                        module_aliases[a.asname or a.name.split(".")[0]] = full
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in module_aliases and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                bad.append(f"{p.relative_to(ROOT)}:{node.lineno} uses {module_aliases[node.value.id]}.{node.attr}")
    return bad


def test_no_import_cycle_in_lab():
    found = cycles(import_graph())
    assert not found, "import cycles inside lab: " + "; ".join(" <-> ".join(c) for c in found)


def test_no_module_uses_another_modules_private_names():
    bad = private_uses()
    assert not bad, "private names used across files:\n" + "\n".join(bad)


def test_guards_catch_what_they_guard(tmp_path):
    """The two checks above fail on a tree with a cycle and a private import."""
    pkg = tmp_path / "lab" / "topic"
    pkg.mkdir(parents=True)
    (tmp_path / "lab" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("from .fit import fit\n")
    (pkg / "fit.py").write_text("from .views import plot\n\ndef fit():\n    return 1\n")
    (pkg / "views.py").write_text("from .fit import fit, _helper\n\ndef plot():\n    return fit()\n")
    global ROOT
    saved = ROOT
    ROOT = tmp_path
    try:
        assert cycles(import_graph(tmp_path / "lab")) == [["lab.topic.fit", "lab.topic.views"]]
        assert any("_helper" in b for b in private_uses(tmp_path / "lab"))
    finally:
        ROOT = saved


def topic_packages() -> list[str]:
    return sorted(p.parent.name for p in LAB.glob("*/__init__.py") if p.parent.name not in ("core",))


def public_modules() -> list[str]:
    singles = sorted(p.stem for p in LAB.glob("*.py") if not p.stem.startswith("_"))
    return ["lab.core", *(f"lab.{t}" for t in topic_packages()), *(f"lab.{s}" for s in singles)]


@pytest.mark.parametrize("name", public_modules())
def test_every_public_name_resolves(name):
    mod = importlib.import_module(name)
    names = getattr(mod, "__all__", None)
    assert names is not None, f"{name} has no __all__"
    missing = [n for n in names if not hasattr(mod, n)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"
    assert len(set(names)) == len(names), f"{name}.__all__ lists a name twice"


@pytest.mark.parametrize("topic", topic_packages())
def test_package_init_is_only_a_public_face(topic):
    """docstring, SCALES, imports from its own files, __all__: nothing else."""
    path = LAB / topic / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"lab/{topic}/__init__.py needs a docstring naming its notebook"
    for node in tree.body[1:]:
        if isinstance(node, ast.ImportFrom):
            assert node.module == "__future__" or node.level >= 1 or (node.module or "").startswith("lab.core"), \
                f"lab/{topic}/__init__.py:{node.lineno} imports from outside its package"
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            assert names and set(names) <= {"SCALES", "__all__"}, \
                f"lab/{topic}/__init__.py:{node.lineno} defines {names}: only SCALES and __all__ belong there"
            continue
        raise AssertionError(f"lab/{topic}/__init__.py:{node.lineno}: {type(node).__name__} does not belong "
                             "in a public face (move it into a file of the package)")


def test_importing_lab_creates_nothing_on_disk(tmp_path):
    build = tmp_path / "build"
    mods = ", ".join(repr(m) for m in public_modules())
    code = f"import importlib\nfor m in [{mods}]:\n    importlib.import_module(m)\n"
    env = {**os.environ, "LAB_BUILD_DIR": str(build)}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert not build.exists(), f"importing lab created {sorted(str(p) for p in build.rglob('*'))[:5]}"
    assert not list(tmp_path.iterdir()) or list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())


# One topic builds on another's *method* only where the paper does the same; everything else two topics share
# lives in lab/core (helpers) or lab/data (data). Each exception is named here with its reason.
TOPIC_DEPENDENCIES = {
    ("calo", "sparseconv"): "SPVCNN's voxel branch is the sparse-convolution engine of notebook 13 (TorchSparse)",
    ("pointacc", "sparseconv"): "PointAcc's mapping unit and model count the engine's kernel maps (notebook 13)",
    ("mg_synapse", "synapse"): "the Mg2+ synapse is the electrochemical synapse circuit of notebook 03 with new parameters",
}


def _topic(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else module


def test_topics_import_only_core_data_and_their_declared_dependencies():
    found = {}
    for m, targets in import_graph().items():
        a = _topic(m)
        for t in targets:
            b = _topic(t)
            if a != b and b not in ("core", "data") and a not in ("core", "data", "__main__"):
                found.setdefault((a, b), f"{m} imports {t}")
    undeclared = {k: v for k, v in found.items() if k not in TOPIC_DEPENDENCIES}
    assert not undeclared, ("a topic imports another topic; move what they share into lab/core or lab/data, or "
                            f"declare the dependency in TOPIC_DEPENDENCIES with its reason: {undeclared}")
    stale = [k for k in TOPIC_DEPENDENCIES if k not in found]
    assert not stale, f"declared topic dependencies that no longer exist (remove them): {stale}"
