"""Quantum entanglement (QE) and surrogate entanglement (SE) of the empirical data tensor.

The data tensor ``A = (1/M) sum_m y_m phi(x_m1) (x) ... (x) phi(x_mN)`` with
``phi(t) = (cos(pi theta t), sin(pi theta t))`` has ``2**N`` entries and is never built.
Its matricization under a partition ``(K, K^c)`` is ``(1/M) Phi_K D Phi_Kc^T`` with
``D = diag(y)``, so the squared singular values are the eigenvalues of a matrix of size at
most ``M`` assembled from the Gram matrices ``G_K = Phi_K^T Phi_K`` (the "Gram trick").

Everything is float64 numpy/scipy; no torch here. The public functions validate their
arguments (``validate_params`` and ``_checks``) and call private cores, which the meter
calls directly with what its own validation produced.
Linear algebra goes through ``numpy.linalg``, not ``scipy.linalg``: the scipy wheels bring a
second OpenBLAS whose threads contend with numpy's (used by every matmul here) and made a fit
5x slower on 2 cores.
"""

from numbers import Integral

import numpy as np
from joblib import Parallel, cpu_count, delayed, effective_n_jobs
from scipy import sparse
from scipy.special import entr
from threadpoolctl import threadpool_limits

from ._checks import (
    MAX_SIZE,
    N_JOBS,
    POSITIVE_FLOAT,
    POSITIVE_INT,
    TARGET,
    StrictInterval,
    check_data,
    check_int_list,
    check_target,
)
from ._compat import validate_params
from ._correlation import standardized_columns
from ._partitions import CanonicalTree

__all__ = [
    "entanglement_entropy",
    "entanglement_profile",
    "label_weights",
    "shifted_entanglement_profile",
    "surrogate_entanglement",
]

# A block's Gram is the elementwise product of its features' rank-2 Grams. Multiplying the
# features of a chunk together as an explicit (2**4, M) Khatri-Rao embedding turns 4
# features into one small GEMM, about 25x faster than evaluating cosines feature by feature.
_CHUNK_FEATURES = 4
# Chunk Grams are multiplied in linear space and their log taken once per group of 16
# features: a product of 16 cosines (each of modulus > 1e-19 for a float64 argument) stays
# above the smallest normal float; sums that cancel to (near) zero are clamped in _log_gram.
_CHUNKS_PER_LOG = 4
_TINY = np.finfo(np.float64).tiny
# Gram entries (and Cholesky factor entries) of modulus below this become exact zeros. Most
# entries of a large block's Gram are products of thousands of cosines; multiplied together
# in the BLAS and LAPACK calls they give subnormal numbers, which make those calls 5 to 30
# times slower on x86. Products of three such entries stay normal above 1e-100, and what the
# zeros change in a matrix of unit-diagonal Grams (at most about M**2 * 1e-100) is far below
# the rounding of any eigenvalue that _spectrum_entropies keeps.
_NEGLIGIBLE = 1e-100
_LOG_NEGLIGIBLE = np.log(_NEGLIGIBLE)
# A small block's complement Gram is kept sparse (see _complement_pattern) when at most this
# share of the entries can be more than negligible, for blocks whose Gram entries all exceed
# exp(-_PATTERN_MARGIN) (a block of a few features almost always; any other is made dense).
_PATTERN_MARGIN = 50.0
_PATTERN_DENSITY = 0.25
_EPS = np.finfo(np.float64).eps
# A tensor whose squared norm is within this factor of the rounding error of its terms' sums
# (about n_samples * eps of their scale) is refused: QE would be computed from noise.
_CANCELLATION_MARGIN = 1e4
# Joblib tasks of the surrogate entanglement: a fixed number, so that the order of its sums
# does not depend on the workers.
_SE_TASKS = 32
# Small partitions (2**|K| < M) measured together in one task: at most _BATCH, and at most
# _BATCH_ENTRIES entries in each stack of their M x M arrays (32 MB of float64), so that a
# task holds about as much as one M x M partition does (M = 200: 32 partitions; 1000: 4).
_BATCH = 32
_BATCH_ENTRIES = 2**22


def _embedding(X, theta):
    """Cosine and sine parts of the embedding ``phi`` of every entry of X."""
    with np.errstate(over="ignore"):
        angles = (np.pi * theta) * X
    if not np.isfinite(angles).all():
        raise ValueError(
            "pi * theta * X overflows float64: scale the features (e.g. StandardScaler) or "
            "lower theta."
        )
    return np.cos(angles), np.sin(angles)


def _product_embedding(cos, sin, features):
    """Explicit embedding ``Phi_K`` of shape ``(2**len(features), M)`` (Khatri-Rao rows)."""
    n_samples = cos.shape[0]
    phi = np.ones((1, n_samples))
    for n in features:
        phi = (phi[:, None, :] * np.stack((cos[:, n], sin[:, n]))[None]).reshape(-1, n_samples)
    return phi


