"""Tests of lab.data.scenes: camera model, ray-cast rendering, noise model and file formats."""
import numpy as np
import pytest

from lab.data import scenes
from lab.core import viz3d


@pytest.fixture(scope="module")
def small_seq():
    return scenes.render_sequence(n_frames=3, width=80, height=60, seed=1)


def test_default_intrinsics_and_scaling():
    k = scenes.default_intrinsics()
    assert (k.width, k.height, k.fx, k.fy, k.cx, k.cy) == (640, 480, 525.0, 525.0, 319.5, 239.5)
    q = k.scaled(0.25)
    assert (q.width, q.height) == (160, 120)
    assert q.fx == pytest.approx(131.25) and q.cx == pytest.approx(79.5) and q.cy == pytest.approx(59.5)
    assert scenes.default_intrinsics(160, 120) == q
    np.testing.assert_allclose(k.matrix, [[525, 0, 319.5], [0, 525, 239.5], [0, 0, 1]])


def test_backproject_project_roundtrip():
    k = scenes.default_intrinsics(32, 24)
    rng = np.random.default_rng(0)
    depth = rng.uniform(0.5, 4.0, size=(24, 32)).astype(np.float32)
    pts = scenes.backproject(depth, k)
    assert pts.shape == (24, 32, 3)
    u, v, z = scenes.project(pts, k)
    vv, uu = np.mgrid[0:24, 0:32]
    np.testing.assert_allclose(u, uu, atol=1e-3)
    np.testing.assert_allclose(v, vv, atol=1e-3)
    np.testing.assert_allclose(z, depth)
    # the principal pixel looks straight ahead
    k2 = scenes.Intrinsics(3, 3, 10.0, 10.0, 1.0, 1.0)
    p = scenes.backproject(np.full((3, 3), 2.0), k2)
    np.testing.assert_allclose(p[1, 1], [0, 0, 2])
    np.testing.assert_allclose(p[0, 2], [0.2, -0.2, 2])


def test_look_at_is_a_rotation_with_opencv_axes():
    T = scenes.look_at([0, 0, 1], [1, 0, 1])
    R = T[:3, :3]
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    np.testing.assert_allclose(R[:, 2], [1, 0, 0], atol=1e-12)   # z forward
    np.testing.assert_allclose(R[:, 1], [0, 0, -1], atol=1e-12)  # y down


def test_render_depth_matches_independent_plane_intersection():
    """The floor pixels' depth equals the analytic ray/plane (z = 0) intersection."""
    f = scenes.render_sequence(n_frames=1, width=64, height=48, seed=0, noise=False)
    k, T = f.intrinsics, f.poses[0]
    floor = f.names.index("floor")
    mask = f.labels[0] == floor
    assert mask.sum() > 50
    v, u = np.nonzero(mask)
    d_cam = np.stack([(u - k.cx) / k.fx, (v - k.cy) / k.fy, np.ones(len(u))], 1)
    d_w = d_cam @ T[:3, :3].T
    z_true = -T[2, 3] / d_w[:, 2]          # camera-frame depth where the ray meets z = 0
    np.testing.assert_allclose(f.depth[0][mask], z_true, rtol=1e-4)
    # world points of floor pixels lie on the floor
    pw = scenes.transform_points(scenes.backproject(f.depth[0], k)[mask], T)
    np.testing.assert_allclose(pw[:, 2], 0.0, atol=1e-3)


def test_render_sequence_shapes_and_ranges(small_seq):
    f = small_seq
    assert f.depth.shape == f.depth_noisy.shape == f.gray.shape == (3, 60, 80)
    assert f.depth.dtype == f.depth_noisy.dtype == f.gray.dtype == np.float32
    assert f.poses.shape == (3, 4, 4) and f.poses.dtype == np.float64
    assert f.intrinsics == scenes.default_intrinsics(80, 60)
    assert (f.depth > 0).all() and f.depth.max() < 8      # closed room: every ray hits
    assert 0 <= f.gray.min() and f.gray.max() <= 1 and f.gray.std() > 0.05
    assert len(f) == 3 and len(f.frame(1)) == 1
    # a smooth trajectory: small steps between frames
    steps = np.linalg.norm(np.diff(f.poses[:, :3, 3], axis=0), axis=1)
    assert (steps > 0.005).all() and (steps < 0.2).all()


def test_ood_layout_differs():
    a = scenes.render_sequence(1, 40, 30, layout="indoor", noise=False)
    b = scenes.render_sequence(1, 40, 30, layout="ood", noise=False)
    assert set(a.names) != set(b.names)
    assert not np.allclose(a.depth, b.depth)


