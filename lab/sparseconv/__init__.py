"""A small sparse-convolution engine in torch, CPU-first, after TorchSparse (H. Tang, Z. Liu,
X. Li, Y. Lin, S. Han; MLSys 2022). Backs notebooks/13_sparseconv.ipynb (and is used by
notebooks 08 PointAcc and 09 calorimetry).

`functional`: hashing, sparse tensors, kernel maps, adaptive grouping, the functional convolution.
`modules`: layers (Conv3d, BatchNorm, ReLU, pooling, point <-> voxel transforms of SPVCNN).
`perf`: stage timings, the grouping tuner, data movement, the spconv comparison, exactness checks, the
grouping plans' counts (no timing) and the committed benchmark table (results/bench/sparseconv.csv).
`views`: the figures and the explorer. LiDAR-like scenes live in `lab.data.lidar`.
"""
from .functional import (GroupPlan, KernelMap, SparseTensor, StageTimer, apply_kernel_map, build_kernel_map,
                         check_coords, check_keys, check_offsets, downsample_coords, get_kernel_map, hash_coords, kernel_offsets, offset_key, plan_groups,
                         rank_lookup, sparse_conv3d, sparse_quantize, unhash_keys)
from .modules import BatchNorm, Conv3d, PointTensor, ReLU, devoxelize, global_avg_pool, global_max_pool, voxelize
from .perf import (BENCH_COLUMNS, STAGES, bench_file, bench_summary, benchmark, data_movement, dense_check,
                   grouping_check, grouping_plans, grouping_speedup, grouping_tradeoff, load_bench, movement_ratio, spconv_available, spconv_ratio, time_conv, time_spconv, tune_conv, tune_layer,
                   walkthrough, write_bench)
from .views import explorer, kernel_map_figure, plan_figure, movement_figure, scene_figure, stage_figure, tradeoff_figure

SCALES = {
    # notebook 13 at laptop scale: no timing in the notebook (the speed table is the committed
    # benchmark's, results/bench/sparseconv.csv); the grouping counts on three scenes
    "small": dict(scene_voxels=6000, eps_grid=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0), seeds=(0, 1, 2)),
    # the benchmark's middle size, five scenes
    "paper": dict(scene_voxels=50000, eps_grid=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0), seeds=(0, 1, 2, 3, 4)),
}

__all__ = [
    "SCALES", "GroupPlan", "KernelMap", "SparseTensor", "StageTimer", "apply_kernel_map", "build_kernel_map",
    "check_coords", "check_keys", "check_offsets", "downsample_coords", "get_kernel_map", "hash_coords", "kernel_offsets", "offset_key", "plan_groups",
    "rank_lookup", "sparse_conv3d", "sparse_quantize", "unhash_keys",
    "BatchNorm", "Conv3d", "PointTensor", "ReLU", "devoxelize", "global_avg_pool", "global_max_pool", "voxelize",
    "BENCH_COLUMNS", "STAGES", "bench_file", "bench_summary", "benchmark", "data_movement", "dense_check",
    "grouping_check", "grouping_plans", "grouping_speedup", "grouping_tradeoff", "load_bench", "movement_ratio", "spconv_available", "spconv_ratio", "time_conv", "time_spconv", "tune_conv", "tune_layer",
    "walkthrough", "write_bench",
    "explorer", "plan_figure", "kernel_map_figure", "movement_figure", "scene_figure", "stage_figure", "tradeoff_figure",
]
