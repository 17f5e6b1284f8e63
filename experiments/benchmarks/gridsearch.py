"""Benchmark 5: choosing λ with scikit-learn's GridSearchCV, one job against two.

A 5-fold × 4-λ search over a Pipeline(StandardScaler, PSOClassifier) on Iris (20 fits
plus the refit) with ``n_jobs=1``, ``n_jobs=2`` (joblib's default process backend)
and ``n_jobs=2`` on joblib's threading backend.  On a 2-core machine the parallel
searches must not be slower than the serial one: each fit already uses Numba's
threads, so two fits at once oversubscribe the cores unless their threads are shared
out (joblib gives its worker processes ``NUMBA_NUM_THREADS = cores // n_jobs``; the
estimators split the threads of fits running side by side in one process).  The
three searches run interleaved, and the cross-validation scores must be identical.
"""

from __future__ import annotations

import time

import numpy as np

from _common import ForeignLoad, fmt, load_data, optional_import, ratio, stats, table

LAMS = [1e-4, 1e-3, 1e-2, 1e-1]
VARIANTS = [("n_jobs=1", 1, None), ("n_jobs=2, processes", 2, None),
            ("n_jobs=2, threads", 2, "threading")]


def search_seconds(X, y, n_jobs, backend, swarm_size, max_iter):
    """Wall seconds of one search and its mean test scores."""
    from joblib import parallel_config
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import swarmreg as sr

    pipe = make_pipeline(StandardScaler(), sr.PSOClassifier(swarm_size=swarm_size,
                                                            max_iter=max_iter, random_state=0))
    search = GridSearchCV(pipe, {"psoclassifier__lam": LAMS}, cv=5, n_jobs=n_jobs)
    with parallel_config(backend=backend) if backend else _nothing():
        start = time.perf_counter()
        search.fit(X, y)
        wall = time.perf_counter() - start
    return wall, search.cv_results_["mean_test_score"]


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def run(cfg, notes):
    """Run benchmark 5; return ``(results, tables)``."""
    if optional_import("sklearn", notes, "the GridSearchCV benchmark") is None:
        return {"skipped": "scikit-learn is not installed"}, []
    X, y = load_data("iris")
    swarm_size, max_iter = (30, 200) if cfg.quick else (100, 1000)
    for _, n_jobs, backend in VARIANTS:  # warm-up: compile or load kernels, start workers
        search_seconds(X, y, n_jobs, backend, swarm_size, 20)
    times = {label: [] for label, _, _ in VARIANTS}
    scores = {}
    with ForeignLoad() as load:
        for _ in range(cfg.repeats):
            for label, n_jobs, backend in VARIANTS:
                wall, score = search_seconds(X, y, n_jobs, backend, swarm_size, max_iter)
                times[label].append(wall)
                scores[label] = score
    identical = all(np.array_equal(scores[VARIANTS[0][0]], s) for s in scores.values())
    serial = stats(times[VARIANTS[0][0]])
    results = {"swarm_size": swarm_size, "max_iter": max_iter, "lams": LAMS, "folds": 5,
               "foreign_cores": load.cores, "identical_scores": identical, "variants": {}}
    rows = []
    for label, n_jobs, backend in VARIANTS:
        s = stats(times[label])
        share = ratio(s["median"], serial["median"])
        results["variants"][label] = {"seconds": s, "time_vs_n_jobs_1": share}
        rows.append([label, fmt(s["median"]), fmt(share)])
    tab = table(
        f"GridSearchCV, 5 folds × 4 λ, Pipeline(StandardScaler, PSOClassifier) on Iris "
        f"(swarm {swarm_size}, {max_iter} iterations; seconds, median)",
        ["search", "seconds", "time ÷ n_jobs=1"], rows,
        f"≤ 1 means the parallel search is not slower than the serial one; the cross-validation "
        f"scores of all three are {'identical' if identical else 'NOT identical'}.")
    return results, [tab]
