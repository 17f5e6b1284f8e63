"""Pieces the experiments share: data sets, one training call per scheme, metrics, outputs."""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import swarmreg as sr
from swarmreg.algorithms.pso import MCCAFFREY

from .._io import atomic_write

#: Back-prop rules and the trainers that minimize E directly, as experiments name them.
SCHEMES = ("pso", "lbfgs", "objective", "textbook_batch", "textbook_dataset", "decay", "none")


def load(dataset, seed, *, n_train=None, noise=0.0):
    """``(X_train, X_test, y_train, y_test, layers_in_out)`` for a named data set.

    ``iris``: shipped; 80/20 stratified split.  ``teacher``: a 5-input, 3-class teacher
    network, ``n_train`` training items (label noise ``noise``) and 2000 clean test items.
    ``wine``: scikit-learn's wine data (the ``experiments`` extra), standardized on the
    training part.  ``digits``: scikit-learn's 8×8 digits (1797 items, 64 features, 10
    classes), a stratified split with ``n_train`` training items (default 1344, about 75 %
    and a multiple of 16) and the rest for testing, standardized on the training part.
    """
    if dataset == "iris":
        X_tr, X_te, y_tr, y_te = sr.datasets.iris(test_size=0.2, seed=seed)
    elif dataset == "teacher":
        n_train = n_train or 200
        X, y_clean = sr.datasets.make_teacher(n_train + 2000, [5, 8, 3], seed=1000 + seed)
        _, y_noisy = sr.datasets.make_teacher(n_train + 2000, [5, 8, 3], noise=noise, seed=1000 + seed)
        X_tr, y_tr, X_te, y_te = X[:n_train], y_noisy[:n_train], X[n_train:], y_clean[n_train:]
    elif dataset in ("wine", "digits"):
        data = _sklearn_data(dataset)
        test_size = 0.25 if dataset == "wine" else data.target.shape[0] - (n_train or 1344)
        X_tr, X_te, y_tr, y_te = sr.datasets.split_train_test(data.data, data.target,
                                                              test_size=test_size, seed=seed,
                                                              stratify=True)
        X_tr, X_te = sr.datasets.Standardizer().fit(X_tr).transform_both(X_tr, X_te)
    else:
        raise ValueError(f"unknown data set {dataset!r}")
    n_classes = int(max(y_tr.max(), y_te.max()) + 1)
    return X_tr, X_te, y_tr, y_te, (X_tr.shape[1], n_classes)


def _sklearn_data(name):
    """scikit-learn's ``load_<name>()`` (its data files ship with it: no download)."""
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError(f"the {name} data set comes with scikit-learn: "
                          "pip install 'swarmreg[experiments]'") from None
    return getattr(datasets, f"load_{name}")()


def train(scheme, net, X, y, lam, seed, *, lr=0.01, batch_size=1, epochs=200, include_biases=False,
          swarm_size=30, max_iter=1000, **extra):
    """Train with ``scheme`` (a back-prop rule, ``"pso"`` or ``"lbfgs"``) at nominal ``lam``.

    ``"pso"`` runs with McCaffrey's settings (``algorithms.pso.MCCAFFREY``), the settings the
    experiments were designed and published with, unless ``extra`` says otherwise."""
    if scheme == "pso":
        options = {**MCCAFFREY, "swarm_size": swarm_size, "max_iter": max_iter, **extra}
        return sr.train_pso(net, X, y, lam=lam, include_biases=include_biases, seed=seed,
                            **options)
    if scheme == "lbfgs":
        return sr.train_lbfgs(net, X, y, lam=lam, include_biases=include_biases, seed=seed, **extra)
    return sr.train_backprop(net, X, y, lam=lam, rule=scheme, lr=lr, batch_size=batch_size,
                             epochs=epochs, include_biases=include_biases, seed=seed, **extra)


def metrics(net, res, X_tr, X_te, y_tr, y_te):
    """What every record stores about a trained network: numbers that reproduce bit for bit
    (the wall time goes apart, in ``timing``)."""
    out = dict(lam_E=res.lam, error=res.error, train_mse=res.mse, sum_sq_weights=res.sum_sq_weights,
               test_mse=float(sr.regularized_error(net, res.theta, X_te, y_te, 0.0)),
               iterations=res.iterations, n_evaluations=res.n_evaluations,
               stop_reason=res.stop_reason)
    if net.is_classifier:
        out["train_accuracy"] = float(np.mean(net.predict(res.theta, X_tr) == y_tr))
        out["test_accuracy"] = float(np.mean(net.predict(res.theta, X_te) == y_te))
    return out


def timing(res):
    """What a cell measures that differs from run to run: the sweep keeps it out of the metrics."""
    return dict(seconds=res.elapsed)


def flatten(records):
    """One row per record: config, seed, metrics and timing side by side."""
    rows = []
    for r in records:
        row = dict(r["config"], seed=r["seed"])
        row.update({k: v for k, v in r["metrics"].items() if not isinstance(v, (list, dict))})
        row.update(r.get("timing", {}))
        rows.append(row)
    return rows


def write_csv(path, rows):
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(path, buf.getvalue())


def pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'swarmreg[experiments]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    atomic_write(path, buf.getvalue())


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_outputs(out_dir, name, rows, fig, markdown):
    """``<name>.csv``, ``<name>.png`` and ``<name>.md`` in ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    paths = {kind: out_dir / f"{name}.{kind}" for kind in ("csv", "png", "md")}
    write_csv(paths["csv"], rows)
    save_figure(fig, paths["png"])
    atomic_write(paths["md"], markdown)
    return paths


@dataclass(frozen=True)
class SeedStats:
    """One configuration's value over its seeds: mean, min, max and the number of seeds."""

    mean: float
    low: float
    high: float
    n: int


def group_stats(rows, keys, value):
    """``{tuple(row[k] for k in keys): SeedStats}`` over the seeds of each configuration.

    ``value`` is a column name or a function of the row (e.g. ``1 − accuracy``).
    """
    get = value if callable(value) else (lambda row: row[value])
    groups = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(get(row))
    return {k: SeedStats(float(np.mean(v)), float(np.min(v)), float(np.max(v)), len(v))
            for k, v in groups.items()}


def group_mean(rows, keys, value):
    """``{tuple(row[k] for k in keys): mean of row[value]}`` over seeds."""
    return {k: s.mean for k, s in group_stats(rows, keys, value).items()}


def spread_note(stats, what="mean"):
    """What a plotted point and its band are, e.g. ``"mean of 5 seeds, band = min–max"``."""
    counts = sorted({s.n for s in stats.values()})
    seeds = "/".join(str(n) for n in counts)
    if counts == [1]:
        return "1 seed"
    return f"{what} of {seeds} seeds, band = min–max"


def plot_band(ax, xs, stats, fmt="o-", **style):
    """Plot ``[s.mean for s in stats]`` against ``xs`` with a shaded min–max band; the line."""
    line = ax.plot(xs, [s.mean for s in stats], fmt, **style)[0]
    ax.fill_between(xs, [s.low for s in stats], [s.high for s in stats], color=line.get_color(),
                    alpha=0.15, lw=0)
    return line
