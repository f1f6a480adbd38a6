"""Measurements of the sparse-convolution engine: stage timings, the grouping trade-off
and its tuner, modelled data movement, the spconv comparison, the walk-through and the
exactness check against dense convolutions (figures and the explorer: `views.py`; the
LiDAR-like scenes: `lab.data.lidar`).

Notebook: notebooks/13_sparseconv.ipynb (benchmarks/sparseconv.py runs the large sizes).
Paper: H. Tang, Z. Liu, X. Li, Y. Lin, S. Han, "TorchSparse: Efficient Point Cloud
Inference Engine", MLSys 2022.

Timings use the CPU time of the calling thread (`time.thread_time`) with torch on one
thread: on a shared machine this is far steadier than wall-clock time. The tuner, the
grouping speedup and the benchmark run their candidates interleaved round-robin after a
warm-up round and keep the median over repeats (`time_conv` and `time_spconv`, single
engines, keep the minimum).
"""
from __future__ import annotations

import importlib
import time

import numpy as np
import pandas as pd
import torch

from lab.core.checks import check_bool, check_choice, check_int, check_number, check_table, check_type
from lab.core.device import one_thread
from lab.data.lidar import lidar_scene

from .functional import (SparseTensor, StageTimer, apply_kernel_map, check_coords, get_kernel_map, plan_groups,
                         sparse_conv3d)
from .modules import Conv3d

STAGES = ("mapping", "gather", "matmul", "scatter")
MAX_VOXELS = 1_000_000      # voxels of a measured scene
MAX_CHANNELS = 1024         # channels of a measured layer


def _cc(coords) -> torch.Tensor:
    return check_coords("coords", coords, min_rows=1, max_rows=MAX_VOXELS).to(torch.int32)


def _ch(name: str, c) -> int:
    return check_int(name, c, lo=1, hi=MAX_CHANNELS)


def _seed(seed) -> int:
    return check_int("seed", seed, lo=0, hi=2**32 - 1)


def _rep(repeats) -> int:
    return check_int("repeats", repeats, lo=1, hi=100)


def _seq(name: str, values, check) -> list:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a non-empty sequence")
    out = [check(name, v) for v in values]
    if not out:
        raise ValueError(f"{name} must be a non-empty sequence")
    return out


def _eps(name, v) -> float:
    return check_number(name, v, lo=-1.0, hi=1.0)


def _frame(name: str, df, columns) -> pd.DataFrame:
    return check_table(name, df, sorted(columns))


# ---------------------------------------------------------------- timing
def _min_stages(runs):
    return {s: min(r.get(s, 0.0) for r in runs) for s in STAGES}


def time_conv(coords: torch.Tensor, cin: int, cout: int, mode: str = "grouped", eps: float = 0.3,
              S: int = 1 << 30, repeats: int = 5, seed: int = 0) -> dict:
    """CPU seconds per stage of one 3x3x3 submanifold conv on `coords` (min over repeats;
    each repeat starts from an empty map cache). Returns {stage: s, 'total': s}."""
    coords = _cc(coords)
    cin, cout = _ch("cin", cin), _ch("cout", cout)
    repeats = _rep(repeats)
    check_choice("mode", mode, ("grouped", "separate", "naive"))
    eps = _eps("eps", eps)
    S = check_int("S", S, lo=0, hi=1 << 40)
    g = torch.Generator().manual_seed(_seed(seed))
    f = torch.randn(coords.shape[0], cin, generator=g)
    w = torch.randn(27, cin, cout, generator=g) / np.sqrt(27 * cin)
    runs = []
    with one_thread(), torch.no_grad():
        for _ in range(repeats):
            t = StageTimer(time.thread_time)
            sparse_conv3d(SparseTensor(coords, f, check=False), w, mode=mode, eps=eps, S=S, timings=t)
            runs.append(t)
    out = _min_stages(runs)
    out["total"] = min(r.total for r in runs)
    return out


def spconv_available() -> bool:
    try:
        importlib.import_module("spconv.pytorch")  # the [bench] extra
    except Exception:
        return False
    return True


