"""What every trainer's Python layer shares: seeds, the progress bar, a history that
grows as the run goes, the error for a run that never saw a finite E, and driving a
jitted loop in chunks of bounded wall time so that Ctrl-C, callbacks and progress are
handled between them."""

import time

import numpy as np

from ._kernels import stops
from ._validation import check_int

#: Wall time aimed at per call of a jitted loop: Python handles a Ctrl-C only between
#: calls, so a call must never run long (``drive`` keeps each one near this).
CHUNK_SECONDS = 0.05


#: Entries a ``History`` starts with (it doubles from there).
FIRST_HISTORY_LEN = 1024


class NonFiniteObjectiveError(ValueError):
    """A training run never saw a finite error E: there is no trained θ to return.

    The message names the likely cause: a λ so large that λ·Σw² overflows, bounds or a
    learning rate that put θ where the activations overflow, or data of extreme scale.
    """


def non_finite_run(what, *, lam, extra=""):
    """The ``NonFiniteObjectiveError`` for a run whose every E was inf or NaN."""
    return NonFiniteObjectiveError(
        f"{what}, so nothing was trained. Likely causes: lam={lam:g} too large "
        f"(λ·Σw² overflows float64){extra}, or X/y of extreme magnitude (scale the data)"
    )


def check_seed(seed):
    """A seed as an int; a fresh one from OS entropy when ``seed`` is None (so it can be recorded)."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    return check_int(seed, "seed", low=0, int64=False)


def _tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError(
            "progress=True needs tqdm: pip install 'swarmreg[progress]' (or pip install tqdm)"
        ) from None
    return tqdm


def bar_opener(total, desc, unit="it"):
    """A function ``open(initial=0)`` that opens a tqdm bar of ``total`` steps (``unit``),
    ``initial`` of them done; tqdm is imported now.

    A trainer checks for tqdm before its kernels compile and lets ``drive`` open
    the bar when the loop starts: tqdm's clock starts when the bar opens, so the
    compilation never shows as training time (or as an ETA of hours).
    """
    tqdm = _tqdm()  # fails now, with the install hint, if tqdm is missing
    return lambda initial=0: tqdm(total=total, desc=desc, unit=unit, initial=initial)


class History:
    """A float64 record of at most ``max_len`` entries that grows (doubling) as it is filled.

    A budget meant as "until the target error" (``max_iter=10**12``) must not allocate
    ``max_iter + 1`` entries up front; the kernels write ``history[k]`` for the steps
    they run, so ``reserve`` before each call makes room for them.
    """

    def __init__(self, max_len, initial=None):
        self.max_len = max_len
        self.array = np.empty(min(max_len, FIRST_HISTORY_LEN if initial is None else initial))

    def reserve(self, n):
        """The array, grown (contents kept) to at least ``n`` entries if it was shorter."""
        if n > self.array.shape[0]:
            grown = np.empty(min(max(n, 2 * self.array.shape[0]), self.max_len))
            grown[: self.array.shape[0]] = self.array
            self.array = grown
        return self.array


def drive(iterate, total, counters, code, *, callback=None, report=None, open_bar=None,
          between=None):
    """Run ``iterate(steps) -> code`` until it stops or ``counters[0]`` reaches ``total``.

    Each call runs as many steps as take about ``CHUNK_SECONDS`` (starting from one
    step, at most doubling from one call to the next, cut at once when steps got
    slower), so that a KeyboardInterrupt, raised by Python only between calls, ends
    the run within about that time whatever the budget; with a callback, one step per
    call.  The state lives in the caller's arrays, so the chunking does not change any
    number.

    Parameters
    ----------
    iterate : callable(int) -> int
        Runs up to that many steps and returns a stop code (``_kernels.stops``):
        ``RAN_OUT`` means it merely ran out of steps.
    counters : int64 array whose element 0 counts the steps done.
    code : int
        The code before the first call (a target may already be met).
    callback : callable(step, error, theta) -> bool, optional
        Called after every step with ``report()``'s ``(error, theta)``; True stops.
    open_bar : callable() -> tqdm, optional
        Opens the progress bar (``bar_opener``); called here, when the loop starts,
        and the bar is closed on return.
    between : callable(), optional
        Called after every call of ``iterate`` that did not end the run (checkpoints).

    Returns
    -------
    str
        The stop reason: ``stops.REASONS[code]``, or ``"callback"``.
    """
    reasons, ran_out = stops.REASONS, stops.RAN_OUT
    bar = None if open_bar is None else open_bar()
    chunk = 1
    reason = reasons[code]
    try:
        while code == ran_out and counters[0] < total:
            before = int(counters[0])
            steps = min(chunk, total - before)
            tic = time.perf_counter()
            code = iterate(steps)
            seconds = time.perf_counter() - tic
            done = int(counters[0]) - before
            if callback is None and done == steps:  # a call cut short says nothing of the pace
                per_step = seconds / steps
                fit = int(CHUNK_SECONDS / per_step) if per_step > 0 else 2 * steps
                chunk = max(1, min(2 * steps, fit))
            reason = reasons[code]
            if bar is not None:
                bar.update(int(counters[0]) - bar.n)
                bar.set_postfix(error=f"{report()[0]:.6g}", refresh=False)
            if callback is not None and counters[0] > before:  # not after an undone step
                error, theta = report()
                if callback(int(counters[0]), error, theta):
                    if code == ran_out and counters[0] < total:
                        reason = "callback"
                    break
            if between is not None and code == ran_out and counters[0] < total:
                between()
    finally:
        if bar is not None:
            bar.close()
    return reason
