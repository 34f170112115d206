"""EntanglementMeter: how well suited a dataset is to locally connected networks."""

from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import assert_all_finite, check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from tqdm.auto import tqdm

from ._entanglement import (
    _tensor_weights,
    entanglement_profile,
    shifted_entanglement_profile,
    surrogate_entanglement,
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
    (summed |Pearson correlation| across each partition) and the network width the theorem
    asks for.

    X is measured exactly as given: no implicit scaling. The embedding
    ``phi(t) = (cos(pi theta t), sin(pi theta t))`` is meant for standardized or [0, 1]-scaled
    features, so put a ``StandardScaler`` or ``MinMaxScaler`` before the meter in a Pipeline.

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
    max_samples : int, float or None, default=None
        QE costs ``O(M**2 N + M**3)`` per partition for M samples. If set, QE is measured on a
        random subsample of this many samples (a fraction if float); SE always uses all
        samples. A measurement whose M x M matrices would take more than 4 GiB (about 6,000
        samples with ``n_jobs=None``) is refused with a ``ValueError`` that suggests a
        ``max_samples``, rather than subsampled silently: the numbers would then depend on
        a sample the user did not ask for.
    random_state : int, RandomState instance or None, default=None
        Seeds the subsample drawn when ``max_samples`` is set.
    n_jobs : int or None, default=None
        Number of threads measuring partitions in parallel (LAPACK releases the GIL), each
        with ``cores // n_jobs`` BLAS threads; see ``benchmarks/bench_meter.py`` for threads
        vs processes. Results agree across ``n_jobs`` up to rounding (about 1e-14).
    verbose : int, default=0
        Show a progress bar over the partitions.

    Attributes
    ----------
    levels_ : ndarray of shape (n_levels,)
        Measured levels.
    entanglement_ : ndarray of shape (n_levels,)
        Mean QE (nats) over the partitions of each level (and over the one-vs-rest tensors
        for more than two classes).
    partition_entanglement_ : list of ndarray
        QE of every partition, one array per level, in tree order.
    class_entanglement_ : ndarray of shape (n_tensors, n_levels)
        Mean QE per level of each tensor: one row per class for more than two classes, a
        single row otherwise.
    classes_ : ndarray or None
        Class labels seen in ``fit``; ``None`` without labels or for a continuous target,
        whose values are then used as the tensor's coefficients.
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
        ``ceil(exp(max QE))`` over all partitions and tensors: the theorem's lower bound on
        the width of a locally connected network that fits the data.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
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
        "theta": [Interval(Real, 0, None, closed="neither")],
        "levels": [Interval(Integral, 1, None, closed="left"), "array-like", None],
        "shape": [tuple, None],
        "max_samples": [
            Interval(Integral, 2, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
            None,
        ],
        "random_state": ["random_state"],
        "shifted": ["boolean"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    # Memory the QE measurement may take (the budget that max_samples keeps to).
    _memory_budget = 4 * 2**30

    def __init__(
        self,
        theta=0.085,
        levels=None,
        shape=None,
        shifted=True,
        max_samples=None,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.theta = theta
        self.levels = levels
        self.shape = shape
        self.shifted = shifted
        self.max_samples = max_samples
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    @all_or_nothing
    def fit(self, X, y=None):
        """Measure the entanglement of X (and labels y) per level of the canonical tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data, at least 2 samples and 2 features. Sparse input is not supported.
        y : array-like of shape (n_samples,), default=None
            Class labels (binary: one tensor with -1/+1; multi-class: one one-vs-rest tensor
            per class), a continuous target (its values weight the samples), or ``None``
            (every sample weighs 1).

        Returns
        -------
        self : object
            Fitted meter.
        """
        X = validate_data(
            self, X, dtype=np.float64, order="C", ensure_min_samples=2, ensure_min_features=2
        )
        tree, levels = self._tree_and_levels(X.shape[1])
        classes, weights = self._weights(X, y)
        per_level, shifted = self._partition_qe(X, weights, tree, levels)
        se = surrogate_entanglement(X, tree, levels)

        # Every attribute is set only once everything is measured: a fit that fails leaves the
        # meter as it was.
        self.classes_ = classes
        self.levels_ = np.array(levels)
        self.partition_entanglement_ = [per_level[l].mean(axis=1) for l in levels]
        self.entanglement_ = np.array([qe.mean() for qe in self.partition_entanglement_])
        self.class_entanglement_ = np.array([per_level[l].mean(axis=0) for l in levels]).T
        if shifted is not None:
            self.partition_shifted_entanglement_ = [shifted[l].mean(axis=1) for l in levels]
            self.shifted_entanglement_ = np.array(
                [qe.mean() if qe.size else np.nan for qe in self.partition_shifted_entanglement_]
            )
        self.partition_surrogate_entanglement_ = [se[l] for l in levels]
        self.surrogate_entanglement_ = np.array([s.mean() for s in se.values()])
        # Rounded first: exp(ln 2) = 2.0000000000000004 must not ask for width 3.
        max_qe = max(qe.max() for qe in per_level.values())
        self.required_width_ = int(np.ceil(np.round(np.exp(max_qe), 9)))
        self.score_ = self._score(per_level, shifted, levels)
        return self

    def score(self, X, y=None):
        """Suitability of X's feature order: higher means better suited.

        With ``shifted=True`` (the default): minus the mean QE of the blocks shifted by half a
        block, averaged over each level's blocks, then over the levels that have them. These
        blocks straddle the seams between canonical blocks, so they also see how sibling
        blocks are placed and oriented, which every canonical partition is blind to, and
        which convolution kernels, state-space kernels and attention windows are not. On
        three series sets and dna this score ordered every pair of feature orders whose CNN
        test accuracies differ by 3 points or more as the accuracy did (84 pairs; for S4,
        89% of 82), where the canonical partitions' QE tied or misranked some (README,
        ``benchmarks/score_orders.py``). With ``shifted=False``, or where no level has
        shifted blocks: minus the mean QE of the canonical partitions, level by level.

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
        X = validate_data(
            self, X, dtype=np.float64, order="C", reset=False, ensure_min_samples=2
        )
        tree, levels = self._tree_and_levels(X.shape[1])
        _, weights = self._weights(X, y)
        return self._score(*self._partition_qe(X, weights, tree, levels), levels)

    def _score(self, per_level, shifted, levels):
        # The levels that have shifted blocks (all but the tree's deepest); the canonical
        # partitions where none has, or with shifted=False.
        if shifted is not None and any(shifted[level].size for level in levels):
            return -float(np.mean([shifted[l].mean() for l in levels if shifted[l].size]))
        return -float(np.mean([per_level[l].mean() for l in levels]))

    def _tree_and_levels(self, n_features):
        shape = None if self.shape is None else tuple(self.shape)
        if self.levels is None:
            levels = list(range(1, canonical_tree(n_features, shape=shape).n_levels + 1))
        elif isinstance(self.levels, Integral):
            levels = list(range(1, self.levels + 1))
        else:
            values = np.asarray(self.levels).ravel()
            if values.dtype.kind not in "iu":  # 1.5 must not quietly become level 1
                raise TypeError(f"levels must be integers, got {self.levels!r}.")
            levels = sorted(set(values.tolist()))
            if not levels or levels[0] < 1:
                raise ValueError(f"levels must be positive integers, got {self.levels!r}.")
        tree = canonical_tree(n_features, shape=shape, max_level=levels[-1])  # checks levels
        if self.shifted and levels[-1] < max_canonical_level(n_features, shape):
            # The shifted blocks of a level are windows of the next level's blocks.
            tree = canonical_tree(n_features, shape=shape, max_level=levels[-1] + 1)
        return tree, levels

    @staticmethod
    def _weights(X, y):
        if y is None:
            return _tensor_weights(None, X.shape[0])
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        assert_all_finite(y, input_name="y")
        # The same reading of y as entanglement_entropy's (continuous: values weigh samples).
        return _tensor_weights(y, X.shape[0])

    def _check_memory(self, n_samples):
        """Refuse, before allocating, a measurement whose M x M arrays exceed the budget."""
        n_workers = effective_n_jobs(self.n_jobs)
        # About 12 float64 M x M arrays live at once with one worker (measured), and 6 more
        # for each further worker's partition in flight.
        needed = 8 * n_samples**2 * (6 + 6 * n_workers)
        if needed > self._memory_budget:
            fitting = int(np.sqrt(self._memory_budget / (8 * (6 + 6 * n_workers))))
            raise ValueError(
                f"Measuring QE on {n_samples} samples needs about {needed / 2**30:.1f} GiB "
                f"(M x M matrices), more than the meter's budget of "
                f"{self._memory_budget / 2**30:.0f} GiB: set max_samples (e.g. "
                f"max_samples={min(fitting, 1000)}) to measure a random subsample."
            )

    def _partition_qe(self, X, weights, tree, levels):
        n_samples = X.shape[0]
        if self.max_samples is not None:
            size = (
                self.max_samples
                if isinstance(self.max_samples, Integral)
                else max(2, int(self.max_samples * n_samples))
            )
            if size < n_samples:
                rng = check_random_state(self.random_state)
                rows = np.sort(rng.choice(n_samples, size=size, replace=False))
                X, weights = X[rows], weights[:, rows]
        self._check_memory(X.shape[0])
        n_partitions = sum(len(tree.partition_indices(level)) for level in levels)
        if self.shifted:
            n_partitions += sum(len(tree.shifted_partitions(level)) for level in levels)
        with tqdm(
            total=n_partitions, unit="partition", desc=type(self).__name__, disable=not self.verbose
        ) as bar:
            options = dict(theta=self.theta, n_jobs=self.n_jobs, progress=bar.update)
            canonical = entanglement_profile(X, weights, tree, levels, **options)
            shifted = (
                shifted_entanglement_profile(X, weights, tree, levels, **options)
                if self.shifted
                else None
            )
        return canonical, shifted


class _EntanglementScorer:
    """Picklable scorer: the meter's score of ``estimator.transform(X)``."""

    def __init__(self, meter_params):
        self.meter_params = meter_params

    def __call__(self, estimator, X, y=None):
        transformed = estimator.transform(X)
        return EntanglementMeter(**self.meter_params).fit(transformed, y).score_

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
    order a locally connected network is most accurate with (README: how often it agrees).

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
