import inspect
import pickle
import re

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder
from skorch.callbacks import Callback, EarlyStopping

from sklearn_qe import EntanglementReorderer
from sklearn_qe.nets import (
    LocalAttentionClassifier,
    LocalAttentionNet,
    LocalAttentionRegressor,
    LocalCNNClassifier,
    LocalCNNRegressor,
    PointwiseCNN1d,
    PointwiseCNN2d,
    ResCNN1d,
    ResCNN2d,
    S4Classifier,
    S4DNet,
    S4Regressor,
)
from sklearn_qe.nets._attention import LocalSelfAttention
from sklearn_qe.nets._s4 import S4DLayer

CLASSIFIERS = [LocalCNNClassifier, S4Classifier, LocalAttentionClassifier]
REGRESSORS = [LocalCNNRegressor, S4Regressor, LocalAttentionRegressor]


@pytest.fixture(scope="module")
def digits(digits):
    X, y = digits
    return X[:700] / 16, y[:700]


@pytest.mark.parametrize("readout", ["mean", "flatten"])
@pytest.mark.parametrize("n_features", [1, 2, 7, 33])
@pytest.mark.parametrize("Module", [ResCNN1d, PointwiseCNN1d, S4DNet, LocalAttentionNet])
def test_modules_take_any_number_of_features(Module, n_features, readout):
    kwargs = {"window_size": 4} if Module is LocalAttentionNet else {}
    out = Module(n_features, 3, readout=readout, **kwargs)(torch.randn(5, n_features))
    assert out.shape == (5, 3)
    for Image in (ResCNN2d, PointwiseCNN2d):
        assert Image(15, 2, shape=(3, 5), readout=readout)(torch.randn(4, 15)).shape == (4, 2)


@pytest.mark.parametrize("Module", [ResCNN1d, S4DNet, LocalAttentionNet])
def test_flatten_readout_gives_each_position_its_own_head_weights(Module):
    kwargs = {"window_size": 4} if Module is LocalAttentionNet else {}

    def head_inputs(net):
        return next(m for m in net.head.modules() if isinstance(m, torch.nn.Linear)).in_features

    positions = 2 if Module is ResCNN1d else 16  # the CNN pools 16 -> 8 -> 4 -> 2
    channels = head_inputs(Module(16, 3, **kwargs))  # "mean": one input per channel
    assert head_inputs(Module(16, 3, readout="flatten", **kwargs)) == channels * positions
    with pytest.raises(ValueError, match="'readout' parameter of .* must be a str among"):
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


