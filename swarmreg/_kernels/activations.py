"""The hidden activations: one registry entry each (``HIDDEN``).

An entry holds everything swarmreg needs of an activation f:

``layer``       f in place on rows of an error-pass buffer (``error.data_error``, the
                swarm's evaluations), a ``piece``: ``layer(buf, bits, r0, d, nb)`` applies
                f to ``buf[r0 : r0 + d, :nb]`` (rows −3 and −2 of ``buf`` are scratch;
                ``bits`` is ``buf`` viewed as int64, for ``fastmath``)
``item``        f in place on one item's units (back-propagation):
                ``item(acts, start, stop)`` on ``acts[start:stop]``
``derivative``  ``derivative(s, a) -> s·f'(z)``, one unit's delta from the sum ``s`` of the
                layer above's weighted deltas, with f' written in terms of the output
                ``a = f(z)`` (so back-propagation keeps no z; scikit-learn's
                ``DERIVATIVES`` do the same)
``init_factor`` f in the Glorot-uniform bound ``sqrt(f / (fan_in + fan_out))`` of
                ``Network.initial_theta`` (6, or 2 for the logistic function)
``scalar``      ``scalar(z) -> f(z)`` for one number of either float type, with the
                ``math`` module's functions: what a CUDA kernel computes (``devices.cuda``).
                ``register_jitable``, so that CPU and CUDA kernels alike compile it, and
                Numba's CUDA simulator runs it as Python

``layer`` runs once per layer and block of items and is called through a ``Pointer``
(``jit``): it compiles once, when a network first uses it.  ``item`` and ``derivative``
run once per item and are ``llvm_inline``: ``activate`` and ``derive`` call the entry of a
code (its position in ``HIDDEN``) directly (``jit.dispatch``), so that LLVM inlines it
into back-propagation's loops.

Adding an activation is its three functions and one entry below; ``tests/naive.py``
then needs its NumPy formula, and the tests that run over every entry (forward, error,
finite-difference gradient, training) pick it up.
"""

from dataclasses import dataclass

import math

import numpy as np
from numba import types
from numba.extending import register_jitable

from .fastmath import any_exp_rows, any_tanh_rows, exp_scalar, float_of, tanh_scalar
from .jit import F2, F2_32, I2, I2_32, dispatch, inline, llvm_inline, piece

#: Signature of ``layer``: ``(buf, bits, r0, d, nb)``.
LAYER_SIG = types.void(F2, I2, types.int64, types.int64, types.int64)
#: ``layer``'s signature by float type (``dtype="float32"``: float32 rows, int32 bits).
LAYER_SIGS = {"float64": LAYER_SIG,
              "float32": types.void(F2_32, I2_32, types.int64, types.int64, types.int64)}


@dataclass(frozen=True)
class Activation:
    """A hidden activation: its name, its kernels and its initialisation factor (module
    docstring)."""

    name: str
    formula: str
    layer: object
    item: object
    derivative: object
    init_factor: float
    scalar: object


# -- tanh ---------------------------------------------------------------------------------

@piece
def tanh_layer(buf, bits, r0, d, nb):
    """``tanh`` in place on rows ``r0 : r0 + d``."""
    any_tanh_rows(buf, bits, r0, d, nb, buf.shape[0] - 3, buf.shape[0] - 2)


@llvm_inline
def tanh_item(acts, start, stop):
    for j in range(start, stop):
        acts[j] = tanh_scalar(acts[j])


@llvm_inline
def tanh_derivative(s, a):
    """``f' = 1 − a²``."""
    return s * (1.0 - a * a)


@register_jitable
def tanh_of(z):
    return math.tanh(z)


# -- relu ---------------------------------------------------------------------------------

@piece
def relu_layer(buf, bits, r0, d, nb):
    """``max(z, 0)`` in place on rows ``r0 : r0 + d``."""
    zero = float_of(buf, 0.0)
    for j in range(r0, r0 + d):
        for s in range(nb):
            buf[j, s] = max(buf[j, s], zero)


