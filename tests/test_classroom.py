"""The class session without a browser: codes, groups, claims, waiting,
the teacher's decisions, injects (the played past is kept), the debrief
file and sim.load_session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sim
from sim.classroom import Registry, SessionError, briefing, option_notes, question_words
from sim.classroom.registry import CODE_ALPHABET, CODE_LENGTH
from sim.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
PARIS = ROOT / "configs" / "scenarios" / "paris_2015.yaml"
BRUSSELS = {"kind": "terror_attack", "day": 10, "target": "BEL", "perpetrator": "ISIL",
            "perpetrator_kind": "non_state", "deaths": 32, "injured": 300, "description": "Bombings in Brussels"}


@pytest.fixture(scope="module")
def paris():
    return sim.load_scenario(PARIS)


def _session(paris, registry=None, claims=(("Blue", "FRA"), ("Red", "DNK"), ("Green", "BEL"))):
    registry = registry or Registry()
    s = registry.create(paris, seed=1)
    for group, state in claims:
        s.join(group)
        s.claim(group, state)
    return s


def _play(s, day, pick=lambda q: 0, inject=None):
    """Groups answer with ``pick`` until ``day``; one inject on the way."""
    s.run_to(day)
    while s.day < day:
        open_qs = s.open_questions()
        if not open_qs:
            s.run_to(day)
            continue
        q = open_qs[0]
        s.answer(s.claims[q.state], q.key, pick(q))
        if inject and s.day >= 3 and not s.injects:
            s.inject(inject)
    return s


def test_codes_are_short_unambiguous_and_distinct(paris):
    reg = Registry(max_sessions=30)
    codes = {reg.create(paris).code for _ in range(30)}
    assert len(codes) == 30
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set(CODE_ALPHABET) & set("0O1IL")
    one = next(iter(codes))
    assert reg.get(f" {one.lower()} ").code == one  # typed in lower case, with spaces


def test_the_registry_is_bounded_and_drops_idle_sessions(paris):
    reg = Registry(max_sessions=2, idle_seconds=60)
    a, b = reg.create(paris), reg.create(paris)
    with pytest.raises(SessionError, match="already holds 2"):
        reg.create(paris)
    a.touched -= 120  # idle for two minutes
    c = reg.create(paris)  # the idle one is dropped to make room
    assert reg.get(a.code) is None and reg.get(b.code) is b and reg.get(c.code) is c
    assert reg.holds(b) and not reg.holds(a)
    reg.end(b.code)
    assert len(reg) == 1 and not reg.holds(b)


def test_sessions_do_not_touch_each_other(paris):
    reg = Registry()
    one, two = _session(paris, reg), _session(paris, reg)
    _play(one, 5)
    assert one.day == 5 and two.day == 0 and not two.started
    assert two.model is not one.model and two.choices == []


def test_claims(paris):
    s = Registry().create(paris)
    s.join("Blue")
    s.join("Red")
    s.claim("Blue", "FRA")
    with pytest.raises(SessionError, match="France is already played by Blue"):
        s.claim("Red", "FRA")
    with pytest.raises(SessionError, match="no state"):
        s.claim("Red", "XXX")
    with pytest.raises(SessionError, match="a name"):
        s.join("   ")
    assert s.join("  Blue ").name == "Blue" and len(s.groups) == 2  # a reload rejoins the same group
    s.start()
    assert s.model.players == ("FRA",)
    with pytest.raises(SessionError, match="has started"):
        s.claim("Red", "DNK")


def test_the_run_waits_for_the_groups_and_says_who(paris):
    s = _session(paris)
    s.run_to(30)
    assert s.day == 0 and s.model.waiting
    waiting = s.waiting_for()
    assert waiting and set(waiting) <= {"Blue", "Red", "Green"}
    assert "waiting for" in s.status()
    q = s.open_questions()[0]
    other = next(g for g in ("Blue", "Red", "Green") if g != s.claims[q.state])
    with pytest.raises(SessionError, match="not for your group"):
        s.answer(other, q.key, 0)


def test_pause_holds_the_day_after_the_answers(paris):
    s = _session(paris)
    s.run_to(30)
    s.pause()
    for q in s.open_questions():
        s.answer(s.claims[q.state], q.key, 0)
    assert s.day == 0 and "paused" in s.status()
    s.step()
    assert s.day >= 1 or s.open_questions()


def test_teacher_decides_and_skips(paris):
    s = _session(paris)
    s.run_to(30)
    q = s.open_questions()[0]
    s.decide_for(q.key, len(q.options) - 1)
    assert s.choices[-1]["decided_by"] == "teacher"
    while s.day < 30:
        s.skip_wait()
        if not s.open_questions() and s.day < 30:
            s.run_to(30)
    assert s.day == 30
    by = {c["decided_by"] for c in s.choices}
    assert {"teacher", "model (wait skipped)"} <= by
    skipped = [c for c in s.choices if c["decided_by"] == "model (wait skipped)"]
    assert all(c["same_as_model"] for c in skipped)
    s.skip_wait()  # nothing open: a stale click does not move the run
    assert s.day == 30


def test_the_model_plays_the_unclaimed_states_as_alone(paris, monkeypatch):
    """Groups that always take the model's choice give the model's own run,
    when every decision is asked (no answer stands: a standing answer repeats
    the player's earlier pick where the model would draw again)."""
    monkeypatch.setattr(sim.roleplay, "REVIEW_DAYS", 0)
    s = _session(paris)
    _play(s, 30, pick=lambda q: q.model_choice)
    alone = sim.CoalitionModel(paris, 1)
    for _ in range(30):
        alone.step()
    cols = ["day", "state", "kind", "text"]
    played = s.model.result().events[cols].astype(str).replace(r" \(decided by the player\)", "", regex=True)
    assert played.reset_index(drop=True).equals(alone.result().events[cols].astype(str).reset_index(drop=True))


def test_an_inject_keeps_the_played_past(paris):
    s = _play(_session(paris), 30, pick=lambda q: len(q.options) - 1, inject=BRUSSELS)
    assert len(s.injects) == 1 and s.day == 30
    events = s.model.result().events
    assert events[(events.day == 10) & (events.state == "BEL")]["text"].str.contains("Bombings in Brussels").any()
    # The same answers, replayed on a run built with the event from the
    # start, give the same run: an inject changes only the days from its own on.
    replay = sim.CoalitionModel(s.scenario, 1, players=s.model.players)
    replay.answers.update(s.model.answers)
    for _ in range(30):
        replay.step()
        assert not replay.waiting
    assert replay.result().events["text"].tolist() == events["text"].tolist()


def test_injects_are_checked(paris):
    s = _play(_session(paris), 5)
    with pytest.raises(SessionError, match="day 5 or later"):
        s.inject({**BRUSSELS, "day": 2})
    with pytest.raises(SessionError, match="no state"):
        s.inject({**BRUSSELS, "target": "XXX"})
    with pytest.raises(SessionError, match="kind"):
        s.inject({**BRUSSELS, "kind": "alien_landing"})
    with pytest.raises(SessionError, match="deaths"):
        s.inject({**BRUSSELS, "deaths": -3})
    assert s.injects == []


def test_reveal_and_hide(paris):
    s = _session(paris)
    assert not s.show_record and not s.show_hints  # hidden until the teacher reveals them
    v = s.version
    s.reveal(record=True)
    assert s.show_record and not s.show_hints and s.version > v
    s.reveal(hints=True, record=False)
    assert s.show_hints and not s.show_record


def test_briefing_and_questions_in_words(paris):
    b = briefing(paris, "DNK")
    assert b["name"] == "Denmark"
    assert "Folketing" in b["Parliament"] and "must approve" in b["Government"]
    assert "NATO member since 1949" in b["Obligations"] and "42.7" in b["Obligations"]
    assert b["Commitment at the start"] == "training"
    s = _session(paris)
    s.run_to(1)
    q = next(q for q in s.open_questions() if q.state == "DNK" and q.kind == "commitment")
    notes = option_notes(paris, q)
    assert len(notes) == len(q.options)
    assert notes[0].startswith("stay at")
    assert any("parliament votes first" in n for n in notes) and any("strike aircraft" in n for n in notes)
    assert "Denmark" in question_words(paris, q)
    labels = sim.classroom.option_labels(q)
    assert labels[0] == "stay at training" and "_" not in "".join(labels)


def test_the_debrief_file_loads_as_tables(paris, tmp_path):
    s = _play(_session(paris), 30, inject=BRUSSELS)
    path = sim.classroom.write_session(s, tmp_path / "session.json")
    record = sim.load_session(path)
    assert record.settings["seed"] == 1 and record.settings["day_reached"] == 30
    assert record.settings["players"] == ["FRA", "DNK", "BEL"] or set(record.settings["players"]) == {"FRA", "DNK", "BEL"}
    assert len(record.choices) == len(s.choices)
    assert (record.choices["choice"] != record.choices["model_choice"]).any() or record.choices["same_as_model"].all()
    assert set(record.groups["group"]) == {"Blue", "Red", "Green"}
    assert record.injects.iloc[0]["description"] == "Bombings in Brussels"
    assert str(record.events["date"].dtype).startswith("datetime64")
    assert set(record.events["decided_by"]) <= {"model", "group Blue", "group Red", "group Green"}
    assert not record.votes.empty and {"body", "yes", "no", "passed"} <= set(record.votes.columns)
    assert record.timeseries["day"].max() == 29
    again = sim.CoalitionModel(record.scenario(), record.settings["seed"])  # the played scenario rebuilds
    assert len(again.config.events) == len(paris.events) + 1


def test_load_session_refuses_other_files(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ConfigError, match="x.json: format: is not"):
        sim.load_session(bad)
    bad.write_text("not json")
    with pytest.raises(ConfigError, match="not a JSON session file"):
        sim.load_session(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        sim.load_session(tmp_path / "missing.json")


def test_the_class_beside_the_model(paris):
    s = _play(_session(paris), 20, pick=lambda q: len(q.options) - 1)
    table, rows = sim.classroom.compare_session(s, runs=60)
    assert len(rows) == 60
    assert {"France: commitment on day 20", "Article 5 invoked"} <= set(table["what"])
    shares = table["model runs the same"]
    assert ((shares >= 0) & (shares <= 1)).all()
