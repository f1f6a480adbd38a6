"""A small sparse-convolution engine in torch, CPU-first, after TorchSparse.

Notebook: notebooks/13_sparseconv.ipynb (also used by notebooks/09_calo.ipynb and
notebooks/08_pointacc.ipynb). This file: hashing, tensors, kernel maps, grouping and the
functional convolution; layers in `modules.py`, measurements in `perf.py`, figures in `views.py`.
Paper: H. Tang, Z. Liu, X. Li, Y. Lin, S. Han, "TorchSparse: Efficient Point Cloud
Inference Engine", MLSys 2022.

A sparse convolution has four stages:

1. **mapping**: find, for every kernel offset, the pairs (input row, output row) that it
   connects (the *kernel map*). Coordinates are hashed to int64 keys; the map is found by
   sorting the keys once and searching the shifted output keys in them (a rank lookup,
   the same idea as PointAcc's merge-sort mapping unit). Maps are cached per
   (tensor stride, kernel size, stride, dilation) in a dict shared by every tensor derived
   from the same input, and the transposed convolution reuses the map of the matching
   downsampling convolution.
2. **gather** the input rows of each offset,
3. **matmul** them with that offset's weight ``W[k]`` (shape [C_in, C_out]),
4. **scatter-accumulate** the products into the output rows.

The centre offset of a submanifold convolution maps every row to itself, so it is a plain
matmul. *Adaptive grouping* (`plan_groups`) batches offsets of similar map size into one
padded batched matmul, trading redundant FLOPs for regularity.

Conventions
-----------
* ``coords``: torch.int32 [N, 4] = (batch, x, y, z) in stride-1 voxel units. A tensor at
  tensor stride ``s`` holds coordinates that are multiples of ``s`` (as TorchSparse does).
* ``feats``: float [N, C]. Weights: [K, C_in, C_out] with K = kernel_size**3 offsets in
  the order of `kernel_offsets` (x slowest, z fastest, each from -(k//2) to k//2).
* Output coordinates: submanifold (stride 1) keeps the input's; a strided convolution
  outputs ``floor(coords / (s * stride)) * (s * stride)`` (unique); a transposed
  convolution returns to the cached coordinates of the finer stride.
* An output at ``o`` receives the input at ``o + delta * dilation * s_in`` through
  offset ``delta`` (for the transposed convolution, the input at ``o - ...`` roles swap).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import torch

from lab.core.checks import check_array, check_bool, check_choice, check_int, check_number, check_positive, check_type

# ---------------------------------------------------------------- hashing
_BITS = 16                      # bits per spatial coordinate in a key
_HALF = 1 << (_BITS - 1)        # coordinates must lie in [-_HALF + 1, _HALF - 2] (room for offsets)
_MAXB = 1 << 14                 # batch indices in [0, _MAXB)
MAX_PAIRS = 1 << 28             # candidate (row, offset) pairs of one kernel map


MAX_ROWS = 4_000_000            # voxels (rows) of one tensor


def _all_finite(t: torch.Tensor) -> bool:
    """True when every entry of `t` is finite. The sum of a tensor with a NaN or an inf is
    not finite, so a finite sum proves it in one reduction without a mask; a sum that
    overflows falls back to the element-wise test."""
    if t.numel() == 0:
        return True
    with torch.no_grad():
        if bool(torch.isfinite(t.sum())):
            return True
        return bool(torch.isfinite(t).all())


def check_coords(name: str, coords, min_rows: int = 0, max_rows: int = MAX_ROWS) -> torch.Tensor:
    """`coords` as an int64 tensor [N, 4] (batch, x, y, z) of integers (a tensor or array),
    with min_rows <= N <= max_rows, x, y, z in the hashable range and batch in [0, 16383];
    TypeError / ValueError naming `name` otherwise."""
    check_type("name", name, str)
    min_rows = check_int("min_rows", min_rows, lo=0, hi=MAX_ROWS)
    max_rows = check_int("max_rows", max_rows, lo=max(1, min_rows), hi=MAX_ROWS)
    name = name if name == "coords" else f"{name} (coords)"
    if coords is None or isinstance(coords, (str, bytes)):
        raise TypeError(f"{name} must be an integer tensor [N, 4] (batch, x, y, z); got {type(coords).__name__}")
    try:
        c = torch.as_tensor(coords)
    except Exception as exc:
        raise TypeError(f"{name} must be an integer tensor [N, 4] (batch, x, y, z); {exc}") from None
    if c.dtype.is_floating_point or c.dtype.is_complex or c.dtype == torch.bool:
        raise TypeError(f"{name} must be an integer tensor [N, 4] (batch, x, y, z); got dtype {c.dtype}")
    if c.ndim != 2 or c.shape[1] != 4:
        raise ValueError(f"{name} must have shape [N, 4] (batch, x, y, z); got {tuple(c.shape)}")
    if not min_rows <= c.shape[0] <= max_rows:
        raise ValueError(f"{name} must have between {min_rows} and {max_rows} rows; got {c.shape[0]}")
    c = c.to(torch.int64)
    if c.numel():
        lo, hi = int(c[:, 1:].min()), int(c[:, 1:].max())
        if lo < -_HALF + 64 or hi > _HALF - 64:
            raise ValueError(f"{name} x, y, z must lie in [{-_HALF + 64}, {_HALF - 64}]; got [{lo}, {hi}]")
        b0, b1 = int(c[:, 0].min()), int(c[:, 0].max())
        if b0 < 0 or b1 >= _MAXB:
            raise ValueError(f"{name} batch index must be in [0, {_MAXB - 1}]; got [{b0}, {b1}]")
    return c


def check_keys(name: str, keys, sorted_: bool = False, min_size: int = 0) -> torch.Tensor:
    """`keys` as a 1-D int64 tensor of hash keys (at least `min_size`, at most MAX_ROWS);
    with sorted_=True also ascending."""
    check_type("name", name, str)
    sorted_ = check_bool("sorted_", sorted_)
    min_size = check_int("min_size", min_size, lo=0, hi=MAX_ROWS)
    name = name if name == "keys" else f"{name} (keys)"
    if not isinstance(keys, torch.Tensor):
        raise TypeError(f"{name} must be a 1-D int64 tensor of hash keys; got {type(keys).__name__}")
    if keys.dtype != torch.int64 or keys.ndim != 1:
        raise TypeError(f"{name} must be a 1-D int64 tensor of hash keys; got {keys.dtype} of shape {tuple(keys.shape)}")
    if not min_size <= keys.numel() <= MAX_ROWS:
        raise ValueError(f"{name} must hold between {min_size} and {MAX_ROWS} keys; got {keys.numel()}")
    if sorted_ and keys.numel() > 1 and bool((keys[1:] < keys[:-1]).any()):
        raise ValueError(f"{name} must be sorted in ascending order (sort it, e.g. torch.sort)")
    return keys


def check_offsets(name: str, offsets) -> torch.Tensor:
    """`offsets` as an int64 tensor [K, 3] of spatial offsets, 1 <= K <= 729, |entries| <= 4096."""
    check_type("name", name, str)
    name = name if name == "offsets" else f"{name} (offsets)"
    if not isinstance(offsets, torch.Tensor):
        raise TypeError(f"{name} must be an int64 tensor [K, 3] of offsets; got {type(offsets).__name__}")
    if offsets.dtype.is_floating_point or offsets.dtype == torch.bool or offsets.ndim != 2 or offsets.shape[1] != 3:
        raise ValueError(f"{name} must be an integer tensor [K, 3] of offsets; got {offsets.dtype} "
                         f"{tuple(offsets.shape)}")
    if not 1 <= offsets.shape[0] <= 729:
        raise ValueError(f"{name} must hold 1 to 729 offsets; got {offsets.shape[0]}")
    o = offsets.to(torch.int64)
    if int(o.abs().max()) > 4096:
        raise ValueError(f"{name} entries must lie in [-4096, 4096]")
    return o


def hash_coords(coords: torch.Tensor) -> torch.Tensor:
    """int64 keys of integer coordinates [N, 4] (batch, x, y, z).

    key = b << 48 | (x + 2**15) << 32 | (y + 2**15) << 16 | (z + 2**15). Keys sort in
    (b, x, y, z) lexicographic order, and shifting a coordinate by ``d`` along x adds
    ``d << 32`` to the key, so shifted keys are computed without re-hashing.
    """
    c = check_coords("coords", coords)
    return (c[:, 0] << 48) | ((c[:, 1] + _HALF) << 32) | ((c[:, 2] + _HALF) << 16) | (c[:, 3] + _HALF)


def unhash_keys(keys: torch.Tensor) -> torch.Tensor:
    """The inverse of `hash_coords`: int32 coordinates [N, 4]."""
    k = check_keys("keys", keys)
    m = (1 << _BITS) - 1
    out = torch.stack([k >> 48, ((k >> 32) & m) - _HALF, ((k >> 16) & m) - _HALF, (k & m) - _HALF], 1)
    return out.to(torch.int32)


def offset_key(delta: torch.Tensor) -> torch.Tensor:
    """Key increment of spatial offsets [K, 3] (x, y, z)."""
    d = check_offsets("delta", delta)
    return (d[:, 0] << 32) + (d[:, 1] << 16) + d[:, 2]


def kernel_offsets(kernel_size: int, dilation: int = 1) -> torch.Tensor:
    """int64 [k**3, 3] offsets (x slowest, z fastest) in units of the input grid step."""
    kernel_size = check_int("kernel_size", kernel_size, lo=1, hi=9)
    dilation = check_int("dilation", dilation, lo=1, hi=64)
    r = torch.arange(kernel_size, dtype=torch.int64) - kernel_size // 2
    if kernel_size % 2 == 0:
        r = torch.arange(kernel_size, dtype=torch.int64)  # even kernels: offsets 0..k-1
    g = torch.stack(torch.meshgrid(r, r, r, indexing="ij"), -1).reshape(-1, 3)
    return g * dilation


def rank_lookup(sorted_keys: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    """Position of each query in `sorted_keys` (int64 [Q]), or -1 when absent.

    The search is by rank: ``searchsorted`` gives how many keys are smaller than the
    query, and the key at that rank either equals the query or the query is absent.
    `sorted_keys` must be ascending (unsorted keys are refused: the search would miss).
    """
    sorted_keys = check_keys("sorted_keys", sorted_keys, sorted_=True)
    queries = check_keys("queries", queries)
    n = sorted_keys.numel()
    if n == 0:
        return torch.full_like(queries, -1)
    pos = torch.searchsorted(sorted_keys, queries)
    posc = pos.clamp_max(n - 1)
    hit = sorted_keys[posc] == queries
    return torch.where(hit, posc, torch.full_like(posc, -1))


# ---------------------------------------------------------------- tensors
class SparseTensor:
    """Sparse voxels: ``coords`` int32 [N, 4] (batch, x, y, z), ``feats`` float [N, C].

    ``stride`` is the tensor stride (coordinates are multiples of it). ``kmaps`` (kernel
    maps) and ``cmaps`` (coordinates per stride) are caches shared with every tensor
    derived from this one by the layers of this module.
    """

    def __init__(self, coords, feats, stride: int = 1, kmaps: Optional[dict] = None,
                 cmaps: Optional[dict] = None, check: bool = True):
        stride = check_int("stride", stride, lo=1, hi=4096)
        check_bool("check", check)
        for nm, m in (("kmaps", kmaps), ("cmaps", cmaps)):
            if m is not None:
                check_type(nm, m, dict)
        if check:
            check_type("feats", feats, torch.Tensor)
            coords = check_coords("coords", coords, min_rows=1)
            if feats.ndim != 2 or feats.shape[0] != coords.shape[0]:
                raise ValueError(f"feats must have shape [N, C] with N = {coords.shape[0]}; got {tuple(feats.shape)}")
            if not feats.dtype.is_floating_point:
                raise TypeError(f"feats must be a float tensor; got {feats.dtype}")
            if not _all_finite(feats):
                raise ValueError("feats must be finite (no NaN or inf)")
            coords = coords.to(torch.int32)
            if stride > 1 and coords.numel() and bool((coords[:, 1:] % stride != 0).any()):
                raise ValueError(f"coords must be multiples of stride={stride}")
        self.coords = coords
        self.feats = feats
        self.stride = stride
        self.kmaps = {} if kmaps is None else kmaps
        self.cmaps = {} if cmaps is None else cmaps
        self.cmaps.setdefault(stride, coords)
        self._keys = None

    # convenience aliases in the TorchSparse spelling
    @property
    def C(self) -> torch.Tensor:
        return self.coords

    @property
    def F(self) -> torch.Tensor:
        return self.feats

    def keys(self) -> torch.Tensor:
        """int64 hash keys of the coordinates (computed once)."""
        if self._keys is None:
            self._keys = hash_coords(self.coords)
        return self._keys

    def replace(self, feats: torch.Tensor) -> "SparseTensor":
        """Same coordinates and caches, new features [N, C']."""
        check_type("feats", feats, torch.Tensor)
        if feats.ndim != 2 or feats.shape[0] != self.feats.shape[0]:
            raise ValueError(f"feats must have shape [{self.feats.shape[0]}, C]; got {tuple(feats.shape)}")
        out = SparseTensor(self.coords, feats, self.stride, self.kmaps, self.cmaps, check=False)
        out._keys = self._keys
        return out

    @property
    def batch_size(self) -> int:
        return int(self.coords[:, 0].max()) + 1 if self.coords.numel() else 0

    def dense(self, spatial_shape=None) -> torch.Tensor:
        """Dense [B, C, X, Y, Z] grid of this tensor at its stride (non-negative coordinates)."""
        c = self.coords.to(torch.int64)
        xyz = c[:, 1:] // self.stride
        if bool((xyz < 0).any()):
            raise ValueError("dense() needs non-negative coordinates")
        if spatial_shape is None:
            shape = (xyz.max(0).values + 1).tolist()
        else:
            if isinstance(spatial_shape, (str, bytes)) or not hasattr(spatial_shape, "__len__") or len(spatial_shape) != 3:
                raise ValueError(f"spatial_shape must be (X, Y, Z) sizes; got {spatial_shape!r}")
            shape = [check_int("spatial_shape", v, lo=1, hi=4096) for v in spatial_shape]
            if bool((xyz >= torch.tensor(shape)).any()):
                raise ValueError(f"spatial_shape {shape} must cover every voxel (max {xyz.max(0).values.tolist()})")
        if self.batch_size * self.feats.shape[1] * shape[0] * shape[1] * shape[2] > 1 << 28:
            raise ValueError(f"spatial_shape {shape} too large for a dense grid (at most 2**28 values)")
        out = self.feats.new_zeros(self.batch_size, self.feats.shape[1], *shape)
        out[c[:, 0], :, xyz[:, 0], xyz[:, 1], xyz[:, 2]] = self.feats
        return out

    def __repr__(self) -> str:
        return f"SparseTensor(N={self.coords.shape[0]}, C={self.feats.shape[1]}, stride={self.stride})"


def sparse_quantize(points, voxel_size: float):
    """Voxelise points [N, 3] (any length unit) at ``voxel_size`` (same unit).

    Returns (voxel_coords int64 [M, 3] = floor(points / voxel_size), inverse int64 [N]
    with ``voxel_coords[inverse] == floor(points / voxel_size)``, unique_index int64 [M]:
    one point index per voxel, the first in input order). Voxels are sorted by (x, y, z).
    """
    voxel_size = check_positive("voxel_size", voxel_size)
    pts = torch.as_tensor(check_array("points", points, ndim=2, shape=(None, 3), dtype_kind="fiu"))
    if pts.shape[0] > MAX_ROWS:
        raise ValueError(f"points must hold at most {MAX_ROWS} points; got {pts.shape[0]}")
    span = float((pts.to(torch.float64).abs().max() / voxel_size)) if pts.numel() else 0.0
    if span > _HALF - 64:
        raise ValueError(f"points / voxel_size must lie within ±{_HALF - 64} voxels; got {span:.3g} "
                         "(voxel_size too small for these points)")
    q = torch.floor(pts.to(torch.float64) / voxel_size).to(torch.int64)
    zeros = torch.zeros(q.shape[0], 1, dtype=torch.int64)
    keys = hash_coords(torch.cat([zeros, q], 1))
    uniq, inverse = torch.unique(keys, return_inverse=True)
    first = torch.full((uniq.numel(),), q.shape[0], dtype=torch.int64)
    first.scatter_reduce_(0, inverse, torch.arange(q.shape[0]), reduce="amin")
    return unhash_keys(uniq)[:, 1:].to(torch.int64), inverse, first


# ---------------------------------------------------------------- kernel maps
@dataclass
class KernelMap:
    """The pairs each kernel offset connects.

    in_idx, out_idx: int64 [P] rows of the input and output tensors, grouped by offset;
    sizes: int64 [K] pairs per offset (offset k owns entries bounds[k]:bounds[k+1]);
    n_in, n_out: rows of input and output; offsets: int64 [K, 3] in stride-1 units.
    identity_offset: index of the offset whose map is the identity (submanifold centre) or -1.
    """
    in_idx: torch.Tensor
    out_idx: torch.Tensor
    sizes: torch.Tensor
    n_in: int
    n_out: int
    offsets: torch.Tensor
    identity_offset: int = -1
    bounds: torch.Tensor = field(init=False)
    cache: dict = field(init=False, repr=False)

    def __post_init__(self):
        self.bounds = torch.cat([torch.zeros(1, dtype=torch.int64), torch.cumsum(self.sizes, 0)])
        self.cache = {}  # execution plans prepared for this map

    def pairs(self, k: int):
        """(in_idx, out_idx) of offset k (in [0, K))."""
        k = check_int("k", k, lo=0, hi=self.sizes.numel() - 1)
        a, b = int(self.bounds[k]), int(self.bounds[k + 1])
        return self.in_idx[a:b], self.out_idx[a:b]

    def transposed(self) -> "KernelMap":
        """The same pairs with input and output swapped (for the transposed convolution)."""
        return KernelMap(self.out_idx, self.in_idx, self.sizes, self.n_out, self.n_in, self.offsets,
                         self.identity_offset)

    @property
    def volume(self) -> int:
        return int(self.sizes.sum())


def build_kernel_map(in_keys: torch.Tensor, out_keys: torch.Tensor, offsets: torch.Tensor,
                     submanifold: bool = False, method: str = "merge") -> KernelMap:
    """Kernel map by sort-and-search.

    in_keys [N_in], out_keys [N_out]: int64 hash keys; offsets [K, 3]: the input position
    of offset k for output ``o`` is ``o + offsets[k]`` (stride-1 units). Both key sets are
    sorted once. method "merge": for each offset the shifted (still sorted) output keys are
    merged with the sorted input keys in one linear pass (PointAcc's merge-sort mapping,
    compiled with numba); "search": each shifted key is located by binary search
    (`rank_lookup`, pure torch). Both give identical maps.
    """
    check_choice("method", method, ("merge", "search"))
    in_keys = check_keys("in_keys", in_keys, min_size=1)
    out_keys = check_keys("out_keys", out_keys, min_size=1)
    offsets = check_offsets("offsets", offsets)
    submanifold = check_bool("submanifold", submanifold)
    if submanifold and not torch.equal(in_keys, out_keys):
        raise ValueError("submanifold maps need out_keys equal to in_keys (the centre maps every row to itself)")
    if max(in_keys.numel(), out_keys.numel()) * offsets.shape[0] > MAX_PAIRS:
        raise ValueError(f"in_keys/out_keys x offsets too large: at most {MAX_PAIRS} candidate pairs")
    order_in = torch.from_numpy(np.argsort(in_keys.numpy()))  # numpy's sort: several times torch's on CPU
    skeys = in_keys[order_in]
    order_out = order_in if out_keys is in_keys else torch.from_numpy(np.argsort(out_keys.numpy()))
    sout = skeys if out_keys is in_keys else out_keys[order_out]
    dk = offset_key(offsets)
    K = offsets.shape[0]
    ident = -1
    if submanifold:
        zero = (offsets == 0).all(1).nonzero()
        ident = int(zero[0]) if zero.numel() else -1
    if method == "merge" and _merge_join is not None:
        # one compiled pass writes the row indices of every pair, centre included
        in_idx, out_idx, sizes = _merge_join(skeys.numpy(), sout.numpy(), dk.numpy(), order_in.numpy(),
                                             order_out.numpy(), ident)
        in_idx, out_idx, sizes = torch.from_numpy(in_idx), torch.from_numpy(out_idx), torch.from_numpy(sizes)
    else:
        ris, ros, sz = [], [], []
        ar = torch.arange(out_keys.numel(), dtype=torch.int64)
        for k in range(K):
            if k == ident:
                ris.append(ar[:0]), ros.append(ar[:0]), sz.append(0)
                continue
            pos = rank_lookup(skeys, sout + dk[k])
            hit = pos >= 0
            ris.append(pos[hit]), ros.append(ar[hit]), sz.append(int(hit.sum()))
        ri, ro, sizes = torch.cat(ris), torch.cat(ros), torch.tensor(sz, dtype=torch.int64)
        in_idx, out_idx = order_in[ri], order_out[ro]
        if ident >= 0:  # the centre of a submanifold conv: every row to itself
            bounds = torch.cat([torch.zeros(1, dtype=torch.int64), torch.cumsum(sizes, 0)])
            cut = int(bounds[ident])
            in_idx = torch.cat([in_idx[:cut], ar, in_idx[cut:]])
            out_idx = torch.cat([out_idx[:cut], ar, out_idx[cut:]])
            sizes = sizes.clone()
            sizes[ident] = out_keys.numel()
    return KernelMap(in_idx, out_idx, sizes, in_keys.numel(), out_keys.numel(), offsets, ident)


def _make_merge_join():
    """The merge join compiled by numba (None when numba is missing: `search` is used)."""
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency
        return None

    @numba.njit(cache=True, nogil=True)
    def merge_join(sk_in, sk_out, dk, order_in, order_out, ident):
        # for each offset k: walk the sorted outputs (shifted by dk[k]) and the sorted
        # inputs together; equal keys are a pair, written as rows of the unsorted tensors
        # (order_in / order_out: the sorting permutations). Offset `ident` (>= 0 for a
        # submanifold conv) is the centre: every row to itself.
        K, n, m = dk.shape[0], sk_in.shape[0], sk_out.shape[0]
        cap = m * K
        ii = np.empty(cap, np.int64)
        oi = np.empty(cap, np.int64)
        sizes = np.zeros(K, np.int64)
        p = 0
        for k in range(K):
            if k == ident:
                for j in range(m):
                    ii[p] = j
                    oi[p] = j
                    p += 1
                sizes[k] = m
                continue
            d = dk[k]
            i = 0
            c = 0
            for j in range(m):
                q = sk_out[j] + d
                while i < n and sk_in[i] < q:
                    i += 1
                if i == n:
                    break
                if sk_in[i] == q:
                    ii[p] = order_in[i]
                    oi[p] = order_out[j]
                    p += 1
                    c += 1
            sizes[k] = c
        return ii[:p].copy(), oi[:p].copy(), sizes

    return merge_join


_merge_join = _make_merge_join()


def downsample_coords(coords: torch.Tensor, new_stride: int) -> torch.Tensor:
    """Unique ``floor(coords / new_stride) * new_stride`` (batch kept), sorted by key;
    new_stride an integer in [1, 4096]."""
    c = check_coords("coords", coords).clone()
    new_stride = check_int("new_stride", new_stride, lo=1, hi=4096)
    c[:, 1:] = torch.div(c[:, 1:], new_stride, rounding_mode="floor") * new_stride
    return unhash_keys(torch.unique(hash_coords(c)))


def get_kernel_map(x: SparseTensor, kernel_size: int, stride: int = 1, dilation: int = 1,
                   transposed: bool = False, cache: bool = True, timings: Optional[dict] = None):
    """(kernel map, output coordinates, output stride) of a convolution on `x`, using the
    shared cache. Transposed: the map of the downsampling conv from stride x.stride/stride
    (built from cached coordinates if it was never run), swapped. kernel_size in [1, 9],
    stride in [1, 16], dilation in [1, 64] (integers)."""
    check_type("x", x, SparseTensor)
    kernel_size = check_int("kernel_size", kernel_size, lo=1, hi=9)
    stride = check_int("stride", stride, lo=1, hi=16)
    dilation = check_int("dilation", dilation, lo=1, hi=64)
    transposed = check_bool("transposed", transposed)
    cache = check_bool("cache", cache)
    if timings is not None:
        check_type("timings", timings, dict)
    if x.coords.shape[0] == 0:
        raise ValueError("x must hold at least one voxel")
    t0 = _now(timings)
    s = x.stride
    if transposed:
        if s % stride:
            raise ValueError(f"stride={stride} must divide the tensor stride {s} for a transposed conv")
        fine = s // stride
        if fine not in x.cmaps:
            raise ValueError(f"no cached coordinates at stride {fine}: a transposed conv must follow "
                             f"a strided conv from that stride")
        key = (fine, kernel_size, stride, dilation)
        km = x.kmaps.get(key) if cache else None
        if km is None:
            fine_c = x.cmaps[fine]
            offs = kernel_offsets(kernel_size, dilation) * fine
            km = build_kernel_map(hash_coords(fine_c), x.keys(), offs, submanifold=False)
            if cache:
                x.kmaps[key] = km
        out_coords, out_stride, km = x.cmaps[fine], fine, km.transposed()
    else:
        key = (s, kernel_size, stride, dilation)
        km = x.kmaps.get(key) if cache else None
        out_stride = s * stride
        if stride == 1:
            out_coords = x.coords
        elif out_stride in x.cmaps and cache:
            out_coords = x.cmaps[out_stride]
        else:
            out_coords = downsample_coords(x.coords, out_stride)
            if cache:
                x.cmaps[out_stride] = out_coords
        if km is None:
            offs = kernel_offsets(kernel_size, dilation) * s
            out_keys = x.keys() if stride == 1 else hash_coords(out_coords)
            km = build_kernel_map(x.keys(), out_keys, offs, submanifold=(stride == 1))
            if cache:
                x.kmaps[key] = km
    _tick(timings, "mapping", t0)
    return km, out_coords, out_stride


# ---------------------------------------------------------------- adaptive grouping
@dataclass
class GroupPlan:
    """Offsets grouped for execution: ``groups`` lists offset indices; ``batched[g]`` says
    whether group g runs as one padded batched matmul (True) or as separate matmuls."""
    groups: list
    batched: list
    eps: float
    S: int

    def redundant_rows(self, sizes: torch.Tensor) -> int:
        """Padding rows computed in batched groups (wasted work, in rows); sizes: the map's
        int64 pairs per offset [K]."""
        check_type("sizes", sizes, torch.Tensor)
        top = max((i for g in self.groups for i in g), default=-1)
        if sizes.ndim != 1 or sizes.dtype.is_floating_point or sizes.numel() <= top:
            raise ValueError(f"sizes must be the kernel map's integer pairs per offset [K] (K > {top}); "
                             f"got {sizes.dtype} {tuple(sizes.shape)}")
        r = 0
        for g, b in zip(self.groups, self.batched):
            if b and len(g) > 1:
                s = sizes[g]
                r += int(s.max() * len(g) - s.sum())
        return r


def plan_groups(km: KernelMap, eps: float = 0.3, S: int = 1 << 30) -> GroupPlan:
    """Adaptive grouping of the non-identity offsets of a kernel map.

    Offsets are taken in symmetric pairs (k, K-1-k), sorted by map size (largest first),
    and appended to the open group while its redundancy 1 - min/max of map sizes stays
    <= eps; otherwise a new group opens. A group of more than one offset whose workload
    (padded rows = len(group) * max size) is <= S runs as one batched matmul; the others
    run offset by offset. eps=0 still groups offsets of equal map size (the symmetric
    pairs of a submanifold conv); eps<0 disables grouping (every offset alone).
    """
    check_type("km", km, KernelMap)
    eps = check_number("eps", eps, lo=-1.0, hi=1.0)
    S = check_int("S", S, lo=0, hi=1 << 40)
    K = km.sizes.numel()
    sizes = km.sizes
    units = []
    seen = set()
    for k in range(K):
        if k == km.identity_offset or k in seen:
            continue
        j = K - 1 - k
        u = [k] if (j == k or j == km.identity_offset) else [k, j]
        seen.update(u)
        units.append([i for i in u if sizes[i] > 0])
    units = [u for u in units if u]
    if eps < 0:
        units = [[i] for u in units for i in u]
    units.sort(key=lambda u: -int(sizes[u].max()))
    groups: list = []
    for u in units:
        if eps >= 0 and groups:
            cand = groups[-1] + u
            s = sizes[cand]
            if 1.0 - float(s.min()) / float(s.max()) <= eps + 1e-12:
                groups[-1] = cand
                continue
        groups.append(list(u))
    batched = [len(g) > 1 and len(g) * int(sizes[g].max()) <= S for g in groups]
    return GroupPlan(groups, batched, eps, S)


# ---------------------------------------------------------------- the convolution
class StageTimer(dict):
    """Seconds per stage ("mapping", "gather", "matmul", "scatter"), accumulated.

    clock: a function returning seconds; `time.thread_time` (CPU time of this thread)
    is robust on a shared machine when torch runs on one thread.
    """

    def __init__(self, clock=time.perf_counter):
        super().__init__()
        self.clock = clock

    @property
    def total(self) -> float:
        return float(sum(self.values()))


def _now(timings) -> float:
    return getattr(timings, "clock", time.perf_counter)() if timings is not None else 0.0


def _tick(timings, stage, t0):
    if timings is not None:
        timings[stage] = timings.get(stage, 0.0) + _now(timings) - t0


@dataclass
class _ExecPlan:
    """Index tensors of a GroupPlan, prepared once per kernel map: for each batched group
    (offsets, padded input rows [G*m], padded output rows [G*m], m) where padding reads
    row 0 and writes the dummy output row n_out; the offsets run one by one as
    (offset, input rows, output rows); and the rows of the largest step (workspace size)."""
    batched: list
    singles: list
    rows: int


def _exec_plan(km: KernelMap, plan: Optional[GroupPlan], todo: list) -> _ExecPlan:
    key = ("exec", None if plan is None else (tuple(map(tuple, plan.groups)), tuple(plan.batched)), tuple(todo))
    cached = km.cache.get(key)
    if cached is not None:
        return cached
    bounds = km.bounds.tolist()
    batched, single_ks = [], list(todo)
    if plan is not None:
        single_ks = [k for k in todo if k == km.identity_offset]
        for group, b in zip(plan.groups, plan.batched):
            if not b:
                single_ks.extend(group)
                continue
            m = max(bounds[k + 1] - bounds[k] for k in group)
            idx = torch.zeros((len(group), m), dtype=torch.int64)
            oidx = torch.full((len(group), m), km.n_out, dtype=torch.int64)
            for i, k in enumerate(group):
                a, e = bounds[k], bounds[k + 1]
                idx[i, : e - a] = km.in_idx[a:e]
                oidx[i, : e - a] = km.out_idx[a:e]
            batched.append((torch.tensor(group), idx.reshape(-1), oidx.reshape(-1), m))
    singles = [(k, km.in_idx[bounds[k]:bounds[k + 1]], km.out_idx[bounds[k]:bounds[k + 1]])
               for k in single_ks if bounds[k + 1] > bounds[k]]
    rows = max([len(ks) * m for ks, _, _, m in batched] + [len(i) for _, i, _ in singles] + [0])
    ep = _ExecPlan(batched, singles, rows)
    km.cache[key] = ep
    return ep


def apply_kernel_map(feats: torch.Tensor, weight: torch.Tensor, km: KernelMap, mode: str = "grouped",
                     eps: float = 0.3, S: int = 1 << 30, timings: Optional[dict] = None,
                     plan: Optional[GroupPlan] = None) -> torch.Tensor:
    """Gather, matmul, scatter-accumulate: out [n_out, C_out].

    feats [n_in, C_in]; weight [K, C_in, C_out]. mode: "grouped" (adaptive grouping with
    eps and S, or `plan`), "separate" (one matmul per offset, centre as a plain matmul) or
    "naive" (one matmul per offset, centre included). `timings` (a dict or StageTimer)
    accumulates seconds per stage.

    Without autograd (no_grad, or no input needing a gradient) the gathered rows and
    the products of every step go into two workspaces allocated once per call, and the
    centre's matmul writes straight into the output (no temporaries per offset).
    """
    check_choice("mode", mode, ("grouped", "separate", "naive"))
    check_type("km", km, KernelMap)
    check_type("feats", feats, torch.Tensor)
    check_type("weight", weight, torch.Tensor)
    if feats.ndim != 2 or feats.shape[0] != km.n_in or not feats.dtype.is_floating_point:
        raise ValueError(f"feats must be a float tensor [{km.n_in}, C_in]; got {feats.dtype} {tuple(feats.shape)}")
    if weight.ndim != 3 or not weight.dtype.is_floating_point:
        raise ValueError(f"weight must be a float tensor [K, C_in, C_out]; got {weight.dtype} {tuple(weight.shape)}")
    for nm, t in (("feats", feats), ("weight", weight)):
        if not _all_finite(t):
            raise ValueError(f"{nm} must be finite (no NaN or inf)")
    eps = check_number("eps", eps, lo=-1.0, hi=1.0)
    S = check_int("S", S, lo=0, hi=1 << 40)
    if timings is not None:
        check_type("timings", timings, dict)
    if plan is not None:
        check_type("plan", plan, GroupPlan)
    K, cin, cout = weight.shape
    if K != km.sizes.numel():
        raise ValueError(f"weight must have {km.sizes.numel()} offsets; got {K}")
    if feats.shape[1] != cin:
        raise ValueError(f"feats must have {cin} channels; got {feats.shape[1]}")
    if weight.dtype != feats.dtype:
        raise TypeError(f"weight must have the dtype of feats ({feats.dtype}); got {weight.dtype}")
    if plan is not None and max((k for g in plan.groups for k in g), default=-1) >= K:
        raise ValueError(f"plan must group offsets of this kernel map (indices < {K})")
    fast = not (torch.is_grad_enabled() and (feats.requires_grad or weight.requires_grad))
    feats = feats.contiguous()
    centre = km.identity_offset if mode != "naive" else -1
    todo = [k for k in range(K) if k != centre]
    if mode == "grouped" and plan is None:
        plan = km.cache.get(("plan", eps, S)) or km.cache.setdefault(("plan", eps, S), plan_groups(km, eps, S))
    ep = _exec_plan(km, plan if mode == "grouped" else None, todo)
    out = feats.new_empty(km.n_out + 1, cout) if fast else feats.new_zeros(km.n_out + 1, cout)
    if fast:
        gbuf = feats.new_empty(ep.rows * cin)
        pbuf = feats.new_empty(ep.rows * cout)
    t0 = _now(timings)
    if centre >= 0:
        if fast:
            torch.mm(feats, weight[centre], out=out[: km.n_out])
            out[km.n_out:].zero_()
        else:
            out[: km.n_out] = feats @ weight[centre]
    elif fast:
        out.zero_()
    _tick(timings, "matmul", t0)
    for ks, idx, oidx, m in ep.batched:
        G = len(ks)
        t0 = _now(timings)
        if fast:
            g = torch.index_select(feats, 0, idx, out=gbuf[: G * m * cin].view(G * m, cin)).view(G, m, cin)
        else:
            g = feats.index_select(0, idx).view(G, m, cin)
        _tick(timings, "gather", t0)
        t0 = _now(timings)
        if fast:
            p = torch.bmm(g, weight[ks], out=pbuf[: G * m * cout].view(G, m, cout))
        else:
            p = torch.bmm(g, weight[ks])
        _tick(timings, "matmul", t0)
        t0 = _now(timings)
        out.index_add_(0, oidx, p.view(G * m, cout))
        _tick(timings, "scatter", t0)
    for k, ii, oi in ep.singles:
        n = ii.numel()
        t0 = _now(timings)
        if fast:
            g = torch.index_select(feats, 0, ii, out=gbuf[: n * cin].view(n, cin))
        else:
            g = feats.index_select(0, ii)
        _tick(timings, "gather", t0)
        t0 = _now(timings)
        p = torch.mm(g, weight[k], out=pbuf[: n * cout].view(n, cout)) if fast else g @ weight[k]
        _tick(timings, "matmul", t0)
        t0 = _now(timings)
        out.index_add_(0, oi, p)
        _tick(timings, "scatter", t0)
    return out[: km.n_out]


def sparse_conv3d(x: SparseTensor, weight: torch.Tensor, kernel_size: int = 3, stride: int = 1,
                  dilation: int = 1, transposed: bool = False, bias: Optional[torch.Tensor] = None,
                  mode: str = "grouped", eps: float = 0.3, S: int = 1 << 30, cache: bool = True,
                  timings: Optional[dict] = None) -> SparseTensor:
    """Functional sparse 3D convolution (see the module docstring for the conventions).

    weight [kernel_size**3, C_in, C_out]; returns a SparseTensor sharing x's caches.
    mode "naive" also disables the map cache and builds each offset's map on its own.
    """
    check_type("x", x, SparseTensor)
    kernel_size = check_int("kernel_size", kernel_size, lo=1, hi=9)
    stride = check_int("stride", stride, lo=1, hi=16)
    dilation = check_int("dilation", dilation, lo=1, hi=64)
    check_choice("mode", mode, ("grouped", "separate", "naive"))
    check_type("weight", weight, torch.Tensor)
    transposed = check_bool("transposed", transposed)
    cache = check_bool("cache", cache)
    if bias is not None:
        check_type("bias", bias, torch.Tensor)
        if bias.ndim != 1 or weight.ndim != 3 or bias.shape[0] != weight.shape[-1] or not _all_finite(bias):
            raise ValueError(f"bias must be a finite tensor [C_out]; got {tuple(bias.shape)}")
    if timings is not None:
        check_type("timings", timings, dict)
    if weight.ndim != 3 or weight.shape[0] != kernel_size ** 3:
        raise ValueError(f"weight must have shape [{kernel_size ** 3}, C_in, C_out]; got {tuple(weight.shape)}")
    if not isinstance(x.feats, torch.Tensor) or x.feats.ndim != 2:
        raise ValueError(f"x.feats must be a tensor [N, C]; got {tuple(getattr(x.feats, 'shape', ()))}")
    if weight.shape[1] != x.feats.shape[1]:
        raise ValueError(f"weight must have C_in = {x.feats.shape[1]}, x's feature channels (shape "
                         f"[{kernel_size ** 3}, {x.feats.shape[1]}, C_out]); got {tuple(weight.shape)}")
    if weight.dtype != x.feats.dtype:
        raise TypeError(f"weight must have the dtype of x.feats ({x.feats.dtype}); got {weight.dtype}")
    if kernel_size == 1 and stride == 1:
        t0 = _now(timings)
        f = x.feats @ weight[0]
        _tick(timings, "matmul", t0)
        return x.replace(f + bias if bias is not None else f)
    if mode == "naive":
        return _naive_conv(x, weight, kernel_size, stride, dilation, transposed, bias, timings)
    km, oc, os_ = get_kernel_map(x, kernel_size, stride, dilation, transposed, cache, timings)
    f = apply_kernel_map(x.feats, weight, km, mode, eps, S, timings)
    if bias is not None:
        f = f + bias
    return SparseTensor(oc, f, os_, x.kmaps, x.cmaps, check=False)


def _naive_conv(x, weight, kernel_size, stride, dilation, transposed, bias, timings):
    """Per-offset loop, no cache: every offset hashes and sorts its own lookup table."""
    t0 = _now(timings)
    if transposed:
        fine = x.stride // stride
        oc, os_ = x.cmaps[fine], fine
        offs = -kernel_offsets(kernel_size, dilation) * fine
    else:
        os_ = x.stride * stride
        oc = x.coords if stride == 1 else downsample_coords(x.coords, os_)
        offs = kernel_offsets(kernel_size, dilation) * x.stride
    _tick(timings, "mapping", t0)
    out = x.feats.new_zeros(oc.shape[0], weight.shape[2])
    ar = torch.arange(oc.shape[0])
    for k in range(offs.shape[0]):
        t0 = _now(timings)
        in_keys = hash_coords(x.coords)
        order = torch.argsort(in_keys)
        pos = rank_lookup(in_keys[order], hash_coords(oc) + offset_key(offs[k:k + 1]))
        hit = pos >= 0
        ii, oi = order[pos[hit]], ar[hit]
        _tick(timings, "mapping", t0)
        t0 = _now(timings)
        g = x.feats.index_select(0, ii)
        _tick(timings, "gather", t0)
        t0 = _now(timings)
        p = g @ weight[k]
        _tick(timings, "matmul", t0)
        t0 = _now(timings)
        out.index_add_(0, oi, p)
        _tick(timings, "scatter", t0)
    if bias is not None:
        out = out + bias
    return SparseTensor(oc, out, os_, x.kmaps, x.cmaps, check=False)
