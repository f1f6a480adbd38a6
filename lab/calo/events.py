"""The physics side and the metric of lab.calo, which backs notebooks/09_calo.ipynb
(calorimetry clustering with SPVCNN, Z. Liu, X. Yang, S. Han et al., with UW and MIT
physics; MTL 2022):

* a synthetic HGCAL-like sampling calorimeter (`Geometry`, `generate_events`):
  layers along z, square cells in x and y, several particles per event with
  electromagnetic or hadronic shower profiles, electronic-noise hits, the energy of
  every hit, and the truth cluster id of every hit (-1 for noise);
* the clustering of embeddings by mean-shift with noise hits separated
  (`cluster_embeddings`);
* panoptic quality (`panoptic_quality`, IoU > 0.5 matching, PQ = SQ x RQ) and its
  energy-weighted variant.

The networks live in `models.py` (batches, loss, the EdgeConv GNN baseline) and `spvcnn.py`
(SPVCNN); training and the comparison in `train.py`; figures and the explorer in `views.py`.

Units: positions in cm (cell pitch and layer pitch 1 cm, so 1 cm = 1 voxel),
energies in GeV.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..core.checks import check_array, check_int, check_number, check_positive, check_type

NOISE = -1      # cluster id of a noise hit


# ----------------------------------------------------------------------------- geometry, events
@dataclass(frozen=True)
class Geometry:
    """An HGCAL-like sampling calorimeter: `nx` x `ny` square cells of `cell_cm` in each
    of `nz` layers stacked along z every `layer_cm`. One layer is one radiation length
    X0; the nuclear interaction length is `lambda_layers` layers."""
    nx: int = 32
    ny: int = 32
    nz: int = 24
    cell_cm: float = 1.0
    layer_cm: float = 1.0
    lambda_layers: float = 8.0
    threshold_gev: float = 0.004   # hits below this energy are not read out
    noise_mean_gev: float = 0.008  # mean energy above threshold of a noise hit

    def __post_init__(self):
        for name in ("nx", "ny", "nz"):
            check_int(name, getattr(self, name), lo=4, hi=512)
        for name in ("cell_cm", "layer_cm", "lambda_layers", "threshold_gev", "noise_mean_gev"):
            check_positive(name, getattr(self, name))

    @property
    def extent_cm(self) -> np.ndarray:
        return np.array([self.nx * self.cell_cm, self.ny * self.cell_cm, self.nz * self.layer_cm])


@dataclass
class Event:
    """One calorimeter event.

    xyz [N,3] float: hit (cell centre) positions in cm; cell [N,3] int: (ix, iy, layer);
    energy [N] float: hit energy in GeV; cluster [N] int: truth particle index, -1 = noise;
    kinds [P] str: 'em' or 'had' per particle; p_energy [P] float: particle energy in GeV.
    """
    xyz: np.ndarray
    cell: np.ndarray
    energy: np.ndarray
    cluster: np.ndarray
    kinds: list = field(default_factory=list)
    p_energy: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self):
        self.xyz = check_array("xyz", self.xyz, shape=(None, 3))
        n = len(self.xyz)
        self.cell = check_array("cell", self.cell, shape=(n, 3), dtype_kind="iu", lo=0)
        self.energy = check_array("energy", self.energy, shape=(n,), lo=0.0)
        self.cluster = check_array("cluster", self.cluster, shape=(n,), dtype_kind="iu", lo=-1)
        check_type("kinds", self.kinds, list)
        if any(k not in ("em", "had") for k in self.kinds):
            raise ValueError(f"kinds must hold 'em' or 'had' per particle; got {self.kinds!r}")
        self.p_energy = check_array("p_energy", self.p_energy, ndim=1, lo=0.0, min_size=0)
        if self.p_energy.shape != (len(self.kinds),):
            raise ValueError(f"p_energy must hold one energy per particle of kinds ({len(self.kinds)}); "
                             f"got shape {self.p_energy.shape}")
        if self.cluster.max() >= len(self.kinds):
            raise ValueError(f"cluster ids must be < the number of particles, len(kinds) = {len(self.kinds)}; "
                             f"got max {self.cluster.max()}")

    @property
    def n_hits(self) -> int:
        return len(self.energy)


def _em_deposits(rng, e_vis, start_depth, n_dep, sigma_core=0.6, sigma_tail=2.0, ec=0.02):
    """Depth [layers] and lateral offsets [cells] of `n_dep` deposits of an EM shower
    (longitudinal gamma profile, shower maximum at ln(E/Ec) - 0.5 X0; core + tail laterally)."""
    tmax = max(np.log(max(e_vis, 2 * ec) / ec) - 0.5, 1.0)
    b = 0.5
    a = b * tmax + 1.0
    t = start_depth + rng.gamma(a, 1.0 / b, n_dep)
    sigma = np.where(rng.random(n_dep) < 0.85, sigma_core, sigma_tail)
    sigma = sigma * (0.6 + 0.4 * np.clip((t - start_depth) / tmax, 0, 3))
    return t, rng.normal(0.0, 1.0, (n_dep, 2)) * sigma[:, None]


def _particle_deposits(rng, kind, energy, geom: Geometry, dep_per_gev):
    """(x, y, z) [cm] and energy [GeV] of the energy deposits of one particle."""
    x0 = rng.uniform(0.2 * geom.nx, 0.8 * geom.nx) * geom.cell_cm
    y0 = rng.uniform(0.2 * geom.ny, 0.8 * geom.ny) * geom.cell_cm
    tx, ty = rng.normal(0.0, 0.12, 2)
    n_dep = max(int(energy * dep_per_gev), 20)
    if kind == "em":
        t, dxy = _em_deposits(rng, energy, 0.0, n_dep)
        e_dep = np.full(n_dep, energy / n_dep)
    else:
        e_vis = 0.7 * energy                                   # e/h < 1: part of a hadron's energy is invisible
        t0 = rng.exponential(geom.lambda_layers * 0.6)         # first nuclear interaction [layers]
        n_track = int(min(t0, geom.nz))
        t_track = np.arange(n_track) + 0.5                      # a MIP track before it
        n_clump = 1 + rng.poisson(1.5)                         # EM sub-showers from neutral pions
        f_em = rng.uniform(0.2, 0.5)
        n_em = int(n_dep * f_em)
        n_had = n_dep - n_em
        tmax_h = 1.5 + 0.8 * np.log(max(e_vis, 1.0))
        b = 0.22
        t_h = t0 + rng.gamma(b * tmax_h + 1.0, 1.0 / b, n_had)
        s_h = np.where(rng.random(n_had) < 0.7, 1.4, 3.2)
        dxy_h = rng.normal(0.0, 1.0, (n_had, 2)) * s_h[:, None]
        parts_t, parts_xy = [t_h], [dxy_h]
        sizes = rng.multinomial(n_em, np.ones(n_clump) / n_clump)
        for size in sizes:
            if size == 0:
                continue
            off = rng.normal(0.0, 1.8, 2)
            depth = t0 + rng.exponential(2.0)
            t_c, d_c = _em_deposits(rng, e_vis * size / n_dep, depth, int(size), sigma_core=0.5, sigma_tail=1.2)
            parts_t.append(t_c)
            parts_xy.append(d_c + off)
        t = np.concatenate([t_track] + parts_t)
        dxy = np.concatenate([np.zeros((n_track, 2))] + parts_xy)
        e_dep = np.concatenate([np.full(n_track, 0.006), np.full(n_dep, e_vis / n_dep)])
    e_dep = e_dep * rng.gamma(4.0, 0.25, len(e_dep))            # sampling fluctuations
    z = t * geom.layer_cm
    x = x0 + tx * z + dxy[:, 0] * geom.cell_cm
    y = y0 + ty * z + dxy[:, 1] * geom.cell_cm
    return np.stack([x, y, z], 1), e_dep


def generate_event(seed: int, geometry: Geometry | None = None, particles: Sequence[int] = (2, 4),
                   energy_gev: Sequence[float] = (5.0, 40.0), em_fraction: float = 0.5,
                   noise_hits: float = 30.0, dep_per_gev: float = 25.0) -> Event:
    """One synthetic event from `seed`.

    particles: (min, max) number of particles (uniform); energy_gev: (min, max) particle
    energy in GeV (log-uniform); em_fraction: probability that a particle showers
    electromagnetically (else hadronically); noise_hits: mean number of noise hits
    (Poisson); dep_per_gev: simulated energy deposits per GeV. Each cell is read out
    once: its energy is the sum over particles and its truth cluster is the particle
    that deposited most in it; noise adds to it.
    """
    check_int("seed", seed, lo=0, hi=2**32 - 1)
    geom = Geometry() if geometry is None else check_type("geometry", geometry, Geometry)
    pr = check_array("particles", particles, shape=(2,), dtype_kind="iu", lo=1, hi=50)
    if pr[0] > pr[1]:
        raise ValueError(f"particles must be (min, max) with min <= max; got {tuple(pr)}")
    er = check_array("energy_gev", energy_gev, shape=(2,), lo=0.1, hi=1e4)
    if er[0] > er[1]:
        raise ValueError(f"energy_gev must be (min, max) with min <= max; got {tuple(er)}")
    em_fraction = check_number("em_fraction", em_fraction, lo=0.0, hi=1.0)
    noise_hits = check_number("noise_hits", noise_hits, lo=0.0, hi=1e5)
    dep_per_gev = check_number("dep_per_gev", dep_per_gev, lo=1.0, hi=1e4)

    rng = np.random.default_rng(seed)
    n_p = int(rng.integers(pr[0], pr[1] + 1))
    kinds = ["em" if rng.random() < em_fraction else "had" for _ in range(n_p)]
    p_energy = np.exp(rng.uniform(np.log(er[0]), np.log(er[1]), n_p))
    shape = (geom.nx, geom.ny, geom.nz)
    n_cells = geom.nx * geom.ny * geom.nz
    keys, owners, energies = [], [], []
    for p, (kind, e) in enumerate(zip(kinds, p_energy)):
        pos, e_dep = _particle_deposits(rng, kind, e, geom, dep_per_gev)
        idx = np.floor(pos / np.array([geom.cell_cm, geom.cell_cm, geom.layer_cm])).astype(np.int64)
        inside = np.all((idx >= 0) & (idx < np.array(shape)), axis=1)
        lin = np.ravel_multi_index(idx[inside].T, shape)
        u, inv = np.unique(lin, return_inverse=True)
        keys.append(u)
        owners.append(np.full(len(u), p))
        energies.append(np.bincount(inv, weights=e_dep[inside], minlength=len(u)))
    n_noise = int(rng.poisson(noise_hits))
    keys.append(rng.integers(0, n_cells, n_noise))
    owners.append(np.full(n_noise, NOISE))
    energies.append(geom.threshold_gev + rng.exponential(geom.noise_mean_gev, n_noise))
    keys, owners, energies = map(np.concatenate, (keys, owners, energies))
    cells, inv = np.unique(keys, return_inverse=True)
    total = np.bincount(inv, weights=energies, minlength=len(cells))
    # truth: the particle with the largest deposit in the cell; noise only where no particle is
    order = np.lexsort((-np.where(owners == NOISE, -1.0, energies), inv))
    first = order[np.r_[0, np.flatnonzero(np.diff(inv[order])) + 1]]
    cluster = owners[first]
    keep = total >= geom.threshold_gev
    cell = np.stack(np.unravel_index(cells[keep], shape), 1).astype(np.int64)
    xyz = (cell + 0.5) * np.array([geom.cell_cm, geom.cell_cm, geom.layer_cm])
    return Event(xyz=xyz, cell=cell, energy=total[keep], cluster=cluster[keep].astype(np.int64),
                 kinds=kinds, p_energy=p_energy)


def generate_events(n: int, seed: int, **kwargs) -> list[Event]:
    """`n` independent events; event i uses the seed derived from (seed, i).
    Keyword arguments go to `generate_event`."""
    n = check_int("n", n, lo=1, hi=100_000)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    seeds = np.random.SeedSequence(seed).generate_state(n)
    return [generate_event(int(s), **kwargs) for s in seeds]


def check_events(name: str, events, max_events: int = 100_000) -> list[Event]:
    """A non-empty list or tuple of at most `max_events` Event, as a list; else TypeError/ValueError naming `name`."""
    if not isinstance(events, (list, tuple)):
        raise TypeError(f"{name} must be a non-empty list of calo Event; got {type(events).__name__}")
    if not 1 <= len(events) <= max_events:
        raise ValueError(f"{name} must hold 1 to {max_events} events; got {len(events)}")
    for e in events:
        if not isinstance(e, Event):
            raise TypeError(f"{name} must hold only calo Event objects; got {type(e).__name__}")
    return list(events)


def event_summary(events: Sequence[Event]) -> dict:
    """Mean hits, particles, noise fraction and hit energy over events (for a readout)."""
    events = check_events("events", events)
    hits = np.array([e.n_hits for e in events])
    return dict(events=len(events), hits_per_event=float(hits.mean()),
                particles_per_event=float(np.mean([len(e.kinds) for e in events])),
                noise_fraction=float(np.mean(np.concatenate([e.cluster == NOISE for e in events]))),
                em_fraction=float(np.mean([k == "em" for e in events for k in e.kinds])),
                energy_per_event_gev=float(np.mean([e.energy.sum() for e in events])))


# ----------------------------------------------------------------------------- clustering
def mean_shift(x, bandwidth: float, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Mean-shift with a flat kernel of radius `bandwidth` on points x [N,D].

    Seeds are the occupied cells of a grid of pitch `bandwidth` (bin seeding); each
    seed moves to the mean of the points within `bandwidth` until it stops; modes
    closer than `bandwidth` to a denser mode are merged away; every point takes the
    label of its nearest mode. The same procedure as scikit-learn's
    `MeanShift(bin_seeding=True)`, vectorised over seeds; where no binned seed keeps a point within
    `bandwidth` (a bin's centre can lie up to bandwidth * sqrt(D) / 2 from its points), the points themselves
    are the seeds (scikit-learn raises instead). Returns (labels [N] int, modes [K,D])."""
    x = check_array("x", x, ndim=2, dtype_kind="fiu").astype(np.float64)
    bw = check_positive("bandwidth", bandwidth)
    max_iter = check_int("max_iter", max_iter, lo=1)
    modes = _shift_modes(x, np.unique(np.round(x / bw), axis=0) * bw, bw, max_iter)
    if not modes and len(x):
        # every binned seed ended with no point within the bandwidth (a bin's centre can lie up to
        # bw * sqrt(D) / 2 from the points that made it): start from the points themselves instead
        modes = _shift_modes(x, x.copy(), bw, max_iter)
    modes_arr = np.array(modes).reshape(len(modes), x.shape[1])
    if not len(x):
        return np.zeros(0, dtype=np.int64), modes_arr
    labels = np.argmin(((x[:, None, :] - modes_arr[None, :, :]) ** 2).sum(-1), axis=1)
    return labels.astype(np.int64), modes_arr


