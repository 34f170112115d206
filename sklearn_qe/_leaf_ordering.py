"""Orientation of a cut tree: order exchangeable blocks so that neighbouring features correlate.

The recursive cuts decide which features share each block of the canonical tree, not the order
of the blocks inside their parent, yet convolutions, state-space kernels and local attention all
straddle block boundaries. Here blocks are only ever exchanged with blocks of the same shape
(and, in 2-D, mirrored only where their own sub-blocks are mirrored onto each other), so every
canonical block keeps its set of features and the entanglement of every canonical partition is
unchanged. Pure numpy.

1-D orders are optimal leaf orderings of the binary tree (Bar-Joseph, Gifford and Jaakkola,
2001) under that constraint: a dynamic programme over the pair of end features of each
subtree. scipy's ``optimal_leaf_ordering`` is not used: it would exchange halves of unequal
size, moving features across canonical boundaries, and it can miss the optimum (scipy issue
#11227; the tests compare against it and against brute force). 2-D grids are oriented
node by node from the bottom: at each node the best of every allowed placement of the four
quadrants and their mirror images across the seams they share.
"""

from itertools import permutations, product

import numpy as np

from ._correlation import standardized_columns
from ._partitions import halves, max_canonical_level

__all__ = ["adjacent_similarity", "dendrogram_order", "orient_order"]

# Elementwise operations the 1-D programme may spend, about: the tables of end features are
# pruned to keep to it. 2**28 keeps every end (the exact optimum) up to 1024 features.
_WORK_BUDGET = 2**28

# Placements of a 2-D node's four children: slot s (top-left, top-right, bottom-left,
# bottom-right) gets child PLACEMENTS[p][s] under mirror FLIPS_OF[p][s] (0: none, 1: left-right,
# 2: up-down, 3: both). The identity comes first so that ties keep the cut tree's layout.
_PLACEMENTS = np.array(
    [
        [perm[s] * 4 + flips[s] for s in range(4)]
        for perm in permutations(range(4))
        for flips in product(range(4), repeat=4)
    ]
)


def adjacent_similarity(Z, order, shape=None):
    """Summed |Pearson correlation| of the features that are neighbours in ``order``.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        Standardized columns (see ``standardized_columns``).
    order : ndarray of shape (n_features,)
        ``order[p]`` is the feature at position ``p``.
    shape : tuple of (int, int) or None, default=None
        ``None`` for a sequence (pairs ``p, p + 1``); ``(H, W)`` for a row-major grid (left-right
        and up-down neighbours).

    Returns
    -------
    similarity : float
    """
    grid = np.asarray(order).reshape((1, -1) if shape is None else shape)
    pairs = [(grid[:, :-1], grid[:, 1:]), (grid[:-1], grid[1:])]
    return float(sum(_pair_similarity(Z, a.ravel(), b.ravel()).sum() for a, b in pairs))


def _pair_similarity(Z, a, b):
    """``|rho(a[i], b[i])|`` for each i."""
    return np.abs(np.einsum("ij,ij->j", Z[:, a], Z[:, b]))


def _similarity(Z, a, b):
    """``|rho(a[i], b[j])|`` for each i, j."""
    return np.abs(Z[:, a].T @ Z[:, b])


def _near_argmax(values):
    """Index of the first entry within rounding of the maximum of ``values`` (any shape).

    Mirror images and other exchanges often score the same in exact arithmetic; their
    computed scores then differ by rounding, which changes with the BLAS kernel and the memory
    layout. Taking the first near-maximum instead of the exact argmax keeps the result the
    same on every machine.
    """
    best = values.max()
    tolerance = 1e-9 * max(1.0, abs(best))
    flat = int(np.flatnonzero(values.ravel() >= best - tolerance)[0])
    return np.unravel_index(flat, values.shape)


