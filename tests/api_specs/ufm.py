"""Valid, fast calls of lab.ufm's public API, for tests/test_bad_input.py."""
from functools import lru_cache
from pathlib import Path
import tempfile

import numpy as np
import torch

from lab import ufm as T
from lab.data import scenes

INTR = scenes.Intrinsics(width=8, height=6, fx=5.0, fy=5.0, cx=3.5, cy=2.5)
CFG = T.TrainConfig(width=16, height=8, n_members=2, channels=4, train_seeds=(100,), frames_per_sequence=2,
                    epochs=1, batch=2, warmup_epochs=1)


@lru_cache(maxsize=1)
def _ens():
    torch.manual_seed(0)
    return T.Ensemble([T.DepthNet(4).eval() for _ in range(2)], CFG)


@lru_cache(maxsize=1)
def _frames():
    return scenes.render_sequence(n_frames=2, width=16, height=8, seed=1)


@lru_cache(maxsize=1)
def _run():
    return T.run_method(_ens(), _frames(), "ensemble-UfM")


@lru_cache(maxsize=1)
def _cmp():
    return T.compare(_ens(), n_frames=2, width=16, height=8, seeds=(0,), layouts=("indoor", "ood"), progress=False)


@lru_cache(maxsize=1)
def _cmp2():
    """Two seeds per layout: what a paired interval needs."""
    return T.compare(_ens(), n_frames=2, width=16, height=8, seeds=(0, 1), layouts=("indoor", "ood"), progress=False)


@lru_cache(maxsize=1)
def _folder() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="lab_ufm_spec_")  # removed when dropped or at exit


@lru_cache(maxsize=1)
def _saved() -> Path:
    return T.save_ensemble(_ens().nets, CFG, Path(_folder().name) / "e.npz")


def _cloud():
    pts, cov = T.observe(np.full((6, 8), 2.0), np.full((6, 8), 0.01), INTR)
    return T.PointCloud(pts, cov, np.ones(48, np.int64), np.zeros(48, np.int64))


D = np.full((6, 8), 2.0)
V = np.full((6, 8), 0.01)
SPECS = {
    "DepthNet": lambda: dict(channels=4),
    "TrainConfig": lambda: dict(width=16, height=8, n_members=2, channels=4, train_seeds=(100,),
                                frames_per_sequence=2, deg_per_frame=3.0, epochs=1, batch=2, lr=2e-3,
                                warmup_epochs=1, member_seed0=1000),
    "Ensemble": lambda: dict(nets=list(_ens().nets), config=CFG, info={}),
    "gaussian_nll_loss": lambda: dict(depth=torch.ones(2, 8, 16), log_var=torch.zeros(2, 8, 16),
                                      target=torch.full((2, 8, 16), 1.5), mask=torch.ones(2, 8, 16, dtype=torch.bool)),
    "train_member": lambda: dict(gray=np.full((2, 8, 16), 0.5, np.float32), depth=np.ones((2, 8, 16), np.float32),
                                 seed=0, config=CFG, progress=False),
    "training_frames": lambda: dict(config=CFG),
    "save_ensemble": lambda: dict(nets=list(_ens().nets), config=CFG, path=_saved().parent / "s.npz", meta={"a": 1}),
    "load_ensemble": lambda: dict(path=_saved()),
    "predict": lambda: dict(net=_ens().nets[0], gray=np.full((1, 8, 16), 0.5), batch=4),
    "pixel_rays": lambda: dict(intrinsics=INTR, shape=(6, 8)),
    "observe": lambda: dict(depth=D, var=V, intrinsics=INTR),
    "relative_pose": lambda: dict(pose_prev=np.eye(4), pose_cur=np.eye(4)),
    "merge_moments": lambda: dict(mean=np.zeros((2, 3)), cov=np.zeros((2, 3, 3)), count=np.ones(2, np.int64),
                                  x=np.ones((2, 3)), cov_x=np.zeros((2, 3, 3))),
    "PointCloud": lambda: dict(pos=np.zeros((1, 3)), cov=np.zeros((1, 3, 3)), count=np.ones(1, np.int64),
                               born=np.zeros(1, np.int64)),
    "transform_cloud": lambda: dict(cloud=_cloud(), rel=np.eye(4)),
    "reproject": lambda: dict(pos=np.ones((4, 3)), intrinsics=INTR, shape=(6, 8)),
    "ufm_step": lambda: dict(cloud=_cloud(), depth=D, var=V, rel=np.eye(4), intrinsics=INTR, frame=1, max_points=200),
    "gaussian_nll": lambda: dict(pred=D, var=V, target=D + 0.1, mask=None),
    "rmse": lambda: dict(pred=D, target=D + 0.1, mask=None),
    "calibration_curve": lambda: dict(pred=D, var=V, target=D + 0.1, mask=None, levels=(0.5, 0.9)),
    "expected_calibration_error": lambda: dict(pred=D, var=V, target=D + 0.1, mask=None, levels=(0.5, 0.9)),
    "delta1_calibration": lambda: dict(pred=D, var=V, target=D + 0.1, mask=None, delta=0.25, n_bins=10, eps=1e-7),
    "delta1_calibration_error": lambda: dict(pred=D, var=V, target=D + 0.1, mask=None, delta=0.25, n_bins=10),
    "Run": lambda: dict(method="aleatoric", depth=np.ones((2, 6, 8)), var=np.ones((2, 6, 8)), inferences=2,
                        infer_s=0.1, merge_s=0.0, points=None, timed_frames=1),
    "run_method": lambda: dict(ensemble=_ens(), frames=_frames(), method="ensemble-UfM", max_points=512, clock="cpu",
                               warmup=1),
    "evaluate": lambda: dict(run=_run(), frames=_frames()),
    "per_frame_nll": lambda: dict(run=_run(), frames=_frames()),
    "Comparison": lambda: dict(table=_cmp().table, sequences=_cmp().sequences, n_members=2, timing_warmup=1),
    "compare": lambda: dict(ensemble=_ens(), n_frames=2, width=16, height=8, seeds=(0,), layouts=("indoor",),
                            max_points_factor=4, clock="cpu", timing_warmup=1, progress=False),
    "summary": lambda: dict(comparison=_cmp()),
    "claim_numbers": lambda: dict(comparison=_cmp()),
    "calibration_ranking": lambda: dict(comparison=_cmp(), metric="ece_delta1", layout="ood"),
    "nll_claim": lambda: dict(comparison=_cmp(), keep=0.5),
    "speed_claim": lambda: dict(comparison=_cmp()),
    "aleatoric_ood_claim": lambda: dict(comparison=_cmp()),
    "calibration_claim": lambda: dict(comparison=_cmp(), layout="ood"),
    "ensemble_calibration_claim": lambda: dict(comparison=_cmp2(), layout="ood", margin=0.02),
    "calibration_figure": lambda: dict(comparison=_cmp(), layout="ood"),
    "nll_figure": lambda: dict(comparison=_cmp()),
}
SKIP = {
    "train_ensemble": "trains and writes an ensemble (minutes of CPU); covered by tests/test_ufm.py and the CLI",
    "explorer": "widget; driven by notebook 11's explorer-check cell",
}
