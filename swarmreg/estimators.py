"""scikit-learn estimators around the three trainers: ``fit``/``predict`` on your own data.

Each estimator builds a ``Network([n_features, *hidden_layer_sizes, n_outputs])``, calls
its trainer (``train_pso``, ``train_backprop`` or ``train_lbfgs``) and keeps what it
returned in ``result_``; every other fitted attribute is read from that result, so an
estimator holds no second copy of the model.  The trainer validates its own arguments;
``fit`` validates only the data, as scikit-learn estimators do.

With scikit-learn installed the estimators are scikit-learn estimators (its
``BaseEstimator``, mixins and input checks: ``Pipeline``, ``GridSearchCV``,
``clone`` and its estimator checks work); without it they keep the same methods and
messages (``swarmreg._sklearn_compat``).

Fitted attributes
-----------------
result_ : TrainResult
    What the trainer returned (θ, error terms, history, stop reason, seed, settings).
network_ : Network
theta_ : ndarray, shape (n_params,)
coefs_, intercepts_ : lists of ndarray
    Per layer ``W`` of shape ``(d_in, d_out)`` and ``b`` of shape ``(d_out,)``: read-only
    views of ``theta_`` (scikit-learn's MLP names).
n_iter_ : int
    Iterations (PSO, L-BFGS) or epochs (back-prop) run.
loss_curve_ : ndarray, shape (n_iter_ + 1,)
    ``result_.history``: E at the start and after every iteration or epoch.
best_loss_ : float
    The lowest E in ``loss_curve_``.
lam_E_ : float
    The λ_E of ``E = D + λ_E·Σw²`` that training minimized: ``lam`` itself for PSO and
    L-BFGS, ``lam`` converted from back-prop's rule (``convert_lambda``), so that a PSO
    and a back-prop model can be compared at equal λ_E.
n_features_in_ : int
feature_names_in_ : ndarray of str, only when ``X`` had string column names (a DataFrame)
classes_ : ndarray, shape (n_classes,), classifiers only
    The labels seen in ``fit``, sorted; ``predict`` returns them and column k of
    ``predict_proba`` belongs to ``classes_[k]``.
input_mean_, input_scale_ : ndarray, shape (n_features,), only with ``standardize=True``

Long fits
---------
``warm_start=True`` (scikit-learn's convention): ``fit`` on a fitted estimator continues
its run for another ``max_iter`` iterations (epochs) from where it stopped — the swarm or
the optimizer's buffers included, bit-identical to one fit of the summed budget — with
the same data and parameters (only ``max_iter``, ``target_error`` and ``patience`` may
change); L-BFGS starts again from ``theta_``.  The PSO and back-prop estimators take
``checkpoint`` and ``checkpoint_every`` (``train_pso``) and ``fit(X, y, resume=PATH)``.
Ctrl-C during ``fit`` leaves the estimator fitted with the result so far
(``result_.stop_reason == "interrupted"``) and raises ``TrainingInterrupted``.
"""

import contextlib
import numbers
import threading
import warnings

import numba
import numpy as np

from ._checkpoint import CheckpointError
from ._modelfile import ModelRecord, write_model_file
from ._training import CHECKPOINT_EVERY, TrainingInterrupted
from ._sklearn_compat import (
    BaseEstimator,
    ClassifierMixin,
    ConvergenceWarning,
    NotFittedError,
    RegressorMixin,
    check_classification_targets,
    check_is_fitted,
    validate_data,
)
from ._docs import fill
from .algorithms import ALGORITHMS
from .backprop import OPTIMIZERS, RULES, train_backprop
from .datasets import Standardizer
from .devices import DEVICES, DTYPES
from .lbfgs import train_lbfgs
from .error import LOSSES
from .network import HIDDEN_ACTIVATIONS, Network
from .pso import train_pso
from ._validation import check_bool

__all__ = [
    "PSOClassifier",
    "PSORegressor",
    "BackpropClassifier",
    "BackpropRegressor",
    "LBFGSClassifier",
    "LBFGSRegressor",
    "ConvergenceWarning",
    "NotFittedError",
    "ESTIMATORS",
]


def _seed(random_state):
    """An int seed for the trainers from scikit-learn's ``random_state`` (None: a fresh one)."""
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        return random_state  # the trainer validates it (and draws one for None)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int64).max))
    raise TypeError(f"random_state must be None, an int, a numpy RandomState or Generator, "
                    f"got {random_state!r}")


