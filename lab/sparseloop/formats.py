"""Per-rank representation formats and their metadata, for a 2-D tile (rows = the outer
rank, fibers along the inner rank).

Formats (Sparseloop's taxonomy):
  U    uncompressed: every coordinate stored, no metadata.
  B    bitmask: one bit per coordinate; only nonzeros stored.
  CP   coordinate-payload: a ceil(log2(length))-bit coordinate per stored element.
  RLE  run-length: an `rle_bits` run of zeros before each stored element; a run longer
       than 2**rle_bits - 1 stores an explicit zero (padding).
  UOP  uncompressed offset pairs (outer rank only): rows + 1 offsets into the inner
       rank's entries, each ceil(log2(rows * length + 1)) bits (CSR is (UOP, CP)).
Under a compressed outer rank (B, CP, RLE) only non-empty rows carry an inner fiber;
under U or UOP every row does (an empty CP or RLE fiber costs nothing).

Two independent paths: `encode` builds the explicit encoding of an actual tile
(the simulator's path); `expected_bits` computes the expected sizes from a density
model's fiber-occupancy distribution (the analytical model's path).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.special import gammaln

from ..core.checks import check_array, check_choice, check_int, check_type
from .spec import FORMATS, INNER_FORMATS


def coord_bits(length: int) -> int:
    """Bits of one CP coordinate over `length` positions (at least 1)."""
    length = check_int("length", length, lo=1, hi=1 << 30)
    return max(1, math.ceil(math.log2(length)))


def offset_bits(rows: int, length: int) -> int:
    """Bits of one UOP offset into at most rows * length entries."""
    rows, length = check_int("rows", rows, lo=1, hi=1 << 20), check_int("length", length, lo=1, hi=1 << 20)
    return max(1, math.ceil(math.log2(rows * length + 1)))


@dataclass(frozen=True)
class Encoding:
    """An explicit encoding: meta_bits and payload_words (stored entries, padding zeros
    included), and the arrays themselves (`parts`) for inspection."""
    meta_bits: int
    payload_words: int
    parts: dict


def _encode_fiber(x: np.ndarray, fmt: str, rle_bits: int, cp_bits: int | None = None) -> tuple[list, list, int]:
    """(metadata entries, payload, metadata bits) of one fiber."""
    c = len(x)
    nz = np.flatnonzero(x)
    if fmt == "U":
        return [], list(x), 0
    if fmt == "B":
        bits = (x != 0).astype(int).tolist()
        return bits, list(x[nz]), c
    if fmt == "CP":
        return nz.tolist(), list(x[nz]), (cp_bits or coord_bits(c)) * len(nz)
    if fmt == "RLE":
        cap = 2 ** rle_bits - 1
        runs, payload, prev = [], [], -1
        for j in nz:
            gap = int(j - prev - 1)
            while gap > cap:                       # pad: cap zeros then an explicit zero
                runs.append(cap)
                payload.append(0.0)
                gap -= cap + 1
            runs.append(gap)
            payload.append(float(x[j]))
            prev = j
        return runs, payload, rle_bits * len(runs)
    raise ValueError(f"fmt must be one of {INNER_FORMATS}; got {fmt!r}")


def encode(tile, formats: tuple, rle_bits: int = 4, cp_bits: int | None = None) -> Encoding:
    """The explicit encoding of a 2-D tile (rows, length) in (outer, inner) formats.
    cp_bits: CP coordinate width (None: ceil(log2(extent)))."""
    tile = check_array("tile", tile, ndim=2)
    check_type("formats", formats, tuple)
    if len(formats) != 2:
        raise ValueError(f"formats must be an (outer, inner) pair; got {formats!r}")
    outer, inner = formats
    check_choice("formats outer rank", outer, FORMATS)
    check_choice("formats inner rank", inner, INNER_FORMATS)
    rle_bits = check_int("rle_bits", rle_bits, lo=1, hi=16)
    if cp_bits is not None:
        cp_bits = check_int("cp_bits", cp_bits, lo=1, hi=32)
    r, c = tile.shape
    nonempty = (tile != 0).any(axis=1)
    rows = np.arange(r) if outer in ("U", "UOP") else np.flatnonzero(nonempty)
    meta, payload, inner_parts, counts = 0, 0, [], []
    for i in rows:
        m, p, b = _encode_fiber(tile[i], inner, rle_bits, cp_bits)
        inner_parts.append(m)
        meta += b
        payload += len(p)
        counts.append(len(p))
    parts = {"inner": inner_parts}
    if outer == "B":
        parts["outer"] = nonempty.astype(int).tolist()
        meta += r
    elif outer == "CP":
        parts["outer"] = np.flatnonzero(nonempty).tolist()
        meta += (cp_bits or coord_bits(r)) * len(parts["outer"])
    elif outer == "RLE":
        m, _, b = _encode_fiber(nonempty.astype(float), "RLE", rle_bits)
        parts["outer"] = m
        meta += b                                  # padding rows carry no inner fiber
    elif outer == "UOP":
        parts["outer"] = np.concatenate([[0], np.cumsum(counts)]).astype(int).tolist()
        meta += offset_bits(r, c) * (r + 1)
    return Encoding(int(meta), int(payload), parts)


# ----------------------------------------------------------------------------- the model's path
def check_pmf(kname: str, pname: str, k, p, length: int) -> tuple[np.ndarray, np.ndarray]:
    """An occupancy distribution: values k (1-D, in [0, length]) and probabilities p (same
    length, >= 0, summing to 1 within 1e-6)."""
    k = np.asarray(check_array(kname, k, ndim=1, lo=0, hi=length), dtype=float)
    p = np.asarray(check_array(pname, p, ndim=1, shape=(len(k),), lo=0.0), dtype=float)
    if abs(p.sum() - 1.0) > 1e-6:
        raise ValueError(f"{pname} must sum to 1; got {p.sum():g}")
    return k, p


def _log_comb(n, k):
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def expected_pads(length: int, nnz: np.ndarray, rle_bits: int) -> np.ndarray:
    """Expected RLE padding entries of a fiber of `length` holding `nnz` nonzeros placed
    uniformly at random: nnz * sum_j P(gap >= j * 2**rle_bits), with
    P(gap >= g) = C(length - g, nnz) / C(length, nnz) for the gap before a nonzero."""
    nnz = np.asarray(nnz, dtype=float)
    step = 2 ** rle_bits
    out = np.zeros_like(nnz)
    for j in range(1, length // step + 1):
        g = j * step
        ok = (length - g) >= nnz
        lp = np.where(ok, _log_comb(length - g, np.minimum(nnz, length - g)) - _log_comb(length, nnz), -np.inf)
        out += np.where(nnz > 0, np.exp(lp), 0.0)
    return nnz * out


def fiber_stats(fmt: str, length: int, k: np.ndarray, p: np.ndarray, rle_bits: int,
                cp_bits: int | None = None) -> dict:
    """Expected metadata bits and payload words of one fiber of `length` whose occupancy is
    k with probability p, for inner format `fmt`; also the chance it is empty."""
    check_choice("fmt", fmt, INNER_FORMATS)
    k = np.asarray(k, dtype=float)
    p = np.asarray(p, dtype=float)
    ea = float(np.dot(k, p))
    p0 = float(p[k == 0].sum())
    if fmt == "U":
        meta, pay = 0.0, float(length)
    elif fmt == "B":
        meta, pay = float(length), ea
    elif fmt == "CP":
        meta, pay = (cp_bits or coord_bits(length)) * ea, ea
    else:
        pads = float(np.dot(expected_pads(length, k, rle_bits), p))
        meta, pay = rle_bits * (ea + pads), ea + pads
    return dict(meta=meta, payload=pay, nnz=ea, p_empty=p0)


def expected_bits(formats: tuple, rows: int, length: int, k: np.ndarray, p: np.ndarray,
                  rle_bits: int = 4, cp_bits: int | None = None) -> dict:
    """Expected metadata bits and payload words of a (rows, length) tile in (outer, inner)
    formats, each row's occupancy independently k with probability p."""
    check_type("formats", formats, tuple)
    if len(formats) != 2:
        raise ValueError(f"formats must be an (outer, inner) pair; got {formats!r}")
    outer, inner = formats
    check_choice("formats outer rank", outer, FORMATS)
    rows, length = check_int("rows", rows, lo=1, hi=1 << 20), check_int("length", length, lo=1, hi=1 << 20)
    k, p = check_pmf("k", "p", k, p, length)
    rle_bits = check_int("rle_bits", rle_bits, lo=1, hi=16)
    if cp_bits is not None:
        cp_bits = check_int("cp_bits", cp_bits, lo=1, hi=32)
    f = fiber_stats(inner, length, k, p, rle_bits, cp_bits)
    ne = rows * (1 - f["p_empty"])
    every = outer in ("U", "UOP")
    if inner in ("U", "B"):
        n_fib = rows if every else ne
        meta = f["meta"] * n_fib
        pay = (f["payload"] if inner == "U" else f["nnz"]) * (n_fib if inner == "U" else rows)
    else:
        meta, pay = f["meta"] * rows, f["payload"] * rows
    if outer == "B":
        meta += rows
    elif outer == "CP":
        meta += (cp_bits or coord_bits(rows)) * ne
    elif outer == "RLE":
        kk = np.arange(rows + 1)
        pk = stats.binom(rows, 1 - f["p_empty"]).pmf(kk)
        pads = float(np.dot(expected_pads(rows, kk, rle_bits), pk))
        meta += rle_bits * (ne + pads)
    elif outer == "UOP":
        meta += offset_bits(rows, length) * (rows + 1)
    return dict(meta=float(meta), payload=float(pay))
