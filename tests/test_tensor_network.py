import inspect
import pickle
import re
from functools import reduce

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeRegressor

from sklearn_qe._partitions import canonical_tree, max_canonical_level
from sklearn_qe.nets import TensorNetworkClassifier, TensorNetworkRegressor, TreeTensorNet
from sklearn_qe.nets._tensor_network import _children_of, _linear_core

ESTIMATORS = [TensorNetworkClassifier, TensorNetworkRegressor]


def _children(net, level, index):
    """Indices at ``level + 1`` of the blocks inside block ``index`` of ``level``."""
    block = set(net.blocks[level][index].tolist())
    return [j for j, child in enumerate(net.blocks[level + 1]) if child[0] in block]


def _explicit_tensor(net):
    """The network's tensor ``W`` of shape ``(2,) * n_features + (n_outputs,)``, axes in
    feature order, contracted from its node tensors in float64."""
    # Per block of the current level: its features and the matrix from the product of their
    # phi (first feature's index slowest) to the block's vector.
    blocks = [([block[0]], np.eye(2)) for block in net.blocks[-1]]  # the leaves carry phi
    for level in reversed(range(len(net.blocks) - 1)):
        nodes = []
        for index in range(len(net.blocks[level])):
            core = net.core(level, index).detach().double().numpy()
            tensor, features = core[None], []
            for child in _children(net, level, index):
                child_features, matrix = blocks[child]
                tensor = np.einsum("aw...,rw->ar...", tensor, matrix)
                tensor = tensor.reshape(-1, *tensor.shape[2:])
                features += child_features
            nodes.append((features, tensor))
        blocks = nodes
    ((features, matrix),) = blocks
    n_features = len(features)
    tensor = matrix.reshape((2,) * n_features + (-1,))
    return np.transpose(tensor, [*np.argsort(features), n_features])


def _phi_product(x, theta, embedding="trigonometric"):
    """phi(x_1) (x) ... (x) phi(x_N): the meter's embedding, or the affine one."""
    t = np.pi * theta * np.asarray(x)
    if embedding == "affine":
        t = np.arctan(t)  # (1, t) / |(1, t)| = (cos(arctan t), sin(arctan t))
    return reduce(np.kron, [[np.cos(a), np.sin(a)] for a in t])


@pytest.mark.parametrize("embedding", ["affine", "trigonometric"])
@pytest.mark.parametrize(
    "n_features, shape, rank",
    [(4, None, 8), (5, None, [3, 2]), (6, None, 8), (16, (4, 4), [5, 3]), (15, (3, 5), 4)],
)
def test_prediction_is_the_contracted_tensor_on_the_embedded_features(
    n_features, shape, rank, embedding
):
    torch.manual_seed(0)
    net = TreeTensorNet(
        n_features, 3, rank=rank, theta=0.3, shape=shape, embedding=embedding, init_noise=1.0
    ).double()
    X = np.random.default_rng(0).standard_normal((7, n_features))
    outputs, log_scale = net.forward_factored(torch.from_numpy(X))
    values = outputs.detach().numpy() * np.exp(log_scale.detach().numpy())[:, None]
    W = _explicit_tensor(net).reshape(2**n_features, 3)
    expected = np.stack([_phi_product(x, 0.3, embedding) @ W for x in X])
    np.testing.assert_allclose(values, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())
    np.testing.assert_allclose(net(torch.from_numpy(X)).detach().numpy(), outputs.detach().numpy())


@pytest.mark.parametrize("n_features, shape", [(1, None), (6, None), (33, None), (30, (5, 6))])
def test_the_tree_is_the_canonical_tree_down_to_single_features(n_features, shape):
    net = TreeTensorNet(n_features, 2, shape=shape)
    n_levels = max_canonical_level(n_features, shape)
    if n_features > 1:
        canonical = canonical_tree(n_features, shape=shape).blocks
        for ours, theirs in zip(net.blocks, canonical, strict=False):
            assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]
    assert len(net.blocks) >= n_levels + 2  # every canonical block is a node
    assert sorted(b[0] for b in net.blocks[-1]) == list(range(n_features))
    assert all(len(b) == 1 for b in net.blocks[-1])
    for level in range(len(net.blocks) - 1):  # every level partitions the features
        assert sorted(np.concatenate(net.blocks[level]).tolist()) == list(range(n_features))


