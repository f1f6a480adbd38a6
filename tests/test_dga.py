"""Unit tests of lab.dga (delayed gradient averaging): the update rules, the timeline and the
multi-process run (lab.dga.dist)."""
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from lab import dga
from lab.core import stats


@pytest.fixture(scope="module")
def data():
    return dga.default_data()


def test_scales():
    assert {"small", "paper"} <= set(dga.SCALES)
    for cfg in dga.SCALES.values():
        assert cfg["steps"] % cfg["period"] == 0  # FedAvg and DGA end on a full round
        assert cfg["eval_every"] % cfg["period"] == 0  # the mean model is scored at round ends
        assert set(dga.step_times(cfg["step_ms"]).values()) == {dga.CPU_STEP_MS / 1000, dga.PI_STEP_MS / 1000}


def test_partitions(data):
    n = len(data.y_train)
    for kind in dga.PARTITIONS:
        parts = dga.partition(data.y_train, 4, kind, seed=0)
        allidx = np.concatenate(parts)
        assert len(allidx) == n and len(np.unique(allidx)) == n  # disjoint and complete
        assert max(map(len, parts)) - min(map(len, parts)) <= 2
    for p in dga.partition(data.y_train, 4, "iid", seed=0):
        assert (np.bincount(data.y_train[p], minlength=10) > 0).sum() == 10
    for p in dga.partition(data.y_train, 4, "noniid", seed=0):  # label skew: two shards of ~1.25 classes
        counts = np.bincount(data.y_train[p], minlength=10)
        assert (counts > 0).sum() <= 6 and np.sort(counts)[-2:].sum() > 0.5 * len(p)


def _reference_dga(data, method, workers, steps, lr, delay, period, seed, hidden=8, batch=4):
    """An independent, plain re-implementation: one torch.nn MLP per worker, explicit
    histories, averages as Python means. DGA sends each worker's sum of the round's
    gradients every `period` steps (and at the last step) and swaps it for the average
    `delay` steps later; what is still in flight at the end is applied then. Returns the
    stacked final weights (J, P)."""
    parts = dga.partition(data.y_train, workers, "iid", seed)
    idx = dga.batch_indices([len(p) for p in parts], batch, steps, seed)
    nets = []
    for _ in range(workers):
        net = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)).double()
        flat, off = dga.init_params(hidden, seed), 0
        for lin in (net[0], net[2]):
            a, b = lin.in_features, lin.out_features
            lin.weight.data = flat[off:off + a * b].reshape(a, b).T.clone()
            off += a * b
            lin.bias.data = flat[off:off + b].clone()
            off += b
        nets.append(net)

    def flat_of(tensors):  # torch.nn layout -> our layout (W stored as in x out)
        w1, b1, w2, b2 = tensors
        return torch.cat([w1.T.reshape(-1), b1, w2.T.reshape(-1), b2])

    params = [flat_of([p.data for p in n.parameters()]) for n in nets]
    rounds = []  # dga: (step sent, per-worker sums, their average), in the order sent
    applied = 0
    sums = [torch.zeros_like(params[0]) for _ in range(workers)]
    for t in range(steps):
        grads = []
        for j, n in enumerate(nets):
            x = torch.as_tensor(data.x_train[parts[j]][idx[j, t]]).double()
            y = torch.as_tensor(data.y_train[parts[j]][idx[j, t]])
            n.zero_grad()
            torch.nn.functional.cross_entropy(n(x), y).backward()
            grads.append(flat_of([p.grad for p in n.parameters()]))
        avg = sum(grads) / workers
        last = (t + 1) % period == 0 or t == steps - 1
        for j in range(workers):
            params[j] = params[j] - lr * (avg if method == "sync" else grads[j])
        if method == "fedavg" and last:
            params = [sum(params) / workers] * workers
        if method == "dga":
            sums = [s + g for s, g in zip(sums, grads)]
            if last:
                rounds.append((t, sums, sum(sums) / workers))
                sums = [torch.zeros_like(params[0]) for _ in range(workers)]
            while applied < len(rounds) and (rounds[applied][0] + delay <= t or t == steps - 1):
                _, own, mean = rounds[applied]
                params = [w - lr * (mean - o) for w, o in zip(params, own)]
                applied += 1
        for n, w in zip(nets, params):  # load the new weights back into the torch.nn modules
            w1 = w[:64 * hidden].reshape(64, hidden).T
            b1 = w[64 * hidden:65 * hidden]
            w2 = w[65 * hidden:75 * hidden].reshape(hidden, 10).T
            b2 = w[75 * hidden:]
            for p, v in zip(n.parameters(), (w1, b1, w2, b2)):
                p.data = v.clone().contiguous()
    return torch.stack(params)


