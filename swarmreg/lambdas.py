"""Translate the L2 constant λ between training conventions.

Every convention below minimizes, or steps like a minimizer of, the project's error

    E(θ) = D(θ) + λ_E · Σ w²,    D = MSE = (1/N) Σ_i Σ_k (y_ik − t_ik)²  (or the mean cross-entropy)

for one λ_E (docs/design.md §4, §5, §9), or for none.  Each scheme is described by one
number, ``λ_E per unit of its own λ`` (for ``sklearn_logistic_c``, whose C is an inverse
strength, ``λ_E·C``), and converting is a ratio of two such numbers:
``convert_lambda(v, a, b) = v · factor(a) / factor(b)``.  Where no λ_E makes a
convention equivalent to E, ``NoEquivalentLambdaError`` says why.

``lambda_equivalence(a, b)`` says what the conversion preserves:
``"same trajectory"`` (the two runs take the same steps, up to rounding, possibly at
a learning rate scaled by ``Equivalence.lr_factor``), ``"same optimum"`` (the same
stationary point of E along a different path: coupled L2 through Adam with another
gradient scale, through a library's own optimizer, or a solver), or ``"none"``.

Schemes (m = items per update, N = training-set size, η = learning rate, K = outputs;
D = MSE unless the scheme says cross-entropy):

=============================== ==================================================== ==================
scheme                          update of a weight / objective                       λ_E
=============================== ==================================================== ==================
``objective``                   minimize E; SGD ``w ← w − η(g + 2λw)``                λ
``textbook_batch``              ``w ← (1 − ηλ/m)w − ηg``, n read as m                 λ / (2m)
``textbook_dataset``            ``w ← (1 − ηλ/N)w − ηg``, n read as N                 λ / (2N)
``decay``                       ``w ← w − ηg − λ·w_old`` (plain SGD only)             λ / (2η)
``decoupled``                   ``w ← w − ηg − ηλ·w_old`` (plain SGD only)            λ / 2
``half_mse``                    minimize ½·MSE + λΣw² (``C = ½‖a − t‖²``)             2λ, at η/2
``nielsen_lmbda``               network2.py: ½-cost, ``w ← (1 − ηλ/N)w − η∂C/∂w``    λ / N, at η/2
``sklearn_alpha``               MLPRegressor ``alpha``                                α / m
``sklearn_mlpclassifier_alpha`` MLPClassifier ``alpha`` (cross-entropy)               α / (2m)
``sklearn_ridge_alpha``         ``Ridge(alpha)``: ‖y − Xw‖² + α‖w‖²                   α / N
``sklearn_sgd_alpha``           ``SGDRegressor`` / ``SGDClassifier(log_loss)`` α      α (MSE), α/2 (CE)
``sklearn_logistic_c``          ``LogisticRegression(C)`` (cross-entropy)             1 / (2CN)
``torch_weight_decay``          ``SGD(weight_decay=λ)`` + ``MSELoss()``               K·λ / 2 (CE: λ/2)
``torch_adam_weight_decay``     ``Adam(weight_decay=λ)`` + ``MSELoss()``              K·λ / 2 (CE: λ/2)
``torch_adamw``                 ``AdamW(weight_decay=λ)``                             none
``keras_l2``                    ``kernel_regularizer=L2(λ)`` + mean squared error     K·λ (CE: λ)
``keras_weight_decay``          optimizer ``weight_decay=λ`` (decoupled), SGD only    K·λ / 2 (CE: λ/2)
``optax_add_decayed_weights``   ``chain(add_decayed_weights(λ), sgd/adam)``           K·λ / 2 (CE: λ/2)
``optax_adamw``                 ``adamw(weight_decay=λ)``                             none
``glmnet_lambda``               ``glmnet(alpha=0, standardize=FALSE)``, gaussian     λ / s_y
``statsmodels_alpha``           ``OLS.fit_regularized(alpha, L1_wt=0)``              α
=============================== ==================================================== ==================

The torch, keras and optax rows assume the library's mean loss over all N·K elements
(``MSELoss()``, ``"mean_squared_error"``, ``jnp.mean((y − t)**2)``), whose gradient is
``g/K``; with a cross-entropy averaged over items it is ours.  s_y is the standard
deviation of the targets with the 1/N formula.
"""

import dataclasses
import math
import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from ._validation import check_choice, check_int, check_real

__all__ = [
    "convert_lambda",
    "lambda_equivalence",
    "decay_fixed_point_lambda",
    "lambda_table",
    "Equivalence",
    "SCHEMES",
    "NoEquivalentLambdaError",
    "LambdaContextError",
    "SklearnLossMismatchWarning",
]

