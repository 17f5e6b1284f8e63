"""The GPU's random stream: Philox4x32-10 (swarmreg/_kernels/philox.py), against the known
answers of Random123 and an independent implementation (tests/naive_gpu.py)."""

import numpy as np
import pytest
from numba import njit

from swarmreg._kernels.philox import key_of, philox4x32, uniforms

import naive_gpu

#: Random123's kat_vectors, "philox4x32 10": counter, key, the four words out.
KNOWN_ANSWERS = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@njit
def _jitted(k0, k1, c0, c1, c2, c3):
    return philox4x32(k0, k1, c0, c1, c2, c3)


@njit
def _uniform_rows(key, iteration, purpose, n_particles, n):
    out = np.empty((n_particles, n, 2))
    for i in range(n_particles):
        for j in range(n):
            out[i, j, 0], out[i, j, 1] = uniforms(key, iteration, purpose, i, j)
    return out


@pytest.mark.parametrize("counter, key, want", KNOWN_ANSWERS)
def test_philox_gives_random123s_known_answers_compiled_and_as_python(counter, key, want):
    assert tuple(int(w) for w in _jitted(*key, *counter)) == want
    assert tuple(int(w) for w in philox4x32(*key, *counter)) == want  # the simulator's way
    assert naive_gpu.philox4x32(key, counter) == want


def test_uniforms_match_an_independent_implementation_beyond_2_to_the_32_iterations():
    key = (123456789, 987654321)
    for k in (1, 7, 2**32 + 5):
        got = _uniform_rows(np.array(key, dtype=np.uint64), k, 2, 3, 4)
        want = [[naive_gpu.uniforms(key, k, 2, i, j) for j in range(4)] for i in range(3)]
        assert got.tolist() == np.array(want).tolist()


def test_uniforms_look_uniform_and_independent():
    u = _uniform_rows(np.array([5, 6], dtype=np.uint64), 3, 0, 400, 250).reshape(-1, 2)
    assert 0.0 <= u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.002  # 200 000 draws: σ of the mean ≈ 0.0006
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 0.01
    counts, _ = np.histogram(u, bins=20, range=(0, 1))
    assert counts.min() > 0.95 * len(u.ravel()) / 20


def test_the_key_is_drawn_from_the_runs_generator():
    a, b = key_of(np.random.default_rng(1)), key_of(np.random.default_rng(1))
    assert a.dtype == np.uint64 and a.tolist() == b.tolist() and max(a) < 2**32
    assert key_of(np.random.default_rng(2)).tolist() != a.tolist()
