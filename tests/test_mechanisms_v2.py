"""Model v2's mechanisms, each on its own (issue 13): stances per member,
frontline states, rotations, gravity, Article 6, war-time 42.7 and
retaliation by the attacked state. Each test sets up the situation the rule
is about and checks what the rule says, not a historical outcome."""

import numpy as np
import pytest

from sim import rules as R
from sim.batch import run_batch
from sim.process import stances
from sim.process.routes import may_request
from sim.scenario import LEVELS, RULE_WEIGHTS, Rules
from sim.setup import compile_setup
from sim.world import World


@pytest.fixture
def w():
    base = Rules()
    return {k: np.array([[getattr(base, k)]], dtype=float) for k in RULE_WEIGHTS}


# -- gravity (ODD 7.1) -------------------------------------------------------

def test_gravity_is_concave_in_the_toll_and_one_at_the_reference(w):
    toll = np.array([[10.0, 100.0, 1000.0, 2977.0]])
    g = R.gravity(toll, np.zeros_like(toll), False, "from_abroad", {**w, "injured_weight": np.array([[0.0]]),
                                                                    "reference_injured": np.array([[0.0]])})
    assert np.all(np.diff(g) > 0) and g[0, -1] == pytest.approx(1.0)
    # ten times the toll is much less than ten times the gravity
    assert g[0, 1] / g[0, 0] < 2.0


def test_a_domestic_attack_weighs_less_and_a_state_act_is_not_discounted(w):
    d, j = np.array([[130.0]]), np.array([[413.0]])
    abroad = R.gravity(d, j, False, "from_abroad", w)
    assert R.gravity(d, j, False, "unknown", w) == pytest.approx(abroad)
    assert R.gravity(d, j, False, "domestic", w) == pytest.approx(abroad * w["severity_domestic"])
    assert np.all(R.gravity(d, j, True, "domestic", w) == 1.0)


def test_gravity_leaves_the_felt_severity_alone(paris):
    """The threat impulse is per capita (Stavridis); gravity only enters the
    collective-defence routes."""
    s = compile_setup([paris], [0])
    attack = s.events[0]
    assert attack.severity[0, 0] == pytest.approx(0.53, abs=0.02)
    assert 0.3 < attack.gravity[0, 0] < 0.7


# -- Article 6 (ODD 7.4) ----------------------------------------------------

def _one_event_scenario(paris, **event):
    base = paris.events[0].model_copy(update=event)
    return paris.model_copy(update={"events": [base], "days": 10})


def test_article5_is_out_of_reach_outside_the_treaty_area(paris):
    inside = compile_setup([_one_event_scenario(paris)], [0])
    abroad = compile_setup([_one_event_scenario(paris, location="forces_abroad")], [0])
    told = compile_setup([_one_event_scenario(paris, location="forces_abroad", treaty_area=True)], [0])
    fra = inside.index("FRA")
    assert may_request(inside, inside.events[0], "art5")[fra]
    assert not may_request(abroad, abroad.events[0], "art5")[fra]
    assert not may_request(abroad, abroad.events[0], "eu427")[fra]
    assert may_request(told, told.events[0], "art5")[fra]


# -- Article 4: the target of a state's force (ODD 7.4) ----------------------

def test_the_target_of_a_states_force_asks_for_consultations_whatever_the_scale(paris):
    """A state's force against an ally's territory or forces (even shells
    that kill no one, or an airspace violation) adds art4_victim to that
    ally's Article 4 utility; a non-state attack, a hostile act short of
    force, or another state does not."""
    from sim.process.routes import victim_of_force

    def victim(**event):
        s = compile_setup([_one_event_scenario(paris, **event)], [0])
        return victim_of_force(s, s.events[0]), s.index("FRA")

    for kind in ("armed_attack", "airspace_violation", "war_threat", "invasion"):
        hit, fra = victim(kind=kind, perpetrator="RUS", perpetrator_kind="state", deaths=0)
        assert hit[fra] == 1.0 and hit.sum() == 1.0, kind
    for event in ({"kind": "terror_attack"},  # ISIL, a non-state perpetrator
                  {"kind": "sabotage", "perpetrator": "RUS", "perpetrator_kind": "state"},
                  {"kind": "armed_attack", "perpetrator": "unknown", "perpetrator_kind": "unknown"}):
        hit, _ = victim(**event)
        assert hit.sum() == 0.0, event
    base = Rules()
    w = {k: np.array([[getattr(base, k)]], dtype=float) for k in RULE_WEIGHTS}
    args = (np.array([[0.1]]), np.array([[0.05]]), np.array([[0.5]]), np.array([[1.0]]), w)
    assert R.art4_utility(*args, victim=1.0) - R.art4_utility(*args) == pytest.approx(base.art4_victim)


# -- 42.7 in a war already fought (ODD 7.4) ---------------------------------

