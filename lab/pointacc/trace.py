"""Layers of real networks traced with `lab.sparseconv` for notebooks/08_pointacc.ipynb (PointAcc, Lin et al.,
MICRO 2021): the actual kernel-map sizes and gather streams of a MinkUNet-style U-Net, MinkUNet18C at several
channel ratios and a compact SPVCNN on a LiDAR-like scene, as the `Layer`s the cost model of `model.py` reads.
"""
from __future__ import annotations

from dataclasses import replace
import torch

from lab import sparseconv as sc
from lab.core.checks import check_int, check_number, check_type
from .model import Layer, MAX_ROWS


def _check_widths(widths) -> tuple:
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
        raise TypeError("widths must be a sequence of channel counts")
    w = tuple(check_int("widths", c, lo=1, hi=4096) for c in widths)
    if not w:
        raise ValueError("widths must hold at least one channel count")
    return w


def _conv(name, x, cin, cout, k, stride=1, transposed=False):
    km, oc, os_ = sc.get_kernel_map(x, k, stride, 1, transposed)
    # output-stationary gather stream: outputs in key order, all offsets of one output together
    rank = torch.empty(km.n_out, dtype=torch.int64)
    rank[torch.argsort(sc.hash_coords(oc))] = torch.arange(km.n_out)
    order = torch.argsort(rank[km.out_idx] * (km.sizes.numel() + 1) +
                          torch.repeat_interleave(torch.arange(km.sizes.numel()), km.sizes), stable=True)
    layer = Layer(name, "conv", km.n_in, km.n_out, cin, cout, km.volume, k ** 3,
                  stream=km.in_idx[order].numpy())
    y = sc.SparseTensor(oc, torch.zeros(oc.shape[0], 1), os_, x.kmaps, x.cmaps, check=False)
    return layer, y


def trace_minkunet(coords: torch.Tensor, widths=(32, 64, 128, 256), cin: int = 4, name: str = "MinkUNet"):
    """Layers of a MinkUNet-style U-Net on `coords`: a stem of two 3^3 convs, per level a
    2^3 stride-2 down conv and two 3^3 convs, and a decoder of 2^3 transposed convs, each
    followed by two 3^3 convs on the concatenated skip features; a 1x1 classifier."""
    coords = sc.check_coords("coords", coords, min_rows=1, max_rows=1_000_000)
    widths = _check_widths(widths)
    cin = check_int("cin", cin, lo=1, hi=4096)
    check_type("name", name, str)
    x = sc.SparseTensor(coords, torch.zeros(coords.shape[0], 1), check=False)
    layers = []
    L, x = _conv(f"{name}.stem1", x, cin, widths[0], 3)
    layers.append(L)
    L, x = _conv(f"{name}.stem2", x, widths[0], widths[0], 3)
    layers.append(L)
    skips = [(x, widths[0])]
    for i in range(1, len(widths)):
        L, x = _conv(f"{name}.down{i}", x, widths[i - 1], widths[i], 2, stride=2)
        layers.append(L)
        for j in range(2):
            L, x = _conv(f"{name}.enc{i}.{j}", x, widths[i], widths[i], 3)
            layers.append(L)
        skips.append((x, widths[i]))
    for i in range(len(widths) - 1, 0, -1):
        c_out = widths[i - 1]
        L, x = _conv(f"{name}.up{i}", x, widths[i], c_out, 2, stride=2, transposed=True)
        layers.append(L)
        skip_c = skips[i - 1][1]
        L, x = _conv(f"{name}.dec{i}.0", x, c_out + skip_c, c_out, 3)
        layers.append(L)
        L, x = _conv(f"{name}.dec{i}.1", x, c_out, c_out, 3)
        layers.append(L)
    layers.append(Layer(f"{name}.cls", "mlp", x.coords.shape[0], x.coords.shape[0], widths[0], 19))
    return layers


MINKUNET18C_WIDTHS = (32, 32, 64, 128, 256, 256, 128, 96, 96)


