"""Checkpoints, resume, continuation and Ctrl-C (docs/design.md §12): a run cut anywhere and
taken up again gives the same bits as the run uninterrupted, on any number of threads, for
every swarm algorithm and for back-prop with its optimizer's buffers."""

import json
import warnings
import zipfile

import numba
import numpy as np
import pytest

import swarmreg as sr
from swarmreg import checkpoints
from swarmreg.algorithms import ALGORITHMS
from swarmreg.checkpoints import CheckpointWarning, TrainState, previous_path


@pytest.fixture(scope="module")
def iris():
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    return X, y


NET = sr.Network([4, 5, 3])

#: (trainer, keyword arguments, budget name): runs of about a hundred steps.
RUNS = {
    **{f"pso-{name}": ("pso", dict(algorithm=name, lam=0.01, swarm_size=7, max_iter=120, seed=3),
                       "max_iter") for name in ALGORITHMS},
    "pso-ring-death": ("pso", dict(lam=0.01, swarm_size=6, max_iter=120, topology="ring",
                                   death_prob=0.05, seed=4), "max_iter"),
    "backprop-adam": ("backprop", dict(lam=0.01, lr=0.01, epochs=80, batch_size=16,
                                       optimizer="adam", seed=5), "epochs"),
    "backprop-momentum": ("backprop", dict(lam=0.01, lr=0.02, epochs=80, batch_size=8,
                                           momentum=0.9, seed=6), "epochs"),
    "backprop-online-decay": ("backprop", dict(lam=0.001, rule="decay", lr=0.01, epochs=40,
                                               seed=7), "epochs"),
}
TRAIN = {"pso": sr.train_pso, "backprop": sr.train_backprop}


def interrupt_at(step):
    """A callback that presses Ctrl-C after iteration (epoch) ``step``."""
    def callback(k, error, theta):
        if k == step:
            raise KeyboardInterrupt
    return callback


def same_bits(a, b):
    assert a.theta.tobytes() == b.theta.tobytes()
    assert a.history.tobytes() == b.history.tobytes()
    assert (a.iterations, a.n_evaluations, a.stop_reason, a.seed) == (
        b.iterations, b.n_evaluations, b.stop_reason, b.seed)
    assert a.settings == b.settings


@pytest.mark.parametrize("run", RUNS)
def test_a_run_interrupted_and_resumed_from_its_checkpoint_ends_bit_identical(iris, tmp_path, run):
    trainer, kw, _ = RUNS[run]
    train = TRAIN[trainer]
    ref = train(NET, *iris, **kw)
    path = tmp_path / "run.ckpt"
    with pytest.raises(sr.TrainingInterrupted) as caught:
        train(NET, *iris, **kw, checkpoint=path, callback=interrupt_at(37))
    assert caught.value.checkpoint == path
    assert sr.read_checkpoint(path).iterations == 37
    resumed = train(NET, *iris, **kw, resume=path, checkpoint=path)
    same_bits(resumed, ref)
    assert sr.read_checkpoint(path).stop_reason == "max_iter"


@pytest.mark.parametrize("run", ["pso-pso", "backprop-adam"])
@pytest.mark.parametrize("threads", [(1, 2), (2, 1)], ids=["1-then-2", "2-then-1"])
def test_resuming_on_another_number_of_threads_changes_no_bit(iris, tmp_path, run, threads):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 Numba threads")
    trainer, kw, _ = RUNS[run]
    train = TRAIN[trainer]
    ref = train(NET, *iris, **kw)
    path = tmp_path / "run.ckpt"
    mine = numba.get_num_threads()
    try:
        numba.set_num_threads(threads[0])
        with pytest.raises(KeyboardInterrupt):
            train(NET, *iris, **kw, checkpoint=path, callback=interrupt_at(50))
        numba.set_num_threads(threads[1])
        resumed = train(NET, *iris, **kw, resume=path)
    finally:
        numba.set_num_threads(mine)
    same_bits(resumed, ref)


