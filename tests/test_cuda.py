"""device="cuda": the swarm on a GPU (docs/design.md §13).

Every test here runs the CUDA kernels: on a GPU where there is one, else on Numba's CUDA
simulator (``tests/conftest.py`` turns it on), which runs them as Python, one block of a
few threads: the problems are tiny.  Tests that need a real GPU (timings, many seeds,
realistic sizes) say so and skip without one; tests of the messages for a machine without
numba-cuda or without a GPU run in a fresh process.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import swarmreg as sr
from swarmreg.error import Objective

import naive
import naive_gpu

HAVE_NUMBA_CUDA = importlib.util.find_spec("numba_cuda") is not None
SIMULATOR = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"

pytestmark = pytest.mark.skipif(not HAVE_NUMBA_CUDA,
                                reason="numba-cuda is not installed (pip install 'swarmreg[cuda]')")


def _gpu_present():
    if SIMULATOR or not HAVE_NUMBA_CUDA:
        return False
    from numba import cuda

    return cuda.is_available()


needs_gpu = pytest.mark.skipif(not _gpu_present(),
                               reason="needs an NVIDIA GPU (the simulator is too slow for this)")


@pytest.fixture(autouse=True)
def quick_thread_switches():
    """The simulator runs a block's threads as Python threads that wait on each other at
    every barrier: switching between them every 50 µs instead of Python's 5 ms makes its
    runs about 7× faster."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(5e-5)
    yield
    sys.setswitchinterval(before)


def problem(layers=(3, 4, 2), hidden="tanh", output="softmax", n=21, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, layers[0]))
    K = layers[-1]
    y = rng.normal(size=(n, K)) if output == "identity" else rng.integers(0, max(K, 2), n)
    return sr.Network(list(layers), hidden=hidden, output=output), X, y


def reference_error(net, X, y, lam):
    return lambda th: naive.regularized_error(net.layers, net.hidden, net.output, th, X, y, lam)


# -- errors before anything runs ----------------------------------------------------------

def test_cuda_without_numba_cuda_names_the_extra(monkeypatch):
    from swarmreg.devices import cuda as cuda_device

    real = importlib.util.find_spec
    monkeypatch.setattr(cuda_device.importlib.util, "find_spec",
                        lambda name, *a: None if name == "numba_cuda" else real(name, *a))
    net, X, y = problem()
    with pytest.raises(ImportError, match=r"swarmreg\[cuda\]"):
        sr.train_pso(net, X, y, device="cuda", max_iter=2, seed=0)


