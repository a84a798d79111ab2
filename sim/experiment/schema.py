"""The experiment file: its schema, loading it, and the scenario of a design point."""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import MAX_SEED, ConfigError, first_error, suggest
from ..outputs import RUN_FIELDS
from ..scenario import Rules, Scenario, apply_overrides, read_yaml, validate_scenario, validate_strict

DESIGN_KINDS = ("grid", "lhs", "sobol", "morris")
SENSITIVITY_KINDS = ("sobol", "morris")
# The per-run summary fields that are not per state (see sim.outputs.output_names).
SUMMARY_FIELDS = tuple(f for f in RUN_FIELDS if f != "seed")
RUN_COLUMNS = ("run_id", "point_id", "replicate", "seed")
_FROZEN = ConfigDict(extra="forbid", frozen=True)

# --------------------------------------------------------------------------
# The experiment file


class Span(BaseModel):
    """A continuous range; ``integer`` rounds the drawn values."""

    model_config = _FROZEN
    low: float
    high: float
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class Choice(BaseModel):
    """A categorical parameter: one of a list of values."""

    model_config = _FROZEN
    values: tuple[Any, ...] = Field(min_length=1)


class Design(BaseModel):
    model_config = _FROZEN
    kind: Literal[DESIGN_KINDS] = "grid"  # type: ignore[valid-type]
    samples: int | None = Field(default=None, ge=1, le=10_000_000)
    parameters: dict[str, tuple[Any, ...] | Span | Choice] = Field(min_length=1)
    levels: int = Field(default=4, ge=2, le=100)  # Morris: levels of the grid
    second_order: bool = False  # Sobol: also second-order indices (2D+2 runs per sample, not D+2)

    @field_validator("parameters", mode="before")
    @classmethod
    def _specs(cls, value):
        """A list, {values: [...]} or {low, high}: told apart by their keys,
        so that an error speaks of the form the user meant."""
        if not isinstance(value, dict):
            return value
        out = {}
        for path, spec in value.items():
            if isinstance(spec, list):
                out[path] = tuple(spec)
            elif isinstance(spec, dict):
                kind = Choice if "values" in spec else Span
                try:
                    out[path] = kind.model_validate(spec)
                except ValidationError as exc:
                    err = first_error(exc)
                    where = ".".join(str(p) for p in err["loc"])
                    msg = err["msg"].removeprefix("Value error, ")
                    if err["type"] == "extra_forbidden":
                        msg = f"unknown key '{err['loc'][-1]}' (expected low and high, or values)"
                    raise ValueError(f"parameter {path}: {where + ': ' if where else ''}{msg}") from None
            else:
                raise ValueError(f"parameter {path}: expected a list of values, {{values: [...]}} or {{low: .., high: ..}}")
        return out

    @model_validator(mode="after")
    def _consistent(self):
        for path, spec in self.parameters.items():
            if isinstance(spec, tuple) and not spec:
                raise ValueError(f"parameter {path}: an empty list of values")
            if self.kind == "grid" and isinstance(spec, Span):
                raise ValueError(f"parameter {path}: a grid needs a list of values, not a range")
        if self.kind == "grid" and self.samples is not None:
            raise ValueError("samples: a grid takes every combination of the values; samples is for lhs, sobol, morris")
        if self.kind != "grid" and self.samples is None:
            raise ValueError(f"samples: a {self.kind} design needs a number of samples")
        return self


class Outputs(BaseModel):
    model_config = _FROZEN
    # Summary fields to keep: names or patterns ("strike_day.*"); "all" keeps every field.
    summary: Literal["all"] | tuple[str, ...] = "all"
    # The per-day table: true for every state, or a list of the states to keep.
    timeseries: bool | tuple[str, ...] = False
    events: bool = False
    votes: bool = False  # every vote, a row each (votes/)
    stances_by_day: bool = False  # each non-ally's stance on each day (stances_by_day/)


class Experiment(BaseModel):
    model_config = _FROZEN
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    scenario: str
    days: int | None = Field(default=None, ge=1, le=3650)
    replicates: int = Field(default=1, ge=1, le=10_000_000)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    engine: Literal["batch", "mesa"] = "batch"
    # False: each run's seed from (master seed, run_id). True: from (master
    # seed, replicate), so every design point sees the same draws (common
    # random numbers): differences between points are then the parameters'
    # doing, not chance, which variance-based indices (Sobol) assume.
    common_random_numbers: bool = False
    chunk_size: int | None = Field(default=None, ge=1, le=100_000)
    design: Design
    outputs: Outputs = Outputs()


@dataclass(frozen=True)
class LoadedExperiment:
    """A validated experiment with its scenario's raw data and design points."""

    experiment: Experiment
    path: str
    text: str
    scenario_path: str
    scenario_text: str
    scenario_data: dict
    base: Scenario

    @property
    def params(self) -> list[str]:
        return list(self.experiment.design.parameters)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def scenario_sha256(self) -> str:
        return hashlib.sha256(self.scenario_text.encode()).hexdigest()


