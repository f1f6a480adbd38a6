"""A small differentiable, batched statevector simulator in torch (up to 8 qubits).

Used by `lab.quantumnas` (notebooks/14_quantumnas.ipynb, "QuantumNAS: noise-adaptive
search for robust quantum circuits", Wang et al., HPCA 2022) to train parameterised
circuits by back-propagation, as the paper's TorchQuantum library does.

A circuit is a `Circuit`: a number of qubits and a tuple of `Op`s. Each op names a
gate, the wires it acts on, and where each of its angles comes from:

* ``("w", i)``  trainable weight ``weights[i]`` (shared by the whole batch),
* ``("x", j)``  input feature ``x[:, j]`` (one angle per sample, for encoders),
* a float      a fixed angle in radians.

States are complex tensors of shape ``(batch, 2**n)`` in Qiskit's little-endian order
(qubit 0 is the least significant bit of the basis index), so they compare directly with
`qiskit.quantum_info.Statevector`. `to_qiskit` turns any circuit into a
`qiskit.QuantumCircuit` with the same gates and angle conventions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from lab.core.checks import check_array, check_bool, check_choice, check_int, check_number, check_type

MAX_QUBITS = 8
MAX_INDEX = 1_000_000   # weight / input indices of one circuit
MAX_OPS = 100_000       # gates of one circuit
MAX_BATCH = 1_000_000   # states simulated at once
N_PARAMS = {"rx": 1, "ry": 1, "rz": 1, "u3": 3, "cu3": 3, "cx": 0, "cz": 0,
            "rzz": 1, "rxx": 1, "rzx": 1, "sx": 0, "h": 0}
N_WIRES = {"rx": 1, "ry": 1, "rz": 1, "u3": 1, "cu3": 2, "cx": 2, "cz": 2,
           "rzz": 2, "rxx": 2, "rzx": 2, "sx": 1, "h": 1}
GATES = tuple(N_PARAMS)
DTYPE = torch.complex128


@dataclass(frozen=True)
class Op:
    """One gate: `name` in GATES, `wires` (control first for controlled gates), and
    `params`: one entry per angle, each ("w", i), ("x", j) or a float [rad]."""
    name: str
    wires: tuple[int, ...]
    params: tuple = ()

    def __post_init__(self):
        check_choice("name", self.name, GATES)
        check_type("wires", self.wires, tuple)
        for q in self.wires:
            check_int("wires", q, lo=0, hi=MAX_QUBITS - 1)
        check_type("params", self.params, tuple)
        if len(self.wires) != N_WIRES[self.name] or len(set(self.wires)) != len(self.wires):
            raise ValueError(f"wires of {self.name} must be {N_WIRES[self.name]} distinct qubit(s); "
                             f"got {self.wires}")
        if len(self.params) != N_PARAMS[self.name]:
            raise ValueError(f"params of {self.name} must have {N_PARAMS[self.name]} entries; "
                             f"got {len(self.params)}")
        for p in self.params:
            ok = (isinstance(p, tuple) and len(p) == 2 and p[0] in ("w", "x") and isinstance(p[1], int)
                  and not isinstance(p[1], bool) and 0 <= p[1] < MAX_INDEX) or (
                isinstance(p, (int, float)) and not isinstance(p, bool) and math.isfinite(p))
            if not ok:
                raise ValueError(f"each of params must be ('w', i), ('x', j) with 0 <= index < {MAX_INDEX}, "
                                 f"or a finite float; got {p!r}")


@dataclass(frozen=True)
class Circuit:
    """`n_qubits` (1..8) and a tuple of `Op`s applied in order."""
    n_qubits: int
    ops: tuple[Op, ...]

    def __post_init__(self):
        check_int("n_qubits", self.n_qubits, lo=1, hi=MAX_QUBITS)
        check_type("ops", self.ops, tuple)
        if len(self.ops) > MAX_OPS:
            raise ValueError(f"ops must hold at most {MAX_OPS} gates; got {len(self.ops)}")
        for op in self.ops:
            check_type("ops", op, Op)
            if max(op.wires) >= self.n_qubits or min(op.wires) < 0:
                raise ValueError(f"wires must be in [0, {self.n_qubits - 1}]; got {op.wires} in {op.name}")

    def n_weights(self) -> int:
        """1 + the largest trainable-weight index used (0 if none)."""
        idx = [p[1] for op in self.ops for p in op.params if isinstance(p, tuple) and p[0] == "w"]
        return max(idx) + 1 if idx else 0

    def n_inputs(self) -> int:
        """1 + the largest input-feature index used (0 if none)."""
        idx = [p[1] for op in self.ops for p in op.params if isinstance(p, tuple) and p[0] == "x"]
        return max(idx) + 1 if idx else 0

    def __add__(self, other: "Circuit") -> "Circuit":
        if not isinstance(other, Circuit) or other.n_qubits != self.n_qubits:
            raise ValueError("other must be a Circuit on the same number of qubits")
        return Circuit(self.n_qubits, self.ops + other.ops)


# ----------------------------------------------------------------------------- gate matrices
def _c(x: torch.Tensor) -> torch.Tensor:
    return x.to(DTYPE)


def _stack(rows: Sequence[Sequence[torch.Tensor]]) -> torch.Tensor:
    """Build (..., k, k) matrices from a k x k nested list of (...)-shaped tensors."""
    return torch.stack([torch.stack(list(r), dim=-1) for r in rows], dim=-2)


def gate_matrix(name: str, angles: Sequence[torch.Tensor]) -> torch.Tensor:
    """The gate's unitary, shape (..., 2, 2) or (..., 4, 4), where `...` is the shape of the
    angles (a scalar or one angle per sample). Conventions are Qiskit's; two-qubit matrices
    are in the basis |a b> with a the FIRST wire (control) as the most significant bit."""
    check_choice("name", name, GATES)
    if len(angles) != N_PARAMS[name]:
        raise ValueError(f"angles of {name} must have {N_PARAMS[name]} entries; got {len(angles)}")
    angles = [torch.as_tensor(check_number("angles", a) if isinstance(a, (int, float)) else a, dtype=torch.float64)
              if not torch.is_tensor(a) else a for a in angles]
    for a in angles:
        if a.is_complex() or not bool(torch.isfinite(a).all()):
            raise ValueError("angles must be finite real numbers [rad]")
    if len(angles) > 1:
        angles = list(torch.broadcast_tensors(*angles))
    if name in ("cx", "cz", "sx", "h"):
        fixed = {
            "cx": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]],
            "cz": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, -1]],
            "sx": [[0.5 + 0.5j, 0.5 - 0.5j], [0.5 - 0.5j, 0.5 + 0.5j]],
            "h": [[2 ** -0.5, 2 ** -0.5], [2 ** -0.5, -2 ** -0.5]],
        }[name]
        return torch.tensor(fixed, dtype=DTYPE)
    if name in ("rx", "ry", "rz", "rzz", "rxx", "rzx"):
        t = angles[0]
        c, s = _c(torch.cos(t / 2)), _c(torch.sin(t / 2))
        z = torch.zeros_like(c)
        e_m, e_p = torch.exp(-0.5j * _c(t)), torch.exp(0.5j * _c(t))
        mis = -1j * s
        if name == "rx":
            return _stack([[c, mis], [mis, c]])
        if name == "ry":
            return _stack([[c, -s], [s, c]])
        if name == "rz":
            return _stack([[e_m, z], [z, e_p]])
        if name == "rzz":
            return _stack([[e_m, z, z, z], [z, e_p, z, z], [z, z, e_p, z], [z, z, z, e_m]])
        if name == "rxx":
            return _stack([[c, z, z, mis], [z, c, mis, z], [z, mis, c, z], [mis, z, z, c]])
        # rzx: exp(-i t/2 Z(x)X), Z on the first wire, X on the second
        return _stack([[c, mis, z, z], [mis, c, z, z], [z, z, c, -mis], [z, z, -mis, c]])
    th, ph, lam = angles
    c, s = _c(torch.cos(th / 2)), _c(torch.sin(th / 2))
    u = _stack([[c, -torch.exp(1j * _c(lam)) * s],
                [torch.exp(1j * _c(ph)) * s, torch.exp(1j * _c(ph + lam)) * c]])
    if name == "u3":
        return u
    one, z = torch.ones_like(c), torch.zeros_like(c)
    return _stack([[one, z, z, z], [z, one, z, z], [z, z, u[..., 0, 0], u[..., 0, 1]],
                   [z, z, u[..., 1, 0], u[..., 1, 1]]])


# ----------------------------------------------------------------------------- simulation
def _apply(psi: torch.Tensor, mat: torch.Tensor, wires: tuple[int, ...], n: int) -> torch.Tensor:
    """Apply a k-qubit matrix (2^k, 2^k) or per-sample (B, 2^k, 2^k) to psi (B, 2,...,2)."""
    axes = tuple(n - w for w in wires)  # tensor axis of qubit w (axis 1 = qubit n-1)
    k = len(wires)
    moved = psi.movedim(axes, tuple(range(-k, 0)))
    shape = moved.shape
    flat = moved.reshape(shape[0], -1, 2 ** k)
    if mat.dim() == 2:
        out = flat @ mat.transpose(0, 1)
    else:
        out = torch.einsum("bij,bmj->bmi", mat, flat)
    return out.reshape(shape).movedim(tuple(range(-k, 0)), axes)


def _flush(psi: torch.Tensor, pending: dict[int, torch.Tensor], n: int) -> torch.Tensor:
    """Apply the pending single-qubit matrices (one per wire) and empty `pending`. Two or more
    are fused into one Kronecker-product layer (fewer, larger ops: faster at few qubits)."""
    if not pending:
        return psi
    if len(pending) == 1:
        (w, m), = pending.items()
        out = _apply(psi, m, (w,), n)
    else:
        eye = torch.eye(2, dtype=DTYPE)
        full = pending.get(n - 1, eye)
        for q in range(n - 2, -1, -1):
            full = torch.kron(full, pending.get(q, eye))
        b = psi.shape[0]
        out = (psi.reshape(b, 2 ** n) @ full.transpose(0, 1)).reshape(psi.shape)
    pending.clear()
    return out


def _angle(p, weights: torch.Tensor | None, x: torch.Tensor | None) -> torch.Tensor:
    if isinstance(p, tuple):
        src = weights if p[0] == "w" else x
        if src is None:
            raise ValueError(f"{'weights' if p[0] == 'w' else 'x'} must be given: the circuit uses {p}")
        return src[p[1]] if p[0] == "w" else src[:, p[1]]
    return torch.tensor(float(p), dtype=torch.float64)


def _weight_matrices(circuit: Circuit, weights: torch.Tensor | None) -> dict[int, torch.Tensor]:
    """Matrices of every op whose angles are weights or constants, built one vectorised call
    per gate type (the per-op cost of building small matrices dominates at few qubits)."""
    groups: dict[str, list[int]] = {}
    for i, op in enumerate(circuit.ops):
        if not any(isinstance(p, tuple) and p[0] == "x" for p in op.params):
            if weights is None and any(isinstance(p, tuple) for p in op.params):
                raise ValueError(f"weights must be given: op {i} ({op.name}) uses trainable angles")
            groups.setdefault(op.name, []).append(i)
    out: dict[int, torch.Tensor] = {}
    w = weights if weights is not None else torch.zeros(0, dtype=torch.float64)
    for name, idx in groups.items():
        angles = []
        for j in range(N_PARAMS[name]):
            ps = [circuit.ops[i].params[j] for i in idx]
            if all(isinstance(p, tuple) for p in ps):
                angles.append(w[torch.tensor([p[1] for p in ps], dtype=torch.long)])
            else:
                angles.append(torch.stack([w[p[1]] if isinstance(p, tuple)
                                           else torch.tensor(float(p), dtype=torch.float64) for p in ps]))
        mats = gate_matrix(name, angles) if N_PARAMS[name] else None
        for k, i in enumerate(idx):
            out[i] = mats[k] if mats is not None else gate_matrix(name, [])
    return out


def simulate(circuit: Circuit, weights: torch.Tensor | None = None, x: torch.Tensor | None = None,
             state: torch.Tensor | None = None, batch: int | None = None) -> torch.Tensor:
    """Run `circuit` and return the final states, shape (B, 2**n), complex128.

    weights: (P,) float tensor of trainable angles [rad] (gradients flow through it).
    x: (B, F) input angles [rad] for ("x", j) params. state: (B, 2**n) initial states
    (default |0...0>). B comes from x, state or `batch` (default 1).
    """
    check_type("circuit", circuit, Circuit)
    n = circuit.n_qubits
    if weights is not None:
        check_type("weights", weights, torch.Tensor)
        if weights.dim() != 1 or weights.numel() < circuit.n_weights():
            raise ValueError(f"weights must be a 1-D tensor with at least {circuit.n_weights()} entries; "
                             f"got shape {tuple(weights.shape)}")
        if weights.is_complex() or not bool(torch.isfinite(weights).all()):
            raise ValueError("weights must be finite real angles [rad]")
        weights = weights.to(torch.float64)
    if x is not None:
        check_type("x", x, torch.Tensor)
        if x.dim() != 2 or x.shape[1] < circuit.n_inputs() or not 1 <= x.shape[0] <= MAX_BATCH:
            raise ValueError(f"x must have shape (B, >= {circuit.n_inputs()}) with 1 <= B <= {MAX_BATCH}; "
                             f"got {tuple(x.shape)}")
        if x.is_complex() or not bool(torch.isfinite(x).all()):
            raise ValueError("x must be finite real input angles [rad]")
        x = x.to(torch.float64)
    if state is not None:
        check_type("state", state, torch.Tensor)
        if state.dim() != 2 or state.shape[0] < 1:
            raise ValueError(f"state must have shape (B, {2 ** n}) with B >= 1; got {tuple(state.shape)}")
    sizes = {int(t.shape[0]) for t in (x, state) if t is not None}
    if batch is not None:
        sizes.add(check_int("batch", batch, lo=1, hi=MAX_BATCH))
    if len(sizes) > 1:
        raise ValueError(f"x, state and batch must agree on the batch size; got {sorted(sizes)}")
    b = sizes.pop() if sizes else 1
    if state is None:
        psi = torch.zeros((b, 2 ** n), dtype=DTYPE)
        psi[:, 0] = 1.0
    else:
        check_type("state", state, torch.Tensor)
        if state.shape != (b, 2 ** n):
            raise ValueError(f"state must have shape ({b}, {2 ** n}); got {tuple(state.shape)}")
        if not bool(torch.isfinite(torch.view_as_real(state.to(DTYPE))).all()):
            raise ValueError("state must be finite (complex amplitudes)")
        psi = state.to(DTYPE)
    psi = psi.reshape((b,) + (2,) * n)
    mats = _weight_matrices(circuit, weights)
    pending: dict[int, torch.Tensor] = {}  # wire -> shared 2x2 matrix, applied together as one layer
    for i, op in enumerate(circuit.ops):
        mat = mats.get(i)
        if mat is not None and mat.dim() == 2 and len(op.wires) == 1 and op.wires[0] not in pending:
            pending[op.wires[0]] = mat  # single-qubit gates on distinct wires commute
            continue
        psi = _flush(psi, pending, n)
        if mat is None:
            mat = gate_matrix(op.name, [_angle(p, weights, x) for p in op.params])
        if mat.dim() == 2 and len(op.wires) == 1:
            pending[op.wires[0]] = mat
            continue
        psi = _apply(psi, mat, op.wires, n)
    psi = _flush(psi, pending, n)
    return psi.reshape(b, 2 ** n)


def expval_z(states: torch.Tensor) -> torch.Tensor:
    """<Z_q> for each qubit q of each state: (B, 2**n) complex -> (B, n) real."""
    check_type("states", states, torch.Tensor)
    if states.dim() != 2 or states.shape[1] < 2 or states.shape[1] & (states.shape[1] - 1):
        raise ValueError(f"states must have shape (B, 2**n); got {tuple(states.shape)}")
    if not bool(torch.isfinite(torch.view_as_real(states.to(DTYPE))).all()):
        raise ValueError("states must be finite (complex amplitudes)")
    n = int(round(math.log2(states.shape[1])))
    probs = states.abs() ** 2
    return probs @ z_signs(n)


def z_signs(n: int) -> torch.Tensor:
    """(2**n, n) matrix of +-1: entry [k, q] is the eigenvalue of Z_q on basis state k."""
    n = check_int("n", n, lo=1, hi=MAX_QUBITS)
    k = np.arange(2 ** n)[:, None]
    bits = (k >> np.arange(n)[None, :]) & 1
    return torch.tensor(1.0 - 2.0 * bits, dtype=torch.float64)


# ----------------------------------------------------------------------------- Qiskit conversion
def to_qiskit(circuit: Circuit, weights=None, x=None, measure: bool = False):
    """The circuit as a `qiskit.QuantumCircuit`.

    weights: (P,) angles [rad], or None to keep them as a ParameterVector "w".
    x: (F,) one sample's input angles [rad], or None to keep a ParameterVector "x"
    (bind later, e.g. with AerSimulator's parameter_binds). measure: add measure_all().
    """
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    check_type("circuit", circuit, Circuit)
    measure = check_bool("measure", measure)
    w_src = (ParameterVector("w", circuit.n_weights()) if weights is None
             else check_array("weights", weights, ndim=1, min_size=0).astype(float))
    x_src = (ParameterVector("x", circuit.n_inputs()) if x is None
             else check_array("x", x, ndim=1, min_size=0).astype(float))
    if weights is not None and len(w_src) < circuit.n_weights():
        raise ValueError(f"weights must have at least {circuit.n_weights()} entries; got {len(w_src)}")
    if x is not None and len(x_src) < circuit.n_inputs():
        raise ValueError(f"x must have at least {circuit.n_inputs()} entries; got {len(x_src)}")
    qc = QuantumCircuit(circuit.n_qubits)
    for op in circuit.ops:
        a = [(w_src if p[0] == "w" else x_src)[p[1]] if isinstance(p, tuple) else float(p) for p in op.params]
        a = [float(v) if isinstance(v, (np.floating, float)) else v for v in a]
        w = op.wires
        if op.name == "u3":
            qc.u(a[0], a[1], a[2], w[0])
        elif op.name == "cu3":
            qc.cu(a[0], a[1], a[2], 0.0, w[0], w[1])
        elif op.name in ("rx", "ry", "rz"):
            getattr(qc, op.name)(a[0], w[0])
        elif op.name in ("rzz", "rxx", "rzx"):
            getattr(qc, op.name)(a[0], w[0], w[1])
        elif op.name in ("cx", "cz"):
            getattr(qc, op.name)(w[0], w[1])
        else:  # sx, h
            getattr(qc, op.name)(w[0])
    if measure:
        qc.measure_all()
    return qc
