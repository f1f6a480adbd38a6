"""Valid, fast calls of lab.calo's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import numpy as np
import pandas as pd
import torch

from lab import calo as T

SMALL = dict(particles=(2, 3), energy_gev=(3.0, 20.0), dep_per_gev=8.0)


@lru_cache(maxsize=1)
def _events():
    return T.generate_events(2, 0, **SMALL)


@lru_cache(maxsize=1)
def _gnn():
    return T.build_model("GNN", 0)


def _df():
    return pd.DataFrame([dict(seed=s, model=m, pq=v, pq_energy=v) for s, m, v in
                         [(0, "SPVCNN", 0.7), (0, "GNN", 0.6), (1, "SPVCNN", 0.5), (1, "GNN", 0.6)]])


def _stats():
    return T.gap(_df())


def _voxels():
    from lab import sparseconv as sc

    pc = torch.tensor([[0, 0.2, 0.3, 0.1], [0, 0.7, 0.1, 0.9], [0, 2.5, 0.5, 0.5], [1, 0.5, 0.5, 0.5]])
    return sc.voxelize(sc.PointTensor(pc, torch.zeros(4, 1)), 1), pc


SPECS = {
    "Geometry": lambda: dict(nx=16, ny=16, nz=8, cell_cm=1.0, layer_cm=1.0, lambda_layers=8.0, threshold_gev=0.004,
                             noise_mean_gev=0.008),
    "Event": lambda: dict(xyz=np.array([[0.5, 0.5, 0.5], [1.5, 0.5, 0.5]]), cell=np.array([[0, 0, 0], [1, 0, 0]]),
                          energy=np.array([0.1, 0.2]), cluster=np.array([0, -1]), kinds=["em"],
                          p_energy=np.array([0.3])),
    "generate_event": lambda: dict(seed=0, geometry=T.Geometry(), particles=(2, 3), energy_gev=(3.0, 20.0),
                                   em_fraction=0.5, noise_hits=10.0, dep_per_gev=8.0),
    "generate_events": lambda: dict(n=2, seed=0),
    "event_summary": lambda: dict(events=_events()),
    "mean_shift": lambda: dict(x=np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0]]), bandwidth=1.0, max_iter=50),
    "cluster_embeddings": lambda: dict(emb=np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]]),
                                       noise_prob=np.array([0.1, 0.1, 0.2, 0.9]), bandwidth=1.0, noise_threshold=0.5,
                                       min_hits=1, method="meanshift", min_cluster_size=5),
    "geometric_clusters": lambda: dict(event=_events()[0], eps_cm=2.0, min_hits=5),
    "PQCounts": lambda: dict(iou_sum=1.0, tp=2.0, fp=0.0, fn=1.0),
    "panoptic_quality": lambda: dict(truth=np.array([0, 0, 1, 1]), pred=np.array([0, 1, 1, 1]),
                                     energy=np.array([3.0, 1.0, 1.0, 1.0]), iou_threshold=0.5),
    "discriminative_loss": lambda: dict(emb=torch.zeros(4, 2), cluster=torch.tensor([0, 0, 1, -1]),
                                        event=torch.zeros(4, dtype=torch.long), delta_v=0.5, delta_d=1.5, normalize=True,
                                        p=1, reg=1e-3),
    "Batch": lambda: dict(feats=torch.zeros(2, 4), xyz=torch.zeros(2, 3), event=torch.zeros(2, dtype=torch.long),
                          cluster=torch.tensor([0, -1]), noise=torch.tensor([0.0, 1.0]), n_events=1),
    "make_batch": lambda: dict(events=list(_events()), geometry=T.Geometry(), device="cpu"),
    "device_of": lambda: dict(device="cpu"),
    "knn": lambda: dict(x=torch.randn(10, 3, generator=torch.Generator().manual_seed(0)),
                        event=torch.tensor([0] * 4 + [1] * 6), k=3),
    "EdgeConv": lambda: dict(c_in=3, c_out=5),
    "EdgeConvGNN": lambda: dict(widths=(8, 8), k=4, hidden=16, glob=8),
    "SPVCNN": lambda: dict(cr=0.05, dropout=0.3),
    "ConvBlock": lambda: dict(c_in=2, c_out=3, kernel_size=2, stride=2, transposed=False),
    "ResidualBlock": lambda: dict(c_in=2, c_out=3),
    "scaled_widths": lambda: dict(cr=0.25),
    "inference_ms": lambda: dict(model=_gnn(), events=list(_events()), batch=2, repeats=1),
    "point_to_voxel": lambda: dict(x=_voxels()[0], pcoords=_voxels()[1], pfeats=torch.ones(4, 1)),
    "build_model": lambda: dict(kind="GNN", seed=0, device="cpu"),
    "n_params": lambda: dict(model=_gnn()),
    "loss_fn": lambda: dict(model=_gnn(), b=T.make_batch(list(_events()))),
    "train": lambda: dict(model=T.build_model("GNN", 0), events=list(_events()), epochs=1, batch=2, lr=5e-3, seed=0,
                          progress=False),
    "predict": lambda: dict(model=_gnn(), events=list(_events()), batch=2, clusterer="meanshift", bandwidth=1.0),
    "embed": lambda: dict(model=_gnn(), events=list(_events()), batch=2),
    "tune_bandwidth": lambda: dict(model=_gnn(), events=list(_events()), bandwidths=(0.3, 0.6), batch=2),
    "score": lambda: dict(events=list(_events()), labels=[e.cluster for e in _events()]),
    "run_seed": lambda: dict(seed=0, n_train=2, n_test=1, epochs=1, batch=2, lr=5e-3, events=SMALL, models=("GNN",),
                             test_seed=999, n_tune=1, progress=False),
    "compare": lambda: dict(n_train=2, n_test=1, epochs=1, batch=2, lr=5e-3, seeds=(0,), events=SMALL, test_seed=999,
                            progress=False, models=("GNN",), n_tune=1, n_jobs=1),
    "gap": lambda: dict(df=_df(), metric="pq", level=0.95, baseline="GNN"),
    "cluster_colors": lambda: dict(labels=np.array([0, 1, -1])),
    "cluster_table": lambda: dict(event=_events()[0], labels=_events()[0].cluster),
    "event_geometries": lambda: dict(event=_events()[0], labels=_events()[0].cluster, boxes=True),
    "energy_marker_sizes": lambda: dict(energy=np.array([0.01, 0.1, 1.0]), lo=2.0, hi=9.0),
    "shower_profiles_figure": lambda: dict(events=list(_events())),
    "comparison_figure": lambda: dict(df=_df(), baseline_pq=0.3),
    "pq_gap_claim": lambda: dict(stats=_stats(), n_train=32, epochs=6, n_params=1_200_000, baseline_params=58_000),
    "ci_reading": lambda: dict(lo=-1.0, hi=2.0, baseline="GNN"),
    "energy_gap_claim": lambda: dict(stats=_stats()),
    "baseline_claim": lambda: dict(df=_df()[["model", "pq"]], baseline_pq=0.4),
}
SKIP = {"explorer": "widget; driven by notebook 09's explorer-check cell"}
