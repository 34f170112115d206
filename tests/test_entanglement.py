import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import sparse

from sklearn_qe import (
    EntanglementMeter,
    _entanglement,
    abs_correlation,
    abs_correlation_graph,
    canonical_tree,
    entanglement_entropy,
    entanglement_profile,
    label_weights,
    shifted_entanglement_profile,
    surrogate_entanglement,
)
from sklearn_qe._correlation import standardized_columns
from sklearn_qe._entanglement import surrogate_profiles
from sklearn_qe._testing import explicit_tensor_entanglement, naive_entanglement


def _explicit_profile(X, weights, tree, levels, theta):
    return {
        level: np.array(
            [
                [explicit_tensor_entanglement(X, w, block, theta) for w in weights]
                for block in tree.partitions(level)
            ]
        )
        for level in levels
    }


@pytest.mark.parametrize("theta", [0.085, 0.5, 1.0, 2.5])
@pytest.mark.parametrize("labels", [None, 2, 3])
@pytest.mark.parametrize("n_features, n_samples", [(2, 5), (5, 9), (7, 40), (10, 30)])
def test_1d_profile_equals_explicit_tensor(theta, labels, n_features, n_samples):
    rng = np.random.default_rng(n_features * 100 + n_samples)
    X = rng.standard_normal((n_samples, n_features)) * 2
    y = None if labels is None else rng.integers(0, labels, n_samples)
    _, weights = label_weights(y, n_samples)
    tree = canonical_tree(n_features)
    levels = range(1, tree.n_levels + 1)
    got = entanglement_profile(X, weights, tree, levels, theta)
    expected = _explicit_profile(X, weights, tree, levels, theta)
    for level in levels:
        np.testing.assert_allclose(got[level], expected[level], rtol=0, atol=1e-10)


@pytest.mark.parametrize("shape", [None, (4, 4), (4, 3)])
@pytest.mark.parametrize("labels", [None, 3])
def test_shifted_profile_equals_explicit_tensor(shape, labels):
    """Each shifted block is the window of children it says, and its QE is exact."""
    n_features = 11 if shape is None else shape[0] * shape[1]
    rng = np.random.default_rng(n_features)
    X = rng.uniform(-2, 2, size=(30, n_features))
    y = None if labels is None else rng.integers(0, labels, 30)
    _, weights = label_weights(y, 30)
    tree = canonical_tree(n_features, shape=shape)
    levels = range(1, tree.n_levels + 1)
    got = shifted_entanglement_profile(X, weights, tree, levels, theta=1.0)
    for level in levels:
        blocks = [
            np.concatenate([tree.blocks[level + 1][i] for i in window])
            for window in tree.shifted_partitions(level)
        ]
        expected = np.array(
            [[explicit_tensor_entanglement(X, w, block, 1.0) for w in weights] for block in blocks]
        ).reshape(-1, len(weights))
        np.testing.assert_allclose(got[level], expected, rtol=0, atol=1e-10)
    assert len(got[tree.n_levels]) == 0  # nothing deeper to shift by


def test_shifted_blocks_straddle_the_seams():
    tree = canonical_tree(16)
    shifted = [
        np.concatenate([tree.blocks[3][i] for i in w]).tolist() for w in tree.shifted_partitions(2)
    ]
    assert shifted == [[2, 3, 4, 5], [6, 7, 8, 9], [10, 11, 12, 13]]
    grid = canonical_tree(16, shape=(4, 4))
    shifted = sorted(
        sorted(np.concatenate([grid.blocks[2][i] for i in w]).tolist())
        for w in grid.shifted_partitions(1)
    )
    assert shifted == [[1, 2, 5, 6], [4, 5, 8, 9], [5, 6, 9, 10], [6, 7, 10, 11], [9, 10, 13, 14]]


@pytest.mark.parametrize("theta", [0.085, 1.0, 3.0])
@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (2, 5), (4, 3)])
@pytest.mark.parametrize("labelled", [False, True])
def test_2d_profile_equals_explicit_tensor(theta, shape, labelled):
    n_features = shape[0] * shape[1]
    rng = np.random.default_rng(n_features)
    X = rng.uniform(-2, 2, size=(25, n_features))
    y = rng.integers(0, 2, 25) if labelled else None
    _, weights = label_weights(y, 25)
    tree = canonical_tree(n_features, shape=shape)
    levels = range(1, tree.n_levels + 1)
    got = entanglement_profile(X, weights, tree, levels, theta)
    expected = _explicit_profile(X, weights, tree, levels, theta)
    for level in levels:
        np.testing.assert_allclose(got[level], expected[level], rtol=0, atol=1e-10)


