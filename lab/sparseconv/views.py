"""Figures and the explorer of notebooks/13_sparseconv.ipynb (the sparse-convolution engine)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import torch

from lab.core import plotting
from lab.core.checks import check_bool, check_int, check_number, check_table, check_type
from lab.data.lidar import lidar_scene

from .functional import SparseTensor, check_coords, get_kernel_map, plan_groups
from .perf import STAGES, load_bench


# ---------------------------------------------------------------- figures
def scene_figure(coords: torch.Tensor, voxel_size: float = 0.05):
    """The scene's voxel centres (metres) as an Open3D point cloud coloured by height,
    shown through lab.core.viz3d (rotatable plotly)."""
    coords = check_coords("coords", coords, min_rows=1, max_rows=2_000_000)
    voxel_size = check_number("voxel_size", voxel_size, lo=1e-4, hi=100.0)
    from lab.core import viz3d
    o3d = viz3d.open3d()
    p = (coords[:, 1:].numpy() + 0.5) * voxel_size
    h = (p[:, 2] - p[:, 2].min()) / max(1e-9, np.ptp(p[:, 2]))
    cols = np.stack([h, 0.3 + 0.4 * (1 - h), 1 - h], 1)
    if o3d is None:
        fig = go.Figure(go.Scatter3d(x=p[:, 0], y=p[:, 1], z=p[:, 2], mode="markers",
                                     marker=dict(size=1.5, color=h, colorscale="Viridis")))
        fig.update_layout(scene=dict(aspectmode="data", xaxis_title="x [m]", yaxis_title="y [m]",
                                     zaxis_title="z [m]"), height=420)
        return fig
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(p))
    pc.colors = o3d.utility.Vector3dVector(cols)
    return viz3d.to_plotly([pc], title=f"LiDAR-like scene: {len(p)} voxels of {voxel_size * 100:.0f} cm",
                           marker_size=1.5, height=420)



def stage_figure(df: pd.DataFrame, title: str = "time per stage", widget: bool = False):
    """Stacked bars of per-stage time (ms) per engine and size (df: a `benchmark` table)."""
    check_table("df", df, ("voxels", "channels", "engine", "total", *STAGES), what="a benchmark table")
    check_type("title", title, str)
    check_bool("widget", widget)
    mk = plotting.widget_figure if widget else plotting.figure
    fig = mk("engine @ voxels, channels [–]", plotting.label("CPU time", "ms"), title)
    fill_stage_bars(fig, df)
    return fig


def fill_stage_bars(fig, df: pd.DataFrame) -> None:
    x = [f"{r.engine} @ {r.voxels // 1000}k, {r.channels}" for r in df.itertuples()]
    data = [go.Bar(name=s, x=x, y=df[s].fillna(0).tolist()) for s in STAGES]
    if "spconv" in set(df.engine):
        other = np.where(df.engine == "spconv", df.total, 0.0)
        data.append(go.Bar(name="spconv (all stages)", x=x, y=other.tolist()))
    fig.data = []
    for d in data:
        fig.add_trace(d)
    fig.update_layout(barmode="stack")


def kernel_map_figure(coords: torch.Tensor, n_outputs: int = 80):
    """The kernel map of a 3x3x3 submanifold conv as an image: offset (row) x output voxel
    (column); a cell is coloured by the input row it reads, blank when no input exists;
    plus the map size of every offset."""
    from plotly.subplots import make_subplots
    coords = check_coords("coords", coords, min_rows=1, max_rows=2_000_000)
    n_outputs = check_int("n_outputs", n_outputs, lo=1, hi=2000)
    x = SparseTensor(coords, torch.zeros(coords.shape[0], 1), check=False)
    km = get_kernel_map(x, 3)[0]
    order = torch.argsort(x.keys())[:n_outputs]
    sel = torch.full((coords.shape[0],), -1, dtype=torch.int64)
    sel[order] = torch.arange(order.numel())
    img = np.full((27, order.numel()), np.nan)
    for k in range(27):
        ii, oi = km.pairs(k)
        m = sel[oi] >= 0
        img[k, sel[oi[m]].numpy()] = ii[m].numpy()
    fig = make_subplots(rows=1, cols=2, column_widths=[0.72, 0.28], horizontal_spacing=0.08)
    fig.add_trace(go.Heatmap(z=img, colorscale="Viridis", showscale=False,
                             hovertemplate="offset %{y}, output %{x}: input %{z}<extra></extra>"), 1, 1)
    fig.add_trace(go.Bar(x=km.sizes.numpy(), y=list(range(27)), orientation="h", showlegend=False), 1, 2)
    fig.update_layout(template=plotting.TEMPLATE_NAME, height=420,
                      title="kernel map: which input each offset reads, per output voxel")
    plotting.label_axes(fig, xaxis="output voxel (sorted by key) [index]", yaxis="kernel offset [index]",
                        xaxis2="pairs in the map [count]", yaxis2="kernel offset [index]")
    return fig


def tradeoff_figure(df: pd.DataFrame):
    """Redundant FLOPs and matmul calls against eps (df: a `grouping_plans` table; the
    separate path, eps = -1, is the reference line of the calls)."""
    check_table("df", df, ("eps", "redundant_flops_pct", "calls"), what="a grouping_plans table")
    sep = df[df.eps < 0]
    grp = df[df.eps >= 0]
    if grp.empty:
        raise ValueError("df must hold at least one grouping plan (eps >= 0); it holds only the separate path")
    fig = plotting.figure(plotting.label("ε (grouping tolerance)", ""), plotting.label("value", "–"),
                          "adaptive grouping: redundant work against matmul calls (counted, not timed)")
    fig.add_trace(go.Scatter(x=grp.eps, y=grp.redundant_flops_pct / 100, name="redundant FLOPs / useful"))
    base = float(sep.calls.iloc[0]) if len(sep) else float(grp.calls.max())
    fig.add_trace(go.Scatter(x=grp.eps, y=grp.calls / base, name="matmul calls / separate path's"))
    return fig


def plan_figure(coords: torch.Tensor, eps: float = 0.3, S: int = 1 << 30, title: str | None = None,
                widget: bool = False):
    """Rows each matmul call of a 3x3x3 submanifold layer on `coords` computes under the
    grouping plan (eps, S): useful rows (map pairs) and padding rows, one bar per call
    (the centre offset first). Counted from the kernel map, no timing."""
    coords = check_coords("coords", coords, min_rows=1, max_rows=2_000_000)
    eps = check_number("eps", eps, lo=-1.0, hi=1.0)
    S = check_int("S", S, lo=0, hi=1 << 40)
    check_bool("widget", widget)
    mk = plotting.widget_figure if widget else plotting.figure
    fig = mk("matmul call [index]", plotting.label("rows", "count"),
             title or f"rows per matmul call, ε = {eps:g}, S = {S:g}")
    fill_plan_bars(fig, coords, eps, S)
    return fig


def fill_plan_bars(fig, coords: torch.Tensor, eps: float, S: int):
    km = get_kernel_map(SparseTensor(coords, torch.zeros(coords.shape[0], 1), check=False), 3)[0]
    plan = plan_groups(km, eps, S)
    sizes = km.sizes
    useful, pad, names = [int(sizes[km.identity_offset])], [0], ["centre"]
    for g, b in zip(plan.groups, plan.batched):
        if b:
            useful.append(int(sizes[g].sum()))
            pad.append(int(sizes[g].max()) * len(g) - useful[-1])
            names.append(f"batch of {len(g)}")
        else:
            for k in g:
                useful.append(int(sizes[k]))
                pad.append(0)
                names.append(f"offset {k}")
    x = list(range(len(useful)))
    fig.data = []
    fig.add_trace(go.Bar(name="useful rows", x=x, y=useful, text=names, hovertemplate="%{text}: %{y}<extra></extra>"))
    fig.add_trace(go.Bar(name="padding rows", x=x, y=pad))
    fig.update_layout(barmode="stack")
    return km, plan


def movement_figure(dm: pd.DataFrame):
    """Modelled bytes moved [MB] per stage and scheme (dm: a `data_movement` table)."""
    check_table("dm", dm, ("scheme", "stage", "bytes"), what="a data_movement table")
    fig = plotting.figure("scheme [–]", plotting.label("data moved", "MB"), "modelled memory traffic per stage")
    for st in ("gather", "matmul", "scatter"):
        d = dm[dm.stage == st]
        fig.add_trace(go.Bar(name=st, x=d.scheme, y=d.bytes / 1e6))
    fig.update_layout(barmode="stack")
    return fig


# ---------------------------------------------------------------- explorer
def explorer(sizes=(2000, 6000, 12000), seed: int = 0, bench=None):
    """ε, S and the scene size: the rows each matmul call computes under the grouping plan
    (counted from the kernel map, no timing), and the measured stage times of the
    committed benchmark table (`bench`: a (table, meta) pair as `load_bench` returns;
    default the committed file) at the benchmark size nearest the scene. Nothing is timed
    live: the explorer's numbers do not move with the machine's load."""
    from lab.core import widgets as wd
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError("sizes must be a non-empty sequence of scene sizes (voxels)")
    sizes = [check_int("sizes", n, lo=10, hi=200_000) for n in sizes]
    if not sizes:
        raise ValueError("sizes must be a non-empty sequence of scene sizes (voxels)")
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    bdf, meta = load_bench() if bench is None else bench
    bdf = check_table("bench", bdf, ("voxels", "channels", "engine", "total", *STAGES), what="a benchmark table")
    check_type("bench meta", meta, dict)
    scenes = {}

    def scene(n):
        if n not in scenes:
            scenes[n] = lidar_scene(n, seed)
        return scenes[n]

    controls = dict(eps=wd.slider("ε", 0.3, 0.0, 1.0, 0.05),
                    S=wd.slider("S (batched rows)", 1e6, 2, 7, 0.25, "rows", log=True),
                    voxels=wd.dropdown("scene voxels", list(sizes), sizes[min(1, len(sizes) - 1)]),
                    bench_voxels=wd.dropdown("benchmark size (measured)", sorted(set(int(v) for v in bdf.voxels)),
                                             int(bdf.voxels.min())))
    fig = plotting.widget_figure("matmul call [index]", plotting.label("rows", "count"),
                                 "rows per matmul call (counted from the kernel map)")
    bars = plotting.widget_figure("engine @ voxels, channels [–]", plotting.label("CPU time", "ms"),
                                  f"measured stage times (committed benchmark, {meta.get('date', 'date unknown')})")
    readout = __import__("ipywidgets").HTML()

    def update():
        n, eps, S = controls["voxels"].value, controls["eps"].value, int(controls["S"].value)
        km, plan = fill_plan_bars(fig, scene(n), eps, S)
        sep = plan_groups(km, -1.0, S)
        calls = 1 + sum(1 if b else len(g) for g, b in zip(plan.groups, plan.batched))
        nb = controls["bench_voxels"].value
        sel = bdf[bdf.voxels == nb].reset_index(drop=True)
        fill_stage_bars(bars, sel)
        tot = sel.set_index(["channels", "engine"])["total"]
        meas = ", ".join(f"{c} ch: {tot[(c, 'separate')] / tot[(c, 'grouped (tuned)')]:.2f}×"
                         for c in sorted(set(sel.channels))
                         if (c, "separate") in tot and (c, "grouped (tuned)") in tot)
        readout.value = wd.readout_table({
            "groups (batched)": f"{len(plan.groups)} ({sum(plan.batched)})",
            "matmul calls": f"{calls} (separate path: {1 + len(sep.groups)})",
            "redundant rows": f"{100 * plan.redundant_rows(km.sizes) / km.volume:.1f} % of useful",
            f"measured separate / tuned at {nb} voxels": meas or "–",
            "measured on": meta.get("machine", "unknown machine")})

    ex = wd.Explorer(controls, [fig, bars], update, readout, title="TorchSparse adaptive grouping",
                     presets={"no batching": dict(eps=0.0, S=100.0), "aggressive": dict(eps=1.0, S=1e7)})
    update()
    return ex
