"""Argument checks shared by every public `lab` function.

Each helper validates one argument and returns it (converted where that is
harmless), or raises `TypeError` (wrong kind) / `ValueError` (wrong value) with a
message that names the parameter and the accepted range. Use them at the top of
public functions so that bad input never crashes deep inside numpy or torch.
"""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


def _range_text(lo, hi, lo_open, hi_open) -> str:
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    lo_s = "-inf" if lo is None else f"{lo:g}" if isinstance(lo, float) else str(lo)
    hi_s = "inf" if hi is None else f"{hi:g}" if isinstance(hi, float) else str(hi)
    return f"{left}{lo_s}, {hi_s}{right}"


def _in_range(x, lo, hi, lo_open, hi_open) -> bool:
    if lo is not None and (x <= lo if lo_open else x < lo):
        return False
    if hi is not None and (x >= hi if hi_open else x > hi):
        return False
    return True


def _check_bounds(lo, hi, kind=numbers.Real) -> None:
    for bname, b in (("lo", lo), ("hi", hi)):
        if b is not None and (isinstance(b, bool) or not isinstance(b, kind) or (isinstance(b, float) and math.isnan(b))):
            raise TypeError(f"{bname} must be a {'number' if kind is numbers.Real else 'whole number'} or None; got {b!r}")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"lo must be <= hi; got lo={lo}, hi={hi}")


def check_number(name: str, value: Any, *, lo: float | None = None, hi: float | None = None,
                 lo_open: bool = False, hi_open: bool = False) -> float:
    """A finite real number in the range [lo, hi] (ends open where asked). Returns float."""
    _check_bounds(lo, hi)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in {_range_text(lo, hi, lo_open, hi_open)}; "
                        f"got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, in {_range_text(lo, hi, lo_open, hi_open)}; got {value}")
    if not _in_range(value, lo, hi, lo_open, hi_open):
        raise ValueError(f"{name} must be in {_range_text(lo, hi, lo_open, hi_open)}; got {value:g}")
    return value


def check_positive(name: str, value: Any) -> float:
    """A finite number > 0."""
    return check_number(name, value, lo=0.0, lo_open=True)


def check_nonnegative(name: str, value: Any) -> float:
    """A finite number >= 0."""
    return check_number(name, value, lo=0.0)


def check_int(name: str, value: Any, *, lo: int | None = None, hi: int | None = None) -> int:
    """An integer (Python or numpy, not bool) in [lo, hi]. Returns int."""
    _check_bounds(lo, hi, numbers.Integral)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer in {_range_text(lo, hi, False, False)}; "
                        f"got {type(value).__name__}")
    value = int(value)
    if not _in_range(value, lo, hi, False, False):
        raise ValueError(f"{name} must be an integer in {_range_text(lo, hi, False, False)}; got {value}")
    return value


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """One of `choices`."""
    if choices is None or isinstance(choices, (str, bytes)) or not hasattr(choices, "__iter__"):
        raise TypeError(f"choices must be a list of the accepted values; got {type(choices).__name__}")
    choices = list(choices)
    if not choices:
        raise ValueError("choices must hold at least one accepted value")
    try:
        ok = not isinstance(value, np.ndarray) and bool(value in choices)
    except (TypeError, ValueError):  # arrays, unhashable or uncomparable values
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of the choices {choices}; got {value!r}")
    return value


