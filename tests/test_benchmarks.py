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
