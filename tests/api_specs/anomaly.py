"""Valid, fast calls of lab.anomaly's public API, for tests/test_bad_input.py.

The fixtures are built on first use (loading the spec trains nothing), and the mill.mat file lives in a
temporary folder that is removed when the process ends."""
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.io

from lab import anomaly as T

_KW = dict(n_train=5, n_test=2, n_fault=2, epochs=5)


@lru_cache(maxsize=1)
def _data():
    return T.make_dataset(n_good=6, n_worn=2, n_coolant=2, severity=1.0, seed=0)


def _signals():
    return [r.x for r in _data().runs[:2]]


def _rates():
    return np.array([r.fs for r in _data().runs[:2]])


@lru_cache(maxsize=1)
def _feats():
    return T.features(_data(), "frequency", 8)


@lru_cache(maxsize=1)
def _det():
    return T.train_detector(_feats()[:6], epochs=5, seed=0)


@lru_cache(maxsize=2)
def _res(seed: int = 0):
    return T.run_experiment(seed, M=8, methods=("AE (frequency)", "AE (time)"), **_KW)


@lru_cache(maxsize=1)
def _df():
    return T.run_seeds(seeds=(0, 1), M=8, methods=("AE (frequency)", "AE (time)"), **_KW)[0]


@lru_cache(maxsize=1)
def _sw():
    return T.sweep("M", [8], seeds=(0,), **_KW)


@lru_cache(maxsize=1)
def _sev():
    return T.severity_sweep([_res(0), _res(1)], [0.5, 1.0], n_fault=2)


@lru_cache(maxsize=1)
def _folder() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="lab_anomaly_spec_")  # removed at exit (its finalizer)


@lru_cache(maxsize=1)
def _mill() -> Path:
    dt = [(f, "O") for f in T.FIELDS]
    mill = np.zeros((1, 3), dtype=dt)
    for i in range(3):
        for f, v in zip(T.FIELDS[:7], (1, i + 1, 0.1 + 0.3 * i, 1.0, 1.5, 0.5, 1)):
            mill[0, i][f] = np.array([[v]], dtype=float)
        for f in T.FIELDS[7:]:
            mill[0, i][f] = np.sin(np.arange(400.0))[:, None]
    p = Path(_folder().name) / "mill.mat"
    scipy.io.savemat(p, {"mill": mill})
    return p


@lru_cache(maxsize=1)
def _runs():
    return T.load_mill(_mill())


@lru_cache(maxsize=1)
def _mill_d():
    return T.Dataset(tuple(_data().runs[:6]) + tuple(_data().runs[6:8]), np.array(["good"] * 6 + ["worn"] * 2))


