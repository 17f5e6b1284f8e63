"""The data errors (losses): one registry entry each (``LOSSES``).

A loss is computed from the logits, together with the output activation it follows,
so an entry holds, for each output activation it fits (``outputs.OUTPUTS``), two
``piece``s:

``block``  the error pass's (``error.data_error``): adds each item's loss to the
           accumulator row ``buf[−1, :nb]``, given the block's logits
           ``buf[z0 : z0 + n_out, :nb]`` (overwritten; rows −3 and −2 are scratch) and
           targets ``tblk[:n_out, :nb]``:
           ``block(buf, bits, z0, n_out, tblk, nb)``
``item``   back-propagation's, an ``llvm_inline`` function (``activations`` says why):
           returns one item's loss and writes ``∂loss/∂z_k`` to ``deltas[out0 + k]``,
           given its logits ``acts[out0 : out0 + n_out]``:
           ``item(T, item, out0, n_out, acts, deltas) -> float``; ``item_loss`` calls it
           by code (``code_of``)

and, for a CUDA kernel (``devices.cuda``), ``value``: one item's loss from its logits
``z[r, :n_out]`` (a row of a small array) and targets ``T[:n_out, i]``, with the ``math``
module's functions, for either float type: ``value(z, r, T, i, n_out) -> float``
(``register_jitable``: CPU and CUDA kernels compile it, Numba's CUDA simulator runs it as
Python).

And what the λ conventions read of it (``lambdas``): ``mean_divides_by_outputs``,
whether the libraries' mean of this loss (PyTorch's ``MSELoss()``, Keras's
``"mean_squared_error"``, ``jnp.mean``) averages over the N·K elements, so that its
gradient is ours divided by K (the squared error), or over the N items (the
cross-entropy, a sum over the classes of each item).

Per item i, ``mse`` is ``Σ_k (y_ik − t_ik)²`` (no ½, not divided by K: docs/design.md
§2) and ``cross_entropy`` is ``−Σ_k t_ik log y_ik`` for a softmax output,
``−Σ_k [t log y + (1 − t) log(1 − y)]`` for a logistic one; both are taken from the
logits so that they stay finite.
"""

import math
from dataclasses import dataclass

import numpy as np
from numba import types
from numba.extending import register_jitable

from .activations import logistic_rows
from .fastmath import any_exp, exp_scalar, float_of, libm_exp, square
from .jit import F2, F2_32, I2, I2_32, dispatch, inline, llvm_inline, piece

#: Signature of ``block``: ``(buf, bits, z0, n_out, tblk, nb)``.
BLOCK_SIG = types.void(F2, I2, types.int64, types.int64, F2, types.int64)
#: ``block``'s signature by float type (``dtype="float32"``: float32 rows and targets).
BLOCK_SIGS = {"float64": BLOCK_SIG,
              "float32": types.void(F2_32, I2_32, types.int64, types.int64, F2_32, types.int64)}


@dataclass(frozen=True)
class Pieces:
    """A loss's kernels for one output activation (module docstring)."""

    block: object
    item: object
    value: object


@dataclass(frozen=True)
class Loss:
    """A data error: its name, its kernels per output activation, and the fact the λ
    conventions read (module docstring)."""

    name: str
    formula: str
    pieces: dict  # output activation name -> Pieces
    mean_divides_by_outputs: bool


@inline
def _softplus(x):
    """``log(1 + e^x)`` without overflow."""
    return max(x, float_of(x, 0.0)) + math.log1p(libm_exp(-abs(x)))


@inline
def _row_max(buf, z0, n_out, nb):
    """Row −3 ← each item's largest logit."""
    m = buf.shape[0] - 3
    for s in range(nb):
        buf[m, s] = buf[z0, s]
    for k in range(1, n_out):
        for s in range(nb):
            buf[m, s] = max(buf[m, s], buf[z0 + k, s])


@inline
def _add_squared_errors(buf, z0, n_out, tblk, nb):
    acc = buf.shape[0] - 1
    for k in range(n_out):
        for s in range(nb):
            d = buf[z0 + k, s] - tblk[k, s]
            buf[acc, s] += square(d)


@inline
def _softmax_item(acts, deltas, out0, n_out):
    """``deltas[out0 + k] = y_k`` (the softmax of the logits); returns ``(max z, Σ e^{z − max})``."""
    m = acts[out0]
    for k in range(1, n_out):
        m = max(m, acts[out0 + k])
    s = 0.0
    for k in range(n_out):
        e = exp_scalar(acts[out0 + k] - m)
        deltas[out0 + k] = e  # y_k, unnormalized for now
        s += e
    for k in range(n_out):
        deltas[out0 + k] /= s
    return m, s


