"""Inference and training-step time of the compact SPVCNN and the EdgeConv GNN of
notebooks/09_calo.ipynb, as the events grow (more simulated deposits per GeV -> more hits).

One thread, batches of 4 events, untrained networks (the cost does not depend on the
weights); best of REPEATS runs.
"""
from __future__ import annotations

import time

import torch

from lab import calo

REPEATS = 3
DEPOSITS_PER_GEV = (10.0, 25.0, 60.0)


def _best(fn) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        models = {k: calo.build_model(k, 0) for k in calo.MODELS}
        print("parameters: " + ", ".join(f"{k} {calo.n_params(m)}" for k, m in models.items()))
        print(f"{'deposits/GeV':>12} {'hits/event':>10} {'model':<7} {'infer ms/event':>14} "
              f"{'train-step ms/event':>19}")
        for dep in DEPOSITS_PER_GEV:
            events = calo.generate_events(4, 3, particles=(2, 4), energy_gev=(3.0, 30.0), dep_per_gev=dep)
            b = calo.make_batch(events)
            hits = b.feats.shape[0] / len(events)
            for name, model in models.items():
                def infer():
                    model.eval()
                    with torch.no_grad():
                        model(b)

                def step():
                    model.train()
                    loss, _ = calo.loss_fn(model, b)
                    loss.backward()

                t_inf, t_step = _best(infer), _best(step)
                n = len(events)
                print(f"{dep:12.0f} {hits:10.0f} {name:<7} {1e3 * t_inf / n:14.1f} {1e3 * t_step / n:19.1f}")
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    main()
