"""Seriation: a feature order in which neighbouring features correlate, as a path, not a tree.

The paper's recursive cuts only decide which features share each block of the canonical tree.
Seriation asks for more: that every pair of neighbouring features correlates. It finds a short
path through the features (a travelling-salesman path on ``1 - |rho|``) as large travelling-
salesman instances are solved, in compiled loops (``_compiled``):

1. the greedy edge heuristic on the |Pearson correlation| graph (strongest edges first, no
   feature with more than two, no cycle); the fragments it leaves are joined the same way
   through the strongest correlations between their ends, so a sparse nearest-neighbour
   graph scales to many features. Up to 4,096 features the optimal leaf ordering of the
   single-linkage tree (Bar-Joseph et al. 2001, ``dendrogram_order``) is a second start;
2. 2-opt moves (reverse a stretch of the path) and Or-opt moves (move a stretch of up to
   three features elsewhere) that join a feature to one of its graph neighbours, until none
   raises the summed |rho| of neighbours; of two starts, the better result is kept.

For an ``(H, W)`` image the path is laid along a Hilbert-like curve of the quad-tree, so that
every canonical block is a stretch of the path, then the blocks are oriented across their seams.
"""

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import minimum_spanning_tree

from ._correlation import nearest_neighbor_graph, standardized_abs_correlation, standardized_columns
from ._leaf_ordering import adjacent_similarity, dendrogram_order, orient_order
from ._partitions import halves

__all__ = ["greedy_start", "quadtree_curve", "seriation_order", "single_linkage"]

# Up to this many features the moves read a dense |rho| matrix (128 MB at 4096); beyond,
# each similarity is a dot product of standardized columns.
_DENSE_SIMILARITY_UP_TO = 4096
# Up to this many features the path also starts from the optimal leaf ordering of the
# single-linkage tree (Bar-Joseph et al.), and the better of the two improved paths is kept:
# about a second at 1,500 features, growing to minutes at 50,000.
_LEAF_ORDERING_UP_TO = 4096
# Strongest correlations of each feature that the greedy path and the moves consider.
_MOVE_NEIGHBORS = 32
# Strongest correlations of each fragment end that the joins consider, per round.
_END_NEIGHBORS = 16


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
        rows.append([*sorted((cluster_of[a], cluster_of[b])), weights[edge], size[a] + size[b]])
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


def greedy_start(Z, graph):
    """A path by the greedy edge heuristic, its fragments joined through their ends.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        Standardized columns (see ``standardized_columns``).
    graph : scipy sparse array of shape (n_features, n_features)
        Symmetric similarities; missing edges are similarity 0.

    Returns
    -------
    path : ndarray of shape (n_features,)
        The features in path order.
    """
    from ._compiled import greedy_path

    n_features = Z.shape[1]
    edges = sparse.triu(graph, k=1).tocoo()
    heads, tails, weights = [edges.row], [edges.col], [edges.data]
    n_ends = None
    while True:
        all_heads, all_tails, all_weights = map(np.concatenate, (heads, tails, weights))
        # Strongest first; ties by feature index, so that the path does not depend on the
        # sort's whims.
        taken = np.lexsort((all_tails, all_heads, -all_weights))
        path, degree = greedy_path(
            n_features, all_heads[taken].astype(np.int64), all_tails[taken].astype(np.int64)
        )
        ends = np.flatnonzero(degree < 2)
        # One fragment has two ends (a single feature: one, counted once); a round that
        # finds no join between the ends' strongest correlations is the last.
        if len(ends) <= 2 or len(ends) == n_ends:
            return path
        n_ends = len(ends)
        joins = sparse.triu(nearest_neighbor_graph(Z[:, ends], _END_NEIGHBORS), k=1).tocoo()
        heads.append(ends[joins.row])
        tails.append(ends[joins.col])
        weights.append(joins.data)


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

        def flip(corner, along=along):
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
        feature's strongest. Its edges are the joins the path is built from, and the only
        ones the moves consider.
    shape : tuple of (int, int) or None, default=None
        ``None`` for a sequence; ``(H, W)`` to lay the path along ``quadtree_curve`` and
        orient the quad-tree's blocks across their seams.
    progress : callable or None, default=None
        Called with 1 after each of the steps: the starting paths, the moves and the 2-D
        layout (the last only with ``shape``).

    Returns
    -------
    order : ndarray of shape (n_features,)
        ``order[p]`` is the feature at position ``p``.
    """
    from ._compiled import improve_path

    graph = sparse.csr_array(graph, dtype=np.float64)
    n_features = graph.shape[0]
    progress = progress or (lambda n_steps: None)
    Z = standardized_columns(X)
    # The greedy path and the moves look only at each feature's strongest correlations, as
    # large travelling-salesman solvers do with candidate lists: a dense graph would make
    # every move look at every feature.
    candidates = graph
    if graph.nnz > _MOVE_NEIGHBORS * n_features:
        candidates = nearest_neighbor_graph(Z, _MOVE_NEIGHBORS)
    starts = [greedy_start(Z, candidates)]
    if n_features <= _LEAF_ORDERING_UP_TO:
        starts.append(dendrogram_order(np.asfortranarray(Z), single_linkage(graph)))
    progress(1)
    if n_features <= _DENSE_SIMILARITY_UP_TO:
        dense = standardized_abs_correlation(Z)
    else:
        dense = np.zeros((0, 0))
    indptr, indices = candidates.indptr.astype(np.int64), candidates.indices.astype(np.int64)
    features = np.ascontiguousarray(Z.T)
    paths = [
        improve_path(start.astype(np.int64), indptr, indices, candidates.data, features, dense)
        for start in starts
    ]
    # The better path; a tie (within rounding) keeps the greedy one.
    scores = [adjacent_similarity(Z, path) for path in paths]
    path = paths[int(np.flatnonzero(np.array(scores) >= max(scores) - 1e-9 * n_features)[0])]
    progress(1)
    if shape is None:
        return path.astype(np.intp)
    order = np.empty(n_features, dtype=np.intp)
    order[quadtree_curve(shape)] = path
    order = orient_order(X, order, shape)
    progress(1)
    return order
