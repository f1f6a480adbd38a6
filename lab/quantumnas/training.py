"""Readout and training of notebooks/14_quantumnas.ipynb (QuantumNAS, Wang et al., HPCA 2022): class scores
from the measured <Z>, the NLL loss, accuracy, Adam, and `train` on the torch simulator qsim.py.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from . import qsim
from lab.core.device import one_thread
from lab.core.checks import check_array, check_int, check_number, check_type
from .supercircuit import MAX_STEPS, N_QUBITS, check_labels, check_states, check_weights


# ----------------------------------------------------------------------------- readout and training
#: fixed readout temperature: class scores are READOUT_SCALE * <Z> before the log-softmax. It
#: leaves the predicted class unchanged and sharpens the NLL loss, so that training converges in a
#: laptop-scale number of steps (with the raw <Z> in [-1, 1] the loss is flat).
READOUT_SCALE = 5.0


def readout(expz: torch.Tensor, n_classes: int, scale: float = READOUT_SCALE) -> torch.Tensor:
    """Class scores from <Z> of each qubit (B, n): qubits split into `n_classes` equal groups,
    each group's <Z> summed, times `scale`. (B, n_classes)."""
    check_type("expz", expz, torch.Tensor)
    if expz.dim() != 2 or expz.shape[0] < 1 or expz.is_complex() or not bool(torch.isfinite(expz).all()):
        raise ValueError(f"expz must be a finite real tensor (B, n_qubits); got {expz.dtype} {tuple(expz.shape)}")
    n = expz.shape[1]
    n_classes = check_int("n_classes", n_classes, lo=2, hi=n)
    scale = check_number("scale", scale, lo=0.0, hi=1e3, lo_open=True)
    if n % n_classes:
        raise ValueError(f"n_classes must divide the number of qubits {n}; got {n_classes}")
    return scale * expz.reshape(expz.shape[0], n_classes, n // n_classes).sum(-1)


def nll(scores: torch.Tensor, y) -> torch.Tensor:
    """Mean negative log-likelihood of labels y under log_softmax(scores (B, C))."""
    check_type("scores", scores, torch.Tensor)
    if scores.dim() != 2 or scores.shape[0] < 1 or scores.is_complex() or not bool(torch.isfinite(scores).all()):
        raise ValueError(f"scores must be a finite real tensor (B, n_classes); got {tuple(scores.shape)}")
    y = torch.as_tensor(check_labels("y", y, scores.shape[0], scores.shape[1]), dtype=torch.long)
    return torch.nn.functional.nll_loss(torch.log_softmax(scores, dim=1), y)


def accuracy(scores, y) -> float:
    """Fraction of samples whose highest score is their label. scores (N, C); y (N,) labels in [0, C)."""
    s = check_array("scores", scores, ndim=2)
    y = check_array("y", y, ndim=1, shape=(s.shape[0],), dtype_kind="iu", lo=0, hi=s.shape[1] - 1)
    return float(np.mean(np.argmax(s, axis=1) == y))


def clean_scores(circuit: qsim.Circuit, weights: torch.Tensor, states: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Noise-free class scores of encoded `states` (N, 16) through `circuit`."""
    check_type("circuit", circuit, qsim.Circuit)
    check_states("states", states, circuit.n_qubits)
    return readout(qsim.expval_z(qsim.simulate(circuit, weights, state=states)), n_classes)


class Adam:
    """Adam (Kingma & Ba) on one weight tensor; written out because it is ten lines and keeps
    torch.optim's heavy first-use imports out of a 60 s notebook."""

    def __init__(self, w: torch.Tensor, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        check_weights("w", w)
        lr = check_number("lr", lr, lo=0.0, hi=10.0, lo_open=True)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair of numbers in [0, 1); got {betas!r}")
        betas = tuple(check_number("betas", b, lo=0.0, hi=1.0, hi_open=True) for b in betas)
        eps = check_number("eps", eps, lo=0.0, hi=1.0, lo_open=True)
        self.w, self.lr, self.b1, self.b2, self.eps = w, lr, betas[0], betas[1], eps
        self.m, self.v, self.t = torch.zeros_like(w), torch.zeros_like(w), 0

    @torch.no_grad()
    def step(self) -> None:
        """One Adam update of w from its gradient (nothing happens without one)."""
        g = self.w.grad
        if g is None:
            return
        self.t += 1
        self.m.mul_(self.b1).add_(g, alpha=1 - self.b1)
        self.v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
        mhat = self.m / (1 - self.b1 ** self.t)
        vhat = self.v / (1 - self.b2 ** self.t)
        self.w.sub_(self.lr * mhat / (vhat.sqrt() + self.eps))
        self.w.grad = None


def train(circuit_fn: Callable[[np.random.Generator], qsim.Circuit], weights: torch.Tensor,
          states: torch.Tensor, y, n_classes: int, steps: int, batch: int, lr: float, seed: int,
          mask: torch.Tensor | None = None) -> tuple[torch.Tensor, list[float]]:
    """Adam on the NLL loss. Each step draws a minibatch and a circuit `circuit_fn(rng)` (a fixed
    circuit, or a random SubCircuit for SuperCircuit training). `mask` (n_weights,) of 0/1 freezes
    pruned angles at 0. Returns (trained weights copy, loss per step)."""
    if not callable(circuit_fn):
        raise TypeError("circuit_fn must be callable: numpy Generator -> qsim.Circuit")
    check_weights("weights", weights)
    states = check_states("states", states)
    n_classes = check_int("n_classes", n_classes, lo=2, hi=N_QUBITS)
    y = check_labels("y", y, states.shape[0], n_classes)
    steps = check_int("steps", steps, lo=0, hi=MAX_STEPS)
    batch = check_int("batch", batch, lo=1, hi=100_000)
    lr = check_number("lr", lr, lo=0.0, hi=10.0, lo_open=True)
    if mask is not None:
        check_weights("mask", mask, weights.numel())
    rng = np.random.default_rng(check_int("seed", seed, lo=0, hi=2**63 - 1))
    w = weights.detach().clone().requires_grad_(True)
    opt = Adam(w, lr)
    losses = []
    with one_thread():
        fit_steps(w, opt, circuit_fn, states, y, n_classes, steps, batch, rng, mask, losses)
    out = w.detach()
    return (out * mask if mask is not None else out), losses


def fit_steps(w, opt, circuit_fn, states, y, n_classes, steps, batch, rng, mask, losses) -> None:
    """`steps` Adam steps of `train` on w in place (checked arguments), each loss appended to `losses`."""
    for _ in range(steps):
        idx = rng.choice(len(y), size=min(batch, len(y)), replace=False)
        circ = circuit_fn(rng)
        ww = w * mask if mask is not None else w
        loss = nll(clean_scores(circ, ww, states[idx], n_classes), y[idx])
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
