"""The overfitting experiment (see swarmreg/experiments/overfitting.py for what it shows).

Run:  python experiments/overfitting.py [--quick | --full] [--out DIR] [--workers N] [--scheduler ADDRESS]

Same as `swarmreg sweep overfitting ...`: writes CSV + PNG + markdown to DIR/overfitting (default
results/overfitting) and skips the cells a previous run finished.
"""

import sys

from swarmreg.cli import main

if __name__ == "__main__":
    sys.exit(main(["sweep", "overfitting", *sys.argv[1:]]))
