"""Augmentations for 8x8 digit images: a random affine map (shift, small rotation and
scaling) applied with torch's `affine_grid`/`grid_sample`, then pixel noise.

Images are (N, 1, 8, 8) float tensors in [0, 1]; outputs stay in [0, 1].
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..core.checks import check_int, check_number, check_type

MAX_IMAGES = 100_000


def check_images(name: str, x) -> torch.Tensor:
    """A (N, 1, 8, 8) float tensor of finite pixels in [0, 1], 1 <= N <= 100000."""
    check_type(name, x, torch.Tensor)
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 8, 8):
        raise ValueError(f"{name} must have shape (N, 1, 8, 8); got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a float tensor; got dtype {x.dtype}")
    if not 1 <= x.shape[0] <= MAX_IMAGES:
        raise ValueError(f"{name} must hold 1..{MAX_IMAGES} images; got {x.shape[0]}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must be finite")
    if float(x.min()) < 0.0 or float(x.max()) > 1.0:
        raise ValueError(f"{name} pixels must lie in [0, 1]; got [{float(x.min()):g}, {float(x.max()):g}]")
    return x


def augment(x: torch.Tensor, *, generator: torch.Generator, shift_px: float = 1.0, rotate_deg: float = 12.0,
            scale: float = 0.1, noise: float = 0.05) -> torch.Tensor:
    """One random view of each image.

    x: (N, 1, 8, 8) in [0, 1]. generator: the torch.Generator all randomness comes from.
    shift_px: largest shift in pixels, in [0, 3]. rotate_deg: largest rotation in degrees,
    in [0, 45]. scale: largest relative zoom (zoom in [1 - scale, 1 + scale]), in [0, 0.5].
    noise: std of added Gaussian pixel noise, in [0, 0.5]. Returns (N, 1, 8, 8) in [0, 1].
    """
    x = check_images("x", x)
    check_type("generator", generator, torch.Generator)
    shift_px = check_number("shift_px", shift_px, lo=0.0, hi=3.0)
    rotate_deg = check_number("rotate_deg", rotate_deg, lo=0.0, hi=45.0)
    scale = check_number("scale", scale, lo=0.0, hi=0.5)
    noise = check_number("noise", noise, lo=0.0, hi=0.5)
    n = x.shape[0]

    def uni(lo_hi: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator) * 2 - 1) * lo_hi

    ang = uni(math.radians(rotate_deg))
    zoom = 1.0 + uni(scale)
    # affine_grid maps output coords to input coords in [-1, 1]; one pixel is 2/8 of that range
    tx, ty = uni(shift_px * 2 / 8), uni(shift_px * 2 / 8)
    cos, sin = torch.cos(ang) / zoom, torch.sin(ang) / zoom
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if noise > 0:
        out = out + noise * torch.randn(out.shape, generator=generator, dtype=out.dtype)
    return out.clamp(0.0, 1.0)


def n_views(x: torch.Tensor, k: int, *, generator: torch.Generator, **aug) -> torch.Tensor:
    """k random views of each image: (k, N, 1, 8, 8). k in [1, 16]."""
    k = check_int("k", k, lo=1, hi=16)
    return torch.stack([augment(x, generator=generator, **aug) for _ in range(k)])
