"""Tests of lab.sparseloop: dense counts against brute force, formats against explicit
encodings, density models against Monte Carlo sampling, the model against the simulator,
bad inputs and determinism."""
import numpy as np
import pytest
from scipy import stats

from lab import sparseloop as sl
from lab.sparseloop.formats import expected_pads

ARCH = sl.default_arch()


def _mm_mapping(order_glb, pe_loops=(), glb_keep="ABZ", pe_keep="AB"):
    return sl.Mapping((
        sl.LevelMapping("DRAM", (), frozenset("ABZ")),
        sl.LevelMapping("GLB", tuple(order_glb), frozenset(glb_keep)),
        sl.LevelMapping("PEBuf", tuple(pe_loops), frozenset(pe_keep)),
        sl.LevelMapping("Reg", (("K", 4),), frozenset("Z")),
    ))


MAPPINGS = [
    _mm_mapping([("N", 3), ("M", 5)]),
    _mm_mapping([("M", 5), ("N", 3)]),
    _mm_mapping([("N", 3), ("M", 5)], glb_keep="ABZ", pe_keep="A"),
    _mm_mapping([("M", 5)], pe_loops=(("N", 3),)),
    sl.Mapping((
        sl.LevelMapping("DRAM", (("K", 2), ("N", 3)), frozenset("ABZ")),
        sl.LevelMapping("GLB", (("M", 5),), frozenset("ABZ")),
        sl.LevelMapping("PEBuf", (("K", 2),), frozenset("AB")),
        sl.LevelMapping("Reg", (("K", 1),), frozenset("Z")),
    )),
]


@pytest.mark.parametrize("i", range(len(MAPPINGS)))
def test_dense_counts_match_brute_force_matmul(i):
    wl = sl.matmul(5, 3, 4)
    assert sl.dense_counts(ARCH, wl, MAPPINGS[i]) == sl.brute_force_counts(ARCH, wl, MAPPINGS[i])


def test_dense_counts_match_brute_force_conv():
    wl = sl.conv(C=2, M=3, P=4, Q=3, R=3, S=2)
    mp = sl.Mapping((
        sl.LevelMapping("DRAM", (("M", 3),), frozenset("WIO")),
        sl.LevelMapping("GLB", (("P", 2), ("C", 2)), frozenset("WIO")),
        sl.LevelMapping("PEBuf", (("P", 2), ("R", 3)), frozenset("WI")),
        sl.LevelMapping("Reg", (("Q", 3), ("S", 2)), frozenset("O")),
    ))
    d, b = sl.dense_counts(ARCH, wl, mp), sl.brute_force_counts(ARCH, wl, mp)
    assert d == b
    assert sl.tile_shape(wl, mp, 2, "I") == (1, 2 + 3 - 1, 3 + 2 - 1)     # sliding window


def test_fig1_mapping_known_counts():
    M, N, K = 6, 5, 4
    c = sl.dense_counts(ARCH, sl.matmul(M, N, K), sl.fig1_mapping(M, N, K))
    assert c[("PEBuf", "A")]["fills"] == M * N * K        # A's row refetched for every output
    assert c[("PEBuf", "B")]["fills"] == N * K            # B's row reused across the inner M loop
    assert c[("Reg", "Z")]["drains"] == M * N and c[("Reg", "Z")]["fills"] == 0
    assert c[("PEBuf", "A")]["reads"] == M * N * K


TILE = np.array([[0, 3, 0, 0, 1, 0, 0, 0],
                 [0, 0, 0, 0, 0, 0, 0, 0],
                 [2, 0, 0, 0, 0, 0, 0, 5]], dtype=float)


def test_encode_known_answers():
    e = sl.encode(TILE, ("U", "B"))
    assert e.meta_bits == 24 and e.payload_words == 4
    e = sl.encode(TILE, ("UOP", "CP"))            # CSR: 4 offsets of ceil(log2(25)) = 5 bits, 4 coords of 3 bits
    assert e.parts["outer"] == [0, 2, 2, 4] and e.parts["inner"] == [[1, 4], [], [0, 7]]
    assert e.meta_bits == 4 * 5 + 4 * 3
    e = sl.encode(TILE, ("U", "RLE"), rle_bits=2)  # runs capped at 3: row 2 needs one padding zero
    assert e.parts["inner"] == [[1, 2], [], [0, 3, 2]]
    assert e.payload_words == 5 and e.meta_bits == 5 * 2
    e = sl.encode(TILE, ("B", "B"))
    assert e.parts["outer"] == [1, 0, 1] and e.meta_bits == 3 + 2 * 8
    assert sl.encode(TILE, ("U", "U")).payload_words == TILE.size


