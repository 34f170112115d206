"""Entanglement capacity: the most QE a tree tensor network of given widths can express.

The network of the theorem (Alexander et al., NeurIPS 2023) is a tree tensor network over the
canonical tree: every feature is a leaf carrying ``phi(x_n)`` (dimension 2), every block of
the tree is a node, and the edge from a block of level ``l`` to its parent has the width
``R_l`` of that level. The rank of the represented tensor's matricization under
``(K, K^c)`` is at most the smallest product of widths over the sets of edges whose removal
separates the leaves of K from those of K^c (a min-cut), so its QE is at most the log of that
product (Levine et al., ICLR 2018). Widths of 1 are allowed: such an edge cuts for free.

Pure numpy (arguments aside, validated at the public entries), so that the math core can be tested
and reused without torch.
"""

import math
from numbers import Integral

import numpy as np

from ._checks import MAX_SIZE, SHAPE, StrictInterval, check_int_list
from ._compat import validate_params
from ._partitions import canonical_tree

__all__ = ["entanglement_capacity", "partition_entanglement_capacity"]

# Every leaf edge carries the embedding phi(x_n) = (cos, sin): dimension 2.
_LOG_LEAF_WIDTH = np.log(2.0)


def _log_widths(widths, n_levels, layout):
    """``ln R_l`` for levels ``l = 1..n_levels`` from an int or one int per level."""
    if isinstance(widths, Integral) and not isinstance(widths, bool):
        widths = [widths] * n_levels
    elif isinstance(widths, (str, bytes)) or np.ndim(widths) != 1:
        raise TypeError(
            f"widths must be an int or a 1-D sequence of ints (one per level), got {widths!r}."
        )
    widths = list(widths)
    if len(widths) != n_levels:
        raise ValueError(
            f"widths has {len(widths)} values, but the canonical tree over {layout} has "
            f"{n_levels} levels: pass one width per level 1..{n_levels}, or one int."
        )
    # math.log takes ints of any size, where numpy makes an int beyond int64 an object.
    return np.array([math.log(w) for w in check_int_list(widths, "each of widths")])


_CAPACITY_CONSTRAINTS = {
    "widths": [StrictInterval(Integral, 1, None, closed="left"), "array-like"],
    "n_features": [StrictInterval(Integral, 2, MAX_SIZE, closed="both")],
    "shape": SHAPE,
}


