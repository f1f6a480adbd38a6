"""Contrastive losses seen as neighbourhood component analysis (NCA, Goldberger et al. 2004).

Embeddings are L2-normalised and compared by cosine similarity over a temperature τ:
s_ij = <z_i, z_j> / τ. NCA's stochastic neighbour rule picks neighbour j of anchor i
with probability p_ij = w_j exp(s_ij) / Σ_{k≠i} w_k exp(s_ik) (w: a prior weight per
neighbour, uniform by default), and its loss is -log of the probability that the
picked neighbour shares the anchor's label, Σ_{j: y_j = y_i} p_ij.

* `nt_xent`: SimCLR's InfoNCE over the 2N views of N images (one positive per anchor).
* `nca_loss`: the NCA loss for any labels and prior weights.
* `nacl_loss`: NaCl, our reading of the paper: the NCA loss with the K views of an
  image as its class, so each anchor has K-1 positives inside the log's sum.
* `mixnacl_loss`: the mixup variant: a mixed image λ x_a + (1-λ) x_b is a neighbour-class
  mixture, its target probability λ P(class a) + (1-λ) P(class b).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..core.checks import check_number, check_type

MAX_ROWS = 20_000


def check_embeddings(name: str, z, ndim: int = 2) -> torch.Tensor:
    """A finite float tensor of `ndim` dims, last dim >= 1, at most 20000 rows in all."""
    check_type(name, z, torch.Tensor)
    if z.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions; got shape {tuple(z.shape)}")
    if not z.is_floating_point():
        raise TypeError(f"{name} must be a float tensor; got dtype {z.dtype}")
    if z.numel() == 0 or z.shape[-1] < 1:
        raise ValueError(f"{name} must not be empty; got shape {tuple(z.shape)}")
    rows = z.numel() // z.shape[-1]
    if rows > MAX_ROWS:
        raise ValueError(f"{name} must hold at most {MAX_ROWS} embeddings; got {rows}")
    if not bool(torch.isfinite(z).all()):
        raise ValueError(f"{name} must be finite")
    return z


def _tau(tau) -> float:
    return check_number("tau", tau, lo=0.01, hi=10.0)


def _similarity(z: torch.Tensor, tau: float) -> torch.Tensor:
    z = F.normalize(z, dim=-1, eps=1e-8)
    return z @ z.T / tau


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, *, tau: float = 0.5) -> torch.Tensor:
    """SimCLR's NT-Xent loss (scalar): z1, z2 (N, d) embeddings of two views of N >= 2
    images; row i of z1 and row i of z2 are the positive pair, the other 2N-2 views are
    negatives. tau: temperature in [0.01, 10]. Mean over the 2N anchors, in nats."""
    z1, z2 = check_embeddings("z1", z1), check_embeddings("z2", z2)
    if z1.shape != z2.shape:
        raise ValueError(f"z2 must have the shape of z1 {tuple(z1.shape)}; got {tuple(z2.shape)}")
    if z1.shape[0] < 2:
        raise ValueError(f"z1 must hold at least 2 images (rows); got {z1.shape[0]}")
    return nt_xent_unchecked(z1, z2, _tau(tau))


def nt_xent_unchecked(z1: torch.Tensor, z2: torch.Tensor, tau: float) -> torch.Tensor:
    """`nt_xent` without the argument checks (the training loop's inner call)."""
    n = z1.shape[0]
    s = _similarity(torch.cat([z1, z2]), tau)
    s = s.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    pos = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    positive = s[torch.arange(2 * n), pos]
    return (torch.logsumexp(s, dim=1) - positive).mean()


def check_labels(name: str, labels, n: int) -> torch.Tensor:
    check_type(name, labels, torch.Tensor)
    if labels.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"{name} must be an int64 tensor; got dtype {labels.dtype}")
    if labels.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},); got {tuple(labels.shape)}")
    return labels.long()


