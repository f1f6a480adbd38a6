"""SparseBFA (bit flips on the coordinates of the nonzero weights), the value-bit attack
in the style of the progressive bit search (Rakin et al. 2019) and random flips.

The greedy attacks (`attack`) repeat, one flip at a time:

1. decode the current bits to dense weights W and take the gradient G = dL/dW of the
   cross-entropy on the attacker's batch;
2. estimate, to first order, the loss increase of flipping every candidate bit:
   ΔL ≈ Σ G ⊙ ΔW. A coordinate flip that moves weight w from (r, c) to (r, c') gives
   w (G[r, c'] - G[r, c]) (minus w G[r, c] alone if (r, c') falls outside the matrix and
   the entry is dropped). A relative code flip shifts its entry and all later entries
   of the layer by s = ±2**b: the sum of those terms over the suffix. A value-bit flip
   changing code q to q' gives (q' - q) scale G[r, c];
3. re-score the `top_k` best candidates exactly (flip, decode, loss on the batch) and
   keep the one with the highest loss; bits already flipped are not candidates again.

Targets: "index" (SparseBFA: the coordinate fields col / row / delta) or "value" (the
fixed-point codes). Row pointers of CSR are stored (and counted) but not attacked.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..core.device import single_threaded
from ..core.checks import check_array, check_choice, check_int, check_number, check_type
from .formats import FORMATS, Store, check_bits, decode, encode, entries, flip, signed
from .model import PrunedNet, logits

TARGETS = ("index", "value")
METHODS = ("sparsebfa", "valuebfa", "random")
METHOD_NAMES = {"sparsebfa": "SparseBFA (index bits)", "valuebfa": "value-bit BFA (PBS)",
                "random": "random index flips"}
MAX_FLIPS = 10_000
MAX_TOP_K = 1024


@dataclass(frozen=True)
class Trace:
    """Accuracy against flipped bits of one attack run.

    method: "sparsebfa", "valuebfa" or "random"; fmt: the storage format; seed: the
    network's seed (and, for random flips, `flip_seed` the draw's); counts: the numbers of
    flipped bits at which the network was evaluated (starting at 0); acc: test accuracy
    (fraction) there; loss: cross-entropy on the attacker's batch there; flipped: the bit
    positions, in the order flipped (for random flips, the first counts[-1] of the draw);
    n_bits: all stored weight bits; sparsity: the network's sparsity.
    """
    method: str
    fmt: str
    seed: int
    counts: np.ndarray
    acc: np.ndarray
    loss: np.ndarray
    flipped: np.ndarray
    n_bits: int
    sparsity: float
    flip_seed: int = 0

    def __post_init__(self):
        check_choice("method", self.method, METHODS)
        check_choice("fmt", self.fmt, FORMATS)
        check_array("counts", self.counts, ndim=1, dtype_kind="iu", lo=0)
        check_array("acc", self.acc, shape=(len(self.counts),), dtype_kind="f", lo=0.0, hi=1.0)
        check_array("loss", self.loss, shape=(len(self.counts),), dtype_kind="f")
        check_array("flipped", self.flipped, ndim=1, dtype_kind="iu", min_size=0, lo=0)
        check_int("seed", self.seed, lo=0, hi=2**32 - 1)
        check_int("n_bits", self.n_bits, lo=1, hi=2**40)
        check_number("sparsity", self.sparsity, lo=0.0, hi=1.0)
        check_int("flip_seed", self.flip_seed, lo=0, hi=2**32 - 1)

    def flips_to(self, threshold: float) -> float:
        """The fewest flipped bits at which test accuracy ≤ threshold (inf if never)."""
        threshold = check_number("threshold", threshold, lo=0.0, hi=1.0)
        hit = np.nonzero(self.acc <= threshold)[0]
        return float(self.counts[hit[0]]) if len(hit) else float("inf")


@dataclass(frozen=True)
class Victim:
    """An encoded network under attack: its store, biases (dense, not attacked), the
    attacker's batch (x_attack (B, 64), y_attack (B,)) and the test set (x_test, y_test)."""
    store: Store
    biases: tuple
    x_attack: torch.Tensor
    y_attack: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    def __post_init__(self):
        check_type("store", self.store, Store)
        check_type("biases", self.biases, tuple)
        if len(self.biases) != len(self.store.shapes):
            raise ValueError("biases must hold one vector per layer")
        for b, (rows, _) in zip(self.biases, self.store.shapes):
            check_type("biases", b, torch.Tensor)
            check_array("biases", b, shape=(rows,), dtype_kind="f")
        for name in ("x_attack", "y_attack", "x_test", "y_test"):
            check_type(name, getattr(self, name), torch.Tensor)
        cols = self.store.shapes[0][1]
        check_array("x_attack", self.x_attack, ndim=2, shape=(None, cols), dtype_kind="f")
        check_array("x_test", self.x_test, ndim=2, shape=(None, cols), dtype_kind="f")
        k = self.store.shapes[-1][0]
        check_array("y_attack", self.y_attack, shape=(len(self.x_attack),), dtype_kind="iu", lo=0, hi=k - 1)
        check_array("y_test", self.y_test, shape=(len(self.x_test),), dtype_kind="iu", lo=0, hi=k - 1)

    def loss(self, bits: np.ndarray) -> float:
        """Cross-entropy on the attacker's batch of the network the bits encode."""
        w = [torch.from_numpy(a) for a in decode(self.store, bits)]
        with torch.no_grad():
            return float(F.cross_entropy(logits(w, self.biases, self.x_attack), self.y_attack))

    def accuracy(self, bits: np.ndarray) -> float:
        """Test accuracy (fraction) of the network the bits encode."""
        w = [torch.from_numpy(a) for a in decode(self.store, bits)]
        with torch.no_grad():
            return float((logits(w, self.biases, self.x_test).argmax(1) == self.y_test).float().mean())

    def gradients(self, bits: np.ndarray) -> list[np.ndarray]:
        """dL/dW of the attacker's loss, one (rows, cols) float64 array per layer."""
        w = [torch.from_numpy(a).double().requires_grad_(True) for a in decode(self.store, bits)]
        b = [torch.from_numpy(np.asarray(x)).double() for x in self.biases]
        loss = F.cross_entropy(logits(w, b, self.x_attack.double()), self.y_attack)
        loss.backward()
        return [t.grad.numpy() for t in w]