def test_a_victim_at_war_with_its_attacker_is_more_likely_to_invoke_42_7(w):
    args = (np.array([[0.2]]), np.array([[0.3]]), np.array([[0.0]]), w)
    assert R.eu427_utility(*args, at_war=1.0) - R.eu427_utility(*args) == pytest.approx(w["eu427_war"][0, 0])


# -- stances per member (ODD 7.10) ------------------------------------------

def test_a_non_ally_sides_with_the_partner_it_shares_a_threat_with(paris):
    """Two partners alike but for the threat each shares with the non-ally:
    with one draw a day for all partners, the one with the larger shared
    threat never gets a lower stance."""
    sc = paris.model_copy(update={"days": 30})
    s = compile_setup([sc] * 100, list(range(100)))
    wd = World.start(s)
    wd.log = None
    rus, fra, usa = s.index("RUS"), s.index("FRA"), s.index("USA")
    from sim.process.day import advance
    for day in range(30):
        advance(s, wd, day)
    slot = int(s.stance_mask[:rus].sum())
    plain = wd.threat - wd.state_threat
    assert (plain[:, fra] > plain[:, usa]).all()
    to_fra, to_usa = wd.stance_to[:, slot, fra], wd.stance_to[:, slot, usa]
    assert (to_fra >= to_usa).mean() > 0.95
    assert (wd.stance[:, rus] == np.maximum(to_fra, wd.stance_to[:, slot].max(axis=1))).all()


def test_tension_is_felt_in_full_towards_the_attacker_only(paris):
    s = compile_setup([paris.model_copy(update={"days": 15})], [0])
    wd = World.start(s)
    wd.log = None
    from sim.process.day import advance
    for day in range(12):  # the Su-24 is shot down by Turkey on day 11
        advance(s, wd, day)
    rus, tur, fra = s.index("RUS"), s.index("TUR"), s.index("FRA")
    slot = int(s.stance_mask[:rus].sum())
    r, i = np.array([0]), np.array([rus])
    _, _, tension, _ = stances.pair_terms(s, wd, r, i, np.array([slot]), 12)
    assert tension[0, tur] > 0
    assert tension[0, fra] == pytest.approx(s.rules["stance_tension_spread"][0, 0] * tension[0, tur])


def test_the_victim_asks_non_allies_in_the_theatre_to_coordinate(paris):
    run = run_batch([paris.model_copy(update={"days": 5})], [0], tables=True)[0]
    asks = run.events[run.events["text"].str.contains("to coordinate")]
    assert list(asks["state"]) == ["RUS"] and asks["text"].iloc[0].startswith("France asks Russia")


# -- frontline states and rotations (ODD 7.6) --------------------------------

def test_frontline_states_come_from_the_table_not_from_a_list(paris):
    s = compile_setup([paris], [0])
    front = {c for c, f in zip(s.codes, s.frontline) if f}
    assert {"POL", "NOR", "EST"} <= front
    # Turkey borders Syria, a host of the campaign: its home defence is the campaign.
    assert "TUR" not in front and "FRA" not in front and "RUS" not in front


def test_home_defence_costs_a_frontline_state_its_aircraft_sent_away(w):
    z = np.zeros((1, 1))
    args = dict(threat=z + 0.3, obligation=z, solidarity=z, capability=z + 0.5, public=z + 0.5,
                casualty_aversion=z + 0.5, legal_gap=np.zeros((1, 1, 7)), vote_pass=np.ones((1, 1, 7)),
                needs_vote=np.zeros((1, 1, 7), bool), request=z, current=np.zeros((1, 1), np.int64), rules=w)
    plain = R.level_utilities(**args)
    front = R.level_utilities(**args, frontline=z + 1)
    gap = (plain - front)[0, 0]
    assert gap[:3].max() == 0 and np.all(np.diff(gap) >= 0)
    assert gap[-1] == pytest.approx(w["home_defence_weight"][0, 0])


def test_a_rotation_home_makes_strikes_the_status_quo(w):
    z = np.zeros((1, 1))
    current = np.full((1, 1), LEVELS.index("training"), np.int64)
    args = dict(threat=z, obligation=z, solidarity=z, capability=z + 0.5, public=z + 0.5, casualty_aversion=z,
                legal_gap=np.zeros((1, 1, 7)), vote_pass=np.ones((1, 1, 7)), needs_vote=np.zeros((1, 1, 7), bool),
                request=z, current=current, rules=w)
    terms, _ = R.level_utility_terms(**args)
    rot, _ = R.level_utility_terms(**args, rotation=z + 1)
    invited = R.STRIKES_INVITED
    assert terms["change"][0, 0, invited] < 0 and rot["change"][0, 0, invited] == 0
    assert rot["change"][0, 0, current[0, 0]] < 0  # staying home now departs from the policy


