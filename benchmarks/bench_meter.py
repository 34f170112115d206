"""Time EntanglementMeter's QE against a naive per-partition implementation.

For each (M samples, N features), levels 1-4 of the 1-D canonical tree (29 partitions):
- library: ``EntanglementMeter(levels=4).fit(X, y)`` (QE and SE);
- naive: for every partition, both Grams built feature by feature in linear space, then a
  full eigendecomposition for ``G_K^(1/2)`` and the eigenvalues of
  ``G_K^(1/2) D G_Kc D G_K^(1/2)`` (``sklearn_qe._testing.naive_entanglement``). Where the
  naive method would take longer than ``--naive-budget`` seconds, it runs on the first few
  partitions only and its total is extrapolated (marked ``~``);
- eigen floor: 29 ``eigvalsh`` of M x M matrices, the part no exact method avoids.
Agreement is the largest |QE difference| over the partitions both computed. The last two
columns run the library with ``n_jobs=2``: joblib threads (the default; LAPACK releases the
GIL) and, for comparison, processes (loky, which must pickle two M x M Grams per partition).

Run: ``python benchmarks/bench_meter.py`` (about 4 minutes on 2 cores).

``--default-fit 5000,20000,50000`` times instead what a user runs: ``EntanglementMeter(
random_state=0).fit`` with every default (all levels, the shifted blocks, the random-order
baseline, SE) on a 300-sample random walk, against the eigen floor of its measurement: one
``eigvalsh`` of size M for each partition whose blocks are too large for the explicit
``2**|K|`` form, which no exact method avoids (about 6 minutes on 2 cores).
"""

import argparse
import time

import numpy as np
from joblib import parallel_config

from sklearn_qe import EntanglementMeter, canonical_tree, label_weights
from sklearn_qe._testing import naive_entanglement

LEVELS = 4
THETA = 0.085


def smooth_data(n_samples, n_features, rng):
    """A labelled smooth 1-D process: random-walk features, two classes by drift sign."""
    drift = rng.choice([-1.0, 1.0], size=n_samples)
    steps = rng.standard_normal((n_samples, n_features)) + 0.05 * drift[:, None]
    X = np.cumsum(steps, axis=1) / np.sqrt(np.arange(1, n_features + 1))
    return (X - X.mean(axis=0)) / X.std(axis=0), (drift > 0).astype(int)


def eigen_floor(n_samples, n_partitions, rng):
    matrix = rng.standard_normal((n_samples, n_samples))
    matrix = matrix @ matrix.T
    start = time.perf_counter()
    for _ in range(n_partitions):
        np.linalg.eigvalsh(matrix)
    return time.perf_counter() - start


def default_fit(sizes, rng):
    """The table of ``--default-fit``: the meter's defaults on 300-sample random walks."""
    print(
        "| N | M measured | levels | partitions | full-rank partitions | fit (s) "
        "| eigen floor (s) | fit / floor |"
    )
    print("|---" * 8 + "|")
    for n_features in sizes:
        X, y = smooth_data(300, n_features, rng)
        start = time.perf_counter()
        meter = EntanglementMeter(random_state=0).fit(X, y)
        seconds = time.perf_counter() - start
        n_samples = meter.n_samples_measured_
        tree = canonical_tree(n_features)
        canonical = [len(b) for level in meter.levels_ for b in tree.partitions(level)]
        shifted = [
            sum(len(tree.blocks[level + 1][i]) for i in window)
            for level in meter.levels_
            for window in tree.shifted_partitions(level)
        ]
        sizes_measured = np.array(2 * canonical + shifted)  # the baseline repeats canonical
        smaller = np.minimum(sizes_measured, n_features - sizes_measured)
        full_rank = int(np.sum(smaller >= np.log2(n_samples)))
        floor = eigen_floor(n_samples, 20, rng) * full_rank / 20
        print(
            f"| {n_features} | {n_samples} | {len(meter.levels_)} | {len(sizes_measured)} "
            f"| {full_rank} | {seconds:.1f} | {floor:.1f} | {seconds / floor:.1f} |",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive-budget", type=float, default=60.0)
    parser.add_argument(
        "--sizes", default="200x128,200x1024,1000x1024,2000x4096", help="MxN,MxN,..."
    )
    parser.add_argument("--default-fit", help="N,N,...: time the default fit instead")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    if args.default_fit:
        default_fit([int(n) for n in args.default_fit.split(",")], rng)
        return

    header = (
        "| M | N | library (s) | naive (s) | speedup | eigen floor (s) | eigen share "
        "| max abs diff | n_jobs=2 threads (s) | n_jobs=2 processes (s) |"
    )
    print(header)
    print("|---" * 10 + "|")
    for size in args.sizes.split(","):
        n_samples, n_features = map(int, size.split("x"))
        X, y = smooth_data(n_samples, n_features, rng)
        tree = canonical_tree(n_features, max_level=LEVELS)
        partitions = [b for level in range(1, LEVELS + 1) for b in tree.partitions(level)]

        start = time.perf_counter()
        meter = EntanglementMeter(theta=THETA, levels=LEVELS).fit(X, y)
        library = time.perf_counter() - start
        library_qe = np.concatenate(meter.partition_entanglement_)

        _, weights = label_weights(y, n_samples)
        start = time.perf_counter()
        naive_qe = [naive_entanglement(X, weights[0], partitions[0], THETA)]
        per_partition = time.perf_counter() - start
        n_naive = len(partitions)
        if per_partition * len(partitions) > args.naive_budget:
            n_naive = max(1, min(len(partitions), int(args.naive_budget / per_partition)))
        for block in partitions[1:n_naive]:
            naive_qe.append(naive_entanglement(X, weights[0], block, THETA))
        naive = time.perf_counter() - start
        mark = ""
        if n_naive < len(partitions):
            naive *= len(partitions) / n_naive
            mark = "~"
        diff = np.abs(np.array(naive_qe) - library_qe[:n_naive]).max()
        floor = eigen_floor(n_samples, len(partitions), rng)
        parallel = {}
        for backend in ("threading", "loky"):
            with parallel_config(backend=backend):
                start = time.perf_counter()
                two = EntanglementMeter(theta=THETA, levels=LEVELS, n_jobs=2).fit(X, y)
                parallel[backend] = time.perf_counter() - start
            # BLAS called from two threads at once may block its sums differently: the
            # numbers agree to rounding, not bit for bit.
            np.testing.assert_allclose(
                np.concatenate(two.partition_entanglement_), library_qe, atol=1e-12
            )
        print(
            f"| {n_samples} | {n_features} | {library:.2f} | {mark}{naive:.1f} "
            f"| {mark}{naive / library:.0f}x | {floor:.2f} | {floor / library:.0%} "
            f"| {diff:.1e} | {parallel['threading']:.2f} | {parallel['loky']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
