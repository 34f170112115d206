"""Property-based tests of the public core functions and the estimators' parameters.

Valid arguments, or (in about half the examples) one of them wrong: a call either returns
a correct result (finite, within its bounds, a permutation that is a permutation) or raises
a ValueError or TypeError whose message names one of the arguments (or says why the data
cannot be measured); never an IndexError or an error deep in numpy, never a silently wrong
number, nor a result computed through NumPy's RuntimeWarnings (overflow, invalid values).
"""

import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_qe import (
    EntanglementMeter,
    EntanglementReorderer,
    IGTDReorderer,
    abs_correlation,
    abs_correlation_graph,
    canonical_tree,
    entanglement_capacity,
    entanglement_entropy,
    entanglement_profile,
    label_weights,
    max_canonical_level,
    shifted_entanglement_profile,
    surrogate_entanglement,
)
from sklearn_qe.nets import ResCNN1d, channel_schedule

# Refusals about the data rather than an argument: the tensor is (numerically) zero.
DATA_REFUSALS = ("cancels out",)
# scikit-learn's validate_data refuses an estimator's bad X in its own words, without the
# name: these are its standard messages, the ones every scikit-learn estimator gives.
VALIDATE_DATA_REFUSALS = (
    "Expected 2D array",
    "Found array with",
    "could not convert",
    "bytes/strings",
    "Complex data",
)
# Rounding slack of QE against its bounds.
TOL = 1e-9

