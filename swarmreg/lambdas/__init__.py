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

A scheme defined for one data error only (the ½-MSE ones, Ridge, glmnet and statsmodels
for the MSE; ``sklearn_logistic_c`` and ``sklearn_mlpclassifier_alpha`` for the
cross-entropy) is converted with it when no ``loss`` is given; with another loss it has
no equivalent.

The package keeps the catalogue apart from the engine: ``_base`` holds what both share
(the context, ``Scheme``, ``Equivalence`` and its ``KINDS``, the errors), ``_schemes`` one
factor function per scheme with the library source it follows, and ``SCHEMES``;
``_convert`` validates the context and converts, compares and tabulates.
"""

from ._base import (KINDS, OPTIMIZERS, Equivalence, LambdaContextError, NoEquivalentLambdaError,
                    Scheme, SklearnLossMismatchWarning)
from ._base import _Context  # noqa: F401  private: to evaluate a SCHEMES[...].factor by hand
from ._convert import convert_lambda, lambda_equivalence, lambda_table
from ._schemes import SCHEMES, decay_fixed_point_lambda

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
    "Scheme",
    "KINDS",
    "OPTIMIZERS",
]
