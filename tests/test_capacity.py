import itertools
import string

import numpy as np
import pytest

from sklearn_qe import (
    canonical_tree,
    entanglement_capacity,
    max_canonical_level,
    partition_entanglement_capacity,
)
from sklearn_qe._testing import _entropy_of

LN2 = np.log(2)


def network_graph(n_features, shape, widths):
    """The tree tensor network as a graph: nodes 0..n_features-1 are the features, then
    one node per block (the root first); edges as ``(u, v, ln width)``."""
    tree = canonical_tree(n_features, shape=shape)
    node = {}
    for level, blocks in enumerate(tree.blocks):
        for j in range(len(blocks)):
            node[level, j] = n_features + len(node)
    edges = []
    for level in range(1, tree.n_levels + 1):
        for j in range(len(tree.blocks[level])):
            parent = node[level - 1, j // tree.arity]
            edges.append((parent, node[level, j], np.log(widths[level - 1])))
    for j, block in enumerate(tree.blocks[-1]):
        edges += [(node[tree.n_levels, j], feature, LN2) for feature in block]
    return tree, n_features + len(node), edges


def min_cut_by_edge_sets(n_features, n_nodes, edges, blocks):
    """Min over every set of edges whose removal leaves no component holding features of
    both K and K^c, for each block K: enumerates all 2**n_edges sets."""
    best = np.full(len(blocks), np.inf)
    in_block = np.zeros((len(blocks), n_features), dtype=bool)
    for b, block in enumerate(blocks):
        in_block[b, block] = True
    for removed in itertools.product([False, True], repeat=len(edges)):
        parent = list(range(n_nodes))

        def find(u, parent=parent):
            while parent[u] != u:
                u = parent[u]
            return u

        cost = 0.0
        for (u, v, log_width), cut in zip(edges, removed):
            if cut:
                cost += log_width
            else:
                parent[find(u)] = find(v)
        component = np.array([find(feature) for feature in range(n_features)])
        # Valid for K iff no component holds a feature of K and one of K^c.
        same = component[:, None] == component[None, :]
        mixed = (same[None] & (in_block[:, :, None] != in_block[:, None, :])).any(axis=(1, 2))
        best = np.where(~mixed, np.minimum(best, cost), best)
    return best


def min_cut_by_node_sides(n_features, n_nodes, edges, blocks):
    """Min over every assignment of the inner nodes to K's side or K^c's of the summed
    ln width of the edges between the sides (the edge-cut sets of Levine et al.).

    Assignment ``code`` puts inner node ``i`` on K's side iff bit ``i`` of ``code`` is set.
    """
    n_inner = n_nodes - n_features
    codes = np.arange(2**n_inner)
    crossing = np.zeros(codes.size)  # ln widths of the inner edges between the sides
    # An edge to a feature crosses iff its inner node's side differs from the feature's:
    # w * (side != in_K) = w * in_K + side * w * (1 - 2 * in_K), linear in the sides.
    offset = np.zeros(len(blocks))
    slope = np.zeros((n_inner, len(blocks)))
    for u, v, log_width in edges:
        u -= n_features
        if v >= n_features:
            crossing += log_width * (((codes >> u) ^ (codes >> (v - n_features))) & 1)
            continue
        in_block = np.array([v in block for block in blocks])
        offset += log_width * in_block
        slope[u] += log_width * (1 - 2 * in_block)
    best = []
    for b in range(len(blocks)):
        linear = np.zeros(1)  # sum of slope over the nodes on K's side, per assignment
        for i in range(n_inner):
            linear = np.concatenate([linear, linear + slope[i, b]])
        best.append(offset[b] + (linear + crossing).min())
    return np.array(best)


def all_blocks(tree):
    levels = range(1, tree.n_levels + 1)
    return [block.tolist() for level in levels for block in tree.partitions(level)]


def flat_capacity(widths, n_features, shape=None):
    return np.concatenate(partition_entanglement_capacity(widths, n_features, shape=shape))


EDGE_SET_CASES = [(n, None) for n in range(2, 7)] + [(4, (2, 2)), (6, (2, 3))]


@pytest.mark.parametrize("n_features, shape", EDGE_SET_CASES)
def test_capacity_is_the_min_cut_over_edge_sets(n_features, shape):
    rng = np.random.default_rng(n_features)
    n_levels = max_canonical_level(n_features, shape)
    for widths in [[1] * n_levels, *rng.integers(1, 6, size=(2, n_levels))]:
        tree, n_nodes, edges = network_graph(n_features, shape, widths)
        expected = min_cut_by_edge_sets(n_features, n_nodes, edges, all_blocks(tree))
        np.testing.assert_allclose(flat_capacity(widths, n_features, shape), expected, atol=1e-12)


# (4, 4) has 21 inner nodes, so 2**21 assignments: one set of widths only.
NODE_SIDE_CASES = [(7, None, 3), (8, None, 3), (11, None, 3), (9, (3, 3), 3), (16, (4, 4), 1)]


@pytest.mark.parametrize("n_features, shape, n_draws", NODE_SIDE_CASES)
def test_capacity_is_the_min_cut_over_node_sides(n_features, shape, n_draws):
    rng = np.random.default_rng(n_features)
    n_levels = max_canonical_level(n_features, shape)
    for widths in rng.integers(1, 7, size=(n_draws, n_levels)):
        tree, n_nodes, edges = network_graph(n_features, shape, widths)
        expected = min_cut_by_node_sides(n_features, n_nodes, edges, all_blocks(tree))
        np.testing.assert_allclose(flat_capacity(widths, n_features, shape), expected, atol=1e-12)


def test_cutting_the_complement_can_be_cheaper():
    # N = 5, level 2: K = [0, 1], its sibling [2], then [3, 4] behind a width-1 edge.
    # Cutting K off costs min(3, 2**2) = 3; cutting K^c off costs 2 (the sibling's leaf
    # edge) + 0 (the width-1 edge).
    capacities = partition_entanglement_capacity([1, 3], 5)
    np.testing.assert_allclose(np.exp(capacities[1]), [2, 2, 2, 2])


@pytest.mark.parametrize("shape", [None, (8, 8)])
def test_perfect_tree_closed_form(shape):
    """ln min(R_l, R_{l+1}**c, ..., 2**|K|, 2**|K^c|): the min-cut bound of Levine et al.
    (ICLR 2018)."""
    n_features, arity = (16, 2) if shape is None else (64, 4)
    tree = canonical_tree(n_features, shape=shape)
    rng = np.random.default_rng(0)
    for widths in [*rng.integers(1, 40, size=(5, tree.n_levels)), [2, 4, 8, 16][: tree.n_levels]]:
        capacities = partition_entanglement_capacity(widths, n_features, shape=shape)
        for level in range(1, tree.n_levels + 1):
            size = n_features // arity**level
            terms = [  # ln R_l, ln R_{l+1}**c, ...
                arity ** (deeper - level) * np.log(widths[deeper - 1])
                for deeper in range(level, tree.n_levels + 1)
            ]
            closed_form = min(*terms, size * LN2, (n_features - size) * LN2)
            np.testing.assert_allclose(capacities[level - 1], closed_form, rtol=1e-12)


def random_tree_network(n_features, shape, widths, rng):
    """The 2**N tensor of a tree tensor network with Gaussian cores, axes in feature order."""
    tree = canonical_tree(n_features, shape=shape)

    def contract(level, index):
        """(tensor of shape (2**|F|, R_level) or (2**N,) at the root, feature order F)."""
        width = () if level == 0 else (widths[level - 1],)
        if level == tree.n_levels:
            features = tree.blocks[level][index]
            core = rng.standard_normal((2 ** len(features), *width))
            return core, list(features)
        parts = [contract(level + 1, child) for child in tree.children(level, index)]
        core = rng.standard_normal((widths[level],) * len(parts) + width)
        letters = iter(string.ascii_letters)
        legs = [(next(letters), next(letters)) for _ in parts]  # (features, bond)
        out = next(letters) if width else ""
        spec = ",".join(f + b for f, b in legs) + "," + "".join(b for _, b in legs) + out
        spec += "->" + "".join(f for f, _ in legs) + out
        tensor = np.einsum(spec, *(part for part, _ in parts), core, optimize=True)
        return tensor.reshape(-1, *width), [f for _, features in parts for f in features]

    tensor, order = contract(0, 0)
    return np.transpose(tensor.reshape((2,) * n_features), np.argsort(order))


@pytest.mark.parametrize(
    "n_features, shape, widths",
    [
        (5, None, [1, 3]),  # K = [0, 1]: rank 2 by cutting K^c off, see above
        (6, None, [3, 2]),
        (7, None, [1, 3]),
        (7, None, [5, 4]),
        (8, None, [2, 3, 2]),
        (8, None, [6, 2, 2]),
        (8, None, [16, 4, 2]),
        (12, (3, 4), [3]),
        (16, (4, 4), [5, 3]),
        (16, (4, 4), [16, 2]),
    ],
)
def test_random_networks_reach_their_capacity(n_features, shape, widths):
    """QE <= capacity for a network's tensor, and a random one attains the rank bound."""
    rng = np.random.default_rng(sum(widths))
    tensor = random_tree_network(n_features, shape, widths, rng)
    tree = canonical_tree(n_features, shape=shape)
    capacities = partition_entanglement_capacity(widths, n_features, shape=shape)
    for level in range(1, tree.n_levels + 1):
        for block, capacity in zip(tree.partitions(level), capacities[level - 1]):
            complement = np.setdiff1d(np.arange(n_features), block)
            matrix = np.transpose(tensor, [*block, *complement]).reshape(2 ** len(block), -1)
            singular = np.linalg.svd(matrix, compute_uv=False)
            # Nonzero singular values stay above 1e-10 * the largest here, zeros below 1e-15.
            rank = int(np.sum(singular > singular[0] * 1e-12))
            assert rank == round(np.exp(capacity))
            assert _entropy_of(singular**2) <= capacity + 1e-9


def test_level_capacity_is_the_largest_of_its_blocks():
    for n_features, shape, widths in [(13, None, [9, 9, 9]), (35, (5, 7), [3, 30])]:
        per_block = partition_entanglement_capacity(widths, n_features, shape=shape)
        np.testing.assert_array_equal(
            entanglement_capacity(widths, n_features, shape=shape), [c.max() for c in per_block]
        )
    # N = 13, level 3: blocks of 2 and of 1 feature, so capacities ln 4 and ln 2.
    level_3 = partition_entanglement_capacity(9, 13)[2]
    np.testing.assert_allclose(np.sort(np.exp(level_3)), [2, 2, 2, 4, 4, 4, 4, 4])
    np.testing.assert_allclose(np.exp(entanglement_capacity(9, 13)[2]), 4)


def test_an_int_width_is_every_level_width():
    np.testing.assert_array_equal(
        entanglement_capacity(5, 32, shape=(4, 8)), entanglement_capacity([5, 5], 32, shape=(4, 8))
    )


@pytest.mark.parametrize(
    "args, error, message",
    [
        (([4, 4], 16), ValueError, "widths has 2 values.*4 levels"),
        (([4, 0], 4), ValueError, r"each of widths must be an int in the range \[1, inf\), got 0"),
        (([4, 2.0], 4), TypeError, "each of widths must be an int in the range .* got 2.0"),
        (
            (4.0, 4),
            TypeError,
            "'widths' parameter .* must be an int in the range .* or an array-like",
        ),
        (
            (True, 4),
            TypeError,
            "'widths' parameter .* must be an int in the range .* or an array-like",
        ),
        (
            ("44", 4),
            TypeError,
            "'widths' parameter .* must be an int in the range .* or an array-like",
        ),
        (([[4, 4]], 4), TypeError, "widths must be an int or a 1-D sequence"),
        ((4, 1), ValueError, r"'n_features' parameter .* must be an int in the range \[2,"),
        ((4, 8.0), TypeError, "'n_features' parameter .* must be an int"),
        ((4, 16, (4, 5)), ValueError, "describes 20 features"),
        ((4, 16, (16,)), ValueError, "shape must be a pair"),
        ((4, 16, (1, 16)), ValueError, "shape must be a pair .* of ints of at least 2"),
    ],
)
def test_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        entanglement_capacity(*args)


def test_widths_beyond_int64_are_capacities_too():
    """10**20 used to reach np.log as an object array and crash."""
    np.testing.assert_allclose(entanglement_capacity(10**20, 8), entanglement_capacity(64, 8))
    np.testing.assert_allclose(
        entanglement_capacity([10**400, 2, 2], 8), entanglement_capacity([64, 2, 2], 8)
    )
