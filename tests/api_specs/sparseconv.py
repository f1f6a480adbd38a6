"""Valid, fast calls of lab.sparseconv's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import numpy as np
import torch

from lab import sparseconv as T


def _coords(seed=0, D=6, p=0.3):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(1, D, D, D, generator=g) < p).nonzero().to(torch.int32).contiguous()


def _x(C=3):
    c = _coords()
    return T.SparseTensor(c, torch.randn(len(c), C, generator=torch.Generator().manual_seed(1)))


@lru_cache(maxsize=1)
def _km():
    return T.get_kernel_map(_x(), 3)[0]


def _keys():
    return torch.sort(T.hash_coords(_coords())).values


def _pt():
    g = torch.Generator().manual_seed(2)
    c = torch.cat([torch.zeros(20, 1), torch.rand(20, 3, generator=g) * 5], 1)
    return T.PointTensor(c, torch.randn(20, 2, generator=g))


@lru_cache(maxsize=1)
def _bench():
    return T.benchmark((200,), (4,), repeats=1, naive=True)


@lru_cache(maxsize=1)
def _dm():
    return T.data_movement(_coords(), 4, 4, 16)


@lru_cache(maxsize=1)
def _tmpdir():
    import tempfile
    return tempfile.TemporaryDirectory(prefix="bench_spec_")   # removed when the process ends


def _tmp():
    from pathlib import Path
    return Path(_tmpdir().name)


SPECS = {
    "check_coords": lambda: dict(name="c", coords=_coords(), min_rows=1, max_rows=1000),
    "check_keys": lambda: dict(name="k", keys=_keys(), sorted_=True, min_size=1),
    "check_offsets": lambda: dict(name="o", offsets=T.kernel_offsets(3)),
    "hash_coords": lambda: dict(coords=_coords()),
    "unhash_keys": lambda: dict(keys=_keys()),
    "offset_key": lambda: dict(delta=T.kernel_offsets(3)),
    "kernel_offsets": lambda: dict(kernel_size=3, dilation=1),
    "rank_lookup": lambda: dict(sorted_keys=_keys(), queries=_keys()[:5] + 1),
    "SparseTensor": lambda: dict(coords=_coords(), feats=torch.randn(len(_coords()), 2), stride=1, kmaps=None,
                                 cmaps=None, check=True),
    "SparseTensor.replace": lambda: dict(self=_x(), feats=torch.randn(len(_coords()), 4)),
    "SparseTensor.dense": lambda: dict(self=_x(), spatial_shape=(6, 6, 6)),
    "sparse_quantize": lambda: dict(points=np.random.default_rng(0).random((30, 3)), voxel_size=0.25),
    "KernelMap.pairs": lambda: dict(self=_km(), k=3),
    "build_kernel_map": lambda: dict(in_keys=_x().keys(), out_keys=_x().keys(), offsets=T.kernel_offsets(3),
                                     submanifold=False, method="merge"),
    "downsample_coords": lambda: dict(coords=_coords(), new_stride=2),
    "get_kernel_map": lambda: dict(x=_x(), kernel_size=3, stride=2, dilation=1, transposed=False, cache=False,
                                   timings=None),
    "plan_groups": lambda: dict(km=_km(), eps=0.3, S=1 << 20),
    "GroupPlan.redundant_rows": lambda: dict(self=T.plan_groups(_km(), 0.5), sizes=_km().sizes),
    "StageTimer": lambda: dict(),
    "apply_kernel_map": lambda: dict(feats=torch.randn(_km().n_in, 3), weight=torch.randn(27, 3, 2), km=_km(),
                                     mode="grouped", eps=0.3, S=1 << 20, timings=None, plan=None),
    "sparse_conv3d": lambda: dict(x=_x(), weight=torch.randn(27, 3, 2), kernel_size=3, stride=1, dilation=1,
                                  transposed=False, bias=None, mode="grouped", eps=0.3, S=1 << 20, cache=True,
                                  timings=None),
    "Conv3d": lambda: dict(in_channels=3, out_channels=2, kernel_size=3, stride=1, dilation=1, transposed=False,
                           bias=False, mode="grouped", eps=0.3, S=1 << 20),
    "BatchNorm": lambda: dict(num_features=3),
    "ReLU": lambda: dict(),
    "global_avg_pool": lambda: dict(x=_x()),
    "global_max_pool": lambda: dict(x=_x()),
    "PointTensor": lambda: dict(coords=torch.zeros(4, 4), feats=torch.ones(4, 2)),
    "voxelize": lambda: dict(p=_pt(), stride=2),
    "devoxelize": lambda: dict(x=T.voxelize(_pt(), 1), p=_pt()),
    "time_conv": lambda: dict(coords=_coords(), cin=4, cout=4, mode="grouped", eps=0.3, S=1 << 20, repeats=1,
                              seed=0),
    "time_spconv": lambda: dict(coords=_coords(), cin=4, cout=4, repeats=1, seed=0),
    "spconv_available": lambda: dict(),
    "tune_layer": lambda: dict(coords=_coords(), cin=4, cout=4, eps_grid=(-1.0, 0.3), S_grid=(1 << 20,), repeats=1,
                               seed=0, margin=0.05, warmup=1),
    "tune_conv": lambda: dict(conv=T.Conv3d(3, 2, 3), x=_x(), repeats=1),
    "grouping_tradeoff": lambda: dict(coords=_coords(), cin=4, cout=4, eps_grid=(0.0, 0.5), repeats=1, seeds=(0,)),
    "grouping_speedup": lambda: dict(n_voxels=200, channels=4, seeds=(0,), repeats=1),
    "data_movement": lambda: dict(coords=_coords(), cin=4, cout=4, tile=16),
    "movement_ratio": lambda: dict(dm=_dm(), a="unfused fp32", b="fused fp16 + locality"),
    "benchmark": lambda: dict(sizes=(200,), channels=(4,), repeats=1, seed=0, eps=0.3, progress=False, naive=False),
    "spconv_ratio": lambda: dict(df=_bench(), engine="grouped (tuned)"),
    "walkthrough": lambda: dict(coords=_coords(), cin=4, cout=4, seed=0),
    "dense_check": lambda: dict(seed=0, D=4),
    "scene_figure": lambda: dict(coords=_coords(), voxel_size=0.05),
    "stage_figure": lambda: dict(df=_bench(), title="t", widget=False),
    "kernel_map_figure": lambda: dict(coords=_coords(), n_outputs=10),
    "tradeoff_figure": lambda: dict(df=T.grouping_plans(_coords(), (0.0, 0.5), 4, 4)),
    "plan_figure": lambda: dict(coords=_coords(), eps=0.3, S=1 << 20, title="t", widget=False),
    "grouping_plans": lambda: dict(coords=_coords(), eps_grid=(0.0, 0.5), cin=4, cout=4, S=1 << 20),
    "grouping_check": lambda: dict(coords=_coords(), eps_grid=(0.0, 0.5), S_grid=(0, 1 << 20), cin=2, cout=2, seed=0),
    "bench_file": lambda: dict(),
    "bench_summary": lambda: dict(df=_bench()),
    "load_bench": lambda: dict(path=None),
    "write_bench": lambda: dict(df=_bench(), path=_tmp() / "bench.csv", meta={"machine": "m"}),
    "movement_figure": lambda: dict(dm=_dm()),
}
SKIP = {
    "KernelMap": "a record built by build_kernel_map from checked keys; its fields are computed, never user input",
    "GroupPlan": "a record built by plan_groups from a checked kernel map; its fields are computed",
    "explorer": "widget; driven by notebook 13's explorer-check cell",
}
