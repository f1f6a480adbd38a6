"""The single-process simulation and the latency timeline of notebooks/17_dga.ipynb (Delayed Gradient
Averaging, Zhu et al., NeurIPS 2021): `simulate` holds all J workers in the batch dimension of `train_loop`
(algorithm.py) and averages with a mean over it; `timeline`, `ready_times` and `curve_times` combine a per-step
compute time (a preset setting: `CPU_STEP_MS`, `PI_STEP_MS`; or a run's own measured times) with the simulated
network latency (one latency per all-reduce round trip).
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np
import torch

from lab.core.checks import check_array, check_choice, check_int, check_number, check_type
from lab.core.device import one_thread
from lab.data.digits import Digits
from .algorithm import (LocalComm, METHODS, N_CLASSES, N_FEATURES, PARTITIONS, accuracy, check_common, check_data,
                        gradients_unchecked, init_params, layer_sizes, partition, train_loop, worker_accuracy)


# Compute time of one worker's step on the paper's Raspberry Pi cluster: OUR ESTIMATE (the
# paper reports speedups on the cluster, not a step time). A Raspberry Pi 4 (4 Cortex-A72
# cores, 1.5 GHz) sustains a few GFLOP/s in PyTorch; one training step of a small CIFAR
# ResNet (ResNet-20: about 41 M multiply-adds forward per 32x32 image, about 3x that with
# the backward pass, so about 0.25 GFLOP per image) on a batch of 32 is about 8 GFLOP,
# i.e. one to a few seconds. We take 1 s; anything in 0.3-3 s is as defensible.
PI_STEP_MS = 1000.0
# One worker's step of the small preset's MLP on a 2-core x86 CPU, as `measure_step_time` gives it (0.33 to
# 0.36 ms on the development machine under load): a fixed preset value, so that the claims do not move with
# the load; the notebook prints today's measurement beside it.
CPU_STEP_MS = 0.3
STEP_MS_RANGE = (0.01, 10_000.0)  # accepted per-step compute times [ms] (`step_times`)


MAX_BATCH_BYTES = 1 << 30  # minibatches drawn up front: at most 1 GiB of float64 images


def check_batch_memory(workers: int, steps: int, batch: int) -> None:
    """Refuse a run whose up-front minibatches (workers x steps x batch x 64 float64) exceed 1 GiB."""
    workers = check_int("workers", workers, lo=1, hi=4096)
    steps = check_int("steps", steps, lo=1, hi=10**6)
    batch = check_int("batch", batch, lo=1, hi=4096)
    need = workers * steps * batch * N_FEATURES * 8
    if need > MAX_BATCH_BYTES:
        raise ValueError(f"steps x workers x batch too large: {steps} x {workers} x {batch} images need "
                         f"{need / 2**30:.1f} GiB of minibatches (at most 1 GiB); use fewer steps")


def batch_indices(sizes, batch: int, steps: int, seed: int) -> np.ndarray:
    """Minibatch indices (J, steps, batch) into each worker's partition; worker j draws
    with replacement from its own generator default_rng([seed, j])."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError("sizes must be a sequence of partition sizes (ints >= 1)")
    sizes = [check_int("sizes", n, lo=1, hi=10**7) for n in sizes]
    if not sizes:
        raise ValueError("sizes must name at least one partition")
    batch = check_int("batch", batch, lo=1, hi=4096)
    steps = check_int("steps", steps, lo=1, hi=10**6)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    check_batch_memory(len(sizes), steps, batch)
    return np.stack([np.random.default_rng([seed, j]).integers(0, n, size=(steps, batch))
                     for j, n in enumerate(sizes)])


