"""Experiments: parameter sweeps from a config file, run in chunks, streamed to disk.

An experiment file names a scenario, the parameters to vary (dotted paths,
the same as ``--set``), a design (``grid``, ``lhs``, ``sobol``, ``morris``),
the number of replicates per design point and a master seed. It expands to
runs numbered ``run_id = point_id * replicates + replicate``; each run's seed
is derived from the master seed and its ``run_id`` by numpy's
``SeedSequence``, so a run does not depend on which chunk, worker or
executor ran it.

Runs go out in chunks of consecutive run ids (:func:`run_chunk`, a pure
function of its :class:`ChunkJob`). Each finished chunk is written to
``DIR/chunks/`` atomically (a temporary file, then a rename); when all are
done they are combined, streaming, into ``DIR/runs.parquet``. A sweep that
is killed keeps every finished chunk, and ``resume`` runs only the rest.

One executor interface (``concurrent.futures``) serves every back end: the
runs of one process, a local process pool, or a Dask cluster's
``Client.get_executor()``.

The package, by what each part does:

- :mod:`.schema`: the experiment file (pydantic models), :func:`load_experiment`,
  the scenario of a design point;
- :mod:`.designs`: the design points of grid, LHS, Sobol and Morris designs; run seeds;
- :mod:`.chunks`: a chunk of runs (:func:`run_chunk`) and the summary table's dtypes;
- :mod:`.executors`: in-process, local pool and Dask back ends;
- :mod:`.store`: the results directory, written and read back;
- :mod:`.sweeps`: :func:`sweep`, which ties them together.
"""

from __future__ import annotations

from .chunks import (ChunkJob, ChunkOutput, _kept_columns, _summaries, as_numbers, is_day_column,
                     normalise_summary, run_chunk)
from .designs import _choices, _column, _problem, _value, design_matrix, design_points, run_seeds
from .executors import SCHEDULER_TIMEOUT, Backend, InlineExecutor, _stop, _worker_init, open_backend
from .schema import (DESIGN_KINDS, RUN_COLUMNS, SENSITIVITY_KINDS, SUMMARY_FIELDS, Choice,
                     Design, Experiment, LoadedExperiment, Outputs, Span, _codes, _span_value, build_scenario, summary_names,
                     load_experiment)
from .store import (MANIFEST, SweepResults, _atomic_parquet, _atomic_write_bytes, _chunk_path, _combine,
                    _git_commit, _now, _save_chunk, _typed, _versions, _write_manifest, default_chunk_size,
                    load_results, manifest_experiment, replay, reproduce_command, run_horizons)
from .designs import MAX_RUNS, check_size, design_size
from .folders import FolderLock, claim_output_dir
from .sweeps import SweepReport, _point_values, _prepare, sweep

__all__ = [
    "DESIGN_KINDS", "MANIFEST", "RUN_COLUMNS", "SCHEDULER_TIMEOUT", "SENSITIVITY_KINDS",
    "SUMMARY_FIELDS", "Backend", "ChunkJob", "ChunkOutput", "Choice", "Design", "Experiment", "InlineExecutor",
    "LoadedExperiment", "Outputs", "Span", "SweepReport", "SweepResults", "as_numbers", "build_scenario",
    "default_chunk_size", "design_matrix", "design_points", "is_day_column", "load_experiment", "load_results",
    "manifest_experiment", "normalise_summary", "open_backend", "reproduce_command", "run_chunk", "run_horizons",
    "run_seeds", "sweep",
]
