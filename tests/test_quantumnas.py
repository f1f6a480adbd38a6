"""Unit tests of lab.quantumnas (search, device, vqe, views)."""
import numpy as np
import pytest
import torch
from qiskit.quantum_info import SparsePauliOp, Statevector

from lab import quantumnas as qn
from lab import quantumnas as qp
from lab.quantumnas import qsim
from lab.core import plotting, resolve_scale
from lab.quantumnas.device import Device, _scaled_target, noisy_energy, noisy_expvals


def test_scales():
    assert {"small", "paper"} <= set(qn.SCALES)
    paper, small = qn.SCALES["paper"], qn.SCALES["small"]
    assert tuple(paper["seeds"]) == (0, 1, 2, 3, 4) and len(small["seeds"]) >= 3
    for k in ("super_steps", "population", "iterations", "shots", "n_val", "n_test"):
        assert paper[k] >= small[k], k
    assert paper["parents"] <= paper["population"] and max(paper["sweep_blocks"]) == paper["max_blocks"]


def test_interval_text_is_the_core_t_interval():
    half = 4.302652729749464 * 1.0 / np.sqrt(3)  # t(0.975, 2 dof) x std(ddof=1) / sqrt(n)
    assert qn.interval_text([1.0, 2.0, 3.0], scale=1.0, digits=3) == f"2.000 [{2 - half:.3f}, {2 + half:.3f}]"
    assert qn.interval_text([0.5, 0.5, 0.5]) == "50.0 [50.0, 50.0]"
    assert qn.interval_text([0.7]) == "70.0 (one seed)"
    assert qn.interval_text([0.6, 0.8]).startswith("70.0 [")
    with pytest.raises(ValueError, match="values"):
        qn.interval_text([])

def _fake_result(seed, accs):
    """A PipelineResult holding only the accuracies {contender: (noise-free, noisy)}."""
    sc = qn.SuperCircuit("u3cu3", 4, 1)
    circ, w = sc.circuit(sc.full_arch()), sc.init_weights(0)
    cont = {n: qn.Contender(n, circ, (0, 1, 2, 3), w, acc_clean=a, acc_noisy=b) for n, (a, b) in accs.items()}
    search = qn.SearchResult(qn.Gene((0, 1, 2, 3), sc.full_arch()), 0.0)
    return qn.PipelineResult("4-class", "u3cu3", "FakeQuitoV2", seed, cont, search, [], sc)


def test_ceiling_is_the_best_noise_free_accuracy_and_the_share_can_fail():
    names = qn.CONTENDERS
    r0 = _fake_result(0, dict(zip(names, [(0.80, 0.60), (0.60, 0.55), (0.70, 0.68), (0.75, 0.66)])))
    r1 = _fake_result(1, dict(zip(names, [(0.70, 0.60), (0.60, 0.55), (0.78, 0.70), (0.72, 0.66)])))
    assert qn.noise_free_ceiling([r0, r1]).tolist() == [0.80, 0.78]
    share = np.array([0.68 / 0.80, 0.70 / 0.78])
    m = qn.claim_ceiling_ratio([r0, r1], 0.85)
    assert m.number == pytest.approx(100 * share.mean()) and m.holds == bool(share.mean() >= 0.85)
    assert qn.claim_ceiling_ratio([r0, r1], 0.80).holds and not qn.claim_ceiling_ratio([r0, r1], 0.95).holds


def test_searched_beats_is_the_paired_t_interval():
    from scipy import stats

    names = qn.CONTENDERS                  # human baseline, random, QuantumNAS, QuantumNAS + pruning
    q, b = [0.70, 0.66, 0.72], [0.60, 0.65, 0.61]
    rs = [_fake_result(s, dict(zip(names, [(0.8, b[s]), (0.6, 0.5), (0.8, q[s]), (0.8, q[s])]))) for s in range(3)]
    lo, hi = stats.ttest_rel(100 * np.array(q), 100 * np.array(b)).confidence_interval(0.95)
    m = qn.claim_searched_beats(rs, "human baseline")
    assert m.holds == bool(lo > 0) and m.number == pytest.approx(100 * np.mean(np.subtract(q, b)))
    assert f"[{lo:+.1f}, {hi:+.1f}] points (95 % paired t, n = 3)" in m.note
    with pytest.raises(ValueError, match="2 seeds"):
        qn.claim_searched_beats(rs[:1], "human baseline")


