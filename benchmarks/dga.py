"""Real multi-process DGA runs against the latency timeline (notebooks/17_dga.ipynb).

Four gloo worker processes on 127.0.0.1 train with sync, FedAvg (K = 4) and DGA
(K = 4, D = 4) at simulated latencies of 0, 50 and 200 ms per all-reduce. The table gives
the measured wall time of each method (until the averages in flight are applied) beside
the `lab.dga.ready_times` prediction from the run's own measured step times, and the
measured speedups of DGA. Further tables give the modelled speedup for longer per-step
compute times (the preset's CPU step, lab.dga.CPU_STEP_MS, and the Raspberry Pi estimate,
lab.dga.PI_STEP_MS, among them) and against the link bandwidth.
"""
from __future__ import annotations

import time

from lab import dga

WORKERS, STEPS, DELAY, PERIOD = 4, 40, 4, 4


def main() -> None:
    data = dga.default_data()
    print(f"J = {WORKERS} processes, {STEPS} steps, D = {DELAY}, K = {PERIOD}; "
          "latency: the sleep model (a sleep in the wait handle)")
    print(f"{'latency':>8} {'method':>7} {'wall s':>8} {'timeline s':>11} {'acc %':>6} {'DGA speedup':>12}")
    for lat_ms in (0, 50, 200):
        res = dga.run_distributed(dga.METHODS, "iid", workers=WORKERS, steps=STEPS, delay=DELAY,
                                       period=PERIOD, latency_s=lat_ms / 1000, timeout_s=600, data=data)
        table = dga.summarize(res, lat_ms / 1000, DELAY, PERIOD)
        for _, r in table.iterrows():
            sp = res.wall_s[r.method] / res.wall_s["dga"]
            print(f"{lat_ms:>6} ms {r.method:>7} {r.measured_wall_s:8.3f} {r.timeline_s:11.3f} "
                  f"{r.acc_percent:6.1f} {sp:11.2f}x")
    print("\nmodelled speedup of DGA (300 steps) for longer per-step compute:")
    print(dga.speedup_grid((dga.CPU_STEP_MS, 20, 50, 100, 200, dga.PI_STEP_MS), (50, 200), DELAY, PERIOD,
                           300).round(2).to_string(index=False))
    print("\nmodelled speedup of DGA (300 steps, 200 ms) against link bandwidth (ring all-reduce of 19,280 B):")
    print(dga.bandwidth_grid((0.5, 1, 2, 5, 10, 100), 200, dga.CPU_STEP_MS / 1000, 8 * dga.n_params(32), WORKERS,
                             DELAY, PERIOD, 300).round(2).to_string(index=False))


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"({time.perf_counter() - start:.1f} s)")
