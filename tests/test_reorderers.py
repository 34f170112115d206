import pickle

import numpy as np
import pandas as pd
import pytest
from bad_inputs import COMMON_BAD_INPUTS
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from sklearn_qe import (
    EntanglementMeter,
    EntanglementReorderer,
    IGTDReorderer,
    abs_correlation,
    abs_correlation_graph,
    canonical_tree,
)
from sklearn_qe._correlation import standardized_columns
from sklearn_qe._cut_tree import _repair_balance, cut_tree_order
from sklearn_qe._igtd import _pair_ranks, feature_distances, igtd_order, position_distances
from sklearn_qe._leaf_ordering import adjacent_similarity


@pytest.fixture(scope="module")
def permuted_smooth(random_walks):
    X = random_walks(400, 64, seed=0)
    return X[:, np.random.default_rng(1).permutation(X.shape[1])]


@pytest.fixture(scope="module")
def permuted_digits(digits):
    X, y = digits
    X = StandardScaler().fit_transform(X[:600])
    return X[:, np.random.default_rng(2).permutation(64)], y[:600]


REORDERERS = [
    lambda **kw: EntanglementReorderer(**kw),
    lambda **kw: EntanglementReorderer(n_neighbors=8, **kw),
    lambda **kw: EntanglementReorderer(method="cuts", random_state=0, **kw),
    lambda **kw: EntanglementReorderer(method="cuts", random_state=0, n_neighbors=8, **kw),
    lambda **kw: IGTDReorderer(max_steps=300, **kw),
]


@pytest.mark.parametrize("make", REORDERERS)
@pytest.mark.parametrize("shape", [None, (8, 8)])
def test_permutation_invariants(make, shape, permuted_smooth):
    X = permuted_smooth
    reorderer = make(shape=shape).fit(X)
    perm = reorderer.permutation_
    np.testing.assert_array_equal(np.sort(perm), np.arange(X.shape[1]))
    Xt = reorderer.transform(X)
    np.testing.assert_array_equal(Xt, X[:, perm])
    np.testing.assert_array_equal(reorderer.inverse_transform(Xt), X)
    np.testing.assert_array_equal(reorderer.fit_transform(X), Xt)


def test_same_random_state_same_order(permuted_smooth):
    a = EntanglementReorderer(method="cuts", random_state=3).fit(permuted_smooth).permutation_
    b = EntanglementReorderer(method="cuts", random_state=3).fit(permuted_smooth).permutation_
    np.testing.assert_array_equal(a, b)
    c = IGTDReorderer(max_steps=100).fit(permuted_smooth).permutation_
    d = IGTDReorderer(max_steps=100).fit(permuted_smooth).permutation_
    np.testing.assert_array_equal(c, d)


@pytest.mark.parametrize("make", REORDERERS)
@pytest.mark.parametrize("shape", [None, (8, 8)])
def test_same_order_whatever_the_memory_layout(make, shape, random_walks):
    """C order, Fortran order and a DataFrame of the same data give the same permutation.

    (On another machine, 4 of 20 random inputs gave a mirrored order in Fortran order: sums
    in another order broke a tie the other way. Fits now copy X to C order, and the leaf
    ordering breaks near-ties by position.)
    """
    for seed in range(3):
        X = random_walks(120, 64, seed=seed)[:, np.random.default_rng(seed).permutation(64)]
        expected = make(shape=shape).fit(X).permutation_
        for layout in (np.asfortranarray(X), pd.DataFrame(X), X[::-1][::-1]):
            np.testing.assert_array_equal(make(shape=shape).fit(layout).permutation_, expected)


def test_entanglement_reorderer_lowers_se_and_qe_on_a_smooth_process(permuted_smooth):
    X = permuted_smooth
    reorderer = EntanglementReorderer(random_state=0).fit(X)
    # The deepest level's blocks are single features: their mean SE is the same in any order.
    before, after = reorderer.surrogate_entanglement_before_, reorderer.surrogate_entanglement_
    assert np.all(after[:-1] < before[:-1]) and after[-1] == pytest.approx(before[-1])
    Xs = StandardScaler().fit_transform(X)
    random = EntanglementMeter(levels=4, baseline=False).fit(Xs)
    reordered = EntanglementMeter(levels=4, baseline=False).fit(reorderer.transform(Xs))
    assert reordered.entanglement_.mean() < random.entanglement_.mean()


