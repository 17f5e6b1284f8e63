"""PySwarms' own neural-network example, run by swarmreg and by PySwarms, over seeds.

Usage::

    python experiments/benchmarks/pyswarms_example.py [--seeds N] [--quick] [--json PATH]
    python experiments/benchmarks/run.py --only pyswarms_example

The example is PySwarms' documented use case ``docs/examples/usecases/train_neural_network.ipynb``
(https://github.com/ljvmiranda921/pyswarms): Iris, all 150 items with their raw features, a
4-20-3 network (tanh, softmax), the mean negative log-likelihood over the 150 items as the
cost (swarmreg's ``loss="cross_entropy"``, λ = 0), ``GlobalBestPSO`` with 100 particles,
1000 iterations and ``options = {'w': 0.9, 'c1': 0.5, 'c2': 0.3}``.  Its stored output is
one unseeded run's training accuracy, 0.98667.  The notebook unrolls θ as W1 (4×20, row-major),
b1, W2 (20×3), b2: swarmreg's layout (docs/design.md §3), so one θ means the same network in both.

What PySwarms 1.3.0 does with those arguments (read from its source):

- ``backend/generators.py`` ``generate_swarm``: no ``bounds`` and no ``init_pos``, so the
  positions are ``center · uniform[0, 1)`` with ``center = 1``: **uniform in [0, 1)**;
  ``generate_velocity`` with no ``clamp``: velocities **uniform in [0, 1)** (all positive).
- ``single/global_best.py`` ``optimize``: each of the ``iters`` iterations evaluates the
  swarm, updates the personal bests (strictly lower cost, ``operators.compute_pbest``) and the
  global best (``topology/star.py``: the lowest personal best if strictly lower), then moves;
  ``ftol = -inf`` never stops it early.  So 1000 iterations are 1000 evaluations of the swarm
  and 1000 moves, the last one never evaluated.
- ``backend/operators.py`` ``compute_velocity``: ``v ← w·v + c1·r1·(pbest − x) + c2·r2·(gbest − x)``
  with ``r1, r2`` uniform in [0, 1) per particle and coordinate; the ``"unmodified"`` velocity
  handler and no clamp; ``compute_position``: ``x ← x + v``, no bounds, so no clipping.

In swarmreg's options that is ``inertia=0.9, c1=0.5, c2=0.3, init_range=(0.0, 1.0),
bounds=None, init_velocity=(0.0, 1.0), v_max=None, death_prob=0.0, topology="global"``
(``PYSWARMS_OPTIONS``) with ``swarm_size=100`` and ``max_iter=999``: swarmreg evaluates the
starting swarm and then once per iteration, so 999 iterations are PySwarms' 1000 evaluations.
The random streams differ (NumPy's global RandomState against swarmreg's seeded PCG64), so the
two are compared over seeds, not run by run.  PySwarms' cost is this module's own NumPy
implementation of the notebook's forward pass and loss, evaluated particle by particle as the
notebook's ``f`` does (no max-shift in the softmax: an overflow gives a NaN cost, which never
becomes a best, in PySwarms as in swarmreg).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import _common  # noqa: E402

import swarmreg as sr  # noqa: E402
from swarmreg.algorithms import ALGORITHMS  # noqa: E402

LAYERS = [4, 20, 3]
PARTICLES, ITERS = 100, 1000
INERTIA, C1, C2 = 0.9, 0.5, 0.3
#: The notebook's stored output: ``(predict(pos) == y).mean()`` of its one run.
NOTEBOOK_ACCURACY = 0.9866666666666667
#: PySwarms' GlobalBestPSO as the notebook calls it, in train_pso's options.
PYSWARMS_OPTIONS = dict(inertia=INERTIA, c1=C1, c2=C2, init_range=(0.0, 1.0), bounds=None,
                        init_velocity=(0.0, 1.0), v_max=None, death_prob=0.0, topology="global")
SEEDS = 10


def data():
    """All 150 Iris items, raw features, labels 0..2 (the copy scikit-learn ships)."""
    return sr.datasets.load_iris()


def unroll(theta):
    """``(W1, b1, W2, b2)`` of a 4-20-3 θ in the notebook's (and swarmreg's) layout."""
    d, h, k = LAYERS
    i = 0
    parts = []
    for shape in ((d, h), (h,), (h, k), (k,)):
        size = int(np.prod(shape))
        parts.append(theta[i:i + size].reshape(shape))
        i += size
    return parts


def logits(theta, X):
    W1, b1, W2, b2 = unroll(theta)
    return np.tanh(X @ W1 + b1) @ W2 + b2


def nll(theta, X, y):
    """The notebook's cost of one particle: softmax of the logits (no max-shift), mean
    negative log-likelihood of the true classes over all items."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(logits(theta, X))
        probs = e / e.sum(axis=1, keepdims=True)
        return float(-np.log(probs[np.arange(len(y)), y]).sum() / len(y))