def test_single_partition_any_block_and_continuous_weights():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((20, 9))
    for block in ([0], [8], [1, 4, 7], [0, 2, 3, 5, 6, 8]):
        for y in (None, rng.integers(0, 4, 20)):
            _, weights = label_weights(y, 20)
            expected = [explicit_tensor_entanglement(X, w, block, 0.7) for w in weights]
            got = entanglement_entropy(X, y, block=block, theta=0.7, average=False)
            np.testing.assert_allclose(got, expected, atol=1e-10)
            assert entanglement_entropy(X, y, block=block, theta=0.7) == pytest.approx(np.mean(got))
    # A continuous target weights the samples by its values.
    weights = rng.standard_normal((1, 20))
    tree = canonical_tree(9)
    got = entanglement_profile(X, weights, tree, [1, 2], 0.7)
    expected = _explicit_profile(X, weights, tree, [1, 2], 0.7)
    for level in (1, 2):
        np.testing.assert_allclose(got[level], expected[level], atol=1e-10)


def test_singular_grams_use_eigendecomposition():
    # Duplicated samples make every Gram singular, so Cholesky fails and the
    # eigendecomposition path is taken; both sides have 2**6 > M rows.
    rng = np.random.default_rng(5)
    X = np.repeat(rng.standard_normal((12, 12)), 3, axis=0)
    y = np.repeat(rng.integers(0, 3, 12), 3)
    _, weights = label_weights(y, len(X))
    tree = canonical_tree(12, max_level=1)
    got = entanglement_profile(X, weights, tree, [1], 1.0)[1][0]
    expected = [explicit_tensor_entanglement(X, w, np.arange(6), 1.0) for w in weights]
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_matches_naive_gram_method_at_moderate_size():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 300))
    y = rng.integers(0, 3, 60)
    _, weights = label_weights(y, 60)
    tree = canonical_tree(300, max_level=3)
    got = entanglement_profile(X, weights, tree, [1, 2, 3], 0.3)
    for level in (1, 2, 3):
        for block, row in zip(tree.partitions(level), got[level]):
            expected = [naive_entanglement(X, w, block, 0.3) for w in weights]
            np.testing.assert_allclose(row, expected, atol=1e-9)


def test_product_tensors_have_zero_entanglement():
    rng = np.random.default_rng(1)
    # Identical samples: A is a single product of embeddings.
    X = np.tile(rng.standard_normal(8), (10, 1))
    assert entanglement_entropy(X, block=[0, 1, 2, 3]) == 0.0
    # All combinations of 3 values of K with 4 values of K^c, uniform weights:
    # A = (sum over K's values) (x) (sum over K^c's values).
    left, right = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
    X = np.array([np.concatenate([a, b]) for a in left for b in right])
    assert entanglement_entropy(X, block=[0, 1], theta=1.3) == pytest.approx(0, abs=1e-12)
    assert entanglement_entropy(X, block=[0, 2], theta=1.3) > 0.01


def test_no_underflow_with_thousands_of_features():
    # Off-diagonal Gram entries are products of ~2000 cosines (about exp(-1400): zero in
    # linear space) while duplicated samples keep exact ones: the Gram of every block is
    # block-diagonal with 4 blocks of ones, so QE is exactly ln 4.
    rng = np.random.default_rng(2)
    X = np.repeat(rng.standard_normal((4, 4096)), 2, axis=0)
    tree = canonical_tree(4096, max_level=2)
    profile = entanglement_profile(X, np.ones((1, 8)), tree, [1, 2], 0.5)
    for level in (1, 2):
        np.testing.assert_allclose(profile[level], np.log(4), atol=1e-12)