@dataclass
class Run:
    """One simulated training run: accuracy (E,) at `steps_eval` (E,), per-step compute
    time [s] (`compute_s`, shape (steps,)), final accuracy, final weights (J, P).
    Accuracies are those of the mean model, the model every worker holds once the
    averages in flight are applied (at the end, each worker's own model)."""
    method: str
    partition: str
    seed: int
    steps_eval: np.ndarray
    acc: np.ndarray
    compute_s: np.ndarray
    final_acc: float
    W: torch.Tensor
    messages: int
    workers: int
    delay: int
    period: int

    def __post_init__(self):
        check_choice("method", self.method, METHODS)
        check_choice("partition", self.partition, PARTITIONS)
        check_int("seed", self.seed, lo=0, hi=2**32 - 1)
        self.steps_eval = check_array("steps_eval", self.steps_eval, ndim=1, dtype_kind="fiu", min_size=0, lo=0)
        self.acc = check_array("acc", self.acc, ndim=1, min_size=0, lo=0.0, hi=1.0)
        if self.acc.shape != self.steps_eval.shape:
            raise ValueError(f"acc must hold one accuracy per entry of steps_eval ({len(self.steps_eval)}); "
                             f"got {len(self.acc)}")
        self.compute_s = check_array("compute_s", self.compute_s, ndim=1, lo=0.0)
        check_number("final_acc", self.final_acc, lo=0.0, hi=1.0)
        check_type("W", self.W, torch.Tensor)  # not checked finite: a run that diverged is a measured outcome
        workers = check_int("workers", self.workers, lo=1, hi=4096)
        if not self.W.dtype.is_floating_point or self.W.ndim != 2 or self.W.shape[0] != workers:
            raise ValueError(f"W must hold one float weight vector per worker, shape ({workers}, P); "
                             f"got {tuple(self.W.shape)}")
        check_int("messages", self.messages, lo=0)
        check_int("delay", self.delay, lo=0, hi=1000)
        check_int("period", self.period, lo=1, hi=1000)


def simulate(method: str, partition_kind: str = "iid", workers: int = 4, steps: int = 300, batch: int = 32,
             hidden: int = 32, lr: float = 0.3, delay: int = 4, period: int = 4, seed: int = 0,
             eval_every: int = 8, data: Digits | None = None) -> Run:
    """Train with one algorithm, all J workers in this process (same rules as the
    multi-process run). Accuracy every `eval_every` steps is that of the mean model
    (for FedAvg and DGA `eval_every` must be a multiple of `period`, so that the
    points fall on round ends); the final accuracy is the mean over workers of each
    worker's own model, which after the last averages is the mean model.
    steps x workers x batch is bounded by the 1 GiB of minibatches drawn up front."""
    steps, lr, delay, period = check_common(method, steps, lr, delay, period)
    partition_kind = check_choice("partition_kind", partition_kind, PARTITIONS)
    workers = check_int("workers", workers, lo=1, hi=64)
    batch = check_int("batch", batch, lo=1, hi=4096)
    seed = check_int("seed", seed, lo=0)
    hidden = check_int("hidden", hidden, lo=1, hi=4096)
    eval_every = check_int("eval_every", eval_every, lo=0, hi=10**6)
    if method != "sync" and eval_every % period:
        raise ValueError(f"eval_every must be 0 or a multiple of period={period} for {method} (the mean model is "
                         f"held at round ends); got {eval_every}")
    check_batch_memory(workers, steps, batch)
    data = check_data(data)
    x_train = data.x_train.astype(np.float64)
    parts = partition(data.y_train, workers, partition_kind, seed)
    idx = batch_indices([len(p) for p in parts], batch, steps, seed)
    xb = torch.as_tensor(np.stack([x_train[p][i] for p, i in zip(parts, idx)]))  # (J, steps, B, 64)
    yb = torch.as_tensor(np.stack([data.y_train[p][i] for p, i in zip(parts, idx)]))  # (J, steps, B)

    def sample(t):
        return xb[:, t], yb[:, t]

    def evaluate(W):  # the mean model: what every worker holds once the averages in flight are applied
        return accuracy(W.mean(0), data.x_test, data.y_test, hidden)

    W0 = init_params(hidden, seed).expand(workers, -1).clone()
    with one_thread():  # tensors this small: a second intra-op thread only spins (10x slower on a busy machine)
        tr = train_loop(W0, sample, method, steps, lr, delay, period, LocalComm(), evaluate, eval_every)
        final = worker_accuracy(tr.W, data.x_test, data.y_test, hidden)
    return Run(method, partition_kind, seed, np.array(tr.eval_steps), np.array(tr.eval_acc),
               tr.compute_s / workers, final, tr.W, tr.messages, workers, delay, period)