def test_pointwise_cnn_learns(digits):
    """Levine et al.'s network: a stem convolution, then only 1x1 convolutions and pooling,
    trains from its He initialisation, with no normalisation to help it."""
    X, y = digits
    net = LocalCNNClassifier(
        module=PointwiseCNN2d,
        module__shape=(8, 8),
        module__channels=[16, 32, 32],
        lr=1e-2,
        max_epochs=10,
        random_state=0,
    )
    net.fit(X[:500], y[:500])
    assert np.mean(net.predict(X[500:]) == y[500:]) > 0.4  # 4 times chance
    channels = LocalCNNClassifier(
        module=PointwiseCNN1d, module__channels=[16, 32], module__n_blocks=1
    )
    with pytest.raises(
        ValueError,
        match="'module__channels' parameter of LocalCNNClassifier must be .* a list of 2 .* "
        "the n_blocks=1 1x1 convolutions",
    ):
        channels.set_params(module__channels=[16, 32, 8]).fit(X[:100], y[:100])


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
BAD_PARAMS = [
    # (estimator, parameters, error, message)
    (
        LocalCNNClassifier,
        {"module__channels": 0},
        ValueError,
        "The 'module__channels' parameter of LocalCNNClassifier must be an int in the range "
        "[1, 2147483647], an instance of 'list' or an instance of 'tuple'. Got 0 instead.",
    ),
    (
        LocalCNNRegressor,
        {"module__channels": 2.5},
        TypeError,
        "The 'module__channels' parameter of LocalCNNRegressor must be an int in the range [1, "
        "2147483647], an instance of 'list' or an instance of 'tuple'. Got 2.5 instead.",
    ),
    (
        LocalCNNClassifier,
        {"module__channels": True},
        TypeError,
        "The 'module__channels' parameter of LocalCNNClassifier must be an int in the range [1, "
        "2147483647], an instance of 'list' or an instance of 'tuple'. Got True instead.",
    ),
    (
        LocalCNNClassifier,
        {"module__kernel_size": 0},
        ValueError,
        "The 'module__kernel_size' parameter of LocalCNNClassifier must be an int in the range "
        "[1, inf). Got 0 instead.",
    ),
    (
        LocalCNNClassifier,
        {"module__kernel_size": 4},
        ValueError,
        "The 'module__kernel_size' parameter of LocalCNNClassifier must be an odd int. Got 4 "
        "instead.",
    ),
    (
        LocalCNNRegressor,
        {"module__n_blocks": -1},
        ValueError,
        "The 'module__n_blocks' parameter of LocalCNNRegressor must be an int in the range [0, "
        "1024]. Got -1 instead.",
    ),
    (
        LocalCNNClassifier,
        {"module__dropout": 1.0},
        ValueError,
        "The 'module__dropout' parameter of LocalCNNClassifier must be a float in the range "
        "[0.0, 1.0). Got 1.0 instead.",
    ),
    (
        LocalCNNClassifier,
        {"module__readout": "max"},
        ValueError,
        # The options are a set: their order in the message varies between runs.
        "The 'module__readout' parameter of LocalCNNClassifier must be a str among {",
    ),
    (
        LocalCNNClassifier,
        {**_2D, "module__shape": (3, 3)},
        ValueError,
        "module__shape=(3, 3) describes 9 features, but the data has 8.",
    ),
    (
        LocalCNNClassifier,
        {**_2D, "module__shape": (-2, -4)},
        ValueError,
        "module__shape must be a pair (H, W) of ints of at least 1, got (-2, -4).",
    ),
    (
        LocalCNNRegressor,
        {**_2D, "module__shape": 8},
        ValueError,
        "The 'module__shape' parameter of LocalCNNRegressor must be an instance of 'tuple' or "
        "an instance of 'list'. Got 8 instead.",
    ),
    (
        LocalCNNClassifier,
        {**_2D, "module__shape": (2, 4), "module__kernel_size": 2},
        ValueError,
        "The 'module__kernel_size' parameter of LocalCNNClassifier must be an odd int. Got 2 "
        "instead.",
    ),
    (
        S4Classifier,
        {"module__d_model": 0},
        ValueError,
        "The 'module__d_model' parameter of S4Classifier must be an int in the range [1, "
        "2147483647]. Got 0 instead.",
    ),
    (
        S4Regressor,
        {"module__n_layers": -1},
        ValueError,
        "The 'module__n_layers' parameter of S4Regressor must be an int in the range [0, 1024]. "
        "Got -1 instead.",
    ),
    # Found by tests/test_properties.py: the layers were built one by one until memory ran out.
    (
        S4Regressor,
        {"module__n_layers": 10**20},
        ValueError,
        "The 'module__n_layers' parameter of S4Regressor must be an int in the range [0, 1024]. "
        "Got 100000000000000000000 instead.",
    ),
    (
        LocalCNNRegressor,
        {"module__n_blocks": 10**20},
        ValueError,
        "The 'module__n_blocks' parameter of LocalCNNRegressor must be an int in the range [0, "
        "1024]. Got 100000000000000000000 instead.",
    ),
    # Also found there: widths too large for torch's sizes crashed inside torch, and widths
    # it can size asked the allocator for terabytes.
    (
        S4Regressor,
        {"module__d_state": 10**20},
        ValueError,
        "The 'module__d_state' parameter of S4Regressor must be an int in the range [2, "
        "2147483647]. Got 100000000000000000000 instead.",
    ),
    (
        LocalAttentionClassifier,
        {"module__d_model": 10**20},
        ValueError,
        "The 'module__d_model' parameter of LocalAttentionClassifier must be an int in the "
        "range [1, 2147483647]. Got 100000000000000000000 instead.",
    ),
    (
        LocalCNNClassifier,
        {"module__channels": [4, 10**20, 4, 4]},
        ValueError,
        "The 'module__channels' parameter of LocalCNNClassifier must be an int in [1, "
        "2147483647] or a list of 4 of them (one per stage: the stem, then each of the "
        "n_blocks=3 residual blocks). Got [4, 100000000000000000000, 4, 4] instead.",
    ),
    (
        LocalCNNRegressor,
        {"module__channels": 2**20},
        ValueError,
        "parameters (1.23e+05 GiB of float32, about 4x that to train), more than the budget",
    ),
    (
        S4Classifier,
        {"module__d_model": 2**20, "module__n_layers": 1},
        ValueError,
        "lower its widths (module__d_model=1048576, module__n_layers=1)",
    ),
    (
        S4Classifier,
        {"module__d_state": 0},
        ValueError,
        "The 'module__d_state' parameter of S4Classifier must be an int in the range [2, "
        "2147483647]. Got 0 instead.",
    ),
    (
        S4Classifier,
        {"module__d_state": 1},
        ValueError,
        "The 'module__d_state' parameter of S4Classifier must be an int in the range [2, "
        "2147483647]. Got 1 instead.",
    ),
    (
        S4Regressor,
        {"module__dt_min": 0.0},
        ValueError,
        "The 'module__dt_min' parameter of S4Regressor must be a float in the range (0.0, "
        "1.7976931348623157e+308]. Got 0.0 instead.",
    ),
    (
        S4Classifier,
        {"module__dt_max": "0.1"},
        TypeError,
        "The 'module__dt_max' parameter of S4Classifier must be a float in the range (0.0, "
        "1.7976931348623157e+308]. Got '0.1' instead.",
    ),
    (
        S4Classifier,
        {"module__dt_min": 0.2, "module__dt_max": 0.1},
        ValueError,
        "The 'module__dt_min' parameter of S4Classifier must be at most dt_max=0.1. Got 0.2 "
        "instead.",
    ),
    (
        S4Regressor,
        {"module__dropout": -0.1},
        ValueError,
        "The 'module__dropout' parameter of S4Regressor must be a float in the range [0.0, "
        "1.0). Got -0.1 instead.",
    ),
    (
        LocalAttentionClassifier,
        {"module__d_model": 30},
        ValueError,
        "The 'module__n_heads' parameter of LocalAttentionClassifier must be a divisor of "
        "d_model=30. Got 4 instead.",
    ),
    (
        LocalAttentionRegressor,
        {"module__n_heads": 0},
        ValueError,
        "The 'module__n_heads' parameter of LocalAttentionRegressor must be an int in the range "
        "[1, inf). Got 0 instead.",
    ),
    (
        LocalAttentionClassifier,
        {"module__window_size": 0},
        ValueError,
        "The 'module__window_size' parameter of LocalAttentionClassifier must be an int in the "
        "range [1, inf). Got 0 instead.",
    ),
    (
        LocalAttentionRegressor,
        {"module__n_layers": -1},
        ValueError,
        "The 'module__n_layers' parameter of LocalAttentionRegressor must be an int in the "
        "range [0, 1024]. Got -1 instead.",
    ),
    (
        LocalAttentionClassifier,
        {"module__dropout": float("nan")},
        ValueError,
        "The 'module__dropout' parameter of LocalAttentionClassifier must be a float in the "
        "range [0.0, 1.0). Got nan instead.",
    ),
    (
        LocalCNNClassifier,
        {"max_epochs": 0},
        ValueError,
        "The 'max_epochs' parameter of LocalCNNClassifier must be an int in the range [1, inf). "
        "Got 0 instead.",
    ),
    (
        S4Regressor,
        {"max_epochs": 2.0},
        TypeError,
        "The 'max_epochs' parameter of S4Regressor must be an int in the range [1, inf). Got "
        "2.0 instead.",
    ),
    (
        LocalCNNClassifier,
        {"batch_size": 0},
        ValueError,
        "The 'batch_size' parameter of LocalCNNClassifier must be an int in the range [1, "
        "9223372036854775807] or a int among {-1}. Got 0 instead.",
    ),
    (
        LocalAttentionRegressor,
        {"batch_size": -5},
        ValueError,
        "The 'batch_size' parameter of LocalAttentionRegressor must be an int in the range [1, "
        "9223372036854775807] or a int among {-1}. Got -5 instead.",
    ),
    (
        LocalCNNClassifier,
        {"batch_size": 10**20},
        ValueError,
        "The 'batch_size' parameter of LocalCNNClassifier must be an int in the range [1, "
        "9223372036854775807] or a int among {-1}. Got 100000000000000000000 instead.",
    ),
    (
        LocalCNNRegressor,
        {"patience": 0},
        ValueError,
        "The 'patience' parameter of LocalCNNRegressor must be an int in the range [1, inf). "
        "Got 0 instead.",
    ),
    (
        S4Classifier,
        {"lr": 0.0},
        ValueError,
        "The 'lr' parameter of S4Classifier must be a float in the range (0.0, "
        "1.7976931348623157e+308]. Got 0.0 instead.",
    ),
    (
        LocalCNNClassifier,
        {"lr": -1e-3},
        ValueError,
        "The 'lr' parameter of LocalCNNClassifier must be a float in the range (0.0, "
        "1.7976931348623157e+308]. Got -0.001 instead.",
    ),
    (
        S4Regressor,
        {"normalize_y": "yes"},
        TypeError,
        "The 'normalize_y' parameter of S4Regressor must be an instance of 'bool' or an "
        "instance of 'numpy.bool'. Got 'yes' instead.",
    ),
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
        # A window beyond the sequence is the whole sequence.
        (LocalAttentionClassifier, {"module__window_size": 10**20}),
    ],
)
def test_edge_hyperparameters_are_accepted(Net, params):
    X, y = _small_data(Net)
    assert _outputs(Net(max_epochs=1, random_state=0, **params).fit(X, y), X).shape[0] == 40


