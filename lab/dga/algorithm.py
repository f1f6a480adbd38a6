"""Delayed Gradient Averaging (DGA) for federated learning under network latency.

Backs notebooks/17_dga.ipynb (this file: data partitions, the model, the update rules,
the single-process simulation and the latency timeline; `dist.py` runs the same rules on
torch.distributed, `views.py` holds the figures and the explorer). Paper: L. Zhu, H. Lin, Y. Lu, Y. Lin, S. Han, "Delayed
Gradient Averaging: Tolerate the Communication Latency for Federated Learning",
NeurIPS 2021.

J workers train one small MLP on partitions (IID or label-skewed) of scikit-learn's
digits (the one loader, `lab.data.load_digits`). Three update rules, all written once in `train_loop` on a stack of worker
weights `W` of shape (J_local, P) and a communicator:

* ``sync``   - every step: all-reduce the gradients, wait, apply the average;
* ``fedavg`` - K local SGD steps, then all-reduce (average) the weights;
* ``dga``    - local SGD steps; every K steps start an all-reduce of the round's
  gradient sum without waiting, and D steps after sending it swap the worker's own
  sum for the average. With K = 1 this is the paper's rule
  w_{t+1} = w_t - lr * (g_t - g_{t-D} + avg_{t-D})  (plain local SGD while t < D);
  with D = 0 it is FedAvg (and with K = 1, D = 0 synchronous SGD).

At the end of a run the averages still in flight are waited for and applied, so every
worker holds the mean model, and accuracy is always the test accuracy of the mean model
(during training too: `curve_times` charges DGA the time its averages take to arrive).

The single-process simulation (`simulate`) holds all J workers in the batch
dimension and averages with a mean over it; `lab.dga.dist` runs the very same
`train_loop` in J processes with torch.distributed (gloo) and `all_reduce`
(``async_op=True`` for DGA). Network latency is SIMULATED: a reduced tensor is
released no earlier than `latency` seconds after it was sent (one latency per
all-reduce round trip). Wall-clock figures come from `timeline` and `ready_times`,
which combine a per-step compute time (a preset setting: `CPU_STEP_MS`, `PI_STEP_MS`;
or a run's own measured times) with that latency model, so they are stable on a busy
machine; the multi-process run replays the model with real sleeps.

Across machines, the same worker runs under torchrun (real network, no injected
latency), e.g. two machines with two workers each, on each machine::

    torchrun --nnodes=2 --nproc-per-node=2 --node-rank=<0 or 1> \\
        --master-addr=<address of node 0> --master-port=29500 \\
        -m lab.dga.dist --method dga --delay 4 --steps 300 --partition iid

(on one machine: ``torchrun --standalone --nproc-per-node=4 -m lab.dga.dist --method dga``).
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import torch

from lab.core.checks import check_array, check_choice, check_int, check_number, check_type
from lab.core import stats
from lab.core.claims import Measured
from lab.core.device import one_thread
from lab.data.digits import Digits, load_digits

METHODS = ("sync", "fedavg", "dga")
PARTITIONS = ("iid", "noniid")
N_FEATURES, N_CLASSES = 64, 10

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


# ----------------------------------------------------------------------------- data
def default_data() -> Digits:
    """The digits split this topic uses: `lab.data.load_digits(test_fraction=0.25, seed=0,
    flat=True)` (x (N, 64) float32 in [0, 1]; the MLP runs in float64)."""
    return load_digits(test_fraction=0.25, seed=0, flat=True)


def check_data(data) -> Digits:
    """`data` as a flat digits split (a `lab.data.Digits` with x of shape (N, 64)), or the default."""
    if data is None:
        return default_data()
    check_type("data", data, Digits)
    if data.x_train.ndim != 2 or data.x_train.shape[1] != N_FEATURES:
        raise ValueError(f"data must be a flat digits split (x of shape (N, {N_FEATURES}): load_digits(flat=True)); "
                         f"got x_train of shape {data.x_train.shape}")
    return data


def partition(labels: np.ndarray, workers: int, kind: str = "iid", seed: int = 0) -> list[np.ndarray]:
    """Split sample indices among `workers`: "iid" (random, equal sizes) or "noniid"
    (label skew: sorted by label, cut into 2*workers shards, two random shards per
    worker, so each worker sees about two classes). Returns a list of index arrays."""
    labels = check_array("labels", labels, ndim=1, dtype_kind="iu")
    workers = check_int("workers", workers, lo=1, hi=len(labels) // 2)
    kind = check_choice("kind", kind, PARTITIONS)
    seed = check_int("seed", seed, lo=0)
    rng = np.random.default_rng(seed)
    if kind == "iid":
        return [np.sort(p) for p in np.array_split(rng.permutation(len(labels)), workers)]
    order = np.lexsort((rng.random(len(labels)), labels))      # by label, random within a label
    shards = np.array_split(order, 2 * workers)
    pick = rng.permutation(2 * workers)
    return [np.sort(np.concatenate([shards[pick[2 * j]], shards[pick[2 * j + 1]]])) for j in range(workers)]


# ----------------------------------------------------------------------------- model
def layer_sizes(hidden: int) -> tuple[int, ...]:
    """Widths of the MLP's layers: (64, hidden, 10)."""
    return (N_FEATURES, check_int("hidden", hidden, lo=1, hi=4096), N_CLASSES)


