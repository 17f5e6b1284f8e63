"""Train a network by back-propagation (SGD or Adam) with any of the L2 rules of
docs/design.md §4, §5."""

import dataclasses
import functools
import hashlib
import math

import numpy as np

from ._kernels import backprop as backprop_kernels
from ._kernels import stops
from ._loop import History, bar_opener, check_seed, drive, non_finite_run
from ._kernels.jit import compile_alongside
from ._kernels.pcg64 import state_words
from ._training import CHECKPOINT_EVERY, Session, starting_state
from ._validation import check_bool, check_choice, check_int, check_memory, check_real, check_theta
from .error import Objective
from .lambdas import convert_lambda, decay_fixed_point_lambda
from .result import summarize

__all__ = ["train_backprop", "RULES", "OPTIMIZERS"]

#: The optimizers, by name (the kernels' integer codes).
OPTIMIZERS = backprop_kernels.OPTIMIZERS

#: The L2 rules, as (coupled shrink, divided by the batch's m?, decoupled shrink) per
#: unit of λ: ``g ← g + a·w`` before the optimizer's step, ``w ← w − d·w`` outside it
#: (see ``_kernels.backprop``).
RULES = {
    "none": (0.0, False, 0.0),  # w ← w − η·g
    "objective": (2.0, False, 0.0),  # w ← w − η·(g + 2λ·w): gradient of E
    "textbook_batch": (1.0, True, 0.0),  # w ← (1 − ηλ/m)·w − η·g
    "textbook_dataset": (1.0, False, 0.0),  # w ← (1 − ηλ/N)·w − η·g (a = λ/N, set below)
    "decay": (0.0, False, 1.0),  # w ← w − η·g − λ·w_old
    "decoupled": (0.0, False, 1.0),  # w ← w − η·g − ηλ·w_old (d = ηλ, set below)
}



def equivalent_lambda(lam, rule, *, lr, batch_size, n_samples, momentum=0.0, optimizer="sgd"):
    """λ_E that ``rule`` with nominal ``lam`` minimizes (what ``train_backprop`` reports).

    ``convert_lambda(lam, rule, "objective", ...)``; for ``decay`` and ``decoupled`` with
    momentum, which have no trajectory equivalent, the λ_E of their full-batch fixed point
    (``decay_fixed_point_lambda``, with d = ηλ for ``decoupled``); NaN for ``decay`` and
    ``decoupled`` with Adam, whose fixed point is that of no λ_E.
    """
    if rule == "none":
        return 0.0
    if rule in ("decay", "decoupled"):
        if optimizer == "adam":
            return math.nan
        if momentum > 0.0:
            return decay_fixed_point_lambda(lam * lr if rule == "decoupled" else lam, lr, momentum)
    return convert_lambda(lam, rule, "objective", lr=lr, batch_size=batch_size,
                          n_samples=n_samples, momentum=momentum)


