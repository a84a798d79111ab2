"""Scenario files: the schema (pydantic), safe YAML loading, --set overrides.

A scenario file is read once, validated once, and becomes a frozen
:class:`Scenario`. Nothing downstream reads YAML again.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError, first_error, shown, suggest
from .states import OVERRIDABLE, PACKAGE_ROOT, StatesTable, coerce_attribute, load_states
from .yamlio import MAX_FILE_BYTES, load_yaml_file, load_yaml_text, load_yaml_value  # noqa: F401

PRESETS_DIR = PACKAGE_ROOT / "configs" / "presets"

LEVELS = ("none", "political", "training", "support", "strikes_invited", "strikes_uninvited", "ground")
STANCES = ("oppose", "deconflict", "coordinate", "join")
EVENT_KINDS = (
    "terror_attack", "armed_attack", "airspace_violation", "invasion",
    "war_threat", "attribution", "un_resolution",
    # hostile acts short of armed force (see docs/ODD.md, event severity)
    "sabotage", "cyber_attack", "instrumentalised_migration",
)
ART5_DECISIONS = ("consensus", "majority", "qualified_majority")

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class Rules(BaseModel):
    """Every weight of the decision rules, with the baseline defaults.

    docs/ODD.md gives each one's formula and meaning; a preset in
    configs/presets/ changes some of them.
    """

    model_config = _FROZEN
    preset: str = "baseline"
    art5_decision: Literal["consensus", "majority", "qualified_majority"] = "consensus"

    # Perception: severity and threat
    injured_weight: float = Field(0.25, ge=0, le=1)
    reference_deaths: float = Field(2977, gt=0)
    reference_injured: float = Field(6000, ge=0)
    reference_population: float = Field(284_968_955, gt=0)
    severity_state_floor: float = Field(0.3, ge=0, le=2)
    severity_invasion: float = Field(1.0, ge=0, le=2)
    severity_airspace: float = Field(0.12, ge=0, le=2)
    severity_per_asset: float = Field(0.03, ge=0, le=1)
    severity_war_threat: float = Field(0.3, ge=0, le=2)
    severity_scale_exponent: float = Field(0.25, ge=0, le=2)
    severity_domestic: float = Field(0.5, ge=0, le=1)
    accidental_factor: float = Field(0.3, ge=0, le=1)
    unclear_factor: float = Field(0.7, ge=0, le=1)
    proximity_neighbour: float = Field(0.5, ge=0, le=1)
    proximity_perpetrator_neighbour: float = Field(0.35, ge=0, le=1)
    proximity_nato: float = Field(0.25, ge=0, le=1)
    proximity_eu: float = Field(0.15, ge=0, le=1)
    threat_decay: float = Field(0.03, ge=0, le=1)
    rally_weight: float = Field(0.3, ge=0, le=2)
    rally_decay: float = Field(0.05, ge=0, le=1)

    # The victim's institutional route (logits). autonomy_weight, art4_bias,
    # art4_state_threat, art5_bias, art5_severity and eu427_bias are the
    # values fitted by `coalition-sim calibrate` on the seven history cases
    # (configs/presets/calibrated.yaml; hand-set before: 3.0, -3.0, 7.0,
    # -4.0, 5.0, -3.0). The scores are in docs/ODD.md and the README.
    route_preference: float = Field(1.0, ge=-5, le=5)
    autonomy_weight: float = Field(4.329, ge=-10, le=10)
    art4_bias: float = Field(-3.344, ge=-100, le=100)
    art4_state_threat: float = Field(4.903, ge=-100, le=100)
    art4_severity: float = Field(1.5, ge=-100, le=100)
    art4_victim: float = Field(3.0, ge=-100, le=100)  # the target of a state's force asks (ODD 7.4)
    art5_bias: float = Field(-2.951, ge=-100, le=100)
    art5_severity: float = Field(7.525, ge=-100, le=100)
    art5_state: float = Field(1.0, ge=-100, le=100)
    art5_refusal: float = Field(2.0, ge=0, le=20)
    eu427_bias: float = Field(-4.837, ge=-100, le=100)
    eu427_severity: float = Field(6.0, ge=-100, le=100)
    eu427_autonomy: float = Field(2.0, ge=-10, le=10)
    eu427_war: float = Field(2.0, ge=-100, le=100)
    un_bias: float = Field(-3.0, ge=-100, le=100)
    un_severity: float = Field(5.0, ge=-100, le=100)
    route_lag_art4: int = Field(1, ge=0, le=60)
    route_lag_art5: int = Field(1, ge=0, le=60)
    route_lag_eu427: int = Field(1, ge=0, le=60)
    route_lag_un: int = Field(1, ge=0, le=60)

    # Institutions
    nac_lag: int = Field(1, ge=0, le=60)
    eu_council_lag: int = Field(1, ge=0, le=60)
    unsc_lag: int = Field(1, ge=0, le=60)
    assent_bias: float = Field(2.5, ge=-100, le=100)
    assent_affinity: float = Field(1.5, ge=-100, le=100)
    assent_severity: float = Field(2.0, ge=-100, le=100)
    assent_non_state: float = Field(-1.0, ge=-100, le=100)
    assent_accidental: float = Field(-2.5, ge=-100, le=100)
    eu_assent_bias: float = Field(6.0, ge=-100, le=100)
    veto_bias: float = Field(-4.0, ge=-100, le=100)
    veto_perpetrator: float = Field(12.0, ge=0, le=50)
    veto_patron: float = Field(6.0, ge=0, le=50)
    veto_shared_threat: float = Field(4.0, ge=0, le=50)
    qualified_share_states: float = Field(0.55, gt=0, le=1)
    qualified_share_population: float = Field(0.65, gt=0, le=1)

    # Commitments
    review_rate: float = Field(0.02, ge=0, le=1)
    temperature: float = Field(0.07, gt=0, le=10)
    threat_weight: float = Field(2.0, ge=-100, le=100)
    obligation_weight: float = Field(1.0, ge=-100, le=100)
    solidarity_weight: float = Field(1.0, ge=-100, le=100)
    capability_weight: float = Field(0.8, ge=-100, le=100)
    public_weight: float = Field(1.0, ge=-100, le=100)
    casualty_weight: float = Field(1.0, ge=-100, le=100)
    legal_weight: float = Field(0.5, ge=-100, le=100)
    vote_risk_weight: float = Field(1.0, ge=-100, le=100)
    # Requests to named allies (sim.process.requests; docs/ODD.md 7.13):
    # estimates, to be calibrated, not fitted to a case.
    request_lag: int = Field(1, ge=0, le=60)
    request_count: int = Field(4, ge=0, le=50)
    request_weight: float = Field(0.4, ge=-100, le=100)
    request_days: int = Field(60, ge=0, le=3650)
    request_interval: int = Field(60, ge=0, le=3650)
    request_reach_home: float = Field(0.5, ge=0, le=1)
    lag_political: int = Field(0, ge=0, le=365)
    lag_training: int = Field(14, ge=0, le=365)
    lag_support: int = Field(10, ge=0, le=365)
    lag_strikes: int = Field(14, ge=0, le=365)
    lag_in_theatre: int = Field(2, ge=0, le=365)
    lag_ground: int = Field(30, ge=0, le=365)

    # Parliaments
    vote_delay_min: int = Field(5, ge=0, le=365)
    vote_delay_max: int = Field(21, ge=0, le=365)
    # A chamber's vote (sim.legislature; docs/ODD.md 7.7): the opposition's
    # and the rest's party line, an unwhipped member's leaning, discipline by
    # bloc and government type, its erosion, intra-bloc correlation and
    # abstention. Estimates after Kaarbo and Kenealy (2016), Kesgin and
    # Kaarbo (2010) and Saideman and Auerswald (2012), not fitted to a vote.
    vote_line_position: float = Field(3.0, ge=-20, le=20)
    vote_line_public: float = Field(4.0, ge=-20, le=20)
    vote_line_legal: float = Field(2.0, ge=-20, le=20)
    vote_lean_public: float = Field(4.0, ge=-20, le=20)
    vote_lean_legal: float = Field(2.0, ge=-20, le=20)
    vote_discipline_single_party: float = Field(0.95, ge=0, le=1)
    vote_discipline_coalition: float = Field(0.90, ge=0, le=1)
    vote_discipline_minority: float = Field(0.95, ge=0, le=1)
    vote_discipline_opposition: float = Field(0.85, ge=0, le=1)
    vote_discipline_rest: float = Field(0.80, ge=0, le=1)
    vote_discipline_erosion: float = Field(0.3, ge=0, le=1)
    vote_icc: float = Field(0.02, ge=0, le=1)
    vote_abstain: float = Field(0.05, ge=0, lt=1)
    vote_retry_days: int = Field(60, ge=0, le=3650)

    # Territorial defence of frontline states (sim.rules.level_utility_terms)
    home_defence_weight: float = Field(0.3, ge=-100, le=100)

    # Retaliation by forces already in theatre
    retaliate_threshold: float = Field(0.1, ge=0, le=5)
    retaliate_slope: float = Field(25.0, ge=0, le=100)

    # Non-allies' stance
    stance_review_rate: float = Field(0.1, ge=0, le=1)
    stance_temperature: float = Field(0.2, gt=0, le=10)
    stance_shared_threat: float = Field(5.0, ge=-100, le=100)
    stance_rivalry: float = Field(1.0, ge=-100, le=100)
    stance_patron: float = Field(0.6, ge=-100, le=100)
    stance_tension: float = Field(1.0, ge=-100, le=100)
    stance_tension_spread: float = Field(0.5, ge=0, le=1)
    stance_request: float = Field(0.5, ge=-100, le=100)

    @model_validator(mode="after")
    def _delays(self):
        if self.vote_delay_max < self.vote_delay_min:
            raise ValueError("vote_delay_max must be >= vote_delay_min")
        return self


RULE_WEIGHTS = tuple(n for n in Rules.model_fields if n not in ("preset", "art5_decision"))


class Event(BaseModel):
    model_config = _FROZEN
    day: int | None = Field(None, ge=0, le=3650)
    date: dt.date | None = None
    kind: Literal[EVENT_KINDS]  # type: ignore[valid-type]
    target: str
    perpetrator: str = "unknown"
    perpetrator_kind: Literal["state", "non_state", "unknown"] = "unknown"
    intent: Literal["deliberate", "accidental", "unclear"] = "deliberate"
    location: Literal["homeland", "forces_abroad", "airspace"] = "homeland"
    # Inside the North Atlantic Treaty's area (Art. 6): None derives it from
    # ``location`` (homeland and the target's own airspace inside, forces
    # abroad outside); give it where that is wrong (an airliner abroad,
    # forces over the Mediterranean).
    treaty_area: bool | None = None
    # Where a non-state attack was directed from, as known in its first days:
    # by an organisation based abroad, or domestic (a home-grown cell or lone
    # actor, "inspired" at most); unknown counts as from abroad.
    direction: Literal["from_abroad", "domestic", "unknown"] = "unknown"
    # A un_resolution that authorises force under Chapter VII of the Charter
    # (a legal basis for strikes without the host's consent); other drafts,
    # and the resolutions a victim's own request brings, do not.
    chapter_vii: bool = False
    cross_border: bool = False
    deaths: int = Field(0, ge=0, le=10_000_000)
    injured: int = Field(0, ge=0, le=100_000_000)
    assets: int = Field(0, ge=0, le=100_000)
    claimed_day: int | None = Field(None, ge=0, le=3650)
    description: str = ""

    @field_validator("target")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.strip().upper()

    @model_validator(mode="after")
    def _day_or_date(self):
        if (self.day is None) == (self.date is None):
            raise ValueError("give exactly one of 'day' and 'date'")
        return self


class Theatres(BaseModel):
    model_config = _FROZEN
    adversary: str = "the adversary"
    # Whom the campaign fights: a state or a non-state group. It selects the
    # parties' coded positions in parliaments.csv; "unknown" takes the first
    # attack's perpetrator_kind (a non-state group when that is unknown too).
    adversary_kind: Literal["state", "non_state", "unknown"] = "unknown"
    invited: str = "the host state"
    uninvited: str = "the contested theatre"
    hosts: tuple[str, ...] = ()
    # The invited host asked states, before the start date, to defend it
    # against the adversary operating from the uninvited theatre (collective
    # self-defence, UN Charter Art. 51): a legal basis for strikes there.
    host_request: bool = False


class Scenario(BaseModel):
    """A validated, immutable scenario."""

    model_config = _FROZEN
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title: str
    description: str = ""
    start_date: dt.date
    days: int = Field(ge=1, le=3650)
    states: str | None = None
    include: tuple[str, ...] = ()
    rules: Rules = Rules()
    overrides: dict[str, dict[str, Any]] = {}
    commitments: dict[str, Literal[LEVELS]] = {}  # type: ignore[valid-type]
    stances: dict[str, Literal[STANCES]] = {}  # type: ignore[valid-type]
    theatres: Theatres = Theatres()
    events: tuple[Event, ...] = ()
    # Set by the loader, not by the file.
    source_path: str | None = None
    source_text: str | None = None

    def event_day(self, event: Event) -> int:
        return event.day if event.day is not None else (event.date - self.start_date).days

    @property
    def sha256(self) -> str:
        return hashlib.sha256((self.source_text or "").encode()).hexdigest()

    def date_of(self, day: int) -> dt.date:
        return self.start_date + dt.timedelta(days=int(day))


# --------------------------------------------------------------------------
# YAML (the bounded loader in sim.yamlio)


def read_yaml(path: str | Path) -> tuple[Any, str]:
    """Read a YAML config file with the project's bounds; return (data, text)."""
    return load_yaml_file(path)


