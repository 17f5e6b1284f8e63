import numpy as np
import pytest

import swarmreg as sr
from swarmreg._kernels.backprop import SGD, online_step
from swarmreg._kernels.gradient import batch_gradient
from swarmreg.error import Objective

import naive
from conftest import random_problem

# One linear unit, θ = [w1, w2, b], and the numbers of the hand-computed steps below.
LINEAR = sr.Network([2, 1], output="identity")
THETA0 = np.array([0.5, -0.3, 0.1])
X1, T1 = np.array([[1.0, 2.0]]), np.array([0.7])
X2, T2 = np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([0.7, 0.0])
LR, LAM = 0.1, 0.2


def step(rule, X=X1, t=T1, lam=LAM, **kw):
    lam = 0.0 if rule == "none" else lam
    res = sr.train_backprop(LINEAR, X, t, lam=lam, rule=rule, lr=LR, batch_size=1, epochs=1,
                            shuffle=False, theta0=THETA0, **kw)
    return res.theta


# Item (x = [1, 2], t = 0.7) at θ0: z = 0.5·1 − 0.3·2 + 0.1 = 0, residual r = −0.7,
# g = 2r·[x, 1] = [−1.4, −2.8, −1.4].  With η = 0.1 and λ = 0.2:
@pytest.mark.parametrize(
    "rule, expected",
    [
        # w ← w − ηg;  b ← b − η·g_b = 0.1 + 0.14 = 0.24 for every rule
        ("none", [0.5 + 0.14, -0.3 + 0.28, 0.24]),
        # w ← w − η(g + 2λw) = w − 0.1·(g + 0.4w)
        ("objective", [0.5 - 0.1 * (-1.4 + 0.2), -0.3 - 0.1 * (-2.8 - 0.12), 0.24]),
        # w ← (1 − ηλ/m)w − ηg with m = 1: 0.98·w − 0.1·g
        ("textbook_batch", [0.49 + 0.14, -0.294 + 0.28, 0.24]),
        # N = 1 here, so the same as textbook_batch
        ("textbook_dataset", [0.49 + 0.14, -0.294 + 0.28, 0.24]),
        # w ← w − ηg − λw = 0.8·w − 0.1·g
        ("decay", [0.4 + 0.14, -0.24 + 0.28, 0.24]),
    ],
)
def test_hand_computed_single_step(rule, expected):
    np.testing.assert_allclose(step(rule), expected, rtol=0, atol=1e-15)


def test_include_biases_shrinks_the_bias_too():
    # b ← b − η(g_b + 2λb) = 0.1 − 0.1·(−1.4 + 0.04) = 0.236
    np.testing.assert_allclose(step("objective", include_biases=True),
                               [0.62, -0.008, 0.236], rtol=0, atol=1e-15)
    # b ← b − η·g_b − λb = 0.1 + 0.14 − 0.02
    np.testing.assert_allclose(step("decay", include_biases=True)[2], 0.22, rtol=0, atol=1e-15)


def test_hand_computed_two_items_tell_batch_from_dataset():
    # N = 2 items visited in order, one update each.
    # textbook_dataset: factor 1 − ηλ/N = 0.99.
    #   item 0: w = 0.99·[0.5, −0.3] − 0.1·[−1.4, −2.8] = [0.635, −0.017]; b = 0.24
    #   item 1 (x = [0, 1], t = 0): z = −0.017 + 0.24 = 0.223, g = [0, 0.446, 0.446]
    #           w = [0.99·0.635, 0.99·(−0.017) − 0.0446] = [0.62865, −0.06143]; b = 0.1954
    np.testing.assert_allclose(step("textbook_dataset", X=X2, t=T2), [0.62865, -0.06143, 0.1954],
                               rtol=0, atol=1e-15)
    # textbook_batch: factor 1 − ηλ/1 = 0.98.
    #   item 0: w = [0.63, −0.014]; b = 0.24
    #   item 1: z = 0.226, g = [0, 0.452, 0.452]; w = [0.6174, −0.01372 − 0.0452]; b = 0.1948
    np.testing.assert_allclose(step("textbook_batch", X=X2, t=T2), [0.6174, -0.05892, 0.1948],
                               rtol=0, atol=1e-15)


