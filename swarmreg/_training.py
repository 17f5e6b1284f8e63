"""What the trainers share for long runs (docs/design.md §12): checkpoints written between
the chunks of the jitted loop, resuming or continuing from a ``TrainState``, and Ctrl-C that
gives the result so far.

A trainer describes its run to a ``Session`` (its name, network, objective, keyword
arguments after validation) and hands it its state, a named tuple of arrays (an
algorithm's ``State``, back-prop's ``Run``): the session restores every field from the
starting ``TrainState``, snapshots every field into checkpoints, and never reads one by
name.  Nothing here changes a number: the state is saved and restored whole, between
calls of the loop, which gives the same bits however a run is cut into calls.
"""

import os
import time
import warnings
from pathlib import Path

import numpy as np

from ._checkpoint import (CheckpointError, CheckpointWarning, TrainState, data_fingerprint,
                          differences, load_checkpoint, write_checkpoint)
from ._kernels import stops
from ._validation import check_real
from .result import TrainResult

__all__ = ["TrainingInterrupted", "CHECKPOINT_EVERY", "Session", "starting_state"]

#: Default seconds between two checkpoints: at most three minutes of a run are lost.
CHECKPOINT_EVERY = 180.0
#: Stop reasons after which a run cannot go on, whatever the budget: continuing returns at once.
FINAL = ("diverged",)


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (a ``KeyboardInterrupt``) ended a training run; what it had found survives.

    A subclass of ``KeyboardInterrupt``, so code that catches that still does.

    Attributes
    ----------
    result : TrainResult
        The run so far: the best θ found (PSO) or the current θ (back-prop) after the last
        complete iteration (epoch), its history, ``stop_reason="interrupted"`` and its
        ``state``, which ``init=`` continues.
    checkpoint : pathlib.Path or None
        The checkpoint written when the run was interrupted, if the run wrote checkpoints.
    """

    def __init__(self, result, checkpoint=None):
        where = "" if checkpoint is None else f"; checkpoint written to {checkpoint}"
        super().__init__(f"training interrupted after {result.iterations} iterations; "
                         f".result holds the result so far{where}")
        self.result = result
        self.checkpoint = checkpoint


def _check_path(value, name):
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(value).__name__}")
    return Path(value)


def starting_state(resume, init):
    """``(state, path, fell_back)``: the ``TrainState`` a run starts from (None for a fresh
    run), the checkpoint file it came from (or None) and whether that file was damaged
    or missing and its previous one was read (``_checkpoint.load_checkpoint``)."""
    if resume is not None and init is not None:
        raise ValueError("give resume= (the same run, from a checkpoint) or init= (continue a "
                         "run with another budget), not both")
    if resume is not None:
        return _from_file(_check_path(resume, "resume"))
    if init is None:
        return None, None, False
    if isinstance(init, TrainResult):
        if init.state is None:
            raise ValueError(f"init: this TrainResult (trainer {init.trainer!r}) carries no "
                             "training state to continue: train_pso and train_backprop give "
                             "one, a model loaded from a file or an L-BFGS result does not")
        return init.state, None, False
    if isinstance(init, TrainState):
        return init, None, False
    if isinstance(init, (str, os.PathLike)):
        return _from_file(Path(init))
    raise TypeError(f"init must be a TrainResult, a TrainState or a checkpoint path, got "
                    f"{type(init).__name__}")


def _from_file(path):
    state, fell_back = load_checkpoint(path)
    return state, path, fell_back


class Session:
    """One session of a training run: where it starts, its checkpoints, its clock.

    Parameters
    ----------
    trainer : str
        ``"pso"`` or ``"backprop"``.
    network : Network
    objective : error.Objective
        The validated data (fingerprinted).
    arguments : dict
        The trainer's keyword arguments after validation, JSON-able (checkpointed and
        compared with a starting state's).
    stopping : tuple of str
        The arguments that only say where the run stops, budget first (``max_iter`` or
        ``epochs``): a continued run (``init=``) may change them.
    start : (TrainState or None, path or None, bool)
        ``starting_state``'s answer.
    continuing : bool
        True for ``init=`` (the stopping arguments may differ), False for ``resume=``.
    checkpoint : str or path-like or None
    checkpoint_every : float
        Seconds ≥ 0 between checkpoints.

    Raises
    ------
    CheckpointError
        The starting state is of another run: the message names every difference.
    ValueError
        The budget is below the iterations the starting state has done.
    """

    def __init__(self, trainer, network, objective, arguments, stopping, start, continuing,
                 checkpoint, checkpoint_every):
        self.trainer = trainer
        self.checkpoint = _check_path(checkpoint, "checkpoint")
        self.every = check_real(checkpoint_every, "checkpoint_every", low=0.0, allow_inf=True)
        self.start, start_path, fell_back = start
        self._network = {"layers": list(network.layers), "hidden": network.hidden,
                         "output": network.output}
        self._arguments = arguments
        self._data = data_fingerprint(objective.X, objective.T)
        if self.start is not None:
            what, verb = (("the checkpoint " + str(start_path), "was written for")
                          if start_path is not None else ("the initial state (init=)", "is of"))
            found = differences(self.start, trainer, self._network, arguments, self._data,
                                may_differ=stopping if continuing else ())
            if found:
                how = "" if continuing else " (init= may change only " + ", ".join(stopping) + ")"
                raise CheckpointError(f"{what} {verb} another run{how}: "
                                      + "; ".join(found))
            budget = stopping[0]
            if arguments[budget] < self.start.iterations:
                raise ValueError(f"{budget}={arguments[budget]} is below the "
                                 f"{self.start.iterations} iterations {what} has done")
        same_file = (start_path is not None and self.checkpoint is not None
                     and os.path.abspath(start_path) == os.path.abspath(self.checkpoint))
        # A resumed run's checkpoint already holds its start, unless it was damaged and the
        # previous one was read: then it is replaced at once, and not kept as the previous.
        self._write_at_start = self.checkpoint is not None and (not same_file or fell_back)
        self._keep_previous = not (same_file and fell_back)
        self._before = 0.0 if self.start is None else self.start.elapsed
        self._clock = None
        self._last_write = None
        self._watched = None

    # -- starting --------------------------------------------------------------------
    def restore(self, fresh, history):
        """``fresh`` (the trainer's state named tuple, as a new run starts it) with every
        field replaced by the starting state's, and ``history`` (``_loop.History``) filled
        with its entries; ``fresh`` itself without a starting state."""
        if self.start is None:
            return fresh
        saved = self.start.arrays
        if set(saved) != set(fresh._fields):
            raise CheckpointError(f"the starting state has the fields {sorted(saved)}, this "
                                  f"{self.trainer} run's state {sorted(fresh._fields)}")
        values = {}
        for name in fresh._fields:
            want, got = getattr(fresh, name), saved[name]
            if got.shape != want.shape or not np.can_cast(got.dtype, want.dtype, "safe"):
                raise CheckpointError(f"the starting state's {name} is {got.dtype} {got.shape}, "
                                      f"this run's {want.dtype} {want.shape}")
            values[name] = np.array(got, dtype=want.dtype, order="C")
        entries = self.start.history
        history.reserve(entries.shape[0])[: entries.shape[0]] = entries
        return fresh._replace(**values)

    def resumed_code(self, error, counters, target, patience):
        """The stop code a restored run is at (``_kernels.stops``): what its loop would have
        returned at the starting state's iteration with this call's target and patience."""
        if self.start.stop_reason in FINAL:
            return {reason: code for code, reason in stops.REASONS.items()}[self.start.stop_reason]
        if error <= target:
            return stops.HIT_TARGET
        if patience > 0 and counters[1] >= patience:
            return stops.STALLED
        return stops.RAN_OUT

    def watch(self, state, history, counters):
        """What the checkpoints save: ``state()`` (the state's named tuple of host arrays),
        ``history`` (``_loop.History``) and ``counters`` (iterations done first)."""
        self._watched = (state, history, counters)

    def begin(self):
        """Start the clock (after compiling)."""
        self._clock = time.perf_counter()

    def elapsed(self):
        """Seconds of training so far, earlier sessions included."""
        return self._before + time.perf_counter() - self._clock

    # -- checkpoints -----------------------------------------------------------------
    def snapshot(self, stop_reason=None, elapsed=None):
        """The run's ``TrainState`` now (its arrays are the live ones: write or keep it only
        while the run does not move); ``elapsed`` defaults to ``self.elapsed()``."""
        state, history, counters = self._watched
        done = int(counters[0])
        arrays = state()
        return TrainState(self.trainer, self._network, self._arguments, self._data, done,
                          self.elapsed() if elapsed is None else elapsed, stop_reason,
                          {name: getattr(arrays, name) for name in arrays._fields},
                          history.array[: done + 1])

    def _write(self, state, *, strict=False):
        try:
            write_checkpoint(self.checkpoint, state, keep_previous=self._keep_previous)
        except OSError as exc:
            if strict:
                raise
            warnings.warn(f"could not write the checkpoint {self.checkpoint} ({exc}); training "
                          "goes on", CheckpointWarning, stacklevel=2)
        else:
            self._keep_previous = True
        self._last_write = time.monotonic()

    def between(self):
        """Between two calls of the loop: write a checkpoint if ``checkpoint_every`` seconds
        have passed since the last one."""
        if self.checkpoint is not None and time.monotonic() - self._last_write >= self.every:
            self._write(self.snapshot())

    def run(self, drive, finish):
        """Drive the run and return its ``TrainResult``; a checkpoint is written at the start
        (a new checkpoint file: a path that cannot be written fails now), every
        ``checkpoint_every`` seconds and at the end.

        Parameters
        ----------
        drive : callable(between) -> str
            ``_loop.drive`` with ``between`` passed on; returns the stop reason.
        finish : callable(stop_reason) -> TrainResult
            The result, with ``state=self.snapshot(stop_reason)``.

        Raises
        ------
        TrainingInterrupted
            On Ctrl-C during the loop, with the result so far (after writing its checkpoint).
        """
        self._last_write = time.monotonic()
        if self._write_at_start:
            self._write(self.snapshot(), strict=True)
        try:
            reason = drive(self.between)
        except KeyboardInterrupt:
            result = finish("interrupted")
            if self.checkpoint is not None:
                self._write(result.state)
            raise TrainingInterrupted(result, self.checkpoint) from None
        result = finish(reason)
        if self.checkpoint is not None:
            self._write(result.state)
        return result
