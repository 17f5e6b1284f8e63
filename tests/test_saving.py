"""Saved models: round trips are bit-identical; every damaged or foreign file is refused."""

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import swarmreg as sr
from swarmreg import _archive

pytest.importorskip("sklearn", reason="the estimators' round trips use scikit-learn (dev extra)")

X, Y = sr.datasets.load_iris()
NAMES = np.asarray(sr.datasets.IRIS_CLASSES, dtype=object)[Y]


def fitted():
    """One fitted estimator of each kind, with labels and targets of each kind."""
    return [
        sr.PSOClassifier(max_iter=20, swarm_size=6, random_state=0).fit(X, NAMES),
        sr.PSOClassifier(max_iter=20, swarm_size=6, standardize=True, random_state=0).fit(X, Y + 10),
        sr.BackpropClassifier(max_iter=3, lam=0.01, rule="decay", random_state=0).fit(X, Y == 2),
        sr.BackpropRegressor(max_iter=3, random_state=0).fit(X[:, :3], X[:, 3]),
        sr.LBFGSRegressor(hidden_layer_sizes=(), max_iter=50).fit(X[:, :2], X[:, 2:]),
        sr.LBFGSClassifier(hidden_layer_sizes=(3, 2), activation="relu", loss="cross_entropy",
                           max_iter=30, random_state=0).fit(X, Y.astype(float)),
    ]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("index", range(6))
def test_save_load_predict_is_bit_identical(tmp_path, index):
    est = fitted()[index]
    back = sr.load_model(est.save(tmp_path / "m.swarmreg"))
    assert type(back) is type(est) and back.get_params() == est.get_params()
    assert np.array_equal(back.predict(X[:, : est.n_features_in_]), est.predict(X[:, : est.n_features_in_]))
    if hasattr(est, "classes_"):
        assert np.array_equal(back.classes_, est.classes_) and back.classes_.dtype == est.classes_.dtype
        assert np.array_equal(back.predict_proba(X), est.predict_proba(X))
    for name in ("theta_", "loss_curve_"):
        assert np.array_equal(getattr(back, name), getattr(est, name))
    assert back.result_.settings == est.result_.settings and back.result_.seed == est.result_.seed
    assert back.lam_E_ == est.lam_E_ and back.n_iter_ == est.n_iter_


def test_feature_names_from_a_dataframe_survive_the_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["sepal_l", "sepal_w", "petal_l", "petal_w"])
    est = sr.PSOClassifier(max_iter=10, swarm_size=5, random_state=0).fit(frame, NAMES)
    back = sr.load_model(sr.save_model(est, tmp_path / "m.swarmreg"))
    assert list(back.feature_names_in_) == ["sepal_l", "sepal_w", "petal_l", "petal_w"]
    with pytest.raises(ValueError, match="feature names should match"):
        back.predict(frame.rename(columns={"sepal_l": "x"}))
    assert np.array_equal(back.predict(frame), est.predict(frame))


def test_a_train_result_round_trips_with_every_field(tmp_path):
    net = sr.Network([4, 5, 3])
    res = sr.train_pso(net, X, Y, lam=1e-3, swarm_size=6, max_iter=15, seed=4, v_max=2.0,
                       bounds=(-10.0, 10.0))
    back = sr.load_model(res.save(tmp_path / "r.swarmreg"))
    assert isinstance(back, sr.TrainResult) and back.network == net
    for field in res.__dataclass_fields__:
        if field == "state":  # the training state is a checkpoint's, not a model file's
            assert res.state is not None and back.state is None
            continue
        a, b = getattr(res, field), getattr(back, field)
        assert (np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b), field
    assert back.settings["bounds"] == (-10.0, 10.0) and back.settings["v_max"] == 2.0


def test_an_unfitted_estimator_or_a_foreign_object_is_not_saved(tmp_path):
    with pytest.raises(sr.estimators.NotFittedError):
        sr.save_model(sr.PSOClassifier(), tmp_path / "m")
    with pytest.raises(TypeError, match="TrainResult or a swarmreg estimator"):
        sr.save_model(object(), tmp_path / "m")


# -- files that must be refused ------------------------------------------------------------


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.swarmreg"
    sr.save_model(sr.PSOClassifier(max_iter=5, swarm_size=4, random_state=0).fit(X, NAMES), path)
    return path.read_bytes()


