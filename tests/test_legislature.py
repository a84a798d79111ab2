"""The parliaments table and the vote arithmetic, against answers worked by hand."""

import csv
import datetime as dt

import numpy as np
import pytest

from sim import legislature as L
from sim.errors import ConfigError

STRICT = {  # members follow their bloc's line exactly; nobody abstains
    "discipline_single_party": 1.0, "discipline_coalition": 1.0, "discipline_minority": 1.0,
    "discipline_opposition": 1.0, "discipline_rest": 1.0, "discipline_erosion": 0.0,
    "line_position": 60.0, "line_public": 0.0, "line_legal": 0.0, "abstain": 0.0, "icc": 0.0,
}


# ---------------------------------------------------------------- the table

def test_every_row_is_valid_and_periods_do_not_overlap():
    frame = L.load_parliaments()
    assert len(frame) >= 90
    assert set(frame["status"].str.split(":").str[0]) <= {"checked", "estimate"}
    assert (frame["source"].str.len() > 0).all()


def test_table_covers_the_priority_states_on_the_priority_dates():
    wanted = ["GBR", "DEU", "NLD", "DNK", "BEL", "ITA", "ESP", "CAN", "TUR", "SWE", "FIN", "CZE", "HUN"]
    for code in wanted:
        for day in ("2014-09-01", "2015-11-13", "2016-06-01", "2018-04-14", "2022-03-01"):
            assert L.composition(code, day) is not None, (code, day)


def test_composition_on_the_day_of_the_paris_attacks():
    gbr = L.composition("GBR", dt.date(2015, 11, 13))
    assert (gbr["government_parties"], gbr["government_seats"], gbr["seats"]) == ("Con", 330, 650)
    assert gbr["opp_pos_jihadist"] == 0  # Labour split under its new leader: a free vote
    dnk = L.composition("DNK", "2015-11-13")
    assert (dnk["government_type"], dnk["government_seats"], dnk["seats"]) == ("minority", 34, 179)
    deu = L.composition("DEU", "2015-11-13")
    assert deu["government_seats"] == 504 and deu["government_type"] == "coalition"
    assert L.composition("FRA", "2015-11-13") is None  # executive regime: not in the table
    assert L.composition("GBR", "1990-01-01") is None


def test_periods_are_half_open():
    # the GBR period that codes Labour against action on states starts the day after the 2013 vote
    assert L.composition("GBR", "2013-08-29")["opp_pos_state"] == 1
    assert L.composition("GBR", "2013-08-30")["opp_pos_state"] == -1


def test_a_bad_table_is_one_clear_error(tmp_path):
    src = L.DEFAULT_PARLIAMENTS.read_text().splitlines()
    bad = tmp_path / "parliaments.csv"
    rows = list(csv.reader(src))
    rows[1][7] = "grand_coalition"
    with bad.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    with pytest.raises(ConfigError) as err:
        L.load_parliaments(bad)
    assert "row 2.government_type" in str(err.value) and str(bad) in str(err.value)
    with pytest.raises(ConfigError):
        L.load_parliaments(tmp_path / "missing.csv")


def test_overlapping_periods_are_refused(tmp_path):
    header = ",".join(L.COLUMNS)
    row = "XXX,{f},{t},C,100,A,60,single_party,B,40,1,1,-1,-1,,s,estimate"
    path = tmp_path / "p.csv"
    path.write_text("\n".join([header, row.format(f="2000-01-01", t="2005-01-01"),
                               row.format(f="2004-01-01", t="2009-01-01")]) + "\n")
    with pytest.raises(ConfigError, match="overlap"):
        L.load_parliaments(path)


# ---------------------------------------------------------------- the vote

def test_strict_discipline_gives_the_seat_count():
    # 60 government (+1), 30 opposition (-1), 10 rest (coded 0: free, lean 0.5 at neutral opinion/law)
    out = L.vote_outcome([60, 30, 10], [1, -1, 0], "single_party", 0.5, 0.5, params=STRICT)
    assert out["yes"] == pytest.approx(65.0)
    assert out["no"] == pytest.approx(35.0)
    assert out["margin"] == pytest.approx(30.0)
    assert out["p_pass"] > 0.999


def test_a_minority_government_loses_when_the_rest_is_against():
    # 40 yes against 60 no; with no noise the vote fails for sure
    out = L.vote_outcome([40, 35, 25], [1, -1, -1], "minority", 0.5, 0.5,
                         params={**STRICT, "line_position": 60.0})
    assert out["yes"] == pytest.approx(40.0, abs=1e-6)
    assert out["p_pass"] < 1e-6


def test_a_tie_fails():
    out = L.vote_outcome([50, 50, 0], [1, -1, 0], "coalition", 0.5, 0.5, params=STRICT)
    assert out["margin"] == pytest.approx(0.0, abs=1e-6)
    assert out["p_pass"] < 0.5


