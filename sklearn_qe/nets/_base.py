"""What every network of ``sklearn_qe.nets`` shares.

- The constraints of the networks' constructor arguments, and the limits on sizes; an
  estimator reports a refused one as the user set it (``module__channels``).
- The readout of the sequence models (mean over positions, or flattened).
- The skorch estimator bases: scikit-learn validation of X and y at every entry point,
  float32, the module's sizes from the data, reproducible training, early stopping with the
  best epoch restored, fits that succeed or leave the estimator as it was.
- The docstring fragments the estimators share, substituted by name (``_substitute``).
"""

import copy
import re
import sys
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from scipy import sparse
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import Callback, EarlyStopping, EpochTimer, PassthroughScoring, PrintLog
from skorch.dataset import ValidSplit
from skorch.history import History

from .._checks import POSITIVE_FLOAT, POSITIVE_INT, StrictInterval, densify
from .._compat import (
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from .._fit_state import all_or_nothing

_READOUTS = ("mean", "flatten")
# Most layers a network may stack: far beyond any useful depth, and refused by name before
# building them one by one until memory runs out (n_layers=10**20 did).
_MAX_LAYERS = 1024
# Widest layer: larger ints overflow torch's sizes before any count could refuse them.
_MAX_WIDTH = 2**31 - 1
# The most parameters a network may hold: 1 GiB of float32, 4 GiB with the gradients and
# Adam's two moments (the entanglement meter's memory budget).
_MAX_PARAMETERS = 2**28


# What the networks' constructors share of their ``_parameter_constraints``.
_SIZES = {"n_features": [POSITIVE_INT], "n_outputs": [POSITIVE_INT]}
_N_LAYERS = [StrictInterval(Integral, 0, _MAX_LAYERS, closed="both")]
_WIDTH = StrictInterval(Integral, 1, _MAX_WIDTH, closed="both")
_DROPOUT = [StrictInterval(Real, 0, 1, closed="left")]  # at 1 every activation is zeroed
_READOUT = [StrOptions(set(_READOUTS))]


def _validate_module_params(module, params):
    """Check a network's constructor arguments against its class's ``_parameter_constraints``
    (arguments without one are skipped), as scikit-learn checks an estimator's."""
    validate_parameter_constraints(
        module._parameter_constraints, params, caller_name=type(module).__name__
    )


def _refuse(module, name, requirement, value):
    """Raise, as scikit-learn's constraints do, for what a constraint cannot say."""
    raise InvalidParameterError(
        f"The {name!r} parameter of {type(module).__name__} must be {requirement}. "
        f"Got {value!r} instead."
    )


def _widths(module, name, value, n_widths, requirement, element=_WIDTH):
    """``n_widths`` widths from one int for all (checked by the constraints) or a list (or
    tuple) of one each."""
    if not isinstance(value, (list, tuple)):
        return [int(value)] * n_widths
    if len(value) != n_widths or not all(map(element.is_satisfied_by, value)):
        _refuse(module, name, requirement, value)
    return [int(v) for v in value]


def _readout_width(readout, channels, n_positions):
    """Inputs of the linear head: the channels, or channels times positions when flattened."""
    return channels if readout == "mean" else channels * n_positions


def _read(x, readout):
    """``(batch, channels, positions)`` -> head inputs: mean over positions, or all of them.

    The mean makes the network blind to where a pattern sits, as for images; flattening
    gives every position its own weights, as for tabular features, whose positions differ.
    """
    return x.mean(dim=2) if readout == "mean" else x.flatten(1)


_FLOAT32_MAX = float(np.finfo(np.float32).max)

# What continued training changes in place; it trains copies, so that a failed call can
# put the originals back.
_TRAINED_IN_PLACE = ("module_", "criterion_", "optimizer_", "history_")


def _check_float32_range(array, name, what):
    """Raise if finite float64 values would overflow to inf in the network's float32."""
    if array.dtype == np.float64 and array.size and max(array.max(), -array.min()) > _FLOAT32_MAX:
        raise ValueError(
            f"{name} has values beyond the float32 range (|{name}| > {_FLOAT32_MAX:.1e}) that "
            f"the network computes in; scale the {what}."
        )


class _FailOnNonFiniteLoss(Callback):
    """Stop the fit at the first batch whose loss is NaN or infinite.

    A diverged network predicts NaN (and ``argmax`` reads NaN as class 0), so a fit that
    diverges fails; the estimator then keeps what it had before the fit.
    """

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        if not torch.isfinite(loss).all():
            part = "training" if training else "validation"
            raise ValueError(
                f"The {part} loss became {loss.item()} in epoch {len(net.history)}: the "
                "network diverged. Scale the features (e.g. with StandardScaler) or lower lr."
            )


def _check_device(device):
    """A device that the network can train on: None (leave it where it is), CPU or an
    available accelerator."""
    if device is None:
        return
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError):  # not a device torch knows
        kind = None
    if kind in (None, "meta"):  # a meta tensor holds no values to train
        raise ValueError(f"device must be 'cpu', 'cuda' or another torch device, got {device!r}.")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r}, but torch finds no CUDA device here.")


