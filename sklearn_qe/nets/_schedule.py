"""Widths of locally connected networks from the data's entanglement, at a parameter budget."""

import functools
import inspect
import math
from numbers import Integral

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from .._checks import POSITIVE_INT, SHAPE, StrictInterval, check_shape
from .._compat import StrOptions, validate_params
from .._meter import EntanglementMeter
from .._partitions import canonical_tree, max_canonical_level
from ._cnn import PointwiseCNN1d, PointwiseCNN2d, ResCNN1d, ResCNN2d
from ._tensor_network import _edge_widths, _n_parameters, _network_blocks

__all__ = ["channel_schedule", "rank_schedule"]

# Largest budget: counts stay exact in float64, and the widest tensors (about budget /
# n_blocks entries) far below the 2**63 bytes torch can address.
_MAX_BUDGET = 2**53
_CNNS = (ResCNN1d, ResCNN2d, PointwiseCNN1d, PointwiseCNN2d)
_IMAGE_CNNS = (ResCNN2d, PointwiseCNN2d)


_BUDGET = StrictInterval(Integral, 1, _MAX_BUDGET, closed="both")


@validate_params(
    {
        "meter": [EntanglementMeter, "array-like"],
        "budget": [_BUDGET],
        "module": [type, None],
        "shape": SHAPE,
        "n_blocks": [StrictInterval(Integral, 0, None, closed="left"), None],
        "kernel_size": [POSITIVE_INT, None],
        "readout": [StrOptions({"mean", "flatten"})],
        "n_outputs": [POSITIVE_INT, None],
        "min_channels": [POSITIVE_INT],
    },
    prefer_skip_nested_validation=True,
)
def channel_schedule(
    meter,
    budget,
    *,
    module=None,
    shape=None,
    n_blocks=None,
    kernel_size=None,
    readout="mean",
    n_outputs=None,
    min_channels=8,
):
    """Widths of the stages of a pooling CNN, from the data's entanglement per level.

    A CNN stage whose positions each summarize a block of ``s`` features (``2**j`` in 1-D,
    ``2**j x 2**j`` pixels in 2-D after ``j`` poolings) serves the measured level whose
    blocks are nearest in size (on a log scale); the last stages, beyond the root's scale,
    serve the coarsest level. Every stage gets ``round(scale * share)`` channels (at least
    ``min_channels``), the largest scale whose network fits ``budget`` parameters.

    The rule reads each level's QE against the same data in a random feature order
    (``meter.random_order_entanglement_``): ``QE / QE_random`` is the share of the
    entanglement at that scale that the order does not make local, with the block-size
    effect (bigger blocks hold more, in any order) divided out. By the min-cut bound
    (Levine et al., ICLR 2018; Alexander et al., NeurIPS 2023) the edges that leave the
    blocks of a scale must carry the entanglement of those blocks, so each scale's width is
    made proportional to its share: data whose correlations are short-range (a small
    pattern anywhere) keeps a large share at fine scales and gets a wide base, data whose
    correlations span the input keeps it at coarse scales and gets a wide tip. Levels of
    single features are left out (a feature in any order is the same feature, so their
    share is 1 whatever the data); a scale without them takes the nearest measured level.

    Parameters
    ----------
    meter : EntanglementMeter or array-like of shape (n_blocks + 1,)
        A meter fitted (with ``baseline=True``, its default) on the data the network will
        see (its ``shape_`` says 1-D or 2-D), or the relative widths of the stages (the
        stem, then each block, fine to coarse; positive and finite), to bring to the
        budget in proportion.
    budget : int
        Largest number of trainable parameters of the network (as ``sum(p.numel() for p in
        module.parameters())``), head included; 1 to ``2**53``.
    module : class, default=None
        :class:`ResCNN1d`, :class:`ResCNN2d`, :class:`PointwiseCNN1d` or
        :class:`PointwiseCNN2d`; ``None`` takes the residual CNN of the data's layout.
    shape : tuple of (int, int) or None, default=None
        With relative widths only: ``(H, W)`` for a 2-D network over such images, ``None``
        for a 1-D one. A meter brings its own.
    n_blocks : int or None, default=None
        Stages after the stem (``module__n_blocks``, at least 0); ``None`` takes the
        module's default (3 in 1-D, 2 in 2-D), or ``len(meter) - 1`` for relative widths.
    kernel_size : int or None, default=None
        ``module__kernel_size``; ``None`` takes the module's default (5 in 1-D, 3 in 2-D).
    readout : {"mean", "flatten"}, default="mean"
        ``module__readout``; it sets the size of the head.
    n_outputs : int or None, default=None
        Outputs of the network; ``None`` takes one per class of the meter's labels (one
        for values, or with relative widths or a meter fitted without y).
    min_channels : int, default=8
        Narrowest stage.

    Returns
    -------
    channels : list of int
        One width per stage, for ``module__channels``: the stem's, then each block's.

    Raises
    ------
    ValueError
        If ``min_channels`` at every stage already exceeds ``budget`` (the message gives
        the smallest budget possible), the meter was fitted with ``baseline=False``, or an
        argument is out of range.
    TypeError
        If ``budget``, ``min_channels`` or ``n_blocks`` is not an int.

    See Also
    --------
    rank_schedule : The same rule for the ranks of the tree tensor network.

    Notes
    -----
    Measured against Levine et al.'s experiment (``benchmarks/channel_schedule.py``; user
    guide, Benchmarks, "Levine et al.'s experiment"): where one of wide-base and wide-tip
    won beyond two standard errors, the rule mostly leaned the same way, and trained, its
    schedule mostly did as well as the better of the two or better. Even widths (the
    networks' default) did as well as the rule's schedule in most cells and better in
    several: put both in a grid search (``module__channels``) rather than rely on the rule.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_qe import EntanglementMeter
    >>> from sklearn_qe.nets import LocalCNNClassifier, ResCNN2d, channel_schedule
    >>> X, y = load_digits(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> meter = EntanglementMeter(shape=(8, 8), max_samples=300, random_state=0).fit(X, y)
    >>> channels = channel_schedule(meter, budget=20_000)
    >>> len(channels)  # the stem and ResCNN2d's 2 residual blocks
    3
    >>> net = LocalCNNClassifier(module=ResCNN2d, module__shape=(8, 8), module__channels=channels)

    Relative widths are brought to the budget as they are:

    >>> channel_schedule([1, 2, 4], budget=20_000, min_channels=1)
    [11, 22, 44]
    """
    relative_given = isinstance(meter, (list, tuple, np.ndarray))
    if relative_given:
        relative = _check_relative(meter)
        shape = None if shape is None else check_shape(shape)
        n_blocks = relative.size - 1 if n_blocks is None else n_blocks
        if shape is None and readout == "flatten":
            raise ValueError(
                'readout="flatten" gives the head one weight per position of the last map, so '
                "its size depends on the number of features: pass a fitted meter, or the "
                "image shape."
            )
        # The "mean" readout's count does not depend on the number of features.
        n_features = 2 ** (n_blocks + 1) if shape is None else math.prod(shape)
        n_outputs = 1 if n_outputs is None else n_outputs
    else:
        check_is_fitted(meter, ["entanglement_", "levels_", "n_features_in_", "shape_"])
        shape = meter.shape_
        n_features = meter.n_features_in_
        if n_outputs is None:
            classes = meter.classes_
            n_outputs = 1 if classes is None or len(classes) < 2 else len(classes)
    if module is None:
        module = ResCNN1d if shape is None else ResCNN2d
    elif module not in _CNNS:
        raise ValueError(
            "module must be None or one of ResCNN1d, ResCNN2d, PointwiseCNN1d, PointwiseCNN2d, "
            f"got {module!r}."
        )
    elif (module in _IMAGE_CNNS) != (shape is not None):
        layout = "1-D features" if shape is None else f"images of shape {shape}"
        raise ValueError(f"module={module.__name__} does not take {layout}.")
    defaults = inspect.signature(module).parameters
    n_blocks = defaults["n_blocks"].default if n_blocks is None else n_blocks
    kernel_size = defaults["kernel_size"].default if kernel_size is None else kernel_size
    if not relative_given:
        relative = _stage_widths(meter, n_blocks)
    elif relative.size != n_blocks + 1:
        raise ValueError(
            f"{relative.size} relative widths for n_blocks={n_blocks}: give one per stage "
            f"({n_blocks + 1}: the stem, then each block)."
        )

    @functools.cache  # the bisection's last steps give the same widths again and again
    def count_channels(channels):
        kwargs = dict(
            channels=list(channels), n_blocks=n_blocks, kernel_size=kernel_size, readout=readout
        )
        if shape is not None:
            kwargs["shape"] = shape
        with torch.device("meta"):  # counts parameters without allocating them
            network = module(n_features, n_outputs, **kwargs)
        return sum(parameter.numel() for parameter in network.parameters())

    def count(widths):
        return count_channels(tuple(widths))

    # A stage holds at least one weight per channel, and a block a convolution of at least
    # min_channels x min_channels: a min_channels that breaks the budget on these alone is
    # refused before torch is asked to size tensors beyond its range.
    lower_bound = min_channels**2 if n_blocks else min_channels
    if lower_bound > budget:
        _refuse(budget, "min_channels", min_channels, n_blocks + 1, lower_bound)
    return _fit_to_budget(relative, budget, count, min_channels, "min_channels")


