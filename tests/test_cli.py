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
