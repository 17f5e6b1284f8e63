"""Social-learning PSO (Cheng & Jin, Information Sciences 291: 43–60, 2015;
docs/design.md §6).

Before each iteration the P particles are ranked by error, worst first (rank 0; ties by
particle index), and the swarm's mean position x̄ is taken.  The particle of rank r learns
with probability ``P_L(r) = (1 − r/P)^(α·ln⌈n/M⌉)`` (the best, rank P − 1, never does);
a learner i moves, coordinate by coordinate, towards a demonstrator drawn uniformly among
the better-ranked particles (another for each coordinate) and towards x̄::

    Δx_ij ← r1·Δx_ij + r2·(x_kj − x_ij) + ε·r3·(x̄_j − x_ij),    ε = β·n/M
    x_ij ← clip(x_ij + Δx_ij, lo, hi)

with r1, r2, r3 uniform in [0, 1), and every x read as the iteration found it.  The
parameters come from the dimension n (the paper's §4): M = 100, α = 0.5, β = 0.01, and a
swarm of ``M + ⌊n/10⌋`` particles.  Only learners are evaluated; the others are unchanged.
The authors' code starts Δx at zero.

Draws, serially from the run's generator, per iteration: for each rank r its learning draw
u_r; then for each learner in rank order its r1, r2, r3 rows and its row of demonstrator
draws d (the demonstrator of coordinate j is rank ``r + 1 + ⌊d_j·(P − 1 − r)⌋``).  On a GPU
(``GPU``, at the end) the iterations draw from the counter-based stream of
``_kernels.philox`` instead: u_r from counter (k, purpose 0, r, 0); learner i's r1 and r2 of
coordinate j from (k, 1, i, j), its r3 and d_j from (k, 2, i, j).
"""

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba.extending import register_jitable

from .._kernels.jit import inline, llvm_inline, piece
from .._kernels.pcg64 import next_double, state_words
from .._kernels.philox import uniforms
from .._kernels.swarm import mean_position, run_tasks
from .._validation import check_int, check_real
from . import _start
from ._base import GPU, Algorithm


class State(NamedTuple):
    """An SL-PSO run's state (P particles of n parameters), updated in place."""

    pos: np.ndarray  # (P, n) positions
    err: np.ndarray  # (P,) errors at the positions
    best: np.ndarray  # (n,) the best position found
    best_err: np.ndarray  # (1,) its error
    counters: np.ndarray  # (4,) int64: see _kernels.swarm.SHARED_FIELDS
    rng: np.ndarray  # (6,) uint64 PCG64 state
    vel: np.ndarray  # (P, n) Δx
    mean: np.ndarray  # (n,) the swarm's mean position before the iteration
    rank: np.ndarray  # (P,) int64: rank[r] is the particle of rank r (0: the worst)
    movers: np.ndarray  # (P,) int64: the ranks of this iteration's learners, in order
    frozen: np.ndarray  # (P, n) the positions as the iteration found them
    #: (2, P) bool and (2, P, 4, n): iteration k's learners and their r1, r2, r3 and
    #: demonstrator rows, by rank, are in slot k % 2, so that the next ones can be drawn
    #: meanwhile
    learns: np.ndarray
    rnd: np.ndarray


class Settings(NamedTuple):
    """The constants the SL-PSO kernels read (see ``Options``)."""

    epsilon: float  # ε = β·n/M
    learning: np.ndarray  # (P,) P_L(r) of each rank
    lo: float  # the bounds (−inf, inf when unbounded)
    hi: float


@dataclass(frozen=True)
class Options:
    """SL-PSO's options, validated on construction.

    Parameters
    ----------
    base_size : int ≥ 1, default 100
        M: the swarm has ``M + ⌊n/10⌋`` particles unless ``swarm_size`` says otherwise; ε
        and P_L scale with n/M.
    learning_exponent : float ≥ 0, default 0.5
        α, the factor of ``ln⌈n/M⌉`` in the learning probability's exponent.
    social_influence : float ≥ 0, default 0.01
        β of the social influence ε = β·n/M.
    init_range : "fan_in", float > 0 or (float, float), default "fan_in"
        Where each coordinate starts (``algorithms._start``).
    bounds : (float, float) or None, default None
        Positions are clipped to it; None: unbounded.
    """

    base_size: int = 100
    learning_exponent: float = 0.5
    social_influence: float = 0.01
    init_range: object = "fan_in"
    bounds: tuple = None

    def __post_init__(self):
        checked = dict(base_size=check_int(self.base_size, "base_size", low=1),
                       learning_exponent=check_real(self.learning_exponent,
                                                    "learning_exponent", low=0.0),
                       social_influence=check_real(self.social_influence, "social_influence",
                                                   low=0.0),
                       init_range=_start.check_init_range(self.init_range),
                       bounds=_start.check_bounds(self.bounds))
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    def start_description(self):
        """Where the particles start and may go, for messages."""
        return _start.describe(self.init_range, self.bounds)


