"""Figures and the explorer of notebooks/12_anomaly.ipynb."""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from sklearn.metrics import roc_auc_score

from lab.core.checks import check_choice, check_int, check_number, check_table, check_type
from lab.core.plotting import COLORS, TEMPLATE_NAME, figure, label, label_axes, widget_figure
from lab.core.widgets import Explorer, Memo, readout_table, slider, int_slider

from .evaluate import DETECTORS, FAULTS, METHODS, Result, method_input, roc_points
from .functional import pool_spectra, rfft_magnitude
from .models import train_detector, two_sigma_threshold
from .simulate import F_MAX, Dataset, make_dataset

KIND_COLORS = {"good": COLORS[0], "worn": COLORS[1], "coolant": COLORS[2]}


def _first(data: Dataset, kind: str):
    idx = np.flatnonzero(data.kinds == kind)
    if not len(idx):
        raise ValueError(f"data holds no {kind} run")
    return data.runs[idx[0]]


def time_figure(data: Dataset, ms: float = 40.0) -> "go.Figure":
    """Figure 1 rebuilt: the first `ms` milliseconds (1..1000) of one run of each kind, overlaid."""
    check_type("data", data, Dataset)
    ms = check_number("ms", ms, lo=1.0, hi=1000.0)
    fig = figure(label("time", "ms"), label("acceleration", "m/s²"),
                 title="Time domain: good and faulty runs look alike")
    for kind in ("good", *FAULTS):
        if kind in data.kinds:
            r = _first(data, kind)
            n = int(ms * 1e-3 * r.fs)
            fig.add_scatter(x=np.arange(n) / r.fs * 1e3, y=r.x[:n], name=kind, line_color=KIND_COLORS[kind])
    return fig


def spectrum_figure(data: Dataset, M: int = 64) -> "go.Figure":
    """Figure 2 rebuilt: pooled log spectra (M bins over 0–4 kHz), mean ± std over the runs of each kind."""
    check_type("data", data, Dataset)
    M = check_int("M", M, lo=2, hi=1024)
    fig = figure(label("frequency", "Hz"), label("log10 pooled |FFT|", "log10(m/s²)"),
                 title=f"Frequency domain (M = {M} pooled bins): the faults stand out")
    f = (np.arange(M) + 0.5) * F_MAX / M
    for kind in ("good", *FAULTS):
        idx = np.flatnonzero(data.kinds == kind)
        if not len(idx):
            continue
        X = pool_spectra([rfft_magnitude(data.runs[i].x, data.runs[i].fs, F_MAX)[1] for i in idx], M)
        mu, sd = X.mean(0), X.std(0)
        fig.add_scatter(x=np.r_[f, f[::-1]], y=np.r_[mu + sd, (mu - sd)[::-1]], fill="toself", line_width=0,
                        fillcolor=KIND_COLORS[kind], opacity=0.2, showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=f, y=mu, name=f"{kind} (mean ± std, {len(idx)} runs)", line_color=KIND_COLORS[kind])
    return fig


def roc_figure(result: Result) -> "go.Figure":
    """ROC curves of every method on both fault types (held-out good vs faulty), one seed."""
    check_type("result", result, Result)
    fig = make_subplots(rows=1, cols=2, subplot_titles=[f"{f} (AUC in legend)" for f in FAULTS])
    for j, f in enumerate(FAULTS):
        for i, m in enumerate(result.scores):
            fpr, tpr = roc_points(result, m, f)
            auc = result.table[(result.table.method == m) & (result.table.fault == f)].auc.iloc[0]
            fig.add_scatter(x=fpr, y=tpr, name=f"{m} ({f}: {auc:.3f})", line_color=COLORS[i % len(COLORS)],
                            legendgroup=m, row=1, col=j + 1)
        fig.add_scatter(x=[0, 1], y=[0, 1], line=dict(color="#aaa", dash="dot"), showlegend=False, row=1, col=j + 1)
    fig.update_layout(template=TEMPLATE_NAME, height=420, title="ROC curves, every method, both faults")
    label_axes(fig, xaxis=label("false-positive rate", "1"), yaxis=label("true-positive rate", "1"),
               xaxis2=label("false-positive rate", "1"), yaxis2=label("true-positive rate", "1"))
    return fig