OPTIMIZERS = ("sgd", "adam")
LOSSES = ("mse", "cross_entropy")
KINDS = ("same trajectory", "same optimum", "none")


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

    def need(self, scheme, *names):
        missing = [n for n in names if getattr(self, n) is None]
        if missing:
            raise LambdaContextError(f"scheme {scheme!r} needs {' and '.join(missing)}")


@dataclass(frozen=True)
class Scheme:
    """A λ convention.

    Attributes
    ----------
    name, formula, source : str
    factor : callable(ctx) -> float
        The λ_E that one unit of its λ amounts to (``λ_E·C`` when ``inverse``); raises
        ``NoEquivalentLambdaError`` where there is none.
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
    """

    name: str
    factor: Callable
    formula: str
    source: str
    kind: str = "coupled"
    optimizer: Callable = lambda ctx: ctx.optimizer
    grad_scale: Callable = lambda ctx: 1.0
    inverse: bool = False


@dataclass(frozen=True)
class Equivalence:
    """What converting λ between two schemes preserves.

    Attributes
    ----------
    kind : {"same trajectory", "same optimum", "none"}
        ``"same trajectory"``: the two runs take the same steps up to rounding, the
        second at ``lr_factor`` times the first's learning rate.  ``"same optimum"``:
        the same stationary point of E, a different path.  ``"none"``: no λ makes the
        two regularize alike; ``convert_lambda`` raises ``NoEquivalentLambdaError``.
    reason : str
    lr_factor : float or None
        Learning rate of ``to`` per unit of that of ``from`` for the same trajectory
        (2 from ``objective`` to ``half_mse``: the ½-cost needs twice the step); None
        unless ``kind == "same trajectory"``.
    """

    kind: str
    reason: str
    lr_factor: float = None

    def __str__(self):
        return f"{self.kind}: {self.reason}"


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


