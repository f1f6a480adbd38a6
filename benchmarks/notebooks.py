"""Wall time of every notebook at its default scale, executed headless as CI does (one thread per
library, as in make test), with the cells that took the time (the budget is 45 s per notebook on a 2-core CPU).

`python -m benchmarks notebooks` times all of them; `LAB_BENCH_NOTEBOOKS="04 14"` times the named ones.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from lab.core import registry
from lab.core.paths import scoped_environ

BUDGET_S = 45.0
TOP = 3


CPU_CELL = "import os as _os; _t = _os.times(); print(_t.user + _t.system + _t.children_user + _t.children_system)"


def time_cells(path: Path, build: Path) -> tuple[float, float, list[tuple[float, str]]]:
    """Run the notebook at `path` in a fresh kernel (its folder as the working directory, as nbmake does)
    and return its wall time [s], the kernel's CPU time [s] (with its children's; less sensitive than the
    wall time to other work on the machine) and each code cell's (seconds, first line)."""
    import nbformat
    from nbclient import NotebookClient

    from lab.__main__ import _kernel_name

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CPU_CELL))
    cells: list[tuple[float, str]] = []
    started: dict[int, float] = {}

    def before(cell, cell_index, **_):
        started[cell_index] = time.perf_counter()

    def after(cell, cell_index, **_):
        if cell.source == CPU_CELL:
            return
        first = next((ln for ln in cell.source.splitlines() if ln.strip() and not ln.startswith("#")), "")
        cells.append((time.perf_counter() - started[cell_index], first[:70]))

    with scoped_environ({"LAB_BUILD_DIR": str(build), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}):
        client = NotebookClient(nb, timeout=600, kernel_name=_kernel_name(),
                                resources={"metadata": {"path": str(path.parent)}},
                                on_cell_execute=before, on_cell_executed=after)
        t0 = time.perf_counter()
        client.execute()
        wall = time.perf_counter() - t0
        cpu = float(nb.cells[-1].outputs[0]["text"])
        return wall, cpu, cells


def main() -> None:
    wanted = os.environ.get("LAB_BENCH_NOTEBOOKS", "").split()
    entries = [e for e in registry.existing() if not wanted or any(e.name.startswith(w) for w in wanted)]
    print(f"{'notebook':<18} {'wall [s]':>9} {'CPU [s]':>8}  within {BUDGET_S:.0f} s   slowest cells [s]")
    over = []
    with tempfile.TemporaryDirectory() as tmp:
        for e in entries:
            try:
                wall, cpu, cells = time_cells(e.path, Path(tmp) / e.name)
            except Exception as exc:
                print(f"{e.name:<18} {'error':>9}  {type(exc).__name__}: {str(exc).splitlines()[0][:80]}", flush=True)
                continue
            if wall > BUDGET_S:
                over.append(e.name)
            slow = "; ".join(f"{s:.1f} {src}" for s, src in sorted(cells, reverse=True)[:TOP])
            print(f"{e.name:<18} {wall:9.1f} {cpu:8.1f}  {'yes' if wall <= BUDGET_S else 'NO':<6}  {slow}", flush=True)
    print(f"notebooks: {len(entries)} timed, {len(over)} over {BUDGET_S:.0f} s {over if over else ''}")
