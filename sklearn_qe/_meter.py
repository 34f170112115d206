"""EntanglementMeter: how well suited a dataset is to locally connected networks."""

import warnings
from functools import partial
from numbers import Integral
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import assert_all_finite, check_random_state
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from tqdm.auto import tqdm

from ._area_law import area_law_fit, mean_block_geometry
from ._checks import (
    N_JOBS,
    POSITIVE_FLOAT,
    SHAPE,
    TARGET,
    StrictInterval,
    check_int_list,
    densify,
)
from ._compat import RealNotInt, StrOptions, _fit_context
from ._correlation import standardized_columns
from ._entanglement import (
    _n_workers,
    _profiles,
    _tensor_weights,
    partition_cost,
    surrogate_profiles,
)
from ._fit_state import all_or_nothing
from ._partitions import canonical_tree, max_canonical_level

__all__ = ["EntanglementMeter", "entanglement_scorer", "make_entanglement_scorer"]


class EntanglementMeter(BaseEstimator):
    """Measure the quantum entanglement (QE) of a dataset under its canonical partitions.

    A locally connected network (1-D/2-D CNN, S4, local self-attention) of width R can fit
    the data iff the data tensor's QE under every canonical partition is at most about
    ``ln(R)`` (Alexander et al., NeurIPS 2023). Low QE means the feature order suits such a
    network; the meter reports QE per level of the canonical tree, the cheap surrogate SE
    (summed absolute Pearson correlation across each partition) and the network width the theorem
    asks for.

    X is measured exactly as given: no implicit scaling. The embedding
    ``phi(t) = (cos(pi theta t), sin(pi theta t))`` is meant for standardized features, so
    put a ``StandardScaler`` before the meter in a Pipeline; ``fit`` warns when features
    reach beyond a quarter period of ``phi`` (``|x| > 1 / (2 theta)``, about 5.9 at the
    default theta), where the embedding folds back and QE stops meaning locality. Scaling
    and theta set the numbers' scale (on digits, level-1 QE is 0.01 for [0, 1]-scaled
    pixels, 0.6 standardized): compare orders, datasets or widths only under the same
    scaling, theta and ``max_samples``; the user guide, "How to read the numbers".

    QE never exceeds ``entanglement_ceiling_``, ``ln min(M, 2**|K|, 2**|K^c|)`` for M
    measured samples, which data without any structure reaches; the meter also measures the
    same data in a random feature order (``random_order_entanglement_``), the baseline to
    compare with: the further below it, the more the order helps a locally connected
    network.

    Parameters
    ----------
    theta : float, default=0.085
        Frequency of the feature embedding ``phi``.
    levels : int, array-like of int or None, default=None
        Levels of the canonical tree to measure: ``None`` for all levels, an int ``k`` for
        levels ``1..k``, or an explicit list. Level ``l`` has ``2**l`` blocks in 1-D (one
        distinct partition at level 1) and ``4**l`` in 2-D.
    shape : tuple of (int, int) or None, default=None
        ``None`` for 1-D features (sequences, tabular columns); ``(H, W)`` for images
        flattened row-major, partitioned by a quad-tree.
    shifted : bool, default=True
        Also measure the blocks shifted by half a block (``shifted_entanglement_``), and
        score with them (see ``score``). They straddle the seams between sibling blocks, so
        they see how blocks are placed and oriented, which the canonical partitions cannot;
        they double the cost. The canonical values (``entanglement_``,
        ``required_width_``, the theorem's) are the same either way.
    target : {"auto", "classes", "values"}, default="auto"
        How ``fit`` reads y: ``"classes"`` as class labels (one tensor for two classes,
        one one-vs-rest tensor per class otherwise), ``"values"`` as numbers that weight
        the samples (regression targets). ``"auto"`` reads a float y as values when it has
        a non-integer value or more than 20 distinct values (whole-number regression
        targets such as ``load_diabetes``'), and anything else as class labels.
    max_samples : "auto", int, float or None, default="auto"
        QE costs ``O(M**2 N + M**3)`` per partition and tensor for M samples, so by default
        it is measured on a random subsample. ``"auto"`` takes the most samples, from 200
        up to 1,000 (all when fewer), whose estimated work fits a budget of about 4e11
        floating-point operations (digits: 627 samples with its 10 classes, 1,000 without
        labels; 5,000 x 1,000 features: 403 samples). The estimate counts operations from
        the data's shape, classes and the settings, never timings, so the same data gets the
        same subsample on any machine; ``n_samples_measured_`` and
        ``summary`` say how many samples QE used. An int takes that many samples, a float
        that fraction, ``None`` all of them. QE grows with M (its ceiling is ``ln M``):
        compare numbers measured on the same number of samples. SE always uses all
        samples. A measurement whose M x M matrices would take more than 4 GiB (about
        6,000 samples with ``n_jobs=None``) is refused with a ``ValueError`` that suggests
        a ``max_samples``.
    baseline : bool, default=True
        Also measure the canonical partitions of the same data with its features in a
        random order (``random_order_entanglement_``), the baseline for the measured order.
        Costs as much as the canonical partitions again; the score does not use it.
    random_state : int, RandomState instance or None, default=None
        Seeds the subsample and the random order of the baseline.
    n_jobs : int or None, default=None
        Number of threads (at most the cores) measuring partitions in parallel (LAPACK
        releases the GIL), each with ``cores // n_jobs`` BLAS threads (one with ``None``:
        multi-threaded BLAS on these small matrices gains little, and loses tenfold while
        another process holds a core); ``n_jobs=-1`` uses every core. See
        ``benchmarks/bench_meter.py`` for threads vs processes. Results agree across
        ``n_jobs`` up to rounding (about 1e-14).
    verbose : int, default=0
        Show a progress bar over the partitions, weighted by their estimated work.

    Attributes
    ----------
    levels_ : ndarray of shape (n_levels,)
        Measured levels.
    entanglement_ : ndarray of shape (n_levels,)
        Mean QE (nats) over the partitions of each level (and over the one-vs-rest tensors
        for more than two classes).
    partition_entanglement_ : list of ndarray
        QE of every partition, one array per level, in tree order.
    entanglement_ceiling_ : ndarray of shape (n_levels,)
        Mean over each level's partitions of ``ln min(M, 2**|K|, 2**|K^c|)``, the largest QE
        possible with M measured samples; data without any structure comes near it.
    random_order_entanglement_ : ndarray of shape (n_levels,)
        With ``baseline=True``: mean QE of each level's canonical partitions with the
        features in a random order (seeded by ``random_state``).
    area_law_ : AreaLawFit
        How QE grows with block size: power laws fitted across the levels against the
        blocks' mean size (``area_law_.size_exponent``, about 1 for a volume law) and mean
        boundary (``boundary_exponent``; see :func:`area_law_fit`).
    level_widths_ : ndarray of shape (n_levels,)
        ``ceil(exp(max QE))`` over each level's partitions and tensors: the width the
        theorem asks of the network edges at that level's scale.
    class_entanglement_ : ndarray of shape (n_tensors, n_levels)
        Mean QE per level of each tensor: one row per class for more than two classes, a
        single row otherwise.
    target_type_ : {"classes", "values"} or None
        How y was read (see ``target``); ``None`` without y.
    classes_ : ndarray or None
        Class labels seen in ``fit``; ``None`` without labels or for values, which are then
        the tensor's coefficients.
    n_samples_measured_ : int
        Number of samples QE was measured on (see ``max_samples``).
    shifted_entanglement_ : ndarray of shape (n_levels,)
        With ``shifted=True``: mean QE over the blocks of each level shifted by half a block
        (windows of the next level's blocks that straddle this level's seams, see
        ``CanonicalTree.shifted_partitions``); NaN at the deepest level of the tree, which
        has no finer blocks to shift by.
    partition_shifted_entanglement_ : list of ndarray
        With ``shifted=True``: QE of every shifted block, one array per level.
    score_ : float
        ``score`` of the training data (see ``score``).
    surrogate_entanglement_ : ndarray of shape (n_levels,)
        Mean SE over the partitions of each level.
    partition_surrogate_entanglement_ : list of ndarray
        SE of every partition, one array per level.
    required_width_ : int
        ``ceil(exp(max QE))`` over all partitions and tensors (the largest of
        ``level_widths_``): the theorem's lower bound on the width of a locally connected
        network that fits the data. It can be no more than M, the samples measured.
    shape_ : tuple of (int, int) or None
        The ``shape`` the features were measured in. ``score`` and ``summary`` keep to what
        ``fit`` measured with (shape, levels, theta, ...), whatever ``set_params`` changed
        since.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during ``fit``, when X has string column names.

    See Also
    --------
    entanglement_scorer : Score the output of a transformer by its entanglement.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sklearn_qe import EntanglementMeter
    >>> X, y = load_digits(return_X_y=True)
    >>> X = MinMaxScaler().fit_transform(X)
    >>> meter = EntanglementMeter(shape=(8, 8), max_samples=300, random_state=0).fit(X, y)
    >>> meter.levels_
    array([1, 2, 3])
    >>> meter.entanglement_.shape, meter.class_entanglement_.shape
    ((3,), (10, 3))
    >>> bool(np.isclose(meter.score(X, y), meter.score_))  # the score of the training data
    True
    """

    _parameter_constraints: dict = {
        "theta": [POSITIVE_FLOAT],
        "levels": [StrictInterval(Integral, 1, None, closed="left"), "array-like", None],
        "shape": SHAPE,
        "target": [TARGET],
        "max_samples": [
            StrOptions({"auto"}),
            StrictInterval(Integral, 2, None, closed="left"),
            StrictInterval(RealNotInt, 0, 1, closed="right"),
            None,
        ],
        "baseline": ["boolean"],
        "random_state": ["random_state"],
        "shifted": ["boolean"],
        "n_jobs": N_JOBS,
        "verbose": ["verbose"],
    }

    # Memory the QE measurement may take (the budget that max_samples keeps to).
    _memory_budget = 4 * 2**30
    # max_samples="auto": the most samples between these whose estimated work (floating-point
    # operations, see partition_cost) fits the budget: tens of seconds on a 2-core laptop.
    _min_auto_samples, _max_auto_samples, _auto_work = 200, 1000, 4e11

    def __init__(
        self,
        *,
        theta=0.085,
        levels=None,
        shape=None,
        shifted=True,
        target="auto",
        max_samples="auto",
        baseline=True,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.theta = theta
        self.levels = levels
        self.shape = shape
        self.shifted = shifted
        self.target = target
        self.max_samples = max_samples
        self.baseline = baseline
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    @all_or_nothing
    def fit(self, X, y=None):
        """Measure the entanglement of X (and labels y) per level of the canonical tree.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data, at least 2 samples and 2 features. Sparse input (e.g. from
            ``OneHotEncoder``) is densified when the dense copy takes at most 1 GiB.
        y : array-like of shape (n_samples,), default=None
            Class labels (binary: one tensor with -1/+1; multi-class: one one-vs-rest tensor
            per class), values that weight the samples (see ``target``), or ``None`` (every
            sample weighs 1).

        Returns
        -------
        self : object
            Fitted meter.
        """
        # No attribute of a previous fit may survive (random_order_entanglement_ after a refit
        # with baseline=False); all_or_nothing puts them back if this fit fails.
        for name in [name for name in vars(self) if name.endswith("_")]:
            delattr(self, name)
        X = self._validate_X(X, reset=True)
        settings = self._settings(X.shape[1])
        levels = settings.levels
        _warn_if_unscaled(X, settings.theta)
        tree = _tree(X.shape[1], settings)
        classes, weights = self._weights(X, y, settings)
        rng = check_random_state(settings.random_state)
        rows = self._sample_rows(X.shape[0], rng, tree, settings, len(weights))
        order = rng.permutation(X.shape[1]) if settings.baseline else None
        per_level, shifted, random_order = self._partition_qe(
            X[rows], weights[:, rows], tree, settings, order
        )
        se = surrogate_profiles(standardized_columns(X), tree, levels, [None])[0]

        self._settings_ = settings
        self.shape_ = settings.shape
        self.classes_ = classes
        self.target_type_ = None if y is None else ("values" if classes is None else "classes")
        self.n_samples_measured_ = len(rows)
        self.levels_ = np.array(levels)
        self.partition_entanglement_ = [per_level[level].mean(axis=1) for level in levels]
        self.entanglement_ = np.array([qe.mean() for qe in self.partition_entanglement_])
        self.class_entanglement_ = np.array([per_level[level].mean(axis=0) for level in levels]).T
        self.entanglement_ceiling_ = np.array(
            [_ceiling(tree, level, len(rows)).mean() for level in levels]
        )
        if random_order is not None:
            self.random_order_entanglement_ = np.array(
                [random_order[level].mean() for level in levels]
            )
        if shifted is not None:
            self.partition_shifted_entanglement_ = [shifted[level].mean(axis=1) for level in levels]
            self.shifted_entanglement_ = np.array(
                [qe.mean() if qe.size else np.nan for qe in self.partition_shifted_entanglement_]
            )
        self.partition_surrogate_entanglement_ = [se[level] for level in levels]
        self.surrogate_entanglement_ = np.array([s.mean() for s in se.values()])
        self.level_widths_ = np.array([_width(per_level[level].max()) for level in levels])
        self.area_law_ = area_law_fit(*mean_block_geometry(tree, levels), self.entanglement_)
        self.required_width_ = int(self.level_widths_.max())
        self.score_ = self._score(per_level, shifted, levels)
        return self

    def score(self, X, y=None):
        """Suitability of X's feature order: higher means better suited.

        With ``shifted=True`` (the default): minus the mean QE of the blocks shifted by half a
        block, averaged over each level's blocks, then over the levels that have them. These
        blocks straddle the seams between canonical blocks, so they also see how sibling
        blocks are placed and oriented, which every canonical partition is blind to, and
        which convolution kernels, state-space kernels and attention windows are not. In
        the benchmarks (user guide, Benchmarks; ``benchmarks/score_orders.py``) this score
        ranked feature orders as the test accuracy of CNNs and S4 networks did where the
        canonical partitions' QE tied or misranked some. With ``shifted=False``, or where
        no level has shifted blocks: minus the mean QE of the canonical partitions, level
        by level.

        X is measured with the settings ``fit`` used (theta, levels, shape, shifted, target,
        max_samples, random_state), so that the score of the training data is ``score_``
        even after ``set_params``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with the features seen in ``fit``.
        y : array-like of shape (n_samples,), default=None
            Labels, as in ``fit``.

        Returns
        -------
        score : float
            So that ``GridSearchCV`` maximizing it picks the order that suits a locally
            connected network best.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        settings = self._settings_  # what fit measured with, not what set_params changed
        tree = _tree(X.shape[1], settings)
        _, weights = self._weights(X, y, settings)
        rng = check_random_state(settings.random_state)
        rows = self._sample_rows(X.shape[0], rng, tree, settings, len(weights))
        per_level, shifted, _ = self._partition_qe(X[rows], weights[:, rows], tree, settings)
        return self._score(per_level, shifted, settings.levels)

    def summary(self):
        """The measured numbers per level, as a table to read.

        Returns
        -------
        summary : str
            One row per level: its number of blocks, QE, QE in a random feature order (with
            ``baseline=True``), the ceiling QE cannot exceed, the width the theorem asks
            for and SE; and how many samples QE was measured on.
        """
        check_is_fitted(self)
        n_features = self.n_features_in_
        layout = "1-D" if self.shape_ is None else f"{self.shape_[0]} x {self.shape_[1]} image"
        lines = [
            f"QE in nats of {self.n_samples_measured_:,} samples"
            + ("" if self.target_type_ is None else f" with {self.target_type_}")
            + f", {n_features:,} features ({layout}):",
            f"{'level':>5} {'blocks':>6} {'QE':>8} {'random':>8} {'ceiling':>8} "
            f"{'width':>6} {'SE':>9}",
        ]
        random_order = getattr(self, "random_order_entanglement_", None)
        for i, level in enumerate(self.levels_):
            n_blocks = 2**level if self.shape_ is None else 4**level
            baseline = "" if random_order is None else f"{random_order[i]:.3g}"
            lines.append(
                f"{level:>5} {n_blocks:>6} {self.entanglement_[i]:>8.3g} {baseline:>8} "
                f"{self.entanglement_ceiling_[i]:>8.3g} {self.level_widths_[i]:>6} "
                f"{self.surrogate_entanglement_[i]:>9.4g}"
            )
        lines.append(
            "QE near the random order's means the order does not suit a locally connected "
            "network; near 0, that it suits one of small width."
        )
        return "\n".join(lines)

    def _score(self, per_level, shifted, levels):
        # The levels that have shifted blocks (all but the tree's deepest); the canonical
        # partitions where none has, or with shifted=False.
        if shifted is not None and any(shifted[level].size for level in levels):
            return -float(
                np.mean([shifted[level].mean() for level in levels if shifted[level].size])
            )
        return -float(np.mean([per_level[level].mean() for level in levels]))

    def _settings(self, n_features):
        """The parameters as this fit measures with them; levels as an explicit list."""
        shape = None if self.shape is None else tuple(self.shape)
        if self.levels is None or isinstance(self.levels, Integral):
            # Every level, or levels 1..k: listed once canonical_tree has checked k (10**20
            # levels must be refused, not listed).
            tree = canonical_tree(n_features, shape=shape, max_level=self.levels)
            levels = list(range(1, tree.n_levels + 1))
        else:
            levels = sorted(set(check_int_list(self.levels, "each level", minimum=1)))
            if not levels:
                raise ValueError(f"levels must hold at least one level, got {self.levels!r}.")
            canonical_tree(n_features, shape=shape, max_level=levels[-1])  # checks them, shape
        return _Settings(
            theta=self.theta,
            levels=levels,
            shape=shape,
            shifted=self.shifted,
            target=self.target,
            max_samples=self.max_samples,
            baseline=self.baseline,
            random_state=self.random_state,
        )

    def _validate_X(self, X, reset):
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=np.float64,
            order="C",
            reset=reset,
            ensure_min_samples=2,
            ensure_min_features=2 if reset else 1,
        )
        return densify(X)  # the Gram matrices need every entry

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _weights(self, X, y, settings):
        if y is None:
            return _tensor_weights(None, X.shape[0])
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        assert_all_finite(y, input_name="y")
        # The same reading of y as entanglement_entropy's.
        return _tensor_weights(y, X.shape[0], settings.target)

    def _sample_rows(self, n_samples, rng, tree, settings, n_tensors):
        """Sorted rows QE is measured on (all unless max_samples asks for fewer)."""
        max_samples = settings.max_samples
        if max_samples is None:
            size = n_samples
        elif max_samples == "auto":
            # The most samples, up to the cap, whose measurement fits the work budget: the
            # estimate depends on the data's shape and classes only, never on timings, so
            # that the same data gets the same sample on any machine.
            work = self._work(tree, settings, n_tensors, settings.baseline)
            size, upper = self._min_auto_samples, self._max_auto_samples
            while size < upper:
                middle = (size + upper + 1) // 2
                fits = work(middle) <= self._auto_work
                size, upper = (middle, upper) if fits else (size, middle - 1)
        elif isinstance(max_samples, Integral):
            size = max_samples
        else:
            size = max(2, int(max_samples * n_samples))
        if size >= n_samples:
            return np.arange(n_samples)
        return np.sort(rng.choice(n_samples, size=size, replace=False))

    def _check_memory(self, n_samples):
        """Refuse, before allocating, a measurement whose M x M arrays exceed the budget."""
        workers = _n_workers(self.n_jobs)
        # About 12 float64 M x M arrays live at once with one worker (measured), and 6 more
        # for each further worker's partition in flight.
        needed = 8 * n_samples**2 * (6 + 6 * workers)
        if needed > self._memory_budget:
            fitting = int(np.sqrt(self._memory_budget / (8 * (6 + 6 * workers))))
            raise ValueError(
                f"Measuring QE on {n_samples} samples needs about {needed / 2**30:.1f} GiB "
                f"(M x M matrices), more than the meter's budget of "
                f"{self._memory_budget / 2**30:.0f} GiB: set max_samples (e.g. "
                f"max_samples={min(fitting, 1000)}) to measure a random subsample."
            )

    def _work(self, tree, settings, n_tensors, baseline):
        """Estimated floating-point work of measuring QE (see ``partition_cost``), as a
        function of the number of samples: the block sizes are gathered once."""
        n_features, levels = len(tree.blocks[0][0]), settings.levels
        canonical = np.array(
            [len(tree.blocks[level][i]) for level in levels for i in tree.partition_indices(level)]
        )
        shifted = np.array(
            [
                sum(len(tree.blocks[level + 1][i]) for i in window)
                for level in levels
                for window in (tree.shifted_partitions(level) if settings.shifted else [])
            ]
        )

        def work(n_samples):
            cost = partial(
                partition_cost, n_features=n_features, n_samples=n_samples, n_tensors=n_tensors
            )
            return float(cost(canonical).sum() * (2 if baseline else 1) + cost(shifted).sum())

        return work

    def _partition_qe(self, X, weights, tree, settings, order=None):
        """QE of the canonical partitions, of the shifted blocks (if measured) and of the
        canonical partitions with the features in ``order`` (if given)."""
        self._check_memory(X.shape[0])
        levels = settings.levels
        total = self._work(tree, settings, len(weights), order is not None)(X.shape[0])
        # The bar counts estimated work, not partitions: a coarse partition can take as long
        # as a thousand fine ones, and counts would make the ETA swing by hours.
        with tqdm(
            total=total,
            desc=f"{type(self).__name__} ({X.shape[0]} samples)",
            bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]",
            disable=not self.verbose,
        ) as bar:
            options = dict(theta=settings.theta, n_jobs=self.n_jobs, progress=bar.update)
            canonical, shifted = _profiles(
                X, weights, tree, levels, shifted=settings.shifted, **options
            )
            random_order = (
                None
                if order is None
                else _profiles(X[:, order], weights, tree, levels, **options)[0]
            )
        return canonical, shifted, random_order


class _Settings(NamedTuple):
    """The parameters a meter's measurement depends on, as its fit read them."""

    theta: float
    levels: list
    shape: tuple
    shifted: bool
    target: str
    max_samples: object
    baseline: bool
    random_state: object


def _tree(n_features, settings):
    """The canonical tree the measurement needs, one level deeper for the shifted blocks
    (windows of the next level's blocks) where the tree has one."""
    shape, deepest = settings.shape, settings.levels[-1]
    if settings.shifted and deepest < max_canonical_level(n_features, shape):
        deepest += 1
    return canonical_tree(n_features, shape=shape, max_level=deepest)


def _width(qe):
    """``ceil(exp(qe))``, rounded first: exp(ln 2) = 2.0000000000000004 must not ask for 3."""
    return int(np.ceil(np.round(np.exp(qe), 9)))


def _ceiling(tree, level, n_samples):
    """``ln min(M, 2**|K|, 2**|K^c|)`` for each canonical partition of ``level``."""
    n_features = len(tree.blocks[0][0])
    sizes = np.array([len(tree.blocks[level][i]) for i in tree.partition_indices(level)])
    smaller = np.minimum(sizes, n_features - sizes)
    return np.minimum(np.log(n_samples), smaller * np.log(2))


def _warn_if_unscaled(X, theta):
    """Warn when features reach past a quarter period of phi, where it folds back."""
    reach = np.quantile(np.abs(X), 0.99) if X.size else 0.0
    if reach * theta > 0.5:
        warnings.warn(
            f"X looks unscaled: 1% of its values exceed {reach:.3g} in magnitude, beyond "
            f"1 / (2 theta) = {0.5 / theta:.3g}, where the embedding phi folds back and QE "
            "no longer measures locality. Standardize the features first (StandardScaler), "
            "or lower theta.",
            UserWarning,
            stacklevel=3,
        )


class _EntanglementScorer:
    """Picklable scorer: the meter's score of ``estimator.transform(X)``."""

    def __init__(self, meter_params):
        self.meter_params = meter_params

    def __call__(self, estimator, X, y=None):
        transformed = estimator.transform(X)
        # The score does not use the random-order baseline: skip it unless asked for.
        meter = EntanglementMeter(**{"baseline": False, **self.meter_params})
        return meter.fit(transformed, y).score_

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self.meter_params.items())
        return f"make_entanglement_scorer({params})"


