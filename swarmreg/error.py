"""The L2-regularized error ``E(θ) = data error + λ·Σ w²`` (docs/design.md §2).

``Objective`` binds a network to validated training data once; the trainers and
``regularized_error`` evaluate it on one θ or on a stack of them.
"""

from dataclasses import dataclass, replace

import numba
import numpy as np

from ._kernels import error as error_kernels
from ._kernels import gradient as gradient_kernels
from ._kernels.losses import LOSSES  # the data errors by name: the registry, public here
from ._validation import (as_float_matrix, check_bool, check_lam, check_loss, check_theta,
                          encode_targets)
from .network import Network

__all__ = ["regularized_error", "gradient", "Objective", "LOSSES"]



@dataclass(frozen=True, eq=False)
class Objective:
    """A network bound to training data: evaluates ``E(θ) = D(θ) + λ·P(θ)``.

    ``D`` is the data error (MSE or mean cross-entropy, see ``regularized_error``),
    ``P(θ) = Σ_{j penalized} θ_j²`` with the weights penalized and the biases only
    if ``include_biases``.  Build it with ``Objective.build``, which validates.
    """

    network: object
    lam: float
    loss: str
    include_biases: bool
    n_samples: int
    X: np.ndarray  # (N, n_inputs) C-contiguous
    T: np.ndarray  # (N, n_outputs) targets (one-hot for class labels)
    xb: np.ndarray  # (n_blocks, n_inputs, block) feature-major blocks of X
    tb: np.ndarray  # (n_blocks, n_outputs, block) feature-major blocks of the targets
    penalty_mask: np.ndarray  # (n_params,) 1.0 where θ_j is penalized

    @classmethod
    def build(cls, network, X, y, lam, *, loss="mse", include_biases=False):
        """Validate ``X``, ``y``, ``lam`` and ``loss`` and lay the data out for the kernels."""
        if not isinstance(network, Network):
            raise TypeError(f"network must be a swarmreg.Network, got {type(network).__name__}")
        lam = check_lam(lam)
        check_loss(network, loss)
        include_biases = check_bool(include_biases, "include_biases")
        X = as_float_matrix(X, "X", n_cols=network.n_inputs)
        T = encode_targets(network, y, X.shape[0])
        xb, block, n = error_kernels.to_blocks(X)
        tb, _, _ = error_kernels.to_blocks(T, block)
        mask = np.ones(network.n_params) if include_biases else network.weight_mask.astype(np.float64)
        return cls(network, lam, loss, include_biases, n, X, T, xb, tb, mask)

    def with_loss(self, loss):
        return replace(self, loss=loss)

    def with_lam(self, lam):
        return replace(self, lam=float(lam))

    @property
    def block(self):
        return self.xb.shape[2]

    def blocks(self, dtype="float64"):
        """``(xb, tb)`` in the float type ``dtype`` (a float32 copy for ``"float32"``)."""
        if dtype == "float64":
            return self.xb, self.tb
        return self.xb.astype(dtype), self.tb.astype(dtype)

    def error_pass(self, dtype="float64"):
        """The data error as the kernels take it (``_kernels.error.ErrorPass``), in float
        type ``dtype``; its pieces are compiled, or loaded from the cache, on the first call."""
        net = self.network
        return error_kernels.ErrorPass.build(*self.blocks(dtype), self.n_samples,
                                             net._kernel_sizes, net.hidden, net.output, self.loss,
                                             dtype)

    def error_pass_jobs(self, dtype="float64"):
        """``(kernel, signature)`` of what ``error_pass`` compiles (for ``compile_alongside``)."""
        return error_kernels.ErrorPass.jobs(self.network.hidden, self.network.output, self.loss,
                                            dtype)

    def unlinked_error_pass(self, dtype="float64"):
        """``error_pass``'s Numba type without compiling its pieces (to compile the kernels
        that take it meanwhile); never to run."""
        xb, tb = (self.xb, self.tb) if dtype == "float64" else (
            np.empty((0, 0, 0), dtype), np.empty((0, 0, 0), dtype))
        return error_kernels.ErrorPass.unlinked(xb, tb, self.n_samples,
                                                self.network._kernel_sizes, dtype)

    def scratch(self, n_buffers, dtype="float64"):
        """``n_buffers`` scratch buffers for the error kernel (one per thread that may use
        one), for float type ``dtype``."""
        return error_kernels.scratch(n_buffers, self.network._kernel_sizes, self.block, dtype)

    @property
    def scratch_size(self):
        """float64 entries of one of ``scratch``'s buffers."""
        return error_kernels.scratch_rows(self.network.layers) * self.block

    def gradient_pass(self):
        """The data error's gradient as the kernels take it (``_kernels.gradient.Gradient``,
        with fresh scratch)."""
        net = self.network
        return gradient_kernels.Gradient.build(self.X, self.T, net._kernel_sizes, net.hidden,
                                               net.output, self.loss)

    def value_and_gradient(self, theta):
        """``(E(θ), ∇E(θ))`` for a validated θ of shape (n_params,), by back-propagation.

        ``∇E = (1/N) Σ_i ∂loss_i/∂θ + 2λ·mask⊙θ``.  The value is summed item by item,
        so it may differ from ``terms`` in the last bits.
        """
        gradient = self.gradient_pass()
        data = gradient_kernels.batch_gradient(theta, gradient, np.arange(self.n_samples), 0,
                                               self.n_samples)
        grad = gradient.grad
        if self.lam == 0.0:
            return data, grad
        masked = self.penalty_mask * theta
        grad += 2.0 * self.lam * masked
        return data + self.lam * float(masked @ theta), grad

    def penalty_term(self, pen):
        """``λ·P``, and exactly 0 when λ = 0 (even where P overflowed to inf)."""
        return self.lam * pen if self.lam != 0.0 else np.zeros_like(pen)

    def terms(self, thetas, dtype="float64"):
        """Data error ``D`` and penalty sum ``P`` of each row of a validated (P, n_params) stack.

        With ``dtype="float32"`` the rows are rounded to float32 and the data error is
        computed in float32 arithmetic with float64 sums, as a float32 swarm computes it
        (``_kernels.error.data_error32``); the penalty is summed in float64.
        """
        thetas = np.ascontiguousarray(thetas, dtype=dtype)
        if thetas.shape[0] == 1:  # the serial kernels: cheaper to load than the parallel one
            theta = thetas[0]
            data = self.error_pass(dtype).value(theta, self.scratch(1, dtype)[0])
            return np.array([data]), np.array([error_kernels.penalty(theta, self.penalty_mask)])
        data = np.empty(thetas.shape[0])
        pen = np.empty(thetas.shape[0])
        error_kernels.swarm_error(thetas, self.error_pass(dtype), self.penalty_mask,
                                  self.scratch(numba.config.NUMBA_NUM_THREADS, dtype), data, pen)
        return data, pen