def n_params(hidden: int) -> int:
    """Number of parameters P of the MLP 64 -> hidden -> 10."""
    s = layer_sizes(hidden)
    return sum(a * b + b for a, b in zip(s[:-1], s[1:]))


def init_params(hidden: int, seed: int) -> torch.Tensor:
    """Flat initial weights (P,) float64, uniform(+-1/sqrt(fan_in)) as torch's Linear."""
    hidden = check_int("hidden", hidden, lo=1, hi=4096)
    seed = check_int("seed", seed, lo=0)
    g = torch.Generator().manual_seed(seed)
    parts = []
    s = layer_sizes(hidden)
    for a, b in zip(s[:-1], s[1:]):
        bound = 1.0 / a ** 0.5
        parts += [(torch.rand(a * b, generator=g, dtype=torch.float64) * 2 - 1) * bound,
                  (torch.rand(b, generator=g, dtype=torch.float64) * 2 - 1) * bound]
    return torch.cat(parts)


def _check_tensor(name: str, t) -> torch.Tensor:
    check_type(name, t, torch.Tensor)
    if not t.dtype.is_floating_point:
        raise TypeError(f"{name} must be a float tensor; got {t.dtype}")
    if t.numel() and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} must be finite; found NaN or inf")
    return t


def seq(name: str, values, check) -> list:
    """A non-empty sequence `values` checked element by element by check(name, value);
    TypeError / ValueError name `name`."""
    check_type("name", name, str)
    if not callable(check):
        raise TypeError(f"check must be callable; got {type(check).__name__}")
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a non-empty sequence; got values of type {type(values).__name__}")
    out = [check(name, v) for v in values]
    if not out:
        raise ValueError(f"{name} must be a non-empty sequence; got empty values")
    return out


def forward(W: torch.Tensor, x: torch.Tensor, hidden: int) -> torch.Tensor:
    """Logits (J, B, 10) of J MLPs with flat weights W (J, P) on inputs x (J, B, 64), both
    finite float tensors (J >= 1)."""
    s = layer_sizes(hidden)
    _check_tensor("W", W)
    _check_tensor("x", x)
    if not (isinstance(W, torch.Tensor) and W.ndim == 2 and W.shape[0] >= 1 and W.shape[1] == n_params(hidden)):
        raise ValueError(f"W must be a tensor of shape (J, {n_params(hidden)}); got {getattr(W, 'shape', W)!r}")
    if not (isinstance(x, torch.Tensor) and x.ndim == 3 and x.shape[0] == W.shape[0] and x.shape[2] == N_FEATURES):
        raise ValueError(f"x must be a tensor of shape ({W.shape[0]}, B, {N_FEATURES}); got {getattr(x, 'shape', x)!r}")
    return _forward(W, x, s)


def _forward(W: torch.Tensor, x: torch.Tensor, s: tuple) -> torch.Tensor:
    J, out, off = W.shape[0], x, 0
    for i, (a, b) in enumerate(zip(s[:-1], s[1:])):
        w = W[:, off:off + a * b].reshape(J, a, b)
        off += a * b
        out = torch.baddbmm(W[:, off:off + b].unsqueeze(1), out, w)
        off += b
        if i < len(s) - 2:
            out = torch.relu(out)
    return out


