"""SPVCNN as the authors build it (calo-cluster, `calo_cluster/models/spvcnn.py`), on the sparse
convolution engine of notebook 13 (`lab.sparseconv`). Backs notebooks/09_calo.ipynb.

Structure (theirs): a stem of two 3x3x3 submanifold convolutions; four encoder stages, each a
2x2x2 stride-2 convolution and two residual blocks; four decoder stages, each a 2x2x2 stride-2
transposed convolution, concatenation with the encoder's skip and two residual blocks; a point
branch at full resolution fused with the voxel branch three times (after the stem, after the
bottleneck, after the second decoder stage and at the output: devoxelise by trilinear
interpolation, add a point transform Linear-BN-ReLU of the previous point features, and
re-voxelise by averaging); dropout 0.3 where the point features re-enter the decoder.
Channel widths are the authors' `cs` times their width multiplier `cr`, one voxel per
calorimeter cell (their pres = vres = 1). The head is the one both of our networks share.
"""
from __future__ import annotations

import torch
from torch import nn

from .. import sparseconv as sc
from ..core.checks import check_int, check_number, check_type
from .models import Head, check_input, mlp

AUTHORS_CS = (32, 32, 64, 128, 256, 256, 128, 96, 96)   # the authors' `cs` (configs/model/spvcnn.yaml), cr = 1
VOXEL_CM = 1.0      # one voxel per calorimeter cell (their pres = vres = 1.0)


def scaled_widths(cr: float) -> tuple[int, ...]:
    """The authors' channel widths times the width multiplier `cr` (in [0.01, 1], theirs is 1), rounded down
    as their int(cr * c), at least 1 channel each: 9 widths (stem, 4 encoder stages, 4 decoder stages)."""
    cr = check_number("cr", cr, lo=0.01, hi=1.0)
    return tuple(max(1, int(cr * c)) for c in AUTHORS_CS)


# ----------------------------------------------------------------------------- point <-> voxel
def voxel_index(x, pcoords: torch.Tensor) -> torch.Tensor:
    """Row of x (a SparseTensor at stride s) holding each point (pcoords [N,4] float,
    (batch, x, y, z) in stride-1 voxel units); -1 where none does."""
    s = int(x.stride)
    vc = x.coords.long()
    pc = torch.floor(pcoords[:, 1:] / s).long()
    vc = torch.cat([vc[:, :1], torch.div(vc[:, 1:], s, rounding_mode="floor")], 1)
    lo = torch.minimum(vc[:, 1:].min(0).values, pc.min(0).values)
    span = torch.maximum(vc[:, 1:].max(0).values, pc.max(0).values) - lo + 1

    def key(b, c):
        c = c - lo
        return ((b * span[0] + c[:, 0]) * span[1] + c[:, 1]) * span[2] + c[:, 2]

    kv = key(vc[:, 0], vc[:, 1:])
    kp = key(pcoords[:, 0].long(), pc)
    order = torch.argsort(kv)
    pos = torch.searchsorted(kv[order], kp).clamp(max=len(kv) - 1)
    idx = order[pos]
    return torch.where(kv[idx] == kp, idx, torch.full_like(idx, -1))


