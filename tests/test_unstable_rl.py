"""Unit tests of lab.unstable_rl: exact LQR cost/gradient, optimum, methods from K = 0, claims."""
import control
import numpy as np
import pandas as pd
import pytest
import scipy.linalg as sla

from lab import unstable_rl as U


@pytest.fixture(scope="module")
def sys3():
    return U.random_unstable(3, 1, 1.3, seed=0)


def test_lyapunov_matches_scipy():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4, 4))
    A *= 0.9 / U.spectral_radius(A)
    Q = np.eye(4) + 0.1 * np.ones((4, 4))
    np.testing.assert_allclose(U.lyapunov(A, Q), sla.solve_discrete_lyapunov(A, Q), rtol=1e-10, atol=1e-12)


def test_scalar_known_answer():
    """x+ = a x + b u, u = -k x: C = (q + r k²) / (1 − (a − b k)²) for x0 ~ (0, 1)."""
    a, b, q, r, k = 1.2, 1.0, 1.0, 1.0, 0.5
    s = U.LQR(np.array([[a]]), np.array([[b]]), np.eye(1) * q, np.eye(1) * r, np.eye(1))
    assert U.cost(s, np.array([[k]])) == pytest.approx((q + r * k**2) / (1 - (a - b * k) ** 2))
    assert U.cost(s, np.array([[0.0]])) == np.inf
    g = 0.9
    assert U.cost(s, np.array([[k]]), g) == pytest.approx((q + r * k**2) / (1 - g * (a - b * k) ** 2))


def test_optimum_matches_python_control(sys3):
    K, c = U.optimal(sys3)
    Kc, S, _ = control.dlqr(sys3.A, sys3.B, sys3.Q, sys3.R)
    np.testing.assert_allclose(K, Kc, rtol=1e-8, atol=1e-10)
    assert c == pytest.approx(np.trace(S @ sys3.S0), rel=1e-9)
    assert np.abs(U.gradient(sys3, K)).max() < 1e-8 * c


def test_gradient_matches_finite_differences(sys3):
    K, _ = U.optimal(sys3)
    K = K + np.array([[0.05, -0.03, 0.02]])
    for gamma in (1.0, 0.7):
        g = U.gradient(sys3, K, gamma)
        fd = np.zeros_like(K)
        for j in range(K.shape[1]):
            E = np.zeros_like(K)
            E[0, j] = 1e-6
            fd[0, j] = (U.cost(sys3, K + E, gamma) - U.cost(sys3, K - E, gamma)) / 2e-6
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-7)


def test_zeroth_order_gradient_points_along_the_exact_one(sys3):
    K, _ = U.optimal(sys3)
    K = K + 0.05
    g = U.gradient(sys3, K)
    gz, c = U.zeroth_order_gradient(sys3, K, samples=2000, radius=0.01, horizon=300, seed=0)
    cos = float(np.sum(g * gz) / np.linalg.norm(g) / np.linalg.norm(gz))
    assert cos > 0.95
    assert c == pytest.approx(U.cost(sys3, K), rel=0.15)


def test_rollout_cost_matches_exact_cost_for_long_horizons(sys3):
    K, c = U.optimal(sys3)
    x0 = np.random.default_rng(0).standard_normal((20000, 3))
    assert U.rollout_cost(sys3, K, x0, 400).mean() == pytest.approx(c, rel=0.03)


def test_policy_iteration_converges_from_a_stabilising_gain(sys3):
    """Gauss–Newton with η = ½ is Hewer's policy iteration: from K* + small it reaches C*."""
    K, c = U.optimal(sys3)
    s = U.LQR(sys3.A, sys3.B, sys3.Q, sys3.R, sys3.S0)
    r = U.run(s.with_rho(0.9), "gauss-newton", max_iter=50)       # stable plant: K = 0 is a valid start
    assert r.status == "converged" and r.iters <= 10


def test_methods_from_zero_on_an_unstable_system(sys3):
    assert U.run(sys3, "vanilla").status == "never stabilising"
    assert U.run(sys3, "natural").status == "never stabilising"
    fixed = U.run(sys3, "vanilla (γ fixed)", max_iter=300)
    assert fixed.status in ("stalled", "never stabilising", "budget exhausted") and fixed.iters < 0
    for m in ("annealing (vanilla)", "annealing (natural)", "adaptive PI"):
        r = U.run(sys3, m, max_iter=1000)
        assert r.status == "converged", m
        assert r.gaps[r.iters] < 1e-3
    assert U.run(sys3, "model-free vanilla", max_iter=20).status == "diverged"