def _need_loss(ctx, scheme, why, loss):
    if ctx.loss != loss:
        raise NoEquivalentLambdaError(
            f"'{scheme}' {why}, so it regularizes a {loss} objective; with loss={ctx.loss!r} "
            "E is a different function and no λ_E relates the two"
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


def _no_decoupled_adam(scheme, where):
    raise NoEquivalentLambdaError(
        f"'{scheme}' shrinks the weights outside Adam's adaptive step ({where}); at its fixed "
        "point the weights satisfy m̂/(√v̂ + ε) = −(shrink per unit of η)·w, a gradient rescaled "
        "coordinate by coordinate by its own √v̂, which is not the stationarity condition of "
        "D + λ_E·Σw² for any λ_E (Loshchilov & Hutter, arXiv 1711.05101)"
    )


def _decoupled_sgd(ctx, scheme, where):
    """λ_E per unit of ``decay``'s λ (d = λ) for a shrink outside the step: 1/(2η)."""
    if ctx.optimizer == "adam":
        _no_decoupled_adam(scheme, where)
    if ctx.momentum > 0.0:
        raise NoEquivalentLambdaError(
            f"'{scheme}' subtracts its shrink outside the momentum buffer (decoupled weight "
            "decay), so with momentum > 0 no λ_E gives the same trajectory as the gradient of E: "
            "the decay acts at once while the gradient term is smoothed over ~1/(1 − momentum) "
            "steps. Only a full-batch fixed point coincides: for a shrink d·w per step, that of "
            "λ_E = d(1 − momentum)/(2·lr) (decay_fixed_point_lambda); stochastic runs and the "
            "path to it differ."
        )


def _decay(ctx):
    ctx.need("decay", "lr")
    if ctx.optimizer == "sgd" and ctx.momentum > 0.0:
        raise NoEquivalentLambdaError(
            "the 'decay' shortcut subtracts λ·w outside the momentum buffer (decoupled weight "
            "decay), so with momentum > 0 no λ_E gives the same trajectory as the gradient of E: "
            "the decay acts at once while the gradient term is smoothed over ~1/(1 − momentum) "
            "steps. Only a full-batch fixed point coincides, that of λ_E = λ(1 − momentum)/(2·lr) "
            f"= λ·{decay_fixed_point_lambda(1.0, ctx.lr, ctx.momentum):.6g} "
            "(decay_fixed_point_lambda); stochastic runs and the path to it differ."
        )
    _decoupled_sgd(ctx, "decay", "w ← w − step − λ·w_old")
    # w ← w − ηg − λw is the SGD step on E with 2ηλ_E = λ.
    return 1.0 / (2.0 * ctx.lr)


def _decoupled(ctx):
    # w ← w − ηg − ηλw (SGDW; the decay of AdamW and of Keras 3 optimizers, both lr-scaled)
    # is decay with d = ηλ: 2ηλ_E = ηλ.
    _decoupled_sgd(ctx, "decoupled", "w ← w − ηλ·w_old − step")
    return 0.5


def _half_mse(ctx):
    # C = (1/N) Σ ½‖a − t‖² + λΣw² = ½(MSE + 2λΣw²): λ_E = 2λ, and the gradient is half
    # ours, so its step at η is ours at η/2.
    _need_loss(ctx, "half_mse", "halves a squared error", "mse")
    return 2.0


def _nielsen_lmbda(ctx):
    # Nielsen, neural-networks-and-deep-learning, src/network2.py: QuadraticCost.fn =
    # 0.5*np.linalg.norm(a-y)**2, and Network.update_mini_batch:
    #   self.weights = [(1-eta*(lmbda/n))*w-(eta/len(mini_batch))*nw ...]; biases unshrunk,
    # with n = len(training_data).  That is the step on ½(MSE + (λ/N)Σw²) at η, i.e. ours on
    # E with λ_E = λ/N at η/2.  (Its CrossEntropyCost is the binary cross-entropy summed over
    # sigmoid outputs, not ours: only QuadraticCost is covered.)
    _need_loss(ctx, "nielsen_lmbda", "is network2.py's QuadraticCost", "mse")
    ctx.need("nielsen_lmbda", "n_samples")
    return 1.0 / ctx.n_samples


def _sklearn_m(ctx, scheme):
    if ctx.batch_size is None and ctx.n_samples is None:
        raise LambdaContextError(
            f"scheme {scheme!r} needs batch_size (solver 'sgd'/'adam') or n_samples "
            "(solver 'lbfgs', which uses the whole training set)"
        )
    m = ctx.batch_size if ctx.n_samples is None else min(ctx.batch_size or ctx.n_samples, ctx.n_samples)
    _check_even_batches(dataclasses.replace(ctx, batch_size=m), scheme)
    return m


def _sklearn_alpha(ctx):
    # sklearn/neural_network/_multilayer_perceptron.py (1.9), _backprop/_compute_loss_grad:
    #   loss += (0.5 * self.alpha) * values / n_samples
    #   coef_grads[layer] += self.alpha * self.coefs_[layer]; coef_grads[layer] /= n_samples
    #   deltas[last] = activations[-1] - y
    # so the gradient is that of (1/(2m)) Σ_i Σ_k (y − t)² + α/(2m) Σ w² = ½(MSE + (α/m) Σ w²),
    # with m = the batch of the update: batch_size (clipped to N) for sgd/adam, N for lbfgs.
    # Intercepts are not penalized.
    _need_loss(ctx, "sklearn_alpha", "is MLPRegressor's squared error", "mse")
    ctx.need("sklearn_alpha", "n_outputs")
    m = _sklearn_m(ctx, "sklearn_alpha")
    if ctx.n_outputs > 1:
        warnings.warn(
            f"with {ctx.n_outputs} outputs scikit-learn's MLPRegressor reports loss_ = ½·mean over "
            "items and outputs, but its gradient belongs to a function n_outputs times larger "
            "(scikit-learn issue #8349). The conversion follows the gradient, whose fixed point "
            "sgd/adam reach; loss_ is not this objective, and solver='lbfgs', which needs loss "
            "and gradient to agree, may stop early.",
            SklearnLossMismatchWarning,
            stacklevel=4,
        )
    return 1.0 / m


def _sklearn_mlpclassifier_alpha(ctx):
    # Same file: for MLPClassifier loss = log_loss (mean over items of −Σ_k t log y, softmax
    # or logistic output), deltas[last] = activations[-1] − y, plus the same α terms: the
    # gradient of CE + (α/(2m))Σw² (no ½ on the log-loss, unlike the squared error); with
    # solver="sgd" and momentum=0 its steps are ours at the same η (the tests check it), but
    # its defaults (Nesterov momentum 0.9, its own Adam, lbfgs) share only the optimum.
    _need_loss(ctx, "sklearn_mlpclassifier_alpha", "is MLPClassifier's log-loss", "cross_entropy")
    return 1.0 / (2.0 * _sklearn_m(ctx, "sklearn_mlpclassifier_alpha"))


def _sklearn_ridge_alpha(ctx):
    # sklearn/linear_model/_ridge.py, Ridge docstring: minimizes ||y − Xw||²_2 + alpha·||w||²_2
    # (a sum over items; Frobenius norms for several targets), intercept unpenalized with
    # fit_intercept=True: divided by N, MSE + (α/N)‖w‖².
    _need_loss(ctx, "sklearn_ridge_alpha", "is least squares", "mse")
    ctx.need("sklearn_ridge_alpha", "n_samples")
    return 1.0 / ctx.n_samples


def _sklearn_sgd_alpha(ctx):
    # sklearn/linear_model/_stochastic_gradient.py and the SGD user guide: objective
    # (1/n) Σ L(y_i, f(x_i)) + α·R(w) with R = ½‖w‖² (penalty="l2"); SGDRegressor's
    # squared_error is L = ½(y − f)² (_sgd_fast SquaredLoss), so ½(MSE + α‖w‖²): λ_E = α;
    # SGDClassifier(loss="log_loss") is L = log(1 + exp(−y f)), the binary cross-entropy of
    # one logistic output: CE + (α/2)‖w‖², λ_E = α/2.  One output; intercept unpenalized.
    # With learning_rate="constant" (eta0 = η) its per-item step w ← (1 − ηα)w − η(p − y)x
    # (_sgd_fast.pyx, _plain_sgd) is our online step at η/2; with the default "invscaling"
    # η changes every step, and with "optimal" it is η_t = 1/(α(t + t0)): α then also sets
    # the step size, so changing α changes the path as well as the optimum.
    if ctx.n_outputs is not None and ctx.n_outputs > 1:
        raise NoEquivalentLambdaError("SGDRegressor/SGDClassifier fit one output (one-vs-rest "
                                      "classifiers are K separate problems); got n_outputs > 1")
    return 1.0 if ctx.loss == "mse" else 0.5


def _sklearn_logistic_c(ctx):
    # sklearn/linear_model/_logistic.py (1.x), _logistic_regression_path: l2_reg_strength =
    # 1.0 / (C * sw_sum) on LinearModelLoss, whose loss is the mean over items; i.e. the
    # documented C·Σ_i ℓ_i + ½‖W‖² divided by C·N: CE + (1/(2CN))‖W‖², intercept unpenalized.
    # λ_E = 1/(2CN): the factor is λ_E·C.
    _need_loss(ctx, "sklearn_logistic_c", "is LogisticRegression's log-loss", "cross_entropy")
    ctx.need("sklearn_logistic_c", "n_samples")
    return 1.0 / (2.0 * ctx.n_samples)


def _mean_over_outputs(ctx, scheme):
    """λ_E per unit of a coefficient c on ``(c/2)·Σθ²`` added to the library's mean loss."""
    if ctx.loss == "cross_entropy":
        return 0.5  # CrossEntropyLoss / categorical_crossentropy average over items: ours
    ctx.need(scheme, "n_outputs")
    return ctx.n_outputs / 2.0  # MSE/K + (c/2)Σθ² = (1/K)(MSE + (Kc/2)Σθ²)


def _mean_grad_scale(ctx):
    return 1.0 if ctx.loss == "cross_entropy" else 1.0 / ctx.n_outputs


def _torch_weight_decay(ctx):
    # torch/optim/sgd.py, _single_tensor_sgd: grad = grad.add(param, alpha=weight_decay),
    # before the momentum buffer (coupled L2, so momentum does not matter);
    # torch/nn/modules/loss.py: MSELoss(reduction="mean") divides by all N·K elements.
    # Objective MSE/K + (λ/2)Σθ² = (1/K)(MSE + (Kλ/2)Σθ²).  Exclude biases from
    # weight decay with a parameter group, or this equals include_biases=True.
    return _mean_over_outputs(ctx, "torch_weight_decay")


def _torch_adam_weight_decay(ctx):
    # torch/optim/adam.py (2.13), _single_tensor_adam, decoupled_weight_decay=False:
    # grad = grad.add(param, alpha=weight_decay) before the moments: the gradient of the
    # same objective as torch_weight_decay, fed to Adam.
    return _mean_over_outputs(ctx, "torch_adam_weight_decay")


def _torch_adamw(ctx):
    _no_decoupled_adam("torch_adamw", "torch/optim/adam.py, _single_tensor_adam with "
                       "decoupled_weight_decay=True, which torch/optim/adamw.py's AdamW sets: "
                       "param.mul_(1 - lr * weight_decay)")


def _keras_l2(ctx):
    # keras/src/regularizers/regularizers.py, L2.__call__: self.l2 * ops.sum(ops.square(x));
    # keras/src/losses/losses.py, mean_squared_error: ops.mean(..., axis=-1), reduced with
    # "sum_over_batch_size"; keras/src/trainers/trainer.py, compute_loss adds self.losses
    # unscaled.  Objective MSE/K + λΣw² = (1/K)(MSE + KλΣw²).
    return 2.0 * _mean_over_outputs(ctx, "keras_l2")


def _keras_weight_decay(ctx):
    # keras/src/optimizers/base_optimizer.py, BaseOptimizer._apply_weight_decay:
    #   variable.assign(variable - variable * wd * lr), before the optimizer's step on the
    # gradient taken at the old weights: decoupled, lr-scaled, d = ηλ at Keras' η.  With
    # plain SGD on the loss MSE/K that is our decay with d = ηλ at η/K: λ_E = d/(2η/K).
    # Exclude biases with optimizer.exclude_from_weight_decay(var_names=["bias"]).
    _decoupled_sgd(ctx, "keras_weight_decay", "BaseOptimizer._apply_weight_decay")
    return _mean_over_outputs(ctx, "keras_weight_decay")


def _keras_optimizer(ctx):
    # keras/src/optimizers/adam.py, Adam.update_step: alpha = lr·√(1 − β2^t)/(1 − β1^t),
    # variable −= m·alpha/(√v + ε): ε is added before the bias correction, unlike torch
    # (and ours), so Keras' Adam takes slightly different steps.
    return "sgd" if ctx.optimizer == "sgd" else "keras adam"


def _optax_add_decayed_weights(ctx):
    # optax/transforms/_adding.py, add_decayed_weights: updates + weight_decay * params;
    # chained before optax.sgd / optax.adam (optax/_src/alias.py) it is part of the gradient
    # (coupled).  scale_by_adam: mu_hat / (sqrt(nu_hat + eps_root) + eps), eps_root = 0,
    # the same as torch's Adam.  With the loss jnp.mean((y − t)**2) over all N·K elements
    # the objective is that of torch_weight_decay.  Mask the biases out (mask=...).
    return _mean_over_outputs(ctx, "optax_add_decayed_weights")


def _optax_adamw(ctx):
    _no_decoupled_adam("optax_adamw", "optax/_src/alias.py, adamw: chain(scale_by_adam, "
                       "add_decayed_weights(weight_decay, mask), scale_by_learning_rate), the "
                       "decay added after Adam's rescaling")


def _glmnet_lambda(ctx):
    # glmnet (R) vignette, "Linear Regression: family = gaussian": objective
    # (1/(2N)) Σ (y − β0 − xβ)² + λ[(1 − α)/2 ‖β‖² + α‖β‖₁]; with α = 0 that is
    # ½(MSE + λ‖β‖²).  But for gaussian glmnet standardizes y by s_y (1/N formula) and
    # divides the λ it is given by s_y too ("glmnet standardizes y to have unit variance
    # before computing its lambda sequence (and then unstandardizes the resulting
    # coefficients)"): the β it returns minimizes (1/(2N))‖y − Xβ‖² + (λ/(2 s_y))‖β‖², so
    # λ_E = λ/s_y.  standardize=FALSE, or the penalty acts on standardized coefficients.
    _need_loss(ctx, "glmnet_lambda", "is covered for family='gaussian'", "mse")
    ctx.need("glmnet_lambda", "target_std")
    return 1.0 / ctx.target_std


def _statsmodels_alpha(ctx):
    # statsmodels/regression/linear_model.py, OLS.fit_regularized: "0.5*RSS/n + alpha*((1-L1_wt)
    # *|params|_2^2/2 + L1_wt*|params|_1)"; with L1_wt=0 it solves the ridge system
    # (_fit_ridge: X'X + n·alpha·I): ½(MSE + α‖β‖²), λ_E = α.  statsmodels penalizes every
    # column, the constant too: give alpha as a vector with 0 at the constant.
    _need_loss(ctx, "statsmodels_alpha", "is OLS's residual sum of squares", "mse")
    return 1.0


_SKLEARN = lambda ctx: "sklearn"  # noqa: E731  scikit-learn's own solvers, not ours
_ADAM = lambda ctx: "adam"  # noqa: E731
_SGD = lambda ctx: "sgd"  # noqa: E731
_HALF = lambda ctx: 0.5  # noqa: E731

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
               "the shortcut in many codebases; docs/design.md §4", kind="decoupled"),
        Scheme("decoupled", _decoupled, "w ← w − η·g − ηλ·w_old (SGDW)",
               "Loshchilov & Hutter, arXiv 1711.05101", kind="decoupled"),
        Scheme("half_mse", _half_mse, "minimize ½·MSE + λ·Σw² (C = ½‖a − t‖²); our η = its η/2",
               "Nielsen, network2.py QuadraticCost; scikit-learn's ½ squared loss",
               grad_scale=_HALF),
        Scheme("nielsen_lmbda", _nielsen_lmbda,
               "network2.py QuadraticCost: w ← (1 − ηλ/N)·w − η·∂C/∂w; our η = its η/2",
               "Nielsen, neural-networks-and-deep-learning, src/network2.py", optimizer=_SGD,
               grad_scale=_HALF),
        Scheme("sklearn_alpha", _sklearn_alpha, "MLPRegressor(alpha=λ): loss + (α/2m)·Σw², grad/m",
               "sklearn/neural_network/_multilayer_perceptron.py", optimizer=_SKLEARN,
               grad_scale=_HALF),
        Scheme("sklearn_mlpclassifier_alpha", _sklearn_mlpclassifier_alpha,
               "MLPClassifier(alpha=λ): log-loss + (α/2m)·Σw²",
               "sklearn/neural_network/_multilayer_perceptron.py", optimizer=_SKLEARN),
        Scheme("sklearn_ridge_alpha", _sklearn_ridge_alpha, "Ridge(alpha=λ): ‖y − Xw‖² + α‖w‖²",
               "sklearn/linear_model/_ridge.py", kind="solver"),
        Scheme("sklearn_sgd_alpha", _sklearn_sgd_alpha,
               "SGDRegressor / SGDClassifier(log_loss) alpha: mean loss + (α/2)‖w‖²; "
               "learning_rate='optimal' also steps 1/(α(t + t0))",
               "sklearn/linear_model/_stochastic_gradient.py", optimizer=_SKLEARN),
        Scheme("sklearn_logistic_c", _sklearn_logistic_c,
               "LogisticRegression(C=λ): C·Σ log-loss + ½‖w‖² (λ_E = 1/(2CN))",
               "sklearn/linear_model/_logistic.py", kind="solver", inverse=True),
        Scheme("torch_weight_decay", _torch_weight_decay, "SGD(weight_decay=λ) with MSELoss(mean)",
               "torch/optim/sgd.py, torch/nn/modules/loss.py", optimizer=_SGD,
               grad_scale=_mean_grad_scale),
        Scheme("torch_adam_weight_decay", _torch_adam_weight_decay,
               "Adam(weight_decay=λ) with MSELoss(mean): coupled L2 through Adam",
               "torch/optim/adam.py (_single_tensor_adam)", optimizer=_ADAM,
               grad_scale=_mean_grad_scale),
        Scheme("torch_adamw", _torch_adamw, "AdamW(weight_decay=λ): decoupled, adaptive",
               "torch/optim/adamw.py, torch/optim/adam.py", kind="decoupled", optimizer=_ADAM),
        Scheme("keras_l2", _keras_l2, "kernel_regularizer=L2(λ) with mean squared error",
               "keras/src/regularizers/regularizers.py, keras/src/losses/losses.py",
               optimizer=_keras_optimizer, grad_scale=_mean_grad_scale),
        Scheme("keras_weight_decay", _keras_weight_decay,
               "optimizer weight_decay=λ: w ← w − ηλ·w outside the step",
               "keras/src/optimizers/base_optimizer.py (_apply_weight_decay)", kind="decoupled",
               optimizer=_keras_optimizer, grad_scale=_mean_grad_scale),
        Scheme("optax_add_decayed_weights", _optax_add_decayed_weights,
               "chain(add_decayed_weights(λ), sgd/adam) with a mean loss",
               "optax/transforms/_adding.py, optax/_src/alias.py", grad_scale=_mean_grad_scale),
        Scheme("optax_adamw", _optax_adamw, "adamw(weight_decay=λ): decoupled, adaptive",
               "optax/_src/alias.py (adamw)", kind="decoupled", optimizer=_ADAM),
        Scheme("glmnet_lambda", _glmnet_lambda,
               "glmnet(alpha=0, standardize=FALSE), gaussian: ½(MSE + (λ/s_y)‖β‖²)",
               "glmnet vignette, family = gaussian", kind="solver"),
        Scheme("statsmodels_alpha", _statsmodels_alpha,
               "OLS.fit_regularized(alpha=λ, L1_wt=0): ½RSS/N + (α/2)‖β‖²",
               "statsmodels/regression/linear_model.py (fit_regularized)", kind="solver"),
    )
}


