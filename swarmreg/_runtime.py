"""Process-wide settings that swarmreg makes when it is imported, before Numba starts
its threads or loads its first compiled function.  Imported first by ``swarmreg``.

They are the only things ``import swarmreg`` changes outside swarmreg itself: an
environment variable, an import hook, a Numba method and a Numba event listener, items 1
to 4 below.  ``SWARMREG_PROCESS_SETTINGS=0`` in the environment turns all four off
(``ENABLED`` is then False); it is read once, when swarmreg is imported, and processes
that swarmreg starts inherit it.  Without them the results are the same: only speed on a
busy machine (1), the time of a first cached call (2), the notice (3) and what a stale
cache index does (4) change.

1. **How OpenMP's idle threads wait.**  Numba's default threading layer on Linux
   wheels is OpenMP, GNU libgomp (``numba.threading_layer()`` says ``"omp"``).  With
   no setting, libgomp's idle threads spin for about 300 000 rounds (a few ms) before
   they sleep: between the parallel regions of one PSO run (one region per
   iteration) and at each join.  On a machine whose cores are all in use, e.g. two
   swarmreg jobs on two cores, the spinning threads steal the cores that the work
   needs and every region waits for a descheduled thread: beside one other
   ``train_pso``, a ``train_pso`` ran 2.6× to 16× slower with the default threads
   than with one thread.  ``OMP_WAIT_POLICY=PASSIVE`` (sleep at once) removes that,
   but waking a sleeping thread at every region cost 13–65 % on a quiet machine
   (Iris 4-7-3, 100 and 20 particles).  A short spin, ``GOMP_SPINCOUNT=300``, is as
   fast as libgomp's default when the machine is quiet and within 1.2× of one
   thread beside another ``train_pso`` (``experiments/benchmarks/busy.py`` measures
   all of it in one run).  swarmreg therefore sets ``GOMP_SPINCOUNT=300`` when the
   user has set none of ``OMP_WAIT_POLICY``, ``GOMP_SPINCOUNT`` and ``KMP_BLOCKTIME``
   (the setting of Intel's and LLVM's OpenMP: whoever set one chose how threads
   wait).  The TBB and workqueue layers do not read it.  libgomp reads the
   variable once, when it is loaded, which Numba does at its first parallel call;
   so it has no effect when something else loaded libgomp first.  Side effect: the variable stays in ``os.environ``, so subprocesses
   started afterwards (the sweep runner's workers, other libgomp programs) inherit
   it.

2. **Loading cached kernels without importing scipy.linalg.**  The first time a
   process loads any compiled function from Numba's cache, Numba imports its
   registries, among them ``numba.np.arraymath``, whose import calls
   ``_check_blas()``, which imports ``scipy.linalg.cython_blas`` and with it all of
   ``scipy.linalg`` (a cached first ``train_pso`` took 0.28 s with it and 0.15 s
   without, medians of fresh processes on a loaded 2-core machine), only to learn
   whether ``np.correlate`` and ``np.convolve`` may use BLAS.  swarmreg's kernels
   call neither.  So when neither ``numba.np.arraymath`` nor
   ``scipy.linalg.cython_blas`` is loaded yet, swarmreg makes that one import fail
   (and only it: the finder checks that ``_check_blas`` asks).  Side effect: in
   this process, ``np.correlate``/``np.convolve`` in jitted code compiled before
   anything imported ``scipy.linalg.cython_blas`` use Numba's plain loop instead of
   BLAS's dot product (the same values up to rounding).  A later genuine import of
   ``scipy.linalg`` is untouched, and ``np.dot``/``@``/``np.linalg`` in jitted
   code import it themselves when they are compiled.

3. **Saying so while kernels compile.**  A first call after installing compiles
   for seconds (``startup.py`` measures it), and nothing else would say so.  A Numba
   event listener writes one line to stderr when the first swarmreg kernel starts
   compiling in this process.  Numba sends that event only when it compiles, never
   when it loads a kernel from its cache, so a cached run prints nothing.

4. **A stale cache index is a cache miss, not an error.**  Numba unpickles a cache
   index (``IndexDataCacheFile._load_index`` in ``numba/core/caching.py``) before it
   checks the index's source stamp, and the index names the classes of the kernel's
   signature: swarmreg's kernels take named tuples (``_kernels/pso.py``, ...).  Left
   behind by an older swarmreg (``pip`` does not remove ``__pycache__/*.nbi``), an
   index that names a class since renamed or removed would make the first call fail
   with ``AttributeError: Can't get attribute ...``.  swarmreg makes any error while
   reading an index count as an empty index, so the kernel is compiled and the index
   rewritten.  Side effect: this applies to every Numba cache in the process, and the
   error is logged (logger ``swarmreg``) instead of raised.
"""

