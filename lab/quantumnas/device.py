"""The noisy device of notebooks/14_quantumnas.ipynb (QuantumNAS, Wang et al., HPCA 2022):
a fake IBM backend from `qiskit_ibm_runtime.fake_provider` (a real device's calibration
snapshot shipped with the package), its `qiskit_aer.noise.NoiseModel.from_backend` noise
model (optionally scaled), and noisy evaluation of `lab.qsim` circuits: transpile to the
backend with a chosen `initial_layout`, then run every input sample as one batched
`AerSimulator` job (density-matrix method, a few shots each).
"""
from __future__ import annotations

import copy
from functools import lru_cache
from types import SimpleNamespace

import numpy as np

from . import qsim
from lab.core.checks import check_array, check_choice, check_int, check_number, check_type

#: fake backends of at most 7 qubits offered by the notebook and its explorer
BACKENDS = ("FakeQuitoV2", "FakeLimaV2", "FakeBelemV2", "FakeManilaV2", "FakeNairobiV2", "FakeJakartaV2")


def _scaled_target(target, factor: float):
    """A copy of a backend Target whose gate and readout errors are multiplied by `factor`
    (capped at 0.5) and whose T1, T2 are divided by it."""
    from qiskit.providers import QubitProperties
    from qiskit.transpiler import InstructionProperties

    t = copy.deepcopy(target)
    for name in t.operation_names:
        for qargs, props in (t[name] or {}).items():
            if props is not None and props.error is not None:
                t.update_instruction_properties(name, qargs, InstructionProperties(
                    duration=props.duration, error=min(0.5, props.error * factor)))
    if t.qubit_properties:
        t.qubit_properties = [QubitProperties(t1=q.t1 / factor if q.t1 else q.t1,
                                              t2=q.t2 / factor if q.t2 else q.t2, frequency=q.frequency)
                              for q in t.qubit_properties]
    return t


class Device:
    """A fake backend and its noise model. backend: a name in BACKENDS. noise_factor: multiplies
    every error rate (1 = the device snapshot, 0 = noise-free, up to 5)."""

    def __init__(self, backend: str, noise_factor: float = 1.0):
        from qiskit_aer import AerSimulator
        from qiskit_aer.noise import NoiseModel
        import qiskit_ibm_runtime.fake_provider as fp

        self.name = check_choice("backend", backend, BACKENDS)
        self.noise_factor = check_number("noise_factor", noise_factor, lo=0.0, hi=5.0)
        self.backend = getattr(fp, backend)()
        self.n_qubits = self.backend.num_qubits
        self.coupling = sorted({tuple(sorted(e)) for e in self.backend.coupling_map.get_edges()})
        if self.noise_factor == 0:
            self.noise_model = None
        elif self.noise_factor == 1:
            self.noise_model = NoiseModel.from_backend(self.backend)
        else:
            fake = SimpleNamespace(version=2, operation_names=self.backend.operation_names,
                                   target=_scaled_target(self.backend.target, self.noise_factor),
                                   dt=self.backend.dt)
            self.noise_model = NoiseModel.from_backend(fake)
        self.sim = AerSimulator(method="density_matrix", noise_model=self.noise_model,
                                max_parallel_threads=1)

    def transpile(self, qc, layout, seed: int):
        """`qc` (a qiskit QuantumCircuit) transpiled to the backend on `layout` (virtual i -> layout[i])."""
        return transpile_to(qc, self.backend, layout, seed)

    def transpiler_layout(self, circuit: qsim.Circuit, seed: int = 0, weights=None) -> tuple[int, ...]:
        """The physical qubits Qiskit's preset pass manager picks for `circuit` with `weights`
        (its trained angles [rad]; default: fixed non-trivial angles, so that no gate is optimised
        away as an identity) at optimization_level=3 (VF2Layout, then the noise-aware
        VF2PostLayout on this backend's calibration, Sabre where no perfect layout exists):
        virtual qubit i -> layout[i]."""
        from qiskit import transpile

        check_type("circuit", circuit, qsim.Circuit)
        seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
        if weights is None:
            weights = 0.3 + 2.5 * np.random.default_rng(seed).random(circuit.n_weights())
        weights = check_array("weights", weights, ndim=1, min_size=circuit.n_weights())
        qc = qsim.to_qiskit(circuit, weights=weights, x=np.full(circuit.n_inputs(), 0.7), measure=True)
        tq = transpile(qc, self.backend, optimization_level=3, seed_transpiler=seed)
        return tuple(int(q) for q in tq.layout.initial_index_layout(filter_ancillas=True)[:circuit.n_qubits])


