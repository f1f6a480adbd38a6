"""The networks of lab.calo, which backs notebooks/09_calo.ipynb (calorimetry clustering
with SPVCNN, Z. Liu, X. Yang, S. Han et al., MTL 2022): a compact SPVCNN on `lab.sparseconv`
and a DGCNN-style kNN EdgeConv GNN baseline with the same embedding head and loss (the
discriminative loss), their training, evaluation by panoptic quality, and the seed-by-seed
comparison.

Both networks map the hits of a batch of events to an embedding [N, EMB_DIM] and a
noise logit [N]. Training minimises the discriminative loss of the authors' code (unit-sphere
embeddings, L1 distances, delta_v = 0.5, delta_d = 1.5) plus the binary cross-entropy of the
noise logit (their semantic head). Embeddings are clustered by HDBSCAN (their default
clusterer) or by mean-shift with a bandwidth tuned on training events (their bandwidth study).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import nn

from ..core.checks import check_str_choice, check_array, check_bool, check_choice, check_int, check_number, check_positive, check_type
from ..core.device import torch_device
from ..core.stats import mean_interval
from .events import Event, Geometry, PQCounts, check_events, cluster_embeddings, generate_events, panoptic_quality

DELTA_V = 0.5   # pull margin of the discriminative loss (embedding units)
DELTA_D = 1.5   # push margin: cluster centres are pushed 2 * DELTA_D apart
EMB_DIM = 8         # embedding size of the authors' configs (embed_dim: 8)
VOXEL_CM = 2.0      # voxel edge of SPVCNN's voxel branch; the point branch keeps the 1 cm cells


# ----------------------------------------------------------------------------- loss
def discriminative_loss(emb, cluster, event, delta_v: float = DELTA_V, delta_d: float = DELTA_D,
                        normalize: bool = True, p: int = 1, reg: float = 0.0):
    """The discriminative pull/push loss on per-hit embeddings, averaged over events, as in
    the authors' calo-cluster code (`CentroidInstanceLoss`): embeddings projected onto the
    unit sphere (`normalize`), distances in the L`p` norm (p = 1 there), no regulariser (reg = 0).

    emb [N,D] float tensor; cluster [N] int tensor (truth id within the event, -1 =
    noise, ignored); event [N] int tensor (event index of each hit).
    pull: mean over clusters of mean_i max(0, |mu_c - e_i|_p - delta_v)^2;
    push: mean over ordered pairs c != c' of max(0, 2 delta_d - |mu_c - mu_c'|_p)^2;
    plus reg * mean |mu_c|_2 (De Brabandere et al.'s regulariser; off by default).
    Returns (total, dict of the three terms) as tensors.
    """
    check_type("emb", emb, torch.Tensor)
    if emb.ndim != 2 or emb.shape[0] < 1 or emb.shape[1] < 1:
        raise ValueError(f"emb must have shape [N, D] with N, D >= 1; got {tuple(emb.shape)}")
    if not emb.is_floating_point():
        raise TypeError(f"emb must be a floating-point tensor; got {emb.dtype}")
    if not bool(torch.isfinite(emb.detach()).all()):
        raise ValueError("emb must be finite; found NaN or inf")
    for name, t, lo in (("cluster", cluster, -1), ("event", event, 0)):
        check_type(name, t, torch.Tensor)
        if t.shape != (emb.shape[0],):
            raise ValueError(f"{name} must have shape [N] = [{emb.shape[0]}]; got {tuple(t.shape)}")
        if t.is_floating_point() or t.dtype == torch.bool:
            raise TypeError(f"{name} must be an integer tensor; got {t.dtype}")
        if bool((t < lo).any()) or bool((t > 2**31).any()):
            raise ValueError(f"{name} ids must be in [{lo}, 2**31]")
    delta_v = check_positive("delta_v", delta_v)
    delta_d = check_positive("delta_d", delta_d)
    normalize = check_bool("normalize", normalize)
    p = check_choice("p", check_int("p", p, lo=1, hi=2), (1, 2))
    reg = check_number("reg", reg, lo=0.0, hi=1e3)
    dev, dt = emb.device, emb.dtype
    if normalize:
        emb = emb / (torch.linalg.vector_norm(emb, dim=1, keepdim=True) + 1e-8)
    sig = cluster >= 0
    zero = emb.sum() * 0.0
    if not bool(sig.any()):
        return zero, dict(pull=zero, push=zero, reg=zero)
    e, c, b = emb[sig], cluster[sig].long(), event[sig].long()
    key = b * (int(c.max()) + 1) + c
    uniq, inv = torch.unique(key, return_inverse=True)
    k = len(uniq)
    count = torch.zeros(k, dtype=dt, device=dev).index_add_(0, inv, torch.ones_like(inv, dtype=dt))
    mu = torch.zeros(k, emb.shape[1], dtype=dt, device=dev).index_add_(0, inv, e) / count[:, None]
    d = torch.linalg.vector_norm(e - mu[inv], ord=p, dim=1)
    per_cluster = torch.zeros(k, dtype=dt, device=dev).index_add_(0, inv, torch.relu(d - delta_v) ** 2) / count
    ev_of = uniq // (int(c.max()) + 1)
    ev_u, ev_inv = torch.unique(ev_of, return_inverse=True)
    n_ev = len(ev_u)
    n_cl = torch.zeros(n_ev, dtype=dt, device=dev).index_add_(0, ev_inv, torch.ones(k, dtype=dt, device=dev))
    pull = (torch.zeros(n_ev, dtype=dt, device=dev).index_add_(0, ev_inv, per_cluster) / n_cl).mean()
    same = (ev_of[:, None] == ev_of[None, :]) & ~torch.eye(k, dtype=torch.bool, device=dev)
    if bool(same.any()):
        dm = torch.linalg.vector_norm(mu[:, None, :] - mu[None, :, :] + 1e-12, ord=p, dim=2)
        hinge = torch.relu(2 * delta_d - dm) ** 2 * same
        pairs = same.sum(1).to(dt)
        per_c = hinge.sum(1)
        per_ev_sum = torch.zeros(n_ev, dtype=dt, device=dev).index_add_(0, ev_inv, per_c)
        per_ev_pairs = torch.zeros(n_ev, dtype=dt, device=dev).index_add_(0, ev_inv, pairs)
        has = per_ev_pairs > 0
        push = (per_ev_sum[has] / per_ev_pairs[has]).sum() / n_ev
    else:
        push = zero
    r = (torch.zeros(n_ev, dtype=dt, device=dev).index_add_(0, ev_inv, torch.linalg.vector_norm(mu, dim=1))
         / n_cl).mean()
    total = pull + push + reg * r
    return total, dict(pull=pull, push=push, reg=r)


# ----------------------------------------------------------------------------- batches
@dataclass
class Batch:
    """Hits of several events, concatenated.

    feats [N,4] float: (x, y, z) scaled to about [-1, 1] and log10 energy;
    xyz [N,3] float: positions in cm; event [N] long: event index in the batch;
    cluster [N] long: truth id (-1 noise); noise [N] float: 1 for noise hits."""
    feats: torch.Tensor
    xyz: torch.Tensor
    event: torch.Tensor
    cluster: torch.Tensor
    noise: torch.Tensor
    n_events: int

    def __post_init__(self):
        for name in ("feats", "xyz", "event", "cluster", "noise"):
            check_type(name, getattr(self, name), torch.Tensor)
        n = self.feats.shape[0] if self.feats.ndim == 2 else -1
        if self.feats.ndim != 2 or self.feats.shape[1] != 4 or n < 1 or not self.feats.is_floating_point():
            raise ValueError(f"feats must be a float tensor [N, 4], N >= 1; got {tuple(self.feats.shape)}")
        for name, shape in (("xyz", (n, 3)), ("event", (n,)), ("cluster", (n,)), ("noise", (n,))):
            if tuple(getattr(self, name).shape) != shape:
                raise ValueError(f"{name} must have shape {list(shape)}; got {tuple(getattr(self, name).shape)}")
        for name in ("feats", "xyz", "noise"):
            t = getattr(self, name)
            if not t.is_floating_point() or not bool(torch.isfinite(t).all()):
                raise ValueError(f"{name} must be a finite float tensor")
        for name, lo in (("event", 0), ("cluster", -1)):
            t = getattr(self, name)
            if t.is_floating_point() or t.dtype == torch.bool or bool((t < lo).any()):
                raise ValueError(f"{name} must be an integer tensor with values >= {lo}")
        check_int("n_events", self.n_events, lo=1, hi=100_000)
        if bool((self.event >= self.n_events).any()):
            raise ValueError(f"event indices must be below n_events = {self.n_events}; got {int(self.event.max())}")


def _check_input(b, dtype: torch.dtype) -> Batch:
    """A network's input b: a Batch checked again (its tensors may have been replaced since it was built),
    its hits sorted by event (as make_batch builds them), its features and positions in the network's
    weights' `dtype`. Raises naming b."""
    check_type("b", b, Batch)
    try:
        b.__post_init__()
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"b is not a valid Batch: {exc}") from None
    for name in ("feats", "xyz"):
        t = getattr(b, name)
        if t.dtype != dtype:
            raise TypeError(f"b.{name} must be a {dtype} tensor (the network's weights are {dtype}); got {t.dtype}")
    if b.event.numel() > 1 and bool((b.event[1:] < b.event[:-1]).any()):
        raise ValueError("b.event must be sorted (the hits of one event contiguous, as make_batch builds them)")
    return b


