"""``coherent(array, i)``: read a word another block may have written, from L2, where the
code reads it (docs/design.md §13).

Numba's own ``cuda.ldcg`` emits ``ld.global.cg`` as inline assembly without side effects,
which LLVM treats as a pure function of the address: it hoists the load out of a loop that
waits for the word to change (a grid barrier that never ends: seen on an H200) and may move
it across a fence.  This one is the same instruction marked as having side effects and
clobbering memory, so it stays in place and in order with the fences around it.  On
Numba's CUDA simulator, where a block runs alone and every write is seen at once, it is a
plain read.
"""

from numba import config

if config.ENABLE_CUDASIM:
    from numba import cuda

    @cuda.jit(device=True)
    def coherent(array, i):
        return array[i]
else:
    from llvmlite import ir
    from numba import types
    from numba.cuda import cgutils
    from numba.cuda.api_util import normalize_indices
    from numba.cuda.extending import intrinsic

    #: PTX register constraints of the loaded value.
    _CONSTRAINTS = {types.float64: "d", types.float32: "f"}

    @intrinsic
    def coherent(typingctx, array, index):
        """``array[index]`` by ``ld.global.cg`` (L2, not this block's L1), never moved."""
        if not isinstance(array, types.Array) or array.dtype.bitwidth not in (32, 64):
            return None

        def codegen(context, builder, sig, args):
            array_type, index_type = sig.args
            index_type, indices = normalize_indices(context, builder, index_type, args[1],
                                                    array_type, array_type.dtype)
            struct = context.make_array(array_type)(context, builder, value=args[0])
            pointer = cgutils.get_item_pointer(context, builder, array_type, struct, indices,
                                               wraparound=False)
            value = context.get_value_type(array_type.dtype)
            bits = array_type.dtype.bitwidth
            constraint = _CONSTRAINTS.get(array_type.dtype, "l" if bits == 64 else "r")
            load = ir.InlineAsm(ir.FunctionType(value, [value.as_pointer()]),
                                f"ld.global.cg.b{bits} $0, [$1];",
                                f"={constraint},l,~{{memory}}", side_effect=True)
            return builder.call(load, [pointer])

        return array.dtype(array, index), codegen
