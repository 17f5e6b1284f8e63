"""The ``swarmreg`` command.

    swarmreg demo                      the headline experiment on Iris, report in ./results
    swarmreg train --trainer pso ...   train one network, print what it found, --save it
    swarmreg predict MODEL --data CSV  labels (and class probabilities) of a saved model
    swarmreg sweep EXPERIMENT          run an experiment's grid (resumable; local pool or Dask)
    swarmreg lambda 0.01 --from decay --to objective --lr 0.01
    swarmreg --version

Which errors are the user's
---------------------------
A mistake of the user's ends in ONE line on stderr, ``swarmreg COMMAND: error: ...``,
and exit code 2, never a page of usage or a traceback.  A mistake of the user's is

* an argument argparse refuses (unknown option, bad value, an option that does not
  apply to the chosen trainer or data), or one this module refuses (``UsageError``);
* an ``OSError`` on a file the user named (missing, unreadable, not writable);
* a ``ValueError`` or ``TypeError`` raised by swarmreg's own checks (the innermost
  frame of its traceback is in a swarmreg module other than this one) while the
  command takes in the user's inputs: reading the data file or the model file,
  building and fitting the model (the trainers check their arguments and data before
  training starts), converting the user's λ, starting a sweep.  An ``ImportError``
  raised there for a missing optional dependency says what to install and counts too.

Anything else is an internal error — a bug, not the user's doing — and is not
disguised: a ``ValueError`` raised inside NumPy, SciPy or Numba, any other exception
type, or any exception after the inputs were taken in (predicting on data already
checked, printing the report, serializing a fitted model) propagates with its
traceback (exit code 1 from ``python -m swarmreg``).
Failed sweep cells (``SweepError``) end in one line and exit code 1: their
tracebacks were logged by the sweep.
"""

import argparse
import contextlib
import csv
import importlib.util
import inspect
import io
import sys
import warnings
from pathlib import Path

import numpy as np

from .sweep import SweepError

__all__ = ["main"]

_PACKAGE_DIR = Path(__file__).resolve().parent
_THIS_FILE = Path(__file__).resolve()


class UsageError(Exception):
    """A mistake in the command line or its inputs: reported in one line, exit code 2."""