def _max_plus(A, B):
    """``C[i, j] = max_k A[i, k] + B[k, j]``.

    One index at a time, the shortest of i, k and j: each step is a contiguous 2-D maximum,
    several times faster than reducing a broadcast ``(i, k, j)`` temporary, and needs no such
    temporary. (Joining a subtree to a single feature loops once.)
    """
    n_rows, n_inner = A.shape
    n_cols = B.shape[1]
    if n_inner <= min(n_rows, n_cols):
        C = A[:, :1] + B[:1]
        for k in range(1, n_inner):
            np.maximum(C, A[:, k, None] + B[k], out=C)
        return C
    if n_cols <= n_rows:
        return np.stack([(A + B[:, j]).max(axis=1) for j in range(n_cols)], axis=1)
    return np.stack([(A[i, :, None] + B).max(axis=0) for i in range(n_rows)])


class _Subtree:
    """Best internal similarity of a subtree for each pair of first and last features.

    ``score[i, j]`` is the highest summed similarity of neighbours inside the subtree over the
    allowed orientations that put ``first[i]`` first and ``last[j]`` last (``-inf`` where none
    does).
    """

    def __init__(self, first, last, score, children=()):
        self.first, self.last, self.score, self.children = first, last, score, children

    def joined_score(self, other, Z):
        """Score table of ``self`` followed by ``other``, over ``self.first x other.last``."""
        junction = _similarity(Z, self.last, other.first)
        return _max_plus(_max_plus(self.score, junction), other.score)

    def prune(self, max_ends, keep_first, keep_last):
        """Keep at most ``max_ends`` first and last features: the best ones, and the given."""
        rows = _best(self.score.max(axis=1), max_ends, self.first == keep_first)
        cols = _best(self.score.max(axis=0), max_ends, self.last == keep_last)
        self.first, self.last = self.first[rows], self.last[cols]
        self.score = self.score[np.ix_(rows, cols)]

    def order(self, first, last, Z):
        """Features of the best orientation that starts with ``first`` and ends with ``last``.

        Iterative: a dendrogram can be as deep as it has features.
        """
        features, pending = [], [(self, first, last)]
        while pending:
            subtree, first, last = pending.pop()
            if not subtree.children:
                features.append(first)
                continue
            head, tail = subtree.children
            if first not in head.first:  # the children were exchanged
                head, tail = tail, head
            i = np.flatnonzero(head.first == first)[0]
            j = np.flatnonzero(tail.last == last)[0]
            total = (
                head.score[i][:, None] + _similarity(Z, head.last, tail.first) + tail.score[:, j]
            )
            m, k = _near_argmax(total)
            pending.append((tail, tail.first[k], last))
            pending.append((head, first, head.last[m]))
        return features


def _best(values, count, forced):
    """Sorted indices of the ``count`` largest values, plus those where ``forced``."""
    if len(values) <= count:
        return np.arange(len(values))
    top = np.argpartition(values, -count)[-count:]
    return np.union1d(top, np.flatnonzero(forced))


def _path_subtree(Z, order, exchange_unequal, max_ends):
    """Solve the programme over the canonical binary tree of ``order``."""
    if len(order) == 1:
        return _Subtree(order.copy(), order.copy(), np.zeros((1, 1)))
    (start, middle), (_, stop) = halves(0, len(order))
    head = _path_subtree(Z, order[start:middle], exchange_unequal, max_ends)
    tail = _path_subtree(Z, order[middle:stop], exchange_unequal, max_ends)
    if middle - start != stop - middle and not exchange_unequal:
        subtree = _Subtree(head.first, tail.last, head.joined_score(tail, Z), (head, tail))
    else:
        subtree = _exchangeable(head, tail, Z)
    subtree.prune(max_ends, order[0], order[-1])
    return subtree


