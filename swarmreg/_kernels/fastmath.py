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

float32 (``exp_rows32``, ``tanh_rows32``, ``exp_scalar32``, ``tanh_scalar32``): the same
scheme with float32 constants, int32 bits (``k`` shifted by 23) and a degree-7
polynomial (truncation below 1e-8 relative), so that every operation stays in float32
(a Python float literal is a float64 in Numba and would turn the arithmetic into
float64).  No operation meets a subnormal number, which x86 cores handle in microcode,
about a hundred times slower (float32 reaches them soon: exp(−88), a softmax's smallest
terms; the float64 versions meet them only near exp(−708)): an exp below the smallest
normal float32, 2^−126, is 0, and tanh's argument is cut at |x| = 20, beyond which it
is ±1 to the last bit.  ``any_exp_rows``, ``any_tanh_rows`` and ``any_exp`` choose the
version by the float type of their first argument, for the pieces that run in both;
``square`` and ``libm_exp`` are ``x·x`` and ``math.exp`` in float64 (the same bits as
before float32 existed) and, in float32, 0 where the result would be subnormal.
"""

import math

import numpy as np
from numba import types
from numba.extending import overload

from .jit import JIT, inline, llvm_inline


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


# -- float32 ------------------------------------------------------------------------------

_F = np.float32
_INV_LN2_32 = _F(1.4426950408889634)
_LN2_HI_32 = _F(0.693359375)  # k·LN2_HI_32 is exact for |k| < 2^15 (Cephes' expf split)
_LN2_LO_32 = _F(-2.12194440e-4)  # ln 2 − LN2_HI_32
_SHIFT_32 = _F(12582912.0)  # 1.5·2^23
_ONE_BITS_32 = np.int32(0x3F800000)  # the bits of 1.0f
_EXP_MAX_32 = _F(88.72283)  # above: expf overflows
_EXP_MIN_32 = _F(-87.33654)  # below: exp is subnormal in float32, and 0 here
_TANH_FLOOR_32 = _F(-40.0)  # −2|x| below it: tanh is ±1 to the last bit
_ZERO_32, _HALF_32, _ONE_32, _TWO_32 = _F(0.0), _F(0.5), _F(1.0), _F(2.0)
_K1_OVER_32 = _F(128.0)
_C2_32, _C3_32, _C4_32 = _F(1.0 / 2.0), _F(1.0 / 6.0), _F(1.0 / 24.0)
_C5_32, _C6_32, _C7_32 = _F(1.0 / 120.0), _F(1.0 / 720.0), _F(1.0 / 5040.0)


@inline
def _expm1_poly32(r):
    """e^r − 1 for |r| ≤ ln2/2 in float32: ``r·P(r)``, P the Taylor series to r^6."""
    r2 = r * r
    r4 = r2 * r2
    q0 = (_ONE_32 + r * _C2_32) + r2 * (_C3_32 + r * _C4_32)
    q1 = (_C5_32 + r * _C6_32) + r2 * _C7_32
    return r * (q0 + r4 * q1)


@inline
def _reduce32(y):
    kf = (y * _INV_LN2_32 + _SHIFT_32) - _SHIFT_32
    return kf, (y - kf * _LN2_HI_32) - kf * _LN2_LO_32


@inline
def _exp_split32(x):
    """``(k1, k2, e^r)`` with ``exp(x) = 2^k1 · 2^k2 · e^r``: ``_exp_split`` in float32, with
    ``e^r = 0`` and ``k1 = k2 = 0`` below ``_EXP_MIN_32`` (so that no product is subnormal);
    NaN passes through."""
    y = _ZERO_32 if x < _EXP_MIN_32 else (_EXP_MAX_32 if x > _EXP_MAX_32 else x)
    kf, red = _reduce32(y)
    k1 = np.floor(_HALF_32 * kf)
    k2 = kf - k1
    k1 = _K1_OVER_32 if x > _EXP_MAX_32 else k1
    mantissa = _ZERO_32 if x < _EXP_MIN_32 else _ONE_32 + _expm1_poly32(red)
    return k1, k2, mantissa


@inline
def exp_rows32(buf, bits, r0, nr, n, t1, t2):
    """``exp_rows`` for a float32 ``buf`` (``bits``: ``buf.view(np.int32)``); a result below
    2^−126 is 0 (module docstring)."""
    for r in range(r0, r0 + nr):
        for s in range(n):
            k1, k2, mantissa = _exp_split32(buf[r, s])
            buf[t1, s] = k1 + _SHIFT_32
            buf[t2, s] = k2 + _SHIFT_32
            buf[r, s] = mantissa
        for s in range(n):
            bits[t1, s] = (bits[t1, s] << 23) + _ONE_BITS_32
            bits[t2, s] = (bits[t2, s] << 23) + _ONE_BITS_32
        for s in range(n):
            buf[r, s] = buf[r, s] * buf[t1, s] * buf[t2, s]


@inline
def tanh_rows32(buf, bits, r0, nr, n, t1, t2):
    """``tanh_rows`` for a float32 ``buf`` (``bits``: ``buf.view(np.int32)``)."""
    for r in range(r0, r0 + nr):
        for s in range(n):
            y = -_TWO_32 * abs(buf[r, s])
            y = _TANH_FLOOR_32 if y < _TANH_FLOOR_32 else y
            kf, red = _reduce32(y)
            buf[t1, s] = kf + _SHIFT_32
            buf[t2, s] = _expm1_poly32(red)
        for s in range(n):
            bits[t1, s] = (bits[t1, s] << 23) + _ONE_BITS_32
        for s in range(n):
            x = buf[r, s]
            scale = buf[t1, s]
            m = scale * buf[t2, s] + (scale - _ONE_32)
            v = -m / (_TWO_32 + m)
            buf[r, s] = v if x > _ZERO_32 else (-v if x < _ZERO_32 else x)


@inline
def _pow2_32(kf):
    return np.int32((np.float32(kf + _SHIFT_32).view(np.int32) << 23) + _ONE_BITS_32).view(
        np.float32)


@llvm_inline
def exp_scalar32(x):
    """``exp(x)`` for a float32: the operations of ``exp_rows32`` on one number."""
    k1, k2, mantissa = _exp_split32(x)
    return mantissa * _pow2_32(k1) * _pow2_32(k2)


@llvm_inline
def tanh_scalar32(x):
    """``tanh(x)`` for a float32: the operations of ``tanh_rows32`` on one number."""
    y = -_TWO_32 * abs(x)
    y = _TANH_FLOOR_32 if y < _TANH_FLOOR_32 else y
    kf, red = _reduce32(y)
    scale = _pow2_32(kf)
    m = scale * _expm1_poly32(red) + (scale - _ONE_32)
    v = -m / (_TWO_32 + m)
    return v if x > _ZERO_32 else (-v if x < _ZERO_32 else x)


# -- by the argument's float type ---------------------------------------------------------

def _is_float32(t):
    return (t.dtype if isinstance(t, types.Array) else t) == types.float32


def any_exp_rows(buf, bits, r0, nr, n, t1, t2):
    """``exp_rows`` or ``exp_rows32``, by the float type of ``buf`` (jitted code only)."""
    raise TypeError("any_exp_rows is for jitted code")


def any_tanh_rows(buf, bits, r0, nr, n, t1, t2):
    """``tanh_rows`` or ``tanh_rows32``, by the float type of ``buf`` (jitted code only)."""
    raise TypeError("any_tanh_rows is for jitted code")


def any_exp(x):
    """``exp_scalar`` or ``exp_scalar32``, by the float type of ``x`` (jitted code only)."""
    raise TypeError("any_exp is for jitted code")


def square(x):
    """``x·x``; for a float32, 0 where that is below 2^−126 (module docstring)."""
    raise TypeError("square is for jitted code")


def libm_exp(x):
    """``math.exp(x)``; for a float32, ``exp_scalar32`` (0 below 2^−126)."""
    raise TypeError("libm_exp is for jitted code")


def float_of(like, value):
    """``value`` as a number of the float type of ``like`` (an array or a number): a
    float32 constant next to float32 data, so that the arithmetic stays float32.  Jitted
    code (CPU or CUDA) gets the overload below; plain Python (Numba's CUDA simulator) this."""
    return (like.dtype.type if isinstance(like, np.ndarray) else type(like))(value)


_OVERLOAD = dict(jit_options=dict(JIT, cache=False), inline="always")


@overload(any_exp_rows, **_OVERLOAD)
def _any_exp_rows(buf, bits, r0, nr, n, t1, t2):
    rows = exp_rows32 if _is_float32(buf) else exp_rows
    return lambda buf, bits, r0, nr, n, t1, t2: rows(buf, bits, r0, nr, n, t1, t2)


@overload(any_tanh_rows, **_OVERLOAD)
def _any_tanh_rows(buf, bits, r0, nr, n, t1, t2):
    rows = tanh_rows32 if _is_float32(buf) else tanh_rows
    return lambda buf, bits, r0, nr, n, t1, t2: rows(buf, bits, r0, nr, n, t1, t2)


@overload(any_exp, **_OVERLOAD)
def _any_exp(x):
    scalar = exp_scalar32 if _is_float32(x) else exp_scalar
    return lambda x: scalar(x)


@overload(float_of, **_OVERLOAD)
def _float_of(like, value):
    if _is_float32(like):
        return lambda like, value: np.float32(value)
    return lambda like, value: value


_SQRT_TINY_32 = _F(2.0 ** -63)  # x·x < 2^−126, the smallest normal float32, below it


@overload(square, **_OVERLOAD)
def _square(x):
    if _is_float32(x):
        return lambda x: x * x if abs(x) >= _SQRT_TINY_32 else _ZERO_32
    return lambda x: x * x


@overload(libm_exp, **_OVERLOAD)
def _libm_exp(x):
    if _is_float32(x):
        return lambda x: exp_scalar32(x)
    return lambda x: math.exp(x)