def time_spconv(coords: torch.Tensor, cin: int, cout: int, repeats: int = 5, seed: int = 0):
    """CPU seconds of spconv's SubMConv3d (Native algorithm, one thread), min over repeats;
    None when spconv is not installed."""
    coords = _cc(coords)
    cin, cout, repeats, seed = _ch("cin", cin), _ch("cout", cout), _rep(repeats), _seed(seed)
    if not spconv_available():
        return None
    import spconv.pytorch as spc
    from spconv.core import ConvAlgo
    g = torch.Generator().manual_seed(seed)
    f = torch.randn(coords.shape[0], cin, generator=g)
    c = coords.to(torch.int32).contiguous()
    shape = (c[:, 1:].max(0).values + 1).tolist()
    m = spc.SubMConv3d(cin, cout, 3, bias=False, algo=ConvAlgo.Native)
    best = np.inf
    with one_thread(), torch.no_grad():
        for _ in range(repeats):
            t0 = time.thread_time()
            m(spc.SparseConvTensor(f, c, shape, 1))
            best = min(best, time.thread_time() - t0)
    return float(best)


def _round_robin(runs: dict, repeats: int, warmup: int = 1) -> dict:
    """Time every callable of `runs` ({name: fn(timer)}) interleaved: `warmup` untimed
    rounds, then `repeats` rounds, each running every candidate once in an order rotated
    by one per round (so no candidate always runs first or after the same neighbour).
    A run's time is the CPU time of this thread around the whole call; `timer` is a
    StageTimer on the same clock for the per-stage split. Returns {name: [(seconds,
    StageTimer), ...]} (the timed rounds only)."""
    names = list(runs)
    out = {n: [] for n in names}
    for r in range(warmup + repeats):
        k = r % len(names)
        for n in names[k:] + names[:k]:
            t = StageTimer(time.thread_time)
            t0 = time.thread_time()
            runs[n](t)
            dt = time.thread_time() - t0
            if r >= warmup:
                out[n].append((dt, t))
    return out


def _medians(samples) -> dict:
    """Median total and per-stage seconds of a list of (seconds, StageTimer)."""
    out = {s: float(np.median([t.get(s, 0.0) for _, t in samples])) for s in STAGES}
    out["total"] = float(np.median([dt for dt, _ in samples]))
    return out


def _plan_key(plan) -> tuple:
    return tuple(map(tuple, plan.groups)), tuple(plan.batched)


def _tune(x: SparseTensor, weight: torch.Tensor, eps_grid, S_grid, repeats: int, margin: float, warmup: int):
    """The tuner on a real layer input `x` (its coordinates and features) and weights.

    Candidates: the separate path (one matmul per offset) and every distinct grouping
    plan of (eps, S) in the grids. Each timed run is the layer's whole forward on `x`
    (`sparse_conv3d`: cached-map lookup, grouping plan, padded index build, gather,
    matmul, scatter): exactly the code that runs after tuning. The kernel map is built
    once (it is the same for every candidate) but the plan caches are dropped before
    every run, so building a plan counts against it. Runs are interleaved round-robin
    after warm-up, and a candidate's time is its median over `repeats` rounds. Grouping
    is chosen only when its median beats the separate path's by more than `margin`."""
    km = get_kernel_map(x, 3)[0]

    def layer(mode, eps, S):
        def run(timer):
            km.cache.clear()
            sparse_conv3d(x, weight, 3, mode=mode, eps=eps, S=S, timings=timer)
        return run

    cands, rows = {"separate": layer("separate", 0.0, 0)}, []
    for eps in eps_grid:
        for S in (S_grid if eps >= 0 else S_grid[-1:]):
            if eps < 0:
                name, plan = "separate", None
            else:
                plan = plan_groups(km, eps, S)
                name = _plan_key(plan)
                cands.setdefault(name, layer("grouped", eps, S))
            rows.append((eps, S, name, plan))
    if not any(nm == "separate" for _, _, nm, _ in rows):
        rows.insert(0, (-1.0, int(S_grid[-1]), "separate", None))
    with one_thread(), torch.no_grad():
        timed = {n: _medians(v) for n, v in _round_robin(cands, repeats, warmup).items()}
    km.cache.clear()
    table = []
    for eps, S, name, plan in rows:
        t = timed[name]
        table.append(dict(eps=float(eps), S=int(S), groups=len(plan.groups) if plan else int((km.sizes > 0).sum()) - 1,
                          batched=sum(plan.batched) if plan else 0,
                          **{k: t[k] for k in STAGES[1:]}, compute=t["total"],
                          redundant=(plan.redundant_rows(km.sizes) if plan else 0) / km.volume))
    df = pd.DataFrame(table)
    best = df.loc[df["compute"].idxmin()]
    sep = float(df[df.eps < 0]["compute"].iloc[0])
    if best["eps"] < 0 or best["compute"] > (1 - margin) * sep:
        return -1.0, int(S_grid[-1]), df
    return float(best["eps"]), int(best["S"]), df


