"""Benchmark 3: start-up costs, each measured in a fresh Python process.

* ``import swarmreg``: time of the import statement alone (interpreter start-up
  excluded), with nothing imported before it.
* first call, cold: ``NUMBA_CACHE_DIR`` points at a new, empty folder, so the first
  ``train_pso`` (or ``train_backprop``) call compiles every kernel it needs.
* first call, cached: the same folder again, so the first call only loads machine
  code from the cache.

"First call" is the wall time of the call, which is what a user waits for; the
result's own ``elapsed`` would leave out exactly the compilation measured here.
``train_pso`` and ``train_backprop`` get separate folders (and processes): they share
kernels, so a second cold call in the same cache would not be cold.
"""

from __future__ import annotations

import shutil
import tempfile
import textwrap

from _common import MARK, fmt, note, run_script, stats, table

SCRIPT = textwrap.dedent(f"""
    import time
    t0 = time.perf_counter()
    import swarmreg as sr
    t1 = time.perf_counter()
    import json, sys
    import numba
    out = {{"import": t1 - t0, "numba_threads": numba.get_num_threads()}}
    which = sys.argv[1]
    if which != "import":
        X, _, y, _ = sr.datasets.iris()
        net = sr.Network([4, 7, 3])
        t = time.perf_counter()
        if which == "train_pso":
            sr.train_pso(net, X, y, lam=1e-3, swarm_size=20, max_iter=1, seed=0)
        else:
            sr.train_backprop(net, X, y, lam=1e-3, rule="objective", lr=0.01, batch_size=1,
                              epochs=1, seed=0)
        out["first_call"] = time.perf_counter() - t
    print({MARK!r} + json.dumps(out), flush=True)
    """)

FUNCTIONS = ("train_pso", "train_backprop")


def _run(which, cache_dir=None, one_process=False):
    # cache_dir None: whatever cache the user's environment gives (NUMBA_CACHE_DIR or
    # the __pycache__ folders next to swarmreg's sources).  one_process: no second
    # process compiling alongside (what a 1-core machine gets).
    env = {} if cache_dir is None else {"NUMBA_CACHE_DIR": cache_dir}
    if one_process:
        env["SWARMREG_COMPILE_ALONGSIDE"] = "0"
    return run_script(SCRIPT, [which], env=env, what=f"first call of {which}")


def run(cfg, notes):
    """Run benchmark 3; return ``(results, tables)``.

    With ``--quick`` the cold (compiling) calls are skipped — each takes tens of
    seconds — and the cached calls use the environment's own Numba cache.
    """
    if cfg.quick:
        # Each first-call run also reports its import time: no separate import runs.
        note(notes, "--quick: cold first calls (empty Numba cache, compiling for several "
                    "seconds each) are not measured; cached calls use the default cache.")
        imports = []
    else:
        _run("import")  # warm-up: puts Python, NumPy, Numba and swarmreg in the OS file cache
        imports = [_run("import")["import"] for _ in range(cfg.repeats)]
    results, rows = {}, []
    for fn in FUNCTIONS:
        cold, alone, cached, threads = [], [], [], None
        if cfg.quick:
            _run(fn)  # warm-up: fills the default cache if sources changed since it was written
            for _ in range(cfg.repeats):
                out = _run(fn)
                cached.append(out["first_call"])
                imports.append(out["import"])
                threads = out["numba_threads"]
        else:
            # A cold call fills a fresh folder, then a cached call reads it; a cold call
            # compiling in one process fills another.
            for _ in range(cfg.repeats):
                folders = [tempfile.mkdtemp(prefix="swarmreg-numba-cache-") for _ in range(2)]
                try:
                    cold.append(_run(fn, folders[0])["first_call"])
                    out = _run(fn, folders[0])
                    cached.append(out["first_call"])
                    threads = out["numba_threads"]
                    alone.append(_run(fn, folders[1], one_process=True)["first_call"])
                finally:
                    for folder in folders:
                        shutil.rmtree(folder, ignore_errors=True)
        results[fn] = {"cold_first_call_s": stats(cold) if cold else None,
                       "cold_first_call_one_process_s": stats(alone) if alone else None,
                       "cached_first_call_s": stats(cached), "numba_threads": threads,
                       "cache": "default" if cfg.quick else "fresh NUMBA_CACHE_DIR per pair"}
        rows.append([f"first `{fn}` call", fmt(results[fn]["cached_first_call_s"]["median"]),
                     fmt(results[fn]["cold_first_call_s"]["median"]) if cold else "-",
                     fmt(results[fn]["cold_first_call_one_process_s"]["median"]) if alone
                     else "-"])
    results["import_s"] = stats(imports)
    rows.insert(0, ["`import swarmreg`", fmt(results["import_s"]["median"]), "-", "-"])
    tab = table(
        "Start-up: seconds, each in a fresh process (median)",
        ["measure", "cached / warm", "empty Numba cache (compiles)",
         "empty cache, one process"],
        rows,
        "First-call times are the wall time of a 1-iteration call on Iris 4-7-3 and include "
        "loading (cached) or compiling (empty cache) the kernels; they exclude the import. "
        "A cold call compiles half of its kernels in a second process meanwhile; 'one "
        "process' sets SWARMREG_COMPILE_ALONGSIDE=0, what a 1-core machine gets.")
    return results, [tab]
