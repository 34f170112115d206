"""All-or-nothing fits: an estimator whose fit raises or is interrupted is left as it was.

Pure Python, so that the math core, the estimators and the torch networks can all use it.
"""

import functools

__all__ = ["all_or_nothing"]


def all_or_nothing(fit):
    """Decorate a ``fit`` method so that a failed or interrupted fit changes nothing.

    The estimator's attributes are saved before ``fit`` runs and put back if it raises any
    exception, KeyboardInterrupt (Ctrl-C) included, which then propagates. A fit must
    therefore assign new objects to its fitted attributes rather than change old ones in
    place (all estimators here do), so that the saved references still hold the old state.

    Examples
    --------
    >>> from sklearn_qe._fit_state import all_or_nothing
    >>> class Model:
    ...     @all_or_nothing
    ...     def fit(self, value):
    ...         self.first_ = value
    ...         self.second_ = 1 / value
    ...         return self
    >>> model = Model().fit(2)
    >>> try:
    ...     model.fit(0)
    ... except ZeroDivisionError:
    ...     pass
    >>> model.first_, model.second_
    (2, 0.5)
    """

    @functools.wraps(fit)
    def restoring_fit(estimator, *args, **kwargs):
        saved = estimator.__dict__.copy()
        try:
            return fit(estimator, *args, **kwargs)
        except BaseException:
            estimator.__dict__.clear()
            estimator.__dict__.update(saved)
            raise

    return restoring_fit
