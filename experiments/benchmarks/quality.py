"""Quality benchmark: how well each trainer trains, not how fast it iterates.

Usage::

    python experiments/benchmarks/quality.py [--quick] [--only NAME ...] [--algorithms A ...]
                                             [--trainers T ...] [--splits N] [--no-tuned]
                                             [--out DIR] [--readme]
    python experiments/benchmarks/run.py --only quality [--quick]

Data sets (``--only``): ``iris`` (shipped with swarmreg; 4-7-3), scikit-learn's ``wine``
(13-8-3), ``breast_cancer`` (30-8-2) and ``digits`` (64-16-10), loaded from the files that
come with scikit-learn (no network), and teacher networks of growing width
(``teacher-100`` … ``teacher-5000``: about that many parameters; ``make_teacher``, 2000
items, 16 inputs, 4 classes, one fixed seed, the student of the teacher's shape).
Each is split 75/25, stratified, with seeds 0..N−1 (``--splits``, 3 by default), and
its features standardized on the training part.  Every trainer minimizes
``E = MSE + λ·Σw²`` with λ_E = 1e-3 (scikit-learn's MLPClassifier minimizes its own
objective):

============ ===============================================================================
trainer      what it is
============ ===============================================================================
ALG          ``PSOClassifier(algorithm=ALG)`` with its defaults, one column per swarm
             algorithm of ``swarmreg.algorithms.ALGORITHMS``: what a user gets
ALG-tuned    the same with a larger budget (100 particles × 2000 iterations)
mccaffrey    ``"pso"`` with McCaffrey's settings (``swarmreg.algorithms.pso.MCCAFFREY``:
             box [−10, 10] for start and search, 30 particles, 1000 iterations)
sgd          ``BackpropClassifier()``: online SGD, η = 0.01, 200 epochs, rule "objective"
adam         ``BackpropClassifier(optimizer="adam", batch_size=16)``, 200 epochs
lbfgs        ``LBFGSClassifier()``: the local-optimum reference
sklearn      scikit-learn's ``MLPClassifier`` with the same hidden layer and tanh, up to
             2000 epochs (it stops by its own tolerance), its other defaults (Adam,
             η = 1e-3, α = 1e-4 on its log-loss)
============ ===============================================================================

Two more sections: ``gridsearch`` (``GridSearchCV`` over λ of a
``Pipeline(StandardScaler, estimator)`` with ``hidden_layer_sizes=(5,)`` on wine's training
part, cv = 5; the refit's test accuracy) and ``pyswarms`` (PySwarms' own neural-network
example, ``pyswarms_example.py``, swarmreg against PySwarms over seeds).

Recorded per fit: test and training accuracy, E reached on the training part (computed the
same way for every trainer, scikit-learn's weights included), Σw², passes over the data
(``n_evaluations``; scikit-learn: epochs) and the fit's wall time.  Results go to
``DIR/quality/MODE/``: ``quality.json``, ``quality.md`` and ``quality.png`` (test accuracy
against the number of parameters).  ``--readme`` writes the table into README.md between
``<!-- quality-table:start -->`` and ``<!-- quality-table:end -->`` and the figure to
``docs/figures/quality.png``.

Resumable: every (section, data, trainer, split) is one cell, saved as soon as it finishes
(``swarmreg.sweep``) in ``DIR/quality/MODE/cells``; a second run skips the cells done, so a
full run can be made in pieces (``--only digits``, then ``--only teacher-5000``, ...) and the
report always covers every cell of the grid found there.  A cell's key holds the
estimator's full parameters, its swarm algorithm's default options and the swarmreg
version, so a change of defaults runs it again; after a change of the kernels (the same
options, other numbers) delete ``DIR/quality/MODE/cells``.

Fits run one after another in this process, each with all of Numba's threads (what a user
gets), after an untimed warm-up fit per trainer (compilation is not counted).  Times are
wall times on a possibly shared machine: see the ``other load`` the report records.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import math
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))  # run as a script: the sibling modules by name

import _common  # noqa: E402
import pyswarms_example  # noqa: E402

import swarmreg as sr  # noqa: E402
from swarmreg._io import atomic_write  # noqa: E402
from swarmreg.algorithms import ALGORITHMS  # noqa: E402
from swarmreg.sweep import Cell, load_records, run_sweep  # noqa: E402

NAME = "quality"
#: λ_E of every fit (the issue's setting; _common.LAM, the speed benchmarks', is the same).
LAM = 1e-3
TEST_SIZE = 0.25

#: Real data sets: hidden width of the student network.
REAL = {"iris": 7, "wine": 8, "breast_cancer": 8, "digits": 16}
#: Teacher networks: 16 inputs, 4 classes, ``TEACHER_ITEMS`` items, one seed; name ->
#: hidden width, chosen so that the network has about that many parameters
#: (21·h + 4: 109, 298, 1012, 1999, 5002).
TEACHER_INPUTS, TEACHER_CLASSES, TEACHER_ITEMS, TEACHER_SEED = 16, 4, 2000, 0
TEACHERS = {"teacher-100": 5, "teacher-300": 14, "teacher-1000": 48, "teacher-2000": 95,
            "teacher-5000": 238}
DATASETS = (*REAL, *TEACHERS)
SECTIONS = ("gridsearch", "pyswarms")

#: The trainers that are not swarm algorithms, in table order.
OTHER_TRAINERS = ("sgd", "adam", "lbfgs", "sklearn")
TRAINER_KINDS = ("defaults", "tuned", "mccaffrey", *OTHER_TRAINERS)
#: MLPClassifier's epoch budget: its default 200 leaves Adam (η = 1e-3, batches of 200)
#: far from converged on the small data sets; it stops earlier by its own tolerance.
SKLEARN_EPOCHS = 2000
#: Within this many points of back-prop's test accuracy counts as "as good".
WITHIN = 0.02

MODES = {
    "quick": dict(splits=2, data=["iris", "wine", "teacher-100"], tuned=(50, 300),
                  grid_lams=[1e-3, 1e-1], grid_cv=3, pyswarms_seeds=2, pyswarms_iters=100),
    "full": dict(splits=3, data=list(DATASETS), tuned=(100, 2000),
                 grid_lams=[1e-4, 1e-3, 1e-2, 1e-1], grid_cv=5, pyswarms_seeds=10,
                 pyswarms_iters=1000),
}

#: The issue's targets (#18), checked in the report: (what, data, threshold).
TARGETS = (
    ("digits 64-16-10, test accuracy, ≤ 60 s per fit", "digits", 0.95),
    ("wine 13-8-3, test accuracy", "wine", 0.97),
    ("breast cancer 30-8-2, test accuracy", "breast_cancer", 0.96),
    ("iris 4-7-3, test accuracy (was 0.95–0.97)", "iris", 0.95),
    ("GridSearchCV over λ on wine, (5,), test accuracy", "gridsearch", 0.95),
)


# --------------------------------------------------------------------------- data


def _sklearn_data(name):
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError(f"the {name} data set comes with scikit-learn: "
                          "pip install 'swarmreg[bench]'") from None
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return X, y.astype(np.int64)


@functools.lru_cache(maxsize=None)
def raw_data(name):
    """``(X, y)`` of a data set, all items, features as loaded."""
    if name == "iris":
        return sr.datasets.load_iris()
    if name in REAL:
        return _sklearn_data(name)
    if name in TEACHERS:
        return sr.datasets.make_teacher(
            TEACHER_ITEMS, [TEACHER_INPUTS, TEACHERS[name], TEACHER_CLASSES], seed=TEACHER_SEED)
    raise ValueError(f"unknown data set {name!r}; choose from {', '.join(DATASETS)}")


def split(name, seed, standardize=True):
    """The 75/25 stratified split ``seed`` of a data set, standardized on its training part."""
    X, y = raw_data(name)
    X_tr, X_te, y_tr, y_te = sr.datasets.split_train_test(X, y, test_size=TEST_SIZE, seed=seed,
                                                          stratify=True)
    if standardize:
        X_tr, X_te = sr.datasets.Standardizer().fit(X_tr).transform_both(X_tr, X_te)
    return X_tr, X_te, y_tr, y_te


def layers(name):
    """The student network's widths for a data set."""
    X, y = raw_data(name)
    hidden = REAL[name] if name in REAL else TEACHERS[name]
    return [X.shape[1], hidden, int(y.max()) + 1]


