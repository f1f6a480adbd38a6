"""L∞ attacks on images in [0, 1]: FGSM (Goodfellow et al. 2015) and PGD (Madry et al.
2018), both on a classifier's cross-entropy and on any scalar objective of a stack of
views (the contrastive loss, for the integrated losses).

ε is in pixel units of [0, 1] images (0.002 is half a grey level of 8-bit images).
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.checks import check_int, check_number, check_type
from .augment import check_images

MAX_STEPS = 200


def _eps(eps) -> float:
    return check_number("eps", eps, lo=0.0, hi=1.0)


def _targets(y, n: int) -> torch.Tensor:
    check_type("y", y, torch.Tensor)
    if y.dtype != torch.int64 or y.shape != (n,):
        raise ValueError(f"y must be an int64 tensor of shape ({n},); got {y.dtype} {tuple(y.shape)}")
    if n and int(y.min()) < 0:
        raise ValueError("y must hold class indices >= 0")
    return y


def check_label_range(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
    """y's classes must be among the model's logits: one forward pass on the first image gives their count."""
    with torch.no_grad():
        out = model(x[:1])
    if not isinstance(out, torch.Tensor) or out.ndim != 2:
        raise ValueError(f"model must return logits (N, C); got {type(out).__name__} "
                         f"{tuple(getattr(out, 'shape', ()))}")
    if len(y) and int(y.min()) < 0:
        raise ValueError(f"y must hold class indices in 0..{out.shape[1] - 1} (the model's classes); "
                         f"got {int(y.min())}")
    if len(y) and int(y.max()) >= out.shape[1]:
        raise ValueError(f"y must hold class indices below the model's {out.shape[1]} classes; got {int(y.max())}")


def ascend(objective: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, *, eps: float, steps: int = 1,
           step_size: float | None = None) -> torch.Tensor:
    """Maximise objective(x') over the L∞ ball ‖x' − x‖∞ ≤ eps intersected with [0, 1].

    objective: maps a tensor shaped like x to a scalar. x: any float tensor in [0, 1].
    steps = 1 is FGSM (one signed-gradient step of size eps); steps > 1 is PGD from x
    (no random start, so the attack is deterministic) with step_size (default 2.5·eps/steps).
    steps in [1, 200]. Returns the perturbed tensor, detached."""
    if not callable(objective):
        raise TypeError("objective must be callable (tensor -> scalar tensor)")
    check_type("x", x, torch.Tensor)
    if not x.is_floating_point() or x.numel() == 0 or not bool(torch.isfinite(x).all()):
        raise ValueError("x must be a non-empty finite float tensor")
    eps = _eps(eps)
    steps = check_int("steps", steps, lo=1, hi=MAX_STEPS)
    alpha = eps if steps == 1 else 2.5 * eps / steps
    if step_size is not None:
        alpha = check_number("step_size", step_size, lo=0.0, hi=1.0)
    x0 = x.detach()
    if eps == 0:
        return x0.clone()
    adv = x0.clone()
    for _ in range(steps):
        adv.requires_grad_(True)
        val = objective(adv)
        if not isinstance(val, torch.Tensor) or val.numel() != 1:
            raise TypeError("objective must return a scalar tensor")
        (g,) = torch.autograd.grad(val, adv)
        adv = adv.detach() + alpha * g.sign()
        adv = torch.min(torch.max(adv, x0 - eps), x0 + eps).clamp(0.0, 1.0)
    return adv.detach()


def fgsm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float) -> torch.Tensor:
    """FGSM adversarial images for a classifier: x + eps·sign(∇ₓ CE(model(x), y)), clipped
    to [0, 1]. model: logits (N, C) from images (N, 1, 8, 8); y: (N,) int64 labels."""
    check_type("model", model, nn.Module)
    x = check_images("x", x)
    y = _targets(y, x.shape[0])
    check_label_range(model, x, y)
    return ascend(lambda a: F.cross_entropy(model(a), y, reduction="sum"), x, eps=eps, steps=1)


def pgd(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float, steps: int = 10) -> torch.Tensor:
    """PGD adversarial images for a classifier (L∞ ball of radius eps, `steps` steps of
    2.5·eps/steps, no random start). Same arguments as `fgsm`, steps in [1, 200]."""
    check_type("model", model, nn.Module)
    x = check_images("x", x)
    y = _targets(y, x.shape[0])
    check_label_range(model, x, y)
    return ascend(lambda a: F.cross_entropy(model(a), y, reduction="sum"), x, eps=eps, steps=steps)