def _matricization_rank(W, block):
    n_features = W.ndim - 1
    rest = [n for n in range(n_features) if n not in block]
    matrix = np.transpose(W[..., 0], [*block, *rest]).reshape(2 ** len(block), -1)
    return np.linalg.matrix_rank(matrix, tol=1e-9 * np.abs(matrix).max())


def test_rank_per_level_bounds_the_entanglement_of_that_level():
    # Each block's edge bounds the rank of W matricized by the block (the min-cut bound):
    # level 1 (4 features) by R_1 = 3, level 2 (2 features) by min(R_2, 2**2) = 2.
    torch.manual_seed(0)
    net = TreeTensorNet(8, 1, rank=[3, 2, 8]).double()
    W = _explicit_tensor(net)
    assert _matricization_rank(W, [0, 1, 2, 3]) == 3
    assert _matricization_rank(W, [2, 3]) == 2
    # Edges need no more entries than phi has over their block: 2**2 for 2 features.
    assert [level.child_width for level in net.levels] == [3, 2, 2, 2]
    wide = TreeTensorNet(8, 1, rank=8)
    assert [level.child_width for level in wide.levels] == [8, 4, 2, 2]
    assert tuple(net.core(1, 0).shape) == (2, 2, 3)


def _gradient_norms_per_level(net, X, y):
    outputs, log_scale = net.forward_factored(X)
    torch.nn.functional.cross_entropy(outputs, y).backward()
    norms = [torch.cat([p.grad.ravel() for p in level.parameters()]).norm() for level in net.levels]
    return outputs, log_scale, torch.stack(norms)


def test_float32_is_stable_and_every_level_learns_at_a_thousand_features():
    torch.manual_seed(0)
    X, y = torch.randn(64, 1024) * 3, torch.randint(0, 4, (64,))
    net = TreeTensorNet(1024, 4, rank=8)
    outputs, log_scale, norms = _gradient_norms_per_level(net, X, y)
    assert outputs.dtype == torch.float32
    assert torch.isfinite(outputs).all() and torch.isfinite(log_scale).all()
    # Far beyond float32: the values themselves are only representable through log_scale.
    assert log_scale.abs().max() > 100
    # The outputs depend on the sample (measured: by 3-15% of their size; they start small,
    # as the root starts as noise of standard deviation init_noise).
    assert (outputs.std(dim=0) > 0.01 * outputs.abs().mean(dim=0)).all()
    assert all(torch.isfinite(p.grad).all() for p in net.parameters())
    # No level's gradient vanishes: below the root (whose gradient is of the children's
    # size, while theirs is of the root's, init_noise), the levels' gradients stay within a
    # factor 100 of each other (measured: 18 over ten levels).
    inner = norms[1:]
    assert inner.min() > 1e-6 and inner.max() / inner.min() < 100


@pytest.mark.parametrize("n_features, shape", [(1000, None), (64, (8, 8)), (15, (3, 5))])
def test_the_linear_initialisation_computes_a_linear_model(n_features, shape):
    # Without noise, the root's children hold (1, s) for s a weighted mean of t_n = pi theta
    # x_n over their features, up to the normalisation; a root that reads the mean makes the
    # network exactly a linear model: feature n weighted by 1 / (number of children) of every
    # node above it, times the product of the leaves' norms.
    net = TreeTensorNet(n_features, 1, rank=4, shape=shape, init_noise=0.0).double()
    root = net.levels[0]
    with torch.no_grad():
        for core, arity in zip(root.cores, root.arities):
            core.copy_(_linear_core(arity, root.child_width, 2)[:, 1:])
    weights = np.ones(n_features)
    for level in range(len(net.blocks) - 1):
        for block, children in zip(
            net.blocks[level], _children_of(net.blocks[level], net.blocks[level + 1])
        ):
            weights[block] /= len(children)
    X = np.random.default_rng(0).standard_normal((5, n_features))
    outputs, log_scale = net.forward_factored(torch.from_numpy(X))
    t = np.pi * net.theta * X
    expected = (t @ weights) * np.exp(-0.5 * np.log1p(t**2).sum(axis=1))
    values = outputs[:, 0].detach().numpy() * np.exp(log_scale.detach().numpy())
    np.testing.assert_allclose(values, expected, rtol=1e-9)


