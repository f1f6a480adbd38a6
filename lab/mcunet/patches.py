"""MCUNetV2: memory-efficient patch-based inference for tiny deep learning
(J. Lin, W.-M. Chen, H. Cai, C. Gan, S. Han; NeurIPS 2021).

Backs notebooks/07_mcunet.ipynb (figures and the explorer: `lab.mcunet.views`).

Three parts, all driven by the block specs of `lab.core.nets` (the network that is
analysed is the network that is run):

* **Peak-memory analyser** (`memory_profile`, `peak_memory`). Layer by layer, a
  convolution needs its input and output activations in SRAM at once; inside an
  inverted-residual block with a shortcut the block input is held as well. One byte
  per element (int8). Two options model what an MCU inference engine does in place:
  `inplace_depthwise` (a depthwise conv overwrites its input channel by channel, so it
  needs max(in, out), not in + out) and `inplace_residual` (the shortcut add
  accumulates the projection into the held block input, so the last conv of a
  residual block needs no separate output buffer). With both on (the default) the
  analyser gives MobileNetV2's 1372 kB -> 172 kB; with both off it gives larger numbers,
  and the notebook shows both.
* **Patch-based executor** (`plan_patches`, `patch_features`, `patch_forward`). The
  first `split` blocks run patch by patch on an n x n grid of the split-layer feature
  map. Each patch's input region follows from the receptive field walked backwards
  (stride 1: g += k - 1; stride 2: g = (g - 1) * 2 + k), clipped at the image borders,
  where (and only where) zero padding is added. The per-patch outputs are stitched into
  the split-layer feature map and the rest of the network runs normally.
* **Costs of patching**: peak memory (`patch_memory_profile`), the MAC overhead of
  recomputing overlapping halos (`mac_overhead`), and a receptive-field-redistributed
  variant (`redistributed_specs`) that shrinks early kernels and enlarges later ones.

Units: memory in bytes (kB = 1024 bytes, as in the paper), MACs as counts, sizes in pixels.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from lab.core import checks
from lab.core.nets import BlockSpec, ConvSpec, SpecNet, feature_sizes, spec_macs

KB = 1024  # bytes per kB (the paper's convention)


def _check_blocks(blocks) -> list[BlockSpec]:
    blocks = list(blocks) if isinstance(blocks, (list, tuple)) else blocks
    if not isinstance(blocks, list) or not blocks or not all(isinstance(b, BlockSpec) for b in blocks):
        raise TypeError("blocks must be a non-empty list of BlockSpec (e.g. nets.mobilenet_v2_specs())")
    return blocks


def _check_split(split, blocks) -> int:
    return checks.check_int("split", split, lo=1, hi=len(blocks) - 1)


MAX_RESOLUTION = 1024  # input pixels per side


def _check_res(resolution) -> int:
    return checks.check_int("resolution", resolution, lo=8, hi=MAX_RESOLUTION)


def _check_ints(name: str, values, lo: int, hi: int) -> list[int]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a sequence of integers in [{lo}, {hi}]")
    out = [checks.check_int(name, v, lo=lo, hi=hi) for v in values]
    if not out:
        raise ValueError(f"{name} must hold at least one integer in [{lo}, {hi}]")
    return out


# ----------------------------------------------------------------------------- layer-based memory
@dataclass(frozen=True)
class LayerMemory:
    """Memory of one convolution: activations in SRAM while it runs (bytes)."""
    block: str
    block_index: int
    layer: int
    kind: str                 # "conv", "pw" (1x1) or "dw" (depthwise)
    in_shape: tuple[int, int, int]   # (channels, height, width)
    out_shape: tuple[int, int, int]
    held: int                 # bytes of the block input held for the shortcut
    bytes: int                # total bytes while this layer runs


def _kind(c: ConvSpec) -> str:
    return "dw" if c.depthwise else ("pw" if c.kernel == 1 else "conv")


def _layer_bytes(c: ConvSpec, in_elems: int, out_elems: int, held: int, inplace_depthwise: bool,
                 out_in_place: bool, bpe: int) -> int:
    if c.depthwise and inplace_depthwise:
        act = max(in_elems, out_elems) * bpe
    else:
        act = (in_elems + (0 if out_in_place else out_elems)) * bpe
    return act + held


def memory_profile(blocks: Sequence[BlockSpec], resolution: int, bytes_per_element: int = 1,
                   inplace_depthwise: bool = True, inplace_residual: bool = True) -> list[LayerMemory]:
    """Per-layer SRAM use of layer-by-layer inference on a resolution x resolution input.

    layer bytes = (input + output activations) * bytes_per_element, + the held block
    input inside a residual block (see the module docstring for the in-place options)."""
    blocks = _check_blocks(blocks)
    resolution = _check_res(resolution)
    bpe = checks.check_int("bytes_per_element", bytes_per_element, lo=1, hi=8)
    inplace_depthwise = checks.check_bool("inplace_depthwise", inplace_depthwise)
    inplace_residual = checks.check_bool("inplace_residual", inplace_residual)
    sizes = feature_sizes(blocks, resolution)
    out: list[LayerMemory] = []
    h = resolution
    for bi, (b, row) in enumerate(zip(blocks, sizes)):
        block_in = b.in_ch * h * h
        for j, (c, s) in enumerate(zip(b.convs, row)):
            held = block_in * bpe if (b.residual and j > 0) else 0
            last_res = b.residual and inplace_residual and j == len(b.convs) - 1
            if last_res:
                held = block_in * bpe  # the output accumulates into this buffer
            nbytes = _layer_bytes(c, c.in_ch * h * h, c.out_ch * s * s, held, inplace_depthwise, last_res, bpe)
            out.append(LayerMemory(b.name, bi, j, _kind(c), (c.in_ch, h, h), (c.out_ch, s, s), held, nbytes))
            h = s
    return out


def peak_memory(blocks: Sequence[BlockSpec], resolution: int, **options) -> int:
    """Peak SRAM bytes of layer-by-layer inference (the maximum of `memory_profile`)."""
    resolution = _check_res(resolution)
    return max(m.bytes for m in memory_profile(blocks, resolution, **options))


# ----------------------------------------------------------------------------- receptive fields and patch plans
def receptive_field(blocks: Sequence[BlockSpec]) -> tuple[int, int]:
    """(receptive field in input pixels, total stride) of the blocks' output pixels."""
    blocks = _check_blocks(blocks)
    rf, jump = 1, 1
    for b in blocks:
        for c in b.convs:
            rf += (c.kernel - 1) * jump
            jump *= c.stride
    return rf, jump