def test_kinect_noise_statistics():
    rng = np.random.default_rng(0)
    z = np.full((200, 200), 2.0, np.float32)
    cos = np.ones_like(z)
    noisy = scenes.kinect_noise(z, cos, rng)
    sigma = 0.0012 + 0.0019 * (2.0 - 0.4) ** 2
    assert (noisy > 0).all()
    assert noisy.std() == pytest.approx(sigma, rel=0.25)      # axial noise (quantisation adds a little)
    # quantised: few distinct values, one disparity step apart
    vals = np.unique(noisy)
    fb = 525.0 * 0.075
    disp = fb / vals.astype(np.float64) * 8
    np.testing.assert_allclose(disp, np.round(disp), atol=1e-3)
    # out of range and grazing incidence give holes
    z2 = np.array([[0.2, 2.0, 7.0, 2.0]], np.float32)
    c2 = np.array([[1.0, 1.0, 1.0, 0.05]], np.float32)
    out = scenes.kinect_noise(z2, c2, np.random.default_rng(1))
    assert out[0, 0] == 0 and out[0, 1] > 0 and out[0, 2] == 0 and out[0, 3] == 0


def test_depth_png_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    depth = rng.uniform(0.5, 6.0, size=(12, 16)).astype(np.float32)
    depth[3, 4] = 0
    for scale in (5000.0, 1000.0):
        p = scenes.write_depth_png(tmp_path / f"d{int(scale)}.png", depth, depth_scale=scale)
        back = scenes.read_depth_png(p, depth_scale=scale)
        assert back.shape == depth.shape and back.dtype == np.float32
        np.testing.assert_allclose(back, depth, atol=0.5 / scale + 1e-6)
        assert back[3, 4] == 0


def test_depth_png_readable_by_open3d(tmp_path):
    o3d = viz3d.open3d()
    depth = np.linspace(0.5, 3, 20 * 10, dtype=np.float32).reshape(10, 20)
    p = scenes.write_depth_png(tmp_path / "d.png", depth, depth_scale=1000.0)
    img = np.asarray(o3d.io.read_image(str(p)))
    assert img.dtype == np.uint16
    np.testing.assert_allclose(img / 1000.0, depth, atol=6e-4)


def test_tum_trajectory_roundtrip(tmp_path, small_seq):
    ts = np.arange(3) / 30.0 + 1305031102.175304
    p = scenes.write_tum_trajectory(tmp_path / "traj.txt", ts, small_seq.poses)
    t2, poses2 = scenes.read_tum_trajectory(p)
    np.testing.assert_allclose(t2, ts, atol=1e-6)
    np.testing.assert_allclose(poses2, small_seq.poses, atol=1e-7)
    # a hand-written TUM line: identity rotation, translation (1, 2, 3)
    (tmp_path / "one.txt").write_text("# comment\n1.0 1 2 3 0 0 0 1\n")
    _, P = scenes.read_tum_trajectory(tmp_path / "one.txt")
    np.testing.assert_allclose(P[0], [[1, 0, 0, 1], [0, 1, 0, 2], [0, 0, 1, 3], [0, 0, 0, 1]])


def test_intrinsics_json_matches_open3d(tmp_path):
    o3d = viz3d.open3d()
    k = scenes.Intrinsics(640, 480, 517.3, 516.5, 318.6, 255.3)
    p = scenes.write_intrinsics_json(tmp_path / "cam.json", k)
    assert scenes.read_intrinsics_json(p) == k
    o3 = o3d.io.read_pinhole_camera_intrinsic(str(p))
    np.testing.assert_allclose(np.asarray(o3.intrinsic_matrix), k.matrix)
    assert (o3.width, o3.height) == (640, 480)
    # and a file written by Open3D itself
    q = o3d.camera.PinholeCameraIntrinsic(320, 240, 260.0, 261.0, 160.5, 119.5)
    o3d.io.write_pinhole_camera_intrinsic(str(tmp_path / "o3d.json"), q)
    assert scenes.read_intrinsics_json(tmp_path / "o3d.json") == scenes.Intrinsics(320, 240, 260.0, 261.0, 160.5, 119.5)


def test_point_cloud(small_seq):
    pc = scenes.point_cloud(small_seq.depth[0], small_seq.intrinsics, small_seq.poses[0], small_seq.gray[0], stride=2)
    assert len(pc.points) == 30 * 40 and pc.has_colors()


