"""The frequency-domain features: rFFT magnitude and fractional average pooling.

Fractional average pooling (our reading of the paper's definition): N input bins are brought to
M outputs by cutting [0, N) into M equal pieces with fractional edges e_j = j·N/M; output j is
the mean of the input over [e_j, e_{j+1}), each input bin weighted by the length of its overlap
with that piece. So the mean of the output equals the mean of the input, an integer ratio N/M
gives plain block averages, and where torch.nn.functional.adaptive_avg_pool1d's integer bins
coincide with these pieces the two agree (the tests check all three).
"""
from __future__ import annotations

import numpy as np

from lab.core.checks import check_array, check_int, check_number

MAX_BINS = 4096
TIME_FEATURES = ("rms", "peak_to_peak", "kurtosis", "crest_factor", "skewness", "shape_factor",
                 "impulse_factor", "clearance_factor")


def frac_avg_pool(x, M: int) -> np.ndarray:
    """Fractional average pooling of the last axis of x (..., N) to (..., M), 1 ≤ M ≤ 4096.

    Output j = (M/N)·∫ x over [jN/M, (j+1)N/M), x taken piecewise constant on its bins: computed
    from the running integral S(t) = Σ_{i<⌊t⌋} x_i + (t − ⌊t⌋)·x_⌊t⌋ as (S(e_{j+1}) − S(e_j))·M/N."""
    x = check_array("x", x, ndim=(1, 2)).astype(float)
    M = check_int("M", M, lo=1, hi=MAX_BINS)
    N = x.shape[-1]
    edges = np.arange(M + 1) * (N / M)
    c = np.concatenate([np.zeros(x.shape[:-1] + (1,)), np.cumsum(x, axis=-1)], axis=-1)
    i = np.minimum(np.floor(edges).astype(int), N - 1)
    S = c[..., i] + (edges - i) * x[..., i]
    return (S[..., 1:] - S[..., :-1]) * (M / N)


