"""Rendering: ray-casting a camera pass through a scene with Open3D, the Kinect-like noise model, the frames."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ...core.checks import (check_array, check_bool, check_int, check_number, check_positive, check_str_choice, check_type)

from .camera import Intrinsics, backproject, default_intrinsics, transform_points
from .objects import LAYOUTS, open3d_module, scene_objects, texture_values, trajectory

# Kinect-like sensor constants (Nguyen, Izadi & Lovell 2012 for the axial noise;
# the structured-light disparity quantisation uses the Kinect v1 baseline).
Z_MIN_M = 0.4
Z_MAX_M = 6.0
BASELINE_M = 0.075
DISPARITY_SUBPIXEL = 8
GRAZING_DEG = 78.0
MAX_PIXELS = 200_000_000   # render_sequence's budget: n_frames × width × height (5 float32 images per pixel)


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


def raycasting_scene(objs):
    o3d = open3d_module()
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
    scene = raycasting_scene(objs)
    o3d = open3d_module()
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
                tex[m] = texture_values(o.texture, p[m], o.period_m)
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
    o3d = open3d_module()
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

