"""Benchmark 4: how swarmreg's cost per PSO iteration grows with the problem.

Three series, each fitted with ``time = a + b·x`` (``numpy.polyfit``, degree 1):

* particles x = P in (10, 30, 100, 300, 1000), Iris 4-7-3;
* items x = N in (100, 1000, 10 000, 100 000), teacher data ``make_teacher(N,
  [4, 7, 3], seed=0)``, 30 particles;
* parameters x = n_params of 4-h-3 for h in (4, 16, 64, 256), Iris, 30 particles.

``a`` is the fixed cost of an iteration (serial random draws, the parallel region's
start and join, the global-best update) and ``b`` the cost per particle, item or
parameter.  A last table gives the 2-thread over 1-thread speedup at 20, 50 and 100
particles, where the fixed cost weighs most.
"""

from __future__ import annotations

import numpy as np

from _common import ForeignLoad, fmt, iterations_for, load_data, numba_threads, stats, table
from pso import measure_swarmreg, measure_swarmreg_1thread, swarmreg_pso

SERIES = [
    # name, x label, unit of b, points: (data, layers, particles) per x
    ("particles", "P", "particle",
     [(P, ("iris", (4, 7, 3), P)) for P in (10, 30, 100, 300, 1000)]),
    ("items", "N", "item",
     [(N, (f"teacher-{N}", (4, 7, 3), 30)) for N in (100, 1000, 10_000, 100_000)]),
    ("parameters", "n_params", "parameter",
     [(h, ("iris", (4, h, 3), 30)) for h in (4, 16, 64, 256)]),
]
THREAD_PARTICLES = (20, 50, 100)


def _point(data, layers, particles, cfg):
    """Median ms per iteration of one configuration, after a calibrating warm-up."""
    import swarmreg as sr

    X, y = load_data(data)
    net = sr.Network(layers)
    est = swarmreg_pso(net, X, y, particles, 3, seed=10_000)
    M = iterations_for(est, cfg.target, 2 if cfg.quick else 5, 5000)
    with ForeignLoad() as load:
        times = [swarmreg_pso(net, X, y, particles, M, seed=r) for r in range(cfg.repeats)]
    return {"iterations": M, "n_params": net.n_params, "n_items": len(X),
            "ms_per_iter": stats(times, 1e3), "foreign_cores": load.cores}


def run(cfg, notes):
    """Run benchmark 4; return ``(results, tables)``."""
    import swarmreg as sr

    results, rows = {"numba_threads": numba_threads()}, []
    detail = []
    for name, xlabel, unit, points in SERIES:
        pts = []
        for h_or_x, (data, layers, P) in points:
            p = _point(data, layers, P, cfg)
            x = p["n_params"] if name == "parameters" else h_or_x
            pts.append({"x": x, "data": data, "layers": list(layers), "particles": P, **p})
            detail.append([name, f"{data} {'-'.join(map(str, layers))}, P={P}", x, p["iterations"],
                           fmt(p["ms_per_iter"]["median"]), fmt(p["foreign_cores"], 2)])
        x = np.array([p["x"] for p in pts], dtype=float)
        t = np.array([p["ms_per_iter"]["median"] for p in pts])
        # Weights 1/t: the x values span decades, and an unweighted fit would let the
        # largest point alone set the intercept (it came out negative while developing).
        # Weighted, every point counts by its relative miss, so ``a`` is the cost the
        # small configurations actually show.
        b, a = np.polyfit(x, t, 1, w=1.0 / t)
        # How well a straight line describes the series: the largest miss relative to
        # the measured time (a large value means "not linear", e.g. too few particles to
        # keep both threads busy, or the data leaving the caches).
        worst = float(np.max(np.abs(a + b * x - t) / t))
        results[name] = {"x": xlabel, "points": pts, "fixed_ms": float(a),
                         "slope_ms_per_unit": float(b), "worst_rel_residual": worst}
        rows.append([name, xlabel, fmt(a), f"{fmt(b * 1e3)} µs per {unit}", fmt(worst, 2)])

    # 2 versus 1 thread, the same function in both processes.
    cases = []
    for P in THREAD_PARTICLES:
        X, y = load_data("iris")
        est = swarmreg_pso(sr.Network([4, 7, 3]), X, y, P, 3, seed=10_000)
        cases.append({"data": "iris", "layers": [4, 7, 3], "particles": P,
                      "iterations": iterations_for(est, cfg.target, 20, 20_000)})
    many = measure_swarmreg(cases, cfg.repeats)
    one = measure_swarmreg_1thread(cases, cfg.repeats)
    threads = []
    for case, sm, s1 in zip(cases, many["results"], one["results"]):
        threads.append({**case, "ms_per_iter": sm, "ms_per_iter_1thread": s1,
                        "numba_threads": many["numba_threads"],
                        "numba_threads_1thread": one["numba_threads"],
                        "speedup": s1["median"] / sm["median"]})
    results["threads"] = threads

    t_fit = table(
        "Scaling: swarmreg ms per PSO iteration = a + b·x (median times, relative least squares)",
        ["series", "x", "fixed cost a (ms)", "slope b", "worst relative miss"],
        rows,
        f"{results['numba_threads']} Numba threads. Points below.")
    t_pts = table("Scaling: measured points", ["series", "case", "x", "iters", "ms/iter",
                                                  "other load"], detail)
    t_thr = table(
        "Scaling: threads, Iris 4-7-3",
        ["particles", "iters", f"ms/iter ({many['numba_threads']} thr)", "ms/iter (1 thr)",
         "speedup"],
        [[c["particles"], c["iterations"], fmt(c["ms_per_iter"]["median"]),
          fmt(c["ms_per_iter_1thread"]["median"]), fmt(c["speedup"], 3)] for c in threads],
        "The 1-thread figures come from a subprocess started with NUMBA_NUM_THREADS=1.")
    return results, [t_fit, t_pts, t_thr]
