"""The file formats of real recordings: 16-bit depth PNGs, TUM trajectories, Open3D intrinsics JSON."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from ...core.checks import check_array, check_int, check_number, check_type

from .camera import Intrinsics


# --------------------------------------------------------------------------- file formats
def write_depth_png(path: str | Path, depth: np.ndarray, depth_scale: float = 5000.0) -> Path:
    """Write a depth image [H,W] in metres as a 16-bit PNG holding depth·depth_scale
    (TUM: 5000 per metre, Redwood/Open3D: 1000; depth_scale in [1e-3, 1e7] units per metre). Values beyond
    65535 units are clipped to 0 (hole)."""
    from PIL import Image

    depth = check_array("depth", depth, ndim=2, lo=0.0)
    depth_scale = check_number("depth_scale", depth_scale, lo=1e-3, hi=1e7)
    units = np.round(depth.astype(np.float64) * depth_scale)
    units = np.where(units > 65535, 0, units).astype(np.uint16)
    path = _out_file(path)
    Image.fromarray(units).save(path, format="PNG")
    return path


def read_depth_png(path: str | Path, depth_scale: float = 5000.0) -> np.ndarray:
    """Read a 16-bit single-channel depth PNG (TUM, Redwood, Open3D) into a float32 depth
    image [H,W] in metres (0 = no measurement). Anything else (another format such as JPEG,
    8-bit or 1-bit PNGs, colour PNGs, a truncated file) is refused with a ValueError that
    names the file and says why. depth_scale: units per metre, in [1e-3, 1e7]."""
    from PIL import Image, UnidentifiedImageError

    depth_scale = check_number("depth_scale", depth_scale, lo=1e-3, hi=1e7)
    path = _existing_file(path, "a 16-bit depth PNG")
    try:
        with Image.open(path) as im:
            fmt, mode = im.format, im.mode
            if fmt != "PNG":
                raise ValueError(f"path: {path} is a {fmt} image, not a 16-bit depth PNG")
            bits = im.info.get("bits") or {"1": 1, "L": 8, "P": 8, "LA": 8, "RGB": 8, "RGBA": 8}.get(mode)
            if mode not in ("I;16", "I;16B", "I;16L", "I"):
                raise ValueError(f"path: {path} is a PNG of mode {mode!r}"
                                 f"{f' ({bits}-bit)' if bits else ''}, not a 16-bit single-channel depth image")
            arr = np.array(im)
    except (OSError, SyntaxError, UnidentifiedImageError, EOFError) as exc:
        raise ValueError(f"path: {path} cannot be read as a depth PNG ({type(exc).__name__}: {exc}); "
                         "the file may be truncated or not an image") from None
    if arr.ndim != 2:
        raise ValueError(f"path: {path} must hold a single-channel 16-bit depth PNG; got an image of shape {arr.shape}")
    if arr.dtype.kind not in "iu" or arr.min(initial=0) < 0 or arr.max(initial=0) > 65535:
        raise ValueError(f"path: {path} must hold 16-bit unsigned depth units (0..65535); got dtype {arr.dtype}")
    return (arr.astype(np.float64) / depth_scale).astype(np.float32)


def _out_file(path) -> Path:
    """`path` as a Path to write, in an existing folder, or a ValueError/TypeError naming it."""
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or pathlib.Path; got {type(path).__name__}")
    if not str(path) or any(ord(ch) < 32 for ch in str(path)):
        raise ValueError(f"path must be a file name without control characters; got {str(path)!r}")
    path = Path(path)
    if not path.parent.is_dir() or path.is_dir():
        raise ValueError(f"path must name a file in an existing folder; got {path}")
    return path


def _existing_file(path, what: str) -> Path:
    """`path` as a Path to an existing file, or a ValueError/TypeError naming it."""
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or pathlib.Path naming {what}; got {type(path).__name__}")
    if isinstance(path, str) and (not path or any(ord(ch) < 32 for ch in path)):
        raise ValueError(f"path must be a file name without control characters naming {what}; got {path!r}")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path must be an existing file holding {what}; {path} not found")
    return path


def _quat_to_matrix(q):
    from scipy.spatial.transform import Rotation
    return Rotation.from_quat(q).as_matrix()


def write_tum_trajectory(path: str | Path, timestamps: Sequence[float], poses: np.ndarray) -> Path:
    """Write camera-to-world poses [T,4,4] as a TUM trajectory file:
    one line `timestamp tx ty tz qx qy qz qw` per pose (seconds, metres)."""
    from scipy.spatial.transform import Rotation

    poses = check_array("poses", poses, ndim=3)
    if poses.shape[1:] != (4, 4):
        raise ValueError(f"poses must have shape (T, 4, 4); got {poses.shape}")
    ts = check_array("timestamps", timestamps, shape=(poses.shape[0],))
    q = Rotation.from_matrix(poses[:, :3, :3]).as_quat()   # x, y, z, w
    lines = ["# timestamp tx ty tz qx qy qz qw"]
    for t, T, qq in zip(ts, poses, q):
        vals = [*T[:3, 3], *qq]
        lines.append(f"{float(t):.6f} " + " ".join(f"{x:.9f}" for x in vals))
    path = _out_file(path)
    path.write_text("\n".join(lines) + "\n")
    return path


def read_tum_trajectory(path: str | Path, max_poses: int = 10_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Read a TUM trajectory file: (timestamps [T] in s, camera-to-world poses [T,4,4]).
    Each non-comment line holds 8 finite numbers `timestamp tx ty tz qx qy qz qw` with a
    non-zero quaternion; a bad line is refused with its line number. At most `max_poses` poses."""
    path = _existing_file(path, "a TUM trajectory")
    max_poses = check_int("max_poses", max_poses, lo=1, hi=100_000_000)
    rows = []
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"path: {path} cannot be read as text ({type(exc).__name__}: {exc})") from None
    for k, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(",", " ").split()
        if len(parts) != 8:
            raise ValueError(f"path: {path} line {k} must have 8 numbers (timestamp tx ty tz qx qy qz qw); "
                             f"got {len(parts)}")
        vals = []
        for j, tok in enumerate(parts, 1):
            try:
                x = float(tok)
            except ValueError:
                raise ValueError(f"path: {path} line {k}, field {j}: {tok!r} is not a number") from None
            if not np.isfinite(x):
                raise ValueError(f"path: {path} line {k}, field {j}: {tok!r} is not finite")
            vals.append(x)
        if np.linalg.norm(vals[4:8]) < 1e-9:
            raise ValueError(f"path: {path} line {k}: the quaternion (qx qy qz qw) must not be zero")
        rows.append(vals)
        if len(rows) > max_poses:
            raise ValueError(f"path: {path} holds more than max_poses={max_poses} poses")
    if not rows:
        raise ValueError(f"path: {path} holds no poses")
    a = np.array(rows)
    poses = np.tile(np.eye(4), (len(a), 1, 1))
    poses[:, :3, :3] = _quat_to_matrix(a[:, 4:8])
    poses[:, :3, 3] = a[:, 1:4]
    return a[:, 0], poses