def device_of(device=None) -> torch.device:
    """`device` (a torch.device or a name such as "cpu") checked, or `lab.core.torch_device()` when None."""
    if isinstance(device, torch.device):
        device = str(device)
    return torch_device(device, param="device")


def make_batch(events: Sequence[Event], geometry: Geometry | None = None, device=None) -> Batch:
    """Stack events into one `Batch` (network input features included) on `device`
    (default `lab.core.torch_device()`, the CPU unless LAB_DEVICE says otherwise)."""
    events = check_events("events", events)
    g = Geometry() if geometry is None else check_type("geometry", geometry, Geometry)
    dev = device_of(device)
    xyz = np.concatenate([e.xyz for e in events])
    ext = g.extent_cm
    f = np.concatenate([2 * xyz / ext - 1, (np.log10(np.concatenate([e.energy for e in events])) + 1.5)[:, None]], 1)
    ev = np.concatenate([np.full(e.n_hits, i) for i, e in enumerate(events)])
    cl = np.concatenate([e.cluster for e in events])
    return Batch(feats=torch.tensor(f, dtype=torch.float32, device=dev),
                 xyz=torch.tensor(xyz, dtype=torch.float32, device=dev),
                 event=torch.tensor(ev, dtype=torch.long, device=dev), cluster=torch.tensor(cl, dtype=torch.long, device=dev),
                 noise=torch.tensor(cl < 0, dtype=torch.float32, device=dev), n_events=len(events))




