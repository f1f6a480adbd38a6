"""Sparse convolution (notebook 13): CPU time of one 3x3x3 submanifold conv (from scratch:
kernel map included) on synthetic LiDAR-like scenes of 10k, 50k and 200k voxels at 32->32
and 64->64 channels. Notebook 13 keeps no timing claim: it shows the table this benchmark
commits (results/bench/sparseconv.csv) as its speed evidence, measured on the machine named
in the file's header.

Engines: ours with adaptive grouping (eps and S chosen per layer by the tuner, which times
the layer's whole forward for the separate path and every distinct grouping plan,
interleaved, median of 7), ours with one matmul per offset ("separate"), a naive per-offset
loop without map caching, and spconv's CPU implementation (Native algorithm) when the
[bench] extra is installed. Tuned, separate and spconv run interleaved round-robin in one
process on one thread (torch.set_num_threads(1)), median of `repeats` runs after a warm-up
round, timed by the CPU time of the thread. On a shared machine the interleaving keeps the
ratios fair; the absolute times still move with the load (printed and written to the
header). The paper's numbers (on GPUs): 1.4-1.5x matmul-stage speedup from grouping, and
1.5x faster than spconv end to end.

Writes build/bench/sparseconv.csv and the committed results/bench/sparseconv.csv (with
--small: build/bench/sparseconv-small.csv only).
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import time

import pandas as pd


def _commit() -> str:
    from lab.core.paths import repo_root
    try:
        out = subprocess.run(["git", "-C", str(repo_root()), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(repo_root()), "status", "--porcelain", "--", "lab/sparseconv"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + (" (lab/sparseconv modified)" if dirty else "")
    except Exception:
        return "unknown"


def _cpu() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(sizes=(10000, 50000, 200000), channels=(32, 64), repeats: int = 7, record: bool = True) -> pd.DataFrame:
    from lab import sparseconv as sc
    from lab.core.paths import build_dir

    load0, t0 = os.getloadavg()[0], time.time()
    df = sc.benchmark(sizes, channels, repeats=repeats, progress=False)
    pd.set_option("display.width", 160)
    print(f"CPU ms per stage (one thread, median of {repeats} interleaved runs after warm-up; "
          f"naive: median of {min(3, repeats)})")
    print(df.round(2).to_string(index=False))
    out = sc.bench_summary(df)
    if "naive" in set(df.engine):
        tot = df.pivot_table(index=["voxels", "channels"], columns="engine", values="total")
        out["naive / tuned"] = (tot["naive"] / tot["grouped (tuned)"]).to_numpy()
    if not sc.spconv_available():
        print("spconv not installed (the [bench] extra): no spconv column")
    print("\nratios (> 1: ours / the tuned layer is faster; tuned eps -1 = the tuner kept the separate path)")
    print(out.round(2).to_string(index=False))
    load1 = os.getloadavg()[0]
    print(f"\nload average (1 min) at start {load0:.1f}, at end {load1:.1f} on {os.cpu_count()} CPUs")
    meta = {"what": "benchmarks/sparseconv.py: CPU ms per stage of one 3x3x3 submanifold conv from scratch, "
                    f"one thread, median of {repeats} interleaved runs after a warm-up round (naive: of "
                    f"{min(3, repeats)})",
            "machine": f"{_cpu()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
            "software": f"python {platform.python_version()}, torch {__import__('torch').__version__}, "
                        f"spconv {'yes' if sc.spconv_available() else 'not installed'}",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t0)),
            "commit": _commit(),
            "load": f"1-min load average {load0:.1f} at start, {load1:.1f} at end; {time.time() - t0:.0f} s wall",
            "command": "make bench BENCH=sparseconv" if record else "python -m benchmarks.sparseconv --small"}
    name = "sparseconv.csv" if record else "sparseconv-small.csv"
    sc.write_bench(df, build_dir("bench") / name, meta)
    if record:
        sc.write_bench(df, sc.bench_file(), meta)
        print(f"written: build/bench/{name} and {sc.bench_file()}")
    else:
        print(f"written: build/bench/{name}")
    return df


if __name__ == "__main__":
    small = "--small" in sys.argv
    main(sizes=(4000, 12000) if small else (10000, 50000, 200000), channels=(32,) if small else (32, 64),
         record=not small)