def test_search_scores_on_validation_never_on_test(monkeypatch):
    """The co-search's noisy jobs see only validation images; the test images appear only in the
    final evaluation."""
    from lab.quantumnas import pipeline, pruning

    seen = []
    real = pipeline.noisy_expvals_many

    def spy(circuits, weights, x, *a, **k):
        seen.append(np.array(x))
        return real(circuits, weights, x, *a, **k)

    monkeypatch.setattr(pipeline, "noisy_expvals_many", spy)
    monkeypatch.setattr(pruning, "noisy_expvals_many", spy)
    cfg = resolve_scale(qn.SCALES, "small", n_train=24, n_test=8, n_val=8, max_blocks=1, super_steps=2,
                        train_steps=2, finetune_steps=1, batch=8, population=2, parents=1, mutations=1, crossovers=0,
                        iterations=2, shots=16, prune_epochs=1)
    qn.run_pipeline("2-class", "u3cu3", "FakeQuitoV2", cfg, seed=0, noise_factor=0.0)
    xall, yall, xte, _ = qn.load_digits_4x4((3, 6), 32, 8, seed=0)
    _, _, xv, _ = qn.validation_split(xall, yall, 8, seed=0)
    # the search's jobs and the choice of the pruned share (validation images), then the final evaluation of the
    # contenders (one job, `evaluate_all`) on the test images
    assert len(seen) >= 2 and np.array_equal(seen[-1], xte)
    search_jobs = seen[:-1]
    assert all(np.array_equal(x, xv) for x in search_jobs)
    test_rows = {r.tobytes() for r in xte}
    assert not any(r.tobytes() in test_rows for x in search_jobs for r in x)


def test_one_thread_restores_the_thread_count():
    from lab.core.device import one_thread

    n = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == n


def test_digits_are_pooled_angles():
    xtr, ytr, xte, yte = qn.load_digits_4x4((3, 6), 40, 20, seed=0)
    assert xtr.shape == (40, 16) and xte.shape == (20, 16)
    assert xtr.min() >= 0 and xtr.max() <= np.pi
    assert set(ytr) == {0, 1} and np.bincount(ytr).tolist() == [20, 20]


def test_digits_match_sklearn_and_splits_are_disjoint():
    from sklearn.datasets import load_digits

    from lab.data import digits_data

    images, target = digits_data()
    ref = load_digits()
    assert np.array_equal(images, ref.images) and np.array_equal(target, ref.target)
    xtr, ytr, xte, yte = qn.load_digits_4x4((0, 1, 2, 3), 100, 40, seed=3)
    assert np.bincount(yte).tolist() == [10, 10, 10, 10]
    assert xtr.shape == (100, 16) and 0 <= xtr.min() and xtr.max() <= np.pi
    xr, yr, xv, yv = qn.validation_split(xtr, ytr, 20, seed=0)
    assert len(xr) == 80 and len(xv) == 20 and np.bincount(yv).tolist() == [5, 5, 5, 5]
    assert np.bincount(yr).tolist() == [20, 20, 20, 20]


def test_encoder_matches_qiskit():
    x = np.linspace(0.1, 3.0, 16)
    ours = qn.encode(x[None])[0].numpy()
    ref = Statevector(qsim.to_qiskit(qn.encoder_4x4_ryzxy(), x=x)).data
    assert np.abs(ours - ref).max() < 1e-6
    names = [op.name for op in qn.encoder_4x4_ryzxy().ops]
    assert names == ["ry"] * 4 + ["rz"] * 4 + ["rx"] * 4 + ["ry"] * 4


def test_supercircuit_front_sharing_and_inheritance():
    sc = qn.SuperCircuit("u3cu3", 4, 3)
    assert sc.n_weights() == 3 * (4 * 3 + 4 * 3)
    full = sc.circuit(sc.full_arch())
    assert len(full.ops) == 3 * 8
    sub = sc.circuit(qn.Arch(2, ((2, 3), (4, 1))))
    # first block: U3 on wires 0,1 then CU3 on the first three ring pairs
    assert [(o.name, o.wires) for o in sub.ops[:5]] == [("u3", (0,)), ("u3", (1,)), ("cu3", (0, 1)),
                                                       ("cu3", (1, 2)), ("cu3", (2, 3))]
    # a SubCircuit's ops use the same weight indices as the SuperCircuit's ops (inherited weights)
    full_ops = {(o.name, o.wires, o.params) for o in full.ops}
    assert all((o.name, o.wires, o.params) in full_ops for o in sub.ops)
    assert len(sub.ops) == 2 + 3 + 4 + 1
    for space in qn.SPACES:
        s = qn.SuperCircuit(space, 4, 2)
        rng = np.random.default_rng(0)
        for _ in range(10):
            s.circuit(s.sample_arch(rng))


