"""``swarmreg sweep EXPERIMENT``: run an experiment's grid (resumable; local pool or Dask).

The options and the run of an experiment are ``swarmreg demo``'s too.
"""

import argparse
import contextlib
import importlib.util
import sys
import traceback

from .. import experiments
from ._common import UsageError, positive_int, positive_seconds, user_inputs

NAME = "sweep"
INTERRUPTED = "interrupted; finished cells are saved"


def _progress_default():
    return importlib.util.find_spec("tqdm") is not None


def add_runner_options(parser):
    """The options of a command that runs an experiment: where, on what, how shown."""
    parser.add_argument("--out", default="results", help="output folder (default: ./results)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run the cells on Dask: a scheduler address such as tcp://host:8786, "
                             "or 'local' for a LocalCluster (default: a local process pool)")
    parser.add_argument("--workers", type=positive_int, default=None, metavar="N",
                        help="worker processes, at least 1; 1 runs in this process "
                             "(default: one per core)")
    parser.add_argument("--connect-timeout", type=positive_seconds, default=10.0, metavar="SECONDS",
                        help="how long to wait for the Dask scheduler at --scheduler ADDRESS "
                             "(default: 10)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction,
                        default=_progress_default(),
                        help="progress bar (default: on when tqdm is installed)")


def _raised_in_dask_client(exc):
    """True when ``exc`` was raised while a Dask ``Client`` was being made (it connects there)."""
    client = getattr(sys.modules.get("distributed"), "Client", None)
    if client is None:
        return False
    code = client.__init__.__code__
    return any(frame.f_code is code for frame, _ in traceback.walk_tb(exc.__traceback__))


@contextlib.contextmanager
def _scheduler_address(address):
    """Turn Dask's refusal of the user's ``--scheduler ADDRESS`` into ``UsageError``."""
    try:
        yield
    except (ValueError, TypeError, ImportError) as exc:
        if address in (None, "local") or not _raised_in_dask_client(exc):
            raise
        raise UsageError(f"--scheduler {address}: {exc}") from exc


def run_experiment(name, mode, args):
    """Run experiment ``name`` as the runner options in ``args`` say; print where its report is."""
    with user_inputs(out=args.out), _scheduler_address(args.scheduler):
        summary = experiments.run_experiment(name, mode=mode, out=args.out, scheduler=args.scheduler,
                                             workers=args.workers, progress=args.progress,
                                             connect_timeout=args.connect_timeout)
    print(f"report: {summary['paths']['md']}")
    print(f"figure: {summary['paths']['png']}")
    print(f"table:  {summary['paths']['csv']}")
    return summary


def add_parser(subparsers):
    names = experiments.EXPERIMENTS
    sweep = subparsers.add_parser(NAME, help="run one experiment's grid and write its report",
                                  description="Run an experiment (CSV + PNG + markdown in "
                                              "OUT/EXPERIMENT). Interrupted or repeated runs skip "
                                              "the cells already done.")
    sweep.add_argument("experiment", choices=list(names), metavar="EXPERIMENT",
                       help=", ".join(names) + " (required; no default)")
    size = sweep.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="a small grid, for tests (seconds) (default: off, the default grid: minutes)")
    size.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="the published figures (many seeds; longer) (default: off)")
    sweep.set_defaults(mode="default")
    add_runner_options(sweep)
    return sweep


def run(args):
    run_experiment(args.experiment, args.mode, args)
    return 0
