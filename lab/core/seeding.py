"""Seeding: one call fixes every random source a notebook uses."""
from __future__ import annotations

import os
import random

import numpy as np

from .checks import check_int


def seed_everything(seed: int = 0, *, deterministic_torch: bool = True) -> np.random.Generator:
    """Seed Python's `random`, numpy's legacy global state and torch (if importable).

    Returns a fresh `numpy.random.Generator` seeded with `seed`, which `lab`
    functions prefer over global state. `seed` must be an int in [0, 2**32 - 1].
    """
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    random.seed(seed)
    np.random.seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency, but keep core importable
        torch = None
    if torch is not None:
        torch.manual_seed(seed)
        if deterministic_torch:
            torch.use_deterministic_algorithms(True, warn_only=True)
    return np.random.default_rng(seed)
