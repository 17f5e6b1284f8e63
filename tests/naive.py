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


#: Each activation's factor f of the Glorot-uniform range sqrt(f / (fan_in + fan_out)).
INIT_FACTOR = {"tanh": 6.0, "relu": 6.0, "logistic": 2.0, "softsign": 6.0, "softmax": 6.0,
               "identity": 6.0}


def initial_box(layers, hidden, output, init_range):
    """``(lo, width)`` of every coordinate's starting range: "fan_in" (each layer's
    ±sqrt(f / (d_in + d_out))), a number r (±r) or a pair (lo, hi)."""
    n = sum((a + 1) * b for a, b in layer_shapes(layers))
    if init_range == "fan_in":
        half = []
        for l, (d_in, d_out) in enumerate(layer_shapes(layers)):
            act = output if l == len(layers) - 2 else hidden
            half += [np.sqrt(INIT_FACTOR[act] / (d_in + d_out))] * ((d_in + 1) * d_out)
        half = np.array(half)
        return -half, 2 * half
    if np.isscalar(init_range):
        return np.full(n, -float(init_range)), np.full(n, 2.0 * init_range)
    return np.full(n, float(init_range[0])), np.full(n, float(init_range[1] - init_range[0]))


def pso(error, box, *, swarm_size, n_iter, seed, inertia=0.729, c1=1.49445, c2=1.49445,
        bounds=None, init_velocity=0.1, v_max=None, death_prob=0.0, ring=False):
    """Plain-NumPy synchronous PSO drawing its random numbers in the documented order.

    ``error(theta) -> float``; ``box = (lo, width)`` the starting range of each coordinate
    (``initial_box``).  Returns ``(global best θ, history of best errors)``.  Order of
    draws: initial positions (P, n), initial velocities (P, n); then per iteration and per
    particle: r1 (n), r2 (n), a death draw if ``death_prob > 0``, and a fresh position (n)
    if the particle dies.
    """
    rng = np.random.default_rng(seed)
    box_lo, width = box
    lo, hi = (-np.inf, np.inf) if bounds is None else bounds
    P, n = swarm_size, box_lo.shape[0]
    vmax = (np.inf if v_max is None else width if isinstance(v_max, str) else v_max)

    def safe(theta):
        e = error(theta)
        return e if np.isfinite(e) else np.inf

    pos = np.clip(box_lo + width * rng.random((P, n)), lo, hi)
    if np.isscalar(init_velocity):
        vel = (2.0 * rng.random((P, n)) - 1.0) * (init_velocity * width)
    else:
        vel = init_velocity[0] + (init_velocity[1] - init_velocity[0]) * rng.random((P, n))
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
                      -vmax, vmax)
        pos = np.clip(pos + vel, lo, hi)
        pos[dies] = np.clip(box_lo + width * fresh[dies], lo, hi)
        err = np.array([safe(p) for p in pos])
        better = dies | (err < best_err)
        best_pos[better], best_err[better] = pos[better], err[better]
        for i in range(P):
            if best_err[i] < gbest_err:
                gbest, gbest_err = best_pos[i].copy(), best_err[i]
        history.append(gbest_err)
    return gbest, np.array(history)


def _safe(error):
    def safe(theta):
        e = error(theta)
        return e if np.isfinite(e) else np.inf
    return safe


def _mean(pos):
    """The mean position, summed particle by particle (the kernels' order)."""
    total = np.zeros(pos.shape[1])
    for row in pos:
        total = total + row
    return total / pos.shape[0]


def _record(err, pos, best, best_err):
    for i in range(len(err)):
        if err[i] < best_err:
            best, best_err = pos[i].copy(), err[i]
    return best, best_err