def _context(lr, batch_size, n_samples, n_outputs, momentum, optimizer, loss, target_std):
    ctx = _Context(
        lr=None if lr is None else check_real(lr, "lr", low=0.0, low_open=True),
        batch_size=None if batch_size is None else check_int(batch_size, "batch_size", low=1),
        n_samples=None if n_samples is None else check_int(n_samples, "n_samples", low=1),
        n_outputs=None if n_outputs is None else check_int(n_outputs, "n_outputs", low=1),
        momentum=check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True),
        optimizer=check_choice(optimizer, "optimizer", OPTIMIZERS),
        loss=check_choice(loss, "loss", LOSSES),
        target_std=(None if target_std is None
                    else check_real(target_std, "target_std", low=0.0, low_open=True)),
    )
    if ctx.optimizer == "adam" and ctx.momentum != 0.0:
        raise ValueError(f"momentum is SGD's; Adam's is its β1 (got momentum={ctx.momentum} "
                         "with optimizer='adam')")
    return ctx


def _check_schemes(from_scheme, to_scheme):
    for name, scheme in (("from_scheme", from_scheme), ("to_scheme", to_scheme)):
        if scheme not in SCHEMES:
            raise ValueError(f"{name} must be one of {list(SCHEMES)}, got {scheme!r}")


