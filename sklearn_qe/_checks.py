"""Argument checks shared by the public functions of the math core (numpy only).

The estimators validate through scikit-learn's ``validate_data``; the functions that work
without scikit-learn check here, so that bad input gives a ``ValueError`` or ``TypeError``
naming the argument, never an error deep in numpy or a silently wrong number.
"""

from numbers import Integral, Real

import numpy as np

__all__ = ["check_data", "check_int", "check_positive", "check_target"]


def check_int(value, name, minimum=None):
    """``value`` as an int: a real integer (not a bool, not a float such as 8.0)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {value!r} of type {type(value).__name__}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")
    return int(value)


def check_positive(value, name):
    """``value`` as a positive finite float."""
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite real number, got {value!r}.")
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value}.")
    return float(value)


def check_data(X, name="X", min_samples=1, min_features=1):
    """X as a finite 2-D float64 array with enough samples and features."""
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(f"{name} is a sparse matrix; pass a dense array (X.toarray()).")
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got an array of dtype {X.dtype}.")
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {X.shape}.")
    if X.shape[0] < min_samples or X.shape[1] < min_features:
        raise ValueError(
            f"{name} has shape {X.shape}: at least {min_samples} sample(s) and "
            f"{min_features} feature(s) are needed."
        )
    X = X.astype(np.float64)
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    return X


def check_target(y, n_samples):
    """A 1-D target of ``n_samples`` values without NaN, and whether it holds values.

    A float target with any non-integer value is a continuous target (its values weight the
    samples); anything else holds class labels, the rule of scikit-learn's
    ``type_of_target``.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        y = y.squeeze() if y.ndim == 2 and 1 in y.shape else y
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {np.shape(y)}.")
    if len(y) != n_samples:
        raise ValueError(f"y has {len(y)} values, but X has {n_samples} samples.")
    if y.dtype.kind in "fc" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinity.")
    continuous = y.dtype.kind == "f" and not np.array_equal(y, np.round(y))
    return y, continuous
