"""Run swarmreg's benchmark suite: print markdown tables, write one JSON file.

Usage::

    python experiments/benchmarks/run.py [--quick] [--only NAME ...] [--out DIR]

Benchmarks (modules of this directory, each with ``run(cfg, notes)``):

========== ===========================================================================
pso        ms per PSO iteration: swarmreg (2 and 1 Numba threads), PySwarms, NumPy;
           throughput against the machine's matmul peak; PySwarms' memory
backprop   ms per back-prop epoch: swarmreg against scikit-learn's MLPClassifier
scaling    swarmreg's cost per iteration against particles, items and parameters
startup    ``import swarmreg`` and the first train_pso / train_backprop call, with
           an empty and a filled Numba cache, each in a fresh process
gridsearch GridSearchCV over λ with n_jobs=1 against n_jobs=2 (processes, threads)
busy       train_pso (Iris 4-7-3, 100 particles) quiet and beside another train_pso
           process that the benchmark starts and kills: the default settings against
           one thread, passive waiting and libgomp's long spin, ratios from one run
jaxpso     swarmreg against a PSO jitted end to end in JAX (lax.scan + vmap, float64),
           Iris 4-7-3, 20 and 100 particles, quiet and beside another train_pso
checkpoint one checkpoint write, and the overhead of checkpoints on a run's time at the
           default interval and at 1 s and 0.1 s (PSO small and large, back-prop Adam)
gpu        the swarm on a GPU (device="cuda", float64 and float32) against every CPU
           core and a JAX PSO on the GPU and the CPU, the issue's six cases; float32 ÷
           float64 on the CPU (GPU columns skipped without a GPU)
quality    how well each trainer trains (test accuracy, E, work, time) on iris, wine,
           breast cancer, digits and teacher networks: every swarm algorithm against
           back-prop, L-BFGS and scikit-learn (``quality.py``; resumable, about 2¾
           hours in full, a minute or two with --quick)
pyswarms_  PySwarms' own neural-network example run by swarmreg and by PySwarms over
example    seeds (``pyswarms_example.py``)
========== ===========================================================================

``quality`` and ``pyswarms_example`` measure results, not speed: they run only when
named with ``--only`` (``quality.py`` alone takes more options).

Every timing is the median of several repeats after a warm-up, and every ratio
compares two figures from the same run: on a shared machine the absolute times move,
the ratios much less.  ``--quick`` (under a minute; what the tests run) uses fewer
repeats, shorter runs and skips the compiling start-up calls.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))  # the benchmark modules import each other by name

import _common  # noqa: E402

from swarmreg._io import atomic_write  # noqa: E402

BENCHMARKS = ("pso", "backprop", "scaling", "startup", "gridsearch", "busy", "jaxpso",
              "checkpoint", "gpu", "quality", "pyswarms_example")
#: Run only when named with --only: result measurements, not timings.
ON_REQUEST = ("quality", "pyswarms_example")
DEFAULT_OUT = BENCH_DIR / "results"
#: Average cores kept busy by other processes above which a benchmark gets a warning.
BUSY = 0.25


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Benchmark swarmreg against PySwarms, NumPy and scikit-learn.")
    p.add_argument("--quick", action="store_true",
                   help="small run, under a minute (fewer repeats, shorter runs, no cold compiles)")
    p.add_argument("--only", nargs="+", choices=BENCHMARKS, metavar="NAME",
                   help=f"run only these benchmarks ({', '.join(BENCHMARKS)}; "
                        f"{' and '.join(ON_REQUEST)} only when named)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help=f"folder for latest.json (default: {DEFAULT_OUT})")
    return p.parse_args(argv)


def write_json_atomic(path, data):
    """Write JSON atomically: a reader sees the previous file or the new one, never half."""
    atomic_write(path, json.dumps(data, indent=1) + "\n")


def _git_state():
    """Commit of the checkout and whether swarmreg's sources differ from it.

    Kernels change often; a timing is only meaningful next to the code it timed.
    """
    root = BENCH_DIR.parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=10).stdout.strip() or None
        dirty = subprocess.run(["git", "status", "--porcelain", "swarmreg"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "swarmreg_modified": None}
    return {"commit": head, "swarmreg_modified": bool(dirty)}


def main(argv=None):
    args = parse_args(argv)
    cfg = _common.Config(quick=args.quick)
    names = [n for n in BENCHMARKS if n in args.only] if args.only else [
        n for n in BENCHMARKS if n not in ON_REQUEST]
    out_path = args.out / "latest.json"
    notes, results, wall, tables, failed, foreign = [], {}, {}, {}, [], {}

    start = time.perf_counter()
    env = _common.environment()
    env["git"] = _git_state()
    env["env_vars"] = {k: os.environ.get(k) for k in (
        "NUMBA_NUM_THREADS", "NUMBA_THREADING_LAYER", "NUMBA_CACHE_DIR", "OMP_NUM_THREADS",
        "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")}
    env["load_average_start"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    v = env["versions"]
    print(f"# swarmreg benchmarks ({'quick' if cfg.quick else 'full'})\n")
    print(f"{env['machine']}, {env['cpu_model']}, {env['cpu_count']} CPUs; Python {env['python']}, "
          f"numpy {v['numpy']}, numba {v['numba']} ({env['numba_threads_default']} threads), "
          f"scipy {v['scipy']}, scikit-learn {v['sklearn']}, pyswarms {v['pyswarms']}; "
          f"{env['date']}; load average {env['load_average_start']}\n", flush=True)

    for name in names:
        t0 = time.perf_counter()
        try:
            with _common.ForeignLoad() as load:
                module = __import__(name)
                res, tabs = module.run(cfg, notes)
        except Exception:  # one broken benchmark should not lose the others' results
            failed.append(name)
            err = traceback.format_exc()
            print(f"\n!! benchmark {name} failed:\n{err}", file=sys.stderr, flush=True)
            results[name] = {"error": err}
            continue
        finally:
            wall[name] = time.perf_counter() - t0
        results[name], tables[name], foreign[name] = res, tabs, load.cores
        busy = "" if load.cores is None else f"; other processes kept {load.cores:.2f} cores busy"
        print("\n\n".join(tabs) + f"\n\n({name}: {wall[name]:.0f} s{busy})\n", flush=True)
        if load.cores is not None and load.cores > BUSY:
            _common.note(notes, f"{name}: other processes kept {load.cores:.2f} of "
                                f"{os.cpu_count()} cores busy during this benchmark; its "
                                f"timings, 2-thread ones above all, are inflated and noisy.")

    env["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    env["numba_threading_layer"] = _common._threading_layer()
    doc = {
        "suite": "swarmreg benchmarks",
        "mode": "quick" if cfg.quick else "full",
        "command": [Path(sys.executable).name, *sys.argv],
        "repeats": cfg.repeats,
        "statistic": "median of the repeats, after a warm-up; ratios from the same run",
        "environment": env,
        "notes": notes,
        "failed": failed,
        "wall_s": wall,
        "foreign_cores": foreign,
        "total_wall_s": time.perf_counter() - start,
        "benchmarks": results,
        "tables_markdown": {k: "\n\n".join(t) for k, t in tables.items()},
    }
    write_json_atomic(out_path, doc)
    print(f"wrote {out_path} ({doc['total_wall_s']:.0f} s in all)")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
