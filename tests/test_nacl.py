"""lab.nacl (notebook 04): contrastive losses as NCA, attacks, probes, claims."""
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from lab import nacl
from lab.core.claims import Measured
from lab.data import load_digits
from lab.nacl.train import Run


def _z(n=6, d=4, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=dtype)


# ----------------------------------------------------------------------------- losses
@pytest.mark.parametrize("tau", [0.1, 0.5, 2.0])
def test_nt_xent_equals_cross_entropy_over_the_similarity_matrix(tau):
    """Independent formulation: cosine-similarity logits, self-similarity excluded, the other
    view as the target class of torch's cross-entropy."""
    z1, z2 = _z(5, 3, 1), _z(5, 3, 2)
    z = torch.cat([z1, z2])
    z = z / z.norm(dim=1, keepdim=True)
    logits = z @ z.T / tau
    logits.fill_diagonal_(-1e9)
    targets = torch.tensor([5, 6, 7, 8, 9, 0, 1, 2, 3, 4])
    ref = F.cross_entropy(logits, targets)
    assert torch.allclose(nacl.nt_xent(z1, z2, tau=tau), ref, atol=1e-10)


def test_nt_xent_known_answer_two_images():
    """Two images, identical views, orthogonal across images: each anchor's neighbours have
    similarities 1 (positive), 0, 0, so the loss is log(e^(1/τ) + 2) − 1/τ."""
    z1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    tau = 0.5
    want = np.log(np.exp(1 / tau) + 2) - 1 / tau
    assert float(nacl.nt_xent(z1, z1.clone(), tau=tau)) == pytest.approx(want, abs=1e-12)


def test_simclr_is_nca_with_one_positive_and_uniform_prior():
    z1, z2 = _z(8, 5, 3), _z(8, 5, 4)
    labels = torch.arange(8).repeat(2)
    a = nacl.nt_xent(z1, z2, tau=0.3)
    b = nacl.nca_loss(torch.cat([z1, z2]), labels=labels, tau=0.3)
    c = nacl.nacl_loss(torch.stack([z1, z2]), tau=0.3)
    assert torch.allclose(a, b, atol=1e-12) and torch.allclose(a, c, atol=1e-12)
    w = torch.linspace(1, 3, 16, dtype=torch.float64)
    assert abs(float(nacl.nca_loss(torch.cat([z1, z2]), labels=labels, tau=0.3, weights=w)) - float(a)) > 1e-3
    conn = nacl.nca_connection(n=8, d=4)
    assert conn["abs_diff"] < 1e-9 and abs(conn["nca_nonuniform"] - conn["simclr"]) > 1e-3


def test_nca_loss_against_loops_with_weights_and_several_positives():
    z = _z(7, 3, 5)
    labels = torch.tensor([0, 0, 1, 1, 1, 2, 2])
    w = torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0, 1.0, 1.5], dtype=torch.float64)
    tau = 0.7
    u = (z / z.norm(dim=1, keepdim=True)).numpy()
    losses = []
    for i in range(7):
        num = sum(w[j].item() * np.exp(u[i] @ u[j] / tau) for j in range(7) if j != i and labels[j] == labels[i])
        den = sum(w[j].item() * np.exp(u[i] @ u[j] / tau) for j in range(7) if j != i)
        losses.append(-np.log(num / den))
    got = nacl.nca_loss(z, labels=labels, tau=tau, weights=w, reduction="none")
    assert np.allclose(got.numpy(), losses, atol=1e-12)


