"""Unit tests of lab.calo (notebook 09): events, clustering, PQ, networks, views."""
import numpy as np
import pytest
import torch

from lab import calo

SMALL = dict(particles=(2, 3), energy_gev=(3.0, 20.0), dep_per_gev=8.0)


def _has_engine() -> bool:
    import importlib.util

    return importlib.util.find_spec("lab.sparseconv") is not None


@pytest.fixture
def one_thread():
    """One torch thread, as the notebook runs: the GNN's gather backward sums in a
    thread-dependent order on several threads, so bit-for-bit equality needs one."""
    from lab.core.device import one_thread as single

    with single():
        yield


needs_engine = pytest.mark.skipif(not _has_engine(), reason="lab.sparseconv (the sparse-conv engine) is not there")


# ----------------------------------------------------------------------------- the calorimeter
def test_event_shapes_units_and_truth():
    g = calo.Geometry()
    ev = calo.generate_event(3, g, **SMALL)
    n = ev.n_hits
    assert ev.xyz.shape == (n, 3) and ev.cell.shape == (n, 3) and ev.energy.shape == (n,)
    assert np.all(ev.energy >= g.threshold_gev)
    assert np.all((ev.xyz >= 0) & (ev.xyz <= g.extent_cm))
    assert np.all((ev.cluster >= -1) & (ev.cluster < len(ev.kinds)))
    assert (ev.cluster == calo.NOISE).any() and (ev.cluster >= 0).any()
    # one hit per cell, and positions are cell centres
    assert len(np.unique(ev.cell, axis=0)) == n
    np.testing.assert_allclose(ev.xyz, ev.cell + 0.5)


def test_em_showers_are_shallower_and_narrower_than_hadronic():
    def profile(em_fraction):
        depth, width = [], []
        for e in calo.generate_events(30, 5, particles=(1, 1), em_fraction=em_fraction, noise_hits=0.0,
                                      energy_gev=(10.0, 10.0)):
            w = e.energy
            c = np.average(e.xyz, axis=0, weights=w)
            depth.append(c[2])
            width.append(np.sqrt(np.average(((e.xyz[:, :2] - c[:2]) ** 2).sum(1), weights=w)))
        return np.mean(depth), np.mean(width)

    d_em, w_em = profile(1.0)
    d_had, w_had = profile(0.0)
    assert d_em < d_had and w_em < w_had


def test_energy_is_conserved_per_event_up_to_threshold_and_leakage():
    ev = calo.generate_event(11, energy_gev=(10.0, 10.0), particles=(1, 1), em_fraction=1.0, noise_hits=0.0)
    # EM energy is fully visible (sampling fluctuations have mean 1); a few % leak or fall below threshold
    assert 0.8 * 10.0 < ev.energy.sum() < 1.2 * 10.0


def test_generator_bad_inputs():
    with pytest.raises(ValueError, match="particles"):
        calo.generate_event(0, particles=(3, 2))
    with pytest.raises(ValueError, match="em_fraction"):
        calo.generate_event(0, em_fraction=1.5)
    with pytest.raises(TypeError, match="seed"):
        calo.generate_event(0.5)
    with pytest.raises(ValueError, match="nz"):
        calo.Geometry(nz=2)


# ----------------------------------------------------------------------------- panoptic quality
def test_pq_hand_computed():
    c = calo.panoptic_quality([0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 1])
    # IoU(g0, p0) = 3/4, IoU(g1, p1) = 4/5: two TP, SQ = 0.775, RQ = 1
    assert (c.tp, c.fp, c.fn) == (2, 0, 0)
    assert c.sq == pytest.approx(0.775) and c.rq == 1.0 and c.pq == pytest.approx(0.775)


def test_pq_iou_of_exactly_one_half_does_not_match():
    c = calo.panoptic_quality([0, 0, 0, 0, 1, 1], [0, 0, 2, 2, 1, 3])
    assert (c.tp, c.fp, c.fn) == (0, 4, 2) and c.pq == 0.0


