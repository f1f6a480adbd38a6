"""Unit tests of lab.sparsebfa: bit-level sparse formats (against scipy.sparse), flip
semantics, the first-order estimates (exact for a linear loss), the greedy attacks
(against brute force), the check codes and the claim helpers."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from lab import sparsebfa as sb
from lab.core.claims import Measured
from lab.sparsebfa.formats import signed


@pytest.fixture(scope="module")
def net():
    return sb.train_pruned(sparsity=0.8, seed=0, hidden=16, epochs=40, prune_steps=2, finetune_epochs=20)


def _sparse(rng, rows, cols, density):
    w = rng.normal(size=(rows, cols)) * (rng.random((rows, cols)) < density)
    return w.astype(np.float32)


def _field(store, layer, name, bits=None):
    f = store.field(layer, name)
    b = store.bits if bits is None else bits
    return sb.unpack(b[f.offset:f.stop], f.width)


def _dequant(w):
    q, s = sb.quantize(w)
    return q * s


def test_scales():
    assert {"small", "paper"} <= set(sb.SCALES)
    for cfg in sb.SCALES.values():
        assert len(cfg["seeds"]) >= 3 and len(cfg["flip_seeds"]) >= 3


def test_index_width_and_pack_known_answers():
    assert [sb.index_width(n) for n in (1, 2, 3, 10, 64, 65, 128)] == [1, 1, 2, 4, 6, 7, 7]
    assert sb.pack(np.array([5, 0, 7]), 3).tolist() == [1, 0, 1, 0, 0, 0, 1, 1, 1]
    v = np.random.default_rng(0).integers(0, 2**11, 50)
    assert np.array_equal(sb.unpack(sb.pack(v, 11), 11), v)


def test_quantize_known_answer():
    q, s = sb.quantize(np.array([[0.0, 1.27, -0.635]], dtype=np.float32))
    assert s == pytest.approx(0.01) and q.tolist() == [[0, 127, -64]]


@pytest.mark.parametrize("shape,density", [((10, 37), 0.1), ((128, 64), 0.05), ((3, 300), 0.02), ((7, 5), 0.9)])
def test_roundtrip_matches_scipy(shape, density):
    rng = np.random.default_rng(sum(shape))
    w = _sparse(rng, *shape, density)
    w[0, :] = 0  # an empty row
    ref_csr, ref_coo = sp.csr_matrix(w), sp.coo_matrix(w)  # the stored structure: w's nonzeros
    for fmt in sb.FORMATS:
        store = sb.encode([w], fmt)
        np.testing.assert_allclose(sb.decode(store)[0], sp.csr_matrix(_dequant(w)).toarray(), atol=1e-6)
    csr = sb.encode([w], "csr")
    assert np.array_equal(_field(csr, 0, "col"), ref_csr.indices)
    assert np.array_equal(_field(csr, 0, "rowptr"), ref_csr.indptr)
    coo = sb.encode([w], "coo")
    assert np.array_equal(_field(coo, 0, "row"), ref_coo.row) and np.array_equal(_field(coo, 0, "col"), ref_coo.col)
    assert csr.n_bits == ref_csr.nnz * (8 + sb.index_width(shape[1])) + (shape[0] + 1) * sb.index_width(ref_csr.nnz + 1)


def test_relative_indexing_padding_known_answer():
    w = np.zeros((1, 64), dtype=np.float32)
    w[0, 0], w[0, 40] = 1.0, -0.5
    store = sb.encode([w], "rel", delta_bits=4)
    # gap 40 > 16: two padding zeros advance 16 each, then code 7 (8 more)
    assert _field(store, 0, "delta").tolist() == [0, 15, 15, 7]
    assert sb.entries(store)[0].pos.tolist() == [0, 16, 32, 40]
    assert signed(_field(store, 0, "value"), 8).tolist() == [127, 0, 0, -64]
    np.testing.assert_allclose(sb.decode(store)[0], _dequant(w))


def test_flip_semantics():
    w = np.zeros((10, 64), dtype=np.float32)
    w[2, 1], w[2, 33], w[5, 3] = 1.0, 0.5, -1.0
    csr = sb.encode([w], "csr")
    f = csr.field(0, "col")
    moved = sb.decode(csr, sb.flip(csr.bits, f.offset))[0]  # MSB (32) of entry 0's column: (2, 1) -> (2, 33)
    d = sb.decode(csr)[0]
    # the moved weight lands on an occupied position: the two add up, as in scipy.sparse
    ref = sp.coo_matrix(([d[2, 1], d[2, 33], d[5, 3]], ([2, 2, 5], [33, 33, 3])), shape=(10, 64)).toarray()
    np.testing.assert_allclose(moved, ref, atol=1e-6)
    coo = sb.encode([w], "coo")
    f = coo.field(0, "row")  # 4-bit rows: row 2 -> 2 | 8 = 10 is outside the 10 rows: dropped
    out = sb.decode(coo, sb.flip(coo.bits, f.offset))[0]
    assert out[2, 1] == 0 and np.count_nonzero(out) == 2
    rel = sb.encode([w], "rel")
    f = rel.field(0, "delta")
    clean = sb.entries(rel)[0].pos
    shifted = sb.entries(rel, sb.flip(rel.bits, f.offset + f.width * 1 + f.width - 1))[0].pos  # LSB of code 1
    step = 1 if _field(rel, 0, "delta")[1] % 2 == 0 else -1
    assert np.array_equal(shifted[:1], clean[:1]) and np.array_equal(shifted[1:], clean[1:] + step)


def test_csr_row_pointer_rule():
    w = np.zeros((3, 4), dtype=np.float32)
    w[0, 0], w[1, 1], w[2, 2] = 1, 2, 3
    store = sb.encode([w], "csr")
    f = store.field(0, "rowptr")  # pointers 0 1 2 3, 2 bits each: set ptr[1] to 3 -> row 0 reads 0..2, rows 1 none
    bits = store.bits.copy()
    bits[f.offset + 2: f.offset + 4] = [1, 1]
    out, d = sb.decode(store, bits)[0], sb.decode(store)[0]
    expect = np.zeros((3, 4), dtype=np.float32)
    expect[0, :3] = d[0, 0], d[1, 1], d[2, 2]  # row 0 reads entries 0..2 (their columns 0, 1, 2)
    expect[2, 2] = d[2, 2]  # row 2 still reads entry 2; row 1 reads none
    np.testing.assert_allclose(out, expect)


def test_first_order_is_exact_for_a_linear_loss():
    rng = np.random.default_rng(1)
    ws = [_sparse(rng, 12, 9, 0.2), _sparse(rng, 4, 12, 0.4)]
    grads = [rng.normal(size=w.shape) for w in ws]
    for fmt in sb.FORMATS:
        store = sb.encode(ws, fmt)
        clean = sb.decode(store)
        for target, kind in (("index", "index"), ("value", "value")):
            cand, est = sb.first_order(store, store.bits, grads, target)
            assert np.array_equal(np.sort(cand), store.positions(kind))
            for i in range(0, len(cand), max(1, len(cand) // 60)):
                bad = sb.decode(store, sb.flip(store.bits, int(cand[i])))
                exact = sum(float((g * (x.astype(np.float64) - c)).sum()) for g, x, c in zip(grads, bad, clean))
                assert est[i] == pytest.approx(exact, abs=1e-5), (fmt, target, int(cand[i]))


def test_greedy_step_matches_brute_force():
    net = sb.train_pruned(sparsity=0.9, seed=2, hidden=4, epochs=40, prune_steps=1, finetune_epochs=10)
    for fmt in ("coo", "rel"):
        v = sb.victim(net, fmt, batch=64, seed=0)
        cand = v.store.positions("index")
        flipped, acc, loss = sb.attack(v, target="index", n_flips=1, top_k=len(cand))
        brute = max(cand, key=lambda b: v.loss(sb.flip(v.store.bits, int(b))))
        assert v.loss(sb.flip(v.store.bits, int(flipped[0]))) == pytest.approx(v.loss(sb.flip(v.store.bits, int(brute))))
        assert loss[1] > loss[0] and acc[0] == pytest.approx(v.accuracy(v.store.bits))


def test_victim_matches_torch_linear(net):
    v = sb.victim(net, "csr", batch=32, seed=0)
    w = sb.decode(v.store)
    lin1, lin2 = torch.nn.Linear(64, net.hidden), torch.nn.Linear(net.hidden, 10)
    with torch.no_grad():
        lin1.weight.copy_(torch.from_numpy(w[0])), lin1.bias.copy_(v.biases[0])
        lin2.weight.copy_(torch.from_numpy(w[1])), lin2.bias.copy_(v.biases[1])
        ref = torch.nn.functional.cross_entropy(lin2(torch.relu(lin1(v.x_attack))), v.y_attack)
    assert v.loss(v.store.bits) == pytest.approx(float(ref), rel=1e-5)


def test_attacks_and_random_flips(net):
    a = sb.run_attack(net, "rel", "sparsebfa", n_flips=5, top_k=8, stop_acc=0.11)
    assert a.acc[-1] < a.acc[0] and len(a.flipped) == len(a.counts) - 1 <= 5
    assert len(np.unique(a.flipped)) == len(a.flipped)
    store = sb.encode(net.weights, "rel")
    assert np.isin(a.flipped, store.positions("index")).all()
    val = sb.run_attack(net, "csr", "valuebfa", n_flips=3, top_k=8)
    assert np.isin(val.flipped, sb.encode(net.weights, "csr").positions("value")).all()
    r = sb.run_attack(net, "coo", "random", random_max=200, random_points=6, flip_seed=1)
    assert r.counts[0] == 0 and r.counts[-1] == 200 and r.acc[0] == pytest.approx(a.acc[0])
    t = sb.Trace("random", "coo", 0, np.array([0, 1, 5]), np.array([0.9, 0.3, 0.05]), np.zeros(3),
                 np.zeros(0, dtype=np.int64), 100, 0.9)
    assert t.flips_to(0.11) == 5 and t.flips_to(0.01) == float("inf")


def test_random_flips_count_to_the_flip(net):
    """With stop_acc, the random baseline's count is a crossing to the flip (above the threshold one flip
    earlier, at or below it there), never above the grid's count, and the curve still holds the grid."""
    v = sb.victim(net, "coo", batch=64, seed=net.seed)
    grid, g_acc, _, order = sb.random_flips(v, n_max=300, n_points=6, seed=1)
    thr = float((g_acc[0] + g_acc.min()) / 2)
    counts, acc, loss, order2 = sb.random_flips(v, n_max=300, n_points=6, seed=1, stop_acc=thr)
    assert np.array_equal(order, order2) and set(grid) <= set(counts) and np.all(np.diff(counts) > 0)
    k = int(counts[np.nonzero(acc <= thr)[0][0]])
    on_grid = int(grid[np.nonzero(g_acc <= thr)[0][0]])
    assert 0 < k <= on_grid and len(counts) > len(grid)
    at = lambda n: v.accuracy(sb.flip(v.store.bits, order[:n]))  # noqa: E731
    assert at(k) <= thr < at(k - 1)
    assert len(loss) == len(counts) and np.all(np.isfinite(loss))


