"""Data sets: Iris (shipped), a seeded teacher-network generator, a CSV loader,
and splitting/standardization that fit on the training part only."""

import codecs
import csv
import io
import warnings
from dataclasses import dataclass
from importlib import resources

import numpy as np

from .._validation import as_float_matrix, check_choice, check_int, check_real

__all__ = [
    "load_iris",
    "iris",
    "make_teacher",
    "load_csv",
    "CSVData",
    "csv_header",
    "split_train_test",
    "train_test_split",
    "Standardizer",
    "IRIS_CLASSES",
]

IRIS_CLASSES = ("setosa", "versicolor", "virginica")


def load_iris():
    """Fisher's Iris data as shipped with the package.

    Returns
    -------
    X : ndarray, shape (150, 4)
        Sepal length, sepal width, petal length, petal width (cm).
    y : ndarray of int64, shape (150,)
        0 = setosa, 1 = versicolor, 2 = virginica (``IRIS_CLASSES``).
    """
    with resources.files(__name__).joinpath("iris.csv").open("r") as fh:
        data = np.loadtxt(fh, delimiter=",", comments="#", skiprows=4)
    return data[:, :4].copy(), data[:, 4].astype(np.int64)


def iris(test_size=0.2, seed=0, standardize=False):
    """Iris split into train and test parts, stratified by class.

    Parameters
    ----------
    test_size : float in (0, 1) or int
        Fraction (or number) of items held out for testing.
    seed : int
        Seed of the shuffle.
    standardize : bool, default False
        Scale features to zero mean and unit variance, with mean and scale fitted
        on the training part only.  Off by default: the four measurements are
        already on one scale (cm, 0.1–7.9), McCaffrey's PSO demo uses them raw, and
        with ``train_pso``'s defaults raw features scored higher (mean test accuracy
        0.96 against 0.93 over ten splits).

    Returns
    -------
    X_train, X_test, y_train, y_test
    """
    X, y = load_iris()
    X_train, X_test, y_train, y_test = split_train_test(X, y, test_size=test_size, seed=seed,
                                                        stratify=True)
    if standardize:
        X_train, X_test = Standardizer().fit(X_train).transform_both(X_train, X_test)
    return X_train, X_test, y_train, y_test


def train_test_split(X, y, test_size=0.25, seed=None, stratify=False):
    """Deprecated alias of ``split_train_test``.

    Its signature is not scikit-learn's ``train_test_split`` (``seed`` rather than
    ``random_state``, ``stratify`` a flag rather than an array), so the name misled.
    """
    warnings.warn("swarmreg.datasets.train_test_split is renamed split_train_test (its arguments "
                  "differ from scikit-learn's train_test_split)", FutureWarning, stacklevel=2)
    return split_train_test(X, y, test_size=test_size, seed=seed, stratify=stratify)


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


