"""Figures and the explorer of notebooks/08_pointacc.ipynb (the PointAcc cost model)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lab.core import plotting
from lab.core.checks import check_bool, check_choice, check_table, check_type

from .model import GPU, Accel, accel_cost, compare, gpu_cost


# ---------------------------------------------------------------- figures and explorer
def breakdown_figure(costs: dict, what: str = "time", widget: bool = False):
    """Stacked bars per stage of {label: cost frame} for 'time' (ms) or 'energy' (mJ)."""
    check_choice("what", what, ("time", "energy"))
    check_bool("widget", widget)
    check_type("costs", costs, dict)
    if not costs or not all(isinstance(c, pd.DataFrame) and {"stage", what} <= set(c.columns) for c in costs.values()):
        raise ValueError("costs must map labels to accel_cost / gpu_cost tables")
    unit = "ms" if what == "time" else "mJ"
    mk = plotting.widget_figure if widget else plotting.figure
    fig = mk("design [–]", plotting.label("latency" if what == "time" else "energy", unit),
             f"{'latency' if what == 'time' else 'energy'} by stage")
    fill_breakdown(fig, costs, what)
    return fig


def fill_breakdown(fig, costs: dict, what: str, log: bool = False) -> None:
    """Bars of each design's cost by stage: stacked on a linear axis, or side by side on a log axis (`log`),
    where a design 100x cheaper than the other stays visible and each bar's height is its own stage's."""
    fig.data = []
    for s in ("mapping", "gather", "matmul", "scatter", "static"):
        y = [1e3 * float(c[c.stage == s][what].sum()) for c in costs.values()]
        fig.add_trace(go.Bar(name=s, x=list(costs), y=y))
    fig.update_layout(barmode="group" if log else "stack")
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


def explorer(nets: dict, gpu: GPU = GPU()):
    """Cache size, matrix-unit size and DRAM bandwidth, with latency and energy bars of
    the accelerator and the GPU-like baseline for each network."""
    from ipywidgets import HTML

    from lab.core import widgets as wd
    controls = dict(cache_kb=wd.slider("cache", 256, 0, 4, 0.25, "KB (log10)", log=True),
                    matrix=wd.dropdown("matrix unit (n × n)", [16, 32, 64, 128], 64),
                    bandwidth=wd.slider("DRAM bandwidth", 256, 16, 1024, 16, "GB/s"),
                    network=wd.dropdown("network", list(nets)),
                    energy_axis=wd.dropdown("energy axis", ["log, stages side by side", "linear, stacked"],
                                            "log, stages side by side"))
    f_t = plotting.widget_figure("design [–]", plotting.label("latency", "ms"), "latency by stage")
    f_e = plotting.widget_figure("design [–]", plotting.label("energy", "mJ"), "energy by stage")
    readout = HTML()

    def update():
        hw = Accel(matrix=controls["matrix"].value, cache_kb=float(controls["cache_kb"].value),
                   bandwidth=float(controls["bandwidth"].value))
        layers = nets[controls["network"].value]
        costs = {"accelerator": accel_cost(layers, hw), "GPU-like": gpu_cost(layers, gpu)}
        fill_breakdown(f_t, costs, "time")
        # the GPU-like design spends orders of magnitude more energy: on a linear axis the accelerator's bar vanishes
        fill_breakdown(f_e, costs, "energy", log=controls["energy_axis"].value.startswith("log"))
        c = compare(layers, hw, gpu)
        readout.value = wd.readout_table({"speedup": f"{c['speedup']:.2f}×", "energy saving": f"{c['energy_saving']:.1f}×",
                                          "accelerator DRAM": f"{c['accel_dram'] / 1e6:.1f} MB"})

    ex = wd.Explorer(controls, [f_t, f_e], update, readout, title="PointAcc model",
                     presets={"tiny cache": dict(cache_kb=1.0), "big array": dict(matrix=128, bandwidth=512.0)})
    update()
    return ex
