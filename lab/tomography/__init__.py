"""Physics-assisted GAN (PGAN) for limited-angle, low-photon X-ray tomography; notebook
notebooks/02_tomography.ipynb. Paper: Z. Guo, J. K. Song, G. Barbastathis, M. E. Glinsky,
C. T. Vaughan, K. W. Larson, B. K. Alpert, Z. H. Levine, "Physics-assisted generative
adversarial network for X-ray tomography" (MTL 2022 report; Optics Express 2022).

phantoms.py: CircuitFaker and the i.i.d. control objects; projector.py: the sparse
parallel-beam system matrix and the Poisson measurement; recon.py: FBP, MLE, MLE+TV,
the likelihood refinement of PGAN's output and the metrics; models.py: generator and critic; train.py: the three learned priors
(G on MLE for circuits and for i.i.d. objects, G on FBP for circuits), their tuning and
the shipped weights (`python -m lab.tomography train`); evaluate.py: Figure 2's sweep
and the claim helpers; views.py: figures and the explorer.
"""
from lab.core.scale import freeze

from .evaluate import (METHODS, attribution_claim, ber_table, closing_note, control_claim, evaluate, gain_claim,
                       reconstruct, shrink_claim, summary)
from .models import Discriminator, Generator, npcc_loss
from .phantoms import circuit_faker, expected_fill, iid_objects
from .projector import MU, angles, measure, n_bins, sinogram, system_matrix, volume_matrix
from .recon import ber, fbp, mle, mle_tv, nll, npcc, refine, rmse, tv
from .train import (ANGLE_SWEEP, BASE_ANGLES, BASE_PHOTONS, PHOTON_SWEEP, PRIORS, Prior, TrainConfig, approximant,
                    conditions, generate, load_priors, objects, train_all, weights_path)
from .views import explorer, figure2, object_view, sinogram_figure, slices_figure, voxel_geometry

SCALES = freeze({
    "small": dict(n_test=6, test_seed=1000, control_conds=((4, 30.0), (2, 10.0))),
    "paper": dict(n_test=40, test_seed=1000, control_conds=((4, 30.0), (2, 10.0), (4, 3.0), (16, 1000.0))),
})

__all__ = ["SCALES", "METHODS", "MU", "ANGLE_SWEEP", "BASE_ANGLES", "BASE_PHOTONS", "PHOTON_SWEEP",
           "attribution_claim", "ber_table", "closing_note", "control_claim", "evaluate", "gain_claim", "reconstruct", "shrink_claim", "summary",
           "Discriminator", "Generator", "npcc_loss", "circuit_faker", "expected_fill", "iid_objects",
           "angles", "measure", "n_bins", "sinogram", "system_matrix", "volume_matrix",
           "ber", "fbp", "mle", "mle_tv", "nll", "npcc", "refine", "rmse", "tv",
           "PRIORS", "Prior", "TrainConfig", "approximant", "conditions", "generate", "load_priors", "objects", "train_all", "weights_path",
           "explorer", "figure2", "object_view", "sinogram_figure", "slices_figure", "voxel_geometry"]
