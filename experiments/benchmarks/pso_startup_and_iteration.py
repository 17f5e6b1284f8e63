"""Start-up and per-iteration cost of ``train_pso`` on Iris 4-7-3.

Run:  python experiments/benchmarks/pso_startup_and_iteration.py

Every figure comes from a fresh Python process:

* cold: an empty Numba cache (``NUMBA_CACHE_DIR`` pointed at a new folder), so the
  first ``train_pso`` call compiles every kernel;
* cached: the same folder again, so the first call only loads compiled code;
* ms/iter: median over 5 runs of 500 iterations after a warm-up, per thread count.

Prints a markdown table; the README quotes its latest output.
"""

import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap

FIRST_CALL = textwrap.dedent(
    """
    import json, time
    t0 = time.perf_counter()
    import swarmreg as sr
    t1 = time.perf_counter()
    X, _, y, _ = sr.datasets.iris()
    sr.train_pso(sr.Network([4, 7, 3]), X, y, swarm_size=20, max_iter=1, seed=0)
    t2 = time.perf_counter()
    print(json.dumps({"import": t1 - t0, "first_call": t2 - t1}))
    """
)

PER_ITERATION = textwrap.dedent(
    """
    import json, numba, numpy as np, swarmreg as sr
    X, _, y, _ = sr.datasets.iris()
    net = sr.Network([4, 7, 3])
    out = {"threads": numba.get_num_threads()}
    for P in (20, 100):
        sr.train_pso(net, X, y, swarm_size=P, max_iter=50, seed=0)
        times = [sr.train_pso(net, X, y, swarm_size=P, max_iter=500, seed=r).elapsed / 500
                 for r in range(5)]
        out[P] = 1e3 * float(np.median(times))
    print(json.dumps(out))
    """
)


def run(script, **env):
    proc = subprocess.run([sys.executable, "-c", script], env={**os.environ, **env},
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    with tempfile.TemporaryDirectory() as cache:
        cold = run(FIRST_CALL, NUMBA_CACHE_DIR=cache)
        cached = run(FIRST_CALL, NUMBA_CACHE_DIR=cache)
        speed = {n: run(PER_ITERATION, NUMBA_CACHE_DIR=cache, NUMBA_NUM_THREADS=str(n)) for n in (1, 2)}
    import numba
    import numpy

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {numpy.__version__}, numba {numba.__version__}")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| import swarmreg | {cold['import']:.2f} s |")
    print(f"| first `train_pso` call, empty cache (compiles) | {cold['first_call']:.1f} s |")
    print(f"| first `train_pso` call, cached | {cached['first_call']:.2f} s |")
    for P in ("20", "100"):
        one, two = speed[1][P], speed[2][P]
        print(f"| Iris 4-7-3, {P} particles, ms/iteration (1 thread / 2 threads) "
              f"| {one:.3f} / {two:.3f} ({one / two:.2f}x) |")


if __name__ == "__main__":
    main()