@pytest.mark.parametrize("fmts", [("U", "U"), ("U", "B"), ("U", "CP"), ("UOP", "CP"), ("B", "B"), ("CP", "CP"),
                                  ("B", "U"), ("UOP", "B")])
def test_expected_bits_equal_explicit_encoding_for_a_known_occupancy(fmts):
    rng = np.random.default_rng(0)
    for nnz in (0, 1, 3, 8):
        tile = np.zeros((4, 8))
        for r in range(4):
            tile[r, rng.choice(8, nnz, replace=False)] = 1.0
        e = sl.encode(tile, fmts)
        x = sl.expected_bits(fmts, 4, 8, np.array([nnz]), np.array([1.0]))
        assert x["meta"] == pytest.approx(e.meta_bits) and x["payload"] == pytest.approx(e.payload_words)


@pytest.mark.parametrize("fmts", [("U", "RLE"), ("RLE", "CP"), ("CP", "B"), ("U", "CP")])
def test_expected_bits_match_monte_carlo_encodings(fmts):
    rng = np.random.default_rng(1)
    dm = sl.Uniform(0.08)
    shape, tile = (64, 64), (4, 64)
    k, p = dm.tile_pmf(shape, (1, 64))
    want = sl.expected_bits(fmts, 4, 64, k, p, rle_bits=3)
    got = np.mean([[sl.encode(x[i:i + 4], fmts, 3).meta_bits for i in range(0, 64, 4)]
                   for x in (dm.sample(shape, rng) for _ in range(40))])
    assert got == pytest.approx(want["meta"], rel=0.05)


def test_expected_pads_match_monte_carlo():
    rng = np.random.default_rng(2)
    for nnz in (1, 3, 10):
        mc = []
        for _ in range(3000):
            x = np.zeros(100)
            x[rng.choice(100, nnz, replace=False)] = 1
            mc.append(sl.encode(x[None], ("U", "RLE"), 3).payload_words - nnz)
        assert np.mean(mc) == pytest.approx(expected_pads(100, np.array([nnz]), 3)[0], abs=0.08)


def test_hypergeom_pmf_matches_scipy():
    for total, good, draws in ((1000, 37, 50), (16384, 1664, 128), (64, 64, 8), (64, 0, 8)):
        ours = sl.hypergeom_pmf(total, good, draws)
        ref = stats.hypergeom(total, good, draws).pmf(np.arange(draws + 1))
        np.testing.assert_allclose(ours, ref, atol=1e-12)


@pytest.mark.parametrize("d", [0.02, 0.1, 0.5])
def test_uniform_density_against_monte_carlo(d):
    rng = np.random.default_rng(3)
    dm, shape, tile = sl.Uniform(d), (64, 64), (2, 8)
    occ = np.concatenate([dm.sample(shape, rng).reshape(32, 2, 8, 8).transpose(0, 2, 1, 3).reshape(-1, 16)
                          .astype(bool).sum(1) for _ in range(60)])
    assert occ.mean() == pytest.approx(dm.expected(shape, tile), rel=0.03, abs=0.02)
    assert (occ == 0).mean() == pytest.approx(dm.prob_empty(shape, tile), abs=0.02)
    q = dm.quantile(shape, tile, 0.95)
    assert (occ <= q).mean() >= 0.93 and (occ <= q - 1).mean() < 0.95 + 0.02


def test_fixed_structured_density():
    rng = np.random.default_rng(4)
    dm = sl.FixedStructured(2, 4)
    x = dm.sample((16, 32), rng)
    assert ((x.reshape(-1, 4) != 0).sum(1) == 2).all()
    k, p = dm.tile_pmf((16, 32), (2, 8))
    assert list(k) == [8] and p[0] == 1.0
    occ = np.concatenate([(dm.sample((16, 32), rng).reshape(16, 16, 2) != 0).sum(2).ravel() for _ in range(50)])
    k, p = dm.tile_pmf((16, 32), (1, 2))                  # part of a group: hypergeometric
    assert occ.mean() == pytest.approx(float(k @ p), abs=0.03)
    assert (occ == 0).mean() == pytest.approx(p[0], abs=0.03)