def _log_gram(cos, sin, features):
    """``log|G_K|`` and the mask of negative entries of ``G_K``, K = ``features``.

    Working in log space keeps products of thousands of cosines from underflowing, and the
    Gram of a complement is then an exact subtraction of the same computed terms.
    """
    n_samples = cos.shape[0]
    log_abs = np.zeros((n_samples, n_samples))
    negative = np.zeros((n_samples, n_samples), dtype=bool)
    group = _CHUNK_FEATURES * _CHUNKS_PER_LOG
    for start in range(0, len(features), group):
        product = None
        for chunk in range(start, min(start + group, len(features)), _CHUNK_FEATURES):
            phi = _product_embedding(cos, sin, features[chunk : chunk + _CHUNK_FEATURES])
            gram = phi.T @ phi
            product = gram if product is None else np.multiply(product, gram, out=product)
        negative ^= product < 0
        np.abs(product, out=product)
        # Exact zeros (cancellation) would give -inf and NaN in the subtraction; entries this
        # small are zero for every eigenvalue to follow.
        np.maximum(product, _TINY, out=product)
        log_abs += np.log(product, out=product)
    return log_abs, negative


def _gram_from_log(log_abs, negative):
    """``G`` from ``log|G|`` and its sign mask, with negligible entries as zeros."""
    gram = np.where(log_abs < _LOG_NEGLIGIBLE, -np.inf, log_abs)
    np.exp(gram, out=gram)
    np.negative(gram, out=gram, where=negative)
    return gram


def _complement_gram(full, log_abs, negative):
    """``G_Kc = G / G_K`` from the log-moduli and sign masks of ``G`` (``full``) and
    ``G_K``."""
    log_full, negative_full = full
    return _gram_from_log(log_full - log_abs, negative_full ^ negative)


def _psd_factor(gram):
    """A matrix F with ``F.T @ F == gram`` for a symmetric positive semi-definite ``gram``.

    Cholesky is several times cheaper than an eigendecomposition; it fails only when the Gram
    is numerically singular, and then the eigendecomposition gives the factor.
    """
    try:
        factor = np.linalg.cholesky(gram).T
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = np.linalg.eigh(gram)
        keep = eigenvalues > eigenvalues[-1] * gram.shape[0] * np.finfo(np.float64).eps
        factor = np.sqrt(eigenvalues[keep])[:, None] * eigenvectors[:, keep].T
    factor[np.abs(factor) < _NEGLIGIBLE] = 0.0
    return factor


def _spectrum_entropies(matrices, terms_scale, n_samples):
    """Von Neumann entropy of the normalized spectrum of each symmetric PSD matrix of a stack
    ``(n_matrices, r, r)``.

    Each matrix is ``M**2 A A^T`` for a data tensor A, whose terms ``w_m phi(x_m)`` have norm
    ``|w_m|``, so its trace is at most ``terms_scale = (sum |w_m|)**2``. Its entries are sums
    of M such terms, computed with an error of about ``M * eps * terms_scale``: when the trace
    comes near that, the tensor has (nearly) cancelled out and its spectrum is rounding noise.
    """
    floor = _CANCELLATION_MARGIN * n_samples * _EPS * terms_scale
    traces = np.trace(matrices, axis1=1, axis2=2)
    if not np.all(traces > floor):
        trace = traces[~(traces > floor)][0]
        relative_norm = np.sqrt(max(trace, 0.0) / terms_scale) if terms_scale > 0 else 0.0
        raise ValueError(
            f"The data tensor cancels out: its norm is {relative_norm:.1e} of the sum of its "
            f"terms' norms (e.g. identical samples with opposite labels), too small for "
            f"float64 to resolve its entanglement."
        )
    entropies = []
    for eigenvalues in np.linalg.eigvalsh(matrices):
        # Eigenvalues at rounding-noise level are zeros of the exact spectrum.
        eigenvalues = eigenvalues[eigenvalues > eigenvalues[-1] * matrices.shape[1] * _EPS]
        entropies.append(float(entr(eigenvalues / eigenvalues.sum()).sum()))
    return entropies


