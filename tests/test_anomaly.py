"""Unit tests of lab.anomaly: pooling, features, detector, baselines, mill.mat loader, claims."""
import numpy as np
import pandas as pd
import pytest
import scipy.io
import scipy.special
import scipy.stats
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
    assert A.features(d, "time", 32).shape == (7, len(A.TIME_FEATURES))
    assert A.time_window([r.x for r in d.runs], np.array([r.fs for r in d.runs]), 32).shape == (7, 32)


def test_time_features_known_answers_on_a_sine_and_scipy_on_noise():
    fs, n = 10_000.0, 100_000
    x = 3.0 * np.sin(2 * np.pi * 2.0 * np.arange(n) / fs) + 7.0       # 20 whole periods; the offset is removed
    f = dict(zip(A.TIME_FEATURES, A.time_features([x], np.array([fs]))[0]))
    mean_sqrt = 2 / np.pi * np.sqrt(np.pi) * scipy.special.gamma(0.75) / (2 * scipy.special.gamma(1.25))
    expect = dict(rms=3 / np.sqrt(2), peak_to_peak=6.0, kurtosis=1.5, crest_factor=np.sqrt(2), skewness=0.0,
                  shape_factor=np.pi / (2 * np.sqrt(2)), impulse_factor=np.pi / 2,
                  clearance_factor=1 / mean_sqrt ** 2)
    for k, v in expect.items():
        assert f[k] == pytest.approx(v, rel=1e-4, abs=1e-9), k
    rng = np.random.default_rng(0)
    ys = [rng.standard_t(5, 3000), rng.exponential(1.0, 1200)]
    F = A.time_features(ys, np.array([1e3, 2e3]))
    for y, row in zip(ys, F):
        f = dict(zip(A.TIME_FEATURES, row))
        assert f["kurtosis"] == pytest.approx(scipy.stats.kurtosis(y, fisher=False), rel=1e-10)
        assert f["skewness"] == pytest.approx(scipy.stats.skew(y), rel=1e-10)
        assert f["rms"] == pytest.approx(np.std(y), rel=1e-12)
        assert f["peak_to_peak"] == pytest.approx(np.ptp(y), rel=1e-12)
    with pytest.raises(ValueError, match=r"signals\[1\] must not be constant"):
        A.time_features([ys[0], np.full(100, 2.5)], np.array([1e3, 1e3]))


def test_a_circular_shift_moves_the_raw_window_only():
    a, b = A.simulate_run("good", seed=5), A.simulate_run("good", seed=6)
    xs, rates = [a.x, np.roll(a.x, 25), b.x], np.array([a.fs, a.fs, b.fs])
    for F in (A.time_features(xs, rates), A.spectrum_features(xs, rates, 64)):
        assert np.linalg.norm(F[1] - F[0]) < 1e-9 * np.linalg.norm(F[2] - F[0])
    W = A.time_window(xs, rates, 64)
    assert np.linalg.norm(W[1] - W[0]) > 0.3 * np.linalg.norm(W[2] - W[0])


def test_run_plan_is_make_datasets_plan():
    kinds, seeds = A.run_plan(3, 2, 1, seed=4)
    d = A.make_dataset(3, 2, 1, severity=0.7, seed=4)
    assert list(kinds) == list(d.kinds) == ["good"] * 3 + ["worn"] * 2 + ["coolant"]
    for k, s, r in zip(kinds, seeds, d.runs):
        np.testing.assert_array_equal(A.simulate_run(str(k), 0.7, int(s)).x, r.x)


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
    assert set(r.table.method) == set(A.METHODS)
    assert t.loc[("AE (frequency)", "coolant"), "auc"] > 0.9
    assert t.loc[("AE (frequency)", "worn"), "auc"] > t.loc[("AE (time)", "coolant"), "auc"]
    fpr, tpr = A.roc_points(r, "PCA", "worn")
    assert fpr[0] == 0 and tpr[-1] == 1
    assert A.method_input("PCA") == ("PCA", "frequency") and A.method_input("PCA (time)") == ("PCA", "time")
    assert A.method_input("AE (frequency)") == ("AE", "frequency")