def write_intrinsics_json(path: str | Path, intrinsics: Intrinsics) -> Path:
    """Write Open3D's camera-intrinsic JSON (width, height, column-major intrinsic_matrix)."""
    check_type("intrinsics", intrinsics, Intrinsics)
    path = _out_file(path)
    path.write_text(json.dumps({"width": intrinsics.width, "height": intrinsics.height,
                                "intrinsic_matrix": intrinsics.matrix.T.reshape(-1).tolist()}, indent=4))
    return path


def read_intrinsics_json(path: str | Path) -> Intrinsics:
    """Read Open3D's camera-intrinsic JSON (as written by Open3D or `write_intrinsics_json`).
    Width and height must be whole numbers of pixels; anything else is refused, naming the file."""
    path = _existing_file(path, "an Open3D camera-intrinsic JSON")
    try:
        d = json.loads(path.read_text())
        if not isinstance(d, dict):
            raise ValueError("the top level is not an object")
        sizes = {}
        for key in ("width", "height"):
            v = d[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v != int(v):
                raise ValueError(f"{key} must be a whole number of pixels; got {v!r}")
            sizes[key] = int(v)
        K = np.asarray(d["intrinsic_matrix"], float)
        if K.shape != (9,) or not np.all(np.isfinite(K)):
            raise ValueError(f"intrinsic_matrix must be 9 finite numbers; got shape {K.shape}")
        K = K.reshape(3, 3).T
        return Intrinsics(sizes["width"], sizes["height"], float(K[0, 0]), float(K[1, 1]), float(K[0, 2]),
                          float(K[1, 2]))
    except (KeyError, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"path: {path} is not a valid Open3D camera-intrinsic JSON "
                         f"(width, height, intrinsic_matrix): {type(exc).__name__}: {exc}") from None
