"""A property-based battery over the public functions' inputs: shapes, dtypes, magnitudes,
λ, bounds and seeds.  Whatever hypothesis draws, a call either raises a TypeError or
ValueError whose message names the offending argument, or returns a finite result equal
to the NumPy reference of ``naive.py``.  Bounded (few examples, tiny networks) so that the
whole battery takes seconds."""

import re
from fractions import Fraction

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import naive  # noqa: E402
import swarmreg as sr  # noqa: E402
from swarmreg.lambdas import SCHEMES  # noqa: E402

from conftest import HIDDEN, OUTPUTS  # noqa: E402  (every registry entry)

# Derandomized and without a database: the same examples on every run and machine.
BATTERY = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                   phases=[Phase.explicit, Phase.generate, Phase.shrink],
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TRAINING = settings(BATTERY, max_examples=15)



@st.composite
def problems(draw, magnitude=1e2, hidden=HIDDEN):
    """A tiny network with a θ and data of the kind its output takes."""
    output = draw(st.sampled_from(OUTPUTS))
    hidden = draw(st.sampled_from(hidden))
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=2))
    k = draw(st.integers(2, 3)) if output == "softmax" else draw(st.integers(1, 2))
    layers = [*widths, k] if len(widths) > 1 or draw(st.booleans()) else [widths[0], k]
    net = sr.Network(layers, hidden=hidden, output=output)
    n = draw(st.integers(1, 6))
    finite = dict(allow_nan=False, allow_infinity=False, min_value=-magnitude, max_value=magnitude)
    theta = draw(hnp.arrays(np.float64, net.n_params, elements=st.floats(**finite)))
    X = draw(hnp.arrays(np.float64, (n, layers[0]), elements=st.floats(**finite)))
    if output == "identity":
        y = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(**finite)))
    else:
        y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, max(k, 2) - 1)))
    return net, theta, X, y


def names_an_argument(exc, *names):
    """The message of ``exc`` names one of ``names`` (as a word, not inside another)."""
    text = str(exc)
    return any(re.search(rf"(?<![A-Za-z_]){re.escape(n)}(?![A-Za-z_])", text) for n in names)


def reference_error(net, theta, X, y, lam):
    """naive.regularized_error, with the library's convention that λ = 0 adds exactly 0
    (where Σw² overflowed, 0·inf would be NaN)."""
    layers = list(net.layers)
    with np.errstate(all="ignore"):
        if lam == 0.0:
            return naive.data_error(layers, net.hidden, net.output, theta, X, y)
        return naive.regularized_error(layers, net.hidden, net.output, theta, X, y, lam)


lams = st.one_of(st.just(0.0), st.floats(0.0, 1e3), st.floats(1e-12, 1e-3))


@BATTERY
@given(problems(), lams)
def test_regularized_error_is_finite_and_equals_the_numpy_reference(problem, lam):
    net, theta, X, y = problem
    got = sr.regularized_error(net, theta, X, y, lam)
    ref = reference_error(net, theta, X, y, lam)
    assert np.isfinite(got)
    assert got == pytest.approx(ref, rel=1e-9, abs=1e-12)


@BATTERY
@given(problems(magnitude=3.0, hidden=("tanh", "logistic")), lams)  # smooth: no ReLU kink
def test_gradient_is_finite_and_matches_finite_differences_of_the_reference(problem, lam):
    net, theta, X, y = problem
    grad = sr.gradient(net, theta, X, y, lam)
    assert grad.shape == theta.shape and np.all(np.isfinite(grad))
    j = int(np.argmax(np.abs(grad)))  # the largest entry, where rounding matters least
    h = 1e-6 * max(1.0, abs(theta[j]))
    step = np.zeros_like(theta)
    step[j] = h
    fd = (reference_error(net, theta + step, X, y, lam) - reference_error(net, theta - step, X, y, lam)) / (2 * h)
    assert grad[j] == pytest.approx(fd, rel=1e-4, abs=1e-6)


# -- bad inputs: a clear error that names the argument -------------------------------------

bad_arrays = st.one_of(
    st.just("not an array"),
    st.just([[1.0, 2.0], [3.0]]),  # ragged
    hnp.arrays(np.bool_, (3, 2)),
    hnp.arrays(np.complex128, (3, 2), elements=st.complex_numbers(max_magnitude=1, allow_nan=False)),
    hnp.arrays(np.float64, st.sampled_from([(0, 2), (3,), (3, 2, 1), (3, 3)])),
    hnp.arrays(np.float64, (3, 2), elements=st.sampled_from([np.nan, np.inf, -np.inf, 1.0]))
    .filter(lambda a: not np.all(np.isfinite(a))),
    st.just(np.array([["a", "b"]] * 3, dtype=object)),
)