def _can_stratify(split, y):
    """Whether ``split``'s cross-validator can hold out a stratified part of labels ``y``."""
    try:
        next(split.check_cv(y).split(np.zeros(len(y)), y))
    except ValueError:  # scikit-learn's "too few members" or "test_size < n_classes"
        return False
    return True


class _TabularNetMixin:
    """What the skorch nets add: sklearn validation of X and y at every entry point, float32
    conversion, the module's input and output sizes taken from the data, reproducible
    training, early stopping with the best epoch's weights restored."""

    # The training parameters, checked at fit time; skorch's routed ones (callbacks,
    # iterator_*, optimizer__*) are checked by skorch, the module__* ones by the network.
    _parameter_constraints: dict = {
        "module": [callable],
        "criterion": [callable],
        "optimizer": [callable],
        "lr": [POSITIVE_FLOAT],
        "max_epochs": [POSITIVE_INT],
        # -1: one batch of all samples (skorch); the data loader takes at most sys.maxsize.
        "batch_size": [
            StrictInterval(Integral, 1, sys.maxsize, closed="both"),
            Options(Integral, {-1}),
        ],
        "patience": [POSITIVE_INT],
        "train_split": [callable, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        module,
        *,
        criterion,
        train_split,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=100,
        batch_size=64,
        patience=10,
        verbose=0,
        device="cpu",
        random_state=None,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            iterator_train__shuffle=kwargs.pop("iterator_train__shuffle", True),
            verbose=verbose,
            device=device,
            **kwargs,
        )
        self.patience = patience
        self.random_state = random_state

    def _validate_X(self, X, reset):
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float32, np.float64],
            reset=reset,
            ensure_min_samples=2 if reset else 1,
        )
        # On the stored values, before the float32 copy would turn them into inf.
        _check_float32_range(X.data if sparse.issparse(X) else X, "X", "features")
        X = densify(X, dtype=np.float32)  # the networks compute on dense tensors
        # Writable: pandas hands out read-only views, which torch warns it cannot protect.
        return np.require(X, dtype=np.float32, requirements=["W"])

    def _validate_Xy(self, X, y, reset, classes=None):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        X = self._validate_X(X, reset)
        check_consistent_length(X, y)
        return X, self._encode_target(y, reset, classes)

    @contextmanager
    def _seeded(self):
        """Seed weight initialisation and batch shuffling, leaving the caller's RNG as it was."""
        if self.random_state is None:
            yield
            return
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield

    def _check_training_params(self):
        """Check the training parameters, at fit time as in scikit-learn."""
        validate_parameter_constraints(
            self._parameter_constraints,
            {name: getattr(self, name) for name in self._parameter_constraints},
            caller_name=type(self).__name__,
        )
        _check_device(self.device)

    def _copy_trained_in_place(self):
        """Give the network, its criterion, optimizer and history new copies before training
        continues, so that a fit that fails leaves the old ones, which it saved, intact."""
        # One deepcopy, so that the optimizer's copy holds the module copy's parameters.
        copies = copy.deepcopy({name: getattr(self, name) for name in _TRAINED_IN_PLACE})
        for name, value in copies.items():
            setattr(self, name, value)

    def fit_loop(self, X, y=None, *args, **kwargs):
        # skorch's partial_fit ends training quietly on any KeyboardInterrupt, which is how
        # EarlyStopping stops it; a Ctrl-C is noted here and raised once training has closed.
        try:
            return super().fit_loop(X, y, *args, **kwargs)
        except KeyboardInterrupt:
            self._ctrl_c_ = not self._stopped_early()
            raise

    def _skorch_partial_fit(self, X, y, **fit_params):
        """skorch's ``partial_fit``, raising a Ctrl-C that its training loop swallowed."""
        super().partial_fit(X, y, **fit_params)
        if self.__dict__.pop("_ctrl_c_", False):
            raise KeyboardInterrupt

    def _stopped_early(self):
        """Whether an EarlyStopping callback ended training: it does so by raising
        KeyboardInterrupt, which only this tells apart from Ctrl-C."""
        return any(
            isinstance(callback, EarlyStopping) and callback.misses_ == callback.patience
            for _, callback in self.callbacks_
        )

    @all_or_nothing
    def fit(self, X, y, **fit_params):
        """Train the network from scratch, with early stopping on a validation split.

        A fit that raises leaves the estimator as it was before fit, a fitted one still
        predicting with its previous network. Ctrl-C stops training, raises
        KeyboardInterrupt and leaves the estimator as it was before fit (skorch alone
        would keep the half-trained network).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features, float32/float64 arrays, a pandas DataFrame or a scipy sparse
            matrix (densified, up to 1 GiB of float32), within the float32 range the
            network computes in.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels of any type (classifiers) or targets (regressors).
        **fit_params : dict
            Passed to the module's ``forward`` and to the ``train_split`` call, as in skorch.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._check_training_params()
        continued = self.warm_start and self.initialized_
        fitted_on = self._fitted_on() if continued else None
        X, y = self._validate_Xy(X, y, reset=True)
        if continued and self._fitted_on() != fitted_on:
            raise ValueError(
                "warm_start=True continues training the fitted network, which takes "
                f"{self._describe(fitted_on)}; this data has {self._describe(self._fitted_on())}. "
                "Set warm_start=False to fit a new network."
            )
        with self._seeded():
            if continued:
                self._copy_trained_in_place()
            super().fit(X, y, **fit_params)  # skorch's: a new network unless warm_start
        return self

    @all_or_nothing
    def partial_fit(self, X, y, classes=None, **fit_params):
        """Continue training for ``max_epochs`` epochs (from scratch on the first call).

        As for ``fit``, a call that raises or that Ctrl-C stops leaves the estimator as it
        was before the call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features, as for ``fit``.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Labels or targets.
        classes : array-like or None, default=None
            All class labels, on the first call of a classifier whose first batch may not
            show every class.
        **fit_params : dict
            Passed to the module's ``forward`` and to the ``train_split`` call, as in skorch.

        Returns
        -------
        self : object
            Estimator trained further.
        """
        if fit_params.get("_routing_method") == "fit":  # from skorch's fit: X, y validated
            self._skorch_partial_fit(X, y, **fit_params)
            return self
        self._check_training_params()
        first_call = not hasattr(self, "n_outputs_")
        X, y = self._validate_Xy(X, y, reset=first_call, classes=classes)
        with self._seeded():
            if self.initialized_:
                self._copy_trained_in_place()
            self._skorch_partial_fit(X, y, **fit_params)
        return self

    def _fitted_on(self):
        """What the fitted network's input and output layers are built for."""
        return self.n_features_in_, self._targets()

    @staticmethod
    def _describe(fitted_on):
        n_features, targets = fitted_on
        return f"{n_features} features and {targets}"

    def _outputs(self, X):
        """Network outputs on validated X, after the prediction non-linearity."""
        check_is_fitted(self, "n_outputs_")
        return super().predict_proba(self._validate_X(X, reset=False))

    def initialize_module(self):
        # The sizes come from the data; the remaining module parameters from module__*.
        kwargs = {"n_features": self.n_features_in_, "n_outputs": self.n_outputs_}
        given = self.get_params_for("module")
        clashes = sorted(kwargs.keys() & given.keys())  # the data's sizes, not parameters
        if clashes:
            name = clashes[0]
            raise ValueError(
                f"module__{name} is taken from the data ({name}={kwargs[name]} here), got "
                f"module__{name}={given[name]!r}: remove it."
            )
        kwargs.update(given)
        try:
            # Built first on the meta device (no memory), so that a network too large to
            # hold is refused by name instead of by the allocator.
            with torch.device("meta"):
                probe = self.initialized_instance(self.module, kwargs)
            n_parameters = sum(p.numel() for p in probe.parameters())
            if n_parameters > _MAX_PARAMETERS:
                set_here = ", ".join(f"module__{name}={given[name]!r}" for name in sorted(given))
                raise ValueError(
                    f"The network would hold {n_parameters:.3g} parameters "
                    f"({4 * n_parameters / 2**30:.3g} GiB of float32, about 4x that to train), "
                    f"more than the budget of {_MAX_PARAMETERS:.3g} (1 GiB): lower its widths "
                    f"({set_here or 'the module defaults'})."
                )
            self.module_ = self.initialized_instance(self.module, kwargs)
        except InvalidParameterError as error:
            # The module names its own parameter; the user set it here as module__<name>.
            message, renamed = re.subn(
                r"'(\w+)' parameter of \w+",
                rf"'module__\1' parameter of {type(self).__name__}",
                str(error),
                count=1,
            )
            raise InvalidParameterError(message if renamed else f"module__{message}") from None
        return self

    def get_split_datasets(self, X, y=None, **fit_params):
        # A stratified hold-out needs two samples of every class and room for each class on
        # both sides; a small table without that still trains, on a plain random hold-out.
        split = self.train_split
        if isinstance(split, ValidSplit) and split.stratified and not _can_stratify(split, y):
            warnings.warn(
                f"y has too few samples per class for the stratified validation split "
                f"(smallest class: {np.bincount(y).min()} of {len(y)} samples); the "
                "validation samples are drawn without stratification. Pass train_split=None "
                "to train on every sample.",
                UserWarning,
                stacklevel=2,
            )
            split = ValidSplit(split.cv, stratified=False, random_state=split.random_state)
            return split(self.get_dataset(X, y), y, **fit_params)
        return super().get_split_datasets(X, y, **fit_params)

    def initialize_history(self):
        # skorch clears the old history in place; a new one leaves it for a failed fit to restore.
        self.history_ = History()
        return self

    @property
    def _default_callbacks(self):
        # No accuracy callback: skorch would call predict on its own Dataset objects.
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            ("non_finite_loss", _FailOnNonFiniteLoss()),
        ]
        if self.train_split:  # without a validation split there is no loss to stop on
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(monitor="valid_loss", patience=self.patience, load_best=True),
                )
            )
        return callbacks + [("print_log", PrintLog())]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        tags.input_tags.sparse = True
        return tags


