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
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import fnmatch
import hashlib
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError, first_error, suggest
from .scenario import LEVELS, STANCES, Scenario, apply_overrides, read_yaml, validate_scenario

DESIGN_KINDS = ("grid", "lhs", "sobol", "morris")
SENSITIVITY_KINDS = ("sobol", "morris")
# The per-run summary fields that are not per state (see sim.outputs.summary_table).
SUMMARY_FIELDS = (
    "scenario", "days", "start_date", "preset", "art5_decision", "article5_requested", "article5_invoked",
    "article5_day", "eu_42_7_requested", "eu_42_7_invoked", "eu_42_7_day", "un_resolution_day",
    "coalition_size", "strike_coalition_size", "new_strikers", "first_strike_day", "first_allied_strike_day",
    "strike_capacity", "russia_stance", "article4_requested_by", "article4_requests_count",
)
PER_STATE_FIELDS = ("commitment", "strike_day", "commitment_day", "stance")
RUN_COLUMNS = ("run_id", "point_id", "replicate", "seed")
MANIFEST = "manifest.json"
SCHEDULER_TIMEOUT = "20s"  # how long to try to reach a Dask scheduler
_FROZEN = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------
# The experiment file


class Span(BaseModel):
    """A continuous range; ``integer`` rounds the drawn values."""

    model_config = _FROZEN
    low: float
    high: float
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class Choice(BaseModel):
    """A categorical parameter: one of a list of values."""

    model_config = _FROZEN
    values: tuple[Any, ...] = Field(min_length=1)


class Design(BaseModel):
    model_config = _FROZEN
    kind: Literal[DESIGN_KINDS] = "grid"  # type: ignore[valid-type]
    samples: int | None = Field(default=None, ge=1, le=10_000_000)
    parameters: dict[str, tuple[Any, ...] | Span | Choice] = Field(min_length=1)
    levels: int = Field(default=4, ge=2, le=100)  # Morris: levels of the grid
    second_order: bool = False  # Sobol: also second-order indices (2D+2 runs per sample, not D+2)

    @field_validator("parameters", mode="before")
    @classmethod
    def _specs(cls, value):
        """A list, {values: [...]} or {low, high}: told apart by their keys,
        so that an error speaks of the form the user meant."""
        if not isinstance(value, dict):
            return value
        out = {}
        for path, spec in value.items():
            if isinstance(spec, list):
                out[path] = tuple(spec)
            elif isinstance(spec, dict):
                kind = Choice if "values" in spec else Span
                try:
                    out[path] = kind.model_validate(spec)
                except ValidationError as exc:
                    err = first_error(exc)
                    where = ".".join(str(p) for p in err["loc"])
                    msg = err["msg"].removeprefix("Value error, ")
                    if err["type"] == "extra_forbidden":
                        msg = f"unknown key '{err['loc'][-1]}' (expected low and high, or values)"
                    raise ValueError(f"parameter {path}: {where + ': ' if where else ''}{msg}") from None
            else:
                raise ValueError(f"parameter {path}: expected a list of values, {{values: [...]}} or {{low: .., high: ..}}")
        return out

    @model_validator(mode="after")
    def _consistent(self):
        for path, spec in self.parameters.items():
            if isinstance(spec, tuple) and not spec:
                raise ValueError(f"parameter {path}: an empty list of values")
            if self.kind == "grid" and isinstance(spec, Span):
                raise ValueError(f"parameter {path}: a grid needs a list of values, not a range")
        if self.kind == "grid" and self.samples is not None:
            raise ValueError("samples: a grid takes every combination of the values; samples is for lhs, sobol, morris")
        if self.kind != "grid" and self.samples is None:
            raise ValueError(f"samples: a {self.kind} design needs a number of samples")
        return self


class Outputs(BaseModel):
    model_config = _FROZEN
    # Summary fields to keep: names or patterns ("strike_day.*"); "all" keeps every field.
    summary: Literal["all"] | tuple[str, ...] = "all"
    timeseries: bool = False
    events: bool = False


