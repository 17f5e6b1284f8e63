import re
import runpy
from pathlib import Path

import pytest

import swarmreg as sr

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    command = ci[-1]
    assert "pytest" in command
    assert f"```bash\n{command}\n```" in readme


def generated_block(name):
    """The README text between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    readme = (ROOT / "README.md").read_text()
    start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
    return readme[readme.index(start) + len(start) : readme.index(end)]


def test_readme_lambda_table_is_generated_by_convert_lambda():
    from swarmreg.lambdas import lambda_table

    assert generated_block("lambda-table") == lambda_table()


def test_readme_same_lambda_table_is_what_the_script_prints():
    script = runpy.run_path(str(ROOT / "experiments" / "same_lambda.py"))
    assert generated_block("same-lambda-table") == script["table"]()


def test_readme_headline_counts_are_the_experiment_grid():
    from swarmreg.experiments import _common, lambda_meaning

    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"\b{len(lambda_meaning.cells('default'))}\s+training\s+runs on Iris", readme)
    assert re.search(rf"mean of {lambda_meaning.MODES['default']['seeds']}\s+seeds", readme)
    # "the decay shortcut reads λ fifty times stronger than PSO" at the headline's η
    assert sr.convert_lambda(1.0, "decay", "objective", lr=lambda_meaning.LR) == 50.0
    assert "reads λ fifty times stronger" in readme
    n_train = len(_common.load("iris", 0)[0])  # the headline's training set
    assert f"n = N = {n_train} hardly" in readme


def test_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples save a model file
    readme = (ROOT / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in readme.split("```python\n")[1:]]
    assert len(blocks) >= 2
    namespace = {}
    with pytest.warns(sr.SklearnLossMismatchWarning):  # the README's 3-output sklearn example
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["res"].lam == 0.5
    assert namespace["bp"].lam_E_ == 0.5
    assert namespace["search"].best_params_["psoclassifier__lam"] in (1e-4, 1e-3, 1e-2, 1e-1)
