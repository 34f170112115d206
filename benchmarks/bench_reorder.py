"""Benchmark the feature reorderers: speed, memory and the entanglement they remove.

Tables:
1. EntanglementReorderer().fit with its defaults (``n_neighbors="auto"``: the dense graph up
   to 4,096 features, the 16 strongest correlations of each feature beyond) on a random walk
   with its columns shuffled, M = 500 samples (1000 at N = 617), each size in a fresh process:
   time, peak memory (RSS of that process) and the mean |correlation| of neighbouring
   features, against the natural order's. ``method="cuts"`` (the paper's cuts, then the
   orientation ``leaf_ordering="optimal"`` adds, timed apart) up to ``--max-cuts`` features.
2. Quality beyond chains: mean |correlation| of neighbours after seriation on a shuffled
   2-D Gaussian field (smoothed noise on a square grid, row-major natural order) and on
   block-structured data (features in groups sharing a factor), up to 20,000 features.
3. With ``--dask N``: the same fit at N features through
   ``joblib.parallel_config(backend="dask")`` on a local dask cluster of 2 single-threaded
   worker processes: time and the peak memory of the client and of each worker.
4. IGTDReorderer time for exactly 1000 swap steps on 1000 samples, N = 180 and 617, next to
   the widely used pure-Python IGTD (about 5 s and 22 s on this kind of machine), with the
   mean |correlation| of neighbouring features for each order.
5. Mean SE per level of the canonical tree, for the identity (natural) order, a random order,
   IGTD and EntanglementReorderer, on the digits (8x8, 2-D) and the random walk (1-D).

Run: ``python benchmarks/bench_reorder.py`` (about 15 minutes on 2 cores; ``--sizes`` to
choose the sizes of table 1, ``--dask 200000`` for table 3, ``--quick`` for a smoke run).
"""

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
from scipy.ndimage import gaussian_filter
from sklearn.datasets import load_digits

from sklearn_qe import EntanglementReorderer, IGTDReorderer, abs_correlation
from sklearn_qe._correlation import standardized_columns
from sklearn_qe._leaf_ordering import adjacent_similarity, orient_order


def random_walk(n_samples, n_features, seed=0):
    rng = np.random.default_rng(seed)
    X = np.cumsum(rng.standard_normal((n_samples, n_features)), axis=1)
    return X, rng.permutation(n_features)


def gaussian_field(n_samples, n_features, seed=0):
    """Smoothed noise on a square grid (side = floor(sqrt(N))), row-major."""
    rng = np.random.default_rng(seed)
    side = int(np.sqrt(n_features))
    field = gaussian_filter(rng.standard_normal((n_samples, side, side)), sigma=(0, 2, 2))
    return field.reshape(n_samples, -1), rng.permutation(side * side)