def test_mutation_and_crossover_stay_valid():
    sc = qn.SuperCircuit("rxyz", 4, 4)
    rng = np.random.default_rng(3)
    a = qn.Gene((0, 1, 2, 3), sc.sample_arch(rng))
    b = qn.Gene((4, 3, 1, 0), sc.sample_arch(rng))
    for _ in range(50):
        m = qn.mutate(a, sc, 5, 0.4, rng)
        x = qn.crossover(a, b, rng)
        for g in (m, x):
            sc.check_arch(g.arch)
            assert len(set(g.layout)) == 4 and max(g.layout) < 5


def test_evolve_finds_a_toy_optimum():
    sc = qn.SuperCircuit("u3cu3", 4, 4)

    def score(g):  # optimum 0.6: two blocks of widths 2, layout (0, 1, 2, 3)
        return (abs(g.arch.n_blocks - 2) + sum(g.layout) / 10
                + sum(abs(k - 2) for wb in g.arch.widths for k in wb))

    res = qn.evolve(sc, 5, lambda gs: [score(g) for g in gs], population=20, parents=5, mutations=10, crossovers=5, iterations=15,
                    p=0.4, seed=0)
    assert res.best_score < res.history[0][1] and res.best_score <= 1.0
    assert [h[1] for h in res.history] == sorted([h[1] for h in res.history], reverse=True)


def test_angle_magnitude_and_pruned_circuit():
    mag = qn.angle_magnitude([0.0, 2 * np.pi, np.pi, -0.1, 2 * np.pi + 0.2])
    assert np.allclose(mag, [0, 0, np.pi, 0.1, 0.2])
    sc = qn.SuperCircuit("u3cu3", 4, 1)
    circ = sc.circuit(sc.full_arch())
    mask = np.ones(sc.n_weights())
    mask[:3] = 0  # all three angles of the first U3
    mask[3] = 0  # one angle of the second U3: it stays
    assert len(qn.pruned_circuit(circ, mask).ops) == len(circ.ops) - 1


def test_prune_schedule_is_the_authors_threshold_scheduler():
    """torchquantum's ThresholdScheduler(0, 30, 0.1, 0.5) of the QuantumNAS configuration: tfmot's PolynomialDecay
    (power 3) from 0 to 1 over steps 0..30, scaled to 0.1..0.5, read once after each epoch from step 0 on."""
    def authors(step, begin=0, end=30, lo=0.1, hi=0.5):
        p = min(1.0, max(0.0, (step - begin) / (end - begin)))
        return lo + (hi - lo) * (1.0 - (1.0 - p) ** 3)    # PolynomialDecay: final + (init - final) (1 - p)^3

    # 40 epochs, the ramp over 3/4 of them: the authors' 30 of 40
    assert np.allclose(qn.prune_schedule(40, 0.5), [authors(k) for k in range(40)])
    assert qn.prune_schedule(40, 0.5)[9] == pytest.approx(0.3628, abs=1e-4)   # the example's 10th (last) epoch
    r = qn.prune_schedule(8, 0.5)
    assert r[0] == pytest.approx(qn.PRUNE_INIT) and np.all(np.diff(r) >= 0) and r[-2:].tolist() == [0.5, 0.5]
    assert qn.prune_schedule(2, 0.5).tolist() == [0.1, 0.5] and qn.prune_schedule(1, 0.3).tolist() == [0.3]
    with pytest.raises(ValueError, match="init_ratio"):
        qn.prune_schedule(8, 0.05)          # the target below the first epoch's 0.1


