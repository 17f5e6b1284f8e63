"""The ``swarmreg`` command.

``swarmreg train`` trains a network on Iris or on a CSV file and prints what it
found.  User mistakes end in one line on stderr and exit code 2, not a traceback.
"""

import argparse
import sys

import numpy as np

__all__ = ["main"]


class UsageError(Exception):
    """A mistake in the command line or its inputs: reported in one line, exit code 2."""


def _int_list(text):
    try:
        widths = [int(w) for w in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 4,7,3, got {text!r}")
    return widths


def _load(data, test_size, seed, standardize, task):
    from . import datasets

    if data == "iris":
        return datasets.iris(test_size=test_size, seed=seed, standardize=standardize)
    try:
        loaded = datasets.load_csv(data, task=task)
    except OSError as exc:
        raise UsageError(f"cannot read {data}: {exc.strerror or exc}") from None
    X, y = loaded[0], loaded[1]
    stratify = task == "classification"
    X_tr, X_te, y_tr, y_te = datasets.train_test_split(X, y, test_size=test_size, seed=seed,
                                                       stratify=stratify)
    if standardize:
        scaler = datasets.Standardizer().fit(X_tr)
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    return X_tr, X_te, y_tr, y_te


def _train(args):
    import swarmreg as sr

    task = "regression" if args.output == "identity" else "classification"
    X_tr, X_te, y_tr, y_te = _load(args.data, args.test_size, args.split_seed, args.standardize, task)
    n_out = (y_tr.shape[1] if y_tr.ndim == 2 else 1) if task == "regression" else int(
        max(y_tr.max(), y_te.max()) + 1)
    if args.output == "logistic" and n_out == 2:
        n_out = 1
    layers = args.layers or [X_tr.shape[1], 7, n_out]
    net = sr.Network(layers, hidden=args.hidden, output=args.output)
    res = sr.train_pso(net, X_tr, y_tr, lam=args.lam, swarm_size=args.swarm_size,
                       max_iter=args.max_iter, seed=args.seed, progress=args.progress)
    print(f"network        {net!r}  ({net.n_params} parameters)")
    print(f"data           {args.data}: {len(X_tr)} training, {len(X_te)} test items")
    print(f"trainer        pso, swarm {args.swarm_size}, seed {res.seed}, lam_E {res.lam:g}")
    print(f"stopped        {res.stop_reason} after {res.iterations} iterations, "
          f"{res.n_evaluations} error evaluations, {res.elapsed:.2f} s")
    print(f"training error E = {res.error:.6g} = MSE {res.mse:.6g} + penalty {res.penalty:.6g}"
          f"   (sum of squared weights {res.sum_sq_weights:.4g})")
    for name, X, y in (("train", X_tr, y_tr), ("test", X_te, y_te)):
        if task == "classification":
            print(f"{name:<5} accuracy {np.mean(net.predict(res.theta, X) == y):.4f}")
        else:
            mse = sr.regularized_error(net, res.theta, X, y, 0.0)
            print(f"{name:<5} MSE      {mse:.6g}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="swarmreg",
        description="Train neural networks with particle swarm optimization on an "
                    "L2-regularized error E = MSE + lam * sum(w^2).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    train = sub.add_parser(
        "train", help="train a network with PSO and print its error and accuracy",
        description="Train a network with PSO on Iris or a CSV file (numeric features, target "
                    "in the last column) and print the training error and test accuracy.",
    )
    train.add_argument("--data", default="iris", help="'iris' (shipped) or a CSV file (default: iris)")
    train.add_argument("--layers", type=_int_list, default=None,
                       help="layer widths, e.g. 4,7,3 (default: inputs,7,classes)")
    train.add_argument("--hidden", default="tanh", choices=["tanh", "relu", "logistic"])
    train.add_argument("--output", default="softmax", choices=["softmax", "identity", "logistic"])
    train.add_argument("--lam", type=float, default=0.0, help="lambda_E of the error (default: 0)")
    train.add_argument("--swarm-size", type=int, default=30)
    train.add_argument("--max-iter", type=int, default=1000)
    train.add_argument("--seed", type=int, default=1, help="seed of the swarm (default: 1)")
    train.add_argument("--split-seed", type=int, default=0, help="seed of the train/test split")
    train.add_argument("--test-size", type=float, default=0.2)
    train.add_argument("--standardize", action="store_true",
                       help="scale features with mean and deviation of the training part")
    train.add_argument("--progress", action="store_true", help="show a progress bar (needs tqdm)")
    train.set_defaults(run=_train)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (UsageError, ValueError, TypeError, ImportError) as exc:
        print(f"swarmreg {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
