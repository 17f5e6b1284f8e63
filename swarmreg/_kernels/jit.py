"""How every swarmreg kernel is compiled, and how one kernel calls another without
compiling it again.

Options.  Every kernel is compiled with ``JIT``: cached on disk (Numba's cache, next
to the source), NumPy's division semantics (no ZeroDivisionError check, so divisions
vectorize) and no GIL.  ``kernel``, ``piece``, ``python_piece``, ``parallel_kernel``,
``inline`` and ``llvm_inline`` are the only decorators the kernel modules use.

Function pointers.  When one jitted function calls another directly, Numba links the
callee's optimized LLVM module into the caller's and optimizes the combined module
again (``CPUCodeLibrary.finalize`` in ``numba/core/codegen.py``), so a function deep
in the call tree is optimized once per level above it: most of a cold first call's
compile time went there (docs/design.md §10).  A kernel that takes the callee as a
first-class function argument (Numba's ``types.FunctionType``) calls it through its
address instead: the callee is compiled once, for one signature, and is never linked
into its callers.  ``pointer`` makes such an argument.  It costs one indirect call,
so it is used at the boundaries between large pieces (the error pass, a layer's
activation, the loss of a block), never for a per-element helper.
"""

import hashlib
import os
from pathlib import Path

import numba.experimental.function_type  # noqa: F401  (typeof and unboxing of a Pointer)
from numba import njit, typeof, types
from numba.core.caching import FunctionCache, IndexDataCacheFile
from numba.core.types import WrapperAddressProtocol



#: The folders whose modules define swarmreg's kernels (this one and the swarm algorithms').
KERNEL_FOLDERS = (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent / "algorithms")


