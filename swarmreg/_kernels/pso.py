"""The jitted particle-swarm loop (docs/design.md §6).

One call runs up to ``n_iter`` synchronous iterations on swarm state owned by the
caller, so the Python layer can run the whole budget in one call, or in chunks
when it reports progress, with bit-identical results either way.

Each iteration is one parallel region.  Its tasks are "move and evaluate particle
i" and, while those run, "draw the next iteration's random numbers" — serially,
from the one generator, in a fixed order (docs/design.md §7) — handed out to the
threads through an atomic counter (``atomic.fetch_add``), so the thread that draws
takes fewer particles.  The bests are updated after the region, serially: a ring
neighbour's best must not change while another particle moves towards it.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import prange, typeof

from .atomic import fetch_add
from .error import evaluate, penalty
from .jit import inline, parallel_kernel, piece, pointer_for
from .pcg64 import next_double

# Why a call returned.
RAN_OUT, HIT_TARGET, STALLED = 0, 1, 2


class Swarm(NamedTuple):
    """The state of a run, updated in place by ``pso_iterate`` (P particles of n entries)."""

    pos: np.ndarray  # (P, n) float64 positions
    vel: np.ndarray  # (P, n) float64 velocities
    err: np.ndarray  # (P,) float64 errors at the positions
    best_pos: np.ndarray  # (P, n) float64 personal bests
    best_err: np.ndarray  # (P,) float64 their errors
    gbest: np.ndarray  # (n,) float64 the global best
    gbest_err: np.ndarray  # (1,) float64 its error
    #: (3,) int64: iterations done so far, iterations without improvement, 1 if the next
    #: iteration's draws are already made (start at 0)
    counters: np.ndarray
    #: (2, P, 3, n) float64 and (2, P) bool scratch: iteration k's draws are in slot k % 2,
    #: so that the next ones can be drawn meanwhile
    rnd: np.ndarray
    reborn: np.ndarray
    rng: np.ndarray  # (6,) uint64 the PCG64 state (pcg64.state_words), advanced in place


class Settings(NamedTuple):
    """The swarm's constants (see ``pso_iterate``)."""

    inertia: float
    c1: float
    c2: float
    lo: float
    hi: float
    v_max: float
    death_prob: float
    ring: bool
    target: float
    patience: int


@inline
def _error(theta, lam, data, penalty_mask, buf):
    """``E(θ)``, with a non-finite error counted as +inf so that it never becomes a best."""
    e = evaluate(data, theta, buf)
    if lam != 0.0:  # so that λ = 0 never meets an overflowed (infinite) Σw²
        e += lam * penalty(theta, penalty_mask)
    return e if math.isfinite(e) else np.inf


@inline
def _draw(rng, rnd, reborn, death_prob):
    """One iteration's random numbers from the PCG64 state ``rng`` (``pcg64``).

    The fixed order: per particle its r1 row, its r2 row, then (if ``death_prob > 0``)
    its death draw and, if it dies, its rebirth row.
    """
    n_particles, _, n = rnd.shape
    for i in range(n_particles):
        for j in range(n):
            rnd[i, 0, j] = next_double(rng)
        for j in range(n):
            rnd[i, 1, j] = next_double(rng)
        reborn[i] = death_prob > 0.0 and next_double(rng) < death_prob
        if reborn[i]:
            for j in range(n):
                rnd[i, 2, j] = next_double(rng)


@inline
def _move(i, pos, vel, best_pos, best_err, gbest, rnd, reborn, inertia, c1, c2, lo, hi, v_max,
          ring):
    """Move particle ``i`` with this iteration's draws ``rnd`` (see ``pso_iterate``)."""
    n_particles, n = pos.shape
    g = -1  # -1: the global best; otherwise the index of the best neighbour
    if ring:
        g = i
        left = (i - 1) % n_particles
        right = (i + 1) % n_particles
        if best_err[left] < best_err[g]:
            g = left
        if best_err[right] < best_err[g]:
            g = right
    for j in range(n):
        x = pos[i, j]
        attractor = gbest[j] if g < 0 else best_pos[g, j]
        v = (inertia * vel[i, j] + c1 * rnd[i, 0, j] * (best_pos[i, j] - x)
             + c2 * rnd[i, 1, j] * (attractor - x))
        v = min(max(v, -v_max), v_max)
        vel[i, j] = v
        pos[i, j] = min(max(x + v, lo), hi)
    if reborn[i]:
        width = hi - lo
        for j in range(n):
            pos[i, j] = lo + width * rnd[i, 2, j]