def cso(error, box, *, swarm_size, n_iter, seed, phi=0.1, bounds=None, v_max=None):
    """The Competitive Swarm Optimizer (Cheng & Jin 2015, eq. 6-7), in plain NumPy.

    Pairs (π_k, π_{k+h}) of a fresh permutation π each iteration; the lower error wins (the
    first of the pair on ties); the loser moves with
    ``v ← R1·v + R2·(x_w − x_l) + φ·R3·(x̄ − x_l)``, ``x ← clip(x + v)``, x̄ the mean
    position before the iteration; only losers are evaluated.  Draws: start positions;
    per iteration the permutation, then per pair R1, R2, R3.  Velocities start at 0.
    """
    rng = np.random.default_rng(seed)
    box_lo, width = box
    lo, hi = (-np.inf, np.inf) if bounds is None else bounds
    vmax = np.inf if v_max is None else width if isinstance(v_max, str) else v_max
    P, n, h = swarm_size, box_lo.shape[0], swarm_size // 2
    safe = _safe(error)
    pos = np.clip(box_lo + width * rng.random((P, n)), lo, hi)
    vel = np.zeros((P, n))
    err = np.array([safe(p) for p in pos])
    best, best_err = _record(err, pos, pos[0].copy(), err[0])
    history = [best_err]
    for _ in range(n_iter):
        perm = rng.permutation(P)
        R = [[rng.random(n) for _ in range(3)] for _ in range(h)]
        mean = _mean(pos)
        for k in range(h):
            a, b = perm[k], perm[k + h]
            w, l = (a, b) if err[a] < err[b] else (b, a)
            r1, r2, r3 = R[k]
            vel[l] = np.clip(r1 * vel[l] + r2 * (pos[w] - pos[l]) + phi * r3 * (mean - pos[l]),
                             -vmax, vmax)
            pos[l] = np.clip(pos[l] + vel[l], lo, hi)
            err[l] = safe(pos[l])
        best, best_err = _record(err, pos, best, best_err)
        history.append(best_err)
    return best, np.array(history)


def slpso(error, box, *, swarm_size, n_iter, seed, base_size=100, alpha=0.5, beta=0.01,
          bounds=None):
    """Social-learning PSO (Cheng & Jin 2015, Information Sciences 291), in plain NumPy.

    Ranks worst first (ties by index); rank r learns with probability
    ``(1 − r/P)^(α·ln⌈n/M⌉)`` (never the best); a learner takes, per coordinate j, a
    demonstrator of rank ``r + 1 + ⌊d_j·(P − 1 − r)⌋`` and moves
    ``Δx ← r1·Δx + r2·(x_k − x) + ε·r3·(x̄ − x)``, ε = β·n/M, from the positions the
    iteration found.  Draws: start positions; per iteration a learning draw per rank, then
    per learner (rank order) its r1, r2, r3 and d rows.  Δx starts at 0.
    """
    rng = np.random.default_rng(seed)
    box_lo, width = box
    lo, hi = (-np.inf, np.inf) if bounds is None else bounds
    P, n = swarm_size, box_lo.shape[0]
    learning = (1 - np.arange(P) / P) ** (alpha * np.log(np.ceil(n / base_size)))
    eps = beta * n / base_size
    safe = _safe(error)
    pos = np.clip(box_lo + width * rng.random((P, n)), lo, hi)
    vel = np.zeros((P, n))
    err = np.array([safe(p) for p in pos])
    best, best_err = _record(err, pos, pos[0].copy(), err[0])
    history = [best_err]
    for _ in range(n_iter):
        rank = sorted(range(P), key=lambda i: (-err[i], i))
        mean = _mean(pos)
        learns = [rng.random() < learning[r] and r < P - 1 for r in range(P)]
        rows = {r: [rng.random(n) for _ in range(4)] for r in range(P) if learns[r]}
        frozen = pos.copy()
        for r in sorted(rows):
            i = rank[r]
            r1, r2, r3, d = rows[r]
            demo = [rank[min(r + 1 + int(d[j] * (P - 1 - r)), P - 1)] for j in range(n)]
            x_k = frozen[demo, np.arange(n)]
            vel[i] = r1 * vel[i] + r2 * (x_k - frozen[i]) + eps * r3 * (mean - frozen[i])
            pos[i] = np.clip(frozen[i] + vel[i], lo, hi)
            err[i] = safe(pos[i])
        best, best_err = _record(err, pos, best, best_err)
        history.append(best_err)
    return best, np.array(history)


