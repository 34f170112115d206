"""S4-style state-space models over the feature sequence: bidirectional diagonal (S4D)
layers as torch modules, and their scikit-learn estimators."""

import math
from numbers import Integral

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import POSITIVE_FLOAT, StrictInterval
from ._base import (
    _DROPOUT,
    _MAX_WIDTH,
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

__all__ = ["S4Classifier", "S4DNet", "S4Regressor"]

# S4 practice: the state-space parameters learn slower and without weight decay.
_S4_PARAM_GROUPS = [("*ssm_*", {"lr": 1e-3, "weight_decay": 0.0})]


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

    _parameter_constraints: dict = {
        **_SIZES,
        "d_model": [_WIDTH],
        "n_layers": _N_LAYERS,
        "d_state": [StrictInterval(Integral, 2, _MAX_WIDTH, closed="both")],
        "dt_min": [POSITIVE_FLOAT],
        "dt_max": [POSITIVE_FLOAT],
        "dropout": _DROPOUT,
        "readout": _READOUT,
    }

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
        _validate_module_params(self, locals())
        if dt_min > dt_max:
            _refuse(self, "dt_min", f"at most dt_max={dt_max!r}", dt_min)
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


# The parameters its classifier and regressor share.
_S4_PARAMETERS = """\
module : torch.nn.Module class, default=S4DNet
    Network; it receives ``n_features`` and ``n_outputs`` from the data and the
    ``module__*`` parameters.
module__d_model : int, default=64
    Channels per position: the network's width.
module__n_layers : int, default=4
    S4D layers, each with a residual connection and layer normalisation.
module__d_state : int, default=64
    State size per channel, at least 2 (``d_state // 2`` complex conjugate pairs).
module__dt_min, module__dt_max : float, default=1e-3, 1e-1
    Range of the initial discretisation steps, ``0 < dt_min <= dt_max``.
module__dropout : float, default=0.1
    Dropout inside the layers, in [0, 1).
module__readout : {"mean", "flatten"}, default="mean"
    Average over positions, or head weights per position (see :class:`ResCNN1d`).
optimizer : torch optimizer class, default=torch.optim.AdamW
    Optimizer; ``optimizer__*`` parameters are routed to it.
lr : float, default=3e-3
    Learning rate of every parameter but the state-space ones, positive."""


@_substitute(network_parameters=_S4_PARAMETERS)
class S4Classifier(_NetClassifier):
    """Stack of bidirectional diagonal state-space (S4D) layers over the feature sequence,
    for classification.

    A skorch ``NeuralNetClassifier`` around :class:`S4DNet`, trained with AdamW; the
    state-space parameters (``ssm_*``) have their own group, with learning rate 1e-3 and
    no weight decay (``optimizer__param_groups``).
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
    S4Regressor : The same network for regression.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_qe.nets import S4Classifier
    >>> X, y = load_digits(return_X_y=True)
    >>> net = S4Classifier(max_epochs=2, random_state=0).fit(X[:200], y[:200])
    >>> net.predict(X[:3]).shape
    (3,)
    """

    def __init__(self, module=S4DNet, *, optimizer=torch.optim.AdamW, lr=3e-3, **kwargs):
        kwargs.setdefault("optimizer__param_groups", _S4_PARAM_GROUPS)
        super().__init__(module, optimizer=optimizer, lr=lr, **kwargs)


@_substitute(network_parameters=_S4_PARAMETERS)
class S4Regressor(_NetRegressor):
    """Stack of bidirectional diagonal state-space (S4D) layers over the feature sequence,
    for regression.

    A skorch ``NeuralNetRegressor`` around :class:`S4DNet`, trained with AdamW; the
    state-space parameters (``ssm_*``) have their own group, with learning rate 1e-3 and
    no weight decay (``optimizer__param_groups``). Targets of shape ``(n_samples,)`` or
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
    S4Classifier : The same network for classification.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_qe.nets import S4Regressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> net = S4Regressor(max_epochs=2, random_state=0).fit(X[:200], y[:200])
    >>> net.predict(X[:3]).shape
    (3,)
    """

    def __init__(self, module=S4DNet, *, optimizer=torch.optim.AdamW, lr=3e-3, **kwargs):
        kwargs.setdefault("optimizer__param_groups", _S4_PARAM_GROUPS)
        super().__init__(module, optimizer=optimizer, lr=lr, **kwargs)
