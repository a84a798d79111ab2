"""Property: the batch engine and the Mesa engine give identical runs.

Hypothesis draws scenarios (dates from 1999 to 2026, so different
memberships; events of every kind against members and non-members; presets,
Article 5 decision rules, weights) and seeds. CI runs a bounded number of
examples; `pytest tests/test_engines_property.py --property-examples 500`
runs a larger search.
"""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import sim
from sim.batch import run_batch, summary_rows
from sim.scenario import EVENT_KINDS, validate_scenario

from .conftest import PARIS

TABLE = sim.load_states()
CODES = TABLE.codes


@st.composite
def scenarios(draw):
    start = draw(st.dates(dt.date(1999, 4, 1), dt.date(2026, 6, 30)))
    days = draw(st.integers(20, 70))
    events = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(EVENT_KINDS))
        target = draw(st.sampled_from(CODES))
        state_perp = draw(st.booleans())
        perp = draw(st.sampled_from([c for c in CODES if c != target])) if state_perp else "a group"
        day = draw(st.integers(0, days - 1))
        events.append({
            "day": day, "kind": kind, "target": target, "perpetrator": perp,
            "perpetrator_kind": "state" if state_perp else draw(st.sampled_from(["non_state", "unknown"])),
            "intent": draw(st.sampled_from(["deliberate", "accidental", "unclear"])),
            "location": draw(st.sampled_from(["homeland", "forces_abroad", "airspace"])),
            "cross_border": draw(st.booleans()),
            "deaths": draw(st.integers(0, 5000)), "injured": draw(st.integers(0, 5000)),
            "assets": draw(st.integers(0, 30)),
            "claimed_day": draw(st.one_of(st.none(), st.integers(day, days - 1))),
        })
    rules = {"preset": draw(st.sampled_from(sim.preset_names())),
             "art5_decision": draw(st.sampled_from(["consensus", "majority", "qualified_majority"])),
             "review_rate": draw(st.floats(0.0, 0.3)), "temperature": draw(st.floats(0.02, 1.0)),
             "art4_bias": draw(st.floats(-5, 3)), "art5_bias": draw(st.floats(-6, 3))}
    commitments = {c: draw(st.sampled_from(sim.LEVELS)) for c in draw(st.sets(st.sampled_from(CODES), max_size=6))}
    stance_states = draw(st.sets(st.sampled_from(CODES), max_size=2))
    data = {
        "name": "drawn", "title": "drawn", "start_date": start, "days": days, "rules": rules,
        "events": events, "commitments": commitments,
        # 'join' is a non-ally's stance: refused for a NATO member on the start date
        "stances": {c: draw(st.sampled_from([x for x in sim.STANCES
                                             if x != "join" or c not in TABLE.nato_members(start)]))
                    for c in stance_states},
        "theatres": {"hosts": draw(st.lists(st.sampled_from(CODES), max_size=2, unique=True))},
        "overrides": {c: {"public_support": draw(st.floats(0, 1))} for c in draw(st.sets(st.sampled_from(CODES), max_size=3))},
    }
    return validate_scenario(data, "<drawn>")


def canonical(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain Python values, missing as None, whatever the dtypes."""
    def plain(x):
        if x is None or x is pd.NA or (isinstance(x, float) and x != x):
            return None
        return x.item() if hasattr(x, "item") else x
    return [{k: plain(v) for k, v in row.items()} for row in frame.astype(object).to_dict("records")]


def _same_flat(scenarios_, seeds, mesa_runs):
    """The vectorised summary table equals the flattened per-run summaries."""
    fast = summary_rows(scenarios_, seeds)
    slow = pd.DataFrame([m.summary_row() for m in mesa_runs])
    assert list(fast.columns) == list(slow.columns)
    assert canonical(fast) == canonical(slow)


def _same(mesa_run, batch_run):
    assert mesa_run.summary == batch_run.summary
    pd.testing.assert_frame_equal(mesa_run.events, batch_run.events)
    pd.testing.assert_frame_equal(mesa_run.timeseries, batch_run.timeseries)


def test_engines_agree_on_drawn_scenarios(request):
    examples = request.config.getoption("--property-examples")

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(scenario=scenarios(), seeds=st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=3, unique=True))
    def check(scenario, seeds):
        batch = run_batch([scenario] * len(seeds), seeds, tables=True)
        mesa_runs = [sim.run(scenario, seed=seed, engine="mesa") for seed in seeds]
        for m, b in zip(mesa_runs, batch):
            _same(m, b)
        _same_flat([scenario] * len(seeds), seeds, mesa_runs)

    check()


def test_a_batch_of_different_parameters_equals_runs_one_by_one():
    variants = [sim.load_scenario(PARIS, sets) for sets in (
        [], ["rules=realist"], ["rules.art5_decision=majority", "overrides.FRA.autonomy_preference=0.1"],
        ["events.0.deaths=1500", "rules.threat_weight=3"], ["rules=two_level", "overrides.GBR.public_support=0.2"],
    )]
    seeds = [11, 12, 13, 14, 15]
    batch = run_batch(variants, seeds, tables=True)
    mesa_runs = [sim.run(sc, seed=seed) for sc, seed in zip(variants, seeds)]
    for m, b in zip(mesa_runs, batch):
        _same(m, b)
    _same_flat(variants, seeds, mesa_runs)