def test_modules_name_their_own_parameters():
    with pytest.raises(ValueError, match="^The 'channels' parameter of ResCNN1d must be"):
        ResCNN1d(8, 2, channels=0)
    with pytest.raises(ValueError, match="^The 'n_heads' parameter .* a divisor of d_model=10"):
        LocalAttentionNet(8, 2, d_model=10, n_heads=4)


def _scaled_target_data():
    """200 samples, 8 features; a learnable target of mean 1e4 and spread about 1400."""
    X = np.random.default_rng(0).standard_normal((200, 8))
    return X, (X[:, 0] - X[:, 3]) * 1000 + 1e4


def _raw_outputs(net, X):
    return net.forward(X.astype(np.float32)).numpy().astype(np.float64)


@pytest.mark.parametrize("Net", REGRESSORS)
def test_regressors_train_on_the_standardized_target(Net):
    X, y = _scaled_target_data()
    net = Net(max_epochs=3, random_state=0).fit(X[:150], y[:150])
    np.testing.assert_allclose(net.y_mean_, [y[:150].mean()])
    np.testing.assert_allclose(net.y_scale_, [y[:150].std()])
    assert net.history_[0]["train_loss"] < 100  # a squared error in units of the target's std
    predicted = net.predict(X[150:])
    np.testing.assert_allclose(
        predicted, _raw_outputs(net, X[150:]).ravel() * net.y_scale_ + net.y_mean_
    )
    # On the target's scale, unlike the outputs near 0 an unscaled fit starts from (below).
    assert net.score(X[150:], y[150:]) > -1
    assert net.score(X[150:], y[150:]) == pytest.approx(
        1 - np.sum((y[150:] - predicted) ** 2) / np.sum((y[150:] - y[150:].mean()) ** 2)
    )


