"""The Competitive Swarm Optimizer (Cheng & Jin, IEEE Transactions on Cybernetics 45(2):
191–204, 2015; docs/design.md §6).

Each iteration pairs the particles at random: the permutation π of the P particles gives
the pairs (π_k, π_{k+h}), k < h = ⌊P/2⌋ (an odd P leaves π_{P−1} out).  In each pair the
particle of lower error wins (the first of the pair on ties, as EvoX's ``cso.py``) and
passes to the next iteration unchanged; the loser l learns from the winner w and from the
swarm's mean position x̄, taken before the iteration moves anything (the paper's eq. 6–7)::

    v_l ← R1·v_l + R2·(x_w − x_l) + φ·R3·(x̄ − x_l),   |v_j| ≤ v_max_j
    x_l ← clip(x_l + v_l, lo, hi)

with R1, R2, R3 uniform in [0, 1) per coordinate.  Only the h losers are evaluated: an
iteration costs h full passes over the data.  There is no personal or global best; the
trainer keeps the record of the lowest error evaluated.  Velocities start at zero (the
authors' code); positions as every algorithm's (``_start``).

Draws, serially from the run's generator, per iteration: the permutation
(``Generator.permutation(P)``'s draws), then for each pair k in order its loser's R1, R2
and R3 rows.  On a GPU (``GPU``, at the end) the iterations draw from the counter-based
stream of ``_kernels.philox`` instead: the permutation sorts the particles by a uniform key
each, from counter (k, purpose 0, i, 0); pair e's R1 and R2 of coordinate j come from
(k, 1, e, j), its R3 from (k, 2, e, j).
"""

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba.extending import register_jitable

from .._kernels.jit import llvm_inline, piece
from .._kernels.pcg64 import next_double, shuffle, state_words
from .._kernels.philox import uniforms
from .._kernels.swarm import mean_position, run_tasks
from .._validation import check_real
from . import _start
from ._base import GPU, Algorithm


class State(NamedTuple):
    """A CSO run's state (P particles of n parameters), updated in place."""

    pos: np.ndarray  # (P, n) positions
    err: np.ndarray  # (P,) errors at the positions
    best: np.ndarray  # (n,) the best position found
    best_err: np.ndarray  # (1,) its error
    counters: np.ndarray  # (4,) int64: see _kernels.swarm.SHARED_FIELDS
    rng: np.ndarray  # (6,) uint64 PCG64 state
    vel: np.ndarray  # (P, n) velocities
    mean: np.ndarray  # (n,) the swarm's mean position before the iteration
    #: (2, P) int64 and (2, ⌊P/2⌋, 3, n): iteration k's permutation and R1, R2, R3 rows are in
    #: slot k % 2, so that the next ones can be drawn meanwhile
    perm: np.ndarray
    rnd: np.ndarray


class Settings(NamedTuple):
    """The constants the CSO kernels read (see ``Options``)."""

    phi: float
    lo: float  # the bounds (−inf, inf when unbounded)
    hi: float
    v_max: np.ndarray  # (n,) the velocity clamp of each coordinate (inf: none)


@dataclass(frozen=True)
class Options:
    """CSO's options, validated on construction.

    Parameters
    ----------
    phi : float ≥ 0, default 0.1
        φ, the pull of the swarm's mean position.  The paper sets it from the swarm size
        (0 for ≤ 100 particles, up to 0.3 for 1000) on benchmark functions; 0.1 measured best
        of {0, 0.05, 0.1, 0.2} on the quality benchmark's networks (docs/design.md §6).
    init_range : "fan_in", float > 0 or (float, float), default "fan_in"
        Where each coordinate starts (``algorithms._start``).
    bounds : (float, float) or None, default None
        Positions are clipped to it; None: unbounded.
    v_max : float > 0, "init_width" or None, default None
        Velocity clamp, as PSO's.
    """

    phi: float = 0.1
    init_range: object = "fan_in"
    bounds: tuple = None
    v_max: object = None

    def __post_init__(self):
        checked = dict(phi=check_real(self.phi, "phi", low=0.0),
                       init_range=_start.check_init_range(self.init_range),
                       bounds=_start.check_bounds(self.bounds),
                       v_max=_start.check_v_max(self.v_max))
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    def start_description(self):
        """Where the particles start and may go, for messages."""
        return _start.describe(self.init_range, self.bounds)


