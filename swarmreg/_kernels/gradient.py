"""Jitted back-propagation: the gradient of the data error over a batch of items.

Items are processed one at a time (sample-major), which is what online learning
needs; they are read as ``X[item, k]`` rather than through row views, which would
cost a reference-count update each.  Per item, ``acts`` holds the outputs of layers 1..L (the last layer's
pre-activations, the logits) and ``deltas`` the matching ``∂loss_i/∂z``; both are
flat buffers of length ``Σ_{l ≥ 1} d_l`` allocated once by the caller.

The per-item helpers are inlined into their callers (``batch_gradient`` and
``_backprop_kernel.online_step``): on networks of a few units per layer a real
call, with its reference-count updates of every array argument, costs more than
the arithmetic.  tanh and exp are ``_fastmath``'s scalar versions (plain
arithmetic, the same bits as the error kernels' row versions), not libm's.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import types

from .error import CROSS_ENTROPY, IDENTITY, LOGISTIC, MSE, RELU, SOFTMAX, TANH, _softplus
from .fastmath import exp_scalar, tanh_scalar
from .jit import F1, F2, Pointer, inline, kernel, pointer

# -- a hidden layer's activation and its derivative, on units start : stop --------------

#: Signature of the activation pieces: ``(acts, start, stop)``, in place.
UNITS_SIG = types.void(F1, types.int64, types.int64)


@kernel
def tanh_units(acts, start, stop):
    for j in range(start, stop):
        acts[j] = tanh_scalar(acts[j])


@kernel
def relu_units(acts, start, stop):
    for j in range(start, stop):
        acts[j] = max(acts[j], 0.0)


@kernel
def logistic_units(acts, start, stop):
    for j in range(start, stop):
        acts[j] = 1.0 / (1.0 + exp_scalar(-acts[j]))


#: Signature of the derivative pieces: ``(acts, deltas, start, stop)``: ``deltas[j]``,
#: which holds ``Σ_k W[j, k]·δ_k``, is multiplied by ``f'`` at ``a_j = acts[j]``.
DERIVATIVE_SIG = types.void(F1, F1, types.int64, types.int64)


@kernel
def tanh_derivative(acts, deltas, start, stop):
    """``f' = 1 − a²``."""
    for j in range(start, stop):
        a = acts[j]
        deltas[j] = deltas[j] * (1.0 - a * a)


@kernel
def relu_derivative(acts, deltas, start, stop):
    """``f' = [a > 0]``."""
    for j in range(start, stop):
        deltas[j] = deltas[j] if acts[j] > 0.0 else 0.0


@kernel
def logistic_derivative(acts, deltas, start, stop):
    """``f' = a(1 − a)``."""
    for j in range(start, stop):
        a = acts[j]
        deltas[j] = deltas[j] * a * (1.0 - a)


# -- one item's loss and output deltas ----------------------------------------------------
#
# Each returns the loss of item ``item`` and sets ``deltas[out0 + k] = ∂loss/∂z_k`` from the
# logits ``acts[out0 : out0 + n_out]``.
#
# MSE ``Σ_k (y_k − t_k)²``: identity ``δ = 2(y − t)``; logistic ``δ = 2(y − t)·y(1 − y)``;
# softmax ``δ_j = 2·y_j·((y_j − t_j) − Σ_k (y_k − t_k)·y_k)``.
# Cross-entropy: softmax ``δ_j = y_j·Σ_k t_k − t_j``; logistic ``δ = y − t``.

#: Signature of the output pieces: ``(T, item, out0, n_out, acts, deltas) -> loss``.
OUTPUT_SIG = types.float64(F2, types.int64, types.int64, types.int64, F1, F1)


@inline
def _softmax_into_deltas(out0, n_out, acts, deltas):
    """``deltas[out0 + k] = y_k`` (softmax of the logits); returns ``(max z, Σ e^{z − max})``."""
    m = acts[out0]
    for k in range(1, n_out):
        m = max(m, acts[out0 + k])
    s = 0.0
    for k in range(n_out):
        e = exp_scalar(acts[out0 + k] - m)
        deltas[out0 + k] = e  # y_k, unnormalized for now
        s += e
    for k in range(n_out):
        deltas[out0 + k] /= s
    return m, s


@kernel
def softmax_mse_delta(T, item, out0, n_out, acts, deltas):
    _softmax_into_deltas(out0, n_out, acts, deltas)
    total = 0.0
    ry = 0.0
    for k in range(n_out):
        r = deltas[out0 + k] - T[item, k]
        total += r * r
        ry += r * deltas[out0 + k]
    for k in range(n_out):
        y = deltas[out0 + k]
        deltas[out0 + k] = 2.0 * y * ((y - T[item, k]) - ry)
    return total


@kernel
def softmax_cross_entropy_delta(T, item, out0, n_out, acts, deltas):
    m, s = _softmax_into_deltas(out0, n_out, acts, deltas)
    total = 0.0
    lse = m + math.log(s)
    t_sum = 0.0
    for k in range(n_out):
        t_sum += T[item, k]
        total -= T[item, k] * (acts[out0 + k] - lse)
    for k in range(n_out):
        deltas[out0 + k] = deltas[out0 + k] * t_sum - T[item, k]
    return total


@kernel
def identity_mse_delta(T, item, out0, n_out, acts, deltas):
    total = 0.0
    for k in range(n_out):
        r = acts[out0 + k] - T[item, k]
        total += r * r
        deltas[out0 + k] = 2.0 * r
    return total


@kernel
def logistic_mse_delta(T, item, out0, n_out, acts, deltas):
    total = 0.0
    for k in range(n_out):
        y = 1.0 / (1.0 + exp_scalar(-acts[out0 + k]))
        r = y - T[item, k]
        total += r * r
        deltas[out0 + k] = 2.0 * r * y * (1.0 - y)
    return total


