"""Figures and the explorer of notebooks/07_mcunet.ipynb (MCUNetV2 patch-based
inference); the analysis itself is in `lab.mcunet.patches`."""
from __future__ import annotations

from typing import Sequence

import pandas as pd
import plotly.graph_objects as go

from lab.core import checks, plotting
from lab.core.nets import mobilenet_v2_specs

from .patches import (KB, PatchPlan, block_table, demo_image, mac_overhead, patch_peak_memory, peak_memory,
                      plan_patches, redistributed_specs, split_sizes)


def profile_figure(table: pd.DataFrame, sram_kb: float = 256.0) -> go.Figure:
    """Per-block peak memory bars (a `block_table`), layer- and patch-based, with the SRAM budget line."""
    checks.check_table("table", table, ("block", "layer_kB", "patch_kB"), what="a block_table")
    sram_kb = checks.check_positive("sram_kb", sram_kb)
    fig = plotting.figure(plotting.label("block", ""), plotting.label("peak memory (int8)", "kB"),
                          title="MobileNetV2 per-block peak memory", height=360)
    fig.add_bar(x=list(table.block), y=list(table.layer_kB), name="layer-based", marker_color="#9aa0a6")
    fig.add_bar(x=list(table.block), y=list(table.patch_kB), name="patch-based", marker_color="#1f77b4")
    fig.add_hline(y=sram_kb, line_dash="dash", line_color="#d62728", annotation_text=f"SRAM {sram_kb:g} kB")
    return fig.update_layout(barmode="group")


def sweep_figure(sweeps: dict[str, pd.DataFrame]) -> go.Figure:
    """Peak memory [kB] against MAC overhead [%] over grid sizes, one line per network
    (sweeps: name -> a `grid_sweep` table)."""
    checks.check_type("sweeps", sweeps, dict)
    for name, df in sweeps.items():
        checks.check_table(f"sweeps[{name!r}]", df, ("grid", "peak_kB", "overhead_pct"), what="a grid_sweep table")
    fig = plotting.figure(plotting.label("MAC overhead", "%"), plotting.label("patch-based peak memory", "kB"),
                          title="Grid sweep: memory against recomputation (labels: grid n)", height=360)
    for name, df in sweeps.items():
        fig.add_scatter(x=list(df.overhead_pct), y=list(df.peak_kB), mode="lines+markers+text", name=name,
                        text=[f"{g}" for g in df.grid], textposition="top center")
    return fig


# ----------------------------------------------------------------------------- explorer
def _grid_shapes(plans: Sequence[PatchPlan], stride: int, resolution: int, focus: int) -> list[dict]:
    shapes = []
    for p in plans:  # the non-overlapping tiles, mapped to input pixels
        o = p.output_region
        shapes.append(dict(type="rect", x0=o[2] * stride - 0.5, x1=min(o[3] * stride, resolution) - 0.5,
                           y0=o[0] * stride - 0.5, y1=min(o[1] * stride, resolution) - 0.5,
                           line=dict(color="white", width=1)))
    r = plans[focus].input_region  # one patch's input region: its tile plus the halo
    shapes.append(dict(type="rect", x0=r[2] - 0.5, x1=r[3] - 0.5, y0=r[0] - 0.5, y1=r[1] - 0.5,
                       line=dict(color="#ff7f0e", width=3), fillcolor="rgba(255,127,14,0.15)"))
    return shapes


