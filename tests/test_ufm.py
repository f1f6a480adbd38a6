"""Unit tests of lab.ufm (Uncertainty from Motion and its depth CNN)."""
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

from lab import ufm
from lab.data import scenes

INTR = scenes.Intrinsics(width=8, height=6, fx=5.0, fy=5.0, cx=3.5, cy=2.5)


def test_scales():
    assert "small" in ufm.SCALES
    for cfg in ufm.SCALES.values():
        assert len(cfg["eval_seeds"]) >= 3
        assert 0 <= cfg["timing_warmup"] < cfg["n_frames"]     # some frames are left to time
    assert ufm.SCALES["paper"]["timing_warmup"] == 41           # the authors time frames i > 40 only


def test_default_ensemble_size_is_the_authors():
    assert ufm.TrainConfig().n_members == 10                    # mit-lean/ufm config_1.yaml: ensemble_size: 10


# ---------------------------------------------------------------- moment matching

def test_merge_moments_matches_direct_mixture_moments():
    rng = np.random.default_rng(0)
    n, m = 7, 5  # 7 points, each observed 5 times
    xs = rng.normal(size=(m, n, 3))
    a = rng.normal(size=(m, n, 3, 3))
    covs = a @ np.swapaxes(a, -1, -2) * 0.1
    mean, cov, count = xs[0], covs[0], np.ones(n, dtype=int)
    for k in range(1, m):
        mean, cov, count = ufm.merge_moments(mean, cov, count, xs[k], covs[k])
    # reference: moments of the equally weighted mixture, computed directly
    ref_mean = xs.mean(0)
    second = (covs + xs[..., :, None] * xs[..., None, :]).mean(0)
    ref_cov = second - ref_mean[:, :, None] * ref_mean[:, None, :]
    np.testing.assert_allclose(mean, ref_mean, atol=1e-12)
    np.testing.assert_allclose(cov, ref_cov, atol=1e-12)
    assert (count == m).all()


def test_merge_moments_scalar_case_is_the_running_mean_and_pooled_variance():
    # 1D: samples 1, 2, 3 with zero own variance -> mean 2, population variance 2/3
    mean, cov, count = np.array([[0, 0, 1.0]]), np.zeros((1, 3, 3)), np.ones(1, int)
    for z in (2.0, 3.0):
        mean, cov, count = ufm.merge_moments(mean, cov, count, np.array([[0, 0, z]]), np.zeros((1, 3, 3)))
    assert mean[0, 2] == pytest.approx(2.0)
    assert cov[0, 2, 2] == pytest.approx(np.var([1.0, 2.0, 3.0]))


# ---------------------------------------------------------------- geometry

def test_observe_backprojects_along_rays_with_covariance_along_the_ray():
    depth = np.full((6, 8), 2.0)
    var = np.full((6, 8), 0.04)
    pts, cov = ufm.observe(depth, var, INTR)
    ref = scenes.backproject(depth, INTR).reshape(-1, 3)
    np.testing.assert_allclose(pts, ref, atol=1e-12)
    assert np.allclose(cov[:, 2, 2], 0.04)
    # rank one, along the ray
    r = pts / pts[:, 2:3]
    np.testing.assert_allclose(cov, 0.04 * r[:, :, None] * r[:, None, :], atol=1e-12)


def test_reproject_round_trips_and_flags_points_out_of_view():
    pts, _ = ufm.observe(np.full((6, 8), 1.5), np.zeros((6, 8)), INTR)
    pix = ufm.reproject(pts, INTR, (6, 8))
    np.testing.assert_array_equal(pix, np.arange(48))
    behind = np.array([[0.0, 0.0, -1.0], [100.0, 0.0, 1.0]])
    np.testing.assert_array_equal(ufm.reproject(behind, INTR, (6, 8)), [-1, -1])


