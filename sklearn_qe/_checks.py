"""Argument checks shared by the public functions and the estimators.

One validation path, scikit-learn's: the estimators declare ``_parameter_constraints`` and
the public functions ``validate_params``, both from the constraints below (built on
:class:`StrictInterval`, which refuses booleans: ``True`` is not the int 1), and read their
data through ``check_array``. What a constraint cannot say (the elements of a list, a shape
that must hold the data's features) is checked here, with the same error type
(``InvalidParameterError``, a ``ValueError`` and a ``TypeError``). Validation happens once,
at the public entry; the private cores below it trust their arguments.
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_array

from ._compat import Interval, InvalidParameterError, StrOptions

__all__ = [
    "DENSE_LIMIT_BYTES",
    "MAX_SIZE",
    "N_JOBS",
    "POSITIVE_FLOAT",
    "POSITIVE_INT",
    "SHAPE",
    "TARGET",
    "StrictInterval",
    "check_data",
    "check_int_list",
    "check_shape",
    "check_target",
    "densify",
]

# Sparse input is densified up to this size; beyond it a dense copy risks exhausting memory.
DENSE_LIMIT_BYTES = 2**30


# The most elements a numpy array can hold: a count of samples or features beyond it cannot
# be allocated, and numpy's own refusal would not name the argument.
MAX_SIZE = np.iinfo(np.intp).max


class StrictInterval(Interval):
    """scikit-learn's ``Interval`` parameter constraint, refusing booleans.

    ``Interval(Integral, 1, None, closed="left")`` holds ``True`` (a bool is an Integral),
    which would read ``levels=True`` as level 1. Use this one in constraints.
    """

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


POSITIVE_INT = StrictInterval(Integral, 1, None, closed="left")
# Finite, and within float64's range: an int such as 10**400 is Real but has no float.
POSITIVE_FLOAT = StrictInterval(Real, 0, float(np.finfo(np.float64).max), closed="right")
N_JOBS = [StrictInterval(Integral, None, None, closed="neither"), None]
# (H, W) for images flattened row-major, None for 1-D features; check_shape checks the sides.
SHAPE = [tuple, list, None]


def check_int_list(values, name, minimum=1):
    """``values``, an int or array-like of ints, as a list of ints of at least ``minimum``.

    ``name`` names one element in the messages (e.g. ``"each level"``).
    """
    element = StrictInterval(Integral, minimum, None, closed="left")
    # An object array keeps each element's own type, where np.ravel([1, True]) makes True a 1.
    values = list(np.asarray(values, dtype=object).ravel())
    for value in values:
        if not element.is_satisfied_by(value):
            raise InvalidParameterError(f"{name} must be {element}, got {value!r}.")
    return [int(value) for value in values]


def check_shape(shape, n_features=None, *, min_side=1, name="shape"):
    """``shape`` as a pair ``(H, W)`` of ints of at least ``min_side``, holding ``n_features``
    if given."""
    side = StrictInterval(Integral, min_side, None, closed="left")
    if not (
        isinstance(shape, (tuple, list))
        and len(shape) == 2
        and all(map(side.is_satisfied_by, shape))
    ):
        raise InvalidParameterError(
            f"{name} must be a pair (H, W) of ints of at least {min_side}, got {shape!r}."
        )
    height, width = int(shape[0]), int(shape[1])
    if n_features is not None and height * width != n_features:
        raise InvalidParameterError(
            f"{name}={(height, width)} describes {height * width} features, but the data "
            f"has {n_features}."
        )
    return height, width


def _format_bytes(n_bytes):
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{n_bytes} bytes"


def densify(X, dtype=np.float64, max_bytes=DENSE_LIMIT_BYTES, name="X"):
    """A scipy sparse X as a dense array, when the dense copy takes at most ``max_bytes``.

    Sparse input, e.g. from ``OneHotEncoder`` (sparse by default), is densified when its
    dense ``dtype`` array takes at most ``max_bytes`` (1 GiB by default); larger sparse
    input raises a ValueError naming the size and ways to shrink the features, since
    ``OneHotEncoder(sparse_output=False)`` would build the same dense array. Anything
    that is not sparse is returned unchanged, for the caller's own checks.

    Parameters
    ----------
    X : array-like, scipy sparse matrix or sparse array of shape (n_samples, n_features)
        Input.
    dtype : numpy dtype, default=np.float64
        dtype of the dense array; its item size sets the size checked.
    max_bytes : int, default=DENSE_LIMIT_BYTES
        Largest dense copy allowed, in bytes (``2**30``, 1 GiB).
    name : str, default="X"
        Name of the argument in the error message.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), or the input itself
        Dense ``dtype`` array when X is sparse, else X unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> from sklearn_qe._checks import densify
    >>> densify(sparse.eye(2, format="csr"))
    array([[1., 0.],
           [0., 1.]])
    >>> densify(sparse.csr_matrix((200_000, 100_000)), dtype=np.float32)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: X is sparse of shape (200000, 100000); its dense float32 copy would take 74.5 GiB...
    """
    if not sparse.issparse(X):
        return X
    dtype = np.dtype(dtype)
    n_bytes = math.prod(X.shape) * dtype.itemsize
    if n_bytes > max_bytes:
        raise ValueError(
            f"{name} is sparse of shape {X.shape}; its dense {dtype} copy would take "
            f"{_format_bytes(n_bytes)}, more than the {_format_bytes(max_bytes)} allowed for "
            "densifying sparse input. OneHotEncoder(sparse_output=False) would build the same "
            "dense array: reduce the features first, e.g. OneHotEncoder(max_categories=..., "
            "min_frequency=...), feature selection or TruncatedSVD."
        )
    # Converting the stored values first keeps the peak memory at one dense array.
    return X.astype(dtype).toarray()


def check_data(X, name="X", min_samples=1, min_features=1):
    """X as a finite 2-D float64 array with enough samples and features.

    Read by scikit-learn's ``check_array``, as the estimators read X: numeric pandas
    DataFrames of mixed or nullable dtypes are accepted; strings, complex numbers, NaN and
    infinity are refused.
    """
    if sparse.issparse(X):
        raise TypeError(f"{name} is a sparse matrix; pass a dense array (X.toarray()).")
    # The shape is checked below, so that the messages name the argument.
    try:
        X = check_array(
            X,
            dtype="numeric",
            ensure_2d=False,
            allow_nd=True,
            ensure_min_samples=0,
            ensure_min_features=0,
            input_name=name,
        )
    except (TypeError, ValueError) as error:
        # check_array names the input when it finds NaN or infinity, not when it cannot
        # read numbers (strings, complex numbers, ragged lists).
        if str(error).startswith(f"Input {name} "):
            raise
        raise type(error)(f"{name} must be numeric: {error}") from error
    if X.dtype.kind not in "biuf":  # "numeric" keeps e.g. datetimes as they are
        raise TypeError(f"{name} must be numeric, got an array of dtype {X.dtype}.")
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {X.shape}.")
    if X.shape[0] < min_samples or X.shape[1] < min_features:
        raise ValueError(
            f"{name} has shape {X.shape}: at least {min_samples} sample(s) and "
            f"{min_features} feature(s) are needed."
        )
    return X.astype(np.float64, copy=False)


# An auto-read float target of whole numbers with more distinct values than this holds
# values (a count, a score in points), not class labels: 214 one-vs-rest tensors for
# load_diabetes' target surprise everyone.
MAX_AUTO_CLASSES = 20

TARGET = StrOptions({"auto", "classes", "values"})


def check_target(y, n_samples, target="auto"):
    """A 1-D target of ``n_samples`` values without NaN, and whether it holds values.

    ``target="classes"`` reads y as class labels and ``"values"`` as numbers (they weight the
    samples); ``"auto"`` reads a float target as values when it has a non-integer value or
    more than ``MAX_AUTO_CLASSES`` distinct values, and anything else as class labels.
    Complex numbers are neither.
    """
    y = np.asarray(y)
    if y.dtype.kind == "c":
        raise TypeError(f"y must hold class labels or real values, got dtype {y.dtype}.")
    if y.ndim != 1:
        y = y.squeeze() if y.ndim == 2 and 1 in y.shape else y
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {np.shape(y)}.")
    if len(y) != n_samples:
        raise ValueError(f"y has {len(y)} values, but X has {n_samples} samples.")
    if y.dtype.kind == "O":  # labels of any type must sort, as numpy's unique does
        kinds = {
            "str" if isinstance(v, str) else "number" if isinstance(v, Real) else type(v).__name__
            for v in y
        }
        if len(kinds) > 1 or not kinds <= {"str", "number"}:
            raise TypeError(
                f"y must hold labels that are all strings or all numbers, got {sorted(kinds)}."
            )
        if kinds == {"number"}:
            y = y.astype(np.float64)
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinity.")
    if target == "values":
        if y.dtype.kind not in "biuf":
            raise TypeError(f"target='values' needs a numeric y, got dtype {y.dtype}.")
        return y, True
    if target == "classes" or y.dtype.kind != "f":
        return y, False
    whole = np.array_equal(y, np.round(y))
    return y, not whole or len(np.unique(y)) > MAX_AUTO_CLASSES