@pytest.mark.parametrize("method,period", [("sync", 3), ("fedavg", 3), ("dga", 1), ("dga", 3), ("dga", 2)])
def test_update_rules_match_independent_reference(data, method, period):
    kw = dict(workers=3, steps=7, lr=0.3, delay=2, period=period, seed=1)
    ref = _reference_dga(data, method, **kw)
    run = dga.simulate(method, "iid", batch=4, hidden=8, eval_every=0, data=data, **kw)
    torch.testing.assert_close(run.W, ref, rtol=1e-10, atol=1e-12)


def test_gradients_match_autograd():
    g = torch.Generator().manual_seed(0)
    W = dga.init_params(16, 0).expand(3, -1) + 0.1 * torch.randn(3, dga.n_params(16), generator=g, dtype=torch.float64)
    x = torch.rand(3, 5, 64, generator=g, dtype=torch.float64)
    y = torch.randint(0, 10, (3, 5), generator=g)
    Wg = W.clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(dga.forward(Wg, x, 16).reshape(-1, 10), y.reshape(-1), reduction="sum") / 5
    torch.testing.assert_close(dga.gradients(W, x, y, 16), torch.autograd.grad(loss, Wg)[0], rtol=1e-12, atol=1e-14)


def _per_step_dga(data, workers, steps, lr, delay, seed, hidden=8):
    """The per-step rule of the paper, written directly: w <- w - lr (g_t - g_{t-D} + avg_{t-D}),
    plain local SGD while t < D; the averages in flight applied at the end."""
    parts = dga.partition(data.y_train, workers, "iid", seed)
    idx = dga.batch_indices([len(p) for p in parts], 32, steps, seed)
    x = torch.as_tensor(np.stack([data.x_train[p][i] for p, i in zip(parts, idx)]).astype(np.float64))
    y = torch.as_tensor(np.stack([data.y_train[p][i] for p, i in zip(parts, idx)]))
    W = dga.init_params(hidden, seed).expand(workers, -1).clone()
    gs = []
    for t in range(steps):
        g = dga.gradients(W, x[:, t], y[:, t], hidden)
        gs.append(g)
        if t >= delay:
            W = W - lr * (g - gs[t - delay] + gs[t - delay].mean(0, keepdim=True).expand_as(g))
        else:
            W = W - lr * g
    for g in gs[steps - delay:]:
        W = W - lr * (g.mean(0, keepdim=True).expand_as(g) - g)
    return W


def test_period_generalises_fedavg_and_per_step_dga(data):
    kw = dict(workers=3, steps=12, seed=2, data=data, eval_every=0, hidden=8)
    for K in (1, 2, 4):  # D = 0: DGA is FedAvg at the same K
        torch.testing.assert_close(dga.simulate("dga", delay=0, period=K, **kw).W,
                                   dga.simulate("fedavg", period=K, **kw).W, rtol=0, atol=1e-14)
    # K = 1: the per-step rule, to the last bit
    ref = _per_step_dga(data, 3, 12, 0.3, 3, 2)
    assert torch.equal(dga.simulate("dga", delay=3, period=1, **kw).W, ref)
    d = dga.simulate("dga", delay=3, period=4, **kw)
    assert d.messages == 3 == dga.simulate("fedavg", period=4, **kw).messages  # equal bytes at equal K