def test_entanglement_reorderer_lowers_se_and_qe_on_digits(permuted_digits):
    X, y = permuted_digits
    reorderer = EntanglementReorderer(shape=(8, 8), random_state=0).fit(X)
    # Level 3 blocks are single pixels: their SE is the same in any order.
    before, after = reorderer.surrogate_entanglement_before_, reorderer.surrogate_entanglement_
    assert np.all(after[:2] < before[:2]) and after[2] == pytest.approx(before[2])
    meter = EntanglementMeter(shape=(8, 8), levels=2, baseline=False)
    random = clone(meter).fit(X, y)
    reordered = clone(meter).fit(reorderer.transform(X), y)
    assert reordered.entanglement_.mean() < random.entanglement_.mean()


def test_planted_blocks_become_canonical_blocks():
    # Four groups of 6 features, strongly correlated within a group and independent across:
    # the cut tree must make each group one canonical block of level 2.
    rng = np.random.default_rng(0)
    sources = rng.standard_normal((500, 4))
    X = np.repeat(sources, 6, axis=1) + 0.3 * rng.standard_normal((500, 24))
    X = X[:, rng.permutation(24)]
    group = np.argmax(np.abs(abs_correlation(np.column_stack([X, sources]))[:24, 24:]), axis=1)
    for shape in (None, (4, 6)):
        perm = EntanglementReorderer(shape=shape, random_state=0).fit(X).permutation_
        tree = canonical_tree(24, shape=shape)
        level = 2 if shape is None else 1
        for block in tree.blocks[level]:
            assert len(set(group[perm[block]])) == 1


@pytest.mark.parametrize("n_vertices, target", [(10, [5, 5]), (11, [6, 5]), (13, [4, 3, 3, 3])])
def test_repair_balance_reaches_exact_sizes(n_vertices, target):
    rng = np.random.default_rng(n_vertices)
    weights = rng.uniform(size=(n_vertices, n_vertices))
    graph = np.triu(weights, 1) + np.triu(weights, 1).T
    parts = np.zeros(n_vertices, dtype=np.intp)  # everything in one part, as METIS may do
    repaired = _repair_balance(graph, parts.copy(), target)
    np.testing.assert_array_equal(np.bincount(repaired, minlength=len(target)), target)
    again = _repair_balance(sparse.csr_array(graph), parts.copy(), target)
    np.testing.assert_array_equal(repaired, again)


@pytest.mark.parametrize("n_features, shape", [(37, None), (100, None), (35, (5, 7)), (64, (8, 8))])
def test_cut_parts_are_balanced_at_every_node(n_features, shape, monkeypatch):
    # Record every cut's part sizes: they must be the canonical children's sizes.
    from sklearn_qe import _cut_tree

    seen = []
    original = _cut_tree._balanced_parts

    def recording(graph, target_sizes, seed, n_cuts):
        parts = original(graph, target_sizes, seed, n_cuts)
        seen.append((np.bincount(parts, minlength=len(target_sizes)).tolist(), list(target_sizes)))
        return parts

    monkeypatch.setattr(_cut_tree, "_balanced_parts", recording)
    X = np.random.default_rng(0).standard_normal((50, n_features))
    order = cut_tree_order(abs_correlation_graph(X), shape=shape)
    np.testing.assert_array_equal(np.sort(order), np.arange(n_features))
    assert seen and all(sizes == target for sizes, target in seen)
    if shape is None:
        assert all(max(sizes) - min(sizes) <= 1 for sizes, _ in seen)


def test_correlation_graph_keeps_strongest_neighbours(random_walks):
    X = random_walks(200, 50, seed=0) + np.random.default_rng(0).standard_normal((200, 50))
    dense = abs_correlation(X)
    graph = abs_correlation_graph(X, n_neighbors=4, chunk_size=7).toarray()
    np.testing.assert_allclose(graph, graph.T)
    assert np.all(np.diag(graph) == 0)
    kept = graph > 0
    for n in range(50):
        strongest = np.argsort(dense[n])[-4:]
        assert kept[n, strongest].all()
    np.testing.assert_allclose(graph[kept], dense[kept])
    # Each feature kept 4 edges; symmetrising can only add edges that the other end kept.
    assert np.all(kept.sum(axis=1) >= 4)
    np.testing.assert_allclose(abs_correlation_graph(X).toarray(), dense)


def reference_neighbours(X, k):
    """Each feature's k largest |rho| in float64, ties to the smaller index, zeros dropped,
    symmetrised: the graph written plainly."""
    rho = abs_correlation(X)
    graph = np.zeros_like(rho)
    for row in range(len(rho)):
        others = [c for c in np.lexsort((np.arange(len(rho)), -rho[row])) if c != row][:k]
        graph[row, others] = rho[row, others]
    return np.maximum(graph, graph.T)


