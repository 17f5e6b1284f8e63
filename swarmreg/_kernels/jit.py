"""How every swarmreg kernel is compiled, and how one kernel calls another without
compiling it again.

Options.  Every kernel is compiled with ``JIT``: cached on disk (Numba's cache, next
to the source), NumPy's division semantics (no ZeroDivisionError check, so divisions
vectorize) and no GIL.  ``kernel``, ``piece``, ``parallel_kernel``, ``inline`` and
``llvm_inline`` are the only decorators the kernel modules use.

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

from numba import njit, typeof, types
from numba.core.types import WrapperAddressProtocol

#: Options of every swarmreg kernel.
JIT = dict(cache=True, error_model="numpy", nogil=True)

#: ``@kernel``: a serial kernel.
kernel = njit(**JIT)
#: ``@piece``: a kernel called through a ``Pointer`` many times per iteration (per block,
#: per particle, per worker).  Without reference counting (``_nrt=False``): each call
#: would otherwise increment and decrement the count of every array it receives, atomic
#: operations that cost more than a small piece's arithmetic (measured: 10 % of a 1-thread
#: PSO iteration at 20 particles).  It must not allocate (Numba refuses to compile one that
#: does).
piece = njit(_nrt=False, **JIT)
#: ``@parallel_kernel``: a kernel with ``prange`` loops.  Numba compiles a gufunc for each
#: loop as well (0.2 s for a trivial one, about 1 s with the PSO's arguments): keep them
#: few, and their loop bodies a call.
parallel_kernel = njit(parallel=True, **JIT)


def inline(func):
    """``@inline``: a helper whose Numba IR is inlined into each caller (not compiled alone)."""
    return njit(inline="always", **JIT)(func)


def llvm_inline(func):
    """``@llvm_inline``: a helper compiled once per signature, which LLVM inlines into each
    caller.  Without reference counting (``_nrt=False``): a per-item helper would
    otherwise increment and decrement the count of every array it takes at every call
    (atomic operations that LLVM cannot remove), so it must never allocate an array.

    Numba's own ``inline="always"`` instead copies the helper's IR into each caller,
    running its untyped passes again at every call site (nested helpers included), which
    is what made the back-prop kernels slow to compile.
    """
    return njit(forceinline=True, _nrt=False, **JIT)(func)


#: Array types of kernel signatures (C-contiguous float64 / int64).
F1 = types.Array(types.float64, 1, "C")
F2 = types.Array(types.float64, 2, "C")
F3 = types.Array(types.float64, 3, "C")
I1 = types.Array(types.int64, 1, "C")
I2 = types.Array(types.int64, 2, "C")


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


def pointer_for(dispatcher, *args):
    """``pointer(dispatcher, signature)`` for the signature Numba infers from ``args``,
    example values of the arguments (their types, not their values, matter)."""
    argtypes = tuple(typeof(a) for a in args)
    dispatcher.compile(argtypes)
    return pointer(dispatcher, dispatcher.overloads[argtypes].signature)


def function_type(signature):
    """The Numba type of a ``Pointer`` of ``signature`` (for the signatures of the
    kernels that take one)."""
    return types.FunctionType(signature)
