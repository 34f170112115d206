"""Entanglement against accuracy: the natural order broken by k random swaps of two features.

The paper's second experiment. Starting from the natural feature order of a dataset, k random
transpositions are applied (seeded; k = 0 is the natural order and large k a random order); for
each k the script measures the mean QE of the training split (EntanglementMeter, theta=0.085 on
standardized features, every level, at most 500 samples) and the test accuracy of the 1-D CNN
(LocalCNNClassifier, the budget and readout of paper_table.py), then prints the numbers and
plots both against k.

Run: ``python benchmarks/swaps_curve.py`` (dna, needs ``make data``; about 5 minutes on 2
cores), ``--dataset mixed-shapes`` or ``--dataset digits``; ``--quick`` for a smoke run.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from paper_table import DATASETS, SEQUENCE_NETWORKS, swapped_order
from sklearn.preprocessing import StandardScaler

from sklearn_qe import EntanglementMeter

DEFAULT_IMAGE = Path(__file__).resolve().parents[1] / "docs" / "images" / "swaps_curve.png"


def measure(dataset, swaps, seeds, max_epochs, patience):
    """Mean QE and CNN accuracy (%) for each number of swaps, one row per seed."""
    qe, accuracy = np.zeros((seeds, len(swaps))), np.zeros((seeds, len(swaps)))
    for seed in range(seeds):
        load, readout, _ = DATASETS[dataset]
        data = load(seed=seed)
        standardized = StandardScaler().fit_transform(data.X_train)
        rng = np.random.default_rng(seed)
        for j, n_swaps in enumerate(swaps):
            columns = swapped_order(data.X_train.shape[1], n_swaps, rng)
            meter = EntanglementMeter(max_samples=500, random_state=seed)
            qe[seed, j] = meter.fit(standardized[:, columns], data.y_train).entanglement_.mean()
            model = SEQUENCE_NETWORKS["CNN"](
                max_epochs=max_epochs,
                patience=patience,
                random_state=seed,
                module__readout=readout,
            )
            model.fit(data.X_train[:, columns].astype(np.float32), data.y_train)
            accuracy[seed, j] = 100 * model.score(
                data.X_test[:, columns].astype(np.float32), data.y_test
            )
            print(
                f"seed {seed} swaps {n_swaps:>5}: QE {qe[seed, j]:.4f}, "
                f"CNN {accuracy[seed, j]:.1f}%",
                file=sys.stderr,
                flush=True,
            )
    return qe, accuracy


def plot(dataset, swaps, qe, accuracy, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, qe_axis = plt.subplots(figsize=(6, 3.6), layout="constrained")
    x = np.asarray(swaps)
    qe_axis.errorbar(x, qe.mean(0), qe.std(0), color="tab:blue", marker="o", capsize=3)
    qe_axis.set_xscale("symlog", linthresh=1)
    qe_axis.set_xlabel("random swaps applied to the natural order")
    qe_axis.set_ylabel("mean QE of the training split (nats)", color="tab:blue")
    accuracy_axis = qe_axis.twinx()
    accuracy_axis.errorbar(
        x, accuracy.mean(0), accuracy.std(0), color="tab:red", marker="s", capsize=3
    )
    accuracy_axis.set_ylabel("1-D CNN test accuracy (%)", color="tab:red")
    qe_axis.set_title(f"{dataset}: entanglement up, accuracy down")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["dna", "digits", "mixed-shapes"], default="dna")
    parser.add_argument("--swaps", type=int, nargs="+", default=[0, 4, 16, 64, 256, 1024])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--quick", action="store_true", help="one seed, two epochs")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.max_epochs, args.patience = 1, 2, 2
    qe, accuracy = measure(args.dataset, args.swaps, args.seeds, args.max_epochs, args.patience)
    print(
        f"\n### {args.dataset}: k random swaps of the natural order, mean +- std over "
        f"{args.seeds} seed(s)\n"
    )
    print("| swaps | mean QE | CNN accuracy (%) |\n|---|---|---|")
    for j, n_swaps in enumerate(args.swaps):
        print(
            f"| {n_swaps} | {qe[:, j].mean():.4f} +- {qe[:, j].std():.4f} | "
            f"{accuracy[:, j].mean():.1f} +- {accuracy[:, j].std():.1f} |"
        )
    plot(args.dataset, args.swaps, qe, accuracy, args.image)
    print(f"\nPlot: {args.image}")


if __name__ == "__main__":
    main()
