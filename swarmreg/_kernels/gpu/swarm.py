"""A swarm algorithm's iterations on a GPU, many per kernel launch (docs/design.md §13).

One launch of ``iterate`` runs up to ``n_iter`` iterations (after evaluating the start,
with ``initialize``) without returning to the host.  Its blocks stay resident for the
whole launch (the grid is no larger than the GPU holds at once) and meet at a grid-wide
barrier after each phase of an iteration k:

1. **move**: the algorithm's move phases, each a grid-stride loop over its tasks, with the
   draws of iteration k (``_kernels.philox``: counter-based, so any thread draws any
   number);
2. **evaluate** (grid-stride over units, ``evaluate``) the particles ``aux.todo`` lists
   (every particle at the start): the block that finishes a particle (an integer counter
   per particle tells which) adds its unit sums in chunk order, adds the penalty (summed by
   the particle's first unit), stores
   E (a non-finite E counts as +inf) and calls the algorithm's ``tell``, then ``keep``
   for each coordinate when ``tell`` says so; the block that finishes the last particle
   (another counter) keeps the record, lowest error first and lowest particle index on
   ties, writes the history and the stop code, and prepares iteration k + 1: the
   algorithm's ``passes`` over the particles, then its ``finish``.

An algorithm's part (``algorithms._base.GPU``) is made of ``register_jitable`` functions,
which compile for the GPU and run as Python on Numba's simulator; none uses a CUDA
intrinsic (the kernel does the barriers):

``moves``   tuple of ``(tasks, task)``: ``tasks(k, swarm, aux) -> int`` and
            ``task(k, t, swarm, settings, key, aux)`` for t < tasks; a grid barrier after each
``passes``  tuple of ``pass(k, i, swarm, settings, key, aux)``, called by one block for every
            particle i, a block barrier after each pass
``finish``  ``finish(k, swarm, settings, aux)``, thread 0 of that block after the passes:
            ``aux.todo[0]`` the number of particles iteration k evaluates, ``aux.todo[1:]``
            which
``tell``    ``tell(k, p, swarm, settings) -> bool`` once particle p's E is stored (k = 0:
            the start); True: ``keep(p, j, swarm)`` for every coordinate j

``aux`` (``Aux``) holds the kernel's per-particle lists that algorithms may use.

Visibility.  The barrier is the one of CUDA's cooperative groups (thread 0 of each block
fences, adds to one counter whose bit 31 flips when every block has arrived, and fences
again), written here so that no device runtime library needs linking.  What a block
reads within a phase that another block wrote in it (unit sums, errors, control words)
it reads after an acquiring fence, and those words and the barrier's counter with
``loads.coherent``: ``ld.global.cg``, from L2, never moved by the compiler.  Integer
atomics count; no float is ever added atomically, so a run is bit-identical from one
launch to the next.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import cuda, types

from ..stops import HIT_TARGET, RAN_OUT, STALLED
from . import evaluate
from .evaluate import FLOAT_TYPES, device
from .loads import coherent

#: Reads of the barrier's word (each from L2: tens of seconds in all) after which a block
#: gives up and sets ``status[1]`` (a grid larger than the GPU holds at once would
#: otherwise wait for ever).
SPIN_LIMIT = 1 << 26
_TOP = np.uint64(0x80000000)
_ZERO = np.uint64(0)


class Data(NamedTuple):
    """The training data on the device."""

    x: object  # (n_inputs, N) feature-major, in the run's float type
    t: object  # (n_outputs, N) targets
    mask: object  # (n_params,) float64, 1.0 where θ_j is penalized
    lam: float


class Aux(NamedTuple):
    """Per-particle lists the algorithms' GPU functions share with the kernel."""

    todo: object  # (P + 1,) int64: the count, then the particles the next evaluation takes
    keys: object  # (P,) float64 scratch
    slots: object  # (P,) int64 scratch


class Work(NamedTuple):
    """The kernel's own device arrays."""

    partial: object  # (P, n_chunks) float64 unit sums
    penalty: object  # (P,) float64 Σ mask·θ², from each particle's first unit
    pending: object  # (P,) int32 units of each particle done in this phase
    finished: object  # (1,) int32 particles finished in this phase
    barrier: object  # (1,) uint64: bit 31 flips when every block has arrived
    status: object  # (2,) int64: the stop code of the launch, 1 if a barrier timed out
    hist: object  # (at least n_iter + 1,) float64: the record after each step of the launch


