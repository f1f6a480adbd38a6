"""Unit tests of lab.netaug (train.py, views.py): dynamic sub-networks, channel sorting, export, training."""
import pytest
import torch
import torch.nn as nn

from lab import netaug
from lab.core import nets
from lab.data import Digits, load_digits


@pytest.fixture(scope="module")
def full():
    return load_digits()


@pytest.fixture(scope="module")
def data(full):
    """A 400-image training subset, to keep the training tests fast."""
    return Digits(full.x_train[:400], full.y_train[:400], full.x_test, full.y_test, full.classes)


def test_digits_split(full):
    data = full
    assert data.x_train.shape[1:] == (1, 8, 8) and len(data.y_train) + len(data.y_test) == 1797
    assert 0 <= float(data.x_train.min()) and float(data.x_train.max()) <= 1


def test_configs_and_shared_weights():
    net = netaug.TinyNet(0.5, 2.6, 2.8)
    assert net.base == netaug.TinyNet(0.5).base
    wide = net.config(2.6, 2.8)
    assert wide.stem == net.stem.out_channels and wide.outs[-1] == net.classifier.in_features
    x = torch.rand(3, 1, 8, 8)
    assert net(x).shape == (3, 10) and net(x, wide).shape == (3, 10)
    # the tiny model is the first channels: zeroing the other channels leaves its output unchanged
    net.eval()
    y = net(x)
    with torch.no_grad():
        net.stem.weight[net.base.stem:] = 7.0
        for blk, h in zip(net.blocks, net.base.hidden):
            blk.expand.weight[h:] = 7.0
    assert torch.equal(net(x), y)
    with pytest.raises(ValueError, match="width_mult"):
        net.config([1.0], 1.0)


def test_sort_channels_keeps_the_function():
    torch.manual_seed(0)
    net = netaug.TinyNet(0.5, 2.6, 2.8).eval()
    x = torch.rand(4, 1, 8, 8)
    wide = net.config(2.6, 2.8)
    before = net(x, wide)
    netaug.sort_channels(net)
    assert torch.allclose(net(x, wide), before, atol=1e-5)  # a permutation of hidden channels
    imp = net.blocks[0].project.weight.abs().sum(dim=(0, 2, 3))
    assert torch.all(imp[:-1] >= imp[1:])


def test_export_equals_tiny_submodel_and_baseline_cost():
    torch.manual_seed(1)
    net = netaug.TinyNet(0.5, 2.6, 2.8)
    net.train()
    net(torch.rand(16, 1, 8, 8))  # move the running statistics away from their defaults
    net.eval()
    tiny = netaug.export_tiny(net)
    x = torch.rand(5, 1, 8, 8)
    assert torch.allclose(tiny(x), net(x), atol=1e-6)
    assert netaug.model_cost(tiny) == netaug.model_cost(netaug.TinyNet(0.5))


def test_mac_count_by_hand_for_the_tiny_model():
    net = netaug.TinyNet(0.5)
    c = net.base
    assert (c.stem, c.outs, c.hidden) == (2, (4, 8), (4, 8))
    # stem 3x3 (1->2) on 8x8; block1: 1x1 2->4 on 8x8, dw 3x3 s2 -> 4x4, 1x1 4->4 on 4x4;
    # block2: 1x1 4->8 on 4x4, dw 3x3 s2 -> 2x2, 1x1 8->8 on 2x2; classifier 8->10
    hand = 64 * 2 * 9 + 64 * 4 * 2 + 16 * 4 * 9 + 16 * 4 * 4 + 16 * 8 * 4 + 4 * 8 * 9 + 4 * 8 * 8 + 80
    assert nets.count_macs(net, (1, 8, 8)) == hand
    assert nets.count_macs(nn.Conv2d(2, 3, 3, padding=1), (2, 4, 4)) == 4 * 4 * 3 * 2 * 9  # 864


def test_augment_batch_shifts_and_keeps_range():
    gen = torch.Generator().manual_seed(0)
    x = torch.zeros(2, 1, 8, 8)
    x[:, :, 4, 4] = 1.0
    y = netaug.augment_batch(x, gen, max_shift=1, noise=0.0)
    assert y.shape == x.shape and float(y.sum()) == 2.0
    assert netaug.mults(2.6, 3) == (1.0, 1.8, 2.6) and netaug.mults(2.8, 4) == (1.0, 1.6, 2.2, 2.8)


def test_training_improves_over_chance_and_gains_table(data):
    rs = [netaug.train(m, data, 0, epochs=3, base_width=0.5, batch=64) for m in ("baseline", "netaug")]
    assert all(r.test_acc > 0.2 for r in rs)
    g = netaug.gains(rs)
    assert list(g.method) == ["netaug"] and g.seeds[0] == 1


def test_bad_inputs(data):
    with pytest.raises(ValueError, match="method"):
        netaug.train("mixup", data, 0)
    with pytest.raises(ValueError, match="width_mults"):
        netaug.train("netaug", data, 0, epochs=1, width_mults=(1.5, 2.0))
    with pytest.raises(ValueError, match="base_width"):
        netaug.TinyNet(0.1)
    with pytest.raises(TypeError, match="data"):
        netaug.train("baseline", "digits", 0)


def test_determinism_same_seed_same_numbers(data):
    a = netaug.train("netaug", data, 3, epochs=2, base_width=0.5)
    b = netaug.train("netaug", data, 3, epochs=2, base_width=0.5)
    assert a.loss_curve == b.loss_curve and a.test_acc == b.test_acc


def test_explorer_updates(data):
    rs = [netaug.train(m, data, 0, epochs=1, base_width=0.5) for m in ("baseline", "netaug")]
    ex = netaug.explorer(data, rs, epochs=1)
    before = ex.snapshot()[0].to_dict()["data"]
    ex.set(alpha=0.5)
    assert ex.snapshot()[0].to_dict()["data"] != before


def test_augmented_loss_trains_the_shared_tiny_weights():
    """One NetAug step puts the wider model's gradient on the tiny model's own weights."""
    torch.manual_seed(0)
    net = netaug.TinyNet(0.5, 2.6, 2.8)
    x, y = torch.rand(8, 1, 8, 8), torch.arange(8) % 10
    wide = net.config(2.6, 2.8)
    torch.nn.functional.cross_entropy(net(x), y).backward()
    g_tiny = net.stem.weight.grad.clone()
    assert g_tiny[net.base.stem:].abs().sum() == 0  # the tiny model touches only its first channels
    torch.nn.functional.cross_entropy(net(x, wide), y).backward()
    g_both = net.stem.weight.grad
    assert not torch.allclose(g_both[:net.base.stem], g_tiny[:net.base.stem])  # accumulated on shared weights
    assert g_both[net.base.stem:wide.stem].abs().sum() > 0


def test_issue16_bad_inputs_are_refused(data):
    with pytest.raises(ValueError, match="epochs"):
        netaug.train("baseline", data, 0, epochs=10**12)
    net = netaug.TinyNet(0.5)
    with pytest.raises(ValueError, match="x"):
        netaug.recalibrate_bn(net, torch.zeros(0, 1, 8, 8))
    bad = torch.rand(4, 1, 8, 8)
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="x"):
        netaug.recalibrate_bn(net, bad)
    netaug.recalibrate_bn(net, torch.rand(5, 1, 8, 8), batch=2)  # a last batch of one image is avoided
    assert all(torch.isfinite(m.running_var).all() for m in net.modules() if isinstance(m, nn.BatchNorm2d))
