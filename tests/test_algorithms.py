"""Every swarm algorithm against a slow NumPy reference of its paper's equations
(tests/naive.py), and the guarantees every algorithm keeps: the same bits on any number of
threads, however the run is chunked; a non-finite error never a best; target, patience and
callback; evaluations counted."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import swarmreg as sr
from swarmreg.algorithms import cpso as cpso_module

import naive

LAYERS = [3, 4, 2]


def problem(layers=LAYERS, output="softmax", n=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, layers[0]))
    y = rng.integers(0, layers[-1], n) if output == "softmax" else rng.normal(size=n)
    return sr.Network(layers, output=output), X, y


def reference_error(net, X, y, lam):
    return lambda th: naive.regularized_error(list(net.layers), net.hidden, net.output, th, X, y,
                                              lam)


def compare(res, ref_theta, ref_history, rtol=1e-12):
    np.testing.assert_allclose(res.history, ref_history, rtol=rtol)
    np.testing.assert_allclose(res.theta, ref_theta, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("options", [
    dict(), dict(phi=0.0), dict(phi=0.3, bounds=(-0.5, 0.5)), dict(v_max="init_width"),
    dict(init_range=(-1.0, 2.0), v_max=0.05)], ids=["default", "no-mean", "bounded", "clamped",
                                                   "range"])
@pytest.mark.parametrize("swarm_size", [8, 9])
def test_cso_matches_numpy_reference_step_by_step(options, swarm_size):
    net, X, y = problem()
    init_range = options.pop("init_range", "fan_in")
    ref = naive.cso(reference_error(net, X, y, 0.01),
                    naive.initial_box(LAYERS, "tanh", "softmax", init_range),
                    swarm_size=swarm_size, n_iter=30, seed=5, **options)
    res = sr.train_pso(net, X, y, lam=0.01, algorithm="cso", swarm_size=swarm_size, max_iter=30,
                       seed=5, init_range=init_range, **options)
    compare(res, *ref)
    assert res.n_evaluations == swarm_size + (swarm_size // 2) * 30


@pytest.mark.parametrize("options", [
    dict(), dict(base_size=4),
    dict(base_size=3, learning_exponent=1.0, social_influence=0.2, bounds=(-0.6, 0.6))],
    ids=["default", "small-base", "bounded"])
def test_slpso_matches_numpy_reference_step_by_step(options):
    net, X, y = problem()  # 26 parameters: base_size 4 makes ln⌈n/M⌉ > 0, a real P_L(r)
    paper = {"learning_exponent": "alpha", "social_influence": "beta"}
    ref = naive.slpso(reference_error(net, X, y, 0.01),
                      naive.initial_box(LAYERS, "tanh", "softmax", "fan_in"),
                      swarm_size=11, n_iter=30, seed=7,
                      **{paper.get(k, k): v for k, v in options.items()})
    res = sr.train_pso(net, X, y, lam=0.01, algorithm="slpso", swarm_size=11, max_iter=30,
                       seed=7, **options)
    compare(res, *ref)


def test_slpso_sizes_its_swarm_from_the_dimension():
    net, X, y = problem([3, 40, 2])  # 242 parameters
    res = sr.train_pso(net, X, y, algorithm="slpso", max_iter=2, seed=0)
    assert res.settings["swarm_size"] == 100 + 242 // 10


@pytest.mark.parametrize("output", ["softmax", "identity"])
@pytest.mark.parametrize("options", [dict(), dict(bounds=(-0.4, 0.4), v_max="init_width"),
                                     dict(init_velocity=0.5, inertia=0.5, c1=2.0, c2=1.0)],
                         ids=["default", "bounded", "coefficients"])
def test_cpso_matches_numpy_reference_step_by_step(options, output):
    layers = LAYERS if output == "softmax" else [3, 4, 1]
    net, X, y = problem(layers, output)
    ref = naive.cpso(reference_error(net, X, y, 0.01), layers,
                     naive.initial_box(layers, "tanh", output, "fan_in"),
                     swarm_size=6, n_iter=15, seed=3, **options)
    res = sr.train_pso(net, X, y, lam=0.01, algorithm="cpso", swarm_size=6, max_iter=15, seed=3,
                       **options)
    # Candidates' errors come from cached pre-activations, the reference's from scratch:
    # the same decisions, errors equal to rounding.
    compare(res, *ref, rtol=1e-10)


def test_a_cpso_candidate_error_equals_a_full_evaluation():
    net, X, y = problem([5, 6, 3], n=300)  # three blocks of items
    obj = sr.error.Objective.build(net, X, y, 0.02)
    rng = np.random.default_rng(1)
    state, settings = cpso_module.init(cpso_module.Options(), 4, obj, rng)
    res = sr.train_pso(net, X, y, lam=0.02, algorithm="cpso", swarm_size=4, max_iter=3, seed=2)
    assert res.error == sr.regularized_error(net, res.theta, X, y, 0.02)  # the record is exact
    index, dims = cpso_module.parts(net)
    assert sorted(np.concatenate([index[s, :dims[s]] for s in range(len(dims))])) == \
        list(range(net.n_params))  # the parts cover θ once
    assert np.array_equal(index[:6, :5], np.array([[i * 6 + h for i in range(5)]
                                                   for h in range(6)]))


def test_cpso_refuses_a_network_without_exactly_one_hidden_layer():
    for layers in ([3, 2], [3, 4, 4, 2]):
        net, X, y = problem(layers)
        with pytest.raises(ValueError, match="one hidden layer"):
            sr.train_pso(net, X, y, algorithm="cpso", max_iter=2)


def test_cpso_counts_a_candidate_as_its_fraction_of_a_pass():
    net, X, y = problem()
    res = sr.train_pso(net, X, y, algorithm="cpso", swarm_size=6, max_iter=10, seed=0)
    costs = cpso_module.part_costs(net)
    assert np.all(costs < 1.0) and costs.shape == (5,)
    passes = 6 * costs.sum() * 11  # the evaluation pass, then 10 iterations
    # ... plus one full pass for the start and one after each iteration whose context changed
    assert passes + 0.5 <= res.n_evaluations <= passes + 12.5  # (rounded to an int)


THREAD_SCRIPT = textwrap.dedent("""
    import json, os, sys, numba, swarmreg as sr
    if "SET_NUM_THREADS" in os.environ:
        numba.set_num_threads(int(os.environ["SET_NUM_THREADS"]))
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    res = sr.train_pso(sr.Network([4, 7, 3]), X, y, lam=0.01, algorithm=sys.argv[1],
                       swarm_size=12, max_iter=40, seed=11)
    print(json.dumps({"threads": numba.get_num_threads(),
                      "run": [res.theta.tobytes().hex(), res.history.tobytes().hex()]}))
    """)


def test_every_algorithm_gives_the_same_bits_on_one_two_and_three_threads(algorithm):
    out = {}
    for name, env in [("1", {"NUMBA_NUM_THREADS": "1"}), ("2", {"NUMBA_NUM_THREADS": "2"}),
                      ("3", {"NUMBA_NUM_THREADS": "3"}),
                      ("2→1", {"NUMBA_NUM_THREADS": "2", "SET_NUM_THREADS": "1"})]:
        proc = subprocess.run([sys.executable, "-c", THREAD_SCRIPT, algorithm],
                              env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        out[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [out[n]["threads"] for n in ("1", "2", "3", "2→1")] == [1, 2, 3, 1]
    assert out["1"]["run"] == out["2"]["run"] == out["3"]["run"] == out["2→1"]["run"]


def test_every_algorithm_chunked_matches_one_call(algorithm):
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 5, 3])
    kw = dict(lam=0.01, algorithm=algorithm, swarm_size=8, max_iter=60, seed=3)
    ref = sr.train_pso(net, X, y, **kw)
    seen = []
    with_cb = sr.train_pso(net, X, y, callback=lambda it, e, th: seen.append((it, e)), **kw)
    assert with_cb.theta.tobytes() == ref.theta.tobytes()
    assert with_cb.history.tobytes() == ref.history.tobytes()
    assert [e for _, e in seen] == list(ref.history[1:])
    assert np.all(np.diff(ref.history) <= 0) and ref.history[-1] == ref.error
    assert ref.error == sr.regularized_error(net, ref.theta, X, y, 0.01)


def test_every_algorithm_never_makes_a_non_finite_error_its_best(algorithm):
    # Inputs of 1e153: most starting particles in the box ±10 overflow to inf.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 1)) * 1e153
    t = X[:, 0] * 2e-153 + 1.0
    net = sr.Network([1, 2, 1], output="identity")
    res = sr.train_pso(net, X, t, algorithm=algorithm, max_iter=100, seed=5,
                       init_range=(-10.0, 10.0), bounds=(-10.0, 10.0))
    assert np.all(np.isfinite(res.history)) and np.isfinite(res.error)


def test_every_algorithm_stops_at_its_target_patience_or_callback(algorithm):
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 5, 3])
    kw = dict(algorithm=algorithm, swarm_size=8, seed=0)
    free = sr.train_pso(net, X, y, max_iter=50, **kw)
    target = free.history[20]
    res = sr.train_pso(net, X, y, max_iter=50, target_error=target, **kw)
    assert res.stop_reason == "target_error" and res.error <= target
    assert res.history.tobytes() == free.history[: res.iterations + 1].tobytes()
    res = sr.train_pso(net, X, y, max_iter=5000, patience=5, **kw)
    assert res.stop_reason == "patience" and np.all(res.history[-6:] == res.history[-1])
    res = sr.train_pso(net, X, y, max_iter=50, callback=lambda it, e, th: it == 7, **kw)
    assert res.stop_reason == "callback" and res.iterations == 7


def test_every_algorithm_counts_its_evaluations(algorithm):
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 5, 3])
    short, longer = (sr.train_pso(net, X, y, algorithm=algorithm, swarm_size=8, max_iter=m, seed=0)
                     for m in (10, 20))
    assert 8 <= short.n_evaluations < longer.n_evaluations


CTRL_C_SCRIPT = textwrap.dedent("""
    import signal, sys
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import swarmreg as sr
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 7, 3])
    sr.train_pso(net, X, y, algorithm=sys.argv[1], max_iter=3, seed=1)  # loads the kernels
    print("ready", flush=True)
    try:
        sr.train_pso(net, X, y, algorithm=sys.argv[1], max_iter=10**9, seed=1)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
""")


def test_every_algorithm_answers_ctrl_c_within_a_fraction_of_a_second(algorithm):
    import time

    from test_interrupts import interrupt_after, read_line, stderr_of

    proc, sent = interrupt_after(CTRL_C_SCRIPT, [algorithm], "ready", delay=0.5)
    try:
        line = read_line(proc, 30)
        latency = time.monotonic() - sent
        assert line == "interrupted", f"no reaction in 30 s: {stderr_of(proc)}"
        assert latency < 2.0, f"Ctrl-C took {latency:.2f} s"
    finally:
        proc.kill()