def learning_probabilities(n_particles, n_params, base_size, alpha):
    """``P_L(r) = (1 − r/P)^(α·ln⌈n/M⌉)`` for ranks r = 0 (the worst) … P − 1."""
    exponent = alpha * math.log(math.ceil(n_params / base_size))
    return (1.0 - np.arange(n_particles) / n_particles) ** exponent


@llvm_inline
def draw(swarm, settings, slot):
    """One iteration's random numbers (module docstring's order) into ``slot``."""
    rng, learns, rnd = swarm.rng, swarm.learns[slot], swarm.rnd[slot]
    n_particles, _, n = rnd.shape
    for r in range(n_particles):
        learns[r] = next_double(rng) < settings.learning[r] and r < n_particles - 1
    for r in range(n_particles):
        if learns[r]:
            for row in range(4):
                for j in range(n):
                    rnd[r, row, j] = next_double(rng)


@llvm_inline
def move(task, swarm, settings, slot):
    """The learner of ``task`` moves (module docstring); it reads ``frozen``, the positions
    as the iteration found them, never a position another task is writing."""
    frozen, pos, vel, mean, rank = swarm.frozen, swarm.pos, swarm.vel, swarm.mean, swarm.rank
    r = swarm.movers[task]
    rnd = swarm.rnd[slot]
    i = rank[r]
    n_particles = pos.shape[0]
    better = n_particles - 1 - r
    epsilon, lo, hi = settings.epsilon, settings.lo, settings.hi
    for j in range(pos.shape[1]):
        x = frozen[i, j]
        k = rank[min(r + 1 + int(rnd[r, 3, j] * better), n_particles - 1)]
        v = (rnd[r, 0, j] * vel[i, j] + rnd[r, 1, j] * (frozen[k, j] - x)
             + epsilon * rnd[r, 2, j] * (mean[j] - x))
        vel[i, j] = v
        pos[i, j] = min(max(x + v, lo), hi)
    return i


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
    """The iteration's learners, in rank order, and a frozen copy of the positions."""
    learns, movers = swarm.learns[slot], swarm.movers
    count = 0
    for r in range(learns.shape[0]):
        if learns[r]:
            movers[count] = r
            count += 1
    pos, frozen = swarm.pos, swarm.frozen
    for i in range(pos.shape[0]):
        for j in range(pos.shape[1]):
            frozen[i, j] = pos[i, j]
    return count


@inline
def _rank_and_mean(swarm):
    """``rank``: the particles by error, worst first, ties by index (an insertion sort,
    stable; a non-finite error is +inf); ``mean``: their mean position, summed in particle
    order."""
    err, rank = swarm.err, swarm.rank
    for r in range(rank.shape[0]):
        i = r
        while i > 0 and err[rank[i - 1]] < err[r]:  # worse (larger) errors first
            rank[i] = rank[i - 1]
            i -= 1
        rank[i] = r
    mean_position(swarm.pos, swarm.mean)


@piece
def start(swarm, settings):
    _rank_and_mean(swarm)


@piece
def tell(swarm, settings, slot):
    _rank_and_mean(swarm)


def init(options, n_particles, objective, rng):
    """Positions drawn in the initial range (``_start.draw_positions``), Δx zero."""
    network = objective.network
    P, n = n_particles, network.n_params
    init_lo, init_width = _start.initial_box(options.init_range, network)
    pos = _start.draw_positions(init_lo, init_width, options.bounds, P, rng)
    state = State(pos=pos, err=np.empty(P), best=np.empty(n), best_err=np.empty(1),
                  counters=np.zeros(4, dtype=np.int64), rng=state_words(rng),
                  vel=np.zeros((P, n)), mean=np.empty(n), rank=np.zeros(P, dtype=np.int64),
                  movers=np.zeros(P, dtype=np.int64), frozen=np.empty((P, n)),
                  learns=np.zeros((2, P), dtype=np.bool_), rnd=np.empty((2, P, 4, n)))
    lo, hi = _start.kernel_bounds(options.bounds)
    settings = Settings(options.social_influence * n / options.base_size,
                        learning_probabilities(P, n, options.base_size, options.learning_exponent),
                        lo, hi)
    return state, settings


