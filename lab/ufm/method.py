"""The three methods of notebooks/11_ufm.ipynb (Uncertainty from Motion, Sudhakar et al., ICRA 2022) and their
comparison: aleatoric-only (one network), the ensemble (N networks per frame) and ensemble-UfM (member i mod N at
frame i, merged in the point cloud of `pointcloud.py`), run on a frame sequence, evaluated with `metrics.py`, and
compared over seeds.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..core.checks import check_str_choice, check_array, check_bool, check_int, check_number, check_type
from ..data.scenes import Frames
from .net import Ensemble, predict
from .pointcloud import PointCloud, relative_pose, ufm_step
from .metrics import delta1_calibration_error, expected_calibration_error, gaussian_nll, rmse


METHODS = ("aleatoric", "ensemble", "ensemble-UfM")


# ---------------------------------------------------------------- the three methods

@dataclass
class Run:
    """One method on one sequence. depth, var: [T, H, W] predicted depth (m) and its
    variance (m²); inferences: network inferences in all; infer_s, merge_s: time spent
    in inference and in combining (mixture or UfM) over the timed frames; points: UfM cloud
    size per frame; timed_frames: how many frames (the last ones) the times cover, 1..T
    (None: all T)."""
    method: str
    depth: np.ndarray
    var: np.ndarray
    inferences: int
    infer_s: float
    merge_s: float
    points: np.ndarray | None = None
    timed_frames: int | None = None

    def __post_init__(self):
        check_str_choice("method", self.method, METHODS)
        self.depth = check_array("depth", self.depth, ndim=3, lo=0.0)
        self.var = check_array("var", self.var, shape=self.depth.shape, lo=0.0)
        check_int("inferences", self.inferences, lo=0, hi=10**9)
        check_number("infer_s", self.infer_s, lo=0.0)
        check_number("merge_s", self.merge_s, lo=0.0)
        if self.points is not None:
            self.points = check_array("points", self.points, shape=(len(self.depth),), dtype_kind="iu", lo=0)
        if self.timed_frames is None:
            self.timed_frames = len(self.depth)
        self.timed_frames = check_int("timed_frames", self.timed_frames, lo=1, hi=len(self.depth))

    @property
    def n_frames(self) -> int:
        return len(self.depth)

    @property
    def inferences_per_frame(self) -> float:
        return self.inferences / self.n_frames

    @property
    def ms_per_frame(self) -> float:
        """Mean time per timed frame [ms] (inference and combining)."""
        return 1e3 * (self.infer_s + self.merge_s) / self.timed_frames


def _infer(net, gray_frame, clock):
    t0 = clock()
    mu, var = predict(net, gray_frame[None])
    return mu[0], var[0], clock() - t0


def run_method(ensemble: Ensemble, frames, method: str, max_points: int | None = None,
               clock: str = "wall", warmup: int = 0) -> Run:
    """Stream a sequence (frames.gray [T, H, W], frames.poses [T, 4, 4] camera-to-world,
    frames.intrinsics) through one method, one frame at a time as a robot would:

    * "aleatoric": member 0 alone, its predicted variance (1 inference per frame);
    * "ensemble": all N members, the moments of their equally weighted mixture
      (mean of means; mean of variances + variance of means; N inferences per frame);
    * "ensemble-UfM": member i mod N at frame i, merged by UfM (1 inference per frame).

    max_points: UfM cloud cap (default 4·H·W). clock: "wall" times with perf_counter,
    "cpu" with this process's CPU time (steadier on a shared machine; use one torch thread).
    warmup: frames 0 .. warmup − 1 are run but not timed (the authors' evaluation times
    frames i > 40 only, "warm start for timing"); 0 <= warmup < T.
    """
    check_type("ensemble", ensemble, Ensemble)
    check_type("frames", frames, Frames)
    method = check_str_choice("method", method, METHODS)
    clock = {"wall": time.perf_counter, "cpu": time.process_time}[check_str_choice("clock", clock, ("wall", "cpu"))]
    gray = check_array("frames.gray", frames.gray, ndim=3, lo=0.0, hi=1.0)
    poses = check_array("frames.poses", frames.poses, shape=(len(gray), 4, 4))
    t, h, w = gray.shape
    if max_points is None:
        max_points = 4 * h * w
    max_points = check_int("max_points", max_points, lo=h * w, hi=10**8)
    warmup = check_int("warmup", warmup, lo=0, hi=t - 1)
    depth, var = np.zeros((t, h, w)), np.zeros((t, h, w))
    infer_s = merge_s = 0.0
    inferences = 0
    points = np.zeros(t, dtype=np.int64) if method == "ensemble-UfM" else None
    cloud = PointCloud()
    for i in range(t):
        timed = float(i >= warmup)   # a warm-up frame's times count 0
        if method == "aleatoric":
            depth[i], var[i], dt = _infer(ensemble.nets[0], gray[i], clock)
            infer_s, inferences = infer_s + timed * dt, inferences + 1
        elif method == "ensemble":
            outs = [_infer(net, gray[i], clock) for net in ensemble.nets]
            infer_s, inferences = infer_s + timed * sum(o[2] for o in outs), inferences + len(outs)
            t0 = clock()
            mus, vs = np.stack([o[0] for o in outs]), np.stack([o[1] for o in outs])
            depth[i] = mus.mean(0)
            var[i] = (vs + mus ** 2).mean(0) - depth[i] ** 2
            merge_s += timed * (clock() - t0)
        else:
            mu, v, dt = _infer(ensemble.nets[i % ensemble.n], gray[i], clock)
            infer_s, inferences = infer_s + timed * dt, inferences + 1
            t0 = clock()
            rel = relative_pose(poses[i - 1], poses[i]) if i else None
            cloud, var[i], stats = ufm_step(cloud, mu, v, rel, frames.intrinsics, i, max_points)
            depth[i] = mu
            merge_s += timed * (clock() - t0)
            points[i] = stats["points"]
    return Run(method, depth, np.maximum(var, 1e-12), inferences, infer_s, merge_s, points, t - warmup)


def evaluate(run: Run, frames) -> dict:
    """Metrics of a run against the true depth (frames.depth [T, H, W] m, 0 = no hit):
    NLL [nats/pixel], ECE of the central intervals [–], the authors' δ1 ECE [–], RMSE [m],
    inferences per frame, time per timed frame [ms] and the number of timed frames."""
    check_type("run", run, Run)
    check_type("frames", frames, Frames)
    target = check_array("frames.depth", frames.depth, shape=run.depth.shape, lo=0.0)
    return dict(method=run.method, nll=gaussian_nll(run.depth, run.var, target),
                ece=expected_calibration_error(run.depth, run.var, target),
                ece_delta1=delta1_calibration_error(run.depth, run.var, target),
                rmse=rmse(run.depth, target), inferences_per_frame=run.inferences_per_frame,
                ms_per_frame=run.ms_per_frame, timed_frames=run.timed_frames)


def per_frame_nll(run: Run, frames) -> np.ndarray:
    """NLL of each frame [T] in nats/pixel."""
    check_type("run", run, Run)
    check_type("frames", frames, Frames)
    if frames.depth.shape != run.depth.shape:
        raise ValueError(f"frames must be the run's sequence (depth shape {run.depth.shape}); got {frames.depth.shape}")
    return np.array([gaussian_nll(run.depth[i], run.var[i], frames.depth[i]) for i in range(run.n_frames)])



# ---------------------------------------------------------------- the comparison

@dataclass
class Comparison:
    """The three methods on in- and out-of-distribution sequences. table: one row per
    (layout, seed, method) with nll [nats/pixel], ece, ece_delta1, rmse [m], inferences_per_frame,
    ms_per_frame (per timed frame). sequences: (layout, seed) -> (frames, {method: Run}).
    n_members: the ensemble's size. timing_warmup: the frames at the start of each sequence
    that were run but not timed (0..10000)."""
    table: "object"
    sequences: dict
    n_members: int
    timing_warmup: int = 0

    def __post_init__(self):
        import pandas as pd

        check_type("table", self.table, pd.DataFrame)
        missing = {"layout", "seed", "method", "nll", "ece", "ece_delta1", "rmse", "inferences_per_frame",
                   "ms_per_frame"} - set(self.table.columns)
        if missing or not len(self.table):
            raise ValueError(f"table must be compare()'s non-empty table; missing columns {sorted(missing)}")
        check_type("sequences", self.sequences, dict)
        if not self.sequences:
            raise ValueError("sequences must hold at least one (layout, seed) sequence")
        check_int("n_members", self.n_members, lo=1, hi=64)
        check_int("timing_warmup", self.timing_warmup, lo=0, hi=10_000)


def compare(ensemble: Ensemble, n_frames: int = 30, width: int = 64, height: int = 48,
            seeds=(0, 1, 2), layouts=("indoor", "ood"), max_points_factor: int = 4,
            clock: str = "wall", timing_warmup: int = 0, progress: bool = True) -> Comparison:
    """Render each (layout, seed) sequence with `lab.data.scenes` and run the three methods on it.
    The ensemble was trained on the "indoor" layout only, so "ood" is out of distribution.
    clock: "wall" or "cpu", how `run_method` times inference and merging. timing_warmup: the
    first frames of each sequence, run and scored but not timed (0 <= timing_warmup < n_frames;
    the authors' evaluation skips 41)."""
    import pandas as pd
    from tqdm.auto import tqdm

    from ..data import scenes

    check_type("ensemble", ensemble, Ensemble)
    n_frames = check_int("n_frames", n_frames, lo=2, hi=10_000)
    timing_warmup = check_int("timing_warmup", timing_warmup, lo=0, hi=n_frames - 1)
    max_points_factor = check_int("max_points_factor", max_points_factor, lo=1, hi=1000)
    check_str_choice("clock", clock, ("wall", "cpu"))
    progress = check_bool("progress", progress)
    width = check_int("width", width, lo=8, hi=4096)
    height = check_int("height", height, lo=8, hi=4096)
    for name, seq in (("seeds", seeds), ("layouts", layouts)):
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__") or not 1 <= len(seq) <= 100:
            raise ValueError(f"{name} must be a sequence of 1 to 100 entries; got {seq!r}")
    seeds = [check_int("seeds", s, lo=0, hi=2**32 - 1) for s in seeds]
    layouts = [check_str_choice("layouts", lay, scenes.LAYOUTS) for lay in layouts]
    if (width, height) != (ensemble.config.width, ensemble.config.height):
        raise ValueError(f"width, height must match the ensemble's training size "
                         f"{ensemble.config.width}x{ensemble.config.height}; got {width}x{height}")
    rows, sequences = [], {}
    jobs = [(lay, s) for lay in layouts for s in seeds]
    for lay, s in tqdm(jobs, desc="sequences", disable=not progress):
        frames = scenes.render_sequence(n_frames, width, height, layout=lay, seed=s)
        runs = {m: run_method(ensemble, frames, m, max_points_factor * width * height, clock=clock,
                              warmup=timing_warmup) for m in METHODS}
        sequences[(lay, s)] = (frames, runs)
        for m, r in runs.items():
            rows.append(dict(layout=lay, seed=s, **evaluate(r, frames)))
    return Comparison(pd.DataFrame(rows), sequences, ensemble.n, timing_warmup)


def summary(comparison: Comparison):
    """Mean ± std over seeds of every metric, per layout and method (a DataFrame of strings)."""
    check_type("comparison", comparison, Comparison)
    t = comparison.table
    g = t.groupby(["layout", "method"], sort=False)
    cols = {"nll": ("NLL [nats/px]", 3), "ece": ("ECE intervals [–]", 3), "ece_delta1": ("ECE δ1 (authors') [–]", 3),
            "rmse": ("RMSE [m]", 3),
            "inferences_per_frame": ("inferences/frame", 1), "ms_per_frame": ("time/frame [ms]", 1)}
    out = {}
    for c, (name, nd) in cols.items():
        m, s = g[c].mean(), g[c].std(ddof=0)
        out[name] = [f"{a:.{nd}f} ± {b:.{nd}f}" for a, b in zip(m, s)]
    import pandas as pd
    return pd.DataFrame(out, index=m.index)


def claim_numbers(comparison: Comparison) -> dict:
    """The numbers behind the notebook's claims, per seed (arrays) and as means.

    gap[layout]: NLL(ensemble-UfM) − NLL(ensemble) [nats/px]; gain[layout]:
    NLL(aleatoric) − NLL(ensemble); recovered[layout]: the share of the ensemble's NLL
    gain over aleatoric-only that ensemble-UfM keeps, 1 − gap/gain; inference_ratio and
    time_ratio: ensemble over ensemble-UfM, per frame."""
    check_type("comparison", comparison, Comparison)
    t = comparison.table
    for lay in t.layout.unique():
        held = sorted(set(map(str, t.method[t.layout == lay])))
        if set(METHODS) - set(held):
            raise ValueError(f"comparison must hold every method {list(METHODS)} on layout {lay!r}; its table holds "
                             f"{held} there (lacks {[m for m in METHODS if m not in held]})")
    out = {"gap": {}, "gain": {}, "recovered": {}}
    for lay in t.layout.unique():
        p = t[t.layout == lay].pivot(index="seed", columns="method", values="nll")
        out["gap"][lay] = (p["ensemble-UfM"] - p["ensemble"]).to_numpy()
        out["gain"][lay] = (p["aleatoric"] - p["ensemble"]).to_numpy()
        out["recovered"][lay] = 1.0 - out["gap"][lay] / out["gain"][lay]
    per = t.groupby("method")[["inferences_per_frame", "ms_per_frame"]].mean()
    out["inference_ratio"] = float(per.loc["ensemble", "inferences_per_frame"]
                                   / per.loc["ensemble-UfM", "inferences_per_frame"])
    out["time_ratio"] = float(per.loc["ensemble", "ms_per_frame"] / per.loc["ensemble-UfM", "ms_per_frame"])
    out["ms_per_frame"] = {m: float(per.loc[m, "ms_per_frame"]) for m in per.index}
    for metric in ("ece", "ece_delta1"):   # per layout: {method: per-seed array}
        out[metric] = {lay: {m: t[(t.layout == lay) & (t.method == m)].sort_values("seed")[metric].to_numpy()
                             for m in METHODS} for lay in t.layout.unique()}
    return out


def calibration_ranking(comparison: Comparison, metric: str, layout: str) -> list[str]:
    """The three methods from best to worst calibrated (lowest mean over seeds first) on one
    layout, by "ece" (our central-interval ECE) or "ece_delta1" (the authors' δ1 ECE)."""
    check_type("comparison", comparison, Comparison)
    metric = check_str_choice("metric", metric, ("ece", "ece_delta1"))
    t = comparison.table
    layout = check_str_choice("layout", layout, sorted(set(t.layout)))
    means = t[t.layout == layout].groupby("method")[metric].mean()
    return [str(m) for m in means.sort_values(kind="stable").index]
