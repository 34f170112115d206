import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

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
