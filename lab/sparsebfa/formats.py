"""Sparse weight storage at the bit level: CSR, COO and relative indexing, with 8-bit
fixed-point values, packed into one flat bit array that single bits can be flipped in.

Formats (per layer, a weight matrix of `rows` x `cols`, nnz stored entries):

* ``csr``: value (value_bits each), column index (ceil(log2 cols) bits each) and row
  pointer (rows + 1 of them, ceil(log2(nnz + 1)) bits each).
* ``coo``: value, row index (ceil(log2 rows) bits) and column index per entry.
* ``rel``: relative indexing as in Deep Compression (Han et al. 2016): the entries of
  the row-major flattened matrix in order, each with a value and a narrow code c
  (delta_bits, e.g. 4) such that position p_k = p_{k-1} + c_k + 1 (p_{-1} = -1). A gap
  longer than 2**delta_bits is bridged with padding zeros (value 0, code 2**delta_bits - 1).

Values: two's-complement fixed point, code q in [-(2**(b-1) - 1), 2**(b-1) - 1] and one
scale per layer (max |w| / (2**(b-1) - 1)); the stored weight is q * scale. Bits are
written most significant first. Layers follow each other; inside a layer the fields
follow each other in the order above.

Decoding rules after a flip (what a sparse accelerator that trusts its indices would
compute; deterministic):

* an entry whose row or column (or flattened position) falls outside the matrix is
  dropped (never read: the address decoder has no such weight);
* two entries landing on the same position add up (the multiply-accumulate adds both),
  which is also what scipy.sparse does with duplicate coordinates;
* a CSR row r reads the entries ptr[r] .. ptr[r+1] - 1, clipped to [0, nnz) (no entry
  if ptr[r+1] <= ptr[r]);
* a flipped relative code moves its entry and every later entry of the layer by the
  same amount (positions are running sums): that is the point of relative indexing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.checks import check_array, check_choice, check_int, check_number, check_type

FORMATS = ("csr", "coo", "rel")
FORMAT_NAMES = {"csr": "CSR", "coo": "COO", "rel": "relative (Deep Compression)"}
MAX_ENTRIES = 2_000_000
MAX_DIM = 1 << 20


def index_width(n: int) -> int:
    """Bits to address n positions: ceil(log2 n), at least 1 (n ≥ 1, ≤ 2**40)."""
    n = check_int("n", n, lo=1, hi=2**40)
    return max(1, math.ceil(math.log2(n)))


def quantize(w: np.ndarray, value_bits: int = 8) -> tuple[np.ndarray, float]:
    """Symmetric fixed point: (integer codes (same shape, int64), scale) with
    w ≈ codes * scale, scale = max|w| / (2**(value_bits-1) - 1) (1.0 for an all-zero w).
    value_bits in [2, 16]."""
    w = check_array("w", w, dtype_kind="f")
    value_bits = check_int("value_bits", value_bits, lo=2, hi=16)
    qmax = 2 ** (value_bits - 1) - 1
    m = float(np.abs(w).max())
    scale = m / qmax if m > 0 else 1.0
    return np.clip(np.rint(w / scale), -qmax, qmax).astype(np.int64), scale


@dataclass(frozen=True)
class Field:
    """One field of the bit array: `count` integers of `width` bits from bit `offset`.
    kind: "value" (weight codes), "index" (coordinates: col, row, delta) or "pointer"
    (CSR row pointers, stored but not attacked)."""
    layer: int
    name: str
    kind: str
    offset: int
    width: int
    count: int

    def __post_init__(self):
        check_int("layer", self.layer, lo=0, hi=1000)
        check_type("name", self.name, str)
        check_choice("kind", self.kind, ("value", "index", "pointer"))
        check_int("offset", self.offset, lo=0, hi=2**40)
        check_int("width", self.width, lo=1, hi=62)
        check_int("count", self.count, lo=0, hi=MAX_ENTRIES + MAX_DIM + 1)

    @property
    def n_bits(self) -> int:
        return self.width * self.count

    @property
    def stop(self) -> int:
        return self.offset + self.n_bits


@dataclass(frozen=True)
class Store:
    """Encoded weights of a network: format, shapes (rows, cols) and scales per layer, the
    fields and the clean bit array (uint8 0/1, read-only). Build with `encode`."""
    fmt: str
    shapes: tuple
    scales: tuple
    fields: tuple
    bits: np.ndarray
    value_bits: int
    delta_bits: int

    def __post_init__(self):
        check_choice("fmt", self.fmt, FORMATS)
        check_type("fields", self.fields, tuple)
        for f in self.fields:
            check_type("fields", f, Field)
        check_array("bits", self.bits, ndim=1, dtype_kind="u", lo=0, hi=1)
        if not self.fields or self.fields[-1].stop != len(self.bits):
            raise ValueError("bits must be as long as the fields (and fields not empty)")
        check_type("shapes", self.shapes, tuple)
        check_type("scales", self.scales, tuple)
        if len(self.shapes) != len(self.scales) or not self.shapes:
            raise ValueError("shapes and scales must hold one entry per layer")
        for sh in self.shapes:
            if not isinstance(sh, tuple) or len(sh) != 2:
                raise TypeError("shapes must hold (rows, cols) tuples")
            check_int("shapes", sh[0], lo=1, hi=MAX_DIM)
            check_int("shapes", sh[1], lo=1, hi=MAX_DIM)
        for sc in self.scales:
            check_number("scales", sc, lo=0.0, lo_open=True)
        check_int("value_bits", self.value_bits, lo=2, hi=16)
        check_int("delta_bits", self.delta_bits, lo=1, hi=16)

    @property
    def n_bits(self) -> int:
        """All stored weight bits (values, indices and pointers)."""
        return int(len(self.bits))

    def field(self, layer: int, name: str) -> Field:
        for f in self.fields:
            if f.layer == layer and f.name == name:
                return f
        raise ValueError(f"name must be a field of layer {layer}: "
                         f"{[f.name for f in self.fields if f.layer == layer]}; got {name!r}")

    def positions(self, kind: str) -> np.ndarray:
        """Bit positions of every field of one kind ("value", "index" or "pointer")."""
        check_choice("kind", kind, ("value", "index", "pointer"))
        parts = [np.arange(f.offset, f.stop) for f in self.fields if f.kind == kind]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def n_kind(self, kind: str) -> int:
        """Number of stored bits of one kind."""
        check_choice("kind", kind, ("value", "index", "pointer"))
        return int(sum(f.n_bits for f in self.fields if f.kind == kind))

    def locate(self, bit: int) -> tuple[Field, int, int]:
        """(field, entry number, bit significance 0 = LSB) of a bit position."""
        bit = check_int("bit", bit, lo=0, hi=self.n_bits - 1)
        for f in self.fields:
            if f.offset <= bit < f.stop:
                k, j = divmod(bit - f.offset, f.width)
                return f, k, f.width - 1 - j
        raise ValueError(f"bit {bit} is in no field")  # pragma: no cover - fields tile the array


def pack(values: np.ndarray, width: int) -> np.ndarray:
    """Unsigned integers (n,) in [0, 2**width) as n*width bits, most significant first (uint8)."""
    width = check_int("width", width, lo=1, hi=62)
    values = check_array("values", values, ndim=1, dtype_kind="iu", min_size=0, lo=0, hi=2**width - 1)
    sh = np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values.astype(np.int64)[:, None] >> sh) & 1).astype(np.uint8).ravel()


def unpack(bits: np.ndarray, width: int) -> np.ndarray:
    """The inverse of `pack`: bits (n*width,) -> unsigned integers (n,) int64."""
    width = check_int("width", width, lo=1, hi=62)
    bits = check_array("bits", bits, ndim=1, dtype_kind="ub", min_size=0, lo=0, hi=1)
    if len(bits) % width:
        raise ValueError(f"bits must have a length divisible by width={width}; got {len(bits)}")
    w = (1 << np.arange(width - 1, -1, -1, dtype=np.int64))
    return bits.reshape(-1, width).astype(np.int64) @ w


def _rel_stream(flat_pos: np.ndarray, codes: np.ndarray, delta_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Relative codes (and values with padding zeros) of sorted flattened positions."""
    span = 1 << delta_bits
    out_c, out_v, prev = [], [], -1
    for p, q in zip(flat_pos.tolist(), codes.tolist()):
        gap = p - prev
        while gap > span:  # padding zero: advance by the widest step
            out_c.append(span - 1)
            out_v.append(0)
            prev += span
            gap -= span
        out_c.append(gap - 1)
        out_v.append(q)
        prev = p
    return np.asarray(out_c, dtype=np.int64), np.asarray(out_v, dtype=np.int64)


