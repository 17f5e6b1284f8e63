"""Each external λ convention against the library itself where it installs here
(PyTorch, scikit-learn, statsmodels, glmnet's Fortran through python-glmnet; Keras 3 and
optax in test_external_libraries_jax.py), each skipped with its reason when absent, and
against a NumPy re-implementation of its update or objective as its source states it
(cited per test), which runs everywhere.  swarmreg runs after conversion:
``convert_lambda`` gives the λ, ``lambda_equivalence`` the kind and the learning rate.
"""

import warnings

import numpy as np
import pytest

import swarmreg as sr

import naive


def regression(N=30, d=4, K=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, d))
    return X, np.tanh(X @ rng.normal(size=(d, K))) + 0.1 * rng.normal(size=(N, K))


def ours(net, X, T, scheme, value, *, rule="objective", optimizer="sgd", lib_lr, batch_size,
         epochs, theta0, momentum=0.0):
    """swarmreg's run equivalent to ``value`` in ``scheme`` at the library's ``lib_lr``."""
    ctx = dict(n_outputs=T.shape[1], n_samples=len(X), optimizer=optimizer, momentum=momentum)
    eq = sr.lambda_equivalence(scheme, "objective" if rule == "objective" else rule, **ctx)
    assert eq.kind == "same trajectory", eq
    lam = sr.convert_lambda(value, scheme, "objective", **ctx) if rule == "objective" else value
    return sr.train_backprop(net, X, T, lam=lam, rule=rule, optimizer=optimizer,
                             lr=lib_lr * eq.lr_factor, batch_size=batch_size, epochs=epochs,
                             momentum=momentum, shuffle=False, theta0=theta0).theta


# ---------------------------------------------------------------- PyTorch (CPU wheel) --