def trace_minkunet18c(coords: torch.Tensor, crs=(1.0,), cin: int = 4, classes: int = 19,
                      name: str = "MinkUNet18C") -> dict:
    """Layers of the residual MinkUNet that TorchSparse's and MinkowskiEngine's published
    latencies were measured on ("MinkUNet18C", the SemanticKITTI MinkUNet of SPVNAS), for
    each width multiplier in `crs`: {cr: layers}. Channel widths MINKUNET18C_WIDTHS x cr; a
    stem of two 3^3 convs; four stages of a 2^3 stride-2 conv and two residual blocks (two
    3^3 convs, a 1x1 shortcut where the width changes); four decoder stages of a 2^3
    transposed conv, concatenation with the skip and two residual blocks; a linear
    classifier. Batch norm, ReLU and additions are element-wise and not counted. The kernel
    maps do not depend on the widths and are traced once. cr in (0, 4]; at most 8 of them."""
    coords = sc.check_coords("coords", coords, min_rows=1, max_rows=1_000_000)
    if isinstance(crs, (str, bytes)) or not hasattr(crs, "__iter__"):
        raise TypeError("crs must be a sequence of width multipliers")
    crs = tuple(check_number("crs", c, lo=0, lo_open=True, hi=4.0) for c in crs)
    if not 1 <= len(crs) <= 8:
        raise ValueError(f"crs must hold 1 to 8 width multipliers; got {len(crs)}")
    cin = check_int("cin", cin, lo=1, hi=4096)
    classes = check_int("classes", classes, lo=1, hi=4096)
    check_type("name", name, str)
    traced = {}  # layer tag -> (layer at the first width, output tensor): maps are width-free
    return {cr: _trace_18c(coords, cr, cin, classes, name, traced) for cr in crs}


def _trace_18c(coords, cr, cin, classes, name, traced):
    cs = [max(1, int(cr * c)) for c in MINKUNET18C_WIDTHS]
    layers = []

    def conv(tag, x, a, b, k, stride=1, transposed=False):
        if tag not in traced:
            traced[tag] = _conv(f"{name}.{tag}", x, a, b, k, stride, transposed)
        L, y = traced[tag]
        layers.append(replace(L, cin=a, cout=b))
        return y

    def residual(tag, x, a, b):
        y = conv(f"{tag}.conv1", x, a, b, 3)
        conv(f"{tag}.conv2", y, b, b, 3)
        if a != b:
            conv(f"{tag}.shortcut", x, a, b, 1)
        return y

    x = sc.SparseTensor(coords, torch.zeros(coords.shape[0], 1), check=False)
    x = conv("stem2", conv("stem1", x, cin, cs[0], 3), cs[0], cs[0], 3)
    skips = [cs[0]]
    for i in range(1, 5):
        x = conv(f"stage{i}.down", x, skips[-1], skips[-1], 2, stride=2)
        x = residual(f"stage{i}.res2", residual(f"stage{i}.res1", x, skips[-1], cs[i]), cs[i], cs[i])
        skips.append(cs[i])
    c = cs[4]
    for i in range(1, 5):
        x = conv(f"up{i}.deconv", x, c, cs[4 + i], 2, stride=2, transposed=True)
        x = residual(f"up{i}.res1", x, cs[4 + i] + skips[4 - i], cs[4 + i])
        x = residual(f"up{i}.res2", x, cs[4 + i], cs[4 + i])
        c = cs[4 + i]
    layers.append(Layer(f"{name}.cls", "mlp", x.coords.shape[0], x.coords.shape[0], c, classes))
    return layers


def trace_spvcnn(coords: torch.Tensor, n_points: int, widths=(16, 32, 64, 128)):
    """Layers of a compact SPVCNN: the MinkUNet-style voxel branch (narrower) plus a point
    branch: an input MLP, then at three depths voxelise -> voxel stage -> devoxelise and a
    two-layer point MLP added back (consecutive MLPs of one depth form a fusion group)."""
    coords = sc.check_coords("coords", coords, min_rows=1, max_rows=1_000_000)
    n_points = check_int("n_points", n_points, lo=1, hi=MAX_ROWS)
    widths = _check_widths(widths)
    if len(widths) < 2:
        raise ValueError("widths must hold at least two levels for SPVCNN")
    n = coords.shape[0]
    layers = [Layer("SPVCNN.pt_in.0", "mlp", n_points, n_points, 4, widths[0], group="pt_in"),
              Layer("SPVCNN.pt_in.1", "mlp", n_points, n_points, widths[0], widths[0], group="pt_in"),
              Layer("SPVCNN.voxelize", "voxelize", n_points, n, widths[0], widths[0])]
    vox = trace_minkunet(coords, widths, cin=widths[0], name="SPVCNN.vox")
    cut = {2 + 3 * (len(widths) - 1): "mid", len(vox) - 1: "out"}
    for i, L in enumerate(vox):
        layers.append(L)
        if i in cut:
            c = L.cout
            layers += [Layer(f"SPVCNN.devox.{cut[i]}", "devoxelize", L.n_out, n_points, c, c),
                       Layer(f"SPVCNN.pt_{cut[i]}.0", "mlp", n_points, n_points, c, c, group=f"pt_{cut[i]}"),
                       Layer(f"SPVCNN.pt_{cut[i]}.1", "mlp", n_points, n_points, c, c, group=f"pt_{cut[i]}")]
    return layers
