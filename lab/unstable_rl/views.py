"""Figures and the explorer of notebooks/16_unstable_rl.ipynb."""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lab.core.checks import check_array, check_int, check_table, check_type
from lab.core.plotting import COLORS, figure, label, widget_figure
from lab.core.widgets import Explorer, Memo, dropdown, readout_table, slider

from .lqr import trajectory
from .methods import METHODS, Run, run
from .systems import LQR, random_unstable


def _gap_curve(r: Run) -> np.ndarray:
    g = r.gaps.astype(float)
    return np.where(np.isfinite(g), np.maximum(g, 1e-16), np.nan)


def cost_figure(runs: list, title: str = "Cost against iteration") -> "go.Figure":
    """(C − C*)/C* against iteration (log scale) for each Run; gaps are missing while the
    policy does not stabilise the plant (infinite cost), and the legend gives each status."""
    check_type("runs", runs, (list, tuple))
    fig = figure(label("iteration", "1"), label("relative cost gap (C − C*)/C*", "1"), title=title)
    for i, r in enumerate(runs):
        check_type("runs[i]", r, Run)
        fig.add_scatter(x=np.arange(len(r.costs)), y=_gap_curve(r), mode="lines+markers", marker_size=3,
                        name=f"{r.method}: {r.status}" + (f" ({r.iters} it.)" if r.iters >= 0 else ""),
                        line_color=COLORS[i % len(COLORS)])
    fig.add_hline(y=1e-3, line_dash="dot", annotation_text="target 1e-3")
    fig.update_yaxes(type="log")
    return fig


def trajectory_figure(sys: LQR, runs: list, x0=None, steps: int = 60) -> "go.Figure":
    """‖x_t‖ of the closed loop under each run's last gain (log scale), from x0 (default all ones)."""
    check_type("sys", sys, LQR)
    check_type("runs", runs, (list, tuple))
    steps = check_int("steps", steps, lo=1, hi=10_000)
    for r in runs:
        check_type("runs[i]", r, Run)
    x0 = np.ones(sys.n) if x0 is None else check_array("x0", x0, shape=(sys.n,))
    fig = figure(label("time step t", "1"), label("state norm ‖x_t‖", "1"), title="Closed-loop trajectories")
    fig.add_scatter(x=np.arange(steps + 1), y=np.linalg.norm(trajectory(sys, np.zeros((sys.m, sys.n)), x0, steps),
                                                             axis=1), name="open loop (K = 0)",
                    line=dict(color="#888", dash="dash"))
    for i, r in enumerate(runs):
        xs = trajectory(sys, r.K, x0, steps)
        fig.add_scatter(x=np.arange(steps + 1), y=np.linalg.norm(xs, axis=1), name=r.method,
                        line_color=COLORS[i % len(COLORS)])
    fig.update_yaxes(type="log")
    return fig


def success_figure(table: pd.DataFrame) -> "go.Figure":
    """Success rate per method (bars, ± std over sets) from methods.success_table."""
    check_table("table", table, ("success_mean", "success_std"), what="a success_table")
    fig = figure(label("method", "1"), label("systems reaching (C − C*)/C* < 1e-3", "%"),
                 title="Success from K = 0 on the random unstable systems")
    fig.add_bar(x=list(table.index), y=100 * table.success_mean, error_y=dict(array=100 * table.success_std.fillna(0)))
    return fig


def instability_figure(df: pd.DataFrame) -> "go.Figure":
    """Iterations to the target against ρ(A), one colour per method (successful runs only)."""
    check_table("df", df, ("method", "iters", "rho"), what="a benchmark_sets table")
    fig = figure(label("open-loop spectral radius ρ(A)", "1"), label("iterations to (C − C*)/C* < 1e-3", "1"),
                 title="How the iteration count grows with the instability")
    for i, m in enumerate(df.method.unique()):
        d = df[(df.method == m) & (df.iters >= 0)]
        if len(d):
            fig.add_scatter(x=d.rho, y=d.iters, mode="markers", name=m, marker_color=COLORS[i % len(COLORS)])
    fig.update_yaxes(type="log")
    return fig


def _no_cost_note(method: str) -> str:
    what = "vanilla policy gradient diverges here" if method.startswith("vanilla") else f"{method} never stabilises the plant here"
    return f"{what}:<br>infinite cost, nothing to plot"


# below this trial step adaptive PI's Gauss-Newton steps spend the whole iteration budget without stabilising
# the plant (measured: 1-3 s of CPU per run at 1e-4..1e-3, every ρ), so the explorer runs it at 1e-2 there
ADAPTIVE_MIN_STEP = 1e-2
# methods whose steps ignore the line-search switch (their own halving, or the model-free estimate)
NO_BACKTRACK = ("adaptive PI", "model-free vanilla")


