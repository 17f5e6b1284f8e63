"""What every device module gives ``swarmreg.devices``."""

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Device:
    """A place where a swarm runs.

    Attributes
    ----------
    name : str
    dtypes : tuple of str
        The float types it runs a swarm in.
    check_available : callable() -> None
        Raises, saying what is missing, when the device cannot run here.
    check_memory : callable(algorithm, n_particles, n_params, objective, dtype) -> None
        Refuses, before anything is allocated, a swarm that does not fit.
    runner : callable(algorithm, options, state, settings, objective, history, stop, dtype)
        -> Runner
        Prepares a run (compiles, or loads, its kernels; moves the state to the device)
        and returns an object with ``iterate(steps, initialize=False) -> stop code``,
        ``counters`` (a host int64 array: iterations done, ...), ``best() -> (error,
        theta)`` and ``state()`` (the state as host arrays).
    """

    name: str
    dtypes: tuple
    check_available: Callable
    check_memory: Callable
    runner: Callable


def in_float_type(state, fields, dtype):
    """``state`` (a named tuple of arrays) with the arrays named in ``fields`` converted to
    the float type ``dtype`` (C-contiguous copies; the others unchanged)."""
    if dtype == "float64":
        return state
    with np.errstate(over="ignore", invalid="ignore"):  # arrays not yet filled (np.empty)
        return state._replace(**{name: np.ascontiguousarray(getattr(state, name), dtype=dtype)
                                 for name in fields})
