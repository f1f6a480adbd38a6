"""Delayed Gradient Averaging for federated learning under network latency (L. Zhu, H. Lin,
Y. Lu, Y. Lin, S. Han; NeurIPS 2021). Backs notebooks/17_dga.ipynb.

`algorithm`: partitions, the MLP, the three update rules (sync, FedAvg, DGA). `simulation`: the
single-process simulation and the latency timeline. `experiments`: the comparisons and sweeps.
`claims`: the claim helpers. `dist`: the same rules on
torch.distributed (gloo) in real processes; also the torchrun entry point,
``python -m lab.dga.dist``. `views`: the figures and the explorer.
"""
from .algorithm import (METHODS, N_CLASSES, N_FEATURES, PARTITIONS, LocalComm, Trace, accuracy, check_common,
                        check_data, default_data, forward, gradients, init_params, layer_sizes, n_params, partition,
                        seq, train_loop, worker_accuracy)
from .claims import accuracy_gap, bytes_to_accuracy, scales_markdown, tta_speedup
from .experiments import bandwidth_grid, compare, delay_sweep, speedup, speedup_grid, summary
from .simulation import (CPU_STEP_MS, PI_STEP_MS, STEP_MS_RANGE, Run, batch_indices, check_batch_memory, curve_times,
                         measure_step_time, ready_times, simulate, step_times, time_to_accuracy, timeline,
                         transfer_seconds, wire_bytes)
from .dist import DistComm, DistResult, free_port, run_distributed, summarize
from .views import curves_figure, delay_figure, explorer, partition_figure

SCALES = {
    # J workers x `batch` samples per step; `steps` SGD steps; DGA delay D; averaging period K of FedAvg and
    # DGA (the same K for both); accuracy of the mean model every `eval_every` steps (a multiple of K).
    # step_ms: per-step compute times [ms] the timeline runs at (`step_times`), each in STEP_MS_RANGE (0.01 ms
    # to 10 s): CPU_STEP_MS, one step as measured on a 2-core CPU, and PI_STEP_MS, our estimate for the
    # paper's Raspberry Pi cluster (the reasoning of both is in lab/dga/simulation.py).
    "small": dict(workers=4, steps=300, batch=32, hidden=32, lr=0.3, delay=4, period=4, eval_every=8,
                  seeds=(0, 1, 2), latencies_ms=(0, 50, 200), real_steps=16, real_latency_ms=200,
                  bandwidth_mbit=10.0, target_acc=0.93,
                  step_ms={"CPU": CPU_STEP_MS, "Raspberry Pi": PI_STEP_MS}),
    # the paper's Raspberry Pi cluster has 16 nodes
    "paper": dict(workers=16, steps=1500, batch=32, hidden=64, lr=0.3, delay=4, period=4, eval_every=24,
                  seeds=(0, 1, 2, 3, 4), latencies_ms=(0, 50, 200), real_steps=100, real_latency_ms=200,
                  bandwidth_mbit=10.0, target_acc=0.93,
                  step_ms={"CPU": CPU_STEP_MS, "Raspberry Pi": PI_STEP_MS}),
}

__all__ = [
    "SCALES", "METHODS", "N_CLASSES", "N_FEATURES", "PARTITIONS", "CPU_STEP_MS", "PI_STEP_MS", "STEP_MS_RANGE", "LocalComm", "Run",
    "Trace", "accuracy",
    "accuracy_gap", "bandwidth_grid", "batch_indices", "bytes_to_accuracy", "check_batch_memory", "check_common",
    "check_data", "compare", "curve_times", "default_data", "delay_sweep", "forward", "gradients", "init_params",
    "layer_sizes", "measure_step_time", "n_params", "partition", "ready_times", "scales_markdown", "seq", "simulate",
    "speedup", "speedup_grid", "step_times", "summary",
    "time_to_accuracy", "timeline", "train_loop", "transfer_seconds", "tta_speedup", "wire_bytes",
    "worker_accuracy",
    "DistComm", "DistResult", "free_port", "run_distributed", "summarize",
    "curves_figure", "delay_figure", "explorer", "partition_figure",
]
