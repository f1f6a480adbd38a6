"""Valid, fast calls of lab.core.plotting, for tests/test_bad_input.py."""
import plotly.graph_objects as go

MODULE = "lab.core.plotting"
SPECS = {
    "label": lambda: dict(name="time", unit="s"),
    "figure": lambda: dict(x="time [s]", y="G [µS]", title="t", height=300),
    "widget_figure": lambda: dict(x="time [s]", y="G [µS]", title="t", height=300),
    "unlabelled_axes": lambda: dict(fig=go.Figure()),
    "setup_renderer": lambda: dict(),
    "figure_widget": lambda: dict(fig=go.Figure()),
    "responsive": lambda: dict(fig=go.FigureWidget()),
}
SKIP = {
    "FigureWidget": "plotly's FigureWidget with its view wrapped (no argument of its own); the figure_widget spec "
                    "sweeps the figure argument, and the browser test's figure-width check its view",
    "label_axes": "takes **axes (axis name -> label); its values are checked for a unit in test_core",
    "HandoutRenderer": "a plotly renderer registered by setup_renderer; plotly calls it with its own figure dicts",
}