class Experiment(BaseModel):
    model_config = _FROZEN
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    scenario: str
    days: int | None = Field(default=None, ge=1, le=3650)
    replicates: int = Field(default=1, ge=1, le=10_000_000)
    seed: int = Field(default=0, ge=0)
    engine: Literal["batch", "mesa"] = "batch"
    # False: each run's seed from (master seed, run_id). True: from (master
    # seed, replicate), so every design point sees the same draws (common
    # random numbers): differences between points are then the parameters'
    # doing, not chance, which variance-based indices (Sobol) assume.
    common_random_numbers: bool = False
    chunk_size: int | None = Field(default=None, ge=1, le=100_000)
    design: Design
    outputs: Outputs = Outputs()


@dataclass(frozen=True)
class LoadedExperiment:
    """A validated experiment with its scenario's raw data and design points."""

    experiment: Experiment
    path: str
    text: str
    scenario_path: str
    scenario_text: str
    scenario_data: dict
    base: Scenario

    @property
    def params(self) -> list[str]:
        return list(self.experiment.design.parameters)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def scenario_sha256(self) -> str:
        return hashlib.sha256(self.scenario_text.encode()).hexdigest()


def _experiment_error(exc: ValidationError, file: str) -> ConfigError:
    err = first_error(exc)
    loc = ".".join(str(p) for p in err["loc"])
    # pydantic names the union branch it tried (design.parameters.x.Span.low); keep the user's path.
    for branch in ("tuple[any, ...]", "Span", "Choice"):
        loc = loc.replace(f".{branch}", "")
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = f"unknown key '{err['loc'][-1]}'"
        allowed = {"": Experiment, "design": Design, "outputs": Outputs}.get(".".join(map(str, err["loc"][:-1])))
        if allowed is not None:
            msg += suggest(err["loc"][-1], allowed.model_fields)
    elif err["type"] == "literal_error":
        msg = f"{msg} (got {err.get('input')!r})"
    if loc == "design" and "samples" in msg:
        loc, msg = "design.samples", msg.removeprefix("samples: ")
    elif loc in ("design", "design.parameters") and msg.startswith("parameter "):
        path, _, rest = msg.removeprefix("parameter ").partition(": ")
        loc, msg = f"design.parameters.{path}", rest
    return ConfigError(file, loc, msg)


def _find_scenario(ref: str, experiment_file: Path) -> Path:
    """A scenario path: absolute, or relative to the experiment file, or to the working folder."""
    p = Path(ref)
    if p.is_absolute():
        return p
    for candidate in (experiment_file.parent / p, Path.cwd() / p):
        if candidate.is_file():
            return candidate
    return experiment_file.parent / p


def load_experiment(path: str | Path) -> LoadedExperiment:
    """Read and validate an experiment file; every parameter path is tried on
    the scenario at the ends of its range (or at each of its values), so a
    mistyped path or an impossible value is reported before anything runs."""
    file = str(path)
    data, text = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(file, None, "an experiment must be a mapping at the top level")
    try:
        exp = Experiment.model_validate(data)
    except ValidationError as exc:
        raise _experiment_error(exc, file) from None
    scenario_file = _find_scenario(exp.scenario, Path(path))
    if not scenario_file.is_file():
        raise ConfigError(file, "scenario", f"scenario file {exp.scenario} not found "
                                            f"(looked beside the experiment file and in {Path.cwd()})")
    scenario_data, scenario_text = read_yaml(scenario_file)
    if not isinstance(scenario_data, dict):
        raise ConfigError(str(scenario_file), None, "a scenario must be a mapping at the top level")
    if exp.days is not None:
        scenario_data["days"] = exp.days
    loaded = LoadedExperiment(exp, file, text, str(scenario_file), scenario_text, scenario_data, None)  # type: ignore[arg-type]
    base = build_scenario(loaded, {})
    loaded = LoadedExperiment(exp, file, text, str(scenario_file), scenario_text, scenario_data, base)
    for name, spec in exp.design.parameters.items():
        if isinstance(spec, Span):
            probes = [_span_value(spec, spec.low), _span_value(spec, spec.high)]
        else:
            probes = list(spec if isinstance(spec, tuple) else spec.values)
        for value in probes:
            try:
                build_scenario(loaded, {name: value})
            except ConfigError as exc:
                raise ConfigError(file, f"design.parameters.{name}",
                                  f"value {value!r} does not fit the scenario: {exc.key or ''}: {exc.message}") from None
    if exp.outputs.summary != "all":
        known = list(SUMMARY_FIELDS) + [f"{f}.{c}" for f in PER_STATE_FIELDS for c in _codes(base)]
        for i, pattern in enumerate(exp.outputs.summary):
            if not fnmatch.filter(known, pattern):
                raise ConfigError(file, f"outputs.summary.{i}",
                                  f"no summary field matches {pattern!r}{suggest(pattern, known)}")
    return loaded