def test_pq_noise_is_void():
    # predicted hits on truth noise leave the union; a prediction made of noise is no FP
    c = calo.panoptic_quality([0, 0, 0, -1, -1, -1], [0, 0, 0, 0, 1, 1])
    assert (c.tp, c.fp, c.fn) == (1, 0, 0) and c.pq == 1.0
    # truth hits predicted as noise lower the IoU
    c = calo.panoptic_quality([0, 0, 0, 0], [0, 0, 0, -1])
    assert c.pq == pytest.approx(0.75)


def test_pq_energy_weighted_hand_computed():
    t, p, e = [0, 0, 1, 1], [0, 1, 1, 1], [3.0, 1.0, 1.0, 1.0]
    ce = calo.panoptic_quality(t, p, e)
    # energy IoU: g0 (4 GeV) vs p0 (3 GeV) = 3/4; g1 (2 GeV) vs p1 (3 GeV) = 2/3; both match
    assert ce.pq == pytest.approx((4 * 0.75 + 2 * 2 / 3) / 6)
    c = calo.panoptic_quality(t, p)
    # by hit counts: IoU(g0, p0) = 1/2 (no match), IoU(g1, p1) = 2/3: TP 1, FP 1, FN 1
    assert (c.tp, c.fp, c.fn) == (1, 1, 1) and c.pq == pytest.approx((2 / 3) / 2)


def test_pq_counts_add_over_events():
    a = calo.panoptic_quality([0, 0, 1], [0, 0, 1])
    b = calo.panoptic_quality([0, 0], [1, 2])
    s = a + b
    assert (s.tp, s.fp, s.fn) == (2, 2, 1)
    assert s.pq == pytest.approx(2 / (2 + 1 + 0.5))


def test_pq_bad_inputs():
    with pytest.raises(ValueError, match="pred"):
        calo.panoptic_quality([0, 1], [0])
    with pytest.raises(ValueError, match="iou_threshold"):
        calo.panoptic_quality([0], [0], iou_threshold=0.3)
    with pytest.raises(TypeError, match="truth"):
        calo.panoptic_quality([0.5], [0])


# ----------------------------------------------------------------------------- loss and clustering
def _loss_reference(emb, cluster, event, dv, dd, reg, normalize, p):
    """The discriminative loss written as plain loops (the authors' form: per event, pull
    averaged over clusters, push over ordered pairs, L-p distances, optional unit sphere)."""
    if normalize:
        emb = emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-8)
    per_event = []
    for b in np.unique(event):
        m = (event == b) & (cluster >= 0)
        ids = np.unique(cluster[m])
        if len(ids) == 0:
            continue
        mus = [emb[m & (cluster == c)].mean(0) for c in ids]
        pull = np.mean([np.mean(np.maximum(np.linalg.norm(emb[m & (cluster == c)] - mu, ord=p, axis=1) - dv, 0) ** 2)
                        for c, mu in zip(ids, mus)])
        pairs = [max(2 * dd - np.linalg.norm(mus[i] - mus[j], ord=p), 0) ** 2
                 for i in range(len(ids)) for j in range(len(ids)) if i != j]
        push = np.mean(pairs) if pairs else 0.0
        per_event.append((pull, push, np.mean([np.linalg.norm(mu) for mu in mus])))
    pe = np.array(per_event)
    return pe[:, 0].mean(), pe[:, 1].mean(), pe[:, 2].mean(), pe[:, 0].mean() + pe[:, 1].mean() + reg * pe[:, 2].mean()