def encode(weights, fmt: str, *, value_bits: int = 8, delta_bits: int = 4) -> Store:
    """Encode a sequence of 2-D weight matrices (zeros are not stored) in `fmt` ("csr",
    "coo" or "rel") with `value_bits` fixed-point values (2..16) and, for "rel",
    `delta_bits`-wide relative codes (1..16). At most 2e6 entries and 2**20 rows/cols per layer. An all-zero
    network is refused in "coo" and "rel" (nothing to store); "csr" stores its row pointers."""
    fmt = check_choice("fmt", fmt, FORMATS)
    value_bits = check_int("value_bits", value_bits, lo=2, hi=16)
    delta_bits = check_int("delta_bits", delta_bits, lo=1, hi=16)
    if isinstance(weights, np.ndarray) or not hasattr(weights, "__len__") or len(weights) == 0:
        raise TypeError("weights must be a non-empty sequence (list or tuple) of 2-D arrays")
    fields, chunks, shapes, scales, off = [], [], [], [], 0
    vmask = (1 << value_bits) - 1
    for li, w in enumerate(weights):
        w = check_array(f"weights[{li}]", w, ndim=2, dtype_kind="f")
        rows, cols = w.shape
        if rows > MAX_DIM or cols > MAX_DIM:
            raise ValueError(f"weights[{li}] must have at most {MAX_DIM} rows and columns; got {w.shape}")
        q, scale = quantize(w, value_bits)
        r, c = np.nonzero(w)  # row-major order
        if len(r) > MAX_ENTRIES:
            raise ValueError(f"weights[{li}] must have at most {MAX_ENTRIES} nonzeros; got {len(r)}")
        vals = q[r, c]
        if fmt == "csr":
            ptr = np.searchsorted(r, np.arange(rows + 1), side="left")
            parts = [("value", "value", vals & vmask, value_bits), ("col", "index", c, index_width(cols)),
                     ("rowptr", "pointer", ptr, index_width(len(r) + 1))]
        elif fmt == "coo":
            parts = [("value", "value", vals & vmask, value_bits), ("row", "index", r, index_width(rows)),
                     ("col", "index", c, index_width(cols))]
        else:
            codes, v = _rel_stream(r * cols + c, vals, delta_bits)
            parts = [("value", "value", v & vmask, value_bits), ("delta", "index", codes, delta_bits)]
        for name, kind, arr, width in parts:
            f = Field(li, name, kind, off, width, len(arr))
            fields.append(f)
            chunks.append(pack(np.asarray(arr, dtype=np.int64), width))
            off = f.stop
        shapes.append((rows, cols))
        scales.append(scale)
    if sum(len(ch) for ch in chunks) == 0:
        raise ValueError(f"weights must hold at least one nonzero weight in format {fmt!r}: it stores only the "
                         "nonzeros, so all-zero layers leave no bits to store or attack")
    bits = np.concatenate(chunks).astype(np.uint8)
    bits.setflags(write=False)
    return Store(fmt, tuple(shapes), tuple(scales), tuple(fields), bits, value_bits, delta_bits)