@llvm_inline
def draw(swarm, settings, slot):
    """One iteration's random numbers (module docstring's order) into ``slot``."""
    rng, perm, rnd = swarm.rng, swarm.perm[slot], swarm.rnd[slot]
    for i in range(perm.shape[0]):
        perm[i] = i
    shuffle(rng, perm)
    n_pairs, _, n = rnd.shape
    for k in range(n_pairs):
        for row in range(3):
            for j in range(n):
                rnd[k, row, j] = next_double(rng)


@llvm_inline
def move(task, swarm, settings, slot):
    """Pair ``task``'s loser learns from its winner and the mean (module docstring)."""
    pos, vel, err, mean = swarm.pos, swarm.vel, swarm.err, swarm.mean
    perm, rnd = swarm.perm[slot], swarm.rnd[slot]
    first, second = perm[task], perm[task + rnd.shape[0]]
    win, lose = (first, second) if err[first] < err[second] else (second, first)
    phi, lo, hi, v_max = settings.phi, settings.lo, settings.hi, settings.v_max
    for j in range(pos.shape[1]):
        x = pos[lose, j]
        v = (rnd[task, 0, j] * vel[lose, j] + rnd[task, 1, j] * (pos[win, j] - x)
             + phi * rnd[task, 2, j] * (mean[j] - x))
        v = min(max(v, -v_max[j]), v_max[j])
        vel[lose, j] = v
        pos[lose, j] = min(max(x + v, lo), hi)
    return lose


@piece
def draw_piece(swarm, settings, slot):
    """``draw``, for ``iterate``'s first draw of a call."""
    draw(swarm, settings, slot)


@piece
def take(queue, n_tasks, draw_next, slot_next, moving, slot, swarm, settings, data, lam,
         penalty_mask, buf):
    """A worker's share of an iteration (``_kernels.swarm.run_tasks``)."""
    run_tasks(queue, n_tasks, draw_next, slot_next, moving, slot, swarm, settings, data, lam,
              penalty_mask, buf, draw, move)


@piece
def tasks(swarm, settings, slot):
    """The losers move: one task per pair."""
    return swarm.rnd.shape[1]


@piece
def start(swarm, settings):
    """The mean of the starting positions."""
    mean_position(swarm.pos, swarm.mean)


@piece
def tell(swarm, settings, slot):
    """The mean of the new positions, for the next iteration."""
    mean_position(swarm.pos, swarm.mean)


