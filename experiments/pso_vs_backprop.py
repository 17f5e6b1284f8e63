"""The pso_vs_backprop experiment (see swarmreg/experiments/pso_vs_backprop.py for what it shows).

Run:  python experiments/pso_vs_backprop.py [--quick | --full] [--out DIR] [--workers N] [--scheduler ADDRESS]

Same as `swarmreg sweep pso_vs_backprop ...`: writes CSV + PNG + markdown to DIR/pso_vs_backprop (default
results/pso_vs_backprop) and skips the cells a previous run finished.
"""

import sys

from swarmreg.cli import main

if __name__ == "__main__":
    sys.exit(main(["sweep", "pso_vs_backprop", *sys.argv[1:]]))
