"""The lambda_at_scale experiment (see swarmreg/experiments/lambda_at_scale.py for what it shows).

Run:  python experiments/lambda_at_scale.py [--quick | --full] [--out DIR] [--workers N] [--scheduler ADDRESS]

Same as `swarmreg sweep lambda_at_scale ...`: writes CSV + PNG + markdown to DIR/lambda_at_scale (default
results/lambda_at_scale) and skips the cells a previous run finished.
"""

import sys

from swarmreg.cli import main

if __name__ == "__main__":
    sys.exit(main(["sweep", "lambda_at_scale", *sys.argv[1:]]))
