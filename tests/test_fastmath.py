"""The vectorizable exp and tanh of the error kernels, against NumPy.

Worst errors measured on the inputs below (ulp of the NumPy result): exp 1 ulp,
tanh 3 ulp, asserted exactly; the scalar versions of the gradient kernels return the
same bits as the row versions, so the same bounds hold for them.
"""

import numpy as np
import pytest
from numba import njit

from swarmreg._kernels.fastmath import exp_rows, exp_scalar, tanh_rows, tanh_scalar


def apply(f, x):
    """Run a row function on a 1-D array through a 3-row buffer (row 0: data, 1–2: scratch)."""
    buf = np.zeros((3, x.size))
    buf[0] = x
    f(buf, buf.view(np.int64), 0, 1, x.size, 1, 2)
    return buf[0]


def make_map(f):
    @njit
    def apply_each(x):
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = f(x[i])
        return out
    return apply_each


SCALAR = {"exp": make_map(exp_scalar), "tanh": make_map(tanh_scalar)}


def ulp_error(got, ref):
    return np.abs(got - ref) / np.spacing(np.abs(ref))


RNG = np.random.default_rng(12345)
TANH_INPUTS = np.concatenate([
    RNG.uniform(-1, 1, 400_000), RNG.uniform(-25, 25, 400_000), RNG.normal(0, 1e-3, 100_000),
    np.linspace(-1e-6, 1e-6, 20_001), 10.0 ** RNG.uniform(-300, 2.5, 100_000),
    -(10.0 ** RNG.uniform(-300, 2.5, 100_000)), np.linspace(0.3, 0.4, 20_001),
])
EXP_INPUTS = np.concatenate([
    RNG.uniform(-708, 709.78, 400_000), RNG.uniform(-1, 1, 400_000), np.linspace(-40, 40, 200_001),
])
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 800.0, -800.0, 709.78, 709.79, -745.2,
                    -744.0, 1e-300, -1e-300, 5e-324])


def test_tanh_is_within_3_ulp_of_numpy():
    err = ulp_error(apply(tanh_rows, TANH_INPUTS), np.tanh(TANH_INPUTS))
    assert err.max() <= 3.0, (err.max(), TANH_INPUTS[np.argmax(err)])
    assert err.mean() < 1.0


def test_exp_is_within_1_ulp_of_numpy_on_normal_results():
    err = ulp_error(apply(exp_rows, EXP_INPUTS), np.exp(EXP_INPUTS))
    assert err.max() <= 1.0, (err.max(), EXP_INPUTS[np.argmax(err)])


def test_exp_subnormal_results_are_close():
    x = np.linspace(-745.0, -709.0, 10_001)
    got, ref = apply(exp_rows, x), np.exp(x)
    assert np.all(np.abs(got - ref) <= np.maximum(2 * np.spacing(ref), 5e-324))


@pytest.mark.parametrize("f, ref", [(exp_rows, np.exp), (tanh_rows, np.tanh)], ids=["exp", "tanh"])
def test_special_values_match_numpy_bit_for_bit(f, ref):
    with np.errstate(over="ignore"):
        want = ref(SPECIAL)
    got = apply(f, SPECIAL)
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(want))


def test_rows_are_independent_of_their_neighbours():
    # The same values give the same bits wherever they sit in the buffer.
    x = RNG.uniform(-5, 5, 100)
    buf = np.zeros((6, 100))
    buf[1] = x
    buf[3] = x[::-1]
    tanh_rows(buf, buf.view(np.int64), 1, 3, 100, 4, 5)
    assert np.array_equal(buf[1], apply(tanh_rows, x))
    assert np.array_equal(buf[3], apply(tanh_rows, x[::-1]))


def test_scalar_tanh_is_within_3_ulp_of_numpy_and_equals_the_row_version():
    got = SCALAR["tanh"](TANH_INPUTS)
    err = ulp_error(got, np.tanh(TANH_INPUTS))
    assert err.max() <= 3.0, (err.max(), TANH_INPUTS[np.argmax(err)])  # measured: 3 ulp
    assert got.tobytes() == apply(tanh_rows, TANH_INPUTS).tobytes()


def test_scalar_exp_is_within_1_ulp_of_numpy_and_equals_the_row_version():
    got = SCALAR["exp"](EXP_INPUTS)
    err = ulp_error(got, np.exp(EXP_INPUTS))
    assert err.max() <= 1.0, (err.max(), EXP_INPUTS[np.argmax(err)])  # measured: 1 ulp
    assert got.tobytes() == apply(exp_rows, EXP_INPUTS).tobytes()
    x = np.linspace(-745.0, -709.0, 10_001)  # subnormal results
    assert SCALAR["exp"](x).tobytes() == apply(exp_rows, x).tobytes()


@pytest.mark.parametrize("name, ref", [("exp", np.exp), ("tanh", np.tanh)])
def test_scalar_special_values_match_numpy_bit_for_bit(name, ref):
    with np.errstate(over="ignore"):
        want = ref(SPECIAL)
    got = SCALAR[name](SPECIAL)
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(want))


def test_scalar_tanh_is_odd_and_saturates():
    x = np.concatenate([TANH_INPUTS, [19.1, 25.0, 1e3, 1e308]])
    f = SCALAR["tanh"]
    assert f(-x).tobytes() == (-f(x)).tobytes()
    assert np.all(f(np.array([19.1, 25.0, 1e3, 1e308])) == 1.0)
    assert np.all(np.abs(f(x)) <= 1.0)