def make_teacher(n_samples, layers, *, task="classification", hidden="tanh", noise=0.0,
                 weight_scale=1.0, seed=None, return_teacher=False):
    """Data labelled by a random "teacher" network.

    Inputs are standard normal; the teacher is ``Network(layers, hidden, "identity")``
    with weights drawn from ``N(0, weight_scale² / fan_in)`` and biases from
    ``N(0, 0.1²)``.

    Parameters
    ----------
    n_samples : int
    layers : sequence of int
        Teacher widths ``[d, ..., K]``.  For classification K ≥ 2 is the number of
        classes and the label is the argmax of the teacher's outputs.
    task : {"classification", "regression"}
    noise : float
        Classification: probability that a label is replaced by a uniformly drawn
        class.  Regression: standard deviation of Gaussian noise added to targets.
    weight_scale : float
    seed : int, optional
    return_teacher : bool
        Also return the teacher network and its θ.

    Returns
    -------
    X : ndarray, shape (n_samples, d)
    y : ndarray, int64 (n_samples,) for classification; float64 (n_samples,) when
        K = 1, else (n_samples, K), for regression
    network, theta : only with ``return_teacher``
    """
    from ..network import Network

    n_samples = check_int(n_samples, "n_samples", low=1)
    check_choice(task, "task", ("classification", "regression"))
    noise = check_real(noise, "noise", low=0.0)
    weight_scale = check_real(weight_scale, "weight_scale", low=0.0)
    teacher = Network(layers, hidden=hidden, output="identity")
    if task == "classification":
        if teacher.n_outputs < 2:
            raise ValueError("a classification teacher needs an output width >= 2 (one per class)")
        if noise > 1.0:
            raise ValueError(f"noise is a label-flip probability for classification, got {noise}")
    rng = np.random.default_rng(seed)
    params = [
        (rng.normal(0.0, weight_scale / np.sqrt(d_in), (d_in, d_out)), rng.normal(0.0, 0.1, d_out))
        for d_in, d_out in zip(teacher.layers[:-1], teacher.layers[1:])
    ]
    theta = teacher.pack(params)
    X = rng.normal(size=(n_samples, teacher.n_inputs))
    out = teacher.forward(theta, X)
    if task == "classification":
        y = np.argmax(out, axis=1).astype(np.int64)
        flip = rng.random(n_samples) < noise
        y[flip] = rng.integers(0, teacher.n_outputs, flip.sum())
    else:
        y = out + noise * rng.normal(size=out.shape)
        y = y[:, 0] if teacher.n_outputs == 1 else y
    return (X, y, teacher, theta) if return_teacher else (X, y)


@dataclass(frozen=True, eq=False, repr=False)
class CSVData:
    """A data set read by ``load_csv``: the same fields for both tasks.

    It unpacks as ``X, y = load_csv(path)``, like scikit-learn's ``return_X_y``, for
    classification and regression alike; the other fields are attributes.

    Attributes
    ----------
    X : ndarray of float64, shape (N, d)
        The feature columns, in ``feature_names`` order.
    y : ndarray, shape (N,), or None
        Classification: int64 labels ``0..K-1``, ``classes[y[i]]`` being the value
        written in the file.  Regression: float64 values.  None when ``target=None``.
    classes : tuple of str, or None
        Classification only: ``classes[k]`` is label k as written in the file (its
        first spelling, when numerically equal labels such as ``1`` and ``1.0``
        were merged).  None for regression.
    feature_names : tuple of str, or None
        The header's names of the feature columns; None for a file without a header.
    target_name : str or None
        The header's name of the target column; None without a header or target.
    """

    X: np.ndarray
    y: np.ndarray | None
    classes: tuple | None
    feature_names: tuple | None
    target_name: str | None

    def __iter__(self):
        return iter((self.X, self.y))

    def __repr__(self):
        target = ("no target" if self.y is None else
                  "a target" if self.target_name is None else f"target {self.target_name!r}")
        kind = "regression" if self.classes is None else f"{len(self.classes)} classes"
        return f"CSVData({self.X.shape[0]} rows, {self.X.shape[1]} features, {target}, {kind})"


#: A numeric classification target is refused as continuous when it holds a
#: non-integral value or more than ``max(_MAX_CLASSES_FLOOR, N / 2)`` distinct values:
#: a label column has several items per class, a measured quantity mostly unique ones.
_MAX_CLASSES_FLOOR = 20


