"""Pick the feature order without training a network: entanglement_scorer against accuracy.

For each dataset (columns randomly permuted, as in paper_table.py) two grid searches choose
among the same candidate reorderers, each fitted on the training folds only:

- by accuracy: ``GridSearchCV(Pipeline([scale, reorder, CNN]), cv=3)``, the CNN of
  paper_table.py with the dataset's budget, scored by accuracy;
- without training: ``GridSearchCV(Pipeline([scale, reorder]), cv=3,
  scoring=make_entanglement_scorer(...))``, the meter's score of each validation fold in the
  learned order.

It prints what each picks, whether they agree, the test accuracy of the CNN trained on the
whole training split in the order each picked, and the time each search took.

Run: ``python benchmarks/select_order.py`` (needs ``make data``; about 25 minutes on 2 cores)
or ``--datasets digits --quick``.
"""

import argparse
import time

import numpy as np
from paper_table import DATASETS, SEQUENCE_NETWORKS, budget_of, permuted_split
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_qe import EntanglementReorderer, IGTDReorderer, make_entanglement_scorer

CANDIDATES = {
    "none (random order)": "passthrough",
    "IGTD": IGTDReorderer(),
    "cuts (paper)": EntanglementReorderer(method="cuts", leaf_ordering=None, random_state=0),
    "cuts + orientation": EntanglementReorderer(method="cuts", random_state=0),
    "seriation": EntanglementReorderer(),
}


def name_of(step):
    """The candidate's name (best_params_ holds the grid's own objects)."""
    return next(name for name, candidate in CANDIDATES.items() if candidate is step)


def select(name, args):
    data, _, X_train, X_test = permuted_split(name, seed=0)
    readout = DATASETS[name][1]
    network = SEQUENCE_NETWORKS["CNN"](
        **budget_of(name, args), random_state=0, module__readout=readout
    )
    grid = {"reorder": list(CANDIDATES.values())}
    X_train32, X_test32 = X_train.astype(np.float32), X_test.astype(np.float32)

    start = time.perf_counter()
    by_accuracy = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("reorder", "passthrough"), ("net", network)]),
        grid,
        cv=3,
        refit=False,
    ).fit(X_train32, data.y_train)
    accuracy_seconds = time.perf_counter() - start

    start = time.perf_counter()
    scorer = make_entanglement_scorer(max_samples=args.max_samples, random_state=0)
    by_score = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("reorder", "passthrough")]),
        grid,
        cv=3,
        scoring=scorer,
        refit=False,
    ).fit(X_train, data.y_train)
    score_seconds = time.perf_counter() - start

    picks = {
        "accuracy": name_of(by_accuracy.best_params_["reorder"]),
        "score": name_of(by_score.best_params_["reorder"]),
    }
    test = {}
    for pick in set(picks.values()):
        pipe = Pipeline(
            [
                ("scale", StandardScaler()),
                ("reorder", clone(CANDIDATES[pick])),
                ("net", clone(network)),
            ]
        )
        test[pick] = 100 * pipe.fit(X_train32, data.y_train).score(X_test32, data.y_test)
    return picks, test, accuracy_seconds, score_seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=list(DATASETS),
        default=["dna", "digits", "plane", "osuleaf", "medical-images"],
    )
    parser.add_argument("--max-samples", type=int, default=256)
    parser.add_argument("--quick", action="store_true", help="two epochs: checks it runs")
    args = parser.parse_args(argv)
    args.max_epochs = args.patience = 2 if args.quick else None
    print(
        "| dataset | picked by CNN accuracy (3-fold) | picked by entanglement_scorer | agree "
        "| test accuracy: accuracy's pick / score's pick | accuracy search (s) "
        "| score search (s) |"
    )
    print("|---|---|---|---|---|---|---|")
    agree = 0
    for name in args.datasets:
        picks, test, accuracy_seconds, score_seconds = select(name, args)
        same = picks["accuracy"] == picks["score"]
        agree += same
        print(
            f"| {name} | {picks['accuracy']} | {picks['score']} | {'yes' if same else 'no'} "
            f"| {test[picks['accuracy']]:.1f} / {test[picks['score']]:.1f} "
            f"| {accuracy_seconds:.0f} | {score_seconds:.0f} |",
            flush=True,
        )
    print(f"\nThe score picked what accuracy picked on {agree} of {len(args.datasets)} datasets.")


if __name__ == "__main__":
    main()
