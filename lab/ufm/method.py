"""Uncertainty from Motion for monocular depth (S. Sudhakar, S. Karaman, V. Sze, ICRA 2022).

Part of lab.ufm, which backs notebooks/11_ufm.ipynb.

An ensemble of N depth networks gives good uncertainty but costs N inferences per
frame. UfM runs one inference per frame and merges the per-pixel depth and
aleatoric variance of successive frames in a 3D point cloud, using the camera
motion. Ensemble-UfM runs member i mod N at frame i, so over N frames each point
collects the opinions of the whole ensemble.

The UfM state is a point cloud held in the current camera frame: per point a mean
position [3] m, a covariance [3, 3] m² and a count. Per frame (as in the authors'
public implementation):

1. transform the cloud by the relative camera motion (position R p + t, covariance R Σ Rᵀ);
2. reproject every point to its nearest pixel; points in front of the camera and inside
   the image are "in view";
3. merge each in-view point with the observation of the pixel it lands on, by moment
   matching of an equally weighted mixture:
   μ_M = μ_{M−1} + (x − μ_{M−1})/M,
   Σ_M = (M−1)/M·(Σ_{M−1} + μ_{M−1}μ_{M−1}ᵀ) + (Σ_x + x xᵀ)/M − μ_M μ_Mᵀ;
4. add the pixels that no point landed on as new points (count 1);
5. cap the cloud size: drop out-of-view points first (oldest first), then the oldest.

The frame's UfM variance is the aleatoric variance, replaced where a point landed
by the merged point's depth variance Σ_zz. Each observation is the back-projected
pixel x = z·(K⁻¹[u, v, 1]) with covariance σ²·r rᵀ, r = K⁻¹[u, v, 1] (the depth
variance spread along the viewing ray).

The network and its training live in `net.py`; the UfM update, metrics and the comparison
here; figures and the explorer in `views.py`. `python -m lab.ufm train` regenerates the
ensemble (see `__main__.py`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri

from ..core.checks import check_str_choice, check_array, check_bool, check_choice, check_int, check_number, check_type
from ..data.scenes import Frames
from .net import Ensemble, predict

METHODS = ("aleatoric", "ensemble", "ensemble-UfM")
CONFIDENCE_LEVELS = tuple(np.round(np.linspace(0.05, 0.95, 19), 2))


# ---------------------------------------------------------------- geometry



def check_shape(name: str, shape) -> tuple[int, int]:
    """An image size (height, width) in pixels, each in [1, 100000]."""
    if isinstance(shape, (str, bytes)) or not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise TypeError(f"{name} must be a (height, width) pair of integers in [1, 100000]; got {shape!r}")
    return check_int(name, shape[0], lo=1, hi=100_000), check_int(name, shape[1], lo=1, hi=100_000)


def _check_intrinsics(intrinsics):
    """Any object with focal lengths fx, fy > 0 and principal point cx, cy in pixels
    (e.g. `lab.data.scenes.Intrinsics`)."""
    for a in ("fx", "fy", "cx", "cy"):
        if not hasattr(intrinsics, a):
            raise TypeError(f"intrinsics must have attributes fx, fy, cx, cy (pixels); missing {a}")
    check_number("intrinsics.fx", intrinsics.fx, lo=0.0, lo_open=True)
    check_number("intrinsics.fy", intrinsics.fy, lo=0.0, lo_open=True)
    check_number("intrinsics.cx", intrinsics.cx)
    check_number("intrinsics.cy", intrinsics.cy)
    return intrinsics


def pixel_rays(intrinsics, shape: tuple[int, int]) -> np.ndarray:
    """Rays r = K⁻¹[u, v, 1] of every pixel, [H·W, 3] (row-major), with r_z = 1."""
    _check_intrinsics(intrinsics)
    h, w = check_shape("shape", shape)
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    r = np.stack([(u - intrinsics.cx) / intrinsics.fx, (v - intrinsics.cy) / intrinsics.fy,
                  np.ones_like(u)], axis=-1)
    return r.reshape(-1, 3)


def observe(depth: np.ndarray, var: np.ndarray, intrinsics) -> tuple[np.ndarray, np.ndarray]:
    """Back-project a depth map [H, W] m with depth variance [H, W] m² into camera-frame
    points [H·W, 3] m and covariances [H·W, 3, 3] m² (σ² r rᵀ along each pixel's ray)."""
    depth = check_array("depth", depth, ndim=2, lo=0.0)
    var = check_array("var", var, shape=depth.shape, lo=0.0)
    r = pixel_rays(intrinsics, depth.shape)
    pts = r * depth.reshape(-1, 1)
    cov = var.reshape(-1, 1, 1) * (r[:, :, None] * r[:, None, :])
    return pts, cov


def relative_pose(pose_prev: np.ndarray, pose_cur: np.ndarray) -> np.ndarray:
    """The 4×4 transform taking points from the previous camera frame to the current one,
    given both camera-to-world poses: inv(T_cur) · T_prev."""
    pose_prev = check_array("pose_prev", pose_prev, shape=(4, 4))
    pose_cur = check_array("pose_cur", pose_cur, shape=(4, 4))
    return np.linalg.inv(pose_cur) @ pose_prev


def merge_moments(mean: np.ndarray, cov: np.ndarray, count: np.ndarray, x: np.ndarray,
                  cov_x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add one Gaussian observation (x [P, 3], cov_x [P, 3, 3]) to each point's equally
    weighted mixture of `count` [P] earlier ones (mean [P, 3], cov [P, 3, 3]) and
    return the moment-matched (mean, cov, count + 1).

    With M = count + 1 and d = x − μ_{M−1}: μ_M = μ_{M−1} + d/M and
    Σ_M = Σ_{M−1} + (Σ_x − Σ_{M−1})/M + (M−1)/M²·d dᵀ, which is the same as
    (M−1)/M·(Σ_{M−1} + μ_{M−1}μ_{M−1}ᵀ) + (Σ_x + x xᵀ)/M − μ_M μ_Mᵀ written without
    the cancelling second moments. Every array must be finite, covariances symmetric
    positive semi-definite in shape [P, 3, 3], and counts integers in [1, 10**9]."""
    mean = check_array("mean", mean, shape=(None, 3), min_size=0).astype(np.float64, copy=False)
    p = mean.shape[0]
    cov = check_array("cov", cov, shape=(None, 3, 3), min_size=0)
    count = check_array("count", count, ndim=1, dtype_kind="iu", lo=1, hi=10**9, min_size=0)
    x = check_array("x", x, shape=(None, 3), min_size=0)
    cov_x = check_array("cov_x", cov_x, shape=(None, 3, 3), min_size=0)
    for name, a in (("cov", cov), ("count", count), ("x", x), ("cov_x", cov_x)):
        if len(a) != p:
            raise ValueError(f"{name} must hold one entry per row of mean ({p}); got {len(a)}")
    m = np.asarray(count, dtype=np.float64) + 1.0
    d = x - mean
    new_mean = mean + d / m[:, None]
    new_cov = cov + (cov_x - cov) / m[:, None, None] + ((m - 1.0) / m ** 2)[:, None, None] * (d[:, :, None] * d[:, None, :])
    return new_mean, new_cov, np.asarray(count) + 1


@dataclass
class PointCloud:
    """The UfM state in the current camera frame. pos [P, 3] m, cov [P, 3, 3] m²,
    count [P] merged observations, born [P] frame index of creation (oldest first)."""
    pos: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    cov: np.ndarray = field(default_factory=lambda: np.zeros((0, 3, 3)))
    count: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    born: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self):
        self.pos = check_array("pos", self.pos, shape=(None, 3), min_size=0)
        n = self.pos.shape[0]
        self.cov = check_array("cov", self.cov, shape=(None, 3, 3), min_size=0)
        self.count = check_array("count", self.count, ndim=1, dtype_kind="iu", lo=1, hi=10**9, min_size=0)
        self.born = check_array("born", self.born, ndim=1, dtype_kind="iu", lo=0, min_size=0)
        for name in ("cov", "count", "born"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} must hold one entry per row of pos ({n}); got {len(getattr(self, name))}")

    def __len__(self) -> int:
        return len(self.pos)

    def take(self, keep: np.ndarray) -> "PointCloud":
        return PointCloud(self.pos[keep], self.cov[keep], self.count[keep], self.born[keep])


def transform_cloud(cloud: PointCloud, rel: np.ndarray) -> PointCloud:
    """Move the cloud into the new camera frame: p → R p + t, Σ → R Σ Rᵀ."""
    check_type("cloud", cloud, PointCloud)
    rel = check_array("rel", rel, shape=(4, 4))
    R, t = rel[:3, :3], rel[:3, 3]
    n = len(cloud)
    a = (cloud.cov.reshape(-1, 3) @ R.T).reshape(n, 3, 3)                      # Σ Rᵀ
    cov = (np.ascontiguousarray(a.transpose(0, 2, 1)).reshape(-1, 3) @ R.T).reshape(n, 3, 3)  # (R Σ Rᵀ)ᵀ
    return PointCloud(cloud.pos @ R.T + t, cov, cloud.count.copy(), cloud.born.copy())


def reproject(pos: np.ndarray, intrinsics, shape: tuple[int, int]) -> np.ndarray:
    """Nearest pixel (row-major flat index) of each point [P, 3], or −1 when the point is
    behind the camera or outside the image."""
    _check_intrinsics(intrinsics)
    pos = check_array("pos", pos, shape=(None, 3), min_size=0)
    h, w = check_shape("shape", shape)
    z = pos[:, 2]
    front = z > 1e-9
    zs = np.where(front, z, 1.0)
    u = np.rint(intrinsics.fx * pos[:, 0] / zs + intrinsics.cx)
    v = np.rint(intrinsics.fy * pos[:, 1] / zs + intrinsics.cy)
    ok = front & (u >= 0) & (u < w) & (v >= 0) & (v < h)
    return np.where(ok, v * w + u, -1).astype(np.int64)


def ufm_step(cloud: PointCloud, depth: np.ndarray, var: np.ndarray, rel: np.ndarray | None,
             intrinsics, frame: int = 0, max_points: int | None = None) -> tuple[PointCloud, np.ndarray, dict]:
    """One UfM update with the current prediction depth [H, W] m and aleatoric variance
    [H, W] m². `rel` is the 4×4 motion from the previous camera frame (None on the first
    frame). Returns (new cloud, UfM depth variance [H, W] m², stats dict)."""
    check_type("cloud", cloud, PointCloud)
    depth = check_array("depth", depth, ndim=2, lo=0.0)
    var = check_array("var", var, shape=depth.shape, lo=0.0)
    frame = check_int("frame", frame, lo=0)
    if max_points is not None:
        max_points = check_int("max_points", max_points, lo=depth.size)
    h, w = depth.shape
    x, cov_x = observe(depth, var, intrinsics)
    if rel is not None and len(cloud):
        cloud = transform_cloud(cloud, rel)   # fresh arrays, updated in place below
    else:
        cloud = PointCloud(cloud.pos.copy(), cloud.cov.copy(), cloud.count.copy(), cloud.born.copy())
    pix = reproject(cloud.pos, intrinsics, (h, w))
    seen = pix >= 0
    idx = np.flatnonzero(seen)
    pos, cov, count = cloud.pos, cloud.cov, cloud.count
    if idx.size:
        p = pix[idx]
        pos[idx], cov[idx], count[idx] = merge_moments(pos[idx], cov[idx], count[idx], x[p], cov_x[p])
    frame_var = var.astype(np.float64).ravel().copy()
    if idx.size:  # the newest point that landed on a pixel gives that pixel's variance
        rev = idx[::-1]
        pixels, first = np.unique(pix[rev], return_index=True)
        frame_var[pixels] = cov[rev[first], 2, 2]
    covered = np.zeros(h * w, dtype=bool)
    covered[pix[idx]] = True
    new = np.flatnonzero(~covered)
    merged = PointCloud(np.concatenate([pos, x[new]]), np.concatenate([cov, cov_x[new]]),
                        np.concatenate([count, np.ones(new.size, dtype=np.int64)]),
                        np.concatenate([cloud.born, np.full(new.size, frame, dtype=np.int64)]))
    dropped_out, dropped_old = 0, 0
    if max_points is not None and len(merged) > max_points:
        excess = len(merged) - max_points
        out = np.flatnonzero(~seen)  # out-of-view points, oldest first
        drop = out[:excess]
        dropped_out = drop.size
        keep = np.ones(len(merged), dtype=bool)
        keep[drop] = False
        merged = merged.take(keep)
        if len(merged) > max_points:
            dropped_old = len(merged) - max_points
            merged = merged.take(np.arange(dropped_old, len(merged)))
    stats = dict(points=len(merged), merged=int(idx.size), added=int(new.size),
                 dropped_out_of_view=int(dropped_out), dropped_oldest=int(dropped_old))
    return merged, frame_var.reshape(h, w), stats


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


# ---------------------------------------------------------------- the three methods

@dataclass
class Run:
    """One method on one sequence. depth, var: [T, H, W] predicted depth (m) and its
    variance (m²); inferences: network inferences in all; infer_s, merge_s: time spent
    in inference and in combining (mixture or UfM) over the timed frames; points: UfM cloud
    size per frame; timed_frames: how many frames (the last ones) the times cover, 1..T
    (None: all T)."""
    method: str
    depth: np.ndarray
    var: np.ndarray
    inferences: int
    infer_s: float
    merge_s: float
    points: np.ndarray | None = None
    timed_frames: int | None = None

    def __post_init__(self):
        check_str_choice("method", self.method, METHODS)
        self.depth = check_array("depth", self.depth, ndim=3, lo=0.0)
        self.var = check_array("var", self.var, shape=self.depth.shape, lo=0.0)
        check_int("inferences", self.inferences, lo=0, hi=10**9)
        check_number("infer_s", self.infer_s, lo=0.0)
        check_number("merge_s", self.merge_s, lo=0.0)
        if self.points is not None:
            self.points = check_array("points", self.points, shape=(len(self.depth),), dtype_kind="iu", lo=0)
        if self.timed_frames is None:
            self.timed_frames = len(self.depth)
        self.timed_frames = check_int("timed_frames", self.timed_frames, lo=1, hi=len(self.depth))

    @property
    def n_frames(self) -> int:
        return len(self.depth)

    @property
    def inferences_per_frame(self) -> float:
        return self.inferences / self.n_frames

    @property
    def ms_per_frame(self) -> float:
        """Mean time per timed frame [ms] (inference and combining)."""
        return 1e3 * (self.infer_s + self.merge_s) / self.timed_frames


def _infer(net, gray_frame, clock):
    t0 = clock()
    mu, var = predict(net, gray_frame[None])
    return mu[0], var[0], clock() - t0


def run_method(ensemble: Ensemble, frames, method: str, max_points: int | None = None,
               clock: str = "wall", warmup: int = 0) -> Run:
    """Stream a sequence (frames.gray [T, H, W], frames.poses [T, 4, 4] camera-to-world,
    frames.intrinsics) through one method, one frame at a time as a robot would:

    * "aleatoric": member 0 alone, its predicted variance (1 inference per frame);
    * "ensemble": all N members, the moments of their equally weighted mixture
      (mean of means; mean of variances + variance of means; N inferences per frame);
    * "ensemble-UfM": member i mod N at frame i, merged by UfM (1 inference per frame).

    max_points: UfM cloud cap (default 4·H·W). clock: "wall" times with perf_counter,
    "cpu" with this process's CPU time (steadier on a shared machine; use one torch thread).
    warmup: frames 0 .. warmup − 1 are run but not timed (the authors' evaluation times
    frames i > 40 only, "warm start for timing"); 0 <= warmup < T.
    """
    check_type("ensemble", ensemble, Ensemble)
    check_type("frames", frames, Frames)
    method = check_str_choice("method", method, METHODS)
    clock = {"wall": time.perf_counter, "cpu": time.process_time}[check_str_choice("clock", clock, ("wall", "cpu"))]
    gray = check_array("frames.gray", frames.gray, ndim=3, lo=0.0, hi=1.0)
    poses = check_array("frames.poses", frames.poses, shape=(len(gray), 4, 4))
    t, h, w = gray.shape
    if max_points is None:
        max_points = 4 * h * w
    max_points = check_int("max_points", max_points, lo=h * w, hi=10**8)
    warmup = check_int("warmup", warmup, lo=0, hi=t - 1)
    depth, var = np.zeros((t, h, w)), np.zeros((t, h, w))
    infer_s = merge_s = 0.0
    inferences = 0
    points = np.zeros(t, dtype=np.int64) if method == "ensemble-UfM" else None
    cloud = PointCloud()
    for i in range(t):
        timed = float(i >= warmup)   # a warm-up frame's times count 0
        if method == "aleatoric":
            depth[i], var[i], dt = _infer(ensemble.nets[0], gray[i], clock)
            infer_s, inferences = infer_s + timed * dt, inferences + 1
        elif method == "ensemble":
            outs = [_infer(net, gray[i], clock) for net in ensemble.nets]
            infer_s, inferences = infer_s + timed * sum(o[2] for o in outs), inferences + len(outs)
            t0 = clock()
            mus, vs = np.stack([o[0] for o in outs]), np.stack([o[1] for o in outs])
            depth[i] = mus.mean(0)
            var[i] = (vs + mus ** 2).mean(0) - depth[i] ** 2
            merge_s += timed * (clock() - t0)
        else:
            mu, v, dt = _infer(ensemble.nets[i % ensemble.n], gray[i], clock)
            infer_s, inferences = infer_s + timed * dt, inferences + 1
            t0 = clock()
            rel = relative_pose(poses[i - 1], poses[i]) if i else None
            cloud, var[i], stats = ufm_step(cloud, mu, v, rel, frames.intrinsics, i, max_points)
            depth[i] = mu
            merge_s += timed * (clock() - t0)
            points[i] = stats["points"]
    return Run(method, depth, np.maximum(var, 1e-12), inferences, infer_s, merge_s, points, t - warmup)


def evaluate(run: Run, frames) -> dict:
    """Metrics of a run against the true depth (frames.depth [T, H, W] m, 0 = no hit):
    NLL [nats/pixel], ECE of the central intervals [–], the authors' δ1 ECE [–], RMSE [m],
    inferences per frame, time per timed frame [ms] and the number of timed frames."""
    check_type("run", run, Run)
    check_type("frames", frames, Frames)
    target = check_array("frames.depth", frames.depth, shape=run.depth.shape, lo=0.0)
    return dict(method=run.method, nll=gaussian_nll(run.depth, run.var, target),
                ece=expected_calibration_error(run.depth, run.var, target),
                ece_delta1=delta1_calibration_error(run.depth, run.var, target),
                rmse=rmse(run.depth, target), inferences_per_frame=run.inferences_per_frame,
                ms_per_frame=run.ms_per_frame, timed_frames=run.timed_frames)


def per_frame_nll(run: Run, frames) -> np.ndarray:
    """NLL of each frame [T] in nats/pixel."""
    check_type("run", run, Run)
    check_type("frames", frames, Frames)
    if frames.depth.shape != run.depth.shape:
        raise ValueError(f"frames must be the run's sequence (depth shape {run.depth.shape}); got {frames.depth.shape}")
    return np.array([gaussian_nll(run.depth[i], run.var[i], frames.depth[i]) for i in range(run.n_frames)])



# ---------------------------------------------------------------- the comparison

@dataclass
class Comparison:
    """The three methods on in- and out-of-distribution sequences. table: one row per
    (layout, seed, method) with nll [nats/pixel], ece, ece_delta1, rmse [m], inferences_per_frame,
    ms_per_frame (per timed frame). sequences: (layout, seed) -> (frames, {method: Run}).
    n_members: the ensemble's size. timing_warmup: the frames at the start of each sequence
    that were run but not timed (0..10000)."""
    table: "object"
    sequences: dict
    n_members: int
    timing_warmup: int = 0

    def __post_init__(self):
        import pandas as pd

        check_type("table", self.table, pd.DataFrame)
        missing = {"layout", "seed", "method", "nll", "ece", "ece_delta1", "rmse", "inferences_per_frame",
                   "ms_per_frame"} - set(self.table.columns)
        if missing or not len(self.table):
            raise ValueError(f"table must be compare()'s non-empty table; missing columns {sorted(missing)}")
        check_type("sequences", self.sequences, dict)
        if not self.sequences:
            raise ValueError("sequences must hold at least one (layout, seed) sequence")
        check_int("n_members", self.n_members, lo=1, hi=64)
        check_int("timing_warmup", self.timing_warmup, lo=0, hi=10_000)


def compare(ensemble: Ensemble, n_frames: int = 30, width: int = 64, height: int = 48,
            seeds=(0, 1, 2), layouts=("indoor", "ood"), max_points_factor: int = 4,
            clock: str = "wall", timing_warmup: int = 0, progress: bool = True) -> Comparison:
    """Render each (layout, seed) sequence with `lab.data.scenes` and run the three methods on it.
    The ensemble was trained on the "indoor" layout only, so "ood" is out of distribution.
    clock: "wall" or "cpu", how `run_method` times inference and merging. timing_warmup: the
    first frames of each sequence, run and scored but not timed (0 <= timing_warmup < n_frames;
    the authors' evaluation skips 41)."""
    import pandas as pd
    from tqdm.auto import tqdm

    from ..data import scenes

    check_type("ensemble", ensemble, Ensemble)
    n_frames = check_int("n_frames", n_frames, lo=2, hi=10_000)
    timing_warmup = check_int("timing_warmup", timing_warmup, lo=0, hi=n_frames - 1)
    max_points_factor = check_int("max_points_factor", max_points_factor, lo=1, hi=1000)
    check_str_choice("clock", clock, ("wall", "cpu"))
    progress = check_bool("progress", progress)
    width = check_int("width", width, lo=8, hi=4096)
    height = check_int("height", height, lo=8, hi=4096)
    for name, seq in (("seeds", seeds), ("layouts", layouts)):
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__") or not 1 <= len(seq) <= 100:
            raise ValueError(f"{name} must be a sequence of 1 to 100 entries; got {seq!r}")
    seeds = [check_int("seeds", s, lo=0, hi=2**32 - 1) for s in seeds]
    layouts = [check_str_choice("layouts", lay, scenes.LAYOUTS) for lay in layouts]
    if (width, height) != (ensemble.config.width, ensemble.config.height):
        raise ValueError(f"width, height must match the ensemble's training size "
                         f"{ensemble.config.width}x{ensemble.config.height}; got {width}x{height}")
    rows, sequences = [], {}
    jobs = [(lay, s) for lay in layouts for s in seeds]
    for lay, s in tqdm(jobs, desc="sequences", disable=not progress):
        frames = scenes.render_sequence(n_frames, width, height, layout=lay, seed=s)
        runs = {m: run_method(ensemble, frames, m, max_points_factor * width * height, clock=clock,
                              warmup=timing_warmup) for m in METHODS}
        sequences[(lay, s)] = (frames, runs)
        for m, r in runs.items():
            rows.append(dict(layout=lay, seed=s, **evaluate(r, frames)))
    return Comparison(pd.DataFrame(rows), sequences, ensemble.n, timing_warmup)


def summary(comparison: Comparison):
    """Mean ± std over seeds of every metric, per layout and method (a DataFrame of strings)."""
    check_type("comparison", comparison, Comparison)
    t = comparison.table
    g = t.groupby(["layout", "method"], sort=False)
    cols = {"nll": ("NLL [nats/px]", 3), "ece": ("ECE intervals [–]", 3), "ece_delta1": ("ECE δ1 (authors') [–]", 3),
            "rmse": ("RMSE [m]", 3),
            "inferences_per_frame": ("inferences/frame", 1), "ms_per_frame": ("time/frame [ms]", 1)}
    out = {}
    for c, (name, nd) in cols.items():
        m, s = g[c].mean(), g[c].std(ddof=0)
        out[name] = [f"{a:.{nd}f} ± {b:.{nd}f}" for a, b in zip(m, s)]
    import pandas as pd
    return pd.DataFrame(out, index=m.index)


def claim_numbers(comparison: Comparison) -> dict:
    """The numbers behind the notebook's claims, per seed (arrays) and as means.

    gap[layout]: NLL(ensemble-UfM) − NLL(ensemble) [nats/px]; gain[layout]:
    NLL(aleatoric) − NLL(ensemble); recovered[layout]: the share of the ensemble's NLL
    gain over aleatoric-only that ensemble-UfM keeps, 1 − gap/gain; inference_ratio and
    time_ratio: ensemble over ensemble-UfM, per frame."""
    check_type("comparison", comparison, Comparison)
    t = comparison.table
    for lay in t.layout.unique():
        held = sorted(set(map(str, t.method[t.layout == lay])))
        if set(METHODS) - set(held):
            raise ValueError(f"comparison must hold every method {list(METHODS)} on layout {lay!r}; its table holds "
                             f"{held} there (lacks {[m for m in METHODS if m not in held]})")
    out = {"gap": {}, "gain": {}, "recovered": {}}
    for lay in t.layout.unique():
        p = t[t.layout == lay].pivot(index="seed", columns="method", values="nll")
        out["gap"][lay] = (p["ensemble-UfM"] - p["ensemble"]).to_numpy()
        out["gain"][lay] = (p["aleatoric"] - p["ensemble"]).to_numpy()
        out["recovered"][lay] = 1.0 - out["gap"][lay] / out["gain"][lay]
    per = t.groupby("method")[["inferences_per_frame", "ms_per_frame"]].mean()
    out["inference_ratio"] = float(per.loc["ensemble", "inferences_per_frame"]
                                   / per.loc["ensemble-UfM", "inferences_per_frame"])
    out["time_ratio"] = float(per.loc["ensemble", "ms_per_frame"] / per.loc["ensemble-UfM", "ms_per_frame"])
    out["ms_per_frame"] = {m: float(per.loc[m, "ms_per_frame"]) for m in per.index}
    for metric in ("ece", "ece_delta1"):   # per layout: {method: per-seed array}
        out[metric] = {lay: {m: t[(t.layout == lay) & (t.method == m)].sort_values("seed")[metric].to_numpy()
                             for m in METHODS} for lay in t.layout.unique()}
    return out


def calibration_ranking(comparison: Comparison, metric: str, layout: str) -> list[str]:
    """The three methods from best to worst calibrated (lowest mean over seeds first) on one
    layout, by "ece" (our central-interval ECE) or "ece_delta1" (the authors' δ1 ECE)."""
    check_type("comparison", comparison, Comparison)
    metric = check_str_choice("metric", metric, ("ece", "ece_delta1"))
    t = comparison.table
    layout = check_str_choice("layout", layout, sorted(set(t.layout)))
    means = t[t.layout == layout].groupby("method")[metric].mean()
    return [str(m) for m in means.sort_values(kind="stable").index]