@kernel
def logistic_cross_entropy_delta(T, item, out0, n_out, acts, deltas):
    total = 0.0
    for k in range(n_out):
        zk = acts[out0 + k]
        y = 1.0 / (1.0 + exp_scalar(-zk))
        total += T[item, k] * _softplus(-zk) + (1.0 - T[item, k]) * _softplus(zk)
        deltas[out0 + k] = y - T[item, k]
    return total


class Units(NamedTuple):
    """A network's activation, derivative and output pieces, as the kernels take them."""

    activate: Pointer  # UNITS_SIG
    derivative: Pointer  # DERIVATIVE_SIG
    output_delta: Pointer  # OUTPUT_SIG

    @classmethod
    def build(cls, hidden, output, loss):
        """The pieces for these codes, compiled or loaded from the cache on first use."""
        activate, derivative = {TANH: (tanh_units, tanh_derivative),
                                RELU: (relu_units, relu_derivative),
                                LOGISTIC: (logistic_units, logistic_derivative)}[hidden]
        output_delta = {(SOFTMAX, MSE): softmax_mse_delta,
                        (SOFTMAX, CROSS_ENTROPY): softmax_cross_entropy_delta,
                        (IDENTITY, MSE): identity_mse_delta,
                        (LOGISTIC, MSE): logistic_mse_delta,
                        (LOGISTIC, CROSS_ENTROPY): logistic_cross_entropy_delta,
                        }[output, loss if output != IDENTITY else MSE]
        return cls(pointer(activate, UNITS_SIG), pointer(derivative, DERIVATIVE_SIG),
                   pointer(output_delta, OUTPUT_SIG))


@inline
def _item_forward(theta, X, item, sizes, units, acts):
    """Forward ``X[item]``; ``acts`` receives every layer's output (logits for the last)."""
    n_layers = sizes.shape[0] - 1
    # Not the literal 0: a literal argument would compile a second copy of a callee.
    off = np.int64(0)
    a0 = np.int64(0)
    prev = np.int64(0)
    for l in range(n_layers):
        d_in = sizes[l]
        d_out = sizes[l + 1]
        b_off = off + d_in * d_out
        for j in range(d_out):
            acts[a0 + j] = theta[b_off + j]
        for i in range(d_in):
            ai = X[item, i] if l == 0 else acts[prev + i]
            w0 = off + i * d_out
            for j in range(d_out):
                acts[a0 + j] += ai * theta[w0 + j]
        if l < n_layers - 1:
            units.activate(acts, a0, a0 + d_out)
        prev = a0
        a0 += d_out
        off = b_off + d_out


@inline
def last_layer_offsets(sizes):
    """``(off, a0)``: where the last layer's parameters start in θ and its units in
    ``acts``/``deltas`` — the starting point of a backward walk over the layers."""
    off = 0
    a0 = 0
    for l in range(sizes.shape[0] - 2):
        off += (sizes[l] + 1) * sizes[l + 1]
        a0 += sizes[l + 1]
    return off, a0


@inline
def hidden_deltas(theta, off, d_in, d_out, a0, prev, units, acts, deltas):
    """``δ_i = f'(a_i)·Σ_j W[i, j]·δ_j`` for the d_in units of the layer below the one at
    ``off`` (its deltas at ``deltas[a0:]``); ``a_i = acts[prev + i]`` are that layer's
    activations, so ``f'`` is ``1 − a²`` (tanh), ``a > 0`` (relu), ``a(1 − a)`` (logistic).
    """
    for i in range(d_in):
        w0 = off + i * d_out
        s = 0.0
        for j in range(d_out):
            s += theta[w0 + j] * deltas[a0 + j]
        deltas[prev + i] = s
    units.derivative(acts, deltas, prev, prev + d_in)


@inline
def _item_backward(theta, X, item, sizes, units, acts, deltas, grad):
    """Add one item's ``∂loss/∂θ`` to ``grad``, given its forward pass and output delta."""
    n_layers = sizes.shape[0] - 1
    off, a0 = last_layer_offsets(sizes)  # walked backwards from here
    for l in range(n_layers - 1, -1, -1):
        d_in = sizes[l]
        d_out = sizes[l + 1]
        prev = a0 - d_in  # activations of layer l − 1 (unused for l = 0: x is the input)
        b_off = off + d_in * d_out
        for i in range(d_in):
            ai = X[item, i] if l == 0 else acts[prev + i]
            w0 = off + i * d_out
            for j in range(d_out):
                grad[w0 + j] += ai * deltas[a0 + j]
        for j in range(d_out):
            grad[b_off + j] += deltas[a0 + j]
        if l > 0:
            hidden_deltas(theta, off, d_in, d_out, a0, prev, units, acts, deltas)
            off -= (sizes[l - 1] + 1) * d_in
            a0 = prev


@kernel
def batch_gradient(theta, X, T, order, start, m, sizes, units, acts, deltas, grad):
    """Mean data error and its gradient over the items ``order[start : start + m]``.

    ``grad`` (n_params,) receives ``(1/m) Σ_i ∂loss_i/∂θ``; returns ``(1/m) Σ_i loss_i``.
    """
    for j in range(grad.shape[0]):
        grad[j] = 0.0
    n_out = sizes[sizes.shape[0] - 1]
    out0 = acts.shape[0] - n_out
    total = 0.0
    for r in range(start, start + m):
        i = order[r]
        _item_forward(theta, X, i, sizes, units, acts)
        total += units.output_delta(T, i, out0, n_out, acts, deltas)
        _item_backward(theta, X, i, sizes, units, acts, deltas, grad)
    for j in range(grad.shape[0]):
        grad[j] /= m
    return total / m
