"""The evolutionary search of notebooks/14_quantumnas.ipynb (QuantumNAS, Wang et al., HPCA 2022): `evolve`, the
co-search of SubCircuit and physical-qubit layout, scored with inherited weights under a fake IBM backend's noise
model (device.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from lab.core.checks import check_int, check_number, check_type
from .supercircuit import Arch, MAX_ITERATIONS, MAX_PHYSICAL, MAX_POPULATION, SuperCircuit


# ----------------------------------------------------------------------------- evolutionary search
@dataclass(frozen=True)
class Gene:
    """A candidate of the co-search: physical-qubit layout (virtual qubit i -> layout[i]) and a SubCircuit."""
    layout: tuple[int, ...]
    arch: Arch

    def __post_init__(self):
        check_type("layout", self.layout, tuple)
        for q in self.layout:
            check_int("layout", q, lo=0, hi=MAX_PHYSICAL - 1)
        if not self.layout or len(set(self.layout)) != len(self.layout):
            raise ValueError(f"layout must hold distinct physical qubits; got {self.layout}")
        check_type("arch", self.arch, Arch)


def random_layout(n_physical: int, n_virtual: int, rng: np.random.Generator) -> tuple[int, ...]:
    """n_virtual distinct physical qubits out of n_physical, in random order."""
    check_type("rng", rng, np.random.Generator)
    n_physical = check_int("n_physical", n_physical, lo=1, hi=MAX_PHYSICAL)
    n_virtual = check_int("n_virtual", n_virtual, lo=1, hi=n_physical)
    return tuple(int(q) for q in rng.permutation(n_physical)[:n_virtual])


def mutate(gene: Gene, sc: SuperCircuit, n_physical: int, p: float, rng: np.random.Generator) -> Gene:
    """Each gene element is redrawn with probability p: the block count, each layer width,
    and each layout entry (swapped with another physical qubit)."""
    check_type("gene", gene, Gene)
    check_type("sc", sc, SuperCircuit)
    check_type("rng", rng, np.random.Generator)
    sc.check_arch(gene.arch)
    n_physical = check_int("n_physical", n_physical, lo=len(gene.layout), hi=MAX_PHYSICAL)
    p = check_number("p", p, lo=0.0, hi=1.0)
    nb = int(rng.integers(1, sc.max_blocks + 1)) if rng.random() < p else gene.arch.n_blocks
    widths = []
    for b in range(nb):
        if b < gene.arch.n_blocks:
            base = gene.arch.widths[b]
        else:
            base = sc.sample_arch(rng).widths[0]
        widths.append(tuple(int(rng.integers(1, len(sc.layer_ops(pat)) + 1)) if rng.random() < p else k
                            for (_, pat), k in zip(sc.layers(), base)))
    lay = list(gene.layout)
    for i in range(len(lay)):
        if rng.random() < p:
            q = int(rng.integers(n_physical))
            if q in lay:
                j = lay.index(q)
                lay[i], lay[j] = lay[j], lay[i]
            else:
                lay[i] = q
    return Gene(tuple(lay), Arch(nb, tuple(widths)))


def crossover(a: Gene, b: Gene, rng: np.random.Generator) -> Gene:
    """Each architecture element from either parent (uniformly); the layout whole from one parent."""
    check_type("a", a, Gene)
    check_type("b", b, Gene)
    check_type("rng", rng, np.random.Generator)
    if len(a.arch.widths[0]) != len(b.arch.widths[0]) or len(a.layout) != len(b.layout):
        raise ValueError("a and b must be genes of the same SuperCircuit and qubit count")
    pick = lambda u, v: u if rng.random() < 0.5 else v  # noqa: E731
    nb = pick(a.arch.n_blocks, b.arch.n_blocks)
    widths = []
    for i in range(nb):
        wa = a.arch.widths[i] if i < a.arch.n_blocks else b.arch.widths[i]
        wb = b.arch.widths[i] if i < b.arch.n_blocks else wa
        widths.append(tuple(pick(u, v) for u, v in zip(wa, wb)))
    return Gene(pick(a.layout, b.layout), Arch(nb, tuple(widths)))


@dataclass
class SearchResult:
    best: Gene
    best_score: float
    history: list = field(default_factory=list)  # (iteration, best score so far, mean score of population)
    n_evaluated: int = 0


def evolve(sc: SuperCircuit, n_physical: int, score: Callable[[list[Gene]], Sequence[float]], population: int,
           parents: int, mutations: int, crossovers: int, iterations: int, p: float, seed: int,
           progress: Callable | None = None) -> SearchResult:
    """Evolutionary co-search (lower score is better). `score(genes)` returns one score per gene
    (a whole generation at once, so noisy evaluation runs as one batched job). The first
    population is random; each iteration keeps the best `parents` and adds `mutations` mutants
    and `crossovers` children of random parents. Scores are cached per gene. `progress(i, n)`
    is called per iteration."""
    check_type("sc", sc, SuperCircuit)
    n_physical = check_int("n_physical", n_physical, lo=sc.n_qubits, hi=MAX_PHYSICAL)
    population = check_int("population", population, lo=1, hi=MAX_POPULATION)
    parents = check_int("parents", parents, lo=1, hi=MAX_POPULATION)
    iterations = check_int("iterations", iterations, lo=1, hi=MAX_ITERATIONS)
    mutations = check_int("mutations", mutations, lo=0, hi=MAX_POPULATION)
    crossovers = check_int("crossovers", crossovers, lo=0, hi=MAX_POPULATION)
    p = check_number("p", p, lo=0.0, hi=1.0)
    if progress is not None and not callable(progress):
        raise TypeError("progress must be callable (iteration, total) or None")
    if parents > population:
        raise ValueError(f"parents must be <= population ({population}); got {parents}")
    if not callable(score):
        raise TypeError("score must be callable: list of Gene -> list of floats")
    rng = np.random.default_rng(check_int("seed", seed, lo=0, hi=2**63 - 1))
    cache: dict[Gene, float] = {}

    def score_all(genes: list[Gene]) -> None:
        new = list(dict.fromkeys(g for g in genes if g not in cache))
        if new:
            vals = list(score(new))
            if len(vals) != len(new):
                raise ValueError(f"score must return one value per gene; got {len(vals)} for {len(new)}")
            vals = [float(v) for v in vals]
            if not all(np.isfinite(vals)):
                raise ValueError("score must return finite scores")
            cache.update(dict(zip(new, vals)))

    pop = [Gene(random_layout(n_physical, sc.n_qubits, rng), sc.sample_arch(rng)) for _ in range(population)]
    history = []
    for it in range(iterations):
        score_all(pop)
        ranked = sorted(pop, key=lambda g: (cache[g], repr(g)))
        history.append((it, cache[ranked[0]], float(np.mean([cache[g] for g in pop]))))
        if progress:
            progress(it + 1, iterations)
        if it == iterations - 1:
            break
        top = ranked[:parents]
        kids = [mutate(top[rng.integers(len(top))], sc, n_physical, p, rng) for _ in range(mutations)]
        for _ in range(crossovers):
            i, j = rng.choice(len(top), size=2, replace=len(top) < 2)
            kids.append(crossover(top[i], top[j], rng))
        pop = top + kids
    best = min(cache, key=lambda g: (cache[g], repr(g)))
    return SearchResult(best, cache[best], history, len(cache))
