"""Back-prop's optimizers (SGD with momentum, Adam) and the decoupled rule, against NumPy
written from the formulas, PyTorch's Adam (torch/optim/adam.py, _single_tensor_adam) and
the optima they must share with E."""

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import swarmreg as sr

import naive

# One linear unit, θ = [w1, w2, b] (as in test_backprop.py).
LINEAR = sr.Network([2, 1], output="identity")
THETA0 = np.array([0.5, -0.3, 0.1])
X2, T2 = np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([0.7, 0.0])
LR, LAM = 0.1, 0.2
RULES = ("none", "objective", "textbook_batch", "textbook_dataset", "decay", "decoupled")


def shrinks(rule, lam, lr, m, N):
    """(a, d): g ← g + a·w before the step, w ← w − d·w outside it, from docs/design.md §4, §5."""
    return {"none": (0.0, 0.0), "objective": (2 * lam, 0.0), "textbook_batch": (lam / m, 0.0),
            "textbook_dataset": (lam / N, 0.0), "decay": (0.0, lam),
            "decoupled": (0.0, lr * lam)}[rule]


def linear_gradient(theta, X, t):
    """∇ of the batch MSE (1/m) Σ (x·w + b − t)² of the linear unit."""
    r = X @ theta[:-1] + theta[-1] - t
    return 2.0 / len(t) * np.append(X.T @ r, r.sum())


def numpy_reference(rule, optimizer, X, t, *, batch_size, epochs, lam=LAM, lr=LR, momentum=0.0,
                    betas=(0.9, 0.999), eps=1e-8, include_biases=False):
    """Items in order, written from the update formulas (Adam as in torch's Adam)."""
    N = len(t)
    mask = np.array([1.0, 1.0, float(include_biases)])
    theta, buf, sq, step = THETA0.copy(), np.zeros(3), np.zeros(3), 0
    for _ in range(epochs):
        for start in range(0, N, batch_size):
            Xb, tb = X[start:start + batch_size], t[start:start + batch_size]
            a, d = shrinks(rule, lam, lr, len(tb), N)
            g = linear_gradient(theta, Xb, tb) + a * mask * theta
            if optimizer == "sgd":
                buf = momentum * buf - lr * g
                theta = theta + buf - d * mask * theta
            else:
                step += 1
                b1, b2 = betas
                buf = b1 * buf + (1 - b1) * g
                sq = b2 * sq + (1 - b2) * g * g
                m_hat, v_hat = buf / (1 - b1**step), sq / (1 - b2**step)
                theta = theta - d * mask * theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


def run(rule, optimizer, X=X2, t=T2, *, batch_size=1, epochs=1, lam=LAM, lr=LR, **kw):
    lam = 0.0 if rule == "none" else lam
    return sr.train_backprop(LINEAR, X, t, lam=lam, rule=rule, lr=lr, batch_size=batch_size,
                             epochs=epochs, shuffle=False, theta0=THETA0, optimizer=optimizer, **kw)


def test_adam_first_step_by_hand():
    # Item 0 (x = [1, 2], t = 0.7) at θ0: z = 0, g = [−1.4, −2.8, −1.4].  The first Adam
    # step is m̂ = g, v̂ = g², θ ← θ − η·g/(|g| + ε): a step of ≈ η against the sign of g.
    # objective, λ = 0.2: g_w = g + 0.4w = [−1.2, −2.92]; the bias is not shrunk.
    theta = run("objective", "adam", X2[:1], T2[:1]).theta
    expected = [0.5 + 0.1 * 1.2 / (1.2 + 1e-8), -0.3 + 0.1 * 2.92 / (2.92 + 1e-8),
                0.1 + 0.1 * 1.4 / (1.4 + 1e-8)]
    np.testing.assert_allclose(theta, expected, rtol=0, atol=1e-15)
    # decoupled (AdamW): w ← w − ηλw − η·g/(|g| + ε) with the data gradient alone.
    theta = run("decoupled", "adam", X2[:1], T2[:1]).theta
    expected = [0.5 - 0.02 * 0.5 + 0.1 * 1.4 / (1.4 + 1e-8),
                -0.3 + 0.02 * 0.3 + 0.1 * 2.8 / (2.8 + 1e-8), 0.1 + 0.1 * 1.4 / (1.4 + 1e-8)]
    np.testing.assert_allclose(theta, expected, rtol=0, atol=1e-15)


