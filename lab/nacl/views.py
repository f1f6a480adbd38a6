"""Figures of notebook 04 and its explorer: figure 1 (standard vs robust accuracy), the
robust-accuracy sweep over ε, the transfer bars, the 2-D PCA of an embedding, and the
explorer (temperature, positives, λ, ε)."""
from __future__ import annotations

import time

import ipywidgets as W
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..core.checks import check_array, check_int, check_number, check_table, check_type
from ..core.plotting import COLORS, figure, label, widget_figure
from ..core.widgets import Explorer, Memo, dropdown, int_slider, readout_table, slider
from ..data.digits import Digits
from .augment import check_images
from .train import (ADVERSARIAL_ONLY, FIGURE1, NAMES, Run, TrainConfig, accuracy, check_digits, fit_probe, pretrain,
                    retune, table)

SYMBOLS = {"simclr": "circle", "nacl": "square", "mixnacl": "triangle-up", "intcl": "diamond",
           "intnacl": "star", "a2a": "triangle-down", "supervised": "x"}
MAX_CACHE = 64


def _color(method: str) -> str:
    order = (*FIGURE1, "mixnacl", "supervised", ADVERSARIAL_ONLY)
    return COLORS[order.index(method) % len(COLORS)] if method in order else COLORS[-1]


def _runs(runs) -> list[Run]:
    check_type("runs", runs, list)
    if not runs or not all(isinstance(r, Run) for r in runs):
        raise ValueError("runs must be a non-empty list of Run (from run_methods)")
    return runs


def figure1(runs: list[Run], *, metric: str, title: str | None = None) -> go.Figure:
    """Figure 1 rebuilt: each method's mean (standard, robust) accuracy over seeds, with ±1 std
    error bars on both axes; `metric` names the robust column (e.g. 'robust@0.05')."""
    runs = _runs(runs)
    check_type("metric", metric, str)
    if metric not in runs[0].acc:
        raise ValueError(f"metric must be one of {sorted(runs[0].acc)}; got {metric!r}")
    if title is not None:
        check_type("title", title, str)
    eps = metric.split("@")[-1]
    fig = figure(label("standard accuracy", "%"), label(f"robust accuracy, FGSM ε = {eps}", "%"),
                 title=title or f"Standard vs robust accuracy (ε = {eps})", height=420)
    df = table(runs)
    for m in dict.fromkeys(r.method for r in runs):
        d = df[df.method == NAMES[m]]
        fig.add_scatter(x=[d.standard.mean()], y=[d[metric].mean()], name=NAMES[m], mode="markers",
                        marker=dict(size=14, symbol=SYMBOLS.get(m, "circle"), color=_color(m)),
                        error_x=dict(type="data", array=[d.standard.std(ddof=1)]),
                        error_y=dict(type="data", array=[d[metric].std(ddof=1)]))
    return fig


def eps_figure(sweep: pd.DataFrame) -> go.Figure:
    """Robust accuracy against ε (mean ± std over seeds), one line per method."""
    check_table("sweep", sweep, ("method", "eps", "accuracy"), what="eps_sweep()'s table")
    attacks = list(dict.fromkeys(sweep["attack"])) if "attack" in sweep.columns else ["fgsm"]
    fig = figure(label("attack radius ε", "pixel units of [0, 1]"), label("robust accuracy", "%"),
                 title="Robust accuracy against the attack radius (" + ", ".join(a.upper() for a in attacks) + ")",
                 height=420)
    for a in attacks:
        sub = sweep[sweep.attack == a] if "attack" in sweep.columns else sweep
        for m, d in sub.groupby("method", sort=False):
            g = d.groupby("eps").accuracy
            key = next((k for k, v in NAMES.items() if v == m), m)
            fig.add_scatter(x=g.mean().index, y=g.mean().values, error_y=dict(type="data", array=g.std(ddof=1).values),
                            name=f"{m} ({a.upper()})", mode="lines+markers",
                            line=dict(color=_color(key), dash="solid" if a == attacks[0] else "dot"))
    return fig


def transfer_figure(runs: list[Run], *, metric: str) -> go.Figure:
    """Grouped bars: standard and robust accuracy (mean ± std) of a probe on the target task."""
    runs = _runs(runs)
    df = table(runs)
    check_type("metric", metric, str)
    if metric not in df.columns:
        raise ValueError(f"metric must be one of {sorted(runs[0].acc)}; got {metric!r}")
    g = df.groupby("method", sort=False)
    fig = figure(label("method", ""), label("accuracy on digits 5–9", "%"),
                 title="Transfer: pre-trained on digits 0–4, linear probe on 5–9", height=380)
    for col, name in (("standard", "standard"), (metric, f"robust ({metric.replace('robust@', 'ε = ')})")):
        fig.add_bar(x=list(g.groups), y=g[col].mean().values, error_y=dict(type="data", array=g[col].std(ddof=1).values),
                    name=name)
    fig.update_layout(barmode="group")
    return fig