def test_a_free_vote_follows_the_members_leaning():
    # opposition coded 0 votes freely: lean = sigmoid(4*(0.8-0.5) + 2*(1-0.5)) = sigmoid(2.2)
    lean = 1 / (1 + np.exp(-2.2))
    pi = L.member_yes_probability([1, 0, 1], [0.9, 0.9, 0.9], 0.8, 1.0)
    assert pi[1] == pytest.approx(lean)
    # the government's whipped members: d*1 + (1-d)*lean with d = 0.9*(1-0.3*0.2*0)
    assert pi[0] == pytest.approx(0.9 + 0.1 * lean)


def test_discipline_erodes_when_public_and_law_are_against():
    # d = 0.95 * (1 - 0.3 * (1 - 0.1) * (1 - 0)) = 0.6935; lean = sigmoid(4*(-0.4) + 2*(-0.5)) = sigmoid(-2.6)
    pi = L.member_yes_probability([1, -1, 0], [0.95, 0.85, 0.8], 0.1, 0.0)
    d = 0.95 * (1 - 0.3 * 0.9)
    lean = 1 / (1 + np.exp(2.6))
    assert pi[0] == pytest.approx(d * 1.0 + (1 - d) * lean)


def test_opinion_and_law_move_an_oppositions_line():
    base = L.member_yes_probability([1, 1, 0], [0.95, 0.85, 0.8], 0.5, 0.5)
    hostile = L.member_yes_probability([1, 1, 0], [0.95, 0.85, 0.8], 0.2, 0.0)
    assert hostile[1] < base[1] - 0.2
    assert np.all(np.diff([L.vote_outcome([330, 232, 88], [1, 0, 0], "single_party", pub, 0.5)["p_pass"]
                           for pub in (0.2, 0.4, 0.6)]) >= 0)


def test_rules_count_abstentions_differently():
    # a recorded count: 264 yes, 250 no, 19 abstentions in a chamber of 550
    assert bool(L.passes(264, 250, 19, 550, "cast"))
    assert not bool(L.passes(264, 250, 19, 550, "present"))  # needs 267 of 533
    assert not bool(L.passes(264, 250, 19, 550, "members"))  # needs 276 of 550
    with pytest.raises(ValueError):
        L.passes(1, 0, 0, 1, "acclamation")


def test_present_rule_is_stricter_than_cast_in_the_model():
    args = ([300, 200, 50], [1, -1, 0], "single_party", 0.3, 0.2)
    cast = L.vote_outcome(*args, rule="cast")
    present = L.vote_outcome(*args, rule="present")
    assert present["margin"] < cast["margin"]
    assert present["p_pass"] <= cast["p_pass"]


def test_expected_counts_add_up_to_the_chamber():
    out = L.vote_outcome([330, 232, 88], [1, 0, -1], "single_party", 0.45, 0.6)
    assert out["yes"] + out["no"] + out["abstain"] == pytest.approx(650.0)
    assert 0.0 <= out["p_pass"] <= 1.0


def test_vectorised_equals_one_by_one():
    rng = np.random.default_rng(0)
    n = 50
    seats = rng.integers(0, 200, size=(n, 3)).astype(float)
    position = rng.integers(-1, 2, size=(n, 3)).astype(float)
    kinds = rng.choice(L.GOVERNMENT_TYPES, size=n)
    public = rng.uniform(size=n)
    legal = rng.uniform(size=n)
    batch = L.vote_outcome(seats, position, kinds, public, legal, rule="present")
    for i in range(n):
        one = L.vote_outcome(seats[i], position[i], kinds[i], public[i], legal[i], rule="present")
        for key in ("yes", "no", "margin", "sd", "p_pass"):
            assert batch[key][i] == pytest.approx(float(one[key]))


def test_draw_margin_is_the_normal_quantile():
    assert float(L.draw_margin(10.0, 4.0, 0.5)) == pytest.approx(10.0)
    assert float(L.draw_margin(10.0, 4.0, 0.8413447460685429)) == pytest.approx(14.0, abs=1e-6)
    # share of draws that pass matches p_pass
    out = L.vote_outcome([300, 250, 100], [1, -1, 0], "coalition", 0.4, 0.5)
    u = (np.arange(20000) + 0.5) / 20000
    share = np.mean(L.draw_margin(out["margin"], out["sd"], u) >= 0.5)
    assert share == pytest.approx(float(out["p_pass"]), abs=1e-3)


def test_blocs_from_a_row():
    row = L.composition("DNK", "2016-04-01")
    b = L.blocs(row, "jihadist")
    assert b["seats"].tolist() == [34.0, 47.0, 98.0]
    assert b["position"].tolist() == [1.0, 1.0, 0.0]
    with pytest.raises(ValueError):
        L.blocs(row, "pirates")


