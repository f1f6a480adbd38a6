"""Time per frame of aleatoric-only, the full ensemble and ensemble-UfM (notebooks/11_ufm.ipynb).

The notebook's speed claim is on inferences per frame (N for the ensemble, 1 for
ensemble-UfM); this script measures what that saves in wall time on this machine,
one thread, streaming one frame at a time, timed in CPU seconds of this process
(steady on a shared machine; equal to wall time on an idle one). The first table uses the shipped
64x48 ensemble; the second a wider, untrained network of the same shape, to show
how the time ratio approaches N as the network's cost grows next to UfM's merge.
"""
from __future__ import annotations

import time

import torch

from lab import ufm
from lab.data import scenes

REPEATS = 3


def _table(ens: ufm.Ensemble, frames, title: str) -> None:
    print(f"\n{title}")
    print(f"{'method':<14} {'inf/frame':>9} {'infer ms':>9} {'merge ms':>9} {'total ms':>9} {'vs ensemble':>12}")
    best = {}
    for m in ufm.METHODS:
        runs = [ufm.run_method(ens, frames, m, clock="cpu") for _ in range(REPEATS)]
        best[m] = min(runs, key=lambda r: r.ms_per_frame)
    ref = best["ensemble"].ms_per_frame
    for m, r in best.items():
        n = r.n_frames
        print(f"{m:<14} {r.inferences_per_frame:9.0f} {1e3 * r.infer_s / n:9.2f} {1e3 * r.merge_s / n:9.2f} "
              f"{r.ms_per_frame:9.2f} {ref / r.ms_per_frame:11.2f}x")


def main() -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        ens = ufm.load_ensemble()
        frames = scenes.render_sequence(30, ens.config.width, ens.config.height, layout="indoor", seed=0)
        _table(ens, frames, f"shipped ensemble: N = {ens.n}, {ens.config.channels} base channels, "
                            f"{ens.config.width}x{ens.config.height}, 30 frames, 1 thread, CPU ms per frame, best of {REPEATS}")
        torch.manual_seed(0)
        wide = ufm.Ensemble([ufm.DepthNet(48).eval() for _ in range(ens.n)], ens.config)
        _table(wide, frames, f"same, with untrained 48-channel members (timing only)")
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"({time.perf_counter() - start:.1f} s)")
