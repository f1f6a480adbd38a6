"""The notebook's experiments and claim helpers: the artifact's first experiment
(bitmask + gating against coordinate list + skipping), validation of the model against
the simulator on uniform random and on real pruned data, the speed ratio, and the
design-space sweep."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..core import stats
from ..core.checks import check_array, check_int, check_number, check_table
from ..core.claims import Measured
from .density import FixedStructured, Uniform
from .model import evaluate
from .simulate import simulate
from .spec import FEATURES, INNER_FORMATS, SparseOpt, default_arch, design, fig1_mapping, matmul

FIG1_DENSITIES = (0.01, 0.02, 0.04, 0.08, 0.1, 0.2, 0.4, 0.8)
FIG1_DESIGNS = {"bitmask + gating": ("B", "gating"), "coordinate list + skipping": ("CP", "skipping")}
CP_BITS = 14            # the artifact's coordinate width (metadata-word-bits: 14)
MAX_SIZE = 1024

# The artifact's reference outputs of its first experiment (128 x 128 x 128 SpMSpM,
# fixed-structured densities, Timeloop/Sparseloop with Accelergy 45 nm energies):
# "Summary Stats" of ref_outputs/output_<density>_<design>/timeloop-mapper.stats.txt in
# Accelergy-Project/micro22-sparseloop-artifact,
# workspace/2022.micro.artifact/evaluation_setups/fig1_format_comparison_setup.
# density: (bitmask cycles, bitmask energy uJ, coordinate-list cycles, coordinate-list energy uJ)
ARTIFACT_FIG1 = {
    0.01: (2113536, 1.34, 34056, 0.39), 0.02: (2113536, 1.42, 58124, 0.62),
    0.04: (2113536, 1.62, 116247, 1.18), 0.08: (2113536, 2.04, 232490, 2.31),
    0.1: (2113536, 2.27, 295152, 2.92), 0.2: (2113536, 3.38, 578952, 5.77),
    0.4: (2113536, 5.93, 1157904, 11.87), 0.8: (2113536, 12.29, 3698200, 25.41),
}
# The densities the artifact's workload files state for each of those runs
# (workload/spmspm.prob.<density>.yaml, fixed-structured, A and B alike): its folders are named
# by round densities, its files hold 1.5, 2.56, 5.12, 10.24, 13, 25.5, 51 and 102.5 nonzeros per
# 128-long fiber. Ours hold round(density * 128) whole nonzeros (`structured`).
ARTIFACT_DENSITY = {0.01: 0.01171875, 0.02: 0.02, 0.04: 0.04, 0.08: 0.08, 0.1: 0.1015625, 0.2: 0.19921875,
                    0.4: 0.3984375, 0.8: 0.80078125}
ARTIFACT_K = 128

# The workload of the speed claim, fixed in advance: the layer of the paper's speed comparison
# that the artifact runs (Eval 2, for the paper's Table 5: statistical against actual-data
# modelling on an Eyeriss V2 PE; evaluation_setups/fig12_eyerissv2_pe_setup/workload/
# mobilenet0.5-sparse/uniform/L07.yaml): MobileNet-0.5's L07, a 1 x 1 convolution of C = 64 input
# channels into M = 64 output channels on 32 x 32 pixels, with uniform (hypergeometric) weight
# density 0.52 and input density 0.73. As a matmul Z[m, n] = sum_k A[m, k] B[n, k]: A the weights
# (M = 64, K = 64), B the inputs (N = 1024 pixels, K = 64 channels).
SPEED_WORKLOAD = dict(M=64, N=1024, K=64, density_A=0.52, density_B=0.73)


def _size(name, v):
    return check_int(name, v, lo=4, hi=MAX_SIZE)


def int_list(name: str, values, lo: int, hi: int, max_len: int) -> list:
    """A non-empty sequence of at most max_len ints in [lo, hi]."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, np.ndarray)):
        raise TypeError(f"{name} must be a list or tuple of ints in [{lo}, {hi}]; got {type(values).__name__}")
    if not 1 <= len(values) <= max_len:
        raise ValueError(f"{name} must hold 1..{max_len} values; got {len(values)}")
    return [check_int(name, v, lo=lo, hi=hi) for v in values]