def test_sparse_complement_grams_of_small_blocks_equal_the_dense_ones(monkeypatch):
    # 512 features with theta = 1: most entries of the full Gram are products of hundreds of
    # cosines, so the deep levels' complement Grams are kept sparse; forcing them dense
    # must give the same numbers, for the canonical partitions and the shifted blocks. Each
    # sample has a twin, off by half a period (cos = -1) in three features and by a little
    # elsewhere: the twins' Gram entries are far from negligible, some of them negative.
    rng = np.random.default_rng(5)
    first = rng.standard_normal((20, 512))
    twins = first + 0.01 * rng.standard_normal((20, 512))
    twins[:, [3, 100, 400]] += 1.0
    X = np.vstack([first, twins])
    _, weights = label_weights(rng.integers(0, 3, 40), 40)
    tree = canonical_tree(512)
    levels = list(range(1, tree.n_levels + 1))
    cos, sin = _entanglement._embedding(X, 1.0)
    full = _entanglement._log_gram(cos, sin, np.arange(512))
    assert _entanglement._complement_pattern(full) is not None
    kept_sparse = [
        entanglement_profile(X, weights, tree, levels, 1.0),
        shifted_entanglement_profile(X, weights, tree, levels, 1.0),
    ]
    monkeypatch.setattr(_entanglement, "_PATTERN_DENSITY", -1.0)
    made_dense = [
        entanglement_profile(X, weights, tree, levels, 1.0),
        shifted_entanglement_profile(X, weights, tree, levels, 1.0),
    ]
    for got, expected in zip(kept_sparse, made_dense):
        for level in levels:
            np.testing.assert_allclose(got[level], expected[level], rtol=1e-12, atol=1e-12)


def test_parallel_threads_give_the_same_numbers():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((70, 40))
    _, weights = label_weights(rng.integers(0, 3, 70), 70)
    tree = canonical_tree(40, max_level=4)
    sequential = entanglement_profile(X, weights, tree, [1, 2, 3, 4], 0.3)
    parallel = entanglement_profile(X, weights, tree, [1, 2, 3, 4], 0.3, n_jobs=2)
    for level in sequential:
        # Equal up to rounding: BLAS called from two threads may block its sums differently.
        np.testing.assert_allclose(sequential[level], parallel[level], rtol=0, atol=1e-12)


def _direct_se(X, block):
    n_features = X.shape[1]
    # Correlation is scale invariant; rescaling keeps corrcoef's variances from underflowing.
    X = X / np.maximum(np.abs(X).max(axis=0), np.finfo(np.float64).tiny)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.nan_to_num(np.abs(np.corrcoef(X, rowvar=False)), nan=0.0)
    # Constant features correlate 0 (corrcoef leaves rounding noise or NaN there).
    constant = np.ptp(X, axis=0) == 0
    rho[constant, :] = rho[:, constant] = 0.0
    return sum(rho[a, b] for a in block for b in range(n_features) if b not in block)


@pytest.mark.parametrize("shape", [None, (4, 5)])
def test_surrogate_equals_direct_double_loop(shape):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((30, 20)) @ rng.standard_normal((20, 20))
    X[:, 3] = 1.7  # a constant feature correlates 0 with everything
    tree = canonical_tree(20, shape=shape)
    levels = range(1, tree.n_levels + 1)
    se = surrogate_entanglement(X, tree, levels, chunk_size=7)
    for level in levels:
        expected = [_direct_se(X, block) for block in tree.partitions(level)]
        np.testing.assert_allclose(se[level], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [None, (6, 6)])
def test_surrogate_profiles_of_several_orders_are_those_of_the_permuted_data(shape):
    rng = np.random.default_rng(8)
    X = np.cumsum(rng.standard_normal((40, 36)), axis=1)
    tree = canonical_tree(36, shape=shape)
    levels = range(1, tree.n_levels + 1)
    orders = [None, rng.permutation(36), rng.permutation(36)]
    profiles = surrogate_profiles(standardized_columns(X), tree, levels, orders, chunk_size=5)
    for order, profile in zip(orders, profiles):
        expected = surrogate_entanglement(X if order is None else X[:, order], tree, levels)
        for level in levels:
            np.testing.assert_allclose(profile[level], expected[level], rtol=1e-12)


def test_label_weights():
    assert label_weights(None, 3)[1].tolist() == [[1, 1, 1]]
    assert label_weights([5, 5, 5], 3)[1].tolist() == [[1, 1, 1]]
    classes, weights = label_weights([2, 0, 1, 0], 4)
    assert classes.tolist() == [0, 1, 2]
    assert weights.tolist() == [[-1, 1, -1, 1], [-1, -1, 1, -1], [1, -1, -1, -1]]


