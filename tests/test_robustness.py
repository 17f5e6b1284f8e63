"""Inputs a careful user hits sooner or later get a clear answer, never a silent wrong one:
runs that never saw a finite error, flags that are not booleans, λ conversions that
overflow, and calls that would need more memory than the machine has."""

import time

import numpy as np
import pytest

import swarmreg as sr
from swarmreg import _loop, _validation
from swarmreg.cli import main

LINEAR = sr.Network([2, 1], output="identity")


@pytest.fixture(scope="module")
def iris():
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    return X, y


# -- runs that never saw a finite error ---------------------------------------------------

@pytest.mark.parametrize("train", [
    lambda net, X, y: sr.train_pso(net, X, y, lam=1e308, swarm_size=5, max_iter=20, seed=1),
    lambda net, X, y: sr.train_backprop(net, X, y, lam=1e308, epochs=5, seed=1),
    lambda net, X, y: sr.train_lbfgs(net, X, y, lam=1e308, seed=1),
], ids=["pso", "backprop", "lbfgs"])
def test_a_run_that_never_saw_a_finite_error_raises_naming_lambda(train, iris):
    # Every penalty λ·Σw² overflows: before, PSO returned error=inf with a random θ and
    # stop_reason="max_iter", as if it had trained.
    with pytest.raises(sr.NonFiniteObjectiveError, match=r"lam=1e\+308 too large"):
        train(sr.Network([4, 7, 3]), *iris)


def test_non_finite_error_is_a_value_error_and_names_the_bounds_for_pso(iris):
    with pytest.raises(ValueError, match=r"bounds=\(-10, 10\)"):
        sr.train_pso(sr.Network([4, 7, 3]), *iris, lam=1e308, swarm_size=3, max_iter=2, seed=0,
                     init_range=(-10.0, 10.0), bounds=(-10.0, 10.0))


def test_pso_with_some_finite_errors_still_trains(iris):
    # Huge bounds: most particles overflow, but one finite error is a result.
    X, y = iris
    res = sr.train_pso(sr.Network([4, 3, 3]), X, y, lam=1e-3, bounds=(-1e150, 1e150), swarm_size=30,
                       max_iter=5, seed=0)
    assert np.isfinite(res.error)


def test_backprop_from_a_non_finite_start_that_recovers_trains():
    # E(θ0) overflows (a bias of 1e200), but one step with η = 0.5 on the one item puts the
    # bias back at a finite value: a finite E later is a result, not an error.
    res = sr.train_backprop(LINEAR, np.zeros((1, 2)), [1.0], lr=0.5, epochs=3,
                            theta0=np.array([0.0, 0.0, 1e200]), seed=0)
    assert not np.isfinite(res.history[0]) and np.isfinite(res.error)


def test_lbfgs_refuses_a_non_finite_start():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(sr.NonFiniteObjectiveError, match="starting θ is not finite"):
        sr.train_lbfgs(LINEAR, X, X[:, 0], lam=1.0, theta0=np.array([1e200, 1e200, 0.0]))


# -- flags that are not booleans ------------------------------------------------------------

@pytest.mark.parametrize("call, name", [
    (lambda v: sr.train_backprop(LINEAR, np.eye(2), [1.0, 0.0], epochs=1, shuffle=v), "shuffle"),
    (lambda v: sr.train_backprop(LINEAR, np.eye(2), [1.0, 0.0], epochs=1, progress=v), "progress"),
    (lambda v: sr.train_backprop(LINEAR, np.eye(2), [1.0, 0.0], epochs=1, include_biases=v),
     "include_biases"),
    (lambda v: sr.train_pso(LINEAR, np.eye(2), [1.0, 0.0], max_iter=1, progress=v), "progress"),
    (lambda v: sr.train_pso(LINEAR, np.eye(2), [1.0, 0.0], max_iter=1, include_biases=v),
     "include_biases"),
    (lambda v: sr.regularized_error(LINEAR, np.zeros(3), np.eye(2), [1.0, 0.0], 0.0, return_terms=v),
     "return_terms"),
    (lambda v: sr.gradient(LINEAR, np.zeros(3), np.eye(2), [1.0, 0.0], return_value=v),
     "return_value"),
])
@pytest.mark.parametrize("value", ["no", "False", 0, 1, None, 1.0])
def test_boolean_options_refuse_anything_but_a_bool(call, name, value):
    # bool("no") is True: train_backprop(shuffle="no") used to shuffle.
    with pytest.raises(TypeError, match=f"{name} must be True or False, got {value!r}"):
        call(value)


