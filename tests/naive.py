"""Slow, obviously-correct NumPy references for the network and its error.

Written from docs/design.md §2–§3 alone: nothing here imports from swarmreg, so a
test that compares the library against these functions compares two independent
implementations.
"""

import numpy as np


def layer_shapes(layers):
    return [(layers[l], layers[l + 1]) for l in range(len(layers) - 1)]


def unpack(layers, theta):
    """θ = [W_1 row-major, b_1, W_2, b_2, ...] -> list of (W, b)."""
    params, k = [], 0
    for d_in, d_out in layer_shapes(layers):
        W = np.array([[theta[k + i * d_out + j] for j in range(d_out)] for i in range(d_in)])
        k += d_in * d_out
        b = np.array(theta[k : k + d_out])
        k += d_out
        params.append((W, b))
    assert k == len(theta)
    return params


def weight_mask(layers):
    mask = []
    for d_in, d_out in layer_shapes(layers):
        mask += [True] * (d_in * d_out) + [False] * d_out
    return np.array(mask)


#: Each hidden activation's formula, as written in its definition.
HIDDEN = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "logistic": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "softsign": lambda z: z / (1.0 + np.abs(z)),
}


def hidden_fn(name, z):
    return HIDDEN[name](z)


def output_fn(name, z):
    if name == "identity":
        return z
    if name == "logistic":
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def logits(layers, hidden, theta, X):
    a = np.asarray(X, dtype=float)
    params = unpack(layers, theta)
    for l, (W, b) in enumerate(params):
        z = a @ W + b
        a = hidden_fn(hidden, z) if l < len(params) - 1 else z
    return a


def forward(layers, hidden, output, theta, X):
    return output_fn(output, logits(layers, hidden, theta, X))


def targets(output, K, y):
    y = np.asarray(y)
    if y.ndim == 2:
        return y.astype(float)
    if output == "identity" or K == 1:
        return y.astype(float).reshape(-1, 1)
    return np.eye(K)[y]


def data_error(layers, hidden, output, theta, X, y, loss="mse"):
    T = targets(output, layers[-1], y)
    Y = forward(layers, hidden, output, theta, X)
    if loss == "mse":
        return np.mean(np.sum((Y - T) ** 2, axis=1))
    if output == "softmax":
        return -np.mean(np.sum(T * np.log(Y), axis=1))
    return -np.mean(np.sum(T * np.log(Y) + (1 - T) * np.log(1 - Y), axis=1))


def regularized_error(layers, hidden, output, theta, X, y, lam, include_biases=False, loss="mse"):
    theta = np.asarray(theta, dtype=float)
    pen = theta if include_biases else theta[weight_mask(layers)]
    return data_error(layers, hidden, output, theta, X, y, loss) + lam * np.sum(pen ** 2)


def ridge(X, t, lam):
    """Minimizer of (1/N) Σ (x·w + b − t)² + λ‖w‖² (intercept b unpenalized).

    Centering removes b: w = (Xcᵀ Xc / N + λ I)⁻¹ Xcᵀ tc / N, b = t̄ − x̄·w.
    """
    N, d = X.shape
    xm, tm = X.mean(axis=0), t.mean()
    Xc, tc = X - xm, t - tm
    w = np.linalg.solve(Xc.T @ Xc / N + lam * np.eye(d), Xc.T @ tc / N)
    return w, tm - xm @ w


def pso(error, n_params, *, swarm_size, n_iter, seed, inertia=0.729, c1=1.49445, c2=1.49445,
        bounds=(-10.0, 10.0), init_velocity=0.1, v_max=np.inf, death_prob=0.0, ring=False):
    """Plain-NumPy synchronous PSO drawing its random numbers in the documented order.

    ``error(theta) -> float``.  Returns ``(global best θ, history of best errors)``.
    Order of draws: initial positions (P, n), initial velocities (P, n); then per
    iteration and per particle: r1 (n), r2 (n), a death draw if ``death_prob > 0``,
    and a fresh position (n) if the particle dies.
    """
    rng = np.random.default_rng(seed)
    lo, hi = bounds
    P, n = swarm_size, n_params

    def safe(theta):
        e = error(theta)
        return e if np.isfinite(e) else np.inf

    pos = lo + (hi - lo) * rng.random((P, n))
    vel = (2.0 * rng.random((P, n)) - 1.0) * init_velocity * (hi - lo)
    best_pos = pos.copy()
    best_err = np.array([safe(p) for p in pos])
    g = int(np.argmin(best_err))
    gbest, gbest_err = best_pos[g].copy(), best_err[g]
    history = [gbest_err]
    for _ in range(n_iter):
        r1, r2, dies, fresh = np.empty((P, n)), np.empty((P, n)), np.zeros(P, bool), np.empty((P, n))
        for i in range(P):
            r1[i] = rng.random(n)
            r2[i] = rng.random(n)
            if death_prob > 0:
                dies[i] = rng.random() < death_prob
                if dies[i]:
                    fresh[i] = rng.random(n)
        attractor = np.empty((P, n))
        for i in range(P):
            if ring:
                hood = [i, (i - 1) % P, (i + 1) % P]
                attractor[i] = best_pos[min(hood, key=lambda k: (best_err[k], hood.index(k)))]
            else:
                attractor[i] = gbest
        vel = np.clip(inertia * vel + c1 * r1 * (best_pos - pos) + c2 * r2 * (attractor - pos),
                      -v_max, v_max)
        pos = np.clip(pos + vel, lo, hi)
        pos[dies] = lo + (hi - lo) * fresh[dies]
        err = np.array([safe(p) for p in pos])
        better = dies | (err < best_err)
        best_pos[better], best_err[better] = pos[better], err[better]
        for i in range(P):
            if best_err[i] < gbest_err:
                gbest, gbest_err = best_pos[i].copy(), best_err[i]
        history.append(gbest_err)
    return gbest, np.array(history)
