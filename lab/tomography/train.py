"""Training of the learned priors and the tuning of the regularisation weights.

`python -m lab.tomography train [--out PATH]` trains two generators with the same recipe:
one on CircuitFaker objects (the prior PGAN uses) and one on i.i.d. control objects of
the same fill fraction (the control experiment's prior). Each sees the MLE of its objects
measured at the conditions of Figure 2 (drawn at random per object) and is trained with
    L_G = NPCC(G(x_MLE), x) + α · (−D(G(x_MLE))) + w_mse · MSE(G(x_MLE), x),
    L_D = hinge: mean(relu(1 − D(x))) + mean(relu(1 + D(G(x_MLE)))),
with Adam at two timescales (the critic's learning rate above the generator's). The MSE
term is our addition: NPCC is blind to offset and scale, and BER thresholds at 0.5.
Then the TV weight β of MLE+TV and the prior weight λ of PGAN are chosen on validation
objects (never the test objects) from small grids, one value each for all conditions.

Training runs on one CPU thread with deterministic algorithms and a fixed seed, and the
weights are written (float16, fixed zip timestamps) so that a rerun gives the same bytes.
"""
from __future__ import annotations

import json
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from lab.core.archive import write_npz
from lab.core.checks import check_array, check_choice, check_int, check_number, check_type
from lab.core.device import torch_device
from lab.core.paths import build_dir, data_dir

from .models import Discriminator, Generator, npcc_loss
from .phantoms import circuit_faker, expected_fill, iid_objects
from .projector import check_conds, measure
from .recon import SHAPE, ber, mle, mle_tv, pgan

WEIGHTS_FILE = "tomography/priors.npz"
FAMILIES = ("circuit", "iid")
PHOTON_SWEEP = (3, 10, 30, 100, 300, 1000)
ANGLE_SWEEP = (2, 4, 8, 16)
BASE_ANGLES = 4
BASE_PHOTONS = 30


def conditions(photon_sweep=PHOTON_SWEEP, angle_sweep=ANGLE_SWEEP, base_angles: int = BASE_ANGLES,
               base_photons: float = BASE_PHOTONS) -> list[tuple[int, float]]:
    """The (n_angles, photons per ray) pairs of Figure 2: the photon sweep at `base_angles`,
    then the angle sweep at `base_photons` (the shared point once)."""
    ps = check_array("photon_sweep", photon_sweep, ndim=1, lo=1e-3, hi=1e9)
    an = check_array("angle_sweep", angle_sweep, ndim=1, dtype_kind="iu", lo=1, hi=180)
    base_angles = check_int("base_angles", base_angles, lo=1, hi=180)
    base_photons = check_number("base_photons", base_photons, lo=1e-3, hi=1e9)
    if len(ps) > 32 or len(an) > 32:
        raise ValueError("photon_sweep and angle_sweep must hold at most 32 values each")
    out = [(base_angles, float(p)) for p in ps]
    out += [(int(a), base_photons) for a in an if (int(a), base_photons) not in out]
    return out


@dataclass(frozen=True)
class TrainConfig:
    """Everything that fixes the shipped priors (see the module docstring)."""
    width: int = 6
    coords: bool = True
    steps: int = 600
    batch: int = 16
    n_train: int = 640
    n_val: int = 6
    lr_g: float = 3e-3
    lr_d: float = 6e-3
    alpha: float = 1 / 16
    mse_weight: float = 1.0
    mle_iters: int = 100
    seed: int = 0
    beta_grid: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0)
    weight_grid: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0, 30.0)
    conds: tuple[tuple[int, float], ...] = field(default_factory=lambda: tuple(conditions()))

    def __post_init__(self):
        check_int("width", self.width, lo=1, hi=32)
        if not isinstance(self.coords, bool):
            raise TypeError(f"coords must be a bool; got {type(self.coords).__name__}")
        check_int("steps", self.steps, lo=1, hi=100_000)
        check_int("batch", self.batch, lo=1, hi=512)
        check_int("n_train", self.n_train, lo=1, hi=100_000)
        check_int("n_val", self.n_val, lo=1, hi=1000)
        check_number("lr_g", self.lr_g, lo=0.0, hi=1.0, lo_open=True)
        check_number("lr_d", self.lr_d, lo=0.0, hi=1.0, lo_open=True)
        check_number("alpha", self.alpha, lo=0.0, hi=100.0)
        check_number("mse_weight", self.mse_weight, lo=0.0, hi=100.0)
        check_int("mle_iters", self.mle_iters, lo=1, hi=2000)
        check_int("seed", self.seed, lo=0, hi=2**31)
        for name in ("beta_grid", "weight_grid", "conds"):
            v = getattr(self, name)
            if not isinstance(v, tuple) or not v or len(v) > 64:
                raise ValueError(f"{name} must be a non-empty tuple of at most 64 entries; got {v!r}")
        check_array("beta_grid", self.beta_grid, ndim=1, lo=0.0, hi=1e6)
        check_array("weight_grid", self.weight_grid, ndim=1, lo=0.0, hi=1e6)
        check_conds("conds", self.conds)


