import numpy as np
import pytest

import swarmreg as sr

import naive
from conftest import SHAPES, random_problem


def central_differences(f, theta, h=1e-6):
    g = np.empty_like(theta)
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h
        g[j] = (f(theta + e) - f(theta - e)) / (2 * h)
    return g


@pytest.mark.parametrize("layers", SHAPES)
@pytest.mark.parametrize("include_biases", [False, True])
def test_gradient_matches_finite_differences(layers, include_biases, activations):
    hidden, output = activations
    net, theta, X, y = random_problem(layers, hidden, output, 23, seed=len(layers), scale=0.7)
    lam = 0.03
    losses = ["mse"] + (["cross_entropy"] if output != "identity" else [])
    for loss in losses:
        def E(th):
            return naive.regularized_error(net.layers, hidden, output, th, X, y, lam, include_biases, loss)

        got = sr.gradient(net, theta, X, y, lam, include_biases, loss=loss)
        ref = central_differences(E, theta)
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-7)


def test_gradient_value_matches_error():
    net, theta, X, y = random_problem([4, 7, 3], "tanh", "softmax", 50, seed=1)
    value, _ = sr.gradient(net, theta, X, y, 0.1, return_value=True)
    ref = naive.regularized_error(net.layers, "tanh", "softmax", theta, X, y, 0.1)
    assert value == pytest.approx(ref, rel=1e-13)


@pytest.mark.parametrize("output", ["softmax", "logistic"])
def test_cross_entropy_gradient_with_soft_targets(output):
    net, theta, X, _ = random_problem([4, 6, 3], "tanh", output, 20, seed=8, scale=0.7)
    rng = np.random.default_rng(1)
    T = rng.dirichlet(np.ones(3), size=20) if output == "softmax" else rng.uniform(size=(20, 3))
    T[0] *= 0.5  # soft targets need not sum to one

    def E(th):
        return naive.regularized_error(net.layers, "tanh", output, th, X, T, 0.02, loss="cross_entropy")

    got = sr.gradient(net, theta, X, T, 0.02, loss="cross_entropy")
    np.testing.assert_allclose(got, central_differences(E, theta), rtol=1e-6, atol=1e-7)


def test_penalty_gradient_is_two_lambda_w_on_weights_only():
    net, theta, X, y = random_problem([4, 7, 3], "relu", "softmax", 30, seed=2)
    diff = sr.gradient(net, theta, X, y, 0.25) - sr.gradient(net, theta, X, y, 0.0)
    np.testing.assert_allclose(diff, np.where(naive.weight_mask(net.layers), 0.5 * theta, 0.0),
                               rtol=1e-12, atol=1e-15)
