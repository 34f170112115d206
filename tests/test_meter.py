import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from bad_inputs import COMMON_BAD_INPUTS
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_qe import (
    EntanglementMeter,
    area_law_fit,
    canonical_tree,
    entanglement_entropy,
    entanglement_scorer,
    make_entanglement_scorer,
    mean_block_geometry,
)


@pytest.fixture(scope="module")
def digits(digits):
    X, y = digits
    return StandardScaler().fit_transform(X[:300]), y[:300]


def test_attributes_match_the_core(digits):
    X, y = digits
    X = X[:120, :12]
    y = y[:120] % 3
    meter = EntanglementMeter(theta=0.3).fit(X, y)
    tree = canonical_tree(12)
    np.testing.assert_array_equal(meter.levels_, [1, 2, 3])
    assert meter.classes_.tolist() == [0, 1, 2]
    assert meter.class_entanglement_.shape == (3, 3)
    per_partition = []
    for i, level in enumerate(meter.levels_):
        expected = np.array(
            [
                entanglement_entropy(X, y, block=b, theta=0.3, average=False)
                for b in tree.partitions(level)
            ]
        )
        np.testing.assert_allclose(meter.partition_entanglement_[i], expected.mean(axis=1))
        np.testing.assert_allclose(meter.class_entanglement_[:, i], expected.mean(axis=0))
        assert meter.entanglement_[i] == pytest.approx(expected.mean())
        per_partition.append(expected)
        assert len(meter.partition_surrogate_entanglement_[i]) == len(tree.partitions(level))
        assert meter.surrogate_entanglement_[i] == pytest.approx(
            meter.partition_surrogate_entanglement_[i].mean()
        )
    max_qe = max(e.max() for e in per_partition)
    assert meter.required_width_ == int(np.ceil(np.exp(max_qe) - 1e-9))
    # The score: minus the mean QE of the shifted blocks, per level, over the levels with any.
    shifted_means = []
    for i, level in enumerate(meter.levels_):
        windows = tree.shifted_partitions(level) if level < tree.n_levels else []
        shifted = np.array(
            [
                entanglement_entropy(
                    X,
                    y,
                    block=np.concatenate([canonical_tree(12).blocks[level + 1][j] for j in w]),
                    theta=0.3,
                )
                for w in windows
            ]
        )
        np.testing.assert_allclose(meter.partition_shifted_entanglement_[i], shifted)
        if len(shifted):
            shifted_means.append(shifted.mean())
    assert np.isnan(meter.shifted_entanglement_[-1])  # single features: nothing to shift by
    assert len(shifted_means) == 2
    assert meter.score(X, y) == pytest.approx(-np.mean(shifted_means))
    assert meter.score_ == pytest.approx(meter.score(X, y))
    canonical_only = EntanglementMeter(theta=0.3, shifted=False).fit(X, y)
    assert not hasattr(canonical_only, "shifted_entanglement_")
    np.testing.assert_allclose(canonical_only.entanglement_, meter.entanglement_)
    assert canonical_only.score(X, y) == pytest.approx(-meter.entanglement_.mean())


def test_shifted_partitions_see_exchanged_blocks():
    """Exchanging or mirroring sibling blocks keeps every canonical QE; the score sees it."""
    rng = np.random.default_rng(0)
    X = StandardScaler().fit_transform(np.cumsum(rng.standard_normal((300, 32)), axis=1))
    natural = EntanglementMeter(theta=0.3).fit(X)
    for order in (np.r_[8:16, 0:8, 24:32, 16:24], np.r_[0:8, 15:7:-1, 16:24, 31:23:-1]):
        moved = EntanglementMeter(theta=0.3).fit(X[:, order])
        np.testing.assert_allclose(moved.entanglement_, natural.entanglement_, atol=1e-10)
        assert moved.score_ < natural.score_ - 0.01


@pytest.mark.parametrize(
    "levels, expected",
    [(None, [1, 2, 3, 4]), (2, [1, 2]), ([4, 2, 2], [2, 4]), (np.array([3]), [3])],
)
def test_levels(levels, expected):
    X = np.random.default_rng(0).standard_normal((20, 16))
    meter = EntanglementMeter(levels=levels).fit(X)
    np.testing.assert_array_equal(meter.levels_, expected)
    assert len(meter.partition_entanglement_) == len(expected)
    assert len(meter.partition_shifted_entanglement_) == len(expected)
    # Level l of 16 features has 2**l - 1 seams; level 4 blocks are single features.
    assert [len(qe) for qe in meter.partition_shifted_entanglement_] == [
        2**level - 1 if level < 4 else 0 for level in expected
    ]


