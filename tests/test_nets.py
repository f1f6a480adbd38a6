"""Unit tests of lab.core.nets: specs, MobileNetV2, dynamic-width layers, counting."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from lab.core import nets


def test_make_divisible():
    assert nets.make_divisible(32 * 0.35) == 16  # 11.2 rounds to 8, which is > 10 % below, so 16
    assert nets.make_divisible(24) == 24
    assert nets.make_divisible(3, 8) == 8
    with pytest.raises(ValueError, match="value"):
        nets.make_divisible(0)


def test_mobilenet_v2_shape_params_and_macs():
    blocks = nets.mobilenet_v2_specs()
    assert len(blocks) == 19 and blocks[0].name == "stem" and blocks[-1].out_ch == 1280
    assert [b.residual for b in blocks].count(True) == 10  # the known 10 shortcuts of MobileNetV2
    net = nets.SpecNet(blocks, 1000)
    # MobileNetV2 1.0 has 3,504,872 parameters (conv + BN affine + classifier)
    assert nets.count_params(net) == 3504872
    macs = nets.count_macs(net, (3, 224, 224))
    assert macs == nets.spec_macs(blocks, 224, 1000)
    assert 295e6 < macs < 305e6  # the often-quoted ~300 M MACs
    assert nets.feature_sizes(blocks, 224)[-1] == [7]


def test_count_macs_hand_count_on_tiny_layers():
    conv = nn.Conv2d(2, 3, 3, padding=1)
    assert nets.count_macs(conv, (2, 4, 4)) == 4 * 4 * 3 * 2 * 9  # 864
    dw = nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4)
    assert nets.count_macs(dw, (4, 6, 6)) == 3 * 3 * 4 * 1 * 9  # 324
    lin = nn.Linear(5, 7)
    assert nets.count_macs(nn.Sequential(nn.Flatten(), lin), (5, 1, 1)) == 35


def test_conv_spec_macs_and_sizes():
    c = nets.ConvSpec(16, 96, 1)
    assert c.macs(112, 112) == 112 * 112 * 96 * 16
    d = nets.ConvSpec(96, 96, 3, 2, 96)
    assert d.depthwise and d.out_size(112) == 56 and d.macs(56, 56) == 56 * 56 * 96 * 9


def test_dynamic_conv_is_a_slice_of_the_widest_weight():
    torch.manual_seed(0)
    dc = nets.DynamicConv2d(6, 8, 3, bias=True)
    x = torch.randn(2, 4, 5, 5)
    ref = F.conv2d(x, dc.weight[:5, :4], dc.bias[:5], padding=1)
    assert torch.allclose(dc(x, 5), ref)
    dw = nets.DynamicConv2d(6, 6, 3, stride=2, depthwise=True)
    assert dw(torch.randn(1, 3, 6, 6)).shape == (1, 3, 3, 3)
    with pytest.raises(ValueError, match="out_ch"):
        dc(x, 9)
    with pytest.raises(ValueError, match="max_out"):
        nets.DynamicConv2d(4, 5, 3, depthwise=True)


def test_dynamic_linear_and_bn():
    lin = nets.DynamicLinear(6, 4)
    x = torch.randn(3, 5)
    assert torch.allclose(lin(x, 2), F.linear(x, lin.weight[:2, :5], lin.bias[:2]))
    bn = nets.DynamicBatchNorm2d(6)
    y = bn(torch.randn(4, 3, 2, 2) * 3 + 1)
    assert y.shape == (4, 3, 2, 2) and bn.running_mean[3:].abs().sum() == 0 and bn.running_mean[:3].abs().sum() > 0
    with pytest.raises(ValueError, match="at most 6"):
        bn(torch.randn(2, 7, 2, 2))


def test_specnet_rejects_bad_input():
    with pytest.raises(TypeError, match="blocks"):
        nets.SpecNet([], 10)
    with pytest.raises(ValueError, match="kernels"):
        nets.mobilenet_v2_specs(kernels=[3, 3])
    with pytest.raises(ValueError, match="input_shape"):
        nets.count_macs(nn.Conv2d(1, 1, 1), (1, 2))
    with pytest.raises(ValueError, match="kernel must be an odd"):
        nets.inverted_residual("x", 4, 4, 2, 1, kernel=4)


def test_determinism_of_specnet_init():
    torch.manual_seed(3)
    a = nets.SpecNet(nets.mobilenet_v2_specs(0.35), 10)
    torch.manual_seed(3)
    b = nets.SpecNet(nets.mobilenet_v2_specs(0.35), 10)
    x = torch.ones(1, 3, 32, 32)
    assert torch.equal(a.eval()(x), b.eval()(x))


def test_specs_check_their_fields():
    with pytest.raises(ValueError, match="in_ch"):
        nets.ConvSpec(-8, 8)
    with pytest.raises(ValueError, match="groups"):
        nets.ConvSpec(8, 6, 3, 1, 4)
    with pytest.raises(TypeError, match="act"):
        nets.ConvSpec(8, 8, act="yes")
    with pytest.raises(ValueError, match="chain"):
        nets.BlockSpec("b", (nets.ConvSpec(8, 16), nets.ConvSpec(8, 8)))
    with pytest.raises(ValueError, match="residual"):
        nets.BlockSpec("b", (nets.ConvSpec(8, 16),), residual=True)
