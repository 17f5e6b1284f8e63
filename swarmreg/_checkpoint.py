"""The checkpoint file: format ``"swarmreg-checkpoint"``, version 1, on ``_archive``.

A checkpoint is the complete state of a training run after an iteration (epoch), as data:
an archive (``_archive``: a zip, every member and the metadata with a SHA-256 digest; never
pickle) whose ``checkpoint.json`` holds, after the archive's own fields,

* ``trainer``: ``"pso"`` or ``"backprop"``;
* ``network``: ``layers``, ``hidden``, ``output``;
* ``arguments``: the trainer's keyword arguments as it used them after validation (λ,
  loss, the algorithm and its options or the back-prop rule and optimizer, the budget,
  the stopping rules, seed, device, dtype, ...), which ``swarmreg.resume`` calls it with
  again;
* ``data``: the fingerprint of the training data after the library's validation and
  encoding: shape, dtype and SHA-256 of X (N, n_inputs) and of the targets T (N, K);
* ``iterations``, ``elapsed`` (seconds of training so far) and ``stop_reason`` (None while
  the run goes on; the reason it stopped in the checkpoint written when it ends);
* ``state_fields``: the names of the trainer's state (an algorithm's ``State`` named
  tuple: positions, velocities, bests, draw slots, counters, the PCG64 words, ...; or
  back-prop's ``Run``: θ, momentum or Adam moments, counters, ...);

and whose arrays are ``state.<field>`` for each field and ``history`` (iterations + 1
entries).  Arrays are stored, not deflated: a swarm's floats hardly shrink and deflating
them took most of a write.

``write_checkpoint`` keeps the file it replaces as ``PATH.prev`` (``_io.atomic_write``),
so that at every moment ``PATH`` is a complete checkpoint and the one before it stays
readable; ``read_checkpoint`` falls back to ``PATH.prev``, with a warning, when ``PATH``
is missing or damaged.
"""

import hashlib
import json
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._archive import ArchiveFormat, read_archive, write_archive