def test_sgd_decoupled_first_step_by_hand():
    # w ← w − ηg − ηλw = 0.98·w − 0.1·g; b ← b − η·g_b = 0.24.
    theta = run("decoupled", "sgd", X2[:1], T2[:1]).theta
    np.testing.assert_allclose(theta, [0.49 + 0.14, -0.294 + 0.28, 0.24], rtol=0, atol=1e-15)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("include_biases", [False, True])
def test_one_and_two_steps_match_the_formulas(optimizer, rule, include_biases):
    # Two items online (two updates), and the batch of both items twice (two updates).
    kw = dict(include_biases=include_biases)
    momenta = [0.0, 0.9] if optimizer == "sgd" else [0.0]
    for momentum in momenta:
        for batch_size, epochs in [(1, 1), (2, 1), (2, 2)]:
            got = run(rule, optimizer, batch_size=batch_size, epochs=epochs, momentum=momentum,
                      **kw).theta
            ref = numpy_reference(rule, optimizer, X2, T2, batch_size=batch_size, epochs=epochs,
                                  lam=0.0 if rule == "none" else LAM, momentum=momentum,
                                  include_biases=include_biases)
            np.testing.assert_allclose(got, ref, rtol=0, atol=1e-15)
            assert np.abs(got - THETA0).max() > 0.05  # it did move


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_biases_are_never_shrunk_unless_included(optimizer):
    # First update: a bias's step does not depend on λ (its gradient is taken at θ0).
    for rule in RULES[1:]:
        plain = run("none", optimizer, X2[:1], T2[:1]).theta
        shrunk = run(rule, optimizer, X2[:1], T2[:1]).theta
        assert shrunk[2] == plain[2]
        assert np.all(shrunk[:2] != plain[:2])
        assert run(rule, optimizer, X2[:1], T2[:1], include_biases=True).theta[2] != plain[2]


@pytest.fixture(scope="module")
def iris():
    return sr.datasets.iris()[0::2]


@pytest.mark.parametrize("batch_size", [1, 8, None])
def test_plain_sgd_decoupled_is_decay_with_lr_times_lambda(iris, batch_size):
    X, y = iris
    net = sr.Network([4, 5, 3])
    lam, lr = 0.02, 0.05
    kw = dict(lr=lr, batch_size=batch_size, epochs=5, seed=3)
    decoupled = sr.train_backprop(net, X, y, lam=lam, rule="decoupled", **kw)
    decay = sr.train_backprop(net, X, y, lam=lr * lam, rule="decay", **kw)
    assert decoupled.theta.tobytes() == decay.theta.tobytes()
    assert decoupled.history.tobytes() == decay.history.tobytes()
    assert decoupled.lam == decay.lam == pytest.approx(lam / 2, rel=1e-15)
    plain = sr.train_backprop(net, X, y, **kw)
    assert np.abs(plain.theta - decoupled.theta).max() > 1e-4


def test_adam_coupled_rules_follow_one_trajectory_after_conversion(iris):
    # The coupled rules add the same a·w to g (a = 2λ_E), so Adam sees the same gradient.
    X, y = iris
    net = sr.Network([4, 5, 3])
    lam_E, kw = 3e-3, dict(lr=0.01, batch_size=8, epochs=4, seed=5, optimizer="adam")
    ref = sr.train_backprop(net, X, y, lam=lam_E, rule="objective", **kw)
    assert ref.lam == lam_E
    for rule, lam in [("textbook_batch", 16 * lam_E), ("textbook_dataset", 2 * len(X) * lam_E)]:
        res = sr.train_backprop(net, X, y, lam=lam, rule=rule, **kw)
        assert res.lam == pytest.approx(lam_E, rel=1e-15)
        np.testing.assert_allclose(res.theta, ref.theta, rtol=0, atol=1e-12)