def embedding_2d(model, x, y) -> tuple[np.ndarray, np.ndarray]:
    """PCA (scikit-learn) of the frozen features of images x: (N, 2) coordinates and labels."""
    import torch
    from sklearn.decomposition import PCA

    from .train import Probed
    check_type("model", model, Probed)
    x = check_images("x", x)
    y = check_array("y", y, ndim=1, dtype_kind="iu")
    if len(y) != x.shape[0]:
        raise ValueError(f"y must have one label per image ({x.shape[0]}); got {len(y)}")
    with torch.no_grad():
        f = model.encoder.features(x).numpy()
    return PCA(n_components=2, random_state=0).fit_transform(f), np.asarray(y)


def _scatter_classes(fig, xy: np.ndarray, y: np.ndarray, n_classes: int) -> None:
    for c in range(n_classes):
        k = y == c
        if len(fig.data) > c:
            fig.data[c].x, fig.data[c].y = xy[k, 0], xy[k, 1]
        else:
            fig.add_scattergl(x=xy[k, 0], y=xy[k, 1], mode="markers", name=str(c),
                              marker=dict(size=5, color=COLORS[c % len(COLORS)] if c < len(COLORS) else None))


def explorer(data: Digits, *, runs: list[Run], cfg: TrainConfig, epochs: int = 6, eps: float = 0.05,
             method: str = "intnacl") -> Explorer:
    """Temperature τ, NaCl's positives, λ and ε against the embedding and the (standard,
    robust) point. `method` (one of FIGURE1) is the starting choice; the dropdown shows the
    display names (NAMES). Each new (method, τ, positives, λ) trains a tiny encoder on demand: seed 0,
    `epochs` (1..50) epochs of cfg's settings, about a second of CPU; encoders are memoised by those
    values (positives only for NaCl and IntNaCl, λ only for the integrated methods: elsewhere the control
    is greyed and left out of the key), so going back is instant. ε only re-attacks (FGSM, memoised too).
    The figure-1 plane shows the notebook's runs (mean over seeds, re-attacked at the chosen ε) beside the
    explored point."""
    data = check_digits("data", data)
    runs = _runs(runs)
    check_type("cfg", cfg, TrainConfig)
    epochs = check_int("epochs", epochs, lo=1, hi=50)
    eps = check_number("eps", eps, lo=0.0, hi=0.3)
    check_type("method", method, str)
    if method not in FIGURE1:
        raise ValueError(f"method must be one of {list(FIGURE1)}; got {method!r}")
    xtr, ytr, xte, yte = data.torch()
    by_name = {NAMES[m]: m for m in FIGURE1}
    controls = dict(method=dropdown("method", list(by_name), NAMES[method]),
                    tau=slider("temperature τ", cfg.tau, 0.1, 1.0, 0.05),
                    positives=int_slider("positives (NaCl)", min(cfg.positives, 4), 1, 4),
                    lam=slider("λ (adversarial weight)", cfg.lam, 0.0, 3.0, 0.25),
                    eps=slider("ε (attack)", eps, 0.0, 0.2, 0.005, unit="pixel"))
    emb = widget_figure(label("PC 1", "feature units"), label("PC 2", "feature units"),
                        title="Test embedding (PCA of the frozen features)", height=360)
    plane = widget_figure(label("standard accuracy", "%"), label("robust accuracy (FGSM)", "%"),
                          title="The figure-1 plane", height=360)
    order = list(dict.fromkeys(r.method for r in runs))
    for m in order:
        plane.add_scatter(x=[0], y=[0], mode="markers", name=f"{NAMES[m]} (notebook runs)",
                          marker=dict(size=11, symbol=SYMBOLS.get(m, "circle"), color=_color(m), opacity=0.5))
    plane.add_scatter(x=[0], y=[0], mode="markers", name="explored encoder",
                      marker=dict(size=18, symbol="star-open", color="black", line=dict(width=2)))
    readout = W.HTML()
    given = {(r.method, r.seed): r.model for r in runs}

    def train(m: str, tau: float, pos: int | None, lam: float | None):
        c0 = time.process_time()
        c = retune(cfg, epochs=epochs, tau=tau, positives=cfg.positives if pos is None else pos,
                   lam=cfg.lam if lam is None else lam)
        enc = pretrain(xtr, method=m, cfg=c, seed=0)
        return fit_probe(enc, xtr, ytr), time.process_time() - c0

    def attack(tag: tuple, e: float):
        model = given[tag] if tag in given else encoders(*tag)[0]
        std = accuracy(model, xte, yte)
        return std, (accuracy(model, xte, yte, eps=e) if e > 0 else std)

    def project(tag: tuple):
        return embedding_2d(encoders(*tag)[0], xte, yte.numpy())

    encoders, scores, pcas = Memo(train, MAX_CACHE), Memo(attack, 16 * MAX_CACHE), Memo(project, MAX_CACHE)
    ex = None

    def update() -> None:
        v = {k: w.value for k, w in controls.items()}
        v["method"] = m = by_name[v["method"]]
        uses_pos, uses_lam = m in ("nacl", "intnacl"), m.startswith("int")
        controls["positives"].disabled, controls["lam"].disabled = not uses_pos, not uses_lam
        key = (m, float(v["tau"]), v["positives"] if uses_pos else None, float(v["lam"]) if uses_lam else None)
        fresh = not encoders.holds(*key)
        if fresh:
            ex.busy(f"training a {NAMES[m]} encoder ({epochs} epochs)")
        model, cpu = encoders(*key)
        std, rob = scores(key, v["eps"])
        xy, yy = pcas(key)
        _scatter_classes(emb, xy, yy, data.n_classes)
        for i, mm in enumerate(order):
            pts = [scores((mm, r.seed), v["eps"]) for r in runs if r.method == mm]
            plane.data[i].x, plane.data[i].y = [np.mean([p[0] for p in pts])], [np.mean([p[1] for p in pts])]
        plane.data[-1].x, plane.data[-1].y = [std], [rob]
        plane.layout.yaxis.title.text = label(f"robust accuracy, FGSM ε = {v['eps']:g}", "%")
        readout.value = readout_table({
            "explored encoder": f"{NAMES[m]}, τ = {v['tau']:.2f}, "
                                + (f"positives = {v['positives']}" if uses_pos else "positives unused (greyed)")
                                + (f", λ = {v['lam']:.2f}" if uses_lam else ", λ unused (greyed)"),
            "standard accuracy": f"{std:.1f} %",
            f"robust accuracy (FGSM, ε = {v['eps']:g})": f"{rob:.1f} %",
            "training": f"{'trained now' if fresh else 'cached'}: {epochs} epochs, seed 0, {cpu:.2f} s CPU"})

    ex = Explorer(controls, [plane, emb], update, readout, title="NaCl explorer",
                  # ε re-attacks (FGSM) every notebook run's model at a new radius: a method run, not a redraw
                  recompute=("method", "tau", "positives", "lam", "eps"),
                  presets={"SimCLR": dict(method="SimCLR"), "IntNaCl, strong adversary": dict(method="IntNaCl", lam=2.0)})
    ex.refresh()
    return ex


