"""Unit tests of lab.sparseconv: exact agreement with dense conv3d and with spconv."""
import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from lab import sparseconv as sc
from lab.data import lidar

D = 8


def _scene(seed=0, D=D, p=0.25, batch=2, C=3):
    g = torch.Generator().manual_seed(seed)
    coords = (torch.rand(batch, D, D, D, generator=g) < p).nonzero().to(torch.int32).contiguous()
    feats = torch.randint(-3, 4, (coords.shape[0], C), generator=g).to(torch.float64)
    return sc.SparseTensor(coords, feats)


def _int_weights(conv, seed=1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        conv.weight.copy_(torch.randint(-2, 3, conv.weight.shape, generator=g).to(conv.weight.dtype))
    return conv


def _at(dense, coords, step=1):
    c = coords.long()
    return dense[c[:, 0], :, c[:, 1] // step, c[:, 2] // step, c[:, 3] // step]


def _dense_w(w, k, cin, cout):  # [K, Cin, Cout] -> conv3d [Cout, Cin, k, k, k]
    return w.detach().reshape(k, k, k, cin, cout).permute(4, 3, 0, 1, 2)


# ------------------------------------------------------------------ hashing and maps
def test_hash_roundtrip_and_order():
    c = torch.tensor([[0, -5, 3, 7], [1, 0, 0, 0], [0, -5, 3, 8], [0, 100, -200, 5]], dtype=torch.int32)
    k = sc.hash_coords(c)
    assert torch.equal(sc.unhash_keys(k), c)
    # keys sort lexicographically by (b, x, y, z)
    lex = sorted(range(4), key=lambda i: tuple(c[i].tolist()))
    assert torch.argsort(k).tolist() == lex
    # shifting by an offset adds its key increment
    d = torch.tensor([[1, -1, 2]])
    shifted = c.clone()
    shifted[:, 1:] += d.to(torch.int32)
    assert torch.equal(sc.hash_coords(shifted), k + sc.offset_key(d))


def test_rank_lookup_known_answer():
    keys = torch.tensor([2, 5, 9, 11])
    assert sc.rank_lookup(keys, torch.tensor([5, 6, 11, 1, 12])).tolist() == [1, -1, 3, -1, -1]


def test_kernel_map_matches_brute_force():
    x = _scene(3, D=6, p=0.3, batch=1)
    km, _, _ = sc.get_kernel_map(x, 3)
    c = x.coords.long()
    offs = sc.kernel_offsets(3)
    for k in range(27):
        ii, oi = km.pairs(k)
        brute = {(a, b) for b in range(len(c)) for a in range(len(c))
                 if torch.equal(c[a, 1:] - c[b, 1:], offs[k]) and c[a, 0] == c[b, 0]}
        assert set(zip(ii.tolist(), oi.tolist())) == brute
    # symmetric offsets have equal map sizes in a submanifold conv
    assert torch.equal(km.sizes, km.sizes.flip(0))
    assert km.identity_offset == 13


@pytest.mark.parametrize("stride", [1, 2])
def test_merge_and_search_maps_identical(stride):
    x = _scene(11, D=10, p=0.3)
    offs = sc.kernel_offsets(3)
    out = x.keys() if stride == 1 else sc.hash_coords(sc.downsample_coords(x.coords, 2))
    a = sc.build_kernel_map(x.keys(), out, offs, submanifold=stride == 1, method="merge")
    b = sc.build_kernel_map(x.keys(), out, offs, submanifold=stride == 1, method="search")
    assert torch.equal(a.sizes, b.sizes) and a.identity_offset == b.identity_offset
    for k in range(27):
        pa, pb = a.pairs(k), b.pairs(k)
        assert sorted(zip(*[t.tolist() for t in pa])) == sorted(zip(*[t.tolist() for t in pb]))


def test_sparse_quantize():
    pts = np.array([[0.1, 0.2, 0.3], [0.4, 0.1, 0.0], [1.2, 0.0, 0.0], [-0.1, 0, 0]])
    vc, inv, first = sc.sparse_quantize(pts, 0.5)
    assert vc.tolist() == [[-1, 0, 0], [0, 0, 0], [2, 0, 0]]
    assert inv.tolist() == [1, 1, 2, 0]
    assert first.tolist() == [3, 0, 2]
    with pytest.raises(ValueError, match="voxel_size"):
        sc.sparse_quantize(pts, 0.0)
    with pytest.raises(ValueError, match="points"):
        sc.sparse_quantize(pts[:, :2], 0.5)


# ------------------------------------------------------------------ dense equality (exact)
@pytest.mark.parametrize("mode,eps,S", [("grouped", 0.0, 1 << 30), ("grouped", 0.5, 1 << 30),
                                        ("grouped", 1.0, 200), ("separate", 0.3, 0), ("naive", 0.3, 0)])
@pytest.mark.parametrize("dilation", [1, 2])
def test_submanifold_equals_dense_conv3d(mode, eps, S, dilation):
    x = _scene(0)
    conv = _int_weights(sc.Conv3d(3, 5, 3, dilation=dilation, mode=mode, eps=eps, S=S).double())
    y = conv(x)
    ref = F.conv3d(x.dense((D, D, D)), _dense_w(conv.weight, 3, 3, 5), padding=dilation, dilation=dilation)
    assert torch.equal(y.coords, x.coords) and y.stride == 1
    assert torch.equal(y.feats, _at(ref, x.coords))


@pytest.mark.parametrize("mode", ["grouped", "separate", "naive"])
def test_strided_and_transposed_equal_dense(mode):
    x = _scene(1)
    down = _int_weights(sc.Conv3d(3, 4, 3, stride=2, mode=mode).double(), 2)
    y = down(x)
    ref = F.conv3d(x.dense((D, D, D)), _dense_w(down.weight, 3, 3, 4), stride=2, padding=1)
    assert y.stride == 2 and torch.equal(y.feats, _at(ref, y.coords, 2))
    # every output voxel is the floor(x / 2) * 2 of some input voxel, and vice versa
    expect = sc.downsample_coords(x.coords, 2)
    assert torch.equal(y.coords, expect)
    up = _int_weights(sc.Conv3d(4, 2, 3, stride=2, transposed=True, mode=mode).double(), 3)
    z = up(y)
    wt = up.weight.detach().reshape(3, 3, 3, 4, 2).permute(3, 4, 0, 1, 2)
    dref = F.conv_transpose3d(y.dense((D // 2,) * 3), wt, stride=2, padding=1, output_padding=1)
    assert z.stride == 1 and torch.equal(z.coords, x.coords)
    assert torch.equal(z.feats, _at(dref, z.coords))


def test_transposed_reuses_cached_map():
    x = _scene(2)
    y = sc.Conv3d(3, 4, 3, stride=2).double()(x)
    n = len(x.kmaps)
    key = (1, 3, 2, 1)
    assert key in x.kmaps and y.kmaps is x.kmaps
    km = x.kmaps[key]
    z = sc.Conv3d(4, 3, 3, stride=2, transposed=True).double()(y)
    assert len(x.kmaps) == n and x.kmaps[key] is km and z.kmaps is x.kmaps


def test_kernel_size_one_and_bias():
    x = _scene(4)
    conv = sc.Conv3d(3, 2, 1, bias=True).double()
    with torch.no_grad():
        conv.bias.fill_(0.5)
    y = conv(x)
    assert torch.allclose(y.feats, x.feats @ conv.weight[0] + 0.5)


def test_gradients_flow_and_match_dense():
    x = _scene(5, C=2)
    x.feats.requires_grad_(True)
    conv = sc.Conv3d(2, 3, 3).double()
    conv(x).feats.square().sum().backward()
    g_sparse = conv.weight.grad.clone()
    dense = x.dense((D, D, D)).detach()
    w = _dense_w(conv.weight, 3, 2, 3).clone().requires_grad_(True)
    mask = x.dense((D, D, D)).detach().abs().sum(1, keepdim=True) >= 0  # all sites
    occ = torch.zeros(2, 1, D, D, D, dtype=torch.float64)
    c = x.coords.long()
    occ[c[:, 0], 0, c[:, 1], c[:, 2], c[:, 3]] = 1
    (F.conv3d(dense, w, padding=1) * occ * mask).square().sum().backward()
    assert torch.allclose(g_sparse, w.grad.permute(2, 3, 4, 1, 0).reshape(27, 2, 3))


# ------------------------------------------------------------------ grouping
def test_group_plan_rules():
    x = _scene(6)
    km, _, _ = sc.get_kernel_map(x, 3)
    p0 = sc.plan_groups(km, eps=-1.0)
    assert all(len(g) == 1 for g in p0.groups) and not any(p0.batched)  # no grouping
    pairs = sc.plan_groups(km, eps=0.0)
    assert all(len(g) % 2 == 0 for g in pairs.groups)  # symmetric pairs have equal sizes
    p1 = sc.plan_groups(km, eps=1.0)
    assert len(p1.groups) == 1 and p1.batched == [True]
    assert sorted(k for g in p1.groups for k in g) == [k for k in range(27) if k != 13]
    for eps in (0.1, 0.3, 0.6):
        p = sc.plan_groups(km, eps=eps)
        for g in p.groups:
            s = km.sizes[g].double()
            # a pair unit is atomic; every merge kept redundancy <= eps
            assert len(g) <= 2 or 1 - s.min() / s.max() <= eps + 1e-9
    assert sc.plan_groups(km, eps=1.0, S=0).batched == [False]
    assert p1.redundant_rows(km.sizes) == int(km.sizes[p1.groups[0]].max() * 26 - km.sizes[p1.groups[0]].sum())


# ------------------------------------------------------------------ point <-> voxel
def test_voxelize_scatter_mean_and_devoxelize_exact_on_linear_field():
    pts = torch.tensor([[0, 0.2, 0.3, 0.1], [0, 0.7, 0.1, 0.9], [0, 2.5, 0.0, 0.0], [1, 0.5, 0.5, 0.5]])
    f = torch.tensor([[1.0], [3.0], [5.0], [7.0]])
    v = sc.voxelize(sc.PointTensor(pts, f), stride=2)
    assert v.stride == 2
    assert v.coords.tolist() == [[0, 0, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0]]
    assert v.feats[:, 0].tolist() == [2.0, 5.0, 7.0]
    # a field linear in the voxel centres is reproduced exactly inside the grid
    g = torch.stack(torch.meshgrid(*[torch.arange(4)] * 3, indexing="ij"), -1).reshape(-1, 3)
    coords = torch.cat([torch.zeros(len(g), 1, dtype=torch.long), g * 2], 1)
    a = torch.tensor([1.0, 2.0, -1.0], dtype=torch.float64)
    x = sc.SparseTensor(coords, ((g * 2 + 1).double() @ a)[:, None], stride=2)
    q = torch.rand(40, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 6 + 1
    p = sc.PointTensor(torch.cat([torch.zeros(40, 1, dtype=torch.float64), q], 1), torch.zeros(40, 1).double())
    assert torch.allclose(sc.devoxelize(x, p)[:, 0], q @ a)


def test_global_pool():
    x = _scene(7)
    m = sc.global_avg_pool(x)
    b0 = x.coords[:, 0] == 0
    assert m.shape == (2, 3) and torch.allclose(m[0], x.feats[b0].mean(0))
    assert torch.allclose(sc.global_max_pool(x)[1], x.feats[~b0].max(0).values)


def test_modules_chain():
    x = _scene(8).replace(_scene(8).feats.float())
    net = torch.nn.Sequential(sc.Conv3d(3, 8, 3), sc.BatchNorm(8), sc.ReLU(), sc.Conv3d(8, 8, 3, stride=2))
    y = net(x)
    assert y.feats.shape[1] == 8 and y.stride == 2 and bool((y.feats != 0).any())


# ------------------------------------------------------------------ bad inputs
def test_bad_inputs():
    c = torch.zeros(3, 4, dtype=torch.int32)
    with pytest.raises(ValueError, match="coords"):
        sc.SparseTensor(torch.zeros(3, 3, dtype=torch.int32), torch.zeros(3, 2))
    with pytest.raises(TypeError, match="coords"):
        sc.SparseTensor(c.float(), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="feats"):
        sc.SparseTensor(c, torch.zeros(2, 2))
    with pytest.raises(ValueError, match="stride"):
        sc.SparseTensor(c + 1, torch.zeros(3, 2), stride=2)
    with pytest.raises(ValueError, match="kernel_size"):
        sc.Conv3d(2, 2, kernel_size=0)
    with pytest.raises(ValueError, match="mode"):
        sc.Conv3d(2, 2, mode="fast")
    with pytest.raises(ValueError, match="eps"):
        sc.Conv3d(2, 2, eps=2.0)
    with pytest.raises(ValueError, match="coords x, y, z"):
        sc.hash_coords(torch.tensor([[0, 40000, 0, 0]]))
    x = _scene(0)
    with pytest.raises(ValueError, match="transposed"):
        sc.Conv3d(3, 3, 3, stride=2, transposed=True).double()(x)
    with pytest.raises(ValueError, match="stride"):
        sc.voxelize(sc.PointTensor(torch.zeros(2, 4), torch.zeros(2, 1)), stride=0)


def test_determinism_same_seed_same_output():
    outs = []
    for _ in range(2):
        torch.manual_seed(0)
        x = _scene(9).replace(_scene(9).feats.float())
        outs.append(sc.Conv3d(3, 4, 3)(x).feats)
    assert torch.equal(outs[0], outs[1])


# ------------------------------------------------------------------ spconv (the [bench] extra)
spconv_pt = pytest.importorskip("spconv.pytorch", reason="spconv is not installed (the [bench] extra)")


def _match(a_coords, b_coords):
    kb = sc.hash_coords(b_coords)
    order = torch.argsort(kb)
    pos = sc.rank_lookup(kb[order], sc.hash_coords(a_coords))
    assert bool((pos >= 0).all())
    return order[pos]


@pytest.fixture
def one_thread():
    """spconv's CPU kernels (2.3.8) sometimes return a wrong row when torch runs them on
    several threads; on one thread they are exact. Its indices must be contiguous int32
    (it reads the raw buffer), and Native is its only CPU algorithm."""
    from lab.core.device import one_thread as single

    with single():
        yield


def test_equals_spconv_subm_strided_inverse(one_thread):
    from spconv.core import ConvAlgo
    x = _scene(10, D=10, p=0.2)
    x = x.replace(x.feats.float())
    sub = _int_weights(sc.Conv3d(3, 4, 3))
    ref = spconv_pt.SubMConv3d(3, 4, 3, bias=False, indice_key="s1", algo=ConvAlgo.Native)
    down = _int_weights(sc.Conv3d(4, 5, 3, stride=2), 2)
    rdown = spconv_pt.SparseConv3d(4, 5, 3, stride=2, padding=1, bias=False, indice_key="d1", algo=ConvAlgo.Native)
    up = _int_weights(sc.Conv3d(5, 2, 3, stride=2, transposed=True), 3)
    rup = spconv_pt.SparseInverseConv3d(5, 2, 3, indice_key="d1", bias=False, algo=ConvAlgo.Native)
    with torch.no_grad():  # spconv weight layout: [C_out, kx, ky, kz, C_in]
        for m, r in ((sub, ref), (down, rdown), (up, rup)):
            r.weight.copy_(m.weight.reshape(3, 3, 3, m.in_channels, m.out_channels).permute(4, 0, 1, 2, 3))
    y = sub(x)
    t = spconv_pt.SparseConvTensor(x.feats.contiguous(), x.coords.contiguous(), [10] * 3, 2)
    with torch.no_grad():  # copy each result at once: a later spconv call may reuse its buffers
        ty = ref(t)
        ty_f, ty_i = ty.features.clone(), ty.indices.clone()
        td = rdown(ty)
        td_f, td_i = td.features.clone(), td.indices.clone()
        tu = rup(td)
        tu_f, tu_i = tu.features.clone(), tu.indices.clone()
    assert torch.equal(y.feats, ty_f[_match(y.coords, ty_i)])
    yd = down(y)
    # spconv's strided conv also creates outputs reached only by border offsets; on the
    # outputs both engines create, the values agree exactly
    sd_coords = td_i.clone()
    sd_coords[:, 1:] *= 2
    assert torch.equal(yd.feats, td_f[_match(yd.coords, sd_coords)])
    assert set(sc.hash_coords(yd.coords).tolist()) <= set(sc.hash_coords(sd_coords).tolist())
    # inverse conv: compare on spconv's own downsampled set, fed through our transposed map
    ycoarse = sc.SparseTensor(sd_coords, td_f, stride=2, kmaps={}, cmaps={1: x.coords})
    z = up(ycoarse)
    assert torch.equal(z.coords, x.coords)
    assert torch.equal(z.feats, tu_f[_match(z.coords, tu_i)])


# ------------------------------------------------------------------ measurement helpers (lab.sparseconv.perf, lab.data.lidar)
def test_lidar_scene_deterministic_and_unique():
    from lab.data import lidar
    a, b = lidar.lidar_scene(800, seed=3), lidar.lidar_scene(800, seed=3)
    assert a.shape == (800, 4) and a.dtype == torch.int32 and torch.equal(a, b)
    assert torch.unique(sc.hash_coords(a)).numel() == 800 and int(a[:, 1:].min()) == 0
    assert not torch.equal(a, lidar.lidar_scene(800, seed=4))
    with pytest.raises(ValueError, match="n_voxels"):
        lidar.lidar_scene(0)


def test_data_movement_known_answer():
    c = torch.tensor([[0, 0, 0, 0], [0, 1, 0, 0]], dtype=torch.int32)  # 4 pairs: 2 centre + 2 neighbours
    dm = sc.data_movement(c, 1, 1, tile=1).set_index(["scheme", "stage"])["bytes"]
    assert dm["unfused fp32", "gather"] == 8 * 4 + 2 * 4 * 4
    assert dm["unfused fp32", "matmul"] == 4 * 4 * 2
    assert dm["unfused fp32", "scatter"] == 8 * 4 + 4 * 4 + 2 * 4 * 4
    assert dm["fused fp16 + locality", "scatter"] == 8 * 4 + 2 * 2


def test_tuned_conv_is_still_exact():
    x = _scene(12)
    conv = _int_weights(sc.Conv3d(3, 4, 3).double())
    eps, S = sc.tune_conv(conv, x, repeats=1)
    assert (conv.eps, conv.S) == (eps, S)
    ref = F.conv3d(x.dense((D, D, D)), _dense_w(conv.weight, 3, 3, 4), padding=1)
    assert torch.equal(conv(x).feats, _at(ref, x.coords))
    with pytest.raises(ValueError, match="conv"):
        sc.tune_conv(sc.Conv3d(3, 4, 3, stride=2), x)


def test_issue16_bad_inputs_refused():
    keys = sc.hash_coords(_scene(1).coords)
    with pytest.raises(ValueError, match="in_keys"):
        sc.build_kernel_map(keys[:0], keys, sc.kernel_offsets(3))
    unsorted = torch.sort(keys).values.flip(0)
    with pytest.raises(ValueError, match="sorted"):
        sc.rank_lookup(unsorted, keys[:3])
    x = _scene(2)
    for bad in (-2, 0, 1.5):
        with pytest.raises((ValueError, TypeError), match="stride"):
            sc.get_kernel_map(x, 3, stride=bad)
        with pytest.raises((ValueError, TypeError), match="new_stride"):
            sc.downsample_coords(x.coords, bad)
    from lab.data import lidar
    with pytest.raises(ValueError, match="voxel_size"):
        lidar.lidar_scene(1000, voxel_size=1e12)


# ------------------------------------------------------------------ the inference fast path and the tuner
@pytest.mark.parametrize("mode,eps,S", [("grouped", 0.0, 1 << 30), ("grouped", 0.5, 1 << 30), ("grouped", 1.0, 1 << 30),
                                        ("grouped", 1.0, 200), ("separate", 0.3, 0), ("naive", 0.3, 0)])
def test_no_grad_workspace_path_equals_dense(mode, eps, S):
    # without autograd the executor writes into preallocated workspaces; still exact
    x = _scene(13)
    conv = _int_weights(sc.Conv3d(3, 5, 3, mode=mode, eps=eps, S=S).double())
    ref = F.conv3d(x.dense((D, D, D)), _dense_w(conv.weight, 3, 3, 5), padding=1)
    with torch.no_grad():
        y = conv(x)
        km = sc.get_kernel_map(x, 3)[0]
        again = sc.apply_kernel_map(x.feats, conv.weight, km, mode, eps, S)  # cached plan, reused workspace sizes
    assert torch.equal(y.feats, _at(ref, x.coords)) and torch.equal(again, y.feats)
    assert torch.equal(conv(x).feats, y.feats)  # the autograd path agrees


def test_finite_check_by_sum_and_fallback():
    from lab.sparseconv.functional import _all_finite
    assert _all_finite(torch.ones(5)) and _all_finite(torch.zeros(0))
    big = torch.full((4,), 3e38)  # finite entries whose sum overflows: the element-wise test decides
    assert _all_finite(big)
    for bad in (float("nan"), float("inf"), -float("inf")):
        t = torch.ones(6)
        t[3] = bad
        assert not _all_finite(t)
    x = _scene(0)
    f = x.feats.clone()
    f[0, 0] = float("nan")
    km = sc.get_kernel_map(x, 3)[0]
    with pytest.raises(ValueError, match="feats must be finite"):
        sc.apply_kernel_map(f, torch.zeros(27, 3, 2, dtype=torch.float64), km)


def test_round_robin_rotates_and_counts():
    from lab.sparseconv.perf import _round_robin
    order = []
    runs = {n: (lambda t, n=n: order.append(n)) for n in "abc"}
    out = _round_robin(runs, repeats=4, warmup=1)
    assert {n: len(v) for n, v in out.items()} == {"a": 4, "b": 4, "c": 4}
    assert order[:3] == list("abc") and order[3:6] == list("bca") and order[6:9] == list("cab")


def test_tuner_always_times_the_separate_path_and_never_picks_a_slower_plan():
    from lab.data import lidar
    coords = lidar.lidar_scene(1500, seed=0)
    eps, S, df = sc.tune_layer(coords, 8, 8, eps_grid=(0.0, 0.3, 1.0), S_grid=(1 << 30,), repeats=3, margin=0.02)
    sep = df[df.eps < 0]
    assert len(sep) == 1 and sep.batched.iloc[0] == 0  # separate is a candidate though not in eps_grid
    assert set(df.eps) == {-1.0, 0.0, 0.3, 1.0}
    if eps < 0:
        assert S == 1 << 30
    else:  # a grouping is picked only when its median beats the separate path by the margin
        row = df[(df.eps == eps) & (df.S == S)].iloc[0]
        assert row.compute <= 0.98 * sep.compute.iloc[0] + 1e-12
        assert row.compute == df.compute.min()


def test_tune_conv_times_the_layer_on_its_input():
    x = _scene(14)
    x = x.replace(x.feats.float())
    conv = sc.Conv3d(3, 6, 3)
    eps, S = sc.tune_conv(conv, x, repeats=2, eps_grid=(-1.0, 0.0, 1.0), S_grid=(1 << 30,))
    assert (eps, S) == (conv.eps, conv.S) and (S == 0 or eps >= 0)
    with pytest.raises(ValueError, match="in_channels"):
        sc.tune_conv(sc.Conv3d(4, 6, 3), x)
    with pytest.raises(TypeError, match="unknown"):
        sc.tune_conv(conv, x, eps=0.3)


def test_benchmark_table_interleaved():
    df = sc.benchmark((400,), (4,), repeats=2, naive=True)
    names = set(df.engine)
    assert {"grouped (tuned)", "separate", "naive"} <= names
    assert (df.total > 0).all() and len(df) == len(names)
    if "spconv" in names:
        r = sc.spconv_ratio(df)
        assert "ratio" in r and (r.ratio > 0).all()


# ---------------------------------------------------------------- deterministic grouping counts, committed bench
def test_grouping_plans_known_answer_and_deterministic():
    c = lidar.lidar_scene(1500, 0)
    df = sc.grouping_plans(c, (0.0, 1.0), 4, 2)
    assert df.eps.tolist() == [-1.0, 0.0, 1.0]
    sep, e0, e1 = (df.iloc[i] for i in range(3))
    km = sc.get_kernel_map(sc.SparseTensor(c, torch.zeros(len(c), 1)), 3)[0]
    assert sep.calls == int((km.sizes > 0).sum()) and sep.redundant_flops_pct == 0.0
    assert e0.redundant_flops_pct == 0.0 and e0.calls < sep.calls      # equal-sized symmetric pairs batch for free
    assert e1.groups == 1 and e1.calls == 2                               # one batch + the centre
    top = int(np.delete(km.sizes.numpy(), km.identity_offset).max())
    assert e1.rows == km.volume + (26 * top - (km.volume - int(km.sizes[km.identity_offset])))
    assert e1.matmul_mflop == pytest.approx(2 * e1.rows * 4 * 2 / 1e6)
    pd.testing.assert_frame_equal(df, sc.grouping_plans(c, (0.0, 1.0), 4, 2))


def test_grouping_check_is_zero_and_catches_a_wrong_plan(monkeypatch):
    c = lidar.lidar_scene(800, 1)
    assert sc.grouping_check(c, seed=3) == 0.0
    from lab.sparseconv import functional as F
    real = F.plan_groups

    def broken(km, eps=0.3, S=1 << 30):        # drops the last group: its offsets are never computed
        p = real(km, eps, S)
        return F.GroupPlan(p.groups[:-1], p.batched[:-1], p.eps, p.S)
    monkeypatch.setattr(F, "plan_groups", broken)
    assert sc.grouping_check(c, eps_grid=(0.3,), S_grid=(1 << 30,), seed=3) > 0


def test_bench_file_roundtrip_and_summary(tmp_path):
    df = sc.benchmark((300,), (4,), repeats=1, naive=False)
    path = tmp_path / "b.csv"
    sc.write_bench(df, path, {"machine": "test box", "date": "today"})
    back, meta = sc.load_bench(path)
    assert meta == {"machine": "test box", "date": "today"}
    assert list(back.columns) == list(sc.BENCH_COLUMNS) and len(back) == len(df)
    s = sc.bench_summary(back)
    assert {"tuned eps", "separate / tuned", "matmul separate / tuned"} <= set(s.columns)
    with pytest.raises(ValueError, match="path"):
        sc.load_bench(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="df must hold engine"):
        sc.bench_summary(back[back.engine != "separate"])
    with pytest.raises(ValueError, match="df"):
        sc.bench_summary(back.iloc[:0])


def test_committed_bench_file_is_a_benchmark_table():
    df, meta = sc.load_bench()
    assert {"machine", "date", "commit"} <= set(meta)
    assert {"grouped (tuned)", "separate"} <= set(df.engine)
    assert sorted(set(df.voxels)) == [10000, 50000, 200000]


def test_tradeoff_figure_refuses_tables_it_cannot_draw():
    df = sc.grouping_plans(lidar.lidar_scene(500, 0), (0.0,))
    sc.tradeoff_figure(df)
    with pytest.raises(ValueError, match="df"):
        sc.tradeoff_figure(df[df.eps < 0])
    with pytest.raises(ValueError, match="df"):
        sc.tradeoff_figure(df.drop(columns="calls"))