def test_hand_computed_momentum_puts_decay_outside_the_buffer():
    # objective, μ = 0.9: step 1 v = −0.1·(g + 0.4w) = [0.12, 0.292, 0.14], θ = [0.62, −0.008, 0.24]
    # step 2 (x = [0, 1], t = 0): z = 0.232, g = [0, 0.464, 0.464]
    #   v = 0.9·v − 0.1·(g + 0.4w) = [0.108 − 0.0248, 0.2628 − 0.04608, 0.126 − 0.0464]
    np.testing.assert_allclose(step("objective", X=X2, t=T2, momentum=0.9),
                               [0.62 + 0.0832, -0.008 + 0.21672, 0.24 + 0.0796], rtol=0, atol=1e-15)
    # decay with λ = 2ηλ_E = 0.04, μ = 0.9: step 1 v = −0.1·g, θ = w + v − 0.04w = [0.62, −0.008, 0.24]
    # step 2: same g; v = 0.9·[0.14, 0.28, 0.14] − 0.1·g = [0.126, 0.2056, 0.0796]
    #   θ = w + v − 0.04w = [0.62 + 0.126 − 0.0248, −0.008 + 0.2056 + 0.00032, 0.3196]
    np.testing.assert_allclose(step("decay", X=X2, t=T2, lam=0.04, momentum=0.9),
                               [0.7212, 0.19792, 0.3196], rtol=0, atol=1e-15)


@pytest.mark.parametrize("batch_size, momentum", [(1, 0.0), (1, 0.9), (7, 0.0)])
def test_shuffled_epoch_visits_the_items_in_rng_permutation_order(batch_size, momentum):
    # One shuffled epoch = one epoch in order over X[perm], perm being what the run's
    # Generator (seeded, after drawing θ0) returns from permutation(N).
    X, t = linear_problem(N=30, d=3, seed=5)
    net = sr.Network([3, 4, 1], output="identity")
    rng = np.random.default_rng(21)
    theta0 = net.initial_theta(rng)
    perm = rng.permutation(30)
    kw = dict(lam=0.01, lr=0.05, batch_size=batch_size, momentum=momentum, epochs=1)
    shuffled = sr.train_backprop(net, X, t, seed=21, **kw)
    in_order = sr.train_backprop(net, X[perm], t[perm], theta0=theta0, shuffle=False, **kw)
    assert shuffled.theta.tobytes() == in_order.theta.tobytes()
    assert shuffled.theta.tobytes() != theta0.tobytes()


@pytest.mark.parametrize("layers", [[4, 7, 3], [3, 5, 4, 2]])
def test_online_step_equals_the_batch_of_one_update(layers, activations):
    # The online path folds the gradient into the update; it must give the update
    # v ← μv − η(g + a·s⊙θ), θ ← θ + v − d·s⊙θ with g = batch_gradient over one item.
    hidden, output = activations
    for loss in ["mse"] + (["cross_entropy"] if output != "identity" else []):
        check_online_step(layers, hidden, output, loss)


def check_online_step(layers, hidden, output, loss):
    net, theta, X, y = random_problem(layers, hidden, output, 6, seed=4, scale=0.7)
    obj = Objective.build(net, X, y, 0.0, loss=loss)
    gradient = obj.gradient_pass()
    mask = np.where(np.random.default_rng(0).uniform(size=net.n_params) < 0.7, 1.0, 0.0)
    lr, mu, a, d = 0.3, 0.6, 0.05, 0.02
    theta_ref, vel_ref = theta.copy(), np.random.default_rng(1).normal(size=net.n_params)
    theta_new, vel_new = theta_ref.copy(), vel_ref.copy()
    order = np.array([2, 0, 5, 5, 1, 3, 4])
    for r, item in enumerate(order):
        batch_gradient(theta_ref, gradient, order, r, 1)
        vel_ref = mu * vel_ref - lr * (gradient.grad + a * mask * theta_ref)
        theta_ref = theta_ref + vel_ref - d * mask * theta_ref
        online_step(theta_new, vel_new, np.zeros(0), gradient, item, SGD,
                    (lr, mu, 0.9, 0.999, 1e-8), (lr, 1.0), a, d, mask)
        # The same operations in the same order: the same bits.
        np.testing.assert_array_equal(theta_new, theta_ref)
        np.testing.assert_array_equal(vel_new, vel_ref)
    assert np.abs(theta_new - theta).max() > 0.01  # it did move


@pytest.fixture(scope="module")
def iris():
    return sr.datasets.iris()[0::2]


RULES = ("objective", "textbook_batch", "textbook_dataset", "decay")


def hand_lambda(rule, lam_E, lr, m, N):
    """The nominal λ of each rule for λ_E, from the table of docs/design.md §4."""
    return {"objective": lam_E, "textbook_batch": 2 * m * lam_E, "textbook_dataset": 2 * N * lam_E,
            "decay": 2 * lr * lam_E}[rule]


