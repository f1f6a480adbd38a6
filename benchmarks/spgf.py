"""SPGF against EM and NDT at 640x480: frames per second on one core and peak memory,
on the same synthetic depth frames (notebooks/06_spgf.ipynb, lab/spgf/).

Goal: SPGF at >= 30 fps on one core of this machine, with a live state of <= 43 KB (the
records held at the fullest moment; the fixed arrays sized for the worst case are shown too).
Times are wall-clock medians over repeats with one thread (numba's kernel is serial;
BLAS is limited to one thread for EM); memory is the peak of traced allocations while
fitting one frame from its depth image (tracemalloc), and SPGF's counted state bytes.
EM runs on every pixel to convergence (<= 100 iterations), so it takes minutes.
"""
from __future__ import annotations

import time

import numpy as np

N_FRAMES = 5        # frames for SPGF and NDT
EM_FRAMES = 2       # frames for EM (each takes one to several minutes)
REPEATS = 5         # timing repeats per frame for SPGF and NDT


def _median_wall(fn, repeats):
    """fn's result, and the median wall and CPU seconds of one call."""
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return out, float(np.median(wall)), float(np.median(cpu))


def main() -> None:
    from threadpoolctl import threadpool_limits

    from lab import spgf
    from lab.data import scenes

    frames = scenes.render_sequence(n_frames=N_FRAMES, width=640, height=480, seed=0)
    intr = frames.intrinsics
    spgf.fit(frames.depth_noisy[0], intr)            # compile once, outside the timing
    rows = {m: dict(fps=[], cpu_fps=[], peak=[], rmse=[], k=[], state=[]) for m in ("SPGF", "EM", "NDT")}
    with threadpool_limits(limits=1):
        for i in range(N_FRAMES):
            d = frames.depth_noisy[i]
            g, t, c = _median_wall(lambda: spgf.fit(d, intr), REPEATS)
            _, peak = spgf.traced(spgf.fit, d, intr)
            r = rows["SPGF"]
            r["fps"].append(1 / t); r["cpu_fps"].append(1 / c); r["peak"].append(peak); r["rmse"].append(spgf.rmse(d, g, intr))
            r["k"].append(len(g)); r["state"].append(g.stats["state_bytes_peak"])
            r.setdefault("fixed", []).append(g.stats["state_bytes"])
            gn, t, c = _median_wall(lambda: spgf.fit_ndt(d, intr), REPEATS)
            _, peak = spgf.traced(spgf.fit_ndt, d, intr)
            r = rows["NDT"]
            r["fps"].append(1 / t); r["cpu_fps"].append(1 / c); r["peak"].append(peak); r["rmse"].append(spgf.rmse(d, gn, intr)); r["k"].append(len(gn))
            if i < EM_FRAMES:
                t0, c0 = time.perf_counter(), time.process_time()
                ge, peak = spgf.traced(spgf.fit_em, d, intr, len(g), i, 100, 1)
                t, c = time.perf_counter() - t0, time.process_time() - c0
                r = rows["EM"]
                r["fps"].append(1 / t); r["cpu_fps"].append(1 / c); r["peak"].append(peak); r["rmse"].append(spgf.rmse(d, ge, intr))
                r["k"].append(len(ge))
            print(f"frame {i} done", flush=True)

    print("\nSPGF vs baselines, 640x480 synthetic frames, one core")
    print(f"{'method':<6} {'frames':>6} {'fps (wall)':>11} {'fps (CPU)':>10} {'peak traced':>12} {'state':>9} "
          f"{'RMSE':>8} {'Gaussians':>9}   paper (A57): fps, memory, RMSE")
    for m, paper in (("SPGF", "32, 43 KB, 9 cm"), ("EM", "0.0007, 6 MB, 13 cm"), ("NDT", "6.31, 3.5 MB, 15 cm")):
        r = rows[m]
        state = f"{np.max(r['state']) / 1e3:.1f} KB" if r["state"] else "–"
        print(f"{m:<6} {len(r['fps']):>6} {np.median(r['fps']):>11.3g} {np.median(r['cpu_fps']):>10.3g} {np.mean(r['peak']) / 1e6:>9.3f} MB "
              f"{state:>9} {100 * np.mean(r['rmse']):>5.1f} cm {np.mean(r['k']):>9.0f}   {paper}")
    fps, state = float(np.median(rows["SPGF"]["fps"])), int(np.max(rows["SPGF"]["state"]))
    print(f"SPGF state: live at the fullest moment {state:,} B; fixed arrays {int(np.max(rows['SPGF']['fixed'])):,} B")
    met = fps >= 30 and state <= 43_000
    print("(wall-clock fps suffer when the machine is shared; CPU fps count only this process's time)")
    print(f"\ngoal: SPGF >= 30 fps (wall) on one core with a live state <= 43 KB -> {fps:.0f} fps, {state:,} B: "
          f"{'MET' if met else 'NOT MET'}")


if __name__ == "__main__":
    main()
