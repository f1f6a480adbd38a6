"""Synthetic RGB-D video of a small indoor scene, made with Open3D ray casting.

Shared by notebooks/06_spgf.ipynb (SPGF, Li, Karaman & Sze, ICRA 2022) and
notebooks/11_ufm.ipynb (Uncertainty from Motion, Sudhakar, Karaman & Sze, ICRA 2022).

The scene is a room (floor, ceiling, four walls) with a table, boxes, cylinders
and a sphere, built from Open3D triangle meshes. A second layout ("ood") has
other objects, other textures and another room size, for out-of-distribution
tests. A third ("corridor") is an office hallway, 9 m long and 2 m wide, with doors,
a cabinet, a bin, a pillar and ceiling lights, walked down by the camera (closer to the
TartanAir Office hallway image of SPGF's comparison; render it with noise=False for
TartanAir's noise-free depth). `render_sequence` moves a pinhole camera along a smooth arc and ray-casts
every pixel with Open3D's `RaycastingScene`, giving per frame the true depth,
a Kinect-like noisy depth, a shaded grayscale image and the camera pose.

Conventions
-----------
* World frame: metres, z up. Camera frame: OpenCV / TUM / Open3D (x right,
  y down, z forward). Poses are camera-to-world 4x4 matrices.
* Depth is the z coordinate in the camera frame (not the ray length), in metres;
  0 marks "no measurement".
* Loaders and writers read and write the usual formats of real recordings:
  16-bit depth PNGs with a depth scale (TUM: 5000 per metre, Redwood: 1000),
  TUM trajectory files (timestamp tx ty tz qx qy qz qw) and Open3D
  camera-intrinsic JSON.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from ..core.checks import (check_str_choice, check_array, check_bool, check_choice, check_int, check_number,
                          check_positive, check_type)

__all__ = [
    "LAYOUTS", "Intrinsics", "default_intrinsics", "backproject", "project", "transform_points", "look_at",
    "SceneObject", "scene_objects", "trajectory", "kinect_noise", "Frames", "render_sequence", "point_cloud",
    "write_depth_png", "read_depth_png", "write_tum_trajectory", "read_tum_trajectory", "write_intrinsics_json",
    "read_intrinsics_json",
]

LAYOUTS = ("indoor", "ood", "corridor")
TEXTURES = ("plain", "checker", "stripes", "noise", "rings")

# Kinect-like sensor constants (Nguyen, Izadi & Lovell 2012 for the axial noise;
# the structured-light disparity quantisation uses the Kinect v1 baseline).
Z_MIN_M = 0.4
Z_MAX_M = 6.0
BASELINE_M = 0.075
DISPARITY_SUBPIXEL = 8
GRAZING_DEG = 78.0
MAX_PIXELS = 200_000_000   # render_sequence's budget: n_frames × width × height (5 float32 images per pixel)


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


# --------------------------------------------------------------------------- scene
@dataclass(frozen=True)
class SceneObject:
    """One textured mesh of the scene. `texture` in {"plain", "checker", "stripes",
    "noise", "rings"}; `albedo` in [0, 1]; `period_m` the texture's spatial period."""

    name: str
    mesh: object          # open3d.geometry.TriangleMesh (legacy), world coordinates
    albedo: float
    texture: str
    period_m: float

    def __post_init__(self):
        check_type("name", self.name, str)
        o3d = _o3d()
        check_type("mesh", self.mesh, o3d.geometry.TriangleMesh)
        check_number("albedo", self.albedo, lo=0.0, hi=1.0)
        check_str_choice("texture", self.texture, TEXTURES)
        check_number("period_m", self.period_m, lo=1e-3, hi=1e3)


def _o3d():
    from ..core import viz3d
    o3d = viz3d.open3d()
    if o3d is None:  # pragma: no cover - depends on the machine
        raise RuntimeError(f"Open3D is not importable here: {viz3d.import_error()}")
    return o3d


def _box(o3d, lo, hi):
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    m = o3d.geometry.TriangleMesh.create_box(*(hi - lo))
    m.translate(lo)
    return m


def _cyl(o3d, center_xy, z0, radius, height, res=32):
    m = o3d.geometry.TriangleMesh.create_cylinder(radius=radius, height=height, resolution=res)
    m.translate((center_xy[0], center_xy[1], z0 + height / 2))
    return m


