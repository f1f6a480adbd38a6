"""Valid, fast calls of lab.sparseloop's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import numpy as np

from lab import sparseloop as T


def _arch():
    return T.default_arch()


def _case(n=8):
    return dict(arch=_arch(), workload=T.matmul(n, n, n), mapping=T.fig1_mapping(n, n, n))


def _ab(n=8):
    rng = np.random.default_rng(0)
    return T.Uniform(0.3).sample((n, n), rng), T.Uniform(0.3).sample((n, n), rng)


@lru_cache(maxsize=1)
def _eyeriss():
    return T.eyeriss_validation(T.eyeriss_layers().iloc[:2])


@lru_cache(maxsize=1)
def _sweep():
    return T.fig1_sweep(size=8, densities=(0.02, 0.1, 0.9))


@lru_cache(maxsize=1)
def _val():
    return T.validate_uniform(size=8, densities=(0.2,), seeds=(0, 1))


@lru_cache(maxsize=1)
def _speed():
    return T.speed(sizes=(8,), density=0.2, seed=0)


@lru_cache(maxsize=1)
def _speed_fixed():
    return T.speed_fixed(repeats=1, model_repeats=1, seed=0)


@lru_cache(maxsize=1)
def _dsweep():
    return T.design_sweep(size=8, densities=(0.1, 0.5))


def _result():
    c = _case()
    return T.evaluate(**c, opt=T.design("B", "gating"), densities={"A": T.Uniform(0.2), "B": T.Uniform(0.2)})


SPECS = {
    "Level": lambda: dict(name="Buf", capacity_bits=1024.0, bandwidth_bits=16.0, read_pj=1.0, write_pj=1.0,
                          gated_pj=0.0, meta_read_pj=0.1, meta_write_pj=0.1, word_bits=8),
    "Arch": lambda: dict(levels=_arch().levels, mac_pj=0.5, mac_gated_pj=0.03, n_pe=1),
    "TensorSpec": lambda: dict(name="A", ranks=(("M",), ("K",)), output=False),
    "Workload": lambda: dict(name="mm", dims={"M": 2, "K": 3},
                             tensors=(T.TensorSpec("A", (("M",), ("K",))), T.TensorSpec("Z", (("M",),), True))),
    "LevelMapping": lambda: dict(level="GLB", loops=(("M", 2),), keep=frozenset("AB")),
    "Mapping": lambda: dict(levels=T.fig1_mapping(4, 4, 4).levels),
    "SparseOpt": lambda: dict(formats={("PEBuf", "A"): ("U", "CP"), ("PEBuf", "B"): ("U", "CP")},
                              feature="skipping", rle_bits=4, cp_bits=None),
    "conv": lambda: dict(C=2, M=2, P=3, Q=3, R=2, S=2),
    "default_arch": lambda: dict(n_pe=1, pe_bandwidth_bits=16.0),
    "design": lambda: dict(inner="CP", feature="skipping", rle_bits=4, cp_bits=14),
    "fig1_mapping": lambda: dict(M=4, N=4, K=4, order="MN"),
    "eyeriss_layers": lambda: dict(path=None),
    "eyeriss_arch": lambda: dict(),
    "eyeriss_mapping": lambda: dict(C=16, M=16, E=2, F=2, backing_M=2, backing_C=2, pe_M=8, pe_C=8),
    "eyeriss_cycles": lambda: dict(C=16, M=16, E=2, F=2, backing_M=2, backing_C=2, pe_M=8, pe_C=8,
                                   inputs=T.Uniform(0.5), weights=T.Uniform(0.4)),
    "eyeriss_validation": lambda: dict(layers=T.eyeriss_layers().iloc[:2]),
    "eyeriss_claim": lambda: dict(df=_eyeriss(), bound_pct=8.0, against="truth"),
    "eyeriss_figure": lambda: dict(df=_eyeriss()),
    "matmul": lambda: dict(M=4, N=4, K=4),
    "brute_force_counts": lambda: dict(arch=_arch(), workload=T.matmul(3, 2, 4), mapping=T.fig1_mapping(3, 2, 4)),
    "dense_counts": lambda: _case(),
    "nest": lambda: dict(mapping=T.fig1_mapping(4, 4, 4)),
    "tile_shape": lambda: dict(workload=T.matmul(4, 4, 4), mapping=T.fig1_mapping(4, 4, 4), level=2, tensor="A"),
    "Banded": lambda: dict(half_width=2),
    "FixedStructured": lambda: dict(n=2, m=4),
    "Uniform": lambda: dict(density=0.25),
    "hypergeom_pmf": lambda: dict(total=1000, good=37, draws=50),
    "encode": lambda: dict(tile=np.array([[0.0, 3.0, 0.0, 1.0], [2.0, 0.0, 0.0, 0.0]]), formats=("UOP", "RLE"),
                           rle_bits=2, cp_bits=None),
    "expected_bits": lambda: dict(formats=("UOP", "CP"), rows=4, length=8, k=np.array([0.0, 1.0, 2.0]),
                                  p=np.array([0.25, 0.5, 0.25]), rle_bits=4, cp_bits=None),
    "Result": lambda: dict(cycles=10.0, energy_pj=5.0, table=_result().table, cycles_by_level={"PE": 10.0}),
    "evaluate": lambda: dict(**_case(), opt=T.design("CP", "skipping"),
                             densities={"A": T.Uniform(0.2), "B": T.Uniform(0.3)}),
    "walk_expectations": lambda: dict(fa="CP", fb="B", feature="skipping", K=16,
                                      pmf_a=(np.array([2.0, 4.0]), np.array([0.5, 0.5])),
                                      pmf_b=(np.array([8.0]), np.array([1.0])), pe=_arch().level("PEBuf"),
                                      rle_bits=4, cp_bits=None),
    "simulate": lambda: dict(**_case(), opt=T.design("RLE", "skipping"), A=_ab()[0], B=_ab()[1]),
    "all_designs": lambda: dict(),
    "artifact_fig1": lambda: dict(),
    "best_designs": lambda: dict(sweep=_dsweep()),
    "crossover": lambda: dict(df=T.artifact_fig1(), metric="cycles"),
    "crossover_claim": lambda: dict(ours=_sweep(), artifact=T.artifact_fig1(), metric="energy_uJ"),
    "crossover_table": lambda: dict(ours=_sweep(), artifact=T.artifact_fig1()),
    "density_check": lambda: dict(shape=(16, 16), tile=(2, 4), densities=(0.1,), n_samples=3, seed=0),
    "design_sweep": lambda: dict(size=8, densities=(0.1, 0.5)),
    "error_claim": lambda: dict(df=_val(), bound_pct=1.0),
    "fig1_designs": lambda: dict(),
    "fig1_sweep": lambda: dict(size=8, densities=(0.05, 0.5)),
    "pruned_mlp": lambda: dict(seed=0, sparsity=0.5, hidden=8, epochs=3),
    "speed": lambda: dict(sizes=(8,), density=0.2, seed=0),
    "speed_fixed": lambda: dict(repeats=1, model_repeats=1, seed=0),
    "speed_claim": lambda: dict(df=_speed_fixed(), bound=600.0),
    "validate_real": lambda: dict(seeds=(0,), sparsities=(0.5,), n_images=8),
    "validate_uniform": lambda: dict(size=8, densities=(0.2,), seeds=(0,)),
    "fig1_figure": lambda: dict(ours=_sweep(), artifact=T.artifact_fig1()),
    "speed_figure": lambda: dict(df=_speed()),
    "sweep_figure": lambda: dict(sweep=_dsweep(), metric="cycles"),
    "taxonomy_figure": lambda: dict(a=np.array([0.0, 1.0, 0.0, 2.0]), b=np.array([1.0, 1.0, 0.0, 0.0])),
    "taxonomy_table": lambda: dict(tile=np.array([[0.0, 3.0, 0.0, 1.0], [2.0, 0.0, 0.0, 0.0]]), rle_bits=2),
    "validation_figure": lambda: dict(uniform=_val(), real=_val().assign(sparsity=0.5)),
}
SKIP = {"explorer": "widget; driven by notebook 15's explorer-check cell"}

_UNREAD = ("the dropped first column, 'seed', is one validation_figure does not read (it plots the density or "
           "sparsity, the design and the two errors of every row)")
TABLE_ACCEPTS = {
    "validation_figure(uniform=column missing)": (_UNREAD, "same"),
    "validation_figure(real=column missing)": (_UNREAD, "same"),
    "eyeriss_validation(layers=None)": ("None is the documented default: the artifact's eight layers, read from "
                                        "data/sparseloop/eyeriss_v2_pe.csv",
                                        lambda df: df.layer.tolist() == ["L07", "L09", "L13", "L19", "L21", "L23",
                                                                         "L25", "L27"]),
}
