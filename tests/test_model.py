"""The model's mechanisms, each on a small hand-made world, and determinism."""

import json

import numpy as np
import pandas as pd
import pytest

import sim
from sim import rules as R
from sim.batch import run_batch

from .conftest import write_yaml

SCENARIO = """\
name: mini
title: A small world
start_date: {date}
days: {days}
states: {states}
theatres: {{adversary: the group, invited: Hostland, uninvited: Farland, hosts: [HHH]}}
commitments: {commitments}
stances: {{RRR: oppose}}
rules: {rules}
overrides: {overrides}
events:
  - day: 0
    kind: {kind}
    target: {target}
    perpetrator: {perpetrator}
    perpetrator_kind: {perpetrator_kind}
    deaths: {deaths}
    injured: 0
"""


def mini(tmp_path, states, name="s", **kw):
    params = dict(date="2015-11-13", days=60, states=states, commitments="{}", rules="baseline",
                  overrides="{}", kind="terror_attack", target="AAA", perpetrator="the group",
                  perpetrator_kind="non_state", deaths=300)
    params.update(kw)
    return sim.load_scenario(write_yaml(tmp_path / f"{name}.yaml", SCENARIO.format(**params)))


def test_one_agent_per_state_of_the_date(tmp_path, mini_states):
    early = sim.CoalitionModel(mini(tmp_path, mini_states, date="2001-09-11"), seed=1)
    late = sim.CoalitionModel(mini(tmp_path, mini_states, "late", date="2015-11-13"), seed=1)
    # DDD joined NATO in 2004: not a state of the 2001 scenario.
    assert "DDD" not in early.agent_by_code and len(early.agents) == 5
    assert len(late.agents) == 6 and late.agent_by_code["DDD"].is_nato
    assert early.agent_by_code["AAA"].is_eu and not early.agent_by_code["CCC"].is_eu


def test_same_seed_same_frames_other_seeds_differ(paris):
    a, b = sim.run(paris, seed=7), sim.run(paris, seed=7)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert a.summary == b.summary
    others = [sim.run(paris, seed=s).events["text"].tolist() for s in range(8, 14)]
    assert any(o != a.events["text"].tolist() for o in others)


def test_mesa_and_batch_engines_agree(paris):
    seeds = list(range(12))
    batch = run_batch([paris] * len(seeds), seeds, tables=True)
    for seed, b in zip(seeds, batch):
        m = sim.run(paris, seed=seed, engine="mesa")
        assert m.summary == b.summary
        pd.testing.assert_frame_equal(m.events, b.events)
        pd.testing.assert_frame_equal(m.timeseries, b.timeseries)
    # A run's result does not depend on its batch-mates.
    alone = run_batch([paris], [5])[0]
    assert alone == batch[5].summary


def test_tables_have_the_documented_columns(paris):
    res = sim.run(paris, seed=3)
    n_states = len([k for k in res.summary if k.startswith("commitment.")])
    assert len(res.timeseries) == paris.days * n_states
    for col in ("day", "date", "state", "commitment", "threat"):
        assert col in res.timeseries
    assert isinstance(res.timeseries["state"].dtype, pd.CategoricalDtype)
    assert res.timeseries["commitment"].cat.ordered
    for key in ("seed", "article4_requests", "article5_invoked", "article5_day", "eu_42_7_invoked", "eu_42_7_day",
                "un_resolution_day", "votes", "coalition_size", "strike_capacity", "stances_by_day"):
        assert key in res.summary
    # Every state the scenario gives a stance, and no other, has a stance each day.
    stances = {k.split(".", 1)[1]: v for k, v in res.summary.items() if k.startswith("stance.")}
    given = set(stances)
    assert given == set(res.summary["stances_by_day"]) and given
    assert all(len(days) == paris.days for days in res.summary["stances_by_day"].values())
    assert all(days[-1] == stances[code] for code, days in res.summary["stances_by_day"].items())
    assert set(res.states_frame().columns) >= {"commitment", "strike_day", "response_strike_day", "response_day"}
    assert res.narrative()[0].startswith("Day 0 (13 Nov 2015): ")
    assert len(res.summary_frame()) == 1
    assert json.loads(json.dumps(res.summary)) == res.summary