def test_fixed_large_step_diverges(sys3):
    r = U.run(sys3.with_rho(0.9), "vanilla", step=10.0, backtrack=False, max_iter=50)
    assert r.status == "diverged"


def test_adaptive_pi_on_named_systems():
    for name in ("pendulum", "chain"):
        s = U.named(name)
        assert s.rho > 1
        assert U.run(s, "adaptive PI", max_iter=200).status == "converged"


def test_random_set_is_reproducible_and_in_range():
    a = U.random_set(8, seed=3)
    b = U.random_set(8, seed=3)
    assert all(np.array_equal(x.A, y.A) for x, y in zip(a, b))
    assert all(1.05 <= s.rho <= 1.5 + 1e-9 for s in a)


def _tiny(ours=(3, 3, 4, 2), other=(10, 12, 9, 11), other_status="converged"):
    return pd.DataFrame(dict(seed=[0, 0, 1, 1] * 2, system=[0, 1, 0, 1] * 2,
                             method=["adaptive PI"] * 4 + ["annealing (natural)"] * 4,
                             status=["converged"] * 4 + [other_status] * 4, iters=list(ours) + list(other),
                             solves=[5 * x for x in ours] + [7 * x for x in other], rho=1.2))


def test_claim_helpers_on_a_tiny_table():
    df = _tiny()
    assert U.converges_claim(df).holds
    m = U.iterations_claim(df, others=("annealing (natural)",), metric="iters")
    assert m.holds and m.number == pytest.approx(10.5 / 3)
    # solves: per set medians 15 and 15 (ours) against 77 and 70 (theirs): paired interval above 0
    m = U.iterations_claim(df, others=("annealing (natural)",))
    assert m.holds and m.number == pytest.approx(73.5 / 15) and "95 % paired t, n = 2" in m.note
    # the other way round the interval lies below 0: the claim does not hold
    assert not U.iterations_claim(_tiny(ours=(10, 12, 9, 11), other=(3, 3, 4, 2)),
                                  others=("annealing (natural)",), metric="iters").holds


def test_iterations_claim_reports_a_method_that_never_converged_and_refuses_one_set():
    never = _tiny(other=(-1, -1, -1, -1), other_status="budget exhausted")
    m = U.iterations_claim(never, others=("annealing (natural)",))
    assert not m.holds and m.number is None and m.value.startswith("not comparable")
    assert "set(s) [0, 1]" in m.value
    with pytest.raises(ValueError, match="df must hold at least 2 sets"):
        U.iterations_claim(_tiny()[lambda d: d.seed == 0], others=("annealing (natural)",))
    with pytest.raises(ValueError, match="metric"):
        U.iterations_claim(_tiny(), others=("annealing (natural)",), metric="seconds")
    with pytest.raises(ValueError, match=r"df .*cpu_ms"):
        U.iterations_claim(_tiny(), others=("annealing (natural)",), metric="cpu_ms")


def test_effort_counts_every_lyapunov_solve():
    """A fixed step on a stable plant: 1 solve for K = 0's cost, then per iteration 2 for the
    gradient (P_K, Σ_K) and 1 for the new gain's cost."""
    s = U.random_unstable(3, 1, 1.3, seed=0).with_rho(0.9)
    r = U.run(s, "vanilla", step=1e-4, backtrack=False, max_iter=5)
    assert r.status == "budget exhausted" and len(r.costs) == 6
    assert r.info["lyapunov_solves"] == 1 + 3 * 5 and r.info["cost_evaluations"] == 1 + 2 * 5
    assert r.info["cpu_s"] >= 0 and r.info["rollouts"] == 0
    # a line search adds one solve per trial; a bisection one per halving
    a = U.run(U.random_unstable(3, 1, 1.3, seed=0), "annealing (natural)", max_iter=1000)
    b = U.run(U.random_unstable(3, 1, 1.3, seed=0), "adaptive PI", max_iter=1000)
    for r in (a, b):
        assert r.status == "converged" and r.info["lyapunov_solves"] > 2 * r.iters
    mf = U.run(U.random_unstable(3, 1, 1.3, seed=0), "model-free vanilla", max_iter=3, samples=4)
    assert mf.info["lyapunov_solves"] == 0 and mf.info["rollouts"] % 8 == 0 and mf.info["rollouts"] > 0