def tune_layer(coords: torch.Tensor, cin: int, cout: int, eps_grid=(-1.0, 0.0, 0.1, 0.2, 0.3, 0.5),
               S_grid=(4096, 1 << 30), repeats: int = 7, seed: int = 0, margin: float = 0.02, warmup: int = 1):
    """The tuner for a 3x3x3 submanifold layer on `coords` with random features and
    weights (seeded): time the layer's whole forward for the separate path and every
    distinct (eps, S) plan, interleaved round-robin after `warmup` rounds, median of
    `repeats`; return (best eps, best S, DataFrame of all candidates). eps = -1
    is the separate path (one matmul per offset); it is always a candidate, and grouping
    is chosen only when its median is faster by more than `margin` (a fraction), so the
    pick is never slower than the separate path beyond timing noise."""
    coords = _cc(coords)
    cin, cout, repeats = _ch("cin", cin), _ch("cout", cout), _rep(repeats)
    eps_grid = _seq("eps_grid", eps_grid, _eps)
    S_grid = _seq("S_grid", S_grid, lambda n, v: check_int(n, v, lo=0, hi=1 << 40))
    margin = check_number("margin", margin, lo=0.0, hi=0.9)
    warmup = check_int("warmup", warmup, lo=0, hi=10)
    g = torch.Generator().manual_seed(_seed(seed))
    f = torch.randn(coords.shape[0], cin, generator=g)
    w = torch.randn(27, cin, cout, generator=g) / np.sqrt(27 * cin)
    return _tune(SparseTensor(coords, f, check=False), w, eps_grid, S_grid, repeats, margin, warmup)


def tune_conv(conv, x: SparseTensor, repeats: int = 7, **grid):
    """Set a submanifold Conv3d's eps and S to the tuner's choice, timing the layer's
    own forward (its weights) on the real input `x` (see `tune_layer` for the grid
    keywords eps_grid, S_grid, margin, warmup). Returns (eps, S); the separate path is
    stored as (0.0, 0) (grouping off: every offset alone)."""
    check_type("conv", conv, Conv3d)
    check_type("x", x, SparseTensor)
    repeats = _rep(repeats)
    if conv.stride != 1 or conv.transposed or conv.kernel_size != 3 or conv.dilation != 1:
        raise ValueError("conv must be a 3x3x3 submanifold Conv3d (stride=1, dilation=1, transposed=False) to be tuned")
    if x.feats.shape[1] != conv.in_channels:
        raise ValueError(f"x must have conv.in_channels = {conv.in_channels} channels; got {x.feats.shape[1]}")
    unknown = set(grid) - {"eps_grid", "S_grid", "margin", "warmup"}
    if unknown:
        raise TypeError(f"tune_conv got unknown keywords {sorted(unknown)}")
    eps_grid = _seq("eps_grid", grid.get("eps_grid", (-1.0, 0.0, 0.1, 0.2, 0.3, 0.5)), _eps)
    S_grid = _seq("S_grid", grid.get("S_grid", (4096, 1 << 30)), lambda n, v: check_int(n, v, lo=0, hi=1 << 40))
    margin = check_number("margin", grid.get("margin", 0.02), lo=0.0, hi=0.9)
    warmup = check_int("warmup", grid.get("warmup", 1), lo=0, hi=10)
    with torch.no_grad():
        eps, S, _ = _tune(x, conv.weight.detach(), eps_grid, S_grid, repeats, margin, warmup)
    conv.eps, conv.S = (eps, S) if eps >= 0 else (0.0, 0)
    return conv.eps, conv.S


