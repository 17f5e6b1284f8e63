import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from swarmreg.experiments import ridge_check
from swarmreg.sweep import Cell, SweepError, load_records, run_sweep

import sweep_tasks

HERE = Path(__file__).resolve().parent


def grid(n=6, **extra):
    return [Cell("square", dict(x=x, **extra), seed) for x in range(n // 2) for seed in range(2)]


def quiet(*_):
    pass


def test_records_hold_config_seed_metrics_and_version(tmp_path):
    records = run_sweep(sweep_tasks.square, grid(), tmp_path, workers=1, progress=False, log=quiet)
    assert [r["metrics"]["value"] for r in records] == [0, 1, 1, 2, 4, 5]
    r = records[3]
    assert r["config"] == {"x": 1} and r["seed"] == 1 and r["experiment"] == "square"
    assert r["version"] and r["seconds"] >= 0 and r["finished"]
    assert len(list((tmp_path / "cells").glob("*.json"))) == 6


def test_rerun_skips_finished_cells(tmp_path):
    lines = []
    run_sweep(sweep_tasks.square, grid()[:4], tmp_path, workers=1, progress=False, log=quiet)
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "cells").glob("*.json")}
    records = run_sweep(sweep_tasks.square, grid(), tmp_path, workers=1, progress=False, log=lines.append)
    assert "6 cells: 4 already done, 2 run, 0 failed" in lines[-1]
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "cells").glob("*.json")}
    assert all(after[name] == t for name, t in before.items())  # untouched
    assert len(records) == 6 and len(after) == 6


def test_killed_sweep_resumes_without_loss_or_duplicates(tmp_path):
    # A sweep in another process is killed with SIGKILL mid-way; the re-run completes it.
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(HERE)!r})
        import sweep_tasks
        from swarmreg.sweep import Cell, run_sweep
        cells = [Cell("square", dict(x=x, sleep=0.15), 0) for x in range(40)]
        run_sweep(sweep_tasks.square, cells, {str(tmp_path)!r}, workers=1, progress=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    cells_dir = tmp_path / "cells"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(cells_dir.glob("*.json"))) < 5:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(cells_dir.glob("*.json")))
    assert 5 <= done < 40
    assert load_records(tmp_path) and len(load_records(tmp_path)) == done  # none corrupt
    lines = []
    cells = [Cell("square", dict(x=x, sleep=0.15), 0) for x in range(40)]
    records = run_sweep(sweep_tasks.square, cells, tmp_path, workers=1, progress=False, log=lines.append)
    assert f"{done} already done, {40 - done} run" in lines[-1]
    assert [r["metrics"]["value"] for r in records] == [x * x for x in range(40)]
    assert len(list(cells_dir.glob("*.json"))) == 40
    assert not list(cells_dir.glob("*.corrupt"))


def test_corrupt_records_are_detected_moved_aside_and_rerun(tmp_path):
    cells = grid()
    run_sweep(sweep_tasks.square, cells, tmp_path, workers=1, progress=False, log=quiet)
    paths = [tmp_path / "cells" / f"{c.key}.json" for c in cells]
    paths[0].write_text(paths[0].read_text()[:40])  # truncated
    paths[1].write_text("not json at all")
    edited = json.loads(paths[2].read_text())
    edited["metrics"]["value"] = 999  # checksum no longer matches
    paths[2].write_text(json.dumps(edited))
    lines = []
    records = run_sweep(sweep_tasks.square, cells, tmp_path, workers=1, progress=False, log=lines.append)
    assert sum(line.startswith("corrupt record") for line in lines) == 3
    assert "3 corrupt record(s) moved aside and re-run" in lines[-1]
    assert [r["metrics"]["value"] for r in records] == [0, 1, 1, 2, 4, 5]
    assert len(list((tmp_path / "cells").glob("*.corrupt"))) == 3  # kept for inspection


def test_failed_cells_raise_after_the_others_are_saved(tmp_path):
    cells = grid(fail_on=1)
    with pytest.raises(SweepError, match="3 of 6 cells failed"):
        run_sweep(sweep_tasks.square, cells, tmp_path, workers=1, progress=False, log=quiet)
    assert len(load_records(tmp_path)) == 3


def test_process_pool_gives_the_same_records(tmp_path):
    cells = grid()
    serial = run_sweep(sweep_tasks.square, cells, tmp_path / "a", workers=1, progress=False, log=quiet)
    pooled = run_sweep(sweep_tasks.square, cells, tmp_path / "b", workers=2, progress=False, log=quiet)
    assert [r["metrics"] for r in serial] == [r["metrics"] for r in pooled]


def test_dask_local_cluster_matches_the_local_pool(tmp_path):
    pytest.importorskip("distributed")
    cells = [Cell("ridge_check", config, seed) for config, seed in ridge_check.cells("quick")]
    local = run_sweep(ridge_check.run_cell, cells, tmp_path / "local", workers=2, progress=False,
                      log=quiet)
    dask = run_sweep(ridge_check.run_cell, cells, tmp_path / "dask", scheduler="local", workers=2,
                     progress=False, log=quiet)

    def strip(records):
        return [{k: v for k, v in r["metrics"].items() if k != "seconds"} for r in records]

    assert strip(dask) == strip(local)
    assert [r["key"] for r in dask] == [r["key"] for r in local]


def bad_metrics(config, seed):
    import numpy as np

    return {"value": np.int64(seed)}  # not JSON-serializable


def test_unstorable_metrics_fail_their_cell_only(tmp_path):
    for workers in (1, 2):
        with pytest.raises(SweepError, match="6 of 6 cells failed"):
            run_sweep(bad_metrics, grid(), tmp_path / str(workers), workers=workers, progress=False,
                      log=quiet)


def test_records_are_readable_by_others_and_corruptions_kept_apart(tmp_path):
    cells = grid(2)
    run_sweep(sweep_tasks.square, cells, tmp_path, workers=1, progress=False, log=quiet)
    path = tmp_path / "cells" / f"{cells[0].key}.json"
    assert path.stat().st_mode & 0o044  # group/other may read (umask permitting)
    for text in ("first", "second"):
        path.write_text(text)
        run_sweep(sweep_tasks.square, cells, tmp_path, workers=1, progress=False, log=quiet)
        time.sleep(1.1)  # the aside name has a one-second timestamp
    kept = sorted(p.read_text() for p in (tmp_path / "cells").glob("*.corrupt"))
    assert kept == ["first", "second"]