def transpile_to(qc, backend, layout, seed: int):
    """`qc` (a qiskit QuantumCircuit) transpiled to `backend` (a qiskit BackendV2: a fake backend, or a
    real device of an IBM Quantum account) on `layout` (virtual qubit i -> physical qubit layout[i]),
    optimization_level=1: an ISA circuit that the backend runs as it is."""
    from qiskit import QuantumCircuit, transpile
    from qiskit.providers import BackendV2

    check_type("qc", qc, QuantumCircuit)
    check_type("backend", backend, BackendV2)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    if isinstance(layout, (str, bytes)) or not hasattr(layout, "__iter__"):
        raise TypeError(f"layout must be a sequence of physical qubits; got {type(layout).__name__}")
    n = backend.num_qubits
    layout = tuple(check_int("layout", q, lo=0, hi=n - 1) for q in layout)
    if len(set(layout)) != len(layout) or len(layout) != qc.num_qubits:
        raise ValueError(f"layout must hold {qc.num_qubits} distinct physical qubits in [0, {n - 1}]; got {layout}")
    return transpile(qc, backend, initial_layout=list(layout), optimization_level=1, seed_transpiler=seed)


def get_device(backend: str, noise_factor: float = 1.0) -> Device:
    """`Device(backend, noise_factor)`, built once per setting (loading a backend snapshot and
    building its noise model costs a fraction of a second). Treat the result as read-only."""
    backend = check_choice("backend", backend, BACKENDS)
    return _cached_device(backend, check_number("noise_factor", noise_factor, lo=0.0, hi=5.0))


@lru_cache(maxsize=16)
def _cached_device(backend: str, noise_factor: float) -> Device:
    return Device(backend, noise_factor)


MAX_SHOTS = 1_000_000      # shots per circuit
MAX_SHOT_BUDGET = 10**9    # samples x shots of one Aer job


def _check_budget(n_circuits: int, shots) -> None:
    if isinstance(shots, int) and not isinstance(shots, bool) and n_circuits * shots > MAX_SHOT_BUDGET:
        raise ValueError(f"shots x samples must be at most {MAX_SHOT_BUDGET}; got {shots} x {n_circuits}")


def _check_entries(weights, layouts) -> None:
    for w in weights:
        check_array("weights", w, ndim=1, min_size=0)
    for lay in layouts:
        if isinstance(lay, (str, bytes)) or not isinstance(lay, (tuple, list)):
            raise TypeError(f"layouts must hold one sequence of physical qubits per circuit; got {lay!r}")


def _check_candidates(circuits, weights, layouts, shots, seed, runs: int):
    """The shared checks of a batch of (circuit, weights, layout) candidates, each run `runs` times (once per
    input row or measurement basis); returns (shots, seed)."""
    shots = check_int("shots", shots, lo=1, hi=MAX_SHOTS)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    for name, v in (("circuits", circuits), ("weights", weights), ("layouts", layouts)):
        if not isinstance(v, (list, tuple)) or not v:
            raise TypeError(f"{name} must be a non-empty list")
    if not (len(circuits) == len(weights) == len(layouts)):
        raise ValueError("circuits, weights and layouts must be non-empty and of equal length")
    for c in circuits:
        check_type("circuits", c, qsim.Circuit)
    _check_entries(weights, layouts)
    _check_budget(runs * len(circuits), shots)
    return shots, seed


def _native_count(tq) -> int:
    return int(sum(v for k, v in tq.count_ops().items() if k not in ("measure", "barrier")))


def _zexp(counts: dict, n: int) -> np.ndarray:
    """<Z_q> for q < n from a counts dict (rightmost bit = clbit 0)."""
    tot = sum(counts.values())
    ez = np.zeros(n)
    for bits, c in counts.items():
        b = bits.replace(" ", "")
        for q in range(n):
            ez[q] += c * (1.0 - 2.0 * (b[-1 - q] == "1"))
    return ez / tot


def _check_inputs(x, circuits) -> np.ndarray:
    """x as an (N, F) float array of input angles [rad] for every one of `circuits`: N >= 1 rows, finite, and
    F at least the most inputs ('x', j) any of them reads (at least 1); columns beyond are not read, as in
    `qsim.expvals`. The one rule of `noisy_expvals`, `noisy_expvals_many` and `sampler_expvals`."""
    need = max([1] + [c.n_inputs() for c in circuits])
    x = check_array("x", x, ndim=2, min_size=1)
    if x.shape[1] < need:
        raise ValueError(f"x must have shape (N >= 1, F >= {need}): the circuits read input angles "
                         f"x[:, 0..{need - 1}]; got {x.shape}")
    return x


