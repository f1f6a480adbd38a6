"""QuantumNAS: noise-adaptive search for robust quantum circuits (H. Wang, Y. Ding, J. Gu,
Z. Li, Y. Lin, D. Z. Pan, F. T. Chong, S. Han; HPCA 2022).

Backs notebooks/14_quantumnas.ipynb. `qsim.py`: a batched, differentiable torch statevector
simulator (training); `device.py`: fake IBM backends and their Aer noise models (the noisy
"device"), and the same measurement through Qiskit Runtime's Sampler primitive (local mode on a fake
backend, or a real IBM device); `data.py`: digits and encoder; `supercircuit.py`: design spaces and the
SuperCircuit; `training.py`: readout and training; `search.py`: the evolutionary co-search of SubCircuit and layout;
`pruning.py`: gradual pruning; `pipeline.py`: the classification pipeline; `claims.py`: its tables and claim
helpers; `vqe.py`: the H2 VQE; `views.py`: circuit and mapping drawings, figures, the explorer and the closing note.
"""
from . import qsim
from .device import (BACKENDS, Device, get_device, noisy_energies, noisy_energy, noisy_expvals, noisy_expvals_many,
                     sampler_expvals)
from .qsim import Circuit, Op, expval_z, simulate, to_qiskit
from .claims import (CONTENDERS, claim_accuracy, claim_ceiling_ratio, claim_pruning, claim_searched_beats,
                     interval_text, noise_free_ceiling, pruned_gates, pruning_frame, summary_frame)
from .data import encode, encoder_4x4_ryzxy, load_digits_4x4, validation_split
from .pipeline import (TASKS, Contender, PipelineResult, evaluate, evaluate_all, evaluate_sampler, human_baseline,
                       param_sweep, run_pipeline, summarize_seeds)
from .pruning import (PRUNE_INIT, PRUNE_RAMP, PruneStep, angle_magnitude, prune, prune_schedule, pruned_circuit,
                      select_pruned)
from .search import Gene, SearchResult, crossover, evolve, mutate, random_layout
from .supercircuit import MAX_BLOCKS, N_QUBITS, SPACES, Arch, SuperCircuit, n_params
from .training import READOUT_SCALE, Adam, accuracy, clean_scores, nll, readout, train
from .views import closing_note, contenders_figure, draw_circuit, draw_mapping, explorer, sweep_figure
from .vqe import H2_TERMS, VQEResult, claim_vqe_noisy, vqe_clean_error, energy, exact_ground_energy, h2_matrix, vqe_frame, vqe_pipeline

SCALES = {
    # sized to run in at most 45 s alone (64 s before: training was about 60 % of each seed's pipeline).
    # Pruning: the authors' schedule (0.1 -> prune_ratio, `prune_schedule`) over prune_epochs epochs of
    # finetune_steps steps each, about a quarter of super_steps in all as the authors' 10 pruning epochs
    # are a quarter of their 40 (56 steps here, 16 for the 2-class task; 156 and 72 in "paper")
    "small": dict(n_train=240, n_test=40, n_val=16, max_blocks=3, super_steps=220, train_steps=50,
                  finetune_steps=7, batch=32, lr=0.05, population=8, parents=4, mutations=3,
                  crossovers=1, iterations=3, mutation_p=0.4, shots=256, prune_ratio=0.5,
                  prune_epochs=8, seeds=(0, 1, 2), sweep_blocks=(1, 2, 3), backend="FakeQuitoV2",
                  vqe_blocks=3, vqe_steps=50, vqe_population=6, vqe_iterations=3,
                  two_class=dict(super_steps=60, train_steps=25, finetune_steps=2, population=4, parents=2,
                                 mutations=2, crossovers=1, iterations=1)),
    # sized from measured CPU time (one torch thread): 9-15 ms per training step (6 blocks, 64 images),
    # 5-6 ms per candidate and validation image in the search's Aer jobs at 1024 shots; about 45 s
    # per 4-class seed, 6 min for the whole notebook
    "paper": dict(n_train=260, n_test=100, n_val=64, max_blocks=6, super_steps=600, train_steps=200,
                  finetune_steps=13, batch=64, lr=0.05, population=16, parents=4, mutations=8,
                  crossovers=4, iterations=5, mutation_p=0.4, shots=1024, prune_ratio=0.5,
                  prune_epochs=12, seeds=(0, 1, 2, 3, 4), sweep_blocks=(1, 2, 4, 6),
                  backend="FakeQuitoV2", vqe_blocks=4, vqe_steps=200, vqe_population=12, vqe_iterations=4,
                  two_class=dict(n_train=200, n_val=40, n_test=100, super_steps=300, train_steps=100,
                                 finetune_steps=6, population=12, parents=4, mutations=6, crossovers=2,
                                 iterations=4)),  # digits 3 and 6: 364 images in all
}

__all__ = ["SCALES", "qsim", "BACKENDS", "CONTENDERS", "H2_TERMS", "N_QUBITS", "READOUT_SCALE", "SPACES", "TASKS",
           "Adam", "Arch", "Circuit", "Contender", "Device", "Gene", "Op", "PipelineResult", "SearchResult",
           "SuperCircuit", "VQEResult", "accuracy", "angle_magnitude", "claim_accuracy", "claim_ceiling_ratio", "claim_pruning",
           "claim_searched_beats", "claim_vqe_noisy", "vqe_clean_error", "clean_scores", "closing_note", "contenders_figure",
           "crossover", "human_baseline", "draw_circuit", "draw_mapping", "encode", "encoder_4x4_ryzxy", "energy",
           "evaluate", "evaluate_all", "evolve", "exact_ground_energy", "explorer", "expval_z", "get_device", "h2_matrix",
           "interval_text", "load_digits_4x4", "MAX_BLOCKS", "mutate", "n_params", "noise_free_ceiling", "nll", "noisy_energies", "noisy_energy", "noisy_expvals",
           "noisy_expvals_many", "param_sweep", "prune", "pruned_circuit", "random_layout", "readout",
           "run_pipeline", "simulate", "summarize_seeds", "summary_frame", "sweep_figure", "to_qiskit", "train", "validation_split",
           "vqe_frame", "vqe_pipeline", "pruned_gates", "PRUNE_INIT", "PRUNE_RAMP", "PruneStep", "evaluate_sampler",
           "prune_schedule", "pruning_frame", "sampler_expvals", "select_pruned"]