def regularized_error(network, theta, X, y, lam, include_biases=False, *, loss="mse",
                      return_terms=False):
    """L2-regularized error of a network on data.

    ``E(θ) = D(θ) + λ · Σ_{j ∈ weights} θ_j²`` with the data error ``D`` either

    * ``loss="mse"``: ``(1/N) Σ_i Σ_k (y_ik − t_ik)²`` — mean over items of the
      squared error summed over outputs (no ½, not divided by K; docs/design.md §2), or
    * ``loss="cross_entropy"``: ``−(1/N) Σ_i Σ_k t_ik log y_ik`` for a softmax output,
      ``−(1/N) Σ_i Σ_k [t_ik log y_ik + (1 − t_ik) log(1 − y_ik)]`` for a logistic one.

    Parameters
    ----------
    network : Network
    theta : array_like, shape (n_params,) or (n_particles, n_params)
        One parameter vector, or a stack with one particle per row.
    X : array_like, shape (N, n_inputs)
    y : array_like
        Integer labels of shape (N,) for a classifier (one-hot internally), or
        float targets of shape (N,) or (N, K).
    lam : float
        λ_E ≥ 0, the project's canonical λ (what PSO minimizes with).
    include_biases : bool
        Penalize the biases too (for experiments that show why not to).
    loss : {"mse", "cross_entropy"}
    return_terms : bool
        Also return ``(D, λ·P)`` separately.

    Returns
    -------
    float or ndarray of shape (n_particles,)
        ``E``; with ``return_terms``, the tuple ``(E, D, λ·P)``.
    """
    obj = Objective.build(network, X, y, lam, loss=loss, include_biases=include_biases)
    return_terms = check_bool(return_terms, "return_terms")
    theta = check_theta(network, theta)
    stack = np.atleast_2d(theta)
    data, pen = obj.terms(stack)
    reg = obj.penalty_term(pen)
    err = data + reg
    if theta.ndim == 1:
        err, data, reg = float(err[0]), float(data[0]), float(reg[0])
    return (err, data, reg) if return_terms else err


def gradient(network, theta, X, y, lam=0.0, include_biases=False, *, loss="mse", return_value=False):
    """Analytic gradient of the regularized error, by back-propagation.

    ``∇E(θ) = (1/N) Σ_i ∂D_i/∂θ + 2λ · mask ⊙ θ`` where ``D_i`` is item i's data error
    (see ``regularized_error``) and ``mask`` is 1 on weights (and on biases with
    ``include_biases``).  With ``lam=0`` this is the gradient of the data error alone.

    Parameters
    ----------
    network, theta, X, y, lam, include_biases, loss
        As for ``regularized_error``; ``theta`` has shape (n_params,).
    return_value : bool
        Also return ``E(θ)`` (computed item by item in the same pass).

    Returns
    -------
    ndarray, shape (n_params,)
        ``∇E``; with ``return_value``, the tuple ``(E, ∇E)``.
    """
    obj = Objective.build(network, X, y, lam, loss=loss, include_biases=include_biases)
    return_value = check_bool(return_value, "return_value")
    value, grad = obj.value_and_gradient(check_theta(network, theta, allow_stack=False))
    return (value, grad) if return_value else grad