def _room(o3d, sx, sy, sz, t=0.1):
    return {
        "floor": _box(o3d, (-sx, -sy, -t), (sx, sy, 0)),
        "ceiling": _box(o3d, (-sx, -sy, sz), (sx, sy, sz + t)),
        "wall_xneg": _box(o3d, (-sx - t, -sy, 0), (-sx, sy, sz)),
        "wall_xpos": _box(o3d, (sx, -sy, 0), (sx + t, sy, sz)),
        "wall_yneg": _box(o3d, (-sx, -sy - t, 0), (sx, -sy, sz)),
        "wall_ypos": _box(o3d, (-sx, sy, 0), (sx, sy + t, sz)),
    }


def scene_objects(layout: str = "indoor", seed: int = 0) -> list[SceneObject]:
    """The meshes of a layout ("indoor" or "ood"). `seed` jitters the positions of the
    movable objects by up to ±5 cm (seed 0 included), so different seeds give
    related but different scenes."""
    check_str_choice("layout", layout, LAYOUTS)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    o3d = _o3d()
    rng = np.random.default_rng([seed, LAYOUTS.index(layout)])
    J = lambda: rng.uniform(-0.05, 0.05, size=2)  # noqa: E731 - xy jitter of one object
    objs: list[SceneObject] = []

    def add(name, mesh, albedo, texture, period):
        objs.append(SceneObject(name, mesh, float(albedo), texture, float(period)))

    if layout == "indoor":
        room = _room(o3d, 3.0, 2.5, 2.8)
        tex = {"floor": (0.55, "checker", 0.5), "ceiling": (0.9, "plain", 1.0), "wall_xneg": (0.8, "stripes", 0.4),
               "wall_xpos": (0.75, "plain", 1.0), "wall_yneg": (0.7, "noise", 0.6), "wall_ypos": (0.85, "stripes", 0.25)}
        for k, m in room.items():
            add(k, m, *tex[k])
        tx, ty = np.array([0.3, 0.2]) + J()
        add("table_top", _box(o3d, (tx - 0.6, ty - 0.4, 0.72), (tx + 0.6, ty + 0.4, 0.76)), 0.6, "rings", 0.05)
        for i, (dx, dy) in enumerate([(-0.55, -0.35), (0.55, -0.35), (-0.55, 0.35), (0.55, 0.35)]):
            add(f"table_leg{i}", _box(o3d, (tx + dx - 0.025, ty + dy - 0.025, 0), (tx + dx + 0.025, ty + dy + 0.025, 0.72)),
                0.35, "plain", 1.0)
        bx, by = np.array([-1.6, -1.2]) + J()
        add("box_big", _box(o3d, (bx, by, 0), (bx + 0.6, by + 0.5, 0.55)), 0.65, "checker", 0.15)
        bx, by = np.array([tx - 0.45, ty - 0.2]) + J()
        add("box_small", _box(o3d, (bx, by, 0.76), (bx + 0.25, by + 0.2, 0.96)), 0.8, "noise", 0.08)
        cx, cy = np.array([1.8, -1.3]) + J()
        add("cylinder_tall", _cyl(o3d, (cx, cy), 0.0, 0.2, 1.1), 0.5, "stripes", 0.1)
        cx, cy = np.array([tx + 0.35, ty + 0.15]) + J()
        add("cylinder_mug", _cyl(o3d, (cx, cy), 0.76, 0.06, 0.15), 0.9, "plain", 1.0)
        sx, sy = np.array([tx + 0.1, ty - 0.15]) + J()
        s = o3d.geometry.TriangleMesh.create_sphere(radius=0.15, resolution=24)
        s.translate((sx, sy, 0.91))
        add("sphere", s, 0.7, "plain", 1.0)
        bx, by = np.array([-0.8, 1.7]) + J()
        add("shelf", _box(o3d, (bx, by, 0), (bx + 1.2, by + 0.4, 1.6)), 0.55, "rings", 0.12)
    elif layout == "corridor":  # an office hallway along x, 9 m long, 2 m wide, 2.6 m high
        room = _room(o3d, 4.5, 1.0, 2.6)
        tex = {"floor": (0.5, "checker", 0.6), "ceiling": (0.9, "plain", 1.0), "wall_xneg": (0.8, "plain", 1.0),
               "wall_xpos": (0.7, "stripes", 0.5), "wall_yneg": (0.8, "noise", 0.8), "wall_ypos": (0.75, "plain", 1.0)}
        for k, m in room.items():
            add(k, m, *tex[k])
        for i, (x, side) in enumerate([(-2.2, -1), (-0.4, 1), (1.2, -1), (2.8, 1)]):   # doors, 4 cm proud of a wall
            x += J()[0]
            y0, y1 = (-1.0, -0.96) if side < 0 else (0.96, 1.0)
            add(f"door{i}", _box(o3d, (x, y0, 0.0), (x + 0.9, y1, 2.05)), 0.45, "rings", 0.3)
        x, _ = np.array([0.3, 0.0]) + J()
        add("cabinet", _box(o3d, (x, -1.0, 0.0), (x + 1.2, -0.55, 1.1)), 0.6, "checker", 0.2)
        x, _ = np.array([-1.2, 0.0]) + J()
        add("bin", _cyl(o3d, (x, 0.75), 0.0, 0.18, 0.6), 0.5, "stripes", 0.1)
        x, _ = np.array([2.0, 0.0]) + J()
        add("pillar", _box(o3d, (x, 0.7, 0.0), (x + 0.3, 1.0, 2.6)), 0.7, "plain", 1.0)
        for i, x in enumerate((-3.0, -1.0, 1.0, 3.0)):                                 # ceiling lights
            add(f"light{i}", _box(o3d, (x, -0.3, 2.5), (x + 0.6, 0.3, 2.6)), 0.95, "plain", 1.0)
    else:  # "ood": another room, other shapes and high-frequency textures
        room = _room(o3d, 2.4, 2.2, 2.5)
        tex = {"floor": (0.35, "noise", 0.15), "ceiling": (0.6, "checker", 0.6), "wall_xneg": (0.9, "checker", 0.12),
               "wall_xpos": (0.45, "rings", 0.3), "wall_yneg": (0.95, "plain", 1.0), "wall_ypos": (0.5, "noise", 0.2)}
        for k, m in room.items():
            add(k, m, *tex[k])
        cx, cy = np.array([0.2, 0.1]) + J()
        t = o3d.geometry.TriangleMesh.create_torus(torus_radius=0.35, tube_radius=0.12, radial_resolution=40,
                                                   tubular_resolution=20)
        t.translate((cx, cy, 0.12))
        add("torus", t, 0.8, "stripes", 0.05)
        for i, (x, y, r) in enumerate([(-1.0, -0.9, 0.3), (1.2, 0.9, 0.45), (-0.4, 1.1, 0.2)]):
            x, y = np.array([x, y]) + J()
            c = o3d.geometry.TriangleMesh.create_cone(radius=r, height=2.2 * r, resolution=32)
            c.translate((x, y, 0))
            add(f"cone{i}", c, 0.6 + 0.1 * i, "checker", 0.07)
        for i, (x, y, r) in enumerate([(1.3, -1.0, 0.35), (-1.5, 0.6, 0.25)]):
            x, y = np.array([x, y]) + J()
            s = o3d.geometry.TriangleMesh.create_sphere(radius=r, resolution=24)
            s.translate((x, y, r))
            add(f"ball{i}", s, 0.4 + 0.3 * i, "rings", 0.06)
        x, y = np.array([-1.6, -1.5]) + J()
        add("pillar", _cyl(o3d, (x, y), 0.0, 0.12, 2.5), 0.3, "stripes", 0.2)
    for o in objs:
        o.mesh.compute_triangle_normals()
        o.mesh.compute_vertex_normals()
    return objs


