"""Exact LQR cost and policy gradient of u = -Kx (Fazel et al. 2018), the optimum, and
model-free zeroth-order estimates from finite-horizon rollouts.

C(K) = tr(P_K S0), P_K = Q + KᵀRK + (A−BK)ᵀ P_K (A−BK)           (discrete Lyapunov)
Σ_K  = S0 + (A−BK) Σ_K (A−BK)ᵀ,   E_K = (R + BᵀP_K B)K − BᵀP_K A,   ∇C(K) = 2 E_K Σ_K.
A policy with ρ(A − BK) ≥ 1 does not stabilise the system: its cost is infinite (returned as inf).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from lab.core.checks import check_array, check_int, check_number, check_type

from .systems import LQR, spectral_radius

MAX_HORIZON = 10_000
MAX_SAMPLES = 100_000


def lyapunov(A: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """X with X = A X Aᵀ + Q (the discrete Lyapunov equation, as scipy.linalg.solve_discrete_lyapunov),
    solved as (I − A⊗A) vec X = vec Q; A (n, n), Q (n, n), n ≤ 12. The tests check it against scipy."""
    A = check_array("A", A, ndim=2)
    n = A.shape[0]
    Q = check_array("Q", Q, shape=(n, n))
    if A.shape != (n, n) or n > 12:
        raise ValueError(f"A must be square with at most 12 rows; got {A.shape}")
    lam = np.linalg.eigvals(A)
    gap = float(np.abs(1.0 - np.multiply.outer(lam, lam)).min())
    if gap < 1e-10:
        raise ValueError("A must have no two eigenvalues whose product is 1 (the equation then has no unique "
                         f"solution; a stable A, spectral radius < 1, always qualifies); got spectral radius "
                         f"{spectral_radius(A):.6g}")
    X = np.linalg.solve(np.eye(n * n) - np.kron(A, A), Q.reshape(-1)).reshape(n, n)
    return 0.5 * (X + X.T)


def _lyap(A: np.ndarray, Q: np.ndarray) -> np.ndarray:
    n = A.shape[0]
    X = np.linalg.solve(np.eye(n * n) - np.kron(A, A), Q.reshape(-1)).reshape(n, n)
    return 0.5 * (X + X.T)


def check_gain(sys: LQR, K) -> np.ndarray:
    """K as an (m, n) float array (checked against the system's sizes)."""
    check_type("sys", sys, LQR)
    return check_array("K", K, shape=(sys.m, sys.n)).astype(float)


def closed_loop_radius(sys: LQR, K) -> float:
    """ρ(A − BK): below 1 the policy stabilises the system."""
    K = check_gain(sys, K)
    return spectral_radius(sys.A - sys.B @ K)


@dataclass(frozen=True)
class Evaluation:
    """The exact quantities at one gain: cost (inf when not stabilising), P_K, Σ_K, E_K and
    the gradient ∇C (None when not stabilising), and ρ(A − BK)."""
    cost: float
    rho: float
    P: np.ndarray | None
    Sigma: np.ndarray | None
    E: np.ndarray | None
    grad: np.ndarray | None

    def __post_init__(self):
        c = check_number("cost", self.cost, lo=0.0) if self.cost != np.inf else np.inf
        object.__setattr__(self, "cost", c)
        object.__setattr__(self, "rho", check_number("rho", self.rho, lo=0.0))
        for name in ("P", "Sigma", "E", "grad"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, check_array(name, v, ndim=2))

    @property
    def stable(self) -> bool:
        return self.rho < 1.0


def evaluate(sys: LQR, K, need_grad: bool = True) -> Evaluation:
    """Cost, P_K and (need_grad) Σ_K, E_K and ∇C at K, from discrete Lyapunov equations
    (`lyapunov`, checked against scipy.linalg.solve_discrete_lyapunov)."""
    K = check_gain(sys, K)
    Acl = sys.A - sys.B @ K
    rho = spectral_radius(Acl)
    if not rho < 1.0:
        return Evaluation(np.inf, rho, None, None, None, None)
    P = _lyap(Acl.T, sys.Q + K.T @ sys.R @ K)
    cost = float(np.trace(P @ sys.S0))
    if not np.isfinite(cost) or cost <= 0:   # numerically at the margin of stability
        return Evaluation(np.inf, rho, None, None, None, None)
    if not need_grad:
        return Evaluation(cost, rho, P, None, None, None)
    Sigma = _lyap(Acl, sys.S0)
    E = (sys.R + sys.B.T @ P @ sys.B) @ K - sys.B.T @ P @ sys.A
    return Evaluation(cost, rho, P, Sigma, E, 2.0 * E @ Sigma)


def cost(sys: LQR, K, gamma: float = 1.0) -> float:
    """C_γ(K) = E Σ_t γᵗ (x'Qx + u'Ru), x0 ~ (0, S0); inf when √γ ρ(A − BK) ≥ 1."""
    check_type("sys", sys, LQR)
    gamma = check_number("gamma", gamma, lo=0.0, hi=1.0, lo_open=True)
    s = sys if gamma == 1.0 else sys.discounted(gamma)
    return evaluate(s, K, need_grad=False).cost


def gradient(sys: LQR, K, gamma: float = 1.0) -> np.ndarray:
    """∇C_γ(K) = 2 E_K Σ_K (m, n); ValueError when K does not stabilise the (discounted) system."""
    check_type("sys", sys, LQR)
    gamma = check_number("gamma", gamma, lo=0.0, hi=1.0, lo_open=True)
    s = sys if gamma == 1.0 else sys.discounted(gamma)
    ev = evaluate(s, K)
    if ev.grad is None:
        raise ValueError(f"K must stabilise the system (ρ(√γ(A−BK)) = {np.sqrt(gamma) * ev.rho:.3g} ≥ 1): "
                         "the cost is infinite there and has no gradient")
    return ev.grad


def optimal(sys: LQR) -> tuple[np.ndarray, float]:
    """The optimal gain K* and cost C* = tr(P* S0), from scipy.linalg.solve_discrete_are.
    A system that no gain stabilises ((A, B) not stabilisable: an eigenvalue |λ| ≥ 1 of A that B cannot
    reach, by the PBH test) has no optimal gain and an infinite optimal cost: it is refused."""
    check_type("sys", sys, LQR)
    n = sys.n
    for lam in np.linalg.eigvals(sys.A):
        if abs(lam) >= 1.0 - 1e-12:
            pbh = np.hstack([sys.A - lam * np.eye(n), sys.B])
            if np.linalg.svd(pbh, compute_uv=False).min() < 1e-9 * max(1.0, np.abs(pbh).max()):
                raise ValueError(f"sys must be stabilisable: A's eigenvalue {complex(lam):.4g} (|λ| ≥ 1) cannot be "
                                 "reached through B, so every gain leaves the cost infinite")
    try:
        P = sla.solve_discrete_are(sys.A, sys.B, sys.Q, sys.R)
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise ValueError(f"sys: the Riccati equation has no stabilising solution ({exc})") from None
    K = np.linalg.solve(sys.R + sys.B.T @ P @ sys.B, sys.B.T @ P @ sys.A)
    if spectral_radius(sys.A - sys.B @ K) >= 1.0:
        raise ValueError("sys must be stabilisable: the Riccati solution's gain does not stabilise it")
    return K, float(np.trace(P @ sys.S0))


def trajectory(sys: LQR, K, x0, steps: int = 50) -> np.ndarray:
    """States x_0..x_steps (steps+1, n) of the closed loop x_{t+1} = (A − BK) x_t (1..10000 steps);
    an unstable loop grows until it is clipped at 1e12 (never inf)."""
    K = check_gain(sys, K)
    x0 = check_array("x0", x0, shape=(sys.n,)).astype(float)
    steps = check_int("steps", steps, lo=1, hi=MAX_HORIZON)
    Acl = sys.A - sys.B @ K
    xs = np.empty((steps + 1, sys.n))
    xs[0] = x0
    for t in range(steps):
        xs[t + 1] = np.clip(Acl @ xs[t], -1e12, 1e12)
    return xs


def rollout_cost(sys: LQR, K, x0s, horizon: int, gamma: float = 1.0) -> np.ndarray:
    """Finite-horizon costs Σ_{t<T} γᵗ (x'Qx + u'Ru) of each initial state in x0s (N, n), as one
    would measure them on the plant (1 ≤ T ≤ 10000). Overflow is capped at 1e300 (never inf)."""
    K = check_gain(sys, K)
    x0s = check_array("x0s", x0s, ndim=2)
    if x0s.shape[1] != sys.n or x0s.shape[0] > MAX_SAMPLES:
        raise ValueError(f"x0s must have shape (N ≤ {MAX_SAMPLES}, {sys.n}); got {x0s.shape}")
    horizon = check_int("horizon", horizon, lo=1, hi=MAX_HORIZON)
    gamma = check_number("gamma", gamma, lo=0.0, hi=1.0, lo_open=True)
    M = sys.Q + K.T @ sys.R @ K
    Acl = sys.A - sys.B @ K
    X = x0s.astype(float).T.copy()
    total = np.zeros(x0s.shape[0])
    w = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(horizon):
            total += w * np.einsum("in,ij,jn->n", X, M, X)
            X = Acl @ X
            w *= gamma
            if not np.all(np.isfinite(total)) or np.abs(X).max() > 1e140:
                break
    return np.nan_to_num(np.minimum(total, 1e300), nan=1e300, posinf=1e300)


def zeroth_order_gradient(sys: LQR, K, *, samples: int = 50, radius: float = 0.05, horizon: int = 100,
                          gamma: float = 1.0, seed: int = 0) -> tuple[np.ndarray, float]:
    """Model-free two-point estimate of ∇C_γ(K) from rollouts (Fazel et al. 2018, §3 smoothing):
    ĝ = (nm / N) Σ_i [Ĉ(K + rU_i) − Ĉ(K − rU_i)] / (2r) U_i with U_i uniform on the unit
    Frobenius sphere and Ĉ a finite-horizon (T) rollout cost from x0 ~ N(0, S0), the same x0 for
    both signs. samples N in 1..10000, radius r in (0, 10], horizon T in 1..10000.
    Returns (ĝ, mean rollout cost of the perturbed gains, an estimate of C_γ(K))."""
    K = check_gain(sys, K)
    samples = check_int("samples", samples, lo=1, hi=10_000)
    radius = check_number("radius", radius, lo=0.0, hi=10.0, lo_open=True)
    horizon = check_int("horizon", horizon, lo=1, hi=MAX_HORIZON)
    gamma = check_number("gamma", gamma, lo=0.0, hi=1.0, lo_open=True)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((samples, *K.shape))
    U /= np.linalg.norm(U, axis=(1, 2), keepdims=True)
    x0 = rng.standard_normal((samples, sys.n)) @ np.linalg.cholesky(sys.S0).T
    Ks = np.concatenate([K + radius * U, K - radius * U])
    c = _rollout_batch(sys, Ks, np.concatenate([x0, x0]), horizon, gamma)
    diff = (c[:samples] - c[samples:]) / (2 * radius)
    g = (K.size / samples) * np.einsum("s,sij->ij", diff, U)
    return np.nan_to_num(g, nan=0.0, posinf=1e300, neginf=-1e300), float(min(c.mean(), 1e300))


def _rollout_batch(sys: LQR, Ks: np.ndarray, x0: np.ndarray, horizon: int, gamma: float) -> np.ndarray:
    """Rollout cost of gain Ks[k] from x0[k], for every k (capped at 1e300)."""
    Acl = sys.A[None] - np.einsum("ij,kjl->kil", sys.B, Ks)
    M = sys.Q[None] + np.einsum("kji,jl,klm->kim", Ks, sys.R, Ks)
    X = x0.astype(float).copy()
    total = np.zeros(len(Ks))
    w = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(horizon):
            total += w * np.einsum("ki,kij,kj->k", X, M, X)
            X = np.einsum("kij,kj->ki", Acl, X)
            w *= gamma
            if np.abs(X).max() > 1e140:
                break
    return np.nan_to_num(np.minimum(total, 1e300), nan=1e300, posinf=1e300)