@pytest.mark.parametrize(
    "X, y, block, theta, error, message",
    [
        # X is read by scikit-learn's check_array, as the estimators read it.
        ([[1.0, np.nan], [2.0, 3.0]], None, [0], 1.0, ValueError, "X contains NaN"),
        ([["a", "b"], ["c", "d"]], None, [0], 1.0, ValueError, "strings"),
        (np.zeros((0, 3)), None, [0], 1.0, ValueError, r"shape \(0, 3\)"),
        (np.zeros(3), None, [0], 1.0, ValueError, "2-D"),
        (np.zeros((3, 3)), None, [0, 1, 2], 1.0, ValueError, "proper subset"),
        (np.zeros((3, 3)), None, [5], 1.0, ValueError, "proper subset"),
        (
            np.zeros((3, 3)),
            None,
            [0],
            0.0,
            ValueError,
            r"'theta' parameter .* must be a float in the range \(0.0,",
        ),
        (np.zeros((3, 3)), None, [0.0], 1.0, TypeError, "integer feature indices"),
        (np.zeros((3, 3)), None, [True, False, False], 1.0, TypeError, "flatnonzero"),
        (np.zeros((3, 3)), [0, 1], [0], 1.0, ValueError, "y has 2 values"),
        (np.zeros((3, 3)), [0, np.nan, 1.5], [0], 1.0, ValueError, "y contains NaN"),
        (sparse.csr_array(np.eye(3)), None, [0], 1.0, TypeError, "sparse"),
    ],
)
def test_entanglement_entropy_bad_input(X, y, block, theta, error, message):
    with pytest.raises(error, match=message):
        entanglement_entropy(X, y, block=block, theta=theta)


def test_public_functions_validate_their_arguments():
    X = np.random.default_rng(0).standard_normal((10, 8))
    tree = canonical_tree(8)
    weights = np.ones((1, 10))
    with pytest.raises(ValueError, match="NaN"):
        abs_correlation(np.where(X > 1, np.nan, X))
    with pytest.raises(ValueError, match=r"'n_neighbors' parameter .* range \[1, inf\) or None"):
        abs_correlation_graph(X, n_neighbors=0)
    with pytest.raises(TypeError, match="'n_neighbors' parameter .* must be an int"):
        abs_correlation_graph(X, n_neighbors=2.5)
    with pytest.raises(ValueError, match="y has 3 values, but X has 5 samples"):
        label_weights([0, 1, 0], 5)
    with pytest.raises(ValueError, match=r"weights must have shape \(n_tensors, 10\)"):
        entanglement_profile(X, np.ones((1, 9)), tree, [1], theta=1.0)
    with pytest.raises(ValueError, match="NaN"):
        entanglement_profile(np.where(X > 1, np.nan, X), weights, tree, [1], theta=1.0)
    with pytest.raises(ValueError, match="levels 1 to 3"):
        shifted_entanglement_profile(X, weights, tree, [4], theta=1.0)
    with pytest.raises(TypeError, match="each level must be an int in the range .* got 1.5"):
        surrogate_entanglement(X, tree, [1.5])
    with pytest.raises(ValueError, match="tree covers 8 features, but X has 7"):
        surrogate_entanglement(X[:, :7], tree, [1])
    with pytest.raises(TypeError, match="'n_features' parameter .* must be an int"):
        canonical_tree(8.0)
    with pytest.raises(ValueError, match=r"shape must be a pair \(H, W\)"):
        canonical_tree(8, shape=(2, 4, 1))


def test_continuous_target_means_sample_weights_everywhere():
    """entanglement_entropy reads y as the meter does: non-integer floats weigh the samples."""
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((40, 6)), rng.standard_normal(40)
    tree = canonical_tree(6)
    expected = entanglement_profile(X, y[None], tree, [1], theta=0.5)[1][0, 0]
    assert entanglement_entropy(X, y, block=tree.blocks[1][0], theta=0.5) == pytest.approx(expected)
    # Whole-number floats are class labels, as in scikit-learn's type_of_target.
    labels = rng.integers(0, 2, 40).astype(float)
    _, label_tensor = label_weights(labels, 40)
    assert entanglement_entropy(X, labels, block=[0, 1, 2], theta=0.5) == pytest.approx(
        entanglement_profile(X, label_tensor, tree, [1], theta=0.5)[1][0, 0]
    )


def test_zero_tensor_is_reported():
    # Two identical samples with opposite labels cancel: the data tensor is zero.
    X = np.ones((2, 4))
    with pytest.raises(ValueError, match="tensor cancels out"):
        entanglement_entropy(X, [0, 1], block=[0, 1])