def _texture(kind: str, p: np.ndarray, period: float) -> np.ndarray:
    """Multiplicative texture in [0.45, 1] at world points p [N,3]."""
    k = 2 * np.pi / period
    if kind == "plain":
        return np.ones(len(p), np.float32)
    if kind == "checker":
        c = np.floor(p / period + 0.2371).sum(axis=1) % 2   # offset: no cell edge on a wall plane
        return (0.6 + 0.4 * c).astype(np.float32)
    if kind == "stripes":
        return (0.725 + 0.275 * np.sin(k * (p[:, 0] + p[:, 1] + 0.5 * p[:, 2]))).astype(np.float32)
    if kind == "rings":
        r = np.hypot(p[:, 0] - 0.1, p[:, 1] + 0.2)
        return (0.725 + 0.275 * np.sin(k * r + 2 * np.sin(3 * p[:, 2]))).astype(np.float32)
    if kind == "noise":  # a deterministic sum of sinusoids at incommensurate frequencies
        s = np.zeros(len(p))
        for a, (fx, fy, fz) in enumerate([(1.0, 0.37, 0.61), (0.29, 1.13, 0.83), (0.71, 0.53, 1.31), (1.7, 1.9, 0.4)]):
            s += np.sin(k * (fx * p[:, 0] + fy * p[:, 1] + fz * p[:, 2]) + a) / (a + 1)
        return (0.725 + 0.275 * np.tanh(s)).astype(np.float32)
    raise ValueError(f"texture must be one of plain, checker, stripes, rings, noise; got {kind!r}")


