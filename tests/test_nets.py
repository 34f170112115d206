import pickle
import re

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from skorch.callbacks import Callback, EarlyStopping

from sklearn_qe import EntanglementReorderer
from sklearn_qe.nets import (
    LocalAttentionClassifier,
    LocalAttentionNet,
    LocalAttentionRegressor,
    LocalCNNClassifier,
    LocalCNNRegressor,
    ResCNN1d,
    ResCNN2d,
    S4Classifier,
    S4DNet,
    S4Regressor,
)
from sklearn_qe.nets._modules import LocalSelfAttention, S4DLayer

CLASSIFIERS = [LocalCNNClassifier, S4Classifier, LocalAttentionClassifier]
REGRESSORS = [LocalCNNRegressor, S4Regressor, LocalAttentionRegressor]

# sklearn checks that fail for reasons structural to skorch, not to these estimators.
STRUCTURAL = {
    "check_no_attributes_set_in_init": (
        "skorch's NeuralNet.__init__ sets history_, initialized_ and virtual_params_, and "
        "stores its routed keyword parameters (iterator_train__shuffle) as attributes"
    ),
    "check_set_params": (
        "skorch lists its private _params_to_validate set among the parameters; setting it "
        "to a number, as the check does, breaks skorch's set_params"
    ),
}
FLOAT32_SUBSET = {
    "check_methods_subset_invariance": (
        "float32 network: BLAS blocking depends on the batch size, so outputs on a subset "
        "differ at the 1e-7 level, just above the check's tolerance"
    ),
}


def _expected_failed_checks(estimator):
    if isinstance(estimator, tuple(REGRESSORS)):
        return {**STRUCTURAL, **FLOAT32_SUBSET}
    return STRUCTURAL


@parametrize_with_checks(
    [Net(max_epochs=20, random_state=0) for Net in CLASSIFIERS + REGRESSORS],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:700] / 16, y[:700]


@pytest.mark.parametrize("readout", ["mean", "flatten"])
@pytest.mark.parametrize("n_features", [1, 2, 7, 33])
@pytest.mark.parametrize("Module", [ResCNN1d, S4DNet, LocalAttentionNet])
def test_modules_take_any_number_of_features(Module, n_features, readout):
    kwargs = {"window_size": 4} if Module is LocalAttentionNet else {}
    out = Module(n_features, 3, readout=readout, **kwargs)(torch.randn(5, n_features))
    assert out.shape == (5, 3)
    image = ResCNN2d(15, 2, shape=(3, 5), readout=readout)
    assert image(torch.randn(4, 15)).shape == (4, 2)


@pytest.mark.parametrize("Module", [ResCNN1d, S4DNet, LocalAttentionNet])
def test_flatten_readout_gives_each_position_its_own_head_weights(Module):
    kwargs = {"window_size": 4} if Module is LocalAttentionNet else {}
    def head_inputs(net):
        return next(m for m in net.head.modules() if isinstance(m, torch.nn.Linear)).in_features

    positions = 2 if Module is ResCNN1d else 16  # the CNN pools 16 -> 8 -> 4 -> 2
    channels = head_inputs(Module(16, 3, **kwargs))  # "mean": one input per channel
    assert head_inputs(Module(16, 3, readout="flatten", **kwargs)) == channels * positions
    with pytest.raises(ValueError, match="readout must be one of"):
        Module(16, 3, readout="max", **kwargs)


def test_local_attention_is_local():
    attention = LocalSelfAttention(d_model=8, n_heads=2, window_size=4).eval()
    x = torch.randn(1, 30, 8, requires_grad=True)
    attention(x)[0, 13].sum().backward()
    seen = torch.nonzero(x.grad[0].abs().sum(dim=1)).ravel().tolist()
    assert seen == list(range(8, 20))  # position 13's window (12-15) and its two neighbours


