"""Issue 30's examples, each a clear refusal or a documented answer checked here (a finite answer is not enough).

Where a callable accepts a value the sweep would call bad, its docstring says why the value is valid and the test
checks the answer itself, not only that it is finite: an uncontrollable but stable system has K* = 0 and the cost
of the open loop; overflowing anomaly scores are inf and the runs anomalous; a target never reached is inf.
Where it refuses, the refusal names the parameter.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lab import anomaly, dga, nacl, netaug, sparsebfa, unstable_rl
from lab.data import Digits


def _refused(exc: type, param: str, call):
    with pytest.raises(exc) as info:
        call()
    assert param in str(info.value), f"the refusal does not name {param!r}: {info.value}"


# ----------------------------------------------------------------------------- unstable_rl
def test_optimal_uncontrollable_unstable_system_is_refused():
    s = unstable_rl.random_unstable(n=2, m=1, rho=1.2, seed=0)
    sys0 = unstable_rl.LQR(s.A, np.zeros((2, 1)), np.eye(2), np.eye(1), np.eye(2))
    _refused(ValueError, "sys", lambda: unstable_rl.optimal(sys0))


def test_optimal_uncontrollable_stable_system_is_the_open_loop():
    """B = 0 with a stable A: no input helps, K* = 0, and C* = tr(P S0) with P = Q + AᵀPA: for A = a·I,
    P = I / (1 − a²), so C* = n / (1 − a²) (2 / 0.75 here)."""
    sys0 = unstable_rl.LQR(0.5 * np.eye(2), np.zeros((2, 1)), np.eye(2), np.eye(1), np.eye(2))
    K, c = unstable_rl.optimal(sys0)
    np.testing.assert_allclose(K, 0.0, atol=1e-12)
    assert c == pytest.approx(2 / 0.75, rel=1e-9)


def test_with_rho_on_a_nilpotent_A_is_refused():
    s = unstable_rl.LQR(np.array([[0.0, 1.0], [0.0, 0.0]]), np.ones((2, 1)), np.eye(2), np.eye(1), np.eye(2))
    _refused(ValueError, "with_rho", lambda: s.with_rho(1.2))


def test_lyapunov_without_a_unique_solution_is_refused():
    _refused(ValueError, "A", lambda: unstable_rl.lyapunov(np.eye(2), np.eye(2)))


# ----------------------------------------------------------------------------- anomaly
def test_overflowing_scores_are_inf_and_the_runs_anomalous():
    det = anomaly.Detector(anomaly.AutoEncoder(8), np.zeros(8), np.ones(8), 1.0)
    X = np.full((3, 8), 1e300)
    assert np.isposinf(det.score(X)).all()
    assert det.predict(X).all()


def test_mill_dataset_with_a_run_lacking_the_signal_is_refused():
    run = anomaly.MillRun(case=1, run=1, VB=0.1, time=1.0, DOC=1.5, feed=0.5, material=1,
                          signals={"vib_table": np.ones(20)})
    _refused(ValueError, "signal", lambda: anomaly.mill_dataset([run], signal="vib_spindle"))


def test_load_mill_names_the_file(tmp_path):
    p = tmp_path / "broken.mat"
    p.write_bytes(b"not a mat file" * 8)
    _refused(ValueError, "broken.mat", lambda: anomaly.load_mill(p))


# ----------------------------------------------------------------------------- nacl
def _probed():
    torch.manual_seed(0)
    return nacl.Probed(nacl.Encoder(8, 4, 4), torch.nn.Linear(4, 3)).eval()


@pytest.mark.parametrize("label", [3, -1])
@pytest.mark.parametrize("fn", ["fgsm", "pgd", "accuracy"])
def test_labels_outside_the_classes_are_refused(fn, label):
    x, y = torch.rand(2, 1, 8, 8), torch.tensor([0, label])
    kw = {"eps": 0.05} if fn != "accuracy" else {}
    _refused(ValueError, "y", lambda: getattr(nacl, fn)(_probed(), x, y, **kw))


def test_contrastive_loss_of_one_image_is_refused():
    cfg = nacl.TrainConfig(epochs=1, batch=32, positives=2, hidden=8, feat_dim=4, proj_dim=4)
    views = torch.rand(2, 1, 1, 8, 8)
    _refused(ValueError, "views", lambda: nacl.contrastive_loss("nacl", nacl.Encoder(8, 4, 4), views, cfg,
                                                                torch.Generator().manual_seed(0)))


def test_train_config_names_aug():
    _refused(ValueError, "aug", lambda: nacl.TrainConfig(aug={"bogus": 1}))
    _refused(ValueError, "aug", lambda: nacl.TrainConfig(aug={"noise": -1.0}))


# ----------------------------------------------------------------------------- data, sparsebfa, netaug, dga
def test_digits_checks_what_it_holds():
    x = np.zeros((3, 1, 8, 8), np.float32)
    y = np.array([0, 1, 2])
    _refused(ValueError, "x_train", lambda: Digits(None, y, x, y, (0, 1, 2)))
    _refused(ValueError, "y_test", lambda: Digits(x, y, x, y + 1, (0, 1, 2)))


@pytest.mark.parametrize("fmt", ["coo", "rel"])
def test_encode_of_an_all_zero_network_is_refused(fmt):
    _refused(ValueError, "weights", lambda: sparsebfa.encode([np.zeros((4, 4), np.float32)], fmt))


def test_encode_csr_of_an_all_zero_network_stores_its_row_pointers():
    """CSR stores a row pointer per row even where no entry is stored: the store holds only those, all 0."""
    store = sparsebfa.encode([np.zeros((4, 4), np.float32)], "csr")
    assert store.n_kind("value") == 0 and store.n_bits > 0
    (w,) = sparsebfa.decode(store)
    assert w.shape == (4, 4) and not w.any()


def test_flips_to_a_threshold_never_reached_is_inf():
    t = sparsebfa.Trace(method="random", fmt="coo", seed=0, counts=np.array([0, 1, 2]), acc=np.array([0.9, 0.5, 0.3]),
                        loss=np.array([0.1, 1.0, 3.0]), flipped=np.array([4, 7]), n_bits=100, sparsity=0.9,
                        flip_seed=0)
    assert t.flips_to(0.0) == np.inf and t.flips_to(0.5) == 1.0


def test_gains_without_the_reference_runs_is_refused():
    r = netaug.Result(method="netaug", seed=0, width=0.25, loss_curve=[1.0], train_acc=0.5, test_acc=0.5,
                      model=netaug.TinyNet(0.25))
    _refused(ValueError, "results", lambda: netaug.gains([r], reference="baseline"))


def test_time_to_an_accuracy_never_reached_is_inf():
    assert dga.time_to_accuracy(np.array([0.0, 1.0]), np.array([0.2, 0.4]), 0.5) == np.inf
    assert dga.time_to_accuracy(np.array([0.0, 1.0]), np.array([0.2, 0.6]), 0.5) == 1.0