def test_every_worker_ends_with_the_mean_model(data):
    kw = dict(workers=4, steps=14, seed=0, data=data, hidden=8, eval_every=4, partition_kind="noniid")
    for K in (1, 4):
        r = dga.simulate("dga", delay=3, period=K, **kw)
        torch.testing.assert_close(r.W, r.W.mean(0, keepdim=True).expand_as(r.W), rtol=0, atol=1e-14)
        assert r.final_acc == pytest.approx(dga.accuracy(r.W.mean(0), data.x_test, data.y_test, 8), abs=1e-9)
        assert r.acc[-1] == pytest.approx(r.final_acc, abs=1e-9) and list(r.steps_eval) == [0, 4, 8, 12, 14]
    with pytest.raises(ValueError, match="eval_every must be 0 or a multiple of period"):
        dga.simulate("fedavg", period=4, **dict(kw, eval_every=6))


def test_known_special_cases(data):
    kw = dict(workers=3, steps=12, seed=2, data=data, eval_every=0, hidden=8)
    sync = dga.simulate("sync", **kw)
    assert torch.equal(dga.simulate("dga", delay=0, period=1, **kw).W, sync.W)  # D = 0, K = 1 is synchronous
    torch.testing.assert_close(dga.simulate("fedavg", period=1, **kw).W, sync.W)  # K = 1 too
    assert torch.equal(sync.W[0], sync.W[2])  # sync keeps every worker identical
    # DGA's worker average moves exactly by the mean gradient: workers differ only by their last D gradients
    d = dga.simulate("dga", delay=3, **kw)
    assert not torch.equal(d.W, sync.W)
    one = dict(kw, workers=1)
    base = dga.simulate("sync", **one).W
    for m in ("fedavg", "dga"):  # with one worker every method is plain SGD
        torch.testing.assert_close(dga.simulate(m, **one).W, base)
    assert sync.messages == 12 and dga.simulate("fedavg", period=4, **kw).messages == 3


def test_timeline_known_answers():
    c = np.ones(10)
    assert dga.timeline("sync", c, 10.0)[-1] == 10 * 11
    assert dga.timeline("fedavg", c, 10.0, period=5)[-1] == 10 + 2 * 10
    np.testing.assert_array_equal(dga.timeline("dga", c, 10.0, delay=0, period=1), dga.timeline("sync", c, 10.0))
    np.testing.assert_array_equal(dga.timeline("dga", c, 10.0, delay=0, period=5),
                                  dga.timeline("fedavg", c, 10.0, period=5))
    for m in dga.METHODS:  # no latency: every method costs only its compute
        assert dga.timeline(m, c, 0.0)[-1] == 10
    end = dga.timeline("dga", c, 10.0, delay=1, period=1)
    np.testing.assert_array_equal(end[:4], [1, 11, 12, 22])  # two steps per (c + L)
    assert dga.timeline("dga", c, 0.5, delay=2, period=1)[-1] == 10  # latency hidden during training ...
    assert dga.ready_times("dga", c, 0.5, delay=2, period=1)[-1] == 10.5  # ... the last average still costs it
    # K = 4, D = 4: the round sent at step 3 is applied at step 7; the last round costs one latency more
    np.testing.assert_array_equal(dga.timeline("dga", np.ones(8), 10.0, delay=4, period=4), [1, 2, 3, 4, 5, 6, 7, 14])
    np.testing.assert_array_equal(dga.ready_times("dga", np.ones(8), 10.0, delay=4, period=4)[[3, 7]], [14, 18])
    for m in ("sync", "fedavg"):
        np.testing.assert_array_equal(dga.ready_times(m, c, 10.0), dga.timeline(m, c, 10.0))
    # per-worker compute: an all-reduce starts when the slowest worker sends
    assert dga.timeline("sync", np.array([[1.0, 1.0], [3.0, 1.0]]), 1.0)[-1] == 6
    assert dga.speedup("dga", 1e-3, 0.2, 300, delay=4, period=1) == pytest.approx(5.0, rel=1e-2)


