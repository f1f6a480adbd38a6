"""SPGF against its baselines: EM and NDT fits, traced memory, the comparison table.

Part of lab.spgf, which backs notebooks/06_spgf.ipynb (the algorithm itself is in fit.py). Paper:
P. Z. X. Li, S. Karaman, V. Sze, "Memory-efficient Gaussian fitting for depth images
in real time", ICRA 2022.

Baselines, through libraries:
* EM: scikit-learn's `GaussianMixture` (full covariances) on the back-projected points,
  with as many components as SPGF found on the same frame (standing in for the
  paper's hierarchical EM). EM must hold every point and an N×K responsibility matrix.
* NDT: a Gaussian per occupied voxel (normal-distributions-transform style), from
  per-voxel sums over all back-projected points.
* Region growing (stand-in): scikit-image's Felzenszwalb graph segmentation of the depth
  image (regions grown by merging neighbouring pixels of similar depth), one Gaussian per
  region of at least `min_pixels` pixels. The paper's region-growing baseline is another
  implementation; ours is a library's, with the same role.

Equal counts. NDT and region growing choose their own number of Gaussians (at a 0.3 m voxel and
a 200-pixel minimum region, 7-10x SPGF's on our frames), and re-rendered depth rewards more
Gaussians, while the paper's claim is higher precision at the same compactness. `compare`
therefore chooses, per frame, NDT's voxel size and region growing's minimum region size so that
their counts match SPGF's within a tolerance (`fit_matched`: a deterministic search on the log
of the setting), and `count_curve` draws every method's RMSE against its number of Gaussians.

Memory is measured the same way for every method: the peak of Python's traced
allocations (`tracemalloc`, which numpy reports to) while fitting one depth image,
from the depth image to the mixture. For SPGF this is its fixed-size state plus
the output mixture; `GMM.stats["state_bytes"]` is the state alone (the paper's
"memory overhead"). Speed is CPU time per frame on one thread.
"""
from __future__ import annotations

import time
import tracemalloc
from typing import Callable

import numpy as np
import pandas as pd

from ..core.checks import check_bool, check_choice, check_int, check_number, check_table, check_type
from ..data import scenes
from .fit import Params, fit
from . import render
from .render import GMM, check_depth, depth_error

PAPER = {  # the paper's comparison (ARM Cortex-A57) on one depth image of a hallway from the
           # TartanAir Office data set, per the mit-lean/spgf README; not TUM RGB-D
    "SPGF": dict(rmse_cm=9, memory="43 KB", fps=32),
    "hierarchical EM": dict(rmse_cm=13, memory="6 MB", fps=0.0007),
    "NDT": dict(rmse_cm=15, memory="3.5 MB", fps=6.31),
    "region growing": dict(rmse_cm=11, memory="0.49 MB", fps=0.49),
}


def valid_points(depth_m: np.ndarray, intrinsics: scenes.Intrinsics, stride: int = 1) -> np.ndarray:
    """Camera-frame points [N,3] (m, float64) of the measured pixels, every `stride`-th row and column."""
    d = check_depth(depth_m, intrinsics)
    stride = check_int("stride", stride, lo=1, hi=64)
    p = scenes.backproject(np.where(np.isfinite(d), d, np.float32(0.0)), intrinsics)[::stride, ::stride].reshape(-1, 3)
    return p[p[:, 2] > 0].astype(np.float64)


