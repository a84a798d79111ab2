"""The batch engine: many replicates of one scenario structure at once.

State is held in arrays of shape (replicates, states); each day applies
:func:`sim.process.day.advance`, the very function the Mesa engine applies, so a
replicate's results do not depend on the engine or on its batch-mates.
"""

from __future__ import annotations

from collections.abc import Sequence

from .process.day import advance
from .setup import ROUTES, compile_setup
from .world import World
from .outputs import History, RunResult, event_frame, summary, summary_table, timeseries_frame
from .scenario import Scenario


def simulate(scenarios: Sequence[Scenario], seeds: Sequence[int], record: bool = True, log: bool = True, timer=None,
             history_states=None):
    """Run every (scenario, seed) pair to its horizon; scenarios must share
    their structure. Returns (setup, world, history); history is None when
    ``record`` is off (a sweep that keeps only summaries needs no per-day
    arrays), and ``world.log`` is None when ``log`` is off (nor an event log).
    ``history_states`` (codes) records those states' days only.
    ``timer`` (a :class:`sim.process.day.PhaseTimer`) times the phases."""
    setup = compile_setup(list(scenarios), list(seeds))
    world = World.start(setup)
    world.timer = timer
    if not log:
        world.log = None
    history = History(setup, history_states) if record else None
    for day in range(setup.days):
        advance(setup, world, day)
        if history is not None:
            history.record(setup, world, day)
    return setup, world, history


def summary_rows(scenarios: Sequence[Scenario], seeds: Sequence[int]):
    """The flat summaries of many runs as one DataFrame (a row per run), the
    fast path for sweeps: no per-day arrays, no dict per run."""
    setup, world, _ = simulate(scenarios, seeds, record=False, log=False)
    return summary_table(setup, world)


def _records_by_run(world: World, runs: int) -> list[list]:
    out: list[list] = [[] for _ in range(runs)]
    for rec in world.log:
        out[rec[0]].append(rec)
    return out


def run_batch(scenarios: Sequence[Scenario], seeds: Sequence[int], tables: bool = False) -> list:
    """Summaries (dicts) of each run; with ``tables`` full RunResults."""
    setup, world, history = simulate(scenarios, seeds)
    records = _records_by_run(world, setup.R)
    results = []
    for r, sc in enumerate(scenarios):
        summ = summary(setup, world, history, r, records[r])
        if tables:
            results.append(RunResult(sc, setup.seeds[r], summ, timeseries_frame(setup, history, r),
                                     event_frame(setup, records[r], sc)))
        else:
            results.append(summ)
    return results


def structure_key(scenario: Scenario) -> tuple:
    """Runs whose scenarios have equal keys can share one batch: same states
    table, start date, horizon, included states, initial levels, theatres and
    event structure (numbers such as deaths or weights may differ)."""
    events = tuple(
        (e.kind, e.target, e.perpetrator, e.perpetrator_kind, scenario.event_day(e), e.claimed_day, e.intent, e.location)
        for e in scenario.events
    )
    overrides_structure = tuple(sorted(
        (code, name, value) for code, attrs in scenario.overrides.items() for name, value in attrs.items()
        if name in ("nato_accession", "eu_accession", "eu_exit", "neighbours", "unsc_permanent", "west_alignment")
    ))
    lags = tuple(getattr(scenario.rules, f"route_lag_{r}") for r in ROUTES)
    return (scenario.states, scenario.start_date, scenario.days, scenario.include, tuple(sorted(scenario.commitments.items())),
            tuple(sorted(scenario.stances.items())), scenario.theatres, events, tuple(sorted(scenario.overrides)),
            overrides_structure, lags)
