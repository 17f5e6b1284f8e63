"""What every swarm algorithm shares on the CPU: the iteration loop, the evaluations
spread over the threads, the random draws made ahead, the record of the best position
and the stop tests (docs/design.md §6, §10).

A swarm algorithm (``swarmreg.algorithms``) is a ``State`` (a named tuple of arrays
with at least the fields of ``SHARED_FIELDS``), a ``Settings`` named tuple, and its
kernels:

``draw(swarm, settings, slot)``
    draw one iteration's random numbers into draw slot ``slot`` of the state, serially
    from ``swarm.rng``, in an order fixed by the algorithm (so that a seed gives the
    same swarm whatever the thread count)
``move(task, swarm, settings, slot) -> int``
    move the particle of task ``task`` (0 ≤ task < ``tasks``) with the draws in
    ``slot``; return its index, whose position is then evaluated.  Tasks run in
    parallel, in any order: a move reads the state as the iteration found it and writes
    only its own particle
``take(queue, n_tasks, draw_next, slot_next, moving, slot, swarm, settings, data, lam,
penalty_mask, buf)``
    a ``piece`` whose body is ``run_tasks(..., draw, move)``: one worker's share of an
    iteration.  The algorithm writes it (three lines) so that its ``draw`` and ``move``
    are compiled into it, called directly once per particle, rather than through a
    pointer, which would copy the state's array descriptors at every call (7 % of an
    iteration of Iris 4-7-3 with 20 particles on one thread)
``tasks(swarm, settings, slot) -> int``
    at the start of an iteration, serially: prepare its tasks from the state and the draws
    in ``slot`` (which particles move, a snapshot that moves must read, ...) and return
    how many particles it moves and evaluates (the swarm's size, or fewer)
``start(swarm, settings)``
    after the starting positions are evaluated (e.g. they become the personal bests)
``tell(swarm, settings, slot)``
    after an iteration's evaluations, serially (personal bests, rankings, ...)

``take``, ``tasks``, ``start``, ``tell`` and ``draw`` reach ``iterate`` as ``Pointer``s in
a ``Steps``.  ``iterate`` keeps the shared fields: ``err`` (every particle's error at
``pos``), ``best`` / ``best_err`` (the lowest E evaluated so far and its position: the
run's result, lowest particle index on ties), ``counters`` and ``rng``.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import prange, typeof, types

from .atomic import fetch_add
from .error import evaluate, penalty
from .jit import Pointer, inline, parallel_kernel, pointer_for_types, unlinked
from .stops import HIT_TARGET, RAN_OUT, STALLED

#: The fields ``iterate`` reads and writes in every algorithm's state: ``pos`` (P, n)
#: positions, ``err`` (P,) their errors, ``best`` (n,) and ``best_err`` (1,) the record,
#: ``counters`` (4,) int64 — iterations done, iterations without a new record, 1 when the
#: next iteration's draws are made, evaluations made — and ``rng`` (6,) uint64, the PCG64
#: state (``pcg64.state_words``), advanced in place.
SHARED_FIELDS = ("pos", "err", "best", "best_err", "counters", "rng")


class Steps(NamedTuple):
    """An algorithm's kernels that ``iterate`` calls, as ``Pointer``s (module docstring)."""

    take: Pointer
    tasks: Pointer
    start: Pointer
    tell: Pointer
    draw: Pointer


class Stop(NamedTuple):
    """When ``iterate`` returns early: at ``best_err <= target``, or after ``patience``
    iterations without a new record (0: never)."""

    target: float
    patience: int


def step_signatures(swarm, settings, data, penalty_mask, work):
    """The signature of each kernel of ``Steps`` for a run's arguments."""
    st, se = typeof(swarm), typeof(settings)
    take = tuple(typeof(a) for a in (np.empty(1, dtype=np.int64), 0, True, 0, True, 0, swarm,
                                     settings, data, 0.0, penalty_mask, work[0]))
    return {"take": types.void(*take), "tasks": types.int64(st, se, types.int64),
            "start": types.void(st, se), "tell": types.void(st, se, types.int64),
            "draw": types.void(st, se, types.int64)}


