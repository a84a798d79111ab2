"""Phase 8, retaliation: attacked states with forces in the theatre strike back.

Once an attack is known, its target, if it is an active state already
striking (strike forces in the theatre) that has not yet struck back, does
so with daily ``retaliation_probability`` (:mod:`sim.rules`: rises with its
threat, weights ``retaliate_*``); its first strike day is the next day.
Only the attacked state retaliates: its allies answer through their
commitments (a reprisal answers an attack on oneself; a state at war with
the attacker has the forces and the mandate in place).
"""
from __future__ import annotations

import numpy as np

from .. import draws, rules as R
from ..setup import ATTACK_KINDS
from .common import RETALIATE, draws_at, pick, pick_rules, where2
from .hooks import by_player, let_players_choose

def step(s, w, day, triggered):
    known = [k for k, ev in enumerate(s.events)
             if ev.known_day is not None and ev.known_day <= day and ev.kind in ATTACK_KINDS]
    if not known or day < s.first_event_day:
        return
    attacked = np.zeros(len(s.codes), dtype=bool)
    attacked[[s.events[k].target for k in known]] = True
    r, i = where2(s.active & attacked & (w.commitment >= R.STRIKES_INVITED) & ~w.retaliated)
    if not len(r):
        return
    (threat,) = pick(r, i, w.threat)
    p = R.retaliation_probability(threat, pick_rules(s, r))
    strike = (draws_at(s, r, i, day, draws.RETALIATE) < p)[:, 0].astype(np.int8)
    chosen_by_player = let_players_choose(
        s, w, day, "retaliate", r, i, strike,
        lambda k: (f"{s.names[i[k]]}: strike now with the forces in theatre?",
                   ["hold", "strike"], [1 - p[k, 0], p[k, 0]], 0),
        extra=known[-1])  # a player answers once per attack (see sim.roleplay)
    r, i = r[strike == 1], i[strike == 1]
    w.retaliated[r, i] = True
    first = w.first_strike_day[r, i] < 0
    w.first_strike_day[r[first], i[first]] = day + 1
    for k in range(len(r)) if w.log is not None else ():
        data = {"level": int(w.commitment[r[k], i[k]])}
        w.log.append((int(r[k]), day + 1, RETALIATE, int(i[k]), by_player(data, r[k] == 0 and int(i[k]) in chosen_by_player)))