def _densities(densities):
    d = check_array("densities", densities, ndim=1, lo=0.0, hi=1.0)
    if d.size > 64:
        raise ValueError(f"densities must hold at most 64 values; got {d.size}")
    if (d <= 0).any():
        raise ValueError("densities values must be > 0")
    return [float(x) for x in d]


def fig1_designs() -> dict:
    """The artifact's two designs (coordinates CP_BITS wide)."""
    return {name: design(f, feat, cp_bits=CP_BITS) for name, (f, feat) in FIG1_DESIGNS.items()}


def structured(density: float, K: int) -> FixedStructured:
    """The artifact's fixed-structured density: round(density * K) nonzeros per K-fiber."""
    density = check_number("density", density, lo=0.0, hi=1.0)
    K = check_int("K", K, lo=1, hi=4096)
    return FixedStructured(max(1, int(round(density * K))), K)


def fig1_sweep(size: int = 128, densities=FIG1_DENSITIES) -> pd.DataFrame:
    """The model on the artifact's first experiment: one row per (density, design) with
    the nonzeros per `size`-long fiber of our fixed-structured operands (round(density *
    size)), cycles, energy (uJ), and the artifact's normalisation (coordinate list's cycles or
    energy over the design's: > 1 means faster / more efficient than the coordinate list)."""
    size = _size("size", size)
    dens = _densities(densities)
    arch, wl, mp = default_arch(), matmul(size, size, size), fig1_mapping(size, size, size)
    rows = []
    for d in dens:
        dm = structured(d, size)
        res = {n: evaluate(arch, wl, mp, o, {"A": dm, "B": dm}) for n, o in fig1_designs().items()}
        cp = res["coordinate list + skipping"]
        for n, r in res.items():
            rows.append(dict(density=d, design=n, nnz_per_fiber=float(dm.n), cycles=r.cycles,
                             energy_uJ=r.energy_pj / 1e6, speed_vs_cp=cp.cycles / r.cycles,
                             efficiency_vs_cp=cp.energy_pj / r.energy_pj))
    return pd.DataFrame(rows)


def artifact_fig1() -> pd.DataFrame:
    """The artifact's published outputs in the same layout as `fig1_sweep`; `density` is the
    run's name, `nnz_per_fiber` the nonzeros per 128-long fiber its workload file states."""
    rows = []
    for d, (bc, be, cc, ce) in ARTIFACT_FIG1.items():
        nnz = ARTIFACT_DENSITY[d] * ARTIFACT_K
        rows.append(dict(density=d, design="bitmask + gating", nnz_per_fiber=nnz, cycles=bc, energy_uJ=be,
                         speed_vs_cp=cc / bc, efficiency_vs_cp=ce / be))
        rows.append(dict(density=d, design="coordinate list + skipping", nnz_per_fiber=nnz, cycles=cc,
                         energy_uJ=ce, speed_vs_cp=1.0, efficiency_vs_cp=1.0))
    return pd.DataFrame(rows)


def crossover(df: pd.DataFrame, metric: str) -> dict:
    """Where the bitmask design starts to beat the coordinate list on `metric`
    ("cycles" or "energy_uJ"): the bracketing sweep densities (lo: last density where the
    coordinate list wins, hi: first where the bitmask wins) and the log-interpolated
    crossing. None entries when the winner never changes."""
    return _crossover("df", df, metric)


def _crossover(name: str, df, metric) -> dict:
    """`crossover` of the table passed as parameter `name` (named in the messages)."""
    if metric not in ("cycles", "energy_uJ"):
        raise ValueError(f"metric must be 'cycles' or 'energy_uJ'; got {metric!r}")
    check_table(name, df, ("density", "design", metric), what="a fig1_sweep table")
    designs = {"bitmask + gating", "coordinate list + skipping"}
    if not designs <= set(df["design"]):
        raise ValueError(f"{name} must hold both designs {sorted(designs)}; got {sorted(set(map(str, df['design'])))}")
    p = df.pivot_table(index="density", columns="design", values=metric, aggfunc="mean").sort_index()
    lr = np.log(p["bitmask + gating"] / p["coordinate list + skipping"])  # < 0: bitmask wins
    d = p.index.to_numpy()
    for i in range(1, len(d)):
        if lr.iloc[i - 1] > 0 >= lr.iloc[i]:
            x0, x1, y0, y1 = np.log(d[i - 1]), np.log(d[i]), lr.iloc[i - 1], lr.iloc[i]
            x = x0 + (x1 - x0) * y0 / (y0 - y1)
            return dict(lo=float(d[i - 1]), hi=float(d[i]), at=float(np.exp(x)))
    return dict(lo=None, hi=None, at=None)