def _exchangeable(head, tail, Z):
    """The subtree of two children that may come in either order."""
    forward, backward = head.joined_score(tail, Z), tail.joined_score(head, Z)
    # Block-diagonal: a first feature of one child goes with a last feature of the other.
    score = np.full((len(head.first) + len(tail.first), len(tail.last) + len(head.last)), -np.inf)
    score[: len(head.first), : len(tail.last)] = forward
    score[len(head.first) :, len(tail.last) :] = backward
    return _Subtree(
        np.concatenate([head.first, tail.first]),
        np.concatenate([tail.last, head.last]),
        score,
        (head, tail),
    )


def _max_ends(n_features):
    """End features each subtree's table keeps, so that the programme keeps to its budget."""
    return max(16, int(np.sqrt(_WORK_BUDGET / n_features)))


def _orient_path(Z, order, exchange_unequal):
    """Best allowed orientation of a sequence (the whole of a 1-D tree, or a 2-D leaf strip)."""
    if len(order) < 2:
        return order
    subtree = _path_subtree(Z, order, exchange_unequal, _max_ends(Z.shape[1]))
    i, j = _near_argmax(subtree.score)
    return np.asarray(subtree.order(subtree.first[i], subtree.last[j], Z))


def dendrogram_order(Z, linkage):
    """Optimal leaf ordering of a hierarchical clustering (Bar-Joseph et al. 2001).

    Every merge may put either cluster first and orient each as it likes; the order returned
    maximises the summed |Pearson correlation| of neighbouring features over all of them, exactly
    while every cluster's table of end features fits the work budget (for any tree up to about
    640 features) and approximately beyond, keeping each cluster's most promising ends.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        Standardized columns (see ``standardized_columns``).
    linkage : ndarray of shape (n_features - 1, 4)
        A scipy linkage matrix over the features (only its first two columns are read).

    Returns
    -------
    order : ndarray of shape (n_features,)
        ``order[p]`` is the feature at position ``p``.
    """
    n_features = Z.shape[1]
    if n_features == 1:
        return np.zeros(1, dtype=np.intp)
    max_ends = _max_ends(n_features)
    clusters = [_Subtree(np.array([n]), np.array([n]), np.zeros((1, 1))) for n in range(n_features)]
    for left, right in linkage[:, :2].astype(np.intp):
        subtree = _exchangeable(clusters[left], clusters[right], Z)
        subtree.prune(max_ends, None, None)
        clusters.append(subtree)
        clusters[left] = clusters[right] = None  # only the root keeps the tree alive
    root = clusters[-1]
    i, j = _near_argmax(root.score)
    return np.asarray(root.order(root.first[i], root.last[j], Z), dtype=np.intp)


def _mirrors(grid, levels_below):
    """The four mirror images of ``grid``, and whether each keeps its canonical sub-blocks.

    Mirroring left-right maps the column halves onto each other at every level only if the
    width is divisible by ``2 ** levels_below`` (below the deepest measured level, anything is).
    """
    period = 2 ** max(levels_below, 0)
    left_right, up_down = grid.shape[1] % period == 0, grid.shape[0] % period == 0
    images = [grid, grid[:, ::-1], grid[::-1], grid[::-1, ::-1]]
    allowed = [True, left_right, up_down, left_right and up_down]
    return images, allowed


def _edges(grid):
    """Left, right, top and bottom edges of a grid, each in its own reading order."""
    return grid[:, 0], grid[:, -1], grid[0], grid[-1]


