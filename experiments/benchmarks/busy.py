"""Benchmark 6: ``train_pso`` on a busy machine, beside another ``train_pso`` process.

Two swarmreg jobs on one machine (a notebook beside a script, two experiments) each
start one Numba thread per core.  An OpenMP worker that spins while it waits for the
next parallel region steals the core the other job needs, and a parallel region
waits at every join for a descheduled thread: with libgomp's default wait policy a
cached ``train_pso`` ran 2.6× slower with the default threads than with one thread
beside one other ``train_pso`` (``swarmreg/_runtime.py`` says what swarmreg does).

Measured here, each figure in a fresh process (Numba fixes its thread pool at start):

* ``default``: the library's default settings (all cores, ``GOMP_SPINCOUNT=300``);
* ``OMP_WAIT_POLICY=PASSIVE``: idle threads sleep at once (the other candidate);
* ``libgomp's spin (before)``: ``GOMP_SPINCOUNT=300000``, libgomp's default when no
  wait setting is made, which is what swarmreg ran with before it made one;
* ``1 thread``: ``NUMBA_NUM_THREADS=1``;

each *quiet* and *beside one load process*: a ``train_pso`` with its defaults (Iris
4-7-3, 30 particles, 1000 iterations, default threads) run over and over in its own
process, started by this benchmark after the quiet figures, bounded in time and
killed at the end.  The measured call is Iris 4-7-3, 100 particles, cached; each
repeat is one fresh process timing ``repeats`` calls, and the variants take turns
(interleaved), so a change of the machine's other load hits all of them alike.

Figures: ms per iteration (median) and the ratios ``default ÷ 1 thread`` beside the
load (target ≤ 1.2) and quiet; ``ForeignLoad`` (cores kept busy by processes other
than this benchmark and its children) is reported for both phases: above ~0.25 the
"quiet" phase was not quiet.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

from _common import (BENCH_DIR, MARK, ForeignLoad, call_in_subprocess, fmt, note, ratio, stats,
                     table)

#: Variants: name → environment of the measured process (None removes a variable).
#: ``GOMP_SPINCOUNT=300000`` is libgomp's own default spin when no wait policy is set,
#: i.e. swarmreg before it set ``GOMP_SPINCOUNT=300``; swarmreg keeps a user's setting.
#: The last variant is the reference of the ratios.
VARIANTS = {
    "default": {},
    "OMP_WAIT_POLICY=PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
    "libgomp's spin (before)": {"GOMP_SPINCOUNT": "300000"},
    "1 thread": {"NUMBA_NUM_THREADS": "1"},
}
SWARM, LAYERS = 100, (4, 7, 3)
#: The wait settings ``import swarmreg`` respects.  Removed from every child's
#: environment unless a variant sets them: this process imported swarmreg, which put
#: its own choice into ``os.environ``, and the children must make theirs afresh.
WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")


def child_env(env=None):
    """``env`` on top of the removal of ``WAIT_VARIABLES`` (None removes a variable)."""
    return {**{name: None for name in WAIT_VARIABLES}, **(env or {})}

LOAD_SCRIPT = textwrap.dedent(f"""
    import sys, time
    import swarmreg as sr
    X, _, y, _ = sr.datasets.iris()
    net = sr.Network([4, 7, 3])
    sr.train_pso(net, X, y, max_iter=1, seed=0)  # load the kernels before saying ready
    print("ready", flush=True)
    deadline = time.monotonic() + float(sys.argv[1])
    seed = 0
    while time.monotonic() < deadline:
        sr.train_pso(net, X, y, seed=seed)
        seed += 1
    """)


def measure(iterations, repeats, swarm=SWARM):
    """In a fresh process: ms per iteration of ``repeats`` cached ``train_pso`` calls
    with ``swarm`` particles.

    Returns
    -------
    dict
        ``ms``: list of ms per iteration (from ``TrainResult.elapsed``, which starts
        after the kernels are loaded); ``threads``; ``layer``: Numba's threading layer.
    """
    import numba

    import swarmreg as sr

    X, _, y, _ = sr.datasets.iris()
    net = sr.Network(list(LAYERS))
    sr.train_pso(net, X, y, swarm_size=swarm, max_iter=50, seed=0)  # warm-up
    ms = []
    for r in range(repeats):
        res = sr.train_pso(net, X, y, swarm_size=swarm, max_iter=iterations, seed=r)
        ms.append(1e3 * res.elapsed / res.iterations)
    return {"ms": ms, "threads": numba.get_num_threads(), "layer": numba.threading_layer()}


def start_load(seconds, env=None):
    """Start the load process; return it once its kernels are loaded."""
    full_env = dict(os.environ)
    for key, value in child_env(env).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    proc = subprocess.Popen([sys.executable, "-c", LOAD_SCRIPT, str(seconds)], env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        proc.wait()
        raise RuntimeError("the load process did not start")
    return proc


def cpu_seconds(pid):
    """User + system CPU seconds of a running process (Linux /proc), or None."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_load(proc):
    proc.kill()
    proc.wait()


