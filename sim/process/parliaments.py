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

Authorisation clocks: where the executive may use force first but the
legislature must authorise the operation within ``authorisation_days``
(France's Constitution, Art. 35 al. 3: four months; the US War Powers
Resolution: 60 days), a strike level taken without a prior vote starts a
clock (at the start date, from ``strike_since_days``, sim.forces). The
government puts the authorisation to the legislature at the latest on the
deadline, and sooner, ``vote_delay_min`` .. ``vote_delay_max`` days later,
when it decides the rise or when an event triggers it while the clock runs
(a government seeks the mandate while the country rallies). The vote is on
the level held or being deployed; lost, the forces are withdrawn to support.
The clocks are checked every day (``World.vote_days`` indexes only the
votes on pending levels).
"""
from __future__ import annotations

import numpy as np

from .. import draws, legislature as L
from .. import rules as R
from .common import (CLASS_LEVEL, COMMIT_EFFECT, LEGAL_CLASS, VOTE, draws_at, legal_gap, mandate, obligation, pick,
                     pick_rules, public_support, where2)
from .deployments import deploy_lag


def on_clock(s, level, r, i) -> np.ndarray:
    """Of states (r, i): whether ``level`` starts an authorisation clock (a
    strike level the regime lets the executive take without a prior vote,
    where the legislature must authorise it within ``authorisation_days``)."""
    from .commitments import VOTE_FROM_LEVEL

    return ((s.attr["authorisation_days"][r, i] > 0) & (level >= R.STRIKES_INVITED)
            & (level < VOTE_FROM_LEVEL[s.regime[r, i]]) & (s.attr["legislature_seats"][r, i] > 0))


def clock_at_start(s) -> np.ndarray:
    """(R, N) deadline of the clocks running on the start date (-1: none):
    the strike level held on day 0 began ``strike_since_days`` ago."""
    r, i = np.nonzero(np.broadcast_to(s.active, (s.R, len(s.codes))))
    due = np.full((s.R, len(s.codes)), -1, dtype=np.int32)
    level = np.broadcast_to(s.commitment0, (s.R, len(s.codes)))[r, i]
    left = s.attr["authorisation_days"][r, i] - s.attr["strike_since_days"][r, i]
    running = on_clock(s, level, r, i) & (left > 0)
    due[r[running], i[running]] = left[running].astype(np.int32)
    return due


def vote_delay(s, r, i, day, decision) -> np.ndarray:
    """Of states (r, i): the days a government takes to bring a question to
    its legislature, ``vote_delay_min`` .. ``vote_delay_max`` (one draw of
    stream ``decision`` each), as floats."""
    span = s.rules["vote_delay_max"][r, 0] - s.rules["vote_delay_min"][r, 0] + 1
    return s.rules["vote_delay_min"][r, 0] + np.floor(draws_at(s, r, i, day, decision)[:, 0] * span)


def put_on_agenda(s, w, day, r, i) -> None:
    """States (r, i) whose clock runs ask the legislature now: the vote is
    set ``vote_delay_min`` .. ``vote_delay_max`` days on, if that is before
    the deadline (once; a vote already on the agenda stays)."""
    keep = (w.auth_due[r, i] >= 0) & ~w.auth_set[r, i]
    r, i = r[keep], i[keep]
    if not len(r):
        return
    delay = vote_delay(s, r, i, day, draws.AUTH_DELAY)
    w.auth_due[r, i] = np.minimum(w.auth_due[r, i], day + delay.astype(np.int32))
    w.auth_set[r, i] = True


def start_clock(s, w, day, level, r, i) -> None:
    """A rise to ``level`` decided on ``day`` by states (r, i): a clock
    starts where the level is on one, and the vote goes on the agenda."""
    on = on_clock(s, level, r, i) & (w.auth_due[r, i] < 0)
    r, i = r[on], i[on]
    if not len(r):
        return
    w.auth_due[r, i] = day + s.attr["authorisation_days"][r, i].astype(np.int32)
    w.auth_set[r, i] = False
    put_on_agenda(s, w, day, r, i)


def authorisations(s, w, day, triggered) -> None:
    """Phase 4, second part: clocks brought forward by today's events, and
    the authorisation votes due today."""
    running = w.auth_due >= 0
    if not running.any():
        return
    r, i = where2(running & triggered & ~w.auth_set)
    put_on_agenda(s, w, day, r, i)
    r, i = where2(running & (w.auth_due == day))
    if not len(r):
        return
    # the level held, or the one deploying (the executive acted first)
    deploying = np.where(w.pending_stage[r, i] == 2, w.pending_level[r, i], -1)
    level = np.maximum(w.commitment[r, i], deploying).astype(np.int64)
    passed = hold_votes(s, w, day, r, i, level, draws.AUTH_SHARE, authorisation=True)
    w.auth_due[r, i] = -1
    w.auth_set[r, i] = False
    lost = ~passed
    r, i = r[lost], i[lost]
    w.commitment[r, i] = np.minimum(w.commitment[r, i], R.SUPPORT)
    w.pending_stage[r, i] = 0
    w.pending_level[r, i] = -1
    for k in range(len(r)) if w.log is not None else ():
        w.log.append((int(r[k]), day, COMMIT_EFFECT, int(i[k]), {"level": int(w.commitment[r[k], i[k]])}))


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


def outcome(s, w, day, r, i, rules, level=None, public=None, oblig=None, has_mandate=None):
    """The expected vote (sim.legislature.vote_outcome) of states (r, i) on
    each commitment level, arrays (K, 1, levels); with ``level`` (K,) on
    that level alone, (K, 1, 1). ``public``, ``oblig`` and ``has_mandate``
    (K, 1), when the caller has them, spare computing them again.

    The level enters the vote only through its legal case (:func:`vote_legal`),
    the same for every level of a legal class (``common.LEGAL_CLASS``): the
    vote is computed once per class and read out per level."""
    seats, position, kind = chamber(s, r, i)
    public = public_support(s, w, r, i)[:, None] if public is None else public
    oblig = obligation(s, w, day, r, i)[:, None] if oblig is None else oblig
    has_mandate = mandate(s, w, day, r, i)[:, None] if has_mandate is None else has_mandate
    legal = vote_legal(has_mandate, oblig)[..., CLASS_LEVEL]
    by_class = L.vote_outcome(seats[..., None, :], position[..., None, :], kind[..., None], public[..., None], legal,
                              params=L.rule_params(rules, lambda v: v[..., None]))
    if level is None:
        return {k: v[..., LEGAL_CLASS] for k, v in by_class.items()}
    column = LEGAL_CLASS[level][:, None, None]
    return {k: np.take_along_axis(v, column, axis=-1) for k, v in by_class.items()}


def hold_votes(s, w, day, r, i, level, decision, **extra) -> np.ndarray:
    """The chambers of states (r, i) vote today on ``level``: the expected
    vote (:func:`outcome`), one margin draw (stream ``decision``) each,
    logged; returns which passed."""
    at = {k: v[:, 0, 0] for k, v in outcome(s, w, day, r, i, pick_rules(s, r), level).items()}
    yes, no, passed = L.simulated_count(at["yes"], at["no"], at["margin"], at["sd"],
                                        draws_at(s, r, i, day, decision)[:, 0])
    for k in range(len(r)) if w.log is not None else ():
        w.log.append((int(r[k]), day, VOTE, int(i[k]), {"level": int(level[k]), "yes": int(yes[k]),
                                                        "no": int(no[k]), "passed": bool(passed[k]), **extra}))
    return passed


def pass_chance(s, w, day, r, i):
    """Of states (r, i) with a vote pending: the chance their chamber approves
    the pending level, as the government reckons it."""
    return outcome(s, w, day, r, i, pick_rules(s, r), w.pending_level[r, i])["p_pass"][:, 0, 0]


def step(s, w, day, triggered):
    authorisations(s, w, day, triggered)
    if day not in w.vote_days:
        return
    r, i = where2((w.pending_stage == 1) & (w.pending_day == day))
    if not len(r):
        return
    level = w.pending_level[r, i]
    passed = hold_votes(s, w, day, r, i, level, draws.VOTE_SHARE)
    lag = deploy_lag(s, w.commitment[r, i], level, r, i, day)
    ok, fail = passed, ~passed
    w.pending_stage[r, i] = np.where(ok, 2, 0)
    w.pending_day[r, i] = np.where(ok, day + lag, -1)
    w.deploy_days.update(np.unique(w.pending_day[r[ok], i[ok]]).tolist())
    w.retry_after[r[fail], i[fail]] = day + s.rules["vote_retry_days"][r[fail], 0].astype(np.int32)
    w.pending_level[r[fail], i[fail]] = -1
