import ctypes.util
import os

# The CUDA kernels (device="cuda") run on a GPU where there is one, and on Numba's CUDA
# simulator where there is none (docs/design.md §13).  The choice is made when numba.cuda is
# first imported: here, before anything imports it.
if "NUMBA_ENABLE_CUDASIM" not in os.environ and not (
        os.path.exists("/dev/nvidiactl") and ctypes.util.find_library("cuda")):
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import swarmreg as sr  # noqa: E402

#: Every registry entry: a test over these runs over an activation as soon as it is added.
HIDDEN = tuple(sr.network.HIDDEN_ACTIVATIONS)
OUTPUTS = tuple(sr.network.OUTPUT_ACTIVATIONS)
SHAPES = ([3, 2], [4, 7, 3], [5, 6, 4, 2], [2, 3, 3, 3, 1], [6, 1, 2], [9, 8, 5])


def random_problem(layers, hidden, output, n_samples, seed, scale=1.0):
    """A network, a random θ and data with targets of the kind the output takes."""
    if output == "softmax" and layers[-1] < 2:
        layers = [*layers[:-1], 2]
    rng = np.random.default_rng(seed)
    net = sr.Network(layers, hidden=hidden, output=output)
    theta = rng.normal(0.0, scale, net.n_params)
    X = rng.normal(size=(n_samples, layers[0]))
    K = layers[-1]
    if output == "identity":
        y = rng.normal(size=(n_samples, K)) if K > 1 else rng.normal(size=n_samples)
    else:
        y = rng.integers(0, max(K, 2), n_samples)
    return net, theta, X, y


@pytest.fixture(params=[(h, o) for h in HIDDEN for o in OUTPUTS], ids=lambda p: f"{p[0]}-{p[1]}")
def activations(request):
    return request.param


@pytest.fixture(params=list(sr.algorithms.ALGORITHMS))
def algorithm(request):
    """Every swarm algorithm of the registry (a test over it covers an algorithm as soon as
    it is added)."""
    return request.param
