"""Slow NumPy references of the swarm algorithms as a GPU runs them: the updates of
``naive.py``, with each iteration's numbers drawn from the counter-based Philox4x32-10
stream (docs/design.md §7, §13) instead of the serial generator.

Written from the design reference alone: nothing here imports swarmreg, so a test that
compares ``train_pso(device="cuda")`` with these compares two implementations.
"""

import numpy as np

from naive import _mean, _safe  # the same non-finite rule and particle-order mean

_MASK = 0xFFFFFFFF


def philox4x32(key, counter):
    """Philox4x32-10 (Salmon et al. 2011) on Python ints: four 32-bit words."""
    k0, k1 = key
    c0, c1, c2, c3 = counter
    for r in range(10):
        if r:
            k0, k1 = (k0 + 0x9E3779B9) & _MASK, (k1 + 0xBB67AE85) & _MASK
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & _MASK, (p0 >> 32) ^ c3 ^ k1, p0 & _MASK
    return c0, c1, c2, c3


def uniforms(key, k, purpose, i, j):
    """The two doubles of counter (k mod 2^32, purpose + 256·⌊k/2^32⌋, i, j)."""
    k, i, j = int(k), int(i), int(j)  # Python ints: NumPy's would wrap in the products
    w = philox4x32(key, (k & _MASK, purpose + 256 * (k >> 32), i, j))
    return (((w[0] << 32) | w[1]) >> 11) * 2.0 ** -53, (((w[2] << 32) | w[3]) >> 11) * 2.0 ** -53


def _key(rng):
    """The stream's key: two 32-bit words drawn after the start."""
    return tuple(int(v) for v in rng.integers(0, 2**32, size=2, dtype=np.uint64))


def _record(err, pos, best, best_err):
    """The lowest error, lowest index on ties, where strictly below the record."""
    i = int(np.argmin(err))
    return (pos[i].copy(), err[i]) if err[i] < best_err else (best, best_err)


def pso(error, box, *, swarm_size, n_iter, seed, inertia=0.729, c1=1.49445, c2=1.49445,
        bounds=None, init_velocity=0.1, v_max=None, death_prob=0.0, ring=False):
    """PSO (``naive.pso``'s update) with the GPU's draws: r1, r2 of (i, j) in iteration k
    from counter (k, 0, i, j), the death draw from (k, 1, i, 0), a reborn coordinate from
    (k, 2, i, j)."""
    rng = np.random.default_rng(seed)
    box_lo, width = box
    lo, hi = (-np.inf, np.inf) if bounds is None else bounds
    P, n = swarm_size, box_lo.shape[0]
    vmax = np.inf if v_max is None else width if isinstance(v_max, str) else v_max
    safe = _safe(error)
    pos = np.clip(box_lo + width * rng.random((P, n)), lo, hi)
    vel = (2.0 * rng.random((P, n)) - 1.0) * (init_velocity * width)
    key = _key(rng)
    err = np.array([safe(p) for p in pos])
    pbest, pbest_err = pos.copy(), err.copy()
    best, best_err = _record(err, pos, pos[0].copy(), np.inf)
    history = [best_err]
    for k in range(1, n_iter + 1):
        dies = np.array([death_prob > 0 and uniforms(key, k, 1, i, 0)[0] < death_prob
                         for i in range(P)])
        r = np.array([[uniforms(key, k, 0, i, j) for j in range(n)] for i in range(P)])
        attractor = np.empty((P, n))
        for i in range(P):
            g = i
            if ring:
                for other in ((i - 1) % P, (i + 1) % P):
                    if pbest_err[other] < pbest_err[g]:
                        g = other
            attractor[i] = pbest[g] if ring else best
        vel = np.clip(inertia * vel + c1 * r[:, :, 0] * (pbest - pos)
                      + c2 * r[:, :, 1] * (attractor - pos), -vmax, vmax)
        pos = np.clip(pos + vel, lo, hi)
        for i in np.flatnonzero(dies):
            fresh = np.array([uniforms(key, k, 2, i, j)[0] for j in range(n)])
            pos[i] = np.clip(box_lo + width * fresh, lo, hi)
        err = np.array([safe(p) for p in pos])
        better = dies | (err < pbest_err)
        pbest[better], pbest_err[better] = pos[better], err[better]
        best, best_err = _record(err, pos, best, best_err)
        history.append(best_err)
    return best, np.array(history)


