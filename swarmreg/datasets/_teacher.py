"""Data labelled by a random, seeded teacher network."""

import numpy as np

from .._validation import check_choice, check_int, check_real


def make_teacher(n_samples, layers, *, task="classification", hidden="tanh", noise=0.0,
                 weight_scale=1.0, seed=None, return_teacher=False):
    """Data labelled by a random "teacher" network.

    Inputs are standard normal; the teacher is ``Network(layers, hidden, "identity")``
    with weights drawn from ``N(0, weight_scale² / fan_in)`` and biases from
    ``N(0, 0.1²)``.

    Parameters
    ----------
    n_samples : int
    layers : sequence of int
        Teacher widths ``[d, ..., K]``.  For classification K ≥ 2 is the number of
        classes and the label is the argmax of the teacher's outputs.
    task : {"classification", "regression"}
    noise : float
        Classification: probability that a label is replaced by a uniformly drawn
        class.  Regression: standard deviation of Gaussian noise added to targets.
    weight_scale : float
    seed : int, optional
    return_teacher : bool
        Also return the teacher network and its θ.

    Returns
    -------
    X : ndarray, shape (n_samples, d)
    y : ndarray, int64 (n_samples,) for classification; float64 (n_samples,) when
        K = 1, else (n_samples, K), for regression
    network, theta : only with ``return_teacher``
    """
    from ..network import Network

    n_samples = check_int(n_samples, "n_samples", low=1)
    check_choice(task, "task", ("classification", "regression"))
    noise = check_real(noise, "noise", low=0.0)
    weight_scale = check_real(weight_scale, "weight_scale", low=0.0)
    teacher = Network(layers, hidden=hidden, output="identity")
    if task == "classification":
        if teacher.n_outputs < 2:
            raise ValueError("a classification teacher needs an output width >= 2 (one per class)")
        if noise > 1.0:
            raise ValueError(f"noise is a label-flip probability for classification, got {noise}")
    rng = np.random.default_rng(seed)
    params = [
        (rng.normal(0.0, weight_scale / np.sqrt(d_in), (d_in, d_out)), rng.normal(0.0, 0.1, d_out))
        for d_in, d_out in zip(teacher.layers[:-1], teacher.layers[1:])
    ]
    theta = teacher.pack(params)
    X = rng.normal(size=(n_samples, teacher.n_inputs))
    out = teacher.forward(theta, X)
    if task == "classification":
        y = np.argmax(out, axis=1).astype(np.int64)
        flip = rng.random(n_samples) < noise
        y[flip] = rng.integers(0, teacher.n_outputs, flip.sum())
    else:
        y = out + noise * rng.normal(size=out.shape)
        y = y[:, 0] if teacher.n_outputs == 1 else y
    return (X, y, teacher, theta) if return_teacher else (X, y)
