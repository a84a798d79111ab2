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

from .errors import ConfigError, first_error, suggest
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
        err = first_error(exc)
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
            merged = type(scenario.rules).model_validate({**scenario.rules.model_dump(), **rules})
            scenario = scenario.model_copy(update={"rules": merged})
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


# --------------------------------------------------------------------------
# Calibration

# The global weights fitted on the cases, with their search ranges. They are
# few and general: how readily a threatened member asks for consultations
# (and how much threats from states count), how readily a victim asks for
# Article 5 or EU 42.7 (and how much severity counts), and the weight of
# autonomy. No weight names a state or a case.
CALIBRATED_WEIGHTS: dict[str, tuple[float, float]] = {
    "art4_bias": (-6.0, 0.0),
    "art4_state_threat": (0.0, 14.0),
    "art5_bias": (-8.0, 0.0),
    "art5_severity": (0.0, 10.0),
    "eu427_bias": (-6.0, 0.0),
    "autonomy_weight": (0.0, 6.0),
}


def _objective(cases, weights: dict, replicates: int, seed: int) -> float:
    return validate(cases, replicates=replicates, seed=seed, rules=weights)["brier"]


def fit(cases: list[Case], points: int = 40, replicates: int = 40, seed: int = 0, refine: int = 2,
        progress=None, executor=None) -> tuple[dict, float]:
    """Fit CALIBRATED_WEIGHTS by minimising the Brier score over the cases:
    a Latin hypercube over the ranges, then ``refine`` rounds of a smaller
    hypercube around the best point (half the width each round). The points
    of a round are scored on ``executor`` (the sweep's executors: local
    processes or a Dask cluster), or here when there is none; the result is
    the same either way."""
    from scipy.stats import qmc

    from .experiment import InlineExecutor

    executor = executor or InlineExecutor()

    names = list(CALIBRATED_WEIGHTS)
    lo = np.array([CALIBRATED_WEIGHTS[n][0] for n in names])
    hi = np.array([CALIBRATED_WEIGHTS[n][1] for n in names])
    best, best_score = None, np.inf
    centre, width = (lo + hi) / 2, hi - lo
    for round_ in range(refine + 1):
        sampler = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng([seed, round_]))
        low = np.maximum(lo, centre - width / 2)
        high = np.minimum(hi, centre + width / 2)
        candidates = qmc.scale(sampler.random(points), low, high)
        if best is not None:
            candidates[0] = [best[n] for n in names]
        trials = [{n: float(round(v, 3)) for n, v in zip(names, row)} for row in candidates]
        futures = [executor.submit(_objective, cases, weights, replicates, seed) for weights in trials]
        for k, (weights, future) in enumerate(zip(trials, futures)):
            value = future.result()
            if value < best_score:
                best, best_score = weights, value
            if progress:
                progress(round_, k, value, best_score)
        centre, width = np.array([best[n] for n in names]), width / 2
    return best, best_score


def calibrate(cases: list[Case], points: int = 40, replicates: int = 40, seed: int = 0, refine: int = 2,
              score_replicates: int = 200, leave_one_out: bool = True, progress=None, workers: int = 1,
              scheduler: str | None = None) -> dict:
    """Fit on all cases (in-sample score) and, for each case, on the others
    (leave-one-case-out: the held-out case scored with weights that never saw it)."""
    from .experiment import open_backend

    backend = open_backend(workers, scheduler)
    try:
        return _calibrate(cases, points, replicates, seed, refine, score_replicates, leave_one_out, progress,
                          backend.executor)
    finally:
        backend.executor.shutdown(wait=True, cancel_futures=True)
        if backend.close:
            backend.close()


def _calibrate(cases, points, replicates, seed, refine, score_replicates, leave_one_out, progress, executor) -> dict:
    weights, _ = fit(cases, points, replicates, seed, refine, progress, executor)
    in_sample = validate(cases, replicates=score_replicates, seed=seed + 1, rules=weights)
    out = {"weights": weights, "in_sample": {k: in_sample[k] for k in
                                              ("brier", "accuracy", "baseline_brier", "baseline_accuracy", "decisions")}}
    if leave_one_out and len(cases) > 1:
        held_out: list[Decision] = []
        for i, case in enumerate(cases):
            others = cases[:i] + cases[i + 1:]
            w_i, _ = fit(others, points, replicates, seed, refine, executor=executor)
            res = validate([case], replicates=score_replicates, seed=seed + 1, rules=w_i)
            held_out.extend(res["_decisions"])
        # The baseline, too, must not see the held-out case: base rates from the others.
        base = []
        for d in held_out:
            others = [x for x in held_out if x.case != d.case and x.kind == d.kind]
            base.append(float(np.mean([x.observed for x in others])) if others else 0.5)
        obs = [d.observed for d in held_out]
        probs = [d.probability for d in held_out]
        out["leave_one_out"] = {"brier": brier(probs, obs), "accuracy": accuracy(probs, obs),
                                "baseline_brier": brier(base, obs), "baseline_accuracy": accuracy(base, obs),
                                "decisions": len(held_out)}
    return out


def write_preset(path: str | Path, result: dict, cases: list[Case]) -> Path:
    """Write fitted weights as a rules preset, with the scores as comments."""
    import os
    import tempfile

    path = Path(path)
    lines = [
        "# Calibrated rules: the baseline with a few global weights fitted on historical",
        f"# cases ({', '.join(c.case for c in cases)}) by `coalition-sim calibrate`",
        "# (Latin hypercube, then refinement, minimising the Brier score).",
        f"# In-sample: Brier {result['in_sample']['brier']:.4f} (base rate {result['in_sample']['baseline_brier']:.4f}), "
        f"accuracy {result['in_sample']['accuracy']:.3f} (base rate {result['in_sample']['baseline_accuracy']:.3f}).",
    ]
    if "leave_one_out" in result:
        loo = result["leave_one_out"]
        lines.append(f"# Leave-one-case-out: Brier {loo['brier']:.4f} (base rate {loo['baseline_brier']:.4f}), "
                     f"accuracy {loo['accuracy']:.3f} (base rate {loo['baseline_accuracy']:.3f}).")
    lines.append("base: baseline")
    lines += [f"{k}: {v}" for k, v in result["weights"].items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return path
