"""Encoders for 8x8 digits, contrastive pre-training (SimCLR, NaCl, MixNaCl, the integrated
IntCl, IntNaCl, and the adversarial-only baseline A2A), a supervised reference, linear probes on
frozen features and their standard and robust accuracy.

Integrated loss (our reading of the paper's framework): L = L(clean views) + λ·L(adversarial
views), where the adversarial views are the views moved by FGSM (or PGD) within ‖δ‖∞ ≤ ε_train
to increase the same contrastive loss. IntCl uses SimCLR's loss, IntNaCl uses NaCl's.

Adversarial-only baseline "a2a" (ACL's A2A variant, Jiang et al. 2020): SimCLR's loss on the
adversarial views alone, L = L(views + δ*), with δ* found by the same attack as the integrated
methods' (both views perturbed, same ε_train and steps), and no clean term (λ is unused).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.scale import check_presets
from ..core.checks import check_int, check_number, check_type
from ..core.device import one_thread, torch_device
from ..data.digits import Digits
from .attacks import ascend, check_label_range, fgsm, pgd
from .augment import check_images, n_views
from .losses import mixnacl_loss, nacl_loss, nacl_unchecked, nt_xent, nt_xent_unchecked

METHODS = ("simclr", "nacl", "mixnacl", "intcl", "intnacl", "a2a")
FIGURE1 = ("simclr", "nacl", "intcl", "intnacl")
INTEGRATED = ("intcl", "intnacl")
ADVERSARIAL_ONLY = "a2a"         # the adversarial-only contrastive baseline (ACL's A2A)
NAMES = {"simclr": "SimCLR", "nacl": "NaCl", "mixnacl": "MixNaCl", "intcl": "IntCl", "intnacl": "IntNaCl",
         "a2a": "A2A", "supervised": "supervised"}
TWO_VIEWS = ("simclr", "intcl", "a2a")
MAX_SEEDS = 20


class Encoder(nn.Module):
    """An MLP encoder for (N, 1, 8, 8) images: 64 → hidden → feat_dim features (ReLU), and a
    projection head feat_dim → feat_dim → proj_dim used only by the contrastive loss
    (SimCLR's convention). hidden, feat_dim, proj_dim in [2, 1024]."""

    def __init__(self, hidden: int = 128, feat_dim: int = 64, proj_dim: int = 32):
        super().__init__()
        hidden = check_int("hidden", hidden, lo=2, hi=1024)
        feat_dim = check_int("feat_dim", feat_dim, lo=2, hi=1024)
        proj_dim = check_int("proj_dim", proj_dim, lo=2, hi=1024)
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, feat_dim),
                                  nn.ReLU())
        self.head = nn.Sequential(nn.Linear(feat_dim, feat_dim), nn.ReLU(), nn.Linear(feat_dim, proj_dim))
        self.feat_dim = feat_dim

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, feat_dim) representation of images (N, 1, 8, 8) float32 (what the probe sees)."""
        return self.body(check_batch("x", x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, proj_dim) projection of images (N, 1, 8, 8) float32 (what the contrastive loss sees)."""
        return self.head(self.body(check_batch("x", x)))


