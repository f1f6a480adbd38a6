"""Measurements of the sparse-convolution engine: LiDAR-like scenes, stage timings,
the grouping trade-off and its tuner, modelled data movement, spconv comparison,
figures and the explorer.

Notebook: notebooks/13_sparseconv.ipynb (benchmarks/sparseconv.py runs the large sizes).
Paper: H. Tang, Z. Liu, X. Li, Y. Lin, S. Han, "TorchSparse: Efficient Point Cloud
Inference Engine", MLSys 2022.

Timings use the CPU time of the calling thread (`time.thread_time`) with torch on one
thread, and keep the minimum over repeats: on a shared machine this is far steadier
than wall-clock time.
"""
from __future__ import annotations

import contextlib
import importlib
import time

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import torch

from lab.core import plotting
from lab.core.checks import check_int, check_positive
from lab.sparseconv import (SparseTensor, StageTimer, apply_kernel_map, get_kernel_map, plan_groups,
                            sparse_conv3d, sparse_quantize)

STAGES = ("mapping", "gather", "matmul", "scatter")


# ---------------------------------------------------------------- scenes
def lidar_scene(n_voxels: int, seed: int = 0, voxel_size: float = 0.05, n_rings: int = 64,
                extent: float = 40.0) -> torch.Tensor:
    """Voxels of a synthetic spinning-LiDAR sweep: int32 [n_voxels, 4] (0, x, y, z).

    A sensor 1.8 m above a ground plane casts `n_rings` rings (elevation -25 deg to +3 deg;
    doubled until the sweep yields at least `n_voxels` voxels of `voxel_size` metres) at an
    azimuth step scaled with n_voxels; boxes (cars, buildings) occlude the rays. The n_voxels voxels
    nearest to the sensor are kept. Coordinates are shifted to start at 0.
    """
    n_voxels = check_int("n_voxels", n_voxels, lo=10, hi=2_000_000)
    seed = check_int("seed", seed, lo=0)
    voxel_size = check_positive("voxel_size", voxel_size)
    rng = np.random.default_rng(seed)
    c = rng.uniform(-extent, extent, (60, 2))
    c = c[np.hypot(c[:, 0], c[:, 1]) > 6]
    car = rng.random((len(c), 1)) < 0.7
    size = np.where(car, rng.uniform([3.5, 1.6, 1.4], [5, 2, 1.8], (len(c), 3)),
                    rng.uniform([5, 5, 4], [15, 15, 12], (len(c), 3)))
    lo = np.c_[c - size[:, :2] / 2, np.zeros(len(c))]
    hi = np.c_[c + size[:, :2] / 2, size[:, 2]]
    origin = np.array([0.0, 0.0, 1.8])
    n_az = max(256, int(n_voxels / n_rings * 2))
    for _ in range(8):
        el = np.deg2rad(np.linspace(-25, 3, n_rings))
        az = np.linspace(0, 2 * np.pi, n_az, endpoint=False) + rng.uniform(0, 2 * np.pi / n_az)
        E, A = np.meshgrid(el, az, indexing="ij")
        d = np.stack([np.cos(E) * np.cos(A), np.cos(E) * np.sin(A), np.sin(E)], -1).reshape(-1, 3)
        t = np.full(len(d), np.inf)
        down = d[:, 2] < 0
        t[down] = -origin[2] / d[down, 2]
        inv = 1.0 / np.where(d == 0, 1e-12, d)
        for bl, bh in zip(lo, hi):
            t1, t2 = (bl - origin) * inv, (bh - origin) * inv
            tn, tf = np.minimum(t1, t2).max(1), np.maximum(t1, t2).min(1)
            t = np.where((tf >= tn) & (tn > 0) & (tn < t), tn, t)
        ok = np.isfinite(t)
        p = origin + d[ok] * t[ok, None]
        p = p[(np.abs(p[:, 0]) < extent) & (np.abs(p[:, 1]) < extent)]
        vc = sparse_quantize(p, voxel_size)[0].numpy()
        if len(vc) >= n_voxels:
            break
        n_rings *= 2  # the 5 cm rings saturate: denser elevations add new rings
    dist = np.linalg.norm((vc + 0.5) * voxel_size - origin, axis=1)
    vc = vc[np.argsort(dist, kind="stable")[:n_voxels]]
    vc = vc - vc.min(0)
    out = np.zeros((len(vc), 4), dtype=np.int32)
    out[:, 1:] = vc
    return torch.from_numpy(out)


