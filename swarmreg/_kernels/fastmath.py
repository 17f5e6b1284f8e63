"""Vectorizable ``exp`` and ``tanh`` over contiguous rows, for the error kernels.

Numba compiles ``math.exp``/``math.tanh`` to one libm call per element, which the
loop vectorizer cannot widen: on small networks those calls are most of the time.
These versions use only arithmetic, comparisons and integer shifts, so LLVM turns
each loop into SIMD code.  They are deterministic (the same bits on every call and
thread count) and accurate to a few ulp (``tests/test_fastmath.py`` states the worst
error measured against NumPy).

Both reduce ``y = k·ln2 + r`` with ``|r| ≤ ln2/2`` (Cody–Waite), take
``q = e^r − 1`` from a degree-13 polynomial, and build ``2^k`` in the exponent bits:
adding 1.5·2^52 to ``y/ln2`` leaves ``k`` in the low bits of a double, and shifting
those bits left by 52 and adding the bits of 1.0 gives the bits of ``2^k``.
exp(y) = 2^k·(1 + q); tanh|x| = −m/(2 + m) with m = expm1(−2|x|) = 2^k·q + (2^k − 1).

``exp_rows``/``tanh_rows`` transform rows of a 2-D buffer in place and use two other
rows of the same buffer as scratch.  ``exp_scalar``/``tanh_scalar`` are the same
operations on one number, for the per-item back-propagation kernels (a handful of
units per layer, no buffer to vectorize over); they return the same bits as the row
versions.
"""

import math

import numpy as np

from .jit import inline, llvm_inline


_INV_LN2 = 1.4426950408889634
_LN2_HI = 0.693147180369123816490  # upper bits of ln 2 (k·LN2_HI is exact for |k| < 2^11)
_LN2_LO = 1.90821492927058770002e-10  # ln 2 − LN2_HI
_SHIFT = 6755399441055744.0  # 1.5·2^52: adding it rounds to an integer kept in the low bits
_ONE_BITS = np.int64(0x3FF0000000000000)  # the bits of 1.0
_EXP_MAX = 709.782712893384  # above: exp overflows
_EXP_MIN = -745.1332191019412  # below: exp underflows to 0


@inline
def _expm1_poly(r):
    """e^r − 1 for |r| ≤ ln2/2: ``r·P(r)`` with P the Taylor series to r^12 (truncation
    below 1e-17 relative), evaluated by Estrin's scheme: a short dependency chain lets
    the CPU overlap the multiply-adds of neighbouring elements."""
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    p01 = 1.0 + r * (1.0 / 2.0)
    p23 = 1.0 / 6.0 + r * (1.0 / 24.0)
    p45 = 1.0 / 120.0 + r * (1.0 / 720.0)
    p67 = 1.0 / 5040.0 + r * (1.0 / 40320.0)
    p89 = 1.0 / 362880.0 + r * (1.0 / 3628800.0)
    p1011 = 1.0 / 39916800.0 + r * (1.0 / 479001600.0)
    q0 = p01 + r2 * p23
    q1 = p45 + r2 * p67
    q2 = p89 + r2 * p1011
    s0 = q0 + r4 * q1
    s1 = q2 + r4 * (1.0 / 6227020800.0)
    return r * (s0 + r8 * s1)


@inline
def _reduce(y):
    """``(k, r)`` with ``y = k·ln2 + r``, ``|r| ≤ ln2/2``, k integral (as a float)."""
    kf = (y * _INV_LN2 + _SHIFT) - _SHIFT
    return kf, (y - kf * _LN2_HI) - kf * _LN2_LO


@inline
def _exp_split(x):
    """``(k1, k2, r)`` with ``exp(x) = 2^k1 · 2^k2 · e^r``, ``|r| ≤ ln2/2``: ``2^k`` is
    applied as two factors so that subnormal results and those near overflow come out
    right.  Beyond the thresholds the scale overflows (2^1024) or underflows (2^-2044);
    the comparisons are written so that a NaN passes through."""
    y = _EXP_MIN if x < _EXP_MIN else (_EXP_MAX if x > _EXP_MAX else x)
    kf, red = _reduce(y)
    k1 = math.floor(0.5 * kf)
    k2 = kf - k1
    k1 = 1024.0 if x > _EXP_MAX else (-1022.0 if x < _EXP_MIN else k1)
    k2 = -1022.0 if x < _EXP_MIN else k2
    return k1, k2, red