def init(options, n_particles, objective, rng):
    """Positions drawn in the initial range (``_start.draw_positions``), velocities zero."""
    network = objective.network
    P, n = n_particles, network.n_params
    init_lo, init_width = _start.initial_box(options.init_range, network)
    pos = _start.draw_positions(init_lo, init_width, options.bounds, P, rng)
    state = State(pos=pos, err=np.empty(P), best=np.empty(n), best_err=np.empty(1),
                  counters=np.zeros(4, dtype=np.int64), rng=state_words(rng),
                  vel=np.zeros((P, n)), mean=np.empty(n), perm=np.zeros((2, P), dtype=np.int64),
                  rnd=np.empty((2, P // 2, 3, n)))
    lo, hi = _start.kernel_bounds(options.bounds)
    return state, Settings(options.phi, lo, hi, _start.v_max_array(options.v_max, init_width))


def kernels(options):
    return dict(take=take, tasks=tasks, start=start, tell=tell, draw=draw_piece)


# -- on a CUDA GPU (devices.cuda, _kernels/gpu/swarm.py) ----------------------------------

#: What each draw of an iteration is for: the ``purpose`` word of its Philox counter.
_PAIRING, _R12, _R3 = 0, 1, 2


@register_jitable
def gpu_pairing_key(k, i, swarm, settings, key, aux):
    """Particle i's sort key for iteration k's permutation."""
    u, _ = uniforms(key, k, _PAIRING, i, 0)
    aux.keys[i] = u


@register_jitable
def gpu_permute(k, i, swarm, settings, key, aux):
    """``perm[0]``: the particles by key (by index on ties), one place per call."""
    keys = aux.keys
    place = 0
    for q in range(keys.shape[0]):
        if keys[q] < keys[i] or (keys[q] == keys[i] and q < i):
            place += 1
    swarm.perm[0, place] = i


@register_jitable
def gpu_pair(k, e, swarm, settings, key, aux):
    """Pair e (e < ⌊P/2⌋): its winner in ``perm[1, e]``, its loser in the evaluation list."""
    h = swarm.pos.shape[0] // 2
    if e < h:
        first, second = swarm.perm[0, e], swarm.perm[0, e + h]
        win, lose = (first, second) if swarm.err[first] < swarm.err[second] else (second, first)
        swarm.perm[1, e] = win
        aux.todo[1 + e] = lose


@register_jitable
def gpu_finish(k, swarm, settings, aux):
    aux.todo[0] = swarm.pos.shape[0] // 2


@register_jitable
def gpu_mean_tasks(k, swarm, aux):
    return swarm.pos.shape[1]


@register_jitable
def gpu_mean(k, j, swarm, settings, key, aux):
    """``mean[j]``, summed in particle order (``_mean_position``)."""
    pos = swarm.pos
    total = 0.0
    for i in range(pos.shape[0]):
        total += pos[i, j]
    swarm.mean[j] = total / pos.shape[0]


@register_jitable
def gpu_learn_tasks(k, swarm, aux):
    return aux.todo[0] * swarm.pos.shape[1]


@register_jitable
def gpu_learn(k, task, swarm, settings, key, aux):
    """Task e·n + j: coordinate j of pair e's loser (``move``)."""
    pos, vel = swarm.pos, swarm.vel
    n = pos.shape[1]
    e = task // n
    j = task - e * n
    win, lose = swarm.perm[1, e], aux.todo[1 + e]
    r1, r2 = uniforms(key, k, _R12, e, j)
    r3, _ = uniforms(key, k, _R3, e, j)
    x = pos[lose, j]
    v = r1 * vel[lose, j] + r2 * (pos[win, j] - x) + settings.phi * r3 * (swarm.mean[j] - x)
    v = min(max(v, -settings.v_max[j]), settings.v_max[j])
    vel[lose, j] = v
    pos[lose, j] = min(max(x + v, settings.lo), settings.hi)


@register_jitable
def gpu_tell(k, p, swarm, settings):
    return False


@register_jitable
def gpu_keep(p, j, swarm):
    pass


def gpu_kernels(options):
    return dict(moves=((gpu_mean_tasks, gpu_mean), (gpu_learn_tasks, gpu_learn)),
                passes=(gpu_pairing_key, gpu_permute, gpu_pair), finish=gpu_finish,
                tell=gpu_tell, keep=gpu_keep)


CSO = Algorithm(
    "cso", "Competitive Swarm Optimizer (Cheng & Jin 2015): random pairs, the loser learns "
    "from the winner and the swarm's mean", Options, init, kernels,
    # pos, vel and two iterations' draws (1.5 rows each): 5 (P, n) float64 arrays, and 1 more
    # at the peak, the temporary of drawing the starting positions.
    state_bytes=lambda P, n: 8 * 6 * P * n,
    swarm_size=lambda n_params: 100, positions=("pos", "best", "vel"),
    gpu=GPU(fields=("pos", "err", "best", "best_err", "counters", "vel", "mean", "perm"),
            kernels=gpu_kernels))
