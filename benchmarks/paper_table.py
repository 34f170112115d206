"""Reproduce the paper's experiment: test accuracy of locally connected networks by feature order.

For each dataset and seed the feature columns are randomly permuted (seeded); each reordering
is then fitted on the training split only, and every network is trained with the dataset's
budget (30 epochs and batch 128, or BUDGETS for the small series sets): at most
``--max-epochs`` epochs, early stopping after ``--patience`` epochs without a better loss on
a validation split carved from the training split (20%, stratified), the best epoch's weights
kept. Nothing is selected on the test split. The networks' readout depends on the kind of data
(see DATASETS): per-position head weights for tables and centred images, an average over
positions for signals.

Rows (orders): "original" puts the columns back in their natural order (sequence position,
pixel, time step) as a reference; "random" keeps them permuted; "IGTD" is IGTDReorderer;
"entanglement (paper)" is EntanglementReorderer(method="cuts", leaf_ordering=None), the paper's
method; "cuts + orientation" adds this library's leaf ordering of the cut tree; "single-linkage
OLO (scipy)" is the ten-line scipy baseline (optimal leaf ordering of single linkage on
1 - |rho|); "seriation (default)" is EntanglementReorderer(). PROBE_ORDERS (``--orders``) only
serve score_orders.py. Columns: test accuracy (%) of each network, mean +- std over seeds;
"gap closed", (order - random) / (original - random) of the first network's mean accuracy;
the mean QE of the training split in that order (EntanglementMeter, theta=0.085 on
standardized features, every level, at most 500 samples); the mean |Pearson correlation| of
neighbouring features; the reordering's fit time. Under dna, the published numbers
(Alexander et al., NeurIPS 2023) are printed side by side.

Datasets: dna and the UCR series (MixedShapes, Plane, OSULeaf, MedicalImages) need ``make
data`` once (see benchmarks/benchmark_data.py); digits is bundled with scikit-learn, read as a
sequence, as an 8x8 image, and placed at random on a 16x16 canvas (2-D reorderings and a 2-D
CNN).

Run: ``python benchmarks/paper_table.py`` (every dataset and order, 3 seeds: a few hours on 2
cores; docs/benchmarks.md says which subsets it ran) or ``--quick`` (two epochs, one seed:
checks that everything runs, its accuracies mean nothing).
"""

import argparse
import json
import sys
import time
from functools import partial

import numpy as np
from benchmark_data import (
    load_digits_canvas,
    load_digits_split,
    load_dna,
    load_mixed_shapes,
    load_ucr,
)
from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
from scipy.spatial.distance import squareform
from sklearn.preprocessing import StandardScaler

from sklearn_qe import (
    EntanglementMeter,
    EntanglementReorderer,
    IGTDReorderer,
    abs_correlation,
    canonical_tree,
)
from sklearn_qe._correlation import standardized_columns
from sklearn_qe._leaf_ordering import adjacent_similarity
from sklearn_qe.nets import LocalAttentionClassifier, LocalCNNClassifier, ResCNN2d, S4Classifier

# loader, readout of the networks, seeds of the full run. Tables (dna) and centred images
# (digits) mean different things at different positions: head weights per position
# ("flatten"; on dna a CNN scored 97.6% in the natural order with them, 74.9% averaging).
# Outlines of shapes (MixedShapes) are signals: averaged over positions ("mean"), as for
# audio; flattened, a CNN scored as well on permuted as on natural series. MixedShapes gets
# two seeds because its 1024-step series make it the slowest by far.
DATASETS = {
    "dna": (load_dna, "flatten", 3),
    "digits": (load_digits_split, "flatten", 3),
    "digits-2d": (partial(load_digits_split, shape=(8, 8)), "flatten", 3),
    # A digit anywhere on a 16x16 canvas: a local pattern, averaged over positions.
    "digits-canvas": (load_digits_canvas, "mean", 3),
    "mixed-shapes": (load_mixed_shapes, "mean", 2),
    "plane": (partial(load_ucr, "Plane"), "mean", 3),
    "osuleaf": (partial(load_ucr, "OSULeaf"), "mean", 3),
    "medical-images": (partial(load_ucr, "MedicalImages"), "mean", 3),
}
# A few hundred training series make one batch of 128 per epoch: 30 steps in all left the CNN
# at chance on Plane. Small batches and a longer budget for them (Plane, natural order: 100%).
BUDGETS = {
    name: {"batch_size": 16, "max_epochs": 60, "patience": 10}
    for name in ("plane", "osuleaf", "medical-images")
}
ORDERS = [
    "original",
    "random",
    "IGTD",
    "entanglement (paper)",
    "cuts + orientation",
    "single-linkage OLO (scipy)",
    "seriation (default)",
]
# Orders that only probe the score (see score_orders.py): as good or as bad as the natural
# order for the canonical QE, not for the networks.
PROBE_ORDERS = [
    "original, blocks exchanged",
    "original + 4 swaps",
    "original + 16 swaps",
    "original + 64 swaps",
]
# One budget for every network and dataset, sized so that the full run fits in an hour on 2
# CPU cores: dropout off in S4 and attention (torch's CPU dropout masks took a third of their
# time), two attention heads (a third faster than four at 1024 steps).
COMMON = {"batch_size": 128}
SEQUENCE_NETWORKS = {
    "CNN": partial(LocalCNNClassifier, **COMMON),
    "S4": partial(
        S4Classifier,
        module__d_model=32,
        module__n_layers=2,
        module__d_state=32,
        module__dropout=0.0,
        **COMMON,
    ),
    "local attention": partial(
        LocalAttentionClassifier,
        module__d_model=32,
        module__n_heads=2,
        module__n_layers=2,
        module__dropout=0.0,
        **COMMON,
    ),
}
# Test accuracy (%) published for dna (Alexander et al., NeurIPS 2023), mean over the paper's seeds.
PUBLISHED = {
    "dna": {
        "random": {"CNN": 82.5, "S4": 86.4, "local attention": 79.2},
        "IGTD": {"CNN": 87.4, "S4": 89.9, "local attention": 82.7},
        "entanglement (paper)": {"CNN": 91.2, "S4": 89.1, "local attention": 85.7},
    }
}


