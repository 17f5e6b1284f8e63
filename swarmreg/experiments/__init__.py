"""The experiments that show what L2 regularization does and what λ means.

Each experiment module defines ``MODES`` ("quick" for tests, "default" for a few
minutes on 2 cores, "full" for the published figures), ``cells(mode)`` (the grid
of configurations × seeds), ``run_cell(config, seed)`` (one training run, returning
its metrics, which reproduce bit for bit, or ``(metrics, timing)`` with the wall time apart)
and ``report(records, out_dir, mode)`` (CSV + PNG + a markdown section).
``run_experiment`` runs the grid through ``swarmreg.sweep`` (resumable, local pool
or Dask) and writes the report.
"""

from pathlib import Path

from ..sweep import Cell, run_sweep
from . import (adam_vs_adamw, bias_penalty, lambda_at_scale, lambda_meaning, online_n, overfitting,
               pso_vs_backprop, ridge_check)

__all__ = ["EXPERIMENTS", "MODES", "run_experiment"]

EXPERIMENTS = {
    m.NAME: m
    for m in (lambda_meaning, overfitting, bias_penalty, online_n, pso_vs_backprop, ridge_check,
              adam_vs_adamw, lambda_at_scale)
}
MODES = ("quick", "default", "full")


def run_experiment(name, *, mode="default", out="results", scheduler=None, workers=None,
                   progress=True, log=print, connect_timeout=10.0):
    """Run experiment ``name`` in ``mode`` and write its report under ``<out>/<name>/``.

    Finished cells are kept in ``<out>/<name>/<mode>/cells`` and skipped when the same
    command runs again.  ``connect_timeout``: seconds to wait for a Dask scheduler at an
    address.  Returns the report's summary (paths and headline numbers).
    """
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    module = EXPERIMENTS[name]
    out_dir = Path(out) / name
    cells = [Cell(name, config, seed) for config, seed in module.cells(mode)]
    records = run_sweep(module.run_cell, cells, out_dir / mode, scheduler=scheduler, workers=workers,
                        progress=progress, log=log, connect_timeout=connect_timeout)
    return module.report(records, out_dir, mode)
