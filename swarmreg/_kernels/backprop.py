"""The jitted back-propagation training loop (docs/design.md §4, §5).

One update on a batch B of m items, with ``g = ∇ MSE_B(θ)`` (or the mean
cross-entropy) and learning rate η, first adds the coupled shrink to the gradient,
``g ← g + a·s⊙θ`` (a = ``coupled`` or ``coupled / m``), then takes the step of the
optimizer (integer code ``optimizer``), with the decoupled shrink d applied to the
θ the gradient was taken at:

``SGD`` (classical momentum μ)::

    v ← μ·v − η·g
    θ ← θ + v − d·s⊙θ

``ADAM`` (β1, β2, ε; update number t = 1, 2, ... over the whole run)::

    m ← β1·m + (1 − β1)·g              (m kept in ``vel``)
    q ← β2·q + (1 − β2)·g²             (q kept in ``sq``)
    θ ← θ·(1 − d·s) − (η / (1 − β1^t))·m / (√q / √(1 − β2^t) + ε)

where ``s`` is 1 on shrunk entries (weights, and biases when asked) and 0 elsewhere.
Each L2 rule is a choice of (a, d): the coupled ones sit inside the optimizer's
buffers, the ``decay`` and ``decoupled`` shrinks outside them.  Adam follows PyTorch's
``torch/optim/adam.py``, ``_single_tensor_adam`` (torch 2.13, not capturable):
``step_size = lr / bias_correction1``, ``denom = exp_avg_sq.sqrt() /
bias_correction2_sqrt + eps``, ``param.addcdiv_(exp_avg, denom, value=-step_size)``,
after ``param.mul_(1 - lr * weight_decay)`` on its decoupled (AdamW) path.

Online learning (m = 1) takes ``online_step``, which applies the same formulas
entry by entry as soon as each gradient entry is known, without a gradient buffer;
larger batches take ``batch_gradient`` and then update every entry.  Both go through
``_update_entry``, so the optimizer is one branch on an integer code, not a second
copy of the loop.  The two are separate epoch kernels (``online_epoch``,
``batch_epoch``) that ``backprop_epochs`` calls through a pointer, so a run compiles
only the one it uses; their per-item helpers are ``llvm_inline`` (compiled once, no
reference counting), which compile several times faster than Numba-IR inlining.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import typeof, types

from . import losses, pcg64
from .error import evaluate, penalty
from .gradient import batch_gradient, hidden_deltas, item_forward, last_layer_offsets
from .jit import kernel, llvm_inline, piece, pointer_for_types, unlinked
from .stops import DIVERGED, HIT_TARGET, RAN_OUT, STALLED

SGD, ADAM = 0, 1
#: The optimizers, by name: their integer codes in the kernels.
OPTIMIZERS = {"sgd": SGD, "adam": ADAM}


@llvm_inline
def _update_entry(theta, vel, sq, k, g, optimizer, hyper, scale, coupled, decoupled, shrink_mask):
    """Update ``θ[k]``, whose data gradient is ``g``, by the step of the module docstring.

    ``hyper = (η, μ, β1, β2, ε)``; ``scale = (η / (1 − β1^t), √(1 − β2^t))``, Adam's
    bias-corrected step size and second-moment divisor for this update (unused by SGD).
    """
    lr, momentum, beta1, beta2, eps = hyper
    step_size, bc2_sqrt = scale
    w = theta[k]
    g = g + coupled * shrink_mask[k] * w
    if optimizer == SGD:
        v = momentum * vel[k] - lr * g
        vel[k] = v
        theta[k] = w + v - decoupled * shrink_mask[k] * w
    else:
        m = beta1 * vel[k] + (1.0 - beta1) * g
        q = beta2 * sq[k] + (1.0 - beta2) * (g * g)
        vel[k] = m
        sq[k] = q
        theta[k] = w * (1.0 - decoupled * shrink_mask[k]) - step_size * (m / (math.sqrt(q) / bc2_sqrt + eps))


@llvm_inline
def adam_scale(hyper, t):
    """``(η / (1 − β1^t), √(1 − β2^t))`` for update number ``t`` ≥ 1 (torch's
    ``step_size`` and ``bias_correction2_sqrt``)."""
    lr, _, beta1, beta2, _ = hyper
    return lr / (1.0 - beta1 ** float(t)), math.sqrt(1.0 - beta2 ** float(t))


@llvm_inline
def _update_row(theta, vel, sq, k0, n, ai, deltas, d0, optimizer, hyper, scale, coupled,
                decoupled, shrink_mask):
    """Update ``θ[k0 : k0 + n]``, whose gradient is ``g_j = ai·deltas[d0 + j]``, by the
    rule of ``backprop_epochs`` (a bias row passes ``ai = 1.0``: ``1.0·δ_j`` is ``δ_j``)."""
    for j in range(n):
        _update_entry(theta, vel, sq, k0 + j, ai * deltas[d0 + j], optimizer, hyper, scale,
                      coupled, decoupled, shrink_mask)


@llvm_inline
def online_step(theta, vel, sq, gradient, item, optimizer, hyper, scale, coupled, decoupled,
                shrink_mask):
    """One online update (m = 1) on ``X[item]``, the gradient folded into the update.

    The same formulas as a batch of one item (module docstring), with
    ``g = ∇ loss_item(θ)``, a = ``coupled``, d = ``decoupled``, ``hyper`` and ``scale``
    as for ``_update_entry``; but each layer's entries are updated as soon
    as their gradient ``g_ij = a_i·δ_j`` (biases: ``δ_j``) is known, walking the layers
    backwards: the deltas of layer l − 1 are first summed from layer l's weights, which
    are updated only after that.  No gradient buffer is zeroed, filled and read back.
    """
    X, T, sizes, hidden, acts, deltas = (gradient.X, gradient.T, gradient.sizes, gradient.hidden,
                                         gradient.acts, gradient.deltas)
    n_layers = sizes.shape[0] - 1
    n_out = sizes[n_layers]
    out0 = acts.shape[0] - n_out
    item_forward(theta, X, item, sizes, hidden, acts)
    losses.item_loss(gradient.loss, T, item, out0, n_out, acts, deltas)
    off, a0 = last_layer_offsets(sizes)
    for l in range(n_layers - 1, -1, -1):
        d_in = sizes[l]
        d_out = sizes[l + 1]
        prev = a0 - d_in  # activations (and deltas) of layer l − 1; unused for l = 0
        if l > 0:  # before this layer's weights change
            hidden_deltas(theta, off, d_in, d_out, a0, prev, hidden, acts, deltas)
        for i in range(d_in):
            ai = X[item, i] if l == 0 else acts[prev + i]
            _update_row(theta, vel, sq, off + i * d_out, d_out, ai, deltas, a0, optimizer,
                        hyper, scale, coupled, decoupled, shrink_mask)
        _update_row(theta, vel, sq, off + d_in * d_out, d_out, 1.0, deltas, a0, optimizer,
                    hyper, scale, coupled, decoupled, shrink_mask)  # biases: g_j = δ_j = 1.0·δ_j
        if l > 0:
            off -= (sizes[l - 1] + 1) * d_in
            a0 = prev


class Run(NamedTuple):
    """The state of a run, updated in place by ``backprop_epochs``."""

    theta: np.ndarray  # (n_params,) float64 parameters
    vel: np.ndarray  # (n_params,) float64 momentum buffer (SGD) or first moment (Adam)
    sq: np.ndarray  # (n_params,) float64 second moment (Adam)
    prev: np.ndarray  # (n_params,) float64 scratch: θ at the start of the epoch
    #: (N,) int64 the order the epoch visits the items in: 0..N−1 at the start (made in
    #: Python: a ``np.arange`` in the kernel compiled two more functions), shuffled in place
    order: np.ndarray
    rng: np.ndarray  # (6,) uint64 the PCG64 state (pcg64.state_words), advanced in place
    counters: np.ndarray  # (2,) int64: epochs done, epochs without improvement
    best_err: np.ndarray  # (1,) float64: the lowest E seen so far (for patience)


class Settings(NamedTuple):
    """The run's constants (see ``backprop_epochs`` and the module docstring)."""

    batch_size: int
    shuffle: bool
    optimizer: int  # SGD or ADAM
    hyper: tuple  # (η, μ, β1, β2, ε)
    coupled: float
    coupled_per_item: bool  # a = coupled / m when true
    decoupled: float
    shrink_mask: np.ndarray  # (n_params,) float64 s
    target: float
    patience: int


