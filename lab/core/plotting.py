"""Plotting helpers: one plotly template for the workbench, and axis labels with units.

Every axis in the workbench is labelled with its unit: use `label("time", "s")`
-> "time [s]", and `figure(...)`/`widget_figure(...)` which take the axis labels
and refuse to build a figure without them.
"""
from __future__ import annotations

import os

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

from .checks import check_type

TEMPLATE_NAME = "lab"
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def _register() -> None:
    if TEMPLATE_NAME in pio.templates:
        return
    base = pio.templates["plotly_white"]
    t = go.layout.Template(base)
    t.layout.font = dict(family="Helvetica, Arial, sans-serif", size=13)
    t.layout.colorway = list(COLORS)
    t.layout.margin = dict(l=70, r=20, t=50, b=65)
    t.layout.legend = dict(bgcolor="rgba(255,255,255,0.6)")
    t.layout.xaxis = dict(showline=True, linecolor="#444", mirror=True, ticks="outside", zeroline=False)
    t.layout.yaxis = dict(showline=True, linecolor="#444", mirror=True, ticks="outside", zeroline=False)
    pio.templates[TEMPLATE_NAME] = t
    pio.templates.default = TEMPLATE_NAME


class HandoutRenderer(MimetypeRenderer):
    """Figures as HTML that calls a page-wide `Plotly` (the handout page loads one shared local
    plotly.min.js) and sizes to its column; no plotly.js, require.js or MathJax from a CDN."""

    def to_mimebundle(self, fig_dict):
        fig_dict = {**fig_dict, "data": [_single_precision(t) for t in fig_dict.get("data", [])]}
        html = pio.to_html(fig_dict, include_plotlyjs=False, include_mathjax=False, full_html=False,
                           default_width="100%", default_height=int(fig_dict.get("layout", {}).get("height") or 420),
                           config={"responsive": True, "displaylogo": False}, validate=False)
        return {"text/html": html}


def _single_precision(obj):
    """float64 arrays as float32 (half the bytes in a page; a figure shows far fewer than 7 digits)."""
    import numpy as np

    if isinstance(obj, np.ndarray) and obj.dtype == np.float64:
        return obj.astype(np.float32)
    if isinstance(obj, dict) and obj.get("dtype") == "f8" and isinstance(obj.get("bdata"), str):
        import base64

        raw = np.frombuffer(base64.b64decode(obj["bdata"]), dtype="<f8").astype("<f4")
        return {**obj, "dtype": "f4", "bdata": base64.b64encode(raw.tobytes()).decode("ascii")}
    if isinstance(obj, dict):
        return {k: _single_precision(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) and obj and any(isinstance(v, (dict, np.ndarray)) for v in obj):
        return type(obj)(_single_precision(v) for v in obj)
    return obj


def setup_renderer() -> None:
    """Handouts (LAB_HANDOUT=1) render figures for the offline handout pack (`HandoutRenderer`);
    interactive sessions keep plotly's default."""
    if os.environ.get("LAB_HANDOUT") == "1":
        pio.renderers["lab_handout"] = HandoutRenderer()
        pio.renderers.default = "lab_handout"


_register()
setup_renderer()


def label(name: str, unit: str) -> str:
    """'name [unit]'; unit '' or '1' marks a dimensionless quantity: 'name [–]'."""
    check_type("name", name, str)
    check_type("unit", unit, str)
    return f"{name} [{unit if unit not in ('', '1') else '–'}]"


def _apply(fig: go.Figure, x: str, y: str, title: str | None, height: int | None) -> go.Figure:
    for pname, v in (("x", x), ("y", y)):
        check_type(pname, v, str)
        if "[" not in v:
            raise ValueError(f"{pname} axis label must carry a unit, e.g. label('time', 's'); got {v!r}")
    fig.update_layout(template=TEMPLATE_NAME, title=title, xaxis_title=x, yaxis_title=y)
    if height:
        fig.update_layout(height=height)
    return fig


def figure(x: str, y: str, title: str | None = None, height: int | None = 380) -> go.Figure:
    """A static `go.Figure` with the workbench template and unit-carrying axis labels."""
    return _apply(go.Figure(), x, y, title, height)


def widget_figure(x: str, y: str, title: str | None = None, height: int | None = 380) -> go.FigureWidget:
    """A `go.FigureWidget` (updated live by explorers) with the same conventions."""
    from .widgets import figure_widget

    return _apply(figure_widget(), x, y, title, height)


def label_axes(fig: go.Figure, **axes: str) -> go.Figure:
    """Label the axes of a subplot figure: label_axes(fig, xaxis='t [s]', yaxis2='G [µS]')."""
    for name, text in axes.items():
        if "[" not in text:
            raise ValueError(f"{name} label must carry a unit; got {text!r}")
        fig.layout[name].title = text
    return fig


def unlabelled_axes(fig: go.Figure) -> list[str]:
    """Names of the figure's cartesian axes that have no unit-carrying title (for tests)."""
    check_type("fig", fig, go.Figure)
    missing = []
    for key in fig.layout:
        if key.startswith(("xaxis", "yaxis")):
            ax = fig.layout[key]
            if not ax.visible is False and not (ax.title and ax.title.text and "[" in ax.title.text):
                missing.append(key)
    return missing
