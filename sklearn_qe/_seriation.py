"""Seriation: a feature order in which neighbouring features correlate, as a path, not a tree.

The paper's recursive cuts only decide which features share each block of the canonical tree.
Seriation asks for more: that every pair of neighbouring features correlates. It finds a short
path through the features (a travelling-salesman path on ``1 - |rho|``) in three steps:

1. the single-linkage tree of the |Pearson correlation| graph, from its maximum spanning tree
   (``scipy.sparse.csgraph``), so a sparse nearest-neighbour graph scales to many features;
2. its optimal leaf ordering (``dendrogram_order``), the seriation of Bar-Joseph et al.;
3. 2-opt moves (reverse a stretch of the path) over each feature's graph neighbours until none
   raises the summed |rho| of neighbours.

For an ``(H, W)`` image the path is laid along a Hilbert-like curve of the quad-tree, so that
every canonical block is a stretch of the path, then the blocks are oriented across their seams.
Pure numpy/scipy.
"""

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import minimum_spanning_tree

from ._correlation import standardized_abs_correlation, standardized_columns
from ._leaf_ordering import _pair_similarity, dendrogram_order, orient_order
from ._partitions import halves

__all__ = ["quadtree_curve", "seriation_order", "single_linkage", "two_opt"]

# A move must raise the summed |rho| of neighbours by more than this: gains at rounding level
# would otherwise flip with the BLAS kernel.
_MIN_GAIN = 1e-9
# 2-opt passes over every feature at most (each pass is O(n_features * n_neighbors)).
_MAX_PASSES = 50
# Up to this many features the 2-opt moves read a dense |rho| matrix (128 MB at 4096);
# beyond, each similarity is a dot product of standardized columns.
_DENSE_SIMILARITY_UP_TO = 4096


