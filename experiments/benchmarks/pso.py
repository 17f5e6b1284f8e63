"""Benchmark 1: cost of one PSO iteration, swarmreg against PySwarms and plain NumPy.

Every peer runs the same swarm (size, inertia 0.729, c1 = c2 = 1.49445, box
[-10, 10]) for the same number of iterations on the same error
``E = MSE + λ·Σw²`` (docs/design.md §2), so the ratios compare implementations, not
algorithms.  The two peers share one NumPy evaluator of the whole swarm
(``NumpySwarmError``), checked against ``sr.regularized_error`` once per case.

Repeats are interleaved (swarmreg, NumPy, PySwarms, swarmreg, ...) so that load
from other processes on the shared machine hits all peers alike, and each starts
once the BLAS threads of the one before have stopped spinning
(``_common.wait_until_idle``); each figure is the median over the repeats of
(wall time / iterations).
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from _common import (C1, C2, INERTIA, LAM, ForeignLoad, blas_threads, call_in_subprocess, fmt,
                     forward_flops, iterations_for, load_data, note, numba_threads, one_hot,
                     optional_import, ratio, scratch_cwd, stats, table, wait_until_idle)

LO, HI = -10.0, 10.0  # swarmreg's default box, given to every peer

#: (data, layers, particles) of each case.
CASES = [
    ("iris", (4, 7, 3), 20),
    ("iris", (4, 7, 3), 100),
    ("iris", (4, 10, 3), 20),
    ("iris", (4, 10, 3), 100),
    ("digits", (64, 32, 10), 20),
    ("digits", (64, 32, 10), 100),
]


def case_name(data, layers, particles):
    return f"{data} {'-'.join(map(str, layers))}, P={particles}"


# --------------------------------------------------------------------------- the NumPy peer


class NumpySwarmError:
    """``E(θ)`` of every particle of a swarm at once, with batched matrix products.

    The efficient way to write a PSO objective in NumPy: each layer's weights are
    unpacked for all particles at once as a ``(P, d_in, d_out)`` view of the
    position matrix, and each product runs over all items of all particles in BLAS.

    Parameters
    ----------
    net : swarmreg.Network
        tanh hidden layers and a softmax output (the benchmark networks).
    X : ndarray (N, d)
    y : ndarray of int (N,)
    lam : float
        λ_E, applied to weights only.
    """

    def __init__(self, net, X, y, lam):
        if net.hidden != "tanh" or net.output != "softmax":
            raise ValueError("NumpySwarmError implements tanh hidden layers and a softmax output")
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.T = one_hot(y, net.n_outputs)
        self.lam = float(lam)
        self.n = net.n_params
        # θ layout (docs/design.md §3): per layer W (d_in, d_out) row-major, then b.
        self.layers, off = [], 0
        for d_in, d_out in zip(net.layers[:-1], net.layers[1:]):
            w = slice(off, off + d_in * d_out)
            b = slice(w.stop, w.stop + d_out)
            self.layers.append((d_in, d_out, w, b))
            off = b.stop

    def terms(self, pos):
        """MSE and Σw² of each row of ``pos`` (P, n_params)."""
        P, N = pos.shape[0], self.X.shape[0]
        pen = np.zeros(P)
        A = None  # activations of the previous layer, (P, N, d_in)
        for li, (d_in, d_out, ws, bs) in enumerate(self.layers):
            Wflat = pos[:, ws]
            pen += np.einsum("pk,pk->p", Wflat, Wflat)
            W = Wflat.reshape(P, d_in, d_out)
            if li == 0:
                # X is shared by all particles: one (N, d_in) @ (d_in, P·d_out) GEMM.
                # np.matmul(X, W) broadcasts X with a zero stride and then does not call
                # BLAS at all (measured 12x slower on digits, P = 100).
                Z = (self.X @ W.transpose(1, 0, 2).reshape(d_in, P * d_out))
                Z = Z.reshape(N, P, d_out).transpose(1, 0, 2)  # (P, N, d_out) view, no copy
            else:
                Z = np.matmul(A, W)  # one GEMM per particle, in BLAS
            Z += pos[:, None, bs]
            if li < len(self.layers) - 1:
                np.tanh(Z, out=Z)
            else:  # softmax with the max-shift, as swarmreg's kernel
                Z -= Z.max(axis=2, keepdims=True)
                np.exp(Z, out=Z)
                Z /= Z.sum(axis=2, keepdims=True)
            A = Z
        A -= self.T
        np.square(A, out=A)
        return A.sum(axis=(1, 2)) / N, pen

    def __call__(self, pos):
        mse, pen = self.terms(pos)
        return mse + self.lam * pen


def verify(net, X, y, evaluator, particles, seed=0):
    """Assert that the NumPy evaluator computes swarmreg's E (relative error ≤ 1e-10).

    Guards against a fast but wrong peer.  The data term is checked on its own too,
    because with positions in [-10, 10] the penalty dominates E and would hide an
    error in the forward pass.

    Returns
    -------
    float
        The largest relative difference seen.
    """
    import swarmreg as sr

    pos = np.random.default_rng(seed).uniform(LO, HI, (particles, net.n_params))
    ref, ref_mse, _ = sr.regularized_error(net, pos, X, y, LAM, return_terms=True)
    mse, pen = evaluator.terms(pos)
    got = mse + LAM * pen
    rel = max(float(np.max(np.abs(got - ref) / np.abs(ref))),
              float(np.max(np.abs(mse - ref_mse) / np.abs(ref_mse))))
    assert rel <= 1e-10, f"NumPy evaluator disagrees with sr.regularized_error: {rel:.3g}"
    return rel


def numpy_pso(f, n, particles, iterations, seed):
    """A minimal global-best PSO in NumPy with swarmreg's coefficients and box.

    Returns
    -------
    float
        Wall seconds per iteration (including the initial evaluation, as
        ``TrainResult.elapsed`` does).
    """
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    pos = rng.uniform(LO, HI, (particles, n))
    vel = rng.uniform(-1.0, 1.0, (particles, n)) * (0.1 * (HI - LO))
    err = f(pos)
    err[~np.isfinite(err)] = np.inf
    pbest, pbest_err = pos.copy(), err.copy()
    g = int(np.argmin(pbest_err))
    gbest, gbest_err = pbest[g].copy(), pbest_err[g]
    r = np.empty((2, particles, n))
    tmp = np.empty((particles, n))
    for _ in range(iterations):
        rng.random(out=r)
        # v ← w·v + c1·r1·(p − x) + c2·r2·(g − x), in place: no temporaries per step
        vel *= INERTIA
        np.subtract(pbest, pos, out=tmp)
        tmp *= r[0]
        tmp *= C1
        vel += tmp
        np.subtract(gbest, pos, out=tmp)
        tmp *= r[1]
        tmp *= C2
        vel += tmp
        pos += vel
        np.clip(pos, LO, HI, out=pos)
        err = f(pos)
        err[~np.isfinite(err)] = np.inf
        better = err < pbest_err
        pbest[better] = pos[better]
        pbest_err[better] = err[better]
        g = int(np.argmin(pbest_err))
        if pbest_err[g] < gbest_err:
            gbest[:], gbest_err = pbest[g], pbest_err[g]
    return (time.perf_counter() - start) / iterations


def _pyswarms_optimizer(ps, n, particles):
    # PySwarms configures the root logger and opens report.log in the current
    # directory whenever an optimizer is built: keep that file out of the repository.
    with scratch_cwd():
        return ps.single.GlobalBestPSO(
            n_particles=particles, dimensions=n,
            options={"c1": C1, "c2": C2, "w": INERTIA},
            bounds=(LO * np.ones(n), HI * np.ones(n)))


def pyswarms_pso(ps, f, n, particles, iterations, seed):
    """PySwarms' GlobalBestPSO on the shared evaluator; wall seconds per iteration.

    Its ``optimize`` also keeps every position and velocity matrix in its history:
    part of its cost, timed here as a user would pay it.
    """
    np.random.seed(seed)  # PySwarms draws from NumPy's global generator
    opt = _pyswarms_optimizer(ps, n, particles)
    start = time.perf_counter()
    # PySwarms evaluates at the top of each of its iterations and moves at the bottom;
    # iters = M + 1 makes it evaluate M + 1 swarms (the initial one and M moves), as
    # train_pso and numpy_pso do, so no peer is timed for one evaluation fewer.
    opt.optimize(f, iters=iterations + 1, verbose=False)
    return (time.perf_counter() - start) / iterations


def swarmreg_pso(net, X, y, particles, iterations, seed):
    """``train_pso``'s own clock: ``elapsed`` excludes compilation and set-up."""
    import swarmreg as sr

    res = sr.train_pso(net, X, y, lam=LAM, swarm_size=particles, max_iter=iterations, seed=seed)
    return res.elapsed / res.iterations