_fits_running = 0
_fits_lock = threading.Lock()


@contextlib.contextmanager
def _share_threads():
    """Split this thread's Numba threads among the fits running at once in this process.

    joblib's process backends already give each worker ``NUMBA_NUM_THREADS = cores //
    n_jobs``; fits run side by side in threads (joblib's threading backend, a thread
    pool, notebooks) would each start Numba's full pool and oversubscribe the cores.
    Numba's thread count is per calling thread, and results do not depend on it.
    """
    global _fits_running
    with _fits_lock:
        _fits_running += 1
        sharing = _fits_running
    mine = numba.get_num_threads()
    numba.set_num_threads(max(1, mine // sharing))
    try:
        yield
    finally:
        numba.set_num_threads(mine)
        with _fits_lock:
            _fits_running -= 1


def _from_result(field, doc):
    """A fitted attribute read from ``result_.<field>`` (so the estimator keeps no copy)."""
    return property(lambda self: getattr(self.result_, field), doc=doc)


class _NetworkEstimator(BaseEstimator):
    """What every estimator shares; subclasses give ``_output``, ``_train`` and the targets."""

    _output = None

    # -- fitting ---------------------------------------------------------------------
    def fit(self, X, y):
        """Train a network on ``X`` (n_samples, n_features) and targets ``y`` (with
        ``warm_start``, continue the fitted one).

        Returns
        -------
        self
        """
        return self._fit(X, y)

    def _fit(self, X, y, **train):
        X, y = validate_data(self, X, y, **self._y_checks)
        targets, n_outputs = self._encode_targets(y)
        if check_bool(self.standardize, "standardize"):
            scaler = Standardizer().fit(X)
            self.input_mean_, self.input_scale_ = scaler.mean_, scaler.scale_
        else:
            for name in ("input_mean_", "input_scale_"):
                self.__dict__.pop(name, None)
        hidden = self.hidden_layer_sizes
        hidden = [hidden] if isinstance(hidden, numbers.Integral) else list(hidden)
        network = Network([X.shape[1], *hidden, n_outputs], hidden=self.activation,
                          output=self._output)
        init = self._warm_start_from(network)
        with _share_threads():
            try:
                self.result_ = self._train(network, self._scaled(X), targets,
                                           _seed(self.random_state), init=init, **train)
            except TrainingInterrupted as exc:
                self.result_ = exc.result  # fitted with the result so far
                raise
        self._warn_if_unfinished()
        return self

    def _warm_start_from(self, network):
        """The fitted result that this fit continues, or None (no ``warm_start``, or not fitted)."""
        if not check_bool(self.warm_start, "warm_start") or getattr(self, "result_", None) is None:
            return None
        fitted = self.result_.network
        if fitted != network:
            raise ValueError(f"{type(self).__name__}(warm_start=True) continues the fitted "
                             f"{fitted!r}, but this fit's data and hidden_layer_sizes make "
                             f"{network!r}; fit with warm_start=False to start anew")
        return self.result_

    def _continued(self, init):
        """``init``'s state, for a trainer that continues it; a clear error without one."""
        if init.state is None:
            raise ValueError(f"{type(self).__name__}(warm_start=True) continues the previous "
                             "fit's run, but this fitted model carries no training state (a "
                             "model loaded from a file has none); fit with warm_start=False")
        return init

    @contextlib.contextmanager
    def _warm_errors(self, init):
        """A checkpoint of another run, when warm starting, said in the estimator's terms."""
        try:
            yield
        except CheckpointError as exc:
            if init is None:
                raise
            raise CheckpointError(f"{type(self).__name__}(warm_start=True) continues the previous "
                                  f"fit's run with the same data and parameters (only max_iter, "
                                  f"target_error and patience may change), but {exc}") from None

    def _warn_if_unfinished(self):
        res = self.result_
        if res.stop_reason == "diverged":
            warnings.warn(f"{type(self).__name__}: back-prop diverged after {res.iterations} "
                          "epochs (a non-finite error); the model is the last finite θ. Lower "
                          "learning_rate_init or lam.", ConvergenceWarning, stacklevel=4)
        elif res.stop_reason.startswith("failed"):
            warnings.warn(f"{type(self).__name__}: L-BFGS-B stopped without converging: "
                          f"{res.stop_reason}", ConvergenceWarning, stacklevel=4)
        elif res.stop_reason == "max_iter" and (res.trainer == "lbfgs"
                                                or res.settings["target_error"] is not None):
            wanted = ("convergence" if res.trainer == "lbfgs"
                      else f"target_error={res.settings['target_error']}")
            warnings.warn(f"{type(self).__name__}: max_iter={self.max_iter} reached before "
                          f"{wanted} (E = {res.error:.6g}); raise max_iter.",
                          ConvergenceWarning, stacklevel=4)

    def _scaled(self, X):
        if getattr(self, "input_mean_", None) is None:
            return X
        return (X - self.input_mean_) / self.input_scale_

    def _outputs(self, X):
        """Network outputs for validated, scaled ``X``: shape (n_samples, n_outputs)."""
        check_is_fitted(self, "result_")
        X = validate_data(self, X, reset=False)
        return self.network_.forward(self.theta_, self._scaled(X))

    # -- fitted attributes, all read from result_ ---------------------------------------
    network_ = _from_result("network", "The trained ``Network``.")
    theta_ = _from_result("theta", "θ, shape (n_params,), read-only.")
    n_iter_ = _from_result("iterations", "Iterations (PSO, L-BFGS) or epochs (back-prop) run.")
    loss_curve_ = _from_result("history", "E at the start and after every iteration or epoch.")
    lam_E_ = _from_result("lam", "The λ_E that training minimized (NaN where none exists).")

    @property
    def coefs_(self):
        """Per layer ``W``, shape (d_in, d_out): read-only views of ``theta_``."""
        return [w for w, _ in self.network_.unpack(self.theta_)]

    @property
    def intercepts_(self):
        """Per layer ``b``, shape (d_out,): read-only views of ``theta_``."""
        return [b for _, b in self.network_.unpack(self.theta_)]

    @property
    def best_loss_(self):
        """The lowest E in ``loss_curve_``."""
        return float(np.min(self.result_.history))

    # -- saving ----------------------------------------------------------------------
    def save(self, path):
        """Write the fitted model to ``path`` (``swarmreg.save_model``); returns the path."""
        name = type(self).__name__
        if ESTIMATORS.get(name) is not type(self):
            raise TypeError(f"only swarmreg's own estimator classes can be saved (load_model "
                            f"rebuilds them by name), got {name}")
        state = self._state()  # raises NotFittedError when not fitted
        arrays = state.pop("arrays")
        record, result_arrays = self.result_.to_record()
        return write_model_file(path, ModelRecord(name, record, state, {**result_arrays, **arrays}))

    def _state(self):
        """What ``save_model`` stores besides ``result_``: JSON fields and an ``arrays`` dict."""
        check_is_fitted(self, "result_")
        params = self.get_params()
        if not (params["random_state"] is None or isinstance(params["random_state"], numbers.Integral)):
            params["random_state"] = None  # a generator object is not data; result_.seed reproduces
        params = {k: int(v) if isinstance(v, np.integer) else v for k, v in params.items()}
        arrays = {}
        if getattr(self, "input_mean_", None) is not None:
            arrays.update(input_mean=self.input_mean_, input_scale=self.input_scale_)
        state = {"params": params, "n_features_in": int(self.n_features_in_),
                 "feature_names_in": (None if getattr(self, "feature_names_in_", None) is None
                                      else [str(n) for n in self.feature_names_in_])}
        state.update(self._target_state(arrays))
        state["arrays"] = arrays
        return state

    @classmethod
    def _from_state(cls, result, state, arrays):
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in state["params"].items()}
        est = cls(**params)
        est.result_ = result
        est.n_features_in_ = int(state["n_features_in"])
        if state["feature_names_in"] is not None:
            est.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
        if "input_mean" in arrays:
            est.input_mean_, est.input_scale_ = arrays.pop("input_mean"), arrays.pop("input_scale")
        est._restore_targets(state, arrays)
        if est.network_.n_inputs != est.n_features_in_:
            raise ValueError(f"{result.network!r} does not take {est.n_features_in_} features")
        return est


class _Classifier(ClassifierMixin):
    """Labels of any kind through ``classes_``; a softmax output with one unit per class."""

    _output = "softmax"
    _y_checks = {}

    def _encode_targets(self, y):
        check_classification_targets(y)
        self.classes_, labels = np.unique(y, return_inverse=True)
        if self.classes_.shape[0] < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 classes in y, got 1 class "
                             f"({self.classes_[0]!r})")
        return labels.astype(np.int64), self.classes_.shape[0]

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes); column k is ``classes_[k]``."""
        return self._outputs(X)

    def predict(self, X):
        """The most probable class of each row, from ``classes_``: shape (n_samples,)."""
        winners = np.argmax(self._outputs(X), axis=1)
        return self.classes_[winners]

    def _target_state(self, arrays):
        if self.classes_.dtype == object:  # str labels: JSON keeps them exactly
            if not all(isinstance(c, str) for c in self.classes_):
                raise TypeError("only str, numeric or bool class labels can be saved, got "
                                f"{sorted({type(c).__name__ for c in self.classes_})}")
            return {"classes": [str(c) for c in self.classes_]}
        arrays["classes"] = self.classes_
        return {"classes": None}

    def _restore_targets(self, state, arrays):
        if state["classes"] is not None:
            self.classes_ = np.asarray(state["classes"], dtype=object)
        else:
            self.classes_ = arrays.pop("classes")
        if self.classes_.shape != (self.network_.n_outputs,):
            raise ValueError(f"{self.classes_.shape[0]} classes for {self.network_!r}")


class _Regressor(RegressorMixin):
    """Float targets of shape (n_samples,) or (n_samples, n_outputs); an identity output."""

    _output = "identity"
    _y_checks = {"multi_output": True, "y_numeric": True}

    def _encode_targets(self, y):
        self._y_1d = y.ndim == 1
        return y, 1 if y.ndim == 1 else y.shape[1]

    def predict(self, X):
        """Predicted targets: shape (n_samples,) if ``y`` was 1-D in ``fit``, else (n_samples, K)."""
        out = self._outputs(X)
        return out[:, 0] if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _target_state(self, arrays):
        return {"y_1d": bool(self._y_1d)}

    def _restore_targets(self, state, arrays):
        self._y_1d = bool(state["y_1d"])
        if self._y_1d and self.network_.n_outputs != 1:
            raise ValueError(f"1-D targets for {self.network_!r}")


#: The algorithms' own options the swarm estimators take, each None by default: the
#: chosen algorithm's own default (``swarmreg.algorithms.<name>.Options``).  ``init_range``
#: and ``bounds``, which every algorithm takes, are parameters of their own.
ALGORITHM_OPTIONS = ("inertia", "c1", "c2", "init_velocity", "v_max", "death_prob", "topology",
                     "phi", "base_size", "learning_exponent", "social_influence")


def _budget(max_iter, init):
    """The trainer's budget: ``max_iter`` beyond the iterations of the run ``init`` continues."""
    if init is None or isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral):
        return max_iter  # the trainer validates it
    return init.iterations + max_iter


