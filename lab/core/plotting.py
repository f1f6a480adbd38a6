"""Plotting helpers: one plotly template for the workbench, and axis labels with units.

Every axis in the workbench is labelled with its unit: use `label("time", "s")`
-> "time [s]", and `figure(...)`/`widget_figure(...)` which take the axis labels
and refuse to build a figure without them.
"""
from __future__ import annotations

import os

import plotly.graph_objects as go
import traitlets
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


def responsive(fig: go.FigureWidget) -> go.FigureWidget:
    """Let `fig` take its container's width: no fixed width, autosize on, and plotly.js's `responsive`
    option (it re-measures the figure on every window resize event). A `FigureWidget` of this module
    also re-measures itself when its own element is laid out or redrawn at a width not its own."""
    check_type("fig", fig, go.FigureWidget)
    fig.layout.autosize = True
    fig.layout.width = None
    fig._config = {**fig._config, "responsive": True}
    return fig


# A FigureWidget's view draws as soon as it is created, which JupyterLab may do before the cell is
# attached or laid out (Run All on cells below the screen): plotly.js then cannot measure its container,
# draws at its 700 px default, and nothing redraws it. The view below wraps plotly's own: ResizeObservers on
# the figure's element (it fires when the element is attached) and on the widget box that holds it (when
# the box is laid out or resized), and plotly's afterplot event, each compare the drawn width with the
# box's; when the figure is wider, one window resize event makes plotly.js re-lay out its responsive
# figures. A cell off screen is left until it comes on screen (an IntersectionObserver). At most 20 such
# events per box width or appearance, so a figure that cannot shrink does not loop. The check
# lives in the figure's own module, so it cannot fail apart from the figure (a separate watcher widget
# could: anywidget gives up on a model whose module has not loaded within 2 s).
_FIT_JS = """
// plotly's model keeps its own copy of the figure, changed by the kernel's `_py2js_*` messages (and replaced whole
// by `_widget_data` / `_widget_layout` when the figure is displayed). anywidget holds a model's messages until
// its initialize has returned, and drops them all, for good, if that takes over 2 s: on a busy machine the
// 5 MB plotly module can take longer, and the figure then stays empty. So initialize returns at once; until
// plotly's module is in, the messages are kept here, then handed to plotly's model in order (its listeners
// read them through `model.get`), leaving out the edits that a later whole copy already holds
const __labData = ["_py2js_addTraces", "_py2js_deleteTraces", "_py2js_moveTraces", "_py2js_restyle",
  "_py2js_removeTraceProps", "_py2js_update", "_py2js_animate"];
const __labLayout = ["_py2js_relayout", "_py2js_removeLayoutProps", "_py2js_update", "_py2js_animate"];
// plotly's Python side writes "leave as it is" (its Undefined, as when a batch changes a trace's x but not its y) as
// the string "_undefined_", which its ipywidgets model turned back into undefined; anywidget has no such
// deserializer, so plotly.js took the string for the data (a line lost its y and was drawn at 0, 1, ...)
const __labUndef = (v) => v === "_undefined_" ? undefined
  : Array.isArray(v) ? (v.some((x) => x === "_undefined_" || (x !== null && typeof x === "object")) ? v.map(__labUndef) : v)
  : (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype)
    ? Object.fromEntries(Object.entries(v).map(([a, b]) => [a, __labUndef(b)])) : v;
const __labFitWrap = (load) => () => {
  let base = null, ready = null;
  return {
    initialize(ctx) {
      const m = ctx.model, queue = [], hooks = {}, held = {};
      let live = false;
      const keep = (n) => m.on("change:" + n, () => { if (!live) queue.push([n, m.get(n)]); });
      new Set([...__labData, ...__labLayout, "_widget_data", "_widget_layout"]).forEach(keep);
      // plotly's model and view see the model through this: the queued messages, and plotly.js's
      // `responsive` option always on (it is read once, when the view draws; the kernel's may come later)
      const model = new Proxy(m, { get(t, k) {
        if (k === "get") return (n) => (n in held ? __labUndef(held[n])
          : n === "_config" ? Object.assign({}, t.get(n), { responsive: true })
          : n.startsWith("_py2js_") ? __labUndef(t.get(n)) : t.get(n));
        if (k === "on") return (ev, cb, ...rest) => { (hooks[ev] = hooks[ev] || []).push(cb); return t.on(ev, cb, ...rest); };
        const v = t[k];
        return typeof v === "function" ? v.bind(t) : v;
      } });
      ready = load(m).then((mod) => {
        base = mod.default();
        base.initialize(Object.assign({}, ctx, { model }));
        const lastData = queue.map((q) => q[0]).lastIndexOf("_widget_data");
        const lastLayout = queue.map((q) => q[0]).lastIndexOf("_widget_layout");
        queue.forEach(([n, v], i) => {
          if (!n.startsWith("_py2js_") || (__labData.includes(n) && i < lastData)
              || (__labLayout.includes(n) && i < lastLayout)) return;
          held[n] = v;
          for (const cb of hooks["change:" + n] || []) cb();
          delete held[n];
        });
        live = true; queue.length = 0;
      });
    },
    async render(ctx) {
      await ready;
      const undo = base.render(ctx), el = ctx.el;
      // the figure's element takes its box's width, never its content's: plotly measures this element,
      // and a flex item would otherwise stay as wide as a figure drawn at 700 px
      el.style.width = "100%"; el.style.minWidth = "0"; el.style.maxWidth = "100%";
      let timer = null, hook = null, hooks = 0, budget = 20, last = -1, box = null, boxRo = null;
      // the room the figure has: its widget box (or output area), not its own element, which a figure
      // drawn at 700 px holds open at 700 px (a flex item does not shrink below its content)
      const room = () => (el.parentElement && el.parentElement.closest(".widget-box, .jp-OutputArea-output"))
        || el.parentElement;
      const check = () => { clearTimeout(timer); timer = setTimeout(() => {
        const b = room(), fl = el._fullLayout, w = b ? b.getBoundingClientRect().width : 0;
        if (!el.isConnected || w <= 0 || !fl || budget <= 0) return;
        // a cell off screen is not rendered (content-visibility): plotly cannot measure it there, so wait
        // until it is on screen (the IntersectionObserver below checks again then)
        if (el.checkVisibility && !el.checkVisibility({ contentVisibilityAuto: true })) return;
        if (fl.width > w + 1) { budget -= 1; window.dispatchEvent(new Event("resize")); }
      }, 80); };
      const watch = () => { const b = el.isConnected ? room() : null;
        if (!b || b === box) return;
        if (boxRo) boxRo.disconnect();
        box = b;
        boxRo = new ResizeObserver(() => { const w = Math.round(box.getBoundingClientRect().width);
          if (w > 0 && w !== last) { last = w; budget = 20; check(); } });
        boxRo.observe(box); };
      const ro = new ResizeObserver(() => { watch(); check(); });   // fires when the element is attached
      ro.observe(el);
      const io = new IntersectionObserver((es) => { if (es.some((e) => e.isIntersecting)) { budget = 20; watch(); check(); } });
      io.observe(el);
      const attach = () => { if (typeof el.on === "function") { el.on("plotly_afterplot", () => { watch(); check(); });
          watch(); check(); }
        else if (++hooks < 300) hook = setTimeout(attach, 100); };
      attach();
      // and a slow look every 1.5 s while the figure is on the page, for whatever no event reported
      const poll = setInterval(() => { if (el.isConnected) check(); }, 1500);
      return () => { clearInterval(poll); ro.disconnect(); io.disconnect(); if (boxRo) boxRo.disconnect(); clearTimeout(timer); clearTimeout(hook);
        if (typeof undo === "function") undo(); };
    },
  };
};
"""


