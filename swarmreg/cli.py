"""The ``swarmreg`` command.

    swarmreg demo                      the headline experiment on Iris, report in ./results
    swarmreg train --trainer pso ...   train one network and print what it found
    swarmreg sweep EXPERIMENT          run an experiment's grid (resumable; local pool or Dask)
    swarmreg lambda 0.01 --from decay --to objective --lr 0.01

User mistakes end in one line on stderr and exit code 2, not a traceback.
"""

import argparse
import importlib.util
import sys

import numpy as np

from .sweep import SweepError

__all__ = ["main"]


class UsageError(Exception):
    """A mistake in the command line or its inputs: reported in one line, exit code 2."""


def _int_list(text):
    try:
        return [int(w) for w in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 4,7,3, got {text!r}")


def _load(data, test_size, seed, standardize, task):
    from . import datasets

    if data == "iris":
        return datasets.iris(test_size=test_size, seed=seed, standardize=standardize)
    try:
        loaded = datasets.load_csv(data, task=task)
    except OSError as exc:
        raise UsageError(f"cannot read {data}: {exc.strerror or exc}") from None
    X, y = loaded[0], loaded[1]
    X_tr, X_te, y_tr, y_te = datasets.train_test_split(X, y, test_size=test_size, seed=seed,
                                                       stratify=task == "classification")
    if standardize:
        X_tr, X_te = datasets.Standardizer().fit(X_tr).transform_both(X_tr, X_te)
    return X_tr, X_te, y_tr, y_te


def _train(args):
    import swarmreg as sr

    task = "regression" if args.output == "identity" else "classification"
    X_tr, X_te, y_tr, y_te = _load(args.data, args.test_size, args.split_seed, args.standardize, task)
    if task == "regression":
        n_out = y_tr.shape[1] if y_tr.ndim == 2 else 1
    else:
        n_out = int(max(y_tr.max(), y_te.max()) + 1)
        n_out = 1 if args.output == "logistic" and n_out == 2 else n_out
    net = sr.Network(args.layers or [X_tr.shape[1], 7, n_out], hidden=args.hidden, output=args.output)
    common = dict(lam=args.lam, seed=args.seed)
    if args.trainer == "pso":
        res = sr.train_pso(net, X_tr, y_tr, swarm_size=args.swarm_size, max_iter=args.max_iter,
                           progress=args.progress, **common)
        how = f"pso, swarm {args.swarm_size}"
    elif args.trainer == "backprop":
        res = sr.train_backprop(net, X_tr, y_tr, rule=args.rule, lr=args.lr,
                                batch_size=args.batch_size or None, epochs=args.epochs,
                                momentum=args.momentum, progress=args.progress, **common)
        how = f"back-prop, rule {args.rule}, lr {args.lr:g}, batch {args.batch_size or 'full'}"
    else:
        res = sr.train_lbfgs(net, X_tr, y_tr, **common)
        how = "L-BFGS-B"
    print(f"network        {net!r}  ({net.n_params} parameters)")
    print(f"data           {args.data}: {len(X_tr)} training, {len(X_te)} test items")
    print(f"trainer        {how}, seed {res.seed}, lam {args.lam:g} -> lam_E {res.lam:g}")
    print(f"stopped        {res.stop_reason} after {res.iterations} iterations, "
          f"{res.n_evaluations} passes over the data, {res.elapsed:.2f} s")
    print(f"training error E = {res.error:.6g} = MSE {res.mse:.6g} + penalty {res.penalty:.6g}"
          f"   (sum of squared weights {res.sum_sq_weights:.4g})")
    for name, X, y in (("train", X_tr, y_tr), ("test", X_te, y_te)):
        if task == "classification":
            print(f"{name:<5} accuracy {np.mean(net.predict(res.theta, X) == y):.4f}")
        else:
            print(f"{name:<5} MSE      {sr.regularized_error(net, res.theta, X, y, 0.0):.6g}")
    return 0


def _progress_default():
    return importlib.util.find_spec("tqdm") is not None


def _run(name, mode, args):
    from .experiments import run_experiment

    summary = run_experiment(name, mode=mode, out=args.out, scheduler=args.scheduler,
                             workers=args.workers, progress=args.progress)
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
    print(f"{convert_lambda(args.value, args.from_scheme, args.to_scheme, **context):.10g}")
    print(f"  {lambda_equivalence(args.from_scheme, args.to_scheme, **context)}", file=sys.stderr)
    for name in (args.from_scheme, args.to_scheme):
        print(f"  {name}: {SCHEMES[name].formula}  [{SCHEMES[name].source}]", file=sys.stderr)
    return 0


def build_parser():
    from .experiments import EXPERIMENTS
    from .lambdas import SCHEMES

    parser = argparse.ArgumentParser(
        prog="swarmreg",
        description="Train neural networks with particle swarm optimization on an L2-regularized "
                    "error E = MSE + lam_E * sum(w^2), compare with back-prop, and translate lambda "
                    "between training conventions.",
        epilog="Start with 'swarmreg demo'. 'swarmreg COMMAND --help' explains each command.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def runner(p):
        p.add_argument("--out", default="results", help="output folder (default: ./results)")
        p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run the cells on Dask: a scheduler address such as tcp://host:8786, "
                            "or 'local' for a LocalCluster (default: a local process pool)")
        p.add_argument("--workers", type=int, default=None,
                       help="worker processes (default: one per core; 1 runs in this process)")
        p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=_progress_default(),
                       help="progress bar (default: on when tqdm is installed)")

    demo = sub.add_parser("demo", help="the headline experiment: what one λ means in five schemes",
                          description="Train Iris 4-7-3 with PSO and four back-prop L2 rules over a grid "
                                      "of λ (about a minute on 2 cores) and write a markdown report "
                                      "with its figure. Finished cells are reused when run again.")
    runner(demo)
    demo.set_defaults(run=_demo)

    train = sub.add_parser("train", help="train one network and print its error and accuracy",
                           description="Train on Iris or a CSV file (numeric features, target in the "
                                       "last column) and print the training error and test accuracy.")
    train.add_argument("--trainer", default="pso", choices=["pso", "backprop", "lbfgs"])
    train.add_argument("--data", default="iris", help="'iris' (shipped) or a CSV file (default: iris)")
    train.add_argument("--layers", type=_int_list, default=None,
                       help="layer widths, e.g. 4,7,3 (default: inputs,7,classes)")
    train.add_argument("--hidden", default="tanh", choices=["tanh", "relu", "logistic"])
    train.add_argument("--output", default="softmax", choices=["softmax", "identity", "logistic"])
    train.add_argument("--lam", type=float, default=0.0,
                       help="lambda: lam_E for pso/lbfgs, the rule's own for backprop (default 0)")
    train.add_argument("--seed", type=int, default=1, help="seed of the training run (default: 1)")
    train.add_argument("--split-seed", type=int, default=0, help="seed of the train/test split")
    train.add_argument("--test-size", type=float, default=0.2)
    train.add_argument("--standardize", action="store_true",
                       help="scale features with mean and deviation of the training part")
    train.add_argument("--progress", action="store_true", help="show a progress bar (needs tqdm)")
    pso = train.add_argument_group("pso")
    pso.add_argument("--swarm-size", type=int, default=30)
    pso.add_argument("--max-iter", type=int, default=1000)
    bp = train.add_argument_group("backprop")
    bp.add_argument("--rule", default="objective",
                    choices=["none", "objective", "textbook_batch", "textbook_dataset", "decay"])
    bp.add_argument("--lr", type=float, default=0.01)
    bp.add_argument("--batch-size", type=int, default=1, help="items per update; 0 = full batch")
    bp.add_argument("--epochs", type=int, default=200)
    bp.add_argument("--momentum", type=float, default=0.0)
    train.set_defaults(run=_train)

    sweep = sub.add_parser("sweep", help="run one experiment's grid and write its report",
                           description="Run an experiment (CSV + PNG + markdown in OUT/EXPERIMENT). "
                                       "Interrupted or repeated runs skip the cells already done.")
    sweep.add_argument("experiment", choices=list(EXPERIMENTS), metavar="EXPERIMENT",
                       help=", ".join(EXPERIMENTS))
    size = sweep.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="a small grid, for tests (seconds)")
    size.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="the published figures (many seeds; longer)")
    sweep.set_defaults(mode="default")
    runner(sweep)
    sweep.set_defaults(run=_sweep)

    lam = sub.add_parser("lambda", help="translate a lambda between training conventions",
                         description="Print the lambda of --to that regularizes exactly as VALUE does "
                                     "in --from, and (on stderr) what the conversion preserves (see README "
                                     "'Which λ is which').")
    lam.add_argument("value", type=float, metavar="VALUE")
    lam.add_argument("--from", dest="from_scheme", required=True, choices=list(SCHEMES), metavar="SCHEME",
                     help=", ".join(SCHEMES))
    lam.add_argument("--to", dest="to_scheme", required=True, choices=list(SCHEMES), metavar="SCHEME")
    lam.add_argument("--lr", type=float, default=None, help="learning rate (decay)")
    lam.add_argument("--batch-size", type=int, default=None,
                     help="items per update (textbook_batch, sklearn_alpha with sgd/adam)")
    lam.add_argument("--n-samples", type=int, default=None,
                     help="training-set size (textbook_dataset, sklearn_alpha with lbfgs)")
    lam.add_argument("--n-outputs", type=int, default=None,
                     help="network outputs (sklearn_alpha, torch_weight_decay, keras_l2)")
    lam.add_argument("--momentum", type=float, default=0.0)
    lam.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd",
                     help="optimizer of the runs (decoupled schemes have no equivalent with adam)")
    lam.add_argument("--loss", choices=["mse", "cross_entropy"], default="mse",
                     help="data error of the runs (sklearn_logistic_c, sklearn_mlpclassifier_alpha: "
                          "cross_entropy)")
    lam.add_argument("--target-std", type=float, default=None,
                     help="standard deviation of the targets, 1/N formula (glmnet_lambda)")
    lam.set_defaults(run=_lambda)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (UsageError, ValueError, TypeError, ImportError, OSError) as exc:
        print(f"swarmreg {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except SweepError as exc:  # cells failed: not a usage mistake, the tracebacks were logged
        print(f"swarmreg {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"swarmreg {args.command}: interrupted; finished cells are saved", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