def test_nearly_cancelling_tensor_is_reported_not_measured():
    """Duplicated samples with opposite labels, one entry moved by 1e-9: the exact QE is ~0,
    but float64 keeps no digit of the tensor; the meter and the function both refuse."""
    X = np.random.default_rng(0).standard_normal((20, 6))
    X = np.vstack([X, X])
    X[0, 0] += 1e-9
    y = np.repeat([0, 1], 20)
    with pytest.raises(ValueError, match="cancels out"):
        entanglement_entropy(X, y, block=[0, 1, 2])
    with pytest.raises(ValueError, match="cancels out"):
        EntanglementMeter().fit(X, y)


small_data = st.integers(2, 7).flatmap(
    lambda n_features: st.tuples(
        arrays(
            np.float64,
            st.tuples(st.integers(1, 12), st.just(n_features)),
            elements=st.floats(-3, 3, allow_nan=False),
        ),
        st.lists(st.integers(0, n_features - 1), min_size=1, max_size=n_features - 1, unique=True),
        st.floats(0.01, 3.0),
    )
)


@settings(max_examples=60, deadline=None)
@given(small_data)
def test_property_exact_and_bounded(data):
    X, block, theta = data
    n_samples, n_features = X.shape
    qe = entanglement_entropy(X, block=block, theta=theta)
    bound = np.log(min(n_samples, 2 ** len(block), 2 ** (n_features - len(block))))
    assert -1e-12 <= qe <= bound + 1e-9
    expected = explicit_tensor_entanglement(X, np.ones(n_samples), block, theta)
    assert qe == pytest.approx(expected, abs=1e-9)
    # The order of the samples and the sign of the labels do not matter.
    order = np.random.default_rng(0).permutation(n_samples)
    assert entanglement_entropy(X[order], block=block, theta=theta) == pytest.approx(qe, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 15), st.integers(2, 12)),
        elements=st.floats(-5, 5, allow_nan=False),
    )
)
def test_property_surrogate(X):
    tree = canonical_tree(X.shape[1])
    se = surrogate_entanglement(X, tree, [1])[1]
    assert se.shape == (1,) and se[0] >= 0
    assert se[0] == pytest.approx(_direct_se(X, tree.partitions(1)[0]), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda X: entanglement_entropy(X, block=[0], average="no"), TypeError, "average"),
        (lambda X: entanglement_entropy(X, block=[0], target="bogus"), ValueError, "target"),
        # Complex labels were read as 40 classes.
        (lambda X: entanglement_entropy(X, np.arange(40) + 1j, block=[0]), TypeError, "^y "),
        (lambda X: abs_correlation_graph(X[:, :1], n_neighbors=2), ValueError, "2 feature"),
        (lambda X: abs_correlation(X[:, :1]), ValueError, "2 feature"),
        (lambda X: label_weights(None, -1), ValueError, "n_samples"),
        (lambda X: label_weights(None, True), TypeError, "n_samples"),
        (
            lambda X: entanglement_profile(
                X, np.ones((1, 40)), canonical_tree(6), [1], 0.5, n_jobs="a"
            ),
            TypeError,
            "n_jobs",
        ),
        (
            lambda X: shifted_entanglement_profile(X, np.ones((1, 40)), "x", [1], 0.5),
            TypeError,
            "tree",
        ),
        (
            lambda X: entanglement_profile(X, np.ones((1, 40)), canonical_tree(6), [True], 0.5),
            TypeError,
            "each level",
        ),
        (
            lambda X: entanglement_profile(
                X, np.ones((1, 40)), canonical_tree(6), [1], 0.5, progress="x"
            ),
            TypeError,
            "progress",
        ),
    ],
)
def test_bad_arguments_name_themselves(call, error, message):
    """Each used to crash deep in numpy or joblib, or to be read as something else."""
    X = np.random.default_rng(0).standard_normal((40, 6))
    with pytest.raises(error, match=message):
        call(X)


@pytest.mark.parametrize("scale", [1e-160, 1e-100, 1e100, 1e200])
def test_qe_does_not_depend_on_the_scale_of_y(scale):
    """y * 1e-160 lost digits to subnormal squares and y * 1e200 overflowed them into a
    'tensor cancels out' refusal: the tensor's scale does not change its QE."""
    rng = np.random.default_rng(0)
    X, v = rng.standard_normal((40, 6)), rng.standard_normal(40)
    expected = entanglement_entropy(X, v, block=[0, 1, 2])
    assert entanglement_entropy(X, v * scale, block=[0, 1, 2]) == pytest.approx(expected, rel=1e-9)
    tree = canonical_tree(6)
    profile = entanglement_profile(X, v[None] * scale, tree, [1, 2], theta=0.085)
    reference = entanglement_profile(X, v[None], tree, [1, 2], theta=0.085)
    for level in (1, 2):
        np.testing.assert_allclose(profile[level], reference[level], rtol=1e-9)


