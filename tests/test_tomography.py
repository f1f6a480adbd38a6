"""Unit tests of lab.tomography (notebook 02: PGAN for limited-angle, low-photon X-ray tomography)."""

import numpy as np
import pandas as pd
import pytest
import torch
from skimage.transform import radon

from lab import tomography as tomo

SHAPE = (8, 16, 16)


@pytest.fixture(scope="module")
def priors():
    return tomo.load_priors()


def test_scales():
    for cfg in tomo.SCALES.values():
        assert cfg["n_test"] >= 3


# ---------------------------------------------------------------- objects

def test_circuit_faker_structure():
    x = tomo.circuit_faker(50, seed=0)
    assert x.shape == (50,) + SHAPE and x.dtype == np.float32 and set(np.unique(x)) <= {0.0, 1.0}
    # voxels odd in two coordinates are never metal; odd layers hold vias only (on the seed lattice)
    assert not x[:, :, 1::2, 1::2].any() and not x[:, 1::2, 1::2, :].any() and not x[:, 1::2, :, 1::2].any()
    # the authors' rule (circuitFaker.py, getCircuitFromSeed): the wire at odd index 2k+1 needs seeds k-1
    # (cyclically, np.roll by one) and k on; so the last odd plane can hold metal
    seeds = x[:, 0::2, 0::2, 0::2]
    wx = x[:, 0::2, 0::2, 1::2]
    assert np.all(wx <= seeds * np.roll(seeds, 1, axis=3))
    via = x[:, 1::2, 0::2, 0::2]
    assert np.all(via <= seeds * np.roll(seeds, 1, axis=1))
    assert via[:, -1].any() and x[:, 0::2, 0::2, -1].any()        # the last odd planes are used
    # the wrapped wire: the first odd plane needs the last seed; one that does not hold it stays empty
    assert not via[:, 0][seeds[:, -1] == 0].any() and via[:, 0][seeds[:, -1] * seeds[:, 0] == 1].any()
    # routing layers alternate: x-wires on seed layers 0, 2 (voxel layers 0, 4), y-wires on 1, 3
    assert not x[:, 0::4, 1::2, 0::2].any() and not x[:, 2::4, 0::2, 1::2].any()
    assert x[:, 0::4, 0::2, 1::2].any() and x[:, 2::4, 1::2, 0::2].any()


def test_circuit_faker_fill_fraction_matches_the_model():
    x = tomo.circuit_faker(4000, seed=3)
    assert abs(x.mean() - tomo.expected_fill()) < 0.003
    assert tomo.expected_fill(p_seed=1.0, p_via=1.0, p_wire=1.0) == pytest.approx(
        (256 + 256 + 2 * 64 + 2 * 64) / 2048)      # seeds, a via per seed, x- and y-wires (cyclic)


def test_iid_objects_fill_and_no_correlation():
    x = tomo.iid_objects(2000, seed=1)
    assert abs(x.mean() - tomo.expected_fill()) < 0.003
    a, b = x[:, :, :, :-1].ravel(), x[:, :, :, 1:].ravel()
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.01


def test_objects_are_seeded():
    np.testing.assert_array_equal(tomo.circuit_faker(3, 5), tomo.circuit_faker(3, 5))
    assert not np.array_equal(tomo.circuit_faker(3, 5), tomo.circuit_faker(3, 6))


# ---------------------------------------------------------------- projector

@pytest.mark.parametrize("n_angles", [1, 3, 4, 7, 16])
def test_projector_matches_skimage_radon(n_angles):
    rng = np.random.default_rng(n_angles)
    th = tomo.angles(n_angles)
    a = tomo.system_matrix(16, th)
    for img in (rng.random((16, 16)), tomo.circuit_faker(1, n_angles)[0, 0].astype(np.float64)):
        ref = radon(img, theta=th, circle=False)          # (n_bins, n_angles)
        ours = (a @ img.ravel()).reshape(n_angles, -1).T
        assert ours.shape == ref.shape
        # same rotate-and-sum geometry, so agreement to rounding
        np.testing.assert_allclose(ours, ref, atol=1e-9)