@pytest.mark.parametrize("batch_size", [1, 8, None])
def test_converted_rules_follow_the_same_trajectory(iris, batch_size):
    X, y = iris
    net = sr.Network([4, 5, 3])
    lam_E, lr = 3e-3, 0.05
    m = batch_size or len(X)
    thetas = {}
    for rule in RULES:
        lam = hand_lambda(rule, lam_E, lr, m, len(X))
        assert sr.convert_lambda(lam, rule, "objective", lr=lr, batch_size=m,
                                 n_samples=len(X)) == pytest.approx(lam_E, rel=1e-15)
        res = sr.train_backprop(net, X, y, lam=lam, rule=rule, lr=lr, batch_size=batch_size,
                                epochs=5, seed=3)
        assert res.lam == pytest.approx(lam_E, rel=1e-15)
        thetas[rule] = res.theta
    start = net.initial_theta(np.random.default_rng(3))
    assert np.abs(thetas["objective"] - start).max() > 0.05  # it did move
    for rule in RULES[1:]:
        np.testing.assert_allclose(thetas[rule], thetas["objective"], rtol=0, atol=1e-12)
    plain = sr.train_backprop(net, X, y, lam=0.0, rule="none", lr=lr, batch_size=batch_size,
                              epochs=5, seed=3)
    assert np.abs(plain.theta - thetas["objective"]).max() > 1e-4  # and λ mattered


def test_uneven_batches_have_no_textbook_batch_equivalent(iris):
    # 120 items in batches of 7 leave a last batch of 1, shrunk by ηλ/1 instead of ηλ/7.
    X, y = iris
    with pytest.raises(sr.NoEquivalentLambdaError, match="last batch of 1"):
        sr.train_backprop(sr.Network([4, 5, 3]), X, y, lam=0.1, rule="textbook_batch", lr=0.05,
                          batch_size=7, epochs=1, seed=0)
    # The other rules do not depend on m and still agree with each other.
    kw = dict(lr=0.05, batch_size=7, epochs=3, seed=0)
    a = sr.train_backprop(sr.Network([4, 5, 3]), X, y, lam=0.003, rule="objective", **kw).theta
    b = sr.train_backprop(sr.Network([4, 5, 3]), X, y, lam=2 * 0.05 * 0.003, rule="decay", **kw).theta
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_with_momentum_decay_leaves_the_objective_trajectory(iris):
    X, y = iris
    net = sr.Network([4, 5, 3])
    lam_E, lr, mu = 3e-3, 0.02, 0.9
    kw = dict(lr=lr, batch_size=8, epochs=5, momentum=mu, seed=3)
    objective = sr.train_backprop(net, X, y, lam=lam_E, rule="objective", **kw).theta
    for rule in ("textbook_batch", "textbook_dataset"):  # coupled: still the same path
        lam = sr.convert_lambda(lam_E, "objective", rule, batch_size=8, n_samples=len(X))
        np.testing.assert_allclose(sr.train_backprop(net, X, y, lam=lam, rule=rule, **kw).theta,
                                   objective, rtol=0, atol=1e-12)
    decay = sr.train_backprop(net, X, y, lam=2 * lr * lam_E, rule="decay", **kw).theta
    assert np.abs(decay - objective).max() > 1e-4
    with pytest.raises(sr.NoEquivalentLambdaError):
        sr.convert_lambda(2 * lr * lam_E, "decay", "objective", lr=lr, momentum=mu)


def linear_problem(N=40, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, d))
    return X, X @ rng.uniform(-2, 2, d) + 0.7 + 0.3 * rng.normal(size=N)


@pytest.mark.parametrize("rule", RULES)
def test_full_batch_rules_reach_the_ridge_closed_form(rule):
    # Full-batch gradient descent is deterministic, so each converted rule converges to
    # the minimizer of E; 3000 epochs at η = 0.1 shrink the error by (1 − 0.1·2·μ_min)^3000
    # with μ_min ≈ 0.5 the smallest Hessian eigenvalue here: far below 1e-10.
    X, t = linear_problem()
    lam_E, lr = 0.1, 0.1
    lam = sr.convert_lambda(lam_E, "objective", rule, lr=lr, batch_size=len(X), n_samples=len(X))
    res = sr.train_backprop(sr.Network([3, 1], output="identity"), X, t, lam=lam, rule=rule, lr=lr,
                            batch_size=None, epochs=3000, seed=0)
    w, b = naive.ridge(X, t, lam_E)
    np.testing.assert_allclose(res.theta, np.append(w, b), rtol=0, atol=1e-10)


