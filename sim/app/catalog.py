"""The scenarios the app offers, and building one from the page's settings.

Only the project's own folders are listed (configs/scenarios/ and
configs/history/); the page never takes a typed path. An uploaded file may
name other files (a scenario's ``states`` table, a case's ``scenario``): it is
accepted only when they are files in the project's config folders.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..history import Case, is_case_file, load_case
from ..scenario import ART5_DECISIONS, Scenario, load_scenario, parse_yaml
from ..states import PACKAGE_ROOT
from ..yamlio import dump_yaml, load_yaml_file

SCENARIO_DIR = PACKAGE_ROOT / "configs" / "scenarios"
HISTORY_DIR = PACKAGE_ROOT / "configs" / "history"
STATES_DIR = PACKAGE_ROOT / "configs" / "states"
MAX_UPLOAD_BYTES = 200_000
UPLOAD_NAME = "uploaded file"


@dataclass(frozen=True)
class Choice:
    label: str
    path: Path
    kind: str  # "scenario" or "case"


def list_choices() -> list[Choice]:
    """Scenario files, then history cases, each with a readable label."""
    out = []
    for kind, folder in (("scenario", SCENARIO_DIR), ("case", HISTORY_DIR)):
        for path in sorted(folder.glob("*.yaml")):
            out.append(Choice(_label(path, kind), path, kind))
    return out


def _label(path: Path, kind: str) -> str:
    try:
        data = load_yaml_file(path)[0] or {}
    except Exception:  # a broken file is still listed; loading it shows the error
        data = {}
    title = data.get("title") if isinstance(data, dict) else None
    if kind == "scenario":
        return f"{title or path.stem} [scenario {path.stem}]"
    return f"{title or path.stem} [history case {path.stem}]"


@dataclass(frozen=True)
class Settings:
    """What the page's controls set."""

    lens: str = "baseline"
    art5_decision: str = "consensus"
    severity: float = 1.0  # multiplier on the first event's deaths
    overrides: tuple[tuple[str, str, float], ...] = ()  # (ISO3, attribute, value)
    days: int | None = None


def _dotted(base: Scenario, settings: Settings) -> dict:
    if settings.art5_decision not in ART5_DECISIONS:
        raise ValueError(f"unknown Article 5 decision rule {settings.art5_decision!r}")
    sets: dict = {}
    # The file's own rules (a preset, or a mapping with its own weights) stay
    # unless another lens is chosen.
    if settings.lens and settings.lens != base.rules.preset:
        sets["rules"] = settings.lens
    if settings.art5_decision != base.rules.art5_decision or "rules" in sets:
        sets["rules.art5_decision"] = settings.art5_decision
    if base.events and settings.severity != 1.0:
        sets["events.0.deaths"] = int(round(base.events[0].deaths * float(settings.severity)))
    for code, attr, value in settings.overrides:
        sets[f"overrides.{code}.{attr}"] = float(value)
    if settings.days is not None:
        sets["days"] = int(settings.days)
    return sets


def load_choice(path: str | Path, settings: Settings | None = None) -> tuple[Scenario, Case | None]:
    """The scenario (and, for a history case, the case) under the settings.
    Raises ConfigError for a bad file or value."""
    settings = settings or Settings()
    path = Path(path)
    data = load_yaml_file(path)[0]
    if is_case_file(data):
        base = load_case(path).scenario
        case = load_case(path, _dotted(base, settings))
        return case.scenario, case
    base = load_scenario(path)
    return load_scenario(path, _dotted(base, settings)), None


def case_for(path: str | Path) -> Path | None:
    """The history case (in configs/history/) built on this scenario file
    (its ``scenario`` names the file, or an inline copy says ``based_on`` it),
    if there is one."""
    target = Path(path).resolve()
    for case_path in sorted(HISTORY_DIR.glob("*.yaml")):
        try:
            data = load_yaml_file(case_path)[0]
        except Exception:
            continue
        if not is_case_file(data):
            continue
        for raw in (data.get("scenario"), data.get("based_on")):
            if isinstance(raw, str) and (case_path.parent / raw).resolve() == target:
                return case_path
    return None


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _pin(raw, key: str, base: Path, folder: Path, what: str):
    """An uploaded file's reference to another file, as the absolute path of
    a file inside ``folder``; ConfigError for anything else. ``base`` is the
    folder relative names start from (the file's place among the configs)."""
    if not isinstance(raw, str):
        return raw  # not a path: the loader reports the wrong type
    p = Path(raw)
    candidates = [p] if p.is_absolute() else [base / p, PACKAGE_ROOT / p, folder / p]
    for c in candidates:
        if _inside(c, folder) and c.is_file():
            return str(c.resolve())
    where = folder.relative_to(PACKAGE_ROOT)
    raise ConfigError(UPLOAD_NAME, key, f"{what} {raw!r} must name a file in the project's {where}/ folder "
                                        "(an uploaded file cannot refer to other files)")


def pin_references(data):
    """An uploaded scenario or case with its references to other files
    (``states``; a case's ``scenario``) checked and made absolute. Relative
    names are read as if the file sat in configs/scenarios/ or
    configs/history/, so a copy of one of the project's files loads."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    if is_case_file(data):
        if isinstance(data.get("scenario"), dict):
            data["scenario"] = dict(data["scenario"])
            if "states" in data["scenario"]:
                data["scenario"]["states"] = _pin(data["scenario"]["states"], "scenario.states", HISTORY_DIR,
                                                  STATES_DIR, "the states table")
        elif "scenario" in data:
            data["scenario"] = _pin(data["scenario"], "scenario", HISTORY_DIR, SCENARIO_DIR, "the scenario")
        if "based_on" in data:
            data["based_on"] = _pin(data["based_on"], "based_on", HISTORY_DIR, SCENARIO_DIR, "the scenario")
        return data
    if "states" in data:
        data["states"] = _pin(data["states"], "states", SCENARIO_DIR, STATES_DIR, "the states table")
    return data


def save_upload(text: str, folder: str | None = None) -> Path:
    """Check an uploaded YAML text (size, its references to other files),
    write it into a private temporary folder (one per session) and return its
    path; the caller validates it with load_choice. ConfigError or
    ValueError for a file that cannot be accepted."""
    if len(text.encode("utf-8")) > MAX_UPLOAD_BYTES:
        raise ValueError(f"the file is larger than {MAX_UPLOAD_BYTES // 1000} kB")
    data = parse_yaml(text, UPLOAD_NAME)
    pinned = pin_references(data)
    if pinned != data:
        text = dump_yaml(pinned)
    folder = folder or tempfile.mkdtemp(prefix="coalition-sim-upload-")
    path = Path(folder) / "uploaded.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def accept_upload(name: str, data: bytes, folder: str) -> tuple[str, Path]:
    """A file dropped in the page: checked (size, UTF-8, references to
    other files), saved in the session's folder and loaded once to validate
    it. Returns (label for the scenario menu, path); raises ConfigError or
    ValueError with a message for the page."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"the file is larger than {MAX_UPLOAD_BYTES // 1000} kB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text (a YAML scenario or history case is expected)") from None
    path = save_upload(text, folder)
    load_choice(path)
    return f"uploaded: {Path(name).name}", path