def steps(kernels, swarm, settings, data, penalty_mask, work, linked=True):
    """The ``Steps`` of an algorithm's ``kernels`` (name -> kernel) compiled (or loaded) for
    a run's arguments; ``linked=False``: ``jit.unlinked`` pointers of the same types, to
    compile ``iterate`` meanwhile (never to run)."""
    signatures = step_signatures(swarm, settings, data, penalty_mask, work)
    return Steps(*(pointer_for_types(kernels[name], sig.args) if linked else unlinked(sig)
                   for name, sig in signatures.items()))


@inline
def error_of(theta, lam, data, penalty_mask, buf):
    """``E(θ)``, with a non-finite error counted as +inf so that it never becomes a best."""
    e = evaluate(data, theta, buf)
    if lam != 0.0:  # so that λ = 0 never meets an overflowed (infinite) Σw²
        e += lam * penalty(theta, penalty_mask)
    return e if math.isfinite(e) else np.inf


@inline
def run_tasks(queue, n_tasks, draw_next, slot_next, moving, slot, swarm, settings, data, lam,
              penalty_mask, buf, draw, move):
    """One worker's share of an iteration's region (the body of an algorithm's ``take``):
    take tasks until none is left.

    Task 0 is "draw the next iteration's random numbers into slot ``slot_next``" when
    ``draw_next``; the others are "move (when ``moving``, with the draws of ``slot``) and
    evaluate particle i".  ``take`` is a kernel of its own rather than the body of the
    ``prange`` loop: Numba then types and compiles it once, where a parfor body is typed
    again, and compiled, inside its gufunc.
    """
    while True:
        task = fetch_add(queue, 0, 1)
        if task >= n_tasks:
            break
        if draw_next:
            if task == 0:  # first, so that it overlaps with the evaluations
                draw(swarm, settings, slot_next)
                continue
            task -= 1
        i = move(task, swarm, settings, slot) if moving else task
        swarm.err[i] = error_of(swarm.pos[i], lam, data, penalty_mask, buf)


def prepare(loop, swarm, settings, the_steps, data, lam, penalty_mask, work, history, stop):
    """Compile (or load) ``loop`` (``iterate``, or an algorithm's own of its signature) for a
    run's argument types.  ``the_steps`` and ``data`` may be unlinked (``steps``,
    ``ErrorPass.unlinked``): only their types are used."""
    loop.compile(tuple(typeof(a) for a in (swarm, settings, the_steps, data, lam, penalty_mask,
                                           work, history, stop, False, 0)))


@inline
def _record(swarm, first):
    """Make the lowest error among particles ``first..P−1`` the record if it is lower than
    the record (lowest index on ties); return whether it was."""
    err, pos, best, best_err = swarm.err, swarm.pos, swarm.best, swarm.best_err
    new = -1
    for i in range(first, err.shape[0]):
        if err[i] < best_err[0]:
            best_err[0] = err[i]
            new = i
    if new >= 0:
        for j in range(best.shape[0]):
            best[j] = pos[new, j]
    return new >= 0