def n_params(widths):
    return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))


# --------------------------------------------------------------------------- trainers


def mccaffrey_settings():
    """McCaffrey's PSO settings as estimator parameters: the named preset where swarmreg has
    one, else the estimator's defaults (which were McCaffrey's before the preset existed)."""
    from swarmreg.algorithms import pso

    return dict(getattr(pso, "MCCAFFREY", {}))


class Unavailable(Exception):
    """A trainer this swarmreg cannot build (an option or algorithm it does not have)."""


def _settable(estimator, params):
    """Set ``params`` on ``estimator``; Unavailable naming those it does not take."""
    known = estimator.get_params()
    missing = sorted(set(params) - set(known))
    if missing:
        raise Unavailable(f"{type(estimator).__name__} takes no {', '.join(missing)}")
    return estimator.set_params(**params)


def build_estimator(trainer, hidden, seed, tuned=MODES["full"]["tuned"]):
    """The estimator of a trainer name (``ALG``, ``ALG-tuned``, ``mccaffrey``, ``sgd``,
    ``adam``, ``lbfgs``, ``sklearn``) for one hidden width and seed."""
    common = dict(hidden_layer_sizes=(hidden,), random_state=seed)
    if trainer == "sgd":
        return sr.BackpropClassifier(lam=LAM, **common)
    if trainer == "adam":
        return sr.BackpropClassifier(lam=LAM, optimizer="adam", batch_size=16, max_iter=200,
                                     **common)
    if trainer == "lbfgs":
        return sr.LBFGSClassifier(lam=LAM, **common)
    if trainer == "sklearn":
        try:
            from sklearn.neural_network import MLPClassifier
        except ImportError:
            raise Unavailable("scikit-learn is not installed") from None
        return MLPClassifier(activation="tanh", max_iter=SKLEARN_EPOCHS, **common)
    if trainer == "mccaffrey":
        extra = mccaffrey_settings()
        algorithm = extra.setdefault("algorithm", "pso")
    else:
        algorithm, _, kind = trainer.partition("-")
        extra = dict(algorithm=algorithm)
        if kind == "tuned":
            extra.update(swarm_size=tuned[0], max_iter=tuned[1])
    if algorithm not in ALGORITHMS:
        raise Unavailable(f"swarm algorithm {algorithm!r} is not in this swarmreg's ALGORITHMS")
    est = sr.PSOClassifier(lam=LAM, **common)
    if algorithm == "pso" and "algorithm" not in est.get_params():
        del extra["algorithm"]  # an older swarmreg: the estimator's only algorithm
    return _settable(est, extra)