def explorer(n: int = 3, m: int = 1, seed: int = 0, max_iter: int = 300) -> Explorer:
    """Instability ρ(A), method and step size -> cost against iteration and closed-loop
    trajectories, on one random system (n states, m inputs) rescaled to the chosen ρ. Every run is
    memoised by (ρ, method, step, line search); the line-search switch is greyed (and left out of the key)
    where the method ignores it, and adaptive PI runs a step below 1e-2 at 1e-2 (ADAPTIVE_MIN_STEP; the readout
    says so)."""
    n = check_int("n", n, lo=1, hi=8)
    m = check_int("m", m, lo=1, hi=n)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    max_iter = check_int("max_iter", max_iter, lo=1, hi=5000)
    base = random_unstable(n, m, 1.2, seed)
    controls = {"rho": slider("instability ρ(A)", 1.2, 1.05, 1.5, 0.01),
                "method": dropdown("method", [x for x in METHODS if x != "model-free annealing"], "adaptive PI"),
                "step": slider("step size η", 0.5, -5, 0, 0.25, log=True),
                "backtrack": W.Checkbox(value=True, description="backtracking line search")}

    def solve(rho: float, method: str, step: float, backtrack: bool | None):
        sys = base.with_rho(rho)
        return sys, run(sys, method, step=step, backtrack=True if backtrack is None else backtrack,
                        max_iter=max_iter)

    runs = Memo(solve, maxsize=256)
    f1 = widget_figure(label("iteration", "1"), label("relative cost gap (C − C*)/C*", "1"), title="Cost")
    f1.add_scatter(x=[0], y=[np.nan], mode="lines+markers", marker_size=3, name="gap")
    f1.add_hline(y=1e-3, line_dash="dot")
    f1.update_yaxes(type="log")
    # a note in place of an empty axis when every cost is infinite (the policy never stabilises)
    f1.add_annotation(text="", xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
                      font=dict(size=15, color=COLORS[1]), bgcolor="rgba(255,255,255,0.85)")
    f2 = widget_figure(label("time step t", "1"), label("state norm ‖x_t‖", "1"), title="Closed loop, last gain")
    f2.add_scatter(x=[0], y=[1.0], name="open loop", line=dict(color="#888", dash="dash"))
    f2.add_scatter(x=[0], y=[1.0], name="last gain")
    f2.update_yaxes(type="log")
    readout = W.HTML()
    ex = None

    def update() -> None:
        method = controls["method"].value
        # adaptive PI's Gauss-Newton steps and the model-free method always take their own steps: the
        # switch would change nothing there, so it is greyed
        controls["backtrack"].disabled = method in NO_BACKTRACK
        step = float(controls["step"].value)
        floor = method == "adaptive PI" and step < ADAPTIVE_MIN_STEP
        key = (float(controls["rho"].value), method, ADAPTIVE_MIN_STEP if floor else step,
               None if method in NO_BACKTRACK else bool(controls["backtrack"].value))
        if not runs.holds(*key):
            ex.busy(f"running {method} (at most {max_iter} iterations)")
        sys, r = runs(*key)
        gaps = _gap_curve(r)
        f1.data[0].x, f1.data[0].y = np.arange(len(r.costs)), gaps
        f1.layout.annotations[0].text = "" if np.isfinite(gaps).any() else _no_cost_note(r.method)
        x0 = np.ones(sys.n)
        t = np.arange(61)
        f2.data[0].x, f2.data[0].y = t, np.linalg.norm(trajectory(sys, np.zeros((sys.m, sys.n)), x0, 60), axis=1)
        f2.data[1].x, f2.data[1].y = t, np.linalg.norm(trajectory(sys, r.K, x0, 60), axis=1)
        gap = r.gaps[-1]
        readout.value = readout_table({"status": r.status + (f" (adaptive PI ran at its smallest step, "
                                                             f"{ADAPTIVE_MIN_STEP:g})" if floor else ""),
                                       "iterations to 1e-3": str(r.iters) if r.iters >= 0 else "never",
                                       "final (C − C*)/C*": f"{gap:.3g}" if np.isfinite(gap) else "∞ (not stabilising)",
                                       "ρ(A − BK), last gain": f"{np.max(np.abs(np.linalg.eigvals(sys.A - sys.B @ r.K))):.3f}"})

    ex = Explorer(controls, [f1, f2], update, readout, title="Policy gradient on an unstable LQR",
                  recompute=("rho", "method", "step", "backtrack"),
                  presets={"vanilla, fixed step": {"method": "vanilla (γ fixed)", "step": 1e-3, "backtrack": False},
                           "adaptive PI": {"method": "adaptive PI", "step": 0.5, "backtrack": True}})
    ex.refresh()
    return ex
