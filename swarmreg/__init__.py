"""swarmreg: train neural networks with particle swarm optimization on an
L2-regularized error, and see what the regularization constant λ means.

The public surface is listed in ``__all__``; see README.md for a tour.
"""

from . import datasets
from .error import gradient, regularized_error
from .network import Network
from .pso import train_pso
from .result import TrainResult

__version__ = "0.1.0"

__all__ = ["Network", "regularized_error", "gradient", "train_pso", "TrainResult", "datasets", "__version__"]
