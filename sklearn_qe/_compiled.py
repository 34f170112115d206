"""Compiled loops of the correlation graph and the path search (numba).

Imported only where used, so that ``import sklearn_qe`` does not load numba; compiled once
per machine (``cache=True``).

- ``merge_abs_top``: keep each row's largest ``|products|`` in a min-heap, so that a k-NN
  graph over N features costs one comparison per product and a heap update only for the
  rare product that beats the row's current k-th largest.
- ``greedy_path``: the greedy edge heuristic of the travelling-salesman literature: the
  graph's edges from the strongest down, each taken if both ends still have a free side and
  it closes no cycle; the fragments are then joined end to end.
- ``improve_path``: 2-opt and Or-opt moves over each feature's graph neighbours, with a
  queue of features to look at (the "don't-look bits"), until a pass over every feature
  finds no move that raises the summed similarity of neighbours.
- ``add_sibling_sums`` and ``add_parted_sums``: the surrogate entanglement's sums per level
  of the tree, for the order whose leaf order the products are in (contiguous runs) and for
  any other order (a block lookup per pair), so that several orders share one product.
"""

import numpy as np
from numba import njit

# A move must raise the summed |rho| of neighbours by more than this: gains at rounding level
# would otherwise flip with the BLAS kernel.
MIN_GAIN = 1e-9
# Or-opt moves stretches of up to this many features.
_MAX_SEGMENT = 3


@njit(cache=True, nogil=True)
def merge_abs_top(products, row_start, col_start, values, indices):
    """Merge ``|products|`` (rows ``row_start + r``, columns ``col_start + c``) into the
    per-row min-heaps ``values``/``indices`` of shape ``(n_rows, K)``; the diagonal is
    skipped. A heap starts full of -1 (no entry yet)."""
    n_rows, n_cols = products.shape
    size = values.shape[1]
    for r in range(n_rows):
        row = row_start + r
        floor = values[r, 0]
        for c in range(n_cols):
            value = abs(products[r, c])
            if value <= floor or col_start + c == row:
                continue
            # Replace the heap's root (its smallest) and sift the new entry down.
            node = 0
            while True:
                child = 2 * node + 1
                if child >= size:
                    break
                if child + 1 < size and values[r, child + 1] < values[r, child]:
                    child += 1
                if values[r, child] >= value:
                    break
                values[r, node] = values[r, child]
                indices[r, node] = indices[r, child]
                node = child
            values[r, node] = value
            indices[r, node] = col_start + c
            floor = values[r, 0]


@njit(cache=True)
def _root(parent, node):
    while parent[node] != node:
        parent[node] = parent[parent[node]]
        node = parent[node]
    return node


@njit(cache=True)
def greedy_path(n_features, heads, tails):
    """Path from the edges ``(heads[e], tails[e])`` taken in the given order (strongest
    first) while both ends have degree < 2 and the edge closes no cycle; the fragments
    (isolated features included) are then chained in order of their smallest feature.
    Also returns each feature's degree in the fragments (below 2: an end)."""
    parent = np.arange(n_features)
    degree = np.zeros(n_features, dtype=np.int64)
    links = np.full((n_features, 2), -1, dtype=np.int64)
    for e in range(len(heads)):
        a, b = heads[e], tails[e]
        if degree[a] == 2 or degree[b] == 2:
            continue
        root_a, root_b = _root(parent, a), _root(parent, b)
        if root_a == root_b:
            continue
        parent[root_b] = root_a
        links[a, degree[a]] = b
        links[b, degree[b]] = a
        degree[a] += 1
        degree[b] += 1
    path = np.empty(n_features, dtype=np.int64)
    seen = np.zeros(n_features, dtype=np.bool_)
    filled = 0
    for start in range(n_features):
        # Walk each fragment from one of its ends (an isolated feature is its own end).
        if seen[start] or degree[start] == 2:
            continue
        previous, node = -1, start
        while node != -1:
            seen[node] = True
            path[filled] = node
            filled += 1
            following = links[node, 0] if links[node, 0] != previous else links[node, 1]
            previous, node = node, following
    return path, degree


@njit(cache=True)
def _similarity(a, b, columns, dense):
    """``|rho(a, b)|``; index ``n_features`` (an end of the path) gives 0. From the dense
    matrix where one is given, else the dot product of standardized columns."""
    n_features = columns.shape[0]
    if a == n_features or b == n_features:
        return 0.0
    if dense.shape[0] > 0:
        return dense[a, b]
    total = 0.0
    for i in range(columns.shape[1]):
        total += columns[a, i] * columns[b, i]
    return abs(total)