def test_failed_vote_blocks_the_commitment(tmp_path, mini_states):
    # BBB needs a prior vote for any deployment; its chamber will not give one.
    common = dict(overrides="{BBB: {threat_perception: 1.0, casualty_aversion: 0.0, public_support: 0.9}}",
                  deaths=3000, rules="{review_rate: 0.3, temperature: 0.05}")
    hostile = mini(tmp_path, mini_states, "h",
                   **{**common, "overrides": "{BBB: {threat_perception: 1.0, casualty_aversion: 0.0, "
                      "public_support: 0.0, opposition_seats: 200, opposition_position: -1}}"})
    friendly = mini(tmp_path, mini_states, "f", **{**common, "overrides": common["overrides"][:-2]
                                                   + ", government_seats: 200, government_position: 1}}"})
    failed = passed = 0
    for seed in range(20):
        h = sim.run(hostile, seed=seed, engine="batch")
        votes = [v for v in h.summary["votes"] if v["state"] == "BBB"]
        failed += sum(not v["passed"] for v in votes)
        assert all(not v["passed"] for v in votes)
        assert h.summary["commitment.BBB"] in ("none", "political")
        f = sim.run(friendly, seed=seed, engine="batch")
        passed += sum(v["passed"] for v in f.summary["votes"] if v["state"] == "BBB")
    assert failed > 0 and passed > 0


def test_levels_that_need_a_vote_come_after_one(paris):
    for seed in range(40):
        res = sim.run(paris, seed=seed, engine="batch")
        ev = res.events
        for code in res.states_frame().index:
            moved = ev[(ev["state"] == code) & (ev["kind"] == "commitment")]
            for _, row in moved.iterrows():
                if "in Syria" not in row["text"] or code not in ("GBR", "DNK", "DEU"):
                    continue
                approved = ev[(ev["state"] == code) & (ev["kind"] == "parliament_vote")
                              & ev["text"].str.contains("approves") & (ev["day"] <= row["day"])]
                assert len(approved), (seed, code, row["text"])


def test_only_eu_members_are_asked_under_42_7(tmp_path, mini_states):
    # CCC is in NATO but not in the EU: it can never invoke 42.7, AAA can.
    on_ccc = mini(tmp_path, mini_states, "c", target="CCC", deaths=5000,
                  rules="{eu427_bias: 10}")
    on_aaa = mini(tmp_path, mini_states, "a", target="AAA", deaths=5000, rules="{eu427_bias: 10}")
    for seed in range(10):
        assert not sim.run(on_ccc, seed=seed, engine="batch").summary["eu_42_7_requested"]
        res = sim.run(on_aaa, seed=seed, engine="batch")
        assert res.summary["eu_42_7_invoked"]
        decisions = res.events[res.events["kind"] == "eu_42_7_decision"]
        # The Council's vote counts the other EU member only (BBB).
        assert "unanimously" in decisions["text"].iloc[0]
    before_lisbon = mini(tmp_path, mini_states, "old", date="2005-01-01", deaths=5000, rules="{eu427_bias: 10}")
    assert not sim.run(before_lisbon, seed=0, engine="batch").summary["eu_42_7_requested"]


def test_article5_consensus_blocked_by_one_but_majority_passes(tmp_path, mini_states):
    # AAA is attacked and asks. Affinity to AAA: BBB (EU, border) > CCC > DDD
    # (aligned against the West). With these weights BBB and CCC assent and
    # DDD always objects.
    rules = "{{art5_bias: 30, assent_bias: -70, assent_affinity: 100, assent_severity: 0, art5_decision: {rule}}}"
    outcome = {}
    for rule in ("consensus", "majority", "qualified_majority"):
        sc = mini(tmp_path, mini_states, rule, rules=rules.format(rule=rule), deaths=3000,
                  overrides="{DDD: {west_alignment: -1.0}}")
        res = sim.run(sc, seed=1, engine="batch")
        assert res.summary["article5_requested"]
        vote = [v for v in res.summary["votes"] if v["body"] == "North Atlantic Council"][0]
        assert (vote["yes"], vote["no"]) == (2, 1)
        outcome[rule] = res.summary["article5_invoked"]
    assert outcome == {"consensus": False, "majority": True, "qualified_majority": True}


