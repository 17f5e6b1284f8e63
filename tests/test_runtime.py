"""What ``swarmreg/_runtime.py`` does to the process: OpenMP's wait policy, Numba's
registry load without scipy.linalg, stale cache indexes, the one line said while kernels
compile, and the one switch that turns them all off.

Each property concerns a fresh process (what happens at import, at the first cached
load, at the first compilation), so each test runs its own Python.
"""

import dataclasses
import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

from swarmreg import _runtime

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_python(script, env=None, timeout=600):
    """Run ``script`` in a fresh Python; return (stdout's last line as JSON, stderr)."""
    full = {k: v for k, v in os.environ.items()
            if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME", _runtime.SWITCH)}
    full.update(env or {})
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=full,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


@pytest.mark.parametrize("user", [{}, {"OMP_WAIT_POLICY": "active"}, {"GOMP_SPINCOUNT": "100"},
                                  {"KMP_BLOCKTIME": "200"}])
def test_short_spin_is_set_unless_the_user_chose_a_wait_setting(user):
    environ = dict(user)
    assert _runtime.set_wait_policy(environ) == (not user)
    assert environ == (user or {"GOMP_SPINCOUNT": "300"})


def test_import_sets_the_spin_count_before_numba_loads_openmp():
    # OpenMP reads the variable when its library is loaded, at Numba's first parallel
    # call: it must be in the environment by then, and no sooner is needed.
    out, _ = run_python("""
        import json, os, numpy as np, numba, swarmreg as sr
        before = numba.np.ufunc.parallel._is_initialized
        net = sr.Network([4, 3, 2])
        X, y = np.zeros((5, 4)), np.zeros(5, int)
        sr.regularized_error(net, np.zeros((3, net.n_params)), X, y, 0.1)
        print(json.dumps([os.environ.get("GOMP_SPINCOUNT"), before, numba.threading_layer()]))
        """)
    assert out[:2] == ["300", False]  # set, and before Numba started its threads
    assert out[2] in ("omp", "tbb", "workqueue")
    out, _ = run_python("import json, os, swarmreg\n"
                        "print(json.dumps(os.environ.get('GOMP_SPINCOUNT')))",
                        env={"OMP_WAIT_POLICY": "ACTIVE"})
    assert out is None


SETTINGS_SCRIPT = """
    import json, os, sys
    import swarmreg as sr
    from numba.core import caching, event
    from swarmreg import _runtime

    def ours(objects):
        return [type(o).__name__ for o in objects if type(o).__module__.startswith("swarmreg")]

    out = {"enabled": _runtime.ENABLED, "spin": os.environ.get("GOMP_SPINCOUNT"),
           "finders": ours(sys.meta_path),
           "tolerant_index": getattr(caching.IndexDataCacheFile._load_index, "swarmreg_tolerant",
                                     False),
           "listeners": ours(event._registered["numba:compile"])}
    import numpy as np
    net = sr.Network([2, 2, 1], output="identity")
    out["error"] = float(sr.regularized_error(net, np.ones(net.n_params), np.ones((3, 2)),
                                              np.zeros(3), 0.5))
    print(json.dumps(out))
    """


@pytest.mark.parametrize("switch", [None, "1", "0"])
def test_one_switch_turns_every_process_setting_off(switch):
    on = switch != "0"
    env = {} if switch is None else {_runtime.SWITCH: switch}
    out, _ = run_python(SETTINGS_SCRIPT, env)
    assert out["enabled"] is on
    assert out["spin"] == ("300" if on else None)
    assert out["finders"] == (["_SkipBlasCheck"] if on else [])
    assert out["tolerant_index"] is on
    assert out["listeners"] == (["_CompileNotice"] if on else [])
    import numpy as np

    import swarmreg as sr

    net = sr.Network([2, 2, 1], output="identity")
    assert out["error"] == sr.regularized_error(net, np.ones(net.n_params), np.ones((3, 2)),
                                                np.zeros(3), 0.5)  # the same number either way


LOAD_SCRIPT = """
    import json, sys, numpy as np, swarmreg as sr
    net = sr.Network([4, 3, 2])
    X, y = np.random.default_rng(0).normal(size=(7, 4)), np.arange(7) % 2
    sr.regularized_error(net, np.zeros((2, net.n_params)), X, y, 0.1)  # loads a kernel
    import numba
    from numba.np import arraymath
    out = {"scipy_linalg_loaded": "scipy.linalg" in sys.modules,
           "have_blas": arraymath._HAVE_BLAS,
           "finder_left": any(type(f).__name__ == "_SkipBlasCheck" for f in sys.meta_path)}

    @numba.njit
    def convolve(a, b):
        return np.convolve(a, b)

    a, b = np.linspace(-1.0, 2.0, 9), np.array([0.5, -1.0, 3.0])
    out["convolve_error"] = float(np.max(np.abs(convolve(a, b) - np.convolve(a, b))))
    import scipy.linalg  # a genuine import after the skipped one
    out["solve"] = scipy.linalg.solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.ones(2)).tolist()

    @numba.njit
    def dot(a, b):
        return np.dot(a, b)

    out["dot_error"] = abs(float(dot(a, a)) - float(a @ a))
    print(json.dumps(out))
    """


def test_first_cached_load_skips_scipy_linalg_and_later_imports_still_work():
    out, _ = run_python(LOAD_SCRIPT)
    assert out["scipy_linalg_loaded"] is False
    assert out["have_blas"] is False  # the documented side effect
    assert out["finder_left"] is False
    assert out["convolve_error"] <= 1e-14  # np.convolve falls back to a loop, still right
    assert out["solve"] == [0.5, 0.25]
    assert out["dot_error"] <= 1e-14


def test_a_process_that_loaded_scipy_linalg_first_keeps_numbas_blas_check():
    out, _ = run_python("import scipy.linalg\n" + textwrap.dedent(LOAD_SCRIPT))
    assert out["have_blas"] is True
    assert out["finder_left"] is False


def test_no_kernel_uses_what_the_skipped_check_decides():
    # numba.np.arraymath._HAVE_BLAS only chooses how np.correlate/np.convolve run.
    sources = "\n".join(p.read_text() for p in (ROOT / "swarmreg").rglob("*.py")
                         if p.name != "_runtime.py")  # which says so in its docstring
    assert not re.search(r"np\.(correlate|convolve)\b", sources)


def test_says_so_once_while_kernels_compile_and_not_when_loading_them(tmp_path):
    # An empty NUMBA_CACHE_DIR: the first process compiles, the second loads.
    script = """
        import json, numpy as np, swarmreg as sr
        net = sr.Network([2, 2, 1], output="identity")
        for lam in (0.1, 0.2):
            sr.regularized_error(net, np.zeros(net.n_params), np.zeros((3, 2)), np.zeros(3), lam)
        net.predict(np.zeros(net.n_params), np.zeros((3, 2)))  # another kernel
        print(json.dumps(0))
        """
    env = {"NUMBA_CACHE_DIR": str(tmp_path)}
    _, cold = run_python(script, env)
    _, cached = run_python(script, env)
    said = [ln for ln in cold.splitlines() if ln.startswith("swarmreg: compiling")]
    assert said == [_runtime.compile_message()], cold
    assert "compiling" not in cached, cached
    assert any(tmp_path.rglob("*.nbi"))


def test_compile_message_gives_the_measured_cost():
    assert _runtime.compile_message() == (
        f"swarmreg: compiling kernels for first use (up to about {_runtime.COMPILE_SECONDS} s; "
        "cached for later runs)")


class _FakeBar:
    """Records when a progress bar is opened, in the order of ``log``."""

    def __init__(self, log):
        self.log, self.n = log, 0

    def __call__(self, **kwargs):
        self.log.append("bar opened")
        return self

    def update(self, k):
        self.n += k

    def set_postfix(self, **kwargs):
        pass

    def close(self):
        pass


@pytest.mark.parametrize("trainer", ["pso", "backprop"])
def test_progress_bar_opens_after_the_kernels_are_loaded(trainer, monkeypatch):
    # tqdm's clock starts when the bar opens: opened before the warm-up call, a first
    # run's bar would show the compilation as training time (and an ETA of hours).
    import swarmreg as sr
    from swarmreg import _loop

    log = []
    monkeypatch.setattr(_loop, "_tqdm", lambda: _FakeBar(log))
    module, name = ((sr._kernels.swarm, "iterate") if trainer == "pso"
                    else (sr.backprop.backprop_kernels, "backprop_epochs"))
    kernel = getattr(module, name)

    def logged(*args):
        log.append("kernel called")
        return kernel(*args)

    def compile_logged(signature):  # the trainers compile (or load) it before they call it
        log.append("kernel compiled")
        return kernel.compile(signature)

    logged.compile = compile_logged

    if trainer == "pso":  # the device runs the algorithm's loop
        pso = sr.algorithms.ALGORITHMS["pso"]
        monkeypatch.setitem(sr.algorithms.ALGORITHMS, "pso", dataclasses.replace(pso, loop=logged))
    else:
        monkeypatch.setattr(module, name, logged)
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 3, 3])
    if trainer == "pso":
        sr.train_pso(net, X, y, swarm_size=4, max_iter=3, seed=0, progress=True)
    else:
        sr.train_backprop(net, X, y, epochs=3, seed=0, progress=True)
    assert log.count("bar opened") == 1
    assert log[0] == "kernel compiled"
    assert "kernel compiled" not in log[1:]
    assert "kernel called" in log[log.index("bar opened"):]  # the training calls


