"""The Gaussian mixture type, depth re-rendered from a mixture, and its error: how the SPGF
notebook (notebooks/06_spgf.ipynb) scores SPGF, EM and NDT alike.

A pixel's ray r(t) = t·d, d = ((u − cx)/fx, (v − cy)/fy, 1), meets component k's density
most densely at t* = dᵀPμ / dᵀPd (P = Σ⁻¹), where its squared Mahalanobis distance is
m² = μᵀPμ − (dᵀPμ)²/dᵀPd. The pixel goes to the component with the smallest m² (if
m ≤ `bound`), and its depth is that t* (d has unit z, so t* is a depth): `render_depth`.

First-surface ray casting (`raycast_depth`) instead gives each pixel the depth where its
ray first enters any component's n-sigma ellipsoid (closed form, from the same quadratic),
so a nearer component occludes a farther one as a surface would. `depth_edges` marks depth
discontinuities of an image and `error_split` splits a rendering's squared error at them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

from ..core.checks import check_array, check_int, check_number, check_type
from ..data.scenes import Intrinsics


@dataclass
class GMM:
    """A Gaussian mixture over camera-frame 3D points (metres).

    means [K,3], covariances [K,3,3] (m²), weights [K] (sum 1), support [K] (pixels per
    Gaussian). `stats` holds what the fit measured (state bytes, counts, seconds)."""

    means: np.ndarray
    covariances: np.ndarray
    weights: np.ndarray
    support: np.ndarray
    stats: dict = field(default_factory=dict)

    def __post_init__(self):
        self.means = check_array("means", self.means, shape=(None, 3), min_size=0)
        k = self.means.shape[0]
        self.covariances = check_array("covariances", self.covariances, shape=(None, 3, 3), min_size=0)
        self.weights = check_array("weights", self.weights, ndim=1, lo=0.0, min_size=0)
        self.support = check_array("support", self.support, ndim=1, dtype_kind="iu", lo=0, min_size=0)
        for name in ("covariances", "weights", "support"):
            if len(getattr(self, name)) != k:
                raise ValueError(f"{name} must hold one entry per row of means ({k}); got {len(getattr(self, name))}")
        check_type("stats", self.stats, dict)

    def __len__(self) -> int:
        return int(len(self.weights))


@numba.njit(cache=True)
def _has_negative(d):
    for v in range(d.shape[0]):
        for u in range(d.shape[1]):
            if d[v, u] < 0:
                return True
    return False


def check_depth(depth, intrinsics) -> np.ndarray:
    """The depth image as contiguous float32, checked without image-sized temporaries
    (so that the memory SPGF is measured with is its own)."""
    check_type("intrinsics", intrinsics, Intrinsics)
    if not isinstance(depth, np.ndarray):
        depth = check_array("depth_m", depth, ndim=2, allow_nan=True, finite=False)
    if depth.dtype.kind not in "fiu":
        raise TypeError(f"depth_m must be a numeric array; got dtype {depth.dtype}")
    if depth.shape != intrinsics.shape:
        raise ValueError(f"depth_m must have shape {intrinsics.shape} (height, width of the intrinsics); "
                         f"got {depth.shape}")
    d = np.ascontiguousarray(depth, dtype=np.float32)
    if _has_negative(d):
        raise ValueError("depth_m values must be >= 0 metres (0, NaN or inf = no measurement)")
    return d


@numba.njit(cache=True)
def _render(prec, mu_p_mu, muP, boxes, fx, fy, cx, cy, H, W, bound2, out_z, out_score):
    for k in range(prec.shape[0]):
        u0, u1, v0, v1 = boxes[k, 0], boxes[k, 1], boxes[k, 2], boxes[k, 3]
        P = prec[k]
        for v in range(v0, v1):
            dy = (v - cy) / fy
            for u in range(u0, u1):
                dx = (u - cx) / fx
                # ray r(t) = t·d with d = (dx, dy, 1): t* = dᵀPμ / dᵀPd, the densest point
                a = (P[0, 0] * dx * dx + P[1, 1] * dy * dy + P[2, 2]
                     + 2 * (P[0, 1] * dx * dy + P[0, 2] * dx + P[1, 2] * dy))
                b = muP[k, 0] * dx + muP[k, 1] * dy + muP[k, 2]
                if a <= 0:
                    continue
                t = b / a
                m2 = mu_p_mu[k] - b * b / a
                if t <= 0 or m2 > bound2:
                    continue
                if m2 < out_score[v, u]:            # the component the ray passes closest to
                    out_score[v, u] = m2
                    out_z[v, u] = t


def _check_gmm(gmm) -> GMM:
    check_type("gmm", gmm, GMM)
    check_array("gmm.means", gmm.means, ndim=2, min_size=0)
    return gmm


def _precisions(gmm: GMM, reg: float):
    """Regularised covariances Σ + reg·I [K,3,3], precisions P [K,3,3], μᵀP [K,3] and μᵀPμ [K]."""
    cov = gmm.covariances + reg * np.eye(3)
    try:
        prec = np.linalg.inv(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"reg = {reg:g} m² leaves a singular covariance in gmm (a planar Gaussian); "
                         "use reg > 0, e.g. 1e-6") from None
    if not np.all(np.isfinite(prec)):
        raise ValueError(f"reg = {reg:g} m² leaves a nearly singular covariance in gmm; use a larger reg")
    muP = np.einsum("ki,kij->kj", gmm.means, prec)
    return cov, prec, muP, np.einsum("ki,ki->k", muP, gmm.means)


def _boxes(mu, cov, bound, intr) -> np.ndarray:
    """Pixel boxes [K,4] (u0, u1, v0, v1; end-exclusive, int64) holding the image of each
    component's `bound`-sigma ellipsoid: the projected corners of the box spanned by its
    semi-axes (the whole image when a corner lies at z <= 0.05 m)."""
    H, W = intr.shape
    lam, vec = np.linalg.eigh(cov)
    axes = vec * (bound * np.sqrt(np.maximum(lam, 0)))[:, None, :]          # [K,3,3], columns = semi-axes
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)
    corners = mu[:, None, :] + np.einsum("cj,kij->kci", signs, axes)          # [K,8,3]
    z = corners[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = intr.fx * corners[..., 0] / z + intr.cx
        v = intr.fy * corners[..., 1] / z + intr.cy
    behind = (z <= 0.05).any(axis=1)
    boxes = np.stack([np.floor(u.min(1)), np.ceil(u.max(1)) + 1, np.floor(v.min(1)), np.ceil(v.max(1)) + 1], 1)
    boxes[behind] = [0, W, 0, H]
    boxes = np.nan_to_num(boxes, nan=0.0)
    boxes[:, 0:2] = np.clip(boxes[:, 0:2], 0, W)
    boxes[:, 2:4] = np.clip(boxes[:, 2:4], 0, H)
    return boxes.astype(np.int64)


def render_depth(gmm: GMM, intrinsics: Intrinsics, shape: tuple[int, int] | None = None,
                 bound: float = 3.0, reg: float = 1e-6) -> np.ndarray:
    """Depth image [H,W] in metres re-rendered from the mixture. Each pixel's ray is given
    to the component it passes closest to in Mahalanobis units (if within `bound`), and
    the depth is that component's densest point on the ray; 0 where no component is
    within `bound`. `reg` (m²) is added
    to each covariance's diagonal (planar Gaussians are nearly singular)."""
    _check_gmm(gmm)
    check_type("intrinsics", intrinsics, Intrinsics)
    if shape is not None and (isinstance(shape, (str, bytes)) or not isinstance(shape, (tuple, list))
                              or len(shape) != 2):
        raise TypeError(f"shape must be None or the (height, width) of the intrinsics {intrinsics.shape}; got {shape!r}")
    H, W = intrinsics.shape if shape is None else (check_int("shape", shape[0], lo=1, hi=100_000),
                                                   check_int("shape", shape[1], lo=1, hi=100_000))
    if (H, W) != intrinsics.shape:
        raise ValueError(f"shape must equal the intrinsics' (height, width) {intrinsics.shape}; got {(H, W)}")
    bound = check_number("bound", bound, lo=0.0, lo_open=True, hi=100.0)
    reg = check_number("reg", reg, lo=0.0, hi=1.0)
    out_z = np.zeros((H, W))
    score = np.full((H, W), np.inf)
    K = len(gmm)
    if K == 0:
        return out_z.astype(np.float32)
    cov, prec, muP, mu_p_mu = _precisions(gmm, reg)
    boxes = _boxes(gmm.means, cov, bound, intrinsics)
    _render(prec, mu_p_mu, muP, boxes, intrinsics.fx, intrinsics.fy, intrinsics.cx,
            intrinsics.cy, H, W, bound * bound, out_z, score)
    return out_z.astype(np.float32)


