from itertools import combinations

import numpy as np
import pytest
from scipy import sparse
from scipy.cluster.hierarchy import (
    cophenet,
    is_valid_linkage,
    leaves_list,
    linkage,
    optimal_leaf_ordering,
)
from scipy.spatial.distance import squareform

from sklearn_qe import abs_correlation, abs_correlation_graph, canonical_tree
from sklearn_qe._compiled import greedy_path, improve_path
from sklearn_qe._correlation import standardized_columns
from sklearn_qe._leaf_ordering import adjacent_similarity, dendrogram_order
from sklearn_qe._seriation import greedy_start, quadtree_curve, seriation_order, single_linkage


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
def test_dendrogram_order_is_at_least_as_good_as_scipy(n_features, random_walks):
    X = random_walks(150, n_features, seed=n_features)
    shuffle = np.random.default_rng(n_features).permutation(n_features)
    X = X[:, shuffle]
    Z = standardized_columns(X)
    distance = condensed_distance(X)
    tree = linkage(distance, "single")
    scipy_order = leaves_list(optimal_leaf_ordering(tree, distance))
    ours = dendrogram_order(Z, tree)
    assert sorted(ours) == list(range(n_features))
    assert adjacent_similarity(Z, ours) >= adjacent_similarity(Z, scipy_order) - 1e-9


def total_similarity(rho, order):
    return rho[order[:-1], order[1:]].sum()


def improve(start, graph, X, dense=True):
    """``improve_path`` over ``graph``'s edges, reading the dense |rho| or the columns."""
    graph = sparse.csr_array(graph)
    Z = standardized_columns(X)
    return improve_path(
        np.asarray(start, dtype=np.int64),
        graph.indptr.astype(np.int64),
        graph.indices.astype(np.int64),
        graph.data,
        np.ascontiguousarray(Z.T),
        abs_correlation(X) if dense else np.zeros((0, 0)),
    )


@pytest.mark.parametrize("seed", range(4))
def test_improve_path_ends_at_a_local_optimum(seed):
    """With every feature a candidate, no reversal of a stretch and no move of a stretch of
    1 to 3 features (either way round, anywhere) raises the similarity: the loops make every
    2-opt and Or-opt move a brute force finds."""
    rng = np.random.default_rng(seed)
    n_features = 13
    X = rng.standard_normal((40, n_features)) @ rng.standard_normal((n_features, n_features))
    rho = abs_correlation(X)
    start = rng.permutation(n_features)
    path = improve(start, abs_correlation_graph(X), X, dense=seed % 2 == 0)
    assert sorted(path) == list(range(n_features))
    best = total_similarity(rho, path)
    assert best >= total_similarity(rho, start)
    for p, q in combinations(range(n_features + 1), 2):
        reversed_ = np.concatenate([path[:p], path[p:q][::-1], path[q:]])
        assert total_similarity(rho, reversed_) <= best + 1e-9
    for start_, length in ((s, n) for n in (1, 2, 3) for s in range(n_features - n + 1)):
        stretch = np.arange(start_, start_ + length)
        segment, rest = path[stretch], np.delete(path, stretch)
        for place in range(len(rest) + 1):
            for piece in (segment, segment[::-1]):
                moved = np.concatenate([rest[:place], piece, rest[place:]])
                assert total_similarity(rho, moved) <= best + 1e-9


def test_improve_path_on_a_sparse_graph_reads_the_columns(random_walks):
    """Beyond the dense matrix the similarities are dot products of the columns: the same
    path, and only the graph's edges joined by a move."""
    X = random_walks(60, 80, seed=4)
    shuffle = np.random.default_rng(4).permutation(80)
    X = X[:, shuffle]
    graph = abs_correlation_graph(X, n_neighbors=3)
    start = np.random.default_rng(0).permutation(80)
    np.testing.assert_array_equal(improve(start, graph, X), improve(start, graph, X, dense=False))
    Z = standardized_columns(X)
    assert adjacent_similarity(Z, improve(start, graph, X)) > adjacent_similarity(Z, start)


def reference_greedy(n_features, heads, tails):
    """The greedy edge heuristic, written plainly: fragments as lists, joined in order."""
    fragments = [[n] for n in range(n_features)]
    fragment_of = list(range(n_features))
    for a, b in zip(heads, tails):
        fa, fb = fragments[fragment_of[a]], fragments[fragment_of[b]]
        if fa is fb or a not in (fa[0], fa[-1]) or b not in (fb[0], fb[-1]):
            continue
        joined = (fa if fa[-1] == a else fa[::-1]) + (fb if fb[0] == b else fb[::-1])
        index = fragment_of[a]
        fragments[index], fragments[fragment_of[b]] = joined, None
        for n in joined:
            fragment_of[n] = index
    return [f for f in fragments if f is not None]


