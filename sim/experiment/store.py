"""The results directory: writing its files atomically, and reading a sweep back."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ConfigError
from ..yamlio import load_yaml_text
from .chunks import TABLES, ChunkOutput, normalise_summary
from .designs import _value
from .schema import Experiment, LoadedExperiment

MANIFEST = "manifest.json"

# --------------------------------------------------------------------------
# The results directory


def _disk_error(path: Path, exc: OSError) -> ConfigError:
    return ConfigError(str(path), None, f"cannot write ({exc.strerror or exc}); the folder is kept: "
                                        "free some space and run the same command with --resume")


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _disk_error(path, exc) from None


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write, read back (row count and every column), then rename into place:
    a file that is in place is whole."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        frame.to_parquet(tmp, index=False)
        back = pq.read_table(tmp)
        if back.num_rows != len(frame) or back.num_columns != len(frame.columns):
            raise OSError(f"{tmp.name} reads back as {back.num_rows} rows, not {len(frame)}")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _disk_error(path, exc) from None


def parquet_is_whole(path: Path) -> bool:
    """True when the file reads back in full (a truncated or corrupt file does not)."""
    try:
        pq.read_table(path)
    except (OSError, ValueError, Exception):  # noqa: BLE001 - pyarrow raises ArrowInvalid and others
        return False
    return True


def read_manifest(out: Path) -> dict:
    """The manifest, or one line naming it when it is not whole JSON."""
    path = Path(out) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), None, f"not whole JSON ({exc.__class__.__name__}); the file is damaged") from None
    if not isinstance(manifest, dict):
        raise ConfigError(str(path), None, "not a sweep's manifest (not a mapping)")
    return manifest


def _write_manifest(out: Path, manifest: dict) -> None:
    _atomic_write_bytes(out / MANIFEST, (json.dumps(manifest, indent=2, default=str) + "\n").encode())


def _sha256_file(path: Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def input_files(loaded: LoadedExperiment) -> list[Path]:
    """Every file a run of the experiment reads: the experiment, its scenario,
    the states table and the rules presets."""
    from ..scenario import PRESETS_DIR
    from ..states import DEFAULT_STATES

    base = loaded.base
    states = Path(base.states) if base is not None and base.states else DEFAULT_STATES
    if not states.is_absolute():
        states = Path(loaded.scenario_path).resolve().parent / states
    files = [Path(loaded.path), Path(loaded.scenario_path), states, *sorted(Path(PRESETS_DIR).glob("*.yaml"))]
    return [f.resolve() for f in files]


def input_hashes(loaded: LoadedExperiment) -> dict[str, str | None]:
    return {str(f): _sha256_file(f) for f in input_files(loaded)}


def changed_input(manifest: dict, loaded: LoadedExperiment) -> str | None:
    """The first input file whose content differs from the manifest's record (None: all unchanged)."""
    recorded = manifest.get("inputs")
    if recorded is None:
        return None
    now = input_hashes(loaded)
    for name in sorted(set(recorded) | set(now)):
        if recorded.get(name) != now.get(name):
            return name
    return None


def _versions() -> dict:
    """Python's version and every installed distribution's."""
    out = {"python": sys.version.split()[0]}
    for dist in sorted(metadata.distributions(), key=lambda d: (d.metadata["Name"] or "").lower()):
        name = dist.metadata["Name"]
        if name:
            out.setdefault(name.lower(), dist.version)
    return out


def _git(*args: str) -> str | None:
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def _git_commit() -> str | None:
    out = _git("rev-parse", "HEAD")
    return out.strip() or None if out is not None else None


def _git_dirty() -> bool | None:
    """True when the work tree has changes to tracked files (None: not a git checkout)."""
    out = _git("status", "--porcelain", "--untracked-files=no")
    return None if out is None else bool(out.strip())


def default_chunk_size(runs: int, workers: int, engine: str) -> int:
    """Batch engine: about two chunks per worker, 500 to 2,500 runs each (a
    batch of 125 runs costs 1.7 ms a run, one of 2,500 0.4 ms, and a worker
    holding 2,500 runs stays near 300 MB; benchmarks/bench_sweep.py). Mesa
    engine: about eight chunks per worker, at most 50 runs each."""
    if engine == "batch":
        return max(1, min(2500, max(500, math.ceil(runs / (2 * max(workers, 1))))))
    return max(1, min(50, math.ceil(runs / (8 * max(workers, 1)))))


def _chunk_path(out: Path, index: int) -> Path:
    return out / "chunks" / f"chunk-{index:06d}.parquet"



def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _save_chunk(out: Path, result: ChunkOutput) -> None:
    """The kept tables first, the runs last: a chunk counts as done when its runs file exists."""
    name = f"part-{result.index:06d}.parquet"
    if result.failures is not None and len(result.failures):
        (out / "failures").mkdir(exist_ok=True)
        _atomic_parquet(result.failures, out / "failures" / name)
    for table in TABLES:
        if getattr(result, table) is not None:
            _atomic_parquet(getattr(result, table), out / table / name)
    _atomic_parquet(result.runs, _chunk_path(out, result.index))


