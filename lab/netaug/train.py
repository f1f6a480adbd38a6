"""Network Augmentation for Tiny Deep Learning (H. Cai, C. Gan, J. Lin, S. Han; ICLR 2022).

Backs notebooks/01_netaug.ipynb (the training; figures and explorer in views.py).

Tiny networks under-fit, so regularisers that fight over-fitting (dropout, data
augmentation) do not help them. NetAug augments the *model* instead: the tiny network
is the first units of every layer of wider networks that share its weights. Each
training step adds the loss of one randomly sampled wider network to the tiny
network's loss; at the end the tiny network is exported alone, at zero inference cost.

Here, at laptop scale, on MNIST-1D (`data.py`, signals (N, 40)):

1. `TinyNet` is a two-hidden-layer ReLU network built from dynamic-width layers
   (`lab.core.nets.DynamicLinear`) whose weights hold the widest augmented shape; the tiny
   model is the first units of each weight. `width` scales the base of BASE_HIDDEN units.
2. The augmented widths are the tiny widths times a multiplier drawn per hidden layer from
   `width_mults` (the tiny model itself, 1.0, is one of them).
3. Each step: loss = tiny model's loss + alpha * the sampled augmented model's loss, one
   backward pass, one optimiser step.
4. `export_tiny` copies the tiny model's weight slices into a plain `TinyNet` of exactly the
   baseline's shape.
5. As in the authors' `train.py`: NetAug's last `plain_epochs` epochs train the tiny model
   alone (their `stop_netaug_epoch`), and every method keeps the epoch whose tiny model scores
   best on a validation split (their `best.pt`), here carved from the training signals
   (`validation_split`), never the test split.

Pairing: for one seed, baseline and NetAug start from the same tiny-model weights (the
NetAug super-network's first units are the baseline's initial weights) and see the same
batches in the same order; the augmented widths come from a separate generator. The
validation split is the same for every seed and method.
Accuracies are fractions in [0, 1]; gains are in percentage points.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from lab.core import checks, torch_device
from lab.core.stats import mean_interval, paired_interval
from lab.core.claims import Measured
from lab.core.nets import DynamicLinear, count_params

from .data import LENGTH, MAX_SAMPLES, N_CLASSES, Signals

WIDTH_MULTS = (1.0, 1.8, 2.6)   # augmentation multipliers (the authors' width multipliers)
BASE_HIDDEN = 16                # hidden units per layer at width 1
N_LAYERS = 2                    # hidden layers
METHODS = ("baseline", "dropout", "augment", "netaug")
MAX_SEEDS = 100                 # seeds of one comparison
MAX_EPOCHS = 1000               # 1000 epochs of the widest model take about ten minutes on a laptop core
MAX_WIDTH = 32.0                # 512 hidden units per layer
VAL_SEED = 0                    # the permutation that carves the validation split (fixed: one split for all runs)
MAX_VAL_FRAC = 0.5              # at most half the training signals go to validation


def _signals(name: str, x, min_size: int = 1) -> torch.Tensor:
    """A finite float tensor of signals (N, 40) (numpy arrays are converted)."""
    if not torch.is_tensor(x):
        x = torch.from_numpy(np.asarray(checks.check_array(name, x, ndim=2, dtype_kind="f"), dtype=np.float32))
    if x.dim() != 2 or x.shape[1] != LENGTH or not x.is_floating_point():
        raise ValueError(f"{name} must be a float tensor of shape (N, {LENGTH}); got {x.dtype} {tuple(x.shape)}")
    if x.shape[0] < min_size:
        raise ValueError(f"{name} must hold at least {min_size} signal(s); got {x.shape[0]}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must be finite; found {int((~torch.isfinite(x)).sum())} non-finite value(s)")
    return x


def hidden_units(width: float) -> int:
    """Hidden units per layer of the model of width `width` (0.0625..MAX_WIDTH): round(16 * width), at least 1."""
    width = checks.check_number("width", width, lo=0.0625, hi=MAX_WIDTH)
    return max(1, int(round(BASE_HIDDEN * width)))


# ----------------------------------------------------------------------------- data augmentation
def augment_batch(x: torch.Tensor, gen: torch.Generator, max_shift: int = 3, noise: float = 0.1) -> torch.Tensor:
    """Data augmentation for signals x (N, 40): a random shift by up to `max_shift` samples
    (0..10, zero fill) and Gaussian noise of std `noise` (0..2, the signals have std 1)."""
    x = _signals("x", x)
    checks.check_type("gen", gen, torch.Generator)
    max_shift = checks.check_int("max_shift", max_shift, lo=0, hi=10)
    noise = checks.check_number("noise", noise, lo=0.0, hi=2.0)
    n, length = x.shape
    pad = F.pad(x, (max_shift, max_shift))
    start = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen).to(x.device)
    idx = start[:, None] + torch.arange(length, device=x.device)[None]
    out = torch.gather(pad, 1, idx)
    return out + noise * torch.randn(out.shape, generator=gen).to(x.device)


# ----------------------------------------------------------------------------- the network
class TinyNet(nn.Module):
    """A ReLU network 40 -> h -> h -> 10 with h = hidden_units(width), built from dynamic-width
    layers sized for the widest augmented model (h * max_mult units). forward(x, hidden) runs the
    sub-network with `hidden` units per layer (default: the tiny model). x: (N, 40) signals."""

    def __init__(self, width: float = 1.0, max_mult: float = 1.0, dropout: float = 0.0):
        super().__init__()
        self.width = checks.check_number("width", width, lo=0.0625, hi=MAX_WIDTH)
        self.max_mult = checks.check_number("max_mult", max_mult, lo=1.0, hi=8.0)
        dropout = checks.check_number("dropout", dropout, lo=0.0, hi=1.0, hi_open=True)
        h = hidden_units(self.width)
        self.base = (h,) * N_LAYERS
        wide = max(h, int(round(h * self.max_mult)))
        dims = [LENGTH] + [wide] * N_LAYERS
        self.hidden = nn.ModuleList(DynamicLinear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.drop = nn.Dropout(dropout)
        self.head = DynamicLinear(wide, N_CLASSES)

    def widths(self, mults: float | Sequence[float] = 1.0) -> tuple[int, ...]:
        """Hidden units per layer for per-layer multipliers (a number applies to every layer)
        in [1, max_mult]."""
        if mults is None or isinstance(mults, (str, bytes)) or not (np.isscalar(mults) or hasattr(mults, "__len__")):
            raise TypeError(f"mults must be a number or a sequence of numbers; got {type(mults).__name__}")
        ms = [mults] * N_LAYERS if np.isscalar(mults) else list(mults)
        if len(ms) != N_LAYERS:
            raise ValueError(f"mults must be a number or {N_LAYERS} numbers; got {len(ms)}")
        ms = [checks.check_number("mults", m, lo=1.0, hi=self.max_mult) for m in ms]
        cap = self.head.in_features
        return tuple(min(cap, max(1, int(round(b * m)))) for b, m in zip(self.base, ms))

    def forward(self, x: torch.Tensor, hidden: Sequence[int] | None = None) -> torch.Tensor:
        x = _signals("x", x)
        if x.dtype != self.head.weight.dtype:
            raise TypeError(f"x must be a {self.head.weight.dtype} tensor (the weights' dtype; numpy arrays are "
                            f"converted to float32); got {x.dtype}")
        hidden = self.base if hidden is None else tuple(hidden)
        if len(hidden) != N_LAYERS:
            raise ValueError(f"hidden must hold {N_LAYERS} unit counts; got {hidden}")
        for layer, h in zip(self.hidden, hidden):
            x = F.relu(layer(x, checks.check_int("hidden", h, lo=1, hi=layer.out_features)))
        return self.head(self.drop(x))


def sample_widths(net: TinyNet, width_mults: Sequence[float], gen: torch.Generator) -> tuple[int, ...]:
    """One augmented model: a multiplier drawn uniformly from `width_mults` (each in [1, 8]) per
    hidden layer; returns its hidden units per layer."""
    checks.check_type("net", net, TinyNet)
    checks.check_type("gen", gen, torch.Generator)
    opts = [float(m) for m in checks.check_array("width_mults", width_mults, ndim=1, lo=1.0, hi=8.0)]
    return net.widths([opts[int(i)] for i in torch.randint(len(opts), (N_LAYERS,), generator=gen)])


@torch.no_grad()
def export_tiny(net: TinyNet) -> TinyNet:
    """A plain TinyNet of the base shape holding the tiny model's weight slices (on the CPU)."""
    checks.check_type("net", net, TinyNet)
    plain = TinyNet(net.width, 1.0, dropout=net.drop.p)
    sd = plain.state_dict()
    for name, p in net.state_dict().items():
        sd[name] = p[tuple(slice(0, s) for s in sd[name].shape)].detach().cpu().clone()
    plain.load_state_dict(sd)
    return plain.eval()