def measure_swarmreg(cases, repeats):
    """Seconds per iteration of ``train_pso`` for each case, in this process.

    Run in a subprocess with ``NUMBA_NUM_THREADS=1`` for the 1-thread figures.

    Parameters
    ----------
    cases : list of dict
        Keys ``data``, ``layers``, ``particles``, ``iterations``.
    repeats : int

    Returns
    -------
    dict
        ``numba_threads`` and, per case, ``stats`` of ms per iteration.
    """
    import swarmreg as sr

    out = []
    for case in cases:
        X, y = load_data(case["data"])
        net = sr.Network(case["layers"])
        swarmreg_pso(net, X, y, case["particles"], min(case["iterations"], 5), seed=10_000)
        with ForeignLoad() as load:
            times = [swarmreg_pso(net, X, y, case["particles"], case["iterations"], seed=r)
                     for r in range(repeats)]
        out.append({**stats(times, 1e3), "foreign_cores": load.cores})
    return {"numba_threads": numba_threads(), "results": out}


def measure_swarmreg_1thread(cases, repeats):
    """``measure_swarmreg`` in a fresh process limited to one Numba thread."""
    return call_in_subprocess("pso", "measure_swarmreg", {"cases": cases, "repeats": repeats},
                              env={"NUMBA_NUM_THREADS": 1})


