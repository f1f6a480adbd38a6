"""Figures and the explorer of notebooks/17_dga.ipynb (DGA, L. Zhu, S. Han et al., NeurIPS 2021).

The logic (partitions, update rules, latency timeline) lives in `algorithm.py`.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.core import plotting, widgets
from lab.core.checks import check_choice, check_int, check_number, check_positive, check_table, check_type

from lab.data.digits import Digits

from . import algorithm as dga
from . import simulation

COLOR = {"sync": plotting.COLORS[0], "fedavg": plotting.COLORS[2], "dga": plotting.COLORS[1]}
NAME = {"sync": "synchronous all-reduce", "fedavg": "FedAvg (period K)", "dga": "DGA (period K, delay D)"}


def partition_figure(data: Digits, workers: int = 4, seed: int = 0) -> go.Figure:
    """Class histogram of each worker's partition, IID beside non-IID (label skew)."""
    data = dga.check_data(data)
    workers = check_int("workers", workers, lo=1, hi=64)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("IID", "non-IID (label skew)"), shared_yaxes=True)
    for col, kind in enumerate(dga.PARTITIONS, start=1):
        parts = dga.partition(data.y_train, workers, kind, seed)
        for j, p in enumerate(parts):
            counts = np.bincount(data.y_train[p], minlength=dga.N_CLASSES)
            fig.add_bar(x=np.arange(dga.N_CLASSES), y=counts, name=f"worker {j}", row=1, col=col,
                        marker_color=plotting.COLORS[j % len(plotting.COLORS)], showlegend=col == 1)
    fig.update_layout(template=plotting.TEMPLATE_NAME, barmode="stack", height=330)
    return plotting.label_axes(fig, xaxis=plotting.label("digit class", ""), xaxis2=plotting.label("digit class", ""),
                               yaxis=plotting.label("training images", "count"),
                               yaxis2=plotting.label("training images", "count"))


def curves_figure(runs: dict, latencies_ms=(0, 50, 200), step_s: float = 4e-4, delay: int = 4,
                  period: int = 4, transfer_s: float = 0.0) -> go.Figure:
    """Test accuracy [%] of the mean model against modelled wall-clock [s] (`curve_times`:
    DGA's points wait for its averages in flight): rows = partitions, columns =
    latencies; one line per method (mean over seeds; all seeds share the time axis);
    transfer_s: link time [s] of one all-reduce (the bandwidth term)."""
    check_type("runs", runs, dict)
    step_s = check_positive("step_s", step_s)
    latencies_ms = dga.seq("latencies_ms", latencies_ms, lambda n, v: check_number(n, v, lo=0.0, hi=1e6))
    parts = [p for p in dga.PARTITIONS if any(k[0] == p for k in runs)]
    fig = make_subplots(rows=len(parts), cols=len(latencies_ms), shared_yaxes=True,
                        subplot_titles=[f"{p}, latency {lat:g} ms" for p in parts for lat in latencies_ms],
                        vertical_spacing=0.14, horizontal_spacing=0.05)
    for r, p in enumerate(parts, start=1):
        for c, lat in enumerate(latencies_ms, start=1):
            for m in dga.METHODS:
                rs = [run for (pp, mm, _), run in runs.items() if (pp, mm) == (p, m)]
                if not rs:
                    continue
                t = simulation.curve_times(rs[0], check_number("latencies_ms", lat, lo=0.0, hi=1e6) / 1000, delay, period,
                                    step_s, transfer_s)
                acc = 100 * np.mean([run.acc for run in rs], axis=0)
                fig.add_scatter(x=t, y=acc, mode="lines", name=NAME[m], line=dict(color=COLOR[m]),
                                legendgroup=m, showlegend=(r, c) == (1, 1), row=r, col=c)
    fig.update_layout(template=plotting.TEMPLATE_NAME, height=300 * len(parts) + 80)
    fig.update_yaxes(range=[50, 100])
    axes = {}
    n = len(parts) * len(latencies_ms)
    for i in range(1, n + 1):
        suffix = "" if i == 1 else str(i)
        axes[f"xaxis{suffix}"] = plotting.label("wall-clock", "s")
        if (i - 1) % len(latencies_ms) == 0:
            axes[f"yaxis{suffix}"] = plotting.label("test accuracy", "%")
        else:
            axes[f"yaxis{suffix}"] = plotting.label("", "%")
    return plotting.label_axes(fig, **axes)


def delay_figure(sweep) -> go.Figure:
    """Speedup over sync (left axis) and final accuracy (right axis) against the delay D
    (sweep: a `delay_sweep` table)."""
    check_table("sweep", sweep, ("delay", "speedup", "acc_mean"), what="a delay_sweep table")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(x=sweep["delay"], y=sweep["speedup"], name="speedup over sync", mode="lines+markers",
                    line=dict(color=COLOR["dga"]))
    fig.add_scatter(x=sweep["delay"], y=sweep["acc_mean"], name="final accuracy", mode="lines+markers",
                    line=dict(color=COLOR["sync"], dash="dot"), secondary_y=True)
    fig.update_layout(template=plotting.TEMPLATE_NAME, height=340)
    return plotting.label_axes(fig, xaxis=plotting.label("delay D", "steps"), yaxis=plotting.label("speedup", "×"),
                               yaxis2=plotting.label("test accuracy", "%"))