def nca_loss(z: torch.Tensor, *, labels: torch.Tensor, tau: float = 0.5,
             weights: torch.Tensor | None = None, reduction: str = "mean") -> torch.Tensor:
    """The NCA loss (nats): z (M, d) embeddings, labels (M,) int64 with every label held by
    at least two rows; weights (M,) positive prior weight of each row as a neighbour (None:
    uniform). Per anchor -log Σ_{j≠i, y_j=y_i} p_ij; reduction "mean" (a scalar) or "none" (M,)."""
    z = check_embeddings("z", z)
    check_type("reduction", reduction, str)
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none'; got {reduction!r}")
    m = z.shape[0]
    labels = check_labels("labels", labels, m)
    tau = _tau(tau)
    logw = None
    if weights is not None:
        weights = check_embeddings("weights", weights, ndim=1)
        if weights.shape != (m,):
            raise ValueError(f"weights must have shape ({m},); got {tuple(weights.shape)}")
        if float(weights.min()) <= 0:
            raise ValueError("weights must be > 0 (a prior weight per neighbour)")
        logw = weights.to(z.dtype).log()
    same = labels[:, None] == labels[None, :]
    if not bool((same.sum(dim=1) >= 2).all()):
        raise ValueError("labels must give every row at least one other row with its label (a positive)")
    per_anchor = nca_unchecked(z, labels, tau, logw, reduce=False)
    return per_anchor.mean() if reduction == "mean" else per_anchor


def nca_unchecked(z: torch.Tensor, labels: torch.Tensor, tau: float, logw: torch.Tensor | None = None,
                  reduce: bool = True) -> torch.Tensor:
    """`nca_loss` without the argument checks (the training loop's inner call); logw: log prior weights."""
    m = z.shape[0]
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(m, dtype=torch.bool)
    logits = _similarity(z, tau)
    if logw is not None:
        logits = logits + logw[None, :]
    logits = logits.masked_fill(eye, float("-inf"))
    # log Σ_{j in class} p_ij = logsumexp over the class - logsumexp over all neighbours
    log_correct = torch.logsumexp(logits.masked_fill(~same, float("-inf")), dim=1) - torch.logsumexp(logits, dim=1)
    return -log_correct.mean() if reduce else -log_correct


def nacl_loss(views: torch.Tensor, *, tau: float = 0.5) -> torch.Tensor:
    """NaCl (scalar, nats): views (K, N, d) embeddings of K >= 2 views of N >= 2 images.
    The NCA loss with each image's K views as one class: every anchor has K-1 positives,
    summed inside the log. With K = 2 it equals `nt_xent`."""
    views = check_embeddings("views", views, ndim=3)
    k, n, d = views.shape
    if k < 2 or n < 2:
        raise ValueError(f"views must hold K >= 2 views of N >= 2 images; got shape {tuple(views.shape)}")
    return nacl_unchecked(views, _tau(tau))


def nacl_unchecked(views: torch.Tensor, tau: float) -> torch.Tensor:
    """`nacl_loss` without the argument checks (the training loop's inner call)."""
    k, n, d = views.shape
    return nca_unchecked(views.reshape(k * n, d), torch.arange(n).repeat(k), tau)


def mixnacl_loss(z_mix: torch.Tensor, bank: torch.Tensor, *, perm: torch.Tensor, lam: float,
                 tau: float = 0.5) -> torch.Tensor:
    """Mixup NaCl (scalar, nats): z_mix (N, d) embeddings of mixed images
    lam·x_i + (1-lam)·x_perm[i]; bank (K, N, d) embeddings of K clean views of the N
    images; perm (N,) int64 permutation of 0..N-1; lam in [0, 1]. Each mixed anchor picks
    a neighbour from the bank (softmax over the K·N similarities); its target is
    lam·P(a view of image i) + (1-lam)·P(a view of image perm[i])."""
    z_mix = check_embeddings("z_mix", z_mix)
    bank = check_embeddings("bank", bank, ndim=3)
    k, n, d = bank.shape
    if z_mix.shape != (n, d):
        raise ValueError(f"z_mix must have shape ({n}, {d}) to match bank; got {tuple(z_mix.shape)}")
    if n < 2:
        raise ValueError(f"bank must hold at least 2 images; got {n}")
    perm = check_labels("perm", perm, n)
    if not torch.equal(torch.sort(perm).values, torch.arange(n)):
        raise ValueError(f"perm must be a permutation of 0..{n - 1}")
    lam = check_number("lam", lam, lo=0.0, hi=1.0)
    tau = _tau(tau)
    a = F.normalize(z_mix, dim=-1, eps=1e-8)
    b = F.normalize(bank.reshape(k * n, d), dim=-1, eps=1e-8)
    log_p = torch.log_softmax(a @ b.T / tau, dim=1).reshape(n, k, n)
    p_own = torch.logsumexp(log_p[torch.arange(n), :, torch.arange(n)], dim=1).exp()
    p_other = torch.logsumexp(log_p[torch.arange(n), :, perm], dim=1).exp()
    return -torch.log((lam * p_own + (1 - lam) * p_other).clamp_min(1e-30)).mean()