@pytest.mark.parametrize("normalize,p,reg", [(True, 1, 0.0), (False, 2, 0.01), (True, 2, 0.0)])
def test_discriminative_loss_matches_loop_reference(normalize, p, reg):
    rng = np.random.default_rng(0)
    emb = rng.normal(0, 1.2, (60, 3))
    cluster = rng.integers(-1, 4, 60)
    event = np.sort(rng.integers(0, 3, 60))
    total, parts = calo.discriminative_loss(torch.tensor(emb), torch.tensor(cluster), torch.tensor(event),
                                            normalize=normalize, p=p, reg=reg)
    pull, push, r, tot = _loss_reference(emb, cluster, event, calo.DELTA_V, calo.DELTA_D, reg, normalize, p)
    assert float(parts["pull"]) == pytest.approx(pull, rel=1e-9)
    assert float(parts["push"]) == pytest.approx(push, rel=1e-9)
    assert float(parts["reg"]) == pytest.approx(r, rel=1e-9)
    assert float(total) == pytest.approx(tot, rel=1e-9)


def test_discriminative_loss_defaults_are_the_authors():
    """Unit-sphere embeddings and L1 distances by default: scaling an embedding changes nothing."""
    rng = np.random.default_rng(1)
    emb = torch.tensor(rng.normal(size=(20, 8)))
    cl, ev = torch.tensor(rng.integers(0, 3, 20)), torch.zeros(20, dtype=torch.long)
    a, _ = calo.discriminative_loss(emb, cl, ev)
    b, _ = calo.discriminative_loss(emb * 7.0, cl, ev)
    assert float(a) == pytest.approx(float(b), rel=1e-6)
    with pytest.raises(ValueError, match="p"):
        calo.discriminative_loss(emb, cl, ev, p=3)


def test_discriminative_loss_is_zero_for_tight_far_clusters():
    emb = torch.tensor([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [5.0, 0.1]])
    total, parts = calo.discriminative_loss(emb, torch.tensor([0, 0, 1, 1]), torch.zeros(4, dtype=torch.long),
                                            normalize=False, p=2, reg=0.0)
    assert float(parts["pull"]) == 0.0 and float(parts["push"]) == 0.0 and float(total) == 0.0


def test_discriminative_loss_bad_inputs():
    with pytest.raises(ValueError, match="cluster"):
        calo.discriminative_loss(torch.zeros(4, 2), torch.zeros(3, dtype=torch.long), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="delta_v"):
        calo.discriminative_loss(torch.zeros(4, 2), torch.zeros(4, dtype=torch.long),
                                 torch.zeros(4, dtype=torch.long), delta_v=0)


def test_mean_shift_matches_scikit_learn():
    from sklearn.cluster import MeanShift
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(1)
    for _ in range(3):
        x = np.concatenate([rng.normal(c, 0.3, (40, 4)) for c in rng.normal(0, 3, (5, 4))])
        lab, modes = calo.mean_shift(x, 1.0)
        ref = MeanShift(bandwidth=1.0, bin_seeding=True).fit(x)
        assert adjusted_rand_score(lab, ref.labels_) == 1.0
        assert len(modes) == len(ref.cluster_centers_)
        np.testing.assert_allclose(np.sort(modes, axis=0), np.sort(ref.cluster_centers_, axis=0), atol=1e-9)


def test_cluster_embeddings_separates_noise_and_small_clusters():
    emb = np.array([[0, 0], [0.1, 0], [0, 0.1], [5, 5], [5.1, 5], [9, 9], [3, -3.0]])
    prob = np.array([0.1, 0.1, 0.1, 0.2, 0.2, 0.1, 0.9])
    lab = calo.cluster_embeddings(emb, prob, bandwidth=1.0, min_hits=2)
    assert lab[6] == -1 and lab[5] == -1             # predicted noise; a one-hit cluster
    assert lab[0] == lab[1] == lab[2] != lab[3] == lab[4]
    assert set(lab[lab >= 0]) == {0, 1}
    with pytest.raises(ValueError, match="noise_prob"):
        calo.cluster_embeddings(emb, prob + 1, bandwidth=1.0)


# ----------------------------------------------------------------------------- networks
def test_knn_matches_brute_force_within_events():
    rng = np.random.default_rng(2)
    x = torch.tensor(rng.normal(size=(30, 3)), dtype=torch.float32)
    event = torch.tensor([0] * 12 + [1] * 18)
    idx = calo.knn(x, event, 4)
    for i in range(30):
        same = np.flatnonzero(event.numpy() == event[i].item())
        d = np.linalg.norm(x[same].numpy() - x[i].numpy(), axis=1)
        assert set(idx[i].tolist()) == set(same[np.argsort(d)[:4]].tolist())