def _codes(scenario: Scenario) -> list[str]:
    from .states import load_states
    from .world import run_states

    return run_states(scenario, load_states(scenario.states))


def _span_value(spec: Span, value: float):
    return int(round(value)) if spec.integer else float(value)


def build_scenario(loaded: LoadedExperiment, values: dict[str, Any]) -> Scenario:
    """The scenario of one design point: the base data with the point's values
    set by dotted path (shorter paths first, so ``rules`` before ``rules.x``)."""
    ordered = dict(sorted(values.items(), key=lambda kv: kv[0].count(".")))
    data = apply_overrides(loaded.scenario_data, ordered, loaded.scenario_path)
    return validate_scenario(data, loaded.scenario_path, loaded.scenario_text, Path(loaded.scenario_path).resolve().parent)


# --------------------------------------------------------------------------
# Designs


def _problem(design: Design) -> dict:
    """SALib's problem: every parameter on [low, high]; categorical ones as an
    index on [0, k) (a drawn value is floored to a category)."""
    names, bounds = [], []
    for name, spec in design.parameters.items():
        names.append(name)
        if isinstance(spec, Span):
            bounds.append([spec.low, spec.high])
        else:
            bounds.append([0.0, float(len(_choices(spec)))])
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def _choices(spec) -> tuple:
    return spec if isinstance(spec, tuple) else spec.values


def design_matrix(design: Design, seed: int) -> np.ndarray:
    """The design in SALib's numeric space, one row per point (see :func:`_problem`)."""
    problem = _problem(design)
    d = problem["num_vars"]
    if design.kind == "grid":
        axes = [range(len(_choices(spec))) for spec in design.parameters.values()]
        return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, d)
    if design.kind == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(design.samples)
        low = np.array([b[0] for b in problem["bounds"]])
        high = np.array([b[1] for b in problem["bounds"]])
        return low + unit * (high - low)
    if design.kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, design.samples, calc_second_order=design.second_order, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, design.samples, num_levels=design.levels, seed=seed)


def design_points(loaded: LoadedExperiment) -> pd.DataFrame:
    """One row per design point: ``point_id`` and each parameter's value,
    in a column named by its dotted path."""
    design = loaded.experiment.design
    matrix = design_matrix(design, loaded.experiment.seed)
    cols: dict[str, Any] = {"point_id": np.arange(len(matrix), dtype=np.int64)}
    for j, (name, spec) in enumerate(design.parameters.items()):
        x = matrix[:, j]
        if isinstance(spec, Span):
            cols[name] = _column(np.rint(x) if spec.integer else x, spec)
        else:
            choices = _choices(spec)
            index = np.minimum(np.floor(x).astype(int), len(choices) - 1)
            cols[name] = _column([choices[i] for i in index], spec)
    return pd.DataFrame(cols)


