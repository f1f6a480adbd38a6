"""Sparse convolution (notebook 13): CPU time of one 3x3x3 submanifold conv (from scratch:
kernel map included) on synthetic LiDAR-like scenes of 10k, 50k and 200k voxels at 32->32
and 64->64 channels.

Engines: ours with adaptive grouping (eps and S chosen per layer by the tuner, which times
the layer's whole forward for the separate path and every distinct grouping plan,
interleaved, median of 7), ours with one matmul per offset ("separate"), a naive per-offset
loop without map caching, and spconv's CPU implementation (Native algorithm) when the
[bench] extra is installed. Tuned, separate and spconv run interleaved round-robin in one
process on one thread (torch.set_num_threads(1)), median of `repeats` runs after a warm-up
round, timed by the CPU time of the thread. On a shared machine the interleaving keeps the
ratios fair; the absolute times still move with the load (printed). The paper's numbers (on
GPUs): 1.4-1.5x matmul-stage speedup from grouping, and 1.5x faster than spconv end to end.
"""
from __future__ import annotations

import os
import sys

import pandas as pd


def main(sizes=(10000, 50000, 200000), channels=(32, 64), repeats: int = 7) -> pd.DataFrame:
    from lab import sparseconv as sc

    load0 = os.getloadavg()[0]
    df = sc.benchmark(sizes, channels, repeats=repeats, progress=False)
    pd.set_option("display.width", 160)
    print(f"CPU ms per stage (one thread, median of {repeats} interleaved runs after warm-up; "
          f"naive: median of {min(3, repeats)})")
    print(df.round(2).to_string(index=False))
    piv = df.pivot_table(index=["voxels", "channels"], columns="engine", values=["matmul", "total"])
    tot = piv["total"]
    tuned = df[df.engine == "grouped (tuned)"].set_index(["voxels", "channels"])
    out = pd.DataFrame({
        "tuned eps": tuned["eps"], "ours separate ms": tot["separate"], "ours tuned ms": tot["grouped (tuned)"],
    })
    if "spconv" in tot:
        out["spconv ms"] = tot["spconv"]
        out["spconv/ours (separate)"] = tot["spconv"] / tot["separate"]
        out["spconv/ours (tuned)"] = tot["spconv"] / tot["grouped (tuned)"]
    else:
        print("spconv not installed (the [bench] extra): no spconv column")
    out["separate/tuned"] = tot["separate"] / tot["grouped (tuned)"]
    out["grouping matmul speedup"] = piv["matmul"]["separate"] / piv["matmul"]["grouped (tuned)"]
    if "naive" in tot:
        out["naive/tuned"] = tot["naive"] / tot["grouped (tuned)"]
    print("\nratios (> 1: ours is faster; tuned eps -1 = the tuner kept the separate path)")
    print(out.round(2).to_string())
    print(f"\nload average (1 min) at start {load0:.1f}, at end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return df


if __name__ == "__main__":
    small = "--small" in sys.argv
    main(sizes=(4000, 12000) if small else (10000, 50000, 200000), channels=(32,) if small else (32, 64))
