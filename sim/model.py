"""CoalitionModel: the Mesa engine, one run with one agent per state."""

from __future__ import annotations

import copy
import functools

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from . import rules as R
from .process.day import advance
from .roleplay import Control, Question
from .setup import Setup, compile_setup
from .world import World
from .agents import StateAgent
from .outputs import History, RunResult, event_frame, summary, timeseries_frame
from .scenario import Scenario


def alliance_graph(setup: Setup) -> nx.Graph:
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


def strike_capacity(model) -> int:
    """Strike aircraft committed: each state's strike aircraft times the share
    its commitment level deploys (the run summary's ``strike_capacity``)."""
    s = model.setup
    aircraft = R.aircraft_committed(s.attr["strike_aircraft"][0], model.world.commitment[0]) * s.active
    return int(aircraft.sum())


def stance_of(model, code: str) -> str | None:
    """A non-ally's stance towards the coalition (the ``stance.CODE`` series)."""
    return model.agent_by_code[code].stance


class CoalitionModel(mesa.Model):
    """The scenario played day by day: one step is one day.

    ``layout`` is passed to Mesa's Network space: None (no positions, fast)
    outside the app; the app passes fixed coordinates.
    """

    def __init__(self, scenario: Scenario, seed: int = 0, layout=None, players=()):
        super().__init__(rng=seed)
        self.config = scenario  # (Mesa reserves Model.scenario for its own Scenario class)
        self.seed = int(seed)
        self.setup = compile_setup([scenario], [self.seed])
        self.world = World.start(self.setup)
        self.history = History(self.setup)
        self.day = 0
        self.grid = Network(alliance_graph(self.setup), capacity=1, random=self.random, layout=layout)
        self.agent_by_code = {
            code: StateAgent(self, i, self.grid[code]) for i, code in enumerate(self.setup.codes)
        }
        # Model-level series for Mesa's own tools (the app plots the first
        # two with Mesa's plot component); the per-state, per-day table comes
        # from self.history (cheaper than agent reporters, and shared with the
        # batch engine). Reporters are pure reads: DataCollector calls each
        # one an extra time at the first collect.
        # One stance series per state the scenario gives a stance (its non-allies).
        stances = {f"stance.{code}": functools.partial(stance_of, code=code)
                   for i, code in enumerate(self.setup.codes) if self.setup.stance_mask[i]}
        self.datacollector = mesa.DataCollector(
            model_reporters={"coalition_size": coalition_size, "strike_capacity": strike_capacity, **stances},
        )
        self.running = True
        # Role play: states whose decisions a player takes (see step()).
        unknown = [c for c in players if c not in self.agent_by_code]
        if unknown:
            raise ValueError(f"no state {', '.join(unknown)} in this scenario")
        self.players = tuple(players)
        self.answers: dict[tuple, int] = {}
        self.situations: dict[tuple, tuple] = {}  # the situation each answer was given in
        self.questions: list[Question] = []
        self.waiting = False
        if self.players:
            self.world.control = Control([self.agent_by_code[c].index for c in self.players], self.answers,
                                         self.situations)

    def step(self) -> None:
        """One day: events, perception, routes, institutions, parliaments,
        commitments, deployments, retaliation, stances (docs/ODD.md §3).

        With players, the day is first run on a copy of the world to find
        the decisions their states face today; if any is unanswered the day
        does not advance (``waiting``; see ``questions`` and ``answer``).
        The draws are addressed by (seed, day, decision, state), so the real
        day meets the same questions the probe met.
        """
        if self.day >= self.setup.days:
            self.running = False
            return
        if self.players:
            probe = copy.deepcopy(self.world)
            probe.control = Control(self.world.control.players, dict(self.answers), dict(self.situations),
                                    review_days=self.world.control.review_days)
            probe.timer = None  # the probe is not the day; only the real day is timed
            advance(self.setup, probe, self.day)
            self.questions = probe.control.asked
            self.waiting = bool(self.questions)
            if self.waiting:
                return
        advance(self.setup, self.world, self.day)
        self.history.record(self.setup, self.world, self.day)
        self.datacollector.collect(self)
        self.day += 1
        self.running = self.day < self.setup.days

    def answer(self, question: Question, option: int) -> None:
        """A player's choice for an open question (an index into its options)."""
        if not 0 <= option < len(question.options):
            raise ValueError(f"option {option} out of range 0..{len(question.options) - 1}")
        self.answers[question.key] = int(option)
        self.situations[question.key] = question.situation

    def run(self) -> "CoalitionModel":
        """Step to the horizon (or until a player must decide)."""
        while self.running:
            self.step()
            if self.waiting:
                break
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