def linear_problem(N=40, seed=0):
    # Features on very different scales, so that Adam's per-coordinate rescaling matters.
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 3)) * np.array([0.2, 1.0, 3.0])
    return X, X @ np.array([2.0, -1.0, 0.5]) + 0.7 + 0.3 * rng.normal(size=N)


def test_full_batch_adam_with_l2_in_the_loss_reaches_the_ridge_optimum():
    # Same optimum, not the same path: Adam's fixed points are the stationary points of E.
    X, t = linear_problem()
    lam_E = 0.05
    res = sr.train_backprop(sr.Network([3, 1], output="identity"), X, t, lam=lam_E,
                            rule="objective", optimizer="adam", lr=0.01, batch_size=None,
                            epochs=6000, seed=0)
    w, b = naive.ridge(X, t, lam_E)
    np.testing.assert_allclose(res.theta, np.append(w, b), rtol=0, atol=1e-7)
    assert res.lam == lam_E and res.error == pytest.approx(
        sr.regularized_error(sr.Network([3, 1], output="identity"), np.append(w, b), X, t, lam_E),
        rel=1e-12)


def test_adam_with_l2_in_the_loss_reaches_the_lbfgs_optimum_of_a_hidden_layer_net(iris):
    X, y = iris
    net = sr.Network([4, 4, 3])
    lam_E = 1e-2
    adam = sr.train_backprop(net, X, y, lam=lam_E, optimizer="adam", lr=3e-3, batch_size=None,
                             epochs=8000, seed=2)
    lbfgs = sr.train_lbfgs(net, X, y, lam=lam_E, theta0=adam.theta)
    np.testing.assert_allclose(adam.theta, lbfgs.theta, rtol=0, atol=1e-5)
    assert np.abs(sr.gradient(net, adam.theta, X, y, lam_E)).max() < 1e-6


def test_decoupled_adam_has_no_equivalent_lambda():
    # A stationary point of E has g_j = −2λ_E·w_j for every weight: one λ_E for all.
    # Coupled Adam ends there; AdamW (decoupled Adam) ends where each weight would need
    # its own λ_E (its fixed point has m̂/(√v̂ + ε) = −λ·w: the gradient rescaled per
    # coordinate), so no λ_E is equivalent and train_backprop reports lam = NaN.
    X, t = linear_problem()
    net = sr.Network([3, 1], output="identity")
    kw = dict(optimizer="adam", lr=0.003, batch_size=None, epochs=20000, seed=0)
    adamw = sr.train_backprop(net, X, t, lam=1.0, rule="decoupled", **kw)
    assert math.isnan(adamw.lam) and adamw.penalty == 0.0
    assert adamw.error == adamw.data_error == adamw.history[-1] == sr.regularized_error(
        net, adamw.theta, X, t, 0.0)
    g = sr.gradient(net, adamw.theta, X, t, 0.0)
    assert abs(g[-1]) < 1e-3  # near its fixed point (the intercept is unregularized)
    implied = -g[:3] / (2 * adamw.theta[:3])
    assert implied.min() > 0 and implied.max() > 3 * implied.min()
    coupled = sr.train_backprop(net, X, t, lam=0.05, rule="objective", **kw)
    g = sr.gradient(net, coupled.theta, X, t, 0.0)
    np.testing.assert_allclose(-g[:3] / (2 * coupled.theta[:3]), 0.05, rtol=1e-3)
    with pytest.raises(sr.NoEquivalentLambdaError):
        sr.convert_lambda(1.0, "torch_adamw", "objective")