def _partition_entropies(cos, sin, weights, full, block):
    """QE of the partition (K, K^c) for every row of ``weights``.

    ``block`` is ``(features, log_abs, negative)`` of K, ``full`` ``(log_abs, negative)``
    of the Gram of all features. The matrix whose eigenvalues are the squared singular
    values is built on the smaller side: the explicit ``2**|K|``-row embedding when that is
    smaller than M, otherwise the M x M form with a Cholesky factor of the larger side's
    (better conditioned) Gram.
    """
    features, log_abs, negative = block
    n_samples, n_features = cos.shape
    block_is_small = 2 * len(features) <= n_features

    def gram(of_block):
        return (
            _gram_from_log(log_abs, negative)
            if of_block
            else _complement_gram(full, log_abs, negative)
        )

    if 2 ** min(len(features), n_features - len(features)) < n_samples:
        small = (
            features
            if block_is_small
            else np.setdiff1d(np.arange(n_features), features, assume_unique=True)
        )
        factor, middle = _product_embedding(cos, sin, small), gram(not block_is_small)
    else:
        factor, middle = _psd_factor(gram(not block_is_small)), gram(block_is_small)
    entropies = []
    for w in weights:
        scaled = factor * w
        matrix = scaled @ middle @ scaled.T
        entropies += _spectrum_entropies(matrix[None], np.abs(w).sum() ** 2, n_samples)
    return np.array(entropies)


def _small_partition_entropies(cos, sin, weights, full, pattern, blocks):
    """``_partition_entropies`` of several partitions at once, for blocks K of one size with
    ``2**|K| < M``: each matrix is ``(Phi_K W) G_Kc (Phi_K W)^T`` from K's explicit
    embedding, and the deep levels' thousands of such partitions cost one task per batch.
    ``blocks`` holds ``(features, log_abs, negative)``; ``pattern`` is what
    :func:`_complement_pattern` gives. Returns one row of entropies per block."""
    n_samples = cos.shape[0]
    grams = [_small_complement_gram(full, pattern, *block[1:]) for block in blocks]
    factors = [_product_embedding(cos, sin, features) for features, _, _ in blocks]
    entropies = np.empty((len(blocks), len(weights)))
    for t, w in enumerate(weights):
        matrices = np.stack(
            [(factor * w) @ (gram @ (factor * w).T) for factor, gram in zip(factors, grams)]
        )
        entropies[:, t] = _spectrum_entropies(matrices, np.abs(w).sum() ** 2, n_samples)
    return list(entropies)


def _complement_pattern(full):
    """Where the complement Gram of a small block can be more than negligible, if that is a
    small part of the M x M entries (else None).

    ``G_Kc = exp(log|G| - log|G_K|)`` is negligible wherever ``log|G|`` lies
    ``_PATTERN_MARGIN`` below the threshold, for any block whose own entries are all
    above ``exp(-_PATTERN_MARGIN)``: with many features most entries of ``G`` are products
    of thousands of cosines. Returns the flat indices of the other entries, their CSR column
    indices and row pointers, and ``log|G|`` and its sign mask there.
    """
    log_full, negative_full = full
    inside = log_full >= _LOG_NEGLIGIBLE - _PATTERN_MARGIN
    if inside.mean() > _PATTERN_DENSITY:
        return None
    rows, columns = np.nonzero(inside)
    flat = np.ravel_multi_index((rows, columns), log_full.shape)
    row_starts = np.searchsorted(rows, np.arange(log_full.shape[0] + 1))
    return flat, columns, row_starts, log_full.ravel()[flat], negative_full.ravel()[flat]


def _small_complement_gram(full, pattern, log_abs, negative):
    """``G_Kc`` of a small block: a sparse array on the pattern where the block allows it
    (the same entries as the dense one, the rest being negligible), else dense."""
    if pattern is None or log_abs.min() < -_PATTERN_MARGIN:
        return _complement_gram(full, log_abs, negative)
    flat, columns, row_starts, log_full, negative_full = pattern
    values = _gram_from_log(
        log_full - log_abs.ravel()[flat], negative_full ^ negative.ravel()[flat]
    )
    return sparse.csr_array((values, columns, row_starts), shape=log_abs.shape)


@validate_params(
    {
        "y": ["array-like", None],
        "n_samples": [StrictInterval(Integral, 1, MAX_SIZE, closed="both")],
    },
    prefer_skip_nested_validation=True,
)
def label_weights(y, n_samples):
    """Per-sample coefficients of the data tensors for the labels ``y``.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or None
        Class labels. ``None`` or a single class gives one tensor with ``y = 1``; two classes
        give one tensor with labels mapped to -1/+1; more classes give one one-vs-rest tensor
        per class (+1 for the class, -1 otherwise).
    n_samples : int
        Number of samples, at least 1.

    Returns
    -------
    classes : ndarray or None
        Sorted class labels (``None`` when ``y`` is ``None``).
    weights : ndarray of shape (n_tensors, n_samples)
        One row of coefficients per tensor.

    Examples
    --------
    >>> from sklearn_qe import label_weights
    >>> classes, weights = label_weights(["b", "a", "b"], 3)
    >>> classes.tolist(), weights.tolist()
    (['a', 'b'], [[1.0, -1.0, 1.0]])
    """
    if y is None:
        return None, np.ones((1, n_samples))
    y, _ = check_target(y, n_samples, target="classes")
    classes, codes = np.unique(y, return_inverse=True)
    codes = codes.ravel()
    if len(classes) == 1:
        return classes, np.ones((1, n_samples))
    if len(classes) == 2:
        return classes, np.where(codes == 1, 1.0, -1.0)[None]
    return classes, np.where(codes[None, :] == np.arange(len(classes))[:, None], 1.0, -1.0)


