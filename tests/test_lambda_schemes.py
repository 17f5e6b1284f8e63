"""lambda_equivalence and the library conventions added for Adam, Keras 3, optax,
scikit-learn's linear models, glmnet, statsmodels and the ½-costs (factors derived by hand
from the sources cited in swarmreg/lambdas/_schemes.py)."""

import itertools
import math
import warnings

import pytest

import swarmreg as sr
from swarmreg.cli import main


@pytest.mark.parametrize(
    "value, scheme, context, lam_E",
    [
        (0.04, "decoupled", {}, 0.02),  # d = ηλ: λ_E = ηλ/(2η)
        (0.1, "half_mse", {}, 0.2),  # ½MSE + λΣw² = ½(MSE + 2λΣw²)
        (3.0, "nielsen_lmbda", dict(n_samples=60), 0.05),  # λ/N
        (0.02, "sklearn_mlpclassifier_alpha", dict(n_samples=40, loss="cross_entropy"), 0.02 / 80),
        (2.0, "sklearn_ridge_alpha", dict(n_samples=40), 0.05),
        (0.02, "sklearn_sgd_alpha", {}, 0.02),  # squared_error ½(y − f)², R = ½‖w‖²
        (0.02, "sklearn_sgd_alpha", dict(loss="cross_entropy"), 0.01),  # log_loss
        (5e-4, "torch_adam_weight_decay", dict(n_outputs=3), 7.5e-4),  # Kλ/2
        (5e-4, "torch_weight_decay", dict(loss="cross_entropy"), 2.5e-4),  # λ/2
        (0.01, "keras_l2", dict(loss="cross_entropy"), 0.01),
        (0.01, "keras_weight_decay", dict(n_outputs=2), 0.01),  # Kλ/2
        (0.01, "optax_add_decayed_weights", dict(n_outputs=4), 0.02),
        (0.3, "glmnet_lambda", dict(target_std=1.5), 0.2),  # λ/s_y
        (0.03, "statsmodels_alpha", {}, 0.03),
    ],
)
def test_known_conversions_to_lambda_E(value, scheme, context, lam_E):
    assert sr.convert_lambda(value, scheme, "objective", **context) == pytest.approx(lam_E, rel=1e-15)
    assert sr.convert_lambda(lam_E, "objective", scheme, **context) == pytest.approx(value, rel=1e-15)


def test_logistic_regression_c_is_an_inverse_strength():
    kw = dict(n_samples=50, loss="cross_entropy")
    assert sr.convert_lambda(2.0, "sklearn_logistic_c", "objective", **kw) == pytest.approx(1 / 200)
    assert sr.convert_lambda(1 / 200, "objective", "sklearn_logistic_c", **kw) == pytest.approx(2.0)
    assert sr.convert_lambda(0.0, "objective", "sklearn_logistic_c", **kw) == math.inf
    with pytest.raises(ValueError, match="value must be > 0"):
        sr.convert_lambda(0.0, "sklearn_logistic_c", "objective", **kw)


def test_issue_examples():
    assert sr.convert_lambda(5e-4, "torch_adam_weight_decay", "objective", n_outputs=3) == pytest.approx(7.5e-4)
    assert sr.convert_lambda(1.0, "sklearn_ridge_alpha", "objective", n_samples=120) == 1 / 120
    # lr is our run's: Keras' steps at lr·K on its mean loss shrink ηλ each, our decay's λ.
    assert sr.convert_lambda(0.01, "keras_weight_decay", "decay", lr=0.01, n_outputs=1) == pytest.approx(1e-4)
    eq = sr.lambda_equivalence("torch_adamw", "objective", optimizer="adam")
    assert eq.kind == "none" and "outside Adam" in eq.reason and eq.lr_factor is None