def convert_lambda(value, from_scheme, to_scheme, *, lr=None, batch_size=None, n_samples=None,
                   n_outputs=None, momentum=0.0, optimizer="sgd", loss="mse", target_std=None):
    """The λ of ``to_scheme`` that regularizes exactly as ``value`` does in ``from_scheme``.

    "Exactly" is what ``lambda_equivalence`` reports: for plain SGD the converted
    back-prop rules (``objective``, both ``textbook`` readings, ``decay``,
    ``decoupled``) take the same steps (the same trajectory up to rounding); coupled
    library schemes follow a multiple of the same gradient (step η/K for
    ``torch_weight_decay`` and ``keras_l2``, η/2 for the ½-costs), solvers share the
    minimizer of ``E = D + λ_E·Σw²``.  See the module docstring for each scheme's
    formula and source.

    Parameters
    ----------
    value : float
        λ ≥ 0 in ``from_scheme``'s convention (C > 0 for ``sklearn_logistic_c``).
    from_scheme, to_scheme : str
        Keys of ``SCHEMES`` (``"objective"`` is λ_E, what PSO uses).
    lr : float, optional
        Learning rate η of our run (``decay``).
    batch_size : int, optional
        Items per update m (``textbook_batch``; scikit-learn MLPs with sgd/adam).
    n_samples : int, optional
        Training-set size N (``textbook_dataset``, ``nielsen_lmbda``, ``sklearn_ridge_alpha``,
        ``sklearn_logistic_c``; scikit-learn MLPs with lbfgs, and to clip a batch size
        larger than N as scikit-learn does).
    n_outputs : int, optional
        Network outputs K (scikit-learn MLPs; torch, keras and optax with the squared error).
    momentum : float in [0, 1), default 0
        Classical momentum of an SGD run.  Coupled schemes are unaffected; ``decay``,
        ``decoupled`` and ``keras_weight_decay`` have no equivalent with momentum > 0.
    optimizer : {"sgd", "adam"}, default "sgd"
        The optimizer of the runs, for schemes that work with either (ours, Keras,
        optax).  The decoupled schemes have no equivalent with Adam.
    loss : {"mse", "cross_entropy"}, default "mse"
        The data error D of the runs (several schemes exist for one of them only).
    target_std : float, optional
        s_y, the standard deviation of the targets with the 1/N formula (``glmnet_lambda``).

    Returns
    -------
    float

    Raises
    ------
    LambdaContextError
        A scheme needs context that was not given.
    NoEquivalentLambdaError
        No λ makes the schemes equivalent (``lambda_equivalence`` gives kind "none").

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
    >>> convert_lambda(1.0, "sklearn_ridge_alpha", "objective", n_samples=120)  # α/N
    0.008333333333333333
    """
    value = check_real(value, "value", low=0.0)
    _check_schemes(from_scheme, to_scheme)
    ctx = _context(lr, batch_size, n_samples, n_outputs, momentum, optimizer, loss, target_std)
    a, b = SCHEMES[from_scheme], SCHEMES[to_scheme]
    fa, fb = a.factor(ctx), b.factor(ctx)
    for scheme, factor in ((from_scheme, fa), (to_scheme, fb)):
        if not (math.isfinite(factor) and factor > 0.0):
            raise ValueError(f"scheme {scheme!r}: one unit of its λ is λ_E = {factor!r} for {ctx}, "
                             "not a finite positive float64; the context is out of range")
    if a.inverse and value == 0.0:
        raise ValueError(f"value must be > 0 for {from_scheme!r} (an inverse strength C), got 0.0")
    if value == 0.0:  # no regularization: λ = 0, or C = inf for an inverse strength
        return math.inf if b.inverse else 0.0
    lam_E = fa / value if a.inverse else value * fa
    result = fb / lam_E if b.inverse else lam_E / fb
    if not (math.isfinite(result) and result > 0.0):
        # A step may have overflowed (underflowed) on the way to a representable λ: take
        # the exact quotient, correctly rounded, before calling it out of range.
        exact = Fraction(fa) / Fraction(value) if a.inverse else Fraction(value) * Fraction(fa)
        exact = Fraction(fb) / exact if b.inverse else exact / Fraction(fb)
        try:
            result = float(exact)
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


