"""The DGA algorithms of notebooks/17_dga.ipynb on torch.distributed (gloo backend).

`run_distributed` starts J worker processes on this machine (127.0.0.1, a free port
chosen at run time; each is `python -m lab.dga.dist` with the environment torchrun
would give it), each running `lab.dga.train_loop` with a communicator that calls
`torch.distributed.all_reduce` (``async_op=True``, so DGA overlaps communication
with computation). Network latency is SIMULATED by a sleep model: the wait handle of a
reduced tensor sleeps until `latency_s` after it was sent (the messages do not cross a
slower network; there is no bandwidth limit beyond the loopback's). The processes are always terminated,
on success, on error and on timeout.

The same worker runs across machines under torchrun, which sets RANK, WORLD_SIZE,
MASTER_ADDR and MASTER_PORT (no latency is injected by default there):

    torchrun --nnodes=2 --nproc-per-node=2 --node-rank=<0 or 1> \\
        --master-addr=<address of node 0> --master-port=29500 \\
        -m lab.dga.dist --method dga --delay 4 --steps 300 --partition iid
"""
from __future__ import annotations

import argparse
import datetime
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from lab.core.checks import check_choice, check_int, check_number, check_positive, check_type

from lab.data.digits import Digits

from . import algorithm as dga
from . import simulation


class _DistHandle:
    def __init__(self, work, buf: torch.Tensor, world: int, release_at: float):
        self.work, self.buf, self.world, self.release_at = work, buf, world, release_at

    def wait(self) -> torch.Tensor:
        if self.work is not None:
            self.work.wait()
            self.work = None
        pause = self.release_at - time.perf_counter()
        if pause > 0:  # the simulated network latency of this round trip
            time.sleep(pause)
        return self.buf / self.world


class DistComm:
    """All-reduce mean across the process group; `latency_s` of simulated latency."""

    def __init__(self, latency_s: float = 0.0):
        self.latency_s = check_number("latency_s", latency_s, lo=0.0, hi=3600.0)
        self.world = dist.get_world_size()

    def start(self, x: torch.Tensor) -> _DistHandle:
        buf = x.clone()
        work = dist.all_reduce(buf, op=dist.ReduceOp.SUM, async_op=True)
        return _DistHandle(work, buf, self.world, time.perf_counter() + self.latency_s)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker(rank: int, world: int, cfg: dict, data: Digits) -> dict:
    """Run each method of cfg["methods"] on this rank (process group already set up).
    Returns, per method, this rank's final weights (P,), the test accuracy of this rank's
    own model (the mean model: the averages in flight are applied at the end), the
    measured wall time [s] of the training loop and per-step compute [s]."""
    world = check_int("world", world, lo=1, hi=4096)
    rank = check_int("rank", rank, lo=0, hi=world - 1)
    check_type("cfg", cfg, dict)
    data = dga.check_data(data)
    torch.set_num_threads(1)
    parts = dga.partition(data.y_train, world, cfg["partition"], cfg["seed"])
    sizes = [len(p) for p in parts]
    idx = simulation.batch_indices(sizes, cfg["batch"], cfg["steps"], cfg["seed"])[rank]
    xb = torch.as_tensor(data.x_train.astype(np.float64)[parts[rank]][idx]).unsqueeze(0)  # (1, steps, B, 64)
    yb = torch.as_tensor(data.y_train[parts[rank]][idx]).unsqueeze(0)  # (1, steps, B)

    def sample(t):
        return xb[:, t], yb[:, t]

    out = {}
    for method in cfg["methods"]:
        W0 = dga.init_params(cfg["hidden"], cfg["seed"]).unsqueeze(0)
        dist.barrier()
        tr = dga.train_loop(W0, sample, method, cfg["steps"], cfg["lr"], cfg["delay"], cfg["period"],
                        DistComm(cfg["latency_s"]))
        dist.barrier()
        out[method] = dict(W=tr.W[0].clone(), wall_s=tr.wall_s.copy(), compute_s=tr.compute_s.copy(),
                           messages=tr.messages, acc=dga.accuracy(tr.W[0], data.x_test, data.y_test, cfg["hidden"]))
    return out


