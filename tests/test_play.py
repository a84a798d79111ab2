"""Role play: players take some states' decisions; the rest stay agents."""

from __future__ import annotations

import pytest

import sim


def play(scenario, seed, players, pick, days=None):
    """Run with players, answering each question with ``pick(question)``."""
    model = sim.CoalitionModel(scenario, seed, players=players)
    asked = []
    guard = 0
    while model.running:
        model.step()
        if model.waiting:
            for q in model.questions:
                asked.append(q)
                model.answer(q, pick(q))
        guard += 1
        assert guard < 10 * scenario.days, "role play does not advance"
    return model, asked


def test_players_who_follow_the_model_change_nothing(paris, monkeypatch):
    # Asked every time (no standing answers): a standing "stay" would hold
    # while the model's valued best is unchanged, even on a day its softmax
    # draws a rise (sim.roleplay), so only then is the model's path kept.
    monkeypatch.setattr(sim.roleplay, "REVIEW_DAYS", 0)
    sc = paris.model_copy(update={"days": 40})
    model, asked = play(sc, 3, ["FRA", "DNK"], lambda q: q.model_choice)
    assert asked, "France and Denmark face decisions in the first 40 days"
    assert {q.state for q in asked} <= {"FRA", "DNK"}
    for q in asked:
        assert len(q.options) == len(q.hint) and 0 <= q.model_choice < len(q.options) and q.prompt
    played = model.result()
    plain = sim.run(sc, 3)
    assert played.summary == plain.summary
    cols = ["day", "state", "kind"]
    assert played.events[cols].equals(plain.events[cols])
    assert (played.events["decided_by"] == "player").any()
    assert played.events.loc[played.events["decided_by"] == "player", "state"].isin(["FRA", "DNK"]).all()
    mine = played.events[played.events["decided_by"] == "player"]
    assert mine["text"].str.endswith("(decided by the player)").all()


def test_a_player_can_take_another_road(paris):
    sc = paris.model_copy(update={"days": 20})

    def ask_everything(q):
        if q.kind in ("art4", "art5", "eu427", "un"):
            return q.options.index("yes")
        return q.model_choice

    model, asked = play(sc, 3, ["FRA"], ask_everything)
    events = model.result().events
    requests = events[(events["state"] == "FRA") & (events["kind"] == "article5_request")]
    assert len(requests) == 1 and requests["decided_by"].iloc[0] == "player"
    assert any(q.kind == "art5" for q in asked)


def test_an_unanswered_question_holds_the_day(paris):
    model = sim.CoalitionModel(paris.model_copy(update={"days": 10}), 3, players=["FRA"])
    while model.running and not model.waiting:
        model.step()
    assert model.waiting
    day = model.day
    model.step()
    assert model.day == day and model.waiting


@pytest.mark.parametrize("code", ["FRA", "DNK"])
@pytest.mark.parametrize("policy", ["first", "last"])
def test_a_played_state_meets_at_most_15_questions_in_a_120_day_run(paris, code, policy):
    """Answers stand (sim.roleplay): a state that holds fire, or keeps its
    level, is not asked again every day. Before, France refusing everything
    met 125 questions in 120 days, 119 of them "strike back now?"."""
    sc = paris.model_copy(update={"days": 120})
    model, asked = play(sc, 0, [code], lambda q: 0 if policy == "first" else len(q.options) - 1)
    assert asked and len(asked) <= 15, [(q.day, q.kind) for q in asked]
    assert sum(q.kind == "retaliate" for q in asked) <= 5
    assert model.day == sc.days


def test_an_answer_stands_while_the_situation_is_the_same():
    from sim.roleplay import REVIEW_DAYS, Control, situation

    key = (3, "commitment", 0, None)
    c = Control([0], {key: 0}, {key: situation(["none", "support"], [0.9, 0.1])})
    same, changed = situation(["none", "support"], [0.8, 0.2]), situation(["none", "support"], [0.3, 0.7])
    assert c.standing(5, "commitment", 0, None, same) == 0
    assert c.standing(5, "commitment", 0, None, changed) is None  # the model's best option changed
    assert c.standing(5, "commitment", 0, None, situation(["none"], [1.0])) is None  # other options
    assert c.standing(3 + REVIEW_DAYS - 1, "commitment", 0, None, same) == 0
    assert c.standing(3 + REVIEW_DAYS, "commitment", 0, None, same) is None  # the weekly review
    assert c.standing(5, "commitment", 1, None, same) is None  # another state
    # A retaliation is answered once per attack: no review, a new attack asks again.
    hold = situation(["hold", "strike"], [0.9, 0.1])
    r = Control([0], {(3, "retaliate", 0, 0): 0}, {(3, "retaliate", 0, 0): hold})
    assert r.standing(90, "retaliate", 0, 0, hold) == 0
    assert r.standing(90, "retaliate", 0, 1, hold) is None
