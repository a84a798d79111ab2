"""Phase 5, requests: a victim of the campaign's adversary, and the
coalition's lead nation, ask named allies to do one step more.

The lead nation asks again every ``request_interval`` days after the first
requests (the coalition's periodic reviews of its members' shares).

After an attack by the campaign's adversary (``theatres.adversary``) on a
NATO or EU member, once its perpetrator is known (plus ``request_lag``
days), two states ask for help, each of its own allies: the victim, if it
already fights the adversary (at strike level), and the lead nation (the
active state at the highest strike level with the most strike aircraft).
Coalitions are recruited this way, bilaterally and by name, by the state
that leads them (Weitsman 2014; Henke 2019): each asks its
``request_count`` allies (sharing NATO or the EU with it, below the top
strike level, not attacked themselves) that rank highest on

    rank_j = affinity_vj * capability_j * feasible_j

(capability: the log of strike aircraft, the weight of what j could bring;
:func:`sim.process.commitments.capability`), where ``feasible_j`` is 1 when j's next level up is short of strikes, or
when j already has strike aircraft in the theatre (``strike_in_theatre``,
sim.forces), else ``request_reach_home`` x j's strike capability (0 while
its aircraft are unavailable). An ally asked carries the request, of
strength ``affinity_vj`` (the largest of its requests), for
``request_days`` days or until it rises: the commitment phase adds
``request_weight`` x strength to the utility of every level above its
current one (the reputational cost of refusing a named ally), and it
decides today. A victim's request for help against its attacker is a
request for collective self-defence (UN Charter, Art. 51): it gives the
ally a legal basis for strikes in the uninvited theatre
(:func:`sim.process.common.mandate`). The victim also asks the non-allies
that fly in the theatre (stance holders with ``strike_in_theatre``) to
coordinate with it (:func:`ask_non_allies`).
"""
from __future__ import annotations

import numpy as np

from .. import rules as R
from .commitments import capability
from .common import REQUEST, where2


def lead_nation(s, w) -> np.ndarray:
    """(R,) index of each run's lead nation: among active states, the highest
    strike level, then the most strike aircraft (then the first in order)."""
    level = np.where(s.active, w.commitment, -1).astype(float)
    key = level * 1e7 + np.minimum(s.attr["strike_aircraft"], 1e7 - 1)
    return np.argmax(key, axis=1)


def feasibility(s, w, day) -> np.ndarray:
    """(R, N): how readily each state could take one step up (1 for steps
    short of strikes or with strike aircraft in the theatre)."""
    next_level = w.commitment + 1
    reach = np.where(s.attr["strike_in_theatre"] > 0, 1.0, s.rules["request_reach_home"] * capability(s))
    reach = np.where(s.attr["strike_unavailable_days"] > day, 0.0, reach)
    return np.where(next_level < R.STRIKES_INVITED, 1.0, reach)


def ranked(scores: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(R, N) bool: each row's ``count`` highest positive scores (ties to
    the lower index)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(scores.shape[1])[None, :], axis=1)
    return (rank < count[:, None]) & (scores > 0)


def ask_non_allies(s, w, day, asker, asks, triggered, event) -> None:
    """The victim also asks every stance holder with strike aircraft in the
    theatre to coordinate against their common adversary: a request of
    strength 1 towards the victim (``World.stance_asked``) for
    ``request_days`` days (sim.process.stances)."""
    holders = np.nonzero(s.stance_mask)[0]
    if not len(holders):
        return
    asked = asks[:, None] & (s.attr["strike_in_theatre"][:, holders] > 0)  # (R, K)
    r, k = where2(asked)
    if not len(r):
        return
    v = asker[r]
    w.stance_asked[r, k, v] = 1.0
    w.stance_asked_until[r, k, v] = day + s.rules["request_days"][r, 0].astype(np.int32)
    triggered[r, holders[k]] = True
    for rr, kk, vv in zip(r, k, v) if w.log is not None else ():
        w.log.append((int(rr), day, REQUEST, int(holders[kk]), {"by": int(vv), "event": event, "coordinate": True}))


def step(s, w, day, triggered):
    events = s.request_schedule.get(day, [])
    first = min(s.request_schedule, default=None)
    review = np.zeros(s.R, dtype=bool)
    if first is not None and day > first:
        interval = s.rules["request_interval"][:, 0].astype(np.int64)
        review = (interval > 0) & ((day - first) % np.maximum(interval, 1) == 0)
    if not events and not review.any():
        return
    allied = (s.nato[:, None] & s.nato[None, :]) | (s.eu[:, None] & s.eu[None, :])
    can_rise = s.active & (w.commitment < R.STRIKES_UNINVITED) & ~w.victim
    feasible = feasibility(s, w, day) * capability(s) * can_rise
    count = s.rules["request_count"][:, 0].astype(np.int64)
    runs = np.arange(s.R)
    rounds = [(np.full(s.R, ev.target), True, w.commitment[:, ev.target] >= R.STRIKES_INVITED, ev.index)
              for ev in events]
    rounds += [(lead_nation(s, w), False, np.ones(s.R, bool) if events else review, -1)]
    for asker, self_defence, asks, event in rounds:
        tie = s.affinity[asker] * allied[asker]  # (R, N)
        chosen = ranked(tie * feasible, count) & asks[:, None]
        chosen[runs, asker] = False
        if self_defence:
            ask_non_allies(s, w, day, asker, asks, triggered, event)
        if not chosen.any():
            continue
        strength = np.where(chosen, tie, 0.0)
        w.request_strength = np.maximum(w.request_strength, strength)
        w.request_until = np.where(chosen, day + s.rules["request_days"].astype(np.int32), w.request_until)
        if self_defence:
            w.self_defence_request |= chosen
        triggered |= chosen
        for r, j in zip(*np.nonzero(chosen)) if w.log is not None else ():
            w.log.append((int(r), day, REQUEST, int(j), {"by": int(asker[r]), "event": event}))
