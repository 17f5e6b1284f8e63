"""The ``swarmreg`` command.

    swarmreg demo                      the headline experiment on Iris, report in ./results
    swarmreg train --trainer pso ...   train one network, print what it found, --save it
    swarmreg predict MODEL --data CSV  labels (and class probabilities) of a saved model
    swarmreg sweep EXPERIMENT          run an experiment's grid (resumable; local pool or Dask)
    swarmreg lambda 0.01 --from decay --to objective --lr 0.01
    swarmreg --version

Each command is a module of this package (``demo``, ``train``, ``predict``, ``sweep``,
``lambda_``) with its ``NAME``, ``add_parser(subparsers)`` and ``run(args)``; ``_common``
holds what they share.  Choices come from the project's tables (``backprop.RULES``,
``network.HIDDEN_ACTIVATIONS``, ...), so a new entry there is a new choice here.

Which errors are the user's
---------------------------
A mistake of the user's ends in ONE line on stderr, ``swarmreg COMMAND: error: ...``,
and exit code 2, never a page of usage or a traceback.  A mistake of the user's is

* an argument argparse refuses (unknown option, bad value, an option that does not
  apply to the chosen trainer or data), or one this package refuses (``UsageError``);
* an ``OSError`` on a file the user named (missing, unreadable, not writable);
* a write the disk refuses under the folder or file the user named for the output
  (``--out``, ``--save``): a full disk, a quota, a read-only file system, no permission —
  including the ``OSError`` of a failed ``write`` or ``fsync``, which names no file;
* a ``ValueError`` or ``TypeError`` raised by swarmreg's own checks (the innermost
  frame of its traceback is in a swarmreg module outside this package) while the
  command takes in the user's inputs: reading the data file or the model file,
  building and fitting the model (the trainers check their arguments and data before
  training starts), converting the user's λ, starting a sweep.  An ``ImportError``
  raised there for a missing optional dependency says what to install and counts too;
* a ``ValueError``, ``TypeError`` or ``ImportError`` raised by Dask's ``Client`` while it
  connects to the ``--scheduler ADDRESS`` the user gave (a malformed address, an unknown
  protocol, TLS without its settings).

Anything else is an internal error — a bug, not the user's doing — and is not
disguised: a ``ValueError`` raised inside NumPy, SciPy or Numba, any other exception
type, or any exception after the inputs were taken in (predicting on data already
checked, printing the report, serializing a fitted model) propagates with its
traceback (exit code 1 from ``python -m swarmreg``).
Failed sweep cells (``SweepError``) end in one line and exit code 1: their
tracebacks were logged by the sweep.
"""

import sys

from .._version import __version__
from ..sweep import SweepError
from . import demo, lambda_, predict, sweep, train
from ._common import Parser, UsageError

__all__ = ["main"]

#: The commands, in the order ``swarmreg --help`` lists them.
COMMANDS = {command.NAME: command for command in (demo, train, predict, sweep, lambda_)}


def build_parser():
    parser = Parser(
        prog="swarmreg",
        description="Train neural networks with particle swarm optimization on an L2-regularized "
                    "error E = MSE + lam_E * sum(w^2), compare with back-prop, and translate lambda "
                    "between training conventions.",
        epilog="Start with 'swarmreg demo'. 'swarmreg COMMAND --help' explains each command.",
    )
    parser.add_argument("--version", action="version", version=f"swarmreg {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parser.subparsers = {name: command.add_parser(sub) for name, command in COMMANDS.items()}
    return parser


def main(argv=None):
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # argparse would report them as the top-level parser's, without the command
        parser.subparsers[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    command = COMMANDS[args.command]
    if hasattr(command, "check"):
        command.check(args, parser.subparsers[args.command])
    try:
        return command.run(args)
    except UsageError as exc:
        print(f"swarmreg {args.command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except SweepError as exc:  # cells failed: not a usage mistake, the tracebacks were logged
        print(f"swarmreg {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"swarmreg {args.command}: {command.INTERRUPTED}", file=sys.stderr)
        return 130
