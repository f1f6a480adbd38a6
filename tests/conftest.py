import os

import pytest


@pytest.fixture
def build_tmp(tmp_path, monkeypatch):
    """A temporary build/ folder, so unit tests never touch the real one."""
    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path / "build"))
    return tmp_path / "build"


os.environ.setdefault("PYTHONHASHSEED", "0")
