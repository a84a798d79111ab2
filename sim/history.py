"""Historical cases: the case format, validation scores against the record.

A case file holds a scenario (inline, or a path to a scenario file) and what
was observed: who requested NATO Article 4 consultations, whether Article 5
and the EU's Article 42.7 were invoked. :func:`validate` runs each case many
times and scores the model's probabilities against the record (Brier score,
accuracy of the most likely outcome) and against a base-rate baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError, suggest
from .scenario import Scenario, apply_overrides, read_yaml, validate_scenario
from .states import EU_427_IN_FORCE, PACKAGE_ROOT, load_states

HISTORY_DIR = PACKAGE_ROOT / "configs" / "history"


class Observed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    article4_requested_by: tuple[str, ...] = ()
    article5_invoked: bool
    eu_42_7_invoked: bool
    notes: str = ""
    sources: tuple[str, ...] = ()


class _CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title: str
    scenario: Any
    observed: Observed
    notes: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    case: str
    title: str
    scenario: Scenario
    observed: Observed
    path: str

    @property
    def nato_members(self) -> list[str]:
        return load_states(self.scenario.states).nato_members(self.scenario.start_date)

    @property
    def victims(self) -> list[str]:
        return sorted({e.target for e in self.scenario.events})

    @property
    def eu_42_7_applies(self) -> bool:
        """Was the clause in force, and was a victim an EU member then?"""
        table = load_states(self.scenario.states)
        eu = set(table.eu_members(self.scenario.start_date))
        return self.scenario.start_date >= EU_427_IN_FORCE and any(v in eu for v in self.victims)


def is_case_file(data: Any) -> bool:
    return isinstance(data, dict) and "observed" in data and "case" in data


def load_case(path: str | Path, overrides=None) -> Case:
    """Load and validate a case file (``overrides`` apply to its scenario)."""
    file = str(path)
    data, text = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(file, None, "a case file must be a mapping at the top level")
    try:
        parsed = _CaseFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            allowed = list(_CaseFile.model_fields) if len(err["loc"]) == 1 else list(Observed.model_fields)
            msg = f"unknown key '{err['loc'][-1]}'{suggest(err['loc'][-1], allowed)}"
        raise ConfigError(file, loc, msg) from None
    base_dir = Path(path).resolve().parent
    raw = parsed.scenario
    if isinstance(raw, str):
        scenario_path = (base_dir / raw) if not Path(raw).is_absolute() else Path(raw)
        if not scenario_path.is_file():
            scenario_path = PACKAGE_ROOT / raw
        sc_data, sc_text = read_yaml(scenario_path)
        sc_file, sc_dir = str(scenario_path), scenario_path.resolve().parent
    elif isinstance(raw, dict):
        sc_data, sc_text, sc_file, sc_dir = raw, text, file, base_dir
    else:
        raise ConfigError(file, "scenario", "expected a scenario mapping or a path to a scenario file")
    sc_data = apply_overrides(sc_data, overrides, sc_file)
    try:
        scenario = validate_scenario(sc_data, sc_file, sc_text, sc_dir)
    except ConfigError as exc:
        if isinstance(raw, dict) and exc.file == file and exc.key:
            raise ConfigError(file, f"scenario.{exc.key}", exc.message) from None
        raise
    table = load_states(scenario.states)
    table.check_codes(parsed.observed.article4_requested_by, file, "observed.article4_requested_by")
    members = set(table.nato_members(scenario.start_date))
    outsiders = [c for c in parsed.observed.article4_requested_by if c not in members]
    if outsiders:
        raise ConfigError(file, "observed.article4_requested_by",
                          f"{', '.join(outsiders)} not NATO member(s) on {scenario.start_date}")
    return Case(parsed.case, parsed.title, scenario, parsed.observed, file)


def case_paths(paths: list[str] | None) -> list[Path]:
    """Expand files and folders (default configs/history/) into case files."""
    out: list[Path] = []
    for p in [Path(x) for x in (paths or [HISTORY_DIR])]:
        if p.is_dir():
            out.extend(sorted(p.glob("*.yaml")))
        elif p.exists():
            out.append(p)
        else:
            raise ConfigError(str(p), None, "no such file or folder")
    if not out:
        raise ConfigError(str(paths[0] if paths else HISTORY_DIR), None, "no case files (*.yaml) found")
    return out


# --------------------------------------------------------------------------
# Scores


@dataclass(frozen=True)
class Decision:
    case: str
    decision: str  # "article4:POL", "article5", "eu_42_7"
    kind: str  # "article4", "article5", "eu_42_7"
    probability: float
    observed: bool


def brier(probabilities, outcomes) -> float:
    p = np.asarray(probabilities, dtype=float)
    o = np.asarray(outcomes, dtype=float)
    return float(np.mean((p - o) ** 2)) if len(p) else float("nan")


def accuracy(probabilities, outcomes) -> float:
    """Share of decisions where the most likely outcome (p >= 0.5) happened."""
    p = np.asarray(probabilities, dtype=float)
    o = np.asarray(outcomes, dtype=bool)
    return float(np.mean((p >= 0.5) == o)) if len(p) else float("nan")


def base_rates(decisions: list[Decision]) -> dict[str, float]:
    """Frequency of each decision kind over the decisions scored."""
    kinds = sorted({d.kind for d in decisions})
    return {k: float(np.mean([d.observed for d in decisions if d.kind == k])) for k in kinds}


def score(decisions: list[Decision]) -> dict[str, float]:
    """Brier and accuracy of the model and of the base-rate baseline."""
    rates = base_rates(decisions)
    probs = [d.probability for d in decisions]
    obs = [d.observed for d in decisions]
    base = [rates[d.kind] for d in decisions]
    return {
        "brier": brier(probs, obs), "accuracy": accuracy(probs, obs),
        "baseline_brier": brier(base, obs), "baseline_accuracy": accuracy(base, obs),
        "decisions": len(decisions),
    }


def case_probabilities(case: Case, summaries: list[dict]) -> dict:
    """The model's probability of each scored decision, from run summaries."""
    n = len(summaries)
    art4 = {m: 0 for m in case.nato_members}
    for s in summaries:
        for req in s["article4_requests"]:
            if req["state"] in art4:
                art4[req["state"]] += 1
    return {
        "article4": {m: c / n for m, c in art4.items()},
        "article5": float(np.mean([s["article5_invoked"] for s in summaries])),
        "eu_42_7": float(np.mean([s["eu_42_7_invoked"] for s in summaries])) if case.eu_42_7_applies else None,
    }


