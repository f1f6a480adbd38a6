"""Valid, fast calls of lab.tomography's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import numpy as np
import pandas as pd
import torch

from lab import tomography as T
from lab.core import viz3d

viz3d.open3d()   # import Open3D once here, outside the sweep's per-call time limit

SHAPE = (8, 16, 16)


@lru_cache(maxsize=1)
def _x():
    return T.circuit_faker(1, 0)[0]


@lru_cache(maxsize=1)
def _y():
    return T.measure(_x(), 2, 30.0, 0)


@lru_cache(maxsize=1)
def _prior():
    torch.manual_seed(0)
    return T.Prior(generator=T.Generator(1), weight=3.0, beta=0.3, family="circuit")


@lru_cache(maxsize=1)
def _fbp_prior():
    torch.manual_seed(1)
    return T.Prior(generator=T.Generator(1), weight=3.0, beta=0.3, family="circuit", input="fbp")


def _df():
    rows = []
    for k in range(3):
        for m, b in (("PGAN", 0.01 + 0.001 * k), ("MLE", 0.03 + 0.002 * k)):
            rows.append(dict(object=k, n_angles=2, photons=30.0, method=m, ber=b, npcc=-0.5, rmse=0.1))
    for k in range(3):
        for m, b in (("PGAN", 0.01), ("MLE", 0.011 + 0.001 * k)):
            rows.append(dict(object=k, n_angles=8, photons=30.0, method=m, ber=b, npcc=-0.5, rmse=0.1))
    return pd.DataFrame(rows)


SPECS = {
    "ber_table": lambda: dict(df=_df()),
    "summary": lambda: dict(df=_df(), metric="ber"),
    "gain_claim": lambda: dict(df=_df(), n_angles=2, photons=30.0, method="PGAN", baseline="MLE"),
    "shrink_claim": lambda: dict(df=_df(), low=(2, 30.0), high=(8, 30.0)),
    "control_claim": lambda: dict(df_iid=_df(), n_angles=2, photons=30.0, min_ratio=0.9),
    "attribution_claim": lambda: dict(df=_df(), df_iid=_df(), n_angles=2, photons=30.0),
    "closing_note": lambda: dict(df=_df(), df_iid=_df(), base_angles=2, base_photons=30.0),
    "evaluate": lambda: dict(truth=_x()[None], conds=[(2, 30.0)], prior=_prior(), seed=0, methods=("MLE", "G on FBP"),
                             fbp_prior=_fbp_prior()),
    "reconstruct": lambda: dict(x=_x(), n_angles=2, photons=30.0, prior=_prior(), seed=0, methods=("MLE", "PGAN+NLL"),
                                fbp_prior=None),
    "approximant": lambda: dict(y=_y(), n_angles=2, photons=30.0, kind="fbp", iters=5),
    "Discriminator": lambda: dict(width=2),
    "Generator": lambda: dict(width=2, coords=True),
    "npcc_loss": lambda: dict(pred=torch.rand(2, 1, 4, 4, 4), target=torch.rand(2, 1, 4, 4, 4)),
    "circuit_faker": lambda: dict(n=2, seed=0, p_seed=0.75, p_via=0.5, p_wire=0.8),
    "expected_fill": lambda: dict(p_seed=0.75, p_via=0.5, p_wire=0.8),
    "iid_objects": lambda: dict(n=2, seed=0, fill=0.2),
    "angles": lambda: dict(n_angles=4),
    "measure": lambda: dict(volume=_x(), n_angles=2, photons=30.0, seed=0),
    "n_bins": lambda: dict(size=16),
    "sinogram": lambda: dict(counts=_y(), photons=30.0, n_angles=2, shape=SHAPE),
    "system_matrix": lambda: dict(size=16, theta=np.array([0.0, 45.0])),
    "volume_matrix": lambda: dict(n_angles=2, shape=SHAPE),
    "ber": lambda: dict(x=_x() * 0.9, truth=_x()),
    "npcc": lambda: dict(x=_x() * 0.9 + 0.05, truth=_x()),
    "rmse": lambda: dict(x=_x() * 0.9, truth=_x()),
    "fbp": lambda: dict(y=_y(), n_angles=2, photons=30.0),
    "mle": lambda: dict(y=_y(), n_angles=2, photons=30.0, x_max=1.0, iters=5),
    "mle_tv": lambda: dict(y=_y(), n_angles=2, photons=30.0, beta=0.3, x_max=1.0, iters=5),
    "nll": lambda: dict(x=_x(), y=_y(), n_angles=2, photons=30.0),
    "refine": lambda: dict(y=_y(), n_angles=2, photons=30.0, prior=_x(), weight=3.0, x_max=1.0, iters=5),
    "tv": lambda: dict(x=_x()),
    "Prior": lambda: dict(generator=T.Generator(1), weight=3.0, beta=0.3, family="circuit", info={}, input="mle"),
    "TrainConfig": lambda: dict(width=2, coords=True, steps=2, batch=2, n_train=2, n_val=1, lr_g=1e-3, lr_d=2e-3, alpha=0.1,
                                mse_weight=1.0, mle_iters=5, seed=0, beta_grid=(1.0,), weight_grid=(1.0,),
                                conds=((2, 10.0),)),
    "conditions": lambda: dict(photon_sweep=(10, 100), angle_sweep=(2, 4), base_angles=4, base_photons=30.0),
    "generate": lambda: dict(generator=_prior().generator, recs=_x()),
    "load_priors": lambda: dict(path=None),
    "weights_path": lambda: dict(),
    "objects": lambda: dict(family="iid", n=2, seed=0),
    "figure2": lambda: dict(df=_df(), base_angles=2, base_photons=30.0, title="t"),
    "sinogram_figure": lambda: dict(x=_x(), n_angles=2, photons=30.0, seed=0, layer=0),
    "slices_figure": lambda: dict(truth=_x(), recs={"MLE": _x()}, layer=0),
    "voxel_geometry": lambda: dict(x=_x(), threshold=0.5),
}
SKIP = {
    "explorer": "widget; driven by notebook 02's explorer-check cell and tests/test_tomography.py",
    "object_view": "widget (Open3D offscreen render in a subprocess-probed renderer); shown by notebook 02",
    "train_all": "trains three networks (minutes at the default config); tests/test_tomography.py runs it on a tiny config",
}
