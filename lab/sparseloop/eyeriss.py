"""An external ground truth: the Eyeriss V2 processing element of the Sparseloop
artifact's validation (its fig12_eyerissv2_pe_setup), modelled with our step 1 (dense
counts of the artifact's mapping), our density models and our level-cycle rule, and
compared with the PE's published cycle counts.

The setup, as the artifact's files state it (data/sparseloop/eyeriss_v2_pe.csv holds the
numbers with their source): eight 1 x 1 convolution layers of a sparse MobileNet-0.5
(C input channels, M output channels, E x F pixels) with uniform (hypergeometric) input and
weight densities; an Eyeriss V2 PE: a backing store (64 bits per cycle), an input-activation
scratchpad (16 words of 8 bits; RLE over C), a weight scratchpad (192 words; CSC: offset
pairs over C, RLE over M), a partial-sum scratchpad (32 words of 20 bits) and a MAC. The
mapping: the backing store iterates M (outer), C, F, E; the partial-sum scratchpad C, then M
innermost. The PE skips weights where the input activation is zero (inputs lead) and the MAC
where either operand is zero; zero weights are not stored, so the PE visits only the nonzero
weights of a nonzero activation's column.

Our reading of the PE's time (fixed before comparing): one slot per visited (nonzero input,
nonzero weight) pair, no cycle for an empty column or for reading the CSC offsets (they sit
in their own metadata storage), every scratchpad port one word per cycle, the backing store
overlapped (double-buffered). The design's cycles are the largest of the PE's slots, the
scratchpads' reads and the backing store's traffic over its bandwidth. Energy is not
compared: the ground truth gives cycles only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.checks import check_int, check_number, check_table, check_type
from ..core.claims import Measured
from ..core.paths import data_dir
from .dense import dense_counts
from .density import DensityModel, Uniform
from .formats import expected_bits
from .spec import Arch, Level, LevelMapping, Mapping, conv

EYERISS_COLUMNS = ("layer", "C", "M", "E", "F", "density_inputs", "density_weights", "backing_M", "backing_C",
                   "pe_M", "pe_C", "ground_truth_cycles", "sparseloop_cycles", "sparseloop_summary_cycles")
IACT_WORDS, WEIGHT_WORDS, PSUM_WORDS = 16, 192, 32     # the scratchpads' data depths (arch.yaml)
RLE_BITS = 4                                           # metadata-word-bits of the RLE ranks (SI-SW.yaml)


def eyeriss_layers(path=None) -> pd.DataFrame:
    """The artifact's eight Eyeriss V2 PE layers (default: data/sparseloop/eyeriss_v2_pe.csv):
    shapes, densities, mapping factors, the PE's ground-truth cycles and Sparseloop's."""
    path = data_dir() / "sparseloop" / "eyeriss_v2_pe.csv" if path is None else Path(
        check_type("path", path, (str, Path)))
    if not path.is_file():
        raise ValueError(f"path must be an Eyeriss V2 PE table; {path} does not exist")
    try:
        df = pd.read_csv(path, comment="#")
    except Exception as exc:
        raise ValueError(f"path {path} is not an Eyeriss V2 PE table: {exc}") from None
    return check_table("path", df, EYERISS_COLUMNS, what=f"an Eyeriss V2 PE table ({path})")


def eyeriss_arch() -> Arch:
    """The artifact's Eyeriss V2 PE as our levels: backing store, iact, weight and psum
    scratchpads, an iact register. Capacities in bits (data + metadata storage); bandwidth
    one word per cycle per scratchpad, 64 bits per cycle for the backing store. Energies are
    left at 0: the comparison is of cycles only."""
    return Arch(levels=(
        Level("Backing", None, 64.0, 0.0, 0.0),
        Level("IactSpad", IACT_WORDS * 8 + 25 * 4.0, 8.0, 0.0, 0.0),
        Level("WeightSpad", WEIGHT_WORDS * 8 + 128 * 8.0, 8.0, 0.0, 0.0),
        Level("PsumSpad", PSUM_WORDS * 20.0, 20.0, 0.0, 0.0, word_bits=20),
        Level("Reg", 12.0, 8.0, 0.0, 0.0),
    ), mac_pj=0.0, mac_gated_pj=0.0)


def eyeriss_mapping(C: int, M: int, E: int, F: int, backing_M: int, backing_C: int, pe_M: int, pe_C: int) -> Mapping:
    """The artifact's mapping of a 1 x 1 conv (our conv(C, M, P=E, Q=F, 1, 1)): the backing
    store runs M (backing_M), C (backing_C), F, E, outer to inner; the psum scratchpad C
    (pe_C) then M (pe_M). Refused when the factors do not multiply to the layer's C and M or
    a tile does not fit its scratchpad (pe_C iacts, pe_M x pe_C weights, pe_M psums)."""
    C, M, E, F = (check_int(n, v, lo=1, hi=1 << 14) for n, v in (("C", C), ("M", M), ("E", E), ("F", F)))
    bM, bC, pM, pC = (check_int(n, v, lo=1, hi=1 << 14) for n, v in
                      (("backing_M", backing_M), ("backing_C", backing_C), ("pe_M", pe_M), ("pe_C", pe_C)))
    if bM * pM != M:
        raise ValueError(f"backing_M x pe_M must equal M = {M}; got {bM} x {pM}")
    if bC * pC != C:
        raise ValueError(f"backing_C x pe_C must equal C = {C}; got {bC} x {pC}")
    if pC > IACT_WORDS:
        raise ValueError(f"pe_C must be at most {IACT_WORDS} (the iact scratchpad's words); got {pC}")
    if pM * pC > WEIGHT_WORDS:
        raise ValueError(f"pe_M x pe_C must be at most {WEIGHT_WORDS} (the weight scratchpad's words); got {pM * pC}")
    if pM > PSUM_WORDS:
        raise ValueError(f"pe_M must be at most {PSUM_WORDS} (the psum scratchpad's words); got {pM}")
    return Mapping((
        LevelMapping("Backing", (("M", bM), ("C", bC), ("Q", F), ("P", E)), frozenset("WIO")),
        LevelMapping("IactSpad", (), frozenset("I")),
        LevelMapping("WeightSpad", (), frozenset("W")),
        LevelMapping("PsumSpad", (("C", pC), ("M", pM)), frozenset("O")),
        LevelMapping("Reg", (), frozenset("I")),
    ))


def eyeriss_cycles(C: int, M: int, E: int, F: int, backing_M: int, backing_C: int, pe_M: int, pe_C: int,
                   inputs: DensityModel, weights: DensityModel) -> dict:
    """Our model of the Eyeriss V2 PE on one 1 x 1 layer: expected cycles and their parts
    (PE slots, iact and weight scratchpad reads, backing-store cycles), from the dense counts
    of `eyeriss_mapping` and the occupancy distributions of the density models (inputs over
    a C x (E F) tensor, weights over M x C)."""
    mp = eyeriss_mapping(C, M, E, F, backing_M, backing_C, pe_M, pe_C)      # checks every size and factor
    check_type("inputs", inputs, DensityModel)
    check_type("weights", weights, DensityModel)
    arch, wl = eyeriss_arch(), conv(C, M, E, F, 1, 1)
    dc = dense_counts(arch, wl, mp)
    # occupancy of one iact fiber (pe_C channels of one pixel) and of one weight column (pe_M outputs of one channel)
    ki, pi = inputs.tile_pmf((C, E * F), (pe_C, 1))
    kw, pw = weights.tile_pmf((M, C), (pe_M, 1))
    e_iact_nz = pe_C * float(np.dot(*inputs.tile_pmf((C, E * F), (1, 1))))      # nonzero iacts per fiber
    e_col = float(np.dot(kw, pw))                                                # nonzero weights per column
    tiles = wl.macs // (pe_M * pe_C)                                             # psum-scratchpad tile iterations
    slots = tiles * e_iact_nz * e_col                                            # visited (iact, weight) pairs
    iact_reads = tiles * e_iact_nz
    # backing store: compressed iact fibers and weight tiles in, partial sums out and back
    i_fills = dc[("IactSpad", "I")]["changes"]
    ib = expected_bits(("UOP", "RLE"), 1, pe_C, ki, pi, RLE_BITS)
    w_fills = dc[("WeightSpad", "W")]["changes"]
    wb = expected_bits(("UOP", "RLE"), pe_C, pe_M, kw, pw, RLE_BITS)
    o = dc[("PsumSpad", "O")]
    bits = (i_fills * (8 * ib["payload"] + ib["meta"]) + w_fills * (8 * wb["payload"] + wb["meta"])
            + 20 * (o["drains"] + o["fills"]))
    backing = bits / arch.level("Backing").bandwidth_bits
    parts = dict(pe_slots=float(slots), iact_reads=float(iact_reads), weight_reads=float(slots),
                 backing=float(backing))
    return dict(cycles=max(parts.values()), macs=int(wl.macs), **parts)


def eyeriss_validation(layers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Our cycles beside the PE's ground truth and Sparseloop's on every layer (default: the
    artifact's eight), with the relative errors (%) of ours and of Sparseloop's against the
    ground truth, and of ours against Sparseloop's."""
    df = eyeriss_layers() if layers is None else check_table("layers", layers, EYERISS_COLUMNS,
                                                             what="an Eyeriss V2 PE table")
    rows = []
    for r in df.itertuples(index=False):
        d_in = check_number("layers density_inputs", r.density_inputs, lo=0.0, hi=1.0)
        d_w = check_number("layers density_weights", r.density_weights, lo=0.0, hi=1.0)
        gt = check_number("layers ground_truth_cycles", r.ground_truth_cycles, lo=1.0)
        sl = check_number("layers sparseloop_cycles", r.sparseloop_cycles, lo=1.0)
        ours = eyeriss_cycles(int(r.C), int(r.M), int(r.E), int(r.F), int(r.backing_M), int(r.backing_C),
                              int(r.pe_M), int(r.pe_C), Uniform(d_in), Uniform(d_w))
        rows.append(dict(layer=r.layer, macs=ours["macs"], density_inputs=d_in, density_weights=d_w,
                         ground_truth_cycles=gt, sparseloop_cycles=sl, cycles=ours["cycles"],
                         pe_slots=ours["pe_slots"], backing_cycles=ours["backing"],
                         err_vs_truth_pct=100 * (ours["cycles"] - gt) / gt,
                         sparseloop_err_vs_truth_pct=100 * (sl - gt) / gt,
                         err_vs_sparseloop_pct=100 * (ours["cycles"] - sl) / sl))
    return pd.DataFrame(rows)


