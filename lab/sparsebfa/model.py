"""The victim network: an MLP 64-H-10 on the digits, trained, pruned by magnitude (gradually) and
fine-tuned with its pruning mask kept.

Shapes follow torch.nn.Linear: layer weights are (out, in) float32 arrays, so the
first layer is (H, 64) (one row per hidden unit, one column per pixel) and the
second is (10, H). Pruning is by magnitude, per layer, to the same sparsity
(fraction of weights that are zero). Biases stay dense and are not attacked.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..core.device import single_threaded
from ..core.checks import check_array, check_int, check_number, check_type
from ..data.digits import Digits, load_digits

MAX_HIDDEN = 1024
MAX_EPOCHS = 2000


@dataclass(frozen=True)
class PrunedNet:
    """A trained, pruned, fine-tuned MLP and the data it was trained on.

    weights: (w1 (H, 64), w2 (10, H)) float32, zero where pruned; biases: (b1 (H,),
    b2 (10,)) float32; sparsity: the fraction of zero weights asked for, per layer;
    seed: the training seed; data: the digits split (train/test) it used;
    dense_acc, pruned_acc: test accuracy (fraction) before pruning and after fine-tuning.
    """
    weights: tuple
    biases: tuple
    sparsity: float
    seed: int
    data: Digits
    dense_acc: float
    pruned_acc: float

    def __post_init__(self):
        check_type("weights", self.weights, tuple)
        check_type("biases", self.biases, tuple)
        check_type("data", self.data, Digits)
        if len(self.weights) != 2 or len(self.biases) != 2:
            raise ValueError("weights and biases must each hold two layers")
        check_array("weights[0]", self.weights[0], ndim=2, dtype_kind="f")
        check_array("weights[1]", self.weights[1], ndim=2, shape=(None, self.weights[0].shape[0]), dtype_kind="f")
        check_array("biases[0]", self.biases[0], shape=(self.weights[0].shape[0],), dtype_kind="f")
        check_array("biases[1]", self.biases[1], shape=(self.weights[1].shape[0],), dtype_kind="f")
        check_number("sparsity", self.sparsity, lo=0.0, hi=1.0, hi_open=True)
        check_int("seed", self.seed, lo=0, hi=2**32 - 1)
        check_number("dense_acc", self.dense_acc, lo=0.0, hi=1.0)
        check_number("pruned_acc", self.pruned_acc, lo=0.0, hi=1.0)

    @property
    def hidden(self) -> int:
        return int(self.weights[0].shape[0])

    @property
    def nnz(self) -> int:
        return int(sum(np.count_nonzero(w) for w in self.weights))


def logits(weights, biases, x: torch.Tensor) -> torch.Tensor:
    """The MLP's logits (N, 10) for inputs x (N, 64): relu(x w1ᵀ + b1) w2ᵀ + b2.
    weights/biases: sequences of two torch tensors (or numpy arrays) shaped as in PrunedNet."""
    for name, seq in (("weights", weights), ("biases", biases)):
        if isinstance(seq, (str, bytes, np.ndarray, torch.Tensor)) or not hasattr(seq, "__len__") or len(seq) != 2:
            raise TypeError(f"{name} must be a sequence of two arrays (one per layer)")
    check_type("x", x, torch.Tensor)
    for w in weights:
        check_array("weights", w, ndim=2, dtype_kind="f")
    for b in biases:
        check_array("biases", b, ndim=1, dtype_kind="f")
    w1, w2 = (torch.as_tensor(w) for w in weights)  # the originals: gradients flow through them
    b1, b2 = (torch.as_tensor(b) for b in biases)
    check_array("x", x, ndim=2, shape=(None, w1.shape[1]), dtype_kind="f")
    if w2.shape[1] != w1.shape[0] or b1.shape[0] != w1.shape[0] or b2.shape[0] != w2.shape[0]:
        raise ValueError("weights and biases must chain: w1 (H, D), b1 (H,), w2 (K, H), b2 (K,)")
    dt = x.dtype
    w1, w2, b1, b2 = (t.to(dt) for t in (w1, w2, b1, b2))
    return F.relu(x @ w1.T + b1) @ w2.T + b2


def magnitude_mask(w: np.ndarray, sparsity: float) -> np.ndarray:
    """Boolean mask keeping the round((1 - sparsity) * size) largest-magnitude entries of w
    (at least one); ties broken by position (stable sort), so the mask is deterministic."""
    w = check_array("w", w, ndim=2, dtype_kind="f")
    sparsity = check_number("sparsity", sparsity, lo=0.0, hi=1.0, hi_open=True)
    keep = max(1, int(round((1.0 - sparsity) * w.size)))
    order = np.argsort(-np.abs(w).ravel(), kind="stable")
    mask = np.zeros(w.size, dtype=bool)
    mask[order[:keep]] = True
    return mask.reshape(w.shape)


def _fit(params, masks, x, y, epochs, lr, wd):
    opt = torch.optim.Adam(params, lr=lr, weight_decay=wd)
    for _ in range(epochs):
        opt.zero_grad()
        loss = F.cross_entropy(logits(params[:2], params[2:], x), y)
        loss.backward()
        opt.step()
        if masks is not None:
            with torch.no_grad():
                for p, m in zip(params[:2], masks):
                    p.mul_(m)


def _acc(params, x, y) -> float:
    with torch.no_grad():
        return float((logits(params[:2], params[2:], x).argmax(1) == y).float().mean())


@single_threaded
def train_pruned(*, sparsity: float = 0.95, seed: int = 0, hidden: int = 128, epochs: int = 150,
                 prune_steps: int = 5, finetune_epochs: int = 60, lr: float = 0.01,
                 data: Digits | None = None) -> PrunedNet:
    """Train an MLP 64-hidden-10 on the digits (full-batch Adam, `epochs` steps), then prune
    each layer by magnitude to `sparsity` (in [0.5, 0.995]) gradually, in `prune_steps` stages
    (cubic schedule of Zhu & Gupta 2017), each followed by `finetune_epochs` steps of
    fine-tuning with the mask kept. seed fixes the split (when data is None) and the
    initialisation. hidden ≤ 1024; epochs, finetune_epochs ≤ 2000; prune_steps ≤ 20."""
    sparsity = check_number("sparsity", sparsity, lo=0.5, hi=0.995)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    hidden = check_int("hidden", hidden, lo=2, hi=MAX_HIDDEN)
    epochs = check_int("epochs", epochs, lo=1, hi=MAX_EPOCHS)
    prune_steps = check_int("prune_steps", prune_steps, lo=1, hi=20)
    finetune_epochs = check_int("finetune_epochs", finetune_epochs, lo=0, hi=MAX_EPOCHS)
    lr = check_number("lr", lr, lo=0.0, hi=1.0, lo_open=True)
    if data is None:
        data = load_digits(flat=True, seed=seed)
    check_type("data", data, Digits)
    if data.x_train.ndim != 2 or data.x_train.shape[1] != 64 or data.n_classes < 2:
        raise ValueError("data must be a flat digits split (load_digits(flat=True)), x of shape (N, 64)")
    x, y, xt, yt = data.torch()
    g = torch.Generator().manual_seed(seed)
    k = data.n_classes
    params = [torch.randn(hidden, 64, generator=g) * (2 / 64) ** 0.5,
              torch.randn(k, hidden, generator=g) * (1 / hidden) ** 0.5,
              torch.zeros(hidden), torch.zeros(k)]
    for p in params:
        p.requires_grad_(True)
    _fit(params, None, x, y, epochs, lr, 1e-4)
    dense_acc = _acc(params, xt, yt)
    for stage in range(1, prune_steps + 1):
        s_t = sparsity * (1.0 - (1.0 - stage / prune_steps) ** 3)
        masks = [torch.from_numpy(magnitude_mask(p.detach().numpy(), s_t)).float() for p in params[:2]]
        with torch.no_grad():
            for p, m in zip(params[:2], masks):
                p.mul_(m)
        _fit(params, masks, x, y, finetune_epochs, lr, 0.0)
    pruned_acc = _acc(params, xt, yt)
    arr = [p.detach().numpy().astype(np.float32).copy() for p in params]
    return PrunedNet(weights=(arr[0], arr[1]), biases=(arr[2], arr[3]), sparsity=sparsity, seed=seed, data=data,
                     dense_acc=dense_acc, pruned_acc=pruned_acc)
