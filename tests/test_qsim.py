"""Unit tests of lab.quantumnas.qsim: every gate against qiskit.quantum_info.Statevector, batching,
gradients and bad inputs."""
import numpy as np
import pytest
import torch
from qiskit.quantum_info import Statevector

from lab.quantumnas import qsim


def _random_state(n, rng):
    v = rng.normal(size=2 ** n) + 1j * rng.normal(size=2 ** n)
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("name", qsim.GATES)
def test_each_gate_matches_qiskit(name):
    rng = np.random.default_rng(1)
    n = 3
    for wires in ([0, 1], [2, 0], [1, 2]):
        op = qsim.Op(name, tuple(wires[:qsim.N_WIRES[name]]),
                     tuple(float(a) for a in rng.uniform(-4, 4, qsim.N_PARAMS[name])))
        circ = qsim.Circuit(n, (op,))
        init = _random_state(n, rng)
        ours = qsim.simulate(circ, state=torch.tensor(init)[None])[0].numpy()
        ref = Statevector(init).evolve(qsim.to_qiskit(circ)).data
        assert np.abs(ours - ref).max() < 1e-6


def test_random_circuit_with_weights_and_inputs_matches_qiskit():
    rng = np.random.default_rng(2)
    n, ops, wi, xi = 4, [], 0, 0
    for _ in range(40):
        name = qsim.GATES[rng.integers(len(qsim.GATES))]
        wires = tuple(int(q) for q in rng.permutation(n)[:qsim.N_WIRES[name]])
        params = []
        for _ in range(qsim.N_PARAMS[name]):
            if rng.random() < 0.5:
                params.append(("w", wi)); wi += 1
            else:
                params.append(("x", xi)); xi += 1
        ops.append(qsim.Op(name, wires, tuple(params)))
    circ = qsim.Circuit(n, tuple(ops))
    w = rng.uniform(-np.pi, np.pi, wi)
    x = rng.uniform(-np.pi, np.pi, (3, xi))
    states = qsim.simulate(circ, torch.tensor(w), torch.tensor(x)).numpy()
    for b in range(3):
        ref = Statevector(qsim.to_qiskit(circ, weights=w, x=x[b])).data
        assert np.abs(states[b] - ref).max() < 1e-6


def test_expval_z_known_states():
    # |0> -> +1, |1> -> -1 on each qubit; qubit 0 is the least significant bit
    psi = torch.zeros((1, 4), dtype=qsim.DTYPE)
    psi[0, 1] = 1.0  # |q1=0, q0=1>
    assert torch.allclose(qsim.expval_z(psi), torch.tensor([[-1.0, 1.0]], dtype=torch.float64))
    plus = torch.full((1, 2), 2 ** -0.5, dtype=qsim.DTYPE)
    assert abs(float(qsim.expval_z(plus)[0, 0])) < 1e-12


def test_gradient_matches_finite_difference():
    circ = qsim.Circuit(2, (qsim.Op("u3", (0,), (("w", 0), ("w", 1), ("w", 2))),
                            qsim.Op("cu3", (0, 1), (("w", 3), ("w", 4), ("w", 5))),
                            qsim.Op("rzx", (1, 0), (("w", 6),))))
    w = torch.tensor([0.3, -0.7, 1.1, 0.9, 0.2, -0.4, 0.8], dtype=torch.float64, requires_grad=True)
    f = lambda v: qsim.expval_z(qsim.simulate(circ, v))[0, 1]  # noqa: E731
    f(w).backward()
    eps = 1e-6
    for i in range(7):
        d = torch.zeros(7, dtype=torch.float64)
        d[i] = eps
        fd = (f(w.detach() + d) - f(w.detach() - d)) / (2 * eps)
        assert abs(float(fd) - float(w.grad[i])) < 1e-6


def test_to_qiskit_keeps_parameters_unbound():
    circ = qsim.Circuit(2, (qsim.Op("ry", (0,), (("x", 0),)), qsim.Op("rzz", (0, 1), (("w", 0),))))
    qc = qsim.to_qiskit(circ)
    assert {p.name for p in qc.parameters} == {"x[0]", "w[0]"}
    assert qsim.to_qiskit(circ, weights=[0.1], x=[0.2]).num_parameters == 0


def test_determinism_of_simulation():
    circ = qsim.Circuit(3, tuple(qsim.Op("u3", (q,), (("w", 3 * q), ("w", 3 * q + 1), ("w", 3 * q + 2)))
                                 for q in range(3)) + (qsim.Op("cx", (0, 2)),))
    w = torch.linspace(-1, 1, 9, dtype=torch.float64)
    a = qsim.simulate(circ, w)
    b = qsim.simulate(circ, w)
    assert torch.equal(a, b)


def test_bad_inputs():
    with pytest.raises(ValueError, match="name"):
        qsim.Op("foo", (0,))
    with pytest.raises(ValueError, match="wires"):
        qsim.Op("cx", (0, 0))
    with pytest.raises(ValueError, match="params"):
        qsim.Op("rx", (0,), ())
    with pytest.raises(ValueError, match="n_qubits"):
        qsim.Circuit(9, ())
    with pytest.raises(ValueError, match="wires"):
        qsim.Circuit(2, (qsim.Op("h", (2,)),))
    circ = qsim.Circuit(1, (qsim.Op("rx", (0,), (("w", 1),)),))
    with pytest.raises(ValueError, match="weights"):
        qsim.simulate(circ, torch.zeros(1))
    with pytest.raises(ValueError, match="weights"):
        qsim.simulate(circ)
    with pytest.raises(ValueError, match="state"):
        qsim.simulate(circ, torch.zeros(2), state=torch.zeros((1, 4), dtype=qsim.DTYPE))
    with pytest.raises(TypeError, match="circuit"):
        qsim.simulate("not a circuit")
    with pytest.raises(ValueError, match="states"):
        qsim.expval_z(torch.zeros((1, 3), dtype=qsim.DTYPE))


def test_issue16_nan_and_negative_wires_are_refused():
    with pytest.raises(ValueError, match="wires"):
        qsim.Op("rx", (-1,), (0.1,))
    with pytest.raises(ValueError, match="params"):
        qsim.Op("rx", (0,), (float("nan"),))
    circ = qsim.Circuit(1, (qsim.Op("rx", (0,), (("w", 0),)), qsim.Op("ry", (0,), (("x", 0),))))
    with pytest.raises(ValueError, match="weights"):
        qsim.simulate(circ, torch.tensor([float("nan")]), torch.zeros((1, 1), dtype=torch.float64))
    with pytest.raises(ValueError, match="x"):
        qsim.simulate(circ, torch.zeros(1, dtype=torch.float64), torch.full((1, 1), float("nan"), dtype=torch.float64))