def test_magnitude_mask_known_answer():
    w = np.array([[0.1, -3.0, 2.0], [0.5, 0.0, -0.2]], dtype=np.float32)
    assert sb.magnitude_mask(w, 2 / 3).tolist() == [[False, True, True], [False, False, False]]


def test_pruned_network(net):
    assert net.nnz == sum(max(1, round(0.2 * w.size)) for w in net.weights)
    assert net.pruned_acc > 0.5


def test_check_codes():
    bits = np.unpackbits(np.frombuffer(b"123456789", dtype=np.uint8))
    assert sb.crc8(bits) == 0xF4  # CRC-8/SMBUS check value
    w = _sparse(np.random.default_rng(3), 16, 64, 0.2)
    store = sb.encode([w], "csr")
    f = store.field(0, "col")
    one, two = [f.offset + 1], [f.offset + 1, f.offset + 2]  # the same 16-entry block
    assert sb.detects(store, one, block=16, code="parity") == (1, 1)
    assert sb.detects(store, two, block=16, code="parity") == (0, 2)
    assert sb.detects(store, two, block=16, code="crc8") == (2, 2)
    assert sb.detects(store, [store.field(0, "value").offset], block=16) == (0, 0)  # a value bit: not covered
    n_blocks = -(-f.count // 16)
    assert sb.overhead(store, block=16, code="crc8") == pytest.approx(8 * n_blocks / store.n_bits)
    per = sb.flips_per_block(store, [f.offset + 1, f.offset + 2, f.offset + 16 * f.width], block=16)
    assert len(per) == n_blocks and per[:2].tolist() == [2, 1] and per.sum() == 3
    assert sb.flips_per_block(store, [store.field(0, "value").offset], block=16).sum() == 0  # not an index bit
    with pytest.raises(ValueError, match="flipped"):
        sb.flips_per_block(store, [f.offset, f.offset], block=16)


def _runs(flips):
    """A run_table: {(method, fmt): [(flips, reached) per network seed]} (random: one draw per network)."""
    rows = []
    for (m, fmt), per_net in flips.items():
        for seed, (k, reached) in enumerate(per_net):
            rows.append(dict(format=fmt, method=m, seed=seed, flip_seed=0, flips=float(k), reached=reached,
                             bits=10_000, index_bits=4_000))
    return pd.DataFrame(rows)


def test_claim_helpers_known_answers():
    from scipy import stats

    ok = [(2, True), (1, True), (4, True)]
    tab = _runs({("sparsebfa", "rel"): ok, ("random", "rel"): [(40, True), (10, True), (80, True)],
                 ("valuebfa", "rel"): [(6, True), (3, True), (12, True)]})
    m = sb.random_guess_claim(tab, "rel")
    assert isinstance(m, Measured) and m.holds and m.number == 2.33
    assert "0.0233 % of the 10000 stored bits" in m.note
    # random / SparseBFA = 20, 10, 20 per network: the geometric mean and the interval are on log10
    v = sb.vs_random_claim(tab, "rel")
    lr = np.log10([20.0, 10.0, 20.0])
    lo, hi = stats.ttest_rel(np.log10([40.0, 10.0, 80.0]), np.log10([2.0, 1.0, 4.0])).confidence_interval(0.95)
    assert v.holds and v.number == pytest.approx(round(10 ** lr.mean(), 2))
    assert f"[{10 ** lo:.3g}, {10 ** hi:.3g}]" in v.note
    w = sb.index_vs_value_claim(tab, "rel")                 # 3× on every network: a zero-width interval
    assert w.holds and w.number == pytest.approx(3.0)
    # a network that never reached random guess fails all three
    tab2 = _runs({("sparsebfa", "csr"): [(20, True), (40, False), (18, True)],
                  ("random", "csr"): [(400, True)] * 3, ("valuebfa", "csr"): [(6, True)] * 3})
    assert not sb.random_guess_claim(tab2, "csr").holds
    assert not sb.vs_random_claim(tab2, "csr").holds and not sb.index_vs_value_claim(tab2, "csr").holds
    # ratios above 1 on average but not on every network: the paired interval holds 0
    tab3 = _runs({("sparsebfa", "coo"): [(5, True), (8, True), (6, True)],
                  ("valuebfa", "coo"): [(9, True), (6, True), (9, True)], ("random", "coo"): [(5, True)] * 3})
    w3 = sb.index_vs_value_claim(tab3, "coo")
    assert w3.number > 1 and not w3.holds
    assert not sb.vs_random_claim(tab3, "coo").holds      # random as fast as SparseBFA on average
    with pytest.raises(ValueError, match="table"):
        sb.random_guess_claim(tab, "coo")
    with pytest.raises(ValueError, match="2 common networks"):
        sb.vs_random_claim(tab[tab.seed == 0], "rel")


def test_run_table_pairs_runs_by_network():
    st = _tiny_study()
    rt = sb.run_table(st)
    assert len(rt) == len(st.traces) and set(rt.method) == set(sb.METHODS)
    t = st.select("random", "rel")[0]
    row = rt[(rt.method == "random") & (rt.format == "rel")].iloc[0]
    k = t.flips_to(st.threshold)
    assert row.reached == np.isfinite(k) and row.flips == (k if np.isfinite(k) else t.counts[-1])
    assert (rt.bits > rt.index_bits).all()


def test_scales_markdown_states_what_the_presets_run():
    text = sb.scales_markdown(sb.SCALES)
    for name, c in sb.SCALES.items():
        assert f"`{name}` trains {len(c['seeds'])} networks" in text and f"up to {c['n_flips']} greedy flips" in text
        assert f"{len(c['flip_seeds'])} random draws" in text and f"batch of {c['batch']} training" in text
    with pytest.raises(ValueError, match="scales"):
        sb.scales_markdown({"small": {"seeds": (0,)}})
    with pytest.raises(TypeError, match="scales"):
        sb.scales_markdown(3)


def _tiny_study():
    net = sb.train_pruned(sparsity=0.8, seed=1, hidden=16, epochs=30, prune_steps=2, finetune_epochs=10)
    return sb.run_study(nets=(net,), seeds=(1,), formats=("coo", "rel"), flip_seeds=(0,), n_flips=4, top_k=4,
                        random_points=5)


def test_determinism_study():
    a, b = sb.summary(_tiny_study()), sb.summary(_tiny_study())
    pd.testing.assert_frame_equal(a, b)


def test_study_tables_and_views():
    st = _tiny_study()
    tab = sb.summary(st)
    assert set(tab.method) == set(sb.METHODS) and (tab.runs >= 1).all()
    d = sb.defence_table(st, block=8)
    assert set(d.code) == set(sb.CODES) and (d.sparsebfa_detected <= d.sparsebfa_flips).all()
    assert (d.sparsebfa_max_per_block <= d.sparsebfa_flips).all() and (d.random_max_per_block >= 0).all()
    fig = sb.curves_figure(st)
    from lab.core.plotting import unlabelled_axes
    assert not unlabelled_axes(fig)
    assert not unlabelled_axes(sb.rewiring_figure(st.nets[0], st.select("sparsebfa", "rel")[0]))
    traces = sb.explorer_traces(sparsities=(0.8,), formats=("coo", "rel"), seed=1, study=st, n_flips=4, top_k=4,
                                random_points=5)
    ex = sb.explorer(traces, threshold=st.threshold, sparsity=0.8, fmt="rel", flips=1)
    before = ex.snapshot()[0].to_dict()["data"]
    ex.set(fmt="coo", flips=2, layer=1)
    assert ex.snapshot()[0].to_dict()["data"] != before
    ex.reset()
    assert sb.storage_table(st.nets[0]).bits.sum() > 0


def test_bad_inputs(net):
    with pytest.raises(ValueError, match="fmt"):
        sb.encode(list(net.weights), "ell")
    with pytest.raises(TypeError, match="weights"):
        sb.encode(np.zeros((3, 3)), "csr")
    with pytest.raises(ValueError, match="weights"):
        sb.encode([np.full((2, 2), np.nan, dtype=np.float32)], "csr")
    with pytest.raises(ValueError, match="sparsity"):
        sb.train_pruned(sparsity=1.0)
    with pytest.raises(ValueError, match="n_flips"):
        sb.attack(sb.victim(net, "csr"), n_flips=10**9)
    with pytest.raises(ValueError, match="bits"):
        sb.decode(sb.encode(list(net.weights), "csr"), np.zeros(5, dtype=np.uint8))
    with pytest.raises(ValueError, match="positions"):
        sb.flip(np.zeros(4, dtype=np.uint8), [7])
    with pytest.raises(ValueError, match="target"):
        sb.attack(sb.victim(net, "csr"), target="bias")
    with pytest.raises(ValueError, match="block"):
        sb.overhead(sb.encode(list(net.weights), "csr"), block=0)


def test_crc8_catches_every_error_of_up_to_three_bits_in_a_notebook_block():
    """The notebook's blocks are 16 coordinates of at most 7 bits (112 bits). CRC-8 is linear, so a
    pattern escapes iff the XOR of its single-bit syndromes is 0: check all 1-, 2- and 3-bit patterns."""
    n = 16 * 7
    syn = np.array([sb.crc8(np.eye(n, dtype=np.uint8)[i]) for i in range(n)])
    assert (syn != 0).all()
    pair = syn[:, None] ^ syn[None, :]
    assert (pair[np.triu_indices(n, 1)] != 0).all()
    for i in range(n):
        assert (syn[i] ^ pair[i + 1:, i + 1:][np.triu_indices(n - i - 1, 1)] != 0).all()
