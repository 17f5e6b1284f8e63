"""Run a grid of configurations × seeds, resumably, on a local process pool or Dask.

Each finished cell is one JSON file ``<out>/cells/<key>.json``, written atomically
(temporary file, fsync, ``os.replace``) by the coordinating process only, so an
interrupted sweep loses at most the cells in flight and never leaves half a
record.  Re-running the same sweep skips every cell whose record is intact; a
record that does not parse or whose checksum does not match is moved aside to
``<key>.json.<time>.<pid>.corrupt`` (never deleted) and its cell runs again.

Executors are ``concurrent.futures`` executors: a ``ProcessPoolExecutor`` by
default, or ``dask.distributed``'s own ``Client.get_executor()`` for a cluster
(``scheduler="tcp://host:8786"``) or a ``LocalCluster`` (``scheduler="local"``).
"""

import hashlib
import json
import os
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from ._io import atomic_write

__all__ = ["Cell", "SweepError", "SweepSummary", "run_sweep", "load_records", "cell_key"]


class SweepError(RuntimeError):
    """Some cells failed; the others are saved and a re-run retries only the failed ones."""


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
    except (OSError, ValueError) as exc:
        return f"unreadable ({exc.__class__.__name__}: {exc})"
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


def _limit_threads():
    # Cells run side by side, one per core: keep each one's Numba kernels on one thread.
    import numba

    numba.set_num_threads(1)


def _run_cell(task, config, seed):
    start = time.perf_counter()
    # The JSON round trip raises here, in the worker, for metrics that cannot be stored,
    # so such a cell fails on its own instead of stopping the sweep.
    metrics = json.loads(_canonical(task(config, seed)))
    return metrics, time.perf_counter() - start


class _DaskExecutor:
    """``Client.get_executor()`` on a scheduler address or a fresh ``LocalCluster``."""

    def __init__(self, scheduler, workers):
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
            self._client = Client(scheduler, timeout="30s")
        self._client.run(_limit_threads)
        self._executor = self._client.get_executor(pure=False)

    def submit(self, fn, *args):
        return self._executor.submit(fn, *args)

    def shutdown(self, wait=True, cancel_futures=False):
        self._executor.shutdown(wait=wait)
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def _executor(scheduler, workers):
    if scheduler is None:
        return ProcessPoolExecutor(max_workers=workers or os.cpu_count(), mp_context=get_context("spawn"),
                                   initializer=_limit_threads)
    return _DaskExecutor(scheduler, workers)


def run_sweep(task, cells, out_dir, *, scheduler=None, workers=None, progress=True, log=print):
    """Run every cell not already done and save each as soon as it finishes.

    Parameters
    ----------
    task : callable(config, seed) -> dict
        A module-level function (it is pickled to the workers) returning JSON-able metrics.
    cells : list of Cell
    out_dir : path
        Records go to ``<out_dir>/cells/``.
    scheduler : None, "local" or str
        None: a local process pool.  ``"local"``: a Dask ``LocalCluster``.  An address
        such as ``"tcp://host:8786"``: that Dask cluster (its workers need swarmreg).
    workers : int, optional
        Processes (default: the machine's cores); with ``workers=1`` and no scheduler the
        cells run in this process, one after another.
    progress : bool
        Show a progress bar (needs tqdm) with cells done / total and the ETA.
    log : callable(str)
        Where the summary and notices go.

    Returns
    -------
    list of dict
        The records of all ``cells`` (old and new), in the order of ``cells``.

    Raises
    ------
    SweepError
        After the run, if any cell raised; the successful cells are saved.
    """
    from . import __version__

    cells_dir = Path(out_dir, "cells")
    cells_dir.mkdir(parents=True, exist_ok=True)
    summary = SweepSummary(total=len(cells))
    start = time.perf_counter()
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

    bar = None
    if progress and todo:
        from ._loop import progress_bar

        bar = progress_bar(len(cells), "cells")
        bar.unit = "cell"
        bar.update(summary.skipped)

    def finish(cell, metrics, seconds):
        record = dict(key=cell.key, experiment=cell.experiment, config=cell.config, seed=cell.seed,
                      metrics=metrics, version=__version__, seconds=seconds,
                      finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        _write_record(cells_dir / f"{cell.key}.json", record)
        records[cell.key] = record
        summary.ran += 1
        if bar is not None:
            bar.update(1)

    def fail(cell, exc_text):
        summary.failed.append((cell, exc_text))
        log(f"cell {cell.key} {cell.config} seed {cell.seed} failed:\n{exc_text}")

    try:
        if todo and scheduler is None and workers == 1:
            for cell in todo:
                try:
                    finish(cell, *_run_cell(task, cell.config, cell.seed))
                except Exception:
                    fail(cell, traceback.format_exc())
        elif todo:
            pool = _executor(scheduler, workers)
            try:
                futures = {pool.submit(_run_cell, task, c.config, c.seed): c for c in todo}
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        try:
                            metrics, seconds = fut.result()
                        except Exception as exc:
                            fail(futures[fut], "".join(traceback.format_exception(exc)))
                        else:
                            finish(futures[fut], metrics, seconds)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
    finally:
        if bar is not None:
            bar.close()
        summary.elapsed = time.perf_counter() - start
        log(f"sweep {out_dir}: {summary}")
    if summary.failed:
        raise SweepError(f"{len(summary.failed)} of {len(cells)} cells failed (the rest are saved "
                         f"in {cells_dir}; run the sweep again to retry them)")
    return [records[c.key] for c in cells]
