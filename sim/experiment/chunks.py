"""A chunk of runs: a pure function of its job, run by any worker."""

from __future__ import annotations

import fnmatch
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..scenario import LEVELS, STANCES, Scenario
from .designs import _column, run_seeds
from .schema import LoadedExperiment, build_scenario

# --------------------------------------------------------------------------
# A chunk of runs


# The tables a sweep may keep beside its runs (outputs.<name>: true), each
# with a run_id column, in a folder of the same name: the per-day table, the
# event log, the votes (a row per vote) and the non-allies' stances by day.
TABLES = ("timeseries", "events", "votes", "stances_by_day")


@dataclass(frozen=True)
class ChunkJob:
    """Everything a worker needs to run runs ``[start, stop)``; it holds data,
    not paths to outputs, so it can travel to a Dask worker."""

    index: int
    start: int
    stop: int
    replicates: int
    master_seed: int
    engine: str
    loaded: LoadedExperiment
    points: dict = field(default_factory=dict)  # point_id -> {path: value}
    timeseries: bool | tuple[str, ...] = False  # True: every state; a tuple: those states
    events: bool = False
    common_random_numbers: bool = False
    votes: bool = False
    stances_by_day: bool = False

    def kept(self) -> tuple[str, ...]:
        """The tables kept beside the runs (see TABLES)."""
        return tuple(name for name in TABLES if getattr(self, name))


@dataclass
class ChunkOutput:
    index: int
    runs: pd.DataFrame
    timeseries: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    seconds: float = 0.0
    # Runs that raised: run_id, point_id, replicate, seed, point (JSON), error, message, traceback.
    failures: pd.DataFrame | None = None
    votes: pd.DataFrame | None = None
    stances_by_day: pd.DataFrame | None = None


def is_day_column(col: str) -> bool:
    """A summary field that holds a day (nullable: <NA> when it never came):
    ``..._day`` or a ``..._day.`` measure of a state (sim.outputs)."""
    return col.endswith("_day") or col.split(".", 1)[0].endswith("_day")


