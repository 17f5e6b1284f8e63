"""Argument checks shared by every public function.

Everything a jitted kernel relies on (shapes, dtypes, finiteness, ranges) is
checked here, in Python, because a kernel does not check bounds.  Each check
raises ``TypeError`` (wrong kind of thing) or ``ValueError`` (right kind, wrong
value) with a message that names the argument and says what was expected.
"""

import numbers
import os

import numpy as np

from ._kernels.losses import LOSSES


def _numeric_array(a, name):
    if isinstance(a, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array, got a string")
    try:
        arr = np.asarray(a)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(f"{name} must hold real numbers (integer or float dtype), got dtype {arr.dtype}")
    return arr


def _check_finite(arr, name):
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} must be finite; found {arr[tuple(bad)]} at index {tuple(int(i) for i in bad)}")


def as_float_matrix(X, name="X", n_cols=None):
    """``X`` as a finite, non-empty, C-contiguous float64 matrix of shape (n, n_cols)."""
    arr = _numeric_array(X, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if n_cols is not None and arr.shape[1] != n_cols:
        raise ValueError(
            f"{name} has {arr.shape[1]} columns but the network's input layer has {n_cols} units"
        )
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not arr.flags.writeable:  # Numba types a read-only array apart: every kernel would
        arr = arr.copy()  # compile a second time for it
    _check_finite(arr, name)
    return arr


def check_theta(network, theta, *, allow_stack=True, copy=True):
    """θ as a finite C-contiguous float64 array: (n_params,) or, if allowed, (P, n_params)."""
    arr = _numeric_array(theta, "theta")
    n = network.n_params
    ok_ndims = (1, 2) if allow_stack else (1,)
    if arr.ndim not in ok_ndims or arr.shape[-1] != n or arr.size == 0:
        want = f"({n},)" + (f" or (n_particles, {n})" if allow_stack else "")
        raise ValueError(f"theta must have shape {want} for {network!r}, got shape {arr.shape}")
    arr = np.array(arr, dtype=np.float64, order="C") if copy else np.ascontiguousarray(arr, np.float64)
    _check_finite(arr, "theta")
    return arr


def encode_targets(network, y, n_samples):
    """Targets as a float64 matrix ``T`` of shape (n_samples, K).

    Classifiers (``softmax``/``logistic`` output) take 1-D integer labels in
    ``[0, K)`` (one-hot encoded; with a single logistic output, labels 0/1 are the
    target itself) or a 2-D float matrix of targets.  ``identity`` output takes a
    1-D (K = 1) or 2-D float array.
    """
    arr = _numeric_array(y, "y")
    K = network.n_outputs
    if arr.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D, got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"y has {arr.shape[0]} rows but X has {n_samples}")
    _check_finite(arr, "y")
    if arr.ndim == 2:
        if arr.shape[1] != K:
            raise ValueError(
                f"y has {arr.shape[1]} target columns but the network's output layer has {K} units"
            )
        T = np.ascontiguousarray(arr, dtype=np.float64)
        if not T.flags.writeable:  # a read-only array would compile the kernels again
            T = T.copy()
        if network.output != "identity" and (T.min() < 0.0 or T.max() > 1.0):
            raise ValueError(f"y: targets for a {network.output!r} output must lie in [0, 1]")
        return T
    if not network.is_classifier:
        if K != 1:
            raise ValueError(
                f"y is 1-D but the network has {K} outputs; pass y of shape (n_samples, {K})"
            )
        return arr.astype(np.float64).reshape(-1, 1)
    if not np.all(arr == np.round(arr)):
        raise ValueError(
            f"y must hold integer class labels for a {network.output!r} output, "
            "got non-integral values"
        )
    labels = arr.astype(np.int64)
    n_classes = 2 if K == 1 else K
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(
            f"y: class labels must lie in [0, {n_classes}) for {network!r}, "
            f"got labels in [{labels.min()}, {labels.max()}]"
        )
    if K == 1:
        return labels.astype(np.float64).reshape(-1, 1)
    T = np.zeros((n_samples, K))
    T[np.arange(n_samples), labels] = 1.0
    return T


def check_real(value, name, *, low=None, high=None, low_open=False, high_open=False, allow_inf=False):
    """A real scalar in the given range, returned as ``float``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if np.isnan(value) or (np.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}")
    return value


def check_int(value, name, *, low=None, int64=True):
    """An integer scalar ``>= low`` (and below 2**63 when it goes to a kernel), as ``int``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if int64 and value >= 2**63:  # the kernels take int64
        raise ValueError(f"{name} must be < 2**63, got {value}")
    return value


def check_bool(value, name):
    """A flag that must be a real boolean: ``bool("no")`` is True, so strings and numbers are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def available_memory():
    """Bytes of memory this machine can give a new allocation now, or None if unknown.

    Linux: ``MemAvailable`` from /proc/meminfo (free memory plus what the kernel can
    reclaim without swapping); elsewhere the free physical pages (``SC_AVPHYS_PAGES``),
    else all physical pages.
    """
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    for pages in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        try:
            return os.sysconf(pages) * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            continue
    return None


def format_bytes(n):
    """``n`` bytes in the largest binary unit that keeps at least one whole unit."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.4g} {unit}"
        n /= 1024


def check_memory(n_bytes, what, advice):
    """Refuse, before allocating, a call whose arrays need more than the machine has.

    ``what`` says which argument asks for ``n_bytes`` (e.g. "swarm_size=10000000 particles
    of 59 parameters"), ``advice`` what to change.  A bare MemoryError after seconds of
    swapping, or none before the machine halts, is what this replaces.
    """
    available = available_memory()
    if available is not None and n_bytes > available:
        raise ValueError(
            f"{what} need about {format_bytes(n_bytes)} of memory, more than the "
            f"{format_bytes(available)} available on this machine; {advice}"
        )


def check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_lam(lam):
    return check_real(lam, "lam", low=0.0)


def check_loss(network, loss):
    """A loss name of ``LOSSES`` that has pieces for ``network``'s output activation."""
    check_choice(loss, "loss", LOSSES)
    fits = LOSSES[loss].pieces
    if network.output not in fits:
        others = [name for name, entry in LOSSES.items() if network.output in entry.pieces]
        raise ValueError(
            f"loss={loss!r} needs a {' or '.join(map(repr, fits))} output; {network!r} has "
            f"an {network.output!r} output (use loss={others[0]!r})"
        )
    return loss
