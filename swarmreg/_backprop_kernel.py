"""The jitted back-propagation training loop (docs/design.md §4, §5).

One update on a batch B of m items, with ``g = ∇ MSE_B(θ)`` (or the mean
cross-entropy), classical momentum μ and learning rate η::

    v ← μ·v − η·(g + a·s⊙θ)          a = coupled shrink (``coupled`` or ``coupled / m``)
    θ ← θ + v − d·s⊙θ                 d = decoupled shrink

where ``s`` is 1 on shrunk entries (weights, and biases when asked) and 0 elsewhere.
Each L2 rule is a choice of (a, d): the coupled ones sit inside the momentum
buffer, the ``decay`` shortcut outside it.

Online learning (m = 1) takes ``online_step``, which applies the same formulas
entry by entry as soon as each gradient entry is known, without a gradient buffer;
larger batches take ``batch_gradient`` and then update every entry.
"""

import math

import numpy as np
from numba import njit

from . import _random
from ._gradient_kernel import (_item_forward, _output_delta, batch_gradient, hidden_deltas,
                               last_layer_offsets)
from ._kernels import _JIT, data_error, penalty

RAN_OUT, HIT_TARGET, STALLED, DIVERGED = 0, 1, 2, 3


@njit(inline="always", **_JIT)
def _update_row(theta, vel, k0, n, ai, deltas, d0, lr, momentum, coupled, decoupled, shrink_mask):
    """Update ``θ[k0 : k0 + n]``, whose gradient is ``g_j = ai·deltas[d0 + j]``, by the
    rule of ``backprop_epochs`` (a bias row passes ``ai = 1.0``: ``1.0·δ_j`` is ``δ_j``)."""
    for j in range(n):
        k = k0 + j
        w = theta[k]
        v = momentum * vel[k] - lr * (ai * deltas[d0 + j] + coupled * shrink_mask[k] * w)
        vel[k] = v
        theta[k] = w + v - decoupled * shrink_mask[k] * w


@njit(inline="always", **_JIT)
def online_step(theta, vel, X, T, item, sizes, hidden, output, loss, acts, deltas,
                lr, momentum, coupled, decoupled, shrink_mask):
    """One online update (m = 1) on ``X[item]``, the gradient folded into the update.

    The same formulas as a batch of one item, with ``g = ∇ loss_item(θ)``::

        v ← μ·v − η·(g + a·s⊙θ)
        θ ← θ + v − d·s⊙θ

    (a = ``coupled``, d = ``decoupled``), but each layer's entries are updated as soon
    as their gradient ``g_ij = a_i·δ_j`` (biases: ``δ_j``) is known, walking the layers
    backwards: the deltas of layer l − 1 are first summed from layer l's weights, which
    are updated only after that.  No gradient buffer is zeroed, filled and read back.
    """
    n_layers = sizes.shape[0] - 1
    n_out = sizes[n_layers]
    out0 = acts.shape[0] - n_out
    _item_forward(theta, X, item, sizes, hidden, acts)
    _output_delta(T, item, out0, n_out, output, loss, acts, deltas)
    off, a0 = last_layer_offsets(sizes)
    for l in range(n_layers - 1, -1, -1):
        d_in = sizes[l]
        d_out = sizes[l + 1]
        prev = a0 - d_in  # activations (and deltas) of layer l − 1; unused for l = 0
        if l > 0:  # before this layer's weights change
            hidden_deltas(theta, off, d_in, d_out, a0, prev, hidden, acts, deltas)
        for i in range(d_in):
            ai = X[item, i] if l == 0 else acts[prev + i]
            _update_row(theta, vel, off + i * d_out, d_out, ai, deltas, a0, lr, momentum,
                        coupled, decoupled, shrink_mask)
        _update_row(theta, vel, off + d_in * d_out, d_out, 1.0, deltas, a0, lr, momentum,
                    coupled, decoupled, shrink_mask)  # biases: g_j = δ_j = 1.0·δ_j
        if l > 0:
            off -= (sizes[l - 1] + 1) * d_in
            a0 = prev


@njit(**_JIT)
def backprop_epochs(theta, vel, prev, X, T, rng, n_epochs, batch_size, shuffle,
                    lr, momentum, coupled, coupled_per_item, decoupled, shrink_mask,
                    sizes, hidden, output, loss, acts, deltas, grad,
                    xb, tb, n_samples, penalty_mask, lam, buf,
                    history, counters, best_err, target, patience):
    """Run up to ``n_epochs`` epochs in place.

    Each epoch visits the items in a fresh permutation drawn from ``rng``, the PCG64
    state of the run's Generator (``_random.state_words``), advanced in place (the
    permutation ``Generator.permutation(N)`` would return, drawn into a reused array; in order when
    ``shuffle`` is false), in batches of ``batch_size`` (the last may be smaller;
    ``online_step`` when it is 1), then records ``E(θ) = D(θ) + lam·P(θ)`` over the
    whole training set in ``history[epoch]``.  An epoch that ends with a non-finite error is undone:
    θ goes back to where the epoch started and ``DIVERGED`` is returned.

    Parameters
    ----------
    theta, vel, prev : (n_params,) float64 — parameters, momentum buffer, scratch
    X, T : (N, d), (N, K) float64 — items and targets, sample-major
    coupled : float; coupled_per_item : bool — a = coupled / m when true
    decoupled : float; shrink_mask : (n_params,) float64
    acts, deltas, grad : gradient scratch (see ``_gradient_kernel``)
    xb, tb, n_samples, penalty_mask, lam, buf : what ``data_error``/``penalty`` need
    history : (max_epochs + 1,) float64
    counters : (2,) int64 — [epochs done, epochs without improvement]
    best_err : (1,) float64 — lowest E seen so far (for ``patience``)

    Returns
    -------
    int
        ``HIT_TARGET``, ``STALLED``, ``DIVERGED`` or ``RAN_OUT``.
    """
    N = X.shape[0]
    n = theta.shape[0]
    order = np.arange(N)
    for _ in range(n_epochs):
        if shuffle:
            # What Generator.permutation(N) does, without allocating: the same draws.
            for j in range(N):
                order[j] = j
            _random.shuffle(rng, order)
        for j in range(n):
            prev[j] = theta[j]
        if batch_size == 1:
            for r in range(N):
                online_step(theta, vel, X, T, order[r], sizes, hidden, output, loss, acts,
                            deltas, lr, momentum, coupled, decoupled, shrink_mask)
        else:
            for start in range(0, N, batch_size):
                m = min(batch_size, N - start)
                batch_gradient(theta, X, T, order, start, m, sizes, hidden, output, loss,
                               acts, deltas, grad)
                a = coupled / m if coupled_per_item else coupled
                for j in range(n):
                    w = theta[j]
                    v = momentum * vel[j] - lr * (grad[j] + a * shrink_mask[j] * w)
                    vel[j] = v
                    theta[j] = w + v - decoupled * shrink_mask[j] * w
        e = data_error(theta, xb, tb, n_samples, sizes, hidden, output, loss, buf)
        if lam != 0.0:  # so that λ = 0 never meets an overflowed (infinite) Σw²
            e += lam * penalty(theta, penalty_mask)
        if not math.isfinite(e):
            for j in range(n):
                theta[j] = prev[j]
            return DIVERGED
        counters[0] += 1
        history[counters[0]] = e
        if e < best_err[0]:
            best_err[0] = e
            counters[1] = 0
        else:
            counters[1] += 1
        if e <= target:
            return HIT_TARGET
        if patience > 0 and counters[1] >= patience:
            return STALLED
    return RAN_OUT
