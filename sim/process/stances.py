"""Phase 9, stances: the non-allies named in the scenario's ``stances:``
choose their stance towards each state they deal with.

A non-ally's relations are bilateral: in 2015 Russia worked with France
against the group that had attacked both while it opposed the US-led
coalition. So each stance holder i keeps a stance towards every partner j
(``World.stance_to``): the active states at strike level, whose aircraft
share its skies, and the victims of attack. When triggered or on review
(daily chance ``stance_review_rate``) it reconsiders all of them, each by a
softmax (``stance_temperature``) over ``stance_utilities``
(:mod:`sim.rules`), with

    net_ij = stance_shared_threat * min(threat_i, threat_j)
             - stance_rivalry * (1 - west_alignment_i) / 2
             - stance_patron * |assad_stance_i - assad_stance_j| / 2
             - stance_tension * tension_ij
             + stance_request * asked_ij

where threat is the threat from non-state actors (a common enemy: the
threat the two share is the smaller of theirs; Walt 1987), tension_ij is
the tension with j itself (an attack by j) plus ``stance_tension_spread``
of the tension with the rest of j's alliance, and asked_ij the strength of
j's standing request to coordinate (:mod:`sim.process.requests`). One draw
per holder and day serves all its partners (one government's mood of the
day), so a partner with better utilities never gets a lower stance. The
holder's headline stance (``World.stance``, what observers record and the
validation scores) is its closest relation: the highest stance towards any
partner. A player who holds the state chooses one stance for all partners.
"""
from __future__ import annotations

import numpy as np

from .. import draws, rules as R
from ..scenario import STANCES
from .common import STANCE, draws_at, pick_rules, review_gap, stance_slot, where2
from .hooks import by_player, let_players_choose


def partners(s, w) -> np.ndarray:
    """(R, N): the states each non-ally has a relation to manage with: active
    states at strike level and victims of attack."""
    return s.active & ((w.commitment >= R.STRIKES_INVITED) | w.victim)


def pair_terms(s, w, r, i, slot, day):
    """The terms of ``net_ij`` for deciding holders (r, i), each (K, N)."""
    plain = w.threat - w.state_threat
    shared = np.minimum(plain[r, i][:, None], plain[r])
    assad = s.attr["assad_stance"]
    gap = np.abs(assad[r, i][:, None] - assad[r]) / 2.0
    own = w.tension_to[r, slot]
    tension = own + s.rules["stance_tension_spread"][r] * (w.tension[r, i][:, None] - own)
    asked = np.where(w.stance_asked_until[r, slot] >= day, w.stance_asked[r, slot], 0.0)
    return shared, gap, tension, asked


def step(s, w, day, triggered):
    if not s.stance_mask.any():
        return
    r, i = where2(s.stance_mask & (triggered | (w.next_stance_review <= day)))
    if not len(r):
        return
    w.next_stance_review[r, i] = day + review_gap(draws_at(s, r, i, day + 1, draws.STANCE_DELIBERATE)[:, 0],
                                                  s.rules["stance_review_rate"][r, 0])
    slot = stance_slot(s, i)
    partner = partners(s, w)[r]
    partner[np.arange(len(r)), i] = False
    shared, gap, tension, asked = pair_terms(s, w, r, i, slot, day)
    current = w.stance_to[r, slot]
    rules = pick_rules(s, r)
    align = s.attr["west_alignment"][r, i][:, None]
    util = R.stance_utilities(shared, align, gap, tension, current, rules, asked)  # (K, N, 4)
    u = draws_at(s, r, i, day, draws.STANCE_CHOICE)
    choice = np.where(partner, R.softmax_choice(util, rules["stance_temperature"], u), current)
    head = np.where(partner.any(axis=1), np.where(partner, choice, -1).max(axis=1), w.stance[r, i])
    chosen_by_player = let_players_choose(
        s, w, day, "stance", r, i, head,
        lambda k: (f"{s.names[i[k]]}: which stance towards the coalition's states? "
                   f"(now: {STANCES[int(w.stance[r[k], i[k]])]})",
                   list(STANCES), util[k][partner[k]].mean(axis=0) if partner[k].any() else util[k, 0], 0))
    for k in np.nonzero(r == 0)[0] if chosen_by_player else ():
        if int(i[k]) in chosen_by_player:
            choice[k] = np.where(partner[k], head[k], current[k])
    for k, j in zip(*where2(choice != current)) if w.log is not None else ():
        data = {"stance": int(choice[k, j]), "was": int(current[k, j]), "toward": int(j)}
        w.log.append((int(r[k]), day, STANCE, int(i[k]), by_player(data, r[k] == 0 and int(i[k]) in chosen_by_player)))
    w.stance_to[r, slot] = choice
    w.stance[r, i] = head