@llvm_inline
def relu_item(acts, start, stop):
    for j in range(start, stop):
        acts[j] = max(acts[j], 0.0)


@llvm_inline
def relu_derivative(s, a):
    """``f' = 1 where a > 0, else 0``."""
    return s if a > 0.0 else 0.0


@register_jitable
def relu_of(z):
    return max(z, float_of(z, 0.0))


# -- logistic -----------------------------------------------------------------------------

@inline
def logistic_rows(buf, bits, r0, d, nb):
    """``1 / (1 + exp(−z))`` in place on rows ``r0 : r0 + d`` (also the logistic output's)."""
    one = float_of(buf, 1.0)
    for j in range(r0, r0 + d):
        for s in range(nb):
            buf[j, s] = -buf[j, s]
    any_exp_rows(buf, bits, r0, d, nb, buf.shape[0] - 3, buf.shape[0] - 2)
    for j in range(r0, r0 + d):
        for s in range(nb):
            buf[j, s] = one / (one + buf[j, s])


@piece
def logistic_layer(buf, bits, r0, d, nb):
    """``1 / (1 + exp(−z))`` in place on rows ``r0 : r0 + d``."""
    logistic_rows(buf, bits, r0, d, nb)


@llvm_inline
def logistic_item(acts, start, stop):
    for j in range(start, stop):
        acts[j] = 1.0 / (1.0 + exp_scalar(-acts[j]))


@llvm_inline
def logistic_derivative(s, a):
    """``f' = a·(1 − a)``."""
    return s * a * (1.0 - a)


@register_jitable
def logistic_of(z):
    one = float_of(z, 1.0)
    return one / (one + math.exp(-z))


# -- softsign -----------------------------------------------------------------------------

@piece
def softsign_layer(buf, bits, r0, d, nb):
    """``z / (1 + |z|)`` in place on rows ``r0 : r0 + d``."""
    one = float_of(buf, 1.0)
    for j in range(r0, r0 + d):
        for s in range(nb):
            z = buf[j, s]
            buf[j, s] = z / (one + abs(z))


@llvm_inline
def softsign_item(acts, start, stop):
    for j in range(start, stop):
        z = acts[j]
        acts[j] = z / (1.0 + abs(z))


@llvm_inline
def softsign_derivative(s, a):
    """``f' = 1 / (1 + |z|)² = (1 − |a|)²``."""
    c = 1.0 - abs(a)
    return s * (c * c)


@register_jitable
def softsign_of(z):
    return z / (float_of(z, 1.0) + abs(z))


#: The hidden activations by name, in the order the documentation lists them.
HIDDEN = {a.name: a for a in (
    Activation("tanh", "tanh(z)", tanh_layer, tanh_item, tanh_derivative, 6.0, tanh_of),
    Activation("relu", "max(z, 0)", relu_layer, relu_item, relu_derivative, 6.0, relu_of),
    Activation("logistic", "1 / (1 + exp(−z))", logistic_layer, logistic_item,
               logistic_derivative, 2.0, logistic_of),
    Activation("softsign", "z / (1 + abs(z))", softsign_layer, softsign_item, softsign_derivative,
               6.0, softsign_of),
)}


def code_of(name):
    """The code ``activate`` and ``derive`` take for the activation ``name``: its position in
    ``HIDDEN``."""
    return list(HIDDEN).index(name)


@llvm_inline
def _unknown_item(acts, start, stop):
    for j in range(start, stop):  # unreachable (``code_of`` gives positions): never silent
        acts[j] = np.nan


@llvm_inline
def _unknown_derivative(s, a):
    return np.nan


#: ``activate(code, acts, start, stop)``: the ``item`` function of activation ``code``.
activate = dispatch(tuple(a.item for a in HIDDEN.values()), _unknown_item)
#: ``derive(code, s, a)``: the ``derivative`` function of activation ``code``.
derive = dispatch(tuple(a.derivative for a in HIDDEN.values()), _unknown_derivative)