@device
def grid_barrier(bar, status):
    """Wait until every block of the grid has arrived (cooperative groups' grid sync)."""
    cuda.syncthreads()
    if cuda.threadIdx.x == 0:
        if cuda.blockIdx.x == 0:
            add = np.uint64(0x80000000 - (cuda.gridDim.x - 1))
        else:
            add = np.uint64(1)
        cuda.threadfence()
        old = cuda.atomic.add(bar, 0, add)
        spins = 0
        while ((old ^ coherent(bar, 0)) & _TOP) == _ZERO:
            spins += 1
            if spins > SPIN_LIMIT:
                status[1] = 1
                break
        cuda.threadfence()
    cuda.syncthreads()


_KERNELS = {}


def iterate_kernel(layout, part):
    """The ``iterate`` kernel of an algorithm's GPU functions ``part`` (a dict: ``moves``,
    ``passes``, ``finish``, ``tell``, ``keep``; see the module docstring) on an evaluation
    ``layout`` (``evaluate.Layout``); one per process and pair."""
    key = (layout, tuple(sorted(part.items())))
    kernel = _KERNELS.get(key)
    if kernel is None:
        kernel = _KERNELS[key] = cuda.jit(_build(layout, **part))
    return kernel


def _no_phase():
    @device
    def run(k, swarm, settings, key, aux, work):
        pass
    return run


def _move_phases(moves, threads):
    """A device function running the move phases ``moves`` in order, a grid barrier after each."""
    if not moves:
        return _no_phase()
    (tasks, task), rest = moves[0], _move_phases(moves[1:], threads)

    @device
    def run(k, swarm, settings, key, aux, work):
        for t in range(cuda.blockIdx.x * threads + cuda.threadIdx.x, tasks(k, swarm, aux),
                       cuda.gridDim.x * threads):
            task(k, t, swarm, settings, key, aux)
        grid_barrier(work.barrier, work.status)
        rest(k, swarm, settings, key, aux, work)
    return run


def _passes(passes, threads):
    """A device function running ``passes`` over every particle in one block, a block barrier
    after each."""
    if not passes:
        return _no_phase()
    one, rest = passes[0], _passes(passes[1:], threads)

    @device
    def run(k, swarm, settings, key, aux, work):
        for i in range(cuda.threadIdx.x, swarm.pos.shape[0], threads):
            one(k, i, swarm, settings, key, aux)
        cuda.syncthreads()
        rest(k, swarm, settings, key, aux, work)
    return run


