"""Phase 4, parliaments: the votes due today.

A government whose commitment needs a vote (by its approval regime:
``convention`` from invited strikes, ``prior_vote`` from training; see
:data:`sim.process.commitments.VOTE_FROM_LEVEL`) waits for its legislature.
The yes share is ``vote_share`` (:mod:`sim.rules`): the government's seat
share, moved by public support, the obligation owed, the lack of a legal
basis (``legal_gap``) and a noise draw, weights ``vote_*``; the turnout is
``vote_turnout`` of the seats. Passed: the forces deploy after the level's
lag; failed: the government may try again after ``vote_retry_days``.
"""
from __future__ import annotations

import numpy as np

from .. import draws, rules as R
from .common import VOTE, draws_at, legal_gap, mandate, obligation, pick, pick_rules, public_support
from .deployments import deploy_lag

def pass_chance(s, w, day, r, i):
    """Of states (r, i) with a vote pending: the chance their chamber approves
    the pending level, as the government reckons it (``expected_pass`` with
    today's public support, obligation and legal basis)."""
    rules = pick_rules(s, r)
    level = w.pending_level[r, i]
    public = public_support(s, w, r, i)[:, None]
    oblig = obligation(s, w, day, r, i)[:, None]
    has_mandate = mandate(s, w, day, r, i)[:, None]
    (support,) = pick(r, i, s.attr["legislature_support"])
    level_gap = np.take_along_axis(legal_gap(has_mandate), level[:, None, None], axis=-1)[..., 0]
    return R.expected_pass(support, public, level_gap, oblig, rules)[:, 0]


def step(s, w, day, triggered):
    if day not in w.vote_days:
        return
    r, i = np.nonzero((w.pending_stage == 1) & (w.pending_day == day))
    if not len(r):
        return
    rules = pick_rules(s, r)
    level = w.pending_level[r, i]
    public = public_support(s, w, r, i)[:, None]
    oblig = obligation(s, w, day, r, i)[:, None]
    has_mandate = mandate(s, w, day, r, i)[:, None]
    support, seats = pick(r, i, s.attr["legislature_support"], s.attr["legislature_seats"])
    level_gap = np.take_along_axis(legal_gap(has_mandate), level[:, None, None], axis=-1)[..., 0]
    share = R.vote_share(support, public, level_gap, oblig, draws_at(s, r, i, day, draws.VOTE_SHARE), rules)
    present = np.rint(seats * rules["vote_turnout"])
    yes = np.rint(present * share)[:, 0]
    no = present[:, 0] - yes
    passed = yes > no
    lag = deploy_lag(s, w.commitment[r, i], level, r)
    for k in range(len(r)) if w.log is not None else ():
        w.log.append((int(r[k]), day, VOTE, int(i[k]), {"level": int(level[k]), "yes": int(yes[k]),
                                                        "no": int(no[k]), "passed": bool(passed[k])}))
    ok, fail = passed, ~passed
    w.pending_stage[r, i] = np.where(ok, 2, 0)
    w.pending_day[r, i] = np.where(ok, day + lag, -1)
    w.deploy_days.update(np.unique(w.pending_day[r[ok], i[ok]]).tolist())
    w.retry_after[r[fail], i[fail]] = day + s.rules["vote_retry_days"][r[fail], 0].astype(np.int32)
    w.pending_level[r[fail], i[fail]] = -1