# Arguments of the wrong kind, tried for every parameter.
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([10**20, -(10**20)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.complex_numbers(max_magnitude=5),
    st.lists(st.one_of(st.integers(-2, 4), st.booleans(), st.floats(-2, 4)), max_size=3),
)
# Finite data, with the magnitudes that break naive arithmetic: huge, tiny and constant.
finite = st.one_of(
    st.floats(-3, 3),
    st.sampled_from([0.0, 1e300, -1e300, 1e-310, 5e-324, 1.0]),
)


def data(min_samples=1, max_samples=8, min_features=1, max_features=8, elements=finite):
    return arrays(
        np.float64,
        st.tuples(st.integers(min_samples, max_samples), st.integers(min_features, max_features)),
        elements=elements,
    )


def bad_data():
    """X with NaN or infinity, of the wrong dimension, or not numbers."""
    return st.one_of(
        data(elements=st.sampled_from([np.nan, np.inf, -np.inf, 1.0])),
        arrays(np.float64, st.integers(0, 4)),
        st.lists(st.lists(st.text(max_size=2), min_size=2, max_size=2), min_size=1, max_size=3),
        st.just(np.zeros((0, 4))),
    )


def outcome(call, *names, refusals=DATA_REFUSALS):
    """The result of ``call()``, or None if it raised a ValueError or TypeError naming one of
    ``names`` (or saying one of ``refusals``); anything else fails the test, as does a
    result computed through a RuntimeWarning (a warning on the way to a refusal is no
    harm)."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            warnings.filterwarnings("ignore", message="X looks unscaled", category=UserWarning)
            result = call()
        runtime = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
        assert not runtime, f"result computed through RuntimeWarnings: {runtime}"
        event("result")  # --hypothesis-show-statistics: how often the valid path ran
        return result
    except (ValueError, TypeError) as error:
        message = str(error)
        named = any(re.search(rf"(?<![A-Za-z_]){re.escape(name)}", message) for name in names)
        assert named or any(refusal in message for refusal in refusals), (
            f"{type(error).__name__} names none of {names}: {message}"
        )
        event("refused")
        return None


def ceiling(n_samples, block_size, n_features):
    return np.log(min(n_samples, 2**block_size, 2 ** (n_features - block_size)))


@st.composite
def one_bad(draw, valid, bad):
    """Keyword arguments drawn from ``valid``, in about half the examples with one of them
    drawn from ``bad`` instead: the valid paths run about as often as the checks."""
    wrong = draw(st.one_of(st.none(), st.sampled_from(list(bad))))
    return {name: draw(bad[name] if name == wrong else valid[name]) for name in valid}


def proper_blocks(n_features):
    """Non-empty proper subsets of the feature indices, in any order."""
    return st.lists(
        st.integers(0, n_features - 1), min_size=1, max_size=n_features - 1, unique=True
    )


@st.composite
def entropy_arguments(draw):
    X = draw(data(min_features=2))
    n_samples, n_features = X.shape
    valid = {
        "X": st.just(X),
        "y": st.one_of(
            st.none(),
            st.lists(st.integers(0, 3), min_size=n_samples, max_size=n_samples),
            st.lists(finite, min_size=n_samples, max_size=n_samples),
            st.lists(st.sampled_from(["a", "b"]), min_size=n_samples, max_size=n_samples),
        ),
        "block": proper_blocks(n_features),
        "theta": st.floats(0.01, 3),
        "average": st.booleans(),
        "target": st.sampled_from(["auto", "classes", "values"]),
    }
    bad = {
        "X": bad_data(),
        "y": st.one_of(
            junk,
            st.lists(st.complex_numbers(max_magnitude=3), min_size=n_samples, max_size=n_samples),
            st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=8),
        ),
        "block": st.one_of(junk, st.lists(st.integers(-1, n_features), max_size=n_features + 1)),
        "theta": junk,
        "average": junk,
        "target": junk,
    }
    return draw(one_bad(valid, bad))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entropy_arguments())
def test_entanglement_entropy(kwargs):
    qe = outcome(lambda: entanglement_entropy(**kwargs), *kwargs)
    if qe is None:
        return
    n_samples, n_features = np.shape(kwargs["X"])
    size = len(np.unique(kwargs["block"]))
    qe = np.atleast_1d(qe)
    assert np.all(np.isfinite(qe))
    assert np.all(qe >= -TOL) and np.all(qe <= ceiling(n_samples, size, n_features) + TOL)


def valid_levels(n_levels):
    return st.one_of(
        st.integers(1, n_levels), st.lists(st.integers(1, n_levels), min_size=1, max_size=3)
    )


bad_levels = st.one_of(
    junk, st.integers(-1, 0), st.just([]), st.lists(st.integers(0, 9), max_size=3)
)


@st.composite
def profile_arguments(draw):
    X = draw(data(min_features=2))
    n_samples, n_features = X.shape
    tree = canonical_tree(n_features)
    scale = draw(st.sampled_from([1.0, -1.0, 1e-160, 1e200]))
    valid = {
        "X": st.just(X),
        "weights": st.just(scale * np.linspace(-1.0, 2.0, n_samples)[None]),
        "tree": st.just(tree),
        "levels": valid_levels(tree.n_levels),
        "theta": st.floats(0.01, 3),
        "n_jobs": st.sampled_from([None, 1, 2, -1]),
    }
    bad = {
        "X": bad_data(),
        "weights": st.one_of(
            junk, st.just(np.ones((1, n_samples + 1))), st.just(np.full((1, n_samples), np.nan))
        ),
        "tree": st.one_of(junk, st.just(canonical_tree(n_features + 1))),
        "levels": bad_levels,
        "theta": junk,
        "n_jobs": junk,
    }
    return draw(one_bad(valid, bad))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kwargs=profile_arguments(), shifted=st.booleans())
def test_entanglement_profiles(kwargs, shifted):
    profile = shifted_entanglement_profile if shifted else entanglement_profile
    result = outcome(lambda: profile(**kwargs), *kwargs, "level")
    if result is None:
        return
    n_samples, n_features = kwargs["X"].shape
    tree = kwargs["tree"]
    for level, values in result.items():
        assert values.ndim == 2 and values.shape[1] == 1
        assert np.all(np.isfinite(values)) and np.all(values >= -TOL)
        assert np.all(values <= np.log(n_samples) + TOL)
        if not shifted:
            sizes = [len(block) for block in tree.partitions(level)]
            bounds = [ceiling(n_samples, size, n_features) for size in sizes]
            assert np.all(values[:, 0] <= np.array(bounds) + TOL)


@st.composite
def surrogate_arguments(draw):
    X = draw(data(min_features=2))
    tree = canonical_tree(X.shape[1])
    valid = {
        "X": st.just(X),
        "tree": st.just(tree),
        "levels": valid_levels(tree.n_levels),
        "chunk_size": st.integers(1, 5),
    }
    bad = {"X": bad_data(), "tree": junk, "levels": bad_levels, "chunk_size": junk}
    return draw(one_bad(valid, bad))


@settings(max_examples=50, deadline=None)
@given(surrogate_arguments())
def test_surrogate_entanglement(kwargs):
    result = outcome(lambda: surrogate_entanglement(**kwargs), *kwargs, "level")
    if result is None:
        return
    n_features = kwargs["X"].shape[1]
    for level, se in result.items():
        sizes = np.array([len(block) for block in kwargs["tree"].partitions(level)])
        assert np.all(np.isfinite(se)) and np.all(se >= 0)
        assert np.all(se <= sizes * (n_features - sizes) + TOL)


@settings(max_examples=50, deadline=None)
@given(
    one_bad(
        {
            "y": st.one_of(
                st.none(),
                st.lists(st.integers(0, 3), min_size=4, max_size=4),
                st.lists(st.sampled_from(["a", "b", "c"]), min_size=4, max_size=4),
            ),
            "n_samples": st.just(4),
        },
        {
            "y": st.one_of(
                junk,
                st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=6),
                st.lists(st.complex_numbers(max_magnitude=3), min_size=4, max_size=4),
            ),
            "n_samples": st.one_of(junk, st.integers(-2, 6)),
        },
    )
)
def test_label_weights(kwargs):
    result = outcome(lambda: label_weights(**kwargs), *kwargs)
    if result is None:
        return
    classes, weights = result
    assert weights.shape[1] == kwargs["n_samples"] and np.all(np.abs(weights) == 1)
    if classes is not None:
        assert len(classes) == len(np.unique(np.asarray(kwargs["y"])))
        assert weights.shape[0] == (1 if len(classes) <= 2 else len(classes))


@st.composite
def layouts(draw, min_side=1):
    """``(n_features, shape)``: 1-D, or an image with its number of pixels."""
    sides = st.integers(min_side, 9)
    shape = draw(st.one_of(st.none(), st.tuples(sides, sides)))
    n_features = draw(st.integers(min_side, 70)) if shape is None else shape[0] * shape[1]
    return n_features, shape


bad_shapes = st.one_of(junk, st.tuples(st.integers(-2, 0), st.integers(-2, 8)), st.just((4,)))


@settings(max_examples=50, deadline=None)
@given(
    layout=layouts(),
    bad_n_features=st.one_of(st.none(), junk),
    bad_shape=st.one_of(st.none(), bad_shapes),
)
def test_max_canonical_level(layout, bad_n_features, bad_shape):
    n_features = layout[0] if bad_n_features is None else bad_n_features
    shape = layout[1] if bad_shape is None else bad_shape
    level = outcome(lambda: max_canonical_level(n_features, shape), "n_features", "shape")
    if level is None:
        return
    side = n_features if shape is None else min(shape)
    assert isinstance(level, int) and 2**level <= side < 2 ** (level + 1)


@settings(max_examples=50, deadline=None)
@given(
    layout=layouts(min_side=2),
    max_level=st.one_of(st.none(), st.integers(1, 6)),
    bad=st.sampled_from([None, "n_features", "shape", "max_level"]),
    junk_value=st.one_of(junk, bad_shapes, st.integers(-2, 1)),
)
def test_canonical_tree(layout, max_level, bad, junk_value):
    kwargs = dict(zip(("n_features", "shape"), layout), max_level=max_level)
    if bad is not None:
        kwargs[bad] = junk_value
    tree = outcome(lambda: canonical_tree(**kwargs), *kwargs, "Level")
    if tree is None:
        return
    for level in range(tree.n_levels + 1):
        features = np.sort(np.concatenate(tree.blocks[level]))
        np.testing.assert_array_equal(features, np.arange(kwargs["n_features"]))
        assert min(len(block) for block in tree.blocks[level]) >= 1


@settings(max_examples=50, deadline=None)
@given(
    one_bad(
        {
            "X": data(min_features=2),
            "n_neighbors": st.one_of(st.none(), st.integers(1, 8)),
            "chunk_size": st.integers(1, 4),
        },
        {"X": st.one_of(bad_data(), data(max_features=1)), "n_neighbors": junk, "chunk_size": junk},
    )
)
def test_abs_correlation(kwargs):
    dense = outcome(lambda: abs_correlation(kwargs["X"]), "X")
    graph = outcome(lambda: abs_correlation_graph(**kwargs), *kwargs)
    if dense is not None:
        assert np.all(np.isfinite(dense)) and np.all((dense >= 0) & (dense <= 1))
        np.testing.assert_array_equal(dense, dense.T)
        assert np.all(np.diag(dense) == 0)
    if graph is not None:
        graph = graph.toarray()
        np.testing.assert_array_equal(graph, graph.T)
        assert np.all((graph >= 0) & (graph <= 1)) and np.all(np.diag(graph) == 0)
        if dense is not None:  # every edge kept is a correlation
            kept = graph > 0
            np.testing.assert_allclose(graph[kept], dense[kept], rtol=1e-12, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    layout=layouts(min_side=2),
    widths=st.data(),
    bad=st.sampled_from([None, "widths", "n_features", "shape"]),
    junk_value=st.one_of(junk, bad_shapes, st.lists(st.integers(-1, 3), max_size=4)),
)
def test_entanglement_capacity(layout, widths, bad, junk_value):
    n_features, shape = layout
    n_levels = max_canonical_level(n_features, shape)
    kwargs = {
        "widths": widths.draw(
            st.one_of(
                st.integers(1, 10**30),
                st.lists(st.integers(1, 10**30), min_size=n_levels, max_size=n_levels),
            )
        ),
        "n_features": n_features,
        "shape": shape,
    }
    if bad is not None:
        kwargs[bad] = junk_value
    capacity = outcome(lambda: entanglement_capacity(**kwargs), *kwargs)
    if capacity is None:
        return
    tree = canonical_tree(kwargs["n_features"], shape=kwargs["shape"])
    assert capacity.shape == (tree.n_levels,)
    assert np.all(np.isfinite(capacity)) and np.all(capacity >= 0)
    for level in range(1, tree.n_levels + 1):
        smaller = max(
            min(len(block), tree.blocks[0][0].size - len(block)) for block in tree.partitions(level)
        )
        assert capacity[level - 1] <= smaller * np.log(2) + TOL


image_shapes = st.sampled_from([None, (2, 4), (4, 2)])
# Data as the estimators are meant to see it (the core's tests try the extreme magnitudes).
scaled_data = data(
    min_samples=2, max_samples=10, min_features=8, max_features=8, elements=st.floats(-3, 3)
)
bad_estimator_shapes = st.one_of(junk, st.sampled_from([(2, 2), (1, 8), (-2, -4), (2.0, 4.0)]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kwargs=one_bad(
        {
            "X": scaled_data,
            "theta": st.floats(0.01, 2),
            "levels": st.one_of(st.none(), valid_levels(1)),  # a 2 x 4 image has level 1 only
            "shape": image_shapes,
            "shifted": st.booleans(),
            "target": st.sampled_from(["auto", "classes", "values"]),
            "max_samples": st.sampled_from(["auto", None, 2, 5, 0.5, 1.0]),
            "baseline": st.booleans(),
            "n_jobs": st.sampled_from([None, 1, 2, -1]),
        },
        {
            "X": bad_data(),
            "theta": junk,
            "levels": bad_levels,
            "shape": bad_estimator_shapes,
            "shifted": junk,
            "target": junk,
            "max_samples": junk,
            "baseline": junk,
            "n_jobs": junk,
        },
    ),
    labelled=st.booleans(),
)
def test_meter_parameters(kwargs, labelled):
    X = kwargs.pop("X")
    n_samples = np.shape(X)[0] if np.ndim(X) else 0
    y = np.arange(n_samples) % 3 if labelled else None
    meter = EntanglementMeter(random_state=0, **kwargs)
    refusals = DATA_REFUSALS + VALIDATE_DATA_REFUSALS
    if outcome(lambda: meter.fit(X, y), "X", "level", *kwargs, refusals=refusals) is None:
        return
    assert np.all(np.isfinite(meter.entanglement_)) and np.all(meter.entanglement_ >= -TOL)
    assert np.all(meter.entanglement_ <= meter.entanglement_ceiling_ + TOL)
    assert 1 <= meter.required_width_ <= meter.n_samples_measured_
    assert np.isfinite(meter.score_)
    assert meter.score(X, y) == pytest.approx(meter.score_, rel=1e-9, abs=1e-12)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    one_bad(
        {
            "X": scaled_data,
            "shape": image_shapes,
            "method": st.sampled_from(["seriation", "cuts"]),
            "n_neighbors": st.one_of(st.none(), st.integers(1, 4)),
            "n_cuts": st.integers(1, 3),
            "leaf_ordering": st.sampled_from(["optimal", None]),
        },
        {
            "X": bad_data(),
            "shape": bad_estimator_shapes,
            "method": junk,
            "n_neighbors": junk,
            "n_cuts": junk,
            "leaf_ordering": junk,
        },
    )
)
def test_entanglement_reorderer_parameters(kwargs):
    X = kwargs.pop("X")
    reorderer = EntanglementReorderer(random_state=0, **kwargs)
    if outcome(lambda: reorderer.fit(X), "X", *kwargs, refusals=VALIDATE_DATA_REFUSALS) is None:
        return
    assert sorted(reorderer.permutation_.tolist()) == list(range(np.shape(X)[1]))
    assert np.all(np.isfinite(reorderer.surrogate_entanglement_))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    one_bad(
        {
            "X": scaled_data,
            "shape": image_shapes,
            "metric": st.sampled_from(["pearson", "abs_pearson", "euclidean"]),
            "error": st.sampled_from(["absolute", "squared"]),
            "max_steps": st.integers(0, 20),
            "n_steps_no_improvement": st.integers(1, 5),
            "min_gain": st.floats(0, 1),
        },
        {
            "X": bad_data(),
            "shape": bad_estimator_shapes,
            "metric": junk,
            "error": junk,
            # Not 10**20: with min_gain=0 IGTD takes every step asked for.
            "max_steps": junk.filter(lambda value: not isinstance(value, int) or value < 10**4),
            "n_steps_no_improvement": junk,
            "min_gain": junk,
        },
    )
)
def test_igtd_reorderer_parameters(kwargs):
    X = kwargs.pop("X")
    reorderer = IGTDReorderer(**kwargs)
    if outcome(lambda: reorderer.fit(X), "X", *kwargs, refusals=VALIDATE_DATA_REFUSALS) is None:
        return
    assert sorted(reorderer.permutation_.tolist()) == list(range(np.shape(X)[1]))
    assert len(reorderer.errors_) == reorderer.n_steps_ + 1 <= reorderer.max_steps + 1
    assert np.all(np.isfinite(reorderer.errors_))


@settings(max_examples=40, deadline=None)
@given(
    X=data(min_samples=2, min_features=2, elements=st.floats(-3, 3)),
    scale=st.one_of(st.floats(1e-160, 1e200), st.floats(-1e200, -1e-160)),
    data_=st.data(),
)
def test_qe_does_not_depend_on_the_scale_of_the_weights(X, scale, data_):
    n_samples, n_features = X.shape
    # Values of ordinary magnitude: y = 1e-258 times 1e-160 underflows to an exact zero.
    values = st.floats(-3, 3).filter(lambda value: value == 0 or abs(value) > 1e-3)
    y = np.array(data_.draw(st.lists(values, min_size=n_samples, max_size=n_samples)))
    block = data_.draw(proper_blocks(n_features))
    reference = outcome(lambda: entanglement_entropy(X, y, block=block, target="values"), "y")
    if reference is None:  # y cancels out (e.g. all zero)
        return
    scaled = entanglement_entropy(X, y * scale, block=block, target="values")
    assert scaled == pytest.approx(reference, rel=1e-7, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    one_bad(
        {
            "meter": st.lists(st.floats(0.1, 50), min_size=1, max_size=4),
            "budget": st.integers(2_000, 200_000),
            "min_channels": st.integers(1, 8),
            "readout": st.just("mean"),
        },
        {
            "meter": st.one_of(
                st.lists(st.sampled_from([np.inf, -1.0, 0.0, np.nan, 2.0]), max_size=3),
                st.just([[1.0, 2.0]]),
            ),
            "budget": st.one_of(junk, st.integers(-5, 10), st.just(10**40)),
            "min_channels": junk,
            "readout": junk,
        },
    )
)
def test_channel_schedule(kwargs):
    refusals = DATA_REFUSALS + ("too small",)
    channels = outcome(
        lambda: channel_schedule(**kwargs), *kwargs, "Relative widths", refusals=refusals
    )
    if channels is None:
        return
    n_blocks = len(kwargs["meter"]) - 1
    assert len(channels) == n_blocks + 1
    assert all(isinstance(c, int) and c >= kwargs["min_channels"] for c in channels)
    network = ResCNN1d(2 ** (n_blocks + 1), 1, channels=channels, n_blocks=n_blocks)
    assert sum(p.numel() for p in network.parameters()) <= kwargs["budget"]


# The networks: small data (a few samples, few features, classes too small to stratify)
# and module and training parameters drawn valid or junk. One epoch: the property is that
# a fit either refuses a named parameter or gives a model with finite outputs.
NET_CLASSES = [
    (
        "LocalCNNClassifier",
        {
            "module__channels": st.integers(1, 4),
            "module__n_blocks": st.integers(0, 4),
            "module__kernel_size": st.sampled_from([1, 3, 5]),
        },
        {"module__channels": junk, "module__n_blocks": junk, "module__kernel_size": junk},
    ),
    (
        "S4Regressor",
        {
            "module__d_model": st.integers(1, 4),
            "module__d_state": st.integers(2, 4),
            "module__n_layers": st.integers(0, 2),
        },
        {"module__d_model": junk, "module__d_state": junk, "module__n_layers": junk},
    ),
    (
        "TensorNetworkClassifier",
        {
            "module__rank": st.integers(1, 4),
            "module__theta": st.floats(0.01, 1.0),
            "module__init_noise": st.floats(0, 1),
            "linear_start": st.sampled_from(["auto", None]),
        },
        {
            "module__rank": junk,
            "module__theta": junk,
            "module__init_noise": junk,
            "linear_start": junk,
        },
    ),
]
TRAINING = (
    # "default": the default validation split; None: training on every sample.
    {
        "batch_size": st.sampled_from([-1, 1, 2, 64]),
        "lr": st.floats(1e-4, 1e-1),
        "train_split": st.sampled_from(["default", None]),
    },
    {"batch_size": junk, "lr": junk, "train_split": junk},
)


@pytest.mark.parametrize("name, valid, bad", NET_CLASSES, ids=[n for n, *_ in NET_CLASSES])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data_=st.data())
def test_network_parameters_on_small_data(name, valid, bad, data_):
    from sklearn_qe import nets

    kwargs = data_.draw(one_bad({**valid, **TRAINING[0]}, {**bad, **TRAINING[1]}))
    if isinstance(kwargs["train_split"], str) and kwargs["train_split"] == "default":
        del kwargs["train_split"]
    X = data_.draw(data(min_samples=2, max_samples=12, max_features=6, elements=st.floats(-3, 3)))
    regressor = name.endswith("Regressor")
    y = X[:, 0] if regressor else np.arange(len(X)) % 2
    net = getattr(nets, name)(max_epochs=1, random_state=0, **kwargs)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="y has too few samples per class")
        fitted = outcome(lambda: net.fit(X, y), *kwargs, *(k.split("__")[-1] for k in kwargs))
    if fitted is None:
        return
    outputs = net.predict(X) if regressor else net.predict_proba(X)
    assert outputs.shape[0] == len(X) and np.all(np.isfinite(outputs))
