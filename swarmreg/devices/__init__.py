"""Where a swarm runs, and in which float type: one module per device, one entry in
``DEVICES``.

``select(device, dtype)`` is the one place that turns the user's ``device=`` and
``dtype=`` into a ``Device``: the trainer asks it for a ``Runner`` of the chosen
algorithm, which owns the state's memory on that device, compiles what the run needs,
runs iterations in place (``iterate``) and reads back only what the trainer reports
(``best``, the counters).  ``dtype="float32"`` keeps the positions in float32 and
computes the error in float32 arithmetic with float64 sums (docs/design.md §13).
Back-prop, L-BFGS and the λ translator always run on the CPU in float64.
"""

from ._base import Device
from .cpu import CPU
from .cuda import CUDA

__all__ = ["Device", "DEVICES", "DTYPES", "select"]

#: The devices by name.
DEVICES = {d.name: d for d in (CPU, CUDA)}
#: The float types a swarm can run in, by name.
DTYPES = ("float64", "float32")


def select(device, dtype):
    """The ``Device`` named ``device`` for float type ``dtype``; ValueError for a name that
    is unknown, ImportError or RuntimeError naming what is missing when it cannot run here."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {list(DEVICES)}, got {device!r}")
    chosen = DEVICES[device]
    if dtype not in chosen.dtypes:
        raise ValueError(f"dtype must be one of {list(chosen.dtypes)} on device {device!r}, "
                         f"got {dtype!r}")
    chosen.check_available()
    return chosen
