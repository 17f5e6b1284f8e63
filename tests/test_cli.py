import argparse
import csv
import errno
import os
import re
import shlex
import subprocess
import sys
import types

import numpy as np
import pytest

import swarmreg as sr
from pathlib import Path
from swarmreg import datasets
from swarmreg.cli import build_parser, main

WINE_CLASSES = np.array(["barolo", "grignolino", "barbera"])


def run(argv, capsys):
    """``(exit code, stdout, stderr)`` of ``swarmreg ARGV`` run in this process."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors, --help, --version
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, command, message):
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"swarmreg {command}: error: ") if command else lines[0].startswith("swarmreg: error: ")
    assert message in lines[0]
    assert "usage:" not in err and "Traceback" not in err


@pytest.fixture(scope="module")
def wine_csv(tmp_path_factory):
    """scikit-learn's wine data as a user's file: target first, named, string labels, semicolons."""
    load_wine = pytest.importorskip("sklearn.datasets").load_wine
    wine = load_wine()
    path = tmp_path_factory.mktemp("wine") / "wine.csv"
    names = [n.replace("/", "_") for n in wine.feature_names]
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["class", *names])
        for label, row in zip(WINE_CLASSES[wine.target], wine.data):
            writer.writerow([label, *(repr(float(v)) for v in row)])
    return path, names, wine


def read_predictions(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def test_train_on_iris_prints_error_and_accuracy(capsys):
    code, out, _ = run(["train", "--max-iter", "50", "--swarm-size", "10", "--lam", "0.001"], capsys)
    assert code == 0
    assert "Network([4, 7, 3]" in out and "50 iterations" in out and "swarm 10" in out
    assert "120 training, 30 test items" in out
    code, out, _ = run(["train", "--max-iter", "5", "--test-size", "15"], capsys)
    assert code == 0 and "135 training, 15 test items" in out
    assert "test  accuracy" in out and "penalty" in out


def test_train_on_a_regression_csv_file(tmp_path, capsys):
    X, y = datasets.make_teacher(80, [3, 4, 1], task="regression", seed=0)
    path = tmp_path / "reg.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,c,target", comments="")
    code, out, _ = run(["train", "--data", str(path), "--output", "identity", "--max-iter", "20"], capsys)
    assert code == 0
    assert "Network([3, 7, 1]" in out and "test  MSE" in out


def test_train_save_predict_round_trip_matches_the_python_estimator(wine_csv, tmp_path, capsys):
    path, names, wine = wine_csv
    model = tmp_path / "wine.swarmreg"
    code, out, err = run(["train", "--trainer", "pso", "--data", str(path), "--target", "class",
                          "--delimiter", ";", "--layers", "13,7,3", "--standardize", "--lam", "1e-3",
                          "--swarm-size", "12", "--max-iter", "40", "--save", str(model)], capsys)
    assert code == 0, err
    assert "Network([13, 7, 3]" in out and f"saved          {model}" in out

    # The same estimator built in Python on the same split.
    data = datasets.load_csv(path, target="class", delimiter=";")
    labels = np.array(data.classes)[data.y]
    X_tr, _, y_tr, _ = datasets.split_train_test(data.X, labels, test_size=0.2, seed=0, stratify=True)
    est = sr.PSOClassifier(hidden_layer_sizes=(7,), lam=1e-3, swarm_size=12, max_iter=40,
                           standardize=True, random_state=1).fit(X_tr, y_tr)

    # New data: the features in another order, the target column present (ignored), commas.
    order = np.random.default_rng(0).permutation(len(names))
    new = tmp_path / "new.csv"
    with open(new, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([names[k] for k in order] + ["class"])
        for row in wine.data:
            writer.writerow([repr(float(row[k])) for k in order] + ["?"])
    out_csv = tmp_path / "pred.csv"
    code, _, err = run(["predict", str(model), "--data", str(new), "--out", str(out_csv)], capsys)
    assert code == 0, err
    header, rows = read_predictions(out_csv)
    assert header == ["label"] + [f"proba_{c}" for c in sorted(WINE_CLASSES)]
    proba = np.array([[float(v) for v in r[1:]] for r in rows])
    np.testing.assert_array_equal(proba, est.predict_proba(wine.data))  # bit-identical
    assert [r[0] for r in rows] == list(est.predict(wine.data))
    assert np.mean(np.array([r[0] for r in rows]) == WINE_CLASSES[wine.target]) > 0.5

    # A file without a header is read by position; output to stdout.
    plain = tmp_path / "plain.csv"
    np.savetxt(plain, wine.data[:5], delimiter=",", fmt="%.17g")
    code, out, _ = run(["predict", str(model), "--data", str(plain)], capsys)
    assert code == 0
    assert out.splitlines()[1:] == [",".join(r) for r in rows[:5]]


def test_standardize_is_saved_and_applied_by_predict(tmp_path, capsys):
    X, y = datasets.make_teacher(60, [2, 3, 1], task="regression", seed=3)
    X = X * [100.0, 0.01] + [5.0, -3.0]
    path = tmp_path / "reg.csv"
    np.savetxt(path, np.column_stack([y, X]), delimiter=",", header="t,u,v", comments="", fmt="%.17g")
    model = tmp_path / "reg.swarmreg"
    code, _, err = run(["train", "--trainer", "backprop", "--task", "regression", "--data", str(path),
                        "--target", "0", "--standardize", "--epochs", "5", "--lr", "0.05",
                        "--test-size", "0.25", "--save", str(model)], capsys)
    assert code == 0, err
    data = datasets.load_csv(path, target=0, task="regression")
    X_tr, _, y_tr, _ = datasets.split_train_test(data.X, data.y, test_size=0.25, seed=0)
    est = sr.BackpropRegressor(learning_rate_init=0.05, max_iter=5, standardize=True,
                               random_state=1).fit(X_tr, y_tr)
    out_csv = tmp_path / "pred.csv"
    assert run(["predict", str(model), "--data", str(path), "--out", str(out_csv)], capsys)[0] == 0
    header, rows = read_predictions(out_csv)
    assert header == ["prediction"]
    np.testing.assert_array_equal([float(r[0]) for r in rows], est.predict(data.X))
    loaded = sr.load_model(model)
    assert loaded.standardize and list(loaded.feature_names_in_) == ["u", "v"]


def test_python_m_swarmreg_trains_saves_and_predicts(tmp_path):
    path = tmp_path / "d.csv"
    X, y = datasets.load_iris()
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["species", "sl", "sw", "pl", "pw"])
        for label, row in zip(np.array(datasets.IRIS_CLASSES)[y], X):
            writer.writerow([label, *(repr(float(v)) for v in row)])
    model = tmp_path / "m.swarmreg"
    train = subprocess.run([sys.executable, "-m", "swarmreg", "train", "--data", str(path), "--target",
                            "species", "--delimiter", ";", "--max-iter", "30", "--save", str(model)],
                           capture_output=True, text=True)
    assert train.returncode == 0, train.stderr
    pred = subprocess.run([sys.executable, "-m", "swarmreg", "predict", str(model), "--data", str(path),
                           "--delimiter", ";"], capture_output=True, text=True)
    assert pred.returncode == 0, pred.stderr
    lines = pred.stdout.splitlines()
    assert lines[0] == "label,proba_setosa,proba_versicolor,proba_virginica" and len(lines) == 151


def test_version(capsys):
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out == f"swarmreg {sr.__version__}\n"
    proc = subprocess.run([sys.executable, "-m", "swarmreg", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == f"swarmreg {sr.__version__}\n"


def _option_actions(parser):
    for action in parser._actions:
        if not isinstance(action, (argparse._HelpAction, argparse._VersionAction,
                                   argparse._SubParsersAction)):
            yield action


def test_every_option_of_every_command_has_help_showing_its_default(capsys):
    parser = build_parser()
    for name, sub in [("", parser), *parser.subparsers.items()]:
        for action in _option_actions(sub):
            assert action.help, (name, action.dest)
            if action.option_strings:  # positional arguments are required: no default to show
                assert "(default: " in action.help or "(required; no default)" in action.help, \
                    (name, action.dest)
        code, out, _ = run([name, "--help"] if name else ["--help"], capsys)
        assert code == 0 and "usage: swarmreg" in out
    # The defaults a trainer option shows are the estimator's own.
    train = parser.subparsers["train"]
    helps = {a.option_strings[0]: a.help for a in _option_actions(train) if a.option_strings}
    assert helps["--swarm-size"].endswith("(default: the algorithm's: 30 for pso, 100 for cso, "
                                          "30 for cpso, 100 + parameters/10 for slpso)")
    assert helps["--algorithm"].endswith("(default: cso)")
    assert helps["--epochs"].endswith("(default: 200)")
    assert helps["--lr"].endswith("(default: 0.01)")
    assert helps["--max-iter"].endswith("(default: 1000 for pso, 15000 for lbfgs)")


def test_help_lists_every_command(capsys):
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    for command in ("demo", "train", "predict", "sweep", "lambda"):
        assert command in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--trainer", "lbfgs", "--swarm-size", "50"],
         "--swarm-size does not apply to --trainer lbfgs (it is an option of --trainer pso)"),
        (["train", "--trainer", "pso", "--rule", "decay"],
         "--rule does not apply to --trainer pso (it is an option of --trainer backprop)"),
        (["train", "--trainer", "backprop", "--max-iter", "10"],
         "--max-iter does not apply to --trainer backprop (it is an option of --trainer pso and lbfgs)"),
        (["train", "--trainer", "pso", "--epochs", "10"], "--epochs does not apply to --trainer pso"),
        (["train", "--trainer", "pso", "--lr", "0.1"], "--lr does not apply to --trainer pso"),
        (["train", "--trainer", "lbfgs", "--progress"], "--progress does not apply to --trainer lbfgs"),
        (["train", "--target", "0"], "--target applies to a CSV file, not to --data iris"),
        (["train", "--delimiter", ";"], "--delimiter applies to a CSV file"),
        (["train", "--task", "regression"], "--data iris is a classification data set"),
        (["train", "--data", "x.csv", "--task", "regression", "--output", "softmax"],
         "--output softmax does not fit --task regression"),
        (["train", "--delimiter", ";;"], "expected one character"),
        (["train", "--layers", "4,x"], "expected comma-separated integers"),
        (["train", "--hidden", "gelu"], "invalid choice"),
        (["train", "--swarm-size", "ten"], "invalid int value"),
        (["train", "--test-size", "a fifth"], "expected a fraction like 0.2 or a count like 30"),
        (["train", "--bogus"], "unrecognized arguments: --bogus"),
        (["sweep", "ridge_check", "--workers", "0"], "argument --workers: expected a positive integer, got '0'"),
        (["demo", "--workers", "-2"], "expected a positive integer, got '-2'"),
        (["sweep", "ridge_check", "--connect-timeout", "0"], "expected a positive number of seconds, got '0'"),
        (["sweep", "nonsense"], "invalid choice"),
        (["sweep", "ridge_check", "--quick", "--full"], "not allowed with argument"),
        (["predict", "m.swarmreg"], "the following arguments are required: --data"),
        (["lambda", "0.01", "--from", "l2", "--to", "objective"], "invalid choice"),
    ],
)
def test_argument_mistakes_end_in_one_line_and_exit_code_2(argv, message, capsys):
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, argv[0], message)
    assert err.rstrip().endswith(f"see 'swarmreg {argv[0]} --help'")


def test_a_missing_command_ends_in_one_line(capsys):
    code, _, err = run([], capsys)
    assert_one_line_error(code, err, "", "the following arguments are required: COMMAND")
    code, _, err = run(["fly"], capsys)
    assert_one_line_error(code, err, "", "invalid choice: 'fly'")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--lam", "-1"], "lam must be >= 0.0"),
        (["train", "--data", "missing.csv"], "cannot open missing.csv: No such file or directory"),
        (["train", "--swarm-size", "1"], "swarm_size must be >= 2"),
        (["train", "--layers", "5,7,3"], "--layers 5,7,3 does not fit the data: expected 4,...,3"),
        (["train", "--test-size", "1.5"], "test_size must be < 1.0"),
        (["train", "--trainer", "backprop", "--rule", "none", "--lam", "0.1"], "applies no L2 term"),
        (["lambda", "0.01", "--from", "decay", "--to", "objective"], "scheme 'decay' needs lr"),
        (["lambda", "0.01", "--from", "decay", "--to", "objective", "--lr", "0.1", "--momentum", "0.9"],
         "outside the momentum buffer"),
        (["lambda", "-1", "--from", "objective", "--to", "decay", "--lr", "0.1"], "value must be >= 0.0"),
        (["predict", "missing.swarmreg", "--data", "x.csv"], "cannot open missing.swarmreg"),
    ],
)
def test_input_mistakes_end_in_one_line_and_exit_code_2(argv, message, capsys):
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, argv[0], message)


def test_a_continuous_target_is_refused_naming_the_column(wine_csv, capsys):
    path, _, wine = wine_csv
    code, _, err = run(["train", "--data", str(path), "--delimiter", ";", "--target", "alcohol"], capsys)
    n_distinct = len(np.unique(wine.data[:, 0]))
    assert_one_line_error(code, err, "train", f"column 'alcohol' has {n_distinct} distinct values in 178 rows")
    assert 'task="regression"' in err


def test_file_mistakes_end_in_one_line_and_exit_code_2(wine_csv, tmp_path, capsys):
    path, names, wine = wine_csv
    latin = tmp_path / "latin.csv"
    latin.write_bytes("a,b,label\n1,2,café\n3,4,thé\n".encode("latin-1"))
    code, _, err = run(["train", "--data", str(latin)], capsys)
    assert_one_line_error(code, err, "train", f"{latin}, line 2: byte 0xe9 at column 8 is not valid utf-8")
    code, _, err = run(["train", "--data", str(path)], capsys)  # forgot --delimiter ';'
    assert_one_line_error(code, err, "train", "the file looks delimited by ';'")

    model = tmp_path / "wine.swarmreg"
    assert run(["train", "--data", str(path), "--delimiter", ";", "--target", "class",
                "--max-iter", "5", "--save", str(model)], capsys)[0] == 0
    code, _, err = run(["predict", str(model), "--data", str(path)], capsys)
    assert_one_line_error(code, err, "predict", "has one column with delimiter ','; the file looks "
                                                "delimited by ';'")
    short = tmp_path / "short.csv"
    short.write_text(",".join(names[:-1]) + "\n" + ",".join(["1"] * 12) + "\n")
    code, _, err = run(["predict", str(model), "--data", str(short)], capsys)
    assert_one_line_error(code, err, "predict", f"has no column '{names[-1]}'")
    not_a_model = tmp_path / "nothing.swarmreg"
    not_a_model.write_text("hello")
    code, _, err = run(["predict", str(not_a_model), "--data", str(short)], capsys)
    assert_one_line_error(code, err, "predict", str(not_a_model))
    code, _, err = run(["train", "--max-iter", "5", "--save", str(short / "m.swarmreg")], capsys)
    assert_one_line_error(code, err, "train", "cannot write")
    X, y = datasets.load_iris()
    result = tmp_path / "result.swarmreg"
    sr.train_pso(sr.Network([4, 3, 3]), X, y, max_iter=2, seed=0).save(result)
    code, _, err = run(["predict", str(result), "--data", str(short)], capsys)
    assert_one_line_error(code, err, "predict", "holds a TrainResult, not an estimator")


def test_an_internal_error_is_not_disguised_as_a_usage_error(monkeypatch, capsys):
    import swarmreg.estimators as estimators

    def bug(*args, **kwargs):
        return np.zeros(-1)  # a ValueError raised inside NumPy: a bug, not the user's mistake

    monkeypatch.setattr(estimators, "train_pso", bug)
    with pytest.raises(ValueError, match="negative dimensions"):
        main(["train", "--max-iter", "5"])
    monkeypatch.setattr(estimators, "train_pso", lambda *a, **k: {}["missing"])
    with pytest.raises(KeyError):
        main(["train", "--max-iter", "5"])


def test_an_internal_error_shows_its_traceback_and_exit_code_1():
    code = ("import numpy as np, sys, swarmreg.estimators as e\n"
            "e.train_pso = lambda *a, **k: np.zeros(-1)\n"
            "from swarmreg.cli import main\n"
            "sys.exit(main(['train', '--max-iter', '5']))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "negative dimensions" in proc.stderr


def test_lambda_command_prints_the_converted_value(capsys):
    code, out, err = run(["lambda", "0.01", "--from", "decay", "--to", "objective", "--lr", "0.01"], capsys)
    assert code == 0
    assert out.strip() == "0.5"
    assert "w ← w − η·g − λ·w_old" in err


def test_a_training_warning_is_one_line(capsys):
    code, out, err = run(["train", "--trainer", "lbfgs", "--max-iter", "3"], capsys)
    assert code == 0 and "after 3 iterations" in out
    assert err.splitlines() == [err.strip()] and err.startswith("swarmreg train: warning: ")
    assert "max_iter=3 reached before convergence" in err


@pytest.mark.parametrize("trainer", ["backprop", "lbfgs"])
def test_train_with_gradient_trainers(trainer, capsys):
    argv = ["train", "--trainer", trainer, "--lam", "0.01"] + (["--epochs", "20"] if trainer == "backprop" else [])
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert "test  accuracy" in out and ("lam_E 0.01" in out)


def test_sweep_command_writes_the_report(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    argv = ["sweep", "ridge_check", "--quick", "--out", str(tmp_path), "--workers", "1", "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"report: {tmp_path}/ridge_check/ridge_check.md" in out
    assert (tmp_path / "ridge_check" / "ridge_check.png").exists()


def test_demo_runs_the_headline_experiment(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    from swarmreg.experiments import lambda_meaning

    monkeypatch.setitem(lambda_meaning.MODES, "default", lambda_meaning.MODES["quick"])
    assert main(["demo", "--out", str(tmp_path), "--workers", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "collapse score" in out and "lambda_meaning.md" in out


def test_failed_cells_end_in_one_line_and_exit_code_1(tmp_path, capsys, monkeypatch):
    import swarmreg.experiments as experiments
    from swarmreg.sweep import SweepError

    def failing(*args, **kwargs):
        raise SweepError("2 of 12 cells failed")

    monkeypatch.setattr(experiments, "run_experiment", failing)
    assert main(["sweep", "ridge_check", "--quick", "--out", str(tmp_path), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "swarmreg sweep: 2 of 12 cells failed"


def test_readme_command_line_example_runs_and_reports_what_readme_says(tmp_path, capsys, monkeypatch):
    load_wine = pytest.importorskip("sklearn.datasets").load_wine
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## The command line"):]
    section = section[section.index("take your own data as a CSV file"):]
    start = section.index("```bash\n") + len("```bash\n")
    block = section[start:section.index("\n```", start)]
    quoted = re.search(r"`(test  accuracy [0-9.]+)`", section).group(1)
    wine = load_wine()
    names = [n.replace("/", "_") for n in wine.feature_names]
    with open(tmp_path / "wine.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["class", *names])
        for label, row in zip(wine.target, wine.data):
            writer.writerow([int(label), *(repr(float(v)) for v in row)])
    with open(tmp_path / "new.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        writer.writerows([repr(float(v)) for v in row] for row in wine.data[::10])
    monkeypatch.chdir(tmp_path)
    outputs = []
    for line in block.splitlines():
        argv = shlex.split(line)
        assert argv[0] == "swarmreg"
        code, out, err = run(argv[1:], capsys)
        assert code == 0, err
        outputs.append(out)
    assert quoted in outputs[0].splitlines()
    header, rows = read_predictions(tmp_path / "predictions.csv")
    assert header == ["label", "proba_0", "proba_1", "proba_2"] and len(rows) == 18


def test_train_backprop_accepts_every_rule_of_train_backprop(capsys):
    code, out, err = run(["train", "--trainer", "backprop", "--rule", "decoupled", "--lam", "0.01",
                          "--epochs", "5"], capsys)
    assert code == 0, err
    assert "rule decoupled" in out and "test  accuracy" in out


def test_every_choices_list_of_the_parser_is_a_table_of_the_project():
    from swarmreg.backprop import OPTIMIZERS, RULES
    from swarmreg.cli import train
    from swarmreg.error import LOSSES
    from swarmreg.estimators import ESTIMATORS
    from swarmreg.experiments import EXPERIMENTS
    from swarmreg.network import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS

    tables = {
        ("train", "trainer"): train.TRAINERS,
        ("train", "algorithm"): sr.algorithms.ALGORITHMS,
        ("train", "task"): train.TASK_OUTPUTS,
        ("train", "output"): train.TASK_OUTPUTS.values(),
        ("train", "hidden"): HIDDEN_ACTIVATIONS,
        ("train", "rule"): RULES,
        ("sweep", "experiment"): EXPERIMENTS,
        ("lambda", "from_scheme"): sr.SCHEMES,
        ("lambda", "to_scheme"): sr.SCHEMES,
        ("lambda", "optimizer"): OPTIMIZERS,
        ("lambda", "loss"): LOSSES,
    }
    parser = build_parser()
    choices = {(name, action.dest): list(action.choices)
               for name, sub in parser.subparsers.items()
               for action in _option_actions(sub) if action.choices is not None}
    assert choices == {key: list(table) for key, table in tables.items()}
    # The CLI's own tables reach every estimator and only outputs that exist.
    assert sorted(cls.__name__ for pair in train.TRAINERS.values() for cls in pair) == sorted(ESTIMATORS)
    assert set(train.TASK_OUTPUTS.values()) <= set(OUTPUT_ACTIVATIONS)


def test_an_error_raised_in_the_cli_package_is_not_taken_for_a_check_of_swarmregs():
    from swarmreg.cli import _common

    package = Path(sr.__file__).resolve().parent

    def raised_in(path):
        try:
            exec(compile("raise ValueError('x')", str(path), "exec"))
        except ValueError as exc:
            return exc

    assert _common.raised_by_swarmreg(raised_in(package / "network.py"))
    for module in ("__init__.py", "_common.py", "train.py", "sweep.py"):
        assert not _common.raised_by_swarmreg(raised_in(package / "cli" / module))
    assert not _common.raised_by_swarmreg(raised_in(Path(np.__file__)))


@pytest.mark.parametrize("address, message", [
    ("bogus", "missing port number in address 'bogus'"),
    ("foo://host:8786", "unknown address scheme 'foo'"),
])
def test_a_scheduler_address_that_dask_refuses_ends_in_one_line_and_exit_code_2(address, message, tmp_path,
                                                                                 capsys):
    pytest.importorskip("distributed")
    code, _, err = run(["sweep", "ridge_check", "--quick", "--out", str(tmp_path), "--scheduler", address,
                        "--no-progress"], capsys)
    assert_one_line_error(code, err, "sweep", f"--scheduler {address}: {message}")


def fake_dask(monkeypatch, client_init=None, get_executor=None):
    """A ``distributed`` module whose ``Client`` raises what it is given, where it is given."""

    class Client:
        def __init__(self, address, timeout=None):
            if client_init is not None:
                raise client_init

        def get_executor(self, pure=True):
            raise get_executor

    class LocalCluster:
        def __init__(self, **kwargs):
            pass

    module = types.ModuleType("distributed")
    module.Client, module.LocalCluster = Client, LocalCluster
    monkeypatch.setitem(sys.modules, "distributed", module)


def test_the_dask_client_refusing_the_address_is_the_users_mistake_but_nothing_else_of_dask_is(
        tmp_path, capsys, monkeypatch):
    argv = ["sweep", "ridge_check", "--quick", "--out", str(tmp_path), "--no-progress",
            "--scheduler", "tcp://example.org"]
    fake_dask(monkeypatch, client_init=ValueError("missing port number in address 'tcp://example.org'"))
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, "sweep", "--scheduler tcp://example.org: missing port number")
    fake_dask(monkeypatch, client_init=TypeError("TLS expects a `ssl_context` argument"))
    code, _, err = run(["demo", *argv[3:]], capsys)
    assert_one_line_error(code, err, "demo", "--scheduler tcp://example.org: TLS expects")
    # Connected, then a bug: not the address's fault, and not disguised.
    fake_dask(monkeypatch, get_executor=TypeError("unexpected keyword argument 'pure'"))
    with pytest.raises(TypeError, match="unexpected keyword"):
        main(argv)
    fake_dask(monkeypatch, client_init=ValueError("never mind"))
    with pytest.raises(ValueError, match="never mind"):  # the same error with a LocalCluster
        main(argv[:-1] + ["local"])


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_while_a_sweep_writes_its_report_ends_in_one_line_and_exit_code_2(tmp_path, capsys,
                                                                                      monkeypatch):
    pytest.importorskip("matplotlib")
    from swarmreg.experiments import _common

    monkeypatch.setattr(_common, "atomic_write", full_disk)  # the cells' records are written
    code, _, err = run(["sweep", "ridge_check", "--quick", "--out", str(tmp_path), "--workers", "1",
                        "--no-progress"], capsys)
    assert_one_line_error(code, err, "sweep", f"cannot write in {tmp_path}: No space left on device")
    assert list((tmp_path / "ridge_check" / "quick" / "cells").glob("*.json"))


@pytest.mark.parametrize("command", [["demo"], ["sweep", "online_n", "--quick"]])
def test_a_disk_that_refuses_a_write_under_out_ends_in_one_line_and_exit_code_2(command, tmp_path, capsys,
                                                                                monkeypatch):
    import swarmreg.experiments as experiments
    from swarmreg._io import atomic_write

    def writes_under_out(name, *, out, **kwargs):
        atomic_write(Path(out, name, f"{name}.md"), "# report\n")

    argv = [*command, "--out", str(tmp_path), "--no-progress"]
    monkeypatch.setattr(experiments, "run_experiment", writes_under_out)
    with monkeypatch.context() as m:  # a failed fsync names no file, as a failed write does
        m.setattr(os, "fsync", full_disk)
        code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, command[0], f"cannot write in {tmp_path}: No space left on device")
    assert not list(tmp_path.rglob("*.md*"))

    denied = tmp_path / "online_n" / "cells"

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(denied))

    monkeypatch.setattr(experiments, "run_experiment", refused)
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, command[0], f"cannot write {denied}: {os.strerror(errno.EACCES)}")

    def bug(*args, **kwargs):  # an OSError that names no file and is not the disk's: a bug
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    monkeypatch.setattr(experiments, "run_experiment", bug)
    with pytest.raises(OSError, match="Bad file descriptor"):
        main(argv)


def test_a_full_disk_under_save_or_predicts_out_ends_in_one_line_and_exit_code_2(tmp_path, capsys,
                                                                                 monkeypatch):
    model = tmp_path / "m.swarmreg"
    assert run(["train", "--max-iter", "5", "--save", str(model)], capsys)[0] == 0
    data = tmp_path / "x.csv"
    np.savetxt(data, datasets.load_iris()[0][:5], delimiter=",")
    monkeypatch.setattr(os, "fsync", full_disk)
    code, _, err = run(["train", "--max-iter", "5", "--save", str(tmp_path / "n.swarmreg")], capsys)
    assert_one_line_error(code, err, "train", f"cannot write {tmp_path / 'n.swarmreg'}: No space left on device")
    code, _, err = run(["predict", str(model), "--data", str(data), "--out", str(tmp_path / "p.csv")], capsys)
    assert_one_line_error(code, err, "predict", f"cannot write {tmp_path / 'p.csv'}: No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.swarmreg", "x.csv"]


def test_a_full_disk_while_a_cell_is_recorded_here_ends_in_one_line_and_exit_code_2(tmp_path, capsys,
                                                                                   monkeypatch):
    # The cells that run in this process (all of them with --workers 1) record themselves
    # as the pool's do: a record that cannot be written is the disk's error, not a failed cell.
    from swarmreg import sweep

    monkeypatch.setattr(sweep, "atomic_write", full_disk)
    code, out, err = run(["sweep", "online_n", "--quick", "--out", str(tmp_path), "--workers", "1",
                          "--no-progress"], capsys)
    assert_one_line_error(code, err, "sweep", f"cannot write in {tmp_path}: No space left on device")
    assert "Traceback" not in out