@pytest.fixture(scope="module")
def local_tasks():
    """64 standardized features; labels from an interaction of two neighbours (which no
    linear model sees) and from a sparse linear rule."""
    X = np.random.default_rng(0).standard_normal((1200, 64))
    interaction = (X[:, 20] * X[:, 21] > 0).astype(int)
    linear = (X[:, 3] + X[:, 40] - X[:, 41] + 0.5 * X[:, 60] > 0).astype(int)
    return X, {"interaction": interaction, "linear": linear}


@pytest.mark.parametrize("task, minimum", [("interaction", 0.9), ("linear", 0.85)])
def test_local_tasks_are_learned_with_the_defaults(local_tasks, task, minimum):
    # Measured on the 400 test samples: 0.992 and 0.965 (logistic regression: 0.475 and
    # 0.965); unit-variance random tensors with the trigonometric embedding, the previous
    # defaults, stay at chance on both (0.485 and 0.48).
    X, labels = local_tasks
    y = labels[task]
    net = TensorNetworkClassifier(random_state=0).fit(X[:800], y[:800])
    assert net.score(X[800:], y[800:]) > minimum
    previous = TensorNetworkClassifier(
        module__init="normal",
        module__init_noise=1.0,
        module__embedding="trigonometric",
        linear_start=None,
        random_state=0,
    ).fit(X[:800], y[:800])
    assert previous.score(X[800:], y[800:]) < 0.6


def _truncated(coef, rank):
    """The best rank-``rank`` approximation of ``coef``."""
    left, singular, right = np.linalg.svd(coef, full_matrices=False)
    return (left[:, :rank] * singular[:rank]) @ right[:rank]


@pytest.mark.parametrize(
    "n_features, n_outputs, rank, shape, n_channels",
    [
        (1, 2, [], None, 1),
        (8, 3, 1, None, 0),  # width-1 edges carry the constant alone: the intercept
        (2, 3, 8, None, 2),
        (6, 3, [4, 2], None, 1),  # the width-2 edges of level 2 carry one channel
        (37, 2, 3, None, 2),
        (100, 5, 4, None, 3),  # five outputs, three channels: the rank-3 part of coef
        (15, 3, 8, (3, 5), 3),
        (64, 4, 5, (8, 8), 4),
        (16, 10, 3, (4, 4), 2),
    ],
)
def test_a_loaded_linear_model_is_the_network_tensor(
    n_features, n_outputs, rank, shape, n_channels
):
    # The network's value (outputs times the removed norms) is <W, phi(x_1) ... phi(x_N)>,
    # and phi(x_n) = (1, t_n) / |(1, t_n)|: W holds the linear model when the value times
    # the leaves' norms is intercept + coef @ x, with coef of the rank the channels carry.
    rng = np.random.default_rng(0)
    net = TreeTensorNet(n_features, n_outputs, rank=rank, shape=shape, init_noise=0.0).double()
    coef, intercept = rng.standard_normal((n_outputs, n_features)), rng.standard_normal(n_outputs)
    assert net.load_linear_model(coef, intercept) == n_channels
    X = rng.standard_normal((7, n_features))
    outputs, log_scale = net.forward_factored(torch.from_numpy(X))
    t = np.pi * net.theta * X
    values = outputs.detach().numpy() * np.exp(log_scale.detach().numpy())[:, None]
    values *= np.sqrt(1 + t**2).prod(axis=1)[:, None]
    expected = intercept + X @ _truncated(coef, n_channels).T
    np.testing.assert_allclose(values, expected, rtol=1e-10, atol=1e-10)
    # The outputs divide the model by a positive factor per sample: the same winner.
    np.testing.assert_array_equal(outputs.detach().numpy().argmax(1), expected.argmax(1))


def test_a_loaded_linear_model_adds_the_init_noise_and_refuses_what_it_cannot_hold():
    coef, intercept = np.ones((2, 8)), np.zeros(2)
    noisy = TreeTensorNet(8, 2, init_noise=0.01)
    exact = TreeTensorNet(8, 2, init_noise=0.0)
    noisy.load_linear_model(coef, intercept)
    exact.load_linear_model(coef, intercept)
    difference = (noisy.levels[1].cores[0] - exact.levels[1].cores[0]).detach().numpy()
    assert 0.005 < difference.std() < 0.02
    with pytest.raises(ValueError, match=re.escape("shapes (2, 8) and (2,), got (8,) and (2,)")):
        exact.load_linear_model(np.ones(8), intercept)
    trigonometric = TreeTensorNet(8, 2, embedding="trigonometric")
    with pytest.raises(ValueError, match="only with embedding='affine'"):
        trigonometric.load_linear_model(coef, intercept)