STALE_SOURCE = '''
from typing import NamedTuple
import numba
class State(NamedTuple):
    x: float
@numba.njit(cache=True)
def double(s):
    return s.x * 2.0
'''

STALE_SCRIPT = """
    import json, sys
    sys.path.insert(0, {folder!r})
    {imports}
    import stale_kernel as m
    cls = getattr(m, "State", None) or m.Renamed
    print(json.dumps(m.double(cls(1.5))))
    """


def test_a_cache_index_naming_a_removed_class_is_recompiled_not_an_error(tmp_path):
    # An older version's cache index names a class of the kernel's signature that a new
    # version renamed; the kernel itself kept its name and line (and so its index file).
    module = tmp_path / "stale_kernel.py"
    module.write_text(STALE_SOURCE)
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    fill = STALE_SCRIPT.format(folder=str(tmp_path), imports="")
    assert run_python(fill, env)[0] == 3.0
    module.write_text(STALE_SOURCE.replace("class State(", "class Renamed("))
    plain = dict(os.environ, **env)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(fill)], env=plain,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and "Can't get attribute 'State'" in proc.stderr  # Numba alone
    guarded = STALE_SCRIPT.format(folder=str(tmp_path), imports="import swarmreg")
    assert run_python(guarded, env)[0] == 3.0
    assert run_python(guarded, env)[0] == 3.0  # and the rewritten index loads


