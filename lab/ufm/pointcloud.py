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

The network and its training live in `net.py`; the UfM update (the point cloud) here; the
metrics in `metrics.py`; the three methods and their comparison in `method.py`; figures and the explorer in
`views.py`. `python -m lab.ufm train` regenerates the
ensemble (see `__main__.py`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.checks import check_array, check_int, check_number, check_type


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
