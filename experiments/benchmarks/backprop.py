"""Benchmark 2: cost of one back-prop epoch, swarmreg against scikit-learn's MLPClassifier.

Iris 4-7-3 (120 training items), plain SGD with η = 0.01 and no momentum, online
(one item per update) and full batch (one update per epoch).  swarmreg's figure is
``res.elapsed / res.iterations`` (compilation excluded); scikit-learn's is the wall
time of ``fit`` over its epoch count.  The two do not minimize the same function —
MLPClassifier uses a softmax with cross-entropy, swarmreg here the MSE of docs/design.md
§2 — but the work per item (one forward and one backward pass of a 4-7-3 network)
is the same, so the time per epoch compares the implementations.
"""

from __future__ import annotations

import time
import warnings


from _common import (LAM, ForeignLoad, fmt, iterations_for, load_data, numba_threads,
                     optional_import, ratio, stats, table, wait_until_idle)

LR = 0.01
#: (label, swarmreg batch_size, scikit-learn batch_size as a function of N)
MODES = [("online", 1, lambda n: 1), ("full batch", None, lambda n: n)]


def swarmreg_epoch(net, X, y, batch_size, epochs, seed):
    """Seconds per epoch of ``train_backprop`` by its own clock."""
    import swarmreg as sr

    res = sr.train_backprop(net, X, y, lam=LAM, rule="objective", lr=LR, batch_size=batch_size,
                            epochs=epochs, seed=seed)
    return res.elapsed / res.iterations


def sklearn_epoch(X, y, batch_size, epochs, seed):
    """Seconds per epoch of ``MLPClassifier.fit`` with every early stop disabled.

    ``alpha = 2·λ·m`` gives the same per-step shrink as ``rule="objective"``:
    scikit-learn adds ``alpha·W`` to the summed gradient of a batch of m items and
    divides by m (``_compute_loss_grad``), swarmreg adds ``2λ·W`` to the mean one.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(7,), activation="tanh", solver="sgd",
                        batch_size=batch_size, learning_rate_init=LR, momentum=0.0,
                        nesterovs_momentum=False, alpha=2.0 * LAM * batch_size, max_iter=epochs,
                        tol=0.0, n_iter_no_change=epochs + 1, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # max_iter is reached on purpose: every run is a fixed number of epochs.
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        clf.fit(X, y)
        wall = time.perf_counter() - start
    assert clf.n_iter_ == epochs, (clf.n_iter_, epochs)
    return wall / epochs


def run(cfg, notes):
    """Run benchmark 2; return ``(results, tables)``."""
    import swarmreg as sr

    sk = optional_import("sklearn", notes, "the scikit-learn column of the back-prop benchmark")
    X, y = load_data("iris")
    net = sr.Network([4, 7, 3])
    results = []
    for label, bs_sr, bs_sk in MODES:
        # Warm-ups (compile or load the kernel; import scikit-learn) give per-epoch estimates
        # from which each trainer gets its own epoch count: scikit-learn is orders of
        # magnitude slower per epoch, and equal counts would either drown swarmreg's time in
        # fixed costs or make scikit-learn's run for minutes.
        E_sr = iterations_for(swarmreg_epoch(net, X, y, bs_sr, 20, seed=10_000), cfg.target,
                              20, 100_000)
        E_sk = None
        if sk is not None:
            E_sk = iterations_for(sklearn_epoch(X, y, bs_sk(len(X)), 3, seed=10_000), cfg.target,
                                  3 if cfg.quick else 10, 5000)
        t_sr, t_sk = [], []
        with ForeignLoad() as load:
            for r in range(cfg.repeats):  # interleaved, so that load from elsewhere hits both
                wait_until_idle()  # scikit-learn's BLAS threads spin after it
                t_sr.append(swarmreg_epoch(net, X, y, bs_sr, E_sr, seed=r))
                if sk is not None:
                    wait_until_idle()
                    t_sk.append(sklearn_epoch(X, y, bs_sk(len(X)), E_sk, seed=r))
        s_sr = stats(t_sr, 1e3)
        s_sk = stats(t_sk, 1e3) if t_sk else None
        results.append({
            "mode": label, "data": "iris", "layers": [4, 7, 3], "n_items": len(X),
            "foreign_cores": load.cores,
            "swarmreg": {"ms_per_epoch": s_sr, "epochs": E_sr, "numba_threads": numba_threads()},
            "sklearn": None if s_sk is None else {"ms_per_epoch": s_sk, "epochs": E_sk,
                                                  "batch_size": bs_sk(len(X))},
            "speedup_vs_sklearn": ratio(s_sk["median"] if s_sk else None, s_sr["median"]),
        })
    rows = [[r["mode"], r["swarmreg"]["epochs"], fmt(r["swarmreg"]["ms_per_epoch"]["median"]),
             r["sklearn"]["epochs"] if r["sklearn"] else "-",
             fmt(r["sklearn"]["ms_per_epoch"]["median"]) if r["sklearn"] else "-",
             fmt(r["speedup_vs_sklearn"], 3)] for r in results]
    tab = table(
        "Back-prop: milliseconds per epoch, Iris 4-7-3, η = 0.01 (median)",
        ["mode", "swarmreg epochs", "swarmreg", "sklearn epochs", "MLPClassifier", "× vs sklearn"],
        rows,
        "× = scikit-learn's time / swarmreg's (>1: swarmreg is faster). Each trainer runs "
        "enough epochs to last about the same time; per-epoch times are what compare.")
    return {"cases": results}, [tab]
