"""Descriptions of a design: architecture, workload, mapping and sparse optimisations.

All are small frozen dataclasses that check their arguments. Units: capacities and
bandwidths in bits (per cycle), energies in pJ per action.

Energy figures (45 nm):

* MAC (8-bit), global buffer (SRAM, 64-bit wide) and PE buffer (SRAM, 8-bit data and
  28-bit metadata words) actions: the Accelergy 45 nm estimates that the Sparseloop
  artifact ships for its first experiment (repository
  Accelergy-Project/micro22-sparseloop-artifact, `fig1_format_comparison_setup/ert_art/ERT.yaml`):
  MAC 0.5608 pJ, gated MAC 0.03642 pJ; PE buffer read 0.42568 pJ, write 0.58331 pJ per
  word, metadata read 0.7383 pJ, write 1.42366 pJ per 28-bit metadata word; backing
  SRAM read 32.2859 pJ, write 26.065 pJ per 64-bit access, metadata read 14.0361 pJ,
  write 10.2583 pJ per 28-bit access; register 0.009 pJ.
* DRAM: M. Horowitz, "Computing's energy problem", ISSCC 2014: 1.3-2.6 nJ per 64-bit
  DRAM access at 45 nm; we take the low end, 1.3 nJ / 64 bit = 20.3 pJ per bit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping as AbcMapping

import numpy as np

from ..core.checks import check_bool, check_choice, check_int, check_number, check_type

MAX_DIM = 1 << 14          # largest loop bound / tensor extent we accept
MAX_POINTS = 1 << 32       # largest iteration space of a workload
FORMATS = ("U", "B", "CP", "RLE", "UOP")       # per-rank representation formats
INNER_FORMATS = ("U", "B", "CP", "RLE")         # UOP points into an inner rank: outer ranks only
FEATURES = ("none", "gating", "skipping")


def _text(name, value):
    check_type(name, value, str)
    if not value.isidentifier():
        raise ValueError(f"{name} must be an identifier-like name; got {value!r}")
    return value


# ----------------------------------------------------------------------------- architecture
@dataclass(frozen=True)
class Level:
    """One storage level. capacity_bits: None for unbounded (DRAM). bandwidth_bits: bits
    per cycle through its port (data and metadata share it). word_bits: data word width.
    read_pj / write_pj: energy per data word read / written; gated_pj: per gated word
    access; meta_read_pj / meta_write_pj: per metadata bit read / written."""
    name: str
    capacity_bits: float | None
    bandwidth_bits: float
    read_pj: float
    write_pj: float
    gated_pj: float = 0.0
    meta_read_pj: float = 0.0
    meta_write_pj: float = 0.0
    word_bits: int = 8

    def __post_init__(self):
        _text("name", self.name)
        if self.capacity_bits is not None:
            check_number("capacity_bits", self.capacity_bits, lo=1.0)
        check_number("bandwidth_bits", self.bandwidth_bits, lo=1.0, hi=1e6)
        for k in ("read_pj", "write_pj", "gated_pj", "meta_read_pj", "meta_write_pj"):
            check_number(k, getattr(self, k), lo=0.0, hi=1e6)
        check_int("word_bits", self.word_bits, lo=1, hi=64)


@dataclass(frozen=True)
class Arch:
    """Storage levels outer to inner (DRAM first), then a MAC array of n_pe PEs with one
    MAC each. mac_pj: energy of an effectual MAC; mac_gated_pj: of a gated one."""
    levels: tuple
    mac_pj: float = 0.5608
    mac_gated_pj: float = 0.03642
    n_pe: int = 1

    def __post_init__(self):
        check_type("levels", self.levels, tuple)
        if not 2 <= len(self.levels) <= 6:
            raise ValueError(f"levels must hold 2..6 Level objects; got {len(self.levels)}")
        for lv in self.levels:
            check_type("levels", lv, Level)
        names = [lv.name for lv in self.levels]
        if len(set(names)) != len(names):
            raise ValueError(f"levels must have distinct names; got {names}")
        check_number("mac_pj", self.mac_pj, lo=0.0, hi=1e6)
        check_number("mac_gated_pj", self.mac_gated_pj, lo=0.0, hi=1e6)
        check_int("n_pe", self.n_pe, lo=1, hi=1024)

    @property
    def names(self) -> tuple:
        return tuple(lv.name for lv in self.levels)

    def level(self, name: str) -> Level:
        check_choice("name", name, self.names)
        return self.levels[self.names.index(name)]


def default_arch(*, n_pe: int = 1, pe_bandwidth_bits: float = 16.0) -> Arch:
    """DRAM -> global buffer (128 KiB SRAM) -> PE buffer (512 B data + metadata) -> register,
    and the MAC. Energies: see the module docstring (45 nm)."""
    n_pe = check_int("n_pe", n_pe, lo=1, hi=1024)
    pe_bandwidth_bits = check_number("pe_bandwidth_bits", pe_bandwidth_bits, lo=1.0, hi=1e4)
    dram_bit = 1300.0 / 64
    glb_word = 32.2859 / 8, 26.065 / 8     # a 64-bit access serves 8 one-byte words
    return Arch(levels=(
        Level("DRAM", None, 64.0, read_pj=8 * dram_bit, write_pj=8 * dram_bit, gated_pj=0.0,
              meta_read_pj=dram_bit, meta_write_pj=dram_bit),
        Level("GLB", 128 * 1024 * 8.0, 64.0, read_pj=glb_word[0], write_pj=glb_word[1], gated_pj=0.00552 / 8,
              meta_read_pj=14.0361 / 28, meta_write_pj=10.2583 / 28),
        Level("PEBuf", 2 * 512 * 8.0, pe_bandwidth_bits, read_pj=0.42568, write_pj=0.58331, gated_pj=1e-5,
              meta_read_pj=0.7383 / 28, meta_write_pj=1.42366 / 28),
        Level("Reg", 8.0 * 4, 64.0, read_pj=0.009, write_pj=0.009, gated_pj=0.0),
    ), n_pe=n_pe)


# ----------------------------------------------------------------------------- workload
@dataclass(frozen=True)
class TensorSpec:
    """A tensor: its ranks, each a tuple of loop dimensions whose indices add up to the
    rank's coordinate (('P', 'R') is a sliding window of a convolution)."""
    name: str
    ranks: tuple
    output: bool = False

    def __post_init__(self):
        _text("name", self.name)
        check_type("ranks", self.ranks, tuple)
        if not 1 <= len(self.ranks) <= 6:
            raise ValueError(f"ranks must hold 1..6 ranks; got {len(self.ranks)}")
        for r in self.ranks:
            check_type("ranks", r, tuple)
            if not r or not all(isinstance(d, str) for d in r):
                raise ValueError(f"ranks must be non-empty tuples of dimension names; got {r!r}")
        check_bool("output", self.output)

    @property
    def dims(self) -> frozenset:
        return frozenset(d for r in self.ranks for d in r)


