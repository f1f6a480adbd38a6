"""Figures and the frame-scrubber explorer of notebooks/11_ufm.ipynb (Uncertainty from
Motion, S. Sudhakar, S. Karaman, V. Sze, ICRA 2022). The computations live in `method.py`."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..core import plotting
from ..core.checks import check_str_choice, check_choice, check_int, check_type
from ..core.plotting import COLORS, label
from ..core.widgets import Explorer, dropdown, figure_widget, int_slider, memo, readout_table
from .method import METHODS, Comparison, per_frame_nll
from .metrics import calibration_curve, gaussian_nll
from .net import Ensemble, predict

METHOD_COLORS = dict(zip(METHODS, COLORS))


def calibration_figure(comparison: Comparison, layout: str = "ood") -> go.Figure:
    """Observed against expected coverage of the central confidence intervals, per method,
    pooled over the seeds of one layout. The diagonal is perfect calibration."""
    check_type("comparison", comparison, Comparison)
    layouts = sorted({k[0] for k in comparison.sequences})
    layout = check_str_choice("layout", layout, layouts)
    fig = plotting.figure(label("expected coverage", ""), label("observed coverage", ""),
                          title=f"Calibration, {layout} sequences")
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color="#999", dash="dot"), name="calibrated")
    for m in METHODS:
        seqs = [(fr, runs[m]) for (lay, _), (fr, runs) in comparison.sequences.items() if lay == layout]
        pred = np.concatenate([r.depth for _, r in seqs])
        var = np.concatenate([r.var for _, r in seqs])
        target = np.concatenate([fr.depth for fr, _ in seqs])
        lv, obs = calibration_curve(pred, var, target)
        fig.add_scatter(x=lv, y=obs, mode="lines+markers", name=m, line=dict(color=METHOD_COLORS[m]))
    fig.update_layout(xaxis_range=[0, 1], yaxis_range=[0, 1])
    return fig


def nll_figure(comparison: Comparison) -> go.Figure:
    """NLL per method and layout: mean over seeds with the standard deviation as error bars."""
    check_type("comparison", comparison, Comparison)
    t = comparison.table
    fig = plotting.figure(label("sequence", ""), label("NLL", "nats/pixel"),
                          title="Uncertainty quality (lower is better)")
    for m in METHODS:
        g = t[t.method == m].groupby("layout", sort=False)["nll"]
        fig.add_bar(x=list(g.mean().index), y=g.mean().to_numpy(), error_y=dict(array=g.std(ddof=0).to_numpy()),
                    name=m, marker_color=METHOD_COLORS[m])
    fig.update_layout(barmode="group")
    return fig


PANELS = ("image", "depth (UfM's member)", "|error|",
          "σ aleatoric", "σ ensemble", "σ ensemble-UfM")


def _members(ensemble: Ensemble, comparison: Comparison):
    """Each member's depth and variance on every frame of every sequence, computed once (one batched
    inference per member and sequence): (layout, seed) -> (mu [N, T, H, W], var [N, T, H, W]) in float32."""
    @memo(len(comparison.sequences))
    def outputs(layout, seed):
        fr, _ = comparison.sequences[(layout, seed)]
        outs = [predict(net, fr.gray) for net in ensemble.nets]
        return (np.stack([o[0] for o in outs]).astype(np.float32), np.stack([o[1] for o in outs]).astype(np.float32))
    return outputs


def _mixture(mu: np.ndarray, var: np.ndarray):
    """The moments of the equally weighted mixture of the members on axis 0 (as run_method's "ensemble")."""
    m = mu.mean(0, dtype=np.float64)
    return m, np.maximum((var + mu.astype(np.float64) ** 2).mean(0) - m ** 2, 1e-12)


def explorer(comparison: Comparison, seed: int | None = None, frame: int = 0,
             ensemble: Ensemble | None = None) -> Explorer:
    """The frame scrubber: for one sequence (in or out of distribution) and one frame, the
    image, ensemble-UfM's predicted depth (the current member's), its absolute error and
    the three uncertainty maps (standard deviation in m, shared colour scale); below, the
    per-frame NLL of each method, where UfM's improves as frames accumulate.

    ensemble: the comparison's ensemble (its N members); given, a "members" control (2..N) shows the
    ensemble of the first k members: its σ map, its per-frame NLL and its time per frame (k inferences at
    the per-inference time the comparison measured). Each member's outputs on a sequence are computed once,
    the first time the sequence is shown with fewer than N members; a change of k averages them again."""
    check_type("comparison", comparison, Comparison)
    if ensemble is not None:
        check_type("ensemble", ensemble, Ensemble)
        if ensemble.n != comparison.n_members:
            raise ValueError(f"ensemble must be the comparison's ({comparison.n_members} members); "
                             f"got {ensemble.n} members")
    keys = list(comparison.sequences)
    layouts = list(dict.fromkeys(k[0] for k in keys))
    seeds = sorted({k[1] for k in keys})
    seed = seeds[0] if seed is None else check_choice("seed", seed, seeds)
    n_frames = len(comparison.sequences[keys[0]][0].gray)
    frame = check_int("frame", frame, lo=0, hi=n_frames - 1)
    curves = {k: {m: per_frame_nll(r, fr) for m, r in runs.items()}
              for k, (fr, runs) in comparison.sequences.items()}
    # the gaps leave room for the tick labels between the maps: a map's u ticks above the title of the map below
    # it (vertical), its v ticks beside the map to its left (horizontal); axis titles on the outer edges only
    base = make_subplots(rows=2, cols=3, subplot_titles=PANELS, horizontal_spacing=0.08, vertical_spacing=0.2)
    base.update_annotations(font_size=13)
    for i in range(6):
        base.add_heatmap(z=np.zeros((2, 2)), row=i // 3 + 1, col=i % 3 + 1, coloraxis="coloraxis2" if i >= 3 else
                         ("coloraxis" if i in (1, 2) else None), colorscale="gray" if i == 0 else None,
                         showscale=False)
    base.update_layout(coloraxis=dict(colorscale="Viridis", colorbar=dict(title="m", x=1.0, y=0.78, len=0.4)),
                       coloraxis2=dict(colorscale="Magma", colorbar=dict(title="σ [m]", x=1.0, y=0.22, len=0.4)),
                       height=560, template=plotting.TEMPLATE_NAME, margin=dict(l=60, r=20, t=40, b=50))
    base.update_yaxes(autorange="reversed", scaleanchor=None)
    # axis titles on the outer edges only: the bottom row's u, the left column's v (a u title under every map sat
    # on the subplot title of the map below it, and a v title inside the neighbouring map)
    axes = {}
    for i in range(6):
        sfx = "" if i == 0 else str(i + 1)
        if i >= 3:
            axes[f"xaxis{sfx}"] = label("u", "px")
        if i % 3 == 0:
            axes[f"yaxis{sfx}"] = label("v", "px")
    plotting.label_axes(base, **axes)
    maps = figure_widget(base)
    curve = plotting.widget_figure(label("frame", ""), label("NLL", "nats/pixel"),
                                   title="Per-frame NLL (ensemble-UfM: member i mod N at frame i)", height=300)
    for m in METHODS:
        curve.add_scatter(x=[], y=[], mode="lines+markers", name=m, line=dict(color=METHOD_COLORS[m]))
    curve.add_scatter(x=[], y=[], mode="markers", marker=dict(size=14, symbol="circle-open", color="#000"),
                      name="this frame")
    controls = {"sequence": dropdown("sequence", layouts, layouts[0]),
                "seed": dropdown("seed", seeds, seed),
                "frame": int_slider("frame", frame, 0, n_frames - 1)}
    n_all = comparison.n_members
    if ensemble is not None and n_all > 2:
        controls["members"] = int_slider("ensemble members", n_all, 2, n_all)
        outputs = _members(ensemble, comparison)
    # the ensemble's time per frame: k x its measured time per inference (over the comparison's timed frames)
    ens_runs = [runs["ensemble"] for _, runs in comparison.sequences.values()]
    ms_infer = float(np.mean([1e3 * r.infer_s / (r.timed_frames * n_all) for r in ens_runs]))
    ms_ufm = float(comparison.table[comparison.table.method == "ensemble-UfM"].ms_per_frame.mean())
    readout = W_html()

    @memo(64)
    def subset(layout, seed_, k):
        # the k-member ensemble on the whole sequence: its variance maps and per-frame NLL
        fr, runs = comparison.sequences[(layout, seed_)]
        if k == n_all:
            return runs["ensemble"].var, curves[(layout, seed_)]["ensemble"]
        mu, var = outputs(layout, seed_)
        m, v = _mixture(mu[:k], var[:k])
        return v, np.array([gaussian_nll(m[j], v[j], fr.depth[j]) for j in range(len(m))])

    def update():
        key = (controls["sequence"].value, controls["seed"].value)
        i = controls["frame"].value
        km = controls["members"].value if "members" in controls else n_all
        fr, runs = comparison.sequences[key]
        if km != n_all and not outputs.holds(*key):
            ex.busy(f"running the {n_all} members on this sequence once")
        ens_var, ens_nll = subset(*key, km)
        u = runs["ensemble-UfM"]
        valid = fr.depth[i] > 0
        err = np.where(valid, np.abs(u.depth[i] - fr.depth[i]), np.nan)
        sig = [np.sqrt(ens_var[i] if m == "ensemble" else runs[m].var[i]) for m in METHODS]
        zs = [fr.gray[i], u.depth[i], err, *sig]
        for k, z in enumerate(zs):
            maps.data[k].z = z
        dmax = float(max(fr.depth.max(), u.depth.max()))
        smax = float(np.nanpercentile(np.stack(sig), 99))
        maps.layout.coloraxis.cmin, maps.layout.coloraxis.cmax = 0.0, dmax
        maps.layout.coloraxis2.cmin, maps.layout.coloraxis2.cmax = 0.0, smax
        c = {**curves[key], "ensemble": ens_nll}
        title = f"σ ensemble ({km} of {n_all})" if km != n_all else PANELS[4]
        if maps.layout.annotations[4].text != title:       # only when the ensemble size changes
            maps.layout.annotations[4].text = title
            curve.data[METHODS.index("ensemble")].name = f"ensemble ({km})" if km != n_all else "ensemble"
        x = np.arange(n_frames)
        for k, m in enumerate(METHODS):
            curve.data[k].x, curve.data[k].y = x, c[m]
        curve.data[-1].x = [i] * len(METHODS)
        curve.data[-1].y = [c[m][i] for m in METHODS]
        rows = {f"NLL {m}": f"{c[m][i]:.3f} nats/px" for m in METHODS}
        rows.update({f"mean σ {m}": f"{float(np.mean(s[valid])):.3f} m" for m, s in zip(METHODS, sig)})
        rows["ensemble member run"] = f"{i % n_all} of {n_all}"
        rows["UfM cloud"] = f"{int(u.points[i])} points"
        rows[f"time per frame, ensemble of {km}"] = (f"{km * ms_infer:.2f} ms ({km} inferences × {ms_infer:.2f} ms "
                                                    "measured per inference; CPU)")
        rows["time per frame, ensemble-UfM"] = f"{ms_ufm:.2f} ms (measured: 1 inference + UfM's merge)"
        readout.value = readout_table(rows)

    ex = Explorer(controls, [maps, curve], update, readout=readout,
                  title="Frame scrubber: depth and uncertainty",
                  recompute=["members"] if "members" in controls else ())
    ex.refresh()
    return ex


def W_html():
    import ipywidgets as W
    return W.HTML()
