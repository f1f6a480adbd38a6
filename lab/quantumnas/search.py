"""The QuantumNAS method of notebooks/14_quantumnas.ipynb (Wang et al., HPCA 2022). The pieces, in the paper's order:

1. data: scikit-learn's handwritten digits, average-pooled 8x8 -> 4x4 (16 angles), encoded
   on 4 qubits by the `4x4_ryzxy` encoder (layers of RY, RZ, RX, RY);
2. design spaces (`SPACES`) and the `SuperCircuit`, whose SubCircuits keep the first k ops
   of each layer and the first b blocks (front sharing), trained one random SubCircuit per step;
3. `evolve`: the evolutionary co-search of SubCircuit and physical-qubit layout, scored with
   inherited weights under a fake IBM backend's noise model (device.py);
4. `prune`: gradual magnitude pruning of angles near 0 (mod 2 pi) with fine-tuning throughout (the
   authors' schedule), `select_pruned`: the ratio of best noisy validation accuracy;
5. `run_pipeline`: the four contenders (human baseline, random, searched, searched+pruned);
   `vqe_pipeline`: the same search for the H2 ground energy.

Training runs on the torch simulator qsim.py; the encoder's output states are computed once
and reused, since only the trainable part of the circuit changes during training.
Figures and the explorer live in views.py, the noisy device in device.py, the H2 VQE in vqe.py.
"""
from __future__ import annotations

import math

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from . import qsim
from lab.core.claims import Measured
from lab.core.device import one_thread
from lab.data.digits import load_digits
from lab.core.checks import check_array, check_choice, check_int, check_number, check_type
from lab.core.stats import mean_interval, paired_interval
from .device import BACKENDS, Device, get_device, noisy_expvals, noisy_expvals_many, sampler_expvals

N_QUBITS = 4
MAX_BLOCKS = 32  # blocks of a SuperCircuit
MAX_STEPS = 100_000       # optimiser steps of one training run
MAX_POPULATION = 10_000   # candidates per generation, parents, mutations, crossovers
MAX_ITERATIONS = 10_000   # generations of the search
MAX_PRUNE_EPOCHS = 100    # fine-tuning epochs of the gradual pruning
#: the authors' QuantumNAS pruning configuration (torchquantum's examples/QuantumNAS): the pruned share rises
#: from init_pruning_amount 0.1 to the target over epochs 0-30 (end_epoch) of a 40-epoch run
PRUNE_INIT = 0.1
PRUNE_RAMP = 0.75          # 30 of 40 epochs: the share of our pruning epochs the ramp takes
MAX_PHYSICAL = 1000       # physical qubits of a device
MAX_SHOTS = 1_000_000     # shots per sample


def check_cfg(cfg, keys) -> None:
    """A resolved preset (`resolve_scale(SCALES, ...)`) holding the settings `keys`."""
    missing = [k for k in keys if not hasattr(cfg, k)]
    if cfg is None or isinstance(cfg, (str, bytes, int, float)) or missing:
        raise TypeError(f"cfg must be a resolved preset (resolve_scale(quantumnas.SCALES, ...)) with {list(keys)}; "
                        f"got {type(cfg).__name__} missing {missing}")
    for k in keys:
        v = getattr(cfg, k)
        if k in ("lr", "mutation_p", "prune_ratio"):
            check_number(f"cfg.{k}", v, lo=0.0, hi=10.0 if k == "lr" else 1.0, lo_open=k == "lr")
        elif k != "seeds":
            check_int(f"cfg.{k}", v, lo=0, hi=MAX_STEPS)


def _states(name: str, states, n_qubits: int = N_QUBITS) -> torch.Tensor:
    check_type(name, states, torch.Tensor)
    if states.dim() != 2 or states.shape[1] != 2 ** n_qubits or states.shape[0] < 1 or not states.is_complex():
        raise ValueError(f"{name} must be a complex tensor (N, {2 ** n_qubits}) of encoded states; "
                         f"got {states.dtype} {tuple(states.shape)}")
    if not bool(torch.isfinite(torch.view_as_real(states)).all()):
        raise ValueError(f"{name} must be finite")
    return states


def _labels(name: str, y, n: int, n_classes: int) -> np.ndarray:
    y = check_array(name, y, ndim=1, shape=(n,), dtype_kind="iu", lo=0, hi=n_classes - 1)
    return y.astype(np.int64)


def _weights(name: str, w, size: int | None = None) -> torch.Tensor:
    check_type(name, w, torch.Tensor)
    if w.dim() != 1 or w.is_complex() or (size is not None and w.numel() < size):
        raise ValueError(f"{name} must be a real 1-D tensor" + (f" of at least {size} angles" if size else "")
                         + f"; got {w.dtype} {tuple(w.shape)}")
    if not bool(torch.isfinite(w).all()):
        raise ValueError(f"{name} must be finite angles [rad]")
    return w
#: design spaces: each block is a sequence of (gate, pattern) layers; "single" puts the gate on
#: every wire, "ring" on the pairs (0,1), (1,2), ..., (n-1,0).
SPACES = {
    "u3cu3": (("u3", "single"), ("cu3", "ring")),
    "zz_ry": (("rzz", "ring"), ("ry", "single")),
    "rxyz": (("rx", "single"), ("ry", "single"), ("rz", "single"), ("cz", "ring")),
    "zx_xx": (("rzx", "ring"), ("rxx", "ring")),
    "ibmq_basis": (("rz", "single"), ("sx", "single"), ("rz", "single"), ("cx", "ring")),
}


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


# ----------------------------------------------------------------------------- SuperCircuit
@dataclass(frozen=True)
class Arch:
    """A SubCircuit: `n_blocks` front blocks, and in each block b, layer l, the first
    `widths[b][l]` ops (front sharing)."""
    n_blocks: int
    widths: tuple[tuple[int, ...], ...]

    def __post_init__(self):
        check_int("n_blocks", self.n_blocks, lo=1, hi=MAX_BLOCKS)
        check_type("widths", self.widths, tuple)
        if len(self.widths) != self.n_blocks:
            raise ValueError(f"widths must hold one tuple per block ({self.n_blocks}); got {len(self.widths)}")
        for wb in self.widths:
            check_type("widths", wb, tuple)
            if not wb:
                raise ValueError("widths must hold non-empty tuples of layer widths")
            for k in wb:
                check_int("widths", k, lo=1, hi=qsim.MAX_QUBITS)


