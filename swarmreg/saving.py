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

The layout is ``swarmreg/_modelfile.py`` (on the generic ``swarmreg/_archive.py``);
``TrainResult.save`` and the estimators' ``save`` write it without this module, which
sits above the estimators and imports them (and scikit-learn, when it is installed).
"""

from pathlib import Path

from ._modelfile import FORMAT_VERSION, MODEL_FORMAT, ModelFileError, read_model_file
from .estimators import ESTIMATORS
from .result import TrainResult

__all__ = ["save_model", "load_model", "ModelFileError", "FORMAT_VERSION"]


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
    if not isinstance(model, TrainResult):
        name = type(model).__name__
        if ESTIMATORS.get(name) is not type(model):
            raise TypeError(f"save_model takes a TrainResult or a swarmreg estimator, got {name}")
    return model.save(path)


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
    record = read_model_file(path)
    with MODEL_FORMAT.rebuilding(path):  # a forged structure
        result = TrainResult.from_record(record.result, record.arrays)
        if record.kind == "TrainResult":
            return result
        extra = {name: array for name, array in record.arrays.items()
                 if name not in ("theta", "history")}
        return ESTIMATORS[record.kind]._from_state(result, record.estimator, extra)
