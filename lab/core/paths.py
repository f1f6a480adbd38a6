"""Where the workbench reads and writes: the repository root, `build/` and `data/`.

Notebooks run with their own folder as working directory (nbmake, papermill), so
paths are resolved from the package location, not from the current directory.
`LAB_BUILD_DIR` overrides the build folder (tests use a temporary one); `scoped_environ` sets it (and the
other variables a kernel started from here inherits) for the duration of a run.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator, Mapping


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


@contextlib.contextmanager
def scoped_environ(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set environment variables (None: unset) for the duration of a `with` block, then put back what was there
    (a kernel started inside the block inherits them: its build folder, its thread count, its preset overrides)."""
    if not isinstance(values, Mapping):
        raise TypeError(f"values must be a mapping of variable names to strings or None; got {type(values).__name__}")
    for k, v in values.items():
        if not isinstance(k, str) or not k or "=" in k or "\0" in k:
            raise ValueError(f"values: {k!r} is not an environment variable name")
        if v is not None and (not isinstance(v, str) or "\0" in v):
            raise TypeError(f"values[{k!r}] must be a string without NUL characters or None; got {v!r}")
    old = {k: os.environ.get(k) for k in values}

    def put(items):
        for k, v in items:
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    put(values.items())
    try:
        yield
    finally:
        put(old.items())