def test_projector_known_answers():
    a = tomo.system_matrix(16, np.array([0.0, 90.0]))
    img = np.zeros((16, 16))
    img[3, 5] = 1.0
    s = (a @ img.ravel()).reshape(2, -1)
    assert s.sum() == pytest.approx(2.0)                 # each angle sees the voxel once
    assert s[0].max() == pytest.approx(1.0) and s[1].max() == pytest.approx(1.0)
    assert tomo.n_bins(16) == 23


def test_volume_matrix_is_block_diagonal_slice_by_slice():
    x = tomo.circuit_faker(1, 2)[0].astype(np.float64)
    av = tomo.volume_matrix(4, SHAPE)
    a = tomo.system_matrix(16, tomo.angles(4))
    ref = np.concatenate([tomo.MU * (a @ s.ravel()) for s in x])
    np.testing.assert_allclose(av @ x.ravel(), ref, atol=1e-12)


def test_measure_is_poisson_beer_lambert():
    x = tomo.circuit_faker(1, 0)[0]
    rate = 1e4 * np.exp(-(tomo.volume_matrix(4, SHAPE) @ x.ravel().astype(np.float64)))
    ys = np.stack([tomo.measure(x, 4, 1e4, seed=s) for s in range(40)])
    assert np.all(ys == np.round(ys)) and ys.min() >= 0
    np.testing.assert_allclose(ys.mean(0), rate, rtol=0.05)
    assert np.allclose(ys.var(0).mean() / rate.mean(), 1.0, atol=0.1)   # Poisson: variance = mean
    np.testing.assert_array_equal(tomo.measure(x, 4, 30.0, seed=1), tomo.measure(x, 4, 30.0, seed=1))


# ---------------------------------------------------------------- objectives and solvers

def _fd_check(fun, x, eps=1e-6, n=12):
    rng = np.random.default_rng(0)
    f0, g = fun(x)
    for _ in range(n):
        d = rng.normal(size=x.shape)
        num = (fun(x + eps * d)[0] - fun(x - eps * d)[0]) / (2 * eps)
        assert num == pytest.approx(float((g * d).sum()), rel=1e-4, abs=1e-6)


def test_nll_and_tv_gradients_match_finite_differences():
    x = tomo.circuit_faker(1, 4)[0].astype(np.float64)
    y = tomo.measure(x, 4, 30.0, seed=0)
    x0 = np.random.default_rng(1).random(SHAPE) * 0.8
    _fd_check(lambda v: tomo.nll(v, y, 4, 30.0), x0)
    _fd_check(tomo.tv, x0)
    assert tomo.tv(np.full(SHAPE, 0.3))[0] == pytest.approx(0.0, abs=1e-12)


def test_mle_recovers_an_object_from_many_bright_angles():
    x = tomo.circuit_faker(1, 7)[0]
    y = tomo.measure(x, 16, 1e5, seed=0)
    assert tomo.ber(tomo.mle(y, 16, 1e5, iters=300), x) == 0.0
    assert tomo.ber(tomo.fbp(y, 16, 1e5), x) < 0.05


def test_refine_limits():
    x = tomo.circuit_faker(1, 8)[0]
    y = tomo.measure(x, 4, 30.0, seed=0)
    prior = np.clip(x + 0.2 * np.random.default_rng(0).normal(size=SHAPE), 0, 1).astype(np.float32)
    # a huge weight returns the prior; zero weight is the MLE objective started from the prior
    np.testing.assert_allclose(tomo.refine(y, 4, 30.0, prior, 1e6), prior, atol=2e-3)
    f_mle = tomo.nll(tomo.mle(y, 4, 30.0), y, 4, 30.0)[0]
    f_p0 = tomo.nll(tomo.refine(y, 4, 30.0, prior, 0.0), y, 4, 30.0)[0]
    assert f_p0 == pytest.approx(f_mle, rel=1e-3)


