"""The result every trainer returns."""

from dataclasses import dataclass

import numpy as np

__all__ = ["TrainResult"]


@dataclass(frozen=True, eq=False)
class TrainResult:
    """What a training run found and how it got there.

    Attributes
    ----------
    theta : ndarray, shape (n_params,)
        Best parameter vector found (read-only).
    error : float
        ``E(theta) = data_error + penalty``: the objective the trainer minimized.
    data_error : float
        The data part of ``error`` (MSE, or mean cross-entropy with ``loss="cross_entropy"``).
    penalty : float
        ``λ · Σ w²`` at ``theta`` (biases excluded unless ``include_biases``).
    mse : float
        MSE of ``theta`` on the training data (equal to ``data_error`` when ``loss="mse"``).
    sum_sq_weights : float
        ``Σ w²`` over the weights only (biases never), whatever was penalized.
    history : ndarray, shape (iterations + 1,)
        Best error so far: ``history[0]`` at the start, ``history[k]`` after iteration k.
    iterations : int
        Iterations (PSO) or epochs (back-prop) run.
    n_evaluations : int
        Evaluations of the error over the whole training set.
    elapsed : float
        Wall-clock seconds spent training, validation excluded.
    stop_reason : str
        ``"max_iter"``, ``"target_error"``, ``"patience"`` or ``"callback"``.
    trainer : str
        Which trainer produced this result, e.g. ``"pso"``.
    lam : float
        λ_E used in the error.
    loss : str
        ``"mse"`` or ``"cross_entropy"``.
    seed : int or None
        The seed that reproduces this run (drawn from OS entropy when none was given).
    """

    theta: np.ndarray
    error: float
    data_error: float
    penalty: float
    mse: float
    sum_sq_weights: float
    history: np.ndarray
    iterations: int
    n_evaluations: int
    elapsed: float
    stop_reason: str
    trainer: str
    lam: float
    loss: str
    seed: object = None

    def __post_init__(self):
        for name in ("theta", "history"):
            arr = np.array(getattr(self, name), dtype=np.float64)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    def __repr__(self):
        return (
            f"TrainResult(trainer={self.trainer!r}, error={self.error:.6g}, mse={self.mse:.6g}, "
            f"penalty={self.penalty:.6g}, iterations={self.iterations}, "
            f"stop_reason={self.stop_reason!r}, elapsed={self.elapsed:.3g}s)"
        )
