"""Feature reorderers: learn a column order that suits locally connected networks."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from tqdm.auto import tqdm

from ._checks import N_JOBS, SHAPE, StrictInterval, densify
from ._compat import StrOptions, _check_feature_names_in, _fit_context
from ._correlation import abs_correlation_graph, standardized_columns
from ._cut_tree import cut_tree_order
from ._entanglement import surrogate_profiles
from ._fit_state import all_or_nothing
from ._igtd import igtd_order
from ._leaf_ordering import orient_order
from ._partitions import canonical_tree
from ._seriation import seriation_order

__all__ = ["EntanglementReorderer", "IGTDReorderer"]


class _BaseReorderer(TransformerMixin, BaseEstimator):
    """A transformer that permutes columns: ``transform(X) == X[:, permutation_]``.

    Subclasses implement ``_learn_order(X)`` returning the permutation.
    """

    @_fit_context(prefer_skip_nested_validation=True)
    @all_or_nothing
    def fit(self, X, y=None):
        """Learn the feature order from X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, at least 2 samples and 2 features. Sparse input (e.g. from
            ``OneHotEncoder``) is densified when the dense copy takes at most 1 GiB.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted reorderer.
        """
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            # One memory layout, so that the same data gives the same order bit for bit.
            order="C",
            ensure_min_samples=2,
            ensure_min_features=2,
        )
        X = densify(X, dtype=X.dtype)  # correlations need the dense columns
        shape = None if self.shape is None else tuple(self.shape)
        tree = canonical_tree(X.shape[1], shape=shape)
        self.shape_ = shape
        self.permutation_ = self._learn_order(X)
        levels = range(1, tree.n_levels + 1)
        # Reorderers with an n_jobs parameter spread this step too.
        n_jobs = getattr(self, "n_jobs", None)
        before, after = surrogate_profiles(
            standardized_columns(X), tree, levels, [None, self.permutation_], n_jobs=n_jobs
        )
        self.surrogate_entanglement_before_ = np.array([before[level].mean() for level in levels])
        self.surrogate_entanglement_ = np.array([after[level].mean() for level in levels])
        return self

    def transform(self, X):
        """Reorder the columns of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data with the features seen in ``fit``.

        Returns
        -------
        X_reordered : {ndarray, sparse matrix} of shape (n_samples, n_features)
            ``X[:, permutation_]``, same dtype (float32 stays float32) and, for sparse
            input, the same sparse format.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32], reset=False
        )
        return X[:, self.permutation_]

    def inverse_transform(self, X):
        """Restore the original column order.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the learned order.

        Returns
        -------
        X_original : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Columns back in the order seen in ``fit``.
        """
        check_is_fitted(self)
        X = check_array(X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return X[:, np.argsort(self.permutation_)]

    def get_feature_names_out(self, input_features=None):
        """Feature names in the learned order.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; ``None`` uses ``feature_names_in_`` or ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str
            ``input_features[permutation_]``.
        """
        check_is_fitted(self)
        return _check_feature_names_in(self, input_features)[self.permutation_]

    def _progress_bar(self, total, unit):
        return tqdm(total=total, unit=unit, desc=type(self).__name__, disable=not self.verbose)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        return tags


class EntanglementReorderer(_BaseReorderer):
    """Reorder features so that a locally connected network can fit them.

    Both methods work on the graph of absolute Pearson correlations between features.

    ``method="seriation"`` (the default) orders the features along a path on which
    neighbouring features correlate as much as it can find, a travelling-salesman path on
    ``1 - |rho|`` found as large instances are: the greedy edge heuristic on each feature's
    strongest correlations (and, up to 4,096 features, the optimal leaf ordering of the
    single-linkage tree as a second start), improved by 2-opt and Or-opt moves in compiled
    loops. Every block of the canonical tree is then a
    stretch of that path, so correlated features share blocks at every level, and in
    addition every pair of neighbours correlates, which convolution kernels, state-space
    kernels and attention windows (all of which straddle block boundaries) need. For an
    ``(H, W)`` image the path is laid along a Hilbert-like curve of the quad-tree, then
    sibling blocks are oriented across their seams.

    ``method="cuts"`` is the NeurIPS 2023 paper's method: a minimum balanced cut (METIS, via
    pymetis) of the graph into the children of the root of the canonical tree (two halves in
    1-D, four quadrants in 2-D), recursively. ``leaf_ordering="optimal"`` then exchanges (and
    in 2-D mirrors) sibling blocks of the same shape so that neighbouring features correlate;
    every canonical block keeps its set of features, so every canonical QE is the same as
    with ``leaf_ordering=None``, the paper's order.

    On real time series seriation restores the natural order's neighbour correlation and its
    accuracy where the cuts fall short (``benchmarks/paper_table.py``; user guide, Benchmarks).

    Parameters
    ----------
    shape : tuple of (int, int) or None, default=None
        ``None`` for 1-D features (halves); ``(H, W)`` to lay the features out as a
        row-major image, four balanced parts per node placed as the four quadrants.
    method : {"seriation", "cuts"}, default="seriation"
        How the order is found (see above).
    n_neighbors : "auto", int or None, default="auto"
        ``None`` uses the dense correlation graph (memory ``O(n_features**2)``). An int
        keeps only each feature's strongest correlations, found exactly in chunks with
        memory ``O(n_features * n_neighbors)`` (see :func:`abs_correlation_graph`).
        ``"auto"`` is dense up to 4,096 features and 16 beyond. With seriation, the path
        joins a feature only to its strongest correlations in the graph (at most 32).
    n_cuts : int, default=1
        With ``method="cuts"``: cuts METIS tries per node, keeping the best (1 to
        ``2**31 - 1``).
    leaf_ordering : {"optimal"} or None, default="optimal"
        With ``method="cuts"``: ``"optimal"`` orients the cut tree to maximise the summed
        absolute Pearson correlation of neighbouring features: in 1-D exactly (optimal
        leaf ordering of the binary tree among the allowed exchanges, Bar-Joseph et al.
        2001) up to 1024 features and approximately beyond; in 2-D greedily, each node
        placing its four quadrants and their mirror images best across the seams they
        share. ``None`` keeps the order the cuts produce, as in the paper.
    random_state : int, RandomState instance or None, default=None
        Seeds METIS (``method="cuts"``); seriation is deterministic.
    n_jobs : int or None, default=None
        Bands of the nearest-neighbour graph and of the surrogate entanglement computed at
        once, as joblib reads it (``None``: one at a time, unless in a
        :func:`joblib.parallel_config` context, ``-1``: every core). Under
        ``joblib.parallel_config(backend="dask")`` they run on the dask cluster.
    verbose : int, default=0
        Show a progress bar: over the steps of seriation, over the placed features of the
        cuts.

    Attributes
    ----------
    permutation_ : ndarray of shape (n_features,)
        Column indices in the learned order: ``transform(X) == X[:, permutation_]``.
    surrogate_entanglement_before_ : ndarray of shape (n_levels,)
        Mean SE per level of the canonical tree (levels 1, 2, ...) in the original order.
    surrogate_entanglement_ : ndarray of shape (n_levels,)
        The same in the learned order.
    shape_ : tuple of (int, int) or None
        The ``shape`` the order was learned for (``set_params`` changes only the next fit).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during ``fit``, when X has string column names.

    See Also
    --------
    IGTDReorderer : The competing published reordering.
    EntanglementMeter : Measure QE before and after reordering.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_qe import EntanglementReorderer
    >>> rng = np.random.default_rng(0)
    >>> X = np.cumsum(rng.standard_normal((300, 64)), axis=1)[:, rng.permutation(64)]
    >>> reorderer = EntanglementReorderer(random_state=0).fit(X)
    >>> before, after = reorderer.surrogate_entanglement_before_, reorderer.surrogate_entanglement_
    >>> bool(np.all(after <= before + 1e-9))  # lower or equal at every level, up to rounding
    True
    >>> np.array_equal(reorderer.inverse_transform(reorderer.transform(X)), X)
    True
    """

    _parameter_constraints: dict = {
        "shape": SHAPE,
        "method": [StrOptions({"seriation", "cuts"})],
        "n_neighbors": [
            StrOptions({"auto"}),
            StrictInterval(Integral, 1, None, closed="left"),
            None,
        ],
        # METIS takes the number of cuts as a C int.
        "n_cuts": [StrictInterval(Integral, 1, 2**31 - 1, closed="both")],
        "leaf_ordering": [StrOptions({"optimal"}), None],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS,
        "verbose": ["verbose"],
    }

    # n_neighbors="auto": the dense graph up to this many features (128 MB of float64),
    # a nearest-neighbour graph of _auto_neighbors beyond.
    _auto_dense_features = 4096
    _auto_neighbors = 16
    # Above this many features a dense graph (N**2 correlations, then METIS's CSR copy) would
    # take gigabytes: refuse it with advice instead of running out of memory.
    _max_dense_features = 8192

    def __init__(
        self,
        *,
        shape=None,
        method="seriation",
        n_neighbors="auto",
        n_cuts=1,
        leaf_ordering="optimal",
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.shape = shape
        self.method = method
        self.n_neighbors = n_neighbors
        self.n_cuts = n_cuts
        self.leaf_ordering = leaf_ordering
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _learn_order(self, X):
        n_features = X.shape[1]
        n_neighbors = self.n_neighbors
        if n_neighbors == "auto":
            n_neighbors = None if n_features <= self._auto_dense_features else self._auto_neighbors
        if n_neighbors is None and n_features > self._max_dense_features:
            gigabytes = n_features**2 * 24 / 1e9
            raise ValueError(
                f"A dense correlation graph over {n_features} features needs about "
                f'{gigabytes:.0f} GB; pass n_neighbors (an int such as 16, or "auto") to keep '
                "only each feature's strongest correlations."
            )
        graph = abs_correlation_graph(X, n_neighbors=n_neighbors, n_jobs=self.n_jobs)
        shape = None if self.shape is None else tuple(self.shape)
        if self.method == "seriation":
            with self._progress_bar(2 if shape is None else 3, "step") as bar:
                return seriation_order(X, graph, shape, progress=bar.update)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        with self._progress_bar(n_features, "feature") as bar:
            order = cut_tree_order(graph, shape, seed=seed, n_cuts=self.n_cuts, progress=bar.update)
        if self.leaf_ordering is None:
            return order
        return orient_order(X, order, shape)


class IGTDReorderer(_BaseReorderer):
    """Reorder features by IGTD, the baseline the entanglement paper compares against.

    IGTD (Zhu et al., "Converting tabular data into images for deep learning with
    convolutional neural networks", Scientific Reports 2021) places features on a line or
    an (H, W) grid so that the ranking of their pairwise dissimilarities matches the ranking
    of the distances between their positions. Each step takes the feature considered least
    recently, evaluates swapping it with every other feature (O(N) each, vectorized) and
    makes the best swap if it lowers the mismatch.

    Parameters
    ----------
    shape : tuple of (int, int) or None, default=None
        ``None`` places features on a line; ``(H, W)`` on a row-major image grid.
    metric : {"pearson", "abs_pearson", "euclidean"}, default="pearson"
        Feature dissimilarity: ``1 - rho`` (IGTD's default), ``1 - |rho|``, or the
        Euclidean distance between columns.
    error : {"absolute", "squared"}, default="absolute"
        How a mismatch between the two rankings counts.
    max_steps : int, default=1000
        Maximum number of swap steps.
    n_steps_no_improvement : int, default=300
        Stop when the mismatch fell by less than ``min_gain`` (relative) over this many
        steps.
    min_gain : float, default=1e-5
        Relative improvement below which the search has converged.
    verbose : int, default=0
        Show a progress bar over the steps.

    Attributes
    ----------
    permutation_ : ndarray of shape (n_features,)
        Column indices in the learned order: ``transform(X) == X[:, permutation_]``.
    errors_ : ndarray of shape (``n_steps_ + 1``,)
        Ranking mismatch before the first step and after each step.
    n_steps_ : int
        Steps taken.
    surrogate_entanglement_before_ : ndarray of shape (n_levels,)
        Mean SE per level of the canonical tree in the original order.
    surrogate_entanglement_ : ndarray of shape (n_levels,)
        The same in the learned order.
    shape_ : tuple of (int, int) or None
        The ``shape`` the order was learned for (``set_params`` changes only the next fit).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during ``fit``, when X has string column names.

    See Also
    --------
    EntanglementReorderer : The entanglement paper's reordering.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_qe import IGTDReorderer
    >>> rng = np.random.default_rng(0)
    >>> X = np.cumsum(rng.standard_normal((300, 32)), axis=1)[:, rng.permutation(32)]
    >>> igtd = IGTDReorderer(max_steps=200).fit(X)
    >>> bool(igtd.errors_[-1] < igtd.errors_[0])
    True
    >>> sorted(igtd.permutation_) == list(range(32))
    True
    """

    _parameter_constraints: dict = {
        "shape": SHAPE,
        "metric": [StrOptions({"pearson", "abs_pearson", "euclidean"})],
        "error": [StrOptions({"absolute", "squared"})],
        "max_steps": [StrictInterval(Integral, 0, None, closed="left")],
        "n_steps_no_improvement": [StrictInterval(Integral, 1, None, closed="left")],
        "min_gain": [StrictInterval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    # IGTD keeps four N x N float64 matrices.
    _max_features = 10_000

    def __init__(
        self,
        *,
        shape=None,
        metric="pearson",
        error="absolute",
        max_steps=1000,
        n_steps_no_improvement=300,
        min_gain=1e-5,
        verbose=0,
    ):
        self.shape = shape
        self.metric = metric
        self.error = error
        self.max_steps = max_steps
        self.n_steps_no_improvement = n_steps_no_improvement
        self.min_gain = min_gain
        self.verbose = verbose

    def _learn_order(self, X):
        n_features = X.shape[1]
        if n_features > self._max_features:
            raise ValueError(
                f"IGTD keeps four {n_features} x {n_features} matrices (about "
                f"{4 * 8 * n_features**2 / 1e9:.0f} GB); use EntanglementReorderer for this "
                "many features."
            )
        with self._progress_bar(self.max_steps, "step") as bar:
            order, self.errors_ = igtd_order(
                X,
                shape=None if self.shape is None else tuple(self.shape),
                metric=self.metric,
                error=self.error,
                max_steps=self.max_steps,
                n_steps_no_improvement=self.n_steps_no_improvement,
                min_gain=self.min_gain,
                progress=bar.update,
            )
        self.n_steps_ = len(self.errors_) - 1
        return order