def test_prune_is_gradual_and_keeps_what_it_pruned():
    xtr, ytr, _, _ = qn.load_digits_4x4((3, 6), 40, 10, seed=0)
    states = qn.encode(xtr)
    sc = qn.SuperCircuit("u3cu3", 4, 1)
    circ = sc.circuit(sc.full_arch())
    steps = qn.prune(circ, sc.init_weights(0), states, ytr, 2, 0.5, 4, 3, 16, 0.05, 0)
    n = sc.n_weights()
    assert [s.epoch for s in steps] == [1, 2, 3, 4]
    want = [round(r * n) / n for r in qn.prune_schedule(4, 0.5)]
    assert [s.ratio for s in steps] == pytest.approx(want) and steps[-1].ratio == 0.5
    for a, b in zip(steps, steps[1:]):
        assert torch.all(b.mask[a.mask == 0] == 0)          # an angle once pruned stays pruned
    for s in steps:
        assert int((s.mask == 0).sum()) == round(s.ratio * n) and torch.all(s.weights[s.mask == 0] == 0)
        assert s.circuit == qn.pruned_circuit(circ, s.mask.numpy())
    # the same seed, the same run
    again = qn.prune(circ, sc.init_weights(0), states, ytr, 2, 0.5, 4, 3, 16, 0.05, 0)
    assert all(torch.equal(a.weights, b.weights) and torch.equal(a.mask, b.mask) for a, b in zip(steps, again))


def test_select_pruned_keeps_the_unpruned_circuit_unless_a_pruned_one_measures_better(monkeypatch):
    from lab.quantumnas import pruning

    xtr, ytr, _, _ = qn.load_digits_4x4((3, 6), 24, 8, seed=0)
    sc = qn.SuperCircuit("u3cu3", 4, 1)
    circ, w = sc.circuit(sc.full_arch()), sc.init_weights(0)
    steps = qn.prune(circ, w, qn.encode(xtr), ytr, 2, 0.5, 3, 1, 8, 0.05, 0)
    dev = qn.get_device("FakeQuitoV2", 0.0)
    xv, yv = xtr[:4], np.array([0, 1, 0, 1])
    right, wrong = np.array([[1.0, 1, -1, -1], [-1, -1, 1, 1]] * 2), np.array([[-1.0, -1, 1, 1], [1, 1, -1, -1]] * 2)
    half = np.array([[1.0, 1, -1, -1]] * 4)                 # class 0 for all: half right
    for outs, want in (([half, half, right, right], 1), ([right, half, right, wrong], None), ([half] * 4, None)):
        monkeypatch.setattr(pruning, "noisy_expvals_many", lambda c, *a, _o=outs, **k: (list(_o), [0] * len(c)))
        pick, acc = qn.select_pruned(circ, w, steps, dev, xv, yv, 2, (0, 1, 3, 4), 16, 0)
        assert pick == want and len(acc) == 1 + len(steps)
    monkeypatch.undo()
    pick, acc = qn.select_pruned(circ, w, [], dev, xv, yv, 2, (0, 1, 3, 4), 16, 0)
    assert pick is None and len(acc) == 1


def test_readout_groups_qubits():
    ez = torch.tensor([[1.0, 0.5, -1.0, 0.0]])
    assert torch.allclose(qn.readout(ez, 2, scale=1.0), torch.tensor([[1.5, -1.0]]))
    assert torch.allclose(qn.readout(ez, 4), qn.READOUT_SCALE * ez)
    assert qn.accuracy([[0.1, 0.9], [0.8, 0.2]], [1, 1]) == 0.5


def test_training_lowers_the_loss():
    xtr, ytr, _, _ = qn.load_digits_4x4((3, 6), 60, 10, seed=0)
    states = qn.encode(xtr)
    sc = qn.SuperCircuit("zz_ry", 4, 2)
    circ = sc.circuit(sc.full_arch())
    _, losses = qn.train(lambda _r: circ, sc.init_weights(0), states, ytr, 2, 40, 30, 0.1, 0)
    assert np.mean(losses[-5:]) < np.mean(losses[:5])


def test_h2_exact_energy_against_qiskit():
    op = SparsePauliOp.from_list(list(qn.H2_TERMS))
    assert np.allclose(op.to_matrix(), qn.h2_matrix())
    assert abs(qn.exact_ground_energy() - np.linalg.eigvalsh(op.to_matrix()).min()) < 1e-12
    assert abs(qn.exact_ground_energy() - (-1.857275)) < 1e-5