def _side(scheme, ctx):
    """(optimizer, grad scale) of one side; its factor first, which raises where there is none."""
    scheme.factor(ctx)
    return scheme.optimizer(ctx), scheme.grad_scale(ctx)


def lambda_equivalence(from_scheme, to_scheme, *, lr=None, batch_size=None, n_samples=None,
                       n_outputs=None, momentum=0.0, optimizer="sgd", loss="mse", target_std=None):
    """What ``convert_lambda(·, from_scheme, to_scheme, ...)`` preserves, and why.

    - ``"none"``: a scheme has no λ_E in this context (decoupled decay with Adam, or
      with momentum; a library fitting another loss; uneven batches for ``textbook_batch``).
    - ``"same optimum"``: a solver (no path at all), different optimizers (scikit-learn's
      own, Keras' Adam, SGD versus Adam), or Adam fed gradients of different scales (its
      step is scale-free except through ε): the same stationary point of E.
    - ``"same trajectory"``: the same optimizer on proportional gradients: the same steps
      up to rounding when ``to`` runs at ``lr_factor`` times ``from``'s learning rate.

    Parameters are those of ``convert_lambda``.

    Returns
    -------
    Equivalence

    Raises
    ------
    LambdaContextError
        A scheme needs context that was not given.

    Examples
    --------
    >>> lambda_equivalence("torch_adamw", "objective", optimizer="adam").kind
    'none'
    >>> lambda_equivalence("objective", "half_mse").lr_factor
    2.0
    """
    _check_schemes(from_scheme, to_scheme)
    ctx = _context(lr, batch_size, n_samples, n_outputs, momentum, optimizer, loss, target_std)
    a, b = SCHEMES[from_scheme], SCHEMES[to_scheme]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SklearnLossMismatchWarning)
            (opt_a, scale_a), (opt_b, scale_b) = _side(a, ctx), _side(b, ctx)
    except NoEquivalentLambdaError as err:
        return Equivalence("none", str(err))
    solvers = [s.name for s in (a, b) if s.kind == "solver"]
    if solvers:
        return Equivalence("same optimum", f"{' and '.join(solvers)} "
                           f"{'hands its objective' if len(solvers) == 1 else 'hand their objectives'}"
                           " to a solver: only the minimizer of E is shared, not a path")
    if opt_a != opt_b:
        return Equivalence("same optimum", f"'{from_scheme}' steps with {opt_a} and "
                           f"'{to_scheme}' with {opt_b}: both follow the gradient of E to its "
                           "stationary points, along different paths")
    if opt_a == "adam" and scale_a != scale_b:
        return Equivalence("same optimum", f"both go through Adam, but on gradients of scales "
                           f"{scale_a:g} and {scale_b:g}: Adam's step m̂/(√v̂ + ε) forgets the "
                           "scale except through ε, so the paths differ slightly; the "
                           "stationary points of E are shared")
    factor = scale_a / scale_b
    return Equivalence("same trajectory", f"both take {opt_a} steps along proportional "
                       f"gradients: '{to_scheme}' at {factor:g}× the learning rate of "
                       f"'{from_scheme}' takes the same steps", lr_factor=factor)
