"""Valid, fast calls of lab.mcunet's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import torch

from lab import mcunet as T
from lab.core import nets


@lru_cache(maxsize=1)
def _blocks():
    return nets.mobilenet_v2_specs(0.35)


@lru_cache(maxsize=1)
def _net():
    return T.random_bn_net(_blocks(), num_classes=4, seed=0)


def _x():
    return torch.randn(1, 3, 48, 48, generator=torch.Generator().manual_seed(0))


SPECS = {
    "memory_profile": lambda: dict(blocks=_blocks(), resolution=64, bytes_per_element=1, inplace_depthwise=True,
                                   inplace_residual=True),
    "peak_memory": lambda: dict(blocks=_blocks(), resolution=64),
    "receptive_field": lambda: dict(blocks=_blocks()[:3]),
    "input_extent": lambda: dict(blocks=_blocks()[:3], out_size=4),
    "tile_bounds": lambda: dict(size=28, grid=4),
    "plan_patches": lambda: dict(blocks=_blocks(), resolution=64, split=3, grid=2),
    "patch_features": lambda: dict(net=_net(), x=_x(), split=3, grid=2),
    "patch_forward": lambda: dict(net=_net(), x=_x(), split=3, grid=2),
    "patch_memory_profile": lambda: dict(blocks=_blocks(), resolution=64, split=3, grid=2, bytes_per_element=1,
                                         inplace_depthwise=True, inplace_residual=True),
    "patch_peak_memory": lambda: dict(blocks=_blocks(), resolution=64, split=3, grid=2),
    "patch_stage_macs": lambda: dict(blocks=_blocks(), resolution=64, split=3, grid=2),
    "mac_overhead": lambda: dict(blocks=_blocks(), resolution=64, split=3, grid=2, num_classes=10),
    "redistributed_specs": lambda: dict(blocks=_blocks(), split=3, early_kernel=1, late_kernel=5, n_late=2),
    "block_table": lambda: dict(blocks=_blocks(), resolution=64, split=3, grid=2),
    "grid_sweep": lambda: dict(blocks=_blocks(), resolution=64, split=3, grids=(1, 2)),
    "split_sizes": lambda: dict(blocks=_blocks(), resolution=64),
    "headline": lambda: dict(blocks=_blocks(), resolution=64, split=3, grid=2),
    "random_bn_net": lambda: dict(blocks=_blocks(), num_classes=4, seed=0),
    "equality_check": lambda: dict(net=_net(), resolution=48, splits=(3,), grids=(2,), seed=0),
    "demo_image": lambda: dict(resolution=32),
    "profile_figure": lambda: dict(table=T.block_table(_blocks(), 64, 3, 2), sram_kb=256.0),
    "sweep_figure": lambda: dict(sweeps={"a": T.grid_sweep(_blocks(), 64, 3, (1, 2))}),
}
SKIP = {
    "LayerMemory": "a plain record built only by memory_profile (its fields are computed, never user input)",
    "LayerPlan": "a plain record built only by plan_patches (its fields are computed, never user input)",
    "PatchPlan": "a plain record built only by plan_patches (its fields are computed, never user input)",
    "explorer": "widget; driven by notebook 07's explorer-check cell and tests/test_mcunet.py",
}
