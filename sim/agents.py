"""StateAgent: one Mesa agent per state.

An agent is the state's identity in the model (its ISO3 code, name and
place in the alliance network) and exposes its variables. The decisions are
taken by the rules in :mod:`sim.rules`, applied by the model to every agent
at once (they are vectorised over states), so that the batch engine applies
exactly the same rules to many runs.
"""

from __future__ import annotations

from mesa.discrete_space import FixedAgent

from . import world as W
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

    def __repr__(self) -> str:
        return f"StateAgent({self.iso3}, {self.commitment})"
