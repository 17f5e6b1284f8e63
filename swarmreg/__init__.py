"""swarmreg: train neural networks with particle swarm optimization on an
L2-regularized error, and see what the regularization constant λ means.

The public surface is listed in ``__all__``; see README.md for a tour.
"""

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
from .lbfgs import train_lbfgs
from .network import Network
from .pso import train_pso
from .result import TrainResult
from .ridge import ridge_closed_form

__version__ = "0.1.0"

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
    "TrainResult",
    "datasets",
    "__version__",
]
