"""Benchmark the feature reorderers: speed, memory and the entanglement they remove.

Three tables:
1. EntanglementReorderer fit time and peak memory (each method in a fresh process, peak RSS
   of that process) on a random-walk process with columns shuffled: N = 617 and 4096 (dense
   graph), 20,000 and 50,000 (``n_neighbors=50``), M = 500 samples (1000 for N = 617). For
   ``method="cuts"`` the cuts (``leaf_ordering=None``) and the orientation that
   ``leaf_ordering="optimal"`` adds are timed apart; ``method="seriation"`` (the default) is
   timed whole. With each, the mean |correlation| of neighbouring features.
2. IGTDReorderer time for exactly 1000 swap steps on 1000 samples, N = 180 and 617, next to
   the widely used pure-Python IGTD (about 5 s and 22 s on this kind of machine, per the
   issue), with the mean |correlation| of neighbouring features for each order.
3. Mean SE per level of the canonical tree, for the identity (natural) order, a random order,
   IGTD and EntanglementReorderer, on the digits (8x8, 2-D) and the random walk (1-D).

Run: ``python benchmarks/bench_reorder.py`` (about 10 minutes on 2 cores; ``--no-50k`` skips
the largest run).
"""

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
from sklearn.datasets import load_digits

from sklearn_qe import EntanglementReorderer, IGTDReorderer, abs_correlation
from sklearn_qe._correlation import standardized_columns
from sklearn_qe._leaf_ordering import adjacent_similarity, orient_order


def random_walk(n_samples, n_features, seed=0):
    rng = np.random.default_rng(seed)
    X = np.cumsum(rng.standard_normal((n_samples, n_features)), axis=1)
    return X, rng.permutation(n_features)


def fit_once(n_features, n_samples, n_neighbors, method):
    """Fit in this process and print the time, peak memory and neighbours' |corr| as JSON."""
    X, shuffle = random_walk(n_samples, n_features)
    X = X[:, shuffle]
    Z = standardized_columns(X)
    result = {}
    start = time.perf_counter()
    if method == "cuts":
        paper = EntanglementReorderer(
            method="cuts", n_neighbors=n_neighbors, leaf_ordering=None, random_state=0
        )
        cut_order = paper.fit(X).permutation_
        result["cuts"] = time.perf_counter() - start
        start = time.perf_counter()
        order = orient_order(X, cut_order)  # what leaf_ordering="optimal" adds to the fit
        result["orientation"] = time.perf_counter() - start
        result["corr cuts"] = adjacent_similarity(Z, cut_order) / (n_features - 1)
    else:
        order = EntanglementReorderer(n_neighbors=n_neighbors).fit(X).permutation_
        result["seriation"] = time.perf_counter() - start
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["corr"] = adjacent_similarity(Z, order) / (n_features - 1)
    print(json.dumps(result))


