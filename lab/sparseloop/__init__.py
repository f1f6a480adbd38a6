"""Sparseloop: analytical modelling of sparse tensor accelerators (Y. N. Wu, P.-A. Tsai,
A. Parashar, V. Sze, J. S. Emer, MICRO 2022), validated against an element-level
simulator of our own. Notebook: notebooks/15_sparseloop.ipynb.

spec.py: architecture, workload, mapping and sparse-optimisation descriptions;
dense.py: step 1, dense dataflow counts (and brute force); formats.py: per-rank
representation formats and metadata; density.py: density models; model.py: steps 2
and 3, the analytical model; simulate.py: the simulator; experiments.py: the
notebook's experiments and claim helpers; eyeriss.py: the Eyeriss V2 PE of the artifact's
validation, against its published cycles; views.py: figures and the explorer.
"""
from ..core.scale import freeze
from .dense import brute_force_counts, dense_counts, nest, tile_shape
from .density import Banded, FixedStructured, Uniform, hypergeom_pmf
from .experiments import (ARTIFACT_DENSITY, ARTIFACT_FIG1, FIG1_DENSITIES, SPEED_WORKLOAD, all_designs, artifact_fig1,
                          best_designs, crossover, crossover_claim, crossover_table, density_check, design_sweep,
                          error_claim, fig1_designs, fig1_sweep, pruned_mlp, speed, speed_claim, speed_fixed,
                          validate_real, validate_uniform)
from .eyeriss import (EYERISS_COLUMNS, eyeriss_arch, eyeriss_claim, eyeriss_cycles, eyeriss_layers, eyeriss_mapping,
                      eyeriss_validation)
from .formats import encode, expected_bits
from .model import Result, evaluate, walk_expectations
from .simulate import simulate
from .spec import (GLB_ORDERS, Arch, Level, LevelMapping, Mapping, SparseOpt, TensorSpec, Workload, conv,
                   default_arch, design, fig1_mapping, matmul)
from .views import (explorer, eyeriss_figure, fig1_figure, speed_figure, sweep_figure, taxonomy_figure, taxonomy_table,
                    validation_figure)

SCALES = freeze({
    "small": dict(fig1_size=128, val_size=128, val_seeds=(0, 1, 2), real_seeds=(0, 1, 2),
                  real_sparsities=(0.5, 0.7, 0.9), n_images=256, speed_sizes=(128, 256, 512, 768),
                  speed_repeats=5, sweep_size=128),
    "paper": dict(fig1_size=128, val_size=256, val_seeds=(0, 1, 2, 3, 4), real_seeds=(0, 1, 2, 3, 4),
                  real_sparsities=(0.3, 0.5, 0.7, 0.8, 0.9, 0.95), n_images=512,
                  speed_sizes=(128, 256, 512, 768, 1024), speed_repeats=9, sweep_size=256),
})

__all__ = [
    "SCALES", "Arch", "Level", "LevelMapping", "Mapping", "SparseOpt", "TensorSpec", "Workload", "conv",
    "default_arch", "design", "fig1_mapping", "matmul", "GLB_ORDERS",
    "EYERISS_COLUMNS", "eyeriss_arch", "eyeriss_claim", "eyeriss_cycles", "eyeriss_layers", "eyeriss_mapping",
    "eyeriss_validation",
    "brute_force_counts", "dense_counts", "nest", "tile_shape",
    "Banded", "FixedStructured", "Uniform", "hypergeom_pmf", "encode", "expected_bits",
    "Result", "evaluate", "walk_expectations", "simulate",
    "ARTIFACT_DENSITY", "ARTIFACT_FIG1", "FIG1_DENSITIES", "SPEED_WORKLOAD", "all_designs", "artifact_fig1",
    "best_designs", "crossover", "crossover_claim", "crossover_table", "density_check", "design_sweep", "error_claim", "fig1_designs", "fig1_sweep",
    "pruned_mlp", "speed", "speed_claim", "speed_fixed", "validate_real", "validate_uniform",
    "explorer", "eyeriss_figure", "fig1_figure", "speed_figure", "sweep_figure", "taxonomy_figure", "taxonomy_table",
    "validation_figure",
]
