"""Small convolutional networks shared by the notebooks (torchvision is not used).

Two families live here:

* **Static networks described by specs.** A network is a list of `BlockSpec`s, each a
  tuple of `ConvSpec`s (one convolution + optional batch norm + ReLU6) with an optional
  residual shortcut. `mobilenet_v2_specs(...)` writes MobileNetV2 (Sandler et al., 2018)
  this way; `SpecNet(blocks, num_classes)` builds the torch module. The same specs
  drive analysers that never run torch (peak memory, MACs, receptive fields), so the
  model that is measured is the model that is run.
* **Dynamic-width layers.** `DynamicConv2d`, `DynamicBatchNorm2d` and `DynamicLinear`
  hold the weights of their widest shape and run with the first `in`/`out` channels,
  so a narrow network is a sub-network of a wide one sharing its weights.

Also: `count_params` and `count_macs` (multiply-accumulates of conv and linear
layers, counted with forward hooks) and `make_divisible`.

Shapes: images are (batch, channels, height, width) float tensors.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .checks import check_bool, check_int, check_number, check_type

__all__ = [
    "make_divisible", "ConvSpec", "BlockSpec", "MBV2_SETTINGS", "inverted_residual", "mobilenet_v2_specs",
    "feature_sizes", "ConvBNAct", "SpecBlock", "SpecNet", "DynamicConv2d", "DynamicBatchNorm2d", "DynamicLinear",
    "count_params", "count_macs", "spec_macs", "with_kernels",
]

MAX_CHANNELS = 65536   # channels of one layer
MAX_KERNEL = 15        # kernel size (odd or even, square)
MAX_SIZE = 4096        # pixels per side of a feature map
MAX_INPUT_ELEMS = 1 << 26  # elements of one input counted by count_macs (64 M)


def _check_odd_kernel(name: str, k) -> int:
    k = check_int(name, k, lo=1, hi=MAX_KERNEL)
    if k % 2 == 0:
        raise ValueError(f"{name} must be an odd integer in [1, {MAX_KERNEL}]; got {k}")
    return k


def _check_blocks(blocks) -> list:
    if not isinstance(blocks, (list, tuple)) or not blocks or not all(isinstance(b, BlockSpec) for b in blocks):
        raise TypeError("blocks must be a non-empty list of BlockSpec")
    return list(blocks)


def _check_input(x, channels: int, dtype: torch.dtype, *, ndim: int | None = 4, at_most: bool = False) -> torch.Tensor:
    """A layer's input x: a finite tensor of the layer's weights' `dtype`, with `ndim` axes (N, C, H, W)
    (`ndim` None: any number >= 1, channels last, as torch.nn.Linear takes), N >= 1 and `channels`
    entries on the channel axis (1 to `channels` when `at_most`: a dynamic layer runs its first ones).
    Raises naming x."""
    shape = "(N, C, H, W)" if ndim == 4 else "(..., features)"
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor {shape}; got {type(x).__name__}")
    if x.dtype != dtype:
        raise TypeError(f"x must be a {dtype} tensor (the layer's weights are {dtype}); got {x.dtype}")
    if (x.ndim != ndim) if ndim is not None else x.ndim < 1:
        raise ValueError(f"x must have shape {shape}; got {tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"x must hold at least one input {shape}; got shape {tuple(x.shape)}")
    c = x.shape[1] if ndim == 4 else x.shape[-1]
    if (not 1 <= c <= channels) if at_most else c != channels:
        what = "channels" if ndim == 4 else "features"
        need = f"1..{channels} {what} (this layer holds at most {channels})" if at_most else f"{channels} {what}"
        raise ValueError(f"x must have {need}; got {c}")
    if not math.isfinite(float(x.detach().sum())) and not bool(torch.isfinite(x).all()):  # a finite sum: finite x
        raise ValueError(f"x must be finite; found {int((~torch.isfinite(x)).sum())} NaN or inf value(s)")
    return x


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to the nearest multiple of `divisor` (never below
    `min_value`, default `divisor`, and never more than 10 % below `value`)."""
    check_number("value", value, lo=0.0, lo_open=True, hi=1e6)
    divisor = check_int("divisor", divisor, lo=1, hi=MAX_CHANNELS)
    min_value = divisor if min_value is None else check_int("min_value", min_value, lo=1, hi=MAX_CHANNELS)
    new = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return int(new)