def _kernel_sources_digest():
    """SHA-256 of every kernel module's source, in a fixed order."""
    digest = hashlib.sha256()
    for folder in KERNEL_FOLDERS:
        for path in sorted(folder.glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class KernelCache(FunctionCache):
    """Numba's on-disk cache of one kernel, stale as soon as any kernel module changes.

    Numba stamps a cached function with its own source file only, but a kernel holds
    the compiled code of every function it calls directly (``@inline`` helpers, other
    modules' kernels): edited there, a callee would keep running its old code from the
    cache of its callers.  Stamped with the digest of all of ``KERNEL_FOLDERS`` too, a
    cache written before any edit is a cache miss (compiled again and rewritten).
    """

    _sources = None

    def __init__(self, py_func):
        super().__init__(py_func)
        if KernelCache._sources is None:
            KernelCache._sources = _kernel_sources_digest()
        self._cache_file = IndexDataCacheFile(
            cache_path=self._cache_path, filename_base=self._impl.filename_base,
            source_stamp=(self._impl.locator.get_source_stamp(), KernelCache._sources))


def _jit(**options):
    """``numba.njit(**options, **JIT)`` whose dispatchers cache in a ``KernelCache``."""
    def decorate(func):
        dispatcher = njit(**options, **JIT)(func)
        dispatcher._cache = KernelCache(dispatcher.py_func)
        return dispatcher
    return decorate


#: Options of every swarmreg kernel.
JIT = dict(cache=True, error_model="numpy", nogil=True)

#: ``@kernel``: a serial kernel.
kernel = _jit()
#: ``@piece``: a kernel called only through a ``Pointer``, many times per iteration (per
#: block, per particle, per worker).  Without reference counting (``_nrt=False``): each call
#: would otherwise increment and decrement the count of every array it receives, atomic
#: operations that cost more than a small piece's arithmetic (measured: 10 % of a 1-thread
#: PSO iteration at 20 particles).  It must not allocate (Numba refuses to compile one that
#: does).  Without the CPython wrapper (``no_cpython_wrapper``): the wrapper's unboxing of
#: named-tuple arguments took 0.3–0.4 s to compile for ``take_tasks`` and ``online_epoch``.
#: Python must therefore never call a piece: with no wrapper to convert the arguments, the
#: process would crash (call it from a kernel, or use ``python_piece``).
piece = _jit(_nrt=False, no_cpython_wrapper=True)
#: ``@python_piece``: a ``piece`` that Python calls too (``error.data_error``).
python_piece = _jit(_nrt=False)
#: ``@parallel_kernel``: a kernel with ``prange`` loops.  Numba compiles a gufunc for each
#: loop as well (0.2 s for a trivial one, about 1 s with the PSO's arguments): keep them
#: few, and their loop bodies a call.
parallel_kernel = _jit(parallel=True)


def inline(func):
    """``@inline``: a helper whose Numba IR is inlined into each caller (not compiled alone)."""
    return _jit(inline="always")(func)


def llvm_inline(func):
    """``@llvm_inline``: a helper compiled once per signature, which LLVM inlines into each
    caller.  Without reference counting (``_nrt=False``): a per-item helper would
    otherwise increment and decrement the count of every array it takes at every call
    (atomic operations that LLVM cannot remove), so it must never allocate an array.

    Numba's own ``inline="always"`` instead copies the helper's IR into each caller,
    running its untyped passes again at every call site (nested helpers included), which
    is what made the back-prop kernels slow to compile.
    """
    # No C wrapper (``no_cfunc_wrapper``): no pointer to a helper is ever taken, and the
    # wrapper costs compile time.  The CPython wrapper stays, so that tests can call it.
    return _jit(forceinline=True, _nrt=False, no_cfunc_wrapper=True)(func)


def dispatch(functions, otherwise):
    """A helper ``call(code, *args)`` that returns ``functions[code](*args)``, and
    ``otherwise(*args)`` for a code that is no position of ``functions``.

    For a registry's per-item functions (``activations.activate``): the chain of
    ``if code == k`` tests is compiled into each caller, with a direct call of each
    function that LLVM inlines (the functions should be ``llvm_inline``), as an
    ``if``/``elif`` written by hand would be; adding an entry to the registry adds a link.
    A pointer call (``piece``) would pass every array's descriptor at each call, and
    Numba's ``literal_unroll`` over a tuple of functions compiles a loop with a switch:
    both cost 10–25 % of an online back-prop epoch on Iris 4-7-3.  The links are plain
    ``njit`` closures, never cached themselves (they exist inside their callers only).
    """
    call = otherwise_call = _otherwise(otherwise)
    for k in range(len(functions) - 1, -1, -1):
        call = _link(k, functions[k], call)
    return call if functions else otherwise_call


def _otherwise(otherwise):
    @njit(forceinline=True, _nrt=False, no_cfunc_wrapper=True, error_model="numpy")
    def call(code, *args):
        return otherwise(*args)
    return call


def _link(k, function, rest):
    @njit(forceinline=True, _nrt=False, no_cfunc_wrapper=True, error_model="numpy")
    def call(code, *args):
        if code == k:
            return function(*args)
        return rest(code, *args)
    return call


#: Array types of kernel signatures (C-contiguous float64 / int64).
F1 = types.Array(types.float64, 1, "C")
F2 = types.Array(types.float64, 2, "C")
F3 = types.Array(types.float64, 3, "C")
I1 = types.Array(types.int64, 1, "C")
I2 = types.Array(types.int64, 2, "C")
#: The same for float32 kernels (``dtype="float32"``); ``I2_32`` is a float32 buffer's bits.
F1_32 = types.Array(types.float32, 1, "C")
F2_32 = types.Array(types.float32, 2, "C")
F3_32 = types.Array(types.float32, 3, "C")
I2_32 = types.Array(types.int32, 2, "C")


class Pointer(WrapperAddressProtocol):
    """A compiled kernel as a first-class function value of one signature.

    Numba types it as ``types.FunctionType(signature)``; a kernel that receives it
    calls the compiled code at ``address`` directly.  ``name`` is the kernel's name.
    """

    def __init__(self, name, address, signature):
        self.name = name
        self._address = address
        self._signature = signature

    def __wrapper_address__(self):
        return self._address

    def signature(self):
        return self._signature

    def __repr__(self):
        return f"Pointer({self.name}: {self._signature})"


_POINTERS = {}


def pointer(dispatcher, signature):
    """``dispatcher`` compiled (or loaded from the cache) for ``signature``, as a ``Pointer``.

    The address is that of the C-callable wrapper Numba makes for every compiled
    function, which is what Numba itself calls when a jitted function is passed as a
    first-class function (``_get_wrapper_address`` in
    ``numba/experimental/function_type.py``).  One per process and signature.
    """
    key = (dispatcher, signature)
    ptr = _POINTERS.get(key)
    if ptr is None:
        dispatcher.compile(signature)
        cres = dispatcher.get_compile_result(signature)
        address = cres.library.get_pointer_to_function(cres.fndesc.llvm_cfunc_wrapper_name)
        ptr = _POINTERS[key] = Pointer(dispatcher.py_func.__name__, address, signature)
    return ptr


def pointer_for_types(dispatcher, argtypes):
    """``pointer(dispatcher, signature)`` for the signature Numba infers from the tuple of
    argument types ``argtypes`` (compiled, or loaded from the cache, under that tuple)."""
    dispatcher.compile(argtypes)
    return pointer(dispatcher, dispatcher.overloads[argtypes].signature)


def pointer_for(dispatcher, *args):
    """``pointer_for_types`` for the types of ``args``, example values of the arguments
    (their types, not their values, matter)."""
    return pointer_for_types(dispatcher, tuple(typeof(a) for a in args))


def unlinked(signature, name="unlinked"):
    """A ``Pointer`` of ``signature`` whose address is 0: it gives a kernel's argument its
    type, so that the kernel can be compiled before the function it will call is; it
    must never be passed to a kernel that runs."""
    return Pointer(name, 0, signature)


def is_ready(dispatcher, signature):
    """Whether ``dispatcher`` has ``signature`` compiled in this process or in Numba's
    cache.  To look in the cache it loads the kernel and drops it (milliseconds): the
    first use loads it again.  Where the kernel's cache index does not exist it answers
    without loading."""
    args = signature.args if hasattr(signature, "args") else tuple(signature)
    if args in dispatcher.overloads:
        return True
    # No index file, nothing cached: say so without loading, whose first use in a process
    # loads Numba's registries (0.1 s, which delayed the second process of a cold call).
    index = getattr(getattr(dispatcher._cache, "_cache_file", None), "_index_path", None)
    if index is not None and not os.path.exists(index):
        return False
    return dispatcher._cache.load_overload(signature, dispatcher.targetctx) is not None


#: Environment variable: "0" stops ``compile_alongside`` from starting a process.
ALONGSIDE_VARIABLE = "SWARMREG_COMPILE_ALONGSIDE"
#: Seconds ``compile_alongside`` waits for its process (tens of times what it takes).
WORKER_TIMEOUT = 300


class compile_alongside:  # noqa: N801 (used as a context manager, like contextlib's)
    """Compile ``jobs`` in a second Python process while this one compiles others.

    ``with compile_alongside([(dispatcher, signature), ...]):`` starts
    ``python -m swarmreg._kernels.compile_worker``, which compiles each job into Numba's
    on-disk cache, and waits for it at the end of the block.  The process then loads
    them from the cache (``dispatcher.compile(signature)``, or a first call) in
    milliseconds.  Numba compiles in one thread at a time, so on a machine with two
    free cores the two halves of a cold first call take about the time of the longer
    one (``experiments/benchmarks/startup.py``).  Give each signature in the form this
    process will compile it with, a ``Signature`` or a tuple of argument types: Numba's
    cache keys the two apart.

    Nothing depends on the second process: when it is not started (every job already
    compiled or cached, fewer than two cores, ``SWARMREG_COMPILE_ALONGSIDE=0``) or
    fails, the jobs compile here when first used, as they would without it.
    ``started`` says whether it was.
    """

    def __init__(self, jobs):
        self.jobs = [(d, s) for d, s in jobs if not is_ready(d, s)]
        self.process = None

    @property
    def started(self):
        return self.process is not None

    def _allowed(self):
        if not self.jobs or os.environ.get(ALONGSIDE_VARIABLE, "1") == "0":
            return False
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        return (cores or 1) >= 2

    def __enter__(self):
        if self._allowed():
            import pickle
            import subprocess
            import sys

            payload = pickle.dumps([(d.py_func.__module__, d.py_func.__qualname__, s)
                                    for d, s in self.jobs])
            # The worker must import this very swarmreg, also from a source tree that is only
            # on this process's sys.path; a folder already on its path (site-packages) is not
            # put in front of the standard library.
            root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            start = (f"import sys; root = {root!r}\n"
                     "if root not in sys.path: sys.path.insert(0, root)\n"
                     "from swarmreg._kernels.compile_worker import main; sys.exit(main())")
            try:
                self.process = subprocess.Popen(
                    [sys.executable, "-c", start], stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                self.process.stdin.write(payload)
                self.process.stdin.close()
            except BaseException as exc:  # no usable interpreter (embedded Python), a Ctrl-C
                self._stop()
                if not isinstance(exc, (OSError, ValueError)):
                    raise
        return self

    def _stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def __exit__(self, exc_type, exc, tb):
        import subprocess

        if self.process is None:
            return False
        done = False
        try:
            if exc_type is None:
                self.process.wait(timeout=WORKER_TIMEOUT)
                done = True
        except subprocess.TimeoutExpired:
            pass  # what it has not compiled compiles here
        finally:  # abandoned (an error, a Ctrl-C, a timeout): do not leave it behind
            if not done:
                self._stop()
        return False
