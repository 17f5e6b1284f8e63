"""Cooperative PSO, one sub-swarm per hidden unit (van den Bergh & Engelbrecht, IEEE
Transactions on Evolutionary Computation 8(3): 225–239, 2004, the CPSO-S of §IV, as they
applied it to network weights in 2000; docs/design.md §6).

θ is split into parts: one per hidden unit h — its fan-in ``W1[:, h]``, its bias ``b1[h]``
and its fan-out ``W2[h, :]`` — and one for the output biases ``b2``.  Part s has a
sub-swarm of P particles, each a vector of the part's dimension; the *context* c is a
whole θ made of every sub-swarm's best part.  A particle x of sub-swarm s is worth
``E(c with part s replaced by x)``.  An iteration visits the sub-swarms in order; for
sub-swarm s it moves every particle with the PSO update (``pso``'s, no topology, no
rebirth), the social attractor being c's part s::

    v ← inertia·v + c1·r1·(p_i − x) + c2·r2·(c_s − x),   |v_j| ≤ v_max_j
    x ← clip(x + v, lo, hi)

evaluates them in the context (in parallel), replaces each personal best by the new
position where that is strictly better (the personal bests' errors are kept from when
they were evaluated, as is usual), and, if the best of them (lowest index on ties) is
strictly better than the context, makes it the context's part s: the next sub-swarms of
the same iteration are evaluated in the improved context (the paper's sequential order).

A candidate changes only its unit's contribution, so its error comes from cached
pre-activations instead of a forward pass: with the context's hidden outputs A (N × H)
and logits Z (N × K) kept, unit h's candidate (w, b, u) gives ``a = f(X·w + b)`` and the
logits ``Z − A[:, h]⊗c_u + a⊗u``, in ``N·(d + 1 + K)`` multiply-adds where a forward pass
takes ``N·n_params``; the output biases' candidates take ``N·K``.  An evaluation is counted
as its fraction of a full pass, activations and loss terms included (``part_costs``), in
``n_evaluations``.  After an iteration in which the
context changed, the caches and E(c) are computed again by a full forward pass (counted),
so that rounding does not build up and the record and ``history`` hold E exactly as
``regularized_error`` computes it.  Networks with one hidden layer only.

Draws, serially from the run's generator: the starting positions of each sub-swarm (s in
order; each P × dim), then their velocities; per iteration, for each sub-swarm and
particle, its r1 row and its r2 row (the part's dimension each).
"""

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import prange

from .._kernels.atomic import fetch_add
from .._kernels.error import evaluate, logits, penalty
from .._kernels.jit import inline, llvm_inline, parallel_kernel, piece
from .._kernels.pcg64 import next_double, state_words
from .._kernels.stops import HIT_TARGET, RAN_OUT
from .._kernels.swarm import finish_iteration
from .._validation import check_real
from . import _start
from ._base import Algorithm


class State(NamedTuple):
    """A CPSO run's state (S sub-swarms of P particles, parts of at most D entries)."""

    best: np.ndarray  # (n,) the record: the lowest-error θ found
    best_err: np.ndarray  # (1,) its error
    counters: np.ndarray  # (4,) int64: see _kernels.swarm.SHARED_FIELDS (3: sub-swarm moves)
    rng: np.ndarray  # (6,) uint64 PCG64 state
    context: np.ndarray  # (n,) c: every sub-swarm's best part
    context_err: np.ndarray  # (2,) E(c) and P(c) = Σ penalized c_j²
    pos: np.ndarray  # (S, P, D) positions (a part's entries first, zeros after)
    vel: np.ndarray  # (S, P, D) velocities
    pbest: np.ndarray  # (S, P, D) personal bests
    err: np.ndarray  # (S, P) errors of the positions in the context they were evaluated in
    pbest_err: np.ndarray  # (S, P) the personal bests' errors
    hidden: np.ndarray  # (n_blocks, H, block) the context's hidden outputs A
    logits: np.ndarray  # (n_blocks, K, block) the context's logits Z
    cost: np.ndarray  # (1,) evaluations made, in full passes
    #: (2, S, P, 2, D): iteration k's r1 and r2 rows are in slot k % 2, so that the next
    #: ones can be drawn meanwhile
    rnd: np.ndarray