@dataclass(frozen=True)
class SuperCircuit:
    """Blocks of `SPACES[space]` layers on `n_qubits` wires; every op of every block owns its
    trainable angles (the SuperCircuit's weights)."""
    space: str
    n_qubits: int
    max_blocks: int

    def __post_init__(self):
        check_choice("space", self.space, SPACES)
        check_int("n_qubits", self.n_qubits, lo=2, hi=qsim.MAX_QUBITS)
        check_int("max_blocks", self.max_blocks, lo=1, hi=MAX_BLOCKS)

    def layer_ops(self, pattern: str) -> list[tuple[int, ...]]:
        """The wires of each op of a layer: "single" (one per wire) or "ring" (neighbour pairs)."""
        check_choice("pattern", pattern, ("single", "ring"))
        n = self.n_qubits
        if pattern == "single":
            return [(q,) for q in range(n)]
        return [(q, (q + 1) % n) for q in range(n if n > 2 else 1)]

    def layers(self) -> tuple[tuple[str, str], ...]:
        return SPACES[self.space]

    def _offsets(self):
        """weight offset of (block, layer, op) -> index of its first angle."""
        off, table = 0, {}
        for b in range(self.max_blocks):
            for li, (g, pat) in enumerate(self.layers()):
                for k, _ in enumerate(self.layer_ops(pat)):
                    table[(b, li, k)] = off
                    off += qsim.N_PARAMS[g]
        return table, off

    def n_weights(self) -> int:
        return self._offsets()[1]

    def full_arch(self, n_blocks: int | None = None) -> Arch:
        """Every op of the first `n_blocks` blocks (default all): the 'human' circuit."""
        nb = self.max_blocks if n_blocks is None else check_int("n_blocks", n_blocks, lo=1, hi=self.max_blocks)
        w = tuple(len(self.layer_ops(p)) for _, p in self.layers())
        return Arch(nb, (w,) * nb)

    def sample_arch(self, rng: np.random.Generator) -> Arch:
        """A uniformly random SubCircuit: blocks in [1, max_blocks], widths in [1, ops per layer]."""
        check_type("rng", rng, np.random.Generator)
        nb = int(rng.integers(1, self.max_blocks + 1))
        widths = tuple(tuple(int(rng.integers(1, len(self.layer_ops(p)) + 1)) for _, p in self.layers())
                       for _ in range(nb))
        return Arch(nb, widths)

    def check_arch(self, arch: Arch) -> Arch:
        check_type("arch", arch, Arch)
        check_int("arch.n_blocks", arch.n_blocks, lo=1, hi=self.max_blocks)
        if len(arch.widths) != arch.n_blocks:
            raise ValueError(f"arch.widths must have one entry per block ({arch.n_blocks}); got {len(arch.widths)}")
        for wb in arch.widths:
            if len(wb) != len(self.layers()):
                raise ValueError(f"each arch.widths entry must have {len(self.layers())} layer widths; got {wb}")
            for (g, p), k in zip(self.layers(), wb):
                check_int("arch.widths", k, lo=1, hi=len(self.layer_ops(p)))
        return arch

    def circuit(self, arch: Arch) -> qsim.Circuit:
        """The SubCircuit `arch` as a qsim.Circuit whose ("w", i) angles index the SuperCircuit's
        weights, so a SubCircuit inherits them unchanged."""
        self.check_arch(arch)
        table, _ = self._offsets()
        ops = []
        for b in range(arch.n_blocks):
            for li, ((g, pat), k) in enumerate(zip(self.layers(), arch.widths[b])):
                for j, wires in enumerate(self.layer_ops(pat)[:k]):
                    o = table[(b, li, j)]
                    ops.append(qsim.Op(g, wires, tuple(("w", o + i) for i in range(qsim.N_PARAMS[g]))))
        return qsim.Circuit(self.n_qubits, tuple(ops))

    def init_weights(self, seed: int) -> torch.Tensor:
        """Uniform angles in [-pi, pi) rad, shape (n_weights,)."""
        g = torch.Generator().manual_seed(check_int("seed", seed, lo=0, hi=2**63 - 1))
        return (torch.rand(self.n_weights(), generator=g, dtype=torch.float64) * 2 - 1) * np.pi


def n_params(circuit: qsim.Circuit) -> int:
    """The number of trainable angles a circuit uses."""
    check_type("circuit", circuit, qsim.Circuit)
    return len({p for op in circuit.ops for p in op.params if isinstance(p, tuple) and p[0] == "w"})


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
    y = torch.as_tensor(_labels("y", y, scores.shape[0], scores.shape[1]), dtype=torch.long)
    return torch.nn.functional.nll_loss(torch.log_softmax(scores, dim=1), y)


def accuracy(scores, y) -> float:
    """Fraction of samples whose highest score is their label. scores (N, C); y (N,) labels in [0, C)."""
    s = check_array("scores", scores, ndim=2)
    y = check_array("y", y, ndim=1, shape=(s.shape[0],), dtype_kind="iu", lo=0, hi=s.shape[1] - 1)
    return float(np.mean(np.argmax(s, axis=1) == y))


