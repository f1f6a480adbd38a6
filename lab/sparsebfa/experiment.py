"""The experiment of notebook 05: networks over seeds, every format, the three attacks, the
flips each needs to bring accuracy to random guess, and the claim helpers.

Random guess: test accuracy ≤ 1/K + margin (K = 10 classes; `random_guess_threshold`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.scale import check_presets
from ..core.checks import check_choice, check_int, check_number, check_table, check_type
from ..core.claims import Measured
from ..core.stats import mean_std_text, paired_interval
from .defence import CODES, detects, flips_per_block, overhead
from .formats import FORMATS, encode
from .model import PrunedNet, train_pruned
from .search import METHODS, Trace, run_attack

MAX_SEEDS = 20


def random_guess_threshold(n_classes: int = 10, margin: float = 0.01) -> float:
    """The accuracy we call random guess: 1/n_classes + margin (fractions)."""
    n_classes = check_int("n_classes", n_classes, lo=2, hi=1000)
    margin = check_number("margin", margin, lo=0.0, hi=0.5)
    return 1.0 / n_classes + margin


def _seeds(name, seeds):
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"{name} must be a sequence of ints")
    out = tuple(check_int(name, s, lo=0, hi=2**31 - 1) for s in seeds)
    if not out or len(out) > MAX_SEEDS or len(set(out)) != len(out):
        raise ValueError(f"{name} must hold 1..{MAX_SEEDS} distinct seeds; got {list(out)}")
    return out


def _formats(formats):
    if isinstance(formats, str) or not hasattr(formats, "__iter__"):
        raise TypeError("formats must be a sequence of format names")
    out = tuple(check_choice("formats", f, FORMATS) for f in formats)
    if not out:
        raise ValueError(f"formats must hold at least one of {list(FORMATS)}")
    return out


@dataclass(frozen=True)
class Study:
    """Networks (one per seed) and attack traces. traces: every Trace; threshold: the
    random-guess accuracy; n_flips: the greedy attacks' budget."""
    nets: tuple
    traces: tuple
    threshold: float
    n_flips: int

    def __post_init__(self):
        check_type("nets", self.nets, tuple)
        check_type("traces", self.traces, tuple)
        for n in self.nets:
            check_type("nets", n, PrunedNet)
        for t in self.traces:
            check_type("traces", t, Trace)
        check_number("threshold", self.threshold, lo=0.0, hi=1.0)
        check_int("n_flips", self.n_flips, lo=0, hi=10_000)

    def select(self, method: str, fmt: str, seed: int | None = None) -> list[Trace]:
        """The traces of one method and format (and network seed)."""
        check_choice("method", method, METHODS)
        check_choice("fmt", fmt, FORMATS)
        return [t for t in self.traces if t.method == method and t.fmt == fmt and (seed is None or t.seed == seed)]

    def net(self, seed: int) -> PrunedNet:
        for n in self.nets:
            if n.seed == seed:
                return n
        raise ValueError(f"seed must be one of {[n.seed for n in self.nets]}; got {seed!r}")


