"""`python -m lab.ufm train [--workers N] [--out PATH]`: retrain the ensemble of notebooks/11_ufm.ipynb.

The result goes to build/ufm/ensemble.npz unless `--out` names another file (for example
`--out data/ufm/ensemble.npz` to replace the shipped one on purpose). Afterwards the new file
is compared byte for byte with the shipped data/ufm/ensemble.npz, which is how the shipped
weights are checked to be reproducible.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from ..core.paths import build_dir, data_dir
from .net import WEIGHTS_FILE, TrainConfig, train_ensemble


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lab.ufm", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train", help="train the ensemble (writes build/ufm/ensemble.npz by default)")
    tr.add_argument("--workers", type=int, default=1, help="member-training processes side by side (1..64)")
    tr.add_argument("--out", default=None,
                    help="output .npz (default: build/ufm/ensemble.npz; data/... only when given here)")
    args = ap.parse_args(argv)
    if args.cmd == "train":
        out = Path(args.out) if args.out else build_dir("ufm") / Path(WEIGHTS_FILE).name
        path = train_ensemble(TrainConfig(), out, workers=args.workers)
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
        shipped = data_dir() / WEIGHTS_FILE
        if shipped.is_file() and shipped.resolve() != path.resolve():
            same = _sha256(shipped) == _sha256(path)
            print(f"byte-identical to the shipped {shipped}: {'yes' if same else 'NO'}")
            return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