@validate_params(
    {
        "meter": [EntanglementMeter, "array-like"],
        "budget": [_BUDGET],
        "n_features": [POSITIVE_INT, None],
        "shape": SHAPE,
        "n_outputs": [POSITIVE_INT, None],
        "min_rank": [POSITIVE_INT],
    },
    prefer_skip_nested_validation=True,
)
def rank_schedule(meter, budget, *, n_features=None, shape=None, n_outputs=None, min_rank=2):
    """Ranks per level of the tree tensor network, from the data's entanglement per level.

    The rule of :func:`channel_schedule`, for :class:`TreeTensorNet`, whose levels are the
    meter's own: the rank ``R_l`` of the edges that leave the blocks of level ``l`` is
    proportional to that level's ``QE / QE_random``, the share of its entanglement that
    the feature order does not make local (levels of single features, whose share is 1
    whatever the data, take that of the nearest level of larger blocks), at least
    ``min_rank``, and no more than the ``2**|K|`` entries a block ``K`` of that level can
    use; the largest ranks whose network fits ``budget`` parameters. In the tensor network
    the min-cut bound is exact: a block of level ``l`` can hold at most ``ln R_l`` of
    entanglement with the rest.

    Parameters
    ----------
    meter : EntanglementMeter or array-like of shape (L,)
        A meter fitted (with ``baseline=True``, its default) on the data the network will
        see (its ``shape_`` says 1-D or 2-D), or the relative ranks of levels ``1..L``
        (positive and finite), to bring to the budget in proportion.
    budget : int
        Largest number of entries of the node tensors (the network's parameters), the
        root's included; 1 to ``2**53``.
    n_features : int or None, default=None
        With relative ranks only (required): the number of features. A meter brings its own.
    shape : tuple of (int, int) or None, default=None
        With relative ranks only: ``(H, W)`` for images, ``None`` for 1-D features.
    n_outputs : int or None, default=None
        Outputs of the network; ``None`` takes one per class of the meter's labels (one
        for values, or with relative ranks or a meter fitted without y).
    min_rank : int, default=2
        Smallest rank: 2 keeps the constant and the running mean of the linear start
        (``init="linear"``).

    Returns
    -------
    ranks : list of int
        One rank per level ``1..L`` of the canonical tree, for ``module__rank`` (empty for
        a single feature).

    Raises
    ------
    ValueError
        If ``min_rank`` at every level already exceeds ``budget`` (the message gives the
        smallest budget possible), the meter was fitted with ``baseline=False``, or an
        argument is out of range.
    TypeError
        If ``budget`` or ``min_rank`` is not an int.

    See Also
    --------
    channel_schedule : The same rule for the channels of a CNN.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_qe import EntanglementMeter
    >>> from sklearn_qe.nets import TensorNetworkClassifier, rank_schedule
    >>> X, y = load_digits(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> meter = EntanglementMeter(max_samples=300, random_state=0).fit(X, y)
    >>> ranks = rank_schedule(meter, budget=20_000)
    >>> len(ranks)  # levels 1 to 6 of the canonical tree of 64 features
    6
    >>> net = TensorNetworkClassifier(module__rank=ranks)
    """
    relative_given = isinstance(meter, (list, tuple, np.ndarray))
    if relative_given:
        if n_features is None:
            raise ValueError("With relative ranks, pass n_features (a meter brings its own).")
        shape = None if shape is None else check_shape(shape, n_features)
        relative = _check_relative(meter)
        n_outputs = 1 if n_outputs is None else n_outputs
    else:
        check_is_fitted(meter, ["entanglement_", "levels_", "n_features_in_", "shape_"])
        shape, n_features = meter.shape_, meter.n_features_in_
        if n_outputs is None:
            classes = meter.classes_
            n_outputs = 1 if classes is None or len(classes) < 2 else len(classes)
    n_levels = max_canonical_level(n_features, shape)
    if n_levels == 0:  # a single feature: the tree has no inner edges
        return []
    blocks = _network_blocks(n_features, shape)
    if not relative_given:
        tree = canonical_tree(n_features, shape=shape)
        sizes = [
            np.mean([len(block) for block in tree.blocks[level]])
            for level in range(1, n_levels + 1)
        ]
        relative = _shares(meter, sizes)
    elif relative.size != n_levels:
        raise ValueError(
            f"{relative.size} relative ranks for the {n_levels} levels of the canonical tree of "
            f"{n_features} features: give one per level."
        )
    # A rank beyond 2**|K| adds nothing an edge leaving K can use, nor parameters.
    largest = [2 ** max(map(len, level_blocks)) for level_blocks in blocks[1 : n_levels + 1]]

    def count(ranks):
        return _n_parameters(blocks, _edge_widths(blocks, ranks, n_outputs))

    return _fit_to_budget(relative, budget, count, min_rank, "min_rank", largest)


