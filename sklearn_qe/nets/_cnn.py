"""Convolutional networks over the feature axis: residual CNNs and Levine et al.'s pointwise
CNN, as torch modules (1-D sequences and 2-D images), and their scikit-learn estimators.

Every module takes a batch of flat feature vectors ``(batch, n_features)`` and returns
``(batch, n_outputs)`` (logits or regression values), for any ``n_features``.
"""

import math

import torch.nn.functional as F
from torch import nn

from .._checks import POSITIVE_INT, check_shape
from ._base import (
    _DROPOUT,
    _N_LAYERS,
    _READOUT,
    _SIZES,
    _WIDTH,
    _NetClassifier,
    _NetRegressor,
    _read,
    _readout_width,
    _refuse,
    _substitute,
    _validate_module_params,
    _widths,
)

__all__ = [
    "LocalCNNClassifier",
    "LocalCNNRegressor",
    "PointwiseCNN1d",
    "PointwiseCNN2d",
    "ResCNN1d",
    "ResCNN2d",
]


class _SingleValueBatchNorm:
    """Batch normalisation that also trains on a batch holding one value per channel.

    One value (one sample of one position, as in the last batch of a small table, with
    ``batch_size=1``, or past the pooling of a short input) has no batch variance, where
    torch's batch-norm raises; such a batch is normalised with the running statistics, as
    in evaluation, and leaves them as they are.
    """

    def forward(self, x):
        if self.training and x.numel() == x.shape[1]:
            return F.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps
            )
        return super().forward(x)


class _BatchNorm1d(_SingleValueBatchNorm, nn.BatchNorm1d):
    pass


class _BatchNorm2d(_SingleValueBatchNorm, nn.BatchNorm2d):
    pass


class _ResidualBlock(nn.Module):
    """conv -> batch-norm -> ReLU -> conv -> batch-norm, plus the shortcut, then ReLU.

    The shortcut is the input itself, or, where the block changes the width, a 1x1
    convolution and batch-norm that bring the input to the new width (ResNet's projection
    shortcut).
    """

    def __init__(self, conv, norm, in_channels, out_channels, kernel_size):
        super().__init__()
        self.body = nn.Sequential(
            conv(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False),
            norm(out_channels),
            nn.ReLU(),
            conv(out_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False),
            norm(out_channels),
        )
        if in_channels == out_channels:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                conv(in_channels, out_channels, 1, bias=False), norm(out_channels)
            )

    def forward(self, x):
        return F.relu(self.shortcut(x) + self.body(x))


