"""Does the theorem's tree tensor network learn? Its accuracy against the simple baselines.

For each dataset, the same standardized columns in their natural order go to
TensorNetworkClassifier with its defaults, to logistic regression, to
HistGradientBoostingClassifier and to the library's CNN (LocalCNNClassifier, ResCNN2d for
images; per-position head weights for tables and centred images, an average over positions
for series, as in paper_table.py). Splits: stratified 70/30 drawn with seed 0 where a dataset
has none (dna, digits), the UCR archive's own split for the series. Printed: train and test
accuracy (%) and fit time (s) of each model.

The tensor network is trained with ``--seeds`` network seeds (its column shows means); the
other models with seed 0. ``--ablation`` trains the tensor network again with one change at
a time from its defaults (ABLATION), on ``--ablation-datasets`` and ``--seeds`` network
seeds (the split stays seed 0): what makes it train.

Datasets: dna and the UCR series need ``make data`` once (see benchmark_data.py); digits is
bundled with scikit-learn, read as a sequence and as an 8x8 image (a 2-D tree of nodes with
four children).

Run: ``python benchmarks/tensor_network.py`` (every dataset and model, about 25 minutes on
2 cores), ``--ablation`` (about 30 minutes), ``--quick`` for a smoke run (one epoch, two
datasets: its numbers mean nothing).
"""

import argparse
import sys
import time
from functools import partial

import numpy as np
from benchmark_data import load_digits_split, load_dna, load_ucr
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_qe.nets import LocalCNNClassifier, ResCNN2d, TensorNetworkClassifier

# loader, readout of the CNN (see paper_table.py: per position for tables and centred
# images, an average for series)
DATASETS = {
    "dna": (partial(load_dna, test_size=0.3), "flatten"),
    "digits": (partial(load_digits_split, test_size=0.3), "flatten"),
    "digits-2d": (partial(load_digits_split, shape=(8, 8), test_size=0.3), "flatten"),
    "plane": (partial(load_ucr, "Plane"), "mean"),
    "osuleaf": (partial(load_ucr, "OSULeaf"), "mean"),
    "medical-images": (partial(load_ucr, "MedicalImages"), "mean"),
    "mixed-shapes": (partial(load_ucr, "MixedShapesRegularTrain"), "mean"),
}
MODELS = ["logistic regression", "gradient boosting", "CNN", "tensor network"]
# One change at a time from the tensor network's defaults; the first two rows are the
# network's earlier defaults.
ABLATION = {
    "first defaults (trigonometric, random cores of std 1, lr 1e-2)": {
        "module__embedding": "trigonometric",
        "module__init": "normal",
        "module__init_noise": 1.0,
        "linear_start": None,
        "lr": 1e-2,
    },
    "previous defaults (constant-and-mean cores, lr 1e-2)": {"linear_start": None, "lr": 1e-2},
    "defaults (linear start, C by validation, lr 3e-3)": {},
    "no linear start": {"linear_start": None},
    "linear start at C=1": {"linear_start": LogisticRegression(max_iter=1000)},
    "noise 0.1": {"module__init_noise": 0.1},
    "lr 1e-2": {"lr": 1e-2},
    "lr 1e-3": {"lr": 1e-3},
    "rank 4": {"module__rank": 4},
    "rank 16": {"module__rank": 16},
    "theta 0.2": {"module__theta": 0.2},
}


def make_model(name, data, readout, random_state=0, **params):
    """An unfitted pipeline of ``name`` for ``data`` (standardized columns first)."""
    image = {} if data.shape is None else {"module__shape": data.shape}
    if name == "logistic regression":
        model = LogisticRegression(max_iter=5000)
    elif name == "gradient boosting":
        model = HistGradientBoostingClassifier(random_state=random_state)
    elif name == "CNN":
        cnn_image = {} if data.shape is None else {"module": ResCNN2d, **image}
        model = LocalCNNClassifier(
            module__readout=readout, random_state=random_state, **cnn_image, **params
        )
    else:
        model = TensorNetworkClassifier(random_state=random_state, **image, **params)
    return make_pipeline(StandardScaler(), model)


def evaluate(model, data):
    """(train accuracy %, test accuracy %, fit time s)."""
    start = time.perf_counter()
    model.fit(data.X_train, data.y_train)
    seconds = time.perf_counter() - start
    return (
        100 * model.score(data.X_train, data.y_train),
        100 * model.score(data.X_test, data.y_test),
        seconds,
    )


def compare(names, seeds, quick):
    epochs = {"max_epochs": 1} if quick else {}
    print("| dataset | samples x features | " + " | ".join(MODELS) + " |")
    print("|---|---|" + "---|" * len(MODELS))
    for name in names:
        loader, readout = DATASETS[name]
        data = loader(seed=0)
        cells = []
        for model_name in MODELS:
            nets = model_name in ("CNN", "tensor network")
            settings = epochs if nets else {}
            runs = np.array(
                [
                    evaluate(make_model(model_name, data, readout, seed, **settings), data)
                    for seed in range(seeds if model_name == "tensor network" else 1)
                ]
            )
            train, test, seconds = runs.mean(axis=0)
            spread = f" +- {runs[:, 1].std():.1f}" if len(runs) > 1 else ""
            cells.append(f"{train:.1f} / **{test:.1f}**{spread} ({seconds:.0f} s)")
        shape = f"{len(data.X_train)} x {data.X_train.shape[1]}"
        print(f"| {name} | {shape} | " + " | ".join(cells) + " |", flush=True)
    print(
        "\nCells: train / **test** accuracy (%) (fit time); the tensor network's are means "
        f"(+- std of the test accuracy) over {seeds} network seeds."
    )


def ablation(names, seeds, quick):
    epochs = {"max_epochs": 1} if quick else {}
    print("| change | " + " | ".join(f"{name} test (train)" for name in names) + " |")
    print("|---|" + "---|" * len(names))
    datasets = {name: DATASETS[name][0](seed=0) for name in names}
    for row, params in ABLATION.items():
        cells = []
        for name in names:
            scores = np.array(
                [
                    evaluate(
                        make_model(
                            "tensor network", datasets[name], None, seed, **params, **epochs
                        ),
                        datasets[name],
                    )
                    for seed in range(seeds)
                ]
            )
            (train, test, _), (_, test_std, _) = scores.mean(axis=0), scores.std(axis=0)
            cells.append(f"{test:.1f} +- {test_std:.1f} ({train:.1f})")
        print(f"| {row} | " + " | ".join(cells) + " |", flush=True)
    print(f"\nCells: test accuracy (%), mean +- std over {seeds} network seeds (train accuracy).")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--ablation", action="store_true", help="the ablation table instead")
    parser.add_argument(
        "--ablation-datasets",
        nargs="+",
        choices=list(DATASETS),
        default=["dna", "digits", "plane", "osuleaf", "medical-images"],
    )
    parser.add_argument("--seeds", type=int, default=3, help="tensor network seeds")
    parser.add_argument("--quick", action="store_true", help="smoke run: one epoch")
    args = parser.parse_args(argv)
    if args.ablation:
        ablation(args.ablation_datasets, args.seeds, args.quick)
    else:
        compare(args.datasets, args.seeds, args.quick)


if __name__ == "__main__":
    sys.exit(main())
