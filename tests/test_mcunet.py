"""Unit tests of lab.mcunet: the memory analyser, receptive fields, the patch executor."""
import pytest
import torch

from lab import mcunet
from lab.core import nets

KB = 1024


@pytest.fixture(scope="module")
def mbv2():
    return nets.mobilenet_v2_specs()


def test_mobilenet_v2_peak_memory_matches_hand_count(mbv2):
    # block b2's 1x1 expansion: 112*112*16 in + 112*112*96 out, int8
    assert mcunet.peak_memory(mbv2, 224) == 112 * 112 * (16 + 96) == 1372 * KB
    # without in-place depthwise: b2's stride-2 depthwise 112*112*96 in + 56*56*96 out
    assert mcunet.peak_memory(mbv2, 224, inplace_depthwise=False, inplace_residual=False) == \
        112 * 112 * 96 + 56 * 56 * 96
    prof = mcunet.memory_profile(mbv2, 224)
    stem = prof[0]
    assert stem.bytes == 224 * 224 * 3 + 112 * 112 * 32 and stem.kind == "conv"
    # a residual block holds its input: b5 (28x28, 32 -> 192 -> 32)
    b5 = [m for m in prof if m.block == "b5"]
    assert [m.held for m in b5] == [0, 28 * 28 * 32, 28 * 28 * 32]
    assert b5[0].bytes == 28 * 28 * (32 + 192)


def test_patch_peak_memory_4x4(mbv2):
    peak = mcunet.patch_peak_memory(mbv2, 224, split=5, grid=4)
    assert peak == 28 * 28 * (32 + 192)  # 171.5 kB: now the later stage (b5) sets the peak
    prof = mcunet.patch_memory_profile(mbv2, 224, 5, 4)
    # b2's expansion on the largest (interior) patch: 35x35 pixels, + the 28x28x32 output buffer
    b2 = [m for m in prof if m.block == "b2"][0]
    assert b2.in_shape == (16, 35, 35) and b2.bytes == 35 * 35 * (16 + 96) + 28 * 28 * 32


def test_receptive_field_recurrence(mbv2):
    # stride 1: g += k - 1; stride 2: g = (g - 1) * 2 + k; through the first 5 blocks 7 -> 75 pixels
    assert mcunet.input_extent(mbv2[:5], 7) == 75
    plans = mcunet.plan_patches(mbv2, 224, 5, 4)
    sizes = {p.input_region[1] - p.input_region[0] for p in plans}
    assert max(sizes) == 75  # interior patches
    corner = plans[0]
    assert corner.input_region[:2] == (0, 62) and corner.layers[0].pad[0] == 1  # border-only padding
    assert mcunet.receptive_field(mbv2[:1]) == (3, 2)
    assert mcunet.receptive_field([nets.BlockSpec("x", (nets.ConvSpec(1, 1, 3),) * 2)]) == (5, 1)


def test_tiles_cover_the_map():
    assert mcunet.tile_bounds(28, 4) == [(0, 7), (7, 14), (14, 21), (21, 28)]
    assert mcunet.tile_bounds(10, 3) == [(0, 3), (3, 6), (6, 10)]


def _random_net(width=0.35, seed=0):
    torch.manual_seed(seed)
    net = nets.SpecNet(nets.mobilenet_v2_specs(width), 10).eval()
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return net


@pytest.mark.parametrize("split,grid", [(1, 2), (2, 3), (3, 4), (5, 2), (5, 3), (5, 4), (7, 2), (9, 3)])
def test_patch_output_equals_full_image(split, grid):
    net = _random_net()
    x = torch.randn(2, 3, 96, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        full = net.features(x, 0, split)
        patched = mcunet.patch_features(net, x, split, grid)
        scale = full.abs().max()
        assert torch.allclose(patched, full, rtol=1e-5, atol=1e-5 * float(scale))
        logits, ref = mcunet.patch_forward(net, x, split, grid), net(x)
        assert torch.allclose(logits, ref, rtol=1e-5, atol=1e-5 * float(ref.abs().max()))


def test_patch_output_with_redistributed_kernels_and_odd_sizes():
    blocks = mcunet.redistributed_specs(nets.mobilenet_v2_specs(0.35), 4, early_kernel=1, late_kernel=5)
    torch.manual_seed(2)
    net = nets.SpecNet(blocks, 5).eval()
    x = torch.randn(1, 3, 72, 72)
    with torch.no_grad():
        assert torch.allclose(mcunet.patch_features(net, x, 4, 3), net.features(x, 0, 4), atol=1e-5)


def test_mac_overhead_and_redistribution(mbv2):
    assert mcunet.mac_overhead(mbv2, 224, 5, 1)["overhead"] == 0.0
    ov = [mcunet.mac_overhead(mbv2, 224, 5, g)["overhead"] for g in (2, 4, 8)]
    assert 0 < ov[0] < ov[1] < ov[2]
    rd = mcunet.redistributed_specs(mbv2, 5)
    assert mcunet.mac_overhead(rd, 224, 5, 4)["overhead"] < ov[1]
    # the redistributed network keeps (here: exceeds) MobileNetV2's receptive field
    assert mcunet.receptive_field(rd)[0] >= mcunet.receptive_field(mbv2)[0]
    # the patch stage's MACs summed over patches, by hand for one 1x1 conv on a 4x4 map
    one = [nets.BlockSpec("a", (nets.ConvSpec(2, 3, 1),)), nets.BlockSpec("b", (nets.ConvSpec(3, 3, 1),))]
    assert mcunet.patch_stage_macs(one, 8, 1, 2) == 8 * 8 * 3 * 2


def test_bad_inputs(mbv2):
    with pytest.raises(ValueError, match="split"):
        mcunet.plan_patches(mbv2, 224, 0, 4)
    with pytest.raises(ValueError, match="grid"):
        mcunet.plan_patches(mbv2, 224, 5, 29)
    with pytest.raises(ValueError, match="resolution"):
        mcunet.memory_profile(mbv2, 4)
    with pytest.raises(TypeError, match="blocks"):
        mcunet.peak_memory("mbv2", 224)
    with pytest.raises(ValueError, match="early_kernel"):
        mcunet.redistributed_specs(mbv2, 5, early_kernel=2)
    with pytest.raises(ValueError, match="x must have shape"):
        mcunet.patch_features(_random_net(), torch.zeros(1, 3, 32, 48), 2, 2)


def test_determinism_of_analysis_and_executor(mbv2):
    a = mcunet.grid_sweep(mbv2, 224, 5, (2, 4))
    b = mcunet.grid_sweep(mbv2, 224, 5, (2, 4))
    assert a.equals(b)
    net = _random_net(seed=4)
    x = torch.ones(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(mcunet.patch_forward(net, x, 5, 2), mcunet.patch_forward(net, x, 5, 2))


def test_explorer_updates():
    ex = mcunet.explorer(resolution=128, grid=2, split=5)
    before = ex.snapshot()[0].to_dict()["data"]
    ex.set(grid=3)
    assert ex.snapshot()[0].to_dict()["data"] != before
    assert "reduction" in ex.readout.value
