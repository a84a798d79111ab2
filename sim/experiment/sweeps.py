"""The sweep: a design's chunks through an executor into a results directory."""

from __future__ import annotations

import concurrent.futures as cf
import math
import itertools
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ConfigError
from .chunks import TABLES, ChunkJob, run_chunk
from .designs import _value, design_points
from .executors import Backend, _stop, open_backend
from .schema import LoadedExperiment, load_experiment
from .designs import check_size
from .folders import LOCK, MARKER, FolderLock
from .store import (MANIFEST, _atomic_parquet, _chunk_path, _combine, _git_commit, _git_dirty, _now, _save_chunk,
                    _versions, _write_manifest, changed_input, default_chunk_size, input_hashes, load_failures,
                    parquet_is_whole,
                    read_manifest)

@dataclass
class SweepReport:
    out: Path
    runs: int
    chunks: int
    ran_chunks: int
    seconds: float
    backend: str
    failed: int = 0  # runs that raised, over the whole sweep (kept in DIR/failures/)

    @property
    def runs_per_second(self) -> float:
        return self.runs / self.seconds if self.seconds > 0 else float("nan")


def sweep(experiment: str | Path | LoadedExperiment, out: str | Path | None = None, *, workers: int | None = None,
          scheduler: str | None = None, resume: bool = False, engine: str | None = None,
          chunk_size: int | None = None, progress=None, executor: cf.Executor | None = None,
          max_runs: int | None = None, max_failures: int | None = None) -> SweepReport:
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
    given = Path(out) if out is not None else Path("results") / exp.name
    out = given.expanduser().resolve()  # "--out ." is the working folder, by its real name
    engine = engine or exp.engine
    # Sizes first, before anything is allocated or written.
    total = check_size(loaded, max_runs)
    points = design_points(loaded)
    # The executor next: a scheduler that cannot be reached must not leave a results directory behind.
    if executor is not None:
        slots = 2 * (getattr(executor, "_max_workers", None) or workers or 2)
        backend = Backend(executor, slots, f"{type(executor).__name__} given by the caller", keep_open=True)
    else:
        backend = open_backend(workers, scheduler)
    pending: set[cf.Future] = set()
    lock = FolderLock(out)
    session = {"started": _now(), "backend": backend.label, "workers": backend.workers, "ran_chunks": 0}
    manifest: dict | None = None
    t0 = time.perf_counter()
    try:
        manifest = _prepare(out, given, loaded, resume, engine, total, points, chunk_size or exp.chunk_size
                            or default_chunk_size(total, workers or os.cpu_count() or 1, engine), lock)
        if manifest.get("status") == "complete":
            if not backend.keep_open:
                backend.executor.shutdown(wait=True)
            lock.release(remove=True)
            return SweepReport(out, total, manifest["counts"]["chunks"], 0, 0.0, "nothing to do: already complete")
        size = manifest["counts"]["chunk_size"]
        n_chunks = manifest["counts"]["chunks"]
        engine = manifest["engine"]
        todo = []
        for k in range(n_chunks):
            path = _chunk_path(out, k)
            if path.exists() and not parquet_is_whole(path):
                path.unlink()  # damaged: run it again
            if not path.exists():
                todo.append(k)
        done_runs = total - sum(min(size, total - k * size) for k in todo)
        if progress:
            progress(done_runs, total)

        def job(k: int) -> ChunkJob:
            start, stop = k * size, min(total, (k + 1) * size)
            needed = range(start // exp.replicates, (stop - 1) // exp.replicates + 1)
            return ChunkJob(k, start, stop, exp.replicates, exp.seed, engine, loaded,
                            _points_of(loaded, points, needed),
                            exp.outputs.timeseries, exp.outputs.events, exp.common_random_numbers,
                            votes=exp.outputs.votes, stances_by_day=exp.outputs.stances_by_day)

        queue = iter(todo)
        for k in itertools.islice(queue, backend.slots):
            pending.add(backend.executor.submit(run_chunk, job(k)))
        while pending:
            finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                result = fut.result()
                _save_chunk(out, result)
                session["ran_chunks"] += 1
                if result.failures is not None and len(result.failures):
                    failed = len(load_failures(out))
                    if max_failures is not None and failed > max_failures:
                        raise ConfigError(str(out / "failures"), None,
                                          f"{failed} runs failed, more than --max-failures {max_failures}; "
                                          "the sweep is stopped (see the failures' messages there)")
                done_runs += len(result.runs)
                if progress:
                    progress(done_runs, total)
                nxt = next(queue, None)
                if nxt is not None:
                    pending.add(backend.executor.submit(run_chunk, job(nxt)))
        if not backend.keep_open:
            backend.executor.shutdown(wait=True)
        seconds = time.perf_counter() - t0
        _combine(out, n_chunks)
        failures = load_failures(out)
        failed = 0 if failures is None else len(failures)
        session.update(seconds=round(seconds, 3), status="complete")
        manifest["counts"]["failed_runs"] = failed
        manifest.update(status="complete", finished=_now(), backend=backend.label, workers=backend.workers,
                        seconds_this_session=round(seconds, 3),
                        sessions=manifest.get("sessions", []) + [session])
        _write_manifest(out, manifest)
        # Only now: a sweep stopped before this line finds its chunks on --resume and combines them again.
        shutil.rmtree(out / "chunks", ignore_errors=True)
        lock.release(remove=True)
    except BaseException:
        if backend.keep_open:
            for fut in pending:
                fut.cancel()
        else:
            _stop(backend.executor, pending)
        if manifest is not None and lock.fd is not None and manifest.get("status") != "complete":
            session.update(seconds=round(time.perf_counter() - t0, 3), status="stopped")
            manifest["sessions"] = manifest.get("sessions", []) + [session]
            try:
                _write_manifest(out, manifest)
            except ConfigError:
                pass  # a full disk: the manifest in place is still the whole previous one
        raise
    finally:
        if backend.close:
            backend.close()
        lock.release()
    return SweepReport(out, total, n_chunks, len(todo), seconds, backend.label, failed)


def _points_of(loaded: LoadedExperiment, points: pd.DataFrame, needed: range) -> dict[int, dict]:
    """The values of the points a chunk needs, {point_id: {path: value}},
    read from the design when the chunk is sent (not every point's values
    held as Python objects for the whole sweep: a million-point design)."""
    values = _point_values(loaded, points.iloc[needed.start:needed.stop])
    return {p: {name: values[name][p - needed.start] for name in loaded.params} for p in needed}


def _point_values(loaded: LoadedExperiment, points: pd.DataFrame) -> dict[str, list]:
    """Per parameter, the value set on the scenario at each point."""
    design = loaded.experiment.design
    return {name: [_value(v, design.parameters[name]) for v in points[name].tolist()] for name in loaded.params}


def _prepare(out: Path, given: Path, loaded: LoadedExperiment, resume: bool, engine: str, total: int,
             points: pd.DataFrame, chunk_size: int, lock: FolderLock) -> dict:
    """Claim and lock the results directory (or check it, when resuming); return the manifest.

    The manifest is written (atomically) before any other file: a folder
    with our marker and lock but no manifest was stopped before it began,
    and starts afresh."""
    manifest_path = out / MANIFEST
    ours = {MARKER, LOCK}
    if out.exists() and not out.is_dir():
        raise ConfigError(str(given), None, "--out must be a directory, and this is a file")
    if resume and not manifest_path.is_file():
        if out.is_dir() and set(p.name for p in out.iterdir()) - ours:
            raise ConfigError(str(given), None, "not a sweep's results directory (no manifest.json); nothing to resume")
        resume = False
    if not resume and out.is_dir() and set(p.name for p in out.iterdir()) - ours:
        raise ConfigError(str(given), None, "results directory already exists and is not empty; add --resume to "
                                            "finish that sweep, or choose another --out (nothing in it is touched)")
    out.mkdir(parents=True, exist_ok=True)
    lock.acquire()
    if resume:
        manifest = read_manifest(out)
        if manifest.get("experiment_sha256") != loaded.sha256:
            raise ConfigError(str(given), None, f"made by a different experiment file than {loaded.path} "
                                                "(its text has changed); choose another --out")
        if manifest.get("scenario_sha256") != loaded.scenario_sha256:
            raise ConfigError(str(given), None, f"the scenario {loaded.scenario_path} has changed since this sweep "
                                                "began; choose another --out")
        changed = changed_input(manifest, loaded)
        if changed:
            raise ConfigError(changed, None, "this input has changed since the sweep in "
                                             f"{given} began; resuming would mix two models: restore it or choose another --out")
        for tmp in out.rglob("*.tmp"):
            tmp.unlink()
        if manifest.get("status") != "complete":
            manifest["resumed"] = manifest.get("resumed", []) + [_now()]
            _write_manifest(out, manifest)
            _layout(out, loaded, points)
        return manifest
    if manifest_path.exists():  # another sweep began here between the check above and the lock
        raise ConfigError(str(given), None, "results directory already exists; add --resume to finish that sweep")
    exp = loaded.experiment
    n_chunks = math.ceil(total / chunk_size)
    manifest = {
        "name": exp.name,
        "description": exp.description,
        "status": "running",
        "experiment_file": loaded.path,
        "experiment_path": str(Path(loaded.path).resolve()),
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
        "inputs": input_hashes(loaded),
        "versions": _versions(),
        "git_commit": _git_commit(),
        "git_dirty": _git_dirty(),
        "started": _now(),
        "sessions": [],
    }
    _write_manifest(out, manifest)
    _layout(out, loaded, points)
    return manifest


def _layout(out: Path, loaded: LoadedExperiment, points: pd.DataFrame) -> None:
    """What follows the manifest (again on a resume: a kill may have come in between)."""
    exp = loaded.experiment
    if not (out / "design.parquet").is_file() or not parquet_is_whole(out / "design.parquet"):
        _atomic_parquet(points, out / "design.parquet")
    try:
        (out / "chunks").mkdir(exist_ok=True)
        for sub in TABLES:
            if getattr(exp.outputs, sub):
                (out / sub).mkdir(exist_ok=True)
    except OSError as exc:
        raise ConfigError(str(out), None, f"cannot create a folder in it ({exc.strerror})") from None
