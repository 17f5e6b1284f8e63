"""Jitted forward pass and error kernels over flat parameter vectors.

Kernels take plain C-contiguous float64/int64 arrays and never validate: the
public functions in ``network.py``, ``error.py`` and ``pso.py`` do that first.

Data layout.  Samples are processed in blocks of ``B`` items stored feature-major,
``xb[block, feature, item]``, so that every inner loop runs over the items of a
block: contiguous, the same length for every layer, and free of per-sample
allocation, which lets LLVM vectorize it.  One particle's activations for a block
live in a small scratch buffer ``buf`` of shape ``(2·maxw + 3, B)``: two ping-pong
slabs of ``maxw`` rows (``maxw`` = widest non-input layer, rounded up to a multiple of
4) followed by three rows of per-item scratch (running max and softmax sum, which double as
the scratch of ``fastmath`` while activations are computed, and the loss
accumulator).  tanh and exp come from ``fastmath``, whose loops vectorize; libm's
would cost one call per element.

Pieces.  The error pass ``data_error`` is generic: it receives the hidden layers'
activation and the output's loss as ``Pointer``s to small kernels, the ``layer`` piece
of an ``activations.HIDDEN`` entry and the ``block`` piece of a ``losses.LOSSES`` entry,
and the trainers receive ``data_error`` itself as one (``ErrorPass``).
Each piece is then compiled once, only when a network uses it, and none is compiled
again inside each kernel that calls it (``jit``'s docstring says why that matters).

Determinism.  Each particle is evaluated serially by one thread and every sum is
taken in a fixed order, so an error value does not depend on the thread count.

float32 (``dtype="float32"``).  The same pieces compiled for float32 blocks, rows and
θ (``*_SIGS["float32"]``) run every layer and loss in float32 arithmetic;
``data_error32`` then adds each block's per-item losses into float64 sums, so that the
mean over the items loses nothing to float32 rounding (docs/design.md §13).  Its scratch
buffer is ``(2, rows, block)`` float32: the first slab is the float64 pass's buffer, the
second holds the float64 sums.
"""

from typing import NamedTuple

import numpy as np
from numba import get_thread_id, prange, types

from . import activations, losses, outputs
from .jit import (F1, F1_32, F2, F3, F3_32, I1, Pointer, inline, kernel, parallel_kernel, pointer,
                  python_piece, unlinked)

#: Items per block.  128 float64 items make each activation row 1 KiB, so the
#: scratch of a network up to ~14 units wide stays in L1 cache; measured on Iris
#: 4-7-3 (120 items, one block), 128 was ~5% faster than 64 and than 256.
BLOCK = 128