# The default hold-outs: 20%, the same samples on every fit. They hold no state, so one
# instance serves as the default of every network.
_CLASSIFIER_SPLIT = ValidSplit(0.2, stratified=True, random_state=0)
_REGRESSOR_SPLIT = ValidSplit(0.2, random_state=0)


class _NetClassifier(_TabularNetMixin, NeuralNetClassifier):
    def __init__(
        self,
        module,
        *,
        criterion=torch.nn.CrossEntropyLoss,
        train_split=_CLASSIFIER_SPLIT,
        **kwargs,
    ):
        super().__init__(module, criterion=criterion, train_split=train_split, **kwargs)

    def _encode_target(self, y, reset, classes):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            self.label_encoder_ = LabelEncoder().fit(y if classes is None else classes)
            self.n_outputs_ = len(self.label_encoder_.classes_)
        return self.label_encoder_.transform(y).astype(np.int64)

    def _targets(self):
        return f"classes {self.classes_.tolist()}"

    @property
    def classes_(self):
        return self.label_encoder_.classes_

    def predict(self, X):
        """Predicted class labels, of the type given to ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        winners = self.predict_proba(X).argmax(axis=1)
        return self.classes_[winners]

    def predict_proba(self, X):
        """Class probabilities (softmax of the network's logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return self._outputs(X)


class _NetRegressor(_TabularNetMixin, NeuralNetRegressor):
    _parameter_constraints: dict = {
        **_TabularNetMixin._parameter_constraints,
        "normalize_y": ["boolean"],
    }

    def __init__(
        self,
        module,
        *,
        criterion=torch.nn.MSELoss,
        train_split=_REGRESSOR_SPLIT,
        normalize_y=True,
        **kwargs,
    ):
        super().__init__(module, criterion=criterion, train_split=train_split, **kwargs)
        self.normalize_y = normalize_y

    def _encode_target(self, y, reset, classes):
        # float64 first: the scaling is learned in float64 from any y that is not float32,
        # so that list and array inputs give the same network.
        y = check_array(y, ensure_2d=False, dtype=[np.float64, np.float32], input_name="y")
        _check_float32_range(y, "y", "targets")
        if y.ndim > 2:
            raise ValueError(
                f"y must have shape (n_samples,) or (n_samples, n_targets), got {y.shape}."
            )
        # A (n, 1) target: MSELoss against the (batch, 1) output would silently broadcast a
        # (batch,) target to (batch, batch).
        columns = y.reshape(len(y), -1).astype(np.float64)
        if reset:
            # A trailing underscore keeps it out of skorch's get_params.
            self._y_is_1d_ = y.ndim == 1
            self.n_outputs_ = columns.shape[1]
            if self.normalize_y:
                self.y_mean_ = columns.mean(axis=0)
                std = columns.std(axis=0)
                self.y_scale_ = np.where(std > 0, std, 1.0)
            else:
                self.y_mean_, self.y_scale_ = np.zeros(self.n_outputs_), np.ones(self.n_outputs_)
        if columns.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {columns.shape[1]} targets, but the network was fitted with "
                f"{self.n_outputs_}."
            )
        return ((columns - self.y_mean_) / self.y_scale_).astype(np.float32)

    def _targets(self):
        return f"{self.n_outputs_} target(s)"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            The shape of the ``y`` given to ``fit``.
        """
        y = self._outputs(X).astype(np.float64) * self.y_scale_ + self.y_mean_
        return y.ravel() if self._y_is_1d_ else y

    # skorch gives every net predict_proba; a regressor has no probabilities to give.
    @available_if(lambda net: False)
    def predict_proba(self, X):
        raise AttributeError("Regressors have no predict_proba.")


# Docstring fragments shared by the estimators; a class's docstring names them on lines of
# their own ("{training_parameters}"), which _substitute replaces.
_DOC_FRAGMENTS = {
    "input": """\
