"""Valid, fast calls of lab.core.viz3d, for tests/test_bad_input.py."""
import numpy as np

MODULE = "lab.core.viz3d"


def _pc():
    from lab.core import viz3d
    o3d = viz3d.open3d()
    return o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.random.default_rng(0).normal(size=(20, 3))))


SPECS = {
    "import_error": lambda: dict(),
    "orbit_eye": lambda: dict(center=np.zeros(3), radius=1.0, azimuth_deg=30.0, elevation_deg=20.0),
    "to_plotly": lambda: dict(geometries=[_pc()], title="t", unit="m", marker_size=2.0, height=300),
}
SKIP = {
    "render": "starts the offscreen renderer (seconds per call); its checks are tested in test_core",
    "view": "a widget that renders with Open3D; driven by notebooks 06 and 09 and the browser test",
}