def depth_error(depth: np.ndarray, gmm: GMM, intrinsics: Intrinsics, bound: float = 3.0) -> dict:
    """RMSE (m) between a depth image and the mixture's re-rendered depth, over pixels with
    a measurement and a re-rendered depth, and the fraction of measured pixels covered.
    A mixture that covers no measured pixel has no RMSE: ValueError."""
    d = check_depth(depth, intrinsics)
    pred = render_depth(gmm, intrinsics, bound=bound)
    valid = np.isfinite(d) & (d > 0)
    both = valid & (pred > 0)
    if not both.any():
        raise ValueError("gmm covers no measured pixel of depth (within `bound` of a component): the RMSE is undefined")
    err = pred[both].astype(np.float64) - d[both]
    return {"rmse": float(np.sqrt(np.mean(err ** 2))), "coverage": float(both.sum() / max(valid.sum(), 1))}


def rmse(depth: np.ndarray, gmm: GMM, intrinsics: Intrinsics, bound: float = 3.0) -> float:
    """Root-mean-square depth error (m) of the mixture's re-rendered depth against `depth`
    over the pixels both have (see `depth_error` for the coverage)."""
    return depth_error(depth, gmm, intrinsics, bound)["rmse"]




# --------------------------------------------------------------------------- first-surface ray casting
def raycast_depth(gmm: GMM, intrinsics: Intrinsics, n_sigma: float = 2.0, reg: float = 1e-6) -> np.ndarray:
    """Depth image [H,W] in metres where each pixel's ray first meets the mixture: the
    nearest entry point of the ray into any component's `n_sigma` ellipsoid
    {p : (p − μ)ᵀ Σ⁻¹ (p − μ) ≤ n_sigma²}; 0 where the ray meets none.

    Along the ray r(t) = t·d, d = ((u − cx)/fx, (v − cy)/fy, 1), the squared Mahalanobis
    distance is a quadratic a·(t − t*)² + m² with a = dᵀPd, t* = dᵀPμ / a and m² the ray's
    closest approach (the quantities `render_depth` uses). The ray enters the ellipsoid at
    t = t* − √((n_sigma² − m²) / a) when m ≤ n_sigma; d has unit z, so t is a depth. A
    component whose ellipsoid holds the camera (entry t ≤ 0) is skipped. Closed form, one
    vectorised pass per component over the pixel box of its ellipsoid. `reg` (m²) is added
    to each covariance's diagonal."""
    _check_gmm(gmm)
    check_type("intrinsics", intrinsics, Intrinsics)
    n_sigma = check_number("n_sigma", n_sigma, lo=0.0, lo_open=True, hi=100.0)
    reg = check_number("reg", reg, lo=0.0, hi=1.0)
    H, W = intrinsics.shape
    out = np.full((H, W), np.inf)
    if len(gmm) == 0:
        return np.zeros((H, W), np.float32)
    cov, prec, muP, mu_p_mu = _precisions(gmm, reg)
    boxes = _boxes(gmm.means, cov, n_sigma, intrinsics)
    dx_all = (np.arange(W) - intrinsics.cx) / intrinsics.fx
    dy_all = (np.arange(H) - intrinsics.cy) / intrinsics.fy
    s2 = n_sigma * n_sigma
    for k, (u0, u1, v0, v1) in enumerate(boxes):
        if u1 <= u0 or v1 <= v0:
            continue
        dx, dy, P = dx_all[None, u0:u1], dy_all[v0:v1, None], prec[k]
        a = (P[0, 0] * dx * dx + P[1, 1] * dy * dy + P[2, 2]
             + 2 * (P[0, 1] * dx * dy + P[0, 2] * dx + P[1, 2] * dy))
        b = muP[k, 0] * dx + muP[k, 1] * dy + muP[k, 2]
        t_star = b / a
        m2 = mu_p_mu[k] - b * t_star
        t_in = t_star - np.sqrt(np.maximum(s2 - m2, 0.0) / a)
        hit = (m2 <= s2) & (t_in > 0)
        box = out[v0:v1, u0:u1]
        np.minimum(box, np.where(hit, t_in, np.inf), out=box)
    out[~np.isfinite(out)] = 0.0
    return out.astype(np.float32)


