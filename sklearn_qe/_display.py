"""Displays: plot an entanglement profile and a learned feature order with matplotlib.

matplotlib is an optional dependency: it is imported inside ``plot`` only, so that
``import sklearn_qe`` works (and stays fast) without it.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._area_law import area_law_fit, mean_block_geometry
from ._capacity import entanglement_capacity
from ._checks import POSITIVE_INT, check_int_list, check_shape
from ._compat import StrOptions, _validate_style_kwargs, check_matplotlib_support, validate_params
from ._meter import EntanglementMeter
from ._partitions import canonical_tree

__all__ = ["EntanglementDisplay", "PermutationDisplay"]

# Marks the artists this module draws, so that a second display plotted on the same axes
# finds the twin axis for SE and the curves drawn before it.
_SURROGATE_AXIS_LABEL = "sklearn_qe.surrogate_entanglement"
_ENTANGLEMENT_LINE_GID = "sklearn_qe.entanglement"
_SURROGATE_KEY = "SE (dashed, right axis)"
_CAPACITY_LINE_GID = "sklearn_qe.capacity"
_CAPACITY_LABEL = "network capacity"


class EntanglementDisplay:
    """Entanglement profile: QE (and SE) per level of the canonical tree.

    A locally connected network of width R fits the data only if the QE of every canonical
    partition is at most ``ln R`` (Alexander et al., NeurIPS 2023): draw ``widths`` to see
    which widths the profile allows, or ``capacity`` to see the most QE a tree tensor network
    with given widths per level can express at each level (:func:`entanglement_capacity`).
    Overlay the profiles of several feature orders (e.g. shuffled vs reordered) by passing
    the first display's ``ax_`` as ``ax``: they share the axes, the twin axis for SE and one
    legend.

    ``kind="block_size"`` plots QE against the mean block size of each level on log-log
    axes, with the fitted power law ``QE ~ size**alpha``: ``alpha ~ 1`` is a volume law,
    ``alpha ~ 0.5`` in 2-D (``~ 0`` in 1-D) an area law (see :func:`area_law_fit`).

    It is recommended to create a display with :meth:`from_estimator` or
    :meth:`from_data`. All parameters are stored as attributes.

    Parameters
    ----------
    levels : array-like of shape (n_levels,)
        Levels of the canonical tree, e.g. ``meter.levels_``.
    entanglement : array-like of shape (n_levels,)
        Mean QE (nats) per level, e.g. ``meter.entanglement_``.
    surrogate_entanglement : array-like of shape (n_levels,) or None, default=None
        Mean SE per level, e.g. ``meter.surrogate_entanglement_``; ``None`` draws QE only.
    label : str or None, default=None
        Name of the curve in the legend, e.g. the feature order it measures.
    block_sizes : array-like of shape (n_levels,) or None, default=None
        Mean number of features in the blocks of each level (:func:`mean_block_geometry`),
        needed by ``kind="block_size"``; :meth:`from_estimator` sets it.
    capacity : array-like of shape (n_tree_levels,) or None, default=None
        A network's capacity (nats) per level of the tree, ``capacity[l - 1]`` for level
        ``l``, as :func:`entanglement_capacity` returns it; drawn at the display's levels.
        :meth:`from_estimator` sets it from ``network_widths``.
    area_law : AreaLawFit or None, default=None
        The power law fitted to the profile (:func:`area_law_fit`), drawn with
        ``kind="block_size"``; :meth:`from_estimator` sets it.

    Attributes
    ----------
    line_ : matplotlib Line2D
        QE per level (against the level, or the mean block size).
    surrogate_line_ : matplotlib Line2D or None
        SE per level on the twin axis (same colour, dashed); ``None`` when not shown.
    width_lines_ : list of matplotlib Line2D
        One horizontal line at ``ln R`` per width R, labelled ``"ln R, R=<R>"`` (as is
        the text naming it at its right end).
    capacity_line_ : matplotlib Line2D or None
        The network's capacity (nats) per level, labelled ``"network capacity"``; ``None``
        when not drawn.
    size_exponent_ : float or None
        With ``kind="block_size"``: the fitted ``alpha`` of ``QE ~ size**alpha`` over the
        levels with positive QE (NaN with fewer than 2); ``None`` otherwise or without
        ``area_law``.
    fit_line_ : matplotlib Line2D or None
        With ``kind="block_size"``: the fitted power law (dashed, the colour of ``line_``);
        ``None`` otherwise, without ``area_law``, or when ``size_exponent_`` is NaN.
    ax_ : matplotlib Axes
        Axes with the QE curve.
    surrogate_ax_ : matplotlib Axes or None
        Twin axis (shared x) with the SE curve; ``None`` when SE is not shown.
    figure_ : matplotlib Figure
        Figure containing the curves.

    See Also
    --------
    EntanglementMeter : Measure the entanglement profile.
    PermutationDisplay : Plot a learned feature order.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_qe import EntanglementDisplay, EntanglementMeter
    >>> rng = np.random.default_rng(0)
    >>> X = np.cumsum(rng.standard_normal((60, 16)), axis=1) / 4
    >>> meter = EntanglementMeter(levels=3).fit(X)
    >>> display = EntanglementDisplay.from_estimator(meter, widths=[2], label="walk")
    >>> bool(np.array_equal(display.line_.get_ydata(), meter.entanglement_))
    True
    >>> shuffled = EntanglementMeter(levels=3).fit(X[:, rng.permutation(16)])
    >>> overlay = EntanglementDisplay.from_estimator(shuffled, ax=display.ax_, label="shuffled")
    >>> overlay.surrogate_ax_ is display.surrogate_ax_
    True
    """

    def __init__(
        self,
        *,
        levels,
        entanglement,
        surrogate_entanglement=None,
        label=None,
        block_sizes=None,
        capacity=None,
        area_law=None,
    ):
        self.levels = levels
        self.entanglement = entanglement
        self.surrogate_entanglement = surrogate_entanglement
        self.label = label
        self.block_sizes = block_sizes
        self.capacity = capacity
        self.area_law = area_law

    @validate_params(
        {
            "ax": "no_validation",
            "kind": [StrOptions({"level", "block_size"})],
            "widths": [POSITIVE_INT, "array-like", None],
            "show_surrogate": ["boolean"],
            "label": [str, None],
            "line_kwargs": [dict, None],
            "surrogate_kwargs": [dict, None],
            "fit_kwargs": [dict, None],
            "capacity_kwargs": [dict, None],
        },
        prefer_skip_nested_validation=True,
    )
    def plot(
        self,
        ax=None,
        *,
        kind="level",
        widths=None,
        show_surrogate=True,
        label=None,
        line_kwargs=None,
        surrogate_kwargs=None,
        fit_kwargs=None,
        capacity_kwargs=None,
    ):
        """Plot the profile.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a new figure. Pass another display's ``ax_``
            (of the same ``kind``) to overlay profiles.
        kind : {"level", "block_size"}, default="level"
            ``"level"``: QE per level of the canonical tree. ``"block_size"``: QE against
            the mean block size of each level on log-log axes, with the fitted power law;
            needs ``block_sizes``.
        widths : list of int or None, default=None
            Network widths R (at least 1) whose bound ``ln R`` is drawn as a horizontal
            line.
        show_surrogate : bool, default=True
            Draw SE (dashed, same colour) on a twin y-axis, when it is known; with
            ``kind="level"`` only.
        label : str or None, default=None
            Name of the curve in the legend; ``None`` uses the ``label`` of the display.
        line_kwargs : dict or None, default=None
            Passed to ``matplotlib.axes.Axes.plot`` for the QE curve.
        surrogate_kwargs : dict or None, default=None
            Passed to ``matplotlib.axes.Axes.plot`` for the SE curve.
        fit_kwargs : dict or None, default=None
            Passed to ``matplotlib.axes.Axes.plot`` for the fitted power law.
        capacity_kwargs : dict or None, default=None
            Passed to ``matplotlib.axes.Axes.plot`` for the capacity line.

        Returns
        -------
        display : EntanglementDisplay
            Object that stores the artists.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        widths = [] if widths is None else check_int_list(widths, "each width")
        if kind == "block_size" and self.block_sizes is None:
            raise ValueError(
                'kind="block_size" needs the block_sizes of the display; from_estimator sets them.'
            )
        levels = np.asarray(self.levels)
        capacity = None if self.capacity is None else _capacity_at_levels(self.capacity, levels)
        if ax is None:
            _, ax = plt.subplots()
        label = self.label if label is None else label
        name = "QE" if label is None else label

        x = levels if kind == "level" else np.asarray(self.block_sizes, dtype=float)
        fit = self.area_law if kind == "block_size" else None
        self.size_exponent_ = None if fit is None else fit.size_exponent
        if fit is not None and not np.isnan(fit.size_exponent):
            name = f"{name} (QE ~ size^{fit.size_exponent:.2f})"

        style = _validate_style_kwargs({"marker": "o", "label": name}, line_kwargs or {})
        (self.line_,) = ax.plot(x, np.asarray(self.entanglement, dtype=float), **style)
        self.line_.set_gid(_ENTANGLEMENT_LINE_GID)

        self.fit_line_ = None
        if fit is not None and not np.isnan(fit.size_exponent):
            ends = np.array([fit.block_sizes[fit.fitted].min(), fit.block_sizes[fit.fitted].max()])
            default = {
                "color": self.line_.get_color(),
                "linestyle": "--",
                "linewidth": 1,
                "label": "_nolegend_",
            }
            (self.fit_line_,) = ax.plot(
                ends,
                fit.size_prefactor * ends**fit.size_exponent,
                **_validate_style_kwargs(default, fit_kwargs or {}),
            )

        self.surrogate_ax_ = self.surrogate_line_ = None
        if kind == "level" and show_surrogate and self.surrogate_entanglement is not None:
            self.surrogate_ax_ = _surrogate_axis(ax)
            default = {
                "color": self.line_.get_color(),
                "linestyle": "--",
                "marker": "s",
                "markersize": 4,
                "alpha": 0.8,
                "label": "SE" if label is None else f"{label}, SE",
            }
            (self.surrogate_line_,) = self.surrogate_ax_.plot(
                levels,
                np.asarray(self.surrogate_entanglement, dtype=float),
                **_validate_style_kwargs(default, surrogate_kwargs or {}),
            )
            self.surrogate_ax_.set_ylabel("SE")

        self.width_lines_ = [_width_line(ax, width) for width in widths]
        self.capacity_line_ = (
            None
            if capacity is None
            else _capacity_line(ax, x, capacity, kind, capacity_kwargs or {})
        )

        ax.set_ylabel("QE (nats)")
        if kind == "level":
            ax.set_xlabel("level of the canonical tree")
            # Ticks at every level any overlaid profile measured, and only there.
            drawn_levels = {
                int(level)
                for line in ax.get_lines()
                if line.get_gid() == _ENTANGLEMENT_LINE_GID
                for level in line.get_xdata()
            }
            ax.set_xticks(sorted(drawn_levels))
            _fit_y_limits(ax)
        else:
            ax.set_xlabel("mean block size (features)")
            ax.set_xscale("log")
            ax.set_yscale("log")
        _legend(ax)

        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        meter,
        *,
        ax=None,
        kind="level",
        widths=None,
        network_widths=None,
        show_surrogate=True,
        label=None,
        line_kwargs=None,
        surrogate_kwargs=None,
        fit_kwargs=None,
        capacity_kwargs=None,
    ):
        """Plot the profile measured by a fitted :class:`EntanglementMeter`.

        The block sizes, the power law (:func:`area_law_fit`) and, from
        ``network_widths``, the capacity are computed here; :meth:`plot` draws them.

        Parameters
        ----------
        meter : EntanglementMeter
            Fitted meter (or any estimator with ``levels_``, ``entanglement_``,
            ``n_features_in_``, ``shape_`` and ``surrogate_entanglement_``).
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a new figure.
        kind : {"level", "block_size"}, default="level"
            QE per level, or against the mean block size on log-log axes (see :meth:`plot`).
        widths : list of int or None, default=None
            Network widths R whose bound ``ln R`` is drawn.
        network_widths : int, array-like of int or None, default=None
            Widths of a tree tensor network, one per level of the canonical tree of the
            meter's features (or one int for all): its capacity per level,
            :func:`entanglement_capacity`, is drawn.
        show_surrogate : bool, default=True
            Draw SE on a twin y-axis (``kind="level"`` only).
        label : str or None, default=None
            Name of the curve in the legend.
        line_kwargs, surrogate_kwargs, fit_kwargs, capacity_kwargs : dict or None
            Styles of the QE curve, the SE curve, the power law and the capacity line
            (see :meth:`plot`).

        Returns
        -------
        display : EntanglementDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import load_digits
        >>> from sklearn.preprocessing import StandardScaler
        >>> from sklearn_qe import EntanglementDisplay, EntanglementMeter
        >>> X, y = load_digits(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X[:200])
        >>> meter = EntanglementMeter(shape=(8, 8), levels=2).fit(X)
        >>> display = EntanglementDisplay.from_estimator(meter, widths=[2, 4])
        >>> [line.get_label() for line in display.width_lines_]
        ['ln R, R=2', 'ln R, R=4']
        >>> # Width 3 everywhere: level 2's blocks of 2 x 2 pixels could hold ln(2 ** 4).
        >>> display = EntanglementDisplay.from_estimator(meter, network_widths=3)
        >>> display.capacity_line_.get_ydata().round(2)
        array([1.1, 1.1])
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(meter, ["levels_", "entanglement_", "n_features_in_", "shape_"])
        shape = meter.shape_  # the fitted layout: set_params(shape=...) since measured nothing
        n_features = meter.n_features_in_
        block_sizes, boundaries = mean_block_geometry(
            canonical_tree(n_features, shape), meter.levels_
        )
        capacity = (
            None
            if network_widths is None
            else entanglement_capacity(network_widths, n_features, shape=shape)
        )
        display = cls(
            levels=meter.levels_,
            entanglement=meter.entanglement_,
            surrogate_entanglement=getattr(meter, "surrogate_entanglement_", None),
            label=label,
            block_sizes=block_sizes,
            capacity=capacity,
            area_law=area_law_fit(block_sizes, boundaries, meter.entanglement_),
        )
        return display.plot(
            ax=ax,
            kind=kind,
            widths=widths,
            show_surrogate=show_surrogate,
            line_kwargs=line_kwargs,
            surrogate_kwargs=surrogate_kwargs,
            fit_kwargs=fit_kwargs,
            capacity_kwargs=capacity_kwargs,
        )

    @classmethod
    def from_data(
        cls,
        X,
        y=None,
        *,
        theta=0.085,
        levels=None,
        shape=None,
        max_samples="auto",
        random_state=None,
        ax=None,
        kind="level",
        widths=None,
        network_widths=None,
        show_surrogate=True,
        label=None,
        line_kwargs=None,
        surrogate_kwargs=None,
        fit_kwargs=None,
        capacity_kwargs=None,
    ):
        """Measure the entanglement of X with an :class:`EntanglementMeter` and plot it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data, measured as given (standardize it first).
        y : array-like of shape (n_samples,), default=None
            Labels, as in :meth:`EntanglementMeter.fit`.
        theta, levels, shape, max_samples, random_state
            Parameters of the :class:`EntanglementMeter` (which measures QE on 1,000
            samples when there are more, as by default).
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a new figure.
        kind : {"level", "block_size"}, default="level"
            QE per level, or against the mean block size on log-log axes (see :meth:`plot`).
        widths : list of int or None, default=None
            Network widths R whose bound ``ln R`` is drawn.
        network_widths : int, array-like of int or None, default=None
            Widths of a tree tensor network whose capacity is drawn (see
            :meth:`from_estimator`).
        show_surrogate : bool, default=True
            Draw SE on a twin y-axis.
        label : str or None, default=None
            Name of the curve in the legend.
        line_kwargs, surrogate_kwargs, fit_kwargs, capacity_kwargs : dict or None
            Styles of the QE curve, the SE curve, the power law and the capacity line
            (see :meth:`plot`).

        Returns
        -------
        display : EntanglementDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn_qe import EntanglementDisplay
        >>> X = np.random.default_rng(0).standard_normal((50, 8))
        >>> display = EntanglementDisplay.from_data(X, label="noise")
        >>> display.line_.get_xdata()
        array([1, 2, 3])
        """
        check_matplotlib_support(f"{cls.__name__}.from_data")
        meter = EntanglementMeter(
            theta=theta,
            levels=levels,
            shape=shape,
            max_samples=max_samples,
            random_state=random_state,
            # The plot shows the canonical partitions only.
            shifted=False,
            baseline=False,
        ).fit(X, y)
        return cls.from_estimator(
            meter,
            ax=ax,
            kind=kind,
            widths=widths,
            network_widths=network_widths,
            show_surrogate=show_surrogate,
            label=label,
            line_kwargs=line_kwargs,
            surrogate_kwargs=surrogate_kwargs,
            fit_kwargs=fit_kwargs,
            capacity_kwargs=capacity_kwargs,
        )


def _existing_surrogate_axis(ax):
    """The twin axis an earlier display drew SE on, or None."""
    for other in ax.figure.axes:
        if (
            other is not ax
            and other.get_label() == _SURROGATE_AXIS_LABEL
            and other.get_shared_x_axes().joined(other, ax)
        ):
            return other
    return None


def _surrogate_axis(ax):
    """The twin axis carrying SE on ``ax``: reused across overlays, created once."""
    twin = _existing_surrogate_axis(ax)
    if twin is not None:
        return twin
    twin = ax.twinx()
    twin.set_label(_SURROGATE_AXIS_LABEL)
    # The twin is drawn on top of ax by default and would hide ax's legend: put ax on top,
    # with a transparent background so the twin's curves still show.
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)
    return twin


def _width_line(ax, width):
    """The horizontal line at ln(width) on ``ax``; an overlay reuses the one drawn before.

    The line is named by a text at its right end rather than in the legend: grey bounds
    would be told apart there by their order only.
    """
    label = f"ln R, R={width}"
    for line in ax.get_lines():
        if line.get_label() == label:
            return line
    line = ax.axhline(np.log(width), color="0.45", linestyle=":", linewidth=1.2, label=label)
    ax.annotate(
        label,
        xy=(1, np.log(width)),
        xycoords=("axes fraction", "data"),
        xytext=(-4, 2),
        textcoords="offset points",
        ha="right",
        va="bottom",
        color="0.35",
        fontsize="small",
    )
    return line


def _capacity_at_levels(capacity, levels):
    """The capacity of each of ``levels`` from one value per level 1, 2, ... of the tree."""
    capacity = np.asarray(capacity, dtype=float)
    if capacity.ndim != 1 or capacity.size < levels.max():
        raise ValueError(
            f"capacity must hold one value per level 1..{levels.max()} or deeper (as "
            f"entanglement_capacity returns), got shape {capacity.shape}."
        )
    return capacity[levels - 1]


def _capacity_line(ax, x, capacity, kind, capacity_kwargs):
    """The network's capacity per level on ``ax``; an overlay reuses an identical one."""
    for line in ax.get_lines():
        if (
            line.get_gid() == _CAPACITY_LINE_GID
            and np.array_equal(line.get_xdata(), x)
            and np.array_equal(line.get_ydata(), capacity)
        ):
            return line
    # Steps centred on the levels: the bound holds for the whole level's blocks.
    default = {
        "drawstyle": "steps-mid" if kind == "level" else "default",
        "color": "0.25",
        "linewidth": 1.5,
        "label": _CAPACITY_LABEL,
    }
    (line,) = ax.plot(x, capacity, **_validate_style_kwargs(default, capacity_kwargs))
    line.set_gid(_CAPACITY_LINE_GID)
    return line