@pytest.mark.skipif(_gpu_present(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_clear_error_before_anything_runs():
    script = textwrap.dedent("""
        import numpy as np, swarmreg as sr
        try:
            sr.train_pso(sr.Network([2, 2]), np.zeros((4, 2)), np.array([0, 1, 0, 1]),
                         device="cuda", max_iter=2, seed=0)
        except RuntimeError as exc:
            print("RuntimeError:", exc)
        """)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "RuntimeError: no CUDA GPU found:" in proc.stdout


def test_every_kernel_compiles_for_a_real_gpu():
    # The simulator runs the kernels as Python: it cannot tell whether Numba's CUDA target
    # compiles them.  tests/cuda_ptx.py compiles them for sm_90 (skipped without NVVM).
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    script = os.path.join(os.path.dirname(__file__), "cuda_ptx.py")
    proc = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if "skipped" in out:
        pytest.skip(out["skipped"])
    assert len(out["compiled"]) == 4
    assert all("0 bytes spill stores" in v or v == "PTX only" for v in out["compiled"].values())


def test_an_algorithm_without_a_gpu_part_is_refused():
    net, X, y = problem()
    with pytest.raises(ValueError, match="cpso.*device='cpu'"):
        sr.train_pso(net, X, y, algorithm="cpso", device="cuda", max_iter=2, seed=0)


def test_unknown_device_and_dtype_are_refused():
    net, X, y = problem()
    with pytest.raises(ValueError, match="device must be one of"):
        sr.train_pso(net, X, y, device="tpu", max_iter=2)
    with pytest.raises(ValueError, match="dtype must be one of"):
        sr.train_pso(net, X, y, device="cuda", dtype="float16", max_iter=2)


# -- the error ----------------------------------------------------------------------------

#: Every activation, output and loss of the registries at least once; a deeper network.
ERROR_CASES = [((3, 4, 2), "tanh", "softmax", "mse"), ((3, 4, 2), "relu", "identity", "mse"),
               ((2, 3, 3, 2), "logistic", "logistic", "cross_entropy"),
               ((3, 5, 3), "softsign", "softmax", "cross_entropy"),
               ((3, 4, 1), "tanh", "logistic", "mse")]


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: "-".join(map(str, c[0])) + f"-{c[1]}-"
                         f"{c[2]}-{c[3]}")
def test_gpu_error_of_given_thetas_matches_the_cpus(case):
    from swarmreg.devices.cuda import swarm_error

    layers, hidden, output, loss = case
    net, X, y = problem(layers, hidden, output, n=37)  # several units of items
    thetas = np.random.default_rng(1).normal(0.0, 1.5, (3, net.n_params))
    for lam in (0.0, 0.01):  # the data error alone, and with the penalty
        obj = Objective.build(net, X, y, lam, loss=loss)
        data, pen = obj.terms(thetas)
        np.testing.assert_allclose(swarm_error(obj, thetas), data + lam * pen, rtol=1e-12)
    data32, pen32 = obj.terms(thetas.astype(np.float32).astype(np.float64))
    np.testing.assert_allclose(swarm_error(obj, thetas, "float32"), data32 + 0.01 * pen32,
                               rtol=1e-6)


# -- the algorithms against their references ----------------------------------------------

PSO_OPTIONS = [dict(), dict(topology="ring", death_prob=0.3, v_max=0.4, bounds=(-1.0, 1.0))]


@pytest.mark.parametrize("options", PSO_OPTIONS, ids=["global", "ring-rebirth-vmax-bounds"])
def test_gpu_pso_matches_its_numpy_reference(options):
    net, X, y = problem()
    opts = dict(options)
    ring = opts.pop("topology", "global") == "ring"
    ref_theta, ref_history = naive_gpu.pso(
        reference_error(net, X, y, 0.01), naive.initial_box(net.layers, "tanh", "softmax", "fan_in"),
        swarm_size=5, n_iter=4, seed=3, ring=ring, **{"death_prob": 0.0, **opts})
    res = sr.train_pso(net, X, y, lam=0.01, swarm_size=5, max_iter=4, seed=3, device="cuda",
                       **{"death_prob": 0.0, **options})
    np.testing.assert_allclose(res.history, ref_history, rtol=1e-12)
    np.testing.assert_allclose(res.theta, ref_theta, rtol=1e-12, atol=1e-14)
    assert res.n_evaluations == 5 * 5


def test_gpu_cso_matches_its_numpy_reference():
    net, X, y = problem()
    ref_theta, ref_history = naive_gpu.cso(
        reference_error(net, X, y, 0.01), naive.initial_box(net.layers, "tanh", "softmax", "fan_in"),
        swarm_size=7, n_iter=4, seed=5, phi=0.2, v_max="init_width")
    res = sr.train_pso(net, X, y, lam=0.01, algorithm="cso", swarm_size=7, max_iter=4, seed=5,
                       phi=0.2, v_max="init_width", device="cuda")
    np.testing.assert_allclose(res.history, ref_history, rtol=1e-12)
    np.testing.assert_allclose(res.theta, ref_theta, rtol=1e-12, atol=1e-14)
    assert res.n_evaluations == 7 + 3 * 4


def test_gpu_slpso_matches_its_numpy_reference():
    net, X, y = problem()
    ref_theta, ref_history = naive_gpu.slpso(
        reference_error(net, X, y, 0.01), naive.initial_box(net.layers, "tanh", "softmax", "fan_in"),
        swarm_size=6, n_iter=4, seed=7, base_size=4)
    res = sr.train_pso(net, X, y, lam=0.01, algorithm="slpso", swarm_size=6, max_iter=4, seed=7,
                       base_size=4, device="cuda")
    np.testing.assert_allclose(res.history, ref_history, rtol=1e-12)
    np.testing.assert_allclose(res.theta, ref_theta, rtol=1e-12, atol=1e-14)


# -- the guarantees -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_same_seed_gives_the_same_bits_on_the_gpu(dtype):
    net, X, y = problem()
    kw = dict(lam=0.01, swarm_size=4, max_iter=3, seed=11, device="cuda", dtype=dtype,
              death_prob=0.2)
    a, b = sr.train_pso(net, X, y, **kw), sr.train_pso(net, X, y, **kw)
    assert a.theta.tobytes() == b.theta.tobytes()
    assert a.history.tobytes() == b.history.tobytes()
    c = sr.train_pso(net, X, y, **{**kw, "seed": 12})
    assert c.history.tobytes() != a.history.tobytes()


def test_a_run_is_the_same_however_it_is_split_into_launches():
    # A callback makes every launch one iteration; without one, a launch runs them all.
    net, X, y = problem()
    kw = dict(lam=0.01, swarm_size=4, max_iter=4, seed=2, device="cuda", topology="ring")
    whole = sr.train_pso(net, X, y, **kw)
    seen = []
    stepped = sr.train_pso(net, X, y, callback=lambda k, e, th: seen.append((k, e)), **kw)
    assert stepped.theta.tobytes() == whole.theta.tobytes()
    assert stepped.history.tobytes() == whole.history.tobytes()
    assert [k for k, _ in seen] == [1, 2, 3, 4]
    assert [e for _, e in seen] == list(whole.history[1:])


@pytest.mark.parametrize("algorithm, dtype", [("pso", "float32"), ("slpso", "float64")])
def test_a_gpu_run_continued_or_resumed_is_the_same_run(tmp_path, algorithm, dtype):
    # The state read back from the GPU is a checkpoint's; a run built from it prepares its
    # next iteration first, then goes on as if never stopped.
    net, X, y = problem()
    kw = dict(lam=0.01, swarm_size=6, max_iter=4, seed=3, algorithm=algorithm, dtype=dtype,
              device="cuda")
    whole = sr.train_pso(net, X, y, **kw)
    continued = sr.train_pso(net, X, y, **{**kw, "init": sr.train_pso(net, X, y, **{**kw,
                                                                              "max_iter": 2})})
    path = tmp_path / "run.ckpt"
    sr.train_pso(net, X, y, checkpoint=path, callback=lambda k, e, th: k >= 2, **kw)
    resumed = sr.train_pso(net, X, y, resume=path, **kw)
    for other in (continued, resumed):
        assert other.theta.tobytes() == whole.theta.tobytes()
        assert other.history.tobytes() == whole.history.tobytes()
        assert other.n_evaluations == whole.n_evaluations


def test_gpu_and_cpu_start_from_the_same_swarm():
    net, X, y = problem()
    kw = dict(lam=0.01, swarm_size=4, max_iter=1, seed=9)
    gpu = sr.train_pso(net, X, y, device="cuda", **kw)
    cpu = sr.train_pso(net, X, y, **kw)
    assert gpu.history[0] == pytest.approx(cpu.history[0], rel=1e-12)


def test_float32_on_the_gpu_agrees_with_float64():
    net, X, y = problem()
    kw = dict(lam=0.01, swarm_size=4, max_iter=3, seed=4, device="cuda")
    r64 = sr.train_pso(net, X, y, **kw)
    r32 = sr.train_pso(net, X, y, dtype="float32", **kw)
    assert r32.settings["dtype"] == "float32" and r32.theta.dtype == np.float64
    # The same draws from positions a float32 rounding apart: the same run, nearly.
    np.testing.assert_allclose(r32.history, r64.history, rtol=1e-5)
    # The result's E is computed again in float64; the history's in float32.
    assert r32.error == pytest.approx(r32.history[-1], rel=1e-6)


def test_target_and_patience_stop_a_gpu_run():
    net, X, y = problem()
    first = sr.train_pso(net, X, y, swarm_size=4, max_iter=1, seed=1, device="cuda")
    hit = sr.train_pso(net, X, y, swarm_size=4, max_iter=50, seed=1, device="cuda",
                       target_error=first.history[0])
    assert hit.stop_reason == "target_error" and hit.iterations == 0
    # A swarm that cannot move never improves: it stops after `patience` iterations.
    stalled = sr.train_pso(net, X, y, swarm_size=4, max_iter=50, seed=1, device="cuda",
                           patience=2, inertia=0.0, c1=0.0, c2=0.0, death_prob=0.0)
    assert stalled.stop_reason == "patience" and stalled.iterations == 2


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")  # the simulator's NumPy scalars
def test_a_run_without_a_finite_error_is_refused_on_the_gpu():
    # Positions where λ·Σw² overflows: every E is +inf, none may become a finite record.
    net, X, y = problem()
    with pytest.raises(sr.NonFiniteObjectiveError):
        sr.train_pso(net, X, y, lam=1e300, swarm_size=3, max_iter=2, seed=0, device="cuda",
                     init_range=(1e200, 1e201), bounds=(1e200, 1e201))


def test_gpu_and_cpu_runs_of_a_tiny_problem_agree_in_distribution():
    # Different streams (Philox on the GPU, PCG64 on the CPU), the same algorithm: the final
    # errors of 20 seeds must not tell the devices apart (Mann–Whitney U, two-sided).  Tiny,
    # for the simulator; test_gpu_and_cpu_runs_agree_in_distribution does it on Iris.
    from scipy.stats import mannwhitneyu

    net, X, y = problem(n=12)
    kw = dict(lam=0.01, swarm_size=4, max_iter=3)
    gpu = [sr.train_pso(net, X, y, seed=s, device="cuda", **kw).error for s in range(20)]
    cpu = [sr.train_pso(net, X, y, seed=s, **kw).error for s in range(20)]
    assert mannwhitneyu(gpu, cpu).pvalue > 0.01


def test_estimators_take_the_device_and_dtype():
    net, X, y = problem()
    clf = sr.PSOClassifier(hidden_layer_sizes=(3,), swarm_size=4, max_iter=2, random_state=0,
                           device="cuda", dtype="float32").fit(X, y)
    assert clf.result_.settings["device"] == "cuda" and clf.result_.settings["dtype"] == "float32"
    assert clf.predict(X).shape == (len(X),)


# -- on a real GPU ------------------------------------------------------------------------

@needs_gpu
def test_gpu_error_matches_the_cpu_on_the_benchmark_networks():
    from swarmreg.devices.cuda import swarm_error

    X, _, y, _ = sr.datasets.iris()
    Xt, yt = sr.datasets.make_teacher(2048, [32, 64, 10], seed=0)
    for net, X_, y_ in [(sr.Network([4, 7, 3]), X, y), (sr.Network([32, 64, 10]), Xt, yt)]:
        obj = Objective.build(net, X_, y_, 1e-3)
        thetas = np.random.default_rng(0).uniform(-10, 10, (64, net.n_params))
        data, pen = obj.terms(thetas)
        np.testing.assert_allclose(swarm_error(obj, thetas), data + 1e-3 * pen, rtol=1e-12)
        data32, pen32 = obj.terms(thetas.astype(np.float32).astype(np.float64))
        np.testing.assert_allclose(swarm_error(obj, thetas, "float32"), data32 + 1e-3 * pen32,
                                   rtol=1e-6)


@needs_gpu
@pytest.mark.parametrize("algorithm", ["pso", "cso", "slpso"])
def test_gpu_and_cpu_runs_agree_in_distribution(algorithm):
    # Different streams (Philox on the GPU, PCG64 on the CPU), the same algorithm: the final
    # errors of 24 seeds must not tell the devices apart (Mann–Whitney U, two-sided).
    from scipy.stats import mannwhitneyu

    X, _, y, _ = sr.datasets.iris()
    net = sr.Network([4, 7, 3])
    kw = dict(lam=1e-3, algorithm=algorithm, max_iter=150)
    gpu = [sr.train_pso(net, X, y, seed=s, device="cuda", **kw).error for s in range(24)]
    cpu = [sr.train_pso(net, X, y, seed=s, **kw).error for s in range(24)]
    assert mannwhitneyu(gpu, cpu).pvalue > 0.01