def test_noise_free_device_matches_the_simulator():
    dev = Device("FakeQuitoV2", 0.0)
    assert dev.noise_model is None
    sc = qn.SuperCircuit("u3cu3", 2, 1)
    circ = sc.circuit(sc.full_arch())
    w = sc.init_weights(2)
    e_exact = float(qn.energy(circ, w))
    e_dev = noisy_energy(circ, w.numpy(), qn.H2_TERMS, dev, (3, 4), 20000, 0)
    assert abs(e_dev - e_exact) < 0.02
    x = np.random.default_rng(0).uniform(0, np.pi, (3, 16))
    full = qn.encoder_4x4_ryzxy() + qn.SuperCircuit("u3cu3", 4, 1).circuit(qn.Arch(1, ((4, 3),)))
    w4 = qn.SuperCircuit("u3cu3", 4, 1).init_weights(0)
    ez, n_native = noisy_expvals(full, w4.numpy(), x, dev, (0, 1, 3, 4), 20000, 0)
    ref = qsim.expval_z(qsim.simulate(full, w4, torch.tensor(x))).numpy()
    assert np.abs(ez - ref).max() < 0.05 and n_native > 0
    many, counts = qn.noisy_expvals_many([full, full], [w4.numpy()] * 2, x, dev, [(0, 1, 3, 4), (4, 3, 1, 0)],
                                         20000, 0)
    assert all(np.abs(m - ref).max() < 0.05 for m in many) and len(counts) == 2


def test_noise_scaling_multiplies_errors():
    dev = Device("FakeLimaV2", 1.0)
    t2 = _scaled_target(dev.backend.target, 2.0)
    e1 = dev.backend.target["cx"][(0, 1)].error
    assert abs(t2["cx"][(0, 1)].error - 2 * e1) < 1e-12
    assert abs(t2.qubit_properties[0].t1 - dev.backend.target.qubit_properties[0].t1 / 2) < 1e-12


def test_figures_have_units():
    dev = Device("FakeQuitoV2", 0.0)
    sc = qn.SuperCircuit("rxyz", 4, 1)
    for fig in (qp.draw_circuit(sc.circuit(sc.full_arch())), qp.draw_mapping(dev, (0, 1, 3, 4)),
                qp.sweep_figure([dict(params=4, acc_noise_free=0.5, acc_noisy=0.4)]),
                qp.contenders_figure({"a": {"acc_clean": (0.5, 0.1), "acc_noisy": (0.4, 0.0)}})):
        assert not plotting.unlabelled_axes(fig)


def test_determinism_of_training_and_search():
    xtr, ytr, _, _ = qn.load_digits_4x4((0, 1, 2, 3), 40, 8, seed=1)
    states = qn.encode(xtr)
    sc = qn.SuperCircuit("u3cu3", 4, 2)
    runs = [qn.train(lambda r: sc.circuit(sc.sample_arch(r)), sc.init_weights(0), states, ytr, 4, 5, 8,
                     0.05, 7)[0] for _ in range(2)]
    assert torch.equal(runs[0], runs[1])
    score = lambda gs: [g.arch.n_blocks + sum(map(sum, g.arch.widths)) + g.layout[0] for g in gs]  # noqa: E731
    a = qn.evolve(sc, 5, score, 6, 3, 2, 1, 3, 0.4, seed=5)
    b = qn.evolve(sc, 5, score, 6, 3, 2, 1, 3, 0.4, seed=5)
    assert a.best == b.best and a.history == b.history


def test_bad_inputs():
    with pytest.raises(ValueError, match="classes"):
        qn.load_digits_4x4((3, 3), 10, 10)
    with pytest.raises(ValueError, match="space"):
        qn.SuperCircuit("nope", 4, 2)
    sc = qn.SuperCircuit("u3cu3", 4, 2)
    with pytest.raises(ValueError, match="arch.n_blocks"):
        sc.circuit(qn.Arch(3, ((1, 1),) * 3))
    with pytest.raises(ValueError, match="arch.widths"):
        sc.circuit(qn.Arch(1, ((5, 1),)))
    with pytest.raises(ValueError, match="n_classes"):
        qn.readout(torch.zeros((1, 4)), 3)
    with pytest.raises(ValueError, match="parents"):
        qn.evolve(sc, 5, lambda gs: [0.0] * len(gs), 2, 3, 1, 1, 1, 0.4, 0)
    with pytest.raises(ValueError, match="backend"):
        Device("FakeWashingtonV2")
    with pytest.raises(ValueError, match="noise_factor"):
        Device("FakeQuitoV2", -1.0)
    with pytest.raises(ValueError, match="task"):
        qn.run_pipeline("3-class", "u3cu3", "FakeQuitoV2", None)
    dev = Device("FakeQuitoV2", 0.0)
    with pytest.raises(ValueError, match="layout"):
        noisy_expvals(qn.encoder_4x4_ryzxy(), np.zeros(0), np.zeros((1, 16)), dev, (0, 0, 1, 2), 10, 0)
    with pytest.raises(ValueError, match="final_ratio"):
        qn.prune(sc.circuit(sc.full_arch()), sc.init_weights(0), None, None, 4, 1.5, 1, 1, 1, 0.1, 0)