class _Checkpointed(_NetworkEstimator):
    """An estimator whose trainer writes checkpoints and resumes from them."""

    def fit(self, X, y, resume=None):
        """Train a network on ``X`` (n_samples, n_features) and targets ``y`` (with
        ``warm_start``, continue the fitted one).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,) or (n_samples, n_outputs)
        resume : str or path-like, optional
            Go on with the run of this checkpoint (written with ``checkpoint=`` by a fit of
            the same data and parameters that was killed or interrupted): the model is
            bit-identical to that fit uninterrupted.

        Returns
        -------
        self
        """
        return self._fit(X, y, resume=resume)


class _PSO(_Checkpointed):
    """Parameters: see ``PSOClassifier``."""

    def __init__(self, hidden_layer_sizes=(7,), activation="tanh", *, lam=0.0, loss="mse",
                 include_biases=False, standardize=False, algorithm="cso", swarm_size=None,
                 max_iter=1000, init_range="fan_in", bounds=None, inertia=None, c1=None, c2=None,
                 init_velocity=None, v_max=None, death_prob=None, topology=None, phi=None,
                 base_size=None, learning_exponent=None, social_influence=None,
                 target_error=None, patience=None, random_state=None, progress=False,
                 device="cpu", dtype="float64", warm_start=False, checkpoint=None,
                 checkpoint_every=CHECKPOINT_EVERY):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.lam = lam
        self.loss = loss
        self.include_biases = include_biases
        self.standardize = standardize
        self.algorithm = algorithm
        self.swarm_size = swarm_size
        self.max_iter = max_iter
        self.init_range = init_range
        self.bounds = bounds
        self.inertia = inertia
        self.c1 = c1
        self.c2 = c2
        self.init_velocity = init_velocity
        self.v_max = v_max
        self.death_prob = death_prob
        self.topology = topology
        self.phi = phi
        self.base_size = base_size
        self.learning_exponent = learning_exponent
        self.social_influence = social_influence
        self.target_error = target_error
        self.patience = patience
        self.random_state = random_state
        self.progress = progress
        self.device = device
        self.dtype = dtype
        self.warm_start = warm_start
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every

    def _algorithm_options(self):
        """The options given (not None) that the algorithm takes; TypeError for one it does not."""
        takes = ALGORITHMS[self.algorithm].options.__dataclass_fields__ \
            if self.algorithm in ALGORITHMS else {}
        options = {name: getattr(self, name) for name in ALGORITHM_OPTIONS
                   if getattr(self, name) is not None}
        foreign = [name for name in options if takes and name not in takes]
        if foreign:
            raise TypeError(f"{', '.join(foreign)} {'is not an option' if len(foreign) == 1 else 'are not options'} "
                            f"of algorithm={self.algorithm!r} (it takes {', '.join(takes)})")
        return options

    def _train(self, network, X, y, seed, init=None, resume=None):
        with self._warm_errors(init):
            return train_pso(network, X, y, lam=self.lam, loss=self.loss,
                             include_biases=self.include_biases, algorithm=self.algorithm,
                             swarm_size=self.swarm_size, max_iter=_budget(self.max_iter, init),
                             init_range=self.init_range, bounds=self.bounds,
                             target_error=self.target_error, patience=self.patience,
                             seed=None if init is not None else seed, progress=self.progress,
                             device=self.device, dtype=self.dtype, checkpoint=self.checkpoint,
                             checkpoint_every=self.checkpoint_every, resume=resume,
                             init=None if init is None else self._continued(init),
                             **self._algorithm_options())