def grouping_tradeoff(coords: torch.Tensor, cin: int, cout: int, eps_grid, repeats: int = 5,
                      seeds=(0,)) -> pd.DataFrame:
    """Redundant FLOPs (padding / useful, %) and matmul CPU time against eps, with the
    matmul speedup over separate matmuls (eps = -1). Mean over `seeds` (random features)."""
    coords = _cc(coords)
    cin, cout, repeats = _ch("cin", cin), _ch("cout", cout), _rep(repeats)
    eps_grid = _seq("eps_grid", eps_grid, lambda n, v: check_number(n, v, lo=0.0, hi=1.0))
    seeds = _seq("seeds", seeds, lambda n, v: check_int(n, v, lo=0, hi=2**32 - 1))
    frames = []
    for s in seeds:
        df = tune_layer(coords, cin, cout, eps_grid=(-1.0, *eps_grid), S_grid=(1 << 30,), repeats=repeats, seed=s)[2]
        frames.append(df.assign(seed=s))
    df = pd.concat(frames)
    base = df[df.eps == -1.0].set_index("seed")["matmul"]
    df["matmul_speedup"] = df.apply(lambda r: base[r.seed] / r.matmul, axis=1)
    df["redundant_flops_pct"] = 100 * df["redundant"]
    return df[df.eps >= 0].groupby("eps", as_index=False).mean(numeric_only=True)


def _layer_runs(coords: torch.Tensor, cin: int, cout: int, engines: dict, seed: int = 0):
    """{name: fn(timer)} running one 3x3x3 submanifold layer from scratch on `coords`
    (a new tensor with an empty map cache each run: mapping, plan, gather, matmul and
    scatter all count). engines: {name: (mode, eps, S)} for ours, or {name: "spconv"}
    (its SubMConv3d, Native algorithm, building its indices each run). Same features."""
    g = torch.Generator().manual_seed(seed)
    f = torch.randn(coords.shape[0], cin, generator=g)
    w = torch.randn(27, cin, cout, generator=g) / np.sqrt(27 * cin)
    runs = {}
    for name, how in engines.items():
        if how == "spconv":
            import spconv.pytorch as spc
            from spconv.core import ConvAlgo
            c = coords.to(torch.int32).contiguous()
            shape = (c[:, 1:].max(0).values + 1).tolist()
            m = spc.SubMConv3d(cin, cout, 3, bias=False, algo=ConvAlgo.Native)

            def run(timer, m=m, c=c, shape=shape):
                m(spc.SparseConvTensor(f, c, shape, 1))
        else:
            mode, eps, S = how

            def run(timer, mode=mode, eps=eps, S=S):
                sparse_conv3d(SparseTensor(coords, f, check=False), w, mode=mode, eps=eps, S=S, timings=timer)
        runs[name] = run
    return runs


