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


def where(config, seed):
    """The process and Numba thread count a cell ran with (they differ from run to run: in
    the timing, not the metrics)."""
    import os

    import numba

    return {"value": seed}, {"pid": os.getpid(), "threads": numba.get_num_threads()}


#: What ``logged`` appends to, in this process (for runs with ``workers=1``).
LOG = []


def logged(config, seed):
    LOG.append(("cell", config["kind"], seed))
    return {"value": seed}