@njit(cache=True)
def _reverse(tour, position, edge, first, last):
    """Reverse ``tour[first : last + 1]`` (the edges between them follow)."""
    i, j = first, last
    while i < j:
        tour[i], tour[j] = tour[j], tour[i]
        position[tour[i]] = i
        position[tour[j]] = j
        i += 1
        j -= 1
    if i == j:
        position[tour[i]] = i
    i, j = first, last - 1
    while i < j:
        edge[i], edge[j] = edge[j], edge[i]
        i += 1
        j -= 1


@njit(cache=True)
def _move_segment(tour, position, edge, start, length, after, reverse, columns, dense):
    """Move ``tour[start : start + length]`` to just after position ``after`` (outside it),
    reversed if asked. The stretch in between shifts with its edges; the segment's own
    edges and the three junctions are recomputed (at most five similarities)."""
    segment = tour[start : start + length].copy()
    if reverse:
        segment = segment[::-1].copy()
    if after >= start + length:  # the stretch in between shifts left
        for p in range(start, after - length + 1):
            tour[p] = tour[p + length]
        for p in range(start, after - length):
            edge[p] = edge[p + length]
        first, low, high = after - length + 1, start - 1, after + 1
        junctions = (start - 1, first - 1, after)
    else:  # after < start - 1: it shifts right
        for p in range(start + length - 1, after + length, -1):
            tour[p] = tour[p - length]
        for p in range(start - 2, after, -1):
            edge[p + length] = edge[p]
        first, low, high = after + 1, after, start + length
        junctions = (after, after + length, start + length - 1)
    tour[first : first + length] = segment
    for p in range(low, high + 1):
        position[tour[p]] = p
    for p in junctions:
        edge[p] = _similarity(tour[p], tour[p + 1], columns, dense)
    for p in range(first, first + length - 1):
        edge[p] = _similarity(tour[p], tour[p + 1], columns, dense)


@njit(cache=True)
def improve_path(path, indptr, indices, weights, columns, dense):
    """2-opt and Or-opt moves that join a feature to one of its graph neighbours.

    Parameters
    ----------
    path : int array (n_features,)
    indptr, indices, weights : CSR arrays of the similarity graph (its candidate joins).
    columns : float array (n_features, n_samples)
        Standardized columns, one per row (used where ``dense`` is empty).
    dense : float array (n_features, n_features) or (0, 0)
        |rho| of every pair, where it fits in memory.

    Returns
    -------
    path : int array (n_features,)
    """
    n = len(path)
    # The path between two sentinels ("no feature"), so that its ends need no special case.
    tour = np.empty(n + 2, dtype=np.int64)
    tour[0] = n
    tour[1 : n + 1] = path
    tour[n + 1] = n
    position = np.empty(n + 1, dtype=np.int64)
    for p in range(1, n + 1):
        position[tour[p]] = p
    edge = np.zeros(n + 1)  # edge[p]: similarity of tour[p] and tour[p + 1]
    for p in range(1, n):
        edge[p] = _similarity(tour[p], tour[p + 1], columns, dense)
    queue = np.empty(n, dtype=np.int64)  # a ring of features to look at, each at most once
    queued = np.ones(n, dtype=np.bool_)
    queue[:] = path
    head, count = 0, n
    moved = False  # since the queue was last filled with every feature
    while True:
        if count == 0:
            # Features the queue did not hold may have gained a move from the others'; one
            # pass over all of them without a move proves a local optimum.
            if not moved:
                break
            queue[:] = tour[1 : n + 1]
            queued[:] = True
            head, count, moved = 0, n, False
        a = queue[head]
        head = (head + 1) % n
        count -= 1
        queued[a] = False
        # The best 2-opt move that makes a candidate c the new successor of a (reverse
        # tour[i + 1 : j + 1], j > i + 1) or its new predecessor (reverse tour[j : i], j < i - 1).
        best, first, last = MIN_GAIN, 0, 0
        i = position[a]
        for k in range(indptr[a], indptr[a + 1]):
            c, join = indices[k], weights[k]
            j = position[c]
            if j > i + 1:
                new_edge = _similarity(tour[i + 1], tour[j + 1], columns, dense)
                gain = join + new_edge - edge[i] - edge[j]
                if gain > best:
                    best, first, last = gain, i + 1, j
            elif j < i - 1:
                new_edge = _similarity(tour[j - 1], tour[i - 1], columns, dense)
                gain = join + new_edge - edge[i - 1] - edge[j - 1]
                if gain > best:
                    best, first, last = gain, j, i - 1
        touched = np.empty(4, dtype=np.int64)
        if best > MIN_GAIN:
            touched[0], touched[1] = tour[first - 1], tour[first]
            touched[2], touched[3] = tour[last], tour[last + 1]
            _reverse(tour, position, edge, first, last)
            edge[first - 1] = _similarity(tour[first - 1], tour[first], columns, dense)
            edge[last] = _similarity(tour[last], tour[last + 1], columns, dense)
        else:
            # Or-opt: a stretch that starts or ends at a, moved (either way round) so that a
            # sits next to a candidate c.
            best, best_start, best_length, best_after, best_reverse = MIN_GAIN, 0, 0, 0, False
            for length in range(1, _MAX_SEGMENT + 1):
                for a_first in (True, False):
                    start = i if a_first else i - length + 1
                    if start < 1 or start + length - 1 > n or (length == 1 and not a_first):
                        continue
                    end = start + length - 1
                    before, following = tour[start - 1], tour[end + 1]
                    removal = (
                        _similarity(before, following, columns, dense) - edge[start - 1] - edge[end]
                    )
                    other = tour[end] if a_first else tour[start]
                    for k in range(indptr[a], indptr[a + 1]):
                        c, join = indices[k], weights[k]
                        j = position[c]
                        if start - 1 <= j <= end + 1:
                            continue
                        # a next to c on c's right (between c and its successor), or on its
                        # left (between its predecessor and c).
                        for right in (True, False):
                            after = j if right else j - 1
                            if start - 1 <= after <= end:
                                continue
                            far = tour[after + 1] if right else tour[after]
                            gain = (
                                removal
                                + join
                                + _similarity(other, far, columns, dense)
                                - edge[after]
                            )
                            if gain > best:
                                # On c's right the segment must start with a; on its left,
                                # end with a.
                                best, best_start, best_length = gain, start, length
                                best_after, best_reverse = after, a_first != right
            if best <= MIN_GAIN:
                continue
            touched[0], touched[1] = tour[best_start - 1], tour[best_start + best_length]
            touched[2], touched[3] = tour[best_after], tour[best_after + 1]
            _move_segment(
                tour,
                position,
                edge,
                best_start,
                best_length,
                best_after,
                best_reverse,
                columns,
                dense,
            )
        moved = True
        # Look again at a and at the ends of the edges that changed.
        for t in range(5):
            f = a if t == 4 else touched[t]
            if f < n and not queued[f]:
                queued[f] = True
                queue[(head + count) % n] = f
                count += 1
    return tour[1 : n + 1].copy()


