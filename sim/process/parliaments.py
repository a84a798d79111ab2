"""Phase 4, parliaments: the votes due today.

A government whose commitment needs a vote (by its approval regime:
``convention`` from invited strikes, ``prior_vote`` from training; see
:data:`sim.process.commitments.VOTE_FROM_LEVEL`) waits for its legislature.
The chamber is three blocs (government, main opposition, the rest) with the
seats and the positions on the campaign's target that were known on the
start date (``configs/states/parliaments.csv``, :func:`sim.legislature.chamber`).
A member votes by the bloc's line or, where the line is loose or the bloc is
split, by a leaning moved by public support and by the legal case put to the
chamber (:func:`vote_legal`); the arithmetic is
:func:`sim.legislature.vote_outcome`, weights ``vote_*``. The government
reckons the chance of winning (:func:`pass_chance`, read by the commitment
phase); on the day, one draw gives the margin, so votes can fail. Passed:
the forces deploy after the level's lag; failed: the government may try
again after ``vote_retry_days``.
"""
from __future__ import annotations

import numpy as np

from .. import draws, legislature as L
from .common import VOTE, draws_at, legal_gap, mandate, obligation, pick, pick_rules, public_support
from .deployments import deploy_lag


def chamber(s, r, i):
    """Of states (r, i): bloc seats and positions (K, 1, 3) and the
    government's type code (K, 1)."""
    total, gov, opp, gov_pos, opp_pos = pick(
        r, i, s.attr["legislature_seats"], s.attr["government_seats"], s.attr["opposition_seats"],
        s.attr["government_position"], s.attr["opposition_position"])
    rest = np.maximum(total - gov - opp, 0.0)
    seats = np.stack([gov, opp, rest], axis=-1)
    position = np.stack([gov_pos, opp_pos, np.zeros_like(gov_pos)], axis=-1)
    return seats, position, s.government_type[r, i][:, None]


def vote_legal(has_mandate, oblig):
    """(..., levels): the legal case for each level put to the chamber: 1
    where the level has a basis (:func:`sim.process.common.legal_gap`);
    where it has none, the obligation owed to the victim (collective
    self-defence at its request, UN Charter Art. 51, through Article 5 or
    TEU 42.7)."""
    return 1.0 - legal_gap(has_mandate) * (1.0 - oblig[..., None])


def outcome(s, w, day, r, i, rules):
    """The expected vote (sim.legislature.vote_outcome) of states (r, i) on
    each commitment level, arrays (K, 1, levels)."""
    seats, position, kind = chamber(s, r, i)
    public = public_support(s, w, r, i)[:, None]
    oblig = obligation(s, w, day, r, i)[:, None]
    legal = vote_legal(mandate(s, w, day, r, i)[:, None], oblig)
    return L.vote_outcome(seats[..., None, :], position[..., None, :], kind[..., None], public[..., None], legal,
                          params=L.rule_params(rules, lambda v: v[..., None]))


def pass_chance(s, w, day, r, i):
    """Of states (r, i) with a vote pending: the chance their chamber approves
    the pending level, as the government reckons it."""
    p_pass = outcome(s, w, day, r, i, pick_rules(s, r))["p_pass"]
    return np.take_along_axis(p_pass, w.pending_level[r, i][:, None, None], axis=-1)[:, 0, 0]


def step(s, w, day, triggered):
    if day not in w.vote_days:
        return
    r, i = np.nonzero((w.pending_stage == 1) & (w.pending_day == day))
    if not len(r):
        return
    level = w.pending_level[r, i]
    expected = outcome(s, w, day, r, i, pick_rules(s, r))
    at = {k: np.take_along_axis(v, level[:, None, None], axis=-1)[:, 0, 0] for k, v in expected.items()}
    yes, no, passed = L.simulated_count(at["yes"], at["no"], at["margin"], at["sd"],
                                        draws_at(s, r, i, day, draws.VOTE_SHARE)[:, 0])
    lag = deploy_lag(s, w.commitment[r, i], level, r, i, day)
    for k in range(len(r)) if w.log is not None else ():
        w.log.append((int(r[k]), day, VOTE, int(i[k]), {"level": int(level[k]), "yes": int(yes[k]),
                                                        "no": int(no[k]), "passed": bool(passed[k])}))
    ok, fail = passed, ~passed
    w.pending_stage[r, i] = np.where(ok, 2, 0)
    w.pending_day[r, i] = np.where(ok, day + lag, -1)
    w.deploy_days.update(np.unique(w.pending_day[r[ok], i[ok]]).tolist())
    w.retry_after[r[fail], i[fail]] = day + s.rules["vote_retry_days"][r[fail], 0].astype(np.int32)
    w.pending_level[r[fail], i[fail]] = -1