def test_decay_with_momentum_shares_only_the_fixed_point():
    X, t = linear_problem()
    lam, lr, mu = 0.02, 0.05, 0.8
    res = sr.train_backprop(sr.Network([3, 1], output="identity"), X, t, lam=lam, rule="decay",
                            lr=lr, momentum=mu, batch_size=None, epochs=3000, seed=0)
    lam_E = lam * (1 - mu) / (2 * lr)
    assert res.lam == pytest.approx(lam_E)
    w, b = naive.ridge(X, t, lam_E)
    np.testing.assert_allclose(res.theta, np.append(w, b), rtol=0, atol=1e-10)


def test_online_sgd_ends_near_the_ridge_solution():
    # Online SGD with a constant step keeps fluctuating around the optimum by O(η);
    # with η = 0.002 the distance stays within a few 1e-3.
    X, t = linear_problem()
    res = sr.train_backprop(sr.Network([3, 1], output="identity"), X, t, lam=0.1, lr=0.002,
                            batch_size=1, epochs=400, seed=0)
    w, b = naive.ridge(X, t, 0.1)
    np.testing.assert_allclose(res.theta, np.append(w, b), atol=5e-3)


def test_history_is_the_error_after_each_epoch(iris):
    X, y = iris
    net = sr.Network([4, 5, 3])
    thetas = []
    res = sr.train_backprop(net, X, y, lam=0.01, lr=0.05, epochs=4, seed=2,
                            callback=lambda ep, e, th: thetas.append((e, th)))
    assert res.history.shape == (5,) and res.iterations == 4 and res.n_evaluations == 4
    assert res.history[0] == sr.regularized_error(net, net.initial_theta(2), X, y, 0.01)
    for k, (e, th) in enumerate(thetas, start=1):
        assert e == res.history[k] == sr.regularized_error(net, th, X, y, 0.01)
    assert res.error == res.history[-1]
    plain = sr.train_backprop(net, X, y, lam=0.01, lr=0.05, epochs=4, seed=2)
    assert plain.theta.tobytes() == res.theta.tobytes()  # callbacks do not change the run


def test_divergence_is_reported_and_theta_stays_finite(iris):
    X, y = iris
    res = sr.train_backprop(sr.Network([4, 5, 3], hidden="relu", output="identity"), X,
                            np.eye(3)[y] * 1e3, lr=10.0, epochs=50, seed=0)
    assert res.stop_reason == "diverged"
    assert np.all(np.isfinite(res.theta)) and np.isfinite(res.error)


def test_patience_and_target(iris):
    X, y = iris
    net = sr.Network([4, 5, 3])
    res = sr.train_backprop(net, X, y, lr=0.01, epochs=500, target_error=0.3, seed=1)
    assert res.stop_reason == "target_error" and res.error <= 0.3 < res.history[-2]
    res = sr.train_backprop(net, X, y, lr=0.5, epochs=500, patience=3, seed=1)
    assert res.stop_reason == "patience" and res.iterations < 500
    assert min(res.history[-3:]) >= min(res.history[:-3])


def test_rule_none_rejects_a_lambda():
    with pytest.raises(ValueError, match="rule='none' applies no L2 term"):
        sr.train_backprop(LINEAR, X1, T1, lam=0.1, rule="none")


@pytest.mark.parametrize(
    "kwargs, exc, message",
    [
        (dict(rule="l2"), ValueError, "rule must be one of"),
        (dict(lr=0.0), ValueError, "lr must be > 0.0"),
        (dict(momentum=1.0), ValueError, "momentum must be < 1.0"),
        (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
        (dict(batch_size=11), ValueError, r"batch_size must be <= the number of training items \(10\)"),
        (dict(epochs=0), ValueError, "epochs must be >= 1"),
        (dict(lam=-1.0), ValueError, "lam must be >= 0.0"),
        (dict(theta0=np.zeros(4)), ValueError, r"theta must have shape \(3,\)"),
        (dict(include_biases=1), TypeError, "include_biases must be True or False"),
        (dict(callback="x"), TypeError, "callback must be callable"),
    ],
)
def test_backprop_rejects_bad_arguments(kwargs, exc, message):
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(exc, match=message):
        sr.train_backprop(LINEAR, X, X[:, 0], **kwargs)