def model_cost(net: nn.Module) -> dict[str, int]:
    """Parameters and multiply-accumulates of the tiny model on one signal."""
    checks.check_type("net", net, TinyNet)
    dims = [LENGTH, *net.base, N_CLASSES]
    plain = export_tiny(net) if net.max_mult > 1 else net
    return dict(params=count_params(plain), macs=int(sum(a * b for a, b in zip(dims[:-1], dims[1:]))))


# ----------------------------------------------------------------------------- training
@dataclass
class Result:
    """One training run: the tiny model's mean training loss per epoch [nats], the kept model's
    train/test accuracy (fractions; train on the signals it was fitted on), the exported tiny
    model, its validation accuracy per epoch (fractions; empty without a validation split) and
    the kept epoch (1-based: the best validation epoch, or the last one without a split)."""
    method: str
    seed: int
    width: float
    loss_curve: list[float]
    train_acc: float
    test_acc: float
    model: TinyNet = field(repr=False)
    val_curve: list[float] = field(default_factory=list)
    best_epoch: int = 0

    def __post_init__(self):
        checks.check_choice("method", self.method, METHODS)
        checks.check_int("seed", self.seed, lo=0, hi=2**32 - 1)
        checks.check_number("width", self.width, lo=0.0625, hi=MAX_WIDTH)
        checks.check_array("loss_curve", self.loss_curve, ndim=1)
        checks.check_number("train_acc", self.train_acc, lo=0.0, hi=1.0)
        checks.check_number("test_acc", self.test_acc, lo=0.0, hi=1.0)
        checks.check_type("model", self.model, TinyNet)
        if self.val_curve is None or isinstance(self.val_curve, (str, bytes)) or not hasattr(self.val_curve, "__len__"):
            raise TypeError(f"val_curve must be a list of accuracies; got {type(self.val_curve).__name__}")
        if len(self.val_curve):
            checks.check_array("val_curve", self.val_curve, ndim=1, lo=0.0, hi=1.0)
        checks.check_int("best_epoch", self.best_epoch, lo=0, hi=len(self.loss_curve))