# ----------------------------------------------------------------------------- specs
@dataclass(frozen=True)
class ConvSpec:
    """One convolution (same padding k//2) followed by batch norm and, if `act`, ReLU6.

    groups == in_ch == out_ch marks a depthwise convolution. Channels in [1, 65536],
    kernel in [1, 15], stride in [1, 4]; groups must divide in_ch and out_ch."""
    in_ch: int
    out_ch: int
    kernel: int = 1
    stride: int = 1
    groups: int = 1
    act: bool = True

    def __post_init__(self):
        check_int("in_ch", self.in_ch, lo=1, hi=MAX_CHANNELS)
        check_int("out_ch", self.out_ch, lo=1, hi=MAX_CHANNELS)
        check_int("kernel", self.kernel, lo=1, hi=MAX_KERNEL)
        check_int("stride", self.stride, lo=1, hi=4)
        check_int("groups", self.groups, lo=1, hi=MAX_CHANNELS)
        if self.in_ch % self.groups or self.out_ch % self.groups:
            raise ValueError(f"groups must divide in_ch ({self.in_ch}) and out_ch ({self.out_ch}); got {self.groups}")
        check_bool("act", self.act)

    @property
    def padding(self) -> int:
        return self.kernel // 2

    @property
    def depthwise(self) -> bool:
        return self.groups > 1 and self.groups == self.in_ch == self.out_ch

    def out_size(self, size: int) -> int:
        """Output height (or width) for an input of `size` pixels (size in [1, 4096])."""
        size = check_int("size", size, lo=1, hi=MAX_SIZE)
        return (size + 2 * self.padding - self.kernel) // self.stride + 1

    def macs(self, out_h: int, out_w: int) -> int:
        """Multiply-accumulates for an output of out_h x out_w pixels (each in [1, 4096])."""
        out_h = check_int("out_h", out_h, lo=1, hi=MAX_SIZE)
        out_w = check_int("out_w", out_w, lo=1, hi=MAX_SIZE)
        return out_h * out_w * self.out_ch * (self.in_ch // self.groups) * self.kernel ** 2


@dataclass(frozen=True)
class BlockSpec:
    """A sequence of convolutions; `residual` adds the block input to its output (then the
    block must keep its channels and its size: in_ch == out_ch, stride 1)."""
    name: str
    convs: tuple[ConvSpec, ...]
    residual: bool = False

    def __post_init__(self):
        check_type("name", self.name, str)
        if not isinstance(self.convs, tuple) or not self.convs or not all(isinstance(c, ConvSpec) for c in self.convs):
            raise TypeError("convs must be a non-empty tuple of ConvSpec")
        for a, b in zip(self.convs[:-1], self.convs[1:]):
            if a.out_ch != b.in_ch:
                raise ValueError(f"convs must chain: a conv with out_ch={a.out_ch} feeds one with in_ch={b.in_ch}")
        check_bool("residual", self.residual)
        if self.residual and (self.convs[0].in_ch != self.convs[-1].out_ch or any(c.stride != 1 for c in self.convs)):
            raise ValueError("residual needs in_ch == out_ch and stride 1 in every conv of the block")

    @property
    def in_ch(self) -> int:
        return self.convs[0].in_ch

    @property
    def out_ch(self) -> int:
        return self.convs[-1].out_ch

    @property
    def stride(self) -> int:
        s = 1
        for c in self.convs:
            s *= c.stride
        return s


# (expand ratio t, output channels c, repeats n, first stride s) of MobileNetV2
MBV2_SETTINGS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)


def inverted_residual(name: str, in_ch: int, out_ch: int, expand: float, stride: int,
                      kernel: int = 3, hidden: int | None = None) -> BlockSpec:
    """MobileNetV2 block: 1x1 expand (skipped when expand == 1), k x k depthwise with
    `stride`, 1x1 linear projection; residual when stride 1 and in_ch == out_ch."""
    check_type("name", name, str)
    in_ch = check_int("in_ch", in_ch, lo=1, hi=MAX_CHANNELS)
    out_ch = check_int("out_ch", out_ch, lo=1, hi=MAX_CHANNELS)
    check_number("expand", expand, lo=1.0, hi=16.0)
    stride = check_int("stride", stride, lo=1, hi=2)
    kernel = _check_odd_kernel("kernel", kernel)
    if hidden is not None:
        hidden = check_int("hidden", hidden, lo=1, hi=MAX_CHANNELS)
    mid = hidden if hidden is not None else int(round(in_ch * expand))
    if mid > MAX_CHANNELS:
        raise ValueError(f"in_ch * expand must be at most {MAX_CHANNELS} channels; got {mid}")
    convs = []
    if expand != 1 or hidden is not None:
        convs.append(ConvSpec(in_ch, mid, 1, 1, 1, True))
    else:
        mid = in_ch
    convs.append(ConvSpec(mid, mid, kernel, stride, mid, True))
    convs.append(ConvSpec(mid, out_ch, 1, 1, 1, False))
    return BlockSpec(name, tuple(convs), residual=(stride == 1 and in_ch == out_ch))


