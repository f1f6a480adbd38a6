"""Unit tests of lab.spgf (single-pass Gaussian fitting, its baselines and explorer)."""
import numpy as np
import pytest

from lab import spgf
from lab.data import scenes

INTR = scenes.default_intrinsics(64, 48)
LOOSE = spgf.Params(max_len=100.0, num_pixels_t=10, num_line_t=2)


def _points(depth, mask=None):
    p = scenes.backproject(depth, INTR).reshape(-1, 3).astype(np.float64)
    m = (depth.reshape(-1) > 0) if mask is None else mask.reshape(-1)
    return p[m]


def _match(g, pts):
    """The component whose mean is nearest the points' mean."""
    k = int(np.argmin(np.linalg.norm(g.means - pts.mean(0), axis=1)))
    return g.means[k], g.covariances[k], g.support[k]


def test_state_bytes_follow_the_record_layout():
    cap = spgf.capacities(640, spgf.Params())
    assert cap == {"queue": 2, "segments": 107, "clusters": 214}
    # 34 float32 fields per record: the 33 of the ICRA form and the depth interval of the nearest point,
    # which GMMap's depth-dependent length bound needs (its records carry the same depth_idx)
    assert spgf.RECORD_BYTES == 34 * 4
    assert spgf.state_bytes(640) == (2 + 107 + 214) * spgf.RECORD_BYTES + 84 == 44_012


def test_fronto_parallel_plane_is_one_gaussian_equal_to_numpy_moments():
    depth = np.full((48, 64), 2.0, np.float32)
    g = spgf.fit(depth, INTR, LOOSE)
    assert len(g) == 1 and g.support[0] == 48 * 64
    pts = _points(depth)
    np.testing.assert_allclose(g.means[0], pts.mean(0), atol=1e-5)
    np.testing.assert_allclose(g.covariances[0], np.cov(pts.T, bias=True), atol=2e-5)
    assert g.weights.sum() == pytest.approx(1.0)


def test_tilted_plane_and_depth_step_give_matching_gaussians():
    """A depth step splits the image into two planes; each Gaussian equals the moments of
    its plane's points (independent reference), and scikit-learn's EM finds the same means."""
    v, u = np.mgrid[0:48, 0:64]
    depth = np.where(u < 32, 1.5 + 0.01 * u, 3.0).astype(np.float32)   # tilted left half, flat right half
    g = spgf.fit(depth, INTR, LOOSE)
    assert len(g) == 2 and g.support.sum() == 48 * 64
    for mask in (u < 32, u >= 32):
        mean, cov, n = _match(g, _points(depth, mask))
        pts = _points(depth, mask)
        assert n == len(pts)
        np.testing.assert_allclose(mean, pts.mean(0), atol=1e-4)
        np.testing.assert_allclose(cov, np.cov(pts.T, bias=True), atol=1e-4)
    em = spgf.fit_em(depth, INTR, 2, seed=0, max_iter=200)
    order = lambda m: m[np.argsort(m[:, 2])]  # noqa: E731
    np.testing.assert_allclose(order(em.means), order(g.means), atol=0.02)


def test_holes_and_small_clusters_are_skipped():
    depth = np.full((48, 64), 2.0, np.float32)
    depth[:, 30:34] = 0          # a hole column splits each row
    depth[10:13, 5:8] = 1.0      # a 3x3 blob: too small to keep
    g = spgf.fit(depth, INTR, LOOSE)
    assert g.support.sum() <= (depth > 0).sum() - 9
    assert g.stats["segments_dropped"] > 0 or g.stats["clusters_pruned"] > 0
    assert all(abs(m[2] - 2.0) < 1e-3 for m in g.means)


def test_render_depth_recovers_a_plane_and_rmse_is_small():
    v, u = np.mgrid[0:48, 0:64]
    depth = (2.0 / (1 - 0.5 * (v - INTR.cy) / INTR.fy)).astype(np.float32)   # the plane z = 2 + 0.5 y
    g = spgf.fit(depth, INTR, LOOSE)
    pred = spgf.render_depth(g, INTR)
    inner = (slice(8, 40), slice(10, 54))
    np.testing.assert_allclose(pred[inner], depth[inner], atol=5e-3)
    assert spgf.rmse(depth, g, INTR) < 0.05
    e = spgf.depth_error(depth, g, INTR)
    assert 0.9 < e["coverage"] <= 1.0


