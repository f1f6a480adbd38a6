"""Figure 2's experiment and the claim helpers.

`evaluate` reconstructs each test object at each (n_angles, photons per ray) condition
with up to six methods (FBP, MLE, MLE+TV, G on FBP, PGAN, PGAN+NLL) and returns one row per
(object, condition, method) with BER, NPCC and RMSE. "PGAN" is the paper's two-step method:
the generator applied to the MLE (as the authors' train.py does); "PGAN+NLL" is that output
handed back to the likelihood (`recon.refine`, our addition); "G on FBP" is a generator of the
same architecture and recipe trained on FBP volumes (the "fbp" prior), the baseline with less
physics in its input. Every measurement has its own seed,
derived from the object's index, the condition's index and `seed`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lab.core.checks import check_choice, check_array, check_int, check_number, check_table, check_type
from lab.core.claims import Measured
from lab.core.stats import mean_std_text, paired_interval

from .projector import check_conds, measure
from .recon import SHAPE, ber, fbp, mle, mle_tv, npcc, refine, rmse
from .train import Prior, approximant, generate

METHODS = ("FBP", "MLE", "MLE+TV", "G on FBP", "PGAN", "PGAN+NLL")
MAX_RUNS = 5000


def _methods(methods, prior: Prior, fbp_prior) -> tuple[str, ...]:
    """Check the priors and `methods` (None: every method the priors given allow)."""
    check_type("prior", prior, Prior)
    if prior.input != "mle":
        raise ValueError(f"prior must take MLE volumes (input 'mle'); got input {prior.input!r}")
    if fbp_prior is not None:
        check_type("fbp_prior", fbp_prior, Prior)
        if fbp_prior.input != "fbp":
            raise ValueError(f"fbp_prior must take FBP volumes (input 'fbp'); got input {fbp_prior.input!r}")
    if methods is None:
        return tuple(m for m in METHODS if m != "G on FBP" or fbp_prior is not None)
    if not isinstance(methods, tuple) or not methods or any(m not in METHODS for m in methods):
        raise ValueError(f"methods must be a non-empty tuple drawn from {METHODS}; got {methods!r}")
    if "G on FBP" in methods and fbp_prior is None:
        raise ValueError("fbp_prior must be a Prior with input 'fbp' when methods holds 'G on FBP'; got None")
    return methods


def reconstruct(x, n_angles: int, photons: float, prior: Prior, seed: int,
                methods: tuple[str, ...] | None = None, fbp_prior: Prior | None = None) -> dict[str, np.ndarray]:
    """Measure one object (8, 16, 16) and reconstruct it with `methods` (default: all of METHODS that the
    priors given allow; "G on FBP" needs `fbp_prior`); returns name -> volume."""
    methods = _methods(methods, prior, fbp_prior)
    x = check_array("x", x, shape=SHAPE, lo=0.0, hi=10.0)
    y = measure(x, n_angles, photons, seed)
    out: dict[str, np.ndarray] = {}
    m = mle(y, n_angles, photons)
    if "FBP" in methods:
        out["FBP"] = fbp(y, n_angles, photons)
    if "G on FBP" in methods:
        out["G on FBP"] = generate(fbp_prior.generator, approximant(y, n_angles, photons, "fbp"))
    if "MLE" in methods:
        out["MLE"] = m
    if "MLE+TV" in methods:
        out["MLE+TV"] = mle_tv(y, n_angles, photons, prior.beta)
    if "PGAN" in methods or "PGAN+NLL" in methods:
        g = generate(prior.generator, m)
        if "PGAN" in methods:
            out["PGAN"] = g
        if "PGAN+NLL" in methods:
            out["PGAN+NLL"] = refine(y, n_angles, photons, g, prior.weight)
    return out


def evaluate(truth, conds, prior: Prior, seed: int, methods: tuple[str, ...] | None = None,
             fbp_prior: Prior | None = None) -> pd.DataFrame:
    """Rows (object, n_angles, photons, method, ber, npcc, rmse) over objects x conditions.
    truth: (n, 8, 16, 16); conds: list of (n_angles, photons); n · len(conds) ≤ 5000; methods as in
    `reconstruct` (default all that the priors given allow)."""
    methods = _methods(methods, prior, fbp_prior)
    truth = check_array("truth", truth, ndim=4, lo=0.0, hi=10.0)
    if truth.shape[1:] != SHAPE:
        raise ValueError(f"truth must have shape (n, {', '.join(map(str, SHAPE))}); got {truth.shape}")
    conds = check_conds("conds", conds)
    seed = check_int("seed", seed, lo=0, hi=2**31)
    if len(truth) * len(conds) > MAX_RUNS:
        raise ValueError(f"truth x conds must be at most {MAX_RUNS} runs; got {len(truth) * len(conds)}")
    rows = []
    for c, (na, ph) in enumerate(conds):
        for k, x in enumerate(truth):
            s = (seed * 1_000_003 + 7919 * c + k) % 2**32
            for name, v in reconstruct(x, int(na), float(ph), prior, s, methods, fbp_prior).items():
                rows.append(dict(object=k, n_angles=int(na), photons=float(ph), method=name,
                                 ber=ber(v, x), npcc=npcc(v, x), rmse=rmse(v, x)))
    return pd.DataFrame(rows)


def check_df(df, name: str = "df") -> pd.DataFrame:
    """A non-empty table from `evaluate` (raises naming `name` otherwise)."""
    return check_table(name, df, ("object", "n_angles", "photons", "method", "ber"), what="a table from evaluate()")


def _cond(name, c):
    if not isinstance(c, tuple) or len(c) != 2:
        raise TypeError(f"{name} must be a tuple (n_angles, photons); got {c!r}")
    return check_int(f"{name}[0] (n_angles)", c[0], lo=1, hi=180), check_number(f"{name}[1] (photons)", c[1],
                                                                                 lo=0.0, hi=1e9, lo_open=True)


def summary(df, metric: str = "ber") -> pd.DataFrame:
    """Mean and std over objects of `metric` per (n_angles, photons, method)."""
    df = check_df(df)
    if metric not in ("ber", "npcc", "rmse"):
        raise ValueError(f"metric must be one of ['ber', 'npcc', 'rmse']; got {metric!r}")
    check_table("df", df, (metric,), what="a table from evaluate()")
    g = df.groupby(["n_angles", "photons", "method"], sort=True)[metric]
    return g.agg(["mean", "std", "count"]).reset_index()


def ber_table(df) -> pd.DataFrame:
    """BER as 'mean ± std' strings: rows = condition (angles, photons), columns = methods."""
    s = summary(df)
    s["cell"] = [f"{m:.4f} ± {d:.4f}" for m, d in zip(s["mean"], s["std"].fillna(0.0))]
    t = s.pivot(index=["n_angles", "photons"], columns="method", values="cell")
    return t[[m for m in METHODS if m in t.columns]]


def _pair(df, n_angles, photons, a="PGAN", b="MLE", name: str = "df"):
    """Per-object BERs of methods a and b at one condition of the table passed as parameter `name`."""
    d = df[(df.n_angles == n_angles) & (df.photons == photons)]
    if d.empty:
        held = sorted({f"({n}, {p})" for n, p in zip(df.n_angles, df.photons)})
        raise ValueError(f"n_angles, photons must be a condition of {name}; got ({n_angles}, {photons}); "
                         f"{name} holds {held}")
    pa = d[d.method == a].sort_values("object")["ber"].to_numpy()
    pb = d[d.method == b].sort_values("object")["ber"].to_numpy()
    if len(pa) == 0 or len(pa) != len(pb):
        raise ValueError(f"{name} must hold {a} and {b} rows for every object at ({n_angles}, {photons}); "
                         f"it holds {len(pa)} of {a} and {len(pb)} of {b} (methods {sorted(set(map(str, d.method)))})")
    if not (np.isfinite(pa).all() and np.isfinite(pb).all()):
        raise ValueError(f"{name} must hold finite BERs for {a} and {b} at ({n_angles}, {photons})")
    return pa, pb


def gain_claim(df, n_angles: int, photons: float, method: str = "PGAN", baseline: str = "MLE") -> Measured:
    """`method`'s mean BER over `baseline`'s at one condition (both in METHODS; by default PGAN over MLE).
    Holds when the paired 95 % t-interval of the per-object BER difference baseline − method
    (`lab.core.stats`, at least 2 objects) lies above 0."""
    df = check_df(df)
    n_angles, photons = _cond("n_angles, photons", (n_angles, photons))
    method = check_choice("method", method, METHODS)
    baseline = check_choice("baseline", baseline, METHODS)
    if method == baseline:
        raise ValueError(f"method and baseline must differ; got {method!r} twice")
    pa, pb = _pair(df, n_angles, photons, method, baseline)
    if len(pa) < 2:
        raise ValueError(f"df must hold at least 2 objects at ({n_angles}, {photons}) for a paired t-interval")
    ratio = float(pa.mean() / pb.mean()) if pb.mean() > 0 else 1.0
    iv = paired_interval(pb, pa)
    note = (f"{len(pa)} test objects; BER {method} {mean_std_text(pa, 4)}, "
            f"{baseline} {mean_std_text(pb, 4)} at {n_angles} angles, {photons:g} photons/ray; "
            f"{baseline} − {method} {iv.text(4, signed=True)}")
    return Measured(round(ratio, 3), iv.above(0.0), note)


def shrink_claim(df, low: tuple[int, float], high: tuple[int, float]) -> Measured:
    """How much of PGAN's BER gain over MLE (MLE − PGAN, mean over objects) is left at the
    generous condition `high` relative to the limited `low`. Holds when less than half is left."""
    df = check_df(df)
    low, high = _cond("low", low), _cond("high", high)
    ga = [float((b - a).mean()) for a, b in (_pair(df, *low), _pair(df, *high))]
    left = ga[1] / ga[0] if ga[0] > 0 else float("inf")
    holds = bool(ga[0] > 0 and left < 0.5)
    note = (f"BER gain {ga[0]:.4f} at {low[0]} angles/{low[1]:g} photons, {ga[1]:.4f} at "
            f"{high[0]} angles/{high[1]:g} photons")
    return Measured(round(left, 3) if np.isfinite(left) else "no gain at the limited condition", holds, note,
                    number=left if np.isfinite(left) else None)


def control_claim(df_iid, n_angles: int, photons: float, min_ratio: float = 0.9) -> Measured:
    """On i.i.d. objects, PGAN (with the generator trained on i.i.d. objects) over MLE's BER.
    Holds (no gain) when the ratio is at least `min_ratio`."""
    df = check_df(df_iid, "df_iid")
    n_angles, photons = _cond("n_angles, photons", (n_angles, photons))
    min_ratio = check_number("min_ratio", min_ratio, lo=0.0, hi=10.0)
    pa, pb = _pair(df, n_angles, photons, name="df_iid")
    ratio = float(pa.mean() / pb.mean()) if pb.mean() > 0 else 1.0
    note = (f"{len(pa)} i.i.d. objects; BER PGAN {pa.mean():.4f} ± {pa.std(ddof=1):.4f}, "
            f"MLE {pb.mean():.4f} ± {pb.std(ddof=1):.4f}")
    return Measured(round(ratio, 3), bool(ratio >= min_ratio), note)


def attribution_claim(df, df_iid, n_angles: int, photons: float) -> Measured:
    """PGAN/MLE BER ratio on CircuitFaker objects over the same ratio on i.i.d. objects (each with
    the prior trained on its own family). Holds when the circuits' ratio is the lower one: the part
    of the gain that the i.i.d. control does not share is the learned spatial structure."""
    df, di = check_df(df), check_df(df_iid, "df_iid")
    n_angles, photons = _cond("n_angles, photons", (n_angles, photons))
    rc, ri = [float(a.mean() / b.mean()) if b.mean() > 0 else 1.0
              for a, b in (_pair(df, n_angles, photons), _pair(di, n_angles, photons, name="df_iid"))]
    # both ratios 0 (PGAN perfect on both): no difference; only the i.i.d. one 0: the circuits' is infinitely higher
    rel = rc / ri if ri > 0 else (1.0 if rc == 0 else float("inf"))
    return Measured(f"{rc:.3f} (circuits) vs {ri:.3f} (i.i.d.)", bool(rc < ri),
                    f"PGAN/MLE BER ratio at {n_angles} angles, {photons:g} photons/ray", number=rel)


def closing_note(df, df_iid, base_angles: int, base_photons: float) -> str:
    """The closing note's numbers, written from the tables of this run (markdown): the mean BER of every method at
    the base condition, PGAN's gain over MLE (MLE − PGAN) along both sweeps, and the i.i.d. control's PGAN/MLE."""
    df, di = check_df(df), check_df(df_iid, "df_iid")
    base_angles, base_photons = _cond("base_angles, base_photons", (base_angles, base_photons))
    s = summary(df)
    s = s[s.method.isin(("PGAN", "MLE"))].pivot(index=["n_angles", "photons"], columns="method", values="mean")
    if not {"PGAN", "MLE"} <= set(s.columns):
        raise ValueError(f"df must hold PGAN and MLE rows; it holds {sorted(set(map(str, df.method)))}")
    base = df[(df.n_angles == base_angles) & (df.photons == base_photons)].groupby("method").ber.mean()
    if base.empty:
        raise ValueError(f"base_angles, base_photons must be a condition of df; got ({base_angles}, {base_photons})")
    gain = (s["MLE"] - s["PGAN"]).dropna()

    def sweep(rows):
        return ", ".join(f"{k:g}: {g:+.4f} ({p / m:.2f}×)" if m > 0 else f"{k:g}: {g:+.4f}"
                         for k, g, p, m in rows)
    ph = [(p, gain[(a, p)], s["PGAN"][(a, p)], s["MLE"][(a, p)]) for a, p in gain.index if a == base_angles]
    an = [(a, gain[(a, p)], s["PGAN"][(a, p)], s["MLE"][(a, p)]) for a, p in gain.index if p == base_photons]
    lines = [f"- At {base_angles} angles and {base_photons:g} photons per ray, mean BER: "
             + ", ".join(f"{m} {base[m]:.4f}" for m in METHODS if m in base.index) + "."]
    if ph:
        lines.append(f"- PGAN's gain over MLE (MLE − PGAN, and PGAN/MLE) by photons per ray at {base_angles} angles: "
                     f"{sweep(ph)}.")
    if an:
        lines.append(f"- The same by number of angles at {base_photons:g} photons per ray: {sweep(an)}.")
    for (na, p), d in di.groupby(["n_angles", "photons"]):
        m = d.groupby("method").ber.mean()
        if "PGAN" in m.index and "MLE" in m.index and m["MLE"] > 0:
            lines.append(f"- i.i.d. control at {na} angles, {p:g} photons per ray: PGAN/MLE {m['PGAN'] / m['MLE']:.2f} "
                         f"(BER {m['PGAN']:.4f} vs {m['MLE']:.4f}).")
    return "\n".join(lines)