@torch.no_grad()
def accuracy(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of correct predictions of the tiny model. x: (N, 40) signals; y: (N,) class labels."""
    checks.check_type("net", net, nn.Module)
    x = _signals("x", x)
    if not torch.is_tensor(y):
        y = torch.from_numpy(checks.check_array("y", y, ndim=1, dtype_kind="iu")).long()
    if y.dim() != 1 or len(y) != len(x) or y.is_floating_point() or y.is_complex():
        raise ValueError(f"y must be an integer tensor of shape ({len(x)},); got {y.dtype} {tuple(y.shape)}")
    dev = next(net.parameters()).device
    was = net.training
    net.eval()
    try:
        with torch.no_grad():
            logits = net(x.to(dev))
    finally:
        net.train(was)
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= logits.shape[1]):
        raise ValueError(f"y must hold class indices in [0, {logits.shape[1] - 1}] (net's {logits.shape[1]} "
                         f"classes); got [{int(y.min())}, {int(y.max())}]")
    acc = (logits.argmax(1).cpu() == y.cpu()).float().mean().item()
    return float(acc)


def validation_split(n_train: int, val_frac: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices (fit, val) of `n_train` training signals (2..MAX_SAMPLES) with round(val_frac * n_train)
    of them (val_frac 0..MAX_VAL_FRAC; 0: no split) held out for checkpoint selection. The permutation
    is fixed (VAL_SEED), so every seed and method shares one split; both index arrays are sorted."""
    n_train = checks.check_int("n_train", n_train, lo=2, hi=MAX_SAMPLES)
    val_frac = checks.check_number("val_frac", val_frac, lo=0.0, hi=MAX_VAL_FRAC)
    n_val = int(round(val_frac * n_train))
    if val_frac > 0 and n_val < 1:
        raise ValueError(f"val_frac must hold out at least one of the {n_train} training signals; got {val_frac:g}")
    perm = np.random.default_rng(VAL_SEED).permutation(n_train)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def train(method: str, data: Signals, seed: int, epochs: int = 30, width: float = 1.0, batch: int = 256,
          lr: float = 0.01, dropout: float = 0.3, alpha: float = 1.0,
          width_mults: Sequence[float] = WIDTH_MULTS, plain_epochs: int = 0, val_frac: float = 0.1) -> Result:
    """Train the tiny model with one method ("baseline", "dropout", "augment", "netaug").
    data: a `Signals` split. epochs: 1..MAX_EPOCHS. Adam with cosine learning-rate decay on
    `lab.core.torch_device()`; `seed` fixes the initial tiny weights and the batch order (shared by
    all methods), the augmentations and the sampled augmented models. NetAug's step loss is the
    tiny model's loss plus `alpha` times one sampled augmented model's, except in the last
    `plain_epochs` epochs (0..epochs - 1), where the tiny model trains alone (the authors'
    `stop_netaug_epoch`; other methods ignore it). `val_frac` (0..MAX_VAL_FRAC) of the training
    signals (`validation_split`) are held out: after every epoch the tiny model is scored on them and
    the first epoch with the best score is kept (the authors' `best.pt`); with 0 the last epoch is kept.
    Returns the exported tiny model of the kept epoch."""
    checks.check_choice("method", method, METHODS)
    checks.check_type("data", data, Signals)
    seed = checks.check_int("seed", seed, lo=0, hi=2**32 - 1)
    epochs = checks.check_int("epochs", epochs, lo=1, hi=MAX_EPOCHS)
    width = checks.check_number("width", width, lo=0.0625, hi=MAX_WIDTH)
    batch = checks.check_int("batch", batch, lo=1, hi=100_000)
    lr = checks.check_number("lr", lr, lo=0.0, hi=10.0, lo_open=True)
    dropout = checks.check_number("dropout", dropout, lo=0.0, hi=1.0, hi_open=True)
    alpha = checks.check_number("alpha", alpha, lo=0.0, hi=10.0)
    mults_arr = checks.check_array("width_mults", width_mults, ndim=1, lo=1.0, hi=8.0)
    if mults_arr.min() != 1.0:
        raise ValueError(f"width_mults must contain 1.0 (the tiny model itself); got {list(width_mults)}")
    plain_epochs = checks.check_int("plain_epochs", plain_epochs, lo=0, hi=epochs - 1)
    fit_idx, val_idx = validation_split(len(data.y_train), val_frac)
    if not len(fit_idx):
        raise ValueError("val_frac must leave training signals to fit on")
    dev = torch_device()
    x_train = torch.from_numpy(data.x_train[fit_idx]).to(dev)
    y_train = torch.from_numpy(data.y_train[fit_idx]).to(dev)
    x_val, y_val = torch.from_numpy(data.x_train[val_idx]), torch.from_numpy(data.y_train[val_idx])
    aug = method == "netaug"
    torch.manual_seed(seed)
    net = TinyNet(width, dropout=dropout if method == "dropout" else 0.0)
    if aug:  # the super-network's first units start from the baseline's initial weights
        tiny0, net = net, TinyNet(width, float(mults_arr.max()))
        with torch.no_grad():
            for p, p0 in zip(net.parameters(), tiny0.parameters()):
                p[tuple(slice(0, s) for s in p0.shape)] = p0
    net = net.to(dev)
    order = torch.Generator().manual_seed(seed)            # batch order: the same for every method
    rand = torch.Generator().manual_seed(seed + 2**31)     # augmentations and sampled widths
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    n = len(y_train)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * ((n + batch - 1) // batch))
    curve, val_curve, best, best_epoch = [], [], -1.0, epochs
    net.train()
    for ep in range(epochs):
        augmented = aug and alpha > 0 and ep < epochs - plain_epochs   # the plain tail trains the tiny model alone
        perm = torch.randperm(n, generator=order).to(dev)
        ep_loss = 0.0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            x, y = x_train[idx], y_train[idx]
            if method == "augment":
                x = augment_batch(x, rand)
            loss = F.cross_entropy(net(x), y)
            ep_loss += float(loss.detach()) * len(idx)
            if augmented:
                loss = loss + alpha * F.cross_entropy(net(x, sample_widths(net, mults_arr, rand)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        curve.append(ep_loss / n)
        if not np.isfinite(curve[-1]):
            raise ValueError(f"training diverged (non-finite loss) with lr={lr:g}; use a smaller lr")
        if len(val_idx):  # the tiny model on the validation split; the first best epoch is kept
            val_curve.append(accuracy(net, x_val, y_val))
            if val_curve[-1] > best:
                best, best_epoch, kept = val_curve[-1], ep + 1, copy.deepcopy(net.state_dict())
    if len(val_idx):
        net.load_state_dict(kept)
    tiny = export_tiny(net)
    return Result(method, seed, float(width), curve, accuracy(tiny, data.x_train[fit_idx], data.y_train[fit_idx]),
                  accuracy(tiny, data.x_test, data.y_test), tiny, val_curve, best_epoch)


def _seeds(seeds) -> list[int]:
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a sequence of ints; got {type(seeds).__name__}")
    seeds = [checks.check_int("seeds", sd, lo=0, hi=2**31 - 1) for sd in seeds]
    if not 1 <= len(seeds) <= MAX_SEEDS:
        raise ValueError(f"seeds must hold 1..{MAX_SEEDS} seeds; got {len(seeds)}")
    return seeds


def check_results(results, name: str = "results") -> list:
    """`results` as a non-empty list of `Result` (TypeError naming `name` otherwise)."""
    results = list(results) if isinstance(results, (list, tuple)) else results
    if not isinstance(results, list) or not results or not all(isinstance(r, Result) for r in results):
        raise TypeError(f"{name} must be a non-empty list of netaug.Result")
    return results


def compare(data: Signals, seeds: Sequence[int], methods: Sequence[str] = METHODS, **kw) -> list[Result]:
    """Train every method with every seed (same settings otherwise; `kw` go to `train`)."""
    from tqdm.auto import tqdm
    checks.check_type("data", data, Signals)
    seeds = _seeds(seeds)
    if isinstance(methods, str) or not methods:
        raise ValueError(f"methods must be a non-empty list drawn from {list(METHODS)}; got {methods!r}")
    methods = [checks.check_choice("methods", m, METHODS) for m in methods]
    runs = [(m, s) for m in methods for s in seeds]
    return [train(m, data, s, **kw) for m, s in tqdm(runs, desc="training", leave=False)]


def size_sweep(data: Signals, sizes: Sequence[float], seeds: Sequence[int], done: Sequence[Result] = (),
               **kw) -> list[Result]:
    """Baseline and NetAug for every model width in `sizes` (at most 16) and seed; runs already
    in `done` (same width, method and seed) are reused, not retrained. `kw` go to `train`."""
    from tqdm.auto import tqdm
    checks.check_type("data", data, Signals)
    seeds = _seeds(seeds)
    sizes = [checks.check_number("sizes", w, lo=0.0625, hi=MAX_WIDTH)
             for w in checks.check_array("sizes", sizes, ndim=1)]
    if len(sizes) > 16:
        raise ValueError(f"sizes must list at most 16 model widths; got {len(sizes)}")
    if "width" in kw:
        raise TypeError("size_sweep takes the widths from sizes, not width")
    done = [] if isinstance(done, (list, tuple)) and not done else check_results(done, "done")
    have = {(r.method, r.width, r.seed): r for r in done}
    runs = [(w, m, sd) for w in sizes for m in ("baseline", "netaug") for sd in seeds]
    out = []
    for w, m, sd in tqdm(runs, desc="size sweep", leave=False):
        r = have.get((m, float(w), sd))
        out.append(r if r is not None else train(m, data, sd, width=float(w), **kw))
    return out


def _frame(results) -> pd.DataFrame:
    return pd.DataFrame([dict(method=r.method, width=r.width, seed=r.seed, train=100 * r.train_acc,
                              test=100 * r.test_acc) for r in check_results(results)])


def summary(results: Sequence[Result]) -> pd.DataFrame:
    """Mean and std (over seeds) of train/test accuracy [%] per method and model width, with the
    tiny model's hidden units and parameters."""
    df = _frame(results)
    g = df.groupby(["width", "method"], sort=False)
    out = g.agg(train_mean=("train", "mean"), train_std=("train", "std"), test_mean=("test", "mean"),
                test_std=("test", "std"), seeds=("seed", "count")).reset_index()
    out.insert(1, "hidden", [hidden_units(w) for w in out.width])
    out.insert(2, "params", [count_params(TinyNet(w)) for w in out.width])
    return out


def gains(results: Sequence[Result], reference: str = "baseline", level: float = 0.95) -> pd.DataFrame:
    """Per method and width: test-accuracy gain over `reference` [points], paired by seed: mean,
    half-width of its paired t-interval at `level` (`lab.core.stats`; NaN with one seed), sample std
    (ddof=1), wins (seeds where the method is ahead). Results without runs of `reference` are refused."""
    df = _frame(results)
    checks.check_choice("reference", reference, METHODS)
    level = checks.check_number("level", level, lo=0.5, hi=1.0, lo_open=True, hi_open=True)
    if not (df.method == reference).any():
        raise ValueError(f"results must hold runs of the reference {reference!r} (the gains are over it); they hold "
                         f"{sorted(set(df.method))}")
    ref = df[df.method == reference].set_index(["width", "seed"]).test
    rows = []
    for (w, m), grp in df[df.method != reference].groupby(["width", "method"], sort=False):
        g = grp.set_index(["width", "seed"]).test
        d = (g - ref.reindex(g.index)).dropna()
        if not len(d):
            continue
        if len(d) > 1:
            iv = mean_interval(d.to_numpy(), level, paired=True)
            mean, half = iv.mean, iv.hi - iv.mean
        else:
            mean, half = float(d.mean()), float("nan")
        rows.append(dict(width=w, params=count_params(TinyNet(w)), method=m, gain_mean=mean, gain_half=half,
                         gain_std=float(d.std(ddof=1)) if len(d) > 1 else 0.0, wins=int((d > 0).sum()),
                         seeds=len(d)))
    return pd.DataFrame(rows, columns=["width", "params", "method", "gain_mean", "gain_half", "gain_std", "wins",
                                       "seeds"])


# ----------------------------------------------------------------------------- claims
def _by_seed(results, method: str, width: float) -> pd.Series:
    df = _frame(results)
    sel = df[(df.method == method) & (df.width == width)].set_index("seed")
    if len(sel) < 2:
        raise ValueError(f"results must hold at least 2 seeds of {method!r} at width {width:g}")
    return sel


def _paired(a: pd.Series, b: pd.Series, level: float):
    """The paired t-interval of a - b over the seeds both hold (`lab.core.stats.paired_interval`)."""
    both = a.index.intersection(b.index)
    return paired_interval(a.loc[both].to_numpy(), b.loc[both].to_numpy(), level)


def claim_gain(results: Sequence[Result], width: float, level: float = 0.95) -> Measured:
    """NetAug's test-accuracy gain over the baseline [points] at model width `width`, paired by seed;
    holds when its paired t-interval at `level` (`lab.core.stats`) lies above 0."""
    width = checks.check_number("width", width, lo=0.0625, hi=MAX_WIDTH)
    level = checks.check_number("level", level, lo=0.5, hi=1.0, lo_open=True, hi_open=True)
    base, na = _by_seed(results, "baseline", width), _by_seed(results, "netaug", width)
    iv = _paired(na.test, base.test, level)
    d = (na.test - base.test.reindex(na.index)).dropna()
    std = d.std(ddof=1)
    if iv.above(0.0):
        why = ""
    elif iv.below(0.0):
        why = "Not reproduced: the interval lies below 0 (NetAug lowers the tiny model's test accuracy). "
    else:
        why = (f"Not reproduced: the interval includes 0 (half-width {iv.hi - iv.mean:.2f} points with {iv.n} seeds); "
               f"the paired gain's seed-to-seed std ({std:.1f} points) is "
               f"{'larger than' if std > abs(iv.mean) else 'comparable to'} its mean. ")
    return Measured(iv.text(2, signed=True, short=True), iv.above(0.0), number=iv.mean,
                    note=why + f"NetAug − baseline {iv.text(2, ' points', signed=True)}, paired by seed (same "
                         f"data, initial tiny weights and batch order); NetAug ahead in {int((d > 0).sum())}; tiny "
                         f"model {count_params(TinyNet(width))} parameters; baseline {base.test.mean():.1f} %, "
                         f"NetAug {na.test.mean():.1f} % test accuracy")


def claim_gain_shrinks(results: Sequence[Result], small: float, large: float, level: float = 0.95) -> Measured:
    """NetAug's gain at width `large` minus its gain at width `small` [points], paired by seed (the
    same seeds at both widths); holds when its paired t-interval (`lab.core.stats`) lies below 0."""
    small = checks.check_number("small", small, lo=0.0625, hi=MAX_WIDTH)
    large = checks.check_number("large", large, lo=0.0625, hi=MAX_WIDTH)
    if not large > small:
        raise ValueError(f"large must exceed small ({small:g}); got {large:g}")
    level = checks.check_number("level", level, lo=0.5, hi=1.0, lo_open=True, hi_open=True)
    gain = {w: (_by_seed(results, "netaug", w).test - _by_seed(results, "baseline", w).test) for w in (small, large)}
    iv = _paired(gain[large].dropna(), gain[small].dropna(), level)
    return Measured(f"{gain[small].mean():+.2f} -> {gain[large].mean():+.2f} (change {iv.text(2, signed=True, short=True)})",
                    iv.below(0.0), number=iv.mean,
                    note=f"gain at width {large:g} ({count_params(TinyNet(large))} parameters) minus gain at width "
                         f"{small:g} ({count_params(TinyNet(small))}): {iv.text(2, ' points', signed=True)}")


def claim_underfits(results: Sequence[Result], small: float, large: float, level: float = 0.95,
                    min_gap: float = 5.0) -> Measured:
    """The baseline's training accuracy at width `large` minus at width `small` [points], paired by
    seed; holds when its paired t-interval (`lab.core.stats`) lies above `min_gap` points (0..100) and
    the small model's mean training accuracy is below 90 %: the small model cannot fit what a larger one fits."""
    small = checks.check_number("small", small, lo=0.0625, hi=MAX_WIDTH)
    large = checks.check_number("large", large, lo=0.0625, hi=MAX_WIDTH)
    if not large > small:
        raise ValueError(f"large must exceed small ({small:g}); got {large:g}")
    level = checks.check_number("level", level, lo=0.5, hi=1.0, lo_open=True, hi_open=True)
    min_gap = checks.check_number("min_gap", min_gap, lo=0.0, hi=100.0)
    a, b = _by_seed(results, "baseline", small), _by_seed(results, "baseline", large)
    iv = _paired(b.train, a.train, level)
    return Measured(f"train {a.train.mean():.1f} % vs {b.train.mean():.1f} % (gap {iv.text(1, short=True)})",
                    bool(iv.above(min_gap) and a.train.mean() < 90.0), number=iv.mean,
                    note=f"baseline training accuracy, width {small:g} ({count_params(TinyNet(small))} parameters) "
                         f"vs {large:g} ({count_params(TinyNet(large))}): gap {iv.text(1, ' points')}; test "
                         f"{a.test.mean():.1f} % vs {b.test.mean():.1f} %")


def claim_regularisers_hurt(results: Sequence[Result], width: float, level: float = 0.95) -> Measured:
    """Dropout's and data augmentation's test-accuracy change against the baseline [points] at width
    `width`, paired by seed; holds when neither paired t-interval (`lab.core.stats`) lies above 0
    (number: the larger mean)."""
    width = checks.check_number("width", width, lo=0.0625, hi=MAX_WIDTH)
    level = checks.check_number("level", level, lo=0.5, hi=1.0, lo_open=True, hi_open=True)
    base = _by_seed(results, "baseline", width)
    ci = {m: _paired(_by_seed(results, m, width).test, base.test, level) for m in ("dropout", "augment")}
    return Measured(", ".join(f"{m} {iv.text(2, signed=True, short=True)}" for m, iv in ci.items()),
                    not any(iv.above(0.0) for iv in ci.values()),
                    number=float(max(iv.mean for iv in ci.values())),
                    note="paired test-accuracy change against the baseline: "
                         + "; ".join(f"{m} {iv.text(2, ' points', signed=True)}" for m, iv in ci.items()))


def mults(max_mult: float, n: int) -> tuple[float, ...]:
    """n multipliers evenly spaced from 1.0 to max_mult (1..8; 2.6, 3 -> 1.0, 1.8, 2.6); n in 1..100."""
    max_mult = checks.check_number("max_mult", max_mult, lo=1.0, hi=8.0)
    return tuple(float(round(v, 3)) for v in np.linspace(1.0, max_mult, checks.check_int("n", n, lo=1, hi=100)))
