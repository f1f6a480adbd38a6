"""Scale presets: every notebook has a `SCALE` parameter ("small" by default, which
runs in at most 60 s on a 2-core CPU) and sometimes larger ones such as "paper".

A topic module declares its presets as a dict of dicts::

    SCALES = {"small": dict(epochs=3, n=256), "paper": dict(epochs=100, n=60000)}

and the notebook calls ``cfg = resolve_scale(SCALES, SCALE)`` to get them as
attributes (``cfg.epochs``).
"""
from __future__ import annotations

from types import MappingProxyType, SimpleNamespace
from typing import Any, Mapping

DEFAULT_SCALE = "small"


class Scale(SimpleNamespace):
    """The resolved preset: its name in `.name`, each setting as an attribute."""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "name"}


def resolve_scale(presets: Mapping[str, Mapping[str, Any]], scale: str = DEFAULT_SCALE,
                  **overrides: Any) -> Scale:
    """Look up `scale` in `presets` and return it as a `Scale` namespace.

    Unknown scales raise ValueError listing the valid ones. `overrides` replace
    individual settings (unknown setting names raise ValueError too). The environment
    variable LAB_SCALE_OVERRIDES (a JSON object, set by `python -m lab run --set k=v`) adds
    overrides for a headless run, e.g. a tiny end-to-end check of the paper tier.
    """
    import json
    import os

    env = os.environ.get("LAB_SCALE_OVERRIDES")
    if env:
        try:
            extra = json.loads(env)
        except json.JSONDecodeError as exc:
            raise ValueError(f"LAB_SCALE_OVERRIDES must be a JSON object; {exc}") from None
        if not isinstance(extra, dict):
            raise ValueError("LAB_SCALE_OVERRIDES must be a JSON object of setting -> value")
        overrides = {**extra, **overrides}
    if not isinstance(presets, Mapping) or not presets:
        raise TypeError("presets must be a non-empty mapping of scale name -> settings dict")
    if not isinstance(scale, str):
        raise TypeError(f"scale must be a str, one of {sorted(presets)}; got {type(scale).__name__}")
    if scale not in presets:
        raise ValueError(f"scale must be one of {sorted(presets)}; got {scale!r}")
    settings = dict(presets[scale])
    unknown = set(overrides) - set(settings)
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)} for scale {scale!r}; "
                         f"valid settings are {sorted(settings)}")
    settings.update(overrides)
    return Scale(name=scale, **settings)


def freeze(presets: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Mapping[str, Any]]:
    """A read-only view of a module's presets, so a notebook cannot edit them by accident."""
    if not isinstance(presets, Mapping) or not presets or not all(isinstance(v, Mapping) for v in presets.values()):
        raise TypeError("presets must be a non-empty mapping of scale name -> settings dict")
    return MappingProxyType({k: MappingProxyType(dict(v)) for k, v in presets.items()})


def check_presets(scales: Any, need: tuple[str, ...], example: str = "SCALES") -> list[tuple[str, Mapping[str, Any]]]:
    """Check `scales` (preset name -> settings, as a topic's SCALES) for a function that writes prose from it:
    a non-empty mapping of str names to mappings that hold every key of `need`. Returns its (name, settings)
    pairs; a ValueError or TypeError names the preset and the keys it lacks."""
    if not isinstance(need, tuple) or not all(isinstance(k, str) for k in need):
        raise TypeError(f"need must be a tuple of setting names (str); got {need!r}")
    if not isinstance(example, str):
        raise TypeError(f"example must be a str naming the presets; got {type(example).__name__}")
    if not hasattr(scales, "items") or not len(scales):
        raise TypeError(f"scales must be a non-empty mapping of preset name -> settings (as {example})")
    out = []
    for name, c in scales.items():
        if not isinstance(name, str):
            raise TypeError(f"scales must be keyed by preset names (str); got {type(name).__name__}")
        if not hasattr(c, "keys"):
            raise TypeError(f"scales[{name!r}] must be a mapping of settings")
        missing = [k for k in need if k not in c]
        if missing:
            raise ValueError(f"scales[{name!r}] must hold {list(need)}; missing {missing}")
        out.append((name, c))
    return out

