"""MCUNetV2: memory-efficient patch-based inference (J. Lin, W.-M. Chen, H. Cai, C. Gan,
S. Han; NeurIPS 2021). Backs notebooks/07_mcunet.ipynb.

`patches`: the peak-memory analyser, the patch planner and executor, the MAC overhead
and the receptive-field redistribution, all on `lab.core.nets` block specs.
`views`: the figures and the explorer.
"""
from .patches import (KB, LayerMemory, LayerPlan, PatchPlan, block_table, demo_image, equality_check, grid_sweep,
                      headline, input_extent, mac_overhead, memory_profile, patch_features, patch_forward,
                      patch_memory_profile, patch_peak_memory, patch_stage_macs, peak_memory, plan_patches,
                      random_bn_net, receptive_field, redistributed_specs, split_sizes, tile_bounds)
from .views import explorer, profile_figure, sweep_figure

SCALES = {
    # res_check: resolution of the torch equality checks in the notebook
    "small": dict(resolution=224, grid=4, split=5, res_check=224, check_grids=(2, 3, 4), check_splits=(3, 5),
                  sweep_grids=(1, 2, 3, 4, 5, 6, 7, 8), sram_kb=256),
    "paper": dict(resolution=224, grid=4, split=5, res_check=224, check_grids=(2, 3, 4, 7), check_splits=(2, 3, 5, 7),
                  sweep_grids=(1, 2, 3, 4, 5, 6, 7, 8, 14), sram_kb=256),
}

__all__ = [
    "SCALES", "KB", "LayerMemory", "LayerPlan", "PatchPlan", "block_table", "demo_image", "equality_check",
    "grid_sweep", "headline", "input_extent", "mac_overhead", "memory_profile", "patch_features", "patch_forward",
    "patch_memory_profile", "patch_peak_memory", "patch_stage_macs", "peak_memory", "plan_patches",
    "random_bn_net", "receptive_field", "redistributed_specs", "split_sizes", "tile_bounds",
    "explorer", "profile_figure", "sweep_figure",
]