def networks(shape):
    if shape is None:
        return SEQUENCE_NETWORKS
    return {"CNN 2-D": partial(LocalCNNClassifier, module=ResCNN2d, module__shape=shape, **COMMON)}


def swapped_order(n_features, n_swaps, rng):
    """The identity order after ``n_swaps`` transpositions of random pairs of positions."""
    order = np.arange(n_features)
    for a, b in rng.integers(n_features, size=(n_swaps, 2)):
        order[[a, b]] = order[[b, a]]
    return order


def exchanged_blocks_order(n_features, shape, rng):
    """The identity order with sibling blocks of equal shape exchanged at random at every node.

    The canonical blocks keep their features, so the canonical QE is that of the identity.
    """
    tree = canonical_tree(n_features, shape=shape)
    order = np.arange(n_features)
    for level in range(tree.n_levels):
        for index in range(len(tree.blocks[level])):
            children = [tree.blocks[level + 1][c] for c in tree.children(level, index)]
            for size in {len(child) for child in children}:
                same = [child for child in children if len(child) == size]
                if shape is not None:  # exchange only rectangles of the same shape
                    same = [c for c in same if np.ptp(c % shape[1]) == np.ptp(same[0] % shape[1])]
                contents = [order[child].copy() for child in same]
                for child, source in zip(same, rng.permutation(len(same))):
                    order[child] = contents[source]
    return order


def scipy_seriation(X):
    """The ten-line baseline: scipy's optimal leaf ordering of single linkage on 1 - |rho|."""
    distance = squareform(1.0 - abs_correlation(X), checks=False)
    return leaves_list(optimal_leaf_ordering(linkage(distance, "single"), distance))


def learn_order(order, X_train, shuffle, shape, seed):
    """Column indices (into the permuted data) of one order, learned on the training split."""
    natural = np.argsort(shuffle)
    rng = np.random.default_rng(seed)
    if order == "original":
        return natural
    if order == "random":
        return np.arange(len(shuffle))
    if order == "original, blocks exchanged":
        return natural[exchanged_blocks_order(len(shuffle), shape, rng)]
    if order.startswith("original + "):
        return natural[swapped_order(len(shuffle), int(order.split()[2]), rng)]
    if order == "IGTD":
        return IGTDReorderer(shape=shape).fit(X_train).permutation_
    if order == "single-linkage OLO (scipy)":
        return scipy_seriation(X_train)
    if order == "seriation (default)":
        return EntanglementReorderer(shape=shape, random_state=seed).fit(X_train).permutation_
    leaf_ordering = None if order == "entanglement (paper)" else "optimal"
    reorderer = EntanglementReorderer(
        shape=shape, method="cuts", leaf_ordering=leaf_ordering, random_state=seed
    )
    return reorderer.fit(X_train).permutation_


def mean_neighbour_correlation(Z, columns, shape):
    """Mean |correlation| of neighbouring features; ``Z`` holds standardized columns."""
    n_pairs = len(columns) - 1 if shape is None else 2 * shape[0] * shape[1] - sum(shape)
    return adjacent_similarity(Z, columns, shape) / n_pairs


def permuted_split(name, seed):
    """The dataset's split for ``seed``, the column shuffle, and the shuffled train/test X."""
    data = DATASETS[name][0](seed=seed)
    shuffle = np.random.default_rng(seed).permutation(data.X_train.shape[1])
    return data, shuffle, data.X_train[:, shuffle], data.X_test[:, shuffle]