@dataclass(frozen=True)
class Workload:
    """A loop nest: dims (name -> bound) and the tensors it touches; one output."""
    name: str
    dims: AbcMapping
    tensors: tuple

    def __post_init__(self):
        _text("name", self.name)
        check_type("dims", self.dims, AbcMapping)
        if not self.dims:
            raise ValueError("dims must name at least one dimension")
        total = 1
        for d, b in self.dims.items():
            _text("dims", d)
            total *= check_int(f"dims[{d!r}]", b, lo=1, hi=MAX_DIM)
        if total > MAX_POINTS:
            raise ValueError(f"dims: the iteration space must hold at most {MAX_POINTS} points; got {total}")
        object.__setattr__(self, "dims", dict(self.dims))
        check_type("tensors", self.tensors, tuple)
        for t in self.tensors:
            check_type("tensors", t, TensorSpec)
            missing = t.dims - set(self.dims)
            if missing:
                raise ValueError(f"tensors: {t.name} uses unknown dims {sorted(missing)}")
        if sum(t.output for t in self.tensors) != 1:
            raise ValueError("tensors must hold exactly one output tensor")

    def tensor(self, name: str) -> TensorSpec:
        names = [t.name for t in self.tensors]
        check_choice("name", name, names)
        return self.tensors[names.index(name)]

    def shape(self, name: str) -> tuple:
        """Full extent of each rank of tensor `name`."""
        t = self.tensor(name)
        return tuple(sum(self.dims[d] for d in r) - (len(r) - 1) for r in t.ranks)

    @property
    def macs(self) -> int:
        return int(np.prod([self.dims[d] for d in self.dims], dtype=np.int64))


