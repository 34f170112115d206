"""Channel schedules of the residual CNNs from the data's entanglement, at a parameter budget."""

import functools
import inspect
import math

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from .._checks import check_int, check_shape
from .._partitions import canonical_tree
from ._modules import ResCNN1d, ResCNN2d

__all__ = ["channel_schedule"]

# Largest budget: counts stay exact in float64, and the widest tensors (about budget /
# n_blocks entries) far below the 2**63 bytes torch can address.
_MAX_BUDGET = 2**53


def channel_schedule(
    meter,
    budget,
    *,
    shape=None,
    n_blocks=None,
    kernel_size=None,
    readout="mean",
    n_outputs=None,
    min_channels=8,
):
    """Widths of the stages of a residual CNN, from the data's entanglement per level.

    The rule (the theorem's: Levine et al., ICLR 2018; Alexander et al., NeurIPS 2023): the
    edges of the canonical tree's tensor network at level ``l`` need the width ``meter.level_widths_[l]``, ``ceil(exp(max QE))``
    of that level's partitions. A CNN stage whose positions each summarize a block of ``s``
    features (``2**j`` in 1-D, ``2**j x 2**j`` pixels in 2-D after ``j`` poolings) serves
    the measured level whose blocks are nearest in size (on a log scale); the stem serves
    single features, the last stage the coarsest measured level. Every stage gets the
    same fraction of its level's width, ``round(s * width)`` and at least ``min_channels``,
    with the largest ``s`` whose network fits ``budget`` parameters. When the budget allows
    more than the theorem asks (``s > 1``), the extra goes to every stage in the same
    proportion. So data whose entanglement is high at coarse levels (long-range structure)
    gets a wide tip, data whose fine levels carry relatively more a flatter or wider base.

    Parameters
    ----------
    meter : EntanglementMeter or array-like of shape (n_blocks + 1,)
        A fitted meter of the data the network will see (its ``shape_`` says 1-D or 2-D),
        or the relative widths of the stages (the stem, then each residual block, fine to
        coarse; positive and finite), to bring to the budget in proportion.
    budget : int
        Largest number of trainable parameters of the network (as ``sum(p.numel() for p in
        module.parameters())``), head included; 1 to ``2**53``.
    shape : tuple of (int, int) or None, default=None
        With relative widths only: ``(H, W)`` for a :class:`ResCNN2d` over such images,
        ``None`` for a :class:`ResCNN1d`. A meter brings its own.
    n_blocks : int or None, default=None
        Residual blocks of the network (``module__n_blocks``, at least 0); ``None`` takes the
        module's default (3 for :class:`ResCNN1d`, 2 for :class:`ResCNN2d`), or
        ``len(meter) - 1`` for relative widths.
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
        the smallest budget possible), or an argument is out of range.
    TypeError
        If ``budget``, ``min_channels`` or ``n_blocks`` is not an int.

    Notes
    -----
    Measured against Levine et al.'s experiment (``benchmarks/channel_schedule.py``, README):
    on digits on a 32x32 canvas, at 40,000 parameters, a wide-base ResCNN2d beat a wide-tip
    one on the "local" task (96.7% against 90.2%) and matched it on the "global" one (99.2%
    against 98.6%), while this rule asked for a wide tip on both (QE grows with block size
    on both, as an area law makes it). The rule is the tree network's; a residual CNN's
    overlapping convolutions at full resolution serve coarse scales too, which the rule does
    not count. Compare its schedule with a wide base before relying on it.

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
    budget = check_int(budget, "budget", minimum=1)
    if budget > _MAX_BUDGET:
        raise ValueError(f"budget must be at most 2**53, got {budget}.")
    min_channels = check_int(min_channels, "min_channels", minimum=1)
    if n_blocks is not None:
        n_blocks = check_int(n_blocks, "n_blocks", minimum=0)
    relative_given = isinstance(meter, (list, tuple, np.ndarray))
    if relative_given:
        relative = np.asarray(meter, dtype=np.float64)
        if relative.ndim != 1 or relative.size < 1 or not np.all(relative > 0):
            raise ValueError(
                f"Relative widths must be a non-empty 1-D list of positive numbers, got {meter!r}."
            )
        if not np.isfinite(relative).all():
            raise ValueError(f"Relative widths must be finite, got {meter!r}.")
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
        check_is_fitted(meter, ["level_widths_", "levels_", "n_features_in_", "shape_"])
        shape = meter.shape_
        n_features = meter.n_features_in_
        if n_outputs is None:
            classes = meter.classes_
            n_outputs = 1 if classes is None or len(classes) < 2 else len(classes)
    module = ResCNN1d if shape is None else ResCNN2d
    defaults = inspect.signature(module).parameters
    n_blocks = defaults["n_blocks"].default if n_blocks is None else n_blocks
    kernel_size = defaults["kernel_size"].default if kernel_size is None else kernel_size
    if not relative_given:
        relative = _stage_widths(meter, n_blocks)
    elif relative.size != n_blocks + 1:
        raise ValueError(
            f"{relative.size} relative widths for n_blocks={n_blocks}: give one per stage "
            f"({n_blocks + 1}: the stem, then each residual block)."
        )

    @functools.cache  # the bisection's last steps give the same widths again and again
    def count_channels(channels):
        kwargs = dict(channels=list(channels), n_blocks=n_blocks, kernel_size=kernel_size, readout=readout)
        if shape is not None:
            kwargs["shape"] = shape
        with torch.device("meta"):  # counts parameters without allocating them
            network = module(n_features, n_outputs, **kwargs)
        return sum(parameter.numel() for parameter in network.parameters())

    def count(scale):
        return count_channels(tuple(_scaled(relative, scale, min_channels)))

    # Scales on which every stage sits at min_channels, then at one more channel than the
    # widest needs: the answer lies between (the count grows with the scale).
    low = min_channels / (2 * relative.max())
    # A stage holds at least one weight per channel, and a residual block a convolution of
    # at least min_channels x min_channels: a min_channels that breaks the budget on these
    # alone is refused before torch is asked to size tensors beyond its range.
    lower_bound = min_channels**2 if n_blocks else min_channels
    smallest = lower_bound if lower_bound > budget else count(low)
    if smallest > budget:
        raise ValueError(
            f"budget={budget} is too small: {min_channels} channels at each of the "
            f"{n_blocks + 1} stages already take at least {smallest} parameters. Raise the "
            "budget or lower min_channels or n_blocks."
        )
    high = low
    while count(high) <= budget:
        high *= 2
    for _ in range(60):  # bisection on a log scale, to well below one channel's worth
        middle = math.sqrt(low * high)
        low, high = (middle, high) if count(middle) <= budget else (low, middle)
    return _scaled(relative, low, min_channels)


def _scaled(relative, scale, min_channels):
    return [max(min_channels, int(round(scale * width))) for width in relative]


def _stage_widths(meter, n_blocks):
    """The theorem's width for each stage: that of the measured level of nearest block size."""
    shape = meter.shape_
    tree = canonical_tree(meter.n_features_in_, shape=shape)
    levels = list(meter.levels_)
    log_sizes = np.log([np.mean([len(block) for block in tree.blocks[level]]) for level in levels])
    sides = [meter.n_features_in_] if shape is None else list(shape)
    widths = []
    for stage in range(n_blocks + 1):
        # Features summarized by one position after ``stage`` poolings (each halves every
        # side still 2 or wider, as in the networks).
        covered = math.prod(min(side, 2**stage) for side in sides)
        nearest = int(np.argmin(np.abs(log_sizes - math.log(covered))))
        widths.append(meter.level_widths_[nearest])
    return np.array(widths, dtype=np.float64)