def test_numeric_dataframes_of_any_dtypes_are_read_as_the_estimators_read_them():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4))
    frame = pd.DataFrame(
        {
            "float": X[:, 0],
            "int": np.round(X[:, 1]).astype(int),
            "bool": X[:, 2] > 0,
            "nullable": pd.array(X[:, 3], dtype="Float64"),
        }
    )
    dense = frame.to_numpy(dtype=np.float64)
    np.testing.assert_allclose(abs_correlation(frame), abs_correlation(dense))
    np.testing.assert_allclose(
        abs_correlation_graph(frame, n_neighbors=2).toarray(),
        abs_correlation_graph(dense, n_neighbors=2).toarray(),
    )
    assert entanglement_entropy(frame, block=[0, 1]) == pytest.approx(
        entanglement_entropy(dense, block=[0, 1])
    )
    assert EntanglementMeter(levels=1).fit(frame).entanglement_[0] == pytest.approx(
        entanglement_entropy(dense, block=[0, 1])
    )
    # Missing values and strings are still refused, naming X.
    frame.loc[0, "nullable"] = pd.NA
    with pytest.raises(ValueError, match="X contains NaN"):
        entanglement_entropy(frame, block=[0, 1])
    with pytest.raises(ValueError, match="string"):
        abs_correlation(np.array([["1.5", "2"], ["3", "4"]]))


@pytest.mark.parametrize(
    "call, error, message",
    [
        # Found by tests/test_properties.py.
        (
            lambda X: entanglement_entropy(X, block=[0], theta=10**400),
            ValueError,
            r"'theta' parameter .* range \(0.0, 1.797.*e\+308\]. Got 1000",
        ),
        (lambda X: entanglement_entropy([["a", "b"]], block=[0]), ValueError, "^X must be numeric"),
        (
            lambda X: label_weights(None, 10**20),
            ValueError,
            r"'n_samples' parameter .* 9223372036854775807\]",
        ),
        (
            lambda X: canonical_tree(10**20),
            ValueError,
            r"'n_features' parameter .* 9223372036854775807\]",
        ),
    ],
)
def test_arguments_found_by_the_property_tests(call, error, message):
    X = np.random.default_rng(0).standard_normal((10, 6))
    with pytest.raises(error, match=message):
        call(X)


def test_an_int_theta_beyond_int64_is_a_theta():
    """np.isfinite(10**21) raised a TypeError naming nothing."""
    X = np.random.default_rng(0).standard_normal((10, 6))
    assert np.isfinite(entanglement_entropy(X, block=[0], theta=10**21))


def test_more_threads_than_cores_are_the_cores():
    """n_jobs=10**20 reached joblib, which refused it without naming it."""
    X = np.random.default_rng(0).standard_normal((10, 6))
    tree, weights = canonical_tree(6), np.ones((1, 10))
    expected = entanglement_profile(X, weights, tree, [1, 2], theta=0.5)
    got = entanglement_profile(X, weights, tree, [1, 2], theta=0.5, n_jobs=10**20)
    for level in (1, 2):
        np.testing.assert_allclose(got[level], expected[level], rtol=1e-12)


@pytest.mark.parametrize(
    "labels, kinds",
    [([1, "a"], "['number', 'str']"), ([1.5, None], "['NoneType', 'number']")],
)
def test_labels_of_mixed_types_are_refused_by_name(labels, kinds):
    X = np.random.default_rng(0).standard_normal((20, 4))
    y = np.array(labels * 10, dtype=object)
    message = f"y must hold labels that are all strings or all numbers, got {kinds}."
    with pytest.raises(TypeError, match=re.escape(message)):
        entanglement_entropy(X, y, block=[0, 1])
    with pytest.raises(TypeError, match=re.escape(message)):
        EntanglementMeter(max_samples=20).fit(X, y)
    numbers = entanglement_entropy(X, np.array([1, 2] * 10, dtype=object), block=[0, 1])
    assert numbers == pytest.approx(entanglement_entropy(X, np.array([1, 2] * 10), block=[0, 1]))
