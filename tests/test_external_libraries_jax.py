"""Keras 3 (JAX backend) and optax run for real, in float64, against swarmreg after
``convert_lambda``: the same network, data and start, compared step for step.

Each test skips with its reason where the library is absent (``pip install
'swarmreg[test-libs]'``); tests/test_external_libraries.py keeps the NumPy
re-implementations of the same updates, which run everywhere.  Keras reads its backend
at its first import: the fixture sets ``KERAS_BACKEND=jax`` before it, and skips if Keras
was already imported with another one.
"""

import numpy as np
import pytest

import swarmreg as sr

from test_external_libraries import ours, regression

NEEDS = "(pip install 'swarmreg[test-libs]')"

# Keras' Variable.__array__ (keras/src/backend/common/variables.py) predates NumPy 2's
# copy keyword; get_weights() still returns the float64 values.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


@pytest.fixture
def jax():
    jax = pytest.importorskip("jax", reason=f"jax is not installed {NEEDS}")
    enabled = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)  # float64 arrays; the default is float32
    yield jax
    jax.config.update("jax_enable_x64", enabled)


@pytest.fixture
def keras(jax, monkeypatch, tmp_path):
    # Both read once, at Keras' first import; KERAS_HOME keeps its keras.json out of ~.
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    keras = pytest.importorskip("keras", reason=f"Keras 3 is not installed {NEEDS}")
    if not keras.__version__.startswith("3.") or keras.backend.backend() != "jax":
        pytest.skip(f"needs Keras 3 on the JAX backend, got Keras {keras.__version__} on "
                    f"{keras.backend.backend()!r} (imported before KERAS_BACKEND was set)")
    floatx = keras.config.floatx()
    keras.config.set_floatx("float64")  # variables, optimizer state and learning rate
    yield keras
    keras.config.set_floatx(floatx)


@pytest.fixture
def optax(jax):
    return pytest.importorskip("optax", reason=f"optax is not installed {NEEDS}")


# ---------------------------------------------------------------------------- Keras 3 --

# Keras 3.15 on the JAX backend computes ``ops.mean`` and ``ops.tanh`` in float32 whatever
# floatx: keras/src/backend/common/dtypes.py, _lattice_result_type maps a float64 result
# to float32 on every backend but TensorFlow (BIT64_TO_BIT32_DTYPE, "to be aligned with
# JAX's default behavior"), and jax/numpy.py's mean and tanh take their compute dtype
# from it.  So each Keras test runs twice: with Keras' own "mean_squared_error" and
# "tanh", which agree with ours only to float32 rounding (measured ≤ 3e-8 here, against
# ≥ 0.07 for a λ or learning rate off by a factor 2), and with the same two formulas
# written in jax.numpy, where Keras' optimizer, regularizer and weight decay, all in
# float64, must give our trajectory to rounding.
@pytest.fixture(params=["keras_ops", "jax_numpy"])
def keras_ops(request, jax):
    """Keras' own loss and tanh (float32 inside), or the same formulas in jax.numpy."""
    if request.param == "keras_ops":
        return dict(loss="mean_squared_error", tanh="tanh", atol=1e-6)
    # keras/src/losses/losses.py, mean_squared_error: ops.mean(ops.square(y_true − y_pred),
    # axis=-1), reduced over the batch by the Loss's default "sum_over_batch_size".
    jnp = jax.numpy
    return dict(loss=lambda t, y: jnp.mean((t - y) ** 2, axis=-1), tanh=jnp.tanh, atol=1e-10)


