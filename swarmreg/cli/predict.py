"""``swarmreg predict MODEL --data CSV``: labels (and class probabilities) of a saved model."""

import csv
import io
import sys
import warnings

import numpy as np

from .. import datasets
from .._io import atomic_write
from ..estimators import ESTIMATORS
from ..saving import load_model
from ._common import UsageError, one_character, user_inputs

NAME = "predict"
INTERRUPTED = "interrupted"


def add_parser(subparsers):
    predict = subparsers.add_parser(
        NAME, help="predict with a saved model on a CSV file",
        description="Load a model saved by 'swarmreg train --save' (or swarmreg.save_model) and write "
                    "its predictions for the rows of a CSV file as CSV: the label and one probability "
                    "column per class for a classifier, the predicted values for a regressor. The "
                    "model's feature columns are found by name when the file's header names them "
                    "(other columns, such as the target, are ignored), otherwise by position.")
    predict.add_argument("model", metavar="MODEL", help="a saved model file (.swarmreg)")
    predict.add_argument("--data", required=True, metavar="CSV",
                         help="CSV file of the items to predict (required; no default)")
    predict.add_argument("--out", default=None, metavar="PATH",
                         help="write the predictions to this CSV file (default: standard output)")
    predict.add_argument("--delimiter", type=one_character, default=",", metavar="CHAR",
                         help="field separator of the CSV file; 'tab' for tabs (default: ,)")
    predict.add_argument("--encoding", default="utf-8",
                         help="text encoding of the CSV file (default: utf-8)")
    return predict


def _features(model, args):
    """The model's feature columns of ``args.data``: by header name when it has them, else by position."""
    delimiter, encoding = args.delimiter, args.encoding
    names = getattr(model, "feature_names_in_", None)
    header = datasets.csv_header(args.data, delimiter=delimiter, encoding=encoding)
    if header is not None and len(header) == 1 and model.n_features_in_ > 1:
        other = [d for d in ",;\t|" if d != delimiter and d in header[0]]
        hint = f"; the file looks delimited by {other[0]!r} (--delimiter)" if other else ""
        raise UsageError(f"{args.data} has one column with delimiter {delimiter!r}{hint}")
    if names is not None and header is not None:
        missing = [n for n in names if n not in header]
        if missing:
            raise UsageError(f"{args.data} has no column {missing[0]!r}; the model's features are "
                             f"{', '.join(map(str, names))}")
        return datasets.load_csv(args.data, target=None, header=True, features=list(names),
                                 delimiter=delimiter, encoding=encoding).X
    X = datasets.load_csv(args.data, target=None, header=header is not None, delimiter=delimiter,
                          encoding=encoding).X
    if X.shape[1] != model.n_features_in_:
        why = ("the file has a header but the model no feature names" if header is not None
               else "the file has no header")
        raise UsageError(f"{args.data} has {X.shape[1]} columns but the model takes "
                         f"{model.n_features_in_} features by position ({why})")
    return X


def run(args):
    with user_inputs():
        model = load_model(args.model)
        if type(model).__name__ not in ESTIMATORS:
            raise UsageError(f"{args.model} holds a {type(model).__name__}, not an estimator: "
                             "predict needs a model saved by 'swarmreg train --save' or "
                             "save_model(estimator)")
        X = _features(model, args)
    # X is finite, float and as wide as the model: predict has nothing of the user's left to
    # refuse, so whatever it raises is a bug.
    with warnings.catch_warnings():
        # X holds the columns the model's feature names chose; it is an array, not a
        # DataFrame, which is all scikit-learn's warning would say.
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        labels = model.predict(X)
        proba = model.predict_proba(X) if hasattr(model, "classes_") else None
    text = io.StringIO()
    if proba is not None:
        columns = ["label"] + [f"proba_{c}" for c in model.classes_]
        rows = ([str(label)] + [repr(float(p)) for p in row] for label, row in zip(labels, proba))
    else:
        values = np.asarray(labels, dtype=float).reshape(len(X), -1)
        columns = (["prediction"] if values.shape[1] == 1
                   else [f"prediction_{k}" for k in range(values.shape[1])])
        rows = ([repr(float(v)) for v in row] for row in values)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    if args.out is None:
        sys.stdout.write(text.getvalue())
        return 0
    try:
        atomic_write(args.out, text.getvalue())
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    print(f"{len(X)} predictions written to {args.out}", file=sys.stderr)
    return 0