def _check_relative(widths):
    relative = np.asarray(widths, dtype=np.float64)
    if relative.ndim != 1 or relative.size < 1 or not np.all(relative > 0):
        raise ValueError(
            f"Relative widths must be a non-empty 1-D list of positive numbers, got {widths!r}."
        )
    if not np.isfinite(relative).all():
        raise ValueError(f"Relative widths must be finite, got {widths!r}.")
    return relative


def _refuse(budget, name, minimum, n_widths, smallest):
    widths = "levels" if name == "min_rank" else "stages"
    raise ValueError(
        f"budget={budget} is too small: {name}={minimum} at each of the {n_widths} {widths} "
        f"already takes at least {smallest} parameters. Raise the budget or lower {name}."
    )


def _fit_to_budget(relative, budget, count, minimum, name, largest=None):
    """``round(scale * relative)``, clipped to ``[minimum, largest]``, at the largest scale
    whose ``count`` fits the budget; ``count`` grows with the widths."""

    def widths(scale):
        scaled = [max(minimum, round(scale * share)) for share in relative]
        return scaled if largest is None else [min(w, cap) for w, cap in zip(scaled, largest)]

    # Scales on which every width sits at its minimum, then at one more than the widest
    # needs: the answer lies between.
    low = minimum / (2 * relative.max())
    smallest = count(widths(low))
    if smallest > budget:
        _refuse(budget, name, minimum, len(relative), smallest)
    high = low
    while count(widths(high)) <= budget:
        if largest is not None and widths(high) == list(largest):
            return widths(high)  # every width at its cap, within the budget
        high *= 2
    for _ in range(60):  # bisection on a log scale, to well below one width's worth
        middle = math.sqrt(low * high)
        low, high = (middle, high) if count(widths(middle)) <= budget else (low, middle)
    return widths(low)