def test_edgeconv_equals_the_concatenated_form():
    torch.manual_seed(0)
    conv = calo.EdgeConv(3, 5).eval()
    x = torch.randn(10, 3)
    nbr = torch.randint(0, 10, (10, 4))
    xi = x[:, None, :].expand(-1, 4, -1)
    e = conv.lin(torch.cat([xi, x[nbr] - xi], 2))
    ref = torch.nn.functional.leaky_relu(conv.bn(e.reshape(40, 5)), 0.2).reshape(10, 4, 5).amax(1)
    torch.testing.assert_close(conv(x, nbr), ref)


def test_gnn_forward_shapes_and_batch():
    evs = calo.generate_events(2, 0, **SMALL)
    b = calo.make_batch(evs)
    assert b.feats.shape == (sum(e.n_hits for e in evs), 4) and b.n_events == 2
    emb, logit = calo.build_model("GNN", 0)(b)
    assert emb.shape == (b.feats.shape[0], calo.EMB_DIM) and logit.shape == (b.feats.shape[0],)
    with pytest.raises(ValueError, match="kind"):
        calo.build_model("PointNet")
    with pytest.raises(ValueError, match="events"):
        calo.make_batch([])


@needs_engine
def test_spvcnn_forward_shapes_and_size():
    evs = calo.generate_events(2, 0, **SMALL)
    b = calo.make_batch(evs)
    model = calo.build_model("SPVCNN", 0)
    emb, logit = model(b)
    assert emb.shape == (b.feats.shape[0], calo.EMB_DIM) and logit.shape == (b.feats.shape[0],)
    loss, _ = calo.loss_fn(model, b)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    # the authors' structure: stem, 4 stages of a strided conv and 2 residual blocks, 4 up stages, 3 point transforms
    assert len(model.stages) == 4 and len(model.ups) == 4 and len(model.point_transforms) == 3
    assert all(sum(isinstance(m, calo.ResidualBlock) for m in st) == 2 for st in model.stages)
    assert model.widths == calo.scaled_widths(calo.CR) == (7, 7, 15, 30, 61, 61, 30, 23, 23)
    # comparison (a): SPVCNN / GNN parameters within 10 % of the authors' SPVCNN / DGCNN ratio
    ratio = calo.n_params(model) / calo.n_params(calo.build_model("GNN", 0))
    authors = calo.AUTHORS_PARAMS["SPVCNN"] / calo.AUTHORS_PARAMS["DGCNN"]
    assert abs(ratio / authors - 1) < 0.1
    # the authors' count: SPVCNN at cr = 1 with our head holds AUTHORS_PARAMS["SPVCNN"]
    assert calo.n_params(calo.SPVCNN(1.0)) == calo.AUTHORS_PARAMS["SPVCNN"]
    assert calo.n_params(calo.build_model("GNN-eq", 0)) > 10 * calo.n_params(calo.build_model("GNN", 0))


def _cells(n=6, seed=0):
    """n distinct unit cells of one event, with points at the cell centres: [n,4] (batch, x, y, z)."""
    rng = np.random.default_rng(seed)
    cells = rng.choice(4 * 4 * 4, n, replace=False)
    xyz = np.stack(np.unravel_index(cells, (4, 4, 4)), 1) + 0.5
    return torch.tensor(np.concatenate([np.zeros((n, 1)), xyz], 1), dtype=torch.float32)


@needs_engine
def test_voxelize_devoxelize_round_trip_one_point_per_voxel():
    from lab import sparseconv as sc

    pc = _cells()
    f = torch.randn(len(pc), 3, generator=torch.Generator().manual_seed(1))
    x = sc.voxelize(sc.PointTensor(pc, f), 1)
    back = sc.devoxelize(x, sc.PointTensor(pc, f))
    torch.testing.assert_close(back, f)                       # each point reads its own voxel back
    again = calo.point_to_voxel(x, pc, back)
    torch.testing.assert_close(again.feats, x.feats)          # and the average of one point is itself


