"""The scikit-learn conversion, checked against scikit-learn itself (skipped without it)."""

import warnings

import numpy as np
import pytest

import swarmreg as sr

neural_network = pytest.importorskip("sklearn.neural_network")
exceptions = pytest.importorskip("sklearn.exceptions")


def regression_data(N=60, K=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 3))
    T = np.tanh(X @ rng.normal(size=(3, K))) + 0.1 * rng.normal(size=(N, K))
    return X, (T[:, 0] if K == 1 else T)


def set_start(mlp, net, theta0, X, t):
    """Make ``mlp`` continue from swarmreg's θ0 (an initializing fit, then warm start)."""
    mlp.set_params(warm_start=True, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", exceptions.ConvergenceWarning)
        mlp.fit(X, t)
    for l, (W, b) in enumerate(net.unpack(theta0)):
        mlp.coefs_[l][...] = W
        mlp.intercepts_[l][...] = b


def sklearn_theta(mlp, net):
    return net.pack(zip(mlp.coefs_, mlp.intercepts_))


def test_linear_lbfgs_alpha_matches_ridge_with_converted_lambda():
    X, t = regression_data()
    alpha = 3.0
    lam_E = sr.convert_lambda(alpha, "sklearn_alpha", "objective", n_samples=len(X), n_outputs=1)
    mlp = neural_network.MLPRegressor(hidden_layer_sizes=(), solver="lbfgs", alpha=alpha,
                                      tol=1e-12, max_iter=10000, random_state=0).fit(X, t)
    net = sr.Network([3, 1], output="identity")
    # scikit-learn's L-BFGS stops once its loss (< 1) falls by less than 2.2e-9 per step,
    # with a gradient of up to ~1e-5; E's Hessian has eigenvalues >= 2λ_E = 0.1 here, so
    # the weights are within ~1e-4 of the optimum.
    got = sklearn_theta(mlp, net)
    np.testing.assert_allclose(got, sr.ridge_closed_form(X, t, lam_E), rtol=0, atol=2e-4)
    # Without the conversion (taking α as λ_E) the answer is far off.
    assert np.abs(sr.ridge_closed_form(X, t, alpha) - got).max() > 0.1


def test_one_hidden_layer_lbfgs_reaches_the_same_weights_from_the_same_start():
    X, t = regression_data(seed=1)
    alpha = 5.0
    net = sr.Network([3, 4, 1], hidden="tanh", output="identity")
    theta0 = net.initial_theta(7)
    lam_E = sr.convert_lambda(alpha, "sklearn_alpha", "objective", n_samples=len(X), n_outputs=1)
    mlp = neural_network.MLPRegressor(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs",
                                      alpha=alpha, tol=1e-12, max_fun=100000)
    set_start(mlp, net, theta0, X, t)
    mlp.set_params(max_iter=20000).fit(X, t)
    ours = sr.train_lbfgs(net, X, t, lam=lam_E, theta0=theta0)
    theirs = sklearn_theta(mlp, net)
    # scikit-learn's L-BFGS stops on scipy's default ftol, a relative reduction of 2.2e-9
    # that scipy divides by max(|loss|, 1): for a loss below 1 it stops with a gradient of
    # a few 1e-5 (measured: 3e-5).  Away from the one flat direction (a hidden unit whose
    # outgoing weight is ~0 leaves its bias free) the Hessian's smallest eigenvalue is
    # 0.025, so the weights agree to ~2·3e-5/0.025 ≈ 2e-3 and E to ~1e-7.
    assert np.abs(sr.gradient(net, ours.theta, X, t, lam_E)).max() < 1e-7
    e_theirs = sr.regularized_error(net, theirs, X, t, lam_E)
    assert e_theirs == pytest.approx(ours.error, rel=1e-6)
    assert e_theirs >= ours.error
    np.testing.assert_allclose(theirs, ours.theta, rtol=0, atol=2e-3)
    # scikit-learn's reported loss is half of E for one output.
    assert mlp.loss_ == pytest.approx(e_theirs / 2, rel=1e-6)
    # Taking α itself as λ_E would land elsewhere.
    wrong = sr.train_lbfgs(net, X, t, lam=alpha, theta0=theta0)
    assert np.abs(wrong.theta - theirs).max() > 0.1


def test_multi_output_sgd_follows_the_gradient_not_the_reported_loss():
    # With K = 2 outputs, scikit-learn's gradient belongs to ½(MSE + (α/m)Σw²) while its
    # loss_ is that with the MSE divided by K (#8349).  Full-batch SGD without momentum
    # follows the gradient, so it converges to the ridge optimum of λ_E = α/N.
    X, T = regression_data(N=40, K=2, seed=2)
    alpha, N = 2.0, len(X)
    with pytest.warns(sr.SklearnLossMismatchWarning):
        lam_E = sr.convert_lambda(alpha, "sklearn_alpha", "objective", batch_size=N, n_samples=N,
                                  n_outputs=2)
    mlp = neural_network.MLPRegressor(
        hidden_layer_sizes=(), solver="sgd", alpha=alpha, batch_size=N, learning_rate="constant",
        learning_rate_init=0.1, momentum=0.0, nesterovs_momentum=False, shuffle=False,
        max_iter=4000, tol=0.0, n_iter_no_change=10**6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", exceptions.ConvergenceWarning)
        mlp.fit(X, T)
    net = sr.Network([3, 2], output="identity")
    got = sklearn_theta(mlp, net)
    np.testing.assert_allclose(got, sr.ridge_closed_form(X, T, lam_E), rtol=0, atol=1e-8)
    # The reported loss is not E/2 but (MSE/K + (α/N)Σw²)/2.
    mse = sr.regularized_error(net, got, X, T, 0.0)
    sum_w2 = np.sum(got[net.weight_mask] ** 2)
    assert mlp.loss_ == pytest.approx((mse / 2 + alpha / N * sum_w2) / 2, rel=1e-9)
    assert mlp.loss_ != pytest.approx((mse + lam_E * sum_w2) / 2, rel=1e-3)
