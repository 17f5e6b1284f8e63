"""Benchmark 8: what checkpoints cost (docs/design.md §12).

A run with ``checkpoint=PATH`` writes its whole state (for PSO: positions, velocities,
personal bests, two iterations' random draws, ...; for back-prop: θ and the optimizer's
buffers) and its history at the start, every ``checkpoint_every`` seconds between two
chunks of the loop, and at the end.  Measured here, for a small and a large swarm and
for back-prop with Adam:

* ``write``: milliseconds to write one checkpoint of the run's final state (serialize,
  digest, write, fsync, keep the previous one), median of several writes;
* the training time of one run of a fixed budget without checkpoints, with the default
  interval (``CHECKPOINT_EVERY``: only the writes at the start and at the end fall in a
  run this short) and with short intervals (1 s, 0.1 s), the variants interleaved; the
  overhead is the median over the repeats of each one's time over the run's without in
  the same repeat, minus 1 (pairs a few seconds apart: the machine's load moves less);
* the steady overhead of the default interval in a long run, ``write / CHECKPOINT_EVERY``:
  the issue's target is at most 2 %.

Ratios come from the same run; the checkpoints go to a temporary folder on the same disk
as the system's temporary files.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from _common import ForeignLoad, fmt, load_data, optional_import, stats, table

#: Short intervals measured besides the default (seconds).
SHORT_INTERVALS = (1.0, 0.1)


def cases(have_sklearn):
    """(label, trainer, network layers, data name, keyword arguments)."""
    big = "digits" if have_sklearn else "teacher-2000"
    big_layers = [64, 32, 10] if have_sklearn else [4, 7, 3]
    return [
        ("PSO, Iris 4-7-3, 30 particles", "pso", [4, 7, 3], "iris", dict(swarm_size=30)),
        (f"PSO, {big} {'-'.join(map(str, big_layers))}, 100 particles", "pso", big_layers, big,
         dict(swarm_size=100)),
        (f"back-prop Adam, {big} {'-'.join(map(str, big_layers))}, batch 32", "backprop",
         big_layers, big, dict(optimizer="adam", lr=0.001, batch_size=32)),
    ]


def train(trainer, net, X, y, kw, budget, **extra):
    import swarmreg as sr

    if trainer == "pso":
        return sr.train_pso(net, X, y, lam=1e-4, max_iter=budget, seed=1, **kw, **extra)
    return sr.train_backprop(net, X, y, lam=1e-4, epochs=budget, seed=1, **kw, **extra)


def run(cfg, notes):
    """Run benchmark 8; return ``(results, tables)``."""
    import swarmreg as sr
    from swarmreg._checkpoint import write_checkpoint
    from swarmreg._training import CHECKPOINT_EVERY

    have_sklearn = optional_import("sklearn", notes, "digits in the checkpoint benchmark "
                                   "(teacher data instead)") is not None
    seconds = 1.0 if cfg.quick else 4.0
    results = []
    with tempfile.TemporaryDirectory(prefix="swarmreg-ckpt-bench-") as tmp:
        folder = Path(tmp)
        for label, trainer, layers, data, kw in cases(have_sklearn):
            X, y = load_data(data)
            net = sr.Network(layers)
            warm = train(trainer, net, X, y, kw, 20)  # compiles (or loads) the kernels
            budget = max(20, int(seconds * warm.iterations / max(warm.elapsed, 1e-6)))
            write_s = []
            for k in range(cfg.repeats + 2):
                tic = time.perf_counter()
                write_checkpoint(folder / "write.ckpt", warm.state)
                write_s.append(time.perf_counter() - tic)
            size = (folder / "write.ckpt").stat().st_size
            variants = {"none": {}, "default": dict(checkpoint=folder / "default.ckpt")}
            for every in SHORT_INTERVALS:
                variants[f"every {every:g} s"] = dict(checkpoint=folder / f"{every}.ckpt",
                                                      checkpoint_every=every)
            times = {name: [] for name in variants}
            with ForeignLoad() as load:
                for _ in range(cfg.repeats):  # interleaved: the machine's load hits all alike
                    for name, extra in variants.items():
                        times[name].append(train(trainer, net, X, y, kw, budget, **extra).elapsed)
            write_ms = stats(write_s, 1e3)
            results.append({
                "case": label, "trainer": trainer, "layers": layers, "data": data,
                "iterations": budget, "checkpoint_bytes": size, "write_ms": write_ms,
                "seconds": {name: stats(t) for name, t in times.items()},
                "overhead": {name: float(np.median(np.array(t) / np.array(times["none"]))) - 1.0
                             for name, t in times.items() if name != "none"},
                "steady_overhead_default": write_ms["median"] / 1e3 / CHECKPOINT_EVERY,
                "foreign_cores": load.cores,
            })
    names = [n for n in results[0]["overhead"]]
    rows = [[r["case"], r["iterations"], fmt(r["checkpoint_bytes"] / 1e6), fmt(r["write_ms"]["median"]),
             fmt(r["seconds"]["none"]["median"]),
             *(f"{100 * r['overhead'][n]:+.1f} %" for n in names),
             f"{100 * r['steady_overhead_default']:.3f} %"] for r in results]
    tab = table(
        "Checkpoints: cost of one write and overhead on the run's time (median)",
        ["case", "iterations", "MB", "write ms", "run s (none)",
         *names, "default, long run"],
        rows,
        f"Overhead = the run's training time with checkpoints / without − 1, median over "
        f"interleaved repeats. 'default' ({CHECKPOINT_EVERY:g} s) writes only at the start and the end "
        f"of a run this short; 'default, long run' = write time / {CHECKPOINT_EVERY:g} s, the "
        f"steady cost in a run of hours (target ≤ 2 %). Differences of a few % are within "
        f"the noise of a shared machine.")
    return {"cases": results, "checkpoint_every_default": CHECKPOINT_EVERY}, [tab]