def as_numbers(series: pd.Series, col: str, horizon) -> np.ndarray:
    """An output as floats: yes/no as 1/0, a day that never came as the
    horizon (a number, or one per run), an ordered category as its rank."""
    if isinstance(series.dtype, pd.CategoricalDtype) and series.cat.ordered:
        series = series.cat.codes.where(series.notna())
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype(float).to_numpy()
    if is_day_column(col):
        return series.astype(float).fillna(pd.Series(horizon, index=series.index, dtype=float)).to_numpy()
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def normalise_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """The dtypes of a summary table, whichever engine made it: days as
    nullable Int32, commitments and stances as categoricals."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        head = col.split(".", 1)[0]
        if is_day_column(col):
            s = s.astype("Int32")
        elif head == "commitment":
            s = s.astype(pd.CategoricalDtype(list(LEVELS), ordered=True))
        elif head == "stance":
            s = s.astype(pd.CategoricalDtype(list(STANCES)))
        elif col in ("coalition_size", "strike_coalition_size", "new_strikers", "strike_capacity",
                     "article4_requests_count", "days"):
            s = s.astype(np.int64)
        out[col] = s
    return pd.DataFrame(out, index=frame.index)


def _summaries(scenarios: list[Scenario], seeds: list[int], job: ChunkJob, run_ids: np.ndarray):
    """Summary table and the tables the experiment keeps ({name: table}) of
    runs that share a structure."""
    from .. import run as run_one
    from ..batch import run_batch, simulate, summary_rows
    from ..outputs import stances_frame, summary_table, timeseries_table, votes_frame, votes_table

    kept = job.kept()
    states = None if job.timeseries is True else job.timeseries
    if job.engine == "batch" and set(kept) <= {"votes", "timeseries"}:
        # The fast path: the batch's arrays to tables, no dict or frame per run.
        if not kept:
            return summary_rows(scenarios, seeds), {}
        setup, world, history = simulate(scenarios, seeds, record="timeseries" in kept, log="votes" in kept,
                                         history_states=states)
        tables = {}
        if "timeseries" in kept:
            tables["timeseries"] = timeseries_table(setup, history, run_ids)
        if "votes" in kept:
            tables["votes"] = votes_table(setup, world, run_ids)
        return summary_table(setup, world), tables
    if job.engine == "batch":
        results = run_batch(scenarios, seeds, tables=True)
    else:
        results = [run_one(sc, seed, engine="mesa") for sc, seed in zip(scenarios, seeds)]
    frame = normalise_summary(pd.DataFrame([r.summary_row() for r in results]))

    def series(r, rid):
        table = r.timeseries if states is None else r.timeseries[r.timeseries["state"].isin(states)]
        return table.reset_index(drop=True).assign(run_id=rid)

    per_run = {
        "timeseries": series,
        "events": lambda r, rid: r.events.assign(run_id=rid),
        "votes": lambda r, rid: votes_frame(r.summary["votes"], int(rid)),
        "stances_by_day": lambda r, rid: stances_frame(r.summary, int(rid)),
    }
    return frame, {name: pd.concat([per_run[name](r, rid) for r, rid in zip(results, run_ids)], ignore_index=True)
                   for name in kept}


FAILURE_COLUMNS = ("run_id", "point_id", "replicate", "seed", "point", "error", "message", "traceback")


def run_chunk(job: ChunkJob) -> ChunkOutput:
    """Run one chunk; the result depends only on the job (not on the worker).

    When the chunk raises, each of its runs is run alone: the runs that pass
    are kept, the ones that raise are recorded as failures (data, not a
    crash), so one bad design point does not stop a sweep."""
    import dataclasses
    import json
    import traceback

    try:
        return _run_chunk(job)
    except Exception:  # noqa: BLE001 - each run is tried alone below
        pass
    t0 = time.perf_counter()
    parts, failures = [], []
    for rid in range(job.start, job.stop):
        one = dataclasses.replace(job, start=rid, stop=rid + 1)
        try:
            parts.append(_run_chunk(one))
        except Exception as exc:  # noqa: BLE001 - recorded
            replicate = rid % job.replicates
            seed = run_seeds(job.master_seed, [replicate if job.common_random_numbers else rid])[0]
            failures.append({"run_id": rid, "point_id": rid // job.replicates, "replicate": replicate,
                             "seed": int(seed), "point": json.dumps(job.points[rid // job.replicates], default=str),
                             "error": type(exc).__name__, "message": str(exc)[:2000],
                             "traceback": traceback.format_exc()[-20000:]})
    if parts:
        runs = normalise_summary(pd.concat([p.runs for p in parts], ignore_index=True))
    else:
        runs = pd.DataFrame({c: pd.Series(dtype="int64") for c in ("run_id", "point_id", "replicate", "seed")})
    tables = {name: pd.concat([getattr(p, name) for p in parts], ignore_index=True) if parts else pd.DataFrame()
              for name in job.kept()}
    return ChunkOutput(job.index, runs, seconds=time.perf_counter() - t0,
                       failures=pd.DataFrame(failures, columns=list(FAILURE_COLUMNS)), **tables)


def _run_chunk(job: ChunkJob) -> ChunkOutput:
    from ..batch import structure_key

    t0 = time.perf_counter()
    run_ids = np.arange(job.start, job.stop, dtype=np.int64)
    point_ids = run_ids // job.replicates
    seeds = run_seeds(job.master_seed, run_ids % job.replicates if job.common_random_numbers else run_ids)
    scenarios = {int(p): build_scenario(job.loaded, job.points[int(p)]) for p in np.unique(point_ids)}
    groups: dict[tuple, list[int]] = {}
    for k, p in enumerate(point_ids):
        groups.setdefault(structure_key(scenarios[int(p)]), []).append(k)
    frames, parts = [], {name: [] for name in job.kept()}
    for rows in groups.values():
        summ, tables = _summaries([scenarios[int(point_ids[k])] for k in rows], [int(seeds[k]) for k in rows],
                                  job, run_ids[rows])
        summ.index = rows
        frames.append(summ)
        for name, table in tables.items():
            parts[name].append(table)
    summary = normalise_summary(pd.concat(frames).sort_index()) if len(frames) > 1 else frames[0]
    summary = summary.drop(columns=["seed"]).reset_index(drop=True)
    head = pd.DataFrame({"run_id": run_ids, "point_id": point_ids, "replicate": run_ids % job.replicates,
                         "seed": seeds})
    params = job.loaded.params
    for name in params:
        spec = job.loaded.experiment.design.parameters[name]
        head[name] = _column([job.points[int(p)][name] for p in point_ids], spec)
    # A parameter that is also a summary field (days, say) appears once, as the parameter.
    keep = [c for c in _kept_columns(list(summary.columns), job.loaded.experiment.outputs.summary) if c not in params]
    runs = pd.concat([head, summary[keep]], axis=1)
    order = {"timeseries": ["run_id", "day"], "stances_by_day": ["run_id", "day"]}
    tables = {name: pd.concat(p, ignore_index=True).sort_values(order.get(name, ["run_id"]), kind="stable")
              .reset_index(drop=True) for name, p in parts.items()}
    return ChunkOutput(job.index, runs, seconds=time.perf_counter() - t0, **tables)


def _kept_columns(columns: list[str], summary) -> list[str]:
    if summary == "all":
        return columns
    return [c for c in columns if any(fnmatch.fnmatchcase(c, p) for p in summary)]
