"""The catalogue of λ conventions: one factor function per scheme, with the library
source that justifies it cited beside it, and ``SCHEMES``, their registry.

The package docstring (``swarmreg.lambdas``) tabulates them; ``_convert`` converts
between them.  Each factor raises ``NoEquivalentLambdaError`` where no λ_E exists before
it asks for the context (``ctx.need``) that only its number depends on.
"""

import dataclasses
import warnings

from ..error import LOSSES
from ._base import (LambdaContextError, NoEquivalentLambdaError, Scheme, SklearnLossMismatchWarning,
                    _positive_result)


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
    _check_even_batches(ctx, "textbook_batch")
    ctx.need("batch_size")
    return 1.0 / (2.0 * ctx.batch_size)


def _textbook_dataset(ctx):
    # Nielsen, "Neural Networks and Deep Learning", ch. 3, "Regularization": n is the size
    # of the training set, whatever the mini-batch size: 2ηλ_E = ηλ/N.
    ctx.need("n_samples")
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
    if ctx.optimizer == "sgd" and ctx.momentum > 0.0:
        value = ("" if ctx.lr is None
                 else f"= λ·{decay_fixed_point_lambda(1.0, ctx.lr, ctx.momentum):.6g} ")
        raise NoEquivalentLambdaError(
            "the 'decay' shortcut subtracts λ·w outside the momentum buffer (decoupled weight "
            "decay), so with momentum > 0 no λ_E gives the same trajectory as the gradient of E: "
            "the decay acts at once while the gradient term is smoothed over ~1/(1 − momentum) "
            "steps. Only a full-batch fixed point coincides, that of λ_E = λ(1 − momentum)/(2·lr) "
            f"{value}(decay_fixed_point_lambda); stochastic runs and the path to it differ."
        )
    _decoupled_sgd(ctx, "decay", "w ← w − step − λ·w_old")
    ctx.need("lr")
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
    return 2.0


def _nielsen_lmbda(ctx):
    # Nielsen, neural-networks-and-deep-learning, src/network2.py: QuadraticCost.fn =
    # 0.5*np.linalg.norm(a-y)**2, and Network.update_mini_batch:
    #   self.weights = [(1-eta*(lmbda/n))*w-(eta/len(mini_batch))*nw ...]; biases unshrunk,
    # with n = len(training_data).  That is the step on ½(MSE + (λ/N)Σw²) at η, i.e. ours on
    # E with λ_E = λ/N at η/2.  (Its CrossEntropyCost is the binary cross-entropy summed over
    # sigmoid outputs, not ours: only QuadraticCost is covered.)
    ctx.need("n_samples")
    return 1.0 / ctx.n_samples