def augment_figure(x, *, n_views: int = 5, seed: int = 0, aug: dict | None = None) -> go.Figure:
    """A mosaic: each row one image (first column) and n_views (1..10) random views of it,
    drawn by `augment` with `aug`'s settings (default ones when None). x: (R, 1, 8, 8), R <= 8."""
    import torch

    from .augment import n_views as views_of
    x = check_images("x", x)
    if x.shape[0] > 8:
        raise ValueError(f"x must hold at most 8 images; got {x.shape[0]}")
    n_views = check_int("n_views", n_views, lo=1, hi=10)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    if aug is not None:
        check_type("aug", aug, dict)
        unknown = set(aug) - {"shift_px", "rotate_deg", "scale", "noise"}
        if unknown:
            raise ValueError(f"aug must only hold shift_px, rotate_deg, scale, noise; got {sorted(unknown)}")
    try:
        v = views_of(x, n_views, generator=torch.Generator().manual_seed(seed), **(aug or {}))
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"aug: {exc}") from None
    tiles = torch.cat([x[None], v]).squeeze(2).numpy()                 # (1 + n_views, R, 8, 8)
    r, c = tiles.shape[1], tiles.shape[0]
    mosaic = np.full((r * 9 - 1, c * 9 - 1), np.nan)
    for i in range(r):
        for j in range(c):
            mosaic[i * 9:i * 9 + 8, j * 9:j * 9 + 8] = tiles[j, i]
    fig = figure(label("pixel column (original, then views)", "px"), label("pixel row", "px"),
                 title="Digits and their random views (shift, rotation, zoom, noise)", height=60 + 45 * r)
    fig.add_heatmap(z=mosaic, colorscale="gray_r", zmin=0, zmax=1, colorbar=dict(title="intensity [0, 1]"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x")
    return fig
