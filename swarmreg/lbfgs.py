"""The reference optimum: L-BFGS-B on E with the analytic gradient (docs/design.md §8)."""

import time

import numpy as np

from ._loop import check_seed, non_finite_run
from ._validation import check_int, check_memory, check_real, check_theta
from .error import Objective
from .result import summarize

__all__ = ["train_lbfgs"]


class _StopByCallback(Exception):
    pass


def train_lbfgs(network, X, y, *, lam=0.0, loss="mse", include_biases=False, theta0=None,
                seed=None, max_iter=15000, gtol=1e-8, ftol=1e-15, callback=None):
    """Minimize ``E(θ) = D(θ) + λ·Σ w²`` with ``scipy.optimize.minimize(method="L-BFGS-B")``.

    This is the local-optimum reference that PSO and back-prop are compared with, so
    it runs with tight tolerances by default rather than scipy's.

    Parameters
    ----------
    network, X, y, lam, loss, include_biases
        As for ``train_pso``; ``lam`` is λ_E.
    theta0 : array_like, shape (n_params,), optional
        Starting point; by default ``network.initial_theta(seed)``.
    seed : int, optional
    max_iter : int, default 15000
        L-BFGS iterations (scipy's ``maxiter``); function evaluations are capped at
        twice that.
    gtol : float, default 1e-8
        Stop when the largest projected gradient component is below it.
    ftol : float, default 1e-15
        Stop when an iteration reduces E by less than ``ftol · max(|E|, 1)`` (scipy's
        test): for E < 1 an absolute threshold, so it must be far below scipy's
        default 2.2e-9 for the gradient to get near ``gtol``.
    callback : callable(iteration, error, theta) -> bool, optional
        After every iteration; True stops.

    Returns
    -------
    TrainResult
        ``trainer="lbfgs"``; ``history[k]`` = E after iteration k; ``stop_reason``
        ``"converged"``, ``"max_iter"``, ``"callback"`` or ``"failed: <scipy's message>"``.
    """
    from scipy.optimize import minimize  # imported here: it doubles `import swarmreg`'s time
    from threadpoolctl import threadpool_limits

    obj = Objective.build(network, X, y, lam, loss=loss, include_biases=include_biases)
    seed = check_seed(seed)
    # scipy keeps 10 correction pairs (s, y) and a few work vectors: about 30 float64 vectors.
    check_memory(8 * 30 * network.n_params, f"{network!r}'s {network.n_params} parameters",
                 "use a smaller network")
    theta = (network.initial_theta(seed) if theta0 is None
             else check_theta(network, theta0, allow_stack=False))
    max_iter = check_int(max_iter, "max_iter", low=1)
    gtol = check_real(gtol, "gtol", low=0.0)
    ftol = check_real(ftol, "ftol", low=0.0)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")

    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite start is reported below
        value, grad = obj.value_and_gradient(theta)  # compiles (or loads the cache) before the clock
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        # L-BFGS-B would stop at once, or wander on NaN steps, and report the start as a result.
        raise non_finite_run(f"E or its gradient at the starting θ is not finite (E = {value})",
                             lam=obj.lam, extra=", theta0 too far out")
    start = time.perf_counter()
    history = [obj.value_and_gradient(theta)[0]]
    best = {"theta": theta}

    def record(intermediate_result):
        best["theta"] = intermediate_result.x.copy()
        history.append(float(intermediate_result.fun))
        if callback is not None and callback(len(history) - 1, history[-1], best["theta"].copy()):
            raise _StopByCallback

    n_calls = [0]

    def fun(th):
        n_calls[0] += 1
        return obj.value_and_gradient(th)

    try:
        # L-BFGS-B's BLAS calls work on (n_params × 10) matrices: threads only cost, and
        # when the machine is busy OpenBLAS's spinning threads made a 200-iteration run
        # 4-20× slower (0.1 s → 0.4-2 s measured, Network([10, 7, 1]), 2 cores under load).
        with threadpool_limits(limits=1, user_api="blas"):
            res = minimize(fun, theta, jac=True, method="L-BFGS-B", callback=record,
                           options=dict(maxiter=max_iter, maxfun=2 * max_iter, gtol=gtol,
                                        ftol=ftol))
        theta = res.x
        if res.success:
            stop_reason = "converged"
        elif res.nit >= max_iter:
            stop_reason = "max_iter"
        else:
            stop_reason = f"failed: {res.message}"
    except _StopByCallback:
        theta, stop_reason = best["theta"], "callback"
    elapsed = time.perf_counter() - start
    settings = dict(include_biases=obj.include_biases, max_iter=max_iter, gtol=gtol, ftol=ftol,
                    theta0_given=theta0 is not None)
    return summarize(obj, theta, np.array(history), iterations=len(history) - 1,
                     n_evaluations=n_calls[0], elapsed=elapsed, stop_reason=stop_reason,
                     trainer="lbfgs", seed=seed, settings=settings)
