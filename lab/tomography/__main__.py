"""`python -m lab.tomography train [--out PATH]`: retrain the shipped priors of notebook 02."""
import argparse

from .train import TrainConfig, train_all


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m lab.tomography", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train", help="train the three priors (default output build/tomography/priors.npz)")
    tr.add_argument("--out", default=None, help="output .npz (e.g. data/tomography/priors.npz)")
    tr.add_argument("--workers", type=int, default=2, choices=(1, 2),
                    help="train the two object families in parallel processes (the same bytes either way)")
    args = ap.parse_args(argv)
    if args.cmd == "train":
        train_all(TrainConfig(), args.out, workers=args.workers)


if __name__ == "__main__":
    main()