def test_art4_by_neighbours_of_an_invaded_non_member(tmp_path, mini_states):
    # RRR invades HHH's neighbour? Here: RRR threatens CCC's neighbourhood by invading BBB's neighbour.
    sc = mini(tmp_path, mini_states, "inv", kind="invasion", target="HHH", perpetrator="RRR",
              perpetrator_kind="state", deaths=0)
    requests = [tuple(r["state"] for r in sim.run(sc, seed=s, engine="batch").summary["article4_requests"])
                for s in range(40)]
    asked = {c for r in requests for c in r}
    # Only CCC borders the invader; nobody borders HHH.
    assert asked <= {"CCC"}
    assert "CCC" in asked


def test_autonomy_and_severity_move_article4_and_5(paris):
    def rate(sc):
        runs = run_batch([sc] * 200, list(range(200)))
        return np.mean([bool(r["article4_requests"]) or r["article5_requested"] for r in runs])

    base = rate(paris)
    low_autonomy = rate(sim.load_scenario(paris.source_path, ["overrides.FRA.autonomy_preference=0.05"]))
    severe = rate(sim.load_scenario(paris.source_path, ["events.0.deaths=3000", "events.0.injured=8000"]))
    print(f"P(France asks NATO: Art. 4 or 5): baseline {base:.3f}, low autonomy {low_autonomy:.3f}, severe {severe:.3f}")
    assert low_autonomy > base
    assert severe > base


def test_level_utility_terms_sum_to_the_utility_bit_for_bit(paris):
    import numpy as np

    from sim import rules as R
    from sim.process import commitments
    from sim.process.common import pick_rules

    model = sim.CoalitionModel(paris, 2)
    for _ in range(15):
        model.step()
    s, w = model.setup, model.world
    r, i = np.nonzero(np.broadcast_to(s.active, (1, len(s.codes))))
    rules = pick_rules(s, r)
    args = commitments.utility_inputs(s, w, model.day, r, i, rules)
    util = R.level_utilities(**args, rules=rules)
    terms, parts = R.level_utility_terms(**args, rules=rules)
    total = terms["benefit"]
    for name in R.LEVEL_TERMS[1:]:
        total = total + terms[name]
    allowed = np.isfinite(util)
    assert allowed.sum() > len(r)
    assert np.array_equal(total[allowed], util[allowed])  # bit for bit
    drive = parts["threat"] + parts["obligation"] + parts["solidarity"]
    assert np.allclose(drive, terms["benefit"], rtol=1e-12, atol=1e-15)


def test_an_agent_explains_its_open_decisions(paris):
    model = sim.CoalitionModel(paris, 1)
    for _ in range(12):
        model.step()
    seen_vote = False
    for agent in model.agents:
        e = agent.explain()
        assert e["state"] == agent.iso3 and e["day"] == model.day
        if e["commitment"] is not None:
            assert e["commitment"][0]["level"] == agent.commitment
            assert abs(sum(o["probability"] for o in e["commitment"]) - 1) < 1e-9
            for o in e["commitment"]:
                t = o["terms"]
                parts = t["threat"] + t["obligation"] + t["solidarity"]
                rest = sum(t[k] for k in R.LEVEL_TERMS[1:])
                assert abs(parts + rest - o["utility"]) < 1e-9
        if e["pending"] and e["pending"]["kind"] == "vote":
            seen_vote = True
            assert 0.0 <= e["pending"]["pass_probability"] <= 1.0
            assert agent.pending == f"vote on {e['pending']['level']}"
    assert seen_vote, "by day 12 of Paris seed 1 some government awaits a vote"
    hosts = [a for a in model.agents if not model.setup.active[a.index]]
    assert hosts and all(a.explain()["commitment"] is None for a in hosts)