def measure_step_time(hidden: int = 32, batch: int = 32, repeats: int = 50, seed: int = 0) -> float:
    """Median CPU time [s] of one worker's gradient step (one MLP, one batch, one torch
    thread), measured with thread CPU time so it does not grow when the machine is busy."""
    hidden = check_int("hidden", hidden, lo=1, hi=4096)
    batch = check_int("batch", batch, lo=1, hi=4096)
    repeats = check_int("repeats", repeats, lo=1, hi=10**5)
    rng = np.random.default_rng(check_int("seed", seed, lo=0, hi=2**32 - 1))
    W = init_params(hidden, seed).unsqueeze(0)
    x = torch.as_tensor(rng.random((1, batch, N_FEATURES)))
    y = torch.as_tensor(rng.integers(0, N_CLASSES, (1, batch)))
    times = []
    with one_thread():  # as `simulate` and the worker processes run
        for _ in range(repeats + 3):
            c0 = time.thread_time()
            W = W - 0.01 * gradients_unchecked(W, x, y, layer_sizes(hidden))
            times.append(time.thread_time() - c0)
    return float(np.median(times[3:]))


# ----------------------------------------------------------------------------- timeline
def transfer_seconds(message_bytes: float, workers: int, bandwidth_mbit: float) -> float:
    """Seconds a ring all-reduce of `message_bytes` keeps each worker's link busy: every
    worker sends 2 (J - 1) / J of the message at `bandwidth_mbit` Mbit/s (0 for one worker)."""
    message_bytes = check_number("message_bytes", message_bytes, lo=0.0, hi=1e12)
    workers = check_int("workers", workers, lo=1, hi=4096)
    bandwidth_mbit = check_number("bandwidth_mbit", bandwidth_mbit, lo=0.0, lo_open=True, hi=1e6)
    return 2.0 * (workers - 1) / workers * message_bytes * 8 / (bandwidth_mbit * 1e6)


