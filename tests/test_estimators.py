"""The scikit-learn estimators: scikit-learn's own checks, λ search, thread sharing, warnings."""

import pickle
import subprocess
import sys
import threading
import warnings

import numba
import numpy as np
import pytest

import swarmreg as sr

sklearn = pytest.importorskip("sklearn", reason="the estimator tests need scikit-learn (dev extra)")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

#: Small budgets that still pass the checks' accuracy and R² thresholds, so that the ~55
#: checks per estimator (each fitting a few times) stay fast.
CHECKED = [
    sr.PSOClassifier(max_iter=100, swarm_size=10),
    sr.PSORegressor(max_iter=300),
    sr.BackpropClassifier(max_iter=50),
    sr.BackpropRegressor(max_iter=50),
    sr.LBFGSClassifier(max_iter=200),
    sr.LBFGSRegressor(max_iter=200),
]


@parametrize_with_checks(CHECKED)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        # The checks fit on tiny random problems on purpose; L-BFGS then meets max_iter.
        warnings.simplefilter("ignore", sr.ConvergenceWarning)
        check(estimator)


def iris_strings():
    X, y = sr.datasets.load_iris()
    return X, np.asarray(sr.datasets.IRIS_CLASSES, dtype=object)[y]


def test_grid_search_over_lam_in_a_pipeline_picks_a_lambda_and_predicts_labels():
    X, y = iris_strings()
    clf = make_pipeline(StandardScaler(), sr.PSOClassifier(hidden_layer_sizes=(7,), lam=1e-3,
                                                           max_iter=150, random_state=0))
    search = GridSearchCV(clf, {"psoclassifier__lam": [1e-4, 1e-3, 1e-2, 1e-1]}, cv=3).fit(X, y)
    assert search.best_params_["psoclassifier__lam"] in (1e-4, 1e-3, 1e-2, 1e-1)
    best = search.best_estimator_
    assert set(best.predict(X[:10])) <= set(sr.datasets.IRIS_CLASSES)
    proba = best.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert list(best[-1].classes_) == sorted(sr.datasets.IRIS_CLASSES)
    assert search.best_score_ > 0.8


def test_same_random_state_gives_a_bit_identical_model_also_in_parallel_grid_search():
    X, y = sr.datasets.load_iris()
    grid = {"lam": [1e-3, 1e-1]}
    est = sr.PSOClassifier(max_iter=80, swarm_size=12, random_state=3)
    a, b = clone(est).fit(X, y), clone(est).fit(X, y)
    assert np.array_equal(a.theta_, b.theta_) and np.array_equal(a.loss_curve_, b.loss_curve_)
    serial = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
    parallel = GridSearchCV(est, grid, cv=3, n_jobs=2).fit(X, y)
    for key in ("split0_test_score", "split1_test_score", "split2_test_score"):
        assert np.array_equal(serial.cv_results_[key], parallel.cv_results_[key])
    assert np.array_equal(serial.best_estimator_.theta_, parallel.best_estimator_.theta_)


