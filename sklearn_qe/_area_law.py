"""Area law or volume law: how a dataset's QE grows with the size of its blocks.

Target functions of natural image tasks have sub-volume-law entanglement: the QE of a block
grows like its boundary (area law), not like its number of features (volume law) (Levine
et al., ICLR 2018; Alexander et al., NeurIPS 2023). Across the levels of the canonical tree
the blocks shrink, so fitting the QE per level against the blocks' size and boundary on
log-log axes tells the two apart.

Pure numpy (arguments aside, validated at the public entries), so that the math core can be tested
and reused without torch.
"""

from typing import NamedTuple

import numpy as np

from ._checks import check_int_list
from ._compat import validate_params
from ._partitions import CanonicalTree

__all__ = ["AreaLawFit", "area_law_fit", "mean_block_geometry"]


class AreaLawFit(NamedTuple):
    """Power laws ``QE ~ prefactor * x**exponent`` fitted across levels, x = size or boundary.

    Attributes
    ----------
    size_exponent : float
        Exponent of QE against the mean block size; NaN when fewer than 2 levels (with
        distinct sizes) are usable.
    size_prefactor : float
        QE of a block of one feature on the fitted line; NaN with the exponent.
    boundary_exponent : float
        Exponent of QE against the mean block boundary; NaN as ``size_exponent``.
    boundary_prefactor : float
        QE of a block of boundary 1 on the fitted line; NaN with the exponent.
    block_sizes : ndarray of shape (n_levels,)
        Mean block size per level, as given.
    boundaries : ndarray of shape (n_levels,)
        Mean block boundary per level, as given.
    fitted : ndarray of bool of shape (n_levels,)
        The levels used in the fits: those whose QE, size and boundary are positive and
        finite (a log needs them positive).
    """

    size_exponent: float
    size_prefactor: float
    boundary_exponent: float
    boundary_prefactor: float
    block_sizes: np.ndarray
    boundaries: np.ndarray
    fitted: np.ndarray


@validate_params(
    {"tree": [CanonicalTree], "levels": ["array-like", None]}, prefer_skip_nested_validation=True
)
def mean_block_geometry(tree, levels=None):
    """Mean size and mean boundary of the blocks of the canonical partitions, per level.

    The means run over the distinct partitions of each level (``CanonicalTree.partitions``),
    as the meter's mean QE per level does. The boundary of a block K counts the pairs of
    nearest-neighbour features with one in K and one in K^c (``CanonicalTree.block_geometry``):
    its ends inside the sequence in 1-D, its perimeter inside the image in 2-D.

    Parameters
    ----------
    tree : CanonicalTree
        Canonical tree, e.g. ``canonical_tree(n_features, shape)``.
    levels : array-like of int or None, default=None
        Levels to describe, e.g. a meter's ``levels_``; ``None`` for ``1..tree.n_levels``.

    Returns
    -------
    block_sizes : ndarray of shape (n_levels,)
        Mean number of features in the blocks of each level.
    boundaries : ndarray of shape (n_levels,)
        Mean boundary of the blocks of each level.

    Examples
    --------
    >>> from sklearn_qe import canonical_tree, mean_block_geometry
    >>> sizes, boundaries = mean_block_geometry(canonical_tree(64, shape=(8, 8)))
    >>> sizes.tolist(), boundaries.tolist()
    ([16.0, 4.0, 1.0], [8.0, 6.0, 3.5])
    """
    if levels is None:
        levels = range(1, tree.n_levels + 1)
    geometry = []
    for level in check_int_list(levels, "each level"):
        if level > tree.n_levels:
            raise ValueError(
                f"Level {level} is out of range: the tree has levels 1 to {tree.n_levels}."
            )
        geometry.append([values.mean() for values in tree.block_geometry(level)])
    sizes, boundaries = np.array(geometry, dtype=float).reshape(-1, 2).T
    return sizes, boundaries


def _usable(*arrays):
    """Levels whose values are all positive and finite: a log-log fit can use them."""
    return np.logical_and.reduce([(values > 0) & np.isfinite(values) for values in arrays])


