"""Calorimetry clustering with SPVCNN. Backs notebooks/09_calo.ipynb.

Paper: Z. Liu, X. Yang, S. Han et al. (with UW and MIT physics), calorimetry clustering with
SPVCNN, MIT MTL research report 2022.

Files: `events.py` the synthetic HGCAL-like calorimeter, mean-shift clustering and panoptic
quality; `models.py` SPVCNN and the EdgeConv GNN baseline, the discriminative loss, training
and the seed-by-seed comparison; `claims.py` the claim helpers; `views.py` the figures and the Open3D explorer.
Units: positions in cm (1 cm = 1 cell), energies in GeV.
"""
from .claims import baseline_claim, energy_gap_claim, pq_gap_claim
from .events import (NOISE, Event, Geometry, PQCounts, cluster_embeddings, event_summary, generate_event,
                     generate_events, geometric_clusters, mean_shift, panoptic_quality)
from .models import (DELTA_D, DELTA_V, EMB_DIM, MODELS, VOXEL_CM, SPVCNN, Batch, EdgeConv, EdgeConvGNN,
                     build_model, compare, discriminative_loss, gap, knn, loss_fn, make_batch, n_params,
                     point_to_voxel, predict, run_seed, score, train)
from .views import (cluster_colors, cluster_table, comparison_figure, energy_marker_sizes, event_geometries,
                    explorer, shower_profiles_figure)

SCALES = {
    # events: generator settings; n_train / n_test events per seed; training epochs and batch
    # (events per batch); the claim is measured over `seeds`.
    "small": dict(events=dict(particles=(2, 4), energy_gev=(3.0, 30.0), dep_per_gev=10.0),
                  n_train=32, n_test=12, epochs=6, batch=4, lr=1e-2, seeds=(0, 1, 2)),
    "paper": dict(events=dict(particles=(3, 6), energy_gev=(3.0, 60.0), dep_per_gev=25.0),
                  n_train=400, n_test=100, epochs=30, batch=8, lr=5e-3, seeds=(0, 1, 2, 3, 4)),
}

__all__ = [
    "SCALES", "NOISE", "DELTA_V", "DELTA_D", "EMB_DIM", "VOXEL_CM", "MODELS",
    "Geometry", "Event", "generate_event", "generate_events", "event_summary",
    "mean_shift", "cluster_embeddings", "geometric_clusters", "PQCounts", "panoptic_quality",
    "discriminative_loss", "Batch", "make_batch", "knn", "EdgeConv", "EdgeConvGNN", "SPVCNN", "point_to_voxel",
    "build_model", "n_params", "loss_fn", "train", "predict", "score", "run_seed", "compare", "gap",
    "cluster_colors", "cluster_table", "event_geometries", "energy_marker_sizes", "explorer",
    "shower_profiles_figure", "comparison_figure",
    "pq_gap_claim", "energy_gap_claim", "baseline_claim",
]