def phase(variants, rounds, iterations, repeats, swarm=SWARM):
    """Interleaved rounds: every variant once per round, each in a fresh process."""
    samples = {name: [] for name in variants}
    info = {}
    for _ in range(rounds):
        for name, env in variants.items():
            out = call_in_subprocess("busy", "measure",
                                     {"iterations": iterations, "repeats": repeats, "swarm": swarm},
                                     env=child_env(env))
            samples[name] += out["ms"]
            info[name] = {"threads": out["threads"], "layer": out["layer"]}
    return {name: {**stats(samples[name]), **info[name]} for name in variants}


def run(cfg, notes, variants=None, load_env=None):
    """Run benchmark 6; return ``(results, tables)``.

    ``variants`` (name → environment) and ``load_env`` (the load process's extra
    environment) let one compare settings by hand; the suite uses ``VARIANTS``.
    """
    variants = VARIANTS if variants is None else variants
    rounds = 2 if cfg.quick else 3
    iterations = 300 if cfg.quick else 2000
    repeats = 2 if cfg.quick else 3
    results = {}
    with ForeignLoad() as quiet_load:
        results["quiet"] = phase(variants, rounds, iterations, repeats)
    results["quiet_foreign_cores"] = quiet_load.cores
    # Bounded: the load process stops by itself even if this one dies without killing it.
    load = start_load(60 + 40 * rounds * len(variants), load_env)
    try:
        cpu0, t0 = cpu_seconds(load.pid), time.monotonic()
        with ForeignLoad() as busy_load:
            results["busy"] = phase(variants, rounds, iterations, repeats)
        cpu1, t1 = cpu_seconds(load.pid), time.monotonic()
    finally:
        stop_load(load)
    # ForeignLoad counts a child only once it has been waited for, so the still running
    # load process shows up as foreign load: take it out, and report it on its own.
    load_cores = None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) / (t1 - t0)
    results["load_process_cores"] = load_cores
    results["busy_foreign_cores"] = (None if busy_load.cores is None or load_cores is None
                                     else max(0.0, busy_load.cores - load_cores))
    names = list(variants)
    base = names[-1]
    rows = []
    for name in names:
        q, b = results["quiet"][name], results["busy"][name]
        rows.append([name, q["threads"], q["layer"], fmt(q["median"]), fmt(b["median"]),
                     fmt(ratio(q["median"], results["quiet"][base]["median"])),
                     fmt(ratio(b["median"], results["busy"][base]["median"]))])
    results["ratio_busy"] = {n: ratio(results["busy"][n]["median"],
                                      results["busy"][base]["median"]) for n in names}
    results["ratio_quiet"] = {n: ratio(results["quiet"][n]["median"],
                                       results["quiet"][base]["median"]) for n in names}
    if quiet_load.cores is not None and quiet_load.cores > 0.25:
        note(notes, f"busy: the 'quiet' phase had {quiet_load.cores:.2f} cores of other load.")
    tab = table(
        f"Busy machine: train_pso ms per iteration, Iris {'-'.join(map(str, LAYERS))}, "
        f"P={SWARM}, {iterations} iterations (median)",
        ["variant", "threads", "layer", "quiet", "beside 1 train_pso", f"÷ {base}, quiet",
         f"÷ {base}, beside"],
        rows,
        f"Other load (cores, not counting this benchmark's processes): quiet "
        f"{fmt(quiet_load.cores)}, beside {fmt(results['busy_foreign_cores'])}. The load "
        f"process runs train_pso with its defaults in a loop and used "
        f"{fmt(load_cores)} cores.")
    return results, [tab]


if __name__ == "__main__":
    import json

    sys.path.insert(0, str(BENCH_DIR))
    import _common

    out, tabs = run(_common.Config(quick="--quick" in sys.argv), [])
    print("\n\n".join(tabs))
    print(MARK + json.dumps(out))