@piece
def online_epoch(run, gradient, settings, t):
    """One epoch of online updates (m = 1) on the items in ``run.order``; returns the
    update number ``t`` after it (Adam's, counted over the whole run)."""
    theta, vel, sq, order = run.theta, run.vel, run.sq, run.order
    optimizer, hyper, coupled, decoupled, shrink_mask = (
        settings.optimizer, settings.hyper, settings.coupled, settings.decoupled,
        settings.shrink_mask)
    scale = (hyper[0], 1.0)  # SGD never reads it
    for r in range(gradient.X.shape[0]):
        t += 1
        if optimizer == ADAM:
            scale = adam_scale(hyper, t)
        online_step(theta, vel, sq, gradient, order[r], optimizer, hyper, scale, coupled,
                    decoupled, shrink_mask)
    return t


@piece
def batch_epoch(run, gradient, settings, t):
    """One epoch of updates on batches of ``settings.batch_size`` items in ``run.order``
    (the last may be smaller); returns the update number ``t`` after it."""
    theta, vel, sq, order = run.theta, run.vel, run.sq, run.order
    grad = gradient.grad
    batch_size, optimizer, hyper, coupled, coupled_per_item, decoupled, shrink_mask = (
        settings.batch_size, settings.optimizer, settings.hyper, settings.coupled,
        settings.coupled_per_item, settings.decoupled, settings.shrink_mask)
    N = gradient.X.shape[0]
    scale = (hyper[0], 1.0)  # SGD never reads it
    for start in range(0, N, batch_size):
        m = min(batch_size, N - start)
        batch_gradient(theta, gradient, order, start, m)
        a = coupled / m if coupled_per_item else coupled
        t += 1
        if optimizer == ADAM:
            scale = adam_scale(hyper, t)
        for j in range(theta.shape[0]):
            _update_entry(theta, vel, sq, j, grad[j], optimizer, hyper, scale, a, decoupled,
                          shrink_mask)
    return t


