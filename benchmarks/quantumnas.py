"""QuantumNAS (notebooks/14_quantumnas.ipynb): one training epoch of a 4-qubit, 3-block `u3cu3`
classifier on the 4x4 digits, timed three ways (process CPU time, one thread):

* `lab.quantumnas.qsim`, the batched torch statevector simulator: forward + backward (exact gradients);
* `qiskit.quantum_info.Statevector`, one sample at a time: forward only;
* Qiskit's `StatevectorEstimator` primitive, all samples in one pub: forward only.

A parameter-shift gradient on Qiskit costs 2 forward passes per parameter, so the table also
gives the Qiskit cost of the same epoch with gradients, (2 P + 1) x the forward time.
"""
from __future__ import annotations

import time

import torch


def _cpu(fn, repeat: int = 1) -> float:
    t0 = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - t0) / repeat


def main(n_samples: int = 240, batch: int = 32) -> None:
    from qiskit.primitives import StatevectorEstimator
    from qiskit.quantum_info import SparsePauliOp, Statevector

    from lab import quantumnas as qn
    from lab.quantumnas import qsim

    torch.set_num_threads(1)
    xtr, ytr, _, _ = qn.load_digits_4x4((0, 1, 2, 3), n_samples, 40, seed=0)
    sc = qn.SuperCircuit("u3cu3", 4, 3)
    circ = sc.circuit(sc.full_arch())
    full = qn.encoder_4x4_ryzxy() + circ
    w0 = sc.init_weights(0)
    n_par = sc.n_weights()

    def torch_epoch():
        w = w0.clone().requires_grad_(True)
        states = qn.encode(xtr)
        for i in range(0, n_samples, batch):
            loss = qn.nll(qn.clean_scores(circ, w, states[i:i + batch], 4), ytr[i:i + batch])
            loss.backward()

    qc = qsim.to_qiskit(full, weights=w0.numpy())
    obs = [SparsePauliOp("I" * (3 - q) + "Z" + "I" * q) for q in range(4)]

    def sv_epoch():
        for x in xtr:
            sv = Statevector(qc.assign_parameters(x))
            [sv.expectation_value(o) for o in obs]

    est = StatevectorEstimator()

    def estimator_epoch():
        est.run([(qc, [[o] for o in obs], xtr)]).result()

    rows = [("lab.quantumnas.qsim (torch), forward + backward", _cpu(torch_epoch, 3), True)]
    t_sv = _cpu(sv_epoch)
    t_est = _cpu(estimator_epoch)
    rows += [("qiskit Statevector, forward", t_sv, False),
             ("qiskit StatevectorEstimator, forward", t_est, False),
             (f"qiskit Statevector, + parameter shift ({2 * n_par + 1} passes)", t_sv * (2 * n_par + 1), True),
             (f"qiskit Estimator, + parameter shift ({2 * n_par + 1} passes)", t_est * (2 * n_par + 1), True)]
    print(f"one epoch: {n_samples} samples, 4 qubits, {len(full.ops)} gates, {n_par} parameters")
    print(f"{'method':<58} {'CPU [s]':>9} {'gradients':>10} {'vs torch':>9}")
    for name, t, grad in rows:
        print(f"{name:<58} {t:9.3f} {'yes' if grad else 'no':>10} {t / rows[0][1]:8.1f}x")


if __name__ == "__main__":
    main()