def test_numpy_booleans_are_booleans():
    assert _validation.check_bool(np.bool_(False), "flag") is False
    res = sr.train_backprop(LINEAR, np.eye(2), [1.0, 0.0], epochs=2, shuffle=np.bool_(False), seed=0)
    ref = sr.train_backprop(LINEAR, np.eye(2), [1.0, 0.0], epochs=2, shuffle=False, seed=0)
    assert res.theta.tobytes() == ref.theta.tobytes()


# -- λ conversions out of float64's range ---------------------------------------------------

@pytest.mark.parametrize("args, message", [
    ((1e300, "decay", "objective"), "is λ = inf in 'objective' .*overflows"),
    ((1e-300, "objective", "decay"), "is λ = 0.0 in 'decay' .*underflows"),
])
def test_a_conversion_out_of_float64_range_raises(args, message):
    with pytest.raises(ValueError, match=message):
        sr.convert_lambda(*args, lr=1e-300)


def test_a_context_whose_factor_overflows_raises():
    with pytest.raises(ValueError, match="scheme 'decay': one unit of its λ is λ_E = inf for lr=5e-324"):
        sr.convert_lambda(1.0, "decay", "objective", lr=5e-324)


def test_an_intermediate_overflow_with_a_representable_result_is_exact():
    # 1e300 · 1/(2·1e-10) overflows on the way, but the quotient by the same factor is 1e300.
    assert sr.convert_lambda(1e300, "decay", "decay", lr=1e-10) == 1e300
    assert sr.convert_lambda(1e308, "keras_l2", "keras_l2", n_outputs=3) == 1e308


def test_zero_converts_to_zero():
    assert sr.convert_lambda(0.0, "decay", "objective", lr=1e-300) == 0.0


def test_decay_fixed_point_out_of_range_raises():
    with pytest.raises(ValueError, match="overflows"):
        sr.decay_fixed_point_lambda(1e300, 1e-300, 0.5)


def test_cli_lambda_out_of_range_exits_2_with_one_line(capsys):
    assert main(["lambda", "1e300", "--from", "decay", "--to", "objective", "--lr", "1e-300"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("swarmreg lambda: error:") and "overflows" in lines[0]


# -- calls that need more memory than the machine has ---------------------------------------

def test_a_network_too_large_for_memory_fails_fast_naming_layers():
    # Before: a bare MemoryError, or gigabytes filled first.
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"layers=\[4, 1000000000000, 3\] \(8000000000003 parameters\) "
                                         r"need about 65.48 TiB of memory, more than the .* available"):
        sr.Network([4, 10**12, 3])
    assert time.perf_counter() - start < 1.0


def test_a_swarm_too_large_for_memory_fails_fast_naming_swarm_size(iris):
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"swarm_size=1000000000 particles of 59 parameters .* need "
                                         r"about 4.722 TiB"):
        sr.train_pso(sr.Network([4, 7, 3]), *iris, swarm_size=10**9)
    assert time.perf_counter() - start < 1.0


@pytest.fixture
def one_mebibyte(monkeypatch):
    monkeypatch.setattr(_validation, "available_memory", lambda: 2**20)


def test_the_swarm_estimate_counts_eleven_arrays_of_swarm_size_by_n_params(iris, one_mebibyte):
    net = sr.Network([4, 7, 3])  # 59 parameters: 11 · 8 · 59 = 5192 bytes per particle
    sr.train_pso(net, *iris, swarm_size=150, max_iter=1, seed=0)  # 760 KiB + scratch: fits
    with pytest.raises(ValueError, match=r"swarm_size=250 particles .*use a smaller swarm_size"):
        sr.train_pso(net, *iris, swarm_size=250, max_iter=1, seed=0)  # 1.24 MiB


def test_backprop_and_lbfgs_refuse_a_network_too_large_for_memory(iris, one_mebibyte):
    net = sr.Network([4, 4000, 3])  # 32003 parameters: 281 KiB for the network itself
    X, y = iris
    with pytest.raises(ValueError, match=r"32003 parameters need about 1.709 MiB .*smaller network"):
        sr.train_backprop(net, X, y, epochs=1, seed=0)
    with pytest.raises(ValueError, match=r"32003 parameters need about 7.325 MiB"):
        sr.train_lbfgs(net, X, y, seed=0)


def test_available_memory_is_a_positive_number_of_bytes():
    available = _validation.available_memory()
    assert available is None or available > 2**20
    assert _validation.format_bytes(512) == "512 B"
    assert _validation.format_bytes(3 * 2**30) == "3 GiB"


def test_cli_train_that_never_saw_a_finite_error_exits_2_with_one_line(capsys):
    assert main(["train", "--lam", "1e308", "--max-iter", "5"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("swarmreg train: error: no particle had a finite")