@pytest.mark.parametrize("chunk_size", [1, 7, 1024])
def test_nearest_neighbours_are_exact_with_ties(chunk_size, random_walks):
    """Exact ties (duplicated columns), near-ties below float32's resolution (columns that
    differ by 1e-9) and constant columns: float32 cannot order these, so those rows are
    recomputed in float64 and the graph is the plain float64 one, whatever the chunks."""
    rng = np.random.default_rng(0)
    X = random_walks(120, 40, seed=0) + rng.standard_normal((120, 40))
    X[:, 5] = X[:, 6] = X[:, 7]  # exact ties
    X[:, 20] = X[:, 21] + 1e-9 * rng.standard_normal(120)  # near-ties
    X[:, 30] = 2.0  # constant: correlates 0 with everything, no edge
    for k in (1, 3, 39, 50):
        graph = abs_correlation_graph(X, n_neighbors=k, chunk_size=chunk_size).toarray()
        np.testing.assert_allclose(graph, reference_neighbours(X, k), rtol=0, atol=1e-12)
    # Every pair within float32's resolution of every other, so every row is recomputed in
    # float64; which of the (rounding-level) ties it keeps is not asserted, only that each
    # row keeps k edges of the largest |rho| with their float64 weights.
    near = X[:, :1] + 1e-6 * rng.standard_normal((120, 30))
    rho = abs_correlation(near)
    for k in (2, 5):
        graph = abs_correlation_graph(near, n_neighbors=k, chunk_size=chunk_size).toarray()
        kept = graph > 0
        assert np.all(kept.sum(axis=1) >= k)
        np.testing.assert_allclose(graph[kept], rho[kept], rtol=0, atol=1e-12)
        own = [np.sort(graph[row][graph[row] > 0])[-k:] for row in range(30)]
        best = np.sort(rho, axis=1)[:, -k:]
        np.testing.assert_allclose(own, best, rtol=0, atol=1e-12)


def test_nearest_neighbours_in_parallel_are_the_same(random_walks):
    X = random_walks(100, 90, seed=0) + np.random.default_rng(1).standard_normal((100, 90))
    serial = abs_correlation_graph(X, n_neighbors=5, chunk_size=16)
    parallel = abs_correlation_graph(X, n_neighbors=5, chunk_size=16, n_jobs=2)
    assert (serial != parallel).nnz == 0


def test_auto_neighbours_is_dense_up_to_its_limit_then_sparse(monkeypatch, random_walks):
    from sklearn_qe import _reorderers

    asked = []

    def recording(X, n_neighbors=None, **kwargs):
        asked.append(n_neighbors)
        return abs_correlation_graph(X, n_neighbors=n_neighbors, **kwargs)

    monkeypatch.setattr(_reorderers, "abs_correlation_graph", recording)
    X = random_walks(100, 40, seed=0) + np.random.default_rng(2).standard_normal((100, 40))
    for limit, expected in ((40, None), (39, 16)):
        monkeypatch.setattr(EntanglementReorderer, "_auto_dense_features", limit)
        for method in ("seriation", "cuts"):
            EntanglementReorderer(method=method, random_state=0).fit(X)
            assert asked.pop() == expected


def test_feature_names_and_pandas_output(permuted_digits):
    X, _ = permuted_digits
    names = [f"px{i}" for i in range(64)]
    frame = pd.DataFrame(X, columns=names)
    for reorderer in (
        EntanglementReorderer(shape=(8, 8), random_state=0),
        IGTDReorderer(max_steps=50),
    ):
        reorderer.set_output(transform="pandas").fit(frame)
        expected = np.array(names)[reorderer.permutation_]
        np.testing.assert_array_equal(reorderer.get_feature_names_out(), expected)
        out = reorderer.transform(frame)
        assert isinstance(out, pd.DataFrame)
        assert list(out.columns) == list(expected)
        np.testing.assert_array_equal(out.to_numpy(), X[:, reorderer.permutation_])


def test_float32_is_preserved_and_pickle(permuted_smooth):
    X = permuted_smooth.astype(np.float32)
    for reorderer in (EntanglementReorderer(random_state=0), IGTDReorderer(max_steps=50)):
        Xt = reorderer.fit(X).transform(X)
        assert Xt.dtype == np.float32
        assert reorderer.inverse_transform(Xt).dtype == np.float32
        restored = pickle.loads(pickle.dumps(reorderer))
        np.testing.assert_array_equal(restored.transform(X), Xt)


