"""The debrief: the session as one JSON file, read back as pandas tables
by :func:`load_session` (``sim.load_session``), and the played run beside
the model's own runs from the same start."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ConfigError
from ..scenario import LEVELS, Scenario

FORMAT = "coalition-sim class session"
FORMAT_VERSION = 1
TABLES = ("groups", "choices", "events", "votes", "injects", "timeseries")
MAX_FILE_BYTES = 50_000_000


def _jsonable(frame: pd.DataFrame) -> list[dict]:
    frame = frame.copy()
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].dt.strftime("%Y-%m-%d")
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def session_record(session) -> dict:
    """Everything a debrief needs, JSON-ready: the settings and seed, the
    groups, every answered question (with the model's choice beside it),
    the event log (who decided each), the votes, the injects, the series."""
    with session.lock:
        result = session.model.result()
        claims = session.claims
        events = result.events.copy()
        events["group"] = [claims.get(str(c), "") for c in events["state"]]
        events["decided_by"] = [
            (f"group {claims.get(str(c), '')}" if by == "player" else "model")
            for c, by in zip(events["state"], events["decided_by"])]
        sc = session.scenario
        settings = {
            "code": session.code, "label": session.label, "scenario": sc.name, "title": sc.title,
            "source_path": session.base.source_path, "seed": session.seed, "days": sc.days,
            "day_reached": session.model.day, "start_date": sc.start_date.isoformat(),
            "rules_preset": sc.rules.preset, "art5_decision": sc.rules.art5_decision,
            "case": getattr(session.case, "case", None), "show_record": session.show_record,
            "show_hints": session.show_hints, "players": list(session.model.players),
            "final": {c: result.summary[f"commitment.{c}"] for c in session.model.players},
            "scenario_as_played": json.loads(sc.model_dump_json(exclude={"source_text"})),
        }
        groups = pd.DataFrame([{"group": g.name, "state": g.state or "",
                                "state_name": session.name_of(g.state) if g.state else ""}
                               for g in session.groups.values()], columns=["group", "state", "state_name"])
        return {
            "format": FORMAT, "version": FORMAT_VERSION, "settings": settings,
            "groups": _jsonable(groups),
            "choices": list(session.choices),
            "events": _jsonable(events),
            "votes": list(result.summary["votes"]),
            "injects": list(session.injects),
            "timeseries": _jsonable(result.timeseries),
        }


def session_json(session) -> bytes:
    return json.dumps(session_record(session), indent=1, default=str).encode("utf-8")


def write_session(session, path: str | Path) -> Path:
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(session_json(session))
    tmp.replace(path)
    return path


@dataclass
class SessionRecord:
    """A saved class session as pandas tables (``sim.load_session``)."""

    settings: dict
    groups: pd.DataFrame
    choices: pd.DataFrame
    events: pd.DataFrame
    votes: pd.DataFrame
    injects: pd.DataFrame
    timeseries: pd.DataFrame

    def scenario(self) -> Scenario:
        """The scenario as played (with the injected events)."""
        return Scenario.model_validate(self.settings["scenario_as_played"])


def load_session(path: str | Path) -> SessionRecord:
    """Read a session file saved from the facilitator's page. Raises
    ConfigError (one line naming the file) for a file that is not one."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(path, None, f"larger than {MAX_FILE_BYTES} bytes; not a session file")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read the file ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ConfigError(path, None, "not a JSON session file") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(path, "format", f"is not {FORMAT!r}; not a class session file")
    missing = [k for k in ("settings", *TABLES) if k not in data]
    if missing:
        raise ConfigError(path, missing[0], "missing")
    tables = {}
    for name in TABLES:
        frame = pd.DataFrame(data[name])
        for col in ("date",):
            if col in frame.columns:
                frame[col] = pd.to_datetime(frame[col])
        tables[name] = frame
    return SessionRecord(settings=data["settings"], **tables)


def compare_with_model(scenario: Scenario, day: int, final: dict, outcomes: dict, runs: int = 300,
                       first_seed: int = 0, names: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The played run beside ``runs`` runs of the model alone from the same
    start to the same day (the batch engine): for each played state, how
    often the model's own state ended where the class's did; for the
    run's outcomes, how often the model's runs had the same.

    ``final``: state -> the level the class's state reached; ``outcomes``:
    the played run's summary. Returns (comparison table, the model runs'
    flat summaries)."""
    from ..batch import summary_rows

    day = max(int(day), 1)
    horizon = Scenario.model_validate({**scenario.model_dump(), "days": day})
    rows = summary_rows([horizon] * runs, list(range(first_seed, first_seed + runs)))
    out = []
    for code, level in final.items():
        col = rows[f"commitment.{code}"].astype(str)
        ranks = col.map(LEVELS.index)
        out.append({"what": f"{(names or {}).get(code, code)}: commitment on day {day}", "the class's run": level.replace("_", " "),
                    "model runs the same": float((col == level).mean()),
                    "model runs at this level or higher": float((ranks >= LEVELS.index(level)).mean())})
    for key, words in (("article5_invoked", "Article 5 invoked"), ("eu_42_7_invoked", "EU Article 42.7 invoked")):
        value = bool(outcomes.get(key))
        out.append({"what": words, "the class's run": "yes" if value else "no",
                    "model runs the same": float((rows[key].astype(bool) == value).mean()),
                    "model runs at this level or higher": None})
    size = int(outcomes.get("coalition_size", 0))
    out.append({"what": "coalition size (states at support or above)", "the class's run": str(size),
                "model runs the same": float((rows["coalition_size"] == size).mean()),
                "model runs at this level or higher": float((rows["coalition_size"] >= size).mean())})
    return pd.DataFrame(out), rows


def compare_session(session, runs: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    with session.lock:
        result = session.model.result()
        final = {c: result.summary[f"commitment.{c}"] for c in session.model.players}
        scenario, day = session.scenario, session.model.day
        names = {c: session.name_of(c) for c in final}
    return compare_with_model(scenario, day, final, result.summary, runs=runs, names=names)
