"""A milling-machine vibration simulator: good runs, worn tools graded by wear, coolant off.

Each run is an accelerometer signal [m/s²] sampled at fs [Hz]:

* tooth-passing harmonics k·Z·f_s (Z teeth, spindle frequency f_s = rpm/60) with amplitudes
  decaying in k, small spindle (run-out) harmonics k·f_s, random phases;
* every tone and a broadband cutting noise shaped by the machine's structural resonances
  (two lightly damped modes, |H(f)| of a second-order system);
* white sensor noise.

Run-to-run variation: spindle speed (±1 %), run length (0.4–1.2 s), sampling rate (9–11 kHz),
overall gain (±20 %), harmonic amplitudes (±15 %), and resonance frequencies (±1 %).

* worn tool (wear w in [0, 1], scaled by `severity`): higher tooth-pass harmonics grow, side
  bands at k·Z·f_s ± f_s appear (one worn tooth breaks the symmetry between teeth), and the
  broadband cutting noise grows;
* coolant off (scaled by `severity`): thermal drift moves the resonances down and widens them,
  and friction adds low-frequency broadband energy and a stick-slip tone.

The fault signatures are our own choice, qualitatively as described in the machining literature;
they are not fitted to any data set.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lab.core.checks import check_array, check_choice, check_int, check_number

KINDS = ("good", "worn", "coolant")
MAX_RUNS = 5000
F_MAX = 4000.0                      # Hz: the band every run covers (fs ≥ 9 kHz -> Nyquist ≥ 4.5 kHz)
MODES = ((1150.0, 0.04, 1.0), (2700.0, 0.03, 0.7))   # (frequency Hz, damping ratio, gain)


def _resonance(f: np.ndarray, modes) -> np.ndarray:
    """|H(f)| of a sum of second-order modes, normalised to 1 at f = 0."""
    h = np.zeros_like(f, dtype=complex)
    for fn, zeta, g in modes:
        r = f / fn
        h += g / (1 - r ** 2 + 2j * zeta * r)
    return np.abs(h) / sum(g for _, _, g in modes)


@dataclass(frozen=True)
class Run:
    """One simulated run: `x` the signal [m/s²], `fs` its sampling rate [Hz], `kind` good /
    worn / coolant, `wear` the graded fault level in [0, 1] (0 for good), `rpm` the spindle speed."""
    x: np.ndarray
    fs: float
    kind: str
    wear: float
    rpm: float

    def __post_init__(self):
        object.__setattr__(self, "x", check_array("x", self.x, ndim=1, min_size=16).astype(float))
        check_number("fs", self.fs, lo=100.0, hi=1e7)
        check_choice("kind", self.kind, KINDS)
        check_number("wear", self.wear, lo=0.0, hi=1.0)
        check_number("rpm", self.rpm, lo=1.0, hi=1e6)

    @property
    def duration(self) -> float:
        """Length of the run [s]."""
        return len(self.x) / self.fs


def simulate_run(kind: str = "good", severity: float = 1.0, seed: int = 0, teeth: int = 4,
                 rpm: float = 3000.0) -> Run:
    """One run of `kind` (good / worn / coolant). severity in [0, 3] scales the fault (0: none);
    a worn run draws its wear level uniformly in [0.3, 1]. teeth 1..12, rpm 600..20000."""
    check_choice("kind", kind, KINDS)
    severity = check_number("severity", severity, lo=0.0, hi=3.0)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    teeth = check_int("teeth", teeth, lo=1, hi=12)
    rpm = check_number("rpm", rpm, lo=600.0, hi=20000.0)
    rng = np.random.default_rng(seed)
    fs = rng.uniform(9000.0, 11000.0)
    n = int(rng.uniform(0.4, 1.2) * fs)
    rpm_run = rpm * (1 + rng.uniform(-0.01, 0.01))
    fsp = rpm_run / 60.0
    ftp = teeth * fsp
    gain = 1 + rng.uniform(-0.2, 0.2)
    wear = float(rng.uniform(0.3, 1.0)) if kind == "worn" else 0.0
    w = min(wear * severity, 3.0)
    c = severity if kind == "coolant" else 0.0
    modes = [(fn * (1 + rng.uniform(-0.01, 0.01)) * (1 - 0.06 * c), zeta * (1 + 0.8 * c), g)
             for fn, zeta, g in MODES]
    t = np.arange(n) / fs
    x = np.zeros(n)
    tones = []                                   # (frequency, amplitude)
    for k in range(1, 16):
        a = 1.0 / k ** 0.8 * (1 + rng.uniform(-0.15, 0.15)) * (1 + 0.25 * w * (k - 1) / 4)
        tones.append((k * ftp, a))
        tones += [(k * ftp - fsp, 0.3 * w / k ** 0.5), (k * ftp + fsp, 0.3 * w / k ** 0.5)]
    tones += [(k * fsp, 0.05 / k) for k in range(1, 4)]
    if c > 0:
        tones.append((rng.uniform(60.0, 90.0), 0.4 * c))               # stick-slip tone
    for f, a in tones:
        if 0 < f < fs / 2 and a > 0:
            x += a * _resonance(np.array([f]), modes)[0] * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    # broadband cutting noise shaped by the resonances, plus friction and sensor noise
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / fs)
    shape = 0.02 * (1 + 0.6 * w) * _resonance(f, modes)
    shape += 0.03 * c / (1 + (f / 300.0) ** 2)                        # friction: low-frequency broadband
    x += np.fft.irfft(spec * shape * 4, n)
    x = gain * x + 0.02 * rng.standard_normal(n)
    return Run(x, float(fs), kind, wear, float(rpm_run))


@dataclass(frozen=True)
class Dataset:
    """Runs with their kinds: `runs` a tuple of Run, `kinds` (R,) array of 'good'/'worn'/'coolant'."""
    runs: tuple
    kinds: np.ndarray

    def __post_init__(self):
        if not isinstance(self.runs, tuple) or not self.runs or not all(isinstance(r, Run) for r in self.runs):
            raise TypeError("runs must be a non-empty tuple of Run")
        k = np.asarray(self.kinds)
        if k.shape != (len(self.runs),) or not set(k.tolist()) <= set(KINDS):
            raise ValueError(f"kinds must be {len(self.runs)} entries from {KINDS}")
        object.__setattr__(self, "kinds", k)

    def select(self, kinds) -> "Dataset":
        """The runs of the given kind(s) (a name or a tuple of names from KINDS)."""
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        if not isinstance(kinds, (tuple, list)) or not kinds:
            raise TypeError("kinds must be a kind name or a non-empty tuple of them")
        for k in kinds:
            check_choice("kinds", k, KINDS)
        idx = [i for i, k in enumerate(self.kinds) if k in kinds]
        if not idx:
            raise ValueError(f"no runs of kinds {kinds}")
        return Dataset(tuple(self.runs[i] for i in idx), self.kinds[idx])


def run_plan(n_good: int = 60, n_worn: int = 30, n_coolant: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The kinds (R,) and per-run seeds (R,) of make_dataset(n_good, n_worn, n_coolant, severity, seed),
    whatever the severity: run i is simulate_run(kinds[i], severity, seeds[i]). Counts 0..5000, n_good ≥ 1.
    A severity sweep re-simulates the same faulty runs at other severities from it."""
    n_good = check_int("n_good", n_good, lo=1, hi=MAX_RUNS)
    n_worn = check_int("n_worn", n_worn, lo=0, hi=MAX_RUNS)
    n_coolant = check_int("n_coolant", n_coolant, lo=0, hi=MAX_RUNS)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    seeds = np.random.default_rng(seed).integers(0, 2**32 - 1, n_good + n_worn + n_coolant)
    kinds = np.array(["good"] * n_good + ["worn"] * n_worn + ["coolant"] * n_coolant)
    return kinds, seeds


def make_dataset(n_good: int = 60, n_worn: int = 30, n_coolant: int = 30, severity: float = 1.0,
                 seed: int = 0) -> Dataset:
    """n_good good runs, then n_worn worn-tool runs and n_coolant coolant-off runs (each count
    0..5000, n_good ≥ 1), all with independent run-to-run variation drawn from `seed` (run_plan)."""
    severity = check_number("severity", severity, lo=0.0, hi=3.0)
    kinds, seeds = run_plan(n_good, n_worn, n_coolant, seed)
    runs = tuple(simulate_run(str(k), severity, int(s)) for k, s in zip(kinds, seeds))
    return Dataset(runs, kinds)