def crossover_table(ours: pd.DataFrame, artifact: pd.DataFrame) -> pd.DataFrame:
    """Ours beside the artifact's: the densities between which the winner changes."""
    for name, df in (("ours", ours), ("artifact", artifact)):
        check_table(name, df, ("density", "design", "cycles", "energy_uJ"), what="a fig1_sweep table")
    rows = []
    for metric, what in (("energy_uJ", "energy"), ("cycles", "speed (cycles)")):
        for name, who, df in (("ours", "ours (model)", ours), ("artifact", "artifact (Sparseloop)", artifact)):
            c = _crossover(name, df, metric)
            rows.append(dict(metric=what, source=who, cp_wins_up_to=c["lo"], bitmask_wins_from=c["hi"],
                             crossing=c["at"]))
    return pd.DataFrame(rows)


def _cpu(fn, repeats: int = 1):
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t0)
    return out, max(best, 1e-6)


def compare(arch, wl, mp, opt: SparseOpt, A, B, densities: dict, model_repeats: int = 5) -> dict:
    """Model (on `densities`) and simulator (on A, B): cycles, energy, relative errors (%),
    and the CPU seconds of each (the model's the best of `model_repeats`)."""
    r, tm = _cpu(lambda: evaluate(arch, wl, mp, opt, densities), model_repeats)
    s, ts = _cpu(lambda: simulate(arch, wl, mp, opt, A, B))
    return dict(model_cycles=r.cycles, sim_cycles=s.cycles, model_uJ=r.energy_pj / 1e6, sim_uJ=s.energy_pj / 1e6,
                cycle_err_pct=100 * (r.cycles - s.cycles) / s.cycles,
                energy_err_pct=100 * (r.energy_pj - s.energy_pj) / s.energy_pj,
                t_model_s=tm, t_sim_s=ts, ratio=ts / tm)


def warm_up() -> None:
    """Compile the simulator's kernel once (numba), outside any timing."""
    arch, wl, mp = default_arch(), matmul(4, 4, 4), fig1_mapping(4, 4, 4)
    x = np.eye(4)
    for opt in fig1_designs().values():
        simulate(arch, wl, mp, opt, x, x)
    simulate(arch, wl, mp, design("U", "none"), x, x)


def validate_uniform(size: int = 128, densities=FIG1_DENSITIES, seeds=(0, 1, 2)) -> pd.DataFrame:
    """Model against simulator on uniform random operands ("statistical data"): both
    operands sampled with the Uniform model the analytical model assumes, per seed."""
    size = _size("size", size)
    dens = _densities(densities)
    seeds = int_list("seeds", seeds, 0, 2**32 - 1, 16)
    arch, wl, mp = default_arch(), matmul(size, size, size), fig1_mapping(size, size, size)
    warm_up()
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        for d in dens:
            dm = Uniform(d)
            A, B = dm.sample((size, size), rng), dm.sample((size, size), rng)
            for name, opt in fig1_designs().items():
                rows.append(dict(seed=seed, density=d, design=name,
                                 **compare(arch, wl, mp, opt, A, B, {"A": dm, "B": dm})))
    return pd.DataFrame(rows)