def test_time_to_accuracy():
    t, a = np.array([0.0, 1.0, 2.0]), np.array([0.1, 0.5, 0.9])
    assert dga.time_to_accuracy(t, a, 0.5) == 1.0
    assert dga.time_to_accuracy(t, a, 0.95) == float("inf")


def test_single_and_multi_process_give_the_same_weights(data):
    kw = dict(workers=2, steps=5, lr=0.3, delay=2, period=2, seed=3, batch=8, hidden=16)
    real = dga.run_distributed(dga.METHODS, "noniid", latency_s=0.0, timeout_s=240, data=data, **kw)
    for m in dga.METHODS:
        sim = dga.simulate(m, "noniid", eval_every=0, data=data, **kw)
        torch.testing.assert_close(real.W[m], sim.W, rtol=1e-12, atol=1e-12)
        assert real.acc[m] == pytest.approx(sim.final_acc)
        assert real.messages[m] == sim.messages
        assert real.compute_s[m].shape == (2, 5)


def _children():
    me, kids = os.getpid(), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            kids.append(stat.parent.name)
    return kids


def test_distributed_run_times_out_and_cleans_up(data):
    before = set(_children())
    with pytest.raises(RuntimeError, match="timeout_s"):
        dga.run_distributed("sync", workers=2, steps=50, latency_s=1.0, timeout_s=0.3, data=data)
    assert set(_children()) <= before  # every worker is gone


def test_free_port():
    p = dga.free_port()
    assert 1024 <= p < 65536


def test_bad_inputs(data):
    with pytest.raises(ValueError, match="method must be one of"):
        dga.simulate("allreduce", data=data)
    with pytest.raises(ValueError, match="partition_kind must be one of"):
        dga.simulate("sync", "dirichlet", data=data)
    with pytest.raises(ValueError, match="delay must be an integer"):
        dga.simulate("dga", delay=-1, data=data)
    with pytest.raises(ValueError, match="lr must be in"):
        dga.simulate("sync", lr=0.0, data=data)
    with pytest.raises(ValueError, match="workers must be an integer"):
        dga.partition(data.y_train, 0)
    with pytest.raises(ValueError, match="latency_s must be in"):
        dga.timeline("sync", np.ones(3), -1.0)
    with pytest.raises(ValueError, match="compute_s values must be >= 0"):
        dga.timeline("sync", -np.ones(3), 0.1)
    with pytest.raises(ValueError, match="methods must be one of"):
        dga.run_distributed(("sync", "gossip"), data=data)
    with pytest.raises(ValueError, match="timeout_s must be in"):
        dga.run_distributed("sync", timeout_s=0, data=data)
    with pytest.raises(ValueError, match="W must be a tensor of shape"):
        dga.forward(torch.zeros(2, 5), torch.zeros(2, 3, 64), hidden=8)
    with pytest.raises(ValueError, match="x must be a tensor of shape"):
        dga.forward(dga.init_params(8, 0).unsqueeze(0), torch.zeros(1, 3, 63), hidden=8)
    with pytest.raises(ValueError, match="hidden must be an integer"):
        dga.n_params(0)
    with pytest.raises(TypeError, match="data must be Digits"):
        dga.simulate("sync", data=np.zeros(3))


def test_explorer_redraws(data):
    ex = dga.explorer(steps=20, data=data, eval_every=4)
    before = ex.snapshot()[0].to_dict()["data"]
    ex.set(latency_ms=50.0)
    after = ex.snapshot()[0].to_dict()["data"]
    assert after != before and "speedup" in ex.readout.value
    ex.set(delay=1, partition="noniid")
    assert ex.snapshot()[0].to_dict()["data"] != after


