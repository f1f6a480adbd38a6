"""Widget helpers: the standard explorer layout (controls beside the figures) and
its display.

An explorer is built by `lab.<topic>.explorer(...)`, which returns an `Explorer`
(an ipywidgets HBox with a few extra attributes). Notebooks display it and then
drive it once in code, asserting that the figure changed, so nbmake exercises
the callbacks although no browser runs.

Two things every explorer shares:
- `Memo`: a bounded memo of a method's results keyed by the control values (on
  `functools.lru_cache`), so going back to a setting answers at once. An update calls
  `ex.busy(what)` before a call the memo does not hold (`memo.holds(...)`): the status line then
  says what the kernel is computing until the update ends.
- `Explorer(..., recompute=names)` declares which controls rerun a method (they may take up to a
  second, with the busy state); every other control only redraws (a tenth of a second at most).
  `benchmarks/explorers.py` times each control against the limit of its declared kind.
"""
from __future__ import annotations

import functools
import html
import math
import os
import time
from collections import OrderedDict, namedtuple
from typing import Callable, Hashable, Iterable, Mapping, Sequence

import ipywidgets as W
import plotly.graph_objects as go

from .checks import check_bool, check_int, check_number, check_type
# live figures are plotting's; explorers and views take them from here too
from .plotting import FigureWidget, figure_widget, responsive  # noqa: F401