COMBINE_ROWS = 25_000  # runs per row group of runs.parquet


def _combine(out: Path, n_chunks: int) -> None:
    """Stream the chunks, in order, into runs.parquet."""
    try:
        _combine_chunks(out, n_chunks)
    except OSError as exc:
        (out / "runs.parquet.tmp").unlink(missing_ok=True)
        raise _disk_error(out / "runs.parquet", exc) from None


def _combine_chunks(out: Path, n_chunks: int) -> None:
    paths = [_chunk_path(out, k) for k in range(n_chunks)]
    target = out / "runs.parquet"
    tmp = target.with_name(target.name + ".tmp")
    schemas = [pq.read_schema(p).remove_metadata() for p in paths]
    uniform = all(schema.equals(schemas[0]) for schema in schemas)
    if uniform:
        # Chunks gathered into row groups of about COMBINE_ROWS runs: a row
        # group per chunk (2,500 runs of some 550 columns) made the file's
        # metadata, held by the writer until it closes, grow by some 400 MB
        # over a million runs.
        writer, held = None, []
        try:
            for k, p in enumerate(paths):
                held.append(pq.read_table(p))
                if sum(t.num_rows for t in held) < COMBINE_ROWS and k < len(paths) - 1:
                    continue
                table = pa.concat_tables(held)
                held = []
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
    as attributes: ``timeseries``, ``events``, ``votes`` and
    ``stances_by_day`` (None when not kept),
    ``design`` (one row per point), ``manifest`` (dict) and ``path``."""

    _metadata = ["timeseries", "events", "votes", "stances_by_day", "design", "manifest", "path", "failures"]

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
    ``.timeseries``, ``.events``, ``.votes``, ``.stances_by_day`` (the
    tables the experiment kept, else None), ``.design`` and ``.manifest``."""
    out = Path(path)
    manifest_path = out / MANIFEST
    if not manifest_path.is_file():
        raise ConfigError(str(out), None, "not a sweep's results directory (no manifest.json)")
    manifest = read_manifest(out)
    runs_path = out / "runs.parquet"
    if not runs_path.is_file():
        raise ConfigError(str(out), None, "the sweep is not complete; finish it with 'coalition-sim sweep ... --resume'")
    try:
        runs = _typed(pd.read_parquet(runs_path))
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise ConfigError(str(runs_path), None, f"cannot be read ({exc.__class__.__name__}); the file is damaged") from None
    result = SweepResults(runs)
    result.manifest = manifest
    result.path = str(out)
    result.design = pd.read_parquet(out / "design.parquet") if (out / "design.parquet").is_file() else None
    result.failures = load_failures(out)
    for name in TABLES:
        folder = out / name
        parts = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
        setattr(result, name, _typed(pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True))
                if parts else None)
    return result


def manifest_experiment(manifest: dict) -> Experiment:
    """The experiment a results directory was made from (its text is in the manifest)."""
    return Experiment.model_validate(load_yaml_text(manifest["experiment_text"], "manifest.json: experiment_text"))


def run_horizons(runs: pd.DataFrame, manifest: dict) -> np.ndarray:
    """Each run's horizon in days (the day that stands for "never"): its
    ``days`` column when kept or varied, else the sweep's horizon."""
    if "days" in runs.columns:
        return runs["days"].to_numpy(dtype=float)
    horizon = manifest.get("horizon")
    if horizon is None:  # a manifest without it: the experiment's days, else the scenario's
        horizon = manifest_experiment(manifest).days or (load_yaml_text(manifest.get("scenario_text") or "", "manifest.json: scenario_text") or {})["days"]
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


def replay(results: SweepResults | str | Path, run_id: int, engine: str | None = None):
    """One run of a sweep, run again: the :class:`sim.RunResult` (per-day
    table, summary, event log) of ``run_id``, from the sweep's experiment
    file with the run's design point and seed."""
    from .. import run as run_one
    from .schema import build_scenario, load_experiment

    res = results if isinstance(results, SweepResults) else load_results(results)
    row = res[res["run_id"] == run_id]
    if row.empty:
        raise KeyError(f"run {run_id} is not in {res.path}")
    row = row.iloc[0]
    manifest = res.manifest
    loaded = load_experiment(manifest.get("experiment_path") or manifest["experiment_file"])
    if loaded.sha256 != manifest.get("experiment_sha256"):
        raise ConfigError(manifest["experiment_file"], None,
                          f"has changed since the sweep in {res.path} ran; the run cannot be replayed from it")
    values = {name: _value(row[name], loaded.experiment.design.parameters[name])
              for name in manifest["design"]["parameters"]}
    return run_one(build_scenario(loaded, values), seed=int(row["seed"]), engine=engine or manifest.get("engine", "batch"))


def load_failures(out: str | Path) -> pd.DataFrame | None:
    """The runs of a sweep that raised (one row each: run_id, point_id,
    replicate, seed, point, error, message, traceback), or None when none did."""
    folder = Path(out) / "failures"
    parts = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else None
