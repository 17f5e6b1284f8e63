"""Translate the L2 constant λ between training conventions.

Every convention below, run with plain SGD (or, where stated, any optimizer that
follows the gradient), minimizes the project's error

    E(θ) = MSE(θ) + λ_E · Σ w²,    MSE = (1/N) Σ_i Σ_k (y_ik − t_ik)²

for one λ_E (docs/design.md §4, §9).  Each scheme is therefore described by one number,
``λ_E per unit of its own λ``, and converting is a ratio of two such numbers:
``convert_lambda(v, a, b) = v · factor(a) / factor(b)``.  Where no λ_E makes a
convention equivalent to E, ``NoEquivalentLambdaError`` says why.

Schemes (m = items per update, N = training-set size, η = learning rate, K = outputs):

=====================  ====================================================  ============
scheme                 update of a weight / objective                        λ_E
=====================  ====================================================  ============
``objective``          minimize E; SGD ``w ← w − η(g + 2λw)``                 λ
``textbook_batch``     ``w ← (1 − ηλ/m)w − ηg``, n read as m                  λ / (2m)
``textbook_dataset``   ``w ← (1 − ηλ/N)w − ηg``, n read as N                  λ / (2N)
``decay``              ``w ← w − ηg − λ·w_old`` (plain SGD only)              λ / (2η)
``sklearn_alpha``      MLPRegressor ``alpha``                                 α / m
``torch_weight_decay`` ``torch.optim.SGD(weight_decay=λ)`` + ``MSELoss()``   K·λ / 2
``keras_l2``           ``kernel_regularizer=L2(λ)`` + mean squared error     K·λ
``torch_adamw``        ``torch.optim.AdamW(weight_decay=λ)``                  none
=====================  ====================================================  ============
"""

import dataclasses
import math
import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from ._validation import check_int, check_real

__all__ = [
    "convert_lambda",
    "decay_fixed_point_lambda",
    "lambda_table",
    "SCHEMES",
    "NoEquivalentLambdaError",
    "LambdaContextError",
    "SklearnLossMismatchWarning",
]


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

    def __str__(self):
        given = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        given = [f"{k}={v!r}" for k, v in given.items() if v is not None and (k != "momentum" or v)]
        return ", ".join(given) or "no context"

    def need(self, scheme, *names):
        missing = [n for n in names if getattr(self, n) is None]
        if missing:
            raise LambdaContextError(f"scheme {scheme!r} needs {' and '.join(missing)}")


@dataclass(frozen=True)
class Scheme:
    """A λ convention: ``factor(ctx)`` is the λ_E that one unit of its λ amounts to."""

    name: str
    factor: Callable
    formula: str
    source: str


def _objective(ctx):
    return 1.0


def _check_even_batches(ctx, scheme):
    if ctx.n_samples is not None and ctx.batch_size is not None and ctx.n_samples % ctx.batch_size:
        raise NoEquivalentLambdaError(
            f"'{scheme}' divides λ by the items of each update, and {ctx.n_samples} items in batches "
            f"of {ctx.batch_size} leave a last batch of {ctx.n_samples % ctx.batch_size}, which is "
            "shrunk harder: no single λ_E describes the run. Use a batch size that divides the "
            "number of items."
        )


def _textbook_batch(ctx):
    # Nielsen-style shrink (1 − ηλ/n)·w with n read as the m items of the update: it is
    # the SGD step on E with 2ηλ_E = ηλ/m.
    ctx.need("textbook_batch", "batch_size")
    _check_even_batches(ctx, "textbook_batch")
    return 1.0 / (2.0 * ctx.batch_size)


def _textbook_dataset(ctx):
    # Nielsen, "Neural Networks and Deep Learning", ch. 3, "Regularization": n is the size
    # of the training set, whatever the mini-batch size: 2ηλ_E = ηλ/N.
    ctx.need("textbook_dataset", "n_samples")
    return 1.0 / (2.0 * ctx.n_samples)


