"""A small sparse-convolution engine in torch, CPU-first, after TorchSparse (H. Tang, Z. Liu,
X. Li, Y. Lin, S. Han; MLSys 2022). Backs notebooks/13_sparseconv.ipynb (and is used by
notebooks 08 PointAcc and 09 calorimetry).

`functional`: hashing, sparse tensors, kernel maps, adaptive grouping, the functional convolution.
`modules`: layers (Conv3d, BatchNorm, ReLU, pooling, point <-> voxel transforms of SPVCNN).
`perf`: stage timings, the grouping tuner, data movement, the spconv comparison, exactness checks.
`views`: the figures and the explorer. LiDAR-like scenes live in `lab.data.lidar`.
"""
from .functional import (GroupPlan, KernelMap, SparseTensor, StageTimer, apply_kernel_map, build_kernel_map,
                         check_coords, check_keys, check_offsets, downsample_coords, get_kernel_map, hash_coords, kernel_offsets, offset_key, plan_groups,
                         rank_lookup, sparse_conv3d, sparse_quantize, unhash_keys)
from .modules import BatchNorm, Conv3d, PointTensor, ReLU, devoxelize, global_avg_pool, global_max_pool, voxelize
from .perf import (STAGES, benchmark, data_movement, dense_check, grouping_speedup, grouping_tradeoff,
                   movement_ratio, spconv_available, spconv_ratio, time_conv, time_spconv, tune_conv, tune_layer,
                   walkthrough)
from .views import explorer, kernel_map_figure, movement_figure, scene_figure, stage_figure, tradeoff_figure

SCALES = {
    # notebook 13 at laptop scale (each run fits the 60 s budget)
    "small": dict(scene_voxels=6000, bench_sizes=(4000, 12000), channels=(32,), repeats=7,
                  eps_grid=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0), seeds=(0, 1, 2)),
    # the benchmark sizes
    "paper": dict(scene_voxels=50000, bench_sizes=(10000, 50000, 200000), channels=(32, 64), repeats=7,
                  eps_grid=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0), seeds=(0, 1, 2)),
}

__all__ = [
    "SCALES", "GroupPlan", "KernelMap", "SparseTensor", "StageTimer", "apply_kernel_map", "build_kernel_map",
    "check_coords", "check_keys", "check_offsets", "downsample_coords", "get_kernel_map", "hash_coords", "kernel_offsets", "offset_key", "plan_groups",
    "rank_lookup", "sparse_conv3d", "sparse_quantize", "unhash_keys",
    "BatchNorm", "Conv3d", "PointTensor", "ReLU", "devoxelize", "global_avg_pool", "global_max_pool", "voxelize",
    "STAGES", "benchmark", "data_movement", "dense_check", "grouping_speedup", "grouping_tradeoff",
    "movement_ratio", "spconv_available", "spconv_ratio", "time_conv", "time_spconv", "tune_conv", "tune_layer",
    "walkthrough",
    "explorer", "kernel_map_figure", "movement_figure", "scene_figure", "stage_figure", "tradeoff_figure",
]