def test_explorer_controls_and_search_button():
    from lab.core import resolve_scale

    cfg = resolve_scale(qn.SCALES, "small", n_train=40, n_test=8, n_val=8, max_blocks=2, super_steps=3,
                        train_steps=2, finetune_steps=1, population=2, parents=1, mutations=1, crossovers=0,
                        iterations=1, shots=32)
    res = qn.run_pipeline("4-class", "zz_ry", "FakeQuitoV2", cfg, seed=0)
    assert set(res.contenders) == set(qn.CONTENDERS)
    assert all(0.0 <= c.acc_noisy <= 1.0 for c in res.contenders.values())
    ex = qp.explorer(res, cfg)
    before = ex.snapshot()[2].to_dict()["data"]
    ex.set(noise=2.0)
    assert ex.snapshot()[2].to_dict()["data"] != before
    before = ex.snapshot()[0].to_dict()["data"]
    ex.set(space="rxyz")
    assert ex.snapshot()[0].to_dict()["data"] != before
    # the search budget is read by "run search" only: moving it redraws nothing
    assert "budget" not in ex.controls and ex.budget.value == cfg.iterations
    calls, update = [], ex._update
    ex._update = lambda: (calls.append(1), update())
    ex.budget.value = 2
    assert not calls
    ex.set(noise=1.0)
    assert calls == [1]
    ex.run_search()
    assert "QuantumNAS" in ex.readout.value


def test_issue16_bounds_on_counts():
    sc = qn.SuperCircuit("u3cu3", 4, 1)
    with pytest.raises(ValueError, match="population"):
        qn.evolve(sc, 5, lambda gs: [0.0] * len(gs), 10**12, 1, 1, 1, 1, 0.4, 0)
    xtr, ytr, _, _ = qn.load_digits_4x4((3, 6), 16, 8, seed=0)
    with pytest.raises(ValueError, match="epochs"):
        qn.prune(sc.circuit(sc.full_arch()), sc.init_weights(0), qn.encode(xtr), ytr, 2, 0.5, 10**6, 1, 8, 0.1, 0)


def test_fair_baseline_layout_comes_from_the_transpiler():
    dev = qn.get_device("FakeQuitoV2", 1.0)
    sc = qn.SuperCircuit("u3cu3", 4, 1)
    lay = dev.transpiler_layout(sc.circuit(sc.full_arch()), seed=0)
    assert len(set(lay)) == 4 and all(0 <= q < dev.n_qubits for q in lay)
    sc2 = qn.SuperCircuit("u3cu3", 2, 1)  # one CU3: the transpiler must place it on a coupled pair
    pair = dev.transpiler_layout(sc2.circuit(sc2.full_arch()), seed=0, weights=sc2.init_weights(0).numpy())
    assert tuple(sorted(pair)) in dev.coupling


def test_evaluate_all_matches_one_by_one_except_shot_noise():
    """The contenders' noisy runs in one Aer job: noise-free accuracy and gate counts exactly as `evaluate`
    gives them one by one, noisy accuracy within shot noise (noise-free device: exactly)."""
    xtr, ytr, xte, yte = qn.load_digits_4x4((3, 6), 16, 16, seed=0)
    sc = qn.SuperCircuit("u3cu3", qn.N_QUBITS, 1)
    circ = sc.circuit(sc.full_arch())
    cs = [qn.Contender(f"c{i}", circ, [0, 1, 2, 3], sc.init_weights(i)) for i in range(3)]
    ste = qn.encode(xte)
    for noise in (0.0, 1.0):
        dev = qn.get_device("FakeQuitoV2", noise)
        one = [qn.evaluate(qn.Contender(c.name, c.circuit, c.layout, c.weights), dev, xte, yte, ste, 2, 512, 0)
               for c in cs]
        many = qn.evaluate_all([qn.Contender(c.name, c.circuit, c.layout, c.weights) for c in cs],
                               dev, xte, yte, ste, 2, 512, 0)
        for a, b in zip(one, many):
            assert (a.acc_clean, a.n_params, a.n_native) == (b.acc_clean, b.n_params, b.n_native)
            assert abs(a.acc_noisy - b.acc_noisy) <= (0.0 if noise == 0 else 0.25), (noise, a.acc_noisy, b.acc_noisy)
    with pytest.raises(TypeError, match="contenders"):
        qn.evaluate_all([], dev, xte, yte, ste, 2, 16, 0)


