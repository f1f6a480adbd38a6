"""Gradual pruning of notebooks/14_quantumnas.ipynb (QuantumNAS, Wang et al., HPCA 2022): `prune`, magnitude
pruning of angles near 0 (mod 2 pi) with fine-tuning throughout (the authors' schedule), and `select_pruned`, the
ratio of best noisy validation accuracy.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from . import qsim
from lab.core.device import one_thread
from lab.core.checks import check_array, check_int, check_number, check_type
from .device import Device, noisy_expvals_many
from .supercircuit import MAX_STEPS, N_QUBITS, check_labels, check_states, check_weights
from .data import encoder_4x4_ryzxy
from .training import Adam, accuracy, fit_steps, readout


MAX_PRUNE_EPOCHS = 100    # fine-tuning epochs of the gradual pruning
#: the authors' QuantumNAS pruning configuration (torchquantum's examples/QuantumNAS): the pruned share rises
#: from init_pruning_amount 0.1 to the target over epochs 0-30 (end_epoch) of a 40-epoch run
PRUNE_INIT = 0.1
PRUNE_RAMP = 0.75          # 30 of 40 epochs: the share of our pruning epochs the ramp takes


# ----------------------------------------------------------------------------- pruning
def angle_magnitude(weights) -> np.ndarray:
    """Distance of each angle to 0 modulo 2 pi, in [0, pi] rad."""
    w = check_array("weights", weights, ndim=1)
    return np.abs(np.mod(w + np.pi, 2 * np.pi) - np.pi)


def pruned_circuit(circuit: qsim.Circuit, mask) -> qsim.Circuit:
    """Drop the ops all of whose trainable angles are pruned (mask 0): they are identities."""
    check_type("circuit", circuit, qsim.Circuit)
    m = check_array("mask", mask, ndim=1, min_size=circuit.n_weights())
    keep = []
    for op in circuit.ops:
        w = [p[1] for p in op.params if isinstance(p, tuple) and p[0] == "w"]
        if w and all(m[i] == 0 for i in w):
            continue
        keep.append(op)
    return qsim.Circuit(circuit.n_qubits, tuple(keep))


def prune_schedule(epochs: int, final_ratio: float, init_ratio: float = PRUNE_INIT,
                   ramp: float = PRUNE_RAMP) -> np.ndarray:
    """The share of the angles pruned after each of `epochs` fine-tuning epochs (epochs,): the authors'
    `ThresholdScheduler` (torchquantum's prune_utils: tfmot's PolynomialDecay, power 3), from `init_ratio`
    after the first epoch up to `final_ratio`, reached after the epoch round(ramp * epochs) + 1 (at
    most the last) and held after it. One epoch: the final ratio at once."""
    epochs = check_int("epochs", epochs, lo=1, hi=MAX_PRUNE_EPOCHS)
    final_ratio = check_number("final_ratio", final_ratio, lo=0.0, hi=1.0)
    init_ratio = check_number("init_ratio", init_ratio, lo=0.0, hi=final_ratio)
    ramp = check_number("ramp", ramp, lo=0.0, hi=1.0, lo_open=True)
    if epochs == 1:
        return np.array([final_ratio])
    end = min(epochs - 1, max(1, int(np.floor(ramp * epochs + 0.5))))
    k = np.arange(epochs)
    ramp_up = init_ratio + (final_ratio - init_ratio) * (1.0 - (1.0 - np.minimum(k, end) / end) ** 3)
    return np.where(k >= end, final_ratio, ramp_up)


@dataclass(frozen=True)
class PruneStep:
    """The circuit after one epoch of `prune`: `ratio` of its angles pruned (`mask` 0, weights 0
    there), the ops whose angles are all pruned dropped (`circuit`), the rest fine-tuned (`weights`)."""
    epoch: int
    ratio: float
    circuit: qsim.Circuit
    weights: torch.Tensor
    mask: torch.Tensor

    def __post_init__(self):
        check_int("epoch", self.epoch, lo=0, hi=MAX_PRUNE_EPOCHS)
        check_number("ratio", self.ratio, lo=0.0, hi=1.0)
        check_type("circuit", self.circuit, qsim.Circuit)
        check_weights("weights", self.weights, self.circuit.n_weights())
        check_type("mask", self.mask, torch.Tensor)
        if self.mask.shape != self.weights.shape or not bool(((self.mask == 0) | (self.mask == 1)).all()):
            raise ValueError(f"mask must hold 0 (pruned) or 1 (kept) per angle, shaped like weights "
                             f"{tuple(self.weights.shape)}; got {tuple(self.mask.shape)}")


def prune(circuit: qsim.Circuit, weights: torch.Tensor, states, y, n_classes: int, final_ratio: float,
          epochs: int, steps: int, batch: int, lr: float, seed: int,
          init_ratio: float = PRUNE_INIT) -> list[PruneStep]:
    """Gradual magnitude pruning with fine-tuning throughout, as the authors' pruning trainer does it:
    each of `epochs` epochs fine-tunes the kept angles for `steps` Adam steps (one optimiser for the
    whole run), then prunes the share `prune_schedule(epochs, final_ratio, init_ratio)[epoch]` of the
    circuit's angles closest to 0 (mod 2 pi); an angle once pruned stays pruned. Returns the circuit
    after every epoch, the candidates `select_pruned` chooses among."""
    check_type("circuit", circuit, qsim.Circuit)
    check_weights("weights", weights, circuit.n_weights())
    final_ratio = check_number("final_ratio", final_ratio, lo=0.0, hi=1.0)
    init_ratio = check_number("init_ratio", init_ratio, lo=0.0, hi=final_ratio)
    epochs = check_int("epochs", epochs, lo=1, hi=MAX_PRUNE_EPOCHS)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    steps = check_int("steps", steps, lo=0, hi=MAX_STEPS)
    batch = check_int("batch", batch, lo=1, hi=100_000)
    lr = check_number("lr", lr, lo=0.0, hi=10.0, lo_open=True)
    states = check_states("states", states, circuit.n_qubits)
    n_classes = check_int("n_classes", n_classes, lo=2, hi=circuit.n_qubits)
    y = check_labels("y", y, states.shape[0], n_classes)
    used = sorted({p[1] for op in circuit.ops for p in op.params if isinstance(p, tuple) and p[0] == "w"})
    rng = np.random.default_rng(seed)
    w = weights.detach().clone().requires_grad_(True)
    opt = Adam(w, lr)
    mask = torch.ones_like(w.detach())
    out = []
    with one_thread():
        for epoch, ratio in enumerate(prune_schedule(epochs, final_ratio, init_ratio), start=1):
            fit_steps(w, opt, lambda _r: circuit, states, y, n_classes, steps, batch, rng, mask, [])
            k = int(round(ratio * len(used)))
            mag = angle_magnitude(w.detach().numpy())[used]
            kept = mask.numpy()[used] != 0
            order = np.lexsort((mag, kept))          # the pruned first, then the kept by magnitude
            mask[[used[i] for i in order[:k]]] = 0.0
            out.append(PruneStep(epoch, k / len(used) if used else 0.0, pruned_circuit(circuit, mask.numpy()),
                                 w.detach() * mask, mask.clone()))
    return out


def select_pruned(circuit: qsim.Circuit, weights: torch.Tensor, candidates: Sequence[PruneStep], device: Device,
                  x_val, y_val, n_classes: int, layout, shots: int, seed: int) -> tuple[int | None, list[float]]:
    """Choose the pruned circuit on the noisy device, as the authors' pruning run keeps its checkpoint of
    best validation accuracy (torchpack's MaxSaver): the noisy validation accuracy (fraction) of the
    unpruned `circuit` with `weights` and of every candidate of `prune`, all on `layout` in one Aer job.
    Returns (index of the candidate of highest accuracy, the earliest among equals, or None when none is
    above the unpruned circuit's; the accuracies, the unpruned circuit's first)."""
    check_type("circuit", circuit, qsim.Circuit)
    check_weights("weights", weights, circuit.n_weights())
    if isinstance(candidates, (str, bytes)) or not isinstance(candidates, Sequence):
        raise TypeError("candidates must be a list of PruneStep (the output of prune)")
    for c in candidates:
        check_type("candidates", c, PruneStep)
    check_type("device", device, Device)
    n_classes = check_int("n_classes", n_classes, lo=2, hi=N_QUBITS)
    x_val = check_array("x_val", x_val, ndim=2, shape=(None, 16), min_size=1)
    y_val = check_labels("y_val", y_val, len(x_val), n_classes)
    if isinstance(layout, (str, bytes)) or not isinstance(layout, (tuple, list)):
        raise TypeError(f"layout must be a sequence of physical qubits; got {type(layout).__name__}")
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    circuits = [circuit] + [c.circuit for c in candidates]
    ws = [weights.detach().numpy()] + [c.weights.numpy() for c in candidates]
    ezs, _ = noisy_expvals_many([encoder_4x4_ryzxy() + c for c in circuits], ws, x_val, device,
                                [tuple(layout)] * len(circuits), shots, seed)
    acc = [accuracy(readout(torch.as_tensor(ez), n_classes).numpy(), y_val) for ez in ezs]
    best = int(np.argmax(acc[1:])) if candidates else 0
    return (best if candidates and acc[1 + best] > acc[0] else None), acc
