"""The result every trainer returns."""

from dataclasses import dataclass, field

import numpy as np

from ._kernels.stops import STOP_REASONS
from ._modelfile import ModelRecord, write_model_file
from .network import Network

__all__ = ["TrainResult", "summarize", "STOP_REASONS"]


#: The scalar fields of ``TrainResult.to_record()``, in the order a model file stores them.
_RECORD_FIELDS = ("error", "data_error", "penalty", "mse", "sum_sq_weights", "iterations",
                  "n_evaluations", "elapsed", "stop_reason", "trainer", "lam", "loss", "seed",
                  "rule", "lam_nominal")


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
        ``history[0]`` at the start, ``history[k]`` after iteration (epoch) k: the best
        error so far for PSO (never increases), the error at the current θ for
        back-prop and L-BFGS.
    iterations : int
        Iterations (PSO, L-BFGS) or epochs (back-prop) run.
    n_evaluations : int
        Passes over the whole training set that evaluated the error or its gradient:
        PSO ``swarm_size · (iterations + 1)``, back-prop one per epoch, L-BFGS one per
        function-and-gradient evaluation.
    elapsed : float
        Wall-clock seconds spent training, validation excluded.
    stop_reason : str
        One of ``STOP_REASONS``: ``"max_iter"``, ``"target_error"``, ``"patience"``,
        ``"callback"``; back-prop also ``"diverged"`` (θ is then the last finite one); L-BFGS
        ``"converged"`` or ``"failed: <scipy's message>"``; ``"interrupted"`` for the result
        so far that ``TrainingInterrupted`` carries after a Ctrl-C.
    trainer : str
        ``"pso"``, ``"backprop"`` or ``"lbfgs"``.
    lam : float
        λ_E of the error that ``error`` and ``history`` report: for back-prop, the λ_E
        its rule minimizes (``convert_lambda``).
    loss : str
        ``"mse"`` or ``"cross_entropy"``.
    seed : int or None
        The seed that reproduces this run (drawn from OS entropy when none was given).
    rule : str or None
        Back-prop's L2 rule; None for the trainers that minimize E directly.
    lam_nominal : float or None
        The λ passed to back-prop, in its rule's own convention.
    network : Network or None
        The network ``theta`` belongs to.
    settings : dict
        The trainer's other arguments as it used them after validation (budget,
        coefficients, learning rate, ...): with ``network``, ``seed`` and the data they
        reproduce the run.
    state : TrainState or None
        The run's complete state where it stopped (``swarmreg.checkpoints.TrainState``:
        positions, velocities, bests, the generator's state, counters, optimizer buffers,
        history; arrays read-only), which ``train_pso(init=result)`` and
        ``train_backprop(init=result)`` continue, bit-identical to one longer run.  Set by
        ``train_pso`` and ``train_backprop``; None for L-BFGS and for a result loaded from a
        model file: model files store no state (``state.save(path)`` writes it as a
        checkpoint file).
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
    rule: str = None
    lam_nominal: float = None
    network: object = None
    settings: dict = field(default_factory=dict)
    state: object = field(default=None, repr=False)

    def __post_init__(self):
        for name in ("theta", "history"):
            arr = np.array(getattr(self, name), dtype=np.float64)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "settings", dict(self.settings))

    def to_record(self):
        """This result as plain data: what a model file stores of it.

        Returns
        -------
        record : dict
            JSON-able: the scalar fields, ``network`` (``layers``, ``hidden``, ``output``)
            and ``settings``.
        arrays : dict
            ``theta`` and ``history``.
        """
        if self.network is None:
            raise ValueError("this TrainResult has no network to save with it")
        record = {name: getattr(self, name) for name in _RECORD_FIELDS}
        net = self.network
        record["network"] = {"layers": list(net.layers), "hidden": net.hidden, "output": net.output}
        record["settings"] = dict(self.settings)
        return record, {"theta": self.theta, "history": self.history}

    @classmethod
    def from_record(cls, record, arrays):
        """The result that ``to_record`` returned ``(record, arrays)`` for.

        JSON turns tuples into lists: list-valued settings come back as tuples.  Raises
        KeyError, TypeError or ValueError for a record that no result gives.
        """
        record = dict(record)
        network = Network(**record.pop("network"))
        settings = {k: tuple(v) if isinstance(v, list) else v
                    for k, v in record.pop("settings").items()}
        result = cls(theta=arrays["theta"], history=arrays["history"], network=network,
                     settings=settings, **record)
        if result.theta.shape != (network.n_params,):
            raise ValueError(f"theta has shape {result.theta.shape} for {network!r}")
        return result

    def save(self, path):
        """Write this result to ``path`` (see ``swarmreg.save_model``); returns the path."""
        record, arrays = self.to_record()
        return write_model_file(path, ModelRecord("TrainResult", record, None, arrays))

    def __repr__(self):
        return (
            f"TrainResult(trainer={self.trainer!r}, error={self.error:.6g}, mse={self.mse:.6g}, "
            f"penalty={self.penalty:.6g}, iterations={self.iterations}, "
            f"stop_reason={self.stop_reason!r}, elapsed={self.elapsed:.3g}s)"
        )


def summarize(objective, theta, history, **fields):
    """A TrainResult for ``theta``, with its error split into terms by ``objective``.

    ``objective`` is an ``error.Objective``; ``fields`` gives the remaining
    TrainResult fields (iterations, n_evaluations, elapsed, stop_reason, trainer,
    settings, ...).
    """
    stack = np.ascontiguousarray(theta, dtype=np.float64).reshape(1, -1)
    data, pen = objective.terms(stack)
    mse = data if objective.loss == "mse" else objective.with_loss("mse").terms(stack)[0]
    weights = stack[0, objective.network.weight_mask]
    return TrainResult(
        theta=stack[0],
        error=float(data[0] + objective.penalty_term(pen)[0]),
        data_error=float(data[0]),
        penalty=float(objective.penalty_term(pen)[0]),
        mse=float(mse[0]),
        sum_sq_weights=float(weights @ weights),
        history=history,
        lam=objective.lam,
        loss=objective.loss,
        network=objective.network,
        **fields,
    )