def test_render_depth_of_a_single_gaussian_matches_the_analytic_densest_point():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 3))
    cov = A @ A.T * 0.01 + np.eye(3) * 1e-3
    mu = np.array([0.1, -0.05, 2.0])
    g = spgf.GMM(mu[None], cov[None], np.ones(1), np.ones(1, int))
    pred = spgf.render_depth(g, INTR, bound=10.0, reg=0.0)
    P = np.linalg.inv(cov)
    for (vv, uu) in [(24, 32), (10, 50), (40, 5)]:
        d = np.array([(uu - INTR.cx) / INTR.fx, (vv - INTR.cy) / INTR.fy, 1.0])
        t = d @ P @ mu / (d @ P @ d)
        m2 = mu @ P @ mu - (d @ P @ mu) ** 2 / (d @ P @ d)
        assert pred[vv, uu] == (pytest.approx(t, rel=1e-5) if m2 <= 100 else 0.0)
    assert (pred > 0).sum() > 100


def test_stream_and_state_after_row_agree_with_fit():
    f = scenes.render_sequence(1, 80, 60, seed=2)
    intr = f.intrinsics
    d = f.depth_noisy[0]
    g = spgf.fit(d, intr)
    states = list(spgf.stream(d, intr, rows_per_step=7))
    assert states[-1].row == 59 and len(states) == 9
    np.testing.assert_array_equal(states[-1].closed.means, g.means)
    assert len(states[-1].open_means) == 0                 # the last row closes everything
    mid = spgf.state_after_row(d, intr, 30)
    assert mid.row == 30 and len(mid.open_means) > 0
    assert (mid.open_columns[:, 0] <= mid.open_columns[:, 1]).all()
    assert len(mid.closed) <= len(g)


def test_scene_frame_statistics_are_consistent():
    f = scenes.render_sequence(1, 160, 120, seed=0)
    intr = f.intrinsics
    g = spgf.fit(f.depth_noisy[0], intr)
    st = g.stats
    cap = spgf.capacities(160, spgf.Params())
    assert st["state_bytes"] == spgf.state_bytes(160)
    assert st["peak_records"] <= sum(cap.values())
    assert 0 < g.support.sum() <= (f.depth_noisy[0] > 0).sum()
    assert np.all(np.linalg.eigvalsh(g.covariances) > -1e-5)    # valid covariances from float32 sums
    assert len(g) > 3 and spgf.rmse(f.depth_noisy[0], g, intr) < 0.6


def test_ndt_matches_voxel_moments():
    rng = np.random.default_rng(1)
    depth = rng.uniform(1.0, 3.0, size=(48, 64)).astype(np.float32)
    g = spgf.fit_ndt(depth, INTR, voxel_m=0.5, min_points=5)
    pts = _points(depth)
    keys = np.floor(pts / 0.5).astype(int)
    # an independent reference for one voxel: the most populated one
    uniq, inv, cnt = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    sel = pts[inv.reshape(-1) == np.argmax(cnt)]
    k = int(np.argmax(g.support))
    assert g.support[k] == len(sel)
    np.testing.assert_allclose(g.means[k], sel.mean(0), atol=1e-9)
    np.testing.assert_allclose(g.covariances[k], np.cov(sel.T, bias=True), atol=1e-9)
    assert g.support.sum() == cnt[cnt >= 5].sum()


def test_traced_counts_allocations():
    _, peak = spgf.traced(np.ones, 1_000_000)
    assert peak >= 8_000_000


def test_compare_and_summary_small():
    f = scenes.render_sequence(2, 80, 60, seed=0)
    df = spgf.compare(f, em_frames=1, em_max_iter=5, em_stride=2, progress=False)
    assert set(df.method) == {"SPGF", "EM", "NDT"} and len(df) == 5
    em, sp = df[df.method == "EM"].iloc[0], df[(df.method == "SPGF") & (df.frame == 0)].iloc[0]
    assert em.gaussians == sp.gaussians
    assert sp.state_bytes == spgf.state_bytes(80)
    s = spgf.summary(df)
    assert list(s.index) == ["SPGF", "EM", "NDT"]


def test_explorer_redraws():
    f = scenes.render_sequence(2, 80, 60, seed=0)
    ex = spgf.explorer(frames=f)
    before = ex.snapshot()[0].to_dict()["data"]
    ex.set(row=10)
    assert ex.snapshot()[0].to_dict()["data"] != before
    text = ex.readout.value
    ex.set(noise_floor=0.2, frame=1)
    assert ex.readout.value != text
    ex.play.value = 20                       # the play button drives the scanline
    assert ex.controls["row"].value == 20


