"""Speed of the synapse circuit solver (lab.synapse.device): the three stiff methods of
`scipy.integrate.solve_ivp` on the notebook-03 pulse and the notebook-10 Figure-1b
protocol, and ngspice on the same current pulse train (CPU seconds, one thread)."""
from __future__ import annotations

import resource


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = _cpu()
        out = fn()
        best = min(best, _cpu() - t0)
    return best, out


def main() -> None:
    from lab import mg_synapse as mg
    from lab import synapse as s
    from lab.synapse import spice

    cases = {
        "nb03: 1 V, 1 ms pulse + 0.3 s read (m=24)": (s.preset(), s.pulse_train("voltage", 1.0, 1e-3, 1, 0.3, lead=1e-3)),
        "nb10: Figure-1b protocol, 30 pulses (m=10)": (mg.device("PCE + MgI2 SEI"), mg.figure1b_protocol()),
    }
    print(f"{'case':<46} {'method':<7} {'CPU [s]':>8} {'final G [µS]':>14}")
    for name, (dev, w) in cases.items():
        for method in ("LSODA", "BDF", "Radau"):
            cpu, res = _timed(lambda: s.simulate(dev, w, pts=20, method=method), repeat=1 if method != "LSODA" else 3)
            print(f"{name:<46} {method:<7} {cpu:>8.3f} {res.G[-1] * 1e6:>14.6f}")
    if spice.ngspice_path():
        dev, w = mg.device("PCE + MgI2 SEI"), mg.figure1b_protocol(n=3, read=1.0)
        cpu_sp, sp = _timed(lambda: spice.run_ngspice(dev, w), repeat=1)
        cpu_us, res = _timed(lambda: s.simulate(dev, w, pts=40, rtol=1e-8), repeat=1)
        dev_max = max(spice.compare_with_spice(res, sp).values())
        print(f"\n6-pulse current train (m=10): ngspice {cpu_sp:.3f} s CPU, lab.synapse (rtol 1e-8) {cpu_us:.3f} s CPU, "
              f"largest relative deviation {100 * dev_max:.3f} %")
    else:
        print("\nngspice not installed: SPICE timing skipped")


if __name__ == "__main__":
    main()
