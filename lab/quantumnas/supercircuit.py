"""The QuantumNAS design spaces and SuperCircuit of notebooks/14_quantumnas.ipynb (Wang et al., HPCA 2022):
the shared sizes and argument checks, the design spaces (`SPACES`), and the `SuperCircuit`, whose SubCircuits keep
the first k ops of each layer and the first b blocks (front sharing), trained one random SubCircuit per step.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from . import qsim
from lab.core.checks import check_array, check_choice, check_int, check_number, check_type


N_QUBITS = 4
MAX_BLOCKS = 32  # blocks of a SuperCircuit
MAX_STEPS = 100_000       # optimiser steps of one training run
MAX_POPULATION = 10_000   # candidates per generation, parents, mutations, crossovers
MAX_ITERATIONS = 10_000   # generations of the search


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


def check_states(name: str, states, n_qubits: int = N_QUBITS) -> torch.Tensor:
    check_type(name, states, torch.Tensor)
    if states.dim() != 2 or states.shape[1] != 2 ** n_qubits or states.shape[0] < 1 or not states.is_complex():
        raise ValueError(f"{name} must be a complex tensor (N, {2 ** n_qubits}) of encoded states; "
                         f"got {states.dtype} {tuple(states.shape)}")
    if not bool(torch.isfinite(torch.view_as_real(states)).all()):
        raise ValueError(f"{name} must be finite")
    return states


def check_labels(name: str, y, n: int, n_classes: int) -> np.ndarray:
    y = check_array(name, y, ndim=1, shape=(n,), dtype_kind="iu", lo=0, hi=n_classes - 1)
    return y.astype(np.int64)


def check_weights(name: str, w, size: int | None = None) -> torch.Tensor:
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