def explorer(latency_ms: float = 200, delay: int = 4, workers: int = 4, partition_kind: str = "iid",
             steps: int = 300, step_s: float = 4e-4, data: Digits | None = None, runs: dict | None = None,
             bandwidth_mbit: float = 10.0, **settings) -> widgets.Explorer:
    """Accuracy against wall-clock for the three methods (seed 0), with controls for the latency [ms] and
    the link bandwidth [Mbit/s] (the timeline only: redraws), and the delay D, the averaging period K,
    the number of workers J (2..8) and the partition (each reruns the methods it changes, memoised).
    runs: simulated runs from `dga.compare` (same settings) to reuse instead of retraining;
    settings: hidden, batch, lr, period, eval_every, ... as `simulate` takes them. The readout leads with
    the measured time to an accuracy every method reaches."""
    latency_ms = check_number("latency_ms", latency_ms, lo=0.0, hi=1000.0)
    delay = check_int("delay", delay, lo=0, hi=32)
    workers = check_int("workers", workers, lo=1, hi=16)
    partition_kind = check_choice("partition_kind", partition_kind, dga.PARTITIONS)
    step_s = check_positive("step_s", step_s)
    bandwidth_mbit = check_number("bandwidth_mbit", bandwidth_mbit, lo=0.1, hi=1000.0)
    steps = check_int("steps", steps, lo=1, hi=10**5)
    data = dga.check_data(data)
    period = check_int("period", settings.pop("period", 4), lo=1, hi=64)
    eval_every = check_int("eval_every", settings.get("eval_every", 8), lo=1, hi=10**6)
    msg_bytes = 8 * dga.n_params(check_int("hidden", settings.get("hidden", 32), lo=1, hi=4096))
    given: dict = {}
    for (p, m, s), r in (runs or {}).items():
        if s == settings.get("seed", 0) and len(r.compute_s) == steps:
            given[(m, p, r.workers, r.delay if m == "dga" else None, None if m == "sync" else r.period)] = r

    def simulate(method, part, J, D, K):      # D is DGA's only, K FedAvg's and DGA's: the key leaves out the rest
        return given.get((method, part, J, D, K)) or simulation.simulate(
            method, part, workers=J, steps=steps, delay=D or 0, period=K or 1, data=data, **settings)

    memo = widgets.Memo(simulate, maxsize=96)
    # K must divide the evaluation interval (the mean model is held at round ends)
    periods = sorted({k for k in (1, 2, 4, 8, 16) if eval_every % k == 0} | {period})
    controls = {
        "latency_ms": widgets.slider("latency", latency_ms, 0, 500, 10, unit="ms"),
        "bandwidth": widgets.slider("link bandwidth", bandwidth_mbit, -1, 3, 0.25, unit="Mbit/s", log=True,
                                    readout_format=".3g"),
        "delay": widgets.int_slider("delay D [steps]", delay, 0, 16),
        "period": widgets.dropdown("averaging period K [steps]", periods, period),
        "workers": widgets.int_slider("workers J", min(workers, 8), 2, 8),
        "partition": widgets.dropdown("partition", list(dga.PARTITIONS), partition_kind),
    }
    fig = plotting.widget_figure(plotting.label("wall-clock", "s"), plotting.label("test accuracy", "%"))
    for m in dga.METHODS:
        fig.add_scatter(x=[], y=[], mode="lines", name=NAME[m], line=dict(color=COLOR[m]))
    fig.update_yaxes(range=[50, 100])
    ex = None

    def update():
        v = {k: w.value for k, w in controls.items()}
        lat, J, D, K = v["latency_ms"] / 1000, v["workers"], v["delay"], v["period"]
        link_s = simulation.transfer_seconds(msg_bytes, J, v["bandwidth"])
        curves, final = {}, {}
        for i, m in enumerate(dga.METHODS):
            key = (m, v["partition"], J, D if m == "dga" else None, None if m == "sync" else K)
            if not memo.holds(*key):
                ex.busy(f"simulating {m}, J = {J}" + (f", K = {K}" if m != "sync" else "")
                        + (f", D = {D}" if m == "dga" else ""))
            r = memo(*key)
            t = simulation.curve_times(r, lat, D, K, step_s, link_s)
            fig.data[i].x, fig.data[i].y = t, 100 * r.acc
            curves[m], final[m] = (t, r.acc), (r.final_acc, t[-1])
        # time to an accuracy every method reaches (95 % of the lowest peak), not the time of a fixed step count,
        # whose ratio is the delay's by construction
        target = 0.95 * min(float(np.max(a)) for _, a in curves.values())
        tta = {m: simulation.time_to_accuracy(t, a, target) for m, (t, a) in curves.items()}
        rows = {f"time to {100 * target:.1f} % test accuracy (sync / FedAvg / DGA)":
                " / ".join(f"{tta[m]:.2f} s" for m in ("sync", "fedavg", "dga")),
                "DGA's time-to-accuracy speedup over sync, FedAvg":
                f"{tta['sync'] / tta['dga']:.2f} ×, {tta['fedavg'] / tta['dga']:.2f} ×",
                "link time of one all-reduce": f"{1e3 * link_s:.1f} ms ({msg_bytes} B at {v['bandwidth']:.3g} Mbit/s, "
                                               f"ring of {J})"}
        for m in dga.METHODS:
            rows[f"{m}: final accuracy, time of step {steps}"] = f"{100 * final[m][0]:.1f} %, {final[m][1]:.2f} s"
        ex.readout.value = widgets.readout_table(rows)

    ex = widgets.Explorer(controls, [fig], update, title="DGA under latency and bandwidth",
                          recompute=("delay", "period", "workers", "partition"),
                          presets={"no latency": dict(latency_ms=0.0), "200 ms, D=4": dict(latency_ms=200.0, delay=4),
                                   "200 ms, D=16": dict(latency_ms=200.0, delay=16),
                                   "slow link (1 Mbit/s)": dict(bandwidth=1.0)})
    ex.refresh()
    return ex