def trainer_names(algorithms, kinds, tuned=True):
    """The trainer columns, in table order."""
    names = []
    for a in algorithms:
        if "defaults" in kinds:
            names.append(a)
    if tuned and "tuned" in kinds:
        names += [f"{a}-tuned" for a in algorithms]
    if "mccaffrey" in kinds and "pso" in algorithms:
        names.append("mccaffrey")
    return names + [t for t in OTHER_TRAINERS if t in kinds]


def trainer_label(trainer, tuned=MODES["full"]["tuned"]):
    if trainer in ALGORITHMS:
        return f"{trainer} defaults"
    if trainer.endswith("-tuned"):
        return f"{trainer[:-len('-tuned')]}, {tuned[0]} × {tuned[1]}"
    return {"mccaffrey": "pso, McCaffrey's settings", "sgd": "back-prop SGD",
            "adam": "back-prop Adam", "lbfgs": "L-BFGS",
            "sklearn": "scikit-learn MLP"}.get(trainer, trainer)


def is_swarm(trainer):
    return trainer == "mccaffrey" or trainer.partition("-")[0] in ALGORITHMS


def _jsonable(value):
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _tuples(value):
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def estimator_from(config):
    """The estimator a cell's configuration describes (``estimator``, ``params``)."""
    name = config["estimator"]
    if name == "MLPClassifier":
        from sklearn.neural_network import MLPClassifier as cls
    else:
        cls = getattr(sr, name)
    return cls(**{k: _tuples(v) for k, v in config["params"].items()})


# --------------------------------------------------------------------------- cells


def algorithm_defaults(est, widths):
    """The default options and swarm size of a swarm estimator's algorithm for a network,
    as text (None for the other trainers): part of a cell's key, so that new defaults of
    ``train_pso`` run it again even where the estimator's own parameters did not change."""
    if not isinstance(est, sr.PSOClassifier):
        return None
    algorithm = ALGORITHMS[est.get_params().get("algorithm", "pso")]
    size = getattr(algorithm, "swarm_size", None)
    return f"{algorithm.options()!r}; swarm size {size(n_params(widths)) if size else 30}"


def fit_config(data, trainer, seed, tuned):
    """A fit cell's configuration: everything that decides its result."""
    est = build_estimator(trainer, layers(data)[1], seed, tuned)
    return dict(section="fit", data=data, trainer=trainer, estimator=type(est).__name__,
                params=_jsonable(est.get_params()),
                defaults=algorithm_defaults(est, layers(data)), lam=LAM,
                version=sr.__version__)


def grid_config(trainer, seed, lams, cv):
    est = build_estimator(trainer, 5, seed)
    return dict(section="gridsearch", data="wine", trainer=trainer,
                estimator=type(est).__name__, params=_jsonable(est.get_params()),
                defaults=algorithm_defaults(est, [13, 5, 3]), lams=[float(v) for v in lams],
                cv=cv,
                version=sr.__version__)


def pyswarms_config(implementation, iters):
    """``settings``: PySwarms' version, or the options swarmreg's run will use, as text."""
    if implementation == "pyswarms":
        settings = _common._version("pyswarms")
    else:
        algorithm, _, kind = implementation.partition(":")
        options = pyswarms_example.accepted_options()[0] if kind != "defaults" else {}
        settings = repr(ALGORITHMS[algorithm].options(**options))
    return dict(section="pyswarms", implementation=implementation, iters=iters,
                settings=settings, version=sr.__version__)


_warm = set()


