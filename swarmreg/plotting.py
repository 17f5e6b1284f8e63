"""Plots of training runs (matplotlib, from the ``experiments`` extra, imported only when used)."""

import numpy as np

from .result import TrainResult

__all__ = ["plot_history"]

#: Per trainer: its name in a title, what one step of ``history`` is, and what the curve is.
_TRAINERS = {
    "pso": ("PSO", "iteration", "best E so far"),
    "backprop": ("back-prop", "epoch", "E at the current θ"),
    "lbfgs": ("L-BFGS", "iteration", "E at the current θ"),
}


def _training_result(result_or_estimator):
    """The TrainResult of a result or of a fitted estimator (its ``result_``)."""
    if isinstance(result_or_estimator, TrainResult):
        return result_or_estimator
    name = type(result_or_estimator).__name__
    if hasattr(result_or_estimator, "result_"):
        result = result_or_estimator.result_
        if not isinstance(result, TrainResult):
            raise TypeError(f"{name}.result_ must be a swarmreg.TrainResult, got "
                            f"{type(result).__name__}")
        return result
    if callable(getattr(result_or_estimator, "fit", None)):
        raise ValueError(f"this {name} is not fitted yet (it has no result_): call fit first")
    raise TypeError("plot_history needs a swarmreg.TrainResult or a fitted swarmreg estimator, "
                    f"got {name}")


def plot_history(result_or_estimator, ax=None):
    """Plot the training curve of a run: ``history`` against iteration (or epoch).

    The curve is ``TrainResult.history`` — for PSO the best error E found so far (it
    never increases), for back-prop and L-BFGS the error E at the current θ — where
    ``E = D + λ_E·Σw²`` with the λ_E of the run (docs/design.md §2).  Point k is the
    value after iteration (epoch) k, point 0 the start.  The y axis is logarithmic
    when every value is positive and finite.

    Parameters
    ----------
    result_or_estimator : TrainResult or fitted estimator
        A trainer's result, or any fitted object whose ``result_`` is one (the
        swarmreg estimators).
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default on a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on; the curve is its last line (``ax.lines[-1]``).

    Raises
    ------
    TypeError
        Neither a TrainResult nor an object with one in ``result_``, or ``ax`` is not
        a matplotlib Axes.
    ValueError
        An estimator that has not been fitted.
    ImportError
        matplotlib is not installed.

    Examples
    --------
    >>> import swarmreg as sr
    >>> X, _, y, _ = sr.datasets.iris()
    >>> res = sr.train_pso(sr.Network([4, 7, 3]), X, y, lam=0.001, max_iter=50, seed=1)
    >>> ax = sr.plot_history(res)  # doctest: +SKIP
    """
    result = _training_result(result_or_estimator)
    try:
        import matplotlib.pyplot as plt
        from matplotlib.axes import Axes
    except ImportError:
        raise ImportError("plot_history needs matplotlib: pip install 'swarmreg[experiments]' "
                          "(or pip install matplotlib)") from None
    if ax is None:
        _, ax = plt.subplots()
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")

    trainer, step, curve = _TRAINERS.get(result.trainer,
                                         (result.trainer, "iteration", "E at the current θ"))
    if result.rule is not None:
        trainer = f"{trainer} `{result.rule}` (λ = {result.lam_nominal:g})"
    data = "MSE" if result.loss == "mse" else "cross-entropy"
    history = result.history
    ax.plot(np.arange(history.size), history, marker="o" if history.size == 1 else None,
            label=f"{trainer}, λ_E = {result.lam:g}")
    if np.all(np.isfinite(history) & (history > 0)):
        ax.set_yscale("log")
    ax.set_xlabel(step)
    ax.set_ylabel(f"{curve}, E = {data} + λ_E·Σw²")
    ax.set_title(f"{trainer}: {curve}, λ_E = {result.lam:g}")
    return ax