@BATTERY
@given(bad_arrays)
def test_a_bad_X_gets_a_clear_error_naming_X(X):
    net = sr.Network([2, 3, 2])
    with pytest.raises((TypeError, ValueError)) as info:
        sr.regularized_error(net, np.zeros(net.n_params), X, [0, 1, 0], 0.1)
    assert names_an_argument(info.value, "X", "y")  # (3, 3) X: y no longer matches either


bad_reals = st.one_of(st.just("0.1"), st.just(None), st.just([0.1]), st.booleans(),
                      st.sampled_from([np.nan, np.inf, -np.inf]), st.floats(max_value=-1e-300),
                      st.just(1 + 1j))


@BATTERY
@given(bad_reals)
def test_a_bad_lambda_gets_a_clear_error_naming_lam(lam):
    X, y = np.eye(2), [0, 1]
    net = sr.Network([2, 2])
    for call in (lambda: sr.regularized_error(net, np.zeros(6), X, y, lam),
                 lambda: sr.train_pso(net, X, y, lam=lam, max_iter=1),
                 lambda: sr.train_backprop(net, X, y, lam=lam, epochs=1),
                 lambda: sr.train_lbfgs(net, X, y, lam=lam)):
        with pytest.raises((TypeError, ValueError)) as info:
            call()
        assert names_an_argument(info.value, "lam")


bad_counts = st.one_of(st.integers(max_value=1), st.floats(2.0, 10.0), st.just("30"), st.booleans(),
                       st.just(None), st.just(2**70))


@BATTERY
@given(st.sampled_from(["swarm_size", "max_iter", "patience", "seed"]), bad_counts)
def test_bad_counts_and_seeds_get_a_clear_error_naming_them(name, value):
    if name == "max_iter" and value == 1 or name in ("patience", "seed", "swarm_size") and value is None:
        return  # valid: one iteration is allowed; None means "none"/"draw one"/the algorithm's
    if name == "seed" and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return  # any non-negative integer seeds numpy's generator
    with pytest.raises((TypeError, ValueError)) as info:
        sr.train_pso(sr.Network([2, 2]), np.eye(2), [0, 1], max_iter=1, **{name: value})
    assert names_an_argument(info.value, name)


bounds = st.tuples(st.floats(allow_nan=True), st.floats(allow_nan=True))


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # Σw² of a huge box
@BATTERY
@given(bounds)
def test_bounds_are_either_refused_by_name_or_trained_in(box):
    net, X, y = sr.Network([2, 2]), np.eye(2), [0, 1]
    try:
        res = sr.train_pso(net, X, y, bounds=box, swarm_size=3, max_iter=2, seed=0)
    except sr.NonFiniteObjectiveError as exc:  # a box so wide that every error overflowed
        assert names_an_argument(exc, "bounds")
        return
    except (TypeError, ValueError) as exc:
        assert names_an_argument(exc, "bounds", "bounds[0]", "bounds[1]")
        return
    lo, hi = box
    assert lo < hi and np.all((res.theta >= lo) & (res.theta <= hi))
    assert res.error == pytest.approx(reference_error(net, res.theta, X, y, 0.0), rel=1e-9)


# -- trainers: a finite result that the reference agrees with, or a named error -------------

@TRAINING
@given(problems(magnitude=10.0), lams, st.integers(0, 2**32), st.integers(2, 6), st.integers(1, 5))
def test_pso_returns_a_finite_best_that_the_reference_agrees_with(problem, lam, seed, swarm, iters):
    net, _, X, y = problem
    try:
        res = sr.train_pso(net, X, y, lam=lam, swarm_size=swarm, max_iter=iters, seed=seed)
    except sr.NonFiniteObjectiveError as exc:
        assert names_an_argument(exc, "lam", "bounds")
        return
    assert np.isfinite(res.error) and np.all(np.isfinite(res.theta))
    assert res.error == pytest.approx(reference_error(net, res.theta, X, y, lam), rel=1e-9, abs=1e-12)
    assert np.all(np.diff(res.history) <= 0) and res.history[-1] == res.error
    again = sr.train_pso(net, X, y, lam=lam, swarm_size=swarm, max_iter=iters, seed=seed)
    assert again.theta.tobytes() == res.theta.tobytes()


