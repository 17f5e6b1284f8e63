"""Where a cold first call spends its compile time, function by function.

    python experiments/benchmarks/compile_profile.py [pso|backprop]

Runs one small ``train_pso`` (or ``train_backprop``) call on Iris with an empty,
temporary Numba cache and prints every function Numba compiled for it, nested by
who compiled whom, with its wall time (a caller's time includes its callees'),
then the LLVM share of the top kernel (``llvm_lock`` from Numba's metadata).
"""

import os
import sys
import tempfile
import time

_CACHE = tempfile.TemporaryDirectory(prefix="swarmreg-compile-")  # removed at exit
os.environ["NUMBA_CACHE_DIR"] = _CACHE.name
# Everything in this process, so that every function shows (a cold first call otherwise
# compiles half of its kernels in a second process: swarmreg._kernels.jit.compile_alongside).
os.environ["SWARMREG_COMPILE_ALONGSIDE"] = "0"

from numba.core import event  # noqa: E402  (after NUMBA_CACHE_DIR is set)


class CompileTimes(event.Listener):
    """Record ``numba:compile`` events as (seconds, depth, function, signature)."""

    def __init__(self):
        self.open, self.done = [], []

    def on_start(self, ev):
        self.open.append((ev.data.get("dispatcher"), ev.data.get("args"), time.perf_counter()))

    def on_end(self, ev):
        dispatcher, args, start = self.open.pop()
        name = getattr(dispatcher, "__qualname__", str(dispatcher))
        self.done.append((time.perf_counter() - start, len(self.open), name, str(args)))


def main(which):
    import swarmreg as sr
    from swarmreg._kernels import backprop as _backprop_kernel, pso as _pso_kernel

    X, y = sr.datasets.load_iris()
    net = sr.Network([4, 7, 3])
    times = CompileTimes()
    event.register("numba:compile", times)
    start = time.perf_counter()
    if which == "pso":
        sr.train_pso(net, X, y, lam=1e-3, max_iter=2, seed=0)
        top = _pso_kernel.pso_iterate
    else:
        sr.train_backprop(net, X, y, lam=1e-3, epochs=2, seed=0)
        top = _backprop_kernel.backprop_epochs
    print(f"first {which} call: {time.perf_counter() - start:.1f} s (compiles everything it needs)")
    for seconds, depth, name, args in times.done:
        if seconds >= 0.1:
            print(f"{seconds:7.2f} s {'  ' * depth}{name} {args[:90]}")
    for timers in (md.get("timers", {}) for md in top.get_metadata().values()):
        print(f"{top.__name__}: {timers.get('llvm_lock', 0):.1f} s in LLVM of "
              f"{timers.get('compiler_lock', 0):.1f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "pso")
