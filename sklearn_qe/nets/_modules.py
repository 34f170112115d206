"""Locally connected networks over the feature axis, in plain PyTorch.

Every module takes a batch of flat feature vectors ``(batch, n_features)`` and returns
``(batch, n_outputs)`` (logits or regression values), for any ``n_features``.
"""

import math
import numbers

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "LocalAttentionNet",
    "PointwiseCNN1d",
    "PointwiseCNN2d",
    "ResCNN1d",
    "ResCNN2d",
    "S4DNet",
]

_READOUTS = ("mean", "flatten")
# Most layers a network may stack: far beyond any useful depth, and refused by name before
# building them one by one until memory runs out (n_layers=10**20 did).
_MAX_LAYERS = 1024
# Widest layer: larger ints overflow torch's sizes before any count could refuse them.
_MAX_WIDTH = 2**31 - 1
# The most parameters a network may hold: 1 GiB of float32, 4 GiB with the gradients and
# Adam's two moments (the entanglement meter's memory budget).
_MAX_PARAMETERS = 2**28


class _ParameterValueError(ValueError):
    """A parameter has a bad value; the message starts with the parameter's name, so that
    an estimator can name it as set there (``module__channels``)."""


class _ParameterTypeError(TypeError):
    """A parameter has a bad type; the message starts with the parameter's name."""


def _check_int(name, value, requirement="a positive int", minimum=1, odd=False, maximum=None):
    """Raise unless ``value`` is an int (not a bool) >= ``minimum`` (and <= ``maximum``), and
    odd if ``odd``."""
    message = f"{name} must be {requirement}, got {value!r}."
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _ParameterTypeError(message)
    if value < minimum or (odd and value % 2 == 0):
        raise _ParameterValueError(message)
    if maximum is not None and value > maximum:
        raise _ParameterValueError(f"{name} must be at most {maximum}, got {value!r}.")


def _check_float(name, value, requirement, valid):
    """Raise unless ``value`` is a real number (not a bool) for which ``valid`` holds."""
    message = f"{name} must be {requirement}, got {value!r}."
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _ParameterTypeError(message)
    if not valid(value):  # NaN fails every comparison, so it is caught here too
        raise _ParameterValueError(message)


def _check_sizes(n_features, n_outputs):
    """The sizes an estimator takes from the data; checked for direct users of a module."""
    _check_int("n_features", n_features)
    _check_int("n_outputs", n_outputs)


def _check_dropout(dropout):
    """A dropout probability; at 1 every activation would be zeroed."""
    _check_float("dropout", dropout, "a float in [0, 1)", lambda p: 0 <= p < 1)


def _check_widths(name, value, n_widths, requirement, maximum=None):
    """``n_widths`` positive ints (at most ``maximum``), from one int for all or a list (or
    tuple) of one each; raise, with ``requirement`` in the message, otherwise."""
    message = f"{name} must be {requirement}, got {value!r}."
    listed = isinstance(value, (list, tuple))
    values = list(value) if listed else [value]
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in values):
        raise _ParameterTypeError(message)
    if any(v < 1 for v in values) or (listed and len(values) != n_widths):
        raise _ParameterValueError(message)
    if maximum is not None and any(v > maximum for v in values):
        raise _ParameterValueError(f"{name} must be at most {maximum}, got {value!r}.")
    return [int(v) for v in values] if listed else [int(value)] * n_widths


def _check_channels(channels, n_blocks, stage_name):
    """The width of every stage of a pooling CNN: the stem, then each block."""
    requirement = (
        f"a positive int or a list of {n_blocks + 1} positive ints (one per stage: the stem, "
        f"then each of the n_blocks={n_blocks} {stage_name}s)"
    )
    return _check_widths("channels", channels, n_blocks + 1, requirement, maximum=_MAX_WIDTH)


def _readout_width(readout, channels, n_positions):
    """Inputs of the linear head: the channels, or channels times positions when flattened."""
    if readout not in _READOUTS:
        raise _ParameterValueError(f"readout must be one of {_READOUTS}, got {readout!r}.")
    return channels if readout == "mean" else channels * n_positions


def _read(x, readout):
    """``(batch, channels, positions)`` -> head inputs: mean over positions, or all of them.

    The mean makes the network blind to where a pattern sits, as for images; flattening
    gives every position its own weights, as for tabular features, whose positions differ.
    """
    return x.mean(dim=2) if readout == "mean" else x.flatten(1)


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

    def __init__(self, n_outputs, channels, n_blocks, kernel_size, dropout, readout, spatial):
        _check_int("n_blocks", n_blocks, "a non-negative int", minimum=0, maximum=_MAX_LAYERS)
        widths = _check_channels(channels, n_blocks, self.stage_name)
        # An even kernel with padding kernel_size // 2 lengthens the map by one, which the
        # residual sum cannot add.
        _check_int("kernel_size", kernel_size, "a positive odd int", odd=True)
        _check_dropout(dropout)
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
        _check_sizes(n_features, n_outputs)
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
        _check_sizes(n_features, n_outputs)
        shape = _check_image_shape(shape, n_features)
        super().__init__(n_outputs, channels, n_blocks, kernel_size, dropout, readout, shape)
        self.shape = shape

    def _layout(self, X):
        return X.reshape(X.shape[0], 1, *self.shape)