def point_to_voxel(x, pcoords: torch.Tensor, pfeats: torch.Tensor):
    """Scatter-mean of point features pfeats [N,C] onto the voxels of SparseTensor x (its
    coordinates and kernel-map cache kept): SPVCNN's re-voxelisation (their `point_to_voxel`).
    pcoords [N,4] float (batch, x, y, z) in stride-1 voxel units; a voxel no point falls in gets 0."""
    check_type("x", x, sc.SparseTensor)
    check_type("pcoords", pcoords, torch.Tensor)
    check_type("pfeats", pfeats, torch.Tensor)
    if pcoords.ndim != 2 or pcoords.shape[1] != 4 or pcoords.shape[0] < 1 or not pcoords.is_floating_point():
        raise ValueError(f"pcoords must be a float tensor [N, 4] (batch, x, y, z), N >= 1; got {tuple(pcoords.shape)} "
                         f"{pcoords.dtype}")
    if not bool(torch.isfinite(pcoords).all()) or bool((pcoords[:, 0] < 0).any()) \
            or float(pcoords[:, 1:].abs().max()) > 30000:
        raise ValueError("pcoords must be finite, with batch indices >= 0 and x, y, z within ±30000 voxels")
    if pfeats.ndim != 2 or pfeats.shape[0] != pcoords.shape[0] or not pfeats.is_floating_point():
        raise ValueError(f"pfeats must be a float tensor [N, C] with N = {pcoords.shape[0]}; got {tuple(pfeats.shape)}")
    if not bool(torch.isfinite(pfeats.detach()).all()):
        raise ValueError("pfeats must be finite")
    idx = voxel_index(x, pcoords)
    ok = idx >= 0
    n = x.coords.shape[0]
    s = pfeats.new_zeros(n, pfeats.shape[1]).index_add(0, idx[ok], pfeats[ok])
    c = pfeats.new_zeros(n).index_add(0, idx[ok], pfeats.new_ones(int(ok.sum())))
    return x.replace(s / c.clamp(min=1)[:, None])


def _align(skip, y) -> torch.Tensor:
    """Features of `skip` in the row order of `y` (same coordinate set)."""
    if skip.coords.shape == y.coords.shape and bool((skip.coords == y.coords).all()):
        return skip.feats
    a, b = skip.coords.long(), y.coords.long()
    lo = torch.minimum(a.min(0).values, b.min(0).values)
    span = torch.maximum(a.max(0).values, b.max(0).values) - lo + 1

    def key(c):
        c = c - lo
        return ((c[:, 0] * span[1] + c[:, 1]) * span[2] + c[:, 2]) * span[3] + c[:, 3]

    ka, kb = key(a), key(b)
    order = torch.argsort(ka)
    idx = order[torch.searchsorted(ka[order], kb).clamp(max=len(ka) - 1)]
    if not bool((ka[idx] == kb).all()):
        raise RuntimeError("skip connection: coordinate sets differ")
    return skip.feats[idx]


# ----------------------------------------------------------------------------- blocks
class ConvBlock(nn.Module):
    """Sparse convolution -> BatchNorm -> ReLU (the authors' BasicConvolutionBlock, or with
    transposed=True their BasicDeconvolutionBlock). c_in, c_out in [1, 4096]; kernel_size in [1, 9];
    stride in [1, 16]."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int = 3, stride: int = 1, transposed: bool = False):
        super().__init__()
        c_in = check_int("c_in", c_in, lo=1, hi=4096)
        c_out = check_int("c_out", c_out, lo=1, hi=4096)
        self.conv = sc.Conv3d(c_in, c_out, kernel_size=kernel_size, stride=stride, transposed=transposed)
        self.bn = sc.BatchNorm(c_out)
        self.act = sc.ReLU()

    def forward(self, x):
        """x: a SparseTensor with c_in feature channels -> a SparseTensor with c_out."""
        return self.act(self.bn(self.conv(x)))


class ResidualBlock(nn.Module):
    """The authors' ResidualBlock: ReLU(BN(conv3(ReLU(BN(conv3(x))))) + shortcut(x)); the shortcut
    is the identity when c_in == c_out, else a 1x1x1 convolution and BatchNorm. c_in, c_out in [1, 4096]."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        c_in = check_int("c_in", c_in, lo=1, hi=4096)
        c_out = check_int("c_out", c_out, lo=1, hi=4096)
        self.conv1 = ConvBlock(c_in, c_out)
        self.conv2 = sc.Conv3d(c_out, c_out, kernel_size=3)
        self.bn2 = sc.BatchNorm(c_out)
        self.shortcut = None if c_in == c_out else nn.ModuleList([sc.Conv3d(c_in, c_out, kernel_size=1),
                                                                   sc.BatchNorm(c_out)])
        self.act = sc.ReLU()

    def forward(self, x):
        """x: a SparseTensor with c_in channels -> the same voxels with c_out channels."""
        h = self.bn2(self.conv2(self.conv1(x)))
        s = x if self.shortcut is None else self.shortcut[1](self.shortcut[0](x))
        return self.act(h.replace(h.feats + s.feats))


