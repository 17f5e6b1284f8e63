"""plot_history: the plotted curve is the run's history, labelled with what it is."""

import dataclasses
import sys

import numpy as np
import pytest

import swarmreg as sr

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def runs():
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 5, 3])
    return {
        "pso": sr.train_pso(net, X, y, lam=0.001, swarm_size=8, max_iter=25, seed=1),
        "backprop": sr.train_backprop(net, X, y, lam=0.01, rule="decay", lr=0.01, epochs=7, seed=1),
        "lbfgs": sr.train_lbfgs(net, X, y, lam=0.001, max_iter=12, seed=1),
    }


class FittedEstimator:
    """Stands for a fitted swarmreg estimator: all plot_history needs is ``result_``."""

    def __init__(self, result):
        self.result_ = result

    def fit(self, X, y):
        return self


@pytest.mark.parametrize("trainer, step, curve", [
    ("pso", "iteration", "best E so far"),
    ("backprop", "epoch", "E at the current θ"),
    ("lbfgs", "iteration", "E at the current θ"),
])
def test_the_line_is_the_history_against_the_step_with_its_labels(runs, trainer, step, curve):
    res = runs[trainer]
    ax = sr.plot_history(res)
    x, y = ax.lines[-1].get_data()
    np.testing.assert_array_equal(y, res.history)
    np.testing.assert_array_equal(x, np.arange(res.iterations + 1))
    assert ax.get_xlabel() == step
    assert ax.get_ylabel().startswith(curve) and "E = MSE + λ_E·Σw²" in ax.get_ylabel()
    assert f"λ_E = {res.lam:g}" in ax.get_title() and curve in ax.get_title()
    assert ax.get_yscale() == "log"  # every E is positive


def test_titles_name_the_trainer_and_backprops_rule_and_nominal_lambda(runs):
    assert sr.plot_history(runs["pso"]).get_title().startswith("PSO:")
    assert sr.plot_history(runs["lbfgs"]).get_title().startswith("L-BFGS:")
    title = sr.plot_history(runs["backprop"]).get_title()
    assert title.startswith("back-prop `decay` (λ = 0.01)") and "λ_E = 0.5" in title


def test_pso_history_never_increases(runs):
    y = sr.plot_history(runs["pso"]).lines[-1].get_ydata()
    assert np.all(np.diff(y) <= 0)


def test_linear_scale_when_a_value_is_not_positive(runs):
    res = dataclasses.replace(runs["lbfgs"], history=np.array([1.0, 0.5, 0.0]))
    assert sr.plot_history(res).get_yscale() == "linear"


def test_cross_entropy_runs_say_so(runs):
    res = dataclasses.replace(runs["pso"], loss="cross_entropy")
    assert "E = cross-entropy + λ_E·Σw²" in sr.plot_history(res).get_ylabel()


def test_draws_on_the_given_axes_and_returns_them(runs):
    fig, (left, right) = plt.subplots(1, 2)
    assert sr.plot_history(runs["pso"], ax=right) is right
    assert len(right.lines) == 1 and not left.lines


def test_a_fitted_estimator_plots_its_result(runs):
    ax = sr.plot_history(FittedEstimator(runs["backprop"]))
    np.testing.assert_array_equal(ax.lines[-1].get_ydata(), runs["backprop"].history)


@pytest.mark.filterwarnings("ignore::swarmreg.ConvergenceWarning")  # a deliberately short budget
@pytest.mark.parametrize("estimator", ["PSOClassifier", "BackpropClassifier", "LBFGSClassifier"])
def test_a_swarmreg_estimator_plots_its_result_and_refuses_until_fitted(estimator):
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    est = getattr(sr, estimator)(hidden_layer_sizes=(4,), max_iter=6, random_state=0)
    with pytest.raises(ValueError, match=f"{estimator} is not fitted yet"):
        sr.plot_history(est)
    ax = sr.plot_history(est.fit(X, y))
    np.testing.assert_array_equal(ax.lines[-1].get_ydata(), est.loss_curve_)


def test_an_unfitted_estimator_is_refused():
    class Unfitted:
        def fit(self, X, y):
            return self

    with pytest.raises(ValueError, match="Unfitted is not fitted yet.*call fit first"):
        sr.plot_history(Unfitted())


@pytest.mark.parametrize("bad", [np.arange(5.0), "history", None])
def test_anything_else_is_refused(bad):
    with pytest.raises(TypeError, match="TrainResult or a fitted swarmreg estimator"):
        sr.plot_history(bad)


def test_a_result_attribute_that_is_not_a_train_result_is_refused():
    with pytest.raises(TypeError, match=r"FittedEstimator.result_ must be a swarmreg.TrainResult"):
        sr.plot_history(FittedEstimator({"history": [1.0]}))


def test_ax_must_be_an_axes(runs):
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes, got Figure"):
        sr.plot_history(runs["pso"], ax=plt.figure())


def test_without_matplotlib_the_error_names_the_extra(runs, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"swarmreg\[experiments\]"):
        sr.plot_history(runs["pso"])


def test_exported():
    assert "plot_history" in sr.__all__
