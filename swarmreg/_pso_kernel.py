"""The jitted particle-swarm loop (DESIGN.md §4).

One call runs up to ``n_iter`` synchronous iterations on swarm state owned by the
caller, so the Python layer can run the whole budget in one call, or in chunks
when it reports progress, with bit-identical results either way.
"""

import math

import numpy as np
from numba import get_thread_id, njit, prange

from ._kernels import _JIT, data_error, penalty

# Why a call returned.
RAN_OUT, HIT_TARGET, STALLED = 0, 1, 2


@njit(**_JIT)
def _error(theta, lam, xb, tb, n_samples, sizes, hidden, output, loss, penalty_mask, buf):
    """``E(θ)``, with a non-finite error counted as +inf so that it never becomes a best."""
    e = data_error(theta, xb, tb, n_samples, sizes, hidden, output, loss, buf)
    if lam != 0.0:  # so that λ = 0 never meets an overflowed (infinite) Σw²
        e += lam * penalty(theta, penalty_mask)
    return e if math.isfinite(e) else np.inf


@njit(parallel=True, **_JIT)
def pso_iterate(pos, vel, err, best_pos, best_err, gbest, gbest_err, counters, history, rnd,
                reborn, rng, initialize, n_iter,
                lam, xb, tb, n_samples, sizes, hidden, output, loss, penalty_mask, work,
                inertia, c1, c2, lo, hi, v_max, death_prob, ring, target, patience):
    """Run up to ``n_iter`` PSO iterations in place.

    Each iteration: (1) draw every random number serially from ``rng`` in a fixed
    order (per particle: r1 row, r2 row, death draw, rebirth row if it dies), so a
    seed gives the same swarm whatever the thread count; (2) move every particle
    (parallel)::

        v ← inertia·v + c1·r1·(p_i − x) + c2·r2·(g_i − x),   |v| ≤ v_max
        x ← clip(x + v, lo, hi)

    where ``p_i`` is the particle's best and ``g_i`` the global best (or, with
    ``ring``, the best of particles i−1, i, i+1); a dying particle keeps its new
    velocity but gets a fresh uniform position; (3) evaluate every particle and
    update its personal best (parallel; a reborn particle's best is reset to its
    new position); (4) update the global best, serially, lowest index on ties.

    Parameters
    ----------
    pos, vel, best_pos : (P, n) float64, updated in place
    err, best_err : (P,) float64, updated in place
    gbest : (n,) float64; gbest_err : (1,) float64 — updated in place
    counters : (2,) int64 — [iterations done so far, iterations without improvement]
    history : (max_iter + 1,) float64 — ``history[k]`` = best error after iteration k
    rnd : (P, 3, n) float64 scratch; reborn : (P,) bool scratch
    work : (T, rows, block) float64 scratch for the error kernel, one per Numba thread
        (T = ``numba.config.NUMBA_NUM_THREADS``): a particle's evaluation overwrites
        what it reads, so which thread's scratch it uses does not change a bit, and T
        hot buffers stay in cache where P cold ones would not.

    With ``initialize``, first evaluate the starting positions and make them the
    personal bests, the best of them (lowest index on ties) the global best and its
    error ``history[0]``.

    Returns
    -------
    int
        ``HIT_TARGET`` when ``gbest_err <= target``, ``STALLED`` after ``patience``
        iterations without improvement (0 disables), else ``RAN_OUT``.
    """
    n_particles, n = pos.shape
    width = hi - lo
    if initialize:
        for i in prange(n_particles):
            err[i] = _error(pos[i], lam, xb, tb, n_samples, sizes, hidden, output, loss,
                            penalty_mask, work[get_thread_id()])
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
    for _ in range(n_iter):
        for i in range(n_particles):
            for j in range(n):
                rnd[i, 0, j] = rng.random()
            for j in range(n):
                rnd[i, 1, j] = rng.random()
            reborn[i] = death_prob > 0.0 and rng.random() < death_prob
            if reborn[i]:
                for j in range(n):
                    rnd[i, 2, j] = rng.random()

        for i in prange(n_particles):
            g = -1  # -1: the global best; otherwise the index of the best neighbour
            if ring:
                g = np.int64(i)  # a prange index may be unsigned; keep the arithmetic signed
                left = (g - 1) % n_particles
                right = (g + 1) % n_particles
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
                for j in range(n):
                    pos[i, j] = lo + width * rnd[i, 2, j]

        for i in prange(n_particles):
            err[i] = _error(pos[i], lam, xb, tb, n_samples, sizes, hidden, output, loss,
                            penalty_mask, work[get_thread_id()])
            if reborn[i] or err[i] < best_err[i]:
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
    return RAN_OUT