def test_benchmark_reports_effort_and_success_table_summarises_it():
    df = U.benchmark(U.random_set(2, seed=1), methods=("adaptive PI", "annealing (natural)"), max_iter=300)
    assert {"solves", "evals", "cpu_ms"} <= set(df.columns)
    assert (df.solves > 0).all() and (df.evals >= df.iters).all()
    tab = U.success_table(df.assign(seed=0))
    assert {"iters_median", "solves_median", "cpu_ms_median"} <= set(tab.columns)
    ours = df[df.method == "adaptive PI"]
    assert tab.loc["adaptive PI", "solves_median"] == pytest.approx(float(ours.solves.median()))


def test_bad_inputs(sys3):
    with pytest.raises(ValueError, match="rho"):
        U.random_unstable(3, 1, 0.9)
    with pytest.raises(ValueError, match="m"):
        U.random_unstable(2, 3, 1.2)
    with pytest.raises(ValueError, match="K"):
        U.cost(sys3, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="K must stabilise"):
        U.gradient(sys3, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="method"):
        U.run(sys3, "sgd")
    with pytest.raises(ValueError, match="max_iter"):
        U.run(sys3, "vanilla", max_iter=10**9)
    with pytest.raises(ValueError, match="Q"):
        U.LQR(sys3.A, sys3.B, -np.eye(3), sys3.R, sys3.S0)
    with pytest.raises(TypeError, match="sys"):
        U.run("A", "vanilla")


def test_determinism_of_claim_numbers():
    a = U.benchmark_sets(seeds=(0, 1, 2), count=3, max_iter=300)
    b = U.benchmark_sets(seeds=(0, 1, 2), count=3, max_iter=300)
    pd.testing.assert_frame_equal(a.drop(columns="cpu_ms"), b.drop(columns="cpu_ms"))   # CPU time varies
    assert U.converges_claim(a) == U.converges_claim(b)
    assert U.iterations_claim(a) == U.iterations_claim(b)
    s = U.random_unstable(3, 1, 1.3, 0)
    r1 = [U.run(s, "model-free annealing", max_iter=60, seed=k) for k in range(3)]
    r2 = [U.run(s, "model-free annealing", max_iter=60, seed=k) for k in range(3)]
    assert all(np.array_equal(x.costs, y.costs) for x, y in zip(r1, r2))


def test_second_pass_bad_input_refusals():
    """An uncontrollable unstable mode has no optimal gain (infinite cost): refused, not a finite number;
    a Lyapunov equation without a unique solution and a nilpotent A's rescaling are refused by name."""
    import numpy as np
    import pytest

    from lab import unstable_rl as rl

    stuck = rl.LQR(np.diag([1.2, 0.5]), np.array([[0.0], [1.0]]), np.eye(2), np.eye(1), np.eye(2))
    with pytest.raises(ValueError, match="sys must be stabilisable"):
        rl.optimal(stuck)
    with pytest.raises(ValueError, match="sys must be stabilisable"):
        rl.optimal(rl.LQR(np.eye(2) * 1.1, np.zeros((2, 1)), np.eye(2), np.eye(1), np.eye(2)))
    ok = rl.LQR(np.diag([0.5, 1.2]), np.array([[0.0], [1.0]]), np.eye(2), np.eye(1), np.eye(2))
    K, c = rl.optimal(ok)   # the unreachable mode is stable: stabilisable, finite optimum
    assert np.isfinite(c) and rl.closed_loop_radius(ok, K) < 1
    with pytest.raises(ValueError, match="A must have no two eigenvalues whose product is 1"):
        rl.lyapunov(np.eye(2), np.eye(2))
    nil = rl.LQR(np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[0.0], [1.0]]), np.eye(2), np.eye(1), np.eye(2))
    with pytest.raises(ValueError, match="nilpotent"):
        nil.with_rho(1.2)


def test_explorer_greys_the_line_search_switch_where_it_changes_nothing():
    """Adaptive PI (Gauss-Newton steps with their own halving) and model-free vanilla ignore `backtrack`."""
    ex = U.explorer(max_iter=30)
    assert ex.controls["method"].value == "adaptive PI" and ex.controls["backtrack"].disabled
    ex.set(method="natural")
    assert not ex.controls["backtrack"].disabled
    ex.set(method="model-free vanilla")
    assert ex.controls["backtrack"].disabled
    ex.reset()
    assert ex.controls["backtrack"].disabled
