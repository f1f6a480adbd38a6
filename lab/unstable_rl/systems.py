"""Unstable discrete-time linear-quadratic systems x_{t+1} = A x_t + B u_t, cost Σ x'Qx + u'Ru.

`random_unstable` draws one with a prescribed spectral radius of A; `named` returns two
physical examples (a discretised inverted pendulum and an unstable two-mass chain).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lab.core.checks import check_array, check_choice, check_int, check_number, check_type

MAX_STATES = 12      # state sizes above this make every Lyapunov solve (n² x n² system) slow
MAX_SYSTEMS = 2000   # upper bound on the size of a random set
NAMES = ("pendulum", "chain")


def spectral_radius(M: np.ndarray) -> float:
    """max |eigenvalue| of a square matrix (1)."""
    M = check_array("M", M, ndim=2)
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"M must be square; got shape {M.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(M))))


@dataclass(frozen=True)
class LQR:
    """A: (n, n) state matrix; B: (n, m) input matrix; Q (n, n) ≻ 0 and R (m, m) ≻ 0 the
    state and input weights; S0 (n, n) ≻ 0 the covariance of the initial state."""
    A: np.ndarray
    B: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    S0: np.ndarray
    name: str = ""

    def __post_init__(self):
        A = check_array("A", self.A, ndim=2).astype(float)
        n = A.shape[0]
        if A.shape != (n, n) or not 1 <= n <= MAX_STATES:
            raise ValueError(f"A must be square with 1..{MAX_STATES} states; got shape {A.shape}")
        B = check_array("B", self.B, ndim=2).astype(float)
        if B.shape[0] != n or not 1 <= B.shape[1] <= n:
            raise ValueError(f"B must have shape ({n}, m) with 1 <= m <= {n}; got {B.shape}")
        m = B.shape[1]
        for name, M, k in (("Q", self.Q, n), ("R", self.R, m), ("S0", self.S0, n)):
            M = check_array(name, M, shape=(k, k)).astype(float)
            if not np.allclose(M, M.T) or np.linalg.eigvalsh(0.5 * (M + M.T)).min() <= 0:
                raise ValueError(f"{name} must be symmetric positive definite")
            object.__setattr__(self, name, M)
        check_type("name", self.name, str)
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "B", B)

    @property
    def n(self) -> int:
        return self.A.shape[0]

    @property
    def m(self) -> int:
        return self.B.shape[1]

    @property
    def rho(self) -> float:
        """Spectral radius of A (> 1: unstable open loop)."""
        return spectral_radius(self.A)

    def discounted(self, gamma: float) -> "LQR":
        """The γ-discounted problem as an undiscounted one: (√γ A, √γ B), same weights."""
        gamma = check_number("gamma", gamma, lo=0.0, hi=1.0, lo_open=True)
        s = np.sqrt(gamma)
        return LQR(s * self.A, s * self.B, self.Q, self.R, self.S0, self.name)

    def with_rho(self, rho: float) -> "LQR":
        """The same system with A rescaled to spectral radius `rho` (0.1..3)."""
        rho = check_number("rho", rho, lo=0.1, hi=3.0)
        if self.rho < 1e-12:
            raise ValueError("with_rho needs A with a nonzero spectral radius; this A is nilpotent (every "
                             "eigenvalue 0), and no rescaling gives it another radius")
        return LQR(self.A * (rho / self.rho), self.B, self.Q, self.R, self.S0, self.name)


def random_unstable(n: int = 3, m: int = 1, rho: float = 1.2, seed: int = 0) -> LQR:
    """A random system: A Gaussian, rescaled to spectral radius `rho` (1 < rho ≤ 3), B Gaussian
    (n, m), Q = I, R = I, S0 = I. Redrawn until (A, B) is controllable (Kalman rank)."""
    n = check_int("n", n, lo=1, hi=MAX_STATES)
    m = check_int("m", m, lo=1, hi=n)
    rho = check_number("rho", rho, lo=1.0, hi=3.0, lo_open=True)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    rng = np.random.default_rng(seed)
    for _ in range(100):
        A = rng.standard_normal((n, n)) / np.sqrt(n)
        A *= rho / spectral_radius(A)
        B = rng.standard_normal((n, m)) / np.sqrt(n)
        ctrb = np.hstack([np.linalg.matrix_power(A, k) @ B for k in range(n)])
        if np.linalg.matrix_rank(ctrb) == n and np.linalg.svd(ctrb, compute_uv=False).min() > 1e-3:
            return LQR(A, B, np.eye(n), np.eye(m), np.eye(n), f"random n={n} m={m} ρ={rho:.3g}")
    raise RuntimeError("no controllable system drawn in 100 tries")  # pragma: no cover


def random_set(count: int = 50, sizes=((2, 1), (3, 1), (4, 2), (6, 2)), rho_range=(1.05, 1.5),
               seed: int = 0) -> list[LQR]:
    """`count` (1..2000) random unstable systems: sizes cycled from `sizes` ((n, m) pairs),
    spectral radii uniform in `rho_range` (within (1, 3]); reproducible from `seed`."""
    count = check_int("count", count, lo=1, hi=MAX_SYSTEMS)
    check_type("sizes", sizes, (tuple, list))
    if not sizes:
        raise ValueError("sizes must hold at least one (n, m) pair")
    for s in sizes:
        if not (isinstance(s, (tuple, list)) and len(s) == 2):
            raise ValueError(f"sizes must hold (n, m) pairs; got {s!r}")
        check_int("sizes n", s[0], lo=1, hi=MAX_STATES)
        check_int("sizes m", s[1], lo=1, hi=s[0])
    r = check_array("rho_range", rho_range, shape=(2,))
    lo, hi = float(r[0]), float(r[1])
    if not 1.0 < lo <= hi <= 3.0:
        raise ValueError(f"rho_range must satisfy 1 < lo <= hi <= 3; got {rho_range!r}")
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    rng = np.random.default_rng(seed)
    rhos = rng.uniform(lo, hi, count)
    seeds = rng.integers(0, 2**31 - 1, count)
    return [random_unstable(int(sizes[i % len(sizes)][0]), int(sizes[i % len(sizes)][1]), float(rhos[i]),
                            int(seeds[i])) for i in range(count)]


def named(name: str = "pendulum", dt: float = 0.05) -> LQR:
    """A physical unstable system discretised with time step dt (0.001..0.5 s, forward Euler):
    'pendulum': inverted pendulum (g/l = 20 s⁻²), states (angle, rate), torque input;
    'chain': two masses on springs with one negative stiffness, four states, one force input."""
    check_choice("name", name, NAMES)
    dt = check_number("dt", dt, lo=1e-3, hi=0.5)
    if name == "pendulum":
        Ac = np.array([[0.0, 1.0], [20.0, -0.1]])
        Bc = np.array([[0.0], [1.0]])
    else:
        Ac = np.array([[0, 1, 0, 0], [6.0, -0.1, -2.0, 0], [0, 0, 0, 1], [-2.0, 0, 1.0, -0.1]])
        Bc = np.array([[0.0], [1.0], [0.0], [0.0]])
    n, m = Bc.shape
    return LQR(np.eye(n) + dt * Ac, dt * Bc, np.eye(n), np.eye(m), np.eye(n), name)