def test_banded_density_counts_tiles():
    dm = sl.Banded(1)
    m = dm.mask((8, 8))
    assert m.sum() == 8 + 2 * 7
    k, p = dm.tile_pmf((8, 8), (2, 2))
    occ = m.reshape(4, 2, 4, 2).sum(axis=(1, 3)).ravel()
    assert float(k @ p) == pytest.approx(occ.mean())
    assert dm.prob_empty((8, 8), (2, 2)) == pytest.approx((occ == 0).mean())


def _small_case(d, seed=0, n=32):
    rng = np.random.default_rng(seed)
    dm = sl.Uniform(d)
    return dm, dm.sample((n, n), rng), dm.sample((n, n), rng)


def test_simulator_counts_effectual_macs_exactly():
    dm, A, B = _small_case(0.3)
    wl, mp = sl.matmul(32, 32, 32), sl.fig1_mapping(32, 32, 32)
    eff = ((A != 0).astype(int) @ (B != 0).astype(int).T).sum()
    for opt in (sl.design("B", "gating"), sl.design("CP", "skipping"), sl.design("RLE", "skipping")):
        r = sl.simulate(ARCH, wl, mp, opt, A, B)
        assert r.count("MAC", "Z", "compute", "actual") == eff
        assert sum(r.count("MAC", "Z", "compute", k) for k in ("actual", "gated", "skipped")) == 32 ** 3
    g = sl.simulate(ARCH, wl, mp, sl.design("B", "gating"), A, B)
    assert g.cycles == 32 ** 3                              # gating saves energy, not time
    s = sl.simulate(ARCH, wl, mp, sl.design("CP", "skipping"), A, B)
    assert s.cycles < g.cycles and s.count("MAC", "Z", "compute", "gated") == 0


def test_dense_design_model_equals_simulator():
    dm, A, B = _small_case(0.4)
    wl, mp, opt = sl.matmul(32, 32, 32), sl.fig1_mapping(32, 32, 32), sl.design("U", "none")
    r = sl.evaluate(ARCH, wl, mp, opt, {"A": dm, "B": dm})
    s = sl.simulate(ARCH, wl, mp, opt, A, B)
    assert r.cycles == pytest.approx(s.cycles) and r.energy_pj == pytest.approx(s.energy_pj)


@pytest.mark.parametrize("inner,feature", [("B", "gating"), ("CP", "skipping"), ("B", "skipping"),
                                           ("CP", "gating"), ("RLE", "none")])
def test_model_tracks_simulator_on_uniform_data(inner, feature):
    n = 64
    wl, mp, opt = sl.matmul(n, n, n), sl.fig1_mapping(n, n, n), sl.design(inner, feature)
    for d in (0.05, 0.3):
        dm, A, B = _small_case(d, seed=5, n=n)
        r = sl.evaluate(ARCH, wl, mp, opt, {"A": dm, "B": dm})
        s = sl.simulate(ARCH, wl, mp, opt, A, B)
        assert r.cycles == pytest.approx(s.cycles, rel=0.03)
        assert r.energy_pj == pytest.approx(s.energy_pj, rel=0.03)
        for key in ("read", "metadata_read"):
            assert r.count("PEBuf", "A", key) == pytest.approx(s.count("PEBuf", "A", key), rel=0.05)


def test_walk_expectations_with_fixed_occupancy():
    pe = ARCH.level("PEBuf")
    w = sl.walk_expectations("CP", "CP", "skipping", 16, (np.array([4.0]), np.array([1.0])),
                             (np.array([8.0]), np.array([1.0])), pe, cp_bits=4)
    assert w["mac_actual"] == pytest.approx(2.0) and w["A_meta"] == 16 and w["B_meta"] == 32
    assert w["cycles"] >= 4 + 8 - 2 - 1e-9


def test_fig1_crossovers_bracketed_like_the_artifact():
    ours, art = sl.fig1_sweep(32), sl.artifact_fig1()
    c = sl.crossover(art, "energy_uJ")
    assert (c["lo"], c["hi"]) == (0.04, 0.08)
    assert sl.crossover(art, "cycles")["hi"] == 0.8
    assert set(sl.crossover_table(ours, art).metric) == {"energy", "speed (cycles)"}


