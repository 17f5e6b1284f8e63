"""Module-level tasks for the sweep tests (workers import them by name)."""

import time


def square(config, seed):
    time.sleep(config.get("sleep", 0.0))
    if config.get("fail_on") == seed:
        raise RuntimeError(f"seed {seed} fails on purpose")
    return {"value": config["x"] ** 2 + seed}


def numba_threads(config, seed):
    import numba

    return {"threads": numba.get_num_threads()}