SPECS = {
    "Run": lambda: dict(x=np.sin(np.arange(100.0)), fs=1000.0, kind="good", wear=0.0, rpm=3000.0),
    "Dataset": lambda: dict(runs=_data().runs[:2], kinds=np.array(["good", "good"])),
    "Dataset.select": lambda: dict(self=_data(), kinds=("good",)),
    "simulate_run": lambda: dict(kind="worn", severity=1.0, seed=0, teeth=4, rpm=3000.0),
    "make_dataset": lambda: dict(n_good=2, n_worn=1, n_coolant=1, severity=1.0, seed=0),
    "run_plan": lambda: dict(n_good=2, n_worn=1, n_coolant=1, seed=0),
    "rfft_magnitude": lambda: dict(x=np.sin(np.arange(64.0)), fs=1000.0, f_max=400.0),
    "frac_avg_pool": lambda: dict(x=np.arange(10.0), M=3),
    "pool_spectra": lambda: dict(mags=[np.ones(20), np.ones(30)], M=4),
    "spectrum_features": lambda: dict(signals=_signals(), rates=_rates(),
                                      M=8, f_max=4000.0),
    "time_features": lambda: dict(signals=_signals(), rates=_rates()),
    "time_window": lambda: dict(signals=_signals(), rates=_rates(),
                                M=8, fs_ref=10_000.0),
    "AutoEncoder": lambda: dict(M=8, hidden=4, code=2, dropout=0.1),
    "Detector": lambda: dict(model=T.AutoEncoder(8), mean=np.zeros(8), std=np.ones(8), threshold=1.0),
    "Detector.score": lambda: dict(self=_det(), X=_feats()),
    "Detector.predict": lambda: dict(self=_det(), X=_feats()),
    "train_detector": lambda: dict(X_good=_feats()[:6], dropout=0.1, hidden=4, code=2, epochs=3, lr=1e-3,
                                   weight_decay=0.0, seed=0),
    "two_sigma_threshold": lambda: dict(scores=np.array([1.0, 2.0, 3.0]), k=2.0),
    "fit_baseline": lambda: dict(name="PCA", X_good=_feats(), seed=0),
    "Result": lambda: dict(table=_res(0).table, scores=_res(0).scores, thresholds=_res(0).thresholds, data=None,
                           scorers=_res(0).scorers, M=8),
    "method_input": lambda: dict(method="PCA (time)"),
    "features": lambda: dict(data=_data(), domain="frequency", M=8),
    "run_experiment": lambda: dict(seed=0, severity=1.0, M=8, dropout=0.1, n_train=5, n_test=2, n_fault=2, epochs=3,
                                   methods=("AE (frequency)",), data=None, mags=None),
    "run_seeds": lambda: dict(seeds=(0,), M=8, methods=("PCA",), **_KW),
    "summary": lambda: dict(df=_df()),
    "roc_points": lambda: dict(result=_res(0), method="AE (frequency)", fault="worn"),
    "sweep": lambda: dict(param="dropout", values=[0.1], seeds=(0,), datasets=None, **_KW),
    "severity_sweep": lambda: dict(results=[_res(0)], severities=np.array([0.5, 1.0]), n_fault=2),
    "severity_to_reach": lambda: dict(sw=_sev(), target=0.99),
    "run_on_dataset": lambda: dict(data=_mill_d(), M=8, dropout=0.1, f_max=4000.0, train_frac=0.5, seed=0),
    "auc_claim": lambda: dict(df=_df(), fault="worn", method="AE (frequency)", at_least=0.5),
    "accuracy_claim": lambda: dict(df=_df(), method="AE (frequency)", at_least=0.5),
    "frequency_beats_time_claim": lambda: dict(df=_df(), against="AE (time)", method="AE (frequency)"),
    "false_alarm_claim": lambda: dict(df=_df(), method="AE (frequency)", at_most=0.5),
    "beats_claim": lambda: dict(df=_sev(), a="AE (frequency)", b="AE (time)"),
    "sensitivity_claim": lambda: dict(sw=_sev(), a="AE (frequency)", b="AE (time)", target=0.9),
    "MillRun": lambda: dict(case=1, run=1, VB=0.1, time=1.0, DOC=1.5, feed=0.5, material=1,
                            signals={"vib_spindle": np.ones(20)}),
    "load_mill": lambda: dict(path=str(_mill())),
    "mill_dataset": lambda: dict(runs=_runs(), signal="vib_spindle", fs=250.0, vb_good=0.2, vb_worn=0.45),
    "find_mill": lambda: dict(),
    "time_figure": lambda: dict(data=_data(), ms=10.0),
    "spectrum_figure": lambda: dict(data=_data(), M=8),
    "roc_figure": lambda: dict(result=_res(0)),
    "sweep_figure": lambda: dict(df=_sw(), param="M"),
    "severity_figure": lambda: dict(sw=_sev(), target=0.99),
}
SKIP = {"explorer": "widget; driven by notebook 12's explorer-check cell",
        "SCALES": "a preset table, not a callable", "KINDS": "a tuple of names", "FAULTS": "a tuple of names",
        "METHODS": "a tuple of names", "BASELINES": "a tuple of names", "FIELDS": "a tuple of names",
        "DETECTORS": "a tuple of names", "TIME_FEATURES": "a tuple of names"}
FINITE_EXEMPT = {"MillRun": "VB is NaN where the data set did not measure the wear (as in mill.mat)",
                 "load_mill": "VB is NaN where the data set did not measure the wear (as in mill.mat)"}
TABLE_ACCEPTS = {"summary(df=column missing)": ("the dropped first column, 'seed', is one summary does not read (it "
                                                "averages over the rows of each method and fault)", "same")}