def decisions_of(case: Case, probs: dict) -> list[Decision]:
    obs = case.observed
    out = [Decision(case.case, f"article4:{m}", "article4", p, m in obs.article4_requested_by)
           for m, p in probs["article4"].items()]
    out.append(Decision(case.case, "article5", "article5", probs["article5"], obs.article5_invoked))
    if probs["eu_42_7"] is not None:
        out.append(Decision(case.case, "eu_42_7", "eu_42_7", probs["eu_42_7"], obs.eu_42_7_invoked))
    return out


def case_seeds(master: int, index: int, replicates: int) -> list[int]:
    ss = np.random.SeedSequence([int(master), int(index)])
    return [int(x) for x in ss.generate_state(replicates, dtype=np.uint64)]


def run_case(case: Case, replicates: int, seed: int, index: int = 0, scenario: Scenario | None = None) -> dict:
    from .batch import run_batch

    sc = scenario or case.scenario
    summaries = run_batch([sc] * replicates, case_seeds(seed, index, replicates))
    return case_probabilities(case, summaries)


def validate(cases: list[Case], replicates: int = 200, seed: int = 0, rules: dict | None = None) -> dict:
    """Run each case ``replicates`` times; return probabilities and scores.

    ``rules`` (optional) replaces rule weights in every case (used by calibration).
    """
    rows, decisions = [], []
    for index, case in enumerate(cases):
        scenario = case.scenario
        if rules:
            scenario = scenario.model_copy(update={"rules": scenario.rules.model_copy(update=rules)})
        probs = run_case(case, replicates, seed, index, scenario)
        decs = decisions_of(case, probs)
        decisions.extend(decs)
        rows.append({
            "case": case.case, "title": case.title, "article4": probs["article4"], "article5": probs["article5"],
            "eu_42_7": probs["eu_42_7"],
            "observed": {"article4_requested_by": list(case.observed.article4_requested_by),
                         "article5_invoked": case.observed.article5_invoked,
                         "eu_42_7_invoked": case.observed.eu_42_7_invoked if case.eu_42_7_applies else None},
        })
    result = {"cases": rows, **score(decisions)}
    result["_decisions"] = decisions
    return result
