"""Network Augmentation for Tiny Deep Learning (H. Cai, C. Gan, J. Lin, S. Han; ICLR 2022).

Backs notebooks/01_netaug.ipynb. `data.py`: MNIST-1D generated offline by the `mnist1d` package;
`train.py`: the tiny network built from dynamic-width layers, NetAug training and its baselines, the
tables, paired t-intervals and the claim helpers; `views.py`: the figures and the explorer.
"""
from .data import LENGTH, MAX_SAMPLES, N_CLASSES, Signals, make_mnist1d
from .train import (BASE_HIDDEN, MAX_EPOCHS, MAX_SEEDS, MAX_WIDTH, METHODS, WIDTH_MULTS, Result, TinyNet, accuracy,
                    augment_batch, claim_gain, claim_gain_shrinks, claim_regularisers_hurt, claim_underfits, compare,
                    export_tiny, gains, hidden_units, model_cost, mults, sample_widths, size_sweep,
                    summary, train)
from .views import explorer, fit_figure, gain_figure

SCALES = {
    # width: the tiny model (0.25 -> 4 hidden units per layer); sizes: the widths of the size sweep
    "small": dict(epochs=20, seeds=(0, 1, 2), width=0.25, sizes=(0.25, 1.0, 8.0), batch=256, lr=0.01,
                  dropout=0.3, alpha=1.0),
    "paper": dict(epochs=60, seeds=(0, 1, 2, 3, 4), width=0.25, sizes=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0), batch=256,
                  lr=0.01, dropout=0.3, alpha=1.0),
}

__all__ = ["SCALES", "BASE_HIDDEN", "LENGTH", "MAX_EPOCHS", "MAX_SAMPLES", "MAX_SEEDS", "MAX_WIDTH", "METHODS",
           "N_CLASSES", "WIDTH_MULTS", "Result", "Signals", "TinyNet", "accuracy", "augment_batch", "claim_gain",
           "claim_gain_shrinks", "claim_regularisers_hurt", "claim_underfits", "compare", "explorer", "export_tiny",
           "fit_figure", "gain_figure", "gains", "hidden_units", "make_mnist1d", "model_cost", "mults",
           "sample_widths", "size_sweep", "summary", "train"]