class Explorer(W.HBox):
    """Controls on the left, figures and a readout on the right.

    controls: dict name -> widget; figures: list of go.FigureWidget;
    readout: an HTML widget for numbers; update: the callback that redraws.
    extra: widgets placed under the controls that are not controls themselves (a button, a play
    widget, a label): they are shown, never observed, and never reset.
    body: the widget the figure column shows above the readout in place of the figures stacked one
    under another (for a figure beside an image, say); the figures are still the explorer's (snapshots,
    batched redraws).
    recompute: the names of the controls whose change may rerun a method (train, simulate, solve) rather
    than only redraw from what is already computed; a declared property of the control, read by the
    explorer benchmark (limit 1 s with the busy state, against 0.1 s for a redraw).
    """

    def __init__(self, controls: Mapping[str, W.Widget], figures: Sequence[go.FigureWidget],
                 update: Callable[[], None], readout: W.HTML | None = None, title: str = "",
                 presets: Mapping[str, Mapping[str, object]] | None = None, controls_width: str = "340px",
                 extra: Sequence[W.Widget] = (), body: W.Widget | None = None,
                 recompute: Iterable[str] = ()):
        check_type("controls", controls, Mapping)
        if isinstance(recompute, str):
            raise TypeError(f"recompute must be a list of control names; got the string {recompute!r}")
        recompute = tuple(recompute)
        unknown = [k for k in recompute if k not in controls]
        if unknown:
            raise ValueError(f"recompute must name controls among {sorted(controls)}; got {unknown}")
        self.recompute = frozenset(recompute)
        extra = tuple(extra)
        for i, w in enumerate(extra):
            check_type(f"extra[{i}]", w, W.Widget)
        if body is not None:
            check_type("body", body, W.Widget)
        if not callable(update):
            raise TypeError("update must be callable")
        self.controls = dict(controls)
        self.figures = list(figures)
        self.readout = readout or W.HTML()
        self._update = update
        self.presets = dict(presets or {})
        left: list[W.Widget] = []
        if title:
            left.append(W.HTML(f"<h4 style='margin:4px 0'>{title}</h4>"))
        if self.presets:
            self.preset = W.Dropdown(options=["(custom)"] + list(self.presets), value="(custom)",
                                     description="preset")
            self._syncing = False
            self.preset.observe(lambda ch: None if self._syncing else self.apply_preset(ch["new"]), names="value")
            left.append(self.preset)
        left.extend(labelled(w) for w in self.controls.values())
        left.extend(extra)
        # says "updating…" while the update runs (the kernel sends it before the work starts), then how
        # long the last update took: a page that cannot answer at once never freezes silently
        self.status = W.HTML("", layout=W.Layout(min_height="1.5em"))
        left.append(self.status)
        box_left = W.VBox(left, layout=W.Layout(width=controls_width, min_width=controls_width))
        for f in self.figures:
            if isinstance(f, go.FigureWidget):
                responsive(f)
        # The figure column takes what the controls leave and never less than nothing, so plotly
        # lays its figures out to the column's width instead of its 700 px default (a figure drawn
        # before its cell was laid out re-measures itself: see FigureWidget).
        right = W.VBox([*(self.figures if body is None else [body]), self.readout],
                       layout=W.Layout(flex="1 1 0%", min_width="0", width="auto", overflow="hidden"))
        super().__init__([box_left, right], layout=W.Layout(width="100%"))
        for w in self.controls.values():
            if hasattr(w, "value") and not isinstance(w, W.Button):
                w.observe(lambda _ch: self.refresh(), names="value")
        self._batch = False
        self.defaults = {k: w.value for k, w in self.controls.items()
                         if hasattr(w, "value") and not isinstance(w, W.Button)}
        self._sync_preset()

    def matching_preset(self) -> str:
        """The name of the preset every control now matches (floats to 1e-9), or "(custom)"."""
        for name, values in self.presets.items():
            if all(k in self.controls and _same(self.controls[k].value, v) for k, v in values.items()):
                return name
        return "(custom)"

    def _sync_preset(self) -> None:
        # the dropdown names the preset the controls match (at the start, "paper defaults" where the defaults
        # are the paper's), and "(custom)" once a control leaves it; naming one never applies it again
        if getattr(self, "preset", None) is None:
            return
        self._syncing = True
        try:
            self.preset.value = self.matching_preset()
        finally:
            self._syncing = False

    def reset(self) -> None:
        """Put every control back to the value it had when the explorer was built, and redraw (the preset
        dropdown then names the preset the defaults match)."""
        self.set(**self.defaults)

    def busy(self, what: str) -> None:
        """Say in the status line what the update is computing now (a call its memo does not hold, say);
        the status goes back to the update's time when the update ends."""
        check_type("what", what, str)
        self.status.value = f"<span style='color:#b35900'>&#9203; {html.escape(what)}…</span>"

    def refresh(self) -> None:
        if self._batch:
            return
        self.busy("updating")
        t0 = time.perf_counter()
        try:
            with _hold_all(self.figures):
                self._update()
        finally:
            dt = time.perf_counter() - t0
            self.status.value = (f"<span style='color:#777;font-size:90%'>updated in {dt:.1f} s</span>"
                                 if dt >= 0.1 else "")
            self._sync_preset()

    def apply_preset(self, name: str) -> None:
        if name == "(custom)":
            return
        if name not in self.presets:
            raise ValueError(f"preset must be one of {list(self.presets)}; got {name!r}")
        self.set(**self.presets[name])

    def set(self, **values: object) -> None:
        """Set several controls at once, then redraw once."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; controls are {sorted(self.controls)}")
        self._batch = True
        try:
            for k, v in values.items():
                try:
                    self.controls[k].value = v
                except Exception as exc:  # traitlets' TraitError: say which control and why
                    raise TypeError(f"{k}: {v!r} is not a valid value for this control ({exc})") from None
        finally:
            self._batch = False
        self.refresh()

    def snapshot(self) -> list[go.Figure]:
        """Static copies of the figures (what handouts show in place of live widgets)."""
        return [go.Figure(f) for f in self.figures]


MAX_MEMO = 4096
_CacheInfo = namedtuple("CacheInfo", "hits misses maxsize currsize")


def _value_key(v: object) -> Hashable:
    # a control's float comes back as 0.30000000000000004 after a few steps: 12 significant digits key it
    if isinstance(v, float):
        return float(f"{v:.12g}") if math.isfinite(v) else v
    if isinstance(v, (tuple, list)):
        return tuple(_value_key(x) for x in v)
    if hasattr(v, "item") and getattr(v, "shape", None) == ():      # a numpy scalar
        return _value_key(v.item())
    return v


class Memo:
    """A bounded memo of `fn`'s results, keyed by the values of its arguments (the control values):
    floats to 12 significant digits, so a slider's 0.30000000000000004 finds 0.3; the least recently
    used result goes once `maxsize` (1..4096) are held, as with `functools.lru_cache`.

    `memo(*args, **kw)` returns fn's result (fn receives the keyed values); `memo.holds(*args, **kw)` says
    whether that call is held (ask before a slow miss, to show the busy state); `memo.info()` gives
    (hits, misses, maxsize, currsize) as lru_cache's `cache_info()`; `memo.clear()` empties it. Arguments
    must be hashable (numbers, strings, tuples): data the method needs belongs in fn's closure, not in the key."""

    def __init__(self, fn: Callable, maxsize: int = 64):
        if not callable(fn):
            raise TypeError(f"fn must be callable; got {type(fn).__name__}")
        self.fn = fn
        self.maxsize = check_int("maxsize", maxsize, lo=1, hi=MAX_MEMO)
        self._held: OrderedDict = OrderedDict()
        self.hits = self.misses = 0
        functools.update_wrapper(self, fn)

    @staticmethod
    def _key(args: tuple, kw: dict) -> tuple[tuple, dict, tuple]:
        args = tuple(_value_key(a) for a in args)
        kw = {k: _value_key(v) for k, v in kw.items()}
        key = (args, tuple(sorted(kw.items())))
        try:
            hash(key)
        except TypeError:
            bad = next(n for n, v in [*((f"args[{i}]", a) for i, a in enumerate(args)), *kw.items()]
                       if not _hashable(v))
            raise TypeError(f"{bad} must be hashable (a number, string or tuple) to key the memo") from None
        return args, kw, key

    def __call__(self, *args, **kw):
        args, kw, key = self._key(args, kw)
        if key in self._held:
            self.hits += 1
            self._held.move_to_end(key)
            return self._held[key]
        self.misses += 1
        out = self.fn(*args, **kw)
        self._held[key] = out
        if len(self._held) > self.maxsize:
            self._held.popitem(last=False)
        return out

    def holds(self, *args, **kw) -> bool:
        """Whether the call with these argument values is held (answers without running fn)."""
        return self._key(args, kw)[2] in self._held

    def info(self) -> "_CacheInfo":
        """(hits, misses, maxsize, currsize), as functools.lru_cache's cache_info()."""
        return _CacheInfo(self.hits, self.misses, self.maxsize, len(self._held))

    def clear(self) -> None:
        self._held.clear()
        self.hits = self.misses = 0