def test_fits_running_side_by_side_in_threads_share_the_numba_threads(monkeypatch):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs at least 2 Numba threads")
    from swarmreg import estimators

    both_inside = threading.Barrier(2, timeout=30)
    seen = []
    real_train = estimators._PSO._train

    def train(self, *args, **kwargs):
        seen.append(numba.get_num_threads())
        both_inside.wait()  # the two fits are now running at once
        return real_train(self, *args, **kwargs)

    monkeypatch.setattr(estimators._PSO, "_train", train)
    X, y = sr.datasets.load_iris()
    fits = [threading.Thread(target=sr.PSOClassifier(max_iter=5, random_state=i).fit, args=(X, y))
            for i in range(2)]
    for t in fits:
        t.start()
    for t in fits:
        t.join()
    # The second fit to start sees the first one running and takes half of the threads.
    assert sorted(seen) == [numba.config.NUMBA_NUM_THREADS // 2, numba.config.NUMBA_NUM_THREADS]
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS


def test_fitted_attributes_are_read_from_the_trainers_result():
    X, y = iris_strings()
    bp = sr.BackpropClassifier(hidden_layer_sizes=(7,), lam=0.01, rule="decay",
                               learning_rate_init=0.01, max_iter=5, random_state=1).fit(X, y)
    assert bp.lam_E_ == 0.01 / (2 * 0.01)  # decay: λ_E = λ / (2η), by hand
    assert bp.result_.trainer == "backprop" and bp.result_.rule == "decay"
    assert bp.network_ == sr.Network([4, 7, 3])
    assert bp.n_iter_ == 5 and bp.loss_curve_.shape == (6,)
    assert bp.best_loss_ == bp.loss_curve_.min()
    for (w, b), (W, B) in zip(zip(bp.coefs_, bp.intercepts_), bp.network_.unpack(bp.theta_)):
        assert np.shares_memory(w, bp.theta_) and np.shares_memory(b, bp.theta_)
        assert np.array_equal(w, W) and np.array_equal(b, B)
    assert [w.shape for w in bp.coefs_] == [(4, 7), (7, 3)]
    # The same run through the trainer directly: the estimator adds nothing to the numbers.
    direct = sr.train_backprop(sr.Network([4, 7, 3]), X, np.unique(y, return_inverse=True)[1],
                               lam=0.01, rule="decay", lr=0.01, epochs=5, seed=1)
    assert np.array_equal(direct.theta, bp.theta_)


def test_regressor_predicts_the_ridge_optimum_without_hidden_layer():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ [1.0, -2.0, 0.5] + 3.0 + 0.1 * rng.normal(size=60)
    reg = sr.LBFGSRegressor(hidden_layer_sizes=(), lam=0.1).fit(X, y)
    theta = sr.ridge_closed_form(X, y, 0.1)  # layout: W (3, 1), then b
    np.testing.assert_allclose(reg.predict(X), X @ theta[:3] + theta[3], rtol=0, atol=1e-7)
    assert reg.predict(X).shape == (60,)
    two = sr.LBFGSRegressor(hidden_layer_sizes=()).fit(X, np.c_[y, -y])
    assert two.predict(X).shape == (60, 2)


def test_standardize_scales_with_the_training_statistics():
    X, y = sr.datasets.load_iris()
    est = sr.PSOClassifier(max_iter=30, swarm_size=8, standardize=True, random_state=0).fit(X, y)
    np.testing.assert_array_equal(est.input_mean_, X.mean(axis=0))
    np.testing.assert_array_equal(est.input_scale_, X.std(axis=0))
    scaled = (X - X.mean(axis=0)) / X.std(axis=0)
    np.testing.assert_array_equal(est.predict_proba(X), est.network_.forward(est.theta_, scaled))


def test_a_budget_that_ends_before_the_requested_target_warns():
    X, y = sr.datasets.load_iris()
    with pytest.warns(sr.ConvergenceWarning, match="target_error=0.0"):
        sr.PSOClassifier(max_iter=3, swarm_size=4, target_error=0.0, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sr.ConvergenceWarning)  # no target asked: no warning
        sr.PSOClassifier(max_iter=3, swarm_size=4, random_state=0).fit(X, y)


def test_back_prop_divergence_warns():
    X, y = sr.datasets.load_iris()
    with pytest.warns(sr.ConvergenceWarning, match="diverged"):
        est = sr.BackpropRegressor(learning_rate_init=50.0, max_iter=50, random_state=0).fit(X, y)
    assert est.result_.stop_reason == "diverged"


def test_one_class_is_refused_with_a_message_naming_it():
    X, _ = sr.datasets.load_iris()
    with pytest.raises(ValueError, match="at least 2 classes in y, got 1 class"):
        sr.PSOClassifier().fit(X, np.zeros(len(X)))


def test_estimators_pickle_and_predict_the_same():
    X, y = iris_strings()
    est = sr.BackpropClassifier(max_iter=3, random_state=0).fit(X, y)
    back = pickle.loads(pickle.dumps(est))
    assert np.array_equal(back.predict_proba(X), est.predict_proba(X))
    assert np.array_equal(back.predict(X), est.predict(X))


def test_estimators_work_without_scikit_learn():
    code = """
import sys
sys.modules["sklearn"] = None  # import sklearn now raises ImportError
import numpy as np, swarmreg as sr
from swarmreg import _sklearn_compat
assert not _sklearn_compat.HAVE_SKLEARN
X, y = sr.datasets.load_iris()
names = np.array(["a", "b", "c"], dtype=object)[y]
est = sr.PSOClassifier(max_iter=20, swarm_size=6, random_state=0).fit(X, names)
assert est.get_params()["max_iter"] == 20 and est.set_params(lam=0.1).lam == 0.1
assert 0.0 <= est.score(X, names) <= 1.0 and set(est.predict(X)) <= {"a", "b", "c"}
assert repr(est) == "PSOClassifier(lam=0.1, max_iter=20, random_state=0, swarm_size=6)"
try:
    est.predict(X[:, :3])
except ValueError as exc:
    assert "X has 3 features, but PSOClassifier is expecting 4 features" in str(exc)
try:
    sr.PSORegressor().predict(X)
except sr.estimators.NotFittedError:
    pass
reg = sr.LBFGSRegressor(hidden_layer_sizes=()).fit(X[:, :3], X[:, 3])
assert reg.score(X[:, :3], X[:, 3]) > 0.9
back = sr.load_model(sr.save_model(est, sys.argv[1]))
assert np.array_equal(back.predict_proba(X), est.predict_proba(X))
print("ok")
"""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, "-c", code, f"{tmp}/m.swarmreg"],
                              capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]


def test_import_swarmreg_does_not_import_scikit_learn():
    code = "import sys, swarmreg; print('sklearn' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "False", proc.stderr


def test_adamw_through_the_estimator_is_train_backprop_and_has_no_lam_E():
    X, y = sr.datasets.load_iris()
    est = sr.BackpropClassifier(optimizer="adam", rule="decoupled", lam=0.01, beta_1=0.8,
                                beta_2=0.99, epsilon=1e-7, learning_rate_init=1e-3, max_iter=4,
                                random_state=2).fit(X, y)
    direct = sr.train_backprop(sr.Network([4, 7, 3]), X, y, optimizer="adam", rule="decoupled",
                               lam=0.01, betas=(0.8, 0.99), eps=1e-7, lr=1e-3, epochs=4, seed=2)
    assert np.array_equal(est.theta_, direct.theta)
    assert np.isnan(est.lam_E_)  # decoupled decay through Adam minimizes no E


def test_the_swarm_estimator_defaults_fit_wine_as_well_as_back_prop():
    # The quality benchmark's claim for a user who tunes nothing (README "How well the swarm
    # trains"), on one data set small enough for a test: three 75/25 splits.
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = datasets.load_wine(return_X_y=True)
    accs = []
    for split in range(3):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y,
                                                  random_state=split)
        clf = make_pipeline(StandardScaler(), sr.PSOClassifier(lam=1e-3, random_state=split))
        accs.append(clf.fit(X_tr, y_tr).score(X_te, y_te))
    assert np.mean(accs) >= 0.97, accs