def test_regressor_without_target_scaling_trains_on_the_raw_target():
    X, y = _scaled_target_data()
    net = LocalCNNRegressor(max_epochs=3, normalize_y=False, random_state=0).fit(X[:150], y[:150])
    assert net.y_mean_.tolist() == [0.0] and net.y_scale_.tolist() == [1.0]
    assert net.history_[0]["train_loss"] > 1e6
    np.testing.assert_array_equal(net.predict(X[150:]), _raw_outputs(net, X[150:]).ravel())
    assert net.score(X[150:], y[150:]) < -10  # outputs still near 0, targets near 1e4


def test_target_scaling_per_column_partial_fit_and_pickle():
    X, y = _scaled_target_data()
    targets = np.column_stack([y, np.full(200, 7.0), -y / 1000])
    net = LocalCNNRegressor(max_epochs=2, random_state=0).partial_fit(X, targets)
    mean, scale = net.y_mean_, net.y_scale_
    np.testing.assert_allclose(mean, targets.mean(axis=0))
    assert scale[1] == 1.0  # a constant column is only centred
    np.testing.assert_allclose(scale[[0, 2]], [y.std(), y.std() / 1000])
    assert net.predict(X).shape == (200, 3)
    net.partial_fit(X, targets + 5e3)  # trained further on the first call's scaling
    assert net.y_mean_ is mean and net.y_scale_ is scale
    restored = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(restored.predict(X), net.predict(X))
    np.testing.assert_array_equal(restored.y_scale_, scale)
    net.fit(X, targets + 5e3)  # fit starts over, scaling included
    np.testing.assert_allclose(net.y_mean_, mean + 5e3)


