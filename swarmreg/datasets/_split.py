"""Splitting into train and test parts, and standardization fitted on the training part only."""

import numpy as np

from .._validation import as_float_matrix, check_int, check_real


def split_train_test(X, y, test_size=0.25, seed=None, stratify=False):
    """Shuffle and split ``(X, y)`` into train and test parts.

    Not scikit-learn's ``train_test_split``: two arrays, ``seed`` and a ``stratify``
    flag (use scikit-learn's for its signature).

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like, shape (N,) or (N, K)
    test_size : float in (0, 1) or int in [1, N)
        Fraction or number of test items (a fraction is rounded up, as scikit-learn does).
    seed : int, optional
    stratify : bool
        Keep the class proportions of the labels ``y`` (1-D) in both parts.

    Returns
    -------
    X_train, X_test, y_train, y_test
    """
    X = as_float_matrix(X, "X")
    y = np.asarray(y)
    if y.shape[:1] != X.shape[:1]:
        raise ValueError(f"y has {y.shape[0] if y.ndim else 0} rows but X has {X.shape[0]}")
    n = X.shape[0]
    if isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = check_int(test_size, "test_size", low=1)
    else:
        frac = check_real(test_size, "test_size", low=0.0, high=1.0, low_open=True, high_open=True)
        n_test = int(np.ceil(frac * n))
    if not 1 <= n_test < n:
        raise ValueError(f"test_size must leave at least one item in each part of {n}, got {test_size}")
    rng = np.random.default_rng(seed)
    if stratify:
        if y.ndim != 1:
            raise ValueError("stratify=True needs 1-D class labels y")
        test = _stratified_test_indices(y, n_test, rng)
    else:
        test = rng.permutation(n)[:n_test]
    is_test = np.zeros(n, dtype=bool)
    is_test[test] = True
    train = rng.permutation(np.flatnonzero(~is_test))
    test = rng.permutation(np.flatnonzero(is_test))
    return X[train], X[test], y[train], y[test]


def _stratified_test_indices(y, n_test, rng):
    """Test indices with each class represented in proportion (largest remainders)."""
    classes, counts = np.unique(y, return_counts=True)
    exact = counts * n_test / y.shape[0]
    per_class = np.floor(exact).astype(int)
    short = n_test - per_class.sum()
    per_class[np.argsort(-(exact - per_class), kind="stable")[:short]] += 1
    picks = [rng.permutation(np.flatnonzero(y == c))[:k] for c, k in zip(classes, per_class)]
    return np.concatenate(picks)


class Standardizer:
    """Scale features to zero mean and unit variance, fitted on training data only.

    Attributes
    ----------
    mean_ : ndarray, shape (d,)
    scale_ : ndarray, shape (d,)
        Standard deviation per feature; 1 where a feature is constant.
    """

    def fit(self, X):
        X = as_float_matrix(X, "X")
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 0.0, scale, 1.0)
        return self

    def transform(self, X):
        if not hasattr(self, "mean_"):
            raise RuntimeError("Standardizer.transform called before fit")
        X = as_float_matrix(X, "X", n_cols=self.mean_.shape[0])
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X):
        return self.fit(X).transform(X)

    def transform_both(self, X_train, X_test):
        """``(transform(X_train), transform(X_test))``: a split scaled by the fitted part."""
        return self.transform(X_train), self.transform(X_test)
