"""The autoencoder anomaly detector: trained on good runs only, with dropout on its input as
augmentation; the anomaly score is the reconstruction error, the threshold mean + 2σ of the
training (good) runs' scores."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lab.core.checks import check_array, check_int, check_number, check_type
from lab.core.device import torch_device

MAX_EPOCHS = 20_000


class AutoEncoder(nn.Module):
    """M -> hidden -> code -> hidden -> M, ReLU, with dropout (rate p) on the input while training."""

    def __init__(self, M: int, hidden: int = 16, code: int = 4, dropout: float = 0.3):
        check_int("M", M, lo=1, hi=4096)
        check_int("hidden", hidden, lo=1, hi=4096)
        check_int("code", code, lo=1, hi=4096)
        check_number("dropout", dropout, lo=0.0, hi=0.95)
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.enc = nn.Sequential(nn.Linear(M, hidden), nn.ReLU(), nn.Linear(hidden, code))
        self.dec = nn.Sequential(nn.ReLU(), nn.Linear(code, hidden), nn.ReLU(), nn.Linear(hidden, M))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction of x (R, M) float32 (standardised features)."""
        check_type("x", x, torch.Tensor)
        m = self.enc[0].in_features
        if x.ndim != 2 or x.shape[1] != m:
            raise ValueError(f"x must have shape (R, {m}); got {tuple(x.shape)}")
        if x.dtype != torch.float32:
            raise TypeError(f"x must be a float32 tensor (the model's weights are float32); got {x.dtype}")
        if x.shape[0] < 1:
            raise ValueError(f"x must hold at least one row (R >= 1); got shape {tuple(x.shape)}")
        if not bool(torch.isfinite(x).all()):
            raise ValueError(f"x must be finite; found {int((~torch.isfinite(x)).sum())} NaN or inf value(s)")
        return self.dec(self.enc(self.drop(x)))


@dataclass
class Detector:
    """A trained detector: the autoencoder, the feature standardisation (mean, std per input,
    from the good training runs) and the threshold on the score."""
    model: AutoEncoder
    mean: np.ndarray
    std: np.ndarray
    threshold: float

    def __post_init__(self):
        check_type("model", self.model, AutoEncoder)
        m = self.model.enc[0].in_features
        self.mean = check_array("mean", self.mean, ndim=1)
        if len(self.mean) != m:
            raise ValueError(f"mean must hold one value per input of model (its M = {m}); got {len(self.mean)}")
        self.std = check_array("std", self.std, shape=(m,), lo=1e-12)
        check_number("threshold", self.threshold, lo=0.0)

    def score(self, X) -> np.ndarray:
        """Reconstruction error (mean squared, standardised units) of each row of X (R, M). A row so far
        from the training runs that its error overflows (float32, the model's precision) scores inf:
        it is anomalous, never silently NaN."""
        X = check_array("X", X, ndim=2, shape=(None, len(self.mean)))
        with np.errstate(over="ignore", invalid="ignore"):
            Z = torch.tensor((X - self.mean) / self.std, dtype=torch.float32)
        err = np.full(len(Z), np.inf)
        ok = torch.isfinite(Z).all(1)           # a row beyond float32 never reaches the model: it scores inf
        self.model.eval()
        if bool(ok.any()):
            with torch.no_grad():
                err[ok.numpy()] = ((self.model(Z[ok]) - Z[ok]) ** 2).mean(1).numpy().astype(float)
        return np.where(np.isfinite(err), err, np.inf)

    def predict(self, X) -> np.ndarray:
        """True where the score exceeds the threshold (anomalous)."""
        return self.score(X) > self.threshold


def two_sigma_threshold(scores, k: float = 2.0) -> float:
    """mean + k·std of the good runs' scores (k in [0, 10]; the paper's rule is k = 2)."""
    scores = check_array("scores", scores, ndim=1, min_size=2)
    k = check_number("k", k, lo=0.0, hi=10.0)
    return float(scores.mean() + k * scores.std())


def train_detector(X_good, *, dropout: float = 0.3, hidden: int = 16, code: int = 4, epochs: int = 300,
                   lr: float = 3e-3, weight_decay: float = 1e-3, seed: int = 0) -> Detector:
    """Train the autoencoder on the good runs X_good (R, M) (full batch Adam, `epochs` in
    1..20000), then set the threshold to mean + 2σ of their scores. Trains on `lab.core.torch_device()`
    (LAB_DEVICE, the CPU by default); the detector it returns scores on the CPU."""
    X = check_array("X_good", X_good, ndim=2)
    if X.shape[0] < 2:
        raise ValueError(f"X_good must hold at least 2 runs; got {X.shape[0]}")
    epochs = check_int("epochs", epochs, lo=1, hi=MAX_EPOCHS)
    lr = check_number("lr", lr, lo=0.0, hi=1.0, lo_open=True)
    weight_decay = check_number("weight_decay", weight_decay, lo=0.0, hi=1.0)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    torch.manual_seed(seed)
    mean, std = X.mean(0), X.std(0) + 1e-6
    dev = torch_device()
    Z = torch.tensor((X - mean) / std, dtype=torch.float32).to(dev)
    model = AutoEncoder(X.shape[1], hidden, code, dropout).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    model.train()
    for _ in range(epochs):
        opt.zero_grad()
        loss = ((model(Z) - Z) ** 2).mean()
        loss.backward()
        opt.step()
    det = Detector(model.cpu(), mean, std, 0.0)
    det.threshold = two_sigma_threshold(det.score(X))
    return det