@pytest.mark.parametrize(
    "a, b, context, kind, lr_factor",
    [
        ("objective", "decay", dict(lr=0.1), "same trajectory", 1.0),
        ("objective", "textbook_batch", dict(batch_size=4, momentum=0.9), "same trajectory", 1.0),
        ("decay", "objective", dict(lr=0.1, momentum=0.9), "none", None),
        ("decoupled", "objective", dict(optimizer="adam"), "none", None),
        ("objective", "textbook_dataset", dict(n_samples=9, optimizer="adam"), "same trajectory", 1.0),
        ("torch_weight_decay", "objective", dict(n_outputs=3), "same trajectory", 1 / 3),
        ("objective", "torch_weight_decay", dict(n_outputs=3), "same trajectory", 3.0),
        ("torch_weight_decay", "objective", dict(n_outputs=3, optimizer="adam"), "same optimum", None),
        ("torch_adam_weight_decay", "objective", dict(n_outputs=1, optimizer="adam"), "same trajectory", 1.0),
        ("torch_adam_weight_decay", "objective", dict(n_outputs=2, optimizer="adam"), "same optimum", None),
        ("keras_l2", "objective", dict(n_outputs=1, optimizer="adam"), "same optimum", None),  # ε placement
        ("keras_weight_decay", "decay", dict(n_outputs=2, lr=0.1), "same trajectory", 0.5),
        ("half_mse", "objective", {}, "same trajectory", 0.5),
        ("sklearn_alpha", "objective", dict(n_outputs=1, n_samples=10), "same optimum", None),
        ("sklearn_ridge_alpha", "objective", dict(n_samples=10), "same optimum", None),
        ("objective", "sklearn_logistic_c", dict(n_samples=10, loss="mse"), "none", None),  # needs cross-entropy
        ("objective", "sklearn_logistic_c", dict(n_samples=10), "same optimum", None),  # its own loss
        ("optax_adamw", "objective", {}, "none", None),
        ("textbook_batch", "objective", dict(batch_size=7, n_samples=30), "none", None),
    ],
)
def test_kinds_of_equivalence(a, b, context, kind, lr_factor):
    eq = sr.lambda_equivalence(a, b, **context)
    assert eq.kind == kind, eq
    assert eq.lr_factor == (None if lr_factor is None else pytest.approx(lr_factor))
    assert str(eq).startswith(kind) and len(eq.reason) > 20


CTX = dict(lr=0.05, batch_size=8, n_samples=120, n_outputs=1, target_std=2.0)


@pytest.mark.parametrize("optimizer, momentum, loss", [("sgd", 0.0, "mse"), ("sgd", 0.5, "mse"),
                                                       ("adam", 0.0, "mse"),
                                                       ("sgd", 0.0, "cross_entropy")])
def test_never_a_number_where_there_is_none(optimizer, momentum, loss):
    ctx = dict(CTX, optimizer=optimizer, momentum=momentum, loss=loss)
    for a, b in itertools.product(sr.SCHEMES, repeat=2):
        kind = sr.lambda_equivalence(a, b, **ctx).kind
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sr.SklearnLossMismatchWarning)
            if kind == "none":
                with pytest.raises(sr.NoEquivalentLambdaError):
                    sr.convert_lambda(0.3, a, b, **ctx)
            else:
                assert math.isfinite(sr.convert_lambda(0.3, a, b, **ctx))


# -- what each answer needs: the kind no more context than it depends on; a scheme its own loss --

FULL = dict(lr=0.05, batch_size=8, n_samples=120, n_outputs=1, target_std=2.0)


@pytest.mark.parametrize("optimizer, momentum, loss", [("sgd", 0.0, None), ("sgd", 0.5, None),
                                                       ("adam", 0.0, None), ("sgd", 0.0, "mse"),
                                                       ("sgd", 0.0, "cross_entropy")])
def test_the_kind_needs_no_context_that_only_the_number_needs(optimizer, momentum, loss):
    # lr, the batch size, N and s_y set the number, never the kind: without any one of them
    # every pair is answered as with all (N divisible by m, so no batch is uneven).  K
    # matters where a mean over K outputs scales the gradient: then it is asked for by name.
    for a, b in itertools.product(sr.SCHEMES, repeat=2):
        full = dict(FULL, optimizer=optimizer, momentum=momentum, loss=loss)
        expected = sr.lambda_equivalence(a, b, **full)
        for key in FULL:
            less = {k: v for k, v in full.items() if k != key}
            try:
                got = sr.lambda_equivalence(a, b, **less)
            except sr.LambdaContextError as exc:
                assert key == "n_outputs" and "needs n_outputs" in str(exc), (a, b, key, exc)
                continue
            assert (got.kind, got.lr_factor) == (expected.kind, expected.lr_factor), (a, b, key)


def test_decay_is_compared_without_a_learning_rate():
    eq = sr.lambda_equivalence("decay", "objective")
    assert eq.kind == "same trajectory" and eq.lr_factor == 1.0
    with pytest.raises(sr.LambdaContextError, match="scheme 'decay' needs lr"):
        sr.convert_lambda(0.01, "decay", "objective")  # the number does need it
    # With momentum there is no equivalent whatever lr is: said without one, with the
    # fixed point's value once lr is given.
    eq = sr.lambda_equivalence("decay", "objective", momentum=0.9)
    assert eq.kind == "none" and "λ(1 − momentum)/(2·lr) (decay_fixed_point_lambda)" in eq.reason
    with pytest.raises(sr.NoEquivalentLambdaError, match="outside the momentum buffer"):
        sr.convert_lambda(0.01, "decay", "objective", momentum=0.9)
    assert "= λ·0.5 " in sr.lambda_equivalence("decay", "objective", lr=0.1, momentum=0.9).reason