def test_s4d_layer_is_a_bidirectional_convolution():
    torch.manual_seed(0)
    layer = S4DLayer(d_model=3, d_state=8).double().eval()
    u = torch.randn(2, 3, 11, dtype=torch.float64)
    forward_k, backward_k = layer.kernel(11)
    # y_t = sum_{s<=t} k_fwd[t-s] u_s + sum_{s>t} k_bwd[s-t-1] u_s + D u_t
    expected = torch.zeros_like(u)
    for t in range(11):
        for s in range(11):
            k = forward_k[:, t - s] if s <= t else backward_k[:, s - t - 1]
            expected[..., t] += k * u[..., s]
    expected += u * layer.D[:, None]
    expected = layer.output(torch.nn.functional.gelu(expected))
    torch.testing.assert_close(layer(u), expected)


@pytest.mark.parametrize("Net", CLASSIFIERS)
def test_classifiers_learn_and_keep_labels(Net, digits):
    X, y = digits
    labels = np.array([f"digit {v}" for v in y])
    frame = pd.DataFrame(X, columns=[f"px{i}" for i in range(64)])
    net = Net(max_epochs=15, random_state=0).fit(frame[:500], labels[:500])
    assert net.classes_.tolist() == sorted(set(labels))
    predicted = net.predict(frame[500:])
    assert predicted.dtype == labels.dtype
    assert np.mean(predicted == labels[500:]) > 0.6
    proba = net.predict_proba(frame[500:].astype(np.float32))
    assert proba.shape == (200, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    # early stopping restored the best epoch, which is never after the last one
    assert len(net.history_) <= 15


@pytest.mark.parametrize("Net", REGRESSORS)
def test_regressors_fit_1d_and_2d_targets(Net):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 12))
    y = X[:, 2] - X[:, 7]  # a local, learnable target
    net = Net(max_epochs=40, random_state=0).fit(X[:300], y[:300])
    predicted = net.predict(X[300:])
    assert predicted.shape == (100,) and predicted.dtype == np.float64
    assert net.score(X[300:], y[300:]) > 0.5
    two = Net(max_epochs=2, random_state=0).fit(X, np.column_stack([y, -y]))
    assert two.predict(X).shape == (400, 2)
    assert not hasattr(net, "predict_proba")


def test_same_random_state_same_model_and_caller_rng_untouched(digits):
    X, y = digits
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = LocalCNNClassifier(max_epochs=3, random_state=7).fit(X, y)
    assert torch.rand(1) == before
    b = LocalCNNClassifier(max_epochs=3, random_state=7).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_s4_state_space_parameters_get_their_own_group(digits):
    X, y = digits
    net = S4Classifier(max_epochs=1, random_state=0).fit(X[:100], y[:100])
    ssm_group, rest = net.optimizer_.param_groups
    assert ssm_group["lr"] == 1e-3 and ssm_group["weight_decay"] == 0.0
    assert rest["lr"] == 3e-3
    names = {id(p): n for n, p in net.module_.named_parameters()}
    assert all("ssm_" in names[id(p)] for p in ssm_group["params"])
    assert not any("ssm_" in names[id(p)] for p in rest["params"])


def test_pipeline_grid_search_pickle_and_clone(digits):
    X, y = digits
    X = X[:, np.random.default_rng(0).permutation(64)]
    pipe = Pipeline(
        [
            ("reorder", EntanglementReorderer(random_state=0)),
            ("net", LocalCNNClassifier(max_epochs=4, random_state=0)),
        ]
    )
    grid = {
        "reorder": ["passthrough", EntanglementReorderer(random_state=0)],
        "net__module__channels": [8, 16],
        "net__lr": [3e-3],
    }
    search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.named_steps["net"].module_.stem[0].out_channels in (8, 16)
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(restored.predict(X), search.best_estimator_.predict(X))
    fresh = clone(pipe)
    assert fresh.get_params()["net__max_epochs"] == 4
    assert not hasattr(fresh.named_steps["net"], "module_")


def test_training_without_a_validation_split_runs_every_epoch(digits):
    X, y = digits
    net = LocalCNNClassifier(train_split=None, max_epochs=3, random_state=0).fit(X, y)
    assert len(net.history_) == 3
    assert "valid_loss" not in net.history_[-1]


def test_2d_cnn_on_images(digits):
    X, y = digits
    net = LocalCNNClassifier(module=ResCNN2d, module__shape=(8, 8), max_epochs=5, random_state=0)
    net.fit(X[:500], y[:500])
    assert np.mean(net.predict(X[500:]) == y[500:]) > 0.8