__all__ = ["CheckpointError", "CheckpointWarning", "TrainState", "CHECKPOINT_FORMAT",
           "previous_path", "write_checkpoint", "read_checkpoint", "load_checkpoint",
           "data_fingerprint",
           "differences"]


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: unreadable, damaged, or of another run.  The message
    names the file and what is wrong (for another run, every difference)."""


class CheckpointWarning(UserWarning):
    """A checkpoint was damaged or missing and the previous one (``PATH.prev``) was used, or
    a checkpoint could not be written and the run went on."""


CHECKPOINT_FORMAT = ArchiveFormat(name="swarmreg-checkpoint", version=1, member="checkpoint.json",
                                  noun="checkpoint", error=CheckpointError,
                                  compression=zipfile.ZIP_STORED)
_STATE = "state."
_HISTORY = "history"


class _ReadOnly(Mapping):
    """A mapping of read-only arrays."""

    def __init__(self, arrays):
        self._arrays = {}
        for name, value in arrays.items():
            view = np.asarray(value).view()
            view.flags.writeable = False
            self._arrays[name] = view

    def __getitem__(self, name):
        return self._arrays[name]

    def __iter__(self):
        return iter(self._arrays)

    def __len__(self):
        return len(self._arrays)

    def __repr__(self):
        return "{" + ", ".join(f"{k!r}: <{v.dtype} {v.shape}>" for k, v in self.items()) + "}"


def plain(value):
    """``value`` as JSON gives it back (tuples become lists), to compare with a stored one."""
    return json.loads(json.dumps(value, allow_nan=True))


@dataclass(frozen=True, eq=False)
class TrainState:
    """The complete state of a training run after an iteration (epoch): what a checkpoint
    file holds, and what ``TrainResult.state`` carries so that ``init=`` can continue it.

    Attributes
    ----------
    trainer : str
        ``"pso"`` or ``"backprop"``.
    network : dict
        ``layers``, ``hidden``, ``output``.
    arguments : dict
        The trainer's keyword arguments after validation (JSON values: tuples as lists).
    data : dict
        ``{"X": ..., "y": ...}``, each ``{"shape", "dtype", "sha256"}`` of the validated
        inputs (N, n_inputs) and encoded targets (N, K) (``data_fingerprint``).
    iterations : int
        Iterations (epochs) done.
    elapsed : float
        Seconds of training so far, over every session of the run.
    stop_reason : str or None
        Why the run stopped (``STOP_REASONS``); None while it runs.
    arrays : mapping of str -> ndarray (read-only)
        The trainer's state, by field name (shapes as the state's named tuple has them,
        e.g. PSO's ``pos`` (P, n_params), ``rng`` (6,) uint64, ``counters`` (3,) int64).
    history : ndarray, shape (iterations + 1,)
        The run's ``history`` so far.
    """

    trainer: str
    network: dict
    arguments: dict
    data: dict
    iterations: int
    elapsed: float
    stop_reason: object
    arrays: Mapping = field(repr=False)
    history: np.ndarray = field(repr=False)

    def __post_init__(self):
        object.__setattr__(self, "arguments", plain(self.arguments))
        object.__setattr__(self, "network", plain(self.network))
        if not isinstance(self.arrays, _ReadOnly):
            object.__setattr__(self, "arrays", _ReadOnly(self.arrays))
        history = np.asarray(self.history, dtype=np.float64).view()
        history.flags.writeable = False
        object.__setattr__(self, "history", history)

    @property
    def seed(self):
        return self.arguments.get("seed")

    def save(self, path):
        """Write this state to ``path`` as a checkpoint file (keeping the file it replaces
        as ``PATH.prev``); returns the path."""
        return write_checkpoint(path, self)


def previous_path(path):
    """Where ``write_checkpoint`` keeps the checkpoint it replaced: ``PATH.prev``."""
    path = Path(path)
    return path.with_name(path.name + ".prev")


def write_checkpoint(path, state, keep_previous=True):
    """Write ``state`` (a ``TrainState``) to ``path`` atomically, the file it replaces kept
    as ``previous_path(path)`` (unless not ``keep_previous``: a damaged one); returns the
    path."""
    meta = {"trainer": state.trainer, "network": state.network, "arguments": state.arguments,
            "data": state.data, "iterations": int(state.iterations),
            "elapsed": float(state.elapsed), "stop_reason": state.stop_reason,
            "state_fields": list(state.arrays)}
    arrays = {_STATE + name: value for name, value in state.arrays.items()}
    arrays[_HISTORY] = state.history
    return write_archive(path, CHECKPOINT_FORMAT, meta, arrays,
                         previous=previous_path(path) if keep_previous else None)


def _load(path):
    meta, arrays = read_archive(path, CHECKPOINT_FORMAT)
    with CHECKPOINT_FORMAT.rebuilding(path):
        fields = list(meta["state_fields"])
        expected = {_STATE + name for name in fields} | {_HISTORY}
        if set(arrays) != expected:
            raise CheckpointError(f"{path}: the checkpoint file was edited or damaged (its arrays "
                                  f"are not its state's fields)")
        state = TrainState(
            trainer=str(meta["trainer"]), network=dict(meta["network"]),
            arguments=dict(meta["arguments"]), data=dict(meta["data"]),
            iterations=int(meta["iterations"]), elapsed=float(meta["elapsed"]),
            stop_reason=meta["stop_reason"],
            arrays={name: arrays[_STATE + name] for name in fields}, history=arrays[_HISTORY])
        for name in ("X", "y"):
            str(state.data[name]["sha256"]), list(state.data[name]["shape"])
        if state.history.shape != (state.iterations + 1,):
            raise CheckpointError(f"{path}: the checkpoint file was edited or damaged (a history "
                                  f"of {state.history.shape} for {state.iterations} iterations)")
    return state


def read_checkpoint(path):
    """The ``TrainState`` of the checkpoint at ``path``, or of the previous one.

    ``load_checkpoint(path)[0]``: see there.
    """
    return load_checkpoint(path)[0]


def load_checkpoint(path):
    """``(state, fell_back)``: the ``TrainState`` of the checkpoint at ``path``, or of the
    previous one (``fell_back`` True).

    When ``path`` is missing or damaged, the previous checkpoint (``PATH.prev``, kept by
    ``write_checkpoint``) is read instead, with a ``CheckpointWarning`` saying why.

    Raises
    ------
    CheckpointError
        Neither file can be read as a checkpoint (the message names both and what is
        wrong with each), or the file is of a newer format version.
    FileNotFoundError
        Neither file exists.
    """
    path = Path(path)
    try:
        return _load(path), False
    except (CheckpointError, FileNotFoundError) as exc:
        first = exc
    previous = previous_path(path)
    try:
        state = _load(previous)
    except FileNotFoundError:
        raise first from None
    except CheckpointError as exc:
        if isinstance(first, FileNotFoundError):
            raise
        raise CheckpointError(f"{first}; and the previous checkpoint is unusable too: {exc}") from None
    reason = str(first).removeprefix(f"{path}: ")
    why = "is missing" if isinstance(first, FileNotFoundError) else f"is unusable ({reason})"
    warnings.warn(f"checkpoint {path} {why}; resuming from the previous one, {previous} "
                  f"(iteration {state.iterations})", CheckpointWarning, stacklevel=3)
    return state, True


def _array_fingerprint(array):
    array = np.ascontiguousarray(array)
    return {"shape": list(array.shape), "dtype": array.dtype.str,
            "sha256": hashlib.sha256(array.view(np.uint8).reshape(-1)).hexdigest()}


def data_fingerprint(X, T):
    """Shape, dtype and SHA-256 of the validated inputs ``X`` (N, n_inputs) and of the
    encoded targets ``T`` (N, K), as ``{"X": {...}, "y": {...}}``."""
    return {"X": _array_fingerprint(X), "y": _array_fingerprint(T)}


def _shown(fp):
    shape = "×".join(map(str, fp["shape"]))
    return f"sha256 {fp['sha256'][:12]}… of a {shape} {np.dtype(fp['dtype']).name} array"


def differences(saved, trainer, network, arguments, data, *, may_differ=()):
    """What differs between the run of ``saved`` (a ``TrainState``) and a call, as phrases:
    ``["trainer: ..."]`` alone when the trainer differs, else the arguments (``"name=saved
    (this call: value)"``, except those of ``may_differ``), the network and the data."""
    if saved.trainer != trainer:
        return [f"it continues a {saved.trainer!r} run, not a {trainer!r} one"]
    found = []
    network = plain(network)
    if saved.network != network:
        found.append(f"network={saved.network} (this call: {network})")
    arguments = plain(arguments)
    for name in (*saved.arguments, *(k for k in arguments if k not in saved.arguments)):
        if name in may_differ:
            continue
        was, now = saved.arguments.get(name, "<not given>"), arguments.get(name, "<not given>")
        if was != now:
            found.append(f"{name}={was!r} (this call: {now!r})")
    for name in ("X", "y"):
        if saved.data.get(name) != data[name]:
            found.append(f"{name} differs from the data it was trained on "
                         f"({_shown(saved.data[name])}; this call's: {_shown(data[name])})")
    return found
