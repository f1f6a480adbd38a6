"""Network Augmentation for Tiny Deep Learning (H. Cai, C. Gan, J. Lin, S. Han; ICLR 2022).

Backs notebooks/01_netaug.ipynb. `data.py`: MNIST-1D generated offline by the `mnist1d` package;
`train.py`: the tiny network built from dynamic-width layers, NetAug training and its baselines, the
tables, paired t-intervals and the claim helpers; `views.py`: the figures and the explorer.
"""
from .data import LENGTH, MAX_SAMPLES, N_CLASSES, Signals, make_mnist1d
from .train import (BASE_HIDDEN, MAX_EPOCHS, MAX_SEEDS, MAX_VAL_FRAC, MAX_WIDTH, METHODS, VAL_SEED, WIDTH_MULTS,
                    Result, TinyNet, accuracy, augment_batch, claim_gain, claim_gain_shrinks, claim_regularisers_hurt,
                    claim_underfits, compare, export_tiny, gains, hidden_units, model_cost, mults, sample_widths,
                    size_sweep, summary, train, validation_split)
from .views import explorer, fit_figure, gain_figure

SCALES = {
    # width: the tiny model (1.0 -> 16 hidden units per layer, 1098 parameters); sizes: the widths of the size
    # sweep; plain_epochs: NetAug's last epochs without the augmented loss; val_frac: the share of the training
    # signals held out to choose each run's epoch; seeds: small as many as fit its 45 s, paper enough that the
    # gain's 95 % interval is narrower than the gain to detect
    "small": dict(epochs=20, plain_epochs=2, val_frac=0.1, seeds=tuple(range(8)), width=1.0, sizes=(1.0, 8.0),
                  batch=256, lr=0.01, dropout=0.3, alpha=1.0),
    "paper": dict(epochs=60, plain_epochs=6, val_frac=0.1, seeds=tuple(range(30)), width=1.0,
                  sizes=(1.0, 2.0, 4.0, 8.0), batch=256, lr=0.01, dropout=0.3, alpha=1.0),
}

__all__ = ["SCALES", "BASE_HIDDEN", "LENGTH", "MAX_EPOCHS", "MAX_SAMPLES", "MAX_SEEDS", "MAX_VAL_FRAC", "MAX_WIDTH",
           "METHODS", "N_CLASSES", "VAL_SEED", "WIDTH_MULTS", "Result", "Signals", "TinyNet", "accuracy",
           "augment_batch", "claim_gain", "claim_gain_shrinks", "claim_regularisers_hurt", "claim_underfits",
           "compare", "explorer", "export_tiny", "fit_figure", "gain_figure", "gains", "hidden_units",
           "make_mnist1d", "model_cost", "mults", "sample_widths", "size_sweep", "summary", "train",
           "validation_split"]
