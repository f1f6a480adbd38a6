"""Delayed Gradient Averaging (DGA) for federated learning under network latency.

Backs notebooks/17_dga.ipynb (this file: data partitions, the model and the update rules;
`simulation.py`: the single-process simulation and the latency timeline; `experiments.py`: the comparisons and
sweeps; `claims.py`: the claim helpers; `dist.py` runs the same rules on torch.distributed, `views.py` holds the
figures and the explorer). Paper: L. Zhu, H. Lin, Y. Lu, Y. Lin, S. Han, "Delayed
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
from lab.data.digits import Digits, load_digits


METHODS = ("sync", "fedavg", "dga")
PARTITIONS = ("iid", "noniid")
N_FEATURES, N_CLASSES = 64, 10


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
    return gradients_unchecked(W, x, y, layer_sizes(hidden))


def gradients_unchecked(W: torch.Tensor, x: torch.Tensor, y: torch.Tensor, s: tuple) -> torch.Tensor:
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
        g = gradients_unchecked(W, x, y, sizes)
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