def test_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="layout"):
        scenes.render_sequence(1, 40, 30, layout="outdoor")
    with pytest.raises(ValueError, match="n_frames"):
        scenes.render_sequence(0)
    with pytest.raises(TypeError, match="noise"):
        scenes.render_sequence(1, 40, 30, noise="yes")
    with pytest.raises(ValueError, match="factor"):
        scenes.default_intrinsics().scaled(-1)
    with pytest.raises(ValueError, match="fx"):
        scenes.Intrinsics(10, 10, 0.0, 1.0, 5.0, 5.0)
    with pytest.raises(ValueError, match="depth"):
        scenes.backproject(np.zeros((5, 5)), scenes.default_intrinsics(8, 8))
    with pytest.raises(ValueError, match="depth"):
        scenes.backproject(-np.ones((8, 8)), scenes.default_intrinsics(8, 8))
    with pytest.raises(ValueError, match="cos_incidence"):
        scenes.kinect_noise(np.ones((4, 4)), np.ones((4, 5)), np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        scenes.kinect_noise(np.ones((4, 4)), np.ones((4, 4)), 0)
    with pytest.raises(ValueError, match="depth_scale"):
        scenes.write_depth_png(tmp_path / "x.png", np.ones((4, 4)), depth_scale=0)
    with pytest.raises(ValueError, match="path"):
        scenes.read_depth_png(tmp_path / "missing.png")
    (tmp_path / "bad.txt").write_text("1 2 3\n")
    with pytest.raises(ValueError, match="path"):
        scenes.read_tum_trajectory(tmp_path / "bad.txt")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="path"):
        scenes.read_intrinsics_json(tmp_path / "bad.json")


def test_determinism_same_seed_same_frames():
    a = scenes.render_sequence(2, 40, 30, seed=5)
    b = scenes.render_sequence(2, 40, 30, seed=5)
    c = scenes.render_sequence(2, 40, 30, seed=6)
    for k in ("depth", "depth_noisy", "gray", "poses"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    assert not np.array_equal(a.depth_noisy, c.depth_noisy)


def test_loaders_refuse_what_they_cannot_read(tmp_path):
    from PIL import Image

    Image.fromarray(np.full((4, 4), 7, np.uint8)).save(tmp_path / "d8.png")
    with pytest.raises(ValueError, match=r"d8\.png.*mode 'L'.*8-bit"):
        scenes.read_depth_png(tmp_path / "d8.png")
    Image.fromarray(np.ones((4, 4), bool)).save(tmp_path / "d1.png")
    with pytest.raises(ValueError, match=r"d1\.png.*1-bit"):
        scenes.read_depth_png(tmp_path / "d1.png")
    Image.fromarray(np.full((4, 4), 7, np.uint8)).save(tmp_path / "d.jpg", format="JPEG")
    with pytest.raises(ValueError, match=r"d\.jpg is a JPEG"):
        scenes.read_depth_png(tmp_path / "d.jpg")
    good = scenes.write_depth_png(tmp_path / "good.png", np.full((40, 40), 2.0))
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:60])
    with pytest.raises(ValueError, match=r"cut\.png.*truncated"):
        scenes.read_depth_png(tmp_path / "cut.png")
    (tmp_path / "nan.txt").write_text("# t tx ty tz qx qy qz qw\n0 0 0 0 0 0 0 1\n1 nan 0 0 0 0 0 1\n")
    with pytest.raises(ValueError, match="line 3, field 2"):
        scenes.read_tum_trajectory(tmp_path / "nan.txt")
    (tmp_path / "tok.txt").write_text("0 0 0 0 0 0 0 1\n1 0 zero 0 0 0 0 1\n")
    with pytest.raises(ValueError, match="line 2, field 3: 'zero'"):
        scenes.read_tum_trajectory(tmp_path / "tok.txt")
    (tmp_path / "q.txt").write_text("0 0 0 0 0 0 0 0\n")
    with pytest.raises(ValueError, match="quaternion"):
        scenes.read_tum_trajectory(tmp_path / "q.txt")
    k = scenes.Intrinsics(16, 12, 10.0, 10.0, 7.5, 5.5)
    p = scenes.write_intrinsics_json(tmp_path / "k.json", k)
    import json
    d = json.loads(p.read_text())
    d["width"] = 16.7
    p.write_text(json.dumps(d))
    with pytest.raises(ValueError, match=r"k\.json.*width must be a whole number"):
        scenes.read_intrinsics_json(p)
    d["width"] = 16.0                        # a whole number written as a float is fine
    p.write_text(json.dumps(d))
    assert scenes.read_intrinsics_json(p) == k