@needs_engine
def test_residual_block_is_the_identity_at_zero_weights():
    from lab import sparseconv as sc

    pc = _cells(8)
    x = sc.voxelize(sc.PointTensor(pc, torch.rand(8, 4, generator=torch.Generator().manual_seed(2))), 1)
    blk = calo.ResidualBlock(4, 4).eval()
    with torch.no_grad():
        for p in blk.parameters():
            if p.ndim == 3:                                   # conv weights [K, C_in, C_out]
                p.zero_()
    y = blk(x)
    torch.testing.assert_close(y.feats, x.feats)              # ReLU(0 + x) = x for x >= 0
    assert torch.equal(y.coords, x.coords)
    wide = calo.ResidualBlock(4, 6)                           # width change: a 1x1x1 shortcut
    assert wide(x).feats.shape == (8, 6) and wide.shortcut is not None


@needs_engine
def test_conv_block_downsamples_and_the_transposed_block_restores_the_voxels():
    from lab import sparseconv as sc

    pc = _cells(10, 3)
    x = sc.voxelize(sc.PointTensor(pc, torch.rand(10, 2, generator=torch.Generator().manual_seed(3))), 1)
    down = calo.ConvBlock(2, 3, kernel_size=2, stride=2)(x)
    want = {tuple(c) for c in (torch.div(x.coords[:, 1:], 2, rounding_mode="floor") * 2).tolist()}
    assert down.stride == 2 and {tuple(c) for c in down.coords[:, 1:].tolist()} == want
    up = calo.ConvBlock(3, 2, kernel_size=2, stride=2, transposed=True)(down)
    assert up.stride == 1 and {tuple(c) for c in up.coords.tolist()} == {tuple(c) for c in x.coords.tolist()}
    assert calo.scaled_widths(1.0) == calo.AUTHORS_CS and calo.scaled_widths(0.5)[0] == 16
    with pytest.raises(ValueError, match="cr"):
        calo.scaled_widths(0.0)


def test_inference_time_is_positive_and_finite():
    evs = calo.generate_events(2, 0, **SMALL)
    t = calo.inference_ms(calo.build_model("GNN", 0), evs, batch=2, repeats=1)
    assert 0.0 < t < 1e5
    with pytest.raises(ValueError, match="repeats"):
        calo.inference_ms(calo.build_model("GNN", 0), evs, repeats=0)


@needs_engine
def test_point_to_voxel_is_a_scatter_mean():
    from lab import sparseconv as sc

    pc = torch.tensor([[0, 0.2, 0.3, 0.1], [0, 0.7, 0.1, 0.9], [0, 2.5, 0.5, 0.5], [1, 0.5, 0.5, 0.5]])
    pf = torch.tensor([[1.0], [3.0], [5.0], [7.0]])
    x = sc.voxelize(sc.PointTensor(pc, torch.zeros(4, 1)), 1)
    y = calo.point_to_voxel(x, pc, pf)
    got = {tuple(c): float(f) for c, f in zip(y.coords.tolist(), y.feats[:, 0])}
    assert got == {(0, 0, 0, 0): 2.0, (0, 2, 0, 0): 5.0, (1, 0, 0, 0): 7.0}


# ----------------------------------------------------------------------------- training, determinism
def test_training_lowers_the_loss_and_scores_are_in_range():
    evs = calo.generate_events(6, 7, **SMALL)
    model = calo.build_model("GNN", 0)
    hist = calo.train(model, evs, epochs=4, batch=3, lr=5e-3, seed=0, progress=False)
    assert hist[-1] < hist[0]
    s = calo.score(evs[:2], calo.predict(model, evs[:2]))
    assert 0.0 <= s["pq"] <= 1.0 and 0.0 <= s["pq_energy"] <= 1.0
    with pytest.raises(ValueError, match="epochs"):
        calo.train(model, evs, epochs=0)