def epoch_job(online, run, gradient, settings):
    """``(kernel, argument types)``: ``online_epoch`` (when ``online``) or ``batch_epoch``,
    for a run's arguments.  A run compiles (or loads) only the one it uses."""
    kernel = online_epoch if online else batch_epoch
    return kernel, tuple(typeof(a) for a in (run, gradient, settings, 0))


def epoch_pointer(online, run, gradient, settings):
    """The epoch kernel of ``epoch_job`` as the ``Pointer`` that ``backprop_epochs`` calls."""
    return pointer_for_types(*epoch_job(online, run, gradient, settings))


def prepare(run, gradient, settings, data, lam, penalty_mask, buf, history, online):
    """Compile (or load) ``backprop_epochs`` for a run's argument types, before its epoch
    kernel is compiled (that one returns the update count, an int64)."""
    _, epoch_args = epoch_job(online, run, gradient, settings)
    epoch = unlinked(types.int64(*epoch_args))
    backprop_epochs.compile(tuple(typeof(a) for a in (run, gradient, settings, data, lam,
                                                      penalty_mask, buf, history, 0, epoch)))


@kernel
def backprop_epochs(run, gradient, settings, data, lam, penalty_mask, buf, history, n_epochs,
                    epoch):
    """Run up to ``n_epochs`` epochs in place.

    Each epoch visits the items in a fresh permutation drawn from ``rng``, the PCG64
    state of the run's Generator (``pcg64.state_words``), advanced in place (the
    permutation ``Generator.permutation(N)`` would return, drawn into a reused array; in order when
    ``shuffle`` is false), in batches of ``batch_size`` (the last may be smaller;
    ``online_step`` when it is 1), then records ``E(θ) = D(θ) + lam·P(θ)`` over the
    whole training set in ``history[epoch]``.  An epoch that ends with a non-finite error is undone:
    θ goes back to where the epoch started and ``DIVERGED`` is returned.

    Parameters
    ----------
    run : Run, updated in place
    gradient : gradient.Gradient
    settings : Settings.  Adam's update number t counts every update of the run:
        ``counters[0]·⌈N / batch_size⌉`` before this call's first epoch
    data : error.ErrorPass; lam, penalty_mask (n_params,); buf — what ``E(θ)`` needs
    history : (at least counters[0] + n_epochs + 1,) float64 — ``history[k]`` = E after epoch k
        (grown call by call by ``_loop.History``)
    epoch : Pointer — ``online_epoch`` or ``batch_epoch`` (``epoch_pointer``)

    Returns
    -------
    int
        ``HIT_TARGET``, ``STALLED``, ``DIVERGED`` or ``RAN_OUT``.
    """
    theta, vel, sq, prev, order, rng, counters, best_err = run
    N = gradient.X.shape[0]
    n = theta.shape[0]
    batch_size, shuffle, target, patience = (settings.batch_size, settings.shuffle,
                                             settings.target, settings.patience)
    t = counters[0] * ((N + batch_size - 1) // batch_size)
    for _ in range(n_epochs):
        if shuffle:
            # What Generator.permutation(N) does, without allocating: the same draws.
            for j in range(N):
                order[j] = j
            pcg64.shuffle(rng, order)
        for j in range(n):
            prev[j] = theta[j]
        t = epoch(run, gradient, settings, t)
        e = evaluate(data, theta, buf)
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
