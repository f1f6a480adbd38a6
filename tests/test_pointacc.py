"""Unit tests of lab.pointacc: the ranking mapping unit against lab.sparseconv and a
brute-force kNN, the exact LRU model, and the cost model's monotonic behaviour."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

from lab import pointacc as pa
from lab import sparseconv as sc


def _coords(seed=0, D=10, p=0.3):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(2, D, D, D, generator=g) < p).nonzero().to(torch.int32).contiguous()


def _pairs(ii, oi, sizes):
    bounds = np.r_[0, np.cumsum(sizes.numpy())]
    return [sorted(zip(ii[a:b].tolist(), oi[a:b].tolist())) for a, b in zip(bounds[:-1], bounds[1:])]


@pytest.mark.parametrize("stride", [1, 2])
def test_merge_sort_map_equals_hash_map(stride):
    c = _coords(1)
    x = sc.SparseTensor(c, torch.zeros(len(c), 1))
    km, oc, _ = sc.get_kernel_map(x, 3, stride=stride)
    ii, oi, sizes = pa.merge_sort_kernel_map(c, oc, sc.kernel_offsets(3))
    assert torch.equal(sizes, km.sizes)
    assert _pairs(ii, oi, sizes) == _pairs(km.in_idx, km.out_idx, km.sizes)


def test_knn_and_ball_query_equal_brute_force():
    from scipy.spatial import cKDTree
    rng = np.random.default_rng(0)
    P, Q = rng.random((200, 3)), rng.random((30, 3))
    idx, dist = pa.knn_ranking(P, Q, 6)
    d_ref, i_ref = cKDTree(P).query(Q, 6)
    assert np.array_equal(idx, i_ref) and np.allclose(dist, d_ref)
    b = pa.ball_query_ranking(P, Q, 0.12, 6)
    for q in range(30):
        inside = [int(i) for i in i_ref[q] if np.linalg.norm(P[i] - Q[q]) <= 0.12]
        assert b[q][b[q] >= 0].tolist() == inside


def test_knn_ties_broken_by_index():
    P = np.array([[1.0, 0, 0], [-1.0, 0, 0], [0, 1.0, 0], [3.0, 0, 0]])
    idx, _ = pa.knn_ranking(P, np.zeros((1, 3)), 3)
    assert idx.tolist() == [[0, 1, 2]]


def test_stack_distances_equal_lru_simulation():
    rng = np.random.default_rng(1)
    stream = rng.integers(0, 30, 600)
    d = pa.stack_distances(stream)
    assert d[0] == -1
    for cap in (1, 4, 10, 25):
        lru, hits = OrderedDict(), 0
        for r in stream.tolist():
            if r in lru:
                hits += 1
                lru.move_to_end(r)
            else:
                lru[r] = True
                if len(lru) > cap:
                    lru.popitem(last=False)
        assert pa.hit_rate(d, cap) == hits / len(stream)


@pytest.fixture(scope="module")
def nets():
    c = _coords(2, D=16, p=0.15)
    return pa.trace_minkunet(c, widths=(8, 16, 32)), pa.trace_spvcnn(c, 2 * len(c), widths=(8, 16, 32))


def test_cost_model_monotonic(nets):
    mk, sp = nets
    small, big = pa.Accel(cache_kb=1.0), pa.Accel(cache_kb=512.0)
    assert pa.compare(mk, big)["accel_dram"] <= pa.compare(mk, small)["accel_dram"]
    assert pa.compare(sp, pa.Accel(fuse=True))["accel_dram"] < pa.compare(sp, pa.Accel(fuse=False))["accel_dram"]
    assert pa.compare(mk, pa.Accel(matrix=128))["accel_time"] <= pa.compare(mk, pa.Accel(matrix=16))["accel_time"]
    assert pa.compare(mk, pa.Accel(bandwidth=1024))["accel_time"] <= pa.compare(mk, pa.Accel(bandwidth=16))["accel_time"]
    d = pa.dram_vs_cache(mk, (0, 4, 64, 1024))
    assert (np.diff(d.gather_MB) <= 1e-9).all()
    f = pa.fusion_footprint(sp)
    assert len(f) == 3 and (f.peak_fused_KB < f.peak_unfused_KB).all()


def test_layer_trace_known_sizes():
    c = torch.tensor([[0, 0, 0, 0], [0, 1, 0, 0], [0, 4, 4, 4]], dtype=torch.int32)
    mk = pa.trace_minkunet(c, widths=(4, 8))
    stem = mk[0]
    assert (stem.n_in, stem.pairs) == (3, 5)  # 3 centres + the two neighbours see each other
    down = mk[2]
    assert down.n_out == 2 and down.pairs == 3


def test_bad_inputs():
    with pytest.raises(ValueError, match="k"):
        pa.knn_ranking(np.zeros((3, 3)), np.zeros((1, 3)), 5)
    with pytest.raises(ValueError, match="radius"):
        pa.ball_query_ranking(np.zeros((3, 3)), np.zeros((1, 3)), 0.0, 2)
    with pytest.raises(ValueError, match="points"):
        pa.knn_ranking(np.zeros((3, 2)), np.zeros((1, 3)), 1)
    with pytest.raises(ValueError, match="cache_kb"):
        pa.Accel(cache_kb=-1)
    with pytest.raises(ValueError, match="bandwidth"):
        pa.Accel(bandwidth=0)


def test_determinism_same_scene_same_numbers(nets):
    c = _coords(2, D=16, p=0.15)
    again = pa.trace_minkunet(c, widths=(8, 16, 32))
    assert pa.compare(again) == pa.compare(nets[0])


def test_issue16_bad_inputs_refused_before_the_kernels():
    # a large negative row index used to crash the numba kernel; NaN and -1 gave garbage
    for bad in (np.array([0, -(10**12), 1]), np.array([0, -1, 1]), np.array([0.0, np.nan])):
        with pytest.raises((ValueError, TypeError), match="stream"):
            pa.stack_distances(bad)
    with pytest.raises(TypeError, match="fuse"):
        pa.Accel(fuse="yes")
    with pytest.raises(TypeError, match="layers"):
        pa.compare([])


# ---------------------------------------------------------------- published baselines and static power
def test_static_energy_is_leakage_times_latency(nets):
    mk, _ = nets
    hw = pa.Accel(cache_kb=128.0, buffer_kb=32.0, leakage_mw_per_kb=2.0)
    a = pa.accel_cost(mk, hw)
    st = a[a.stage == "static"]
    assert len(st) == 1 and st.time.iloc[0] == 0.0
    assert st.energy.iloc[0] == pytest.approx(2.0e-3 * (128 + 32) * a.time.sum())
    dyn = pa.accel_cost(mk, pa.Accel(cache_kb=128.0, buffer_kb=32.0, leakage_mw_per_kb=0.0))
    assert dyn.time.sum() == pytest.approx(a.time.sum())
    assert dyn.energy.sum() == pytest.approx(a.energy.sum() - st.energy.iloc[0])


def test_shipped_table_has_sources_and_matches_the_model_constant():
    from lab.pointacc.model import LEAK_MW_PER_KB
    t = pa.gpu_baselines()
    assert t.id.is_unique and t.source.notna().all() and t.locator.notna().all()
    assert LEAK_MW_PER_KB == pytest.approx(t.set_index("id").value["leak_45hp_256"] / 256)
    g = pa.published_gpu_ms(t, "TorchSparse v1.0.0", "bandwidth")
    assert list(g.macs_div) == [1.0, 2.5, 4.0, 10.0]
    assert g.ms_1080ti.iloc[0] == 294.0 and g.ms_2080ti.iloc[0] == pytest.approx(294.0 * 484.4 / 616.0)
    assert (pa.published_gpu_ms(t, scaling="none").ms_2080ti == g.ms_1080ti).all()


def test_minkunet18c_trace_shares_maps_across_widths():
    c = _coords(3, D=16, p=0.2)
    d = pa.trace_minkunet18c(c, crs=(1.0, 0.5))
    full, half = d[1.0], d[0.5]
    assert len(full) == len(half) == 50
    assert [L.pairs for L in full] == [L.pairs for L in half]
    assert full[0].cout == 32 and half[0].cout == 16
    up = next(L for L in full if L.name.endswith("up1.res1.conv1"))
    assert up.cin == 256 + 128 and up.cout == 256      # concatenated skip
    assert sum(L.name.endswith("shortcut") for L in full) == 7


def test_published_comparison_ratios(nets):
    c = _coords(3, D=16, p=0.2)
    t = pa.gpu_baselines()
    g = pa.published_gpu_ms(t).head(2)
    mk = pa.trace_minkunet18c(c, crs=tuple(g.cr))
    df = pa.published_comparison(mk, g, pa.Accel(), power_w=100.0)
    r = df.iloc[0]
    assert r.speedup == pytest.approx(r.gpu_ms / r.accel_ms)
    assert r.energy_saving == pytest.approx(100.0 * r.gpu_ms / r.accel_mJ)
    assert r.energy_saving_dynamic > r.energy_saving > 1
    m = pa.published_claim(df, "speedup", 1.0)
    assert m.value == round(r.speedup, 2) and m.holds
    with pytest.raises(ValueError, match="nets"):
        pa.published_comparison({0.7: mk[1.0]}, g)


@pytest.mark.parametrize("name", ["tflops", "bandwidth", "power"])
def test_gpu_bounds_every_rate(name):
    """Each of the GPU's rates has the documented upper bound (1e6), not only the last one checked."""
    from lab.pointacc.model import GPU

    with pytest.raises(ValueError, match=name):
        GPU(**{name: 1e7})


def test_a_conv_layer_without_an_access_stream_is_costed_with_the_cache_on():
    """A conv layer built without its gather stream counts every gather as a miss (it crashed in hit_rate)."""
    from lab.pointacc.model import Accel, Layer, accel_cost

    L = Layer(name="c", kind="conv", n_in=100, n_out=100, cin=8, cout=8, pairs=500, kvol=27, group="g")
    cost = accel_cost([L], Accel()).set_index("stage")
    assert cost.loc["gather", "dram_bytes"] >= 500 * 8  # every pair's features from DRAM
