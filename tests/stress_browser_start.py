"""Run the start page's browser test first on a fresh server, over and over, and count the hangs.

    .venv/bin/python tests/stress_browser_start.py --runs 20 --load 1

Each run is its own pytest process: a new `jupyter lab`, a new Chromium, and the start-here notebook as
the first (and only) notebook on that server, as it is on a test worker at the start of `make test`.
`--load N` keeps N more processes running notebooks under nbmake (`make test`'s other worker) for the
whole loop, so the start page meets the load it met in CI. Each run's screenshots, server and kernel log,
browser console and phase times are kept in build/browser/stress/NN/; the last line reads
`start page: P of R runs passed, H hung (Run All did not finish), F failed otherwise`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "00_start_here"
# the notebooks nbmake runs beside the browser test in the load processes: the slowest at the small scale
LOAD_NOTEBOOKS = ["14_quantumnas", "04_nacl", "17_dga", "12_anomaly", "06_spgf", "05_sparsebfa"]


def _load(n: int, tmp: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        nbs = " ".join(f"notebooks/{nb}.ipynb" for nb in LOAD_NOTEBOOKS[i:] + LOAD_NOTEBOOKS[:i])
        # a shell loop, so the load lasts as long as the runs do
        cmd = (f"while true; do {sys.executable} -m pytest -q -p no:cacheprovider --nbmake "
               f"--nbmake-timeout=600 {nbs} >/dev/null 2>&1; done")
        env = {**os.environ, "LAB_BUILD_DIR": str(tmp / f"load{i}"), "OMP_NUM_THREADS": "1"}
        procs.append(subprocess.Popen(["bash", "-c", cmd], cwd=ROOT, env=env, start_new_session=True))
    return procs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20, help="how many fresh servers (default 20)")
    ap.add_argument("--load", type=int, default=1, help="nbmake processes running beside the test (default 1)")
    args = ap.parse_args(argv)
    if not 1 <= args.runs <= 500:
        ap.error(f"--runs must be between 1 and 500; got {args.runs}")
    if not 0 <= args.load <= 4:
        ap.error(f"--load must be between 0 and 4; got {args.load}")
    out = ROOT / "build" / "browser" / "stress"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        load = _load(args.load, Path(tmp))
        try:
            time.sleep(5 if args.load else 0)  # let the load start its kernels
            for i in range(args.runs):
                t0 = time.time()
                r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                    "tests/test_browser.py", "-k", f"test_notebook_in_the_browser and {NAME}"],
                                   cwd=ROOT, capture_output=True, text=True,
                                   env={**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
                dt = time.time() - t0
                hung = "Run All did not finish" in r.stdout
                kind = "passed" if r.returncode == 0 else ("hung" if hung else "failed")
                results.append(kind)
                keep = out / f"{i + 1:02d}"
                keep.mkdir()
                for f in (ROOT / "build" / "browser").glob(f"{NAME}-*"):
                    shutil.copy(f, keep / f.name)
                (keep / "pytest.txt").write_text(r.stdout + r.stderr)
                print(f"run {i + 1:2d}: {kind:6s} {dt:6.1f} s  load average {os.getloadavg()[0]:.1f}", flush=True)
        finally:
            for p in load:
                os.killpg(p.pid, 15)
    passed, hung = results.count("passed"), results.count("hung")
    print(f"start page: {passed} of {len(results)} runs passed, {hung} hung (Run All did not finish), "
          f"{len(results) - passed - hung} failed otherwise")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
