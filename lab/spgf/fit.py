"""SPGF: single-pass Gaussian fitting of depth images (the paper's algorithm).

Part of lab.spgf, which backs notebooks/06_spgf.ipynb. Paper: P. Z. X. Li, S. Karaman, V. Sze, "Memory-efficient
Gaussian fitting for depth images in real time", ICRA 2022.

SPGF turns a depth image into a Gaussian mixture in one pass over the pixels, row
by row, holding only the current pixel, a few open line segments of the current
row and the open clusters of the previous row:

1. back-project each pixel (u, v, z) to a camera-frame point (x, y, z);
2. depth-adaptive thresholds: line threshold = scale·z²/f, depth threshold = 6× that,
   both clipped to [noise_floor, line_t] and [noise_floor, noise_thresh];
3. scanline segmentation: a pixel joins one of at most `max_incomplete_clusters` open
   segments, first by depth and line distance to the segment's last point, then, once
   the segment has more than `ncheck_t` points, by its distance to the segment's line
   extrapolated to the pixel; a segment is kept if it has more than `sparse_t` points;
4. segment fusion: each finished segment merges into the previous row's open cluster
   with the largest column-interval overlap, if the cluster is not too long
   (see the length bound below), the two line directions agree (|cos| > `angle_t` in the
   x-z plane) and the segment's mean lies on the cluster's plane;
5. clusters that the current row did not extend are closed; they are kept if they have
   ≥ `num_pixels_t` pixels or ≥ `num_line_t` lines;
6. each kept cluster becomes a Gaussian from its running sums: μ = S/N, Σ = J/N − μμᵀ.

The length bound. The authors' code (mit-lean/GMMap, `src/gmm_map/SPGFExtended.cpp`, the CPU
SPGF their README points to) bounds how long a segment or cluster may grow by a length that
grows with depth: `map_param.cpp` (`frame_param::computeDepth`) cuts the depth range into
intervals, the first `min_gau_len` long, each next one `slope`·(its start depth) long with
slope = ½·min(W/fx, H/fy), clipped to [`min_gau_len`, `frame_max_scale`·`min_gau_len`]
(0.5 m to 2 m in their `tum.json`), and an interval's length is the bound for depths in it
(`max_length_table`). They apply it to obstacle clusters in two places, and so do we: while
scanning a row, a segment takes a pixel only while its width is below the bound at that
pixel's depth; when fusing, a cluster takes a segment only while its length is below the
bound at the depth of its nearest point. (GMMap also cuts free space along the same
intervals; SPGF as published fits no free space, and neither do we.) The ICRA paper's version
used one fixed length (the line GMMap keeps commented out): `Params(max_len=...)` gives that.

The inner loop is compiled with numba. Its working state lives in three fixed-size
float32 arrays (open segments, finished segments of the current row, open clusters),
sized for the worst case at the image width; their bytes are what `GMM.stats`
reports as the state. The running sums are kept relative to each record's first point
so that float32 does not lose the covariance to cancellation. The input image and the
output mixture are not state (the paper's "memory overhead" counts the same way).

The mixture type `GMM`, `render_depth`, `depth_error` and `rmse` live in `render.py`;
the baselines (EM, NDT) and the comparison table in `baselines.py`; figures and the
explorer in `views.py`.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields
from typing import Iterator

import numba
import numpy as np

from ..core.checks import check_array, check_int, check_number, check_type
from ..data.scenes import Intrinsics
from .render import GMM, check_depth

# --------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class Params:
    """SPGF thresholds. Defaults: the authors' TUM configuration (mit-lean/GMMap
    `example/indoor/tum.json`), with its depth-dependent length bound (`min_gau_len`,
    `frame_max_scale`; see `max_length_table`); `max_len` (metres) replaces that bound by one
    fixed length, as in the ICRA paper's version; `max_depth` (metres)."""

    adaptive_thresh_scale: float = 2.4   # line threshold = scale·z²/f  [m]
    noise_floor: float = 0.08            # lower clip of both thresholds, and on-plane tolerance [m]
    noise_thresh: float = 0.2            # upper clip of the depth threshold [m]
    line_t: float = 0.3                  # upper clip of the line (x) threshold [m]
    occ_x_t: int = 10                    # pixels a segment may be interrupted (occluded) [px]
    ncheck_t: int = 16                   # points after which a segment is tested by extrapolation
    max_incomplete_clusters: int = 2     # open segments held while scanning a row
    angle_t: float = 0.5                 # |cos| between line directions needed to merge
    sparse_t: int = 5                    # a segment is kept with more than sparse_t points
    num_line_t: int = 16                 # a cluster is kept with ≥ num_line_t lines ...
    num_pixels_t: int = 200              # ... or ≥ num_pixels_t pixels
    max_len: float | None = None         # None: the depth-dependent bound; else one fixed bound [m]
    min_gau_len: float = 0.5             # the bound near the camera (GMMap's min_gau_len) [m]
    frame_max_scale: float = 4.0         # the bound far away is frame_max_scale × min_gau_len
    max_depth: float = 10.0              # pixels beyond this depth are ignored [m]

    def __post_init__(self):
        for name in ("adaptive_thresh_scale", "noise_floor", "noise_thresh", "line_t", "max_depth"):
            check_number(name, getattr(self, name), lo=0.0, lo_open=True, hi=1e3)
        if self.max_len is not None:
            check_number("max_len", self.max_len, lo=0.0, lo_open=True, hi=1e3)
        # at most max_depth / min_gau_len + 1 depth intervals: 100,000 at the limits
        check_number("min_gau_len", self.min_gau_len, lo=0.01, hi=100.0)
        check_number("frame_max_scale", self.frame_max_scale, lo=1.0, hi=100.0)
        check_number("angle_t", self.angle_t, lo=0.0, hi=1.0)
        check_int("occ_x_t", self.occ_x_t, lo=0, hi=10_000)
        check_int("ncheck_t", self.ncheck_t, lo=1, hi=10_000)
        check_int("max_incomplete_clusters", self.max_incomplete_clusters, lo=1, hi=64)
        check_int("sparse_t", self.sparse_t, lo=0, hi=10_000)
        check_int("num_line_t", self.num_line_t, lo=1, hi=100_000)
        check_int("num_pixels_t", self.num_pixels_t, lo=1, hi=10_000_000)

    def replace(self, **changes) -> "Params":
        """A copy with some thresholds changed (validated)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown SPGF parameter(s) {sorted(unknown)}; valid: {[f.name for f in fields(self)]}")
        return Params(**{**asdict(self), **changes})


# The authors' thresholds for TartanAir's noise-free frames (mit-lean/GMMap `example/indoor/tartanair.json`);
# the length bound's settings are the same as in their tum.json.
TARTANAIR = Params(adaptive_thresh_scale=0.70, noise_floor=0.05, sparse_t=2, num_line_t=8)


# Record layout of one segment or cluster: one float32 row of NF fields.
F_N, F_S, F_J, F_LV, F_LP, F_RP = 0, 1, 4, 10, 13, 16      # count, Σ(p−a), Σ(p−a)(p−a)ᵀ (6), line vector, left/anchor point, right point
F_LPIX, F_RPIX, F_PW, F_PV, F_UM = 19, 20, 21, 22, 25      # pixel interval, squared segment length, plane vector, top-line mean
F_PLEN, F_NL, F_UPD, F_TOP, F_BOT = 28, 29, 30, 31, 32     # squared cluster length, lines, updated flag, first/last row
F_DI = 33                                                  # depth interval of the nearest point (GMMap's depth_idx)
NF = 34
RECORD_BYTES = NF * 4
OUT_FIELDS = 10   # N, mean (3), covariance (xx, xy, xz, yy, yz, zz)
# counters (int64): queue size, segments in row, open clusters, closed Gaussians, peak live records,
# segments dropped as sparse, clusters pruned, segments made
C_Q, C_SEG, C_CL, C_OUT, C_PEAK, C_DROP, C_PRUNE, C_NSEG = range(8)


def capacities(width: int, params: Params) -> dict[str, int]:
    """Worst-case record counts of the fixed-size state at this image width: a kept segment
    has more than `sparse_t` pixels of its row, so a row holds at most width // (sparse_t + 1)
    segments; an open cluster was extended by, or made from, a segment of the last row, so
    at most twice that many clusters are open while a row merges."""
    width = check_int("width", width, lo=1, hi=100_000)
    check_type("params", params, Params)
    seg = width // (params.sparse_t + 1) + 1
    return {"queue": params.max_incomplete_clusters, "segments": seg, "clusters": 2 * seg}


def state_bytes(width: int, params: Params = Params()) -> int:
    """Bytes of SPGF's fixed-size state arrays at this image width (records of NF float32
    fields, plus the 8 int64 counters and the current pixel: x, y, z and two thresholds)."""
    cap = capacities(width, params)
    return (cap["queue"] + cap["segments"] + cap["clusters"]) * RECORD_BYTES + 8 * 8 + 5 * 4


def max_length_table(intrinsics: Intrinsics, params: Params = Params()) -> np.ndarray:
    """The longest a segment or cluster may grow, per depth interval: rows (start, end, length)
    in metres, covering (0, max_depth]. A depth z belongs to the first interval whose end is
    at least z. With `params.max_len` set, one interval of that length.

    Our reading of GMMap's `frame_param::computeDepth` (`map_param.cpp`, adaptive): the first
    interval is `min_gau_len` long; each next one, starting at depth d, is slope·d long with
    slope = ½·min(W/fx, H/fy) (half the image's smaller field of view at unit depth), at
    least `min_gau_len`; once slope·d exceeds `frame_max_scale`·`min_gau_len`, every further
    interval has that length. At most max_depth / min_gau_len + 1 rows."""
    check_type("intrinsics", intrinsics, Intrinsics)
    check_type("params", params, Params)
    if params.max_len is not None:
        return np.array([[0.0, params.max_depth, params.max_len]])
    start, longest = params.min_gau_len, params.frame_max_scale * params.min_gau_len
    slope = 0.5 * min(intrinsics.width / intrinsics.fx, intrinsics.height / intrinsics.fy)
    rows, cur, capped = [], 0.0, False
    while cur < params.max_depth:
        length = start if not rows else (longest if capped else slope * cur)
        if rows and not capped:
            if length > longest:
                length, capped = longest, True
            elif length < start:
                length = start
        rows.append((cur, cur + length, length))
        cur += length
    return np.array(rows)


# --------------------------------------------------------------------------- compiled kernel
@numba.njit(cache=True, fastmath=False)
def _add_point(A, i, x, y, z, u, v, di):
    """Append camera-frame point (x, y, z) at pixel (u, v), in depth interval di, to record A[i]."""
    n = A[i, F_N]
    if n == 0:
        A[i, F_LP] = x
        A[i, F_LP + 1] = y
        A[i, F_LP + 2] = z
        A[i, F_LPIX] = u
        A[i, F_TOP] = v
        A[i, F_DI] = di
    elif di < A[i, F_DI]:
        A[i, F_DI] = di
    dx = x - A[i, F_LP]
    dy = y - A[i, F_LP + 1]
    dz = z - A[i, F_LP + 2]
    A[i, F_LV] += dx
    A[i, F_LV + 1] += dy
    A[i, F_LV + 2] += dz
    A[i, F_N] = n + 1
    A[i, F_S] += dx
    A[i, F_S + 1] += dy
    A[i, F_S + 2] += dz
    A[i, F_J] += dx * dx
    A[i, F_J + 1] += dx * dy
    A[i, F_J + 2] += dx * dz
    A[i, F_J + 3] += dy * dy
    A[i, F_J + 4] += dy * dz
    A[i, F_J + 5] += dz * dz
    A[i, F_RP] = x
    A[i, F_RP + 1] = y
    A[i, F_RP + 2] = z
    A[i, F_RPIX] = u
    A[i, F_BOT] = v
    A[i, F_PW] = dx * dx + dy * dy + dz * dz


@numba.njit(cache=True)
def _mean(A, i, k):
    return A[i, F_LP + k] + A[i, F_S + k] / A[i, F_N]


@numba.njit(cache=True)
def _on_plane(CL, l, SEG, h, prm):
    """Does segment h's mean lie on cluster l's plane?"""
    if CL[l, F_NL] == 1:
        zl = _mean(CL, l, 2)
        depth_t = 6.0 * prm[5] * zl * zl / prm[4]
        return abs(zl - _mean(SEG, h, 2)) < depth_t
    a0, a1, a2 = CL[l, F_LV], CL[l, F_LV + 1], CL[l, F_LV + 2]
    b0, b1, b2 = CL[l, F_PV], CL[l, F_PV + 1], CL[l, F_PV + 2]
    n0, n1, n2 = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0
    d = n0 * (_mean(CL, l, 0) - _mean(SEG, h, 0)) + n1 * (_mean(CL, l, 1) - _mean(SEG, h, 1)) \
        + n2 * (_mean(CL, l, 2) - _mean(SEG, h, 2))
    return d * d < (n0 * n0 + n1 * n1 + n2 * n2) * prm[6] * prm[6]


@numba.njit(cache=True)
def _merge(SEG, h, CL, l, v):
    """Merge segment h into cluster l (sums shifted from h's anchor to l's)."""
    nh = SEG[h, F_N]
    mh0, mh1, mh2 = _mean(SEG, h, 0), _mean(SEG, h, 1), _mean(SEG, h, 2)
    ml0, ml1, ml2 = _mean(CL, l, 0), _mean(CL, l, 1), _mean(CL, l, 2)
    d0 = SEG[h, F_LP] - CL[l, F_LP]
    d1 = SEG[h, F_LP + 1] - CL[l, F_LP + 1]
    d2 = SEG[h, F_LP + 2] - CL[l, F_LP + 2]
    s0, s1, s2 = SEG[h, F_S], SEG[h, F_S + 1], SEG[h, F_S + 2]
    CL[l, F_J] += SEG[h, F_J] + 2 * s0 * d0 + nh * d0 * d0
    CL[l, F_J + 1] += SEG[h, F_J + 1] + s0 * d1 + d0 * s1 + nh * d0 * d1
    CL[l, F_J + 2] += SEG[h, F_J + 2] + s0 * d2 + d0 * s2 + nh * d0 * d2
    CL[l, F_J + 3] += SEG[h, F_J + 3] + 2 * s1 * d1 + nh * d1 * d1
    CL[l, F_J + 4] += SEG[h, F_J + 4] + s1 * d2 + d1 * s2 + nh * d1 * d2
    CL[l, F_J + 5] += SEG[h, F_J + 5] + 2 * s2 * d2 + nh * d2 * d2
    CL[l, F_S] += s0 + nh * d0
    CL[l, F_S + 1] += s1 + nh * d1
    CL[l, F_S + 2] += s2 + nh * d2
    CL[l, F_N] += nh
    for k in range(3):
        CL[l, F_LV + k] += SEG[h, F_LV + k]
    CL[l, F_LPIX] = np.floor((CL[l, F_LPIX] + SEG[h, F_LPIX]) / 2)
    CL[l, F_RPIX] = np.floor((CL[l, F_RPIX] + SEG[h, F_RPIX]) / 2)
    if CL[l, F_NL] == 1:  # the top line's mean anchors the plane vector
        CL[l, F_UM], CL[l, F_UM + 1], CL[l, F_UM + 2] = ml0, ml1, ml2
        CL[l, F_PV], CL[l, F_PV + 1], CL[l, F_PV + 2] = 0.0, 0.0, 0.0
    e0, e1, e2 = mh0 - CL[l, F_UM], mh1 - CL[l, F_UM + 1], mh2 - CL[l, F_UM + 2]
    CL[l, F_PV] += e0
    CL[l, F_PV + 1] += e1
    CL[l, F_PV + 2] += e2
    CL[l, F_PLEN] = e0 * e0 + e1 * e1 + e2 * e2
    CL[l, F_NL] += SEG[h, F_NL]
    CL[l, F_UPD] = 1
    CL[l, F_BOT] = v
    CL[l, F_DI] = min(CL[l, F_DI], SEG[h, F_DI])


@numba.njit(cache=True)
def _emit(CL, l, OUT, cnt):
    """Close cluster l into a Gaussian row of OUT: N, mean, covariance (6)."""
    k = cnt[C_OUT]
    n = CL[l, F_N]
    s0, s1, s2 = CL[l, F_S] / n, CL[l, F_S + 1] / n, CL[l, F_S + 2] / n
    OUT[k, 0] = n
    OUT[k, 1] = CL[l, F_LP] + s0
    OUT[k, 2] = CL[l, F_LP + 1] + s1
    OUT[k, 3] = CL[l, F_LP + 2] + s2
    OUT[k, 4] = CL[l, F_J] / n - s0 * s0
    OUT[k, 5] = CL[l, F_J + 1] / n - s0 * s1
    OUT[k, 6] = CL[l, F_J + 2] / n - s0 * s2
    OUT[k, 7] = CL[l, F_J + 3] / n - s1 * s1
    OUT[k, 8] = CL[l, F_J + 4] / n - s1 * s2
    OUT[k, 9] = CL[l, F_J + 5] / n - s2 * s2
    cnt[C_OUT] = k + 1


@numba.njit(cache=True)
def _copy(dst, i, src, j):
    """dst[i] = src[j] (one record), as a plain loop: cheaper to compile than a slice copy."""
    for k in range(NF):
        dst[i, k] = src[j, k]


@numba.njit(cache=True)
def _live(cnt):
    live = cnt[C_Q] + cnt[C_SEG] + cnt[C_CL]
    if live > cnt[C_PEAK]:
        cnt[C_PEAK] = live


@numba.njit(cache=True)
def _row(depth_row, v, prm, ends, len2, Q, SEG, CL, OUT, cnt, final):
    """Process image row v: scanline segmentation, then segment fusion and closing. ends, len2:
    the depth intervals' ends and squared length bounds (`max_length_table`)."""
    fx, fy, cx, cy, f, scale = prm[0], prm[1], prm[2], prm[3], prm[4], prm[5]
    noise_floor, noise_thresh, line_t = prm[6], prm[7], prm[8]
    occ_x_t, ncheck_t, max_inc = prm[9], prm[10], int(prm[11])
    angle_t, sparse_t, num_line_t, num_pixels_t = prm[12], prm[13], prm[14], prm[15]
    max_depth = prm[16]
    cnt[C_Q] = 0
    cnt[C_SEG] = 0
    # --- 1-3: scanline segmentation
    for u in range(depth_row.shape[0]):
        z = depth_row[u]
        if not (z > 0.0 and z <= max_depth):
            continue
        x = (u - cx) * z / fx
        y = (v - cy) * z / fy
        line_adapt = scale * z * z / f
        depth_t = min(max(6.0 * line_adapt, noise_floor), noise_thresh)
        line_thr = min(max(line_adapt, noise_floor), line_t)
        di = np.searchsorted(ends, z)                    # intervals ending before z
        merged = False
        for qi in range(cnt[C_Q] - 1, -1, -1):          # newest open segment first
            if u - Q[qi, F_RPIX] <= occ_x_t and Q[qi, F_PW] < len2[di]:   # bound at this pixel's depth
                if Q[qi, F_N] <= ncheck_t:               # trend not yet established
                    ok = abs(z - Q[qi, F_RP + 2]) < depth_t and abs(x - Q[qi, F_RP]) < line_thr
                else:                                    # extrapolate the segment's line
                    lvx = Q[qi, F_LV]
                    ok = False
                    if lvx != 0.0:
                        z_est = Q[qi, F_LP + 2] + Q[qi, F_LV + 2] * (x - Q[qi, F_LP]) / lvx
                        ok = abs(z_est - z) < depth_t
                if ok:
                    _add_point(Q, qi, x, y, z, u, v, di)
                    merged = True
                    break
        if not merged:
            if cnt[C_Q] == max_inc:                      # evict the oldest open segment
                if Q[0, F_N] > sparse_t:
                    _copy(SEG, cnt[C_SEG], Q, 0)
                    cnt[C_SEG] += 1
                    cnt[C_NSEG] += 1
                else:
                    cnt[C_DROP] += 1
                for qi in range(1, cnt[C_Q]):
                    _copy(Q, qi - 1, Q, qi)
                cnt[C_Q] -= 1
            qn = cnt[C_Q]
            for k in range(NF):
                Q[qn, k] = 0.0
            _add_point(Q, qn, x, y, z, u, v, di)
            cnt[C_Q] = qn + 1
            _live(cnt)
    for qi in range(cnt[C_Q]):                           # end of row: flush open segments
        if Q[qi, F_N] > sparse_t:
            _copy(SEG, cnt[C_SEG], Q, qi)
            cnt[C_SEG] += 1
            cnt[C_NSEG] += 1
        else:
            cnt[C_DROP] += 1
    cnt[C_Q] = 0
    for h in range(cnt[C_SEG]):
        SEG[h, F_NL] = 1
    # --- 4: segment fusion with the previous row's open clusters
    n_prev = cnt[C_CL]
    for h in range(cnt[C_SEG]):
        best, best_ratio = -1, 0.0
        for l in range(n_prev):
            overlap = min(SEG[h, F_RPIX], CL[l, F_RPIX]) - max(SEG[h, F_LPIX], CL[l, F_LPIX])
            if overlap > 0:
                ratio = overlap / (max(SEG[h, F_RPIX], CL[l, F_RPIX]) - min(SEG[h, F_LPIX], CL[l, F_LPIX]))
                if ratio > best_ratio:
                    best, best_ratio = l, ratio
        merged = False
        if best >= 0 and CL[best, F_PLEN] < len2[int(CL[best, F_DI])]:   # bound at its nearest point's depth
            c0, c1 = SEG[h, F_LV], SEG[h, F_LV + 2]
            p0, p1 = CL[best, F_LV], CL[best, F_LV + 2]
            dot = c0 * p0 + c1 * p1
            if dot * dot > (c0 * c0 + c1 * c1) * (p0 * p0 + p1 * p1) * angle_t * angle_t \
                    and _on_plane(CL, best, SEG, h, prm):
                _merge(SEG, h, CL, best, v)
                merged = True
        if not merged:                                   # the segment opens a new cluster
            k = cnt[C_CL]
            _copy(CL, k, SEG, h)
            CL[k, F_UPD] = 0
            cnt[C_CL] = k + 1
            _live(cnt)
    # --- 5-6: close clusters the row did not extend; keep the big ones as Gaussians
    n_close = cnt[C_CL] if final else n_prev
    w = 0
    for l in range(cnt[C_CL]):
        if l < n_close and (CL[l, F_UPD] == 0 or final):
            if CL[l, F_N] >= num_pixels_t or CL[l, F_NL] >= num_line_t:
                _emit(CL, l, OUT, cnt)
            else:
                cnt[C_PRUNE] += 1
        else:
            if w != l:
                _copy(CL, w, CL, l)
            CL[w, F_UPD] = 0
            w += 1
    cnt[C_CL] = w
    cnt[C_SEG] = 0


@numba.njit(cache=True)
def _fit_rows(depth, r0, r1, n_rows, prm, ends, len2, Q, SEG, CL, OUT, cnt):
    """Process rows r0..r1-1; return the next row, early when OUT might overflow."""
    for v in range(r0, r1):
        if cnt[C_OUT] + CL.shape[0] > OUT.shape[0]:
            return v
        _row(depth[v], v, prm, ends, len2, Q, SEG, CL, OUT, cnt, v == n_rows - 1)
    return r1


# --------------------------------------------------------------------------- public API
def _prm(intr: Intrinsics, p: Params) -> np.ndarray:
    return np.array([intr.fx, intr.fy, intr.cx, intr.cy, min(intr.fx, intr.fy), p.adaptive_thresh_scale,
                     p.noise_floor, p.noise_thresh, p.line_t, p.occ_x_t, p.ncheck_t, p.max_incomplete_clusters,
                     p.angle_t, p.sparse_t, p.num_line_t, p.num_pixels_t, p.max_depth], np.float64)


class _State:
    """The fixed-size arrays of one SPGF pass (plus the output buffer, which is not state)."""

    def __init__(self, intr: Intrinsics, params: Params):
        cap = capacities(intr.width, params)
        self.Q = np.zeros((cap["queue"], NF), np.float32)
        self.SEG = np.zeros((cap["segments"], NF), np.float32)
        self.CL = np.zeros((cap["clusters"], NF), np.float32)
        self.cnt = np.zeros(8, np.int64)
        self.OUT = np.zeros((self.CL.shape[0] + 64, OUT_FIELDS), np.float64)   # grows like a list
        self.prm = _prm(intr, params)
        table = max_length_table(intr, params)
        self.ends, self.len2 = table[:, 1].copy(), table[:, 2] ** 2
        self.bytes = self.Q.nbytes + self.SEG.nbytes + self.CL.nbytes + self.cnt.nbytes + 5 * 4

    def run(self, depth: np.ndarray, r0: int, r1: int) -> None:
        v = r0
        while v < r1:
            v = _fit_rows(depth, v, r1, depth.shape[0], self.prm, self.ends, self.len2, self.Q, self.SEG, self.CL,
                          self.OUT, self.cnt)
            if v < r1:
                self.OUT = np.concatenate([self.OUT, np.zeros_like(self.OUT)])


def _to_gmm(out: np.ndarray, stats: dict) -> GMM:
    n = out[:, 0]
    cov = np.empty((len(out), 3, 3))
    idx = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
    for c, (i, j) in enumerate(idx):
        cov[:, i, j] = cov[:, j, i] = out[:, 4 + c]
    w = n / n.sum() if len(n) else n
    return GMM(means=out[:, 1:4].copy(), covariances=cov, weights=w, support=n.astype(np.int64), stats=stats)


def fit(depth_m: np.ndarray, intrinsics: Intrinsics, params: Params = Params()) -> GMM:
    """Fit a Gaussian mixture to one depth image [H,W] in metres (0/NaN = no measurement)
    in a single pass. Returns the mixture in the camera frame; `stats` has `state_bytes`
    (bytes of the fixed-size state arrays), `state_bytes_peak` (bytes of the records live
    at the fullest moment), `segments`, `segments_dropped`, `clusters_pruned`, `seconds`."""
    depth = check_depth(depth_m, intrinsics)
    check_type("params", params, Params)
    st = _State(intrinsics, params)
    t0 = time.perf_counter()
    st.run(depth, 0, depth.shape[0])
    sec = time.perf_counter() - t0
    c = st.cnt
    stats = dict(state_bytes=int(st.bytes), state_bytes_peak=int(c[C_PEAK] * RECORD_BYTES + 8 * 8 + 5 * 4),
                 peak_records=int(c[C_PEAK]), segments=int(c[C_NSEG]), segments_dropped=int(c[C_DROP]),
                 clusters_pruned=int(c[C_PRUNE]), seconds=sec, fps=1.0 / sec if sec > 0 else float("inf"))
    return _to_gmm(st.OUT[:c[C_OUT]], stats)


@dataclass
class RowState:
    """SPGF's state after image row `row`: the open clusters (as Gaussians with their
    column interval [left, right] and first row), the Gaussians closed so far, and the
    bytes of the records then live."""

    row: int
    open_means: np.ndarray        # [M,3] m
    open_covariances: np.ndarray  # [M,3,3] m²
    open_columns: np.ndarray      # [M,2] pixel interval of the cluster's last line
    open_rows: np.ndarray         # [M,2] first and last row of the cluster
    closed: GMM
    live_bytes: int

    def __post_init__(self):
        check_int("row", self.row, lo=0, hi=100_000)
        self.open_means = check_array("open_means", self.open_means, shape=(None, 3), min_size=0)
        m = self.open_means.shape[0]
        self.open_covariances = check_array("open_covariances", self.open_covariances, shape=(m, 3, 3), min_size=0)
        self.open_columns = check_array("open_columns", self.open_columns, shape=(m, 2), dtype_kind="iu", lo=0,
                                        min_size=0)
        self.open_rows = check_array("open_rows", self.open_rows, shape=(m, 2), dtype_kind="iu", lo=0, min_size=0)
        check_type("closed", self.closed, GMM)
        check_int("live_bytes", self.live_bytes, lo=0)


def _open_clusters(st: _State):
    n = int(st.cnt[C_CL])
    CL = st.CL[:n].copy()
    out = np.zeros((n, OUT_FIELDS))
    cnt = np.zeros(8, np.int64)
    for l in range(n):
        _emit(CL, l, out, cnt)
    g = _to_gmm(out, {})
    return g, CL[:, [F_LPIX, F_RPIX]].astype(int), CL[:, [F_TOP, F_BOT]].astype(int)


def stream(depth_m: np.ndarray, intrinsics: Intrinsics, params: Params = Params(),
           rows_per_step: int = 1) -> Iterator[RowState]:
    """Run SPGF row by row, yielding a `RowState` after every `rows_per_step` rows (and
    after the last row). The Gaussians equal those of `fit` on the same image."""
    depth = check_depth(depth_m, intrinsics)
    check_type("params", params, Params)
    rows_per_step = check_int("rows_per_step", rows_per_step, lo=1, hi=100_000)
    return _stream(depth, intrinsics, params, rows_per_step)


def _stream(depth, intrinsics, params, rows_per_step):
    st = _State(intrinsics, params)
    H = depth.shape[0]
    for r0 in range(0, H, rows_per_step):
        r1 = min(H, r0 + rows_per_step)
        st.run(depth, r0, r1)
        g, cols, rows = _open_clusters(st)
        live = int(st.cnt[C_CL]) * RECORD_BYTES
        yield RowState(row=r1 - 1, open_means=g.means, open_covariances=g.covariances, open_columns=cols,
                       open_rows=rows, closed=_to_gmm(st.OUT[:st.cnt[C_OUT]].copy(), {}), live_bytes=live)


def state_after_row(depth_m: np.ndarray, intrinsics: Intrinsics, row: int, params: Params = Params()) -> RowState:
    """SPGF's state right after image row `row` (0-based)."""
    check_type("intrinsics", intrinsics, Intrinsics)
    row = check_int("row", row, lo=0, hi=intrinsics.height - 1)
    depth = check_depth(depth_m, intrinsics)
    check_type("params", params, Params)
    st = _State(intrinsics, params)
    st.run(depth, 0, row + 1)
    g, cols, rows = _open_clusters(st)
    return RowState(row=row, open_means=g.means, open_covariances=g.covariances, open_columns=cols, open_rows=rows,
                    closed=_to_gmm(st.OUT[:st.cnt[C_OUT]].copy(), {}), live_bytes=int(st.cnt[C_CL]) * RECORD_BYTES)
