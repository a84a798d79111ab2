"""CoalitionModel: the Mesa engine, one run with one agent per state."""

from __future__ import annotations

import mesa
import networkx as nx
from mesa.discrete_space import Network

from . import world as W
from .agents import StateAgent
from .outputs import History, RunResult, event_frame, summary, timeseries_frame
from .scenario import Scenario


def alliance_graph(setup: W.Setup) -> nx.Graph:
    """States as nodes; edges for land borders and shared membership of NATO
    or the EU, weighted by affinity."""
    graph = nx.Graph()
    graph.add_nodes_from(setup.codes)
    n = len(setup.codes)
    for i in range(n):
        for j in range(i + 1, n):
            if setup.neighbour[i, j] or (setup.nato[i] and setup.nato[j]) or (setup.eu[i] and setup.eu[j]):
                graph.add_edge(setup.codes[i], setup.codes[j], weight=float(setup.affinity[i, j]),
                               border=bool(setup.neighbour[i, j]))
    return graph


def coalition_size(model) -> int:
    """States contributing at least support to the campaign."""
    return int((model.setup.active & (model.world.commitment[0] >= 3)).sum())


def russia_stance(model) -> str | None:
    agent = model.agent_by_code.get("RUS")
    return agent.stance if agent else None


class CoalitionModel(mesa.Model):
    """The scenario played day by day: one step is one day.

    ``layout`` is passed to Mesa's Network space: None (no positions, fast)
    outside the app; the app passes fixed coordinates.
    """

    def __init__(self, scenario: Scenario, seed: int = 0, layout=None):
        super().__init__(rng=seed)
        self.config = scenario  # (Mesa reserves Model.scenario for its own Scenario class)
        self.seed = int(seed)
        self.setup = W.compile_setup([scenario], [self.seed])
        self.world = W.World.start(self.setup)
        self.history = History(self.setup)
        self.day = 0
        self.grid = Network(alliance_graph(self.setup), capacity=1, random=self.random, layout=layout)
        self.agent_by_code = {
            code: StateAgent(self, i, self.grid[code]) for i, code in enumerate(self.setup.codes)
        }
        # Model-level series for Mesa's own tools; the per-state, per-day table
        # comes from self.history (cheaper than agent reporters, and shared
        # with the batch engine).
        self.datacollector = mesa.DataCollector(
            model_reporters={"coalition_size": coalition_size, "russia_stance": russia_stance},
        )
        self.running = True

    def step(self) -> None:
        """One day: events, perception, routes, institutions, parliaments,
        commitments, deployments, retaliation, stances (docs/ODD.md §3)."""
        if self.day >= self.setup.days:
            self.running = False
            return
        W.advance(self.setup, self.world, self.day)
        self.history.record(self.setup, self.world, self.day)
        self.datacollector.collect(self)
        self.day += 1
        self.running = self.day < self.setup.days

    def run(self) -> "CoalitionModel":
        while self.running:
            self.step()
        return self

    def result(self) -> RunResult:
        """The three tables for the days run so far."""
        records = [rec for rec in self.world.log]
        return RunResult(
            scenario=self.config,
            seed=self.seed,
            summary=summary(self.setup, self.world, self.history, 0, records),
            timeseries=timeseries_frame(self.setup, self.history, 0).query(f"day < {self.day}").reset_index(drop=True),
            events=event_frame(self.setup, records, self.config),
        )