def test_mle_tv_with_zero_beta_is_mle():
    x = tomo.circuit_faker(1, 9)[0]
    y = tomo.measure(x, 4, 30.0, seed=2)
    np.testing.assert_allclose(tomo.mle_tv(y, 4, 30.0, 0.0), tomo.mle(y, 4, 30.0), atol=1e-6)


def test_metrics_known_answers():
    x = tomo.circuit_faker(1, 1)[0]
    assert tomo.ber(x, x) == 0.0 and tomo.ber(1 - x, x) == 1.0
    assert tomo.npcc(x, x) == pytest.approx(-1.0) and tomo.npcc(1 - x, x) == pytest.approx(1.0)
    assert tomo.rmse(x, x) == 0.0 and tomo.rmse(np.zeros_like(x), x) == pytest.approx(np.sqrt(x.mean()))
    assert tomo.npcc(np.zeros_like(x), x) == 0.0


# ---------------------------------------------------------------- networks

def test_generator_and_critic_shapes():
    torch.manual_seed(0)
    g, d = tomo.Generator(2), tomo.Discriminator(2)
    x = torch.rand(3, 1, *SHAPE)
    with torch.no_grad():
        out = g(x)
    assert out.shape == x.shape and float(out.min()) >= 0 and float(out.max()) <= 1
    with torch.no_grad():
        assert d(x).shape == (3,)
    assert float(tomo.npcc_loss(x, x)) == pytest.approx(-1.0, abs=1e-5)
    assert float(tomo.npcc_loss(x, 2 * x + 1)) == pytest.approx(-1.0, abs=1e-5)


def test_generator_convs_are_spectrally_normalised():
    g = tomo.Generator(2)
    names = [n for n, _ in g.named_parameters()]
    assert any("parametrizations.weight.original" in n for n in names)
    with torch.no_grad():
        for _ in range(30):      # power iterations in train mode
            g(torch.rand(1, 1, *SHAPE))
    g.eval()
    with torch.no_grad():
        w = g.enc1[0].weight.reshape(g.enc1[0].weight.shape[0], -1)
        assert float(torch.linalg.matrix_norm(w, ord=2)) == pytest.approx(1.0, rel=0.05)


def test_shipped_priors_load(priors):
    assert set(priors) == {"circuit", "iid", "fbp"}
    assert [(p.family, p.input) for p in priors.values()] == [("circuit", "mle"), ("iid", "mle"), ("circuit", "fbp")]
    for name, p in priors.items():
        assert p.weight > 0 and p.beta > 0
        # the tuned λ lies strictly inside the grid searched on validation objects
        t = p.info["tuned"][name]
        assert t["weight_inside"] and t["weight_grid"][0] < p.weight < t["weight_grid"][-1]
        assert min(t["val_ber_refine"]) == t["val_ber_refine"][t["weight_grid"].index(p.weight)]
        out = tomo.generate(p.generator, np.zeros(SHAPE, np.float32))
        assert out.shape == SHAPE and np.isfinite(out).all()


def test_shipped_circuit_prior_beats_mle_on_a_limited_measurement(priors):
    x = tomo.objects("circuit", 4, seed=777)
    df = tomo.evaluate(x, [(4, 10.0)], priors["circuit"], seed=5, methods=("MLE", "PGAN"))
    s = df.groupby("method").ber.mean()
    assert s["PGAN"] < s["MLE"]


# ---------------------------------------------------------------- claim helpers

def _df(pg, ml, cond=(4, 30.0)):
    rows = []
    for k, (a, b) in enumerate(zip(pg, ml)):
        rows += [dict(object=k, n_angles=cond[0], photons=cond[1], method="PGAN", ber=a),
                 dict(object=k, n_angles=cond[0], photons=cond[1], method="MLE", ber=b)]
    return pd.DataFrame(rows)


