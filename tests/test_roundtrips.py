"""Round trips as properties (Hypothesis): the sparse-convolution engine's coordinate hash, SparseBFA's bit packing
and weight encoding, Sparseloop's fiber formats and the RGB-D camera's projection, each on generated inputs
within the documented ranges, not only on hand-picked examples."""
import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lab import sparsebfa, sparseloop
from lab.data import scenes
from lab.sparseconv import functional as F

PROPS = settings(max_examples=25, deadline=None, derandomize=True)
LIM = (1 << 15) - 64        # the hash's documented coordinate range is [-LIM, LIM]



def coords(lim: int = LIM):
    return st.lists(st.tuples(st.integers(0, 100), st.integers(-lim, lim), st.integers(-lim, lim),
                              st.integers(-lim, lim)), min_size=1, max_size=50)


@PROPS
@given(coords())
def test_hash_round_trip_and_order(rows):
    c = torch.tensor(rows, dtype=torch.int32)
    keys = F.hash_coords(c)
    assert torch.equal(F.unhash_keys(keys), c)
    # keys sort as the coordinates do, lexicographically in (batch, x, y, z)
    order = sorted(range(len(rows)), key=lambda i: rows[i])
    assert torch.equal(torch.argsort(keys, stable=True), torch.tensor(order))


@PROPS
@given(coords(LIM - 63), st.tuples(*[st.integers(-63, 63)] * 3))
def test_shifting_a_key_is_shifting_its_coordinates(rows, d):
    c = torch.tensor(rows, dtype=torch.int32)
    shifted = c.clone()
    shifted[:, 1:] += torch.tensor(d, dtype=torch.int32)
    delta = F.offset_key(torch.tensor([d], dtype=torch.int64))
    assert torch.equal(F.hash_coords(c) + delta, F.hash_coords(shifted))


@PROPS
@given(st.integers(1, 62).flatmap(lambda w: st.tuples(st.just(w), st.lists(st.integers(0, 2 ** w - 1), max_size=30))))
def test_pack_unpack_round_trip(wv):
    width, values = wv
    v = np.array(values, dtype=np.int64)
    bits = sparsebfa.pack(v, width)
    assert bits.shape == (len(v) * width,) and set(np.unique(bits)) <= {0, 1}
    assert np.array_equal(sparsebfa.unpack(bits, width), v)


weights = hnp.arrays(np.float32, st.tuples(st.integers(1, 12), st.integers(1, 12)),
                     elements=st.sampled_from([0.0, 0.0, 0.0, -1.0, -0.37, 0.5, 0.81, 1.0]))


@PROPS
@given(weights, st.sampled_from(sparsebfa.FORMATS), st.integers(1, 6))
def test_weight_encoding_round_trip(w, fmt, delta_bits):
    if not w.any():
        w = w.copy()
        w[0, 0] = 1.0
    store = sparsebfa.encode([w], fmt, value_bits=8, delta_bits=delta_bits)
    (back,) = sparsebfa.decode(store)
    # 8-bit fixed point of scale max|w|: every weight within half a step, zeros stay zero
    step = np.abs(w).max() / 127
    assert np.all(np.abs(back - w) <= step / 2 + 1e-6)
    assert np.all(back[w == 0] == 0)
    # decoding is a fixed point: encoding the decoded weights gives the same bits
    assert np.array_equal(sparsebfa.encode([back], fmt, value_bits=8, delta_bits=delta_bits).bits, store.bits)


tiles = hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 40)),
                   elements=st.sampled_from([0.0, 0.0, 0.0, 0.0, 1.5, -2.0, 3.0]))


def _positions(inner: str, part) -> list[int]:
    """The nonzero positions one inner fiber's metadata says, decoded independently of the encoder."""
    if inner == "B":
        return [j for j, b in enumerate(part) if b]
    if inner == "CP":
        return list(part)
    pos, out = -1, []
    for run in part:                       # RLE: zeros skipped before each stored entry
        pos += run + 1
        out.append(pos)
    return out


@PROPS
@given(tiles, st.sampled_from([("U", "B"), ("U", "CP"), ("U", "RLE"), ("UOP", "CP"), ("B", "B"), ("CP", "RLE")]),
       st.integers(1, 5))
def test_fiber_metadata_decodes_to_the_nonzeros(tile, formats, rle_bits):
    outer, inner = formats
    enc = sparseloop.encode(tile, formats, rle_bits=rle_bits)
    rows = np.arange(tile.shape[0]) if outer in ("U", "UOP") else np.flatnonzero((tile != 0).any(axis=1))
    assert len(enc.parts["inner"]) == len(rows)
    for i, part in zip(rows, enc.parts["inner"]):
        pos = _positions(inner, part)
        stored = [j for j in pos if tile[i, j] != 0]
        assert stored == list(np.flatnonzero(tile[i]))           # padding entries (RLE) hold zeros only
    nnz = int((tile != 0).sum())
    assert enc.payload_words >= nnz and (inner == "RLE" or enc.payload_words == nnz)
    if outer == "UOP":
        assert enc.parts["outer"][-1] == enc.payload_words


@PROPS
@given(hnp.arrays(np.float64, (6, 8), elements=st.floats(0.3, 8.0)))
def test_backproject_then_project_gives_the_pixels_back(depth):
    intr = scenes.default_intrinsics(8, 8).scaled(1.0)
    intr = scenes.Intrinsics(8, 6, intr.fx, intr.fy, 3.5, 2.5)
    pts = scenes.backproject(depth, intr)
    u, v, z = scenes.project(pts, intr)
    vv, uu = np.mgrid[0:6, 0:8]
    assert np.allclose(u, uu, atol=1e-3) and np.allclose(v, vv, atol=1e-3)
    assert np.allclose(z, depth, rtol=1e-6)