def gradients(W: torch.Tensor, x: torch.Tensor, y: torch.Tensor, hidden: int) -> torch.Tensor:
    """Per-worker gradients (J, P) of the mean cross-entropy of each worker's batch.
    W (J, P) and x (J, B, 64) finite float tensors, y (J, B) int64 labels in 0..9."""
    hidden = check_int("hidden", hidden, lo=1, hi=4096)
    _check_tensor("W", W)
    _check_tensor("x", x)
    if x.ndim != 3 or x.shape[1] == 0 or W.ndim != 2 or x.shape[0] != W.shape[0]:
        raise ValueError(f"x must be a tensor (J, B, 64) with J = W.shape[0] and at least one sample per worker; "
                         f"got {tuple(x.shape)}")
    check_type("y", y, torch.Tensor)
    if y.dtype != torch.int64 or y.shape != x.shape[:2]:
        raise ValueError(f"y must be an int64 tensor of shape {tuple(x.shape[:2])}; got {y.dtype} {tuple(y.shape)}")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= N_CLASSES):
        raise ValueError(f"y must hold labels in 0..{N_CLASSES - 1}")
    forward(W, x[:, :0], hidden)  # the shape checks of W and x
    return _gradients(W, x, y, layer_sizes(hidden))


def _gradients(W: torch.Tensor, x: torch.Tensor, y: torch.Tensor, s: tuple) -> torch.Tensor:
    """`gradients` without the argument checks (the training loop's inputs are checked once,
    up front): backpropagation through the one-hidden-layer MLP written out, twice as fast
    as autograd at this size (tests/test_dga.py checks it against torch.nn's autograd)."""
    J, B = x.shape[:2]
    n_in, n_h, n_out = s
    o1, o2, o3 = n_in * n_h, n_in * n_h + n_h, n_in * n_h + n_h + n_h * n_out
    W1, W2 = W[:, :o1].reshape(J, n_in, n_h), W[:, o2:o3].reshape(J, n_h, n_out)
    h = torch.relu(torch.baddbmm(W[:, o1:o2].unsqueeze(1), x, W1))
    d = torch.softmax(torch.baddbmm(W[:, o3:].unsqueeze(1), h, W2), -1)  # d loss / d logits: softmax - one-hot
    d.scatter_add_(2, y.unsqueeze(2), torch.full((J, B, 1), -1.0, dtype=d.dtype))
    d = d / B  # the loss is the mean over each worker's batch
    dh = torch.bmm(d, W2.transpose(1, 2)) * (h > 0)
    return torch.cat([torch.bmm(x.transpose(1, 2), dh).reshape(J, -1), dh.sum(1),
                      torch.bmm(h.transpose(1, 2), d).reshape(J, -1), d.sum(1)], 1)


def accuracy(w: torch.Tensor, x: np.ndarray, y: np.ndarray, hidden: int) -> float:
    """Test accuracy in [0, 1] of one flat weight vector w (P,) on images x (N, 64) with labels y (N,)."""
    _check_tensor("w", w)
    if w.ndim != 1 or w.numel() != n_params(hidden):
        raise ValueError(f"w must be a flat weight vector of {n_params(hidden)} values; got {tuple(w.shape)}")
    x = check_array("x", x, ndim=2, shape=(None, N_FEATURES)).astype(np.float64)
    y = check_array("y", y, shape=(len(x),), dtype_kind="iu", lo=0, hi=N_CLASSES - 1)
    with torch.no_grad():
        logits = forward(w.reshape(1, -1), torch.as_tensor(x).unsqueeze(0), hidden)[0]
    return float((logits.argmax(1).numpy() == y).mean())


def worker_accuracy(W: torch.Tensor, x: np.ndarray, y: np.ndarray, hidden: int) -> float:
    """Mean over workers of the test accuracy of each worker's own weights W (J, P): the
    accuracy of models the workers actually hold (in [0, 1])."""
    _check_tensor("W", W)
    if W.ndim != 2 or W.shape[0] == 0:
        raise ValueError(f"W must have shape (J, P) with J >= 1; got {tuple(W.shape)}")
    return float(np.mean([accuracy(W[j], x, y, hidden) for j in range(W.shape[0])]))