def trajectory(n_frames: int = 30, layout: str = "indoor", seed: int = 0, deg_per_frame: float = 1.5) -> np.ndarray:
    """Camera-to-world poses [T,4,4] along a smooth arc around the room's centre,
    looking at the middle of the scene, with a gentle height and gaze oscillation.
    `seed` sets the start angle; `deg_per_frame` the angular step (degrees). In the
    "corridor" layout the camera walks down the hallway instead (`seed` sets the start,
    within its first metre), `deg_per_frame` × 4 cm per frame, looking ahead with a gentle
    sway; it stops 3 m before the far wall."""
    n_frames = check_int("n_frames", n_frames, lo=1, hi=100_000)
    check_str_choice("layout", layout, LAYOUTS)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    step = np.deg2rad(check_number("deg_per_frame", deg_per_frame, lo=0.0, hi=30.0))
    if layout == "corridor":
        x0 = -4.0 + np.random.default_rng([seed, 7]).random()
        poses = np.empty((n_frames, 4, 4))
        for i in range(n_frames):
            x = min(x0 + 0.04 * np.rad2deg(step) * i, 1.5)
            eye = np.array([x, 0.1 * np.sin(1.3 * x), 1.5 + 0.03 * np.sin(2.1 * x)])
            gaze = eye + np.array([3.0, 0.25 * np.sin(0.9 * x + 0.5), -0.25])
            poses[i] = look_at(eye, gaze)
        return poses
    rx, ry, target = (2.0, 1.6, np.array([0.2, 0.1, 0.75])) if layout == "indoor" else (1.6, 1.4, np.array([0.1, 0.0, 0.5]))
    theta0 = np.deg2rad(-120.0) + np.deg2rad(360.0) * np.random.default_rng([seed, 7]).random()
    poses = np.empty((n_frames, 4, 4))
    for i in range(n_frames):
        th = theta0 + step * i
        eye = np.array([rx * np.cos(th), ry * np.sin(th), 1.45 + 0.1 * np.sin(0.7 * th * 4)])
        gaze = target + np.array([0.25 * np.sin(2.3 * th), 0.25 * np.cos(1.7 * th), 0.1 * np.sin(3.1 * th)])
        poses[i] = look_at(eye, gaze)
    return poses


