"""Parallel-beam projector and the Beer-Lambert / Poisson measurement.

The rotation axis is z: each of the volume's z-slices (size x size voxels) is projected
on its own, at `n_angles` angles spread evenly over [0°, 180°). The system matrix of one
slice is built as scikit-image's `radon(circle=False)` computes its sinogram (rotate the
slice, padded to its diagonal, with bilinear interpolation, and sum the columns), so
`system_matrix(size, theta) @ image.ravel()` equals `radon(image, theta, circle=False)`
flattened in (angle, detector bin) order; `tests/test_tomography.py` checks this. Units:
voxel values are attenuation coefficients in units of `mu` per voxel length, line
integrals are in voxel lengths times `mu` (dimensionless optical depth).

Measurement: y ~ Poisson(I0 · exp(−mu · A x)), I0 the photons per ray.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from lab.core.checks import check_array, check_int, check_number

MAX_ANGLES = 180
MAX_SIZE = 64
MU = 0.3          # optical depth of one metal voxel (attenuation x voxel length)


def angles(n_angles: int) -> np.ndarray:
    """`n_angles` projection angles in degrees, evenly over [0, 180); n_angles in [1, 180]."""
    n_angles = check_int("n_angles", n_angles, lo=1, hi=MAX_ANGLES)
    return np.arange(n_angles) * (180.0 / n_angles)


def n_bins(size: int) -> int:
    """Detector bins per angle for a size x size slice: the padded diagonal of radon(circle=False)."""
    size = check_int("size", size, lo=2, hi=MAX_SIZE)
    return int(size + int(np.ceil(np.sqrt(2) * size - size)))


@lru_cache(maxsize=64)
def _slice_matrix(size: int, theta: tuple[float, ...]) -> sp.csr_matrix:
    m = n_bins(size)
    pad = m - size
    before = m // 2 - size // 2             # where the image sits in the padded square
    center = m // 2
    r, c = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")    # output row (summed), column (bin)
    rows, cols, vals = [], [], []
    for k, ang in enumerate(np.deg2rad(theta)):
        ca, sa = np.cos(ang), np.sin(ang)
        # inverse map of the rotation, as skimage.transform.radon applies it with warp
        src_c = ca * (c - center) + sa * (r - center) + center - before
        src_r = -sa * (c - center) + ca * (r - center) + center - before
        c0, r0 = np.floor(src_c).astype(int), np.floor(src_r).astype(int)
        fc, fr = src_c - c0, src_r - r0
        for dr, dc, w in ((0, 0, (1 - fr) * (1 - fc)), (0, 1, (1 - fr) * fc),
                          (1, 0, fr * (1 - fc)), (1, 1, fr * fc)):
            rr, cc = r0 + dr, c0 + dc
            ok = (rr >= 0) & (rr < size) & (cc >= 0) & (cc < size) & (w > 1e-12)
            rows.append((k * m + c)[ok])
            cols.append((rr * size + cc)[ok])
            vals.append(w[ok])
    del pad
    a = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(len(theta) * m, size * size)).tocsr()
    a.sum_duplicates()
    return a


def system_matrix(size: int, theta) -> sp.csr_matrix:
    """Sparse (n_angles · n_bins, size²) matrix of one slice: ray sums in voxel lengths.
    size in [2, 64]; theta: 1-D array of angles in degrees (1 to 180 of them)."""
    size = check_int("size", size, lo=2, hi=MAX_SIZE)
    theta = check_array("theta", theta, ndim=1, dtype_kind="fiu", lo=-360.0, hi=360.0)
    if len(theta) > MAX_ANGLES:
        raise ValueError(f"theta must hold at most {MAX_ANGLES} angles; got {len(theta)}")
    return _slice_matrix(size, tuple(float(t) for t in theta))


def volume_matrix(n_angles: int, shape: tuple[int, int, int] = (8, 16, 16)) -> sp.csr_matrix:
    """Block-diagonal system matrix of a (nz, size, size) volume, slice by slice:
    (nz · n_angles · n_bins, nz · size²), scaled by `MU` (so A @ x is an optical depth)."""
    n_angles = check_int("n_angles", n_angles, lo=1, hi=MAX_ANGLES)
    if not (isinstance(shape, tuple) and len(shape) == 3 and all(isinstance(s, int) for s in shape)):
        raise TypeError(f"shape must be a tuple of three ints (nz, size, size); got {shape!r}")
    nz, ny, nx = shape
    check_int("shape[0]", nz, lo=1, hi=MAX_SIZE)
    check_int("shape[1]", ny, lo=2, hi=MAX_SIZE)
    if ny != nx:
        raise ValueError(f"shape must have square slices (size, size); got {shape}")
    return _volume_matrix(n_angles, shape)


@lru_cache(maxsize=32)
def _volume_matrix(n_angles: int, shape: tuple[int, int, int]) -> sp.csr_matrix:
    a = system_matrix(shape[1], angles(n_angles))
    return (sp.kron(sp.identity(shape[0], format="csr"), a, format="csr") * MU).tocsr()


def check_conds(name: str, conds) -> np.ndarray:
    """conds as an (n, 2) array of (n_angles, photons) rows: n_angles a whole number in 1..MAX_ANGLES (180), photons
    per ray in (0, 1e9] (raises naming `name` and the row otherwise)."""
    c = check_array(name, conds, shape=(None, 2), lo=0.0, hi=1e9)
    if len(c) == 0:
        raise ValueError(f"{name} must hold at least one (n_angles, photons) condition")
    for i, (na, ph) in enumerate(c):
        if na != int(na) or not 1 <= na <= MAX_ANGLES:
            raise ValueError(f"{name}[{i}]: n_angles must be a whole number in 1..{MAX_ANGLES}; got {na:g}")
        if not ph > 0:
            raise ValueError(f"{name}[{i}]: photons must be in (0, 1e9]; got {ph:g}")
    return c


def measure(volume, n_angles: int, photons: float, seed: int) -> np.ndarray:
    """Poisson photon counts y ~ Poisson(I0 · exp(−A x)) of one (8, 16, 16) volume:
    float64 array of nz · n_angles · n_bins counts. photons (I0 per ray) in (0, 1e9]."""
    x = check_array("volume", volume, ndim=3, lo=0.0, hi=10.0)
    if x.shape[1] != x.shape[2] or not 2 <= x.shape[1] <= MAX_SIZE or not 1 <= x.shape[0] <= MAX_SIZE:
        raise ValueError(f"volume must have shape (nz, size, size) with square slices, 1 ≤ nz ≤ {MAX_SIZE}, "
                         f"2 ≤ size ≤ {MAX_SIZE}; got {x.shape}")
    n_angles = check_int("n_angles", n_angles, lo=1, hi=MAX_ANGLES)
    photons = check_number("photons", photons, lo=0.0, hi=1e9, lo_open=True)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    a = volume_matrix(n_angles, tuple(int(s) for s in x.shape))
    rate = photons * np.exp(-(a @ x.astype(np.float64).ravel()))
    return np.random.default_rng(seed).poisson(rate).astype(np.float64)


def sinogram(counts, photons: float, n_angles: int, shape: tuple[int, int, int] = (8, 16, 16)) -> np.ndarray:
    """Line integrals −log(y / I0) / MU [voxel lengths] as (nz, n_bins, n_angles) sinograms
    (radon's layout); zero counts are replaced by 0.5 before the log."""
    photons = check_number("photons", photons, lo=0.0, hi=1e9, lo_open=True)
    n_angles = check_int("n_angles", n_angles, lo=1, hi=MAX_ANGLES)
    if not (isinstance(shape, tuple) and len(shape) == 3 and all(isinstance(s, int) for s in shape)):
        raise TypeError(f"shape must be a tuple of three ints (nz, size, size); got {shape!r}")
    nz, size = check_int("shape[0]", shape[0], lo=1, hi=MAX_SIZE), check_int("shape[1]", shape[1], lo=2, hi=MAX_SIZE)
    if shape[2] != size:
        raise ValueError(f"shape must have square slices (nz, size, size); got {shape}")
    m = n_bins(size)
    y = check_array("counts", counts, ndim=1, shape=(nz * n_angles * m,), lo=0.0)
    p = -np.log(np.maximum(y, 0.5) / photons) / MU
    return p.reshape(nz, n_angles, m).transpose(0, 2, 1)