def _build(layout, moves, passes, finish, tell, keep):
    p_ = evaluate.pieces(layout)
    unit_losses, penalty_share, block_sums = p_.unit_losses, p_.penalty_share, p_.block_sums
    threads, ft, shared = layout.threads, FLOAT_TYPES[layout.dtype], layout.shared_theta
    n_shared = layout.n_params if shared else 1
    n_sums = 2 * threads  # two sums at once (evaluate.block_sums)
    move_phases = _move_phases(moves, threads)
    prepare_passes = _passes(passes, threads)

    @device
    def prepare(k, swarm, settings, key, aux, work):
        """Iteration k's passes and finish, in one block."""
        prepare_passes(k, swarm, settings, key, aux, work)
        if cuda.threadIdx.x == 0:
            finish(k, swarm, settings, aux)
            swarm.counters[2] = 1
        cuda.syncthreads()

    @device
    def close(k, step, n_eval, swarm, settings, key, aux, work, stop, red, idx, flags):
        """Iteration k's end, in one block: the record (lowest error, lowest index on ties),
        the counters, the history, the stop code, and iteration k + 1 prepared."""
        t = cuda.threadIdx.x
        n_particles, n = swarm.pos.shape
        best_v, best_i = math.inf, n_particles
        for q in range(t, n_particles, threads):
            v = coherent(swarm.err, q)
            if v < best_v:
                best_v, best_i = v, q
        red[t] = best_v
        idx[t] = best_i
        cuda.syncthreads()
        half = threads // 2
        while half > 0:
            if t < half and (red[t + half] < red[t] or (
                    red[t + half] == red[t] and idx[t + half] < idx[t])):
                red[t] = red[t + half]
                idx[t] = idx[t + half]
            cuda.syncthreads()
            half //= 2
        if t == 0:
            best_v, best_i = red[0], idx[0]
            if k == 0:
                new = True
                if best_i == n_particles:  # every error is inf
                    best_i = 0
            else:
                new = best_v < coherent(swarm.best_err, 0)
                swarm.counters[1] = 0 if new else swarm.counters[1] + 1
                swarm.counters[0] = k
            swarm.counters[3] += n_eval
            if new:
                swarm.best_err[0] = best_v
            record = swarm.best_err[0]
            work.hist[step + 1] = record
            if record <= stop.target:
                work.status[0] = HIT_TARGET
            elif k > 0 and stop.patience > 0 and swarm.counters[1] >= stop.patience:
                work.status[0] = STALLED
            else:
                work.status[0] = RAN_OUT
            work.finished[0] = 0
            flags[1] = 1 if new else 0
            idx[0] = best_i
        cuda.syncthreads()
        if flags[1] == 1:
            best_i = idx[0]
            for j in range(t, n, threads):
                swarm.best[j] = swarm.pos[best_i, j]
        prepare(k + 1, swarm, settings, key, aux, work)

    def iterate(swarm, settings, data, key, aux, work, stop, n_iter, initialize, prepare_first):
        """Up to ``n_iter`` iterations (module docstring); ``stop``: ``_kernels.swarm.Stop``.
        ``prepare_first``: prepare the next iteration first (a state that comes from
        elsewhere: a checkpoint)."""
        t = cuda.threadIdx.x
        th_shared = cuda.shared.array(n_shared, ft)
        red = cuda.shared.array(n_sums, types.float64)
        idx = cuda.shared.array(threads, types.int64)
        flags = cuda.shared.array(2, types.int32)
        n_particles, n = swarm.pos.shape
        n_items = data.x.shape[1]
        n_chunks = work.partial.shape[1]
        if prepare_first:
            if cuda.blockIdx.x == 0:
                prepare(swarm.counters[0] + 1, swarm, settings, key, aux, work)
            grid_barrier(work.barrier, work.status)
        step = -1 if initialize else 0
        while step < n_iter:
            k = coherent(swarm.counters, 0) + 1 if step >= 0 else 0
            if step >= 0:
                move_phases(k, swarm, settings, key, aux, work)
                n_eval = coherent(aux.todo, 0)
            else:
                n_eval = n_particles
            # Chunk-major: the blocks work on the same items at the same time, so that a
            # block's next units (other particles) find them in its L1 cache.
            if n_eval == 0 and cuda.blockIdx.x == 0:  # nothing evaluated: block 0 closes
                close(k, step, n_eval, swarm, settings, key, aux, work, stop, red, idx, flags)
            for u in range(cuda.blockIdx.x, n_eval * n_chunks, cuda.gridDim.x):
                c = u // n_eval
                e = u - c * n_eval
                p = coherent(aux.todo, e + 1) if step >= 0 else e
                if shared:
                    for j in range(t, n, threads):
                        th_shared[j] = swarm.pos[p, j]
                    cuda.syncthreads()
                    th = th_shared
                else:
                    th = swarm.pos[p]
                loss = unit_losses(th, data.x, data.t, n_items, c, t)
                share = penalty_share(th, data.mask, n, t) if c == 0 else 0.0
                total, pen = block_sums(red, t, loss, share)
                if t == 0:
                    work.partial[p, c] = total
                    if c == 0:
                        work.penalty[p] = pen
                    cuda.threadfence()
                    flags[0] = 1 if cuda.atomic.add(work.pending, p, 1) == n_chunks - 1 else 0
                cuda.syncthreads()
                if flags[0] == 1:  # this block finishes particle p
                    if t == 0:
                        cuda.threadfence()
                        d = 0.0
                        for cc in range(n_chunks):
                            d += coherent(work.partial, (p, cc))
                        d /= n_items
                        pen = coherent(work.penalty, p)
                        err = d + data.lam * pen if data.lam != 0.0 else d
                        swarm.err[p] = err if math.isfinite(err) else math.inf
                        work.pending[p] = 0
                        flags[1] = 1 if tell(k, p, swarm, settings) else 0
                    cuda.syncthreads()
                    if flags[1] == 1:
                        for j in range(t, n, threads):
                            keep(p, j, swarm)
                    if t == 0:
                        cuda.threadfence()
                        flags[0] = 1 if cuda.atomic.add(work.finished, 0, 1) == n_eval - 1 else 0
                        cuda.threadfence()
                    cuda.syncthreads()
                    if flags[0] == 1:  # the last particle: close the iteration
                        close(k, step, n_eval, swarm, settings, key, aux, work, stop, red, idx,
                              flags)
                cuda.syncthreads()
            grid_barrier(work.barrier, work.status)
            if coherent(work.status, 0) != RAN_OUT or coherent(work.status, 1) != 0:
                break
            step += 1

    return iterate
