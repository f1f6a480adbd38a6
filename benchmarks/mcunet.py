"""MCUNetV2 patch-based inference (lab.mcunet): speed of the torch patch executor
against full-image inference, beside the analyser's peak memory and MACs.

Patch-based inference trades memory for recomputation. On a microcontroller the
time overhead follows the MAC overhead; in torch on a CPU it also pays for many small
convolutions, so the measured slowdown is an upper bound. Run: python -m benchmarks mcunet
"""
from __future__ import annotations

import time

import torch

from lab import mcunet
from lab.core import nets


def _time(fn, repeats: int = 3) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    torch.set_num_threads(1)
    blocks = nets.mobilenet_v2_specs(1.0)
    net = mcunet.random_bn_net(blocks, seed=0)
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    print("MobileNetV2 1.0, 224x224, batch 1, one thread, split after block 5 (b4); best of 3")
    print(f"{'grid':>5} {'peak kB':>9} {'MACs [M]':>9} {'MAC overhead':>13} {'time [ms]':>10} {'slowdown':>9}")
    with torch.no_grad():
        t_full = _time(lambda: net(x))
        print(f"{'full':>5} {mcunet.peak_memory(blocks, 224) / 1024:>9.1f} "
              f"{nets.spec_macs(blocks, 224, 1000) / 1e6:>9.1f} {'-':>13} {1e3 * t_full:>10.1f} {1.0:>9.2f}")
        for g in (2, 4, 8):
            ov = mcunet.mac_overhead(blocks, 224, 5, g)
            t = _time(lambda: mcunet.patch_forward(net, x, 5, g))
            print(f"{g:>5} {mcunet.patch_peak_memory(blocks, 224, 5, g) / 1024:>9.1f} {ov['patch_macs'] / 1e6:>9.1f} "
                  f"{100 * ov['overhead']:>12.1f}% {1e3 * t:>10.1f} {t / t_full:>9.2f}")


if __name__ == "__main__":
    main()