def test_the_linear_start_is_the_fitted_linear_model_of_the_training_split():
    # With no noise and no training, the network predicts what the linear model does.
    X, y = _easy_problem()
    y = np.where(X[:, 1] > 0.5, "big", y)  # three classes
    start = LogisticRegression(C=0.1)
    net = TensorNetworkClassifier(
        linear_start=start, module__init_noise=0.0, lr=1e-12, max_epochs=1, train_split=None
    ).fit(X, y)
    expected = clone(start).fit(X.astype(np.float32), y).predict(X)
    np.testing.assert_array_equal(net.predict(X), expected)
    regressor = TensorNetworkRegressor(
        linear_start=Ridge(alpha=10.0),
        module__init_noise=0.0,
        lr=1e-12,
        max_epochs=1,
        train_split=None,
    ).fit(X, X[:, 1] - X[:, 5] + 3.0)
    # Small features keep the root's children near unit norm: the model's own values.
    small = X[:5] * 0.01
    target = Ridge(alpha=10.0).fit(X.astype(np.float32), X[:, 1] - X[:, 5] + 3.0)
    np.testing.assert_allclose(regressor.predict(small), target.predict(small), rtol=1e-3)


def test_the_linear_start_copes_with_classes_missing_from_the_training_split():
    X, _ = _easy_problem()
    y = (X[:, 0] > 0).astype(int)
    net = TensorNetworkClassifier(max_epochs=2, random_state=0, train_split=None)
    net.partial_fit(X, y, classes=[0, 1, 2])
    proba = net.predict_proba(X)
    assert proba.shape == (500, 3) and np.isfinite(proba).all()
    assert proba[:, 2].max() < proba[:, :2].max(axis=1).min()
    one_class = TensorNetworkClassifier(max_epochs=2, random_state=0, train_split=None)
    one_class.partial_fit(X, np.zeros(500, dtype=int), classes=[0, 1])
    assert (one_class.predict(X) == 0).all()


_RANK = (
    "The 'module__rank' parameter of TensorNetwork{} must be a positive int or a list of 3 "
    "positive ints, one per level 1 to 3 of the canonical tree of these features. Got {} instead."
)
_RANK_TYPE = "The 'module__rank' parameter of TensorNetwork{} must be an int in the range [1, inf)"


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"module__rank": 0}, ValueError, _RANK_TYPE),
        ({"module__rank": 2.5}, TypeError, _RANK_TYPE),
        ({"module__rank": [4, 4]}, ValueError, _RANK.format("{}", "[4, 4]")),
        ({"module__rank": [4, 0, 4]}, ValueError, _RANK.format("{}", "[4, 0, 4]")),
        ({"module__rank": [4, "4", 4]}, TypeError, _RANK.format("{}", "[4, '4', 4]")),
        ({"module__theta": 0.0}, ValueError, "'module__theta' parameter of TensorNetwork{} must"),
        ({"module__theta": "big"}, TypeError, "'module__theta' parameter of TensorNetwork{} must"),
        (
            {"module__shape": (3, 3)},
            ValueError,
            "module__shape=(3, 3) describes 9 features, but the data has 8.",
        ),
        ({"module__shape": (1, 8)}, ValueError, "module__shape must be a pair (H, W) of ints of"),
        (
            {"module__embedding": "cos"},
            ValueError,
            "'module__embedding' parameter of TensorNetwork{} must be a str among",
        ),
        (
            {"module__init": "zeros"},
            ValueError,
            "'module__init' parameter of TensorNetwork{} must be a str among",
        ),
        (
            {"module__init_noise": -0.1},
            ValueError,
            "'module__init_noise' parameter of TensorNetwork{} must be a float in the range [0.0,",
        ),
        ({"module__init_noise": True}, TypeError, "'module__init_noise' parameter"),
        ({"module__theta": 1e308}, ValueError, "pi * theta * X overflows torch.float32"),
        (
            {"linear_start": "ridge"},
            ValueError,
            "'linear_start' parameter of TensorNetwork{} must be a str among {'auto'}, an object",
        ),
        ({"linear_start": 1.0}, TypeError, "'linear_start' parameter of TensorNetwork{} must be"),
        (
            {"linear_start": DecisionTreeRegressor()},
            TypeError,
            "linear_start=DecisionTreeRegressor() has no coef_ and intercept_ once fitted",
        ),
        (
            {"module__embedding": "trigonometric"},
            ValueError,
            "holds only with module__embedding='affine', got 'trigonometric': set "
            "linear_start=None.",
        ),
    ],
)
def test_bad_hyperparameters_are_named_at_fit(params, error, message):
    X = np.random.default_rng(0).standard_normal((40, 8))
    for Net, y in [(TensorNetworkClassifier, np.arange(40) % 2), (TensorNetworkRegressor, X[:, 0])]:
        net = Net(random_state=0, **params)
        kind = Net.__name__.removeprefix("TensorNetwork")
        with pytest.raises(error, match=re.escape(message.replace("{}", kind))):
            net.fit(X, y)
        with pytest.raises(NotFittedError):
            net.predict(X)