def sweep_figure(df: pd.DataFrame, param: str) -> "go.Figure":
    """AUC and accuracy (mean ± std over seeds) against `param` ('M' or 'dropout') from evaluate.sweep."""
    check_choice("param", param, ("M", "dropout"))
    check_table("df", df, (param, "auc", "accuracy"), what=f"an evaluate.sweep table of {param}")
    g = df.groupby(param)[["auc", "accuracy"]]
    mu, sd = g.mean(), g.std(ddof=0)
    xl = label("pooled bins M", "1") if param == "M" else label("input dropout rate", "1")
    fig = figure(xl, label("AUC / accuracy (mean over both faults)", "1"), title=f"Effect of {param}")
    for i, col in enumerate(("auc", "accuracy")):
        fig.add_scatter(x=mu.index, y=mu[col], error_y=dict(array=sd[col]), name=col, line_color=COLORS[i])
    if param == "M":
        fig.update_xaxes(type="log")
    return fig


def severity_figure(sw: pd.DataFrame, target: float = 0.99) -> "go.Figure":
    """AUC against fault severity (mean over seeds, ± std as error bars), one panel per fault,
    from evaluate.severity_sweep: one colour per detector, solid on the pooled spectrum, dashed on the
    whole-run time-domain statistics, and the `target` AUC (in (0.5, 1]) as a dotted line."""
    check_table("sw", sw, ("seed", "severity", "method", "fault", "auc"), what="a severity_sweep table")
    target = check_number("target", target, lo=0.5, hi=1.0, lo_open=True)
    fig = make_subplots(rows=1, cols=2, subplot_titles=list(FAULTS), shared_yaxes=True)
    g = sw.groupby(["method", "fault", "severity"]).auc
    mu, sd = g.mean(), g.std(ddof=1).fillna(0.0)
    for j, f in enumerate(FAULTS):
        for m in (m for m in METHODS if m in set(sw.method)):
            if (m, f) not in mu.index:
                continue
            det, domain = method_input(m)
            x = mu.loc[(m, f)].index.to_numpy(float)
            fig.add_scatter(x=x, y=mu.loc[(m, f)].to_numpy(), error_y=dict(array=sd.loc[(m, f)].to_numpy()),
                            name=m, legendgroup=m, showlegend=j == 0, row=1, col=j + 1,
                            line=dict(color=COLORS[DETECTORS.index(det) % len(COLORS)],
                                      dash="solid" if domain == "frequency" else "dash"))
        fig.add_hline(y=target, line=dict(color="#aaa", dash="dot"), row=1, col=j + 1)
    fig.update_layout(template=TEMPLATE_NAME, height=420,
                      title=f"AUC against fault severity (mean ± std over seeds; dotted: AUC {target:g})")
    label_axes(fig, xaxis=label("fault severity", "1"), yaxis=label("AUC, held-out good vs faulty", "1"),
               xaxis2=label("fault severity", "1"), yaxis2=label("AUC", "1"))
    return fig