def parse_yaml(text: str, file: str) -> Any:
    """YAML text (e.g. an uploaded file) to data, with the same bounds."""
    return load_yaml_text(text, file)


# --------------------------------------------------------------------------
# Dotted --set overrides

MAX_KEY_PARTS = 16
MAX_KEY_CHARS = 300
_PART = re.compile(r"[^.=\s\[\]]+|\[[^.=\[\]]*\]")
_INDEX = re.compile(r"[0-9]{1,6}")


def parse_set(item: str) -> tuple[str, Any]:
    """'a.b=0.3' -> ('a.b', 0.3); the value is read by the bounded YAML loader."""
    if not isinstance(item, str):
        raise ConfigError("--set", None, f"expected KEY=VALUE, got {shown(item)}")
    if "=" not in item:
        raise ConfigError("--set", item, "expected KEY=VALUE")
    key, _, raw = item.partition("=")
    key = key.strip()
    check_key(key, "--set")
    return key, load_yaml_value(raw, "--set", key)


def check_key(key: str, file: str) -> list[str]:
    """A dotted key's parts, or ConfigError (empty, too long, too many parts)."""
    if not isinstance(key, str) or not key:
        raise ConfigError(file, None, "empty key")
    if len(key) > MAX_KEY_CHARS:
        raise ConfigError(file, key, f"key is {len(key):,} characters; at most {MAX_KEY_CHARS}")
    parts = key.split(".")
    if len(parts) > MAX_KEY_PARTS:
        raise ConfigError(file, key, f"key has {len(parts):,} dotted parts; at most {MAX_KEY_PARTS}")
    for part in parts:
        if not _PART.fullmatch(part):
            raise ConfigError(file, key, "each dotted part must be a non-empty name or index without spaces")
    return parts


