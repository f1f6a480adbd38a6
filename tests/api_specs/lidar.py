"""Valid, fast calls of lab.data.lidar's public API, for tests/test_bad_input.py."""
from lab.data import lidar as T

MODULE = "lab.data.lidar"

SPECS = {
    "lidar_scene": lambda: dict(n_voxels=300, seed=0, voxel_size=0.1, n_rings=16, extent=20.0),
}
SKIP = {}