def explorer(resolution: int = 224, grid: int = 4, split: int = 5, width_mult: float = 1.0,
             sram_kb: float = 256.0, max_grid: int = 8):
    """Widget: grid size, split point, resolution and width multiplier of MobileNetV2
    against per-block peak memory (layer- and patch-based, with an SRAM budget line),
    the MAC overhead of patching (and of the redistributed variant), and the patch grid
    with one patch's halo drawn over an input image."""
    import ipywidgets as W
    from lab.core import plotting, widgets

    resolution = checks.check_int("resolution", resolution, lo=32, hi=512)
    grid = checks.check_int("grid", grid, lo=1, hi=max_grid)
    split = checks.check_int("split", split, lo=1, hi=18)
    width_mult = checks.check_number("width_mult", width_mult, lo=0.1, hi=2.0)
    sram_kb = checks.check_positive("sram_kb", sram_kb)
    res_opts = sorted({96, 128, 160, 192, 224, 256, resolution})
    wm_opts = sorted({0.35, 0.5, 0.75, 1.0, 1.4, width_mult})
    controls = dict(grid=widgets.int_slider("grid n (n x n)", grid, 1, max_grid),
                    split=widgets.int_slider("blocks in patch stage", split, 1, 12),
                    resolution=widgets.dropdown("resolution [px]", res_opts, resolution),
                    width_mult=widgets.dropdown("width multiplier", wm_opts, width_mult))
    f_mem = plotting.widget_figure(plotting.label("block", ""), plotting.label("peak memory (int8)", "kB"),
                                   title="Per-block peak memory", height=340)
    f_mem.add_bar(name="layer-based", marker_color="#9aa0a6")
    f_mem.add_bar(name="patch-based", marker_color="#1f77b4")
    f_mem.update_layout(barmode="group")
    f_ov = plotting.widget_figure(plotting.label("grid n", "patches per side"), plotting.label("MAC overhead", "%"),
                                  title="Recomputation overhead", height=300)
    f_ov.add_scatter(name="MobileNetV2", mode="lines+markers")
    f_ov.add_scatter(name="redistributed", mode="lines+markers")
    f_ov.add_scatter(name="current", mode="markers", marker=dict(size=14, symbol="circle-open", color="black"))
    f_img = plotting.widget_figure(plotting.label("x", "px"), plotting.label("y", "px"),
                                   title="Patch grid (white) and one patch's input region with halo (orange)",
                                   height=420)
    f_img.add_image(z=demo_image(resolution))
    f_img.update_yaxes(autorange="reversed", scaleanchor="x")
    readout = W.HTML()

    def update() -> None:
        res, wm = int(controls["resolution"].value), float(controls["width_mult"].value)
        blocks = mobilenet_v2_specs(wm)
        sizes = split_sizes(blocks, res)
        sp = min(int(controls["split"].value), len(blocks) - 1)
        g = min(int(controls["grid"].value), sizes[sp - 1])
        tab = block_table(blocks, res, sp, g)
        f_mem.data[0].x = f_mem.data[1].x = list(tab.block)
        f_mem.data[0].y, f_mem.data[1].y = list(tab.layer_kB), list(tab.patch_kB)
        f_mem.layout.shapes = [dict(type="line", xref="paper", x0=0, x1=1, y0=sram_kb, y1=sram_kb,
                                    line=dict(color="#d62728", dash="dash"))]
        f_mem.layout.annotations = [dict(xref="paper", x=1, y=sram_kb, text=f"SRAM {sram_kb:g} kB",
                                         showarrow=False, yshift=10, xanchor="right")]
        grids = [n for n in range(1, max_grid + 1) if n <= sizes[sp - 1]]
        ov = [100 * mac_overhead(blocks, res, sp, n)["overhead"] for n in grids]
        rd = redistributed_specs(blocks, sp)
        ov_rd = [100 * mac_overhead(rd, res, sp, n)["overhead"] for n in grids]
        f_ov.data[0].x = f_ov.data[1].x = grids
        f_ov.data[0].y, f_ov.data[1].y = ov, ov_rd
        f_ov.data[2].x, f_ov.data[2].y = [g], [ov[grids.index(g)]]
        plans = plan_patches(blocks, res, sp, g)
        f_img.data[0].z = demo_image(res)
        focus = (g // 2) * g + g // 2 if g > 2 else 0
        f_img.layout.shapes = _grid_shapes(plans, res // sizes[sp - 1], res, focus)
        peak_l = peak_memory(blocks, res) / KB
        peak_p = patch_peak_memory(blocks, res, sp, g) / KB
        r = plans[focus].input_region
        readout.value = widgets.readout_table({
            "layer-based peak": f"{peak_l:.1f} kB", "patch-based peak": f"{peak_p:.1f} kB",
            "reduction": f"{peak_l / peak_p:.2f}x",
            "fits the SRAM budget": f"{'yes' if peak_p <= sram_kb else 'no'} ({sram_kb:g} kB)",
            "MAC overhead": f"{ov[grids.index(g)]:.1f} % (redistributed {ov_rd[grids.index(g)]:.1f} %)",
            "split feature map": f"{blocks[sp - 1].out_ch}x{sizes[sp - 1]}x{sizes[sp - 1]} ({g}x{g} patches)",
            "input region of the orange patch": f"{r[1] - r[0]} x {r[3] - r[2]} px"})

    ex = widgets.Explorer(controls, [f_mem, f_ov, f_img], update, readout,
                          title="MCUNetV2 patch-based inference",
                          presets={"paper (224 px, 4x4, split 5)": dict(resolution=224, grid=4, split=5, width_mult=1.0),
                                   "no patches": dict(grid=1),
                                   "small MCU (128 px, 0.35x)": dict(resolution=128, width_mult=0.35, grid=2, split=5)})
    ex.refresh()
    return ex