def test_explorer_moves_the_scanline_without_refitting(monkeypatch):
    """A scanline move (the play button steps it every 700 ms) re-runs only the rows up to it: no re-fit of the
    frame, no new 3D view, the depth image's numbers not sent again; a threshold back to an earlier value reuses
    that fit."""
    from lab.spgf import views
    f = scenes.render_sequence(2, 80, 60, seed=0)
    fits = []
    monkeypatch.setattr(views, "fit", lambda *a, **k: fits.append(1) or spgf.fit(*a, **k))
    ex = spgf.explorer(frames=f)
    fig2d, fig3d = ex.figures
    heat, cloud = fig2d.data[0], fig3d.data[0]
    n = len(fits)
    ex.set(row=40)
    assert len(fits) == n and fig2d.data[0] is heat and fig3d.data[0] is cloud
    assert list(fig2d.data[3].y) == [40, 40] and fig2d.data[3].name == "scanline v=40"
    d = f.depth_noisy[0]                      # the overlays are those of a figure drawn afresh at that row
    fresh = spgf.image_figure(d, f.intrinsics, spgf.state_after_row(d, f.intrinsics, 40, spgf.Params()))
    for i in (1, 2):
        assert fig2d.data[i].x == fresh.data[i].x and fig2d.data[i].y == fresh.data[i].y
    ex.set(noise_floor=0.2)
    assert len(fits) == n + 1 and fig3d.data[0] is not cloud
    ex.set(noise_floor=float(ex.defaults["noise_floor"]))
    assert len(fits) == n + 1                 # cached
    ex.set(frame=1)
    assert fig2d.data[0] is not heat
    one = spgf.explorer(frames=scenes.render_sequence(1, 80, 60, seed=0))   # a single frame: its slider greyed
    assert one.controls["frame"].disabled and one.preset.value == "authors' defaults (GMMap tum.json)"


def test_bad_inputs():
    d = np.full((48, 64), 2.0, np.float32)
    with pytest.raises(ValueError, match="noise_floor"):
        spgf.Params(noise_floor=-1.0)
    with pytest.raises(TypeError, match="ncheck_t"):
        spgf.Params(ncheck_t=2.5)
    with pytest.raises(ValueError, match="unknown SPGF parameter"):
        spgf.Params().replace(bogus=1)
    with pytest.raises(ValueError, match="depth_m"):
        spgf.fit(np.ones((10, 10)), INTR)
    with pytest.raises(ValueError, match="depth_m"):
        spgf.fit(-d, INTR)
    with pytest.raises(TypeError, match="intrinsics"):
        spgf.fit(d, "camera")
    with pytest.raises(TypeError, match="params"):
        spgf.fit(d, INTR, params={"noise_floor": 0.1})
    g = spgf.fit(d, INTR, LOOSE)
    with pytest.raises(ValueError, match="bound"):
        spgf.render_depth(g, INTR, bound=0)
    with pytest.raises(ValueError, match="shape"):
        spgf.render_depth(g, INTR, shape=(10, 10))
    with pytest.raises(ValueError, match="row"):
        spgf.state_after_row(d, INTR, 48)
    with pytest.raises(ValueError, match="rows_per_step"):
        next(spgf.stream(d, INTR, rows_per_step=0))
    with pytest.raises(ValueError, match="n_components"):
        spgf.fit_em(d, INTR, 10_000)
    with pytest.raises(ValueError, match="voxel_m"):
        spgf.fit_ndt(d, INTR, voxel_m=0)
    with pytest.raises(TypeError, match="fn"):
        spgf.traced(3)


def test_determinism_same_input_same_mixture():
    f = scenes.render_sequence(2, 80, 60, seed=3)
    a = spgf.fit(f.depth_noisy[0], f.intrinsics)
    b = spgf.fit(f.depth_noisy[0], f.intrinsics)
    np.testing.assert_array_equal(a.means, b.means)
    np.testing.assert_array_equal(a.covariances, b.covariances)
    c1 = spgf.compare(f, em_frames=1, em_max_iter=5, em_stride=2, progress=False)
    c2 = spgf.compare(f, em_frames=1, em_max_iter=5, em_stride=2, progress=False)
    cols = ["method", "gaussians", "rmse_cm", "rmse_true_cm", "coverage", "state_bytes"]
    assert c1[cols].equals(c2[cols])


def test_region_growing_on_two_planes_gives_their_moments():
    v, u = np.mgrid[0:48, 0:64]
    depth = np.where(u < 32, 1.5, 3.0).astype(np.float32)       # two fronto-parallel planes, a 1.5 m step
    g = spgf.fit_region_growing(depth, INTR, scale=2.0, sigma=0.0, min_pixels=50)
    assert len(g) == 2 and g.support.sum() == 48 * 64
    for mask in (u < 32, u >= 32):
        pts = _points(depth, mask)
        mean, cov, n = _match(g, pts)
        assert n == len(pts)
        np.testing.assert_allclose(mean, pts.mean(0), atol=1e-9)
        np.testing.assert_allclose(cov, np.cov(pts.T, bias=True), atol=1e-9)


