"""Compare two sets of claim files: did a refactor change any claim number?

    python -m benchmarks.compare_claims BEFORE_DIR [AFTER_DIR]    (AFTER_DIR defaults to build/claims)

Claims are matched per notebook by their text, else by their position. Prints one line per claim whose
measured value differs and exits 1 when any does, except for the notebooks and claims named with
--timing (claims measured in wall or CPU time, which move between runs).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _claims(path: Path) -> list[dict]:
    return json.loads(path.read_text()).get("claims", [])


def compare(before: Path, after: Path, timing: tuple[str, ...] = ()) -> list[str]:
    diffs = []
    for b in sorted(before.glob("*.json")):
        a = after / b.name
        if not a.is_file():
            diffs.append(f"{b.stem}: not run after")
            continue
        old, new = _claims(b), _claims(a)
        new_by_text = {c["claim"]: c for c in new}
        for i, c in enumerate(old):
            n = new_by_text.get(c["claim"]) or (new[i] if i < len(new) else None)
            key = f"{b.stem}: {c['claim']}"
            if n is None:
                diffs.append(f"{key}: missing after")
            elif n.get("measured") != c.get("measured") and not any(t in key for t in timing):
                diffs.append(f"{key}: {c.get('measured')!r} -> {n.get('measured')!r}")
    return diffs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path, nargs="?", default=Path(__file__).resolve().parents[1] / "build" / "claims")
    ap.add_argument("--timing", nargs="*", default=[], help="substrings of claims to ignore (timing-based)")
    args = ap.parse_args(argv)
    diffs = compare(args.before, args.after, tuple(args.timing))
    for d in diffs:
        print(d)
    print(f"{len(diffs)} difference(s)")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
