"""Unit tests of lab.anomaly: pooling, features, detector, baselines, mill.mat loader, claims."""
import numpy as np
import pandas as pd
import pytest
import scipy.io
import torch

from lab import anomaly as A


def _reference_pool(x, M):
    """The definition, written out: overlap-weighted means under fractional edges jN/M."""
    N = len(x)
    out = np.zeros(M)
    for j in range(M):
        a, b = j * N / M, (j + 1) * N / M
        for i in range(N):
            out[j] += x[i] * max(0.0, min(b, i + 1) - max(a, i))
        out[j] /= N / M
    return out


def test_frac_avg_pool_known_answer_and_definition():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(A.frac_avg_pool(x, 2), [(1 + 2 + 0.5 * 3) / 2.5, (0.5 * 3 + 4 + 5) / 2.5])
    rng = np.random.default_rng(0)
    for N, M in ((17, 5), (100, 7), (9, 9), (5, 12)):
        y = rng.random(N)
        np.testing.assert_allclose(A.frac_avg_pool(y, M), _reference_pool(y, M), rtol=1e-12)


def test_frac_avg_pool_conserves_the_mean_and_is_exact_on_integer_ratios():
    rng = np.random.default_rng(1)
    for N, M in ((1000, 64), (4801, 37), (13, 3)):
        y = rng.random((3, N))
        np.testing.assert_allclose(A.frac_avg_pool(y, M).mean(-1), y.mean(-1), rtol=1e-12)
    y = rng.random(120)
    np.testing.assert_allclose(A.frac_avg_pool(y, 8), y.reshape(8, 15).mean(1), rtol=1e-12)
    np.testing.assert_allclose(A.frac_avg_pool(y, 120), y, rtol=1e-12)


def test_frac_avg_pool_equals_torch_adaptive_pool_where_bins_coincide():
    rng = np.random.default_rng(2)
    for N, M in ((64, 16), (300, 30), (48, 48)):
        y = rng.random((2, N))
        ref = torch.nn.functional.adaptive_avg_pool1d(torch.tensor(y)[None], M).numpy()[0]
        np.testing.assert_allclose(A.frac_avg_pool(y, M), ref, rtol=1e-10)


def test_rfft_magnitude_finds_a_tone():
    fs, f0 = 10_000.0, 1250.0
    t = np.arange(10_000) / fs
    f, mag = A.rfft_magnitude(np.sin(2 * np.pi * f0 * t), fs, 4000.0)
    assert f[np.argmax(mag)] == pytest.approx(f0)
    assert mag.max() == pytest.approx(0.5, rel=1e-6)
    assert f.max() < 4000.0


def test_features_have_a_fixed_size_for_runs_of_any_length():
    d = A.make_dataset(n_good=3, n_worn=2, n_coolant=2, seed=0)
    assert len({len(r.x) for r in d.runs}) > 1
    assert A.features(d, "frequency", 32).shape == (7, 32)
    assert A.features(d, "time", 32).shape == (7, 32)


def test_threshold_known_answer():
    s = np.array([1.0, 2.0, 3.0, 4.0])
    assert A.two_sigma_threshold(s) == pytest.approx(2.5 + 2 * np.std(s))


def test_detector_separates_an_obvious_anomaly():
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (80, 8)) @ rng.normal(0, 1, (8, 16))       # rank-8 good data
    det = A.train_detector(X, epochs=300, seed=0)
    bad = X[:20] + rng.normal(0, 5, (20, 16))
    assert det.score(bad).mean() > 3 * det.score(X).mean()
    assert np.mean(det.predict(bad)) > 0.9


def test_baselines_score_outliers_higher():
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (100, 6))
    for name in A.BASELINES:
        score = A.fit_baseline(name, X, seed=0)
        assert score(X + 6).mean() > score(X).mean(), name


def test_experiment_reproduces_the_direction_at_tiny_scale():
    r = A.run_experiment(0, n_train=40, n_test=20, n_fault=20, epochs=200)
    t = r.table.set_index(["method", "fault"])
    assert t.loc[("AE (frequency)", "coolant"), "auc"] > 0.9
    assert t.loc[("AE (frequency)", "worn"), "auc"] > t.loc[("AE (time)", "coolant"), "auc"]
    fpr, tpr = A.roc_points(r, "PCA", "worn")
    assert fpr[0] == 0 and tpr[-1] == 1


def _mill_struct(n=4, bad=None):
    dt = [(f, "O") for f in A.FIELDS]
    mill = np.zeros((1, n), dtype=dt)
    rng = np.random.default_rng(0)
    for i in range(n):
        for f, v in zip(A.FIELDS[:7], (1, i + 1, 0.1 * i, 2.0 * i, 1.5, 0.5, 1)):
            mill[0, i][f] = np.array([[v]], dtype=float)
        for f in A.FIELDS[7:]:
            mill[0, i][f] = rng.standard_normal((300, 1))
    mill[0, 1]["VB"] = np.zeros((0, 0))            # VB not measured, as in the real file
    if bad == "drop_field":
        mill = np.zeros((1, n), dtype=dt[:-1])
    return mill


