"""The atomic counter that shares tasks out among Numba threads."""

import numpy as np
from numba import njit, prange

from swarmreg._kernels.atomic import fetch_add


@njit(parallel=True)
def take_all(n_tasks, n_workers):
    """Every worker takes tasks until none is left; count how often each task was taken."""
    queue = np.zeros(1, dtype=np.int64)
    taken = np.zeros(n_tasks, dtype=np.int64)
    for w in prange(n_workers):
        while True:
            task = fetch_add(queue, 0, 1)
            if task >= n_tasks:
                break
            taken[task] += 1
    return taken, queue  # not queue[0]: see the caveat in fetch_add's docstring


def test_every_task_is_taken_exactly_once():
    for n_workers in (1, 2, 5):
        taken, queue = take_all(10_000, n_workers)
        assert np.all(taken == 1)
        assert queue[0] == 10_000 + n_workers  # each worker's last, empty-handed take


@njit
def serial_adds(counter, values):
    olds = np.empty_like(values)
    for i in range(values.shape[0]):
        olds[i] = fetch_add(counter, 1, values[i])
    return olds


def test_returns_the_old_value_and_adds():
    counter = np.array([7, 100, 9], dtype=np.int64)
    olds = serial_adds(counter, np.array([5, -3, 0, 2], dtype=np.int64))
    assert olds.tolist() == [100, 105, 102, 102]
    assert counter.tolist() == [7, 104, 9]
