"""swarmreg: train neural networks with particle swarm optimization on an
L2-regularized error, and see what the regularization constant λ means.

The public surface is listed in ``__all__``; see README.md for a tour.  Docstrings cite
the design reference as "docs/design.md §N": the file ``docs/design.md`` in this package's
folder (``importlib.resources.files("swarmreg") / "docs/design.md"``).
"""

# First: it sets how OpenMP's idle threads wait before Numba starts them and hooks Numba's
# first registry load and first compilation (what and why: swarmreg/_runtime.py).
from . import _runtime  # noqa: F401, I001
from . import datasets
from .backprop import train_backprop
from .error import gradient, regularized_error
from .lambdas import (
    SCHEMES,
    Equivalence,
    LambdaContextError,
    NoEquivalentLambdaError,
    SklearnLossMismatchWarning,
    convert_lambda,
    decay_fixed_point_lambda,
    lambda_equivalence,
)
from ._loop import NonFiniteObjectiveError
from .checkpoints import CheckpointError, TrainingInterrupted, read_checkpoint, resume
from ._modelfile import ModelFileError
from .lbfgs import train_lbfgs
from .network import Network
from .plotting import plot_history
from .pso import train_pso
from .result import TrainResult
from .ridge import ridge_closed_form
from ._version import __version__

#: Names served by ``swarmreg.estimators`` and ``swarmreg.saving`` (which imports the
#: estimators), imported on first use: the estimators import scikit-learn when it is
#: installed, which ``import swarmreg`` should not pay for.
_ESTIMATOR_NAMES = ("PSOClassifier", "PSORegressor", "BackpropClassifier", "BackpropRegressor",
                    "LBFGSClassifier", "LBFGSRegressor", "ConvergenceWarning")
_SAVING_NAMES = ("save_model", "load_model")


def __getattr__(name):
    if name in _ESTIMATOR_NAMES:
        from . import estimators

        return getattr(estimators, name)
    if name in _SAVING_NAMES:
        from . import saving

        return getattr(saving, name)
    raise AttributeError(f"module 'swarmreg' has no attribute {name!r}")


__all__ = [
    "Network",
    "regularized_error",
    "gradient",
    "train_pso",
    "train_backprop",
    "train_lbfgs",
    "ridge_closed_form",
    "convert_lambda",
    "lambda_equivalence",
    "Equivalence",
    "decay_fixed_point_lambda",
    "SCHEMES",
    "NoEquivalentLambdaError",
    "LambdaContextError",
    "SklearnLossMismatchWarning",
    "NonFiniteObjectiveError",
    "TrainResult",
    "TrainingInterrupted",
    "resume",
    "read_checkpoint",
    "CheckpointError",
    "save_model",
    "load_model",
    "ModelFileError",
    *_ESTIMATOR_NAMES,
    "plot_history",
    "datasets",
    "__version__",
]
