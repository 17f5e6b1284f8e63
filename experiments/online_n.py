"""The online_n experiment (see swarmreg/experiments/online_n.py for what it shows).

Run:  python experiments/online_n.py [--quick | --full] [--out DIR] [--workers N] [--scheduler ADDRESS]

Same as `swarmreg sweep online_n ...`: writes CSV + PNG + markdown to DIR/online_n (default
results/online_n) and skips the cells a previous run finished.
"""

import sys

from swarmreg.cli import main

if __name__ == "__main__":
    sys.exit(main(["sweep", "online_n", *sys.argv[1:]]))