def decay_fixed_point_lambda(lam, lr, momentum):
    """λ_E whose stationary point full-batch ``decay`` with momentum shares.

    With ``v ← μv − ηg`` and ``w ← w + v − λw`` a fixed point has ``v = λw`` and
    ``(1 − μ)v = −ηg``, i.e. ``g + (λ(1 − μ)/η)·w = 0``: the stationarity condition of
    E with ``λ_E = λ(1 − μ)/(2η)``.  Only the fixed point coincides, not the path.
    """
    return _positive_result(lam * (1.0 - momentum) / (2.0 * lr), lam,
                            f"the fixed point of lam={lam!r}, lr={lr!r}, momentum={momentum!r} is "
                            "λ_E = {}")


def _decay(ctx):
    ctx.need("decay", "lr")
    if ctx.momentum > 0.0:
        raise NoEquivalentLambdaError(
            "the 'decay' shortcut subtracts λ·w outside the momentum buffer (decoupled weight "
            "decay), so with momentum > 0 no λ_E gives the same trajectory as the gradient of E: "
            "the decay acts at once while the gradient term is smoothed over ~1/(1 − momentum) "
            "steps. Only a full-batch fixed point coincides, that of λ_E = λ(1 − momentum)/(2·lr) "
            f"= λ·{decay_fixed_point_lambda(1.0, ctx.lr, ctx.momentum):.6g} "
            "(decay_fixed_point_lambda); stochastic runs and the path to it differ."
        )
    # w ← w − ηg − λw is the SGD step on E with 2ηλ_E = λ.
    return 1.0 / (2.0 * ctx.lr)


def _sklearn_alpha(ctx):
    # sklearn/neural_network/_multilayer_perceptron.py (1.9), _backprop/_compute_loss_grad:
    #   loss += (0.5 * self.alpha) * values / n_samples
    #   coef_grads[layer] += self.alpha * self.coefs_[layer]; coef_grads[layer] /= n_samples
    #   deltas[last] = activations[-1] - y
    # so the gradient is that of (1/(2m)) Σ_i Σ_k (y − t)² + α/(2m) Σ w² = ½(MSE + (α/m) Σ w²),
    # with m = the batch of the update: batch_size (clipped to N) for sgd/adam, N for lbfgs.
    # Intercepts are not penalized.
    ctx.need("sklearn_alpha", "n_outputs")
    if ctx.batch_size is None and ctx.n_samples is None:
        raise LambdaContextError(
            "scheme 'sklearn_alpha' needs batch_size (solver 'sgd'/'adam') or n_samples "
            "(solver 'lbfgs', which uses the whole training set)"
        )
    m = ctx.batch_size if ctx.n_samples is None else min(ctx.batch_size or ctx.n_samples, ctx.n_samples)
    _check_even_batches(dataclasses.replace(ctx, batch_size=m), "sklearn_alpha")
    if ctx.n_outputs > 1:
        warnings.warn(
            f"with {ctx.n_outputs} outputs scikit-learn's MLPRegressor reports loss_ = ½·mean over "
            "items and outputs, but its gradient belongs to a function n_outputs times larger "
            "(scikit-learn issue #8349). The conversion follows the gradient, whose fixed point "
            "sgd/adam reach; loss_ is not this objective, and solver='lbfgs', which needs loss "
            "and gradient to agree, may stop early.",
            SklearnLossMismatchWarning,
            stacklevel=3,
        )
    return 1.0 / m


def _torch_weight_decay(ctx):
    # torch/optim/sgd.py, _single_tensor_sgd: grad = grad.add(param, alpha=weight_decay),
    # before the momentum buffer (coupled L2, so momentum does not matter);
    # torch/nn/modules/loss.py: MSELoss(reduction="mean") divides by all N·K elements.
    # Objective MSE/K + (λ/2)Σθ² = (1/K)(MSE + (Kλ/2)Σθ²).  Exclude biases from
    # weight decay with a parameter group, or this equals include_biases=True.
    ctx.need("torch_weight_decay", "n_outputs")
    return ctx.n_outputs / 2.0