def _hashable(v: object) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def memo(maxsize: int = 64) -> Callable[[Callable], Memo]:
    """Decorator form of `Memo`: `@widgets.memo(32)` over a function of control values."""
    maxsize = check_int("maxsize", maxsize, lo=1, hi=MAX_MEMO)
    return lambda fn: Memo(fn, maxsize)


def _same(a: object, b: object) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


_UNLABELLED = (W.Button, W.Checkbox, W.ToggleButton, W.HTML, W.HTMLMath, W.Label, W.Box)


def labelled(w: W.Widget) -> W.Widget:
    """A control with its description on a line of its own above it, so the label is never cut
    and a slider's track spans the whole control column (a short track makes a small drag jump far)."""
    check_type("w", w, W.Widget)
    desc = getattr(w, "description", "")
    if isinstance(w, _UNLABELLED) or not desc:
        return w
    w.tooltip = desc
    w.description = ""
    w.style.description_width = "0px"
    w.layout.width = "100%"
    label = W.HTML(f"<span class='lab-control-label'>{html.escape(desc)}</span>",
                   layout=W.Layout(margin="6px 0 -4px 4px"))
    return W.VBox([label, w], layout=W.Layout(width="100%"))


class _hold_all:
    def __init__(self, figs: Iterable[go.FigureWidget]):
        self.ctx = [f.batch_update() for f in figs if isinstance(f, go.FigureWidget)]

    def __enter__(self):
        for c in self.ctx:
            c.__enter__()

    def __exit__(self, *exc):
        for c in reversed(self.ctx):
            c.__exit__(*exc)
        return False


def show(explorer: Explorer) -> Explorer:
    """Display an explorer. In handouts (LAB_HANDOUT=1), where no kernel backs the
    widgets, also display static snapshots of its figures and its readout."""
    from IPython.display import HTML, display

    check_type("explorer", explorer, Explorer)
    display(explorer)
    if os.environ.get("LAB_HANDOUT") == "1":
        for fig in explorer.snapshot():
            fig.show()
        if explorer.readout.value:
            display(HTML(explorer.readout.value))
    return explorer