def test_igtd_error_never_increases_and_is_exact(random_walks):
    rng = np.random.default_rng(0)
    X = random_walks(300, 20, seed=0)[:, rng.permutation(20)]
    for shape, error in ((None, "absolute"), ((4, 5), "squared")):
        order, errors = igtd_order(X, shape=shape, error=error, max_steps=200)
        assert np.all(np.diff(errors) <= 0) and errors[-1] < errors[0]
        # The last recorded error is the mismatch of the final placement, by a double loop.
        target = _pair_ranks(feature_distances(X, "pearson"))
        grid = _pair_ranks(position_distances(20, shape))
        position = np.argsort(order)
        mismatch = abs if error == "absolute" else np.square
        direct = sum(
            mismatch(target[i, j] - grid[position[i], position[j]])
            for i in range(20)
            for j in range(i + 1, 20)
        )
        assert errors[-1] == pytest.approx(direct)


def test_igtd_stops_when_converged_and_brings_neighbours_together(permuted_smooth):
    igtd = IGTDReorderer(max_steps=5000, n_steps_no_improvement=50).fit(permuted_smooth)
    assert igtd.n_steps_ < 5000
    rho = abs_correlation(permuted_smooth)
    neighbours = lambda perm: np.mean(rho[perm[:-1], perm[1:]])  # noqa: E731
    assert neighbours(igtd.permutation_) > neighbours(np.arange(64)) + 0.2


def test_verbose_shows_progress(permuted_smooth, capsys):
    EntanglementReorderer(random_state=0).fit(permuted_smooth)
    IGTDReorderer(max_steps=20).fit(permuted_smooth)
    assert capsys.readouterr().err == ""
    EntanglementReorderer(random_state=0, verbose=1).fit(permuted_smooth)
    assert "2/2" in capsys.readouterr().err  # seriation: the starts, then the moves
    EntanglementReorderer(method="cuts", random_state=0, verbose=1).fit(permuted_smooth)
    IGTDReorderer(max_steps=20, verbose=1).fit(permuted_smooth)
    err = capsys.readouterr().err
    assert "EntanglementReorderer" in err and "64/64" in err
    assert "IGTDReorderer" in err


@pytest.mark.parametrize("Reorderer", [EntanglementReorderer, IGTDReorderer])
@pytest.mark.parametrize(
    "X, params, error, message",
    [(X, {}, error, message) for X, error, message in COMMON_BAD_INPUTS]
    + [(np.zeros((5, 6)), {"shape": (2, 2)}, ValueError, "describes 4 features")],
)
def test_bad_input(Reorderer, X, params, error, message):
    with pytest.raises(error, match=message):
        Reorderer(**params).fit(X)


@pytest.mark.parametrize("Reorderer", [EntanglementReorderer, IGTDReorderer])
def test_wrong_width_after_fit(Reorderer, permuted_smooth):
    reorderer = Reorderer().fit(permuted_smooth)
    for method in (reorderer.transform, reorderer.inverse_transform):
        with pytest.raises(ValueError, match="X has 63 features, but .* is expecting 64"):
            method(permuted_smooth[:, :63])


def test_too_many_features_are_refused_with_advice(monkeypatch):
    X = np.random.default_rng(0).standard_normal((10, 30))
    monkeypatch.setattr(EntanglementReorderer, "_max_dense_features", 20)
    with pytest.raises(ValueError, match="pass n_neighbors"):
        EntanglementReorderer(n_neighbors=None).fit(X)
    EntanglementReorderer(n_neighbors=5).fit(X)
    monkeypatch.setattr(IGTDReorderer, "_max_features", 20)
    with pytest.raises(ValueError, match="use EntanglementReorderer for this many features"):
        IGTDReorderer().fit(X)