# ----------------------------------------------------------------------------- communicators
class _Ready:
    def __init__(self, value: torch.Tensor):
        self.value = value

    def wait(self) -> torch.Tensor:
        return self.value


class LocalComm:
    """All J workers in one process (the batch dimension): the all-reduce mean is a
    mean over dim 0, available at once (latency is applied by `timeline`)."""

    def start(self, x: torch.Tensor):
        return _Ready(x.mean(0, keepdim=True).expand_as(x).clone())


# ----------------------------------------------------------------------------- the update rules
@dataclass
class Trace:
    """What `train_loop` records: final weights W (J_local, P), per-step compute time [s]
    (CPU time of the gradient step), wall time [s] at the end of each step (the last one
    after the averages still in flight are applied), the number of all-reduces, and the
    (step, accuracy) pairs from `evaluate` (in `simulate`: the accuracy of the mean model)."""
    W: torch.Tensor
    compute_s: np.ndarray
    wall_s: np.ndarray
    eval_steps: list = field(default_factory=list)
    eval_acc: list = field(default_factory=list)
    messages: int = 0


def train_loop(W: torch.Tensor, sample, method: str, steps: int, lr: float, delay: int, period: int,
               comm, evaluate=None, eval_every: int = 0) -> Trace:
    """The three algorithms, once. W (J_local, P) stacked worker weights; sample(t) ->
    (x (J_local, B, 64), y (J_local, B)); comm.start(tensor) -> handle, handle.wait() ->
    the mean over all workers; evaluate(W) -> an accuracy of the stacked weights.

    Every `period` (K) steps FedAvg averages the weights and DGA sends the sum of the
    round's local gradients; DGA applies that round's average `delay` (D) steps after
    sending it, swapping it for the worker's own sum. A last partial round is sent
    too, and at the end every average still in flight is waited for and applied, so
    that every worker ends with the mean model (the last wall time includes that wait).
    """
    sizes = layer_sizes((W.shape[1] - N_CLASSES) // (N_FEATURES + 1 + N_CLASSES))
    compute, wall = np.zeros(steps), np.zeros(steps)
    tr = Trace(W=W, compute_s=compute, wall_s=wall)
    pending: deque = deque()  # dga: (step sent, own sum of the round's gradients, handle)
    acc = None  # dga: sum of this round's local gradients
    t0 = time.perf_counter()

    def record(t):
        if evaluate is not None and eval_every and (t % eval_every == 0 or t == steps):
            tr.eval_steps.append(t)
            tr.eval_acc.append(evaluate(W))

    record(0)
    for t in range(steps):
        c0 = time.thread_time()
        x, y = sample(t)
        g = _gradients(W, x, y, sizes)
        compute[t] = time.thread_time() - c0
        round_end = (t + 1) % period == 0 or t == steps - 1
        if method == "sync":
            W = W - lr * comm.start(g).wait()
            tr.messages += 1
        elif method == "fedavg":
            W = W - lr * g
            if round_end:
                W = comm.start(W).wait()
                tr.messages += 1
        else:  # dga: send the round's gradient sum now, apply its average D steps later
            acc = g if acc is None else acc + g
            if round_end:
                pending.append((t, acc, comm.start(acc.clone())))
                tr.messages += 1
                acc = None
            upd = g
            while pending and pending[0][0] + delay <= t:
                _, own, handle = pending.popleft()
                upd = upd - own + handle.wait()
            W = W - lr * upd
        wall[t] = time.perf_counter() - t0
        if t < steps - 1:
            record(t + 1)
    while pending:  # the averages still in flight: wait for them and apply them
        _, own, handle = pending.popleft()
        W = W - lr * (handle.wait() - own)
    wall[steps - 1] = time.perf_counter() - t0
    if not bool(torch.isfinite(W).all()):
        raise ValueError(f"training diverged (non-finite weights) with lr={lr}; use a smaller lr")
    record(steps)
    tr.W = W
    return tr


def check_common(method, steps, lr, delay, period):
    """Checks the arguments every training entry shares; returns (steps, lr, delay, period)."""
    check_choice("method", method, METHODS)
    return (check_int("steps", steps, lo=1, hi=10**6), check_number("lr", lr, lo=0.0, lo_open=True, hi=10.0),
            check_int("delay", delay, lo=0, hi=1000), check_int("period", period, lo=1, hi=1000))


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
            W = W - 0.01 * _gradients(W, x, y, layer_sizes(hidden))
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
    c = run.compute_s if step_s is None else np.full(len(run.compute_s), _check_step_s(step_s))
    ready = np.concatenate([[0.0], ready_times(run.method, c, latency_s, delay, period, transfer_s)])
    return ready[run.steps_eval]


def _check_step_s(step_s):
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


# ----------------------------------------------------------------------------- experiments
def compare(partitions=PARTITIONS, methods=METHODS, seeds=(0, 1, 2), data: Digits | None = None,
            progress: bool = True, **settings) -> dict:
    """Simulate every (partition, method, seed); returns {(partition, method, seed): Run}.
    settings: workers, steps, batch, hidden, lr, delay, period, eval_every (see `simulate`)."""
    from tqdm.auto import tqdm

    partitions = seq("partitions", partitions, lambda n, p: check_choice(n, p, PARTITIONS))
    methods = seq("methods", methods, lambda n, m: check_choice(n, m, METHODS))
    seeds = seq("seeds", seeds, lambda n, v: check_int(n, v, lo=0, hi=2**32 - 1))
    data = check_data(data)
    keys = [(p, m, s) for p in partitions for m in methods for s in seeds]
    return {k: simulate(k[1], k[0], seed=k[2], data=data, **settings)
            for k in tqdm(keys, desc="simulated runs", disable=not progress)}


def speedup(method: str, step_s: float, latency_s: float, steps: int, delay: int = 4, period: int = 4,
            baseline: str = "sync", transfer_s: float = 0.0) -> float:
    """Wall-clock speedup of `method` over `baseline` for the same number of steps, from
    `ready_times` (until every worker holds the final mean model) with a per-step compute
    time step_s [s], latency latency_s [s] and link time transfer_s [s] per all-reduce."""
    steps = check_int("steps", steps, lo=1, hi=MAX_TIMELINE_STEPS)
    check_choice("baseline", baseline, METHODS)
    c = np.full(steps, _check_step_s(step_s))
    return float(ready_times(baseline, c, latency_s, delay, period, transfer_s)[-1]
                 / ready_times(method, c, latency_s, delay, period, transfer_s)[-1])


def _check_runs(runs) -> dict:
    check_type("runs", runs, dict)
    if not runs or not all(isinstance(k, tuple) and len(k) == 3 and isinstance(r, Run) for k, r in runs.items()):
        raise ValueError("runs must map (partition, method, seed) to a Run, as `compare` returns")
    return runs


def _group(runs: dict, p: str, m: str) -> list:
    return [r for (pp, mm, _), r in sorted(runs.items(), key=lambda kv: kv[0][2]) if (pp, mm) == (p, m)]


def summary(runs: dict, latencies_ms=(0, 50, 200), step_s: float = 4e-4, delay: int = 4, period: int = 4,
            target_acc: float = 0.93, transfer_s: float = 0.0):
    """A table (pandas DataFrame), one row per (partition, method, latency): final test
    accuracy [%] mean and std over seeds, modelled wall time [s] for all steps, the
    speedup over sync for equal steps, and over sync in time to reach `target_acc`
    (transfer_s: link time [s] of one all-reduce)."""
    import pandas as pd

    runs = _check_runs(runs)
    target_acc = check_number("target_acc", target_acc, lo=0.0, hi=1.0)
    step_s = _check_step_s(step_s)
    latencies_ms = seq("latencies_ms", latencies_ms, lambda n, v: check_number(n, v, lo=0.0, hi=1e6))
    rows = []
    groups = sorted({(p, m) for p, m, _ in runs}, key=lambda k: (PARTITIONS.index(k[0]), METHODS.index(k[1])))
    for lat in latencies_ms:
        lat_s = check_number("latencies_ms", lat, lo=0.0, hi=1e6) / 1000
        for p, m in groups:
            rs, sy = _group(runs, p, m), _group(runs, p, "sync")
            acc = 100 * np.array([r.final_acc for r in rs])
            steps = len(rs[0].compute_s)
            t_all = ready_times(m, np.full(steps, step_s), lat_s, delay, period, transfer_s)[-1]
            tta = [time_to_accuracy(curve_times(r, lat_s, delay, period, step_s, transfer_s), r.acc, target_acc)
                   for r in rs]
            tta_sync = [time_to_accuracy(curve_times(r, lat_s, delay, period, step_s, transfer_s), r.acc, target_acc)
                        for r in sy]
            ok = sy and np.isfinite(tta).all() and np.isfinite(tta_sync).all()
            rows.append(dict(partition=p, method=m, latency_ms=lat, acc_mean=acc.mean(), acc_std=acc.std(),
                             wall_s=t_all, speedup=speedup(m, step_s, lat_s, steps, delay, period, "sync", transfer_s),
                             tta_speedup=float(np.mean(tta_sync) / np.mean(tta)) if ok else None))
    return pd.DataFrame(rows)


def delay_sweep(delays=(0, 1, 2, 4, 8, 16), partition_kind: str = "iid", latency_ms: float = 200,
                step_s: float = 4e-4, seeds=(0,), data: Digits | None = None, transfer_s: float = 0.0,
                **settings):
    """DGA at each delay D: final accuracy [%] (mean over seeds) and speedup over sync
    for equal steps at `latency_ms` (and link time transfer_s [s] per all-reduce), at the
    averaging period settings["period"] (default 4). Returns a pandas DataFrame."""
    import pandas as pd

    data = check_data(data)
    delays = seq("delays", delays, lambda n, v: check_int(n, v, lo=0, hi=1000))
    latency_ms = check_number("latency_ms", latency_ms, lo=0.0, hi=1e6)
    seeds = seq("seeds", seeds, lambda n, v: check_int(n, v, lo=0, hi=2**32 - 1))
    period = check_int("period", settings.get("period", 4), lo=1, hi=1000)
    rows = []
    for d in delays:
        d = check_int("delays", d, lo=0, hi=1000)
        rs = [simulate("dga", partition_kind, delay=d, seed=s, data=data, eval_every=0, **settings) for s in seeds]
        rows.append(dict(delay=d, acc_mean=100 * np.mean([r.final_acc for r in rs]),
                         speedup=speedup("dga", step_s, latency_ms / 1000, len(rs[0].compute_s), d, period,
                                         transfer_s=transfer_s)))
    return pd.DataFrame(rows)


def speedup_grid(step_ms=(0.5, 20, 50, 100, 200), latencies_ms=(50, 200), delay: int = 4, period: int = 4,
                 steps: int = 300):
    """Modelled speedup of DGA over sync and over FedAvg for hypothetical per-step compute
    times [ms] (e.g. slower edge devices) at each latency [ms]. Returns a pandas DataFrame."""
    import pandas as pd

    step_ms = seq("step_ms", step_ms, lambda n, v: check_number(n, v, lo=0.0, lo_open=True, hi=1e6))
    latencies_ms = seq("latencies_ms", latencies_ms, lambda n, v: check_number(n, v, lo=0.0, hi=1e6))
    rows = []
    for c in step_ms:
        c_s = check_number("step_ms", c, lo=0.0, lo_open=True) / 1000
        for lat in latencies_ms:
            lat_s = check_number("latencies_ms", lat, lo=0.0, hi=1e6) / 1000
            rows.append(dict(step_ms=c, latency_ms=lat,
                             over_sync=speedup("dga", c_s, lat_s, steps, delay, period, "sync"),
                             over_fedavg=speedup("dga", c_s, lat_s, steps, delay, period, "fedavg")))
    return pd.DataFrame(rows)


def bandwidth_grid(bandwidths_mbit=(1, 2, 5, 10, 100), latency_ms: float = 200, step_s: float = 4e-4,
                   message_bytes: float = 19280, workers: int = 4, delay: int = 4, period: int = 4,
                   steps: int = 300):
    """Modelled speedup of DGA over sync and over FedAvg (equal steps) at each link
    bandwidth [Mbit/s]: sync all-reduces every step, FedAvg and DGA every `period` steps,
    so at low bandwidth sync's messages queue on the link. Returns a pandas DataFrame."""
    import pandas as pd

    latency_ms = check_number("latency_ms", latency_ms, lo=0.0, hi=1e6)
    bandwidths_mbit = seq("bandwidths_mbit", bandwidths_mbit, lambda n, v: v)
    message_bytes = check_number("message_bytes", message_bytes, lo=0.0, hi=1e9)
    rows = []
    for bw in bandwidths_mbit:
        tr = transfer_seconds(message_bytes, workers, check_number("bandwidths_mbit", bw, lo=0.0, lo_open=True,
                                                                   hi=1e6))
        rows.append(dict(bandwidth_mbit=bw, transfer_ms=1e3 * tr,
                         over_sync=speedup("dga", step_s, latency_ms / 1000, steps, delay, period, "sync", tr),
                         over_fedavg=speedup("dga", step_s, latency_ms / 1000, steps, delay, period, "fedavg", tr)))
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- claim helpers
def accuracy_gap(runs: dict, partition_kind: str, baseline: str = "sync", points: float = 1.0) -> Measured:
    """Final test accuracy of `baseline` minus DGA's [points], paired by seed (each worker's own model, which
    is the mean model once `train_loop` has applied the last averages). The value is the mean gap; the claim
    "no accuracy loss" holds when the workbench's paired 95 % t-interval of the gap lies within ±`points`
    (equivalence: the interval, not only the mean, must stay inside the margin). With a single seed there
    is no interval: the one gap is judged, and the note says so."""
    runs = _check_runs(runs)
    partition_kind = check_choice("partition_kind", partition_kind, PARTITIONS)
    baseline = check_choice("baseline", baseline, ("sync", "fedavg"))
    points = check_number("points", points, lo=0.0, lo_open=True, hi=100.0)
    a, d = _group(runs, partition_kind, baseline), _group(runs, partition_kind, "dga")
    if not a or len(a) != len(d):
        raise ValueError(f"runs must hold {baseline} and dga runs of the same seeds for {partition_kind!r}")
    acc_a, acc_d = 100 * np.array([r.final_acc for r in a]), 100 * np.array([r.final_acc for r in d])
    if len(a) == 1:  # one seed has no interval: the single gap, said to be one
        gap = float(acc_a[0] - acc_d[0])
        return Measured(round(gap, 2), bool(abs(gap) <= points), f"{baseline} − DGA on a single seed: {gap:.2f} "
                        f"points (no interval from one seed); {baseline} {acc_a[0]:.1f} %, DGA {acc_d[0]:.1f} %")
    iv = stats.paired_interval(acc_a, acc_d)
    return Measured(round(iv.mean, 2), bool(iv.lo >= -points and iv.hi <= points),
                    f"{baseline} − DGA over {iv.n} paired seeds: {iv.text(unit=' points')}; within "
                    f"±{points:g} needs the whole interval inside; {baseline} {acc_a.mean():.1f} %, DGA "
                    f"{acc_d.mean():.1f} % (each worker's own model, which after the last averages is the mean model)")


def tta_speedup(runs: dict, partition_kind: str, baseline: str, latency_s: float, step_s: float,
                transfer_s: float, delay: int, period: int, target: float = 0.93) -> Measured:
    """Time for `baseline` to first reach `target` test accuracy over DGA's time (ratio of the means over
    seeds), from the timeline with latency, bandwidth (transfer_s) and step time; holds when DGA gets there
    sooner by the workbench's rule: the paired 95 % t-interval of (baseline − DGA) times lies above zero.
    Never reaching the target counts as not holding."""
    runs = _check_runs(runs)
    partition_kind = check_choice("partition_kind", partition_kind, PARTITIONS)
    baseline = check_choice("baseline", baseline, ("sync", "fedavg"))
    target = check_number("target", target, lo=0.0, hi=1.0)

    def tta(m):
        return [time_to_accuracy(curve_times(r, latency_s, delay, period, step_s, transfer_s), r.acc, target)
                for r in _group(runs, partition_kind, m)]
    tb, td = tta(baseline), tta("dga")
    if not tb or not td or len(tb) != len(td):
        raise ValueError(f"runs must hold {baseline} and dga runs of the same seeds for {partition_kind!r}")
    if not (np.isfinite(tb).all() and np.isfinite(td).all()):
        return Measured("target not reached", False, f"{baseline} or DGA never reached {100 * target:.0f} % in some "
                        f"seed (times {baseline} {tb}, DGA {td})")
    ratio = float(np.mean(tb) / np.mean(td))
    if len(tb) == 1:  # one seed has no interval: the single comparison, said to be one
        return Measured(round(ratio, 2), bool(tb[0] > td[0]), f"time to {100 * target:.0f} %: {baseline} "
                        f"{tb[0]:.2f} s, DGA {td[0]:.2f} s on a single seed (no interval from one seed)")
    iv = stats.paired_interval(tb, td)
    per = np.array(tb) / np.array(td)
    return Measured(round(ratio, 2), iv.above(0.0), f"time to {100 * target:.0f} %: {baseline} "
                    f"{np.mean(tb):.2f} s, DGA {np.mean(td):.2f} s; {baseline} − DGA over {iv.n} paired seeds "
                    f"{iv.text(unit=' s')}; per seed ratio {stats.mean_std_text(per)}")


def bytes_to_accuracy(runs: dict, partition_kind: str, message_bytes: float, target: float = 0.93) -> Measured:
    """Equal bytes on the wire: bytes each worker sends before FedAvg first reaches `target`, over the bytes
    DGA sends before it does (ratio of the means over seeds); holds when DGA needs no more bytes than FedAvg
    by the workbench's rule: the paired 95 % t-interval of (FedAvg − DGA) bytes does not lie below zero
    (DGA needing significantly more fails; a tie holds)."""
    runs = _check_runs(runs)
    partition_kind = check_choice("partition_kind", partition_kind, PARTITIONS)
    target = check_number("target", target, lo=0.0, hi=1.0)

    def need(m):
        return [time_to_accuracy(wire_bytes(r, message_bytes), r.acc, target) for r in _group(runs, partition_kind, m)]
    bf, bd = need("fedavg"), need("dga")
    if not bf or not bd or len(bf) != len(bd):
        raise ValueError(f"runs must hold fedavg and dga runs of the same seeds for {partition_kind!r}")
    if not (np.isfinite(bf).all() and np.isfinite(bd).all()):
        return Measured("target not reached", False, f"FedAvg or DGA never reached {100 * target:.0f} % in some seed")
    ratio = float(np.mean(bf) / np.mean(bd))
    if len(bf) == 1:  # one seed has no interval: the single comparison, said to be one
        return Measured(round(ratio, 2), bool(bd[0] <= bf[0]), f"bytes per worker to {100 * target:.0f} %: FedAvg "
                        f"{bf[0] / 1e6:.2f} MB, DGA {bd[0] / 1e6:.2f} MB on a single seed (no interval from one seed)")
    iv = stats.paired_interval(np.array(bf) / 1e6, np.array(bd) / 1e6)
    return Measured(round(ratio, 2), not iv.below(0.0), f"bytes per worker to {100 * target:.0f} %: FedAvg "
                    f"{np.mean(bf) / 1e6:.2f} MB, DGA {np.mean(bd) / 1e6:.2f} MB; FedAvg − DGA over {iv.n} paired "
                    f"seeds {iv.text(unit=' MB')}")


# ----------------------------------------------------------------------------- prose from the presets
def scales_markdown(scales: dict) -> str:
    """The **Scales.** paragraph of notebook 17, written from the presets `scales`
    (name -> settings, as `lab.dga.SCALES`), so its numbers are the ones that run."""
    check_type("scales", scales, dict)
    need = ("workers", "steps", "hidden", "seeds", "real_steps", "delay", "period", "step_ms")
    for name, c in scales.items():
        check_type("scales", c, dict)
        missing = [k for k in need if k not in c]
        if missing:
            raise ValueError(f"scales[{name!r}] must hold {need}; missing {missing}")
    parts = []
    for name, c in scales.items():
        steps = ", ".join(f"{k} {v:g} ms" for k, v in c["step_ms"].items())
        parts.append(f"`{name}` simulates {c['workers']} workers for {c['steps']} steps (MLP hidden width "
                     f"{c['hidden']}, D = {c['delay']}, K = {c['period']}) over {len(c['seeds'])} seeds, runs "
                     f"{c['real_steps']} real gloo steps, and times every method at these per-step compute "
                     f"times: {steps}.")
    return "**Scales.** " + " ".join(parts)

