"""PointAcc's mapping unit, functionally: every mapping operation is a ranking.

The kernel map merge-sorts the shifted output keys with the input keys and reads pairs
off equal neighbours; kNN and ball query rank candidate points by distance. Checked
against `lab.sparseconv`'s merge-join map and scipy's k-d tree (notebooks/08_pointacc.ipynb).
"""
from __future__ import annotations

import numpy as np
import torch

from lab import sparseconv as sc
from lab.core.checks import check_array, check_int, check_positive

MAX_DISTANCES = 1 << 26  # query-point distances computed at once by the ranking kNN


# ---------------------------------------------------------------- mapping unit (functional)
def merge_sort_kernel_map(in_coords: torch.Tensor, out_coords: torch.Tensor, offsets: torch.Tensor):
    """Kernel map by merge sort, as PointAcc's mapping unit does it.

    For each offset: the output keys shifted by the offset and the input keys are merged
    into one sorted stream (a stable sort of the concatenation; each list is already
    sorted, so hardware merges them), and each equal adjacent pair (input, shifted output)
    is a map entry. Returns (in_idx, out_idx, sizes) as `lab.sparseconv.KernelMap` orders
    them (by offset, then by output key). in_coords, out_coords: integer [N, 4] (at least one
    row each); offsets: integer [K, 3].
    """
    ki = sc.hash_coords(sc.check_coords("in_coords", in_coords, min_rows=1, max_rows=1_000_000))
    ko = sc.hash_coords(sc.check_coords("out_coords", out_coords, min_rows=1, max_rows=1_000_000))
    offsets = sc.check_offsets("offsets", offsets)
    oi, oo = torch.argsort(ki), torch.argsort(ko)
    ski, sko = ki[oi], ko[oo]
    ins, outs, sizes = [], [], []
    dk = sc.offset_key(offsets)
    for k in range(offsets.shape[0]):
        keys = torch.cat([sko + dk[k], ski])
        tag = torch.cat([torch.zeros_like(sko), torch.ones_like(ski)])  # 0 = output, 1 = input
        src = torch.cat([torch.arange(sko.numel()), torch.arange(ski.numel())])
        order = torch.sort(keys * 2 + tag, stable=True).indices  # merge: outputs before equal inputs
        k_s, t_s, s_s = keys[order], tag[order], src[order]
        hit = (k_s[:-1] == k_s[1:]) & (t_s[:-1] == 0) & (t_s[1:] == 1)
        pos = hit.nonzero().squeeze(1)
        ins.append(oi[s_s[pos + 1]])
        outs.append(oo[s_s[pos]])
        sizes.append(int(pos.numel()))
    return torch.cat(ins), torch.cat(outs), torch.tensor(sizes, dtype=torch.int64)


def knn_ranking(points, queries, k: int):
    """kNN by distance ranking: indices int64 [Q, k] of the k nearest points of each query
    (ties broken by point index), and their distances [Q, k]."""
    P = check_array("points", points, ndim=2, shape=(None, 3)).astype(np.float64)
    Q = check_array("queries", queries, ndim=2, shape=(None, 3)).astype(np.float64)
    k = check_int("k", k, lo=1, hi=len(P))
    if len(P) * len(Q) > MAX_DISTANCES:
        raise ValueError(f"points x queries too large: {len(P)} x {len(Q)} distances (at most {MAX_DISTANCES})")
    d2 = ((Q[:, None, :] - P[None, :, :]) ** 2).sum(-1)
    order = np.lexsort((np.broadcast_to(np.arange(len(P)), d2.shape), d2), axis=1)[:, :k]
    return order, np.sqrt(np.take_along_axis(d2, order, 1))


def ball_query_ranking(points, queries, radius: float, k: int):
    """Ball query by ranking: the (up to) k nearest points within `radius` of each query,
    nearest first; missing slots are -1. Returns int64 [Q, k]."""
    radius = check_positive("radius", radius)
    idx, dist = knn_ranking(points, queries, k)
    return np.where(dist <= radius, idx, -1)


def check_mapping_unit(coords: torch.Tensor, n_points: int = 400, k: int = 8, radius: float = 0.1,
                       seed: int = 0) -> dict:
    """Run the ranking mapping unit against the references and count disagreements:
    kernel maps (submanifold 3^3 and strided 2^3) against lab.sparseconv's merge-join map;
    kNN and ball query on `n_points` random points against scipy's cKDTree."""
    from scipy.spatial import cKDTree
    coords = sc.check_coords("coords", coords, min_rows=1, max_rows=1_000_000)
    k = check_int("k", k, lo=1, hi=256)
    n_points = check_int("n_points", n_points, lo=k + 1, hi=20000)
    radius = check_positive("radius", radius)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    out = {}
    x = sc.SparseTensor(coords, torch.zeros(coords.shape[0], 1), check=False)
    for name, ks, st in (("kernel map 3^3 submanifold", 3, 1), ("kernel map 2^3 stride 2", 2, 2)):
        km, oc, _ = sc.get_kernel_map(x, ks, st, cache=False)
        ii, oi, sizes = merge_sort_kernel_map(coords, oc, sc.kernel_offsets(ks) * x.stride)
        a = set(zip((ii * (km.n_out + 1) + oi).tolist(), np.repeat(np.arange(sizes.numel()), sizes.numpy()).tolist()))
        b = set(zip((km.in_idx * (km.n_out + 1) + km.out_idx).tolist(),
                    np.repeat(np.arange(km.sizes.numel()), km.sizes.numpy()).tolist()))
        out[name] = dict(pairs=len(b), mismatches=len(a ^ b))
    rng = np.random.default_rng(seed)
    P, Q = rng.random((n_points, 3)), rng.random((max(1, n_points // 10), 3))
    idx, _ = knn_ranking(P, Q, k)
    ref = cKDTree(P).query(Q, k)[1]
    out[f"kNN (k={k})"] = dict(pairs=int(ref.size), mismatches=int((idx != ref).sum()))
    ball = ball_query_ranking(P, Q, radius, k)
    d = np.linalg.norm(P[ref] - Q[:, None, :], axis=-1)
    ref_ball = np.where(d <= radius, ref, -1)
    out[f"ball query (r={radius})"] = dict(pairs=int(ref.size), mismatches=int((ball != ref_ball).sum()))
    return out