class Settings(NamedTuple):
    """The constants the CPSO kernels read (see ``Options``)."""

    inertia: float
    c1: float
    c2: float
    lo: float  # the bounds (−inf, inf when unbounded)
    hi: float
    v_max: np.ndarray  # (S, D) the velocity clamp of each part entry (inf: none)
    index: np.ndarray  # (S, D) int64: the θ index of each part entry
    dims: np.ndarray  # (S,) int64: each part's dimension
    cost: np.ndarray  # (S,) a candidate's evaluation of part s, in full passes


@dataclass(frozen=True)
class Options:
    """CPSO's options (each sub-swarm runs ``pso``'s update), validated on construction.

    Parameters
    ----------
    inertia, c1, c2 : float ≥ 0, default 0.729, 1.49445, 1.49445
    init_range : "fan_in", float > 0 or (float, float), default "fan_in"
        Where each coordinate starts (``algorithms._start``).
    bounds : (float, float) or None, default None
    init_velocity : float ≥ 0, default 0.1
        Initial velocities uniform in ``±init_velocity·width`` of each coordinate's range.
    v_max : float > 0, "init_width" or None, default None
    """

    inertia: float = 0.729
    c1: float = 1.49445
    c2: float = 1.49445
    init_range: object = "fan_in"
    bounds: tuple = None
    init_velocity: float = 0.1
    v_max: object = None

    def __post_init__(self):
        checked = dict(inertia=check_real(self.inertia, "inertia", low=0.0),
                       c1=check_real(self.c1, "c1", low=0.0),
                       c2=check_real(self.c2, "c2", low=0.0),
                       init_range=_start.check_init_range(self.init_range),
                       bounds=_start.check_bounds(self.bounds),
                       init_velocity=check_real(self.init_velocity, "init_velocity", low=0.0),
                       v_max=_start.check_v_max(self.v_max))
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    def start_description(self):
        """Where the particles start and may go, for messages."""
        return _start.describe(self.init_range, self.bounds)


#: What a tanh, a logistic function or an exponential costs, in multiply-adds (fastmath's
#: vectorized loops; measured within a factor 2 on Iris and digits).
TRANSCENDENTAL = 10.0


def part_costs(network):
    """A candidate's evaluation of each part, in full passes: per item, a full pass takes
    ``n_params`` multiply-adds and ``H + K`` activations and loss terms; a unit's candidate
    ``d + 1`` (its fan-in), ``2K`` (its swap in the logits) and ``1 + K`` of the others;
    the output biases' ``K`` and ``K`` (activations and loss terms count
    ``TRANSCENDENTAL`` multiply-adds each)."""
    d, H, K = network.layers
    full = network.n_params + TRANSCENDENTAL * (H + K)
    unit = (d + 1 + 2 * K + TRANSCENDENTAL * (1 + K)) / full
    return np.append(np.full(H, unit), (K + TRANSCENDENTAL * K) / full)


def parts(network):
    """``(index, dims)``: the θ indices of each part (module docstring), padded with 0 to the
    widest, and each part's dimension; ValueError unless the network has one hidden layer."""
    if len(network.layers) != 3:
        raise ValueError(f"algorithm='cpso' splits a network with one hidden layer into its "
                         f"hidden units; {network!r} has {len(network.layers) - 2}")
    d, H, K = network.layers
    out = (d + 1) * H  # where W2 starts
    rows = [[i * H + h for i in range(d)] + [d * H + h] + [out + h * K + k for k in range(K)]
            for h in range(H)]
    rows.append([out + H * K + k for k in range(K)])
    width = max(len(r) for r in rows)
    index = np.zeros((len(rows), width), dtype=np.int64)
    for s, r in enumerate(rows):
        index[s, : len(r)] = r
    return index, np.array([len(r) for r in rows], dtype=np.int64)


@llvm_inline
def draw(swarm, settings, slot):
    """One iteration's r1 and r2 rows (module docstring's order) into ``slot``."""
    rng, rnd, dims = swarm.rng, swarm.rnd[slot], settings.dims
    for s in range(rnd.shape[0]):
        for i in range(rnd.shape[1]):
            for row in range(2):
                for j in range(dims[s]):
                    rnd[s, i, row, j] = next_double(rng)


@inline
def _move(s, i, swarm, settings, slot):
    """Move particle i of sub-swarm s towards its best and the context's part s."""
    pos, vel, pbest, context = swarm.pos, swarm.vel, swarm.pbest, swarm.context
    rnd, index, v_max = swarm.rnd[slot], settings.index, settings.v_max
    inertia, c1, c2, lo, hi = settings.inertia, settings.c1, settings.c2, settings.lo, settings.hi
    for j in range(settings.dims[s]):
        x = pos[s, i, j]
        v = (inertia * vel[s, i, j] + c1 * rnd[s, i, 0, j] * (pbest[s, i, j] - x)
             + c2 * rnd[s, i, 1, j] * (context[index[s, j]] - x))
        v = min(max(v, -v_max[s, j]), v_max[s, j])
        vel[s, i, j] = v
        pos[s, i, j] = min(max(x + v, lo), hi)


