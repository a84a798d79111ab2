"""Experiments: designs, seeds, the results directory, executors, faults, bad files, analysis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

import sim
from sim.errors import ConfigError
from sim.experiment import design_points, load_experiment, load_results, reproduce_command, sweep

from .conftest import PARIS, ROOT, write_yaml

CLI = [sys.executable, "-m", "sim.cli"]


def experiment_text(name="small", kind="grid", samples=None, params=None, replicates=3, days=30, extra=""):
    params = params or {"rules.art5_decision": "[consensus, majority]", "events.0.deaths": "[130, 2000]"}
    lines = [f"name: {name}", f"scenario: {PARIS}", f"days: {days}", f"replicates: {replicates}", "seed: 11",
             "design:", f"  kind: {kind}"]
    if samples:
        lines.append(f"  samples: {samples}")
    lines.append("  parameters:")
    lines += [f"    {k}: {v}" for k, v in params.items()]
    return "\n".join(lines) + "\n" + extra


@pytest.fixture
def small(tmp_path):
    return write_yaml(tmp_path / "small.yaml", experiment_text())


def read_runs(path) -> pd.DataFrame:
    return pd.read_parquet(path / "runs.parquet")


# --------------------------------------------------------------------------
# Designs and columns


@pytest.mark.parametrize("kind,samples,expected", [
    ("grid", None, 2 * 3),
    ("lhs", 7, 7),
    ("sobol", 8, 8 * (2 + 2)),      # Saltelli: N (D + 2) without second order
    ("morris", 5, 5 * (2 + 1)),     # N trajectories of D + 1 points
])
def test_design_sizes(tmp_path, kind, samples, expected):
    params = ({"rules.art5_decision": "{values: [consensus, majority]}", "events.0.deaths": "[130, 500, 3000]"}
              if kind == "grid" else
              {"rules.art5_severity": "{low: 4, high: 10}", "overrides.FRA.autonomy_preference": "{low: 0.1, high: 0.9}"})
    path = write_yaml(tmp_path / "e.yaml", experiment_text(kind=kind, samples=samples, params=params))
    points = design_points(load_experiment(path))
    assert len(points) == expected
    assert list(points.columns) == ["point_id", *params]
    if kind != "grid":
        assert points["rules.art5_severity"].between(4, 10).all()
        assert points["overrides.FRA.autonomy_preference"].between(0.1, 0.9).all()
    else:
        assert set(points["events.0.deaths"]) == {130, 500, 3000}
        assert len(points.drop(columns="point_id").drop_duplicates()) == expected


def test_integer_ranges_and_categorical_in_lhs(tmp_path):
    params = {"rules.vote_delay_min": "{low: 2, high: 9, integer: true}", "rules": "{values: [baseline, realist]}"}
    points = design_points(load_experiment(write_yaml(tmp_path / "e.yaml", experiment_text(kind="lhs", samples=40, params=params))))
    assert points["rules.vote_delay_min"].dtype == np.int64
    assert points["rules.vote_delay_min"].between(2, 9).all()
    assert set(points["rules"]) == {"baseline", "realist"}


def test_results_directory_and_columns(small, tmp_path):
    out = tmp_path / "res"
    report = sweep(small, out, workers=1)
    assert report.runs == 12
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["counts"] == {"points": 4, "replicates": 3, "runs": 12, "chunks": report.chunks,
                                  "chunk_size": manifest["counts"]["chunk_size"], "failed_runs": 0}
    assert manifest["experiment_text"] == small.read_text()
    assert manifest["scenario_sha256"] and manifest["versions"]["mesa"].startswith("3.5")
    assert {"started", "finished", "git_commit"} <= set(manifest)
    assert not (out / "chunks").exists()  # combined into runs.parquet
    runs = read_runs(out)
    assert list(runs.columns[:6]) == ["run_id", "point_id", "replicate", "seed", "rules.art5_decision",
                                      "events.0.deaths"]
    assert runs["run_id"].tolist() == list(range(12))
    assert (runs["point_id"] == runs["run_id"] // 3).all() and (runs["replicate"] == runs["run_id"] % 3).all()
    assert runs["seed"].nunique() == 12
    for col in ("article5_invoked", "article5_day", "strike_day.DNK", "commitment.FRA", "coalition_size"):
        assert col in runs.columns


def test_seeds_come_from_the_master_seed_and_run_index(small, tmp_path):
    sweep(small, tmp_path / "res", workers=1)
    runs = read_runs(tmp_path / "res")
    expected = [np.random.SeedSequence(11, spawn_key=(i,)).generate_state(2, np.uint32) for i in range(12)]
    assert runs["seed"].tolist() == [((int(a) << 32) | int(b)) & ((1 << 63) - 1) for a, b in expected]


def test_a_run_reproduces_from_the_command_line(small, tmp_path):
    sweep(small, tmp_path / "res", workers=1)
    res = load_results(tmp_path / "res")
    row = res[res["run_id"] == 7].iloc[0]
    command = reproduce_command(res, 7).split()
    assert command[:3] == ["coalition-sim", "run", str(PARIS)]
    out = subprocess.run(CLI + command[1:] + ["--json"], capture_output=True, text=True, check=True, cwd=ROOT)
    summary = json.loads(out.stdout)
    assert summary["seed"] == int(row["seed"])
    assert summary["article5_invoked"] == bool(row["article5_invoked"])
    assert summary["coalition_size"] == row["coalition_size"]
    assert summary["commitment.DNK"] == row["commitment.DNK"]
    first = summary["first_allied_strike_day"]
    assert (first is None and pd.isna(row["first_allied_strike_day"])) or first == row["first_allied_strike_day"]


def test_load_results_types(small, tmp_path):
    sweep(small, tmp_path / "res", workers=1)
    res = sim.load_results(tmp_path / "res")
    assert isinstance(res, pd.DataFrame) and len(res) == 12
    assert str(res["article5_day"].dtype) == "Int32"
    assert str(res["strike_day.DNK"].dtype) == "Int32"
    assert isinstance(res["commitment.FRA"].dtype, pd.CategoricalDtype) and res["commitment.FRA"].cat.ordered
    assert isinstance(res["rules.art5_decision"].dtype, pd.CategoricalDtype)
    assert res["article5_invoked"].dtype == bool
    assert res.timeseries is None and res.events is None
    assert len(res.design) == 4 and res.manifest["name"] == "small"
    # Plain pandas from here on.
    table = res.groupby("rules.art5_decision", observed=True)["article5_invoked"].mean()
    assert set(table.index) == {"consensus", "majority"}


def test_kept_outputs_timeseries_and_events(tmp_path):
    extra = "outputs:\n  summary: [article5_invoked, 'strike_day.*']\n  timeseries: true\n  events: true\n"
    path = write_yaml(tmp_path / "e.yaml", experiment_text(replicates=2, days=12, extra=extra))
    out = tmp_path / "res"
    sweep(path, out, workers=1, chunk_size=3)
    res = load_results(out)
    summary_cols = [c for c in res.columns if c not in ("run_id", "point_id", "replicate", "seed",
                                                        "rules.art5_decision", "events.0.deaths")]
    assert summary_cols[0] == "article5_invoked" and all(c.startswith("strike_day.") for c in summary_cols[1:])
    assert len(list((out / "timeseries").glob("part-*.parquet"))) == 3
    assert set(res.timeseries["run_id"]) == set(range(8)) and set(res.events["run_id"]) == set(range(8))
    assert isinstance(res.timeseries["state"].dtype, pd.CategoricalDtype)
    # Each run's tables are those of a single run with its seed.
    row = res[res["run_id"] == 5].iloc[0]
    one = sim.run(sim.load_scenario(PARIS, {"days": 12, "rules.art5_decision": row["rules.art5_decision"],
                                            "events.0.deaths": int(row["events.0.deaths"])}), seed=int(row["seed"]))
    ts = res.timeseries[res.timeseries["run_id"] == 5].drop(columns="run_id").reset_index(drop=True)
    assert ts["commitment"].astype(str).tolist() == one.timeseries["commitment"].astype(str).tolist()
    ev = res.events[res.events["run_id"] == 5]
    assert ev["text"].tolist() == one.events["text"].tolist()


def test_named_states_per_day_series_are_those_rows_of_the_whole_table(tmp_path):
    """``outputs.timeseries: [codes]`` keeps those states' days: the rows of
    the every-state table, the same on the batch engine's fast path (arrays
    to one table per chunk), beside the event log (the per-run path) and on
    the Mesa engine."""
    def kept(name, series, engine="batch", events=False):
        extra = f"outputs:\n  timeseries: {series}\n" + ("  events: true\n" if events else "")
        path = write_yaml(tmp_path / f"{name}.yaml", experiment_text(name=name, replicates=2, days=15, extra=extra))
        sweep(path, tmp_path / name, workers=1, chunk_size=3, engine=engine)
        return load_results(tmp_path / name).timeseries

    whole = kept("whole", "true")
    named = kept("named", "[DNK, GBR]")
    expected = whole[whole["state"].isin(["DNK", "GBR"])].reset_index(drop=True)
    assert len(named) == 8 * 15 * 2 and list(named.columns) == list(whole.columns)
    pd.testing.assert_frame_equal(named, expected)
    pd.testing.assert_frame_equal(kept("per_run", "[GBR, DNK]", events=True), expected)
    pd.testing.assert_frame_equal(kept("mesa", "[DNK, GBR]", engine="mesa"), expected)


# --------------------------------------------------------------------------
# Same results whatever runs them


def test_one_and_two_workers_and_the_mesa_engine_agree(small, tmp_path):
    sweep(small, tmp_path / "one", workers=1)
    sweep(small, tmp_path / "two", workers=2, chunk_size=2)
    sweep(small, tmp_path / "mesa", workers=1, engine="mesa", chunk_size=5)
    one = read_runs(tmp_path / "one")
    pd.testing.assert_frame_equal(one, read_runs(tmp_path / "two"))
    pd.testing.assert_frame_equal(one, read_runs(tmp_path / "mesa"))


def test_dask_local_cluster_gives_the_same_results(small, tmp_path):
    distributed = pytest.importorskip("distributed")
    sweep(small, tmp_path / "local", workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        report = sweep(small, tmp_path / "dask", scheduler=cluster.scheduler_address, chunk_size=2)
    assert "Dask" in report.backend
    pd.testing.assert_frame_equal(read_runs(tmp_path / "local"), read_runs(tmp_path / "dask"))


def slow_experiment(tmp_path):
    """A sweep slow enough to interrupt: Mesa engine, two runs per chunk."""
    return write_yaml(tmp_path / "slow.yaml", experiment_text(name="slow", replicates=10, days=40,
                                                             extra="engine: mesa\nchunk_size: 2\n"))


def wait_for_chunks(folder, count, proc=None, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if folder.is_dir() and len(list(folder.glob("chunk-*.parquet"))) >= count:
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the sweep ended early: {proc.returncode}")
        time.sleep(0.05)
    raise AssertionError("no chunk was written in time")


def test_a_killed_sweep_resumes_to_identical_results(tmp_path):
    path = slow_experiment(tmp_path)
    sweep(path, tmp_path / "whole", workers=1)
    out = tmp_path / "killed"
    proc = subprocess.Popen(CLI + ["sweep", str(path), "--out", str(out), "--workers", "2", "--quiet"],
                            cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_chunks(out / "chunks", 3, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    kept = len(list((out / "chunks").glob("chunk-*.parquet")))
    assert 3 <= kept < 20 and not (out / "runs.parquet").exists()
    done = subprocess.run(CLI + ["sweep", str(path), "--out", str(out), "--resume"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"{20 - kept} of 20 chunks run now" in done.stdout
    pd.testing.assert_frame_equal(read_runs(tmp_path / "whole"), read_runs(out))
    again = subprocess.run(CLI + ["sweep", str(path), "--out", str(out), "--resume"], cwd=ROOT,
                           capture_output=True, text=True)
    assert again.returncode == 0 and "already complete" in again.stdout


def test_an_interrupted_sweep_says_how_to_resume(tmp_path):
    # Long enough (about 20 s of runs) that the interrupt always comes
    # before the end: the ten-run sweep could finish between the first chunk
    # and the signal.
    path = write_yaml(tmp_path / "slower.yaml", experiment_text(name="slower", replicates=200, days=120,
                                                                extra="engine: mesa\nchunk_size: 2\n"))
    out = tmp_path / "int"
    proc = subprocess.Popen(CLI + ["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_chunks(out / "chunks", 1, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "--resume" in err and "Traceback" not in err
    assert not list(out.rglob("*.tmp"))


def test_a_dead_dask_worker_does_not_lose_runs(tmp_path):
    distributed = pytest.importorskip("distributed")
    path = slow_experiment(tmp_path)
    sweep(path, tmp_path / "whole", workers=1)
    out = tmp_path / "dask"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        errors = []

        def go():
            try:
                sweep(path, out, scheduler=cluster.scheduler_address)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        thread = threading.Thread(target=go)
        thread.start()
        wait_for_chunks(out / "chunks", 2)
        os.kill(pids[0], signal.SIGKILL)  # a worker dies with chunks in hand
        thread.join(timeout=300)
        assert not thread.is_alive() and not errors
    pd.testing.assert_frame_equal(read_runs(tmp_path / "whole"), read_runs(out))


# --------------------------------------------------------------------------
# Refusals and bad files


def test_an_existing_directory_is_not_mixed(small, tmp_path):
    out = tmp_path / "res"
    sweep(small, out, workers=1)
    with pytest.raises(ConfigError, match="already exists"):
        sweep(small, out, workers=1)
    other = write_yaml(tmp_path / "other.yaml", small.read_text().replace("seed: 11", "seed: 12"))
    with pytest.raises(ConfigError, match="different experiment"):
        sweep(other, out, workers=1, resume=True)


BAD = [
    ("replicates: 3", "replicates: 0", "replicates", "greater than or equal to 1"),
    ("seed: 11", "seed: 11\nsead: 3", "sead", "unknown key 'sead'"),
    ("  kind: grid", "  kind: latin", "design.kind", "'grid', 'lhs', 'sobol' or 'morris'"),
    ("  kind: grid", "  kind: lhs", "design.samples", "needs a number of samples"),
    ("rules.art5_decision: [consensus, majority]", "rules.art5_decison: [consensus, majority]",
     "design.parameters.rules.art5_decison", "art5_decision"),
    ("events.0.deaths: [130, 2000]", "events.0.deaths: {low: 5, high: 1}", "design.parameters.events.0.deaths",
     "must be below high"),
    ("events.0.deaths: [130, 2000]", "events.0.deaths: [130, -4]", "design.parameters.events.0.deaths",
     "value -4"),
    ("rules.art5_decision: [consensus, majority]", "overrides.XXX.public_support: [0.1]",
     "design.parameters.overrides.XXX.public_support", "XXX"),
    (f"scenario: {PARIS}", "scenario: nowhere.yaml", "scenario", "not found"),
    ("days: 30", "days: 30\noutputs:\n  summary: [article5_invokd]", "outputs.summary.0", "article5_invoked"),
    ("days: 30", "days: 30\noutputs:\n  timeseries: [GBR, DMK]", "outputs.timeseries.1", "DNK"),
    ("days: 30", "days: 30\noutputs:\n  timeseries: []", "outputs.timeseries", "at least one state"),
]


@pytest.mark.parametrize("old,new,key,message", BAD)
def test_bad_experiment_files_exit_2_with_one_line(tmp_path, old, new, key, message):
    text = experiment_text()
    assert old in text
    path = write_yaml(tmp_path / "bad.yaml", text.replace(old, new))
    out = tmp_path / "res"
    for verb in (["check", str(path)], ["sweep", str(path), "--out", str(out)]):
        proc = subprocess.run(CLI + verb, capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in proc.stderr
        assert lines[0].startswith(f"coalition-sim: {path}: {key}:"), lines[0]
        assert message in lines[0]
    assert not out.exists()


def test_the_repository_experiments_are_valid():
    paths = sorted((ROOT / "experiments").glob("*.yaml"))
    assert {p.stem for p in paths} >= {"paris_art5_counterfactual", "denmark_parliament", "paris_sobol"}
    proc = subprocess.run(CLI + ["check", *map(str, paths)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    for p in paths:
        assert p.read_text().startswith("#"), f"{p.name} should open with the question it asks"


# --------------------------------------------------------------------------
# Sensitivity and the command line


def test_analyze_sobol_and_morris(tmp_path):
    params = {"rules.obligation_weight": "{low: 0.2, high: 3.0}", "rules.threat_weight": "{low: 0.5, high: 4.0}"}
    for kind, samples in (("sobol", 16), ("morris", 6)):
        path = write_yaml(tmp_path / f"{kind}.yaml", experiment_text(
            name=kind, kind=kind, samples=samples, params=params, replicates=2, days=40,
            extra="common_random_numbers: true\n"))
        out = tmp_path / kind
        sweep(path, out, workers=1)
        proc = subprocess.run(CLI + ["analyze", str(out)], capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        table = pd.read_csv(out / "sensitivity.csv")
        assert set(table["parameter"]) == set(params)
        assert (table["method"] == kind).all()
        cols = ["S1", "S1_conf", "ST", "ST_conf"] if kind == "sobol" else ["mu_star", "mu_star_conf", "sigma"]
        assert table[cols].notna().all().all()
        # The weight of threat drives who steps up to strikes: it must matter for new strikers.
        block = table[(table["output"] == "new_strikers")].set_index("parameter")
        key = "ST" if kind == "sobol" else "mu_star"
        assert block.loc["rules.threat_weight", key] > 0.05
        first = (out / "sensitivity.csv").read_text()
        again = subprocess.run(CLI + ["analyze", str(out)], capture_output=True, text=True, cwd=ROOT)
        assert again.returncode == 0 and (out / "sensitivity.csv").read_text() == first  # seeded bootstrap
        assert "new_strikers" in proc.stdout and "Wrote" in proc.stdout
        assert "article5_invoked: skipped" in proc.stdout  # it does not vary over this design


def test_common_random_numbers_share_seeds_across_points(small, tmp_path):
    path = write_yaml(tmp_path / "crn.yaml", small.read_text() + "common_random_numbers: true\n")
    sweep(path, tmp_path / "res", workers=1)
    runs = read_runs(tmp_path / "res")
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()
    assert runs.groupby("point_id")["seed"].nunique().eq(3).all()


def test_sweep_command_line_plain_progress(small, tmp_path):
    proc = subprocess.run(CLI + ["sweep", str(small), "--out", str(tmp_path / "res"), "--workers", "1"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "12/12 runs (100%)" in proc.stderr and "\r" not in proc.stderr
    assert "Wrote" in proc.stdout
    quiet = subprocess.run(CLI + ["sweep", str(small), "--out", str(tmp_path / "q"), "--workers", "1", "--quiet"],
                           capture_output=True, text=True, cwd=ROOT)
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""


def test_summary_field_names_match_the_summary_table(paris):
    from sim.batch import summary_rows
    from sim.experiment import SUMMARY_FIELDS, summary_names

    columns = [c for c in summary_rows([paris], [0]).columns if c != "seed"]
    assert [c for c in columns if "." not in c] == list(SUMMARY_FIELDS)
    assert columns == summary_names(paris)


def test_an_unreachable_scheduler_leaves_nothing_behind(small, tmp_path, monkeypatch):
    import socket

    import sim.experiment

    monkeypatch.setattr(sim.experiment.executors, "SCHEDULER_TIMEOUT", "1s")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler"):
        sweep(small, tmp_path / "res", scheduler=f"tcp://127.0.0.1:{port}")
    assert not (tmp_path / "res").exists()