def test_claim_helpers_measure_from_the_table():
    f = scenes.render_sequence(1, 80, 60, seed=0)
    df = spgf.compare(f, em_frames=1, em_max_iter=5, em_stride=2, region_growing=True, progress=False)
    assert set(df.method) == {"SPGF", "EM", "NDT", "RG"}
    live = spgf.live_state_claim(df)
    assert live.number == pytest.approx(df[df.method == "SPGF"].state_peak_bytes.max() / 1e3, abs=0.01)
    assert live.holds == (live.number <= 43.0)
    for base in ("EM", "NDT", "RG"):
        m = spgf.rmse_claim(df, base)
        b = df[df.method == base].rmse_cm.mean()
        s = df[(df.method == "SPGF") & df.frame.isin(df[df.method == base].frame)].rmse_cm.mean()
        assert m.number == pytest.approx(b / s) and m.holds == (b >= s)
    assert spgf.paper_rmse_ratio("NDT") == pytest.approx(15 / 9)
    with pytest.raises(ValueError, match="baseline"):
        spgf.rmse_claim(df, "ICP")


def test_bad_input_refused_with_the_parameter_named():
    d = np.full((48, 64), 2.0, np.float32)
    with pytest.raises(ValueError, match="depth_m"):
        spgf.fit_ndt(-d, INTR)
    with pytest.raises(TypeError, match="shape"):
        spgf.render_depth(spgf.fit(d, INTR, LOOSE), INTR, shape=48)
    with pytest.raises(ValueError, match="covariances"):
        spgf.GMM(np.zeros((1, 3)), np.zeros((2, 3, 3)), np.ones(1), np.ones(1, int))
    empty = spgf.GMM(np.zeros((0, 3)), np.zeros((0, 3, 3)), np.zeros(0), np.zeros(0, int))
    with pytest.raises(ValueError, match="gmm covers no measured pixel"):
        spgf.depth_error(d, empty, INTR)                       # no RMSE rather than a silent NaN
    with pytest.raises(ValueError, match="reg"):
        spgf.render_depth(spgf.GMM(np.array([[0, 0, 2.0]]), np.zeros((1, 3, 3)), np.ones(1), np.ones(1, int)),
                          INTR, reg=0.0)


# --------------------------------------------------------------------------- first-surface ray casting
def _rays(intr):
    v, u = np.mgrid[0:intr.height, 0:intr.width]
    return np.stack([(u - intr.cx) / intr.fx, (v - intr.cy) / intr.fy, np.ones(u.shape)], -1)   # [H,W,3], unit z


def _sphere_gmm(centres, sigmas):
    c = np.asarray(centres, float)
    s = np.asarray(sigmas, float)
    return spgf.GMM(c, (s ** 2)[:, None, None] * np.eye(3), np.full(len(c), 1 / len(c)), np.ones(len(c), int))


def test_raycast_of_an_isotropic_gaussian_is_its_sphere_of_n_sigma():
    """Known answer: an isotropic Gaussian's n-sigma ellipsoid is a sphere of radius n·σ, so the ray
    through its centre hits at centre depth minus n·σ/|d|, and any ray at distance ρ ≤ nσ from the
    centre at (μ·d̂ − √(n²σ² − ρ²)) / |d| (depth, as d has unit z)."""
    d = _rays(INTR)
    u0, v0, z0, sigma, n = 40, 20, 2.0, 0.05, 2.0
    mu = z0 * d[v0, u0]
    got = spgf.raycast_depth(_sphere_gmm([mu], [sigma]), INTR, n_sigma=n, reg=0.0)
    norm = np.linalg.norm(d, axis=-1)
    along = (d @ mu) / norm                                      # distance of the closest point along the ray
    rho2 = mu @ mu - along ** 2
    hit = rho2 <= (n * sigma) ** 2
    want = np.where(hit, (along - np.sqrt(np.maximum((n * sigma) ** 2 - rho2, 0))) / norm, 0.0)
    assert hit.sum() > 10
    assert got[v0, u0] == pytest.approx(z0 - n * sigma / norm[v0, u0], abs=1e-5)
    np.testing.assert_allclose(got, want, atol=1e-5)
    wider = spgf.raycast_depth(_sphere_gmm([mu], [sigma]), INTR, n_sigma=3.0, reg=0.0)
    assert wider[v0, u0] == pytest.approx(z0 - 3.0 * sigma / norm[v0, u0], abs=1e-5)
    assert (wider > 0).sum() > (got > 0).sum()