def train_backprop(network, X, y, *, lam=0.0, rule="objective", lr=0.01, batch_size=1,
                   epochs=200, momentum=0.0, include_biases=False, loss="mse", shuffle=True,
                   theta0=None, seed=None, target_error=None, patience=None, callback=None,
                   progress=False, optimizer="sgd", betas=(0.9, 0.999), eps=1e-8,
                   checkpoint=None, checkpoint_every=CHECKPOINT_EVERY, resume=None, init=None):
    """Train ``network`` by back-propagation (SGD or Adam) with one of the L2 rules.

    One SGD update on a batch of m items, with ``g = ∇D_B(θ)`` the gradient of the batch's
    mean data error (MSE or cross-entropy) and learning rate η:

    ==================== ================================ ============================
    rule                 update of a weight w             minimizes E with λ_E =
    ==================== ================================ ============================
    ``none``             ``w ← w − η·g``                  0
    ``objective``        ``w ← w − η·(g + 2λ·w)``          λ
    ``textbook_batch``   ``w ← (1 − ηλ/m)·w − η·g``        λ / (2m)
    ``textbook_dataset`` ``w ← (1 − ηλ/N)·w − η·g``        λ / (2N)
    ``decay``            ``w ← w − η·g − λ·w_old``         λ / (2η)
    ``decoupled``        ``w ← w − η·g − ηλ·w_old``        λ / 2
    ==================== ================================ ============================

    Biases always take ``b ← b − η·g_b`` unless ``include_biases``, which shrinks
    them like weights.  With momentum μ (classical): ``v ← μ·v − η·(g + a·w)``,
    ``w ← w + v − d·w``: the shrink of ``objective`` and both ``textbook`` rules is
    part of the gradient and so sits *inside* the momentum buffer (a = 2λ, λ/m, λ/N;
    d = 0), while ``decay`` subtracts λ·w_old *outside* it (a = 0, d = λ) — decoupled
    weight decay, which with μ > 0 is equivalent to no L2 term along the way; the
    reported λ_E is then that of its full-batch fixed point, λ(1 − μ)/(2η).
    ``decoupled`` is ``decay`` with d = ηλ (SGDW, and the decay of PyTorch's ``AdamW``
    and of Keras 3 optimizers' ``weight_decay``, which both multiply by the learning
    rate): for plain SGD the same steps as ``decay`` with λ·η.

    With ``optimizer="adam"`` (PyTorch's ``Adam`` with bias correction; momentum must
    be 0, β1 plays its part) the coupled rules add ``a·w`` to g before Adam's moments,
    ``m ← β1·m + (1 − β1)·g``, ``v ← β2·v + (1 − β2)·g²``, and the step is
    ``w ← w − d·w − η·m̂/(√v̂ + ε)`` with ``m̂ = m/(1 − β1^t)``, ``v̂ = v/(1 − β2^t)``,
    t the update number.  The coupled rules keep their λ_E, now only as the same
    optimum (a stationary point of E is a fixed point of Adam), not the same path.
    ``decay`` and ``decoupled`` through Adam (``decoupled`` is then ``AdamW``) have no
    λ_E at all: their fixed point solves ``m̂/(√v̂ + ε) = −λ·w``, which rescales each
    coordinate of the gradient by its own √v̂ (Loshchilov & Hutter, arXiv 1711.05101).

    Parameters
    ----------
    network : Network
    X : array_like, shape (N, n_inputs)
    y : array_like, shape (N,) or (N, K)
    lam : float, default 0
        λ in ``rule``'s own convention (see ``convert_lambda``).
    rule : {"none", "objective", "textbook_batch", "textbook_dataset", "decay", "decoupled"}
    lr : float, default 0.01
        Learning rate η > 0.
    batch_size : int or None, default 1
        Items per update: 1 is online learning, None the full batch (m = N).  With N
        not a multiple of it, the last batch of an epoch is smaller (``textbook_batch``
        then has no single λ_E and raises ``NoEquivalentLambdaError``).
    epochs : int, default 200
    momentum : float in [0, 1), default 0
        Classical momentum μ of SGD (0 with Adam).
    include_biases : bool, default False
        Shrink the biases like the weights (the penalty then includes them, as
        ``include_biases`` does for ``train_pso`` and ``regularized_error``).
    loss : {"mse", "cross_entropy"}
    shuffle : bool, default True
        Visit the items in a new random order every epoch.
    theta0 : array_like, shape (n_params,), optional
        Starting point; by default ``network.initial_theta`` from the seed.
    seed : int, optional
        Seeds the initial θ and the shuffling; omitted, one is drawn and recorded.
    target_error, patience, callback, progress
        As for ``train_pso``, per epoch: stop when E ≤ ``target_error`` or after
        ``patience`` epochs without a new lowest E; ``callback(epoch, error, theta)``.
    optimizer : {"sgd", "adam"}, default "sgd"
    betas : (float, float) in [0, 1), default (0.9, 0.999)
        Adam's β1, β2 (ignored by SGD).
    eps : float > 0, default 1e-8
        Adam's ε, added to √v̂ (ignored by SGD).
    checkpoint, checkpoint_every, resume
        As for ``train_pso``: the checkpoints hold θ, the momentum buffer or Adam's
        moments, the generator's state, the counters and the history.  On ``resume``,
        ``theta0`` and ``seed`` may be omitted.
    init : TrainResult, TrainState or checkpoint path, optional
        Continue that run: ``epochs`` (counted from the run's start), ``target_error``
        and ``patience`` may differ, nothing else; bit-identical to one run of the new
        ``epochs``.

    Returns
    -------
    TrainResult
        ``trainer="backprop"``, ``theta`` the final parameters, ``history[k]`` the
        error E (with ``lam`` = the rule's λ_E) after epoch k, ``n_evaluations`` the
        number of epochs (each one gradient pass over the training set), ``rule`` and
        ``lam_nominal`` as given.  ``lam`` is NaN when no λ_E exists (``decay`` or
        ``decoupled`` with Adam): ``error`` and ``history`` are then the data error
        alone (E with λ_E = 0) and ``penalty`` is 0; ``sum_sq_weights`` still tells
        how large the weights are.  ``state`` is the run's final state (for ``init=``).

    Raises
    ------
    TrainingInterrupted
        On Ctrl-C (a ``KeyboardInterrupt``): its ``result`` is θ after the last complete
        epoch, ``stop_reason="interrupted"``.
    CheckpointError
        ``resume`` or ``init`` is of another run, or unreadable.
    NonFiniteObjectiveError
        E was inf or NaN at the start and stayed so (λ·Σw² or the data error overflowed).

    Examples
    --------
    >>> import swarmreg as sr
    >>> X, _, y, _ = sr.datasets.iris()
    >>> res = sr.train_backprop(sr.Network([4, 7, 3]), X, y, lam=0.01, rule="decay",
    ...                         lr=0.01, epochs=5, seed=1)
    >>> res.lam  # λ_E = λ / (2η)
    0.5
    """
    check_choice(rule, "rule", tuple(RULES))
    check_choice(optimizer, "optimizer", tuple(OPTIMIZERS))
    lam_nominal = check_real(lam, "lam", low=0.0)
    if rule == "none" and lam_nominal != 0.0:
        raise ValueError(f"rule='none' applies no L2 term; got lam={lam_nominal} (use another rule)")
    lr = check_real(lr, "lr", low=0.0, low_open=True)
    momentum = check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    include_biases = check_bool(include_biases, "include_biases")
    if optimizer == "adam" and momentum != 0.0:
        raise ValueError(f"momentum is SGD's; Adam's is betas[0] (got momentum={momentum} with "
                         "optimizer='adam')")
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    beta1, beta2 = (check_real(b, f"betas[{i}]", low=0.0, high=1.0, high_open=True)
                    for i, b in enumerate(betas))
    eps = check_real(eps, "eps", low=0.0, low_open=True)
    shuffle = check_bool(shuffle, "shuffle")
    progress = check_bool(progress, "progress")
    obj = Objective.build(network, X, y, 0.0, loss=loss, include_biases=include_biases)
    N = obj.n_samples
    if batch_size is None:
        batch_size = N
    batch_size = check_int(batch_size, "batch_size", low=1)
    if batch_size > N:
        raise ValueError(f"batch_size must be <= the number of training items ({N}), got {batch_size}")
    epochs = check_int(epochs, "epochs", low=1)
    target_error = None if target_error is None else check_real(target_error, "target_error")
    target = -np.inf if target_error is None else target_error
    patience = 0 if patience is None else check_int(patience, "patience", low=1)
    start = starting_state(resume, init)
    seed = check_seed(start[0].seed if seed is None and start[0] is not None else seed)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    # θ, velocity, Adam's second moments, the epoch's start, the gradient and the two
    # masks: 7 float64 vectors.
    check_memory(8 * 7 * network.n_params, f"{network!r}'s {network.n_params} parameters",
                 "use a smaller network")
    rng = np.random.default_rng(seed)
    theta = network.initial_theta(rng) if theta0 is None else check_theta(network, theta0, allow_stack=False)
    rng_words = state_words(rng)  # the kernel continues rng's stream (its shuffles)
    lam_E = equivalent_lambda(lam_nominal, rule, lr=lr, batch_size=batch_size, n_samples=N,
                              momentum=momentum, optimizer=optimizer)
    obj = obj.with_lam(0.0 if math.isnan(lam_E) else lam_E)  # no λ_E: report the data error
    settings = dict(include_biases=obj.include_biases, lr=lr, batch_size=batch_size, epochs=epochs,
                    momentum=momentum, shuffle=shuffle, target_error=target_error,
                    patience=patience or None, theta0_given=theta0 is not None,
                    optimizer=optimizer, beta1=beta1, beta2=beta2, eps=eps)
    # θ0 is part of the run, but a resumed run need not repeat it: its state holds θ.
    theta0_digest = None if theta0 is None else hashlib.sha256(theta.tobytes()).hexdigest()
    if start[0] is not None and theta0 is None:
        theta0_digest = start[0].arguments.get("theta0")
        settings["theta0_given"] = theta0_digest is not None
    arguments = dict(lam=lam_nominal, rule=rule, lr=lr, batch_size=batch_size, epochs=epochs,
                     momentum=momentum, include_biases=obj.include_biases, loss=loss,
                     shuffle=shuffle, seed=seed, target_error=target_error,
                     patience=patience or None, optimizer=optimizer, betas=[beta1, beta2],
                     eps=eps, theta0=theta0_digest)
    session = Session("backprop", network, obj, arguments, ("epochs", "target_error", "patience"),
                      start, init is not None, checkpoint, checkpoint_every)
    open_bar = bar_opener(epochs, "back-prop") if progress else None

    unit_coupled, per_item, unit_decoupled = RULES[rule]
    coupled = unit_coupled * lam_nominal / (N if rule == "textbook_dataset" else 1.0)
    decoupled = unit_decoupled * lam_nominal * (lr if rule == "decoupled" else 1.0)
    shrink_mask = obj.penalty_mask  # weights, plus biases when include_biases
    history = History(epochs + 1)  # grown as the run goes: a target may end it early
    run = session.restore(backprop_kernels.Run(
        theta, np.zeros_like(theta), np.zeros_like(theta), np.empty_like(theta),
        np.arange(obj.n_samples, dtype=np.int64), rng_words, np.zeros(2, dtype=np.int64),
        np.full(1, np.inf)), history)
    theta, counters, best_err = run.theta, run.counters, run.best_err
    buf = obj.scratch(1)[0]
    steps_settings = backprop_kernels.Settings(
        batch_size, shuffle, OPTIMIZERS[optimizer], (lr, momentum, beta1, beta2, eps), coupled,
        per_item, decoupled, shrink_mask, target, patience)
    online = batch_size == 1
    # The kernels compile (or load from the cache) before the clock starts; on a cold first
    # call the epoch kernel compiles in a second process meanwhile.
    grad = obj.gradient_pass()
    with compile_alongside([backprop_kernels.epoch_job(online, run, grad, steps_settings)]):
        error_pass = obj.error_pass()
        backprop_kernels.prepare(run, grad, steps_settings, error_pass, obj.lam, obj.penalty_mask,
                                 buf, history.array, online)
    epoch = backprop_kernels.epoch_pointer(online, run, grad, steps_settings)
    session.watch(lambda: run, history, counters)

    def iterate(steps):
        hist = history.reserve(int(counters[0]) + steps + 1)
        return backprop_kernels.backprop_epochs(run, grad, steps_settings, error_pass, obj.lam,
                                                obj.penalty_mask, buf, hist, steps, epoch)

    session.begin()
    if session.start is None:
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite start is reported below
            data, pen = obj.terms(theta.reshape(1, -1))
            history.array[0] = best_err[0] = data[0] + obj.penalty_term(pen)[0]
        code = stops.HIT_TARGET if history.array[0] <= target else stops.RAN_OUT
    else:
        code = session.resumed_code(history.array[counters[0]], counters, target, patience)
    if open_bar is not None:
        open_bar = functools.partial(open_bar, initial=int(counters[0]))

    def finish(stop_reason):
        elapsed = session.elapsed()
        done = int(counters[0])
        if not np.isfinite(history.array[: done + 1]).any() and stop_reason != "interrupted":
            # only the start can be non-finite
            raise non_finite_run(
                f"the error E was non-finite at the start and after the first epoch (rule "
                f"{rule!r}, lam_E={lam_E:g})", lam=lam_nominal,
                extra=f", lr={lr:g} too large, theta0 too far out")
        res = summarize(obj, theta, history.array[: done + 1], iterations=done,
                        n_evaluations=done, elapsed=elapsed, stop_reason=stop_reason,
                        trainer="backprop", seed=seed, rule=rule, lam_nominal=lam_nominal,
                        settings=settings, state=session.snapshot(stop_reason, elapsed))
        return dataclasses.replace(res, lam=lam_E) if math.isnan(lam_E) else res

    return session.run(
        lambda between: drive(iterate, epochs, counters, code, callback=callback,
                              report=lambda: (float(history.array[counters[0]]), theta.copy()),
                              open_bar=open_bar, between=between),
        finish)