def run_study(*, seeds=(0, 1, 2), sparsity: float = 0.95, formats=FORMATS, flip_seeds=(0, 1, 2),
              n_flips: int = 40, top_k: int = 64, batch: int = 128, random_points: int = 25,
              hidden: int = 128, epochs: int = 150, prune_steps: int = 5, finetune_epochs: int = 60,
              margin: float = 0.01, nets: tuple | None = None) -> Study:
    """Train and prune one network per seed (or take `nets`), then per format run SparseBFA
    and the value-bit attack (greedy, up to n_flips, stopping at random guess) and random
    index flips (one draw per flip seed, up to every index bit). At most 20 seeds each."""
    seeds = _seeds("seeds", seeds)
    flip_seeds = _seeds("flip_seeds", flip_seeds)
    formats = _formats(formats)
    thr = random_guess_threshold(10, margin)
    sparsity = check_number("sparsity", sparsity, lo=0.5, hi=0.995)
    hidden = check_int("hidden", hidden, lo=2, hi=1024)
    epochs = check_int("epochs", epochs, lo=1, hi=2000)
    prune_steps = check_int("prune_steps", prune_steps, lo=1, hi=20)
    finetune_epochs = check_int("finetune_epochs", finetune_epochs, lo=0, hi=2000)
    n_flips = check_int("n_flips", n_flips, lo=0, hi=10_000)
    top_k = check_int("top_k", top_k, lo=1, hi=1024)
    batch = check_int("batch", batch, lo=1, hi=10**5)
    random_points = check_int("random_points", random_points, lo=2, hi=200)
    if nets is None:
        nets = tuple(train_pruned(sparsity=sparsity, seed=s, hidden=hidden, epochs=epochs,
                                  prune_steps=prune_steps, finetune_epochs=finetune_epochs) for s in seeds)
    check_type("nets", nets, tuple)
    if not nets or len(nets) > MAX_SEEDS:
        raise ValueError(f"nets must hold 1..{MAX_SEEDS} networks")
    traces = []
    for net in nets:
        check_type("nets", net, PrunedNet)
        for fmt in formats:
            for method in ("sparsebfa", "valuebfa"):
                traces.append(run_attack(net, fmt, method, n_flips=n_flips, top_k=top_k, stop_acc=thr, batch=batch))
            for fs in flip_seeds:
                traces.append(run_attack(net, fmt, "random", random_max=10**6, random_points=random_points,
                                         flip_seed=fs, batch=batch, stop_acc=thr))
    return Study(tuple(nets), tuple(traces), thr, n_flips)


def _mean_std(x) -> tuple[float, float]:
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1)) if len(x) > 1 else 0.0


def summary(study: Study) -> pd.DataFrame:
    """Per method and format: flipped bits to random guess (mean, std over runs; a run that
    never got there counts with its last count, flagged by `reached` < `runs`), that count
    as a fraction of all stored bits, the stored bits and the index bits."""
    check_type("study", study, Study)
    rows = []
    for fmt in sorted({t.fmt for t in study.traces}, key=FORMATS.index):
        for method in METHODS:
            tr = study.select(method, fmt)
            if not tr:
                continue
            k = np.asarray([t.flips_to(study.threshold) for t in tr])
            reached = np.isfinite(k)
            k_c = np.where(reached, k, [float(t.counts[-1]) for t in tr])
            frac = k_c / np.asarray([t.n_bits for t in tr], dtype=float)
            m, s = _mean_std(k_c)
            fm, fs = _mean_std(frac)
            nets = {t.seed for t in tr}
            n_index = np.mean([encode(study.net(sd).weights, fmt).n_kind("index") for sd in nets])
            rows.append(dict(format=fmt, method=method, runs=len(tr), reached=int(reached.sum()),
                             flips_mean=m, flips_std=s, fraction_mean=fm, fraction_std=fs,
                             bits=float(np.mean([t.n_bits for t in tr])), index_bits=float(n_index),
                             clean_acc=float(np.mean([t.acc[0] for t in tr]))))
    return pd.DataFrame(rows)


def storage_table(net: PrunedNet, *, delta_bits: int = 4) -> pd.DataFrame:
    """Per format and layer field: entries, bits per entry and stored bits, for one network."""
    check_type("net", net, PrunedNet)
    rows = []
    for fmt in FORMATS:
        store = encode(net.weights, fmt, delta_bits=delta_bits)
        for f in store.fields:
            rows.append(dict(format=fmt, layer=f.layer + 1, field=f.name, kind=f.kind, entries=f.count,
                             bits_each=f.width, bits=f.n_bits, share_of_format=f.n_bits / store.n_bits))
    return pd.DataFrame(rows)