@pytest.mark.parametrize("run", RUNS)
def test_continuing_a_finished_run_matches_one_longer_run(iris, tmp_path, run):
    trainer, kw, budget = RUNS[run]
    train = TRAIN[trainer]
    longer = train(NET, *iris, **kw)
    short = train(NET, *iris, **{**kw, budget: 20})
    assert short.stop_reason == "max_iter" and short.state.iterations == 20
    same_bits(train(NET, *iris, **kw, init=short), longer)
    # in two more steps, from a TrainState and from a checkpoint file
    middle = train(NET, *iris, **{**kw, budget: 30}, init=short.state, checkpoint=tmp_path / "c")
    same_bits(train(NET, *iris, **kw, init=tmp_path / "c"), longer)
    assert middle.iterations == 30


def test_a_run_stopped_by_its_patience_or_target_continues_only_when_they_change(iris):
    kw = dict(lam=0.01, swarm_size=6, max_iter=100000, patience=8, seed=2)
    stalled = sr.train_pso(NET, *iris, **kw)
    assert stalled.stop_reason == "patience"
    again = sr.train_pso(NET, *iris, **kw, init=stalled)  # what one longer run would do
    same_bits(again, stalled)
    more = sr.train_pso(NET, *iris, **{**kw, "patience": 50}, init=stalled)
    same_bits(more, sr.train_pso(NET, *iris, **{**kw, "patience": 50}))
    hit = sr.train_backprop(NET, *iris, lam=0.0, lr=0.5, epochs=10000, target_error=0.5, seed=1)
    assert hit.stop_reason == "target_error"
    same_bits(sr.train_backprop(NET, *iris, lam=0.0, lr=0.5, epochs=10000, target_error=0.5,
                                init=hit), hit)


def test_ctrl_c_raises_a_keyboard_interrupt_carrying_the_result_so_far(iris):
    kw = dict(lam=0.01, swarm_size=7, max_iter=200, seed=3)
    with pytest.raises(KeyboardInterrupt) as caught:
        sr.train_pso(NET, *iris, **kw, callback=interrupt_at(60))
    exc = caught.value
    assert isinstance(exc, sr.TrainingInterrupted) and exc.checkpoint is None
    partial = exc.result
    assert partial.stop_reason == "interrupted" and "interrupted" in sr.result.STOP_REASONS
    assert partial.iterations == 60 and partial.history.shape == (61,)
    # the best found so far: what a run of 60 iterations finds
    sixty = sr.train_pso(NET, *iris, **{**kw, "max_iter": 60})
    assert partial.theta.tobytes() == sixty.theta.tobytes()
    assert partial.history.tobytes() == sixty.history.tobytes()
    same_bits(sr.train_pso(NET, *iris, **kw, init=partial), sr.train_pso(NET, *iris, **kw))
    with pytest.raises(sr.TrainingInterrupted) as caught:
        sr.train_backprop(NET, *iris, lr=0.01, epochs=50, seed=1, callback=interrupt_at(9))
    assert caught.value.result.iterations == 9 and caught.value.result.trainer == "backprop"


def test_checkpoints_are_written_between_chunks_every_checkpoint_every_seconds(iris, tmp_path):
    path = tmp_path / "run.ckpt"
    seen = []

    def look(k, error, theta):
        seen.append(sr.read_checkpoint(path).iterations)

    sr.train_pso(NET, *iris, swarm_size=5, max_iter=30, seed=1, checkpoint=path,
                 checkpoint_every=0.0, callback=look)
    # with a callback a chunk is one iteration; the checkpoint is written after it
    assert seen == [0] + list(range(1, 30))
    assert sr.read_checkpoint(previous_path(path)).iterations == 29
    seen.clear()
    sr.train_pso(NET, *iris, swarm_size=5, max_iter=30, seed=1, checkpoint=path,
                 checkpoint_every=1e9, callback=look)
    assert seen == [0] * 30  # only the one at the start until the end
    assert sr.read_checkpoint(path).iterations == 30