def _bundle() -> tuple[str, str]:
    """plotly's widget bundle (its FigureWidget's module) and a key naming its version (a hash)."""
    import hashlib
    from pathlib import Path

    text = (Path(go.__file__).parent.parent / "package_data" / "widgetbundle.js").read_text(encoding="utf-8")
    return text, "__mlncPlotlyWidget_" + hashlib.sha1(text.encode()).hexdigest()[:16]


def _fit_esm(key: str) -> str:
    """The module every workbench FigureWidget sends: a few kilobytes that wrap plotly's view with
    `_FIT_JS`, and import plotly's bundle (which travels beside it, in the figure's `_lab_bundle`) once
    per page, shared under `key` on `globalThis`.

    anywidget drops, for good, every message to a model whose module and initialize have not come in
    within 2 s of its creation. plotly's own module is its 5 MB bundle, imported from a new blob URL
    for every figure: evaluating it holds the page for one to several seconds, and a figure created
    meanwhile missed its 2 s and stayed empty (CI: explorers' second figures in 05, 07, 08, 14, 15). Here
    each figure's module is small, its initialize returns at once (it keeps the kernel's messages until
    plotly's model exists), and the bundle is evaluated once, when the page is next idle: after the
    figures created together have come in."""
    import json

    return (f"const KEY = {json.dumps(key)};\n"
            "const __labLoad = (m) => globalThis[KEY] || (globalThis[KEY] = new Promise((done) => {\n"
            "  const go = () => done(import(URL.createObjectURL(\n"
            "    new Blob([m.get('_lab_bundle')], { type: 'text/javascript' }))));\n"
            "  if (globalThis.requestIdleCallback) requestIdleCallback(go, { timeout: 1000 }); else setTimeout(go, 50);\n"
            "}));\n"
            + _FIT_JS +
            "export default __labFitWrap(__labLoad);\n")


_BUNDLE, _KEY = _bundle()


class FigureWidget(go.FigureWidget):
    """`plotly.graph_objects.FigureWidget` whose view fits its container's width however late it is
    laid out (see `_FIT_JS`); responsive from the start. Every live figure of the workbench is one."""

    _esm = _fit_esm(_KEY)
    _lab_bundle = traitlets.Unicode(_BUNDLE).tag(sync=True)

    def __init__(self, data=None, layout=None, frames=None, skip_invalid=False, **kwargs):
        super().__init__(data, layout, frames, skip_invalid, **kwargs)
        responsive(self)


def figure_widget(fig: go.Figure | dict | None = None) -> FigureWidget:
    """A live `FigureWidget` (this module's) holding a copy of `fig` (a plotly figure or its dict)."""
    if fig is not None:
        check_type("fig", fig, (go.Figure, go.FigureWidget, dict))
    return FigureWidget(fig)