def _column(values: list, spec):
    """A parameter's column, typed by its spec (not by the values a chunk
    happens to hold): numbers stay numbers, anything else becomes text."""
    if isinstance(spec, Span):
        return np.asarray(values, dtype=np.int64 if spec.integer else float)
    choices = _choices(spec)
    if all(isinstance(v, bool) for v in choices):
        return np.asarray(values, dtype=bool)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in choices):
        return np.asarray(values, dtype=np.int64 if all(isinstance(v, int) for v in choices) else float)
    return [v if isinstance(v, str) else json.dumps(v) for v in values]


def _value(column_value, spec):
    """A design cell back to the value set on the scenario."""
    if isinstance(spec, Span):
        return int(column_value) if spec.integer else float(column_value)
    for choice in _choices(spec):
        text = choice if isinstance(choice, str) else json.dumps(choice)
        if choice == column_value or text == column_value:
            return choice
    raise KeyError(column_value)


def run_seeds(master: int, keys) -> np.ndarray:
    """Run seeds: 63 bits drawn from ``SeedSequence(master, spawn_key=(key,))``,
    the key being the run's ``run_id`` (or its replicate, with common random numbers)."""
    out = np.empty(len(keys), dtype=np.int64)
    for k, key in enumerate(keys):
        words = np.random.SeedSequence(master, spawn_key=(int(key),)).generate_state(2, np.uint32)
        out[k] = ((int(words[0]) << 32) | int(words[1])) & ((1 << 63) - 1)
    return out


# --------------------------------------------------------------------------
# A chunk of runs


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
    timeseries: bool = False
    events: bool = False
    common_random_numbers: bool = False


@dataclass
class ChunkOutput:
    index: int
    runs: pd.DataFrame
    timeseries: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    seconds: float = 0.0


def is_day_column(col: str) -> bool:
    """A summary field that holds a day (nullable: <NA> when it never came)."""
    return col.endswith("_day") or col.split(".", 1)[0] in ("strike_day", "commitment_day")


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
        elif head == "stance" or col == "russia_stance":
            s = s.astype(pd.CategoricalDtype(list(STANCES)))
        elif col in ("coalition_size", "strike_coalition_size", "new_strikers", "strike_capacity",
                     "article4_requests_count", "days"):
            s = s.astype(np.int64)
        out[col] = s
    return pd.DataFrame(out, index=frame.index)


def _summaries(scenarios: list[Scenario], seeds: list[int], job: ChunkJob, run_ids: np.ndarray):
    """Summary table (and the tables the experiment keeps) of runs that share a structure."""
    from . import run as run_one
    from .batch import run_batch, summary_rows

    tables = job.timeseries or job.events
    if job.engine == "batch" and not tables:
        return summary_rows(scenarios, seeds), None, None
    if job.engine == "batch":
        results = run_batch(scenarios, seeds, tables=True)
    else:
        results = [run_one(sc, seed, engine="mesa") for sc, seed in zip(scenarios, seeds)]
    frame = normalise_summary(pd.DataFrame([r.summary_row() for r in results]))
    ts = ev = None
    if job.timeseries:
        ts = pd.concat([r.timeseries.assign(run_id=rid) for r, rid in zip(results, run_ids)], ignore_index=True)
    if job.events:
        ev = pd.concat([r.events.assign(run_id=rid) for r, rid in zip(results, run_ids)], ignore_index=True)
    return frame, ts, ev


