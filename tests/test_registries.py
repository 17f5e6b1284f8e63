"""The registries of activations, outputs, losses, algorithms and devices: each entry is
complete, has an independent reference, and an unknown name is an error, never a silent
fallback."""

import numpy as np
import pytest

import swarmreg as sr
from swarmreg._kernels import activations, losses, outputs
from swarmreg.algorithms import ALGORITHMS

import naive


def test_every_hidden_activation_has_a_numpy_reference():
    assert set(naive.HIDDEN) == set(activations.HIDDEN) == set(sr.network.HIDDEN_ACTIVATIONS)


@pytest.mark.parametrize("name", list(activations.HIDDEN))
def test_item_and_derivative_functions_match_the_reference_and_its_finite_differences(name):
    # The per-item functions, called by code as back-propagation calls them: a
    # one-hidden-unit network's gradient with respect to its input weight is f'(z)·x·δ.
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 3, 40), [0.0, 1e-300, -20.0, 20.0]])
    f = naive.HIDDEN[name]
    h = 1e-6
    numeric = (f(z + h) - f(z - h)) / (2 * h)
    net = sr.Network([1, 1, 1], hidden=name, output="identity")
    theta = np.array([1.0, 0.0, 1.0, 0.0])  # w1 = 1, b1 = 0, w2 = 1, b2 = 0: y = f(x)
    for x, slope in zip(z, numeric):
        value, grad = sr.gradient(net, theta, [[x]], [0.0], return_value=True)
        assert value == pytest.approx(f(x) ** 2, rel=1e-12, abs=1e-300)
        # dE/db1 = 2·y·f'(z): the derivative piece, checked against finite differences
        assert grad[1] == pytest.approx(2.0 * f(x) * slope, rel=1e-6, abs=1e-9)


def test_an_unknown_activation_or_output_is_refused_by_name():
    with pytest.raises(ValueError, match="hidden must be one of"):
        sr.Network([2, 3, 1], hidden="gelu")
    with pytest.raises(ValueError, match="output must be one of"):
        sr.Network([2, 3, 1], output="tanh")


def test_every_loss_has_pieces_for_the_outputs_it_fits_and_none_for_the_others():
    assert set(losses.LOSSES) == set(sr.error.LOSSES)
    for loss in losses.LOSSES.values():
        assert set(loss.pieces) <= set(outputs.OUTPUTS)
        for pieces in loss.pieces.values():
            assert pieces.block is not None and pieces.item is not None
    net = sr.Network([2, 3, 1], output="identity")
    with pytest.raises(ValueError, match="loss='cross_entropy' needs a 'softmax' or 'logistic'"):
        sr.regularized_error(net, np.zeros(net.n_params), np.zeros((2, 2)), np.zeros(2), 0.0,
                             loss="cross_entropy")
    with pytest.raises(ValueError):  # no code for a pair the registry does not list
        losses.code_of("cross_entropy", "identity")


def test_softsign_trains_with_every_trainer():
    # The proof of the activation seam: an activation added as one registry entry.
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 5, 3], hidden="softsign")
    for res in (sr.train_pso(net, X, y, lam=1e-3, swarm_size=10, max_iter=30, seed=0),
                sr.train_backprop(net, X, y, lam=1e-3, epochs=20, seed=0),
                sr.train_lbfgs(net, X, y, lam=1e-3, max_iter=50, seed=0)):
        assert res.error == pytest.approx(
            naive.regularized_error(net.layers, "softsign", "softmax", res.theta, X, y, 1e-3),
            rel=1e-12)
        assert res.history[-1] < res.history[0]


def test_every_algorithm_takes_its_options_by_name_and_refuses_others():
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 3, 3])
    for name, algorithm in ALGORITHMS.items():
        defaults = algorithm.options()
        res = sr.train_pso(net, X, y, algorithm=name, swarm_size=6, max_iter=3, seed=0,
                           **vars(defaults))
        assert res.settings["algorithm"] == name
        with pytest.raises(TypeError, match=f"algorithm={name!r}.*'no_such_option'"):
            sr.train_pso(net, X, y, algorithm=name, no_such_option=1)
    with pytest.raises(ValueError, match="algorithm must be one of"):
        sr.train_pso(net, X, y, algorithm="no_such_algorithm")


def test_an_unknown_device_or_dtype_is_refused_by_name():
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 3, 3])
    with pytest.raises(ValueError, match="device must be one of"):
        sr.train_pso(net, X, y, device="tpu")
    with pytest.raises(ValueError, match="dtype must be one of"):
        sr.train_pso(net, X, y, dtype="float16")