def rfft_magnitude(x, fs: float, f_max: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """|rFFT(x)| / len(x) of a 1-D signal and its frequencies [Hz]; kept up to f_max [Hz]
    (≤ fs/2) when given. Returns (frequencies, magnitudes)."""
    x = check_array("x", x, ndim=1, min_size=2)
    fs = check_number("fs", fs, lo=0.0, hi=1e7, lo_open=True)
    mag = np.abs(np.fft.rfft(x - x.mean())) / len(x)
    f = np.fft.rfftfreq(len(x), 1.0 / fs)
    if f_max is not None:
        f_max = check_number("f_max", f_max, lo=0.0, hi=fs / 2, lo_open=True)
        keep = f < f_max
        f, mag = f[keep], mag[keep]
    return f, mag


def _check_signals(signals) -> None:
    if not isinstance(signals, (list, tuple)) or not signals:
        raise TypeError("signals must be a non-empty list of 1-D arrays")
    for i, x in enumerate(signals):
        check_array(f"signals[{i}]", x, ndim=1, min_size=2)


def spectrum_features(signals, rates, M: int = 64, f_max: float = 4000.0) -> np.ndarray:
    """(R, M) log10 pooled rFFT magnitudes of R runs of any lengths: each run's magnitude
    spectrum over [0, f_max) Hz (the band every run covers, our reading) is pooled to M bins.
    signals: sequence of 1-D arrays; rates: their sampling rates [Hz]."""
    _check_signals(signals)
    rates = check_array("rates", rates, ndim=1, lo=1.0)
    if len(signals) != len(rates) or len(signals) > 100_000:
        raise ValueError(f"signals and rates must have the same length (≤ 100000); got {len(signals)}, {len(rates)}")
    M = check_int("M", M, lo=1, hi=MAX_BINS)
    f_max = check_number("f_max", f_max, lo=0.0, lo_open=True)
    mags = [rfft_magnitude(x, float(fs), min(f_max, float(fs) / 2))[1] for x, fs in zip(signals, rates)]
    return pool_spectra(mags, M)


def pool_spectra(mags, M: int = 64) -> np.ndarray:
    """(R, M) log10 of each magnitude spectrum in `mags` (a sequence of 1-D arrays of any
    lengths ≥ M, at most 100000 of them) pooled to M bins by frac_avg_pool."""
    if not hasattr(mags, "__len__") or isinstance(mags, (str, bytes)) or not 1 <= len(mags) <= 100_000:
        raise TypeError("mags must be a sequence of 1..100000 one-dimensional arrays")
    M = check_int("M", M, lo=1, hi=MAX_BINS)
    out = np.empty((len(mags), M))
    for i, mag in enumerate(mags):
        mag = check_array(f"mags[{i}]", mag, ndim=1, lo=0.0)
        if len(mag) < M:
            raise ValueError(f"mags[{i}] is too short for M={M}: {len(mag)} frequency bins below f_max")
        out[i] = frac_avg_pool(mag, M)
    return np.log10(out + 1e-12)


def time_window(signals, rates, M: int = 64, fs_ref: float = 10_000.0) -> np.ndarray:
    """(R, M) raw windows: each run resampled to fs_ref [Hz] by linear interpolation, then M
    consecutive samples from the middle of the run (M/fs_ref seconds: 6.4 ms at M = 64, less than one
    spindle revolution). No detector uses it (their time-domain input is time_features); it shows what
    the phase of a signal does to a raw window (notebook 12, exercise 3)."""
    _check_signals(signals)
    rates = check_array("rates", rates, ndim=1, lo=1.0)
    if len(signals) != len(rates) or len(signals) > 100_000:
        raise ValueError(f"signals and rates must have the same length (≤ 100000); got {len(signals)}, {len(rates)}")
    M = check_int("M", M, lo=1, hi=MAX_BINS)
    fs_ref = check_number("fs_ref", fs_ref, lo=1.0, hi=1e7)
    out = np.empty((len(signals), M))
    for i, (x, fs) in enumerate(zip(signals, rates)):
        x = check_array(f"signals[{i}]", x, ndim=1, min_size=2)
        dur = len(x) / float(fs)
        t0 = dur / 2 - M / fs_ref / 2
        if t0 < 0:
            raise ValueError(f"signals[{i}] is shorter than M={M} samples at fs_ref")
        t = t0 + np.arange(M) / fs_ref
        out[i] = np.interp(t, np.arange(len(x)) / float(fs), x)
    return out


def time_features(signals, rates) -> np.ndarray:
    """(R, 8) whole-run condition-monitoring statistics of R runs of any lengths, one row per run, in
    the order of TIME_FEATURES: RMS [signal unit], peak-to-peak [signal unit], kurtosis (4th standardised
    moment, 3 for a Gaussian), crest factor (peak / RMS), skewness, shape factor (RMS / mean |x|),
    impulse factor (peak / mean |x|) and clearance factor (peak / mean(sqrt|x|)²), each of the whole run
    with its mean removed (the spectrum leaves out 0 Hz too). The time-domain detectors' input: every
    sample of the run counts, as in vibration condition monitoring; one signal per run (a run with
    several sensors would take these per signal, side by side). The peak-based statistics grow slowly
    with the run's length (the largest of more samples). signals: sequence of 1-D arrays (at least 2
    samples within ±1e100, not constant); rates: their sampling rates [Hz] (checked; the statistics do
    not use them)."""
    _check_signals(signals)
    rates = check_array("rates", rates, ndim=1, lo=1.0)
    if len(signals) != len(rates) or len(signals) > 100_000:
        raise ValueError(f"signals and rates must have the same length (≤ 100000); got {len(signals)}, {len(rates)}")
    out = np.empty((len(signals), len(TIME_FEATURES)))
    for i, x in enumerate(signals):
        x = check_array(f"signals[{i}]", x, ndim=1, min_size=2, lo=-1e100, hi=1e100).astype(float)
        level = np.abs(x).max()
        x = x - x.mean()
        a = np.abs(x)
        x2 = x * x
        rms, mean_abs, peak = np.sqrt(x2.mean()), a.mean(), a.max()
        if not rms > 1e-12 * level:
            raise ValueError(f"signals[{i}] must not be constant (its RMS about its mean is 0)")
        m2 = rms * rms
        out[i] = (rms, x.max() - x.min(), np.dot(x2, x2) / len(x) / m2 ** 2, peak / rms,
                  np.dot(x2, x) / len(x) / m2 ** 1.5, rms / mean_abs, peak / mean_abs, peak / np.sqrt(a).mean() ** 2)
    return out
