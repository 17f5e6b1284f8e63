"""NumPy's PCG64 stream, stepped inside jitted code from a plain array of its state.

``pso_iterate`` draws its random numbers from one seeded ``np.random.Generator``
(DESIGN.md §4) while other threads evaluate particles.  A Generator object cannot
enter a Numba parallel region without making the kernel uncacheable and slow, and
each of its draws is an indirect call; so the kernel gets the generator's state
as four uint64 words and steps the same PCG64 (XSL-RR 128/64) itself, giving the
same doubles as ``Generator.random()``, bit for bit (``tests/test_random.py``).

PCG64 (O'Neill 2014; NumPy's ``pcg64.h``): ``s ← s·M + inc (mod 2^128)``, output
``rotr64(hi(s) ⊕ lo(s), s >> 122)``; a double is ``(u >> 11)·2^-53``.
"""

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._fastmath import _JIT

_MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645  # PCG_DEFAULT_MULTIPLIER_128
_MASK64 = (1 << 64) - 1


def state_words(rng):
    """The PCG64 state of ``rng`` as ``uint64[4]``: state high, state low, inc high, inc low.

    Raises
    ------
    TypeError
        If ``rng`` is not driven by ``np.random.PCG64`` (``np.random.default_rng``'s).
    """
    st = rng.bit_generator.state
    if st["bit_generator"] != "PCG64":
        raise TypeError(f"need a PCG64 generator, got {st['bit_generator']}")
    s, inc = st["state"]["state"], st["state"]["inc"]
    return np.array([s >> 64, s & _MASK64, inc >> 64, inc & _MASK64], dtype=np.uint64)


@intrinsic
def _next_uint64(typingctx, words):
    """Advance the PCG64 state in ``words`` (uint64[4], C-contiguous) and return its output."""
    if not (isinstance(words, types.Array) and words.dtype == types.uint64 and words.ndim == 1):
        return None

    def codegen(context, builder, signature, args):
        (array_type,) = signature.args
        array = context.make_array(array_type)(context, builder, args[0])
        i64, i128 = ir.IntType(64), ir.IntType(128)
        ptrs = [cgutils.get_item_pointer(context, builder, array_type, array,
                                         [context.get_constant(types.intp, k)])
                for k in range(4)]
        hi, lo, inc_hi, inc_lo = (builder.zext(builder.load(p), i128) for p in ptrs)
        sixty_four = ir.Constant(i128, 64)
        state = builder.or_(builder.shl(hi, sixty_four), lo)
        inc = builder.or_(builder.shl(inc_hi, sixty_four), inc_lo)
        state = builder.add(builder.mul(state, ir.Constant(i128, _MULTIPLIER)), inc)
        new_hi = builder.trunc(builder.lshr(state, sixty_four), i64)
        new_lo = builder.trunc(state, i64)
        builder.store(new_hi, ptrs[0])
        builder.store(new_lo, ptrs[1])
        x = builder.xor(new_hi, new_lo)
        rot = builder.trunc(builder.lshr(state, ir.Constant(i128, 122)), i64)
        back = builder.and_(builder.neg(rot), ir.Constant(i64, 63))
        return builder.or_(builder.lshr(x, rot), builder.shl(x, back))

    return types.uint64(words), codegen


@njit(**_JIT)
def next_double(words):
    """The next double in [0, 1) of the stream, as ``Generator.random()`` would draw it."""
    return np.float64(_next_uint64(words) >> np.uint64(11)) * (1.0 / 9007199254740992.0)