@parallel_kernel
def iterate(swarm, settings, steps, data, lam, penalty_mask, work, history, stop, initialize,
            n_iter):
    """Run up to ``n_iter`` iterations of a swarm algorithm in place.

    An iteration k draws (ahead, see below), moves and evaluates ``steps.tasks``
    particles (``steps.take`` in every worker: the algorithm's ``move``, then ``E`` of the
    position it returns; one parallel region), then ``steps.tell``, then updates the record ``best``/``best_err`` with
    every particle's error (a particle that was not evaluated cannot beat it: the record
    is the lowest error ever evaluated) and writes ``history[k] = best_err``.  Iteration
    k's random numbers are drawn, serially from ``swarm.rng``, in slot k % 2 of the
    state while iteration k − 1 (or the start) is evaluated, also when that was in the
    previous call; so a seed gives the same swarm whatever the thread count and however
    the iterations are split into calls.

    Parameters
    ----------
    swarm : the algorithm's State, updated in place; settings : its Settings
    steps : Steps
    data : error.ErrorPass — the data error; ``lam``, ``penalty_mask`` (n,) the penalty
    work : (T, rows, block) float64 scratch for the error kernel, one per worker; T
        workers share out the tasks (T = the number of Numba threads): an evaluation
        overwrites what it reads, so which worker's scratch it uses does not change a
        bit, and T hot buffers stay in cache where P cold ones would not.
    history : (at least counters[0] + n_iter + 1,) float64 — ``history[k]`` = the record
        after iteration k.  No draws are made for iterations beyond its last entry: a
        history grown call by call (``_loop.History``) defers them to the start of the
        next call, which makes the same draws in the same order
    stop : Stop
    initialize : first evaluate every starting position, call ``steps.start``, and make
        the lowest error (lowest index on ties) the record and ``history[0]``.

    Returns
    -------
    int
        ``stops.HIT_TARGET``, ``STALLED`` or ``RAN_OUT``.
    """
    counters = swarm.counters
    n_particles = swarm.pos.shape[0]
    n_workers = work.shape[0]
    max_iter = history.shape[0] - 1
    queue = np.empty(1, dtype=np.int64)  # reset before each region (np.zeros would be a parfor)
    if n_iter > 0 and not initialize and counters[2] == 0:
        steps.draw(swarm, settings, (counters[0] + 1) % 2)
        counters[2] = 1
    step = -1 if initialize else 0  # step −1 evaluates the starting positions
    while step < n_iter:
        moving = step >= 0
        k = counters[0] + 1  # the iteration that this region moves to, or draws for
        k_next = k + 1 if moving else k  # the iteration whose draws this region makes
        draw_next = k_next <= max_iter
        n_moves = steps.tasks(swarm, settings, k % 2) if moving else n_particles
        n_tasks = n_moves + (1 if draw_next else 0)
        queue[0] = 0
        # Caveat: Numba's parfor pass does not see the writes made through calls (all
        # of this loop's), and may move a read that directly follows the loop in the
        # same block to before it.  Only a store to ``counters`` and the ``moving``
        # test follow it; keep array reads out of that block.
        for w in prange(n_workers):
            steps.take(queue, n_tasks, draw_next, k_next % 2, moving, k % 2, swarm, settings,
                       data, lam, penalty_mask, work[w])
        counters[2] = 1 if draw_next else 0
        counters[3] += n_moves

        if not moving:
            steps.start(swarm, settings)
            swarm.best_err[0] = swarm.err[0]
            for j in range(swarm.best.shape[0]):
                swarm.best[j] = swarm.pos[0, j]
            _record(swarm, 1)
            history[0] = swarm.best_err[0]
            if swarm.best_err[0] <= stop.target:
                return HIT_TARGET
            step += 1
            continue

        steps.tell(swarm, settings, k % 2)
        code = finish_iteration(counters, history, swarm.best_err, _record(swarm, 0), stop)
        if code >= 0:
            return code
        step += 1
    return RAN_OUT


@inline
def mean_position(pos, mean):
    """``mean ← (1/P)·Σ_i pos[i]``, summed in particle order."""
    for j in range(pos.shape[1]):
        mean[j] = 0.0
    for i in range(pos.shape[0]):
        for j in range(pos.shape[1]):
            mean[j] += pos[i, j]
    for j in range(pos.shape[1]):
        mean[j] /= pos.shape[0]


@inline
def finish_iteration(counters, history, best_err, improved, stop):
    """Count an iteration, record ``best_err`` in ``history`` and return the stop code it
    meets (``HIT_TARGET``, ``STALLED``), or −1 to go on."""
    if improved:
        counters[1] = 0
    else:
        counters[1] += 1
    counters[0] += 1
    history[counters[0]] = best_err[0]
    if best_err[0] <= stop.target:
        return HIT_TARGET
    if stop.patience > 0 and counters[1] >= stop.patience:
        return STALLED
    return -1
