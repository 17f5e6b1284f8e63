"""The error of particles on a GPU: E(θ) = D(θ) + λ·Σ mask·θ² (docs/design.md §2, §13).

Work is cut into *units*: one particle and one chunk of ``threads · ipt`` consecutive
items.  A thread block takes a unit, copies the particle's θ into shared memory (every
thread then reads each weight from there: one load serves ``ipt`` multiply-adds) and
each of its ``threads`` threads runs the network forward on its ``ipt`` items (items
``c·chunk + t + r·threads``: neighbouring threads read neighbouring items, so the
loads of X, stored feature-major, coalesce).  The network's shape is compiled into the
code (``Layout``): every loop over a layer's units has a constant trip count, so the
activations of a thread's items stay in registers.  A layer is ``f(a W + b)`` with f the
hidden activation's ``scalar`` (``activations.HIDDEN``) and the output's loss the loss's
``value`` (``losses.LOSSES``): adding an activation or a loss adds nothing here.

Sums.  A thread adds its items' losses in float64 (``dtype="float32"`` computes each
layer in float32), the block adds its threads' sums in a fixed tree, and a particle's
data error is the sum of its units' sums in chunk order, divided by N.  The penalty is
summed by the particle's first unit, in the same tree.  No float atomics: the same θ gives the same bits on
every run, whichever block takes which unit.
"""

from typing import NamedTuple

import numpy as np
from numba import config, cuda, types

from ..activations import HIDDEN
from ..losses import LOSSES

#: Whether Numba runs CUDA kernels on its simulator (``NUMBA_ENABLE_CUDASIM=1``), which
#: executes them as Python, one block after another.
SIMULATOR = bool(config.ENABLE_CUDASIM)
#: θ of at most this many bytes is copied into shared memory; a larger one is read from
#: global memory (cached by L1).
SHARED_THETA_BYTES = 40 * 1024

FLOAT_TYPES = {"float64": types.float64, "float32": types.float32}


def device(func):
    """``func`` as a CUDA device function, inlined into its callers (its small arrays then
    live in registers)."""
    if SIMULATOR:
        return cuda.jit(device=True)(func)
    return cuda.jit(device=True, forceinline=True)(func)