def _raised_by_swarmreg(exc):
    """True when the innermost frame of ``exc``'s traceback is swarmreg's (not this module)."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    where = Path(tb.tb_frame.f_code.co_filename).resolve()
    return where != _THIS_FILE and where.is_relative_to(_PACKAGE_DIR)


@contextlib.contextmanager
def _user_inputs():
    """Turn the user's mistakes (see the module docstring) into ``UsageError``."""
    try:
        yield
    except (ValueError, TypeError, ImportError) as exc:
        if not _raised_by_swarmreg(exc):
            raise
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        if exc.filename is None:
            raise
        raise UsageError(f"cannot open {exc.filename}: {exc.strerror or exc}") from exc


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``PROG: error: MESSAGE; see 'PROG --help'``, exit code 2."""

    def error(self, message):
        message = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


# -- argument types -------------------------------------------------------------------------

def _int_list(text):
    try:
        return [int(w) for w in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 4,7,3, got {text!r}")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0.0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _column(text):
    """A column by index (an integer, negative from the end) or by header name."""
    try:
        return int(text)
    except ValueError:
        return text


def _fraction_or_count(text):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction like 0.2 or a count like 30, got {text!r}")


def _delimiter(text):
    text = {"\\t": "\t", "tab": "\t"}.get(text, text)
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"expected one character (or 'tab'), got {text!r}")
    return text


def _estimator_default(trainer, name):
    """The default of estimator parameter ``name`` for ``trainer``, for help texts."""
    from . import estimators

    cls = {"pso": estimators.PSOClassifier, "backprop": estimators.BackpropClassifier,
           "lbfgs": estimators.LBFGSClassifier}[trainer]
    return inspect.signature(cls.__init__).parameters[name].default


# -- train ----------------------------------------------------------------------------------

#: Options that belong to some trainers only: (flag, attribute, trainers, estimator parameter).
_TRAINER_OPTIONS = (
    ("--swarm-size", "swarm_size", ("pso",), "swarm_size"),
    ("--max-iter", "max_iter", ("pso", "lbfgs"), "max_iter"),
    ("--rule", "rule", ("backprop",), "rule"),
    ("--lr", "lr", ("backprop",), "learning_rate_init"),
    ("--batch-size", "batch_size", ("backprop",), "batch_size"),
    ("--epochs", "epochs", ("backprop",), "max_iter"),
    ("--momentum", "momentum", ("backprop",), "momentum"),
    ("--progress", "progress", ("pso", "backprop"), "progress"),
)
_CSV_OPTIONS = (("--target", "target"), ("--delimiter", "delimiter"), ("--encoding", "encoding"))


def _check_train(args, parser):
    """Refuse options that do not apply (given by the user: not None), settle --task and --output."""
    for flag, attr, trainers, _ in _TRAINER_OPTIONS:
        if getattr(args, attr) is not None and args.trainer not in trainers:
            parser.error(f"{flag} does not apply to --trainer {args.trainer} "
                         f"(it is an option of --trainer {' and '.join(trainers)})")
    if args.data == "iris":
        for flag, attr in _CSV_OPTIONS:
            if getattr(args, attr) is not None:
                parser.error(f"{flag} applies to a CSV file, not to --data iris")
        if args.task == "regression" or args.output == "identity":
            parser.error("--data iris is a classification data set; regression needs a CSV file")
    if args.task is None:
        args.task = "regression" if args.output == "identity" else "classification"
    if args.output is None:
        args.output = "identity" if args.task == "regression" else "softmax"
    if (args.task == "regression") != (args.output == "identity"):
        parser.error(f"--output {args.output} does not fit --task {args.task} "
                     "(identity is the regression output, softmax the classifier's)")


def _load_data(args):
    """``(X_train, X_test, y_train, y_test, feature_names)``; labels as written in the file."""
    from . import datasets

    if args.data == "iris":
        X_tr, X_te, y_tr, y_te = datasets.iris(test_size=args.test_size, seed=args.split_seed)
        names = np.array(datasets.IRIS_CLASSES)
        return X_tr, X_te, names[y_tr], names[y_te], None
    data = datasets.load_csv(args.data, target=-1 if args.target is None else args.target,
                             task=args.task, delimiter=args.delimiter or ",",
                             encoding=args.encoding or "utf-8")
    y = data.y if data.classes is None else np.array(data.classes)[data.y]
    X_tr, X_te, y_tr, y_te = datasets.split_train_test(data.X, y, test_size=args.test_size,
                                                       seed=args.split_seed,
                                                       stratify=args.task == "classification")
    return X_tr, X_te, y_tr, y_te, data.feature_names


def _build_estimator(args, n_features, y_train):
    """The estimator ``swarmreg train`` fits for parsed ``args``; ``--layers`` checked against the data."""
    from . import estimators

    classify = args.task == "classification"
    cls = {("pso", True): estimators.PSOClassifier, ("pso", False): estimators.PSORegressor,
           ("backprop", True): estimators.BackpropClassifier,
           ("backprop", False): estimators.BackpropRegressor,
           ("lbfgs", True): estimators.LBFGSClassifier,
           ("lbfgs", False): estimators.LBFGSRegressor}[args.trainer, classify]
    hidden = (7,)
    if args.layers is not None:
        n_out = len(np.unique(y_train)) if classify else 1
        want = f"{n_features},...,{n_out}"
        if len(args.layers) < 2 or args.layers[0] != n_features or args.layers[-1] != n_out:
            raise UsageError(f"--layers {','.join(map(str, args.layers))} does not fit the data: "
                             f"expected {want} ({n_features} feature columns, {n_out} outputs)")
        hidden = tuple(args.layers[1:-1])
    params = dict(hidden_layer_sizes=hidden, activation=args.hidden, lam=args.lam,
                  random_state=args.seed, standardize=args.standardize)
    for _, attr, trainers, name in _TRAINER_OPTIONS:
        value = getattr(args, attr)
        if value is not None and args.trainer in trainers:
            params[name] = value
    if params.get("batch_size") == 0:
        params["batch_size"] = None
    return cls(**params)


def _mse(est, X, y):
    """The project's MSE: mean over items of the squared error summed over outputs."""
    residual = np.asarray(est.predict(X), dtype=float) - y
    return float(np.mean(np.sum(residual.reshape(len(y), -1) ** 2, axis=1)))