# --------------------------------------------------------------------------- matmul peak


def matmul_peak(sizes, repeats):
    """Best float64 GFLOP/s of ``np.matmul`` on square matrices, all BLAS threads and 1.

    The ceiling a dense kernel could reach on this machine; the share of it that
    swarmreg's forward pass reaches says how much room is left.
    """
    rng = np.random.default_rng(0)

    def best(sizes):
        per = {}
        for n in sizes:
            a, b = rng.random((n, n)), rng.random((n, n))
            out = np.empty((n, n))
            np.matmul(a, b, out=out)  # warm-up: BLAS threads started, pages touched
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                np.matmul(a, b, out=out)
                times.append(time.perf_counter() - t)
            per[str(n)] = 2.0 * n ** 3 / float(np.median(times)) / 1e9
        return {"gflops_by_size": per, "best_gflops": max(per.values())}

    result = {"all_threads": best(sizes), "blas_threads": blas_threads()}
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        result["one_thread"] = None
        result["one_thread_note"] = "threadpoolctl not installed: 1-thread peak not measured"
        return result
    with threadpool_limits(limits=1, user_api="blas"):
        result["one_thread"] = best(sizes)
    return result


# --------------------------------------------------------------------------- memory


def _traced(fn):
    """Peak and still-held bytes that ``fn()`` allocates through NumPy (tracemalloc).

    NumPy reports its buffers to tracemalloc; memory that Numba allocates inside a
    kernel is not traced, but swarmreg allocates its swarm state in NumPy before the
    kernel runs.  ``fn`` returns the objects whose memory should count as held.
    """
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        keep = fn()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del keep
    return peak - base, current - base


def memory(ps, net, X, y, evaluator, particles, iterations):
    """Peak traced memory of one run of each peer (digits case).

    PySwarms keeps every iteration's position and velocity matrices in
    ``pos_history``/``velocity_history``: its memory grows by about
    2·P·n·8 bytes per iteration, which over swarmreg's default 1000 iterations is
    more than the data.  ``held_per_iter`` is what the optimizer object still holds
    after ``optimize``, per iteration.
    """
    import swarmreg as sr

    out = {"particles": particles, "iterations": iterations}
    out["swarmreg"] = dict(zip(("peak_bytes", "held_bytes"), _traced(
        lambda: sr.train_pso(net, X, y, lam=LAM, swarm_size=particles, max_iter=iterations,
                             seed=0))))
    out["numpy"] = dict(zip(("peak_bytes", "held_bytes"), _traced(
        lambda: numpy_pso(evaluator, net.n_params, particles, iterations, 0))))
    if ps is not None:
        def held_by_pyswarms(m):
            def run_ps():
                np.random.seed(0)
                opt = _pyswarms_optimizer(ps, net.n_params, particles)
                opt.optimize(evaluator, iters=m, verbose=False)
                return opt  # its history is what stays allocated
            return _traced(run_ps)
        # The growth between 1 and ``iterations`` iterations is the history alone; the
        # optimizer's own swarm state is in both and cancels.
        _, held1 = held_by_pyswarms(1)
        peak, held = held_by_pyswarms(iterations)
        per_iter = (held - held1) / (iterations - 1)
        out["pyswarms"] = {"peak_bytes": peak, "held_bytes": held, "held_per_iter_bytes": per_iter,
                           "projected_held_1000_iter_bytes": held1 + 999 * per_iter}
    return out


