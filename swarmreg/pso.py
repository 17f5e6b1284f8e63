"""Train a network by a swarm algorithm (``algorithms``) on the regularized error."""

import functools

import numpy as np

from . import devices
from ._kernels.swarm import Stop
from ._docs import fill
from ._loop import History, bar_opener, check_seed, drive, non_finite_run
from ._training import CHECKPOINT_EVERY, Session, starting_state
from ._validation import check_bool, check_choice, check_int, check_real
from .algorithms import ALGORITHMS
from .error import Objective
from .result import summarize

__all__ = ["train_pso"]


def algorithm_options(algorithm, options):
    """The ``Options`` of ``algorithm`` built from the keyword arguments ``options``;
    TypeError naming the algorithm's options for one it does not take."""
    fields = algorithm.options.__dataclass_fields__
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise TypeError(f"train_pso(algorithm={algorithm.name!r}) got unexpected option(s) "
                        f"{', '.join(map(repr, unknown))}; {algorithm.name!r} takes "
                        f"{', '.join(fields)}")
    return algorithm.options(**options)


def train_pso(network, X, y, *, lam=0.0, loss="mse", include_biases=False, algorithm="pso",
              swarm_size=None, max_iter=1000, target_error=None, patience=None, seed=None,
              callback=None, progress=False, device="cpu", dtype="float64", checkpoint=None,
              checkpoint_every=CHECKPOINT_EVERY, resume=None, init=None, **options):
    """Train ``network`` by particle swarm optimization of ``E(θ) = D(θ) + λ·Σ w²``.

    A swarm only ever evaluates the error, so ``lam`` is λ_E, the project's canonical
    λ (docs/design.md §2).  Each particle is one flat θ.  Iterations are synchronous:
    move the particles, evaluate them in parallel, then update the algorithm's bests
    and the record of the best position (``_kernels.swarm.iterate``; each algorithm's
    module gives its exact update).

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
    algorithm : {<ALGORITHMS>}, default "pso"
        The swarm algorithm (``swarmreg.algorithms.ALGORITHMS``).
    swarm_size : int, optional
        Number of particles, ≥ 2; by default the algorithm's (30 for ``"pso"``, 100 for
        ``"cso"``, ``100 + n_params // 10`` for ``"slpso"``).
    max_iter : int, default 1000
        Iteration budget, ≥ 1.
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
    device : {<DEVICES>}, default "cpu"
        Where the swarm runs (``swarmreg.devices``, docs/design.md §13): ``"cuda"`` runs the
        whole iteration on an NVIDIA GPU (needs the ``cuda`` extra, numba-cuda; ``"pso"``,
        ``"cso"`` and ``"slpso"``), many iterations per kernel launch; its draws come from a
        counter-based stream, so a seed gives the same bits on every run on one GPU and a
        run agrees with a CPU run in distribution, not bit for bit.
    dtype : {<DTYPES>}, default "float64"
        The float type of the swarm's positions and of the error's arithmetic.
        ``"float32"``: each item's loss is summed in float64, so E agrees with float64 to
        about 1e-6 relative (or better); the result's θ is float64 and its ``error``
        computed again in float64.
    checkpoint : str or path-like, optional
        Write the run's complete state there (docs/design.md §12): at the start, every
        ``checkpoint_every`` seconds between two chunks of the loop, at the end and on
        Ctrl-C; atomically, the file it replaces kept as ``PATH.prev``.
    checkpoint_every : float ≥ 0, default 180
        Seconds between two checkpoints.
    resume : str or path-like, optional
        Go on with the run of this checkpoint (``PATH.prev`` if ``PATH`` is damaged or
        missing, with a warning): every other argument must be the one it was written
        with (``CheckpointError`` names each difference; ``seed`` may be omitted), and
        the result is bit-identical to the same run uninterrupted.
    init : TrainResult, TrainState or checkpoint path, optional
        Continue that run (``result.state``, a ``TrainState`` or a checkpoint file):
        ``max_iter`` (counted from the run's start), ``target_error`` and ``patience``
        may differ, nothing else; the result is bit-identical to one run of the new
        ``max_iter``.
    **options
        The algorithm's own options, the fields of its ``Options``
        (``swarmreg.algorithms.<name>.Options``).  ``"pso"``: ``inertia`` (0.729),
        ``c1``, ``c2`` (1.49445), ``bounds`` ((−10, 10): the box of the initial positions
        and of the search), ``init_velocity`` (0.1, times the box's width),
        ``v_max`` (None: no clamp), ``death_prob`` (0.01) and ``topology`` ("global" or
        "ring").

    Returns
    -------
    TrainResult
        ``trainer="pso"``; ``history[k]`` is the best error after iteration k;
        ``n_evaluations`` the full passes over the data (``swarm_size · (iterations + 1)``
        for ``"pso"``); ``settings`` holds the algorithm's name and its options; ``state``
        the swarm's final state (for ``init=``).

    Raises
    ------
    TrainingInterrupted
        On Ctrl-C (a ``KeyboardInterrupt``): its ``result`` is the best found so far,
        ``stop_reason="interrupted"``.
    CheckpointError
        ``resume`` or ``init`` is of another run, or unreadable.
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
    check_choice(algorithm, "algorithm", tuple(ALGORITHMS))
    algo = ALGORITHMS[algorithm]
    opts = algorithm_options(algo, options)
    if swarm_size is None:
        swarm_size = algo.swarm_size(network.n_params)
    swarm_size = check_int(swarm_size, "swarm_size", low=2)
    max_iter = check_int(max_iter, "max_iter", low=1)
    target_error = None if target_error is None else check_real(target_error, "target_error")
    target = -np.inf if target_error is None else target_error
    patience = 0 if patience is None else check_int(patience, "patience", low=1)
    start = starting_state(resume, init)
    seed = check_seed(start[0].seed if seed is None and start[0] is not None else seed)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    progress = check_bool(progress, "progress")
    where = devices.select(device, dtype)
    if dtype not in algo.dtypes:
        raise ValueError(f"algorithm={algorithm!r} runs in dtype "
                         f"{', '.join(map(repr, algo.dtypes))} only, got dtype={dtype!r}")
    P, n = swarm_size, network.n_params
    settings = dict(include_biases=obj.include_biases, algorithm=algorithm, swarm_size=P,
                    max_iter=max_iter, **vars(opts), target_error=target_error,
                    patience=patience or None, device=device, dtype=dtype)
    session = Session("pso", network, obj, dict(lam=obj.lam, loss=loss, seed=seed, **settings),
                      ("max_iter", "target_error", "patience"), start, init is not None,
                      checkpoint, checkpoint_every)
    where.check_memory(algo, P, n, obj, dtype)
    open_bar = bar_opener(max_iter, "PSO") if progress else None

    state, algo_settings = algo.init(opts, P, obj, np.random.default_rng(seed))
    history = History(max_iter + 1)  # grown as the run goes: a target may end it early
    state = session.restore(state, history)
    runner = where.runner(algo, opts, state, algo_settings, obj, history, Stop(target, patience),
                          dtype)
    session.watch(runner.state, history, runner.counters)

    session.begin()
    if session.start is None:
        code = runner.iterate(0, initialize=True)
    else:
        code = session.resumed_code(runner.best()[0], runner.counters, target, patience)
    if open_bar is not None:
        open_bar = functools.partial(open_bar, initial=int(runner.counters[0]))

    def finish(stop_reason):
        elapsed = session.elapsed()
        iterations = int(runner.counters[0])
        best_err, best = runner.best()
        n_evaluations = (int(runner.counters[3]) if algo.evaluations is None
                         else int(round(algo.evaluations(runner.state()))))
        if not np.isfinite(best_err) and stop_reason != "interrupted":
            raise non_finite_run(f"no particle had a finite error E in {n_evaluations} "
                                 "evaluations", lam=obj.lam,
                                 extra=f", {opts.start_description()} too wide for the activations")
        return summarize(obj, best, history.array[: iterations + 1], iterations=iterations,
                         n_evaluations=n_evaluations, elapsed=elapsed, stop_reason=stop_reason,
                         trainer="pso", seed=seed, settings=settings,
                         state=session.snapshot(stop_reason, elapsed))

    return session.run(
        lambda between: drive(runner.iterate, max_iter, runner.counters, code, callback=callback,
                              report=runner.best, open_bar=open_bar, between=between),
        finish)


train_pso.__doc__ = fill(train_pso.__doc__, ALGORITHMS=ALGORITHMS, DEVICES=devices.DEVICES,
                         DTYPES=dict.fromkeys(devices.DTYPES))