def _is_image_shape(shape, n_features):
    """Whether ``shape`` is a pair of positive ints whose product is ``n_features``."""
    try:
        height, width = shape
    except (TypeError, ValueError):  # not a pair
        return False
    positive_ints = all(
        isinstance(side, numbers.Integral) and not isinstance(side, bool) and side >= 1
        for side in (height, width)
    )
    return positive_ints and height * width == n_features


def _check_image_shape(shape, n_features):
    if not _is_image_shape(shape, n_features):
        raise _ParameterValueError(
            "shape must be a pair (height, width) of positive ints whose product is "
            f"n_features={n_features}, got {shape!r}."
        )
    return tuple(int(side) for side in shape)


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


class S4DLayer(nn.Module):
    """Bidirectional diagonal state-space layer (S4D-Lin initialisation), FFT convolution.

    Its state-space parameters are named ``ssm_*`` so that an optimizer can give them their
    own group (lower learning rate, no weight decay), as S4 practice recommends.
    """

    def __init__(self, d_model, d_state=64, dt_min=1e-3, dt_max=1e-1, dropout=0.0):
        super().__init__()
        n_modes = d_state // 2  # complex conjugate pairs
        log_dt = torch.rand(d_model) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        self.ssm_log_dt = nn.Parameter(log_dt)
        self.ssm_log_a_real = nn.Parameter(torch.log(0.5 * torch.ones(d_model, n_modes)))
        self.ssm_a_imag = nn.Parameter(math.pi * torch.arange(n_modes).float().repeat(d_model, 1))
        # One output matrix per direction, complex, stored as real pairs.
        self.C = nn.Parameter(torch.randn(2, d_model, n_modes, 2) * math.sqrt(0.5))
        self.D = nn.Parameter(torch.randn(d_model))
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Sequential(nn.Conv1d(d_model, 2 * d_model, 1), nn.GLU(dim=1))

    def kernel(self, length):
        """Convolution kernels of both directions, shape ``(2, d_model, length)``."""
        dt = torch.exp(self.ssm_log_dt)[:, None]
        A = torch.complex(-torch.exp(self.ssm_log_a_real), self.ssm_a_imag)
        dtA = A * dt
        C = torch.view_as_complex(self.C) * (torch.exp(dtA) - 1.0) / A
        powers = torch.exp(dtA[..., None] * torch.arange(length, device=A.device))
        return 2 * torch.einsum("chn,hnl->chl", C, powers).real

    def forward(self, u):
        """``u``: ``(batch, d_model, length)`` -> same shape."""
        length = u.shape[-1]
        forward_k, backward_k = self.kernel(length)
        k = F.pad(forward_k, (0, length)) + F.pad(backward_k.flip(-1), (length, 0))
        y = torch.fft.irfft(
            torch.fft.rfft(u, n=2 * length) * torch.fft.rfft(k, n=2 * length), n=2 * length
        )[..., :length]
        y = y + u * self.D[:, None]
        return self.output(self.dropout(F.gelu(y)))


class S4DNet(nn.Module):
    """Stack of bidirectional S4D layers over the feature sequence.

    Parameters
    ----------
    n_features : int
        Sequence length (any value).
    n_outputs : int
        Number of outputs.
    d_model : int, default=64
        Channels per position: the network's width.
    n_layers : int, default=4
        S4D layers, each with a residual connection and layer normalisation.
    d_state : int, default=64
        State size per channel, at least 2 (``d_state // 2`` complex conjugate pairs).
    dt_min, dt_max : float, default=1e-3, 1e-1
        Range of the initial discretisation steps, ``0 < dt_min <= dt_max``.
    dropout : float, default=0.1
        Dropout inside the layers, in [0, 1).
    readout : {"mean", "flatten"}, default="mean"
        As in :class:`ResCNN1d`: average over positions, or head weights per position.
    """

    def __init__(
        self,
        n_features,
        n_outputs,
        d_model=64,
        n_layers=4,
        d_state=64,
        dt_min=1e-3,
        dt_max=1e-1,
        dropout=0.1,
        readout="mean",
    ):
        _check_sizes(n_features, n_outputs)
        _check_int("d_model", d_model, maximum=_MAX_WIDTH)
        _check_int("n_layers", n_layers, "a non-negative int", minimum=0, maximum=_MAX_LAYERS)
        _check_int("d_state", d_state, "an int >= 2", minimum=2, maximum=_MAX_WIDTH)
        for name, dt in [("dt_min", dt_min), ("dt_max", dt_max)]:
            _check_float(name, dt, "a positive float", lambda t: 0 < t < math.inf)
        if dt_min > dt_max:
            raise _ParameterValueError(f"dt_min must be <= dt_max, got {dt_min!r} > {dt_max!r}.")
        _check_dropout(dropout)
        super().__init__()
        self.encoder = nn.Linear(1, d_model)
        self.layers = nn.ModuleList(
            S4DLayer(d_model, d_state, dt_min, dt_max, dropout) for _ in range(n_layers)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(n_layers))
        self.readout = readout
        self.head = nn.Linear(_readout_width(readout, d_model, n_features), n_outputs)

    def forward(self, X):
        x = self.encoder(X.unsqueeze(-1))  # (batch, length, d_model)
        for layer, norm in zip(self.layers, self.norms):
            x = norm(x + layer(x.transpose(1, 2)).transpose(1, 2))
        return self.head(_read(x.transpose(1, 2), self.readout))


