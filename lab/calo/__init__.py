"""Calorimetry clustering with SPVCNN. Backs notebooks/09_calo.ipynb.

Paper: Z. Liu, X. Yang, S. Han et al. (with UW and MIT physics), calorimetry clustering with
SPVCNN, MIT MTL research report 2022.

Files: `events.py` the synthetic HGCAL-like calorimeter, mean-shift clustering and panoptic
quality; `models.py` batches, the discriminative loss and the EdgeConv GNN baseline; `spvcnn.py`
the authors' SPVCNN on `lab.sparseconv`; `train.py` training, scoring, CPU timing and the
seed-by-seed comparison; `claims.py` the claim helpers; `views.py` the figures and the Open3D explorer.
Units: positions in cm (1 cm = 1 cell), energies in GeV.
"""
from .claims import baseline_claim, ci_reading, energy_gap_claim, pq_gap_claim
from .events import (NOISE, Event, Geometry, PQCounts, cluster_embeddings, event_summary, generate_event,
                     generate_events, geometric_clusters, mean_shift, panoptic_quality)
from .models import DELTA_D, DELTA_V, EMB_DIM, Batch, EdgeConv, EdgeConvGNN, device_of, discriminative_loss, knn, make_batch
from .spvcnn import AUTHORS_CS, VOXEL_CM, SPVCNN, ConvBlock, ResidualBlock, point_to_voxel, scaled_widths
from .train import (AUTHORS_PARAMS, BANDWIDTHS, BASELINES, CLUSTERERS, CR, GNN_EQ_WIDTH, MODELS, build_model, compare, embed, gap, inference_ms, loss_fn,
                    n_params, predict, run_seed, score, train, tune_bandwidth)
from .views import (cluster_colors, cluster_table, comparison_figure, energy_marker_sizes, event_geometries,
                    explorer, shower_profiles_figure)

SCALES = {
    # events: generator settings; n_train / n_test events per seed; training epochs and batch
    # (events per batch); n_tune training events for the mean-shift bandwidth; n_jobs worker
    # processes (one (seed, model) each); the claims are measured over `seeds`, paired by seed.
    "small": dict(events=dict(particles=(2, 4), energy_gev=(3.0, 30.0), dep_per_gev=10.0),
                  n_train=6, n_test=6, epochs=4, batch=3, lr=1e-2, n_tune=3, n_jobs=1, seeds=(0, 1, 2)),
    # sized from CPU time measured on a loaded machine: about 80 ms (SPVCNN), 32 ms (GNN) and
    # 130 ms (GNN-eq) per small event and epoch, about 1.8 times that at ~550 hits per event,
    # so about 4-5 CPU minutes per seed, 10-12 minutes on two cores
    "paper": dict(events=dict(particles=(3, 6), energy_gev=(3.0, 60.0), dep_per_gev=10.0),
                  n_train=64, n_test=40, epochs=10, batch=8, lr=5e-3, n_tune=8, n_jobs=2, seeds=(0, 1, 2, 3, 4)),
}

__all__ = [
    "SCALES", "NOISE", "DELTA_V", "DELTA_D", "EMB_DIM", "VOXEL_CM", "MODELS",
    "Geometry", "Event", "generate_event", "generate_events", "event_summary",
    "mean_shift", "cluster_embeddings", "geometric_clusters", "PQCounts", "panoptic_quality",
    "discriminative_loss", "Batch", "make_batch", "knn", "EdgeConv", "EdgeConvGNN",
    "AUTHORS_CS", "AUTHORS_PARAMS", "BASELINES", "CR", "GNN_EQ_WIDTH", "SPVCNN", "ConvBlock", "ResidualBlock", "point_to_voxel", "scaled_widths", "inference_ms",
    "BANDWIDTHS", "CLUSTERERS", "device_of", "embed", "tune_bandwidth",
    "build_model", "n_params", "loss_fn", "train", "predict", "score", "run_seed", "compare", "gap",
    "cluster_colors", "cluster_table", "event_geometries", "energy_marker_sizes", "explorer",
    "shower_profiles_figure", "comparison_figure",
    "pq_gap_claim", "energy_gap_claim", "baseline_claim", "ci_reading",
]