def _warm_up(est, X, y):
    """One tiny untimed fit per kind of estimator and algorithm in this process, so that
    the timed fits do not include Numba's compilation or cache loading."""
    params = est.get_params()
    kind = (type(est).__name__, params.get("algorithm"), params.get("optimizer"),
            params.get("batch_size") == 1)
    if kind in _warm or type(est).__name__ == "MLPClassifier":
        return
    small = type(est)(**params).set_params(max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small.fit(X[:40], y[:40])
    _warm.add(kind)


def network_theta(est, widths):
    """Our ``Network`` and θ for a fitted estimator; scikit-learn's weights are packed
    into the same layout (its binary classifier has one logistic output p: as a softmax
    over logits (0, z) it is the same model, so a zero column is added)."""
    if hasattr(est, "theta_"):
        return est.network_, est.theta_
    coefs, intercepts = list(est.coefs_), list(est.intercepts_)
    if coefs[-1].shape[1] == 1 and widths[-1] == 2:
        coefs[-1] = np.hstack([np.zeros_like(coefs[-1]), coefs[-1]])
        intercepts[-1] = np.concatenate([[0.0], intercepts[-1]])
    net = sr.Network(widths, hidden="tanh", output="softmax")
    return net, net.pack(list(zip(coefs, intercepts)))


def run_fit(config, seed):
    X_tr, X_te, y_tr, y_te = split(config["data"], seed)
    est = estimator_from(config)
    _warm_up(est, X_tr, y_tr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        est.fit(X_tr, y_tr)
        seconds = time.perf_counter() - start
    widths = layers(config["data"])
    net, theta = network_theta(est, widths)
    error, mse, penalty = sr.regularized_error(net, theta, X_tr, y_tr, LAM, return_terms=True)
    if hasattr(est, "result_"):
        res = est.result_
        evaluations, iterations, stop = res.n_evaluations, res.iterations, res.stop_reason
    else:  # scikit-learn: one pass over the data per epoch
        evaluations = iterations = int(est.n_iter_)
        stop = "max_iter" if est.n_iter_ >= est.max_iter else "converged"
    metrics = dict(
        test_accuracy=float(np.mean(est.predict(X_te) == y_te)),
        train_accuracy=float(np.mean(est.predict(X_tr) == y_tr)),
        error=error, mse=mse, sum_sq_weights=penalty / LAM, n_params=net.n_params,
        n_evaluations=int(evaluations), iterations=int(iterations), stop_reason=stop,
        warnings=sorted({f"{w.category.__name__}: {str(w.message)[:120]}" for w in caught}))
    return metrics, dict(fit_seconds=seconds)


def run_gridsearch(config, seed):
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X_tr, X_te, y_tr, y_te = split("wine", seed, standardize=False)
    est = estimator_from(config)
    _warm_up(est, X_tr, y_tr)
    step = type(est).__name__.lower()
    search = GridSearchCV(make_pipeline(StandardScaler(), est),
                          {f"{step}__lam": config["lams"]}, cv=config["cv"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        search.fit(X_tr, y_tr)
        seconds = time.perf_counter() - start
    metrics = dict(test_accuracy=float(search.score(X_te, y_te)),
                   cv_score=float(search.best_score_),
                   best_lam=float(search.best_params_[f"{step}__lam"]))
    return metrics, dict(fit_seconds=seconds)


def run_pyswarms(config, seed):
    impl = config["implementation"]
    if impl == "pyswarms":
        out = pyswarms_example.run_pyswarms(seed, iters=config["iters"])
    else:
        algorithm, _, kind = impl.partition(":")
        out = pyswarms_example.run_swarmreg(seed, iters=config["iters"], algorithm=algorithm,
                                            settings=kind or "pyswarms")
    seconds = out.pop("seconds")
    return out, dict(fit_seconds=seconds)


def run_cell(config, seed):
    """One cell of the grid (``swarmreg.sweep`` task)."""
    return {"fit": run_fit, "gridsearch": run_gridsearch,
            "pyswarms": run_pyswarms}[config["section"]](config, seed)


# --------------------------------------------------------------------------- the grid


def grid(mode, data, algorithms, kinds, splits, tuned=True):
    """The cells of a run: ``(cells, unavailable)`` where ``unavailable`` lists the
    trainers this swarmreg cannot build, with why."""
    m = MODES[mode]
    cells, unavailable = [], {}
    names = trainer_names(algorithms, kinds, tuned)
    for d in data:
        if d in SECTIONS:
            continue
        for t in names:
            for seed in range(splits):
                try:
                    cells.append(Cell(NAME, fit_config(d, t, seed, m["tuned"]), seed))
                except Unavailable as exc:
                    unavailable[t] = str(exc)
    if "gridsearch" in data:
        for t in [n for n in names if n in ALGORITHMS] + ["sgd", "adam", "lbfgs"]:
            if t in names:
                for seed in range(splits):
                    try:
                        cells.append(Cell(NAME, grid_config(t, seed, m["grid_lams"],
                                                            m["grid_cv"]), seed))
                    except Unavailable as exc:
                        unavailable[t] = str(exc)
    if "pyswarms" in data:
        impls = ["pyswarms", *(["pso"] if "pso" in algorithms else []),
                 *(f"{a}:defaults" for a in algorithms)]
        for impl in impls:
            for seed in range(m["pyswarms_seeds"]):
                cells.append(Cell(NAME, pyswarms_config(impl, m["pyswarms_iters"]), seed))
    return cells, unavailable


# --------------------------------------------------------------------------- report


def _stats(values):
    values = np.asarray([v for v in values if v is not None], float)
    if values.size == 0:
        return None
    sd = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return dict(mean=float(values.mean()), sd=sd, min=float(values.min()),
                max=float(values.max()), n=int(values.size))


def summarize(records):
    """``{section: {(data, trainer): {metric: stats}}}`` over the splits."""
    groups = {}
    for r in records:
        c = r["config"]
        key = (c["section"], c.get("data") or c.get("implementation"), c.get("trainer"))
        row = dict(r["metrics"], **r.get("timing", {}))
        groups.setdefault(key, []).append(row)
    out = {}
    for (section, data, trainer), rows in groups.items():
        stats = {k: _stats([row[k] for row in rows]) for k in rows[0]
                 if isinstance(rows[0][k], (int, float)) and not isinstance(rows[0][k], bool)}
        stats["stop_reasons"] = sorted({row.get("stop_reason") for row in rows} - {None})
        stats["warnings"] = sorted({w for row in rows for w in row.get("warnings", [])})
        out.setdefault(section, {})[(data, trainer)] = stats
    return out


def _acc(stats, with_time=True):
    if stats is None:
        return "–"
    a = stats["test_accuracy"]
    text = f"{a['mean']:.3f} ± {a['sd']:.3f}" if a["n"] > 1 else f"{a['mean']:.3f}"
    if with_time and stats.get("fit_seconds"):
        text += f" ({_seconds(stats['fit_seconds']['mean'])})"
    return text


def _seconds(s):
    return f"{s:.2g} s" if s < 10 else f"{s:.0f} s"


def _net_label(data):
    w = layers(data)
    name = data.replace("_", " ")
    return f"{name} {'-'.join(map(str, w))} ({n_params(w)})"


def _backprop_best(fits, data):
    candidates = [(fits[(data, t)]["test_accuracy"]["mean"], t) for t in ("sgd", "adam")
                  if (data, t) in fits]
    return max(candidates) if candidates else None


def _swarm_best(fits, data, trainers):
    """``(mean test accuracy, trainer)`` of the best swarm trainer; the faster on ties."""
    candidates = [(fits[(data, t)]["test_accuracy"]["mean"],
                   -fits[(data, t)]["fit_seconds"]["mean"], t) for t in trainers
                  if is_swarm(t) and (data, t) in fits]
    if not candidates:
        return None
    accuracy, _, trainer = max(candidates)
    return accuracy, trainer


def largest_close_teacher(fits, trainers):
    """The largest teacher network (by parameters) at which the best swarm trainer's mean
    test accuracy is within ``WITHIN`` of the better back-prop's, with the comparison of
    every teacher: ``(n_params or None, rows)``."""
    rows, largest = [], None
    for data in TEACHERS:
        bp, sw = _backprop_best(fits, data), _swarm_best(fits, data, trainers)
        if bp is None or sw is None:
            continue
        close = sw[0] >= bp[0] - WITHIN
        rows.append((data, n_params(layers(data)), sw, bp, close))
        if close:
            largest = n_params(layers(data))
    return largest, rows


def _split_counts(fits, grids, data_rows):
    """How many splits the rows hold: "3", or "3 (teacher-100, teacher-300: 1, the mean
    alone)" where some rows hold fewer (a grid run in pieces, or not yet whole)."""
    most = {d: max(s["test_accuracy"]["n"] for (d_, _), s in fits.items() if d_ == d)
            for d in data_rows}
    if grids:
        most["GridSearchCV"] = max(s["test_accuracy"]["n"] for s in grids.values())
    if not most:
        return "0"
    usual = max(most.values())  # the grid's own count; rows run in fewer are named
    fewer = {}
    for d, n in most.items():
        if n != usual:
            fewer.setdefault(n, []).append(d)
    text = str(usual)
    if fewer:
        text += " (" + "; ".join(f"{', '.join(ds)}: {n}" + (", the mean alone" if n == 1 else "")
                                 for n, ds in sorted(fewer.items())) + ")"
    return text


def tables(summary, trainers, mode, tuned, notes_text=""):
    """``(readme_block, report_markdown, headline)``."""
    fits = summary.get("fit", {})
    grids = summary.get("gridsearch", {})
    data_rows = [d for d in DATASETS if any((d, t) in fits for t in trainers)]
    header = ["data, network (parameters)", *[trainer_label(t, tuned) for t in trainers]]
    main = []
    for d in data_rows:
        main.append([_net_label(d), *[_acc(fits.get((d, t))) for t in trainers]])
    if grids:
        main.append([f"GridSearchCV over λ, wine 13-5-3, cv = {MODES[mode]['grid_cv']} "
                     "(test accuracy of the refit)",
                     *[_acc(grids.get(("wine", t))) for t in trainers]])
    main_table = _markdown(header, main)

    largest, teacher_rows = largest_close_teacher(fits, trainers)
    headline = None
    if teacher_rows:
        if largest is None:
            headline = ("At no teacher network does the best swarm trainer come within "
                        f"{WITHIN * 100:.0f} points of back-prop's test accuracy.")
        else:
            headline = ("Largest teacher network at which the best swarm trainer comes within "
                        f"{WITHIN * 100:.0f} points of back-prop's test accuracy: "
                        f"**{largest} parameters**.")
    context = (f"Test accuracy, mean ± sd over {_split_counts(fits, grids, data_rows)} "
               f"stratified 75/25 splits (features standardized on the training part), and the "
               f"mean fit time; λ_E = {LAM:g}, MSE loss, tanh hidden units; mode `{mode}`.")
    pys = summary.get("pyswarms")
    pys_table = pyswarms_example.table({impl: st for (impl, _), st in pys.items()},
                                       MODES[mode]["pyswarms_iters"]) if pys else None
    readme = "\n".join(["![quality](docs/figures/quality.png)", "", context, "", main_table,
                        *(["", headline] if headline else []),
                        *(["", "PySwarms' own neural-network example "
                           "(`experiments/benchmarks/pyswarms_example.py`):", "", pys_table]
                          if pys_table else [])])

    detail_header = ["data", "trainer", "test accuracy", "train accuracy", "E reached",
                     "Σw²", "passes over the data", "fit time", "stopped"]
    detail = []
    for d in data_rows:
        for t in trainers:
            s = fits.get((d, t))
            if s is None:
                continue
            detail.append([d, trainer_label(t, tuned), _acc(s, False),
                           f"{s['train_accuracy']['mean']:.3f}", f"{s['error']['mean']:.4g}",
                           f"{s['sum_sq_weights']['mean']:.4g}",
                           f"{s['n_evaluations']['mean']:.4g}",
                           _seconds(s["fit_seconds"]["mean"]), ", ".join(s["stop_reasons"])])
    parts = [f"## quality ({mode})", "", "![quality](quality.png)", "", context, "", main_table]
    if headline:
        parts += ["", headline, "", _markdown(
            ["teacher", "parameters", "best swarm trainer", "better back-prop", "within 2 points"],
            [[d, n, f"{trainer_label(sw[1], tuned)} {sw[0]:.3f}",
              f"{trainer_label(bp[1], tuned)} {bp[0]:.3f}", "yes" if close else "no"]
             for d, n, sw, bp, close in teacher_rows])]
    parts += ["", "### Every fit", "", _markdown(detail_header, detail)]
    if grids:
        parts += ["", "### GridSearchCV over λ on wine", "", _markdown(
            ["trainer", "test accuracy", "best CV score", "chosen λ (per split)", "search time"],
            [[trainer_label(t, tuned), _acc(s, False),
              f"{s['cv_score']['mean']:.3f}", f"{s['best_lam']['min']:g}–{s['best_lam']['max']:g}",
              _seconds(s["fit_seconds"]["mean"])]
             for t in trainers if (s := grids.get(("wine", t))) is not None])]
    if pys_table:
        parts += ["", "### PySwarms' neural-network example", "", pys_table]
    targets = target_rows(fits, grids, pys, trainers, tuned)
    if targets:
        parts += ["", "### The issue's targets (#18)", "",
                  _markdown(["target", "threshold",
                             f"PSOClassifier() ({sr.PSOClassifier().get_params().get('algorithm', 'pso')})",
                             "best algorithm at its defaults", "best swarm trainer, any budget",
                             "met by PSOClassifier()"], targets)]
    if notes_text:
        parts += ["", notes_text]
    return readme, "\n".join(parts) + "\n", headline


def target_rows(fits, grids, pys, trainers, tuned):
    """The issue's targets, judged by what ``PSOClassifier()`` gives (its default algorithm
    with its defaults), with the best algorithm at its defaults and the best swarm trainer
    of any budget beside it."""
    rows = []
    default = sr.PSOClassifier().get_params().get("algorithm", "pso")
    defaults = [t for t in trainers if t in ALGORITHMS]
    for what, data, threshold in TARGETS:
        source = grids if data == "gridsearch" else fits
        key_data = "wine" if data == "gridsearch" else data
        best, best_any = (_swarm_best(source, key_data, ts) for ts in (defaults, trainers))
        if best_any is None:
            continue
        ours = source.get((key_data, default))
        cells = [_acc(ours) if ours else "–"]
        for b in (best, best_any):
            cells.append("–" if b is None else f"{trainer_label(b[1], tuned)}: "
                         f"{_acc(source[(key_data, b[1])])}")
        ok = ours is not None and ours["test_accuracy"]["mean"] >= threshold
        if ok and data == "digits":
            ok = ours["fit_seconds"]["mean"] <= 60
        rows.append([what, f"≥ {threshold}", *cells, "yes" if ok else "no"])
    if pys and ("pyswarms", None) in pys and ("pso", None) in pys:
        ours, theirs = (pys[(k, None)]["train_accuracy"] for k in ("pso", "pyswarms"))
        rows.append(["PySwarms' example, training accuracy, mean over seeds",
                     f"≥ PySwarms' {theirs['mean']:.4f} ({theirs['n']} seeds)",
                     f"pso, the example's settings: {ours['mean']:.4f} ({ours['n']} seeds)",
                     "–", "–",
                     # accuracies are multiples of 1/150: equal means may differ in rounding
                     "yes" if ours["mean"] >= theirs["mean"] - 1e-9 else "no"])
    return rows


def _markdown(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


#: Line styles of the trainers that are not swarm algorithms.
OTHER_STYLES = {"mccaffrey": dict(color="0.55", marker="x", ls="-.", lw=1.3),
                "sgd": dict(color="tab:brown", marker="s", ls="--", lw=1.3),
                "adam": dict(color="tab:pink", marker="s", ls="--", lw=1.3),
                "lbfgs": dict(color="black", marker="D", ls="--", lw=1.3),
                "sklearn": dict(color="tab:olive", marker="v", ls="--", lw=1.3)}


def _style(trainer, colors):
    """One colour per swarm algorithm (solid: its defaults, dotted: the larger budget)."""
    if trainer in OTHER_STYLES:
        return dict(OTHER_STYLES[trainer])
    algorithm, _, kind = trainer.partition("-")
    color = colors[list(ALGORITHMS).index(algorithm) % len(colors)]
    if kind == "tuned":
        return dict(color=color, marker="^", ls=":", lw=1.8)
    return dict(color=color, marker="o", ls="-", lw=2.2)


def figure(summary, trainers, tuned, path):
    """Test accuracy against the number of parameters: teacher networks (left), the real
    data sets (right); one line per trainer, bars = ± sd over the splits."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fits = summary.get("fit", {})
    colors = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:cyan")
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    for ax, names, joined in ((axes[0], list(TEACHERS), True), (axes[1], list(REAL), False)):
        names = [d for d in names if any((d, t) in fits for t in trainers)]
        for i, t in enumerate(trainers):
            pts = [(n_params(layers(d)), fits[(d, t)]["test_accuracy"]) for d in names
                   if (d, t) in fits]
            if not pts:
                continue
            # the real data sets are not a series: points side by side, not joined
            shift = 1.0 if joined else 1.035 ** (i - (len(trainers) - 1) / 2)
            style = _style(t, colors)
            if not joined:
                style["lw"] = 0
            ax.errorbar([p * shift for p, _ in pts], [s["mean"] for _, s in pts],
                        yerr=[s["sd"] for _, s in pts], elinewidth=1, ms=5, capsize=3,
                        label=trainer_label(t, tuned), **style)
        for d in names:
            ax.annotate(d.replace("_", " "), (n_params(layers(d)), 0.02),
                        xycoords=("data", "axes fraction"), rotation=90, fontsize=7,
                        ha="center", va="bottom", color="0.4")
        ax.set_xscale("log")
        ax.set_xlabel("parameters of the network")
        ax.set_ylim(top=1.01)
        ax.grid(alpha=0.3)
    axes[0].set_title("teacher networks of growing width (16 inputs, 4 classes)")
    axes[1].set_title("iris, wine, breast cancer, digits")
    axes[0].set_ylabel("test accuracy (mean ± sd over splits)")
    handles, labels = axes[0].get_legend_handles_labels()
    if not handles:
        handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8,
               frameon=False)
    fig.suptitle(f"How well each trainer trains: E = MSE + {LAM:g}·Σw²")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    atomic_write(path, buf.getvalue())
    return path


def write_readme_block(readme, name, text):
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` in the
    file ``readme`` by ``text``; ValueError when the markers are missing or out of order."""
    readme = Path(readme)
    content = readme.read_text()
    start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
    i, j = content.find(start), content.find(end)
    if i < 0 or j < i + len(start) - 1:
        raise ValueError(f"{readme} has no {start.strip()} … {end.strip()} block")
    atomic_write(readme, content[: i + len(start)] + text.strip("\n") + content[j:])


# --------------------------------------------------------------------------- driver


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="small grid: iris, wine, the smallest teacher, 2 splits (a minute or two)")
    p.add_argument("--only", nargs="+", choices=[*DATASETS, *SECTIONS], metavar="NAME",
                   help=f"data sets or sections to run: {', '.join([*DATASETS, *SECTIONS])} "
                        "(default: the mode's; the report covers every cell found in the cache)")
    p.add_argument("--algorithms", nargs="+", choices=list(ALGORITHMS), metavar="ALG",
                   help=f"swarm algorithms (default: all of {', '.join(ALGORITHMS)})")
    p.add_argument("--trainers", nargs="+", choices=TRAINER_KINDS, metavar="KIND",
                   help=f"trainer columns (default: all of {', '.join(TRAINER_KINDS)})")
    p.add_argument("--splits", type=int, default=None,
                   help="train/test splits per data set (default 3; 2 with --quick)")
    p.add_argument("--no-tuned", action="store_true", help="skip the larger-budget columns")
    p.add_argument("--out", type=Path, default=BENCH_DIR / "results",
                   help="folder; the run goes to OUT/quality/MODE/")
    p.add_argument("--readme", action="store_true",
                   help="write the table into README.md and the figure to docs/figures/quality.png")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    if args.readme and args.quick:
        p.error("--readme takes a full run's table, not --quick's")
    if args.splits is not None and args.splits < 1:
        p.error("--splits must be at least 1")
    return args


def run_quality(mode="full", only=None, algorithms=None, kinds=None, splits=None, tuned=True,
                out=BENCH_DIR / "results", readme=False, progress=True, log=print):
    """Run (or resume) the grid and write the report; returns a JSON-able summary."""
    m = MODES[mode]
    algorithms = list(algorithms or ALGORITHMS)
    kinds = list(kinds or TRAINER_KINDS)
    splits = splits or m["splits"]
    data = list(only or [*m["data"], *SECTIONS])
    everything = [*DATASETS, *SECTIONS]
    out_dir = Path(out) / NAME / mode
    notes = []
    try:
        import sklearn  # noqa: F401
    except ImportError:
        notes.append("scikit-learn is not installed: wine, breast cancer, digits, the "
                      "GridSearchCV row and the MLPClassifier column are skipped.")
        everything = [d for d in everything if d in TEACHERS or d in ("iris", "pyswarms")]
        data = [d for d in data if d in everything]
        kinds = [k for k in kinds if k != "sklearn"]
    if "pyswarms" in data and pyswarms_example.pyswarms_missing():
        notes.append(f"PySwarms is not installed ({pyswarms_example.pyswarms_missing()}): "
                     "its column of the example is skipped.")
    cells, unavailable = grid(mode, data, algorithms, kinds, splits, tuned)
    if "pyswarms" in data and pyswarms_example.pyswarms_missing():
        cells = [c for c in cells if c.config.get("implementation") != "pyswarms"]
    for t, why in unavailable.items():
        notes.append(f"{t}: not run ({why}).")
    skipped = pyswarms_example.skipped_options()
    if "pyswarms" in data and skipped:
        notes.append("PySwarms' example: this swarmreg's train_pso does not take "
                     f"{skipped}; swarmreg ran without them (its defaults instead), so its "
                     "row is not yet the example.")
    for n in notes:
        log(f"> note: {n}")

    with _common.ForeignLoad() as load:
        run_sweep(run_cell, cells, out_dir, workers=1, progress=progress, log=log)
    cores = load.cores

    # The report: every cell of the whole grid (all data and sections) found in the cache.
    everything, _ = grid(mode, everything, algorithms, kinds, splits, tuned)
    wanted = {c.key for c in everything}
    records = [r for r in load_records(out_dir) if r["key"] in wanted]
    summary = summarize(records)
    trainers = [t for t in trainer_names(algorithms, kinds, tuned) if t not in unavailable]
    load_note = ("" if cores is None else
                 f"While the cells of this run ran, other processes kept {cores:.2f} cores busy "
                 "on average; times are wall times of a possibly shared machine.")
    notes_text = "\n".join(f"- {n}" for n in [*notes, load_note] if n)
    readme_block, markdown, headline = tables(summary, trainers, mode, m["tuned"], notes_text)
    fig_path = figure(summary, trainers, m["tuned"], out_dir / "quality.png")
    atomic_write(out_dir / "quality.md", markdown)
    doc = dict(benchmark=NAME, mode=mode, lam=LAM, splits=splits, trainers=trainers,
               data=[d for d in DATASETS if any(k[0] == d for k in summary.get("fit", {}))],
               environment=_common.environment(), foreign_cores=cores, notes=notes,
               headline=headline, n_cells=len(records),
               summary={section: {f"{k[0]}|{k[1]}": v for k, v in groups.items()}
                        for section, groups in summary.items()})
    atomic_write(out_dir / "quality.json", json.dumps(doc, indent=1, default=str) + "\n")
    if readme:
        missing = len(everything) - len(records)
        if missing:
            log(f"> note: {missing} cells of the full grid are not in {out_dir} yet: the README "
                "table shows '–' for them")
        write_readme_block(ROOT / "README.md", "quality-table", readme_block)
        if fig_path is not None:
            (ROOT / "docs" / "figures").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(fig_path, ROOT / "docs" / "figures" / "quality.png")
        log(f"wrote README.md's quality table and docs/figures/quality.png")
    log(markdown)
    log(f"wrote {out_dir / 'quality.md'}, quality.json, quality.png")
    if headline:
        log(headline.replace("**", ""))
    return dict(doc, markdown=markdown, paths=dict(md=out_dir / "quality.md",
                                                   json=out_dir / "quality.json",
                                                   png=fig_path))


def run(cfg, notes):
    """``run.py``'s entry point: the quick or full grid, all sections."""
    mode = "quick" if cfg.quick else "full"
    out = run_quality(mode, progress=False)
    for n in out["notes"]:
        _common.note(notes, n)
    result = {k: v for k, v in out.items() if k not in ("markdown", "paths")}
    return result, [out["markdown"]]


def main(argv=None):
    args = parse_args(argv)
    run_quality("quick" if args.quick else "full", only=args.only, algorithms=args.algorithms,
                kinds=args.trainers, splits=args.splits, tuned=not args.no_tuned, out=args.out,
                readme=args.readme, progress=not args.no_progress)
    return 0


if __name__ == "__main__":
    sys.exit(main())
