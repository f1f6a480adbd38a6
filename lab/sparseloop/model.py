"""Steps 2 and 3, the analytical model of a sparse matmul design: expected action counts
from the density models (split into actual, gated and skipped), then energy from the
per-action energies and cycles under the bandwidth and throughput limits.

Our reading of the PE's micro-architecture (the paper leaves it to the designer):

* The PE walks one output Z[m, n] at a time over K (the register level's loop), with
  the fibers A[m, :] and B[n, :] in its buffer. Every walk reads both fibers' metadata.
* No feature: all K positions are processed; stored entries are read, every MAC and
  output update is performed (on zeros too). One MAC slot per position.
* Gating: A's read is gated where B is zero and B's where A is zero; the MAC and the
  output update are gated unless both are nonzero. Gated actions keep their slot
  (time) and their port bandwidth but cost (almost) no energy.
* Skipping: only the intersection is processed: a two-finger merge over the stored
  coordinates (one slot per merge step; for two bitmasks, an AND that takes one slot
  per match plus one per walk). Skipped reads and MACs cost neither time nor energy.
* A walk takes max(slots, port bits / PE bandwidth) cycles; the n_pe PEs share the
  outputs (m mod n_pe); each outer level moves its traffic at its bandwidth, overlapped
  (double-buffered); the design's cycles are the largest of these.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..core.checks import check_choice, check_int, check_number, check_table, check_type
from .dense import dense_counts, keepers, tile_shape
from .density import DensityModel
from .formats import check_pmf, coord_bits, expected_bits, expected_pads
from .spec import FEATURES, INNER_FORMATS, Arch, Level, Mapping, SparseOpt, Workload

ACTIONS = ("read", "write", "metadata_read", "metadata_write", "update", "compute")
KINDS = ("actual", "gated", "skipped")


@dataclass(frozen=True)
class Result:
    """cycles; energy_pj; table: one row per (level, tensor, action, kind) with count
    (words, metadata bits or MACs) and energy_pj; cycles_by_level: the time each level
    (and the PE array, "PE") needs."""
    cycles: float
    energy_pj: float
    table: pd.DataFrame
    cycles_by_level: dict

    def __post_init__(self):
        check_number("cycles", self.cycles, lo=0.0)
        check_number("energy_pj", self.energy_pj, lo=0.0)
        check_table("table", self.table, ("level", "tensor", "action", "kind", "count", "energy_pj"),
                    what="an energy_table")
        check_type("cycles_by_level", self.cycles_by_level, dict)

    def count(self, level: str, tensor: str, action: str, kind: str = "actual") -> float:
        t = self.table
        sel = (t.level == level) & (t.tensor == tensor) & (t.action == action) & (t.kind == kind)
        return float(t.loc[sel, "count"].sum())

    def energy_by(self, *cols: str) -> pd.Series:
        return self.table.groupby(list(cols))["energy_pj"].sum()


def check_design(arch: Arch, workload: Workload, mapping: Mapping, opt: SparseOpt) -> None:
    """The template the sparse model and the simulator share: a matmul; PEBuf keeps A and
    B, Reg keeps only Z and runs the whole K loop."""
    check_type("arch", arch, Arch)
    check_type("workload", workload, Workload)
    check_type("mapping", mapping, Mapping)
    check_type("opt", opt, SparseOpt)
    mapping.validate(arch, workload)
    if workload.name != "matmul":
        raise ValueError(f"workload must be a matmul for the sparse model; got {workload.name!r}")
    if arch.names[-2:] != ("PEBuf", "Reg"):
        raise ValueError(f"arch must end with levels PEBuf, Reg; got {arch.names}")
    pe, reg = mapping.levels[-2], mapping.levels[-1]
    if not {"A", "B"} <= pe.keep or "Z" in pe.keep:
        raise ValueError("mapping: PEBuf must keep A and B and bypass Z")
    if reg.keep != frozenset("Z") or reg.loops != (("K", workload.dims["K"]),):
        raise ValueError("mapping: Reg must keep only Z and run the whole K loop")


def energy_table(arch: Arch, counts: dict) -> pd.DataFrame:
    """Energy of every counted action (counts: {(level, tensor, action, kind): count})."""
    rows = []
    for (lv, t, a, k), n in counts.items():
        if a == "compute":
            e = n * (arch.mac_pj if k == "actual" else arch.mac_gated_pj if k == "gated" else 0.0)
        else:
            L = arch.level(lv)
            if k == "skipped":
                e = 0.0
            elif k == "gated":
                e = n * L.gated_pj
            else:
                e = n * {"read": L.read_pj, "write": L.write_pj, "metadata_read": L.meta_read_pj,
                         "metadata_write": L.meta_write_pj, "update": L.read_pj + L.write_pj}[a]
        rows.append(dict(level=lv, tensor=t, action=a, kind=k, count=float(n), energy_pj=float(e)))
    return pd.DataFrame(rows, columns=["level", "tensor", "action", "kind", "count", "energy_pj"])


def level_cycles(arch: Arch, counts: dict) -> dict:
    """Cycles each storage level above the PE needs to move its words and metadata bits."""
    out = {}
    for L in arch.levels[:-2]:
        bits = sum(n * (L.word_bits if a in ("read", "write") else 1.0)
                   for (lv, _t, a, k), n in counts.items()
                   if lv == L.name and k != "skipped" and a in ("read", "write", "metadata_read", "metadata_write"))
        out[L.name] = bits / L.bandwidth_bits
    return out


def finish(arch: Arch, counts: dict, pe_cycles: float) -> Result:
    table = energy_table(arch, counts)
    cyc = level_cycles(arch, counts)
    cyc["PE"] = float(pe_cycles)
    return Result(float(max(cyc.values())), float(table.energy_pj.sum()), table, cyc)


def add(counts: dict, key: tuple, n: float) -> None:
    counts[key] = counts.get(key, 0.0) + float(n)


def _fiber_pmf(dens: DensityModel, shape: tuple, length: int):
    return dens.tile_pmf(shape, (1, length))


def evaluate(arch: Arch, workload: Workload, mapping: Mapping, opt: SparseOpt,
             densities: dict) -> Result:
    """The analytical model: expected counts, energy (pJ) and cycles of the design with
    operands A and B drawn from `densities` ({"A": DensityModel, "B": DensityModel})."""
    check_design(arch, workload, mapping, opt)
    check_type("densities", densities, dict)
    for t in "AB":
        if t not in densities:
            raise ValueError(f"densities must give a DensityModel for {t}")
        check_type(f"densities[{t!r}]", densities[t], DensityModel)
    M, N, K = workload.dims["M"], workload.dims["N"], workload.dims["K"]
    dc = dense_counts(arch, workload, mapping)
    counts: dict = {}
    names = arch.names
    # -- tile transfers between storage levels (A and B compressed, Z dense)
    for t in "AB":
        shape = workload.shape(t)
        ks = keepers(mapping, t)
        for j in range(1, len(ks)):
            child, parent = names[ks[j]], names[ks[j - 1]]
            r, c = tile_shape(workload, mapping, ks[j], t)
            k, p = _fiber_pmf(densities[t], shape, c)
            eb = expected_bits(opt.fmt(child, t), r, c, k, p, opt.rle_bits, opt.cp_bits)
            n_fill = dc[(child, t)]["changes"]
            add(counts, (parent, t, "read", "actual"), n_fill * eb["payload"])
            add(counts, (parent, t, "metadata_read", "actual"), n_fill * eb["meta"])
            add(counts, (child, t, "write", "actual"), n_fill * eb["payload"])
            add(counts, (child, t, "metadata_write", "actual"), n_fill * eb["meta"])
    ks = keepers(mapping, "Z")
    for j in range(1, len(ks)):
        child, parent = names[ks[j]], names[ks[j - 1]]
        rec = dc[(child, "Z")]
        add(counts, (child, "Z", "read", "actual"), rec["drains"])
        add(counts, (parent, "Z", "write", "actual"), rec["drains"])
        add(counts, (parent, "Z", "read", "actual"), rec["fills"])
        add(counts, (child, "Z", "write", "actual"), rec["fills"])
    # -- the PE walks: one per output. Every quantity is a function of the fibers'
    # occupancies (a, b); expectations over their distributions (a grid of pA x pB)
    fa, fb = opt.fmt("PEBuf", "A")[1], opt.fmt("PEBuf", "B")[1]
    w = walk_expectations(fa, fb, opt.feature, K,
                          _fiber_pmf(densities["A"], workload.shape("A"), K),
                          _fiber_pmf(densities["B"], workload.shape("B"), K),
                          arch.level("PEBuf"), opt.rle_bits, opt.cp_bits)
    walks = M * N
    for t in "AB":
        for kind in KINDS:
            add(counts, ("PEBuf", t, "read", kind), walks * w[f"{t}_{kind}"])
        add(counts, ("PEBuf", t, "metadata_read", "actual"), walks * w[f"{t}_meta"])
    for kind in KINDS:
        add(counts, ("MAC", "Z", "compute", kind), walks * w[f"mac_{kind}"])
        add(counts, ("Reg", "Z", "update", kind), walks * w[f"mac_{kind}"])
    pe_cycles = walks * w["cycles"] / arch.n_pe
    return finish(arch, counts, pe_cycles)


def _fiber_terms(fmt: str, K: int, k: np.ndarray, rle_bits: int, cp_bits) -> tuple:
    """(stored entries, padding entries, metadata bits) of a fiber holding k nonzeros."""
    k = np.asarray(k, dtype=float)
    if fmt == "U":
        return np.full_like(k, K), np.zeros_like(k), np.zeros_like(k)
    if fmt == "B":
        return k, np.zeros_like(k), np.full_like(k, K)
    if fmt == "CP":
        return k, np.zeros_like(k), (cp_bits or coord_bits(K)) * k
    pads = expected_pads(K, k, rle_bits)
    return k + pads, pads, rle_bits * (k + pads)


def _support(k, p, eps: float = 1e-10):
    k, p = np.asarray(k, float), np.asarray(p, float)
    keep = p > eps
    return k[keep], p[keep] / p[keep].sum()


def _pos_part(mu, sd):
    """E[max(X, 0)] for X ~ Normal(mu, sd**2) (sd = 0: max(mu, 0))."""
    mu, sd = np.broadcast_arrays(np.asarray(mu, float), np.asarray(sd, float))
    safe = np.where(sd > 0, sd, 1.0)
    z = mu / safe
    val = mu * ndtr(z) + safe * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
    return np.where(sd > 0, val, np.maximum(mu, 0.0))


def walk_expectations(fa: str, fb: str, feature: str, K: int, pmf_a: tuple, pmf_b: tuple, pe,
                      rle_bits: int = 4, cp_bits: int | None = None) -> dict:
    """Expected actions and cycles of one PE walk (one output over K) when A's fiber holds
    a nonzeros with probability pmf_a and B's b with pmf_b (independent, uniformly placed):
    reads of A and B (actual / gated / skipped), metadata bits, MACs, and cycles
    E[max(slots, port bits / bandwidth)] over the (a, b) grid (and, when skipping, over
    the intersection c given a and b, hypergeometric, in its normal approximation).
    pmf_a, pmf_b: (values, probabilities) pairs; pe: the PE buffer's Level."""
    check_choice("fa", fa, INNER_FORMATS)
    check_choice("fb", fb, INNER_FORMATS)
    check_choice("feature", feature, FEATURES)
    if feature == "skipping" and "U" in (fa, fb):
        raise ValueError("feature 'skipping' needs compressed formats fa and fb (B, CP or RLE)")
    K = check_int("K", K, lo=1, hi=1 << 16)
    for name, pm in (("pmf_a", pmf_a), ("pmf_b", pmf_b)):
        if not (isinstance(pm, tuple) and len(pm) == 2):
            raise TypeError(f"{name} must be a (values, probabilities) pair")
    pmf_a = check_pmf("pmf_a values", "pmf_a probabilities", *pmf_a, K)
    pmf_b = check_pmf("pmf_b values", "pmf_b probabilities", *pmf_b, K)
    check_type("pe", pe, Level)
    rle_bits = check_int("rle_bits", rle_bits, lo=1, hi=16)
    if cp_bits is not None:
        cp_bits = check_int("cp_bits", cp_bits, lo=1, hi=32)
    (ka, pa), (kb, pb) = (_support(*pmf_a), _support(*pmf_b))
    ta, tb = _fiber_terms(fa, K, ka, rle_bits, cp_bits), _fiber_terms(fb, K, kb, rle_bits, cp_bits)
    # expected counts: linear in the occupancies, so means suffice (A and B independent)
    ea, eb = float(ka @ pa), float(kb @ pb)
    esa, epa, ema = (float(x @ pa) for x in ta)
    esb, epb, emb = (float(x @ pb) for x in tb)
    match = ea * eb / K
    match_st = match + epa * esb / K + epb * esa / K
    if feature == "none":
        r = {"A": (esa, 0.0, 0.0), "B": (esb, 0.0, 0.0)}
        mac = (float(K), 0.0, 0.0)
    elif feature == "gating":
        r = {"A": (esa * eb / K, esa - esa * eb / K, 0.0), "B": (esb * ea / K, esb - esb * ea / K, 0.0)}
        mac = (match, K - match, 0.0)
    else:
        r = {"A": (match_st, 0.0, esa - match_st), "B": (match_st, 0.0, esb - match_st)}
        mac = (match, 0.0, K - match)
    out = {"A_meta": ema, "B_meta": emb}
    for t in "AB":
        for kind, x in zip(KINDS, r[t]):
            out[f"{t}_{kind}"] = x
    for kind, x in zip(KINDS, mac):
        out[f"mac_{kind}"] = x
    # expected cycles E[max(slots, port bits / bandwidth)]: over the (a, b) grid and, when
    # skipping (where both depend on the intersection c), over c given a and b
    sa, pda, ma = (x[:, None] for x in ta)
    sb, pdb, mb = (x[None, :] for x in tb)
    a, b = ka[:, None], kb[None, :]
    w = pa[:, None] * pb[None, :]
    bw, wb = pe.bandwidth_bits, pe.word_bits
    if feature == "skipping":
        # step = max(slots, port / bw) with both linear in the intersection c:
        # E[step] = E[port / bw] + E[max(D, 0)], D = slots - port / bw = alpha + gamma c,
        # c given (a, b) hypergeometric, taken as normal (mean a b / K, its variance)
        pads = pda * sb / K + pdb * sa / K
        mc = a * b / K
        vc = a * b * (K - a) * (K - b) / (K * K * max(K - 1, 1))
        if fa == "B" and fb == "B":
            alpha, gamma = 1 - (ma + mb) / bw + 0 * pads, 1 - 2 * wb / bw
        else:
            alpha = sa + sb - pads - (2 * pads * wb + ma + mb) / bw
            gamma = -(1 + 2 * wb / bw)
        port = (2 * (mc + pads) * wb + ma + mb) / bw
        step = port + _pos_part(alpha + gamma * mc, abs(gamma) * np.sqrt(vc))
    else:
        port = ((sa + sb) * wb + ma + mb) / bw
        step = np.maximum(float(K), port)
    out["cycles"] = float((step * w).sum())
    return out
