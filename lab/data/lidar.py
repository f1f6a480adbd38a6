"""LiDAR-like scenes: the voxels of a synthetic spinning-LiDAR sweep of a street with cars
and buildings (notebooks 08 PointAcc and 13 TorchSparse). Nothing is downloaded."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..core.checks import check_int, check_number

if TYPE_CHECKING:  # torch is imported where a scene is made: topics that never make one (06) skip its 2 s import
    import torch

MAX_VOXELS = 1_000_000      # voxels per scene
MAX_RAYS = 1 << 23          # rays per sweep (about 8.4 M: a few GB of temporaries at most)


def lidar_scene(n_voxels: int, seed: int = 0, voxel_size: float = 0.05, n_rings: int = 64,
                extent: float = 40.0) -> torch.Tensor:
    """Voxels of a synthetic spinning-LiDAR sweep: int32 [n_voxels, 4] (0, x, y, z).

    A sensor 1.8 m above a ground plane casts `n_rings` rings (elevation -25 deg to +3 deg;
    doubled until the sweep yields at least `n_voxels` voxels of `voxel_size` metres) at an
    azimuth step scaled with n_voxels; boxes (cars, buildings) occlude the rays. The n_voxels voxels
    nearest to the sensor are kept. Coordinates are shifted to start at 0.

    n_voxels in [10, MAX_VOXELS]; voxel_size in [0.01, 1] m; n_rings in [8, 1024]; extent
    (half-width of the street block) in [10, 200] m. The sweep casts at most MAX_RAYS rays:
    when that many rays do not yield n_voxels voxels (voxels too large for the scene),
    ValueError says so instead of casting on.
    """
    n_voxels = check_int("n_voxels", n_voxels, lo=10, hi=MAX_VOXELS)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    voxel_size = check_number("voxel_size", voxel_size, lo=0.01, hi=1.0)
    n_rings = check_int("n_rings", n_rings, lo=8, hi=1024)
    extent = check_number("extent", extent, lo=10.0, hi=200.0)
    rng = np.random.default_rng(seed)
    c = rng.uniform(-extent, extent, (60, 2))
    c = c[np.hypot(c[:, 0], c[:, 1]) > 6]
    car = rng.random((len(c), 1)) < 0.7
    size = np.where(car, rng.uniform([3.5, 1.6, 1.4], [5, 2, 1.8], (len(c), 3)),
                    rng.uniform([5, 5, 4], [15, 15, 12], (len(c), 3)))
    lo = np.c_[c - size[:, :2] / 2, np.zeros(len(c))]
    hi = np.c_[c + size[:, :2] / 2, size[:, 2]]
    origin = np.array([0.0, 0.0, 1.8])
    n_az = max(256, int(n_voxels / n_rings * 2))
    vc = np.zeros((0, 3), dtype=np.int64)
    for _ in range(8):
        if n_rings * n_az > MAX_RAYS:
            raise ValueError(f"n_voxels={n_voxels} voxels of voxel_size={voxel_size:g} m: a sweep of {MAX_RAYS} rays "
                             f"yields only {len(vc)} voxels of this scene (use smaller voxels or fewer voxels)")
        el = np.deg2rad(np.linspace(-25, 3, n_rings))
        az = np.linspace(0, 2 * np.pi, n_az, endpoint=False) + rng.uniform(0, 2 * np.pi / n_az)
        E, A = np.meshgrid(el, az, indexing="ij")
        d = np.stack([np.cos(E) * np.cos(A), np.cos(E) * np.sin(A), np.sin(E)], -1).reshape(-1, 3)
        t = np.full(len(d), np.inf)
        down = d[:, 2] < 0
        t[down] = -origin[2] / d[down, 2]
        inv = 1.0 / np.where(d == 0, 1e-12, d)
        for bl, bh in zip(lo, hi):
            t1, t2 = (bl - origin) * inv, (bh - origin) * inv
            tn, tf = np.minimum(t1, t2).max(1), np.maximum(t1, t2).min(1)
            t = np.where((tf >= tn) & (tn > 0) & (tn < t), tn, t)
        ok = np.isfinite(t)
        p = origin + d[ok] * t[ok, None]
        p = p[(np.abs(p[:, 0]) < extent) & (np.abs(p[:, 1]) < extent)]
        vc = np.unique(np.floor(p / voxel_size).astype(np.int64), axis=0)  # voxels sorted by (x, y, z)
        if len(vc) >= n_voxels:
            break
        n_rings *= 2  # the 5 cm rings saturate: denser elevations add new rings
    else:
        raise ValueError(f"n_voxels={n_voxels} voxels of voxel_size={voxel_size:g} m: the sweep yields only "
                         f"{len(vc)} voxels of this scene")
    dist = np.linalg.norm((vc + 0.5) * voxel_size - origin, axis=1)
    vc = vc[np.argsort(dist, kind="stable")[:n_voxels]]
    vc = vc - vc.min(0)
    out = np.zeros((len(vc), 4), dtype=np.int32)
    out[:, 1:] = vc
    import torch

    return torch.from_numpy(out)