def test_a_mean_over_outputs_needs_k_for_its_learning_rate_only():
    with pytest.raises(sr.LambdaContextError, match="scheme 'torch_weight_decay' needs n_outputs"):
        sr.lambda_equivalence("torch_weight_decay", "objective")  # at η/K: which K?
    assert sr.lambda_equivalence("torch_weight_decay", "objective", loss="cross_entropy").lr_factor == 1.0
    assert sr.lambda_equivalence("torch_weight_decay", "sklearn_ridge_alpha").kind == "same optimum"


@pytest.mark.parametrize("scheme, context, lam_E", [
    ("sklearn_logistic_c", dict(n_samples=150), 1 / (2 * 0.7 * 150)),  # C: λ_E = 1/(2CN)
    ("sklearn_mlpclassifier_alpha", dict(n_samples=40), 0.7 / 80),
    ("half_mse", {}, 1.4),
    ("sklearn_ridge_alpha", dict(n_samples=70), 0.01),
])
def test_a_scheme_defined_for_one_loss_is_converted_with_it_by_default(scheme, context, lam_E):
    own = sr.SCHEMES[scheme].loss
    assert sr.convert_lambda(0.7, scheme, "objective", **context) == pytest.approx(lam_E, rel=1e-15)
    assert sr.convert_lambda(0.7, scheme, "objective", **context) == sr.convert_lambda(
        0.7, scheme, "objective", loss=own, **context)
    assert sr.convert_lambda(lam_E, "objective", scheme, **context) == pytest.approx(0.7, rel=1e-15)
    assert sr.lambda_equivalence(scheme, "objective", **context).kind != "none"
    other = "mse" if own == "cross_entropy" else "cross_entropy"
    with pytest.raises(sr.NoEquivalentLambdaError, match=f"regularizes a {own} objective; with "
                                                          f"loss='{other}'"):
        sr.convert_lambda(0.7, scheme, "objective", loss=other, **context)


def test_without_a_loss_a_scheme_of_either_uses_the_mse():
    assert sr.convert_lambda(0.02, "sklearn_sgd_alpha", "objective") == 0.02  # ½(y − f)²: α
    assert sr.convert_lambda(0.01, "keras_l2", "objective", n_outputs=3) == pytest.approx(0.03)


def test_two_schemes_of_different_losses_have_no_equivalent():
    ctx = dict(n_samples=50)
    with pytest.raises(sr.NoEquivalentLambdaError,
                       match=r"'half_mse' halves a squared error \(mse\) and 'sklearn_logistic_c' "
                             r"is LogisticRegression's log-loss \(cross_entropy\)"):
        sr.convert_lambda(0.1, "half_mse", "sklearn_logistic_c", **ctx)
    assert sr.lambda_equivalence("half_mse", "sklearn_logistic_c", **ctx).kind == "none"


def test_every_equivalence_kind_is_one_of_kinds():
    kinds = {sr.lambda_equivalence(a, b, **dict(FULL, optimizer=opt)).kind
             for a, b in itertools.product(sr.SCHEMES, repeat=2) for opt in ("sgd", "adam")}
    assert kinds == set(sr.lambdas.KINDS)
    with pytest.raises(ValueError, match="kind must be one of"):
        sr.Equivalence("maybe", "a kind that is not one")


def test_the_sklearn_warning_points_at_the_callers_line():
    with pytest.warns(sr.SklearnLossMismatchWarning) as record:
        sr.convert_lambda(1e-4, "sklearn_alpha", "objective", n_samples=120, n_outputs=3)
    assert record[0].filename == __file__


def test_momentum_with_adam_is_rejected():
    with pytest.raises(ValueError, match="Adam's is its β1"):
        sr.lambda_equivalence("objective", "decay", lr=0.1, momentum=0.9, optimizer="adam")
    with pytest.raises(ValueError, match="optimizer must be one of"):
        sr.convert_lambda(0.1, "objective", "decay", lr=0.1, optimizer="rmsprop")


def test_cli_lambda_reports_the_kind(capsys):
    assert main(["lambda", "5e-4", "--from", "torch_adam_weight_decay", "--to", "objective",
                 "--n-outputs", "3", "--optimizer", "adam"]) == 0
    out, err = capsys.readouterr()
    assert float(out) == pytest.approx(7.5e-4) and "same optimum" in err
    assert main(["lambda", "0.7", "--from", "sklearn_logistic_c", "--to", "objective",
                 "--n-samples", "150", "--loss", "cross_entropy"]) == 0
    assert float(capsys.readouterr()[0]) == pytest.approx(1 / (2 * 0.7 * 150))