class _Backprop(_Checkpointed):
    """Parameters: see ``BackpropClassifier``."""

    def __init__(self, hidden_layer_sizes=(7,), activation="tanh", *, lam=0.0, rule="objective",
                 loss="mse", include_biases=False, standardize=False, optimizer="sgd",
                 learning_rate_init=0.01, batch_size=1, max_iter=200, momentum=0.0, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, shuffle=True, target_error=None, patience=None,
                 random_state=None, progress=False, warm_start=False, checkpoint=None,
                 checkpoint_every=CHECKPOINT_EVERY):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.lam = lam
        self.rule = rule
        self.loss = loss
        self.include_biases = include_biases
        self.standardize = standardize
        self.optimizer = optimizer
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.shuffle = shuffle
        self.target_error = target_error
        self.patience = patience
        self.random_state = random_state
        self.progress = progress
        self.warm_start = warm_start
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every

    def _train(self, network, X, y, seed, init=None, resume=None):
        batch_size = self.batch_size
        if batch_size is not None and isinstance(batch_size, numbers.Integral):
            batch_size = min(batch_size, X.shape[0])  # as scikit-learn's MLP clips it
        with self._warm_errors(init):
            return train_backprop(
                network, X, y, lam=self.lam, rule=self.rule, lr=self.learning_rate_init,
                batch_size=batch_size, epochs=_budget(self.max_iter, init), momentum=self.momentum,
                optimizer=self.optimizer, betas=(self.beta_1, self.beta_2), eps=self.epsilon,
                include_biases=self.include_biases, loss=self.loss, shuffle=self.shuffle,
                seed=None if init is not None else seed, target_error=self.target_error,
                patience=self.patience, progress=self.progress, checkpoint=self.checkpoint,
                checkpoint_every=self.checkpoint_every, resume=resume,
                init=None if init is None else self._continued(init))


