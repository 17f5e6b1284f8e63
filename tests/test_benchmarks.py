"""The benchmark command runs (a smoke test: timings are never asserted in tests)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_backprop_benchmark_runs_and_writes_json(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "experiments" / "benchmarks" / "run.py"),
                           "--quick", "--only", "backprop", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((tmp_path / "latest.json").read_text())
    assert "backprop" in json.dumps(data) and "numba" in json.dumps(data)


BENCH = ROOT / "experiments" / "benchmarks"


def bench_module(name):
    """A module of experiments/benchmarks, imported by name as run.py does."""
    import importlib

    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


def test_quality_quick_run_writes_its_report_and_resumes_from_its_cells(tmp_path):
    command = [sys.executable, str(BENCH / "quality.py"), "--quick", "--only", "iris", "--splits",
               "1", "--algorithms", "pso", "cso", "--trainers", "defaults", "sgd", "lbfgs",
               "--out", str(tmp_path),
               "--no-progress"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = tmp_path / "quality" / "quick"
    data = json.loads((out / "quality.json").read_text())
    fits = data["summary"]["fit"]
    assert {"iris|sgd", "iris|lbfgs"} <= set(fits) and "iris|pso" in fits
    for stats in fits.values():
        assert 0.0 <= stats["test_accuracy"]["mean"] <= 1.0
        assert stats["error"]["mean"] > 0 and stats["n_evaluations"]["mean"] >= 1
        assert stats["fit_seconds"]["mean"] > 0
    text = (out / "quality.md").read_text()
    assert "| iris 4-7-3 (59) |" in text and "back-prop SGD" in text and "E reached" in text
    assert (out / "quality.png").read_bytes()[:4] == b"\x89PNG"
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert " 0 run," in again.stdout  # every cell came from the cache


def test_quality_readme_writer_replaces_only_the_marked_block(tmp_path):
    import pytest

    quality = bench_module("quality")
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\nbefore\n<!-- quality-table:start -->\nold\ntable\n"
                      "<!-- quality-table:end -->\nafter\n")
    quality.write_readme_block(readme, "quality-table", "| new | table |\n")
    assert readme.read_text() == ("# x\n\nbefore\n<!-- quality-table:start -->\n| new | table |\n"
                                  "<!-- quality-table:end -->\nafter\n")
    quality.write_readme_block(readme, "quality-table", "second")  # again: idempotent markers
    assert "<!-- quality-table:start -->\nsecond\n<!-- quality-table:end -->" in readme.read_text()
    (tmp_path / "plain.md").write_text("no markers\n")
    with pytest.raises(ValueError, match="quality-table"):
        quality.write_readme_block(tmp_path / "plain.md", "quality-table", "x")


def test_readme_has_the_quality_block():
    text = (ROOT / "README.md").read_text()
    start = text.index("<!-- quality-table:start -->")
    assert start < text.index("<!-- quality-table:end -->")
    assert "## How well the swarm trains" in text[:start]


def test_pyswarms_example_loss_is_swarmregs_cross_entropy_on_the_same_layout():
    import numpy as np

    import swarmreg as sr

    example = bench_module("pyswarms_example")
    X, y = example.data()
    assert X.shape == (150, 4)
    net = sr.Network(example.LAYERS, hidden="tanh", output="softmax")
    rng = np.random.default_rng(0)
    for theta in rng.random((5, net.n_params)):  # the example's start: uniform in [0, 1)
        ours = sr.regularized_error(net, theta, X, y, 0.0, loss="cross_entropy")
        assert example.nll(theta, X, y) == __import__("pytest").approx(ours, rel=1e-12)
        assert np.array_equal(np.argmax(example.logits(theta, X), axis=1), net.predict(theta, X))


def test_pyswarms_example_uses_the_notebooks_data():
    import numpy as np
    import pytest

    datasets = pytest.importorskip("sklearn.datasets")
    X, y = bench_module("pyswarms_example").data()
    ref = datasets.load_iris()
    np.testing.assert_array_equal(X, ref.data)
    np.testing.assert_array_equal(y, ref.target)


def test_pyswarms_example_script_prints_both_rows(tmp_path):
    import pytest

    pytest.importorskip("pyswarms")
    proc = subprocess.run([sys.executable, str(BENCH / "pyswarms_example.py"), "--seeds", "1",
                           "--iters", "20", "--algorithms", "pso", "--json",
                           str(tmp_path / "out.json")],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "PySwarms GlobalBestPSO" in proc.stdout and "swarmreg `pso`" in proc.stdout
    assert "0.9867" in proc.stdout  # the notebook's stored result is cited
    stats = json.loads((tmp_path / "out.json").read_text())["stats"]
    assert {"pyswarms", "pso", "pso:defaults"} == set(stats)
    assert not (tmp_path / "report.log").exists()  # PySwarms' log stays out of the cwd


def test_quick_gpu_benchmark_runs_without_a_gpu_and_says_so(tmp_path):
    # Here the GPU columns are skipped (no GPU, or the simulator, which cannot time them);
    # the CPU's float32 against float64 runs.
    proc = subprocess.run([sys.executable, str(ROOT / "experiments" / "benchmarks" / "run.py"),
                           "--quick", "--only", "gpu", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((tmp_path / "latest.json").read_text())
    gpu = data["benchmarks"]["gpu"]
    assert gpu["cpu_float32_ab"] and "The issue's targets" in data["tables_markdown"]["gpu"]
    if gpu["gpu"] is None:
        assert any("GPU columns skipped" in n for n in data["notes"])


def test_quality_report_names_the_rows_with_fewer_splits():
    quality = bench_module("quality")
    stats = lambda n: {"test_accuracy": {"n": n}}  # noqa: E731
    fits = {("iris", "pso"): stats(3), ("wine", "pso"): stats(3), ("teacher-100", "pso"): stats(1),
            ("teacher-300", "pso"): stats(1), ("teacher-300", "cso"): stats(1)}
    assert quality._split_counts(fits, {}, ["iris", "wine"]) == "3"
    assert quality._split_counts(fits, {("wine", "pso"): stats(3)}, [
        "iris", "wine", "teacher-100", "teacher-300"]) == (
        "3 (teacher-100, teacher-300: 1, the mean alone)")
    assert quality._split_counts(fits, {("wine", "pso"): stats(2)}, ["iris"]) == (
        "3 (GridSearchCV: 2)")