def objects(family: str, n: int, seed: int) -> np.ndarray:
    """`n` objects (n, 8, 16, 16) of a family: "circuit" (CircuitFaker) or "iid" (control)."""
    check_choice("family", family, FAMILIES)
    n = check_int("n", n, lo=1, hi=100_000)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    return circuit_faker(n, seed) if family == "circuit" else iid_objects(n, seed, expected_fill())


def training_set(family: str, config: TrainConfig, seed: int, n: int) -> tuple[np.ndarray, np.ndarray, list]:
    """Truth (n, 8, 16, 16), MLE (n, 8, 16, 16) and the (n_angles, photons) of each object."""
    check_type("config", config, TrainConfig)
    truth = objects(family, n, seed)
    rng = np.random.default_rng(seed + 1)
    picks = rng.integers(0, len(config.conds), size=len(truth))
    recs, conds = [], []
    for k, x in enumerate(truth):
        na, ph = config.conds[picks[k]]
        y = measure(x, int(na), float(ph), seed=int(seed * 100_003 + k) % 2**32)
        recs.append(mle(y, int(na), float(ph), iters=config.mle_iters))
        conds.append((int(na), float(ph), y))
    return truth, np.asarray(recs), conds


def train_generator(truth: np.ndarray, recs: np.ndarray, config: TrainConfig, seed: int,
                    progress: bool = False) -> tuple[Generator, list[float]]:
    """Train G (and a critic, discarded) on pairs (MLE, truth); returns G in eval mode, on the CPU, and
    the NPCC per 50 steps. Trains on `lab.core.torch_device()` (LAB_DEVICE; the CPU by default, one
    thread, deterministic algorithms)."""
    check_type("config", config, TrainConfig)
    truth = check_array("truth", truth, ndim=4)
    recs = check_array("recs", recs, shape=truth.shape)
    seed = check_int("seed", seed, lo=0, hi=2**31)
    threads, det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        dev = torch_device()
        torch.manual_seed(seed)
        g, d = Generator(config.width, config.coords).to(dev), Discriminator(config.width).to(dev)
        opt_g = torch.optim.Adam(g.parameters(), lr=config.lr_g, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(d.parameters(), lr=config.lr_d, betas=(0.5, 0.999))
        xt = torch.from_numpy(truth[:, None].astype(np.float32)).to(dev)
        xm = torch.from_numpy(recs[:, None].astype(np.float32)).to(dev)
        gen = torch.Generator().manual_seed(seed)
        log, acc = [], 0.0
        for step in range(config.steps):
            idx = torch.randint(0, len(xt), (config.batch,), generator=gen).to(dev)
            real, inp = xt[idx], xm[idx]
            with torch.no_grad():
                fake = g(inp)
            loss_d = F.relu(1 - d(real)).mean() + F.relu(1 + d(fake)).mean()
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            fake = g(inp)
            n_loss = npcc_loss(fake, real)
            loss_g = n_loss - config.alpha * d(fake).mean() + config.mse_weight * F.mse_loss(fake, real)
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            acc += float(n_loss.detach())
            if (step + 1) % 50 == 0:
                log.append(round(acc / 50, 4))
                acc = 0.0
                if progress:
                    print(f"  step {step + 1}: NPCC {log[-1]:.3f}, D loss {float(loss_d.detach()):.3f}", flush=True)
        g.eval().cpu()
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(det)
    return g, log


@torch.no_grad()
def generate(generator: Generator, recs) -> np.ndarray:
    """G applied to MLE volumes: (8, 16, 16) -> (8, 16, 16), or (n, 8, 16, 16) -> (n, 8, 16, 16)."""
    check_type("generator", generator, Generator)
    r = check_array("recs", recs, ndim=(3, 4), lo=-10.0, hi=10.0)
    if r.shape[-3:] != SHAPE:
        raise ValueError(f"recs must end in shape {SHAPE}; got {r.shape}")
    one = r.ndim == 3
    t = torch.from_numpy(np.asarray(r, dtype=np.float32).reshape((-1, 1) + SHAPE))
    out = generator(t)[:, 0].numpy()
    return out[0] if one else out


def _state_arrays(g: Generator) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().astype(np.float16) for k, v in g.state_dict().items()}


def _load_state(arrays: dict[str, np.ndarray], width: int, coords: bool) -> Generator:
    g = Generator(width, coords)
    g.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in arrays.items()})
    g.eval()
    return g