import functools
import logging
import os
import sys

from numba.core import event

#: Seconds that a first call compiles for, at most, from an empty cache on 2 cores
#: (experiments/benchmarks/startup.py measures train_pso and train_backprop: about 4 s
#: with a second core free for ``_kernels.jit.compile_alongside``, 5–7 s without; update
#: when they change).  A later first use of another activation, loss or kind of
#: back-prop batch compiles only its own pieces, in well under that.
COMPILE_SECONDS = 7


def compile_message():
    """The line written to stderr when swarmreg's kernels start compiling."""
    return (f"swarmreg: compiling kernels for first use (up to about {COMPILE_SECONDS} s; "
            "cached for later runs)")


#: Settings of how OpenMP threads wait: swarmreg makes none when the user made one.
_WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")
#: libgomp's spin rounds before an idle thread sleeps (its default: 300 000).
SPIN_COUNT = 300


def set_wait_policy(environ=os.environ):
    """Set ``GOMP_SPINCOUNT=SPIN_COUNT`` unless the user chose a wait setting; True if set."""
    if any(name in environ for name in _WAIT_VARIABLES):
        return False
    environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
    return True


class _SkipBlasCheck:
    """A ``sys.meta_path`` finder that fails the import of ``scipy.linalg.cython_blas``
    (or of the parent package that the import would load first) made by Numba's
    ``numba.np.arraymath._check_blas``, and no other import.

    It removes itself once it has failed that import, or once ``numba.np.arraymath``
    has been loaded without it (then the check is over).
    """

    _CHAIN = ("scipy", "scipy.linalg", "scipy.linalg.cython_blas")

    def find_spec(self, name, path=None, target=None):
        if name not in self._CHAIN:
            return None
        frame = sys._getframe(1)
        while frame is not None:
            if (frame.f_code.co_name == "_check_blas"
                    and frame.f_globals.get("__name__") == "numba.np.arraymath"):
                self.remove()
                raise ImportError("swarmreg skips scipy.linalg in Numba's registry check")
            frame = frame.f_back
        if "numba.np.arraymath" in sys.modules:
            self.remove()
        return None  # a genuine import: the other finders do it

    def remove(self):
        if self in sys.meta_path:
            sys.meta_path.remove(self)


def skip_blas_check():
    """Install ``_SkipBlasCheck`` when neither module is loaded yet; return it, or None."""
    if "numba.np.arraymath" in sys.modules or "scipy.linalg.cython_blas" in sys.modules:
        return None
    finder = _SkipBlasCheck()
    sys.meta_path.insert(0, finder)
    return finder


class _CompileNotice(event.Listener):
    """Write ``compile_message`` to stderr once, when a swarmreg kernel starts compiling."""

    def __init__(self):
        self.said = False

    def on_start(self, ev):
        if self.said:
            return
        func = getattr(ev.data.get("dispatcher"), "py_func", None)
        module = getattr(func, "__module__", None) or ""
        if module.split(".")[0] == "swarmreg":
            self.said = True
            print(compile_message(), file=sys.stderr, flush=True)

    def on_end(self, ev):
        pass


def tolerate_stale_cache_indexes():
    """Make an unreadable Numba cache index count as empty (item 4 above); idempotent."""
    from numba.core import caching

    load = caching.IndexDataCacheFile._load_index
    if getattr(load, "swarmreg_tolerant", False):
        return

    @functools.wraps(load)
    def tolerant_load(self):
        try:
            return load(self)
        except Exception as exc:  # what unpickling a stale index raises varies
            logging.getLogger("swarmreg").info(
                "ignoring Numba cache index %s (%s: %s); recompiling",
                getattr(self, "_index_path", "?"), type(exc).__name__, exc)
            return {}

    tolerant_load.swarmreg_tolerant = True
    caching.IndexDataCacheFile._load_index = tolerant_load


#: Environment variable: "0" turns off every setting of this module.
SWITCH = "SWARMREG_PROCESS_SETTINGS"
#: Whether this process got the settings: the switch as it was at import.
ENABLED = os.environ.get(SWITCH, "1") != "0"
#: The compile-event listener (item 3), or None when the settings are off.
compile_notice = None

if ENABLED:
    set_wait_policy()
    skip_blas_check()
    tolerate_stale_cache_indexes()
    compile_notice = _CompileNotice()
    event.register("numba:compile", compile_notice)
