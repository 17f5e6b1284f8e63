"""The second process of ``jit.compile_alongside``: compile kernels into Numba's cache.

``jit.compile_alongside`` starts it (``main``, also ``python -m
swarmreg._kernels.compile_worker``) and writes a pickled list of ``(module,
qualname, signature)`` to its standard input.  Each kernel is compiled (or found in
the cache) for its signature; Numba saves what it compiles to its on-disk cache,
where the process that started this one loads it.  Exits 0, or 1 after the first
kernel that failed to compile (that process then compiles it itself).
"""

import importlib
import pickle
import sys


def main():
    jobs = pickle.load(sys.stdin.buffer)
    from .. import _runtime  # noqa: F401  (the process settings, as in the parent)

    for module, qualname, signature in jobs:
        dispatcher = getattr(importlib.import_module(module), qualname)
        dispatcher.compile(signature)
    return 0


if __name__ == "__main__":
    sys.exit(main())