def test_load_mill_reads_the_layout(tmp_path):
    p = tmp_path / "mill.mat"
    scipy.io.savemat(p, {"mill": _mill_struct()})
    runs = A.load_mill(p)
    assert len(runs) == 4
    assert [r.run for r in runs] == [1, 2, 3, 4]
    assert np.isnan(runs[1].VB) and runs[2].VB == pytest.approx(0.2)
    assert runs[0].signals["vib_spindle"].shape == (300,)
    assert runs[3].material == 1 and runs[3].DOC == pytest.approx(1.5)
    d = A.mill_dataset(runs, vb_good=0.15, vb_worn=0.25)
    assert list(d.kinds) == ["good", "worn"]


def test_load_mill_rejects_malformed_files(tmp_path):
    p = tmp_path / "other.mat"
    scipy.io.savemat(p, {"data": np.ones(3)})
    with pytest.raises(ValueError, match="other.mat.*no variable 'mill'"):
        A.load_mill(p)
    p2 = tmp_path / "fields.mat"
    scipy.io.savemat(p2, {"mill": _mill_struct(bad="drop_field")})
    with pytest.raises(ValueError, match="fields.mat.*missing \\['AE_spindle'\\]"):
        A.load_mill(p2)
    p3 = tmp_path / "text.mat"
    p3.write_text("not a mat file")
    with pytest.raises(ValueError, match="text.mat.*not a MATLAB"):
        A.load_mill(p3)
    with pytest.raises(ValueError, match="nothere.mat"):
        A.load_mill(tmp_path / "nothere.mat")


def test_claim_helpers_on_a_tiny_table():
    df = pd.DataFrame(dict(seed=[0, 0, 1, 1] * 2, method=["AE (frequency)"] * 4 + ["AE (time)"] * 4,
                           fault=["worn", "coolant"] * 4, auc=[0.99, 1.0, 0.98, 1.0, 0.7, 0.5, 0.8, 0.6],
                           accuracy=0.9, far=[0.04, 0.04, 0.06, 0.06] * 2))
    m = A.auc_claim(df, "worn")
    assert m.holds and m.number == pytest.approx(98.5)
    assert A.frequency_beats_time_claim(df).holds
    assert A.false_alarm_claim(df).number == pytest.approx(5.0)
    assert A.accuracy_claim(df).number == pytest.approx(90.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="M"):
        A.frac_avg_pool(np.ones(10), 0)
    with pytest.raises(ValueError, match="x"):
        A.frac_avg_pool(np.array([1.0, np.nan]), 1)
    with pytest.raises(ValueError, match="severity"):
        A.make_dataset(severity=-1.0)
    with pytest.raises(ValueError, match="kind"):
        A.simulate_run("broken")
    with pytest.raises(ValueError, match="X_good"):
        A.train_detector(np.ones((1, 4)))
    with pytest.raises(TypeError, match="path"):
        A.load_mill(3)


def test_determinism_of_claim_numbers():
    kw = dict(n_train=30, n_test=10, n_fault=10, epochs=50)
    a, _ = A.run_seeds((0, 1, 2), **kw)
    b, _ = A.run_seeds((0, 1, 2), **kw)
    pd.testing.assert_frame_equal(a, b)
    assert A.auc_claim(a, "worn", at_least=0.0) == A.auc_claim(b, "worn", at_least=0.0)


def test_second_pass_bad_input():
    """Scores that overflow are inf (anomalous), never NaN called normal; a signal some run lacks, or a
    run built with an unknown signal, is refused by name."""
    import numpy as np
    import pytest

    from lab.anomaly import models
    from lab.anomaly.mill import MillRun, mill_dataset

    rng = np.random.default_rng(0)
    det = models.train_detector(rng.normal(size=(8, 4)), epochs=5)
    far = np.full((2, 4), 1e300)
    s = det.score(far)
    assert np.isinf(s).all() and det.predict(far).all()
    sig = {"vib_spindle": rng.normal(size=64)}
    runs = [MillRun(1, i, 0.1 if i else 0.5, 1.0, 1.5, 0.5, 1, dict(sig)) for i in range(3)]
    runs.append(MillRun(1, 9, 0.1, 1.0, 1.5, 0.5, 1, {"smcAC": rng.normal(size=64)}))
    with pytest.raises(ValueError, match=r"runs \[3\] have no signal 'vib_spindle'"):
        mill_dataset(runs, "vib_spindle")
    with pytest.raises(ValueError, match="signals must be keyed by"):
        MillRun(1, 1, 0.1, 1.0, 1.5, 0.5, 1, {"bogus": rng.normal(size=64)})


def test_autoencoder_forward_checks_its_input():
    import pytest
    import torch

    from lab.anomaly.models import AutoEncoder

    ae = AutoEncoder(8)
    with pytest.raises(ValueError, match=r"x must have shape \(R, 8\)"):
        ae(torch.zeros(3, 5))
    with pytest.raises(TypeError, match="float32"):
        ae(torch.zeros(3, 8, dtype=torch.float64))
    assert ae(torch.zeros(3, 8)).shape == (3, 8)
