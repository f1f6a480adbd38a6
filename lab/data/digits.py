"""scikit-learn's handwritten digits (1797 images, 8x8, 10 classes), the one loader
for every notebook that uses them (04, 05, 14, 17; notebook 01 uses MNIST-1D).

One split rule: scikit-learn's `train_test_split`, stratified by class, with
`random_state=seed`; sizes given as a test fraction or as counts. Pixels are
scaled to [0, 1] (counts 0..16 divided by 16).
"""
from __future__ import annotations

import gzip
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from ..core.checks import check_bool, check_int, check_number

N_PIXELS, N_CLASSES = 64, 10


@lru_cache(maxsize=1)
def _raw() -> tuple[np.ndarray, np.ndarray]:
    spec = importlib.util.find_spec("sklearn")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as fh:
        data = np.loadtxt(fh, delimiter=",")
    images = data[:, :-1].reshape(-1, 8, 8)
    images.setflags(write=False)
    labels = data[:, -1].astype(np.int64)
    labels.setflags(write=False)
    return images, labels


def digits_data() -> tuple[np.ndarray, np.ndarray]:
    """(images (1797, 8, 8) pixel counts 0..16 as float64, labels (1797,) int64), read from
    the CSV file inside scikit-learn (what `sklearn.datasets.load_digits` reads, without
    importing sklearn.datasets, which costs a second). Returns copies."""
    images, labels = _raw()
    return images.copy(), labels.copy()


@dataclass(frozen=True)
class Digits:
    """A train/test split. x_*: (N, 1, 8, 8) float32 in [0, 1], or (N, 64) with flat=True;
    y_*: (N,) int64 in 0..len(classes)-1, in the order of `classes`."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[int, ...]

    def __post_init__(self):
        if not isinstance(self.classes, tuple) or len(self.classes) < 2 or len(set(self.classes)) != len(self.classes):
            raise ValueError(f"classes must be a tuple of at least 2 distinct digits; got {self.classes!r}")
        for c in self.classes:
            check_int("classes[i]", c, lo=0, hi=9)
        shape = None
        for part in ("train", "test"):
            x, y = getattr(self, f"x_{part}"), getattr(self, f"y_{part}")
            if not isinstance(x, np.ndarray) or x.dtype != np.float32 or x.ndim not in (2, 4) or len(x) < 1 \
                    or x.shape[1:] not in ((64,), (1, 8, 8)):
                raise ValueError(f"x_{part} must be a float32 array (N >= 1, 1, 8, 8) or (N, 64); got "
                                 f"{type(x).__name__} {getattr(x, 'dtype', '')} {getattr(x, 'shape', '')}")
            if shape is not None and x.shape[1:] != shape:
                raise ValueError(f"x_test must have the per-image shape of x_train {shape}; got {x.shape[1:]}")
            shape = x.shape[1:]
            if not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
                raise ValueError(f"x_{part} pixels must be finite and in [0, 1]")
            if not isinstance(y, np.ndarray) or y.dtype != np.int64 or y.shape != (len(x),):
                raise ValueError(f"y_{part} must be an int64 array of shape ({len(x)},); got "
                                 f"{type(y).__name__} {getattr(y, 'dtype', '')} {getattr(y, 'shape', '')}")
            if y.min() < 0 or y.max() >= len(self.classes):
                raise ValueError(f"y_{part} must hold labels 0..{len(self.classes) - 1}")

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def torch(self):
        """The four arrays as torch tensors (x float32, y int64)."""
        import torch
        return (torch.from_numpy(self.x_train), torch.from_numpy(self.y_train),
                torch.from_numpy(self.x_test), torch.from_numpy(self.y_test))


def load_digits(*, test_fraction: float = 0.3, n_train: int | None = None, n_test: int | None = None,
                classes: Sequence[int] | None = None, seed: int = 0, flat: bool = False) -> Digits:
    """The digits, split into train and test by the one split rule (stratified, `seed`).

    test_fraction: share of the images held out, in [0.05, 0.9] (ignored when n_test is
    given). n_train, n_test: counts instead of a fraction (each at least one per class).
    classes: the digits to keep (at least 2 distinct, in 0..9; default all ten); labels
    are renumbered 0..len(classes)-1 in that order. flat: (N, 64) instead of (N, 1, 8, 8).
    """
    from sklearn.model_selection import train_test_split

    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    flat = check_bool("flat", flat)
    if classes is None:
        classes = tuple(range(N_CLASSES))
    else:
        if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
            raise TypeError(f"classes must be a sequence of digits in 0..9; got {type(classes).__name__}")
        classes = tuple(check_int("classes", c, lo=0, hi=9) for c in classes)
        if len(set(classes)) != len(classes) or len(classes) < 2:
            raise ValueError(f"classes must hold at least 2 distinct digits in 0..9; got {list(classes)}")
    images, labels = _raw()
    keep = np.isin(labels, classes)
    x = (images[keep] / 16.0).astype(np.float32)
    lut = np.full(N_CLASSES, -1, dtype=np.int64)
    lut[list(classes)] = np.arange(len(classes))
    y = lut[labels[keep]]
    n = len(y)
    k = len(classes)
    if n_test is None:
        test_fraction = check_number("test_fraction", test_fraction, lo=0.05, hi=0.9)
        test_size: float | int = test_fraction
    else:
        test_size = check_int("n_test", n_test, lo=k, hi=n - k)
    if n_train is not None:
        hi = n - (test_size if isinstance(test_size, int) else int(np.ceil(test_size * n)))
        n_train = check_int("n_train", n_train, lo=k, hi=max(k, hi))
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=test_size, train_size=n_train, random_state=seed,
                                          stratify=y)
    shape = (-1, N_PIXELS) if flat else (-1, 1, 8, 8)
    return Digits(np.ascontiguousarray(xtr.reshape(shape)), ytr, np.ascontiguousarray(xte.reshape(shape)), yte,
                  classes)