def tune(family: str, generator: Generator, config: TrainConfig, seed: int) -> dict[str, float]:
    """β (MLE+TV) and λ (PGAN) minimising the mean validation BER over the conditions."""
    check_type("generator", generator, Generator)
    truth = objects(family, config.n_val, seed)
    bers_tv = np.zeros(len(config.beta_grid))
    bers_pg = np.zeros(len(config.weight_grid))
    for k, x in enumerate(truth):
        for c, (na, ph) in enumerate(config.conds):
            na, ph = int(na), float(ph)
            y = measure(x, na, ph, seed=(seed * 7919 + 131 * k + c) % 2**32)
            m = mle(y, na, ph, iters=config.mle_iters)
            prior = generate(generator, m)
            for j, b in enumerate(config.beta_grid):
                bers_tv[j] += ber(mle_tv(y, na, ph, b, iters=config.mle_iters), x)
            for j, w in enumerate(config.weight_grid):
                bers_pg[j] += ber(pgan(y, na, ph, prior, w, iters=config.mle_iters), x)
    return {"beta": float(config.beta_grid[int(np.argmin(bers_tv))]),
            "weight": float(config.weight_grid[int(np.argmin(bers_pg))]),
            "val_ber_tv": [round(v / (len(truth) * len(config.conds)), 5) for v in bers_tv],
            "val_ber_pgan": [round(v / (len(truth) * len(config.conds)), 5) for v in bers_pg]}


def save_priors(gens: dict[str, Generator], config: TrainConfig, meta: dict, path: Path) -> Path:
    """Write the generators (float16 state_dict arrays) and config + meta (JSON) to an .npz
    with fixed timestamps, so equal weights give a byte-identical file."""
    check_type("config", config, TrainConfig)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"__config__": np.array(json.dumps({"config": asdict(config), **meta}, sort_keys=True))}
    for fam, g in gens.items():
        arrays.update({f"{fam}/{k}": v for k, v in _state_arrays(g).items()})
    return write_npz(path, arrays)


@dataclass
class Prior:
    """A trained generator with its tuned weights: λ (`weight`, PGAN) and β (`beta`, MLE+TV)."""
    generator: Generator
    weight: float
    beta: float
    family: str
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        check_type("generator", self.generator, Generator)
        check_number("weight", self.weight, lo=0.0, hi=1e6)
        check_number("beta", self.beta, lo=0.0, hi=1e6)
        check_choice("family", self.family, FAMILIES)
        check_type("info", self.info, dict)


def weights_path() -> Path:
    """Where the shipped priors live: data/tomography/priors.npz."""
    return data_dir() / WEIGHTS_FILE


def load_priors(path: str | Path | None = None) -> dict[str, Prior]:
    """The shipped priors (data/tomography/priors.npz), keyed by family ("circuit", "iid")."""
    if path is not None and not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or Path; got {type(path).__name__}")
    path = Path(path) if path is not None else data_dir() / WEIGHTS_FILE
    if not path.is_file():
        raise ValueError(f"path {path} does not exist; regenerate it with `python -m lab.tomography train`")
    try:
        z = np.load(path, allow_pickle=False)
        info = json.loads(str(z["__config__"]))
        width, coords = int(info["config"]["width"]), bool(info["config"]["coords"])
        out = {}
        for fam in FAMILIES:
            arrays = {k[len(fam) + 1:]: z[k] for k in z.files if k.startswith(fam + "/")}
            t = info["tuned"][fam]
            out[fam] = Prior(_load_state(arrays, width, coords), t["weight"], t["beta"], fam, info)
        bad = [f"{fam}/{k}" for fam in FAMILIES for k in z.files if k.startswith(fam + "/")
               and np.issubdtype(z[k].dtype, np.number) and not np.isfinite(z[k]).all()]
        if bad:
            raise ValueError(f"weights that are not finite: {bad[:4]}")
    except (KeyError, ValueError, TypeError, OSError, RuntimeError, AttributeError, EOFError,
            zipfile.BadZipFile) as exc:
        raise ValueError(f"path {path} is not a priors file written by `python -m lab.tomography train` "
                         f"({type(exc).__name__}: {exc})") from None
    return out


def train_all(config: TrainConfig = TrainConfig(), path: str | Path | None = None, progress: bool = True) -> Path:
    """Train both priors, tune β and λ on validation objects, and save (default build/tomography/priors.npz)."""
    check_type("config", config, TrainConfig)
    path = Path(path) if path is not None else build_dir("tomography") / "priors.npz"
    gens, tuned, logs = {}, {}, {}
    t0 = time.process_time()
    for i, fam in enumerate(FAMILIES):
        if progress:
            print(f"{fam}: MLE of {config.n_train} training objects", flush=True)
        truth, recs, _ = training_set(fam, config, seed=config.seed + 10 + i, n=config.n_train)
        g, logs[fam] = train_generator(truth, recs, config, seed=config.seed + i, progress=progress)
        gens[fam] = _load_state(_state_arrays(g), config.width, config.coords)      # the float16 weights as shipped
        tuned[fam] = tune(fam, gens[fam], config, seed=config.seed + 20 + i)
        if progress:
            print(f"{fam}: tuned {tuned[fam]}", flush=True)
    n_params = sum(p.numel() for p in gens["circuit"].parameters())
    meta = {"tuned": tuned, "npcc_log": logs, "n_params": int(n_params)}
    out = save_priors(gens, config, meta, path)
    if progress:
        print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB) after {time.process_time() - t0:.0f} s CPU")
    return out
