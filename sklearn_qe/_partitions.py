"""Canonical partitions of the features: the blocks of a balanced binary tree (1-D) or
quad-tree (2-D) laid over the feature axis.

Pure numpy (arguments aside, validated at the public entries), so that the math core can be
tested and reused without torch.
"""

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from ._checks import MAX_SIZE, POSITIVE_INT, SHAPE, StrictInterval, check_shape
from ._compat import validate_params

__all__ = ["CanonicalTree", "canonical_tree", "max_canonical_level"]


def halves(start, stop):
    """Split ``range(start, stop)`` into two parts, the larger (if any) first."""
    middle = start + (stop - start + 1) // 2
    return (start, middle), (middle, stop)


@validate_params(
    {"n_features": [StrictInterval(Integral, 1, MAX_SIZE, closed="both")], "shape": SHAPE},
    prefer_skip_nested_validation=True,
)
def max_canonical_level(n_features, shape=None):
    """Deepest level of the canonical tree at which no block is empty.

    Parameters
    ----------
    n_features : int
        Number of features, at least 1.
    shape : tuple of (int, int) or None, default=None
        ``None`` for 1-D features, ``(H, W)`` with ``H * W == n_features`` for an image
        flattened row-major.

    Returns
    -------
    level : int
        ``floor(log2(n_features))`` in 1-D, ``floor(log2(min(H, W)))`` in 2-D.

    Raises
    ------
    TypeError
        If ``n_features`` or a side of ``shape`` is not an int (a bool is not).
    ValueError
        If ``n_features`` is below 1, or ``shape`` is not a pair of positive ints holding
        ``n_features``.

    Examples
    --------
    >>> from sklearn_qe._partitions import max_canonical_level
    >>> max_canonical_level(180), max_canonical_level(64, shape=(8, 8))
    (7, 3)
    """
    side = n_features if shape is None else min(check_shape(shape, n_features))
    # bit_length is exact where log2 of a large int rounds up across a power of 2.
    return side.bit_length() - 1


