"""The bias_penalty experiment (see swarmreg/experiments/bias_penalty.py for what it shows).

Run:  python experiments/bias_penalty.py [--quick | --full] [--out DIR] [--workers N] [--scheduler ADDRESS]

Same as `swarmreg sweep bias_penalty ...`: writes CSV + PNG + markdown to DIR/bias_penalty (default
results/bias_penalty) and skips the cells a previous run finished.
"""

import sys

from swarmreg.cli import main

if __name__ == "__main__":
    sys.exit(main(["sweep", "bias_penalty", *sys.argv[1:]]))
