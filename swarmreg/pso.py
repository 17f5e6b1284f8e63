"""Train a network by particle swarm optimization of the regularized error."""

import time
from collections.abc import Sequence

import numba
import numpy as np

from ._kernels import pso as pso_kernels
from ._loop import History, bar_opener, check_seed, drive, non_finite_run
from ._kernels.jit import compile_alongside, pointer
from ._kernels.pcg64 import state_words
from ._validation import check_bool, check_choice, check_int, check_memory, check_real
from .error import Objective
from .result import summarize

__all__ = ["train_pso"]

TOPOLOGIES = ("global", "ring")
_STOP_REASONS = {
    pso_kernels.RAN_OUT: "max_iter",
    pso_kernels.HIT_TARGET: "target_error",
    pso_kernels.STALLED: "patience",
}


def _check_bounds(bounds):
    if not isinstance(bounds, Sequence) or isinstance(bounds, str) or len(bounds) != 2:
        raise TypeError(f"bounds must be a pair (lo, hi), got {bounds!r}")
    lo = check_real(bounds[0], "bounds[0]")
    hi = check_real(bounds[1], "bounds[1]")
    if not lo < hi:
        raise ValueError(f"bounds must satisfy lo < hi, got ({lo}, {hi})")
    if not np.isfinite(hi - lo):
        raise ValueError(f"bounds: hi − lo must be a finite float64, got ({lo}, {hi})")
    return lo, hi


