"""Transformers with local self-attention over the feature sequence, as torch modules, and
their scikit-learn estimators."""

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import POSITIVE_INT
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
)

__all__ = ["LocalAttentionClassifier", "LocalAttentionNet", "LocalAttentionRegressor"]


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

    _parameter_constraints: dict = {
        **_SIZES,
        "d_model": [_WIDTH],
        "n_heads": [POSITIVE_INT],
        "n_layers": _N_LAYERS,
        "window_size": [POSITIVE_INT],
        "dropout": _DROPOUT,
        "readout": _READOUT,
    }

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
        _validate_module_params(self, locals())
        if d_model % n_heads:
            _refuse(self, "n_heads", f"a divisor of d_model={d_model}", n_heads)
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


# The parameters its classifier and regressor share.
_ATTENTION_PARAMETERS = """\
module : torch.nn.Module class, default=LocalAttentionNet
    Network; it receives ``n_features`` and ``n_outputs`` from the data and the
    ``module__*`` parameters.
module__d_model : int, default=64
    Embedding width: the network's width.
module__n_heads : int, default=4
    Attention heads (must divide ``d_model``).
module__n_layers : int, default=2
    Transformer blocks.
module__window_size : int, default=16
    Window of the local attention.
module__dropout : float, default=0.1
    Dropout in attention and feed-forward layers, in [0, 1).
module__readout : {"mean", "flatten"}, default="mean"
    Average over positions, or head weights per position (see :class:`ResCNN1d`).
optimizer : torch optimizer class, default=torch.optim.Adam
    Optimizer; ``optimizer__*`` parameters are routed to it.
lr : float, default=3e-3
    Learning rate, positive."""


@_substitute(network_parameters=_ATTENTION_PARAMETERS)
class LocalAttentionClassifier(_NetClassifier):
    """Transformer with local self-attention over the feature sequence, for classification.

    A skorch ``NeuralNetClassifier`` around :class:`LocalAttentionNet`: each position
    attends to the positions within its window.
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
    LocalAttentionRegressor : The same network for regression.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_qe.nets import LocalAttentionClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> net = LocalAttentionClassifier(max_epochs=2, random_state=0).fit(X[:200], y[:200])
    >>> net.predict(X[:3]).shape
    (3,)
    """

    def __init__(self, module=LocalAttentionNet, *, lr=3e-3, **kwargs):
        super().__init__(module, lr=lr, **kwargs)


@_substitute(network_parameters=_ATTENTION_PARAMETERS)
class LocalAttentionRegressor(_NetRegressor):
    """Transformer with local self-attention over the feature sequence, for regression.

    A skorch ``NeuralNetRegressor`` around :class:`LocalAttentionNet`: each position
    attends to the positions within its window. Targets of shape ``(n_samples,)`` or
    ``(n_samples, n_targets)``, standardized inside (``normalize_y``).
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
    LocalAttentionClassifier : The same network for classification.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_qe.nets import LocalAttentionRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> net = LocalAttentionRegressor(max_epochs=2, random_state=0).fit(X[:200], y[:200])
    >>> net.predict(X[:3]).shape
    (3,)
    """

    def __init__(self, module=LocalAttentionNet, *, lr=3e-3, **kwargs):
        super().__init__(module, lr=lr, **kwargs)
