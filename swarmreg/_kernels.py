"""Jitted forward pass and error kernels over flat parameter vectors.

Kernels take plain C-contiguous float64/int64 arrays and never validate: the
public functions in ``network.py``, ``error.py`` and ``pso.py`` do that first.

Data layout.  Samples are processed in blocks of ``B`` items stored feature-major,
``xb[block, feature, item]``, so that every inner loop runs over the items of a
block: contiguous, the same length for every layer, and free of per-sample
allocation, which lets LLVM vectorize it.  One particle's activations for a block
live in a small scratch buffer ``buf`` of shape ``(2·maxw + 3, B)``:
two ping-pong slabs of ``maxw`` rows (``maxw`` = widest non-input layer) followed
by three rows of per-item scratch (running max, softmax sum, loss accumulator).

Determinism.  Each particle is evaluated serially by one thread and every sum is
taken in a fixed order, so an error value does not depend on the thread count.
"""

import math

import numpy as np
from numba import njit, prange

# Activation codes shared with network.py (logistic is both a hidden and an output code).
TANH, RELU, LOGISTIC = 0, 1, 2
SOFTMAX, IDENTITY = 3, 4
# Data-error codes.
MSE, CROSS_ENTROPY = 0, 1

#: Items per block.  64 float64 items make each activation row 512 bytes, so a
#: block of a few dozen rows stays in L1 cache.
BLOCK = 64

_JIT = dict(cache=True, error_model="numpy", nogil=True)


