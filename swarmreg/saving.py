"""Save and load trained models as data: arrays and JSON, never pickle, never code.

A model file is a zip archive (written atomically) with two kinds of members:

* ``model.json``: the format name and version, the library version, what was saved
  (``"TrainResult"`` or an estimator class name), the network spec, λ and its scheme,
  the trainer's settings and seed, the estimator's parameters and fitted labels /
  feature names, and a SHA-256 digest of every array member and of the metadata itself;
* ``ARRAY.npy``: θ, the training history and, for estimators, the input scaling and
  class labels, read back with ``numpy.load(allow_pickle=False)``.

Loading checks everything before building anything: a file that is not a model, a
truncated or edited one, or one from a newer format version raises
``ModelFileError`` naming the file.  Objects are rebuilt from a fixed table of known
classes, so loading a file cannot run code.
"""

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from ._io import atomic_write

__all__ = ["save_model", "load_model", "ModelFileError", "FORMAT_VERSION"]

FORMAT = "swarmreg-model"
#: Version of the file layout; files of a newer version are refused, older ones read.
FORMAT_VERSION = 1
_META = "model.json"
_RESULT_FIELDS = ("error", "data_error", "penalty", "mse", "sum_sq_weights", "iterations",
                  "n_evaluations", "elapsed", "stop_reason", "trainer", "lam", "loss", "seed",
                  "rule", "lam_nominal")


class ModelFileError(ValueError):
    """A file that cannot be loaded as a swarmreg model: the message says why."""


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def _npy_bytes(array):
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    return buf.getvalue()


def _result_record(result):
    record = {name: getattr(result, name) for name in _RESULT_FIELDS}
    net = result.network
    record["network"] = {"layers": list(net.layers), "hidden": net.hidden, "output": net.output}
    record["settings"] = dict(result.settings)
    return record


def save_model(model, path):
    """Write a trained model to ``path`` as data (see the module docstring).

    Parameters
    ----------
    model : TrainResult or fitted swarmreg estimator
        A result must carry its ``network`` (every trainer sets it).
    path : str or path-like
        Destination, replaced atomically; ``.swarmreg`` is the suggested suffix.

    Returns
    -------
    pathlib.Path
        ``path``, so that ``load_model(save_model(m, p))`` reads back what was written.
    """
    from ._version import __version__
    from .result import TrainResult

    if isinstance(model, TrainResult):
        if model.network is None:
            raise ValueError("this TrainResult has no network to save with it")
        kind, result, extra_arrays, estimator = "TrainResult", model, {}, None
    else:
        from .estimators import ESTIMATORS

        name = type(model).__name__
        if ESTIMATORS.get(name) is not type(model):
            raise TypeError(f"save_model takes a TrainResult or a swarmreg estimator, got {name}")
        estimator = model._state()  # raises NotFittedError when not fitted
        kind, result = name, model.result_
        extra_arrays = estimator.pop("arrays")
    arrays = {"theta": result.theta, "history": result.history, **extra_arrays}
    members = {f"{key}.npy": _npy_bytes(value) for key, value in arrays.items()}
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "swarmreg_version": __version__,
        "kind": kind,
        "result": _result_record(result),
        "estimator": estimator,
        "arrays": {name: _digest(data) for name, data in members.items()},
    }
    meta["digest"] = _digest(_canonical(meta))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_META, json.dumps(meta, indent=1, allow_nan=True))
        for name, data in members.items():
            archive.writestr(name, data)
    path = Path(path)
    atomic_write(path, buf.getvalue())
    return path


def _canonical(meta):
    body = {k: v for k, v in meta.items() if k != "digest"}
    return json.dumps(body, sort_keys=True, allow_nan=True).encode()


def _read_members(path):
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if _META not in names:
                raise ModelFileError(f"{path}: not a swarmreg model file (no {_META})")
            return {name: archive.read(name) for name in names}
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        raise ModelFileError(f"{path}: not a swarmreg model file, or a truncated one ({exc})") from None
    except zipfile.error as exc:  # e.g. a damaged member's CRC
        raise ModelFileError(f"{path}: damaged model file ({exc})") from None


def _check_meta(path, raw):
    try:
        meta = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(f"{path}: damaged model file ({_META} is not JSON: {exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a swarmreg model file")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path}: damaged model file (format_version {version!r})")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written in model format {version} by swarmreg "
            f"{meta.get('swarmreg_version', '?')}; this swarmreg reads format {FORMAT_VERSION} "
            "and older: upgrade swarmreg to load it")
    if meta.get("digest") != _digest(_canonical(meta)):
        raise ModelFileError(f"{path}: the model file was edited or damaged (metadata digest mismatch)")
    return meta


def load_model(path):
    """Read a model written by ``save_model``.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    TrainResult or fitted estimator
        The kind of object that was saved, with θ, history, settings, labels and
        feature names as they were; predictions are bit-identical.

    Raises
    ------
    ModelFileError
        The file is not a swarmreg model, is truncated or was edited, or was written
        in a newer format version.
    OSError
        The file cannot be read.
    """
    path = Path(path)
    members = _read_members(path)
    meta = _check_meta(path, members.pop(_META))
    try:
        return _rebuild(path, meta, members)
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a forged structure
        raise ModelFileError(f"{path}: swarmreg cannot rebuild a model from this file ({exc!r})") from None


def _rebuild(path, meta, members):
    """The saved object from checked metadata and the archive's members."""
    from .network import Network
    from .result import TrainResult

    digests = meta["arrays"]
    if set(digests) != set(members):
        raise ModelFileError(f"{path}: the model file was edited or damaged (unexpected members)")
    for name, data in members.items():
        if _digest(data) != digests[name]:
            raise ModelFileError(f"{path}: the model file was edited or damaged ({name} digest mismatch)")
    # allow_pickle=False: arrays of numbers or fixed-width strings only, never objects
    arrays = {name[: -len(".npy")]: np.load(io.BytesIO(data), allow_pickle=False)
              for name, data in members.items()}
    record = dict(meta["result"])
    network = Network(**record.pop("network"))
    settings = {k: tuple(v) if isinstance(v, list) else v for k, v in record.pop("settings").items()}
    result = TrainResult(theta=arrays.pop("theta"), history=arrays.pop("history"),
                         network=network, settings=settings, **record)
    if result.theta.shape != (network.n_params,):
        raise ValueError(f"theta has shape {result.theta.shape} for {network!r}")
    if meta["kind"] == "TrainResult":
        return result
    from .estimators import ESTIMATORS

    return ESTIMATORS[meta["kind"]]._from_state(result, meta["estimator"], arrays)
