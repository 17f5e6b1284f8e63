"""The ridge_check experiment (see swarmreg/experiments/ridge_check.py for what it shows).

Run:  python experiments/ridge_check.py [--quick | --full] [--out DIR] [--workers N] [--scheduler ADDRESS]

Same as `swarmreg sweep ridge_check ...`: writes CSV + PNG + markdown to DIR/ridge_check (default
results/ridge_check) and skips the cells a previous run finished.
"""

import sys

from swarmreg.cli import main

if __name__ == "__main__":
    sys.exit(main(["sweep", "ridge_check", *sys.argv[1:]]))