def test_severity_sweep_at_the_experiments_severity_is_the_experiment():
    """The sweep re-simulates the experiment's own faulty runs: at its severity it gives its AUCs."""
    r = A.run_experiment(3, severity=0.8, n_train=20, n_test=10, n_fault=8, epochs=30)
    sw = A.severity_sweep([r], [0.3, 0.8], n_fault=8)
    assert len(sw) == 2 * len(A.METHODS) * len(A.FAULTS)
    at = sw[sw.severity == 0.8].set_index(["method", "fault"]).auc
    np.testing.assert_allclose(at.loc[r.table.set_index(["method", "fault"]).index], r.table.auc, rtol=0, atol=0)
    low = sw[(sw.severity == 0.3) & (sw.method == "AE (frequency)")].auc.mean()
    assert low < at.loc[("AE (frequency)", slice(None))].mean()           # smaller faults are harder to see
    other = A.run_experiment(4, severity=0.8, n_train=20, n_test=10, n_fault=8, epochs=3,
                             methods=("PCA",), data=r.data)             # runs of seed 3 under seed 4's name
    with pytest.raises(ValueError, match="not simulated by make_dataset with seed 4"):
        A.severity_sweep([other], [0.5], n_fault=2)
    with pytest.raises(ValueError, match="n_fault must be at most"):
        A.severity_sweep([r], [0.5], n_fault=9)
    with pytest.raises(ValueError, match="severities must hold"):
        A.severity_sweep([r], [0.5, 0.5], n_fault=2)


def _sweep_table(curves):
    """A severity_sweep table from {(method, fault): [auc per severity]} per seed (a list of such dicts)."""
    grid = (0.1, 0.2, 0.5, 1.0)
    return pd.DataFrame([dict(seed=s, severity=g, method=m, fault=f, auc=a)
                         for s, c in enumerate(curves) for (m, f), aucs in c.items() for g, a in zip(grid, aucs)])


def test_severity_to_reach_known_answers():
    sw = _sweep_table([{("AE (frequency)", "worn"): [0.5, 0.98, 1.0, 1.0],       # 0.2 + (0.01/0.02)·0.3
                        ("AE (frequency)", "coolant"): [0.995, 1.0, 1.0, 1.0],   # already there: the grid's first
                        ("AE (time)", "worn"): [0.5, 0.6, 0.7, 0.9],            # never
                        ("AE (time)", "coolant"): [0.5, 0.995, 0.9, 1.0]}])     # dips: counts from 0.5 on
    r = A.severity_to_reach(sw, 0.99).set_index(["method", "fault"])
    assert r.loc[("AE (frequency)", "worn"), "severity"] == pytest.approx(0.35)
    assert r.loc[("AE (frequency)", "coolant"), "severity"] == pytest.approx(0.1)
    assert np.isinf(r.loc[("AE (time)", "worn"), "severity"]) and not r.loc[("AE (time)", "worn"), "reached"]
    assert r.loc[("AE (time)", "coolant"), "severity"] == pytest.approx(0.5 + (0.09 / 0.1) * 0.5)


def test_paired_claims_follow_the_one_significance_rule():
    from scipy import stats
    rng = np.random.default_rng(0)
    rows = []
    for s in range(4):
        for f in A.FAULTS:
            rows += [dict(seed=s, method="AE (frequency)", fault=f, auc=0.95 + 0.01 * rng.random()),
                     dict(seed=s, method="AE (time)", fault=f, auc=0.80 + 0.05 * rng.random()),
                     dict(seed=s, method="PCA (time)", fault=f, auc=0.90 + 0.01 * rng.random()),
                     dict(seed=s, method="PCA", fault=f, auc=0.95 + 0.02 * rng.random())]
    df = pd.DataFrame(rows)
    m = A.frequency_beats_time_claim(df)
    a = df[(df.method == "AE (frequency)") & (df.fault == "worn")].auc.to_numpy()
    b = df[(df.method == "AE (time)") & (df.fault == "worn")].auc.to_numpy()
    lo, hi = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert m.holds and f"[+{lo:.3f}, +{hi:.3f}]" in m.note
    best = A.frequency_beats_time_claim(df, against="best")
    assert "PCA (time)" in best.note and best.number < m.number
    tie = A.beats_claim(df, "PCA", "AE (frequency)")          # a difference within noise: not above zero
    d = df.groupby(["method", "seed"]).auc.mean()
    lo, hi = stats.ttest_rel(d["PCA"], d["AE (frequency)"]).confidence_interval(0.95)
    assert tie.holds == bool(lo > 0) and tie.number == pytest.approx(100 * (d["PCA"] - d["AE (frequency)"]).mean())
    assert A.beats_claim(df, "AE (frequency)", "AE (time)").holds
    with pytest.raises(ValueError, match="b must differ from a"):
        A.beats_claim(df, "PCA", "PCA")
    with pytest.raises(ValueError, match="the same seeds"):
        A.beats_claim(df[~((df.method == "PCA") & (df.seed == 0))], "AE (frequency)", "PCA")