def mobilenet_v2_specs(width_mult: float = 1.0, in_ch: int = 3, kernels: Sequence[int] | None = None,
                       settings: Sequence[tuple[int, int, int, int]] = MBV2_SETTINGS,
                       last_ch: int = 1280) -> list[BlockSpec]:
    """MobileNetV2 as block specs: stem 3x3/2 conv, 17 inverted-residual blocks, and a
    final 1x1 conv (1280 channels at width 1.0). The classifier (pool + linear) is added
    by `SpecNet`. `kernels`: one depthwise kernel size per inverted-residual block
    (default all 3)."""
    width_mult = check_number("width_mult", width_mult, lo=0.0, lo_open=True, hi=4.0)
    in_ch = check_int("in_ch", in_ch, lo=1, hi=MAX_CHANNELS)
    last_ch = check_int("last_ch", last_ch, lo=1, hi=MAX_CHANNELS)
    if isinstance(settings, (str, bytes)) or not hasattr(settings, "__iter__"):
        raise TypeError("settings must be a sequence of (expand t, channels c, repeats n, stride s) tuples")
    settings = [tuple(st) if isinstance(st, (tuple, list)) else st for st in settings]
    if not settings or not all(isinstance(st, tuple) and len(st) == 4 for st in settings):
        raise ValueError("settings must be a non-empty sequence of (expand t, channels c, repeats n, stride s) tuples")
    for t, c, n, s_ in settings:
        check_int("settings (expand t)", t, lo=1, hi=16)
        check_int("settings (channels c)", c, lo=1, hi=MAX_CHANNELS)
        check_int("settings (repeats n)", n, lo=1, hi=64)
        check_int("settings (stride s)", s_, lo=1, hi=2)
    n_blocks = sum(n for _, _, n, _ in settings)
    if kernels is None:
        kernels = [3] * n_blocks
    if isinstance(kernels, (str, bytes)) or not hasattr(kernels, "__iter__"):
        raise TypeError(f"kernels must be a sequence of {n_blocks} odd kernel sizes")
    kernels = [_check_odd_kernel("kernels", k) for k in kernels]
    if len(kernels) != n_blocks:
        raise ValueError(f"kernels must list {n_blocks} depthwise kernel sizes; got {len(kernels)}")
    stem = make_divisible(32 * width_mult)
    blocks = [BlockSpec("stem", (ConvSpec(in_ch, stem, 3, 2, 1, True),))]
    c_in, i = stem, 0
    for t, c, n, s in settings:
        c_out = make_divisible(c * width_mult)
        for r in range(n):
            blocks.append(inverted_residual(f"b{i + 1}", c_in, c_out, t, s if r == 0 else 1, kernels[i]))
            c_in, i = c_out, i + 1
    last = make_divisible(last_ch * max(1.0, width_mult))
    blocks.append(BlockSpec("head", (ConvSpec(c_in, last, 1, 1, 1, True),)))
    return blocks


def feature_sizes(blocks: Sequence[BlockSpec], size: int) -> list[list[int]]:
    """Spatial size after every conv: out[b][j] for block b, conv j (square inputs of
    `size` pixels, in [1, 4096])."""
    blocks = _check_blocks(blocks)
    size = check_int("size", size, lo=1, hi=MAX_SIZE)
    out = []
    for b in blocks:
        row = []
        for c in b.convs:
            size = c.out_size(size)
            if size < 1:
                raise ValueError(f"size too small: block {b.name} would have an empty output")
            row.append(size)
        out.append(row)
    return out