def input_extent(blocks: Sequence[BlockSpec], out_size: int) -> int:
    """Input pixels (one side, no clipping) needed for `out_size` output pixels of the
    blocks: walked backwards, stride 1: g += k - 1; stride 2: g = (g - 1) * 2 + k."""
    blocks = _check_blocks(blocks)
    g = checks.check_int("out_size", out_size, lo=1)
    for b in reversed(blocks):
        for c in reversed(b.convs):
            g = (g - 1) * c.stride + c.kernel
    return g


@dataclass(frozen=True)
class LayerPlan:
    """One conv of one patch: the input region it reads (clipped to the feature map,
    half-open [r0, r1) x [c0, c1)), the zero padding added at image borders only
    (top, bottom, left, right), and the output region it produces."""
    in_region: tuple[int, int, int, int]
    pad: tuple[int, int, int, int]
    out_region: tuple[int, int, int, int]


@dataclass(frozen=True)
class PatchPlan:
    row: int
    col: int
    layers: tuple[LayerPlan, ...]   # the convs of blocks[:split], in order

    @property
    def input_region(self) -> tuple[int, int, int, int]:
        """The patch's region of the input image (r0, r1, c0, c1), halo included."""
        return self.layers[0].in_region

    @property
    def output_region(self) -> tuple[int, int, int, int]:
        """The patch's tile of the split-layer feature map."""
        return self.layers[-1].out_region