def _stage(c_in: int, c_out: int) -> nn.Sequential:
    """An encoder stage: 2x2x2 stride-2 convolution, then two residual blocks."""
    return nn.Sequential(ConvBlock(c_in, c_in, 2, 2), ResidualBlock(c_in, c_out), ResidualBlock(c_out, c_out))


class _UpStage(nn.Module):
    """A decoder stage: 2x2x2 stride-2 transposed convolution, concatenation with the skip, two residual blocks."""

    def __init__(self, c_in: int, c_skip: int, c_out: int):
        super().__init__()
        self.up = ConvBlock(c_in, c_out, 2, 2, transposed=True)
        self.blocks = nn.Sequential(ResidualBlock(c_out + c_skip, c_out), ResidualBlock(c_out, c_out))

    def forward(self, y, skip):
        y = self.up(y)
        return self.blocks(y.replace(torch.cat([y.feats, _align(skip, y)], 1)))


class SPVCNN(nn.Module):
    """The authors' SPVCNN (four stages, two residual blocks each, point-voxel fusion with
    point transforms) with widths `scaled_widths(cr)`, cr in [0.01, 1]; one voxel per cell.
    `dropout` (their 0.3) acts where point features re-enter the decoder, in training only.
    forward(b: Batch) -> (embedding [N, EMB_DIM], noise logit [N])."""

    def __init__(self, cr: float = 0.25, dropout: float = 0.3):
        super().__init__()
        cs = scaled_widths(cr)
        self.cr = float(cr)
        self.widths = cs
        dropout = check_number("dropout", dropout, lo=0.0, hi=0.9)
        self.stem = nn.Sequential(ConvBlock(4, cs[0]), ConvBlock(cs[0], cs[0]))
        self.stages = nn.ModuleList([_stage(cs[i], cs[i + 1]) for i in range(4)])
        self.ups = nn.ModuleList([_UpStage(cs[4 + i], cs[3 - i], cs[5 + i]) for i in range(4)])
        self.point_transforms = nn.ModuleList([mlp(cs[0], cs[4]), mlp(cs[4], cs[6]), mlp(cs[6], cs[8])])
        self.dropout = nn.Dropout(dropout)
        self.head = Head(cs[8])

    def forward(self, b):
        """(embedding [N, EMB_DIM], noise logit [N]) of the hits of b (a Batch)."""
        b = check_input(b, self.head.net[0].weight.dtype)
        pc = torch.cat([b.event[:, None].to(b.xyz.dtype), b.xyz / VOXEL_CM], 1)
        pts = sc.PointTensor(pc, b.feats)
        x0 = self.stem(sc.voxelize(pts, 1))                          # initial voxelisation: mean per cell
        z0 = sc.devoxelize(x0, pts)
        x1 = self.stages[0](point_to_voxel(x0, pc, z0))
        x2 = self.stages[1](x1)
        x3 = self.stages[2](x2)
        x4 = self.stages[3](x3)
        z1 = sc.devoxelize(x4, pts) + self.point_transforms[0](z0)   # fusion at the bottleneck
        y = point_to_voxel(x4, pc, z1)
        y = self.ups[1](self.ups[0](y.replace(self.dropout(y.feats)), x3), x2)
        z2 = sc.devoxelize(y, pts) + self.point_transforms[1](z1)    # fusion half way up
        y = point_to_voxel(y, pc, z2)
        y = self.ups[3](self.ups[2](y.replace(self.dropout(y.feats)), x1), x0)
        z3 = sc.devoxelize(y, pts) + self.point_transforms[2](z2)    # fusion at the output
        return self.head(z3)