def clean_scores(circuit: qsim.Circuit, weights: torch.Tensor, states: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Noise-free class scores of encoded `states` (N, 16) through `circuit`."""
    check_type("circuit", circuit, qsim.Circuit)
    _states("states", states, circuit.n_qubits)
    return readout(qsim.expval_z(qsim.simulate(circuit, weights, state=states)), n_classes)


class Adam:
    """Adam (Kingma & Ba) on one weight tensor; written out because it is ten lines and keeps
    torch.optim's heavy first-use imports out of a 60 s notebook."""

    def __init__(self, w: torch.Tensor, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        _weights("w", w)
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
    _weights("weights", weights)
    states = _states("states", states)
    n_classes = check_int("n_classes", n_classes, lo=2, hi=N_QUBITS)
    y = _labels("y", y, states.shape[0], n_classes)
    steps = check_int("steps", steps, lo=0, hi=MAX_STEPS)
    batch = check_int("batch", batch, lo=1, hi=100_000)
    lr = check_number("lr", lr, lo=0.0, hi=10.0, lo_open=True)
    if mask is not None:
        _weights("mask", mask, weights.numel())
    rng = np.random.default_rng(check_int("seed", seed, lo=0, hi=2**63 - 1))
    w = weights.detach().clone().requires_grad_(True)
    opt = Adam(w, lr)
    losses = []
    with one_thread():
        _fit(w, opt, circuit_fn, states, y, n_classes, steps, batch, rng, mask, losses)
    out = w.detach()
    return (out * mask if mask is not None else out), losses


def _fit(w, opt, circuit_fn, states, y, n_classes, steps, batch, rng, mask, losses) -> None:
    """`steps` Adam steps of `train` on w in place (checked arguments), each loss appended to `losses`."""
    for _ in range(steps):
        idx = rng.choice(len(y), size=min(batch, len(y)), replace=False)
        circ = circuit_fn(rng)
        ww = w * mask if mask is not None else w
        loss = nll(clean_scores(circ, ww, states[idx], n_classes), y[idx])
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))


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
        _weights("weights", self.weights, self.circuit.n_weights())
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
    _weights("weights", weights, circuit.n_weights())
    final_ratio = check_number("final_ratio", final_ratio, lo=0.0, hi=1.0)
    init_ratio = check_number("init_ratio", init_ratio, lo=0.0, hi=final_ratio)
    epochs = check_int("epochs", epochs, lo=1, hi=MAX_PRUNE_EPOCHS)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    steps = check_int("steps", steps, lo=0, hi=MAX_STEPS)
    batch = check_int("batch", batch, lo=1, hi=100_000)
    lr = check_number("lr", lr, lo=0.0, hi=10.0, lo_open=True)
    states = _states("states", states, circuit.n_qubits)
    n_classes = check_int("n_classes", n_classes, lo=2, hi=circuit.n_qubits)
    y = _labels("y", y, states.shape[0], n_classes)
    used = sorted({p[1] for op in circuit.ops for p in op.params if isinstance(p, tuple) and p[0] == "w"})
    rng = np.random.default_rng(seed)
    w = weights.detach().clone().requires_grad_(True)
    opt = Adam(w, lr)
    mask = torch.ones_like(w.detach())
    out = []
    with one_thread():
        for epoch, ratio in enumerate(prune_schedule(epochs, final_ratio, init_ratio), start=1):
            _fit(w, opt, lambda _r: circuit, states, y, n_classes, steps, batch, rng, mask, [])
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
    _weights("weights", weights, circuit.n_weights())
    if isinstance(candidates, (str, bytes)) or not isinstance(candidates, Sequence):
        raise TypeError("candidates must be a list of PruneStep (the output of prune)")
    for c in candidates:
        check_type("candidates", c, PruneStep)
    check_type("device", device, Device)
    n_classes = check_int("n_classes", n_classes, lo=2, hi=N_QUBITS)
    x_val = check_array("x_val", x_val, ndim=2, shape=(None, 16), min_size=1)
    y_val = _labels("y_val", y_val, len(x_val), n_classes)
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


# ----------------------------------------------------------------------------- evolutionary search
@dataclass(frozen=True)
class Gene:
    """A candidate of the co-search: physical-qubit layout (virtual qubit i -> layout[i]) and a SubCircuit."""
    layout: tuple[int, ...]
    arch: Arch

    def __post_init__(self):
        check_type("layout", self.layout, tuple)
        for q in self.layout:
            check_int("layout", q, lo=0, hi=MAX_PHYSICAL - 1)
        if not self.layout or len(set(self.layout)) != len(self.layout):
            raise ValueError(f"layout must hold distinct physical qubits; got {self.layout}")
        check_type("arch", self.arch, Arch)


def random_layout(n_physical: int, n_virtual: int, rng: np.random.Generator) -> tuple[int, ...]:
    """n_virtual distinct physical qubits out of n_physical, in random order."""
    check_type("rng", rng, np.random.Generator)
    n_physical = check_int("n_physical", n_physical, lo=1, hi=MAX_PHYSICAL)
    n_virtual = check_int("n_virtual", n_virtual, lo=1, hi=n_physical)
    return tuple(int(q) for q in rng.permutation(n_physical)[:n_virtual])


def mutate(gene: Gene, sc: SuperCircuit, n_physical: int, p: float, rng: np.random.Generator) -> Gene:
    """Each gene element is redrawn with probability p: the block count, each layer width,
    and each layout entry (swapped with another physical qubit)."""
    check_type("gene", gene, Gene)
    check_type("sc", sc, SuperCircuit)
    check_type("rng", rng, np.random.Generator)
    sc.check_arch(gene.arch)
    n_physical = check_int("n_physical", n_physical, lo=len(gene.layout), hi=MAX_PHYSICAL)
    p = check_number("p", p, lo=0.0, hi=1.0)
    nb = int(rng.integers(1, sc.max_blocks + 1)) if rng.random() < p else gene.arch.n_blocks
    widths = []
    for b in range(nb):
        if b < gene.arch.n_blocks:
            base = gene.arch.widths[b]
        else:
            base = sc.sample_arch(rng).widths[0]
        widths.append(tuple(int(rng.integers(1, len(sc.layer_ops(pat)) + 1)) if rng.random() < p else k
                            for (_, pat), k in zip(sc.layers(), base)))
    lay = list(gene.layout)
    for i in range(len(lay)):
        if rng.random() < p:
            q = int(rng.integers(n_physical))
            if q in lay:
                j = lay.index(q)
                lay[i], lay[j] = lay[j], lay[i]
            else:
                lay[i] = q
    return Gene(tuple(lay), Arch(nb, tuple(widths)))


