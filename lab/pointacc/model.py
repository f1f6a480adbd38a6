"""PointAcc: a functional model of the ranking-based mapping unit and an analytical
latency/energy model of a point-cloud accelerator against a GPU-like baseline.

Notebook: notebooks/08_pointacc.ipynb. This file: the layers, the cache model and the cost model;
the layers of real networks are traced in `trace.py`, the mapping unit is in `mapping.py`, figures and the
explorer in `views.py`.
Paper: Y. Lin, Z. Zhang, H. Tang, H. Wang, S. Han, "PointAcc: Efficient Point Cloud
Accelerator", MICRO 2021.

* Mapping unit: every mapping operation is a ranking. The kernel map merge-sorts the
  shifted output keys with the input keys and reads pairs off equal neighbours; kNN and
  ball query rank candidate points by distance. Checked against `lab.sparseconv`'s
  hash/merge-join map and a brute-force kNN.
* Layers of real networks are traced with `lab.sparseconv` (actual kernel-map sizes on a
  LiDAR-like scene): a MinkUNet-style U-Net and a compact SPVCNN.
* Cost model (`Accel`, `GPU`): cycles and bytes per stage (mapping, gather, matmul,
  scatter), a configurable on-chip feature cache whose hit rate comes from exact LRU
  stack distances of the gather stream, DRAM bandwidth, and energy per operation and
  per access from M. Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm):
  16-bit FP multiply 1.1 pJ + add 0.4 pJ; SRAM 64-bit read 10 pJ (8 KB), 20 pJ (32 KB),
  100 pJ (1 MB); DRAM 1.3-2.6 nJ per 64-bit access. The GPU-like baseline uses public
  RTX 2080 Ti figures: 13.4 TFLOP/s FP32, 616 GB/s, 250 W board power.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from lab.core.checks import check_array, check_bool, check_choice, check_int, check_number, check_type


# Horowitz, ISSCC 2014, 45 nm (pJ)
E_FP16_MUL, E_FP16_ADD = 1.1, 0.4
E_INT32_ADD = 0.1                   # comparator / merge step ~ a 32-bit add
SRAM_PJ_PER_64BIT = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))
E_DRAM_PJ_PER_BYTE = 1300.0 / 8     # 1.3 nJ per 64-bit access (the low end)
# SRAM leakage, CACTI 7.0 at 45 nm (itrs-hp cells and periphery, 360 K, its cache.cfg as a 256 KB
# one-bank RAM): 299.966 mW per 256 KB (data/pointacc_gpu_baselines.csv, row leak_45hp_256)
LEAK_MW_PER_KB = 299.966 / 256


# ---------------------------------------------------------------- network layers
@dataclass
class Layer:
    """One layer of a traced network: kind 'conv' (sparse conv with P map pairs, centre
    counted), 'mlp' (point-wise linear on n rows), 'voxelize' or 'devoxelize'."""
    name: str
    kind: str
    n_in: int
    n_out: int
    cin: int
    cout: int
    pairs: int = 0
    kvol: int = 1
    group: str = ""          # consecutive 'mlp' layers with the same group can be fused
    stream: np.ndarray | None = None  # input-row access order (output-stationary) for the cache model

    def __post_init__(self):
        check_type("name", self.name, str)
        check_choice("kind", self.kind, KINDS)
        for f in ("n_in", "n_out", "cin", "cout"):
            check_int(f, getattr(self, f), lo=1, hi=MAX_ROWS)
        check_int("pairs", self.pairs, lo=0, hi=MAX_ROWS * 729)
        check_int("kvol", self.kvol, lo=1, hi=729)
        check_type("group", self.group, str)
        if self.stream is not None:
            self.stream = check_stream("stream", self.stream, hi=self.n_in - 1)


KINDS = ("conv", "mlp", "voxelize", "devoxelize")
MAX_ROWS = 4_000_000        # rows (voxels or points) of a layer
MAX_STREAM = 1 << 28        # accesses in one gather stream


def check_stream(name: str, stream, hi: int | None = None) -> np.ndarray:
    """A gather stream: 1-D integer row indices in [0, hi] (hi <= MAX_ROWS), at most MAX_STREAM long."""
    a = check_array(name, stream, ndim=1, dtype_kind="iu", min_size=0)
    if a.size > MAX_STREAM:
        raise ValueError(f"{name} must hold at most {MAX_STREAM} accesses; got {a.size}")
    top = MAX_ROWS - 1 if hi is None else hi
    if a.size and (int(a.min()) < 0 or int(a.max()) > top):
        raise ValueError(f"{name} entries must be row indices in [0, {top}]; got [{int(a.min())}, {int(a.max())}]")
    return np.ascontiguousarray(a, dtype=np.int64)


def check_layers(layers) -> list:
    """`layers` as a non-empty list of `Layer` (a traced network)."""
    if not isinstance(layers, (list, tuple)) or not layers or not all(isinstance(L, Layer) for L in layers):
        raise TypeError("layers must be a non-empty list of Layer (from trace_minkunet or trace_spvcnn)")
    return list(layers)


def _check_nets(nets) -> dict:
    check_type("nets", nets, dict)
    if not nets:
        raise ValueError("nets must name at least one traced network")
    for name, layers in nets.items():
        check_type("nets", name, str)
        try:
            check_layers(layers)
        except TypeError:
            raise TypeError("nets must map names to lists of Layer") from None
    return nets


def layers_frame(layers) -> pd.DataFrame:
    """The traced layers as a table (MACs = pairs x cin x cout for convs)."""
    layers = check_layers(layers)
    rows = [dict(name=L.name, kind=L.kind, n_in=L.n_in, n_out=L.n_out, cin=L.cin, cout=L.cout,
                 pairs=L.pairs, macs=_macs(L)) for L in layers]
    return pd.DataFrame(rows)


def _macs(L: Layer) -> int:
    if L.kind == "conv":
        return L.pairs * L.cin * L.cout
    if L.kind == "mlp":
        return L.n_in * L.cin * L.cout
    return 0


# ---------------------------------------------------------------- cache model
def stack_distances(stream: np.ndarray) -> np.ndarray:
    """LRU stack distance of every access (number of distinct rows touched since the last
    access of the same row; -1 for a first access). A fully associative LRU cache of R rows
    hits exactly the accesses with 0 <= distance < R. stream: 1-D integer row indices in
    [0, 4e6) (checked before the compiled kernel runs: it indexes by them)."""
    stream = check_stream("stream", stream)
    return _stack_distances(stream, int(stream.max()) + 1 if stream.size else 0)


def _make_stack():
    import numba

    @numba.njit(cache=True)
    def run(stream, n_rows):
        T = stream.shape[0]
        tree = np.zeros(T + 1, np.int64)   # Fenwick tree over time: 1 where a row was last seen
        last = np.full(n_rows, -1, np.int64)
        out = np.empty(T, np.int64)
        for t in range(T):
            r = stream[t]
            p = last[r]
            if p < 0:
                out[t] = -1
            else:
                # marks in (p, t): distinct rows since the last access of r
                s, i = 0, t
                while i > 0:
                    s += tree[i]
                    i -= i & -i
                i = p + 1
                while i > 0:
                    s -= tree[i]
                    i -= i & -i
                out[t] = s
                i = p + 1
                while i <= T:
                    tree[i] -= 1
                    i += i & -i
            i = t + 1
            while i <= T:
                tree[i] += 1
                i += i & -i
            last[r] = t
        return out

    return run


_stack_distances = _make_stack()


def hit_rate(distances: np.ndarray, rows: int) -> float:
    """Fraction of accesses an LRU cache of `rows` rows serves (distances from
    `stack_distances`: integers >= -1; rows >= 0)."""
    distances = check_array("distances", distances, ndim=1, dtype_kind="iu", min_size=0, lo=-1)
    rows = check_int("rows", rows, lo=0, hi=10**12)
    if distances.size == 0:
        return 0.0
    return float(((distances >= 0) & (distances < rows)).mean())


# ---------------------------------------------------------------- cost models
def _sram_pj_per_byte(size_bytes: float) -> float:
    xs = [math.log(s) for s, _ in SRAM_PJ_PER_64BIT]
    ys = [e for _, e in SRAM_PJ_PER_64BIT]
    return float(np.interp(math.log(max(size_bytes, 1024)), xs, ys)) / 8.0


@dataclass(frozen=True)
class Accel:
    """A PointAcc-like accelerator. matrix: a matrix x matrix array of FP16 MACs; merge_width:
    keys the mapping unit's merger handles per cycle; cache_kb: on-chip feature cache;
    bandwidth: DRAM GB/s; clock: GHz; fuse: fuse consecutive point-wise MLPs;
    cache_enabled: use the feature cache for gathers; leakage_mw_per_kb: SRAM static power
    (mW per KB; 0 gives dynamic energy only); buffer_kb: the other on-chip SRAM (weight,
    output and fusion buffers) that leaks as well."""
    matrix: int = 64
    merge_width: int = 16
    cache_kb: float = 256.0
    bandwidth: float = 256.0
    clock: float = 1.0
    fuse: bool = True
    cache_enabled: bool = True
    bytes_per_value: int = 2
    fuse_tile: int = 256
    leakage_mw_per_kb: float = LEAK_MW_PER_KB
    buffer_kb: float = 64.0

    def __post_init__(self):
        check_number("leakage_mw_per_kb", self.leakage_mw_per_kb, lo=0, hi=1e4)
        check_number("buffer_kb", self.buffer_kb, lo=0, hi=1 << 20)
        check_int("matrix", self.matrix, lo=1, hi=4096)
        check_int("merge_width", self.merge_width, lo=1, hi=4096)
        check_int("bytes_per_value", self.bytes_per_value, lo=1, hi=8)
        check_int("fuse_tile", self.fuse_tile, lo=1, hi=1 << 20)
        check_bool("fuse", self.fuse)
        check_bool("cache_enabled", self.cache_enabled)
        check_number("cache_kb", self.cache_kb, lo=0, hi=1 << 20)
        check_number("bandwidth", self.bandwidth, lo=0, lo_open=True, hi=1e6)
        check_number("clock", self.clock, lo=0, lo_open=True, hi=100.0)


@dataclass(frozen=True)
class GPU:
    """A GPU-like baseline: FP32 peak TFLOP/s, DRAM GB/s, board power W, kernel launch
    overhead us, and the matmul rows at which its efficiency reaches one half."""
    tflops: float = 13.4
    bandwidth: float = 616.0
    power: float = 250.0
    launch_us: float = 5.0
    half_eff_rows: int = 20000
    bytes_per_value: int = 4

    def __post_init__(self):
        for name in ("tflops", "bandwidth", "power"):
            check_number(name, getattr(self, name), lo=0, lo_open=True, hi=1e6)
        check_number("launch_us", self.launch_us, lo=0, hi=1e6)
        check_int("half_eff_rows", self.half_eff_rows, lo=0, hi=10**9)
        check_int("bytes_per_value", self.bytes_per_value, lo=1, hi=8)


def accel_cost(layers, hw: Accel = Accel()) -> pd.DataFrame:
    """Latency (s) and energy (J) per layer and stage on the accelerator.

    mapping: sort the output keys and merge them with the input keys once per offset,
    merge_width keys per cycle, one comparator op (E_INT32_ADD) per key and step.
    gather: each map pair reads cin values; with the cache, only LRU misses (from the
    layer's own output-stationary stream) go to DRAM, hits cost an SRAM read.
    matmul: MACs / (matrix^2 x tile utilisation) cycles, FP16 MAC energy.
    scatter: output-stationary accumulation on chip; each output row is written once.
    Compute and memory overlap within a stage (max), stages add up. Point-wise MLPs of one
    fusion group keep their intermediate rows on chip when hw.fuse is set. A last row,
    stage 'static', adds the SRAM leakage (hw.leakage_mw_per_kb x the on-chip KB: the cache
    when enabled plus hw.buffer_kb) times the total latency; it adds no time. Logic leakage
    is not counted.
    """
    layers = check_layers(layers)
    check_type("hw", hw, Accel)
    b = hw.bytes_per_value
    bw = hw.bandwidth * 1e9
    f = hw.clock * 1e9
    sram = _sram_pj_per_byte(hw.cache_kb * 1024) * 1e-12
    dram = E_DRAM_PJ_PER_BYTE * 1e-12
    mac = (E_FP16_MUL + E_FP16_ADD) * 1e-12
    rows = []
    for i, L in enumerate(layers):
        st = {}
        if L.kind == "conv":
            merges = L.kvol * (L.n_in + L.n_out) + L.n_out * max(1, math.ceil(math.log2(max(L.n_out, 2))))
            st["mapping"] = (merges / hw.merge_width / f, merges * E_INT32_ADD * 1e-12, 8 * (L.n_in + L.n_out))
            rows_cap = int(hw.cache_kb * 1024 // max(1, L.cin * b)) if hw.cache_enabled else 0
            d = stack_distances(L.stream) if L.stream is not None and rows_cap else np.zeros(0, dtype=np.int64)
            hr = hit_rate(d, rows_cap) if rows_cap else 0.0
            miss_bytes = L.pairs * (1 - hr) * L.cin * b
            hit_bytes = L.pairs * hr * L.cin * b
            st["gather"] = (max(miss_bytes / bw, L.pairs / f), miss_bytes * dram + hit_bytes * sram + 8 * L.pairs * dram,
                            miss_bytes + 8 * L.pairs)
        else:
            st["mapping"] = (0.0, 0.0, 0)
        macs = _macs(L)
        if macs:
            util = (L.cin / (math.ceil(L.cin / hw.matrix) * hw.matrix)) * (L.cout / (math.ceil(L.cout / hw.matrix) * hw.matrix))
            w_bytes = L.kvol * L.cin * L.cout * b
            st["matmul"] = (max(macs / (hw.matrix ** 2 * util) / f, w_bytes / bw), macs * mac + w_bytes * dram, w_bytes)
        out_bytes = L.n_out * L.cout * b
        in_bytes = L.n_in * L.cin * b if L.kind in ("mlp", "voxelize", "devoxelize") else 0
        if L.kind == "devoxelize":
            in_bytes = 8 * L.n_out * L.cin * b  # 8 trilinear neighbours per point
        if L.kind == "mlp" and hw.fuse and L.group:
            prev = layers[i - 1] if i else None
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            if prev is not None and prev.kind == "mlp" and prev.group == L.group:
                in_bytes = 0          # read from the on-chip tile
            if nxt is not None and nxt.kind == "mlp" and nxt.group == L.group:
                out_bytes = 0         # stays on chip for the next layer
        mem = in_bytes + out_bytes
        st["scatter"] = (max(mem / bw, L.n_out / f), mem * dram, mem)
        for s, (t, e, by) in st.items():
            rows.append(dict(layer=L.name, kind=L.kind, stage=s, time=t, energy=e, dram_bytes=by))
    sram_kb = (hw.cache_kb if hw.cache_enabled else 0.0) + hw.buffer_kb
    total = sum(r["time"] for r in rows)
    rows.append(dict(layer="(chip)", kind="static", stage="static", time=0.0,
                     energy=hw.leakage_mw_per_kb * 1e-3 * sram_kb * total, dram_bytes=0))
    return pd.DataFrame(rows)


def gpu_cost(layers, gpu: GPU = GPU()) -> pd.DataFrame:
    """Latency and energy per layer and stage on the GPU-like baseline: hash-table mapping
    (insert every input, query every output for every offset, ~2 DRAM accesses of 16 B
    each), unfused gather / matmul / scatter through DRAM (one kernel per offset and stage),
    matmul efficiency rows / (rows + half_eff_rows), energy = board power x time."""
    layers = check_layers(layers)
    check_type("gpu", gpu, GPU)
    b = gpu.bytes_per_value
    bw = gpu.bandwidth * 1e9
    launch = gpu.launch_us * 1e-6
    rows = []
    for L in layers:
        st = {}
        if L.kind == "conv":
            probes = (L.n_in + L.kvol * L.n_out) * 2 * 16
            st["mapping"] = (probes / bw + 2 * launch, probes)
            g = L.pairs * L.cin * b * 2 + 8 * L.pairs
            st["gather"] = (g / bw + L.kvol * launch, g)
            s_bytes = L.pairs * L.cout * b * 3 + 8 * L.pairs
            st["scatter"] = (s_bytes / bw + L.kvol * launch, s_bytes)
            m_rows, n_mm = L.pairs / L.kvol, L.kvol
        else:
            mem = (L.n_in * L.cin + L.n_out * L.cout) * b
            if L.kind == "devoxelize":
                mem += 8 * L.n_out * L.cin * b
            st["mapping"] = (0.0, 0)
            st["scatter"] = (mem / bw + launch, mem)
            m_rows, n_mm = L.n_in, 1
        macs = _macs(L)
        if macs:
            eff = m_rows / (m_rows + gpu.half_eff_rows)
            st["matmul"] = (2 * macs / (gpu.tflops * 1e12 * eff) + n_mm * launch, L.pairs * (L.cin + L.cout) * b)
        for s, (t, by) in st.items():
            rows.append(dict(layer=L.name, kind=L.kind, stage=s, time=t, energy=t * gpu.power, dram_bytes=by))
    return pd.DataFrame(rows)


def compare(layers, hw: Accel = Accel(), gpu: GPU = GPU()) -> dict:
    """Totals: accelerator and GPU latency (s), energy (J), DRAM bytes, and the ratios."""
    layers = check_layers(layers)
    check_type("hw", hw, Accel)
    check_type("gpu", gpu, GPU)
    a, g = accel_cost(layers, hw), gpu_cost(layers, gpu)
    return dict(accel_time=a.time.sum(), gpu_time=g.time.sum(), accel_energy=a.energy.sum(),
                gpu_energy=g.energy.sum(), accel_dram=a.dram_bytes.sum(), gpu_dram=g.dram_bytes.sum(),
                speedup=g.time.sum() / a.time.sum(), energy_saving=g.energy.sum() / a.energy.sum())


def contributions(layers, hw: Accel = Accel(), gpu: GPU = GPU()) -> pd.DataFrame:
    """What caching and fusion each contribute: the accelerator with both, without the
    cache, without fusion, and without either; speedup and energy saving over the GPU."""
    layers = check_layers(layers)
    check_type("hw", hw, Accel)
    check_type("gpu", gpu, GPU)
    rows = []
    for name, h in (("cache + fusion", hw), ("no cache", replace(hw, cache_enabled=False)),
                    ("no fusion", replace(hw, fuse=False)),
                    ("neither", replace(hw, cache_enabled=False, fuse=False))):
        c = compare(layers, h, gpu)
        rows.append(dict(config=name, latency_ms=1e3 * c["accel_time"], energy_mJ=1e3 * c["accel_energy"],
                         dram_MB=c["accel_dram"] / 1e6, speedup=c["speedup"], energy_saving=c["energy_saving"]))
    return pd.DataFrame(rows)


def summary(nets: dict, hw: Accel = Accel(), gpu: GPU = GPU()) -> pd.DataFrame:
    """Per network: MACs, modelled latency and energy of both designs, and the ratios."""
    nets = _check_nets(nets)
    check_type("hw", hw, Accel)
    check_type("gpu", gpu, GPU)
    rows = []
    for name, layers in nets.items():
        c = compare(layers, hw, gpu)
        rows.append(dict(network=name, GMACs=sum(_macs(L) for L in layers) / 1e9,
                         accel_ms=1e3 * c["accel_time"], gpu_ms=1e3 * c["gpu_time"],
                         accel_mJ=1e3 * c["accel_energy"], gpu_mJ=1e3 * c["gpu_energy"],
                         speedup=c["speedup"], energy_saving=c["energy_saving"]))
    return pd.DataFrame(rows)


def dram_curves(nets: dict, cache_kb, hw: Accel = Accel()) -> pd.DataFrame:
    """`dram_vs_cache` for every network, with a 'network' column."""
    nets = _check_nets(nets)
    return pd.concat([dram_vs_cache(L, cache_kb, hw).assign(network=n) for n, L in nets.items()], ignore_index=True)


def dram_vs_cache(layers, cache_kb=(0, 16, 64, 256, 1024), hw: Accel = Accel()) -> pd.DataFrame:
    """Gather DRAM traffic (MB) of the network's sparse convs against cache size (KB)."""
    layers = check_layers(layers)
    check_type("hw", hw, Accel)
    if isinstance(cache_kb, (str, bytes)) or not hasattr(cache_kb, "__iter__") or not list(cache_kb):
        raise TypeError("cache_kb must be a non-empty sequence of cache sizes [KB]")
    if not any(L.kind == "conv" for L in layers):
        raise ValueError("layers must include at least one sparse convolution")
    rows = []
    for kb in cache_kb:
        check_number("cache_kb", kb, lo=0, hi=1 << 20)
        a = accel_cost([L for L in layers if L.kind == "conv"], replace(hw, cache_kb=float(kb), cache_enabled=kb > 0))
        rows.append(dict(cache_kb=kb, gather_MB=a[a.stage == "gather"].dram_bytes.sum() / 1e6))
    return pd.DataFrame(rows)


def fusion_footprint(layers, hw: Accel = Accel()) -> pd.DataFrame:
    """Per fusion group of point-wise MLPs: the on-chip bytes to hold the whole intermediate
    activation (unfused, layer by layer) against a fused tile of hw.fuse_tile rows (plus
    the group's weights), and the DRAM bytes fusion saves."""
    layers = check_layers(layers)
    check_type("hw", hw, Accel)
    b = hw.bytes_per_value
    groups = {}
    for L in layers:
        if L.kind == "mlp" and L.group:
            groups.setdefault(L.group, []).append(L)
    rows = []
    for g, Ls in groups.items():
        inter = sum(L.n_out * L.cout * b for L in Ls[:-1])
        peak_unfused = max(L.n_in * L.cin * b + L.n_out * L.cout * b for L in Ls)
        peak_fused = hw.fuse_tile * max(L.cin + L.cout for L in Ls) * b + sum(L.cin * L.cout * b for L in Ls)
        rows.append(dict(group=g, layers=len(Ls), rows=Ls[0].n_in, peak_unfused_KB=peak_unfused / 1024,
                         peak_fused_KB=peak_fused / 1024, dram_saved_MB=2 * inter / 1e6))
    return pd.DataFrame(rows)
