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

# Quick settings for tests that run a notebook to check something other than its claims (the page in the
# browser, a student version's exercise). nbmake runs every notebook at its shipped small scale and checks
# the claims there. With these a notebook runs with less training (through LAB_SCALE_OVERRIDES, so a
# claim that fails with them is recorded, not raised), and its kernel writes into a temporary build
# folder, so build/claims stays as nbmake left it. The explorers get the same kinds of results.
QUICK = {
    "02_tomography": {"n_test": 2},
    "03_synapse": {"pts": 20, "pair_intervals": [0.002, 0.02, 0.3]},
    "04_nacl": {"epochs": 2, "seeds": [0, 1], "explorer_epochs": 1},
    "05_sparsebfa": {"seeds": [0, 1], "flip_seeds": [0, 1], "epochs": 20, "finetune_epochs": 10, "n_flips": 10,
                     "random_points": 5},
    "06_spgf": {"frames": 1, "em_frames": 1, "em_max_iter": 5, "em_stride": 10, "width": 160, "height": 120,
                "explorer_frames": 3, "explorer_width": 160, "explorer_height": 120},
    "09_calo": {"n_train": 4, "n_test": 3, "epochs": 1, "n_tune": 2, "seeds": [0, 1]},
    "12_anomaly": {"seeds": [0, 1], "epochs": 30, "M_values": [16, 64], "dropout_values": [0.0, 0.3],
                   "severities": [0.5, 1.0, 2.0], "n_sweep": 10},
    "14_quantumnas": {"super_steps": 40, "train_steps": 10, "finetune_steps": 5, "population": 4, "parents": 2,
                      "iterations": 1, "seeds": [0, 1], "vqe_steps": 10, "vqe_population": 2, "vqe_iterations": 1,
                      "n_train": 64, "n_test": 16, "n_val": 8, "shots": 128,
                      "two_class": {"super_steps": 40, "train_steps": 10, "finetune_steps": 5, "population": 4,
                                    "parents": 2, "mutations": 2, "crossovers": 1, "iterations": 1}},
    "15_sparseloop": {"val_seeds": [0, 1], "real_seeds": [0, 1], "n_images": 64, "speed_sizes": [128, 256]},
    "16_unstable_rl": {"seeds": [0, 1], "count": 5, "max_iter": 300, "mf_iter": 100, "mf_seeds": [0, 1]},
}


def quick_env(overrides: dict | None, build: Path) -> dict:
    """Environment for a kernel that runs a notebook with preset `overrides` (none: its shipped settings)
    and writes into `build`; the numba cache stays the shared one (compiling it again costs seconds)."""
    import json
    env = {"LAB_BUILD_DIR": str(build),
           "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(ROOT / "build" / "numba_cache"))}
    if overrides:
        env["LAB_SCALE_OVERRIDES"] = json.dumps(overrides)
    return env


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(tmp: Path, token: str, extra: list[str] = (), env: dict | None = None):
    """`jupyter lab` on loopback with a token, as `make lab` starts it (plus `extra` arguments and
    `env` variables, which its kernels inherit); yields the base URL and stops the server by its own
    process handle."""
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
                            env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), **(env or {})})
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
