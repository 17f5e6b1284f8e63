"""Run a grid of configurations × seeds, resumably, on a local process pool or Dask.

Each finished cell is one JSON file ``<out>/cells/<key>.json``, written atomically
(temporary file, fsync, ``os.replace``) by the coordinating process only, so an
interrupted sweep loses at most the cells in flight and never leaves half a
record.  Re-running the same sweep skips every cell whose record is intact; a
record that cannot be read for any reason (it does not parse, nests too deeply,
its checksum does not match) is moved aside to ``<key>.json.<time>.<pid>.corrupt``
(never deleted) and its cell runs again, and the temporary files of writes that
a kill cut short are removed.  One sweep at a time per output folder.

A record keeps what reproduces (``metrics``: bit-identical for the same cell on any
machine) apart from what does not (``seconds``, ``finished`` and the task's own
``timing``).  Every cell on a pool or on Dask runs with one Numba thread, set in
the task itself: cells already run side by side, one per core.  On this machine (a
local pool or a Dask ``LocalCluster``) the first pending cell of each kind (each
combination of the text and boolean values of its configuration) runs first, here, with
one Numba thread as well: it compiles the kernels of its kind into Numba's cache once,
where the workers load them instead of each compiling them, and the progress bar opens
after it, so that it shows training time, not compile time.

Executors are ``concurrent.futures`` executors: a ``ProcessPoolExecutor`` by
default, or ``dask.distributed``'s own ``Client.get_executor()`` for a cluster
(``scheduler="tcp://host:8786"``) or a ``LocalCluster`` (``scheduler="local"``).
"""

import hashlib
import json
import os
import queue
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from ._io import atomic_write

__all__ = ["Cell", "SweepError", "SchedulerUnreachableError", "SweepSummary", "run_sweep",
           "load_records", "cell_key"]


class SweepError(RuntimeError):
    """Some cells failed; the others are saved and a re-run retries only the failed ones."""


class SchedulerUnreachableError(ConnectionError, ValueError):
    """No Dask scheduler answered at the address given within ``connect_timeout``.

    A ``ConnectionError``, and a ``ValueError`` of the ``scheduler`` argument: the
    address the user typed is the likely mistake.
    """


def _canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=True)


