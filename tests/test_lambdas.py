import itertools
import warnings

import pytest

import swarmreg as sr

CTX = dict(lr=0.05, batch_size=8, n_samples=120, n_outputs=3, momentum=0.0, target_std=2.0)


@pytest.mark.parametrize(
    "value, scheme, context, lam_E",
    [
        (0.01, "decay", dict(lr=0.01), 0.5),  # λ/(2η)
        (0.3, "objective", {}, 0.3),
        (0.3, "textbook_batch", dict(batch_size=1), 0.15),  # λ/(2m), online
        (0.3, "textbook_batch", dict(batch_size=10), 0.015),
        (0.3, "textbook_dataset", dict(n_samples=150), 0.001),  # λ/(2N)
        (1e-4, "sklearn_alpha", dict(n_samples=120, n_outputs=1), 1e-4 / 120),  # lbfgs: α/N
        (1e-4, "sklearn_alpha", dict(batch_size=32, n_outputs=1), 1e-4 / 32),  # sgd: α/m
        (1e-4, "sklearn_alpha", dict(batch_size=40, n_samples=120, n_outputs=1), 1e-4 / 40),
        (1e-4, "sklearn_alpha", dict(batch_size=200, n_samples=120, n_outputs=1), 1e-4 / 120),  # clipped
        (0.01, "torch_weight_decay", dict(n_outputs=3), 0.015),  # Kλ/2
        (0.01, "keras_l2", dict(n_outputs=3), 0.03),  # Kλ
    ],
)
def test_known_conversions_to_lambda_E(value, scheme, context, lam_E):
    assert sr.convert_lambda(value, scheme, "objective", **context) == pytest.approx(lam_E, rel=1e-15)
    assert sr.convert_lambda(lam_E, "objective", scheme, **context) == pytest.approx(value, rel=1e-15)


def test_issue_examples():
    assert sr.convert_lambda(0.01, "decay", "objective", lr=0.01) == 0.5
    with pytest.warns(sr.SklearnLossMismatchWarning, match="#8349"):
        got = sr.convert_lambda(1e-4, "sklearn_alpha", "objective", n_samples=120, batch_size=120,
                                n_outputs=3)
    assert got == pytest.approx(1e-4 / 120)


# λ_E per unit of each scheme's λ in CTX, derived by hand from docs/design.md §4, §9 and the sources
# cited in swarmreg/lambdas/_schemes.py (η = 0.05, m = 8, N = 120, K = 3).
# s_y = 2; the squared-error schemes with several outputs (the cross-entropy-only and
# one-output schemes are tested in test_lambda_schemes.py).
HAND_FACTORS = {"objective": 1.0, "textbook_batch": 1 / 16, "textbook_dataset": 1 / 240,
                "decay": 10.0, "sklearn_alpha": 1 / 8, "torch_weight_decay": 1.5, "keras_l2": 3.0,
                "decoupled": 0.5, "half_mse": 2.0, "nielsen_lmbda": 1 / 120,
                "sklearn_ridge_alpha": 1 / 120, "torch_adam_weight_decay": 1.5,
                "keras_weight_decay": 1.5, "optax_add_decayed_weights": 1.5, "glmnet_lambda": 0.5,
                "statsmodels_alpha": 1.0}
CONVERTIBLE = list(HAND_FACTORS)


@pytest.mark.parametrize("a, b", list(itertools.product(CONVERTIBLE, repeat=2)))
def test_every_pair_matches_the_hand_derived_factors(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sr.SklearnLossMismatchWarning)
        got = sr.convert_lambda(0.37, a, b, **CTX)
    assert got == pytest.approx(0.37 * HAND_FACTORS[a] / HAND_FACTORS[b], rel=1e-14)


def test_uneven_batches_have_no_equivalent():
    with pytest.raises(sr.NoEquivalentLambdaError, match="last batch of 2"):
        sr.convert_lambda(0.1, "textbook_batch", "objective", batch_size=7, n_samples=30)
    with pytest.raises(sr.NoEquivalentLambdaError, match="last batch of 24"):
        sr.convert_lambda(0.1, "sklearn_alpha", "objective", batch_size=32, n_samples=120, n_outputs=1)


def test_decay_with_momentum_has_no_equivalent():
    with pytest.raises(sr.NoEquivalentLambdaError, match="outside the momentum buffer") as info:
        sr.convert_lambda(0.01, "decay", "objective", lr=0.1, momentum=0.9)
    assert "0.5" in str(info.value)  # (1 − 0.9)/(2·0.1), the fixed-point factor it names
    assert sr.decay_fixed_point_lambda(0.01, 0.1, 0.9) == pytest.approx(0.005)
    # Coupled schemes do not care about momentum.
    assert sr.convert_lambda(0.01, "torch_weight_decay", "objective", n_outputs=1, momentum=0.9) == 0.005


def test_adamw_has_no_equivalent():
    with pytest.raises(sr.NoEquivalentLambdaError, match="AdamW"):
        sr.convert_lambda(0.01, "torch_adamw", "objective")
    with pytest.raises(sr.NoEquivalentLambdaError):
        sr.convert_lambda(0.01, "objective", "torch_adamw")


def test_single_output_sklearn_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sr.convert_lambda(1e-4, "sklearn_alpha", "objective", n_samples=50, n_outputs=1)


@pytest.mark.parametrize(
    "args, context, message",
    [
        (("decay", "objective"), {}, "scheme 'decay' needs lr"),
        (("objective", "textbook_batch"), {}, "scheme 'textbook_batch' needs batch_size"),
        (("textbook_dataset", "objective"), {}, "scheme 'textbook_dataset' needs n_samples"),
        (("sklearn_alpha", "objective"), dict(n_samples=5), "scheme 'sklearn_alpha' needs n_outputs"),
        (("sklearn_alpha", "objective"), dict(n_outputs=1), "needs batch_size .* or n_samples"),
        (("keras_l2", "torch_weight_decay"), {}, "scheme 'keras_l2' needs n_outputs"),
    ],
)
def test_missing_context_is_a_clear_error(args, context, message):
    with pytest.raises(sr.LambdaContextError, match=message):
        sr.convert_lambda(0.1, *args, **context)


@pytest.mark.parametrize(
    "kwargs, exc, message",
    [
        (dict(value=-1.0), ValueError, "value must be >= 0.0"),
        (dict(from_scheme="l2"), ValueError, "from_scheme must be one of"),
        (dict(to_scheme="weight_decay"), ValueError, "to_scheme must be one of"),
        (dict(lr=0.0), ValueError, "lr must be > 0.0"),
        (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
        (dict(batch_size=2.5), TypeError, "batch_size must be an integer"),
        (dict(momentum=1.0), ValueError, "momentum must be < 1.0"),
    ],
)
def test_bad_arguments(kwargs, exc, message):
    args = dict(value=0.1, from_scheme="objective", to_scheme="decay", lr=0.1)
    args.update(kwargs)
    with pytest.raises(exc, match=message):
        sr.convert_lambda(args.pop("value"), args.pop("from_scheme"), args.pop("to_scheme"), **args)