def test_determinism_same_seed_same_numbers(one_thread):
    a = calo.generate_events(3, 4, **SMALL)
    b = calo.generate_events(3, 4, **SMALL)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.energy, y.energy)
        np.testing.assert_array_equal(x.cluster, y.cluster)
    kw = dict(n_train=4, n_test=2, epochs=1, batch=2, lr=5e-3, events=SMALL, models=("GNN",), progress=False)
    r1, _ = calo.run_seed(0, **kw)
    r2, _ = calo.run_seed(0, **kw)
    for row1, row2 in zip(r1, r2):
        for r in (row1, row2):
            r.pop("train_cpu_s"), r.pop("cpu_s")
        assert row1 == row2


def test_workers_give_the_same_numbers_as_one_process(one_thread):
    kw = dict(n_train=4, n_test=2, epochs=1, batch=2, lr=5e-3, seeds=(0, 1), events=SMALL, models=("GNN",),
              progress=False, n_tune=2)
    a, _, pa, ea = calo.compare(**kw, n_jobs=1)
    b, _, pb, eb = calo.compare(**kw, n_jobs=2)
    cols = [c for c in a.columns if not c.endswith("cpu_s")]
    assert a[cols].equals(b[cols])
    for x, y in zip(pa["GNN"], pb["GNN"]):
        np.testing.assert_array_equal(x, y)
    for (x, px), (y, py) in zip(ea["GNN"], eb["GNN"]):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(px, py)


def test_gap_interval_is_scipys_paired_t_interval():
    import pandas as pd
    from scipy import stats

    rng = np.random.default_rng(3)
    spv, gnn = rng.uniform(0.5, 0.8, 5), rng.uniform(0.5, 0.8, 5)
    df = pd.DataFrame([dict(seed=s, model=m, pq=v, pq_energy=v) for s in range(5)
                       for m, v in (("SPVCNN", spv[s]), ("GNN", gnn[s]))])
    g = calo.gap(df)
    ci = stats.ttest_rel(spv, gnn).confidence_interval(0.95)
    assert g["gap_ci_pp"] == pytest.approx((100 * ci.low, 100 * ci.high), rel=1e-9)
    assert g["gap_pp"][0] == pytest.approx(100 * (spv - gnn).mean())
    m = calo.pq_gap_claim(g, 10, 2, 1000)
    assert m.holds == (ci.low > 0)
    assert "95 % paired t, n = 5" in m.note and f"[{100 * ci.low:+.1f}, {100 * ci.high:+.1f}]" in m.note
    assert g["gap_pp"][1] == pytest.approx(100 * (spv - gnn).std(ddof=1))
    assert calo.ci_reading(-1.0, 2.0).endswith("cannot tell the two apart")
    assert "SPVCNN is ahead" in calo.ci_reading(0.5, 2.0) and "GNN is ahead" in calo.ci_reading(-3.0, -1.0)
    with pytest.raises(ValueError, match="2 seeds"):
        calo.pq_gap_claim(calo.gap(df[df.seed == 0]), 10, 2, 1000)
    with pytest.raises(ValueError, match="both models"):
        calo.gap(df[~((df.seed == 1) & (df.model == "GNN"))])
    with pytest.raises(ValueError, match="both models"):
        calo.gap(df, baseline="GNN-eq")                       # no GNN-eq rows
    eq = pd.concat([df, df[df.model == "GNN"].assign(model="GNN-eq", pq=lambda d: d.pq - 0.1)])
    assert calo.gap(eq, baseline="GNN-eq")["gap_pp"][0] == pytest.approx(g["gap_pp"][0] + 10.0)
    assert calo.gap(eq)["gap_pp"][0] == pytest.approx(g["gap_pp"][0])    # other models are ignored
    m = calo.baseline_claim(eq, 0.2)
    assert m.value == pytest.approx(round(eq.groupby("model").pq.mean().min(), 3)) and "lowest: GNN-eq" in m.note


