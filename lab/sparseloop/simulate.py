"""The element-level simulator: runs the mapped loop nest on actual sparse tensors and
counts every action and cycle, without the density models or the expected-size
formulas of the analytical model (its step 2).

What it shares with the model (`model.py`): step 3 and the micro-architecture rules. It
imports `finish` (energy = count x the same per-action energy table, each storage level's
cycles = its traffic / its bandwidth, the design's cycles the largest), the design template
(`check_design`) and `Result`; its PE walk applies the same slot rules (a gated action keeps
its slot, a skipping merge spends one slot per merge step) and the same max(slots, port bits /
bandwidth) per walk. So model against simulator tests the density statistics of step 2
(expected occupancies, metadata sizes, the normal approximation of the intersection) against
actual tensors, not the architecture model.

* Tile transfers: the outer loops of each level are enumerated in order; whenever the
  tile of a tensor changes, the actual tile is cut out of the tensor and encoded
  explicitly (`formats.encode`), and its stored entries and metadata bits are counted.
* The PE: for every output Z[m, n] the PE walks the two fibers as stored (explicit
  coordinates from their encodings), element by element: a dense walk over K (no
  feature, gating) or a two-finger merge / bitmask AND (skipping), deciding each read,
  MAC and update from the actual values. Each walk's cycles are max(slots, port bits /
  bandwidth); each PE's cycles are the sum over its walks and the array's the largest
  PE's (numba kernel, entered with checked arrays).
"""
from __future__ import annotations

import numba
import numpy as np

from ..core.checks import check_array
from .formats import encode
from .model import Result, add, check_design, finish
from .spec import Arch, Mapping, SparseOpt, Workload

MAX_OUTER = 1 << 24
MAX_WALK = 1 << 32
_FEATURE = {"none": 0, "gating": 1, "skipping": 2}


def stored_entries(row: np.ndarray, fmt: str, rle_bits: int,
                   cp_bits: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """(coordinates of the stored entries, whether each is nonzero, metadata bits) of one
    fiber, read back from its explicit encoding."""
    enc = encode(row[None, :], ("U", fmt), rle_bits, cp_bits)
    meta = enc.parts["inner"][0]
    K = len(row)
    if fmt == "U":
        crd = np.arange(K)
    elif fmt == "B":
        crd = np.flatnonzero(np.asarray(meta, dtype=int))
    elif fmt == "CP":
        crd = np.asarray(meta, dtype=int)
    else:
        crd = np.cumsum(np.asarray(meta, dtype=int) + 1) - 1 if meta else np.zeros(0, int)
    crd = crd.astype(np.int64)
    return crd, row[crd] != 0, enc.meta_bits


def _csr(X: np.ndarray, fmt: str, rle_bits: int, cp_bits):
    ptr, crd, nz, meta = [0], [], [], []
    for row in X:
        c, z, m = stored_entries(row, fmt, rle_bits, cp_bits)
        crd.append(c)
        nz.append(z)
        meta.append(m)
        ptr.append(ptr[-1] + len(c))
    cat = (lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt))
    return (np.asarray(ptr, np.int64), cat(crd, np.int64), cat(nz, np.bool_), np.asarray(meta, np.float64))


@numba.njit(cache=False)
def _walk(M, N, K, pa, ca, za, ma, pb, cb, zb, mb, feature, and_masks, word_bits, bw, n_pe):
    out = np.zeros(9)          # A act/gat/skip, B act/gat/skip, MAC act/gat/skip
    pe = np.zeros(n_pe)
    sa = np.zeros(K, np.bool_)
    nza = np.zeros(K, np.bool_)
    sb = np.zeros(K, np.bool_)
    nzb = np.zeros(K, np.bool_)
    for m in range(M):
        for n in range(N):
            reads = 0.0
            if feature == 2 and not and_masks:
                i, j = pa[m], pb[n]
                ea, eb = pa[m + 1] - pa[m], pb[n + 1] - pb[n]
                steps, mst, eff = 0, 0, 0
                while i < pa[m + 1] or j < pb[n + 1]:
                    steps += 1
                    if i < pa[m + 1] and j < pb[n + 1] and ca[i] == cb[j]:
                        mst += 1
                        if za[i] and zb[j]:
                            eff += 1
                        i += 1
                        j += 1
                    elif j >= pb[n + 1] or (i < pa[m + 1] and ca[i] < cb[j]):
                        i += 1
                    else:
                        j += 1
                out[0] += mst
                out[2] += ea - mst
                out[3] += mst
                out[5] += eb - mst
                out[6] += eff
                out[8] += K - eff
                reads = 2.0 * mst
                slots = float(steps)
            else:
                sa[:] = False
                nza[:] = False
                sb[:] = False
                nzb[:] = False
                for i in range(pa[m], pa[m + 1]):
                    sa[ca[i]] = True
                    nza[ca[i]] = za[i]
                for j in range(pb[n], pb[n + 1]):
                    sb[cb[j]] = True
                    nzb[cb[j]] = zb[j]
                eff = 0
                for k in range(K):
                    if feature == 0:
                        if sa[k]:
                            out[0] += 1
                            reads += 1
                        if sb[k]:
                            out[3] += 1
                            reads += 1
                        out[6] += 1
                    elif feature == 1:
                        if sa[k]:
                            reads += 1
                            if nzb[k]:
                                out[0] += 1
                            else:
                                out[1] += 1
                        if sb[k]:
                            reads += 1
                            if nza[k]:
                                out[3] += 1
                            else:
                                out[4] += 1
                        if nza[k] and nzb[k]:
                            out[6] += 1
                        else:
                            out[7] += 1
                    else:
                        if nza[k] and nzb[k]:
                            eff += 1
                if feature == 2:
                    out[0] += eff
                    out[2] += (pa[m + 1] - pa[m]) - eff
                    out[3] += eff
                    out[5] += (pb[n + 1] - pb[n]) - eff
                    out[6] += eff
                    out[8] += K - eff
                    reads = 2.0 * eff
                    slots = eff + 1.0
                else:
                    slots = float(K)
            port = reads * word_bits + ma[m] + mb[n]
            step = slots if slots > port / bw else port / bw
            pe[m % n_pe] += step
    return out, pe