def slider(description: str, value: float, lo: float, hi: float, step: float, unit: str = "",
           log: bool = False, readout_format: str | None = None) -> W.Widget:
    """A labelled float slider ('description [unit]'); `log=True` gives a log-scale slider
    whose value is the physical value (lo, hi, step given as base-10 exponents' ends, each within
    ±300; a linear slider's within ±1e15)."""
    check_type("description", description, str)
    check_type("unit", unit, str)
    log = check_bool("log", log)
    # a log slider's ends are base-10 exponents: within ±300 its values stay finite floats
    bound = 300.0 if log else 1e15
    lo = check_number("lo", lo, lo=-bound, hi=bound)
    hi = check_number("hi", hi, lo=-bound, hi=bound)
    if not lo < hi:
        raise ValueError(f"lo must be < hi; got lo={lo:g}, hi={hi:g}")
    step = check_number("step", step, lo=0.0, lo_open=True, hi=max(hi - lo, 1e-300))
    value = check_number("value", value) if log else check_number("value", value, lo=lo, hi=hi)
    if log and not 10 ** lo <= value <= 10 ** hi:
        raise ValueError(f"value must be in [1e{lo:g}, 1e{hi:g}] for a log slider; got {value:g}")
    if readout_format is not None:
        check_type("readout_format", readout_format, str)
    desc = f"{description} [{unit}]" if unit else description
    style = {"description_width": "150px"}
    layout = W.Layout(width="100%")
    if log:
        return W.FloatLogSlider(value=value, base=10, min=lo, max=hi, step=step, description=desc,
                                style=style, layout=layout, continuous_update=False,
                                readout_format=readout_format or ".2e")
    return W.FloatSlider(value=value, min=lo, max=hi, step=step, description=desc, style=style,
                         layout=layout, continuous_update=False, readout_format=readout_format or ".3g")


def int_slider(description: str, value: int, lo: int, hi: int, step: int = 1) -> W.IntSlider:
    """A labelled integer slider over [lo, hi]."""
    check_type("description", description, str)
    lo = check_int("lo", lo, lo=-10**12, hi=10**12)
    hi = check_int("hi", hi, lo=-10**12, hi=10**12)
    if not lo < hi:
        raise ValueError(f"lo must be < hi; got lo={lo}, hi={hi}")
    step = check_int("step", step, lo=1, hi=max(hi - lo, 1))
    value = check_int("value", value, lo=lo, hi=hi)
    return W.IntSlider(value=value, min=lo, max=hi, step=step, description=description,
                       style={"description_width": "150px"}, layout=W.Layout(width="320px"),
                       continuous_update=False)


def dropdown(description: str, options: Sequence, value=None) -> W.Dropdown:
    """A labelled dropdown of `options` (a non-empty list), starting at `value` (default the first)."""
    check_type("description", description, str)
    if isinstance(options, (str, bytes)) or not isinstance(options, (list, tuple)) or not options:
        raise TypeError(f"options must be a non-empty list; got {options!r}")
    values = [o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in options]
    if value is not None and value not in values:
        raise ValueError(f"value must be one of the options {values}; got {value!r}")
    return W.Dropdown(options=list(options), value=value if value is not None else values[0],
                      description=description, style={"description_width": "150px"},
                      layout=W.Layout(width="320px"))


def readout_table(rows: Mapping[str, str]) -> str:
    """HTML for a small two-column readout (quantity, value with unit)."""
    check_type("rows", rows, Mapping)
    # a long value wraps inside the figure column instead of running past it (the column hides what overflows)
    body = "".join(f"<tr><td style='padding-right:12px;overflow-wrap:anywhere'>{k}</td>"
                   f"<td style='overflow-wrap:anywhere'><b>{v}</b></td></tr>" for k, v in rows.items())
    return f"<table style='max-width:100%'>{body}</table>"


def demo() -> Explorer:
    """A minimal explorer (charging of an RC circuit) that shows how every explorer works:
    move a control and the figure and the readout follow."""
    import numpy as np

    from .plotting import label, widget_figure

    tau = slider("time constant τ", 1.0, 0.1, 5.0, 0.1, unit="s")
    v0 = slider("supply V₀", 1.0, 0.1, 2.0, 0.1, unit="V")
    fig = widget_figure(label("time", "s"), label("capacitor voltage", "V"), title="RC charging")
    t = np.linspace(0, 10, 200)
    fig.add_scatter(x=t, y=np.zeros_like(t), name="V(t)")
    readout = W.HTML()

    def update() -> None:
        v = v0.value * (1 - np.exp(-t / tau.value))
        fig.data[0].y = v
        readout.value = readout_table({"V at t = τ": f"{v0.value * (1 - np.exp(-1)):.3f} V",
                                       "time to 90 %": f"{tau.value * np.log(10):.2f} s"})

    ex = Explorer({"tau": tau, "v0": v0}, [fig], update, readout, title="Demo explorer",
                  presets={"fast": {"tau": 0.3}, "slow": {"tau": 4.0}})
    ex.refresh()
    return ex
