"""dtype="float32" on the CPU: positions in float32, every layer and loss in float32
arithmetic, each item's loss summed in float64 (docs/design.md §13)."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import swarmreg as sr
from swarmreg.error import Objective


def benchmark_problems():
    """The networks and data of the benchmarks (experiments/benchmarks/gpu.py)."""
    X, _, y, _ = sr.datasets.iris()
    out = [pytest.param(sr.Network([4, 7, 3]), X, y, id="iris-4-7-3")]
    Xt, yt = sr.datasets.make_teacher(4096, [32, 64, 10], seed=0)
    out.append(pytest.param(sr.Network([32, 64, 10]), Xt, yt, id="teacher-32-64-10"))
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return out
    Xd, yd = load_digits(return_X_y=True)
    out.append(pytest.param(sr.Network([64, 32, 10]),
                            sr.datasets.Standardizer().fit_transform(Xd), yd, id="digits-64-32-10"))
    return out


@pytest.mark.parametrize("net, X, y", benchmark_problems())
def test_a_particles_float32_error_agrees_with_its_float64_error_to_1e_6(net, X, y):
    obj = Objective.build(net, X, y, 1e-3)
    rng = np.random.default_rng(0)
    half = net.init_half_widths()
    thetas = np.concatenate([rng.uniform(-10, 10, (8, net.n_params)),  # McCaffrey's box
                             rng.uniform(-half, half, (8, net.n_params))])  # fan_in
    thetas = thetas.astype(np.float32).astype(np.float64)  # the θ a float32 swarm holds
    d64, p64 = obj.terms(thetas)
    d32, p32 = obj.terms(thetas, "float32")
    np.testing.assert_allclose(d32 + 1e-3 * p32, d64 + 1e-3 * p64, rtol=1e-6)
    np.testing.assert_allclose(d32, d64, rtol=1e-6)


def test_a_float32_run_reports_float64_results_computed_again_in_float64():
    X, _, y, _ = sr.datasets.iris()
    res = sr.train_pso(sr.Network([4, 7, 3]), X, y, lam=1e-3, swarm_size=10, max_iter=30, seed=1,
                       dtype="float32")
    assert res.settings["dtype"] == "float32"
    assert res.theta.dtype == np.float64 and res.history.dtype == np.float64
    assert np.array_equal(res.theta, res.theta.astype(np.float32))  # a float32 position
    assert res.error == pytest.approx(res.history[-1], rel=1e-6)
    assert np.all(np.diff(res.history) <= 0)


def test_float32_and_float64_runs_start_alike_and_stay_close():
    X, _, y, _ = sr.datasets.iris()
    kw = dict(lam=1e-3, swarm_size=10, max_iter=20, seed=2, death_prob=0.0)
    r64 = sr.train_pso(sr.Network([4, 7, 3]), X, y, **kw)
    r32 = sr.train_pso(sr.Network([4, 7, 3]), X, y, dtype="float32", **kw)
    assert r32.history[0] == pytest.approx(r64.history[0], rel=1e-6)
    np.testing.assert_allclose(r32.history, r64.history, rtol=1e-3)


def test_cooperative_pso_runs_in_float64_only():
    X, _, y, _ = sr.datasets.iris()
    with pytest.raises(ValueError, match="cpso.*float64.*only"):
        sr.train_pso(sr.Network([4, 3, 3]), X, y, algorithm="cpso", dtype="float32", max_iter=2)


THREAD_SCRIPT = textwrap.dedent(
    """
    import json, numba, swarmreg as sr
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    runs = {}
    for topology in ("global", "ring"):
        res = sr.train_pso(sr.Network([4, 7, 3]), X, y, lam=0.01, swarm_size=16, max_iter=40,
                           topology=topology, death_prob=0.05, seed=11, dtype="float32")
        runs[topology] = [res.theta.tobytes().hex(), res.history.tobytes().hex()]
    print(json.dumps({"threads": numba.get_num_threads(), "runs": runs}))
    """
)


def test_float32_runs_are_bit_identical_on_one_and_two_threads():
    out = {}
    for threads in ("1", "2"):
        proc = subprocess.run([sys.executable, "-c", THREAD_SCRIPT],
                              env={**os.environ, "NUMBA_NUM_THREADS": threads},
                              capture_output=True, text=True, timeout=600, check=True)
        out[threads] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [out[t]["threads"] for t in ("1", "2")] == [1, 2]
    assert out["1"]["runs"] == out["2"]["runs"]


def test_float32_chunked_runs_match_one_call():
    X, _, y, _ = sr.datasets.iris()
    kw = dict(lam=0.01, swarm_size=8, max_iter=30, seed=3, topology="ring", death_prob=0.05,
              dtype="float32")
    ref = sr.train_pso(sr.Network([4, 7, 3]), X, y, **kw)
    stepped = sr.train_pso(sr.Network([4, 7, 3]), X, y, callback=lambda *a: False, **kw)
    assert stepped.theta.tobytes() == ref.theta.tobytes()
    assert stepped.history.tobytes() == ref.history.tobytes()


def test_estimators_fit_in_float32():
    X, _, y, _ = sr.datasets.iris()
    clf = sr.PSOClassifier(swarm_size=10, max_iter=20, random_state=0, dtype="float32").fit(X, y)
    assert clf.result_.settings["dtype"] == "float32"
    assert clf.score(X, y) > 0.3


def _rows32(f, x):
    buf = np.zeros((3, x.size), np.float32)
    buf[0] = x
    f(buf, buf.view(np.int32), 0, 1, x.size, 1, 2)
    return buf[0]


def test_float32_exp_and_tanh_are_within_1_and_2_ulp_and_never_subnormal():
    from swarmreg._kernels.fastmath import exp_rows32, tanh_rows32

    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-110, 90, 200_000), rng.uniform(-1, 1, 100_000)])
    x = x.astype(np.float32)
    with np.errstate(over="ignore"):
        want = np.exp(x.astype(np.float64)).astype(np.float32)
    got = _rows32(exp_rows32, x)
    tiny = np.finfo(np.float32).tiny
    normal = np.isfinite(want) & (want >= tiny)
    assert (np.abs(got[normal].astype(np.float64) - want[normal]) / np.spacing(want[normal])).max() <= 1
    assert np.all(got[want < tiny] == 0.0)  # a subnormal result is flushed to 0
    assert np.array_equal(got[~np.isfinite(want)], want[~np.isfinite(want)])
    t = np.concatenate([rng.uniform(-50, 50, 200_000), rng.normal(0, 1e-3, 100_000)])
    t = t.astype(np.float32)
    want_t = np.tanh(t.astype(np.float64)).astype(np.float32)
    got_t = _rows32(tanh_rows32, t)
    assert (np.abs(got_t.astype(np.float64) - want_t) / np.spacing(np.abs(want_t))).max() <= 2
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 30.0, -30.0], np.float32)
    assert np.array_equal(_rows32(tanh_rows32, special), np.tanh(special), equal_nan=True)
    assert np.array_equal(np.signbit(_rows32(tanh_rows32, special)), np.signbit(np.tanh(special)))
