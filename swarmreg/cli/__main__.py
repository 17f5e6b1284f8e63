"""``python -m swarmreg.cli``: the same as ``python -m swarmreg``."""

import sys

from . import main

sys.exit(main())