# --------------------------------------------------------------------------- noise
def kinect_noise(depth: np.ndarray, cos_incidence: np.ndarray, rng: np.random.Generator, *,
                 z_min: float = Z_MIN_M, z_max: float = Z_MAX_M, focal_px: float = 525.0,
                 baseline_m: float = BASELINE_M, subpixel: int = DISPARITY_SUBPIXEL,
                 grazing_deg: float = GRAZING_DEG) -> np.ndarray:
    """A Kinect-like noisy copy of a true depth image (metres; 0 = no measurement).

    * axial Gaussian noise σ(z) = 0.0012 + 0.0019 (z − 0.4)² m (Nguyen et al. 2012);
    * disparity quantisation: the structured-light sensor measures disparity
      d = f·b/z in steps of 1/`subpixel` pixel, so depth comes in steps of about z²/(f·b·subpixel);
    * holes (0) out of range (z < z_min or z > z_max) and at grazing incidence: always beyond
      `grazing_deg`, and with a probability rising to 1 over the 12° before it.
    `cos_incidence` is |cos| of the angle between the viewing ray and the surface normal, same shape.
    """
    depth = check_array("depth", depth, ndim=(2, 3), lo=0.0)
    cos_incidence = check_array("cos_incidence", cos_incidence, ndim=(2, 3), lo=0.0, hi=1.0 + 1e-6)
    if cos_incidence.shape != depth.shape:
        raise ValueError(f"cos_incidence must have the shape of depth {depth.shape}; got {cos_incidence.shape}")
    check_type("rng", rng, np.random.Generator)
    z_min = check_number("z_min", z_min, lo=0.0, hi=100.0)
    z_max = check_number("z_max", z_max, lo=z_min, lo_open=True, hi=1000.0)
    fb = check_positive("focal_px", focal_px) * check_positive("baseline_m", baseline_m)
    subpixel = check_int("subpixel", subpixel, lo=1, hi=1024)
    grazing_deg = check_number("grazing_deg", grazing_deg, lo=13.0, hi=90.0)
    z = depth.astype(np.float64)
    sigma = 0.0012 + 0.0019 * (z - 0.4) ** 2
    noisy = z + sigma * rng.standard_normal(z.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        disp = np.round(fb / noisy * subpixel) / subpixel
        noisy = np.where(disp > 0, fb / disp, 0.0)
    c_hole = np.cos(np.deg2rad(grazing_deg))
    c_soft = np.cos(np.deg2rad(grazing_deg - 12.0))
    p_drop = np.clip((c_soft - cos_incidence) / (c_soft - c_hole), 0.0, 1.0)
    drop = rng.random(z.shape) < p_drop
    hole = (z <= 0) | (z < z_min) | (z > z_max) | drop | ~np.isfinite(noisy)
    return np.where(hole, 0.0, noisy).astype(np.float32)


# --------------------------------------------------------------------------- rendering
@dataclass
class Frames:
    """A rendered RGB-D sequence. Shapes: T frames of H x W pixels."""

    depth: np.ndarray          # [T,H,W] float32, true depth in metres (0 where no hit)
    depth_noisy: np.ndarray    # [T,H,W] float32, Kinect-like noisy depth in metres, 0 = hole
    gray: np.ndarray           # [T,H,W] float32, shaded grayscale in [0, 1]
    poses: np.ndarray          # [T,4,4] float64, camera-to-world
    intrinsics: Intrinsics
    cos_incidence: np.ndarray | None = None   # [T,H,W] float32, |cos| of the ray/normal angle
    labels: np.ndarray | None = None          # [T,H,W] int16, object index (-1 = no hit)
    names: tuple[str, ...] = ()               # object names, indexed by `labels`
    layout: str = "indoor"

    def __post_init__(self):
        check_type("intrinsics", self.intrinsics, Intrinsics)
        shape = (None, self.intrinsics.height, self.intrinsics.width)
        self.depth = check_array("depth", self.depth, ndim=3, lo=0.0)
        if self.depth.shape[1:] != self.intrinsics.shape:
            raise ValueError(f"depth must have shape (T, {self.intrinsics.height}, {self.intrinsics.width}) "
                             f"(the intrinsics' image size); got {self.depth.shape}")
        t = self.depth.shape[0]
        self.depth_noisy = check_array("depth_noisy", self.depth_noisy, shape=(t, *shape[1:]), lo=0.0)
        self.gray = check_array("gray", self.gray, shape=(t, *shape[1:]), lo=0.0, hi=1.0)
        self.poses = check_array("poses", self.poses, shape=(t, 4, 4))
        if self.cos_incidence is not None:
            self.cos_incidence = check_array("cos_incidence", self.cos_incidence, shape=(t, *shape[1:]), lo=0.0,
                                             hi=1.0 + 1e-6)
        if self.labels is not None:
            self.labels = check_array("labels", self.labels, shape=(t, *shape[1:]), dtype_kind="iu", lo=-1)
        check_type("names", self.names, tuple)
        check_str_choice("layout", self.layout, LAYOUTS)

    def __len__(self) -> int:
        return int(self.depth.shape[0])

    def frame(self, i: int) -> "Frames":
        """Frame i alone, as a one-frame sequence."""
        i = check_int("i", i, lo=0, hi=len(self) - 1)
        sl = slice(i, i + 1)
        return replace(self, depth=self.depth[sl], depth_noisy=self.depth_noisy[sl], gray=self.gray[sl],
                       poses=self.poses[sl],
                       cos_incidence=None if self.cos_incidence is None else self.cos_incidence[sl],
                       labels=None if self.labels is None else self.labels[sl])


def _build_scene(objs):
    o3d = _o3d()
    scene = o3d.t.geometry.RaycastingScene()
    for o in objs:
        scene.add_triangles(o3d.t.geometry.TriangleMesh.from_legacy(o.mesh))
    return scene


def render_sequence(n_frames: int = 30, width: int = 640, height: int = 480, layout: str = "indoor",
                    seed: int = 0, noise: bool = True, deg_per_frame: float = 1.5,
                    light: Sequence[float] | None = None) -> Frames:
    """Ray-cast a smooth camera pass through the synthetic scene with Open3D.

    n_frames: number of frames T. width, height: image size in pixels (the default
    Kinect-like camera, scaled). layout: "indoor" or "ood". seed: scene jitter,
    trajectory start and sensor noise. noise: add Kinect-like depth noise (else
    depth_noisy is a copy of depth) and 1 % image noise to gray. deg_per_frame:
    camera step along its arc in degrees. light: point-light position in metres
    (default: under the ceiling above the scene's centre). At most MAX_PIXELS
    (n_frames × width × height) pixels in all.
    """
    n_frames = check_int("n_frames", n_frames, lo=1, hi=10_000)
    check_str_choice("layout", layout, LAYOUTS)
    if n_frames * check_int("width", width, lo=8, hi=8192) * check_int("height", height, lo=8, hi=8192) > MAX_PIXELS:
        raise ValueError(f"n_frames × width × height must be at most {MAX_PIXELS:.0e} pixels (about 4 GB of frames); "
                         f"got {n_frames} × {width} × {height}")
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    noise = check_bool("noise", noise)
    intr = default_intrinsics(width, height)
    objs = scene_objects(layout, seed)
    scene = _build_scene(objs)
    o3d = _o3d()
    poses = trajectory(n_frames, layout, seed, deg_per_frame)
    light = np.array([0.3, -0.4, 2.6] if light is None else check_array("light", light, shape=(3,)), float)
    rng = np.random.default_rng([seed, 11])
    H, W = intr.shape
    v, u = np.mgrid[0:H, 0:W]
    dirs_cam = np.stack([(u - intr.cx) / intr.fx, (v - intr.cy) / intr.fy, np.ones_like(u, float)], -1).reshape(-1, 3)
    out = {k: np.zeros((n_frames, H, W), np.float32) for k in ("depth", "depth_noisy", "gray", "cos")}
    labels = np.full((n_frames, H, W), -1, np.int16)
    albedo = np.array([o.albedo for o in objs], np.float32)
    for t in range(n_frames):
        R, c = poses[t, :3, :3], poses[t, :3, 3]
        d = dirs_cam @ R.T                       # unnormalised: t_hit is then the camera-frame depth
        rays = np.concatenate([np.broadcast_to(c, d.shape), d], axis=1).astype(np.float32)
        hit = scene.cast_rays(o3d.core.Tensor(rays), nthreads=1)
        th = hit["t_hit"].numpy()
        gid = hit["geometry_ids"].numpy().astype(np.int64)
        ok = np.isfinite(th)
        gid = np.where(ok, gid, 0)
        n = hit["primitive_normals"].numpy().astype(np.float64)
        dn = d / np.linalg.norm(d, axis=1, keepdims=True)
        cosv = np.einsum("ij,ij->i", n, dn)
        n = np.where(cosv[:, None] > 0, -n, n)    # normals face the camera
        cos_inc = np.abs(cosv)
        z = np.where(ok, th, 0.0)
        p = c + d * z[:, None]
        tex = np.ones(len(p), np.float32)
        for k, o in enumerate(objs):
            m = ok & (gid == k)
            if m.any():
                tex[m] = _texture(o.texture, p[m], o.period_m)
        to_l = light - p
        dist = np.linalg.norm(to_l, axis=1) + 1e-9
        lam = np.clip(np.einsum("ij,ij->i", n, to_l / dist[:, None]), 0, None)
        shade = albedo[gid] * tex * (0.22 + 0.78 * lam * np.minimum(1.0, (2.5 / dist) ** 2))
        shade = np.where(ok, shade, 0.0)
        out["depth"][t] = z.reshape(H, W)
        out["cos"][t] = np.where(ok, cos_inc, 0.0).reshape(H, W)
        out["gray"][t] = shade.reshape(H, W)
        labels[t] = np.where(ok, gid, -1).reshape(H, W)
    if noise:
        out["depth_noisy"] = kinect_noise(out["depth"], out["cos"], rng, focal_px=525.0)
        out["gray"] = np.clip(out["gray"] + 0.01 * rng.standard_normal(out["gray"].shape), 0, 1).astype(np.float32)
    else:
        out["depth_noisy"] = out["depth"].copy()
        out["gray"] = np.clip(out["gray"], 0, 1)
    return Frames(depth=out["depth"], depth_noisy=out["depth_noisy"], gray=out["gray"], poses=poses,
                  intrinsics=intr, cos_incidence=out["cos"], labels=labels,
                  names=tuple(o.name for o in objs), layout=layout)


def point_cloud(depth: np.ndarray, intrinsics: Intrinsics, pose: np.ndarray | None = None,
                gray: np.ndarray | None = None, stride: int = 1):
    """An Open3D PointCloud of the valid pixels of one depth frame (camera frame, or
    world frame when `pose` is given), coloured by `gray` when given; every `stride`-th pixel."""
    o3d = _o3d()
    stride = check_int("stride", stride, lo=1, hi=1000)
    pts = backproject(depth, intrinsics)[::stride, ::stride].reshape(-1, 3)
    ok = pts[:, 2] > 0
    pts = pts[ok]
    if pose is not None:
        pts = transform_points(pts, pose)
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts.astype(np.float64)))
    if gray is not None:
        g = check_array("gray", gray, shape=intrinsics.shape)[::stride, ::stride].reshape(-1)[ok]
        pc.colors = o3d.utility.Vector3dVector(np.repeat(g[:, None], 3, axis=1).astype(np.float64))
    return pc