def _sklearn_m(ctx, scheme):
    if ctx.batch_size is None and ctx.n_samples is None:
        raise LambdaContextError(
            "needs batch_size (solver 'sgd'/'adam') or n_samples "
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
    m = _sklearn_m(ctx, "sklearn_alpha")
    ctx.need("n_outputs")
    if ctx.n_outputs > 1:
        warnings.warn(
            f"with {ctx.n_outputs} outputs scikit-learn's MLPRegressor reports loss_ = ½·mean over "
            "items and outputs, but its gradient belongs to a function n_outputs times larger "
            "(scikit-learn issue #8349). The conversion follows the gradient, whose fixed point "
            "sgd/adam reach; loss_ is not this objective, and solver='lbfgs', which needs loss "
            "and gradient to agree, may stop early.",
            SklearnLossMismatchWarning,
            stacklevel=5,  # _sklearn_alpha ← _ask ← _factor ← convert_lambda ← its caller
        )
    return 1.0 / m


def _sklearn_mlpclassifier_alpha(ctx):
    # Same file: for MLPClassifier loss = log_loss (mean over items of −Σ_k t log y, softmax
    # or logistic output), deltas[last] = activations[-1] − y, plus the same α terms: the
    # gradient of CE + (α/(2m))Σw² (no ½ on the log-loss, unlike the squared error); with
    # solver="sgd" and momentum=0 its steps are ours at the same η (the tests check it), but
    # its defaults (Nesterov momentum 0.9, its own Adam, lbfgs) share only the optimum.
    return 1.0 / (2.0 * _sklearn_m(ctx, "sklearn_mlpclassifier_alpha"))


def _sklearn_ridge_alpha(ctx):
    # sklearn/linear_model/_ridge.py, Ridge docstring: minimizes ||y − Xw||²_2 + alpha·||w||²_2
    # (a sum over items; Frobenius norms for several targets), intercept unpenalized with
    # fit_intercept=True: divided by N, MSE + (α/N)‖w‖².
    ctx.need("n_samples")
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
    ctx.need("n_samples")
    return 1.0 / (2.0 * ctx.n_samples)


def _mean_over_outputs(ctx):
    """λ_E per unit of a coefficient c on ``(c/2)·Σθ²`` added to the library's mean loss."""
    if not LOSSES[ctx.loss].mean_divides_by_outputs:
        return 0.5  # CrossEntropyLoss / categorical_crossentropy average over items: ours
    ctx.need("n_outputs")
    return ctx.n_outputs / 2.0  # MSE/K + (c/2)Σθ² = (1/K)(MSE + (Kc/2)Σθ²)


def _mean_grad_scale(ctx):
    if not LOSSES[ctx.loss].mean_divides_by_outputs:
        return 1.0
    ctx.need("n_outputs")
    return 1.0 / ctx.n_outputs


def _torch_weight_decay(ctx):
    # torch/optim/sgd.py, _single_tensor_sgd: grad = grad.add(param, alpha=weight_decay),
    # before the momentum buffer (coupled L2, so momentum does not matter);
    # torch/nn/modules/loss.py: MSELoss(reduction="mean") divides by all N·K elements.
    # Objective MSE/K + (λ/2)Σθ² = (1/K)(MSE + (Kλ/2)Σθ²).  Exclude biases from
    # weight decay with a parameter group, or this equals include_biases=True.
    return _mean_over_outputs(ctx)


def _torch_adam_weight_decay(ctx):
    # torch/optim/adam.py (2.13), _single_tensor_adam, decoupled_weight_decay=False:
    # grad = grad.add(param, alpha=weight_decay) before the moments: the gradient of the
    # same objective as torch_weight_decay, fed to Adam.
    return _mean_over_outputs(ctx)


def _torch_adamw(ctx):
    _no_decoupled_adam("torch_adamw", "torch/optim/adam.py, _single_tensor_adam with "
                       "decoupled_weight_decay=True, which torch/optim/adamw.py's AdamW sets: "
                       "param.mul_(1 - lr * weight_decay)")


def _keras_l2(ctx):
    # keras/src/regularizers/regularizers.py, L2.__call__: self.l2 * ops.sum(ops.square(x));
    # keras/src/losses/losses.py, mean_squared_error: ops.mean(..., axis=-1), reduced with
    # "sum_over_batch_size"; keras/src/trainers/trainer.py, compute_loss adds self.losses
    # unscaled.  Objective MSE/K + λΣw² = (1/K)(MSE + KλΣw²).
    return 2.0 * _mean_over_outputs(ctx)


def _keras_weight_decay(ctx):
    # keras/src/optimizers/base_optimizer.py, BaseOptimizer._apply_weight_decay:
    #   variable.assign(variable - variable * wd * lr), before the optimizer's step on the
    # gradient taken at the old weights: decoupled, lr-scaled, d = ηλ at Keras' η.  With
    # plain SGD on the loss MSE/K that is our decay with d = ηλ at η/K: λ_E = d/(2η/K).
    # Exclude biases with optimizer.exclude_from_weight_decay(var_names=["bias"]).
    _decoupled_sgd(ctx, "keras_weight_decay", "BaseOptimizer._apply_weight_decay")
    return _mean_over_outputs(ctx)


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
    return _mean_over_outputs(ctx)


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
    ctx.need("target_std")
    return 1.0 / ctx.target_std


def _statsmodels_alpha(ctx):
    # statsmodels/regression/linear_model.py, OLS.fit_regularized: "0.5*RSS/n + alpha*((1-L1_wt)
    # *|params|_2^2/2 + L1_wt*|params|_1)"; with L1_wt=0 it solves the ridge system
    # (_fit_ridge: X'X + n·alpha·I): ½(MSE + α‖β‖²), λ_E = α.  statsmodels penalizes every
    # column, the constant too: give alpha as a vector with 0 at the constant.
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
               grad_scale=_HALF, loss="mse", loss_reason="halves a squared error"),
        Scheme("nielsen_lmbda", _nielsen_lmbda,
               "network2.py QuadraticCost: w ← (1 − ηλ/N)·w − η·∂C/∂w; our η = its η/2",
               "Nielsen, neural-networks-and-deep-learning, src/network2.py", optimizer=_SGD,
               grad_scale=_HALF, loss="mse", loss_reason="is network2.py's QuadraticCost"),
        Scheme("sklearn_alpha", _sklearn_alpha, "MLPRegressor(alpha=λ): loss + (α/2m)·Σw², grad/m",
               "sklearn/neural_network/_multilayer_perceptron.py", optimizer=_SKLEARN,
               grad_scale=_HALF, loss="mse", loss_reason="is MLPRegressor's squared error"),
        Scheme("sklearn_mlpclassifier_alpha", _sklearn_mlpclassifier_alpha,
               "MLPClassifier(alpha=λ): log-loss + (α/2m)·Σw²",
               "sklearn/neural_network/_multilayer_perceptron.py", optimizer=_SKLEARN,
               loss="cross_entropy", loss_reason="is MLPClassifier's log-loss"),
        Scheme("sklearn_ridge_alpha", _sklearn_ridge_alpha, "Ridge(alpha=λ): ‖y − Xw‖² + α‖w‖²",
               "sklearn/linear_model/_ridge.py", kind="solver",
               loss="mse", loss_reason="is least squares"),
        Scheme("sklearn_sgd_alpha", _sklearn_sgd_alpha,
               "SGDRegressor / SGDClassifier(log_loss) alpha: mean loss + (α/2)‖w‖²; "
               "learning_rate='optimal' also steps 1/(α(t + t0))",
               "sklearn/linear_model/_stochastic_gradient.py", optimizer=_SKLEARN),
        Scheme("sklearn_logistic_c", _sklearn_logistic_c,
               "LogisticRegression(C=λ): C·Σ log-loss + ½‖w‖² (λ_E = 1/(2CN))",
               "sklearn/linear_model/_logistic.py", kind="solver", inverse=True,
               loss="cross_entropy", loss_reason="is LogisticRegression's log-loss"),
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
               "glmnet vignette, family = gaussian", kind="solver",
               loss="mse", loss_reason="is covered for family='gaussian'"),
        Scheme("statsmodels_alpha", _statsmodels_alpha,
               "OLS.fit_regularized(alpha=λ, L1_wt=0): ½RSS/N + (α/2)‖β‖²",
               "statsmodels/regression/linear_model.py (fit_regularized)", kind="solver",
               loss="mse", loss_reason="is OLS's residual sum of squares"),
    )
}
