"""The network inputs, the loss and the GNN baseline of lab.calo, which backs
notebooks/09_calo.ipynb (calorimetry clustering with SPVCNN, Z. Liu, X. Yang, S. Han et al.,
MTL 2022): batches of hits, the discriminative loss, the head both networks share, and a
DGCNN-style kNN EdgeConv GNN. SPVCNN lives in `spvcnn.py`; training, evaluation by panoptic
quality and the seed-by-seed comparison in `train.py`.

Both networks map the hits of a batch of events to an embedding [N, EMB_DIM] and a
noise logit [N]. Training minimises the discriminative loss of the authors' code (unit-sphere
embeddings, L1 distances, delta_v = 0.5, delta_d = 1.5) plus the binary cross-entropy of the
noise logit (their semantic head). Embeddings are clustered by HDBSCAN (their default
clusterer) or by mean-shift with a bandwidth tuned on training events (their bandwidth study).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import nn

from ..core.checks import check_bool, check_choice, check_int, check_number, check_positive, check_type
from ..core.device import torch_device
from .events import Event, Geometry, check_events

DELTA_V = 0.5   # pull margin of the discriminative loss (embedding units)
DELTA_D = 1.5   # push margin: cluster centres are pushed 2 * DELTA_D apart
EMB_DIM = 8         # embedding size of the authors' configs (embed_dim: 8)


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


def check_input(b, dtype: torch.dtype) -> Batch:
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




def check_widths(name: str, widths, lo_len: int, hi_len: int) -> tuple[int, ...]:
    """A sequence of lo_len..hi_len layer widths, each an integer in [1, 1024]."""
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise TypeError(f"{name} must be a sequence of {lo_len}..{hi_len} integers in [1, 1024]; "
                        f"got {type(widths).__name__}")
    if not lo_len <= len(widths) <= hi_len:
        raise ValueError(f"{name} must hold {lo_len}..{hi_len} widths; got {len(widths)}")
    return tuple(check_int(name, w, lo=1, hi=1024) for w in widths)


def mlp(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(c_in, c_out), nn.BatchNorm1d(c_out), nn.ReLU(True))


class Head(nn.Module):
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
        widths = check_widths("widths", widths, 1, 8)
        hidden = check_int("hidden", hidden, lo=1, hi=4096)
        glob = check_int("glob", glob, lo=1, hi=4096)
        self.k = check_int("k", k, lo=2, hi=64)
        c, layers = 4, []
        for w in widths:
            layers.append(EdgeConv(c, w))
            c = w
        self.convs = nn.ModuleList(layers)
        self.lift = mlp(sum(widths), glob)
        self.mix = mlp(sum(widths) + glob, hidden)
        self.head = Head(hidden)

    def forward(self, b: Batch):
        """(embedding [N, EMB_DIM], noise logit [N]) of the hits of b."""
        h, outs = check_input(b, self.head.net[0].weight.dtype).feats, []
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
