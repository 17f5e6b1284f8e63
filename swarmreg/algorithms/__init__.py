"""The swarm algorithms ``train_pso(algorithm=...)`` runs: one module each, one entry in
``ALGORITHMS``.

An algorithm module gives an ``Algorithm``: its ``Options`` (a frozen dataclass that
validates what the user chose, read by field name), how it starts (``init``: the
state, a named tuple of arrays with the fields of ``_kernels.swarm.SHARED_FIELDS``, and
the ``Settings`` named tuple its kernels read), and its pieces (``pieces``: the five
kernels of ``_kernels.swarm``'s protocol, chosen for the options).  The trainer does
the rest: validation of the data, seeding, the shared iteration loop, chunked driving,
Ctrl-C, history, progress, callback, target and patience (docs/design.md §10 says how
to add one).
"""

from ._base import Algorithm
from .cpso import CPSO
from .cso import CSO
from .pso import PSO
from .slpso import SLPSO

__all__ = ["Algorithm", "ALGORITHMS"]

#: The swarm algorithms by name.
ALGORITHMS = {a.name: a for a in (PSO, CSO, SLPSO, CPSO)}