def test_bad_input(digits):
    X, y = digits
    net = LocalCNNClassifier(max_epochs=1)
    with pytest.raises(ValueError, match="NaN"):
        net.fit(np.where(X > 0.5, np.nan, X), y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        net.fit(X, y[:10])
    with pytest.raises(ValueError, match="requires y to be passed"):
        net.fit(X, None)
    net.fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="X has 63 features"):
        net.predict(X[:, :63])
    with pytest.raises(ValueError, match="previously unseen labels"):
        net.partial_fit(X[:5], np.full(5, 42))


def _small_data(Net):
    """40 samples, 8 features: labels of 3 classes, or a target."""
    X = np.random.default_rng(0).standard_normal((40, 8))
    return X, (X[:, 0] if Net in REGRESSORS else np.arange(40) % 3)


def _outputs(net, X):
    return net.predict(X) if isinstance(net, tuple(REGRESSORS)) else net.predict_proba(X)


class _State:
    """What a failed or interrupted call must leave as it was: every attribute (the same
    objects), the network's weights, the history and the outputs."""

    def __init__(self, net, X):
        self.attributes = dict(vars(net))
        self.fitted = hasattr(net, "module_")
        if self.fitted:
            self.weights = {k: v.clone() for k, v in net.module_.state_dict().items()}
            self.epochs = len(net.history_)
            self.outputs = _outputs(net, X)

    def assert_same(self, net, X):
        assert vars(net).keys() == self.attributes.keys()
        for name, value in self.attributes.items():
            assert vars(net)[name] is value, name
        if not self.fitted:
            with pytest.raises(NotFittedError):
                net.predict(X)
            return
        for name, value in net.module_.state_dict().items():
            torch.testing.assert_close(value, self.weights[name], rtol=0, atol=0)
        assert len(net.history_) == self.epochs
        np.testing.assert_array_equal(_outputs(net, X), self.outputs)


class _RaiseAtEpoch(Callback):
    """Raise ``error`` at the end of the net's ``epoch``-th epoch (counting earlier fits')."""

    def __init__(self, epoch, error=KeyboardInterrupt):
        self.epoch = epoch
        self.error = error

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise self.error


@pytest.mark.parametrize("Net", CLASSIFIERS + REGRESSORS)
def test_failed_fit_leaves_a_fitted_net_as_it_was(Net):
    X, y = _small_data(Net)
    net = Net(max_epochs=1, random_state=0).fit(X, y)
    state = _State(net, X)
    failures = [
        (lambda: net.fit(X, y[:10]), "inconsistent numbers of samples"),
        (lambda: net.fit(np.where(X > 1, np.nan, X), y), "NaN"),
        (lambda: net.fit(X * 1e300, y), "float32 range"),
        (lambda: net.partial_fit(X[:, :5], y), "X has 5 features"),
    ]
    if Net in CLASSIFIERS:
        unseen_label = (lambda: net.partial_fit(X[:5], np.full(5, 42)), "previously unseen labels")
        failures.append(unseen_label)
    else:
        failures.append((lambda: net.partial_fit(X, np.column_stack([y, y])), "y has 2 targets"))
    for call, message in failures:
        with pytest.raises(ValueError, match=message):
            call()
        state.assert_same(net, X)