@register_jitable
def _softplus_of(x):
    """``log(1 + e^x)`` without overflow, for ``value`` functions."""
    return max(x, float_of(x, 0.0)) + math.log1p(math.exp(-abs(x)))


@register_jitable
def _max_logit(z, r, n_out):
    m = z[r, 0]
    for k in range(1, n_out):
        m = max(m, z[r, k])
    return m


# -- mse ----------------------------------------------------------------------------------

@piece
def softmax_mse(buf, bits, z0, n_out, tblk, nb):
    """Softmax outputs, squared error.  ``exp_scalar`` inside the sum's loop: one pass
    where ``exp_rows`` takes three, with the same bits (5 % faster on Iris 4-7-3)."""
    m = buf.shape[0] - 3
    ssum = buf.shape[0] - 2
    acc = buf.shape[0] - 1
    one = float_of(buf, 1.0)
    _row_max(buf, z0, n_out, nb)
    for s in range(nb):
        buf[ssum, s] = 0.0
    for k in range(n_out):
        for s in range(nb):
            e = any_exp(buf[z0 + k, s] - buf[m, s])
            buf[z0 + k, s] = e
            buf[ssum, s] += e
    for s in range(nb):
        buf[ssum, s] = one / buf[ssum, s]
    for k in range(n_out):
        for s in range(nb):
            d = buf[z0 + k, s] * buf[ssum, s] - tblk[k, s]
            buf[acc, s] += square(d)


@llvm_inline
def softmax_mse_item(T, item, out0, n_out, acts, deltas):
    """``δ_j = 2·y_j·((y_j − t_j) − Σ_k (y_k − t_k)·y_k)``."""
    _softmax_item(acts, deltas, out0, n_out)
    total = 0.0
    ry = 0.0
    for k in range(n_out):
        r = deltas[out0 + k] - T[item, k]
        total += r * r
        ry += r * deltas[out0 + k]
    for k in range(n_out):
        y = deltas[out0 + k]
        deltas[out0 + k] = 2.0 * y * ((y - T[item, k]) - ry)
    return total


@register_jitable
def softmax_mse_value(z, r, T, i, n_out):
    m = _max_logit(z, r, n_out)
    total = float_of(z, 0.0)
    for k in range(n_out):
        e = math.exp(z[r, k] - m)
        z[r, k] = e
        total += e
    scale = float_of(z, 1.0) / total
    loss = 0.0
    for k in range(n_out):
        d = z[r, k] * scale - T[k, i]
        loss += d * d
    return loss


@piece
def identity_mse(buf, bits, z0, n_out, tblk, nb):
    """Identity outputs, squared error."""
    _add_squared_errors(buf, z0, n_out, tblk, nb)


@llvm_inline
def identity_mse_item(T, item, out0, n_out, acts, deltas):
    """``δ = 2(y − t)``."""
    total = 0.0
    for k in range(n_out):
        r = acts[out0 + k] - T[item, k]
        total += r * r
        deltas[out0 + k] = 2.0 * r
    return total


@register_jitable
def identity_mse_value(z, r, T, i, n_out):
    loss = 0.0
    for k in range(n_out):
        d = z[r, k] - T[k, i]
        loss += d * d
    return loss


@piece
def logistic_mse(buf, bits, z0, n_out, tblk, nb):
    """Logistic outputs, squared error."""
    logistic_rows(buf, bits, z0, n_out, nb)
    _add_squared_errors(buf, z0, n_out, tblk, nb)


@llvm_inline
def logistic_mse_item(T, item, out0, n_out, acts, deltas):
    """``δ = 2(y − t)·y(1 − y)``."""
    total = 0.0
    for k in range(n_out):
        y = 1.0 / (1.0 + exp_scalar(-acts[out0 + k]))
        r = y - T[item, k]
        total += r * r
        deltas[out0 + k] = 2.0 * r * y * (1.0 - y)
    return total


@register_jitable
def logistic_mse_value(z, r, T, i, n_out):
    one = float_of(z, 1.0)
    loss = 0.0
    for k in range(n_out):
        d = one / (one + math.exp(-z[r, k])) - T[k, i]
        loss += d * d
    return loss


# -- cross_entropy ------------------------------------------------------------------------

