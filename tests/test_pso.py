import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import swarmreg as sr

import naive


@pytest.fixture(scope="module")
def iris_split():
    return sr.datasets.iris(test_size=0.2, seed=0)


def linear_problem(N=60, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, d))
    t = X @ rng.uniform(-2, 2, d) + 0.7 + 0.3 * rng.normal(size=N)
    return X, t


@pytest.mark.parametrize("lam", [0.0, 1e-3, 0.1, 1.0, 5.0])
def test_pso_reaches_ridge_closed_form(lam):
    # With no hidden layer and an identity output, E is ridge regression with an
    # unpenalized intercept: convex, with a closed-form minimizer.
    X, t = linear_problem()
    w, b = naive.ridge(X, t, lam)
    optimum = np.append(w, b)  # layout of docs/design.md §3: W (d, 1) row-major, then b
    e_star = naive.regularized_error([3, 1], "tanh", "identity", optimum, X, t, lam)
    res = sr.train_pso(sr.Network([3, 1], output="identity"), X, t, lam=lam, max_iter=800, seed=1)
    gap = (res.error - e_star) / e_star
    assert -1e-12 < gap < 1e-6  # cannot beat the optimum by more than rounding
    np.testing.assert_allclose(res.theta, optimum, atol=1e-5)


def test_result_fields_are_consistent(iris_split):
    X, _, y, _ = iris_split
    net = sr.Network([4, 7, 3])
    res = sr.train_pso(net, X, y, lam=0.001, swarm_size=20, max_iter=150, seed=1)
    assert res.iterations == 150 and res.stop_reason == "max_iter" and res.trainer == "pso"
    assert res.n_evaluations == 20 * 151
    assert res.history.shape == (151,)
    assert np.all(np.diff(res.history) <= 0)  # the best error never gets worse
    assert res.history[-1] == res.error
    assert res.error == sr.regularized_error(net, res.theta, X, y, lam=0.001)
    assert res.error == res.data_error + res.penalty and res.mse == res.data_error
    w = res.theta[net.weight_mask]
    assert res.sum_sq_weights == pytest.approx(np.sum(w**2), rel=1e-14)
    assert res.penalty == pytest.approx(0.001 * np.sum(w**2), rel=1e-14)
    assert np.all(np.abs(res.theta) <= 10.0)
    with pytest.raises(ValueError):
        res.theta[0] = 1.0  # results are read-only


def test_cross_entropy_result_reports_mse_too(iris_split):
    X, _, y, _ = iris_split
    net = sr.Network([4, 5, 3])
    res = sr.train_pso(net, X, y, lam=0.01, loss="cross_entropy", max_iter=50, seed=2)
    assert res.data_error == sr.regularized_error(net, res.theta, X, y, 0.0, loss="cross_entropy")
    assert res.mse == sr.regularized_error(net, res.theta, X, y, 0.0)


def test_same_seed_is_bit_identical_and_other_seed_is_not(iris_split):
    X, _, y, _ = iris_split
    net = sr.Network([4, 7, 3])
    kw = dict(lam=0.01, swarm_size=12, max_iter=100, death_prob=0.05, seed=7)
    a, b = sr.train_pso(net, X, y, **kw), sr.train_pso(net, X, y, **kw)
    assert a.theta.tobytes() == b.theta.tobytes()
    assert a.history.tobytes() == b.history.tobytes()
    c = sr.train_pso(net, X, y, **{**kw, "seed": 8})
    assert c.theta.tobytes() != a.theta.tobytes()


def test_chunked_runs_match_one_call(iris_split):
    # A callback or progress bar runs the jitted loop in chunks; the state lives in
    # Python between chunks, so the numbers must not change.
    X, _, y, _ = iris_split
    net = sr.Network([4, 7, 3])
    # 250 iterations: the progress bar then runs 2 per call, the callback 1 per call,
    # and the next iteration's random numbers are drawn at the end of the previous call.
    kw = dict(lam=0.01, swarm_size=10, max_iter=250, topology="ring", death_prob=0.02, seed=3)
    ref = sr.train_pso(net, X, y, **kw)
    seen = []
    with_cb = sr.train_pso(net, X, y, callback=lambda it, e, th: seen.append((it, e)), **kw)
    with_bar = sr.train_pso(net, X, y, progress=True, **kw)
    for other in (with_cb, with_bar):
        assert other.theta.tobytes() == ref.theta.tobytes()
        assert other.history.tobytes() == ref.history.tobytes()
    assert [it for it, _ in seen] == list(range(1, 251))
    assert [e for _, e in seen] == list(ref.history[1:])