def test_sparse_input_from_one_hot_encoder_in_a_pipeline():
    rng = np.random.default_rng(0)
    categories = rng.integers(0, 30, size=(120, 3)).astype(str)
    y = categories[:, 0].astype(int) % 3
    sparse_pipe = make_pipeline(
        OneHotEncoder(handle_unknown="ignore"), LocalCNNClassifier(max_epochs=2, random_state=0)
    ).fit(categories, y)
    assert sparse.issparse(sparse_pipe[0].transform(categories))
    dense_pipe = make_pipeline(
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
        LocalCNNClassifier(max_epochs=2, random_state=0),
    ).fit(categories, y)
    np.testing.assert_array_equal(
        sparse_pipe.predict_proba(categories), dense_pipe.predict_proba(categories)
    )

    net = LocalCNNRegressor(max_epochs=1, random_state=0)
    X = sparse.random(40, 8, density=0.3, format="csc", random_state=0)
    X.data[0] = 1e300
    with pytest.raises(ValueError, match=re.escape("X has values beyond the float32 range")):
        net.fit(X, np.arange(40.0))
    huge = sparse.csr_matrix((100_000, 10_000))  # 3.7 GiB as dense float32
    message = r"dense float32 copy would take 3\.73 GiB.*OneHotEncoder\(sparse_output=False\)"
    with pytest.raises(ValueError, match=message):
        net.fit(huge, np.zeros(100_000))


@pytest.mark.parametrize("Net", CLASSIFIERS + REGRESSORS)
def test_docstrings_name_every_module_parameter(Net):
    module = inspect.signature(Net).parameters["module"].default
    module_parameters = set(inspect.signature(module).parameters) - {"n_features", "n_outputs"}
    documented = set()
    for names in re.findall(r"^(\w+(?:, \w+)*) : ", inspect.getdoc(Net), flags=re.MULTILINE):
        documented.update(names.split(", "))
    assert {f"module__{name}" for name in module_parameters} <= documented
    assert ("normalize_y" in documented) == (Net in REGRESSORS)


