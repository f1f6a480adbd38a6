"""Layers of the sparse-convolution engine: Conv3d, BatchNorm, ReLU, global pooling and
the point <-> voxel transforms of SPVCNN (scatter-mean voxelisation, trilinear
devoxelisation).

Notebook: notebooks/13_sparseconv.ipynb (and notebooks/09_calo.ipynb). Paper: H. Tang et al.,
"TorchSparse: Efficient Point Cloud Inference Engine", MLSys 2022. Import these names from
`lab.sparseconv`, the package's public face.
"""
from __future__ import annotations

import math

import torch

from lab.core.checks import check_bool, check_choice, check_int, check_number, check_type
from .functional import SparseTensor, hash_coords, rank_lookup, sparse_conv3d, unhash_keys


def _check_input(x, channels: int | None = None, dtype: torch.dtype | None = None) -> SparseTensor:
    """A layer's input x: a SparseTensor whose feats are a finite float tensor [N, C], one row per
    coordinate, N >= 1, with C = `channels` and the layer's weights' `dtype` where given. Raises naming x."""
    check_type("x", x, SparseTensor)
    f, n = x.feats, int(x.coords.shape[0]) if isinstance(x.coords, torch.Tensor) and x.coords.ndim == 2 else -1
    check_type("x.feats", f, torch.Tensor)
    if not f.is_floating_point():
        raise TypeError(f"x.feats must be a float tensor; got {f.dtype}")
    if dtype is not None and f.dtype != dtype:
        raise TypeError(f"x.feats must be {dtype} (the layer's weights' dtype); got {f.dtype}")
    if f.ndim != 2 or f.shape[0] != n or n < 1:
        raise ValueError(f"x.feats must have shape [N, C] with N >= 1 rows, one per coordinate of x (x has {n}); "
                         f"got {tuple(f.shape)}")
    if channels is not None and f.shape[1] != channels:
        raise ValueError(f"x must have {channels} feature channels (the layer's input width); got {f.shape[1]}")
    with torch.no_grad():  # a finite sum proves finite entries in one reduction
        if not bool(torch.isfinite(f.sum())) and not bool(torch.isfinite(f).all()):
            raise ValueError("x.feats must be finite; found NaN or inf")
    return x


class Conv3d(torch.nn.Module):
    """Sparse 3D convolution: submanifold when stride == 1, strided downsampling when
    stride > 1, and transposed upsampling (reusing the cached map) when transposed=True.

    weight: Parameter [kernel_size**3, in_channels, out_channels]. mode/eps/S select the
    execution strategy (see `apply_kernel_map`); the tuner (`tune_layer`) sets eps and S.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 dilation: int = 1, transposed: bool = False, bias: bool = False,
                 mode: str = "grouped", eps: float = 0.3, S: int = 1 << 30):
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, lo=1, hi=4096)
        self.out_channels = check_int("out_channels", out_channels, lo=1, hi=4096)
        self.kernel_size = check_int("kernel_size", kernel_size, lo=1, hi=9)
        self.stride = check_int("stride", stride, lo=1, hi=16)
        self.dilation = check_int("dilation", dilation, lo=1, hi=64)
        self.transposed = check_bool("transposed", transposed)
        bias = check_bool("bias", bias)
        self.mode = check_choice("mode", mode, ("grouped", "separate", "naive"))
        self.eps = check_number("eps", eps, lo=-1.0, hi=1.0)
        self.S = check_int("S", S, lo=0, hi=1 << 40)
        K = self.kernel_size ** 3
        std = 1.0 / math.sqrt(self.in_channels * K)
        self.weight = torch.nn.Parameter(torch.empty(K, in_channels, out_channels).uniform_(-std, std))
        self.bias = torch.nn.Parameter(torch.zeros(out_channels)) if bias else None

    def forward(self, x: SparseTensor) -> SparseTensor:
        _check_input(x, self.in_channels, self.weight.dtype)
        return sparse_conv3d(x, self.weight, self.kernel_size, self.stride, self.dilation, self.transposed,
                             self.bias, self.mode, self.eps, self.S)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"dilation={self.dilation}, transposed={self.transposed}, mode={self.mode}")


class BatchNorm(torch.nn.BatchNorm1d):
    """Batch normalisation of the features [N, C] of a SparseTensor (num_features in [1, 4096])."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1):
        num_features = check_int("num_features", num_features, lo=1, hi=4096)
        eps = check_number("eps", eps, lo=0.0, lo_open=True, hi=1.0)
        if momentum is not None:
            momentum = check_number("momentum", momentum, lo=0.0, hi=1.0)
        super().__init__(num_features, eps, momentum)

    def forward(self, x: SparseTensor) -> SparseTensor:  # type: ignore[override]
        x = _check_input(x, self.num_features, self.weight.dtype)
        return x.replace(super().forward(x.feats))


class ReLU(torch.nn.ReLU):
    """ReLU on the features of a SparseTensor (any number of channels, in their own float dtype)."""

    def forward(self, x: SparseTensor) -> SparseTensor:  # type: ignore[override]
        x = _check_input(x)
        return x.replace(super().forward(x.feats))