def _tensor_weights(y, n_samples, target="auto"):
    """Classes (or None) and coefficients of the tensors for any target ``y``.

    ``None`` gives one tensor of ones, values (see ``check_target`` for how ``target="auto"``
    tells them from classes) one tensor weighted by them, class labels what
    :func:`label_weights` gives. The meter reads y the same way.
    """
    if y is None:
        return None, np.ones((1, n_samples))
    y, continuous = check_target(y, n_samples, target)
    if continuous:
        return None, y.astype(np.float64)[None]
    return label_weights(y, n_samples)


def _check_levels(levels, tree, n_features):
    if len(tree.blocks[0][0]) != n_features:
        raise ValueError(
            f"The tree covers {len(tree.blocks[0][0])} features, but X has {n_features}."
        )
    levels = check_int_list(levels, "each level", minimum=1)
    if not levels or max(levels) > tree.n_levels:
        raise ValueError(
            f"levels must be a non-empty list of levels 1 to {tree.n_levels} of the tree, "
            f"got {levels}."
        )
    return sorted(set(levels))


def _check_weights(weights, n_samples):
    """Finite float64 weights of shape (n_tensors, n_samples)."""
    if isinstance(weights, (str, bytes)) or np.asarray(weights).dtype.kind not in "biuf":
        raise TypeError(f"weights must be real numbers, got {weights!r}.")
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 2 or weights.shape[1] != n_samples:
        raise ValueError(f"weights must have shape (n_tensors, {n_samples}), got {weights.shape}.")
    if not np.isfinite(weights).all():
        raise ValueError("weights contain NaN or infinity.")
    return weights


def _unit_rows(weights):
    """Each row of ``weights`` scaled to a largest |w| of 1.

    QE does not depend on the scale of a tensor; scaling first keeps the squared norms from
    overflowing (y * 1e200) or losing digits to subnormals (y * 1e-160).
    """
    largest = np.abs(weights).max(axis=1, keepdims=True)
    # A row of zeros stays zero: _spectrum_entropies reports the tensor as cancelled out.
    return weights / np.where(largest > 0, largest, 1.0)


def _check_profile_data(X, weights, tree, levels):
    """The data arguments of the profile functions, checked before any Gram is computed."""
    X = check_data(X, min_features=2)
    return X, _check_weights(weights, X.shape[0]), _check_levels(levels, tree, X.shape[1])


_PROFILE_CONSTRAINTS = {
    "X": ["array-like", "sparse matrix"],  # check_data refuses sparse input by name
    "weights": ["array-like"],
    "tree": [CanonicalTree],
    "levels": ["array-like"],
    "theta": [POSITIVE_FLOAT],
    "n_jobs": N_JOBS,
    "progress": [callable, None],
}


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like", None],
        "block": ["array-like"],
        "theta": [POSITIVE_FLOAT],
        "average": ["boolean"],
        "target": [TARGET],
    },
    prefer_skip_nested_validation=True,
)
def entanglement_entropy(X, y=None, *, block, theta=0.085, average=True, target="auto"):
    """Quantum entanglement of the data tensor of ``(X, y)`` under one partition.

    The data tensor is ``A = (1/M) sum_m y_m phi(x_m1) (x) ... (x) phi(x_mN)`` with
    ``phi(t) = (cos(pi theta t), sin(pi theta t))``; its QE under ``(K, K^c)`` is the entropy
    ``-sum_i p_i ln p_i`` of the normalized squared singular values of the matricization
    with the features in K as rows. Computed exactly in float64 through M x M Gram matrices,
    never through the ``2**N`` entries.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data, measured as given (scale it beforehand, e.g. with ``MinMaxScaler``).
    y : array-like of shape (n_samples,) or None, default=None
        Class labels (see :func:`label_weights`), values (they weight the samples) or
        ``None``, as in :class:`EntanglementMeter`.
    block : array-like of int
        Feature indices of K: non-empty, and not all features.
    theta : float, default=0.085
        Frequency of the embedding ``phi``.
    average : bool, default=True
        Return the mean over the one-vs-rest tensors of a multi-class ``y``; ``False``
        returns one value per tensor.
    target : {"auto", "classes", "values"}, default="auto"
        How to read ``y``, as in :class:`EntanglementMeter`.

    Returns
    -------
    qe : float or ndarray of shape (n_tensors,)
        Entanglement in nats, between 0 (product tensor) and
        ``ln(min(n_samples, 2**|K|, 2**|K^c|))``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_qe import entanglement_entropy
    >>> X = np.random.default_rng(0).uniform(size=(50, 6))
    >>> float(entanglement_entropy(X, block=[0, 1, 2], theta=1.0)) > 0
    True
    >>> float(entanglement_entropy(np.ones((4, 6)), block=[0, 1, 2]))
    0.0
    """
    X = check_data(X, min_features=2)
    n_samples, n_features = X.shape
    block = np.asarray(block)
    if block.dtype.kind not in "iu":
        raise TypeError(
            f"block must be integer feature indices, got an array of dtype {block.dtype}"
            + (" (for a boolean mask pass np.flatnonzero(mask))." if block.dtype == bool else ".")
        )
    block = np.unique(block.astype(np.intp))
    if block.size == 0 or block.size == n_features or block[0] < 0 or block[-1] >= n_features:
        raise ValueError(
            f"block must be a non-empty proper subset of the {n_features} feature indices."
        )
    complement = np.setdiff1d(np.arange(n_features), block)
    cos, sin = _embedding(X, theta)
    weights = _unit_rows(_check_weights(_tensor_weights(y, n_samples, target)[1], n_samples))
    log_block, negative_block = _log_gram(cos, sin, block)
    log_complement, negative_complement = _log_gram(cos, sin, complement)
    full = (log_block + log_complement, negative_block ^ negative_complement)
    qe = _partition_entropies(cos, sin, weights, full, (block, log_block, negative_block))
    return float(qe.mean()) if average else qe