@pytest.mark.parametrize("Module, kwargs", [(ResCNN1d, {}), (ResCNN2d, {"shape": (4, 4)})])
def test_cnn_channels_per_stage(Module, kwargs):
    torch.manual_seed(0)
    net = Module(16, 3, channels=[4, 8, 8], n_blocks=2, **kwargs)
    assert net(torch.randn(5, 16)).shape == (5, 3)
    assert [block.body[0].out_channels for block in net.blocks] == [8, 8]
    assert net.head[-1].in_features == 8  # the last stage's width
    # The width changes in block 1 only: a 1x1 projection on its shortcut, none on block 2's.
    assert isinstance(net.blocks[0].shortcut[0], torch.nn.modules.conv._ConvNd)
    assert net.blocks[0].shortcut[0].kernel_size in ((1,), (1, 1))
    assert isinstance(net.blocks[1].shortcut, torch.nn.Identity)

    def n_parameters(module):
        return sum(p.numel() for p in module.parameters())

    uniform = Module(16, 3, channels=[8, 8, 8], n_blocks=2, **kwargs)
    assert n_parameters(uniform) == n_parameters(Module(16, 3, channels=8, n_blocks=2, **kwargs))
    assert n_parameters(net) != n_parameters(uniform)
    with pytest.raises(ValueError, match=re.escape("or a list of 3 of them (one per stage")):
        Module(16, 3, channels=[4, 8], n_blocks=2, **kwargs)
    with pytest.raises(ValueError, match="^The 'channels' parameter .* Got \\[4, 0, 8\\]"):
        Module(16, 3, channels=[4, 0, 8], n_blocks=2, **kwargs)
    with pytest.raises(TypeError, match="^The 'channels' parameter"):
        Module(16, 3, channels=[4, 8.0, 8], n_blocks=2, **kwargs)


def test_cnn_estimator_takes_channels_per_stage():
    X, y = _small_data(LocalCNNClassifier)
    net = LocalCNNClassifier(module__channels=(4, 6), module__n_blocks=1, max_epochs=1)
    assert net.fit(X, y).module_.head[-1].in_features == 6
    with pytest.raises(ValueError, match="'module__channels' parameter .* or a list of 2 of them"):
        net.set_params(module__channels=[4, 6, 8]).fit(X, y)


@pytest.mark.parametrize(
    "n_samples, n_features, params",
    [
        (82, 2, {}),  # 65 training samples: the last batch of 64 holds one
        (82, 1, {}),
        (82, 4, {"module": ResCNN2d, "module__shape": (2, 2)}),
        (40, 8, {"batch_size": 1}),
        (12, 3, {"batch_size": 1, "module__n_blocks": 4}),
    ],
)
@pytest.mark.parametrize("Net", [LocalCNNClassifier, LocalCNNRegressor])
def test_small_data_trains_with_batch_norm(Net, n_samples, n_features, params):
    # A batch holding one value per channel (one sample, one position) has no batch
    # statistics; it must train, not raise from torch's batch-norm.
    X = np.random.default_rng(0).standard_normal((n_samples, n_features))
    y = X[:, 0] if Net in REGRESSORS else (X[:, 0] > 0).astype(int)
    net = Net(max_epochs=2, random_state=0, **params).fit(X, y)
    assert np.isfinite(_outputs(net, X)).all()


def test_batch_norm_normalises_a_single_value_with_its_running_statistics():
    from sklearn_qe.nets._cnn import _BatchNorm1d

    norm = _BatchNorm1d(3).train()
    norm.running_mean.fill_(2.0)
    norm.running_var.fill_(4.0)
    x = torch.tensor([[[4.0], [2.0], [0.0]]])
    torch.testing.assert_close(norm(x), torch.tensor([[[1.0], [0.0], [-1.0]]]), atol=1e-4, rtol=0)
    torch.testing.assert_close(norm.running_mean, torch.full((3,), 2.0))  # left as they were
    batch = torch.randn(5, 3, 4)
    torch.testing.assert_close(norm(batch), torch.nn.BatchNorm1d(3).train()(batch))


