"""The adam_vs_adamw experiment (see swarmreg/experiments/adam_vs_adamw.py for what it shows).

Run:  python experiments/adam_vs_adamw.py [--quick | --full] [--out DIR] [--workers N] [--scheduler ADDRESS]

Same as `swarmreg sweep adam_vs_adamw ...`: writes CSV + PNG + markdown to DIR/adam_vs_adamw (default
results/adam_vs_adamw) and skips the cells a previous run finished.
"""

import sys

from swarmreg.cli import main

if __name__ == "__main__":
    sys.exit(main(["sweep", "adam_vs_adamw", *sys.argv[1:]]))
