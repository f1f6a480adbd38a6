"""Figures and the explorer of notebooks/01_netaug.ipynb (Network Augmentation); the
training itself is in `train.py`."""
from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from lab.core import checks, plotting

from .data import Signals
from .train import MAX_EPOCHS, MAX_VAL_FRAC, Result, check_results, gains, model_cost, mults, summary, train


def _gain_points(results: Sequence[Result]) -> tuple[list[int], list[float], list[float]]:
    g = gains(results)
    g = g[g.method == "netaug"].sort_values("width")
    return list(g.params), list(g.gain_mean), list(g.gain_half.fillna(0.0))


def gain_figure(results: Sequence[Result]) -> go.Figure:
    """NetAug's test-accuracy gain over the baseline [points] against model size [parameters],
    mean ± 95 % t-interval over seeds (paired)."""
    x, y, e = _gain_points(check_results(results))
    fig = plotting.figure(plotting.label("tiny model size", "parameters"), plotting.label("NetAug gain", "% points"),
                          title="NetAug gain as the model grows (mean ± 95 % CI)", height=340)
    fig.add_scatter(x=x, y=y, error_y=dict(array=e), mode="lines+markers", name="NetAug − baseline")
    fig.add_hline(y=0, line_color="#888")
    return fig.update_xaxes(type="log")


def fit_figure(results: Sequence[Result]) -> go.Figure:
    """Training and test accuracy [%] of the baseline and NetAug against model size [parameters]
    (mean ± std over seeds): where the training accuracy is far below 100 %, the model under-fits."""
    s = summary(check_results(results))
    fig = plotting.figure(plotting.label("model size", "parameters"), plotting.label("accuracy", "%"),
                          title="Training and test accuracy as the model grows", height=340)
    for m, dash in (("baseline", "solid"), ("netaug", "dot")):
        t = s[s.method == m].sort_values("width")
        for part, colour in (("train", "#1f77b4"), ("test", "#d62728")):
            fig.add_scatter(x=t.params, y=t[f"{part}_mean"], error_y=dict(array=t[f"{part}_std"].fillna(0.0)),
                            mode="lines+markers", name=f"{m} {part}", line=dict(dash=dash, color=colour))
    return fig.update_xaxes(type="log")


MAX_EXPLORE_SEEDS = 8


