"""The experiment of notebook 12: train on good runs only, score held-out good and faulty runs,
and measure AUC, accuracy of the mean + 2σ threshold rule, and its false-alarm rate; every detector
(the autoencoder and the scikit-learn baselines) on each input (the pooled spectrum; whole-run
time-domain statistics). Also the sweeps: M and dropout (retrained), and fault severity (the
trained detectors on the same faulty runs re-simulated at each severity)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, roc_auc_score, roc_curve

from lab.core.checks import check_array, check_choice, check_int, check_number, check_table, check_type

from .baselines import BASELINES, fit_baseline
from .functional import pool_spectra, rfft_magnitude, spectrum_features, time_features
from .models import train_detector, two_sigma_threshold
from .simulate import F_MAX, Dataset, make_dataset, run_plan, simulate_run

DETECTORS = ("AE", *BASELINES)
# a baseline's plain name is its run on the pooled spectrum (the paper's input); "(time)" marks the whole-run
# time-domain statistics (functional.time_features)
METHODS = ("AE (frequency)", "AE (time)", *BASELINES, *(f"{b} (time)" for b in BASELINES))
FAULTS = ("worn", "coolant")
MAX_SEVERITIES = 30


def method_input(method: str) -> tuple[str, str]:
    """(detector, input) of a name in METHODS: ('AE', 'frequency') for 'AE (frequency)', ('PCA', 'time')
    for 'PCA (time)', ('PCA', 'frequency') for 'PCA'."""
    check_choice("method", method, METHODS)
    if method.endswith(" (time)"):
        return method[:-len(" (time)")], "time"
    return method.removesuffix(" (frequency)"), "frequency"


def features(data: Dataset, domain: str = "frequency", M: int = 64) -> np.ndarray:
    """Inputs of every run: (R, M) pooled log spectrum ('frequency', M bins over 0–4 kHz) or (R, 8)
    whole-run statistics ('time': RMS, peak-to-peak, kurtosis, crest factor, ...; M is not used)."""
    check_type("data", data, Dataset)
    check_choice("domain", domain, ("frequency", "time"))
    M = check_int("M", M, lo=1, hi=4096)
    xs, fs = [r.x for r in data.runs], np.array([r.fs for r in data.runs])
    return spectrum_features(xs, fs, M) if domain == "frequency" else time_features(xs, fs)


@dataclass(frozen=True)
class Result:
    """One seed: `table` rows (seed, method, fault, auc, accuracy, far), `scores` method -> dict with
    'train', 'good' (held-out good) and one array per fault, `thresholds` method -> float, `data` the
    simulated runs, `scorers` method -> the trained detector's score function (features -> scores) and
    `M` the pooled bins of the frequency input (the last two let severity_sweep score new runs)."""
    table: pd.DataFrame
    scores: dict
    thresholds: dict
    data: Dataset | None = None
    scorers: dict | None = None
    M: int | None = None

    def __post_init__(self):
        check_table("table", self.table, ("seed", "method", "fault", "auc", "accuracy", "far"),
                    what="a run_experiment table")
        if self.data is not None:
            check_type("data", self.data, Dataset)
        check_type("scores", self.scores, dict)
        check_type("thresholds", self.thresholds, dict)
        if self.scorers is not None:
            check_type("scorers", self.scorers, dict)
            for m, f in self.scorers.items():
                check_choice("scorers", m, METHODS)
                if not callable(f):
                    raise TypeError(f"scorers[{m!r}] must be a score function; got {type(f).__name__}")
        if self.M is not None:
            check_int("M", self.M, lo=1, hi=4096)


def run_experiment(seed: int = 0, *, severity: float = 1.0, M: int = 64, dropout: float = 0.3,
                   n_train: int = 100, n_test: int = 50, n_fault: int = 50, epochs: int = 300,
                   methods=METHODS, data: Dataset | None = None, mags=None) -> Result:
    """Simulate n_train + n_test good runs and n_fault runs of each fault (each count ≤ 2000),
    train every method (detector and input, METHODS) on the n_train good runs, and score the rest.
    Accuracy is that of the mean + 2σ threshold (of the training scores) on held-out good vs one fault
    type (balanced when n_test = n_fault); far is the fraction of held-out good runs above the
    threshold. data (and mags, its runs' magnitude spectra below 4 kHz) may be passed to reuse a
    simulation made with the same seed and counts."""
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
    domains = {method_input(m)[1] for m in methods}
    feats = {}
    if "frequency" in domains:
        feats["frequency"] = features(data, "frequency", M) if mags is None else pool_spectra(mags, M)
    if "time" in domains:
        feats["time"] = features(data, "time")
    k = data.kinds
    idx_train, idx_good = np.arange(n_train), np.arange(n_train, n_train + n_test)
    rows, scores, thresholds, scorers = [], {}, {}, {}
    for m in methods:
        detector, domain = method_input(m)
        X = feats[domain]
        if detector == "AE":
            score = train_detector(X[idx_train], dropout=dropout, epochs=epochs, seed=seed).score
        else:
            score = fit_baseline(detector, X[idx_train], seed=seed)
        s_all = score(X)                          # one call: a forest's per-call cost is large
        s_train, s_good = s_all[idx_train], s_all[idx_good]
        thr = two_sigma_threshold(s_train)
        scores[m], thresholds[m], scorers[m] = {"train": s_train, "good": s_good}, thr, score
        for f in FAULTS:
            s_f = s_all[k == f]
            scores[m][f] = s_f
            y = np.r_[np.zeros(len(s_good)), np.ones(len(s_f))]
            s = np.r_[s_good, s_f]
            rows.append(dict(seed=seed, method=m, fault=f, auc=roc_auc_score(y, s),
                             accuracy=accuracy_score(y, s > thr), far=float(np.mean(s_good > thr))))
    return Result(pd.DataFrame(rows), scores, thresholds, data, scorers, M)


def run_seeds(seeds=(0, 1, 2), **kwargs) -> tuple[pd.DataFrame, list]:
    """run_experiment for each seed (1..20 seeds); returns (all rows, the Results)."""
    check_type("seeds", seeds, (tuple, list))
    if not 1 <= len(seeds) <= 20:
        raise ValueError(f"seeds must hold 1..20 seeds; got {len(seeds)}")
    res = [run_experiment(int(check_int("seeds", s, lo=0, hi=2**31 - 1)), **kwargs) for s in seeds]
    return pd.concat([r.table for r in res], ignore_index=True), res


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Mean and sample std (ddof=1; 0 for a single seed) over seeds of AUC, accuracy and false-alarm
    rate, per method and fault."""
    check_table("df", df, ("method", "fault", "auc", "accuracy", "far"), what="a run_seeds table")
    g = df.groupby(["method", "fault"], sort=False)[["auc", "accuracy", "far"]]
    out = g.mean().join(g.std(ddof=1).fillna(0.0), rsuffix="_std")
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


def severity_sweep(results, severities, n_fault: int = 20) -> pd.DataFrame:
    """AUC against fault severity: for each Result of run_seeds (made with data=None, so its runs are
    make_dataset's), the first n_fault runs of each fault (2..2000, at most the Result's count) are
    simulated again from their own seeds at each of `severities` (1..30 values in [0, 3]; the run-to-run
    variation is the same at every severity, only the fault's size changes) and scored by every trained
    detector of the Result against its held-out good runs. Nothing is retrained: the detectors never see
    a fault. Rows (seed, severity, method, fault, auc)."""
    check_type("results", results, (list, tuple))
    if not 1 <= len(results) <= 20 or not all(isinstance(r, Result) for r in results):
        raise TypeError("results must be a list of 1..20 Result (run_seeds' second output)")
    sev = check_array("severities", severities, ndim=1, lo=0.0, hi=3.0, dtype_kind="fiu").astype(float)
    if len(sev) > MAX_SEVERITIES or len(np.unique(sev)) != len(sev):
        raise ValueError(f"severities must hold 1..{MAX_SEVERITIES} distinct values; got {len(sev)}")
    n_fault = check_int("n_fault", n_fault, lo=2, hi=2000)
    rows = []
    for j, res in enumerate(results):
        if res.data is None or res.scorers is None or res.M is None:
            raise ValueError(f"results[{j}] must carry its data, scorers and M (a Result of run_experiment)")
        seed = int(res.table.seed.iloc[0])
        kinds = res.data.kinds
        counts = {k: int(np.sum(kinds == k)) for k in ("good", *FAULTS)}
        if min(counts[f] for f in FAULTS) < n_fault:
            raise ValueError(f"n_fault must be at most the runs of each fault in results[{j}]; "
                             f"got {n_fault}, it holds {counts}")
        plan_kinds, plan_seeds = run_plan(counts["good"], counts["worn"], counts["coolant"], seed)
        if list(plan_kinds) != list(kinds):
            raise ValueError(f"results[{j}].data must be ordered as make_dataset orders it (good, worn, coolant)")
        idx = {f: np.flatnonzero(kinds == f)[:n_fault] for f in FAULTS}
        cells = [(float(s), f) for s in sev for f in FAULTS]     # (severity, fault), n_fault runs each
        runs = [simulate_run(f, s, int(plan_seeds[i])) for s, f in cells for i in idx[f]]
        orig = [res.data.runs[i] for _, f in cells for i in idx[f]]
        if any(r.fs != o.fs or len(r.x) != len(o.x) for r, o in zip(runs, orig)):
            raise ValueError(f"results[{j}].data was not simulated by make_dataset with seed {seed}")
        xs, fs = [r.x for r in runs], np.array([r.fs for r in runs])
        X = {"frequency": spectrum_features(xs, fs, res.M), "time": time_features(xs, fs)}
        for m, score in res.scorers.items():       # every severity's runs in one call: a forest's calls are slow
            s_all, s_good = score(X[method_input(m)[1]]), res.scores[m]["good"]
            for c, (s, f) in enumerate(cells):
                s_f = s_all[c * n_fault:(c + 1) * n_fault]
                y = np.r_[np.zeros(len(s_good)), np.ones(len(s_f))]
                rows.append(dict(seed=seed, severity=s, method=m, fault=f, auc=roc_auc_score(y, np.r_[s_good, s_f])))
    return pd.DataFrame(rows)


def severity_to_reach(sw: pd.DataFrame, target: float = 0.99) -> pd.DataFrame:
    """The fault severity at which each method's AUC reaches `target` (in (0.5, 1]) and stays there, per
    seed, method and fault, from a severity_sweep table: linear in AUC between the last grid severity
    below the target and the next one; the grid's first severity when the AUC is already there (a
    bound: at most that); inf when the AUC is below the target at the grid's top. Rows (seed, method,
    fault, severity, reached)."""
    check_table("sw", sw, ("seed", "severity", "method", "fault", "auc"), what="a severity_sweep table")
    check_array("sw's auc column", sw.auc.to_numpy(), ndim=1, lo=0.0, hi=1.0)
    check_array("sw's severity column", sw.severity.to_numpy(), ndim=1, lo=0.0, hi=3.0)
    target = check_number("target", target, lo=0.5, hi=1.0, lo_open=True)
    rows = []
    for (seed, m, f), d in sw.groupby(["seed", "method", "fault"], sort=False):
        d = d.sort_values("severity")
        s, a = d.severity.to_numpy(float), d.auc.to_numpy(float)
        below = np.flatnonzero(a < target)
        if not len(below):
            at = s[0]
        elif below[-1] == len(a) - 1:
            at = np.inf
        else:
            k = below[-1]
            at = s[k] + (target - a[k]) / (a[k + 1] - a[k]) * (s[k + 1] - s[k])
        rows.append(dict(seed=seed, method=m, fault=f, severity=float(at), reached=bool(np.isfinite(at))))
    return pd.DataFrame(rows)