rules = st.sampled_from(["none", "objective", "textbook_batch", "textbook_dataset", "decay"])


@TRAINING
@given(problems(magnitude=10.0), rules, st.floats(0.0, 10.0), st.floats(1e-6, 1.0),
       st.integers(1, 6), st.floats(0.0, 0.99), st.integers(0, 2**32))
def test_backprop_returns_a_finite_theta_whose_error_the_reference_agrees_with(
        problem, rule, lam, lr, batch_size, momentum, seed):
    net, theta0, X, y = problem
    kwargs = dict(rule=rule, lam=0.0 if rule == "none" else lam, lr=lr, batch_size=batch_size,
                  momentum=momentum, epochs=3, theta0=theta0, seed=seed)
    try:
        res = sr.train_backprop(net, X, y, **kwargs)
    except (TypeError, ValueError) as exc:  # batch_size > N, uneven textbook_batch, overflow ...
        assert names_an_argument(exc, "batch_size", "lam", "lr", "momentum", "textbook_batch", "decay")
        return
    assert np.all(np.isfinite(res.theta)) and np.isfinite(res.error)
    assert res.error == pytest.approx(reference_error(net, res.theta, X, y, res.lam), rel=1e-9, abs=1e-12)


# -- λ conversion: the exact ratio, correctly rounded, or a named error ---------------------

contexts = st.fixed_dictionaries({}, optional=dict(
    lr=st.floats(1e-300, 1e3), batch_size=st.integers(1, 10**6), n_samples=st.integers(1, 10**6),
    n_outputs=st.integers(1, 20), momentum=st.floats(0.0, 0.99)))
values = st.one_of(st.just(0.0), st.floats(0.0, 1.7e308), st.floats(1e-320, 1e-300))


@BATTERY
@given(values, st.sampled_from(list(SCHEMES)), st.sampled_from(list(SCHEMES)), contexts)
def test_convert_lambda_is_the_exact_ratio_or_a_clear_error(value, a, b, ctx):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sr.SklearnLossMismatchWarning)
        try:
            got = sr.convert_lambda(value, a, b, **ctx)
        except (TypeError, ValueError) as exc:
            assert names_an_argument(exc, a, b, *ctx, "batch_size", "n_samples", "n_outputs", "lr",
                                     "momentum", "value")
            return
        fa = SCHEMES[a].factor(sr.lambdas._Context(**ctx))
        fb = SCHEMES[b].factor(sr.lambdas._Context(**ctx))
    if value == 0.0:  # no regularization: λ = 0, or an inverse strength C = inf
        assert got == (np.inf if SCHEMES[b].inverse else 0.0)
        return
    assert np.isfinite(got) and got > 0.0
    lam_E = Fraction(fa) / Fraction(value) if SCHEMES[a].inverse else Fraction(value) * Fraction(fa)
    exact = float(Fraction(fb) / lam_E if SCHEMES[b].inverse else lam_E / Fraction(fb))
    assert got == pytest.approx(exact, rel=1e-15)


layer_entries = st.one_of(st.integers(-2, 6), st.floats(0.5, 4.5), st.booleans(), st.just("3"),
                          st.just(None), st.just(10**13))


@BATTERY
@given(st.lists(layer_entries, max_size=4), st.sampled_from(HIDDEN + ("gelu",)),
       st.sampled_from(OUTPUTS + ("tanh",)))
def test_network_is_built_as_described_or_refused_naming_the_argument(layers, hidden, output):
    try:
        net = sr.Network(layers, hidden=hidden, output=output)
    except (TypeError, ValueError) as exc:
        assert names_an_argument(exc, "layers", "hidden", "output")
        return
    assert list(net.layers) == layers and net.hidden == hidden and net.output == output
    assert net.n_params == sum((a + 1) * b for a, b in zip(layers[:-1], layers[1:]))
    assert np.array_equal(net.weight_mask, naive.weight_mask(layers))


@BATTERY
@given(problems())
def test_forward_is_finite_and_equals_the_numpy_reference(problem):
    net, theta, X, _ = problem
    out = net.forward(theta, X)
    with np.errstate(all="ignore"):
        ref = naive.forward(list(net.layers), net.hidden, net.output, theta, X)
    assert out.shape == (X.shape[0], net.n_outputs) and np.all(np.isfinite(out))
    finite = np.isfinite(ref)  # the reference may overflow where the library does not
    assert np.allclose(out[finite], ref[finite], rtol=1e-9, atol=1e-12)