# --------------------------------------------------------------------------- the benchmark


def run(cfg, notes):
    """Run benchmark 1; return ``(results, tables)``."""
    import swarmreg as sr

    ps = optional_import("pyswarms", notes, "the PySwarms columns of the PSO benchmark")
    sk = optional_import("sklearn", notes, "the digits cases (the data comes from scikit-learn)")

    sizes = (256, 512, 1024) if cfg.quick else (512, 1024, 2048)
    peak = matmul_peak(sizes, 3 if cfg.quick else 5)
    peak2 = peak["all_threads"]["best_gflops"]
    peak1 = peak["one_thread"]["best_gflops"] if peak["one_thread"] else None
    if peak1 is None:
        note(notes, peak["one_thread_note"])

    # --quick drops the costliest case (digits, 100 particles: ~0.3 s per NumPy iteration).
    cases = [c for c in CASES if not (cfg.quick and c[0] == "digits" and c[2] == 100)]
    if sk is None:
        cases = [c for c in cases if c[0] != "digits"]
    # Memory is measured once, on the largest digits case (or none without scikit-learn).
    memory_case = max((c for c in cases if c[0] == "digits"), key=lambda c: c[2], default=None)
    results, pending = [], []
    for data, layers, P in cases:
        X, y = load_data(data)
        net = sr.Network(layers)
        f = NumpySwarmError(net, X, y, LAM)
        rel = verify(net, X, y, f, P)
        # Warm-up (compiles or loads swarmreg's kernels, starts the BLAS threads) and
        # per-iteration estimate; the slowest peer sets the shared iteration count.
        est = [swarmreg_pso(net, X, y, P, 3, seed=10_000), numpy_pso(f, net.n_params, P, 3, 10_000)]
        if ps is not None:
            est.append(pyswarms_pso(ps, f, net.n_params, P, 3, 10_000))
        lo = 2 if cfg.quick else 10
        M = iterations_for(max(est), cfg.target, lo, 2000)
        t_sr, t_np, t_ps = [], [], []
        with ForeignLoad() as load:
            for r in range(cfg.repeats):  # each from a quiet process (wait_until_idle)
                wait_until_idle()
                t_sr.append(swarmreg_pso(net, X, y, P, M, seed=r))
                wait_until_idle()
                t_np.append(numpy_pso(f, net.n_params, P, M, seed=r))
                if ps is not None:
                    wait_until_idle()
                    t_ps.append(pyswarms_pso(ps, f, net.n_params, P, M, seed=r))
        s_sr, s_np = stats(t_sr, 1e3), stats(t_np, 1e3)
        s_ps = stats(t_ps, 1e3) if ps is not None else None
        sec = s_sr["median"] / 1e3
        flops = P * forward_flops(layers, len(X))
        results.append({
            "name": case_name(data, layers, P), "data": data, "layers": list(layers),
            "particles": P, "n_items": len(X), "n_params": net.n_params, "iterations": M,
            "verify_max_rel_diff": rel, "foreign_cores": load.cores,
            "swarmreg": {"ms_per_iter": s_sr, "numba_threads": numba_threads()},
            "numpy": {"ms_per_iter": s_np, "blas_threads": blas_threads()},
            "pyswarms": None if s_ps is None else {"ms_per_iter": s_ps,
                                                   "blas_threads": blas_threads()},
            "speedup_vs_numpy": ratio(s_np["median"], s_sr["median"]),
            "speedup_vs_pyswarms": ratio(s_ps["median"] if s_ps else None, s_sr["median"]),
            "evals_per_s": P / sec,
            "forward_flops_per_iter": flops,
            "gflops": flops / sec / 1e9,
            "share_of_peak": flops / sec / 1e9 / peak2,
        })
        pending.append({"data": data, "layers": list(layers), "particles": P, "iterations": M})
        if (data, layers, P) == memory_case:
            results[-1]["memory"] = memory(ps, net, X, y, f, P, 3 if cfg.quick else 10)

    # One subprocess for all 1-thread runs: its start-up and cache load are paid once.
    one = measure_swarmreg_1thread(pending, cfg.repeats)
    for res, s1 in zip(results, one["results"]):
        sec1 = s1["median"] / 1e3
        res["swarmreg_1thread"] = {"ms_per_iter": s1, "numba_threads": one["numba_threads"]}
        res["thread_speedup"] = ratio(s1["median"], res["swarmreg"]["ms_per_iter"]["median"])
        res["gflops_1thread"] = res["forward_flops_per_iter"] / sec1 / 1e9
        res["share_of_1thread_peak"] = ratio(res["gflops_1thread"], peak1)

    return {"matmul_peak": peak, "cases": results}, _tables(results, peak, ps is not None)


