"""Shared helpers of the benchmark suite: data, timing statistics, subprocesses, tables.

Every benchmark module (``pso``, ``backprop``, ``startup``, ``scaling``) exposes
``run(cfg, notes)`` returning ``(results, tables)``: a JSON-serializable dict and a
list of markdown strings.  ``run.py`` drives them and writes one JSON file.

Why a module of its own: the 1-thread measurements must run in a *subprocess*
(Numba fixes its thread pool when it starts, so a process cannot go back up from
1 thread to 2, and lowering it in-process with ``numba.set_num_threads`` would
still leave the 2-thread pool spinning up), and that subprocess needs to import
the same measurement code by module name.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent

#: PSO coefficients shared by every peer (Clerc–Kennedy constriction, docs/design.md §6).
INERTIA, C1, C2 = 0.729, 1.49445, 1.49445
#: λ_E used by every benchmark; its value barely changes the cost but must be the same.
LAM = 1e-3
#: Line prefix that marks the JSON answer of a worker subprocess on its stdout.
MARK = "@@BENCH-RESULT@@"


# --------------------------------------------------------------------------- config


class Config:
    """Sizes of one run: ``--quick`` shrinks repeats, iteration budgets and series.

    Parameters
    ----------
    quick : bool
        Small run (under a minute, used by the tests) instead of the full one.

    Attributes
    ----------
    repeats : int
        Timed repeats per measurement (after one warm-up); the median is reported.
    target : float
        Seconds one timed repeat of the slowest peer should last; iteration counts
        are chosen from the warm-up so that fixed per-call costs amortize.
    """

    def __init__(self, quick=False):
        self.quick = bool(quick)
        self.repeats = 3 if quick else 5
        self.target = 0.05 if quick else 0.25


# --------------------------------------------------------------------------- optional peers


def optional_import(name, notes, why):
    """Import a peer library, or record a note and return None if it is missing.

    A missing peer must skip its columns, not crash the suite: swarmreg's own
    dependencies do not include pyswarms or scikit-learn.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        note(notes, f"{name} is not installed ({exc}); skipping {why}.")
        return None


def note(notes, text):
    """Print a note now (so a long run shows it early) and keep it for the JSON file."""
    print(f"> note: {text}", flush=True)
    notes.append(text)


# --------------------------------------------------------------------------- data


def one_hot(y, k):
    """One-hot targets, as ``regularized_error`` builds them from integer labels."""
    return np.eye(k)[np.asarray(y, dtype=np.int64)]


def load_data(name):
    """Training data of a benchmark case by name.

    ``"iris"``: the 120 training items of ``sr.datasets.iris()`` (raw features, as in
    the README).  ``"digits"``: all 1797 items of scikit-learn's digits, standardized
    with ``sr.datasets.Standardizer``, labels 0..9 (needs scikit-learn).
    ``"teacher-N"``: ``make_teacher(N, [4, 7, 3], seed=0)``.

    Returns
    -------
    X : ndarray (N, d); y : ndarray of int64 (N,)
    """
    import swarmreg as sr

    if name == "iris":
        X, _, y, _ = sr.datasets.iris()
        return X, y
    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return sr.datasets.Standardizer().fit_transform(X), y.astype(np.int64)
    if name.startswith("teacher-"):
        return sr.datasets.make_teacher(int(name.split("-", 1)[1]), [4, 7, 3], seed=0)
    raise ValueError(f"unknown data set {name!r}")


def forward_flops(layers, n_items):
    """Floating-point operations of one forward pass's matrix products: N · Σ 2·d_in·d_out.

    Activations, biases and the error are left out on purpose: this counts the work
    a BLAS would do, so the result compares with the matmul peak.
    """
    return n_items * sum(2 * a * b for a, b in zip(layers[:-1], layers[1:]))


# --------------------------------------------------------------------------- statistics


def stats(samples, scale=1.0):
    """Median and spread of timing samples, multiplied by ``scale`` (e.g. 1e3 for ms).

    The median, not the mean: the machine is shared, and a repeat that another
    process interrupted should not move the reported figure.
    """
    arr = np.asarray(samples, dtype=float) * scale
    return {
        "median": float(np.median(arr)),
        "min": float(arr.min()),
        "max": float(arr.max()),
        "n": int(arr.size),
        "samples": [float(v) for v in arr],
    }


def iterations_for(seconds_per_iter, target, lo, hi):
    """Iteration count so that one repeat lasts about ``target`` seconds, within [lo, hi].

    The estimate comes from the warm-up run, which includes fixed per-call costs and
    therefore overestimates: counts err on the short side.
    """
    if not np.isfinite(seconds_per_iter) or seconds_per_iter <= 0:
        return hi
    return int(min(max(round(target / seconds_per_iter), lo), hi))


def ratio(a, b):
    """``a / b`` or None when either is missing (a peer was skipped)."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def numba_threads():
    import numba

    return int(numba.get_num_threads())


def blas_threads():
    """Threads of numpy's BLAS, or None when threadpoolctl is not installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [m["num_threads"] for m in threadpool_info() if m.get("user_api") == "blas"]
    return counts[0] if counts else None


# --------------------------------------------------------------------------- foreign load


def _cpu_jiffies():
    """Busy and total jiffies of the whole machine from /proc/stat, or None."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _descendants(pid):
    """PIDs of the live descendants of ``pid`` (Linux /proc; [] elsewhere)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    kids = [int(c) for c in fh.read().split()]
            except (OSError, ValueError):
                continue
            out += kids
            todo += kids
    return out


