"""Contrastive pre-training cost on 8x8 digits (notebooks/04_nacl.ipynb, lab/nacl/).

CPU seconds (time.process_time, one thread) of one pre-training epoch per method at the
small preset's settings, and of one loss forward+backward at several batch sizes: the
NCA-style losses grow with the square of the number of views in a batch, and the integrated
losses pay one more forward/backward for the attack and one for the adversarial loss.
"""
from __future__ import annotations

import time

import torch

REPEATS = 3


def main() -> None:
    from lab import nacl
    from lab.data import load_digits

    torch.set_num_threads(1)
    small = nacl.SCALES["small"]
    cfg = nacl.TrainConfig(epochs=1, batch=small["batch"], positives=small["positives"])
    x = torch.from_numpy(load_digits().x_train)
    print(f"{'method':<10} {'CPU s / epoch':>14}   (batch {cfg.batch}, {cfg.positives} positives, {len(x)} images)")
    for m in nacl.METHODS:
        best = min(_cpu(lambda: nacl.pretrain(x, method=m, cfg=cfg, seed=0)) for _ in range(REPEATS))
        print(f"{m:<10} {best:>14.3f}")
    print(f"\n{'views':>6} {'NT-Xent ms':>11} {'NaCl ms':>9}   (forward + backward, 32-dim embeddings)")
    for rows in (256, 512, 1024):
        z = torch.randn(rows, 32, requires_grad=True)
        a = min(_cpu(lambda: nacl.nt_xent(z[: rows // 2], z[rows // 2:], tau=0.5).backward()) for _ in range(10))
        b = min(_cpu(lambda: nacl.nacl_loss(z.reshape(4, -1, 32), tau=0.5).backward()) for _ in range(10))
        print(f"{rows:>6} {1e3 * a:>11.2f} {1e3 * b:>9.2f}")


def _cpu(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


if __name__ == "__main__":
    main()
