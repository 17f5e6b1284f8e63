"""Benchmark 7: swarmreg against a PSO written in JAX and jitted end to end.

The JAX peer is the fastest way to write this PSO in JAX: the error of one particle
(the 4-7-3 network, tanh, softmax with the max-shift, ``E = MSE + λ·Σw²`` with
biases unpenalized, docs/design.md §2) is ``vmap``-ed over the swarm, and the whole
run (moves, evaluations, personal and global bests, random numbers from
``jax.random``) is one ``lax.scan`` over the iterations inside one ``jax.jit``, in
float64.  Its coefficients and box are swarmreg's (inertia 0.729, c1 = c2 = 1.49445,
[-10, 10]); it has no death/rebirth step (swarmreg's default ``death_prob=0.01``
costs a draw per particle and iteration).  Its error function is checked against
``sr.regularized_error`` before it is timed.

Both peers run in fresh processes (JAX's and Numba's thread pools never share a
process), interleaved, quiet and then beside one load process running ``train_pso``
with its defaults (``busy.start_load``), on Iris 4-7-3 with 20 and 100 particles.
Each figure is ms per iteration, compilation excluded (``TrainResult.elapsed``;
for JAX, the second call of the compiled function).
"""

from __future__ import annotations

import time

import numpy as np

from _common import (C1, C2, INERTIA, LAM, ForeignLoad, call_in_subprocess, fmt, load_data, note,
                     one_hot, optional_import, ratio, stats, table)

LO, HI = -10.0, 10.0
LAYERS = (4, 7, 3)
PARTICLES = (20, 100)


def jax_pso(X, y, particles, iterations, lam=LAM, layers=LAYERS, dtype="float64"):
    """The jitted JAX PSO and its per-particle error, for a network of ``layers`` (tanh
    hidden layers, softmax output) in float type ``dtype``, on JAX's default device (inside
    ``jax.default_device(...)``, the one chosen there).

    Returns
    -------
    run : callable(key) -> (best error, best θ)
        Jitted; ``iterations`` iterations after the initial evaluation.
    error : callable(θ (n,)) -> E
    n : int
        Parameters per particle.
    """
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    ft = jnp.dtype(dtype)
    Xj = jnp.asarray(X, dtype=ft)
    T = jnp.asarray(one_hot(y, layers[-1]), dtype=ft)
    shapes, n = [], 0
    for d_in, d_out in zip(layers[:-1], layers[1:]):
        shapes.append((n, d_in, d_out))  # θ layout (docs/design.md §3): W row-major, then b
        n += d_in * d_out + d_out

    def error(theta):
        a, penalty = Xj, 0.0
        for li, (off, d_in, d_out) in enumerate(shapes):
            W = theta[off: off + d_in * d_out].reshape(d_in, d_out)
            b = theta[off + d_in * d_out: off + d_in * d_out + d_out]
            penalty = penalty + jnp.sum(W * W)
            z = a @ W + b
            if li < len(shapes) - 1:
                a = jnp.tanh(z)
            else:
                z = z - jnp.max(z, axis=1, keepdims=True)
                e = jnp.exp(z)
                a = e / jnp.sum(e, axis=1, keepdims=True)
        mse = jnp.sum((a - T) ** 2) / Xj.shape[0]
        return mse + lam * penalty

    swarm_error = jax.vmap(error)

    def finite(err):
        return jnp.where(jnp.isfinite(err), err, jnp.inf)

    def step(state, key):
        pos, vel, pbest, pbest_err, gbest, gbest_err = state
        r1, r2 = jax.random.uniform(key, (2, particles, n), dtype=ft)
        vel = INERTIA * vel + C1 * r1 * (pbest - pos) + C2 * r2 * (gbest - pos)
        pos = jnp.clip(pos + vel, LO, HI)
        err = finite(swarm_error(pos))
        better = err < pbest_err
        pbest = jnp.where(better[:, None], pos, pbest)
        pbest_err = jnp.where(better, err, pbest_err)
        g = jnp.argmin(pbest_err)
        improved = pbest_err[g] < gbest_err
        gbest = jnp.where(improved, pbest[g], gbest)
        gbest_err = jnp.where(improved, pbest_err[g], gbest_err)
        return (pos, vel, pbest, pbest_err, gbest, gbest_err), None

    @jax.jit
    def run(key):
        k_pos, k_vel, k_steps = jax.random.split(key, 3)
        pos = jax.random.uniform(k_pos, (particles, n), ft, LO, HI)
        vel = jax.random.uniform(k_vel, (particles, n), ft, -1.0, 1.0) * (0.1 * (HI - LO))
        err = finite(swarm_error(pos))
        g = jnp.argmin(err)
        state = (pos, vel, pos, err, pos[g], err[g])
        state, _ = jax.lax.scan(step, state, jax.random.split(k_steps, iterations))
        return state[5], state[4]

    return run, jax.jit(error), n