def test_claim_helpers_known_answers():
    from scipy import stats

    m = tomo.gain_claim(_df([0.01, 0.015, 0.02], [0.04, 0.04, 0.04]), 4, 30.0)
    assert m.holds and m.value == pytest.approx(0.375)
    # differences 0.03, 0.02, 0.01: beyond one standard error, but the 95 % paired t-interval holds 0
    lo, hi = stats.ttest_rel([0.04] * 3, [0.01, 0.02, 0.03]).confidence_interval(0.95)
    m = tomo.gain_claim(_df([0.01, 0.02, 0.03], [0.04, 0.04, 0.04]), 4, 30.0)
    assert lo < 0 < hi and not m.holds and f"[{lo:+.4f}, {hi:+.4f}] (95 % paired t, n = 3)" in m.note
    with pytest.raises(ValueError, match="at least 2 objects"):
        tomo.gain_claim(_df([0.01], [0.04]), 4, 30.0)
    assert not tomo.gain_claim(_df([0.05, 0.04, 0.03], [0.04, 0.04, 0.04]), 4, 30.0).holds
    both = pd.concat([_df([0.01, 0.01, 0.01], [0.05, 0.05, 0.05]),
                      _df([0.01, 0.01, 0.01], [0.011, 0.011, 0.011], (16, 30.0))])
    s = tomo.shrink_claim(both, (4, 30.0), (16, 30.0))
    assert s.holds and s.number == pytest.approx(0.001 / 0.04)
    assert tomo.control_claim(_df([0.1, 0.1, 0.1], [0.1, 0.1, 0.1]), 4, 30.0).holds
    assert not tomo.control_claim(_df([0.05, 0.05, 0.05], [0.1, 0.1, 0.1]), 4, 30.0).holds
    with pytest.raises(ValueError, match="n_angles"):
        tomo.gain_claim(_df([0.1], [0.1]), 8, 30.0)


def test_g_on_fbp_needs_its_prior_and_sees_the_fbp(priors):
    x = tomo.objects("circuit", 2, seed=12)
    df = tomo.evaluate(x, [(4, 30.0)], priors["circuit"], seed=4, fbp_prior=priors["fbp"])
    assert set(df.method) == set(tomo.METHODS)
    assert "G on FBP" not in set(tomo.evaluate(x[:1], [(4, 30.0)], priors["circuit"], seed=4).method)
    with pytest.raises(ValueError, match="fbp_prior"):
        tomo.evaluate(x, [(4, 30.0)], priors["circuit"], seed=4, methods=("G on FBP",))
    with pytest.raises(ValueError, match="fbp_prior"):
        tomo.reconstruct(x[0], 4, 30.0, priors["circuit"], 0, ("G on FBP",), fbp_prior=priors["iid"])
    with pytest.raises(ValueError, match="prior must take MLE"):
        tomo.reconstruct(x[0], 4, 30.0, priors["fbp"], 0, ("MLE",))
    y = tomo.measure(x[0], 4, 30.0, 0)
    r = tomo.reconstruct(x[0], 4, 30.0, priors["circuit"], 0, ("FBP", "G on FBP"), fbp_prior=priors["fbp"])
    np.testing.assert_array_equal(r["FBP"], tomo.fbp(y, 4, 30.0))
    np.testing.assert_array_equal(r["G on FBP"], tomo.generate(priors["fbp"].generator, np.clip(r["FBP"], -10, 10)))
    with pytest.raises(ValueError, match="kind"):
        tomo.approximant(y, 4, 30.0, "sirt")