@pytest.mark.parametrize("Net", CLASSIFIERS + REGRESSORS)
def test_ctrl_c_leaves_an_unfitted_net_unfitted(Net):
    X, y = _small_data(Net)
    net = Net(max_epochs=3, callbacks=[_RaiseAtEpoch(2)], random_state=0)
    state = _State(net, X)
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, y)
    state.assert_same(net, X)
    with pytest.raises(KeyboardInterrupt):
        net.partial_fit(X, y)
    state.assert_same(net, X)


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("Net", CLASSIFIERS + REGRESSORS)
def test_interrupted_training_leaves_a_fitted_net_as_it_was(Net, method, error):
    # partial_fit trains the fitted network further, so it must work on a copy of it.
    X, y = _small_data(Net)
    net = Net(max_epochs=1, callbacks=[_RaiseAtEpoch(2, error)], random_state=0).fit(X, y)
    net.set_params(max_epochs=3)
    state = _State(net, X)
    with pytest.raises(error):
        getattr(net, method)(X, y)
    state.assert_same(net, X)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_early_stopping_is_not_taken_for_ctrl_c(method):
    # skorch's EarlyStopping ends training by raising KeyboardInterrupt too.
    X, y = _small_data(LocalCNNClassifier)
    never_improves = EarlyStopping(
        monitor="train_loss", patience=1, threshold=1e9, threshold_mode="abs"
    )
    net = LocalCNNClassifier(
        max_epochs=5, train_split=None, callbacks=[never_improves], random_state=0
    )
    getattr(net, method)(X, y)
    assert len(net.history_) == 2
    assert net.predict_proba(X).shape == (40, 3)


@pytest.mark.parametrize("bad", [1e300, -1e39])
@pytest.mark.parametrize("Net", CLASSIFIERS + REGRESSORS)
def test_values_beyond_float32_are_rejected(Net, bad):
    X, y = _small_data(Net)
    X_bad = X.copy()
    X_bad[3, 2] = bad
    message = re.escape("X has values beyond the float32 range (|X| > 3.4e+38)")
    net = Net(max_epochs=1, random_state=0)
    for method in ("fit", "partial_fit"):
        with pytest.raises(ValueError, match=message):
            getattr(net, method)(X_bad, y)
    net.fit(X, y)
    methods = ["predict", "predict_proba"] if Net in CLASSIFIERS else ["predict"]
    for method in methods:
        with pytest.raises(ValueError, match=message):
            getattr(net, method)(X_bad)
    with pytest.raises(ValueError, match=message):
        net.score(X_bad, y)
    if Net in REGRESSORS:
        with pytest.raises(ValueError, match=re.escape("y has values beyond the float32 range")):
            net.fit(X, y * bad)


