"""Role play: players take some states' decisions; the rest stay agents."""

from __future__ import annotations

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


def test_players_who_follow_the_model_change_nothing(paris):
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


def test_an_answer_stands_until_the_situation_changes_or_the_weekly_review(paris):
    """A player who holds fire is not asked "strike now?" every day: the
    answer stands while the options and the model's best option are the
    same, and the question comes back after REVIEW_DAYS."""
    from sim.roleplay import REVIEW_DAYS, Control, situation

    sc = paris.model_copy(update={"days": 120})
    model, asked = play(sc, 0, ["FRA"], lambda q: 0)
    retaliate = [q.day for q in asked if q.kind == "retaliate"]
    assert retaliate, "France, striking, is asked whether to strike with the forces in theatre"
    gaps = [b - a for a, b in zip(retaliate, retaliate[1:])]
    assert all(1 <= g <= REVIEW_DAYS for g in gaps)
    assert len(retaliate) < sc.days // 2  # 119 screens of this question before answers stood
    assert any(g == REVIEW_DAYS for g in gaps), "an unchanged situation is reviewed weekly"
    # every day between two questions was decided by the standing answer
    log = model.result().events
    assert not ((log.kind == "retaliatory_strike") & (log.state == "FRA")).any()  # France held fire throughout

    # The rule itself: same options and same best option stand; otherwise ask.
    c = Control([0], {(3, "retaliate", 0, None): 0}, {(3, "retaliate", 0, None): situation(["hold", "strike"], [0.9, 0.1])})
    assert c.standing(5, "retaliate", 0, None, situation(["hold", "strike"], [0.8, 0.2])) == 0
    assert c.standing(5, "retaliate", 0, None, situation(["hold", "strike"], [0.3, 0.7])) is None  # the best changed
    assert c.standing(3 + REVIEW_DAYS, "retaliate", 0, None, situation(["hold", "strike"], [0.9, 0.1])) is None
    assert c.standing(5, "retaliate", 1, None, situation(["hold", "strike"], [0.9, 0.1])) is None  # another state