def victim(net: PrunedNet, fmt: str, *, batch: int = 128, seed: int = 0, value_bits: int = 8,
           delta_bits: int = 4) -> Victim:
    """Encode a pruned network in `fmt` and draw the attacker's batch: `batch` training
    images (≤ the training set) chosen with `seed`."""
    check_type("net", net, PrunedNet)
    fmt = check_choice("fmt", fmt, FORMATS)
    n_train = len(net.data.y_train)
    batch = check_int("batch", batch, lo=1, hi=n_train)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    store = encode(net.weights, fmt, value_bits=value_bits, delta_bits=delta_bits)
    idx = np.sort(np.random.default_rng(seed).choice(n_train, batch, replace=False))
    x, y, xt, yt = net.data.torch()
    return Victim(store, tuple(torch.from_numpy(b) for b in net.biases), x[idx], y[idx], xt, yt)


def _est_moves(e, grad, rows, cols, field, ints, width):
    """First-order loss change of flipping each bit of a col or row field: (count, width)."""
    est = np.zeros((len(ints), width))
    for j in range(width):
        b = width - 1 - j
        if field == "col":
            r, c = e.row, e.col ^ (1 << b)
        else:
            r, c = e.row ^ (1 << b), e.col
        ok = (r < rows) & (c < cols)
        g_new = np.where(ok, grad[np.minimum(r, rows - 1), np.minimum(c, cols - 1)], 0.0)
        g_old = np.where(e.valid, grad[np.minimum(e.row, rows - 1), np.minimum(e.col, cols - 1)], 0.0)
        np.add.at(est[:, j], e.entry, e.value * (g_new - g_old))
    return est


def _est_deltas(e, grad, rows, cols, codes, width):
    """First-order loss change of flipping each bit of a relative code: every later entry
    moves too, so the estimate is a suffix sum of the per-entry terms."""
    n_pos = rows * cols
    gflat = grad.ravel()
    g_old = np.where(e.valid, gflat[np.minimum(e.pos, n_pos - 1)], 0.0)
    est = np.zeros((len(codes), width))
    for j in range(width):
        b = width - 1 - j
        up = ((codes >> b) & 1) == 0  # a 0 bit becomes 1: the code grows by 2**b
        for sign, sel in ((1, up), (-1, ~up)):
            new = e.pos + sign * (1 << b)
            ok = (new >= 0) & (new < n_pos)
            term = e.value * (np.where(ok, gflat[np.clip(new, 0, n_pos - 1)], 0.0) - g_old)
            suffix = np.cumsum(term[::-1])[::-1]
            est[sel, j] = suffix[sel]
    return est


