"""Figures of a sweep's results: ``coalition-sim report DIR``.

:func:`report` reads a results directory written by ``coalition-sim sweep``
(runs.parquet, design.parquet, manifest.json, and sensitivity.csv when
``coalition-sim analyze`` has written it) and writes PNG figures with an
``index.html`` that puts them together with the experiment's description:

1. ``outcomes.png``: the probability of each yes/no outcome (Article 5
   invoked, the EU's Article 42.7, an ally's strikes within the horizon, ...)
   at each design point: heat maps over the varied parameters for a grid, a
   scatter of the design points for a sampled design (LHS, Sobol, Morris);
2. ``effect_<output>.png``: how each varied parameter moves one main output:
   the mean over the runs at each value (or in each bin of a range) with its
   95% confidence interval; a categorical output (a state's final
   commitment) as stacked shares;
3. ``timing_<kind>.png`` and ``timing_<kind>_ecdf.png``: the days to each
   state's first strike or first new commitment, for every state that ever
   moves; runs in which it never came within the horizon are censored and
   shown apart (as a share, and as the gap under 1 of the ECDF);
4. ``sensitivity.png`` (and ``sensitivity_spearman.png``): Sobol indices
   (S1, ST), Morris mu* and sigma, or the delta measure and Spearman
   correlations, with their confidence intervals, from sensitivity.csv;
5. ``over_time.png``: when the sweep kept its per-day tables, envelopes
   (median and 5-95% band) of coalition size, strike capacity and the named
   states' commitments over the days, by design point or a parameter's bins;
6. ``discovery_*.png``: the figures ``coalition-sim discover`` left in
   ``DIR/discovery/``.

A figure whose outputs the experiment did not keep is skipped and the page
says why. States are named from the states table, parameters by prettified
paths. Modules: :mod:`.context` (what the report knows about the sweep,
labels, statistics), :mod:`.figures` (the figures, on matplotlib's Agg
canvas), :mod:`.page` (the page, from ``sim/templates/report.html.j2`` and
``report.css``). The folder is built beside the target and renamed into
place, so a reader never sees half a report.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import ConfigError
from . import page
from .context import GENERATOR, _load
from .figures import (figure_discovery, figure_effects, figure_outcomes, figure_over_time, figure_sensitivity,
                      figure_timing)

__all__ = ["report"]

FIGURES = (figure_outcomes, figure_effects, figure_over_time, figure_timing, figure_sensitivity, figure_discovery)


REPORT_FILES = (".png", ".html", ".css")


def _is_report(folder: Path) -> bool:
    """A previous report of ours: its index.html carries our generator tag,
    and it holds nothing but files a report writes (PNG, HTML, CSS; no
    folder), so replacing it loses nothing of anyone else's."""
    index = folder / "index.html"
    try:
        if not (index.is_file() and f'content="{GENERATOR}"' in index.read_text(errors="replace")[:2000]):
            return False
        return all(p.is_file() and p.suffix in REPORT_FILES for p in folder.iterdir())
    except OSError:
        return False


def _check_target(src: Path, target: Path) -> None:
    if target.resolve() == src.resolve():
        raise ConfigError(str(target), "--out", "is the results directory itself; choose a folder for the report")
    if target.exists():
        if not target.is_dir():
            raise ConfigError(str(target), "--out", "exists and is a file; choose a folder for the report")
        if any(target.iterdir()) and not _is_report(target):
            raise ConfigError(str(target), "--out", "exists, is not empty and is not a report made by coalition-sim "
                                                    "(only one of ours is replaced); choose another folder")


def report(results_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the figures and ``index.html`` of a sweep's results directory.

    ``out`` defaults to ``results_dir/report``. It is built in a temporary
    folder beside the target and renamed into place; a previous report there
    is replaced, any other existing folder is refused (ConfigError). Returns
    the report's folder. Bad input (no results directory, no runs.parquet)
    raises :class:`sim.errors.ConfigError`.
    """
    src = Path(results_dir)
    ctx = _load(src)
    target = Path(out) if out is not None else src / "report"
    _check_target(src, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-building-", dir=target.parent))
    old = None
    try:
        for draw in FIGURES:
            draw(ctx, tmp)
        page.write(ctx, tmp, created)
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a report is for reading
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
            os.replace(target, old / target.name)
        try:
            os.replace(tmp, target)
        except BaseException:
            if old is not None:
                os.replace(old / target.name, target)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not (old / target.name).exists():
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target