def swarm_cost(X, y):
    """The cost of a whole swarm, particle by particle (the notebook's ``f``)."""
    def cost(positions):
        return np.array([nll(p, X, y) for p in positions])
    return cost


def pyswarms_missing():
    """None when PySwarms imports, else why not."""
    try:
        with _common.scratch_cwd():
            import pyswarms  # noqa: F401  (its logging setup writes report.log into the cwd)
    except ImportError as exc:
        return str(exc)
    return None


def accepted_options():
    """``(accepted, skipped)``: the options of ``PYSWARMS_OPTIONS`` this swarmreg's ``"pso"``
    takes, and those it refuses (an older swarmreg: no ``init_range``, bounds required)."""
    options = ALGORITHMS["pso"].options
    accepted, skipped = {}, {}
    for key, value in PYSWARMS_OPTIONS.items():
        try:
            options(**{key: value})
        except (TypeError, ValueError):
            skipped[key] = value
        else:
            accepted[key] = value
    return accepted, skipped


def skipped_options():
    """The refused options as text, or "" when this swarmreg expresses the example fully."""
    return ", ".join(f"{k}={v!r}" for k, v in accepted_options()[1].items())


def run_pyswarms(seed, iters=ITERS, particles=PARTICLES):
    """One seeded run of PySwarms' GlobalBestPSO on the example; training accuracy, final
    cost and wall seconds of ``optimize``."""
    X, y = data()
    with _common.scratch_cwd():  # PySwarms writes report.log into the cwd
        import pyswarms as ps

        logging.getLogger("pyswarms").setLevel(logging.WARNING)
        np.random.seed(seed)  # PySwarms draws from NumPy's global RandomState
        optimizer = ps.single.GlobalBestPSO(
            n_particles=particles, dimensions=sr.Network(LAYERS).n_params,
            options={"c1": C1, "c2": C2, "w": INERTIA})
        start = time.perf_counter()
        cost, pos = optimizer.optimize(swarm_cost(X, y), iters=iters, verbose=False)
        seconds = time.perf_counter() - start
    accuracy = float(np.mean(np.argmax(logits(pos, X), axis=1) == y))
    return dict(train_accuracy=accuracy, loss=float(cost), evaluations=particles * iters,
                seconds=seconds)


_warm = set()


def run_swarmreg(seed, iters=ITERS, particles=PARTICLES, algorithm="pso", settings="pyswarms"):
    """One seeded ``train_pso`` run on the example: ``settings="pyswarms"`` with
    ``PYSWARMS_OPTIONS`` (those this swarmreg takes), ``"defaults"`` with ``algorithm``'s own
    defaults; the same 100 particles and ``iters`` evaluations of the swarm either way."""
    X, y = data()
    net = sr.Network(LAYERS, hidden="tanh", output="softmax")
    options = accepted_options()[0] if settings == "pyswarms" else {}
    if algorithm != "pso":
        options["algorithm"] = algorithm
    if algorithm not in _warm:  # an untimed first run: loading the compiled kernels
        sr.train_pso(net, X, y, loss="cross_entropy", swarm_size=2, max_iter=1, seed=0, **options)
        _warm.add(algorithm)
    start = time.perf_counter()
    res = sr.train_pso(net, X, y, lam=0.0, loss="cross_entropy", swarm_size=particles,
                       max_iter=max(iters - 1, 1), seed=seed, **options)
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(net.predict(res.theta, X) == y))
    return dict(train_accuracy=accuracy, loss=float(res.error), evaluations=res.n_evaluations,
                seconds=seconds)


def _stats(values):
    values = np.asarray(values, float)
    return dict(mean=float(values.mean()), sd=float(values.std(ddof=1)) if values.size > 1 else 0.0,
                min=float(values.min()), max=float(values.max()), n=int(values.size))


def label(impl):
    if impl == "pyswarms":
        return "PySwarms GlobalBestPSO, the notebook's settings"
    algorithm, _, kind = impl.partition(":")
    if kind == "defaults":
        return f"swarmreg `{algorithm}`, its defaults, 100 particles, the same iterations"
    skipped = skipped_options()
    return ("swarmreg `pso`, the notebook's settings" if not skipped
            else f"swarmreg `pso`, the notebook's settings without {skipped}")


