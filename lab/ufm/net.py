"""The depth network of lab.ufm, which backs notebooks/11_ufm.ipynb (Uncertainty from Motion,
S. Sudhakar, S. Karaman, V. Sze, ICRA 2022): a small heteroscedastic CNN and its ensemble.

Each member maps a grayscale frame to a per-pixel Gaussian over depth: a mean in
metres and a log-variance in log(m²), trained with the Gaussian negative
log-likelihood (Kendall & Gal 2017). An ensemble is N members trained alike from
different seeds (Lakshminarayanan et al. 2017). Training data are frames of the
synthetic indoor scene of `lab.data.scenes`, rendered at reduced resolution.

The trained ensemble ships as `data/ufm/ensemble.npz` (float16 weights, < 1 MB);
`python -m lab.ufm train` regenerates it deterministically (one CPU thread, fixed
seeds) under build/ and says whether it is byte-identical to the shipped file. Each
member trains in a fresh process with oneDNN's kernels held to AVX2 (TRAIN_ENV): left
to itself, oneDNN picks AVX-512 convolutions where the CPU has them, which round
differently, so an AVX-512 machine would not reproduce weights trained on an AVX2 one.
"""
from __future__ import annotations

import json
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..core.archive import write_npz
from ..core.checks import check_array, check_bool, check_int, check_number, check_type
from ..core.device import torch_device
from ..core.paths import build_dir, data_dir

