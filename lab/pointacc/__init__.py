"""PointAcc: an efficient point-cloud accelerator (Y. Lin, Z. Zhang, H. Tang, H. Wang,
S. Han; MICRO 2021). Backs notebooks/08_pointacc.ipynb.

`mapping`: the ranking-based mapping unit (merge-sort kernel map, kNN, ball query).
`trace`: layers of real networks traced on `lab.sparseconv`.
`model`: the layers, exact LRU stack distances and the latency/energy model of the accelerator
and of a GPU-like baseline.
`baselines`: the published GPU latencies (data/pointacc_gpu_baselines.csv) and the
comparison of the accelerator model with them.
`views`: the figures and the explorer.
"""
from .baselines import gpu_baselines, published_claim, published_comparison, published_gpu_ms
from .mapping import ball_query_ranking, check_mapping_unit, knn_ranking, merge_sort_kernel_map
from .model import (GPU, Accel, Layer, accel_cost, compare, contributions, dram_curves, dram_vs_cache,
                    fusion_footprint, gpu_cost, hit_rate, layers_frame, stack_distances, summary)
from .trace import trace_minkunet, trace_minkunet18c, trace_spvcnn
from .views import breakdown_figure, dram_figure, explorer

SCALES = {
    "small": dict(scene_voxels=12000, points_per_voxel=1.5, knn_points=400, knn_k=8,
                  cache_kb=(0, 4, 16, 64, 256, 1024, 4096), published_voxels=100000),
    "paper": dict(scene_voxels=100000, points_per_voxel=1.5, knn_points=2000, knn_k=16,
                  cache_kb=(0, 4, 16, 64, 256, 1024, 4096, 16384), published_voxels=100000),
}

__all__ = [
    "SCALES", "ball_query_ranking", "check_mapping_unit", "knn_ranking", "merge_sort_kernel_map",
    "GPU", "Accel", "Layer", "accel_cost", "compare", "contributions", "dram_curves", "dram_vs_cache",
    "fusion_footprint", "gpu_cost", "hit_rate", "layers_frame", "stack_distances", "summary", "trace_minkunet",
    "trace_minkunet18c", "trace_spvcnn", "gpu_baselines", "published_claim", "published_comparison",
    "published_gpu_ms", "breakdown_figure", "dram_figure", "explorer",
]