def _orient_grid(Z, grid, levels_below):
    """Best placement of the quadrants of ``grid``, bottom-up; ``levels_below`` measured."""
    height, width = grid.shape
    if height == 1 or width == 1:  # below the deepest measured level: any order is allowed
        return _orient_path(Z, grid.ravel(), exchange_unequal=True).reshape(grid.shape)
    slots = [(rows, cols) for rows in halves(0, height) for cols in halves(0, width)]
    images, allowed = [], []
    for (r0, r1), (c0, c1) in slots:
        child = _orient_grid(Z, grid[r0:r1, c0:c1], levels_below - 1)
        child_images, child_allowed = _mirrors(child, levels_below - 1)
        images += child_images
        allowed += child_allowed
    # across[a, b]: similarity of image a's right edge to image b's left edge; below[a, b]
    # of a's bottom edge to b's top edge; -inf where an image is not allowed, where a and b
    # are the same child, or where the edges differ in length. Only the children's border
    # features meet, so one small correlation matrix serves all; edges are padded with an
    # extra border index whose similarity to everything is 0.
    border = np.unique(np.concatenate([e for image in images[::4] for e in _edges(image)]))
    similarity = np.zeros((len(border) + 1,) * 2)
    similarity[:-1, :-1] = _similarity(Z, border, border)
    longest = max(height - height // 2, width - width // 2)
    edges = np.full((4, 16, longest), len(border))  # side, image, position along the edge
    lengths = np.zeros((4, 16), dtype=int)
    for a, image in enumerate(images):
        for side, edge in enumerate(_edges(image)):
            edges[side, a, : len(edge)] = np.searchsorted(border, edge)
            lengths[side, a] = len(edge)
    valid = np.outer(allowed, allowed) & (np.arange(16)[:, None] // 4 != np.arange(16) // 4)
    left, right, top, bottom = range(4)
    across, below = (
        np.where(
            valid & (lengths[first][:, None] == lengths[second][None]),
            similarity[edges[first][:, None], edges[second][None]].sum(axis=2),
            -np.inf,
        )
        for first, second in ((right, left), (bottom, top))
    )
    top_left, top_right, bottom_left, bottom_right = _PLACEMENTS.T
    score = (
        across[top_left, top_right]
        + across[bottom_left, bottom_right]
        + below[top_left, bottom_left]
        + below[top_right, bottom_right]
    )
    # A placement must put each child in a slot of its own shape.
    image_shapes = np.array([image.shape for image in images])
    slot_shapes = np.array([(r1 - r0, c1 - c0) for (r0, r1), (c0, c1) in slots])
    fits = (image_shapes[_PLACEMENTS] == slot_shapes).all(axis=(1, 2))
    (best,) = _near_argmax(np.where(fits, score, -np.inf))
    best = _PLACEMENTS[best]
    oriented = np.empty_like(grid)
    for ((r0, r1), (c0, c1)), image in zip(slots, best):
        oriented[r0:r1, c0:c1] = images[image]
    return oriented


def orient_order(X, order, shape=None):
    """Reorder exchangeable blocks of a canonical tree so that neighbours correlate.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data whose |Pearson correlations| are the similarities.
    order : ndarray of shape (n_features,)
        ``order[p]`` is the feature at position ``p``, e.g. from ``cut_tree_order``.
    shape : tuple of (int, int) or None, default=None
        ``None`` for a sequence, ``(H, W)`` for a row-major grid.

    Returns
    -------
    oriented : ndarray of shape (n_features,)
        The same features; every block of the canonical tree of ``shape`` holds the same set
        of features as in ``order``, and ``adjacent_similarity`` is at least as high. In 1-D it
        is the highest possible under that constraint for up to 1024 features; beyond, the
        programme keeps only the most promising end features of each subtree.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_qe._leaf_ordering import orient_order
    >>> t = np.linspace(0, 1, 50)[:, None]
    >>> X = np.hstack([t, np.sin(37 * t), -t, np.cos(91 * t)])  # only 0 and 2 correlate
    >>> oriented = orient_order(X, np.array([0, 1, 2, 3])).tolist()
    >>> sorted(map(sorted, (oriented[:2], oriented[2:])))  # the blocks {0, 1} and {2, 3} kept
    [[0, 1], [2, 3]]
    >>> abs(oriented.index(0) - oriented.index(2))  # and 0 next to 2, its correlated feature
    1
    """
    Z = standardized_columns(X)
    order = np.asarray(order)
    if shape is None:
        return _orient_path(Z, order, exchange_unequal=False)
    levels = max_canonical_level(len(order), shape)
    return _orient_grid(Z, order.reshape(shape), levels).ravel()