class _LBFGS(_NetworkEstimator):
    """Parameters: see ``LBFGSClassifier``."""

    def __init__(self, hidden_layer_sizes=(7,), activation="tanh", *, lam=0.0, loss="mse",
                 include_biases=False, standardize=False, max_iter=15000, gtol=1e-8, ftol=1e-15,
                 random_state=None, warm_start=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.lam = lam
        self.loss = loss
        self.include_biases = include_biases
        self.standardize = standardize
        self.max_iter = max_iter
        self.gtol = gtol
        self.ftol = ftol
        self.random_state = random_state
        self.warm_start = warm_start

    def _train(self, network, X, y, seed, init=None):
        return train_lbfgs(network, X, y, lam=self.lam, loss=self.loss,
                           include_biases=self.include_biases, seed=seed, max_iter=self.max_iter,
                           gtol=self.gtol, ftol=self.ftol,
                           theta0=None if init is None else init.theta)


_COMMON_DOC = """
    hidden_layer_sizes : int or sequence of int, default (7,)
        Hidden widths; ``()`` for no hidden layer.  The input width is ``n_features`` and
        the output width {outputs}.
    activation : {{<HIDDEN>}}, default "tanh"
        Hidden activation.  The output is {output_kind}.
    lam : float, default 0
        {lam_doc}
    loss : {{<LOSSES>}}, default "mse"
        Data error D: ``(1/N) Σ_i Σ_k (y_ik − t_ik)²``{ce}.
    include_biases : bool, default False
        Penalize (shrink) the biases too.
    standardize : bool, default False
        Scale each feature by the mean and standard deviation of the training data inside
        ``fit`` and ``predict`` (what a Pipeline with StandardScaler does), so that a saved
        model carries its scaling.
    random_state : None, int, RandomState or Generator, default None
        Seeds the trainer: the same int gives a bit-identical fitted model on any number of
        threads; None draws a seed, recorded in ``result_.seed``."""

_LONG_FITS_DOC = """
    warm_start : bool, default False
        ``fit`` on a fitted estimator continues its run (the swarm or the optimizer's
        buffers included) for another ``max_iter``, bit-identical to one fit of the summed
        budget; the data and the other parameters must be the same (a ``CheckpointError``
        names what differs), the network shape above all (a ValueError).
    checkpoint : str or path-like, optional
        Write the run's state there during ``fit`` (``swarmreg.train_pso``'s
        ``checkpoint``), for ``fit(X, y, resume=checkpoint)``.
    checkpoint_every : float, default 180
        Seconds between two checkpoints."""

_PSO_DOC = """
    algorithm : {<ALGORITHMS>}, default "cso"
        The swarm algorithm (``swarmreg.train_pso``).  The default, the Competitive Swarm
        Optimizer with 100 particles and 1000 iterations, had the best test accuracy for
        its time on the quality benchmark (docs/design.md §6; README "How well the swarm
        trains"): a user who tunes nothing gets a good model on networks of a thousand
        parameters.
    swarm_size : int, optional
        Particles; by default the algorithm's.
    max_iter : int, default 1000
        Iterations.
    init_range : "fan_in", float or (float, float), default "fan_in"
        Where each coordinate of θ starts: its layer's Glorot range, ±r or [lo, hi).
    bounds : (float, float) or None, default None
        Positions are clipped to it; None: unbounded.
    inertia, c1, c2, init_velocity, v_max, death_prob, topology, phi, base_size, learning_exponent, social_influence : optional
        The algorithm's own options (``swarmreg.algorithms.<name>.Options``; None: its
        default); one the algorithm does not take is refused when fitting.
        ``swarmreg.algorithms.pso.MCCAFFREY`` holds McCaffrey's settings (with
        ``algorithm="pso"``).
    target_error, patience : optional
        Stop early at ``E ≤ target_error`` or after ``patience`` iterations without improvement;
        reaching ``max_iter`` without a requested target warns (``ConvergenceWarning``).
    progress : bool, default False
        A tqdm progress bar.
    device : {<DEVICES>}, default "cpu"
        Where the swarm runs (``swarmreg.devices``; ``"cuda"``: an NVIDIA GPU, with the
        ``cuda`` extra).
    dtype : {<DTYPES>}, default "float64"
        The float type of the swarm and its error (``"float32"``: E agrees with float64 to
        about 1e-6 relative; the fitted ``theta_`` is float64 either way).""" + _LONG_FITS_DOC

_BACKPROP_DOC = """
    rule : {<RULES>}, default "objective"
        The L2 rule (``swarmreg.train_backprop``).  With ``optimizer="adam"``, ``decay`` and
        ``decoupled`` (AdamW) have no λ_E: ``lam_E_`` is then NaN.
    optimizer : {<OPTIMIZERS>}, default "sgd"
        Plain or momentum SGD, or Adam with PyTorch's bias correction.
    learning_rate_init : float, default 0.01
        Learning rate η (scikit-learn's MLP name).
    batch_size : int or None, default 1
        Items per update (1 online, None the full batch); clipped to n_samples.
    max_iter : int, default 200
        Epochs.
    momentum : float in [0, 1), default 0
        SGD's classical momentum.
    beta_1, beta_2, epsilon : float, default 0.9, 0.999, 1e-8
        Adam's moment decay rates and denominator term (scikit-learn's MLP names).
    shuffle : bool, default True
    target_error, patience : optional
        Stop early at ``E ≤ target_error`` or after ``patience`` epochs without improvement;
        reaching ``max_iter`` without a requested target, or divergence, warns
        (``ConvergenceWarning``).
    progress : bool, default False""" + _LONG_FITS_DOC

_LBFGS_DOC = """
    max_iter, gtol, ftol
        As for ``swarmreg.train_lbfgs`` (tight tolerances: the local-optimum reference).
        Stopping before convergence warns (``ConvergenceWarning``).
    warm_start : bool, default False
        ``fit`` on a fitted estimator starts L-BFGS-B from its ``theta_`` (same network
        shape), for up to ``max_iter`` iterations."""

_LAM_DIRECT = "λ_E ≥ 0 of ``E = D + λ_E·Σw²`` (weights only unless ``include_biases``)."
_LAM_RULE = ("λ in ``rule``'s own convention; the λ_E it amounts to is ``lam_E_`` "
             "(``convert_lambda``).")


def _estimator(name, bases, trainer, task, lam_doc, extra_doc, summary):
    outputs = ("the number of classes" if task == "classification"
               else "the number of target columns (1 for 1-D y)")
    output_kind = ("a softmax over ``classes_``" if task == "classification"
                   else "the identity")
    ce = (", or ``loss='cross_entropy'``, the mean cross-entropy" if task == "classification"
          else " (cross-entropy needs a classifier)")
    doc = (f"{summary}\n\n    Parameters\n    ----------"
           + _COMMON_DOC.format(outputs=outputs, output_kind=output_kind, lam_doc=lam_doc, ce=ce)
           + extra_doc
           + f"\n\n    Attributes\n    ----------\n    See ``swarmreg.estimators``; the trainer's "
             f"full result is ``result_`` (``swarmreg.{trainer}``).\n")
    doc = fill(doc, HIDDEN=HIDDEN_ACTIVATIONS, LOSSES=LOSSES, RULES=RULES, OPTIMIZERS=OPTIMIZERS,
               ALGORITHMS=ALGORITHMS, DEVICES=DEVICES, DTYPES=dict.fromkeys(DTYPES))
    return type(name, bases, {"__doc__": doc, "__module__": __name__})


PSOClassifier = _estimator(
    "PSOClassifier", (_Classifier, _PSO), "train_pso", "classification", _LAM_DIRECT, _PSO_DOC,
    "Classifier trained by particle swarm optimization of ``E = D + λ·Σw²``.")
PSORegressor = _estimator(
    "PSORegressor", (_Regressor, _PSO), "train_pso", "regression", _LAM_DIRECT, _PSO_DOC,
    "Regressor trained by particle swarm optimization of ``E = D + λ·Σw²``.")
BackpropClassifier = _estimator(
    "BackpropClassifier", (_Classifier, _Backprop), "train_backprop", "classification",
    _LAM_RULE, _BACKPROP_DOC, "Classifier trained by back-propagation with one of the L2 rules.")
BackpropRegressor = _estimator(
    "BackpropRegressor", (_Regressor, _Backprop), "train_backprop", "regression", _LAM_RULE,
    _BACKPROP_DOC, "Regressor trained by back-propagation with one of the L2 rules.")
LBFGSClassifier = _estimator(
    "LBFGSClassifier", (_Classifier, _LBFGS), "train_lbfgs", "classification", _LAM_DIRECT,
    _LBFGS_DOC, "Classifier at a local optimum of ``E = D + λ·Σw²`` (scipy's L-BFGS-B).")
LBFGSRegressor = _estimator(
    "LBFGSRegressor", (_Regressor, _LBFGS), "train_lbfgs", "regression", _LAM_DIRECT,
    _LBFGS_DOC, "Regressor at a local optimum of ``E = D + λ·Σw²`` (scipy's L-BFGS-B).")

#: Estimator class name -> class: the only classes ``load_model`` will build.
ESTIMATORS = {cls.__name__: cls for cls in (PSOClassifier, PSORegressor, BackpropClassifier,
                                            BackpropRegressor, LBFGSClassifier, LBFGSRegressor)}