def test_a_session_compiles_each_kernel_for_one_signature_only():
    # A literal argument (a constant 0), a read-only array or an array unpickled by joblib
    # would make Numba compile a kernel a second time: seconds of a cold first run each.
    out, _ = run_python("""
        import json, pickle, numpy as np, numba, swarmreg as sr
        from numba.core.registry import CPUDispatcher
        from swarmreg import _kernels
        from swarmreg._kernels import activations, backprop, error, gradient, losses, outputs, swarm
        from swarmreg.algorithms import pso
        X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
        frozen = X.copy()
        frozen.flags.writeable = False
        fresh = sr.Network([4, 5, 3])
        for net, X in [(fresh, X), (pickle.loads(pickle.dumps(fresh)), frozen)]:
            res = sr.train_pso(net, X, y, lam=1e-3, swarm_size=6, max_iter=3, seed=0)
            for batch_size in (1, 16):
                sr.train_backprop(net, X, y, lam=1e-3, batch_size=batch_size, epochs=2, seed=0)
            sr.train_lbfgs(net, X, y, lam=1e-3, max_iter=3, seed=0)
            sr.regularized_error(net, res.theta, X, y, 0.1)
            sr.regularized_error(net, np.stack([res.theta] * 3), X, y, 0.1)
            net.predict(res.theta, X)
        many = {f"{m.__name__}.{name}": len(d.signatures)
                for m in (activations, backprop, error, gradient, losses, outputs, swarm, pso)
                for name, d in vars(m).items()
                if isinstance(d, CPUDispatcher) and len(d.signatures) > 1}
        print(json.dumps(many))
        """)
    assert out == {}


