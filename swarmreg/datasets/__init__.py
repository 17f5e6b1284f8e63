"""Data sets: Iris (shipped), a seeded teacher-network generator, a CSV loader,
and splitting/standardization that fit on the training part only.

One module per topic: ``_iris`` (the shipped Iris data), ``_teacher`` (``make_teacher``),
``_csvfile`` (``load_csv``, ``csv_header``, ``CSVData``) and ``_split``
(``split_train_test``, ``Standardizer``).
"""

from ._csvfile import CSVData, csv_header, load_csv
from ._iris import IRIS_CLASSES, iris, load_iris
from ._split import Standardizer, split_train_test
from ._teacher import make_teacher

__all__ = [
    "load_iris",
    "iris",
    "make_teacher",
    "load_csv",
    "CSVData",
    "csv_header",
    "split_train_test",
    "Standardizer",
    "IRIS_CLASSES",
]
