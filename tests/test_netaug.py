"""Unit tests of lab.netaug (data.py, train.py, views.py): MNIST-1D generation, dynamic sub-networks,
export, NetAug's shared-weight loss, paired t-intervals, training and the explorer."""
import numpy as np
import pytest
import torch
from scipy import stats

from lab import netaug


@pytest.fixture(scope="module")
def full():
    return netaug.make_mnist1d()


@pytest.fixture(scope="module")
def data(full):
    """A 600-signal training subset, to keep the training tests fast."""
    return netaug.Signals(full.x_train[:600], full.y_train[:600], full.x_test[:300], full.y_test[:300])


def test_mnist1d_is_generated_offline_with_the_default_arguments(full, tmp_path, monkeypatch):
    assert full.x_train.shape == (4000, 40) and full.x_test.shape == (1000, 40)
    assert full.x_train.dtype == np.float32 and set(np.unique(full.y_train)) == set(range(10))
    from mnist1d.data import get_dataset_args, make_dataset
    ref = make_dataset(get_dataset_args())
    np.testing.assert_array_equal(full.x_test, ref["x_test"].astype(np.float32))
    np.testing.assert_array_equal(full.y_train, ref["y"])
    # the generator reseeds numpy's global state; make_mnist1d puts it back
    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path))
    np.random.seed(123)
    want = np.random.rand()
    np.random.seed(123)
    small = netaug.make_mnist1d(num_samples=200, cache=False)
    assert np.random.rand() == want and len(small.y_train) == 160
    assert not list(tmp_path.iterdir())  # cache=False writes nothing


def test_shared_weights_tiny_model_is_the_first_units():
    torch.manual_seed(0)
    net = netaug.TinyNet(0.25, 2.6)
    assert net.base == (4, 4) and net.widths(2.6) == (10, 10) and net.widths([1.0, 1.8]) == (4, 7)
    x = torch.randn(3, 40)
    y = net(x)
    with torch.no_grad():  # the units beyond the tiny model's do not change its output
        net.hidden[0].weight[4:] = 7.0
        net.hidden[1].weight[4:] = 7.0
        net.head.weight[:, 4:] = 7.0
    assert torch.equal(net(x), y)
    assert not torch.equal(net(x, (10, 10)), y)
    with pytest.raises(ValueError, match="mults"):
        net.widths([1.0])


def test_export_equals_tiny_submodel_and_baseline_cost():
    torch.manual_seed(1)
    net = netaug.TinyNet(0.5, 2.6)
    tiny = netaug.export_tiny(net)
    x = torch.randn(5, 40)
    assert torch.allclose(tiny(x), net(x), atol=1e-6)
    assert netaug.model_cost(tiny) == netaug.model_cost(netaug.TinyNet(0.5))
    # 40 -> 8 -> 8 -> 10: weights and biases by hand
    assert netaug.model_cost(tiny) == dict(params=40 * 8 + 8 + 8 * 8 + 8 + 8 * 10 + 10, macs=40 * 8 + 64 + 80)


def test_netaug_loss_trains_the_shared_tiny_weights():
    """The augmented model's loss puts gradient on the tiny model's own weights."""
    torch.manual_seed(0)
    net = netaug.TinyNet(0.25, 2.6)
    x, y = torch.randn(8, 40), torch.arange(8) % 10
    torch.nn.functional.cross_entropy(net(x), y).backward()
    g_tiny = net.hidden[0].weight.grad.clone()
    assert g_tiny[4:].abs().sum() == 0  # the tiny model touches only its first units
    torch.nn.functional.cross_entropy(net(x, (10, 10)), y).backward()
    g_both = net.hidden[0].weight.grad
    assert not torch.allclose(g_both[:4], g_tiny[:4])  # accumulated on the shared weights
    assert g_both[4:10].abs().sum() > 0


def test_gain_interval_is_scipys_paired_t_interval():
    rs = [netaug.Result(method=m, width=0.25, seed=s, train_acc=t, test_acc=t, loss_curve=[1.0],
                          model=netaug.TinyNet(0.25))
          for s, (a, b) in enumerate([(0.50, 0.52), (0.40, 0.47), (0.45, 0.46), (0.50, 0.49)])
          for m, t in (("baseline", a), ("netaug", b))]
    base, na = np.array([0.50, 0.40, 0.45, 0.50]), np.array([0.52, 0.47, 0.46, 0.49])
    lo, hi = stats.ttest_rel(100 * na, 100 * base).confidence_interval(0.95)
    g = netaug.gains(rs)
    assert g.gain_mean[0] == pytest.approx(100 * (na - base).mean())
    assert g.gain_mean[0] + g.gain_half[0] == pytest.approx(hi) and g.gain_mean[0] - g.gain_half[0] == pytest.approx(lo)
    m = netaug.claim_gain(rs, 0.25)
    assert m.holds == (lo > 0) and "95 % paired t, n = 4" in m.note


def test_augment_batch_shifts_and_keeps_shape():
    gen = torch.Generator().manual_seed(0)
    x = torch.zeros(2, 40)
    x[:, 20] = 1.0
    y = netaug.augment_batch(x, gen, max_shift=3, noise=0.0)
    assert y.shape == x.shape and float(y.sum()) == 2.0 and all(17 <= int(i) <= 23 for i in y.argmax(1))
    assert netaug.mults(2.6, 3) == (1.0, 1.8, 2.6)