def _tables(results, peak, have_ps):
    th = results[0]["swarmreg"]["numba_threads"] if results else "?"
    rows = []
    for r in results:
        ms = lambda key: r[key]["ms_per_iter"]["median"] if r.get(key) else None  # noqa: E731
        rows.append([r["name"], r["iterations"], fmt(ms("swarmreg")), fmt(ms("swarmreg_1thread")),
                     fmt(r["thread_speedup"], 2), fmt(ms("numpy")), fmt(ms("pyswarms")),
                     fmt(r["speedup_vs_numpy"], 2), fmt(r["speedup_vs_pyswarms"], 2),
                     fmt(r["foreign_cores"], 2)])
    t1 = table(
        "PSO: milliseconds per iteration (median)",
        ["case", "iters", f"swarmreg ({th} thr)", "swarmreg (1 thr)", "thread speedup",
         "NumPy", "PySwarms", "× vs NumPy", "× vs PySwarms", "other load"],
        rows,
        "× = peer's time / swarmreg's time (>1: swarmreg is faster), same run, same iterations. "
        "NumPy and PySwarms share one batched NumPy evaluator (checked against "
        "sr.regularized_error to 1e-10) and use every BLAS thread. Other load = cores kept "
        "busy by other processes meanwhile (0 on a quiet machine)."
        + ("" if have_ps else " PySwarms not installed: its columns are empty."))
    p2 = peak["all_threads"]["best_gflops"]
    p1 = peak["one_thread"]["best_gflops"] if peak["one_thread"] else None
    rows = [[r["name"], fmt(r["evals_per_s"]), fmt(r["gflops"]),
             fmt(100 * r["share_of_peak"], 2) + " %", fmt(r.get("gflops_1thread")),
             fmt(100 * r["share_of_1thread_peak"], 2) + " %" if r.get("share_of_1thread_peak")
             else "-"] for r in results]
    t2 = table(
        "PSO: swarmreg throughput",
        ["case", "evaluations/s", "forward GFLOP/s", "share of matmul peak",
         "GFLOP/s (1 thr)", "share of 1-thread peak"],
        rows,
        f"Forward GFLOP/s = P·N·Σ2·d_in·d_out / time per iteration (matrix products only). "
        f"Float64 np.matmul peak in this run: {fmt(p2)} GFLOP/s with "
        f"{peak['blas_threads'] or 'all'} BLAS threads, {fmt(p1)} GFLOP/s with 1 "
        f"(best of sizes {', '.join(peak['all_threads']['gflops_by_size'])}).")
    tables = [t1, t2]
    mem = next((r["memory"] for r in results if "memory" in r), None)
    if mem:
        mb = lambda b: fmt(b / 2**20)  # noqa: E731
        rows = [["swarmreg", mb(mem["swarmreg"]["peak_bytes"]), mb(mem["swarmreg"]["held_bytes"]),
                 "-"],
                ["NumPy", mb(mem["numpy"]["peak_bytes"]), mb(mem["numpy"]["held_bytes"]), "-"]]
        if "pyswarms" in mem:
            m = mem["pyswarms"]
            rows.append(["PySwarms", mb(m["peak_bytes"]), mb(m["held_bytes"]),
                         mb(m["projected_held_1000_iter_bytes"])])
        tables.append(table(
            f"PSO: memory, digits P={mem['particles']}, {mem['iterations']} iterations (MiB)",
            ["peer", "peak", "held after the run", "held after 1000 iterations (projected)"],
            rows,
            "tracemalloc of NumPy buffers. PySwarms keeps every position and velocity matrix "
            "in its history, so what it holds grows linearly with the iterations."))
    return tables
