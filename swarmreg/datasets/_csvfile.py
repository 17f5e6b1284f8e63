"""Data sets read from CSV files: ``load_csv``, ``csv_header`` and the ``CSVData`` they return."""

import codecs
import csv
import io
from dataclasses import dataclass

import numpy as np

from .._validation import check_choice, check_int


@dataclass(frozen=True, eq=False, repr=False)
class CSVData:
    """A data set read by ``load_csv``: the same fields for both tasks.

    It unpacks as ``X, y = load_csv(path)``, like scikit-learn's ``return_X_y``, for
    classification and regression alike, and indexes as that pair (``data[0]`` is
    ``X``, ``data[-1]`` is ``y``, ``len(data) == 2``); the other fields are attributes.

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

    def __len__(self):
        return 2

    def __getitem__(self, index):
        return (self.X, self.y)[index]

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