@validate_params(_PROFILE_CONSTRAINTS, prefer_skip_nested_validation=True)
def entanglement_profile(X, weights, tree, levels, theta, n_jobs=None, progress=None):
    """QE of every canonical partition at the given levels.

    Block Grams are built bottom-up: each block at the deepest requested level once (as a
    sum of log-cosines), every coarser block as the sum of its children, every complement as
    the full Gram minus the block, all in log space. Partitions are independent and run
    through joblib threads (LAPACK releases the GIL); the tree is walked lazily so that only
    a few M x M arrays per level are alive at once.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite float64 data.
    weights : ndarray of shape (n_tensors, n_samples)
        Coefficients of each tensor, e.g. from :func:`label_weights`; QE does not depend on
        their scale.
    tree : CanonicalTree
        Canonical partition tree covering the deepest requested level.
    levels : sequence of int
        Levels to measure.
    theta : float
        Frequency of the embedding.
    n_jobs : int or None, default=None
        Number of threads for the partitions, as joblib reads it (``-1``: every core), but
        no more than the cores.
    progress : callable or None, default=None
        Called with the partition's :func:`partition_cost` each time one is measured.

    Returns
    -------
    profile : dict
        Maps each level to an ndarray of shape (n_partitions, n_tensors).
    """
    X, weights, levels = _check_profile_data(X, weights, tree, levels)
    return _profiles(X, weights, tree, levels, theta, n_jobs, progress)[0]