def grouping_speedup(n_voxels: int, channels: int = 32, seeds=(0, 1, 2), repeats: int = 7) -> pd.DataFrame:
    """For each seed (a different scene): tune eps on one set of runs, then measure the
    tuned layer and the separate-matmul layer afresh, interleaved (median of `repeats`
    after a warm-up round). Columns: seed, eps (-1: the tuner kept the separate path),
    matmul_speedup, compute_speedup (gather+matmul+scatter), total_speedup (the whole
    layer from scratch, mapping included)."""
    n_voxels = check_int("n_voxels", n_voxels, lo=10, hi=MAX_VOXELS)
    channels, repeats = _ch("channels", channels), _rep(repeats)
    seeds = _seq("seeds", seeds, lambda n, v: check_int(n, v, lo=0, hi=2**32 - 1))
    rows = []
    for s in seeds:
        coords = lidar_scene(n_voxels, s)
        eps, S, _ = tune_layer(coords, channels, channels, repeats=repeats, seed=s)
        tuned = ("grouped", eps, S) if eps >= 0 else ("separate", 0.0, 0)
        runs = _layer_runs(coords, channels, channels, {"separate": ("separate", 0.0, 0), "tuned": tuned}, s + 100)
        with one_thread(), torch.no_grad():
            t = {n: _medians(v) for n, v in _round_robin(runs, repeats).items()}
        sep, grp = t["separate"], t["tuned"]

        def compute(t):
            return t["gather"] + t["matmul"] + t["scatter"]

        rows.append(dict(seed=s, eps=eps, matmul_speedup=sep["matmul"] / grp["matmul"],
                         compute_speedup=compute(sep) / compute(grp), total_speedup=sep["total"] / grp["total"]))
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- data movement model
def data_movement(coords: torch.Tensor, cin: int, cout: int, tile: int = 256) -> pd.DataFrame:
    """Bytes moved to and from memory per stage, counted from the kernel map, for
    "unfused fp32" (gather writes a buffer, matmul reads it and writes partial sums, scatter
    reads them and read-modify-writes the output per offset), "fused fp32" (gathered rows go
    straight into the matmul and products straight into the output, still per offset),
    "fused fp16" (the same at half precision) and "fused fp16 + locality" (outputs in tiles
    of `tile` sorted voxels: each tile's distinct input rows are read once and each output
    row is written once). Index reads (int64) are included. Columns: scheme, stage, bytes."""
    coords = _cc(coords)
    cin, cout = _ch("cin", cin), _ch("cout", cout)
    tile = check_int("tile", tile, lo=1, hi=MAX_VOXELS)
    x = SparseTensor(coords, torch.zeros(coords.shape[0], 1), check=False)
    km = get_kernel_map(x, 3)[0]
    P, n_out = km.volume, km.n_out
    idx = 8 * P
    rows = []

    def add(scheme, gather, matmul, scatter):
        rows.extend([dict(scheme=scheme, stage="gather", bytes=gather),
                     dict(scheme=scheme, stage="matmul", bytes=matmul),
                     dict(scheme=scheme, stage="scatter", bytes=scatter)])

    add("unfused fp32", idx + 2 * 4 * P * cin, 4 * P * (cin + cout), idx + 4 * P * cout + 2 * 4 * P * cout)
    add("fused fp32", idx + 4 * P * cin, 0, idx + 2 * 4 * P * cout)
    add("fused fp16", idx + 2 * P * cin, 0, idx + 2 * 2 * P * cout)
    # locality: outputs sorted by key (spatially local), tiled; distinct inputs per tile
    order = torch.argsort(x.keys())
    rank = torch.empty_like(order)
    rank[order] = torch.arange(n_out)
    tile_of = rank[km.out_idx] // tile
    distinct = torch.unique(tile_of * (km.n_in + 1) + km.in_idx).numel()
    add("fused fp16 + locality", idx + 2 * distinct * cin, 0, idx + 2 * n_out * cout)
    return pd.DataFrame(rows)


def movement_ratio(dm: pd.DataFrame, a: str = "unfused fp32", b: str = "fused fp16 + locality") -> float:
    """Total bytes of scheme a over scheme b (dm: a `data_movement` table)."""
    dm = _frame("dm", dm, ("scheme", "stage", "bytes"))
    schemes = sorted(set(dm.scheme))
    check_choice("a", a, schemes)
    check_choice("b", b, schemes)
    tot = dm.groupby("scheme")["bytes"].sum()
    return float(tot[a] / tot[b])