@dataclass(frozen=True)
class CanonicalTree:
    """The nested blocks of the canonical partition tree.

    Attributes
    ----------
    blocks : tuple of tuple of ndarray
        ``blocks[l][j]`` holds the (sorted) feature indices of block ``j`` at level ``l``;
        ``blocks[0]`` is the root (all features). The children of ``blocks[l][j]`` are
        ``blocks[l + 1][j * arity:(j + 1) * arity]``.
    arity : int
        2 for 1-D features (halves), 4 for 2-D features (quadrants).
    shape : tuple of (int, int) or None
        ``None`` for 1-D features, ``(H, W)`` for an image flattened row-major.
    """

    blocks: tuple
    arity: int
    shape: tuple = None

    @property
    def n_levels(self):
        """Deepest level of the tree."""
        return len(self.blocks) - 1

    def partition_indices(self, level):
        """Indices of the blocks at ``level`` that give distinct partitions (K, K^c).

        In 1-D the two halves of level 1 are each other's complement, so level 1 has a
        single distinct partition; every other block is its own partition.
        """
        if self.arity == 2 and level == 1:
            return range(1)
        return range(len(self.blocks[level]))

    def partitions(self, level):
        """Blocks K (one per distinct partition) of the given level."""
        return [self.blocks[level][j] for j in self.partition_indices(level)]

    def block_geometry(self, level):
        """Size and boundary of the block K of each distinct partition of ``level``.

        The boundary counts the pairs of nearest-neighbour features split by the partition
        (one in K, one in K^c): in 1-D the ends of K inside the sequence (1 or 2), in 2-D
        the pixel edges of K's rectangle that lie inside the image (its perimeter, less the
        sides on the image border). An area law is QE growing like the boundary, a volume
        law like the size.

        Returns
        -------
        sizes : ndarray of int of shape (n_partitions,)
            Number of features in each block, in the order of :meth:`partitions`.
        boundaries : ndarray of int of shape (n_partitions,)
            Nearest-neighbour pairs crossing from each block to its complement.
        """
        blocks = self.partitions(level)
        sizes = np.array([len(block) for block in blocks])
        # Blocks are sorted contiguous ranges (1-D) or rectangles (2-D): their first and
        # last indices are the corners.
        first = np.array([block[0] for block in blocks])
        last = np.array([block[-1] for block in blocks])
        if self.arity == 2:
            boundaries = (first > 0).astype(int) + (last < len(self.blocks[0][0]) - 1)
            return sizes, boundaries
        height, width = self.shape
        top, left = np.divmod(first, width)
        bottom, right = np.divmod(last, width)
        rows, cols = bottom - top + 1, right - left + 1
        boundaries = cols * ((top > 0).astype(int) + (bottom < height - 1)) + rows * (
            (left > 0).astype(int) + (right < width - 1)
        )
        return sizes, boundaries

    def children(self, level, index):
        """Indices at ``level + 1`` of the children of block ``index`` at ``level``."""
        return range(index * self.arity, (index + 1) * self.arity)

    def grid_positions(self, level):
        """(row, column) of each block of ``level`` in the ``2**level``-wide grid of blocks.

        In 1-D the row is always 0 and the column is the block's index.
        """
        if self.arity == 2:
            return [(0, j) for j in range(len(self.blocks[level]))]
        positions = [(0, 0)]
        for _ in range(level):
            positions = [(2 * r + q // 2, 2 * c + q % 2) for r, c in positions for q in range(4)]
        return positions

    def shifted_partitions(self, level):
        """Blocks of ``level``'s size shifted by half a block: each a window of children.

        A canonical block at ``level`` is a window of 2 (1-D) or 2 x 2 (2-D) adjacent blocks
        of ``level + 1`` that starts at an even position. The shifted blocks are the windows
        of the same size that start at an odd position along some axis: they straddle the
        seams between canonical blocks, so they see how sibling blocks are placed and
        oriented, which the canonical partitions by construction do not.

        Returns
        -------
        windows : list of tuple of int
            For each shifted block, the indices at ``level + 1`` of the blocks it joins,
            ordered by the window's position (row-major).
        """
        if not 1 <= level < self.n_levels:
            return []
        positions = self.grid_positions(level + 1)
        index_at = {position: index for index, position in enumerate(positions)}
        rows = 1 + max(r for r, _ in positions)
        cols = 1 + max(c for _, c in positions)
        height = 1 if self.arity == 2 else 2
        windows = []
        for r in range(rows - height + 1):
            for c in range(cols - 1):
                if r % 2 == 0 and c % 2 == 0:  # a canonical block
                    continue
                cells = [(r + dr, c + dc) for dr in range(height) for dc in range(2)]
                windows.append(tuple(index_at[cell] for cell in cells))
        return windows


@validate_params(
    {
        "n_features": [StrictInterval(Integral, 2, MAX_SIZE, closed="both")],
        "shape": SHAPE,
        "max_level": [POSITIVE_INT, None],
    },
    prefer_skip_nested_validation=True,
)
def canonical_tree(n_features, shape=None, max_level=None):
    """Build the canonical partition tree over ``n_features`` features.

    In 1-D every block is split into two contiguous halves whose sizes differ by at most one
    (the larger first), so the blocks of one level differ in size by at most one. In 2-D the
    features are an ``(H, W)`` image flattened row-major and every block is a rectangle split
    into its four quadrants (top-left, top-right, bottom-left, bottom-right), rows and columns
    halved as in 1-D.

    Parameters
    ----------
    n_features : int
        Number of features, at least 2.
    shape : tuple of (int, int) or None, default=None
        ``None`` for 1-D features; ``(H, W)`` with ``H * W == n_features`` and
        ``H, W >= 2`` for 2-D features.
    max_level : int or None, default=None
        Deepest level to build; ``None`` builds every level with non-empty blocks.

    Returns
    -------
    tree : CanonicalTree

    Examples
    --------
    >>> from sklearn_qe._partitions import canonical_tree
    >>> tree = canonical_tree(5)
    >>> [b.tolist() for b in tree.blocks[2]]
    [[0, 1], [2], [3], [4]]
    >>> [b.tolist() for b in canonical_tree(16, shape=(4, 4)).blocks[1]]
    [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]
    """
    if shape is not None:
        # A quadrant needs at least one row and one column.
        check_shape(shape, n_features, min_side=2)
    deepest = max_canonical_level(n_features, shape)
    if max_level is None:
        max_level = deepest
    elif not 1 <= max_level <= deepest:
        layout = f"{n_features} features" if shape is None else f"shape={tuple(shape)}"
        raise ValueError(
            f"Level {max_level} is out of range: {layout} allow levels 1 to {deepest}."
        )

    if shape is None:
        nodes = [(0, n_features)]
        levels = [nodes]
        for _ in range(max_level):
            nodes = [half for start, stop in nodes for half in halves(start, stop)]
            levels.append(nodes)
        blocks = tuple(tuple(np.arange(start, stop) for start, stop in nodes) for nodes in levels)
        return CanonicalTree(blocks=blocks, arity=2)

    height, width = shape
    nodes = [((0, height), (0, width))]
    levels = [nodes]
    for _ in range(max_level):
        nodes = [
            (rows, cols)
            for (r0, r1), (c0, c1) in nodes
            for rows in halves(r0, r1)
            for cols in halves(c0, c1)
        ]
        levels.append(nodes)
    blocks = tuple(
        tuple(
            (np.arange(r0, r1)[:, None] * width + np.arange(c0, c1)[None, :]).ravel()
            for (r0, r1), (c0, c1) in nodes
        )
        for nodes in levels
    )
    return CanonicalTree(blocks=blocks, arity=4, shape=(height, width))