def run_table(study: Study) -> pd.DataFrame:
    """One row per attack run: format, method, seed (the network's), flip_seed (the random draw's),
    flips (flipped bits at which test accuracy first fell to random guess; a run that never got
    there counts with its last count, and `reached` is False), reached, bits (all stored weight
    bits) and index_bits (coordinate bits). The claims pair these runs by network seed."""
    check_type("study", study, Study)
    rows = []
    for t in study.traces:
        k = t.flips_to(study.threshold)
        rows.append(dict(format=t.fmt, method=t.method, seed=t.seed, flip_seed=t.flip_seed,
                         flips=float(k) if np.isfinite(k) else float(t.counts[-1]), reached=bool(np.isfinite(k)),
                         bits=int(t.n_bits), index_bits=int(encode(study.net(t.seed).weights, t.fmt).n_kind("index"))))
    return pd.DataFrame(rows)


RUN_COLUMNS = ("format", "method", "seed", "flips", "reached")


def _runs_of(table: pd.DataFrame, method: str, fmt: str) -> pd.DataFrame:
    check_choice("method", method, METHODS)
    check_choice("fmt", fmt, FORMATS)
    sel = table[(table["method"] == method) & (table["format"] == fmt)]
    if sel.empty:
        held = sorted({(str(m), str(f)) for m, f in zip(table["method"], table["format"])})
        raise ValueError(f"table must hold runs of method={method!r}, format={fmt!r} (a run_table(...) table); "
                         f"it holds (method, format) {held}")
    return sel


def _spread(x, digits: int = 1) -> str:
    x = np.asarray(x, dtype=float)
    return mean_std_text(x, digits) if len(x) > 1 else f"{x[0]:.{digits}f}"


def random_guess_claim(table: pd.DataFrame, fmt: str) -> Measured:
    """SparseBFA's flips to random guess in format `fmt`, from a `run_table`: value the mean count
    over the networks; holds when every network reached random guess within the attack's budget.
    The note gives the spread and that count as a fraction of the stored bits (a number that
    depends on the network's size, so it is not the claim)."""
    table = check_table("table", table, (*RUN_COLUMNS, "bits"), what="a run_table(...) table")
    r = _runs_of(table, "sparsebfa", fmt)
    k = r["flips"].to_numpy(dtype=float)
    frac = k / r["bits"].to_numpy(dtype=float)
    note = (f"{_spread(k)} flips over {len(r)} networks, {int(r.reached.sum())}/{len(r)} reached random guess; "
            f"{100 * frac.mean():.3g} % of the {r.bits.mean():.0f} stored bits")
    return Measured(value=round(float(k.mean()), 2), holds=bool(r.reached.all()), note=note)


def _paired_log_ratio(table: pd.DataFrame, fmt: str, num: str, den: str):
    """Per network seed: num's flips (mean over its runs on that network) over den's; the paired
    95 % t-interval of log10 of that ratio over the networks. Counts below 1 are taken as 1."""
    a = _runs_of(table, num, fmt).groupby("seed")["flips"].mean()
    b = _runs_of(table, den, fmt).groupby("seed")["flips"].mean()
    seeds = sorted(set(a.index) & set(b.index))
    if len(seeds) < 2:
        raise ValueError(f"table must hold {num} and {den} runs on at least 2 common networks (a paired "
                         f"t-interval needs 2); got {len(seeds)}")
    x, y = np.maximum(a.loc[seeds].to_numpy(float), 1.0), np.maximum(b.loc[seeds].to_numpy(float), 1.0)
    return paired_interval(np.log10(x), np.log10(y)), x, y


def _ratio_text(iv) -> str:
    return (f"{10 ** iv.mean:.3g}× [{10 ** iv.lo:.3g}, {10 ** iv.hi:.3g}] (geometric mean, 95 % paired t on "
            f"log10, n = {iv.n} networks)")