def _shift_modes(x: np.ndarray, seeds: np.ndarray, bw: float, max_iter: int) -> list[np.ndarray]:
    """Mean-shift the seeds over x with a flat kernel of radius bw; the modes, densest first, each at least bw
    from a denser one (seeds with no point within bw are dropped)."""
    active = np.ones(len(seeds), bool)
    tol = 1e-3 * bw
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if len(idx) == 0:
            break
        s = seeds[idx]
        within = ((s[:, None, :] - x[None, :, :]) ** 2).sum(-1) < bw * bw
        cnt = within.sum(1)
        new = within.astype(np.float64) @ x / np.maximum(cnt, 1)[:, None]
        new[cnt == 0] = s[cnt == 0]
        moved = np.linalg.norm(new - s, axis=1)
        seeds[idx] = new
        active[idx[moved < tol]] = False
    within = ((seeds[:, None, :] - x[None, :, :]) ** 2).sum(-1) < bw * bw
    intensity = within.sum(1)
    keep_mask = intensity > 0
    seeds, intensity = seeds[keep_mask], intensity[keep_mask]
    order = np.lexsort((np.arange(len(seeds)), -intensity))
    modes: list[np.ndarray] = []
    for i in order:
        if all(np.linalg.norm(seeds[i] - m) >= bw for m in modes):
            modes.append(seeds[i])
    return modes