@pytest.mark.parametrize("seed", range(3))
def test_greedy_path_matches_a_plain_implementation(seed):
    rng = np.random.default_rng(seed)
    n_features, n_edges = 30, 50
    heads, tails = rng.integers(n_features, size=n_edges), rng.integers(n_features, size=n_edges)
    keep = heads != tails
    heads, tails = heads[keep], tails[keep]
    path, degree = greedy_path(n_features, heads.astype(np.int64), tails.astype(np.int64))
    assert sorted(path) == list(range(n_features))
    fragments = reference_greedy(n_features, heads, tails)
    # Every fragment is a stretch of the path (either way round), and its ends have degree
    # below 2.
    position = np.argsort(path)
    for fragment in fragments:
        stretch = position[fragment]
        assert abs(stretch[-1] - stretch[0]) == len(fragment) - 1
        assert np.all(np.abs(np.diff(stretch)) == 1)
        assert degree[fragment[0]] < 2 and degree[fragment[-1]] < 2
    assert np.count_nonzero(degree < 2) == sum(1 if len(f) == 1 else 2 for f in fragments)


def test_greedy_start_joins_the_fragments_of_a_sparse_graph():
    """Two chains that the graph does not connect come out as two stretches, joined at
    their most correlated ends."""
    rng = np.random.default_rng(5)
    first, second = np.cumsum(rng.standard_normal((200, 2, 30)), axis=2).transpose(1, 0, 2)
    X = np.hstack([first, second + 3 * first[:, -1:]])  # chain 2 starts near chain 1's end
    shuffle = rng.permutation(60)
    X = X[:, shuffle]
    path = greedy_start(standardized_columns(X), abs_correlation_graph(X, n_neighbors=1))
    assert sorted(path) == list(range(60))
    chains = shuffle[path] >= 30
    assert np.count_nonzero(np.diff(chains)) == 1  # each chain one stretch


@pytest.mark.parametrize("n_neighbors", [None, 6])
def test_seriation_is_at_least_as_good_as_either_start(n_neighbors):
    """The leaf ordering of the single-linkage tree (the previous seriation) and the greedy
    path are the starts; the moves only raise the similarity."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((80, 12)) @ rng.standard_normal((12, 150))
    X += 0.5 * rng.standard_normal(X.shape)
    graph = abs_correlation_graph(X, n_neighbors=n_neighbors)
    Z = standardized_columns(X)
    order = seriation_order(X, graph)
    assert sorted(order) == list(range(150))
    leaf_ordering = dendrogram_order(np.asfortranarray(Z), single_linkage(graph))
    for start in (leaf_ordering, greedy_start(Z, graph)):
        assert adjacent_similarity(Z, order) >= adjacent_similarity(Z, start) - 1e-9


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
def test_seriation_restores_shuffled_walks(n_neighbors, random_walks):
    X = random_walks(300, 200, seed=1)
    shuffle = np.random.default_rng(1).permutation(200)
    shuffled = X[:, shuffle]
    order = seriation_order(shuffled, abs_correlation_graph(shuffled, n_neighbors=n_neighbors))
    assert sorted(order) == list(range(200))
    Z = standardized_columns(shuffled)
    natural = adjacent_similarity(Z, np.argsort(shuffle))
    assert adjacent_similarity(Z, order) >= natural - 1e-9


def test_seriation_2d_is_as_good_as_the_natural_path_along_the_curve(random_walks):
    X = random_walks(300, 64, seed=2)
    shuffle = np.random.default_rng(2).permutation(64)
    shuffled = X[:, shuffle]
    order = seriation_order(shuffled, abs_correlation_graph(shuffled), shape=(8, 8))
    assert sorted(order) == list(range(64))
    Z = standardized_columns(shuffled)
    natural_on_curve = np.empty(64, dtype=int)
    natural_on_curve[quadtree_curve((8, 8))] = np.argsort(shuffle)
    assert (
        adjacent_similarity(Z, order, (8, 8))
        >= adjacent_similarity(Z, natural_on_curve, (8, 8)) - 1e-9
    )
    assert adjacent_similarity(Z, order, (8, 8)) > adjacent_similarity(Z, np.arange(64), (8, 8))


def test_seriation_is_deterministic(random_walks):
    X = random_walks(100, 120, seed=3)
    shuffle = np.random.default_rng(3).permutation(120)
    graph = abs_correlation_graph(X[:, shuffle])
    np.testing.assert_array_equal(
        seriation_order(X[:, shuffle], graph), seriation_order(X[:, shuffle], graph)
    )
