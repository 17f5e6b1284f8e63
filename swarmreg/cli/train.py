"""``swarmreg train``: train one network on Iris or a CSV file, print what it found, --save it."""

import inspect
import sys
import warnings

import numpy as np

from .. import datasets, estimators
from .._training import TrainingInterrupted
from ..algorithms import ALGORITHMS
from ..backprop import RULES
from ..network import HIDDEN_ACTIVATIONS
from ..saving import save_model
from ._common import (UsageError, column, fraction_or_count, int_list, one_character,
                      positive_seconds, user_inputs)

NAME = "train"
INTERRUPTED = "training interrupted"

#: ``--trainer`` -> its (classifier, regressor) estimators.
TRAINERS = {
    "pso": (estimators.PSOClassifier, estimators.PSORegressor),
    "backprop": (estimators.BackpropClassifier, estimators.BackpropRegressor),
    "lbfgs": (estimators.LBFGSClassifier, estimators.LBFGSRegressor),
}
#: ``--task`` -> the ``--output`` layer that does it.
TASK_OUTPUTS = {"classification": "softmax", "regression": "identity"}

#: Options that belong to some trainers only: (flag, attribute, trainers, estimator parameter).
_TRAINER_OPTIONS = (
    ("--algorithm", "algorithm", ("pso",), "algorithm"),
    ("--swarm-size", "swarm_size", ("pso",), "swarm_size"),
    ("--max-iter", "max_iter", ("pso", "lbfgs"), "max_iter"),
    ("--rule", "rule", ("backprop",), "rule"),
    ("--lr", "lr", ("backprop",), "learning_rate_init"),
    ("--batch-size", "batch_size", ("backprop",), "batch_size"),
    ("--epochs", "epochs", ("backprop",), "max_iter"),
    ("--momentum", "momentum", ("backprop",), "momentum"),
    ("--progress", "progress", ("pso", "backprop"), "progress"),
    ("--checkpoint", "checkpoint", ("pso", "backprop"), "checkpoint"),
    ("--checkpoint-every", "checkpoint_every", ("pso", "backprop"), "checkpoint_every"),
    ("--resume", "resume", ("pso", "backprop"), None),  # an argument of fit
)
_CSV_OPTIONS = (("--target", "target"), ("--delimiter", "delimiter"), ("--encoding", "encoding"))


def _estimator_default(trainer, name):
    """The default of estimator parameter ``name`` for ``trainer``, for help texts."""
    classifier = TRAINERS[trainer][0]
    return inspect.signature(classifier.__init__).parameters[name].default