# --------------------------------------------------------------------------- file formats
def write_depth_png(path: str | Path, depth: np.ndarray, depth_scale: float = 5000.0) -> Path:
    """Write a depth image [H,W] in metres as a 16-bit PNG holding depth·depth_scale
    (TUM: 5000 per metre, Redwood/Open3D: 1000). Values beyond 65535 units are clipped to 0 (hole)."""
    from PIL import Image

    depth = check_array("depth", depth, ndim=2, lo=0.0)
    depth_scale = check_positive("depth_scale", depth_scale)
    units = np.round(depth.astype(np.float64) * depth_scale)
    units = np.where(units > 65535, 0, units).astype(np.uint16)
    path = _out_file(path)
    Image.fromarray(units).save(path, format="PNG")
    return path


def read_depth_png(path: str | Path, depth_scale: float = 5000.0) -> np.ndarray:
    """Read a 16-bit single-channel depth PNG (TUM, Redwood, Open3D) into a float32 depth
    image [H,W] in metres (0 = no measurement). Anything else (another format such as JPEG,
    8-bit or 1-bit PNGs, colour PNGs, a truncated file) is refused with a ValueError that
    names the file and says why."""
    from PIL import Image, UnidentifiedImageError

    depth_scale = check_positive("depth_scale", depth_scale)
    path = _existing_file(path, "a 16-bit depth PNG")
    try:
        with Image.open(path) as im:
            fmt, mode = im.format, im.mode
            if fmt != "PNG":
                raise ValueError(f"path: {path} is a {fmt} image, not a 16-bit depth PNG")
            bits = im.info.get("bits") or {"1": 1, "L": 8, "P": 8, "LA": 8, "RGB": 8, "RGBA": 8}.get(mode)
            if mode not in ("I;16", "I;16B", "I;16L", "I"):
                raise ValueError(f"path: {path} is a PNG of mode {mode!r}"
                                 f"{f' ({bits}-bit)' if bits else ''}, not a 16-bit single-channel depth image")
            arr = np.array(im)
    except (OSError, SyntaxError, UnidentifiedImageError, EOFError) as exc:
        raise ValueError(f"path: {path} cannot be read as a depth PNG ({type(exc).__name__}: {exc}); "
                         "the file may be truncated or not an image") from None
    if arr.ndim != 2:
        raise ValueError(f"path: {path} must hold a single-channel 16-bit depth PNG; got an image of shape {arr.shape}")
    if arr.dtype.kind not in "iu" or arr.min(initial=0) < 0 or arr.max(initial=0) > 65535:
        raise ValueError(f"path: {path} must hold 16-bit unsigned depth units (0..65535); got dtype {arr.dtype}")
    return (arr.astype(np.float64) / depth_scale).astype(np.float32)


