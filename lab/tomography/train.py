"""Training of the learned priors and the tuning of the regularisation weights.

`python -m lab.tomography train [--out PATH]` trains three generators with the same recipe
(`PRIORS`): "circuit", on the MLE of CircuitFaker objects (PGAN's generator); "iid", on
the MLE of i.i.d. control objects of the same fill fraction (the control experiment's
prior); and "fbp", on the FBP of the very same CircuitFaker measurements as "circuit"
(same objects, counts, initial weights and batches: only the input differs), the baseline
with less physics in its input. Each sees its approximant x_in of objects measured at the
conditions of Figure 2 (drawn at random per object) and is trained with
    L_G = NPCC(G(x_in), x) + α · (−D(G(x_in))) + w_mse · MSE(G(x_in), x),
    L_D = hinge: mean(relu(1 − D(x))) + mean(relu(1 + D(G(x_in)))),
with Adam at two timescales (the critic's learning rate above the generator's). The MSE
term is our addition: NPCC is blind to offset and scale, and BER thresholds at 0.5.
Then the TV weight β of MLE+TV and the prior weight λ of PGAN+NLL (`recon.refine`) are chosen on validation
objects (never the test objects) from small grids, one value each for all conditions. The
λ grid is extended (by its last ratio, within [1e-3, 1e6]) while the validation minimum sits
at either end, so the tuned λ lies strictly inside the grid searched; the grid searched and
its validation BERs are stored with the weights.

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
from .recon import SHAPE, ber, fbp, mle, mle_tv, refine

WEIGHTS_FILE = "tomography/priors.npz"
FAMILIES = ("circuit", "iid")
INPUTS = ("mle", "fbp")
# prior name -> (object family, the approximant G sees); "fbp" shares "circuit"'s training measurements
PRIORS = {"circuit": ("circuit", "mle"), "iid": ("iid", "mle"), "fbp": ("circuit", "fbp")}
FBP_CLIP = 10.0          # FBP volumes are clipped to [-10, 10] before G (generate's accepted range)
LAMBDA_RANGE = (1e-3, 1e6)
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
    weight_grid: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
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
        check_array("weight_grid", self.weight_grid, ndim=1, lo=LAMBDA_RANGE[0], hi=LAMBDA_RANGE[1])
        if any(b <= a for a, b in zip(self.weight_grid, self.weight_grid[1:])):
            raise ValueError(f"weight_grid must be strictly increasing; got {self.weight_grid}")
        check_conds("conds", self.conds)


def objects(family: str, n: int, seed: int) -> np.ndarray:
    """`n` objects (n, 8, 16, 16) of a family: "circuit" (CircuitFaker) or "iid" (control)."""
    check_choice("family", family, FAMILIES)
    n = check_int("n", n, lo=1, hi=100_000)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    return circuit_faker(n, seed) if family == "circuit" else iid_objects(n, seed, expected_fill())


def approximant(y, n_angles: int, photons: float, kind: str, iters: int = 100) -> np.ndarray:
    """The reconstruction G sees, (8, 16, 16): "mle" (box-constrained MLE, `iters` L-BFGS-B iterations) or
    "fbp" (filtered back-projection, clipped to [-10, 10])."""
    kind = check_choice("kind", kind, INPUTS)
    if kind == "mle":
        return mle(y, n_angles, photons, iters=iters)
    return np.clip(fbp(y, n_angles, photons), -FBP_CLIP, FBP_CLIP)


def training_set(family: str, config: TrainConfig, seed: int, n: int,
                 inputs: tuple[str, ...] = ("mle",)) -> tuple[np.ndarray, dict[str, np.ndarray], list]:
    """Truth (n, 8, 16, 16), {input: approximants (n, 8, 16, 16)} for each of `inputs` (all from the same
    counts), and the (n_angles, photons, counts) of each object."""
    check_type("config", config, TrainConfig)
    if not isinstance(inputs, tuple) or not inputs or any(k not in INPUTS for k in inputs):
        raise ValueError(f"inputs must be a non-empty tuple drawn from {INPUTS}; got {inputs!r}")
    truth = objects(family, n, seed)
    rng = np.random.default_rng(seed + 1)
    picks = rng.integers(0, len(config.conds), size=len(truth))
    recs, conds = {k: [] for k in inputs}, []
    for k, x in enumerate(truth):
        na, ph = config.conds[picks[k]]
        y = measure(x, int(na), float(ph), seed=int(seed * 100_003 + k) % 2**32)
        for kind in inputs:
            recs[kind].append(approximant(y, int(na), float(ph), kind, iters=config.mle_iters))
        conds.append((int(na), float(ph), y))
    return truth, {k: np.asarray(v) for k, v in recs.items()}, conds


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


def _ber_means(sums, n) -> list[float]:
    return [round(float(v) / n, 5) for v in sums]


def tune(family: str, generator: Generator, config: TrainConfig, seed: int, kind: str = "mle") -> dict:
    """β (MLE+TV) and λ (PGAN+NLL, `refine`, with G fed the `kind` approximant) minimising the mean validation BER over
    the conditions. The λ grid is extended by its end ratio (within [1e-3, 1e6]) while the minimum sits at
    either end, so the tuned λ is strictly inside the grid searched (unless a limit is reached)."""
    check_type("generator", generator, Generator)
    kind = check_choice("kind", kind, INPUTS)
    truth = objects(family, config.n_val, seed)
    runs = []                                    # (truth, counts, n_angles, photons, prior volume)
    bers_tv = np.zeros(len(config.beta_grid))
    for k, x in enumerate(truth):
        for c, (na, ph) in enumerate(config.conds):
            na, ph = int(na), float(ph)
            y = measure(x, na, ph, seed=(seed * 7919 + 131 * k + c) % 2**32)
            runs.append((x, y, na, ph, generate(generator, approximant(y, na, ph, kind, iters=config.mle_iters))))
            for j, b in enumerate(config.beta_grid):
                bers_tv[j] += ber(mle_tv(y, na, ph, b, iters=config.mle_iters), x)

    def val_ber(w):
        return sum(ber(refine(y, na, ph, g, w, iters=config.mle_iters), x) for x, y, na, ph, g in runs)

    grid = [float(w) for w in config.weight_grid]
    bers_pg = [val_ber(w) for w in grid]
    lo, hi = LAMBDA_RANGE
    while len(grid) < 64:
        j = int(np.argmin(bers_pg))
        if j == len(grid) - 1 and len(grid) > 1 and grid[-1] * grid[-1] / grid[-2] <= hi:
            grid.append(grid[-1] * grid[-1] / grid[-2])
            bers_pg.append(val_ber(grid[-1]))
        elif j == 0 and len(grid) > 1 and grid[0] * grid[0] / grid[1] >= lo:
            grid.insert(0, grid[0] * grid[0] / grid[1])
            bers_pg.insert(0, val_ber(grid[0]))
        else:
            break
    j = int(np.argmin(bers_pg))
    return {"beta": float(config.beta_grid[int(np.argmin(bers_tv))]),
            "weight": float(grid[j]), "weight_grid": [float(f"{w:.6g}") for w in grid],
            "weight_inside": bool(0 < j < len(grid) - 1),
            "val_ber_tv": _ber_means(bers_tv, len(runs)),
            "val_ber_refine": _ber_means(bers_pg, len(runs))}


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
    """A trained generator with its tuned weights: λ (`weight`, PGAN+NLL) and β (`beta`, MLE+TV).
    family: the objects it was trained on ("circuit" or "iid"); input: the approximant it takes ("mle" or
    "fbp", see `approximant`)."""
    generator: Generator
    weight: float
    beta: float
    family: str
    info: dict = field(default_factory=dict)
    input: str = "mle"

    def __post_init__(self):
        check_type("generator", self.generator, Generator)
        check_number("weight", self.weight, lo=0.0, hi=1e6)
        check_number("beta", self.beta, lo=0.0, hi=1e6)
        check_choice("family", self.family, FAMILIES)
        check_type("info", self.info, dict)
        check_choice("input", self.input, INPUTS)


def weights_path() -> Path:
    """Where the shipped priors live: data/tomography/priors.npz."""
    return data_dir() / WEIGHTS_FILE


def load_priors(path: str | Path | None = None) -> dict[str, Prior]:
    """The shipped priors (data/tomography/priors.npz), keyed by name: "circuit" (MLE input), "iid" (MLE
    input, i.i.d. objects) and "fbp" (FBP input, CircuitFaker objects); see `PRIORS`."""
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
        for name, (fam, kind) in PRIORS.items():
            arrays = {k[len(name) + 1:]: z[k] for k in z.files if k.startswith(name + "/")}
            t = info["tuned"][name]
            out[name] = Prior(_load_state(arrays, width, coords), t["weight"], t["beta"], fam, info, kind)
        bad = [k for k in z.files if k.split("/")[0] in PRIORS
               and np.issubdtype(z[k].dtype, np.number) and not np.isfinite(z[k]).all()]
        if bad:
            raise ValueError(f"weights that are not finite: {bad[:4]}")
    except (KeyError, ValueError, TypeError, OSError, RuntimeError, AttributeError, EOFError,
            zipfile.BadZipFile) as exc:
        raise ValueError(f"path {path} is not a priors file written by `python -m lab.tomography train` "
                         f"({type(exc).__name__}: {exc})") from None
    return out


def train_family(fam: str, config: TrainConfig, progress: bool = False) -> tuple[dict, dict, dict]:
    """Train and tune the priors of `PRIORS` on objects of family `fam` (one training set shared by them);
    returns {name: float16 state arrays}, {name: tuned weights}, {name: NPCC log}."""
    fam = check_choice("fam", fam, FAMILIES)
    check_type("config", config, TrainConfig)
    i = FAMILIES.index(fam)
    kinds = tuple(kind for f, kind in PRIORS.values() if f == fam)
    t0 = time.process_time()
    if progress:
        print(f"{fam}: {'/'.join(kinds)} of {config.n_train} training objects", flush=True)
    truth, recs, _ = training_set(fam, config, seed=config.seed + 10 + i, n=config.n_train, inputs=kinds)
    states, tuned, logs = {}, {}, {}
    for name, (f, kind) in PRIORS.items():
        if f != fam:
            continue
        g, logs[name] = train_generator(truth, recs[kind], config, seed=config.seed + i, progress=progress)
        states[name] = _state_arrays(g)
        g = _load_state(states[name], config.width, config.coords)        # tuned with the float16 weights as shipped
        tuned[name] = tune(fam, g, config, seed=config.seed + 20 + i, kind=kind)
        if progress:
            print(f"{name}: tuned {tuned[name]} ({time.process_time() - t0:.0f} s CPU)", flush=True)
    return states, tuned, logs


def train_all(config: TrainConfig = TrainConfig(), path: str | Path | None = None, progress: bool = True,
              workers: int = 1) -> Path:
    """Train the three priors of `PRIORS`, tune β and λ on validation objects, and save (default
    build/tomography/priors.npz). "fbp" is trained on the FBP of "circuit"'s training measurements, from the
    same initial weights and batches. workers in [1, 2]: the two object families in parallel processes
    (the same bytes either way: each family's work is seeded on its own and runs on one thread)."""
    check_type("config", config, TrainConfig)
    workers = check_int("workers", workers, lo=1, hi=len(FAMILIES))
    path = Path(path) if path is not None else build_dir("tomography") / "priors.npz"
    t0 = time.process_time()
    if workers == 1:
        parts = [train_family(fam, config, progress) for fam in FAMILIES]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as ex:
            parts = list(ex.map(train_family, FAMILIES, [config] * len(FAMILIES), [progress] * len(FAMILIES)))
    states = {k: v for p in parts for k, v in p[0].items()}
    tuned = {k: v for p in parts for k, v in p[1].items()}
    logs = {k: v for p in parts for k, v in p[2].items()}
    gens = {name: _load_state(states[name], config.width, config.coords) for name in PRIORS}
    n_params = sum(p.numel() for p in gens["circuit"].parameters())
    meta = {"tuned": {k: tuned[k] for k in PRIORS}, "npcc_log": {k: logs[k] for k in PRIORS}, "n_params": int(n_params),
            "priors": {k: list(v) for k, v in PRIORS.items()}}
    out = save_priors(gens, config, meta, path)
    if progress:
        print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB) after {time.process_time() - t0:.0f} s CPU "
              f"in this process", flush=True)
    return out