@piece
def take_tasks(queue, n_tasks, draw_next, slot_next, moving, k, swarm, settings, data, lam,
                penalty_mask, buf):
    """One worker's share of an iteration's region: take tasks until none is left.

    Task 0 is "draw the next iteration's random numbers into slot ``slot_next``" when
    ``draw_next``; the others are "move (when ``moving``, with iteration ``k``'s draws)
    and evaluate particle i".  A kernel of its own rather than the body of the
    ``prange`` loop: Numba then types and compiles it once, where a parfor body is
    typed again, and compiled, inside its gufunc.
    """
    pos, vel, err, best_pos, best_err, gbest, _, _, rnd, reborn, rng = swarm
    inertia, c1, c2, lo, hi, v_max, death_prob, ring, _, _ = settings
    while True:
        task = fetch_add(queue, 0, 1)
        if task >= n_tasks:
            break
        if draw_next:
            if task == 0:  # first, so that it overlaps with the evaluations
                _draw(rng, rnd[slot_next], reborn[slot_next], death_prob)
                continue
            task -= 1
        if moving:
            _move(task, pos, vel, best_pos, best_err, gbest, rnd[k % 2], reborn[k % 2],
                  inertia, c1, c2, lo, hi, v_max, ring)
        err[task] = _error(pos[task], lam, data, penalty_mask, buf)


def tasks_pointer(swarm, settings, data, penalty_mask, work):
    """``take_tasks`` compiled for a run's argument types, as the ``Pointer`` that
    ``pso_iterate`` calls: a ``prange`` body is typed and compiled again inside its
    gufunc, a call through a pointer is not."""
    queue = np.empty(1, dtype=np.int64)
    return pointer_for(take_tasks, queue, 0, True, 0, True, 0, swarm, settings, data, 0.0,
                       penalty_mask, work[0])


def prepare(swarm, settings, data, lam, penalty_mask, work, history):
    """Compile (or load) ``take_tasks`` and ``pso_iterate`` for a run's argument types;
    return ``tasks_pointer``'s ``Pointer``.  ``data`` may be ``ErrorPass.unlinked``: only
    its type is used."""
    take = tasks_pointer(swarm, settings, data, penalty_mask, work)
    pso_iterate.compile(tuple(typeof(a) for a in (swarm, settings, data, lam, penalty_mask, work,
                                                  history, False, 0, take)))
    return take