@inline
def _unit_output(h, x, n_in, xblk, buf, bits, nb, activate):
    """Row 0 of ``buf`` ← ``f(b + Σ_i w_i·x_i)`` over a block's items, for a candidate ``x``
    of unit h (fan-in ``x[:n_in]``, bias ``x[n_in]``)."""
    for t in range(nb):
        buf[0, t] = x[n_in]
    for i in range(n_in):
        w = x[i]
        for t in range(nb):
            buf[0, t] += w * xblk[i, t]
    activate(buf, bits, 0, 1, nb)


@inline
def _swap(s, x, blk, swarm, settings, data, buf, bits, nb, out, o0):
    """Block ``blk``'s logits with part s of the context replaced by ``x``, into
    ``out[o0 : o0 + K, :nb]`` (``out`` may be the cached logits themselves); for a unit, its
    new outputs are left in row 0 of ``buf``."""
    n_units, n_out = swarm.hidden.shape[1], swarm.logits.shape[1]
    n_in = settings.dims[0] - 1 - n_out
    index, context = settings.index, swarm.context
    z, a = swarm.logits[blk], swarm.hidden[blk]
    if s < n_units:  # unit s: swap its contribution to the logits
        _unit_output(s, x, n_in, data.xb[blk], buf, bits, nb, data.activate)
        for k in range(n_out):
            u_new = x[n_in + 1 + k]
            u_old = context[index[s, n_in + 1 + k]]
            for t in range(nb):
                out[o0 + k, t] = z[k, t] + (buf[0, t] * u_new - a[s, t] * u_old)
    else:  # the output biases
        for k in range(n_out):
            shift = x[k] - context[index[s, k]]
            for t in range(nb):
                out[o0 + k, t] = z[k, t] + shift


@llvm_inline
def part_error(s, x, swarm, settings, data, lam, penalty_mask, buf):
    """``E`` of the context with part s replaced by ``x``, from the cached hidden outputs
    and logits (module docstring); a non-finite E is +inf."""
    n_out = swarm.logits.shape[1]
    bits = buf.view(np.int64)
    z0 = (buf.shape[0] - 3) // 2
    acc = buf.shape[0] - 1
    block = buf.shape[1]
    for t in range(block):
        buf[acc, t] = 0.0
    for blk in range(data.xb.shape[0]):
        nb = min(block, data.n_samples - blk * block)
        _swap(s, x, blk, swarm, settings, data, buf, bits, nb, buf, z0)
        data.accumulate(buf, bits, z0, n_out, data.tb[blk], nb)
    total = 0.0
    for t in range(block):
        total += buf[acc, t]
    e = total / data.n_samples
    if lam != 0.0:
        index, context = settings.index, swarm.context
        pen = swarm.context_err[1]
        for j in range(settings.dims[s]):
            c = context[index[s, j]]
            pen += penalty_mask[index[s, j]] * (x[j] * x[j] - c * c)
        e += lam * pen
    return e if math.isfinite(e) else np.inf


@piece
def take(queue, n_tasks, draw_next, slot_next, moving, slot, swarm, settings, data, lam,
         penalty_mask, buf):
    """A worker's share of sub-swarm ``swarm.counters[3]``'s region: the next iteration's
    draws (task 0, when ``draw_next``), then moves (when ``moving``) and evaluations."""
    s = swarm.counters[3]
    while True:
        task = fetch_add(queue, 0, 1)
        if task >= n_tasks:
            break
        if draw_next:
            if task == 0:
                draw(swarm, settings, slot_next)
                continue
            task -= 1
        if moving:
            _move(s, task, swarm, settings, slot)
        swarm.err[s, task] = part_error(s, swarm.pos[s, task], swarm, settings, data, lam,
                                        penalty_mask, buf)


@piece
def draw_piece(swarm, settings, slot):
    """``draw``, for the loop's first draw of a call."""
    draw(swarm, settings, slot)