# ---------------------------------------------------------------- benchmark table
def benchmark(sizes=(10000, 50000, 200000), channels=(32, 64), repeats: int = 7, seed: int = 0,
              eps: float | None = None, progress: bool = False, naive: bool = True) -> pd.DataFrame:
    """Per-stage CPU time (ms) of one 3x3x3 submanifold conv (from scratch: mapping
    included) for each scene size and width: our engine grouped (eps tuned per layer by
    `tune_layer` when eps is None), separate and spconv (when installed) run
    interleaved round-robin on one thread after a warm-up round; each time is the median
    over `repeats` rounds. naive (when `naive`; it rebuilds the lookup table for every
    offset, so it is slow) runs after them, median of min(3, repeats) runs. Columns: voxels,
    channels, engine, eps, S, mapping, gather, matmul, scatter, total (ms)."""
    from tqdm.auto import tqdm
    sizes = _seq("sizes", sizes, lambda n, v: check_int(n, v, lo=10, hi=MAX_VOXELS))
    channels = _seq("channels", channels, _ch)
    repeats, seed = _rep(repeats), _seed(seed)
    if eps is not None:
        eps = _eps("eps", eps)
    progress = check_bool("progress", progress)
    naive = check_bool("naive", naive)
    rows = []
    jobs = [(n, c) for n in sizes for c in channels]
    for n, c in tqdm(jobs, disable=not progress, desc="sparse conv"):
        coords = lidar_scene(n, seed)
        e, S = (eps, 1 << 30) if eps is not None else tune_layer(coords, c, c, repeats=repeats, seed=seed)[:2]
        engines = {"grouped (tuned)": ("grouped", e, S) if e >= 0 else ("separate", 0.0, 0),
                   "separate": ("separate", 0.0, 0)}
        if spconv_available():
            engines["spconv"] = "spconv"
        runs = _layer_runs(coords, c, c, engines, seed)
        with one_thread(), torch.no_grad():
            timed = _round_robin(runs, repeats)
            if naive:
                timed.update(_round_robin(_layer_runs(coords, c, c, {"naive": ("naive", 0.0, 0)}, seed),
                                          min(3, repeats), warmup=0))
        for name in ("grouped (tuned)", "separate", "naive", "spconv"):
            if name not in timed:
                continue
            t = _medians(timed[name])
            stages = {k: 1e3 * t[k] for k in STAGES} if name != "spconv" else {k: np.nan for k in STAGES}
            rows.append(dict(voxels=n, channels=c, engine=name, eps=e if name == "grouped (tuned)" else np.nan,
                             S=S if name == "grouped (tuned)" else np.nan, **stages, total=1e3 * t["total"]))
    return pd.DataFrame(rows)


def spconv_ratio(df: pd.DataFrame, engine: str = "grouped (tuned)") -> pd.DataFrame:
    """spconv time / our time per (voxels, channels): > 1 means ours is faster."""
    df = _frame("df", df, ("voxels", "channels", "engine", "total"))
    check_choice("engine", engine, sorted(set(df.engine)))
    p = df.pivot_table(index=["voxels", "channels"], columns="engine", values="total")
    out = p[["spconv"]].copy() if "spconv" in p else p[[engine]].iloc[:, :0].copy()
    if "spconv" in p:
        out["ratio"] = p["spconv"] / p[engine]
    return out.reset_index()


# ---------------------------------------------------------------- walk-through and checks
def walkthrough(coords: torch.Tensor, cin: int = 16, cout: int = 16, seed: int = 0) -> pd.DataFrame:
    """One submanifold 3x3x3 conv on `coords`, stage by stage: what each stage does, how
    much it handles and its CPU time (ms)."""
    coords = _cc(coords)
    cin, cout = _ch("cin", cin), _ch("cout", cout)
    g = torch.Generator().manual_seed(_seed(seed))
    x = SparseTensor(coords, torch.randn(coords.shape[0], cin, generator=g), check=False)
    w = torch.randn(27, cin, cout, generator=g)
    t = StageTimer(time.thread_time)
    with one_thread(), torch.no_grad():
        km = get_kernel_map(x, 3, timings=t)[0]
        apply_kernel_map(x.feats, w, km, "separate", timings=t)
    P = km.volume - km.n_out
    what = {"mapping": f"hash {km.n_in} voxels to int64 keys, sort, merge 26 shifted copies -> {km.volume} pairs",
            "gather": f"read {P} input rows of {cin} floats (centre offset needs none)",
            "matmul": f"{km.volume} rows x [{cin} x {cout}] weights = {2 * km.volume * cin * cout / 1e6:.1f} MFLOP",
            "scatter": f"add {P} product rows of {cout} floats into {km.n_out} outputs"}
    return pd.DataFrame([dict(stage=s, work=what[s], cpu_ms=1e3 * t.get(s, 0.0)) for s in STAGES])