def wire_bytes(run: "Run", message_bytes: float) -> np.ndarray:
    """Bytes each worker has sent by each of `run`'s evaluation points (E,): one ring
    all-reduce (2 (J - 1) / J x message_bytes) per message; sync sends every step,
    FedAvg and DGA every K steps (and at the last step)."""
    check_type("run", run, Run)
    message_bytes = check_number("message_bytes", message_bytes, lo=0.0, hi=1e12)
    per = 2.0 * (run.workers - 1) / run.workers * message_bytes
    steps = np.asarray(run.steps_eval)
    n = steps if run.method == "sync" else -(-steps // run.period)
    return n * per


MAX_TIMELINE_STEPS = 10**6


def _clocks(method: str, compute_s, latency_s: float, delay: int, period: int, transfer_s: float):
    """Checked inputs -> (end (T,), ready (T,)): see `timeline` and `ready_times`."""
    check_choice("method", method, METHODS)
    c = check_array("compute_s", compute_s, ndim=(1, 2), lo=0.0)
    c = c.reshape(1, -1) if c.ndim == 1 else c
    if c.shape[1] > MAX_TIMELINE_STEPS or c.shape[0] > 4096:
        raise ValueError(f"compute_s must have at most {MAX_TIMELINE_STEPS} steps and 4096 workers; got {c.shape}")
    latency_s = check_number("latency_s", latency_s, lo=0.0, hi=3600.0)
    delay = check_int("delay", delay, lo=0, hi=1000)
    period = check_int("period", period, lo=1, hi=1000)
    transfer_s = check_number("transfer_s", transfer_s, lo=0.0, hi=3600.0)
    J, T = c.shape
    clock = np.zeros(J)
    end, ready = np.zeros(T), np.zeros(T)
    sent: deque = deque()  # dga: (step sent, arrival time)
    last_arrival = 0.0
    link_free = 0.0

    def send(at: float) -> float:
        nonlocal link_free
        start = max(at, link_free)
        link_free = start + transfer_s
        return link_free + latency_s

    for t in range(T):
        clock = clock + c[:, t]
        round_end = (t + 1) % period == 0 or t == T - 1
        if method == "sync" or (method == "fedavg" and round_end):
            clock[:] = send(clock.max())
        elif method == "dga":
            if round_end:
                last_arrival = send(clock.max())
                sent.append((t, last_arrival))
            while sent and sent[0][0] + delay <= t:
                clock = np.maximum(clock, sent.popleft()[1])
        end[t] = clock.max()
        ready[t] = max(end[t], last_arrival)
    return end, ready


def timeline(method: str, compute_s, latency_s: float, delay: int = 4, period: int = 4,
             transfer_s: float = 0.0) -> np.ndarray:
    """Modelled wall-clock [s] at the end of each step, shape (steps,).

    compute_s: per-step compute time [s], shape (steps,) (all workers alike) or
    (J, steps) (per worker; an all-reduce starts when the slowest worker sends); at
    most 10**6 steps. latency_s: latency [s] of one all-reduce round trip.
    transfer_s: seconds one all-reduce occupies the link (`transfer_seconds`: the
    bandwidth term); all-reduces share the link one after another, so messages queue
    when a transfer outlasts the time between them. Each worker keeps its own clock:
    sync waits for every average; fedavg waits every `period` (K) steps; dga sends
    every K steps and only waits at step t for the average sent at t - D. The last
    step ends a round (a partial one if K does not divide the steps).
    """
    return _clocks(method, compute_s, latency_s, delay, period, transfer_s)[0]


def ready_times(method: str, compute_s, latency_s: float, delay: int = 4, period: int = 4,
                transfer_s: float = 0.0) -> np.ndarray:
    """Wall-clock [s] (steps,) at which every worker can hold the mean model after each
    step: the end of the step (`timeline`), or later for DGA, whose averages sent up
    to that step are still in flight (the time the last one arrives). Scoring the mean
    model at a step charges this time. Same arguments as `timeline`."""
    return _clocks(method, compute_s, latency_s, delay, period, transfer_s)[1]


def curve_times(run: Run, latency_s: float, delay: int, period: int, step_s: float | None = None,
                transfer_s: float = 0.0) -> np.ndarray:
    """Wall-clock [s] of each of `run`'s evaluation points (E,): when every worker can
    hold the model scored there (`ready_times`: for DGA, once the averages in flight
    have arrived). step_s: a fixed per-step compute time [s] (default: the run's own
    measured times); transfer_s: link time [s] of one all-reduce (the bandwidth term)."""
    check_type("run", run, Run)
    c = run.compute_s if step_s is None else np.full(len(run.compute_s), check_step_s(step_s))
    ready = np.concatenate([[0.0], ready_times(run.method, c, latency_s, delay, period, transfer_s)])
    return ready[run.steps_eval]


def check_step_s(step_s):
    return check_number("step_s", step_s, lo=0.0, lo_open=True, hi=3600.0)


def step_times(step_ms: dict) -> dict:
    """The per-step compute times [s] a preset names: step_ms maps a label to a time in
    ms within STEP_MS_RANGE (0.01 ms to 10 s). Returns {label: seconds}."""
    check_type("step_ms", step_ms, dict)
    if not step_ms:
        raise ValueError("step_ms must name at least one step time (label -> ms)")
    lo, hi = STEP_MS_RANGE
    out = {}
    for label, ms in step_ms.items():
        check_type("step_ms", label, str)
        out[label] = check_number("step_ms", ms, lo=lo, hi=hi) / 1000
    return out


def time_to_accuracy(times: np.ndarray, acc: np.ndarray, target: float) -> float:
    """First time [s] (or any other monotonic axis, e.g. bytes) at which `acc` reaches
    `target` (inf if never)."""
    times = check_array("times", times, ndim=1)
    acc = check_array("acc", acc, shape=(len(times),))
    target = check_number("target", target, lo=0.0, hi=1.0)
    hit = np.nonzero(acc >= target)[0]
    return float(times[hit[0]]) if hit.size else float("inf")
