"""Designs: grid, Latin hypercube, Sobol (Saltelli) and Morris points; run seeds."""

from __future__ import annotations

import itertools
import math
import json
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .schema import Design, LoadedExperiment, Span

# --------------------------------------------------------------------------
# Designs


# The largest sweep accepted (runs, replicates included) unless --max-runs says otherwise.
MAX_RUNS = 10_000_000


def design_size(design: Design) -> int:
    """The number of design points, known without building them: a grid's
    product of lengths; Sobol (Saltelli) N (D + 2), or N (2D + 2) with second
    order; Morris N (D + 1); LHS N."""
    d = len(design.parameters)
    if design.kind == "grid":
        return math.prod(len(_choices(spec)) for spec in design.parameters.values())
    n = int(design.samples)
    if design.kind == "sobol":
        return n * (2 * d + 2 if design.second_order else d + 2)
    if design.kind == "morris":
        return n * (d + 1)
    return n


def check_size(loaded: LoadedExperiment, max_runs: int | None = None) -> int:
    """The sweep's number of runs, refused in one line above the limit
    (``max_runs``, default :data:`MAX_RUNS`) before anything is allocated."""
    exp = loaded.experiment
    points = design_size(exp.design)
    runs = points * exp.replicates
    limit = MAX_RUNS if max_runs is None else max_runs
    if runs > limit:
        raise ConfigError(loaded.path, "design", f"{runs:,} runs ({points:,} points x {exp.replicates:,} replicates) "
                                                 f"is more than the limit of {limit:,}; shrink the design or raise --max-runs")
    return runs


def _problem(design: Design) -> dict:
    """SALib's problem: every parameter on [low, high]; categorical ones as an
    index on [0, k) (a drawn value is floored to a category)."""
    names, bounds = [], []
    for name, spec in design.parameters.items():
        names.append(name)
        if isinstance(spec, Span):
            bounds.append([spec.low, spec.high])
        else:
            bounds.append([0.0, float(len(_choices(spec)))])
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def _choices(spec) -> tuple:
    return spec if isinstance(spec, tuple) else spec.values


def design_matrix(design: Design, seed: int) -> np.ndarray:
    """The design in SALib's numeric space, one row per point (see :func:`_problem`)."""
    problem = _problem(design)
    d = problem["num_vars"]
    if design.kind == "grid":
        axes = [range(len(_choices(spec))) for spec in design.parameters.values()]
        return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, d)
    if design.kind == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(design.samples)
        low = np.array([b[0] for b in problem["bounds"]])
        high = np.array([b[1] for b in problem["bounds"]])
        return low + unit * (high - low)
    if design.kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, design.samples, calc_second_order=design.second_order, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, design.samples, num_levels=design.levels, seed=seed)


def design_points(loaded: LoadedExperiment) -> pd.DataFrame:
    """One row per design point: ``point_id`` and each parameter's value,
    in a column named by its dotted path."""
    design = loaded.experiment.design
    matrix = design_matrix(design, loaded.experiment.seed)
    cols: dict[str, Any] = {"point_id": np.arange(len(matrix), dtype=np.int64)}
    for j, (name, spec) in enumerate(design.parameters.items()):
        x = matrix[:, j]
        if isinstance(spec, Span):
            cols[name] = _column(np.rint(x) if spec.integer else x, spec)
        else:
            choices = _choices(spec)
            index = np.minimum(np.floor(x).astype(int), len(choices) - 1)
            cols[name] = _column([choices[i] for i in index], spec)
    return pd.DataFrame(cols)


def _column(values: list, spec):
    """A parameter's column, typed by its spec (not by the values a chunk
    happens to hold): numbers stay numbers, anything else becomes text."""
    if isinstance(spec, Span):
        return np.asarray(values, dtype=np.int64 if spec.integer else float)
    choices = _choices(spec)
    if all(isinstance(v, bool) for v in choices):
        return np.asarray(values, dtype=bool)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in choices):
        return np.asarray(values, dtype=np.int64 if all(isinstance(v, int) for v in choices) else float)
    return [v if isinstance(v, str) else json.dumps(v) for v in values]


def _value(column_value, spec):
    """A design cell back to the value set on the scenario."""
    if isinstance(spec, Span):
        return int(column_value) if spec.integer else float(column_value)
    for choice in _choices(spec):
        text = choice if isinstance(choice, str) else json.dumps(choice)
        if choice == column_value or text == column_value:
            return choice
    raise KeyError(column_value)


def run_seeds(master: int, keys) -> np.ndarray:
    """Run seeds: 63 bits drawn from ``SeedSequence(master, spawn_key=(key,))``,
    the key being the run's ``run_id`` (or its replicate, with common random numbers)."""
    out = np.empty(len(keys), dtype=np.int64)
    for k, key in enumerate(keys):
        words = np.random.SeedSequence(master, spawn_key=(int(key),)).generate_state(2, np.uint32)
        out[k] = ((int(words[0]) << 32) | int(words[1])) & ((1 << 63) - 1)
    return out