def torch_run(net, X, T, theta0, make_optimizer, *, batch_size, epochs, decay, reduction="mean"):
    """Train net's layout in torch float64, in item order; weights decay, biases do not."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install "
                                "'swarmreg[test-torch]' for the CPU wheel)")
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
              for layer in net.unpack(theta0) for p in layer]
    weights, biases = params[0::2], params[1::2]
    opt = make_optimizer(torch, [dict(params=weights, weight_decay=decay),
                                 dict(params=biases, weight_decay=0.0)])
    Xt, Tt = torch.tensor(X), torch.tensor(T)
    for _ in range(epochs):
        for start in range(0, len(X), batch_size):
            a = Xt[start:start + batch_size]
            for k, (W, b) in enumerate(zip(weights, biases)):
                a = a @ W + b
                if k < len(weights) - 1:
                    a = torch.tanh(a)
            loss = torch.nn.MSELoss(reduction=reduction)(a, Tt[start:start + batch_size])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return np.concatenate([p.detach().numpy().ravel() for p in params])


def test_torch_sgd_weight_decay_with_momentum_is_our_objective_rule():
    X, T = regression()
    net = sr.Network([4, 5, 3], output="identity")
    theta0 = net.initial_theta(0)
    wd, lr, mu = 0.05, 0.3, 0.9
    got = torch_run(net, X, T, theta0, lambda torch, groups: torch.optim.SGD(
        groups, lr=lr, momentum=mu), batch_size=10, epochs=6, decay=wd)
    mine = ours(net, X, T, "torch_weight_decay", wd, lib_lr=lr, batch_size=10, epochs=6,
                theta0=theta0, momentum=mu)
    assert np.abs(mine - theta0).max() > 0.05
    np.testing.assert_allclose(mine, got, rtol=0, atol=1e-10)


def test_torch_adam_weight_decay_is_our_objective_rule_through_adam():
    # One output: MSELoss(mean) is our MSE, so the gradients are the same and so is the path.
    X, T = regression(K=1)
    net = sr.Network([4, 5, 1], output="identity")
    theta0 = net.initial_theta(1)
    wd, lr = 0.05, 0.01
    got = torch_run(net, X, T, theta0, lambda torch, groups: torch.optim.Adam(groups, lr=lr),
                    batch_size=10, epochs=8, decay=wd)
    mine = ours(net, X, T, "torch_adam_weight_decay", wd, optimizer="adam", lib_lr=lr,
                batch_size=10, epochs=8, theta0=theta0)
    assert np.abs(mine - theta0).max() > 0.05
    np.testing.assert_allclose(mine, got, rtol=0, atol=1e-10)


def test_torch_adamw_is_our_decoupled_adam():
    X, T = regression(K=1)
    net = sr.Network([4, 5, 1], output="identity")
    theta0 = net.initial_theta(2)
    wd, lr = 0.5, 0.01
    got = torch_run(net, X, T, theta0, lambda torch, groups: torch.optim.AdamW(groups, lr=lr),
                    batch_size=10, epochs=8, decay=wd)
    mine = sr.train_backprop(net, X, T, lam=wd, rule="decoupled", optimizer="adam", lr=lr,
                             batch_size=10, epochs=8, shuffle=False, theta0=theta0).theta
    np.testing.assert_allclose(mine, got, rtol=0, atol=1e-10)
    no_decay = sr.train_backprop(net, X, T, optimizer="adam", lr=lr, batch_size=10, epochs=8,
                                 shuffle=False, theta0=theta0).theta
    assert np.abs(no_decay - got).max() > 1e-4  # the decay mattered
    assert sr.lambda_equivalence("torch_adamw", "objective", optimizer="adam").kind == "none"


def test_torch_adam_with_several_outputs_shares_only_the_optimum():
    # MSELoss(mean) over K = 3 outputs scales the gradient by 1/3: Adam's path moves (via ε)
    # but the stationary point is E's, for λ_E = K·wd/2.
    X, T = regression(N=20, d=3, K=3, seed=4)
    net = sr.Network([3, 3], output="identity")
    wd = 0.1
    eq = sr.lambda_equivalence("torch_adam_weight_decay", "objective", n_outputs=3,
                               optimizer="adam")
    assert eq.kind == "same optimum" and eq.lr_factor is None
    got = torch_run(net, X, T, net.initial_theta(0), lambda torch, groups: torch.optim.Adam(
        groups, lr=0.05), batch_size=20, epochs=1000, decay=wd)
    lam_E = sr.convert_lambda(wd, "torch_adam_weight_decay", "objective", n_outputs=3)
    np.testing.assert_allclose(got, sr.ridge_closed_form(X, T, lam_E), rtol=0, atol=1e-10)


# -------------------------------------------------------------------- scikit-learn ----

def test_sklearn_ridge_alpha_reaches_our_ridge_optimum():
    Ridge = pytest.importorskip("sklearn.linear_model").Ridge
    X, T = regression(N=40, K=3)
    alpha = 2.5
    model = Ridge(alpha=alpha, solver="cholesky").fit(X, T)
    lam_E = sr.convert_lambda(alpha, "sklearn_ridge_alpha", "objective", n_samples=40)
    assert lam_E == alpha / 40
    assert sr.lambda_equivalence("sklearn_ridge_alpha", "objective", n_samples=40).kind == "same optimum"
    np.testing.assert_allclose(sr.ridge_closed_form(X, T, lam_E),
                               np.append(model.coef_.T.ravel(), model.intercept_), rtol=0, atol=1e-10)


def test_sklearn_logistic_regression_c_reaches_our_cross_entropy_optimum():
    LogisticRegression = pytest.importorskip("sklearn.linear_model").LogisticRegression
    X, y = sr.datasets.load_iris()
    C = 0.7
    model = LogisticRegression(C=C, tol=1e-12, max_iter=100000).fit(X, y)
    lam_E = sr.convert_lambda(C, "sklearn_logistic_c", "objective", n_samples=len(X),
                              loss="cross_entropy")
    assert lam_E == pytest.approx(1 / (2 * C * len(X)), rel=1e-15)
    net = sr.Network([4, 3], output="softmax")
    res = sr.train_lbfgs(net, X, y, lam=lam_E, loss="cross_entropy", seed=0)
    W = net.unpack(res.theta)[0][0]
    # Softmax logits are defined up to a shift shared by all classes; the L2 term fixes it
    # for the weights (their class mean is 0), not for the unpenalized intercepts.
    np.testing.assert_allclose(W, model.coef_.T, rtol=0, atol=1e-5)
    with pytest.raises(sr.NoEquivalentLambdaError, match="log-loss"):
        sr.convert_lambda(C, "sklearn_logistic_c", "objective", n_samples=len(X), loss="mse")


def test_sklearn_mlpclassifier_alpha_full_batch_sgd_is_our_objective_rule():
    # MLPClassifier (sklearn/neural_network/_multilayer_perceptron.py): log-loss with
    # deltas = p − t and coef_grads = (aᵀδ + α·W)/m: the gradient of CE + (α/(2m))Σw², ours
    # at λ_E = α/(2m) without any learning-rate factor.  Plain SGD (momentum=0), one batch
    # of all N items per partial_fit, started from our θ0 (coefs_ are updated in place).
    MLPClassifier = pytest.importorskip("sklearn.neural_network").MLPClassifier
    X, y = sr.datasets.load_iris()
    N, alpha, eta = len(X), 0.5, 0.05
    net = sr.Network([4, 3], output="softmax")
    theta0 = net.initial_theta(0)
    (W0, b0), = net.unpack(theta0)
    model = MLPClassifier(hidden_layer_sizes=(), alpha=alpha, solver="sgd", learning_rate_init=eta,
                          momentum=0.0, batch_size=N, shuffle=False)
    model.partial_fit(X, y, classes=[0, 1, 2])
    model.coefs_[0][:], model.intercepts_[0][:] = W0, b0
    for _ in range(10):
        model.partial_fit(X, y)
    lam_E = sr.convert_lambda(alpha, "sklearn_mlpclassifier_alpha", "objective", n_samples=N,
                              loss="cross_entropy")
    assert lam_E == alpha / (2 * N)
    mine = sr.train_backprop(net, X, y, lam=lam_E, lr=eta, batch_size=None, epochs=10,
                             shuffle=False, theta0=theta0, loss="cross_entropy").theta
    assert np.abs(mine - theta0).max() > 0.1
    np.testing.assert_allclose(mine, np.append(model.coefs_[0].ravel(), model.intercepts_[0]),
                               rtol=0, atol=1e-12)


def test_sklearn_sgd_regressor_alpha_with_a_constant_step_is_our_online_objective_rule():
    # sklearn/linear_model/_sgd_fast.pyx, _plain_sgd: per item, dloss = p − y (squared_error,
    # ½(p − y)²), wscale *= 1 − η·α (penalty="l2"), w += −η·dloss·x, b += −η·dloss: i.e.
    # w ← (1 − ηα)w − η(p − y)x, our SGD step on E with λ_E = α at η/2.  (Its default
    # learning_rate="invscaling" changes η every step, and "optimal" sets it from α.)
    SGDRegressor = pytest.importorskip("sklearn.linear_model").SGDRegressor
    X, T = regression(N=25, d=3, K=1, seed=11)
    y, alpha, eta = T[:, 0], 0.05, 0.02
    net = sr.Network([3, 1], output="identity")
    theta0 = net.initial_theta(6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter epochs, on purpose
        model = SGDRegressor(alpha=alpha, penalty="l2", learning_rate="constant", eta0=eta,
                             shuffle=False, max_iter=4, tol=None).fit(
            X, y, coef_init=theta0[:3].copy(), intercept_init=theta0[3:].copy())
    lam_E = sr.convert_lambda(alpha, "sklearn_sgd_alpha", "objective", n_outputs=1)
    assert lam_E == alpha
    mine = sr.train_backprop(net, X, y, lam=lam_E, lr=eta / 2, batch_size=1, epochs=4,
                             shuffle=False, theta0=theta0).theta
    np.testing.assert_allclose(mine, np.append(model.coef_, model.intercept_), rtol=0, atol=1e-12)


# ------------------------------------- NumPy re-implementations of documented updates --

def linear_gradient(theta, X, T, d, K):
    """Our data gradient (no ½, summed over outputs) of Network([d, K], identity)."""
    W, b = theta[:d * K].reshape(d, K), theta[d * K:]
    R = X @ W + b - T
    return 2.0 / len(X) * np.append((X.T @ R).ravel(), R.sum(axis=0))


LIN_D, LIN_K = 4, 3


@pytest.fixture
def linear():
    X, T = regression(N=30, d=LIN_D, K=LIN_K, seed=7)
    net = sr.Network([LIN_D, LIN_K], output="identity")
    return net, X, T, net.initial_theta(3), np.arange(net.n_params) < LIN_D * LIN_K


def full_batch(step, theta0, epochs):
    theta = theta0.copy()
    for _ in range(epochs):
        theta = step(theta)
    return theta


def test_keras_l2_with_sgd(linear):
    # keras/src/regularizers/regularizers.py L2: l2·Σw² added to the mean_squared_error
    # (mean over outputs, then over the batch): its gradient is g/K + 2·l2·w; SGD(η).
    net, X, T, theta0, wmask = linear
    l2, eta = 0.02, 0.3
    keras = full_batch(lambda th: th - eta * (linear_gradient(th, X, T, LIN_D, LIN_K) / LIN_K
                                              + 2 * l2 * wmask * th), theta0, 20)
    mine = ours(net, X, T, "keras_l2", l2, lib_lr=eta, batch_size=None, epochs=20, theta0=theta0)
    np.testing.assert_allclose(mine, keras, rtol=0, atol=1e-12)


def test_keras_weight_decay_with_sgd(linear):
    # keras/src/optimizers/base_optimizer.py: _apply_weight_decay (variable − variable·wd·lr,
    # biases excluded with exclude_from_weight_decay) and then SGD's step on the gradient
    # taken at the old weights.
    net, X, T, theta0, wmask = linear
    wd, eta = 0.05, 0.3
    keras = full_batch(lambda th: th - th * wmask * wd * eta
                       - eta * linear_gradient(th, X, T, LIN_D, LIN_K) / LIN_K, theta0, 20)
    eq = sr.lambda_equivalence("keras_weight_decay", "decay", n_outputs=LIN_K, lr=eta / LIN_K)
    assert eq.kind == "same trajectory" and eq.lr_factor == pytest.approx(1 / LIN_K)
    lam = sr.convert_lambda(wd, "keras_weight_decay", "decay", n_outputs=LIN_K, lr=eta / LIN_K)
    assert lam == pytest.approx(wd * eta, rel=1e-14)  # the same shrink per step
    mine = sr.train_backprop(net, X, T, lam=lam, rule="decay", lr=eta / LIN_K, batch_size=None,
                             epochs=20, shuffle=False, theta0=theta0).theta
    np.testing.assert_allclose(mine, keras, rtol=0, atol=1e-12)
    assert sr.lambda_equivalence("keras_weight_decay", "objective", n_outputs=LIN_K,
                                 optimizer="adam").kind == "none"


def test_optax_add_decayed_weights_before_sgd(linear):
    # optax/transforms/_adding.py add_decayed_weights: updates + λ·params (masked to the
    # weights), then optax.sgd (optax/_src/alias.py): −η·update; loss jnp.mean((y − t)**2).
    net, X, T, theta0, wmask = linear
    lam, eta = 0.04, 0.3
    optax = full_batch(lambda th: th - eta * (linear_gradient(th, X, T, LIN_D, LIN_K) / LIN_K
                                              + lam * wmask * th), theta0, 20)
    mine = ours(net, X, T, "optax_add_decayed_weights", lam, lib_lr=eta, batch_size=None,
                epochs=20, theta0=theta0)
    np.testing.assert_allclose(mine, optax, rtol=0, atol=1e-12)


def test_optax_adamw_is_our_decoupled_adam():
    # optax/_src/alias.py adamw = chain(scale_by_adam(b1, b2, eps, eps_root=0),
    # add_decayed_weights(wd, mask), scale_by_learning_rate(lr)): the update is
    # −lr·(m̂/(√v̂ + ε) + wd·θ); one output, loss jnp.mean((y − t)**2) = our MSE.
    X, T = regression(N=30, d=LIN_D, K=1, seed=8)
    net = sr.Network([LIN_D, 1], output="identity")
    theta0, wmask = net.initial_theta(5), np.arange(LIN_D + 1) < LIN_D
    wd, lr, b1, b2, eps = 0.3, 0.02, 0.9, 0.999, 1e-8
    theta, mu, nu = theta0.copy(), np.zeros(LIN_D + 1), np.zeros(LIN_D + 1)
    for t in range(1, 31):
        g = linear_gradient(theta, X, T, LIN_D, 1)
        mu, nu = b1 * mu + (1 - b1) * g, b2 * nu + (1 - b2) * g * g
        update = (mu / (1 - b1**t)) / (np.sqrt(nu / (1 - b2**t)) + eps) + wd * wmask * theta
        theta = theta - lr * update
    mine = sr.train_backprop(net, X, T, lam=wd, rule="decoupled", optimizer="adam", lr=lr,
                             batch_size=None, epochs=30, shuffle=False, theta0=theta0).theta
    np.testing.assert_allclose(mine, theta, rtol=0, atol=1e-12)


def test_nielsen_network2_quadratic_cost_needs_half_the_learning_rate_too(linear):
    # network2.py, Network.update_mini_batch with QuadraticCost (C = ½‖a − y‖², delta = a − y):
    # w ← (1 − ηλ/n)·w − (η/m)·Σ∇C_x, b ← b − (η/m)·Σ∇_b C_x; n = training-set size.
    net, X, T, theta0, wmask = linear
    lmbda, eta, N = 3.0, 0.4, len(X)
    nielsen = full_batch(lambda th: (1 - eta * lmbda / N * wmask) * th
                         - eta * linear_gradient(th, X, T, LIN_D, LIN_K) / 2, theta0, 20)
    eq = sr.lambda_equivalence("nielsen_lmbda", "objective", n_samples=N)
    assert eq.lr_factor == 0.5  # and λ_E = λ/N, not λ/(2N) as without the ½
    assert sr.convert_lambda(lmbda, "nielsen_lmbda", "objective", n_samples=N) == lmbda / N
    mine = ours(net, X, T, "nielsen_lmbda", lmbda, lib_lr=eta, batch_size=None, epochs=20,
                theta0=theta0)
    np.testing.assert_allclose(mine, nielsen, rtol=0, atol=1e-12)


def test_half_mse_objective_differs_by_two_in_lambda_and_learning_rate(linear):
    # SGD on ½·MSE + λΣw²: gradient g/2 + 2λw.
    net, X, T, theta0, wmask = linear
    lam, eta = 0.05, 0.4
    half = full_batch(lambda th: th - eta * (linear_gradient(th, X, T, LIN_D, LIN_K) / 2
                                             + 2 * lam * wmask * th), theta0, 20)
    assert sr.convert_lambda(lam, "half_mse", "objective") == 2 * lam
    assert sr.lambda_equivalence("half_mse", "objective").lr_factor == 0.5
    mine = ours(net, X, T, "half_mse", lam, lib_lr=eta, batch_size=None, epochs=20, theta0=theta0)
    np.testing.assert_allclose(mine, half, rtol=0, atol=1e-12)


def test_glmnet_ridge_with_its_standardized_y():
    # glmnet, family="gaussian", alpha=0, standardize=FALSE: it centres y, divides it by
    # s_y = sqrt(mean((y − ȳ)²)) and the given λ by s_y too (elnet: "ulam/ys"), solves
    # (1/(2N))‖ỹ − X̃β̃‖² + (λ/s_y)/2·‖β̃‖² (X̃ centred, intercept unpenalized) and
    # returns β = s_y·β̃.  Re-implemented here in closed form.
    X, T = regression(N=50, d=4, K=1, seed=9)
    y, lam, N = T[:, 0] * 3.0 + 1.0, 0.2, 50
    s_y = np.sqrt(np.mean((y - y.mean()) ** 2))
    Xc, yt = X - X.mean(axis=0), (y - y.mean()) / s_y
    beta_t = np.linalg.solve(Xc.T @ Xc / N + lam / s_y * np.eye(4), Xc.T @ yt / N)
    beta = s_y * beta_t
    lam_E = sr.convert_lambda(lam, "glmnet_lambda", "objective", target_std=s_y)
    assert lam_E == pytest.approx(lam / s_y)
    w, b = naive.ridge(X, y, lam_E)
    np.testing.assert_allclose(w, beta, rtol=0, atol=1e-12)
    with pytest.raises(sr.LambdaContextError, match="target_std"):
        sr.convert_lambda(lam, "glmnet_lambda", "objective")


def test_glmnet_itself_reaches_our_ridge_optimum_at_lambda_over_s_y():
    # python-glmnet (glmnet/linear.py, ElasticNet._fit) hands X, y and lambda_path to the
    # Fortran glmnet's elnet (its compiled glmnet/_glmnet), which standardizes y by s_y and
    # solves at λ/s_y: the coefficients minimize E at λ_E = λ/s_y, not at λ.  tol is the
    # coordinate descent's threshold (default 1e-7; 1e-15 converges to ~5e-10 here).
    ElasticNet = pytest.importorskip("glmnet", reason="python-glmnet is not installed "
                                     "(pip install 'swarmreg[test-libs]')").ElasticNet
    X, T = regression(N=50, d=4, K=1, seed=9)
    y, lam = T[:, 0] * 3.0 + 1.0, 0.2
    model = ElasticNet(alpha=0.0, lambda_path=[lam], standardize=False, n_splits=0,
                       tol=1e-15, max_iter=10**6).fit(X, y)
    assert model.lambda_path_[0] == lam  # reported as given, on the scale of y
    lam_E = sr.convert_lambda(lam, "glmnet_lambda", "objective", target_std=np.std(y))
    theta = np.append(model.coef_path_[:, 0], model.intercept_path_[0])
    np.testing.assert_allclose(theta, sr.ridge_closed_form(X, y, lam_E), rtol=0, atol=1e-8)
    assert np.abs(theta - sr.ridge_closed_form(X, y, lam)).max() > 0.1  # s_y ≈ 2.1 matters


def test_statsmodels_fit_regularized_ridge():
    # statsmodels OLS.fit_regularized(alpha, L1_wt=0) -> _fit_ridge: params solve
    # (X'X + n·alpha·I)·β = X'y; with a constant column alpha must be 0 there (a vector).
    X, T = regression(N=50, d=4, K=1, seed=10)
    y, alpha, N = T[:, 0], 0.03, 50
    A = np.hstack([X, np.ones((N, 1))])
    pen = N * alpha * np.diag([1.0, 1.0, 1.0, 1.0, 0.0])
    params = np.linalg.solve(A.T @ A + pen, A.T @ y)
    lam_E = sr.convert_lambda(alpha, "statsmodels_alpha", "objective")
    w, b = naive.ridge(X, y, lam_E)
    np.testing.assert_allclose(np.append(w, b), params, rtol=0, atol=1e-12)


def test_statsmodels_itself_reaches_our_ridge_optimum():
    # statsmodels/regression/linear_model.py, OLS.fit_regularized with L1_wt=0 returns
    # _fit_ridge(alpha): the SVD solution of (X'X + nobs·diag(alpha))·β = X'y, alpha a
    # scalar or one entry per column.
    sm = pytest.importorskip("statsmodels.api", reason="statsmodels is not installed "
                             "(pip install 'swarmreg[test-libs]')")
    X, T = regression(N=50, d=4, K=1, seed=10)
    y, alpha = T[:, 0], 0.03
    A = sm.add_constant(X, prepend=False)  # the intercept last, as in our θ
    lam_E = sr.convert_lambda(alpha, "statsmodels_alpha", "objective")
    assert sr.lambda_equivalence("statsmodels_alpha", "objective").kind == "same optimum"
    free_intercept = sm.OLS(y, A).fit_regularized(alpha=np.array([alpha] * 4 + [0.0]), L1_wt=0)
    np.testing.assert_allclose(free_intercept.params, sr.ridge_closed_form(X, y, lam_E),
                               rtol=0, atol=1e-12)
    # A scalar alpha penalizes the constant column too: our include_biases=True.
    every_column = sm.OLS(y, A).fit_regularized(alpha=alpha, L1_wt=0)
    np.testing.assert_allclose(every_column.params,
                               sr.ridge_closed_form(X, y, lam_E, include_biases=True),
                               rtol=0, atol=1e-12)
    assert np.abs(every_column.params - free_intercept.params).max() > 1e-3