def test_lambda_grid_is_extended_until_it_brackets_the_minimum(monkeypatch):
    from lab.tomography import train
    cfg = tomo.TrainConfig(width=1, n_val=1, beta_grid=(1.0,), weight_grid=(1.0, 10.0), conds=((2, 10.0),),
                           mle_iters=2)
    # a validation BER with its minimum at λ = 1000: the grid grows by its ratio (10) until 1e4 brackets it
    monkeypatch.setattr(train, "refine", lambda y, na, ph, g, w, iters: np.full(SHAPE, abs(np.log10(w) - 3.0)))
    monkeypatch.setattr(train, "ber", lambda v, x: float(v.mean()))
    t = train.tune("circuit", tomo.Generator(1), cfg, seed=0)
    assert t["weight"] == 1000.0 and t["weight_grid"] == [1.0, 10.0, 100.0, 1000.0, 10000.0] and t["weight_inside"]
    # ... and downwards, with its minimum at λ = 0.01
    monkeypatch.setattr(train, "refine", lambda y, na, ph, g, w, iters: np.full(SHAPE, abs(np.log10(w) + 2.0)))
    t = train.tune("circuit", tomo.Generator(1), cfg, seed=0)
    assert t["weight"] == pytest.approx(0.01) and len(t["weight_grid"]) == 5 and t["weight_inside"]
    with pytest.raises(ValueError, match="weight_grid"):
        tomo.TrainConfig(weight_grid=(10.0, 1.0))


def test_closing_note_known_answers():
    both = pd.concat([_df([0.01, 0.01, 0.01], [0.05, 0.05, 0.05]),
                      _df([0.01, 0.01, 0.01], [0.02, 0.02, 0.02], (4, 1000.0))])
    text = tomo.closing_note(both, _df([0.1] * 3, [0.1] * 3), 4, 30.0)
    assert "mean BER: MLE 0.0500, PGAN 0.0100." in text
    assert "at 4 angles: 30: +0.0400 (0.20×), 1000: +0.0100 (0.50×)." in text
    assert "PGAN/MLE 1.00 (BER 0.1000 vs 0.1000)" in text
    with pytest.raises(ValueError, match="base_angles, base_photons"):
        tomo.closing_note(both, both, 8, 30.0)


