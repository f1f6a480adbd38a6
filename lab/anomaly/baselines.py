"""Baselines on the same features, through scikit-learn: IsolationForest, OneClassSVM and a
PCA reconstruction error. Each is fitted on good runs only and scores "higher = more anomalous"."""
from __future__ import annotations

from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

from lab.core.checks import check_array, check_choice, check_int

BASELINES = ("IsolationForest", "OneClassSVM", "PCA")


def fit_baseline(name: str, X_good, seed: int = 0):
    """Fit baseline `name` (IsolationForest, OneClassSVM or PCA with 4 components) on X_good (R, M)
    after standardisation; returns a function X -> anomaly scores (R,)."""
    check_choice("name", name, BASELINES)
    X = check_array("X_good", X_good, ndim=2)
    if X.shape[0] < 5:
        raise ValueError(f"X_good must hold at least 5 runs; got {X.shape[0]}")
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    sc = StandardScaler().fit(X)
    Z = sc.transform(X)
    if name == "IsolationForest":
        m = IsolationForest(n_estimators=200, random_state=seed).fit(Z)
        return lambda Y: -m.score_samples(sc.transform(check_array("X", Y, ndim=2)))
    if name == "OneClassSVM":
        m = OneClassSVM(nu=0.05, gamma="scale").fit(Z)
        return lambda Y: -m.score_samples(sc.transform(check_array("X", Y, ndim=2)))
    p = PCA(n_components=min(4, Z.shape[0] - 1, Z.shape[1]), random_state=seed).fit(Z)

    def pca_score(Y):
        W = sc.transform(check_array("X", Y, ndim=2))
        return ((p.inverse_transform(p.transform(W)) - W) ** 2).mean(1)
    return pca_score