def test_hdbscan_and_bandwidth_tuning():
    rng = np.random.default_rng(0)
    c = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])
    emb = np.concatenate([ci + rng.normal(0, 0.02, (15, 3)) for ci in c])
    prob = np.zeros(len(emb))
    lab = calo.cluster_embeddings(emb, prob, method="hdbscan")
    assert len(set(lab[lab >= 0])) == 3
    assert len(set(lab[:15])) == 1 and len(set(lab[15:30])) == 1
    assert (calo.cluster_embeddings(emb[:3], prob[:3], method="hdbscan") == -1).all()   # fewer than 5 hits
    with pytest.raises(ValueError, match="method"):
        calo.cluster_embeddings(emb, prob, method="kmeans")
    evs = calo.generate_events(3, 7, **SMALL)
    model = calo.build_model("GNN", 0)
    calo.train(model, evs, epochs=2, batch=3, progress=False)
    best, pqs = calo.tune_bandwidth(model, evs, bandwidths=(0.2, 0.5))
    assert best in (0.2, 0.5) and pqs[best] == max(pqs.values())
    emb_p = calo.embed(model, evs[:1])
    assert np.allclose(np.linalg.norm(emb_p[0][0], axis=1), 1.0, atol=1e-5)


def test_models_and_batches_go_to_the_chosen_device(monkeypatch):
    monkeypatch.setenv("LAB_DEVICE", "cpu")
    evs = calo.generate_events(2, 0, **SMALL)
    assert calo.make_batch(evs).feats.device.type == "cpu"
    assert next(calo.build_model("GNN", 0).parameters()).device.type == "cpu"
    monkeypatch.setenv("LAB_DEVICE", "tpu")
    with pytest.raises(ValueError, match="LAB_DEVICE"):
        calo.make_batch(evs)


# ----------------------------------------------------------------------------- explorer
def test_explorer_redraws_when_driven():
    evs = calo.generate_events(2, 9, **SMALL)
    preds = {"GNN": [np.where(e.cluster >= 0, e.cluster % 2, -1) for e in evs]}
    ex = calo.explorer(evs, preds, render=False)
    before = ex.snapshot()[0].to_dict()["data"]
    ex.set(clusters="GNN")
    assert ex.snapshot()[0].to_dict()["data"] != before
    assert "PQ" in ex.readout.value
    ex.set(event=1, boxes=False)
    assert len(ex.figures[0].data) == 1                      # hits only, no boxes
    hits, text = ex.figures[0].data[0], ex.readout.value
    ex.set(azimuth=30.0, elevation=60.0)                      # the camera: only the Open3D render follows
    assert ex.figures[0].data[0] is hits and ex.readout.value == text
    with pytest.raises(ValueError, match="predictions"):
        calo.explorer(evs, {"GNN": preds["GNN"][:1]}, render=False)


def test_event_geometries_are_open3d_point_clouds_and_boxes():
    from lab.core import viz3d

    o3d = viz3d.open3d()
    if o3d is None:
        pytest.skip(f"Open3D not importable: {viz3d.import_error()}")
    ev = calo.generate_event(2, **SMALL)
    geoms = calo.event_geometries(ev, ev.cluster)
    assert isinstance(geoms[0], o3d.geometry.PointCloud) and len(geoms[0].points) == ev.n_hits
    assert all(isinstance(g, o3d.geometry.AxisAlignedBoundingBox) for g in geoms[1:])
    assert len(geoms) - 1 <= len(ev.kinds)
    sizes = calo.energy_marker_sizes(ev.energy)
    assert sizes.min() == pytest.approx(2.0) and sizes.max() == pytest.approx(9.0)
    assert np.corrcoef(np.log(ev.energy), sizes)[0, 1] > 0.99


