"""Valid, fast calls of lab.netaug's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import numpy as np
import torch

from lab import netaug as T
from lab.data import Digits, load_digits


@lru_cache(maxsize=1)
def _data() -> Digits:
    d = load_digits(n_train=60, n_test=30, seed=0)
    return d


@lru_cache(maxsize=1)
def _runs():
    d = _data()
    return [T.train(m, d, 0, epochs=1, base_width=0.5, batch=32) for m in ("baseline", "dropout", "augment", "netaug")]


def _gains():
    return T.gains(_runs())


def _sweep_gains():
    rs = _runs()
    return T.gains(rs + [T.train(m, _data(), 0, epochs=1, base_width=1.0, batch=32) for m in ("baseline", "netaug")])


@lru_cache(maxsize=1)
def _sweep_g():
    return _sweep_gains()


def _x():
    return torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(0))


SPECS = {
    "Config": lambda: dict(stem=2, outs=(4, 8), hidden=(4, 8)),
    "Result": lambda: dict(method="baseline", seed=0, base_width=0.5, loss_curve=[1.0, 0.5], train_acc=0.5,
                           test_acc=0.4, model=T.TinyNet(0.5)),
    "TinyNet": lambda: dict(base_width=0.5, max_width_mult=2.6, max_expand_mult=2.8, dropout=0.1, n_classes=10),
    "TinyNet.config": lambda: dict(self=T.TinyNet(0.5, 2.6, 2.8), width_mult=1.8, expand_mult=2.2),
    "TinyNet.forward": lambda: dict(self=T.TinyNet(0.5), x=_x()),
    "accuracy": lambda: dict(net=T.TinyNet(0.5), x=_x(), y=torch.tensor([0, 1, 2, 3])),
    "augment_batch": lambda: dict(x=_x(), gen=torch.Generator().manual_seed(0), max_shift=1, noise=0.05),
    "claim_gain": lambda: dict(g=_gains(), params=412, epochs=12),
    "claim_gain_shrinks": lambda: dict(g=_sweep_g()),
    "claim_regularisers_hurt": lambda: dict(g=_gains()),
    "compare": lambda: dict(data=_data(), seeds=[0], methods=["baseline"], epochs=1, base_width=0.5, batch=32),
    "export_tiny": lambda: dict(net=T.TinyNet(0.5, 2.6, 2.8)),
    "gain_figure": lambda: dict(results=_runs()),
    "gains": lambda: dict(results=_runs(), reference="baseline"),
    "model_cost": lambda: dict(net=T.TinyNet(0.5)),
    "mults": lambda: dict(max_mult=2.6, n=3),
    "recalibrate_bn": lambda: dict(net=T.TinyNet(0.5), x=_x(), batch=2),
    "sample_config": lambda: dict(net=T.TinyNet(0.5, 2.6, 2.8), width_mults=(1.0, 1.8, 2.6),
                                  expand_mults=(1.0, 1.6, 2.2, 2.8), gen=torch.Generator().manual_seed(0),
                                  width_aug=True),
    "size_sweep": lambda: dict(data=_data(), sizes=[0.5], seeds=[0], done=_runs(), epochs=1, batch=32),
    "sort_channels": lambda: dict(net=T.TinyNet(0.5, 2.6, 2.8)),
    "summary": lambda: dict(results=_runs()),
    "train": lambda: dict(method="netaug", data=_data(), seed=0, epochs=1, base_width=0.5, batch=32, lr=0.01,
                          dropout=0.3, alpha=1.0, width_mults=(1.0, 1.8, 2.6), expand_mults=(1.0, 1.6, 2.2, 2.8),
                          sort_every=5, stop_width_at=0.5),
}
SKIP = {"explorer": "widget; driven by notebook 01's explorer-check cell and tests/test_netaug.py::test_explorer_updates"}
