"""Case files: the schema (v1 and v2 keys of ``observed:``), loading, and the
facts of a case resolved to days from the scenario's start date.

A case is a scenario (inline, or a path to a scenario file) plus what
happened. Every date in ``observed:`` is converted to days from the
scenario's ``start_date``; every state is checked against the states table,
against membership on the date where that matters (only a NATO member can
request Article 4) and against the states of the run (the model must be able
to make the decision it is scored on).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ConfigError, first_error, suggest
from ..scenario import LEVELS, STANCES, Scenario, apply_overrides, read_yaml, validate_scenario, validate_strict
from ..states import EU_427_IN_FORCE, PACKAGE_ROOT, load_states

HISTORY_DIR = PACKAGE_ROOT / "configs" / "history"
_STRICT = ConfigDict(extra="forbid", frozen=True)


class _Item(BaseModel):
    model_config = _STRICT
    source: str = ""

    @field_validator("state", mode="before", check_fields=False)
    @classmethod
    def _upper(cls, v):
        return v.strip().upper() if isinstance(v, str) else v


class Article4Request(_Item):
    state: str
    date: dt.date | None = None


class Clause(_Item):
    invoked: bool
    date: dt.date | None = None

    @model_validator(mode="after")
    def _date_only_if_invoked(self):
        if self.date is not None and not self.invoked:
            raise ValueError("a date is given but invoked is false")
        return self


class UNResolution(_Item):
    date: dt.date
    passed: bool = True
    number: str = ""
    vetoes: tuple[str, ...] = ()


class Commitment(_Item):
    state: str
    level: Literal[LEVELS]  # type: ignore[valid-type]
    date: dt.date | None = None
    theatre: str = ""


class NotReached(_Item):
    state: str
    level: Literal[LEVELS]  # type: ignore[valid-type]


class Vote(_Item):
    state: str
    body: str = ""
    date: dt.date
    yes: int | None = Field(None, ge=0)
    no: int | None = Field(None, ge=0)
    passed: bool
    level: Literal[LEVELS] | None = None  # type: ignore[valid-type]


class StanceChange(_Item):
    state: str
    stance: Literal[STANCES]  # type: ignore[valid-type]
    date: dt.date


class Observed(BaseModel):
    model_config = _STRICT
    # v1 keys
    article4_requested_by: tuple[str, ...] = ()
    article5_invoked: bool | None = None
    eu_42_7_invoked: bool | None = None
    # v2 keys (each supersedes the v1 key it refines)
    article4_requests: tuple[Article4Request, ...] | None = None
    article5: Clause | None = None
    eu_42_7: Clause | None = None
    un_resolutions: tuple[UNResolution, ...] | None = None
    commitments: tuple[Commitment, ...] = ()
    not_reached: tuple[NotReached, ...] = ()
    votes: tuple[Vote, ...] = ()
    stances: tuple[StanceChange, ...] = ()
    notes: str = ""
    sources: tuple[str, ...] = ()

    @field_validator("article4_requested_by", mode="before")
    @classmethod
    def _codes_upper(cls, v):
        return tuple(x.strip().upper() if isinstance(x, str) else x for x in v) if isinstance(v, (list, tuple)) else v

    @model_validator(mode="after")
    def _routes_given(self):
        if self.article5_invoked is None and self.article5 is None:
            raise ValueError("give article5_invoked (v1) or article5: {invoked: ...} (v2)")
        if self.eu_42_7_invoked is None and self.eu_42_7 is None:
            raise ValueError("give eu_42_7_invoked (v1) or eu_42_7: {invoked: ...} (v2)")
        return self


class _CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title: str
    tags: tuple[str, ...] = ()
    scenario: Any
    # The scenario file an inline scenario was copied from (an inline case may
    # change its horizon or drop a scored event); the app scores runs of that
    # file against this case. Informative only: it is never loaded here.
    based_on: str | None = None
    observed: Observed
    notes: str = ""
    sources: tuple[str, ...] = ()


# Which model validates the items under each observed key (for "did you mean").
_ITEM_MODELS = {"article4_requests": Article4Request, "article5": Clause, "eu_42_7": Clause,
                "un_resolutions": UNResolution, "commitments": Commitment, "not_reached": NotReached,
                "votes": Vote, "stances": StanceChange}


@dataclass(frozen=True)
class Facts:
    """What happened, resolved to days from the start date (None: no date in
    the record). ``art4`` maps each requester to its day; the clauses are
    (invoked, day); ``un`` is None when the case says nothing of the UN."""

    art4: dict[str, int | None]
    art5: tuple[bool, int | None]
    eu427: tuple[bool, int | None]
    un: tuple[bool, int | None] | None
    commitments: tuple[tuple[str, int, int | None], ...]  # (state, level index, day)
    not_reached: tuple[tuple[str, int], ...]
    votes: tuple[tuple[str, int | None, int, bool], ...]  # (state, level index or None, day, passed)
    stances: tuple[tuple[str, int, int], ...]  # (state, stance index, day)


@dataclass(frozen=True)
class Case:
    case: str
    title: str
    scenario: Scenario
    observed: Observed
    path: str
    tags: tuple[str, ...] = ()
    facts: Facts | None = field(default=None, compare=False)

    @property
    def start_date(self) -> dt.date:
        return self.scenario.start_date

    @property
    def horizon(self) -> int:
        return self.scenario.days

    @property
    def nato_members(self) -> list[str]:
        return load_states(self.scenario.states).nato_members(self.scenario.start_date)

    @property
    def victims(self) -> list[str]:
        return sorted({e.target for e in self.scenario.events})

    @property
    def perpetrators(self) -> list[str]:
        return sorted({e.perpetrator.upper() for e in self.scenario.events if e.perpetrator_kind == "state"})

    @property
    def eu_42_7_applies(self) -> bool:
        """Was the clause in force, and was a victim an EU member then?"""
        table = load_states(self.scenario.states)
        eu = set(table.eu_members(self.scenario.start_date))
        return self.scenario.start_date >= EU_427_IN_FORCE and any(v in eu for v in self.victims)

    @property
    def article4_candidates(self) -> list[str]:
        """NATO members that could have asked: the victims, and members
        bordering a victim or a state perpetrator (plus any who did ask)."""
        table = load_states(self.scenario.states)
        members = set(self.nato_members)
        near = set(self.victims)
        for code in self.victims + self.perpetrators:
            if code in table.rows:
                near |= set(table.neighbours(code))
        near |= set(self.facts.art4) if self.facts else set()
        return sorted(near & members)


def is_case_file(data: Any) -> bool:
    return isinstance(data, dict) and "observed" in data and "case" in data


def _schema_error(file: str, exc: ValidationError) -> ConfigError:
    err = first_error(exc)
    loc = [str(p) for p in err["loc"]]
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        if len(loc) == 1:
            allowed = list(_CaseFile.model_fields)
        elif len(loc) == 2:
            allowed = list(Observed.model_fields)
        else:
            model = _ITEM_MODELS.get(loc[1])
            allowed = list(model.model_fields) if model else []
        msg = f"unknown key '{loc[-1]}'{suggest(loc[-1], allowed)}"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return ConfigError(file, ".".join(loc), msg)


def _load_scenario(parsed, data_text, file, base_dir, overrides):
    raw = parsed.scenario
    if isinstance(raw, str):
        scenario_path = (base_dir / raw) if not Path(raw).is_absolute() else Path(raw)
        if not scenario_path.is_file():
            scenario_path = PACKAGE_ROOT / raw
        sc_data, sc_text = read_yaml(scenario_path)
        sc_file, sc_dir = str(scenario_path), scenario_path.resolve().parent
    elif isinstance(raw, dict):
        sc_data, sc_text, sc_file, sc_dir = raw, data_text, file, base_dir
    else:
        raise ConfigError(file, "scenario", "expected a scenario mapping or a path to a scenario file")
    sc_data = apply_overrides(sc_data, overrides, sc_file)
    try:
        return validate_scenario(sc_data, sc_file, sc_text, sc_dir)
    except ConfigError as exc:
        if isinstance(raw, dict) and exc.file == file and exc.key:
            raise ConfigError(file, f"scenario.{exc.key}", exc.message) from None
        raise


def resolve_facts(obs: Observed, scenario: Scenario, file: str) -> Facts:
    """Check every state and date of ``observed`` and convert dates to days."""
    from ..world import run_states

    table = load_states(scenario.states)
    start = scenario.start_date
    run_codes = set(run_states(scenario, table))

    def day_of(date, key):
        if date is None:
            return None
        days = (date - start).days
        if days < 0:
            raise ConfigError(file, key, f"{date} is before the scenario's start_date {start}")
        return days

    def check_state(code, key, run=True):
        table.check_codes([code], file, key)
        if run and code not in run_codes:
            raise ConfigError(file, key, f"{code} is not among the states of this run (NATO and EU members on "
                                         f"{start}, the UN Security Council's permanent members, the states the "
                                         "scenario names); add it to scenario.include")

    # Article 4: v2 list supersedes the v1 list.
    art4: dict[str, int | None] = {}
    if obs.article4_requests is not None:
        for k, req in enumerate(obs.article4_requests):
            key = f"observed.article4_requests.{k}"
            check_state(req.state, f"{key}.state", run=False)
            on = req.date or start
            if req.state not in table.nato_members(on):
                raise ConfigError(file, f"{key}.state", f"{req.state} not a NATO member on {on}")
            art4[req.state] = day_of(req.date, f"{key}.date")
    else:
        key = "observed.article4_requested_by"
        table.check_codes(obs.article4_requested_by, file, key)
        members = set(table.nato_members(start))
        outsiders = [c for c in obs.article4_requested_by if c not in members]
        if outsiders:
            raise ConfigError(file, key, f"{', '.join(outsiders)} not NATO member(s) on {start}")
        art4 = {c: None for c in obs.article4_requested_by}

    def clause(v2, v1, name):
        if v2 is not None:
            return v2.invoked, day_of(v2.date, f"observed.{name}.date")
        return bool(v1), None

    un = None
    if obs.un_resolutions is not None:
        passed = [day_of(r.date, f"observed.un_resolutions.{k}.date")
                  for k, r in enumerate(obs.un_resolutions) if r.passed]
        for k, r in enumerate(obs.un_resolutions):
            for j, v in enumerate(r.vetoes):
                table.check_codes([v.strip().upper()], file, f"observed.un_resolutions.{k}.vetoes.{j}")
        un = (bool(passed), min(passed) if passed else None)

    commitments = []
    for k, c in enumerate(obs.commitments):
        key = f"observed.commitments.{k}"
        check_state(c.state, f"{key}.state")
        commitments.append((c.state, LEVELS.index(c.level), day_of(c.date, f"{key}.date")))
    not_reached = []
    for k, c in enumerate(obs.not_reached):
        key = f"observed.not_reached.{k}"
        check_state(c.state, f"{key}.state")
        level = LEVELS.index(c.level)
        if any(s == c.state and lv >= level for s, lv, _ in commitments):
            raise ConfigError(file, f"{key}.level", f"{c.state} is listed in commitments at or above "
                                                    f"{c.level}; it cannot also be not_reached")
        not_reached.append((c.state, level))
    votes = []
    for k, v in enumerate(obs.votes):
        key = f"observed.votes.{k}"
        check_state(v.state, f"{key}.state")
        votes.append((v.state, LEVELS.index(v.level) if v.level else None, day_of(v.date, f"{key}.date"), v.passed))
    stances = []
    non_allies = set(scenario.stances)
    for k, s in enumerate(obs.stances):
        key = f"observed.stances.{k}"
        check_state(s.state, f"{key}.state")
        if s.state not in non_allies:
            raise ConfigError(file, f"{key}.state", f"{s.state} has no stance in this scenario; give it a starting "
                                                    "stance under scenario.stances")
        stances.append((s.state, STANCES.index(s.stance), day_of(s.date, f"{key}.date")))
    return Facts(art4, clause(obs.article5, obs.article5_invoked, "article5"),
                 clause(obs.eu_42_7, obs.eu_42_7_invoked, "eu_42_7"), un, tuple(commitments),
                 tuple(not_reached), tuple(votes), tuple(stances))


def load_case(path: str | Path, overrides=None) -> Case:
    """Load and validate a case file (``overrides`` apply to its scenario)."""
    file = str(path)
    data, text = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(file, None, "a case file must be a mapping at the top level")
    try:
        parsed = validate_strict(_CaseFile, data, file)
    except ValidationError as exc:
        raise _schema_error(file, exc) from None
    scenario = _load_scenario(parsed, text, file, Path(path).resolve().parent, overrides)
    facts = resolve_facts(parsed.observed, scenario, file)
    return Case(parsed.case, parsed.title, scenario, parsed.observed, file, parsed.tags, facts)


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


def load_cases(paths: list[str] | None) -> list[Case]:
    cases = [load_case(p) for p in case_paths(paths)]
    seen: dict[str, str] = {}
    for c in cases:
        if c.case in seen:
            raise ConfigError(c.path, "case", f"'{c.case}' is also the name of {seen[c.case]}")
        seen[c.case] = c.path
    return cases
