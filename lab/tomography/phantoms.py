"""Test objects: CircuitFaker integrated circuits and an i.i.d. control family.

CircuitFaker (the rules of the authors' `circuitFaker.py`, `getCircuitFromSeed`, written
anew and vectorised): a seed grid of 4 x 8 x 8 (z, y, x) is doubled to 8 x 16 x 16 voxels.
Seeds sit on the even voxels (2k, 2j, 2i) and are on with probability `p_seed` = 0.75.
The odd voxel 2k+1 after seed k along an axis holds a wire when seeds k−1 and k are both
on (k−1 taken cyclically, as the authors' `np.roll` by one), with probability `p_via` = 0.5
along z (a via) and `p_wire` = 0.8 in-plane, along x on even seed layers and along y on
odd ones (layers alternate X and Y). So every odd plane, the last one included, can hold
metal, and a wire need not end on an on-seed. Voxels are 1 (metal) or 0 (background).
The random draws are ours (one vectorised draw per wire direction), not theirs.

The control objects have no spatial correlation: i.i.d. Bernoulli voxels with the same
fill fraction. Shapes: (n, 8, 16, 16) float32 arrays of 0 and 1.
"""
from __future__ import annotations

import numpy as np

from lab.core.checks import check_int, check_number

SHAPE = (8, 16, 16)
MAX_OBJECTS = 100_000


def circuit_faker(n: int, seed: int, p_seed: float = 0.75, p_via: float = 0.5,
                  p_wire: float = 0.8) -> np.ndarray:
    """`n` CircuitFaker objects, (n, 8, 16, 16) float32 in {0, 1}; n in [1, 100000]."""
    n = check_int("n", n, lo=1, hi=MAX_OBJECTS)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    p_seed = check_number("p_seed", p_seed, lo=0.0, hi=1.0)
    p_via = check_number("p_via", p_via, lo=0.0, hi=1.0)
    p_wire = check_number("p_wire", p_wire, lo=0.0, hi=1.0)
    rng = np.random.default_rng(seed)
    gz, gy, gx = SHAPE[0] // 2, SHAPE[1] // 2, SHAPE[2] // 2
    seeds = rng.random((n, gz, gy, gx)) < p_seed
    vox = np.zeros((n,) + SHAPE, dtype=bool)
    vox[:, 0::2, 0::2, 0::2] = seeds
    # a wire at odd index 2k+1 of an axis when seeds k-1 (cyclically) and k are on
    mask = [seeds & np.roll(seeds, 1, axis=ax) for ax in (1, 2, 3)]
    via = mask[0] & (rng.random((n, gz, gy, gx)) < p_via)
    vox[:, 1::2, 0::2, 0::2] = via
    # in-plane wires: along x on even seed layers, along y on odd ones
    wx = mask[2] & (rng.random((n, gz, gy, gx)) < p_wire)
    wy = mask[1] & (rng.random((n, gz, gy, gx)) < p_wire)
    layer_x = (np.arange(gz) % 2 == 0)
    vox[:, 0::2, 0::2, 1::2] = wx & layer_x[None, :, None, None]
    vox[:, 0::2, 1::2, 0::2] = wy & ~layer_x[None, :, None, None]
    return vox.astype(np.float32)


def expected_fill(p_seed: float = 0.75, p_via: float = 0.5, p_wire: float = 0.8) -> float:
    """The expected fraction of metal voxels of CircuitFaker objects (exact, from the model)."""
    p_seed = check_number("p_seed", p_seed, lo=0.0, hi=1.0)
    p_via = check_number("p_via", p_via, lo=0.0, hi=1.0)
    p_wire = check_number("p_wire", p_wire, lo=0.0, hi=1.0)
    gz, gy, gx = SHAPE[0] // 2, SHAPE[1] // 2, SHAPE[2] // 2
    pair = p_seed ** 2
    n_seed = gz * gy * gx * p_seed
    n_via = gz * gy * gx * pair * p_via                   # one wire site per seed and axis (cyclic)
    n_x = (gz + 1) // 2 * gy * gx * pair * p_wire          # even layers route along x
    n_y = gz // 2 * gy * gx * pair * p_wire                # odd layers route along y
    return float((n_seed + n_via + n_x + n_y) / np.prod(SHAPE))


def iid_objects(n: int, seed: int, fill: float | None = None) -> np.ndarray:
    """`n` control objects with i.i.d. Bernoulli(fill) voxels, (n, 8, 16, 16) float32 in {0, 1}.
    fill in [0, 1]; default the CircuitFaker fill fraction (`expected_fill()`)."""
    n = check_int("n", n, lo=1, hi=MAX_OBJECTS)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    fill = expected_fill() if fill is None else check_number("fill", fill, lo=0.0, hi=1.0)
    rng = np.random.default_rng(seed)
    return (rng.random((n,) + SHAPE) < fill).astype(np.float32)