THREAD_SCRIPT = textwrap.dedent(
    """
    import json, os, numba, swarmreg as sr
    if "SET_NUM_THREADS" in os.environ:  # fewer threads than Numba started with
        numba.set_num_threads(int(os.environ["SET_NUM_THREADS"]))
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    runs = {}
    for topology in ("global", "ring"):
        res = sr.train_pso(sr.Network([4, 7, 3]), X, y, lam=0.01, swarm_size=16, max_iter=80,
                           topology=topology, death_prob=0.02, seed=11)
        runs[topology] = [res.theta.tobytes().hex(), res.history.tobytes().hex()]
    print(json.dumps({"threads": numba.get_num_threads(), "runs": runs}))
    """
)


def test_one_two_and_three_threads_are_bit_identical():
    # Tasks go to whichever thread is free, so with more threads than cores (3 here)
    # the particle-to-thread assignment changes from run to run: the bits must not.
    # "2→1": started with 2 threads, then numba.set_num_threads(1).
    out = {}
    for name, env in [("1", {"NUMBA_NUM_THREADS": "1"}), ("2", {"NUMBA_NUM_THREADS": "2"}),
                      ("3", {"NUMBA_NUM_THREADS": "3"}),
                      ("2→1", {"NUMBA_NUM_THREADS": "2", "SET_NUM_THREADS": "1"})]:
        proc = subprocess.run([sys.executable, "-c", THREAD_SCRIPT], env={**os.environ, **env},
                              capture_output=True, text=True, timeout=600, check=True)
        out[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [out[n]["threads"] for n in ("1", "2", "3", "2→1")] == [1, 2, 3, 1]
    assert out["1"]["runs"] == out["2"]["runs"] == out["3"]["runs"] == out["2→1"]["runs"]


def test_wait_policies_and_threading_layers_give_the_same_bits():
    # swarmreg sets GOMP_SPINCOUNT=300 unless the user chose a wait setting
    # (swarmreg/_runtime.py): how idle threads wait, and which layer runs them, must
    # not change a bit.  The default run (short spin, omp) is the reference.
    out = {}
    for name, env in [("default", {}), ("passive", {"OMP_WAIT_POLICY": "PASSIVE"}),
                      ("spin", {"GOMP_SPINCOUNT": "300000"}),
                      ("active", {"OMP_WAIT_POLICY": "ACTIVE"}),
                      ("workqueue", {"NUMBA_THREADING_LAYER": "workqueue"})]:
        full = {k: v for k, v in os.environ.items()
                if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
        proc = subprocess.run([sys.executable, "-c", THREAD_SCRIPT],
                              env={**full, "NUMBA_NUM_THREADS": "2", **env},
                              capture_output=True, text=True, timeout=600, check=True)
        out[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert all(o["threads"] == 2 for o in out.values())
    assert out["default"]["runs"] == out["passive"]["runs"] == out["spin"]["runs"] \
        == out["active"]["runs"] == out["workqueue"]["runs"]


def test_iris_defaults_reach_93_percent_test_accuracy():
    # Averaged over five splits and seeds: split seed 0 is a hard split on which
    # logistic regression, an SVM and scikit-learn's MLP all score 90%.
    net = sr.Network([4, 7, 3])
    accs = []
    for seed in range(5):
        X_tr, X_te, y_tr, y_te = sr.datasets.iris(test_size=0.2, seed=seed)
        res = sr.train_pso(net, X_tr, y_tr, seed=seed)
        accs.append(np.mean(net.predict(res.theta, X_te) == y_te))
    assert np.mean(accs) >= 0.93, accs
    assert min(accs) >= 0.85, accs


def test_target_error_stops_early():
    X, t = linear_problem()
    net = sr.Network([3, 1], output="identity")
    res = sr.train_pso(net, X, t, lam=0.1, max_iter=1000, target_error=0.5, seed=0)
    assert res.stop_reason == "target_error"
    assert res.error <= 0.5 < res.history[res.iterations - 1]


def test_patience_stops_after_no_improvement():
    X, t = linear_problem()
    net = sr.Network([3, 1], output="identity")
    res = sr.train_pso(net, X, t, max_iter=5000, patience=20, seed=0)
    assert res.stop_reason == "patience" and res.iterations < 5000
    tail = res.history[-21:]
    assert np.all(tail == tail[0]) and res.history[-22] > tail[0]


def test_callback_can_stop_the_run():
    X, t = linear_problem()
    net = sr.Network([3, 1], output="identity")
    res = sr.train_pso(net, X, t, max_iter=100, seed=0, callback=lambda it, e, th: it == 7)
    assert res.stop_reason == "callback" and res.iterations == 7 and res.history.shape == (8,)


def test_non_finite_errors_never_become_best():
    # Inputs of 1e153: the squared error overflows to inf once |w·x| > ~1e154, i.e.
    # for most initial particles, while the optimum (w ~ 1e-153) is finite.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 1)) * 1e153
    t = X[:, 0] * 2e-153 + 1.0
    net = sr.Network([1, 1], output="identity")
    start = np.random.default_rng(5).uniform(-10, 10, (30, 2))
    assert np.isinf(sr.regularized_error(net, start, X, t, 0.0)).sum() > 10
    res = sr.train_pso(net, X, t, max_iter=300, seed=5)
    assert np.all(np.isfinite(res.history[1:])) and np.isfinite(res.error)
    assert not np.any(np.isnan(res.history))


def test_ring_topology_and_rebirth_still_converge():
    X, t = linear_problem()
    w, b = naive.ridge(X, t, 0.1)
    net = sr.Network([3, 1], output="identity")
    res = sr.train_pso(net, X, t, lam=0.1, topology="ring", death_prob=0.01, max_iter=1500, seed=2)
    np.testing.assert_allclose(res.theta, np.append(w, b), atol=1e-4)


MCCAFFREY_BOX = dict(init_range=(-10.0, 10.0), bounds=(-10.0, 10.0))


@pytest.mark.parametrize(
    "options",
    [MCCAFFREY_BOX, dict(MCCAFFREY_BOX, ring=True), dict(MCCAFFREY_BOX, v_max=0.05),
     dict(MCCAFFREY_BOX, death_prob=0.2),
     dict(ring=True, death_prob=0.1, v_max=0.5, inertia=0.5, c1=2.0, c2=1.0, bounds=(-2.0, 3.0),
          init_range=(-2.0, 3.0), init_velocity=0.3),
     dict(), dict(death_prob=0.2, v_max="init_width"), dict(init_range=1.5, bounds=(-1.0, 1.0)),
     dict(init_range=(0.0, 1.0), init_velocity=(0.0, 1.0), inertia=0.9, c1=0.5, c2=0.3)],
    ids=["global", "ring", "v_max", "rebirth", "everything", "fan_in-unbounded",
         "fan_in-rebirth-v_max-init_width", "range-clipped", "pyswarms-start"],
)
def test_swarm_matches_numpy_reference_step_by_step(options):
    X, t = linear_problem(N=25, d=2, seed=4)
    layers = [2, 3, 1]
    net = sr.Network(layers, output="identity")
    options = dict(options)
    ring = options.pop("ring", False)
    init_range = options.pop("init_range", "fan_in")
    kw = dict(swarm_size=7, seed=13, **options)
    ref_theta, ref_history = naive.pso(
        lambda th: naive.regularized_error(layers, "tanh", "identity", th, X, t, 0.05),
        naive.initial_box(layers, "tanh", "identity", init_range), n_iter=25, ring=ring, **kw)
    res = sr.train_pso(net, X, t, lam=0.05, max_iter=25, topology="ring" if ring else "global",
                       init_range=init_range, **{"death_prob": 0.0, **kw})
    np.testing.assert_allclose(res.history, ref_history, rtol=1e-12)
    np.testing.assert_allclose(res.theta, ref_theta, rtol=1e-12, atol=1e-12)


def test_omitted_seed_is_recorded_and_reproduces_the_run():
    X, t = linear_problem()
    net = sr.Network([3, 1], output="identity")
    a = sr.train_pso(net, X, t, max_iter=20)
    b = sr.train_pso(net, X, t, max_iter=20, seed=a.seed)
    assert a.theta.tobytes() == b.theta.tobytes()
