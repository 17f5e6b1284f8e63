"""The output activations: one registry entry each (``OUTPUTS``).

An entry holds its name, what kind of targets it fits, its initialisation factor
(``activations.Activation.init_factor``) and ``emit``, the piece that turns a block of
logits into outputs for predictions: ``emit(buf, z0, n_out, nb, out, row0)`` writes the
outputs of ``buf[z0 : z0 + n_out, :nb]`` (one column per item) into
``out[row0 : row0 + nb]`` (one row per item).  What training needs of an output, its
error and the error's derivative, belongs to each loss (``losses``), because a loss
is computed from the logits (softmax with cross-entropy never forms log y).
"""

import math
from dataclasses import dataclass

from numba import types

from .jit import F2, piece

#: Signature of ``emit``: ``(buf, z0, n_out, nb, out, row0)``.
EMIT_SIG = types.void(F2, types.int64, types.int64, types.int64, F2, types.int64)


@dataclass(frozen=True)
class Output:
    """An output activation (module docstring).

    ``classifier``: its outputs are probabilities (targets in [0, 1], class labels);
    ``min_width``: the fewest output units it takes.
    """

    name: str
    formula: str
    emit: object
    init_factor: float
    classifier: bool
    min_width: int


@piece
def softmax_emit(buf, z0, n_out, nb, out, row0):
    """``exp(z_k − max z) / Σ_j exp(z_j − max z)``."""
    for s in range(nb):
        m = buf[z0, s]
        for k in range(1, n_out):
            m = max(m, buf[z0 + k, s])
        total = 0.0
        for k in range(n_out):
            e = math.exp(buf[z0 + k, s] - m)
            out[row0 + s, k] = e
            total += e
        for k in range(n_out):
            out[row0 + s, k] /= total


@piece
def identity_emit(buf, z0, n_out, nb, out, row0):
    for s in range(nb):
        for k in range(n_out):
            out[row0 + s, k] = buf[z0 + k, s]


@piece
def logistic_emit(buf, z0, n_out, nb, out, row0):
    """``1 / (1 + exp(−z))`` per output."""
    for s in range(nb):
        for k in range(n_out):
            out[row0 + s, k] = 1.0 / (1.0 + math.exp(-buf[z0 + k, s]))


#: The output activations by name.
OUTPUTS = {o.name: o for o in (
    Output("softmax", "exp(z_k) / Σ_j exp(z_j)", softmax_emit, 6.0, True, 2),
    Output("identity", "z", identity_emit, 6.0, False, 1),
    Output("logistic", "1 / (1 + exp(−z))", logistic_emit, 2.0, True, 1),
)}
