"""The day as an explicit plan: the ordered phases both engines run.

``PLAN`` lists the phases of one day in order (docs/ODD.md, process
overview); :func:`advance` runs them for every run of a batch. The Mesa
engine (:class:`sim.model.CoalitionModel`) calls it with one run, the batch
engine (:mod:`sim.batch`) with many, so both apply the same phases in the
same order.

Print the plan::

    from sim.process import day
    print(day.describe())              # or: coalition-sim run SCENARIO --plan

Time it phase by phase (CPU time) over a run or a batch::

    timer = day.PhaseTimer()
    world.timer = timer                # before running; or coalition-sim run SCENARIO --profile
    print(timer.table())

Without a timer the loop costs one attribute test a day.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import (commitments, councils, deployments, events, parliaments, requests, retaliation, routes, stances,
               threat)
from .common import where2


@dataclass(frozen=True)
class Phase:
    """One phase of the day: its name, the module that holds its step and
    rules, and the step itself, ``step(setup, world, day, triggered)``."""

    name: str
    module: str
    step: Callable

    @property
    def summary(self) -> str:
        """What the phase decides (its module docstring's first sentence)."""
        doc = (importlib.import_module(self.module).__doc__ or "").strip()
        first = doc.split("\n\n")[0].replace("\n", " ")
        return first.split(": ", 1)[-1]


def _phase(name, module) -> Phase:
    return Phase(name, module.__name__, module.step)


PLAN: tuple[Phase, ...] = (
    _phase("events", events),
    _phase("routes", routes),
    _phase("councils", councils),
    _phase("parliaments", parliaments),
    _phase("requests", requests),
    _phase("commitments", commitments),
    _phase("deployments", deployments),
    _phase("retaliation", retaliation),
    _phase("stances", stances),
    _phase("threat", threat),
)


class PhaseTimer:
    """CPU time per phase, summed over the days (and runs) it saw."""

    def __init__(self, plan: tuple[Phase, ...] = PLAN):
        self.names = [p.name for p in plan]
        self.seconds = dict.fromkeys(self.names, 0.0)
        self.calls = dict.fromkeys(self.names, 0)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] += seconds
        self.calls[name] += 1

    def frame(self):
        import pandas as pd

        total = sum(self.seconds.values()) or 1.0
        return pd.DataFrame({
            "phase": self.names,
            "cpu_s": [self.seconds[n] for n in self.names],
            "share": [self.seconds[n] / total for n in self.names],
            "calls": [self.calls[n] for n in self.names],
            "ms_per_call": [1e3 * self.seconds[n] / max(self.calls[n], 1) for n in self.names],
        })

    def table(self) -> str:
        f = self.frame()
        lines = [f"{'phase':<12} {'cpu s':>9} {'share':>7} {'calls':>7} {'ms/call':>9}"]
        for row in f.itertuples():
            lines.append(f"{row.phase:<12} {row.cpu_s:>9.4f} {row.share:>6.1%} {row.calls:>7d} {row.ms_per_call:>9.4f}")
        lines.append(f"{'total':<12} {f['cpu_s'].sum():>9.4f}")
        return "\n".join(lines)


_RANKS = np.arange(16, dtype=np.int8)


def advance(s, w, day: int, plan: tuple[Phase, ...] = PLAN) -> None:
    """Run day ``day`` for every run of the batch: the plan's phases, in order.
    With ``w.timer`` set (a :class:`PhaseTimer`) each phase's CPU time is added."""
    triggered = np.zeros((s.R, len(s.codes)), dtype=bool)
    timer = w.timer
    if timer is None:
        for phase in plan:
            phase.step(s, w, day, triggered)
    else:
        clock = time.process_time
        for phase in plan:
            t0 = clock()
            phase.step(s, w, day, triggered)
            timer.add(phase.name, clock() - t0)
    note_firsts(w, day)


def note_firsts(w, day: int) -> None:
    """Record, for levels and stances not reached before, whether the day
    ends with a state at that level (stance) or above: ``w.level_day`` and
    ``w.stance_day`` hold the first such day, the day the per-day table
    first shows it. ``w.level_top``/``w.stance_top`` (the highest reached)
    let a day on which nobody rises skip the check."""
    for first, top, now in ((w.level_day, w.level_top, w.commitment), (w.stance_day, w.stance_top, w.stance)):
        r, i = where2(now > top)
        if len(r):
            top[r, i] = now[r, i]
            new = (now[r, i][:, None] >= _RANKS[: first.shape[2]]) & (first[r, i] < 0)
            k, level = where2(new)
            first[r[k], i[k], level] = day


def describe(plan: tuple[Phase, ...] = PLAN) -> str:
    """The plan as text: one line per phase, in order, with its module and
    what it decides."""
    lines = []
    for k, p in enumerate(plan, 1):
        lines.append(f"{k}. {p.name:<12} {p.module:<28} {p.summary}")
    return "\n".join(lines)


def profile(scenario, seeds=(0,), engine: str = "batch") -> PhaseTimer:
    """CPU time per phase of runs of ``scenario`` with ``seeds``: on the batch
    engine all seeds as one batch, on the Mesa engine one model per seed.
    Returns the :class:`PhaseTimer` (``.table()`` prints it)."""
    from ..batch import simulate
    from ..model import CoalitionModel

    timer = PhaseTimer()
    if engine == "batch":
        simulate([scenario] * len(seeds), list(seeds), record=False, log=False, timer=timer)
    elif engine == "mesa":
        for seed in seeds:
            model = CoalitionModel(scenario, seed)
            model.world.timer = timer
            model.run()
    else:
        raise ValueError(f"unknown engine {engine!r}")
    return timer