def block_size(n_samples):
    """Items per block: ``BLOCK``, or ``n_samples`` rounded up to 8 for small data."""
    return min(BLOCK, -(-n_samples // 8) * 8)


def to_blocks(A, block=None):
    """Re-lay a matrix as feature-major blocks.

    Parameters
    ----------
    A : ndarray, shape (n_samples, n_features), float64
    block : int, optional
        Items per block (default ``block_size(n_samples)``).

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
    padded = np.zeros((n_blocks * block, d))
    padded[:n] = A
    return np.ascontiguousarray(padded.reshape(n_blocks, block, d).transpose(0, 2, 1)), block, n


def scratch(n_rows, sizes, block):
    """Scratch buffers for ``n_rows`` concurrent evaluations: ``(n_rows, 2·maxw + 3, block)``."""
    return np.empty((n_rows, 2 * int(max(sizes[1:])) + 3, block))


@njit(**_JIT)
def _affine(src, s0, d_in, theta, off, d_out, dst, t0, nb):
    """``dst[t0 + j, :nb] = b_j + Σ_i W[i, j] · src[s0 + i, :nb]`` for layer at ``off``."""
    b_off = off + d_in * d_out
    for j in range(d_out):
        row = dst[t0 + j]
        bj = theta[b_off + j]
        for s in range(nb):
            row[s] = bj
        for i in range(d_in):
            w = theta[off + i * d_out + j]
            x = src[s0 + i]
            for s in range(nb):
                row[s] += w * x[s]


@njit(**_JIT)
def _activate(buf, r0, d, code, nb):
    """Apply a hidden activation in place to rows ``r0 : r0 + d``."""
    for j in range(d):
        z = buf[r0 + j]
        if code == TANH:
            for s in range(nb):
                z[s] = math.tanh(z[s])
        elif code == RELU:
            for s in range(nb):
                z[s] = max(z[s], 0.0)
        else:
            for s in range(nb):
                z[s] = 1.0 / (1.0 + math.exp(-z[s]))


@njit(**_JIT)
def _logits(theta, sizes, hidden, xblk, buf, nb):
    """Forward one block up to the output pre-activations; return their first row in ``buf``."""
    maxw = (buf.shape[0] - 3) // 2
    n_layers = sizes.shape[0] - 1
    off = 0
    src = xblk
    s0 = 0
    for l in range(n_layers):
        d_in = sizes[l]
        d_out = sizes[l + 1]
        t0 = (l % 2) * maxw
        _affine(src, s0, d_in, theta, off, d_out, buf, t0, nb)
        if l < n_layers - 1:
            _activate(buf, t0, d_out, hidden, nb)
        src = buf
        s0 = t0
        off += (d_in + 1) * d_out
    return s0


@njit(**_JIT)
def _softplus(x):
    """``log(1 + e^x)`` without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@njit(**_JIT)
def _accumulate_loss(buf, z0, n_out, tblk, nb, output, loss):
    """Add each item's data error for one block to the accumulator row ``buf[-1]``.

    Per item i: MSE ``Σ_k (y_ik − t_ik)²``; cross-entropy ``−Σ_k t_ik log y_ik``
    (softmax) or ``−Σ_k [t log y + (1 − t) log(1 − y)]`` (logistic), computed from
    the logits so that it stays finite.
    """
    rows = buf.shape[0]
    m = buf[rows - 3]
    ssum = buf[rows - 2]
    acc = buf[rows - 1]
    if output == SOFTMAX:
        z = buf[z0]
        for s in range(nb):
            m[s] = z[s]
        for k in range(1, n_out):
            z = buf[z0 + k]
            for s in range(nb):
                m[s] = max(m[s], z[s])
        for s in range(nb):
            ssum[s] = 0.0
        if loss == MSE:
            # Overwrite the logits with exp(z − max): they are not needed afterwards.
            for k in range(n_out):
                z = buf[z0 + k]
                for s in range(nb):
                    z[s] = math.exp(z[s] - m[s])
                    ssum[s] += z[s]
            for k in range(n_out):
                z = buf[z0 + k]
                t = tblk[k]
                for s in range(nb):
                    d = z[s] / ssum[s] - t[s]
                    acc[s] += d * d
        else:
            for k in range(n_out):
                z = buf[z0 + k]
                for s in range(nb):
                    ssum[s] += math.exp(z[s] - m[s])
            for s in range(nb):
                ssum[s] = m[s] + math.log(ssum[s])  # log Σ_k exp(z_k)
            for k in range(n_out):
                z = buf[z0 + k]
                t = tblk[k]
                for s in range(nb):
                    acc[s] -= t[s] * (z[s] - ssum[s])
    elif output == IDENTITY:
        for k in range(n_out):
            z = buf[z0 + k]
            t = tblk[k]
            for s in range(nb):
                d = z[s] - t[s]
                acc[s] += d * d
    else:  # LOGISTIC
        for k in range(n_out):
            z = buf[z0 + k]
            t = tblk[k]
            if loss == MSE:
                for s in range(nb):
                    d = 1.0 / (1.0 + math.exp(-z[s])) - t[s]
                    acc[s] += d * d
            else:
                for s in range(nb):
                    acc[s] += t[s] * _softplus(-z[s]) + (1.0 - t[s]) * _softplus(z[s])


@njit(**_JIT)
def data_error(theta, xb, tb, n_samples, sizes, hidden, output, loss, buf):
    """Mean over items of the per-item data error (see ``_accumulate_loss``)."""
    block = xb.shape[2]
    acc = buf[buf.shape[0] - 1]
    for s in range(block):
        acc[s] = 0.0
    n_out = sizes[sizes.shape[0] - 1]
    for blk in range(xb.shape[0]):
        nb = min(block, n_samples - blk * block)
        z0 = _logits(theta, sizes, hidden, xb[blk], buf, nb)
        _accumulate_loss(buf, z0, n_out, tb[blk], nb, output, loss)
    total = 0.0
    for s in range(block):
        total += acc[s]
    return total / n_samples


@njit(**_JIT)
def penalty(theta, penalty_mask):
    """``P(θ) = Σ_j mask_j · θ_j²`` (mask is 1.0 on penalized entries, 0.0 elsewhere)."""
    total = 0.0
    for j in range(theta.shape[0]):
        total += penalty_mask[j] * theta[j] * theta[j]
    return total


@njit(parallel=True, **_JIT)
def swarm_error(thetas, xb, tb, n_samples, sizes, hidden, output, loss, penalty_mask, work,
                data_out, penalty_out):
    """Data error and penalty ``P(θ)`` of every row of ``thetas`` (one thread per row)."""
    for p in prange(thetas.shape[0]):
        data_out[p] = data_error(thetas[p], xb, tb, n_samples, sizes, hidden, output, loss, work[p])
        penalty_out[p] = penalty(thetas[p], penalty_mask)


@njit(parallel=True, **_JIT)
def forward(theta, xb, n_samples, sizes, hidden, output, out):
    """Network outputs into ``out`` of shape (n_samples, n_outputs), blocks in parallel."""
    block = xb.shape[2]
    n_out = sizes[sizes.shape[0] - 1]
    rows = 2 * np.max(sizes[1:]) + 3
    for blk in prange(xb.shape[0]):
        buf = np.empty((rows, block))
        nb = min(block, n_samples - blk * block)
        z0 = _logits(theta, sizes, hidden, xb[blk], buf, nb)
        if output == SOFTMAX:
            for s in range(nb):
                m = buf[z0, s]
                for k in range(1, n_out):
                    m = max(m, buf[z0 + k, s])
                total = 0.0
                for k in range(n_out):
                    e = math.exp(buf[z0 + k, s] - m)
                    out[blk * block + s, k] = e
                    total += e
                for k in range(n_out):
                    out[blk * block + s, k] /= total
        elif output == IDENTITY:
            for s in range(nb):
                for k in range(n_out):
                    out[blk * block + s, k] = buf[z0 + k, s]
        else:
            for s in range(nb):
                for k in range(n_out):
                    out[blk * block + s, k] = 1.0 / (1.0 + math.exp(-buf[z0 + k, s]))
