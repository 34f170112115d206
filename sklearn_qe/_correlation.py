"""Absolute Pearson correlations between features, dense or as a sparse nearest-neighbour graph.

Pure numpy/scipy (arguments aside, checked by ``_checks``). Constant features correlate 0
with everything.
"""

import numpy as np
from scipy import sparse

from ._checks import check_data, check_int

__all__ = ["abs_correlation", "abs_correlation_graph"]


def standardized_columns(X):
    """Columns centred and scaled to unit norm, so that ``Z.T @ Z`` is the correlation.

    Constant columns are zero.
    """
    X = np.asarray(X, dtype=np.float64)
    # Dividing by the largest magnitude first keeps the mean and the squared norm from
    # overflowing (huge values) or underflowing (subnormal values).
    magnitude = np.abs(X).max(axis=0)
    constant = np.ptp(X, axis=0) == 0
    magnitude[constant] = 1.0
    centred = X / magnitude
    centred -= centred.mean(axis=0)
    centred[:, constant] = 0.0
    norms = np.linalg.norm(centred, axis=0)
    norms[constant] = 1.0
    return centred / norms


def abs_correlation_rows(Z, chunk_size):
    """Yield ``(rows, |rho[rows, :]|)`` for consecutive row chunks of the correlation matrix."""
    n_features = Z.shape[1]
    for start in range(0, n_features, chunk_size):
        rows = slice(start, min(start + chunk_size, n_features))
        yield rows, np.clip(np.abs(Z[:, rows].T @ Z), 0.0, 1.0)


def abs_correlation(X):
    """Dense matrix of absolute Pearson correlations, zero on the diagonal.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Finite numeric data, at least 2 features.

    Returns
    -------
    rho : ndarray of shape (n_features, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_qe import abs_correlation
    >>> X = np.array([[0.0, 1.0, 5.0], [1.0, 3.0, 5.0], [2.0, 4.0, 5.0]])
    >>> abs_correlation(X).round(3)
    array([[0.   , 0.982, 0.   ],
           [0.982, 0.   , 0.   ],
           [0.   , 0.   , 0.   ]])
    """
    return standardized_abs_correlation(standardized_columns(check_data(X, min_features=2)))


def standardized_abs_correlation(Z):
    """``abs_correlation`` of data whose columns are already standardized."""
    rho = np.clip(np.abs(Z.T @ Z), 0.0, 1.0)
    np.fill_diagonal(rho, 0.0)
    return rho


def abs_correlation_graph(X, n_neighbors=None, chunk_size=1024):
    """Sparse symmetric graph of absolute correlations between features.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Finite numeric data, at least 2 features.
    n_neighbors : int or None, default=None
        ``None`` keeps every nonzero correlation (a dense graph). An int keeps, for each
        feature, its ``n_neighbors`` strongest correlations, and an edge is kept if either end
        keeps it; the correlation matrix is then formed ``chunk_size`` rows at a time, so
        memory is ``O(n_features * (n_neighbors + chunk_size))``.
    chunk_size : int, default=1024
        Rows of the correlation matrix formed at once.

    Returns
    -------
    graph : scipy.sparse.csr_array of shape (n_features, n_features)
        Symmetric, zero diagonal, weights in (0, 1].
    """
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    if n_neighbors is None:
        return sparse.csr_array(abs_correlation(X))
    n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=1)
    Z = standardized_columns(check_data(X, min_features=2))
    n_features = Z.shape[1]
    k = min(n_neighbors, n_features - 1)
    heads, tails, weights = [], [], []
    for rows, block in abs_correlation_rows(Z, chunk_size):
        row_ids = np.arange(rows.start, rows.stop)
        block[np.arange(len(row_ids)), row_ids] = -1.0  # never its own neighbour
        strongest = np.argpartition(block, -k, axis=1)[:, -k:]
        heads.append(np.repeat(row_ids, k))
        tails.append(strongest.ravel())
        weights.append(np.take_along_axis(block, strongest, axis=1).ravel())
    heads, tails, weights = map(np.concatenate, (heads, tails, weights))
    keep = weights > 0
    graph = sparse.coo_array(
        (weights[keep], (heads[keep], tails[keep])), shape=(n_features, n_features)
    ).tocsr()
    return graph.maximum(graph.T).tocsr()
