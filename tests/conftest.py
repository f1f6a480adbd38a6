import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def build_tmp(tmp_path, monkeypatch):
    """A temporary build/ folder, so unit tests never touch the real one."""
    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path / "build"))
    return tmp_path / "build"


os.environ.setdefault("PYTHONHASHSEED", "0")


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(tmp: Path, token: str, extra: list[str] = ()):
    """`jupyter lab` on loopback with a token, as `make lab` starts it (plus `extra` arguments);
    yields the base URL and stops the server by its own process handle."""
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        pytest.skip("jupyter is not installed in this environment")
    port = _free_port()
    args = [str(jupyter), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}", f"--notebook-dir={ROOT / 'notebooks'}", *extra]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime")})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except Exception:
                if proc.poll() is not None:
                    pytest.fail("jupyter lab exited during start-up: " + (tmp / "server.log").read_text()[-2000:])
                time.sleep(0.5)
        else:
            pytest.fail("jupyter lab did not answer within 120 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