def speed_table(sizes, max_cuts):
    print("| N | M | graph | cuts (s) | + orientation (s) | peak (MB) | seriation (s) | peak (MB) "
          "| neighbour abs corr: cuts / oriented / seriation / natural |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n_features, n_samples, n_neighbors in sizes:
        results = {"cuts": None}
        for method in ("cuts", "seriation"):
            if method == "cuts" and n_features > max_cuts:
                continue
            args = [sys.executable, __file__, "--one", str(n_features), str(n_samples)]
            args += [str(n_neighbors or 0), method]
            output = subprocess.run(args, capture_output=True, check=True, text=True).stdout
            results[method] = json.loads(output)
        cuts, seriation = results["cuts"], results["seriation"]
        X, shuffle = random_walk(n_samples, n_features)
        natural = adjacent_similarity(standardized_columns(X), np.arange(n_features))
        graph = f"n_neighbors={n_neighbors}" if n_neighbors else "dense"
        cut_cells = (
            f"{cuts['cuts']:.2f} | {cuts['orientation']:.2f} | {cuts['peak_mb']:.0f}"
            if cuts else "not run | | "
        )
        cut_corr = f"{cuts['corr cuts']:.3f} / {cuts['corr']:.3f}" if cuts else "- / -"
        print(
            f"| {n_features} | {n_samples} | {graph} | {cut_cells} "
            f"| {seriation['seriation']:.2f} | {seriation['peak_mb']:.0f} | {cut_corr} / "
            f"{seriation['corr']:.3f} / {natural / (n_features - 1):.3f} |",
            flush=True,
        )


def neighbour_correlation(rho, order):
    return rho[order[:-1], order[1:]].mean()


def igtd_table():
    reference = {180: 5.0, 617: 22.0}
    print("| N | steps | IGTDReorderer (s) | pure-Python IGTD (s) | speedup "
          "| neighbour abs corr: natural / random / IGTD / entanglement (paper) / oriented |")
    print("|---|---|---|---|---|---|")
    for n_features in (180, 617):
        X, shuffle = random_walk(1000, n_features)
        X = X[:, shuffle]
        rho = abs_correlation(X)
        start = time.perf_counter()
        igtd = IGTDReorderer(max_steps=1000, n_steps_no_improvement=1000).fit(X)
        seconds = time.perf_counter() - start
        paper = EntanglementReorderer(method="cuts", leaf_ordering=None, random_state=0).fit(X)
        oriented = EntanglementReorderer(method="cuts", random_state=0).fit(X)
        orders = (np.argsort(shuffle), np.arange(n_features), igtd.permutation_,
                  paper.permutation_, oriented.permutation_)
        corr = " / ".join(f"{neighbour_correlation(rho, order):.3f}" for order in orders)
        print(
            f"| {n_features} | {igtd.n_steps_} | {seconds:.2f} | ~{reference[n_features]:.0f} "
            f"| ~{reference[n_features] / seconds:.0f}x | {corr} |",
            flush=True,
        )


def se_table():
    digits, _ = load_digits(return_X_y=True)
    walk, _ = random_walk(1000, 256)
    for name, X, shape in (("digits 8x8 (2-D)", digits, (8, 8)), ("random walk, N=256 (1-D)", walk, None)):
        shuffle = np.random.default_rng(1).permutation(X.shape[1])
        shuffled = X[:, shuffle]
        rows = {
            "natural": EntanglementReorderer(shape=shape, random_state=0).fit(X).surrogate_entanglement_before_,
            "random": EntanglementReorderer(shape=shape, random_state=0).fit(shuffled).surrogate_entanglement_before_,
            "IGTD": IGTDReorderer(shape=shape).fit(shuffled).surrogate_entanglement_,
            "entanglement": EntanglementReorderer(shape=shape, random_state=0).fit(shuffled).surrogate_entanglement_,
        }
        n_levels = len(rows["natural"])
        print(f"\nMean SE per level, {name} (lower is better):\n")
        print("| order | " + " | ".join(f"level {l}" for l in range(1, n_levels + 1)) + " |")
        print("|---" * (n_levels + 1) + "|")
        for order, se in rows.items():
            print(f"| {order} | " + " | ".join(f"{v:.1f}" for v in se) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--no-50k", action="store_true", help="skip N = 50,000")
    parser.add_argument(
        "--max-cuts", type=int, default=50_000,
        help="time method='cuts' only up to this many features (7 minutes at 50,000)",
    )
    parser.add_argument("--speed-only", action="store_true", help="only the first table")
    args = parser.parse_args()
    if args.one:
        n_features, n_samples, n_neighbors, method = args.one
        fit_once(int(n_features), int(n_samples), int(n_neighbors) or None, method)
        return
    sizes = [(617, 1000, None), (4096, 500, None), (20000, 500, 50)]
    if not args.no_50k:
        sizes.append((50000, 500, 50))
    speed_table(sizes, args.max_cuts)
    if args.speed_only:
        return
    print()
    igtd_table()
    se_table()


if __name__ == "__main__":
    main()