@piece
def softmax_cross_entropy(buf, bits, z0, n_out, tblk, nb):
    """Softmax outputs, cross-entropy ``−Σ_k t_k (z_k − log Σ_j e^{z_j})``."""
    m = buf.shape[0] - 3
    ssum = buf.shape[0] - 2
    acc = buf.shape[0] - 1
    _row_max(buf, z0, n_out, nb)
    for k in range(n_out):  # the logits are not needed unshifted
        for s in range(nb):
            buf[z0 + k, s] -= buf[m, s]
    for s in range(nb):
        buf[ssum, s] = 0.0
    for k in range(n_out):
        for s in range(nb):
            buf[ssum, s] += libm_exp(buf[z0 + k, s])
    for s in range(nb):
        buf[ssum, s] = math.log(buf[ssum, s])  # log Σ_k exp(z_k − max)
    for k in range(n_out):
        for s in range(nb):
            buf[acc, s] -= tblk[k, s] * (buf[z0 + k, s] - buf[ssum, s])


@llvm_inline
def softmax_cross_entropy_item(T, item, out0, n_out, acts, deltas):
    """``δ_j = y_j·Σ_k t_k − t_j``."""
    m, s = _softmax_item(acts, deltas, out0, n_out)
    total = 0.0
    lse = m + math.log(s)
    t_sum = 0.0
    for k in range(n_out):
        t_sum += T[item, k]
        total -= T[item, k] * (acts[out0 + k] - lse)
    for k in range(n_out):
        deltas[out0 + k] = deltas[out0 + k] * t_sum - T[item, k]
    return total


@register_jitable
def softmax_cross_entropy_value(z, r, T, i, n_out):
    m = _max_logit(z, r, n_out)
    total = float_of(z, 0.0)
    for k in range(n_out):
        total += math.exp(z[r, k] - m)
    lse = m + math.log(total)
    loss = 0.0
    for k in range(n_out):
        loss -= T[k, i] * (z[r, k] - lse)
    return loss


@piece
def logistic_cross_entropy(buf, bits, z0, n_out, tblk, nb):
    """Logistic outputs, cross-entropy ``t·softplus(−z) + (1 − t)·softplus(z)``."""
    acc = buf.shape[0] - 1
    one = float_of(buf, 1.0)
    for k in range(n_out):
        for s in range(nb):
            z = buf[z0 + k, s]
            t = tblk[k, s]
            buf[acc, s] += t * _softplus(-z) + (one - t) * _softplus(z)


@llvm_inline
def logistic_cross_entropy_item(T, item, out0, n_out, acts, deltas):
    """``δ = y − t``."""
    total = 0.0
    for k in range(n_out):
        zk = acts[out0 + k]
        y = 1.0 / (1.0 + exp_scalar(-zk))
        total += T[item, k] * _softplus(-zk) + (1.0 - T[item, k]) * _softplus(zk)
        deltas[out0 + k] = y - T[item, k]
    return total


@register_jitable
def logistic_cross_entropy_value(z, r, T, i, n_out):
    one = float_of(z, 1.0)
    loss = 0.0
    for k in range(n_out):
        t = T[k, i]
        loss += t * _softplus_of(-z[r, k]) + (one - t) * _softplus_of(z[r, k])
    return loss


#: The data errors by name.
LOSSES = {loss.name: loss for loss in (
    Loss("mse", "Σ_k (y_k − t_k)²", {
        "softmax": Pieces(softmax_mse, softmax_mse_item, softmax_mse_value),
        "identity": Pieces(identity_mse, identity_mse_item, identity_mse_value),
        "logistic": Pieces(logistic_mse, logistic_mse_item, logistic_mse_value),
    }, mean_divides_by_outputs=True),
    Loss("cross_entropy", "−Σ_k t_k log y_k (logistic: −Σ_k [t_k log y_k + (1 − t_k) log(1 − y_k)])", {
        "softmax": Pieces(softmax_cross_entropy, softmax_cross_entropy_item,
                          softmax_cross_entropy_value),
        "logistic": Pieces(logistic_cross_entropy, logistic_cross_entropy_item,
                           logistic_cross_entropy_value),
    }, mean_divides_by_outputs=False),
)}


#: ``(loss, output)`` of every ``item`` function: a code is a position.
_PAIRS = tuple((loss.name, output) for loss in LOSSES.values() for output in loss.pieces)


def code_of(loss, output):
    """The code ``item_loss`` takes for the loss named ``loss`` after output ``output``."""
    return _PAIRS.index((loss, output))


@llvm_inline
def _unknown_item(T, item, out0, n_out, acts, deltas):
    return np.nan  # unreachable (``code_of`` gives positions): never silent


#: ``item_loss(code, T, item, out0, n_out, acts, deltas)``: the ``item`` function of code
#: ``code`` (``jit.dispatch``).
item_loss = dispatch(tuple(LOSSES[loss].pieces[output].item for loss, output in _PAIRS),
                     _unknown_item)