def matmul(M: int, N: int, K: int) -> Workload:
    """Z[m, n] = sum_k A[m, k] * B[n, k] (both operands stored with K innermost, as in
    the Sparseloop artifact's SpMSpM)."""
    M, N, K = (check_int(n, v, lo=1, hi=MAX_DIM) for n, v in (("M", M), ("N", N), ("K", K)))
    return Workload("matmul", {"M": M, "N": N, "K": K},
                    (TensorSpec("A", (("M",), ("K",))), TensorSpec("B", (("N",), ("K",))),
                     TensorSpec("Z", (("M",), ("N",)), output=True)))


def conv(C: int, M: int, P: int, Q: int, R: int, S: int) -> Workload:
    """A stride-1 convolution layer: O[m, p, q] = sum_{c, r, s} W[m, c, r, s] * I[c, p + r, q + s]."""
    vals = dict(C=C, M=M, P=P, Q=Q, R=R, S=S)
    vals = {k: check_int(k, v, lo=1, hi=MAX_DIM) for k, v in vals.items()}
    return Workload("conv", vals, (
        TensorSpec("W", (("M",), ("C",), ("R",), ("S",))),
        TensorSpec("I", (("C",), ("P", "R"), ("Q", "S"))),
        TensorSpec("O", (("M",), ("P",), ("Q",)), output=True)))


# ----------------------------------------------------------------------------- mapping
@dataclass(frozen=True)
class LevelMapping:
    """The temporal loops executed at one storage level (outer to inner, (dim, bound)
    pairs) and the tensors the level keeps (the others bypass it)."""
    level: str
    loops: tuple
    keep: frozenset

    def __post_init__(self):
        _text("level", self.level)
        check_type("loops", self.loops, tuple)
        for lp in self.loops:
            if not (isinstance(lp, tuple) and len(lp) == 2 and isinstance(lp[0], str)):
                raise TypeError(f"loops must be (dim, bound) pairs; got {lp!r}")
            check_int("loops bound", lp[1], lo=1, hi=MAX_DIM)
        if not isinstance(self.keep, (frozenset, set, tuple)):
            raise TypeError(f"keep must be a set of tensor names; got {type(self.keep).__name__}")
        object.__setattr__(self, "keep", frozenset(self.keep))


@dataclass(frozen=True)
class Mapping:
    """One LevelMapping per storage level of the architecture, outer to inner."""
    levels: tuple

    def __post_init__(self):
        check_type("levels", self.levels, tuple)
        if not self.levels:
            raise ValueError("levels must hold at least one LevelMapping")
        for lm in self.levels:
            check_type("levels", lm, LevelMapping)

    def validate(self, arch: Arch, workload: Workload) -> "Mapping":
        """Raise ValueError unless the mapping fits the architecture and the workload:
        one entry per level, every dim's loop bounds multiplying to its size, the
        outermost level keeping every tensor."""
        check_type("arch", arch, Arch)
        check_type("workload", workload, Workload)
        if tuple(lm.level for lm in self.levels) != arch.names:
            raise ValueError(f"mapping levels must be {arch.names}; got {[lm.level for lm in self.levels]}")
        prod = {d: 1 for d in workload.dims}
        for lm in self.levels:
            for d, b in lm.loops:
                if d not in prod:
                    raise ValueError(f"mapping: unknown dim {d!r} at level {lm.level}")
                prod[d] *= b
            unknown = lm.keep - {t.name for t in workload.tensors}
            if unknown:
                raise ValueError(f"mapping: level {lm.level} keeps unknown tensors {sorted(unknown)}")
        bad = {d: (p, workload.dims[d]) for d, p in prod.items() if p != workload.dims[d]}
        if bad:
            raise ValueError(f"mapping: loop bounds must multiply to each dim's size; got {bad}")
        if self.levels[0].keep != {t.name for t in workload.tensors}:
            raise ValueError("mapping: the outermost level must keep every tensor")
        return self