def test_raycast_takes_the_nearer_surface_where_nearest_component_does_not():
    """A small sphere in front of a large one: the ray just inside the small one's 2σ rim hits it
    first, while the nearest-component rendering gives that pixel to the large one (whose centre the
    ray passes closer to in Mahalanobis units)."""
    d = _rays(INTR)
    u0, v0 = 32, 24
    far = 3.0 * d[v0, u0]
    near = 1.5 * d[v0, u0 + 1]                                   # centred one pixel to the right
    g = _sphere_gmm([near, far], [0.02, 0.3])
    ray = spgf.raycast_depth(g, INTR, n_sigma=2.0, reg=0.0)
    nn = spgf.render_depth(g, INTR, bound=2.0, reg=0.0)
    assert ray[v0, u0] < 1.5 and nn[v0, u0] > 2.5
    assert ray[v0, 2] == pytest.approx(nn[v0, 2], abs=0.65)    # off the small sphere both see the large one


def test_raycast_matches_open3d_ray_casting_of_ellipsoid_meshes():
    """Cross-check with a library: Open3D's RaycastingScene on finely tessellated 2σ ellipsoid meshes
    of anisotropic Gaussians (inscribed meshes, so their depth is slightly farther)."""
    from lab.core import viz3d
    o3d = viz3d.open3d()
    if o3d is None:
        pytest.skip("Open3D is not importable")
    rng = np.random.default_rng(0)
    intr = scenes.default_intrinsics(160, 120)
    d = _rays(intr)
    means, covs = [], []
    for (u, v, z) in ((50, 40, 2.0), (105, 75, 2.5), (80, 60, 3.5)):
        a = np.linalg.qr(rng.normal(size=(3, 3)))[0]
        covs.append(a @ np.diag([0.3, 0.15, 0.03]) ** 2 @ a.T)
        means.append(z * d[v, u])
    g = spgf.GMM(np.array(means), np.array(covs), np.ones(3) / 3, np.ones(3, int))
    ours = spgf.raycast_depth(g, intr, n_sigma=2.0, reg=0.0)
    scene = o3d.t.geometry.RaycastingScene()
    for m, c in zip(means, covs):
        lam, vec = np.linalg.eigh(c)
        sph = o3d.geometry.TriangleMesh.create_sphere(1.0, resolution=80)
        pts = np.asarray(sph.vertices) @ (vec * (2.0 * np.sqrt(lam))).T + m
        sph.vertices = o3d.utility.Vector3dVector(pts)
        scene.add_triangles(o3d.t.geometry.TriangleMesh.from_legacy(sph))
    rays = np.concatenate([np.zeros_like(d), d], -1).reshape(-1, 6).astype(np.float32)
    t = scene.cast_rays(o3d.core.Tensor(rays))["t_hit"].numpy().reshape(intr.shape)   # in units of |d|: a depth
    lib = np.where(np.isfinite(t), t, 0.0)
    both = (ours > 0) & (lib > 0)
    assert both.sum() > 2000
    assert ((ours > 0) != (lib > 0)).sum() <= 0.03 * both.sum()   # only rim pixels may differ
    np.testing.assert_allclose(lib[both], ours[both], atol=0.005)
    assert np.median(lib[both] - ours[both]) >= -1e-4          # the inscribed mesh is never nearer (but by rounding)


def test_depth_edges_mark_both_sides_of_a_step_and_not_a_slanted_plane():
    v, u = np.mgrid[0:48, 0:64]
    step = np.where(u < 32, 1.0, 2.0).astype(np.float32)
    e = spgf.depth_edges(step, jump_m=0.1)
    assert set(np.unique(np.nonzero(e)[1])) == {31, 32} and e.sum() == 2 * 48
    band = spgf.depth_edges(step, jump_m=0.1, band_px=2)
    assert set(np.unique(np.nonzero(band)[1])) == {29, 30, 31, 32, 33, 34}
    slanted = (2.0 + 0.02 * u).astype(np.float32)               # 4 cm across a 3x3 neighbourhood
    assert not spgf.depth_edges(slanted, jump_m=0.1).any()
    holes = step.copy()
    holes[:, 10] = 0                                            # a missing column is no edge
    assert set(np.unique(np.nonzero(spgf.depth_edges(holes))[1])) == {31, 32}