def _out_file(path) -> Path:
    """`path` as a Path to write, in an existing folder, or a ValueError/TypeError naming it."""
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or pathlib.Path; got {type(path).__name__}")
    if not str(path) or any(ord(ch) < 32 for ch in str(path)):
        raise ValueError(f"path must be a file name without control characters; got {str(path)!r}")
    path = Path(path)
    if not path.parent.is_dir() or path.is_dir():
        raise ValueError(f"path must name a file in an existing folder; got {path}")
    return path


def _existing_file(path, what: str) -> Path:
    """`path` as a Path to an existing file, or a ValueError/TypeError naming it."""
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or pathlib.Path naming {what}; got {type(path).__name__}")
    if isinstance(path, str) and (not path or any(ord(ch) < 32 for ch in path)):
        raise ValueError(f"path must be a file name without control characters naming {what}; got {path!r}")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path must be an existing file holding {what}; {path} not found")
    return path


def _quat_to_matrix(q):
    from scipy.spatial.transform import Rotation
    return Rotation.from_quat(q).as_matrix()


def write_tum_trajectory(path: str | Path, timestamps: Sequence[float], poses: np.ndarray) -> Path:
    """Write camera-to-world poses [T,4,4] as a TUM trajectory file:
    one line `timestamp tx ty tz qx qy qz qw` per pose (seconds, metres)."""
    from scipy.spatial.transform import Rotation

    poses = check_array("poses", poses, ndim=3)
    if poses.shape[1:] != (4, 4):
        raise ValueError(f"poses must have shape (T, 4, 4); got {poses.shape}")
    ts = check_array("timestamps", timestamps, shape=(poses.shape[0],))
    q = Rotation.from_matrix(poses[:, :3, :3]).as_quat()   # x, y, z, w
    lines = ["# timestamp tx ty tz qx qy qz qw"]
    for t, T, qq in zip(ts, poses, q):
        vals = [*T[:3, 3], *qq]
        lines.append(f"{float(t):.6f} " + " ".join(f"{x:.9f}" for x in vals))
    path = _out_file(path)
    path.write_text("\n".join(lines) + "\n")
    return path


