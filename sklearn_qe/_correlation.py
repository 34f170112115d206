"""Absolute Pearson correlations between features.

Pure numpy/scipy. Constant features correlate 0 with everything.
"""

import numpy as np

__all__ = ["abs_correlation"]


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
    Z = standardized_columns(X)
    rho = np.clip(np.abs(Z.T @ Z), 0.0, 1.0)
    np.fill_diagonal(rho, 0.0)
    return rho