def _field_ints(store: Store, bits: np.ndarray, f: Field) -> np.ndarray:
    return unpack(bits[f.offset:f.stop], f.width)


def signed(u: np.ndarray, value_bits: int) -> np.ndarray:
    """Two's-complement reading of unsigned codes u in [0, 2**value_bits)."""
    u = np.asarray(u, dtype=np.int64)
    return np.where(u >= (1 << (value_bits - 1)), u - (1 << value_bits), u)


@dataclass(frozen=True)
class Entries:
    """The stored entries of one layer as the decoder reads them. One row per (entry,
    placement): entry (number in the layer's value field), row, col, value (float), valid
    (inside the matrix); for "rel" also pos (flattened position)."""
    entry: np.ndarray
    row: np.ndarray
    col: np.ndarray
    value: np.ndarray
    valid: np.ndarray
    pos: np.ndarray

    def __post_init__(self):
        n = len(check_array("entry", self.entry, ndim=1, dtype_kind="iu", min_size=0))
        lens = {len(np.atleast_1d(getattr(self, k))) for k in ("row", "col", "value", "valid", "pos")}
        if lens != {n}:
            raise ValueError(f"entry, row, col, value, valid and pos must have one length; got entry {n}, others {lens}")
        for name in ("row", "col", "pos"):
            check_array(name, getattr(self, name), shape=(n,), dtype_kind="iu", min_size=0)
        check_array("value", self.value, shape=(n,), dtype_kind="f", min_size=0)
        check_array("valid", self.valid, shape=(n,), dtype_kind="b", min_size=0)