def cell_key(experiment, config, seed):
    """Stable identifier of a cell: a hash of its experiment, configuration and seed.

    The hash is of the exact JSON text, so ``{"lam": 0}`` and ``{"lam": 0.0}`` are different
    cells: build grids with one type per field (the experiments call ``float()``).
    """
    return hashlib.sha256(_canonical([experiment, config, seed]).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Cell:
    """One unit of work: ``task(config, seed)`` for a JSON-serializable ``config``."""

    experiment: str
    config: dict
    seed: int

    @property
    def key(self):
        return cell_key(self.experiment, self.config, self.seed)


@dataclass
class SweepSummary:
    total: int
    skipped: int = 0
    ran: int = 0
    failed: list = field(default_factory=list)
    corrupt: list = field(default_factory=list)
    elapsed: float = 0.0

    def __str__(self):
        text = (f"{self.total} cells: {self.skipped} already done, {self.ran} run, "
                f"{len(self.failed)} failed in {self.elapsed:.1f} s")
        if self.corrupt:
            text += f"; {len(self.corrupt)} corrupt record(s) moved aside and re-run"
        return text


def _checksum(record):
    body = {k: v for k, v in record.items() if k != "checksum"}
    return hashlib.sha256(_canonical(body).encode()).hexdigest()


def _write_record(path, record):
    atomic_write(path, _canonical(dict(record, checksum=_checksum(record))))


def _read_record(path, cell=None):
    """The record at ``path``, or a string saying why it is not a valid one."""
    try:
        record = json.loads(path.read_text())
    except Exception as exc:  # whatever the damage: OSError, bad JSON, RecursionError, ...
        return f"unreadable ({exc.__class__.__name__}: {exc})"[:300]
    if not isinstance(record, dict) or record.get("checksum") != _checksum(record):
        return "checksum mismatch (truncated or edited)"
    if cell is not None and record.get("key") != cell.key:
        return "belongs to another cell"
    return record


def load_records(out_dir):
    """Every valid record under ``<out_dir>/cells``, sorted by key (corrupt ones skipped)."""
    records = []
    for path in sorted(Path(out_dir, "cells").glob("*.json")):
        record = _read_record(path)
        if isinstance(record, dict):
            records.append(record)
    return records


def _run_cell(task, config, seed):
    """``(metrics, timing, seconds)`` of one cell; ``timing`` is {} unless the task gave one."""
    start = time.perf_counter()
    out = task(config, seed)
    metrics, timing = out if isinstance(out, tuple) else (out, {})
    # The JSON round trip raises here, in the worker, for metrics that cannot be stored,
    # so such a cell fails on its own instead of stopping the sweep.
    metrics, timing = json.loads(_canonical(metrics)), json.loads(_canonical(timing))
    return metrics, timing, time.perf_counter() - start


def _run_cell_one_thread(task, config, seed):
    """``_run_cell`` with Numba on one thread: cells run side by side, one per core.

    Set here, in the task, because Numba's thread count belongs to the thread that runs
    the kernels: a Dask worker runs tasks in its own threads, not in the one that
    ``Client.run`` reaches.  Restored afterwards: the first cells of a sweep run in the
    calling process.
    """
    import numba

    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return _run_cell(task, config, seed)
    finally:
        numba.set_num_threads(threads)


def _first_of_each_kind(cells):
    """The first of ``cells`` for each combination of the text and boolean values of their
    configurations: what mostly selects a trainer, a rule, an activation or a loss, and so
    the kernels a cell compiles.  Numbers such as λ do not; a batch size of 1 against
    larger ones does (online and batch epochs), and cells whose kind this misses compile
    in the workers, as they would without it."""
    seen, first = set(), []
    for cell in cells:
        kind = tuple(sorted((k, v) for k, v in cell.config.items() if isinstance(v, (str, bool))))
        if kind not in seen:
            seen.add(kind)
            first.append(cell)
    return first


def _remove_stale_temporaries(cells_dir, min_age=10.0):
    """Delete the ``.<key>.json.*.tmp`` files of writes cut short; returns how many.

    Only those older than ``min_age`` seconds: a write takes milliseconds, so a file that
    old belongs to no write still in progress.
    """
    removed = 0
    now = time.time()
    for tmp in cells_dir.glob(".*.json.*.tmp"):
        try:
            if now - tmp.stat().st_mtime > min_age:
                tmp.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed


class _DaskExecutor:
    """``Client.get_executor()`` on a scheduler address or a fresh ``LocalCluster``."""

    def __init__(self, scheduler, workers, connect_timeout):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ImportError(
                "a Dask scheduler needs dask.distributed: pip install 'swarmreg[dask]'"
            ) from None
        if scheduler == "local":
            self._cluster = LocalCluster(n_workers=workers or os.cpu_count(), threads_per_worker=1,
                                         processes=True, dashboard_address=None)
            self._client = Client(self._cluster)
        else:
            self._cluster = None
            try:
                self._client = Client(scheduler, timeout=f"{connect_timeout}s")
            except (OSError, TimeoutError) as exc:
                raise SchedulerUnreachableError(
                    f"scheduler: cannot reach the Dask scheduler at {scheduler} within "
                    f"{connect_timeout:g} s ({exc.__class__.__name__}); check the address "
                    "or raise connect_timeout") from None
        self._executor = self._client.get_executor(pure=False)

    def submit(self, fn, *args):
        return self._executor.submit(fn, *args)

    def shutdown(self, wait=True, cancel_futures=False):
        self._executor.shutdown(wait=wait)
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def _executor(scheduler, workers, connect_timeout):
    if scheduler is None:
        return ProcessPoolExecutor(max_workers=workers or os.cpu_count(), mp_context=get_context("spawn"))
    return _DaskExecutor(scheduler, workers, connect_timeout)


def _abandon(pool):
    """Stop ``pool`` at once, after an interrupt: pending cells cancelled, workers ended.

    A process pool's workers would otherwise finish their cells (minutes, perhaps) while
    the interpreter's exit handler waits for them.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(5)


def run_sweep(task, cells, out_dir, *, scheduler=None, workers=None, progress=True, log=print,
              connect_timeout=10.0):
    """Run every cell not already done and save each as soon as it finishes.

    Parameters
    ----------
    task : callable(config, seed) -> dict or (dict, dict)
        A module-level function (it is pickled to the workers) returning JSON-able metrics,
        or ``(metrics, timing)``: ``timing`` (wall times and the like, which differ from
        run to run) is stored in the record's ``timing`` field, apart from the metrics.
    cells : list of Cell
    out_dir : path
        Records go to ``<out_dir>/cells/``.
    scheduler : None, "local" or str
        None: a local process pool.  ``"local"``: a Dask ``LocalCluster``.  An address
        such as ``"tcp://host:8786"``: that Dask cluster (its workers need swarmreg).
    workers : int, optional
        Processes (default: the machine's cores); with ``workers=1`` and no scheduler the
        cells run in this process, one after another.  Without a scheduler or with
        ``"local"``, the first cell of each kind runs in this process before the others
        (see the module docstring).
    progress : bool
        Show a progress bar (needs tqdm) with cells done / total and the ETA.
    log : callable(str)
        Where the summary and notices go.
    connect_timeout : float, default 10
        Seconds to wait for a Dask scheduler at an address before giving up with a
        ``SchedulerUnreachableError`` (a ``ConnectionError``) that names it.

    Returns
    -------
    list of dict
        The records of all ``cells`` (old and new), in the order of ``cells``.

    Raises
    ------
    SweepError
        After the run, if any cell raised; the successful cells are saved.
    """
    from ._version import __version__
    from ._validation import check_bool, check_int, check_real

    progress = check_bool(progress, "progress")
    if workers is not None:
        workers = check_int(workers, "workers", low=1, int64=False)
    connect_timeout = check_real(connect_timeout, "connect_timeout", low=0.0, low_open=True)
    cells_dir = Path(out_dir, "cells")
    cells_dir.mkdir(parents=True, exist_ok=True)
    summary = SweepSummary(total=len(cells))
    start = time.perf_counter()
    if _remove_stale_temporaries(cells_dir):
        log(f"removed the temporary files of interrupted writes in {cells_dir}")
    records, todo = {}, []
    for cell in cells:
        path = cells_dir / f"{cell.key}.json"
        if path.exists():
            record = _read_record(path, cell)
            if isinstance(record, dict):
                records[cell.key] = record
                continue
            aside = path.with_name(f"{path.name}.{time.strftime('%Y%m%dT%H%M%S')}.{os.getpid()}.corrupt")
            path.replace(aside)
            summary.corrupt.append(path.name)
            log(f"corrupt record {path.name} ({record}): moved aside, the cell runs again")
        todo.append(cell)
    summary.skipped = len(records)

    # tqdm is checked now; the bar opens once the cells run here first (below) have run.
    open_bar = None
    if progress and todo:
        from ._loop import bar_opener

        open_bar = bar_opener(len(cells), "cells", unit="cell")
    bar = None

    def finish(cell, metrics, timing, seconds):
        record = dict(key=cell.key, experiment=cell.experiment, config=cell.config, seed=cell.seed,
                      metrics=metrics, version=__version__, seconds=seconds, timing=timing,
                      finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        _write_record(cells_dir / f"{cell.key}.json", record)
        records[cell.key] = record
        summary.ran += 1
        if bar is not None:
            bar.update(1)

    def fail(cell, exc_text):
        summary.failed.append((cell, exc_text))
        log(f"cell {cell.key} {cell.config} seed {cell.seed} failed:\n{exc_text}")

    def run_here(cells_here, one_thread):
        run = _run_cell_one_thread if one_thread else _run_cell  # all threads: alone
        for cell in cells_here:
            try:
                outcome = run(task, cell.config, cell.seed)
            except Exception:
                fail(cell, traceback.format_exc())
            else:  # outside the try: a record that cannot be written (a full disk) is no
                finish(cell, *outcome)  # failed cell, as in the pool's branch, but the caller's error

    pool = None
    try:
        if todo and not (scheduler is None and workers == 1):
            # Before any cell runs, so that a setup error (no dask.distributed, no scheduler
            # at the address) comes first.
            pool = _executor(scheduler, workers, connect_timeout)
        # On this machine, the first cell of each kind runs here first, as the pool's do
        # (one thread, unless all run here): it compiles the kernels of its kind into
        # Numba's cache once, where the workers load them, and the bar then opens.
        first = _first_of_each_kind(todo) if scheduler in (None, "local") else []
        run_here(first, one_thread=pool is not None)
        first_ids = {id(c) for c in first}
        todo = [c for c in todo if id(c) not in first_ids]
        if open_bar is not None:
            bar = open_bar(summary.skipped + summary.ran)
        if todo and pool is None:
            run_here(todo, one_thread=False)
        elif todo:
            try:
                # Finished futures arrive through a SimpleQueue, not concurrent.futures.wait:
                # a Ctrl-C inside wait() can leave a future's lock held, and the pool's
                # manager thread, and with it the interpreter's exit, then wait forever.
                finished = queue.SimpleQueue()
                futures = {}
                for c in todo:
                    fut = pool.submit(_run_cell_one_thread, task, c.config, c.seed)
                    futures[fut] = c
                    fut.add_done_callback(finished.put)
                for _ in range(len(futures)):
                    fut = finished.get()
                    try:
                        metrics, timing, seconds = fut.result()
                    except Exception as exc:
                        fail(futures[fut], "".join(traceback.format_exception(exc)))
                    else:
                        finish(futures[fut], metrics, timing, seconds)
            except BaseException:
                _abandon(pool)
                pool = None
                raise
        if pool is not None:
            pool.shutdown(wait=True)
            pool = None
    finally:
        if pool is not None:  # an error or a Ctrl-C while the first cells ran here
            _abandon(pool)
        if bar is not None:
            bar.close()
        summary.elapsed = time.perf_counter() - start
        log(f"sweep {out_dir}: {summary}")
    if summary.failed:
        raise SweepError(f"{len(summary.failed)} of {len(cells)} cells failed (the rest are saved "
                         f"in {cells_dir}; run the sweep again to retry them)")
    return [records[c.key] for c in cells]
