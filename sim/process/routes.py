"""Phase 2, routes: which institution a state asks, and when.

On the days the setup scheduled (event day, or the day it is known who did
it, plus ``route_lag_<route>``), each eligible state decides to request
NATO Article 4 consultations (members threatened by the event),
Article 5 (an attacked member), EU Article 42.7 (an EU member attacked at
home, from December 2009) or a UN Security Council resolution (the attacked
state). It asks with probability sigmoid(utility), utilities in
:mod:`sim.rules` (``art4_utility``: state-made threat, impulse, being the target of a
state's force, autonomy, preference for NATO; ``art5_utility``: impulse, state perpetrator, the
chance the Council passes it; ``eu427_utility``; ``un_utility``), weights
``route_*`` of the scenario's rules. A request schedules the body's meeting
after ``nac_lag`` / ``eu_council_lag`` / ``unsc_lag`` days.
"""
from __future__ import annotations

import numpy as np

from .. import draws, rules as R
from ..setup import ATTACK_KINDS, FORCE_KINDS, CompiledEvent, Setup
from .common import ART4_REQUEST, ART5_REQUEST, EU427_REQUEST, UN_REQUEST, draws_all
from .councils import assent_probability
from .hooks import by_player, players

ROUTE_PROMPTS = {
    "art4": "{name}: request NATO Article 4 consultations?",
    "art5": "{name}: ask the North Atlantic Council to invoke Article 5?",
    "eu427": "{name}: invoke the EU's mutual-assistance clause (Article 42.7)?",
    "un": "{name}: seek a UN Security Council resolution?",
}
ROUTE_DECISIONS = {"art4": draws.ART4_REQUEST, "art5": draws.ART5_REQUEST,
                   "eu427": draws.EU427_REQUEST, "un": draws.UN_REQUEST}


def may_request(s: Setup, ev: CompiledEvent, route: str) -> np.ndarray:
    n = len(s.codes)
    target = np.arange(n) == ev.target
    if route == "art4":
        # Besides the target: when a state invades or threatens another, its
        # neighbours and the target's neighbours feel threatened too.
        near = target.copy()
        if ev.state_perpetrator:
            if ev.perpetrator >= 0:
                near = near | s.neighbour[ev.perpetrator]
            if ev.kind in ("invasion", "war_threat"):
                near = near | s.neighbour[ev.target]
        return s.nato & near & (ev.prox > 0)
    if route == "art5":
        # Article 6: an armed attack inside the treaty's area.
        return s.nato & target & (ev.kind in ATTACK_KINDS) & ev.treaty_area
    if route == "eu427":
        # Art. 42.7 TEU: armed aggression on the member's territory.
        return (s.eu & target & s.eu427_exists & (ev.kind in ATTACK_KINDS) & (ev.location == "homeland")
                & ev.treaty_area)
    return target & (ev.kind in ATTACK_KINDS)


def victim_of_force(s: Setup, ev: CompiledEvent) -> np.ndarray:
    """1.0 for the event's target when a state used or threatened military
    force against it (setup.FORCE_KINDS), else 0.0; per state (N,)."""
    hit = (np.arange(len(s.codes)) == ev.target) & ev.state_perpetrator & (ev.kind in FORCE_KINDS)
    return hit.astype(float)


def step(s, w, day, triggered):
    for ev_index, route in s.route_schedule.get(day, []):
        ev = s.events[ev_index]
        eligible = may_request(s, ev, route) & (w.requested[route] < 0)
        if route == "un":
            eligible &= (w.un_day < 0)[:, None] & (w.meeting_day["un"] < 0)
        if not eligible.any():
            continue
        impact = w.impact[ev_index]
        if route in ("art5", "eu427"):
            # Collective defence answers an armed attack: its scale and origin (rules.gravity).
            impact = impact * ev.gravity
        autonomy = s.attr["autonomy_preference"]
        if route == "art4":
            util = R.art4_utility(w.state_threat, impact, autonomy, s.prefers["nato"], s.rules, victim_of_force(s, ev))
        elif route == "art5":
            voters = s.nato & (np.arange(len(s.codes)) != ev.target)
            p_ok = R.pass_probability(assent_probability(s, w, ev.target, ev_index), voters, s.art5_decision, s.rules)
            util = R.art5_utility(impact, float(ev.state_perpetrator), autonomy, s.prefers["nato"], p_ok[:, None], s.rules)
        elif route == "eu427":
            # A victim already striking its attacker asks partners to share its war.
            at_war = (ev.by_adversary & (w.commitment >= R.STRIKES_INVITED)).astype(float)
            util = R.eu427_utility(impact, autonomy, s.prefers["eu"], s.rules, at_war)
        else:
            util = R.un_utility(impact, s.prefers["un"], s.rules)
        u = draws_all(s, day, ROUTE_DECISIONS[route] + 64 * (ev_index + 1))
        p_ask = R.sigmoid(util)
        asks = eligible & (u < p_ask)
        chosen_by_player = set()
        for i in players(w, eligible[0]):
            choice, by = w.control.decide(
                s, day, route, i, ev_index, ROUTE_PROMPTS[route].format(name=s.names[i]),
                ["no", "yes"], [1 - p_ask[0, i], p_ask[0, i]], int(asks[0, i]))
            asks[0, i] = bool(choice)
            if by:
                chosen_by_player.add(i)
        lag = {"art4": "nac_lag", "art5": "nac_lag", "eu427": "eu_council_lag", "un": "unsc_lag"}[route]
        meet = day + s.rules[lag].astype(np.int32)
        w.requested[route] = np.where(asks, day, w.requested[route])
        w.request_event[route] = np.where(asks, ev_index, w.request_event[route])
        w.meeting_day[route] = np.where(asks, meet, w.meeting_day[route])
        code = {"art4": ART4_REQUEST, "art5": ART5_REQUEST, "eu427": EU427_REQUEST, "un": UN_REQUEST}[route]
        for r, i in zip(*np.nonzero(asks)) if w.log is not None else ():
            data = {"event": ev_index, "p": float(p_ask[r, i])}
            w.log.append((int(r), day, code, int(i), by_player(data, r == 0 and i in chosen_by_player)))