def test_cluster_table_and_geometric_baseline():
    ev = calo.generate_event(4, **SMALL)
    rows = calo.cluster_table(ev, ev.cluster)
    by = {r["cluster"]: r for r in rows}
    assert by["noise"]["hits"] == int((ev.cluster == -1).sum())
    for p in range(len(ev.kinds)):
        if (ev.cluster == p).any():
            assert by[p]["energy_gev"] == pytest.approx(ev.energy[ev.cluster == p].sum())
            assert by[p]["truth"].startswith(f"{p} (")
    assert sum(r["energy_gev"] for r in rows) == pytest.approx(ev.energy.sum())
    lab = calo.geometric_clusters(ev)
    assert lab.shape == (ev.n_hits,) and lab.min() >= -1
    with pytest.raises(ValueError, match="eps_cm"):
        calo.geometric_clusters(ev, eps_cm=0)


def test_figures_label_every_axis_with_a_unit():
    import pandas as pd

    from lab.core.plotting import unlabelled_axes

    evs = calo.generate_events(2, 1, **SMALL)
    assert not unlabelled_axes(calo.shower_profiles_figure(evs))
    df = pd.DataFrame([dict(seed=0, model="SPVCNN", pq=0.5, pq_energy=0.6),
                       dict(seed=0, model="GNN", pq=0.6, pq_energy=0.7)])
    assert not unlabelled_axes(calo.comparison_figure(df, 0.3))
    g = calo.gap(pd.DataFrame([dict(seed=s, model=m, pq=v, pq_energy=v) for s, m, v in
                             [(0, "SPVCNN", 0.7), (0, "GNN", 0.6), (1, "SPVCNN", 0.5), (1, "GNN", 0.6)]]))
    assert g["gap_pp"][0] == pytest.approx(0.0, abs=1e-9) and g["gap_pp"][1] == pytest.approx(10.0 * np.sqrt(2))  # ddof=1
    assert g["seeds_spvcnn_ahead"] == 1 and g["n_seeds"] == 2


def test_bad_input_refused_not_garbage():
    x = torch.randn(6, 3)
    with pytest.raises(ValueError, match="event"):
        calo.knn(x, torch.tensor([0, 0, -1, 1, 1, 1]), 2)          # out-of-range id: refused, not garbage
    with pytest.raises(ValueError, match="event must be sorted"):
        calo.knn(x, torch.tensor([1, 1, 0, 0, 2, 2]), 2)
    with pytest.raises(ValueError, match="x must be finite"):
        calo.knn(torch.full((6, 3), float("nan")), torch.zeros(6, dtype=torch.long), 2)
    big = calo.knn(x, torch.tensor([0, 0, 0, 10**9, 10**9, 10**9]), 2)   # sparse large ids need no huge table
    assert big.shape == (6, 2) and big[:3].max() < 3 and big[3:].min() >= 3
    emb = torch.zeros(4, 2)
    emb[0, 0] = float("nan")
    with pytest.raises(ValueError, match="emb must be finite"):
        calo.discriminative_loss(emb, torch.tensor([0, 0, 1, 1]), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="widths"):
        calo.EdgeConvGNN(widths=(0,))
    with pytest.raises(TypeError, match="cr"):
        calo.SPVCNN(cr="wide")
    with pytest.raises(ValueError, match="cr"):
        calo.SPVCNN(cr=float("nan"))
    with pytest.raises(TypeError, match="events"):
        calo.train(calo.build_model("GNN", 0), [1, 2], epochs=1)
    with pytest.raises(ValueError, match="seeds"):
        calo.compare(2, 1, 1, 2, 1e-2, seeds=(), events=SMALL, progress=False)


def test_mean_shift_when_no_binned_seed_keeps_a_point():
    """In 8 dimensions a point at 0.49 in every coordinate rounds to the bin at 0, 1.39 bandwidths away: no binned
    seed keeps a point, so the points seed the search (a model one epoch into training gave such embeddings)."""
    x = np.full((1, 8), 0.49)
    labels, modes = calo.mean_shift(x, 1.0)
    assert labels.tolist() == [0] and np.allclose(modes, x)
    labels, modes = calo.mean_shift(np.vstack([x, x + 10.0]), 1.0)
    assert sorted(labels.tolist()) == [0, 1] and modes.shape == (2, 8)
