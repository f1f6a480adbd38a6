"""QuantumNAS: noise-adaptive search for robust quantum circuits (H. Wang, Y. Ding, J. Gu,
Z. Li, Y. Lin, D. Z. Pan, F. T. Chong, S. Han; HPCA 2022).

Backs notebooks/14_quantumnas.ipynb. `qsim.py`: a batched, differentiable torch statevector
simulator (training); `device.py`: fake IBM backends and their Aer noise models (the noisy
"device"); `search.py`: data and encoder, SuperCircuit, training, the evolutionary co-search of
SubCircuit and layout, pruning, the classification pipeline and its claim helpers; `vqe.py`:
the H2 VQE; `views.py`: circuit and mapping drawings, figures, the explorer and the closing note.
"""
from . import qsim
from .device import BACKENDS, Device, get_device, noisy_energies, noisy_energy, noisy_expvals, noisy_expvals_many
from .qsim import Circuit, Op, expval_z, simulate, to_qiskit
from .search import (CONTENDERS, N_QUBITS, READOUT_SCALE, SPACES, TASKS, Adam, Arch, Contender, Gene,
                     PipelineResult, SearchResult, SuperCircuit, accuracy, angle_magnitude,
                     claim_accuracy, claim_pruning, claim_searched_beats, clean_scores, crossover, human_baseline,
                     encode, encoder_4x4_ryzxy, evaluate, evolve, load_digits_4x4, MAX_BLOCKS, mutate, n_params,
                     nll, param_sweep, prune, pruned_circuit, pruned_gates, random_layout, readout, run_pipeline,
                     summarize_seeds, summary_frame, train, validation_split)
from .views import closing_note, contenders_figure, draw_circuit, draw_mapping, explorer, sweep_figure
from .vqe import H2_TERMS, VQEResult, claim_vqe_noisy, vqe_clean_error, energy, exact_ground_energy, h2_matrix, vqe_frame, vqe_pipeline

SCALES = {
    "small": dict(n_train=240, n_test=40, n_val=16, max_blocks=3, super_steps=350, train_steps=80,
                  finetune_steps=30, batch=32, lr=0.05, population=8, parents=4, mutations=3,
                  crossovers=1, iterations=4, mutation_p=0.4, shots=256, prune_ratio=0.25,
                  prune_stages=2, seeds=(0, 1, 2), sweep_blocks=(1, 2, 3), backend="FakeQuitoV2",
                  vqe_blocks=3, vqe_steps=80, vqe_population=6, vqe_iterations=3,
                  two_class=dict(super_steps=100, train_steps=40, finetune_steps=10, population=4, parents=2,
                                 mutations=2, crossovers=1, iterations=2)),
    "paper": dict(n_train=260, n_test=100, n_val=100, max_blocks=8, super_steps=2000, train_steps=600,
                  finetune_steps=200, batch=64, lr=0.05, population=40, parents=10, mutations=20,
                  crossovers=10, iterations=40, mutation_p=0.4, shots=8192, prune_ratio=0.5,
                  prune_stages=5, seeds=(0, 1, 2), sweep_blocks=(1, 2, 3, 4, 5, 6, 7, 8),
                  backend="FakeQuitoV2", vqe_blocks=8, vqe_steps=600, vqe_population=40, vqe_iterations=40,
                  two_class=dict(n_train=200, n_val=40, n_test=100)),  # digits 3 and 6: 364 images in all
}

__all__ = ["SCALES", "qsim", "BACKENDS", "CONTENDERS", "H2_TERMS", "N_QUBITS", "READOUT_SCALE", "SPACES", "TASKS",
           "Adam", "Arch", "Circuit", "Contender", "Device", "Gene", "Op", "PipelineResult", "SearchResult",
           "SuperCircuit", "VQEResult", "accuracy", "angle_magnitude", "claim_accuracy", "claim_pruning",
           "claim_searched_beats", "claim_vqe_noisy", "vqe_clean_error", "clean_scores", "closing_note", "contenders_figure",
           "crossover", "human_baseline", "draw_circuit", "draw_mapping", "encode", "encoder_4x4_ryzxy", "energy",
           "evaluate", "evolve", "exact_ground_energy", "explorer", "expval_z", "get_device", "h2_matrix",
           "load_digits_4x4", "MAX_BLOCKS", "mutate", "n_params", "nll", "noisy_energies", "noisy_energy", "noisy_expvals",
           "noisy_expvals_many", "param_sweep", "prune", "pruned_circuit", "random_layout", "readout",
           "run_pipeline", "simulate", "summarize_seeds", "summary_frame", "sweep_figure", "to_qiskit", "train", "validation_split",
           "vqe_frame", "vqe_pipeline", "pruned_gates"]