def run_chunk(job: ChunkJob) -> ChunkOutput:
    """Run one chunk; the result depends only on the job (not on the worker)."""
    from .batch import structure_key

    t0 = time.perf_counter()
    run_ids = np.arange(job.start, job.stop, dtype=np.int64)
    point_ids = run_ids // job.replicates
    seeds = run_seeds(job.master_seed, run_ids % job.replicates if job.common_random_numbers else run_ids)
    scenarios = {int(p): build_scenario(job.loaded, job.points[int(p)]) for p in np.unique(point_ids)}
    groups: dict[tuple, list[int]] = {}
    for k, p in enumerate(point_ids):
        groups.setdefault(structure_key(scenarios[int(p)]), []).append(k)
    frames, ts_parts, ev_parts = [], [], []
    for rows in groups.values():
        summ, ts, ev = _summaries([scenarios[int(point_ids[k])] for k in rows], [int(seeds[k]) for k in rows],
                                  job, run_ids[rows])
        summ.index = rows
        frames.append(summ)
        ts_parts.append(ts)
        ev_parts.append(ev)
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
    ts = pd.concat(ts_parts, ignore_index=True).sort_values(["run_id", "day"], kind="stable") if job.timeseries else None
    ev = pd.concat(ev_parts, ignore_index=True).sort_values(["run_id"], kind="stable") if job.events else None
    return ChunkOutput(job.index, runs, ts, ev, time.perf_counter() - t0)


def _kept_columns(columns: list[str], summary) -> list[str]:
    if summary == "all":
        return columns
    return [c for c in columns if any(fnmatch.fnmatchcase(c, p) for p in summary)]


# --------------------------------------------------------------------------
# Executors: one interface, three back ends


class InlineExecutor(cf.Executor):
    """Runs each job when submitted, in this process (one worker, no pool)."""

    def submit(self, fn, /, *args, **kwargs):
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            if isinstance(exc, KeyboardInterrupt):
                raise
            future.set_exception(exc)
        return future


@dataclass
class Backend:
    executor: cf.Executor
    slots: int  # jobs in flight at once
    label: str
    close: Any = None
    keep_open: bool = False


def open_backend(workers: int | None = None, scheduler: str | None = None) -> Backend:
    """The executor for a sweep: a Dask cluster's when ``scheduler`` is given,
    else local processes (``workers`` of them; 1 runs in this process)."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - a declared dependency
            raise ConfigError("--scheduler", None, "dask.distributed is not installed") from None
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise ConfigError("--scheduler", scheduler, f"cannot reach the Dask scheduler ({exc})") from None
        threads = sum(client.nthreads().values()) or 1
        return Backend(client.get_executor(pure=False), 2 * threads, f"Dask scheduler {scheduler} ({threads} threads)",
                       client.close)
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers == 1:
        return Backend(InlineExecutor(), 1, "1 process")
    import multiprocessing

    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_worker_init)
    return Backend(pool, 2 * workers, f"{workers} worker processes")


def _worker_init() -> None:
    """Local workers leave Ctrl+C to the sweep, which stops them itself."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(executor: cf.Executor, pending: set) -> None:
    """Stop at once: cancel what has not started; local workers are ended
    (their chunks were not saved, so a resume runs them again)."""
    for fut in pending:
        fut.cancel()
    if isinstance(executor, cf.ProcessPoolExecutor):
        for proc in list((executor._processes or {}).values()):  # no public way to end running jobs
            proc.terminate()
        executor.shutdown(wait=False, cancel_futures=True)


# --------------------------------------------------------------------------
# The results directory


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _write_manifest(out: Path, manifest: dict) -> None:
    _atomic_write_bytes(out / MANIFEST, (json.dumps(manifest, indent=2, default=str) + "\n").encode())


def _versions() -> dict:
    names = ("coalition-sim", "mesa", "numpy", "pandas", "pyarrow", "pydantic", "scipy", "SALib", "distributed")
    out = {"python": sys.version.split()[0]}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def default_chunk_size(runs: int, workers: int, engine: str) -> int:
    """About eight chunks per worker, at most 1,000 runs (batch) or 50 (Mesa) each."""
    cap, floor = (1000, 20) if engine == "batch" else (50, 1)
    return max(1, min(cap, max(floor, math.ceil(runs / (8 * max(workers, 1))))))


def _chunk_path(out: Path, index: int) -> Path:
    return out / "chunks" / f"chunk-{index:06d}.parquet"


