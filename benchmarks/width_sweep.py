"""The theorem in practice: the tree tensor network's accuracy against its width.

For each dataset the meter measures the training split (``required_width_``, the widths per
level and the QE per level), then TensorNetworkClassifier is trained at widths (ranks) 1, 2,
4, ... (``--widths``), every level the same width (capped, as always, at 2**|block|): does
accuracy saturate at ``required_width_``, as the theorem says it can?

Datasets:

- ``pairs``: every 12-bit string labelled by the inner product mod 2 of the pairs (0, 3),
  (1, 4), (2, 5), (6, 9), (7, 10), (8, 11) (``benchmark_data.make_pair_parity``), read with
  ``theta=0.5`` (a bit is a basis vector). Its QE is exact: ``ln 2`` per pair a partition
  splits, so level 1 (halves) has QE 0, level 2 (blocks of 3) 3 ln 2 and level 3 (blocks of 1
  or 2) up to 2 ln 2: the widths per level are 1, 8 and 4, and a network of width >= 8 can
  fit the labels exactly. Measured on all 4,096 strings (the meter's QE equals the exact
  one); networks train on a stratified 80% and are tested on the rest. Besides the
  classifier, TensorNetworkRegressor fits the +-1 labels by least squares: its training R^2
  reaches 1 exactly when the network can represent the data tensor.
- ``dna`` (``make data``) and ``digits`` (8x8 images, 2-D tree): standardized features,
  the meter's defaults (theta=0.085, the same phi as the network).
- ``dna-bits``: dna's 0/1 indicators as they are, with ``theta=0.5`` in the meter and the
  network, so that phi maps each bit to a basis vector (as for ``pairs``).

Training: at most ``--max-epochs`` epochs, early stopping after ``--patience`` epochs
without a better loss on a validation split carved from the training split, the best
epoch's weights kept; the network's defaults otherwise (its linear start, lr 3e-3, batch
64). Printed: per dataset the QE and widths per level, then train and test accuracy per
width; the plot goes to ``docs/images/width_sweep.png``.

Run: ``python benchmarks/width_sweep.py`` (about 12 minutes on 2 cores with ``--n-jobs 2``),
``--quick`` for a smoke run (two epochs, the meter on 100 samples: its numbers mean nothing).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from benchmark_data import load_digits_split, load_dna, make_pair_parity, pair_parity_entanglement
from joblib import Parallel, delayed
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_qe import EntanglementMeter, canonical_tree

DEFAULT_IMAGE = Path(__file__).resolve().parents[1] / "docs" / "images" / "width_sweep.png"


def load(name, seed):
    """(X_train, y_train, X_test, y_test, shape, theta), features ready for the network."""
    if name == "pairs":
        X, y, _ = make_pair_parity()
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.2, random_state=seed, stratify=y
        )
        return X_train, y_train, X_test, y_test, None, 0.5
    if name == "dna-bits":  # the indicators as they are: phi maps 0 and 1 to basis vectors
        data = load_dna(seed)
        return data.X_train, data.y_train, data.X_test, data.y_test, None, 0.5
    data = load_dna(seed) if name == "dna" else load_digits_split(seed, shape=(8, 8))
    scaler = StandardScaler().fit(data.X_train)
    return (
        scaler.transform(data.X_train),
        data.y_train,
        scaler.transform(data.X_test),
        data.y_test,
        data.shape,
        0.085,
    )


def measure(name, seed, max_samples=None):
    """The fitted meter: of all 4,096 strings for pairs, of the training split otherwise."""
    X_train, y_train, _, _, shape, theta = load(name, seed)
    if name == "pairs":
        X_train, y_train, _ = make_pair_parity()
        meter = EntanglementMeter(theta=theta, max_samples=None, shifted=False, baseline=False)
    else:
        options = {} if max_samples is None else {"max_samples": max_samples}
        meter = EntanglementMeter(theta=theta, shape=shape, random_state=seed, **options)
    return meter.fit(X_train, y_train)


def train(name, seed, width, max_epochs, patience, regression=False):
    """Train and test accuracy (%) (training R^2 for a regression), epochs and seconds."""
    import torch

    from sklearn_qe.nets import TensorNetworkClassifier, TensorNetworkRegressor

    torch.set_num_threads(1)  # one core per job: jobs run side by side
    X_train, y_train, X_test, y_test, shape, theta = load(name, seed)
    estimator = TensorNetworkRegressor if regression else TensorNetworkClassifier
    net = estimator(
        module__rank=width,
        module__theta=theta,
        module__shape=shape,
        max_epochs=max_epochs,
        patience=patience,
        random_state=seed,
    )
    X_train, X_test = X_train.astype(np.float32), X_test.astype(np.float32)
    start = time.perf_counter()
    net.fit(X_train, y_train.astype(np.float32) if regression else y_train)
    seconds = time.perf_counter() - start
    scores = (net.score(X_train, y_train), net.score(X_test, y_test))
    if not regression:
        scores = tuple(100 * s for s in scores)
    return (*scores, len(net.history), seconds)


def plot(path, results, meters, widths):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 3.6), squeeze=False)
    for ax, (name, rows) in zip(axes[0], results.items()):
        ax.plot(widths, [rows[w]["train"] for w in widths], "o-", label="train")
        ax.plot(widths, [rows[w]["test"] for w in widths], "s-", label="test")
        required = meters[name].required_width_
        ax.axvline(required, color="k", ls="--", lw=1, label=f"required_width_ = {required}")
        ax.set_xscale("log", base=2)
        ax.set(title=name, xlabel="network width (rank per level)", ylabel="accuracy (%)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=["pairs", "dna", "dna-bits", "digits"],
        default=["pairs", "dna", "dna-bits", "digits"],
    )
    parser.add_argument("--widths", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument(
        "--max-samples",
        type=int,
        default=None,
        help="of the meter on dna and digits (default: its own)",
    )
    parser.add_argument("--n-jobs", type=int, default=1, help="networks trained side by side")
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--quick", action="store_true", help="two epochs")
    args = parser.parse_args(argv)
    if args.quick:
        args.max_epochs, args.patience, args.max_samples = 2, 2, 100

    start = time.perf_counter()
    meters = dict(
        zip(
            args.datasets,
            Parallel(n_jobs=args.n_jobs)(
                delayed(measure)(name, args.seed, args.max_samples) for name in args.datasets
            ),
        )
    )
    print(f"meters: {time.perf_counter() - start:.0f} s")
    jobs = [(name, width, False) for name in args.datasets for width in args.widths]
    jobs += [("pairs", width, True) for width in args.widths if "pairs" in args.datasets]
    outcomes = Parallel(n_jobs=args.n_jobs)(
        delayed(train)(name, args.seed, width, args.max_epochs, args.patience, regression)
        for name, width, regression in jobs
    )
    results = {name: {} for name in args.datasets}
    for (name, width, regression), (train_score, test_score, epochs, seconds) in zip(
        jobs, outcomes
    ):
        row = results[name].setdefault(width, {})
        if regression:
            row["fit R2"] = train_score
        else:
            row.update(train=train_score, test=test_score, epochs=epochs, seconds=seconds)

    for name, meter in meters.items():
        print(
            f"\n### {name}: {meter.n_features_in_} features, QE of "
            f"{meter.n_samples_measured_} samples, required_width_ = {meter.required_width_}"
        )
        print("level:         " + " ".join(f"{level:>7}" for level in meter.levels_))
        print("mean QE:       " + " ".join(f"{qe:>7.3f}" for qe in meter.entanglement_))
        print(
            "max QE:        " + " ".join(f"{p.max():>7.3f}" for p in meter.partition_entanglement_)
        )
        print("ceiling:       " + " ".join(f"{c:>7.3f}" for c in meter.entanglement_ceiling_))
        print("level_widths_: " + " ".join(f"{w:>7}" for w in meter.level_widths_))
        if name == "pairs":
            tree = canonical_tree(meter.n_features_in_)
            _, _, pairs = make_pair_parity()
            exact = [
                max(pair_parity_entanglement(b, pairs) for b in tree.partitions(level))
                for level in meter.levels_
            ]
            print("exact max QE:  " + " ".join(f"{qe:>7.3f}" for qe in exact))
        header = "| width | train acc (%) | test acc (%) | epochs | fit (s) |"
        print("\n" + (header + " train R^2 (regression) |" if name == "pairs" else header))
        for width in args.widths:
            row = results[name][width]
            line = (
                f"| {width} | {row['train']:.1f} | {row['test']:.1f} | {row['epochs']} "
                f"| {row['seconds']:.0f} |"
            )
            print(line + (f" {row['fit R2']:.3f} |" if name == "pairs" else ""))
    plot(args.image, results, meters, args.widths)
    print(f"\nplot: {args.image}")


if __name__ == "__main__":
    sys.exit(main())
