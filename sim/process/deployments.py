"""Phase 6, deployments: decided (or approved) commitments take effect.

Decides nothing: a commitment whose lag has run out becomes the state's
level; the lags (:func:`deploy_lag`) are the scenario's ``lag_political``,
``lag_training``, ``lag_support``, ``lag_strikes`` (``lag_in_theatre`` for a
state already striking) and ``lag_ground``. The first commitment and first
strike days are recorded for commitments decided after the first event.
"""
from __future__ import annotations

import numpy as np

from .. import rules as R
from .common import COMMIT_EFFECT

def deploy_lag(s, current, target, r):
    """Days from decision (or approval) to effect, for replicates r."""
    rules = {k: v[r, 0] for k, v in s.rules.items() if k.startswith("lag_")}
    in_theatre = current >= R.STRIKES_INVITED
    strike_lag = np.where(in_theatre, rules["lag_in_theatre"], rules["lag_strikes"])
    return np.select(
        [target <= 1, target == 2, target == 3, target <= R.STRIKES_UNINVITED],
        [rules["lag_political"], rules["lag_training"], rules["lag_support"], strike_lag],
        rules["lag_ground"],
    ).astype(np.int32)



def step(s, w, day, triggered):
    if day not in w.deploy_days:
        return
    r, i = np.nonzero((w.pending_stage == 2) & (w.pending_day <= day))
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