def apply_set(data: dict, key: str, value: Any, file: str) -> None:
    """Set a dotted path in raw config data; list items by index (events.0.deaths)."""
    parts = check_key(key, file)
    node: Any = data
    for depth, part in enumerate(parts[:-1]):
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            node = node[_index(part, node, file, here)]
            continue
        if not isinstance(node, dict):
            raise ConfigError(file, here, "cannot set a key inside a scalar value")
        if node.get(part) is None:
            node[part] = {}
        elif isinstance(node[part], str) and part == "rules":
            node[part] = {"preset": node[part]}
        node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[_index(last, node, file, key)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ConfigError(file, key, "cannot set a key inside a scalar value")


def _index(part: str, items: list, file: str, where: str) -> int:
    """A list index: 0, 1, ... (no negative indices: events.-1 is refused, not the last event)."""
    if part.startswith("-") and _INDEX.fullmatch(part[1:]):
        raise ConfigError(file, where, f"negative index {part}: count from 0 (the list has {len(items)} items)")
    if not _INDEX.fullmatch(part):
        raise ConfigError(file, where, "expected a list index (0, 1, ...)")
    i = int(part)
    if i >= len(items):
        raise ConfigError(file, where, f"index {i} out of range (the list has {len(items)} items)")
    return i


# --------------------------------------------------------------------------
# Presets and validation


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def load_preset(name: str, file: str, key: str = "rules") -> dict:
    names = preset_names()
    if name not in names:
        raise ConfigError(file, key, f"unknown rules preset '{name}' (presets: {', '.join(names)}){suggest(name, names)}")
    path = PRESETS_DIR / f"{name}.yaml"
    data, _ = read_yaml(path)
    data = data or {}
    if not isinstance(data, dict):
        raise ConfigError(str(path), None, "a preset must be a mapping of rule weights")
    base = data.pop("base", None)
    merged = load_preset(base, str(path), "base") if base else {}
    merged.update(data)
    merged["preset"] = name
    return merged


def _resolve_rules(raw: Any, file: str) -> dict:
    if raw is None:
        raw = "baseline"
    if isinstance(raw, str):
        return load_preset(raw, file)
    if not isinstance(raw, dict):
        raise ConfigError(file, "rules", "expected a preset name or a mapping of weights")
    raw = dict(raw)
    name = raw.pop("preset", "baseline")
    if not isinstance(name, str):
        raise ConfigError(file, "rules.preset", "expected a preset name")
    merged = load_preset(name, file, "rules.preset")
    merged.update(raw)
    return merged


def _format_loc(loc) -> str:
    return ".".join(str(p) for p in loc)


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):  # numpy scalars from a design
        return value.item()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(type(value).__name__)


