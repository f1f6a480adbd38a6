"""Weight archives that reproduce byte for byte: numpy arrays in a .npz (an uncompressed zip of .npy
files) with fixed timestamps, so equal weights always give an identical file (notebooks 02 and 11
ship such files and check their training commands against them)."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Mapping

import numpy as np

from .checks import check_type


def write_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> Path:
    """Write `arrays` (name -> array; no object arrays) to `path` as a byte-reproducible .npz."""
    check_type("path", path, (str, Path))
    check_type("arrays", arrays, Mapping)
    if not str(path).strip() or Path(path).name in ("", ".", ".."):
        raise ValueError(f"path must name a file; got {str(path)!r}")
    for name, arr in arrays.items():
        if not isinstance(name, str) or not name or any(ord(ch) < 32 for ch in name):
            raise ValueError(f"arrays must be keyed by non-empty names without control characters; got {name!r}")
        if np.asarray(arr).dtype == object:
            raise TypeError(f"arrays[{name!r}] must be a numeric or string array, not an object array")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buf.getvalue())
    return path