def block_size(n_samples):
    """Items per block: ``BLOCK``, or ``n_samples`` rounded up to 8 for small data."""
    return min(BLOCK, -(-n_samples // 8) * 8)


def to_blocks(A, block=None, dtype=np.float64):
    """Re-lay a matrix as feature-major blocks.

    Parameters
    ----------
    A : ndarray, shape (n_samples, n_features), float64
    block : int, optional
        Items per block (default ``block_size(n_samples)``).
    dtype : float type of the blocks

    Returns
    -------
    blocks : ndarray, shape (n_blocks, n_features, block)
        ``blocks[b, f, i] = A[b·block + i, f]``; the tail of the last block is zero
        and never read by the kernels.
    block : int
    n_samples : int
    """
    n, d = A.shape
    if block is None:
        block = block_size(n)
    n_blocks = -(-n // block)
    padded = np.zeros((n_blocks * block, d), dtype=dtype)
    padded[:n] = A
    return np.ascontiguousarray(padded.reshape(n_blocks, block, d).transpose(0, 2, 1)), block, n


def scratch_rows(sizes):
    """Rows of one scratch buffer: ``2·maxw + 3``, ``maxw`` the widest non-input layer
    rounded up to a multiple of 4 (``_affine`` writes whole blocks of four rows)."""
    return 2 * (-(-int(max(sizes[1:])) // 4) * 4) + 3


def scratch(n_buffers, sizes, block, dtype="float64"):
    """Scratch for ``n_buffers`` concurrent evaluations: ``(n_buffers, scratch_rows(sizes),
    block)``, or for float32 ``(n_buffers, 2, scratch_rows(sizes), block)`` (``data_error32``)."""
    if dtype == "float32":
        return np.empty((n_buffers, 2, scratch_rows(sizes), block), dtype=np.float32)
    return np.empty((n_buffers, scratch_rows(sizes), block))


@inline
def _affine(src, s0, d_in, theta, off, d_out, dst, t0, nb):
    """``dst[t0 + j, :nb] = b_j + Σ_i W[i, j] · src[s0 + i, :nb]`` for the layer at ``off``.

    Each output's sum is taken in one fixed grouping: the bias, then
    ``(W[i,j]·x_i + W[i+1,j]·x_{i+1}) + (W[i+2,j]·x_{i+2} + W[i+3,j]·x_{i+3})`` for
    each four inputs, then the inputs left over one at a time.  Outputs go four at a
    time: one pass over the items then reads four input rows and updates four output
    rows, 16 multiply-adds per 4 loads and 4 load-stores, where one output at a time
    does 4 per 4 loads and 1 load-store (measured on the 64 → 32 layer of digits,
    one thread: 18 → 26–30 GFLOP/s).  A layer whose width is not a multiple of 4 ends
    with a block that repeats its last output into rows that nothing reads
    (``scratch`` leaves room for them), and the bias goes in with the first four
    inputs, so an output row is written once per four inputs and once per input left
    over; Iris 4-7-3 was 4–7 % faster than with its last outputs one at a time and the
    bias in a pass of its own, and the same on digits.  Plain 2-D indexing rather than
    row views: a view costs a reference-count update.
    """
    b_off = off + d_in * d_out
    last = d_out - 1
    for j in range(0, d_out, 4):
        c0, c1, c2, c3 = j, min(j + 1, last), min(j + 2, last), min(j + 3, last)
        r = t0 + j
        i = 0
        if d_in >= 4:  # the bias and the first four inputs in one pass
            ba, bb, bg, be = (theta[b_off + c0], theta[b_off + c1], theta[b_off + c2],
                              theta[b_off + c3])
            p0 = off
            p1 = p0 + d_out
            p2 = p1 + d_out
            p3 = p2 + d_out
            a0, a1, a2, a3 = theta[p0 + c0], theta[p1 + c0], theta[p2 + c0], theta[p3 + c0]
            b0, b1, b2, b3 = theta[p0 + c1], theta[p1 + c1], theta[p2 + c1], theta[p3 + c1]
            g0, g1, g2, g3 = theta[p0 + c2], theta[p1 + c2], theta[p2 + c2], theta[p3 + c2]
            e0, e1, e2, e3 = theta[p0 + c3], theta[p1 + c3], theta[p2 + c3], theta[p3 + c3]
            for s in range(nb):
                x0, x1, x2, x3 = src[s0, s], src[s0 + 1, s], src[s0 + 2, s], src[s0 + 3, s]
                dst[r, s] = ba + ((a0 * x0 + a1 * x1) + (a2 * x2 + a3 * x3))
                dst[r + 1, s] = bb + ((b0 * x0 + b1 * x1) + (b2 * x2 + b3 * x3))
                dst[r + 2, s] = bg + ((g0 * x0 + g1 * x1) + (g2 * x2 + g3 * x3))
                dst[r + 3, s] = be + ((e0 * x0 + e1 * x1) + (e2 * x2 + e3 * x3))
            i = 4
        else:
            for q in range(4):
                bq = theta[b_off + min(j + q, last)]
                for s in range(nb):
                    dst[r + q, s] = bq
        while i + 4 <= d_in:
            p0 = off + i * d_out
            p1 = p0 + d_out
            p2 = p1 + d_out
            p3 = p2 + d_out
            a0, a1, a2, a3 = theta[p0 + c0], theta[p1 + c0], theta[p2 + c0], theta[p3 + c0]
            b0, b1, b2, b3 = theta[p0 + c1], theta[p1 + c1], theta[p2 + c1], theta[p3 + c1]
            g0, g1, g2, g3 = theta[p0 + c2], theta[p1 + c2], theta[p2 + c2], theta[p3 + c2]
            e0, e1, e2, e3 = theta[p0 + c3], theta[p1 + c3], theta[p2 + c3], theta[p3 + c3]
            rs = s0 + i
            for s in range(nb):
                x0, x1, x2, x3 = src[rs, s], src[rs + 1, s], src[rs + 2, s], src[rs + 3, s]
                dst[r, s] += (a0 * x0 + a1 * x1) + (a2 * x2 + a3 * x3)
                dst[r + 1, s] += (b0 * x0 + b1 * x1) + (b2 * x2 + b3 * x3)
                dst[r + 2, s] += (g0 * x0 + g1 * x1) + (g2 * x2 + g3 * x3)
                dst[r + 3, s] += (e0 * x0 + e1 * x1) + (e2 * x2 + e3 * x3)
            i += 4
        while i < d_in:
            p = off + i * d_out
            a, b, g, e = theta[p + c0], theta[p + c1], theta[p + c2], theta[p + c3]
            rs = s0 + i
            for s in range(nb):
                x = src[rs, s]
                dst[r, s] += a * x
                dst[r + 1, s] += b * x
                dst[r + 2, s] += g * x
                dst[r + 3, s] += e * x
            i += 1


# -- the error pass -----------------------------------------------------------------------

@inline
def logits(theta, sizes, activate, xblk, buf, bits, nb):
    """Forward one block up to the output pre-activations; return their first row in ``buf``."""
    maxw = (buf.shape[0] - 3) // 2
    n_layers = sizes.shape[0] - 1
    # Not the literal 0: a literal argument would compile a second copy of _affine.
    off = np.int64(0)
    s0 = np.int64(0)
    for l in range(n_layers):
        d_in = sizes[l]
        d_out = sizes[l + 1]
        t0 = (l % 2) * maxw
        src = xblk if l == 0 else buf  # one call site: one compiled copy of _affine
        _affine(src, s0, d_in, theta, off, d_out, buf, t0, nb)
        if l < n_layers - 1:
            activate(buf, bits, t0, d_out, nb)
        s0 = t0
        off += (d_in + 1) * d_out
    return s0


#: Signature of ``data_error``.
DATA_ERROR_SIG = types.float64(F1, F3, F3, types.int64, I1,
                               types.FunctionType(activations.LAYER_SIG),
                               types.FunctionType(losses.BLOCK_SIG), F2)


@python_piece
def data_error(theta, xb, tb, n_samples, sizes, activate, accumulate, buf):
    """Mean over items of the per-item data error.

    ``activate`` and ``accumulate`` are ``Pointer``s to an activation's ``layer`` piece
    and a loss's ``block`` piece; ``buf`` is one scratch buffer (``scratch``).
    """
    block = xb.shape[2]
    acc = buf.shape[0] - 1
    bits = buf.view(np.int64)
    for s in range(block):
        buf[acc, s] = 0.0
    n_out = sizes[sizes.shape[0] - 1]
    for blk in range(xb.shape[0]):
        nb = min(block, n_samples - blk * block)
        z0 = logits(theta, sizes, activate, xb[blk], buf, bits, nb)
        accumulate(buf, bits, z0, n_out, tb[blk], nb)
    total = 0.0
    for s in range(block):
        total += buf[acc, s]
    return total / n_samples


#: Signature of ``data_error32``: float32 θ, blocks and scratch (``scratch``).
DATA_ERROR32_SIG = types.float64(F1_32, F3_32, F3_32, types.int64, I1,
                                 types.FunctionType(activations.LAYER_SIGS["float32"]),
                                 types.FunctionType(losses.BLOCK_SIGS["float32"]), F3_32)


@python_piece
def data_error32(theta, xb, tb, n_samples, sizes, activate, accumulate, buf):
    """``data_error`` in float32 arithmetic, the mean taken over float64 sums.

    ``buf`` is ``(2, rows, block)`` float32: ``buf[0]`` is the pass's buffer; ``buf[1]``,
    viewed as float64, holds one sum per item slot.  Each block's losses start from 0 in
    float32 (a handful of outputs per item), then go into the float64 sums.
    """
    work = buf[0]
    block = xb.shape[2]
    acc = work.shape[0] - 1
    bits = work.view(np.int32)
    sums = buf[1].reshape(buf.shape[1] * buf.shape[2]).view(np.float64)
    for s in range(block):
        sums[s] = 0.0
    n_out = sizes[sizes.shape[0] - 1]
    for blk in range(xb.shape[0]):
        nb = min(block, n_samples - blk * block)
        for s in range(nb):
            work[acc, s] = 0.0
        z0 = logits(theta, sizes, activate, xb[blk], work, bits, nb)
        accumulate(work, bits, z0, n_out, tb[blk], nb)
        for s in range(nb):
            sums[s] += work[acc, s]
    total = 0.0
    for s in range(block):
        total += sums[s]
    return total / n_samples


#: The error pass of each float type: its kernel and signature.
DATA_ERRORS = {"float64": (data_error, DATA_ERROR_SIG), "float32": (data_error32, DATA_ERROR32_SIG)}


class ErrorPass(NamedTuple):
    """The data error of one network on one data set, as the kernels receive it.

    ``ErrorPass.build`` fills it; ``evaluate(data, theta, buf)`` computes it in a kernel,
    ``value`` from Python.
    """

    xb: np.ndarray  # (n_blocks, n_inputs, block) feature-major blocks of X
    tb: np.ndarray  # (n_blocks, n_outputs, block) blocks of the targets
    n_samples: int
    sizes: np.ndarray  # (n_layers + 1,) int64 layer widths
    activate: Pointer  # the hidden activation piece
    accumulate: Pointer  # the loss piece
    error: Pointer  # data_error

    @staticmethod
    def jobs(hidden, output, loss, dtype="float64"):
        """``(kernel, signature)`` of the three compiled functions an error pass calls: the
        ``layer`` piece of the hidden activation named ``hidden``, the ``block`` piece of
        the loss named ``loss`` for the output activation named ``output``, and
        ``data_error`` (``data_error32`` for ``dtype="float32"``), in that order."""
        return [(activations.HIDDEN[hidden].layer, activations.LAYER_SIGS[dtype]),
                (losses.LOSSES[loss].pieces[output].block, losses.BLOCK_SIGS[dtype]),
                DATA_ERRORS[dtype]]

    @classmethod
    def build(cls, xb, tb, n_samples, sizes, hidden, output, loss, dtype="float64"):
        """The pieces for these activation and loss names, compiled or loaded on first use
        (``xb`` and ``tb`` in the float type ``dtype``)."""
        return cls(xb, tb, n_samples, sizes,
                   *(pointer(k, sig) for k, sig in cls.jobs(hidden, output, loss, dtype)))

    @classmethod
    def unlinked(cls, xb, tb, n_samples, sizes, dtype="float64"):
        """An ``ErrorPass`` of the same Numba type whose pointers are ``jit.unlinked``: to
        compile a kernel that takes one before its pieces are compiled; never to run."""
        return cls(xb, tb, n_samples, sizes, unlinked(activations.LAYER_SIGS[dtype]),
                   unlinked(losses.BLOCK_SIGS[dtype]), unlinked(DATA_ERRORS[dtype][1]))

    def value(self, theta, buf):
        """``data_error`` of θ, called from Python (``buf``: one buffer of ``scratch``, θ
        in the float type of the blocks)."""
        error = data_error32 if self.xb.dtype == np.float32 else data_error
        return error(theta, self.xb, self.tb, self.n_samples, self.sizes, self.activate,
                     self.accumulate, buf)


@inline
def evaluate(data, theta, buf):
    """``data_error`` of θ on ``data`` (an ``ErrorPass``), through its pointer."""
    return data.error(theta, data.xb, data.tb, data.n_samples, data.sizes, data.activate,
                      data.accumulate, buf)


@kernel
def penalty(theta, penalty_mask):
    """``P(θ) = Σ_j mask_j · θ_j²`` (mask is 1.0 on penalized entries, 0.0 elsewhere)."""
    total = 0.0
    for j in range(theta.shape[0]):
        total += penalty_mask[j] * theta[j] * theta[j]
    return total


@parallel_kernel
def swarm_error(thetas, data, penalty_mask, work, data_out, penalty_out):
    """Data error and penalty ``P(θ)`` of every row of ``thetas``, rows in parallel.

    ``work`` holds one scratch buffer per Numba thread (see ``pso.pso_iterate``).
    """
    for p in prange(thetas.shape[0]):
        data_out[p] = evaluate(data, thetas[p], work[get_thread_id()])
        penalty_out[p] = penalty(thetas[p], penalty_mask)


@kernel
def forward(theta, xb, n_samples, sizes, activate, emit, buf, out):
    """Network outputs into ``out`` of shape (n_samples, n_outputs), block by block, with
    one scratch buffer ``buf`` (``scratch``); ``activate`` and ``emit`` are ``Pointer``s
    to the hidden activation's ``layer`` piece and the output activation's ``emit``.

    Serial: as a parallel kernel it took 6 s to compile (Numba types and compiles a
    ``prange`` body again inside its gufunc), and a prediction is a single forward pass
    (Iris: microseconds; a million items of a 4-7-3 network: tens of milliseconds).
    """
    block = xb.shape[2]
    n_out = sizes[sizes.shape[0] - 1]
    bits = buf.view(np.int64)
    for blk in range(xb.shape[0]):
        nb = min(block, n_samples - blk * block)
        z0 = logits(theta, sizes, activate, xb[blk], buf, bits, nb)
        emit(buf, z0, n_out, nb, out, blk * block)


def forward_pointers(hidden, output):
    """``(activate, emit)`` for ``forward``: the pieces of these activation names."""
    return (pointer(activations.HIDDEN[hidden].layer, activations.LAYER_SIG),
            pointer(outputs.OUTPUTS[output].emit, outputs.EMIT_SIG))
