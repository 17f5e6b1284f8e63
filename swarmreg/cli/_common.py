"""What every command uses: the one-line errors, the rule on which errors are the user's
(see the package docstring), and the argument types."""

import argparse
import contextlib
import errno
import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_CLI_DIR = Path(__file__).resolve().parent

#: What a write refused by the disk (not by the program) fails with: full, over quota,
#: read-only, not permitted.
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES})


class UsageError(Exception):
    """A mistake in the command line or its inputs: reported in one line, exit code 2."""


def raised_by_swarmreg(exc):
    """True when the innermost frame of ``exc``'s traceback is swarmreg's, not the CLI's."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    where = Path(tb.tb_frame.f_code.co_filename).resolve()
    return where.is_relative_to(_PACKAGE_DIR) and not where.is_relative_to(_CLI_DIR)


def _is_under(filename, folder):
    return Path(os.fsdecode(filename)).resolve().is_relative_to(Path(folder).resolve())


@contextlib.contextmanager
def user_inputs(out=None):
    """Turn the user's mistakes (see the package docstring) into ``UsageError``.

    ``out`` is the folder the command writes into (``--out``), if it has one: a write
    there that the disk refuses is the user's too.  An ``OSError`` of a failed ``write``
    or ``fsync`` (a full disk) names no file, so without one it is taken to be that
    folder's.
    """
    try:
        yield
    except (ValueError, TypeError, ImportError) as exc:
        if not raised_by_swarmreg(exc):
            raise
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        if out is not None and exc.errno in _WRITE_ERRNOS:
            if exc.filename is None:
                raise UsageError(f"cannot write in {out}: {exc.strerror or exc}") from exc
            if _is_under(exc.filename, out):
                raise UsageError(f"cannot write {exc.filename}: {exc.strerror or exc}") from exc
        if exc.filename is None:
            raise
        raise UsageError(f"cannot open {exc.filename}: {exc.strerror or exc}") from exc


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``PROG: error: MESSAGE; see 'PROG --help'``, exit code 2."""

    def error(self, message):
        message = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


# -- argument types -------------------------------------------------------------------------

def int_list(text):
    try:
        return [int(w) for w in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 4,7,3, got {text!r}")


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0.0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def column(text):
    """A column by index (an integer, negative from the end) or by header name."""
    try:
        return int(text)
    except ValueError:
        return text


def fraction_or_count(text):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction like 0.2 or a count like 30, got {text!r}")


def one_character(text):
    """A field delimiter: one character, or ``tab`` (or ``\\t``) for a tab."""
    text = {"\\t": "\t", "tab": "\t"}.get(text, text)
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"expected one character (or 'tab'), got {text!r}")
    return text