def _check_widths(name: str, widths, lo_len: int, hi_len: int) -> tuple[int, ...]:
    """A sequence of lo_len..hi_len layer widths, each an integer in [1, 1024]."""
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise TypeError(f"{name} must be a sequence of {lo_len}..{hi_len} integers in [1, 1024]; "
                        f"got {type(widths).__name__}")
    if not lo_len <= len(widths) <= hi_len:
        raise ValueError(f"{name} must hold {lo_len}..{hi_len} widths; got {len(widths)}")
    return tuple(check_int(name, w, lo=1, hi=1024) for w in widths)


def _mlp(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(c_in, c_out), nn.BatchNorm1d(c_out), nn.ReLU(True))


class _Head(nn.Module):
    """Shared head: features -> (embedding [N, EMB_DIM], noise logit [N])."""

    def __init__(self, c: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(c, c), nn.ReLU(True), nn.Linear(c, EMB_DIM + 1))

    def forward(self, h):
        out = self.net(h)
        return out[:, :EMB_DIM], out[:, EMB_DIM]


# ----------------------------------------------------------------------------- GNN baseline
def knn(x: torch.Tensor, event: torch.Tensor, k: int) -> torch.Tensor:
    """Indices [N,k] of the k nearest hits (Euclidean in the rows of x [N,C], the hit
    itself included) within the same event. event [N]: non-negative integer event ids,
    sorted (as `make_batch` builds them). An event with fewer than k hits repeats its
    nearest hit. k in [1, 1024]."""
    check_type("x", x, torch.Tensor)
    check_type("event", event, torch.Tensor)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"x must have shape [N, C] with N, C >= 1; got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor; got {x.dtype}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x must be finite; found NaN or inf")
    if event.shape != (x.shape[0],):
        raise ValueError(f"event must have shape [N] = [{x.shape[0]}]; got {tuple(event.shape)}")
    if event.is_floating_point() or event.dtype == torch.bool:
        raise TypeError(f"event must be an integer tensor; got {event.dtype}")
    if bool((event < 0).any()):
        raise ValueError("event ids must be >= 0")
    if event.numel() > 1 and bool((event[1:] < event[:-1]).any()):
        raise ValueError("event must be sorted (hits of one event contiguous, as make_batch builds them)")
    k = check_int("k", k, lo=1, hi=1024)
    out = torch.empty(x.shape[0], k, dtype=torch.long, device=x.device)
    _, counts = torch.unique_consecutive(event, return_counts=True)
    a = 0
    for n in counts.tolist():
        b = a + n
        d = torch.cdist(x[a:b], x[a:b])
        kk = min(k, n)
        idx = d.topk(kk, largest=False).indices + a
        if kk < k:
            idx = torch.cat([idx, idx[:, :1].expand(-1, k - kk)], 1)
        out[a:b] = idx
        a = b
    return out