def fit_em(depth_m: np.ndarray, intrinsics: scenes.Intrinsics, n_components: int, seed: int = 0,
           max_iter: int = 100, stride: int = 1) -> GMM:
    """EM (scikit-learn GaussianMixture, full covariances, k-means++ start) on the
    back-projected points of one depth image (every `stride`-th pixel per axis).
    stats: seconds, n_iter, converged, points, and `bytes_points_resp`, the bytes of
    the points and the N×K responsibilities that EM must hold (float64)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture
    import warnings

    n_components = check_int("n_components", n_components, lo=1, hi=10_000)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    max_iter = check_int("max_iter", max_iter, lo=1, hi=10_000)
    t0 = time.process_time()
    pts = valid_points(depth_m, intrinsics, stride)
    if len(pts) < n_components:
        raise ValueError(f"n_components must be <= the number of measured points ({len(pts)}); got {n_components}")
    em = GaussianMixture(n_components, covariance_type="full", max_iter=max_iter, reg_covar=1e-6,
                         init_params="k-means++", random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        em.fit(pts)
    sec = time.process_time() - t0
    n = len(pts)
    support = np.bincount(em.predict(pts), minlength=n_components)
    return GMM(means=em.means_.copy(), covariances=em.covariances_.copy(), weights=em.weights_.copy(),
               support=support, stats=dict(seconds=sec, n_iter=int(em.n_iter_), converged=bool(em.converged_),
                                           points=n, bytes_points_resp=int(n * 3 * 8 + n * n_components * 8)))


def fit_ndt(depth_m: np.ndarray, intrinsics: scenes.Intrinsics, voxel_m: float = 0.3, min_points: int = 10) -> GMM:
    """NDT-style fit: one Gaussian per voxel of side `voxel_m` (m) holding at least
    `min_points` back-projected points. stats: seconds, voxels, points."""
    voxel_m = check_number("voxel_m", voxel_m, lo=1e-3, hi=100.0)
    min_points = check_int("min_points", min_points, lo=2, hi=1_000_000)
    t0 = time.process_time()
    pts = valid_points(depth_m, intrinsics)
    if not len(pts):
        return GMM(np.zeros((0, 3)), np.zeros((0, 3, 3)), np.zeros(0), np.zeros(0, np.int64),
                   stats=dict(seconds=time.process_time() - t0, voxels=0, points=0))
    ijk = np.floor(pts / voxel_m).astype(np.int64)
    ijk -= ijk.min(0)
    dims = ijk.max(0) + 1
    keys = (ijk[:, 0] * dims[1] + ijk[:, 1]) * dims[2] + ijk[:, 2]     # one integer per voxel
    _, inv, counts = np.unique(keys, return_inverse=True, return_counts=True)
    mu, cov, n, keep = _moments(pts, inv, counts, min_points)
    sec = time.process_time() - t0
    return GMM(means=mu, covariances=cov, weights=n / max(n.sum(), 1.0), support=counts[keep].astype(np.int64),
               stats=dict(seconds=sec, voxels=int(len(counts)), points=len(pts)))


def fit_region_growing(depth_m: np.ndarray, intrinsics: scenes.Intrinsics, scale: float = 2.0,
                       sigma: float = 0.5, min_pixels: int = 200) -> GMM:
    """Region-growing fit: scikit-image's Felzenszwalb segmentation of the depth image
    (graph-based region merging; `scale` in m·px, larger gives larger regions; `sigma` the
    pre-smoothing in px), then one Gaussian per region of at least `min_pixels` measured
    pixels, from the moments of its back-projected points. stats: seconds, regions, points."""
    from skimage.segmentation import felzenszwalb

    depth = check_depth(depth_m, intrinsics)
    scale = check_number("scale", scale, lo=0.0, lo_open=True, hi=1e4)
    sigma = check_number("sigma", sigma, lo=0.0, hi=20.0)
    min_pixels = check_int("min_pixels", min_pixels, lo=2, hi=10_000_000)
    t0 = time.process_time()
    z = np.where(np.isfinite(depth), depth, 0.0)
    labels = felzenszwalb(z, scale=scale, sigma=sigma, min_size=min_pixels, channel_axis=None).reshape(-1)
    pts = scenes.backproject(z, intrinsics).reshape(-1, 3).astype(np.float64)
    ok = pts[:, 2] > 0
    pts, labels = pts[ok], labels[ok]
    if not len(pts):
        return GMM(np.zeros((0, 3)), np.zeros((0, 3, 3)), np.zeros(0), np.zeros(0, np.int64),
                   stats=dict(seconds=time.process_time() - t0, regions=0, points=0))
    _, inv, counts = np.unique(labels, return_inverse=True, return_counts=True)
    mu, cov, n, keep = _moments(pts, inv, counts, min_pixels)
    return GMM(means=mu, covariances=cov, weights=n / max(n.sum(), 1.0), support=counts[keep].astype(np.int64),
               stats=dict(seconds=time.process_time() - t0, regions=int(len(counts)), points=len(pts)))


def _moments(pts, inv, counts, min_points):
    """Mean [K,3] and covariance [K,3,3] of the groups `inv` of pts holding >= min_points points."""
    K = len(counts)
    s = np.stack([np.bincount(inv, pts[:, i], K) for i in range(3)], 1)
    j = np.stack([np.bincount(inv, pts[:, a] * pts[:, b], K) for a in range(3) for b in range(3)], 1).reshape(K, 3, 3)
    keep = counts >= min_points
    n = counts[keep].astype(np.float64)
    mu = s[keep] / n[:, None]
    cov = j[keep] / n[:, None, None] - mu[:, :, None] * mu[:, None, :]
    return mu, cov, n, keep


MATCHED = {  # method -> (setting's name, its range, start, is it whole, how the count scales with it)
    "NDT": ("voxel_m", (0.01, 20.0), 0.3, False, 2.0),        # Gaussians ~ surface area / voxel side²
    "RG": ("min_pixels", (2, 1_000_000), 200, True, 1.0),   # regions ~ measured pixels / minimum size
}


def _fit_at(method, depth, intr, x):
    return fit_ndt(depth, intr, voxel_m=x) if method == "NDT" else fit_region_growing(depth, intr, min_pixels=x)


def _next_setting(step, lo, hi, whole, tried):
    """The next setting to try: the secant's step if it stays inside the bracket (lo, hi) and is
    new, else the bracket's geometric middle; None when nothing new is left inside."""
    for x in (step, np.sqrt(lo * hi)):
        x = int(round(x)) if whole else float(x)
        if lo < x < hi and x not in tried:
            return x
    return None


