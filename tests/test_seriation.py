from itertools import combinations

import numpy as np
import pytest
from scipy import sparse
from scipy.cluster.hierarchy import cophenet, is_valid_linkage, leaves_list, linkage
from scipy.cluster.hierarchy import optimal_leaf_ordering
from scipy.spatial.distance import squareform

from sklearn_qe import abs_correlation, abs_correlation_graph, canonical_tree
from sklearn_qe._correlation import standardized_columns
from sklearn_qe._leaf_ordering import adjacent_similarity, dendrogram_order
from sklearn_qe._seriation import quadtree_curve, seriation_order, single_linkage, two_opt


def random_walks(n_samples, n_features, seed):
    rng = np.random.default_rng(seed)
    X = np.cumsum(rng.standard_normal((n_samples, n_features)), axis=1)
    return X, rng.permutation(n_features)


def condensed_distance(X):
    return squareform(1.0 - abs_correlation(X), checks=False)


@pytest.mark.parametrize("n_features", [2, 7, 40])
def test_single_linkage_matches_scipy(n_features):
    rng = np.random.default_rng(n_features)
    X = rng.standard_normal((30, n_features)) @ rng.standard_normal((n_features, n_features))
    ours = single_linkage(abs_correlation_graph(X))
    assert is_valid_linkage(ours)
    reference = linkage(condensed_distance(X), "single")
    # Same tree up to the order of tied merges: the same cophenetic distances.
    np.testing.assert_allclose(cophenet(ours), cophenet(reference), atol=1e-12)


def test_single_linkage_of_a_disconnected_graph():
    """Components (and features with no edge at all) are merged last, at distance 1."""
    similarity = np.zeros((6, 6))
    similarity[0, 1] = similarity[1, 0] = 0.9
    similarity[3, 4] = similarity[4, 3] = 0.5
    tree = single_linkage(sparse.csr_array(similarity))
    assert is_valid_linkage(tree) and tree.shape == (5, 4)
    np.testing.assert_allclose(tree[:, 2], [0.1, 0.5, 1.0, 1.0, 1.0])
    assert tree[-1, 3] == 6


def allowed_orders(tree, node):
    """Every leaf order a dendrogram allows: either child first, each oriented freely."""
    n_leaves = len(tree) + 1
    if node < n_leaves:
        yield [node]
        return
    left, right = tree[node - n_leaves, :2].astype(int)
    for head in allowed_orders(tree, left):
        for tail in allowed_orders(tree, right):
            yield head + tail
            yield tail + head


@pytest.mark.parametrize("n_features", [3, 6, 8])
def test_dendrogram_order_is_the_best_the_tree_allows(n_features):
    rng = np.random.default_rng(n_features)
    X = rng.standard_normal((25, n_features)) @ rng.standard_normal((n_features, n_features))
    Z = standardized_columns(X)
    tree = linkage(condensed_distance(X), "average")
    candidates = list(allowed_orders(tree, 2 * n_features - 2))
    best = max(adjacent_similarity(Z, np.array(order)) for order in candidates)
    order = dendrogram_order(Z, tree)
    assert order.tolist() in candidates
    assert adjacent_similarity(Z, order) == pytest.approx(best, abs=1e-12)


@pytest.mark.parametrize("n_features", [50, 300])
def test_dendrogram_order_is_at_least_as_good_as_scipy(n_features):
    X, shuffle = random_walks(150, n_features, seed=n_features)
    X = X[:, shuffle]
    Z = standardized_columns(X)
    distance = condensed_distance(X)
    tree = linkage(distance, "single")
    scipy_order = leaves_list(optimal_leaf_ordering(tree, distance))
    ours = dendrogram_order(Z, tree)
    assert sorted(ours) == list(range(n_features))
    assert adjacent_similarity(Z, ours) >= adjacent_similarity(Z, scipy_order) - 1e-9


def test_two_opt_ends_at_a_local_optimum():
    """No reversal of any stretch (open path, either end free) raises the similarity."""
    rng = np.random.default_rng(0)
    n_features = 12
    X = rng.standard_normal((40, n_features)) @ rng.standard_normal((n_features, n_features))
    rho = np.zeros((n_features + 1, n_features + 1))
    rho[:-1, :-1] = abs_correlation(X)
    start = rng.permutation(n_features)
    path = two_opt(lambda a, b: rho[a, b], start, lambda a: np.delete(np.arange(n_features), a))
    assert sorted(path) == list(range(n_features))

    def total(order):
        return rho[order[:-1], order[1:]].sum()

    assert total(path) >= total(start)
    for p, q in combinations(range(n_features + 1), 2):
        moved = np.concatenate([path[:p], path[p:q][::-1], path[q:]])
        assert total(moved) <= total(path) + 1e-9


@pytest.mark.parametrize("shape", [(2, 2), (4, 4), (8, 8), (16, 16), (5, 6), (3, 7), (8, 12)])
def test_quadtree_curve_keeps_every_canonical_block_contiguous(shape):
    cells = quadtree_curve(shape)
    n_features = shape[0] * shape[1]
    assert sorted(cells) == list(range(n_features))
    position = np.argsort(cells)  # where the curve passes each cell
    tree = canonical_tree(n_features, shape=shape)
    for level in tree.blocks:
        for block in level:
            stretch = np.sort(position[block])
            assert stretch[-1] - stretch[0] == len(block) - 1
    if shape[0] == shape[1] and shape[0] & (shape[0] - 1) == 0:  # Hilbert: unit steps
        rows, cols = np.divmod(cells, shape[1])
        assert np.all(np.abs(np.diff(rows)) + np.abs(np.diff(cols)) == 1)


@pytest.mark.parametrize("n_neighbors", [None, 10])
def test_seriation_restores_shuffled_walks(n_neighbors):
    X, shuffle = random_walks(300, 200, seed=1)
    shuffled = X[:, shuffle]
    order = seriation_order(shuffled, abs_correlation_graph(shuffled, n_neighbors=n_neighbors))
    assert sorted(order) == list(range(200))
    Z = standardized_columns(shuffled)
    natural = adjacent_similarity(Z, np.argsort(shuffle))
    assert adjacent_similarity(Z, order) >= natural - 1e-9


def test_seriation_2d_is_as_good_as_the_natural_path_along_the_curve():
    X, shuffle = random_walks(300, 64, seed=2)
    shuffled = X[:, shuffle]
    order = seriation_order(shuffled, abs_correlation_graph(shuffled), shape=(8, 8))
    assert sorted(order) == list(range(64))
    Z = standardized_columns(shuffled)
    natural_on_curve = np.empty(64, dtype=int)
    natural_on_curve[quadtree_curve((8, 8))] = np.argsort(shuffle)
    assert adjacent_similarity(Z, order, (8, 8)) >= adjacent_similarity(
        Z, natural_on_curve, (8, 8)
    ) - 1e-9
    assert adjacent_similarity(Z, order, (8, 8)) > adjacent_similarity(Z, np.arange(64), (8, 8))


def test_seriation_is_deterministic():
    X, shuffle = random_walks(100, 120, seed=3)
    graph = abs_correlation_graph(X[:, shuffle])
    np.testing.assert_array_equal(
        seriation_order(X[:, shuffle], graph), seriation_order(X[:, shuffle], graph)
    )
