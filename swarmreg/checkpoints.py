"""Long runs that survive: checkpoints, resuming and continuing (docs/design.md §12).

``train_pso`` and ``train_backprop`` take

* ``checkpoint=PATH`` (and ``checkpoint_every=`` seconds): the run's complete state is
  written there, as data, at the start, between two chunks of the loop once that many
  seconds have passed, at the end and on Ctrl-C;
* ``resume=PATH``: go on with the run of that checkpoint, bit-identical to the run
  uninterrupted (``resume(PATH, X, y)`` below calls the trainer with the checkpoint's own
  arguments);
* ``init=result`` (or a ``TrainState``, or a checkpoint path): continue a run for more
  iterations, bit-identical to one longer run.

Ctrl-C during training raises ``TrainingInterrupted``, a ``KeyboardInterrupt`` that
carries the result so far.
"""

import warnings
from pathlib import Path

from ._checkpoint import (CHECKPOINT_FORMAT, CheckpointError, CheckpointWarning, TrainState,
                          previous_path, read_checkpoint)
from ._training import CHECKPOINT_EVERY, TrainingInterrupted
from .backprop import train_backprop
from .network import Network
from .pso import train_pso

__all__ = ["resume", "read_checkpoint", "TrainState", "CheckpointError", "CheckpointWarning",
           "TrainingInterrupted", "previous_path", "CHECKPOINT_EVERY"]

#: The trainer of each ``TrainState.trainer``.
TRAINERS = {"pso": train_pso, "backprop": train_backprop}

_KEEP = object()


def resume(path, X, y, *, checkpoint=_KEEP, checkpoint_every=CHECKPOINT_EVERY, callback=None,
           progress=False):
    """Go on with the run of the checkpoint at ``path``, on the same data, and return its
    result: bit-identical to the run uninterrupted.

    The trainer (``train_pso`` or ``train_backprop``) is called with the network and the
    keyword arguments that the checkpoint records, and ``resume=path``.

    Parameters
    ----------
    path : str or path-like
        A checkpoint file (``PATH.prev`` is read, with a warning, if it is damaged or
        missing).
    X : array_like, shape (N, n_inputs)
    y : array_like, shape (N,) or (N, K)
        The data the run was trained on (checked against the checkpoint's fingerprint).
    checkpoint : str or path-like or None, default ``path``
        Where the resumed run writes its checkpoints; None: nowhere.
    checkpoint_every : float, default 180
        Seconds between two checkpoints.
    callback, progress
        As for the trainer.

    Returns
    -------
    TrainResult

    Raises
    ------
    CheckpointError
        The checkpoint (and its previous one) cannot be read, or ``X``/``y`` are not its data.
    TrainingInterrupted
        On Ctrl-C.
    """
    with warnings.catch_warnings():  # the trainer reads it again, and warns then
        warnings.simplefilter("ignore", CheckpointWarning)
        state = read_checkpoint(path)
    if state.trainer not in TRAINERS:
        raise CheckpointError(f"{path}: a checkpoint of trainer {state.trainer!r}, which this "
                              f"swarmreg cannot resume (it resumes {list(TRAINERS)})")
    arguments = dict(state.arguments)
    arguments.pop("theta0", None)  # a digest: the state holds θ
    with CHECKPOINT_FORMAT.rebuilding(path):
        network = Network(**state.network)
    return TRAINERS[state.trainer](
        network, X, y, **arguments, resume=path,
        checkpoint=Path(path) if checkpoint is _KEEP else checkpoint,
        checkpoint_every=checkpoint_every, callback=callback, progress=progress)