def make_entanglement_scorer(**meter_params):
    """Make a scorer that rates a transformer's output by its entanglement.

    Use it as ``scoring`` in ``GridSearchCV`` when the last step of the Pipeline is a
    transformer (e.g. a feature reorderer): the score of a fitted estimator on X is
    ``EntanglementMeter(**meter_params).fit(estimator.transform(X), y).score_``, by default
    minus the mean QE of the blocks shifted by half a block (see
    :meth:`EntanglementMeter.score`). It picks, without training a network, the feature
    order a locally connected network is most accurate with (the benchmarks of the user
    guide: how often it agrees).

    Parameters
    ----------
    **meter_params : dict
        Parameters of the :class:`EntanglementMeter` that measures, e.g. ``shape=(8, 8)``
        for images or ``max_samples=500`` for large data.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``, higher is better.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklearn_qe import make_entanglement_scorer
    >>> X = np.random.default_rng(0).uniform(size=(40, 8))
    >>> scorer = make_entanglement_scorer(levels=2)
    >>> identity = FunctionTransformer().fit(X)
    >>> bool(scorer(identity, X) <= 0)
    True
    """
    return _EntanglementScorer(meter_params)


entanglement_scorer = make_entanglement_scorer()
entanglement_scorer.__doc__ = """Scorer with a default EntanglementMeter (1-D, theta=0.085).

Call as ``entanglement_scorer(estimator, X, y=None)``; see :func:`make_entanglement_scorer`.
"""
