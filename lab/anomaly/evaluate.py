"""The experiment of notebook 12: train on good runs only, score held-out good and faulty runs,
and measure AUC, accuracy of the mean + 2σ threshold rule, and its false-alarm rate; the
autoencoder in the frequency domain beside the same autoencoder in the time domain and the
scikit-learn baselines on the pooled spectrum. Also the claim helpers."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, roc_auc_score, roc_curve

from lab.core.checks import check_array, check_choice, check_int, check_number, check_table, check_type
from lab.core.claims import Measured

from .baselines import BASELINES, fit_baseline
from .functional import pool_spectra, rfft_magnitude, spectrum_features, time_features
from .models import train_detector, two_sigma_threshold
from .simulate import F_MAX, Dataset, make_dataset

METHODS = ("AE (frequency)", "AE (time)", *BASELINES)
FAULTS = ("worn", "coolant")


def features(data: Dataset, domain: str = "frequency", M: int = 64) -> np.ndarray:
    """(R, M) inputs of every run: pooled log spectrum ('frequency') or resampled window ('time')."""
    check_type("data", data, Dataset)
    check_choice("domain", domain, ("frequency", "time"))
    M = check_int("M", M, lo=1, hi=4096)
    xs, fs = [r.x for r in data.runs], np.array([r.fs for r in data.runs])
    return spectrum_features(xs, fs, M) if domain == "frequency" else time_features(xs, fs, M)


@dataclass(frozen=True)
class Result:
    """One seed: `table` rows (method, fault, auc, accuracy, far), `scores` method -> dict with
    'train', 'good' (held-out good) and one array per fault, `thresholds` method -> float."""
    table: pd.DataFrame
    scores: dict
    thresholds: dict
    data: Dataset | None = None

    def __post_init__(self):
        check_table("table", self.table, ("seed", "method", "fault", "auc", "accuracy", "far"),
                    what="a run_experiment table")
        if self.data is not None:
            check_type("data", self.data, Dataset)
        check_type("scores", self.scores, dict)
        check_type("thresholds", self.thresholds, dict)


def run_experiment(seed: int = 0, *, severity: float = 1.0, M: int = 64, dropout: float = 0.3,
                   n_train: int = 100, n_test: int = 50, n_fault: int = 50, epochs: int = 300,
                   methods=METHODS, data: Dataset | None = None, mags=None) -> Result:
    """Simulate n_train + n_test good runs and n_fault runs of each fault (each count ≤ 2000),
    train every method on the n_train good runs, and score the rest. Accuracy is that of the
    mean + 2σ threshold (of the training scores) on held-out good vs one fault type (balanced
    when n_test = n_fault); far is the fraction of held-out good runs above the threshold.
    data (and mags, its runs' magnitude spectra below 4 kHz) may be passed to reuse a simulation
    made with the same seed and counts."""
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    severity = check_number("severity", severity, lo=0.0, hi=3.0)
    M = check_int("M", M, lo=2, hi=1024)
    dropout = check_number("dropout", dropout, lo=0.0, hi=0.95)
    n_train = check_int("n_train", n_train, lo=5, hi=2000)
    n_test = check_int("n_test", n_test, lo=2, hi=2000)
    n_fault = check_int("n_fault", n_fault, lo=2, hi=2000)
    epochs = check_int("epochs", epochs, lo=1, hi=20_000)
    check_type("methods", methods, (tuple, list))
    if not methods:
        raise ValueError("methods must name at least one method")
    for m in methods:
        check_choice("methods", m, METHODS)
    if data is None:
        data = make_dataset(n_train + n_test, n_fault, n_fault, severity, seed)
    check_type("data", data, Dataset)
    if len(data.runs) != n_train + n_test + 2 * n_fault:
        raise ValueError("data must hold n_train + n_test good runs and n_fault runs of each fault")
    feats = {"frequency": features(data, "frequency", M) if mags is None else pool_spectra(mags, M)}
    if "AE (time)" in methods:
        feats["time"] = features(data, "time", M)
    k = data.kinds
    idx_train, idx_good = np.arange(n_train), np.arange(n_train, n_train + n_test)
    rows, scores, thresholds = [], {}, {}
    for m in methods:
        X = feats["time" if m == "AE (time)" else "frequency"]
        if m.startswith("AE"):
            det = train_detector(X[idx_train], dropout=dropout, epochs=epochs, seed=seed)
            score = det.score
        else:
            score = fit_baseline(m, X[idx_train], seed=seed)
        s_train, s_good = score(X[idx_train]), score(X[idx_good])
        thr = two_sigma_threshold(s_train)
        scores[m] = {"train": s_train, "good": s_good}
        thresholds[m] = thr
        for f in FAULTS:
            s_f = score(X[k == f])
            scores[m][f] = s_f
            y = np.r_[np.zeros(len(s_good)), np.ones(len(s_f))]
            s = np.r_[s_good, s_f]
            rows.append(dict(seed=seed, method=m, fault=f, auc=roc_auc_score(y, s),
                             accuracy=accuracy_score(y, s > thr), far=float(np.mean(s_good > thr))))
    return Result(pd.DataFrame(rows), scores, thresholds, data)


def run_seeds(seeds=(0, 1, 2), **kwargs) -> tuple[pd.DataFrame, list]:
    """run_experiment for each seed (1..20 seeds); returns (all rows, the Results)."""
    check_type("seeds", seeds, (tuple, list))
    if not 1 <= len(seeds) <= 20:
        raise ValueError(f"seeds must hold 1..20 seeds; got {len(seeds)}")
    res = [run_experiment(int(check_int("seeds", s, lo=0, hi=2**31 - 1)), **kwargs) for s in seeds]
    return pd.concat([r.table for r in res], ignore_index=True), res


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Mean ± std over seeds of AUC, accuracy and false-alarm rate, per method and fault."""
    check_table("df", df, ("method", "fault", "auc", "accuracy", "far"), what="a run_seeds table")
    g = df.groupby(["method", "fault"], sort=False)[["auc", "accuracy", "far"]]
    out = g.mean().join(g.std(ddof=0), rsuffix="_std")
    return out[["auc", "auc_std", "accuracy", "accuracy_std", "far", "far_std"]]


def roc_points(result: Result, method: str, fault: str) -> tuple[np.ndarray, np.ndarray]:
    """(false-positive rate, true-positive rate) of `method` on held-out good vs `fault`."""
    check_type("result", result, Result)
    check_choice("method", method, list(result.scores))
    check_choice("fault", fault, FAULTS)
    s = result.scores[method]
    fpr, tpr, _ = roc_curve(np.r_[np.zeros(len(s["good"])), np.ones(len(s[fault]))], np.r_[s["good"], s[fault]])
    return fpr, tpr


def sweep(param: str, values, seeds=(0, 1, 2), datasets=None, *, M: int = 64, dropout: float = 0.3,
          severity: float = 1.0, n_train: int = 100, n_test: int = 50, n_fault: int = 50,
          epochs: int = 300) -> pd.DataFrame:
    """AUC and accuracy of the frequency-domain AE (mean over both faults) as `param` ('M' or
    'dropout') takes each of `values` (1..20 values), per seed. datasets: optional list of the
    seeds' simulations (Result.data of run_seeds with the same counts), to reuse them."""
    check_choice("param", param, ("M", "dropout"))
    vals = check_array("values", values, ndim=1)
    if len(vals) > 20:
        raise ValueError(f"values must hold at most 20 entries; got {len(vals)}")
    check_type("seeds", seeds, (tuple, list))
    if not 1 <= len(seeds) <= 20:
        raise ValueError(f"seeds must hold 1..20 seeds; got {len(seeds)}")
    M = check_int("M", M, lo=2, hi=1024)
    dropout = check_number("dropout", dropout, lo=0.0, hi=0.95)
    severity = check_number("severity", severity, lo=0.0, hi=3.0)
    n_train = check_int("n_train", n_train, lo=5, hi=2000)
    n_test = check_int("n_test", n_test, lo=2, hi=2000)
    n_fault = check_int("n_fault", n_fault, lo=2, hi=2000)
    epochs = check_int("epochs", epochs, lo=1, hi=20_000)
    kwargs = dict(M=M, dropout=dropout, severity=severity, n_train=n_train, n_test=n_test, n_fault=n_fault,
                  epochs=epochs)
    rows = []
    if datasets is not None:
        check_type("datasets", datasets, (list, tuple))
        if len(datasets) != len(seeds) or not all(isinstance(d, Dataset) for d in datasets):
            raise ValueError("datasets must hold one Dataset per seed")
    for j, sd in enumerate(seeds):
        sd = check_int("seeds", sd, lo=0, hi=2**31 - 1)
        data = datasets[j] if datasets is not None else make_dataset(n_train + n_test, n_fault, n_fault,
                                                                     severity, sd)
        mags = [rfft_magnitude(r.x, r.fs, F_MAX)[1] for r in data.runs]
        for v in vals:
            arg = {param: int(v) if param == "M" else float(v)}
            d = run_experiment(sd, methods=("AE (frequency)",), data=data, mags=mags, **{**kwargs, **arg}).table
            rows.append({param: arg[param], "seed": int(sd), "auc": d.auc.mean(), "accuracy": d.accuracy.mean()})
    return pd.DataFrame(rows)


def _rows(df: pd.DataFrame, method: str, fault: str | None = None) -> pd.DataFrame:
    """The rows of `method` (on `fault`, if given) in the run_seeds table `df`; a ValueError naming what is absent."""
    d = df[(df.method == method) & ((df.fault == fault) if fault is not None else True)]
    if d.empty:
        on = f" on {fault}" if fault is not None else ""
        raise ValueError(f"df holds no rows of {method!r}{on}; it holds the methods "
                         f"{sorted(set(map(str, df.method)))} and faults {sorted(set(map(str, df.fault)))}")
    return d


def _ms(v: pd.Series) -> str:
    """mean ± std over seeds, in per cent."""
    return f"{100 * v.mean():.1f} ± {100 * v.std(ddof=0):.1f}"


def auc_claim(df: pd.DataFrame, fault: str, method: str = "AE (frequency)", at_least: float = 0.9) -> Measured:
    """AUC of `method` on `fault` (mean ± std over seeds); holds when the mean is ≥ at_least."""
    check_table("df", df, ("seed", "method", "fault", "auc"), what="a run_seeds table")
    check_choice("fault", fault, FAULTS)
    check_choice("method", method, METHODS)
    at_least = check_number("at_least", at_least, lo=0.0, hi=1.0)
    d = _rows(df, method, fault).groupby("seed").auc.mean()
    return Measured(_ms(d), bool(d.mean() >= at_least), f"{len(d)} seeds; held-out good vs {fault}",
                    number=float(d.mean() * 100))


def accuracy_claim(df: pd.DataFrame, method: str = "AE (frequency)", at_least: float = 0.8) -> Measured:
    """Accuracy of the mean + 2σ rule, averaged over both faults (mean ± std over seeds)."""
    check_table("df", df, ("seed", "method", "fault", "accuracy"), what="a run_seeds table")
    check_choice("method", method, METHODS)
    at_least = check_number("at_least", at_least, lo=0.0, hi=1.0)
    rows = _rows(df, method)
    d = rows.groupby("seed").accuracy.mean()
    per = rows.groupby("fault").accuracy.mean()
    return Measured(_ms(d), bool(d.mean() >= at_least),
                    f"{len(d)} seeds; per fault " + ", ".join(f"{k} {v:.3f}" for k, v in per.items()),
                    number=float(d.mean() * 100))


def frequency_beats_time_claim(df: pd.DataFrame) -> Measured:
    """The frequency-domain AE's AUC exceeds the time-domain AE's on each fault, in the seed mean."""
    check_table("df", df, ("seed", "method", "fault", "auc"), what="a run_seeds table")
    for m in ("AE (frequency)", "AE (time)"):
        for f in FAULTS:
            _rows(df, m, f)
    a = df.groupby(["method", "fault"]).auc.mean()
    diffs = {f: a[("AE (frequency)", f)] - a[("AE (time)", f)] for f in FAULTS}
    txt = "; ".join(f"{f}: {a[('AE (frequency)', f)]:.3f} vs {a[('AE (time)', f)]:.3f}" for f in FAULTS)
    return Measured(txt, bool(all(v > 0 for v in diffs.values())), f"AUC, frequency vs time domain, "
                    f"mean over {df.seed.nunique()} seeds", number=float(min(diffs.values())))


def false_alarm_claim(df: pd.DataFrame, method: str = "AE (frequency)", at_most: float = 0.1) -> Measured:
    """False-alarm rate of the mean + 2σ threshold on held-out good runs (mean ± std over seeds)."""
    check_table("df", df, ("seed", "method", "fault", "far"), what="a run_seeds table")
    check_choice("method", method, METHODS)
    at_most = check_number("at_most", at_most, lo=0.0, hi=1.0)
    d = _rows(df, method, FAULTS[0]).groupby("seed").far.mean()
    return Measured(_ms(d), bool(d.mean() <= at_most), f"{len(d)} seeds; a Gaussian score would give 2.3 %",
                    number=float(d.mean() * 100))


def run_on_dataset(data: Dataset, *, M: int = 32, dropout: float = 0.3, f_max: float = 100.0,
                   train_frac: float = 0.6, seed: int = 0) -> pd.DataFrame:
    """The frequency-domain AE on a given Dataset (e.g. mill_dataset): a random train_frac of
    its good runs for training, the rest and every faulty run for testing; spectra kept below
    f_max [Hz]. Rows (fault, auc, accuracy, far) per fault kind present."""
    check_type("data", data, Dataset)
    M = check_int("M", M, lo=2, hi=1024)
    f_max = check_number("f_max", f_max, lo=0.0, lo_open=True)
    train_frac = check_number("train_frac", train_frac, lo=0.1, hi=0.9)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    X = spectrum_features([r.x for r in data.runs], np.array([r.fs for r in data.runs]), M, f_max)
    good = np.flatnonzero(data.kinds == "good")
    rng = np.random.default_rng(seed)
    rng.shuffle(good)
    n_tr = max(2, int(train_frac * len(good)))
    tr, te = good[:n_tr], good[n_tr:]
    if len(te) < 1:
        raise ValueError("data must hold enough good runs for a held-out test set")
    det = train_detector(X[tr], dropout=dropout, seed=seed)
    s_good = det.score(X[te])
    rows = []
    for f in sorted(set(data.kinds.tolist()) - {"good"}):
        s_f = det.score(X[data.kinds == f])
        y, s = np.r_[np.zeros(len(s_good)), np.ones(len(s_f))], np.r_[s_good, s_f]
        rows.append(dict(seed=seed, method="AE (frequency)", fault=f, auc=roc_auc_score(y, s),
                         accuracy=accuracy_score(y, s > det.threshold), far=float(np.mean(s_good > det.threshold))))
    return pd.DataFrame(rows)
