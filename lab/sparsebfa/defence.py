"""A defence with a measured check: a checksum per block of coordinates.

Each index field (CSR column indices, COO row and column indices, relative codes) is cut
into blocks of `block` consecutive entries, and each block gets a check word kept apart
from the weights (in protected memory, or re-checked when a block is fetched). A block
whose check word no longer matches is flagged. Two codes:

* ``parity``: one even-parity bit per block (the XOR of its bits). A single flip in a
  block is caught; two flips in the same block cancel and escape;
* ``crc8``: an 8-bit CRC per block (polynomial x^8 + x^2 + x + 1, 0x07, initial value 0,
  bits most significant first, no reflection; CRC-8/SMBUS, check value 0xF4 for the
  ASCII bytes "123456789"). It catches every error pattern of up to 3 bits in blocks of
  up to 119 bits, every burst up to 8 bits long, and all but about 1 in 256 of the rest.
"""
from __future__ import annotations

import numpy as np

from ..core.checks import check_array, check_choice, check_int, check_type
from .formats import Store, check_bits

MAX_BLOCK = 4096
CODES = ("parity", "crc8")
CODE_BITS = {"parity": 1, "crc8": 8}
CRC8_POLY = 0x07


def crc8(bits) -> int:
    """CRC-8 (poly 0x07, init 0, MSB first) of a bit sequence (uint8 0/1, any length ≥ 0)."""
    bits = check_array("bits", bits, ndim=1, dtype_kind="ub", min_size=0, lo=0, hi=1)
    reg = 0
    for b in bits.tolist():
        fb = ((reg >> 7) & 1) ^ int(b)
        reg = (reg << 1) & 0xFF
        if fb:
            reg ^= CRC8_POLY
    return reg


def _blocks(store: Store, block: int):
    for f in store.fields:
        if f.kind != "index":
            continue
        for start in range(0, f.count, block):
            stop = min(f.count, start + block)
            yield f.offset + start * f.width, f.offset + stop * f.width


def check_words(store: Store, bits: np.ndarray | None = None, *, block: int = 8, code: str = "parity") -> np.ndarray:
    """One check word per block of `block` (1..4096) index entries (int64): the parity bit
    or the CRC-8 of the block's bits."""
    bits = check_bits(store, bits)
    block = check_int("block", block, lo=1, hi=MAX_BLOCK)
    code = check_choice("code", code, CODES)
    if code == "parity":
        return np.asarray([int(bits[a:b].sum()) & 1 for a, b in _blocks(store, block)], dtype=np.int64)
    return np.asarray([crc8(bits[a:b]) for a, b in _blocks(store, block)], dtype=np.int64)


def overhead(store: Store, *, block: int = 8, code: str = "parity") -> float:
    """Storage cost of the check words, as a fraction of all stored weight bits."""
    check_type("store", store, Store)
    block = check_int("block", block, lo=1, hi=MAX_BLOCK)
    code = check_choice("code", code, CODES)
    return len(list(_blocks(store, block))) * CODE_BITS[code] / store.n_bits


def _positions(store: Store, flipped) -> np.ndarray:
    pos = check_array("flipped", np.atleast_1d(flipped), ndim=1, dtype_kind="iu", min_size=0,
                      lo=0, hi=store.n_bits - 1)
    if len(np.unique(pos)) != len(pos):
        raise ValueError("flipped must hold distinct bit positions")
    return pos


def flips_per_block(store: Store, flipped, *, block: int = 8) -> np.ndarray:
    """How many of the flips at bit positions `flipped` (distinct ints) fall in each block of
    `block` (1..4096) index entries, in the order of `check_words` (int64, one count per block).
    CRC-8 catches every block with 1 to 3 flips (blocks of up to 119 bits) by construction."""
    check_type("store", store, Store)
    block = check_int("block", block, lo=1, hi=MAX_BLOCK)
    pos = np.sort(_positions(store, flipped))
    edges = list(_blocks(store, block))
    return np.asarray([int(np.searchsorted(pos, b) - np.searchsorted(pos, a)) for a, b in edges], dtype=np.int64)


def detects(store: Store, flipped, *, block: int = 8, code: str = "parity") -> tuple[int, int]:
    """Of the flips at bit positions `flipped` (distinct ints) that hit index bits, how many
    sit in a block whose check word no longer matches: (detected, index flips)."""
    check_type("store", store, Store)
    block = check_int("block", block, lo=1, hi=MAX_BLOCK)
    code = check_choice("code", code, CODES)
    pos = _positions(store, flipped)
    bad = store.bits.copy()
    bad[pos] ^= 1
    flags = check_words(store, bad, block=block, code=code) != check_words(store, block=block, code=code)
    detected = total = 0
    for (a, b), flag in zip(_blocks(store, block), flags):
        n = int(((pos >= a) & (pos < b)).sum())
        total += n
        detected += n if flag else 0
    return detected, total
