"""Density models: how many nonzeros an aligned tile of a tensor holds.

* `Uniform(density)`: nonzeros placed uniformly at random, exactly round(density * size)
  of them. The occupancy of a tile of t elements is hypergeometric
  (`scipy.stats.hypergeom(size, nnz, t)`), which gives its expectation, the chance it is
  empty and a quantile (the capacity a buffer needs to hold the tile that often).
* `FixedStructured(n, m)`: n nonzeros in every aligned group of m along the inner rank
  (2:4 is NVIDIA's structured sparsity); a tile whose inner extent is a multiple of m
  holds exactly r * c * n / m.
* `Banded(half_width)`: a matrix with A[i, j] != 0 iff |i - j| <= half_width. The
  occupancy depends on the tile's position; the distribution is over all aligned tiles.

Each model also samples a tensor (`sample`), for the simulator and the Monte Carlo tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from functools import lru_cache

from scipy import stats
from scipy.special import gammaln

from ..core.checks import check_int, check_number, check_type

MAX_ELEMS = 1 << 26


def _shape(name, shape) -> tuple:
    if not isinstance(shape, tuple) or not 1 <= len(shape) <= 6:
        raise TypeError(f"{name} must be a tuple of 1..6 positive ints; got {shape!r}")
    shape = tuple(check_int(name, s, lo=1, hi=1 << 16) for s in shape)
    if int(np.prod(shape, dtype=np.int64)) > MAX_ELEMS:
        raise ValueError(f"{name} must hold at most {MAX_ELEMS} elements; got {shape}")
    return shape


def _tile(shape, tile) -> tuple:
    shape, tile = _shape("shape", shape), _shape("tile", tile)
    if len(tile) != len(shape) or any(t > s for t, s in zip(tile, shape)):
        raise ValueError(f"tile must have one extent per rank, each <= the shape {shape}; got {tile}")
    return shape, tile


def check_tile(shape, tile) -> tuple[tuple, tuple]:
    """(shape, tile) as tuples of ints, the tile no larger than the shape in any rank."""
    conv = (lambda v: tuple(v) if isinstance(v, list) else v)
    return _tile(conv(shape), conv(tile))


class DensityModel:
    """The shared part: statistics of the tile-occupancy distribution `tile_pmf`."""

    def tile_pmf(self, shape: tuple, tile: tuple) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    def expected(self, shape: tuple, tile: tuple) -> float:
        """Expected nonzeros in one aligned tile (elements)."""
        k, p = self.tile_pmf(shape, tile)
        return float(np.dot(k, p))

    def prob_empty(self, shape: tuple, tile: tuple) -> float:
        """Probability that a tile holds no nonzero."""
        k, p = self.tile_pmf(shape, tile)
        return float(p[k == 0].sum())

    def quantile(self, shape: tuple, tile: tuple, q: float) -> int:
        """The smallest occupancy c with P(nnz <= c) >= q (e.g. the buffer capacity, in
        elements, that holds the tile with probability q)."""
        q = check_number("q", q, lo=0.0, hi=1.0)
        k, p = self.tile_pmf(shape, tile)
        cdf = np.cumsum(p)
        return int(k[min(int(np.searchsorted(cdf, q - 1e-12)), len(k) - 1)])


@dataclass(frozen=True)
class Uniform(DensityModel):
    density: float

    def __post_init__(self):
        check_number("density", self.density, lo=0.0, hi=1.0)

    def nnz(self, shape: tuple) -> int:
        return int(round(self.density * int(np.prod(_shape("shape", shape)))))

    def tile_pmf(self, shape, tile):
        shape, tile = _tile(shape, tile)
        total, t = int(np.prod(shape)), int(np.prod(tile))
        k = np.arange(0, t + 1)
        p = hypergeom_pmf(total, self.nnz(shape), t)
        return k, p

    def sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
        """A float array of `shape` with exactly nnz(shape) nonzeros ~ N(0, 1) (never 0)."""
        shape = _shape("shape", shape)
        check_type("rng", rng, np.random.Generator)
        total = int(np.prod(shape))
        x = np.zeros(total)
        idx = rng.choice(total, size=self.nnz(shape), replace=False)
        x[idx] = _values(rng, len(idx))
        return x.reshape(shape)


@dataclass(frozen=True)
class FixedStructured(DensityModel):
    n: int
    m: int

    def __post_init__(self):
        check_int("m", self.m, lo=1, hi=1 << 12)
        check_int("n", self.n, lo=0, hi=self.m)

    @property
    def density(self) -> float:
        return self.n / self.m

    def tile_pmf(self, shape, tile):
        shape, tile = _tile(shape, tile)
        if shape[-1] % self.m:
            raise ValueError(f"shape's inner extent must be a multiple of m={self.m}; got {shape}")
        c, r = tile[-1], int(np.prod(tile[:-1]))
        if c % self.m == 0:
            return np.array([r * c * self.n // self.m]), np.array([1.0])
        if self.m % c:
            raise ValueError(f"tile's inner extent must divide or be a multiple of m={self.m}; got {tile}")
        k1 = np.arange(0, c + 1)
        p1 = stats.hypergeom(self.m, self.n, c).pmf(k1)
        p = np.array([1.0])
        for _ in range(r):
            p = np.convolve(p, p1)
        k = np.arange(len(p))
        return k, p / p.sum()

    def sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
        shape = _shape("shape", shape)
        check_type("rng", rng, np.random.Generator)
        if shape[-1] % self.m:
            raise ValueError(f"shape's inner extent must be a multiple of m={self.m}; got {shape}")
        groups = int(np.prod(shape)) // self.m
        keys = rng.random((groups, self.m))
        mask = np.argsort(np.argsort(keys, axis=1), axis=1) < self.n
        x = np.where(mask, _values(rng, mask.size).reshape(mask.shape), 0.0)
        return x.reshape(shape)


@dataclass(frozen=True)
class Banded(DensityModel):
    half_width: int

    def __post_init__(self):
        check_int("half_width", self.half_width, lo=0, hi=1 << 16)

    def mask(self, shape: tuple) -> np.ndarray:
        shape = _shape("shape", shape)
        if len(shape) != 2:
            raise ValueError(f"shape must be 2-D for a banded matrix; got {shape}")
        i, j = np.indices(shape)
        return np.abs(i - j) <= self.half_width

    def density_of(self, shape: tuple) -> float:
        return float(self.mask(shape).mean())

    def tile_pmf(self, shape, tile):
        shape, tile = _tile(shape, tile)
        m = self.mask(shape)
        r, c = tile
        rr, cc = shape[0] // r, shape[1] // c
        counts = m[:rr * r, :cc * c].reshape(rr, r, cc, c).sum(axis=(1, 3)).ravel()
        k = np.arange(0, r * c + 1)
        p = np.bincount(counts, minlength=r * c + 1).astype(float)
        return k, p / p.sum()

    def sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
        check_type("rng", rng, np.random.Generator)
        m = self.mask(shape)
        return np.where(m, _values(rng, m.size).reshape(m.shape), 0.0)


@lru_cache(maxsize=512)
def _hypergeom_pmf(total: int, good: int, draws: int) -> np.ndarray:
    k = np.arange(0, draws + 1, dtype=float)
    ok = (k <= good) & (draws - k <= total - good)
    kk = np.where(ok, k, 0.0)

    def lc(n, r):
        return gammaln(n + 1) - gammaln(r + 1) - gammaln(n - r + 1)
    lp = lc(good, kk) + lc(total - good, draws - kk) - lc(total, draws)
    p = np.where(ok, np.exp(lp), 0.0)
    p = p / p.sum()
    p.setflags(write=False)
    return p


def hypergeom_pmf(total: int, good: int, draws: int) -> np.ndarray:
    """P(k of `draws` elements drawn without replacement from `total`, of which `good` are
    nonzero, are nonzero), k = 0..draws: the hypergeometric pmf (scipy.stats.hypergeom's,
    computed with log-gamma and cached, as the model calls it often; tests compare them)."""
    total = check_int("total", total, lo=1, hi=MAX_ELEMS)
    good = check_int("good", good, lo=0, hi=total)
    draws = check_int("draws", draws, lo=0, hi=total)
    return _hypergeom_pmf(total, good, draws)


def _values(rng, n):
    v = rng.standard_normal(n)
    v[v == 0] = 1.0
    return v
