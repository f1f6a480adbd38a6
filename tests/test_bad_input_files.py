"""Bad files for every loader (issue 30's loader kind).

`tests/test_bad_input.py` sweeps arguments from a valid call; a loader's real input is a file, and a file goes
wrong in ways no argument sweep reaches. Every public loader gets, beside a valid file it must read, five bad
ones: missing, empty, truncated (the first half of a valid file), of another format (a valid file of a
different loader), and well-formed but holding NaN where numbers go. Each bad file must be refused with a
ValueError (or FileNotFoundError for a missing file) whose message names the path or the argument, never an
error from deep inside numpy, zipfile, PIL, scipy or json, and never a silent NaN.
"""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from lab import anomaly, tomography, ufm
from lab.core.paths import data_dir
from lab.data import scenes

KINDS = ("missing", "empty", "truncated", "other_format", "nan")


def _depth_png(p: Path) -> Path:
    depth = np.full((6, 8), 1.5, np.float32)
    return scenes.write_depth_png(p, depth)


def _trajectory(p: Path) -> Path:
    return scenes.write_tum_trajectory(p, [0.0, 0.1], np.stack([np.eye(4), np.eye(4)]))


def _intrinsics(p: Path) -> Path:
    return scenes.write_intrinsics_json(p, scenes.Intrinsics(8, 6, 5.0, 5.0, 4.0, 3.0))


def _mill(p: Path) -> Path:
    # the layout load_mill documents: a struct array `mill` with the scalar fields and one signal per sensor
    dtype = [(f, object) for f in anomaly.mill.FIELDS]
    rec = np.zeros((1, 2), dtype=dtype)
    rng = np.random.default_rng(0)
    for j in range(2):
        for f in anomaly.mill.FIELDS:
            rec[0, j][f] = rng.normal(size=(256, 1)) if f in anomaly.mill.SIGNALS else np.array([[float(j + 1)]])
    scipy.io.savemat(p, {"mill": rec})
    return p


def _copy(src: Path):
    def make(p: Path) -> Path:
        shutil.copyfile(src, p)
        return p
    return make


def _npz_with_nan(src: Path, p: Path) -> Path:
    """A copy of the archive `src` with its first float array filled with NaN, everything else as it was."""
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    key = next(k for k, a in arrays.items() if a.dtype.kind == "f" and a.size)
    arrays[key] = np.full_like(arrays[key], np.nan)
    with zipfile.ZipFile(p, "w") as zf:  # np.savez would append .npy names the same way; keep the keys exact
        for k, a in arrays.items():
            with zf.open(k + ".npy", "w") as fh:
                np.lib.format.write_array(fh, a, allow_pickle=False)
    return p


def _text_with_nan(make):
    def nan(p: Path) -> Path:
        make(p)
        text = p.read_text()
        # the first number after the first separator becomes nan (the trajectory's tx, the JSON's width)
        if p.suffix == ".json":
            d = json.loads(text)
            d["intrinsic_matrix"][0] = "NaN"
            p.write_text(json.dumps(d).replace('"NaN"', "NaN"))
        else:
            lines = text.splitlines()
            i = next(k for k, ln in enumerate(lines) if ln.strip() and not ln.startswith("#"))
            parts = lines[i].split()
            parts[1] = "nan"
            lines[i] = " ".join(parts)
            p.write_text("\n".join(lines) + "\n")
        return p
    return nan


def _mill_with_nan(p: Path) -> Path:
    _mill(p)
    mat = scipy.io.loadmat(p)
    mat["mill"][0, 0][anomaly.mill.SIGNALS[0]] = np.full((256, 1), np.nan)
    scipy.io.savemat(p, {"mill": mat["mill"]})
    return p


# name: (loader, suffix, valid-file maker, NaN-file maker, a maker of another loader's valid file)
LOADERS = {
    "tomography.load_priors": (tomography.load_priors, ".npz", _copy(data_dir() / "tomography" / "priors.npz"),
                               lambda p: _npz_with_nan(data_dir() / "tomography" / "priors.npz", p), _depth_png),
    "ufm.load_ensemble": (ufm.load_ensemble, ".npz", _copy(data_dir() / "ufm" / "ensemble.npz"),
                          lambda p: _npz_with_nan(data_dir() / "ufm" / "ensemble.npz", p), _mill),
    "anomaly.load_mill": (anomaly.load_mill, ".mat", _mill, _mill_with_nan,
                          _copy(data_dir() / "tomography" / "priors.npz")),
    "scenes.read_depth_png": (scenes.read_depth_png, ".png", _depth_png, None, _intrinsics),
    "scenes.read_tum_trajectory": (scenes.read_tum_trajectory, ".txt", _trajectory, _text_with_nan(_trajectory),
                                   _depth_png),
    "scenes.read_intrinsics_json": (scenes.read_intrinsics_json, ".json", _intrinsics, _text_with_nan(_intrinsics),
                                    _depth_png),
}


def _bad_file(kind: str, name: str, tmp: Path) -> Path:
    _, suffix, valid, nan, other = LOADERS[name]
    p = tmp / f"bad_{kind}{suffix}"
    if kind == "missing":
        return p
    if kind == "empty":
        p.write_bytes(b"")
    elif kind == "truncated":
        data = valid(tmp / f"valid{suffix}").read_bytes()
        p.write_bytes(data[: len(data) // 2])
    elif kind == "other_format":
        other(tmp / f"other_{suffix[1:]}.bin")
        shutil.copyfile(tmp / f"other_{suffix[1:]}.bin", p)
    elif kind == "nan":
        if nan is None:
            pytest.skip(f"{name}: the format holds integers only; NaN cannot be written")
        nan(p)
    return p


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_the_valid_file_is_read(name, tmp_path):
    load, suffix, valid, _, _ = LOADERS[name]
    assert load(valid(tmp_path / f"valid{suffix}")) is not None


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", sorted(LOADERS))
def test_a_bad_file_is_refused_by_name(name, kind, tmp_path):
    load = LOADERS[name][0]
    p = _bad_file(kind, name, tmp_path)
    errors = (ValueError, FileNotFoundError) if kind == "missing" else (ValueError,)
    with pytest.raises(errors) as info:
        load(p)
    msg = str(info.value)
    assert "path" in msg or p.name in msg, f"{name}({kind}): the message names neither the path nor the file: {msg}"
    # a clear refusal, not an error from a library's depths re-labelled
    assert type(info.value) in (ValueError, FileNotFoundError), type(info.value)