# ---------------------------------------------------------------- timing
@contextlib.contextmanager
def one_thread():
    """Run torch on one thread inside the block (restored after)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def _min_stages(runs):
    return {s: min(r.get(s, 0.0) for r in runs) for s in STAGES}


def time_conv(coords: torch.Tensor, cin: int, cout: int, mode: str = "grouped", eps: float = 0.3,
              S: int = 1 << 30, repeats: int = 5, seed: int = 0) -> dict:
    """CPU seconds per stage of one 3x3x3 submanifold conv on `coords` (min over repeats;
    each repeat starts from an empty map cache). Returns {stage: s, 'total': s}."""
    cin, cout = check_int("cin", cin, lo=1), check_int("cout", cout, lo=1)
    repeats = check_int("repeats", repeats, lo=1, hi=100)
    g = torch.Generator().manual_seed(seed)
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


def tune_layer(coords: torch.Tensor, cin: int, cout: int, eps_grid=(-1.0, 0.0, 0.1, 0.2, 0.3, 0.5),
               S_grid=(4096, 1 << 30), repeats: int = 5, seed: int = 0, margin: float = 0.05):
    """The tuner: time gather+matmul+scatter of one layer for every (eps, S) and return
    (best eps, best S, DataFrame of all). eps = -1 means no grouping; it is always a
    candidate, and grouping is chosen only when it is faster by more than `margin`
    (a fraction), so timing noise does not switch grouping on."""
    g = torch.Generator().manual_seed(seed)
    f = torch.randn(coords.shape[0], cin, generator=g)
    w = torch.randn(27, cin, cout, generator=g)
    x = SparseTensor(coords, f, check=False)
    km = get_kernel_map(x, 3)[0]
    rows = []
    with one_thread(), torch.no_grad():
        for eps in eps_grid:
            for S in S_grid:
                runs = []
                for _ in range(repeats):
                    t = StageTimer(time.thread_time)
                    apply_kernel_map(f, w, km, "grouped", eps, S, timings=t)
                    runs.append(t)
                st = _min_stages(runs)
                plan = plan_groups(km, eps, S)
                rows.append(dict(eps=eps, S=S, groups=len(plan.groups), **{k: st[k] for k in STAGES[1:]},
                                 compute=min(r.total for r in runs),
                                 redundant=plan.redundant_rows(km.sizes) / km.volume))
    df = pd.DataFrame(rows)
    best = df.loc[df["compute"].idxmin()]
    plain = df[df.eps < 0]["compute"].min() if (df.eps < 0).any() else np.inf
    if best["compute"] > (1 - margin) * plain:
        return -1.0, int(S_grid[-1]), df
    return float(best["eps"]), int(best["S"]), df


def tune_conv(conv, x: SparseTensor, repeats: int = 3, **grid):
    """Set a submanifold Conv3d's eps and S to the tuner's choice on the coordinates of
    `x` (its own channel sizes). Returns (eps, S)."""
    if conv.stride != 1 or conv.transposed or conv.kernel_size != 3:
        raise ValueError("conv must be a 3x3x3 submanifold Conv3d (stride=1, transposed=False) to be tuned")
    eps, S, _ = tune_layer(x.coords, conv.in_channels, conv.out_channels, repeats=repeats, **grid)
    conv.eps, conv.S = (eps, S) if eps >= 0 else (0.0, 0)
    return conv.eps, conv.S


def grouping_tradeoff(coords: torch.Tensor, cin: int, cout: int, eps_grid, repeats: int = 5,
                      seeds=(0,)) -> pd.DataFrame:
    """Redundant FLOPs (padding / useful, %) and matmul CPU time against eps, with the
    matmul speedup over separate matmuls (eps = -1). Mean over `seeds` (random features)."""
    frames = []
    for s in seeds:
        df = tune_layer(coords, cin, cout, eps_grid=(-1.0, *eps_grid), S_grid=(1 << 30,), repeats=repeats, seed=s)[2]
        frames.append(df.assign(seed=s))
    df = pd.concat(frames)
    base = df[df.eps == -1.0].set_index("seed")["matmul"]
    df["matmul_speedup"] = df.apply(lambda r: base[r.seed] / r.matmul, axis=1)
    df["redundant_flops_pct"] = 100 * df["redundant"]
    return df[df.eps >= 0].groupby("eps", as_index=False).mean(numeric_only=True)


def grouping_speedup(n_voxels: int, channels: int = 32, seeds=(0, 1, 2), repeats: int = 5) -> pd.DataFrame:
    """For each seed (a different scene): tune eps on one set of runs, then measure the
    tuned grouped layer and the separate-matmul layer afresh. Columns: seed, eps,
    matmul_speedup, compute_speedup (gather+matmul+scatter), total_speedup."""
    rows = []
    for s in seeds:
        coords = lidar_scene(n_voxels, s)
        eps = tune_layer(coords, channels, channels, eps_grid=(-1.0, 0.0, 0.1, 0.2, 0.3, 0.5), repeats=repeats, seed=s)[0]
        sep = time_conv(coords, channels, channels, "separate", 0.0, repeats=repeats, seed=s + 100)
        grp = time_conv(coords, channels, channels, "grouped", eps, repeats=repeats, seed=s + 100)

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
    tile = check_int("tile", tile, lo=1)
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
    """Total bytes of scheme a over scheme b."""
    tot = dm.groupby("scheme")["bytes"].sum()
    return float(tot[a] / tot[b])


# ---------------------------------------------------------------- benchmark table
def benchmark(sizes=(10000, 50000, 200000), channels=(32, 64), repeats: int = 5, seed: int = 0,
              eps: float | None = None, progress: bool = False) -> pd.DataFrame:
    """Per-stage CPU time (ms) of one 3x3x3 submanifold conv for each scene size and width:
    our engine grouped (eps tuned per layer when eps is None), separate, naive, and spconv."""
    from tqdm.auto import tqdm
    rows = []
    jobs = [(n, c) for n in sizes for c in channels]
    for n, c in tqdm(jobs, disable=not progress, desc="sparse conv"):
        coords = lidar_scene(n, seed)
        e = eps
        if e is None:
            e = tune_layer(coords, c, c, repeats=repeats, seed=seed)[0]
        for name, mode, ee in (("grouped (tuned)", "grouped", e), ("separate", "separate", 0.0),
                               ("naive", "naive", 0.0)):
            t = time_conv(coords, c, c, mode, ee, repeats=repeats, seed=seed)
            rows.append(dict(voxels=n, channels=c, engine=name, eps=ee if mode == "grouped" else np.nan,
                             **{k: 1e3 * t[k] for k in (*STAGES, "total")}))
        ts = time_spconv(coords, c, c, repeats, seed)
        if ts is not None:
            rows.append(dict(voxels=n, channels=c, engine="spconv", eps=np.nan, total=1e3 * ts))
    return pd.DataFrame(rows)


def spconv_ratio(df: pd.DataFrame, engine: str = "grouped (tuned)") -> pd.DataFrame:
    """spconv time / our time per (voxels, channels): > 1 means ours is faster."""
    p = df.pivot_table(index=["voxels", "channels"], columns="engine", values="total")
    out = p[["spconv"]].copy() if "spconv" in p else p[[engine]].iloc[:, :0].copy()
    if "spconv" in p:
        out["ratio"] = p["spconv"] / p[engine]
    return out.reset_index()


# ---------------------------------------------------------------- walk-through and checks
def walkthrough(coords: torch.Tensor, cin: int = 16, cout: int = 16, seed: int = 0) -> pd.DataFrame:
    """One submanifold 3x3x3 conv on `coords`, stage by stage: what each stage does, how
    much it handles and its CPU time (ms)."""
    g = torch.Generator().manual_seed(seed)
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
    g = torch.Generator().manual_seed(seed)
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


# ---------------------------------------------------------------- figures
def scene_figure(coords: torch.Tensor, voxel_size: float = 0.05):
    """The scene's voxel centres (metres) as an Open3D point cloud coloured by height,
    shown through lab.core.viz3d (rotatable plotly)."""
    from lab.core import viz3d
    o3d = viz3d.open3d()
    p = (coords[:, 1:].numpy() + 0.5) * voxel_size
    h = (p[:, 2] - p[:, 2].min()) / max(1e-9, np.ptp(p[:, 2]))
    cols = np.stack([h, 0.3 + 0.4 * (1 - h), 1 - h], 1)
    if o3d is None:
        fig = go.Figure(go.Scatter3d(x=p[:, 0], y=p[:, 1], z=p[:, 2], mode="markers",
                                     marker=dict(size=1.5, color=h, colorscale="Viridis")))
        fig.update_layout(scene=dict(aspectmode="data", xaxis_title="x [m]", yaxis_title="y [m]",
                                     zaxis_title="z [m]"), height=420)
        return fig
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(p))
    pc.colors = o3d.utility.Vector3dVector(cols)
    return viz3d.to_plotly([pc], title=f"LiDAR-like scene: {len(p)} voxels of {voxel_size * 100:.0f} cm",
                           marker_size=1.5, height=420)



def stage_figure(df: pd.DataFrame, title: str = "time per stage", widget: bool = False):
    """Stacked bars of per-stage time (ms) per engine and size."""
    mk = plotting.widget_figure if widget else plotting.figure
    fig = mk("engine @ voxels, channels [–]", plotting.label("CPU time", "ms"), title)
    fill_stage_bars(fig, df)
    return fig


def fill_stage_bars(fig, df: pd.DataFrame) -> None:
    x = [f"{r.engine} @ {r.voxels // 1000}k, {r.channels}" for r in df.itertuples()]
    data = [go.Bar(name=s, x=x, y=df[s].fillna(0).tolist()) for s in STAGES]
    if "spconv" in set(df.engine):
        other = np.where(df.engine == "spconv", df.total, 0.0)
        data.append(go.Bar(name="spconv (all stages)", x=x, y=other.tolist()))
    fig.data = []
    for d in data:
        fig.add_trace(d)
    fig.update_layout(barmode="stack")


def kernel_map_figure(coords: torch.Tensor, n_outputs: int = 80):
    """The kernel map of a 3x3x3 submanifold conv as an image: offset (row) x output voxel
    (column); a cell is coloured by the input row it reads, blank when no input exists;
    plus the map size of every offset."""
    from plotly.subplots import make_subplots
    n_outputs = check_int("n_outputs", n_outputs, lo=1)
    x = SparseTensor(coords, torch.zeros(coords.shape[0], 1), check=False)
    km = get_kernel_map(x, 3)[0]
    order = torch.argsort(x.keys())[:n_outputs]
    sel = torch.full((coords.shape[0],), -1, dtype=torch.int64)
    sel[order] = torch.arange(order.numel())
    img = np.full((27, order.numel()), np.nan)
    for k in range(27):
        ii, oi = km.pairs(k)
        m = sel[oi] >= 0
        img[k, sel[oi[m]].numpy()] = ii[m].numpy()
    fig = make_subplots(rows=1, cols=2, column_widths=[0.72, 0.28], horizontal_spacing=0.08)
    fig.add_trace(go.Heatmap(z=img, colorscale="Viridis", showscale=False,
                             hovertemplate="offset %{y}, output %{x}: input %{z}<extra></extra>"), 1, 1)
    fig.add_trace(go.Bar(x=km.sizes.numpy(), y=list(range(27)), orientation="h", showlegend=False), 1, 2)
    fig.update_layout(template=plotting.TEMPLATE_NAME, height=420,
                      title="kernel map: which input each offset reads, per output voxel")
    plotting.label_axes(fig, xaxis="output voxel (sorted by key) [index]", yaxis="kernel offset [index]",
                        xaxis2="pairs in the map [count]", yaxis2="kernel offset [index]")
    return fig


def tradeoff_figure(df: pd.DataFrame):
    """Redundant FLOPs and matmul speedup against eps."""
    fig = plotting.figure(plotting.label("ε (grouping tolerance)", ""), plotting.label("value", "–"),
                          "adaptive grouping: redundant work against matmul speed")
    fig.add_trace(go.Scatter(x=df.eps, y=df.redundant_flops_pct / 100, name="redundant FLOPs / useful"))
    fig.add_trace(go.Scatter(x=df.eps, y=df.matmul_speedup, name="matmul speedup vs separate"))
    fig.add_trace(go.Scatter(x=df.eps, y=df.groups / 26, name="groups / 26 offsets"))
    return fig


def movement_figure(dm: pd.DataFrame):
    fig = plotting.figure("scheme [–]", plotting.label("data moved", "MB"), "modelled memory traffic per stage")
    for st in ("gather", "matmul", "scatter"):
        d = dm[dm.stage == st]
        fig.add_trace(go.Bar(name=st, x=d.scheme, y=d.bytes / 1e6))
    fig.update_layout(barmode="stack")
    return fig


# ---------------------------------------------------------------- explorer
def explorer(sizes=(2000, 6000, 12000), channels: int = 32, repeats: int = 3, seed: int = 0):
    """ε, S and the scene size, with the stage-time bars of separate vs grouped execution."""
    from lab.core import widgets as wd
    check_int("channels", channels, lo=1)
    scenes = {}

    def scene(n):
        if n not in scenes:
            scenes[n] = lidar_scene(n, seed)
        return scenes[n]

    controls = dict(eps=wd.slider("ε", 0.3, 0.0, 1.0, 0.05),
                    S=wd.slider("S (batched rows)", 1e6, 2, 7, 0.25, "rows", log=True),
                    voxels=wd.dropdown("scene voxels", list(sizes), sizes[min(1, len(sizes) - 1)]))
    fig = plotting.widget_figure("engine @ voxels, channels [–]", plotting.label("CPU time", "ms"),
                                 "stage times: separate vs adaptive grouping")
    readout = __import__("ipywidgets").HTML()

    def update():
        n, eps, S = controls["voxels"].value, controls["eps"].value, int(controls["S"].value)
        c = scene(n)
        rows = []
        for name, mode in (("separate", "separate"), (f"grouped ε={eps:.2f}", "grouped")):
            t = time_conv(c, channels, channels, mode, eps, S, repeats, seed)
            rows.append(dict(voxels=n, channels=channels, engine=name, **{k: 1e3 * t[k] for k in (*STAGES, "total")}))
        df = pd.DataFrame(rows)
        fill_stage_bars(fig, df)
        km = get_kernel_map(SparseTensor(c, torch.zeros(n, 1), check=False), 3)[0]
        plan = plan_groups(km, eps, S)
        readout.value = wd.readout_table({
            "groups (batched)": f"{len(plan.groups)} ({sum(plan.batched)})",
            "redundant rows": f"{100 * plan.redundant_rows(km.sizes) / km.volume:.1f} % of useful",
            "matmul speedup": f"{df.matmul[0] / df.matmul[1]:.2f}×",
            "total speedup": f"{df.total[0] / df.total[1]:.2f}×"})

    ex = wd.Explorer(controls, [fig], update, readout, title="TorchSparse adaptive grouping",
                     presets={"no batching": dict(eps=0.0, S=100.0), "aggressive": dict(eps=1.0, S=1e7)})
    update()
    return ex
