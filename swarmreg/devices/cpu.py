"""The CPU: Numba's threads share out each iteration's evaluations (``_kernels.swarm``)."""

import numba
import numpy as np

from .._kernels import swarm
from .._kernels.jit import compile_alongside, pointer
from .._validation import check_memory
from ._base import Device, in_float_type


class Runner:
    """A swarm run on the CPU threads (see ``Device.runner``).

    The kernels are compiled (or loaded from the cache) here, before the trainer starts
    its clock.  On a cold first call a second process compiles the loss piece, the error
    pass and the algorithm's pieces meanwhile, while this one compiles the activation
    piece and the shared loop (``jit.compile_alongside``).
    """

    def __init__(self, algorithm, options, state, settings, objective, history, stop, dtype):
        state = in_float_type(state, algorithm.positions, dtype)
        self._state = state
        self._loop = algorithm.loop
        self.counters = state.counters
        self._history = history
        self._settings = settings
        self._stop = stop
        self._lam = objective.lam
        self._mask = objective.penalty_mask
        self._work = objective.scratch(numba.get_num_threads(), dtype)
        kernels = algorithm.kernels(options)
        typed = objective.unlinked_error_pass(dtype)
        signatures = swarm.step_signatures(state, settings, typed, self._mask, self._work)
        activation, *rest = objective.error_pass_jobs(dtype)
        jobs = rest + [(kernels[name], sig.args) for name, sig in signatures.items()]
        with compile_alongside(jobs):
            swarm.prepare(algorithm.loop, state, settings,
                          swarm.steps(kernels, state, settings, typed, self._mask, self._work,
                                      linked=False),
                          typed, self._lam, self._mask, self._work, history.array, stop)
            pointer(*activation)
        self._steps = swarm.steps(kernels, state, settings, typed, self._mask, self._work)
        self._data = objective.error_pass(dtype)

    def iterate(self, steps, initialize=False):
        """Run up to ``steps`` iterations (after evaluating the start, with ``initialize``);
        return the stop code."""
        # The kernel draws no random numbers beyond the history's last entry; those it did
        # not draw at the end of one call it draws at the start of the next: the same draws.
        hist = self._history.reserve(int(self.counters[0]) + steps + 1)
        return self._loop(self._state, self._settings, self._steps, self._data, self._lam,
                          self._mask, self._work, hist, self._stop, initialize, steps)

    def best(self):
        """``(E, θ)`` of the best position found (a float64 copy)."""
        return float(self._state.best_err[0]), self._state.best.astype(np.float64)

    def state(self):
        return self._state


def _check_memory(algorithm, n_particles, n_params, objective, dtype):
    n_threads = numba.get_num_threads()
    # A float32 state is smaller (its positions), but it is drawn in float64 first.
    check_memory(algorithm.state_bytes(n_particles, n_params) + 8 * n_threads * objective.scratch_size,
                 f"swarm_size={n_particles} particles of {n_params} parameters "
                 f"({objective.network!r})", "use a smaller swarm_size or network")


CPU = Device("cpu", ("float64", "float32"), check_available=lambda: None, check_memory=_check_memory,
             runner=Runner)
