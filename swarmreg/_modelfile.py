"""The saved-model file: format ``"swarmreg-model"``, version 1, on ``_archive``.

A model file is an archive (``_archive``: a zip, written atomically, every member and the
metadata with a SHA-256 digest) whose ``model.json`` holds, after the archive's own fields,

* ``kind``: ``"TrainResult"`` or the estimator's class name;
* ``result``: ``TrainResult.to_record()``'s fields: error terms, counters, stop reason,
  trainer, λ and its scheme, seed, the network spec and the trainer's settings;
* ``estimator``: None for a result; for an estimator its parameters, fitted labels and
  feature names (``_state()`` without its arrays);

and whose arrays are ``theta`` and ``history`` then, for estimators, the input scaling
and class labels.  This module knows the layout only: ``TrainResult.save`` and the
estimators' ``save`` write it, ``saving.load_model`` rebuilds objects from what
``read_model_file`` returns.
"""

from typing import NamedTuple

from ._archive import ArchiveFormat, read_archive, write_archive

__all__ = ["ModelFileError", "ModelRecord", "MODEL_FORMAT", "FORMAT_VERSION",
           "write_model_file", "read_model_file"]


class ModelFileError(ValueError):
    """A file that cannot be loaded as a swarmreg model: the message says why."""


MODEL_FORMAT = ArchiveFormat(name="swarmreg-model", version=1, member="model.json",
                             noun="model", error=ModelFileError)
#: Version of the file layout; files of a newer version are refused, older ones read.
FORMAT_VERSION = MODEL_FORMAT.version


class ModelRecord(NamedTuple):
    """What a model file holds, as plain data.

    Attributes
    ----------
    kind : str
        ``"TrainResult"`` or an estimator class name.
    result : dict
        The JSON fields of ``TrainResult.to_record()``.
    estimator : dict or None
        The estimator's JSON fields; None for a result.
    arrays : dict of str -> ndarray
        ``theta``, ``history``, then the estimator's arrays.
    """

    kind: str
    result: dict
    estimator: object
    arrays: dict


def write_model_file(path, record):
    """Write ``record`` (a ``ModelRecord``) to ``path`` atomically; returns the path."""
    meta = {"kind": record.kind, "result": record.result, "estimator": record.estimator}
    return write_archive(path, MODEL_FORMAT, meta, record.arrays)


def read_model_file(path):
    """The checked ``ModelRecord`` of the model file at ``path``.

    Raises
    ------
    ModelFileError
        Not a model file, truncated, damaged or edited, or of a newer format version.
    OSError
        The file cannot be read.
    """
    meta, arrays = read_archive(path, MODEL_FORMAT)
    with MODEL_FORMAT.rebuilding(path):
        return ModelRecord(meta["kind"], meta["result"], meta["estimator"], arrays)
