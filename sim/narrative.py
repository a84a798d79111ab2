"""The event log in plain sentences, from the engine's log records."""

from __future__ import annotations

from . import world as W
from .scenario import LEVELS, STANCES

ART5_RULE_NAMES = {0: "consensus", 1: "majority", 2: "qualified majority"}


def level_phrase(s, level: int) -> str:
    """What a commitment level means in this scenario's theatres."""
    th = s.scenario.theatres
    return {
        0: "no commitment",
        1: "political support",
        2: f"training local forces against {th.adversary}",
        3: f"support for the campaign against {th.adversary} (reconnaissance, tankers, logistics)",
        4: f"air strikes against {th.adversary} in {th.invited}",
        5: f"air strikes against {th.adversary} in {th.uninvited}",
        6: f"ground forces against {th.adversary}",
    }[level]


def _strike_place(s, level: int) -> str:
    th = s.scenario.theatres
    return th.uninvited if level >= 5 else th.invited


def _event_sentence(s, ev, r: int) -> str:
    sc_event = s.scenarios[r].events[ev.index]
    target = s.names[ev.target]
    if sc_event.description:
        text = sc_event.description.rstrip(".")
    else:
        kind = sc_event.kind.replace("_", " ")
        text = f"{kind} against {target} by {sc_event.perpetrator}"
    deaths = f" ({sc_event.deaths} dead)" if sc_event.deaths else ""
    return f"{text}{deaths}"


def sentence(s, record) -> str:
    """One log record as a sentence a student can read."""
    text = _sentence(s, record)
    if isinstance(record[4], dict) and record[4].get("by") == "player":
        text += " (decided by the player)"
    return text


def _sentence(s, record) -> str:
    r, day, code, i, data = record
    name = s.names[i]
    if code == W.EVENT:
        ev = s.events[data["event"]]
        if ev.kind == "un_resolution":
            return f"a draft resolution is put to the UN Security Council: {_event_sentence(s, ev, r)}"
        return _event_sentence(s, ev, r)
    if code == W.ART4_REQUEST:
        return f"{name} requests NATO Article 4 consultations"
    if code == W.NAC_CONSULT:
        return f"the North Atlantic Council holds Article 4 consultations at {name}'s request"
    if code == W.ART5_REQUEST:
        return f"{name} asks the North Atlantic Council to invoke Article 5"
    if code == W.NAC_VOTE:
        rule = ART5_RULE_NAMES[data["decision"]]
        verdict = "invokes Article 5" if data["passed"] else "does not invoke Article 5"
        obj = f"; objecting: {', '.join(data['objectors'])}" if data["objectors"] else ""
        return f"the North Atlantic Council ({rule}) {verdict} for {name}, {data['yes']} allies for, {data['no']} against{obj}"
    if code == W.EU427_REQUEST:
        return f"{name} invokes the EU's mutual-assistance clause (TEU Article 42.7)"
    if code == W.EU_COUNCIL:
        if data["passed"]:
            how = "unanimously" if data["no"] == 0 else f"{data['yes']} to {data['no']}"
            return f"EU defence ministers back {name} under Article 42.7, {how}"
        return f"EU ministers fail to agree on aid to {name} under Article 42.7 ({data['no']} hold out)"
    if code == W.UN_REQUEST:
        return f"{name} seeks a UN Security Council resolution"
    if code == W.UNSC_VOTE:
        if data["passed"]:
            return f"the UN Security Council adopts the resolution tabled by {name}, {data['yes']} to {data['no']}"
        return f"the UN Security Council resolution tabled by {name} fails: veto by {', '.join(data['vetoes'])}"
    if code == W.VOTE_SCHEDULED:
        return (f"{name}'s government asks the {s.legislatures[i]} to approve {level_phrase(s, data['level'])}; "
                f"the vote is set for day {data['on']}")
    if code == W.VOTE:
        verb = "approves" if data["passed"] else "rejects"
        return f"the {s.legislatures[i]} of {name} {verb} {level_phrase(s, data['level'])}, {data['yes']} to {data['no']}"
    if code == W.COMMIT_DECIDED:
        return f"{name}'s government decides on {level_phrase(s, data['level'])} (in effect from day {data['on']})"
    if code == W.COMMIT_EFFECT:
        level = data["level"]
        if level >= 4:
            return f"{name} begins {level_phrase(s, level)}"
        return f"{name} moves to {level_phrase(s, level)}"
    if code == W.RETALIATE:
        return f"{name} strikes {s.scenario.theatres.adversary} in {_strike_place(s, data['level'])} in retaliation"
    if code == W.REQUEST and data.get("coordinate"):
        return f"{s.names[data['by']]} asks {name} to coordinate against {s.scenario.theatres.adversary}"
    if code == W.REQUEST:
        return f"{s.names[data['by']]} asks {name} to do more against {s.scenario.theatres.adversary}"
    if code == W.STANCE:
        toward = s.names[data["toward"]] if "toward" in data else "the coalition"
        return f"{name} moves from '{STANCES[data['was']]}' to '{STANCES[data['stance']]}' towards {toward}"
    return f"{name}: record {code}"


CODE_NAMES = {
    W.EVENT: "event", W.ART4_REQUEST: "article4_request", W.NAC_CONSULT: "nac_consultation",
    W.ART5_REQUEST: "article5_request", W.NAC_VOTE: "nac_article5_vote", W.EU427_REQUEST: "eu_42_7_request",
    W.EU_COUNCIL: "eu_42_7_decision", W.UN_REQUEST: "un_request", W.UNSC_VOTE: "unsc_vote",
    W.VOTE_SCHEDULED: "vote_scheduled", W.VOTE: "parliament_vote", W.COMMIT_DECIDED: "commitment_decided",
    W.COMMIT_EFFECT: "commitment", W.RETALIATE: "retaliatory_strike", W.STANCE: "stance",
    W.REQUEST: "request",
}

__all__ = ["sentence", "level_phrase", "CODE_NAMES", "LEVELS"]