def _train(args):
    with _user_inputs():
        X_tr, X_te, y_tr, y_te, feature_names = _load_data(args)
        est = _build_estimator(args, X_tr.shape[1], y_tr)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est.fit(X_tr, y_tr)
    for w in caught:  # e.g. a budget that ended before its target: one line each, as errors are
        print(f"swarmreg train: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    res, net = est.result_, est.network_
    if args.trainer == "pso":
        how = f"pso, swarm {est.swarm_size}"
    elif args.trainer == "backprop":
        how = (f"back-prop, rule {est.rule}, lr {est.learning_rate_init:g}, "
               f"batch {est.batch_size or 'full'}")
    else:
        how = "L-BFGS-B"
    print(f"network        {net!r}  ({net.n_params} parameters)")
    print(f"data           {args.data}: {len(X_tr)} training, {len(X_te)} test items")
    print(f"trainer        {how}, seed {res.seed}, lam {args.lam:g} -> lam_E {res.lam:g}")
    print(f"stopped        {res.stop_reason} after {res.iterations} iterations, "
          f"{res.n_evaluations} passes over the data, {res.elapsed:.2f} s")
    print(f"training error E = {res.error:.6g} = MSE {res.mse:.6g} + penalty {res.penalty:.6g}"
          f"   (sum of squared weights {res.sum_sq_weights:.4g})")
    for name, X, y in (("train", X_tr, y_tr), ("test", X_te, y_te)):
        if args.task == "classification":
            print(f"{name:<5} accuracy {np.mean(est.predict(X) == y):.4f}")
        else:
            print(f"{name:<5} MSE      {_mse(est, X, y):.6g}")
    if args.save is not None:
        from .saving import save_model

        if feature_names is not None:
            # What fit learns from a DataFrame's columns; the CSV header plays that part here,
            # so that predict can find the columns by name.
            est.feature_names_in_ = np.asarray(feature_names, dtype=object)
        try:
            path = save_model(est, args.save)
        except OSError as exc:
            raise UsageError(f"cannot write {args.save}: {exc.strerror or exc}") from exc
        print(f"saved          {path}")
    return 0


# -- predict --------------------------------------------------------------------------------

def _predict_features(model, args):
    """The model's feature columns of ``args.data``: by header name when it has them, else by position."""
    from . import datasets

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


def _predict(args):
    from .estimators import ESTIMATORS
    from .saving import load_model

    with _user_inputs():
        model = load_model(args.model)
        if type(model).__name__ not in ESTIMATORS:
            raise UsageError(f"{args.model} holds a {type(model).__name__}, not an estimator: "
                             "predict needs a model saved by 'swarmreg train --save' or "
                             "save_model(estimator)")
        X = _predict_features(model, args)
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
    from ._io import atomic_write

    try:
        atomic_write(args.out, text.getvalue())
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    print(f"{len(X)} predictions written to {args.out}", file=sys.stderr)
    return 0


# -- demo, sweep, lambda ----------------------------------------------------------------------

def _progress_default():
    return importlib.util.find_spec("tqdm") is not None


def _run(name, mode, args):
    from .experiments import run_experiment

    with _user_inputs():
        summary = run_experiment(name, mode=mode, out=args.out, scheduler=args.scheduler,
                                 workers=args.workers, progress=args.progress,
                                 connect_timeout=args.connect_timeout)
    print(f"report: {summary['paths']['md']}")
    print(f"figure: {summary['paths']['png']}")
    print(f"table:  {summary['paths']['csv']}")
    return summary


def _demo(args):
    summary = _run("lambda_meaning", "default", args)
    print(f"collapse score {summary['collapse_score']:.2f}: the spread of log10 Σw² across schemes is "
          f"{summary['spread_nominal']:.2f} decades at equal nominal λ and "
          f"{summary['spread_E']:.2f} at equal λ_E")
    return 0


def _sweep(args):
    _run(args.experiment, args.mode, args)
    return 0


def _lambda(args):
    from .lambdas import SCHEMES, convert_lambda, lambda_equivalence

    context = dict(lr=args.lr, batch_size=args.batch_size, n_samples=args.n_samples,
                   n_outputs=args.n_outputs, momentum=args.momentum, optimizer=args.optimizer,
                   loss=args.loss, target_std=args.target_std)
    with _user_inputs():
        value = convert_lambda(args.value, args.from_scheme, args.to_scheme, **context)
        equivalence = lambda_equivalence(args.from_scheme, args.to_scheme, **context)
    print(f"{value:.10g}")
    print(f"  {equivalence}", file=sys.stderr)
    for name in (args.from_scheme, args.to_scheme):
        print(f"  {name}: {SCHEMES[name].formula}  [{SCHEMES[name].source}]", file=sys.stderr)
    return 0


# -- the parser -----------------------------------------------------------------------------

def build_parser():
    from ._version import __version__
    from .experiments import EXPERIMENTS
    from .lambdas import SCHEMES

    parser = _Parser(
        prog="swarmreg",
        description="Train neural networks with particle swarm optimization on an L2-regularized "
                    "error E = MSE + lam_E * sum(w^2), compare with back-prop, and translate lambda "
                    "between training conventions.",
        epilog="Start with 'swarmreg demo'. 'swarmreg COMMAND --help' explains each command.",
    )
    parser.add_argument("--version", action="version", version=f"swarmreg {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def runner(p):
        p.add_argument("--out", default="results", help="output folder (default: ./results)")
        p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run the cells on Dask: a scheduler address such as tcp://host:8786, "
                            "or 'local' for a LocalCluster (default: a local process pool)")
        p.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                       help="worker processes, at least 1; 1 runs in this process "
                            "(default: one per core)")
        p.add_argument("--connect-timeout", type=_positive_seconds, default=10.0, metavar="SECONDS",
                       help="how long to wait for the Dask scheduler at --scheduler ADDRESS "
                            "(default: 10)")
        p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=_progress_default(),
                       help="progress bar (default: on when tqdm is installed)")

    demo = sub.add_parser("demo", help="the headline experiment: what one λ means in five schemes",
                          description="Train Iris 4-7-3 with PSO and four back-prop L2 rules over a grid "
                                      "of λ (about a minute on 2 cores) and write a markdown report "
                                      "with its figure. Finished cells are reused when run again.")
    runner(demo)
    demo.set_defaults(run=_demo)

    def default(trainer, name):
        return f"(default: {_estimator_default(trainer, name)})"

    train = sub.add_parser(
        "train", help="train one network, print its error and accuracy, optionally save it",
        description="Train on Iris or a CSV file (numeric feature columns and one target column; a "
                    "header row naming the columns is detected) and print the training error and the "
                    "test accuracy or MSE. --save keeps the fitted model for 'swarmreg predict'. "
                    "Options of one trainer are refused with another.")
    train.add_argument("--trainer", default="pso", choices=["pso", "backprop", "lbfgs"],
                       help="particle swarm, back-prop (SGD), or scipy's L-BFGS-B (default: pso)")
    train.add_argument("--data", default="iris", metavar="iris|CSV",
                       help="'iris' (shipped) or a CSV file (default: iris)")
    train.add_argument("--target", type=_column, default=None, metavar="NAME|INDEX",
                       help="the target column of the CSV file, by header name or by index "
                            "(an integer; negative counts from the end) (default: the last column)")
    train.add_argument("--delimiter", type=_delimiter, default=None, metavar="CHAR",
                       help="field separator of the CSV file; 'tab' for tabs (default: ,)")
    train.add_argument("--encoding", default=None,
                       help="text encoding of the CSV file, e.g. latin-1 (default: utf-8)")
    train.add_argument("--task", default=None, choices=["classification", "regression"],
                       help="classification refuses a target column that looks continuous "
                            "(default: regression with --output identity, else classification)")
    train.add_argument("--layers", type=_int_list, default=None, metavar="D,H,...,K",
                       help="all layer widths, inputs first, e.g. 4,7,3 (default: inputs,7,outputs)")
    train.add_argument("--hidden", default="tanh", choices=["tanh", "relu", "logistic"],
                       help="activation of the hidden layers (default: tanh)")
    train.add_argument("--output", default=None, choices=["softmax", "identity"],
                       help="output layer: softmax classifies, identity regresses "
                            "(default: identity with --task regression, else softmax)")
    train.add_argument("--lam", type=float, default=0.0,
                       help="lambda: lam_E for pso/lbfgs, the rule's own for backprop (default: 0)")
    train.add_argument("--seed", type=int, default=1,
                       help="seed of the training run (the estimator's random_state) (default: 1)")
    train.add_argument("--split-seed", type=int, default=0,
                       help="seed of the train/test split (default: 0)")
    train.add_argument("--test-size", type=_fraction_or_count, default=0.2, metavar="FRACTION|COUNT",
                       help="fraction (below 1) or number of the items held out for testing, "
                            "stratified by class (default: 0.2)")
    train.add_argument("--standardize", action="store_true",
                       help="scale features by the training part's mean and deviation; the saved "
                            "model applies the same scaling when predicting (default: off)")
    train.add_argument("--save", default=None, metavar="PATH",
                       help="save the fitted model there, e.g. model.swarmreg (default: not saved)")
    pso = train.add_argument_group("pso only")
    pso.add_argument("--swarm-size", type=int, default=None, metavar="N",
                     help=f"particles {default('pso', 'swarm_size')}")
    iters = train.add_argument_group("pso and lbfgs only")
    iters.add_argument("--max-iter", type=int, default=None, metavar="N",
                       help=f"iterations (default: {_estimator_default('pso', 'max_iter')} for pso, "
                            f"{_estimator_default('lbfgs', 'max_iter')} for lbfgs)")
    bp = train.add_argument_group("backprop only")
    bp.add_argument("--rule", default=None,
                    choices=["none", "objective", "textbook_batch", "textbook_dataset", "decay"],
                    help=f"the L2 rule, and so what --lam means {default('backprop', 'rule')}")
    bp.add_argument("--lr", type=float, default=None,
                    help=f"learning rate {default('backprop', 'learning_rate_init')}")
    bp.add_argument("--batch-size", type=int, default=None, metavar="M",
                    help=f"items per update; 0 = full batch {default('backprop', 'batch_size')}")
    bp.add_argument("--epochs", type=int, default=None, metavar="N",
                    help=f"passes over the training data {default('backprop', 'max_iter')}")
    bp.add_argument("--momentum", type=float, default=None,
                    help=f"classical momentum {default('backprop', 'momentum')}")
    both = train.add_argument_group("pso and backprop only")
    both.add_argument("--progress", action="store_const", const=True, default=None,
                      help="show a progress bar (needs tqdm) (default: off)")
    train.set_defaults(run=_train, check=_check_train)

    predict = sub.add_parser(
        "predict", help="predict with a saved model on a CSV file",
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
    predict.add_argument("--delimiter", type=_delimiter, default=",", metavar="CHAR",
                         help="field separator of the CSV file; 'tab' for tabs (default: ,)")
    predict.add_argument("--encoding", default="utf-8",
                         help="text encoding of the CSV file (default: utf-8)")
    predict.set_defaults(run=_predict)

    sweep = sub.add_parser("sweep", help="run one experiment's grid and write its report",
                           description="Run an experiment (CSV + PNG + markdown in OUT/EXPERIMENT). "
                                       "Interrupted or repeated runs skip the cells already done.")
    sweep.add_argument("experiment", choices=list(EXPERIMENTS), metavar="EXPERIMENT",
                       help=", ".join(EXPERIMENTS) + " (required; no default)")
    size = sweep.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="a small grid, for tests (seconds) (default: off, the default grid: minutes)")
    size.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="the published figures (many seeds; longer) (default: off)")
    sweep.set_defaults(mode="default")
    runner(sweep)
    sweep.set_defaults(run=_sweep)

    lam = sub.add_parser("lambda", help="translate a lambda between training conventions",
                         description="Print the lambda of --to that regularizes exactly as VALUE does "
                                     "in --from, and (on stderr) what the conversion preserves (see README "
                                     "'Which λ is which').")
    lam.add_argument("value", type=float, metavar="VALUE", help="the lambda to translate (required)")
    lam.add_argument("--from", dest="from_scheme", required=True, choices=list(SCHEMES), metavar="SCHEME",
                     help=", ".join(SCHEMES) + " (required; no default)")
    lam.add_argument("--to", dest="to_scheme", required=True, choices=list(SCHEMES), metavar="SCHEME",
                     help="the scheme to translate into, as --from (required; no default)")
    lam.add_argument("--lr", type=float, default=None,
                     help="learning rate (decay) (default: none; needed by decay)")
    lam.add_argument("--batch-size", type=int, default=None,
                     help="items per update (textbook_batch, sklearn_alpha with sgd/adam) "
                          "(default: none; needed by those)")
    lam.add_argument("--n-samples", type=int, default=None,
                     help="training-set size (textbook_dataset, sklearn_alpha with lbfgs) "
                          "(default: none; needed by those)")
    lam.add_argument("--n-outputs", type=int, default=None,
                     help="network outputs (sklearn_alpha, torch_weight_decay, keras_l2) "
                          "(default: none; needed by those)")
    lam.add_argument("--momentum", type=float, default=0.0,
                     help="classical momentum of the SGD run (default: 0)")
    lam.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd",
                     help="optimizer of the runs; decoupled schemes have no equivalent with adam "
                          "(default: sgd)")
    lam.add_argument("--loss", choices=["mse", "cross_entropy"], default="mse",
                     help="data error of the runs; sklearn_logistic_c and sklearn_mlpclassifier_alpha "
                          "need cross_entropy (default: mse)")
    lam.add_argument("--target-std", type=float, default=None,
                     help="standard deviation of the targets, 1/N formula "
                          "(default: none; needed by glmnet_lambda)")
    lam.set_defaults(run=_lambda)
    parser.subparsers = {"demo": demo, "train": train, "predict": predict, "sweep": sweep, "lambda": lam}
    return parser


def main(argv=None):
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # argparse would report them as the top-level parser's, without the command
        parser.subparsers[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    if hasattr(args, "check"):
        args.check(args, parser.subparsers[args.command])
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"swarmreg {args.command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except SweepError as exc:  # cells failed: not a usage mistake, the tracebacks were logged
        print(f"swarmreg {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        what = {"train": "training interrupted", "sweep": "interrupted; finished cells are saved",
                "demo": "interrupted; finished cells are saved"}.get(args.command, "interrupted")
        print(f"swarmreg {args.command}: {what}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