@inline
def _refresh(swarm, data, lam, penalty_mask, buf):
    """The caches and ``context_err`` of the context by a full forward pass: E as
    ``error.data_error`` and ``swarm.error_of`` compute it (the same operations)."""
    context, hidden, cached = swarm.context, swarm.hidden, swarm.logits
    n_units, n_out = hidden.shape[1], cached.shape[1]
    bits = buf.view(np.int64)
    acc = buf.shape[0] - 1
    block = buf.shape[1]
    for t in range(block):
        buf[acc, t] = 0.0
    for blk in range(data.xb.shape[0]):
        nb = min(block, data.n_samples - blk * block)
        z0 = logits(context, data.sizes, data.activate, data.xb[blk], buf, bits, nb)
        for h in range(n_units):  # layer 1's outputs are rows 0 .. H − 1 (error.logits)
            for t in range(nb):
                hidden[blk, h, t] = buf[h, t]
        for k in range(n_out):
            for t in range(nb):
                cached[blk, k, t] = buf[z0 + k, t]
        data.accumulate(buf, bits, z0, n_out, data.tb[blk], nb)
    total = 0.0
    for t in range(block):
        total += buf[acc, t]
    e = total / data.n_samples
    pen = penalty(context, penalty_mask)
    if lam != 0.0:
        e += lam * pen
    swarm.context_err[0] = e if math.isfinite(e) else np.inf
    swarm.context_err[1] = pen
    swarm.cost[0] += 1.0


@inline
def _adopt(s, i, swarm, settings, data, buf):
    """Make particle i's position the context's part s, and update the caches by swapping
    its contribution (as ``part_error`` computed it)."""
    x, index, context = swarm.pos[s, i], settings.index, swarm.context
    bits = buf.view(np.int64)
    block = buf.shape[1]
    for blk in range(data.xb.shape[0]):
        nb = min(block, data.n_samples - blk * block)
        _swap(s, x, blk, swarm, settings, data, buf, bits, nb, swarm.logits[blk], 0)
        if s < swarm.hidden.shape[1]:
            for t in range(nb):
                swarm.hidden[blk, s, t] = buf[0, t]
    for j in range(settings.dims[s]):
        context[index[s, j]] = x[j]
    swarm.context_err[0] = swarm.err[s, i]


@inline
def _tell(s, swarm, initial, data, buf, settings, penalty_mask):
    """Sub-swarm s after its evaluations: personal bests, then the context (module
    docstring); returns whether the context changed."""
    err, pbest_err, pos, pbest = swarm.err, swarm.pbest_err, swarm.pos, swarm.pbest
    winner = -1
    for i in range(err.shape[1]):
        if initial or err[s, i] < pbest_err[s, i]:
            pbest_err[s, i] = err[s, i]
            for j in range(settings.dims[s]):
                pbest[s, i, j] = pos[s, i, j]
        if err[s, i] < (swarm.context_err[0] if winner < 0 else err[s, winner]):
            winner = i
    if winner < 0:
        return False
    # the penalty of the new context: swap the part's penalized squares
    pen = swarm.context_err[1]
    x, index, context = pos[s, winner], settings.index, swarm.context
    for j in range(settings.dims[s]):
        c = context[index[s, j]]
        pen += penalty_mask[index[s, j]] * (x[j] * x[j] - c * c)
    _adopt(s, winner, swarm, settings, data, buf)
    swarm.context_err[1] = pen
    return True


