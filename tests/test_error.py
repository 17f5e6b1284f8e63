import numpy as np
import pytest
from scipy.special import log_expit, log_softmax

import swarmreg as sr

import naive
from conftest import SHAPES, random_problem


@pytest.mark.parametrize("layers", SHAPES)
@pytest.mark.parametrize("n_samples", [1, 13, 64, 129])
@pytest.mark.parametrize("include_biases", [False, True])
def test_mse_error_matches_naive(layers, n_samples, include_biases, activations):
    hidden, output = activations
    net, theta, X, y = random_problem(layers, hidden, output, n_samples, seed=len(layers) + n_samples)
    lam = 0.037
    got = sr.regularized_error(net, theta, X, y, lam, include_biases)
    ref = naive.regularized_error(net.layers, hidden, output, theta, X, y, lam, include_biases)
    assert got == pytest.approx(ref, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("layers", SHAPES)
@pytest.mark.parametrize("hidden", ["tanh", "relu", "logistic"])
@pytest.mark.parametrize("output", ["softmax", "logistic"])
def test_cross_entropy_matches_naive(layers, hidden, output):
    net, theta, X, y = random_problem(layers, hidden, output, 70, seed=5)
    got = sr.regularized_error(net, theta, X, y, 0.01, loss="cross_entropy")
    ref = naive.regularized_error(net.layers, hidden, output, theta, X, y, 0.01, loss="cross_entropy")
    assert got == pytest.approx(ref, rel=1e-12)


def test_biases_are_not_penalized():
    net, theta, X, y = random_problem([4, 7, 3], "tanh", "softmax", 30, seed=1)
    bias_only = np.where(net.weight_mask, 0.0, 5.0)
    shifted = theta + bias_only
    e0, d0, p0 = sr.regularized_error(net, theta, X, y, 0.5, return_terms=True)
    e1, d1, p1 = sr.regularized_error(net, shifted, X, y, 0.5, return_terms=True)
    assert p1 == p0  # the penalty ignores a bias-only change...
    assert d1 != d0  # ...which does change the data error
    _, _, pb = sr.regularized_error(net, shifted, X, y, 0.5, include_biases=True, return_terms=True)
    assert pb == pytest.approx(0.5 * np.sum(shifted**2), rel=1e-14)


def test_terms_split_the_error():
    net, theta, X, y = random_problem([4, 7, 3], "tanh", "softmax", 30, seed=2)
    e, d, p = sr.regularized_error(net, theta, X, y, 0.2, return_terms=True)
    assert e == d + p
    assert d == pytest.approx(naive.data_error(net.layers, "tanh", "softmax", theta, X, y))
    assert p == pytest.approx(0.2 * np.sum(theta[naive.weight_mask(net.layers)] ** 2))


def test_stack_of_thetas_gives_one_error_per_row():
    net, theta, X, y = random_problem([5, 6, 4, 2], "relu", "identity", 40, seed=3)
    stack = np.random.default_rng(0).normal(size=(9, net.n_params))
    errs = sr.regularized_error(net, stack, X, y, 0.1)
    assert errs.shape == (9,)
    for row, e in zip(stack, errs):
        assert e == sr.regularized_error(net, row, X, y, 0.1)
        assert e == pytest.approx(naive.regularized_error(net.layers, "relu", "identity", row, X, y, 0.1),
                                  rel=1e-12)


def test_error_does_not_depend_on_float_layout_of_inputs():
    net, theta, X, y = random_problem([4, 7, 3], "tanh", "softmax", 30, seed=4)
    ref = sr.regularized_error(net, theta, X, y, 0.1)
    assert sr.regularized_error(net, theta, np.asfortranarray(X), y.astype(float), 0.1) == ref
    assert sr.regularized_error(net, theta, X.astype(np.float32).astype(float), y, 0.1) == pytest.approx(ref, rel=1e-6)


def test_one_hot_targets_equal_labels():
    net, theta, X, y = random_problem([4, 7, 3], "tanh", "softmax", 30, seed=5)
    assert sr.regularized_error(net, theta, X, np.eye(3)[y], 0.1) == sr.regularized_error(net, theta, X, y, 0.1)


def test_saturated_networks_give_finite_errors():
    # Logits in the thousands: exp overflows and a naive log(softmax) is -inf, so the
    # cross-entropy reference is taken from scipy's log_softmax / log_expit instead.
    net, theta, X, y = random_problem([4, 7, 3], "tanh", "softmax", 30, seed=6, scale=300.0)
    X = X * 100
    z = naive.logits(net.layers, "tanh", theta, X)
    assert np.abs(z).max() > 1000
    T = np.eye(3)[y]
    assert sr.regularized_error(net, theta, X, y, 0.0) == pytest.approx(
        naive.regularized_error(net.layers, "tanh", "softmax", theta, X, y, 0.0), rel=1e-12)
    ce_ref = -np.mean(np.sum(T * log_softmax(z, axis=1), axis=1))
    assert sr.regularized_error(net, theta, X, y, 0.0, loss="cross_entropy") == pytest.approx(ce_ref, rel=1e-12)

    net, theta, X, y = random_problem([4, 7, 2], "tanh", "logistic", 30, seed=6, scale=300.0)
    z = naive.logits(net.layers, "tanh", theta, X)
    T = np.eye(2)[y]
    ce_ref = -np.mean(np.sum(T * log_expit(z) + (1 - T) * log_expit(-z), axis=1))
    got = sr.regularized_error(net, theta, X, T, 0.0, loss="cross_entropy")
    assert got == pytest.approx(ce_ref, rel=1e-12)


def test_zero_lambda_ignores_an_overflowing_penalty():
    # Σw² overflows to inf for |w| > 1.3e154; with λ = 0 the penalty term is 0, not 0·inf.
    net = sr.Network([1, 1], output="identity")
    e, d, p = sr.regularized_error(net, [1e155, 0.0], [[1e-160]], [0.0], 0.0, return_terms=True)
    assert (e, p) == (d, 0.0) and d == pytest.approx(1e-10)
    assert np.all(np.isfinite(sr.gradient(net, [1e155, 0.0], [[1e-160]], [0.0], 0.0)))
