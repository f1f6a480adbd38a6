"""Valid, fast calls of lab.netaug's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import numpy as np
import torch

from lab import netaug as T


@lru_cache(maxsize=1)
def _data() -> T.Signals:
    d = T.make_mnist1d()
    return T.Signals(d.x_train[:60], d.y_train[:60], d.x_test[:30], d.y_test[:30])


@lru_cache(maxsize=1)
def _runs():
    d = _data()
    return [T.train(m, d, s, epochs=1, width=w, batch=32) for w in (0.25, 0.5) for s in (0, 1)
            for m in (("baseline", "dropout", "augment", "netaug") if w == 0.25 else ("baseline", "netaug"))]


def _x():
    return torch.randn(4, 40, generator=torch.Generator().manual_seed(0))


SPECS = {
    "Signals": lambda: dict(x_train=np.zeros((4, 40), np.float32), y_train=np.array([0, 1, 2, 3]),
                            x_test=np.zeros((2, 40), np.float32), y_test=np.array([4, 5])),
    "make_mnist1d": lambda: dict(num_samples=200, seed=1, train_split=0.8, cache=False),
    "Result": lambda: dict(method="baseline", seed=0, width=0.25, loss_curve=[1.0, 0.5], train_acc=0.5,
                           test_acc=0.4, model=T.TinyNet(0.25), val_curve=[0.3, 0.4], best_epoch=2),
    "TinyNet": lambda: dict(width=0.25, max_mult=2.6, dropout=0.1),
    "TinyNet.widths": lambda: dict(self=T.TinyNet(0.25, 2.6), mults=1.8),
    "TinyNet.forward": lambda: dict(self=T.TinyNet(0.25), x=_x()),
    "accuracy": lambda: dict(net=T.TinyNet(0.25), x=_x(), y=torch.tensor([0, 1, 2, 3])),
    "augment_batch": lambda: dict(x=_x(), gen=torch.Generator().manual_seed(0), max_shift=3, noise=0.1),
    "claim_gain": lambda: dict(results=_runs(), width=0.25, level=0.95),
    "claim_gain_shrinks": lambda: dict(results=_runs(), small=0.25, large=0.5, level=0.95),
    "claim_underfits": lambda: dict(results=_runs(), small=0.25, large=0.5, level=0.95, min_gap=5.0),
    "claim_regularisers_hurt": lambda: dict(results=_runs(), width=0.25, level=0.95),
    "compare": lambda: dict(data=_data(), seeds=[0], methods=["baseline"], epochs=1, width=0.25, batch=32),
    "export_tiny": lambda: dict(net=T.TinyNet(0.25, 2.6)),
    "fit_figure": lambda: dict(results=_runs()),
    "gain_figure": lambda: dict(results=_runs()),
    "gains": lambda: dict(results=_runs(), reference="baseline", level=0.95),
    "hidden_units": lambda: dict(width=0.25),
    "model_cost": lambda: dict(net=T.TinyNet(0.25)),
    "mults": lambda: dict(max_mult=2.6, n=3),
    "sample_widths": lambda: dict(net=T.TinyNet(0.25, 2.6), width_mults=(1.0, 1.8, 2.6),
                                  gen=torch.Generator().manual_seed(0)),
    "size_sweep": lambda: dict(data=_data(), sizes=[0.25], seeds=[0], done=_runs(), epochs=1, batch=32),
    "summary": lambda: dict(results=_runs()),
    "train": lambda: dict(method="netaug", data=_data(), seed=0, epochs=2, width=0.25, batch=32, lr=0.01,
                          dropout=0.3, alpha=1.0, width_mults=(1.0, 1.8, 2.6), plain_epochs=1, val_frac=0.1),
    "validation_split": lambda: dict(n_train=60, val_frac=0.1),
}
SKIP = {"explorer": "widget; driven by notebook 01's explorer-check cell and tests/test_netaug.py::test_explorer_updates"}
