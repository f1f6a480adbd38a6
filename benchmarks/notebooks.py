"""Wall time of every notebook at its default scale, executed headless as CI does
(the budget is 60 s per notebook on a 2-core CPU)."""
from __future__ import annotations

import time

from lab.__main__ import execute
from lab.core import registry

BUDGET_S = 60.0


def main() -> None:
    print(f"{'notebook':<18} {'wall [s]':>9}  within {BUDGET_S:.0f} s")
    for e in registry.existing():
        t0 = time.perf_counter()
        try:
            execute(e.name, "small")
            dt = time.perf_counter() - t0
            print(f"{e.name:<18} {dt:9.1f}  {'yes' if dt <= BUDGET_S else 'NO'}", flush=True)
        except Exception as exc:
            print(f"{e.name:<18} {'error':>9}  {type(exc).__name__}: {str(exc).splitlines()[0][:80]}", flush=True)
