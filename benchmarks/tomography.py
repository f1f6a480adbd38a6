"""CPU time per reconstruction of one 8x16x16 volume for each method of notebook 02
(notebooks/02_tomography.ipynb), across the number of angles, one thread, CPU ms of this
process (steady on a shared machine), best of a few repeats."""
from __future__ import annotations

import time

import torch

from lab import tomography as tomo

REPEATS = 3
PHOTONS = 30.0


def _ms(fn) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return 1e3 * best


def main() -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        prior = tomo.load_priors()["circuit"]
        x = tomo.objects("circuit", 1, seed=4242)[0]
        print(f"CPU ms per volume (8x16x16), {PHOTONS:g} photons/ray, 1 thread, best of {REPEATS}")
        print(f"{'angles':>6} {'FBP':>8} {'MLE':>8} {'MLE+TV':>8} {'G':>8} {'PGAN':>8} {'matrix nnz':>11}")
        for na in (2, 4, 8, 16, 32):
            y = tomo.measure(x, na, PHOTONS, seed=0)
            m = tomo.mle(y, na, PHOTONS)
            g = tomo.generate(prior.generator, m)
            row = [_ms(lambda: tomo.fbp(y, na, PHOTONS)), _ms(lambda: tomo.mle(y, na, PHOTONS)),
                   _ms(lambda: tomo.mle_tv(y, na, PHOTONS, prior.beta)),
                   _ms(lambda: tomo.generate(prior.generator, m)),
                   _ms(lambda: tomo.pgan(y, na, PHOTONS, g, prior.weight))]
            print(f"{na:6d} " + " ".join(f"{v:8.1f}" for v in row) + f" {tomo.volume_matrix(na).nnz:11d}")
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    main()
