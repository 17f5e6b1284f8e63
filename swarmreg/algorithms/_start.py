"""Where a swarm starts and where it may go: the initial range of every coordinate and the
search bounds, the same options for every algorithm.

``init_range`` (docs/design.md §6):

* ``"fan_in"``: each layer's weights and biases uniform in ``±sqrt(f / (fan_in + fan_out))``,
  f the init factor of the layer's activation (the Glorot-uniform range of
  ``Network.initial_theta``): units start in the responsive part of their activation, not
  saturated, whatever the width of the network;
* a number r > 0: every coordinate uniform in ``[−r, r)``;
* a pair (lo, hi): every coordinate uniform in ``[lo, hi)``.

``bounds``: None (unbounded), or a pair (lo, hi) that every position is clipped to.

``v_max`` (the algorithms with velocities): None (no clamp), a number (each velocity
component clamped to ``[−v_max, v_max]``) or ``"init_width"`` (to the width of its
coordinate's initial range).
"""

import math
import numbers
from collections.abc import Sequence

import numpy as np

from .._validation import check_real

INIT_RANGES = ("fan_in",)
#: ``v_max`` values that are not numbers.
V_MAX_RULES = ("init_width",)


def check_pair(value, name):
    """A pair (lo, hi) of finite floats with lo < hi and a finite width."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (lo, hi), got {value!r}")
    lo = check_real(value[0], f"{name}[0]")
    hi = check_real(value[1], f"{name}[1]")
    if not lo < hi:
        raise ValueError(f"{name} must satisfy lo < hi, got ({lo}, {hi})")
    if not math.isfinite(hi - lo):
        raise ValueError(f"{name}: hi − lo must be a finite float64, got ({lo}, {hi})")
    return lo, hi


def check_bounds(bounds):
    """None, or a valid pair (``check_pair``)."""
    return None if bounds is None else check_pair(bounds, "bounds")


def check_init_range(init_range):
    """``"fan_in"``, a positive number, or a valid pair."""
    if isinstance(init_range, str):
        if init_range not in INIT_RANGES:
            raise ValueError(f"init_range must be one of {list(INIT_RANGES)}, a number r > 0 or a "
                             f"pair (lo, hi), got {init_range!r}")
        return init_range
    if isinstance(init_range, numbers.Real) and not isinstance(init_range, bool):
        return check_real(init_range, "init_range", low=0.0, low_open=True)
    return check_pair(init_range, "init_range")


def describe(init_range, bounds):
    """Where particles start and may go, for messages."""
    start = (f"init_range={init_range!r}" if isinstance(init_range, str)
             else f"init_range={init_range:g}" if isinstance(init_range, float)
             else f"init_range=({init_range[0]:g}, {init_range[1]:g})")
    return start + ("" if bounds is None else f", bounds=({bounds[0]:g}, {bounds[1]:g})")


def initial_box(init_range, network):
    """``(lo, width)``, each of shape (n_params,): coordinate j starts uniform in
    ``[lo_j, lo_j + width_j)``."""
    n = network.n_params
    if isinstance(init_range, str):  # "fan_in"
        half = network.init_half_widths()
        return -half, 2.0 * half
    if isinstance(init_range, float):
        return np.full(n, -init_range), np.full(n, 2.0 * init_range)
    lo, hi = init_range
    return np.full(n, lo), np.full(n, hi - lo)


def draw_positions(lo, width, bounds, n_particles, rng):
    """``n_particles`` positions uniform in the box (``initial_box``), clipped to ``bounds``:
    ``lo + width·u`` with u drawn row by row from ``rng``."""
    pos = lo + width * rng.random((n_particles, lo.shape[0]))
    if bounds is not None:
        np.clip(pos, bounds[0], bounds[1], out=pos)
    return pos


def kernel_bounds(bounds):
    """``(lo, hi)`` for the kernels: ±inf when unbounded (clipping to them changes nothing)."""
    return (-math.inf, math.inf) if bounds is None else bounds


def check_v_max(v_max):
    """None, ``"init_width"``, or a number > 0 (inf allowed)."""
    if v_max is None or (isinstance(v_max, str) and v_max in V_MAX_RULES):
        return v_max
    if isinstance(v_max, str):
        raise ValueError(f"v_max must be a number > 0, one of {list(V_MAX_RULES)} or None, "
                         f"got {v_max!r}")
    return check_real(v_max, "v_max", low=0.0, low_open=True, allow_inf=True)


def v_max_array(v_max, init_width):
    """The clamp of every coordinate, shape (n,): inf for None."""
    if v_max == "init_width":
        return init_width.copy()
    return np.full(init_width.shape[0], math.inf if v_max is None else v_max)