def test_transform_cloud_rotates_covariances():
    th = 0.3
    rel = np.eye(4)
    rel[:3, :3] = [[np.cos(th), -np.sin(th), 0], [np.sin(th), np.cos(th), 0], [0, 0, 1]]
    rel[:3, 3] = [0.1, -0.2, 0.3]
    c = ufm.PointCloud(np.array([[1.0, 0, 2]]), np.diag([1.0, 0, 0])[None], np.ones(1, int), np.zeros(1, int))
    out = ufm.transform_cloud(c, rel)
    np.testing.assert_allclose(out.pos[0], rel[:3, :3] @ [1, 0, 2] + rel[:3, 3])
    np.testing.assert_allclose(out.cov[0], np.outer(rel[:3, 0], rel[:3, 0]), atol=1e-12)


# ---------------------------------------------------------------- the UfM step

def test_static_camera_with_two_alternating_predictions_gives_the_mixture_variance():
    d1, d2, var = np.full((6, 8), 2.0), np.full((6, 8), 2.2), np.full((6, 8), 0.01)
    cloud, rel = ufm.PointCloud(), np.eye(4)
    cloud, v, st = ufm.ufm_step(cloud, d1, var, None, INTR, 0)
    assert np.allclose(v, 0.01) and st["added"] == 48 and len(cloud) == 48
    cloud, v, st = ufm.ufm_step(cloud, d2, var, rel, INTR, 1)
    assert st["merged"] == 48 and st["added"] == 0
    # mixture of N(2.0, .01) and N(2.2, .01): .01 + .1² = .02; depth variance of the point
    np.testing.assert_allclose(v, 0.02, rtol=1e-9)
    assert (cloud.count == 2).all()


def test_points_no_pixel_sees_are_added_and_the_cap_drops_out_of_view_then_oldest():
    depth, var = np.full((6, 8), 2.0), np.full((6, 8), 0.01)
    cloud, _, _ = ufm.ufm_step(ufm.PointCloud(), depth, var, None, INTR, 0)
    # move sideways by half the field of view: part of the old cloud leaves the image
    rel = np.eye(4)
    rel[0, 3] = -1.2
    cloud2, _, st = ufm.ufm_step(cloud, depth, var, rel, INTR, 1)
    assert st["added"] > 0 and st["merged"] < 48
    assert len(cloud2) == 48 + st["added"]
    capped, _, st2 = ufm.ufm_step(cloud, depth, var, rel, INTR, 1, max_points=48)
    assert len(capped) == 48
    out_of_view = 48 - st["merged"]
    assert st2["dropped_out_of_view"] == min(out_of_view, st["added"])
    assert st2["dropped_oldest"] == st["added"] - st2["dropped_out_of_view"]


def test_true_depth_under_real_camera_motion_stays_certain():
    """With perfect predictions, reprojection under the true poses merges matching
    depths: UfM's added spread stays small (this checks the pose convention)."""
    fr = scenes.render_sequence(n_frames=6, width=32, height=24, seed=3, noise=False)
    cloud, var = ufm.PointCloud(), np.full((24, 32), 1e-4)
    for i in range(6):
        rel = ufm.relative_pose(fr.poses[i - 1], fr.poses[i]) if i else None
        cloud, v, _ = ufm.ufm_step(cloud, fr.depth[i].astype(float), var, rel, fr.intrinsics, i)
    assert np.median(np.sqrt(v)) < 0.03  # m; a wrong pose convention gives decimetres
    # and the wrong convention indeed fails that bar
    cloud, bad = ufm.PointCloud(), None
    for i in range(6):
        rel = ufm.relative_pose(fr.poses[i], fr.poses[i - 1]) if i else None
        cloud, bad, _ = ufm.ufm_step(cloud, fr.depth[i].astype(float), var, rel, fr.intrinsics, i)
    assert np.median(np.sqrt(bad)) > np.median(np.sqrt(v))


# ---------------------------------------------------------------- metrics

def test_nll_matches_scipy():
    rng = np.random.default_rng(1)
    mu, var = rng.uniform(1, 3, 50), rng.uniform(0.01, 0.5, 50)
    y = rng.uniform(1, 3, 50)
    ref = -stats.norm(mu, np.sqrt(var)).logpdf(y).mean()
    assert ufm.gaussian_nll(mu, var, y) == pytest.approx(ref, rel=1e-12)