def test_decoupled_sgd_with_momentum_shares_only_the_fixed_point():
    # decoupled = decay with d = ηλ, so its full-batch fixed point is that of
    # λ_E = d(1 − μ)/(2η) = λ(1 − μ)/2 (decay_fixed_point_lambda), and no path equivalent.
    X, t = linear_problem()
    lam, lr, mu = 0.3, 0.05, 0.8
    res = sr.train_backprop(sr.Network([3, 1], output="identity"), X, t, lam=lam,
                            rule="decoupled", lr=lr, momentum=mu, batch_size=None, epochs=3000,
                            seed=0)
    assert res.lam == pytest.approx(lam * (1 - mu) / 2, rel=1e-15)
    np.testing.assert_allclose(res.theta, np.append(*naive.ridge(X, t, res.lam)), rtol=0,
                               atol=1e-10)
    assert sr.lambda_equivalence("decoupled", "objective", momentum=mu).kind == "none"


def test_decay_through_adam_reports_no_lambda(iris):
    X, y = iris
    res = sr.train_backprop(sr.Network([4, 5, 3]), X, y, lam=1e-3, rule="decay",
                            optimizer="adam", epochs=2, seed=0)
    assert math.isnan(res.lam) and res.rule == "decay" and res.lam_nominal == 1e-3


def test_adam_continues_its_step_count_across_chunks(iris):
    # A callback drives the kernel one epoch per call; t must carry on, not restart.
    X, y = iris
    kw = dict(lam=1e-3, optimizer="adam", lr=0.01, batch_size=7, epochs=6, seed=4)
    ref = sr.train_backprop(sr.Network([4, 5, 3]), X, y, **kw)
    chunked = sr.train_backprop(sr.Network([4, 5, 3]), X, y, callback=lambda *a: False, **kw)
    assert chunked.theta.tobytes() == ref.theta.tobytes()
    assert chunked.history.tobytes() == ref.history.tobytes()


THREAD_SCRIPT = textwrap.dedent(
    """
    import json, numba, swarmreg as sr
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    runs = []
    for optimizer, rule, batch_size in [("adam", "objective", 1), ("adam", "decoupled", 8),
                                        ("sgd", "decoupled", 1), ("sgd", "objective", None)]:
        res = sr.train_backprop(sr.Network([4, 7, 3]), X, y, lam=1e-3, rule=rule, lr=0.01,
                                optimizer=optimizer, batch_size=batch_size, epochs=20, seed=11)
        runs.append([res.theta.tobytes().hex(), res.history.tobytes().hex()])
    print(json.dumps({"threads": numba.get_num_threads(), "runs": runs}))
    """
)


def test_optimizers_are_bit_identical_on_one_and_two_threads():
    out = {}
    for n in ("1", "2"):
        proc = subprocess.run([sys.executable, "-c", THREAD_SCRIPT],
                              env={**os.environ, "NUMBA_NUM_THREADS": n}, capture_output=True,
                              text=True, timeout=600, check=True)
        out[n] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [out[n]["threads"] for n in ("1", "2")] == [1, 2]
    assert out["1"]["runs"] == out["2"]["runs"]


@pytest.mark.parametrize(
    "kwargs, exc, message",
    [
        (dict(optimizer="rmsprop"), ValueError, "optimizer must be one of"),
        (dict(optimizer="adam", momentum=0.9), ValueError, "Adam's is betas"),
        (dict(optimizer="adam", betas=0.9), TypeError, "betas must be a pair"),
        (dict(optimizer="adam", betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be < 1.0"),
        (dict(optimizer="adam", eps=0.0), ValueError, "eps must be > 0.0"),
    ],
)
def test_optimizer_arguments_are_validated(kwargs, exc, message):
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(exc, match=message):
        sr.train_backprop(LINEAR, X, X[:, 0], **kwargs)
