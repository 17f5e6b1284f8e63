"""swarmreg's data-only file format: a zip of one JSON metadata member and ``.npy`` arrays.

An archive holds

* ``<member>`` (``model.json``, ...): ``format`` and ``format_version``, the
  ``swarmreg_version`` that wrote it, the caller's own fields, ``arrays`` (the SHA-256
  digest of each array member) and ``digest`` (the SHA-256 of the metadata itself,
  serialized with sorted keys, ``digest`` left out);
* ``NAME.npy`` for each array, read back with ``numpy.load(allow_pickle=False)``:
  numbers and fixed-width strings only, never objects.

Writing is atomic (``_io.atomic_write``): a reader sees the previous file or the new
one, never half of one.  Reading checks everything before the caller builds anything:
a file that is not an archive of this format, a truncated, damaged or edited one, or
one of a newer version raises the format's error class, naming the file.  Older
versions are read; upgrading their layout is the caller's business.

The module knows nothing of what it stores: each file format (saved models in
``_modelfile``, ...) is one ``ArchiveFormat``.
"""

import contextlib
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._io import atomic_write
from ._version import __version__

__all__ = ["ArchiveFormat", "write_archive", "read_archive", "digest", "metadata_digest"]

#: Metadata keys the archive writes itself: a caller's ``meta`` may not use them.
RESERVED_KEYS = ("format", "format_version", "swarmreg_version", "arrays", "digest")
_SUFFIX = ".npy"


@dataclass(frozen=True)
class ArchiveFormat:
    """One file format written with ``write_archive``.

    Attributes
    ----------
    name : str
        Stored as ``format``; a file of another name is refused (``"swarmreg-model"``).
    version : int
        The layout this swarmreg writes; files of a newer one are refused, older read.
    member : str
        Name of the JSON metadata member (``"model.json"``).
    noun : str
        What the messages call a file's content: "not a swarmreg {noun} file".
    error : type
        The exception raised for a file that cannot be read as this format.
    compression : int, default ``zipfile.ZIP_DEFLATED``
        How the members are written (a reader takes either): ``zipfile.ZIP_STORED`` for
        arrays of floats that deflate hardly shrinks and much slows.
    """

    name: str
    version: int
    member: str
    noun: str
    error: type
    compression: int = zipfile.ZIP_DEFLATED

    @contextlib.contextmanager
    def rebuilding(self, path):
        """Turn the errors of building objects from a forged structure into ``error``."""
        try:
            yield
        except self.error:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self.error(f"{path}: swarmreg cannot rebuild a {self.noun} from this file "
                             f"({exc!r})") from None


def digest(data):
    """SHA-256 of ``data`` (bytes), as hex."""
    return hashlib.sha256(data).hexdigest()


def metadata_digest(meta):
    """SHA-256 of ``meta`` without its ``digest`` key, serialized with sorted keys."""
    body = {key: value for key, value in meta.items() if key != "digest"}
    return digest(json.dumps(body, sort_keys=True, allow_nan=True).encode())


def _npy_bytes(array):
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    return buf.getvalue()


