import numpy as np
import pytest

import swarmreg as sr

import naive
from conftest import SHAPES, random_problem


@pytest.mark.parametrize("layers", SHAPES)
def test_layout_matches_design(layers):
    net = sr.Network(layers, output="identity")
    expected = sum((a + 1) * b for a, b in zip(layers[:-1], layers[1:]))
    assert net.n_params == expected
    np.testing.assert_array_equal(net.weight_mask, naive.weight_mask(layers))
    assert net.n_weights == naive.weight_mask(layers).sum()


@pytest.mark.parametrize("layers", SHAPES)
def test_unpack_reads_row_major_weights_then_biases(layers):
    net = sr.Network(layers, output="identity")
    theta = np.arange(net.n_params, dtype=float)
    for (W, b), (W_ref, b_ref) in zip(net.unpack(theta), naive.unpack(layers, theta)):
        np.testing.assert_array_equal(W, W_ref)
        np.testing.assert_array_equal(b, b_ref)


def test_unpack_returns_views_and_pack_inverts_it():
    net = sr.Network([4, 7, 3])
    theta = np.random.default_rng(0).normal(size=net.n_params)
    params = net.unpack(theta)
    np.testing.assert_array_equal(net.pack(params), theta)
    params[1][0][2, 1] = 42.0  # writing through the view writes θ
    assert theta[4 * 7 + 7 + 2 * 3 + 1] == 42.0


def test_pack_rejects_wrong_shapes():
    net = sr.Network([4, 7, 3])
    with pytest.raises(ValueError, match=r"layer 1: expected W of shape \(7, 3\)"):
        net.pack([(np.zeros((4, 7)), np.zeros(7)), (np.zeros((3, 7)), np.zeros(3))])
    with pytest.raises(ValueError, match="must hold 2"):
        net.pack([(np.zeros((4, 7)), np.zeros(7))])


@pytest.mark.parametrize("layers", SHAPES)
@pytest.mark.parametrize("n_samples", [1, 7, 64, 65, 200])
def test_forward_matches_naive(layers, n_samples, activations):
    hidden, output = activations
    net, theta, X, _ = random_problem(layers, hidden, output, n_samples, seed=n_samples)
    ref = naive.forward(net.layers, hidden, output, theta, X)
    np.testing.assert_allclose(net.forward(theta, X), ref, rtol=1e-12, atol=1e-12)


def test_predict_returns_labels_or_values():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 4))
    net = sr.Network([4, 5, 3])
    theta = rng.normal(size=net.n_params)
    probs = naive.forward(net.layers, "tanh", "softmax", theta, X)
    np.testing.assert_array_equal(net.predict(theta, X), probs.argmax(axis=1))
    assert net.predict(theta, X).dtype == np.int64

    binary = sr.Network([4, 5, 1], output="logistic")
    theta = rng.normal(size=binary.n_params)
    p = naive.forward(binary.layers, "tanh", "logistic", theta, X)[:, 0]
    np.testing.assert_array_equal(binary.predict(theta, X), (p > 0.5).astype(int))

    reg = sr.Network([4, 2], output="identity")
    theta = rng.normal(size=reg.n_params)
    np.testing.assert_allclose(reg.predict(theta, X), X @ theta[:8].reshape(4, 2) + theta[8:])
    assert sr.Network([4, 1], output="identity").predict(np.ones(5), X).shape == (50,)


def test_softmax_is_finite_for_huge_logits():
    net = sr.Network([2, 3], output="softmax")
    theta = np.array([1e3, -1e3, 5e2, 2e3, 0.0, -7e2, 0.0, 0.0, 0.0])
    X = np.array([[10.0, 10.0], [-10.0, 3.0]])
    out = net.forward(theta, X)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    np.testing.assert_allclose(out, naive.forward(net.layers, "tanh", "softmax", theta, X))


@pytest.mark.parametrize(
    "kwargs, exc, message",
    [
        (dict(layers=[4]), ValueError, "at least an input and an output"),
        (dict(layers=[4, 0, 3]), ValueError, "every layer width must be >= 1"),
        (dict(layers=[4, 2.5, 3]), TypeError, "layers must be a sequence of integers"),
        (dict(layers="43"), TypeError, "layers must be a sequence of integers"),
        (dict(layers=[4, 3], hidden="sigmoid"), ValueError, "hidden must be one of"),
        (dict(layers=[4, 3], output="linear"), ValueError, "output must be one of"),
        (dict(layers=[4, 1], output="softmax"), ValueError, "softmax' needs an output width >= 2"),
    ],
)
def test_network_rejects_bad_arguments(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        sr.Network(**kwargs)


def test_forward_rejects_bad_inputs():
    net = sr.Network([4, 3])
    theta = np.zeros(net.n_params)
    with pytest.raises(ValueError, match="X has 3 columns but the network's input layer has 4"):
        net.forward(theta, np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"theta must have shape \(15,\)"):
        net.forward(np.zeros(14), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="theta must be finite"):
        net.forward(np.full(15, np.nan), np.zeros((5, 4)))


def test_a_pickled_network_comes_back_equal_with_writeable_arrays():
    # joblib (scikit-learn's parallel search) may unpickle arrays as read-only memory maps;
    # Numba would compile every kernel a second time for a read-only array.
    import pickle

    net = sr.Network([4, 6, 3], hidden="relu", output="logistic")
    back = pickle.loads(pickle.dumps(net))
    assert back == net and back.n_params == net.n_params
    assert back._kernel_sizes.flags.writeable
    np.testing.assert_array_equal(back.weight_mask, net.weight_mask)
