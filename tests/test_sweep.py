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

    # Bit-identical metrics: the wall time is kept apart, in the record's timing.
    assert [r["metrics"] for r in dask] == [r["metrics"] for r in local]
    assert all(r["timing"]["seconds"] >= 0 for r in dask + local)
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


# -- interrupts, leftovers, damage, Dask threads and addresses, timing -------------------------

INTERRUPT_SCRIPT = textwrap.dedent("""
    import signal, sys
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal
    sys.path.insert(0, {here!r})
    import sweep_tasks
    from swarmreg.sweep import Cell, run_sweep
    cells = [Cell("square", dict(x=x, sleep=0.002), 0) for x in range(20000)]
    try:
        run_sweep(sweep_tasks.square, cells, sys.argv[1], workers=2, progress=False,
                  log=lambda *_: None)
    except KeyboardInterrupt:
        sys.exit(130)
""")


def children_of(pid):
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads worker pids from /proc")
def test_sigint_to_the_main_process_always_exits_and_ends_the_workers(tmp_path):
    # Before: some runs hung forever after the interrupt: a Ctrl-C inside
    # concurrent.futures.wait() left a future's lock held and the exit waited on it.
    # Many short cells and many pending ones keep the main process in wait()'s loop over
    # the futures' locks much of the time: the old code hung in 9 of 10 such runs (and in
    # 0 of 6 with 5000 cells), so 8 trials miss a regression with odds below 1e-8.
    script = INTERRUPT_SCRIPT.format(here=str(HERE))
    for trial in range(8):
        out = tmp_path / str(trial)
        proc = subprocess.Popen([sys.executable, "-c", script, str(out)], stderr=subprocess.PIPE,
                                text=True)
        try:
            deadline = time.time() + 60
            while time.time() < deadline and len(list((out / "cells").glob("*.json"))) < 3:
                time.sleep(0.01)
            time.sleep(0.04 * trial)  # the signal at a different moment in each trial
            workers = children_of(proc.pid)
            assert proc.poll() is None and workers
            os.kill(proc.pid, signal.SIGINT)  # the main process only, not its group
            try:
                code = proc.wait(20)
            except subprocess.TimeoutExpired:
                pytest.fail(f"trial {trial}: the interrupted sweep did not exit within 20 s")
            assert code == 130, proc.stderr.read()
            deadline = time.time() + 10
            while time.time() < deadline and any(alive(w) for w in workers):
                time.sleep(0.05)
            assert not any(alive(w) for w in workers), f"trial {trial}: workers left running"
            done = list((out / "cells").glob("*.json"))
            assert len(load_records(out)) == len(done) >= 3  # every record intact
        finally:
            proc.kill()
            for w in children_of(proc.pid):
                os.kill(w, signal.SIGKILL)


def test_resume_removes_the_temporary_files_of_interrupted_writes(tmp_path):
    cells = grid(2)
    run_sweep(sweep_tasks.square, cells[:1], tmp_path, workers=1, progress=False, log=quiet)
    cells_dir = tmp_path / "cells"
    stale = cells_dir / f".{cells[1].key}.json.k3j9x_2a.tmp"  # what a kill mid-write leaves
    stale.write_text('{"key": ')
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = cells_dir / f".{cells[0].key}.json.abc123.tmp"  # a write in progress right now
    fresh.write_text("{")
    lines = []
    records = run_sweep(sweep_tasks.square, cells, tmp_path, workers=1, progress=False,
                        log=lines.append)
    assert not stale.exists() and fresh.exists()
    assert any("removed the temporary files" in line for line in lines)
    assert [r["metrics"]["value"] for r in records] == [0, 1]


@pytest.mark.parametrize("damage", [
    "[" * 100000 + "]" * 100000,  # RecursionError in json.loads
    '{"a": ' * 50000 + "1" + "}" * 50000,
    b"\xff\xfe\x00garbage",  # not UTF-8
    "directory",
], ids=["nested-lists", "nested-objects", "not-utf8", "directory"])
def test_every_unreadable_record_is_moved_aside_and_rerun(tmp_path, damage):
    cells = grid(2)
    run_sweep(sweep_tasks.square, cells, tmp_path, workers=1, progress=False, log=quiet)
    path = tmp_path / "cells" / f"{cells[0].key}.json"
    if damage == "directory":
        path.unlink()
        path.mkdir()
    elif isinstance(damage, bytes):
        path.write_bytes(damage)
    else:
        path.write_text(damage)
    lines = []
    records = run_sweep(sweep_tasks.square, cells, tmp_path, workers=1, progress=False,
                        log=lines.append)
    assert [r["metrics"]["value"] for r in records] == [0, 1]
    assert "1 corrupt record(s) moved aside and re-run" in lines[-1]
    assert len(list((tmp_path / "cells").glob("*.corrupt"))) == 1
    assert all(len(line) < 1000 for line in lines)  # the reason is summarized, not dumped
    assert len(load_records(tmp_path)) == 2


def kinds_grid():
    # Two kinds of cell (the text value "kind"), each with numbers that do not make a kind.
    return [Cell("where", dict(kind=kind, lam=lam), seed) for kind in ("a", "b")
            for lam in (0.1, 1.0) for seed in range(2)]