def test_determinism_evaluation(priors):
    x = tomo.objects("circuit", 2, seed=11)
    a = tomo.evaluate(x, [(2, 10.0)], priors["circuit"], seed=3)
    b = tomo.evaluate(x, [(2, 10.0)], priors["circuit"], seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert tomo.gain_claim(a, 2, 10.0) == tomo.gain_claim(b, 2, 10.0)


def test_determinism_training_gives_identical_bytes(tmp_path):
    cfg = tomo.TrainConfig(width=2, steps=3, batch=2, n_train=3, n_val=1, beta_grid=(1.0,),
                           weight_grid=(1.0, 10.0), conds=((2, 10.0),), mle_iters=5)
    p1 = tomo.train_all(cfg, tmp_path / "a.npz", progress=False)
    p2 = tomo.train_all(cfg, tmp_path / "b.npz", progress=False, workers=2)   # the families in two processes
    assert p1.read_bytes() == p2.read_bytes()
    loaded = tomo.load_priors(p1)
    assert loaded["circuit"].generator.width == 2 and loaded["fbp"].input == "fbp"


def test_training_writes_build_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path))
    cfg = tomo.TrainConfig(width=1, steps=1, batch=1, n_train=1, n_val=1, beta_grid=(1.0,),
                           weight_grid=(1.0,), conds=((1, 10.0),), mle_iters=2)
    out = tomo.train_all(cfg, progress=False)
    assert str(out).startswith(str(tmp_path)) and out.name == "priors.npz"


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, name", [
    (lambda: tomo.circuit_faker(0, 1), "n"),
    (lambda: tomo.circuit_faker(10**9, 1), "n"),
    (lambda: tomo.circuit_faker(2, 1, p_seed=1.5), "p_seed"),
    (lambda: tomo.angles(0), "n_angles"),
    (lambda: tomo.system_matrix(16, np.array([np.nan])), "theta"),
    (lambda: tomo.measure(np.zeros((4, 4)), 4, 30.0, 0), "volume"),
    (lambda: tomo.measure(np.zeros(SHAPE), 4, -1.0, 0), "photons"),
    (lambda: tomo.mle(np.zeros(5), 4, 30.0), "y"),
    (lambda: tomo.mle(np.zeros(8 * 4 * 23), 4, 30.0, iters=10**9), "iters"),
    (lambda: tomo.refine(np.zeros(8 * 4 * 23), 4, 30.0, np.zeros(SHAPE), -1.0), "weight"),
    (lambda: tomo.ber(np.zeros(SHAPE), np.zeros((2, 2))), "truth"),
    (lambda: tomo.ber(np.zeros((2, 2)), np.zeros(SHAPE)), "x"),
    (lambda: tomo.objects("nope", 2, 0), "family"),
    (lambda: tomo.TrainConfig(steps=0), "steps"),
    (lambda: tomo.load_priors("/nonexistent/priors.npz"), "path"),
    (lambda: tomo.Generator(0), "width"),
])
def test_bad_inputs_name_the_parameter(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def test_explorer_follows_its_controls(priors):
    ex = tomo.explorer(tomo.circuit_faker(1, 3)[0], priors["circuit"])
    before = ex.readout.value
    z0 = np.array(ex.figures[0].data[3].z)
    ex.set(n_angles=16, photons=1000.0)
    assert ex.readout.value != before and not np.array_equal(np.array(ex.figures[0].data[3].z), z0)
    ex.reset()
    assert ex.readout.value == before


def test_second_pass_bad_input_refusals(tmp_path):
    """Angle counts are whole numbers, photons positive, slices square; a priors file that is empty or
    holds NaN weights is a clear ValueError; the attribution ratio survives a perfect PGAN."""
    import numpy as np
    import pandas as pd
    import pytest

    from lab import tomography as tomo
    from lab.tomography.evaluate import attribution_claim
    from lab.tomography.projector import measure, sinogram

    x = np.zeros((8, 16, 16))
    prior = tomo.load_priors()["iid"]
    with pytest.raises(ValueError, match=r"conds\[0\]: n_angles must be a whole number"):
        tomo.evaluate(x[None], [(2.5, 1e3)], prior, seed=0, methods=("MLE",))
    with pytest.raises(ValueError, match=r"conds\[0\]: n_angles"):
        tomo.TrainConfig(conds=((0, 1e3),))
    with pytest.raises(ValueError, match=r"conds\[0\]: photons"):
        tomo.TrainConfig(conds=((4, 0.0),))
    with pytest.raises(ValueError, match="square slices"):
        sinogram(np.ones(8 * 4 * 23), 1e3, 4, (8, 16, 12))
    with pytest.raises(ValueError, match="volume must have shape"):
        measure(np.zeros((8, 16, 12)), 4, 1e3, 0)
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="is not a priors file"):
        tomo.load_priors(tmp_path / "empty.npz")
    from lab.core.paths import data_dir
    from lab.tomography.train import WEIGHTS_FILE

    src = np.load(data_dir() / WEIGHTS_FILE)
    arrays = {k: src[k] for k in src.files}
    key = next(k for k in arrays if k.startswith("iid/") and np.issubdtype(arrays[k].dtype, np.floating))
    arrays[key] = np.full_like(arrays[key], np.nan)
    np.savez(tmp_path / "nan.npz", **arrays)
    with pytest.raises(ValueError, match="not finite"):
        tomo.load_priors(tmp_path / "nan.npz")
    rows = [dict(object=k, n_angles=4, photons=1e3, method=m, ber=b) for k in range(3)
            for m, b in (("MLE", 0.2), ("PGAN", 0.0))]
    perfect = pd.DataFrame(rows)
    assert attribution_claim(perfect, perfect, 4, 1e3).number == 1.0


def test_claims_refuse_nan_bers():
    import numpy as np
    import pandas as pd
    import pytest

    from lab.tomography.evaluate import control_claim

    rows = [dict(object=k, n_angles=4, photons=1e3, method=m, ber=b) for k in range(3)
            for m, b in (("MLE", 0.2), ("PGAN", np.nan))]
    with pytest.raises(ValueError, match="finite BERs"):
        control_claim(pd.DataFrame(rows), 4, 1e3)
