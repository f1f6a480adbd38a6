"""Data and encoder of notebooks/14_quantumnas.ipynb (QuantumNAS, Wang et al., HPCA 2022): scikit-learn's
handwritten digits, average-pooled 8x8 -> 4x4 (16 angles), encoded on 4 qubits by the `4x4_ryzxy` encoder
(layers of RY, RZ, RX, RY). The encoder's output states are computed once and reused, since only the trainable
part of the circuit changes during training.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from . import qsim
from lab.data.digits import load_digits
from lab.core.checks import check_array, check_int
from .supercircuit import N_QUBITS


# ----------------------------------------------------------------------------- data and encoder
def load_digits_4x4(classes: Sequence[int], n_train: int, n_test: int, seed: int = 0):
    """Digits of `classes` as 16 angles in [0, pi] rad (8x8 images average-pooled to 4x4).

    The split is the one digits loader's (`lab.data.load_digits`: stratified, `random_state=seed`).
    Returns (x_train (n_train, 16), y_train (n_train,), x_test (n_test, 16), y_test (n_test,));
    labels are 0..len(classes)-1 in the order of `classes`.
    """
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
        raise TypeError(f"classes must be a sequence of digits in 0..9; got {type(classes).__name__}")
    d = load_digits(classes=tuple(classes), n_train=n_train, n_test=n_test, seed=seed)
    pool = lambda x: x.astype(np.float64).reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4)).reshape(-1, 16) * np.pi  # noqa: E731
    return pool(d.x_train), d.y_train, pool(d.x_test), d.y_test


def validation_split(x, y, n_val: int, seed: int = 0):
    """Hold `n_val` of the samples (x (N, F), y (N,)) out for validation, stratified by class
    (scikit-learn's train_test_split, random_state=seed). Returns (x_rest, y_rest, x_val, y_val)."""
    from sklearn.model_selection import train_test_split

    x = check_array("x", x, ndim=2)
    y = check_array("y", y, ndim=1, shape=(x.shape[0],), dtype_kind="iu")
    k = len(np.unique(y))
    n_val = check_int("n_val", n_val, lo=k, hi=len(y) - k)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    xr, xv, yr, yv = train_test_split(x, y, test_size=n_val, random_state=seed, stratify=y)
    return xr, yr, xv, yv


def encoder_4x4_ryzxy(n_qubits: int = N_QUBITS) -> qsim.Circuit:
    """The `4x4_ryzxy` encoder: 4 layers (RY, RZ, RX, RY) on 4 qubits, feature j on
    layer j // 4, wire j % 4."""
    n_qubits = check_int("n_qubits", n_qubits, lo=4, hi=4)
    ops = [qsim.Op(g, (j % 4,), (("x", j),)) for j, g in
           zip(range(16), ["ry"] * 4 + ["rz"] * 4 + ["rx"] * 4 + ["ry"] * 4)]
    return qsim.Circuit(n_qubits, tuple(ops))


def encode(x) -> torch.Tensor:
    """Encoder output states for inputs x (N, 16) [rad]: (N, 16) complex tensor."""
    x = check_array("x", x, ndim=2, shape=(None, 16))
    if len(x) > qsim.MAX_BATCH:
        raise ValueError(f"x must hold at most {qsim.MAX_BATCH} rows; got {len(x)}")
    return qsim.simulate(encoder_4x4_ryzxy(), x=torch.as_tensor(x, dtype=torch.float64))