@pytest.mark.parametrize("shape", [None, (8, 8)])
@pytest.mark.parametrize("data", ["smooth", "noise"])
def test_leaf_ordering_keeps_entanglement_and_raises_neighbour_similarity(
    shape, data, permuted_smooth
):
    X = permuted_smooth
    if data == "noise":
        X = np.random.default_rng(7).standard_normal(X.shape)
    cuts = dict(shape=shape, method="cuts", random_state=0)
    paper = EntanglementReorderer(**cuts, leaf_ordering=None).fit(X)
    oriented = EntanglementReorderer(**cuts).fit(X)
    tree = canonical_tree(X.shape[1], shape=shape)
    for level in tree.blocks:
        assert sorted(tuple(sorted(paper.permutation_[b])) for b in level) == sorted(
            tuple(sorted(oriented.permutation_[b])) for b in level
        )
    meter = EntanglementMeter(shape=shape, baseline=False)
    np.testing.assert_allclose(
        meter.fit(paper.transform(X)).entanglement_,
        meter.fit(oriented.transform(X)).entanglement_,
        rtol=0,
        atol=1e-10,
    )
    Z = standardized_columns(X)
    assert adjacent_similarity(Z, oriented.permutation_, shape) >= adjacent_similarity(
        Z, paper.permutation_, shape
    )
    if data == "smooth":  # the orientation mends the flips the cuts leave in a random walk
        assert adjacent_similarity(Z, oriented.permutation_, shape) > 1.0 + adjacent_similarity(
            Z, paper.permutation_, shape
        )


@pytest.mark.parametrize(
    "make, too_many",
    [
        (lambda: EntanglementReorderer(method="cuts", n_neighbors=None, random_state=0), 9_000),
        (lambda: IGTDReorderer(max_steps=5), 10_001),
    ],
)
def test_a_refused_refit_leaves_the_reorderer_as_it_was(make, too_many):
    """Fitted on 8 features, refit on too many (refused): still the 8-feature reorderer."""
    X = np.random.default_rng(0).standard_normal((20, 8))
    reorderer = make().fit(X)
    permutation = reorderer.permutation_.copy()
    with pytest.raises(ValueError, match="GB"):
        reorderer.fit(np.random.default_rng(1).standard_normal((3, too_many)))
    assert reorderer.n_features_in_ == 8
    np.testing.assert_array_equal(reorderer.transform(X), X[:, permutation])
    with pytest.raises(ValueError, match="expecting 8 features"):
        reorderer.transform(np.zeros((3, too_many)))


def test_an_interrupted_fit_leaves_the_reorderer_as_it_was(monkeypatch, permuted_smooth):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    reorderer = EntanglementReorderer().fit(permuted_smooth[:, :16])
    monkeypatch.setattr("sklearn_qe._reorderers.seriation_order", interrupt)
    with pytest.raises(KeyboardInterrupt):
        reorderer.fit(permuted_smooth)
    assert reorderer.n_features_in_ == 16 and len(reorderer.permutation_) == 16
    unfitted = EntanglementReorderer()
    with pytest.raises(KeyboardInterrupt):
        unfitted.fit(permuted_smooth)
    with pytest.raises(NotFittedError):
        unfitted.transform(permuted_smooth)


@pytest.mark.parametrize("reorderer", [EntanglementReorderer(random_state=0), IGTDReorderer()])
def test_sparse_input_is_reordered_as_dense_and_stays_sparse(reorderer):
    X = sparse.random(60, 12, density=0.4, format="csr", random_state=0)
    dense = clone(reorderer).fit(X.toarray())
    reorderer = clone(reorderer).fit(X)
    np.testing.assert_array_equal(reorderer.permutation_, dense.permutation_)
    reordered = reorderer.transform(X)
    assert sparse.issparse(reordered)
    np.testing.assert_array_equal(reordered.toarray(), X.toarray()[:, reorderer.permutation_])
    np.testing.assert_array_equal(reorderer.inverse_transform(reordered).toarray(), X.toarray())


@pytest.mark.parametrize(
    "reorderer, name",
    [
        (EntanglementReorderer(method="cuts", n_cuts=True), "n_cuts"),
        (EntanglementReorderer(n_neighbors=True), "n_neighbors"),
        (IGTDReorderer(max_steps=True), "max_steps"),
        (IGTDReorderer(n_steps_no_improvement=True), "n_steps_no_improvement"),
        (IGTDReorderer(min_gain=True), "min_gain"),
    ],
)
def test_booleans_are_not_numbers(reorderer, name):
    """True was accepted as the int 1 (or the float 1.0)."""
    X = np.random.default_rng(0).standard_normal((10, 8))
    with pytest.raises(ValueError, match=f"'{name}' parameter .* Got True"):
        reorderer.fit(X)


def test_n_cuts_fits_metis():
    """n_cuts=10**20 passed the constraints and crashed in pymetis (a C int)."""
    X = np.random.default_rng(0).standard_normal((10, 8))
    with pytest.raises(ValueError, match="'n_cuts' parameter"):
        EntanglementReorderer(method="cuts", n_cuts=10**20).fit(X)
