"""The run's state: the dynamic variables of R runs, arrays of shape (R, N).

:class:`World` is what the phases of the day (:mod:`sim.process`) read and
change; the static side is :class:`sim.setup.Setup` (compiled by
:func:`sim.setup.compile_setup`) and the day itself is
:func:`sim.process.day.advance`, which both engines call. The names that
lived here before the split are re-exported below for the code that imports
them from ``sim.world``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import draws
from .process.common import review_gap
from .process.parliaments import clock_at_start
from .scenario import LEVELS, STANCES
from .setup import ROUTES, Setup


def _full(shape, value, dtype):
    return np.full(shape, value, dtype=dtype)


@dataclass
class World:
    """The dynamic variables of R runs; every array is (R, N) or (R,)."""

    threat: np.ndarray
    state_threat: np.ndarray
    tension: np.ndarray
    rally: np.ndarray
    commitment: np.ndarray
    pending_level: np.ndarray
    pending_stage: np.ndarray  # 0 none, 1 awaiting a vote, 2 deploying
    pending_day: np.ndarray
    pending_decided: np.ndarray
    retry_after: np.ndarray
    next_review: np.ndarray  # day a government next reviews its commitment unprompted
    next_stance_review: np.ndarray
    stance: np.ndarray  # a non-ally's headline stance: its closest relation with any partner (max of stance_to)
    # Per member (sim.process.stances): axis 1 is the stance holder's slot
    # (its rank among the scenario's ``stances:`` states), axis 2 the member.
    stance_to: np.ndarray  # (R, K, N) int8, the holder's stance towards each state
    tension_to: np.ndarray  # (R, K, N) tension with the member that attacked the holder
    stance_asked: np.ndarray  # (R, K, N) strength of a member's request to coordinate, 0 when none
    stance_asked_until: np.ndarray  # (R, K, N) last day that request stands
    victim: np.ndarray
    request_strength: np.ndarray  # an ally's request to step up (sim.process.requests), 0 when none
    request_until: np.ndarray  # last day the request stands
    self_defence_request: np.ndarray  # asked by a victim: collective self-defence
    retaliated: np.ndarray
    auth_due: np.ndarray  # day of an authorisation vote on a running clock (sim.process.parliaments), -1 none
    auth_set: np.ndarray  # that vote is on the agenda (brought forward from the legal deadline)
    first_strike_day: np.ndarray
    first_commitment_day: np.ndarray
    # First day (as the per-day table records it, at the day's end) each
    # state held each commitment level or a higher one: (R, N, levels), -1
    # never; and each stance or a closer one (R, N, stances). Kept by
    # sim.process.day.advance after the day's phases (note_firsts).
    level_day: np.ndarray
    stance_day: np.ndarray
    level_top: np.ndarray  # (R, N) the highest level reached so far (-1 before the first day)
    stance_top: np.ndarray  # (R, N) the closest stance reached so far
    requested: dict[str, np.ndarray]
    request_event: dict[str, np.ndarray]
    meeting_day: dict[str, np.ndarray]
    art5_day: np.ndarray
    eu427_day: np.ndarray
    un_day: np.ndarray
    un_mandate: np.ndarray  # (R,) a passed resolution authorises force under Chapter VII
    impact: dict[int, np.ndarray] = field(default_factory=dict)
    log: list[tuple] | None = field(default_factory=list)  # None: keep no log (summary-only sweeps)
    control: object | None = None  # the decision hook (sim.process.hooks); None: the model decides
    timer: object | None = None  # a sim.process.day.PhaseTimer while profiling
    # Days on which some run has a parliamentary vote / a deployment due, so
    # that the other days skip the scan of every state of every run.
    vote_days: set = field(default_factory=set)
    deploy_days: set = field(default_factory=set)

    @classmethod
    def start(cls, s: Setup) -> "World":
        shape = (s.R, len(s.codes))
        holders = np.nonzero(s.stance_mask)[0]
        pairs = (s.R, len(holders), len(s.codes))
        neg = lambda: _full(shape, -1, np.int32)  # noqa: E731
        return cls(
            threat=np.zeros(shape), state_threat=np.zeros(shape), tension=np.zeros(shape), rally=np.zeros(shape),
            commitment=np.broadcast_to(s.commitment0, shape).copy(), pending_level=neg(),
            pending_stage=np.zeros(shape, dtype=np.int8), pending_day=neg(), pending_decided=neg(),
            retry_after=neg(), stance=np.broadcast_to(s.stance0, shape).copy(),
            stance_to=np.broadcast_to(s.stance0[holders][None, :, None], pairs).astype(np.int8),
            tension_to=np.zeros(pairs), stance_asked=np.zeros(pairs), stance_asked_until=_full(pairs, -1, np.int32),
            next_review=review_gap(draws.uniform(s.seed_keys, 0, draws.DELIBERATE, s.keys), s.rules["review_rate"]) - 1,
            next_stance_review=review_gap(draws.uniform(s.seed_keys, 0, draws.STANCE_DELIBERATE, s.keys),
                                          s.rules["stance_review_rate"]) - 1,
            victim=np.zeros(shape, dtype=bool), request_strength=np.zeros(shape), request_until=neg(),
            self_defence_request=np.zeros(shape, dtype=bool), retaliated=np.zeros(shape, dtype=bool),
            auth_due=np.broadcast_to(clock_at_start(s), shape).copy(), auth_set=np.zeros(shape, dtype=bool),
            first_strike_day=neg(), first_commitment_day=neg(),
            level_day=_full(shape + (len(LEVELS),), -1, np.int32), stance_day=_full(shape + (len(STANCES),), -1, np.int32),
            level_top=_full(shape, -1, np.int8), stance_top=_full(shape, -1, np.int8),
            requested={r: neg() for r in ROUTES}, request_event={r: neg() for r in ROUTES},
            meeting_day={r: neg() for r in ROUTES},
            art5_day=_full(s.R, -1, np.int32), eu427_day=_full(s.R, -1, np.int32), un_day=_full(s.R, -1, np.int32),
            un_mandate=np.zeros(s.R, dtype=bool),
        )




# Re-exports (the former sim.world namespace).
__all__ = ["World", "review_gap", "Setup", "ROUTES"]
from .process.common import (  # noqa: E402,F401
    ART4_REQUEST, ART5_REQUEST, COMMIT_DECIDED, COMMIT_EFFECT, EU427_REQUEST, EU_COUNCIL, EVENT, NAC_CONSULT,
    NAC_VOTE, REQUEST, RETALIATE, STANCE, UN_REQUEST, UNSC_VOTE, VOTE, VOTE_SCHEDULED, legal_gap, mandate, obligation,
    public_support,
)
from .process.day import PLAN, advance, describe  # noqa: E402,F401
from .roleplay import Control, Question  # noqa: E402,F401
from .setup import ATTACK_KINDS, NUMERIC, REGIME_CODES, CompiledEvent, compile_setup, run_states  # noqa: E402,F401
