"""The jitted back-propagation training loop (DESIGN.md §2, §5).

One update on a batch B of m items, with ``g = ∇ MSE_B(θ)`` (or the mean
cross-entropy), classical momentum μ and learning rate η::

    v ← μ·v − η·(g + a·s⊙θ)          a = coupled shrink (``coupled`` or ``coupled / m``)
    θ ← θ + v − d·s⊙θ                 d = decoupled shrink

where ``s`` is 1 on shrunk entries (weights, and biases when asked) and 0 elsewhere.
Each L2 rule is a choice of (a, d): the coupled ones sit inside the momentum
buffer, the ``decay`` shortcut outside it.
"""

import math

import numpy as np
from numba import njit

from ._gradient_kernel import batch_gradient
from ._kernels import _JIT, data_error, penalty

RAN_OUT, HIT_TARGET, STALLED, DIVERGED = 0, 1, 2, 3


@njit(**_JIT)
def backprop_epochs(theta, vel, prev, X, T, rng, n_epochs, batch_size, shuffle,
                    lr, momentum, coupled, coupled_per_item, decoupled, shrink_mask,
                    sizes, hidden, output, loss, acts, deltas, grad,
                    xb, tb, n_samples, penalty_mask, lam, buf,
                    history, counters, best_err, target, patience):
    """Run up to ``n_epochs`` epochs in place.

    Each epoch visits the items in a fresh permutation drawn from ``rng`` (or in
    order when ``shuffle`` is false), in batches of ``batch_size`` (the last may be
    smaller), then records ``E(θ) = D(θ) + lam·P(θ)`` over the whole training set
    in ``history[epoch]``.  An epoch that ends with a non-finite error is undone:
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
            order = rng.permutation(N)
        for j in range(n):
            prev[j] = theta[j]
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