def test_sensitivity_claim_censors_at_the_grid_top():
    curves = [{("AE (frequency)", f): [0.5, 0.98 + 0.001 * s, 1.0, 1.0] for f in A.FAULTS} |
              {("AE (time)", f): [0.5, 0.6, 0.7, 0.9] for f in A.FAULTS} for s in range(3)]
    m = A.sensitivity_claim(_sweep_table(curves), target=0.99)
    assert m.holds and "> 1 (every seed)" in m.value
    assert m.number == pytest.approx(1.0 - np.mean([0.2 + (0.01 - 0.001 * s) / (0.02 - 0.001 * s) * 0.3
                                                    for s in range(3)]))
    same = A.sensitivity_claim(_sweep_table(curves), a="AE (time)", b="AE (frequency)")
    assert not same.holds


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
    df = pd.DataFrame(dict(seed=[0, 0, 1, 1, 2, 2] * 2, method=["AE (frequency)"] * 6 + ["AE (time)"] * 6,
                           fault=["worn", "coolant"] * 6,
                           auc=[0.99, 1.0, 0.98, 1.0, 0.97, 1.0, 0.7, 0.5, 0.71, 0.6, 0.69, 0.55],
                           accuracy=0.9, far=[0.04, 0.04, 0.06, 0.06, 0.05, 0.05] * 2))
    m = A.auc_claim(df, "worn")
    assert m.holds and m.number == pytest.approx(98.0) and m.value == "98.0 ± 1.0"      # sample std (ddof=1)
    assert A.frequency_beats_time_claim(df).holds
    assert A.false_alarm_claim(df).number == pytest.approx(5.0)
    assert A.accuracy_claim(df).number == pytest.approx(90.0)
    two = df[df.seed < 2].copy()              # worn differences 0.29 and 0.03: t(0.975, 1) = 12.7 spans zero
    two.loc[(two.method == "AE (time)") & (two.seed == 1) & (two.fault == "worn"), "auc"] = 0.95
    assert not A.frequency_beats_time_claim(two).holds


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
    a, ra = A.run_seeds((0, 1, 2), **kw)
    b, rb = A.run_seeds((0, 1, 2), **kw)
    pd.testing.assert_frame_equal(a, b)
    assert A.auc_claim(a, "worn", at_least=0.0) == A.auc_claim(b, "worn", at_least=0.0)
    sa, sb = A.severity_sweep(ra, [0.3, 1.0], n_fault=5), A.severity_sweep(rb, [0.3, 1.0], n_fault=5)
    pd.testing.assert_frame_equal(sa, sb)
    assert A.sensitivity_claim(sa, target=0.9) == A.sensitivity_claim(sb, target=0.9)
    assert A.beats_claim(sa, b="PCA") == A.beats_claim(sb, b="PCA")


def test_severity_figure_labels_its_axes():
    from lab.core.plotting import unlabelled_axes
    sw = _sweep_table([{(m, f): [0.5, 0.8, 0.95, 1.0] for m in ("AE (frequency)", "PCA (time)")
                        for f in A.FAULTS}] * 2)
    fig = A.severity_figure(sw)
    assert not unlabelled_axes(fig)
    assert {t.name for t in fig.data} == {"AE (frequency)", "PCA (time)"}
    assert {t.line.dash for t in fig.data} == {"solid", "dash"}


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