def test_training_pairs_methods_and_claims(data):
    rs = [netaug.train(m, data, s, epochs=3, width=0.25, batch=128) for m in ("baseline", "netaug")
          for s in (0, 1)]
    assert all(r.loss_curve[-1] < r.loss_curve[0] for r in rs)
    g = netaug.gains(rs)
    assert list(g.method) == ["netaug"] and g.seeds[0] == 2 and np.isfinite(g.gain_half[0])
    m = netaug.claim_gain(rs, 0.25)
    assert isinstance(m.holds, bool) and np.isfinite(m.number)
    # alpha 0: NetAug is the baseline (same initial tiny weights, same batches)
    a = netaug.train("baseline", data, 0, epochs=2, width=0.25, batch=128)
    b = netaug.train("netaug", data, 0, epochs=2, width=0.25, batch=128, alpha=0.0)
    assert a.loss_curve == pytest.approx(b.loss_curve, rel=1e-5)


def test_validation_split_is_fixed_disjoint_and_carved_from_training(data):
    fit, val = netaug.validation_split(600, 0.1)
    assert len(val) == 60 and len(fit) == 540 and not set(fit) & set(val)
    assert sorted(set(fit) | set(val)) == list(range(600))
    fit2, val2 = netaug.validation_split(600, 0.1)
    assert np.array_equal(val, val2) and np.array_equal(fit, fit2)  # one split for every seed and method
    assert len(netaug.validation_split(600, 0.0)[1]) == 0
    with pytest.raises(ValueError, match="val_frac"):
        netaug.validation_split(600, 0.9)
    with pytest.raises(ValueError, match="val_frac"):
        netaug.validation_split(10, 0.01)  # rounds to no held-out signal


def test_checkpoint_is_the_first_best_validation_epoch(data):
    r = netaug.train("baseline", data, 0, epochs=6, width=0.5, batch=128, val_frac=0.1)
    assert len(r.val_curve) == 6 and r.best_epoch == int(np.argmax(r.val_curve)) + 1
    fit, val = netaug.validation_split(len(data.y_train), 0.1)
    # the exported model is the kept epoch's: its validation score is the curve's best
    assert netaug.accuracy(r.model, data.x_train[val], data.y_train[val]) == pytest.approx(max(r.val_curve))
    assert r.train_acc == pytest.approx(netaug.accuracy(r.model, data.x_train[fit], data.y_train[fit]))
    assert r.test_acc == pytest.approx(netaug.accuracy(r.model, data.x_test, data.y_test))
    # without a split the last epoch is kept
    last = netaug.train("baseline", data, 0, epochs=3, width=0.5, batch=128, val_frac=0.0)
    assert last.val_curve == [] and last.best_epoch == 3


def test_plain_tail_trains_the_tiny_model_alone(data, monkeypatch):
    """In NetAug's last plain_epochs epochs no augmented model is sampled (the authors' stop_netaug_epoch)."""
    import importlib
    T = importlib.import_module("lab.netaug.train")  # the module (the package's `train` is the function)
    calls = []
    real = T.sample_widths
    monkeypatch.setattr(T, "sample_widths", lambda *a: calls.append(1) or real(*a))
    n_fit = len(netaug.validation_split(len(data.y_train), 0.1)[0])
    steps = -(-n_fit // 128)
    netaug.train("netaug", data, 0, epochs=4, width=0.5, batch=128, plain_epochs=3)
    assert len(calls) == 1 * steps
    calls.clear()
    netaug.train("netaug", data, 0, epochs=4, width=0.5, batch=128, plain_epochs=0)
    assert len(calls) == 4 * steps
    calls.clear()
    netaug.train("baseline", data, 0, epochs=4, width=0.5, batch=128, plain_epochs=3)
    assert not calls
    # the tail changes the training only from where it starts: the first epoch is the same
    a = netaug.train("netaug", data, 1, epochs=3, width=0.5, batch=128, plain_epochs=0)
    b = netaug.train("netaug", data, 1, epochs=3, width=0.5, batch=128, plain_epochs=2)
    assert a.loss_curve[0] == b.loss_curve[0] and a.loss_curve[1:] != pytest.approx(b.loss_curve[1:], rel=1e-6)


def test_bad_inputs(data):
    with pytest.raises(ValueError, match="method"):
        netaug.train("mixup", data, 0)
    with pytest.raises(ValueError, match="width_mults"):
        netaug.train("netaug", data, 0, epochs=1, width_mults=(1.5, 2.0))
    with pytest.raises(ValueError, match="width"):
        netaug.TinyNet(0.01)
    with pytest.raises(TypeError, match="data"):
        netaug.train("baseline", "mnist1d", 0)
    with pytest.raises(ValueError, match="epochs"):
        netaug.train("baseline", data, 0, epochs=10**12)
    with pytest.raises(ValueError, match="x"):
        netaug.TinyNet(0.25)(torch.zeros(2, 8, 8))
    with pytest.raises(ValueError, match="plain_epochs"):
        netaug.train("netaug", data, 0, epochs=3, plain_epochs=3)
    with pytest.raises(ValueError, match="val_frac"):
        netaug.train("baseline", data, 0, epochs=1, val_frac=0.6)
    with pytest.raises(ValueError, match="best_epoch"):
        netaug.Result("baseline", 0, 0.25, [1.0], 0.5, 0.5, netaug.TinyNet(0.25), [0.5], best_epoch=2)


def test_determinism_same_seed_same_numbers(data):
    a = netaug.train("netaug", data, 3, epochs=2, width=0.25)
    b = netaug.train("netaug", data, 3, epochs=2, width=0.25)
    assert a.loss_curve == b.loss_curve and a.test_acc == b.test_acc


def test_explorer_updates(data):
    rs = [netaug.train(m, data, 0, epochs=1, width=0.25) for m in ("baseline", "netaug")]
    ex = netaug.explorer(data, rs, epochs=1)
    before = [f.to_dict()["data"] for f in ex.snapshot()]
    ex.set(alpha=0.5)
    assert [f.to_dict()["data"] for f in ex.snapshot()] != before  # the loss curve follows alpha
