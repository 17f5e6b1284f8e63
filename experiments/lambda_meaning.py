"""The lambda_meaning experiment (see swarmreg/experiments/lambda_meaning.py for what it shows).

Run:  python experiments/lambda_meaning.py [--quick | --full] [--out DIR] [--workers N] [--scheduler ADDRESS]

Same as `swarmreg sweep lambda_meaning ...`: writes CSV + PNG + markdown to DIR/lambda_meaning (default
results/lambda_meaning) and skips the cells a previous run finished.
"""

import sys

from swarmreg.cli import main

if __name__ == "__main__":
    sys.exit(main(["sweep", "lambda_meaning", *sys.argv[1:]]))