def verify(X, y, error, n, seed=0, layers=LAYERS):
    """Largest relative difference of the JAX error from ``sr.regularized_error``."""
    import swarmreg as sr

    net = sr.Network(list(layers))
    assert net.n_params == n
    thetas = np.random.default_rng(seed).uniform(LO, HI, (8, n))
    ref = sr.regularized_error(net, thetas, X, y, LAM)
    got = np.array([float(error(t)) for t in thetas])
    rel = float(np.max(np.abs(got - ref) / np.abs(ref)))
    assert rel <= 1e-10, f"the JAX error disagrees with sr.regularized_error: {rel:.3g}"
    return rel


def measure_jax(particles, iterations, repeats):
    """In a fresh process: ms per iteration of the jitted JAX PSO (compiled first)."""
    import jax

    X, y = load_data("iris")
    run, error, n = jax_pso(X, y, particles, iterations)
    rel = verify(X, y, error, n)
    jax.block_until_ready(run(jax.random.PRNGKey(0)))  # compile
    ms = []
    for r in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(run(jax.random.PRNGKey(r + 1)))
        ms.append(1e3 * (time.perf_counter() - t) / iterations)
    return {"ms": ms, "verify_rel": rel, "jax": jax.__version__}


def measure_swarmreg(particles, iterations, repeats):
    """In a fresh process: ms per iteration of a cached ``train_pso`` (default threads)."""
    import swarmreg as sr

    X, y = load_data("iris")
    net = sr.Network(list(LAYERS))
    sr.train_pso(net, X, y, lam=LAM, swarm_size=particles, max_iter=20, seed=0)  # warm-up
    ms = []
    for r in range(repeats):
        res = sr.train_pso(net, X, y, lam=LAM, swarm_size=particles, max_iter=iterations,
                           seed=r + 1)
        ms.append(1e3 * res.elapsed / res.iterations)
    return {"ms": ms}


def _phase(rounds, iterations, repeats):
    import busy

    samples = {(peer, p): [] for peer in ("swarmreg", "jax") for p in PARTICLES}
    extra = {}
    for _ in range(rounds):
        for p in PARTICLES:
            for peer in ("swarmreg", "jax"):
                out = call_in_subprocess("jaxpso", f"measure_{peer}",
                                         {"particles": p, "iterations": iterations,
                                          "repeats": repeats}, env=busy.child_env())
                samples[(peer, p)] += out["ms"]
                extra.update({k: v for k, v in out.items() if k != "ms"})
    return {f"{peer} P={p}": stats(v) for (peer, p), v in samples.items()}, extra


def run(cfg, notes):
    """Run benchmark 7; return ``(results, tables)`` (empty when JAX is missing)."""
    if optional_import("jax", notes, "the JAX PSO peer (pip install jax)") is None:
        return {"skipped": "jax not installed"}, []
    import busy

    rounds = 2 if cfg.quick else 3
    iterations = 300 if cfg.quick else 2000
    repeats = 2 if cfg.quick else 3
    results = {}
    with ForeignLoad() as quiet:
        results["quiet"], extra = _phase(rounds, iterations, repeats)
    load = busy.start_load(60 + 60 * rounds * len(PARTICLES))
    try:
        cpu0, t0 = busy.cpu_seconds(load.pid), time.monotonic()
        with ForeignLoad() as beside:
            results["busy"], _ = _phase(rounds, iterations, repeats)
        cpu1, t1 = busy.cpu_seconds(load.pid), time.monotonic()
    finally:
        busy.stop_load(load)
    load_cores = None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) / (t1 - t0)
    results.update(extra, quiet_foreign_cores=quiet.cores, load_process_cores=load_cores,
                   busy_foreign_cores=None if beside.cores is None or load_cores is None
                   else max(0.0, beside.cores - load_cores))
    rows = []
    for p in PARTICLES:
        q = [results["quiet"][f"{peer} P={p}"]["median"] for peer in ("swarmreg", "jax")]
        b = [results["busy"][f"{peer} P={p}"]["median"] for peer in ("swarmreg", "jax")]
        results[f"jax_over_swarmreg P={p}"] = {"quiet": ratio(q[1], q[0]),
                                               "busy": ratio(b[1], b[0])}
        rows.append([f"Iris 4-7-3, P={p}", fmt(q[0]), fmt(q[1]), fmt(ratio(q[1], q[0])),
                     fmt(b[0]), fmt(b[1]), fmt(ratio(b[1], b[0]))])
    if quiet.cores is not None and quiet.cores > 0.25:
        note(notes, f"jaxpso: the 'quiet' phase had {quiet.cores:.2f} cores of other load.")
    tab = table(
        f"swarmreg against a jitted JAX PSO (lax.scan + vmap, float64): ms per iteration, "
        f"{iterations} iterations (median)",
        ["case", "swarmreg quiet", "JAX quiet", "× (JAX ÷ swarmreg)", "swarmreg beside",
         "JAX beside", "× beside"],
        rows,
        f"JAX {results.get('jax')}; its error matches sr.regularized_error to "
        f"{fmt(results.get('verify_rel'))}. 'beside': next to one process running train_pso "
        f"with its defaults in a loop ({fmt(load_cores)} cores). Other load: quiet "
        f"{fmt(quiet.cores)}, beside {fmt(results['busy_foreign_cores'])} cores.")
    return results, [tab]