def test_bad_inputs():
    with pytest.raises(ValueError, match="densities"):
        sl.fig1_sweep(32, densities=[0.0])
    with pytest.raises(ValueError, match="skipping"):
        sl.design("U", "skipping")
    with pytest.raises(ValueError, match="multiply"):
        sl.dense_counts(ARCH, sl.matmul(4, 4, 5), sl.fig1_mapping(4, 4, 4))
    with pytest.raises(ValueError, match="A"):
        sl.simulate(ARCH, sl.matmul(4, 4, 4), sl.fig1_mapping(4, 4, 4), sl.design("B", "gating"),
                    np.full((4, 4), np.nan), np.eye(4))
    with pytest.raises(TypeError, match="densities"):
        sl.evaluate(ARCH, sl.matmul(4, 4, 4), sl.fig1_mapping(4, 4, 4), sl.design("B", "gating"), None)
    with pytest.raises(ValueError, match="density"):
        sl.Uniform(1.5)
    with pytest.raises(ValueError, match="formats"):
        sl.encode(TILE, ("UOP", "UOP"))
    with pytest.raises(ValueError, match="workload"):
        sl.brute_force_counts(ARCH, sl.matmul(100, 100, 100), sl.fig1_mapping(100, 100, 100))


def test_determinism_of_claim_numbers():
    a = sl.validate_uniform(16, densities=(0.1, 0.4), seeds=(0, 1, 2))
    b = sl.validate_uniform(16, densities=(0.1, 0.4), seeds=(0, 1, 2))
    cols = ["model_cycles", "sim_cycles", "model_uJ", "sim_uJ", "cycle_err_pct", "energy_err_pct"]
    assert a[cols].equals(b[cols])
    assert sl.error_claim(a, 1.0).value == sl.error_claim(b, 1.0).value


def test_model_tracks_simulator_on_another_mapping():
    n = 32
    wl = sl.matmul(n, n, n)
    mp = sl.Mapping((
        sl.LevelMapping("DRAM", (("N", 2),), frozenset("ABZ")),
        sl.LevelMapping("GLB", (("M", 4), ("N", 16)), frozenset("ABZ")),
        sl.LevelMapping("PEBuf", (("M", 8),), frozenset("AB")),
        sl.LevelMapping("Reg", (("K", n),), frozenset("Z")),
    ))
    dm, A, B = _small_case(0.2, seed=6, n=n)
    for opt in (sl.design("B", "gating"), sl.design("CP", "skipping")):
        r = sl.evaluate(ARCH, wl, mp, opt, {"A": dm, "B": dm})
        s = sl.simulate(ARCH, wl, mp, opt, A, B)
        for lv in ("DRAM", "GLB"):
            for t in "AB":
                assert r.count(lv, t, "read") == pytest.approx(s.count(lv, t, "read"), rel=0.05)
        assert r.energy_pj == pytest.approx(s.energy_pj, rel=0.03)
        assert r.cycles == pytest.approx(s.cycles, rel=0.03)


def test_crossover_helpers_refuse_tables_they_cannot_read():
    import pandas as pd
    import pytest

    from lab.sparseloop.experiments import crossover, crossover_claim

    with pytest.raises(ValueError, match="columns"):
        crossover(pd.DataFrame({"density": [0.1]}), "cycles")
    with pytest.raises(ValueError, match="both designs"):
        crossover(pd.DataFrame({"density": [0.1], "design": ["bitmask + gating"], "cycles": [1.0]}), "cycles")
    ours = pd.DataFrame({"density": [0.1, 0.1, 0.5, 0.5], "cycles": [2.0, 1.0, 1.0, 2.0],
                         "design": ["bitmask + gating", "coordinate list + skipping"] * 2})
    flat = ours.assign(cycles=[2.0, 1.0, 2.0, 1.0])   # the coordinate list wins everywhere: no crossing
    m = crossover_claim(ours, flat, "cycles")
    assert not m.holds and "no crossing" in m.note


def test_artifact_densities_beside_ours():
    """The artifact's workload files state fractional nonzeros per 128-long fiber; ours are whole."""
    art = sl.artifact_fig1().drop_duplicates("density").set_index("density").nnz_per_fiber
    np.testing.assert_allclose(art.loc[list(sl.FIG1_DENSITIES)].to_numpy(),
                               [1.5, 2.56, 5.12, 10.24, 13, 25.5, 51, 102.5])
    ours = sl.fig1_sweep(128).drop_duplicates("density").set_index("density").nnz_per_fiber
    assert ours.tolist() == [1, 3, 5, 10, 13, 26, 51, 102]
    assert set(sl.ARTIFACT_DENSITY) == set(sl.FIG1_DENSITIES) == set(sl.ARTIFACT_FIG1)


