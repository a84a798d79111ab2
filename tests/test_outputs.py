"""The outputs in one naming scheme (README, "The outputs"): the first-day
columns agree with the per-day tables, both engines give them alike, a sweep
keeps the votes and the stances by day, and the run's JSON, summary_frame()
and a sweep's columns carry the same names."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sim
from sim.batch import run_batch, summary_rows
from sim.experiment import load_results, sweep
from sim.outputs import DAY_LEVELS, DAY_STANCES, STRIKE_LEVELS, theatre_keys
from sim.scenario import LEVELS, STANCES

from .test_engines_property import canonical
from .test_experiment import experiment_text, write_yaml

SEEDS = list(range(40))


def first_day(days: pd.Series, reached: pd.Series):
    """The first day on which ``reached`` holds (None when never)."""
    hit = days[reached.to_numpy()]
    return int(hit.min()) if len(hit) else None


def test_first_days_agree_with_the_per_day_table(paris):
    theatres = theatre_keys(paris)
    assert theatres == {STRIKE_LEVELS[0]: "iraq", STRIKE_LEVELS[1]: "syria"}  # from the scenario's theatres
    results = run_batch([paris] * len(SEEDS), SEEDS, tables=True)
    checked = moved = 0
    for res in results:
        s, ts = res.summary, res.timeseries
        rank = ts["commitment"].cat.codes
        stance = ts["stance"].cat.codes
        for code, rows in ts.groupby("state", observed=True).groups.items():
            day = ts.loc[rows, "day"]
            level = rank.loc[rows]
            for k in DAY_LEVELS:
                assert s[f"commitment_day.{LEVELS[k]}.{code}"] == first_day(day, level >= k)
            for k in STRIKE_LEVELS:
                expected = first_day(day, level >= k)
                assert s[f"strike_day.{theatres[k]}.{code}"] == expected
                moved += expected not in (None, 0)
            assert s[f"strike_day.{code}"] == s[f"strike_day.{theatres[STRIKE_LEVELS[0]]}.{code}"]
            if f"stance.{code}" in s:
                held = stance.loc[rows]
                for k in DAY_STANCES:
                    assert s[f"stance_day.{STANCES[k]}.{code}"] == first_day(day, held >= k)
                assert s["stances_by_day"][code] == ts.loc[rows, "stance"].astype(str).tolist()
            checked += 1
    assert checked == len(SEEDS) * len(paris_codes(results[0])) and moved > 0


def paris_codes(result) -> list[str]:
    return [k.split(".", 1)[1] for k in result.summary if k.startswith("commitment.")]


def test_the_theatres_come_from_the_scenario(paris):
    other = paris.model_copy(update={"theatres": paris.theatres.model_copy(update={"invited": "Mali",
                                                                                    "uninvited": "Burkina Faso"})})
    cols = summary_rows([other], [0]).columns
    assert {"strike_day.mali.FRA", "strike_day.burkina_faso.FRA"} <= set(cols)
    assert not any(".syria." in c or ".iraq." in c for c in cols)


def test_the_engines_agree_on_the_new_columns(paris):
    seeds = [0, 1, 2]
    mesa = pd.DataFrame([sim.run(paris, seed=s, engine="mesa").summary_row() for s in seeds])
    batch = pd.DataFrame([r.summary_row() for r in run_batch([paris] * 3, seeds, tables=True)])
    fast = summary_rows([paris] * 3, seeds)
    pd.testing.assert_frame_equal(mesa, batch)
    new = [c for c in fast.columns if c.split(".", 1)[0] in
           ("commitment_day", "strike_day", "stance_day", "response_day", "response_strike_day", "aircraft",
            "burden_share")]
    assert len(new) > 100
    assert list(fast.columns) == list(mesa.columns)
    assert canonical(fast) == canonical(mesa)


def test_json_frame_and_sweep_columns_have_the_same_names(tmp_path, paris):
    res = sim.run(paris, seed=4)
    written = json.loads((res.write(tmp_path / "run") / "summary.json").read_text())
    scalars = [k for k, v in written.items() if not isinstance(v, (list, dict))]
    assert scalars == list(res.summary_frame().columns) == list(summary_rows([paris], [4]).columns)
    assert set(written) - set(scalars) == {"article4_requests", "votes", "stances_by_day"}
    path = write_yaml(tmp_path / "e.yaml", experiment_text(replicates=1, days=paris.days,
                                                           params={"rules.art5_decision": "[consensus]"}))
    sweep(path, tmp_path / "sweep", workers=1)
    runs = load_results(tmp_path / "sweep")
    head = ["run_id", "point_id", "replicate", "seed", "rules.art5_decision"]
    assert list(runs.columns[:len(head)]) == head
    assert list(runs.columns[len(head):]) == [c for c in scalars if c != "seed"]


@pytest.mark.parametrize("engine", ["batch", "mesa"])
def test_a_sweep_keeps_the_votes_and_the_stances_by_day(tmp_path, engine):
    extra = f"engine: {engine}\noutputs:\n  summary: ['strike_day.*']\n  votes: true\n  stances_by_day: true\n"
    path = write_yaml(tmp_path / "e.yaml", experiment_text(replicates=2, days=25, extra=extra))
    out = tmp_path / "res"
    sweep(path, out, workers=1, chunk_size=3)
    assert len(list((out / "votes").glob("part-*.parquet"))) == 3
    runs = load_results(out)
    votes, stances = runs.votes, runs.stances_by_day
    assert list(votes.columns) == ["run_id", "body", "state", "day", "question", "level", "yes", "no", "passed"]
    assert list(stances.columns) == ["run_id", "day", "state", "stance"]
    assert votes["run_id"].nunique() > 1 and votes["passed"].dtype == bool
    assert set(votes["level"].dropna().astype(str)) <= set(LEVELS)
    for run_id in (0, 5):
        result = sim.experiment.replay(runs, run_id)
        mine = votes[votes["run_id"] == run_id]
        expected = result.summary["votes"]
        assert len(mine) == len(expected) > 0
        for (_, row), v in zip(mine.iterrows(), expected):
            assert (row["body"], row["state"], row["day"], row["question"], row["yes"], row["no"], row["passed"]) == \
                   (v["body"], v["state"], v["day"], v["question"], v["yes"], v["no"], v["passed"])
            assert (None if pd.isna(row["level"]) else str(row["level"])) == v["level"]
        by_day = stances[stances["run_id"] == run_id]
        for code, days in result.summary["stances_by_day"].items():
            assert by_day.loc[by_day["state"] == code, "stance"].astype(str).tolist() == days


def test_votes_only_takes_the_fast_path_and_matches(paris):
    from sim.batch import simulate
    from sim.outputs import summary_table, votes_table

    seeds = list(range(6))
    setup, world, _ = simulate([paris] * 6, seeds, record=False, log=True)
    table = votes_table(setup, world, np.arange(100, 106))
    slow = pd.concat([sim.outputs.votes_frame(r["votes"], 100 + k) for k, r in enumerate(run_batch([paris] * 6, seeds))],
                     ignore_index=True)
    pd.testing.assert_frame_equal(table, slow)
    pd.testing.assert_frame_equal(summary_table(setup, world), summary_rows([paris] * 6, seeds))
