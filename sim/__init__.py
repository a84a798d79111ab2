"""coalition-sim: how states decide together after an attack.

The public API, used by the command line, the app and the notebooks::

    import sim
    scenario = sim.load_scenario("configs/scenarios/paris_2015.yaml",
                                 {"overrides.DNK.public_support": 0.3})
    result = sim.run(scenario, seed=1)
    result.timeseries   # one row per state per day
    result.summary      # the per-run summary (dict); result.summary_frame() as a DataFrame
    result.events       # the event log, one sentence per row

Files shipped with the project (scenarios, experiments, cases) are found
from the package, not the working folder: ``sim.data_path("configs",
"scenarios", "paris_2015.yaml")`` works from a notebook's own folder.
"""

from __future__ import annotations

from .errors import ConfigError
from .experiment import load_experiment, load_results, replay, sweep
from .outputs import RunResult
from .scenario import LEVELS, STANCES, Scenario, load_scenario, preset_names
from .states import PACKAGE_ROOT, load_states
from .world import Question


def data_path(*parts: str):
    """A file or folder shipped with the project (``configs/``,
    ``experiments/``), as an absolute path found from the package itself,
    so that a notebook or a script works from any working folder."""
    return PACKAGE_ROOT.joinpath(*parts)


def load_session(path):
    """A class session saved from the facilitator's page, as pandas tables
    (see :class:`sim.classroom.SessionRecord`)."""
    from .classroom.debrief import load_session as _load

    return _load(path)


ENGINES = ("mesa", "batch")


def __getattr__(name: str):
    # The Mesa model on first use: a batch sweep's workers never import Mesa
    # (a third of the package's import time).
    if name == "CoalitionModel":
        from .model import CoalitionModel

        return CoalitionModel
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def run(scenario: Scenario, seed: int = 0, engine: str = "mesa") -> RunResult:
    """Run a scenario once with a seed; return its three tables.

    ``engine="mesa"`` steps a :class:`CoalitionModel`; ``engine="batch"``
    runs the same rules over arrays. Both give identical results.
    """
    if engine == "mesa":
        from .model import CoalitionModel

        return CoalitionModel(scenario, seed).run().result()
    if engine == "batch":
        from .batch import run_batch

        return run_batch([scenario], [seed], tables=True)[0]
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


__all__ = [
    "CoalitionModel", "ConfigError", "LEVELS", "RunResult", "STANCES", "Scenario",
    "load_scenario", "load_states", "preset_names", "run", "ENGINES", "Question",
    "load_experiment", "load_results", "replay", "sweep", "load_session", "to_ema",
]
__version__ = "0.1.0"


def to_ema(results):
    """A sweep's results (a folder or :func:`load_results`' frame) as EMA
    Workbench's ``(experiments, outcomes)`` pair; see :mod:`sim.discover`."""
    from .discover import to_ema as convert

    return convert(results)