def write_archive(path, fmt, meta, arrays, previous=None):
    """Write ``meta`` and ``arrays`` to ``path`` as an archive of format ``fmt``.

    Parameters
    ----------
    path : str or path-like
        Destination, replaced atomically.
    fmt : ArchiveFormat
    meta : dict
        JSON-able fields (NaN and inf allowed), stored in this order after ``format``,
        ``format_version`` and ``swarmreg_version``; none of ``RESERVED_KEYS``.
    arrays : dict of str -> array_like
        Stored in this order as ``NAME.npy``; numbers, bools or fixed-width strings.
    previous : str or path-like, optional
        Where the file at ``path``, if any, is kept when the new one replaces it
        (``_io.atomic_write``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    clash = [key for key in RESERVED_KEYS if key in meta]
    if clash:
        raise ValueError(f"the archive writes {clash} itself")
    members = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name or "/" in name or "\\" in name:
            raise ValueError(f"array name {name!r} cannot name an archive member")
        members[name + _SUFFIX] = _npy_bytes(value)
    full = {"format": fmt.name, "format_version": fmt.version, "swarmreg_version": __version__,
            **meta, "arrays": {name: digest(data) for name, data in members.items()}}
    full["digest"] = metadata_digest(full)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=fmt.compression) as archive:
        archive.writestr(fmt.member, json.dumps(full, indent=1, allow_nan=True))
        for name, data in members.items():
            archive.writestr(name, data)
    path = Path(path)
    atomic_write(path, buf.getvalue(), previous=previous)
    return path


def read_archive(path, fmt):
    """Read and check an archive written by ``write_archive`` with format ``fmt``.

    Parameters
    ----------
    path : str or path-like
    fmt : ArchiveFormat

    Returns
    -------
    meta : dict
        The metadata as written: the caller's fields and the archive's own
        (``format_version`` is at most ``fmt.version``).
    arrays : dict of str -> ndarray
        Each array member, by the name it was written with.

    Raises
    ------
    fmt.error
        Not an archive of this format, truncated, damaged or edited, or of a newer
        version; the message names the file.
    OSError
        The file cannot be read.
    """
    path = Path(path)
    members = _read_members(path, fmt)
    meta = _check_meta(path, fmt, members.pop(fmt.member))
    with fmt.rebuilding(path):
        digests = dict(meta["arrays"])
        if set(digests) != set(members) or not all(name.endswith(_SUFFIX) for name in members):
            raise fmt.error(f"{path}: the {fmt.noun} file was edited or damaged (unexpected members)")
        for name, data in members.items():
            if digest(data) != digests[name]:
                raise fmt.error(f"{path}: the {fmt.noun} file was edited or damaged "
                                f"({name} digest mismatch)")
        arrays = {name[: -len(_SUFFIX)]: np.load(io.BytesIO(data), allow_pickle=False)
                  for name, data in members.items()}
    return meta, arrays


def _read_members(path, fmt):
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if fmt.member not in names:
                raise fmt.error(f"{path}: not a swarmreg {fmt.noun} file (no {fmt.member})")
            if len(set(names)) != len(names):
                raise fmt.error(f"{path}: the {fmt.noun} file was edited or damaged "
                                "(a member is repeated)")
            return {name: archive.read(name) for name in names}
    except zipfile.BadZipFile as exc:
        if str(exc).startswith("Bad CRC-32"):  # a stored member whose bytes changed
            raise fmt.error(f"{path}: damaged {fmt.noun} file ({exc})") from None
        raise fmt.error(f"{path}: not a swarmreg {fmt.noun} file, or a truncated one ({exc})") from None
    except (EOFError, zipfile.LargeZipFile) as exc:
        raise fmt.error(f"{path}: not a swarmreg {fmt.noun} file, or a truncated one ({exc})") from None
    except zipfile.error as exc:  # e.g. a damaged member's CRC
        raise fmt.error(f"{path}: damaged {fmt.noun} file ({exc})") from None


def _check_meta(path, fmt, raw):
    try:
        meta = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise fmt.error(f"{path}: damaged {fmt.noun} file ({fmt.member} is not JSON: {exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != fmt.name:
        raise fmt.error(f"{path}: not a swarmreg {fmt.noun} file")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fmt.error(f"{path}: damaged {fmt.noun} file (format_version {version!r})")
    if version > fmt.version:
        raise fmt.error(
            f"{path}: written in {fmt.noun} format {version} by swarmreg "
            f"{meta.get('swarmreg_version', '?')}; this swarmreg reads format {fmt.version} "
            "and older: upgrade swarmreg to load it")
    if meta.get("digest") != metadata_digest(meta):
        raise fmt.error(f"{path}: the {fmt.noun} file was edited or damaged (metadata digest mismatch)")
    return meta