def unit_parts(layers):
    """θ indices of each part of a one-hidden-layer network: per hidden unit h its fan-in
    ``W1[:, h]``, bias ``b1[h]`` and fan-out ``W2[h, :]``; then the output biases."""
    d, H, K = layers
    w2 = (d + 1) * H
    parts = [[i * H + h for i in range(d)] + [d * H + h] + [w2 + h * K + k for k in range(K)]
             for h in range(H)]
    return parts + [[w2 + H * K + k for k in range(K)]]


def cpso(error, layers, box, *, swarm_size, n_iter, seed, inertia=0.729, c1=1.49445,
         c2=1.49445, bounds=None, init_velocity=0.1, v_max=None):
    """Cooperative PSO by hidden unit (van den Bergh & Engelbrecht 2004, CPSO-S), in plain
    NumPy, every candidate evaluated from scratch in the context.

    Sub-swarm s holds candidates for part s (``unit_parts``); the context c is every
    sub-swarm's best part.  Start: positions per sub-swarm, then velocities (±φ·width);
    c from particle 0 of each.  Then an evaluation pass without moves, and each iteration:
    for s in order, move (``v ← w·v + c1·r1·(p − x) + c2·r2·(c_s − x)``, clip), evaluate
    in c, personal bests where strictly better (all on the first pass), and c_s ← the best
    candidate if strictly better than E(c).  The record is updated after each pass.
    """
    rng = np.random.default_rng(seed)
    box_lo, width = box
    lo, hi = (-np.inf, np.inf) if bounds is None else bounds
    P = swarm_size
    parts = [np.array(p) for p in unit_parts(layers)]
    safe = _safe(error)
    vmax = [np.inf if v_max is None else width[p] if isinstance(v_max, str) else v_max
            for p in parts]
    pos = [np.clip(box_lo[p] + width[p] * rng.random((P, len(p))), lo, hi) for p in parts]
    vel = [(2.0 * rng.random((P, len(p))) - 1.0) * (init_velocity * width[p]) for p in parts]
    pbest = [x.copy() for x in pos]
    pbest_err = [np.full(P, np.inf) for _ in parts]
    context = np.zeros(box_lo.shape[0])
    for s, p in enumerate(parts):
        context[p] = pos[s][0]
    ctx_err = safe(context)
    best, best_err = context.copy(), ctx_err
    history = []
    for it in range(n_iter + 1):
        moving = it > 0
        if moving:
            draws = [[(rng.random(len(p)), rng.random(len(p))) for _ in range(P)] for p in parts]
        for s, p in enumerate(parts):
            if moving:
                for i in range(P):
                    r1, r2 = draws[s][i]
                    x = pos[s][i]
                    v = inertia * vel[s][i] + c1 * r1 * (pbest[s][i] - x) + c2 * r2 * (context[p] - x)
                    vel[s][i] = np.clip(v, -vmax[s], vmax[s])
                    pos[s][i] = np.clip(x + vel[s][i], lo, hi)
            err = []
            for i in range(P):
                trial = context.copy()
                trial[p] = pos[s][i]
                err.append(safe(trial))
            winner = -1
            for i in range(P):
                if not moving or err[i] < pbest_err[s][i]:
                    pbest[s][i], pbest_err[s][i] = pos[s][i].copy(), err[i]
                if err[i] < (ctx_err if winner < 0 else err[winner]):
                    winner = i
            if winner >= 0:
                context[p] = pos[s][winner]
                ctx_err = safe(context)
        if ctx_err < best_err:
            best, best_err = context.copy(), ctx_err
        history.append(best_err)
    return best, np.array(history)
