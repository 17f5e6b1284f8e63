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
