"""Test accuracy of each locally connected network on digits, by feature order.

scikit-learn's 8x8 digits, pixels min-max scaled, a stratified 70/30 split per seed. The
columns are shuffled (seeded), then either left shuffled ("random"), reordered by
EntanglementReorderer or IGTDReorderer fitted on the training split only, or put back in the
natural pixel order for reference. 1-D networks read the 64 pixels as a sequence; the 2-D CNN
reads them as an 8x8 image (2-D reorderings with ``shape=(8, 8)``). Every network gets the
same budget: at most ``--max-epochs`` epochs, early stopping on a validation split of the
training data (the best epoch's weights kept).

Run: ``python benchmarks/bench_nets_digits.py --seeds 2`` (about 25 minutes on 2 cores).
"""

import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from sklearn_qe import EntanglementReorderer, IGTDReorderer
from sklearn_qe.nets import (
    LocalAttentionClassifier,
    LocalCNNClassifier,
    ResCNN2d,
    S4Classifier,
)

NETWORKS = {
    "CNN 1-D": (lambda **kw: LocalCNNClassifier(**kw), None),
    "S4": (lambda **kw: S4Classifier(**kw), None),
    "local attention": (lambda **kw: LocalAttentionClassifier(**kw), None),
    "CNN 2-D": (lambda **kw: LocalCNNClassifier(module=ResCNN2d, module__shape=(8, 8), **kw), (8, 8)),
}
ORDERS = ["natural", "random", "IGTD", "entanglement"]


def order_columns(order, X_train, shuffle, shape, seed):
    """Column indices (into the shuffled data) for one order, learned on training data."""
    if order == "natural":
        return np.argsort(shuffle)
    if order == "random":
        return np.arange(len(shuffle))
    if order == "IGTD":
        return IGTDReorderer(shape=shape).fit(X_train).permutation_
    return EntanglementReorderer(shape=shape, random_state=seed).fit(X_train).permutation_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--max-epochs", type=int, default=40)
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    scores = {(net, order): [] for net in NETWORKS for order in ORDERS}
    for seed in range(args.seeds):
        shuffle = np.random.default_rng(seed).permutation(X.shape[1])
        X_train, X_test, y_train, y_test = train_test_split(
            X[:, shuffle], y, test_size=0.3, random_state=seed, stratify=y
        )
        for net, (make, shape) in NETWORKS.items():
            for order in ORDERS:
                columns = order_columns(order, X_train, shuffle, shape, seed)
                model = make(max_epochs=args.max_epochs, random_state=seed)
                model.fit(X_train[:, columns], y_train)
                scores[net, order].append(model.score(X_test[:, columns], y_test))
                print(f"seed {seed} {net:>15} {order:>12}: {scores[net, order][-1]:.3f}", flush=True)
    print(f"\nTest accuracy (%), mean +- std over {args.seeds} seeds, <= {args.max_epochs} epochs\n")
    print("| order | " + " | ".join(NETWORKS) + " |")
    print("|---" * (len(NETWORKS) + 1) + "|")
    for order in ORDERS:
        cells = [
            f"{100 * np.mean(scores[net, order]):.1f} +- {100 * np.std(scores[net, order]):.1f}"
            for net in NETWORKS
        ]
        print(f"| {order} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