def _profiles(
    X, weights, tree, levels, theta, n_jobs=None, progress=None, *, canonical=True, shifted=False
):
    """QE of the canonical partitions (``canonical``) and of the shifted blocks
    (``shifted``) at ``levels`` (checked, sorted, unique): a pair of dicts, None for what
    is not asked for.

    One walk down the tree builds each block's log-Gram once, from its children's, for its
    own partition and for the shifted blocks that hold it: a shifted block is measured as
    soon as the walk has built all its blocks of the next level, and their log-Grams are
    dropped once no shifted block waits for them (one per level in 1-D, a row of them in
    2-D, where the walk goes quadrant by quadrant).
    """
    weights = _unit_rows(weights)
    cos, sin = _embedding(X, theta)
    # Shifted blocks of level l: windows of blocks of level l + 1, listed as the tree gives
    # them; waiting[(l + 1, j)]: the windows that hold block j of level l + 1.
    windows = [
        (level, window)
        for level in (levels if shifted else [])
        for window in tree.shifted_partitions(level)
    ]
    waiting = {}
    for number, (level, window) in enumerate(windows):
        for index in window:
            waiting.setdefault((level + 1, index), []).append(number)
    leaf = max(levels[-1], max((key[0] for key in waiting), default=0))
    full = _full_log_gram(cos, sin, tree.blocks[leaf])
    built = [0] * len(windows)  # blocks of each window whose log-Gram the walk has built
    held = {}  # (level, index) -> log-Gram, while a window still waits for it
    places = []  # ("canonical", level) or ("shifted", level, window number) of each task

    def shifted_blocks(level, index, gram):
        """Yield the windows that block ``index`` of ``level`` completes."""
        held[level, index] = gram
        for number in waiting[level, index]:
            built[number] += 1
            window = windows[number][1]
            if built[number] < len(window):
                continue
            grams = [held[level, i] for i in window]
            features = np.sort(np.concatenate([tree.blocks[level][i] for i in window]))
            places.append(("shifted", level - 1, number))
            yield (
                features,
                sum(g[0] for g in grams),
                np.logical_xor.reduce([g[1] for g in grams]),
            )
            for i in window:
                if all(built[n] == len(windows[n][1]) for n in waiting[level, i]):
                    del held[level, i]

    def visit(level, index, parent_needs_gram):
        """Yield the partitions under one block; return the block's log-Gram."""
        is_partition = canonical and level in levels and index in tree.partition_indices(level)
        in_window = (level, index) in waiting
        needs_gram = is_partition or in_window or parent_needs_gram
        if level == leaf:
            if not needs_gram:
                return None
            log_abs, negative = _log_gram(cos, sin, tree.blocks[level][index])
        else:
            log_abs = negative = None
            for child in tree.children(level, index):
                child_gram = yield from visit(level + 1, child, needs_gram)
                if needs_gram:
                    # New arrays, never in place: a child's Gram may be in a worker's hands.
                    log_abs = child_gram[0] if log_abs is None else log_abs + child_gram[0]
                    negative = child_gram[1] if negative is None else negative ^ child_gram[1]
        if is_partition:
            places.append(("canonical", level))
            yield tree.blocks[level][index], log_abs, negative
        if in_window:
            yield from shifted_blocks(level, index, (log_abs, negative))
        return log_abs, negative

    def partitions():
        for index in range(len(tree.blocks[levels[0]])):
            yield from visit(levels[0], index, False)

    pattern = _complement_pattern(full)
    results = _run(_tasks(partitions(), full, pattern, cos, sin, weights), n_jobs, progress)
    canonical_qe = (
        {
            level: np.array([r for at, r in zip(places, results) if at == ("canonical", level)])
            for level in levels
        }
        if canonical
        else None
    )
    if not shifted:
        return canonical_qe, None
    # Windows in the tree's order (the walk completes them in its own).
    by_window = {at[2]: r for at, r in zip(places, results) if at[0] == "shifted"}
    shifted_qe = {level: [] for level in levels}
    for number, (level, _) in enumerate(windows):
        shifted_qe[level].append(by_window[number])
    n_tensors = len(weights)
    return canonical_qe, {
        level: np.array(values).reshape(-1, n_tensors) for level, values in shifted_qe.items()
    }


@validate_params(_PROFILE_CONSTRAINTS, prefer_skip_nested_validation=True)
def shifted_entanglement_profile(X, weights, tree, levels, theta, n_jobs=None, progress=None):
    """QE of the canonical blocks shifted by half a block, at the given levels.

    The shifted blocks of level ``l`` (``CanonicalTree.shifted_partitions``) are windows of
    adjacent blocks of level ``l + 1`` that straddle the seams of level ``l``: exchanging or
    mirroring sibling blocks changes them, where it leaves every canonical partition as it
    was. Levels without a deeper level have no shifted blocks.

    Parameters
    ----------
    X, weights, tree, levels, theta, n_jobs, progress
        As in :func:`entanglement_profile`; ``tree`` must reach one level deeper than the
        deepest level that gets shifted blocks.

    Returns
    -------
    profile : dict
        Maps each level to an ndarray of shape (n_shifted_blocks, n_tensors), with no rows
        for a level without shifted blocks.
    """
    X, weights, levels = _check_profile_data(X, weights, tree, levels)
    return _profiles(
        X, weights, tree, levels, theta, n_jobs, progress, canonical=False, shifted=True
    )[1]


def partition_cost(block_size, n_features, n_samples, n_tensors=1):
    """Estimated floating-point work of one partition's QE (for progress bars and budgets).

    Every partition exponentiates M x M log-Grams; the spectrum then costs about
    ``r**2 M`` products and an ``r x r`` eigendecomposition per tensor, with ``r`` the
    smaller of ``2**|smaller side|`` and M (and a Cholesky factor when ``r`` is M). The few
    coarse partitions cost as much as thousands of fine ones. ``block_size`` may be an array.
    """
    small = np.minimum(block_size, n_features - block_size)
    full_rank = small >= np.log2(n_samples)
    rank = np.where(full_rank, n_samples, 2.0 ** np.minimum(small, 62))
    cost = 30.0 * n_samples**2 + n_tensors * (2.0 * rank * n_samples**2 + 10.0 * rank**3)
    return cost + np.where(full_rank, n_samples**3 / 3, 0.0)