def dense_check(seed: int = 0, D: int = 8) -> float:
    """Largest |difference| between our engine (every mode; submanifold, strided and
    transposed) and torch's dense conv3d / conv_transpose3d on a random D^3 grid with
    small-integer float64 data (so any difference is a real error, not rounding)."""
    import torch.nn.functional as F
    D = check_int("D", D, lo=4, hi=32)
    g = torch.Generator().manual_seed(_seed(seed))
    coords = (torch.rand(2, D, D, D, generator=g) < 0.25).nonzero().to(torch.int32).contiguous()
    x = SparseTensor(coords, torch.randint(-3, 4, (coords.shape[0], 3), generator=g).double())

    def w(shape):
        return torch.randint(-2, 3, shape, generator=g).double()

    def at(d, c, step=1):
        c = c.long()
        return d[c[:, 0], :, c[:, 1] // step, c[:, 2] // step, c[:, 3] // step]

    err = 0.0
    for mode in ("grouped", "separate", "naive"):
        xs = SparseTensor(coords, x.feats)
        w1, w2, w3 = w((27, 3, 4)), w((27, 4, 5)), w((27, 5, 2))
        y = sparse_conv3d(xs, w1, mode=mode)
        ref = F.conv3d(xs.dense((D,) * 3), w1.reshape(3, 3, 3, 3, 4).permute(4, 3, 0, 1, 2), padding=1)
        err = max(err, float((y.feats - at(ref, y.coords)).abs().max()))
        yd = sparse_conv3d(y, w2, stride=2, mode=mode)
        ref = F.conv3d(y.dense((D,) * 3), w2.reshape(3, 3, 3, 4, 5).permute(4, 3, 0, 1, 2), stride=2, padding=1)
        err = max(err, float((yd.feats - at(ref, yd.coords, 2)).abs().max()))
        z = sparse_conv3d(yd, w3, stride=2, transposed=True, mode=mode)
        ref = F.conv_transpose3d(yd.dense((D // 2,) * 3), w3.reshape(3, 3, 3, 5, 2).permute(3, 4, 0, 1, 2),
                                 stride=2, padding=1, output_padding=1)
        err = max(err, float((z.feats - at(ref, z.coords)).abs().max()))
    return err


# ---------------------------------------------------------------- deterministic grouping measurements
def grouping_plans(coords: torch.Tensor, eps_grid=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0), cin: int = 32,
                   cout: int = 32, S: int = 1 << 30) -> pd.DataFrame:
    """What each grouping plan of a 3x3x3 submanifold layer on `coords` computes, counted
    from the kernel map (no timing; the same numbers on every machine). One row per eps
    (eps = -1: the separate path, one matmul per offset): groups, batched groups, matmul
    calls (a batched group is one call, the centre offset one more), useful rows (the map's
    pairs), padded rows computed, redundant_flops_pct (padding / useful, %) and matmul
    MFLOP (2 x rows x cin x cout)."""
    coords = _cc(coords)
    eps_grid = _seq("eps_grid", eps_grid, _eps)
    cin, cout = _ch("cin", cin), _ch("cout", cout)
    S = check_int("S", S, lo=0, hi=1 << 40)
    x = SparseTensor(coords, torch.zeros(coords.shape[0], 1), check=False)
    km = get_kernel_map(x, 3)[0]
    useful = int(km.volume)
    rows = []
    for eps in (-1.0, *[e for e in eps_grid if e >= 0]):
        plan = plan_groups(km, eps, S)
        calls = 1 + sum(1 if b else len(g) for g, b in zip(plan.groups, plan.batched))
        pad = plan.redundant_rows(km.sizes)
        rows.append(dict(eps=float(eps), groups=len(plan.groups), batched=int(sum(plan.batched)), calls=int(calls),
                         useful_rows=useful, rows=useful + pad, redundant_flops_pct=100.0 * pad / max(useful, 1),
                         matmul_mflop=2.0 * (useful + pad) * cin * cout / 1e6))
    return pd.DataFrame(rows)


def grouping_check(coords: torch.Tensor, eps_grid=(0.0, 0.1, 0.3, 0.5, 1.0), S_grid=(0, 64, 1 << 30),
                   cin: int = 4, cout: int = 3, seed: int = 0) -> float:
    """Largest |grouped - separate| over every (eps, S) plan of one 3x3x3 submanifold layer
    on `coords`, with small-integer float64 features and weights (so any difference is a
    real error: a padding row leaking into an output, a wrong offset in a batch)."""
    coords = _cc(coords)
    eps_grid = _seq("eps_grid", eps_grid, lambda n, v: check_number(n, v, lo=0.0, hi=1.0))
    S_grid = _seq("S_grid", S_grid, lambda n, v: check_int(n, v, lo=0, hi=1 << 40))
    cin, cout = _ch("cin", cin), _ch("cout", cout)
    g = torch.Generator().manual_seed(_seed(seed))
    f = torch.randint(-3, 4, (coords.shape[0], cin), generator=g).double()
    w = torch.randint(-2, 3, (27, cin, cout), generator=g).double()
    x = SparseTensor(coords, f, check=False)
    with torch.no_grad():
        ref = sparse_conv3d(x, w, mode="separate").feats
        err = 0.0
        for eps in eps_grid:
            for S in S_grid:
                y = sparse_conv3d(x, w, mode="grouped", eps=eps, S=S).feats
                err = max(err, float((y - ref).abs().max()))
    return err


# ---------------------------------------------------------------- the committed benchmark table
BENCH_COLUMNS = ("voxels", "channels", "engine", "eps", "S", *STAGES, "total")


def bench_file():
    """The committed benchmark table (results/bench/sparseconv.csv), written by
    `make bench BENCH=sparseconv` (benchmarks/sparseconv.py)."""
    from lab.core.paths import repo_root
    return repo_root() / "results" / "bench" / "sparseconv.csv"


def write_bench(df: pd.DataFrame, path, meta: dict) -> None:
    """Write a `benchmark` table to `path` as CSV, after one '# key: value' line per
    entry of `meta` (machine, date, commit, command, load)."""
    from pathlib import Path
    df = _frame("df", df, BENCH_COLUMNS)
    check_type("meta", meta, dict)
    path = Path(check_type("path", path, (str, Path)))
    path.parent.mkdir(parents=True, exist_ok=True)
    head = "".join(f"# {k}: {str(v).replace(chr(10), ' ')}\n" for k, v in meta.items())
    path.write_text(head + df[list(BENCH_COLUMNS)].to_csv(index=False))


def load_bench(path=None) -> tuple:
    """(table, meta) of a benchmark file written by `write_bench` (default: the committed
    one, `bench_file()`): the `benchmark` table and its '# key: value' header as a dict."""
    from pathlib import Path
    path = bench_file() if path is None else Path(check_type("path", path, (str, Path)))
    if not path.is_file():
        raise ValueError(f"path must be a benchmark file written by benchmarks/sparseconv.py; {path} does not exist")
    text = path.read_text()
    meta = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        k, _, v = line[1:].partition(":")
        meta[k.strip()] = v.strip()
    import io
    try:
        df = pd.read_csv(io.StringIO(text), comment="#")
    except Exception as exc:
        raise ValueError(f"path {path} is not a benchmark table: {exc}") from None
    return check_table("path", df, BENCH_COLUMNS, what=f"a benchmark table ({path})"), meta


def bench_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per (voxels, channels) of a `benchmark` table: the tuned eps, ours separate and
    tuned total ms, separate / tuned, the grouping matmul speedup, and spconv ms with
    spconv / ours (tuned) when the table has spconv (> 1: ours is faster)."""
    df = _frame("df", df, ("voxels", "channels", "engine", "eps", "matmul", "total"))
    have = set(df.engine)
    for e in ("grouped (tuned)", "separate"):
        if e not in have:
            raise ValueError(f"df must hold engine {e!r}; it holds {sorted(have)}")
    piv = df.pivot_table(index=["voxels", "channels"], columns="engine", values=["matmul", "total"])
    tot, mm = piv["total"], piv["matmul"]
    tuned = df[df.engine == "grouped (tuned)"].set_index(["voxels", "channels"])
    out = pd.DataFrame({"tuned eps": tuned["eps"], "separate ms": tot["separate"],
                        "tuned ms": tot["grouped (tuned)"],
                        "separate / tuned": tot["separate"] / tot["grouped (tuned)"],
                        "matmul separate / tuned": mm["separate"] / mm["grouped (tuned)"]})
    if "spconv" in have:
        out["spconv ms"] = tot["spconv"]
        out["spconv / ours (tuned)"] = tot["spconv"] / tot["grouped (tuned)"]
    return out.reset_index()