def _keras_l2(ctx):
    # keras/src/regularizers/regularizers.py, L2.__call__: self.l2 * ops.sum(ops.square(x));
    # keras/src/losses/losses.py, mean_squared_error: ops.mean(..., axis=-1), reduced with
    # "sum_over_batch_size"; keras/src/trainers/trainer.py, compute_loss adds self.losses
    # unscaled.  Objective MSE/K + λΣw² = (1/K)(MSE + KλΣw²).
    ctx.need("keras_l2", "n_outputs")
    return float(ctx.n_outputs)


def _torch_adamw(ctx):
    raise NoEquivalentLambdaError(
        "AdamW decays weights outside its adaptive step (torch/optim/adamw.py: "
        "param.mul_(1 - lr * weight_decay)); at its fixed point the weights satisfy "
        "m/(sqrt(v) + eps) = −weight_decay·w, a per-coordinate rescaled gradient, which is not "
        "the stationarity condition of MSE + λ_E·Σw² for any λ_E"
    )


SCHEMES = {
    s.name: s
    for s in (
        Scheme("objective", _objective, "E = MSE + λ·Σw²; SGD step w ← w − η(g + 2λw)",
               "docs/design.md §2"),
        Scheme("textbook_batch", _textbook_batch, "w ← (1 − ηλ/m)·w − η·g, m = items per update",
               "McCaffrey, L2 Regularization and Back-Propagation: n = 1 online"),
        Scheme("textbook_dataset", _textbook_dataset, "w ← (1 − ηλ/N)·w − η·g, N = training-set size",
               "Nielsen, Neural Networks and Deep Learning, ch. 3, Regularization"),
        Scheme("decay", _decay, "w ← w − η·g − λ·w_old",
               "the shortcut in many codebases; docs/design.md §4"),
        Scheme("sklearn_alpha", _sklearn_alpha, "MLPRegressor(alpha=λ): loss + (α/2m)·Σw², grad/m",
               "sklearn/neural_network/_multilayer_perceptron.py"),
        Scheme("torch_weight_decay", _torch_weight_decay, "SGD(weight_decay=λ) with MSELoss(mean)",
               "torch/optim/sgd.py, torch/nn/modules/loss.py"),
        Scheme("keras_l2", _keras_l2, "kernel_regularizer=L2(λ) with mean squared error",
               "keras/src/regularizers/regularizers.py, keras/src/losses/losses.py"),
        Scheme("torch_adamw", _torch_adamw, "AdamW(weight_decay=λ): decoupled, adaptive",
               "torch/optim/adamw.py"),
    )
}


