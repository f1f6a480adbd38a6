"""The scenes' geometry: the rooms and their objects as Open3D meshes, their textures, and the camera's path."""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from ...core.checks import (check_int, check_number, check_str_choice, check_type)

from .camera import look_at

LAYOUTS = ("indoor", "ood", "corridor")
TEXTURES = ("plain", "checker", "stripes", "noise", "rings")


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
        o3d = open3d_module()
        check_type("mesh", self.mesh, o3d.geometry.TriangleMesh)
        check_number("albedo", self.albedo, lo=0.0, hi=1.0)
        check_str_choice("texture", self.texture, TEXTURES)
        check_number("period_m", self.period_m, lo=1e-3, hi=1e3)


def open3d_module():
    from ...core import viz3d
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
    o3d = open3d_module()
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


def texture_values(kind: str, p: np.ndarray, period: float) -> np.ndarray:
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