def add_parser(subparsers):
    def default(trainer, name):
        return f"(default: {_estimator_default(trainer, name)})"

    train = subparsers.add_parser(
        NAME, help="train one network, print its error and accuracy, optionally save it",
        description="Train on Iris or a CSV file (numeric feature columns and one target column; a "
                    "header row naming the columns is detected) and print the training error and the "
                    "test accuracy or MSE. --save keeps the fitted model for 'swarmreg predict'. "
                    "Options of one trainer are refused with another.")
    train.add_argument("--trainer", default="pso", choices=list(TRAINERS),
                       help="particle swarm, back-prop (SGD), or scipy's L-BFGS-B (default: pso)")
    train.add_argument("--data", default="iris", metavar="iris|CSV",
                       help="'iris' (shipped) or a CSV file (default: iris)")
    train.add_argument("--target", type=column, default=None, metavar="NAME|INDEX",
                       help="the target column of the CSV file, by header name or by index "
                            "(an integer; negative counts from the end) (default: the last column)")
    train.add_argument("--delimiter", type=one_character, default=None, metavar="CHAR",
                       help="field separator of the CSV file; 'tab' for tabs (default: ,)")
    train.add_argument("--encoding", default=None,
                       help="text encoding of the CSV file, e.g. latin-1 (default: utf-8)")
    train.add_argument("--task", default=None, choices=list(TASK_OUTPUTS),
                       help="classification refuses a target column that looks continuous "
                            "(default: regression with --output identity, else classification)")
    train.add_argument("--layers", type=int_list, default=None, metavar="D,H,...,K",
                       help="all layer widths, inputs first, e.g. 4,7,3 (default: inputs,7,outputs)")
    train.add_argument("--hidden", default="tanh", choices=list(HIDDEN_ACTIVATIONS),
                       help="activation of the hidden layers (default: tanh)")
    train.add_argument("--output", default=None, choices=list(TASK_OUTPUTS.values()),
                       help="output layer: softmax classifies, identity regresses "
                            "(default: identity with --task regression, else softmax)")
    train.add_argument("--lam", type=float, default=0.0,
                       help="lambda: lam_E for pso/lbfgs, the rule's own for backprop (default: 0)")
    train.add_argument("--seed", type=int, default=1,
                       help="seed of the training run (the estimator's random_state) (default: 1)")
    train.add_argument("--split-seed", type=int, default=0,
                       help="seed of the train/test split (default: 0)")
    train.add_argument("--test-size", type=fraction_or_count, default=0.2, metavar="FRACTION|COUNT",
                       help="fraction (below 1) or number of the items held out for testing, "
                            "stratified by class (default: 0.2)")
    train.add_argument("--standardize", action="store_true",
                       help="scale features by the training part's mean and deviation; the saved "
                            "model applies the same scaling when predicting (default: off)")
    train.add_argument("--save", default=None, metavar="PATH",
                       help="save the fitted model there, e.g. model.swarmreg (default: not saved)")
    pso = train.add_argument_group("pso only")
    pso.add_argument("--algorithm", default=None, choices=list(ALGORITHMS),
                     help=f"the swarm algorithm {default('pso', 'algorithm')}")
    pso.add_argument("--swarm-size", type=int, default=None, metavar="N",
                     help="particles (default: the algorithm's: "
                          + ", ".join(f"{a.swarm_size(1000)} for {name}" for name, a in ALGORITHMS.items()
                                      if name != "slpso") + ", 100 + parameters/10 for slpso)")
    iters = train.add_argument_group("pso and lbfgs only")
    iters.add_argument("--max-iter", type=int, default=None, metavar="N",
                       help=f"iterations (default: {_estimator_default('pso', 'max_iter')} for pso, "
                            f"{_estimator_default('lbfgs', 'max_iter')} for lbfgs)")
    bp = train.add_argument_group("backprop only")
    bp.add_argument("--rule", default=None, choices=list(RULES),
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
    both.add_argument("--checkpoint", default=None, metavar="PATH",
                      help="write the run's state there as it goes (and at the end, and on "
                           "Ctrl-C), the previous one kept as PATH.prev (default: none)")
    both.add_argument("--checkpoint-every", type=positive_seconds, default=None, metavar="SECONDS",
                      help="seconds between two checkpoints "
                           f"{default('pso', 'checkpoint_every')}")
    both.add_argument("--resume", default=None, metavar="PATH",
                      help="go on with the run of this checkpoint, written by the same command "
                           "(with --checkpoint) that was killed or interrupted; the result is the "
                           "run's uninterrupted one (default: start anew)")
    return train


def check(args, parser):
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
        args.output = TASK_OUTPUTS[args.task]
    if TASK_OUTPUTS[args.task] != args.output:
        parser.error(f"--output {args.output} does not fit --task {args.task} "
                     "(identity is the regression output, softmax the classifier's)")


def _load_data(args):
    """``(X_train, X_test, y_train, y_test, feature_names)``; labels as written in the file."""
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
    classify = args.task == "classification"
    classifier, regressor = TRAINERS[args.trainer]
    cls = classifier if classify else regressor
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
        if value is not None and args.trainer in trainers and name is not None:
            params[name] = value
    if params.get("batch_size") == 0:
        params["batch_size"] = None
    return cls(**params)


def _mse(est, X, y):
    """The project's MSE: mean over items of the squared error summed over outputs."""
    residual = np.asarray(est.predict(X), dtype=float) - y
    return float(np.mean(np.sum(residual.reshape(len(y), -1) ** 2, axis=1)))


def _save(est, args, feature_names):
    if feature_names is not None:
        # What fit learns from a DataFrame's columns; the CSV header plays that part here,
        # so that predict can find the columns by name.
        est.feature_names_in_ = np.asarray(feature_names, dtype=object)
    try:
        return save_model(est, args.save)
    except OSError as exc:
        raise UsageError(f"cannot write {args.save}: {exc.strerror or exc}") from exc


def _interrupted(est, args, feature_names, exc):
    """After Ctrl-C: save the model so far with --save, say so in one line; exit code 130.
    Without --save or --checkpoint there is nothing to say but that it was interrupted."""
    if args.save is None and exc.checkpoint is None:
        raise exc
    res = est.result_
    said = f"training interrupted after {res.iterations} iterations"
    if args.save is not None:
        said += (f"; saved the partial model (the best so far, E = {res.error:.6g}) to "
                 f"{_save(est, args, feature_names)}")
    if exc.checkpoint is not None:
        said += f"; continue with --resume {exc.checkpoint}"
    print(f"swarmreg {NAME}: {said}", file=sys.stderr)
    return 130


def run(args):
    interrupted = None
    fit_args = {} if args.resume is None else {"resume": args.resume}
    with user_inputs():
        X_tr, X_te, y_tr, y_te, feature_names = _load_data(args)
        est = _build_estimator(args, X_tr.shape[1], y_tr)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                est.fit(X_tr, y_tr, **fit_args)
            except TrainingInterrupted as exc:
                interrupted = exc
    for w in caught:  # e.g. a budget that ended before its target: one line each, as errors are
        print(f"swarmreg train: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    if interrupted is not None:
        return _interrupted(est, args, feature_names, interrupted)
    res, net = est.result_, est.network_
    if args.trainer == "pso":
        how = f"{res.settings['algorithm']}, swarm {res.settings['swarm_size']}"
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
        print(f"saved          {_save(est, args, feature_names)}")
    return 0