def table(stats, iters=ITERS):
    """Markdown: one row per implementation; ``stats[impl]`` maps ``train_accuracy``,
    ``loss``, ``evaluations`` and ``fit_seconds`` to ``{mean, sd, min, max, n}``."""
    lines = ["| run | seeds | training accuracy, mean ± sd (min–max) | final cost (mean NLL) | "
             "network evaluations | seconds per run |", "|---|---|---|---|---|---|"]
    order = sorted(stats, key=lambda k: (k != "pyswarms", ":" in k, k))
    for impl in order:
        s = stats[impl]
        a, c, t = s["train_accuracy"], s["loss"], s["fit_seconds"]
        evaluations = f"{s['evaluations']['mean']:.6g}" if "evaluations" in s else "–"
        lines.append(f"| {label(impl)} | {a['n']} | {a['mean']:.4f} ± {a['sd']:.4f} "
                     f"({a['min']:.4f}–{a['max']:.4f}) | {c['mean']:.4g} | {evaluations} | "
                     f"{t['mean']:.3g} |")
    lines += ["", f"Iris 4-20-3 on all 150 items, λ = 0; {PARTICLES} particles, {iters} evaluations "
                  f"of the swarm. The notebook's stored result (one unseeded PySwarms run): "
                  f"{NOTEBOOK_ACCURACY:.4f}."]
    return "\n".join(lines)


def compare(seeds=SEEDS, iters=ITERS, particles=PARTICLES, algorithms=None, log=print):
    """Every implementation over ``seeds`` seeds: ``{impl: stats}`` as ``table`` reads it."""
    impls = ["pso"] + [f"{a}:defaults" for a in (algorithms or ALGORITHMS)]
    if pyswarms_missing() is None:
        impls.insert(0, "pyswarms")
    else:
        log(f"> note: PySwarms is not installed ({pyswarms_missing()}): its row is skipped")
    skipped = skipped_options()
    if skipped:
        log(f"> note: this swarmreg's train_pso does not take {skipped}: the `pso` row runs "
            "without them, so it is not yet the notebook's configuration")
    stats = {}
    for impl in impls:
        runs = []
        for seed in range(seeds):
            if impl == "pyswarms":
                runs.append(run_pyswarms(seed, iters, particles))
            else:
                algorithm, _, kind = impl.partition(":")
                runs.append(run_swarmreg(seed, iters, particles, algorithm, kind or "pyswarms"))
        stats[impl] = {k: _stats([r[src] for r in runs]) for k, src in
                       (("train_accuracy", "train_accuracy"), ("loss", "loss"),
                        ("evaluations", "evaluations"), ("fit_seconds", "seconds"))}
    return stats


def run(cfg, notes):
    """``run.py``'s entry point."""
    seeds, iters = (2, 100) if cfg.quick else (SEEDS, ITERS)
    stats = compare(seeds, iters, log=lambda text: _common.note(notes, text[len("> note: "):]))
    return dict(seeds=seeds, iters=iters, notebook_accuracy=NOTEBOOK_ACCURACY,
                skipped_options=skipped_options(), stats=stats), [
        "### PySwarms' neural-network example\n\n" + table(stats, iters)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=SEEDS, help=f"seeds per row (default {SEEDS})")
    p.add_argument("--iters", type=int, default=ITERS,
                   help=f"evaluations of the swarm (PySwarms' iterations; default {ITERS})")
    p.add_argument("--quick", action="store_true", help="2 seeds of 100 iterations")
    p.add_argument("--algorithms", nargs="+", choices=list(ALGORITHMS), metavar="ALG",
                   help="swarm algorithms for the 'defaults' rows (default: all)")
    p.add_argument("--json", type=Path, help="also write the statistics to this file")
    args = p.parse_args(argv)
    seeds, iters = (2, 100) if args.quick else (args.seeds, args.iters)
    if seeds < 1 or iters < 2:
        p.error("--seeds must be ≥ 1 and --iters ≥ 2")
    stats = compare(seeds, iters, algorithms=args.algorithms)
    print(table(stats, iters))
    if args.json:
        args.json.write_text(json.dumps(dict(seeds=seeds, iters=iters, stats=stats,
                                             notebook_accuracy=NOTEBOOK_ACCURACY,
                                             skipped_options=skipped_options()), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