def eyeriss_claim(df: pd.DataFrame, bound_pct: float, against: str = "truth") -> Measured:
    """The largest |relative error| (%) of our cycles over the layers of an
    `eyeriss_validation` table, against the PE's ground truth (against="truth") or against
    Sparseloop's own outputs ("sparseloop"); the claim holds when it is at most `bound_pct`."""
    cols = {"truth": "err_vs_truth_pct", "sparseloop": "err_vs_sparseloop_pct"}
    if against not in cols:
        raise ValueError(f"against must be 'truth' or 'sparseloop'; got {against!r}")
    df = check_table("df", df, ("layer", cols[against], "sparseloop_err_vs_truth_pct"),
                     what="an eyeriss_validation table")
    bound_pct = check_number("bound_pct", bound_pct, lo=0.0)
    err = df[cols[against]].abs()
    if not np.isfinite(err.to_numpy(dtype=float)).all():
        raise ValueError(f"df must hold finite errors; column {cols[against]} has NaN or inf")
    worst = float(err.max())
    at = str(df.layer.iloc[int(err.to_numpy().argmax())])
    note = (f"{len(df)} layers; worst {worst:.2f} % at {at}, mean {err.mean():.2f} %; ours runs "
            f"{'below' if (df[cols[against]] < 0).all() else 'on both sides of'} it")
    if against == "truth":
        sl = df.sparseloop_err_vs_truth_pct.abs()
        note += f"; Sparseloop's own error on the same layers: worst {sl.max():.2f} %, mean {sl.mean():.2f} %"
    return Measured(round(worst, 2), bool(worst <= bound_pct), note)