def blocks(n_samples, n_features, seed=0):
    """Features in groups of about 75 that share a factor, plus as much noise."""
    rng = np.random.default_rng(seed)
    groups = np.sort(rng.integers(max(2, n_features // 75), size=n_features))
    X = rng.standard_normal((n_samples, groups.max() + 1))[:, groups]
    return X + rng.standard_normal(X.shape), rng.permutation(n_features)


DATA = {"walk": random_walk, "field": gaussian_field, "blocks": blocks}


def mean_neighbour_correlation(X, order):
    return adjacent_similarity(standardized_columns(X), order) / (X.shape[1] - 1)


def fit_once(data, n_features, n_samples, method, dask):
    """Fit in this process and print the time, peak memory and neighbours' |corr| as JSON."""
    X, shuffle = DATA[data](n_samples, n_features)
    X = X[:, shuffle]
    result = {}
    if dask:
        import joblib
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
        start = time.perf_counter()
        with joblib.parallel_config(backend="dask"):
            order = EntanglementReorderer(n_jobs=-1).fit(X).permutation_
        result["seriation"] = time.perf_counter() - start
        result["workers_peak_mb"] = sorted(
            client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024).values()
        )
        client.close()
        cluster.close()
    elif method == "cuts":
        start = time.perf_counter()
        paper = EntanglementReorderer(method="cuts", leaf_ordering=None, random_state=0)
        cut_order = paper.fit(X).permutation_
        result["cuts"] = time.perf_counter() - start
        start = time.perf_counter()
        order = orient_order(X, cut_order)  # what leaf_ordering="optimal" adds to the fit
        result["orientation"] = time.perf_counter() - start
        result["corr cuts"] = mean_neighbour_correlation(X, cut_order)
    else:
        start = time.perf_counter()
        order = EntanglementReorderer().fit(X).permutation_
        result["seriation"] = time.perf_counter() - start
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["corr"] = mean_neighbour_correlation(X, order)
    print(json.dumps(result))


def in_fresh_process(data, n_features, n_samples, method, dask=False):
    args = [sys.executable, __file__, "--one", data, str(n_features), str(n_samples), method]
    args += ["--dask"] if dask else []
    output = subprocess.run(args, capture_output=True, check=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def natural_correlation(data, n_features, n_samples):
    X, _ = DATA[data](n_samples, n_features)
    return mean_neighbour_correlation(X, np.arange(X.shape[1]))


def speed_table(sizes, max_cuts):
    print(
        "| N | M | graph | seriation (s) | peak (MB) | cuts (s) | + orientation (s) | peak (MB) "
        "| neighbour abs corr: seriation / cuts / oriented / natural |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n_features in sizes:
        n_samples = 1000 if n_features < 1000 else 500
        seriation = in_fresh_process("walk", n_features, n_samples, "seriation")
        cuts = None
        if n_features <= max_cuts:
            cuts = in_fresh_process("walk", n_features, n_samples, "cuts")
        graph = (
            "dense" if n_features <= EntanglementReorderer._auto_dense_features else "16 neighbours"
        )
        cut_cells = (
            f"{cuts['cuts']:.2f} | {cuts['orientation']:.2f} | {cuts['peak_mb']:.0f}"
            if cuts
            else "not run | | "
        )
        cut_corr = f"{cuts['corr cuts']:.4f} / {cuts['corr']:.4f}" if cuts else "- / -"
        print(
            f"| {n_features} | {n_samples} | {graph} | {seriation['seriation']:.2f} "
            f"| {seriation['peak_mb']:.0f} | {cut_cells} | {seriation['corr']:.4f} / {cut_corr} "
            f"/ {natural_correlation('walk', n_features, n_samples):.4f} |",
            flush=True,
        )


def quality_table(sizes):
    print("| data | N | M | seriation (s) | neighbour abs corr: seriation / natural (row-major) |")
    print("|---|---|---|---|---|")
    for data in ("field", "blocks"):
        for n_features in sizes:
            result = in_fresh_process(data, n_features, 500, "seriation")
            natural = natural_correlation(data, n_features, 500)
            print(
                f"| {data} | {n_features} | 500 | {result['seriation']:.2f} "
                f"| {result['corr']:.4f} / {natural:.4f} |",
                flush=True,
            )


def dask_table(n_features):
    result = in_fresh_process("walk", n_features, 500, "seriation", dask=True)
    workers = " / ".join(f"{mb:.0f}" for mb in result["workers_peak_mb"])
    print("| N | M | time (s) | client peak (MB) | workers' peak (MB) | neighbour abs corr |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {n_features} | 500 | {result['seriation']:.1f} | {result['peak_mb']:.0f} "
        f"| {workers} | {result['corr']:.4f} |",
        flush=True,
    )


def neighbour_correlation(rho, order):
    return rho[order[:-1], order[1:]].mean()


def igtd_table():
    reference = {180: 5.0, 617: 22.0}
    print(
        "| N | steps | IGTDReorderer (s) | pure-Python IGTD (s) | speedup "
        "| neighbour abs corr: natural / random / IGTD / entanglement (paper) / oriented |"
    )
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
        orders = (
            np.argsort(shuffle),
            np.arange(n_features),
            igtd.permutation_,
            paper.permutation_,
            oriented.permutation_,
        )
        corr = " / ".join(f"{neighbour_correlation(rho, order):.3f}" for order in orders)
        print(
            f"| {n_features} | {igtd.n_steps_} | {seconds:.2f} | ~{reference[n_features]:.0f} "
            f"| ~{reference[n_features] / seconds:.0f}x | {corr} |",
            flush=True,
        )


def se_table():
    digits, _ = load_digits(return_X_y=True)
    walk, _ = random_walk(1000, 256)
    for name, X, shape in (
        ("digits 8x8 (2-D)", digits, (8, 8)),
        ("random walk, N=256 (1-D)", walk, None),
    ):
        shuffle = np.random.default_rng(1).permutation(X.shape[1])
        shuffled = X[:, shuffle]
        rows = {
            "natural": EntanglementReorderer(shape=shape, random_state=0)
            .fit(X)
            .surrogate_entanglement_before_,
            "random": EntanglementReorderer(shape=shape, random_state=0)
            .fit(shuffled)
            .surrogate_entanglement_before_,
            "IGTD": IGTDReorderer(shape=shape).fit(shuffled).surrogate_entanglement_,
            "entanglement": EntanglementReorderer(shape=shape, random_state=0)
            .fit(shuffled)
            .surrogate_entanglement_,
        }
        n_levels = len(rows["natural"])
        print(f"\nMean SE per level, {name} (lower is better):\n")
        print(
            "| order | " + " | ".join(f"level {level}" for level in range(1, n_levels + 1)) + " |"
        )
        print("|---" * (n_levels + 1) + "|")
        for order, se in rows.items():
            print(f"| {order} | " + " | ".join(f"{v:.1f}" for v in se) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=int,
        default=[617, 4096, 20000, 50000, 100000],
        help="features of table 1",
    )
    parser.add_argument(
        "--quality-sizes", nargs="+", type=int, default=[4096, 20000], help="features of table 2"
    )
    parser.add_argument(
        "--max-cuts",
        type=int,
        default=20000,
        help="time method='cuts' only up to this many features",
    )
    parser.add_argument(
        "--dask",
        type=int,
        nargs="?",
        const=200000,
        default=None,
        help="table 3 at this many features (with --one: fit through dask)",
    )
    parser.add_argument("--speed-only", action="store_true", help="only tables 1-3")
    parser.add_argument("--quick", action="store_true", help="a smoke run on small sizes")
    args = parser.parse_args()
    if args.one:
        data, n_features, n_samples, method = args.one
        fit_once(data, int(n_features), int(n_samples), method, args.dask is not None)
        return
    if args.quick:
        args.sizes, args.quality_sizes, args.max_cuts = [300], [256], 300
    speed_table(args.sizes, args.max_cuts)
    print()
    quality_table(args.quality_sizes)
    if args.dask:
        print()
        dask_table(args.dask)
    if args.speed_only or args.quick:
        return
    print()
    igtd_table()
    se_table()


if __name__ == "__main__":
    main()