def noisy_expvals(circuit: qsim.Circuit, weights, x, device: Device, layout, shots: int, seed: int):
    """<Z_q> of every qubit for every input row, measured on the noisy device.

    circuit: with ("x", j) input angles and ("w", i) weights [rad]; x: (N, F) inputs [rad], F at least the
    circuit's inputs (at least 1); columns beyond them are not read (as in `qsim.expvals`). The circuit is
    transpiled once (inputs left as parameters) and all N samples run in one Aer job with `shots` shots each.
    Returns ((N, n_qubits) array, native gate count)."""
    check_type("circuit", circuit, qsim.Circuit)
    check_type("device", device, Device)
    x = _check_inputs(x, [circuit])
    _check_budget(len(x), shots)
    weights = check_array("weights", weights, ndim=1, min_size=circuit.n_weights())
    shots = check_int("shots", shots, lo=1, hi=MAX_SHOTS)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    qc = qsim.to_qiskit(circuit, weights=weights, x=None, measure=True)
    tq = device.transpile(qc, layout, seed)
    binds = [{p: x[:, p.index] for p in tq.parameters}] if tq.parameters else None
    if binds is None:
        counts = [device.sim.run(tq, shots=shots, seed_simulator=seed).result().get_counts()] * len(x)
    else:
        counts = device.sim.run(tq, parameter_binds=binds, shots=shots, seed_simulator=seed).result().get_counts()
        counts = counts if isinstance(counts, list) else [counts]
    return np.stack([_zexp(c, circuit.n_qubits) for c in counts]), _native_count(tq)


def noisy_expvals_many(circuits, weights, x, device: Device, layouts, shots: int, seed: int):
    """`noisy_expvals` for several (circuit, weights, layout) candidates on the same inputs x (N, F), F at least
    the most inputs any circuit reads (the same rule as `noisy_expvals`),
    run as ONE Aer job (one noise-model setup for all). Returns a list of (N, n) arrays and
    a list of native gate counts."""
    check_type("device", device, Device)
    x = check_array("x", x, ndim=2, min_size=1)
    shots, seed = _check_candidates(circuits, weights, layouts, shots, seed, runs=len(x))
    x = _check_inputs(x, circuits)
    tqs = [device.transpile(qsim.to_qiskit(c, weights=w, x=None, measure=True), lay, seed)
           for c, w, lay in zip(circuits, weights, layouts)]
    for tq in tqs:
        if not tq.parameters:
            raise ValueError("each of circuits must take input angles ('x', j)")
    binds = [{p: x[:, p.index] for p in tq.parameters} for tq in tqs]
    counts = device.sim.run(tqs, parameter_binds=binds, shots=shots, seed_simulator=seed).result().get_counts()
    counts = counts if isinstance(counts, list) else [counts]
    n = len(x)
    out = [np.stack([_zexp(cnt, c.n_qubits) for cnt in counts[i * n:(i + 1) * n]]) for i, c in enumerate(circuits)]
    return out, [_native_count(tq) for tq in tqs]