def _speed_table(t_sim, t_model):
    import pandas as pd
    rows = []
    for name, ts, tm in (("bitmask + gating", t_sim[0], t_model[0]),
                         ("coordinate list + skipping", t_sim[1], t_model[1])):
        rows += [dict(design=name, repeat=i, t_sim_s=a, t_model_s=b) for i, (a, b) in enumerate(zip(ts, tm))]
    return pd.DataFrame(rows)


def test_speed_claim_takes_medians_and_the_slower_design():
    # one repeat slowed tenfold (load) moves neither median
    df = _speed_table(t_sim=([1.0, 1.0, 10.0], [0.8, 0.8, 0.8]), t_model=([1e-3, 1e-2, 1e-3], [1e-3] * 3))
    m = sl.speed_claim(df, 600.0)
    assert m.value == pytest.approx(800.0) and m.holds          # min(1.0 / 1e-3, 0.8 / 1e-3)
    assert "L07" in m.note and "3 repeats" in m.note
    assert not sl.speed_claim(df, 900.0).holds                   # the slower design decides
    with pytest.raises(ValueError, match="columns"):
        sl.speed_claim(df.drop(columns="repeat"), 600.0)


def test_speed_fixed_times_the_fixed_workload():
    df = sl.speed_fixed(repeats=1, model_repeats=2, seed=0)
    w = sl.SPEED_WORKLOAD
    assert (w["M"], w["N"], w["K"]) == (64, 1024, 64) and len(df) == 2
    assert (df.t_sim_s > 0).all() and (df.t_model_s > 0).all()
    assert np.allclose(df.model_cycles, df.sim_cycles, rtol=0.01)
    with pytest.raises(ValueError, match="repeats"):
        sl.speed_fixed(repeats=0)


def test_error_claim_is_the_mean_over_seeds_of_each_seeds_largest_error():
    import pandas as pd
    df = pd.DataFrame(dict(seed=[0, 0, 1, 1, 2, 2], cycle_err_pct=[0.1, -0.4, 0.2, 0.0, -0.3, 0.1],
                           energy_err_pct=[0.0, 0.2, -0.6, 0.1, 0.0, 0.0]))
    m = sl.error_claim(df, 0.5)          # per seed 0.4, 0.6, 0.3: mean 0.433 < 0.5 though seed 1 exceeds it
    assert m.number == pytest.approx(1.3 / 3) and m.holds and m.value == "0.43 ± 0.15"
    assert not sl.error_claim(df, 0.4).holds
    with pytest.raises(ValueError, match="at least 2 seeds"):
        sl.error_claim(df[df.seed == 0], 1.0)


# ---------------------------------------------------------------- the Eyeriss V2 PE (external ground truth)
def test_eyeriss_table_is_the_artifacts():
    df = sl.eyeriss_layers()
    assert df.layer.tolist() == ["L07", "L09", "L13", "L19", "L21", "L23", "L25", "L27"]
    assert (df.backing_M * df.pe_M == df.M).all() and (df.backing_C * df.pe_C == df.C).all()
    l07 = df.set_index("layer").loc["L07"]
    assert (l07.C, l07.M, l07.E, l07.F, l07.ground_truth_cycles) == (64, 64, 32, 32, 1702140)
    # Sparseloop's uniform cycles are the expected effectual MACs (the artifact's own model)
    macs = df.C * df.M * df.E * df.F
    assert (abs(df.sparseloop_summary_cycles - macs * df.density_inputs * df.density_weights) < 2).all()


def test_eyeriss_known_answer_and_dense_counts():
    # dense operands: every (input, weight) pair is visited, one per cycle
    r = sl.eyeriss_cycles(16, 16, 2, 2, 2, 2, 8, 8, sl.Uniform(1.0), sl.Uniform(1.0))
    assert r["macs"] == 16 * 16 * 4 and r["pe_slots"] == r["macs"] == r["cycles"]
    # half-dense inputs and quarter-dense weights: slots are the expected effectual MACs
    r = sl.eyeriss_cycles(16, 16, 2, 2, 2, 2, 8, 8, sl.Uniform(0.5), sl.Uniform(0.25))
    assert r["pe_slots"] == pytest.approx(r["macs"] * 0.5 * 0.25)
    # the mapping's tiles as step 1 counts them: each weight tile filled once (E, F innermost reuse it)
    c = sl.dense_counts(sl.eyeriss_arch(), sl.conv(16, 16, 2, 2, 1, 1), sl.eyeriss_mapping(16, 16, 2, 2, 2, 2, 8, 8))
    assert c[("WeightSpad", "W")]["fills"] == 16 * 16
    assert c[("IactSpad", "I")]["fills"] == 16 * 4 * 2       # every iact fiber once per M-tile


