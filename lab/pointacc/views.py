"""Figures and the explorer of notebooks/08_pointacc.ipynb (the PointAcc cost model)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lab.core import plotting
from lab.core.checks import check_bool, check_choice, check_number, check_table, check_type

from .baselines import gpu_baselines
from .model import GPU, Accel, accel_cost, gpu_cost


# ---------------------------------------------------------------- figures and explorer
def breakdown_figure(costs: dict, what: str = "time") -> go.Figure:
    """Stacked bars per stage of {label: cost frame} for 'time' (ms) or 'energy' (mJ). A static figure;
    the explorer draws into live ones with `fill_breakdown`."""
    check_choice("what", what, ("time", "energy"))
    check_type("costs", costs, dict)
    if not costs or not all(isinstance(c, pd.DataFrame) and {"stage", what} <= set(c.columns) for c in costs.values()):
        raise ValueError("costs must map labels to accel_cost / gpu_cost tables")
    unit = "ms" if what == "time" else "mJ"
    fig = plotting.figure("design [–]", plotting.label("latency" if what == "time" else "energy", unit),
                          f"{'latency' if what == 'time' else 'energy'} by stage")
    fill_breakdown(fig, costs, what)
    return fig


def fill_breakdown(fig, costs: dict, what: str, log: bool = False) -> None:
    """Bars of each design's cost by stage: stacked on a linear axis, or side by side on a log axis (`log`),
    where a design 100x cheaper than the other stays visible and each bar's height is its own stage's.
    A figure that already holds these bars (a live one, redrawn) gets new heights only."""
    check_type("fig", fig, (go.Figure, go.FigureWidget))
    check_choice("what", what, ("time", "energy"))
    log = check_bool("log", log)
    check_type("costs", costs, dict)
    if not costs or not all(isinstance(c, pd.DataFrame) and {"stage", what} <= set(c.columns) for c in costs.values()):
        raise ValueError("costs must map labels to accel_cost / gpu_cost tables")
    stages = ("mapping", "gather", "matmul", "scatter", "static")
    ys = {s: [1e3 * float(c[c.stage == s][what].sum()) for c in costs.values()] for s in stages}
    if tuple(tr.name for tr in fig.data) == stages and all(tuple(tr.x) == tuple(costs) for tr in fig.data):
        for tr in fig.data:
            tr.y = ys[tr.name]
    else:
        fig.data = []
        for s in stages:
            fig.add_trace(go.Bar(name=s, x=list(costs), y=ys[s]))
    if fig.layout.barmode != ("group" if log else "stack"):
        fig.update_layout(barmode="group" if log else "stack")
    if fig.layout.yaxis.type != ("log" if log else "linear"):
        fig.update_yaxes(type="log" if log else "linear")


def dram_figure(df: pd.DataFrame):
    """Gather DRAM traffic [MB] against cache size [KB] per network (a `dram_curves` table)."""
    check_table("df", df, ("network", "cache_kb", "gather_MB"), what="a dram_curves table")
    fig = plotting.figure(plotting.label("feature cache", "KB"), plotting.label("gather DRAM traffic", "MB"),
                          "DRAM traffic of the gathers against cache size")
    for net, d in df.groupby("network"):
        x = np.maximum(d.cache_kb, 1)
        fig.add_trace(go.Scatter(x=x, y=d.gather_MB, name=net, mode="lines+markers"))
    fig.update_xaxes(type="log")
    return fig


#: the SRAM leakage options of the explorer: CACTI 7.0's 256 KB RAM at 45 nm with each transistor flavour
#: (rows of data/pointacc_gpu_baselines.csv), and none (dynamic energy only)
_LEAKAGE_ROWS = {"itrs-hp (high performance)": "leak_45hp_256", "itrs-lop (low operating power)": "leak_45lop_256",
                 "itrs-lstp (low standby power)": "leak_45lstp_256"}


def _leakage_options() -> dict:
    tab = gpu_baselines().set_index("id").value
    return {k: float(tab[r]) / 256 for k, r in _LEAKAGE_ROWS.items()} | {"none (dynamic energy only)": 0.0}


def explorer(nets: dict, gpu: GPU = GPU(), leakage: dict | None = None):
    """Cache size, matrix-unit size, DRAM bandwidth and SRAM leakage, with latency and energy bars of
    the accelerator and the GPU-like baseline for each network. leakage: {label: mW per KB} to choose
    from (default: CACTI's 45 nm 256 KB RAM with itrs-hp, itrs-lop and itrs-lstp cells, and none)."""
    from ipywidgets import HTML

    from lab.core import widgets as wd
    check_type("nets", nets, dict)
    if not nets:
        raise ValueError("nets must map at least one network name to its traced layers")
    check_type("gpu", gpu, GPU)
    leakage = _leakage_options() if leakage is None else leakage
    check_type("leakage", leakage, dict)
    if not leakage:
        raise ValueError("leakage must map at least one label to a leakage in mW per KB")
    leakage = {str(k): check_number("leakage", v, lo=0.0, hi=1e4) for k, v in leakage.items()}
    default_leak = min(leakage, key=lambda k: abs(leakage[k] - Accel().leakage_mw_per_kb))
    controls = dict(cache_kb=wd.slider("cache", 256, 0, 4, 0.25, "KB (log10)", log=True),
                    matrix=wd.dropdown("matrix unit (n × n)", [16, 32, 64, 128], 64),
                    bandwidth=wd.slider("DRAM bandwidth", 256, 16, 1024, 16, "GB/s"),
                    leakage=wd.dropdown("SRAM leakage (CACTI, 45 nm)", list(leakage), default_leak),
                    network=wd.dropdown("network", list(nets)),
                    energy_axis=wd.dropdown("energy axis", ["log, stages side by side", "linear, stacked"],
                                            "log, stages side by side"))
    f_t = plotting.widget_figure("design [–]", plotting.label("latency", "ms"), "latency by stage")
    f_e = plotting.widget_figure("design [–]", plotting.label("energy", "mJ"), "energy by stage")
    readout = HTML()

    @wd.memo(8)
    def gpu_costs(network: str):
        return gpu_cost(nets[network], gpu)

    @wd.memo(64)      # per (network, hardware): the energy axis and revisited settings only redraw
    def accel_costs(network: str, matrix: int, cache_kb: float, bandwidth: float, leak: str):
        hw = Accel(matrix=matrix, cache_kb=cache_kb, bandwidth=bandwidth, leakage_mw_per_kb=leakage[leak])
        return accel_cost(nets[network], hw)

    drawn = {}

    def update():
        key = (controls["network"].value, controls["matrix"].value, float(controls["cache_kb"].value),
               float(controls["bandwidth"].value), controls["leakage"].value)
        if not accel_costs.holds(*key):
            ex.busy("running the cost model over the network's layers")
        costs = {"accelerator": accel_costs(*key), "GPU-like": gpu_costs(key[0])}
        if drawn.get("time") != key:        # the energy axis leaves the latency bars as they are
            fill_breakdown(f_t, costs, "time")
            drawn["time"] = key
        # the GPU-like design spends orders of magnitude more energy: on a linear axis the accelerator's bar
        # vanishes, so the log axis (each stage's own bar) is the default
        log = controls["energy_axis"].value.startswith("log")
        fill_breakdown(f_e, costs, "energy", log=log)
        f_e.layout.title.text = f"energy by stage ({'log axis' if log else 'linear axis, stacked'})"
        acc, g = costs["accelerator"], costs["GPU-like"]     # the totals `compare` gives, from the costs above
        c = dict(speedup=g.time.sum() / acc.time.sum(), energy_saving=g.energy.sum() / acc.energy.sum(),
                 accel_dram=acc.dram_bytes.sum())
        static, total = float(acc[acc.stage == "static"].energy.sum()), float(acc.energy.sum())
        readout.value = wd.readout_table({
            "speedup (model)": f"{c['speedup']:.2f}×", "energy saving (model)": f"{c['energy_saving']:.1f}×",
            "accelerator energy": f"{1e3 * total:.3g} mJ, of which SRAM leakage {1e3 * static:.3g} mJ "
                                  f"({100 * static / total:.0f} %)" if total > 0 else "–",
            "accelerator DRAM": f"{c['accel_dram'] / 1e6:.1f} MB"})

    ex = wd.Explorer(controls, [f_t, f_e], update, readout, title="PointAcc model",
                     presets={"tiny cache": dict(cache_kb=1.0), "big array": dict(matrix=128, bandwidth=512.0)},
                     recompute=["cache_kb", "matrix", "bandwidth", "leakage", "network"])
    update()
    return ex