def test_identical_contenders_share_one_noisy_run():
    """A pruned contender that kept the unpruned circuit gets the unpruned one's numbers, not another draw of shots."""
    _, _, xte, yte = qn.load_digits_4x4((3, 6), 16, 16, seed=0)
    sc = qn.SuperCircuit("u3cu3", qn.N_QUBITS, 1)
    circ, w = sc.circuit(sc.full_arch()), sc.init_weights(0)
    cs = [qn.Contender(n, circ, (0, 1, 3, 4), w) for n in ("a", "b")] + [qn.Contender("c", circ, (0, 1, 3, 4),
                                                                                     sc.init_weights(1))]
    qn.evaluate_all(cs, qn.get_device("FakeQuitoV2", 1.0), xte, yte, qn.encode(xte), 2, 64, 0)
    assert (cs[0].acc_noisy, cs[0].n_native) == (cs[1].acc_noisy, cs[1].n_native)


def test_sampler_primitive_agrees_with_aer_within_shot_noise():
    """The final evaluation through Qiskit Runtime's client-side Sampler (local mode on the fake backend) measures
    what the Aer path measures: per image and qubit, <Z> within shot noise of Aer's, and both far from the
    noise-free value (the primitive runs the device's noise, not an ideal simulator). No account is needed."""
    _, _, x, _ = qn.load_digits_4x4((0, 1, 2, 3), 16, 12, seed=0)
    sc = qn.SuperCircuit("u3cu3", qn.N_QUBITS, 1)
    full = qn.encoder_4x4_ryzxy() + sc.circuit(sc.full_arch())
    w = sc.init_weights(3).numpy()
    dev, shots, lay = qn.get_device("FakeQuitoV2", 1.0), 2000, (0, 1, 3, 4)
    [aer], [n_aer] = qn.noisy_expvals_many([full], [w], x, dev, [lay], shots, 0)
    [same], _ = qn.sampler_expvals([full], [w], x, dev, [lay], shots, 0)
    assert np.allclose(same, aer, rtol=0, atol=1e-12)   # the same seed: local mode draws the very shots of Aer
    [prim], [n_prim] = qn.sampler_expvals([full], [w], x, dev, [lay], shots, 1)   # other shots
    clean = qsim.expval_z(qsim.simulate(full, torch.tensor(w), torch.tensor(x))).numpy()
    assert prim.shape == aer.shape == (12, 4) and n_prim == n_aer
    sd = np.sqrt((1 - prim ** 2 + 1 - aer ** 2) / shots)   # std of the difference of two shot means
    assert np.all(np.abs(prim - aer) <= 5 * sd + 1e-9), np.abs(prim - aer).max()
    assert abs(np.mean(prim - aer)) <= 5 * np.sqrt(np.mean(sd ** 2) / sd.size)
    # the device's noise moves <Z> by several times what the shots alone would (mean |error| of a shot mean:
    # sqrt(2 / pi) of its std), in both paths alike
    noise, shot_only = np.abs(aer - clean).mean(), np.sqrt(2 / np.pi) * np.mean(np.sqrt((1 - aer ** 2) / shots))
    assert noise > 4 * shot_only and abs(np.abs(prim - clean).mean() - noise) < 0.2 * noise
    # the accuracies of evaluate_sampler and the Aer path, and the checks of the backend argument
    _, _, xte, yte = qn.load_digits_4x4((3, 6), 16, 16, seed=0)
    c = qn.Contender("c", sc.circuit(sc.full_arch()), lay, sc.init_weights(0))
    free = qn.get_device("FakeQuitoV2", 0.0)                # noise-free: the device's ideal AerSimulator
    [acc] = qn.evaluate_sampler([c], free, xte, yte, 2, 4000, 0)
    ref = qn.accuracy(qn.clean_scores(c.circuit, c.weights, qn.encode(xte), 2).detach().numpy(), yte)
    assert abs(acc - ref) <= 2 / 16
    with pytest.raises(TypeError, match="backend"):
        qn.sampler_expvals([full], [w], x, "FakeQuitoV2", [lay], 16, 0)