# ----------------------------------------------------------------------------- static torch modules
class ConvBNAct(nn.Sequential):
    """Conv2d (no bias) + BatchNorm2d + optional ReLU6, built from a `ConvSpec`."""

    def __init__(self, spec: ConvSpec):
        check_type("spec", spec, ConvSpec)
        layers = [nn.Conv2d(spec.in_ch, spec.out_ch, spec.kernel, spec.stride, spec.padding,
                            groups=spec.groups, bias=False), nn.BatchNorm2d(spec.out_ch)]
        if spec.act:
            layers.append(nn.ReLU6())
        super().__init__(*layers)
        self.spec = spec

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_ch, H, W) -> (N, out_ch, H', W') in the weights' dtype."""
        return super().forward(_check_input(x, self.spec.in_ch, self[0].weight.dtype))


class SpecBlock(nn.Module):
    """The torch module of one `BlockSpec`: its convolutions, plus the shortcut when residual."""

    def __init__(self, spec: BlockSpec):
        check_type("spec", spec, BlockSpec)
        super().__init__()
        self.spec = spec
        self.convs = nn.ModuleList(ConvBNAct(c) for c in spec.convs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_ch, H, W) -> (N, out_ch, H', W') in the weights' dtype."""
        y = x = _check_input(x, self.spec.in_ch, self.convs[0][0].weight.dtype)
        for c in self.convs:
            y = c(y)
        return y + x if self.spec.residual else y


