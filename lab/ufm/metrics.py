"""Metrics of notebooks/11_ufm.ipynb (Uncertainty from Motion, Sudhakar et al., ICRA 2022): Gaussian NLL,
RMSE, the calibration curve and its expected error, and the delta1 calibration of predicted depths against the
true depth.
"""
from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from ..core.checks import check_array, check_int, check_number


CONFIDENCE_LEVELS = tuple(np.round(np.linspace(0.05, 0.95, 19), 2))


# ---------------------------------------------------------------- metrics

def _flat(pred, var, target, mask):
    pred = check_array("pred", pred, ndim=(1, 2, 3), lo=0.0)
    var = check_array("var", var, lo=0.0)
    target = check_array("target", target)
    if mask is None:
        mask = target > 0
    mask = check_array("mask", mask, dtype_kind="b")
    for name, a in (("var", var), ("target", target), ("mask", mask)):
        if a.shape != pred.shape:
            raise ValueError(f"{name} must have the shape of pred {pred.shape}; got {a.shape}")
    if not mask.any():
        raise ValueError("mask must select at least one pixel (target > 0 somewhere)")
    return pred[mask].astype(np.float64), np.maximum(var[mask], 1e-12), target[mask].astype(np.float64)


def gaussian_nll(pred, var, target, mask=None) -> float:
    """Mean Gaussian negative log-likelihood [nats/pixel] of target under N(pred, var),
    over mask (default: target > 0)."""
    mu, v, y = _flat(pred, var, target, mask)
    return float(np.mean(0.5 * np.log(2 * np.pi * v) + 0.5 * (y - mu) ** 2 / v))


def rmse(pred, target, mask=None) -> float:
    """Root-mean-square depth error [m] over mask (default: target > 0)."""
    p = check_array("pred", pred, ndim=(1, 2, 3), lo=0.0)
    mu, _, y = _flat(p, np.ones(p.shape), target, mask)
    return float(np.sqrt(np.mean((y - mu) ** 2)))


def calibration_curve(pred, var, target, mask=None, levels=CONFIDENCE_LEVELS) -> tuple[np.ndarray, np.ndarray]:
    """For each confidence level p: the fraction of pixels whose target lies in the
    central p-interval of N(pred, var). A calibrated model gives the diagonal.
    Returns (levels [L], observed fractions [L])."""
    mu, v, y = _flat(pred, var, target, mask)
    levels = check_array("levels", levels, ndim=1, lo=1e-6, hi=1 - 1e-6)
    zabs = np.abs(y - mu) / np.sqrt(v)
    half = ndtri(0.5 + levels / 2.0)
    return levels.astype(np.float64), (zabs[None, :] <= half[:, None]).mean(axis=1)


def expected_calibration_error(pred, var, target, mask=None, levels=CONFIDENCE_LEVELS) -> float:
    """Mean |observed − expected| coverage over the confidence levels (0 = calibrated)."""
    lv, obs = calibration_curve(pred, var, target, mask, levels)
    return float(np.mean(np.abs(obs - lv)))


def delta1_calibration(pred, var, target, mask=None, delta: float = 0.25, n_bins: int = 100,
                       eps: float = 1e-7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The authors' calibration curve (mit-lean/uncertainty_calibration): δ1 accuracy against
    confidence. Per pixel, accuracy is 1 when (1 − δ)·target ≤ pred ≤ (1 + δ)·target, and
    confidence is the probability N(pred, var + eps) gives to [(1 − δ)·pred, (1 + δ)·pred].
    Confidences are cut into `n_bins` equal bins between their smallest and largest value.
    Returns (bin mid-points [B], mean accuracy per bin [B], pixels per bin [B]) for the
    non-empty bins. delta in (0, 1); n_bins in [1, 10000]."""
    from scipy.stats import norm

    mu, v, y = _flat(pred, var, target, mask)
    delta = check_number("delta", delta, lo=0.0, lo_open=True, hi=1.0, hi_open=True)
    n_bins = check_int("n_bins", n_bins, lo=1, hi=10_000)
    eps = check_number("eps", eps, lo=0.0, hi=1.0)
    acc = ((mu >= (1.0 - delta) * y) & (mu <= (1.0 + delta) * y)).astype(np.float64)
    conf = 2.0 * norm.cdf(delta * np.abs(mu) / np.sqrt(v + eps)) - 1.0
    lo, hi = float(conf.min()), float(conf.max())
    width = (hi - lo) / n_bins
    if width <= 0:
        return np.array([lo]), np.array([acc.mean()]), np.array([len(acc)])
    # bin i holds (lo + i·width, lo + (i+1)·width]; the first bin also holds lo itself
    idx = np.clip(np.ceil((conf - lo) / width).astype(np.int64) - 1, 0, n_bins - 1)
    counts = np.bincount(idx, minlength=n_bins)
    sums = np.bincount(idx, weights=acc, minlength=n_bins)
    keep = counts > 0
    mids = lo + (np.arange(n_bins) + 0.5) * width
    return mids[keep], sums[keep] / counts[keep], counts[keep]


def delta1_calibration_error(pred, var, target, mask=None, delta: float = 0.25, n_bins: int = 100) -> float:
    """The authors' expected calibration error: Σ over bins of (pixels in bin / pixels) ·
    |bin mid-point confidence − mean δ1 accuracy in the bin| (see `delta1_calibration`)."""
    mids, acc, counts = delta1_calibration(pred, var, target, mask, delta, n_bins)
    return float(np.sum(counts / counts.sum() * np.abs(mids - acc)))