def _power_law(x, y):
    """Least-squares fit of ``ln y = ln prefactor + exponent * ln x``, x and y positive.

    Returns ``(exponent, prefactor)``, both NaN unless at least 2 distinct x are given.
    """
    log_x, log_y = np.log(x), np.log(y)
    if log_x.size < 2 or np.ptp(log_x) == 0:
        return np.nan, np.nan
    centred = log_x - log_x.mean()
    exponent = float(centred @ (log_y - log_y.mean()) / (centred @ centred))
    return exponent, float(np.exp(log_y.mean() - exponent * log_x.mean()))


@validate_params(
    {"block_sizes": ["array-like"], "boundaries": ["array-like"], "entanglement": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def area_law_fit(block_sizes, boundaries, entanglement):
    """Fit QE per level against block size and block boundary: area or volume law?

    Fits ``QE = a * x**alpha`` by least squares on log-log axes across the levels, once
    with x the mean block size and once with x the mean block boundary (see
    :func:`mean_block_geometry`). Reading the size exponent:

    - volume law: ``alpha_size ~ 1``, QE grows with the number of features in the block;
    - area law: QE tracks the boundary (``boundary_exponent ~ 1``); in 2-D the boundary of
      a block grows like the square root of its size, so ``alpha_size ~ 0.5`` (a little
      less: the large blocks lie along the image border, which is no boundary; QE equal to
      the boundary gives 0.41 on a 64 x 64 image); in 1-D the boundary is 1 or 2 at every
      level, so QE stays bounded and ``alpha_size ~ 0``.

    QE cannot exceed ``ln 2 * min(|K|, |K^c|)``, so even a volume law bends at the coarsest
    levels; few levels make few points, so read the exponents as a trend.

    Levels whose QE is zero or negative (a product tensor: ``ln 0``), NaN (e.g. the deepest
    level of the meter's ``shifted_entanglement_``) or infinite are left out of the fits;
    ``fitted`` says which levels were used. With fewer than 2 usable levels the exponents
    are NaN.

    Parameters
    ----------
    block_sizes : array-like of shape (n_levels,)
        Mean block size per level.
    boundaries : array-like of shape (n_levels,)
        Mean block boundary per level.
    entanglement : array-like of shape (n_levels,)
        Mean QE (nats) per level, e.g. the meter's ``entanglement_``.

    Returns
    -------
    fit : AreaLawFit
        Exponents, prefactors, the geometry used and the mask of fitted levels.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_qe import area_law_fit, canonical_tree, mean_block_geometry
    >>> sizes, boundaries = mean_block_geometry(canonical_tree(1024, shape=(32, 32)))
    >>> fit = area_law_fit(sizes, boundaries, 0.1 * sizes)  # a volume law
    >>> round(fit.size_exponent, 6), bool(fit.fitted.all())
    (1.0, True)
    """
    arrays = []
    for name, values in (
        ("block_sizes", block_sizes),
        ("boundaries", boundaries),
        ("entanglement", entanglement),
    ):
        values = np.asarray(values)
        if values.dtype.kind not in "biuf" or values.ndim != 1:
            raise ValueError(f"{name} must be a 1-D array of numbers, got {values!r}.")
        arrays.append(values.astype(float))
    sizes, boundaries, entanglement = arrays
    if not sizes.size == boundaries.size == entanglement.size:
        raise ValueError(
            f"block_sizes, boundaries and entanglement must have one value per level, got "
            f"{sizes.size}, {boundaries.size} and {entanglement.size} values."
        )
    fitted = _usable(sizes, boundaries, entanglement)
    size_exponent, size_prefactor = _power_law(sizes[fitted], entanglement[fitted])
    boundary_exponent, boundary_prefactor = _power_law(boundaries[fitted], entanglement[fitted])
    return AreaLawFit(
        size_exponent=size_exponent,
        size_prefactor=size_prefactor,
        boundary_exponent=boundary_exponent,
        boundary_prefactor=boundary_prefactor,
        block_sizes=sizes,
        boundaries=boundaries,
        fitted=fitted,
    )
