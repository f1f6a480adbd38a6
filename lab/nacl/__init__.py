"""NaCl: contrastive learning seen through neighbourhood component analysis, and its
integrated robust variants (notebooks/04_nacl.ipynb).

Paper: C.-Y. Ko, J. Mohapatra, S. Liu, P.-Y. Chen, L. Daniel, T.-W. Weng, "Revisiting
contrastive learning through the lens of neighborhood component analysis: an integrated
framework", ICML 2022 (arXiv 2112.04468). No public code: the losses are our reading of
the paper, on scikit-learn's 8x8 digits with an MLP encoder. The adversarial-only baseline (A2A)
follows ACL's A2A variant (Jiang et al., NeurIPS 2020; github.com/VITA-Group/Adversarial-Contrastive-Learning).
"""
from ..core.scale import freeze
from .attacks import ascend, fgsm, pgd
from .augment import augment, n_views
from .claims import (gain_claim, gain_table, paired_gain, robust_gain_claim, standard_gain_claim,
                     sweep_gain_claim, upper_right_claim)
from .losses import mixnacl_loss, nacl_loss, nca_loss, nt_xent
from .train import (ADVERSARIAL_ONLY, FIGURE1, INTEGRATED, METHODS, NAMES, Encoder, Probed, Run, TrainConfig,
                    accuracy, contrastive_loss, eps_sweep, fit_probe, nca_connection, pretrain, retune, run_methods,
                    scales_markdown, summary, table, train_supervised)
from .views import augment_figure, embedding_2d, eps_figure, explorer, figure1, transfer_figure

# a2a_eps_train: the adversarial-only baseline's training radius, ACL's convention (its code trains and tests
# at the same 8/255): our robust claims' radius eps[1]. At the integrated methods' eps_train = 0.1 it collapses.
SCALES = freeze({
    "small": dict(methods=(*FIGURE1, ADVERSARIAL_ONLY), epochs=12, batch=128, positives=2, seeds=(0, 1, 2),
                  eps=(0.002, 0.05), eps_grid=(0.0, 0.002, 0.02, 0.05, 0.1), explorer_epochs=5,
                  a2a_eps_train=0.05),
    "paper": dict(methods=(*FIGURE1, ADVERSARIAL_ONLY), epochs=20, batch=128, positives=2, seeds=(0, 1, 2, 3, 4),
                  eps=(0.002, 0.05), eps_grid=(0.0, 0.002, 0.01, 0.02, 0.05, 0.1, 0.15), explorer_epochs=10,
                  a2a_eps_train=0.05),
})

__all__ = [
    "SCALES", "FIGURE1", "INTEGRATED", "ADVERSARIAL_ONLY", "METHODS", "NAMES",
    "augment", "n_views", "nt_xent", "nca_loss", "nacl_loss", "mixnacl_loss", "ascend", "fgsm", "pgd",
    "Encoder", "TrainConfig", "Probed", "Run", "contrastive_loss", "pretrain", "train_supervised", "fit_probe",
    "accuracy", "run_methods", "table", "summary", "retune", "eps_sweep", "nca_connection", "scales_markdown",
    "paired_gain", "gain_claim", "standard_gain_claim", "robust_gain_claim", "gain_table", "upper_right_claim",
    "sweep_gain_claim",
    "augment_figure", "figure1", "eps_figure", "transfer_figure", "embedding_2d", "explorer",
]
