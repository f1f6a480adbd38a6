"""`make lab` serves JupyterLab with the workbench kernel and without the
"Build Recommended" dialog (which open3d's dash extension would otherwise raise)."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JUPYTER = Path(sys.executable).with_name("jupyter")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not JUPYTER.exists():
        pytest.skip("jupyter is not installed in this environment")
    port, token = _free_port(), "labtest"
    runtime = tmp_path_factory.mktemp("runtime")
    args = [str(JUPYTER), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}", f"--notebook-dir={ROOT / 'notebooks'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except Exception:
                if proc.poll() is not None:
                    pytest.fail("jupyter lab exited during start-up")
                time.sleep(0.5)
        else:
            pytest.fail("jupyter lab did not answer within 120 s")
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _get(url: str) -> str:
    return urllib.request.urlopen(url, timeout=30).read().decode()


def test_no_build_dialog(server):
    base, token = server
    page = _get(f"{base}/lab?token={token}")
    cfg = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                               page, re.S).group(1))
    assert cfg.get("buildCheck") is False, "JupyterLab would show the 'Build Recommended' dialog"
    assert cfg.get("buildAvailable") is False


def test_workbench_kernel_is_registered(server):
    base, token = server
    specs = json.loads(_get(f"{base}/api/kernelspecs?token={token}"))
    assert "mlnc-lab" in specs["kernelspecs"], sorted(specs["kernelspecs"])
    listing = json.loads(_get(f"{base}/api/contents?token={token}"))
    assert any(item["name"] == "00_start_here.ipynb" for item in listing["content"])
