"""``swarmreg demo``: the headline experiment on Iris, report in ./results."""

from .sweep import add_runner_options, run_experiment

NAME = "demo"
INTERRUPTED = "interrupted; finished cells are saved"


def add_parser(subparsers):
    demo = subparsers.add_parser(
        NAME, help="the headline experiment: what one λ means in five schemes",
        description="Train Iris 4-7-3 with PSO and four back-prop L2 rules over a grid of λ (about a "
                    "minute on 2 cores) and write a markdown report with its figure. Finished cells "
                    "are reused when run again.")
    add_runner_options(demo)
    return demo


def run(args):
    summary = run_experiment("lambda_meaning", "default", args)
    print(f"collapse score {summary['collapse_score']:.2f}: the spread of log10 Σw² across schemes is "
          f"{summary['spread_nominal']:.2f} decades at equal nominal λ and "
          f"{summary['spread_E']:.2f} at equal λ_E")
    return 0
