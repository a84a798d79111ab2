"""What several phases of the day share: draws, row picking, the event
log, and the quantities more than one decision reads (public support,
obligation, legal basis).

Rows (r, i) are the deciding states of every run of a batch, picked so that
a rule sees them as K replicates of one state (see :func:`pick`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import draws, rules as R
from ..scenario import LEVELS

if TYPE_CHECKING:
    from ..setup import Setup
    from ..world import World

# Log record codes (see sim.narrative for the sentences).
EVENT, ART4_REQUEST, NAC_CONSULT, ART5_REQUEST, NAC_VOTE = 1, 2, 3, 4, 5
EU427_REQUEST, EU_COUNCIL, UN_REQUEST, UNSC_VOTE = 6, 7, 8, 9
VOTE_SCHEDULED, VOTE, COMMIT_DECIDED, COMMIT_EFFECT, RETALIATE, STANCE = 10, 11, 12, 13, 14, 15
REQUEST = 16


def review_gap(u, rate):
    """Days until the next unprompted review: geometric with daily chance
    ``rate`` (so reviews come as if each day were a coin toss), drawn once
    per review instead of once per day."""
    rate = np.broadcast_to(rate, np.shape(u))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gap = 1 + np.floor(np.log1p(-u) / np.log1p(-np.minimum(rate, 1 - 1e-12)))
    gap = np.where(rate <= 0, 1e9, np.where(rate >= 1, 1, gap))
    return np.minimum(gap, 1e9).astype(np.int64)



def draws_all(s: Setup, day: int, decision: int) -> np.ndarray:
    return draws.uniform(s.seed_keys, day, decision, s.keys)


def obligation(s: Setup, w: World, day: int, r, i) -> np.ndarray:
    """Of states (r, i): 1 for NATO allies once Article 5 is invoked;
    EU_OBLIGATION for EU partners once 42.7 is; the victim owes itself nothing."""
    a5 = (w.art5_day[r] >= 0) & (w.art5_day[r] <= day) & s.nato[i] & (w.requested["art5"][r, i] < 0)
    eu = (w.eu427_day[r] >= 0) & (w.eu427_day[r] <= day) & s.eu[i] & (w.requested["eu427"][r, i] < 0)
    return np.maximum(a5 * 1.0, eu * R.EU_OBLIGATION)



def public_support(s: Setup, w: World, r=slice(None), i=slice(None)) -> np.ndarray:
    """Public support for strikes: the state's baseline plus the rally effect."""
    return np.clip(s.attr["public_support"][r, i] + w.rally[r, i], 0.0, 1.0)


def log(w: World, rows, day, code, i, data=None):
    if w.log is None:
        return
    for r in np.atleast_1d(rows):
        w.log.append((int(r), day, code, int(i), data if data is None or not callable(data) else data(int(r))))



def stance_slot(s, i):
    """The slot of stance holder(s) ``i`` on axis 1 of the per-member stance
    arrays (``World.stance_to``): its rank among the holders."""
    return np.cumsum(s.stance_mask)[i] - 1


def mandate(s, w, day, r, i):
    """Of states (r, i): a legal basis for uninvited strikes? A Security
    Council authorisation under Chapter VII (not any resolution: 1368 in
    2001 and 2249 in 2015 were not), self-defence (it was attacked),
    collective self-defence (a victim asked it for help:
    sim.process.requests; or the invited host asked for it before the start,
    ``theatres.host_request``) or Article 5 (for NATO members)."""
    host = bool(s.scenario.theatres.host_request)
    return host | w.un_mandate[r] | w.victim[r, i] | w.self_defence_request[r, i] | (
        (w.art5_day[r] >= 0) & (w.art5_day[r] <= day) & s.nato[i])


# Each level's legal class: 1 for the levels that need a mandate (uninvited
# strikes, ground forces), 0 for the others; and the first level of each
# class. Whatever reads the legal basis sees a level through its class only,
# so a quantity that depends on it (a vote's outcome) is the same for every
# level of a class and may be computed once per class.
LEGAL_CLASS = (np.arange(len(LEVELS)) >= R.STRIKES_UNINVITED).astype(np.intp)
CLASS_LEVEL = np.array([int(np.argmax(LEGAL_CLASS == c)) for c in (0, 1)])


def legal_gap(has_mandate):
    """(..., levels): 1 where a level lacks a legal basis (uninvited strikes
    or ground forces without a mandate)."""
    return (LEGAL_CLASS.astype(bool) & ~has_mandate[..., None]).astype(float)


def where2(mask):
    """The (row, column) indices of a 2-D mask's true cells, as
    ``np.nonzero(mask)`` gives them (row-major order, the same arrays) in a
    tenth of its time on a batch's arrays: the day's phases find their
    deciding states this way. A small mask (one run) goes to ``np.nonzero``,
    quicker there."""
    if mask.size <= 1024:
        return np.nonzero(mask)
    flat = np.flatnonzero(mask)
    return np.divmod(flat, mask.shape[1])


def pick(r, i, *arrays):
    """Rows (r, i) of (R, N) arrays, shaped (K, 1): the deciding states alone,
    treated as K replicates of one state (the rules broadcast either way)."""
    return [a[r, i][:, None] for a in arrays]


class RuleView:
    """Rule weights seen through a transformation (rows picked, an axis
    added), computed only for the weights a rule asks for."""

    __slots__ = ("_source", "_fn", "_cache")

    def __init__(self, source, fn):
        self._source, self._fn, self._cache = source, fn, {}

    def __getitem__(self, key):
        if key not in self._cache:
            self._cache[key] = self._fn(self._source[key])
        return self._cache[key]


def pick_rules(s, r):
    return RuleView(s.rules, lambda v: v[r])


def draws_at(s, r, i, day, decision):
    """The draws of states (r, i) alone: the same numbers as draws_all(...)[r, i]."""
    return draws.uniform(s.seed_keys[r, 0], day, decision, s.keys[i])[:, None]