def crossover(a: Gene, b: Gene, rng: np.random.Generator) -> Gene:
    """Each architecture element from either parent (uniformly); the layout whole from one parent."""
    check_type("a", a, Gene)
    check_type("b", b, Gene)
    check_type("rng", rng, np.random.Generator)
    if len(a.arch.widths[0]) != len(b.arch.widths[0]) or len(a.layout) != len(b.layout):
        raise ValueError("a and b must be genes of the same SuperCircuit and qubit count")
    pick = lambda u, v: u if rng.random() < 0.5 else v  # noqa: E731
    nb = pick(a.arch.n_blocks, b.arch.n_blocks)
    widths = []
    for i in range(nb):
        wa = a.arch.widths[i] if i < a.arch.n_blocks else b.arch.widths[i]
        wb = b.arch.widths[i] if i < b.arch.n_blocks else wa
        widths.append(tuple(pick(u, v) for u, v in zip(wa, wb)))
    return Gene(pick(a.layout, b.layout), Arch(nb, tuple(widths)))


@dataclass
class SearchResult:
    best: Gene
    best_score: float
    history: list = field(default_factory=list)  # (iteration, best score so far, mean score of population)
    n_evaluated: int = 0


def evolve(sc: SuperCircuit, n_physical: int, score: Callable[[list[Gene]], Sequence[float]], population: int,
           parents: int, mutations: int, crossovers: int, iterations: int, p: float, seed: int,
           progress: Callable | None = None) -> SearchResult:
    """Evolutionary co-search (lower score is better). `score(genes)` returns one score per gene
    (a whole generation at once, so noisy evaluation runs as one batched job). The first
    population is random; each iteration keeps the best `parents` and adds `mutations` mutants
    and `crossovers` children of random parents. Scores are cached per gene. `progress(i, n)`
    is called per iteration."""
    check_type("sc", sc, SuperCircuit)
    n_physical = check_int("n_physical", n_physical, lo=sc.n_qubits, hi=MAX_PHYSICAL)
    population = check_int("population", population, lo=1, hi=MAX_POPULATION)
    parents = check_int("parents", parents, lo=1, hi=MAX_POPULATION)
    iterations = check_int("iterations", iterations, lo=1, hi=MAX_ITERATIONS)
    mutations = check_int("mutations", mutations, lo=0, hi=MAX_POPULATION)
    crossovers = check_int("crossovers", crossovers, lo=0, hi=MAX_POPULATION)
    p = check_number("p", p, lo=0.0, hi=1.0)
    if progress is not None and not callable(progress):
        raise TypeError("progress must be callable (iteration, total) or None")
    if parents > population:
        raise ValueError(f"parents must be <= population ({population}); got {parents}")
    if not callable(score):
        raise TypeError("score must be callable: list of Gene -> list of floats")
    rng = np.random.default_rng(check_int("seed", seed, lo=0, hi=2**63 - 1))
    cache: dict[Gene, float] = {}

    def score_all(genes: list[Gene]) -> None:
        new = list(dict.fromkeys(g for g in genes if g not in cache))
        if new:
            vals = list(score(new))
            if len(vals) != len(new):
                raise ValueError(f"score must return one value per gene; got {len(vals)} for {len(new)}")
            vals = [float(v) for v in vals]
            if not all(np.isfinite(vals)):
                raise ValueError("score must return finite scores")
            cache.update(dict(zip(new, vals)))

    pop = [Gene(random_layout(n_physical, sc.n_qubits, rng), sc.sample_arch(rng)) for _ in range(population)]
    history = []
    for it in range(iterations):
        score_all(pop)
        ranked = sorted(pop, key=lambda g: (cache[g], repr(g)))
        history.append((it, cache[ranked[0]], float(np.mean([cache[g] for g in pop]))))
        if progress:
            progress(it + 1, iterations)
        if it == iterations - 1:
            break
        top = ranked[:parents]
        kids = [mutate(top[rng.integers(len(top))], sc, n_physical, p, rng) for _ in range(mutations)]
        for _ in range(crossovers):
            i, j = rng.choice(len(top), size=2, replace=len(top) < 2)
            kids.append(crossover(top[i], top[j], rng))
        pop = top + kids
    best = min(cache, key=lambda g: (cache[g], repr(g)))
    return SearchResult(best, cache[best], history, len(cache))


# ----------------------------------------------------------------------------- the classification pipeline
TASKS = {"2-class": (3, 6), "4-class": (0, 1, 2, 3)}


@dataclass
class Contender:
    """One circuit on the device: its gates, layout, weights and measured accuracies (fractions)."""
    name: str
    circuit: qsim.Circuit
    layout: tuple[int, ...]
    weights: torch.Tensor
    acc_clean: float = float("nan")
    acc_noisy: float = float("nan")
    n_params: int = 0
    n_native: int = 0  # native gates after transpiling to the backend

    def __post_init__(self):
        """What `evaluate` will run: a circuit, distinct physical qubits for its wires, finite weights for
        its angles; the accuracies NaN until measured (then fractions in [0, 1])."""
        check_type("name", self.name, str)
        check_type("circuit", self.circuit, qsim.Circuit)
        if isinstance(self.layout, (str, bytes)) or not isinstance(self.layout, (tuple, list)):
            raise TypeError(f"layout must be a tuple of physical qubits; got {type(self.layout).__name__}")
        self.layout = tuple(check_int("layout", q, lo=0, hi=MAX_PHYSICAL - 1) for q in self.layout)
        if len(set(self.layout)) != len(self.layout) or len(self.layout) < self.circuit.n_qubits:
            raise ValueError(f"layout must hold at least {self.circuit.n_qubits} distinct physical qubits (one per "
                             f"wire of circuit); got {self.layout}")
        _weights("weights", self.weights, self.circuit.n_weights())
        for name in ("acc_clean", "acc_noisy"):
            v = getattr(self, name)
            if not (isinstance(v, float) and math.isnan(v)):
                check_number(name, v, lo=0.0, hi=1.0)
        check_int("n_params", self.n_params, lo=0)
        check_int("n_native", self.n_native, lo=0)