def kernels(options):
    return dict(take=take, tasks=tasks, start=start, tell=tell, draw=draw_piece)


# -- on a CUDA GPU (devices.cuda, _kernels/gpu/swarm.py) ----------------------------------

#: What each draw of an iteration is for: the ``purpose`` word of its Philox counter.
_LEARNING, _R12, _R3_DEMONSTRATOR = 0, 1, 2


@register_jitable
def gpu_rank(k, i, swarm, settings, key, aux):
    """Particle i's place in ``rank`` (worst first, ties by index: ``_rank_and_mean``'s)."""
    err = swarm.err
    place = 0
    for q in range(err.shape[0]):
        if err[q] > err[i] or (err[q] == err[i] and q < i):
            place += 1
    swarm.rank[place] = i


@register_jitable
def gpu_learning(k, r, swarm, settings, key, aux):
    """Whether the particle of rank r learns in iteration k (``learns[0]``)."""
    u, _ = uniforms(key, k, _LEARNING, r, 0)
    swarm.learns[0, r] = u < settings.learning[r] and r < swarm.pos.shape[0] - 1


@register_jitable
def gpu_finish(k, swarm, settings, aux):
    """The learners in rank order: ``movers`` (their ranks) and the evaluation list."""
    count = 0
    for r in range(swarm.pos.shape[0]):
        if swarm.learns[0, r]:
            swarm.movers[count] = r
            aux.todo[1 + count] = swarm.rank[r]
            count += 1
    aux.todo[0] = count


@register_jitable
def gpu_mean_tasks(k, swarm, aux):
    return swarm.pos.shape[1]


@register_jitable
def gpu_mean_and_freeze(k, j, swarm, settings, key, aux):
    """``mean[j]`` (summed in particle order) and ``frozen[:, j]``, before anything moves."""
    pos, frozen = swarm.pos, swarm.frozen
    total = 0.0
    for i in range(pos.shape[0]):
        total += pos[i, j]
        frozen[i, j] = pos[i, j]
    swarm.mean[j] = total / pos.shape[0]


@register_jitable
def gpu_learn_tasks(k, swarm, aux):
    return aux.todo[0] * swarm.pos.shape[1]


@register_jitable
def gpu_learn(k, task, swarm, settings, key, aux):
    """Task m·n + j: coordinate j of the m-th learner (``move``)."""
    frozen, pos, vel, rank = swarm.frozen, swarm.pos, swarm.vel, swarm.rank
    n_particles, n = pos.shape
    m = task // n
    j = task - m * n
    r = swarm.movers[m]
    i = rank[r]
    r1, r2 = uniforms(key, k, _R12, i, j)
    r3, d = uniforms(key, k, _R3_DEMONSTRATOR, i, j)
    demonstrator = rank[min(r + 1 + int(d * (n_particles - 1 - r)), n_particles - 1)]
    x = frozen[i, j]
    v = (r1 * vel[i, j] + r2 * (frozen[demonstrator, j] - x)
         + settings.epsilon * r3 * (swarm.mean[j] - x))
    vel[i, j] = v
    pos[i, j] = min(max(x + v, settings.lo), settings.hi)


@register_jitable
def gpu_tell(k, p, swarm, settings):
    return False


@register_jitable
def gpu_keep(p, j, swarm):
    pass


def gpu_kernels(options):
    return dict(moves=((gpu_mean_tasks, gpu_mean_and_freeze), (gpu_learn_tasks, gpu_learn)),
                passes=(gpu_rank, gpu_learning), finish=gpu_finish, tell=gpu_tell,
                keep=gpu_keep)


SLPSO = Algorithm(
    "slpso", "social-learning PSO (Cheng & Jin 2015): learners follow better-ranked "
    "demonstrators; its parameters set from the dimension", Options, init, kernels,
    # pos, vel, frozen and two iterations' draws (4 rows each): 11 (P, n) float64 arrays.
    state_bytes=lambda P, n: 8 * 11 * P * n,
    swarm_size=lambda n_params: 100 + n_params // 10, positions=("pos", "best", "vel", "frozen"),
    gpu=GPU(fields=("pos", "err", "best", "best_err", "counters", "vel", "mean", "rank", "movers",
                    "frozen", "learns"), kernels=gpu_kernels))