def check_str_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """One of the string `choices`; anything but a str is refused with a TypeError before comparing (so an
    array or a number is named as the wrong type, not compared element by element)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {list(choices) if hasattr(choices, '__iter__') else choices}; "
                        f"got {type(value).__name__}")
    return check_choice(name, value, choices)


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool; got {type(value).__name__}")
    return bool(value)


def check_array(name: str, value: Any, *, ndim: int | Sequence[int] | None = None,
                shape: Sequence[int | None] | None = None, dtype_kind: str | None = "fiub",
                finite: bool = True, lo: float | None = None, hi: float | None = None,
                min_size: int = 1, allow_nan: bool = False) -> np.ndarray:
    """An array-like convertible to a numpy array with the given properties.

    ndim: required number of dimensions (or a tuple of allowed ones).
    shape: required shape, `None` entries match any length.
    dtype_kind: allowed numpy dtype kinds ("f" float, "i" int, "u" unsigned, "b" bool).
    finite: reject inf (and NaN unless allow_nan). lo/hi: inclusive value bounds.
    Returns the array (not copied when already an ndarray).
    """
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be array-like of numbers; {exc}") from None
    if dtype_kind is not None and arr.dtype.kind not in dtype_kind:
        raise TypeError(f"{name} must be a numeric array (dtype kind in {dtype_kind!r}); got dtype {arr.dtype}")
    if ndim is not None:
        if isinstance(ndim, bool) or not (isinstance(ndim, numbers.Integral) or
                                          (isinstance(ndim, (tuple, list)) and all(isinstance(d, numbers.Integral) for d in ndim))):
            raise TypeError(f"ndim must be an integer or a tuple of integers; got {ndim!r}")
        allowed = (ndim,) if isinstance(ndim, numbers.Integral) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(f"{name} must have ndim in {list(allowed)}; got shape {arr.shape}")
    if shape is not None:
        ok = arr.ndim == len(shape) and all(s is None or s == a for s, a in zip(shape, arr.shape))
        if not ok:
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}; got {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} element(s); got {arr.size}")
    if arr.dtype.kind == "f" and arr.size:
        bad = ~np.isfinite(arr)
        if allow_nan:
            bad &= ~np.isnan(arr)
        if finite and bad.any():
            raise ValueError(f"{name} must be finite{' (NaN allowed)' if allow_nan else ''}; "
                             f"found {int(bad.sum())} non-finite value(s)")
    if arr.size and (lo is not None or hi is not None):
        vals = arr[~np.isnan(arr)] if arr.dtype.kind == "f" else arr
        if vals.size and lo is not None and vals.min() < lo:
            raise ValueError(f"{name} values must be >= {lo:g}; got min {vals.min():g}")
        if vals.size and hi is not None and vals.max() > hi:
            raise ValueError(f"{name} values must be <= {hi:g}; got max {vals.max():g}")
    return arr


def check_type(name: str, value: Any, types: type | tuple[type, ...]) -> Any:
    """`value` must be an instance of `types` (a class or a tuple of classes)."""
    if not isinstance(value, types):
        group = types if isinstance(types, tuple) else (types,)
        tn = " or ".join(getattr(t, "__name__", str(t)) for t in group)
        raise TypeError(f"{name} must be {tn}; got {type(value).__name__}")
    return value


def check_table(name: str, value: Any, columns: Iterable[str] = (), *, min_rows: int = 1,
                what: str = "a table") -> pd.DataFrame:
    """A pandas DataFrame with at least `min_rows` rows and every one of `columns` (column names).

    what: what the table must be, for the message (e.g. "a run_seeds table"). Returns the DataFrame.
    """
    import pandas as pd  # here, not at the top: the modules that check arrays only do not load pandas

    check_type("what", what, str)
    if columns is None or isinstance(columns, (str, bytes)) or not hasattr(columns, "__iter__"):
        raise TypeError(f"columns must be a list of column names; got {type(columns).__name__}")
    columns = list(columns)
    for c in columns:
        if not isinstance(c, str):
            raise TypeError(f"columns must hold column names (str); got {c!r}")
    min_rows = check_int("min_rows", min_rows, lo=0)
    need = f"{what} with the columns {columns}" if columns else what
    if not isinstance(value, pd.DataFrame):
        raise TypeError(f"{name} must be {need} (a pandas DataFrame); got {type(value).__name__}")
    missing = [c for c in columns if c not in value.columns]
    if missing:
        raise ValueError(f"{name} must be {need}; it lacks {missing} (it has {list(value.columns)})")
    if len(value) < min_rows:
        raise ValueError(f"{name} must be {need} of at least {min_rows} row(s); got {len(value)}")
    return value