def convert_lambda(value, from_scheme, to_scheme, *, lr=None, batch_size=None, n_samples=None,
                   n_outputs=None, momentum=0.0):
    """The λ of ``to_scheme`` that regularizes exactly as ``value`` does in ``from_scheme``.

    "Exactly": for plain SGD the converted back-prop rules (``objective``, both
    ``textbook`` readings, ``decay``) take the same steps (the same trajectory up to
    rounding); the library schemes follow a multiple of the same gradient (step η/K for
    ``torch_weight_decay`` and ``keras_l2``, η/2 for ``sklearn_alpha``), so they share
    its fixed point, the minimizer of ``E = MSE + λ_E·Σw²``.  See the module docstring for each
    scheme's formula and source.

    Parameters
    ----------
    value : float
        λ ≥ 0 in ``from_scheme``'s convention.
    from_scheme, to_scheme : str
        Keys of ``SCHEMES``: ``"objective"`` (λ_E, what PSO uses), ``"textbook_batch"``,
        ``"textbook_dataset"``, ``"decay"``, ``"sklearn_alpha"``,
        ``"torch_weight_decay"``, ``"keras_l2"``, ``"torch_adamw"``.
    lr : float, optional
        Learning rate η (``decay``).
    batch_size : int, optional
        Items per update m (``textbook_batch``; ``sklearn_alpha`` with sgd/adam).
    n_samples : int, optional
        Training-set size N (``textbook_dataset``; ``sklearn_alpha`` with lbfgs, and
        to clip a batch size larger than N as scikit-learn does).
    n_outputs : int, optional
        Network outputs K (``sklearn_alpha``, ``torch_weight_decay``, ``keras_l2``).
    momentum : float in [0, 1), default 0
        Classical momentum of the run.  Coupled schemes are unaffected; ``decay`` has
        no equivalent with momentum > 0.

    Returns
    -------
    float

    Raises
    ------
    LambdaContextError
        A scheme needs context that was not given.
    NoEquivalentLambdaError
        No λ makes the schemes equivalent (``decay`` with momentum, ``torch_adamw``).

    Warns
    -----
    SklearnLossMismatchWarning
        ``sklearn_alpha`` with several outputs (scikit-learn #8349).

    Examples
    --------
    >>> convert_lambda(0.01, "decay", "objective", lr=0.01)
    0.5
    >>> convert_lambda(0.5, "objective", "textbook_batch", batch_size=1)
    1.0
    """
    value = check_real(value, "value", low=0.0)
    for name, scheme in (("from_scheme", from_scheme), ("to_scheme", to_scheme)):
        if scheme not in SCHEMES:
            raise ValueError(f"{name} must be one of {list(SCHEMES)}, got {scheme!r}")
    ctx = _Context(
        lr=None if lr is None else check_real(lr, "lr", low=0.0, low_open=True),
        batch_size=None if batch_size is None else check_int(batch_size, "batch_size", low=1),
        n_samples=None if n_samples is None else check_int(n_samples, "n_samples", low=1),
        n_outputs=None if n_outputs is None else check_int(n_outputs, "n_outputs", low=1),
        momentum=check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True),
    )
    factors = [SCHEMES[from_scheme].factor(ctx), SCHEMES[to_scheme].factor(ctx)]
    for scheme, factor in zip((from_scheme, to_scheme), factors):
        if not (math.isfinite(factor) and factor > 0.0):
            raise ValueError(f"scheme {scheme!r}: one unit of its λ is λ_E = {factor!r} for {ctx}, "
                             "not a finite positive float64; the context is out of range")
    result = value * factors[0] / factors[1]
    if value > 0.0 and not (math.isfinite(result) and result > 0.0):
        # The product may have overflowed (underflowed) on the way to a representable λ:
        # take the exact quotient, correctly rounded, before calling it out of range.
        try:
            result = float(Fraction(value) * Fraction(factors[0]) / Fraction(factors[1]))
        except OverflowError:
            result = math.inf
    return _positive_result(result, value,
                            f"λ = {value!r} in {from_scheme!r} is λ = {{}} in {to_scheme!r} ({ctx})")


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


def lambda_table(lam=0.01, *, lr=0.01, batch_size=10, n_samples=120, n_outputs=3):
    """A markdown table of what one λ means in every scheme, computed by ``convert_lambda``.

    Columns: the scheme, its rule, the λ_E that ``lam`` typed into it amounts to, and
    the λ to type into it for λ_E = ``lam``.  README.md shows it for the defaults.
    """
    ctx = dict(lr=lr, batch_size=batch_size, n_samples=n_samples, n_outputs=n_outputs)
    rows = [
        f"Context: learning rate η = {lr:g}, m = {batch_size} items per update, "
        f"N = {n_samples} training items, K = {n_outputs} outputs, no momentum.",
        "",
        f"| scheme | what λ does | λ = {lam:g} means λ_E = | λ for λ_E = {lam:g} |",
        "|---|---|---|---|",
    ]
    for name, scheme in SCHEMES.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SklearnLossMismatchWarning)
                to_e = f"{convert_lambda(lam, name, 'objective', **ctx):.4g}"
                from_e = f"{convert_lambda(lam, 'objective', name, **ctx):.4g}"
        except NoEquivalentLambdaError:
            to_e = from_e = "no equivalent"
        rows.append(f"| `{name}` | {scheme.formula} | {to_e} | {from_e} |")
    return "\n".join(rows)
