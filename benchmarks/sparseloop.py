"""Sparseloop's analytical model against our element-level simulator: CPU seconds per
evaluation at growing matmul sizes (n x n x n, uniform random operands at 10 % density,
the artifact's two designs) and the speed ratio (notebooks/15_sparseloop.ipynb,
lab/sparseloop/).

Goal (the paper's): the model > 600x faster than simulation, judged as the notebook's claim is: on the
workload fixed in advance (`sl.SPEED_WORKLOAD`, MobileNet-0.5's L07 as a 64 x 1024 x 64 matmul), the median
simulator time over repeats against the median model time, the smaller of the two designs' ratios. The size
sweep beside it shows how the ratio grows: the model's cost does not grow with the problem (it works on
occupancy distributions), the simulator's grows with n^3. Times are CPU seconds (time.process_time) of one
process with one thread.
"""
from __future__ import annotations

import os

SIZES = (64, 128, 256, 512, 768, 1024)
DENSITY = 0.1


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from lab import sparseloop as sl

    df = sl.speed(sizes=SIZES, density=DENSITY, seed=0)
    print(f"model vs simulator, {100 * DENSITY:g} % dense uniform operands, CPU seconds")
    print(f"{'n':>6} {'design':<28} {'model':>10} {'simulator':>10} {'ratio':>9} {'cycle err':>10} {'energy err':>10}")
    for _, r in df.iterrows():
        print(f"{int(r['size']):>6} {r.design:<28} {1e3 * r.t_model_s:>8.2f} ms {r.t_sim_s:>8.3f} s {r.ratio:>8.0f}x "
              f"{r.cycle_err_pct:>9.3f} % {r.energy_err_pct:>9.3f} %")
    fixed = sl.speed_claim(sl.speed_fixed(repeats=9), 600.0)
    print(f"\nthe claim's fixed workload: {fixed.note}")
    print(f"goal: model > 600x faster than the simulator on it -> {fixed.value:.0f}x: "
          f"{'MET' if fixed.holds else 'NOT MET'}")


if __name__ == "__main__":
    main()