class LocalSelfAttention(nn.Module):
    """Multi-head self-attention in which each position only sees nearby positions.

    The sequence is cut into windows of ``window_size``; queries of a window attend to keys
    of that window and its two neighbours (non-causal), so cost is linear in the length.
    """

    def __init__(self, d_model, n_heads, window_size, dropout=0.0):
        super().__init__()
        self.n_heads, self.window_size, self.dropout = n_heads, window_size, dropout
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x):
        batch, length, d_model = x.shape
        w = self.window_size
        n_windows = -(-length // w)
        padded = n_windows * w
        q, k, v = self.qkv(F.pad(x, (0, 0, 0, padded - length))).chunk(3, dim=-1)

        def heads(t):  # (batch, heads, windows, w, d_head)
            return t.reshape(batch, n_windows, w, self.n_heads, -1).permute(0, 3, 1, 2, 4)

        def with_neighbours(t):  # keys of the previous, own and next window
            t = F.pad(t, (0, 0, 0, 0, 1, 1))
            return torch.cat([t[:, :, :-2], t[:, :, 1:-1], t[:, :, 2:]], dim=3)

        q, k, v = heads(q), with_neighbours(heads(k)), with_neighbours(heads(v))
        key_position = (torch.arange(n_windows)[:, None] - 1) * w + torch.arange(3 * w)[None]
        valid = (key_position >= 0) & (key_position < length)  # (windows, 3w)
        mask = valid[:, None, :].expand(n_windows, w, 3 * w).to(x.device)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0
        )
        y = y.permute(0, 2, 3, 1, 4).reshape(batch, padded, d_model)[:, :length]
        return self.out(y)


class LocalAttentionNet(nn.Module):
    """Transformer with local self-attention over the features.

    Scalar features are embedded by a linear layer plus a learned position embedding,
    passed through pre-norm blocks (local attention, feed-forward), mean-pooled and read
    out by a linear head.

    Parameters
    ----------
    n_features : int
        Sequence length (any value).
    n_outputs : int
        Number of outputs.
    d_model : int, default=64
        Embedding width.
    n_heads : int, default=4
        Attention heads (must divide ``d_model``).
    n_layers : int, default=2
        Transformer blocks.
    window_size : int, default=16
        Window of the local attention.
    dropout : float, default=0.1
        Dropout in attention and feed-forward layers, in [0, 1).
    readout : {"mean", "flatten"}, default="mean"
        As in :class:`ResCNN1d`: average over positions, or head weights per position.
    """

    def __init__(
        self,
        n_features,
        n_outputs,
        d_model=64,
        n_heads=4,
        n_layers=2,
        window_size=16,
        dropout=0.1,
        readout="mean",
    ):
        _check_sizes(n_features, n_outputs)
        _check_int("d_model", d_model, maximum=_MAX_WIDTH)
        _check_int("n_heads", n_heads)
        if d_model % n_heads:
            raise _ParameterValueError(
                f"n_heads must divide d_model, got n_heads={n_heads} and d_model={d_model}."
            )
        _check_int("n_layers", n_layers, "a non-negative int", minimum=0, maximum=_MAX_LAYERS)
        _check_int("window_size", window_size)
        _check_dropout(dropout)
        super().__init__()
        self.embed = nn.Linear(1, d_model)
        # Unit-variance, as nn.Embedding: with small position embeddings every position looks
        # alike and training sat on a plateau for epochs (digits: 60% vs 87% after 10 epochs).
        self.position = nn.Parameter(torch.randn(n_features, d_model))
        # A window beyond the sequence is the whole sequence, and would only pad it.
        window_size = min(window_size, n_features)
        self.attention = nn.ModuleList(
            LocalSelfAttention(d_model, n_heads, window_size, dropout) for _ in range(n_layers)
        )
        self.feed_forward = nn.ModuleList(
            nn.Sequential(
                nn.Linear(d_model, 4 * d_model),
                nn.GELU(),
                nn.Dropout(dropout),
                nn.Linear(4 * d_model, d_model),
            )
            for _ in range(n_layers)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(2 * n_layers + 1))
        self.readout = readout
        self.head = nn.Linear(_readout_width(readout, d_model, n_features), n_outputs)

    def forward(self, X):
        x = self.embed(X.unsqueeze(-1)) + self.position
        for i, (attention, feed_forward) in enumerate(zip(self.attention, self.feed_forward)):
            x = x + attention(self.norms[2 * i](x))
            x = x + feed_forward(self.norms[2 * i + 1](x))
        return self.head(_read(self.norms[-1](x).transpose(1, 2), self.readout))
