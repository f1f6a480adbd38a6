"""Unit tests of lab.dga (delayed gradient averaging): the update rules, the timeline and the
multi-process run (lab.dga.dist)."""
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from lab import dga


@pytest.fixture(scope="module")
def data():
    return dga.default_data()


def test_scales():
    assert {"small", "paper"} <= set(dga.SCALES)
    for cfg in dga.SCALES.values():
        assert cfg["steps"] % cfg["period"] == 0  # FedAvg ends on an average


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
    histories, averages as Python means. Returns the stacked final weights (J, P)."""
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
    history = []
    for t in range(steps):
        grads = []
        for j, n in enumerate(nets):
            x = torch.as_tensor(data.x_train[parts[j]][idx[j, t]]).double()
            y = torch.as_tensor(data.y_train[parts[j]][idx[j, t]])
            n.zero_grad()
            torch.nn.functional.cross_entropy(n(x), y).backward()
            grads.append(flat_of([p.grad for p in n.parameters()]))
        avg = sum(grads) / workers
        history.append((grads, avg))
        for j in range(workers):
            if method == "sync":
                params[j] = params[j] - lr * avg
            elif method == "fedavg":
                params[j] = params[j] - lr * grads[j]
            elif t >= delay:
                old_g, old_avg = history[t - delay]
                params[j] = params[j] - lr * (grads[j] - old_g[j] + old_avg)
            else:
                params[j] = params[j] - lr * grads[j]
        if method == "fedavg" and (t + 1) % period == 0:
            params = [sum(params) / workers] * workers
        for n, w in zip(nets, params):  # load the new weights back into the torch.nn modules
            w1 = w[:64 * hidden].reshape(64, hidden).T
            b1 = w[64 * hidden:65 * hidden]
            w2 = w[65 * hidden:75 * hidden].reshape(hidden, 10).T
            b2 = w[75 * hidden:]
            for p, v in zip(n.parameters(), (w1, b1, w2, b2)):
                p.data = v.clone().contiguous()
    return torch.stack(params)


@pytest.mark.parametrize("method", dga.METHODS)
def test_update_rules_match_independent_reference(data, method):
    kw = dict(workers=3, steps=7, lr=0.3, delay=2, period=3, seed=1)
    ref = _reference_dga(data, method, **kw)
    run = dga.simulate(method, "iid", batch=4, hidden=8, eval_every=0, data=data, **kw)
    torch.testing.assert_close(run.W, ref, rtol=1e-10, atol=1e-12)


def test_known_special_cases(data):
    kw = dict(workers=3, steps=12, seed=2, data=data, eval_every=0, hidden=8)
    sync = dga.simulate("sync", **kw)
    assert torch.equal(dga.simulate("dga", delay=0, **kw).W, sync.W)  # D = 0 is synchronous
    torch.testing.assert_close(dga.simulate("fedavg", period=1, **kw).W, sync.W)  # K = 1 too
    assert torch.equal(sync.W[0], sync.W[2])  # sync keeps every worker identical
    # DGA's worker average moves exactly by the mean gradient: workers differ only by their last D gradients
    d = dga.simulate("dga", delay=3, **kw)
    assert not torch.equal(d.W[0], d.W[1])
    one = dict(kw, workers=1)
    base = dga.simulate("sync", **one).W
    for m in ("fedavg", "dga"):  # with one worker every method is plain SGD
        torch.testing.assert_close(dga.simulate(m, **one).W, base)
    assert sync.messages == 12 and dga.simulate("fedavg", period=4, **kw).messages == 3


def test_timeline_known_answers():
    c = np.ones(10)
    assert dga.timeline("sync", c, 10.0)[-1] == 10 * 11
    assert dga.timeline("fedavg", c, 10.0, period=5)[-1] == 10 + 2 * 10
    np.testing.assert_array_equal(dga.timeline("dga", c, 10.0, delay=0), dga.timeline("sync", c, 10.0))
    for m in dga.METHODS:  # no latency: every method costs only its compute
        assert dga.timeline(m, c, 0.0)[-1] == 10
    end = dga.timeline("dga", c, 10.0, delay=1)
    np.testing.assert_array_equal(end[:4], [1, 11, 12, 22])  # two steps per (c + L)
    assert dga.timeline("dga", c, 0.5, delay=2)[-1] == 10  # latency fully hidden
    # per-worker compute: an all-reduce starts when the slowest worker sends
    assert dga.timeline("sync", np.array([[1.0, 1.0], [3.0, 1.0]]), 1.0)[-1] == 6
    assert dga.speedup("dga", 1e-3, 0.2, 300, delay=4) == pytest.approx(5.0, rel=1e-2)


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
    ex = dga.explorer(steps=20, data=data, eval_every=5)
    before = ex.snapshot()[0].to_dict()["data"]
    ex.set(latency_ms=50.0)
    after = ex.snapshot()[0].to_dict()["data"]
    assert after != before and "speedup" in ex.readout.value
    ex.set(delay=1, partition="noniid")
    assert ex.snapshot()[0].to_dict()["data"] != after


def test_figures_label_every_axis(data):
    from lab.core.plotting import unlabelled_axes

    runs = dga.compare(seeds=(0,), data=data, progress=False, steps=12, eval_every=4)
    sweep = dga.delay_sweep((0, 2), data=data, steps=8)
    assert list(sweep["speedup"]) == [1.0, dga.speedup("dga", 4e-4, 0.2, 8, delay=2)]
    assert 3.0 < sweep["speedup"][1] <= 4.0  # D + 1 = 3 per latency, plus the D free steps at the start
    for fig in (dga.partition_figure(data), dga.curves_figure(runs), dga.delay_figure(sweep)):
        assert unlabelled_axes(fig) == []
    table = dga.summary(runs, (0, 200), step_s=1e-3)
    assert len(table) == 2 * 2 * 3 and (table.query("method == 'sync'")["speedup"] == 1).all()
    gap = dga.accuracy_gap(runs, "iid", "sync")
    assert isinstance(gap.value, float) and "1 seeds" in gap.note


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
    np.testing.assert_array_equal(dga.timeline("dga", np.ones(3), 0.0, delay=1, transfer_s=3.0), [1, 4, 7])
    np.testing.assert_array_equal(dga.timeline("sync", np.ones(2), 0.5, transfer_s=3.0), [4.5, 9.0])