def load_csv(path, *, target=-1, task="classification", delimiter=",", header=None,
             encoding="utf-8", features=None):
    """Load a data set from a CSV file: numeric feature columns and one target column.

    Lines starting with ``#`` and empty lines are skipped; a UTF-8 byte-order mark
    at the start of the file is dropped.

    Parameters
    ----------
    path : str or path-like
    target : int, str or None, default -1
        Target column, by index (negative counts from the end) or header name.
        None: the file has no target column (``y`` and ``classes`` are None).
    task : {"classification", "regression"}
        Classification targets may be numbers or names.  Numeric labels are
        compared as numbers (``1`` and ``1.0`` are one class) and ordered by value;
        otherwise labels are strings in sorted order.  A numeric target is refused
        as continuous (``ValueError`` naming the column and its number of distinct
        values) when one value is not an integer or there are more than
        ``max(20, N/2)`` distinct values in N rows; a column of names is refused
        by the same count.  Regression targets must be numbers.
    delimiter : str, default ","
    header : bool, optional
        Whether the first row holds column names.  By default it does when one of
        its fields is not a number while the field below it is (or every field is
        text).
    encoding : str, default "utf-8"
        The file's text encoding; a file that does not decode raises ``ValueError``
        naming the file, the line and the encoding.
    features : sequence of int or str, optional
        The feature columns, in this order, by index or header name.  By default
        every column but the target, in file order.

    Returns
    -------
    CSVData
        ``X, y = load_csv(path)`` for either task; ``.classes``, ``.feature_names``
        and ``.target_name`` as attributes.
    """
    check_choice(task, "task", ("classification", "regression"))
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(f"delimiter must be a single character, got {delimiter!r}")
    rows = _read_rows(path, delimiter, encoding)
    if not rows:
        raise ValueError(f"{path}: no data rows")
    if header is None:
        header = _looks_like_header(rows)
    names = None
    if header:
        header_line, names = rows[0][0], [f.strip() for f in rows[0][1]]
        rows = rows[1:]
        seen = set()
        for name in names:
            if name in seen:
                raise ValueError(f"{path}: column name {name!r} appears more than once in the header")
            seen.add(name)
    if not rows:
        raise ValueError(f"{path}: a header but no data rows")
    width = len(rows[0][1])
    if width < (1 if target is None else 2):
        raise ValueError(f"{path}: need at least one feature column and a target column, found "
                         f"{width} column with delimiter {delimiter!r}{_delimiter_hint(rows, delimiter)}")
    if names is not None and len(names) != width:
        raise ValueError(f"{path}, line {header_line}: the header has {len(names)} fields but the "
                         f"first data row has {width}")
    for line, r in rows:
        if len(r) != width:
            raise ValueError(f"{path}, line {line}: expected {width} fields, got {len(r)}")
    col = None if target is None else _column_index(target, "target", names, width, path)
    if features is None:
        feature_cols = [k for k in range(width) if k != col]
    else:
        if isinstance(features, (str, bytes)) or not hasattr(features, "__iter__"):
            raise TypeError(f"features must be a sequence of column names or indices, got {features!r}")
        feature_cols = [_column_index(f, "features", names, width, path) for f in features]
        if not feature_cols:
            raise ValueError("features must name at least one column")
        if col in feature_cols:
            raise ValueError(f"column {target!r} is both the target and a feature")
    label = (lambda k: repr(names[k])) if names is not None else (lambda k: str(k))
    # The target first: a continuous target chosen by mistake is the likelier story than
    # the text column it leaves among the features.
    y = classes = None
    if col is not None:
        targets = [r[col].strip() for _, r in rows]
        if task == "classification":
            y, classes = _encode_labels(targets, label(col), path)
        else:
            y = np.empty(len(rows))
            for i, (line, _) in enumerate(rows):
                value = _finite_number(targets[i])
                if value is None:
                    raise ValueError(f"{path}, line {line}, column {label(col)}: regression target "
                                     f"{targets[i]!r} is not a finite number")
                y[i] = value
    X = np.empty((len(rows), len(feature_cols)))
    for i, (line, r) in enumerate(rows):
        for j, k in enumerate(feature_cols):
            value = _finite_number(r[k])
            if value is None:
                raise ValueError(f"{path}, line {line}, column {label(k)}: feature value {r[k]!r} "
                                 "is not a finite number")
            X[i, j] = value
    feature_names = None if names is None else tuple(names[k] for k in feature_cols)
    target_name = None if names is None or col is None else names[col]
    return CSVData(X, y, classes, feature_names, target_name)


