"""MNIST-1D (Greydanus, 2020), generated offline with the `mnist1d` package.

Ten 1-D digit templates are padded, scaled, sheared, translated and given correlated and
i.i.d. noise, then down-sampled to 40 samples. The task is small and fast, yet a tiny model
cannot fit even its training set, which is the regime NetAug is for.

Only `mnist1d.data.make_dataset` is called, with the package's default arguments
(`mnist1d.data.get_dataset_args`: 5000 signals, 80 % train, length 40, seed 42); the
package's `get_dataset` would download a file and is never used. The arrays are cached
under `build/netaug/` so a notebook run does not regenerate them.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from lab.core import checks, paths

LENGTH, N_CLASSES = 40, 10
MAX_SAMPLES = 100_000   # about 50 s of generation on a laptop core


@dataclass(frozen=True)
class Signals:
    """A train/test split of 1-D signals: x_* (N, 40) float32 (the whole set standardised to mean 0,
    std 1), y_* (N,) int64 class labels 0..9."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __post_init__(self):
        for part in ("train", "test"):
            x = checks.check_array(f"x_{part}", getattr(self, f"x_{part}"), ndim=2, dtype_kind="f")
            y = checks.check_array(f"y_{part}", getattr(self, f"y_{part}"), ndim=1, dtype_kind="iu", lo=0,
                                   hi=N_CLASSES - 1)
            if x.shape[1] != LENGTH or len(x) != len(y):
                raise ValueError(f"x_{part} must have shape (len(y_{part}), {LENGTH}); got {x.shape} and "
                                 f"{len(y)} labels")

    @property
    def n_classes(self) -> int:
        return N_CLASSES


def make_mnist1d(num_samples: int = 5000, seed: int = 42, train_split: float = 0.8, cache: bool = True) -> Signals:
    """MNIST-1D from `mnist1d.data.make_dataset` with its default arguments except `num_samples`
    (100..MAX_SAMPLES signals, split evenly over the 10 classes), `seed` (the generator's seed) and
    `train_split` (fraction in the training set, 0.05..0.95). The defaults give the standard
    4000 train / 1000 test signals of length 40. Python's and numpy's global random states, which the
    generator reseeds, are restored afterwards. `cache`: read and write build/netaug/mnist1d_*.npz."""
    num_samples = checks.check_int("num_samples", num_samples, lo=100, hi=MAX_SAMPLES)
    seed = checks.check_int("seed", seed, lo=0, hi=2**32 - 1)
    train_split = checks.check_number("train_split", train_split, lo=0.05, hi=0.95)
    cache = checks.check_bool("cache", cache)
    name = f"mnist1d_n{num_samples}_s{seed}_t{train_split:g}.npz"
    path = paths.build_path("netaug", name)
    if cache and path.is_file():
        with np.load(path) as f:
            return Signals(f["x_train"], f["y_train"], f["x_test"], f["y_test"])
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.seed, args.train_split = num_samples, seed, train_split
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        d = make_dataset(args)
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    out = Signals(d["x"].astype(np.float32), d["y"].astype(np.int64), d["x_test"].astype(np.float32),
                  d["y_test"].astype(np.int64))
    if cache:
        np.savez(paths.build_dir("netaug") / name, x_train=out.x_train, y_train=out.y_train, x_test=out.x_test,
                 y_test=out.y_test)
    return out