def train_pso(network, X, y, *, lam=0.0, loss="mse", include_biases=False, swarm_size=30,
              max_iter=1000, inertia=0.729, c1=1.49445, c2=1.49445, bounds=(-10.0, 10.0),
              init_velocity=0.1, v_max=None, death_prob=0.01, topology="global",
              target_error=None, patience=None, seed=None, callback=None, progress=False):
    """Train ``network`` by particle swarm optimization of ``E(θ) = D(θ) + λ·Σ w²``.

    PSO only ever evaluates the error, so ``lam`` is λ_E, the project's canonical
    λ (docs/design.md §2).  Each particle is one flat θ.  Iterations are synchronous:
    move every particle, evaluate every particle in parallel, then update personal
    and global bests (see ``_kernels.pso.pso_iterate`` for the exact update).

    Parameters
    ----------
    network : Network
    X : array_like, shape (N, n_inputs)
    y : array_like, shape (N,) or (N, K)
        Integer class labels or float targets (see ``regularized_error``).
    lam : float, default 0
        λ_E ≥ 0.
    loss : {"mse", "cross_entropy"}
        Data error ``D``.
    include_biases : bool, default False
        Penalize biases too.
    swarm_size : int, default 30
        Number of particles, ≥ 2.
    max_iter : int, default 1000
        Iteration budget, ≥ 1.
    inertia, c1, c2 : float, default 0.729, 1.49445, 1.49445
        Inertia weight and cognitive/social coefficients (Clerc–Kennedy constriction
        as used in McCaffrey's PSO network trainer).
    bounds : (float, float), default (-10, 10)
        Box for every coordinate of θ: initial positions are uniform in it and
        positions are clipped to it.
    init_velocity : float, default 0.1
        Initial velocities are uniform in ``±init_velocity·(hi − lo)``.
    v_max : float, optional
        Clamp every velocity component to ``[−v_max, v_max]``; no clamp by default.
    death_prob : float in [0, 1], default 0.01
        Per-iteration probability that a particle dies and is reborn: a new uniform
        position, velocity kept, personal best reset to the new position.  0.01 is
        McCaffrey's value; on Iris 4-7-3 it raised the mean test accuracy over ten
        splits from 0.92 (no rebirth) to 0.96.
    topology : {"global", "ring"}
        Social attractor: the swarm's best, or the best of each particle and its two
        ring neighbours.
    target_error : float, optional
        Stop as soon as the best error is ``<= target_error``.
    patience : int, optional
        Stop after this many iterations without a strict improvement of the best error.
    seed : int, optional
        Seed of the one generator that draws every random number; the same seed gives
        a bit-identical result whatever the number of Numba threads.  When omitted, a
        seed is drawn from OS entropy and recorded in the result.
    callback : callable, optional
        ``callback(iteration, best_error, best_theta)`` after every iteration; return
        True to stop.  ``best_theta`` is a copy.
    progress : bool, default False
        Show a tqdm progress bar (needs the ``progress`` extra).

    Returns
    -------
    TrainResult
        ``trainer="pso"``; ``history[k]`` is the best error after iteration k;
        ``n_evaluations = swarm_size · (iterations + 1)``.

    Raises
    ------
    NonFiniteObjectiveError
        No particle ever had a finite error (λ·Σw² or the data error overflowed everywhere).
    ValueError
        Also when the swarm's arrays (about ``88 · swarm_size · n_params`` bytes at the
        peak) need more memory than the machine has available.

    Examples
    --------
    >>> import swarmreg as sr
    >>> X_tr, X_te, y_tr, y_te = sr.datasets.iris(test_size=0.2, seed=0)
    >>> net = sr.Network([4, 7, 3])
    >>> res = sr.train_pso(net, X_tr, y_tr, lam=0.001, max_iter=200, seed=1)
    >>> res.iterations
    200
    """
    obj = Objective.build(network, X, y, lam, loss=loss, include_biases=include_biases)
    swarm_size = check_int(swarm_size, "swarm_size", low=2)
    max_iter = check_int(max_iter, "max_iter", low=1)
    inertia = check_real(inertia, "inertia", low=0.0)
    c1 = check_real(c1, "c1", low=0.0)
    c2 = check_real(c2, "c2", low=0.0)
    lo, hi = _check_bounds(bounds)
    init_velocity = check_real(init_velocity, "init_velocity", low=0.0)
    v_max = np.inf if v_max is None else check_real(v_max, "v_max", low=0.0, low_open=True,
                                                    allow_inf=True)
    death_prob = check_real(death_prob, "death_prob", low=0.0, high=1.0)
    check_choice(topology, "topology", TOPOLOGIES)
    target_error = None if target_error is None else check_real(target_error, "target_error")
    target = -np.inf if target_error is None else target_error
    patience = 0 if patience is None else check_int(patience, "patience", low=1)
    seed = check_seed(seed)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    progress = check_bool(progress, "progress")
    P, n = swarm_size, network.n_params
    n_threads = numba.get_num_threads()
    # pos, vel, best_pos and two iterations' draws (3 rows each): 9 (P, n) float64 arrays,
    # and 2 more at the peak, the temporaries of drawing the starting positions.
    check_memory(8 * (11 * P * n + n_threads * obj.scratch_size),
                 f"swarm_size={P} particles of {n} parameters ({network!r})",
                 "use a smaller swarm_size or network")
    open_bar = bar_opener(max_iter, "PSO") if progress else None

    rng = np.random.default_rng(seed)
    pos = lo + (hi - lo) * rng.random((P, n))
    vel = (2.0 * rng.random((P, n)) - 1.0) * (init_velocity * (hi - lo))
    counters = np.zeros(3, dtype=np.int64)
    swarm = pso_kernels.Swarm(
        pos, vel, err=np.empty(P), best_pos=np.empty((P, n)), best_err=np.empty(P),
        gbest=np.empty(n), gbest_err=np.empty(1), counters=counters, rnd=np.empty((2, P, 3, n)),
        reborn=np.zeros((2, P), dtype=np.bool_),
        rng=state_words(rng))  # the kernel continues rng's stream
    gbest, gbest_err = swarm.gbest, swarm.gbest_err
    history = History(max_iter + 1)  # grown as the run goes: a target may end it early
    settings = pso_kernels.Settings(inertia, c1, c2, lo, hi, v_max, death_prob,
                                    topology == "ring", target, patience)
    work = obj.scratch(n_threads)
    # The kernels compile (or load from the cache) before the clock starts.  On a cold first
    # call a second process compiles the loss piece and the error pass meanwhile; the
    # activation piece compiles here, which evens out the two halves.
    activation, *rest = obj.error_pass_jobs()
    with compile_alongside(rest):
        take_tasks = pso_kernels.prepare(swarm, settings, obj.unlinked_error_pass(), obj.lam,
                                         obj.penalty_mask, work, history.array)
        pointer(*activation)
    data = obj.error_pass()

    def iterate(steps, initialize=False):
        # The kernel draws no random numbers beyond the history's last entry; those it did
        # not draw at the end of one call it draws at the start of the next: the same draws.
        hist = history.reserve(int(counters[0]) + steps + 1)
        return pso_kernels.pso_iterate(swarm, settings, data, obj.lam, obj.penalty_mask, work,
                                       hist, initialize, steps, take_tasks)

    start = time.perf_counter()
    code = iterate(0, initialize=True)
    stop_reason = drive(iterate, max_iter, counters, code, _STOP_REASONS, callback=callback,
                        report=lambda: (float(gbest_err[0]), gbest.copy()),
                        open_bar=open_bar)
    elapsed = time.perf_counter() - start
    iterations = int(counters[0])
    if not np.isfinite(gbest_err[0]):
        raise non_finite_run(
            f"no particle had a finite error E in {P * (iterations + 1)} evaluations",
            lam=obj.lam, extra=f", bounds=({lo:g}, {hi:g}) too wide for the activations")
    options = dict(include_biases=obj.include_biases, swarm_size=P, max_iter=max_iter,
                    inertia=inertia, c1=c1, c2=c2, bounds=(lo, hi), init_velocity=init_velocity,
                    v_max=None if np.isinf(v_max) else v_max, death_prob=death_prob,
                    topology=topology, target_error=target_error, patience=patience or None)
    return summarize(obj, gbest, history.array[: iterations + 1], iterations=iterations,
                     n_evaluations=P * (iterations + 1), elapsed=elapsed, stop_reason=stop_reason,
                     trainer="pso", seed=seed, settings=options)
