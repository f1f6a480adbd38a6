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

from dataclasses import dataclass, replace
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .checks import check_int, check_number, check_type


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to the nearest multiple of `divisor` (never below
    `min_value`, default `divisor`, and never more than 10 % below `value`)."""
    check_number("value", value, lo=0.0, lo_open=True)
    divisor = check_int("divisor", divisor, lo=1)
    min_value = divisor if min_value is None else check_int("min_value", min_value, lo=1)
    new = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return int(new)


# ----------------------------------------------------------------------------- specs
@dataclass(frozen=True)
class ConvSpec:
    """One convolution (same padding k//2) followed by batch norm and, if `act`, ReLU6.

    groups == in_ch == out_ch marks a depthwise convolution."""
    in_ch: int
    out_ch: int
    kernel: int = 1
    stride: int = 1
    groups: int = 1
    act: bool = True

    @property
    def padding(self) -> int:
        return self.kernel // 2

    @property
    def depthwise(self) -> bool:
        return self.groups > 1 and self.groups == self.in_ch == self.out_ch

    def out_size(self, size: int) -> int:
        """Output height (or width) for an input of `size` pixels."""
        return (size + 2 * self.padding - self.kernel) // self.stride + 1

    def macs(self, out_h: int, out_w: int) -> int:
        """Multiply-accumulates for an output of out_h x out_w pixels."""
        return out_h * out_w * self.out_ch * (self.in_ch // self.groups) * self.kernel ** 2


@dataclass(frozen=True)
class BlockSpec:
    """A sequence of convolutions; `residual` adds the block input to its output."""
    name: str
    convs: tuple[ConvSpec, ...]
    residual: bool = False

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
    in_ch = check_int("in_ch", in_ch, lo=1)
    out_ch = check_int("out_ch", out_ch, lo=1)
    check_number("expand", expand, lo=1.0)
    stride = check_int("stride", stride, lo=1, hi=2)
    kernel = check_int("kernel", kernel, lo=1)
    if kernel % 2 == 0:
        raise ValueError(f"kernel must be an odd integer >= 1; got {kernel}")
    mid = hidden if hidden is not None else int(round(in_ch * expand))
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
    width_mult = check_number("width_mult", width_mult, lo=0.0, lo_open=True)
    in_ch = check_int("in_ch", in_ch, lo=1)
    n_blocks = sum(n for _, _, n, _ in settings)
    if kernels is None:
        kernels = [3] * n_blocks
    kernels = list(kernels)
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
    """Spatial size after every conv: out[b][j] for block b, conv j (square inputs)."""
    size = check_int("size", size, lo=1)
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


class SpecBlock(nn.Module):
    def __init__(self, spec: BlockSpec):
        super().__init__()
        self.spec = spec
        self.convs = nn.ModuleList(ConvBNAct(c) for c in spec.convs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        for c in self.convs:
            y = c(y)
        return y + x if self.spec.residual else y


class SpecNet(nn.Module):
    """A network from block specs, then global average pooling and a linear classifier.
    forward: (N, in_ch, H, W) -> (N, num_classes) logits."""

    def __init__(self, blocks: Sequence[BlockSpec], num_classes: int = 1000, dropout: float = 0.0):
        super().__init__()
        blocks = list(blocks)
        if not blocks or not all(isinstance(b, BlockSpec) for b in blocks):
            raise TypeError("blocks must be a non-empty list of BlockSpec")
        num_classes = check_int("num_classes", num_classes, lo=1)
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
        return self.head(self.features(x))


# ----------------------------------------------------------------------------- dynamic-width layers
class DynamicConv2d(nn.Conv2d):
    """A Conv2d whose weight has the widest shape; `forward(x, out_ch)` uses the first
    x.shape[1] input and the first `out_ch` output channels (depthwise when the layer
    was built with groups == in == out: then out_ch = x.shape[1])."""

    def __init__(self, max_in: int, max_out: int, kernel: int, stride: int = 1, depthwise: bool = False,
                 bias: bool = False):
        max_in = check_int("max_in", max_in, lo=1)
        max_out = check_int("max_out", max_out, lo=1)
        if depthwise and max_in != max_out:
            raise ValueError(f"max_out must equal max_in ({max_in}) for a depthwise layer; got {max_out}")
        super().__init__(max_in, max_out, kernel, stride, kernel // 2, groups=max_in if depthwise else 1,
                         bias=bias)
        self.depthwise = depthwise

    def forward(self, x: torch.Tensor, out_ch: int | None = None) -> torch.Tensor:  # type: ignore[override]
        c_in = x.shape[1]
        if c_in > self.in_channels:
            raise ValueError(f"input has {c_in} channels; this layer holds at most {self.in_channels}")
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
    running statistics (the running-statistic slices are updated in place)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        c = x.shape[1]
        if c > self.num_features:
            raise ValueError(f"input has {c} channels; this layer holds at most {self.num_features}")
        if self.training and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.momentum is None and self.num_batches_tracked is not None:  # cumulative average
            momentum = 1.0 / float(self.num_batches_tracked)
        return F.batch_norm(x, self.running_mean[:c], self.running_var[:c], self.weight[:c], self.bias[:c],
                            self.training, momentum, self.eps)


class DynamicLinear(nn.Linear):
    """A Linear layer over the first x.shape[-1] inputs (and the first `out_features` outputs)."""

    def forward(self, x: torch.Tensor, out_features: int | None = None) -> torch.Tensor:  # type: ignore[override]
        c_in = x.shape[-1]
        if c_in > self.in_features:
            raise ValueError(f"input has {c_in} features; this layer holds at most {self.in_features}")
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
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape must be (channels, height, width) of positive ints; got {input_shape}")
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
    sizes = feature_sizes(blocks, size)
    total = sum(c.macs(s, s) for b, row in zip(blocks, sizes) for c, s in zip(b.convs, row))
    if num_classes is not None:
        total += blocks[-1].out_ch * check_int("num_classes", num_classes, lo=1)
    return int(total)


def with_kernels(block: BlockSpec, kernel: int) -> BlockSpec:
    """The same block with every k > 1 convolution given kernel size `kernel`."""
    kernel = check_int("kernel", kernel, lo=1)
    return replace(block, convs=tuple(replace(c, kernel=kernel) if c.kernel > 1 else c for c in block.convs))
