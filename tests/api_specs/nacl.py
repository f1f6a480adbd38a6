"""Valid, fast calls of lab.nacl's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import torch
import torch.nn as nn

from lab import nacl as T
from lab.data import load_digits


@lru_cache(maxsize=1)
def _data():
    return load_digits(n_train=60, n_test=30, seed=0)


def _cfg():
    return T.TrainConfig(epochs=1, batch=32, positives=2, hidden=8, feat_dim=4, proj_dim=4)


@lru_cache(maxsize=1)
def _runs():
    return T.run_methods(_data(), methods=T.FIGURE1, seeds=(0, 1), cfg=_cfg(), eps=(0.05,), supervised=False)


def _x(n=6):
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(0))


def _z(*shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(1))


def _probed():
    return _runs()[0].model


SPECS = {
    "augment": lambda: dict(x=_x(), generator=torch.Generator().manual_seed(0), shift_px=1.0, rotate_deg=10.0,
                            scale=0.1, noise=0.05),
    "n_views": lambda: dict(x=_x(), k=2, generator=torch.Generator().manual_seed(0)),
    "nt_xent": lambda: dict(z1=_z(4, 3), z2=_z(4, 3), tau=0.5),
    "nca_loss": lambda: dict(z=_z(6, 3), labels=torch.tensor([0, 0, 1, 1, 2, 2]), tau=0.5,
                             weights=torch.ones(6), reduction="mean"),
    "nacl_loss": lambda: dict(views=_z(3, 4, 3), tau=0.5),
    "mixnacl_loss": lambda: dict(z_mix=_z(4, 3), bank=_z(2, 4, 3), perm=torch.tensor([1, 0, 3, 2]), lam=0.4,
                                 tau=0.5),
    "ascend": lambda: dict(objective=lambda v: (v ** 2).sum(), x=_x(2), eps=0.05, steps=2, step_size=0.02),
    "fgsm": lambda: dict(model=_probed(), x=_x(), y=torch.zeros(6, dtype=torch.int64), eps=0.05),
    "pgd": lambda: dict(model=_probed(), x=_x(), y=torch.zeros(6, dtype=torch.int64), eps=0.05, steps=3),
    "Encoder": lambda: dict(hidden=8, feat_dim=4, proj_dim=4),
    "TrainConfig": lambda: dict(epochs=1, batch=32, tau=0.5, positives=2, lam=1.0, eps_train=0.1, attack_steps=1,
                                lr=3e-3, hidden=8, feat_dim=4, proj_dim=4, mix_alpha=1.0,
                                aug=dict(shift_px=1.0, noise=0.05)),
    "Probed": lambda: dict(encoder=T.Encoder(8, 4, 4), linear=nn.Linear(4, 3)),
    "Run": lambda: dict(method="simclr", seed=0, model=None, acc={"standard": 90.0}, cpu_s=1.0),
    "contrastive_loss": lambda: dict(method="intnacl", model=T.Encoder(8, 4, 4), views=_x(12).reshape(3, 4, 1, 8, 8),
                                     cfg=_cfg(), generator=torch.Generator().manual_seed(0)),
    "pretrain": lambda: dict(x=_x(16), method="nacl", cfg=_cfg(), seed=0),
    "train_supervised": lambda: dict(x=_x(16), y=torch.arange(16) % 3, cfg=_cfg(), seed=0),
    "fit_probe": lambda: dict(encoder=T.Encoder(8, 4, 4), x=_x(12), y=torch.arange(12) % 3, C=1.0),
    "accuracy": lambda: dict(model=_probed(), x=_x(), y=torch.zeros(6, dtype=torch.int64), eps=0.05, attack="pgd",
                             steps=2),
    "run_methods": lambda: dict(pretrain_data=_data(), probe_data=_data(), methods=("simclr", "a2a"), seeds=(0,),
                                cfg=_cfg(), eps=(0.05,), attack="fgsm", supervised=False,
                                overrides={"a2a": T.retune(_cfg(), eps_train=0.05)}),
    "table": lambda: dict(runs=list(_runs())),
    "summary": lambda: dict(runs=list(_runs())),
    "retune": lambda: dict(cfg=_cfg(), epochs=2),
    "eps_sweep": lambda: dict(runs=list(_runs())[:1], data=_data(), eps_grid=(0.0, 0.05), attacks=("fgsm", "pgd"),
                                steps=2),
    "nca_connection": lambda: dict(n=8, d=4, tau=0.5, seed=0),
    "paired_gain": lambda: dict(runs=list(_runs()), method="nacl", metric="standard", baseline="simclr"),
    "standard_gain_claim": lambda: dict(runs=list(_runs()), method="nacl", metric="standard", baseline="simclr"),
    "robust_gain_claim": lambda: dict(runs=list(_runs()), metric="robust@0.05", methods=("intcl", "intnacl"),
                                      baseline="simclr"),
    "upper_right_claim": lambda: dict(runs=list(_runs()), metric="robust@0.05", slack=0.5),
    "sweep_gain_claim": lambda: dict(sweep=T.eps_sweep(list(_runs()), _data(), eps_grid=(0.05,), attacks=("pgd",),
                                                       steps=2), eps=0.05, attack="pgd", baseline="simclr"),
    "gain_claim": lambda: dict(runs=list(_runs()), methods=("intcl", "intnacl"), baseline="simclr",
                               metric="robust@0.05", beside="standard", pick="min"),
    "gain_table": lambda: dict(runs=list(_runs()), pairs=(("intcl", "simclr"), ("intnacl", "intcl")),
                               metric="robust@0.05"),
    "scales_markdown": lambda: dict(scales=dict(T.SCALES)),
    "augment_figure": lambda: dict(x=_x(2), n_views=2, seed=0, aug=dict(noise=0.0)),
    "figure1": lambda: dict(runs=list(_runs()), metric="robust@0.05", title="t"),
    "eps_figure": lambda: dict(sweep=T.eps_sweep(list(_runs())[:2], _data(), eps_grid=(0.0, 0.05))),
    "transfer_figure": lambda: dict(runs=list(_runs()), metric="robust@0.05"),
    "embedding_2d": lambda: dict(model=_probed(), x=_x(), y=torch.arange(6) % 2),
}
SKIP = {"explorer": "widget; driven by notebook 04's explorer-check cell and tests/test_nacl.py"}