def check_batch(name: str, x) -> torch.Tensor:
    """The cheap checks of a model's input (type, dtype, shape, and finiteness by one sum: a finite sum
    means finite pixels): a finite float32 tensor (N, 1, 8, 8), N >= 1. Raises naming `name`."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(x).__name__}")
    if x.dtype != torch.float32:
        raise TypeError(f"{name} must be a float32 tensor (the model's weights are float32); got {x.dtype}")
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 8, 8) or x.shape[0] < 1:
        raise ValueError(f"{name} must have shape (N >= 1, 1, 8, 8); got {tuple(x.shape)}")
    if not np.isfinite(float(x.detach().sum())) and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must be finite; found {int((~torch.isfinite(x)).sum())} NaN or inf pixel(s)")
    return x


@dataclass(frozen=True)
class TrainConfig:
    """Pre-training settings. epochs in [1, 500]; batch in [4, 2048]; tau (temperature) in
    [0.01, 10]; positives (NaCl's positives per anchor: K = positives + 1 views) in [1, 8];
    lam (weight of the adversarial term) in [0, 10]; eps_train (L∞ radius of the training
    attack, pixel units) in [0, 0.5]; attack_steps (1 = FGSM, more = PGD) in [1, 20];
    lr in (0, 1]; hidden, feat_dim, proj_dim: encoder sizes (see Encoder); aug: keyword
    arguments of `augment`; mix_alpha: Beta(α, α) of the mixup weight, in (0, 10]."""
    epochs: int = 20
    batch: int = 256
    tau: float = 0.5
    positives: int = 3
    lam: float = 1.0
    eps_train: float = 0.1
    attack_steps: int = 1
    lr: float = 3e-3
    hidden: int = 128
    feat_dim: int = 64
    proj_dim: int = 32
    mix_alpha: float = 1.0
    aug: dict = field(default_factory=lambda: dict(shift_px=1.0, rotate_deg=12.0, scale=0.1, noise=0.05))

    def __post_init__(self):
        check_int("epochs", self.epochs, lo=1, hi=500)
        check_int("batch", self.batch, lo=4, hi=2048)
        check_number("tau", self.tau, lo=0.01, hi=10.0)
        check_int("positives", self.positives, lo=1, hi=8)
        check_number("lam", self.lam, lo=0.0, hi=10.0)
        check_number("eps_train", self.eps_train, lo=0.0, hi=0.5)
        check_int("attack_steps", self.attack_steps, lo=1, hi=20)
        check_number("lr", self.lr, lo=0.0, hi=1.0, lo_open=True)
        Encoder(self.hidden, self.feat_dim, self.proj_dim)  # checks the sizes
        check_number("mix_alpha", self.mix_alpha, lo=0.0, hi=10.0, lo_open=True)
        check_type("aug", self.aug, dict)
        unknown = set(self.aug) - {"shift_px", "rotate_deg", "scale", "noise"}
        if unknown:
            raise ValueError(f"aug must only hold shift_px, rotate_deg, scale, noise; got {sorted(unknown)}")
        try:
            n_views(torch.zeros(1, 1, 8, 8), 1, generator=torch.Generator(), **self.aug)  # checks the values
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"aug: {exc}") from None

    def n_views(self, method: str) -> int:
        """Views per image: 2 for SimCLR, IntCl and A2A, positives + 1 for the NaCl family."""
        return 2 if method in TWO_VIEWS else self.positives + 1


def _method(method, name: str = "method") -> str:
    check_type(name, method, str)
    if method not in METHODS:
        raise ValueError(f"{name} must be one of {list(METHODS)}; got {method!r}")
    return method


def _seed(seed, name: str = "seed") -> int:
    return check_int(name, seed, lo=0, hi=2**31 - 1)


def contrastive_loss(method: str, model: Encoder, views: torch.Tensor, cfg: TrainConfig,
                     generator: torch.Generator) -> torch.Tensor:
    """The method's loss (scalar, nats) on views (K, B, 1, 8, 8): SimCLR/IntCl's NT-Xent on
    two views, NaCl/IntNaCl's NCA loss on K views, MixNaCl = NaCl + its mixup term; the
    integrated methods add λ·(the same loss on adversarial views); A2A is NT-Xent on the
    adversarial views alone (ε_train = 0 makes it SimCLR)."""
    method = _method(method)
    check_type("model", model, Encoder)
    check_type("cfg", cfg, TrainConfig)
    check_type("generator", generator, torch.Generator)
    check_type("views", views, torch.Tensor)
    if views.ndim != 5 or tuple(views.shape[2:]) != (1, 8, 8) or views.shape[0] < 2:
        raise ValueError(f"views must have shape (K >= 2, B, 1, 8, 8); got {tuple(views.shape)}")
    check_images("views", views.reshape(-1, 1, 8, 8))
    k, b = views.shape[:2]
    if b < 2:
        raise ValueError(f"views must hold at least 2 images (B >= 2: the others are the negatives); got B = {b}")
    if method in TWO_VIEWS and k != 2:
        raise ValueError(f"views must hold exactly 2 views for {method}; got {k}")

    def base(v: torch.Tensor) -> torch.Tensor:
        z = model(v.reshape(k * b, 1, 8, 8)).reshape(k, b, -1)
        return nt_xent_unchecked(z[0], z[1], cfg.tau) if method in TWO_VIEWS \
            else nacl_unchecked(z, cfg.tau)

    if method == ADVERSARIAL_ONLY:
        return base(ascend(base, views, eps=cfg.eps_train, steps=cfg.attack_steps) if cfg.eps_train > 0 else views)
    loss = base(views)
    if method == "mixnacl":
        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
        lam = float(rng.beta(cfg.mix_alpha, cfg.mix_alpha))
        perm = torch.randperm(b, generator=generator)
        mixed = lam * views[0] + (1 - lam) * views[0][perm]
        bank = model(views[1:].reshape((k - 1) * b, 1, 8, 8)).reshape(k - 1, b, -1)
        loss = loss + mixnacl_loss(model(mixed), bank, perm=perm, lam=lam, tau=cfg.tau)
    if method in INTEGRATED and cfg.lam > 0 and cfg.eps_train > 0:
        adv = ascend(base, views, eps=cfg.eps_train, steps=cfg.attack_steps)
        loss = loss + cfg.lam * base(adv)
    return loss


def pretrain(x: torch.Tensor, *, method: str, cfg: TrainConfig, seed: int = 0) -> Encoder:
    """Pre-train an Encoder on unlabelled images x (N, 1, 8, 8) in [0, 1], N >= 4, with one of
    METHODS for cfg.epochs epochs of Adam. All randomness (initial weights, batches,
    augmentations, mixup) comes from `seed`; torch's global generator is left untouched. Trains on
    `lab.core.torch_device()` (LAB_DEVICE, the CPU by default; augmentations are drawn on the CPU) and
    returns the encoder on the CPU."""
    x = check_images("x", x)
    method = _method(method)
    check_type("cfg", cfg, TrainConfig)
    seed = _seed(seed)
    if x.shape[0] < 4:
        raise ValueError(f"x must hold at least 4 images; got {x.shape[0]}")
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Encoder(cfg.hidden, cfg.feat_dim, cfg.proj_dim)
    dev = torch_device()
    model.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    k = cfg.n_views(method)
    n = x.shape[0]
    batch = min(cfg.batch, n)
    # a 8x8 digit MLP: a second intra-op thread only spins (measured: the small scale's pre-training took
    # 40 s on two threads, 25 s on one)
    with one_thread():
        for _ in range(cfg.epochs):
            order = torch.randperm(n, generator=g)
            for start in range(0, n - batch + 1, batch):
                xb = x[order[start:start + batch]]
                views = n_views(xb, k, generator=g, **cfg.aug).to(dev)
                loss = contrastive_loss(method, model, views, cfg, g)
                opt.zero_grad()
                loss.backward()
                opt.step()
    return model.eval().cpu()


def train_supervised(x: torch.Tensor, y: torch.Tensor, *, cfg: TrainConfig, seed: int = 0) -> Encoder:
    """The supervised reference: the same Encoder trained end to end with cross-entropy on
    labels y (N,) int64 through a linear layer, on one augmented view per image, for
    cfg.epochs epochs (no adversarial training). Returns the encoder (its features are
    probed like the others'), on the CPU; it trains on `lab.core.torch_device()`."""
    x = check_images("x", x)
    check_type("cfg", cfg, TrainConfig)
    seed = _seed(seed)
    check_type("y", y, torch.Tensor)
    if y.dtype != torch.int64 or y.shape != (x.shape[0],) or int(y.min()) < 0 or int(y.max()) > 99:
        raise ValueError(f"y must be an int64 tensor of shape ({x.shape[0]},) with labels in 0..99")
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Encoder(cfg.hidden, cfg.feat_dim, cfg.proj_dim)
        head = nn.Linear(cfg.feat_dim, int(y.max()) + 1)
    dev = torch_device()
    model.to(dev)
    head.to(dev)
    opt = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=cfg.lr)
    n = x.shape[0]
    batch = min(cfg.batch, n)
    with one_thread():          # as in `pretrain`
        for _ in range(cfg.epochs):
            order = torch.randperm(n, generator=g)
            for start in range(0, n - batch + 1, batch):
                idx = order[start:start + batch]
                v = n_views(x[idx], 1, generator=g, **cfg.aug)[0].to(dev)
                loss = F.cross_entropy(head(model.features(v)), y[idx].to(dev))
                opt.zero_grad()
                loss.backward()
                opt.step()
    return model.eval().cpu()


class Probed(nn.Module):
    """A frozen encoder's features followed by a linear probe: logits (N, C) from images."""

    def __init__(self, encoder: Encoder, linear: nn.Linear):
        super().__init__()
        check_type("encoder", encoder, Encoder)
        check_type("linear", linear, nn.Linear)
        self.encoder, self.linear = encoder, linear

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, C) of images (N, 1, 8, 8) float32."""
        return self.linear(self.encoder.features(check_batch("x", x)))


def fit_probe(encoder: Encoder, x: torch.Tensor, y: torch.Tensor, *, C: float = 1.0) -> Probed:
    """Fit scikit-learn's LogisticRegression (lbfgs, L2 penalty 1/C, C in [1e-4, 1e4]) on the
    frozen features of clean images x with labels y (N,) int64 (at least 2 classes), and
    return encoder + probe as one torch module (the probe's weights copied in), so that
    attacks differentiate through both."""
    from sklearn.linear_model import LogisticRegression

    check_type("encoder", encoder, Encoder)
    x = check_images("x", x)
    check_type("y", y, torch.Tensor)
    if y.dtype != torch.int64 or y.shape != (x.shape[0],):
        raise ValueError(f"y must be an int64 tensor of shape ({x.shape[0]},)")
    C = check_number("C", C, lo=1e-4, hi=1e4)
    yn = y.numpy()
    if len(np.unique(yn)) < 2 or yn.min() != 0:
        raise ValueError("y must hold at least 2 classes, numbered from 0")
    with torch.no_grad():
        f = encoder.features(x).double().numpy()
    with one_thread():          # lbfgs on a 64-feature problem: BLAS threads only spin
        clf = LogisticRegression(C=C, max_iter=2000).fit(f, yn)
    lin = nn.Linear(f.shape[1], int(yn.max()) + 1)
    with torch.no_grad():
        w = np.zeros((int(yn.max()) + 1, f.shape[1]))
        bias = np.full(int(yn.max()) + 1, -1e4)   # a class absent from training is never predicted
        w[clf.classes_] = clf.coef_ if len(clf.classes_) > 2 else np.vstack([-clf.coef_, clf.coef_]) / 2
        bias[clf.classes_] = clf.intercept_ if len(clf.classes_) > 2 else np.r_[-clf.intercept_, clf.intercept_] / 2
        lin.weight.copy_(torch.from_numpy(w))
        lin.bias.copy_(torch.from_numpy(bias))
    for p in [*encoder.parameters(), *lin.parameters()]:
        p.requires_grad_(False)
    return Probed(encoder, lin).eval()


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float = 0.0, attack: str = "fgsm",
             steps: int = 10) -> float:
    """Accuracy in % of model on x, y after an L∞ attack of radius eps (0: clean images).
    attack: "fgsm" or "pgd" (steps in [1, 200])."""
    check_type("model", model, nn.Module)
    x = check_images("x", x)
    check_type("y", y, torch.Tensor)
    if y.dtype != torch.int64 or y.shape != (x.shape[0],):
        raise ValueError(f"y must be an int64 tensor of shape ({x.shape[0]},)")
    eps = check_number("eps", eps, lo=0.0, hi=1.0)
    check_type("attack", attack, str)
    if attack not in ("fgsm", "pgd"):
        raise ValueError(f"attack must be 'fgsm' or 'pgd'; got {attack!r}")
    steps = check_int("steps", steps, lo=1, hi=200)
    check_label_range(model, x, y)
    if eps > 0:
        x = fgsm(model, x, y, eps=eps) if attack == "fgsm" else pgd(model, x, y, eps=eps, steps=steps)
    with torch.no_grad():
        return float((model(x).argmax(1) == y).double().mean() * 100)


def check_digits(name: str, d) -> Digits:
    check_type(name, d, Digits)
    if d.x_train.ndim != 4:
        raise ValueError(f"{name} must be loaded with flat=False (images (N, 1, 8, 8))")
    return d


@dataclass
class Run:
    """One trained model: method, seed, the probed model, and its accuracies in % (a dict
    'standard' and f'robust@{eps:g}'), and the CPU seconds its pre-training took."""
    method: str
    seed: int
    model: Probed | None
    acc: dict
    cpu_s: float

    def __post_init__(self):
        check_type("method", self.method, str)
        if self.method not in NAMES:
            raise ValueError(f"method must be one of {list(NAMES)}; got {self.method!r}")
        _seed(self.seed)
        if self.model is not None:
            check_type("model", self.model, Probed)
        check_type("acc", self.acc, dict)
        if "standard" not in self.acc:
            raise ValueError("acc must hold a 'standard' accuracy")
        for k, v in self.acc.items():
            check_type("acc", k, str)
            check_number("acc", v, lo=0.0, hi=100.0)
        check_number("cpu_s", self.cpu_s, lo=0.0)


def run_methods(pretrain_data: Digits, probe_data: Digits | None = None, *, methods=FIGURE1,
                seeds=(0, 1, 2), cfg: TrainConfig, eps=(0.002, 0.05), attack: str = "fgsm",
                supervised: bool = True, overrides: dict | None = None) -> list[Run]:
    """Pre-train each method (and the supervised reference) on pretrain_data's training
    images for each seed, probe on probe_data's training split (default: the same data),
    and measure test accuracy, clean and under the attack at each eps (pixel units).
    methods: names from METHODS; seeds: 1..20 distinct ints; eps: 1..8 radii in (0, 0.5];
    overrides: {method: TrainConfig} for methods trained with settings of their own (e.g. A2A at
    its own ε_train), every key one of `methods`; the others use cfg."""
    pretrain_data = check_digits("pretrain_data", pretrain_data)
    probe_data = pretrain_data if probe_data is None else check_digits("probe_data", probe_data)
    check_type("cfg", cfg, TrainConfig)
    methods = tuple(_method(m, "methods") for m in _seq("methods", methods, 1, len(METHODS)))
    seeds = tuple(_seed(s, "seeds") for s in _seq("seeds", seeds, 1, MAX_SEEDS))
    eps = tuple(check_number("eps", e, lo=0.0, hi=0.5, lo_open=True) for e in _seq("eps", eps, 1, 8))
    if not isinstance(supervised, bool):
        raise TypeError("supervised must be a bool")
    check_type("attack", attack, str)
    if attack not in ("fgsm", "pgd"):
        raise ValueError(f"attack must be 'fgsm' or 'pgd'; got {attack!r}")
    overrides = {} if overrides is None else overrides
    check_type("overrides", overrides, dict)
    for k, v in overrides.items():
        if k not in methods:
            raise ValueError(f"overrides must only name methods being run {list(methods)}; got {k!r}")
        check_type("overrides", v, TrainConfig)
    xp, yp = torch.from_numpy(pretrain_data.x_train), torch.from_numpy(pretrain_data.y_train)
    xtr, ytr, xte, yte = probe_data.torch()
    runs = []
    for m in methods + (("supervised",) if supervised else ()):
        for s in seeds:
            t0 = time.process_time()
            enc = train_supervised(xp, yp, cfg=cfg, seed=s) if m == "supervised" else \
                pretrain(xp, method=m, cfg=overrides.get(m, cfg), seed=s)
            cpu = time.process_time() - t0
            model = fit_probe(enc, xtr, ytr)
            acc = {"standard": accuracy(model, xte, yte)}
            for e in eps:
                acc[f"robust@{e:g}"] = accuracy(model, xte, yte, eps=e, attack=attack)
            runs.append(Run(m, s, model, acc, cpu))
    return runs


def scales_markdown(scales) -> str:
    """The **Scales.** settings of notebook 04, written from the presets `scales` (preset name ->
    settings, as `lab.nacl.SCALES`: methods, epochs, batch, positives, seeds, eps, eps_grid,
    explorer_epochs, a2a_eps_train), so its numbers are the ones that run. Markdown text."""
    need = ("methods", "epochs", "batch", "positives", "seeds", "eps", "eps_grid", "explorer_epochs",
            "a2a_eps_train")
    parts = []
    for name, c in check_presets(scales, need, "lab.nacl.SCALES"):
        methods = [_method(m, "scales") for m in _seq("scales", c["methods"], 1, len(METHODS))]
        for k in ("epochs", "batch", "positives", "explorer_epochs"):
            check_int("scales", c[k], lo=1, hi=10_000)
        _seq("scales", c["seeds"], 1, MAX_SEEDS)
        for e in (*_seq("scales", c["eps"], 1, 8), *_seq("scales", c["eps_grid"], 1, 16), c["a2a_eps_train"]):
            check_number("scales", e, lo=0.0, hi=0.5)
        grid = ", ".join(f"{e:g}" for e in c["eps_grid"])
        parts.append(f"`{name}` pre-trains {', '.join(NAMES[m] for m in methods)} and the supervised reference for "
                     f"{c['epochs']} epochs each (batch {c['batch']}, {c['positives']} NaCl positives per anchor) over "
                     f"{len(c['seeds'])} seeds, on the full digits and again for the transfer task; it reports robust "
                     f"accuracy at ε = {' and '.join(f'{e:g}' for e in c['eps'])} and sweeps ε over {grid}; "
                     + (f"A2A trains at ε_train = {c['a2a_eps_train']:g}; " if ADVERSARIAL_ONLY in methods else "")
                     + f"the explorer trains its encoders for {c['explorer_epochs']} epochs.")
    trained = {m for c in scales.values() for m in c["methods"]}
    absent = [NAMES[m] for m in METHODS if m not in trained]
    tail = f" No preset trains {', '.join(absent)} (its loss is implemented and tested only)." if absent else ""
    return " ".join(parts) + tail


def _seq(name: str, v, lo: int, hi: int) -> tuple:
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        raise TypeError(f"{name} must be a sequence; got {type(v).__name__}")
    if isinstance(v, (np.ndarray, torch.Tensor)) and v.ndim != 1:
        raise ValueError(f"{name} must be a flat sequence; got shape {tuple(v.shape)}")
    v = tuple(v.tolist() if isinstance(v, (np.ndarray, torch.Tensor)) else v)
    if not lo <= len(v) <= hi:
        raise ValueError(f"{name} must hold {lo}..{hi} entries; got {len(v)}")
    try:
        hash(v)
    except TypeError:
        raise TypeError(f"{name} must hold plain numbers or names") from None
    if len(set(v)) != len(v):
        raise ValueError(f"{name} must not repeat entries; got {list(v)}")
    return v


def table(runs: list[Run]) -> pd.DataFrame:
    """One row per run: method, seed, accuracies in %, pre-training CPU seconds."""
    check_type("runs", runs, list)
    if not runs or not all(isinstance(r, Run) for r in runs):
        raise ValueError("runs must be a non-empty list of Run (from run_methods)")
    return pd.DataFrame([dict(method=NAMES[r.method], seed=r.seed, **r.acc, cpu_s=r.cpu_s) for r in runs])


def summary(runs: list[Run]) -> pd.DataFrame:
    """Mean ± std over seeds per method (columns '<metric> mean', '<metric> std')."""
    df = table(runs).drop(columns="seed")
    g = df.groupby("method", sort=False)
    out = pd.concat({"mean": g.mean(), "std": g.std(ddof=1).fillna(0.0)}, axis=1)
    out.columns = [f"{c} {s}" for s, c in out.columns]
    return out[[c for m in df.columns[1:] for c in (f"{m} mean", f"{m} std")]]


def retune(cfg: TrainConfig, **changes) -> TrainConfig:
    """cfg with some fields replaced (checked again)."""
    check_type("cfg", cfg, TrainConfig)
    unknown = set(changes) - set(cfg.__dataclass_fields__)
    if unknown:
        raise ValueError(f"changes must name TrainConfig fields; unknown {sorted(unknown)}")
    return replace(cfg, **changes)


def nca_connection(*, n: int = 16, d: int = 8, tau: float = 0.5, seed: int = 0) -> dict:
    """The NCA view of SimCLR on a random batch: n images (2..512), two views each, embeddings
    of d dims (2..256). Returns SimCLR's NT-Xent, the NCA loss with the two views of an image
    as its class and a uniform prior, their absolute difference, the same NCA loss under a
    non-uniform prior (weights 1..3 at random, to show the prior matters), and NaCl's loss
    with two views (which must equal SimCLR's). All in nats."""
    from .losses import nca_loss
    n = check_int("n", n, lo=2, hi=512)
    d = check_int("d", d, lo=2, hi=256)
    tau = check_number("tau", tau, lo=0.01, hi=10.0)
    g = torch.Generator().manual_seed(_seed(seed))
    z1 = torch.randn(n, d, generator=g, dtype=torch.float64)
    z2 = z1 + 0.5 * torch.randn(n, d, generator=g, dtype=torch.float64)
    labels = torch.arange(n).repeat(2)
    simclr = float(nt_xent(z1, z2, tau=tau))
    nca = float(nca_loss(torch.cat([z1, z2]), labels=labels, tau=tau))
    w = 1 + 2 * torch.rand(2 * n, generator=g, dtype=torch.float64)
    return dict(simclr=simclr, nca_uniform=nca, abs_diff=abs(simclr - nca),
                nca_nonuniform=float(nca_loss(torch.cat([z1, z2]), labels=labels, tau=tau, weights=w)),
                nacl_two_views=float(nacl_loss(torch.stack([z1, z2]), tau=tau)))


def eps_sweep(runs: list[Run], data: Digits, *, eps_grid=(0.0, 0.002, 0.01, 0.02, 0.05, 0.1, 0.15),
              attacks=("fgsm",), steps: int = 10) -> pd.DataFrame:
    """Robust test accuracy (%) of every run's probed model at each radius of eps_grid (1..16
    values in [0, 0.5], pixel units) under each attack of `attacks` ("fgsm", "pgd"; PGD with
    `steps` steps, 1..200): columns method, seed, attack, eps, accuracy."""
    check_type("runs", runs, list)
    if not runs or not all(isinstance(r, Run) and r.model is not None for r in runs):
        raise ValueError("runs must be a non-empty list of Run with models (from run_methods)")
    data = check_digits("data", data)
    grid = tuple(check_number("eps_grid", e, lo=0.0, hi=0.5) for e in _seq("eps_grid", eps_grid, 1, 16))
    attacks = _seq("attacks", attacks, 1, 2)
    for a in attacks:
        if a not in ("fgsm", "pgd"):
            raise ValueError(f"attacks must hold 'fgsm' and/or 'pgd'; got {a!r}")
    steps = check_int("steps", steps, lo=1, hi=200)
    _, _, xte, yte = data.torch()
    rows = [dict(method=NAMES[r.method], seed=r.seed, attack=a, eps=e,
                 accuracy=accuracy(r.model, xte, yte, eps=e, attack=a, steps=steps))
            for a in attacks for r in runs for e in grid]
    return pd.DataFrame(rows)
