"""Which score ranks feature orders the way the networks' accuracy does?

Reads the raw results of ``paper_table.py --json`` (every order's columns and test accuracy,
per dataset and seed), measures candidate scores of each order on the same training split, and
reports, per dataset and network, how well each score ranks the orders:

- Spearman's rho between the score and the test accuracy (means over seeds, one point per order);
- concordance: of the pairs of orders whose mean accuracies differ by at least 3 points, the
  share the score puts in the same order (a tie counts as wrong), and the number of ties.

Candidate scores (higher must mean better suited), all on standardized training features:

- "QE canonical": minus the mean QE of the canonical partitions (the theorem's quantity),
  averaged over levels;
- "QE shifted": the same over the blocks shifted by half a block
  (``EntanglementMeter().score``);
- "QE all": over both together, level by level;
- "SE canonical" / "SE all": the same with the surrogate SE (summed |rho| across the cut),
  normalised by the number of features;
- "neighbour |rho|": mean |Pearson correlation| of neighbouring features (no entanglement).

QE is measured on ``--max-samples`` training samples (default 256) with theta = 0.085.

Run: ``python paper_table.py --orders ... --json raw.json`` first, then
``python benchmarks/score_orders.py raw.json [more.json ...]``.
"""

import argparse
import json
import sys
from itertools import combinations

import numpy as np
from paper_table import mean_neighbour_correlation, permuted_split
from scipy.stats import spearmanr
from sklearn.preprocessing import StandardScaler

from sklearn_qe import EntanglementMeter, abs_correlation, canonical_tree
from sklearn_qe._correlation import standardized_columns

SCORES = ["QE canonical", "QE shifted", "QE all", "SE canonical", "SE all", "neighbour |rho|"]
NETWORKS = ["CNN", "S4", "CNN 2-D"]
# Pairs of orders whose accuracies differ by less than this are not counted (noise).
MIN_DIFFERENCE = 3.0


def surrogate(rho, tree, level, windows):
    """Mean SE of the canonical blocks and of the shifted windows of one level."""
    n_features = len(rho)

    def crossing(block):
        inside = np.zeros(n_features, dtype=bool)
        inside[block] = True
        return rho[np.ix_(inside, ~inside)].sum()

    canonical = [crossing(block) for block in tree.partitions(level)]
    shifted = [
        crossing(np.concatenate([tree.blocks[level + 1][i] for i in window])) for window in windows
    ]
    return canonical, shifted


def scores_of(X_train, y_train, shape, max_samples, seed):
    """Every candidate score of one order's training data."""
    standardized = StandardScaler().fit_transform(X_train)
    meter = EntanglementMeter(shape=shape, max_samples=max_samples, random_state=seed)
    meter.fit(standardized, y_train)
    rho = abs_correlation(X_train)
    tree = canonical_tree(X_train.shape[1], shape=shape)
    se_canonical, se_all = [], []
    for level in meter.levels_:
        canonical, windows = surrogate(rho, tree, level, tree.shifted_partitions(level))
        se_canonical.append(np.mean(canonical))
        se_all.append(np.mean(canonical + windows))
    n_features = X_train.shape[1]
    return {
        "QE canonical": -meter.entanglement_.mean(),
        "QE shifted": meter.score_,  # the meter's score
        "QE all": -np.mean(
            [
                np.concatenate([canonical, shifted]).mean()
                for canonical, shifted in zip(
                    meter.partition_entanglement_, meter.partition_shifted_entanglement_
                )
            ]
        ),
        "SE canonical": -np.mean(se_canonical) / n_features,
        "SE all": -np.mean(se_all) / n_features,
        "neighbour |rho|": mean_neighbour_correlation(
            standardized_columns(X_train), np.arange(n_features), shape
        ),
    }


def concordance(score, accuracy):
    """Share of clearly different pairs ranked alike, the number of pairs, and the ties."""
    agree = pairs = ties = 0
    for a, b in combinations(range(len(score)), 2):
        if abs(accuracy[a] - accuracy[b]) < MIN_DIFFERENCE:
            continue
        pairs += 1
        if np.isclose(score[a], score[b], rtol=1e-9, atol=1e-12):
            ties += 1
        elif (score[a] - score[b]) * (accuracy[a] - accuracy[b]) > 0:
            agree += 1
    return (agree / pairs if pairs else np.nan), pairs, ties


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="JSON files written by paper_table.py")
    parser.add_argument("--max-samples", type=int, default=256)
    parser.add_argument("--json", help="also write the scores of every order to this file")
    args = parser.parse_args(argv)
    raw = {}
    for path in args.results:
        with open(path) as file:
            raw.update(json.load(file))

    measured = {}
    print(
        "| dataset | network | orders | pairs >= 3 points | "
        + " | ".join(f"{s}: Spearman / concordance" for s in SCORES)
        + " |"
    )
    print("|---" * (4 + len(SCORES)) + "|")
    for name, results in raw.items():
        orders = [key.split(" / ")[0] for key in results if key.endswith(" / columns")]
        per_order = {order: {score: [] for score in SCORES} for order in orders}
        n_seeds = len(results[f"{orders[0]} / columns"])
        for seed in range(n_seeds):
            data, _, X_train, _ = permuted_split(name, seed)
            for order in orders:
                columns = np.asarray(results[f"{order} / columns"][seed])
                values = scores_of(
                    X_train[:, columns], data.y_train, data.shape, args.max_samples, seed
                )
                for score, value in values.items():
                    per_order[order][score].append(value)
                print(
                    f"{name} seed {seed} {order:>26}: "
                    + ", ".join(f"{k} {v:.4f}" for k, v in values.items()),
                    file=sys.stderr,
                    flush=True,
                )
        measured[name] = per_order
        for network in NETWORKS:
            key = f"{{}} / {network}"
            if key.format(orders[0]) not in results:
                continue
            accuracy = np.array([np.mean(results[key.format(order)]) for order in orders])
            cells, n_pairs = [], 0
            for score in SCORES:
                values = np.array([np.mean(per_order[order][score]) for order in orders])
                rho = spearmanr(values, accuracy).statistic
                agree, n_pairs, ties = concordance(values, accuracy)
                share = "-" if np.isnan(agree) else f"{100 * agree:.0f}%"
                cells.append(f"{rho:+.2f} / {share}" + (f" ({ties} ties)" if ties else ""))
            print(
                f"| {name} | {network} | {len(orders)} | {n_pairs} | " + " | ".join(cells) + " |",
                flush=True,
            )
    if args.json:
        with open(args.json, "w") as file:
            json.dump(measured, file, indent=1)


if __name__ == "__main__":
    main()
