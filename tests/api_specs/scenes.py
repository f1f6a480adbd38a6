"""Valid, fast calls of lab.data.scenes' public API, for tests/test_bad_input.py."""
from functools import lru_cache
from pathlib import Path
import tempfile

import numpy as np

from lab.data import scenes as T

MODULE = "lab.data.scenes"

INTR = T.Intrinsics(width=16, height=12, fx=13.0, fy=13.0, cx=7.5, cy=5.5)
DEPTH = np.full((12, 16), 2.0, np.float32)


@lru_cache(maxsize=1)
def _folder() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="lab_scenes_spec_")  # removed when dropped or at exit


@lru_cache(maxsize=1)
def _files() -> dict:
    d = Path(_folder().name)
    poses = np.tile(np.eye(4), (2, 1, 1))
    return dict(png=T.write_depth_png(d / "d.png", DEPTH), tum=T.write_tum_trajectory(d / "t.txt", [0.0, 0.1], poses),
                json=T.write_intrinsics_json(d / "k.json", INTR), dir=d)


@lru_cache(maxsize=1)
def _frames():
    return T.render_sequence(n_frames=2, width=16, height=12, seed=0)


SPECS = {
    "Intrinsics": lambda: dict(width=16, height=12, fx=13.0, fy=13.0, cx=7.5, cy=5.5),
    "Intrinsics.scaled": lambda: dict(self=INTR, factor=0.5),
    "default_intrinsics": lambda: dict(width=32, height=24),
    "backproject": lambda: dict(depth=DEPTH, intrinsics=INTR),
    "project": lambda: dict(points=np.ones((4, 3)), intrinsics=INTR),
    "transform_points": lambda: dict(points=np.ones((4, 3)), pose=np.eye(4)),
    "look_at": lambda: dict(eye=[0.0, 0.0, 1.0], target=[1.0, 0.0, 1.0], up=[0.0, 0.0, 1.0]),
    "trajectory": lambda: dict(n_frames=3, layout="indoor", seed=0, deg_per_frame=1.5),
    "kinect_noise": lambda: dict(depth=DEPTH, cos_incidence=np.ones((12, 16)), rng=np.random.default_rng(0),
                                 z_min=0.4, z_max=6.0, focal_px=525.0, baseline_m=0.075, subpixel=8,
                                 grazing_deg=78.0),
    "scene_objects": lambda: dict(layout="indoor", seed=0),
    "SceneObject": lambda: dict(name="box", mesh=T.scene_objects("indoor", 0)[0].mesh, albedo=0.5, texture="plain",
                                period_m=1.0),
    "render_sequence": lambda: dict(n_frames=1, width=16, height=12, layout="indoor", seed=0, noise=True,
                                    deg_per_frame=1.5, light=[0.0, 0.0, 2.0]),
    "Frames": lambda: dict(depth=np.ones((1, 12, 16), np.float32), depth_noisy=np.ones((1, 12, 16), np.float32),
                           gray=np.full((1, 12, 16), 0.5, np.float32), poses=np.eye(4)[None], intrinsics=INTR),
    "Frames.frame": lambda: dict(self=_frames(), i=1),
    "point_cloud": lambda: dict(depth=DEPTH, intrinsics=INTR, pose=np.eye(4), gray=np.full((12, 16), 0.5), stride=2),
    "write_depth_png": lambda: dict(path=_files()["dir"] / "w.png", depth=DEPTH, depth_scale=5000.0),
    "read_depth_png": lambda: dict(path=_files()["png"], depth_scale=5000.0),
    "write_tum_trajectory": lambda: dict(path=_files()["dir"] / "w.txt", timestamps=[0.0, 0.1],
                                         poses=np.tile(np.eye(4), (2, 1, 1))),
    "read_tum_trajectory": lambda: dict(path=_files()["tum"], max_poses=100),
    "write_intrinsics_json": lambda: dict(path=_files()["dir"] / "w.json", intrinsics=INTR),
    "read_intrinsics_json": lambda: dict(path=_files()["json"]),
}
SKIP = {}