@pytest.mark.parametrize("labels", [[0, 0, 1], [0, 1], [0, 0, 1, 1, 1]])
def test_classes_too_small_for_a_stratified_split_still_train(labels):
    X = np.random.default_rng(0).standard_normal((len(labels), 3))
    with pytest.warns(UserWarning, match="too few samples per class for the stratified"):
        net = LocalCNNClassifier(max_epochs=2, random_state=0).fit(X, labels)
    assert set(net.predict(X)) <= {0, 1}
    assert np.isfinite(net.history_[:, "valid_loss"]).all()  # a hold-out still checks training


class _PoisonWeights(Callback):
    """Turn one weight into NaN before the first batch, as a diverging step would."""

    def on_batch_begin(self, net, **kwargs):
        with torch.no_grad():
            next(net.module_.parameters()).view(-1)[0] = float("nan")


@pytest.mark.parametrize("Net", CLASSIFIERS + REGRESSORS)
def test_a_diverging_fit_fails_and_keeps_the_previous_network(Net):
    X, y = _small_data(Net)
    net = Net(max_epochs=1, random_state=0).fit(X, y)
    net.set_params(callbacks=[_PoisonWeights()])
    state = _State(net, X)
    with pytest.raises(
        ValueError, match="training loss became nan in epoch 1: the network diverged"
    ):
        net.fit(X, y)
    state.assert_same(net, X)


_NET_PARAM_ERRORS = [
    ({"train_split": 0.2}, TypeError, "must be a callable or None. Got 0.2 instead."),
    ({"optimizer": "adam"}, TypeError, "must be a callable. Got 'adam' instead."),
    ({"criterion": "mse"}, TypeError, "must be a callable. Got 'mse' instead."),
    ({"device": "meta"}, ValueError, "device must be 'cpu', 'cuda' or another torch device"),
    ({"device": "gpu0"}, ValueError, "device must be 'cpu', 'cuda' or another torch device"),
    ({"module__n_features": 5}, ValueError, "module__n_features is taken from the data"),
    ({"module__n_outputs": 5}, ValueError, "module__n_outputs is taken from the data"),
]


@pytest.mark.parametrize("params, error, message", _NET_PARAM_ERRORS)
@pytest.mark.parametrize("Net", [LocalCNNClassifier, S4Regressor])
def test_skorch_parameters_are_checked_before_training(Net, params, error, message):
    X, y = _small_data(Net)
    with pytest.raises(error, match=re.escape(message)):
        Net(max_epochs=1, **params).fit(X, y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is here")
def test_cuda_without_a_device_is_refused():
    X, y = _small_data(LocalCNNClassifier)
    with pytest.raises(ValueError, match="torch finds no CUDA device"):
        LocalCNNClassifier(device="cuda").fit(X, y)


@pytest.mark.parametrize(
    "Net, change, message",
    [
        (LocalCNNClassifier, lambda X, y: (X[:, :5], y), "this data has 5 features"),
        (LocalCNNClassifier, lambda X, y: (X, y + 1), "classes [1, 2, 3]"),
        (LocalCNNRegressor, lambda X, y: (X, np.c_[y, y]), "this data has 8 features and 2 target"),
    ],
)
def test_warm_start_refuses_data_the_network_was_not_built_for(Net, change, message):
    X, y = _small_data(Net)
    net = Net(max_epochs=1, warm_start=True, random_state=0).fit(X, y)
    state = _State(net, X)
    with pytest.raises(ValueError, match=re.escape(message)):
        net.fit(*change(X, y))
    state.assert_same(net, X)
    net.fit(X, y)  # the same features and targets continue training
    assert len(net.history_) == 2