def test_error_split_shares_the_squared_error_at_the_edges():
    truth = np.full((10, 10), 2.0)
    edges = np.zeros((10, 10), bool)
    edges[:, 0] = True                                          # 10 edge pixels of 100
    pred = truth + 0.01
    pred[:, 0] += 0.29                                          # 0.30 m error on the edge column
    pred[5, 5] = 0                                              # one pixel not rendered
    e = spgf.error_split(pred, truth, edges)
    sq_on, sq_off = 10 * 0.3 ** 2, 89 * 0.01 ** 2
    assert e["coverage"] == pytest.approx(0.99)
    assert e["edge_pixels"] == pytest.approx(10 / 99)
    assert e["edge_share"] == pytest.approx(sq_on / (sq_on + sq_off))
    assert e["rmse"] == pytest.approx(np.sqrt((sq_on + sq_off) / 99))
    assert e["rmse_no_edges"] == pytest.approx(0.01)
    with pytest.raises(ValueError, match="pred_m"):
        spgf.error_split(np.zeros((10, 10)), truth, edges)
    with pytest.raises(ValueError, match="edges"):
        spgf.error_split(pred, truth, edges[:5])


def test_determinism_rendering_table_and_its_claims():
    f = scenes.render_sequence(2, 160, 120, seed=1)
    a = spgf.rendering_table(f, n_sigmas=(1.0, 2.0), bands_px=(3,), progress=False)
    b = spgf.rendering_table(f, n_sigmas=(1.0, 2.0), bands_px=(3,), progress=False)
    cols = [c for c in a.columns if c != "cpu_s"]
    assert a[cols].equals(b[cols])
    assert list(dict.fromkeys(a.renderer)) == [spgf.NEAREST, "ray-cast 1σ", "ray-cast 2σ"]
    assert (a.edge_share_3px >= a.edge_share - 1e-12).all()      # the wider band holds the edge pixels
    s = spgf.rendering_summary(a)
    assert list(s.index) == [spgf.NEAREST, "ray-cast 1σ", "ray-cast 2σ"]
    for r in s.index:
        for off in (False, True):
            m = spgf.rendering_rmse_claim(a, r, without_edges=off)
            col = "rmse_no_edges_cm" if off else "rmse_cm"
            assert m.number == pytest.approx(a[a.renderer == r][col].mean(), abs=0.005)
            assert m.holds == (m.number <= 13.5)
    with pytest.raises(ValueError, match="renderer"):
        spgf.rendering_rmse_claim(a, "ray-cast 5σ")
    with pytest.raises(ValueError, match="table"):
        spgf.rendering_summary(a.drop(columns="edge_share"))


# --------------------------------------------------------------------------- GMMap's depth-dependent length bound
def _length_at(table, z):
    return table[np.searchsorted(table[:, 1], z), 2]


def test_max_length_table_follows_gmmap_compute_depth():
    """Known answers, worked by hand from GMMap's computeDepth: slope = 0.5·min(W/fx, H/fy); the first interval is
    min_gau_len (0.5 m) long, then slope·(start depth) clipped to [0.5, 4 × 0.5] m, then 2 m to max_depth."""
    tum = spgf.max_length_table(scenes.Intrinsics(640, 480, 525.0, 525.0, 319.5, 239.5), spgf.Params(max_depth=10.0))
    # slope = 0.5 · 480/525 = 0.457143: 0.457·0.5 and 0.457·1.0 are below 0.5; 0.457·1.5 = 0.685714,
    # 0.457·2.185714 = 0.999184, 0.457·3.184898 = 1.455953, 0.457·4.640851 = 2.12 > 2: 2 m from there on
    np.testing.assert_allclose(tum[:, 2], [0.5, 0.5, 0.5, 0.685714, 0.999184, 1.455953, 2.0, 2.0, 2.0], atol=1e-6)
    np.testing.assert_allclose(tum[1:, 0], tum[:-1, 1])                     # contiguous intervals from 0
    assert tum[0, 0] == 0.0 and tum[-2, 1] < 10.0 <= tum[-1, 1]
    # TartanAir's camera (fx = 320): slope = 0.5 · min(640, 480)/320 = 0.75: 0.5, 0.5 (0.375 < 0.5), 0.75,
    # 1.3125, then 0.75·3.0625 = 2.30 > 2
    tartan = spgf.max_length_table(scenes.Intrinsics(640, 480, 320.0, 320.0, 320.0, 240.0), spgf.Params(max_depth=6.0))
    np.testing.assert_allclose(tartan[:, 2], [0.5, 0.5, 0.75, 1.3125, 2.0, 2.0], atol=1e-9)
    np.testing.assert_array_equal(spgf.max_length_table(INTR, spgf.Params(max_len=0.8)), [[0.0, 10.0, 0.8]])
    with pytest.raises(ValueError, match="min_gau_len"):
        spgf.Params(min_gau_len=0.0)
    with pytest.raises(ValueError, match="frame_max_scale"):
        spgf.Params(frame_max_scale=0.5)
    with pytest.raises(TypeError, match="max_len"):
        spgf.Params(max_len="1")


