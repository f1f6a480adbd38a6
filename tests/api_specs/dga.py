"""Valid, fast calls of lab.dga's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import numpy as np
import torch

from lab import dga as T

TINY = dict(workers=2, steps=8, batch=4, hidden=8, lr=0.3, delay=2, period=2)


@lru_cache(maxsize=1)
def _data():
    return T.default_data()


@lru_cache(maxsize=1)
def _runs():
    return T.compare(partitions=("iid",), seeds=(0,), data=_data(), progress=False, eval_every=2, **TINY)


def _run():
    return _runs()[("iid", "dga", 0)]


def _W():
    return T.init_params(8, 0).expand(2, -1).clone()


def _x():
    return torch.rand(2, 3, 64, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


def _y():
    return torch.tensor([[0, 1, 2], [3, 4, 5]])


SPECS = {
    "seq": lambda: dict(name="xs", values=(1, 2), check=lambda n, v: v),
    "default_data": lambda: dict(),
    "partition": lambda: dict(labels=_data().y_train, workers=2, kind="noniid", seed=0),
    "layer_sizes": lambda: dict(hidden=8),
    "n_params": lambda: dict(hidden=8),
    "init_params": lambda: dict(hidden=8, seed=0),
    "forward": lambda: dict(W=_W(), x=_x(), hidden=8),
    "gradients": lambda: dict(W=_W(), x=_x(), y=_y(), hidden=8),
    "accuracy": lambda: dict(w=T.init_params(8, 0), x=_data().x_test[:20], y=_data().y_test[:20], hidden=8),
    "worker_accuracy": lambda: dict(W=_W(), x=_data().x_test[:20], y=_data().y_test[:20], hidden=8),
    "check_common": lambda: dict(method="dga", steps=10, lr=0.1, delay=2, period=2),
    "check_batch_memory": lambda: dict(workers=2, steps=10, batch=4),
    "check_data": lambda: dict(data=_data()),
    "batch_indices": lambda: dict(sizes=[10, 12], batch=4, steps=5, seed=0),
    "simulate": lambda: dict(method="dga", partition_kind="iid", seed=0, eval_every=4, data=_data(), **TINY),
    "measure_step_time": lambda: dict(hidden=8, batch=4, repeats=3, seed=0),
    "transfer_seconds": lambda: dict(message_bytes=19280.0, workers=4, bandwidth_mbit=10.0),
    "wire_bytes": lambda: dict(run=_run(), message_bytes=19280.0),
    "timeline": lambda: dict(method="dga", compute_s=np.full(10, 1e-3), latency_s=0.2, delay=2, period=2,
                             transfer_s=0.01),
    "ready_times": lambda: dict(method="dga", compute_s=np.full(10, 1e-3), latency_s=0.2, delay=2, period=2,
                                transfer_s=0.01),
    "step_times": lambda: dict(step_ms={"cpu": 0.5, "pi": 1000.0}),
    "scales_markdown": lambda: dict(scales=T.SCALES),
    "curve_times": lambda: dict(run=_run(), latency_s=0.2, delay=2, period=2, step_s=1e-3, transfer_s=0.01),
    "time_to_accuracy": lambda: dict(times=np.array([0.0, 1.0, 2.0]), acc=np.array([0.1, 0.5, 0.9]), target=0.5),
    "compare": lambda: dict(partitions=("iid",), methods=("sync",), seeds=(0,), data=_data(), progress=False,
                            **TINY),
    "speedup": lambda: dict(method="dga", step_s=1e-3, latency_s=0.2, steps=20, delay=2, period=2,
                            baseline="sync", transfer_s=0.01),
    "summary": lambda: dict(runs=_runs(), latencies_ms=(0, 200), step_s=1e-3, delay=2, period=2, target_acc=0.3,
                            transfer_s=0.01),
    "delay_sweep": lambda: dict(delays=(0, 2), partition_kind="iid", latency_ms=200.0, step_s=1e-3, seeds=(0,),
                                data=_data(), transfer_s=0.01, workers=2, steps=6, batch=4, hidden=8),
    "speedup_grid": lambda: dict(step_ms=(0.5, 20.0), latencies_ms=(50, 200), delay=2, period=2, steps=20),
    "bandwidth_grid": lambda: dict(bandwidths_mbit=(1.0, 10.0), latency_ms=200.0, step_s=1e-3, message_bytes=19280.0,
                                   workers=4, delay=2, period=2, steps=20),
    "accuracy_gap": lambda: dict(runs=_runs(), partition_kind="iid", baseline="sync", points=1.0),
    "tta_speedup": lambda: dict(runs=_runs(), partition_kind="iid", baseline="sync", latency_s=0.2, step_s=1e-3,
                                transfer_s=0.01, delay=2, period=2, target=0.2),
    "bytes_to_accuracy": lambda: dict(runs=_runs(), partition_kind="iid", message_bytes=19280.0, target=0.2),
    "free_port": lambda: dict(),
    "Run": lambda: dict(method="dga", partition="iid", seed=0, steps_eval=np.array([0, 2]), acc=np.array([0.1, 0.2]),
                        compute_s=np.full(4, 1e-3), final_acc=0.2, W=_W(), messages=2, workers=2, delay=2, period=2),
    "summarize": lambda: dict(res=T.DistResult(W={"sync": torch.zeros(2, 3)}, acc={"sync": 0.5},
                                               wall_s={"sync": 1.0}, compute_s={"sync": np.full((2, 4), 1e-3)},
                                               messages={"sync": 4}), latency_s=0.1, delay=2, period=2),
    "partition_figure": lambda: dict(data=_data(), workers=2, seed=0),
    "curves_figure": lambda: dict(runs=_runs(), latencies_ms=(0, 200), step_s=1e-3, delay=2, period=2,
                                  transfer_s=0.01),
    "delay_figure": lambda: dict(sweep=T.delay_sweep((0, 2), data=_data(), workers=2, steps=6, batch=4, hidden=8)),
}
SKIP = {
    "LocalComm": "a communicator with no arguments; its start() is exercised by every simulate call",
    "Trace": "a record built by train_loop (fields computed, never user input)",
    "train_loop": "internal loop shared by simulate and the distributed worker; takes callables built by them "
                  "from checked arguments (tests/test_dga.py checks it against an independent reference)",
    "DistComm": "needs an initialised torch.distributed process group; exercised by run_distributed",
    "DistResult": "a record built by run_distributed (fields computed, never user input)",
    "run_distributed": "starts real worker processes (seconds each); its bad arguments are tested in "
                       "tests/test_dga.py::test_bad_inputs",
    "explorer": "widget; driven by notebook 17's explorer-check cell and tests/test_dga.py",
}
FINITE_EXEMPT = {"time_to_accuracy": "inf where the accuracy never reaches the target (documented)",
                 "Run": "W is not checked finite: the weights of a run that diverged are its measured outcome"}