def cluster_embeddings(emb, noise_prob, bandwidth: float = 1.0, noise_threshold: float = 0.5,
                       min_hits: int = 2, method: str = "meanshift", min_cluster_size: int = 5) -> np.ndarray:
    """Cluster ids [N] (-1 = noise) of one event from embeddings emb [N,D] and the
    predicted noise probability noise_prob [N] in [0, 1].

    Hits with noise_prob >= noise_threshold are noise; the rest are clustered by
    mean-shift (`mean_shift`, method="meanshift") with a flat kernel of radius `bandwidth`
    (embedding units), or by scikit-learn's HDBSCAN (method="hdbscan", the authors' default
    clusterer) with `min_cluster_size` (their 5), whose outliers are noise; clusters of fewer
    than `min_hits` hits are returned as noise.
    """
    emb = check_array("emb", emb, ndim=2, dtype_kind="f")
    p = check_array("noise_prob", noise_prob, shape=(emb.shape[0],), dtype_kind="f", lo=0.0, hi=1.0)
    bandwidth = check_positive("bandwidth", bandwidth)
    noise_threshold = check_number("noise_threshold", noise_threshold, lo=0.0, hi=1.0)
    min_hits = check_int("min_hits", min_hits, lo=1, hi=10**6)
    if not isinstance(method, str) or method not in ("meanshift", "hdbscan"):
        raise ValueError(f"method must be 'meanshift' or 'hdbscan'; got {method!r}")
    min_cluster_size = check_int("min_cluster_size", min_cluster_size, lo=2, hi=10**6)
    labels = np.full(len(emb), NOISE, dtype=np.int64)
    sig = np.flatnonzero(p < noise_threshold)
    if len(sig) == 0:
        return labels
    if method == "meanshift":
        lab, _ = mean_shift(emb[sig], bandwidth)
    elif len(sig) < min_cluster_size:
        lab = np.full(len(sig), NOISE, dtype=np.int64)
    else:
        from sklearn.cluster import HDBSCAN

        lab = HDBSCAN(min_cluster_size=min_cluster_size, copy=True).fit_predict(emb[sig]).astype(np.int64)
    sizes = np.bincount(lab[lab >= 0], minlength=1)
    lab = np.where((lab < 0) | (sizes[np.maximum(lab, 0)] < min_hits), NOISE, lab)
    labels[sig] = lab
    if (labels >= 0).any():
        labels[labels >= 0] = np.unique(labels[labels >= 0], return_inverse=True)[1]
    return labels


