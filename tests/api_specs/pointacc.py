"""Valid, fast calls of lab.pointacc's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import numpy as np
import torch

from lab import pointacc as T


def _coords():
    g = torch.Generator().manual_seed(0)
    return (torch.rand(1, 6, 6, 6, generator=g) < 0.3).nonzero().to(torch.int32).contiguous()


@lru_cache(maxsize=1)
def _layers():
    return T.trace_minkunet(_coords(), widths=(4, 8))


@lru_cache(maxsize=1)
def _spv():
    return T.trace_spvcnn(_coords(), 80, widths=(4, 8))


@lru_cache(maxsize=1)
def _mk18():
    return T.trace_minkunet18c(_coords(), crs=(1.0,))


def _pts(n=20, seed=0):
    return np.random.default_rng(seed).random((n, 3))


SPECS = {
    "merge_sort_kernel_map": lambda: dict(in_coords=_coords(), out_coords=_coords(), offsets=torch.tensor(
        [[0, 0, 0], [1, 0, 0], [-1, 0, 0]])),
    "knn_ranking": lambda: dict(points=_pts(), queries=_pts(4, 1), k=3),
    "ball_query_ranking": lambda: dict(points=_pts(), queries=_pts(4, 1), radius=0.3, k=3),
    "check_mapping_unit": lambda: dict(coords=_coords(), n_points=30, k=3, radius=0.2, seed=0),
    "Layer": lambda: dict(name="conv", kind="conv", n_in=10, n_out=10, cin=4, cout=8, pairs=30, kvol=27, group="",
                          stream=np.arange(30) % 10),
    "trace_minkunet": lambda: dict(coords=_coords(), widths=(4, 8), cin=4, name="M"),
    "trace_spvcnn": lambda: dict(coords=_coords(), n_points=80, widths=(4, 8)),
    "layers_frame": lambda: dict(layers=_layers()),
    "stack_distances": lambda: dict(stream=np.array([0, 1, 0, 2, 1, 0])),
    "hit_rate": lambda: dict(distances=np.array([-1, -1, 1, -1, 2, 2]), rows=2),
    "Accel": lambda: dict(matrix=16, merge_width=8, cache_kb=16.0, bandwidth=64.0, clock=1.0, fuse=True,
                          cache_enabled=True, bytes_per_value=2, fuse_tile=64, leakage_mw_per_kb=1.0,
                          buffer_kb=32.0),
    "GPU": lambda: dict(tflops=10.0, bandwidth=500.0, power=200.0, launch_us=5.0, half_eff_rows=1000,
                        bytes_per_value=4),
    "accel_cost": lambda: dict(layers=_layers(), hw=T.Accel()),
    "gpu_cost": lambda: dict(layers=_layers(), gpu=T.GPU()),
    "compare": lambda: dict(layers=_layers(), hw=T.Accel(), gpu=T.GPU()),
    "contributions": lambda: dict(layers=_spv(), hw=T.Accel(), gpu=T.GPU()),
    "summary": lambda: dict(nets={"M": _layers()}, hw=T.Accel(), gpu=T.GPU()),
    "dram_curves": lambda: dict(nets={"M": _layers()}, cache_kb=(0, 16), hw=T.Accel()),
    "dram_vs_cache": lambda: dict(layers=_layers(), cache_kb=(0, 16), hw=T.Accel()),
    "fusion_footprint": lambda: dict(layers=_spv(), hw=T.Accel()),
    "trace_minkunet18c": lambda: dict(coords=_coords(), crs=(1.0, 0.5), cin=4, classes=19, name="M"),
    "gpu_baselines": lambda: dict(),
    "published_gpu_ms": lambda: dict(table=T.gpu_baselines(), library="TorchSparse v1.0.0", scaling="bandwidth"),
    "published_comparison": lambda: dict(nets=_mk18(), gpu_ms=T.published_gpu_ms(T.gpu_baselines()).head(1),
                                         hw=T.Accel(), power_w=250.0),
    "published_claim": lambda: dict(df=T.published_comparison(_mk18(), T.published_gpu_ms(T.gpu_baselines()).head(1)),
                                    what="speedup", cr=1.0),
    "breakdown_figure": lambda: dict(costs={"a": T.accel_cost(_layers())}, what="time"),
    "dram_figure": lambda: dict(df=T.dram_curves({"M": _layers()}, (0, 16))),
}
SKIP = {
    "explorer": "widget; driven by notebook 08's explorer-check cell",
}
TABLE_ACCEPTS = {"published_claim(df=column missing)": ("the dropped first column, 'variant', is one published_claim "
                                                        "does not read (it picks the row by cr)", "same")}
