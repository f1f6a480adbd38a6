"""The pinhole camera: intrinsics, projection and back-projection, rigid transforms."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ...core.checks import (check_array, check_int, check_number, check_positive, check_type)


# --------------------------------------------------------------------------- camera
@dataclass(frozen=True)
class Intrinsics:
    """A pinhole camera, all values in pixels (principal point from pixel centres at integers)."""

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float

    def __post_init__(self):
        check_int("width", self.width, lo=1, hi=100_000)
        check_int("height", self.height, lo=1, hi=100_000)
        for name in ("fx", "fy"):
            check_positive(name, getattr(self, name))
        for name in ("cx", "cy"):
            check_number(name, getattr(self, name))

    @property
    def matrix(self) -> np.ndarray:
        """The 3x3 camera matrix K."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of an image from this camera."""
        return (self.height, self.width)

    def scaled(self, factor: float) -> "Intrinsics":
        """The same camera at `factor` times the resolution (e.g. 0.25 for 160x120)."""
        factor = check_number("factor", factor, lo=0.0, lo_open=True, hi=16.0)
        w, h = max(1, int(round(self.width * factor))), max(1, int(round(self.height * factor)))
        sx, sy = w / self.width, h / self.height
        return Intrinsics(w, h, self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5, (self.cy + 0.5) * sy - 0.5)


def default_intrinsics(width: int = 640, height: int = 480) -> Intrinsics:
    """The Kinect-like default camera: fx = fy = 525, cx = 319.5, cy = 239.5 at 640x480,
    scaled to other resolutions (focal lengths and principal point follow the image)."""
    width = check_int("width", width, lo=8, hi=8192)
    height = check_int("height", height, lo=8, hi=8192)
    sx, sy = width / 640.0, height / 480.0
    return Intrinsics(width, height, 525.0 * sx, 525.0 * sy, 320.0 * sx - 0.5, 240.0 * sy - 0.5)


def backproject(depth: np.ndarray, intrinsics: Intrinsics) -> np.ndarray:
    """Camera-frame 3D points [H,W,3] in metres from a depth image [H,W] in metres.
    Pixels with depth 0 give the point (0, 0, 0)."""
    check_type("intrinsics", intrinsics, Intrinsics)
    depth = check_array("depth", depth, shape=intrinsics.shape, lo=0.0)
    v, u = np.mgrid[0:intrinsics.height, 0:intrinsics.width].astype(np.float32)
    z = depth.astype(np.float32)
    x = (u - np.float32(intrinsics.cx)) / np.float32(intrinsics.fx) * z
    y = (v - np.float32(intrinsics.cy)) / np.float32(intrinsics.fy) * z
    return np.stack([x, y, z], axis=-1)


def project(points: np.ndarray, intrinsics: Intrinsics) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel coordinates (u, v) and depth z of camera-frame points [...,3] in metres (finite).
    Points with z <= 0 have no pixel: they get u = v = NaN, on purpose."""
    check_type("intrinsics", intrinsics, Intrinsics)
    p = check_array("points", points, ndim=(1, 2, 3))
    if p.shape[-1] != 3:
        raise ValueError(f"points must have a last axis of length 3; got shape {p.shape}")
    z = p[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        safe = np.where(z > 0, z, np.nan)
        u = intrinsics.fx * p[..., 0] / safe + intrinsics.cx
        v = intrinsics.fy * p[..., 1] / safe + intrinsics.cy
    return u, v, z


def transform_points(points: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """Apply a 4x4 rigid transform to points [...,3] (e.g. camera-to-world)."""
    p = check_array("points", points, ndim=(1, 2, 3))
    if p.shape[-1] != 3:
        raise ValueError(f"points must have a last axis of length 3; got shape {p.shape}")
    T = check_array("pose", pose, shape=(4, 4))
    return p @ T[:3, :3].T + T[:3, 3]


def look_at(eye: Sequence[float], target: Sequence[float], up: Sequence[float] = (0.0, 0.0, 1.0)) -> np.ndarray:
    """Camera-to-world pose (OpenCV camera axes) of a camera at `eye` looking at `target` (metres)."""
    eye = check_array("eye", eye, shape=(3,)).astype(float)
    target = check_array("target", target, shape=(3,)).astype(float)
    up = check_array("up", up, shape=(3,)).astype(float)
    f = target - eye
    if np.linalg.norm(f) < 1e-9:
        raise ValueError("target must differ from eye")
    f /= np.linalg.norm(f)
    r = np.cross(f, up)
    if np.linalg.norm(r) < 1e-9:
        raise ValueError("up must not be parallel to the viewing direction")
    r /= np.linalg.norm(r)
    d = np.cross(f, r)
    T = np.eye(4)
    T[:3, 0], T[:3, 1], T[:3, 2], T[:3, 3] = r, d, f, eye
    return T