def test_figures_label_every_axis(data):
    from lab.core.plotting import unlabelled_axes

    runs = dga.compare(seeds=(0,), data=data, progress=False, steps=12, eval_every=4)
    sweep = dga.delay_sweep((0, 2), data=data, steps=8, period=1)
    assert list(sweep["speedup"]) == [1.0, dga.speedup("dga", 4e-4, 0.2, 8, delay=2, period=1)]
    assert 2.5 < sweep["speedup"][1] <= 3.0  # D + 1 = 3 steps per latency, less the last average's
    for fig in (dga.partition_figure(data), dga.curves_figure(runs), dga.delay_figure(sweep)):
        assert unlabelled_axes(fig) == []
    table = dga.summary(runs, (0, 200), step_s=1e-3)
    assert len(table) == 2 * 2 * 3 and (table.query("method == 'sync'")["speedup"] == 1).all()
    gap = dga.accuracy_gap(runs, "iid", "sync")  # one seed has no interval, and the note says so
    assert isinstance(gap.value, float) and "single seed" in gap.note


def test_claims_use_the_paired_interval(data):
    runs = dga.compare(seeds=(0, 1, 2), partitions=("iid",), data=data, progress=False, steps=12, eval_every=4)
    gap = dga.accuracy_gap(runs, "iid", "sync")
    a = 100 * np.array([runs["iid", "sync", s].final_acc for s in (0, 1, 2)])
    d = 100 * np.array([runs["iid", "dga", s].final_acc for s in (0, 1, 2)])
    iv = stats.paired_interval(a, d)
    assert gap.value == round(iv.mean, 2) and gap.holds == (iv.lo >= -1 and iv.hi <= 1) and "n = 3" in gap.note


def test_determinism(data):
    a = dga.simulate("dga", "noniid", steps=30, seed=4, data=data)
    b = dga.simulate("dga", "noniid", steps=30, seed=4, data=data)
    assert torch.equal(a.W, b.W) and np.array_equal(a.acc, b.acc) and a.final_acc == b.final_acc
    c = dga.simulate("dga", "noniid", steps=30, seed=5, data=data)
    assert not torch.equal(a.W, c.W)
    t = np.full(30, 1e-3)
    np.testing.assert_array_equal(dga.timeline("dga", t, 0.2), dga.timeline("dga", t, 0.2))


def test_issue16_bad_inputs(data):
    with pytest.raises(ValueError, match="steps"):  # 1.9 GiB of minibatches: refused up front
        dga.simulate("sync", steps=10**6, data=data)
    W = dga.init_params(8, 0).unsqueeze(0)
    x = torch.zeros(1, 2, 64, dtype=torch.float64)
    x[0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="x must be finite"):
        dga.gradients(W, x, torch.zeros(1, 2, dtype=torch.int64), 8)
    assert dga.timeline("dga", np.ones(10), 10.0, delay=1, transfer_s=0.0)[-1] == dga.timeline("dga", np.ones(10), 10.0,
                                                                                                  delay=1)[-1]
    # the link is shared: with a transfer longer than a step, DGA's messages queue
    np.testing.assert_array_equal(dga.timeline("dga", np.ones(3), 0.0, delay=1, period=1, transfer_s=3.0), [1, 4, 7])
    np.testing.assert_array_equal(dga.timeline("sync", np.ones(2), 0.5, transfer_s=3.0), [4.5, 9.0])


def test_step_times_and_scales_markdown():
    assert dga.step_times({"cpu": 0.5, "pi": 1000.0}) == {"cpu": 5e-4, "pi": 1.0}
    with pytest.raises(ValueError, match="step_ms"):
        dga.step_times({"pi": 1e6})
    with pytest.raises(TypeError, match="step_ms"):
        dga.step_times({"cpu": "guess"})
    text = dga.scales_markdown(dga.SCALES)
    assert text.startswith("**Scales.**")
    for c in dga.SCALES.values():
        assert f"{c['workers']} workers for {c['steps']} steps" in text and f"over {len(c['seeds'])} seeds" in text
    with pytest.raises(ValueError, match="scales"):
        dga.scales_markdown({"small": {"workers": 4}})