class _PoolingCNN(nn.Module):
    """A stem convolution, then stages each followed by 2x max-pooling (while the map is at
    least 2 wide), a readout over positions and a linear head. Subclasses say what a stage
    is (``_stage``) and whether the stem is normalised."""

    conv = norm = None  # set by the 1-D and 2-D subclasses
    stage_name = None  # what a stage is called in messages: "residual block", ...
    _parameter_constraints: dict = {
        **_SIZES,
        "channels": [_WIDTH, list, tuple],
        "n_blocks": _N_LAYERS,
        "kernel_size": [POSITIVE_INT],
        "dropout": _DROPOUT,
        "readout": _READOUT,
        "shape": [tuple, list],
    }

    def __init__(self, n_outputs, channels, n_blocks, kernel_size, dropout, readout, spatial):
        """Build from arguments that the 1-D or 2-D layout's ``__init__`` has validated."""
        widths = _widths(
            self,
            "channels",
            channels,
            n_blocks + 1,
            f"an int in [1, {_WIDTH.right}] or a list of {n_blocks + 1} of them (one per "
            f"stage: the stem, then each of the n_blocks={n_blocks} {self.stage_name}s)",
        )
        # An even kernel with padding kernel_size // 2 lengthens the map by one, which the
        # residual sum cannot add.
        if kernel_size % 2 == 0:
            _refuse(self, "kernel_size", "an odd int", kernel_size)
        super().__init__()
        stem = self.conv(
            1, widths[0], kernel_size, padding=kernel_size // 2, bias=self.norm is None
        )
        self.stem = nn.Sequential(stem, *([self.norm(widths[0])] if self.norm else []), nn.ReLU())
        self.blocks = nn.ModuleList(
            self._stage(widths[k], widths[k + 1], kernel_size) for k in range(n_blocks)
        )
        for _ in range(n_blocks):  # each pooling halves every side still 2 or wider
            spatial = [(size + 1) // 2 for size in spatial]
        self.readout = readout
        width = _readout_width(readout, widths[-1], math.prod(spatial))
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, n_outputs))

    def _pool(self, x):
        spatial = x.shape[2:]
        window = tuple(min(2, size) for size in spatial)
        if max(window) == 1:
            return x
        pool = F.max_pool1d if len(spatial) == 1 else F.max_pool2d
        return pool(x, window, ceil_mode=True)

    def _features(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = self._pool(block(x))
        return _read(x.flatten(2), self.readout)

    def forward(self, X):
        return self.head(self._features(self._layout(X)))


class _ResidualCNN(_PoolingCNN):
    """Residual CNN: a normalised stem, then residual blocks each followed by pooling."""

    stage_name = "residual block"

    def _stage(self, in_channels, out_channels, kernel_size):
        return _ResidualBlock(self.conv, self.norm, in_channels, out_channels, kernel_size)


class _PointwiseCNN(_PoolingCNN):
    """Levine et al.'s network: one convolution, then 1x1 convolution -> ReLU stages, each
    followed by pooling; no normalisation, so that the widths are all there is."""

    stage_name = "1x1 convolution"
    norm = None

    def __init__(self, *args):
        super().__init__(*args)
        # He initialisation: without normalisation, torch's default (a third of the
        # variance per layer) leaves too little signal after the stages to train on.
        for module in self.modules():
            if isinstance(module, self.conv):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def _stage(self, in_channels, out_channels, kernel_size):
        return nn.Sequential(self.conv(in_channels, out_channels, 1), nn.ReLU())


class _OverSequence:
    """Lays the features out as one channel of a sequence."""

    conv = nn.Conv1d

    def __init__(
        self,
        n_features,
        n_outputs,
        channels=32,
        n_blocks=3,
        kernel_size=5,
        dropout=0.1,
        readout="mean",
    ):
        _validate_module_params(self, locals())
        super().__init__(n_outputs, channels, n_blocks, kernel_size, dropout, readout, [n_features])
        self.n_features = n_features

    def _layout(self, X):
        return X.unsqueeze(1)


class _OverImage:
    """Lays the features out as one channel of a row-major ``(H, W)`` image."""

    conv = nn.Conv2d

    def __init__(
        self,
        n_features,
        n_outputs,
        shape,
        channels=32,
        n_blocks=2,
        kernel_size=3,
        dropout=0.1,
        readout="mean",
    ):
        _validate_module_params(self, locals())
        shape = check_shape(shape, n_features)
        super().__init__(n_outputs, channels, n_blocks, kernel_size, dropout, readout, shape)
        self.shape = shape

    def _layout(self, X):
        return X.reshape(X.shape[0], 1, *self.shape)


class ResCNN1d(_OverSequence, _ResidualCNN):
    """Residual 1-D CNN over the feature axis.

    Parameters
    ----------
    n_features : int
        Length of the input vectors (any value).
    n_outputs : int
        Number of outputs (classes or regression targets).
    channels : int or list of int, default=32
        Width of the convolutions: the network's width R in the entanglement theorem. One
        int for every stage, or a list of ``n_blocks + 1``: the width of the stem, then of
        each residual block in order. Every block is followed by pooling, so the list runs
        from fine scales to coarse ones: ``[64, 64, 32, 16]`` is wide at the base,
        ``[16, 32, 64, 64]`` at the tip (:func:`channel_schedule` reads which one the data
        needs from its entanglement). Where the width changes, the block's shortcut is a
        1x1 convolution (ResNet's projection shortcut).
    n_blocks : int, default=3
        Residual blocks, each followed by 2x max-pooling (0: the stem only).
    kernel_size : int, default=5
        Odd kernel size of the convolutions.
    dropout : float, default=0.1
        Dropout before the linear head, in [0, 1).
    readout : {"mean", "flatten"}, default="mean"
        ``"mean"`` averages the last feature map over positions (blind to where a pattern
        sits, as for signals and images); ``"flatten"`` gives each position its own head
        weights (for tabular features, whose positions mean different things).
    """

    norm = _BatchNorm1d


class ResCNN2d(_OverImage, _ResidualCNN):
    """Residual 2-D CNN over features laid out as a row-major ``(H, W)`` image.

    Parameters
    ----------
    n_features : int
        ``H * W``.
    n_outputs : int
        Number of outputs.
    shape : tuple of (int, int)
        Image height and width, positive, with ``H * W == n_features``.
    channels, n_blocks, kernel_size, dropout, readout
        As in :class:`ResCNN1d`.
    """

    norm = _BatchNorm2d


class PointwiseCNN1d(_OverSequence, _PointwiseCNN):
    """Levine et al.'s CNN over the feature axis: one convolution, then 1x1 convolutions.

    The network of Levine et al.'s experiment (ICLR 2018), whose width per layer their
    min-cut analysis ties to the entanglement of the blocks at that layer's scale: a stem
    convolution of ``kernel_size``, then ``n_blocks`` stages of 1x1 convolution -> ReLU ->
    2x max-pooling, so that a position of stage ``j`` sees exactly a block of ``2**j``
    stem positions, as a node of the canonical tree does; then the readout and a linear
    head. No normalisation and no residual paths: each stage's width is its only capacity.

    Parameters
    ----------
    n_features : int
        Length of the input vectors (any value).
    n_outputs : int
        Number of outputs (classes or regression targets).
    channels : int or list of int, default=32
        One int for every stage, or a list of ``n_blocks + 1``: the stem's width, then each
        1x1 stage's, fine scales to coarse ones (see :func:`channel_schedule`).
    n_blocks : int, default=3
        1x1 stages, each followed by 2x max-pooling.
    kernel_size : int, default=5
        Odd kernel size of the stem.
    dropout : float, default=0.1
        Dropout before the linear head, in [0, 1) (their network had none: 0.0).
    readout : {"mean", "flatten"}, default="mean"
        As in :class:`ResCNN1d`.

    Examples
    --------
    >>> import torch
    >>> from sklearn_qe.nets import PointwiseCNN1d
    >>> net = PointwiseCNN1d(64, 3, channels=[8, 32, 16, 8])  # wide at the base
    >>> net(torch.zeros(5, 64)).shape
    torch.Size([5, 3])
    """


class PointwiseCNN2d(_OverImage, _PointwiseCNN):
    """Levine et al.'s CNN over a row-major ``(H, W)`` image: a 3x3 convolution, then 1x1
    convolution -> ReLU -> 2x2 max-pooling stages.

    Their experiment's network (ICLR 2018: a stem of 10 channels, then six such stages on
    64x64 canvases); see :class:`PointwiseCNN1d`.

    Parameters
    ----------
    n_features : int
        ``H * W``.
    n_outputs : int
        Number of outputs.
    shape : tuple of (int, int)
        Image height and width, positive, with ``H * W == n_features``.
    channels, n_blocks, kernel_size, dropout, readout
        As in :class:`PointwiseCNN1d`; defaults ``n_blocks=2``, ``kernel_size=3``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_qe.nets import PointwiseCNN2d
    >>> def n_parameters(channels):
    ...     net = PointwiseCNN2d(4096, 10, shape=(64, 64), channels=channels, n_blocks=6)
    ...     return sum(p.numel() for p in net.parameters())
    >>> r = 4  # Levine et al.'s schedules: the same count, 31 r**2 + 50 r plus biases and stem
    >>> wide_base = [10, 4 * r, 4 * r, 2 * r, 2 * r, r, r]
    >>> wide_tip = [10, r, r, 2 * r, 2 * r, 4 * r, 4 * r]
    >>> n_parameters(wide_base), n_parameters(wide_tip)
    (862, 862)
    """


# The parameters its classifier and regressor share.
_CNN_PARAMETERS = """\
module : torch.nn.Module class, default=ResCNN1d
    Network; it receives ``n_features`` and ``n_outputs`` from the data and the
    ``module__*`` parameters.
module__channels : int or list of int, default=32
    Width of each stage (the stem, then each block), fine scales first: the network's
    width R in the entanglement theorem (:func:`channel_schedule` reads it from the
    data); see :class:`ResCNN1d`.
module__n_blocks : int, default=3
    Residual blocks, each followed by 2x max-pooling (0: the stem only).
module__kernel_size : int, default=5
    Odd kernel size of the convolutions.
module__dropout : float, default=0.1
    Dropout before the linear head, in [0, 1).
module__readout : {"mean", "flatten"}, default="mean"
    Average the last feature map over positions, or give each position its own head
    weights (tabular features).
optimizer : torch optimizer class, default=torch.optim.Adam
    Optimizer; ``optimizer__*`` parameters are routed to it.
lr : float, default=1e-3
    Learning rate, positive."""


@_substitute(network_parameters=_CNN_PARAMETERS)
class LocalCNNClassifier(_NetClassifier):
    """Residual CNN over the feature axis, for classification.

    A skorch ``NeuralNetClassifier`` around :class:`ResCNN1d`; ``module=ResCNN2d,
    module__shape=(H, W)`` for images, ``module=PointwiseCNN1d`` or ``PointwiseCNN2d`` for
    Levine et al.'s network.
    {input}

    Parameters
    ----------
    {network_parameters}
    criterion : torch criterion class, default=torch.nn.CrossEntropyLoss
        Loss on the network's logits.
    {training_parameters}
    {classifier_parameters}

    Attributes
    ----------
    {classifier_attributes}

    See Also
    --------
    LocalCNNRegressor : The same network for regression.
    channel_schedule : Widths per stage from the data's entanglement.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_qe.nets import LocalCNNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> net = LocalCNNClassifier(max_epochs=2, random_state=0).fit(X[:200], y[:200])
    >>> net.predict(X[:3]).shape
    (3,)
    """

    def __init__(self, module=ResCNN1d, **kwargs):
        super().__init__(module, **kwargs)


@_substitute(network_parameters=_CNN_PARAMETERS)
class LocalCNNRegressor(_NetRegressor):
    """Residual CNN over the feature axis, for regression.

    A skorch ``NeuralNetRegressor`` around :class:`ResCNN1d`; ``module=ResCNN2d,
    module__shape=(H, W)`` for images. Targets of shape ``(n_samples,)`` or ``(n_samples,
    n_targets)``, standardized inside (``normalize_y``).
    {input}

    Parameters
    ----------
    {network_parameters}
    criterion : torch criterion class, default=torch.nn.MSELoss
        Loss.
    {training_parameters}
    {regressor_parameters}

    Attributes
    ----------
    {regressor_attributes}

    See Also
    --------
    LocalCNNClassifier : The same network for classification.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_qe.nets import LocalCNNRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> net = LocalCNNRegressor(max_epochs=2, random_state=0).fit(X[:200], y[:200])
    >>> net.predict(X[:3]).shape
    (3,)
    """

    def __init__(self, module=ResCNN1d, **kwargs):
        super().__init__(module, **kwargs)