def validate_strict(model, data: Any, file: str):
    """``model`` validated from plain data in pydantic's strict mode, as JSON.

    Strict: a boolean is not a number, a float is not an integer, a number is
    not a string. Validated as JSON so a date may be written as text
    (``2015-11-13``, the schema parses it; an impossible date is a field
    error) and a list stands for a tuple. Raises ``ValidationError``, or
    ConfigError for data JSON cannot hold.
    """
    try:
        text = json.dumps(data, default=_json_default, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise ConfigError(file, None, f"unsupported value ({shown(str(exc))})") from None
    return model.model_validate_json(text, strict=True)


def validation_error(exc: ValidationError, file: str, allowed_keys=None, prefix: str = "") -> ConfigError:
    """A pydantic error as one bounded ConfigError naming the dotted key."""
    err = first_error(exc)
    loc = prefix + _format_loc(err["loc"])
    msg = err["msg"]
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        allowed = allowed_keys(err["loc"]) if allowed_keys else []
        msg = f"unknown key {shown(err['loc'][-1])}{suggest(err['loc'][-1], allowed)}"
    elif err["type"] == "literal_error":
        msg = f"{msg} (got {shown(value)})"
    elif err["type"] in ("int_type", "float_type", "bool_type", "string_type", "int_from_float",
                         "date_from_datetime_parsing", "date_parsing", "date_type", "int_parsing",
                         "float_parsing", "bool_parsing"):
        msg = f"{msg} (got {shown(value)}, {_kind(value)})"
    elif err["type"] == "missing":
        msg = "missing (required)"
    return ConfigError(file, loc or None, msg)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal number" if math.isfinite(value) else "not a finite number"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "empty"
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else type(value).__name__


def _check_calendar(scenario: Scenario, file: str) -> None:
    """Every date a run can reach exists: start_date + days stays within the calendar."""
    try:
        scenario.start_date + dt.timedelta(days=scenario.days)
    except OverflowError:
        raise ConfigError(file, "days", f"{scenario.days} days from {scenario.start_date} end past the calendar "
                                        f"(the last date is {dt.date.max})") from None


def validate_scenario(data: Any, file: str, text: str = "", base_dir: Path | None = None) -> Scenario:
    """Raw data (from YAML, after --set) to a frozen Scenario, or ConfigError."""
    if not isinstance(data, dict):
        raise ConfigError(file, None, "a scenario must be a mapping at the top level")
    data = copy.deepcopy(data)
    data["rules"] = _resolve_rules(data.get("rules"), file)
    for forbidden in ("source_path", "source_text"):
        if forbidden in data:
            raise ConfigError(file, forbidden, "unknown key")
    try:
        scenario = validate_strict(Scenario, data, file)
    except ValidationError as exc:
        raise validation_error(exc, file, _allowed_keys) from None
    _check_calendar(scenario, file)
    if scenario.states:
        states_path = Path(scenario.states)
        if not states_path.is_absolute():
            candidates = [(base_dir or Path.cwd()) / states_path, PACKAGE_ROOT / states_path]
            states_path = next((c for c in candidates if c.is_file()), candidates[0])
        scenario = scenario.model_copy(update={"states": str(states_path)})
    table = load_states(scenario.states)
    _check_states(scenario, table, file)
    return scenario.model_copy(update={"source_path": file, "source_text": text})


def _allowed_keys(loc) -> list[str]:
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        inner = getattr(ann, "__args__", None)
        candidates = [ann] + list(inner or [])
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return []
    return list(model.model_fields) if model is not None else []


def _check_states(scenario: Scenario, table: StatesTable, file: str) -> None:
    referenced: dict[str, str] = {}  # code -> first dotted key naming it
    for code in scenario.overrides:
        referenced.setdefault(code, f"overrides.{code}")
    for field in ("commitments", "stances"):
        for code in getattr(scenario, field):
            referenced.setdefault(code, f"{field}.{code}")
    for code in scenario.include:
        referenced.setdefault(code, "include")
    for code in scenario.theatres.hosts:
        referenced.setdefault(code, "theatres.hosts")
    for i, event in enumerate(scenario.events):
        referenced.setdefault(event.target, f"events.{i}.target")
        if event.perpetrator_kind == "state":
            referenced.setdefault(event.perpetrator.upper(), f"events.{i}.perpetrator")
    missing = [c for c in referenced if c not in table.rows]
    if missing:
        table.check_codes(missing, file, referenced[missing[0]])
    for code, attrs in scenario.overrides.items():
        if not isinstance(attrs, dict):
            raise ConfigError(file, f"overrides.{code}", "expected a mapping of attribute: value")
        for name, value in attrs.items():
            if name not in OVERRIDABLE:
                raise ConfigError(file, f"overrides.{code}.{name}", f"unknown state attribute '{name}'{suggest(name, OVERRIDABLE)}")
            coerce_attribute(name, value, file, f"overrides.{code}.{name}")
    allies = set(table.nato_members(scenario.start_date))
    for code, stance in scenario.stances.items():
        if stance == "join" and code in allies:
            raise ConfigError(file, f"stances.{code}", f"{code} is a NATO member on {scenario.start_date}: an ally "
                                                       "takes commitments; 'join' is a non-ally's stance")
    for i, event in enumerate(scenario.events):
        day = scenario.event_day(event)
        if day < 0:
            raise ConfigError(file, f"events.{i}.date", f"{event.date} is before start_date {scenario.start_date}")
        if day >= scenario.days:
            raise ConfigError(file, f"events.{i}", f"day {day} is after the scenario's last day ({scenario.days - 1})")
        if event.claimed_day is not None and event.claimed_day < day:
            raise ConfigError(file, f"events.{i}.claimed_day", f"claimed on day {event.claimed_day}, before the event (day {day})")


def load_scenario(path: str | Path, overrides: dict[str, Any] | list[str] | None = None) -> Scenario:
    """Load and validate a scenario file, applying dotted overrides.

    ``overrides`` is a mapping ``{"overrides.DNK.public_support": 0.3}`` or a
    list of ``"KEY=VALUE"`` strings (as given to ``--set``).
    """
    file = str(path)
    data, text = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(file, None, "a scenario must be a mapping at the top level")
    data = apply_overrides(data, overrides, file)
    return validate_scenario(data, file, text, Path(path).resolve().parent)


def apply_overrides(data: dict, overrides, file: str) -> dict:
    """A copy of ``data`` with dotted overrides set in order.

    ``overrides.GROUP.attr`` sets ``attr`` for every state of a group (see
    :func:`group_codes`); a later plain ``overrides.DNK.attr`` wins for DNK.
    """
    data = copy.deepcopy(data)
    if not overrides:
        return data
    items = list(overrides.items() if isinstance(overrides, dict) else (parse_set(s) for s in overrides))
    grouped = [k for k, _ in items if _group_of(k, file) is not None]
    context = None
    if grouped:
        plain = copy.deepcopy(data)
        for key, value in items:
            if _group_of(key, file) is None:
                apply_set(plain, key, value, file)
        context = _group_context(plain, file, grouped[0])
    for key, value in items:
        group = _group_of(key, file)
        if group is None:
            apply_set(data, key, value, file)
            continue
        rest = check_key(key, file)[2:]
        if rest[0] not in OVERRIDABLE:
            raise ConfigError(file, key, f"unknown state attribute {shown(rest[0])}{suggest(rest[0], OVERRIDABLE)}")
        if len(rest) == 1:
            coerce_attribute(rest[0], value, file, key)
        for code in group_codes(group, context, file, key):
            apply_set(data, ".".join(["overrides", code, *rest]), copy.deepcopy(value), file)
    return data


GROUPS = ("*", "NATO", "EU")


def _group_of(key: str, file: str) -> str | None:
    """The group named by ``overrides.GROUP.attr`` (``*``, ``NATO``, ``EU`` or ``[A,B]``), else None."""
    if not isinstance(key, str) or not key.startswith("overrides."):
        return None
    parts = check_key(key, file)
    if len(parts) < 3:
        return None
    part = parts[1]
    if part in GROUPS or (part.startswith("[") and part.endswith("]")):
        return part
    return None


def _group_context(data: dict, file: str, key: str):
    """(scenario, table) of the data with every plain value set: the run whose states a group means."""
    from .world import run_states

    try:
        scenario = validate_scenario(data, file, "", Path(file).resolve().parent)
    except ConfigError as exc:
        raise ConfigError(exc.file, exc.key, f"{exc.message} (needed to expand {key})") from None
    table = load_states(scenario.states)
    return scenario, table, run_states(scenario, table)


def group_codes(group: str, context, file: str, key: str) -> list[str]:
    """The ISO3 codes of a group on the scenario's start date.

    ``*``: every state of the run (NATO and EU members on the start date, the
    permanent members of the Security Council and every state the scenario
    names); ``NATO`` / ``EU``: the members on the start date; ``[DNK,NOR]``:
    those states (each must be in the states table).
    """
    scenario, table, states = context
    if group == "*":
        return list(states)
    if group == "NATO":
        return list(table.nato_members(scenario.start_date))
    if group == "EU":
        return list(table.eu_members(scenario.start_date))
    codes = [c.strip().upper() for c in group[1:-1].split(",") if c.strip()]
    if not codes:
        raise ConfigError(file, key, "an empty group []: list states as [DNK,NOR]")
    if len(codes) != len(set(codes)):
        raise ConfigError(file, key, "a state is listed twice in the group")
    table.check_codes(codes, file, key)
    return codes