def pruned_mlp(seed: int = 0, sparsity: float = 0.8, hidden: int = 64, epochs: int = 60) -> dict:
    """A tiny MLP (64 -> hidden -> 10, ReLU) trained on the digits (lab.data.load_digits,
    full-batch Adam), its first layer pruned by magnitude to `sparsity`. Returns
    W (hidden, 64) pruned weights, X (n_test, 64) test images, the test accuracy before
    and after pruning (the pruned layer, no fine-tuning)."""
    import torch

    from ..data import load_digits

    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    sparsity = check_number("sparsity", sparsity, lo=0.0, hi=0.99)
    hidden = check_int("hidden", hidden, lo=4, hi=512)
    epochs = check_int("epochs", epochs, lo=1, hi=2000)
    data = load_digits(seed=seed, flat=True)
    xtr, ytr, xte, yte = data.torch()
    g = torch.Generator().manual_seed(seed)
    l1, l2 = torch.nn.Linear(64, hidden), torch.nn.Linear(hidden, 10)
    with torch.no_grad():
        for lay in (l1, l2):
            lay.weight.copy_(torch.randn(lay.weight.shape, generator=g) * (1 / lay.in_features) ** 0.5)
            lay.bias.zero_()
    net = torch.nn.Sequential(l1, torch.nn.ReLU(), l2)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2, weight_decay=1e-4)
    for _ in range(epochs):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(xtr), ytr).backward()
        opt.step()

    def acc():
        with torch.no_grad():
            return float((net(xte).argmax(1) == yte).float().mean())
    before = acc()
    with torch.no_grad():
        w = l1.weight.detach().clone()
        k = int(round(sparsity * w.numel()))
        if k:
            thr = w.abs().flatten().kthvalue(k).values
            w[w.abs() <= thr] = 0.0
        l1.weight.copy_(w)
    return dict(W=w.numpy().astype(np.float64), X=xte.numpy().astype(np.float64), acc_dense=before,
                acc_pruned=acc())


def validate_real(seeds=(0, 1, 2), sparsities=(0.5, 0.7, 0.9), n_images: int = 256) -> pd.DataFrame:
    """Model against simulator on real sparse data: A = the magnitude-pruned first-layer
    weights of `pruned_mlp` (hidden x 64), B = digits test images (n_images x 64, their
    own zeros); the model sees only each operand's measured density (Uniform)."""
    seeds = int_list("seeds", seeds, 0, 2**32 - 1, 16)
    sp = check_array("sparsities", sparsities, ndim=1, lo=0.0, hi=0.99)
    if sp.size > 16:
        raise ValueError(f"sparsities must hold at most 16 values; got {sp.size}")
    n_images = check_int("n_images", n_images, lo=8, hi=512)
    warm_up()
    rows = []
    for seed in seeds:
        for s in sp:
            net = pruned_mlp(seed, float(s))
            A, B = net["W"], net["X"][:n_images]
            M, K = A.shape
            N = B.shape[0]
            arch, wl, mp = default_arch(), matmul(M, N, K), fig1_mapping(M, N, K)
            dA, dB = float((A != 0).mean()), float((B != 0).mean())
            for name, opt in fig1_designs().items():
                rows.append(dict(seed=seed, sparsity=float(s), density_A=dA, density_B=dB, design=name,
                                 acc_pruned=net["acc_pruned"],
                                 **compare(arch, wl, mp, opt, A, B, {"A": Uniform(dA), "B": Uniform(dB)})))
    return pd.DataFrame(rows)


def speed(sizes=(64, 128, 256), density: float = 0.1, seed: int = 0) -> pd.DataFrame:
    """CPU seconds of the model and of the simulator on uniform random operands of growing
    size (size^3 matmul, both artifact designs), and their ratio."""
    sz = int_list("sizes", sizes, 4, MAX_SIZE, 8)
    density = check_number("density", density, lo=0.001, hi=1.0)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    warm_up()
    rows = []
    rng = np.random.default_rng(seed)
    for n in sz:
        arch, wl, mp = default_arch(), matmul(n, n, n), fig1_mapping(n, n, n)
        dm = Uniform(density)
        A, B = dm.sample((n, n), rng), dm.sample((n, n), rng)
        for name, opt in fig1_designs().items():
            rows.append(dict(size=n, design=name, **compare(arch, wl, mp, opt, A, B, {"A": dm, "B": dm})))
    return pd.DataFrame(rows)


