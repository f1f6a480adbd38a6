"""Calorimetry clustering with SPVCNN. Backs notebooks/09_calo.ipynb.

Paper: Z. Liu, X. Yang, S. Han et al. (with UW and MIT physics), calorimetry clustering with
SPVCNN, MIT MTL research report 2022.

Files: `events.py` the synthetic HGCAL-like calorimeter, mean-shift clustering and panoptic
quality; `models.py` SPVCNN and the EdgeConv GNN baseline, the discriminative loss, training
and the seed-by-seed comparison; `claims.py` the claim helpers; `views.py` the figures and the Open3D explorer.
Units: positions in cm (1 cm = 1 cell), energies in GeV.
"""
from .claims import baseline_claim, ci_reading, energy_gap_claim, pq_gap_claim
from .events import (NOISE, Event, Geometry, PQCounts, cluster_embeddings, event_summary, generate_event,
                     generate_events, geometric_clusters, mean_shift, panoptic_quality)
from .models import (BANDWIDTHS, CLUSTERERS, DELTA_D, DELTA_V, EMB_DIM, MODELS, VOXEL_CM, SPVCNN, Batch, EdgeConv,
                     EdgeConvGNN, build_model, compare, device_of, discriminative_loss, embed, gap, knn, loss_fn,
                     make_batch, n_params, point_to_voxel, predict, run_seed, score, train, tune_bandwidth)
from .views import (cluster_colors, cluster_table, comparison_figure, energy_marker_sizes, event_geometries,
                    explorer, shower_profiles_figure)

SCALES = {
    # events: generator settings; n_train / n_test events per seed; training epochs and batch
    # (events per batch); n_tune training events for the mean-shift bandwidth; n_jobs worker
    # processes (one (seed, model) each); the claim is measured over `seeds`, paired by seed.
    "small": dict(events=dict(particles=(2, 4), energy_gev=(3.0, 30.0), dep_per_gev=10.0),
                  n_train=16, n_test=12, epochs=6, batch=4, lr=1e-2, n_tune=6, n_jobs=1, seeds=(0, 1, 2)),
    # sized from measured CPU time: ~12 ms (SPVCNN) + ~55 ms (GNN) per event and epoch at ~550 hits
    # per event, so ~2.5 CPU minutes per seed, ~6-7 min on two quiet cores
    "paper": dict(events=dict(particles=(3, 6), energy_gev=(3.0, 60.0), dep_per_gev=10.0),
                  n_train=200, n_test=60, epochs=10, batch=8, lr=5e-3, n_tune=8, n_jobs=2, seeds=(0, 1, 2, 3, 4)),
}

__all__ = [
    "SCALES", "NOISE", "DELTA_V", "DELTA_D", "EMB_DIM", "VOXEL_CM", "MODELS",
    "Geometry", "Event", "generate_event", "generate_events", "event_summary",
    "mean_shift", "cluster_embeddings", "geometric_clusters", "PQCounts", "panoptic_quality",
    "discriminative_loss", "Batch", "make_batch", "knn", "EdgeConv", "EdgeConvGNN", "SPVCNN", "point_to_voxel",
    "BANDWIDTHS", "CLUSTERERS", "device_of", "embed", "tune_bandwidth",
    "build_model", "n_params", "loss_fn", "train", "predict", "score", "run_seed", "compare", "gap",
    "cluster_colors", "cluster_table", "event_geometries", "energy_marker_sizes", "explorer",
    "shower_profiles_figure", "comparison_figure",
    "pq_gap_claim", "energy_gap_claim", "baseline_claim", "ci_reading",
]
