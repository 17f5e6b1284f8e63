"""Jitted back-propagation: the gradient of the data error over a batch of items.

Items are processed one at a time (sample-major), which is what online learning
needs; they are read as ``X[item, k]`` rather than through row views, which would
cost a reference-count update each.  Per item, ``acts`` holds the outputs of layers
1..L (the last layer's pre-activations, the logits) and ``deltas`` the matching
``∂loss_i/∂z``; both are flat buffers of length ``Σ_{l ≥ 1} d_l`` allocated once by
the caller.

The per-item helpers are ``llvm_inline``: compiled once each, inlined by LLVM into
their callers (``batch_gradient`` and ``backprop.online_step``), without reference
counting.  On networks of a few units per layer a real call, with its
reference-count updates of every array argument, would cost more than the
arithmetic.  tanh and exp are ``fastmath``'s scalar versions (plain arithmetic, the
same bits as the error kernels' row versions), not libm's.
"""

import math

import numpy as np

from .error import IDENTITY, MSE, RELU, SOFTMAX, TANH, _softplus
from .fastmath import exp_scalar, tanh_scalar
from .jit import kernel, llvm_inline


@llvm_inline
def _activate(acts, start, stop, hidden):
    """Apply the hidden activation to ``acts[start:stop]`` in place (code tested once,
    outside the loops)."""
    if hidden == TANH:
        for j in range(start, stop):
            acts[j] = tanh_scalar(acts[j])
    elif hidden == RELU:
        for j in range(start, stop):
            acts[j] = max(acts[j], 0.0)
    else:
        for j in range(start, stop):
            acts[j] = 1.0 / (1.0 + exp_scalar(-acts[j]))


@llvm_inline
def _item_forward(theta, X, item, sizes, hidden, acts):
    """Forward ``X[item]``; ``acts`` receives every layer's output (logits for the last)."""
    n_layers = sizes.shape[0] - 1
    # Not the literal 0: a literal argument would compile a second copy of _activate.
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
            _activate(acts, a0, a0 + d_out, hidden)
        prev = a0
        a0 += d_out
        off = b_off + d_out


@llvm_inline
def _output_delta(T, item, out0, n_out, output, loss, acts, deltas):
    """Loss of one item and ``deltas[out0 + k] = ∂loss/∂z_k`` from the logits ``acts[out0:]``.

    MSE ``Σ_k (y_k − t_k)²``: identity ``δ = 2(y − t)``; logistic ``δ = 2(y − t)·y(1 − y)``;
    softmax ``δ_j = 2·y_j·((y_j − t_j) − Σ_k (y_k − t_k)·y_k)``.
    Cross-entropy: softmax ``δ_j = y_j·Σ_k t_k − t_j``; logistic ``δ = y − t``.
    """
    total = 0.0
    if output == SOFTMAX:
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
        if loss == MSE:
            ry = 0.0
            for k in range(n_out):
                r = deltas[out0 + k] - T[item, k]
                total += r * r
                ry += r * deltas[out0 + k]
            for k in range(n_out):
                y = deltas[out0 + k]
                deltas[out0 + k] = 2.0 * y * ((y - T[item, k]) - ry)
        else:
            lse = m + math.log(s)
            t_sum = 0.0
            for k in range(n_out):
                t_sum += T[item, k]
                total -= T[item, k] * (acts[out0 + k] - lse)
            for k in range(n_out):
                deltas[out0 + k] = deltas[out0 + k] * t_sum - T[item, k]
    elif output == IDENTITY:
        for k in range(n_out):
            r = acts[out0 + k] - T[item, k]
            total += r * r
            deltas[out0 + k] = 2.0 * r
    else:  # LOGISTIC
        for k in range(n_out):
            zk = acts[out0 + k]
            y = 1.0 / (1.0 + exp_scalar(-zk))
            if loss == MSE:
                r = y - T[item, k]
                total += r * r
                deltas[out0 + k] = 2.0 * r * y * (1.0 - y)
            else:
                total += T[item, k] * _softplus(-zk) + (1.0 - T[item, k]) * _softplus(zk)
                deltas[out0 + k] = y - T[item, k]
    return total


@llvm_inline
def last_layer_offsets(sizes):
    """``(off, a0)``: where the last layer's parameters start in θ and its units in
    ``acts``/``deltas`` — the starting point of a backward walk over the layers."""
    off = 0
    a0 = 0
    for l in range(sizes.shape[0] - 2):
        off += (sizes[l] + 1) * sizes[l + 1]
        a0 += sizes[l + 1]
    return off, a0


@llvm_inline
def hidden_deltas(theta, off, d_in, d_out, a0, prev, hidden, acts, deltas):
    """``δ_i = f'(a_i)·Σ_j W[i, j]·δ_j`` for the d_in units of the layer below the one at
    ``off`` (its deltas at ``deltas[a0:]``); ``a_i = acts[prev + i]`` are that layer's
    activations, so ``f'`` is ``1 − a²`` (tanh), ``a > 0`` (relu), ``a(1 − a)`` (logistic).
    """
    for i in range(d_in):
        w0 = off + i * d_out
        s = 0.0
        for j in range(d_out):
            s += theta[w0 + j] * deltas[a0 + j]
        a = acts[prev + i]
        if hidden == TANH:
            deltas[prev + i] = s * (1.0 - a * a)
        elif hidden == RELU:
            deltas[prev + i] = s if a > 0.0 else 0.0
        else:
            deltas[prev + i] = s * a * (1.0 - a)


@llvm_inline
def _item_backward(theta, X, item, sizes, hidden, acts, deltas, grad):
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
            hidden_deltas(theta, off, d_in, d_out, a0, prev, hidden, acts, deltas)
            off -= (sizes[l - 1] + 1) * d_in
            a0 = prev


@kernel
def batch_gradient(theta, X, T, order, start, m, sizes, hidden, output, loss, acts, deltas, grad):
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
        _item_forward(theta, X, i, sizes, hidden, acts)
        total += _output_delta(T, i, out0, n_out, output, loss, acts, deltas)
        _item_backward(theta, X, i, sizes, hidden, acts, deltas, grad)
    for j in range(grad.shape[0]):
        grad[j] /= m
    return total / m