def test_nca_loss_matches_scikit_learn_nca_objective():
    """scikit-learn's NCA objective is Σ_i p_i with p_ij = softmax_j(−‖x_i − x_j‖²). On unit vectors
    scaled by sqrt(1/(2τ)) that softmax is ours over cosine similarity / τ."""
    from sklearn.neighbors import NeighborhoodComponentsAnalysis

    z = _z(9, 4, 6)
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])
    tau = 0.4
    x = (z / z.norm(dim=1, keepdim=True)).numpy() * np.sqrt(1 / (2 * tau))
    nca = NeighborhoodComponentsAnalysis(verbose=0)
    nca.n_iter_ = 1
    mask = (labels[:, None] == labels[None, :]).numpy()
    sk, _ = nca._loss_grad_lbfgs(np.eye(4).ravel(), x, mask)
    ours = torch.exp(-nacl.nca_loss(z, labels=labels, tau=tau, reduction="none")).sum()
    assert float(ours) == pytest.approx(sk, rel=1e-10)


def test_nacl_more_positives_and_mixnacl_known_cases():
    g = torch.Generator().manual_seed(0)
    views = torch.randn(3, 5, 4, generator=g, dtype=torch.float64)
    labels = torch.arange(5).repeat(3)
    assert torch.allclose(nacl.nacl_loss(views, tau=0.5),
                          nacl.nca_loss(views.reshape(15, 4), labels=labels, tau=0.5))
    # mixup with λ = 1 is NCA of the mixed anchor against the bank, own views as the class
    zm = torch.randn(5, 4, generator=g, dtype=torch.float64)
    perm = torch.tensor([1, 2, 3, 4, 0])
    u = zm / zm.norm(dim=1, keepdim=True)
    b = views / views.norm(dim=2, keepdim=True)
    s = torch.einsum("nd,kmd->nkm", u, b) / 0.5
    p = torch.softmax(s.reshape(5, -1), 1).reshape(5, 3, 5)
    own = p[torch.arange(5), :, torch.arange(5)].sum(1)
    other = p[torch.arange(5), :, perm].sum(1)
    assert torch.allclose(nacl.mixnacl_loss(zm, views, perm=perm, lam=1.0, tau=0.5), -own.log().mean())
    assert torch.allclose(nacl.mixnacl_loss(zm, views, perm=perm, lam=0.3, tau=0.5),
                          -(0.3 * own + 0.7 * other).log().mean())


# ----------------------------------------------------------------------------- attacks
def test_fgsm_equals_a_hand_computed_gradient_step():
    """A linear classifier on flattened pixels: ∇ₓ CE = Wᵀ(softmax(Wx + b) − onehot(y))."""
    torch.manual_seed(0)
    lin = nn.Linear(64, 3).double()
    model = nn.Sequential(nn.Flatten(), lin)
    x = torch.rand(4, 1, 8, 8, dtype=torch.float64) * 0.8 + 0.1
    y = torch.tensor([0, 2, 1, 2])
    eps = 0.05
    with torch.no_grad():
        flat = x.reshape(4, 64)
        p = torch.softmax(flat @ lin.weight.T + lin.bias, 1)
        grad = (p - F.one_hot(y, 3).double()) @ lin.weight
        want = (flat + eps * grad.sign()).clamp(0, 1).reshape(4, 1, 8, 8)
    got = nacl.fgsm(model, x, y, eps=eps)
    assert torch.allclose(got, want, atol=1e-12)
    # clipping to [0, 1] at the image border
    x1 = torch.ones(1, 1, 8, 8, dtype=torch.float64)
    assert float(nacl.fgsm(model, x1, y[:1], eps=0.1).max()) <= 1.0


def test_pgd_stays_in_the_ball_and_beats_fgsm_on_the_loss():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.Tanh(), nn.Linear(16, 3)).double()
    x = torch.rand(16, 1, 8, 8, dtype=torch.float64)
    y = torch.randint(0, 3, (16,))
    eps = 0.1
    a = nacl.pgd(model, x, y, eps=eps, steps=20)
    assert float((a - x).abs().max()) <= eps + 1e-12 and a.min() >= 0 and a.max() <= 1
    f = nacl.fgsm(model, x, y, eps=eps)
    def ce(v):
        with torch.no_grad():
            return float(F.cross_entropy(model(v), y))
    assert ce(a) >= ce(f) - 1e-9 > ce(x)
    assert torch.equal(nacl.ascend(lambda v: model(v).sum(), x, eps=0.0), x)