def keras_run(keras, ops, net, X, T, theta0, optimizer, *, batch_size, epochs, l2=None):
    """Fit net's layout (tanh hidden layers, linear output) with Keras, items in order."""
    layers = net.unpack(theta0)
    regularizer = None if l2 is None else keras.regularizers.L2(l2)
    model = keras.Sequential(
        [keras.Input(shape=(X.shape[1],))]
        + [keras.layers.Dense(W.shape[1], activation=ops["tanh"] if k < len(layers) - 1 else None,
                              kernel_regularizer=regularizer)  # the kernels, not the biases
           for k, (W, _) in enumerate(layers)])
    model.set_weights([p for layer in layers for p in layer])
    model.compile(optimizer=optimizer, loss=ops["loss"])
    model.fit(X, T, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    return np.concatenate([w.ravel() for w in model.get_weights()])


def test_keras_sgd_with_an_l2_kernel_regularizer_is_our_objective_rule(keras, keras_ops):
    # keras/src/regularizers/regularizers.py, L2.__call__: self.l2 * ops.sum(ops.square(x)),
    # added unscaled to the batch's "mean_squared_error" (keras/src/losses/losses.py: mean
    # over the K outputs, then "sum_over_batch_size"); keras/src/optimizers/sgd.py,
    # update_step with momentum 0: variable −= learning_rate·gradient.
    X, T = regression()
    net = sr.Network([4, 5, 3], output="identity")
    theta0 = net.initial_theta(0)
    l2, lr = 0.02, 0.3
    got = keras_run(keras, keras_ops, net, X, T, theta0, keras.optimizers.SGD(learning_rate=lr),
                    batch_size=10, epochs=6, l2=l2)
    mine = ours(net, X, T, "keras_l2", l2, lib_lr=lr, batch_size=10, epochs=6, theta0=theta0)
    assert np.abs(mine - theta0).max() > 0.05
    np.testing.assert_allclose(mine, got, rtol=0, atol=keras_ops["atol"])
    half = ours(net, X, T, "keras_l2", l2 / 2, lib_lr=lr, batch_size=10, epochs=6, theta0=theta0)
    assert np.abs(half - got).max() > 1e4 * keras_ops["atol"]  # the tolerance tells λ apart


def test_keras_sgd_weight_decay_is_our_decoupled_rule(keras, keras_ops):
    # keras/src/optimizers/base_optimizer.py, apply → _apply_weight_decay:
    # variable.assign(variable − variable·wd·lr) for the variables _use_weight_decay keeps
    # (exclude_from_weight_decay(var_names=["bias"]) drops the biases), then update_step
    # with the gradient taken before the shrink.
    X, T = regression()
    net = sr.Network([4, 5, 3], output="identity")
    theta0 = net.initial_theta(1)
    wd, lr = 0.5, 0.3
    opt = keras.optimizers.SGD(learning_rate=lr, weight_decay=wd)
    opt.exclude_from_weight_decay(var_names=["bias"])
    got = keras_run(keras, keras_ops, net, X, T, theta0, opt, batch_size=10, epochs=6)
    eq = sr.lambda_equivalence("keras_weight_decay", "decoupled", n_outputs=3)
    assert eq.kind == "same trajectory" and eq.lr_factor == pytest.approx(1 / 3)
    lam = sr.convert_lambda(wd, "keras_weight_decay", "decoupled", n_outputs=3)
    assert lam == pytest.approx(3 * wd)  # ours shrinks by (lr/3)·(3·wd) = lr·wd per step
    mine = sr.train_backprop(net, X, T, lam=lam, rule="decoupled", lr=lr * eq.lr_factor,
                             batch_size=10, epochs=6, shuffle=False, theta0=theta0).theta
    np.testing.assert_allclose(mine, got, rtol=0, atol=keras_ops["atol"])
    no_decay = keras_run(keras, keras_ops, net, X, T, theta0,
                         keras.optimizers.SGD(learning_rate=lr), batch_size=10, epochs=6)
    assert np.abs(no_decay - got).max() > 1e-3  # the decay mattered


# ------------------------------------------------------------------------------ optax --

def optax_run(jax, net, X, T, theta0, transform, *, batch_size, epochs):
    """Run an optax transformation on net's layout (tanh hidden, identity output), in
    item order, on the loss jnp.mean((y − t)**2) over the batch's m·K elements."""
    jnp = jax.numpy
    params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in net.unpack(theta0)]

    def loss(params, x, t):
        a = x
        for k, (W, b) in enumerate(params):
            a = a @ W + b
            if k < len(params) - 1:
                a = jnp.tanh(a)
        return jnp.mean((a - t) ** 2)

    @jax.jit
    def step(params, state, x, t):
        updates, state = transform.update(jax.grad(loss)(params, x, t), state, params)
        return jax.tree.map(lambda p, u: p + u, params, updates), state

    state = transform.init(params)
    for _ in range(epochs):
        for start in range(0, len(X), batch_size):
            params, state = step(params, state, X[start:start + batch_size],
                                 T[start:start + batch_size])
    assert all(p.dtype == jnp.float64 for layer in params for p in layer)
    return np.concatenate([np.asarray(p).ravel() for layer in params for p in layer])