def fit_matched(depth_m: np.ndarray, intrinsics: scenes.Intrinsics, method: str, target: int,
                tolerance: float = 0.1, start: float | None = None, max_evals: int = 12) -> GMM:
    """NDT ("NDT": its voxel size) or region growing ("RG": its minimum region size, other
    settings at their defaults) fitted to one depth image with about `target` Gaussians: the
    setting is searched until the count is within `tolerance`·target of it, at most `max_evals`
    fits (at most 40). The search is deterministic: it brackets the setting (a larger one gives
    fewer Gaussians) and steps on its logarithm, by the power law the last two fits suggest
    (a secant on log count against log setting; at first count ∝ voxel⁻² for NDT, ∝ size⁻¹ for
    region growing), bisecting the bracket when a step would leave it; `start` is the first
    setting tried (default 0.3 m, 200 px). Returns the fit whose count came closest (the first
    such); stats add `setting`, `target`, `evals`, `matched` (count within the tolerance) and
    `peak_bytes` (traced peak of that fit alone)."""
    depth = check_depth(depth_m, intrinsics)
    if not isinstance(method, str):
        raise TypeError(f"method must be one of {list(MATCHED)}; got {type(method).__name__}")
    method = check_choice("method", method, list(MATCHED))
    target = check_int("target", target, lo=1, hi=1_000_000)
    tolerance = check_number("tolerance", tolerance, lo=0.0, hi=1.0)
    max_evals = check_int("max_evals", max_evals, lo=1, hi=40)
    name, (lo, hi), x0, whole, power = MATCHED[method]
    x = x0 if start is None else check_number("start", start, lo=lo, hi=hi)
    x = int(round(x)) if whole else x
    best, tried, prev = None, {}, None
    while len(tried) < max_evals:
        g, peak = traced(_fit_at, method, depth, intrinsics, x)
        k = tried[x] = len(g)
        if best is None or abs(k - target) < abs(len(best[0]) - target):
            best = (g, peak, x)
        if abs(k - target) <= tolerance * target:
            break
        if k > target:          # too many Gaussians: the setting lies above x
            lo = x
        else:
            hi = x
        if prev is not None and prev[1] != k and min(prev[1], k) > 0:
            power = max(0.1, float(np.log(prev[1] / k) / np.log(x / prev[0])))
        prev = (x, k)
        x = _next_setting(x * (max(k, 0.5) / target) ** (1.0 / power), lo, hi, whole, tried)
        if x is None:
            break
    g, peak, x = best
    g.stats.update(setting=x, setting_name=name, target=target, evals=len(tried), peak_bytes=peak,
                   matched=bool(abs(len(g) - target) <= tolerance * target))
    return g