class Layout(NamedTuple):
    """What an evaluation kernel is compiled for."""

    sizes: tuple  # layer widths (n_inputs, ..., n_outputs)
    hidden: str
    output: str
    loss: str
    dtype: str  # "float64" or "float32"
    threads: int  # threads per block, a power of 2
    ipt: int  # items per thread and unit

    @property
    def chunk(self):
        """Items per unit."""
        return self.threads * self.ipt

    @property
    def n_params(self):
        s = self.sizes
        return sum((s[l] + 1) * s[l + 1] for l in range(len(s) - 1))

    @property
    def shared_theta(self):
        return self.n_params * np.dtype(self.dtype).itemsize <= SHARED_THETA_BYTES

    def n_chunks(self, n_items):
        return -(-n_items // self.chunk)


#: Threads per block: on a GPU, and on the simulator (where each is a Python thread).
THREADS, SIMULATOR_THREADS = 128, 8


def choose_layout(sizes, hidden, output, loss, dtype, n_items, threads=None, ipt=None):
    """The ``Layout`` for a network and ``n_items`` items: ``THREADS`` threads
    (``SIMULATOR_THREADS`` on the simulator) and 2 items per thread where there are more
    items than threads and the widest layer leaves registers for them (64 float32 or 32
    float64 activations per item), else 1."""
    if threads is None:
        threads = SIMULATOR_THREADS if SIMULATOR else THREADS
    if ipt is None:
        widest = max(sizes[1:])
        ipt = 2 if n_items > threads and widest <= (64 if dtype == "float32" else 32) else 1
    return Layout(tuple(int(s) for s in sizes), hidden, output, loss, dtype, int(threads),
                  int(ipt))


# -- a thread's items ---------------------------------------------------------------------

def _offsets(sizes):
    """``[(w, b)]``: where each layer's W and b start in θ (docs/design.md §3)."""
    out, off = [], 0
    for d_in, d_out in zip(sizes[:-1], sizes[1:]):
        out.append((off, off + d_in * d_out))
        off += (d_in + 1) * d_out
    return out


def _first_layer(d_in, d_out, w, b, ipt, ft):
    """``dst[r, :] = b + Σ_f X[f, items[r]]·W[f, :]`` (the input layer)."""
    @device
    def layer(th, X, items, dst):
        xs = cuda.local.array(ipt, ft)
        for r in range(ipt):
            for j in range(d_out):
                dst[r, j] = th[b + j]
        for f in range(d_in):
            for r in range(ipt):
                xs[r] = X[f, items[r]]
            for j in range(d_out):
                wv = th[w + f * d_out + j]
                for r in range(ipt):
                    dst[r, j] += xs[r] * wv
    return layer


def _next_layer(d_in, d_out, w, b, ipt):
    """``dst[r, :] = b + Σ_f src[r, f]·W[f, :]`` (a layer after the first)."""
    @device
    def layer(th, src, dst):
        for r in range(ipt):
            for j in range(d_out):
                dst[r, j] = th[b + j]
        for f in range(d_in):
            for j in range(d_out):
                wv = th[w + f * d_out + j]
                for r in range(ipt):
                    dst[r, j] += src[r, f] * wv
    return layer


def _activate(d, ipt, scalar):
    @device
    def activate(a):
        for r in range(ipt):
            for j in range(d):
                a[r, j] = scalar(a[r, j])
    return activate


def _losses(k, ipt, value):
    """Sum in float64 of the losses of the first ``n_valid`` items, from their logits."""
    @device
    def losses(z, T, items, n_valid):
        total = 0.0
        for r in range(ipt):
            v = value(z, r, T, items[r], k)
            if r < n_valid:
                total += v
        return total
    return losses


def _chain(layout, l):
    """The thread's work from layer ``l`` on: ``run(th, src, T, items, n_valid)`` with
    ``src`` X (``l == 0``) or the (ipt, width) activations of layer ``l − 1``."""
    sizes, ipt = layout.sizes, layout.ipt
    ft = FLOAT_TYPES[layout.dtype]
    d_in, d_out = sizes[l], sizes[l + 1]
    w, b = _offsets(sizes)[l]
    first = l == 0
    layer = _first_layer(d_in, d_out, w, b, ipt, ft) if first else _next_layer(d_in, d_out, w,
                                                                              b, ipt)
    if l == len(sizes) - 2:
        losses = _losses(d_out, ipt, LOSSES[layout.loss].pieces[layout.output].value)
        if first:
            @device
            def run(th, X, T, items, n_valid):
                z = cuda.local.array((ipt, d_out), ft)
                layer(th, X, items, z)
                return losses(z, T, items, n_valid)
        else:
            @device
            def run(th, src, T, items, n_valid):
                z = cuda.local.array((ipt, d_out), ft)
                layer(th, src, z)
                return losses(z, T, items, n_valid)
        return run
    activate = _activate(d_out, ipt, HIDDEN[layout.hidden].scalar)
    rest = _chain(layout, l + 1)
    if first:
        @device
        def run(th, X, T, items, n_valid):
            a = cuda.local.array((ipt, d_out), ft)
            layer(th, X, items, a)
            activate(a)
            return rest(th, a, T, items, n_valid)
    else:
        @device
        def run(th, src, T, items, n_valid):
            a = cuda.local.array((ipt, d_out), ft)
            layer(th, src, a)
            activate(a)
            return rest(th, a, T, items, n_valid)
    return run


class Pieces(NamedTuple):
    """The device functions of one ``Layout`` that the kernels share."""

    unit_losses: object  # (th, X, T, n_items, chunk_index, t) -> float64
    penalty_share: object  # (th, mask, n, t) -> float64: thread t's part of Σ mask·θ²
    block_sums: object  # (red, t, a, b) -> (Σ a, Σ b) over the block (every thread gets them)


def pieces(layout):
    """``Pieces`` of ``layout``: each thread's item losses and the block's sums."""
    ipt, threads, chunk = layout.ipt, layout.threads, layout.chunk
    chain = _chain(layout, 0)

    @device
    def unit_losses(th, X, T, n_items, c, t):
        items = cuda.local.array(ipt, types.int64)
        first = c * chunk + t
        n_valid = 0
        for r in range(ipt):
            i = first + r * threads
            if i < n_items:
                n_valid += 1
            items[r] = min(i, n_items - 1)
        return chain(th, X, T, items, n_valid)

    @device
    def penalty_share(th, mask, n, t):
        acc = 0.0
        for j in range(t, n, threads):
            x = np.float64(th[j])
            acc += mask[j] * x * x
        return acc

    @device
    def block_sums(red, t, a, b):
        """Two sums over the block's threads, each in one fixed tree (``red``: 2·threads)."""
        red[t] = a
        red[threads + t] = b
        cuda.syncthreads()
        step = threads // 2
        while step > 0:
            if t < step:
                red[t] += red[t + step]
                red[threads + t] += red[threads + t + step]
            cuda.syncthreads()
            step //= 2
        total_a, total_b = red[0], red[threads]
        cuda.syncthreads()
        return total_a, total_b

    return Pieces(unit_losses, penalty_share, block_sums)
