"""What a group reads: its state's briefing (from the states table), its
questions in plain words, and what each option entails."""

from __future__ import annotations

import datetime as dt

from .. import rules as R
from ..legislature import composition
from ..narrative import level_phrase
from ..scenario import LEVELS, Scenario
from ..setup import base_row
from ..states import load_states

REGIME_WORDS = {
    "executive": "the government decides deployments alone",
    "convention": "the government decides; by convention parliament votes on combat missions",
    "prior_vote": "parliament must approve deployments abroad before they happen",
}
INSTITUTION_WORDS = {"nato": "NATO", "eu": "the EU", "un": "the UN", "coalition": "ad hoc coalitions"}
# The deployment lag of each level (the rules' names).
LEVEL_LAGS = {1: "lag_political", 2: "lag_training", 3: "lag_support", 4: "lag_strikes", 5: "lag_strikes",
              6: "lag_ground"}

KIND_WORDS = {
    "art4": "Ask NATO allies for consultations under Article 4 (talks, no obligation to act).",
    "art5": "Ask NATO to declare an armed attack under Article 5 (every ally would then owe assistance).",
    "eu427": "Ask EU partners for aid under Article 42.7 of the EU treaty (an obligation of aid, "
             "each state chooses how).",
    "un": "Table a resolution at the UN Security Council (a permanent member can veto it).",
    "assent": "Your ambassador's vote on another state's request (the Council decides by the rule in force).",
    "commitment": "What your government commits to the campaign. A higher level costs more and may need "
                  "a vote in parliament before it takes effect.",
    "retaliate": "Strike back now with the forces already in the theatre.",
    "stance": "Your stance towards the coalition (oppose, deconflict, coordinate or join).",
}


def _date(value) -> str:
    if not value:
        return ""
    return value.strftime("%Y") if isinstance(value, dt.date) else str(value)[:4]


GOVERNMENT_WORDS = {"single_party": "single-party majority", "coalition": "coalition",
                    "minority": "minority government"}


def _line(position: float) -> str:
    """A bloc's coded line on the campaign, in words."""
    if position > 0.5:
        return "for"
    if position < -0.5:
        return "against"
    return "split (its members vote freely)" if position == 0 else "divided"


def _parliament(row: dict, period: dict | None) -> str:
    """The chamber as the briefing tells it: seats, the government's and the
    main opposition's seats and lines known on the start date."""
    seats = int(row.get("legislature_seats") or 0)
    if not seats or row.get("approval_regime") == "executive":
        return "no parliament votes on deployments"
    name = row.get("legislature_name") or "parliament"
    gov, opp = int(row.get("government_seats") or 0), int(row.get("opposition_seats") or 0)
    if not gov:
        return (f"{name}, {seats} seats; the parties' lines are not known here, so members vote as public "
                "opinion and the legal case lean them")
    parties = period["government_parties"].replace(";", ", ") if period else "the government"
    rival = period["opposition_party"] if period else "the main opposition"
    kind = GOVERNMENT_WORDS.get(row.get("government_type"), str(row.get("government_type")))
    return (f"{name}, {seats} seats. Government: {parties} ({kind}), {gov} seats, "
            f"{_line(float(row.get('government_position') or 0))}; main opposition: {rival}, {opp} seats, "
            f"{_line(float(row.get('opposition_position') or 0))}")


def briefing(scenario: Scenario, code: str) -> dict:
    """A state's briefing as labelled lines (all from the states table and
    the scenario): government, parliament, public support, forces,
    obligations, starting commitment."""
    row = base_row(scenario, load_states(scenario.states), code)
    row.update(scenario.overrides.get(code, {}))
    start = scenario.start_date
    nato = row.get("nato_accession")
    eu = row.get("eu_accession")
    eu_exit = row.get("eu_exit")
    in_nato = bool(nato and nato <= start)
    in_eu = bool(eu and eu <= start and not (eu_exit and eu_exit <= start))
    obligations = []
    if in_nato:
        obligations.append(f"NATO member since {_date(nato)}: bound by Article 5 once the Council invokes it")
    if in_eu:
        obligations.append(f"EU member since {_date(eu)}: bound by Article 42.7 once it is invoked")
    if row.get("unsc_permanent"):
        obligations.append("permanent member of the UN Security Council (can veto a resolution)")
    if not obligations:
        obligations.append("no alliance obligation to the other states in this run")
    parliament = _parliament(row, composition(code, start))
    start_level = scenario.commitments.get(code, "none")
    return {
        "name": row["name"],
        "Government": REGIME_WORDS.get(row.get("approval_regime"), str(row.get("approval_regime"))),
        "Parliament": parliament,
        "Public support for military action": f"{float(row.get('public_support') or 0):.0%}",
        "Forces": f"{int(row.get('strike_aircraft') or 0)} strike aircraft; military spending "
                  f"{float(row.get('milex_usd_bn') or 0):.1f} bn US$ a year",
        "Obligations": "; ".join(obligations),
        "Prefers to act through": INSTITUTION_WORDS.get(row.get("preferred_institution"),
                                                        str(row.get("preferred_institution") or "-")),
        "Commitment at the start": f"{start_level.replace('_', ' ')}",
    }


def question_words(scenario: Scenario, question) -> str:
    """The question in plain words: the prompt and what the decision is."""
    return f"{question.prompt} {KIND_WORDS.get(question.kind, '')}".strip()


def option_labels(question) -> list[str]:
    """The options as a group reads them: words, not identifiers; staying at
    the current level needs no vote (only a rise goes to parliament)."""
    labels = [o.replace("_", " ") for o in question.options]
    if question.kind == "commitment" and labels:
        labels[0] = "stay at " + labels[0].split(" (needs a vote")[0]
    return labels


def option_notes(scenario: Scenario, question) -> list[str]:
    """Per option, what it entails: for a commitment, what the level means in
    this theatre, the aircraft it sends, the days until it takes effect and
    whether parliament must vote first."""
    if question.kind != "commitment":
        plain = {"hold": "hold fire for now", "strike": "strike with the forces in theatre"}
        return [plain.get(o, o.replace("_", " ")) for o in question.options]
    table = load_states(scenario.states)
    aircraft = int(table.rows[question.state].get("strike_aircraft") or 0)
    rules = scenario.rules
    first = len(LEVELS) - len(question.options)

    class _S:  # what level_phrase reads
        pass

    s = _S()
    s.scenario = scenario
    notes = []
    for k, option in enumerate(question.options):
        level = first + k
        words = level_phrase(s, level)
        if level == first:
            notes.append(f"stay at {words}")
            continue
        sent = int(R.aircraft_committed(aircraft, level)) if aircraft else 0
        lag = getattr(rules, LEVEL_LAGS[level])
        parts = [words, f"takes effect after about {lag} days"]
        if sent:
            parts.append(f"sends about {sent} strike aircraft")
        if "needs a vote" in option:
            parts.append("parliament votes first (it may say no)")
        notes.append("; ".join(parts))
    return notes