def test_eyeriss_claim_can_fail_and_refuses_bad_tables():
    df = sl.eyeriss_validation()
    assert sl.eyeriss_claim(df, 8.0).holds
    assert not sl.eyeriss_claim(df, 1.0).holds                # the ground truth is up to 6.5 % above both models
    with pytest.raises(ValueError, match="against"):
        sl.eyeriss_claim(df, 8.0, "silicon")
    with pytest.raises(ValueError, match="df"):
        sl.eyeriss_claim(df.iloc[:0], 8.0)
    with pytest.raises(ValueError, match="df"):
        sl.eyeriss_claim(df.drop(columns="err_vs_truth_pct"), 8.0)
    with pytest.raises(ValueError, match="df"):
        sl.eyeriss_claim(df.assign(err_vs_truth_pct=np.nan), 8.0)
    with pytest.raises(ValueError, match="layers"):
        sl.eyeriss_validation(sl.eyeriss_layers().drop(columns="pe_M"))


def test_eyeriss_mapping_that_does_not_fit_is_refused():
    with pytest.raises(ValueError, match="backing_M x pe_M"):
        sl.eyeriss_mapping(16, 16, 2, 2, 3, 2, 8, 8)
    with pytest.raises(ValueError, match="backing_C x pe_C"):
        sl.eyeriss_mapping(16, 16, 2, 2, 2, 4, 8, 8)
    with pytest.raises(ValueError, match="pe_C"):
        sl.eyeriss_mapping(32, 16, 2, 2, 2, 1, 8, 32)        # 32 iacts in a 16-word scratchpad
    with pytest.raises(ValueError, match="pe_M x pe_C"):
        sl.eyeriss_mapping(16, 32, 2, 2, 1, 1, 32, 16)       # 512 weights in 192 words


def test_glb_loop_order_swaps_which_operand_is_refetched():
    n = 16
    wl, arch, opt = sl.matmul(n, n, n), ARCH, sl.design("B", "gating")
    dens = {"A": sl.Uniform(0.05), "B": sl.Uniform(0.5)}
    nm = sl.evaluate(arch, wl, sl.fig1_mapping(n, n, n, "NM"), opt, dens)
    mn = sl.evaluate(arch, wl, sl.fig1_mapping(n, n, n, "MN"), opt, dens)
    assert sl.dense_counts(arch, wl, sl.fig1_mapping(n, n, n, "MN"))[("PEBuf", "B")]["changes"] == n * n
    assert nm.count("PEBuf", "A", "write") == pytest.approx(mn.count("PEBuf", "B", "write") * 0.05 / 0.5, rel=0.05)
    assert mn.energy_pj > nm.energy_pj                      # refetching the denser operand costs more
    same = {"A": sl.Uniform(0.2), "B": sl.Uniform(0.2)}
    assert sl.evaluate(arch, wl, sl.fig1_mapping(n, n, n, "MN"), opt, same).energy_pj == pytest.approx(
        sl.evaluate(arch, wl, sl.fig1_mapping(n, n, n, "NM"), opt, same).energy_pj)
    with pytest.raises(ValueError, match="order"):
        sl.fig1_mapping(n, n, n, "KN")


def test_crossover_claim_when_the_artifact_has_none():
    ours = sl.fig1_sweep(32, sl.FIG1_DENSITIES)
    flat = sl.artifact_fig1()
    flat.loc[flat.design == "bitmask + gating", "energy_uJ"] = 1e9
    m = sl.crossover_claim(ours, flat, "energy_uJ")
    assert not m.holds and "never changes" in m.note
    with pytest.raises(ValueError, match="artifact"):
        sl.crossover_claim(ours, flat[flat.design == "bitmask + gating"], "energy_uJ")
    with pytest.raises(ValueError, match="ours"):
        sl.crossover_claim(ours.iloc[:0], flat, "energy_uJ")