@parallel_kernel
def pso_iterate(swarm, settings, data, lam, penalty_mask, work, history, initialize, n_iter,
                take_tasks):
    """Run up to ``n_iter`` PSO iterations in place.

    Iteration k uses random numbers drawn serially from ``rng`` — the PCG64 state
    of the run's ``np.random.Generator`` (``pcg64.state_words``), advanced in
    place — in a fixed order (see ``_draw``), so a seed gives the same swarm
    whatever the thread count.  They are drawn while iteration k − 1 (or the start)
    is evaluated, also when that was in the previous call.  It moves every particle::

        v ← inertia·v + c1·r1·(p_i − x) + c2·r2·(g_i − x),   |v| ≤ v_max
        x ← clip(x + v, lo, hi)

    where ``p_i`` is the particle's best and ``g_i`` the global best (or, with
    ``ring``, the best of particles i−1, i, i+1 before this iteration); a dying
    particle keeps its new velocity but gets a fresh uniform position; evaluates
    every particle (these two in parallel); then updates each personal best (a
    reborn particle's best is reset to its new position) and the global best,
    lowest index on ties.

    Parameters
    ----------
    swarm : Swarm, updated in place
    settings : Settings
    data : error.ErrorPass — the data error; ``lam``, ``penalty_mask`` (n,) the penalty
    history : (at least counters[0] + n_iter + 1,) float64 — ``history[k]`` = best error
        after iteration k.  No draws are made for iterations beyond its last entry: a
        history grown call by call (``_loop.History``) defers them to the start of the
        next call, which makes the same draws in the same order
    work : (T, rows, block) float64 scratch for the error kernel, one per worker; T
        workers share out the tasks (T = the number of Numba threads): an evaluation
        overwrites what it reads, so which worker's scratch it uses does not change a
        bit, and T hot buffers stay in cache where P cold ones would not.

    With ``initialize``, first evaluate the starting positions and make them the
    personal bests, the best of them (lowest index on ties) the global best and its
    error ``history[0]``.

    Returns
    -------
    int
        ``HIT_TARGET`` when ``gbest_err <= target``, ``STALLED`` after ``patience``
        iterations without improvement (0 disables), else ``RAN_OUT``.
    """
    pos, vel, err, best_pos, best_err, gbest, gbest_err, counters, rnd, reborn, rng = swarm
    inertia, c1, c2, lo, hi, v_max, death_prob, ring, target, patience = settings
    n_particles, n = pos.shape
    n_workers = work.shape[0]
    max_iter = history.shape[0] - 1
    queue = np.empty(1, dtype=np.int64)  # reset before each region (np.zeros would be a parfor)
    if n_iter > 0 and not initialize and counters[2] == 0:
        k = counters[0] + 1
        _draw(rng, rnd[k % 2], reborn[k % 2], death_prob)
        counters[2] = 1
    step = -1 if initialize else 0  # step −1 evaluates the starting positions
    while step < n_iter:
        moving = step >= 0
        k = counters[0] + 1  # the iteration that this region moves to, or draws for
        k_next = k + 1 if moving else k  # the iteration whose draws this region makes
        draw_next = k_next <= max_iter
        slot_next = k_next % 2
        queue[0] = 0
        n_tasks = n_particles + (1 if draw_next else 0)
        # Caveat: Numba's parfor pass does not see the writes made through calls (all
        # of this loop's), and may move a read that directly follows the loop in the
        # same block to before it.  Only a store to ``counters`` and the ``moving``
        # test follow it; keep array reads out of that block.
        for w in prange(n_workers):
            take_tasks(queue, n_tasks, draw_next, slot_next, moving, k, swarm, settings, data,
                       lam, penalty_mask, work[w])
        counters[2] = 1 if draw_next else 0

        if not moving:
            for i in range(n_particles):
                best_err[i] = err[i]
                for j in range(n):
                    best_pos[i, j] = pos[i, j]
            first = 0
            for i in range(1, n_particles):
                if best_err[i] < best_err[first]:
                    first = i
            gbest_err[0] = best_err[first]
            for j in range(n):
                gbest[j] = best_pos[first, j]
            history[0] = gbest_err[0]
            if gbest_err[0] <= target:
                return HIT_TARGET
            step += 1
            continue

        dying = reborn[k % 2]
        for i in range(n_particles):
            if dying[i] or err[i] < best_err[i]:
                best_err[i] = err[i]
                for j in range(n):
                    best_pos[i, j] = pos[i, j]
        best = -1
        for i in range(n_particles):
            if best_err[i] < gbest_err[0]:
                gbest_err[0] = best_err[i]
                best = i
        if best >= 0:
            for j in range(n):
                gbest[j] = best_pos[best, j]
            counters[1] = 0
        else:
            counters[1] += 1
        counters[0] += 1
        history[counters[0]] = gbest_err[0]
        if gbest_err[0] <= target:
            return HIT_TARGET
        if patience > 0 and counters[1] >= patience:
            return STALLED
        step += 1
    return RAN_OUT