def test_integrated_loss_is_clean_plus_lambda_times_the_adversarial_only_loss():
    """A2A (ACL's adversarial-only variant) is the integrated loss's adversarial term alone: with the same
    deterministic FGSM views, IntCl = SimCLR + λ·A2A; with ε_train = 0, A2A is SimCLR."""
    enc = nacl.Encoder(16, 8, 4)
    views = torch.rand(2, 6, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    cfg = nacl.TrainConfig(epochs=1, batch=6, lam=0.7, eps_train=0.05, hidden=16, feat_dim=8, proj_dim=4)
    loss = {m: float(nacl.contrastive_loss(m, enc, views, cfg, torch.Generator().manual_seed(0)).detach())
            for m in ("simclr", "intcl", "a2a")}
    assert loss["intcl"] == pytest.approx(loss["simclr"] + 0.7 * loss["a2a"], rel=1e-6)
    assert loss["a2a"] > loss["simclr"]                    # the views were moved to raise the loss
    flat = nacl.retune(cfg, eps_train=0.0)
    a2a_flat = nacl.contrastive_loss("a2a", enc, views, flat, torch.Generator()).detach()
    assert float(a2a_flat) == pytest.approx(loss["simclr"])
    with pytest.raises(ValueError, match="exactly 2 views"):
        nacl.contrastive_loss("a2a", enc, torch.rand(3, 6, 1, 8, 8), cfg, torch.Generator())
    assert cfg.n_views("a2a") == 2


# ----------------------------------------------------------------------------- augmentations
def test_augment_identity_and_range():
    x = torch.rand(5, 1, 8, 8)
    g = torch.Generator().manual_seed(0)
    same = nacl.augment(x, generator=g, shift_px=0, rotate_deg=0, scale=0, noise=0)
    assert torch.allclose(same, x, atol=1e-6)
    v = nacl.n_views(x, 3, generator=g)
    assert v.shape == (3, 5, 1, 8, 8) and v.min() >= 0 and v.max() <= 1
    assert not torch.allclose(v[0], v[1])


# ----------------------------------------------------------------------------- probe and training
@pytest.fixture(scope="module")
def tiny():
    d = load_digits(n_train=200, n_test=100, seed=0)
    cfg = nacl.TrainConfig(epochs=1, batch=64, positives=2, hidden=16, feat_dim=8, proj_dim=4)
    return d, cfg


def test_probe_predictions_equal_scikit_learn(tiny):
    from sklearn.linear_model import LogisticRegression

    d, cfg = tiny
    xtr, ytr, xte, yte = d.torch()
    enc = nacl.pretrain(xtr, method="simclr", cfg=cfg, seed=0)
    model = nacl.fit_probe(enc, xtr, ytr)
    with torch.no_grad():
        f_tr, f_te = enc.features(xtr).double().numpy(), enc.features(xte).double().numpy()
        ours = model(xte).argmax(1).numpy()
    sk = LogisticRegression(C=1.0, max_iter=2000).fit(f_tr, ytr.numpy()).predict(f_te)
    assert (ours == sk).mean() >= 0.99


@pytest.mark.parametrize("method", nacl.METHODS)
def test_every_method_trains_and_leaves_global_rng_alone(tiny, method):
    d, cfg = tiny
    state = torch.get_rng_state()
    enc = nacl.pretrain(torch.from_numpy(d.x_train), method=method, cfg=cfg, seed=3)
    assert torch.equal(state, torch.get_rng_state())
    assert all(torch.isfinite(p).all() for p in enc.parameters())


def test_determinism_claim_numbers(tiny):
    d, cfg = tiny
    kw = dict(methods=nacl.FIGURE1, seeds=(0, 1), cfg=cfg, eps=(0.002, 0.05), supervised=True)
    a, b = nacl.run_methods(d, **kw), nacl.run_methods(d, **kw)
    assert [r.acc for r in a] == [r.acc for r in b]
    for f in (lambda r: nacl.standard_gain_claim(r), lambda r: nacl.robust_gain_claim(r, metric="robust@0.05"),
              lambda r: nacl.upper_right_claim(r, metric="robust@0.05")):
        assert f(a) == f(b)
    s = nacl.summary(a)
    assert list(s.index) == ["SimCLR", "NaCl", "IntCl", "IntNaCl", "supervised"]
    sw = nacl.eps_sweep(a[:2], d, eps_grid=(0.0, 0.05), attacks=("fgsm", "pgd"), steps=3)
    assert sw.shape == (8, 5) and (sw[sw.eps == 0].accuracy.values == [r.acc["standard"] for r in a[:2]] * 2).all()


def test_run_methods_overrides_train_a_method_with_its_own_settings(tiny):
    d, cfg = tiny
    kw = dict(methods=("simclr", "a2a"), seeds=(0,), cfg=cfg, eps=(0.05,), supervised=False)
    plain = nacl.run_methods(d, **kw)
    same = nacl.run_methods(d, **kw, overrides={"a2a": cfg})
    other = nacl.run_methods(d, **kw, overrides={"a2a": nacl.retune(cfg, eps_train=0.0)})
    assert [r.acc for r in plain] == [r.acc for r in same]
    assert other[0].acc == plain[0].acc                     # SimCLR is untouched
    assert other[1].acc == other[0].acc                     # A2A at ε_train = 0 is SimCLR, seed for seed
    with pytest.raises(ValueError, match="overrides"):
        nacl.run_methods(d, **kw, overrides={"intcl": cfg})
    with pytest.raises(TypeError, match="overrides"):
        nacl.run_methods(d, **kw, overrides={"a2a": "cfg"})


def test_scales_markdown_states_what_the_presets_run():
    text = nacl.scales_markdown(nacl.SCALES)
    for name, c in nacl.SCALES.items():
        assert f"`{name}` pre-trains" in text and f"for {c['epochs']} epochs" in text
        assert f"over {len(c['seeds'])} seeds" in text and f"ε_train = {c['a2a_eps_train']:g}" in text
    assert "No preset trains MixNaCl" in text
    with pytest.raises(ValueError, match="scales"):
        nacl.scales_markdown({"small": {"epochs": 3}})
    with pytest.raises(TypeError, match="scales"):
        nacl.scales_markdown([])


# ----------------------------------------------------------------------------- claims
def _fake(values):
    return [Run(m, s, None, dict(standard=a, **{"robust@0.05": r}), 0.0) for (m, s), (a, r) in values.items()]


def test_claim_helpers_known_answers():
    v = {}
    for s in (0, 1, 2):
        v[("simclr", s)] = (90.0 + s, 50.0)
        v[("nacl", s)] = (92.0 + s, 51.0)
        v[("intcl", s)] = (91.0 + s, 60.0 + s)
        v[("intnacl", s)] = (93.0 + s, 58.0)
    runs = _fake(v)
    c = nacl.standard_gain_claim(runs)
    assert isinstance(c, Measured) and c.value == 2.0 and c.holds
    r = nacl.robust_gain_claim(runs, metric="robust@0.05")
    assert r.value == 11.0 and r.holds
    noisy = _fake({("simclr", 0): (90.0, 50.0), ("simclr", 1): (90.0, 50.0), ("simclr", 2): (90.0, 50.0),
                   ("nacl", 0): (90.1, 50.0), ("nacl", 1): (89.0, 50.0), ("nacl", 2): (91.2, 50.0)})
    n = nacl.standard_gain_claim(noisy)                # mean +0.1, interval [-2.63, +2.83]
    assert n.value == pytest.approx(0.1) and not n.holds
    # gains 1.0, 0.2, 2.0: the mean (1.07) exceeds one standard error (0.52), but the 95 % paired
    # t-interval (scipy's ttest_rel) holds 0, so it is no gain
    from scipy import stats
    a, b = [91.0, 90.2, 92.0], [90.0, 90.0, 90.0]
    lo, hi = stats.ttest_rel(a, b).confidence_interval(0.95)
    wide = nacl.standard_gain_claim(_fake({**{("simclr", s): (b[s], 50.0) for s in range(3)},
                                           **{("nacl", s): (a[s], 50.0) for s in range(3)}}))
    assert lo < 0 < hi and not wide.holds and f"[{lo:+.2f}, {hi:+.2f}] points (95 % paired t, n = 3)" in wide.note
    with pytest.raises(ValueError, match="2 common seeds"):
        nacl.standard_gain_claim(_fake({("simclr", 0): (90.0, 50.0), ("nacl", 0): (91.0, 50.0)}))
    u = nacl.upper_right_claim(runs, metric="robust@0.05")
    assert u.number == 1.0 and not u.holds          # IntCl's standard accuracy is below NaCl's
    assert nacl.upper_right_claim(runs, metric="robust@0.05", slack=1.5).holds


def test_gain_claim_and_table_against_other_baselines():
    v = {}
    for s in (0, 1, 2):
        v[("a2a", s)] = (80.0, 60.0 + s)
        v[("intcl", s)] = (90.0 + s, 61.0 + 2 * s)      # standard +10, +11, +12; robust +1, +2, +3
        v[("intnacl", s)] = (91.0 + s, 60.0 + s)        # standard +11, +12, +13; robust 0, 0, 0
    runs = _fake(v)
    st = nacl.gain_claim(runs, methods=nacl.INTEGRATED, baseline="a2a", beside="robust@0.05", pick="min")
    assert st.holds and st.value == 11.0 and "robust ε = 0.05 +2.00 [" in st.note
    rb = nacl.gain_claim(runs, methods=nacl.INTEGRATED, baseline="a2a", metric="robust@0.05", beside="standard")
    assert not rb.holds and rb.value == 2.0           # IntNaCl's robust gain is 0 on every seed
    assert "IntNaCl − A2A: +0.00 [+0.00, +0.00] points" in rb.note and "standard +12.00 [" in rb.note
    one = nacl.robust_gain_claim(runs, metric="robust@0.05", methods=("intcl",), baseline="a2a")
    from scipy import stats
    lo, hi = stats.ttest_rel([61.0, 63.0, 65.0], [60.0, 61.0, 62.0]).confidence_interval(0.95)
    assert one.value == 2.0 and f"[{lo:+.2f}, {hi:+.2f}] points (95 % paired t, n = 3)" in one.note
    tab = nacl.gain_table(runs, pairs=(("intcl", "a2a"), ("intnacl", "intcl")), metric="robust@0.05")
    assert list(tab.columns) == ["method", "baseline", "n", "standard Δ", "standard lo", "standard hi",
                                 "robust ε = 0.05 Δ", "robust ε = 0.05 lo", "robust ε = 0.05 hi"]
    assert tab["standard Δ"].tolist() == [11.0, 1.0] and tab["robust ε = 0.05 Δ"].tolist() == [2.0, -2.0]
    assert tab["robust ε = 0.05 lo"][0] == pytest.approx(lo) and tab.n.tolist() == [3, 3]
    with pytest.raises(ValueError, match="baseline"):
        nacl.gain_claim(runs, methods=("intcl",), baseline="intcl")
    with pytest.raises(ValueError, match="pick"):
        nacl.gain_claim(runs, pick="mean")
    with pytest.raises(TypeError, match="methods"):
        nacl.gain_claim(runs, methods="intcl")
    with pytest.raises(ValueError, match="pairs"):
        nacl.gain_table(runs, pairs=(("intcl",),), metric="standard")


# ----------------------------------------------------------------------------- bad input
def test_bad_inputs_name_the_parameter():
    z = _z(4, 3)
    with pytest.raises(ValueError, match="tau"):
        nacl.nt_xent(z, z, tau=0.0)
    with pytest.raises(ValueError, match="z2"):
        nacl.nt_xent(z, z[:3], tau=0.5)
    with pytest.raises(ValueError, match="labels"):
        nacl.nca_loss(z, labels=torch.arange(4), tau=0.5)
    with pytest.raises(ValueError, match="z1"):
        nacl.nt_xent(z * float("nan"), z, tau=0.5)
    with pytest.raises(ValueError, match="perm"):
        nacl.mixnacl_loss(z, z[None], perm=torch.zeros(4, dtype=torch.int64), lam=0.5)
    with pytest.raises(ValueError, match="x"):
        nacl.augment(torch.rand(2, 1, 8, 8) * 3, generator=torch.Generator())
    with pytest.raises(ValueError, match="method"):
        nacl.pretrain(torch.rand(8, 1, 8, 8), method="byol", cfg=nacl.TrainConfig())
    with pytest.raises(ValueError, match="positives"):
        nacl.TrainConfig(positives=0)
    with pytest.raises(ValueError, match="eps"):
        nacl.fgsm(nn.Flatten(), torch.rand(2, 1, 8, 8), torch.zeros(2, dtype=torch.int64), eps=-0.1)
    with pytest.raises(TypeError, match="model"):
        nacl.fgsm("net", torch.rand(2, 1, 8, 8), torch.zeros(2, dtype=torch.int64), eps=0.1)
    with pytest.raises(ValueError, match="steps"):
        nacl.pgd(nn.Flatten(), torch.rand(2, 1, 8, 8), torch.zeros(2, dtype=torch.int64), eps=0.1, steps=10**6)


def test_explorer_follows_its_controls(tiny):
    d, cfg = tiny
    runs = nacl.run_methods(d, methods=nacl.FIGURE1, seeds=(0,), cfg=cfg, eps=(0.05,), supervised=False)
    ex = nacl.explorer(d, runs=runs, cfg=cfg, epochs=1, eps=0.05)
    before = ex.readout.value
    ex.set(eps=0.15)
    assert ex.readout.value != before
    ex.set(tau=0.3)
    assert "trained now" in ex.readout.value
    ex.reset()
    assert "cached" in ex.readout.value


def test_second_pass_bad_input_refusals():
    """One-image batches, labels beyond the classes, float64 or wrong-width inputs and unknown or bad
    augmentation settings are refused by name, not inside torch."""
    import pytest
    import torch

    from lab import nacl

    enc = nacl.Encoder()
    with pytest.raises(TypeError, match="x must be a float32 tensor"):
        enc(torch.zeros(2, 1, 8, 8, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"x must have shape \(N >= 1, 1, 8, 8\)"):
        enc.features(torch.zeros(2, 64))
    cfg = nacl.TrainConfig(epochs=1, batch=4, positives=1)
    with pytest.raises(ValueError, match="at least 2 images"):
        nacl.contrastive_loss("simclr", enc, torch.rand(2, 1, 1, 8, 8), cfg, torch.Generator().manual_seed(0))
    x = torch.rand(6, 1, 8, 8)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    model = nacl.fit_probe(enc, x, y)
    bad = torch.tensor([0, 1, 2, 0, 1, 7])
    for call in (lambda: nacl.fgsm(model, x, bad, eps=0.1), lambda: nacl.pgd(model, x, bad, eps=0.1),
                 lambda: nacl.accuracy(model, x, bad)):
        with pytest.raises(ValueError, match="below the model's 3 classes"):
            call()
    with pytest.raises(ValueError, match="aug: shift_px"):
        nacl.TrainConfig(aug=dict(shift_px=9.0))
    with pytest.raises(ValueError, match="aug must only hold"):
        nacl.augment_figure(x[:2], aug={"bogus": 1})
    with pytest.raises(TypeError, match="aug: rotate_deg"):
        nacl.augment_figure(x[:2], aug={"rotate_deg": "x"})
