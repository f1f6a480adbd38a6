"""Valid, fast calls of lab.quantumnas's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import numpy as np
import torch

from lab import quantumnas as T
from lab.core import resolve_scale

TINY = dict(n_train=24, n_test=8, n_val=8, max_blocks=1, super_steps=2, train_steps=2, finetune_steps=1, batch=8,
            population=2, parents=1, mutations=1, crossovers=0, iterations=1, shots=16, prune_epochs=1,
            vqe_blocks=1, vqe_steps=2, vqe_population=2, vqe_iterations=1)


@lru_cache(maxsize=1)
def _cfg():
    return resolve_scale(T.SCALES, "small", **TINY)


@lru_cache(maxsize=1)
def _data():
    return T.load_digits_4x4((3, 6), 16, 8, seed=0)


@lru_cache(maxsize=1)
def _dev():
    return T.get_device("FakeQuitoV2", 0.0)


SC = T.SuperCircuit("u3cu3", 4, 1)
SC2 = T.SuperCircuit("u3cu3", 2, 1)


def _circ():
    return SC.circuit(SC.full_arch())


def _w():
    return SC.init_weights(0)


def _states():
    return T.encode(_data()[0])


def _x():
    return _data()[0][:4]


@lru_cache(maxsize=1)
def _pipe():
    return T.run_pipeline("2-class", "u3cu3", "FakeQuitoV2", _cfg(), seed=0)


@lru_cache(maxsize=1)
def _pipe_seed1():
    return T.run_pipeline("2-class", "u3cu3", "FakeQuitoV2", _cfg(), seed=1)


@lru_cache(maxsize=1)
def _vqe():
    return T.vqe_pipeline("FakeQuitoV2", _cfg(), seed=0)


def _contender():
    c = _pipe().contenders["QuantumNAS"]
    return T.Contender(c.name, c.circuit, c.layout, c.weights)


@lru_cache(maxsize=1)
def _prune_steps():
    return tuple(T.prune(_circ(), _w(), _states(), _data()[1], 2, 0.5, 2, 1, 8, 0.05, 0))


def _gene():
    return T.Gene((0, 1, 2, 3), SC.full_arch())


def _summary():
    return T.summarize_seeds([_pipe()])


def _score(genes):
    return [float(g.arch.n_blocks + g.layout[0]) for g in genes]


SPECS = {
    "Adam": lambda: dict(w=torch.zeros(3, dtype=torch.float64), lr=0.1, betas=(0.9, 0.999), eps=1e-8),
    "Arch": lambda: dict(n_blocks=1, widths=((4, 4),)),
    "Circuit": lambda: dict(n_qubits=2, ops=(T.Op("h", (0,)), T.Op("cx", (0, 1)))),
    "Device": lambda: dict(backend="FakeQuitoV2", noise_factor=0.0),
    "Gene": lambda: dict(layout=(0, 1, 2, 3), arch=SC.full_arch()),
    "Op": lambda: dict(name="rx", wires=(0,), params=(0.3,)),
    "SuperCircuit": lambda: dict(space="u3cu3", n_qubits=4, max_blocks=2),
    "SuperCircuit.full_arch": lambda: dict(self=SC, n_blocks=1),
    "SuperCircuit.sample_arch": lambda: dict(self=SC, rng=np.random.default_rng(0)),
    "SuperCircuit.circuit": lambda: dict(self=SC, arch=SC.full_arch()),
    "SuperCircuit.init_weights": lambda: dict(self=SC, seed=0),
    "SuperCircuit.layer_ops": lambda: dict(self=SC, pattern="ring"),
    "accuracy": lambda: dict(scores=np.array([[0.1, 0.9], [0.8, 0.2]]), y=np.array([1, 1])),
    "angle_magnitude": lambda: dict(weights=np.array([0.0, 3.0, -0.1])),
    "claim_accuracy": lambda: dict(results=[_pipe()], paper=0.95, task="2-class"),
    "claim_ceiling_ratio": lambda: dict(results=[_pipe()], bound=0.95, name="QuantumNAS"),
    "interval_text": lambda: dict(values=np.array([0.6, 0.7, 0.8]), scale=100.0, digits=1),
    "noise_free_ceiling": lambda: dict(results=[_pipe()]),
    "claim_pruning": lambda: dict(results=[_pipe()], n_test=8),
    "claim_searched_beats": lambda: dict(results=[_pipe(), _pipe_seed1()], other="random"),
    "claim_vqe_noisy": lambda: dict(runs=[_vqe()]),
    "clean_scores": lambda: dict(circuit=_circ(), weights=_w(), states=_states(), n_classes=2),
    "closing_note": lambda: dict(summary4=_summary(), summary2=_summary(), vqe=[_vqe()], backend="FakeQuitoV2"),
    "contenders_figure": lambda: dict(summary=_summary(), title="t"),
    "crossover": lambda: dict(a=_gene(), b=T.Gene((4, 3, 1, 0), SC.full_arch()), rng=np.random.default_rng(0)),
    "draw_circuit": lambda: dict(circuit=_circ(), title="t"),
    "draw_mapping": lambda: dict(device=_dev(), layout=(0, 1, 3, 4)),
    "encode": lambda: dict(x=_x()),
    "encoder_4x4_ryzxy": lambda: dict(n_qubits=4),
    "energy": lambda: dict(circuit=SC2.circuit(SC2.full_arch()), weights=SC2.init_weights(0)),
    "evaluate": lambda: dict(c=_contender(), device=_dev(), x_test=_data()[2], y_test=_data()[3],
                             states_test=T.encode(_data()[2]), n_classes=2, shots=16, seed=0),
    "evaluate_all": lambda: dict(contenders=[_contender(), _contender()], device=_dev(), x_test=_data()[2],
                                 y_test=_data()[3], states_test=T.encode(_data()[2]), n_classes=2, shots=16, seed=0),
    "evolve": lambda: dict(sc=SC, n_physical=5, score=_score, population=3, parents=2, mutations=1, crossovers=1,
                           iterations=2, p=0.4, seed=0),
    "expval_z": lambda: dict(states=_states()),
    "get_device": lambda: dict(backend="FakeQuitoV2", noise_factor=0.0),
    "human_baseline": lambda: dict(sc=SC, device=_dev(), states=_states(), y=_data()[1], n_classes=2, steps=2,
                                   batch=8, lr=0.05, seed=0),
    "load_digits_4x4": lambda: dict(classes=(3, 6), n_train=16, n_test=8, seed=0),
    "mutate": lambda: dict(gene=_gene(), sc=SC, n_physical=5, p=0.4, rng=np.random.default_rng(0)),
    "n_params": lambda: dict(circuit=_circ()),
    "nll": lambda: dict(scores=torch.tensor([[0.1, 0.9], [0.8, 0.2]]), y=np.array([1, 0])),
    "noisy_energies": lambda: dict(circuits=[SC2.circuit(SC2.full_arch())], weights=[SC2.init_weights(0).numpy()],
                                   terms=T.H2_TERMS, device=_dev(), layouts=[(0, 1)], shots=16, seed=0),
    "noisy_energy": lambda: dict(circuit=SC2.circuit(SC2.full_arch()), weights=SC2.init_weights(0).numpy(),
                                 terms=T.H2_TERMS, device=_dev(), layout=(0, 1), shots=16, seed=0),
    "noisy_expvals": lambda: dict(circuit=T.encoder_4x4_ryzxy() + _circ(), weights=_w().numpy(), x=_x(),
                                  device=_dev(), layout=(0, 1, 3, 4), shots=16, seed=0),
    "noisy_expvals_many": lambda: dict(circuits=[T.encoder_4x4_ryzxy() + _circ()], weights=[_w().numpy()], x=_x(),
                                       device=_dev(), layouts=[(0, 1, 3, 4)], shots=16, seed=0),
    "param_sweep": lambda: dict(task="2-class", space="u3cu3", backend="FakeQuitoV2", cfg=_cfg(), blocks=[1], seed=0),
    "prune": lambda: dict(circuit=_circ(), weights=_w(), states=_states(), y=_data()[1], n_classes=2,
                          final_ratio=0.5, epochs=2, steps=1, batch=8, lr=0.05, seed=0, init_ratio=0.1),
    "prune_schedule": lambda: dict(epochs=8, final_ratio=0.5, init_ratio=0.1, ramp=0.75),
    "select_pruned": lambda: dict(circuit=_circ(), weights=_w(), candidates=_prune_steps(), device=_dev(),
                                  x_val=_data()[0][:4], y_val=_data()[1][:4], n_classes=2, layout=(0, 1, 3, 4),
                                  shots=16, seed=0),
    "pruning_frame": lambda: dict(results=[_pipe()]),
    "evaluate_sampler": lambda: dict(contenders=[_contender()], backend=_dev(), x_test=_data()[2][:4],
                                     y_test=_data()[3][:4], n_classes=2, shots=16, seed=0),
    "sampler_expvals": lambda: dict(circuits=[T.encoder_4x4_ryzxy() + _circ()], weights=[_w().numpy()], x=_x(),
                                    backend=_dev(), layouts=[(0, 1, 3, 4)], shots=16, seed=0),
    "pruned_circuit": lambda: dict(circuit=_circ(), mask=np.ones(SC.n_weights())),
    "pruned_gates": lambda: dict(results=[_pipe()]),
    "random_layout": lambda: dict(n_physical=5, n_virtual=4, rng=np.random.default_rng(0)),
    "readout": lambda: dict(expz=torch.tensor([[1.0, 0.5, -1.0, 0.0]]), n_classes=2, scale=5.0),
    "run_pipeline": lambda: dict(task="2-class", space="u3cu3", backend="FakeQuitoV2", cfg=_cfg(), seed=0,
                                 noise_factor=0.0),
    "simulate": lambda: dict(circuit=_circ(), weights=_w(), x=None, state=_states(), batch=None),
    "summarize_seeds": lambda: dict(results=[_pipe()]),
    "summary_frame": lambda: dict(summary=_summary(), backend="FakeQuitoV2", task="2-class"),
    "sweep_figure": lambda: dict(rows=[dict(params=4, acc_noise_free=0.5, acc_noisy=0.4)]),
    "to_qiskit": lambda: dict(circuit=_circ(), weights=_w().numpy(), x=None, measure=True),
    "train": lambda: dict(circuit_fn=lambda _r: _circ(), weights=_w(), states=_states(), y=_data()[1], n_classes=2,
                          steps=2, batch=8, lr=0.05, seed=0),
    "validation_split": lambda: dict(x=_data()[0], y=_data()[1], n_val=4, seed=0),
    "vqe_clean_error": lambda: dict(runs=[_vqe()]),
    "vqe_frame": lambda: dict(vqe=[_vqe()]),
    "vqe_pipeline": lambda: dict(backend="FakeQuitoV2", cfg=_cfg(), space="u3cu3", seed=0),
    "h2_matrix": lambda: dict(),
    "Contender": lambda: dict(name="c", circuit=_circ(), layout=(0, 1, 3, 4), weights=_w(), acc_clean=0.5,
                              acc_noisy=0.4, n_params=4, n_native=10),
    "PruneStep": lambda: dict(epoch=0, ratio=0.5, circuit=_circ(), weights=_w(), mask=torch.ones_like(_w())),
    "exact_ground_energy": lambda: dict(),
}
SKIP = {
    "explorer": "widget; driven by notebook 14's explorer-check cell and tests/test_quantumnas.py",
    "PipelineResult": "a record returned by run_pipeline; every helper that reads it checks its type",
    "SearchResult": "a record returned by evolve; built only there, from checked arguments",
    "VQEResult": "a record returned by vqe_pipeline; every helper that reads it checks its type",
}
FINITE_EXEMPT = {"Contender": "acc_clean and acc_noisy are NaN until evaluate measures them (documented)"}
FINITE_EXEMPT["human_baseline"] = "its Contender's accuracies are NaN until evaluate measures them (documented)"