def _fit_y_limits(ax):
    """Both y-axes from 0 (QE and SE are nonnegative), with headroom for the legend.

    Recomputed by every overlay, so that the limits cover all the profiles drawn.
    """
    for axis in (ax, _existing_surrogate_axis(ax)):
        if axis is None or not axis.get_lines():
            continue
        top = max(np.nanmax(line.get_ydata()) for line in axis.get_lines())
        axis.set_ylim(0, 1.15 * top if top > 0 else 1)


def _legend(ax):
    """One legend on ``ax``: each profile by its label, and one key for the SE curves."""
    from matplotlib.lines import Line2D

    handles = [
        line
        for line in ax.get_lines()
        if line.get_gid() in (_ENTANGLEMENT_LINE_GID, _CAPACITY_LINE_GID)
    ]
    surrogate_ax = _existing_surrogate_axis(ax)
    if surrogate_ax is not None and surrogate_ax.get_lines():
        surrogate_key = Line2D(
            [], [], color="0.3", linestyle="--", marker="s", markersize=4, label=_SURROGATE_KEY
        )
        handles.append(surrogate_key)
    # Profiles fall with the level and the bounds are named at the right end, so the top
    # centre is usually free.
    ax.legend(handles=handles, loc="upper center", fontsize="small")


class PermutationDisplay:
    """Where a feature reorderer puts each feature: is the learned order structured?

    In 1-D, a scatter of each feature's original index (x) against its new position (y):
    an order that keeps neighbours together draws diagonal runs, a random one a cloud.
    For an ``(H, W)`` image, each pixel shows the original index of the feature placed
    there (``permutation.reshape(H, W)``): smooth patches mean neighbouring features were
    kept together. The title counts the features that are neighbours in both orders
    (adjacent indices in 1-D, grid neighbours of the row-major image in 2-D).

    It is recommended to create a display with :meth:`from_estimator` or
    :meth:`from_permutation`, which count the kept neighbours. All parameters are stored as
    attributes.

    Parameters
    ----------
    permutation : array-like of shape (n_features,)
        ``permutation[p]`` is the original index of the feature placed at position ``p``,
        e.g. a reorderer's ``permutation_``.
    shape : tuple of (int, int) or None, default=None
        ``None`` for a 1-D order; ``(H, W)`` with ``H * W == n_features`` for a row-major
        image.
    kept_neighbours : int or None, default=None
        Neighbouring positions that hold features which were neighbours before; ``None``
        leaves the count out of the title.
    neighbour_pairs : int or None, default=None
        Neighbouring positions in all (``n_features - 1`` in 1-D).

    Attributes
    ----------
    scatter_ : matplotlib PathCollection or None
        Original index vs new position (1-D); ``None`` for an image.
    image_ : matplotlib AxesImage or None
        Original index per pixel (2-D); ``None`` in 1-D.
    colorbar_ : matplotlib Colorbar or None
        Colour scale of ``image_``; ``None`` in 1-D.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    EntanglementReorderer : Learn an order with low entanglement.
    IGTDReorderer : Learn an order by IGTD.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_qe import PermutationDisplay
    >>> display = PermutationDisplay.from_permutation(np.arange(16)[::-1], shape=(4, 4))
    >>> display.image_.get_array()[0].tolist()
    [15, 14, 13, 12]
    >>> display.kept_neighbours, display.neighbour_pairs
    (24, 24)
    """

    def __init__(self, *, permutation, shape=None, kept_neighbours=None, neighbour_pairs=None):
        self.permutation = permutation
        self.shape = shape
        self.kept_neighbours = kept_neighbours
        self.neighbour_pairs = neighbour_pairs

    def plot(self, ax=None, **kwargs):
        """Plot the order.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a new figure.
        **kwargs : dict
            Passed to ``matplotlib.axes.Axes.scatter`` (1-D) or
            ``matplotlib.axes.Axes.imshow`` (2-D).

        Returns
        -------
        display : PermutationDisplay
            Object that stores the artists.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        permutation = _check_permutation(self.permutation, self.shape)
        n_features = permutation.size
        counted = self.kept_neighbours is not None and self.neighbour_pairs is not None
        if ax is None:
            _, ax = plt.subplots()

        self.scatter_ = self.image_ = self.colorbar_ = None
        if self.shape is None:
            positions = np.argsort(permutation)
            style = _validate_style_kwargs({"s": 12, "color": "C0"}, kwargs)
            self.scatter_ = ax.scatter(np.arange(n_features), positions, **style)
            ax.set_xlabel("original feature index")
            ax.set_ylabel("position in the learned order")
            # A margin of one feature, so that the points at the ends are drawn whole.
            ax.set_xlim(-1, n_features)
            ax.set_ylim(-1, n_features)
            ax.set_title(
                "Learned feature order"
                + (
                    f"\n{self.kept_neighbours} of {self.neighbour_pairs} neighbours stay "
                    "adjacent (runs = kept, a cloud = none)"
                    if counted
                    else ""
                ),
                fontsize="medium",
            )
        else:
            grid = permutation.reshape(self.shape)
            style = _validate_style_kwargs({"cmap": "viridis", "interpolation": "nearest"}, kwargs)
            self.image_ = ax.imshow(grid, **style)
            self.colorbar_ = ax.figure.colorbar(self.image_, ax=ax)
            self.colorbar_.set_label("original feature index")
            ax.set_xlabel("column")
            ax.set_ylabel("row")
            ax.set_title(
                "Original index of the feature at each pixel"
                + (
                    f"\n{self.kept_neighbours} of {self.neighbour_pairs} neighbouring pixels "
                    "were neighbours before"
                    if counted
                    else ""
                ),
                fontsize="medium",
            )

        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_permutation(cls, permutation, *, shape=None, ax=None, **kwargs):
        """Plot an order, counting the neighbours it keeps.

        Parameters
        ----------
        permutation : array-like of shape (n_features,)
            ``permutation[p]`` is the original index of the feature placed at position ``p``.
        shape : tuple of (int, int) or None, default=None
            ``None`` for a 1-D order; ``(H, W)`` for a row-major image.
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a new figure.
        **kwargs : dict
            Passed to ``matplotlib.axes.Axes.scatter`` (1-D) or
            ``matplotlib.axes.Axes.imshow`` (2-D).

        Returns
        -------
        display : PermutationDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn_qe import PermutationDisplay
        >>> display = PermutationDisplay.from_permutation([0, 2, 4, 1, 3])
        >>> display.kept_neighbours, display.neighbour_pairs
        (0, 4)
        """
        check_matplotlib_support(f"{cls.__name__}.from_permutation")
        permutation = _check_permutation(permutation, shape)
        if shape is None:
            kept, pairs = _kept_neighbours_1d(permutation)
        else:
            kept, pairs = _kept_neighbours_2d(permutation.reshape(shape))
        display = cls(
            permutation=permutation, shape=shape, kept_neighbours=kept, neighbour_pairs=pairs
        )
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(cls, reorderer, *, input_order=None, ax=None, **kwargs):
        """Plot the order learned by a fitted reorderer.

        Parameters
        ----------
        reorderer : EntanglementReorderer or IGTDReorderer
            Fitted reorderer (any estimator with ``permutation_`` and ``shape_``).
        input_order : array-like of shape (n_features,) or None, default=None
            The true index of each column the reorderer was fitted on, when those columns
            are a known order shuffled (``X_fit = X_true[:, input_order]``): the display
            then shows ``input_order[permutation_]``, where each true feature went, and
            counts the true neighbours kept. ``None`` compares with the fitted columns'
            own order.
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a new figure.
        **kwargs : dict
            Passed to ``matplotlib.axes.Axes.scatter`` (1-D) or
            ``matplotlib.axes.Axes.imshow`` (2-D).

        Returns
        -------
        display : PermutationDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn_qe import EntanglementReorderer, PermutationDisplay
        >>> X = np.cumsum(np.random.default_rng(0).standard_normal((100, 32)), axis=1)
        >>> reorderer = EntanglementReorderer(random_state=0).fit(X)
        >>> display = PermutationDisplay.from_estimator(reorderer)
        >>> display.scatter_.get_offsets().shape
        (32, 2)
        >>> shuffle = np.random.default_rng(0).permutation(32)
        >>> reorderer = EntanglementReorderer(random_state=0).fit(X[:, shuffle])
        >>> display = PermutationDisplay.from_estimator(reorderer, input_order=shuffle)
        >>> display.ax_.get_title().splitlines()[1]
        '31 of 31 neighbours stay adjacent (runs = kept, a cloud = none)'
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(reorderer, ["permutation_", "shape_"])
        shape = reorderer.shape_  # the fitted layout, whatever set_params changed since
        permutation = reorderer.permutation_
        if input_order is not None:
            input_order = np.asarray(input_order)
            if input_order.shape != permutation.shape or not np.array_equal(
                np.sort(input_order), np.arange(permutation.size)
            ):
                raise ValueError(
                    f"input_order must be a permutation of the {permutation.size} features "
                    f"the reorderer was fitted on, got shape {input_order.shape}."
                )
            permutation = input_order[permutation]
        return cls.from_permutation(permutation, shape=shape, ax=ax, **kwargs)


def _check_permutation(permutation, shape):
    """``permutation`` as an array holding each index once, laid out as ``shape`` allows."""
    permutation = np.asarray(permutation)
    n_features = permutation.size
    if permutation.ndim != 1 or not np.array_equal(np.sort(permutation), np.arange(n_features)):
        raise ValueError("permutation must hold each index 0..n_features-1 exactly once.")
    if shape is not None:
        check_shape(shape, n_features)
    return permutation


def _kept_neighbours_1d(permutation):
    """Adjacent positions holding features with adjacent original indices, of n - 1."""
    kept = int(np.sum(np.abs(np.diff(permutation)) == 1))
    return kept, permutation.size - 1


def _kept_neighbours_2d(grid):
    """Neighbouring pixels whose features were grid neighbours in the row-major original."""
    rows, columns = np.divmod(grid, grid.shape[1])
    kept = pairs = 0
    for axis in (0, 1):
        grid_distance = np.abs(np.diff(rows, axis=axis)) + np.abs(np.diff(columns, axis=axis))
        kept += int(np.sum(grid_distance == 1))
        pairs += grid_distance.size
    return kept, pairs
