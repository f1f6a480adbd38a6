"""The torch device a notebook trains on: CPU unless the user asks for another one.

Set `LAB_DEVICE` before starting Jupyter or a tier run, for example `LAB_DEVICE=cuda make paper` on a
machine with a GPU. Every topic that trains with torch moves its models and batches to `torch_device()`.
The default is the CPU, where every number in `results/` was measured; a GPU changes float rounding and so
the last digits of trained results, and the claims' tolerances are what says whether that matters.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

ENV = "LAB_DEVICE"


def torch_device(name: str | None = None, param: str = "name"):
    """The `torch.device` to use: `name` if given, else the `LAB_DEVICE` environment variable, else "cpu".

    Accepts "cpu", "cuda", "cuda:N" and "mps". A device that this machine does not have raises ValueError
    naming it, rather than failing later inside torch. `param` is the name the error messages give the
    argument: a public callable that takes a `device` argument passes `param="device"`.
    """
    if not isinstance(param, str) or not param.isidentifier():
        raise TypeError(f"param must be an argument name (a Python identifier); got {param!r}")
    import torch

    if name is None:
        name = os.environ.get(ENV, "").strip() or "cpu"
        source = f"the {ENV} environment variable"
    else:
        source = param
    if not isinstance(name, str):
        raise TypeError(f"{param} must be a device name (str) such as 'cpu' or 'cuda'; got {type(name).__name__}")
    kind, _, index = name.partition(":")
    if kind not in ("cpu", "cuda", "mps") or (index and (not index.isdigit() or kind != "cuda")):
        raise ValueError(f"{source} must be 'cpu', 'cuda', 'cuda:N' or 'mps'; got {name!r}")
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{source} asks for {name!r}, but torch sees no CUDA GPU on this machine; "
                             f"unset {ENV} to run on the CPU")
        if index and int(index) >= torch.cuda.device_count():
            raise ValueError(f"{source} asks for {name!r}, but this machine has "
                             f"{torch.cuda.device_count()} CUDA device(s)")
    if kind == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"{source} asks for 'mps', but torch sees no Apple GPU on this machine")
    return torch.device(name)


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one intra-op thread, and the BLAS and OpenMP pools that numpy, scipy and scikit-learn
    call (through threadpoolctl), inside the block; then restore the caller's settings. For small tensors
    and matrices (a 4-qubit state, an 8x8-digit MLP, a logistic probe on 64 features, a benchmark that must
    time one core) a second thread only spins: 04's linear probes took 0.6 s each on two BLAS threads,
    0.1 s on one."""
    import torch
    from threadpoolctl import threadpool_limits

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(n)


def single_threaded(fn):
    """Decorator: run `fn` inside `one_thread()`, so its numbers do not depend on how many threads the caller's
    process has (float sums in another order can change which bit a greedy attack flips next, and with it a claim)."""
    import functools

    if not callable(fn):
        raise TypeError(f"fn must be callable; got {type(fn).__name__}")

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with one_thread():
            return fn(*args, **kwargs)
    return wrapper

