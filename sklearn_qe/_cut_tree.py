"""Feature orders from recursive minimum balanced cuts of a feature graph (the paper's method).

The graph's vertices are features and its edge weights similarities (|Pearson correlation|).
Each node of the canonical tree is cut by METIS (pymetis) into parts of exactly the sizes the
canonical tree gives its children (two halves in 1-D, four quadrants in 2-D), and the parts
are laid out as those children. Pure numpy/scipy/pymetis.
"""

import numpy as np
import pymetis
from scipy import sparse

from ._partitions import halves

__all__ = ["cut_tree_order"]

# METIS takes positive integer edge weights: similarities in (0, 1] are scaled by this and
# rounded (its idx_t is 64-bit, so sums cannot overflow for any graph that fits in memory).
_WEIGHT_SCALE = 10**6
# Subgraphs up to this many features are dense arrays: scipy.sparse indexing costs more than
# the arithmetic for the many small nodes near the leaves.
_DENSE_UP_TO = 512


def _as_node_graph(graph):
    if sparse.issparse(graph) and graph.shape[0] <= _DENSE_UP_TO:
        return graph.toarray()
    return graph


def _csr(graph):
    """``(indptr, indices, data)`` of a sparse or dense graph."""
    if sparse.issparse(graph):
        return graph.indptr, graph.indices, graph.data
    nonzero = graph != 0
    indptr = np.concatenate(([0], np.cumsum(nonzero.sum(axis=1))))
    return indptr, np.nonzero(nonzero)[1], graph[nonzero]


def _row(graph, vertex):
    if sparse.issparse(graph):
        return graph[[vertex]].toarray().ravel()
    return graph[vertex]


def _metis_parts(graph, target_sizes, seed, n_cuts):
    """Part of every vertex in a METIS k-way cut aimed at ``target_sizes``."""
    indptr, indices, data = _csr(graph)
    weights = np.rint(data * _WEIGHT_SCALE).astype(np.int64)
    keep = weights > 0
    n_vertices = graph.shape[0]
    if not keep.all():  # similarities that round to 0 are no edge at all for METIS
        rows = np.repeat(np.arange(n_vertices), np.diff(indptr))
        indptr = np.concatenate(([0], np.cumsum(np.bincount(rows[keep], minlength=n_vertices))))
        indices, weights = indices[keep], weights[keep]
    _, parts = pymetis.part_graph(
        len(target_sizes),
        pymetis.CSRAdjacency(indptr, indices),
        eweights=weights,
        tpwgts=[size / n_vertices for size in target_sizes],
        options=pymetis.Options(seed=seed, ncuts=n_cuts),
    )
    return np.asarray(parts, dtype=np.intp)


def _repair_balance(graph, parts, target_sizes):
    """Move vertices until every part has its target size, each move the cheapest one.

    METIS allows a small imbalance and may even leave a part empty. A move's cost is the
    vertex's similarity to its own part minus that to the receiving part; ties go to the
    lowest vertex index, so the repair is deterministic.
    """
    target_sizes = np.asarray(target_sizes)
    n_parts = len(target_sizes)
    sizes = np.bincount(parts, minlength=n_parts)
    if np.array_equal(sizes, target_sizes):
        return parts
    affinity = np.asarray(graph @ np.eye(n_parts)[parts])  # similarity of vertex to part
    while not np.array_equal(sizes, target_sizes):
        donors = np.flatnonzero(sizes[parts] > target_sizes[parts])
        receivers = np.flatnonzero(sizes < target_sizes)
        cost = affinity[donors, parts[donors], None] - affinity[donors][:, receivers]
        i, j = np.unravel_index(np.argmin(cost), cost.shape)
        vertex, source, destination = donors[i], parts[donors[i]], receivers[j]
        parts[vertex] = destination
        sizes[source] -= 1
        sizes[destination] += 1
        row = _row(graph, vertex)
        affinity[:, source] -= row
        affinity[:, destination] += row
    return parts


def _balanced_parts(graph, target_sizes, seed, n_cuts):
    """Parts of exactly ``target_sizes`` that cut as little similarity as METIS finds."""
    if max(target_sizes) == 1:  # every vertex alone: nothing to cut
        return np.arange(graph.shape[0])
    parts = _metis_parts(graph, target_sizes, seed, n_cuts)
    return _repair_balance(graph, parts, target_sizes)


def _split(graph, features, parts, n_parts):
    """Features and subgraph of each part."""
    for part in range(n_parts):
        mask = parts == part
        yield features[mask], _as_node_graph(graph[mask][:, mask])


def _order_1d(graph, features, seed, n_cuts, progress):
    if len(features) <= 2:
        progress(len(features))
        return features
    sizes = [stop - start for start, stop in halves(0, len(features))]
    parts = _balanced_parts(graph, sizes, seed, n_cuts)
    return np.concatenate(
        [
            _order_1d(subgraph, part, seed, n_cuts, progress)
            for part, subgraph in _split(graph, features, parts, 2)
        ]
    )


def _order_2d(graph, features, height, width, seed, n_cuts, progress):
    """Features laid out as a ``(height, width)`` grid, quadrants recursively."""
    if height == 1 or width == 1:
        return _order_1d(graph, features, seed, n_cuts, progress).reshape(height, width)
    quadrants = [(rows, cols) for rows in halves(0, height) for cols in halves(0, width)]
    sizes = [(r1 - r0) * (c1 - c0) for (r0, r1), (c0, c1) in quadrants]
    parts = _balanced_parts(graph, sizes, seed, n_cuts)
    grid = np.empty((height, width), dtype=np.intp)
    for ((r0, r1), (c0, c1)), (part, subgraph) in zip(quadrants, _split(graph, features, parts, 4)):
        grid[r0:r1, c0:c1] = _order_2d(subgraph, part, r1 - r0, c1 - c0, seed, n_cuts, progress)
    return grid


def cut_tree_order(graph, shape=None, seed=0, n_cuts=1, progress=None):
    """Order features by recursive minimum balanced cuts of their similarity graph.

    Parameters
    ----------
    graph : scipy sparse array of shape (n_features, n_features)
        Symmetric non-negative similarities, zero diagonal.
    shape : tuple of (int, int) or None, default=None
        ``None`` cuts into halves (1-D); ``(H, W)`` cuts into four quadrants and returns
        the row-major order of the grid.
    seed : int, default=0
        METIS random seed.
    n_cuts : int, default=1
        Cuts METIS computes per node, keeping the best.
    progress : callable or None, default=None
        Called with the number of features placed each time a leaf is reached.

    Returns
    -------
    order : ndarray of shape (n_features,)
        ``order[p]`` is the feature placed at position ``p``. At every node of the canonical
        tree of this order, the features of each child block are one part of that node's cut.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> from sklearn_qe._cut_tree import cut_tree_order
    >>> similar = np.zeros((4, 4))
    >>> similar[0, 2] = similar[2, 0] = similar[1, 3] = similar[3, 1] = 1.0
    >>> order = cut_tree_order(sparse.csr_array(similar))
    >>> sorted(map(sorted, (order[:2].tolist(), order[2:].tolist())))
    [[0, 2], [1, 3]]
    """
    graph = _as_node_graph(sparse.csr_array(graph, dtype=np.float64))
    features = np.arange(graph.shape[0])
    progress = progress or (lambda n_placed: None)
    if shape is None:
        return _order_1d(graph, features, seed, n_cuts, progress)
    return _order_2d(graph, features, *shape, seed, n_cuts, progress).ravel()