def _experiment_error(exc: ValidationError, file: str) -> ConfigError:
    err = first_error(exc)
    loc = ".".join(str(p) for p in err["loc"])
    # pydantic names the union branch it tried (design.parameters.x.Span.low); keep the user's path.
    for branch in ("tuple[any, ...]", "Span", "Choice"):
        loc = loc.replace(f".{branch}", "")
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = f"unknown key '{err['loc'][-1]}'"
        allowed = {"": Experiment, "design": Design, "outputs": Outputs}.get(".".join(map(str, err["loc"][:-1])))
        if allowed is not None:
            msg += suggest(err["loc"][-1], allowed.model_fields)
    elif err["type"] == "literal_error":
        msg = f"{msg} (got {err.get('input')!r})"
    if loc == "design" and "samples" in msg:
        loc, msg = "design.samples", msg.removeprefix("samples: ")
    elif loc in ("design", "design.parameters") and msg.startswith("parameter "):
        path, _, rest = msg.removeprefix("parameter ").partition(": ")
        loc, msg = f"design.parameters.{path}", rest
    return ConfigError(file, loc, msg)


def _find_scenario(ref: str, experiment_file: Path) -> Path:
    """A scenario path: absolute, or relative to the experiment file, or to the working folder."""
    p = Path(ref)
    if p.is_absolute():
        return p
    for candidate in (experiment_file.parent / p, Path.cwd() / p):
        if candidate.is_file():
            return candidate
    return experiment_file.parent / p


def load_experiment(path: str | Path) -> LoadedExperiment:
    """Read and validate an experiment file; every parameter path is tried on
    the scenario at the ends of its range (or at each of its values), so a
    mistyped path or an impossible value is reported before anything runs."""
    file = str(path)
    data, text = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(file, None, "an experiment must be a mapping at the top level")
    try:
        exp = validate_strict(Experiment, data, file)
    except ValidationError as exc:
        raise _experiment_error(exc, file) from None
    scenario_file = _find_scenario(exp.scenario, Path(path))
    if not scenario_file.is_file():
        raise ConfigError(file, "scenario", f"scenario file {exp.scenario} not found "
                                            f"(looked beside the experiment file and in {Path.cwd()})")
    scenario_data, scenario_text = read_yaml(scenario_file)
    if not isinstance(scenario_data, dict):
        raise ConfigError(str(scenario_file), None, "a scenario must be a mapping at the top level")
    if exp.days is not None:
        scenario_data["days"] = exp.days
    loaded = LoadedExperiment(exp, file, text, str(scenario_file), scenario_text, scenario_data, None)  # type: ignore[arg-type]
    base = build_scenario(loaded, {})
    loaded = LoadedExperiment(exp, file, text, str(scenario_file), scenario_text, scenario_data, base)
    for name, spec in exp.design.parameters.items():
        if isinstance(spec, Span):
            probes = [_span_value(spec, spec.low), _span_value(spec, spec.high)]
        else:
            probes = list(spec if isinstance(spec, tuple) else spec.values)
        for value in probes:
            try:
                build_scenario(loaded, {name: value})
            except ConfigError as exc:
                raise ConfigError(file, f"design.parameters.{name}",
                                  f"value {value!r} does not fit the scenario: {exc.key or ''}: {exc.message}") from None
    if exp.outputs.summary != "all":
        known = summary_names(base)
        for i, pattern in enumerate(exp.outputs.summary):
            if not fnmatch.filter(known, pattern):
                raise ConfigError(file, f"outputs.summary.{i}",
                                  f"no summary field matches {pattern!r}{suggest(pattern, known)}")
    series = exp.outputs.timeseries
    if isinstance(series, tuple):
        if not series:
            raise ConfigError(file, "outputs.timeseries", "name at least one state, or write true for every state")
        codes = _codes(base)
        for i, code in enumerate(series):
            if code not in codes:
                raise ConfigError(file, f"outputs.timeseries.{i}",
                                  f"{code!r} is not a state of this scenario's runs{suggest(code, codes)}")
    return loaded


def _codes(scenario: Scenario) -> list[str]:
    from ..states import load_states
    from ..world import run_states

    return run_states(scenario, load_states(scenario.states))


def summary_names(scenario: Scenario) -> list[str]:
    """The summary columns of a run of ``scenario`` (but ``seed``, a run column)."""
    from ..outputs import output_names
    from ..setup import compile_setup

    return [c for c in output_names(compile_setup([scenario], [0])) if c != "seed"]


def _span_value(spec: Span, value: float):
    return int(round(value)) if spec.integer else float(value)


def _rule_point(loaded: LoadedExperiment, values: dict[str, Any]) -> Scenario | None:
    """A point that sets only rule weights (``rules.<weight>``, as Sobol and
    Latin hypercube designs do): the validated base scenario with its rules
    validated again with the point's values (the same strict validation as a
    whole scenario's, a small part of its cost). None for any other point, or
    when the values do not validate: the whole path then reports the error."""
    if loaded.base is None or not values:
        return None
    names = {}
    for path, value in values.items():
        head, _, name = path.partition(".")
        if head != "rules" or name not in Rules.model_fields or name == "preset":
            return None
        names[name] = value.item() if hasattr(value, "item") else value  # numpy scalars, as the JSON path reads them
    try:
        rules = Rules.model_validate({**loaded.base.rules.__dict__, **names}, strict=True)
    except ValidationError:
        return None
    return loaded.base.model_copy(update={"rules": rules})


def build_scenario(loaded: LoadedExperiment, values: dict[str, Any]) -> Scenario:
    """The scenario of one design point: the base data with the point's values
    set by dotted path (shorter paths first, so ``rules`` before ``rules.x``)."""
    fast = _rule_point(loaded, values)
    if fast is not None:
        return fast
    ordered = dict(sorted(values.items(), key=lambda kv: kv[0].count(".")))
    data = apply_overrides(loaded.scenario_data, ordered, loaded.scenario_path)
    return validate_scenario(data, loaded.scenario_path, loaded.scenario_text, Path(loaded.scenario_path).resolve().parent)
