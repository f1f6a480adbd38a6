"""Step 1, the dense dataflow: tile shapes, reuse and per-level fills, reads and updates
of a mapped loop nest, analytically and by brute-force enumeration (for the tests).

Counts are in words (one tensor element each). For a level that keeps a tensor:
`fills` words arrive from the nearest outer level that keeps it, `reads` words leave it
towards the next inner keeper (or the MAC), and for the output `updates` arrive from
the inner side and `drains` go back out. A tile is refetched when an outer loop that
the tensor depends on advances; loops it does not depend on, innermost among the outer
loops, reuse the tile in place (Timeloop's temporal reuse, without sliding-window halo
reuse: a changed convolution window is refetched whole).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..core.checks import check_choice, check_int, check_type
from .spec import Arch, Mapping, Workload

MAX_BRUTE_POINTS = 200_000


@dataclass(frozen=True)
class Loop:
    level: int
    dim: str
    bound: int


def nest(mapping: Mapping) -> tuple:
    """The whole loop nest, outer to inner, as Loop(level index, dim, bound)."""
    check_type("mapping", mapping, Mapping)
    return tuple(Loop(i, d, b) for i, lm in enumerate(mapping.levels) for d, b in lm.loops)


def tile_extents(workload: Workload, mapping: Mapping, level: int) -> dict:
    """Extent of every dim inside one tile of `level` (the loops of that level and below)."""
    check_type("workload", workload, Workload)
    check_type("mapping", mapping, Mapping)
    level = check_int("level", level, lo=0, hi=len(mapping.levels) - 1)
    ext = {d: 1 for d in workload.dims}
    total = dict(ext)
    for lp in nest(mapping):
        if lp.dim not in total:
            raise ValueError(f"mapping loops over dim {lp.dim!r}, which the workload lacks (dims {sorted(total)})")
        total[lp.dim] *= lp.bound
        if lp.level >= level:
            ext[lp.dim] *= lp.bound
    bad = {d: (p, workload.dims[d]) for d, p in total.items() if p != workload.dims[d]}
    if bad:
        raise ValueError(f"mapping does not fit the workload: loop bounds must multiply to each dim's size; "
                         f"got (product, size) {bad}")
    return ext


def tile_shape(workload: Workload, mapping: Mapping, level: int, tensor: str) -> tuple:
    """Per-rank extent of `tensor`'s tile at `level` (a window rank p + r - 1)."""
    ext = tile_extents(workload, mapping, level)
    check_choice("tensor", tensor, [t.name for t in workload.tensors])
    return tuple(sum(ext[d] for d in r) - (len(r) - 1) for r in workload.tensor(tensor).ranks)


def _changes(outer: list, dims: frozenset) -> tuple[int, int]:
    """(tile changes, distinct tiles) over the outer loops for a tensor depending on dims."""
    total = int(np.prod([lp.bound for lp in outer], dtype=np.int64)) if outer else 1
    reuse = 1
    for lp in reversed(outer):
        if lp.bound == 1:
            continue
        if lp.dim in dims:
            break
        reuse *= lp.bound
    distinct = int(np.prod([lp.bound for lp in outer if lp.dim in dims], dtype=np.int64)) if outer else 1
    return total // reuse, distinct


def keepers(mapping: Mapping, tensor: str) -> list:
    """Indices of the levels that keep `tensor`, outer to inner."""
    return [i for i, lm in enumerate(mapping.levels) if tensor in lm.keep]


def dense_counts(arch: Arch, workload: Workload, mapping: Mapping) -> dict:
    """{(level name, tensor): dict(tile, changes, fills, reads, updates, drains)} in words."""
    check_type("mapping", mapping, Mapping)
    mapping.validate(arch, workload)
    loops = nest(mapping)
    macs = workload.macs
    out: dict = {}
    for t in workload.tensors:
        ks = keepers(mapping, t.name)
        for j, i in enumerate(ks):
            size = int(np.prod(tile_shape(workload, mapping, i, t.name)))
            outer = [lp for lp in loops if lp.level < i]
            ch, distinct = _changes(outer, t.dims)
            rec = dict(tile=size, changes=ch, fills=0, reads=0, updates=0, drains=0)
            if j > 0:
                if t.output:
                    rec["drains"] = ch * size
                    rec["fills"] = (ch - distinct) * size
                else:
                    rec["fills"] = ch * size
            out[(arch.names[i], t.name)] = rec
        for j, i in enumerate(ks):
            rec = out[(arch.names[i], t.name)]
            if j + 1 < len(ks):
                child = out[(arch.names[ks[j + 1]], t.name)]
                rec["reads"] = child["fills"]
                rec["updates"] = child["drains"]
            else:
                rec["reads"] = macs
                rec["updates"] = macs if t.output else 0
    return out


def brute_force_counts(arch: Arch, workload: Workload, mapping: Mapping) -> dict:
    """The same counts by walking every iteration point in order and collecting the set of
    coordinates each tile touches (independent of `dense_counts`; at most
    MAX_BRUTE_POINTS points)."""
    check_type("mapping", mapping, Mapping)
    mapping.validate(arch, workload)
    if workload.macs > MAX_BRUTE_POINTS:
        raise ValueError(f"workload must have at most {MAX_BRUTE_POINTS} iteration points for brute force; "
                         f"got {workload.macs}")
    loops = nest(mapping)
    strides = []
    for j, lp in enumerate(loops):
        strides.append(int(np.prod([q.bound for q in loops[j + 1:] if q.dim == lp.dim], dtype=np.int64)))
    points = list(itertools.product(*[range(lp.bound) for lp in loops]))

    def coord(pt, t):
        idx = {d: 0 for d in workload.dims}
        for v, lp, s in zip(pt, loops, strides):
            idx[lp.dim] += v * s
        return tuple(sum(idx[d] for d in r) for r in t.ranks)

    out = {}
    for t in workload.tensors:
        ks = keepers(mapping, t.name)
        for j, i in enumerate(ks):
            n_outer = sum(1 for lp in loops if lp.level < i)
            groups: dict = {}
            order = []
            for pt in points:
                key = pt[:n_outer]
                if key not in groups:
                    groups[key] = set()
                    order.append(key)
                groups[key].add(coord(pt, t))
            prev, changes, seen = None, 0, set()
            for key in order:
                s = frozenset(groups[key])
                if s != prev:
                    changes += 1
                    seen.add(s)
                prev = s
            size = len(groups[order[0]])
            rec = dict(tile=size, changes=changes, fills=0, reads=0, updates=0, drains=0)
            if j > 0:
                if t.output:
                    rec["drains"] = changes * size
                    rec["fills"] = (changes - len(seen)) * size
                else:
                    rec["fills"] = changes * size
            out[(arch.names[i], t.name)] = rec
        for j, i in enumerate(ks):
            rec = out[(arch.names[i], t.name)]
            if j + 1 < len(ks):
                child = out[(arch.names[ks[j + 1]], t.name)]
                rec["reads"], rec["updates"] = child["fills"], child["drains"]
            else:
                rec["reads"] = len(points)
                rec["updates"] = len(points) if t.output else 0
    return out
