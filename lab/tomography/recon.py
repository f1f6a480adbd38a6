"""Reconstructions from Poisson counts, and the error metrics.

All solvers work on one (8, 16, 16) volume and its counts `y` (from `projector.measure`).
The Poisson negative log-likelihood of a volume x, up to a constant, is
    NLL(x) = Σ_i [ I0 · exp(−(A x)_i) + y_i · (A x)_i ],
and every objective below is divided by I0 for the solver (the minimiser does not change).
The prior weights β and λ are in the NLL's own units (photons), so a fixed prior counts
for less as the photon budget, and with it the information in the data, grows (MAP). Box constraints 0 ≤ x ≤ x_max are the physical
prior; scipy's L-BFGS-B solves each problem with a fixed iteration budget.

* `fbp`: filtered back-projection of −log(y / I0) (scikit-image `iradon`, ramp filter).
* `mle`: argmin NLL(x) over the box, from x = 0.
* `mle_tv`: argmin NLL(x) + β · TV(x) (smoothed isotropic 3-D total variation).
* `refine`: argmin NLL(x) + (λ / 2) · ‖x − g‖², from x = g, with g = G(x_MLE) the generator's
  output: PGAN's output handed back to the likelihood ("PGAN+NLL", our addition; the paper's
  PGAN is g itself, see `evaluate`).

Metrics: BER = fraction of voxels wrong after thresholding the reconstruction at 0.5;
NPCC = −Pearson correlation with the truth (−1 is perfect); RMSE in attenuation units.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from skimage.transform import iradon

from lab.core.checks import check_array, check_int, check_number

from .projector import MAX_ANGLES, angles, n_bins, sinogram, volume_matrix

SHAPE = (8, 16, 16)
MAX_ITER = 2000
TV_EPS = 0.05


def _counts(y, n_angles: int) -> np.ndarray:
    m = n_bins(SHAPE[1])
    return check_array("y", y, ndim=1, shape=(SHAPE[0] * n_angles * m,), lo=0.0, hi=1e12).astype(np.float64)


def _common(y, n_angles, photons, x_max, iters):
    n_angles = check_int("n_angles", n_angles, lo=1, hi=MAX_ANGLES)
    photons = check_number("photons", photons, lo=0.0, hi=1e9, lo_open=True)
    x_max = check_number("x_max", x_max, lo=0.0, hi=10.0, lo_open=True)
    iters = check_int("iters", iters, lo=1, hi=MAX_ITER)
    return _counts(y, n_angles), n_angles, photons, x_max, iters


def nll(x, y, n_angles: int, photons: float) -> tuple[float, np.ndarray]:
    """Poisson NLL / I0 of a volume x (8, 16, 16) and its gradient (same shape)."""
    y, n_angles, photons, _, _ = _common(y, n_angles, photons, 1.0, 1)
    x = check_array("x", x, shape=SHAPE)
    f, g = _nll(x.ravel().astype(np.float64), y, volume_matrix(n_angles, SHAPE), photons)
    return f, g.reshape(SHAPE)


def _nll(x, y, a, photons):
    p = a @ x
    e = np.exp(-p)
    f = float(np.sum(e + (y / photons) * p))
    g = a.T @ (y / photons - e)
    return f, g


@lru_cache(maxsize=1)
def _diffs() -> tuple[sp.csr_matrix, ...]:
    """Forward differences along z, y, x of a SHAPE volume (zero at the far edge)."""
    out = []
    for axis in range(3):
        n = SHAPE[axis]
        d = sp.diags([-np.ones(n), np.ones(n - 1)], [0, 1], shape=(n, n), format="lil")
        d[n - 1, n - 1] = 0.0
        mats = [sp.identity(s, format="csr") for s in SHAPE]
        mats[axis] = d.tocsr()
        out.append(sp.kron(sp.kron(mats[0], mats[1]), mats[2], format="csr"))
    return tuple(out)


def tv(x) -> tuple[float, np.ndarray]:
    """Smoothed isotropic total variation Σ sqrt(|∇x|² + ε²) − ε (ε = 0.05) of an (8, 16, 16)
    volume, and its gradient."""
    x = check_array("x", x, shape=SHAPE)
    f, g = _tv(x.ravel().astype(np.float64))
    return f, g.reshape(SHAPE)


def _tv(x):
    d = _diffs()
    gr = [dk @ x for dk in d]
    s = np.sqrt(gr[0] ** 2 + gr[1] ** 2 + gr[2] ** 2 + TV_EPS ** 2)
    f = float(np.sum(s - TV_EPS))
    g = sum(dk.T @ (gk / s) for dk, gk in zip(d, gr))
    return f, g


def _solve(fun, x0, x_max, iters):
    res = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=[(0.0, x_max)] * x0.size,
                   options=dict(maxiter=iters, maxcor=10, ftol=1e-10, gtol=1e-8))
    return np.clip(res.x, 0.0, x_max).reshape(SHAPE).astype(np.float32)


def mle(y, n_angles: int, photons: float, x_max: float = 1.0, iters: int = 100) -> np.ndarray:
    """Maximum-likelihood volume (8, 16, 16) in [0, x_max], from counts y; iters ≤ 2000."""
    y, n_angles, photons, x_max, iters = _common(y, n_angles, photons, x_max, iters)
    a = volume_matrix(n_angles, SHAPE)
    return _solve(lambda x: _nll(x, y, a, photons), np.zeros(a.shape[1]), x_max, iters)


def mle_tv(y, n_angles: int, photons: float, beta: float, x_max: float = 1.0, iters: int = 100) -> np.ndarray:
    """MLE + β · TV (β ≥ 0 [photons]), from x = 0; (8, 16, 16) in [0, x_max]."""
    y, n_angles, photons, x_max, iters = _common(y, n_angles, photons, x_max, iters)
    beta = check_number("beta", beta, lo=0.0, hi=1e6)
    a = volume_matrix(n_angles, SHAPE)

    def fun(x):
        f1, g1 = _nll(x, y, a, photons)
        f2, g2 = _tv(x)
        return f1 + beta / photons * f2, g1 + beta / photons * g2
    return _solve(fun, np.zeros(a.shape[1]), x_max, iters)


def refine(y, n_angles: int, photons: float, prior, weight: float, x_max: float = 1.0,
           iters: int = 100) -> np.ndarray:
    """PGAN+NLL (our addition): argmin NLL(x) + (weight / 2) · ‖x − prior‖² over the box, started from `prior`
    (the generator's output on the MLE, (8, 16, 16)); weight λ ≥ 0 [photons]."""
    y, n_angles, photons, x_max, iters = _common(y, n_angles, photons, x_max, iters)
    g0 = check_array("prior", prior, shape=SHAPE, lo=-10.0, hi=10.0).ravel().astype(np.float64)
    weight = check_number("weight", weight, lo=0.0, hi=1e6)
    a = volume_matrix(n_angles, SHAPE)

    def fun(x):
        f1, g1 = _nll(x, y, a, photons)
        d = x - g0
        w = weight / photons
        return f1 + 0.5 * w * float(d @ d), g1 + w * d
    return _solve(fun, np.clip(g0, 0.0, x_max), x_max, iters)


def fbp(y, n_angles: int, photons: float) -> np.ndarray:
    """Filtered back-projection (ramp filter, scikit-image iradon) of each slice, (8, 16, 16)."""
    n_angles = check_int("n_angles", n_angles, lo=1, hi=MAX_ANGLES)
    photons = check_number("photons", photons, lo=0.0, hi=1e9, lo_open=True)
    y = _counts(y, n_angles)
    sino = sinogram(y, photons, n_angles, SHAPE)
    th = angles(n_angles)
    out = [iradon(s, theta=th, filter_name="ramp", circle=False, output_size=SHAPE[1]) for s in sino]
    return np.asarray(out, dtype=np.float32)


# ----------------------------------------------------------------------------- metrics
def _pair(x, truth):
    t = check_array("truth", truth, ndim=(3, 4))
    x = check_array("x", x, ndim=(3, 4))
    if x.shape != t.shape:
        raise ValueError(f"x and truth must have the same shape; got {x.shape} and {t.shape}")
    return x.astype(np.float64), t.astype(np.float64)


def ber(x, truth) -> float:
    """Bit error rate: fraction of voxels with (x > 0.5) != (truth > 0.5)."""
    x, t = _pair(x, truth)
    return float(np.mean((x > 0.5) != (t > 0.5)))


def npcc(x, truth) -> float:
    """Negative Pearson correlation of x with the truth (−1 perfect; 0 when either is constant)."""
    x, t = _pair(x, truth)
    xc, tc = x - x.mean(), t - t.mean()
    den = np.sqrt((xc ** 2).sum() * (tc ** 2).sum())
    return float(-(xc * tc).sum() / den) if den > 0 else 0.0


def rmse(x, truth) -> float:
    """Root-mean-square error [attenuation units of one metal voxel]."""
    x, t = _pair(x, truth)
    return float(np.sqrt(np.mean((x - t) ** 2)))