def csv_header(path, *, delimiter=",", encoding="utf-8"):
    """The column names of a CSV file's header row, or None when it has none.

    The header is detected as ``load_csv`` does with ``header=None``.
    """
    rows = _read_rows(path, delimiter, encoding)
    if not rows or not _looks_like_header(rows):
        return None
    return tuple(f.strip() for f in rows[0][1])


def _read_rows(path, delimiter, encoding):
    """``[(line number, fields), ...]`` of the file's non-comment, non-empty rows."""
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ValueError(f"encoding must be a codec name such as 'utf-8' or 'latin-1', got {encoding!r}") from None
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ValueError(f"{path}, line {line}: byte 0x{data[exc.start]:02x} at column {column} is not "
                         f"valid {encoding}; pass the file's encoding (for example 'latin-1')") from None
    # A BOM written by some editors would otherwise glue onto the first field and turn a
    # numeric first row into a header.
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for r in reader:
        if r and any(f.strip() for f in r) and not r[0].lstrip().startswith("#"):
            rows.append((reader.line_num, r))
    return rows


def _column_index(spec, what, names, width, path):
    """Index in ``[0, width)`` of a column given by header name or (negative) index."""
    if isinstance(spec, str):
        if names is None:
            raise ValueError(f"{what} column {spec!r} is a name but {path} has no header; give an index")
        if spec not in names:
            raise ValueError(f"{what} column {spec!r} not found in the header of {path}: {names}")
        return names.index(spec)
    k = check_int(spec, what)
    if not -width <= k < width:
        raise ValueError(f"{what} must be a column index in [{-width}, {width}), got {k}")
    return k % width


def _encode_labels(targets, column, path):
    """int64 labels and class names; numeric labels merge by value (first spelling kept)."""
    values = [_finite_number(t) for t in targets]
    n = len(targets)
    limit = max(_MAX_CLASSES_FLOOR, n / 2)
    if all(v is not None for v in values):
        first = {}
        for t, v in zip(targets, values):
            first.setdefault(v, t)
        n_distinct = len(first)
        non_integral = [t for t, v in zip(targets, values) if v != np.floor(v)]
        if non_integral or n_distinct > limit:
            why = (f"non-integral values such as {non_integral[0]!r}" if non_integral
                   else f"more than max({_MAX_CLASSES_FLOOR}, N/2) = {limit:g}")
            raise ValueError(f"{path}: classification target column {column} has {n_distinct} distinct "
                             f"values in {n} rows ({why}): it looks continuous; use "
                             f"task=\"regression\", or choose the label column as target")
        order = sorted(first)
        index = {v: k for k, v in enumerate(order)}
        return np.array([index[v] for v in values], dtype=np.int64), tuple(first[v] for v in order)
    order = sorted(set(targets))
    if len(order) > limit:
        raise ValueError(f"{path}: classification target column {column} has {len(order)} distinct "
                         f"values in {n} rows (more than max({_MAX_CLASSES_FLOOR}, N/2) = {limit:g}): "
                         "too few items per class; choose the label column as target")
    index = {v: k for k, v in enumerate(order)}
    return np.array([index[t] for t in targets], dtype=np.int64), tuple(order)


def _delimiter_hint(rows, delimiter):
    first = rows[0][1][0] if rows[0][1] else ""
    for other in (",", ";", "\t", "|"):
        if other != delimiter and other in first:
            return f"; the file looks delimited by {other!r} (delimiter={other!r})"
    return ""


def _looks_like_header(rows):
    first = rows[0][1]
    below = rows[1][1] if len(rows) > 1 else [""] * len(first)
    if not any(_is_number(f) for f in first):
        return True
    return any(not _is_number(a) and _is_number(b) for a, b in zip(first, below))


def _is_number(field):
    try:
        float(field)
    except ValueError:
        return False
    return True


def _finite_number(field):
    """``float(field)`` when it is a finite number, else None."""
    try:
        value = float(field)
    except ValueError:
        return None
    return value if np.isfinite(value) else None