@inline
def exp_rows(buf, bits, r0, nr, n, t1, t2):
    """``buf[r0:r0+nr, :n] = exp(buf[r0:r0+nr, :n])``, using rows ``t1``, ``t2`` as scratch.

    ``exp(y) = 2^k1·2^k2·(1 + q)`` with ``q = expm1(r)`` (``_exp_split``).  ``bits`` is
    ``buf.view(np.int64)`` (made once by the caller: a view per call would cost a
    reference-count update).  Overflow gives inf, underflow 0, and NaN stays NaN (the
    comparisons are written so that a NaN takes the pass-through branch).
    """
    for r in range(r0, r0 + nr):
        for s in range(n):
            k1, k2, red = _exp_split(buf[r, s])
            buf[t1, s] = k1 + _SHIFT
            buf[t2, s] = k2 + _SHIFT
            buf[r, s] = 1.0 + _expm1_poly(red)
        for s in range(n):  # k + 1.5·2^52 → the bits of 2^k
            bits[t1, s] = (bits[t1, s] << 52) + _ONE_BITS
            bits[t2, s] = (bits[t2, s] << 52) + _ONE_BITS
        for s in range(n):
            buf[r, s] = buf[r, s] * buf[t1, s] * buf[t2, s]


@inline
def tanh_rows(buf, bits, r0, nr, n, t1, t2):
    """``buf[r0:r0+nr, :n] = tanh(...)`` in place; rows ``t1``, ``t2`` are scratch (NaN stays NaN).

    ``tanh|x| = −m / (2 + m)`` with ``m = expm1(−2|x|) = 2^k·q + (2^k − 1)``, which is
    accurate for small |x| (k = 0, m = q) and large (m → −1) alike.
    """
    for r in range(r0, r0 + nr):
        for s in range(n):
            y = -2.0 * abs(buf[r, s])
            y = -708.0 if y < -708.0 else y  # beyond, tanh is ±1 to the last bit
            kf, red = _reduce(y)
            buf[t1, s] = kf + _SHIFT
            buf[t2, s] = _expm1_poly(red)
        for s in range(n):
            bits[t1, s] = (bits[t1, s] << 52) + _ONE_BITS
        for s in range(n):
            x = buf[r, s]
            scale = buf[t1, s]
            m = scale * buf[t2, s] + (scale - 1.0)
            v = -m / (2.0 + m)
            buf[r, s] = v if x > 0.0 else (-v if x < 0.0 else x)  # tanh(±0) = ±0, NaN stays


@inline
def _pow2(kf):
    """``2^k`` for ``k = kf`` integral in [−1022, 1024] (1024 gives inf), built in the
    exponent bits as in the row functions; a scalar ``view`` is a register bitcast."""
    return np.int64((np.float64(kf + _SHIFT).view(np.int64) << 52) + _ONE_BITS).view(np.float64)


@llvm_inline
def exp_scalar(x):
    """``exp(x)``: the operations of ``exp_rows`` on one number (same bits, NaN stays NaN)."""
    k1, k2, red = _exp_split(x)
    return (1.0 + _expm1_poly(red)) * _pow2(k1) * _pow2(k2)


@llvm_inline
def tanh_scalar(x):
    """``tanh(x)``: the operations of ``tanh_rows`` on one number (same bits; ±0 and NaN kept)."""
    y = -2.0 * abs(x)
    y = -708.0 if y < -708.0 else y  # beyond, tanh is ±1 to the last bit
    kf, red = _reduce(y)
    scale = _pow2(kf)
    m = scale * _expm1_poly(red) + (scale - 1.0)
    v = -m / (2.0 + m)
    return v if x > 0.0 else (-v if x < 0.0 else x)