def test_product_data_needs_width_one():
    X = np.tile(np.arange(6.0), (5, 1))
    meter = EntanglementMeter().fit(X)
    assert meter.required_width_ == 1
    np.testing.assert_array_equal(meter.entanglement_, 0.0)


def test_binary_and_continuous_targets():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 8))
    labels = rng.integers(0, 2, 40)
    binary = EntanglementMeter(theta=0.5).fit(X, np.where(labels, "yes", "no"))
    assert binary.classes_.tolist() == ["no", "yes"]
    assert binary.class_entanglement_.shape == (1, 3)
    # The sign convention of -1/+1 does not matter.
    flipped = EntanglementMeter(theta=0.5).fit(X, 1 - labels)
    np.testing.assert_allclose(binary.entanglement_, flipped.entanglement_)
    target = rng.standard_normal(40)
    regression = EntanglementMeter(theta=0.5, levels=1).fit(X, target)
    assert regression.classes_ is None
    from sklearn_qe._testing import explicit_tensor_entanglement

    expected = explicit_tensor_entanglement(X, target, [0, 1, 2, 3], 0.5)
    assert regression.entanglement_[0] == pytest.approx(expected, abs=1e-10)


def test_max_samples_measures_a_reproducible_subsample(digits):
    X, y = digits
    full = EntanglementMeter(levels=2, baseline=False).fit(X, y)
    same = EntanglementMeter(levels=2, max_samples=len(X), baseline=False).fit(X, y)
    np.testing.assert_array_equal(full.entanglement_, same.entanglement_)
    a = EntanglementMeter(levels=2, max_samples=100, random_state=0).fit(X, y)
    b = EntanglementMeter(levels=2, max_samples=100, random_state=0).fit(X, y)
    c = EntanglementMeter(levels=2, max_samples=1 / 3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(a.entanglement_, b.entanglement_)
    np.testing.assert_array_equal(a.entanglement_, c.entanglement_)
    assert not np.allclose(a.entanglement_, full.entanglement_)
    # SE uses every sample.
    np.testing.assert_array_equal(a.surrogate_entanglement_, full.surrogate_entanglement_)


def test_n_jobs_gives_the_same_numbers(digits):
    X, y = digits
    one = EntanglementMeter(shape=(8, 8), n_jobs=1, baseline=False).fit(X, y)
    two = EntanglementMeter(shape=(8, 8), n_jobs=2, baseline=False).fit(X, y)
    for a, b in zip(one.partition_entanglement_, two.partition_entanglement_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_verbose_shows_progress_over_estimated_work(digits, capsys, monkeypatch):
    X, y = digits
    X, y = X[:100], y[:100]
    EntanglementMeter(shape=(8, 8), levels=2).fit(X, y)
    assert capsys.readouterr().err == ""
    EntanglementMeter(shape=(8, 8), levels=2, verbose=1).fit(X, y)
    err = capsys.readouterr().err
    assert "EntanglementMeter (100 samples)" in err and "100%" in err
    # The bar's total is exactly the work its updates report: it ends at 100%, never past.
    import sklearn_qe._meter as meter_module

    bars = []

    class RecordingBar:
        def __init__(self, total, **kwargs):
            self.total, self.done = total, 0.0
            bars.append(self)

        def update(self, work):
            self.done += work

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(meter_module, "tqdm", RecordingBar)
    EntanglementMeter(shape=(8, 8), levels=2, verbose=1).fit(X, y)
    EntanglementMeter(levels=3, shifted=False, baseline=False).fit(X[:, :30])
    assert [bar.done for bar in bars] == pytest.approx([bar.total for bar in bars])


def test_natural_pixel_order_is_less_entangled(digits):
    X, y = digits
    shuffled = X[:, np.random.default_rng(0).permutation(64)]
    natural = EntanglementMeter(shape=(8, 8), baseline=False).fit(X, y)
    random = EntanglementMeter(shape=(8, 8), baseline=False).fit(shuffled, y)
    assert natural.entanglement_[0] < random.entanglement_[0]
    assert natural.surrogate_entanglement_[0] < random.surrogate_entanglement_[0]


def test_dataframe_input_and_pickle(digits):
    X, y = digits
    frame = pd.DataFrame(X[:, :10], columns=[f"f{i}" for i in range(10)])
    meter = EntanglementMeter(levels=2).fit(frame, y)
    assert meter.feature_names_in_.tolist() == list(frame.columns)
    restored = pickle.loads(pickle.dumps(meter))
    np.testing.assert_array_equal(restored.entanglement_, meter.entanglement_)
    assert restored.score(frame, y) == meter.score(frame, y)
    assert clone(meter).get_params() == meter.get_params()


def test_grid_search_prefers_the_natural_order(digits):
    X, y = digits
    shuffle = FunctionTransformer(lambda Z: Z[:, np.random.default_rng(0).permutation(64)])
    meter = EntanglementMeter(shape=(8, 8), levels=1, baseline=False)
    pipe = Pipeline([("order", "passthrough"), ("meter", meter)])
    search = GridSearchCV(pipe, {"order": ["passthrough", shuffle]}, cv=3).fit(X, y)
    assert search.best_params_["order"] == "passthrough"
    assert np.all(search.cv_results_["mean_test_score"] < 0)


def test_scorer_for_transformer_pipelines(digits):
    X, y = digits
    identity = FunctionTransformer().fit(X)
    meter = EntanglementMeter(baseline=False).fit(X, y)
    assert entanglement_scorer(identity, X, y) == pytest.approx(meter.score(X, y))
    scorer = make_entanglement_scorer(shape=(8, 8), levels=1)
    image_meter = EntanglementMeter(shape=(8, 8), levels=1, baseline=False).fit(X, y)
    assert scorer(identity, X, y) == pytest.approx(image_meter.score(X, y))
    assert pickle.loads(pickle.dumps(scorer))(identity, X, y) == scorer(identity, X, y)
    assert "shape=(8, 8)" in repr(scorer)


@pytest.mark.parametrize(
    "X, params, error, message",
    [(X, {}, error, message) for X, error, message in COMMON_BAD_INPUTS]
    + [
        (np.zeros((5, 6)), {"shape": (2, 2)}, ValueError, "describes 4 features"),
        (
            np.zeros((5, 6)),
            {"shape": (1, 6)},
            ValueError,
            "shape must be a pair .* of ints of at least 2",
        ),
        (np.zeros((5, 8)), {"levels": 4}, ValueError, "levels 1 to 3"),
        (
            np.zeros((5, 8)),
            {"levels": [0, 1]},
            ValueError,
            r"each level must be an int in the range \[1, inf\), got 0",
        ),
        (np.zeros((5, 8)), {"theta": 0.0}, ValueError, "theta"),
        (np.zeros((5, 8)), {"theta": -1.0}, ValueError, "theta"),
        (np.full((5, 8), 1e308), {"theta": 1.0}, ValueError, "overflows"),
    ],
)
def test_bad_input(X, params, error, message):
    with pytest.raises(error, match=message):
        EntanglementMeter(**params).fit(X)


def test_bad_targets_and_widths():
    X = np.random.default_rng(0).standard_normal((6, 8))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        EntanglementMeter().fit(X, [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        EntanglementMeter().fit(X, [0.5, np.nan, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="y should be a 1d array"):
        EntanglementMeter().fit(X, np.zeros((6, 2)))
    meter = EntanglementMeter().fit(X)
    with pytest.raises(ValueError, match="X has 7 features, but EntanglementMeter is expecting 8"):
        meter.score(X[:, :7])


def test_levels_and_shape_are_not_coerced():
    X = np.random.default_rng(0).standard_normal((10, 8))
    with pytest.raises(TypeError, match="each level must be an int"):
        EntanglementMeter(levels=[1.5]).fit(X)
    with pytest.raises(ValueError, match=r"shape must be a pair \(H, W\)"):
        EntanglementMeter(shape=(2, 4, 1)).fit(X)


def test_memory_is_checked_before_anything_is_allocated(monkeypatch):
    """20,000 samples without max_samples would need tens of GB: refused, naming max_samples."""
    monkeypatch.setattr(EntanglementMeter, "_memory_budget", 2**20)  # 1 MiB
    X = np.random.default_rng(0).standard_normal((200, 8))
    with pytest.raises(ValueError, match="set max_samples"):
        EntanglementMeter().fit(X)
    assert EntanglementMeter(max_samples=50).fit(X).entanglement_.shape == (3,)


def test_failed_or_interrupted_fit_leaves_the_meter_as_it_was(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 8))
    meter = EntanglementMeter().fit(X)
    before = {key: value for key, value in vars(meter).items()}
    with pytest.raises(ValueError, match="overflows"):
        meter.set_params(theta=1e308).fit(np.full((30, 16), 1e10))
    meter.set_params(theta=0.085)
    assert vars(meter).keys() == before.keys() and meter.n_features_in_ == 8
    np.testing.assert_array_equal(meter.entanglement_, before["entanglement_"])

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("sklearn_qe._meter.surrogate_profiles", interrupt)
    with pytest.raises(KeyboardInterrupt):
        meter.fit(rng.standard_normal((30, 16)))
    assert meter.n_features_in_ == 8 and meter.score(X) == pytest.approx(meter.score_)
    unfitted = EntanglementMeter()
    with pytest.raises(KeyboardInterrupt):
        unfitted.fit(X)
    with pytest.raises(NotFittedError):
        unfitted.score(X)


def test_score_falls_back_to_the_canonical_partitions_without_shifted_blocks():
    X = np.random.default_rng(0).standard_normal((20, 8))
    deepest_only = EntanglementMeter(levels=[3]).fit(X)  # single features: nothing to shift
    assert deepest_only.score_ == pytest.approx(-deepest_only.entanglement_.mean())


def test_target_kinds():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    # Whole-number floats with many distinct values (load_diabetes' target) are values.
    counts = rng.integers(25, 350, 60).astype(float)
    auto = EntanglementMeter(levels=1).fit(X, counts)
    assert auto.target_type_ == "values" and auto.classes_ is None
    assert auto.class_entanglement_.shape == (1, 1)
    values = EntanglementMeter(levels=1, target="values").fit(X, counts)
    np.testing.assert_allclose(values.entanglement_, auto.entanglement_)
    assert auto.entanglement_[0] == pytest.approx(
        entanglement_entropy(X, counts, block=[0, 1]), abs=1e-10
    )
    as_classes = EntanglementMeter(levels=1, target="classes").fit(X, counts)
    assert as_classes.target_type_ == "classes"
    assert as_classes.class_entanglement_.shape[0] == len(np.unique(counts))
    # Few whole-number values, ints and strings are labels; non-integer floats are values.
    few = rng.integers(0, 3, 60)
    assert EntanglementMeter(levels=1).fit(X, few.astype(float)).classes_.tolist() == [0, 1, 2]
    assert EntanglementMeter(levels=1).fit(X, counts.astype(int)).target_type_ == "classes"
    assert EntanglementMeter(levels=1).fit(X, counts + 0.5).target_type_ == "values"
    assert EntanglementMeter(levels=1).fit(X).target_type_ is None
    with pytest.raises(TypeError, match="target='values' needs a numeric y"):
        EntanglementMeter(levels=1, target="values").fit(X, np.where(few, "a", "b"))
    with pytest.raises(ValueError, match="target"):
        EntanglementMeter(target="regression").fit(X, counts)
    with pytest.raises(ValueError, match="'target' parameter .* must be a str among"):
        entanglement_entropy(X, counts, block=[0, 1], target="numbers")
    assert entanglement_entropy(X, counts, block=[0, 1], target="classes") != pytest.approx(
        entanglement_entropy(X, counts, block=[0, 1])
    )


def test_default_measures_qe_on_a_documented_subsample():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1200, 4))
    meter = EntanglementMeter(levels=1, random_state=0).fit(X)
    assert meter.n_samples_measured_ == 1000
    assert EntanglementMeter(levels=1, max_samples=None).fit(X).n_samples_measured_ == 1200
    assert EntanglementMeter(levels=1).fit(X[:999]).n_samples_measured_ == 999
    # The same rows as an explicit max_samples of the same size.
    explicit = EntanglementMeter(levels=1, max_samples=1000, random_state=0).fit(X)
    np.testing.assert_array_equal(meter.entanglement_, explicit.entanglement_)


def test_numbers_in_context():
    rng = np.random.default_rng(0)
    # Smooth series: neighbouring features correlate, so a random order entangles more.
    X = StandardScaler().fit_transform(np.cumsum(rng.standard_normal((200, 16)), axis=1))
    meter = EntanglementMeter(theta=0.5, random_state=0).fit(X)
    # ln min(M, 2^|K|, 2^|K^c|): blocks of 8, 4, 2 and 1 features out of 16, M = 200.
    np.testing.assert_allclose(
        meter.entanglement_ceiling_, [np.log(200), 4 * np.log(2), 2 * np.log(2), np.log(2)]
    )
    assert np.all(meter.entanglement_ <= meter.entanglement_ceiling_ + 1e-9)
    assert np.all(meter.random_order_entanglement_[:2] > meter.entanglement_[:2])
    # Single features: a random order has the same partitions.
    assert meter.random_order_entanglement_[-1] == pytest.approx(meter.entanglement_[-1])
    assert not hasattr(EntanglementMeter(baseline=False).fit(X), "random_order_entanglement_")
    widths = [int(np.ceil(np.exp(qe.max()) - 1e-9)) for qe in meter.partition_entanglement_]
    np.testing.assert_array_equal(meter.level_widths_, widths)
    assert meter.required_width_ == meter.level_widths_.max()
    fit = area_law_fit(*mean_block_geometry(canonical_tree(16), meter.levels_), meter.entanglement_)
    assert meter.area_law_.size_exponent == pytest.approx(fit.size_exponent)
    summary = meter.summary()
    assert "200 samples" in summary and len(summary.splitlines()) == 3 + len(meter.levels_)
    assert f"{meter.entanglement_[0]:.3g}" in summary.splitlines()[2]


def test_unscaled_input_warns():
    X, y = load_digits(return_X_y=True)
    X, y = X[:100], y[:100]
    with pytest.warns(UserWarning, match="X looks unscaled"):
        EntanglementMeter(shape=(8, 8), levels=1, baseline=False).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EntanglementMeter(shape=(8, 8), levels=1, baseline=False).fit(X / 16, y)
        EntanglementMeter(shape=(8, 8), levels=1, baseline=False).fit(
            StandardScaler().fit_transform(X), y
        )


def test_sparse_input_from_one_hot_encoder():
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    categories = rng.integers(0, 3, (80, 4))
    encoder = OneHotEncoder().fit(categories)  # sparse output by default
    X_sparse = encoder.transform(categories)
    pipe = Pipeline([("encode", OneHotEncoder()), ("meter", EntanglementMeter(levels=2))])
    sparse_score = pipe.fit(categories).score(categories)
    dense = EntanglementMeter(levels=2).fit(X_sparse.toarray())
    np.testing.assert_allclose(pipe["meter"].entanglement_, dense.entanglement_)
    assert sparse_score == pytest.approx(dense.score_)


def test_a_refit_leaves_nothing_of_the_previous_fit():
    """A refit with baseline=False, shifted=False kept the old random-order and shifted QE,
    and summary() printed the old baseline next to the new QE."""
    X = np.random.default_rng(0).standard_normal((30, 8))
    meter = EntanglementMeter(random_state=0).fit(X)
    assert hasattr(meter, "random_order_entanglement_")
    meter.set_params(baseline=False, shifted=False).fit(X)
    fresh = EntanglementMeter(baseline=False, shifted=False, random_state=0).fit(X)
    assert vars(meter).keys() == vars(fresh).keys()
    for name in ("random_order_", "shifted_", "partition_shifted_"):
        assert not hasattr(meter, name + "entanglement_")
    assert meter.summary() == fresh.summary()


def test_score_and_summary_keep_to_what_was_fitted():
    """After set_params(shape=..., levels=...), summary() described the new shape and
    score(X) measured with it while score_ did not."""
    X = np.random.default_rng(0).standard_normal((30, 16))
    meter = EntanglementMeter(shape=(4, 4), random_state=0).fit(X)
    summary, score = meter.summary(), meter.score(X)
    assert score == pytest.approx(meter.score_, rel=1e-12)
    meter.set_params(shape=None, levels=[1], theta=0.3, shifted=False, max_samples=10)
    assert meter.summary() == summary and "4 x 4 image" in summary
    assert meter.score(X) == pytest.approx(meter.score_, rel=1e-12)
    assert meter.shape_ == (4, 4)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"levels": True}, "'levels' parameter"),
        ({"levels": [1, True]}, "each level must be an int in the range .* got True"),
        ({"levels": np.array([True])}, "each level must be an int"),
        ({"levels": []}, "levels must hold at least one level"),
        ({"n_jobs": True}, "'n_jobs' parameter"),
        ({"theta": True}, "'theta' parameter"),
        ({"max_samples": True}, "'max_samples' parameter"),
    ],
)
def test_booleans_are_not_numbers(params, message):
    """levels=True and levels=[1, True] were read as level 1, n_jobs=True as 1 thread."""
    X = np.random.default_rng(0).standard_normal((10, 8))
    with pytest.raises((TypeError, ValueError), match=message):
        EntanglementMeter(**params).fit(X)


def test_huge_levels_and_n_jobs_are_refused_or_capped():
    """levels=10**20 was listed level by level (OverflowError) before being checked; n_jobs
    beyond the cores asked for max_samples, as if the data were too large."""
    X = np.random.default_rng(0).standard_normal((10, 8))
    with pytest.raises(ValueError, match="Level 100000000000000000000 is out of range"):
        EntanglementMeter(levels=10**20).fit(X)
    meter = EntanglementMeter(n_jobs=10**20, random_state=0).fit(X)
    expected = EntanglementMeter(random_state=0).fit(X)
    np.testing.assert_allclose(meter.entanglement_, expected.entanglement_, rtol=1e-12)