@pytest.mark.parametrize(
    "n_features, rank, shape, parameters",
    [(180, 10**6, None, "6e+18"), (64, 128, (8, 8), "8.39e+08")],
)
def test_networks_beyond_the_memory_budget_are_refused_before_allocating(
    n_features, rank, shape, parameters
):
    message = f"gives node tensors of {parameters} parameters"
    with pytest.raises(ValueError, match=re.escape(message)):
        TreeTensorNet(n_features, 3, rank=rank, shape=shape)
    X = np.random.default_rng(0).standard_normal((20, n_features))
    net = TensorNetworkClassifier(module__rank=rank, module__shape=shape)
    with pytest.raises(ValueError, match=re.escape(f"module__rank [{rank}, ")):
        net.fit(X, np.arange(20) % 3)


def test_a_single_feature_has_no_inner_level():
    net = TreeTensorNet(1, 2, rank=[])
    assert net(torch.zeros(3, 1)).shape == (3, 2)
    message = re.escape(
        "'rank' parameter of TreeTensorNet must be a positive int (a single feature"
    )
    with pytest.raises(ValueError, match=message):
        TreeTensorNet(1, 2, rank=[4])


def _easy_problem():
    """A label that two features decide linearly, 8 standardized features."""
    X = np.random.default_rng(0).standard_normal((500, 8))
    return X, np.where(X[:, 1] + X[:, 5] > 0, "yes", "no")


def test_classifier_learns_keeps_labels_pickles_and_repeats():
    X, y = _easy_problem()
    net = TensorNetworkClassifier(max_epochs=10, random_state=0).fit(X[:300], y[:300])
    predicted = net.predict(X[300:])
    assert net.classes_.tolist() == ["no", "yes"] and predicted.dtype == y.dtype
    assert np.mean(predicted == y[300:]) > 0.7  # chance: about 0.5
    restored = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(restored.predict_proba(X), net.predict_proba(X))
    again = TensorNetworkClassifier(max_epochs=10, random_state=0).fit(X[:300], y[:300])
    np.testing.assert_array_equal(again.predict_proba(X), net.predict_proba(X))


def test_2d_regressor_on_an_image_layout():
    X, _ = _easy_problem()
    X = np.tile(X, 2)  # 16 features as a 4 x 4 image
    y = X[:, 1] - X[:, 5]
    net = TensorNetworkRegressor(
        module__shape=(4, 4), module__rank=[4, 2], max_epochs=2, random_state=0
    ).fit(X, y)
    assert net.module_.shape == (4, 4) and net.module_.ranks == (4, 2)
    assert net.predict(X).shape == (500,)


@pytest.mark.parametrize("Net", ESTIMATORS)
def test_docstrings_list_the_module_parameters(Net):
    for name in (
        "module__rank",
        "module__theta",
        "module__shape",
        "module__embedding",
        "module__init",
        "module__init_noise",
        "linear_start",
    ):
        assert re.search(rf"^{name} : ", inspect.getdoc(Net), flags=re.MULTILINE), name
