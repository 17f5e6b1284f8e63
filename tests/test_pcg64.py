"""The kernels' PCG64 stepping (doubles and shuffles) against NumPy's own Generator."""

import numpy as np
import pytest
from numba import njit

from swarmreg._kernels.pcg64 import next_double, shuffle, state_words


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


@njit
def shuffled(words, n):
    a = np.arange(n)
    shuffle(words, a)
    return a


@pytest.mark.parametrize("buffered", [False, True], ids=["fresh", "half-buffered"])
@pytest.mark.parametrize("seed", [0, 7, 2**40])
def test_shuffle_is_numpys_permutation_draw_for_draw(seed, buffered):
    rng, ref = np.random.default_rng(seed), np.random.default_rng(seed)
    if buffered:  # one 32-bit draw leaves half an output buffered in the Generator
        rng.integers(0, 5, dtype=np.uint32), ref.integers(0, 5, dtype=np.uint32)
        assert rng.bit_generator.state["has_uint32"] == 1
    words = state_words(rng)
    for n in (0, 1, 2, 3, 10, 120, 1000, 70_000):  # several in a row: the stream carries on
        assert np.array_equal(shuffled(words, n), ref.permutation(n)), n
    assert next_double(words) == ref.random()  # and doubles after 32-bit draws
