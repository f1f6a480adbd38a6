"""The learned prior: a small 3-D U-Net generator and a 3-D convolutional discriminator.

Generator G: input the MLE volume (B, 1, 8, 16, 16), output a volume in [0, 1] of the
same shape. Two levels of 3 x 3 x 3 convolutions (widths c, 2c, 4c) with stride-2
downsampling, trilinear upsampling and skip connections; every hidden convolution is
spectrally normalised (`torch.nn.utils.parametrizations.spectral_norm`), as in the
authors' model. The 1 x 1 x 1 output head is not: a chain of 1-Lipschitz layers could
not reach the logits a sharp binary output needs (our choice). With `coords`, G also sees
three channels of each voxel's coordinate parity (CoordConv-style, our addition): a
translation-equivariant network cannot otherwise tell CircuitFaker's even seed lattice
from the odd gaps between seeds.
Discriminator D: three spectrally normalised stride-2 convolutions and a linear layer,
one real score per volume (hinge loss).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

from lab.core.checks import check_int, check_type

MAX_WIDTH = 64


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Module:
    return spectral_norm(nn.Conv3d(cin, cout, 3, stride=stride, padding=1))


class _Block(nn.Sequential):
    def __init__(self, cin: int, cout: int):
        super().__init__(_conv(cin, cout), nn.LeakyReLU(0.2), _conv(cout, cout), nn.LeakyReLU(0.2))


def _check_volumes(x, dtype: torch.dtype, multiple: int = 1) -> torch.Tensor:
    """A network's input x: a finite tensor (batch >= 1, 1, D, H, W) of the weights' `dtype`, with D, H, W
    multiples of `multiple`. Raises naming x."""
    check_type("x", x, torch.Tensor)
    if x.ndim != 5 or x.shape[0] < 1 or x.shape[1] != 1 or min(x.shape[2:]) < 1 or any(s % multiple for s in x.shape[2:]):
        sizes = f" with D, H, W multiples of {multiple}" if multiple > 1 else ""
        raise ValueError(f"x must have shape (batch >= 1, 1, D, H, W){sizes}; got {tuple(x.shape)}")
    if x.dtype != dtype:
        raise TypeError(f"x must be a {dtype} tensor (the model's weights are {dtype}); got {x.dtype}")
    if not bool(torch.isfinite(x.detach().sum())) and not bool(torch.isfinite(x).all()):  # finite sum: finite x
        raise ValueError(f"x must be finite; found {int((~torch.isfinite(x)).sum())} NaN or inf voxel(s)")
    return x


def parity(shape: tuple[int, ...]) -> torch.Tensor:
    """(1, 3, D, H, W) channels holding each voxel's coordinate parity along z, y, x (0 or 1)."""
    grids = torch.meshgrid(*[torch.arange(s) % 2 for s in shape[-3:]], indexing="ij")
    return torch.stack(grids).float()[None]


class Generator(nn.Module):
    """3-D U-Net with spectral-norm convolutions; width c in [1, 64] channels.
    coords: also feed each voxel's coordinate parity (3 channels, CoordConv-style)."""

    def __init__(self, width: int = 8, coords: bool = False):
        super().__init__()
        c = check_int("width", width, lo=1, hi=MAX_WIDTH)
        if not isinstance(coords, bool):
            raise TypeError(f"coords must be a bool; got {type(coords).__name__}")
        self.width, self.coords = c, coords
        self.enc1 = _Block(4 if coords else 1, c)
        self.down1 = _conv(c, 2 * c, stride=2)
        self.enc2 = _Block(2 * c, 2 * c)
        self.down2 = _conv(2 * c, 4 * c, stride=2)
        self.mid = _Block(4 * c, 4 * c)
        self.dec2 = _Block(6 * c, 2 * c)
        self.dec1 = _Block(3 * c, c)
        self.head = nn.Conv3d(c, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_volumes(x, self.head.weight.dtype, multiple=4)
        if self.coords:
            x = torch.cat([x, parity(x.shape).expand(x.shape[0], -1, -1, -1, -1)], 1)
        e1 = self.enc1(x)
        e2 = self.enc2(F.leaky_relu(self.down1(e1), 0.2))
        m = self.mid(F.leaky_relu(self.down2(e2), 0.2))
        u2 = F.interpolate(m, size=e2.shape[2:], mode="trilinear", align_corners=False)
        d2 = self.dec2(torch.cat([u2, e2], 1))
        u1 = F.interpolate(d2, size=e1.shape[2:], mode="trilinear", align_corners=False)
        d1 = self.dec1(torch.cat([u1, e1], 1))
        return torch.sigmoid(self.head(d1))


class Discriminator(nn.Module):
    """3-D conv critic: (B, 1, 8, 16, 16) -> (B,) real scores; width c in [1, 64]."""

    def __init__(self, width: int = 8):
        super().__init__()
        c = check_int("width", width, lo=1, hi=MAX_WIDTH)
        self.net = nn.Sequential(_conv(1, c, 2), nn.LeakyReLU(0.2), _conv(c, 2 * c, 2), nn.LeakyReLU(0.2),
                                 _conv(2 * c, 4 * c, 2), nn.LeakyReLU(0.2))
        self.out = spectral_norm(nn.Linear(4 * c, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_volumes(x, self.out.bias.dtype)
        h = self.net(x).mean(dim=(2, 3, 4))
        return self.out(h).squeeze(1)


def npcc_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of the negative Pearson correlation of each pair of volumes."""
    check_type("pred", pred, torch.Tensor)
    check_type("target", target, torch.Tensor)
    if pred.shape != target.shape or pred.ndim < 2:
        raise ValueError(f"pred and target must have the same shape (batch, ...); got "
                         f"{tuple(pred.shape)} and {tuple(target.shape)}")
    for name, t in (("pred", pred), ("target", target)):
        if not t.dtype.is_floating_point or not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} must be a finite floating-point tensor")
    p = pred.flatten(1) - pred.flatten(1).mean(1, keepdim=True)
    t = target.flatten(1) - target.flatten(1).mean(1, keepdim=True)
    den = torch.sqrt((p ** 2).sum(1) * (t ** 2).sum(1) + 1e-12)
    return -((p * t).sum(1) / den).mean()
