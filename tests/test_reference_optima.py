"""Every trainer reaches the closed-form ridge optimum of the linear case."""

import numpy as np
import pytest

import swarmreg as sr

import naive


def linear_problem(N=50, d=3, K=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, d)) * [1.0, 3.0, 0.5][:d]
    t = X @ rng.uniform(-2, 2, (d, K)) + 0.7 + 0.3 * rng.normal(size=(N, K))
    return X, (t[:, 0] if K == 1 else t)


@pytest.mark.parametrize("lam", [0.0, 0.01, 1.0])
@pytest.mark.parametrize("K", [1, 2])
def test_ridge_closed_form_matches_naive_normal_equations(lam, K):
    X, t = linear_problem(K=K)
    theta = sr.ridge_closed_form(X, t, lam)
    T = t.reshape(len(X), -1)
    for k in range(K):
        w, b = naive.ridge(X, T[:, k], lam)
        np.testing.assert_allclose(theta[k : 3 * K : K], w, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(theta[3 * K + k], b, rtol=1e-10)


def test_ridge_closed_form_is_a_stationary_point_of_E():
    X, t = linear_problem(K=2)
    net = sr.Network([3, 2], output="identity")
    for include_biases in (False, True):
        theta = sr.ridge_closed_form(X, t, 0.3, include_biases=include_biases)
        grad = sr.gradient(net, theta, X, t, 0.3, include_biases)
        assert np.abs(grad).max() < 1e-12


@pytest.mark.parametrize("lam", [0.0, 0.05, 2.0])
def test_lbfgs_reaches_the_ridge_optimum(lam):
    # gtol = 1e-8 bounds the gradient; the Hessian's smallest eigenvalue here is > 0.3,
    # so the distance to the optimum is below ~3e-8.
    X, t = linear_problem()
    res = sr.train_lbfgs(sr.Network([3, 1], output="identity"), X, t, lam=lam, seed=0)
    assert res.stop_reason == "converged"
    np.testing.assert_allclose(res.theta, sr.ridge_closed_form(X, t, lam), rtol=0, atol=1e-7)


def test_every_trainer_reaches_the_same_optimum():
    X, t = linear_problem(N=48)
    net = sr.Network([3, 1], output="identity")
    lam_E, lr = 0.05, 0.02
    optimum = sr.ridge_closed_form(X, t, lam_E)
    e_star = sr.regularized_error(net, optimum, X, t, lam_E)
    found = {
        "pso": sr.train_pso(net, X, t, lam=lam_E, max_iter=1000, seed=0),
        "lbfgs": sr.train_lbfgs(net, X, t, lam=lam_E, seed=0),
    }
    for rule in ("objective", "textbook_batch", "textbook_dataset", "decay"):
        lam = sr.convert_lambda(lam_E, "objective", rule, lr=lr, batch_size=48, n_samples=48)
        found[rule] = sr.train_backprop(net, X, t, lam=lam, rule=rule, lr=lr, batch_size=None,
                                        epochs=6000, seed=0)
    for name, res in found.items():
        # PSO and L-BFGS stop at rounding level; full-batch GD contracts by at least
        # (1 − 2η·0.3)^6000 < 1e-30.  1e-9 leaves room for the conditioning of E.
        assert res.error == pytest.approx(e_star, rel=1e-9), name
        np.testing.assert_allclose(res.theta, optimum, rtol=0, atol=1e-6, err_msg=name)


def test_lbfgs_gradient_is_small_on_a_nonlinear_network():
    X, _, y, _ = sr.datasets.iris()
    net = sr.Network([4, 5, 3])
    res = sr.train_lbfgs(net, X, y, lam=1e-3, seed=0)
    assert res.stop_reason == "converged"
    assert np.abs(sr.gradient(net, res.theta, X, y, 1e-3)).max() < 1e-6
    assert np.all(np.diff(res.history) <= 1e-15)  # L-BFGS-B only accepts decreasing steps
    assert res.n_evaluations >= res.iterations


def test_lbfgs_callback_stops():
    X, t = linear_problem()
    res = sr.train_lbfgs(sr.Network([3, 1], output="identity"), X, t, lam=0.1, seed=0,
                         callback=lambda it, e, th: it >= 2)
    assert res.stop_reason == "callback" and res.iterations == 2
