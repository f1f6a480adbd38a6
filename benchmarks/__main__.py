"""`python -m benchmarks [NAME ...]`: run every benchmark module's `main()` (or the named ones).

Each `benchmarks/<name>.py` prints its own table. Timings depend on the machine; the
numbers quoted in the README were taken on a 2-core CPU.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv) or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"error: unknown benchmark(s) {unknown}; available: {available()}", file=sys.stderr)
        return 2
    failed = []
    for name in names:
        print(f"\n=== benchmarks/{name}.py ===", flush=True)
        t0 = time.perf_counter()
        try:
            importlib.import_module(f"benchmarks.{name}").main()
        except Exception as exc:  # keep going, report at the end
            failed.append(name)
            print(f"FAILED: {type(exc).__name__}: {exc}")
        print(f"({name}: {time.perf_counter() - t0:.1f} s)", flush=True)
    if failed:
        print(f"\nfailed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
