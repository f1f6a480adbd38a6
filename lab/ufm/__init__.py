"""Uncertainty from Motion (UfM) for monocular depth. Backs notebooks/11_ufm.ipynb.

Paper: S. Sudhakar, S. Karaman, V. Sze, "Uncertainty from Motion for DNN monocular depth
estimation", ICRA 2022.

Files: `net.py` the heteroscedastic depth CNN, its ensemble, training and the shipped
weights; `pointcloud.py` the UfM point-cloud update; `metrics.py` the metrics; `method.py` the
comparison of aleatoric-only, ensemble and ensemble-UfM; `claims.py` the claim helpers; `views.py` the figures and the frame scrubber;
`__main__.py` the command `python -m lab.ufm train`.
"""
from .claims import aleatoric_ood_claim, calibration_claim, ensemble_calibration_claim, nll_claim, speed_claim
from .method import (METHODS, Comparison, Run, calibration_ranking, claim_numbers, compare, evaluate, per_frame_nll,
                     run_method, summary)
from .metrics import (CONFIDENCE_LEVELS, calibration_curve, delta1_calibration, delta1_calibration_error,
                      expected_calibration_error, gaussian_nll, rmse)
from .pointcloud import (PointCloud, merge_moments, observe, pixel_rays, relative_pose, reproject, transform_cloud,
                         ufm_step)
from .net import (LOGVAR_MAX, LOGVAR_MIN, DepthNet, Ensemble, TrainConfig, gaussian_nll_loss, load_ensemble,
                  predict, save_ensemble, train_ensemble, train_member, training_frames)
from .views import calibration_figure, explorer, nll_figure

# timing_warmup: frames run but not timed at the start of each sequence. The authors' evaluation
# times frames i > 40 only (examples/evaluate_uncertainty.py, "warm start for timing"): the paper
# preset skips those 41; the small preset's 30-frame sequences skip one round of the 10 members.
SCALES = {
    "small": dict(width=64, height=48, n_frames=30, eval_seeds=(0, 1, 2), max_points_factor=4, timing_warmup=10),
    "paper": dict(width=64, height=48, n_frames=60, eval_seeds=(0, 1, 2, 3, 4), max_points_factor=4,
                  timing_warmup=41),
}

__all__ = [
    "SCALES", "METHODS", "CONFIDENCE_LEVELS", "LOGVAR_MIN", "LOGVAR_MAX",
    "DepthNet", "Ensemble", "TrainConfig", "gaussian_nll_loss", "train_member", "training_frames",
    "save_ensemble", "load_ensemble", "train_ensemble", "predict",
    "pixel_rays", "observe", "relative_pose", "merge_moments", "PointCloud", "transform_cloud", "reproject",
    "ufm_step", "gaussian_nll", "rmse", "calibration_curve", "expected_calibration_error",
    "delta1_calibration", "delta1_calibration_error", "calibration_ranking",
    "Run", "run_method", "evaluate", "per_frame_nll", "Comparison", "compare", "summary", "claim_numbers",
    "nll_claim", "speed_claim", "aleatoric_ood_claim", "calibration_claim", "ensemble_calibration_claim",
    "calibration_figure", "nll_figure", "explorer",
]