def _outer_index(mapping: Mapping, level: int, workload: Workload):
    """For every outer iteration of `level`, in order: each dim's tile origin."""
    loops = [(i, d, b) for i, lm in enumerate(mapping.levels) for d, b in lm.loops]
    outer = [(d, b) for i, d, b in loops if i < level]
    n = int(np.prod([b for _, b in outer], dtype=np.int64)) if outer else 1
    if n > MAX_OUTER:
        raise ValueError(f"mapping: at most {MAX_OUTER} outer iterations per level can be simulated; got {n}")
    origin = {d: np.zeros(n, np.int64) for d in workload.dims}
    idx = np.arange(n, dtype=np.int64)
    inner_extent = {d: 1 for d in workload.dims}
    for i, d, b in loops:
        if i >= level:
            inner_extent[d] *= b
    stride_out = 1
    scale = dict(inner_extent)
    digits = []
    for d, b in reversed(outer):
        digits.append((d, b, (idx // stride_out) % b))
        stride_out *= b
    for d, b, v in digits:                      # inner outer-loops first: finer strides
        origin[d] += v * scale[d]
        scale[d] *= b
    return origin, inner_extent


def simulate(arch: Arch, workload: Workload, mapping: Mapping, opt: SparseOpt, A, B) -> Result:
    """Counts, energy (pJ) and cycles of the design on actual operands A (M, K), B (N, K)."""
    check_design(arch, workload, mapping, opt)
    M, N, K = workload.dims["M"], workload.dims["N"], workload.dims["K"]
    if M * N * K > MAX_WALK:
        raise ValueError(f"workload must have at most {MAX_WALK} points to simulate; got {M * N * K}")
    A = np.asarray(check_array("A", A, shape=(M, K), dtype_kind="fiub"), dtype=np.float64)
    B = np.asarray(check_array("B", B, shape=(N, K), dtype_kind="fiub"), dtype=np.float64)
    X = {"A": A, "B": B}
    names = arch.names
    counts: dict = {}
    for t in ("A", "B", "Z"):
        ks = [i for i, lm in enumerate(mapping.levels) if t in lm.keep]
        spec = workload.tensor(t)
        for j in range(1, len(ks)):
            child, parent = names[ks[j]], names[ks[j - 1]]
            origin, ext = _outer_index(mapping, ks[j], workload)
            r0, c0 = origin[spec.ranks[0][0]], origin[spec.ranks[1][0]]
            r, c = ext[spec.ranks[0][0]], ext[spec.ranks[1][0]]
            change = np.ones(len(r0), bool)
            change[1:] = (r0[1:] != r0[:-1]) | (c0[1:] != c0[:-1])
            if t == "Z":
                n_ch = int(change.sum())
                distinct = len(set(zip(r0.tolist(), c0.tolist())))
                add(counts, (child, t, "read", "actual"), n_ch * r * c)
                add(counts, (parent, t, "write", "actual"), n_ch * r * c)
                add(counts, (parent, t, "read", "actual"), (n_ch - distinct) * r * c)
                add(counts, (child, t, "write", "actual"), (n_ch - distinct) * r * c)
                continue
            cache: dict = {}
            pay = meta = 0.0
            for a0, b0 in zip(r0[change].tolist(), c0[change].tolist()):
                if (a0, b0) not in cache:
                    enc = encode(X[t][a0:a0 + r, b0:b0 + c], opt.fmt(child, t), opt.rle_bits, opt.cp_bits)
                    cache[(a0, b0)] = (enc.payload_words, enc.meta_bits)
                pw, mb = cache[(a0, b0)]
                pay += pw
                meta += mb
            add(counts, (parent, t, "read", "actual"), pay)
            add(counts, (parent, t, "metadata_read", "actual"), meta)
            add(counts, (child, t, "write", "actual"), pay)
            add(counts, (child, t, "metadata_write", "actual"), meta)
    fa, fb = opt.fmt("PEBuf", "A")[1], opt.fmt("PEBuf", "B")[1]
    pa, ca, za, ma = _csr(A, fa, opt.rle_bits, opt.cp_bits)
    pb, cb, zb, mb = _csr(B, fb, opt.rle_bits, opt.cp_bits)
    pe = arch.level("PEBuf")
    out, per_pe = _walk(M, N, K, pa, ca, za, ma, pb, cb, zb, mb, _FEATURE[opt.feature],
                        fa == "B" and fb == "B", float(pe.word_bits), float(pe.bandwidth_bits), arch.n_pe)
    kinds = ("actual", "gated", "skipped")
    for i, kind in enumerate(kinds):
        add(counts, ("PEBuf", "A", "read", kind), out[i])
        add(counts, ("PEBuf", "B", "read", kind), out[3 + i])
        add(counts, ("MAC", "Z", "compute", kind), out[6 + i])
        add(counts, ("Reg", "Z", "update", kind), out[6 + i])
    add(counts, ("PEBuf", "A", "metadata_read", "actual"), N * ma.sum())
    add(counts, ("PEBuf", "B", "metadata_read", "actual"), M * mb.sum())
    return finish(arch, counts, float(per_pe.max()))