@dataclass
class PipelineResult:
    task: str
    space: str
    backend: str
    seed: int
    contenders: dict
    search: SearchResult
    super_losses: list
    sc: SuperCircuit
    noise_factor: float = 1.0
    x_test: np.ndarray | None = None   # the test split's inputs (N, 16) [rad] and labels (N,)
    y_test: np.ndarray | None = None
    #: the pruning ratios tried (0: the unpruned circuit, then one per epoch), their noisy validation
    #: accuracies (fractions) and the ratio chosen
    pruning: dict = field(default_factory=dict)

    def table(self) -> list[dict]:
        return [dict(contender=c.name, params=c.n_params, native_gates=c.n_native,
                     acc_noise_free=round(c.acc_clean, 3), acc_noisy=round(c.acc_noisy, 3))
                for c in self.contenders.values()]


def _test_split(device, x_test, y_test, states_test, n_classes, shots):
    """The checked arguments of `evaluate` and `evaluate_all`: (x_test, y_test, states_test, n_classes, shots)."""
    check_type("device", device, Device)
    n_classes = check_int("n_classes", n_classes, lo=2, hi=N_QUBITS)
    states_test = _states("states_test", states_test)
    x_test = check_array("x_test", x_test, ndim=2, shape=(states_test.shape[0], 16))
    y_test = _labels("y_test", y_test, len(x_test), n_classes)
    shots = check_int("shots", shots, lo=1, hi=MAX_SHOTS)
    return x_test, y_test, states_test, n_classes, shots


def evaluate(c: Contender, device: Device, x_test, y_test, states_test, n_classes: int, shots: int,
             seed: int) -> Contender:
    """Fill in the contender's noise-free and noisy test accuracy, parameter and native-gate counts."""
    check_type("c", c, Contender)
    x_test, y_test, states_test, n_classes, shots = _test_split(device, x_test, y_test, states_test, n_classes, shots)
    c.acc_clean = accuracy(clean_scores(c.circuit, c.weights, states_test, n_classes).detach().numpy(), y_test)
    full = encoder_4x4_ryzxy() + c.circuit
    ez, n_native = noisy_expvals(full, c.weights.numpy(), x_test, device, c.layout, shots, seed)
    c.acc_noisy = accuracy(readout(torch.as_tensor(ez), n_classes).numpy(), y_test)
    c.n_params = n_params(c.circuit)
    c.n_native = n_native
    return c


def evaluate_all(contenders: Sequence[Contender], device: Device, x_test, y_test, states_test, n_classes: int,
                 shots: int, seed: int) -> list[Contender]:
    """`evaluate` for several contenders, their noisy runs in ONE Aer job (`noisy_expvals_many`: one noise-model
    setup for all, as the search scores its candidates). Each contender's shots are drawn from its own seed
    within the job, so a contender's noisy accuracy may differ from a lone `evaluate` by shot noise.
    Contenders with the same circuit, layout and weights (a pruned contender that kept the unpruned
    circuit) share one run and so get the same numbers."""
    if isinstance(contenders, (str, bytes)) or not isinstance(contenders, Sequence) or not contenders:
        raise TypeError("contenders must be a non-empty list of Contender")
    for c in contenders:
        check_type("contenders", c, Contender)
    x_test, y_test, states_test, n_classes, shots = _test_split(device, x_test, y_test, states_test, n_classes, shots)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    keys = [(c.circuit, tuple(c.layout), c.weights.detach().numpy().tobytes()) for c in contenders]
    first = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    runs = sorted(set(first.values()))
    ezs, natives = noisy_expvals_many([encoder_4x4_ryzxy() + contenders[i].circuit for i in runs],
                                      [contenders[i].weights.numpy() for i in runs], x_test, device,
                                      [contenders[i].layout for i in runs], shots, seed)
    measured = dict(zip(runs, zip(ezs, natives)))
    for c, k in zip(contenders, keys):
        ez, n_native = measured[first[k]]
        c.acc_clean = accuracy(clean_scores(c.circuit, c.weights, states_test, n_classes).detach().numpy(), y_test)
        c.acc_noisy = accuracy(readout(torch.as_tensor(ez), n_classes).numpy(), y_test)
        c.n_params = n_params(c.circuit)
        c.n_native = n_native
    return list(contenders)


def evaluate_sampler(contenders: Sequence[Contender], backend, x_test, y_test, n_classes: int, shots: int,
                     seed: int = 0) -> list[float]:
    """The final noisy evaluation through Qiskit Runtime's Sampler primitive (`sampler_expvals`): each
    contender's noisy test accuracy (fraction), in order, measured in one job on `backend`: a `Device`
    or a fake backend (local testing mode), or a real IBM device of the user's account
    (`QiskitRuntimeService().backend(name)`: each contender's layout then names that device's physical
    qubits). The contenders are left as they are (their `acc_noisy` stays the Aer path's)."""
    if isinstance(contenders, (str, bytes)) or not isinstance(contenders, Sequence) or not contenders:
        raise TypeError("contenders must be a non-empty list of Contender")
    for c in contenders:
        check_type("contenders", c, Contender)
    n_classes = check_int("n_classes", n_classes, lo=2, hi=N_QUBITS)
    x_test = check_array("x_test", x_test, ndim=2, shape=(None, 16), min_size=1)
    y_test = _labels("y_test", y_test, len(x_test), n_classes)
    ezs, _ = sampler_expvals([encoder_4x4_ryzxy() + c.circuit for c in contenders],
                             [c.weights.numpy() for c in contenders], x_test, backend,
                             [tuple(c.layout) for c in contenders], shots, seed)
    return [accuracy(readout(torch.as_tensor(ez), n_classes).numpy(), y_test) for ez in ezs]


