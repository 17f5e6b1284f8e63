"""``swarmreg lambda VALUE --from SCHEME --to SCHEME``: translate a λ between training conventions."""

import sys

from ..backprop import OPTIMIZERS
from ..error import LOSSES
from ..lambdas import SCHEMES, convert_lambda, lambda_equivalence
from ._common import user_inputs

NAME = "lambda"
INTERRUPTED = "interrupted"


def add_parser(subparsers):
    lam = subparsers.add_parser(
        NAME, help="translate a lambda between training conventions",
        description="Print the lambda of --to that regularizes exactly as VALUE does in --from, and "
                    "(on stderr) what the conversion preserves (see README 'Which λ is which').")
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
    lam.add_argument("--optimizer", choices=list(OPTIMIZERS), default="sgd",
                     help="optimizer of the runs; decoupled schemes have no equivalent with adam "
                          "(default: sgd)")
    lam.add_argument("--loss", choices=list(LOSSES), default=None,
                     help="data error of the runs (default: the schemes' own loss where one has "
                          "only one, e.g. cross_entropy for sklearn_logistic_c; else mse)")
    lam.add_argument("--target-std", type=float, default=None,
                     help="standard deviation of the targets, 1/N formula "
                          "(default: none; needed by glmnet_lambda)")
    return lam


def run(args):
    context = dict(lr=args.lr, batch_size=args.batch_size, n_samples=args.n_samples,
                   n_outputs=args.n_outputs, momentum=args.momentum, optimizer=args.optimizer,
                   loss=args.loss, target_std=args.target_std)
    with user_inputs():
        value = convert_lambda(args.value, args.from_scheme, args.to_scheme, **context)
        equivalence = lambda_equivalence(args.from_scheme, args.to_scheme, **context)
    print(f"{value:.10g}")
    print(f"  {equivalence}", file=sys.stderr)
    for name in (args.from_scheme, args.to_scheme):
        print(f"  {name}: {SCHEMES[name].formula}  [{SCHEMES[name].source}]", file=sys.stderr)
    return 0