def test_the_checkpoint_holds_the_whole_state_as_data(iris, tmp_path):
    path = tmp_path / "run.ckpt"
    res = sr.train_backprop(NET, *iris, lam=0.01, lr=0.01, epochs=5, optimizer="adam", seed=1,
                            checkpoint=path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        meta = json.loads(archive.read("checkpoint.json"))
    assert names == {"checkpoint.json", "history.npy",
                     *(f"state.{f}.npy" for f in ("theta", "vel", "sq", "prev", "order", "rng",
                                                   "counters", "best_err"))}
    assert meta["format"] == "swarmreg-checkpoint" and meta["format_version"] == 1
    assert meta["trainer"] == "backprop" and meta["arguments"]["optimizer"] == "adam"
    assert meta["data"]["X"]["shape"] == [120, 4] and meta["data"]["y"]["shape"] == [120, 3]
    state = sr.read_checkpoint(path)
    assert state.stop_reason == "max_iter" and state.iterations == 5
    assert state.arrays["theta"].tobytes() == res.theta.tobytes()
    assert state.arrays["sq"].any()  # Adam's second moments
    assert not state.arrays["theta"].flags.writeable
    # the result carries the same state, which model files leave out
    assert res.state.arrays["vel"].tobytes() == state.arrays["vel"].tobytes()
    loaded = sr.load_model(res.save(tmp_path / "m.swarmreg"))
    assert loaded.state is None
    with pytest.raises(ValueError, match="carries no training state"):
        sr.train_backprop(NET, *iris, lr=0.01, epochs=10, init=loaded)
    with pytest.raises(ValueError, match="carries no training state"):
        sr.train_pso(NET, *iris, init=sr.train_lbfgs(NET, *iris, max_iter=3))


def test_a_checkpoint_of_another_run_is_refused_naming_every_difference(iris, tmp_path):
    X, y = iris
    path = tmp_path / "run.ckpt"
    kw = dict(lam=0.01, swarm_size=6, max_iter=40, seed=3)
    sr.train_pso(NET, X, y, **kw, checkpoint=path)

    def refused(*args, **changes):
        with pytest.raises(sr.CheckpointError) as caught:
            sr.train_pso(*(args or (NET, X, y)), **{**kw, **changes}, resume=path)
        return str(caught.value)

    msg = refused(swarm_size=7, lam=0.02)
    assert str(path) in msg and "swarm_size=6 (this call: 7)" in msg and "lam=0.01 (this call: 0.02)" in msg
    assert "max_iter" not in msg.split(":", 1)[1].split("(init=")[0]
    assert "inertia=0.729 (this call: 0.5)" in refused(inertia=0.5)
    assert "topology='global' (this call: 'ring')" in refused(topology="ring")
    assert "seed=3 (this call: 4)" in refused(seed=4)
    assert "max_iter=40 (this call: 50)" in refused(max_iter=50)  # resume: the same run
    msg = refused(NET, X[::-1], y[::-1])
    assert "X differs from the data it was trained on" in msg and "y differs" in msg
    assert "120×4 float64" in msg
    msg = refused(NET, X, (y + 1) % 3)
    assert "X differs" not in msg and "y differs" in msg
    assert "network=" in refused(sr.Network([4, 6, 3]), X, y)
    with pytest.raises(sr.CheckpointError, match="continues a 'pso' run, not a 'backprop' one"):
        sr.train_backprop(NET, X, y, resume=path)
    # init= may change the budget and the stopping rules, nothing else
    sr.train_pso(NET, X, y, **{**kw, "max_iter": 50, "patience": 5}, init=path)
    with pytest.raises(sr.CheckpointError, match="lam=0.01 .this call: 0.1."):
        sr.train_pso(NET, X, y, **{**kw, "max_iter": 50, "lam": 0.1}, init=path)
    with pytest.raises(ValueError, match="max_iter=20 is below the 40 iterations"):
        sr.train_pso(NET, X, y, **{**kw, "max_iter": 20}, init=path)
    with pytest.raises(ValueError, match="not both"):
        sr.train_pso(NET, X, y, **kw, resume=path, init=path)
    with pytest.raises(TypeError, match="init must be"):
        sr.train_pso(NET, X, y, **kw, init=3)


def test_back_prop_resumes_without_repeating_theta0_but_refuses_another(iris, tmp_path):
    path = tmp_path / "run.ckpt"
    theta0 = NET.initial_theta(9)
    kw = dict(lam=0.01, lr=0.01, epochs=30, seed=1, theta0=theta0)
    ref = sr.train_backprop(NET, *iris, **kw)
    with pytest.raises(KeyboardInterrupt):
        sr.train_backprop(NET, *iris, **kw, checkpoint=path, callback=interrupt_at(11))
    same_bits(sr.train_backprop(NET, *iris, **{**kw, "theta0": None}, resume=path), ref)
    same_bits(checkpoints.resume(path, *iris, checkpoint=None), ref)
    with pytest.raises(sr.CheckpointError, match="theta0="):
        sr.train_backprop(NET, *iris, **{**kw, "theta0": theta0 + 1.0}, resume=path)


def test_swarmreg_resume_calls_the_trainer_with_the_checkpoints_arguments(iris, tmp_path):
    path = tmp_path / "run.ckpt"
    kw = dict(lam=0.01, swarm_size=6, max_iter=90, topology="ring", inertia=0.6,
              bounds=(-3.0, 3.0), seed=8)
    ref = sr.train_pso(NET, *iris, **kw)
    with pytest.raises(KeyboardInterrupt):
        sr.train_pso(NET, *iris, **kw, checkpoint=path, callback=interrupt_at(20))
    res = sr.resume(path, *iris)
    same_bits(res, ref)
    assert sr.read_checkpoint(path).stop_reason == "max_iter"  # it went on checkpointing there
    with pytest.raises(sr.CheckpointError, match="X differs"):
        sr.resume(path, iris[0] + 1.0, iris[1])


def damage(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_damaged_checkpoint_is_refused_and_the_previous_one_used(iris, tmp_path):
    path = tmp_path / "run.ckpt"
    kw = dict(lam=0.01, swarm_size=6, max_iter=80, seed=3)
    ref = sr.train_pso(NET, *iris, **kw)
    with pytest.raises(KeyboardInterrupt):
        sr.train_pso(NET, *iris, **kw, checkpoint=path, checkpoint_every=0.0,
                     callback=interrupt_at(30))
    assert sr.read_checkpoint(previous_path(path)).iterations == 29
    damage(path)
    with pytest.warns(CheckpointWarning, match=r"run.ckpt is unusable .damaged checkpoint file.*"
                                               r"resuming from the previous one.*iteration 29"):
        res = sr.train_pso(NET, *iris, **kw, resume=path, checkpoint=path)
    same_bits(res, ref)
    # the damaged file was replaced, not kept as the previous one
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sr.read_checkpoint(path).iterations == 80
        assert sr.read_checkpoint(previous_path(path)).iterations == 29
    damage(path)
    damage(previous_path(path))
    with pytest.raises(sr.CheckpointError) as caught:
        sr.train_pso(NET, *iris, **kw, resume=path)
    assert str(path) in str(caught.value) and str(previous_path(path)) in str(caught.value)
    assert isinstance(caught.value, ValueError)
    path.write_text("not a zip")
    previous_path(path).unlink()
    with pytest.raises(sr.CheckpointError, match="not a swarmreg checkpoint file"):
        sr.read_checkpoint(path)
    path.unlink()
    with pytest.raises(FileNotFoundError):
        sr.train_pso(NET, *iris, **kw, resume=path)


def test_a_missing_checkpoint_falls_back_to_the_previous_one(iris, tmp_path):
    path = tmp_path / "run.ckpt"
    sr.train_pso(NET, *iris, swarm_size=5, max_iter=20, seed=1, checkpoint=path)
    path.unlink()
    with pytest.warns(CheckpointWarning, match="is missing"):
        assert sr.read_checkpoint(path).iterations == 0


def test_an_unwritable_checkpoint_fails_at_the_start(iris, tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(OSError):
        sr.train_pso(NET, *iris, swarm_size=5, max_iter=20, seed=1, checkpoint=tmp_path / "dir")


def test_a_train_state_saves_as_a_checkpoint_and_pickles(iris, tmp_path):
    import pickle

    res = sr.train_pso(NET, *iris, swarm_size=5, max_iter=20, seed=1)
    assert isinstance(res.state, TrainState) and res.state.iterations == 20
    back = pickle.loads(pickle.dumps(res))
    assert back.state.arrays["pos"].tobytes() == res.state.arrays["pos"].tobytes()
    path = res.state.save(tmp_path / "s.ckpt")
    more = sr.train_pso(NET, *iris, swarm_size=5, max_iter=40, init=path)
    same_bits(more, sr.train_pso(NET, *iris, swarm_size=5, max_iter=40, seed=1))


# -- estimators ------------------------------------------------------------------------------

ESTIMATOR_RUNS = {
    "PSOClassifier": dict(swarm_size=6, max_iter=25),
    "PSORegressor": dict(algorithm="pso", swarm_size=6, max_iter=25, topology="ring"),
    "BackpropClassifier": dict(max_iter=6, optimizer="adam", batch_size=16),
    "BackpropRegressor": dict(max_iter=6, momentum=0.5),
}


def data_for(name):
    X, y = sr.datasets.load_iris()
    return (X, y) if name.endswith("Classifier") else (X[:, :3], X[:, 3])


@pytest.mark.parametrize("name", ESTIMATOR_RUNS)
def test_warm_start_continues_the_fit_bit_identical_to_one_longer_fit(name):
    cls = getattr(sr, name)
    X, y = data_for(name)
    kw = ESTIMATOR_RUNS[name]
    est = cls(**kw, random_state=3, warm_start=True).fit(X, y).fit(X, y).fit(X, y)
    once = cls(**{**kw, "max_iter": 3 * kw["max_iter"]}, random_state=3).fit(X, y)
    assert est.n_iter_ == once.n_iter_ == 3 * kw["max_iter"]
    assert est.theta_.tobytes() == once.theta_.tobytes()
    assert est.loss_curve_.tobytes() == once.loss_curve_.tobytes()
    cold = cls(**kw, random_state=3).fit(X, y).fit(X, y)  # without warm_start: a new fit
    assert cold.n_iter_ == kw["max_iter"]
    with pytest.raises(ValueError, match=r"warm_start=True\) continues the fitted Network"):
        est.set_params(hidden_layer_sizes=(4,)).fit(X, y)
    est.set_params(hidden_layer_sizes=(7,), lam=0.5)
    with pytest.raises(sr.CheckpointError, match=r"warm_start=True.*lam=0.0 .this call: 0.5."):
        est.fit(X, y)


def test_warm_start_needs_the_state_that_a_loaded_model_does_not_carry(tmp_path):
    X, y = data_for("PSOClassifier")
    est = sr.PSOClassifier(swarm_size=5, max_iter=5, random_state=0).fit(X, y)
    loaded = sr.load_model(est.save(tmp_path / "m.swarmreg")).set_params(warm_start=True)
    with pytest.raises(ValueError, match="carries no training state"):
        loaded.fit(X, y)


def test_lbfgs_warm_start_starts_again_from_the_fitted_theta():
    X, y = data_for("LBFGSRegressor")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sr.ConvergenceWarning)
        est = sr.LBFGSRegressor(max_iter=5, random_state=0, warm_start=True).fit(X, y)
        first = est.result_
        est.fit(X, y)
    ref = sr.train_lbfgs(first.network, X, y, theta0=first.theta, max_iter=5)
    assert est.theta_.tobytes() == ref.theta.tobytes() and est.result_.error < first.error


def test_ctrl_c_in_fit_leaves_the_estimator_fitted_with_the_result_so_far(tmp_path, monkeypatch):
    from swarmreg import pso

    X, y = data_for("PSOClassifier")
    real = pso.drive

    def drive_then_ctrl_c(iterate, total, counters, code, **kwargs):
        iterate(7)
        raise KeyboardInterrupt

    monkeypatch.setattr(pso, "drive", drive_then_ctrl_c)
    est = sr.PSOClassifier(swarm_size=5, max_iter=50, random_state=0,
                           checkpoint=tmp_path / "c")
    with pytest.raises(sr.TrainingInterrupted):
        est.fit(X, y)
    assert est.result_.stop_reason == "interrupted" and est.n_iter_ == 7
    assert est.predict(X).shape == (150,)
    monkeypatch.setattr(pso, "drive", real)
    resumed = sr.PSOClassifier(swarm_size=5, max_iter=50, random_state=0).fit(
        X, y, resume=tmp_path / "c")
    ref = sr.PSOClassifier(swarm_size=5, max_iter=50, random_state=0).fit(X, y)
    assert resumed.theta_.tobytes() == ref.theta_.tobytes()
