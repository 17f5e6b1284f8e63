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


def test_readme_lambda_table_is_generated_by_convert_lambda():
    from swarmreg.lambdas import lambda_table

    readme = (ROOT / "README.md").read_text()
    start, end = "<!-- lambda-table:start -->\n", "\n<!-- lambda-table:end -->"
    block = readme[readme.index(start) + len(start) : readme.index(end)]
    assert block == lambda_table()


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