def vs_random_claim(table: pd.DataFrame, fmt: str) -> Measured:
    """How many times more flips random coordinate flips need than SparseBFA on the same network
    (random: the mean over the network's draws; a draw that never reached random guess counts with
    every coordinate bit flipped, a lower bound), paired by network seed: value the geometric mean
    ratio over the networks. Holds when every SparseBFA run reached random guess and the paired
    95 % t-interval of log10(random / SparseBFA) lies above 0 (`lab.core.stats`). At least 2 networks."""
    table = check_table("table", table, RUN_COLUMNS, what="a run_table(...) table")
    iv, r, a = _paired_log_ratio(table, fmt, "random", "sparsebfa")
    sb, rnd = _runs_of(table, "sparsebfa", fmt), _runs_of(table, "random", fmt)
    low = " (a lower bound: a draw never got there)" if not rnd.reached.all() else ""
    note = (f"random / SparseBFA {_ratio_text(iv)}; random {_spread(r, 0)} flips per network over "
            f"{len(rnd)} draws{low}, SparseBFA {_spread(a)} flips, {int(sb.reached.sum())}/{len(sb)} reached")
    return Measured(value=round(float(10 ** iv.mean), 2), holds=bool(sb.reached.all() and iv.above(0.0)), note=note)


def index_vs_value_claim(table: pd.DataFrame, fmt: str) -> Measured:
    """Value-bit BFA's flips over SparseBFA's (coordinate bits) on the same network, paired by
    network seed: value the geometric mean ratio (> 1: the coordinates fall with fewer flips). Holds
    when every run of both reached random guess and the paired 95 % t-interval of log10(value /
    index flips) lies above 0 (`lab.core.stats`). At least 2 networks."""
    table = check_table("table", table, RUN_COLUMNS, what="a run_table(...) table")
    iv, v, a = _paired_log_ratio(table, fmt, "valuebfa", "sparsebfa")
    sb, vb = _runs_of(table, "sparsebfa", fmt), _runs_of(table, "valuebfa", fmt)
    note = (f"value-bit BFA / SparseBFA {_ratio_text(iv)}; value-bit BFA {_spread(v)} flips, SparseBFA "
            f"{_spread(a)} flips; {int(sb.reached.sum() + vb.reached.sum())}/{len(sb) + len(vb)} runs reached")
    return Measured(value=round(float(10 ** iv.mean), 2),
                    holds=bool(sb.reached.all() and vb.reached.all() and iv.above(0.0)), note=note)


def scales_markdown(scales) -> str:
    """The settings of notebook 05's presets, written from `scales` (preset name -> settings, as
    `lab.sparsebfa.SCALES`), so the notebook's numbers are the ones that run. Markdown text."""
    need = ("seeds", "flip_seeds", "sparsity", "hidden", "epochs", "prune_steps", "finetune_epochs", "n_flips",
            "top_k", "batch", "random_points", "margin", "block")
    parts = []
    for name, c in check_presets(scales, need, "lab.sparsebfa.SCALES"):
        seeds, draws = _seeds("scales", c["seeds"]), _seeds("scales", c["flip_seeds"])
        for k in ("hidden", "epochs", "prune_steps", "finetune_epochs", "n_flips", "top_k", "batch",
                  "random_points", "block"):
            check_int("scales", c[k], lo=0, hi=10**6)
        sparsity = check_number("scales", c["sparsity"], lo=0.5, hi=0.995)
        margin = check_number("scales", c["margin"], lo=0.0, hi=0.5)
        parts.append(f"`{name}` trains {len(seeds)} networks (MLP 64-{c['hidden']}-10, {c['epochs']} epochs), prunes "
                     f"them to {100 * sparsity:g} % in {c['prune_steps']} steps of {c['finetune_epochs']} fine-tuning "
                     f"epochs, and attacks each in every format with up to {c['n_flips']} greedy flips (top "
                     f"{c['top_k']} candidates re-scored exactly, an attacker's batch of {c['batch']} training "
                     f"images) and {len(draws)} random draws ({c['random_points']} grid points each); random guess "
                     f"is ≤ {100 * (0.1 + margin):g} % test accuracy, and the check words cover blocks of "
                     f"{c['block']} coordinates.")
    return " ".join(parts)


