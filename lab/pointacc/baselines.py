"""Published GPU baselines for notebooks/08_pointacc.ipynb, and the comparison of the
accelerator model with them.

The shipped table `data/pointacc_gpu_baselines.csv` holds, each with its source (repository,
path and commit, or page address) and the network, dataset and GPU it refers to:

* end-to-end latencies of MinkUNet18C (the SemanticKITTI MinkUNet of SPVNAS) and three
  narrower variants with TorchSparse v1.0.0 and MinkowskiEngine v0.4.3 on a GTX 1080 Ti
  (TorchSparse's README). No absolute RTX 2080 Ti latency was found in the sources we could
  read: the 2080 Ti figures we found (TorchSparse v2.1's benchmark figure) give speeds
  relative to TorchSparse v2.1 only, so the 1080 Ti latency is scaled to the 2080 Ti by the
  ratio of the two GPUs' DRAM bandwidths (a scaling we chose, see `published_gpu_ms`);
* the GPUs' specifications (bandwidth, FP32 peak, board power);
* CACTI 7.0 SRAM leakage at 45 nm, from which `model.LEAK_MW_PER_KB` is taken.
"""
from __future__ import annotations

import math
import re

import pandas as pd

from lab.core.checks import check_choice, check_number, check_table, check_type
from lab.core.claims import Measured
from lab.core.paths import data_dir

from .model import Accel, accel_cost, check_layers, layers_frame

BASELINES_FILE = "pointacc_gpu_baselines.csv"
COLUMNS = ("id", "kind", "network", "dataset", "gpu", "library", "value", "unit", "source", "locator", "note")
LIBRARIES = ("TorchSparse v1.0.0", "MinkowskiEngine v0.4.3")
GPU_SCALINGS = ("bandwidth", "fp32", "none")


def gpu_baselines() -> pd.DataFrame:
    """The shipped table of published GPU numbers, GPU specifications and SRAM leakage
    (one row per number, with its source)."""
    df = pd.read_csv(data_dir() / BASELINES_FILE)
    if tuple(df.columns) != COLUMNS:
        raise ValueError(f"{BASELINES_FILE} must have the columns {COLUMNS}; got {tuple(df.columns)}")
    return df


def _value(table: pd.DataFrame, row_id: str) -> float:
    hit = table[table.id == row_id]
    if len(hit) != 1:
        raise ValueError(f"table must hold exactly one row '{row_id}' (a gpu_baselines() table)")
    return float(hit.value.iloc[0])


def _check_table(table) -> pd.DataFrame:
    return check_table("table", table, COLUMNS, what="a gpu_baselines() table")


def published_gpu_ms(table: pd.DataFrame, library: str = "TorchSparse v1.0.0",
                     scaling: str = "bandwidth") -> pd.DataFrame:
    """The published MinkUNet18C latencies of `library` on the GTX 1080 Ti and our estimate
    for the RTX 2080 Ti: the 1080 Ti figure x (1080 Ti / 2080 Ti) DRAM bandwidth ('bandwidth';
    sparse convolution is bound by data movement), x the FP32-peak ratio ('fp32') or unscaled
    ('none'). One row per width variant: MACs divisor d as published and our reading of it
    as the width multiplier cr = 1/sqrt(d) (MACs grow with the square of the width)."""
    table = _check_table(table)
    check_choice("library", library, LIBRARIES)
    check_choice("scaling", scaling, GPU_SCALINGS)
    ratio = {"bandwidth": _value(table, "gpu_1080ti_bw") / _value(table, "gpu_2080ti_bw"),
             "fp32": _value(table, "gpu_1080ti_fp32") / _value(table, "gpu_2080ti_fp32"), "none": 1.0}[scaling]
    rows = []
    for _, r in table[(table.kind == "latency") & (table.library == library)].iterrows():
        m = re.search(r"MACs / ([0-9.]+)", str(r.network))
        d = float(m.group(1)) if m else 1.0
        rows.append(dict(variant=r.network, macs_div=d, cr=round(1 / math.sqrt(d), 3), ms_1080ti=float(r.value),
                         ms_2080ti=float(r.value) * ratio, scale=ratio, source=f"{r.source} ({r.locator})"))
    if not rows:
        raise ValueError(f"table holds no latency rows for {library}")
    return pd.DataFrame(rows).sort_values("macs_div").reset_index(drop=True)


def published_comparison(nets: dict, gpu_ms: pd.DataFrame, hw: Accel = Accel(), power_w: float = 250.0) -> pd.DataFrame:
    """Per width variant: the accelerator model on the traced layers `nets` ({cr: layers}
    from `trace_minkunet18c`, the crs of `gpu_ms`) against the published GPU latency
    (`published_gpu_ms`). Accelerator energy with and without SRAM leakage; GPU energy =
    power_w x its latency (W; the board power, an upper bound on what it draws)."""
    check_type("nets", nets, dict)
    check_table("gpu_ms", gpu_ms, ("cr", "ms_2080ti", "variant"), what="a published_gpu_ms table")
    check_type("hw", hw, Accel)
    power_w = check_number("power_w", power_w, lo=0, lo_open=True, hi=1e4)
    rows = []
    for _, g in gpu_ms.iterrows():
        key = min(nets, key=lambda c: abs(float(c) - g.cr)) if nets else None
        if key is None or abs(float(key) - g.cr) > 0.01:
            raise ValueError(f"nets must hold the layers of width multiplier {g.cr} (trace_minkunet18c crs)")
        layers = check_layers(nets[key])
        a = accel_cost(layers, hw)
        t, e, static = a.time.sum(), a.energy.sum(), a[a.stage == "static"].energy.sum()
        gpu_s = g.ms_2080ti / 1e3
        rows.append(dict(variant=g.variant, cr=g.cr, GMACs=layers_frame(layers).macs.sum() / 1e9,
                         accel_ms=1e3 * t, accel_mJ=1e3 * e, accel_static_mJ=1e3 * static, gpu_ms=g.ms_2080ti,
                         gpu_mJ=1e3 * power_w * gpu_s, speedup=gpu_s / t, energy_saving=power_w * gpu_s / e,
                         energy_saving_dynamic=power_w * gpu_s / (e - static)))
    return pd.DataFrame(rows)


def published_claim(df: pd.DataFrame, what: str = "speedup", cr: float = 1.0) -> Measured:
    """Speedup or energy saving ('speedup' / 'energy_saving') of the width-`cr` row of a
    `published_comparison` table; holds when it exceeds 1."""
    check_choice("what", what, ("speedup", "energy_saving"))
    cr = check_number("cr", cr, lo=0, lo_open=True, hi=4.0)
    read = ("accel_ms", "gpu_ms") if what == "speedup" else ("accel_mJ", "accel_static_mJ", "gpu_mJ")
    check_table("df", df, ("cr", what, *read), what="a published_comparison table")
    hit = df[(df.cr - cr).abs() < 0.01]
    if len(hit) != 1:
        raise ValueError(f"df must hold one row of width multiplier {cr}; its rows have cr = "
                         f"{sorted(map(float, df.cr))}")
    v = float(hit[what].iloc[0])
    r = hit.iloc[0]
    note = (f"accelerator {r.accel_ms:.1f} ms vs GPU {r.gpu_ms:.1f} ms" if what == "speedup" else
            f"accelerator {r.accel_mJ:.0f} mJ (of which static {r.accel_static_mJ:.1f}) vs GPU {r.gpu_mJ:.0f} mJ")
    return Measured(round(v, 2), bool(v > 1), note)