def _tasks(partitions, full, pattern, cos, sin, weights):
    """The delayed QE of each partition ``(features, log_abs, negative)`` (K and its
    log-Gram), with its :func:`partition_cost` and its place among the partitions.

    Small partitions (``2**|K| < M``) of one size go together, up to ``_BATCH`` in one task
    (fewer for large M): the deep levels hold thousands of them, in tree order between
    partitions of other sizes. A task makes the complement's Gram from ``full``, the
    log-Gram of all features, and the block's.
    """
    n_samples, n_features = cos.shape
    batch_size = max(1, min(_BATCH, _BATCH_ENTRIES // n_samples**2))
    batches = {}  # |K| -> [(place, (features, log_abs, negative)), ...]

    def batch_task(size):
        batch = batches.pop(size)
        cost = float(partition_cost(size, n_features, n_samples, len(weights))) * len(batch)
        call = delayed(_small_partition_entropies)(
            cos, sin, weights, full, pattern, [partition for _, partition in batch]
        )
        return cost, call, [place for place, _ in batch]

    for place, (features, log_abs, negative) in enumerate(partitions):
        size = len(features)
        if 2**size < n_samples and 2 * size <= n_features:
            batches.setdefault(size, []).append((place, (features, log_abs, negative)))
            if len(batches[size]) == batch_size:
                yield batch_task(size)
            continue
        cost = float(partition_cost(size, n_features, n_samples, len(weights)))
        block = (features, log_abs, negative)
        yield cost, delayed(_one_partition)(cos, sin, weights, full, block), [place]
    for size in sorted(batches):
        yield batch_task(size)


def _one_partition(cos, sin, weights, full, block):
    """``_partition_entropies`` as a task's list of results."""
    return [_partition_entropies(cos, sin, weights, full, block)]


def _full_log_gram(cos, sin, blocks):
    """log|G| and sign mask of the Gram over all features, summed block by block."""
    n_samples = cos.shape[0]
    log_full = np.zeros((n_samples, n_samples))
    negative_full = np.zeros(log_full.shape, dtype=bool)
    for features in blocks:
        log_abs, negative = _log_gram(cos, sin, features)
        log_full += log_abs
        negative_full ^= negative
    return log_full, negative_full


def _n_workers(n_jobs):
    """Worker threads for ``n_jobs``: as joblib reads it, but no more than the cores.

    The partitions are CPU-bound, so further threads only contend (and joblib refuses
    n_jobs beyond 500,000 in words that do not name it).
    """
    return min(effective_n_jobs(n_jobs), cpu_count())


def _run(tasks, n_jobs, progress):
    """Results of the delayed partition tasks, in the partitions' order, through joblib
    threads."""
    # BLAS threads times worker threads must not exceed the cores: on 2 cores two workers
    # that each run 2-thread BLAS were 1.8x slower than one, with 1-thread BLAS 1.4x faster.
    # A lone worker gets one BLAS thread too: the M x M eigenproblems are small, and while
    # another process holds a core, 2-thread BLAS spins waiting for it (1,000 features, 300
    # samples: 44 s against 4.4 s with one thread).
    workers = _n_workers(n_jobs)
    blas_threads = max(1, cpu_count() // workers) if workers > 1 else 1
    results, costs, places = {}, [], []

    def delayed_calls():
        for cost, call, place in tasks:
            costs.append(cost)
            places.append(place)
            yield call

    with threadpool_limits(limits=blas_threads, user_api="blas"):
        parallel = Parallel(n_jobs=workers, prefer="threads", return_as="generator")
        for done, task_results in enumerate(parallel(delayed_calls())):
            if progress is not None:
                progress(costs[done])
            results.update(zip(places[done], task_results))
    return [results[place] for place in range(len(results))]


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "tree": [CanonicalTree],
        "levels": ["array-like"],
        "chunk_size": [POSITIVE_INT],
    },
    prefer_skip_nested_validation=True,
)
def surrogate_entanglement(X, tree, levels, chunk_size=1024):
    """Surrogate entanglement ``SE(K) = sum_{n in K, n' in K^c} |rho(n, n')|`` per partition.

    ``rho`` is the Pearson correlation between features (0 for a constant feature). Each
    pair is visited once: the upper triangle of the correlation matrix is formed
    ``chunk_size`` rows by ``chunk_size`` columns at a time, so memory is that of the data
    and ``O(chunk_size**2)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite data.
    tree : CanonicalTree
        Canonical partition tree covering the deepest requested level.
    levels : sequence of int
        Levels to measure.
    chunk_size : int, default=1024
        Rows and columns of the correlation matrix formed at once.

    Returns
    -------
    profile : dict
        Maps each level to an ndarray of shape (n_partitions,).
    """
    X = check_data(X, min_features=2)
    levels = _check_levels(levels, tree, X.shape[1])
    return surrogate_profiles(standardized_columns(X), tree, levels, [None], chunk_size)[0]


def surrogate_profiles(Z, tree, levels, orders, chunk_size=1024, n_jobs=None):
    """``surrogate_entanglement`` of standardized columns ``Z`` in each of several orders
    (``Z[:, order]``; ``None`` for the order given).

    A pair of features in different blocks of level l counts toward the SE of both blocks;
    with the features in the first order's leaf order each pair is visited once, in the
    upper triangle of the correlation matrix (formed a chunk of rows at a time, once for all
    orders), and credited in every order to the deepest blocks of its two features at the
    level where their blocks part. A block's SE at level l sums what its deepest blocks
    were credited at levels 1 to l: sums of non-negative terms, nothing subtracted. The rows
    are split into ``_SE_TASKS`` joblib tasks (``n_jobs`` as joblib reads it), a fixed
    number, so that the sums do not depend on where they ran.
    """
    deepest = max(levels)
    deepest_blocks = tree.blocks[deepest]
    leaf_order = np.concatenate(deepest_blocks)
    block_starts = np.cumsum([0] + [len(block) for block in deepest_blocks])
    n_features = Z.shape[1]
    block_at = np.repeat(np.arange(len(deepest_blocks)), np.diff(block_starts))[
        np.argsort(leaf_order)
    ]  # the deepest block of each position of an ordered row of features
    orders = [np.arange(n_features) if order is None else np.asarray(order) for order in orders]
    features = orders[0][leaf_order]  # Z's columns in the first order's leaf order
    # The deepest block, in each further order, of each of these columns.
    others = np.array(
        [block_at[np.argsort(order)[features]] for order in orders[1:]], dtype=np.int64
    ).reshape(len(orders) - 1, n_features)
    # Blocks are numbered so that a parent's are arity consecutive numbers: two deepest
    # blocks part at the level below the highest digit (base arity) where they differ.
    digits = np.arange(1, len(deepest_blocks)).astype(float)
    shift = int(np.log2(tree.arity))
    part_level = np.zeros(len(deepest_blocks), dtype=np.int64)
    part_level[1:] = deepest + 1 - np.ceil((np.floor(np.log2(digits)) + 1) / shift)
    # Row r of the upper triangle holds N - r products: bounds that give every task the same
    # share of them (the first rows' tasks are the shortest).
    n_tasks = min(_SE_TASKS, n_features)
    shares = 1 - np.sqrt(1 - np.arange(n_tasks + 1) / n_tasks)
    bounds = np.unique(np.round(n_features * shares).astype(int))
    leaves = np.asfortranarray(Z[:, features])
    # Summed as they come (in order), so that the client holds one task's arrays at a time.
    task = delayed(_parted_sums)
    parts = Parallel(n_jobs=n_jobs, return_as="generator")(
        task(leaves, start, stop, block_starts, tree.arity, deepest, others, part_level, chunk_size)
        for start, stop in zip(bounds[:-1], bounds[1:])
    )
    total_first, total_others = None, None
    for first, other in parts:
        total_first = first if total_first is None else total_first + first
        total_others = other if total_others is None else total_others + other
    profiles = []
    for parted in [total_first, *total_others]:
        credited = np.cumsum(parted, axis=0)  # parted at levels 1..l, per deepest block
        crossing = {
            level: credited[level].reshape(tree.arity**level, -1).sum(axis=1) for level in levels
        }
        profiles.append(
            {level: crossing[level][list(tree.partition_indices(level))] for level in levels}
        )
    return profiles


def _parted_sums(leaves, start, stop, block_starts, arity, deepest, others, part_level, chunk_size):
    """What ``add_sibling_sums`` (the first order) and ``add_parted_sums`` (the others)
    credit for the rows ``start:stop`` of the leaf order."""
    from ._compiled import add_parted_sums, add_sibling_sums

    n_features = leaves.shape[1]
    parted = np.zeros((deepest + 1, len(block_starts) - 1))
    parted_others = np.zeros((len(others), deepest + 1, len(block_starts) - 1))
    for first in range(start, stop, chunk_size):
        rows = leaves[:, first : min(first + chunk_size, stop)].T
        # Columns in chunks too: chunk_size**2 products at a time, whatever the width.
        for col_start in range(first, n_features, chunk_size):
            products = rows @ leaves[:, col_start : col_start + chunk_size]
            add_sibling_sums(products, first, col_start, block_starts, arity, deepest, parted)
            if len(others):
                add_parted_sums(products, first, col_start, others, part_level, parted_others)
    return parted, parted_others
