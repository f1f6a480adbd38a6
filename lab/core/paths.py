"""Where the workbench reads and writes: the repository root, `build/` and `data/`.

Notebooks run with their own folder as working directory (nbmake, papermill), so
paths are resolved from the package location, not from the current directory.
`LAB_BUILD_DIR` overrides the build folder (tests use a temporary one).
"""
from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The checkout that holds `pyproject.toml` and `notebooks/` (editable install),
    or the current directory when the package is installed elsewhere."""
    here = Path(__file__).resolve().parents[2]
    if (here / "pyproject.toml").is_file() and (here / "lab").is_dir():
        return here
    return Path.cwd()


def build_path(*parts: str) -> Path:
    """`build/<parts...>`, not created (for settings that name a folder another program makes)."""
    base = Path(os.environ.get("LAB_BUILD_DIR") or repo_root() / "build")
    return base.joinpath(*parts)


def build_dir(*parts: str) -> Path:
    """`build/<parts...>`, created on demand, when something is written. Everything generated goes here."""
    path = build_path(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """The shipped `data/` folder (small inputs, each listed in data/README.md)."""
    return repo_root() / "data"


def notebooks_dir() -> Path:
    return repo_root() / "notebooks"
