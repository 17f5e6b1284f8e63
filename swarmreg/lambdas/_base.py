"""What the catalogue of schemes and the conversion engine share: the context of a
conversion, the records of a scheme and of an equivalence, and the errors."""

import dataclasses
import math
from dataclasses import dataclass
from typing import Callable

from .._kernels import backprop as backprop_kernels
from .._validation import check_choice

#: The optimizers of the runs whose λ is converted (``train_backprop``'s ``optimizer``).
OPTIMIZERS = tuple(backprop_kernels.OPTIMIZERS)

SAME_TRAJECTORY, SAME_OPTIMUM, NONE = "same trajectory", "same optimum", "none"
#: The kinds of equivalence (``Equivalence.kind``), strongest first.
KINDS = (SAME_TRAJECTORY, SAME_OPTIMUM, NONE)


class NoEquivalentLambdaError(ValueError):
    """No λ_E makes this training convention minimize ``E``: the message says why."""


class LambdaContextError(ValueError):
    """A scheme needs context (learning rate, batch size, ...) that was not given."""


class SklearnLossMismatchWarning(UserWarning):
    """scikit-learn's MLPRegressor reports a loss that its gradient does not belong to."""


@dataclass(frozen=True)
class _Context:
    lr: float = None
    batch_size: int = None
    n_samples: int = None
    n_outputs: int = None
    momentum: float = 0.0
    optimizer: str = "sgd"
    loss: str = "mse"
    target_std: float = None

    def __str__(self):
        given = [f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self)
                 if getattr(self, f.name) != f.default]
        return ", ".join(given) or "no context"

    def need(self, *names):
        """Raise ``LambdaContextError`` "needs ..." naming those of ``names`` not given
        (the engine prefixes the scheme that asked)."""
        missing = [n for n in names if getattr(self, n) is None]
        if missing:
            raise LambdaContextError(f"needs {' and '.join(missing)}")


@dataclass(frozen=True)
class Scheme:
    """A λ convention.

    Attributes
    ----------
    name, formula, source : str
    factor : callable(ctx) -> float
        The λ_E that one unit of its λ amounts to (``λ_E·C`` when ``inverse``); raises
        ``NoEquivalentLambdaError`` where there is none, before it asks for context
        (``ctx.need``) that only the number depends on, so that ``lambda_equivalence``
        answers without that context.  ``loss`` is checked before it is called.
    kind : {"coupled", "decoupled", "solver"}
        Where the λ acts: inside the gradient the optimizer uses, as a shrink outside
        the optimizer's step, or in an objective handed to a solver (no trajectory).
    optimizer : callable(ctx) -> str
        The optimizer whose steps the scheme takes: ``ctx.optimizer`` for conventions
        that work with any, or a fixed one ("adam" for AdamW, "sklearn" for
        scikit-learn's own solvers).  Two runs share a path only with the same one.
    grad_scale : callable(ctx) -> float
        The scheme's data gradient per unit of ours (1/K for a mean over K outputs,
        ½ for a ½-cost): its run at learning rate η takes our steps at ``grad_scale·η``.
    inverse : bool
        λ_E is ``factor / value`` (a C, not a λ).
    loss : {"mse", "cross_entropy"} or None
        The one data error the scheme is defined for, None if it works with either: the
        loss of a conversion given none, and with another loss there is no equivalent.
    loss_reason : str or None
        Why it has that one loss, as it reads after the scheme's name ("is
        LogisticRegression's log-loss").
    """

    name: str
    factor: Callable
    formula: str
    source: str
    kind: str = "coupled"
    optimizer: Callable = lambda ctx: ctx.optimizer
    grad_scale: Callable = lambda ctx: 1.0
    inverse: bool = False
    loss: str = None
    loss_reason: str = None


@dataclass(frozen=True)
class Equivalence:
    """What converting λ between two schemes preserves.

    Attributes
    ----------
    kind : {"same trajectory", "same optimum", "none"}
        One of ``KINDS``.  ``"same trajectory"``: the two runs take the same steps up
        to rounding, the second at ``lr_factor`` times the first's learning rate.
        ``"same optimum"``: the same stationary point of E, a different path.
        ``"none"``: no λ makes the two regularize alike; ``convert_lambda`` raises
        ``NoEquivalentLambdaError``.
    reason : str
    lr_factor : float or None
        Learning rate of ``to`` per unit of that of ``from`` for the same trajectory
        (2 from ``objective`` to ``half_mse``: the ½-cost needs twice the step); None
        unless ``kind == "same trajectory"``.
    """

    kind: str
    reason: str
    lr_factor: float = None

    def __post_init__(self):
        check_choice(self.kind, "kind", KINDS)

    def __str__(self):
        return f"{self.kind}: {self.reason}"


def _positive_result(result, value, says):
    """``result`` when it is a finite float64 that is positive for a positive ``value``.

    A λ that overflowed to inf or underflowed to 0 is not the λ asked for: typed into a
    trainer, inf destroys every weight and 0 silently turns regularization off.
    """
    if value > 0.0 and not (math.isfinite(result) and result > 0.0):
        what = "overflows float64" if not math.isfinite(result) else "underflows float64 to 0"
        raise ValueError(f"{says.format(result)}: the result {what}; no trainer can use it "
                         "(check the magnitudes of the value and of its context)")
    return result