class SpecNet(nn.Module):
    """A network from block specs, then global average pooling and a linear classifier.
    forward: (N, in_ch, H, W) -> (N, num_classes) logits."""

    def __init__(self, blocks: Sequence[BlockSpec], num_classes: int = 1000, dropout: float = 0.0):
        super().__init__()
        blocks = _check_blocks(blocks)
        num_classes = check_int("num_classes", num_classes, lo=1, hi=MAX_CHANNELS)
        dropout = check_number("dropout", dropout, lo=0.0, hi=1.0, hi_open=True)
        self.specs = blocks
        self.blocks = nn.ModuleList(SpecBlock(b) for b in blocks)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(blocks[-1].out_ch, num_classes)

    def features(self, x: torch.Tensor, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """Run blocks[start:stop] only."""
        for b in self.blocks[start:stop]:
            x = b(x)
        return x

    def head(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(x.mean(dim=(2, 3))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(_check_input(x, self.specs[0].in_ch, self.classifier.weight.dtype)))


# ----------------------------------------------------------------------------- dynamic-width layers
class DynamicConv2d(nn.Conv2d):
    """A Conv2d whose weight has the widest shape; `forward(x, out_ch)` uses the first
    x.shape[1] input and the first `out_ch` output channels (depthwise when the layer
    was built with groups == in == out: then out_ch = x.shape[1])."""

    def __init__(self, max_in: int, max_out: int, kernel: int, stride: int = 1, depthwise: bool = False,
                 bias: bool = False):
        max_in = check_int("max_in", max_in, lo=1, hi=MAX_CHANNELS)
        max_out = check_int("max_out", max_out, lo=1, hi=MAX_CHANNELS)
        kernel = check_int("kernel", kernel, lo=1, hi=MAX_KERNEL)
        stride = check_int("stride", stride, lo=1, hi=4)
        depthwise = check_bool("depthwise", depthwise)
        bias = check_bool("bias", bias)
        if depthwise and max_in != max_out:
            raise ValueError(f"max_out must equal max_in ({max_in}) for a depthwise layer; got {max_out}")
        super().__init__(max_in, max_out, kernel, stride, kernel // 2, groups=max_in if depthwise else 1,
                         bias=bias)
        self.depthwise = depthwise

    def forward(self, x: torch.Tensor, out_ch: int | None = None) -> torch.Tensor:  # type: ignore[override]
        c_in = _check_input(x, self.in_channels, self.weight.dtype, at_most=True).shape[1]
        if self.depthwise:
            w = self.weight[:c_in]
            b = None if self.bias is None else self.bias[:c_in]
            return F.conv2d(x, w, b, self.stride, self.padding, groups=c_in)
        out_ch = self.out_channels if out_ch is None else out_ch
        if not 1 <= out_ch <= self.out_channels:
            raise ValueError(f"out_ch must be in [1, {self.out_channels}]; got {out_ch}")
        w = self.weight[:out_ch, :c_in]
        b = None if self.bias is None else self.bias[:out_ch]
        return F.conv2d(x, w, b, self.stride, self.padding)


class DynamicBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d over the first x.shape[1] channels of its widest parameters and
    running statistics (the running-statistic slices are updated in place).
    num_features in [1, 65536]; eps > 0; momentum in [0, 1] or None."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True):
        num_features = check_int("num_features", num_features, lo=1, hi=MAX_CHANNELS)
        eps = check_number("eps", eps, lo=0.0, lo_open=True, hi=1.0)
        if momentum is not None:
            momentum = check_number("momentum", momentum, lo=0.0, hi=1.0)
        super().__init__(num_features, eps, momentum, check_bool("affine", affine),
                         check_bool("track_running_stats", track_running_stats))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        held = [t for t in (self.weight, self.running_mean) if t is not None]
        dtype = held[0].dtype if held else torch.get_default_dtype()
        c = _check_input(x, self.num_features, dtype, at_most=True).shape[1]
        if self.training and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.momentum is None and self.num_batches_tracked is not None:  # cumulative average
            momentum = 1.0 / float(self.num_batches_tracked)
        first = [None if t is None else t[:c] for t in (self.running_mean, self.running_var, self.weight, self.bias)]
        # without running statistics batch norm uses the batch's own, in eval mode too (torch's rule)
        return F.batch_norm(x, *first, self.training or self.running_mean is None, momentum, self.eps)


class DynamicLinear(nn.Linear):
    """A Linear layer over the first x.shape[-1] inputs (and the first `out_features` outputs).
    in_features and out_features in [1, 65536]."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__(check_int("in_features", in_features, lo=1, hi=MAX_CHANNELS),
                         check_int("out_features", out_features, lo=1, hi=MAX_CHANNELS), check_bool("bias", bias))

    def forward(self, x: torch.Tensor, out_features: int | None = None) -> torch.Tensor:  # type: ignore[override]
        c_in = _check_input(x, self.in_features, self.weight.dtype, ndim=None, at_most=True).shape[-1]
        out = self.out_features if out_features is None else out_features
        return F.linear(x, self.weight[:out, :c_in], None if self.bias is None else self.bias[:out])


# ----------------------------------------------------------------------------- counting
def count_params(model: nn.Module) -> int:
    """Number of trainable parameters (batch-norm affine parameters included)."""
    check_type("model", model, nn.Module)
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def count_macs(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-accumulates of one forward pass of a single input of shape
    (channels, height, width), counting every Conv2d (out_elems * in_ch/groups * k*k)
    and Linear (in * out) call. Batch norm, activations, pooling and adds are not counted."""
    check_type("model", model, nn.Module)
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__len__") or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (channels, height, width) of positive ints; got {input_shape!r}")
    shape = tuple(check_int("input_shape", s, lo=1, hi=MAX_SIZE) for s in input_shape)
    if shape[0] * shape[1] * shape[2] > MAX_INPUT_ELEMS:
        raise ValueError(f"input_shape must hold at most {MAX_INPUT_ELEMS} elements; got {shape}")
    total = [0]

    def conv_hook(mod, inp, out):
        x = inp[0]
        groups = x.shape[1] if getattr(mod, "depthwise", False) else mod.groups
        k = mod.weight.shape[2] * mod.weight.shape[3]
        total[0] += out[0].numel() * (x.shape[1] // groups) * k

    def linear_hook(mod, inp, out):
        total[0] += inp[0].shape[-1] * out[0].numel()

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros((1,) + shape))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return int(total[0])


def spec_macs(blocks: Sequence[BlockSpec], size: int, num_classes: int | None = None) -> int:
    """MACs of the convolutions in `blocks` for a size x size input (plus the classifier
    when `num_classes` is given), computed from the specs alone."""
    blocks = _check_blocks(blocks)
    sizes = feature_sizes(blocks, size)
    total = sum(c.macs(s, s) for b, row in zip(blocks, sizes) for c, s in zip(b.convs, row))
    if num_classes is not None:
        total += blocks[-1].out_ch * check_int("num_classes", num_classes, lo=1, hi=MAX_CHANNELS)
    return int(total)


def with_kernels(block: BlockSpec, kernel: int) -> BlockSpec:
    """The same block with every k > 1 convolution given kernel size `kernel` (in [1, 15])."""
    check_type("block", block, BlockSpec)
    kernel = check_int("kernel", kernel, lo=1, hi=MAX_KERNEL)
    return replace(block, convs=tuple(replace(c, kernel=kernel) if c.kernel > 1 else c for c in block.convs))
