"""Jitted back-propagation: the gradient of the data error over a batch of items.

Items are processed one at a time (sample-major), which is what online learning
needs; they are read as ``X[item, k]`` rather than through row views, which would
cost a reference-count update each.  Per item, ``acts`` holds the outputs of layers
1..L (the last layer's pre-activations, the logits) and ``deltas`` the matching
``∂loss_i/∂z``; both are flat buffers of length ``Σ_{l ≥ 1} d_l`` allocated once by
the caller.

The activation and the loss are codes of their registries (``activations.code_of``,
``losses.code_of``), in a ``Gradient``: ``activations.activate``, ``activations.derive``
and ``losses.item_loss`` call the entries' per-item functions directly.  The per-item
helpers are ``llvm_inline``: compiled once each, inlined by LLVM into their callers
(``batch_gradient`` and ``backprop.online_step``), without reference counting.  On
networks of a few units per layer a real call, with its reference-count updates of every
array argument, would cost more than the arithmetic.
"""

from typing import NamedTuple

import numpy as np
from . import activations, losses
from .jit import kernel, llvm_inline


class Gradient(NamedTuple):
    """What the gradient needs: the items, sample-major, the network's codes and scratch.

    ``Gradient.build`` fills it for a network's activation and loss names.
    """

    X: np.ndarray  # (N, d) float64 items
    T: np.ndarray  # (N, K) float64 targets
    sizes: np.ndarray  # (n_layers + 1,) int64 layer widths
    hidden: int  # activations.code_of(the hidden activation)
    loss: int  # losses.code_of(the loss, the output activation)
    acts: np.ndarray  # (Σ_{l ≥ 1} d_l,) float64 scratch
    deltas: np.ndarray  # the same
    grad: np.ndarray  # (n_params,) float64 scratch of batch_gradient

    @classmethod
    def build(cls, X, T, sizes, hidden, output, loss):
        """The codes of these names (KeyError/ValueError for a name or pair the registries
        do not have) and fresh scratch."""
        width = int(sizes[1:].sum())
        n_params = int(((sizes[:-1] + 1) * sizes[1:]).sum())
        return cls(X, T, sizes, activations.code_of(hidden), losses.code_of(loss, output),
                   np.empty(width), np.empty(width), np.empty(n_params))


@llvm_inline
def item_forward(theta, X, item, sizes, hidden, acts):
    """Forward ``X[item]``; ``acts`` receives every layer's output (logits for the last)."""
    n_layers = sizes.shape[0] - 1
    off = 0
    a0 = 0
    prev = 0
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
            activations.activate(hidden, acts, a0, a0 + d_out)
        prev = a0
        a0 += d_out
        off = b_off + d_out


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
    """``δ_i = f'(z_i)·Σ_j W[i, j]·δ_j`` for the d_in units of the layer below the one at
    ``off`` (its deltas at ``deltas[a0:]``); ``acts[prev + i]`` are that layer's outputs,
    from which activation ``hidden``'s ``derivative`` takes f'."""
    for i in range(d_in):
        w0 = off + i * d_out
        s = 0.0
        for j in range(d_out):
            s += theta[w0 + j] * deltas[a0 + j]
        deltas[prev + i] = activations.derive(hidden, s, acts[prev + i])


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
def batch_gradient(theta, gradient, order, start, m):
    """Mean data error and its gradient over the items ``order[start : start + m]``.

    ``gradient.grad`` (n_params,) receives ``(1/m) Σ_i ∂loss_i/∂θ``; returns
    ``(1/m) Σ_i loss_i``.
    """
    X, T, sizes, hidden, loss, acts, deltas, grad = (
        gradient.X, gradient.T, gradient.sizes, gradient.hidden, gradient.loss, gradient.acts,
        gradient.deltas, gradient.grad)
    for j in range(grad.shape[0]):
        grad[j] = 0.0
    n_out = sizes[sizes.shape[0] - 1]
    out0 = acts.shape[0] - n_out
    total = 0.0
    for r in range(start, start + m):
        i = order[r]
        item_forward(theta, X, i, sizes, hidden, acts)
        total += losses.item_loss(loss, T, i, out0, n_out, acts, deltas)
        _item_backward(theta, X, i, sizes, hidden, acts, deltas, grad)
    for j in range(grad.shape[0]):
        grad[j] /= m
    return total / m
