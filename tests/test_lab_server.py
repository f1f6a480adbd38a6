"""`make lab` serves JupyterLab with the workbench kernel and without the
"Build Recommended" dialog (which open3d's dash extension would otherwise raise)."""
import json
import re
import urllib.request
from pathlib import Path

import pytest
from conftest import jupyter_lab

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    token = "labtest"
    with jupyter_lab(tmp_path_factory.mktemp("lab"), token) as base:
        yield base, token


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
    # the default too: JupyterLab falls back to it when it picks a kernel from the notebook's language alone
    # (a cell run before the notebook has connected to its session), which must still be the workbench's
    assert specs["default"] == "mlnc-lab", f"the server's default kernel is {specs['default']!r}"
    listing = json.loads(_get(f"{base}/api/contents?token={token}"))
    assert any(item["name"] == "00_start_here.ipynb" for item in listing["content"])