def test_calibration_of_a_true_model_is_near_the_diagonal_and_rmse_known():
    rng = np.random.default_rng(2)
    mu = np.full(200_000, 2.0)
    y = mu + 0.3 * rng.standard_normal(mu.size)
    lv, obs = ufm.calibration_curve(mu, np.full(mu.size, 0.09), y)
    np.testing.assert_allclose(obs, lv, atol=0.01)
    assert ufm.expected_calibration_error(mu, np.full(mu.size, 0.09), y) < 0.005
    # an overconfident model (σ 10x too small) has a large ECE
    assert ufm.expected_calibration_error(mu, np.full(mu.size, 0.0009), y) > 0.3
    assert ufm.rmse(np.array([1.0, 2.0, 0.0]), np.array([1.0, 4.0, 0.0])) == pytest.approx(np.sqrt(2.0))


def test_metrics_ignore_pixels_without_truth():
    assert ufm.gaussian_nll(np.array([1.0, 5.0]), np.array([1.0, 1.0]), np.array([1.0, 0.0])) == \
        pytest.approx(0.5 * np.log(2 * np.pi))


# ---------------------------------------------------------------- bad input

def test_bad_inputs_raise_naming_the_parameter():
    with pytest.raises(ValueError, match="var"):
        ufm.observe(np.ones((6, 8)), np.ones((5, 8)), INTR)
    with pytest.raises(ValueError, match="depth"):
        ufm.ufm_step(ufm.PointCloud(), -np.ones((6, 8)), np.ones((6, 8)), None, INTR)
    with pytest.raises(ValueError, match="max_points"):
        ufm.ufm_step(ufm.PointCloud(), np.ones((6, 8)), np.ones((6, 8)), None, INTR, max_points=10)
    with pytest.raises(TypeError, match="intrinsics"):
        ufm.observe(np.ones((6, 8)), np.ones((6, 8)), object())
    bad_k = type("K", (), dict(fx=0.0, fy=1.0, cx=0.0, cy=0.0))()
    with pytest.raises(ValueError, match="intrinsics.fx"):
        ufm.reproject(np.ones((1, 3)), bad_k, (6, 8))
    with pytest.raises(ValueError, match="rel"):
        ufm.transform_cloud(ufm.PointCloud(), np.eye(3))
    with pytest.raises(ValueError, match="mask"):
        ufm.gaussian_nll(np.ones(3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="method"):
        ufm.run_method(_tiny_ensemble(), scenes.render_sequence(2, 16, 8), "mc-dropout")
    with pytest.raises(ValueError, match="clock"):
        ufm.run_method(_tiny_ensemble(), scenes.render_sequence(2, 16, 8), "ensemble", clock="gpu")
    with pytest.raises(ValueError, match="gray"):
        ufm.train_member(np.ones((2, 6, 8)), np.ones((2, 6, 8)), 0)
    with pytest.raises(TypeError, match="seed"):
        ufm.train_member(np.ones((2, 8, 8)), np.ones((2, 8, 8)), 0.5)


# ---------------------------------------------------------------- network, runs, determinism

def _tiny_ensemble(n=2):
    torch.manual_seed(0)
    cfg = ufm.TrainConfig(width=16, height=8, n_members=n, channels=4)
    return ufm.Ensemble([ufm.DepthNet(4).eval() for _ in range(n)], cfg)


def test_network_shapes_and_positive_outputs():
    net = ufm.DepthNet(4).eval()
    with torch.no_grad():
        d, lv = net(torch.rand(2, 16, 24))
    assert d.shape == lv.shape == (2, 16, 24)
    assert (d > 0).all() and (lv >= ufm.LOGVAR_MIN).all()


def test_runs_count_inferences_and_ensemble_is_the_mixture():
    ens = _tiny_ensemble(3)
    fr = scenes.render_sequence(4, 16, 8, seed=1)
    runs = {m: ufm.run_method(ens, fr, m) for m in ufm.METHODS}
    assert runs["aleatoric"].inferences_per_frame == 1
    assert runs["ensemble"].inferences_per_frame == 3
    assert runs["ensemble-UfM"].inferences_per_frame == 1
    mus, vs = zip(*(ufm.predict(n, fr.gray) for n in ens.nets))
    mus, vs = np.stack(mus), np.stack(vs)
    np.testing.assert_allclose(runs["ensemble"].depth, mus.mean(0), rtol=1e-6)
    np.testing.assert_allclose(runs["ensemble"].var, (vs + mus ** 2).mean(0) - mus.mean(0) ** 2, rtol=1e-5, atol=1e-9)
    # ensemble-UfM runs member i mod N at frame i
    for i in range(4):
        np.testing.assert_allclose(runs["ensemble-UfM"].depth[i], mus[i % 3, i], rtol=1e-6)
    np.testing.assert_allclose(runs["ensemble-UfM"].var[0], vs[0, 0], rtol=1e-6)


def test_save_load_round_trip(tmp_path):
    ens = _tiny_ensemble(2)
    p = ufm.save_ensemble(ens.nets, ens.config, tmp_path / "e.npz", {"note": "test"})
    back = ufm.load_ensemble(p)
    assert back.n == 2 and back.config == ens.config and back.info["note"] == "test"
    x = np.random.default_rng(0).random((1, 8, 16))
    a, _ = ufm.predict(ens.nets[1], x)
    b, _ = ufm.predict(back.nets[1], x)
    np.testing.assert_allclose(a, b, rtol=2e-2)  # weights are stored as float16
    p2 = ufm.save_ensemble(ens.nets, ens.config, tmp_path / "f.npz", {"note": "test"})
    assert p.read_bytes() == p2.read_bytes()  # byte-identical: regeneration is checkable by hash
    with pytest.raises(ValueError, match="path must name an existing ensemble file"):
        ufm.load_ensemble(tmp_path / "missing.npz")


def test_determinism_training_and_ufm():
    rng = np.random.default_rng(0)
    gray = rng.random((6, 8, 16)).astype(np.float32)
    depth = (1 + 2 * gray).astype(np.float32)
    cfg = ufm.TrainConfig(width=16, height=8, channels=4, epochs=2, warmup_epochs=1, batch=3)
    torch.set_num_threads(1)
    a, la = ufm.train_member(gray, depth, 5, cfg)
    b, lb = ufm.train_member(gray, depth, 5, cfg)
    assert la == lb
    for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(v, w), k
    ens = _tiny_ensemble(2)
    fr = scenes.render_sequence(3, 16, 8, seed=2)
    r1, r2 = ufm.run_method(ens, fr, "ensemble-UfM"), ufm.run_method(ens, fr, "ensemble-UfM")
    np.testing.assert_array_equal(r1.var, r2.var)
    assert ufm.evaluate(r1, fr)["nll"] == ufm.evaluate(r2, fr)["nll"]


def test_delta1_calibration_matches_a_loop_over_the_authors_bins():
    """The authors' δ1 metric, written again as a plain loop over 100 equal bins between the
    smallest and largest confidence (the first bin closed at its lower end)."""
    from scipy.stats import norm

    rng = np.random.default_rng(3)
    y = rng.uniform(1, 4, 500)
    mu = y * rng.uniform(0.6, 1.4, 500)
    var = rng.uniform(0.001, 1.0, 500)
    mids, acc, counts = ufm.delta1_calibration(mu, var, y, delta=0.25, n_bins=100)
    a = ((mu >= 0.75 * y) & (mu <= 1.25 * y)).astype(float)
    s = np.sqrt(var + 1e-7)
    c = norm.cdf(1.25 * mu, mu, s) - norm.cdf(0.75 * mu, mu, s)
    lo, w = c.min(), (c.max() - c.min()) / 100
    ref = {}
    for i in range(1, 101):
        inb = ((c >= lo) if i == 1 else (c > lo + (i - 1) * w)) & (c <= lo + i * w)
        if inb.any():
            ref[lo + i * w - w / 2] = a[inb]
    assert len(ref) == len(mids) and counts.sum() == 500
    np.testing.assert_allclose(mids, sorted(ref), rtol=1e-12)
    np.testing.assert_allclose(acc, [ref[k].mean() for k in sorted(ref)], rtol=1e-12)
    ece = sum(len(v) / 500 * abs(k - v.mean()) for k, v in ref.items())
    assert ufm.delta1_calibration_error(mu, var, y) == pytest.approx(ece, rel=1e-12)


def test_bad_input_refused_with_the_parameter_named(tmp_path):
    with pytest.raises(ValueError, match="count"):
        ufm.merge_moments(np.zeros((1, 3)), np.zeros((1, 3, 3)), np.array([-1]), np.ones((1, 3)), np.zeros((1, 3, 3)))
    with pytest.raises(ValueError, match="x must be finite"):
        ufm.merge_moments(np.zeros((1, 3)), np.zeros((1, 3, 3)), np.ones(1, int), np.full((1, 3), np.nan),
                          np.zeros((1, 3, 3)))
    with pytest.raises(ValueError, match="channels"):
        ufm.DepthNet(0)
    with pytest.raises(ValueError, match="mask must select"):
        ufm.gaussian_nll_loss(torch.ones(2, 2), torch.zeros(2, 2), torch.ones(2, 2), torch.zeros(2, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="width and height"):
        ufm.TrainConfig(width=10)
    ens = _tiny_ensemble(2)
    p = ufm.save_ensemble(ens.nets, ens.config, tmp_path / "e.npz")
    (tmp_path / "cut.npz").write_bytes(p.read_bytes()[:2000])
    with pytest.raises(ValueError, match=r"cut\.npz is not a usable UfM ensemble"):
        ufm.load_ensemble(tmp_path / "cut.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file at all")
    with pytest.raises(ValueError, match=r"junk\.npz"):
        ufm.load_ensemble(tmp_path / "junk.npz")
    bad = ens.nets[1]
    with torch.no_grad():
        next(bad.parameters()).fill_(float("nan"))
    q = ufm.save_ensemble(ens.nets, ens.config, tmp_path / "nan.npz")
    with pytest.raises(ValueError, match=r"nan\.npz.*not finite"):
        ufm.load_ensemble(q)
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match=r"other\.npz.*__config__"):
        ufm.load_ensemble(tmp_path / "other.npz")


def test_train_command_writes_under_build_by_default(tmp_path, monkeypatch):
    import lab.ufm.__main__ as cli

    written = []

    def fake_train(config, path, workers=1):
        written.append(Path(path))
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(b"x")
        return Path(path)

    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setattr(cli, "train_ensemble", fake_train)
    shipped = (Path(ufm.__file__).resolve().parents[2] / "data" / "ufm" / "ensemble.npz")
    before = shipped.read_bytes()
    assert cli.main(["train"]) == 1                        # differs from the shipped file: says so
    assert written[-1] == tmp_path / "build" / "ufm" / "ensemble.npz"
    assert shipped.read_bytes() == before                  # the shipped ensemble is untouched
    cli.main(["train", "--out", str(tmp_path / "mine.npz")])
    assert written[-1] == tmp_path / "mine.npz"


# ---------------------------------------------------------------- timing warm-up, ensemble size, the ensemble claim

def test_warmup_frames_are_run_and_scored_but_not_timed(monkeypatch):
    import time

    ens = _tiny_ensemble(2)
    fr = scenes.render_sequence(4, 16, 8, seed=1)
    plain = ufm.run_method(ens, fr, "aleatoric", clock="wall")
    calls = iter(range(10**6))
    monkeypatch.setattr(time, "perf_counter", lambda: float(next(calls)) ** 2)   # the k-th reading is k²
    run = ufm.run_method(ens, fr, "aleatoric", clock="wall", warmup=2)
    monkeypatch.undo()
    # frame i reads the clock twice (calls 2i, 2i + 1): its inference "takes" 4i + 1 s; frames 0, 1 are not timed
    assert run.timed_frames == 2 and run.infer_s == (4 * 2 + 1) + (4 * 3 + 1) and run.merge_s == 0.0
    assert run.ms_per_frame == pytest.approx(1e3 * 22 / 2)
    np.testing.assert_array_equal(run.depth, plain.depth)          # warm-up frames are still predicted and scored
    np.testing.assert_array_equal(run.var, plain.var)
    assert plain.timed_frames == 4
    with pytest.raises(ValueError, match="warmup"):
        ufm.run_method(ens, fr, "aleatoric", warmup=4)             # nothing left to time
    with pytest.raises(ValueError, match="timed_frames"):
        ufm.Run("aleatoric", np.ones((2, 6, 8)), np.ones((2, 6, 8)), 2, 0.1, 0.0, None, 3)
    cmp = ufm.compare(ens, n_frames=3, width=16, height=8, seeds=(0,), layouts=("indoor",), timing_warmup=2,
                      progress=False)
    assert cmp.timing_warmup == 2 and (cmp.table.timed_frames == 1).all()
    assert "the first 2 are warm-up" in ufm.speed_claim(cmp).note
    with pytest.raises(ValueError, match="timing_warmup"):
        ufm.compare(ens, n_frames=3, width=16, height=8, seeds=(0,), layouts=("indoor",), timing_warmup=3,
                    progress=False)


def test_member_k_depends_neither_on_the_ensemble_size_nor_on_the_workers(tmp_path):
    cfg = dict(width=16, height=8, channels=4, train_seeds=(100,), frames_per_sequence=2, epochs=1, batch=2,
               warmup_epochs=1)
    one = ufm.train_ensemble(ufm.TrainConfig(n_members=1, **cfg), tmp_path / "one.npz", workers=1, progress=False)
    two = ufm.train_ensemble(ufm.TrainConfig(n_members=2, **cfg), tmp_path / "two.npz", workers=2, progress=False)
    with np.load(one) as a, np.load(two) as b:
        members = [k for k in a.files if not k.startswith("__")]
        assert members and all(np.array_equal(a[k], b[k]) for k in members)
        assert sum(k.startswith("m1/") for k in b.files) > 0        # the second member is added, the first kept


def _ece_table(diffs_ood, diffs_indoor=(0.0, 0.0, 0.0)):
    """A comparison whose δ1 ECEs are ensemble 0.4, ensemble-UfM 0.4 + diff, aleatoric 0.3, per seed."""
    import pandas as pd

    rows = []
    for lay, diffs in (("ood", diffs_ood), ("indoor", diffs_indoor)):
        for s, d in enumerate(diffs):
            for m, e, nll in (("aleatoric", 0.3, 2.0), ("ensemble", 0.4, 1.0), ("ensemble-UfM", 0.4 + d, 1.2)):
                rows.append(dict(layout=lay, seed=s, method=m, nll=nll, ece=0.1, ece_delta1=e, rmse=0.5,
                                 inferences_per_frame=1.0, ms_per_frame=1.0))
    return ufm.Comparison(pd.DataFrame(rows), {("ood", 0): None}, 3)


def test_ensemble_calibration_claim_is_a_non_inferiority_test():
    close = ufm.ensemble_calibration_claim(_ece_table([0.001, 0.003, 0.002]), "ood", margin=0.02)
    assert close.holds and close.number == pytest.approx(0.002)
    iv = stats.ttest_rel([0.401, 0.403, 0.402], [0.4, 0.4, 0.4]).confidence_interval(0.95)
    assert f"{iv.high:+.3f}" in close.value and "indoor: +0.000" in close.note
    assert not ufm.ensemble_calibration_claim(_ece_table([0.05, 0.06, 0.055]), "ood", 0.02).holds   # clearly worse
    noisy = ufm.ensemble_calibration_claim(_ece_table([-0.05, 0.05, 0.0]), "ood", 0.02)
    assert not noisy.holds and noisy.number == pytest.approx(0.0)   # no worse on average, but not shown within 0.02
    assert ufm.ensemble_calibration_claim(_ece_table([-0.2, -0.21, -0.19]), "ood", 0.02).holds   # better is fine
    assert not ufm.ensemble_calibration_claim(_ece_table([0.0] * 3, [0.05, 0.06, 0.055]), "indoor", 0.02).holds
    with pytest.raises(ValueError, match="margin"):
        ufm.ensemble_calibration_claim(_ece_table([0.0] * 3), "ood", margin=0.0)
    with pytest.raises(ValueError, match="comparison"):
        ufm.ensemble_calibration_claim(_ece_table([0.0]), "ood")
    with pytest.raises(ValueError, match="layout"):
        ufm.ensemble_calibration_claim(_ece_table([0.0] * 3), "outdoor")
