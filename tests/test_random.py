"""The kernels' PCG64 stepping against NumPy's own Generator."""

import numpy as np
import pytest
from numba import njit

from swarmreg._random import next_double, state_words


@njit
def draw(words, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = next_double(words)
    return out


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**63 + 5])
def test_stream_is_numpys_generator_random_bit_for_bit(seed):
    rng, ref = np.random.default_rng(seed), np.random.default_rng(seed)
    rng.random(17), ref.random(17)  # the kernels start mid-stream, after the initial swarm
    words = state_words(rng)
    assert np.array_equal(draw(words, 200_001), ref.random(200_001))


def test_state_words_leave_the_generator_untouched():
    rng = np.random.default_rng(3)
    words = state_words(rng)
    draw(words, 10)
    assert rng.random() == np.random.default_rng(3).random()


def test_other_bit_generators_are_refused():
    with pytest.raises(TypeError, match="PCG64"):
        state_words(np.random.Generator(np.random.MT19937(0)))