def geometric_clusters(event: Event, eps_cm: float = 2.0, min_hits: int = 5) -> np.ndarray:
    """A learning-free baseline: DBSCAN (scikit-learn) on the hit positions, clusters
    of hits within `eps_cm` of each other; DBSCAN's outliers are noise (-1)."""
    from sklearn.cluster import DBSCAN

    check_type("event", event, Event)
    eps_cm = check_positive("eps_cm", eps_cm)
    min_hits = check_int("min_hits", min_hits, lo=1)
    return DBSCAN(eps=eps_cm, min_samples=min_hits).fit_predict(event.xyz).astype(np.int64)


# ----------------------------------------------------------------------------- panoptic quality
@dataclass
class PQCounts:
    """Sums behind panoptic quality; add them over events, then read pq/sq/rq.

    iou_sum: sum over matched pairs of (weight x) IoU; tp/fp/fn: (weighted) numbers of
    true-positive pairs, unmatched predictions and unmatched truth clusters. For the
    energy-weighted variant each segment counts with its energy in GeV."""
    iou_sum: float = 0.0
    tp: float = 0.0
    fp: float = 0.0
    fn: float = 0.0

    def __post_init__(self):
        for name in ("iou_sum", "tp", "fp", "fn"):
            check_number(name, getattr(self, name), lo=0.0)
        if self.iou_sum > self.tp + 1e-9:
            raise ValueError(f"iou_sum must be <= tp (each IoU is at most 1); got {self.iou_sum} > {self.tp}")

    def __add__(self, other: "PQCounts") -> "PQCounts":
        return PQCounts(self.iou_sum + other.iou_sum, self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def sq(self) -> float:
        return self.iou_sum / self.tp if self.tp > 0 else 0.0

    @property
    def rq(self) -> float:
        den = self.tp + 0.5 * self.fp + 0.5 * self.fn
        return self.tp / den if den > 0 else 0.0

    @property
    def pq(self) -> float:
        return self.sq * self.rq


def panoptic_quality(truth, pred, energy=None, iou_threshold: float = 0.5) -> PQCounts:
    """Panoptic-quality counts of one event.

    truth [N], pred [N]: integer cluster ids per hit, -1 = noise. Truth noise is
    "void": predicted hits on it are left out of the union, and a prediction made of
    more than half void hits is not a false positive. A truth and a predicted cluster
    match when IoU > iou_threshold (>= 0.5 makes matches unique). With `energy` [N]
    (GeV) the IoU is energy-weighted (energy of the intersection over energy of the
    union) and every segment counts with its energy (truth energy for TP and FN,
    predicted energy for FP): the energy-weighted PQ.
    """
    t = check_array("truth", truth, ndim=1, dtype_kind="iu", lo=-1)
    p = check_array("pred", pred, shape=(len(t),), dtype_kind="iu", lo=-1)
    w = (np.ones(len(t)) if energy is None
         else check_array("energy", energy, shape=(len(t),), dtype_kind="fiu", lo=0.0).astype(float))
    thr = check_number("iou_threshold", iou_threshold, lo=0.5, hi=1.0, hi_open=True)
    weighted = energy is not None
    tg, tw = np.unique(t[t >= 0], return_inverse=False), None
    pg = np.unique(p[p >= 0])
    g_w = {g: w[t == g].sum() for g in tg}
    p_w = {q: w[(p == q) & (t >= 0)].sum() for q in pg}           # prediction without void hits
    p_void = {q: w[(p == q) & (t < 0)].sum() for q in pg}
    both = (t >= 0) & (p >= 0)
    inter: dict[tuple[int, int], float] = {}
    for (g, q), x in zip(zip(t[both], p[both]), w[both]):
        inter[(g, q)] = inter.get((g, q), 0.0) + x
    out = PQCounts()
    matched_g, matched_p = set(), set()
    for (g, q), x in inter.items():
        union = g_w[g] + p_w[q] - x
        iou = x / union if union > 0 else 0.0
        if iou > thr:
            s = g_w[g] if weighted else 1.0
            out.iou_sum += s * iou
            out.tp += s
            matched_g.add(g)
            matched_p.add(q)
    for g in tg:
        if g not in matched_g:
            out.fn += g_w[g] if weighted else 1.0
    for q in pg:
        if q in matched_p:
            continue
        total = p_w[q] + p_void[q]
        if total > 0 and p_void[q] / total > 0.5:
            continue
        out.fp += p_w[q] + p_void[q] if weighted else 1.0
    del tw
    return out