WEIGHTS_FILE = "ufm/ensemble.npz"
# The environment each member trains in: oneDNN (torch's CPU convolutions) limited to AVX2, so the weights
# do not depend on whether an x86-64 CPU also has AVX-512 (the shipped members 0-4, trained on an AVX2 machine,
# come out bit for bit on an AVX-512 one only so). Other CPUs ignore it and may round differently.
TRAIN_ENV = {"ONEDNN_MAX_CPU_ISA": "AVX2"}
LOGVAR_MIN, LOGVAR_MAX = -12.0, 4.0


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines the shipped ensemble.

    width, height: frame size in pixels. n_members: ensemble size (10, the authors'
    `ensemble_size: 10` in mit-lean/ufm's configuration/examples/config_1.yaml). channels: base
    width of the CNN. train_seeds: scene trajectories used for training (layout
    "indoor"). frames_per_sequence, deg_per_frame: frames rendered per
    trajectory and the camera step between them (degrees). epochs, batch,
    lr: Adam schedule. warmup_epochs: epochs that fit the mean by squared error
    before the full Gaussian NLL. member_seed0: member k is seeded member_seed0 + k, so
    member k's weights do not depend on n_members.
    """
    width: int = 64
    height: int = 48
    n_members: int = 10
    channels: int = 10
    train_seeds: tuple[int, ...] = tuple(range(100, 124))
    frames_per_sequence: int = 15
    deg_per_frame: float = 3.0
    epochs: int = 32
    batch: int = 8
    lr: float = 2e-3
    warmup_epochs: int = 4
    member_seed0: int = 1000

    def __post_init__(self):
        for name, lo, hi in (("width", 8, 4096), ("height", 8, 4096), ("n_members", 1, 64), ("channels", 1, 256),
                             ("frames_per_sequence", 1, 10_000), ("epochs", 1, 10_000), ("batch", 1, 10_000),
                             ("warmup_epochs", 0, 10_000), ("member_seed0", 0, 2**31 - 1 - 64)):
            check_int(name, getattr(self, name), lo=lo, hi=hi)
        if self.width % 8 or self.height % 8:
            raise ValueError(f"width and height must be multiples of 8; got {self.width}x{self.height}")
        if not isinstance(self.train_seeds, tuple) or not 1 <= len(self.train_seeds) <= 10_000:
            raise TypeError(f"train_seeds must be a tuple of 1 to 10000 seeds; got {self.train_seeds!r}")
        for s in self.train_seeds:
            check_int("train_seeds", s, lo=0, hi=2**32 - 1)
        check_number("deg_per_frame", self.deg_per_frame, lo=0.0, hi=30.0)
        check_number("lr", self.lr, lo=0.0, lo_open=True, hi=10.0)


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.ReLU(inplace=True))


class DepthNet(nn.Module):
    """Encoder-decoder with skip connections.

    Input: gray [B, H, W] in [0, 1] (H, W multiples of 8). Two normalised pixel
    coordinate channels are appended inside, so the net knows where in the image a
    pixel lies. Output: (depth [B, H, W] in m, log_var [B, H, W] in log(m²)).
    """

    def __init__(self, channels: int = 10):
        super().__init__()
        channels = check_int("channels", channels, lo=1, hi=256)
        c1, c2 = channels, 2 * channels
        self.enc1 = _block(3, c1)
        self.enc2 = _block(c1, c2, 2)
        self.enc3 = _block(c2, c2, 2)
        self.enc4 = _block(c2, c2, 2)
        self.mid = _block(c2, c2)
        self.dec3 = _block(2 * c2, c2)
        self.dec2 = _block(2 * c2, c2)
        self.dec1 = _block(c2 + c1, c1)
        self.head = nn.Conv2d(c1, 2, 1)

    def forward(self, gray: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_type("gray", gray, torch.Tensor)
        dtype = self.head.weight.dtype
        if gray.dtype != dtype:
            raise TypeError(f"gray must be a {dtype} tensor (the net's weights are {dtype}); got {gray.dtype}")
        if gray.ndim != 3 or gray.shape[0] < 1 or min(gray.shape[1:]) < 8 or gray.shape[1] % 8 or gray.shape[2] % 8:
            raise ValueError(f"gray must have shape [B >= 1, H, W] with H, W positive multiples of 8; "
                             f"got {tuple(gray.shape)}")
        with torch.no_grad():
            lo, hi = float(gray.min()), float(gray.max())    # NaN fails both comparisons below
        if not (lo >= 0.0 and hi <= 1.0):
            raise ValueError(f"gray must be finite, in [0, 1]; got values in [{lo:g}, {hi:g}]")
        b, h, w = gray.shape
        ys = torch.linspace(-1, 1, h, dtype=gray.dtype).view(1, h, 1).expand(b, h, w)
        xs = torch.linspace(-1, 1, w, dtype=gray.dtype).view(1, 1, w).expand(b, h, w)
        x = torch.stack([gray, xs, ys], dim=1)
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        m = self.mid(self.enc4(e3))
        up = lambda t, ref: F.interpolate(t, size=ref.shape[-2:], mode="nearest")  # noqa: E731
        d3 = self.dec3(torch.cat([up(m, e3), e3], 1))
        d2 = self.dec2(torch.cat([up(d3, e2), e2], 1))
        d1 = self.dec1(torch.cat([up(d2, e1), e1], 1))
        out = self.head(d1)
        depth = 0.05 + F.softplus(out[:, 0] + 2.0)
        log_var = out[:, 1].clamp(LOGVAR_MIN, LOGVAR_MAX)
        return depth, log_var


def gaussian_nll_loss(depth: torch.Tensor, log_var: torch.Tensor, target: torch.Tensor,
                      mask: torch.Tensor) -> torch.Tensor:
    """Mean Gaussian NLL (without the constant) over pixels where mask is True.
    depth, log_var, target: float tensors of one shape, finite; mask: a bool tensor of that
    shape selecting at least one pixel."""
    for name, t in (("depth", depth), ("log_var", log_var), ("target", target), ("mask", mask)):
        check_type(name, t, torch.Tensor)
        if t.shape != depth.shape:
            raise ValueError(f"{name} must have the shape of depth {tuple(depth.shape)}; got {tuple(t.shape)}")
    for name, t in (("depth", depth), ("log_var", log_var), ("target", target)):
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor; got {t.dtype}")
        if not bool(torch.isfinite(t.detach()).all()):
            raise ValueError(f"{name} must be finite; found NaN or inf")
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor; got {mask.dtype}")
    if not bool(mask.any()):
        raise ValueError("mask must select at least one pixel (the mean over no pixel is undefined)")
    r2 = (target - depth) ** 2
    nll = 0.5 * (log_var + r2 * torch.exp(-log_var))
    return nll[mask].mean()


def _check_frames(gray, depth):
    gray = check_array("gray", gray, ndim=3, lo=0.0, hi=1.0)
    depth = check_array("depth", depth, shape=gray.shape, lo=0.0)
    if gray.shape[1] % 8 or gray.shape[2] % 8:
        raise ValueError(f"gray must have height and width divisible by 8; got {gray.shape[1:]}")
    return gray, depth


def train_member(gray: np.ndarray, depth: np.ndarray, seed: int, config: TrainConfig = TrainConfig(),
                 progress: bool = False) -> tuple[DepthNet, list[float]]:
    """Train one member on frames gray [T, H, W] in [0, 1] with target depth [T, H, W] m
    (0 = no measurement, ignored). Deterministic for a given seed on one thread.
    Returns the net (eval mode, on the CPU) and the mean training loss per epoch. Trains on
    `lab.core.torch_device()` (LAB_DEVICE, the CPU by default)."""
    gray, depth = _check_frames(gray, depth)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    check_type("config", config, TrainConfig)
    progress = check_bool("progress", progress)
    torch.manual_seed(seed)
    dev = torch_device()
    net = DepthNet(config.channels).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.epochs)
    g = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(gray, dtype=torch.float32).to(dev)
    y = torch.as_tensor(depth, dtype=torch.float32).to(dev)
    losses = []
    for epoch in range(config.epochs):
        order = torch.randperm(len(x), generator=g)
        total, count = 0.0, 0
        for i in range(0, len(x), config.batch):
            idx = order[i:i + config.batch].to(dev)
            xb, yb = x[idx], y[idx]
            mask = yb > 0
            mu, lv = net(xb)
            if epoch < config.warmup_epochs:  # fit the mean first, the variance beside it
                loss = ((mu - yb) ** 2)[mask].mean() + gaussian_nll_loss(mu.detach(), lv, yb, mask)
            else:
                loss = gaussian_nll_loss(mu, lv, yb, mask)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            count += len(idx)
        sched.step()
        losses.append(total / count)
        if progress:
            print(f"  seed {seed} epoch {epoch + 1}/{config.epochs} loss {losses[-1]:.4f}", flush=True)
    net.eval().cpu()
    return net, losses


def training_frames(config: TrainConfig = TrainConfig()) -> tuple[np.ndarray, np.ndarray]:
    """Gray [T, H, W] and noisy sensor depth [T, H, W] m (0 = hole) of the training
    trajectories (layout "indoor", seeds `config.train_seeds`)."""
    from ..data import scenes

    check_type("config", config, TrainConfig)
    grays, depths = [], []
    for s in config.train_seeds:
        fr = scenes.render_sequence(n_frames=config.frames_per_sequence, width=config.width,
                                    height=config.height, layout="indoor", seed=s, noise=True,
                                    deg_per_frame=config.deg_per_frame)
        grays.append(fr.gray)
        depths.append(fr.depth_noisy)
    return np.concatenate(grays).astype(np.float32), np.concatenate(depths).astype(np.float32)


# ---------------------------------------------------------------- storage

def _to_arrays(nets: list[DepthNet]) -> dict[str, np.ndarray]:
    out = {}
    for k, net in enumerate(nets):
        for name, t in net.state_dict().items():
            out[f"m{k}/{name}"] = t.detach().numpy().astype(np.float16)
    return out


def save_ensemble(nets: list[DepthNet], config: TrainConfig, path: Path, meta: dict | None = None) -> Path:
    """Write the members' weights (float16) and the training config to an .npz file.
    The archive carries fixed timestamps, so equal weights give a byte-identical file."""
    check_type("nets", nets, list)
    if not nets or not all(isinstance(n, DepthNet) for n in nets):
        raise TypeError("nets must be a non-empty list of DepthNet")
    check_type("config", config, TrainConfig)
    if not isinstance(path, (str, Path)) or not str(path) or any(ord(ch) < 32 for ch in str(path)):
        raise TypeError(f"path must be a str or pathlib.Path naming an .npz file; got {path!r}")
    if meta is not None and not isinstance(meta, dict):
        raise TypeError(f"meta must be a dict of JSON-friendly values or None; got {type(meta).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {"config": asdict(config), **(meta or {})}
    arrays = {"__config__": np.array(json.dumps(info, sort_keys=True)), **_to_arrays(nets)}
    return write_npz(path, arrays)


@dataclass
class Ensemble:
    """N trained members plus the config they were trained with."""
    nets: list[DepthNet]
    config: TrainConfig
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        check_type("nets", self.nets, list)
        if not self.nets or not all(isinstance(n, DepthNet) for n in self.nets):
            raise TypeError("nets must be a non-empty list of DepthNet")
        check_type("config", self.config, TrainConfig)
        check_type("info", self.info, dict)

    @property
    def n(self) -> int:
        return len(self.nets)


def load_ensemble(path: str | Path | None = None) -> Ensemble:
    """Read an ensemble written by `save_ensemble` (default: the shipped data/ufm/ensemble.npz).
    A missing file, a file that is not such an archive, lacks a member's weight, holds weights of
    the wrong shape or non-finite weights is refused with a ValueError naming the file and the reason."""
    if path is not None and not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or pathlib.Path naming an ensemble .npz; got {type(path).__name__}")
    path = Path(path) if path is not None else data_dir() / WEIGHTS_FILE
    if not path.is_file():
        raise ValueError(f"path must name an existing ensemble file; {path} not found (regenerate the shipped one "
                         "with `python -m lab.ufm train --out data/ufm/ensemble.npz`)")

    def refuse(reason: str):
        return ValueError(f"path: {path} is not a usable UfM ensemble: {reason}")

    try:
        with np.load(path, allow_pickle=False) as z:
            if "__config__" not in z.files:
                raise refuse("no __config__ entry (not written by save_ensemble)")
            info = json.loads(str(z["__config__"]))
            cfg = dict(info["config"])
            cfg["train_seeds"] = tuple(cfg["train_seeds"])
            config = TrainConfig(**cfg)
            nets = []
            for k in range(config.n_members):
                net = DepthNet(config.channels)
                sd = {}
                for name, ref in net.state_dict().items():
                    key = f"m{k}/{name}"
                    if key not in z.files:
                        raise refuse(f"member {k} lacks the weight {name!r}")
                    arr = z[key]
                    if arr.shape != tuple(ref.shape):
                        raise refuse(f"weight {key!r} has shape {arr.shape}, expected {tuple(ref.shape)}")
                    if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)):
                        raise refuse(f"weight {key!r} is not finite floating point")
                    sd[name] = torch.from_numpy(arr.astype(np.float32))
                net.load_state_dict(sd)
                net.eval()
                nets.append(net)
    except ValueError as exc:
        if str(exc).startswith(f"path: {path}"):
            raise
        raise refuse(f"{type(exc).__name__}: {exc}") from None
    except (OSError, EOFError, KeyError, TypeError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise refuse(f"{type(exc).__name__}: {exc}") from None
    return Ensemble(nets, config, info)


def _train_member_job(args):
    gray, depth, seed, config = args
    torch.set_num_threads(1)
    net, losses = train_member(gray, depth, seed, config)
    return {k: v.detach().clone() for k, v in net.state_dict().items()}, losses


def train_ensemble(config: TrainConfig = TrainConfig(), path: str | Path | None = None,
                   workers: int = 1, progress: bool = True) -> Path:
    """Render the training frames, train `config.n_members` members and save them to `path`
    (default: build/ufm/ensemble.npz; the shipped data/ufm/ensemble.npz is only written when
    named explicitly). Each member trains on one CPU thread in a fresh process started with
    TRAIN_ENV, `workers` such processes side by side, so the result is bit-for-bit the same
    whatever `workers` and whatever the x86-64 CPU (AVX2 or AVX-512) and whatever ran before
    in the calling process. Member k is seeded config.member_seed0 + k."""
    import multiprocessing as mp
    import os

    check_type("config", config, TrainConfig)
    workers = check_int("workers", workers, lo=1, hi=64)
    progress = check_bool("progress", progress)
    path = Path(path) if path is not None else build_dir("ufm") / Path(WEIGHTS_FILE).name
    t0 = time.perf_counter()
    gray, depth = training_frames(config)
    jobs = [(gray, depth, config.member_seed0 + k, config) for k in range(config.n_members)]
    saved = {k: os.environ.get(k) for k in TRAIN_ENV}
    os.environ.update(TRAIN_ENV)            # spawned workers inherit the environment as it is when they start
    try:
        with mp.get_context("spawn").Pool(min(workers, len(jobs))) as pool:
            results = []
            for k, res in enumerate(pool.imap(_train_member_job, jobs)):
                results.append(res)
                if progress:
                    print(f"member {k}: final loss {res[1][-1]:.4f} ({time.perf_counter() - t0:.0f} s)", flush=True)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    nets = []
    for sd, _ in results:
        net = DepthNet(config.channels)
        net.load_state_dict(sd)
        net.eval()
        nets.append(net)
    meta = {"n_train_frames": int(len(gray)), "final_loss": [round(r[1][-1], 4) for r in results]}
    if progress:
        print(f"trained {len(nets)} members in {time.perf_counter() - t0:.0f} s; final losses {meta['final_loss']}")
    return save_ensemble(nets, config, path, meta)


@torch.no_grad()
def predict(net: DepthNet, gray: np.ndarray, batch: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """One member on frames gray [T, H, W] -> (depth [T, H, W] m, variance [T, H, W] m²)."""
    check_type("net", net, DepthNet)
    gray = check_array("gray", gray, ndim=3, lo=0.0, hi=1.0)
    if gray.shape[1] % 8 or gray.shape[2] % 8:
        raise ValueError(f"gray must have height and width divisible by 8; got {gray.shape[1:]}")
    batch = check_int("batch", batch, lo=1, hi=4096)
    x = torch.as_tensor(gray, dtype=torch.float32)
    mus, vs = [], []
    for i in range(0, len(x), batch):
        mu, lv = net(x[i:i + batch])
        mus.append(mu.numpy())
        vs.append(np.exp(lv.numpy()))
    return np.concatenate(mus).astype(np.float64), np.concatenate(vs).astype(np.float64)