@dataclass
class DistResult:
    """Per method: final weights of every rank (J, P), the mean over ranks of each rank's
    own model's test accuracy, the measured wall time [s] of the whole loop (slowest rank) and the
    per-step compute times [s] of every rank (J, steps)."""
    W: dict
    acc: dict
    wall_s: dict
    compute_s: dict
    messages: dict


def run_distributed(methods=("sync", "fedavg", "dga"), partition_kind: str = "iid", workers: int = 4,
                    steps: int = 30, batch: int = 32, hidden: int = 32, lr: float = 0.3, delay: int = 4,
                    period: int = 4, seed: int = 0, latency_s: float = 0.0, timeout_s: float = 120.0,
                    data: Digits | None = None) -> DistResult:
    """Train with each method in `methods` on `workers` real processes (gloo, 127.0.0.1).

    Each worker is ``python -m lab.dga.dist`` with the environment torchrun would give
    it (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). latency_s: latency per all-reduce
    round trip [s], modelled by a sleep in the wait handle (the sleep model). timeout_s: hard limit [s] for the whole run; on timeout
    or any worker error every process is terminated and RuntimeError is raised.
    """
    if isinstance(methods, str):
        methods = (methods,)
    if not methods:
        raise ValueError("methods must name at least one of " + str(list(dga.METHODS)))
    for m in methods:
        check_choice("methods", m, dga.METHODS)
    dga.check_common(methods[0], steps, lr, delay, period)
    partition_kind = check_choice("partition_kind", partition_kind, dga.PARTITIONS)
    batch, hidden = check_int("batch", batch, lo=1, hi=4096), check_int("hidden", hidden, lo=1, hi=4096)
    seed = check_int("seed", seed, lo=0)
    latency_s = check_number("latency_s", latency_s, lo=0.0, hi=10.0)
    workers = check_int("workers", workers, lo=1, hi=32)
    timeout_s = check_positive("timeout_s", timeout_s)
    simulation.check_batch_memory(workers, steps, batch)
    data = dga.check_data(data)
    tmp = Path(tempfile.mkdtemp(prefix="dga_"))
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        np.savez(tmp / "data.npz", **{k: getattr(data, k) for k in ("x_train", "y_train", "x_test", "y_test")})
        args = [sys.executable, "-W", "ignore::RuntimeWarning:runpy", "-m", "lab.dga.dist",
                "--method", ",".join(methods), "--partition", partition_kind,
                "--steps", str(steps), "--batch", str(batch), "--hidden", str(hidden), "--lr", repr(lr),
                "--delay", str(delay), "--period", str(period), "--seed", str(seed),
                "--latency-ms", repr(1000 * latency_s), "--data", str(tmp / "data.npz"), "--out", str(tmp),
                "--timeout-s", repr(timeout_s), "--quiet"]
        port = free_port()
        for rank in range(workers):
            env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(workers),
                       MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), OMP_NUM_THREADS="1")
            if Path("/sys/class/net/lo").exists():  # keep gloo on the loopback device (Linux)
                env.setdefault("GLOO_SOCKET_IFNAME", "lo")
            log = open(tmp / f"rank{rank}.log", "w+")
            logs.append(log)
            procs.append(subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + timeout_s
        while any(p.poll() is None for p in procs):
            failed = [r for r, p in enumerate(procs) if p.returncode not in (None, 0)]
            if failed:
                logs[failed[0]].seek(0)
                tail = logs[failed[0]].read()[-2000:]
                raise RuntimeError(f"worker {failed[0]} failed (exit {procs[failed[0]].returncode}):\n{tail}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"distributed run exceeded timeout_s={timeout_s:g} s; workers terminated")
            time.sleep(0.05)
        failed = [r for r, p in enumerate(procs) if p.returncode != 0]
        if failed:
            logs[failed[0]].seek(0)
            raise RuntimeError(f"worker {failed[0]} failed (exit {procs[failed[0]].returncode}):\n"
                               f"{logs[failed[0]].read()[-2000:]}")
        res = [torch.load(tmp / f"rank{r}.pt", weights_only=False) for r in range(workers)]
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        for log in logs:
            log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return DistResult(
        W={m: torch.stack([r[m]["W"] for r in res]) for m in methods},
        acc={m: float(np.mean([r[m]["acc"] for r in res])) for m in methods},
        wall_s={m: max(float(r[m]["wall_s"][-1]) for r in res) for m in methods},
        compute_s={m: np.stack([r[m]["compute_s"] for r in res]) for m in methods},
        messages={m: res[0][m]["messages"] for m in methods})


def _load_npz(path: str) -> Digits:
    with np.load(path) as z:
        return Digits(z["x_train"], z["y_train"], z["x_test"], z["y_test"], tuple(range(dga.N_CLASSES)))


def main(argv=None) -> int:
    """Worker entry point (torchrun or `run_distributed`): reads RANK, WORLD_SIZE,
    MASTER_ADDR and MASTER_PORT from the environment, trains, prints rank 0's summary."""
    ap = argparse.ArgumentParser(prog="python -m lab.dga.dist", description=__doc__.splitlines()[0])
    ap.add_argument("--method", default="dga", help="sync, fedavg, dga, a comma list, or all")
    ap.add_argument("--partition", choices=dga.PARTITIONS, default="iid")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.3)
    ap.add_argument("--delay", type=int, default=4)
    ap.add_argument("--period", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--latency-ms", type=float, default=0.0, help="extra simulated latency per all-reduce [ms]")
    ap.add_argument("--timeout-s", type=float, default=300.0, help="process-group timeout [s]")
    ap.add_argument("--data", default=None, help="an .npz of the digits split (default: load it here)")
    ap.add_argument("--out", default=None, help="folder for rank<r>.pt result files")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    methods = dga.METHODS if a.method == "all" else tuple(a.method.split(","))
    for m in methods:
        check_choice("method", m, dga.METHODS)
    cfg = dict(methods=methods, partition=a.partition, steps=a.steps, batch=a.batch, hidden=a.hidden, lr=a.lr,
               delay=a.delay, period=a.period, seed=a.seed, latency_s=a.latency_ms / 1000)
    data = dga.default_data() if a.data is None else _load_npz(a.data)
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=a.timeout_s))
    try:
        res = worker(dist.get_rank(), dist.get_world_size(), cfg, data)
        if a.out is not None:
            torch.save(res, Path(a.out) / f"rank{dist.get_rank()}.pt")
        if dist.get_rank() == 0 and not a.quiet:
            for m, r in res.items():
                print(f"{m:>7}: test accuracy {100 * r['acc']:.2f} %  wall {r['wall_s'][-1]:.3f} s  "
                      f"{r['messages']} all-reduces")
    finally:
        dist.destroy_process_group()
    return 0


def summarize(res: DistResult, latency_s: float, delay: int = 4, period: int = 4):
    """A table (pandas DataFrame) of a real run: per method the measured wall time [s]
    of the slowest rank (until the averages in flight are applied), the
    `lab.dga.ready_times` prediction [s] from the run's own
    measured per-step compute times, the number of all-reduces and the test accuracy [%]."""
    import pandas as pd

    check_type("res", res, DistResult)
    latency_s = check_number("latency_s", latency_s, lo=0.0, hi=3600.0)
    delay = check_int("delay", delay, lo=0, hi=1000)
    period = check_int("period", period, lo=1, hi=1000)
    return pd.DataFrame([dict(method=m, measured_wall_s=res.wall_s[m],
                              timeline_s=float(simulation.ready_times(m, res.compute_s[m], latency_s, delay, period)[-1]),
                              all_reduces=res.messages[m], acc_percent=100 * res.acc[m]) for m in res.W])


if __name__ == "__main__":
    # run the package's own module (not a second copy as __main__), so that what the
    # workers save is the same classes the parent process loads
    from lab.dga.dist import main as _main
    raise SystemExit(_main())