def defence_table(study: Study, *, block: int = 16) -> pd.DataFrame:
    """Per format and check code (parity, CRC-8 per block of `block` index entries): the
    storage cost, how many of the index flips of SparseBFA, and of the random draws up to
    random guess, it detects, and the most flips of one run that fell in one block
    (`<method>_max_per_block`: CRC-8 detects every pattern of up to 3 flips in a block by
    construction)."""
    check_type("study", study, Study)
    rows = []
    for fmt in sorted({t.fmt for t in study.traces}, key=FORMATS.index):
        for code in CODES:
            out = dict(format=fmt, code=code)
            for method in ("sparsebfa", "random"):
                det = tot = most = 0
                for t in study.select(method, fmt):
                    store = encode(study.net(t.seed).weights, fmt)
                    k = t.flips_to(study.threshold)
                    flipped = t.flipped[:int(k)] if np.isfinite(k) else t.flipped  # up to random guess
                    d, n = detects(store, flipped, block=block, code=code)
                    det, tot = det + d, tot + n
                    most = max(most, int(flips_per_block(store, flipped, block=block).max(initial=0)))
                out[f"{method}_detected"], out[f"{method}_flips"] = det, tot
                out[f"{method}_max_per_block"] = most
            out["extra_bits_fraction"] = overhead(encode(study.nets[0].weights, fmt), block=block, code=code)
            rows.append(out)
    return pd.DataFrame(rows)


def defence_claim(table: pd.DataFrame, code: str = "crc8") -> Measured:
    """The `code` check caught every index flip SparseBFA made, in every format (value: the
    detected fraction)."""
    check_table("table", table, ("code", "sparsebfa_detected", "sparsebfa_flips", "extra_bits_fraction"),
                what="a defence_table(...) table")
    code = check_choice("code", code, CODES)
    sel = table[table["code"] == code]
    if sel.empty:
        raise ValueError(f"table holds no rows of code {code!r}; it holds the codes "
                         f"{sorted(set(map(str, table.code)))}")
    det, tot = int(sel["sparsebfa_detected"].sum()), int(sel["sparsebfa_flips"].sum())
    if tot == 0:
        raise ValueError("table must count at least one SparseBFA flip for this code")
    cost = float(sel["extra_bits_fraction"].max())
    return Measured(value=det / tot, holds=det == tot,
                    note=f"{det}/{tot} flips detected; the {code} words cost at most {100 * cost:.2f} % extra bits")


def explorer_traces(*, sparsities=(0.9, 0.95, 0.97), formats=FORMATS, seed: int = 0, study: Study | None = None,
                    n_flips: int = 40, top_k: int = 64, batch: int = 128, random_points: int = 25,
                    margin: float = 0.01, **train) -> dict:
    """Seed-`seed` attack traces per (sparsity, format) for the explorer: {(sparsity, fmt):
    (net, {method: Trace})}, reusing `study`'s runs where its sparsity matches.
    `train` goes to train_pruned (hidden, epochs, prune_steps, finetune_epochs)."""
    if isinstance(sparsities, (str, bytes)) or not hasattr(sparsities, "__iter__"):
        raise TypeError("sparsities must be a sequence of numbers")
    sparsities = tuple(check_number("sparsities", s, lo=0.5, hi=0.995) for s in sparsities)
    if not sparsities or len(sparsities) > 8:
        raise ValueError("sparsities must hold 1..8 values")
    formats = _formats(formats)
    thr = random_guess_threshold(10, margin)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    if study is not None:
        check_type("study", study, Study)
    out = {}
    for sp in sparsities:
        reuse = study is not None and any(n.seed == seed and abs(n.sparsity - sp) < 1e-12 for n in study.nets)
        net = study.net(seed) if reuse else train_pruned(sparsity=sp, seed=seed, **train)
        for fmt in formats:
            if reuse and study.select("sparsebfa", fmt, seed):
                tr = {m: study.select(m, fmt, seed)[0] for m in METHODS}
            else:
                tr = {m: run_attack(net, fmt, m, n_flips=n_flips, top_k=top_k, stop_acc=thr, batch=batch,
                                    random_max=10**6, random_points=random_points) for m in METHODS}
            out[(sp, fmt)] = (net, tr)
    return out