def run_dataset(name, args, log):
    """Raw results of every seed: ``{(order, column): [value per seed]}``."""
    _, readout, seeds = DATASETS[name]
    readout, seeds = args.readout or readout, args.seeds or seeds
    budget = budget_of(name, args)
    results = {}
    for seed in range(seeds):
        data, shuffle, X_train, X_test = permuted_split(name, seed)
        standardized_train = StandardScaler().fit_transform(X_train)
        Z_train = standardized_columns(X_train)  # once per seed, for every order
        for order in args.orders:
            start = time.perf_counter()
            columns = learn_order(order, X_train, shuffle, data.shape, seed)
            fit_time = time.perf_counter() - start
            meter = EntanglementMeter(shape=data.shape, max_samples=500, random_state=seed)
            measured = {
                "fit time (s)": fit_time,
                "mean QE": meter.fit(
                    standardized_train[:, columns], data.y_train
                ).entanglement_.mean(),
                "neighbour abs corr": mean_neighbour_correlation(Z_train, columns, data.shape),
            }
            for network, make in selected_networks(data.shape, args.networks).items():
                model = make(**budget, random_state=seed, module__readout=readout)
                model.fit(X_train[:, columns].astype(np.float32), data.y_train)
                accuracy = model.score(X_test[:, columns].astype(np.float32), data.y_test)
                measured[network] = 100 * accuracy
                log(
                    f"{name} seed {seed} {order:>26} {network:>15}: {100 * accuracy:.1f}% "
                    f"({len(model.history)} epochs)"
                )
            measured["columns"] = columns.tolist()
            for column, value in measured.items():
                results.setdefault((order, column), []).append(value)
    return results


def budget_of(name, args):
    """Training budget of a dataset: its own (BUDGETS), or the common one; --quick wins."""
    budget = {"max_epochs": 30, "patience": 5, **BUDGETS.get(name, {})}
    if args.max_epochs is not None:
        budget["max_epochs"] = args.max_epochs
    if args.patience is not None:
        budget["patience"] = args.patience
    return budget


def selected_networks(shape, names):
    """The networks for this layout, only those named when ``names`` is given."""
    return {net: make for net, make in networks(shape).items() if not names or net in names}


def markdown_table(name, results, args):
    image = name in ("digits-2d", "digits-canvas")
    nets = list(selected_networks((8, 8) if image else None, args.networks))
    gap = f"{nets[0]} gap closed" if {"original", "random"} <= set(args.orders) else None
    columns = nets + ([gap] if gap else []) + ["mean QE", "neighbour abs corr", "fit time (s)"]
    lines = [
        "| order | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for order in args.orders:
        cells = []
        for column in columns:
            values = np.asarray(results.get((order, column), np.nan))
            if column == gap:
                # (order - random) / (natural - random) of the mean accuracies.
                mean = {o: np.mean(results[o, nets[0]]) for o in (order, "original", "random")}
                lost = mean["original"] - mean["random"]
                closed = (mean[order] - mean["random"]) / lost if lost > 0 else None
                cells.append("-" if closed is None else f"{100 * closed:.0f}%")
            elif column in nets:
                cells.append(f"{values.mean():.1f} +- {values.std():.1f}")
            elif column == "fit time (s)":
                cells.append("-" if order in ("original", "random") else f"{values.mean():.2f}")
            else:
                cells.append(f"{values.mean():.3f}")
        lines.append(f"| {order} | " + " | ".join(cells) + " |")
    for order, published in PUBLISHED.get(name, {}).items():
        cells = [f"{published[net]:.1f}" if net in published else "" for net in nets]
        blanks = [""] * (len(columns) - len(nets))
        lines.append(f"| published: {order} | " + " | ".join(cells + blanks) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--seeds", type=int, help="default: 3 (2 for mixed-shapes)")
    parser.add_argument("--max-epochs", type=int, help="default: 30 (60 for small series sets)")
    parser.add_argument("--patience", type=int, help="default: 5 (10 for small series sets)")
    parser.add_argument("--orders", nargs="+", choices=ORDERS + PROBE_ORDERS, default=ORDERS)
    parser.add_argument(
        "--networks",
        nargs="+",
        choices=[*SEQUENCE_NETWORKS, "CNN 2-D"],
        help="only these networks (default: all)",
    )
    parser.add_argument(
        "--readout", choices=["flatten", "mean"], help="default: flatten, mean for mixed-shapes"
    )
    parser.add_argument("--quick", action="store_true", help="one seed, two epochs")
    parser.add_argument("--json", help="also write every seed's numbers to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.max_epochs, args.patience = 1, 2, 2

    def log(message):
        print(message, file=sys.stderr, flush=True)

    raw = {}
    for name in args.datasets:
        start = time.perf_counter()
        results = run_dataset(name, args, log)
        minutes = (time.perf_counter() - start) / 60
        _, readout, seeds = DATASETS[name]
        budget = budget_of(name, args)
        print(
            f"\n### {name}: test accuracy (%), mean +- std over {args.seeds or seeds} seed(s), "
            f"<= {budget['max_epochs']} epochs, readout={args.readout or readout!r} "
            f"({minutes:.1f} min)\n"
        )
        print(markdown_table(name, results, args), flush=True)
        raw[name] = {" / ".join(key): values for key, values in results.items()}
    if args.json:
        with open(args.json, "w") as file:
            json.dump(raw, file, indent=1)


if __name__ == "__main__":
    main()
