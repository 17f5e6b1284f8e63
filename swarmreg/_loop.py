"""What every trainer's Python layer shares: seeds, the progress bar, and driving a
jitted loop in chunks so that callbacks and progress can be reported between them."""

import numpy as np

from ._validation import check_int


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


def progress_bar(total, desc):
    """An open tqdm bar of ``total`` steps."""
    return _tqdm()(total=total, desc=desc, unit="it")


def bar_opener(total, desc):
    """A function that opens ``progress_bar(total, desc)``; tqdm is imported now.

    A trainer checks for tqdm before its kernels compile and lets ``drive`` open
    the bar when the loop starts: tqdm's clock starts when the bar opens, so the
    compilation never shows as training time (or as an ETA of hours).
    """
    tqdm = _tqdm()  # fails now, with the install hint, if tqdm is missing
    return lambda: tqdm(total=total, desc=desc, unit="it")


def drive(iterate, total, counters, code, reasons, *, callback=None, report=None, open_bar=None):
    """Run ``iterate(steps) -> code`` until it stops or ``counters[0]`` reaches ``total``.

    Without a callback or a bar the whole budget goes to one call; with a callback,
    one step per call; with only a bar, about 1% of the budget per call.  The state
    lives in the caller's arrays, so the chunking does not change any number.

    Parameters
    ----------
    iterate : callable(int) -> int
        Runs up to that many steps and returns a stop code; ``reasons[code] ==
        "max_iter"`` means it merely ran out of steps.
    counters : int64 array whose element 0 counts the steps done.
    code : int
        The code before the first call (a target may already be met).
    callback : callable(step, error, theta) -> bool, optional
        Called after every step with ``report()``'s ``(error, theta)``; True stops.
    open_bar : callable() -> tqdm, optional
        Opens the progress bar (``bar_opener``); called here, when the loop starts,
        and the bar is closed on return.

    Returns
    -------
    str
        The stop reason: ``reasons[code]``, or ``"callback"``.
    """
    ran_out = next(c for c, r in reasons.items() if r == "max_iter")
    bar = None if open_bar is None else open_bar()
    chunk = 1 if callback is not None else max(1, total // 100) if bar is not None else total
    reason = reasons[code]
    try:
        while code == ran_out and counters[0] < total:
            before = int(counters[0])
            code = iterate(min(chunk, total - before))
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
    finally:
        if bar is not None:
            bar.close()
    return reason
