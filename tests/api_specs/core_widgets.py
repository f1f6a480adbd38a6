"""Valid, fast calls of lab.core.widgets, for tests/test_bad_input.py."""
from lab.core import widgets

MODULE = "lab.core.widgets"
SPECS = {
    "labelled": lambda: dict(w=__import__("ipywidgets").IntSlider(description="n")),
    "slider": lambda: dict(description="τ", value=1.0, lo=0.1, hi=5.0, step=0.1, unit="s"),
    "int_slider": lambda: dict(description="n", value=3, lo=1, hi=10, step=1),
    "dropdown": lambda: dict(description="mode", options=["a", "b"], value="a"),
    "readout_table": lambda: dict(rows={"a": "1 s"}),
    "show": lambda: dict(explorer=widgets.demo()),
    "demo": lambda: dict(),
    "Explorer.set": lambda: dict(self=widgets.demo(), tau=2.0),
    "Memo": lambda: dict(fn=lambda a, b=1.0: a * b, maxsize=4),
    "memo": lambda: dict(maxsize=4),
}
SKIP = {"Explorer": "built by each topic's explorer(); its arguments are widgets and callbacks, checked by "
                    "type in the constructor and exercised by every notebook's explorer-check cell"}
