"""Delayed Gradient Averaging (DGA) for federated learning under network latency.

Backs notebooks/17_dga.ipynb (this file: data partitions, the model, the update rules,
the single-process simulation and the latency timeline; `dist.py` runs the same rules on
torch.distributed, `views.py` holds the figures and the explorer). Paper: L. Zhu, H. Lin, Y. Lu, Y. Lin, S. Han, "Delayed
Gradient Averaging: Tolerate the Communication Latency for Federated Learning",
NeurIPS 2021.

J workers train one small MLP on partitions (IID or label-skewed) of scikit-learn's
digits. Three update rules, all written once in `train_loop` on a stack of worker
weights `W` of shape (J_local, P) and a communicator:

* ``sync``   - every step: all-reduce the gradients, wait, apply the average;
* ``fedavg`` - K local SGD steps, then all-reduce (average) the weights;
* ``dga``    - every step: start an all-reduce of g_t without waiting; apply the
  average of step t-D at step t with the correction
  w_{t+1} = w_t - lr * (g_t - g_{t-D} + avg_{t-D})  (plain local SGD while t < D).

The single-process simulation (`simulate`) holds all J workers in the batch
dimension and averages with a mean over it; `lab.dga.dist` runs the very same
`train_loop` in J processes with torch.distributed (gloo) and `all_reduce`
(``async_op=True`` for DGA). Network latency is SIMULATED: a reduced tensor is
released no earlier than `latency` seconds after it was sent (one latency per
all-reduce round trip). Wall-clock figures come from `timeline`, which combines
measured per-step compute times with that latency model, so they are stable on a
busy machine; the multi-process run checks the ordering with real sleeps.

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
import torch.nn.functional as F

from lab.core.checks import check_array, check_choice, check_int, check_nonnegative, check_number, check_type

METHODS = ("sync", "fedavg", "dga")
PARTITIONS = ("iid", "noniid")
N_FEATURES, N_CLASSES = 64, 10


# ----------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Digits:
    """scikit-learn's 8x8 digits, scaled to [0, 1]: x_* (N, 64) float64, y_* (N,) int64."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits(test_fraction: float = 0.25, seed: int = 0) -> Digits:
    """The digits data set (1797 images) split once into train and test at random."""
    from sklearn.datasets import load_digits as _load

    test_fraction = check_number("test_fraction", test_fraction, lo=0.05, hi=0.9)
    seed = check_int("seed", seed, lo=0)
    x, y = _load(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    te, tr = order[:n_test], order[n_test:]
    x = x.astype(np.float64) / 16.0
    return Digits(x[tr], y[tr].astype(np.int64), x[te], y[te].astype(np.int64))


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


def forward(W: torch.Tensor, x: torch.Tensor, hidden: int) -> torch.Tensor:
    """Logits (J, B, 10) of J MLPs with flat weights W (J, P) on inputs x (J, B, 64)."""
    s = layer_sizes(hidden)
    if not (isinstance(W, torch.Tensor) and W.ndim == 2 and W.shape[1] == n_params(hidden)):
        raise ValueError(f"W must be a tensor of shape (J, {n_params(hidden)}); got {getattr(W, 'shape', W)!r}")
    if not (isinstance(x, torch.Tensor) and x.ndim == 3 and x.shape[0] == W.shape[0] and x.shape[2] == N_FEATURES):
        raise ValueError(f"x must be a tensor of shape ({W.shape[0]}, B, {N_FEATURES}); got {getattr(x, 'shape', x)!r}")
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
    """Per-worker gradients (J, P) of the mean cross-entropy of each worker's batch."""
    W = W.detach().requires_grad_(True)
    logits = forward(W, x, hidden)
    loss = F.cross_entropy(logits.reshape(-1, N_CLASSES), y.reshape(-1), reduction="sum") / x.shape[1]
    return torch.autograd.grad(loss, W)[0]


def accuracy(w: torch.Tensor, x: np.ndarray, y: np.ndarray, hidden: int) -> float:
    """Test accuracy in [0, 1] of one flat weight vector w (P,)."""
    with torch.no_grad():
        logits = forward(w.reshape(1, -1), torch.as_tensor(x).unsqueeze(0), hidden)[0]
    return float((logits.argmax(1).numpy() == y).mean())


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
    (CPU time of the gradient step), wall time [s] at the end of each step, and the
    (step, accuracy) pairs of the worker-averaged model."""
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
    the mean over all workers; evaluate(W) -> accuracy of the worker average."""
    hidden = (W.shape[1] - N_CLASSES) // (N_FEATURES + 1 + N_CLASSES)
    compute, wall = np.zeros(steps), np.zeros(steps)
    tr = Trace(W=W, compute_s=compute, wall_s=wall)
    pending: deque = deque()
    t0 = time.perf_counter()

    def record(t):
        if evaluate is not None and eval_every and (t % eval_every == 0 or t == steps):
            tr.eval_steps.append(t)
            tr.eval_acc.append(evaluate(W))

    record(0)
    for t in range(steps):
        c0 = time.thread_time()
        x, y = sample(t)
        g = gradients(W, x, y, hidden)
        compute[t] = time.thread_time() - c0
        if method == "sync":
            W = W - lr * comm.start(g).wait()
            tr.messages += 1
        elif method == "fedavg":
            W = W - lr * g
            if (t + 1) % period == 0:
                W = comm.start(W).wait()
                tr.messages += 1
        else:  # dga: send g_t now, use the average of step t - D
            pending.append((g, comm.start(g.clone())))
            tr.messages += 1
            if t >= delay:
                g_old, handle = pending.popleft()
                W = W - lr * (g - g_old + handle.wait())
            else:
                W = W - lr * g
        wall[t] = time.perf_counter() - t0
        record(t + 1)
    for _, handle in pending:  # drain the averages still in flight
        handle.wait()
    tr.W = W
    return tr


def check_common(method, steps, lr, delay, period):
    check_choice("method", method, METHODS)
    return (check_int("steps", steps, lo=1, hi=10**6), check_number("lr", lr, lo=0.0, lo_open=True, hi=10.0),
            check_int("delay", delay, lo=0, hi=1000), check_int("period", period, lo=1, hi=1000))


def batch_indices(sizes, batch: int, steps: int, seed: int) -> np.ndarray:
    """Minibatch indices (J, steps, batch) into each worker's partition; worker j draws
    with replacement from its own generator default_rng([seed, j])."""
    return np.stack([np.random.default_rng([seed, j]).integers(0, n, size=(steps, batch))
                     for j, n in enumerate(sizes)])


@dataclass
class Run:
    """One simulated training run: accuracy (E,) at `steps_eval` (E,), per-step compute
    time [s] (`compute_s`, shape (steps,)), final accuracy, final weights (J, P)."""
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


def simulate(method: str, partition_kind: str = "iid", workers: int = 4, steps: int = 300, batch: int = 32,
             hidden: int = 32, lr: float = 0.3, delay: int = 4, period: int = 4, seed: int = 0,
             eval_every: int = 10, data: Digits | None = None) -> Run:
    """Train with one algorithm, all J workers in this process (same rules as the
    multi-process run). Accuracy is that of the workers' averaged weights."""
    steps, lr, delay, period = check_common(method, steps, lr, delay, period)
    partition_kind = check_choice("partition_kind", partition_kind, PARTITIONS)
    workers = check_int("workers", workers, lo=1, hi=64)
    batch = check_int("batch", batch, lo=1, hi=4096)
    seed = check_int("seed", seed, lo=0)
    eval_every = check_int("eval_every", eval_every, lo=0)
    data = load_digits() if data is None else check_type("data", data, Digits)
    parts = partition(data.y_train, workers, partition_kind, seed)
    idx = batch_indices([len(p) for p in parts], batch, steps, seed)
    xb = torch.as_tensor(np.stack([data.x_train[p][i] for p, i in zip(parts, idx)]))  # (J, steps, B, 64)
    yb = torch.as_tensor(np.stack([data.y_train[p][i] for p, i in zip(parts, idx)]))  # (J, steps, B)

    def sample(t):
        return xb[:, t], yb[:, t]

    def evaluate(W):
        return accuracy(W.mean(0), data.x_test, data.y_test, hidden)

    W0 = init_params(hidden, seed).expand(workers, -1).clone()
    tr = train_loop(W0, sample, method, steps, lr, delay, period, LocalComm(), evaluate, eval_every)
    final = accuracy(tr.W.mean(0), data.x_test, data.y_test, hidden)
    return Run(method, partition_kind, seed, np.array(tr.eval_steps), np.array(tr.eval_acc),
               tr.compute_s / workers, final, tr.W, tr.messages, workers, delay, period)


def measure_step_time(hidden: int = 32, batch: int = 32, repeats: int = 50, seed: int = 0) -> float:
    """Median CPU time [s] of one worker's gradient step (one MLP, one batch), measured
    with thread CPU time so it does not grow when the machine is busy."""
    hidden = check_int("hidden", hidden, lo=1, hi=4096)
    batch = check_int("batch", batch, lo=1, hi=4096)
    repeats = check_int("repeats", repeats, lo=1, hi=10**5)
    rng = np.random.default_rng(seed)
    W = init_params(hidden, seed).unsqueeze(0)
    x = torch.as_tensor(rng.random((1, batch, N_FEATURES)))
    y = torch.as_tensor(rng.integers(0, N_CLASSES, (1, batch)))
    times = []
    for _ in range(repeats + 3):
        c0 = time.thread_time()
        W = W - 0.01 * gradients(W, x, y, hidden)
        times.append(time.thread_time() - c0)
    return float(np.median(times[3:]))


# ----------------------------------------------------------------------------- timeline
def timeline(method: str, compute_s, latency_s: float, delay: int = 4, period: int = 4) -> np.ndarray:
    """Modelled wall-clock [s] at the end of each step, shape (steps,).

    compute_s: per-step compute time [s], shape (steps,) (all workers alike) or
    (J, steps) (per worker; an all-reduce starts when the slowest worker sends).
    latency_s: simulated latency [s] of one all-reduce round trip. Each worker keeps
    its own clock: sync waits for every average; fedavg waits every `period` steps;
    dga lets compute run on and only waits at step t for the average sent at t - D.
    """
    check_choice("method", method, METHODS)
    c = check_array("compute_s", compute_s, ndim=(1, 2), lo=0.0)
    c = c.reshape(1, -1) if c.ndim == 1 else c
    latency_s = check_nonnegative("latency_s", latency_s)
    delay = check_int("delay", delay, lo=0)
    period = check_int("period", period, lo=1)
    J, T = c.shape
    clock = np.zeros(J)
    arrival = np.zeros(T)
    end = np.zeros(T)
    for t in range(T):
        clock = clock + c[:, t]
        if method == "sync" or (method == "fedavg" and (t + 1) % period == 0):
            clock[:] = clock.max() + latency_s
        elif method == "dga":
            arrival[t] = clock.max() + latency_s
            if t >= delay:
                clock = np.maximum(clock, arrival[t - delay])
        end[t] = clock.max()
    return end


def curve_times(run: Run, latency_s: float, delay: int, period: int, step_s: float | None = None) -> np.ndarray:
    """Wall-clock [s] of each of `run`'s evaluation points (E,), from `timeline`. step_s:
    a fixed per-step compute time [s] (default: the run's own measured times)."""
    check_type("run", run, Run)
    c = run.compute_s if step_s is None else np.full(len(run.compute_s), _check_step_s(step_s))
    end = np.concatenate([[0.0], timeline(run.method, c, latency_s, delay, period)])
    return end[run.steps_eval]


def _check_step_s(step_s):
    return check_number("step_s", step_s, lo=0.0, lo_open=True)


def time_to_accuracy(times: np.ndarray, acc: np.ndarray, target: float) -> float:
    """First time [s] at which `acc` reaches `target` (inf if never)."""
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

    for p in partitions:
        check_choice("partitions", p, PARTITIONS)
    for m in methods:
        check_choice("methods", m, METHODS)
    seeds = [check_int("seeds", s, lo=0) for s in seeds]
    data = load_digits() if data is None else data
    keys = [(p, m, s) for p in partitions for m in methods for s in seeds]
    return {k: simulate(k[1], k[0], seed=k[2], data=data, **settings)
            for k in tqdm(keys, desc="simulated runs", disable=not progress)}


def speedup(method: str, step_s: float, latency_s: float, steps: int, delay: int = 4, period: int = 4,
            baseline: str = "sync") -> float:
    """Wall-clock speedup of `method` over `baseline` for the same number of steps, from
    `timeline` with a per-step compute time step_s [s] and latency latency_s [s]."""
    steps = check_int("steps", steps, lo=1)
    c = np.full(steps, check_number("step_s", step_s, lo=0.0, lo_open=True))
    return float(timeline(baseline, c, latency_s, delay, period)[-1] / timeline(method, c, latency_s, delay, period)[-1])


def summary(runs: dict, latencies_ms=(0, 50, 200), step_s: float = 4e-4, delay: int = 4, period: int = 4,
            target_acc: float = 0.93):
    """A table (pandas DataFrame), one row per (partition, method, latency): final test
    accuracy [%] mean and std over seeds, modelled wall time [s] for all steps, the
    speedup over sync for equal steps, and over sync in time to reach `target_acc`."""
    import pandas as pd

    check_type("runs", runs, dict)
    target_acc = check_number("target_acc", target_acc, lo=0.0, hi=1.0)
    rows = []
    groups = sorted({(p, m) for p, m, _ in runs}, key=lambda k: (PARTITIONS.index(k[0]), METHODS.index(k[1])))
    for lat in latencies_ms:
        lat_s = check_nonnegative("latencies_ms", lat) / 1000
        for p, m in groups:
            rs = [r for (pp, mm, _), r in runs.items() if (pp, mm) == (p, m)]
            sy = [r for (pp, mm, _), r in runs.items() if (pp, mm) == (p, "sync")]
            acc = 100 * np.array([r.final_acc for r in rs])
            steps = len(rs[0].compute_s)
            t_all = timeline(m, np.full(steps, step_s), lat_s, delay, period)[-1]
            tta = [time_to_accuracy(curve_times(r, lat_s, delay, period, step_s), r.acc, target_acc) for r in rs]
            tta_sync = [time_to_accuracy(curve_times(r, lat_s, delay, period, step_s), r.acc, target_acc)
                        for r in sy]
            with np.errstate(invalid="ignore", divide="ignore"):  # never reached: inf / inf -> nan
                tta_ratio = float(np.mean(tta_sync) / np.mean(tta)) if sy else float("nan")
            rows.append(dict(partition=p, method=m, latency_ms=lat, acc_mean=acc.mean(), acc_std=acc.std(),
                             wall_s=t_all, speedup=speedup(m, step_s, lat_s, steps, delay, period),
                             tta_speedup=tta_ratio))
    return pd.DataFrame(rows)


def delay_sweep(delays=(0, 1, 2, 4, 8, 16), partition_kind: str = "iid", latency_ms: float = 200,
                step_s: float = 4e-4, seeds=(0,), data: Digits | None = None, **settings):
    """DGA at each delay D: final accuracy [%] (mean over seeds) and speedup over sync
    at `latency_ms`. Returns a pandas DataFrame."""
    import pandas as pd

    data = load_digits() if data is None else data
    rows = []
    for d in delays:
        d = check_int("delays", d, lo=0, hi=1000)
        rs = [simulate("dga", partition_kind, delay=d, seed=s, data=data, eval_every=0, **settings) for s in seeds]
        rows.append(dict(delay=d, acc_mean=100 * np.mean([r.final_acc for r in rs]),
                         speedup=speedup("dga", step_s, latency_ms / 1000, len(rs[0].compute_s), d)))
    return pd.DataFrame(rows)


def speedup_grid(step_ms=(0.5, 20, 50, 100, 200), latencies_ms=(50, 200), delay: int = 4, period: int = 4,
                 steps: int = 300):
    """Modelled speedup of DGA over sync and over FedAvg for hypothetical per-step compute
    times [ms] (e.g. slower edge devices) at each latency [ms]. Returns a pandas DataFrame."""
    import pandas as pd

    rows = []
    for c in step_ms:
        c_s = check_number("step_ms", c, lo=0.0, lo_open=True) / 1000
        for lat in latencies_ms:
            lat_s = check_nonnegative("latencies_ms", lat) / 1000
            rows.append(dict(step_ms=c, latency_ms=lat,
                             over_sync=speedup("dga", c_s, lat_s, steps, delay, period, "sync"),
                             over_fedavg=speedup("dga", c_s, lat_s, steps, delay, period, "fedavg")))
    return pd.DataFrame(rows)


def claim_numbers(runs: dict, step_s: float, latency_ms: float = 200, delay: int = 4, period: int = 4) -> dict:
    """The measured numbers behind the notebook's claims. Per partition p: final test
    accuracy [%] per method (mean, std over seeds), the gaps sync - dga and fedavg - dga
    [points] (mean, std over seeds, paired by seed) and, at `latency_ms`, the speedup of
    DGA over sync and over FedAvg for the same number of steps."""
    check_type("runs", runs, dict)
    out = {}
    seeds = sorted({s for _, _, s in runs})
    for p in sorted({k[0] for k in runs}):
        acc = {m: 100 * np.array([runs[(p, m, s)].final_acc for s in seeds]) for m in METHODS}
        gap_s, gap_f = acc["sync"] - acc["dga"], acc["fedavg"] - acc["dga"]
        out[p] = dict(acc={m: (a.mean(), a.std()) for m, a in acc.items()}, n_seeds=len(seeds),
                      gap_sync=(gap_s.mean(), gap_s.std()), gap_fedavg=(gap_f.mean(), gap_f.std()))
    steps = len(next(iter(runs.values())).compute_s)
    lat = check_nonnegative("latency_ms", latency_ms) / 1000
    out["speedup_sync"] = round(speedup("dga", step_s, lat, steps, delay, period, "sync"), 2)
    out["speedup_fedavg"] = round(speedup("dga", step_s, lat, steps, delay, period, "fedavg"), 2)
    return out