def explorer(seed: int = 0, n: int = 60, epochs: int = 200) -> Explorer:
    """Severity, M and dropout -> mean spectra of good and faulty runs, and the histogram of
    anomaly scores with the threshold mean + k·σ of the training scores (k: the threshold control, the
    paper's rule is k = 2). Severity, M and dropout retrain a tiny AE (n good training runs, n/2 held-out
    good and n/2 of each fault; n in 10..200), memoised by their values; k only redraws."""
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    n = check_int("n", n, lo=10, hi=200)
    epochs = check_int("epochs", epochs, lo=10, hi=2000)
    controls = {"severity": slider("fault severity", 1.0, 0.0, 2.0, 0.1),
                "M": int_slider("pooled bins M", 64, 8, 256, 8),
                "dropout": slider("input dropout", 0.3, 0.0, 0.8, 0.05),
                "k": slider("threshold k (mean + kσ)", 2.0, 0.0, 6.0, 0.25)}
    h = n // 2

    def spectra(sev: float):
        d = make_dataset(n + h, h, h, sev, seed)
        return d, [rfft_magnitude(r.x, r.fs, F_MAX)[1] for r in d.runs]

    def scores(sev: float, M: int, dropout: float):
        d, mags = data(sev)
        X = pool_spectra(mags, M)
        return X, train_detector(X[:n], dropout=dropout, epochs=epochs, seed=seed).score(X)

    data, fit = Memo(spectra, maxsize=24), Memo(scores, maxsize=128)
    f1 = widget_figure(label("frequency", "Hz"), label("log10 pooled |FFT|", "log10(m/s²)"), title="Mean spectra")
    for kind in ("good", *FAULTS):
        f1.add_scatter(x=[0], y=[0], name=kind, line_color=KIND_COLORS[kind])
    f2 = widget_figure(label("anomaly score (reconstruction error)", "1"), label("runs", "1"),
                       title="Scores and the mean + kσ threshold")
    for name, col in (("good (train)", "#888"), ("good (held out)", KIND_COLORS["good"]),
                      ("worn", KIND_COLORS["worn"]), ("coolant", KIND_COLORS["coolant"])):
        f2.add_histogram(x=[0], name=name, marker_color=col, opacity=0.6, nbinsx=30)
    f2.update_layout(barmode="overlay")
    f2.add_scatter(x=[0, 0], y=[0, 1], mode="lines", name="threshold", line=dict(color="black", dash="dash"))
    readout = W.HTML()
    ex = None

    def update() -> None:
        sev, M, dropout = (float(controls["severity"].value), int(controls["M"].value),
                           float(controls["dropout"].value))
        if not fit.holds(sev, M, dropout):
            ex.busy(f"training the autoencoder (severity {sev:g}, M = {M}, dropout {dropout:g})")
        X, s = fit(sev, M, dropout)
        d = data(sev)[0]
        k = float(controls["k"].value)
        threshold = two_sigma_threshold(s[:n], k)
        fx = (np.arange(M) + 0.5) * F_MAX / M
        for i, kind in enumerate(("good", *FAULTS)):
            f1.data[i].x, f1.data[i].y = fx, X[d.kinds == kind].mean(0)
        parts = [s[:n], s[n:n + h], s[d.kinds == "worn"], s[d.kinds == "coolant"]]
        for i, p in enumerate(parts):
            f2.data[i].x = p
        f2.data[4].x, f2.data[4].y = [threshold] * 2, [0, max(5, n // 3)]
        rows = {f"threshold (mean + {k:g}σ of the training scores)": f"{threshold:.3g}",
                "false alarms, held-out good": f"{np.mean(parts[1] > threshold) * 100:.0f} %"}
        for f, p in zip(FAULTS, parts[2:]):
            y = np.r_[np.zeros(h), np.ones(len(p))]
            rows[f"AUC (any threshold) / detected at this one, {f}"] = (
                f"{roc_auc_score(y, np.r_[parts[1], p]):.3f} / {np.mean(p > threshold) * 100:.0f} %")
        readout.value = readout_table(rows)

    ex = Explorer(controls, [f1, f2], update, readout, title="Frequency-domain anomaly detection",
                  recompute=("severity", "M", "dropout"),
                  presets={"subtle faults": {"severity": 0.4}, "coarse pooling": {"M": 16},
                           "the paper's 2σ rule": {"k": 2.0}})
    ex.refresh()
    return ex