_2D = {"module": ResCNN2d}
_SHAPE_MESSAGE = "module__shape must be a pair (height, width) of positive ints whose product is"
BAD_PARAMS = [
    # (estimator, parameters, error, message)
    (LocalCNNClassifier, {"module__channels": 0}, ValueError,
     "module__channels must be a positive int, got 0."),
    (LocalCNNRegressor, {"module__channels": 2.5}, TypeError,
     "module__channels must be a positive int, got 2.5."),
    (LocalCNNClassifier, {"module__channels": True}, TypeError,
     "module__channels must be a positive int"),
    (LocalCNNClassifier, {"module__kernel_size": 0}, ValueError,
     "module__kernel_size must be a positive odd int, got 0."),
    (LocalCNNClassifier, {"module__kernel_size": 4}, ValueError,
     "module__kernel_size must be a positive odd int, got 4."),
    (LocalCNNRegressor, {"module__n_blocks": -1}, ValueError,
     "module__n_blocks must be a non-negative int, got -1."),
    (LocalCNNClassifier, {"module__dropout": 1.0}, ValueError,
     "module__dropout must be a float in [0, 1), got 1.0."),
    (LocalCNNClassifier, {"module__readout": "max"}, ValueError,
     "module__readout must be one of"),
    (LocalCNNClassifier, {**_2D, "module__shape": (3, 3)}, ValueError,
     f"{_SHAPE_MESSAGE} n_features=8, got (3, 3)."),
    (LocalCNNClassifier, {**_2D, "module__shape": (-2, -4)}, ValueError, _SHAPE_MESSAGE),
    (LocalCNNRegressor, {**_2D, "module__shape": 8}, ValueError, _SHAPE_MESSAGE),
    (LocalCNNClassifier, {**_2D, "module__shape": (2, 4), "module__kernel_size": 2}, ValueError,
     "module__kernel_size must be a positive odd int, got 2."),
    (S4Classifier, {"module__d_model": 0}, ValueError,
     "module__d_model must be a positive int, got 0."),
    (S4Regressor, {"module__n_layers": -1}, ValueError,
     "module__n_layers must be a non-negative int, got -1."),
    (S4Classifier, {"module__d_state": 0}, ValueError,
     "module__d_state must be an int >= 2, got 0."),
    (S4Classifier, {"module__d_state": 1}, ValueError,
     "module__d_state must be an int >= 2, got 1."),
    (S4Regressor, {"module__dt_min": 0.0}, ValueError,
     "module__dt_min must be a positive float, got 0.0."),
    (S4Classifier, {"module__dt_max": "0.1"}, TypeError,
     "module__dt_max must be a positive float"),
    (S4Classifier, {"module__dt_min": 0.2, "module__dt_max": 0.1}, ValueError,
     "module__dt_min must be <= dt_max, got 0.2 > 0.1."),
    (S4Regressor, {"module__dropout": -0.1}, ValueError,
     "module__dropout must be a float in [0, 1)"),
    (LocalAttentionClassifier, {"module__d_model": 30}, ValueError,
     "module__n_heads must divide d_model, got n_heads=4 and d_model=30."),
    (LocalAttentionRegressor, {"module__n_heads": 0}, ValueError,
     "module__n_heads must be a positive int, got 0."),
    (LocalAttentionClassifier, {"module__window_size": 0}, ValueError,
     "module__window_size must be a positive int, got 0."),
    (LocalAttentionRegressor, {"module__n_layers": -1}, ValueError,
     "module__n_layers must be a non-negative int, got -1."),
    (LocalAttentionClassifier, {"module__dropout": float("nan")}, ValueError,
     "module__dropout must be a float in [0, 1)"),
    (LocalCNNClassifier, {"max_epochs": 0}, ValueError,
     "max_epochs must be a positive int, got 0."),
    (S4Regressor, {"max_epochs": 2.0}, TypeError,
     "max_epochs must be a positive int, got 2.0."),
    (LocalCNNClassifier, {"batch_size": 0}, ValueError,
     "batch_size must be a positive int or -1 (one batch of all samples), got 0."),
    (LocalAttentionRegressor, {"batch_size": -5}, ValueError,
     "batch_size must be a positive int or -1"),
    (LocalCNNRegressor, {"patience": 0}, ValueError,
     "patience must be a positive int, got 0."),
    (S4Classifier, {"lr": 0.0}, ValueError,
     "lr must be a positive float, got 0.0."),
    (LocalCNNClassifier, {"lr": -1e-3}, ValueError,
     "lr must be a positive float, got -0.001."),
]


@pytest.mark.parametrize(
    "Net, params, error, message",
    BAD_PARAMS,
    ids=[
        "-".join([Net.__name__] + [f"{k}={getattr(v, '__name__', v)}" for k, v in params.items()])
        for Net, params, *_ in BAD_PARAMS
    ],
)
def test_bad_hyperparameters_raise_early_at_fit_time(Net, params, error, message):
    X, y = _small_data(Net)
    net = Net(random_state=0, **params)  # accepted here: scikit-learn validates in fit
    for method in ("fit", "partial_fit"):
        with pytest.raises(error, match=re.escape(message)):
            getattr(net, method)(X, y)
        with pytest.raises(NotFittedError):
            net.predict(X)


@pytest.mark.parametrize(
    "Net, params",
    [
        (LocalCNNClassifier, {"module__n_blocks": 0, "batch_size": -1}),
        (LocalCNNRegressor, {**_2D, "module__shape": [2, 4], "module__kernel_size": 1}),
        (S4Regressor, {"module__n_layers": 0, "module__dt_min": 0.01, "module__dt_max": 0.01}),
        (LocalAttentionClassifier, {"module__d_model": 6, "module__n_heads": 3}),
        (LocalAttentionRegressor, {"module__window_size": 1, "module__readout": "flatten"}),
    ],
)
def test_edge_hyperparameters_are_accepted(Net, params):
    X, y = _small_data(Net)
    assert _outputs(Net(max_epochs=1, random_state=0, **params).fit(X, y), X).shape[0] == 40


def test_modules_name_their_own_parameters():
    with pytest.raises(ValueError, match="^channels must be a positive int, got 0"):
        ResCNN1d(8, 2, channels=0)
    with pytest.raises(ValueError, match="^n_heads must divide d_model"):
        LocalAttentionNet(8, 2, d_model=10, n_heads=4)