def weights_only(net):
    """optax mask: True for each layer's W, False for its b."""
    return [(True, False)] * (len(net.layers) - 1)


def test_optax_add_decayed_weights_before_sgd_is_our_objective_rule(jax, optax):
    # optax/transforms/_adding.py, add_decayed_weights: updates + weight_decay·params on the
    # masked leaves; optax/_src/alias.py, sgd (momentum=None): scale_by_learning_rate, −lr·u.
    X, T = regression()
    net = sr.Network([4, 5, 3], output="identity")
    theta0 = net.initial_theta(2)
    lam, lr = 0.04, 0.3
    got = optax_run(jax, net, X, T, theta0, optax.chain(
        optax.add_decayed_weights(lam, mask=weights_only(net)), optax.sgd(lr)),
        batch_size=10, epochs=6)
    mine = ours(net, X, T, "optax_add_decayed_weights", lam, lib_lr=lr, batch_size=10,
                epochs=6, theta0=theta0)
    assert np.abs(mine - theta0).max() > 0.05
    np.testing.assert_allclose(mine, got, rtol=0, atol=1e-10)


def test_optax_add_decayed_weights_before_adam_is_our_objective_rule_through_adam(jax, optax):
    # optax/_src/transform.py, scale_by_adam: m̂/(√(v̂ + eps_root) + eps) with eps_root = 0,
    # ε outside the root after the bias correction, as in torch's Adam and ours.  One
    # output: jnp.mean over m·1 elements is our batch MSE, so the gradients are equal.
    X, T = regression(K=1)
    net = sr.Network([4, 5, 1], output="identity")
    theta0 = net.initial_theta(3)
    lam, lr = 0.05, 0.01
    got = optax_run(jax, net, X, T, theta0, optax.chain(
        optax.add_decayed_weights(lam, mask=weights_only(net)), optax.adam(lr)),
        batch_size=10, epochs=8)
    mine = ours(net, X, T, "optax_add_decayed_weights", lam, optimizer="adam", lib_lr=lr,
                batch_size=10, epochs=8, theta0=theta0)
    assert np.abs(mine - theta0).max() > 0.05
    np.testing.assert_allclose(mine, got, rtol=0, atol=1e-10)


def test_optax_adamw_is_our_decoupled_adam(jax, optax):
    # optax/_src/alias.py, adamw = chain(scale_by_adam(b1, b2, eps, eps_root=0),
    # add_decayed_weights(weight_decay, mask), scale_by_learning_rate(lr)): the step is
    # −lr·(m̂/(√v̂ + ε) + wd·θ_t), ours with rule="decoupled" (θ·(1 − lr·wd) − lr·m̂/(√v̂ + ε))
    # written in another order: the same numbers up to rounding.
    X, T = regression(K=1)
    net = sr.Network([4, 5, 1], output="identity")
    theta0 = net.initial_theta(4)
    wd, lr = 0.5, 0.01
    got = optax_run(jax, net, X, T, theta0, optax.adamw(lr, weight_decay=wd,
                                                        mask=weights_only(net)),
                    batch_size=10, epochs=8)
    mine = sr.train_backprop(net, X, T, lam=wd, rule="decoupled", optimizer="adam", lr=lr,
                             batch_size=10, epochs=8, shuffle=False, theta0=theta0).theta
    np.testing.assert_allclose(mine, got, rtol=0, atol=1e-10)
    no_decay = sr.train_backprop(net, X, T, optimizer="adam", lr=lr, batch_size=10, epochs=8,
                                 shuffle=False, theta0=theta0).theta
    assert np.abs(no_decay - got).max() > 1e-4  # the decay mattered
    assert sr.lambda_equivalence("optax_adamw", "objective", optimizer="adam").kind == "none"