def human_baseline(sc: SuperCircuit, device: Device, states: torch.Tensor, y, n_classes: int, steps: int,
                   batch: int, lr: float, seed: int, n_blocks: int | None = None) -> Contender:
    """The human design, given a fair start: every op of the SuperCircuit's first `n_blocks`
    blocks (default all), trained from scratch for `steps` (the searched circuit's whole budget:
    SuperCircuit training plus fine-tuning), on the layout Qiskit's transpiler chooses for it on
    the noisy backend (optimization_level=3, noise-aware). Not yet evaluated."""
    check_type("sc", sc, SuperCircuit)
    check_type("device", device, Device)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    states = _states("states", states, sc.n_qubits)
    steps = check_int("steps", steps, lo=0, hi=MAX_STEPS)
    circ = sc.circuit(sc.full_arch(n_blocks))
    w, _ = train(lambda _r: circ, sc.init_weights(seed + 1), states, y, n_classes, steps, batch, lr, seed)
    return Contender("human baseline", circ, device.transpiler_layout(circ, seed, w.numpy()), w)


def run_pipeline(task: str, space: str, backend: str, cfg, seed: int = 0, noise_factor: float = 1.0,
                 progress: Callable | None = None) -> PipelineResult:
    """The whole method on one task, design space and fake backend: SuperCircuit training, the
    noise-adaptive co-search, training of the chosen SubCircuit, pruning, and the contenders
    (human baseline, random, searched, searched+pruned) evaluated noise-free and noisy. Pruning follows
    the authors' gradual schedule (`prune`) and keeps the ratio of best noisy validation accuracy, or the
    unpruned circuit when no ratio is better (`select_pruned`). cfg: a resolved `SCALES` preset.
    `progress(stage_text)` is called between stages."""
    check_choice("task", task, TASKS)
    check_choice("space", space, SPACES)
    check_choice("backend", backend, BACKENDS)
    check_cfg(cfg, ("n_train", "n_val", "n_test", "max_blocks", "super_steps", "train_steps", "finetune_steps",
                     "batch", "lr", "population", "parents", "mutations", "crossovers", "iterations", "mutation_p",
                     "shots", "prune_ratio", "prune_epochs"))
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    noise_factor = check_number("noise_factor", noise_factor, lo=0.0, hi=5.0)
    if progress is not None and not callable(progress):
        raise TypeError("progress must be callable (stage text) or None")
    say = progress or (lambda _t: None)
    classes = TASKS[task]
    nc = len(classes)
    xall, yall, xte, yte = load_digits_4x4(classes, cfg.n_train + cfg.n_val, cfg.n_test, seed=seed)
    # the search scores candidates on a validation split held out of training (as the authors' scripts do)
    xtr, ytr, xv, yv = validation_split(xall, yall, cfg.n_val, seed)
    str_, ste = encode(xtr), encode(xte)
    device = get_device(backend, noise_factor)
    sc = SuperCircuit(space, N_QUBITS, cfg.max_blocks)
    tr = dict(batch=cfg.batch, lr=cfg.lr)
    say("SuperCircuit training")
    w_super, losses = train(lambda r: sc.circuit(sc.sample_arch(r)), sc.init_weights(seed), str_, ytr, nc,
                            cfg.super_steps, seed=seed, **tr)

    def score(genes: list[Gene]) -> list[float]:
        circs = [encoder_4x4_ryzxy() + sc.circuit(g.arch) for g in genes]
        ezs, _ = noisy_expvals_many(circs, [w_super.numpy()] * len(genes), xv, device,
                                    [g.layout for g in genes], cfg.shots, seed)
        return [float(nll(readout(torch.as_tensor(ez), nc), yv)) for ez in ezs]

    say("evolutionary co-search")
    res = evolve(sc, device.n_qubits, score, cfg.population, cfg.parents, cfg.mutations, cfg.crossovers,
                 cfg.iterations, cfg.mutation_p, seed)
    rng = np.random.default_rng(seed + 1000)
    say("training the contenders")
    cont = {"human baseline": human_baseline(sc, device, str_, ytr, nc, cfg.super_steps + cfg.train_steps,
                                             cfg.batch, cfg.lr, seed)}
    rgene = Gene(random_layout(device.n_qubits, N_QUBITS, rng), sc.sample_arch(rng))
    rc = sc.circuit(rgene.arch)
    wr, _ = train(lambda _r: rc, w_super, str_, ytr, nc, cfg.train_steps, seed=seed, **tr)
    cont["random"] = Contender("random", rc, rgene.layout, wr)
    qc = sc.circuit(res.best.arch)
    wq, _ = train(lambda _r: qc, w_super, str_, ytr, nc, cfg.train_steps, seed=seed, **tr)
    cont["QuantumNAS"] = Contender("QuantumNAS", qc, res.best.layout, wq)
    say("pruning")
    steps = prune(qc, wq, str_, ytr, nc, cfg.prune_ratio, cfg.prune_epochs, cfg.finetune_steps, seed=seed, **tr)
    pick, val_acc = select_pruned(qc, wq, steps, device, xv, yv, nc, res.best.layout, cfg.shots, seed)
    pc, wp = (qc, wq) if pick is None else (steps[pick].circuit, steps[pick].weights)
    cont["QuantumNAS + pruning"] = Contender("QuantumNAS + pruning", pc, res.best.layout, wp)
    pruning = dict(ratios=[0.0] + [s.ratio for s in steps], val_acc=val_acc,
                   chosen=0.0 if pick is None else steps[pick].ratio)
    say("evaluating on the noisy device")
    evaluate_all(list(cont.values()), device, xte, yte, ste, nc, cfg.shots, seed)
    return PipelineResult(task, space, backend, seed, cont, res, losses, sc, noise_factor, xte, yte, pruning)