def test_segments_are_bounded_at_their_pixels_depth():
    """A frontal wall lies in one depth interval: the depth-dependent bound fits it exactly as one fixed length,
    the interval's, would. The wall fills the image at every depth; as the bound grows with depth, the number of
    Gaussians stays nearly the same, while one fixed 1 m bound cuts the far walls into many more."""
    intr = scenes.default_intrinsics(160, 120)
    table = spgf.max_length_table(intr)
    loose = dict(num_pixels_t=10, num_line_t=2)
    adaptive, fixed = [], []
    for z in (1.2, 2.5, 4.0, 7.0):                      # bounds 0.5, 0.999, 1.456 and 2 m
        wall = np.full((120, 160), z, np.float32)
        g = spgf.fit(wall, intr, spgf.Params(**loose))
        ref = spgf.fit(wall, intr, spgf.Params(max_len=float(_length_at(table, z)), **loose))
        np.testing.assert_array_equal(g.means, ref.means)
        np.testing.assert_array_equal(g.support, ref.support)
        adaptive.append(len(g))
        fixed.append(len(spgf.fit(wall, intr, spgf.Params(max_len=1.0, **loose))))
    assert max(adaptive) / min(adaptive) < 2 and max(fixed) / min(fixed) > 6


def _fused_rows(means, table, rule):
    """Reference segment fusion down a column of one-segment rows (row means `means` [H,3]): a cluster takes the
    next row while the distance from its top row's mean to its last row's mean is below the length bound at the
    depth `rule` picks ("nearest": of its nearest point, as GMMap; "last": of its last row). Returns the rows
    per cluster."""
    sizes, top, last = [], 0, 0
    for v in range(1, len(means)):
        z = means[top:last + 1, 2].min() if rule == "nearest" else means[last, 2]
        if np.sum((means[last] - means[top]) ** 2) < _length_at(table, z) ** 2:
            last = v
        else:
            sizes.append(last - top + 1)
            top = last = v
    return sizes + [last - top + 1]


