"""SparseBFA: worst-case bit flips on the coordinates of sparse weights.

Backs notebooks/05_sparsebfa.ipynb. Paper: K. Lee, A. P. Chandrakasan, "SparseBFA:
Attacking Sparse Deep Neural Networks with the Worst-Case Bit Flips on Coordinates",
ICASSP 2022.

A small MLP on scikit-learn's digits is pruned by magnitude and stored in a real sparse
format at the bit level (CSR, COO, relative indexing with padding zeros; 8-bit fixed-point
values). SparseBFA flips the bits of the coordinates, chosen greedily by a first-order
estimate and exact re-scoring; it is compared with random flips and with a value-bit
attack in the style of the progressive bit search (Rakin et al. 2019). A checksum per
block of coordinates is the defence.
"""
from ..core.scale import freeze
from .defence import CODES, crc8, check_words, detects, flips_per_block, overhead
from .experiment import (Study, defence_claim, defence_table, explorer_traces, index_vs_value_claim,
                         random_guess_claim, random_guess_threshold, run_study, run_table, scales_markdown,
                         storage_table, summary, vs_random_claim)
from .formats import (FORMATS, FORMAT_NAMES, Entries, Field, Store, decode, encode, entries, flip, index_width,
                      pack, quantize, unpack)
from .model import PrunedNet, logits, magnitude_mask, train_pruned
from .search import METHOD_NAMES, METHODS, Trace, Victim, attack, first_order, random_flips, run_attack, victim
from .views import curves_figure, explorer, rewired, rewiring_figure

SCALES = freeze({
    "small": dict(seeds=(0, 1, 2), flip_seeds=(0, 1, 2), sparsity=0.95, hidden=128, epochs=150, prune_steps=5,
                  finetune_epochs=60, n_flips=40, top_k=64, batch=128, random_points=25, margin=0.01,
                  block=16, explorer_sparsities=(0.9, 0.95, 0.97)),
    "paper": dict(seeds=(0, 1, 2, 3, 4), flip_seeds=(0, 1, 2, 3, 4), sparsity=0.95, hidden=256, epochs=300,
                  prune_steps=10, finetune_epochs=100, n_flips=60, top_k=64, batch=256, random_points=40,
                  margin=0.01, block=16, explorer_sparsities=(0.9, 0.95, 0.97, 0.98)),
})

__all__ = [
    "SCALES",
    # the network
    "PrunedNet", "train_pruned", "magnitude_mask", "logits",
    # storage
    "FORMATS", "FORMAT_NAMES", "Field", "Store", "Entries", "encode", "decode", "entries", "flip", "quantize",
    "index_width", "pack", "unpack",
    # attacks
    "METHODS", "METHOD_NAMES", "Trace", "Victim", "victim", "first_order", "attack", "random_flips", "run_attack",
    # defence
    "CODES", "crc8", "check_words", "overhead", "detects", "flips_per_block",
    # experiment and claims
    "Study", "run_study", "summary", "run_table", "storage_table", "random_guess_threshold", "random_guess_claim",
    "vs_random_claim", "index_vs_value_claim", "defence_table", "defence_claim", "explorer_traces", "scales_markdown",
    # views
    "curves_figure", "rewired", "rewiring_figure", "explorer",
]