def check_bits(store: Store, bits) -> np.ndarray:
    """A bit array of the store's length (uint8 0/1); the store's clean bits when None."""
    check_type("store", store, Store)
    if bits is None:
        return store.bits
    return check_array("bits", bits, ndim=1, shape=(store.n_bits,), dtype_kind="ub", lo=0, hi=1)


def entries(store: Store, bits: np.ndarray | None = None) -> list[Entries]:
    """Per layer, the entries as the decoder places them (rules in the module docstring)."""
    bits = check_bits(store, bits)
    out = []
    for li, (rows, cols) in enumerate(store.shapes):
        vf = store.field(li, "value")
        vals = signed(_field_ints(store, bits, vf), store.value_bits).astype(np.float64) * store.scales[li]
        n = vf.count
        if store.fmt == "csr":
            col = _field_ints(store, bits, store.field(li, "col"))
            ptr = np.clip(_field_ints(store, bits, store.field(li, "rowptr")), 0, n)
            lo, hi = ptr[:-1], ptr[1:]
            lens = np.maximum(hi - lo, 0)
            row = np.repeat(np.arange(rows), lens)
            ent = (np.concatenate([np.arange(a, b) for a, b in zip(lo, hi) if b > a])
                   if lens.sum() else np.zeros(0, dtype=np.int64))
            c = col[ent]
            valid = c < cols
            pos = row * cols + c
        elif store.fmt == "coo":
            ent = np.arange(n)
            row = _field_ints(store, bits, store.field(li, "row"))
            c = _field_ints(store, bits, store.field(li, "col"))
            valid = (row < rows) & (c < cols)
            pos = row * cols + c
        else:
            ent = np.arange(n)
            pos = np.cumsum(_field_ints(store, bits, store.field(li, "delta")) + 1) - 1
            valid = pos < rows * cols
            row, c = pos // cols, pos % cols
        out.append(Entries(ent.astype(np.int64), row.astype(np.int64), c.astype(np.int64), vals[ent],
                           valid, pos.astype(np.int64)))
    return out


def decode(store: Store, bits: np.ndarray | None = None) -> tuple:
    """The dense float32 weight matrices that the (possibly flipped) bits encode."""
    check_type("store", store, Store)
    out = []
    for (rows, cols), e in zip(store.shapes, entries(store, bits)):
        w = np.zeros((rows, cols), dtype=np.float64)
        np.add.at(w, (e.row[e.valid], e.col[e.valid]), e.value[e.valid])
        out.append(w.astype(np.float32))
    return tuple(out)


def flip(bits: np.ndarray, positions) -> np.ndarray:
    """A copy of a bit array (uint8 0/1) with the bits at `positions` (ints, distinct) flipped."""
    bits = check_array("bits", bits, ndim=1, dtype_kind="ub", lo=0, hi=1)
    pos = check_array("positions", np.atleast_1d(positions), ndim=1, dtype_kind="iu", min_size=0,
                      lo=0, hi=len(bits) - 1)
    out = bits.astype(np.uint8, copy=True)
    out[pos] ^= 1
    return out