def test_clusters_are_bounded_at_their_nearest_points_depth():
    """A strip of a tilted plane whose depth grows down the image (1.2 to 2.4 m, so clusters cross from the 0.5 m
    interval into the 0.686 m and 0.999 m ones): each row is one segment, and SPGF's clusters are the row runs
    that the nearest-point rule gives, not those of a bound taken at the cluster's last row."""
    intr = scenes.default_intrinsics(160, 120)
    v = np.arange(120)
    z = 1.6 / (1 - 0.005602 * (v - intr.cy))                 # the plane z = 1.6 + 0.7355·y: depth constant per row
    depth = np.zeros((120, 160), np.float32)
    depth[:, 72:88] = z[:, None]                              # a 16-pixel strip: rows shorter than any bound
    g = spgf.fit(depth, intr, spgf.Params(num_pixels_t=10, num_line_t=2))
    zz = depth[:, 72:88].astype(np.float64)
    u = np.arange(72, 88)
    means = np.stack([((u - intr.cx)[None] * zz / intr.fx).mean(1), (v - intr.cy) * z / intr.fy, z], 1)
    table = spgf.max_length_table(intr)
    near, last = _fused_rows(means, table, "nearest"), _fused_rows(means, table, "last")
    assert near != last                                       # the test tells the two rules apart
    got = sorted(int(n) // 16 for n in g.support)
    assert got == sorted(near) and sum(near) == 120


# --------------------------------------------------------------------------- equal Gaussian counts
def test_fit_matched_reaches_the_target_count_deterministically():
    f = scenes.render_sequence(1, 160, 120, seed=0)
    d, intr = f.depth_noisy[0], f.intrinsics
    k = len(spgf.fit(d, intr))
    for method, refit in (("NDT", lambda x: spgf.fit_ndt(d, intr, voxel_m=x)),
                          ("RG", lambda x: spgf.fit_region_growing(d, intr, min_pixels=x))):
        g = spgf.fit_matched(d, intr, method, k, tolerance=0.1)
        assert g.stats["matched"] and abs(len(g) - k) <= 0.1 * k and g.stats["target"] == k
        assert g.stats["evals"] <= 12 and g.stats["peak_bytes"] > 0
        assert len(refit(g.stats["setting"])) == len(g)       # the setting reported is the one fitted
        again = spgf.fit_matched(d, intr, method, k, tolerance=0.1)
        assert again.stats["setting"] == g.stats["setting"]
        np.testing.assert_array_equal(again.means, g.means)
    far = spgf.fit_matched(d, intr, "NDT", 1_000_000, max_evals=5)   # unreachable: the closest, flagged
    assert not far.stats["matched"] and far.stats["evals"] <= 5
    with pytest.raises(ValueError, match="method"):
        spgf.fit_matched(d, intr, "ICP", k)
    with pytest.raises(ValueError, match="target"):
        spgf.fit_matched(d, intr, "NDT", 0)


def test_compare_matches_the_baselines_counts_per_frame():
    f = scenes.render_sequence(2, 160, 120, seed=0)
    df = spgf.compare(f, em_frames=1, em_max_iter=5, em_stride=2, region_growing=True, progress=False)
    sp = df[df.method == "SPGF"].set_index("frame").gaussians
    for name in ("NDT", "RG"):
        rows = df[df.method == name].set_index("frame")
        assert (rows.target == sp).all() and rows.matched.all()
        assert (abs(rows.gaussians - sp) <= 0.1 * sp).all()
    fixed = spgf.compare(f, em_frames=0, ndt_voxel_m=0.3, progress=False)
    nd = fixed[fixed.method == "NDT"]
    assert (nd.setting == 0.3).all()
    assert list(nd.gaussians) == [len(spgf.fit_ndt(f.depth_noisy[i], f.intrinsics, 0.3)) for i in range(2)]
    m = spgf.rmse_claim(df, "RG")
    assert "chosen per frame" in m.note and "paired t, n = 2" in m.note
    assert "setting" in spgf.summary(df).columns


def test_count_curve_and_its_figure():
    f = scenes.render_sequence(1, 160, 120, seed=0)
    d, intr = f.depth_noisy[0], f.intrinsics
    cv = spgf.count_curve(f, min_gau_lens=(0.1, 0.5), max_lens=(0.5, 1.0), em_components=(4, 8), voxels_m=(0.5,),
                          rg_min_pixels=(100, 400), em_max_iter=5, progress=False)
    assert list(dict.fromkeys(cv.method)) == ["SPGF", "SPGF (fixed length)", "EM", "NDT", "RG"]
    em = cv[cv.method == "EM"]
    assert list(em.gaussians) == [4, 8] and list(em.setting) == [4.0, 8.0]
    fx = cv[cv.method == "SPGF (fixed length)"]
    assert list(fx.gaussians) == [len(spgf.fit(d, intr, spgf.Params(max_len=L))) for L in (0.5, 1.0)]
    assert cv[cv.method == "NDT"].gaussians.iloc[0] == len(spgf.fit_ndt(d, intr, 0.5))
    rg = cv[cv.method == "RG"].gaussians
    assert rg.iloc[0] >= rg.iloc[1]                          # a larger minimum region: fewer regions
    assert (cv.rmse_cm > 0).all() and np.isfinite(cv.rmse_cm).all()
    df = spgf.compare(f, em_frames=1, em_max_iter=5, em_stride=2, region_growing=True, progress=False)
    fig = spgf.count_figure(cv, df)
    names = [t.name for t in fig.data]
    assert names[:5] == ["SPGF", "SPGF (fixed length)", "EM", "NDT", "RG"] and len(names) == 9
    assert fig.layout.xaxis.type == "log" and "[" in fig.layout.yaxis.title.text
    with pytest.raises(ValueError, match="curve"):
        spgf.count_figure(cv.drop(columns=["setting"]))


def test_noise_free_corridor_frames_walk_down_the_hallway():
    f = scenes.render_sequence(3, 80, 60, layout="corridor", seed=0, noise=False)
    assert f.layout == "corridor" and np.array_equal(f.depth_noisy, f.depth)
    assert (f.depth > 0).all()                                   # a closed hallway: every ray hits
    assert "door0" in f.names and "cabinet" in f.names
    x = f.poses[:, 0, 3]
    assert np.all(np.diff(x) > 0) and np.all(np.abs(f.poses[:, 1, 3]) < 1.0)   # forward, between the walls
    assert f.depth.max() < spgf.Params().max_depth                # the far wall is within SPGF's range
    g = spgf.fit(f.depth[0], f.intrinsics, spgf.TARTANAIR)
    assert len(g) > 3 and spgf.rmse(f.depth[0], g, f.intrinsics) < 0.5
    again = scenes.render_sequence(3, 80, 60, layout="corridor", seed=0, noise=False)
    np.testing.assert_array_equal(again.depth, f.depth)
