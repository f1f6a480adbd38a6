"""Unsupervised anomaly detection on high-frequency time series in the frequency domain
(F.-K. Sun, J. H. Lang, D. S. Boning, MIT MTL 2022) -- notebooks/12_anomaly.ipynb.

A milling vibration simulator (good runs, worn tools, coolant off; runs of different lengths and
sampling rates), the rFFT magnitude with fractional average pooling to M bins, a small
autoencoder with input dropout trained on good runs only, the mean + 2σ threshold, baselines
(IsolationForest, OneClassSVM, PCA), every detector also on whole-run time-domain statistics (RMS,
peak-to-peak, kurtosis, crest factor, ...), a fault-severity sweep, and a loader for the UC Berkeley /
NASA milling data set's `mill.mat`.
"""
from lab.core.scale import freeze

from .baselines import BASELINES, fit_baseline
from .claims import (accuracy_claim, auc_claim, beats_claim, false_alarm_claim, frequency_beats_time_claim,
                     sensitivity_claim)
from .evaluate import (DETECTORS, FAULTS, METHODS, Result, features, method_input, roc_points, run_experiment,
                       run_on_dataset, run_seeds, severity_sweep, severity_to_reach, summary, sweep)
from .functional import (TIME_FEATURES, frac_avg_pool, pool_spectra, rfft_magnitude, spectrum_features,
                         time_features, time_window)
from .mill import FIELDS, MillRun, find_mill, load_mill, mill_dataset
from .models import AutoEncoder, Detector, train_detector, two_sigma_threshold
from .simulate import KINDS, Dataset, Run, make_dataset, run_plan, simulate_run
from .views import explorer, roc_figure, severity_figure, spectrum_figure, sweep_figure, time_figure

SCALES = freeze({
    "small": dict(seeds=(0, 1, 2), n_train=100, n_test=50, n_fault=50, M=64, dropout=0.3, epochs=300,
                  severity=1.0, M_values=(16, 32, 64, 128), dropout_values=(0.0, 0.2, 0.5),
                  severities=(0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0), n_sweep=20),
    "paper": dict(seeds=(0, 1, 2, 3, 4), n_train=400, n_test=200, n_fault=200, M=64, dropout=0.3, epochs=1000,
                  severity=1.0, M_values=(8, 16, 32, 64, 128, 256), dropout_values=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7),
                  severities=(0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0), n_sweep=100),
})

__all__ = [
    "SCALES", "KINDS", "FAULTS", "METHODS", "DETECTORS", "BASELINES", "FIELDS", "TIME_FEATURES",
    "Run", "Dataset", "simulate_run", "run_plan", "make_dataset",
    "rfft_magnitude", "frac_avg_pool", "pool_spectra", "spectrum_features", "time_features", "time_window",
    "AutoEncoder", "Detector", "train_detector", "two_sigma_threshold", "fit_baseline",
    "Result", "method_input", "features", "run_experiment", "run_seeds", "summary", "roc_points", "sweep",
    "severity_sweep", "severity_to_reach", "run_on_dataset",
    "auc_claim", "accuracy_claim", "frequency_beats_time_claim", "beats_claim", "sensitivity_claim",
    "false_alarm_claim",
    "MillRun", "load_mill", "mill_dataset", "find_mill",
    "time_figure", "spectrum_figure", "roc_figure", "sweep_figure", "severity_figure", "explorer",
]