def traced(fn: Callable, *args, **kwargs):
    """Run fn(*args, **kwargs) under tracemalloc: (result, peak traced bytes)."""
    if not callable(fn):
        raise TypeError("fn must be callable")
    was = tracemalloc.is_tracing()
    if not was:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        out = fn(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        if not was:
            tracemalloc.stop()
    return out, int(peak)


def _spgf_timed(depth, intr, params):
    t0 = time.process_time()
    g = fit(depth, intr, params)
    g.stats["seconds"] = time.process_time() - t0
    return g


def compare(frames: scenes.Frames, params: Params = Params(), em_frames: int = 3, em_max_iter: int = 100,
            em_stride: int = 1, ndt_voxel_m: float | None = None, seed: int = 0, region_growing: bool = False,
            rg_min_pixels: int | None = None, count_tolerance: float = 0.1, progress: bool = True) -> pd.DataFrame:
    """Fit every frame's noisy depth with SPGF and NDT (and region growing, "RG", when
    `region_growing`), and the first `em_frames` with EM (same component count as SPGF).
    NDT's voxel size (`ndt_voxel_m`, m) and region growing's minimum region size
    (`rg_min_pixels`, px) are fixed where given, and where None (the default) chosen per frame by
    `fit_matched` so that the count is within `count_tolerance` of SPGF's on that frame (each
    frame's search starts from the previous frame's setting). One row per (frame, method):
    gaussians, target (SPGF's count on the frame), setting (voxel m, minimum pixels or EM's
    components; NaN for SPGF), matched (count within the tolerance of the target), rmse_cm
    (against the fitted depth image), rmse_true_cm (against the true depth), coverage,
    peak_bytes (traced), state_bytes (SPGF's counted state; NaN for the baselines), cpu_s, fps."""
    from tqdm.auto import tqdm

    check_type("frames", frames, scenes.Frames)
    check_type("params", params, Params)
    em_frames = check_int("em_frames", em_frames, lo=0, hi=len(frames))
    em_max_iter = check_int("em_max_iter", em_max_iter, lo=1, hi=10_000)
    em_stride = check_int("em_stride", em_stride, lo=1, hi=64)
    if ndt_voxel_m is not None:
        ndt_voxel_m = check_number("ndt_voxel_m", ndt_voxel_m, lo=0.0, lo_open=True, hi=100.0)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    region_growing = check_bool("region_growing", region_growing)
    if rg_min_pixels is not None:
        rg_min_pixels = check_int("rg_min_pixels", rg_min_pixels, lo=2, hi=10_000_000)
    count_tolerance = check_number("count_tolerance", count_tolerance, lo=0.0, hi=1.0)
    progress = check_bool("progress", progress)
    intr = frames.intrinsics
    rows = []
    start = {"NDT": None, "RG": None}
    fit(np.zeros(intr.shape, np.float32), intr, params)   # compile outside the measurement
    for i in tqdm(range(len(frames)), desc="fitting frames", disable=not progress):
        d, dt = frames.depth_noisy[i], frames.depth[i]
        g, peak = traced(_spgf_timed, d, intr, params)
        k = len(g)
        rows.append(_row(i, "SPGF", g, peak, d, dt, intr, k, np.nan, count_tolerance))
        if i < em_frames:
            ge, pe = traced(fit_em, d, intr, max(1, k), seed + i, em_max_iter, em_stride)  # EM needs >= 1 component
            rows.append(_row(i, "EM", ge, pe, d, dt, intr, k, max(1, k), count_tolerance))
        for name, fixed, on in (("NDT", ndt_voxel_m, True), ("RG", rg_min_pixels, region_growing)):
            if not on:
                continue
            if fixed is None:
                gb = fit_matched(d, intr, name, max(1, k), count_tolerance, start[name])
                start[name], pb = gb.stats["setting"], gb.stats["peak_bytes"]
            else:
                gb, pb = traced(_fit_at, name, d, intr, fixed)
            rows.append(_row(i, name, gb, pb, d, dt, intr, k, fixed if fixed is not None else gb.stats["setting"],
                             count_tolerance))
    return pd.DataFrame(rows)


CURVE_METHODS = ("SPGF", "SPGF (fixed length)", "EM", "NDT", "RG")
CURVE_SETTINGS = {"SPGF": "min_gau_len [m]", "SPGF (fixed length)": "max_len [m]", "EM": "components",
                  "NDT": "voxel [m]", "RG": "min region [px]"}


def count_curve(frames: scenes.Frames, params: Params = Params(), n_frames: int | None = None,
                min_gau_lens: tuple = (0.05, 0.1, 0.2, 0.5), max_lens: tuple = (0.25, 0.5, 1.0, 2.0),
                em_components: tuple = (25, 50, 100), voxels_m: tuple = (0.3, 0.5, 0.8, 1.3),
                rg_min_pixels: tuple = (200, 500, 1000, 2000), em_max_iter: int = 30, em_stride: int = 5,
                seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """Every method's depth RMSE against its number of Gaussians, over the first `n_frames`
    frames (all when None): SPGF with the depth-dependent length bound at each of `min_gau_lens`
    (m; `params`' frame_max_scale), SPGF with one fixed length at each of `max_lens` (m, the ICRA
    form), EM with each of `em_components` (every `em_stride`-th pixel per axis, at most
    `em_max_iter` iterations, seed `seed` + frame), NDT at each of `voxels_m` (m) and region
    growing at each of `rg_min_pixels` (px). Each tuple holds 1 to 6 values. One row per
    (frame, method, setting): gaussians, rmse_cm (against the fitted noisy depth, as in
    `compare`), rmse_true_cm, coverage."""
    from tqdm.auto import tqdm

    check_type("frames", frames, scenes.Frames)
    check_type("params", params, Params)
    n = len(frames) if n_frames is None else check_int("n_frames", n_frames, lo=1, hi=len(frames))
    lens = _floats("min_gau_lens", min_gau_lens, 0.0, 100.0)
    fixed = _floats("max_lens", max_lens, 0.0, 1e3)
    comps = tuple(check_int("em_components", c, lo=1, hi=1000) for c in _seq("em_components", em_components))
    voxels = _floats("voxels_m", voxels_m, 0.0, 100.0)
    sizes = tuple(check_int("rg_min_pixels", m, lo=2, hi=10_000_000) for m in _seq("rg_min_pixels", rg_min_pixels))
    em_max_iter = check_int("em_max_iter", em_max_iter, lo=1, hi=10_000)
    em_stride = check_int("em_stride", em_stride, lo=1, hi=64)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    progress = check_bool("progress", progress)
    for m in lens:   # refused here rather than deep in the loop
        params.replace(min_gau_len=m, max_len=None)
    intr = frames.intrinsics
    rows = []
    for i in tqdm(range(n), desc="Gaussians against RMSE", disable=not progress):
        d, dt = frames.depth_noisy[i], frames.depth[i]
        runs = [("SPGF", m, lambda m=m: fit(d, intr, params.replace(min_gau_len=m, max_len=None))) for m in lens]
        runs += [("SPGF (fixed length)", L, lambda L=L: fit(d, intr, params.replace(max_len=L))) for L in fixed]
        runs += [("EM", c, lambda c=c: fit_em(d, intr, c, seed + i, em_max_iter, em_stride)) for c in comps]
        runs += [("NDT", v, lambda v=v: fit_ndt(d, intr, v)) for v in voxels]
        runs += [("RG", m, lambda m=m: fit_region_growing(d, intr, min_pixels=m)) for m in sizes]
        for name, setting, fn in runs:
            g = fn()
            if not len(g):
                continue        # nothing kept: no point on the curve
            e, et = depth_error(d, g, intr), depth_error(dt, g, intr)
            rows.append(dict(frame=i, method=name, setting=float(setting), gaussians=len(g), rmse_cm=100 * e["rmse"],
                             rmse_true_cm=100 * et["rmse"], coverage=e["coverage"]))
    return pd.DataFrame(rows, columns=["frame", "method", "setting", "gaussians", "rmse_cm", "rmse_true_cm",
                                       "coverage"])


def _row(i, name, g, peak, d, dt, intr, target, setting, tolerance):
    e = depth_error(d, g, intr)
    et = depth_error(dt, g, intr)
    sec = g.stats["seconds"]
    return dict(frame=i, method=name, gaussians=len(g), target=target, setting=float(setting),
                matched=bool(abs(len(g) - target) <= tolerance * max(1, target)),
                rmse_cm=100 * e["rmse"], rmse_true_cm=100 * et["rmse"],
                coverage=e["coverage"], peak_bytes=peak, state_bytes=g.stats.get("state_bytes", np.nan),
                state_peak_bytes=g.stats.get("state_bytes_peak", np.nan),
                cpu_s=sec, fps=1.0 / sec if sec > 0 else np.inf)


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per method: mean ± std over frames of RMSE, memory and fps, beside the paper's numbers."""
    check_table("df", df, ("method", "rmse_cm", "rmse_true_cm", "coverage", "peak_bytes", "state_bytes", "fps",
                           "gaussians"), what="a compare() table")
    out = []
    for name in ("SPGF", "EM", "NDT", "RG"):
        s = df[df.method == name]
        if not len(s):
            continue
        pk = PAPER[{"EM": "hierarchical EM", "RG": "region growing"}.get(name, name)]
        out.append({
            "method": name, "frames": len(s),
            "RMSE [cm] (paper)": pk["rmse_cm"], "RMSE [cm]": f"{s.rmse_cm.mean():.1f} ± {s.rmse_cm.std(ddof=0):.1f}",
            "RMSE vs truth [cm]": f"{s.rmse_true_cm.mean():.1f}", "coverage": f"{s.coverage.mean():.3f}",
            "memory (paper)": pk["memory"], "peak traced [KB]": f"{s.peak_bytes.mean() / 1e3:,.1f}",
            "state [KB]": f"{s.state_bytes.mean() / 1e3:.1f}" if name == "SPGF" else "–",
            "fps (paper, A57)": pk["fps"], "fps (ours, 1 core)": f"{s.fps.median():.3g}",
            "Gaussians": f"{s.gaussians.mean():.0f}",
            "setting": _setting_text(name, s),
        })
    return pd.DataFrame(out).set_index("method")


def _setting_text(name, rows) -> str:
    if name == "SPGF" or "setting" not in rows or rows.setting.isna().all():
        return "–"
    lo, hi = rows.setting.min(), rows.setting.max()
    fmt, unit = {"NDT": (".2f", "m voxels"), "RG": (".0f", "px minimum region"), "EM": (".0f", "components")}[name]
    text = f"{lo:{fmt}} {unit}" if lo == hi else f"{lo:{fmt}} to {hi:{fmt}} {unit}"
    if name in ("NDT", "RG") and "matched" in rows:
        text += f" ({int(rows.matched.sum())}/{len(rows)} frames matched)"
    return text


def claim_numbers(df: pd.DataFrame) -> dict:
    """The numbers the notebook's claims check, from a `compare` table: SPGF's state bytes
    (fixed arrays; max over frames) and peak live bytes (max over frames), the traced-memory
    ratios EM/SPGF and NDT/SPGF (means over frames), RMSE mean and std (cm) of every method
    on the frames EM fitted (SPGF, EM) or on every frame (SPGF_all, NDT, RG), Gaussians per
    frame, and SPGF's median fps; for NDT and RG also the range over frames of their count over
    SPGF's (`*_count_ratio_min/max`) and of their setting (`*_setting_min/max`), where the table
    has them."""
    check_table("df", df, ("frame", "method", "rmse_cm", "peak_bytes", "gaussians", "fps", "state_bytes",
                           "state_peak_bytes"), what="a compare() table")
    sp, em, nd = (df[df.method == m] for m in ("SPGF", "EM", "NDT"))
    if not len(sp) or not len(em) or not len(nd):
        raise ValueError("df must hold SPGF, EM and NDT rows (from compare with em_frames >= 1); it holds the methods "
                         f"{sorted(set(map(str, df.method)))}")
    sp_em = sp[sp.frame.isin(em.frame)]
    out = dict(
        state_bytes=int(sp.state_bytes.max()), state_peak_bytes=int(sp.state_peak_bytes.max()),
        em_over_spgf=float(em.peak_bytes.mean() / sp.peak_bytes.mean()),
        ndt_over_spgf=float(nd.peak_bytes.mean() / sp.peak_bytes.mean()),
        spgf_peak_bytes=float(sp.peak_bytes.mean()),
        spgf_rmse_cm=float(sp_em.rmse_cm.mean()), spgf_rmse_std=float(sp_em.rmse_cm.std(ddof=0)),
        em_rmse_cm=float(em.rmse_cm.mean()), em_rmse_std=float(em.rmse_cm.std(ddof=0)),
        em_frames=int(len(em)), gaussians=float(sp_em.gaussians.mean()),
        spgf_fps=float(sp.fps.median()),
        frames=int(len(sp)), spgf_all_rmse_cm=float(sp.rmse_cm.mean()), spgf_all_rmse_std=float(sp.rmse_cm.std(ddof=0)),
        spgf_all_gaussians=float(sp.gaussians.mean()),
    )
    for name, rows in (("ndt", nd), ("rg", df[df.method == "RG"])):
        if len(rows):
            out[f"{name}_rmse_cm"] = float(rows.rmse_cm.mean())
            out[f"{name}_rmse_std"] = float(rows.rmse_cm.std(ddof=0))
            out[f"{name}_gaussians"] = float(rows.gaussians.mean())
            if "target" in rows:    # each frame's count over SPGF's on that frame
                ratio = rows.gaussians.to_numpy() / np.maximum(rows.target.to_numpy(), 1)
                out[f"{name}_count_ratio_min"] = float(ratio.min())
                out[f"{name}_count_ratio_max"] = float(ratio.max())
            if "setting" in rows:
                out[f"{name}_setting_min"] = float(rows.setting.min())
                out[f"{name}_setting_max"] = float(rows.setting.max())
    return out


NEAREST = "nearest component"


def raycast_label(n_sigma: float) -> str:
    """The renderer's name in a `rendering_table`: "ray-cast 2σ" for n_sigma = 2."""
    n_sigma = check_number("n_sigma", n_sigma, lo=0.0, lo_open=True, hi=100.0)
    return f"ray-cast {n_sigma:g}σ"


def rendering_table(frames: scenes.Frames, params: Params = Params(), n_sigmas: tuple = (1.0, 2.0, 3.0),
                    jump_m: float = 0.10, bands_px: tuple = (5, 10, 20), progress: bool = True) -> pd.DataFrame:
    """SPGF's mixture of every frame's noisy depth re-rendered two ways and scored against
    the true depth: today's nearest-component rendering (`render_depth`, 3σ) and
    first-surface ray casting (`raycast_depth`) at each of `n_sigmas` (at most 6).
    Scored pixels: measured in the noisy image and with a true depth. Edges: `depth_edges`
    of the true depth with `jump_m`. One row per (frame, renderer): gaussians, rmse_cm,
    rmse_input_cm (against the fitted noisy image, the paper's reference), coverage,
    edge_pixels, edge_share, rmse_no_edges_cm, edge_share_<b>px (squared-error share within
    b px of an edge, for b in `bands_px`, at most 6 widths) and cpu_s (the rendering)."""
    from tqdm.auto import tqdm

    check_type("frames", frames, scenes.Frames)
    check_type("params", params, Params)
    n_sigmas = _floats("n_sigmas", n_sigmas, 0.0, 100.0)
    bands_px = tuple(check_int("bands_px", b, lo=1, hi=1000) for b in _seq("bands_px", bands_px))
    jump_m = check_number("jump_m", jump_m, lo=0.0, lo_open=True, hi=100.0)
    progress = check_bool("progress", progress)
    intr = frames.intrinsics
    rows = []
    for i in tqdm(range(len(frames)), desc="re-rendering frames", disable=not progress):
        d, dt = frames.depth_noisy[i], frames.depth[i]
        g = fit(d, intr, params)
        mask = np.isfinite(d) & (d > 0)
        edges = render.depth_edges(dt, jump_m)
        bands = {b: render.depth_edges(dt, jump_m, b) for b in bands_px}
        renders = [(NEAREST, 3.0, lambda: render.render_depth(g, intr))]
        renders += [(raycast_label(s), s, lambda s=s: render.raycast_depth(g, intr, s)) for s in n_sigmas]
        for name, s, fn in renders:
            t0 = time.process_time()
            pred = fn()
            sec = time.process_time() - t0
            if not (pred[mask] > 0).any():
                raise ValueError(f"frame {i}: the {name} rendering covers no measured pixel (is `params` pruning "
                                 "every cluster?)")
            e = render.error_split(pred, dt, edges, mask)
            e_in = render.error_split(pred, np.where(mask, d, 0), edges, mask)
            row = dict(frame=i, renderer=name, n_sigma=s, gaussians=len(g), rmse_cm=100 * e["rmse"],
                       rmse_input_cm=100 * e_in["rmse"], coverage=e["coverage"], edge_pixels=e["edge_pixels"],
                       edge_share=e["edge_share"], rmse_no_edges_cm=100 * e["rmse_no_edges"])
            for b, m in bands.items():
                row[f"edge_share_{b}px"] = render.error_split(pred, dt, m, mask)["edge_share"]
            rows.append({**row, "cpu_s": sec})
    return pd.DataFrame(rows)


def rendering_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per renderer of a `rendering_table`: mean ± std over the frames of RMSE against the
    truth and the input, coverage, the edge pixels' share of pixels and of squared error,
    the RMSE without them, the squared-error shares within wider edge bands, render CPU time."""
    t = check_rendering_table(table)
    out = []
    for name in dict.fromkeys(t.renderer):
        s = t[t.renderer == name]
        pm = lambda c, f=100.0: f"{f * s[c].mean():.1f} ± {f * s[c].std(ddof=0):.1f}"  # noqa: E731
        row = {"renderer": name, "frames": len(s), "RMSE vs truth [cm]": pm("rmse_cm", 1.0),
               "RMSE vs input [cm]": pm("rmse_input_cm", 1.0), "coverage [%]": pm("coverage"),
               "edge pixels [%]": pm("edge_pixels"), "edge share of squared error [%]": pm("edge_share"),
               "RMSE without edges [cm]": pm("rmse_no_edges_cm", 1.0)}
        for c in sorted((c for c in t.columns if c.startswith("edge_share_") and c.endswith("px")),
                        key=lambda c: int(c[len("edge_share_"):-2])):
            row[f"share within {c[len('edge_share_'):-2]} px [%]"] = pm(c)
        row["render CPU [s]"] = f"{s.cpu_s.mean():.2f}"
        out.append(row)
    return pd.DataFrame(out).set_index("renderer")


def check_rendering_table(table) -> pd.DataFrame:
    """`table` checked to be a non-empty `rendering_table` (TypeError/ValueError otherwise)."""
    return check_table("table", table, ("frame", "renderer", "rmse_cm", "rmse_input_cm", "coverage", "edge_pixels",
                                        "edge_share", "rmse_no_edges_cm", "cpu_s"), what="a rendering_table()")


def _seq(name, values) -> tuple:
    if isinstance(values, (str, bytes)) or not isinstance(values, (tuple, list)):
        raise TypeError(f"{name} must be a tuple or list of numbers; got {type(values).__name__}")
    if not 1 <= len(values) <= 6:
        raise ValueError(f"{name} must hold 1 to 6 values; got {len(values)}")
    return tuple(values)


def _floats(name, values, lo, hi) -> tuple:
    return tuple(check_number(name, v, lo=lo, lo_open=True, hi=hi) for v in _seq(name, values))