class EdgeConv(nn.Module):
    """DGCNN's edge convolution: h_i = max_j act(BN(W [x_i, x_j - x_i])) over the k
    neighbours j. W [x_i, x_j - x_i] = (W1 - W2) x_i + W2 x_j is computed per node, then
    gathered per edge."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        c_in = check_int("c_in", c_in, lo=1, hi=4096)
        c_out = check_int("c_out", c_out, lo=1, hi=4096)
        self.lin = nn.Linear(2 * c_in, c_out)
        self.bn = nn.BatchNorm1d(c_out)
        self.c_in = c_in

    def forward(self, x, nbr):
        """x [N, c_in] finite node features (the weights' dtype), N >= 1; nbr [N, k] integer rows of x (k >= 1
        neighbours per node) -> [N, c_out]."""
        check_type("x", x, torch.Tensor)
        if x.dtype != self.lin.weight.dtype:
            raise TypeError(f"x must be a {self.lin.weight.dtype} tensor (the layer's weights' dtype); got {x.dtype}")
        if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] != self.c_in:
            raise ValueError(f"x must have shape [N >= 1, c_in = {self.c_in}]; got {tuple(x.shape)}")
        if not bool(torch.isfinite(x).all()):
            raise ValueError("x must be finite; found NaN or inf")
        check_type("nbr", nbr, torch.Tensor)
        if nbr.ndim != 2 or nbr.shape[0] != x.shape[0] or nbr.shape[1] < 1:
            raise ValueError(f"nbr must have shape [N = {x.shape[0]} (x's rows), k >= 1]; got {tuple(nbr.shape)}")
        if nbr.is_floating_point() or nbr.is_complex() or nbr.dtype == torch.bool:
            raise TypeError(f"nbr must be an integer tensor; got {nbr.dtype}")
        if bool(((nbr < 0) | (nbr >= x.shape[0])).any()):
            raise ValueError(f"nbr must hold row indices of x, in [0, {x.shape[0] - 1}]; got [{int(nbr.min())}, "
                             f"{int(nbr.max())}]")
        w1, w2 = self.lin.weight[:, :self.c_in], self.lin.weight[:, self.c_in:]
        a = x @ (w1 - w2).T + self.lin.bias
        e = a[:, None, :] + (x @ w2.T)[nbr]
        n, k, c = e.shape
        h = torch.nn.functional.leaky_relu(self.bn(e.reshape(n * k, c)), 0.2)
        return h.reshape(n, k, c).amax(1)


class EdgeConvGNN(nn.Module):
    """DGCNN-style baseline as in the authors' `DGCNN` (k = 20 neighbours): kNN graph in
    (x, y, z) for the first EdgeConv, dynamic kNN in feature space for the next ones; the
    concatenated features are lifted to `glob` channels and max-pooled over each event
    (DGCNN's global feature), which is appended to every hit's features -> MLP -> head."""

    def __init__(self, widths: Sequence[int] = (48, 48, 48), k: int = 20, hidden: int = 96, glob: int = 96):
        super().__init__()
        widths = _check_widths("widths", widths, 1, 8)
        hidden = check_int("hidden", hidden, lo=1, hi=4096)
        glob = check_int("glob", glob, lo=1, hi=4096)
        self.k = check_int("k", k, lo=2, hi=64)
        c, layers = 4, []
        for w in widths:
            layers.append(EdgeConv(c, w))
            c = w
        self.convs = nn.ModuleList(layers)
        self.lift = _mlp(sum(widths), glob)
        self.mix = _mlp(sum(widths) + glob, hidden)
        self.head = _Head(hidden)

    def forward(self, b: Batch):
        """(embedding [N, EMB_DIM], noise logit [N]) of the hits of b."""
        h, outs = _check_input(b, self.head.net[0].weight.dtype).feats, []
        nbr = knn(b.xyz, b.event, self.k)
        for i, conv in enumerate(self.convs):
            if i > 0:
                with torch.no_grad():
                    nbr = knn(h, b.event, self.k)
            h = conv(h, nbr)
            outs.append(h)
        local = torch.cat(outs, 1)
        g = self.lift(local)
        _, counts = torch.unique_consecutive(b.event, return_counts=True)     # events are contiguous
        pooled = torch.cat([part.amax(0, keepdim=True).expand_as(part) for part in torch.split(g, counts.tolist())])
        return self.head(self.mix(torch.cat([local, pooled], 1)))


# ----------------------------------------------------------------------------- SPVCNN
def _with_feats(x, feats):
    """A SparseTensor with the coordinates (and cached kernel maps) of x and new features."""
    return x.replace(feats)


def _voxel_index(x, pcoords: torch.Tensor) -> torch.Tensor:
    """Row of x (a SparseTensor at stride s) holding each point (pcoords [N,4] float,
    (batch, x, y, z) in stride-1 voxel units); -1 where none does."""
    s = int(x.stride if not isinstance(x.stride, (tuple, list)) else x.stride[0])
    vc = x.coords.long()
    pc = torch.floor(pcoords[:, 1:] / s).long()
    if bool((vc[:, 1:] % s == 0).all()) and s > 1:
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
    """Scatter-mean of point features pfeats [N,C] onto the voxels of SparseTensor x
    (its coordinates and kernel-map cache kept), the SPVCNN re-voxelisation."""
    from .. import sparseconv as sc

    check_type("x", x, sc.SparseTensor)
    check_type("pcoords", pcoords, torch.Tensor)
    check_type("pfeats", pfeats, torch.Tensor)
    if pcoords.ndim != 2 or pcoords.shape[1] != 4 or pcoords.shape[0] < 1 or not pcoords.is_floating_point():
        raise ValueError(f"pcoords must be a float tensor [N, 4] (batch, x, y, z), N >= 1; got {tuple(pcoords.shape)} "
                         f"{pcoords.dtype}")
    if not bool(torch.isfinite(pcoords).all()) or bool((pcoords[:, 0] < 0).any()):
        raise ValueError("pcoords must be finite with batch indices >= 0")
    if pfeats.ndim != 2 or pfeats.shape[0] != pcoords.shape[0] or not pfeats.is_floating_point():
        raise ValueError(f"pfeats must be a float tensor [N, C] with N = {pcoords.shape[0]}; got {tuple(pfeats.shape)}")
    if not bool(torch.isfinite(pfeats.detach()).all()):
        raise ValueError("pfeats must be finite")
    idx = _voxel_index(x, pcoords)
    ok = idx >= 0
    n = x.coords.shape[0]
    dev = pfeats.device
    s = torch.zeros(n, pfeats.shape[1], dtype=pfeats.dtype, device=dev).index_add(0, idx[ok], pfeats[ok])
    c = torch.zeros(n, dtype=pfeats.dtype, device=dev).index_add(
        0, idx[ok], torch.ones(int(ok.sum()), dtype=pfeats.dtype, device=dev))
    return _with_feats(x, s / c.clamp(min=1)[:, None])


class _Block(nn.Module):
    def __init__(self, c_in, c_out, kernel_size=3, stride=1, transposed=False):
        super().__init__()
        from .. import sparseconv as sc

        self.conv = sc.Conv3d(c_in, c_out, kernel_size=kernel_size, stride=stride, transposed=transposed)
        self.bn = sc.BatchNorm(c_out)
        self.act = sc.ReLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class SPVCNN(nn.Module):
    """A compact SPVCNN: a two-level sparse-voxel U-Net (voxels of VOXEL_CM) and a point
    branch at full resolution, fused by voxelise/devoxelise at the input, at the
    bottleneck and at the output."""

    def __init__(self, widths: Sequence[int] = (12, 16, 24)):
        super().__init__()
        c0, c1, c2 = _check_widths("widths", widths, 3, 3)
        self.stem = _mlp(4, c0)
        self.enc0 = _Block(c0, c0)
        self.down1, self.enc1 = _Block(c0, c1, 2, 2), _Block(c1, c1)
        self.down2, self.enc2 = _Block(c1, c2, 2, 2), _Block(c2, c2)
        self.point1 = _mlp(c0, c2)
        self.up1, self.dec1 = _Block(c2, c1, 2, 2, transposed=True), _Block(2 * c1, c1)
        self.up0, self.dec0 = _Block(c1, c0, 2, 2, transposed=True), _Block(2 * c0, c0)
        self.point2 = _mlp(c2, c0)
        self.head = _Head(c0)

    def forward(self, b: Batch):
        """(embedding [N, EMB_DIM], noise logit [N]) of the hits of b."""
        from .. import sparseconv as sc

        b = _check_input(b, self.head.net[0].weight.dtype)
        pcoords = torch.cat([b.event[:, None].float(), b.xyz / VOXEL_CM], 1)
        p0 = self.stem(b.feats)
        pt = sc.PointTensor(pcoords, p0)
        x0 = self.enc0(sc.voxelize(pt, 1))
        x1 = self.enc1(self.down1(x0))
        x2 = self.enc2(self.down2(x1))
        p1 = sc.devoxelize(x2, sc.PointTensor(pcoords, p0)) + self.point1(p0)       # fuse at the bottleneck
        x2 = point_to_voxel(x2, pcoords, p1)
        y1 = self.up1(x2)
        y1 = self.dec1(_with_feats(y1, torch.cat([y1.feats, _align(x1, y1)], 1)))
        y0 = self.up0(y1)
        y0 = self.dec0(_with_feats(y0, torch.cat([y0.feats, _align(x0, y0)], 1)))
        p2 = sc.devoxelize(y0, sc.PointTensor(pcoords, p1)) + self.point2(p1)       # fuse at the output
        return self.head(p2)


def _align(skip, y) -> torch.Tensor:
    """Features of `skip` in the row order of `y` (same coordinate set)."""
    if skip.coords.shape == y.coords.shape and bool((skip.coords == y.coords).all()):
        return skip.feats
    return skip.feats[_row_match(skip.coords, y.coords)]


def _row_match(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """For each row of b [M,4], its row index in a [N,4] (both int coordinate sets)."""
    a, b = a.long(), b.long()
    lo = torch.minimum(a.min(0).values, b.min(0).values)
    span = torch.maximum(a.max(0).values, b.max(0).values) - lo + 1

    def key(c):
        c = c - lo
        return ((c[:, 0] * span[1] + c[:, 1]) * span[2] + c[:, 2]) * span[3] + c[:, 3]

    ka, kb = key(a), key(b)
    order = torch.argsort(ka)
    pos = torch.searchsorted(ka[order], kb).clamp(max=len(ka) - 1)
    idx = order[pos]
    if not bool((ka[idx] == kb).all()):
        raise RuntimeError("skip connection: coordinate sets differ")
    return idx


# ----------------------------------------------------------------------------- build, train, evaluate
MODELS = ("SPVCNN", "GNN")
CLUSTERERS = ("hdbscan", "meanshift")
# Mean-shift bandwidths tried on training events (L2 radius on the unit sphere; the authors
# search (0.001, 1] starting from 0.25)
BANDWIDTHS = (0.15, 0.25, 0.35, 0.5, 0.7)


def build_model(kind: str, seed: int = 0, device=None) -> nn.Module:
    """A freshly initialised network, 'SPVCNN' or 'GNN', from `seed`, on `device`
    (default `lab.core.torch_device()`)."""
    check_str_choice("kind", kind, MODELS)
    check_int("seed", seed, lo=0, hi=2**32 - 1)
    dev = device_of(device)
    torch.manual_seed(seed)
    return (SPVCNN() if kind == "SPVCNN" else EdgeConvGNN()).to(dev)


def n_params(model: nn.Module) -> int:
    """Number of trainable parameters."""
    check_type("model", model, nn.Module)
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def loss_fn(model: nn.Module, b: Batch):
    """Discriminative loss (unit-sphere embeddings, L1, as the authors') + noise BCE of one
    batch; returns (total, dict of parts)."""
    check_type("model", model, nn.Module)
    check_type("b", b, Batch)
    emb, logit = model(b)
    disc, parts = discriminative_loss(emb, b.cluster, b.event, normalize=True, p=1)
    bce = nn.functional.binary_cross_entropy_with_logits(logit, b.noise)
    return disc + bce, dict(disc=float(disc.detach()), bce=float(bce.detach()), **{k: float(v.detach()) for k, v in parts.items()})


def train(model: nn.Module, events: Sequence[Event], epochs: int = 5, batch: int = 6,
          lr: float = 5e-3, seed: int = 0, progress: bool = True) -> list[float]:
    """Train with Adam (one-cycle lr) for `epochs` passes (at most 10 000) over `events` in
    batches of `batch` events, shuffled with `seed`, on the model's device. Returns the mean
    loss per epoch."""
    from tqdm.auto import tqdm

    check_type("model", model, nn.Module)
    epochs = check_int("epochs", epochs, lo=1, hi=10_000)
    batch = check_int("batch", batch, lo=1, hi=10_000)
    lr = check_number("lr", lr, lo=0.0, lo_open=True, hi=10.0)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    progress = check_bool("progress", progress)
    events = check_events("events", events)
    dev = _device(model)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * int(np.ceil(len(events) / batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    history = []
    model.train()
    for _ in tqdm(range(epochs), desc=type(model).__name__, disable=not progress, leave=False):
        order = rng.permutation(len(events))
        losses = []
        for i in range(0, len(events), batch):
            b = make_batch([events[j] for j in order[i:i + batch]], device=dev)
            loss, _ = loss_fn(model, b)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        history.append(float(np.mean(losses)))
    return history


@torch.no_grad()
def embed(model: nn.Module, events: Sequence[Event], batch: int = 6) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per event: (unit-length embeddings [n_hits, EMB_DIM], noise probability [n_hits]), float64."""
    check_type("model", model, nn.Module)
    events = check_events("events", events)
    batch = check_int("batch", batch, lo=1, hi=10_000)
    model.eval()
    out = []
    for i in range(0, len(events), batch):
        evs = list(events[i:i + batch])
        b = make_batch(evs, device=_device(model))
        emb, logit = model(b)
        emb = emb / (torch.linalg.vector_norm(emb, dim=1, keepdim=True) + 1e-8)
        prob = torch.sigmoid(logit).cpu().numpy().astype(np.float64)
        emb = emb.cpu().numpy().astype(np.float64)
        ev = b.event.cpu().numpy()
        out += [(emb[ev == j], prob[ev == j]) for j in range(len(evs))]
    return out


def _cluster_all(embedded, clusterer: str, bandwidth: float) -> list[np.ndarray]:
    return [cluster_embeddings(e, p, method=clusterer, bandwidth=bandwidth) for e, p in embedded]


def predict(model: nn.Module, events: Sequence[Event], batch: int = 6, clusterer: str = "hdbscan",
            bandwidth: float = 0.35) -> list[np.ndarray]:
    """Predicted cluster ids (-1 = noise) per event: unit-sphere embeddings clustered by
    HDBSCAN (min cluster size 5) or by mean-shift of radius `bandwidth`."""
    check_str_choice("clusterer", clusterer, CLUSTERERS)
    bandwidth = check_number("bandwidth", bandwidth, lo=1e-3, hi=1e3)
    return _cluster_all(embed(model, events, batch), clusterer, bandwidth)


def tune_bandwidth(model: nn.Module, events: Sequence[Event], bandwidths: Sequence[float] = BANDWIDTHS,
                   batch: int = 6) -> tuple[float, dict]:
    """The mean-shift bandwidth (of 1 to 20 candidates) with the highest PQ on `events`
    (training events, as in the authors' bandwidth study); returns (best, {bandwidth: PQ})."""
    if isinstance(bandwidths, (str, bytes)) or not isinstance(bandwidths, Sequence) or not 1 <= len(bandwidths) <= 20:
        raise TypeError(f"bandwidths must be a sequence of 1 to 20 numbers in [0.001, 1000]; got {bandwidths!r}")
    bws = [check_number("bandwidths", b, lo=1e-3, hi=1e3) for b in bandwidths]
    embedded = embed(model, events, batch)
    pqs = {bw: score(list(events), _cluster_all(embedded, "meanshift", bw))["pq"] for bw in bws}
    best = max(bws, key=lambda bw: (pqs[bw], -bw))
    return best, pqs


def score(events: Sequence[Event], labels: Sequence[np.ndarray]) -> dict:
    """Dataset PQ, SQ, RQ and energy-weighted PQ (counts summed over events)."""
    events = check_events("events", events)
    if isinstance(labels, (str, bytes)) or not isinstance(labels, (list, tuple)):
        raise TypeError(f"labels must be a list of one label array per event; got {type(labels).__name__}")
    if len(events) != len(labels):
        raise ValueError(f"labels must have one array per event ({len(events)}); got {len(labels)}")
    labels = [check_array("labels", lab, shape=(e.n_hits,), dtype_kind="iu", lo=-1) for e, lab in zip(events, labels)]
    c, ce = PQCounts(), PQCounts()
    for e, lab in zip(events, labels):
        c = c + panoptic_quality(e.cluster, lab)
        ce = ce + panoptic_quality(e.cluster, lab, e.energy)
    return dict(pq=c.pq, sq=c.sq, rq=c.rq, pq_energy=ce.pq, tp=int(c.tp), fp=int(c.fp), fn=int(c.fn))


def _run_model(seed, kind, n_train, n_test, epochs, batch, lr, kw, test_seed, n_tune, progress, threads):
    """Train and score one model of one seed (the unit of work `compare` hands to its workers)."""
    if threads:
        torch.set_num_threads(threads)
    train_ev = generate_events(n_train, 1000 + seed, **kw)
    test_ev = generate_events(n_test, test_seed, **kw)
    model = build_model(kind, seed)
    t0 = time.process_time()
    hist = train(model, train_ev, epochs=epochs, batch=batch, lr=lr, seed=seed, progress=progress)
    t_train = time.process_time() - t0
    bw, _ = tune_bandwidth(model, train_ev[:n_tune], batch=batch)
    embedded = embed(model, test_ev, batch)
    labels = _cluster_all(embedded, "hdbscan", bw)
    ms = score(test_ev, _cluster_all(embedded, "meanshift", bw))
    row = dict(seed=seed, model=kind, params=n_params(model), train_cpu_s=round(t_train, 2),
               cpu_s=round(time.process_time() - t0, 2), final_loss=hist[-1], **score(test_ev, labels),
               bandwidth=bw, pq_ms=ms["pq"], pq_energy_ms=ms["pq_energy"])
    return row, labels


def _check_run(n_train, n_test, epochs, batch, lr, events, models, test_seed, n_tune, progress):
    n_train = check_int("n_train", n_train, lo=1, hi=100_000)
    n_test = check_int("n_test", n_test, lo=1, hi=100_000)
    epochs = check_int("epochs", epochs, lo=1, hi=10_000)
    batch = check_int("batch", batch, lo=1, hi=10_000)
    lr = check_number("lr", lr, lo=0.0, lo_open=True, hi=10.0)
    test_seed = check_int("test_seed", test_seed, lo=0, hi=2**32 - 1)
    n_tune = check_int("n_tune", n_tune, lo=1, hi=10_000)
    progress = check_bool("progress", progress)
    if events is not None and not isinstance(events, dict):
        raise TypeError(f"events must be a dict of generate_event keyword arguments or None; got {type(events).__name__}")
    if isinstance(models, (str, bytes)) or not isinstance(models, Sequence) or not 1 <= len(models) <= len(MODELS):
        raise TypeError(f"models must be a sequence of names from {list(MODELS)}; got {models!r}")
    models = [check_str_choice("models", m, MODELS) for m in models]
    return n_train, n_test, epochs, batch, lr, dict(events or {}), models, test_seed, n_tune, progress


def run_seed(seed: int, n_train: int, n_test: int, epochs: int, batch: int, lr: float,
             events: dict | None = None, models: Sequence[str] = MODELS, test_seed: int = 999,
             n_tune: int = 8, progress: bool = True) -> tuple[list[dict], dict]:
    """Train every model on the same events from `seed`, each initialised from `seed` (a
    pair), and score it on a fixed test set: HDBSCAN (pq, sq, rq, pq_energy) and mean-shift
    with the bandwidth tuned on the first `n_tune` training events (pq_ms, pq_energy_ms).
    Returns (rows of seed, model, parameters, CPU s, final loss, bandwidth, PQ ...; {model: HDBSCAN labels})."""
    seed = check_int("seed", seed, lo=0, hi=2**31)
    n_train, n_test, epochs, batch, lr, kw, models, test_seed, n_tune, progress = _check_run(
        n_train, n_test, epochs, batch, lr, events, models, test_seed, n_tune, progress)
    rows, preds = [], {}
    for kind in models:
        row, preds[kind] = _run_model(seed, kind, n_train, n_test, epochs, batch, lr, kw, test_seed, n_tune,
                                      progress, 0)
        rows.append(row)
    return rows, preds


def compare(n_train: int, n_test: int, epochs: int, batch: int, lr: float, seeds: Sequence[int],
            events: dict | None = None, test_seed: int = 999, models: Sequence[str] = MODELS, n_tune: int = 8,
            progress: bool = True, n_jobs: int = 1):
    """Run `run_seed` for every training seed in `seeds` (at least one, at most 100) and
    score every model on the same test events (`n_test` events from `test_seed`).
    events: keyword arguments of `generate_event`. n_jobs (1 to 8): worker processes
    (joblib), each training one (seed, model) at a time on one torch thread; the numbers do
    not depend on it. Returns (DataFrame of rows, test events, HDBSCAN predictions of the last seed)."""
    import pandas as pd

    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__len__"):
        raise TypeError(f"seeds must be a sequence of integers in [0, 2**31]; got {type(seeds).__name__}")
    if not 1 <= len(seeds) <= 100:
        raise ValueError(f"seeds must hold 1 to 100 seeds; got {len(seeds)}")
    seeds = [check_int("seeds", s, lo=0, hi=2**31) for s in seeds]
    n_train, n_test, epochs, batch, lr, kw, models, test_seed, n_tune, progress = _check_run(
        n_train, n_test, epochs, batch, lr, events, models, test_seed, n_tune, progress)
    n_jobs = check_int("n_jobs", n_jobs, lo=1, hi=8)
    # the costliest model first, so the workers finish together
    tasks = [(s, k) for k in sorted(models, key=lambda k: k != "GNN") for s in seeds]
    args = (n_train, n_test, epochs, batch, lr, kw, test_seed, n_tune)
    if n_jobs == 1:
        out = [_run_model(s, k, *args, progress, 0) for s, k in tasks]
    else:
        from joblib import Parallel, delayed

        out = Parallel(n_jobs=n_jobs, backend="loky")(delayed(_run_model)(s, k, *args, False, 1) for s, k in tasks)
    rows = sorted((r for r, _ in out), key=lambda r: (seeds.index(r["seed"]), models.index(r["model"])))
    last = {k: lab for (s, k), (_, lab) in zip(tasks, out) if s == seeds[-1]}
    preds = {k: last[k] for k in models}
    test_ev = generate_events(n_test, test_seed, **kw)
    return pd.DataFrame(rows), test_ev, preds


def _t_interval(x: np.ndarray, level: float, paired: bool) -> tuple[float, float]:
    """(lo, hi) of `lab.core.stats.mean_interval` of x; (nan, nan) for fewer than 2 values, which
    the claim helpers refuse."""
    if len(x) < 2:
        return float("nan"), float("nan")
    iv = mean_interval(x, level, paired=paired)
    return iv.lo, iv.hi


def _std(x: np.ndarray) -> float:
    return float(x.std(ddof=1)) if len(x) > 1 else 0.0


def gap(df, metric: str = "pq", level: float = 0.95) -> dict:
    """Each model's `metric` ("pq" with HDBSCAN, "pq_ms" with tuned mean-shift) as mean and
    std (ddof=1) over seeds with its t-interval at `level`, and the SPVCNN - GNN gap paired by seed
    in percentage points: mean, std, and the paired t-interval (`lab.core.stats`, the same as
    scipy.stats.ttest_rel's). Needs every seed to hold both models."""
    missing = {"seed", "model", "pq", "pq_energy"} - set(getattr(df, "columns", []))
    if missing or not len(df):
        raise ValueError(f"df must be a non-empty DataFrame with columns seed, model, pq, pq_energy; missing {sorted(missing)}")
    metric = check_str_choice("metric", metric, ("pq", "pq_ms"))
    level = check_number("level", level, lo=0.5, hi=0.999)
    if metric not in df.columns:
        raise ValueError(f"df has no column {metric!r}")
    e_col = "pq_energy" if metric == "pq" else "pq_energy_ms"
    piv = df.pivot(index="seed", columns="model", values=metric)
    pive = df.pivot(index="seed", columns="model", values=e_col)
    if set(piv.columns) != set(MODELS) or bool(piv.isna().any().any()):
        raise ValueError(f"df must hold both models {list(MODELS)} for every seed")
    d = ((piv["SPVCNN"] - piv["GNN"]) * 100).to_numpy()
    de = ((pive["SPVCNN"] - pive["GNN"]) * 100).to_numpy()
    out = dict(metric=metric, level=level, n_seeds=int(len(d)), seeds_spvcnn_ahead=int((d > 0).sum()),
               gap_pp=(float(d.mean()), _std(d)), gap_ci_pp=_t_interval(d, level, True),
               gap_energy_pp=(float(de.mean()), _std(de)), gap_energy_ci_pp=_t_interval(de, level, True))
    for m in MODELS:
        v = piv[m].to_numpy()
        out[f"{m.lower()}_pq"] = (float(v.mean()), _std(v))
        out[f"{m.lower()}_ci"] = _t_interval(v, level, False)
    return out