GLB_ORDERS = ("NM", "MN")   # the global buffer's loops, outer to inner


def fig1_mapping(M: int, N: int, K: int, order: str = "NM") -> Mapping:
    """The artifact's first-experiment mapping on our four levels: the global buffer
    iterates N (outer) then M (order="NM", the artifact's; "MN" swaps the two loops); the
    PE buffer holds one row of A and one row of B (K values each); the register holds one
    output while K runs innermost. The operand indexed by the inner loop is refetched into
    the PE buffer for every output; the other stays in place across the inner loop."""
    M, N, K = (check_int(n, v, lo=1, hi=MAX_DIM) for n, v in (("M", M), ("N", N), ("K", K)))
    check_choice("order", order, GLB_ORDERS)
    loops = (("N", N), ("M", M)) if order == "NM" else (("M", M), ("N", N))
    return Mapping((
        LevelMapping("DRAM", (), frozenset("ABZ")),
        LevelMapping("GLB", loops, frozenset("ABZ")),
        LevelMapping("PEBuf", (), frozenset("AB")),
        LevelMapping("Reg", (("K", K),), frozenset("Z")),
    ))


# ----------------------------------------------------------------------------- sparse optimisations
@dataclass(frozen=True)
class SparseOpt:
    """Representation formats and acceleration features of a matmul design.

    formats: {(level, tensor): (outer-rank format, inner-rank format)} for A and B at each
    level that keeps them (missing entries are uncompressed, ("U", "U")).
    feature: the PE-level action optimisation, "none", "gating" (A and B reads gated on
    each other, the MAC and the output update gated on both) or "skipping" (the same
    actions skipped: no cycle spent; needs compressed inner formats to find the
    intersection).
    rle_bits: run-length field width of RLE (runs longer than 2**rle_bits - 1 zeros are
    padded with explicit zeros). cp_bits: CP coordinate width (None: ceil(log2(extent));
    the artifact's first experiment uses 14)."""
    formats: AbcMapping = field(default_factory=dict)
    feature: str = "none"
    rle_bits: int = 4
    cp_bits: int | None = None

    def __post_init__(self):
        check_type("formats", self.formats, AbcMapping)
        for key, f in self.formats.items():
            if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, str) for k in key)):
                raise TypeError(f"formats keys must be (level, tensor) pairs; got {key!r}")
            if not (isinstance(f, tuple) and len(f) == 2):
                raise TypeError(f"formats values must be (outer, inner) format pairs; got {f!r}")
            check_choice("formats outer rank", f[0], FORMATS)
            check_choice("formats inner rank", f[1], INNER_FORMATS)
        object.__setattr__(self, "formats", dict(self.formats))
        check_choice("feature", self.feature, FEATURES)
        check_int("rle_bits", self.rle_bits, lo=1, hi=16)
        if self.cp_bits is not None:
            check_int("cp_bits", self.cp_bits, lo=1, hi=32)
        if self.feature == "skipping":
            for t in "AB":
                if self.fmt("PEBuf", t)[1] == "U":
                    raise ValueError("feature 'skipping' needs a compressed inner format (B, CP or RLE) "
                                     f"for {t} at PEBuf to find the intersection")

    def fmt(self, level: str, tensor: str) -> tuple:
        return self.formats.get((level, tensor), ("U", "U"))


def design(inner: str, feature: str, *, rle_bits: int = 4, cp_bits: int | None = None) -> SparseOpt:
    """A matmul design with inner-rank format `inner` for A and B at every level (outer
    ranks uncompressed offset pairs at DRAM and GLB, as in the artifact) and PE `feature`.
    design("B", "gating") and design("CP", "skipping") are the artifact's two designs."""
    check_choice("inner", inner, INNER_FORMATS)
    check_choice("feature", feature, FEATURES)
    rle_bits = check_int("rle_bits", rle_bits, lo=1, hi=16)
    outer = "U" if inner == "U" else "UOP"
    f = {}
    for lv in ("DRAM", "GLB"):
        for t in "AB":
            f[(lv, t)] = (outer, inner)
    for t in "AB":
        f[("PEBuf", t)] = ("U", inner)
    return SparseOpt(f, feature, rle_bits, cp_bits)