@njit(cache=True, nogil=True)
def add_sibling_sums(products, row_start, col_start, block_starts, arity, n_levels, parted):
    """Add each ``min(|rho|, 1)`` of the upper triangle to ``parted[s, b]`` for the deepest
    blocks ``b`` of both its features, ``s`` the level at which their blocks part.

    Features are in leaf order (deepest block ``b`` spans ``block_starts[b]:block_starts[b +
    1]``, and a parent's blocks are ``arity`` consecutive numbers); ``products`` holds rows
    ``row_start + r`` and columns ``col_start + c``, and only these are added. For a row, the
    later siblings of its block at each level are runs that together cover the rest of the
    row beyond its own deepest block, once; pairs inside a deepest block part below every
    measured level.
    """
    n_rows, n_cols = products.shape
    col_stop = col_start + n_cols
    # The deepest blocks that these columns touch.
    low = np.searchsorted(block_starts, col_start, side="right") - 1
    high = np.searchsorted(block_starts, col_stop, side="left")
    own = 0
    for r in range(n_rows):
        position = row_start + r
        while block_starts[own + 1] <= position:
            own += 1
        for level in range(n_levels, 0, -1):
            span = arity ** (n_levels - level)  # deepest blocks under a block of this level
            block = own // span
            siblings_start = max((block + 1) * span, low)
            siblings_stop = min((block - block % arity + arity) * span, high)
            for other in range(siblings_start, siblings_stop):
                first = max(block_starts[other], col_start)
                last = min(block_starts[other + 1], col_stop)
                if first >= last:
                    continue
                total = 0.0
                for c in range(first, last):
                    total += min(abs(products[r, c - col_start]), 1.0)
                parted[level, own] += total
                parted[level, other] += total


@njit(cache=True, nogil=True)
def add_parted_sums(products, row_start, col_start, blocks, part_level, parted):
    """For each pair of positions ``p = row_start + r < q = col_start + c``, add
    ``min(|products[r, c]|, 1)`` to ``parted[o, s, b]`` for both features' deepest blocks
    ``b`` in each order ``o`` (``blocks[o, p]`` and ``blocks[o, q]``), ``s`` the level at
    which those blocks part (``part_level`` of the XOR of their numbers); pairs inside one
    deepest block part below every measured level."""
    n_rows, n_cols = products.shape
    for r in range(n_rows):
        p = row_start + r
        for c in range(max(0, p + 1 - col_start), n_cols):
            value = min(abs(products[r, c]), 1.0)
            q = col_start + c
            for o in range(blocks.shape[0]):
                u = blocks[o, p]
                v = blocks[o, q]
                if u != v:
                    level = part_level[u ^ v]
                    parted[o, level, u] += value
                    parted[o, level, v] += value