def depth_edges(depth_m: np.ndarray, jump_m: float = 0.10, band_px: int = 0) -> np.ndarray:
    """Depth-edge pixels [H,W] bool of a depth image (m; 0 = no depth): pixels with depth
    whose 3×3 neighbourhood (scipy.ndimage maximum/minimum filters over the pixels with
    depth) spans more than `jump_m`, so both sides of a discontinuity are marked; with
    `band_px` > 0 (at most 1000), also every pixel within `band_px` pixels (Euclidean) of one."""
    from scipy import ndimage

    d = check_array("depth_m", depth_m, ndim=2, lo=0.0)
    jump_m = check_number("jump_m", jump_m, lo=0.0, lo_open=True, hi=100.0)
    band_px = check_int("band_px", band_px, lo=0, hi=1000)
    has = d > 0
    hi = ndimage.maximum_filter(np.where(has, d, -np.inf), size=3, mode="nearest")
    lo = ndimage.minimum_filter(np.where(has, d, np.inf), size=3, mode="nearest")
    edges = has & (hi - lo > jump_m)
    if band_px and edges.any():
        edges = has & (ndimage.distance_transform_edt(~edges) <= band_px)
    return edges


def error_split(pred_m: np.ndarray, truth_m: np.ndarray, edges: np.ndarray, mask: np.ndarray | None = None) -> dict:
    """Depth error of a re-rendered image against the truth (m), split at depth edges.
    Scored pixels: `mask` (default: truth > 0) where pred > 0. Returns rmse (m), coverage
    (scored / mask pixels), edge_pixels (share of scored pixels on an edge), edge_share
    (share of the summed squared error on edge pixels) and rmse_no_edges (m, the other
    pixels). ValueError when no pixel is scored."""
    pred = check_array("pred_m", pred_m, ndim=2, lo=0.0)
    truth = check_array("truth_m", truth_m, shape=pred.shape, lo=0.0)
    edges = check_array("edges", edges, shape=pred.shape, dtype_kind="b")
    mask = truth > 0 if mask is None else check_array("mask", mask, shape=pred.shape, dtype_kind="b") & (truth > 0)
    both = mask & (pred > 0)
    if not both.any():
        raise ValueError("pred_m has no depth on any scored pixel (mask & truth > 0): the RMSE is undefined")
    e2 = (pred.astype(np.float64) - truth) ** 2
    on, off = both & edges, both & ~edges
    total = float(e2[both].sum())
    return dict(rmse=float(np.sqrt(e2[both].mean())), coverage=float(both.sum() / max(mask.sum(), 1)),
                edge_pixels=float(on.sum() / both.sum()), edge_share=float(e2[on].sum() / total) if total > 0 else 0.0,
                rmse_no_edges=float(np.sqrt(e2[off].mean())) if off.any() else 0.0)