def _live_descendants_cpu_seconds():
    """CPU seconds used so far by the live descendants of this process (and by their own
    waited-for children): pool workers that outlive a block, e.g. joblib's."""
    total = 0
    for pid in _descendants(os.getpid()):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds():
    """CPU seconds of this process, of its children it waited for, and of its live
    descendants."""
    t = os.times()
    return (t.user + t.system + t.children_user + t.children_system
            + _live_descendants_cpu_seconds())


def wait_until_idle(window=0.01, max_wait=1.0):
    """Sleep until this process's threads stop using the CPU; return the seconds waited.

    OpenBLAS's idle threads spin for about 0.1 s after each call (measured: 0.11 s after
    the NumPy PSO on digits) before they sleep.  A peer timed right after NumPy or
    PySwarms then shares the cores with them (swarmreg on digits, 20 particles: 6.7
    against 4.3 ms per iteration).  So every timed run starts in a quiet process: once a
    ``window`` of sleep costs this process under 10 % of it in CPU time, or after
    ``max_wait``.
    """
    start = time.monotonic()
    while time.monotonic() - start < max_wait:
        cpu = time.process_time()
        time.sleep(window)
        if time.process_time() - cpu < 0.1 * window:
            break
    return time.monotonic() - start


class ForeignLoad:
    """How many cores *other* processes kept busy while a block ran.

    Machine-wide busy time (/proc/stat, which also sees processes of other users and
    containers that ``ps`` does not) minus the CPU time of this process and of its
    descendants (live ones included: pool workers),
    over the wall time.  On a 2-core machine shared with a compiler or a test suite,
    a Numba parallel region waits for a descheduled thread at every fork and join:
    2-thread timings then jump by milliseconds per iteration (seen while developing
    this suite), so every result records this figure next to it.

    Use as ``with ForeignLoad() as load: ...`` then read ``load.cores`` (None where
    /proc/stat is unavailable).
    """

    def __enter__(self):
        self._jiffies, self._own, self._wall = _cpu_jiffies(), _own_cpu_seconds(), time.monotonic()
        self.cores = None
        return self

    def __exit__(self, *exc):
        end = _cpu_jiffies()
        wall = time.monotonic() - self._wall
        if end is None or self._jiffies is None or wall <= 0:
            return False
        busy, total = end[0] - self._jiffies[0], end[1] - self._jiffies[1]
        if total <= 0:
            return False
        machine_busy = busy / total * (os.cpu_count() or 1)  # cores busy on average
        own = (_own_cpu_seconds() - self._own) / wall
        self.cores = max(0.0, machine_busy - own)
        return False


# --------------------------------------------------------------------------- environment


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _version(module):
    try:
        return importlib.import_module(module).__version__
    except ImportError:
        return None


def environment():
    """Machine and library versions, recorded with every result file."""
    blas = None
    try:
        from threadpoolctl import threadpool_info

        blas = [{k: m.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
                for m in threadpool_info() if m.get("user_api") == "blas"]
    except ImportError:
        pass
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {m: _version(m) for m in ("swarmreg", "numpy", "numba", "scipy", "sklearn",
                                              "pyswarms", "threadpoolctl")},
        "numba_threads_default": numba_threads(),
        "numba_threading_layer": _threading_layer(),
        "blas": blas,
    }


def _threading_layer():
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # no parallel function has run yet in this process
        return None


# --------------------------------------------------------------------------- subprocesses


def call_in_subprocess(module, function, kwargs=None, env=None, timeout=900):
    """Run ``module.function(**kwargs)`` in a fresh Python and return its JSON result.

    Used for what a running process cannot measure about itself: a smaller Numba
    thread pool, an empty compilation cache, the cost of ``import swarmreg``.

    Parameters
    ----------
    module, function : str
        A module of this directory and a function in it returning JSON-able data.
    kwargs : dict, optional
        JSON-able keyword arguments.
    env : dict, optional
        Variables added to (or, with value None, removed from) the environment.
    """
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(BENCH_DIR)!r})
        import {module} as m
        out = m.{function}(**json.loads(sys.argv[1]))
        print({MARK!r} + json.dumps(out), flush=True)
        """)
    return run_script(script, [json.dumps(kwargs or {})], env=env, timeout=timeout,
                      what=f"{module}.{function}")


def run_script(script, args=(), env=None, timeout=900, what="a benchmark script"):
    """Run ``python -c script *args`` and return the JSON it prints after ``MARK``.

    ``env`` entries are added to the environment, or removed when their value is None.
    """
    full_env = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = str(value)
    proc = subprocess.run([sys.executable, "-c", script, *args], env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    answer = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)]
    if proc.returncode != 0 or not answer:
        raise RuntimeError(f"{what} failed in a subprocess (exit {proc.returncode}):\n"
                           f"{proc.stderr[-3000:]}")
    return json.loads(answer[-1][len(MARK):])


@contextlib.contextmanager
def scratch_cwd():
    """Work in a throw-away directory: PySwarms writes ``report.log`` into the cwd."""
    old = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="swarmreg-bench-") as tmp:
        os.chdir(tmp)
        try:
            yield tmp
        finally:
            os.chdir(old)


# --------------------------------------------------------------------------- output


def fmt(value, digits=3):
    """A number for a table: ``-`` when missing, else ``digits`` significant figures."""
    if value is None:
        return "-"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if value == 0 or not np.isfinite(value):
        return str(value)
    return f"{value:.{digits}g}" if abs(value) < 10 ** digits else f"{value:.0f}"


def table(title, headers, rows, footnote=None):
    """A markdown table under a ``###`` title, as one string."""
    lines = [f"### {title}", "", "| " + " | ".join(headers) + " |",
             "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    if footnote:
        lines += ["", footnote]
    return "\n".join(lines)
