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


def explorer(data: Signals, results: Sequence[Result], epochs: int = 30, batch: int = 256, lr: float = 0.01,
             seed: int = 0, plain_epochs: int = 0, val_frac: float = 0.1):
    """Widget: the largest augmentation multiplier, alpha and the model width. Each change trains
    NetAug (seed `seed`; `plain_epochs` and `val_frac` as in `train`) against the cached baseline of
    that width and shows the gain beside the precomputed sweep (`results`: baseline and NetAug runs of
    several widths, trained with the same settings), with both tiny models' training-loss curves."""
    import ipywidgets as W
    from lab.core import widgets

    checks.check_type("data", data, Signals)
    results = check_results(results)
    sizes = sorted({r.width for r in results})
    cache = {(r.method, r.width, r.seed): r for r in results}
    epochs = checks.check_int("epochs", epochs, lo=1, hi=MAX_EPOCHS)
    kw = dict(epochs=epochs, batch=checks.check_int("batch", batch, lo=1, hi=100_000),
              lr=checks.check_number("lr", lr, lo=0.0, hi=10.0, lo_open=True),
              plain_epochs=checks.check_int("plain_epochs", plain_epochs, lo=0, hi=epochs - 1),
              val_frac=checks.check_number("val_frac", val_frac, lo=0.0, hi=MAX_VAL_FRAC))
    seed = checks.check_int("seed", seed, lo=0, hi=2**31 - 1)
    controls = dict(width_max=widgets.slider("max width mult", 2.6, 1.0, 3.4, 0.4),
                    alpha=widgets.slider("alpha (aug. loss weight)", 1.0, 0.0, 2.0, 0.25),
                    size=widgets.dropdown("model width", sizes, sizes[0]))
    x, y, e = _gain_points(results)
    f_gain = plotting.widget_figure(plotting.label("tiny model size", "parameters"),
                                    plotting.label("NetAug gain", "% points"), title="NetAug gain as the model grows",
                                    height=320)
    f_gain.add_scatter(x=x, y=y, error_y=dict(array=e), mode="lines+markers", name="sweep (mean ± 95 % CI)")
    f_gain.add_scatter(x=[], y=[], mode="markers", name="this setting (1 seed)",
                       marker=dict(size=14, symbol="star", color="#d62728"))
    f_gain.update_xaxes(type="log")
    f_gain.add_hline(y=0, line_color="#888")
    f_loss = plotting.widget_figure(plotting.label("epoch", "–"), plotting.label("tiny model training loss", "nats"),
                                    title="Training loss of the tiny model", height=300)
    f_loss.add_scatter(name="baseline", mode="lines")
    f_loss.add_scatter(name="NetAug", mode="lines")
    readout = W.HTML()

    def run(method: str, w: float, wm: float, alpha: float) -> Result:
        key = (method, w, seed) if method == "baseline" or (wm, alpha) == (2.6, 1.0) else (method, w, seed, wm, alpha)
        if key not in cache:
            cache[key] = train(method, data, seed, width=w, alpha=alpha, width_mults=mults(wm, 3), **kw)
        return cache[key]

    def update() -> None:
        w = float(controls["size"].value)
        wm, alpha = round(float(controls["width_max"].value), 3), round(float(controls["alpha"].value), 3)
        base, aug = run("baseline", w, 2.6, 1.0), run("netaug", w, wm, alpha)
        gain = 100 * (aug.test_acc - base.test_acc)
        cost = model_cost(base.model)
        f_gain.data[1].x, f_gain.data[1].y = [cost["params"]], [gain]
        ep = list(range(1, len(base.loss_curve) + 1))
        f_loss.data[0].x, f_loss.data[0].y = ep, base.loss_curve
        f_loss.data[1].x, f_loss.data[1].y = ep, aug.loss_curve
        readout.value = widgets.readout_table({
            "tiny model": f"{cost['params']} parameters, {cost['macs']} MACs (same for both)",
            "augmented widths": f"x{list(mults(wm, 3))} per hidden layer, alpha {alpha:g}",
            "test accuracy": f"baseline {100 * base.test_acc:.1f} %, NetAug {100 * aug.test_acc:.1f} %",
            "gain (seed %d)" % seed: f"{gain:+.1f} points",
            "train accuracy": f"baseline {100 * base.train_acc:.1f} %, NetAug {100 * aug.train_acc:.1f} %",
            "kept epoch": f"baseline {base.best_epoch}, NetAug {aug.best_epoch} of {len(base.loss_curve)} "
                          f"(best on the validation split)"})

    ex = widgets.Explorer(controls, [f_gain, f_loss], update, readout, title="NetAug",
                          presets={"authors' multipliers": dict(width_max=2.6, alpha=1.0),
                                   "no augmentation (alpha 0)": dict(alpha=0.0)})
    ex.refresh()
    return ex