def explorer(data: Signals, results: Sequence[Result], epochs: int = 30, batch: int = 256, lr: float = 0.01,
             seeds: int = 3, plain_epochs: int = 0, val_frac: float = 0.1):
    """Widget: the model width, the largest augmentation multiplier and alpha. The star is NetAug's gain
    over the baseline as the mean and 95 % paired t-interval over seeds, beside the precomputed sweep
    (`results`: baseline and NetAug runs of several widths and the same seeds, trained with these
    settings at the authors' multipliers and alpha 1). At the sweep's setting it is the sweep's interval
    over all its seeds (no training); at another (multiplier, alpha) NetAug is trained on the first
    `seeds` (2..8) of the sweep's seeds and paired with their baseline runs (about a second per seed
    of CPU; memoised per seed, so going back is instant). The second figure: the seed-mean training-loss
    curves of both tiny models."""
    import ipywidgets as W
    import numpy as np
    from lab.core import stats, widgets

    checks.check_type("data", data, Signals)
    results = check_results(results)
    sizes = sorted({r.width for r in results})
    epochs = checks.check_int("epochs", epochs, lo=1, hi=MAX_EPOCHS)
    kw = dict(epochs=epochs, batch=checks.check_int("batch", batch, lo=1, hi=100_000),
              lr=checks.check_number("lr", lr, lo=0.0, hi=10.0, lo_open=True),
              plain_epochs=checks.check_int("plain_epochs", plain_epochs, lo=0, hi=epochs - 1),
              val_frac=checks.check_number("val_frac", val_frac, lo=0.0, hi=MAX_VAL_FRAC))
    seeds = checks.check_int("seeds", seeds, lo=2, hi=MAX_EXPLORE_SEEDS)
    given = {(r.method, r.width, r.seed): r for r in results}
    controls = dict(size=widgets.dropdown("model width", sizes, sizes[0]),
                    width_max=widgets.slider("max width mult", 2.6, 1.0, 3.4, 0.4),
                    alpha=widgets.slider("alpha (aug. loss weight)", 1.0, 0.0, 2.0, 0.25))
    x, y, e = _gain_points(results)
    f_gain = plotting.widget_figure(plotting.label("tiny model size", "parameters"),
                                    plotting.label("NetAug gain", "% points"), title="NetAug gain as the model grows",
                                    height=320)
    f_gain.add_scatter(x=x, y=y, error_y=dict(array=e), mode="lines+markers", name="sweep (mean ± 95 % CI)")
    f_gain.add_scatter(x=[], y=[], mode="markers", error_y=dict(array=[]), name="this setting (mean ± 95 % CI)",
                       marker=dict(size=14, symbol="star", color="#d62728"))
    f_gain.update_xaxes(type="log")
    f_gain.add_hline(y=0, line_color="#888")
    f_loss = plotting.widget_figure(plotting.label("epoch", "–"), plotting.label("tiny model training loss", "nats"),
                                    title="Training loss of the tiny model (mean over the seeds)", height=300)
    f_loss.add_scatter(name="baseline", mode="lines")
    f_loss.add_scatter(name="NetAug", mode="lines")
    readout = W.HTML()
    runs = widgets.Memo(lambda w, wm, alpha, seed: train("netaug", data, seed, width=w, alpha=alpha,
                                                         width_mults=mults(wm, 3), **kw), maxsize=256)
    ex = None

    def update() -> None:
        w = float(controls["size"].value)
        wm, alpha = float(controls["width_max"].value), float(controls["alpha"].value)
        pool = sorted(s for (m, ww, s) in given if m == "baseline" and ww == w and ("netaug", w, s) in given)
        swept = bool(np.isclose(wm, 2.6) and np.isclose(alpha, 1.0))
        use = pool if swept else pool[:seeds]
        base = [given["baseline", w, s] for s in use]
        aug = []
        for i, s in enumerate(use):
            if swept:
                aug.append(given["netaug", w, s])
                continue
            if not runs.holds(w, wm, alpha, s):
                ex.busy(f"training NetAug on seed {s} ({i + 1} of {len(use)})")
            aug.append(runs(w, wm, alpha, s))
        a, b = [100 * r.test_acc for r in aug], [100 * r.test_acc for r in base]
        iv = stats.paired_interval(a, b) if len(use) >= 2 else None
        cost = model_cost(base[0].model)
        mean = float(np.mean(a) - np.mean(b))
        f_gain.data[1].x, f_gain.data[1].y = [cost["params"]], [mean]
        f_gain.data[1].error_y.array = [(iv.hi - iv.mean) if iv else 0.0]
        for k, rs in enumerate((base, aug)):
            n_ep = min(len(r.loss_curve) for r in rs)
            f_loss.data[k].x = list(range(1, n_ep + 1))
            f_loss.data[k].y = np.mean([r.loss_curve[:n_ep] for r in rs], axis=0)
        readout.value = widgets.readout_table({
            "tiny model": f"{cost['params']} parameters, {cost['macs']} MACs (same for both)",
            "augmented widths": f"x{list(mults(wm, 3))} per hidden layer, alpha {alpha:g}",
            "NetAug − baseline, test accuracy": (iv.text(2, " points", signed=True) if iv else f"{mean:+.2f} points"),
            "seeds": f"{len(use)} paired seeds " + ("(the sweep's runs)" if swept else
                                                    f"(NetAug trained here, the first {len(use)} of the sweep's)"),
            "test accuracy (mean)": f"baseline {np.mean(b):.1f} %, NetAug {np.mean(a):.1f} %",
            "train accuracy (mean)": f"baseline {100 * np.mean([r.train_acc for r in base]):.1f} %, "
                                     f"NetAug {100 * np.mean([r.train_acc for r in aug]):.1f} %"})

    ex = widgets.Explorer(controls, [f_gain, f_loss], update, readout, title="NetAug",
                          recompute=("size", "width_max", "alpha"),   # a width off the sweep's setting trains
                          presets={"authors' multipliers": dict(width_max=2.6, alpha=1.0),
                                   "no augmentation (alpha 0)": dict(alpha=0.0)})
    ex.refresh()
    return ex