@dataclass
class SweepReport:
    out: Path
    runs: int
    chunks: int
    ran_chunks: int
    seconds: float
    backend: str

    @property
    def runs_per_second(self) -> float:
        return self.runs / self.seconds if self.seconds > 0 else float("nan")


def sweep(experiment: str | Path | LoadedExperiment, out: str | Path | None = None, *, workers: int | None = None,
          scheduler: str | None = None, resume: bool = False, engine: str | None = None,
          chunk_size: int | None = None, progress=None, executor: cf.Executor | None = None) -> SweepReport:
    """Run an experiment into a results directory (default ``results/<name>``).

    The runs go to ``executor`` when one is given (any ``concurrent.futures``
    executor, left open: a pool kept warm between sweeps), else to the one
    :func:`open_backend` makes of ``workers`` and ``scheduler``.
    ``progress(done_runs, total_runs)`` is called after each chunk. Refuses
    (ConfigError) to write into an existing results directory unless
    ``resume``; with ``resume`` runs only the chunks that are missing.
    """
    loaded = experiment if isinstance(experiment, LoadedExperiment) else load_experiment(experiment)
    exp = loaded.experiment
    out = Path(out) if out is not None else Path("results") / exp.name
    engine = engine or exp.engine
    points = design_points(loaded)
    total = len(points) * exp.replicates
    # The executor first: a scheduler that cannot be reached must not leave a results directory behind.
    if executor is not None:
        slots = 2 * (getattr(executor, "_max_workers", None) or workers or 2)
        backend = Backend(executor, slots, f"{type(executor).__name__} given by the caller", keep_open=True)
    else:
        backend = open_backend(workers, scheduler)
    pending: set[cf.Future] = set()
    try:
        manifest = _prepare(out, loaded, resume, engine, total, points, chunk_size or exp.chunk_size
                            or default_chunk_size(total, workers or os.cpu_count() or 1, engine))
        if manifest.get("status") == "complete":
            if not backend.keep_open:
                backend.executor.shutdown(wait=True)
            return SweepReport(out, total, manifest["counts"]["chunks"], 0, 0.0, "nothing to do: already complete")
        size = manifest["counts"]["chunk_size"]
        n_chunks = manifest["counts"]["chunks"]
        engine = manifest["engine"]
        todo = [k for k in range(n_chunks) if not _chunk_path(out, k).exists()]
        done_runs = total - sum(min(size, total - k * size) for k in todo)
        if progress:
            progress(done_runs, total)
        values = _point_values(loaded, points)
        params = loaded.params

        def job(k: int) -> ChunkJob:
            start, stop = k * size, min(total, (k + 1) * size)
            needed = range(start // exp.replicates, (stop - 1) // exp.replicates + 1)
            return ChunkJob(k, start, stop, exp.replicates, exp.seed, engine, loaded,
                            {p: {name: values[name][p] for name in params} for p in needed},
                            exp.outputs.timeseries, exp.outputs.events, exp.common_random_numbers)

        t0 = time.perf_counter()
        queue = iter(todo)
        for k in itertools.islice(queue, backend.slots):
            pending.add(backend.executor.submit(run_chunk, job(k)))
        while pending:
            finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                result = fut.result()
                _save_chunk(out, result)
                done_runs += len(result.runs)
                if progress:
                    progress(done_runs, total)
                nxt = next(queue, None)
                if nxt is not None:
                    pending.add(backend.executor.submit(run_chunk, job(nxt)))
        if not backend.keep_open:
            backend.executor.shutdown(wait=True)
    except BaseException:
        if backend.keep_open:
            for fut in pending:
                fut.cancel()
        else:
            _stop(backend.executor, pending)
        raise
    finally:
        if backend.close:
            backend.close()
    seconds = time.perf_counter() - t0
    _combine(out, n_chunks)
    manifest.update(status="complete", finished=_now(), backend=backend.label, seconds_this_session=round(seconds, 3))
    _write_manifest(out, manifest)
    # Only now: a sweep stopped before this line finds its chunks on --resume and combines them again.
    shutil.rmtree(out / "chunks", ignore_errors=True)
    return SweepReport(out, total, n_chunks, len(todo), seconds, backend.label)


def _point_values(loaded: LoadedExperiment, points: pd.DataFrame) -> dict[str, list]:
    """Per parameter, the value set on the scenario at each point."""
    design = loaded.experiment.design
    return {name: [_value(v, design.parameters[name]) for v in points[name].tolist()] for name in loaded.params}


def _prepare(out: Path, loaded: LoadedExperiment, resume: bool, engine: str, total: int, points: pd.DataFrame,
             chunk_size: int) -> dict:
    """Create the results directory (or check it, when resuming); return the manifest."""
    manifest_path = out / MANIFEST
    if resume:
        if not manifest_path.is_file():
            if out.exists() and any(out.iterdir()):
                raise ConfigError(str(out), None, "not a sweep's results directory (no manifest.json); nothing to resume")
            resume = False
        else:
            manifest = json.loads(manifest_path.read_text())
            if manifest.get("experiment_sha256") != loaded.sha256:
                raise ConfigError(str(out), None, f"made by a different experiment file than {loaded.path} "
                                                  "(its text has changed); choose another --out")
            if manifest.get("scenario_sha256") != loaded.scenario_sha256:
                raise ConfigError(str(out), None, f"the scenario {loaded.scenario_path} has changed since this sweep "
                                                  "began; choose another --out")
            for tmp in out.rglob("*.tmp"):
                tmp.unlink()
            if manifest.get("status") != "complete":
                manifest["resumed"] = manifest.get("resumed", []) + [_now()]
                _write_manifest(out, manifest)
            return manifest
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(str(out), None, "results directory already exists; add --resume to finish that sweep, "
                                          "or choose another --out (two experiments are never mixed)")
    exp = loaded.experiment
    n_chunks = math.ceil(total / chunk_size)
    manifest = {
        "name": exp.name,
        "description": exp.description,
        "status": "running",
        "experiment_file": loaded.path,
        "experiment_sha256": loaded.sha256,
        "experiment_text": loaded.text,
        "scenario_file": loaded.scenario_path,
        "scenario_sha256": loaded.scenario_sha256,
        "scenario_text": loaded.scenario_text,
        "design": {"kind": exp.design.kind, "parameters": loaded.params},
        "engine": engine,
        "seed": exp.seed,
        "common_random_numbers": exp.common_random_numbers,
        "horizon": loaded.base.days,
        "outputs": exp.outputs.model_dump(),
        "counts": {"points": len(points), "replicates": exp.replicates, "runs": total, "chunks": n_chunks,
                   "chunk_size": chunk_size},
        "versions": _versions(),
        "git_commit": _git_commit(),
        "started": _now(),
    }
    (out / "chunks").mkdir(parents=True, exist_ok=True)
    for sub, kept in (("timeseries", exp.outputs.timeseries), ("events", exp.outputs.events)):
        if kept:
            (out / sub).mkdir(exist_ok=True)
    _atomic_parquet(points, out / "design.parquet")
    _write_manifest(out, manifest)
    return manifest


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _save_chunk(out: Path, result: ChunkOutput) -> None:
    """The kept tables first, the runs last: a chunk counts as done when its runs file exists."""
    name = f"part-{result.index:06d}.parquet"
    if result.timeseries is not None:
        _atomic_parquet(result.timeseries, out / "timeseries" / name)
    if result.events is not None:
        _atomic_parquet(result.events, out / "events" / name)
    _atomic_parquet(result.runs, _chunk_path(out, result.index))


def _combine(out: Path, n_chunks: int) -> None:
    """Stream the chunks, in order, into runs.parquet."""
    paths = [_chunk_path(out, k) for k in range(n_chunks)]
    target = out / "runs.parquet"
    tmp = target.with_name(target.name + ".tmp")
    schemas = [pq.read_schema(p).remove_metadata() for p in paths]
    uniform = all(schema.equals(schemas[0]) for schema in schemas)
    if uniform:
        writer = None
        try:
            for p in paths:
                table = pq.read_table(p)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
    else:
        # Design points with different structures (say, other states) have other columns.
        frame = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
        frame.to_parquet(tmp, index=False)
    os.replace(tmp, target)


# --------------------------------------------------------------------------
# Reading results


class SweepResults(pd.DataFrame):
    """A sweep's runs (one row per run) as a DataFrame, with the other tables
    as attributes: ``timeseries`` and ``events`` (None when not kept),
    ``design`` (one row per point), ``manifest`` (dict) and ``path``."""

    _metadata = ["timeseries", "events", "design", "manifest", "path"]

    @property
    def _constructor(self):
        return pd.DataFrame

    @property
    def runs(self) -> pd.DataFrame:
        return pd.DataFrame(self)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Categoricals for states, decisions and text parameters; nullable days."""
    frame = normalise_summary(frame)
    for col in frame.columns:
        if pd.api.types.is_string_dtype(frame[col].dtype) or frame[col].dtype == object:
            frame[col] = frame[col].astype("category")
    return frame


def load_results(path: str | Path) -> SweepResults:
    """A sweep's results: its runs as a DataFrame (a row per run), with
    ``.timeseries``, ``.events``, ``.design`` and ``.manifest``."""
    out = Path(path)
    manifest_path = out / MANIFEST
    if not manifest_path.is_file():
        raise ConfigError(str(out), None, "not a sweep's results directory (no manifest.json)")
    manifest = json.loads(manifest_path.read_text())
    runs_path = out / "runs.parquet"
    if not runs_path.is_file():
        raise ConfigError(str(out), None, "the sweep is not complete; finish it with 'coalition-sim sweep ... --resume'")
    runs = _typed(pd.read_parquet(runs_path))
    result = SweepResults(runs)
    result.manifest = manifest
    result.path = str(out)
    result.design = pd.read_parquet(out / "design.parquet") if (out / "design.parquet").is_file() else None
    for name in ("timeseries", "events"):
        folder = out / name
        parts = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
        setattr(result, name, _typed(pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True))
                if parts else None)
    return result


def manifest_experiment(manifest: dict) -> Experiment:
    """The experiment a results directory was made from (its text is in the manifest)."""
    return Experiment.model_validate(yaml.safe_load(manifest["experiment_text"]))


def run_horizons(runs: pd.DataFrame, manifest: dict) -> np.ndarray:
    """Each run's horizon in days (the day that stands for "never"): its
    ``days`` column when kept or varied, else the sweep's horizon."""
    if "days" in runs.columns:
        return runs["days"].to_numpy(dtype=float)
    horizon = manifest.get("horizon")
    if horizon is None:  # a manifest without it: the experiment's days, else the scenario's
        horizon = manifest_experiment(manifest).days or (yaml.safe_load(manifest.get("scenario_text") or "") or {})["days"]
    return np.full(len(runs), float(horizon))


def reproduce_command(results: SweepResults | str | Path, run_id: int) -> str:
    """The ``coalition-sim run`` command that replays one run of a sweep exactly."""
    res = results if isinstance(results, SweepResults) else load_results(results)
    row = res[res["run_id"] == run_id]
    if row.empty:
        raise KeyError(f"run {run_id} is not in {res.path}")
    row = row.iloc[0]
    manifest = res.manifest
    exp = manifest_experiment(manifest)
    parts = ["coalition-sim", "run", manifest["scenario_file"], "--seed", str(int(row["seed"]))]
    if exp.days is not None:
        parts += ["--days", str(exp.days)]
    for name in manifest["design"]["parameters"]:
        value = _value(row[name], exp.design.parameters[name])
        text = repr(value) if isinstance(value, float) else (json.dumps(value) if not isinstance(value, str) else value)
        parts += ["--set", f"{name}={text}"]
    return " ".join(parts)
