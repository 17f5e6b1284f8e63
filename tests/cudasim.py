"""A race in Numba's CUDA simulator, closed for the tests (``conftest.py`` calls ``patch``).

The simulator runs a block's threads as Python threads.  ``cuda.shared.array`` creates a
block's array the first time a thread reaches the line, with a check-then-set on a dict
and no lock (numba-cuda 0.30, ``simulator/kernelapi.py``, ``FakeCUDAShared.array``): two
threads that both find it missing each get an array of their own, the block's sums then
add only some threads' values, and a run differs from the same run (seen in CI under
load, and reproduced with ``sys.setswitchinterval(1e-6)`` and busy cores: 1 run in 40).
On a GPU a shared array is one per block by construction; only the simulator needs this.
"""

import sys
import threading
import traceback

import numpy as np


def patch():
    """Make the simulator's ``FakeCUDAShared.array`` create each array under a lock."""
    try:
        from numba.cuda.simulator import kernelapi
    except ImportError:  # no numba-cuda: the CUDA tests skip
        return

    shared = kernelapi.FakeCUDAShared
    if getattr(shared.array, "under_lock", False):
        return
    original, lock = shared.array, threading.Lock()

    def array(self, shape, dtype, alignment=None):
        if alignment is not None or shape == 0:  # the original's own cases, without a key
            return original(self, shape, dtype, alignment)
        if isinstance(dtype, kernelapi.types.Type):
            dtype = kernelapi.numpy_support.as_dtype(dtype)
        # The simulator's key: the caller's file and line (frame -2 of this function).
        caller = traceback.extract_stack(sys._getframe())[-2][0:2]
        with lock:
            res = self._allocations.get(caller)
            if res is None:
                res = self._allocations[caller] = np.empty(shape, dtype)
        return res

    array.under_lock = True
    shared.array = array