def noisy_energies(circuits, weights, terms, device: Device, layouts, shots: int, seed: int) -> list[float]:
    """<H> [Ha] of each (circuit, weights, layout) candidate, for H = sum c * Pauli string over
    I/Z strings and I/X strings (Qiskit order: the rightmost letter acts on qubit 0), measured on
    the noisy device in the Z and X bases. All candidates and bases run as one Aer job."""
    check_type("device", device, Device)
    shots, seed = _check_candidates(circuits, weights, layouts, shots, seed, runs=2)  # the Z and the X basis
    if not isinstance(terms, (list, tuple)) or not terms:
        raise TypeError("terms must be a non-empty list")
    for t in terms:
        if not (isinstance(t, (tuple, list)) and len(t) == 2 and isinstance(t[0], str)):
            raise TypeError(f"terms must be (Pauli string, coefficient) pairs; got {t!r}")
        check_number("terms", t[1])
    for s_, _ in terms:
        if not (set(s_) <= {"I", "Z"} or set(s_) <= {"I", "X"}):
            raise ValueError(f"terms must be I/Z or I/X Pauli strings; got {s_!r}")
    bases = [b for b in ("Z", "X") if any(b in s_ for s_, _ in terms)]
    jobs = []
    for c, w, lay in zip(circuits, weights, layouts):
        for basis in bases:
            qc = qsim.to_qiskit(c, weights=w)
            if basis == "X":
                qc.h(range(c.n_qubits))
            qc.measure_all()
            jobs.append(device.transpile(qc, lay, seed))
    counts = device.sim.run(jobs, shots=shots, seed_simulator=seed).result().get_counts()
    counts = counts if isinstance(counts, list) else [counts]
    out = []
    for i, c in enumerate(circuits):
        n = c.n_qubits
        total = sum(k for s_, k in terms if set(s_) == {"I"})
        for j, basis in enumerate(bases):
            cnt = counts[i * len(bases) + j]
            tot = sum(cnt.values())
            for s_, k in terms:
                if basis not in s_:
                    continue
                qs = [n - 1 - t for t, ch in enumerate(s_) if ch != "I"]
                val = sum(m * np.prod([1 - 2 * (b.replace(" ", "")[-1 - q] == "1") for q in qs])
                          for b, m in cnt.items()) / tot
                total += k * val
        out.append(float(total))
    return out


def noisy_energy(circuit: qsim.Circuit, weights, terms, device: Device, layout, shots: int, seed: int) -> float:
    """`noisy_energies` of one circuit [Ha]."""
    return noisy_energies([circuit], [weights], terms, device, [layout], shots, seed)[0]


def sampler_expvals(circuits, weights, x, backend, layouts, shots: int, seed: int = 0):
    """`noisy_expvals_many` through Qiskit Runtime's Sampler primitive: <Z_q> of every qubit of each
    (circuit, weights, layout) candidate for every input row of x (N, F) [rad], one pub per candidate
    (its transpiled circuit and the N rows of input angles), `shots` shots per row, in one job.

    The primitive is `qiskit_ibm_runtime.executor_sampler.Sampler`, the client-side Sampler that
    qiskit-ibm-runtime 0.50 names as the successor of the deprecated `SamplerV2`. backend: a `Device`
    (Qiskit Runtime's local testing mode, on its fake backend; at a noise_factor other than 1, on
    its AerSimulator with the scaled noise model), or any qiskit BackendV2: a fake backend (local
    mode again) or a real device of an IBM Quantum account (`QiskitRuntimeService().backend(name)`),
    where the job is queued and billed to that account and `seed` has no effect.
    Returns a list of (N, n_qubits) arrays and a list of native gate counts."""
    from qiskit.providers import BackendV2
    from qiskit_aer import AerSimulator
    from qiskit_ibm_runtime.executor_sampler import Sampler
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    if isinstance(backend, Device):
        target, mode = backend.backend, backend.backend if backend.noise_factor == 1 else backend.sim
    elif isinstance(backend, BackendV2):
        target = mode = backend
    else:
        raise TypeError(f"backend must be a Device or a qiskit BackendV2 (a fake backend or a real IBM device); "
                        f"got {type(backend).__name__}")
    x = check_array("x", x, ndim=2, min_size=1)
    shots, seed = _check_candidates(circuits, weights, layouts, shots, seed, runs=len(x))
    x = _check_inputs(x, circuits)
    tqs = [transpile_to(qsim.to_qiskit(c, weights=w, x=None, measure=True), target, lay, seed)
           for c, w, lay in zip(circuits, weights, layouts)]
    for c, tq in zip(circuits, tqs):
        if not tq.parameters or max(p.index for p in tq.parameters) >= x.shape[1]:
            raise ValueError(f"each of circuits must take input angles ('x', j) with j < {x.shape[1]} "
                             "(the columns of x)")
    sampler = Sampler(mode=mode)
    if isinstance(mode, (FakeBackendV2, AerSimulator)):
        sampler.options.simulator.seed_simulator = seed   # local testing mode only
    pubs = [(tq, np.stack([x[:, p.index] for p in tq.parameters], axis=-1)) for tq in tqs]
    result = sampler.run(pubs, shots=shots).result()
    out = []
    for c, res in zip(circuits, result):
        bits = res.join_data().to_bool_array(order="little")     # (N, shots, clbits), clbit q = qubit q
        out.append(1.0 - 2.0 * bits[..., :c.n_qubits].mean(axis=1))
    return out, [_native_count(tq) for tq in tqs]