def cso(error, box, *, swarm_size, n_iter, seed, phi=0.1, bounds=None, v_max=None):
    """CSO (``naive.cso``'s update) with the GPU's draws: the permutation sorts the
    particles by the key of counter (k, 0, i, 0) (ties by index); pair e's R1, R2 of
    coordinate j from (k, 1, e, j), its R3 from (k, 2, e, j)."""
    rng = np.random.default_rng(seed)
    box_lo, width = box
    lo, hi = (-np.inf, np.inf) if bounds is None else bounds
    vmax = np.inf if v_max is None else width if isinstance(v_max, str) else v_max
    P, n, h = swarm_size, box_lo.shape[0], swarm_size // 2
    safe = _safe(error)
    pos = np.clip(box_lo + width * rng.random((P, n)), lo, hi)
    vel = np.zeros((P, n))
    key = _key(rng)
    err = np.array([safe(p) for p in pos])
    best, best_err = _record(err, pos, pos[0].copy(), np.inf)
    history = [best_err]
    for k in range(1, n_iter + 1):
        keys = [uniforms(key, k, 0, i, 0)[0] for i in range(P)]
        perm = sorted(range(P), key=lambda i: (keys[i], i))
        mean = _mean(pos)
        for e in range(h):
            a, b = perm[e], perm[e + h]
            w, l = (a, b) if err[a] < err[b] else (b, a)
            r12 = np.array([uniforms(key, k, 1, e, j) for j in range(n)])
            r3 = np.array([uniforms(key, k, 2, e, j)[0] for j in range(n)])
            vel[l] = np.clip(r12[:, 0] * vel[l] + r12[:, 1] * (pos[w] - pos[l])
                             + phi * r3 * (mean - pos[l]), -vmax, vmax)
            pos[l] = np.clip(pos[l] + vel[l], lo, hi)
            err[l] = safe(pos[l])
        best, best_err = _record(err, pos, best, best_err)
        history.append(best_err)
    return best, np.array(history)


def slpso(error, box, *, swarm_size, n_iter, seed, base_size=100, alpha=0.5, beta=0.01,
          bounds=None):
    """SL-PSO (``naive.slpso``'s update) with the GPU's draws: rank r's learning draw from
    counter (k, 0, r, 0); learner i's r1, r2 of coordinate j from (k, 1, i, j), its r3 and
    demonstrator draw from (k, 2, i, j)."""
    rng = np.random.default_rng(seed)
    box_lo, width = box
    lo, hi = (-np.inf, np.inf) if bounds is None else bounds
    P, n = swarm_size, box_lo.shape[0]
    learning = (1 - np.arange(P) / P) ** (alpha * np.log(np.ceil(n / base_size)))
    eps = beta * n / base_size
    safe = _safe(error)
    pos = np.clip(box_lo + width * rng.random((P, n)), lo, hi)
    vel = np.zeros((P, n))
    key = _key(rng)
    err = np.array([safe(p) for p in pos])
    best, best_err = _record(err, pos, pos[0].copy(), np.inf)
    history = [best_err]
    for k in range(1, n_iter + 1):
        rank = sorted(range(P), key=lambda i: (-err[i], i))
        learns = [uniforms(key, k, 0, r, 0)[0] < learning[r] and r < P - 1 for r in range(P)]
        mean = _mean(pos)
        frozen = pos.copy()
        for r in range(P):
            if not learns[r]:
                continue
            i = rank[r]
            for j in range(n):
                r1, r2 = uniforms(key, k, 1, i, j)
                r3, d = uniforms(key, k, 2, i, j)
                demo = rank[min(r + 1 + int(d * (P - 1 - r)), P - 1)]
                vel[i, j] = (r1 * vel[i, j] + r2 * (frozen[demo, j] - frozen[i, j])
                             + eps * r3 * (mean[j] - frozen[i, j]))
            pos[i] = np.clip(frozen[i] + vel[i], lo, hi)
            err[i] = safe(pos[i])
        best, best_err = _record(err, pos, best, best_err)
        history.append(best_err)
    return best, np.array(history)
