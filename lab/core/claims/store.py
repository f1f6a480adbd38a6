"""Where claims are kept: `build/claims/<notebook>[.<scale>].json` for this machine's runs and
`results/<scale>/` for the committed records of long runs; reading and writing them."""
from __future__ import annotations

import json
import re
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..checks import check_type
from ..paths import build_dir, build_path, repo_root
from .contract import Claim, Fact

NB_RE = re.compile(r"[0-9]{2}_[a-z0-9_]+")
SCALE_RE = re.compile(r"[a-z][a-z0-9_]*")


def check_nb(notebook: Any) -> str:
    check_type("notebook", notebook, str)
    if not NB_RE.fullmatch(notebook):
        raise ValueError(f"notebook must look like 'NN_topic' (e.g. '03_synapse'); got {notebook!r}")
    return notebook


def check_scale(scale: Any) -> str:
    check_type("scale", scale, str)
    if not SCALE_RE.fullmatch(scale):
        raise ValueError(f"scale must be a preset name such as 'small' or 'paper'; got {scale!r}")
    return scale


def claims_path(notebook: str, scale: str = "small") -> Path:
    suffix = "" if scale == "small" else f".{scale}"
    return build_dir("claims") / f"{notebook}{suffix}.json"


def read_claims(p: Path) -> tuple[list[Claim], list[Fact]]:
    data = json.loads(p.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("claims", []), list):
        raise ValueError("not a claims file (no 'claims' list)")
    return ([Claim(**c) for c in data.get("claims", [])], [Fact(**f) for f in data.get("facts", [])])


def load(notebook: str, scale: str = "small") -> list[Claim]:
    """The recorded claims of one notebook at one scale (empty when it has not run)."""
    p = claims_path(check_nb(notebook), check_scale(scale))
    return read_claims(p)[0] if p.is_file() else []


def save_claims(notebook: str, scale: str, claims: list[Claim], facts: list[Fact]) -> None:
    p = claims_path(notebook, scale)
    tmp = p.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"notebook": notebook, "scale": scale, "claims": [asdict(c) for c in claims],
                               "facts": [asdict(f) for f in facts]}, indent=2, sort_keys=True))
    tmp.replace(p)


def results_dir(scale: str) -> Path:
    """`results/<scale>/`: the committed claims of a recorded long run (`python -m lab run NN --scale paper
    --record`), one `<nb>.<scale>.json` and one `<nb>.run.json` (time, machine, commit) per notebook."""
    return repo_root() / "results" / check_scale(scale)


def claim_files(scale: str | None = "small", folder: Path | None = None) -> list[tuple[str, str, Path]]:
    out = []
    if folder is not None and not isinstance(folder, Path):
        raise TypeError(f"folder must be a pathlib.Path (e.g. results_dir('paper')) or None; got {type(folder).__name__}")
    where = build_path("claims") if folder is None else folder
    for f in sorted(where.glob("*.json")) if where.is_dir() else []:
        if f.name.endswith(".run.json"):
            continue
        parts = f.name[:-5].split(".")
        nb, sc = parts[0], (parts[1] if len(parts) > 1 else "small")
        if len(parts) > 2 or not NB_RE.fullmatch(nb) or not SCALE_RE.fullmatch(sc):
            warnings.warn(f"claims: skipped {f}: its name is not <NN_topic>[.<scale>].json", stacklevel=3)
            continue
        if scale is None or sc == scale:
            out.append((nb, sc, f))
    return out