def param_sweep(task: str, space: str, backend: str, cfg, blocks: Sequence[int], seed: int = 0,
                reuse: Contender | None = None) -> list[dict]:
    """Figure 1: full circuits of 1..B blocks, each trained from scratch as the human baseline is
    (`human_baseline`: the same budget and a transpiler-chosen layout); per block count the
    parameter count and the noise-free and noisy test accuracy (fractions). `reuse`: an already
    evaluated full circuit (the human baseline of `run_pipeline` with the same seed), taken as
    the row of its block count instead of training it again."""
    check_choice("task", task, TASKS)
    check_choice("space", space, SPACES)
    check_choice("backend", backend, BACKENDS)
    check_cfg(cfg, ("n_train", "n_val", "n_test", "super_steps", "train_steps", "batch", "lr", "shots"))
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    if isinstance(blocks, (str, bytes)) or not hasattr(blocks, "__iter__"):
        raise TypeError(f"blocks must be a sequence of block counts; got {type(blocks).__name__}")
    blocks = [check_int("blocks", b, lo=1, hi=MAX_BLOCKS) for b in blocks]
    if not blocks or len(blocks) > MAX_BLOCKS:
        raise ValueError(f"blocks must list 1..{MAX_BLOCKS} block counts; got {blocks}")
    if reuse is not None:
        check_type("reuse", reuse, Contender)
    classes = TASKS[task]
    xall, yall, xte, yte = load_digits_4x4(classes, cfg.n_train + cfg.n_val, cfg.n_test, seed=seed)
    xtr, ytr, _, _ = validation_split(xall, yall, cfg.n_val, seed)
    str_, ste = encode(xtr), encode(xte)
    device = get_device(backend, 1.0)
    sc = SuperCircuit(space, N_QUBITS, max(blocks))
    rows = []
    for b in blocks:
        if reuse is not None and len(reuse.circuit.ops) == len(sc.circuit(sc.full_arch(b)).ops):
            rows.append(dict(blocks=b, params=reuse.n_params, acc_noise_free=reuse.acc_clean,
                             acc_noisy=reuse.acc_noisy))
            continue
        c = human_baseline(sc, device, str_, ytr, len(classes), cfg.super_steps + cfg.train_steps, cfg.batch,
                           cfg.lr, seed, n_blocks=b)
        c = evaluate(c, device, xte, yte, ste, len(classes), cfg.shots, seed)
        rows.append(dict(blocks=b, params=c.n_params, acc_noise_free=c.acc_clean, acc_noisy=c.acc_noisy))
    return rows


def summarize_seeds(results: Sequence[PipelineResult]) -> dict:
    """Mean and std over seeds of each contender's accuracies: {name: {metric: (mean, std)}}."""
    results = _check_results(results)
    out = {}
    for name in results[0].contenders:
        out[name] = {}
        for m in ("acc_clean", "acc_noisy", "n_native", "n_params"):
            v = np.array([getattr(r.contenders[name], m) for r in results], dtype=float)
            out[name][m] = (float(v.mean()), float(v.std()))
    return out


# ----------------------------------------------------------------------------- tables and claims
CONTENDERS = ("human baseline", "random", "QuantumNAS", "QuantumNAS + pruning")


def summary_frame(summary: dict, backend: str, task: str):
    """A pandas table of `summarize_seeds` output: accuracies in % as mean ± std."""
    import pandas as pd

    check_type("summary", summary, dict)
    check_type("backend", backend, str)
    check_type("task", task, str)
    if not summary:
        raise ValueError("summary must hold at least one contender (summarize_seeds output)")
    rows = []
    for name, m in summary.items():
        rows.append({"task": task, "backend": backend, "contender": name,
                     "parameters": f"{m['n_params'][0]:.0f}", "native gates": f"{m['n_native'][0]:.0f}",
                     "noise-free acc [%]": f"{100 * m['acc_clean'][0]:.1f} ± {100 * m['acc_clean'][1]:.1f}",
                     "noisy acc [%]": f"{100 * m['acc_noisy'][0]:.1f} ± {100 * m['acc_noisy'][1]:.1f}"})
    return pd.DataFrame(rows)


def _per_seed(results: Sequence[PipelineResult], name: str, metric: str) -> np.ndarray:
    return np.array([getattr(r.contenders[name], metric) for r in results], dtype=float)


def interval_text(values, scale: float = 100.0, digits: int = 1) -> str:
    """'mean [lo, hi]' of `values` times `scale` (> 0; fractions -> % by default): the 95 % t-interval
    of the mean (`lab.core.stats.mean_interval`), or the single value when there is only one (one seed)."""
    v = check_array("values", values, ndim=1, min_size=1, lo=-1e12, hi=1e12)
    scale = check_number("scale", scale, lo=0.0, hi=1e6, lo_open=True)
    digits = check_int("digits", digits, lo=0, hi=6)
    if len(v) == 1:
        return f"{scale * float(v[0]):.{digits}f} (one seed)"
    return mean_interval(v).scaled(scale).text(digits, short=True)


def noise_free_ceiling(results: Sequence[PipelineResult]) -> np.ndarray:
    """Per seed, the noise-free ceiling of the circuit family on that seed's data and encoder: the
    best noise-free test accuracy (fraction) among the circuits trained on it (the full
    SuperCircuit of the human baseline, which holds every SubCircuit, and the random, searched and
    pruned SubCircuits). The best is taken on the test split, so it leans high and a ratio to it
    leans low. Shape (n_seeds,)."""
    results = _check_results(results)
    return np.array([max(c.acc_clean for c in r.contenders.values()) for r in results], dtype=float)