Takes a 2-D array of shape ``(n_samples, n_features)`` (numpy, pandas or scipy sparse;
float64 or float32), so that it drops into a ``Pipeline`` after a reorderer. Sparse input,
such as ``OneHotEncoder``'s, is densified up to 1 GiB of float32 and refused beyond.
Training stops early on the validation loss of a held-out split and keeps the best epoch's
weights; ``random_state`` makes it reproducible. A fit that raises, or that Ctrl-C stops,
leaves the estimator as it was before.""",
    "training_parameters": """\
max_epochs : int, default=100
    Epoch budget, at least 1; early stopping usually ends training sooner.
batch_size : int, default=64
    Mini-batch size, positive, or -1 for one batch of all samples.
patience : int, default=10
    Epochs without a better validation loss before training stops, at least 1.
verbose : int, default=0
    1 prints skorch's per-epoch table.
device : str, default="cpu"
    ``"cpu"`` or ``"cuda"``.
random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation and batch shuffling (the caller's torch RNG is left as it
    was).""",
    "classifier_parameters": """\
train_split : callable, default=ValidSplit(0.2, stratified=True, random_state=0)
    Validation split (skorch); ``None`` trains on every sample, without early stopping
    on held-out data. Stratified where every class has two samples or more.
**kwargs : dict
    Any other skorch parameter, e.g. ``callbacks`` or ``optimizer__weight_decay``.""",
    "regressor_parameters": """\
