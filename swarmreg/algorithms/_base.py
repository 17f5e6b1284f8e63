"""What every swarm algorithm module gives ``swarmreg.algorithms``."""

from dataclasses import dataclass
from typing import Callable

from .._kernels import swarm


@dataclass(frozen=True)
class Algorithm:
    """A swarm algorithm on the seam of ``_kernels.swarm``.

    Attributes
    ----------
    name, summary : str
    options : type
        Frozen dataclass of the algorithm's own options, validated on construction;
        ``train_pso`` passes it the keyword arguments that are not its own.  Its method
        ``start_description()`` says where the particles start (for messages).
    init : callable(options, n_particles, objective, rng) -> (State, Settings)
        The starting state of particles for ``objective`` (an ``error.Objective``: the
        network, the data's blocks), drawn from the ``numpy.random.Generator`` ``rng``
        (whose stream the kernels continue), and the settings its kernels read.
    kernels : callable(options) -> dict
        The ``take``, ``tasks``, ``start``, ``tell`` and ``draw`` kernels of
        ``_kernels.swarm``'s protocol, chosen for the options.
    state_bytes : callable(n_particles, n_params) -> int
        Memory the state takes at its peak (to refuse a swarm that does not fit).
    swarm_size : callable(n_params) -> int
        The number of particles ``train_pso`` uses when it is given none.
    loop : parallel kernel, default ``_kernels.swarm.iterate``
        The iteration loop the devices run (``iterate``'s signature and protocol).
    evaluations : callable(state) -> float, optional
        Full passes over the data made so far (default ``state.counters[3]``).
    positions : tuple of str
        The state's fields that hold positions or moves of them (``pos`` and ``best``, and
        e.g. velocities and personal bests): kept in the run's float type (``dtype=``).
        The other fields stay as ``init`` makes them (errors and draws in float64).
    gpu : GPU or None
        The algorithm's part on a CUDA GPU (``devices.cuda``, docs/design.md §13), or None
        where it has none.
    dtypes : tuple of str
        The float types it runs in (``devices.DTYPES``, or fewer).
    """

    name: str
    summary: str
    options: type
    init: Callable
    kernels: Callable
    state_bytes: Callable
    swarm_size: Callable
    loop: object = swarm.iterate
    evaluations: Callable = None
    positions: tuple = ("pos", "best")
    gpu: object = None
    dtypes: tuple = ("float64", "float32")


@dataclass(frozen=True)
class GPU:
    """An algorithm's part on a CUDA GPU: functions that the kernel of
    ``_kernels/gpu/swarm.py`` calls (its docstring lists them), written once as
    ``numba.extending.register_jitable`` functions, so that the CUDA target compiles them
    and Numba's simulator runs them as Python.

    Attributes
    ----------
    fields : tuple of str
        The state's fields the GPU reads or writes (the others stay on the host).
    kernels : callable(options) -> dict
        ``moves``, ``passes``, ``finish``, ``tell`` and ``keep``, chosen for the options.
    """

    fields: tuple
    kernels: Callable