def read_tum_trajectory(path: str | Path, max_poses: int = 10_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Read a TUM trajectory file: (timestamps [T] in s, camera-to-world poses [T,4,4]).
    Each non-comment line holds 8 finite numbers `timestamp tx ty tz qx qy qz qw` with a
    non-zero quaternion; a bad line is refused with its line number. At most `max_poses` poses."""
    path = _existing_file(path, "a TUM trajectory")
    max_poses = check_int("max_poses", max_poses, lo=1, hi=100_000_000)
    rows = []
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"path: {path} cannot be read as text ({type(exc).__name__}: {exc})") from None
    for k, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(",", " ").split()
        if len(parts) != 8:
            raise ValueError(f"path: {path} line {k} must have 8 numbers (timestamp tx ty tz qx qy qz qw); "
                             f"got {len(parts)}")
        vals = []
        for j, tok in enumerate(parts, 1):
            try:
                x = float(tok)
            except ValueError:
                raise ValueError(f"path: {path} line {k}, field {j}: {tok!r} is not a number") from None
            if not np.isfinite(x):
                raise ValueError(f"path: {path} line {k}, field {j}: {tok!r} is not finite")
            vals.append(x)
        if np.linalg.norm(vals[4:8]) < 1e-9:
            raise ValueError(f"path: {path} line {k}: the quaternion (qx qy qz qw) must not be zero")
        rows.append(vals)
        if len(rows) > max_poses:
            raise ValueError(f"path: {path} holds more than max_poses={max_poses} poses")
    if not rows:
        raise ValueError(f"path: {path} holds no poses")
    a = np.array(rows)
    poses = np.tile(np.eye(4), (len(a), 1, 1))
    poses[:, :3, :3] = _quat_to_matrix(a[:, 4:8])
    poses[:, :3, 3] = a[:, 1:4]
    return a[:, 0], poses


def write_intrinsics_json(path: str | Path, intrinsics: Intrinsics) -> Path:
    """Write Open3D's camera-intrinsic JSON (width, height, column-major intrinsic_matrix)."""
    check_type("intrinsics", intrinsics, Intrinsics)
    path = _out_file(path)
    path.write_text(json.dumps({"width": intrinsics.width, "height": intrinsics.height,
                                "intrinsic_matrix": intrinsics.matrix.T.reshape(-1).tolist()}, indent=4))
    return path


def read_intrinsics_json(path: str | Path) -> Intrinsics:
    """Read Open3D's camera-intrinsic JSON (as written by Open3D or `write_intrinsics_json`).
    Width and height must be whole numbers of pixels; anything else is refused, naming the file."""
    path = _existing_file(path, "an Open3D camera-intrinsic JSON")
    try:
        d = json.loads(path.read_text())
        if not isinstance(d, dict):
            raise ValueError("the top level is not an object")
        sizes = {}
        for key in ("width", "height"):
            v = d[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v != int(v):
                raise ValueError(f"{key} must be a whole number of pixels; got {v!r}")
            sizes[key] = int(v)
        K = np.asarray(d["intrinsic_matrix"], float)
        if K.shape != (9,) or not np.all(np.isfinite(K)):
            raise ValueError(f"intrinsic_matrix must be 9 finite numbers; got shape {K.shape}")
        K = K.reshape(3, 3).T
        return Intrinsics(sizes["width"], sizes["height"], float(K[0, 0]), float(K[1, 1]), float(K[0, 2]),
                          float(K[1, 2]))
    except (KeyError, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"path: {path} is not a valid Open3D camera-intrinsic JSON "
                         f"(width, height, intrinsic_matrix): {type(exc).__name__}: {exc}") from None