# ---------------------------------------------------------------- forces.csv

def _forces():
    path = L.PACKAGE_ROOT / "configs" / "states" / "forces.csv"
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_forces_rows_are_dated_and_sourced():
    rows = _forces()
    assert rows
    for r in rows:
        assert r["kind"] in {"deployed", "unavailable", "announced"}
        assert r["source"] and r["status"]
        for col in ("from", "to", "known_on"):
            if r[col]:
                dt.date.fromisoformat(r[col])
        if r["from"] and r["to"]:
            assert r["from"] < r["to"], r


def test_forces_on_the_day_of_the_paris_attacks():
    day = "2015-11-13"

    def active(r):
        return r["from"] and r["from"] <= day and (not r["to"] or r["to"] > day)

    strike = {r["iso3"] for r in _forces() if r["kind"] == "deployed" and "strike" in r["role"] and active(r)}
    assert {"USA", "FRA", "GBR", "AUS", "CAN", "NLD", "JOR", "TUR"} <= strike
    assert not {"DNK", "BEL", "DEU", "ITA", "POL", "ESP"} & strike
    away = {r["iso3"] for r in _forces() if r["kind"] == "unavailable" and active(r)}
    assert {"DNK", "BEL"} <= away
    # what was known on the day was public before it
    known = [r for r in _forces() if r["known_on"] and r["known_on"] <= day and r["iso3"] == "CAN"]
    assert any(r["kind"] == "announced" for r in known)


# ---------------------------------------------------------------- in the model

def test_the_rules_defaults_are_the_vote_defaults():
    from sim.scenario import Rules

    rules = Rules()
    assert {k: getattr(rules, f"vote_{k}") for k in L.DEFAULT_PARAMS} == L.DEFAULT_PARAMS


def test_parameters_per_run_give_what_each_run_alone_gives():
    # two runs with different weights, evaluated together and one at a time
    seats = np.array([[330.0, 232.0, 88.0]])
    position = np.array([[1.0, 0.0, 0.0]])
    per_run = {"lean_public": np.array([[1.0], [9.0]]), "icc": np.array([[0.0], [0.3]])}
    public, legal = np.array([[0.3], [0.3]]), np.array([[0.2], [0.2]])
    together = L.vote_outcome(seats[None], position[None], np.array([[0], [0]]), public, legal, params=per_run)
    for k in range(2):
        alone = L.vote_outcome(seats, position, "single_party", 0.3, 0.2,
                               params={n: float(v[k, 0]) for n, v in per_run.items()})
        for name in ("yes", "margin", "sd", "p_pass"):
            assert together[name][k, 0] == pytest.approx(float(alone[name][0]))


def test_integer_codes_and_names_of_government_types_agree():
    names = np.array(L.GOVERNMENT_TYPES)
    assert (L.base_discipline(names) == L.base_discipline(np.arange(3))).all()
    with pytest.raises(ValueError):
        L.base_discipline(np.array([3]))


def test_simulated_counts_pass_as_often_as_the_government_expects():
    # a close chamber: the share of passed draws matches P(pass)
    out = L.vote_outcome(np.array([100.0, 90.0, 10.0]), np.array([1.0, -1.0, 0.0]), "coalition", 0.45, 0.5,
                         params={"icc": 0.05})
    u = (np.arange(20000) + 0.5) / 20000
    yes, no, passed = L.simulated_count(out["yes"], out["no"], out["margin"], out["sd"], u)
    assert 0.05 < float(out["p_pass"]) < 0.95
    assert passed.mean() == pytest.approx(float(out["p_pass"]), abs=0.02)
    assert ((yes + no) == np.rint(out["yes"] + out["no"])).all() and (passed == (yes > no)).all()


def test_the_chamber_on_a_date_for_a_target():
    gbr = L.chamber("GBR", "2015-11-13", "jihadist")
    assert gbr == {"legislature_seats": 650.0, "government_seats": 330.0, "opposition_seats": 232.0,
                   "government_type": "single_party", "government_position": 1.0, "opposition_position": 0.0}
    assert L.chamber("GBR", "2015-11-13", "state")["opposition_position"] == -1.0
    assert L.chamber("FRA", "2015-11-13", "jihadist") == L.NO_CHAMBER


def test_the_campaign_target_follows_the_adversary():
    import sim
    from sim.setup import campaign_target

    paris = sim.load_scenario(L.PACKAGE_ROOT / "configs" / "scenarios" / "paris_2015.yaml")
    assert campaign_target(paris) == "jihadist"
    from sim.history.cases import load_case

    geo = load_case(L.PACKAGE_ROOT / "configs" / "history" / "geo_2008_08.yaml").scenario
    assert campaign_target(geo) == "state"  # no theatres: the first attack's perpetrator, a state
