"""Phase 6, commitments: governments choose their level of commitment.

A free active state (nothing pending, not waiting to retry a failed vote)
decides when triggered today (an event's impulse, Article 5, a UN mandate) or
on its unprompted review (geometric, daily chance ``review_rate``). It
chooses among the levels from its current one upwards by a softmax
(``temperature``) over ``level_utilities`` (:mod:`sim.rules`): threat,
obligation (Article 5 / 42.7), solidarity with allies who stepped up
(:func:`solidarity`), an ally's request (:mod:`sim.process.requests`),
capability (:func:`capability`), public support,
casualty aversion, the lack of a legal basis and, where a vote is needed,
the chance the vote passes (:func:`sim.process.parliaments.pass_chance`'s
arithmetic for every level), less each level's cost and a
change cost. A rise needs a vote (scheduled after ``vote_delay_min`` ..
``vote_delay_max`` days) or deploys directly after the level's lag.
"""
from __future__ import annotations

import numpy as np

from .. import draws, rules as R
from ..scenario import LEVELS
from . import parliaments
from .common import (COMMIT_DECIDED, VOTE_SCHEDULED, draws_at, legal_gap, mandate, obligation, pick,
                     pick_rules, public_support, review_gap, where2)
from .deployments import deploy_lag, vote_lead
from .hooks import by_player, let_players_choose

# First level that needs a parliamentary vote, per regime (7: never).
VOTE_FROM_LEVEL = np.array([7, R.STRIKES_INVITED, 2])


def capability(s):
    """Strike capability 0..1: log of combat aircraft, 500 or more counting as 1."""
    if s._capability is None:
        s._capability = np.minimum(1.0, np.log1p(s.attr["strike_aircraft"]) / np.log1p(500.0))
    return s._capability


def solidarity(s, w, r, i):
    """Of states (r, i): the affinity-weighted share of the others that have
    stepped up since the start (a threshold cascade, Granovetter 1978),
    scaled so that a few allies matter."""
    stepped = np.maximum(0, w.commitment - s.commitment0) * s.active  # (R, N), small integers
    weighted = (stepped[r] * s.affinity[i]).sum(axis=-1)
    if s._affinity_weight is None:
        s._affinity_weight = np.maximum(s.affinity.sum(axis=-1), 1e-9)
    return np.clip(3.0 * weighted / ((len(LEVELS) - 1) * s._affinity_weight[i]), 0.0, 1.0)



def chance_of_votes(s, w, day, r, i, rules, needs_vote, public, oblig, has_mandate):
    """(K, 1, levels): the chance the chamber approves each level
    (:func:`sim.process.parliaments.outcome`), for the states with a level
    that needs a vote; 1 for the others (no level of theirs pays a vote's
    risk, so the value is never read)."""
    voting = needs_vote.any(axis=-1)[:, 0]
    if voting.all():
        return parliaments.outcome(s, w, day, r, i, rules, public=public, oblig=oblig,
                                   has_mandate=has_mandate)["p_pass"]
    out = np.ones(needs_vote.shape)
    k = np.flatnonzero(voting)
    if len(k):
        out[k] = parliaments.outcome(s, w, day, r[k], i[k], pick_rules(s, r[k]), public=public[k], oblig=oblig[k],
                                     has_mandate=has_mandate[k])["p_pass"]
    return out


def utility_inputs(s, w, day, r, i, rules) -> dict:
    """The arguments of ``level_utilities`` for deciding states (r, i) on
    ``day`` (rows picked as K replicates of one state): what the phase reads."""
    threat, cap, casualty, seats, current = pick(
        r, i, w.threat, capability(s), s.attr["casualty_aversion"], s.attr["legislature_seats"], w.commitment)
    public = public_support(s, w, r, i)[:, None]
    oblig = obligation(s, w, day, r, i)[:, None]
    solid = solidarity(s, w, r, i)[:, None]
    has_mandate = mandate(s, w, day, r, i)[:, None]
    request = np.where(w.request_until[r, i] >= day, w.request_strength[r, i], 0.0)[:, None]
    gap = legal_gap(has_mandate)
    needs_vote = (np.arange(len(LEVELS)) >= VOTE_FROM_LEVEL[s.regime[r, i]][:, None, None]) & (seats > 0)[..., None]
    vote_pass = chance_of_votes(s, w, day, r, i, rules, needs_vote, public, oblig, has_mandate)
    return {"threat": threat, "obligation": oblig, "solidarity": solid, "capability": cap, "public": public,
            "casualty_aversion": casualty, "legal_gap": gap, "vote_pass": vote_pass, "needs_vote": needs_vote,
            "request": request, "current": current, "frontline": s.frontline[i][:, None],
            "rotation": s.attr["strike_rotation"][r, i][:, None]}


def step(s, w, day, triggered):
    free = s.active & (w.pending_stage == 0) & (w.retry_after <= day)
    r, i = where2(free & (triggered | (w.next_review <= day)))
    if not len(r):
        return
    w.next_review[r, i] = day + review_gap(draws_at(s, r, i, day + 1, draws.DELIBERATE)[:, 0], s.rules["review_rate"][r, 0])
    rules = pick_rules(s, r)
    args = utility_inputs(s, w, day, r, i, rules)
    current, needs_vote = args["current"], args["needs_vote"]
    util = R.level_utilities(**args, rules=rules)
    choice = R.softmax_choice(util, rules["temperature"], draws_at(s, r, i, day, draws.COMMIT_CHOICE))[:, 0]

    def ask(k):
        low = int(current[k, 0])
        options = [LEVELS[lv] + (f" (needs a vote in the {s.legislatures[i[k]]})" if needs_vote[k, 0, lv] else "")
                   for lv in range(low, len(LEVELS))]
        return (f"{s.names[i[k]]}: what should the government commit? (now: {LEVELS[low]})",
                options, util[k, 0, low:], low)

    chosen_by_player = let_players_choose(s, w, day, "commitment", r, i, choice, ask)
    rise = choice > current[:, 0]
    if not rise.any():
        return
    r, i, choice, needs_vote = r[rise], i[rise], choice[rise], needs_vote[rise][:, 0, :]
    w.request_strength[r, i] = 0.0  # a rise answers the requests it carried
    vote = needs_vote[np.arange(len(r)), choice]
    delay = vote_lead(s, choice, r, i, day) - day + parliaments.vote_delay(s, r, i, day, draws.VOTE_DELAY)
    lag = deploy_lag(s, w.commitment[r, i], choice, r, i, day)
    parliaments.start_clock(s, w, day, choice[~vote], r[~vote], i[~vote])
    w.pending_level[r, i] = choice
    w.pending_stage[r, i] = np.where(vote, 1, 2)
    w.pending_day[r, i] = np.where(vote, day + delay.astype(np.int32), day + lag)
    w.vote_days.update(np.unique(w.pending_day[r[vote], i[vote]]).tolist())
    w.deploy_days.update(np.unique(w.pending_day[r[~vote], i[~vote]]).tolist())
    w.pending_decided[r, i] = day
    for k in range(len(r)) if w.log is not None else ():
        code = VOTE_SCHEDULED if vote[k] else COMMIT_DECIDED
        data = {"level": int(choice[k]), "on": int(w.pending_day[r[k], i[k]])}
        w.log.append((int(r[k]), day, code, int(i[k]), by_player(data, r[k] == 0 and int(i[k]) in chosen_by_player)))