def _back(lo: int, hi: int, c: ConvSpec, size_in: int) -> tuple[int, int, int, int]:
    a = lo * c.stride - c.padding
    b = (hi - 1) * c.stride - c.padding + c.kernel
    return max(a, 0), min(b, size_in), max(0, -a), max(0, b - size_in)


def tile_bounds(size: int, grid: int) -> list[tuple[int, int]]:
    """Split `size` pixels into `grid` near-equal tiles [lo, hi)."""
    size = checks.check_int("size", size, lo=1)
    grid = checks.check_int("grid", grid, lo=1, hi=size)
    edges = [i * size // grid for i in range(grid + 1)]
    return list(zip(edges[:-1], edges[1:]))


def plan_patches(blocks: Sequence[BlockSpec], resolution: int, split: int, grid: int) -> list[PatchPlan]:
    """Plans of the grid x grid patches of blocks[:split] on a square input."""
    blocks = _check_blocks(blocks)
    split = _check_split(split, blocks)
    resolution = _check_res(resolution)
    sizes = feature_sizes(blocks, resolution)
    convs, in_sizes = [], []
    h = resolution
    for b, row in zip(blocks[:split], sizes[:split]):
        for c, s in zip(b.convs, row):
            convs.append(c)
            in_sizes.append(h)
            h = s
    tiles = tile_bounds(h, checks.check_int("grid", grid, lo=1, hi=h))
    plans = []
    for i, (r0, r1) in enumerate(tiles):
        for j, (c0, c1) in enumerate(tiles):
            layers = []
            out = (r0, r1, c0, c1)
            for c, size_in in zip(reversed(convs), reversed(in_sizes)):
                ra, rb, pt, pb = _back(out[0], out[1], c, size_in)
                ca, cb, pl, pr = _back(out[2], out[3], c, size_in)
                layers.append(LayerPlan((ra, rb, ca, cb), (pt, pb, pl, pr), out))
                out = (ra, rb, ca, cb)
            plans.append(PatchPlan(i, j, tuple(reversed(layers))))
    return plans


# ----------------------------------------------------------------------------- patch-based executor
def _run_conv(module, x: torch.Tensor, pad: tuple[int, int, int, int]) -> torch.Tensor:
    conv = module[0]
    top, bottom, left, right = pad
    if any(pad):
        x = F.pad(x, (left, right, top, bottom))
    y = F.conv2d(x, conv.weight, conv.bias, conv.stride, 0, conv.dilation, conv.groups)
    for m in list(module)[1:]:
        y = m(y)
    return y


def patch_features(net: SpecNet, x: torch.Tensor, split: int, grid: int) -> torch.Tensor:
    """Split-layer feature map computed patch by patch: blocks[:split] run on each of the
    grid x grid patches (valid convolutions, zero padding only at image borders) and the
    patch outputs are stitched. x: (N, C, H, H) -> (N, C_split, H_s, H_s). The network
    should be in eval mode (batch norm then acts per pixel)."""
    checks.check_type("net", net, SpecNet)
    checks.check_type("x", x, torch.Tensor)
    if x.ndim != 4 or x.shape[2] != x.shape[3] or x.shape[1] != net.specs[0].in_ch:
        raise ValueError(f"x must have shape (N, {net.specs[0].in_ch}, H, H); got {tuple(x.shape)}")
    if not x.dtype.is_floating_point or not bool(torch.isfinite(x).all()):
        raise ValueError("x must be a finite float tensor (no NaN or inf)")
    if x.shape[0] == 0 or x.shape[0] > 64 or x.shape[2] > MAX_RESOLUTION:
        raise ValueError(f"x must hold 1 to 64 images of at most {MAX_RESOLUTION} px; got {tuple(x.shape)}")
    plans = plan_patches(net.specs, int(x.shape[2]), split, grid)
    out_ch = net.specs[split - 1].out_ch
    hs = feature_sizes(net.specs, int(x.shape[2]))[split - 1][-1]
    out = x.new_zeros((x.shape[0], out_ch, hs, hs))
    for p in plans:
        r0, r1, c0, c1 = p.input_region
        t = x[:, :, r0:r1, c0:c1]
        k = 0
        for block in net.blocks[:split]:
            t_in, reg_in = t, p.layers[k].in_region
            for conv in block.convs:
                t = _run_conv(conv, t, p.layers[k].pad)
                k += 1
            if block.spec.residual:
                o = p.layers[k - 1].out_region
                t = t + t_in[:, :, o[0] - reg_in[0]:o[1] - reg_in[0], o[2] - reg_in[2]:o[3] - reg_in[2]]
        o = p.output_region
        out[:, :, o[0]:o[1], o[2]:o[3]] = t
    return out


def patch_forward(net: SpecNet, x: torch.Tensor, split: int, grid: int) -> torch.Tensor:
    """Logits of patch-based inference: `patch_features`, then blocks[split:] and the head."""
    checks.check_type("net", net, SpecNet)
    return net.head(net.features(patch_features(net, x, split, grid), start=split))


# ----------------------------------------------------------------------------- costs of patching
def patch_memory_profile(blocks: Sequence[BlockSpec], resolution: int, split: int, grid: int,
                         bytes_per_element: int = 1, inplace_depthwise: bool = True,
                         inplace_residual: bool = True) -> list[LayerMemory]:
    """Per-layer SRAM use of patch-based inference. Layers of blocks[:split] use their
    largest patch's regions, plus the full split-layer output buffer that collects the
    patches (the last patch-stage conv writes straight into it). The input image is
    read patch by patch (from a camera or flash), so only a patch of it is in SRAM.
    Later layers are as in `memory_profile`."""
    blocks = _check_blocks(blocks)
    resolution = _check_res(resolution)
    full = memory_profile(blocks, resolution, bytes_per_element, inplace_depthwise, inplace_residual)
    plans = plan_patches(blocks, resolution, split, grid)
    bpe = bytes_per_element
    hs = feature_sizes(blocks, resolution)[split - 1][-1]
    buffer = blocks[split - 1].out_ch * hs * hs * bpe
    area = lambda r: (r[1] - r[0]) * (r[3] - r[2])  # noqa: E731
    out, k = [], 0
    n_patch_layers = len(plans[0].layers)
    for bi, b in enumerate(blocks[:split]):
        for j, c in enumerate(b.convs):
            worst, shape_in, shape_out = -1, None, None
            for p in plans:
                lp = p.layers[k]
                block_reg = p.layers[k - j].in_region
                held = area(block_reg) * b.in_ch * bpe if (b.residual and j > 0) else 0
                last = k == n_patch_layers - 1
                last_res = b.residual and inplace_residual and j == len(b.convs) - 1
                if last_res:
                    held = area(block_reg) * b.in_ch * bpe
                nbytes = _layer_bytes(c, area(lp.in_region) * c.in_ch, area(lp.out_region) * c.out_ch, held,
                                      inplace_depthwise, last or last_res, bpe) + buffer
                if nbytes > worst:
                    worst = nbytes
                    r, o = lp.in_region, lp.out_region
                    shape_in = (c.in_ch, r[1] - r[0], r[3] - r[2])
                    shape_out = (c.out_ch, o[1] - o[0], o[3] - o[2])
            out.append(LayerMemory(b.name, bi, j, _kind(c), shape_in, shape_out, 0, worst))
            k += 1
    return out + full[k:]


def patch_peak_memory(blocks: Sequence[BlockSpec], resolution: int, split: int, grid: int, **options) -> int:
    """Peak SRAM bytes of patch-based inference."""
    resolution = _check_res(resolution)
    return max(m.bytes for m in patch_memory_profile(blocks, resolution, split, grid, **options))


def patch_stage_macs(blocks: Sequence[BlockSpec], resolution: int, split: int, grid: int) -> int:
    """MACs of blocks[:split] summed over all patches (halos recomputed)."""
    blocks = _check_blocks(blocks)
    resolution = _check_res(resolution)
    plans = plan_patches(blocks, resolution, split, grid)
    convs = [c for b in blocks[:split] for c in b.convs]
    total = 0
    for p in plans:
        for c, lp in zip(convs, p.layers):
            o = lp.out_region
            total += c.macs(o[1] - o[0], o[3] - o[2])
    return int(total)


def mac_overhead(blocks: Sequence[BlockSpec], resolution: int, split: int, grid: int,
                 num_classes: int = 1000) -> dict[str, float]:
    """MACs of the whole network, layer-based and patch-based, and the overhead
    (patch / layer - 1, a fraction of the whole network's MACs)."""
    blocks = _check_blocks(blocks)
    resolution = _check_res(resolution)
    split = _check_split(split, blocks)
    total = spec_macs(blocks, resolution, num_classes)
    stage = spec_macs(blocks[:split], resolution)
    patched = total - stage + patch_stage_macs(blocks, resolution, split, grid)
    return dict(layer_macs=float(total), patch_macs=float(patched), overhead=patched / total - 1.0)


def redistributed_specs(blocks: Sequence[BlockSpec], split: int, early_kernel: int = 1,
                        late_kernel: int = 5, n_late: int = 3) -> list[BlockSpec]:
    """Receptive-field redistribution: the stride-1 depthwise convs of the patch stage
    (blocks[:split]) get kernel `early_kernel`, and the depthwise convs of the `n_late`
    blocks after the split get `late_kernel`, which restores the network's receptive
    field while the patches' halos shrink."""
    blocks = _check_blocks(blocks)
    split = _check_split(split, blocks)
    early_kernel = checks.check_int("early_kernel", early_kernel, lo=1)
    late_kernel = checks.check_int("late_kernel", late_kernel, lo=1)
    n_late = checks.check_int("n_late", n_late, lo=0)
    for name, k in (("early_kernel", early_kernel), ("late_kernel", late_kernel)):
        if k % 2 == 0:
            raise ValueError(f"{name} must be odd; got {k}")

    def rekernel(b: BlockSpec, k: int, stride1_only: bool) -> BlockSpec:
        convs = tuple(replace(c, kernel=k) if c.depthwise and (c.stride == 1 or not stride1_only) else c
                      for c in b.convs)
        return replace(b, convs=convs)

    out = [rekernel(b, early_kernel, True) for b in blocks[:split]]
    out += [rekernel(b, late_kernel, False) if i < n_late else b for i, b in enumerate(blocks[split:])]
    return out


# ----------------------------------------------------------------------------- tables for the notebook
def block_table(blocks: Sequence[BlockSpec], resolution: int, split: int, grid: int, **options) -> pd.DataFrame:
    """Per-block peak memory [kB], layer-based and patch-based (Figure 1 of the paper)."""
    blocks = _check_blocks(blocks)
    resolution = _check_res(resolution)
    lay = memory_profile(blocks, resolution, **options)
    pat = patch_memory_profile(blocks, resolution, split, grid, **options)
    rows = []
    for b_i, b in enumerate(blocks):
        lm = [m for m in lay if m.block_index == b_i]
        pm = [m for m in pat if m.block_index == b_i]
        rows.append(dict(block=b.name, out_shape="x".join(map(str, lm[-1].out_shape)),
                         layer_kB=max(m.bytes for m in lm) / KB, patch_kB=max(m.bytes for m in pm) / KB,
                         patch_stage=b_i < split))
    return pd.DataFrame(rows)


def grid_sweep(blocks: Sequence[BlockSpec], resolution: int, split: int, grids: Sequence[int],
               **options) -> pd.DataFrame:
    """Peak memory [kB] and MAC overhead [%] of patch-based inference for each grid size."""
    blocks = _check_blocks(blocks)
    resolution = _check_res(resolution)
    split = _check_split(split, blocks)
    rows = []
    for g in _check_ints("grids", grids, 1, MAX_RESOLUTION):
        ov = mac_overhead(blocks, resolution, split, g)
        rows.append(dict(grid=int(g), peak_kB=patch_peak_memory(blocks, resolution, split, g, **options) / KB,
                         macs_M=ov["patch_macs"] / 1e6, overhead_pct=100 * ov["overhead"]))
    return pd.DataFrame(rows)


def split_sizes(blocks: Sequence[BlockSpec], resolution: int) -> list[int]:
    """Spatial size of the output of each block (to pick sensible split points)."""
    return [row[-1] for row in feature_sizes(_check_blocks(blocks), _check_res(resolution))]


def headline(blocks: Sequence[BlockSpec], resolution: int, split: int, grid: int) -> pd.DataFrame:
    """Layer-based and patch-based peak memory [kB] under three memory conventions:
    in-place depthwise and residual add (row 0), in-place depthwise only, as TinyEngine's
    kernels do (row 1: the shortcut add needs its own output buffer), and strict
    input + output of every layer (row 2)."""
    rows = []
    for name, opt in (("in-place depthwise + residual", dict(inplace_depthwise=True, inplace_residual=True)),
                      ("in-place depthwise only (TinyEngine)", dict(inplace_depthwise=True, inplace_residual=False)),
                      ("strict: input + output of every layer", dict(inplace_depthwise=False,
                                                                      inplace_residual=False))):
        lay = peak_memory(blocks, resolution, **opt) / KB
        pat = patch_peak_memory(blocks, resolution, split, grid, **opt) / KB
        rows.append(dict(convention=name, layer_kB=lay, patch_kB=pat, reduction=lay / pat))
    return pd.DataFrame(rows)


def random_bn_net(blocks: Sequence[BlockSpec], num_classes: int = 1000, seed: int = 0) -> SpecNet:
    """A SpecNet in eval mode with random weights and random batch-norm statistics
    (so that every layer does something non-trivial), for equality checks."""
    seed = checks.check_int("seed", seed, lo=0, hi=2**32 - 1)
    torch.manual_seed(seed)
    blocks = _check_blocks(blocks)
    num_classes = checks.check_int("num_classes", num_classes, lo=1, hi=100000)
    net = SpecNet(blocks, num_classes).eval()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(0.4 * torch.rand(n, generator=gen) - 0.2)
                m.running_var.copy_(0.5 + torch.rand(n, generator=gen))
                m.weight.copy_(0.5 + torch.rand(n, generator=gen))
                m.bias.copy_(0.4 * torch.rand(n, generator=gen) - 0.2)
    return net


def equality_check(net: SpecNet, resolution: int, splits: Sequence[int], grids: Sequence[int],
                   seed: int = 0) -> pd.DataFrame:
    """Patch-based against full-image inference on one random image, for every split and
    grid: the largest absolute difference of the split-layer features and of the logits,
    relative to the largest full-image value."""
    checks.check_type("net", net, SpecNet)
    resolution = _check_res(resolution)
    gen = torch.Generator().manual_seed(checks.check_int("seed", seed, lo=0, hi=2**32 - 1))
    x = torch.randn(1, net.specs[0].in_ch, resolution, resolution, generator=gen)
    splits = _check_ints("splits", splits, 1, len(net.specs) - 1)
    grids = _check_ints("grids", grids, 1, MAX_RESOLUTION)
    rows = []
    with torch.no_grad():
        ref = net(x)
        for sp in splits:
            full = net.features(x, 0, sp)
            for g in grids:
                feat = patch_features(net, x, sp, g)
                logits = net.head(net.features(feat, start=sp))
                rows.append(dict(split=int(sp), grid=int(g), feature_rel_err=float((feat - full).abs().max() / full.abs().max()),
                                 logit_rel_err=float((logits - ref).abs().max() / ref.abs().max()),
                                 same_class=bool(logits.argmax() == ref.argmax())))
    return pd.DataFrame(rows)


def demo_image(resolution: int) -> np.ndarray:
    """A resolution x resolution x 3 uint8 photograph (scikit-image's bundled 'astronaut')."""
    from skimage.data import astronaut
    from skimage.transform import resize
    resolution = checks.check_int("resolution", resolution, lo=8, hi=MAX_RESOLUTION)
    return (resize(astronaut(), (resolution, resolution), anti_aliasing=True) * 255).astype(np.uint8)
