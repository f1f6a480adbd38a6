"""SparseBFA's building blocks on the notebook's network (MLP 64-128-10 at 95 % sparsity,
notebooks/05_sparsebfa.ipynb, lab/sparsebfa/): CPU milliseconds of encoding, decoding,
one first-order scoring of every candidate bit, one exact re-score, and a whole greedy
attack per format. CPU time (time.process_time), one thread, medians over repeats.
"""
from __future__ import annotations

import time

import numpy as np

REPEATS = 20


def _cpu_ms(fn, repeats=REPEATS):
    out, times = None, []
    for _ in range(repeats):
        c0 = time.process_time()
        out = fn()
        times.append(time.process_time() - c0)
    return out, 1e3 * float(np.median(times))


def main() -> None:
    import torch
    from threadpoolctl import threadpool_limits

    from lab import sparsebfa as sb

    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        net, t_train = _cpu_ms(lambda: sb.train_pruned(sparsity=0.95, seed=0), repeats=1)
        print(f"train + prune + fine-tune: {t_train:.0f} ms CPU")
        print(f"{'format':<6} {'bits':>6} {'encode':>8} {'decode':>8} {'score all':>10} {'re-score':>9} "
              f"{'attack':>9} {'flips':>6}")
        for fmt in sb.FORMATS:
            store, t_enc = _cpu_ms(lambda: sb.encode(net.weights, fmt))
            _, t_dec = _cpu_ms(lambda: sb.decode(store))
            v = sb.victim(net, fmt)
            grads = v.gradients(store.bits)
            _, t_fo = _cpu_ms(lambda: sb.first_order(store, store.bits, grads, "index"))
            _, t_ex = _cpu_ms(lambda: v.loss(sb.flip(store.bits, int(store.positions("index")[0]))))
            (flipped, _, _), t_att = _cpu_ms(lambda: sb.attack(v, n_flips=40, top_k=64, stop_acc=0.11), repeats=1)
            print(f"{fmt:<6} {store.n_bits:>6} {t_enc:>6.2f}ms {t_dec:>6.2f}ms {t_fo:>8.2f}ms {t_ex:>7.2f}ms "
                  f"{t_att:>7.0f}ms {len(flipped):>6}")


if __name__ == "__main__":
    main()
