import numpy as np
import pytest

from swarmreg import datasets
from swarmreg.cli import main


def test_train_on_iris_prints_error_and_accuracy(capsys):
    assert main(["train", "--max-iter", "50", "--swarm-size", "10", "--lam", "0.001"]) == 0
    out = capsys.readouterr().out
    assert "Network([4, 7, 3]" in out and "50 iterations" in out
    assert "test  accuracy" in out and "penalty" in out


def test_train_on_a_csv_file(tmp_path, capsys):
    X, y = datasets.make_teacher(80, [3, 4, 1], task="regression", seed=0)
    path = tmp_path / "reg.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,c,target", comments="")
    assert main(["train", "--data", str(path), "--output", "identity", "--max-iter", "20"]) == 0
    out = capsys.readouterr().out
    assert "Network([3, 7, 1]" in out and "test  MSE" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--lam", "-1"], "lam must be >= 0.0"),
        (["train", "--data", "missing.csv"], "cannot read missing.csv"),
        (["train", "--swarm-size", "1"], "swarm_size must be >= 2"),
        (["train", "--layers", "5,7,3"], "X has 4 columns but the network's input layer has 5"),
        (["train", "--layers", "4,x"], "expected comma-separated integers"),
        (["train", "--hidden", "gelu"], "invalid choice"),
        (["fly"], "invalid choice"),
    ],
)
def test_user_mistakes_give_one_line_and_exit_code_2(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("swarmreg")


def test_lambda_command_prints_the_converted_value(capsys):
    assert main(["lambda", "0.01", "--from", "decay", "--to", "objective", "--lr", "0.01"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "0.5"
    assert "w ← w − η·g − λ·w_old" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["lambda", "0.01", "--from", "decay", "--to", "objective"], "scheme 'decay' needs lr"),
        (["lambda", "0.01", "--from", "decay", "--to", "objective", "--lr", "0.1", "--momentum", "0.9"],
         "outside the momentum buffer"),
        (["lambda", "0.01", "--from", "l2", "--to", "objective"], "invalid choice"),
        (["lambda", "-1", "--from", "objective", "--to", "decay", "--lr", "0.1"], "value must be >= 0.0"),
        (["sweep", "nonsense"], "invalid choice"),
        (["sweep", "ridge_check", "--quick", "--full"], "not allowed with argument"),
        (["train", "--trainer", "backprop", "--rule", "none", "--lam", "0.1"], "applies no L2 term"),
    ],
)
def test_more_user_mistakes(argv, message, capsys):
    test_user_mistakes_give_one_line_and_exit_code_2(argv, message, capsys)


@pytest.mark.parametrize("trainer", ["backprop", "lbfgs"])
def test_train_with_gradient_trainers(trainer, capsys):
    argv = ["train", "--trainer", trainer, "--lam", "0.01", "--epochs", "20"]
    assert main(argv) == 0
    out = capsys.readouterr().out
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


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo", "train", "sweep", "lambda"):
        assert command in out


def test_failed_cells_end_in_one_line_and_exit_code_1(tmp_path, capsys, monkeypatch):
    import swarmreg.experiments as experiments
    from swarmreg.sweep import SweepError

    def failing(*args, **kwargs):
        raise SweepError("2 of 12 cells failed")

    monkeypatch.setattr(experiments, "run_experiment", failing)
    assert main(["sweep", "ridge_check", "--quick", "--out", str(tmp_path), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "swarmreg sweep: 2 of 12 cells failed"