def members_of(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(members, *, redigest=False):
    """A model file with ``members``; ``redigest`` recomputes the digests, as a forger would."""
    if redigest:
        meta = json.loads(members["model.json"])
        meta["arrays"] = {n: _archive.digest(d) for n, d in members.items() if n != "model.json"}
        meta["digest"] = _archive.metadata_digest(meta)
        members = {**members, "model.json": json.dumps(meta).encode()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def edit_meta(data, change, *, redigest=False):
    members = members_of(data)
    meta = json.loads(members["model.json"])
    change(meta)
    return rezip({**members, "model.json": json.dumps(meta).encode()}, redigest=redigest)


class Pickled:
    """Loading this with allow_pickle=True would call ``open`` and write a file."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def with_pickle_bomb(data, path):
    arr = np.empty(1, dtype=object)
    arr[0] = Pickled(str(path))
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return rezip({**members_of(data), "theta.npy": buf.getvalue()}, redigest=True)


DAMAGES = {
    "text file": (lambda d, p: b"sepal,petal\n1,2\n", "not a swarmreg model file"),
    "empty file": (lambda d, p: b"", "not a swarmreg model file"),
    "truncated": (lambda d, p: d[: len(d) // 2], "truncated"),
    "zip of something else": (lambda d, p: rezip({"data.csv": b"1,2"}), "no model.json"),
    "edited metadata": (lambda d, p: edit_meta(d, lambda m: m["result"].update(lam=5.0)),
                        "edited or damaged"),
    "edited theta": (lambda d, p: rezip({**members_of(d), "theta.npy": members_of(d)["history.npy"]}),
                     "edited or damaged"),
    "extra member": (lambda d, p: rezip({**members_of(d), "run.py": b"import os"}), "edited or damaged"),
    "newer format": (lambda d, p: edit_meta(d, lambda m: m.update(format_version=99), redigest=True),
                     "format 99 .* reads format 1"),
    "unknown class": (lambda d, p: edit_meta(d, lambda m: m.update(kind="os.system"), redigest=True),
                      "cannot rebuild"),
    "pickled array": (with_pickle_bomb, "cannot rebuild"),
    "not JSON": (lambda d, p: rezip({**members_of(d), "model.json": b"[" * 100000}), "not JSON"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_and_foreign_files_are_refused_with_one_clear_error(tmp_path, good_bytes, damage):
    make, message = DAMAGES[damage]
    path = tmp_path / "bad.swarmreg"
    witness = tmp_path / "code-ran"
    path.write_bytes(make(good_bytes, witness))
    with pytest.raises(sr.ModelFileError, match=message) as info:
        sr.load_model(path)
    assert str(path) in str(info.value)
    assert not witness.exists()  # loading executed nothing


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        sr.load_model(tmp_path / "absent.swarmreg")


# -- files written by earlier versions -----------------------------------------------------

#: Model files written by swarmreg at 67be751, before saving moved onto swarmreg/_archive.py,
#: and what that swarmreg computed from them (floats as float.hex).
OLD_FILES = Path(__file__).resolve().parent / "data" / "model-format-1"


def old_expected():
    return json.loads((OLD_FILES / "expected.json").read_text())


def meta_in_order(data):
    """model.json as nested lists of (key, value) pairs, without what names the writer."""
    pairs = json.loads(members_of(data)["model.json"], object_pairs_hook=list)
    return [(key, value) for key, value in pairs if key not in ("swarmreg_version", "digest")]


def test_a_result_file_of_format_1_loads_and_saves_back_the_same_content(tmp_path):
    old = (OLD_FILES / "result.swarmreg").read_bytes()
    res = sr.load_model(OLD_FILES / "result.swarmreg")
    assert isinstance(res, sr.TrainResult) and res.network == sr.Network([4, 3, 3])
    assert [float.hex(float(v)) for v in res.theta] == old_expected()["theta"]
    assert res.seed == 7 and res.settings["v_max"] == 2.0 and res.settings["bounds"] == (-10.0, 10.0)
    new = res.save(tmp_path / "r.swarmreg").read_bytes()
    assert list(members_of(new)) == list(members_of(old))
    for name, data in members_of(old).items():
        if name != "model.json":
            assert members_of(new)[name] == data, name
    assert meta_in_order(new) == meta_in_order(old)


def test_an_estimator_file_of_format_1_predicts_what_it_did(tmp_path):
    est = sr.load_model(OLD_FILES / "classifier.swarmreg")
    expected = old_expected()
    assert isinstance(est, sr.PSOClassifier) and est.standardize and est.n_features_in_ == 4
    assert est.predict(X).tolist() == expected["predict"]
    proba = np.array([float.fromhex(v) for v in expected["predict_proba"]]).reshape(len(X), -1)
    assert np.allclose(est.predict_proba(X), proba, rtol=1e-9, atol=0)
    old = members_of((OLD_FILES / "classifier.swarmreg").read_bytes())
    new = members_of(est.save(tmp_path / "c.swarmreg").read_bytes())
    assert list(new) == list(old)
    assert all(new[name] == data for name, data in old.items() if name != "model.json")
    old_meta, new_meta = json.loads(old["model.json"]), json.loads(new["model.json"])
    assert new_meta["result"] == old_meta["result"] and new_meta["kind"] == old_meta["kind"]
    old_params = old_meta["estimator"].pop("params")
    new_params = new_meta["estimator"].pop("params")
    assert new_meta["estimator"] == old_meta["estimator"]
    assert {k: new_params[k] for k in old_params} == old_params  # later versions may add some


def test_model_file_error_is_one_class_under_each_name():
    from swarmreg import _modelfile, saving

    assert sr.ModelFileError is saving.ModelFileError is _modelfile.ModelFileError
    assert issubclass(sr.ModelFileError, ValueError)
