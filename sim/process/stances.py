"""Phase 9, stances: the non-allies named in the scenario's ``stances:``
choose their stance towards the coalition.

When triggered or on review (daily chance ``stance_review_rate``), a softmax
(``stance_temperature``) over ``stance_utilities`` (:mod:`sim.rules`): the
threat it shares with the coalition, its alignment with the West, the gap
between its stance on the target regime and the coalition's, and its tension
with the alliance, with a cost for changing.
"""
from __future__ import annotations

import numpy as np

from .. import draws, rules as R
from ..scenario import STANCES
from .common import STANCE, draws_at, pick, pick_rules, review_gap
from .hooks import by_player, let_players_choose

def step(s, w, day, triggered):
    if not s.stance_mask.any():
        return
    r, i = np.nonzero(s.stance_mask & (triggered | (w.next_stance_review <= day)))
    if not len(r):
        return
    w.next_stance_review[r, i] = day + review_gap(draws_at(s, r, i, day + 1, draws.STANCE_DELIBERATE)[:, 0],
                                                  s.rules["stance_review_rate"][r, 0])
    committed = s.active & (w.commitment[r] >= R.SUPPORT)
    assad = s.attr["assad_stance"]
    coalition_assad = (assad[r] * committed).sum(axis=-1) / np.maximum(committed.sum(axis=-1), 1)
    gap = (np.abs(assad[r, i] - coalition_assad) / 2.0)[:, None]
    shared = (w.threat[r, i] - w.state_threat[r, i])[:, None]
    align, tension, current = pick(r, i, s.attr["west_alignment"], w.tension, w.stance)
    rules = pick_rules(s, r)
    util = R.stance_utilities(shared, align, gap, tension, current, rules)
    choice = R.softmax_choice(util, rules["stance_temperature"], draws_at(s, r, i, day, draws.STANCE_CHOICE))[:, 0]
    chosen_by_player = let_players_choose(
        s, w, day, "stance", r, i, choice,
        lambda k: (f"{s.names[i[k]]}: which stance towards the coalition? (now: {STANCES[int(current[k, 0])]})",
                   list(STANCES), util[k, 0], 0))
    change = choice != current[:, 0]
    for k in np.nonzero(change)[0] if w.log is not None else ():
        data = {"stance": int(choice[k]), "was": int(current[k, 0])}
        w.log.append((int(r[k]), day, STANCE, int(i[k]), by_player(data, r[k] == 0 and int(i[k]) in chosen_by_player)))
    w.stance[r[change], i[change]] = choice[change]

