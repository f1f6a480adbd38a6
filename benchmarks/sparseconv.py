"""Sparse convolution (notebook 13): per-stage CPU time of one 3x3x3 submanifold conv on
synthetic LiDAR-like scenes of 10k, 50k and 200k voxels at 32->32 and 64->64 channels.

Engines: ours with adaptive grouping (eps tuned per layer), ours with one matmul per offset
("separate"), a naive per-offset loop without map caching, and spconv's CPU implementation
(Native algorithm) when the [bench] extra is installed. Times are CPU time of one thread,
minimum over repeats. The paper's numbers (on GPUs): 1.4-1.5x matmul-stage speedup from
grouping, and 1.5x faster than spconv end to end.
"""
from __future__ import annotations

import sys

import pandas as pd


def main(sizes=(10000, 50000, 200000), channels=(32, 64), repeats: int = 5) -> pd.DataFrame:
    from lab import sparseconv as sc

    df = sc.benchmark(sizes, channels, repeats=repeats, progress=False)
    pd.set_option("display.width", 160)
    print("CPU ms per stage (one thread, min over", repeats, "repeats)")
    print(df.round(2).to_string(index=False))
    piv = df.pivot_table(index=["voxels", "channels"], columns="engine", values=["matmul", "total"])
    out = pd.DataFrame({
        "grouping matmul speedup": piv["matmul"]["separate"] / piv["matmul"]["grouped (tuned)"],
        "grouping total speedup": piv["total"]["separate"] / piv["total"]["grouped (tuned)"],
        "naive / grouped": piv["total"]["naive"] / piv["total"]["grouped (tuned)"],
    })
    if "spconv" in piv["total"]:
        out["spconv / ours (grouped)"] = piv["total"]["spconv"] / piv["total"]["grouped (tuned)"]
        out["spconv / ours (separate)"] = piv["total"]["spconv"] / piv["total"]["separate"]
    else:
        print("spconv not installed (the [bench] extra): no spconv column")
    print("\nratios (> 1: the first is slower)")
    print(out.round(2).to_string())
    return df


if __name__ == "__main__":
    small = "--small" in sys.argv
    main(sizes=(4000, 12000) if small else (10000, 50000, 200000), channels=(32,) if small else (32, 64))
