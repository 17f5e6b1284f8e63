import numpy as np
import pytest

import swarmreg as sr
from swarmreg import datasets
from swarmreg.datasets import _csvfile

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


def test_split_train_test_partitions_rows():
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20)
    X_tr, X_te, y_tr, y_te = datasets.split_train_test(X, y, test_size=0.25, seed=0)
    assert len(y_te) == 5 and len(y_tr) == 15
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_te])), y)
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay paired
    assert len(datasets.split_train_test(X, y, test_size=3, seed=0)[1]) == 3
    with pytest.raises(ValueError, match="test_size must leave at least one item"):
        datasets.split_train_test(X, y, test_size=20)
    with pytest.raises(ValueError, match="test_size must be < 1.0"):
        datasets.split_train_test(X, y, test_size=1.0)


def test_split_train_test_stratifies_string_labels():
    y = np.array(["cat"] * 12 + ["dog"] * 8)
    X = np.arange(40.0).reshape(20, 2)
    _, _, y_tr, y_te = datasets.split_train_test(X, y, test_size=0.25, seed=1, stratify=True)
    assert sorted(y_te) == ["cat"] * 3 + ["dog"] * 2


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
    data = datasets.load_csv(path)
    np.testing.assert_array_equal(data.X, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(data.y, [0, 1, 0])
    assert data.classes == ("cat", "dog")
    assert data.feature_names == ("a", "b") and data.target_name == "label"
    X, y = data  # unpacks as X, y for either task
    assert X is data.X and y is data.y
    path.write_text("a,b,label\n1,2,0\n3,4,1\n")
    data = datasets.load_csv(path, target="a")
    np.testing.assert_array_equal(data.X, [[2, 0], [4, 1]])
    np.testing.assert_array_equal(data.y, [0, 1])
    assert data.feature_names == ("b", "label") and data.target_name == "a"
    with pytest.raises(ValueError, match="line 1, column 0: feature value 'a' is not a finite number"):
        datasets.load_csv(path, header=False)


def test_load_csv_numeric_labels_and_regression(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("10,0.5,2\n11,0.25,10\n12,0.0,2\n")
    data = datasets.load_csv(path)
    np.testing.assert_array_equal(data.y, [0, 1, 0])
    assert data.classes == ("2", "10")  # numeric order, not string order
    assert data.feature_names is None and data.target_name is None
    reg = datasets.load_csv(path, target=0, task="regression")
    X, t = reg
    np.testing.assert_array_equal(t, [10.0, 11.0, 12.0])
    np.testing.assert_array_equal(X, [[0.5, 2], [0.25, 10], [0.0, 2]])
    assert reg.classes is None  # the same five fields for regression


def test_load_csv_target_in_first_column_with_semicolons_and_string_labels(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("kind;length;width\nsmall;1.5;0.5\nlarge;7.25;3\nsmall;2;1\n")
    data = datasets.load_csv(path, target="kind", delimiter=";")
    np.testing.assert_array_equal(data.X, [[1.5, 0.5], [7.25, 3.0], [2.0, 1.0]])
    np.testing.assert_array_equal(data.y, [1, 0, 1])
    assert data.classes == ("large", "small")
    assert data.feature_names == ("length", "width")
    by_index = datasets.load_csv(path, target=0, delimiter=";")
    np.testing.assert_array_equal(by_index.y, data.y)
    with pytest.raises(ValueError, match=r"found 1 column with delimiter ','.*delimited by ';'"):
        datasets.load_csv(path, target=0)


def test_load_csv_detects_a_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x1,x2,y\n1,2,0\n3,4,1\n")
    assert datasets.load_csv(path).X.shape == (2, 2)  # text over numbers: a header
    path.write_text("1,2,0\n3,4,1\n")
    assert datasets.load_csv(path).X.shape == (2, 2)  # numbers: data
    path.write_text("1,2,cat\n3,4,dog\n")
    assert datasets.load_csv(path).classes == ("cat", "dog")  # text over text: data
    path.write_text("size,weight,label\n")
    with pytest.raises(ValueError, match="a header but no data rows"):
        datasets.load_csv(path)
    path.write_text("1,2,3\n4,5,0\n6,7,1\n")
    data = datasets.load_csv(path, header=True)
    assert data.feature_names == ("1", "2") and data.X.shape == (2, 2)


def test_load_csv_strips_a_utf8_byte_order_mark(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("\ufeff1,2,0\n3,4,1\n5,6,1\n".encode("utf-8"))
    X, y = datasets.load_csv(path)
    assert X.shape == (3, 2)  # the numeric first row stays data
    np.testing.assert_array_equal(X[0], [1, 2])
    path.write_bytes("\ufeffsize,weight,label\n1,2,0\n3,4,1\n".encode("utf-8"))
    data = datasets.load_csv(path, target="size", task="regression")
    assert data.target_name == "size" and data.feature_names == ("weight", "label")


def test_load_csv_merges_numerically_equal_labels_keeping_the_first_spelling(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1,2,1\n3,4,1.0\n5,6,2\n7,8,01\n9,0,2.0\n")
    data = datasets.load_csv(path)
    assert data.classes == ("1", "2")
    np.testing.assert_array_equal(data.y, [0, 0, 1, 0, 1])


def test_load_csv_names_file_line_and_encoding_when_decoding_fails(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("a,b,label\n1,2,café\n3,4,thé\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin.csv, line 2: byte 0xe9 at column 8 is not valid utf-8"):
        datasets.load_csv(path)
    assert datasets.load_csv(path, encoding="latin-1").classes == ("café", "thé")
    with pytest.raises(ValueError, match="encoding must be a codec name"):
        datasets.load_csv(path, encoding="no-such-codec")


def test_load_csv_refuses_a_continuous_classification_target(tmp_path):
    # The case: a continuous first column with ~121 distinct values on 150 rows.
    rng = np.random.default_rng(0)
    alcohol = np.round(rng.uniform(11.0, 14.8, 150), 2)
    path = tmp_path / "wine.csv"
    np.savetxt(path, np.column_stack([alcohol, rng.normal(size=(150, 3))]), delimiter=",",
               header="alcohol,a,b,c", comments="", fmt="%.10g")
    n_distinct = len(np.unique(alcohol))
    assert 100 < n_distinct < 150
    with pytest.raises(ValueError, match=rf"column 'alcohol' has {n_distinct} distinct values in 150 "
                                         r'rows \(non-integral.*task="regression"'):
        datasets.load_csv(path, target=0)
    assert datasets.load_csv(path, target=0, task="regression").y.shape == (150,)
    # Integral values, but too many distinct ones to be labels.
    path.write_text("".join(f"{i},{i % 7}\n" for i in range(40)))
    with pytest.raises(ValueError, match=r"column 0 has 40 distinct values in 40 rows \(more than "
                                         r"max\(20, N/2\) = 20\)"):
        datasets.load_csv(path, target=0)


@pytest.mark.parametrize("target, task", [("label", "classification"), ("a", "regression"),
                                          (None, "classification")])
def test_loaded_csv_indexes_as_the_pair_x_y(tmp_path, target, task):
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n1,2,0\n3,4,1\n5,6,0\n")
    data = datasets.load_csv(path, target=target, task=task)
    assert len(data) == 2
    assert data[0] is data.X and data[1] is data.y
    assert data[-2] is data.X and data[-1] is data.y
    X, y = data[:]
    assert X is data.X and y is data.y
    for outside in (2, -3):
        with pytest.raises(IndexError):
            data[outside]
    assert data.target_name == target  # the named fields stay


def test_load_csv_accepts_genuine_label_columns():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    for load in (sklearn_datasets.load_iris, sklearn_datasets.load_wine, sklearn_datasets.load_digits):
        bunch = load()
        y, classes = _csvfile._encode_labels([str(v) for v in bunch.target], "'target'", "data")
        np.testing.assert_array_equal(y, bunch.target - bunch.target.min())
        assert len(classes) == len(np.unique(bunch.target))


def test_load_csv_reads_chosen_feature_columns_without_a_target(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("label,a,b,c\ncat,1,2,3\ndog,4,5,6\n")
    data = datasets.load_csv(path, target=None, features=["c", "a"])
    np.testing.assert_array_equal(data.X, [[3, 1], [6, 4]])
    assert data.y is None and data.classes is None and data.feature_names == ("c", "a")
    with pytest.raises(ValueError, match="line 2, column 'label': feature value 'cat'"):
        datasets.load_csv(path, target=None)


def test_load_csv_reports_bad_files(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1,2,0\n3,4\n")
    with pytest.raises(ValueError, match="line 2: expected 3 fields, got 2"):
        datasets.load_csv(path)
    path.write_text("1,2,0\n3,x,1\n")
    with pytest.raises(ValueError, match="line 2, column 1: feature value 'x' is not a finite number"):
        datasets.load_csv(path)
    path.write_text("1,2,0\n3,nan,1\n")
    with pytest.raises(ValueError, match="line 2, column 1: feature value 'nan' is not a finite number"):
        datasets.load_csv(path)
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="target column 'c' not found"):
        datasets.load_csv(path, target="c")
    with pytest.raises(ValueError, match=r"target must be a column index in \[-2, 2\)"):
        datasets.load_csv(path, target=5)
    path.write_text("a,a,b\n1,2,0\n")
    with pytest.raises(ValueError, match="column name 'a' appears more than once"):
        datasets.load_csv(path)
    path.write_text("1,2,cat\n")
    with pytest.raises(ValueError, match="line 1, column 2: regression target 'cat' is not a finite"):
        datasets.load_csv(path, task="regression")
    with pytest.raises(ValueError, match="is a name but .* has no header"):
        datasets.load_csv(path, target="label")


def test_loaded_csv_trains(tmp_path):
    X, y = datasets.load_iris()
    path = tmp_path / "iris.csv"
    names = np.array(datasets.IRIS_CLASSES)[y]
    path.write_text("".join(",".join(map(str, row)) + f",{n}\n" for row, n in zip(X, names)))
    X2, y2 = data = datasets.load_csv(path)
    assert data.classes == datasets.IRIS_CLASSES
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    res = sr.train_pso(sr.Network([4, 3, 3]), X2, y2, max_iter=30, seed=0)
    assert np.isfinite(res.error)