ALONGSIDE_SCRIPT = """
    import json, numpy as np, swarmreg as sr
    from numba.core import event
    from swarmreg._kernels import jit

    compiled = []

    class Record(event.Listener):
        def on_start(self, ev):
            compiled.append(getattr(ev.data["dispatcher"], "__qualname__", "?"))

        def on_end(self, ev):
            pass

    event.register("numba:compile", Record())
    starts = []
    enter = jit.compile_alongside.__enter__

    def recorded(self):
        out = enter(self)
        starts.append(self.started)
        return out

    jit.compile_alongside.__enter__ = recorded
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    res = sr.train_pso(sr.Network([4, 5, 3]), X, y, lam=1e-3, swarm_size=8, max_iter=5, seed=3)
    print(json.dumps({"theta": res.theta.tolist(), "compiled": compiled, "started": starts}))
    """


def test_a_cold_first_call_compiles_the_error_pass_in_a_second_process(tmp_path):
    X, _, y, _ = __import__("swarmreg").datasets.iris(test_size=0.2, seed=0)
    import swarmreg as sr

    expected = sr.train_pso(sr.Network([4, 5, 3]), X, y, lam=1e-3, swarm_size=8, max_iter=5,
                            seed=3).theta
    env = {"NUMBA_CACHE_DIR": str(tmp_path)}
    cold, _ = run_python(ALONGSIDE_SCRIPT, env)
    assert cold["started"] == [True]
    # The second process compiled the error pass, its loss piece and the algorithm's pieces;
    # this one the shared swarm loop and the activation piece.
    assert {"iterate", "tanh_layer"} <= set(cold["compiled"])
    assert not {"data_error", "softmax_mse", "take_global"} & set(cold["compiled"])
    assert cold["theta"] == expected.tolist()  # the same bits as a run that compiled nothing
    cached, _ = run_python(ALONGSIDE_SCRIPT, env)
    assert cached["started"] == [False] and not cached["compiled"]
    alone, _ = run_python(ALONGSIDE_SCRIPT, {"NUMBA_CACHE_DIR": str(tmp_path / "alone"),
                                             "SWARMREG_COMPILE_ALONGSIDE": "0"})
    assert alone["started"] == [False] and "data_error" in alone["compiled"]
    assert alone["theta"] == expected.tolist()


def test_a_failed_second_process_leaves_the_compiling_to_this_one(tmp_path):
    # A kernel of this script's __main__ cannot be imported by the worker, which fails;
    # the kernel then compiles here when first used.
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import json, numba, numpy as np
        from swarmreg._kernels import jit

        @numba.njit(cache=True)
        def twice(a):
            return 2.0 * a[0]

        sig = numba.float64(numba.float64[::1])
        with jit.compile_alongside([(twice, sig)]) as job:
            pass
        print(json.dumps([job.started, job.process.returncode, twice(np.array([1.5]))]))
        """))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    started, worker_exit, value = json.loads(proc.stdout.strip().splitlines()[-1])
    assert started is True and worker_exit != 0 and value == 3.0


def test_a_kernel_cached_before_any_kernel_module_changed_is_a_cache_miss(tmp_path, monkeypatch):
    # Numba stamps a cache with the function's own file only; a kernel inlines callees from
    # other modules, so swarmreg's caches are stamped with every kernel module's source too.
    import importlib.util

    from swarmreg._kernels import jit

    module = tmp_path / "cached_kernel.py"
    module.write_text("from swarmreg._kernels.jit import kernel\n\n"
                      "@kernel\ndef twice(x):\n    return 2.0 * x\n")
    spec = importlib.util.spec_from_file_location("cached_kernel", module)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.twice(1.5) == 3.0  # compiled and saved
    sig = mod.twice.signatures[0]
    target = mod.twice.targetctx
    assert jit.KernelCache(mod.twice.py_func).load_overload(sig, target) is not None
    monkeypatch.setattr(jit.KernelCache, "_sources", "another kernel source")
    assert jit.KernelCache(mod.twice.py_func).load_overload(sig, target) is None


def test_the_kernel_sources_digest_follows_every_kernel_module(tmp_path, monkeypatch):
    from swarmreg._kernels import jit

    (tmp_path / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(jit, "KERNEL_FOLDERS", (tmp_path,))
    before = jit._kernel_sources_digest()
    (tmp_path / "a.py").write_text("x = 2\n")
    assert jit._kernel_sources_digest() != before
    assert {p.name for p in jit.Path(jit.__file__).parent.glob("*.py")} >= {"jit.py", "swarm.py"}