def single_linkage(graph):
    """Single-linkage merge tree of a similarity graph, as a scipy linkage matrix.

    Parameters
    ----------
    graph : scipy sparse array of shape (n_features, n_features)
        Symmetric similarities in [0, 1]; missing edges are similarity 0.

    Returns
    -------
    linkage : ndarray of shape (n_features - 1, 4)
        Rows ``[cluster_a, cluster_b, 1 - similarity, size]`` as ``scipy.cluster.hierarchy``
        writes them. Features the graph does not connect are merged last, at distance 1,
        in the order of their smallest feature index.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> from sklearn_qe._seriation import single_linkage
    >>> similarity = sparse.csr_array(np.array([[0, .9, 0], [.9, 0, .5], [0, .5, 0]]))
    >>> single_linkage(similarity).round(2).tolist()
    [[0.0, 1.0, 0.1, 2.0], [2.0, 3.0, 0.5, 3.0]]
    """
    graph = sparse.csr_array(graph, dtype=np.float64)
    n_features = graph.shape[0]
    # Distances in [1, 2): an explicit zero would be no edge to csgraph, and a shift keeps
    # the spanning tree (which depends on the order of the weights only).
    distance = graph.copy()
    distance.data = 2.0 - distance.data
    distance.eliminate_zeros()
    tree = minimum_spanning_tree(distance).tocoo()
    heads, tails, weights = tree.row, tree.col, tree.data - 1.0
    # Ties by feature index, so that the tree does not depend on the sort's whims.
    edges = np.lexsort((np.maximum(heads, tails), np.minimum(heads, tails), weights))

    parent = np.arange(n_features)

    def root(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    cluster_of = np.arange(n_features)  # linkage id of each union-find root
    size = np.ones(n_features, dtype=np.intp)
    rows = []
    for edge in edges:
        a, b = root(heads[edge]), root(tails[edge])
        rows.append(
            [*sorted((cluster_of[a], cluster_of[b])), weights[edge], size[a] + size[b]]
        )
        parent[b] = a
        size[a] += size[b]
        cluster_of[a] = n_features + len(rows) - 1
    components = sorted({root(n) for n in range(n_features)})
    for other in components[1:]:  # the graph's components, in order of their first feature
        a, b = root(components[0]), root(other)
        rows.append([*sorted((cluster_of[a], cluster_of[b])), 1.0, size[a] + size[b]])
        parent[b] = a
        size[a] += size[b]
        cluster_of[a] = n_features + len(rows) - 1
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def two_opt(similarity, path, candidates):
    """Improve an open path by 2-opt moves that join a feature to one of its candidates.

    A move reverses the stretch ``path[p + 1 : q + 1]``: the edges ``(path[p], path[p + 1])``
    and ``(path[q], path[q + 1])`` give way to ``(path[p], path[q])`` and
    ``(path[p + 1], path[q + 1])``. For each feature a, the best move that makes a candidate c
    its new successor or predecessor is made if it raises the summed similarity of neighbours;
    passes repeat until none does (a local optimum), at most ``_MAX_PASSES`` times.

    Parameters
    ----------
    similarity : callable
        ``similarity(a, b)`` for equal-length index arrays returns the similarities of the
        pairs ``(a[i], b[i])``; index ``n_features`` stands for "no feature" (an end of the
        path) and must give 0.
    path : ndarray of shape (n_features,)
        The starting order.
    candidates : callable
        ``candidates(a)`` returns the features that a may be joined to.

    Returns
    -------
    path : ndarray of shape (n_features,)
        An order at least as good.
    """
    n_features = len(path)
    # The path between two sentinels ("no feature"), so that its ends need no special case.
    tour = np.concatenate(([n_features], path, [n_features]))
    position = np.empty(n_features + 1, dtype=np.intp)
    position[tour[1:-1]] = np.arange(1, n_features + 1)
    for _ in range(_MAX_PASSES):
        improved = False
        for a in range(n_features):
            c = np.asarray(candidates(a))
            i, j = position[a], position[c]
            # a keeps its predecessor and takes c as successor (p = i, q = j > i + 1), or
            # keeps its successor and takes c as predecessor (p = j - 1, q = i - 1, j < i - 1).
            after, before = j > i + 1, j < i - 1
            c_after, j_after, c_before, j_before = c[after], j[after], c[before], j[before]
            a_after = np.full(len(c_after), a)
            a_before = np.full(len(c_before), a)
            gain_after = (
                similarity(a_after, c_after)
                + similarity(np.full(len(c_after), tour[i + 1]), tour[j_after + 1])
                - similarity(a_after[:1], tour[i + 1 : i + 2])
                - similarity(c_after, tour[j_after + 1])
            )
            gain_before = (
                similarity(a_before, c_before)
                + similarity(tour[j_before - 1], np.full(len(c_before), tour[i - 1]))
                - similarity(a_before[:1], tour[i - 1 : i])
                - similarity(c_before, tour[j_before - 1])
            )
            best_gain, p, q = 0.0, 0, 0
            if len(c_after) and gain_after.max() > best_gain:
                k = int(np.argmax(gain_after))
                best_gain, p, q = gain_after[k], i, j_after[k]
            if len(c_before) and gain_before.max() > best_gain:
                k = int(np.argmax(gain_before))
                best_gain, p, q = gain_before[k], j_before[k] - 1, i - 1
            if best_gain > _MIN_GAIN:
                tour[p + 1 : q + 1] = tour[p + 1 : q + 1][::-1].copy()
                position[tour[p + 1 : q + 1]] = np.arange(p + 1, q + 1)
                improved = True
        if not improved:
            break
    return tour[1:-1]


def quadtree_curve(shape):
    """Cells of an ``(H, W)`` grid in the order of a Hilbert-like curve over its quad-tree.

    Every block of the canonical quad-tree is a contiguous stretch of the curve, and
    consecutive cells are neighbours wherever the block sizes allow (always when H and W are
    equal powers of two: the Hilbert curve).

    Parameters
    ----------
    shape : tuple of (int, int)

    Returns
    -------
    cells : ndarray of shape (H * W,)
        Row-major indices of the cells in curve order.

    Examples
    --------
    >>> from sklearn_qe._seriation import quadtree_curve
    >>> quadtree_curve((2, 2)).tolist()
    [0, 2, 3, 1]
    """
    height, width = shape
    cells = []
    # Blocks to visit: rows, columns, entry corner and exit corner as (bottom?, right?).
    pending = [((0, height), (0, width), (0, 0), (0, 1))]
    while pending:
        (r0, r1), (c0, c1), entry, exit_ = pending.pop()
        if r1 - r0 == 1 or c1 - c0 == 1:  # a strip: walk it from the entry's end
            rows, cols = np.arange(r0, r1), np.arange(c0, c1)
            rows, cols = (rows[::-1] if entry[0] else rows), (cols[::-1] if entry[1] else cols)
            cells.extend((rows[:, None] * width + cols[None, :]).ravel())
            continue
        quadrant = {
            (vertical, horizontal): (rows, cols)
            for vertical, rows in enumerate(halves(r0, r1))
            for horizontal, cols in enumerate(halves(c0, c1))
        }
        # The curve's U: from the entry quadrant away from the exit side and back (flipping
        # the corner coordinate along which entry and exit agree).
        along = 0 if entry[0] == exit_[0] else 1

        def flip(corner):
            return tuple(1 - v if axis == along else v for axis, v in enumerate(corner))

        visits = [
            (entry, entry, flip(entry)),
            (flip(entry), entry, exit_),
            (flip(exit_), entry, exit_),
            (exit_, flip(exit_), exit_),
        ]
        for block, block_entry, block_exit in reversed(visits):  # a stack: first visit last
            pending.append((*quadrant[block], block_entry, block_exit))
    return np.asarray(cells, dtype=np.intp)


def seriation_order(X, graph, shape=None, progress=None):
    """Order features along a short path of high |Pearson correlation|.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data.
    graph : scipy sparse array or ndarray of shape (n_features, n_features)
        |Pearson correlation| graph (see ``abs_correlation_graph``): every pair, or each
        feature's strongest. Its edges are the only joins the 2-opt moves consider.
    shape : tuple of (int, int) or None, default=None
        ``None`` for a sequence; ``(H, W)`` to lay the path along ``quadtree_curve`` and
        orient the quad-tree's blocks across their seams.
    progress : callable or None, default=None
        Called with 1 after each of the steps: the single-linkage tree, its leaf ordering,
        the 2-opt moves and the 2-D layout (the last only with ``shape``).

    Returns
    -------
    order : ndarray of shape (n_features,)
        ``order[p]`` is the feature at position ``p``.
    """
    graph = sparse.csr_array(graph, dtype=np.float64)
    n_features = graph.shape[0]
    progress = progress or (lambda n_steps: None)
    # Column-major: the programme and the moves gather columns, each then one contiguous run.
    Z = np.asfortranarray(standardized_columns(X))
    tree = single_linkage(graph)
    progress(1)
    path = dendrogram_order(Z, tree)
    progress(1)
    # Index n_features stands for "no feature": similarity 0 to everything.
    if n_features <= _DENSE_SIMILARITY_UP_TO:
        dense = np.zeros((n_features + 1, n_features + 1))
        dense[:-1, :-1] = standardized_abs_correlation(Z)

        def similarity(a, b):
            return dense[a, b]

    else:
        padded = np.asfortranarray(np.hstack([Z, np.zeros((Z.shape[0], 1))]))

        def similarity(a, b):
            return _pair_similarity(padded, a, b)

    indptr, indices = graph.indptr, graph.indices
    path = two_opt(similarity, path, lambda a: indices[indptr[a] : indptr[a + 1]])
    progress(1)
    if shape is None:
        return path
    order = np.empty(n_features, dtype=np.intp)
    order[quadtree_curve(shape)] = path
    order = orient_order(X, order, shape)
    progress(1)
    return order