def test_the_first_cell_of_each_kind_runs_here_the_others_in_the_pool_all_with_one_thread(
        tmp_path):
    # The first cell of each kind compiles its kernels here, once, before the pool starts,
    # with one thread as the pool's cells (their timings compare); this process keeps its own.
    import numba

    threads = numba.get_num_threads()
    cells = kinds_grid()
    records = run_sweep(sweep_tasks.where, cells, tmp_path, workers=2, progress=False, log=quiet)
    here = [r["timing"]["pid"] == os.getpid() for r in records]
    assert here == [True, False, False, False, True, False, False, False]
    assert {r["timing"]["threads"] for r in records} == {1}
    assert numba.get_num_threads() == threads
    assert [r["metrics"]["value"] for r in records] == [c.seed for c in cells]


@pytest.mark.parametrize("workers", [0, -1, 1.5])
def test_a_bad_worker_count_fails_before_any_cell_runs(tmp_path, workers):
    with pytest.raises((ValueError, TypeError), match="workers"):
        run_sweep(sweep_tasks.square, grid(4), tmp_path, workers=workers, progress=False,
                  log=quiet)
    assert not list((tmp_path / "cells").glob("*.json"))


def test_the_progress_bar_opens_after_the_first_cell_of_each_kind(tmp_path, monkeypatch):
    # Those cells compile the kernels: opened before them, the bar would show compile time.
    from swarmreg import _loop

    log = sweep_tasks.LOG
    log.clear()

    def fake_tqdm(**kwargs):
        log.append(("bar opened", kwargs["initial"], kwargs["total"]))
        return type("Bar", (), {"update": lambda self, k: None, "close": lambda self: None})()

    monkeypatch.setattr(_loop, "_tqdm", lambda: fake_tqdm)
    cells = [Cell("logged", dict(kind=kind, lam=lam), seed) for kind in ("a", "b")
             for lam in (0.1, 1.0) for seed in range(2)]
    run_sweep(sweep_tasks.logged, cells, tmp_path, workers=1, progress=True, log=quiet)
    assert log[:3] == [("cell", "a", 0), ("cell", "b", 0), ("bar opened", 2, 8)]
    assert len(log) == 3 + 6


def test_pool_cells_run_with_one_numba_thread(tmp_path):
    records = run_sweep(sweep_tasks.numba_threads, grid(4), tmp_path, workers=2, progress=False,
                        log=quiet)
    assert {r["metrics"]["threads"] for r in records} == {1}


def test_dask_cells_run_with_one_numba_thread_read_from_inside_a_task(tmp_path):
    # Before: Client.run set the thread count of a thread that runs no task: 2 threads.
    pytest.importorskip("distributed")
    records = run_sweep(sweep_tasks.numba_threads, grid(4), tmp_path, scheduler="local", workers=2,
                        progress=False, log=quiet)
    assert {r["metrics"]["threads"] for r in records} == {1}


def test_an_unreachable_scheduler_fails_within_the_timeout_naming_the_address(tmp_path):
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    start = time.time()
    with pytest.raises(ConnectionError, match=f"cannot reach the Dask scheduler at {address} within 1 s"):
        run_sweep(sweep_tasks.square, grid(2), tmp_path, scheduler=address, connect_timeout=1,
                  progress=False, log=quiet)
    assert time.time() - start < 10  # before: 31 s


def test_cli_sweep_with_an_unreachable_scheduler_gives_one_line_and_exit_2(tmp_path, capsys):
    pytest.importorskip("distributed")
    import socket

    from swarmreg.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    start = time.time()
    code = main(["sweep", "ridge_check", "--quick", "--out", str(tmp_path), "--scheduler", address,
                 "--no-progress", "--connect-timeout", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert f"cannot reach the Dask scheduler at {address} within 1 s" in err
    assert time.time() - start < 10


def test_connect_timeout_defaults_to_ten_seconds_and_must_be_positive(tmp_path):
    import inspect

    assert inspect.signature(run_sweep).parameters["connect_timeout"].default == 10.0
    with pytest.raises(ValueError, match="connect_timeout must be > 0.0"):
        run_sweep(sweep_tasks.square, grid(2), tmp_path, connect_timeout=0, log=quiet)


def timed_square(config, seed):
    return {"value": config["x"] ** 2 + seed}, {"seconds": time.perf_counter()}


def test_a_tasks_timing_is_kept_apart_from_its_metrics(tmp_path):
    cells = grid(4)
    a = run_sweep(timed_square, cells, tmp_path / "a", workers=1, progress=False, log=quiet)
    b = run_sweep(timed_square, cells, tmp_path / "b", workers=1, progress=False, log=quiet)
    assert [r["metrics"] for r in a] == [r["metrics"] for r in b] == [{"value": v} for v in (0, 1, 1, 2)]
    assert all(r["timing"]["seconds"] != s["timing"]["seconds"] for r, s in zip(a, b))
    assert load_records(tmp_path / "a")[0]["timing"]  # stored, and under the checksum


def test_experiment_metrics_reproduce_bit_for_bit_and_hold_no_wall_time():
    # Before: every record's metrics held `seconds`, so no two runs' metrics were equal.
    from swarmreg.experiments import EXPERIMENTS
    from swarmreg.sweep import _canonical

    for name, module in EXPERIMENTS.items():
        config, seed = module.cells("quick")[-1]
        metrics, again = (module.run_cell(config, seed) for _ in range(2))
        if isinstance(metrics, tuple):  # (metrics, timing)
            assert metrics[1]["seconds"] > 0, name
            metrics, again = metrics[0], again[0]
        assert _canonical(metrics) == _canonical(again), name
        assert "seconds" not in metrics, name
