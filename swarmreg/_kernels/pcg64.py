"""NumPy's PCG64 stream, stepped inside jitted code from a plain array of its state.

The trainers draw their random numbers from one seeded ``np.random.Generator``
(docs/design.md §7), inside their jitted loops.  A Generator object cannot enter a
Numba parallel region without making the kernel uncacheable and slow, each of its
draws is an indirect call, and Numba's ``Generator.shuffle`` alone takes ~8 s to
compile; so the kernels get the generator's state as six uint64 words and step
the same PCG64 (XSL-RR 128/64) themselves, giving the same numbers as the
Generator, bit for bit (``tests/test_pcg64.py``): ``next_double`` as
``Generator.random()``, ``shuffle`` as ``Generator.shuffle`` (and so
``permutation``) of a 1-D array.

PCG64 (O'Neill 2014; NumPy's ``pcg64.h``): ``s ← s·M + inc (mod 2^128)``, output
``rotr64(hi(s) ⊕ lo(s), s >> 122)``; a double is ``(u >> 11)·2^-53``; 32-bit draws
use the low half of an output and keep the high half for the next one.
"""

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .jit import kernel

_MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645  # PCG_DEFAULT_MULTIPLIER_128
_MASK64 = (1 << 64) - 1


def state_words(rng):
    """The PCG64 state of ``rng`` as ``uint64[6]``: state high, state low, inc high,
    inc low, whether a 32-bit half is buffered (0/1), and that half.

    Raises
    ------
    TypeError
        If ``rng`` is not driven by ``np.random.PCG64`` (``np.random.default_rng``'s).
    """
    st = rng.bit_generator.state
    if st["bit_generator"] != "PCG64":
        raise TypeError(f"need a PCG64 generator, got {st['bit_generator']}")
    s, inc = st["state"]["state"], st["state"]["inc"]
    return np.array([s >> 64, s & _MASK64, inc >> 64, inc & _MASK64, st["has_uint32"],
                     st["uinteger"]], dtype=np.uint64)


@intrinsic
def _next_uint64(typingctx, words):
    """Advance the PCG64 state in ``words[:4]`` (C-contiguous uint64) and return its output."""
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


@kernel
def next_double(words):
    """The next double in [0, 1) of the stream, as ``Generator.random()`` would draw it."""
    return np.float64(_next_uint64(words) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@kernel
def _next_uint32(words):
    """The next 32-bit draw: the buffered high half of the last output, else the low
    half of a new one (NumPy's ``pcg64_next32``)."""
    if words[4]:
        words[4] = 0
        return words[5]
    value = _next_uint64(words)
    words[4] = 1
    words[5] = value >> np.uint64(32)
    return value & np.uint64(0xFFFFFFFF)


@kernel
def shuffle(words, a):
    """Shuffle the 1-D array ``a`` in place as ``Generator.shuffle(a)`` would.

    Fisher–Yates from the last item down; item i swaps with ``j`` uniform in
    ``0..i``, drawn by masked rejection from 32-bit draws (NumPy's
    ``random_interval``).  ``a`` must have at most 2^32 items (the 32-bit branch).
    """
    for i in range(a.shape[0] - 1, 0, -1):
        top = np.uint64(i)
        mask = top  # the smallest all-ones mask >= top
        mask |= mask >> np.uint64(1)
        mask |= mask >> np.uint64(2)
        mask |= mask >> np.uint64(4)
        mask |= mask >> np.uint64(8)
        mask |= mask >> np.uint64(16)
        j = _next_uint32(words) & mask
        while j > top:
            j = _next_uint32(words) & mask
        k = np.int64(j)
        a[i], a[k] = a[k], a[i]