def _shares(meter, sizes):
    """For blocks of each mean size in ``sizes``, ``QE / QE_random`` of the measured level of
    nearest block size (on a log scale), leaving out levels of single features."""
    random_order = getattr(meter, "random_order_entanglement_", None)
    if random_order is None:
        raise ValueError(
            "The widths read the entanglement against the random feature order: fit the "
            "meter with baseline=True (the default)."
        )
    tree = canonical_tree(meter.n_features_in_, shape=meter.shape_)
    measured = np.array(
        [np.mean([len(block) for block in tree.blocks[level]]) for level in meter.levels_]
    )
    # No entanglement in either order: the order has nothing to make local, a share of 1.
    shares = np.divide(
        meter.entanglement_, random_order, out=np.ones(len(measured)), where=random_order > 1e-12
    )
    # A scale without entanglement still gets the narrowest width; zeros everywhere would
    # leave no proportion to scale.
    shares = np.maximum(shares, 1e-6)
    informative = measured > 1
    if informative.any():
        measured, shares = measured[informative], shares[informative]
    nearest = np.abs(np.log(measured)[None, :] - np.log(sizes)[:, None]).argmin(axis=1)
    return shares[nearest]


def _stage_widths(meter, n_blocks):
    """Each stage's share: that of the measured level whose blocks are nearest in size."""
    sides = [meter.n_features_in_] if meter.shape_ is None else list(meter.shape_)
    # Features summarized by one position after ``stage`` poolings (each halves every side
    # still 2 or wider, as in the networks).
    sizes = [math.prod(min(side, 2**stage) for side in sides) for stage in range(n_blocks + 1)]
    return _shares(meter, sizes)