def _est_values(e, grad, rows, cols, ints, width, scale):
    est = np.zeros((len(ints), width))
    g = np.where(e.valid, grad[np.minimum(e.row, rows - 1), np.minimum(e.col, cols - 1)], 0.0)
    q = signed(ints, width)
    for j in range(width):
        b = width - 1 - j
        dq = (signed(ints ^ (1 << b), width) - q)[e.entry]
        np.add.at(est[:, j], e.entry, dq * scale * g)
    return est


def first_order(store: Store, bits: np.ndarray | None, grads, target: str) -> tuple[np.ndarray, np.ndarray]:
    """The candidate bits of `target` ("index" or "value") and the estimated loss increase
    of flipping each: (positions (m,) int64, estimates (m,) float64). bits: the current bits
    (None: the clean ones); grads: dL/dW per layer."""
    bits = check_bits(store, bits)
    target = check_choice("target", target, TARGETS)
    if isinstance(grads, (str, bytes, np.ndarray)) or not hasattr(grads, "__len__"):
        raise TypeError("grads must be a sequence of arrays, one per layer")
    if len(grads) != len(store.shapes):
        raise ValueError(f"grads must hold one array per layer ({len(store.shapes)}); got {len(grads)}")
    grads = [check_array(f"grads[{i}]", g, shape=s, dtype_kind="f") for i, (g, s) in
             enumerate(zip(grads, store.shapes))]
    pos, out = [], []
    ents = entries(store, bits)
    for f in store.fields:
        if (target == "index") != (f.kind == "index") or f.kind == "pointer":
            continue
        e, (rows, cols), g = ents[f.layer], store.shapes[f.layer], grads[f.layer]
        ints = np.asarray(bits[f.offset:f.stop], dtype=np.int64).reshape(-1, f.width) @ (
            1 << np.arange(f.width - 1, -1, -1, dtype=np.int64))
        if f.name in ("col", "row"):
            est = _est_moves(e, g, rows, cols, f.name, ints, f.width)
        elif f.name == "delta":
            est = _est_deltas(e, g, rows, cols, ints, f.width)
        else:
            est = _est_values(e, g, rows, cols, ints, f.width, store.scales[f.layer])
        pos.append(np.arange(f.offset, f.stop))
        out.append(est.ravel())
    if not pos:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(pos).astype(np.int64), np.concatenate(out)


def attack(v: Victim, *, target: str = "index", n_flips: int = 20, top_k: int = 16,
           stop_acc: float | None = None) -> tuple:
    """Greedy progressive bit search on `target` bits ("index": SparseBFA; "value": the
    PBS-style value attack): up to `n_flips` (≤ 10000) flips, each chosen among the `top_k`
    (≤ 1024) best first-order candidates by the exact loss on the attacker's batch; stops
    early once test accuracy ≤ stop_acc (a fraction; None: never). Returns (flipped bit
    positions (n,), test accuracy (n + 1,), attack-batch loss (n + 1,)), index 0 being the
    clean network."""
    check_type("v", v, Victim)
    target = check_choice("target", target, TARGETS)
    n_flips = check_int("n_flips", n_flips, lo=0, hi=MAX_FLIPS)
    top_k = check_int("top_k", top_k, lo=1, hi=MAX_TOP_K)
    if stop_acc is not None:
        stop_acc = check_number("stop_acc", stop_acc, lo=0.0, hi=1.0)
    bits = v.store.bits.copy()
    used = np.zeros(v.store.n_bits, dtype=bool)
    acc, loss, flipped = [v.accuracy(bits)], [v.loss(bits)], []
    for _ in range(n_flips):
        pos, est = first_order(v.store, bits, v.gradients(bits), target)
        keep = ~used[pos]
        pos, est = pos[keep], est[keep]
        if len(pos) == 0:
            break
        cand = pos[np.argsort(-est, kind="stable")[:top_k]]
        scores = [v.loss(flip(bits, int(c))) for c in cand]
        best = int(cand[int(np.argmax(scores))])
        bits[best] ^= 1
        used[best] = True
        flipped.append(best)
        acc.append(v.accuracy(bits))
        loss.append(float(np.max(scores)))
        if stop_acc is not None and acc[-1] <= stop_acc:
            break
    return np.asarray(flipped, dtype=np.int64), np.asarray(acc), np.asarray(loss)