def speed_fixed(repeats: int = 5, model_repeats: int = 25, seed: int = 0) -> pd.DataFrame:
    """CPU seconds of the model and of the simulator on the workload fixed in advance for the
    speed claim (`SPEED_WORKLOAD`: MobileNet-0.5's L07 as a 64 x 1024 x 64 matmul, uniform
    operands at its densities), both artifact designs. `repeats` (1..10) rounds, each timing one
    simulation and `model_repeats` (1..1000) model evaluations (their median): one row per
    (design, repeat) with t_model_s, t_sim_s and their ratio, and the cycles and energy of both
    (the same in every repeat: only the timing varies)."""
    repeats = check_int("repeats", repeats, lo=1, hi=10)
    model_repeats = check_int("model_repeats", model_repeats, lo=1, hi=1000)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    w = SPEED_WORKLOAD
    M, N, K = w["M"], w["N"], w["K"]
    arch, wl, mp = default_arch(), matmul(M, N, K), fig1_mapping(M, N, K)
    dA, dB = Uniform(w["density_A"]), Uniform(w["density_B"])
    rng = np.random.default_rng(seed)
    A, B = dA.sample((M, K), rng), dB.sample((N, K), rng)
    warm_up()
    rows = []
    for rep in range(repeats):
        for name, opt in fig1_designs().items():
            tm = []
            for _ in range(model_repeats):
                r, t = _cpu(lambda: evaluate(arch, wl, mp, opt, {"A": dA, "B": dB}))
                tm.append(t)
            s, ts = _cpu(lambda: simulate(arch, wl, mp, opt, A, B))
            t_model = float(np.median(tm))
            rows.append(dict(design=name, repeat=rep, t_model_s=t_model, t_sim_s=ts, ratio=ts / t_model,
                             model_cycles=r.cycles, sim_cycles=s.cycles, model_uJ=r.energy_pj / 1e6,
                             sim_uJ=s.energy_pj / 1e6))
    return pd.DataFrame(rows)


def all_designs() -> dict:
    """Every inner format with every feature it supports (skipping needs a compressed one)."""
    out = {}
    for f in INNER_FORMATS:
        for feat in FEATURES:
            if feat == "skipping" and f == "U":
                continue
            out[f"{f} + {feat}"] = design(f, feat, cp_bits=CP_BITS)
    return out


def design_sweep(size: int = 128, densities=(0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)) -> pd.DataFrame:
    """The model over every design and density (uniform operands): cycles, energy (uJ),
    energy-delay product (uJ * Mcycles)."""
    size = _size("size", size)
    dens = _densities(densities)
    arch, wl, mp = default_arch(), matmul(size, size, size), fig1_mapping(size, size, size)
    rows = []
    for d in dens:
        dm = Uniform(d)
        for name, opt in all_designs().items():
            r = evaluate(arch, wl, mp, opt, {"A": dm, "B": dm})
            rows.append(dict(density=d, design=name, format=name.split(" + ")[0], feature=name.split(" + ")[1],
                             cycles=r.cycles, energy_uJ=r.energy_pj / 1e6,
                             edp=r.energy_pj / 1e6 * r.cycles / 1e6))
    return pd.DataFrame(rows)


def best_designs(sweep: pd.DataFrame) -> pd.DataFrame:
    """Per density, the design with the least energy, the fewest cycles and the least EDP."""
    check_table("sweep", sweep, ("density", "design", "energy_uJ", "cycles", "edp"), what="a design_sweep table")
    rows = []
    for d, g in sweep.groupby("density"):
        rows.append(dict(density=d, least_energy=g.loc[g.energy_uJ.idxmin(), "design"],
                         fewest_cycles=g.loc[g.cycles.idxmin(), "design"],
                         least_edp=g.loc[g.edp.idxmin(), "design"]))
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- claim helpers
def speed_claim(df: pd.DataFrame, bound: float = 600.0) -> Measured:
    """Model-to-simulator speed ratio on the fixed workload (a `speed_fixed` table): per design,
    the median simulator time over the repeats over the median model time; the value is the
    smaller of the designs' ratios, and the claim holds when it is at least `bound` (>= 1)."""
    check_table("df", df, ("design", "repeat", "t_model_s", "t_sim_s"), what="a speed_fixed(...) table")
    bound = check_number("bound", bound, lo=1.0)
    per = {}
    for name, g in df.groupby("design", sort=False):
        tm, ts = float(g.t_model_s.median()), float(g.t_sim_s.median())
        if not (tm > 0 and np.isfinite(tm) and np.isfinite(ts)):
            raise ValueError(f"df must hold positive finite times; design {name!r} has t_model_s {tm!r}, "
                             f"t_sim_s {ts!r}")
        per[name] = (ts / tm, tm, ts, float((g.t_sim_s / g.t_model_s).min()), float((g.t_sim_s / g.t_model_s).max()),
                     len(g))
    worst = min(v[0] for v in per.values())
    w = SPEED_WORKLOAD
    note = (f"{w['M']} x {w['N']} x {w['K']} matmul (MobileNet-0.5 L07), densities {w['density_A']:g} (A) and "
            f"{w['density_B']:g} (B); medians over repeats: " + "; ".join(
                f"{n}: simulator {ts:.3f} s, model {1e3 * tm:.2f} ms, {r:.0f}x (per repeat {lo:.0f}-{hi:.0f}x, "
                f"{k} repeats)" for n, (r, tm, ts, lo, hi, k) in per.items()))
    return Measured(round(worst, 1), bool(worst >= bound), note)


