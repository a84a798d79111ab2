"""StateAgent: one Mesa agent per state.

An agent is the state's identity in the model (its ISO3 code, name and
place in the alliance network) and exposes its variables; :meth:`StateAgent.explain`
says what it is about to decide and why. The decisions are taken by the
phases of :mod:`sim.process`, applied by the model to every agent at once
(they are vectorised over states), so that the batch engine applies exactly
the same rules to many runs; ``explain`` calls the phases' own functions.
"""

from __future__ import annotations

import numpy as np
from mesa.discrete_space import FixedAgent

from . import rules as R, world as W
from .process import commitments, parliaments, stances
from .process.common import pick_rules, stance_slot
from .scenario import LEVELS, STANCES


class StateAgent(FixedAgent):
    """A state: reads its row of the model's arrays."""

    def __init__(self, model, index: int, cell):
        super().__init__(model)
        self.index = index
        self.iso3 = model.setup.codes[index]
        self.name = model.setup.names[index]
        self.cell = cell

    @property
    def _world(self) -> W.World:
        return self.model.world

    @property
    def commitment(self) -> str:
        return LEVELS[self._world.commitment[0, self.index]]

    @property
    def threat(self) -> float:
        return float(self._world.threat[0, self.index])

    @property
    def public_support(self) -> float:
        return float(W.public_support(self.model.setup, self._world)[0, self.index])

    @property
    def stance(self) -> str | None:
        code = self._world.stance[0, self.index]
        return STANCES[code] if code >= 0 else None

    @property
    def stances_toward(self) -> dict[str, str]:
        """A non-ally's stance towards each state it deals with (its partners
        today, sim.process.stances); empty for the others."""
        s, w = self.model.setup, self._world
        if not s.stance_mask[self.index]:
            return {}
        slot = stance_slot(s, self.index)
        partner = stances.partners(s, w)[0]
        return {s.codes[j]: STANCES[w.stance_to[0, slot, j]] for j in np.nonzero(partner)[0] if j != self.index}

    @property
    def pending(self) -> str | None:
        """What the state is waiting for: a vote or a deployment, with its level."""
        stage = self._world.pending_stage[0, self.index]
        if stage == 0:
            return None
        level = LEVELS[self._world.pending_level[0, self.index]]
        return f"vote on {level}" if stage == 1 else f"deploying {level}"

    @property
    def is_nato(self) -> bool:
        return bool(self.model.setup.nato[self.index])

    @property
    def is_eu(self) -> bool:
        return bool(self.model.setup.eu[self.index])

    def explain(self) -> dict:
        """The state's open decisions as the phases see them today (the day
        the model steps next), computed by the phases' own functions:

        * ``commitment`` (active states): the levels it may choose (from its
          current one up), each with its utility and the utility's terms
          (``benefit`` split into ``threat``, ``obligation`` and
          ``solidarity``; ``cost``, ``legal``, ``vote_risk``, ``change``),
          whether it needs a vote, and the softmax probability of each;
        * ``stance`` (non-allies with a stance): per partner, the stance it
          holds, the terms of ``net`` (shared threat, rivalry, patron gap,
          tension, request) and the softmax probability of each stance;
        * ``pending``: a vote due (level, day, chance the chamber approves) or
          a deployment (level, day).
        """
        s, w, day = self.model.setup, self._world, self.model.day
        r, i = np.array([0]), np.array([self.index])
        out: dict = {"state": self.iso3, "day": day, "commitment": None, "pending": None}
        if s.active[self.index]:
            rules = pick_rules(s, r)
            args = commitments.utility_inputs(s, w, day, r, i, rules)
            terms, parts = R.level_utility_terms(**args, rules=rules)
            util = R.level_utilities(**args, rules=rules)
            low = int(args["current"][0, 0])
            prob = R.softmax_probabilities(util[0, 0, low:], rules["temperature"][0, 0])
            out["commitment"] = [
                {"level": LEVELS[lv], "utility": float(util[0, 0, lv]), "probability": float(prob[lv - low]),
                 "needs_vote": bool(args["needs_vote"][0, 0, lv]),
                 "terms": {**{k: float(v[0, 0, lv]) + 0.0 for k, v in parts.items()},
                           **{k: float(v[0, 0, lv]) + 0.0 for k, v in terms.items() if k != "benefit"}}}
                for lv in range(low, len(LEVELS))]
        if s.stance_mask[self.index]:
            out["stance"] = self._explain_stance(s, w, day)
        stage = int(w.pending_stage[0, self.index])
        if stage:
            level, due = int(w.pending_level[0, self.index]), int(w.pending_day[0, self.index])
            out["pending"] = {"kind": "vote" if stage == 1 else "deployment", "level": LEVELS[level], "day": due}
            if stage == 1:
                out["pending"]["pass_probability"] = float(parliaments.pass_chance(s, w, day, r, i)[0])
        return out

    def _explain_stance(self, s, w, day) -> dict:
        r, i = np.array([0]), np.array([self.index])
        slot = stance_slot(s, i)
        shared, gap, tension, asked = stances.pair_terms(s, w, r, i, slot, day)
        rules = pick_rules(s, r)
        align = s.attr["west_alignment"][r, i][:, None]
        util = R.stance_utilities(shared, align, gap, tension, w.stance_to[r, slot], rules, asked)
        terms = R.stance_net_terms(shared, align, gap, tension, rules, asked)
        out = {}
        for j in np.nonzero(stances.partners(s, w)[0])[0]:
            if j == self.index:
                continue
            prob = R.softmax_probabilities(util[0, j], rules["stance_temperature"][0, 0])
            out[s.codes[j]] = {
                "stance": STANCES[w.stance_to[0, slot[0], j]],
                "terms": {k: float(np.broadcast_to(v, shared.shape)[0, j]) for k, v in terms.items()},
                "probabilities": {STANCES[k]: float(p) for k, p in enumerate(prob)}}
        return out

    def __repr__(self) -> str:
        return f"StateAgent({self.iso3}, {self.commitment})"
