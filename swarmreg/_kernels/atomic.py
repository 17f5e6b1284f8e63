"""An atomic counter for jitted code, so that threads can share out tasks dynamically.

Numba's ``prange`` splits its range between threads up front, so one slow task (the
serial random draws of a PSO iteration) holds up its thread's whole share.  With a
shared counter each thread instead takes the next task as soon as it is free.
Which thread runs which task then varies from run to run; the kernels keep their
results independent of that (each task reads and writes only its own data).
"""

from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def fetch_add(typingctx, counter, index, value):
    """``old = counter[index]; counter[index] += value`` as one atomic step; returns ``old``.

    ``counter`` is a C-contiguous int64 array.  Sequentially consistent, so work
    published before a task is taken is visible to the thread that takes it.

    Caveat: Numba's parfor pass does not know that this call writes ``counter``, and
    may move a plain read of ``counter`` that directly follows a ``prange`` loop in
    the same block to before it.  Reset the counter before the loop; do not read it
    right after it.
    """
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64
            and counter.ndim == 1 and isinstance(index, types.Integer)
            and isinstance(value, types.Integer)):
        return None
    sig = types.int64(counter, index, value)

    def codegen(context, builder, signature, args):
        array_type, index_type, value_type = signature.args
        array, idx, val = args
        array = context.make_array(array_type)(context, builder, array)
        idx = context.cast(builder, idx, index_type, types.intp)
        val = context.cast(builder, val, value_type, types.int64)
        ptr = cgutils.get_item_pointer(context, builder, array_type, array, [idx])
        return builder.atomic_rmw("add", ptr, val, "seq_cst")

    return sig, codegen
