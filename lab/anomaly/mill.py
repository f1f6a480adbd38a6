"""A loader for the UC Berkeley / NASA milling data set (A. Agogino, K. Goebel, 2007), `mill.mat`.

Layout (as documented with the data and read by scipy.io.loadmat): one variable `mill`, a 1 x N
MATLAB struct array (N = 167 runs of 16 cases) with fields case, run, VB (flank wear [mm], empty
where not measured), time [min], DOC (depth of cut [mm]), feed [mm/rev], material (1 cast iron,
2 steel) and six signals of 9000 samples each: smcAC, smcDC (spindle motor current), vib_table,
vib_spindle (vibration), AE_table, AE_spindle (acoustic emission). The file is not shipped: set
LAB_MILL_MAT to its path, or put it at build/anomaly/mill.mat, and the notebook runs on it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io

from lab.core.checks import check_array, check_choice, check_int, check_number, check_type
from lab.core.paths import repo_root

from .simulate import Dataset, Run

SCALARS = ("case", "run", "VB", "time", "DOC", "feed", "material")
SIGNALS = ("smcAC", "smcDC", "vib_table", "vib_spindle", "AE_table", "AE_spindle")
FIELDS = SCALARS + SIGNALS
MAX_RUNS = 100_000


@dataclass(frozen=True)
class MillRun:
    """One run: the scalar fields (VB NaN where not measured) and `signals` name -> (T,) array."""
    case: int
    run: int
    VB: float
    time: float
    DOC: float
    feed: float
    material: int
    signals: dict

    def __post_init__(self):
        check_int("case", self.case, lo=0, hi=10**6)
        check_int("run", self.run, lo=0, hi=10**6)
        if isinstance(self.VB, bool) or not isinstance(self.VB, (int, float, np.floating)):
            raise TypeError(f"VB must be a number (NaN where not measured); got {type(self.VB).__name__}")
        if not (np.isnan(self.VB) or 0 <= self.VB < 100):
            raise ValueError(f"VB must be NaN (not measured) or in [0, 100) mm; got {self.VB}")
        check_type("signals", self.signals, dict)
        unknown = set(self.signals) - set(SIGNALS)
        if unknown:
            raise ValueError(f"signals must be keyed by {list(SIGNALS)}; got {sorted(map(str, unknown))}")
        for k, v in self.signals.items():
            check_array(f"signals[{k!r}]", v, ndim=1, min_size=2)


def _scalar(path, i, name, v) -> float:
    a = np.asarray(v, dtype=float).ravel()
    if a.size == 0:
        return float("nan")
    if a.size != 1:
        raise ValueError(f"{path}: mill[{i}].{name} must be a scalar; got {a.size} values")
    return float(a[0])


def load_mill(path) -> list:
    """The runs of a `mill.mat` file (see the module docstring for the layout), as MillRun.
    Raises ValueError naming the file when it is missing or not in that layout."""
    check_type("path", path, (str, os.PathLike))
    path = Path(path)
    if not str(path).strip() or not path.is_file():
        raise ValueError(f"path must name an existing mill.mat file; no such file {str(path)!r}")
    try:
        mat = scipy.io.loadmat(str(path))
    except Exception as exc:
        raise ValueError(f"{path}: not a MATLAB .mat file readable by scipy.io.loadmat ({exc})") from None
    if "mill" not in mat:
        raise ValueError(f"{path}: no variable 'mill' (found {sorted(k for k in mat if not k.startswith('__'))})")
    mill = mat["mill"]
    names = mill.dtype.names or ()
    missing = [f for f in FIELDS if f not in names]
    if missing:
        raise ValueError(f"{path}: 'mill' must be a struct array with fields {list(FIELDS)}; missing {missing}")
    mill = mill.ravel()
    if not 1 <= mill.size <= MAX_RUNS:
        raise ValueError(f"{path}: 'mill' must hold 1..{MAX_RUNS} runs; got {mill.size}")
    runs = []
    for i, rec in enumerate(mill):
        vals = {f: _scalar(path, i, f, rec[f]) for f in SCALARS}
        for f in ("case", "run", "material"):
            if not np.isfinite(vals[f]):
                raise ValueError(f"{path}: mill[{i}].{f} is empty")
        sig = {}
        for s in SIGNALS:
            a = np.asarray(rec[s], dtype=float).ravel()
            if a.size < 16 or not np.all(np.isfinite(a)):
                raise ValueError(f"{path}: mill[{i}].{s} must be a finite signal of at least 16 samples")
            sig[s] = a
        runs.append(MillRun(int(vals["case"]), int(vals["run"]), vals["VB"], vals["time"], vals["DOC"],
                            vals["feed"], int(vals["material"]), sig))
    return runs


def mill_dataset(runs, signal: str = "vib_spindle", fs: float = 250.0, vb_good: float = 0.2,
                 vb_worn: float = 0.45) -> Dataset:
    """A Dataset of the runs with measured VB: good where VB < vb_good [mm], worn where
    VB ≥ vb_worn (runs in between are left out). fs: the signals' sampling rate [Hz] (an
    assumption to be checked against the data's documentation; it only scales the frequency axis)."""
    check_type("runs", runs, (list, tuple))
    if not runs or not all(isinstance(r, MillRun) for r in runs):
        raise ValueError("runs must be a non-empty list of MillRun (from load_mill)")
    check_choice("signal", signal, SIGNALS)
    fs = check_number("fs", fs, lo=100.0, hi=1e7)
    vb_good = check_number("vb_good", vb_good, lo=0.0, hi=10.0)
    vb_worn = check_number("vb_worn", vb_worn, lo=vb_good, hi=10.0)
    lacking = [i for i, r in enumerate(runs) if signal not in r.signals]
    if lacking:
        raise ValueError(f"runs {lacking[:5]} have no signal {signal!r}; choose a signal every run holds")
    out, kinds = [], []
    vmax = max((r.VB for r in runs if np.isfinite(r.VB)), default=1.0) or 1.0
    for r in runs:
        if not np.isfinite(r.VB) or vb_good <= r.VB < vb_worn:
            continue
        kind = "good" if r.VB < vb_good else "worn"
        out.append(Run(r.signals[signal], fs, kind, 0.0 if kind == "good" else min(1.0, r.VB / vmax), 1.0))
        kinds.append(kind)
    if not out or "good" not in kinds:
        raise ValueError("runs hold no good run with measured VB below vb_good")
    return Dataset(tuple(out), np.array(kinds))


def find_mill() -> Path | None:
    """The path of mill.mat if the user has it (LAB_MILL_MAT, or build/anomaly/mill.mat), else None."""
    for p in (os.environ.get("LAB_MILL_MAT"), repo_root() / "build" / "anomaly" / "mill.mat"):
        if p and Path(p).is_file():
            return Path(p)
    return None
