"""IGTD: Image Generator for Tabular Data (Zhu et al., Scientific Reports 11, 2021).

Features are placed on a line or an (H, W) grid so that the ranking of their pairwise
dissimilarities matches the ranking of the distances between their positions, by greedy
swaps. Written from the published description; every step is vectorized over the candidate
partners, with O(N) work per candidate. Pure numpy/scipy.
"""

import numpy as np
from scipy.spatial.distance import pdist, squareform
from scipy.stats import rankdata

from ._correlation import standardized_columns

__all__ = ["igtd_order"]


def _pair_ranks(condensed_distances):
    """Ranks of the pairwise distances (ties averaged), doubled to exact integers, as a
    symmetric matrix with zero diagonal."""
    return squareform(2 * rankdata(condensed_distances, method="average"))


def feature_distances(X, metric):
    """Condensed pairwise dissimilarities between the columns of X."""
    if metric == "euclidean":
        return pdist(np.asarray(X, dtype=np.float64).T)
    Z = standardized_columns(X)
    correlation = np.clip(Z.T @ Z, -1.0, 1.0)
    if metric == "abs_pearson":
        correlation = np.abs(correlation)
    return squareform(1.0 - correlation, checks=False)


def position_distances(n_features, shape=None):
    """Condensed Euclidean distances between the positions of a line or a row-major grid."""
    if shape is None:
        coordinates = np.arange(n_features, dtype=np.float64)[:, None]
    else:
        rows, cols = np.divmod(np.arange(n_features), shape[1])
        coordinates = np.column_stack((rows, cols)).astype(np.float64)
    return pdist(coordinates)


def igtd_order(
    X,
    shape=None,
    metric="pearson",
    error="absolute",
    max_steps=1000,
    n_steps_no_improvement=300,
    min_gain=1e-5,
    progress=None,
):
    """Place features by IGTD's greedy swaps.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data whose columns are placed.
    shape : tuple of (int, int) or None, default=None
        ``None`` places features on a line, ``(H, W)`` on a row-major grid.
    metric : {"pearson", "abs_pearson", "euclidean"}, default="pearson"
        Feature dissimilarity: ``1 - rho``, ``1 - |rho|`` or the Euclidean distance between
        columns.
    error : {"absolute", "squared"}, default="absolute"
        How a mismatch between the two rankings counts.
    max_steps : int, default=1000
        Maximum number of steps; each step considers one feature.
    n_steps_no_improvement : int, default=300
        Stop when the error fell by less than ``min_gain`` (relative) over this many steps.
    min_gain : float, default=1e-5
        Relative error reduction below which the search has converged.
    progress : callable or None, default=None
        Called once per step.

    Returns
    -------
    order : ndarray of shape (n_features,)
        ``order[p]`` is the feature placed at position ``p``.
    errors : ndarray of shape (n_steps + 1,)
        Ranking mismatch before the first step and after every step.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_qe._igtd import igtd_order
    >>> X = np.cumsum(np.random.default_rng(0).standard_normal((200, 12)), axis=1)
    >>> order, errors = igtd_order(X[:, ::-1][:, [0, 5, 1, 9, 3, 7, 2, 11, 4, 8, 6, 10]])
    >>> bool(errors[-1] < errors[0])
    True
    """
    n_features = X.shape[1]
    mismatch = np.abs if error == "absolute" else np.square
    target = _pair_ranks(feature_distances(X, metric))
    grid = _pair_ranks(position_distances(n_features, shape))
    position = np.arange(n_features)  # position[f]: where feature f is
    placed = grid.copy()  # placed[f, g] = grid[position[f], position[g]]
    row_error = mismatch(target - placed).sum(axis=1)
    errors = [row_error.sum() / 2]
    last_considered = np.full(n_features, -1)
    everyone = np.arange(n_features)
    buffer = np.empty_like(placed)
    for step in range(max_steps):
        a = int(np.argmin(last_considered))
        # Swapping a with b: for every third feature k, the pair (a, k) gets b's old distance
        # to k and the pair (b, k) gets a's; the pair (a, b) keeps its distance.
        a_at_b = mismatch(np.subtract(target[a], placed, out=buffer), out=buffer).sum(axis=1)
        a_at_b -= mismatch(target[a, a] - placed[:, a]) + mismatch(
            target[a] - placed[everyone, everyone]
        )
        b_at_a = mismatch(np.subtract(target, placed[a], out=buffer), out=buffer).sum(axis=1)
        b_at_a -= mismatch(target[:, a] - placed[a, a]) + mismatch(
            target[everyone, everyone] - placed[a]
        )
        a_stays = (
            row_error[a] - mismatch(target[a, a] - placed[a, a]) - mismatch(target[a] - placed[a])
        )
        b_stays = (
            row_error
            - mismatch(target[:, a] - placed[:, a])
            - mismatch(target[everyone, everyone] - placed[everyone, everyone])
        )
        change = a_at_b + b_at_a - a_stays - b_stays
        change[a] = np.inf
        b = int(np.argmin(change))
        last_considered[a] = step
        if change[b] < 0:
            position[[a, b]] = position[[b, a]]
            placed[[a, b]] = placed[[b, a]]
            placed[:, [a, b]] = placed[:, [b, a]]
            row_error = mismatch(target - placed).sum(axis=1)
            last_considered[b] = step
        errors.append(row_error.sum() / 2)
        if progress is not None:
            progress(1)
        if step + 1 >= n_steps_no_improvement:
            before = errors[-1 - n_steps_no_improvement]
            if before == 0 or (before - errors[-1]) / before < min_gain:
                break
    return np.argsort(position), np.array(errors)
