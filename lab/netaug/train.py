"""Network Augmentation for Tiny Deep Learning (H. Cai, C. Gan, J. Lin, S. Han; ICLR 2022).

Backs notebooks/01_netaug.ipynb (the training; figures and explorer in views.py).

Tiny networks under-fit, so regularisers that fight over-fitting (dropout, data
augmentation) do not help them. NetAug augments the *model* instead: the tiny network
is the first channels of every layer of wider networks that share its weights. Each
training step adds the loss of one randomly sampled wider network to the tiny
network's loss; at the end the tiny network is exported alone, at zero inference cost.

This module follows the authors' recipe at laptop scale, on scikit-learn's 8x8 digits:

1. `TinyNet` is built from dynamic-width layers (`lab.core.nets.DynamicConv2d`,
   `DynamicLinear`) whose weights hold the widest shape; the tiny model is the first
   channels of each weight.
2. The augmented widths come from multipliers: `width_mults` for block outputs and
   `expand_mults` for the expanded (hidden) channels of each inverted-residual block.
3. Each step: forward/backward of the tiny model, then of one augmented model sampled
   uniformly per block, gradients accumulated (augmented loss weighted by `alpha`), one
   optimiser step.
4. Every `sort_every` epochs the hidden channels are sorted by importance (L1 norm of
   their projection weights), so the tiny model keeps the most useful ones.
5. Width augmentation stops for the last `1 - stop_width_at` of training (expand
   augmentation continues).
6. `export_tiny` copies the tiny model's weight slices into a plain `TinyNet` of
   exactly the baseline's shape.

Images are (N, 1, 8, 8) float tensors in [0, 1]; labels (N,) int64 in 0..9.
Accuracies are fractions in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from lab.core import checks
from lab.core.claims import Measured
from lab.data.digits import Digits
from lab.core.nets import DynamicBatchNorm2d, DynamicConv2d, DynamicLinear, count_macs, count_params

# the authors' default augmentation multipliers
WIDTH_MULTS = (1.0, 1.8, 2.6)
EXPAND_MULTS = (1.0, 1.6, 2.2, 2.8)

# base architecture at base_width 1: stem channels, then (out channels, stride) per block
STEM = 4
BLOCKS = ((8, 2), (16, 2))
EXPAND = 2.0


MAX_SEEDS = 100     # seeds of one comparison


def _images(name: str, x, min_size: int = 1) -> torch.Tensor:
    """A finite float tensor of images (N, 1, 8, 8) (numpy arrays are converted)."""
    if not torch.is_tensor(x):
        x = torch.from_numpy(checks.check_array(name, x, ndim=4, dtype_kind="f"))
    if x.dim() != 4 or tuple(x.shape[1:]) != (1, 8, 8) or not x.is_floating_point():
        raise ValueError(f"{name} must be a float tensor of shape (N, 1, 8, 8); got {x.dtype} {tuple(x.shape)}")
    if x.shape[0] < min_size:
        raise ValueError(f"{name} must hold at least {min_size} image(s); got {x.shape[0]}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must be finite; found {int((~torch.isfinite(x)).sum())} non-finite value(s)")
    return x


def _ch(c: float) -> int:
    return max(1, int(round(c)))


# ----------------------------------------------------------------------------- data
def augment_batch(x: torch.Tensor, gen: torch.Generator, max_shift: int = 1, noise: float = 0.05) -> torch.Tensor:
    """Data augmentation: random translation by up to `max_shift` pixels (zero fill)
    and Gaussian pixel noise of std `noise`. x: (N, 1, 8, 8) in [0, 1]; max_shift in 0..4 pixels;
    noise in [0, 1]."""
    x = _images("x", x)
    checks.check_type("gen", gen, torch.Generator)
    max_shift = checks.check_int("max_shift", max_shift, lo=0, hi=4)
    noise = checks.check_number("noise", noise, lo=0.0, hi=1.0)
    n, _, h, w = x.shape
    pad = F.pad(x, (max_shift,) * 4)
    dy = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(h)[None]).view(n, 1, h, 1).expand(n, 1, h, w + 2 * max_shift)
    out = torch.gather(pad, 2, rows)
    cols = (dx[:, None] + torch.arange(w)[None]).view(n, 1, 1, w).expand(n, 1, h, w)
    out = torch.gather(out, 3, cols)
    return (out + noise * torch.randn(out.shape, generator=gen)).clamp(0, 1)


# ----------------------------------------------------------------------------- the network
@dataclass(frozen=True)
class Config:
    """Channel counts of one sub-network: stem, block outputs, block hidden channels."""
    stem: int
    outs: tuple[int, ...]
    hidden: tuple[int, ...]

    def __post_init__(self):
        checks.check_int("stem", self.stem, lo=1, hi=4096)
        for name in ("outs", "hidden"):
            v = getattr(self, name)
            checks.check_type(name, v, tuple)
            if len(v) != len(BLOCKS):
                raise ValueError(f"{name} must hold {len(BLOCKS)} channel counts; got {v}")
            for c in v:
                checks.check_int(name, c, lo=1, hi=4096)


class _Block(nn.Module):
    def __init__(self, max_in: int, max_hidden: int, max_out: int, stride: int, residual: bool):
        super().__init__()
        self.expand = DynamicConv2d(max_in, max_hidden, 1)
        self.bn1 = DynamicBatchNorm2d(max_hidden)
        self.dw = DynamicConv2d(max_hidden, max_hidden, 3, stride, depthwise=True)
        self.bn2 = DynamicBatchNorm2d(max_hidden)
        self.project = DynamicConv2d(max_hidden, max_out, 1)
        self.bn3 = DynamicBatchNorm2d(max_out)
        self.residual = residual

    def forward(self, x: torch.Tensor, hidden: int, out: int) -> torch.Tensor:
        y = F.relu6(self.bn1(self.expand(x, hidden)))
        y = F.relu6(self.bn2(self.dw(y)))
        y = self.bn3(self.project(y, out))
        return y + x if self.residual and y.shape == x.shape else y


class TinyNet(nn.Module):
    """A MobileNetV2-style tiny CNN for 8x8 digits built from dynamic-width layers.

    base_width scales every channel count of the base design (STEM, BLOCKS, EXPAND).
    max_width_mult / max_expand_mult size the weights for the widest augmented model;
    with both 1.0 it is a plain network of exactly the base shape. forward(x, cfg)
    runs the sub-network `cfg` (default: the tiny base model). x: (N, 1, 8, 8)."""

    def __init__(self, base_width: float = 1.0, max_width_mult: float = 1.0, max_expand_mult: float = 1.0,
                 dropout: float = 0.0, n_classes: int = 10):
        super().__init__()
        self.base_width = checks.check_number("base_width", base_width, lo=0.25, hi=16.0)
        self.max_width_mult = checks.check_number("max_width_mult", max_width_mult, lo=1.0, hi=8.0)
        self.max_expand_mult = checks.check_number("max_expand_mult", max_expand_mult, lo=1.0, hi=8.0)
        dropout = checks.check_number("dropout", dropout, lo=0.0, hi=1.0, hi_open=True)
        n_classes = checks.check_int("n_classes", n_classes, lo=2, hi=1000)
        self.base = self.config(1.0, 1.0)
        wide = self.config(self.max_width_mult, self.max_expand_mult)
        self.stem = DynamicConv2d(1, wide.stem, 3)
        self.stem_bn = DynamicBatchNorm2d(wide.stem)
        blocks, c_in = [], wide.stem
        for i, (_, s) in enumerate(BLOCKS):
            res = s == 1 and self.base.outs[i] == (self.base.stem if i == 0 else self.base.outs[i - 1])
            blocks.append(_Block(c_in, wide.hidden[i], wide.outs[i], s, res))
            c_in = wide.outs[i]
        self.blocks = nn.ModuleList(blocks)
        self.drop = nn.Dropout(dropout)
        self.classifier = DynamicLinear(c_in, n_classes)

    def config(self, width_mult: float | Sequence[float] = 1.0, expand_mult: float | Sequence[float] = 1.0) -> Config:
        """Channel counts for per-block multipliers (a number applies to every block;
        a residual block keeps its input's width so its shortcut stays valid)."""
        n = len(BLOCKS)
        for name, v in (("width_mult", width_mult), ("expand_mult", expand_mult)):
            if v is None or isinstance(v, (str, bytes)) or not (np.isscalar(v) or hasattr(v, "__len__")):
                raise TypeError(f"{name} must be a number or a sequence of numbers; got {type(v).__name__}")
        wm = [width_mult] * (n + 1) if np.isscalar(width_mult) else list(width_mult)
        em = [expand_mult] * n if np.isscalar(expand_mult) else list(expand_mult)
        if len(wm) != n + 1 or len(em) != n:
            raise ValueError(f"width_mult must be a number or {n + 1} numbers, expand_mult a number or {n}")
        wm = [checks.check_number("width_mult", v, lo=1.0, hi=self.max_width_mult) for v in wm]
        em = [checks.check_number("expand_mult", v, lo=1.0, hi=self.max_expand_mult) for v in em]
        bw = self.base_width
        stem = _ch(STEM * bw * wm[0])
        outs, hidden, c_in, base_in = [], [], stem, _ch(STEM * bw)
        for i, (c, s) in enumerate(BLOCKS):
            base_out = _ch(c * bw)
            res = s == 1 and base_out == base_in
            out = c_in if res else _ch(base_out * wm[i + 1])
            hidden.append(_ch(base_in * EXPAND * em[i]))
            outs.append(out)
            c_in, base_in = out, base_out
        return Config(stem, tuple(outs), tuple(hidden))

    def forward(self, x: torch.Tensor, cfg: Config | None = None) -> torch.Tensor:
        x = _images("x", x)
        cfg = cfg or self.base
        checks.check_type("cfg", cfg, Config)
        y = F.relu6(self.stem_bn(self.stem(x, cfg.stem)))
        for blk, h, o in zip(self.blocks, cfg.hidden, cfg.outs):
            y = blk(y, h, o)
        return self.classifier(self.drop(y.mean(dim=(2, 3))))


def sample_config(net: TinyNet, width_mults: Sequence[float], expand_mults: Sequence[float],
                  gen: torch.Generator, width_aug: bool = True) -> Config:
    """One augmented model: a multiplier drawn uniformly per block (width for the stem and
    block outputs when `width_aug`, expand for each block's hidden channels)."""
    checks.check_type("net", net, TinyNet)
    checks.check_type("gen", gen, torch.Generator)
    width_aug = checks.check_bool("width_aug", width_aug)
    for name, m in (("width_mults", width_mults), ("expand_mults", expand_mults)):
        checks.check_array(name, m, ndim=1, lo=1.0, hi=8.0)
    n = len(BLOCKS)
    pick = lambda opts, k: [opts[int(i)] for i in torch.randint(len(opts), (k,), generator=gen)]  # noqa: E731
    wm = pick(list(width_mults), n + 1) if width_aug else [1.0] * (n + 1)
    return net.config(wm, pick(list(expand_mults), n))


@torch.no_grad()
def sort_channels(net: TinyNet) -> None:
    """Sort every block's hidden channels by importance (L1 norm of the projection
    weights that read them), most important first, permuting expand, depthwise and
    projection weights consistently (the network's function is unchanged)."""
    checks.check_type("net", net, TinyNet)
    for blk in net.blocks:
        imp = blk.project.weight.abs().sum(dim=(0, 2, 3))
        order = torch.argsort(imp, descending=True, stable=True)
        blk.expand.weight.copy_(blk.expand.weight[order])
        blk.dw.weight.copy_(blk.dw.weight[order])
        blk.project.weight.copy_(blk.project.weight[:, order])
        for bn in (blk.bn1, blk.bn2):
            for t in (bn.weight, bn.bias, bn.running_mean, bn.running_var):
                t.copy_(t[order])


@torch.no_grad()
def recalibrate_bn(net: nn.Module, x: torch.Tensor, batch: int = 512) -> None:
    """Re-estimate every batch-norm layer's running statistics of `net` (its base
    model) on images x (N, 1, 8, 8), finite, at least 2 images: the batch variance of one image
    is zero), as an exact average over the data, `batch` images at a time (1..65536)."""
    checks.check_type("net", net, nn.Module)
    x = _images("x", x, min_size=2)
    batch = checks.check_int("batch", batch, lo=2, hi=65536)
    if len(x) % batch == 1:
        batch += 1  # never a last batch of one image (its batch variance is undefined)
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    was = net.training
    net.train()
    for i in range(0, len(x), batch):
        net(x[i:i + batch])
    for bn in bns:
        bn.momentum = 0.1
    net.train(was)


@torch.no_grad()
def export_tiny(net: TinyNet) -> TinyNet:
    """A plain TinyNet of the base shape holding the tiny model's weight slices."""
    checks.check_type("net", net, TinyNet)
    plain = TinyNet(net.base_width, 1.0, 1.0, dropout=net.drop.p, n_classes=net.classifier.out_features)
    sd = plain.state_dict()
    for name, p in net.state_dict().items():
        sd[name] = p[tuple(slice(0, s) for s in sd[name].shape)].clone()
    plain.load_state_dict(sd)
    return plain.eval()


# ----------------------------------------------------------------------------- training
METHODS = ("baseline", "dropout", "augment", "netaug")


@dataclass
class Result:
    """One training run: the tiny model's mean training loss per epoch [nats], final
    train/test accuracy (fractions) and the exported tiny model."""
    method: str
    seed: int
    base_width: float
    loss_curve: list[float]
    train_acc: float
    test_acc: float
    model: TinyNet = field(repr=False)

    def __post_init__(self):
        checks.check_choice("method", self.method, METHODS)
        checks.check_int("seed", self.seed, lo=0, hi=2**32 - 1)
        checks.check_number("base_width", self.base_width, lo=0.25, hi=16.0)
        checks.check_array("loss_curve", self.loss_curve, ndim=1)
        checks.check_number("train_acc", self.train_acc, lo=0.0, hi=1.0)
        checks.check_number("test_acc", self.test_acc, lo=0.0, hi=1.0)
        checks.check_type("model", self.model, TinyNet)




@torch.no_grad()
def accuracy(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of correct predictions of the tiny model. x: (N, 1, 8, 8); y: (N,) class labels."""
    checks.check_type("net", net, nn.Module)
    x = _images("x", x)
    if not torch.is_tensor(y):
        y = torch.from_numpy(checks.check_array("y", y, ndim=1, dtype_kind="iu")).long()
    if y.dim() != 1 or len(y) != len(x) or y.is_floating_point() or y.is_complex():
        raise ValueError(f"y must be an integer tensor of shape ({len(x)},); got {y.dtype} {tuple(y.shape)}")
    was = net.training
    net.eval()
    acc = (net(x).argmax(1) == y).float().mean().item()
    net.train(was)
    return float(acc)


MAX_EPOCHS = 1000   # a documented bound: 1000 epochs of the widest model take about an hour on a laptop core


def train(method: str, data: Digits, seed: int, epochs: int = 30, base_width: float = 1.0, batch: int = 128,
          lr: float = 0.01, dropout: float = 0.3, alpha: float = 1.0, width_mults: Sequence[float] = WIDTH_MULTS,
          expand_mults: Sequence[float] = EXPAND_MULTS, sort_every: int = 5, stop_width_at: float = 0.5) -> Result:
    """Train the tiny model with one method ("baseline", "dropout", "augment", "netaug").
    data: a `lab.data.Digits` split ((N, 1, 8, 8) images). epochs: 1..MAX_EPOCHS.
    Adam with cosine learning-rate decay; `seed` fixes initialisation, batch order,
    augmentations and the sampled augmented models. Returns the exported tiny model."""
    checks.check_choice("method", method, METHODS)
    checks.check_type("data", data, Digits)
    if data.x_train.ndim != 4 or data.x_train.shape[1:] != (1, 8, 8):
        raise ValueError(f"data must hold (N, 1, 8, 8) images (load_digits(flat=False)); got {data.x_train.shape}")
    seed = checks.check_int("seed", seed, lo=0, hi=2**32 - 1)
    epochs = checks.check_int("epochs", epochs, lo=1, hi=MAX_EPOCHS)
    batch = checks.check_int("batch", batch, lo=1, hi=100_000)
    lr = checks.check_number("lr", lr, lo=0.0, hi=10.0, lo_open=True)
    dropout = checks.check_number("dropout", dropout, lo=0.0, hi=1.0, hi_open=True)
    base_width = checks.check_number("base_width", base_width, lo=0.25, hi=16.0)
    alpha = checks.check_number("alpha", alpha, lo=0.0, hi=10.0)
    sort_every = checks.check_int("sort_every", sort_every, lo=1, hi=MAX_EPOCHS)
    stop_width_at = checks.check_number("stop_width_at", stop_width_at, lo=0.0, hi=1.0)
    for name, mults in (("width_mults", width_mults), ("expand_mults", expand_mults)):
        arr = checks.check_array(name, mults, ndim=1, lo=1.0, hi=8.0)
        if arr.min() != 1.0:
            raise ValueError(f"{name} must contain 1.0 (the tiny model itself); got {list(mults)}")
    x_train, y_train, x_test, y_test = data.torch()
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    aug = method == "netaug"
    net = TinyNet(base_width, max(width_mults) if aug else 1.0, max(expand_mults) if aug else 1.0,
                  dropout=dropout if method == "dropout" else 0.0, n_classes=data.n_classes)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    n = len(y_train)
    steps = epochs * ((n + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    curve = []
    net.train()
    for ep in range(epochs):
        perm = torch.randperm(n, generator=gen)
        ep_loss = 0.0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            x, y = x_train[idx], y_train[idx]
            if method == "augment":
                x = augment_batch(x, gen)
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            ep_loss += float(loss.detach()) * len(idx)
            if aug and alpha > 0:
                cfg = sample_config(net, width_mults, expand_mults, gen, width_aug=ep < stop_width_at * epochs)
                (alpha * F.cross_entropy(net(x, cfg), y)).backward()
            opt.step()
            sched.step()
        if aug and (ep + 1) % sort_every == 0 and ep + 1 < epochs:
            sort_channels(net)
        curve.append(ep_loss / n)
    if not np.all(np.isfinite(curve)):
        raise ValueError(f"training diverged (non-finite loss) with lr={lr:g}; use a smaller lr")
    tiny = export_tiny(net) if aug else net
    recalibrate_bn(tiny, x_train)
    tiny.eval()
    return Result(method, seed, float(base_width), curve, accuracy(tiny, x_train, y_train),
                  accuracy(tiny, x_test, y_test), tiny)


def _seeds(seeds) -> list[int]:
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a sequence of ints; got {type(seeds).__name__}")
    seeds = [checks.check_int("seeds", sd, lo=0, hi=2**32 - 1) for sd in seeds]
    if not 1 <= len(seeds) <= MAX_SEEDS:
        raise ValueError(f"seeds must hold 1..{MAX_SEEDS} seeds; got {len(seeds)}")
    return seeds


def _results(results, name: str = "results") -> list:
    results = list(results) if isinstance(results, (list, tuple)) else results
    if not isinstance(results, list) or not results or not all(isinstance(r, Result) for r in results):
        raise TypeError(f"{name} must be a non-empty list of netaug.Result")
    return results


def compare(data: Digits, seeds: Sequence[int], methods: Sequence[str] = METHODS, **kw) -> list[Result]:
    """Train every method with every seed (same settings otherwise; `kw` go to `train`)."""
    from tqdm.auto import tqdm
    checks.check_type("data", data, Digits)
    seeds = _seeds(seeds)
    if isinstance(methods, str) or not methods:
        raise ValueError(f"methods must be a non-empty list drawn from {list(METHODS)}; got {methods!r}")
    methods = [checks.check_choice("methods", m, METHODS) for m in methods]
    runs = [(m, s) for m in methods for s in seeds]
    return [train(m, data, s, **kw) for m, s in tqdm(runs, desc="training", leave=False)]


def size_sweep(data: Digits, sizes: Sequence[float], seeds: Sequence[int], done: Sequence[Result] = (),
               **kw) -> list[Result]:
    """Baseline and NetAug for every model size (base_width) and seed; runs already in
    `done` (same size, method and seed) are reused, not retrained."""
    checks.check_type("data", data, Digits)
    seeds = _seeds(seeds)
    sizes = [checks.check_number("sizes", w, lo=0.25, hi=16.0) for w in checks.check_array("sizes", sizes, ndim=1)]
    if len(sizes) > 16:
        raise ValueError(f"sizes must list at most 16 model sizes; got {len(sizes)}")
    done = [] if isinstance(done, (list, tuple)) and not done else _results(done, "done")
    have = {(r.method, r.base_width, r.seed): r for r in done}
    out = []
    for w in sizes:
        for m in ("baseline", "netaug"):
            for sd in seeds:
                r = have.get((m, float(w), sd))
                out.append(r if r is not None else train(m, data, sd, base_width=float(w), **kw))
    return out


def summary(results: Sequence[Result]) -> pd.DataFrame:
    """Mean and std (over seeds) of train/test accuracy [%] per method and model size."""
    results = _results(results)
    df = pd.DataFrame([dict(method=r.method, base_width=r.base_width, seed=r.seed, train=100 * r.train_acc,
                            test=100 * r.test_acc) for r in results])
    g = df.groupby(["base_width", "method"], sort=False)
    out = g.agg(train_mean=("train", "mean"), train_std=("train", "std"), test_mean=("test", "mean"),
                test_std=("test", "std"), seeds=("seed", "count")).reset_index()
    return out


def gains(results: Sequence[Result], reference: str = "baseline") -> pd.DataFrame:
    """Per method and size: test-accuracy gain over `reference` [points], paired by seed
    (mean, std, and the number of seeds where the method beats the reference)."""
    results = _results(results)
    checks.check_choice("reference", reference, METHODS)
    df = pd.DataFrame([dict(method=r.method, w=r.base_width, seed=r.seed, test=100 * r.test_acc) for r in results])
    ref = df[df.method == reference].set_index(["w", "seed"]).test
    rows = []
    for (w, m), grp in df[df.method != reference].groupby(["w", "method"], sort=False):
        d = (grp.set_index(["w", "seed"]).test - ref.reindex(grp.set_index(["w", "seed"]).index)).dropna()
        if not len(d):
            continue
        rows.append(dict(base_width=w, method=m, gain_mean=d.mean(), gain_std=d.std(ddof=1) if len(d) > 1 else 0.0,
                         wins=int((d > 0).sum()), seeds=len(d)))
    return pd.DataFrame(rows, columns=["base_width", "method", "gain_mean", "gain_std", "wins", "seeds"])


# ----------------------------------------------------------------------------- claims
def _row(g: pd.DataFrame, method: str, base_width: float | None = None) -> pd.Series:
    checks.check_type("g", g, pd.DataFrame)
    sel = g[g.method == method]
    if base_width is not None:
        sel = sel[sel.base_width == base_width]
    if not len(sel):
        raise ValueError(f"g must hold a row for method {method!r} (a `gains` table)")
    return sel.iloc[0]


def claim_gain(g: pd.DataFrame, params: int, epochs: int) -> Measured:
    """NetAug's test-accuracy gain over the baseline [points] from a `gains` table (one model
    size), paired by seed; holds when the mean gain exceeds its standard error and NetAug is
    ahead in more than half the seeds. params, epochs: the tiny model's size and training length
    (for the note)."""
    params = checks.check_int("params", params, lo=1)
    epochs = checks.check_int("epochs", epochs, lo=1, hi=MAX_EPOCHS)
    na = _row(g, "netaug")
    n = int(na.seeds)
    sem = na.gain_std / n ** 0.5
    return Measured(f"{na.gain_mean:+.2f} ± {na.gain_std:.2f} (wins {int(na.wins)}/{n})",
                    bool(na.gain_mean > sem and na.wins > n / 2), number=float(na.gain_mean),
                    note=f"mean ± std over {n} seeds, paired by seed. Does not reproduce at our scale: a {params}-"
                         f"parameter model trained for {epochs} epochs (seconds); the sign of the gain changes with the "
                         "training length, the seeds and even the memory layout of the input tensor (float rounding "
                         "in the convolutions). The paper trains ImageNet models for hundreds of epochs")


def claim_regularisers_hurt(g: pd.DataFrame) -> Measured:
    """Dropout's and data augmentation's mean test-accuracy change against the baseline
    [points] from a `gains` table; holds when neither is above 0 (number: the larger change)."""
    do, au = _row(g, "dropout"), _row(g, "augment")
    return Measured(f"dropout {do.gain_mean:+.1f}, augment {au.gain_mean:+.1f}",
                    bool(do.gain_mean <= 0 and au.gain_mean <= 0), number=float(max(do.gain_mean, au.gain_mean)),
                    note=f"mean test-accuracy change against the baseline over {int(do.seeds)} seeds (paired); "
                         f"dropout ahead in {int(do.wins)}, augmentation in {int(au.wins)} of {int(do.seeds)}")


def claim_gain_shrinks(g: pd.DataFrame) -> Measured:
    """Whether NetAug's mean gain [points] at the largest model size of a `gains` table is
    below the smallest size's (number: largest minus smallest)."""
    checks.check_type("g", g, pd.DataFrame)
    gn = g[g.method == "netaug"].sort_values("base_width")
    if len(gn) < 2:
        raise ValueError("g must hold NetAug gains for at least 2 model sizes (a `gains` table of size_sweep)")
    diff = float(gn.gain_mean.iloc[-1] - gn.gain_mean.iloc[0])
    spread = float(gn.gain_std.max())
    return Measured(" -> ".join(f"{v:+.1f}" for v in gn.gain_mean), bool(diff < 0), number=diff,
                    note="base widths " + ", ".join(f"{w:g}" for w in gn.base_width) +
                         f"; the seed-to-seed spread (std up to {spread:.1f} points) is larger than the differences "
                         "at our scale")


def model_cost(net: nn.Module) -> dict[str, int]:
    """Parameters and MACs of a tiny model on one 1x8x8 image."""
    checks.check_type("net", net, TinyNet)
    return dict(params=count_params(net), macs=count_macs(net, (1, 8, 8)))


def mults(max_mult: float, n: int) -> tuple[float, ...]:
    """n multipliers evenly spaced from 1.0 to max_mult (2.6, 3 -> 1.0, 1.8, 2.6)."""
    max_mult = checks.check_number("max_mult", max_mult, lo=1.0, hi=8.0)
    return tuple(float(round(v, 3)) for v in np.linspace(1.0, max_mult, checks.check_int("n", n, lo=1, hi=100)))