def global_avg_pool(x: SparseTensor) -> torch.Tensor:
    """Mean of the features per batch item: [B, C]."""
    check_type("x", x, SparseTensor)
    b = x.coords[:, 0].to(torch.int64)
    B = x.batch_size
    s = x.feats.new_zeros(B, x.feats.shape[1]).index_add_(0, b, x.feats)
    n = torch.bincount(b, minlength=B).clamp_min(1).to(x.feats.dtype)
    return s / n[:, None]


def global_max_pool(x: SparseTensor) -> torch.Tensor:
    """Max of the features per batch item: [B, C]."""
    check_type("x", x, SparseTensor)
    b = x.coords[:, 0].to(torch.int64)
    out = x.feats.new_full((x.batch_size, x.feats.shape[1]), -torch.inf)
    return out.scatter_reduce(0, b[:, None].expand_as(x.feats), x.feats, reduce="amax")


# ---------------------------------------------------------------- point <-> voxel
class PointTensor:
    """Points: ``coords`` float [N, 4] (batch, x, y, z) in stride-1 voxel units, ``feats`` [N, C]."""

    def __init__(self, coords, feats):
        check_type("feats", feats, torch.Tensor)
        if not isinstance(coords, torch.Tensor):
            raise TypeError(f"coords must be a float tensor [N, 4] (batch, x, y, z); got {type(coords).__name__}")
        if coords.dtype == torch.bool or coords.dtype.is_complex:
            raise TypeError(f"coords must be a real tensor [N, 4]; got {coords.dtype}")
        if coords.ndim != 2 or coords.shape[1] != 4 or coords.shape[0] == 0:
            raise ValueError(f"coords must have shape [N, 4] (batch, x, y, z); got {tuple(coords.shape)}")
        if feats.ndim != 2 or feats.shape[0] != coords.shape[0]:
            raise ValueError(f"feats must have shape [N, C] with N = {coords.shape[0]}; got {tuple(feats.shape)}")
        if not feats.dtype.is_floating_point or not bool(torch.isfinite(feats).all()):
            raise ValueError("feats must be a finite float tensor")
        if not bool(torch.isfinite(coords.to(torch.float64)).all()) or float(coords[:, 1:].abs().max()) > 30000 \
                or float(coords[:, 0].min()) < 0:
            raise ValueError("coords must be finite, with x, y, z within ±30000 voxels and batch >= 0")
        self.coords = coords.to(feats.dtype if feats.dtype.is_floating_point else torch.float32)
        self.feats = feats

    @property
    def C(self) -> torch.Tensor:
        return self.coords

    @property
    def F(self) -> torch.Tensor:
        return self.feats

    def replace(self, feats: torch.Tensor) -> "PointTensor":
        return PointTensor(self.coords, feats)


def voxelize(p: PointTensor, stride: int = 1) -> SparseTensor:
    """Scatter-mean of point features into the voxels of size ``stride`` (voxel units) they
    fall in. Returns a SparseTensor at tensor stride ``stride`` with coords floor(x/s)*s."""
    check_type("p", p, PointTensor)
    stride = check_int("stride", stride, lo=1, hi=4096)
    c = p.coords
    vc = torch.cat([c[:, :1].round(), torch.floor(c[:, 1:] / stride) * stride], 1).to(torch.int64)
    uniq, inv = torch.unique(hash_coords(vc), return_inverse=True)
    f = p.feats.new_zeros(uniq.numel(), p.feats.shape[1]).index_add_(0, inv, p.feats)
    n = torch.bincount(inv, minlength=uniq.numel()).to(f.dtype)
    return SparseTensor(unhash_keys(uniq), f / n[:, None], stride, check=False)


def devoxelize(x: SparseTensor, p: PointTensor) -> torch.Tensor:
    """Trilinear interpolation of voxel features at the points: [N, C].

    Voxel ``c`` at tensor stride s covers [c, c + s) and its feature sits at its centre
    c + s/2. Each point blends the 8 surrounding voxel centres; absent voxels get weight
    0 and the remaining weights are renormalised (a point with none of the 8 gets 0).
    """
    check_type("x", x, SparseTensor)
    check_type("p", p, PointTensor)
    s = x.stride
    u = p.coords[:, 1:].to(torch.float64) / s - 0.5
    base = torch.floor(u)
    frac = (u - base).to(x.feats.dtype)
    keys = x.keys()
    order = torch.argsort(keys)
    sk = keys[order]
    b = p.coords[:, :1].round().to(torch.int64)
    out = x.feats.new_zeros(p.coords.shape[0], x.feats.shape[1])
    wsum = x.feats.new_zeros(p.coords.shape[0])
    for corner in range(8):
        d = torch.tensor([(corner >> 2) & 1, (corner >> 1) & 1, corner & 1])
        cc = torch.cat([b, ((base + d).to(torch.int64)) * s], 1)
        pos = rank_lookup(sk, hash_coords(cc))
        w = torch.prod(torch.where(d.bool(), frac, 1 - frac), 1) * (pos >= 0)
        idx = order[pos.clamp_min(0)]
        out = out + w[:, None] * x.feats[idx]
        wsum = wsum + w
    return out / wsum.clamp_min(1e-12)[:, None]