def test_forces_give_a_rotation_only_for_the_campaigns_own_areas():
    import datetime as dt
    from sim.forces import posture
    paused = posture("DNK", dt.date(2015, 11, 13), ("Iraq", "Syria"))
    assert paused["strike_rotation"] == 1 and paused["strike_unavailable_days"] > 100
    elsewhere = posture("DNK", dt.date(2015, 11, 13), ("Mali",))
    assert elsewhere["strike_rotation"] == 0


# -- retaliation by the attacked state (ODD 7.9) ------------------------------

def test_only_the_attacked_state_retaliates(paris):
    runs = run_batch([paris.model_copy(update={"days": 20})] * 50, list(range(50)), tables=True)
    who = {s for r in runs for s in r.events.loc[r.events["kind"] == "retaliatory_strike", "state"]}
    assert who == {"FRA"}


# -- authorisation clocks (ODD 7.7) ------------------------------------------

def test_a_clock_running_on_the_start_date_ends_in_a_vote_before_its_deadline(paris):
    s = compile_setup([paris], [0])
    fra, gbr = s.index("FRA"), s.index("GBR")
    deadline = World.start(s).auth_due[0]
    # France's Syria strikes began 47 days before the attacks; Art. 35 gives 120.
    assert deadline[fra] == 120 - 47 and deadline[gbr] == -1
    quiet = paris.model_copy(update={"events": [], "days": 80})
    run = run_batch([quiet], [0], tables=True)[0]
    votes = [v for v in run.summary["votes"] if v["state"] == "FRA" and "strikes" in v["question"]]
    assert len(votes) == 1 and votes[0]["day"] == deadline[fra]


def test_an_event_brings_the_vote_forward_and_it_is_on_the_level_held(paris):
    runs = run_batch([paris.model_copy(update={"days": 40})] * 20, list(range(20)), tables=True)
    for r in runs:
        (vote,) = [v for v in r.summary["votes"] if v["state"] == "FRA" and "strikes" in v["question"]]
        lo, hi = paris.rules.vote_delay_min, paris.rules.vote_delay_max
        assert lo <= vote["day"] <= hi and "Syria" in vote["question"]


def test_a_rise_without_a_prior_vote_starts_a_clock(paris):
    """The executive acts first; the legislature votes on the level being
    deployed within the usual delay."""
    sc = paris.model_copy(update={"commitments": {**paris.commitments, "USA": "none"}, "days": 40,
                                  "overrides": {**paris.overrides, "USA": {"strike_in_theatre": 0}}})
    runs = run_batch([sc] * 20, list(range(20)), tables=True)
    for r in runs:
        decided = r.events[(r.events["state"] == "USA") & (r.events["kind"] == "commitment_decided")]
        votes = [v for v in r.summary["votes"] if v["state"] == "USA" and v["body"] == "Congress"]
        strikes = [d for d, text in zip(decided["day"], decided["text"]) if "strikes" in text]
        if strikes:
            assert votes and votes[0]["day"] - strikes[0] <= sc.rules.vote_delay_max
            assert "strikes" in votes[0]["question"]


def test_a_lost_authorisation_withdraws_the_strikes(paris):
    against = {"government_position": -1.0, "opposition_position": -1.0, "public_support": 0.1}
    no_basis = paris.theatres.model_copy(update={"host_request": False})
    sc = paris.model_copy(update={"events": [], "days": 80, "theatres": no_basis,
                                  "overrides": {**paris.overrides, "FRA": {**paris.overrides.get("FRA", {}), **against}}})
    run = run_batch([sc], [0], tables=True)[0]
    (vote,) = [v for v in run.summary["votes"] if v["state"] == "FRA" and "strikes" in v["question"]]
    assert not vote["passed"]
    assert run.summary["commitment.FRA"] == "support"


# -- legal bases (ODD 7.6) ----------------------------------------------------

def test_only_a_chapter_vii_resolution_is_a_mandate(paris):
    from sim.process.common import mandate
    tabled = [e for e in paris.events if e.kind == "un_resolution"]
    for vii in (False, True):
        events = [e.model_copy(update={"chapter_vii": vii}) if e.kind == "un_resolution" else e for e in paris.events]
        sc = paris.model_copy(update={"events": events, "days": 10,
                                      "theatres": paris.theatres.model_copy(update={"host_request": False})})
        s = compile_setup([sc], [0])
        wd = World.start(s)
        wd.log = None
        from sim.process.day import advance
        for day in range(10):
            advance(s, wd, day)
        assert tabled and wd.un_day[0] >= 0  # 2249 passes either way
        ita = np.array([s.index("ITA")])
        assert bool(mandate(s, wd, 9, np.array([0]), ita)[0]) == vii


def test_a_host_request_is_collective_self_defence_for_every_state(paris):
    from sim.process.common import mandate
    s = compile_setup([paris], [0])
    wd = World.start(s)
    assert paris.theatres.host_request
    assert mandate(s, wd, 0, np.zeros(len(s.codes), int), np.arange(len(s.codes))).all()