@validate_params(_CAPACITY_CONSTRAINTS, prefer_skip_nested_validation=True)
def partition_entanglement_capacity(widths, n_features, shape=None):
    """Capacity (nats) of every canonical partition: the most QE the network can express.

    The network is the tree tensor network over all ``max_canonical_level(n_features,
    shape)`` levels of :func:`canonical_tree`: the edge from each block of level ``l`` to its
    parent (level 1: the root's children) has width ``R_l``; the features of each block of
    the deepest level are that block's children, on edges of dimension 2; the root maps to
    one output. Splitting the deepest blocks further on edges of the deepest width, as
    ``sklearn_qe.nets.TreeTensorNet`` does, changes no capacity: a cut through such an edge
    costs at least that width, the price of the deepest block's own top edge.

    The capacity of a partition ``(K, K^c)`` is ``ln`` of the min-cut: the smallest product
    of widths over the sets of edges whose removal separates K's features from K^c's. It
    bounds the rank of the represented tensor's matricization, so its QE, and a network
    with random weights attains the rank (generically). The leaf edges make it at most
    ``ln min(2**|K|, 2**|K^c|)``; on a perfect tree with ``c = 2`` (1-D) or ``4`` (2-D)
    children per block it is ``ln min(R_l, R_{l+1}**c, R_{l+2}**(c**2), ..., 2**|K|,
    2**|K^c|)`` for K at level ``l`` (the min-cut bound of Levine et al., ICLR 2018). With
    uneven splits or widths of 1, cutting K^c's features off can be cheaper than cutting K's.

    Parameters
    ----------
    widths : int or array-like of int of shape (n_levels,)
        Width ``R_l`` of the edges leaving the blocks of level ``l``, for ``l = 1..n_levels``
        (``widths[0]`` is level 1, the edges into the root); an int gives every level that
        width. At least 1.
    n_features : int
        Number of features, at least 2.
    shape : tuple of (int, int) or None, default=None
        ``None`` for 1-D features; ``(H, W)`` for an image flattened row-major.

    Returns
    -------
    capacities : list of ndarray
        ``capacities[l - 1]`` holds the capacity of each distinct partition of level ``l``,
        in the order of ``CanonicalTree.partitions(l)``, as the QE in the meter's
        ``partition_entanglement_`` (one partition at level 1 in 1-D: the two halves).

    See Also
    --------
    entanglement_capacity : The largest capacity of each level.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_qe import partition_entanglement_capacity
    >>> # N = 5: level 2 holds [0, 1], [2], [3], [4]; one feature carries at most ln 2.
    >>> [np.exp(c).round().tolist() for c in partition_entanglement_capacity(8, 5)]
    [[4.0], [4.0, 2.0, 2.0, 2.0]]
    """
    tree = canonical_tree(n_features, shape=shape)  # checks the shape
    layout = f"{n_features} features" if shape is None else f"shape={tuple(shape)}"
    log_width = _log_widths(widths, tree.n_levels, layout)
    arity = tree.arity

    # inner[l][j]: the cheapest cut separating block (l, j)'s node from all of its features,
    # inside its subtree: each child is detached on its own (the children's subtrees are
    # disjoint, so their cuts add up in log space), by its top edge or below its node.
    # detach[l][j]: the same from the node above it, i.e. also allowing its own top edge.
    inner = [None] * (tree.n_levels + 1)
    detach = [None] * (tree.n_levels + 1)
    inner[-1] = np.array([len(block) for block in tree.blocks[-1]]) * _LOG_LEAF_WIDTH
    for level in range(tree.n_levels, 0, -1):
        detach[level] = np.minimum(log_width[level - 1], inner[level])
        inner[level - 1] = detach[level].reshape(-1, arity).sum(axis=1)

    capacities = []
    for level in range(1, tree.n_levels + 1):
        # Exact min-cut on a tree: a cut leaves every node in a component that holds
        # features of K only ("K side") or of K^c only ("C side"). The cheapest cut of a
        # node's subtree with the node on a given side is a sum over its children of: keep
        # the edge (the child on the same side) or cut it (the child on the other side: a
        # width >= 1 costs >= 0, so cutting never pays otherwise); subtrees meet only at
        # their parent, so the choices are independent. K's own node
        # costs 0 on the K side and ``inner`` on the C side (all of K cut off below it).
        # Every subtree hanging off the path from K to the root holds K^c only: free on the
        # C side, ``detach`` on the K side; so only the path up to the root is walked.
        # Cutting K off (``detach``) is one candidate, not always the best: with uneven
        # splits or widths of 1, cutting K^c's features off can be cheaper.
        index = np.arange(len(tree.blocks[level]))
        k_side, c_side = np.zeros(index.size), inner[level]
        for step in range(level, 0, -1):
            siblings = inner[step - 1][index // arity] - detach[step][index]
            edge = log_width[step - 1]
            k_side, c_side = (
                np.minimum(k_side, edge + c_side) + siblings,
                np.minimum(c_side, edge + k_side),
            )
            index = index // arity
        capacity = np.minimum(k_side, c_side)
        capacities.append(capacity[list(tree.partition_indices(level))])
    return capacities


@validate_params(_CAPACITY_CONSTRAINTS, prefer_skip_nested_validation=True)
def entanglement_capacity(widths, n_features, shape=None):
    """Largest QE (nats) a tree tensor network of these widths can express, per level.

    Theorem of Levine et al. (ICLR 2018): the QE of the tensor a tree
    tensor network represents, under a partition ``(K, K^c)``, is at most ``ln`` of the
    min-cut separating K from K^c, the smallest product of widths over the edges of such a
    cut. So the width of each level bounds the entanglement of the blocks at its scale:
    compare this with the data's QE per level (``EntanglementMeter.entanglement_``) to see
    which levels of a network are too narrow. See
    :func:`partition_entanglement_capacity` for the network and every partition's value.

    Parameters
    ----------
    widths : int or array-like of int of shape (n_levels,)
        Width ``R_l`` of the edges leaving the blocks of level ``l``, for ``l = 1..n_levels``
        (``widths[0]`` is level 1, the edges into the root); an int gives every level that
        width. At least 1.
    n_features : int
        Number of features, at least 2.
    shape : tuple of (int, int) or None, default=None
        ``None`` for 1-D features; ``(H, W)`` for an image flattened row-major.

    Returns
    -------
    capacity : ndarray of shape (n_levels,)
        ``capacity[l - 1]`` is the largest capacity over the blocks of level ``l``. With
        uneven splits the blocks of a level differ in size, and so can their capacities;
        the per-block values are :func:`partition_entanglement_capacity`'s.

    See Also
    --------
    partition_entanglement_capacity : The capacity of every canonical partition.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_qe import entanglement_capacity
    >>> # Level 3's blocks hold 2 features (rank <= 2**2) and level 4's one.
    >>> np.exp(entanglement_capacity([2, 4, 8, 8], 16)).round()
    array([2., 4., 4., 2.])
    >>> np.exp(entanglement_capacity(16, 64, shape=(8, 8))).round()
    array([16., 16.,  2.])
    """
    capacities = partition_entanglement_capacity(widths, n_features, shape=shape)
    return np.array([capacity.max() for capacity in capacities])
