"""Philox4x32-10, the counter-based generator of swarms on a GPU (docs/design.md §7, §13).

A counter-based generator computes the n-th number of a stream directly from the
key and n: no state is stepped, so every thread of a GPU kernel draws its own numbers
in any order, the same numbers whatever the launch configuration, and a resumed run
needs nothing but the iteration it stopped at.  Philox4x32 with 10 rounds (Salmon,
Moraes, Dror & Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011; the
generator of cuRAND's ``curandStatePhilox4_32_10`` and of Random123) maps a 128-bit
counter ``(c0, c1, c2, c3)`` and a 64-bit key ``(k0, k1)`` to four 32-bit words;
``tests/test_philox.py`` checks it against the known answers of Random123's
``kat_vectors``.

swarmreg's counters: ``c0 = k mod 2^32`` with k the iteration, ``c1 = purpose + 256·⌊k /
2^32⌋`` with ``purpose`` the kind of draw (an algorithm numbers its own), ``c2`` the
particle and ``c3`` the coordinate.  A double is drawn as NumPy's ``Generator.random()``
draws one from 64 bits, ``(u >> 11)·2^-53``, from words (0, 1) and (2, 3): two uniform
numbers in [0, 1) per counter.

The functions are ``register_jitable``: compiled into whichever jitted code calls them,
a CPU kernel or a CUDA kernel (``numba.cuda``), and plain Python in Numba's CUDA
simulator.
"""

import numpy as np
from numba.extending import register_jitable

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)
_11 = np.uint64(11)
_PURPOSES = np.uint64(256)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2^-53


@register_jitable
def philox4x32(k0, k1, c0, c1, c2, c3):
    """The four 32-bit words (as uint64) of Philox4x32-10 for key ``(k0, k1)`` and counter
    ``(c0, c1, c2, c3)`` (each word < 2^32, any integer type)."""
    k0, k1 = np.uint64(k0) & _MASK, np.uint64(k1) & _MASK
    c0, c1 = np.uint64(c0) & _MASK, np.uint64(c1) & _MASK
    c2, c3 = np.uint64(c2) & _MASK, np.uint64(c3) & _MASK
    for r in range(10):
        if r > 0:
            k0 = (k0 + _W0) & _MASK
            k1 = (k1 + _W1) & _MASK
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0, c1, c2, c3 = ((p1 >> _32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _32) ^ c3 ^ k1, p0 & _MASK)
    return c0, c1, c2, c3


@register_jitable
def uniforms(key, iteration, purpose, particle, coordinate):
    """Two uniform doubles in [0, 1) for one (iteration, purpose, particle, coordinate)
    of the stream of ``key`` (an array of two 32-bit words)."""
    k = np.uint64(iteration)
    w0, w1, w2, w3 = philox4x32(key[0], key[1], k & _MASK,
                                np.uint64(purpose) + _PURPOSES * (k >> _32), particle, coordinate)
    u = np.float64(((w0 << _32) | w1) >> _11) * _TO_UNIT
    v = np.float64(((w2 << _32) | w3) >> _11) * _TO_UNIT
    return u, v


def key_of(rng):
    """A key for ``uniforms``: two 32-bit words drawn from the ``numpy.random.Generator``
    ``rng`` (the run's generator, after its starting state is drawn)."""
    return rng.integers(0, 2**32, size=2, dtype=np.uint64)
