"""scikit-learn's estimator machinery when it is installed, a minimal stand-in when not.

The estimators follow scikit-learn's conventions and pass its estimator checks, so
with scikit-learn installed they are built on its own ``BaseEstimator``, mixins and
input validation.  scikit-learn is an optional dependency, though: without it the
stand-ins below give the same public behaviour for plain use (``get_params`` /
``set_params``, ``score``, the same validation messages), without the ecosystem.
"""

import inspect
import warnings

import numpy as np

from ._validation import as_float_matrix

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning, NotFittedError
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data

    HAVE_SKLEARN = True
except ImportError:
    HAVE_SKLEARN = False

    class ConvergenceWarning(UserWarning):
        """A training budget ended before the requested target, or training diverged."""

    class NotFittedError(ValueError, AttributeError):
        """An estimator was used before ``fit``."""

    class BaseEstimator:
        """``get_params``/``set_params`` from the ``__init__`` signature, as scikit-learn does."""

        @classmethod
        def _param_names(cls):
            return sorted(p for p in inspect.signature(cls.__init__).parameters if p != "self")

        def get_params(self, deep=True):
            return {name: getattr(self, name) for name in self._param_names()}

        def set_params(self, **params):
            valid = self._param_names()
            for name, value in params.items():
                if name not in valid:
                    raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                     f"valid parameters: {valid}")
                setattr(self, name, value)
            return self

        def __repr__(self):
            defaults = inspect.signature(type(self).__init__).parameters
            changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                       if not (defaults[k].default is v or defaults[k].default == v)]
            return f"{type(self).__name__}({', '.join(changed)})"

    class ClassifierMixin:
        def score(self, X, y):
            """Mean accuracy of ``predict(X)`` against ``y``."""
            return float(np.mean(self.predict(X) == np.asarray(y)))

    class RegressorMixin:
        def score(self, X, y):
            """Coefficient of determination R², averaged uniformly over outputs."""
            y = np.asarray(y, dtype=np.float64)
            pred = np.asarray(self.predict(X), dtype=np.float64).reshape(y.shape)
            y2, p2 = y.reshape(y.shape[0], -1), pred.reshape(y.shape[0], -1)
            ss_res = ((y2 - p2) ** 2).sum(axis=0)
            ss_tot = ((y2 - y2.mean(axis=0)) ** 2).sum(axis=0)
            r2 = np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0),
                          np.where(ss_res > 0, 0.0, 1.0))
            return float(r2.mean())

    def check_is_fitted(estimator, attributes):
        attributes = [attributes] if isinstance(attributes, str) else attributes
        if not all(hasattr(estimator, a) for a in attributes):
            raise NotFittedError(f"This {type(estimator).__name__} instance is not fitted yet. "
                                 "Call 'fit' with appropriate arguments before using this estimator.")

    def check_classification_targets(y):
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise ValueError("Unknown label type: continuous. Maybe you are trying to fit a "
                             "classifier, which expects discrete classes on a regression target "
                             "with continuous values.")

    def _feature_names(X):
        columns = getattr(X, "columns", None)
        if columns is None:
            return None
        names = np.asarray([str(c) for c in columns], dtype=object)
        return names if all(isinstance(c, str) for c in columns) else None

    def validate_data(estimator, X, y="no_validation", *, reset=True, multi_output=False,
                      y_numeric=False):
        names = _feature_names(X)
        if reset:
            if names is not None:
                estimator.feature_names_in_ = names
            elif hasattr(estimator, "feature_names_in_"):
                del estimator.feature_names_in_
        else:
            fitted = getattr(estimator, "feature_names_in_", None)
            if fitted is not None and names is not None and list(names) != list(fitted):
                raise ValueError("The feature names should match those that were passed during fit.")
            if fitted is not None and names is None:
                warnings.warn(f"X does not have valid feature names, but {type(estimator).__name__} "
                              "was fitted with feature names", UserWarning, stacklevel=3)
        X = as_float_matrix(np.asarray(X), "X")
        if reset:
            estimator.n_features_in_ = X.shape[1]
        elif X.shape[1] != estimator.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
                             f"expecting {estimator.n_features_in_} features as input.")
        if isinstance(y, str) and y == "no_validation":
            return X
        if y is None:
            raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y is None.")
        y = np.asarray(y)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
        if not multi_output and y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y_numeric:
            y = np.asarray(y, dtype=np.float64)
            if not np.all(np.isfinite(y)):
                raise ValueError("y must be finite (no NaN or infinity)")
        return X, y