def random_flips(v: Victim, *, n_max: int = 1000, n_points: int = 20, seed: int = 0,
                 target: str = "index", stop_acc: float | None = None) -> tuple:
    """Random flips of distinct `target` bits: one random order (from `seed`), evaluated after
    the first n bits for n on a log grid of `n_points` (≤ 200) counts up to `n_max` (capped at
    the number of candidate bits, ≤ 10**6). With `stop_acc` (a test accuracy in [0, 1]), the count
    at which accuracy first falls to it is found to the flip: bisection inside the grid step where
    the grid first reaches it (accuracy is taken as non-increasing along the order inside that one
    step), its evaluations merged into the curve; without it a count is only known to its grid
    step, up to about 40 % too high with 25 points. Returns (counts (m,), test accuracy (m,),
    attack-batch loss (m,), the flipped order (counts[-1],)); counts[0] = 0, counts increasing."""
    check_type("v", v, Victim)
    target = check_choice("target", target, TARGETS)
    n_max = check_int("n_max", n_max, lo=1, hi=10**6)
    n_points = check_int("n_points", n_points, lo=2, hi=200)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    cand = v.store.positions(target)
    n_max = min(n_max, len(cand))
    order = np.random.default_rng(seed).permutation(cand)[:n_max]
    counts = np.unique(np.concatenate([[0], np.rint(np.geomspace(1, n_max, n_points - 1))]).astype(np.int64))
    if stop_acc is not None:
        stop_acc = check_number("stop_acc", stop_acc, lo=0.0, hi=1.0)
    seen: dict[int, tuple[float, float]] = {}

    def at(n: int) -> float:
        if n not in seen:
            b = flip(v.store.bits, order[:n])
            seen[n] = (v.accuracy(b), v.loss(b))
        return seen[n][0]

    grid_acc = [at(int(n)) for n in counts]
    if stop_acc is not None:
        hit = next((i for i, a in enumerate(grid_acc) if a <= stop_acc), None)
        if hit:  # bisect (counts[hit-1], counts[hit]]: above stop_acc at lo, at or below it at hi
            lo, hi = int(counts[hit - 1]), int(counts[hit])
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if at(mid) <= stop_acc else (mid, hi)
    counts = np.asarray(sorted(seen), dtype=np.int64)
    acc = np.asarray([seen[int(n)][0] for n in counts])
    loss = np.asarray([seen[int(n)][1] for n in counts])
    return counts, acc, loss, order.astype(np.int64)


@single_threaded
def run_attack(net: PrunedNet, fmt: str, method: str, *, n_flips: int = 20, top_k: int = 16,
               stop_acc: float | None = None, batch: int = 128, random_max: int = 1000,
               random_points: int = 20, flip_seed: int = 0, value_bits: int = 8, delta_bits: int = 4) -> Trace:
    """One attack run on a pruned network stored in `fmt`, as a Trace. method: "sparsebfa",
    "valuebfa" (up to n_flips greedy flips, top_k exact re-scores each, stopping at stop_acc)
    or "random" (random index flips up to random_max on a grid of random_points counts,
    drawn with flip_seed; with stop_acc, the count where accuracy first falls to it is found to
    the flip, see `random_flips`). The attacker's batch (`batch` training images) is drawn with the
    network's seed."""
    check_type("net", net, PrunedNet)
    method = check_choice("method", method, METHODS)
    flip_seed = check_int("flip_seed", flip_seed, lo=0, hi=2**32 - 1)
    n_flips = check_int("n_flips", n_flips, lo=0, hi=MAX_FLIPS)
    top_k = check_int("top_k", top_k, lo=1, hi=MAX_TOP_K)
    if stop_acc is not None:
        stop_acc = check_number("stop_acc", stop_acc, lo=0.0, hi=1.0)
    random_max = check_int("random_max", random_max, lo=1, hi=10**6)
    random_points = check_int("random_points", random_points, lo=2, hi=200)
    v = victim(net, fmt, batch=batch, seed=net.seed, value_bits=value_bits, delta_bits=delta_bits)
    if method == "random":
        counts, acc, loss, flipped = random_flips(v, n_max=random_max, n_points=random_points, seed=flip_seed,
                                                  stop_acc=stop_acc)
    else:
        flipped, acc, loss = attack(v, target="index" if method == "sparsebfa" else "value",
                                    n_flips=n_flips, top_k=top_k, stop_acc=stop_acc)
        counts = np.arange(len(acc))
    return Trace(method, fmt, net.seed, counts, acc, loss, flipped, v.store.n_bits, net.sparsity, flip_seed)