#: Context the table gives schemes defined for one loss or one output only.
_TABLE_CONTEXT = {
    "sklearn_mlpclassifier_alpha": dict(loss="cross_entropy"),
    "sklearn_logistic_c": dict(loss="cross_entropy"),
    "sklearn_sgd_alpha": dict(n_outputs=1),
}


def lambda_table(lam=0.01, *, lr=0.01, batch_size=10, n_samples=120, n_outputs=3, target_std=1.0):
    """A markdown table of what one λ means in every scheme, computed by ``convert_lambda``.

    Columns: the scheme, its rule, the λ_E that ``lam`` typed into it amounts to, the
    λ to type into it for λ_E = ``lam`` (with plain SGD where the scheme lets us choose),
    and what the conversion to ``objective`` preserves with SGD and with Adam
    (``lambda_equivalence``).  Schemes defined for the cross-entropy only are converted
    with ``loss="cross_entropy"`` (marked CE).  README.md shows it for the defaults.
    """
    ctx = dict(lr=lr, batch_size=batch_size, n_samples=n_samples, n_outputs=n_outputs,
               target_std=target_std)
    rows = [
        f"Context: learning rate η = {lr:g}, m = {batch_size} items per update, "
        f"N = {n_samples} training items, K = {n_outputs} outputs, s_y = {target_std:g}, "
        "no momentum; CE: with loss=\"cross_entropy\" (the scheme's only loss); K = 1: "
        "a one-output scheme.",
        "",
        f"| scheme | what λ does | λ = {lam:g} means λ_E = | λ for λ_E = {lam:g} "
        "| with SGD | with Adam |",
        "|---|---|---|---|---|---|",
    ]
    for name, scheme in SCHEMES.items():
        kw = dict(ctx, **_TABLE_CONTEXT.get(name, {}))
        note = " (CE)" if kw.get("loss") == "cross_entropy" else " (K = 1)" if name in _TABLE_CONTEXT else ""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SklearnLossMismatchWarning)
                to_e = f"{convert_lambda(lam, name, 'objective', **kw):.4g}"
                from_e = f"{convert_lambda(lam, 'objective', name, **kw):.4g}"
        except NoEquivalentLambdaError:
            to_e = from_e = "no equivalent"
        to_e, from_e = to_e + note, from_e + note
        kinds = [lambda_equivalence(name, "objective", optimizer=opt, **kw).kind
                 for opt in OPTIMIZERS]
        rows.append(f"| `{name}` | {scheme.formula} | {to_e} | {from_e} | {kinds[0]} | {kinds[1]} |")
    return "\n".join(rows)
