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

Files: `camera.py` the pinhole camera; `objects.py` the rooms, objects, textures and camera path; `render.py`
the ray casting and the sensor noise; `formats.py` the file formats of real recordings.
"""
from .camera import Intrinsics, backproject, default_intrinsics, look_at, project, transform_points
from .formats import (read_depth_png, read_intrinsics_json, read_tum_trajectory, write_depth_png,
                      write_intrinsics_json, write_tum_trajectory)
from .objects import LAYOUTS, TEXTURES, SceneObject, scene_objects, trajectory
from .render import MAX_PIXELS, Frames, kinect_noise, point_cloud, render_sequence

__all__ = [
    "LAYOUTS", "TEXTURES", "MAX_PIXELS", "Intrinsics", "default_intrinsics", "backproject", "project", "transform_points", "look_at",
    "SceneObject", "scene_objects", "trajectory", "kinect_noise", "Frames", "render_sequence", "point_cloud",
    "write_depth_png", "read_depth_png", "write_tum_trajectory", "read_tum_trajectory", "write_intrinsics_json",
    "read_intrinsics_json",
]