train_split : callable, default=ValidSplit(0.2, random_state=0)
    Validation split (skorch); ``None`` trains on every sample, without early stopping
    on held-out data.
normalize_y : bool, default=True
    Train on each target column standardized to mean 0 and standard deviation 1 (a
    constant column only centred), as ``TransformedTargetRegressor`` with a
    ``StandardScaler`` would, and map predictions back. The network's outputs start near
    0, so that an unscaled target, such as ``load_diabetes``' (25 to 346), otherwise
    takes many more epochs. ``partial_fit`` keeps the scaling of the first fit.
**kwargs : dict
    Any other skorch parameter, e.g. ``callbacks`` or ``optimizer__weight_decay``.""",
    "classifier_attributes": """\
module_ : torch.nn.Module
    The trained network.
history_ : skorch.History
    Per-epoch losses.
n_features_in_ : int
    Number of features seen during ``fit``.
feature_names_in_ : ndarray of shape (``n_features_in_``,)
    Names of features seen during ``fit``, when X has string column names.
classes_ : ndarray of shape (n_classes,)
    Class labels, of any type (strings too); ``predict`` returns them.""",
    "regressor_attributes": """\
module_ : torch.nn.Module
    The trained network.
history_ : skorch.History
    Per-epoch losses.
n_features_in_ : int
    Number of features seen during ``fit``.
feature_names_in_ : ndarray of shape (``n_features_in_``,)
    Names of features seen during ``fit``, when X has string column names.
n_outputs_ : int
    Number of targets.
y_mean_ : ndarray of shape (``n_outputs_``,)
    Mean of each target column in ``fit`` (zeros with ``normalize_y=False``).
y_scale_ : ndarray of shape (``n_outputs_``,)
    Standard deviation of each target column in ``fit``, 1 where it is 0 (ones with
    ``normalize_y=False``).""",
}


def _substitute(**fragments):
    """Class decorator: replace each line of the docstring that holds only ``{name}`` by
    the fragment ``name`` (of ``fragments``, else of ``_DOC_FRAGMENTS``), indented as that
    line."""
    fragments = {**_DOC_FRAGMENTS, **fragments}

    def decorate(cls):
        lines = []
        for line in cls.__doc__.splitlines():
            name = line.strip()
            if name.startswith("{") and name.endswith("}"):
                indent = line[: len(line) - len(line.lstrip())]
                lines += [f"{indent}{text}".rstrip() for text in fragments[name[1:-1]].splitlines()]
            else:
                lines.append(line)
        cls.__doc__ = "\n".join(lines)
        return cls

    return decorate
