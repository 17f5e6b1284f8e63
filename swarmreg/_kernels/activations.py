"""The hidden activations: one registry entry each (``HIDDEN``).

An entry holds everything swarmreg needs of an activation f:

``layer``       f in place on rows of an error-pass buffer (``error.data_error``, the
                swarm's evaluations): ``layer(buf, bits, r0, d, nb)`` applies f to
                ``buf[r0 : r0 + d, :nb]`` (rows −3 and −2 of ``buf`` are scratch;
                ``bits`` is ``buf`` viewed as int64, for ``fastmath``)
``item``        f in place on one item's units (back-propagation):
                ``item(acts, start, stop)`` on ``acts[start:stop]``
``derivative``  ``derivative(acts, deltas, start, stop)``: ``deltas[j] ← deltas[j]·f'(z_j)``
                for j in ``start:stop``, with f' written in terms of the output
                ``a_j = acts[j] = f(z_j)`` (so back-propagation keeps no z; scikit-learn's
                ``DERIVATIVES`` do the same)
``init_factor`` f in the Glorot-uniform bound ``sqrt(f / (fan_in + fan_out))`` of
                ``Network.initial_theta`` (6, or 2 for the logistic function)

The three kernels are ``piece``s: compiled once, when a network first uses them, and
called through a ``Pointer`` (``jit``).  Adding an activation is one function per
kernel and one entry below; ``tests/naive.py`` then needs its NumPy formula, and the
tests that run over every entry (forward, error, finite-difference gradient) pick it up.
"""

from dataclasses import dataclass

from numba import types

from .fastmath import exp_rows, exp_scalar, tanh_rows, tanh_scalar
from .jit import F1, F2, I2, inline, piece

#: Signature of ``layer``: ``(buf, bits, r0, d, nb)``.
LAYER_SIG = types.void(F2, I2, types.int64, types.int64, types.int64)
#: Signature of ``item``: ``(acts, start, stop)``.
ITEM_SIG = types.void(F1, types.int64, types.int64)
#: Signature of ``derivative``: ``(acts, deltas, start, stop)``.
DERIVATIVE_SIG = types.void(F1, F1, types.int64, types.int64)


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


# -- tanh ---------------------------------------------------------------------------------

@piece
def tanh_layer(buf, bits, r0, d, nb):
    """``tanh`` in place on rows ``r0 : r0 + d``."""
    tanh_rows(buf, bits, r0, d, nb, buf.shape[0] - 3, buf.shape[0] - 2)


@piece
def tanh_item(acts, start, stop):
    for j in range(start, stop):
        acts[j] = tanh_scalar(acts[j])


@piece
def tanh_derivative(acts, deltas, start, stop):
    """``f' = 1 − a²``."""
    for j in range(start, stop):
        a = acts[j]
        deltas[j] = deltas[j] * (1.0 - a * a)


# -- relu ---------------------------------------------------------------------------------

@piece
def relu_layer(buf, bits, r0, d, nb):
    """``max(z, 0)`` in place on rows ``r0 : r0 + d``."""
    for j in range(r0, r0 + d):
        for s in range(nb):
            buf[j, s] = max(buf[j, s], 0.0)


@piece
def relu_item(acts, start, stop):
    for j in range(start, stop):
        acts[j] = max(acts[j], 0.0)


@piece
def relu_derivative(acts, deltas, start, stop):
    """``f' = 1 where a > 0, else 0``."""
    for j in range(start, stop):
        deltas[j] = deltas[j] if acts[j] > 0.0 else 0.0


# -- logistic -----------------------------------------------------------------------------

@inline
def logistic_rows(buf, bits, r0, d, nb):
    """``1 / (1 + exp(−z))`` in place on rows ``r0 : r0 + d`` (also the logistic output's)."""
    for j in range(r0, r0 + d):
        for s in range(nb):
            buf[j, s] = -buf[j, s]
    exp_rows(buf, bits, r0, d, nb, buf.shape[0] - 3, buf.shape[0] - 2)
    for j in range(r0, r0 + d):
        for s in range(nb):
            buf[j, s] = 1.0 / (1.0 + buf[j, s])


@piece
def logistic_layer(buf, bits, r0, d, nb):
    """``1 / (1 + exp(−z))`` in place on rows ``r0 : r0 + d``."""
    logistic_rows(buf, bits, r0, d, nb)


@piece
def logistic_item(acts, start, stop):
    for j in range(start, stop):
        acts[j] = 1.0 / (1.0 + exp_scalar(-acts[j]))


@piece
def logistic_derivative(acts, deltas, start, stop):
    """``f' = a·(1 − a)``."""
    for j in range(start, stop):
        a = acts[j]
        deltas[j] = deltas[j] * a * (1.0 - a)


# -- softsign -----------------------------------------------------------------------------

@piece
def softsign_layer(buf, bits, r0, d, nb):
    """``z / (1 + |z|)`` in place on rows ``r0 : r0 + d``."""
    for j in range(r0, r0 + d):
        for s in range(nb):
            z = buf[j, s]
            buf[j, s] = z / (1.0 + abs(z))


@piece
def softsign_item(acts, start, stop):
    for j in range(start, stop):
        z = acts[j]
        acts[j] = z / (1.0 + abs(z))


@piece
def softsign_derivative(acts, deltas, start, stop):
    """``f' = 1 / (1 + |z|)² = (1 − |a|)²``."""
    for j in range(start, stop):
        c = 1.0 - abs(acts[j])
        deltas[j] = deltas[j] * (c * c)


#: The hidden activations by name, in the order the documentation lists them.
HIDDEN = {a.name: a for a in (
    Activation("tanh", "tanh(z)", tanh_layer, tanh_item, tanh_derivative, 6.0),
    Activation("relu", "max(z, 0)", relu_layer, relu_item, relu_derivative, 6.0),
    Activation("logistic", "1 / (1 + exp(−z))", logistic_layer, logistic_item,
               logistic_derivative, 2.0),
    Activation("softsign", "z / (1 + |z|)", softsign_layer, softsign_item, softsign_derivative,
               6.0),
)}
