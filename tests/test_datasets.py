import numpy as np
import pytest

import swarmreg as sr
from swarmreg import datasets

import naive


def test_iris_is_fishers_data():
    X, y = datasets.load_iris()
    assert X.shape == (150, 4) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [50, 50, 50])
    np.testing.assert_array_equal(X[0], [5.1, 3.5, 1.4, 0.2])
    # Published class means of petal length (cm): 1.462, 4.260, 5.552.
    np.testing.assert_allclose([X[y == k, 2].mean() for k in range(3)], [1.462, 4.260, 5.552])


def test_iris_split_is_stratified_and_reproducible():
    X_tr, X_te, y_tr, y_te = datasets.iris(test_size=0.2, seed=3)
    assert X_tr.shape == (120, 4) and X_te.shape == (30, 4)
    np.testing.assert_array_equal(np.bincount(y_te), [10, 10, 10])
    again = datasets.iris(test_size=0.2, seed=3)
    np.testing.assert_array_equal(again[0], X_tr)
    other = datasets.iris(test_size=0.2, seed=4)
    assert not np.array_equal(other[1], X_te)
    # Train and test together are exactly the data set.
    X, _ = datasets.load_iris()
    both = np.vstack([X_tr, X_te])
    np.testing.assert_array_equal(np.sort(both.view("f8,f8,f8,f8"), axis=0),
                                  np.sort(X.view("f8,f8,f8,f8"), axis=0))


def test_standardization_is_fitted_on_training_part_only():
    X_tr, X_te, _, _ = datasets.iris(test_size=0.2, seed=1, standardize=True)
    raw_tr, raw_te, _, _ = datasets.iris(test_size=0.2, seed=1)
    np.testing.assert_allclose(X_tr.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X_tr.std(axis=0), 1.0)
    np.testing.assert_allclose(X_te, (raw_te - raw_tr.mean(axis=0)) / raw_tr.std(axis=0))


def test_standardizer_leaves_constant_columns_finite():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    out = datasets.Standardizer().fit_transform(X)
    np.testing.assert_array_equal(out[:, 1], 0.0)
    with pytest.raises(RuntimeError, match="before fit"):
        datasets.Standardizer().transform(X)


def test_train_test_split_partitions_rows():
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20)
    X_tr, X_te, y_tr, y_te = datasets.train_test_split(X, y, test_size=0.25, seed=0)
    assert len(y_te) == 5 and len(y_tr) == 15
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_te])), y)
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay paired
    assert len(datasets.train_test_split(X, y, test_size=3, seed=0)[1]) == 3
    with pytest.raises(ValueError, match="test_size must leave at least one item"):
        datasets.train_test_split(X, y, test_size=20)
    with pytest.raises(ValueError, match="test_size must be < 1.0"):
        datasets.train_test_split(X, y, test_size=1.0)


@pytest.mark.parametrize("hidden", ["tanh", "relu"])
def test_teacher_labels_come_from_the_teacher_network(hidden):
    X, y, net, theta = datasets.make_teacher(300, [5, 8, 3], hidden=hidden, seed=2, return_teacher=True)
    assert X.shape == (300, 5) and y.shape == (300,)
    ref = naive.forward(net.layers, hidden, "identity", theta, X).argmax(axis=1)
    np.testing.assert_array_equal(y, ref)
    assert len(np.unique(y)) == 3
    X2, y2 = datasets.make_teacher(300, [5, 8, 3], hidden=hidden, seed=2)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


def test_teacher_label_noise_flips_about_the_requested_fraction():
    _, clean = datasets.make_teacher(4000, [4, 6, 4], seed=0)
    _, noisy = datasets.make_teacher(4000, [4, 6, 4], noise=0.4, seed=0)
    # A flipped label is redrawn uniformly, so it changes with probability 3/4.
    assert np.mean(clean != noisy) == pytest.approx(0.4 * 0.75, abs=0.03)


def test_teacher_regression_adds_gaussian_noise():
    X, t, net, theta = datasets.make_teacher(5000, [3, 4, 1], task="regression", noise=0.5, seed=1,
                                             return_teacher=True)
    assert t.shape == (5000,)
    resid = t - naive.forward(net.layers, "tanh", "identity", theta, X)[:, 0]
    assert resid.std() == pytest.approx(0.5, rel=0.05)
    _, T = datasets.make_teacher(10, [3, 2], task="regression", seed=1)
    assert T.shape == (10, 2)


def test_teacher_rejects_bad_arguments():
    with pytest.raises(ValueError, match="classification teacher needs an output width >= 2"):
        datasets.make_teacher(10, [3, 1])
    with pytest.raises(ValueError, match="task must be one of"):
        datasets.make_teacher(10, [3, 2], task="ranking")
    with pytest.raises(ValueError, match="label-flip probability"):
        datasets.make_teacher(10, [3, 2], noise=1.5)


def test_load_csv_with_header_and_class_names(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("# comment\na,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n")
    X, y, classes = datasets.load_csv(path)
    np.testing.assert_array_equal(X, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(y, [0, 1, 0])
    assert classes == ("cat", "dog")
    path.write_text("a,b,label\n1,2,0\n3,4,1\n")
    X, y, _ = datasets.load_csv(path, target="a")
    np.testing.assert_array_equal(X, [[2, 0], [4, 1]])
    np.testing.assert_array_equal(y, [0, 1])
    with pytest.raises(ValueError, match="line 1: non-numeric feature value"):
        datasets.load_csv(path, header=False)


def test_load_csv_numeric_labels_and_regression(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("10,0.5,2\n11,0.25,10\n12,0.0,2\n")
    X, y, classes = datasets.load_csv(path)
    np.testing.assert_array_equal(y, [0, 1, 0])
    assert classes == ("2", "10")  # numeric order, not string order
    X, t = datasets.load_csv(path, target=0, task="regression")
    np.testing.assert_array_equal(t, [10.0, 11.0, 12.0])


def test_load_csv_reports_bad_files(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1,2,0\n3,4\n")
    with pytest.raises(ValueError, match="line 2: expected 3 fields, got 2"):
        datasets.load_csv(path)
    path.write_text("1,2,0\n3,x,1\n")
    with pytest.raises(ValueError, match="line 2: non-numeric feature value"):
        datasets.load_csv(path)
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="target column 'c' not found"):
        datasets.load_csv(path, target="c")
    with pytest.raises(ValueError, match=r"target must be a column index in \[-2, 2\)"):
        datasets.load_csv(path, target=5)
    path.write_text("1,2,cat\n")
    with pytest.raises(ValueError, match="regression targets must be numeric"):
        datasets.load_csv(path, task="regression")


def test_loaded_csv_trains(tmp_path):
    X, y = datasets.load_iris()
    path = tmp_path / "iris.csv"
    names = np.array(datasets.IRIS_CLASSES)[y]
    path.write_text("".join(",".join(map(str, row)) + f",{n}\n" for row, n in zip(X, names)))
    X2, y2, classes = datasets.load_csv(path)
    assert classes == datasets.IRIS_CLASSES
    np.testing.assert_array_equal(y2, y)
    res = sr.train_pso(sr.Network([4, 3, 3]), X2, y2, max_iter=30, seed=0)
    assert np.isfinite(res.error)