def claim_ceiling_ratio(results: Sequence[PipelineResult], bound: float, name: str = "QuantumNAS") -> Measured:
    """The noisy test accuracy of contender `name` as a share of the noise-free ceiling
    (`noise_free_ceiling`), per seed [%]; holds when the mean share is at least `bound` (a
    fraction). The paper's absolute accuracy A is a lower bound on its own share (its ceiling is
    at most 100 %), so A read as a fraction is the bound to compare with. value: mean and 95 %
    t-interval over the seeds [%]."""
    results = _check_results(results)
    bound = check_number("bound", bound, lo=0.0, hi=1.0)
    check_choice("name", name, CONTENDERS)
    ceil = noise_free_ceiling(results)
    if not np.all(ceil > 0):
        raise ValueError("results must hold a contender with a noise-free accuracy above 0 in every seed")
    share = _per_seed(results, name, "acc_noisy") / ceil
    return Measured(interval_text(share), bool(share.mean() >= bound), number=float(100 * share.mean()),
                    note=(f"noisy accuracy / noise-free ceiling, {len(share)} seed(s) (95 % t-interval); "
                          f"ceiling {interval_text(ceil)} %; at or above {100 * bound:.0f} % in "
                          f"{int(np.sum(share >= bound))} of {len(share)}"))


def claim_searched_beats(results: Sequence[PipelineResult], other: str = "human baseline") -> Measured:
    """QuantumNAS's noisy test accuracy against another contender's ("human baseline": the same
    training budget on the layout Qiskit's transpiler picks, optimization_level=3; "random": a
    random SubCircuit and layout with inherited weights), paired by seed; holds when the paired 95 %
    t-interval of the difference (`lab.core.stats`, at least 2 seeds) lies above 0. value: both as
    mean [95 % t-interval] [%]; number: the mean difference [points]."""
    results = _check_results(results)
    check_choice("other", other, [c for c in CONTENDERS if c != "QuantumNAS"])
    q, b = _per_seed(results, "QuantumNAS", "acc_noisy"), _per_seed(results, other, "acc_noisy")
    if len(q) < 2:
        raise ValueError(f"results must hold at least 2 seeds (a paired t-interval needs 2); got {len(q)}")
    iv = paired_interval(q, b).scaled(100.0)
    wins = int(np.sum(q > b))
    return Measured(f"{interval_text(q)} vs {interval_text(b)}", iv.above(0.0), number=iv.mean,
                    note=(f"noisy test accuracy [%], searched vs {other}, mean [95 % t-interval] over {len(q)} seeds; "
                          f"searched − {other}: {iv.text(1, ' points', signed=True)}; searched higher in "
                          f"{wins} of {len(q)}"))


def pruned_gates(results: Sequence[PipelineResult]) -> tuple[float, float]:
    """Mean native gate counts (after transpiling) of the searched circuit before and after pruning
    (the same where the unpruned circuit was kept)."""
    results = _check_results(results)
    return (float(_per_seed(results, "QuantumNAS", "n_native").mean()),
            float(_per_seed(results, "QuantumNAS + pruning", "n_native").mean()))


def pruning_frame(results: Sequence[PipelineResult]):
    """A pandas table, one row per seed, of the pruning choice (`run_pipeline`): the noisy validation
    accuracy [%] at each ratio tried (0: unpruned), the ratio kept, and the searched circuit's native
    gates before and after pruning with the share removed [%]."""
    import pandas as pd

    results = _check_results(results)
    rows = []
    for r in results:
        if not r.pruning:
            raise ValueError("results must come from run_pipeline (their pruning record is empty)")
        n0, n1 = r.contenders["QuantumNAS"].n_native, r.contenders["QuantumNAS + pruning"].n_native
        rows.append({"seed": r.seed,
                     "noisy validation acc [%] at ratio": ", ".join(
                         f"{q:.2f}: {100 * a:.0f}" for q, a in zip(r.pruning["ratios"], r.pruning["val_acc"])),
                     "ratio kept": round(r.pruning["chosen"], 2), "native gates": f"{n0} → {n1}",
                     "gates removed [%]": round(100 * (n0 - n1) / n0, 1) if n0 else 0.0})
    return pd.DataFrame(rows)


def claim_pruning(results: Sequence[PipelineResult], n_test: int) -> Measured:
    """The paper's "pruning keeps or improves accuracy": the mean paired change of noisy test
    accuracy from pruning [points]; holds when it is no worse than minus one test sample
    (100 / n_test points, the resolution of an accuracy measured on n_test samples)."""
    results = _check_results(results)
    n_test = check_int("n_test", n_test, lo=1, hi=100_000)
    a0, a1 = _per_seed(results, "QuantumNAS", "acc_noisy"), _per_seed(results, "QuantumNAS + pruning", "acc_noisy")
    d = 100 * (a1 - a0)
    change = (paired_interval(a1, a0).scaled(100.0).text(1, " points", signed=True) if len(d) > 1
              else f"{d[0]:+.1f} points (one seed)")
    return Measured(f"{100 * a0.mean():.1f} -> {100 * a1.mean():.1f} % ({interval_text(d, scale=1.0)} points)",
                    bool(d.mean() >= -100.0 / n_test), number=float(d.mean()),
                    note=f"noisy test accuracy after − before pruning: {change}; improved or equal in "
                         f"{int(np.sum(d >= 0))} of {len(d)} seeds")


def _check_results(results) -> list:
    results = list(results) if isinstance(results, (list, tuple)) else results
    if not isinstance(results, list) or not results or not all(isinstance(r, PipelineResult) for r in results):
        raise TypeError("results must be a non-empty list of PipelineResult")
    return results


def claim_accuracy(results: Sequence[PipelineResult], paper: float, task: str) -> Measured:
    """Claim 3: the searched circuit's noisy accuracy [%] against the paper's number (a fraction)."""
    results = _check_results(results)
    paper = check_number("paper", paper, lo=0.0, hi=1.0)
    check_type("task", task, str)
    a = _per_seed(results, "QuantumNAS", "acc_noisy")
    note = (f"{task} on 4x4-pooled sklearn digits (not 28x28 MNIST), fake-backend noise model (not the real "
            f"device), laptop-scale training; mean [95 % t-interval] over {len(a)} seed(s)")
    return Measured(interval_text(a), bool(a.mean() >= paper), note=note, number=float(100 * a.mean()))