@parallel_kernel
def iterate(swarm, settings, steps, data, lam, penalty_mask, work, history, stop, initialize,
            n_iter):
    """Run up to ``n_iter`` CPSO iterations in place (the module docstring's; the
    protocol of ``_kernels.swarm.iterate``, with ``steps.take`` and ``steps.draw``).

    With ``initialize``: the context is every sub-swarm's particle 0 and its E the record;
    then every particle is evaluated in turn, sub-swarm by sub-swarm, as in an iteration
    without moves (their positions become their personal bests); the record after that is
    ``history[0]``.
    """
    counters = swarm.counters
    n_parts, n_particles = swarm.err.shape
    n_workers = work.shape[0]
    max_iter = history.shape[0] - 1
    queue = np.empty(1, dtype=np.int64)
    buf = work[0]
    if n_iter > 0 and not initialize and counters[2] == 0:
        steps.draw(swarm, settings, (counters[0] + 1) % 2)
        counters[2] = 1
    step = -1 if initialize else 0
    if initialize:
        for s in range(n_parts):
            for j in range(settings.dims[s]):
                swarm.context[settings.index[s, j]] = swarm.pos[s, 0, j]
        _refresh(swarm, data, lam, penalty_mask, buf)
        swarm.best_err[0] = swarm.context_err[0]
        for j in range(swarm.best.shape[0]):
            swarm.best[j] = swarm.context[j]
    while step < n_iter:
        moving = step >= 0
        k = counters[0] + 1
        k_next = k + 1 if moving else k
        draw_next = k_next <= max_iter
        changed = False
        for s in range(n_parts):
            counters[3] = s  # which sub-swarm ``take`` works on
            first = s == 0 and draw_next
            queue[0] = 0
            for w in prange(n_workers):
                steps.take(queue, n_particles + (1 if first else 0), first, k_next % 2, moving,
                           k % 2, swarm, settings, data, lam, penalty_mask, work[w])
            if s == 0:
                counters[2] = 1 if draw_next else 0
            swarm.cost[0] += n_particles * settings.cost[s]
            if _tell(s, swarm, not moving, data, buf, settings, penalty_mask):
                changed = True
        if changed:
            _refresh(swarm, data, lam, penalty_mask, buf)
        improved = swarm.context_err[0] < swarm.best_err[0]
        if improved:
            swarm.best_err[0] = swarm.context_err[0]
            for j in range(swarm.best.shape[0]):
                swarm.best[j] = swarm.context[j]
        if not moving:
            history[0] = swarm.best_err[0]
            if swarm.best_err[0] <= stop.target:
                return HIT_TARGET
            step += 1
            continue
        code = finish_iteration(counters, history, swarm.best_err, improved, stop)
        if code >= 0:
            return code
        step += 1
    return RAN_OUT


@piece
def tasks(swarm, settings, slot):
    """(Not called: the loop evaluates every particle of each sub-swarm.)"""
    return swarm.err.shape[1]


@piece
def start(swarm, settings):
    """(Not called: the loop starts the context itself.)"""


@piece
def tell(swarm, settings, slot):
    """(Not called: the loop tells each sub-swarm with the data at hand.)"""


def kernels(options):
    return dict(take=take, tasks=tasks, start=start, tell=tell, draw=draw_piece)


def init(options, n_particles, objective, rng):
    """Each sub-swarm's positions drawn in its coordinates' initial ranges
    (``_start.draw_positions``), then velocities uniform in ``±init_velocity·width``."""
    network = objective.network
    index, dims = parts(network)
    S, D, P = index.shape[0], index.shape[1], n_particles
    init_lo, init_width = _start.initial_box(options.init_range, network)
    pos = np.zeros((S, P, D))
    for s in range(S):
        part = index[s, : dims[s]]
        pos[s, :, : dims[s]] = _start.draw_positions(init_lo[part], init_width[part],
                                                     options.bounds, P, rng)
    vel = np.zeros((S, P, D))
    for s in range(S):
        width = init_width[index[s, : dims[s]]]
        vel[s, :, : dims[s]] = (2.0 * rng.random((P, dims[s])) - 1.0) * (options.init_velocity * width)
    n = network.n_params
    _, H, K = network.layers
    n_blocks, block = objective.xb.shape[0], objective.block
    state = State(best=np.empty(n), best_err=np.empty(1), counters=np.zeros(4, dtype=np.int64),
                  rng=state_words(rng), context=np.zeros(n), context_err=np.zeros(2), pos=pos,
                  vel=vel, pbest=pos.copy(), err=np.empty((S, P)), pbest_err=np.full((S, P), np.inf),
                  hidden=np.empty((n_blocks, H, block)), logits=np.empty((n_blocks, K, block)),
                  cost=np.zeros(1), rnd=np.empty((2, S, P, 2, D)))
    v_max = _start.v_max_array(options.v_max, init_width)[index]
    lo, hi = _start.kernel_bounds(options.bounds)
    cost = part_costs(network)
    settings = Settings(options.inertia, options.c1, options.c2, lo, hi, v_max, index, dims, cost)
    return state, settings


CPSO = Algorithm(
    "cpso", "cooperative PSO (van den Bergh & Engelbrecht 2004): a sub-swarm per hidden unit, "
    "each candidate evaluated in the context of the others' best, incrementally", Options, init,
    kernels,
    # pos, vel, pbest and two iterations' draws (2 rows each): 7 (P, n) float64 arrays, and
    # the caches (N·(H + K)), small beside them.
    state_bytes=lambda P, n: 8 * 7 * P * n,
    swarm_size=lambda n_params: 30, loop=iterate, evaluations=lambda state: state.cost[0],
    dtypes=("float64",))
