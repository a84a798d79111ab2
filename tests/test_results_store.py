"""Results folders that cannot be lost or mixed: claims, the lock, checked
chunks, kills at any moment, damaged files, a full disk, sizes, provenance,
replays (sim.experiment.folders, .store, .sweeps)."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import time

import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.errors import ConfigError
from sim.experiment import FolderLock, design_points, design_size, load_experiment, sweep

from .conftest import PARIS, ROOT, write_yaml
from .test_experiment import CLI, experiment_text, read_runs


def small_exp(tmp_path, **kw):
    kw.setdefault("replicates", 3)
    kw.setdefault("days", 20)
    return write_yaml(tmp_path / "small.yaml", experiment_text(**kw))


class Stop(Exception):
    pass


def interrupted(path, out, after_runs, **kw):
    """A sweep stopped (in this process) once ``after_runs`` runs are saved."""
    def progress(done, total):
        if done >= after_runs:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        sweep(path, out, workers=1, progress=progress, **kw)


# --------------------------------------------------------------------------
# Errors cross processes


def test_config_error_pickles_whole():
    err = ConfigError("a.yaml", "rules.x", "must be below 3")
    back = pickle.loads(pickle.dumps(err))
    assert (back.file, back.key, back.message, str(back)) == (err.file, err.key, err.message, str(err))


# --------------------------------------------------------------------------
# Output folders


def test_run_out_never_touches_what_it_did_not_write(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "thesis"
    (folder / "chapter").mkdir(parents=True)
    (folder / "thesis.txt").write_text("years of work")
    assert main(["run", str(PARIS), "--days", "20", "--out", str(folder), "--json"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "not empty" in err
    assert (folder / "thesis.txt").read_text() == "years of work" and (folder / "chapter").is_dir()
    assert sorted(p.name for p in folder.iterdir()) == ["chapter", "thesis.txt"]
    # Its own output it may write again; an empty working folder is fine as "."
    own = tmp_path / "own"
    assert main(["run", str(PARIS), "--days", "20", "--out", str(own), "--json"]) == 0
    assert main(["run", str(PARIS), "--days", "20", "--out", str(own), "--json", "--seed", "2"]) == 0
    assert json.loads((own / "summary.json").read_text())["seed"] == 2
    (own / "notes.txt").write_text("mine")
    assert main(["run", str(PARIS), "--days", "20", "--out", str(own), "--json"]) == 2
    assert (own / "notes.txt").read_text() == "mine"
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    capsys.readouterr()
    assert main(["run", str(PARIS), "--days", "20", "--out", ".", "--json"]) == 0
    assert (empty / "summary.json").is_file()
    monkeypatch.chdir(folder)
    assert main(["run", str(PARIS), "--days", "20", "--out", ".", "--json"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_claim_output_dir_for_the_report(tmp_path):
    from sim.experiment import claim_output_dir

    out = claim_output_dir(tmp_path / "rep", "report", replace=True, files={"index.html"})
    (out / "index.html").write_text("x")
    assert claim_output_dir(tmp_path / "rep", "report", replace=True, files={"index.html"}) == out
    with pytest.raises(ConfigError, match="previous report output"):
        claim_output_dir(tmp_path / "rep", "sweep")
    (out / "mine.txt").write_text("y")
    with pytest.raises(ConfigError, match="did not write"):
        claim_output_dir(tmp_path / "rep", "report", replace=True, files={"index.html"})


def test_a_second_writer_is_refused_naming_the_holder(tmp_path):
    path = small_exp(tmp_path)
    out = tmp_path / "res"
    out.mkdir()
    with FolderLock(out):
        with pytest.raises(ConfigError, match=rf"another sweep is writing this folder \(pid {os.getpid()} on "):
            sweep(path, out, workers=1)
    assert not (out / "manifest.json").exists()
    sweep(path, out, workers=1)  # the lock is gone with its holder
    assert (out / "runs.parquet").is_file()


# --------------------------------------------------------------------------
# Chunks checked; damaged files named; resumes exact


def test_a_damaged_chunk_is_run_again_on_resume(tmp_path):
    path = small_exp(tmp_path, extra="chunk_size: 2\noutputs:\n  timeseries: true\n")
    sweep(path, tmp_path / "whole", workers=1)
    out = tmp_path / "cut"
    interrupted(path, out, 6)
    chunks = sorted((out / "chunks").glob("chunk-*.parquet"))
    assert len(chunks) == 3 and not list(out.rglob("*.tmp"))
    data = chunks[1].read_bytes()
    chunks[1].write_bytes(data[: len(data) // 2])  # as a crash in the middle of a write would
    report = sweep(path, out, workers=1, resume=True)
    assert report.ran_chunks == 4
    pd.testing.assert_frame_equal(read_runs(tmp_path / "whole"), read_runs(out))
    whole, cut = sim.load_results(tmp_path / "whole"), sim.load_results(out)
    pd.testing.assert_frame_equal(whole.timeseries, cut.timeseries)
    manifest = cut.manifest
    assert [s["status"] for s in manifest["sessions"]] == ["stopped", "complete"]
    assert all(s["seconds"] >= 0 for s in manifest["sessions"]) and len(manifest["resumed"]) == 1


def test_truncated_manifest_and_runs_are_named(tmp_path, capsys):
    path = small_exp(tmp_path, extra="chunk_size: 4\n")
    out = tmp_path / "res"
    interrupted(path, out, 4)
    manifest = out / "manifest.json"
    text = manifest.read_text()
    manifest.write_text(text[:50])
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "manifest.json" in err and "Traceback" not in err
    manifest.write_text(text)  # restored: the folder is still resumable
    sweep(path, out, workers=1, resume=True)
    runs = out / "runs.parquet"
    data = runs.read_bytes()
    runs.write_bytes(data[: len(data) // 3])
    with pytest.raises(ConfigError, match="runs.parquet"):
        sim.load_results(out)


def test_resume_refuses_after_the_states_table_changed(tmp_path):
    states = tmp_path / "states.csv"
    states.write_text((ROOT / "configs" / "states" / "states.csv").read_text())
    scenario = write_yaml(tmp_path / "paris.yaml", PARIS.read_text() + f"\nstates: {states}\n")
    path = write_yaml(tmp_path / "e.yaml", experiment_text(days=20, replicates=3, extra="chunk_size: 4\n")
                      .replace(f"scenario: {PARIS}", f"scenario: {scenario}"))
    out = tmp_path / "res"
    interrupted(path, out, 4)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"][str(states.resolve())] and manifest["git_dirty"] in (True, False, None)
    assert manifest["sessions"][0]["workers"] == {"kind": "in-process", "count": 1}
    assert "numpy" in manifest["versions"] and "python" in manifest["versions"]
    states.write_text(states.read_text().replace("\n", "\n", 1) + "\n")
    with pytest.raises(ConfigError, match="states.csv.*has changed"):
        sweep(path, out, workers=1, resume=True)


# --------------------------------------------------------------------------
# Sizes before anything is allocated


def test_design_sizes_are_known_without_building_the_design(tmp_path):
    params = {"rules.art5_severity": "{low: 4, high: 10}", "overrides.FRA.autonomy_preference": "{low: 0.1, high: 0.9}",
              "rules": "{values: [baseline, realist]}"}
    for kind, extra in (("sobol", ""), ("sobol", "  second_order: true\n"), ("morris", ""), ("lhs", "")):
        text = experiment_text(kind=kind, samples=4, params=params).replace("  parameters:", extra + "  parameters:")
        loaded = load_experiment(write_yaml(tmp_path / "e.yaml", text))
        assert design_size(loaded.experiment.design) == len(design_points(loaded)), kind


def test_a_design_too_large_is_refused_in_one_line(tmp_path, capsys):
    params = {f"overrides.{c}.public_support": "[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]"
              for c in ("DNK", "FRA", "DEU", "GBR", "NLD", "BEL", "ITA", "ESP", "POL", "NOR")}
    big = write_yaml(tmp_path / "big.yaml", experiment_text(params=params, replicates=1))
    t0 = time.perf_counter()
    assert main(["sweep", str(big), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert "10,000,000,000 runs" in err and "limit" in err and len(err.splitlines()) == 1
    assert time.perf_counter() - t0 < 30 and not (tmp_path / "r").exists()
    small = small_exp(tmp_path)
    assert main(["sweep", str(small), "--out", str(tmp_path / "s"), "--max-runs", "5"]) == 2
    assert "12 runs" in capsys.readouterr().err


def test_the_first_line_states_runs_chunks_and_time(tmp_path):
    path = small_exp(tmp_path, extra="chunk_size: 5\n")
    done = subprocess.run(CLI + ["sweep", str(path), "--out", str(tmp_path / "r"), "--workers", "1"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert "12 runs in 3 chunks" in first and " s" in first


# --------------------------------------------------------------------------
# Kill -9 at any moment, workers with it


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


@pytest.mark.parametrize("moment", ["folder", "manifest", "chunks"])
def test_kill_9_at_any_moment_resumes_to_identical_results(tmp_path, moment):
    path = write_yaml(tmp_path / "k.yaml", experiment_text(name="k", replicates=6, days=25,
                                                           extra="chunk_size: 2\noutputs:\n  timeseries: true\n"))
    out = tmp_path / "killed"
    workers = "2" if moment == "chunks" else "1"
    proc = subprocess.Popen(CLI + ["sweep", str(path), "--out", str(out), "--workers", workers, "--quiet"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready = {"folder": lambda: out.is_dir(), "manifest": lambda: (out / "manifest.json").is_file(),
             "chunks": lambda: len(list((out / "chunks").glob("chunk-*.parquet"))) >= 1 if (out / "chunks").is_dir() else False}
    deadline = time.monotonic() + 180
    while not ready[moment]() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    kids = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)  # the sweep only: its workers must end by themselves
    proc.wait()
    if moment == "chunks":
        deadline = time.monotonic() + 15
        while any(_alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [k for k in kids if _alive(k)], "pool workers outlived their sweep"
    sweep(path, out, workers=1, resume=True)
    sweep(path, tmp_path / "whole", workers=1)
    pd.testing.assert_frame_equal(read_runs(tmp_path / "whole"), read_runs(out))
    pd.testing.assert_frame_equal(sim.load_results(tmp_path / "whole").timeseries, sim.load_results(out).timeseries)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_full_disk_is_one_line_and_the_folder_resumes(tmp_path):
    path = small_exp(tmp_path, extra="chunk_size: 2\noutputs:\n  timeseries: true\n")
    out = tmp_path / "full"
    command = " ".join(CLI + ["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"])
    done = subprocess.run(["bash", "-c", f"ulimit -f 64; exec {command}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    err = done.stderr.strip()
    assert len(err.splitlines()) == 1 and "cannot write" in err and "Traceback" not in err
    sweep(path, out, workers=1, resume=True)
    sweep(path, tmp_path / "whole", workers=1)
    pd.testing.assert_frame_equal(read_runs(tmp_path / "whole"), read_runs(out))


# --------------------------------------------------------------------------
# Replays


def test_replay_returns_the_run(tmp_path):
    path = small_exp(tmp_path)
    sweep(path, tmp_path / "r", workers=1)
    res = sim.load_results(tmp_path / "r")
    result = sim.replay(res, 7)
    row = res[res["run_id"] == 7].iloc[0]
    assert isinstance(result, sim.RunResult)
    assert result.summary["seed"] == int(row["seed"])
    assert result.summary["coalition_size"] == row["coalition_size"]
    assert result.summary["commitment.DNK"] == row["commitment.DNK"]
    assert len(result.timeseries) > 0


# --------------------------------------------------------------------------
# Failed runs are data


def test_failing_points_are_recorded_and_the_sweep_finishes(tmp_path, capsys):
    params = {"rules.vote_delay_min": "{low: 2, high: 21, integer: true}",
              "rules.vote_delay_max": "{low: 5, high: 30, integer: true}"}
    path = write_yaml(tmp_path / "e.yaml", experiment_text(kind="lhs", samples=12, params=params, replicates=2,
                                                           days=20, extra="chunk_size: 4\n"))
    points = design_points(load_experiment(path))
    bad = set(points.loc[points["rules.vote_delay_max"] < points["rules.vote_delay_min"], "point_id"])
    assert bad and len(bad) < 12
    assert main(["sweep", str(path), "--out", str(tmp_path / "r"), "--workers", "2", "--quiet"]) == 1
    res = sim.load_results(tmp_path / "r")
    failures = res.failures
    assert set(failures["point_id"]) == bad and len(failures) == 2 * len(bad)
    assert set(failures["error"]) == {"ConfigError"}
    assert failures["message"].str.contains("vote_delay_max").all() and failures["traceback"].str.len().gt(0).all()
    assert set(res["point_id"]) == set(range(12)) - bad
    assert res.manifest["counts"]["failed_runs"] == len(failures)
    assert main(["sweep", str(path), "--out", str(tmp_path / "s"), "--workers", "1", "--quiet",
                 "--max-failures", "0"]) == 2
    assert "--max-failures 0" in capsys.readouterr().err


def test_runs_parquet_gathers_chunks_into_row_groups(tmp_path, monkeypatch):
    """runs.parquet takes several chunks a row group (the writer holds every
    row group's metadata until it closes); the runs are those of a file
    written a chunk at a time."""
    import pyarrow.parquet as pq

    from sim.experiment import store

    path = small_exp(tmp_path, extra="chunk_size: 2\n")
    monkeypatch.setattr(store, "COMBINE_ROWS", 1)
    sweep(path, tmp_path / "each", workers=1)
    monkeypatch.setattr(store, "COMBINE_ROWS", 5)
    sweep(path, tmp_path / "gathered", workers=1)
    each, gathered = (pq.ParquetFile(tmp_path / name / "runs.parquet") for name in ("each", "gathered"))
    assert each.metadata.num_rows == gathered.metadata.num_rows == 12  # 6 chunks of 2 runs
    assert each.metadata.num_row_groups == 6 and gathered.metadata.num_row_groups == 2
    pd.testing.assert_frame_equal(read_runs(tmp_path / "each"), read_runs(tmp_path / "gathered"))
