"""Phase 7, deployments: decided (or approved) commitments take effect.

Decides nothing: a commitment whose lag has run out becomes the state's
level; the lags (:func:`deploy_lag`) are the scenario's ``lag_political``,
``lag_training``, ``lag_support``, ``lag_strikes`` (``lag_in_theatre`` for a
state already striking) and ``lag_ground``; a state whose strike aircraft are unavailable (sim.forces:
``strike_unavailable_days``) cannot begin a strike level before they are
back. The first commitment and first strike days are recorded for
commitments decided after the first event.
"""
from __future__ import annotations

import numpy as np

from .. import rules as R
from .common import COMMIT_EFFECT, where2

def deploy_lag(s, current, target, r, i, day):
    """Days from decision (or approval) on ``day`` to effect, for states (r, i)."""
    rules = {k: v[r, 0] for k, v in s.rules.items() if k.startswith("lag_")}
    in_theatre = (current >= R.STRIKES_INVITED) | (s.attr["strike_in_theatre"][r, i] > 0)
    strike_lag = np.where(in_theatre, rules["lag_in_theatre"], rules["lag_strikes"])
    strike_lag = np.maximum(strike_lag, s.attr["strike_unavailable_days"][r, i] - day)
    return np.select(
        [target <= 1, target == 2, target == 3, target <= R.STRIKES_UNINVITED],
        [rules["lag_political"], rules["lag_training"], rules["lag_support"], strike_lag],
        rules["lag_ground"],
    ).astype(np.int32)


def vote_lead(s, target, r, i, day):
    """Earliest day a vote on ``target`` can be held, for states (r, i): a
    government seeks a mandate for forces it can send, so a vote on a strike
    level waits until the aircraft can deploy within ``lag_strikes`` days of
    it plus the longest usual delay of a vote (``vote_delay_max``)."""
    back = s.attr["strike_unavailable_days"][r, i] - s.rules["lag_strikes"][r, 0] - s.rules["vote_delay_max"][r, 0]
    return np.where(target >= R.STRIKES_INVITED, np.maximum(day, back), day)



def step(s, w, day, triggered):
    if day not in w.deploy_days:
        return
    r, i = where2((w.pending_stage == 2) & (w.pending_day <= day))
    if not len(r):
        return
    level = w.pending_level[r, i]
    counts = w.pending_decided[r, i] >= s.first_event_day
    w.commitment[r, i] = level
    first = counts & (w.first_commitment_day[r, i] < 0)
    w.first_commitment_day[r[first], i[first]] = day
    strikes = counts & (level >= R.STRIKES_INVITED) & (w.first_strike_day[r, i] < 0)
    w.first_strike_day[r[strikes], i[strikes]] = day
    for k in range(len(r)) if w.log is not None else ():
        w.log.append((int(r[k]), day, COMMIT_EFFECT, int(i[k]), {"level": int(level[k])}))
    w.pending_stage[r, i] = 0
    w.pending_level[r, i] = -1
    w.pending_day[r, i] = -1