def error_claim(df: pd.DataFrame, bound_pct: float) -> Measured:
    """The model's |relative error| (%) against the simulator: each seed's largest over cycles
    and energy, densities and designs, then the mean (± sample std) of those over the seeds
    (at least 2); the claim holds when that mean is below `bound_pct`."""
    check_table("df", df, ("seed", "cycle_err_pct", "energy_err_pct"), what="a validate_uniform / validate_real table")
    bound_pct = check_number("bound_pct", bound_pct, lo=0.0)
    per_seed = df.assign(err=np.maximum(df.cycle_err_pct.abs(), df.energy_err_pct.abs())).groupby("seed").err.max()
    if len(per_seed) < 2:
        raise ValueError(f"df must hold at least 2 seeds (the claim is a mean over seeds); got {len(per_seed)}")
    m = float(per_seed.mean())
    return Measured(stats.mean_std_text(per_seed.to_numpy()), m < bound_pct,
                    f"mean ± std over {len(per_seed)} seeds of each seed's largest |error|; cycles up to "
                    f"{df.cycle_err_pct.abs().max():.2f} %, energy up to {df.energy_err_pct.abs().max():.2f} %",
                    number=m)


def crossover_claim(ours: pd.DataFrame, artifact: pd.DataFrame, metric: str) -> Measured:
    """Whether our crossover (bitmask starts to win on `metric`) falls between the same
    two sweep densities as the artifact's; the value is our interpolated crossing (%)."""
    o, a = _crossover("ours", ours, metric), _crossover("artifact", artifact, metric)  # each table checked
    if o["at"] is None:
        return Measured("no crossover", False, "the winner never changes in our sweep")
    if a["at"] is None or a["lo"] is None:
        return Measured(round(100 * o["at"], 1), False,
                        f"ours between {100 * o['lo']:g} % and {100 * o['hi']:g} %; the artifact's winner never "
                        "changes, so there is no crossing to compare with")
    holds = a["lo"] <= o["at"] <= a["hi"]
    return Measured(round(100 * o["at"], 1), bool(holds),
                    f"ours between {100 * o['lo']:g} % and {100 * o['hi']:g} %; the artifact's between "
                    f"{100 * a['lo']:g} % and {100 * a['hi']:g} %")


def density_check(shape=(128, 128), tile=(1, 128), densities=(0.01, 0.1, 0.5), n_samples: int = 50,
                  seed: int = 0) -> pd.DataFrame:
    """Each density model's tile statistics (expected occupancy, chance of an empty tile,
    99 % quantile) beside Monte Carlo estimates from `n_samples` sampled tensors."""
    from .density import Banded, check_tile

    shape, tile = check_tile(shape, tile)
    if len(shape) != 2:
        raise ValueError(f"shape must be 2-D; got {shape}")
    dens = _densities(densities)
    n_samples = check_int("n_samples", n_samples, lo=2, hi=2000)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    rng = np.random.default_rng(seed)
    models = {f"uniform {100 * d:g} %": Uniform(d) for d in dens}
    models["fixed-structured 2:4"] = FixedStructured(2, 4)
    models["banded (half-width 8)"] = Banded(8)
    r, c = tile
    rows = []
    for name, m in models.items():
        occ = np.concatenate([(m.sample(shape, rng)[:shape[0] // r * r, :shape[1] // c * c] != 0)
                              .reshape(shape[0] // r, r, shape[1] // c, c).sum(axis=(1, 3)).ravel()
                              for _ in range(n_samples)])
        rows.append(dict(model=name, expected=m.expected(shape, tile), mc_mean=occ.mean(),
                         p_empty=m.prob_empty(shape, tile), mc_p_empty=(occ == 0).mean(),
                         q99=m.quantile(shape, tile, 0.99), mc_q99=float(np.quantile(occ, 0.99, method="higher"))))
    return pd.DataFrame(rows)
