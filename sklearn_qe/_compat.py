"""The private scikit-learn APIs that sklearn-qe uses, imported here and nowhere else.

scikit-learn keeps them stable in practice but promises nothing. Each is exercised with the
oldest scikit-learn that ``pyproject.toml`` allows (``make test-min``) and the newest (``make
test``), and ``pyproject.toml`` caps scikit-learn below the first release not yet tested: a
new release that moves one of these breaks this module only.
"""

from sklearn.base import _fit_context
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    RealNotInt,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils._plotting import _validate_style_kwargs
from sklearn.utils.validation import _check_feature_names_in

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "Options",
    "RealNotInt",
    "StrOptions",
    "_check_feature_names_in",
    "_fit_context",
    "_validate_style_kwargs",
    "check_matplotlib_support",
    "validate_parameter_constraints",
    "validate_params",
]
