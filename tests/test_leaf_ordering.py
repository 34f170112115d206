import numpy as np
import pytest
from scipy.cluster.hierarchy import leaves_list, optimal_leaf_ordering
from scipy.spatial.distance import squareform

from sklearn_qe import canonical_tree
from sklearn_qe._correlation import abs_correlation, standardized_columns
from sklearn_qe._leaf_ordering import adjacent_similarity, orient_order
from sklearn_qe._partitions import halves


def allowed_orders(order):
    """Every order reachable by exchanging equal-size halves anywhere in the canonical tree."""
    if len(order) == 1:
        yield list(order)
        return
    (start, middle), (_, stop) = halves(0, len(order))
    for head in allowed_orders(order[start:middle]):
        for tail in allowed_orders(order[middle:stop]):
            yield head + tail
            if middle - start == stop - middle:
                yield tail + head


def block_sets(order, shape=None):
    tree = canonical_tree(len(order), shape=shape)
    return [
        sorted(tuple(sorted(order[block].tolist())) for block in level) for level in tree.blocks
    ]


def scipy_optimal_order(X, order):
    """scipy's optimal leaf ordering of the canonical tree laid over ``order``."""
    linkage, clusters = [], list(order)
    while len(clusters) > 1:  # power of two: every level pairs neighbours
        merged = []
        for a, b in zip(clusters[::2], clusters[1::2]):
            size = sum(1 if c < len(order) else linkage[c - len(order)][3] for c in (a, b))
            linkage.append([a, b, len(linkage) + 1.0, size])
            merged.append(len(order) + len(linkage) - 1)
        clusters = merged
    distance = 1.0 - abs_correlation(X)
    np.fill_diagonal(distance, 0.0)
    return leaves_list(optimal_leaf_ordering(np.array(linkage), squareform(distance)))


@pytest.mark.parametrize("n_features", [2, 3, 5, 6, 7, 9, 12])
def test_1d_is_the_best_allowed_order(n_features):
    rng = np.random.default_rng(n_features)
    X = rng.standard_normal((30, n_features)) @ rng.standard_normal((n_features, n_features))
    Z = standardized_columns(X)
    order = rng.permutation(n_features)
    best = max(adjacent_similarity(Z, np.array(o)) for o in allowed_orders(list(order)))
    oriented = orient_order(X, order)
    assert sorted(oriented.tolist()) == list(range(n_features))
    assert adjacent_similarity(Z, oriented) == pytest.approx(best, abs=1e-12)
    assert any(list(oriented) == o for o in allowed_orders(list(order)))


@pytest.mark.parametrize("n_features", [8, 64, 256])
def test_1d_is_at_least_as_good_as_scipy_optimal_leaf_ordering(n_features, random_walks):
    """With every node balanced, scipy solves the same problem; ours must not lose to it.

    (scipy's result is not always optimal, scipy issue #11227: at 16 features brute force
    finds better orders than scipy does, and ours equals brute force.)
    """
    X = random_walks(200, n_features, seed=n_features)
    order = np.random.default_rng(0).permutation(n_features)
    Z = standardized_columns(X)
    scipy_similarity = adjacent_similarity(Z, scipy_optimal_order(X, order))
    assert adjacent_similarity(Z, orient_order(X, order)) >= scipy_similarity - 1e-9


def test_1d_is_the_best_order_of_a_balanced_tree(random_walks):
    X = random_walks(100, 16, seed=16)
    order = np.random.default_rng(0).permutation(16)
    Z = standardized_columns(X)
    best = max(adjacent_similarity(Z, np.array(o)) for o in allowed_orders(list(order)))
    assert adjacent_similarity(Z, orient_order(X, order)) == pytest.approx(best, abs=1e-12)


@pytest.mark.parametrize(
    "n_features, shape",
    [
        (64, None),
        (180, None),
        (1000, None),
        (3000, None),
        (64, (8, 8)),
        (60, (6, 10)),
        (96, (8, 12)),
        (48, (4, 12)),
    ],
)
def test_canonical_blocks_are_kept_and_similarity_never_drops(n_features, shape, random_walks):
    X = random_walks(150, n_features, seed=1)
    order = np.random.default_rng(2).permutation(n_features)
    oriented = orient_order(X, order, shape)
    Z = standardized_columns(X)
    assert block_sets(oriented, shape) == block_sets(order, shape)
    assert adjacent_similarity(Z, oriented, shape) >= adjacent_similarity(Z, order, shape)
    # On independent features too (nothing to gain but nothing may be lost).
    noise = np.random.default_rng(3).standard_normal((150, n_features))
    assert (
        adjacent_similarity(standardized_columns(noise), orient_order(noise, order, shape), shape)
        >= adjacent_similarity(standardized_columns(noise), order, shape) - 1e-9
    )


def test_orientation_undoes_exchanges_of_a_smooth_grid():
    """A smooth image whose quadrants were exchanged and mirrored is mostly mended."""
    rng = np.random.default_rng(0)
    rows, cols = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    phases = rng.uniform(0, 2 * np.pi, size=(500, 2))
    X = np.sin(0.35 * rows.ravel() + phases[:, :1]) + np.cos(0.3 * cols.ravel() + phases[:, 1:])
    scrambled = np.arange(64).reshape(8, 8)
    scrambled = np.block(
        [
            [scrambled[4:, :4][:, ::-1], scrambled[:4, :4]],
            [scrambled[4:, 4:], scrambled[:4, 4:][::-1]],
        ]
    ).ravel()
    Z = standardized_columns(X)
    oriented = orient_order(X, scrambled, (8, 8))
    natural = adjacent_similarity(Z, np.arange(64), (8, 8))
    lost = natural - adjacent_similarity(Z, scrambled, (8, 8))
    # Greedy from the bottom: children are oriented before their parent sees them, so the
    # natural layout itself need not come back, only most of the similarity it had.
    assert lost > 5
    assert natural - adjacent_similarity(Z, oriented, (8, 8)) < 0.25 * lost


def test_orientation_is_deterministic(random_walks):
    X = random_walks(100, 200, seed=4)
    order = np.random.default_rng(5).permutation(200)
    np.testing.assert_array_equal(orient_order(X, order), orient_order(X, order))
