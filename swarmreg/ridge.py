"""Closed-form minimizer of E for a network with no hidden layer and identity output."""

import numpy as np

from ._validation import as_float_matrix, check_lam, encode_targets

__all__ = ["ridge_closed_form"]


def ridge_closed_form(X, y, lam, include_biases=False):
    """θ minimizing ``E`` for ``Network([d, K], output="identity")``: ridge regression.

    ``E(W, b) = (1/N) Σ_i ‖x_i W + b − t_i‖² + λ‖W‖²``.  With the intercept unpenalized,
    centering removes it: ``W = (Xcᵀ Xc / N + λI)⁻¹ Xcᵀ Tc / N`` and ``b = t̄ − x̄ W``,
    with ``Xc = X − x̄`` and ``Tc = T − t̄``.  With ``include_biases`` the intercept is
    penalized too: ``[W; b] = (AᵀA / N + λI)⁻¹ AᵀT / N`` with ``A = [X, 1]``.
    At λ = 0 the minimum-norm least-squares solution is returned.

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like, shape (N,) or (N, K)
    lam : float
        λ_E ≥ 0.
    include_biases : bool

    Returns
    -------
    ndarray, shape ((d + 1)·K,)
        θ in swarmreg's flat layout: W (d, K) row-major, then b (K,).
    """
    from .network import Network

    X = as_float_matrix(X, "X")
    lam = check_lam(lam)
    N, d = X.shape
    y_arr = np.asarray(y)
    K = 1 if y_arr.ndim == 1 else y_arr.shape[1]
    T = encode_targets(Network([d, K], output="identity"), y, N)
    if include_biases:
        A = np.hstack([X, np.ones((N, 1))])
        Wb = _solve(A, T, lam)
        W, b = Wb[:d], Wb[d]
    else:
        x_mean, t_mean = X.mean(axis=0), T.mean(axis=0)
        W = _solve(X - x_mean, T - t_mean, lam)
        b = t_mean - x_mean @ W
    return np.concatenate([W.ravel(), b])


def _solve(A, T, lam):
    """argmin_B (1/N)‖A B − T‖² + λ‖B‖² for every column of T."""
    import scipy.linalg  # imported here to keep `import swarmreg` light

    N = A.shape[0]
    if lam == 0.0:
        return scipy.linalg.lstsq(A, T)[0]
    gram = A.T @ A / N + lam * np.eye(A.shape[1])
    return scipy.linalg.solve(gram, A.T @ T / N, assume_a="pos")
