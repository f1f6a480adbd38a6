"""Network Augmentation for Tiny Deep Learning (H. Cai, C. Gan, J. Lin, S. Han; ICLR 2022).

Backs notebooks/01_netaug.ipynb. `train.py`: the tiny network built from dynamic-width layers,
NetAug training and its baselines, the tables and the claim helpers; `views.py`: the gain figure and
the explorer. Data: `lab.data.load_digits` (scikit-learn's 8x8 digits, one split rule).
"""
from .train import (EXPAND_MULTS, MAX_EPOCHS, MAX_SEEDS, METHODS, WIDTH_MULTS, Config, Result, TinyNet, accuracy, claim_gain,
                    claim_gain_shrinks, claim_regularisers_hurt,
                    augment_batch, compare, export_tiny, gains, model_cost, mults, recalibrate_bn,
                    sample_config, size_sweep, sort_channels, summary, train)
from .views import explorer, gain_figure

SCALES = {
    # base_width: the tiny model (0.5 -> 412 parameters); sizes: model sizes of the size sweep
    "small": dict(epochs=12, seeds=(0, 1, 2), base_width=0.5, sizes=(0.5, 2.0), batch=256, lr=0.02,
                  dropout=0.3, alpha=1.0),
    "paper": dict(epochs=30, seeds=(0, 1, 2, 3, 4), base_width=0.5, sizes=(0.5, 1.0, 2.0, 4.0), batch=128,
                  lr=0.01, dropout=0.3, alpha=1.0),
}

__all__ = ["SCALES", "EXPAND_MULTS", "MAX_EPOCHS", "MAX_SEEDS", "METHODS", "WIDTH_MULTS", "Config", "Result", "TinyNet",
           "accuracy", "claim_gain", "claim_gain_shrinks", "claim_regularisers_hurt", "augment_batch", "compare", "export_tiny", "explorer", "gain_figure", "gains",
           "model_cost", "mults", "recalibrate_bn", "sample_config", "size_sweep", "sort_channels", "summary",
           "train"]
