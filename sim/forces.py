"""Forces on the start date: which states already have strike aircraft in a
theatre, and whose strike aircraft cannot deploy before a known date.

A loader for ``configs/states/forces.csv`` (one dated fact per row, with its
source; see SOURCES.md). ``posture(iso3, date, areas)`` reads only what a
forecaster could have known on ``date``: rows with ``known_on <= date``, in
force on the day. It returns four state attributes:

* ``strike_in_theatre`` (0 or 1): the state has aircraft with a strike role
  deployed over one of the campaign's ``areas`` (the theatres' invited and
  uninvited countries, matched case-insensitively with the table's ``area``
  list). Taking part in a campaign starts from forces in theatre: the
  marginal step of a state already striking in one country is to extend the
  same aircraft's mandate, not to deploy (docs/ODD.md, 7.12);
* ``strike_unavailable_days``: days from ``date`` until the state's strike
  aircraft are available again, when an ``unavailable`` row covers ``date``
  (its ``to`` is the announced return, known on ``known_on``), else 0;
* ``strike_rotation`` (0 or 1): that ``unavailable`` row is a pause from the
  campaign's own areas (a rotation home with an announced return): the
  government's standing policy is to strike there again, which the
  commitment rule takes as its reference level (docs/ODD.md, 7.12);
* ``strike_since_days``: days since the latest start of a strike deployment
  in force over the campaign's areas (a new theatre or asset), 0 without
  one: where a legislature must authorise an operation within a set time
  (``authorisation_days``), its clock runs from there (docs/ODD.md, 7.7).

Nothing here reads a decision taken after ``date``: a deployment decided
later has ``known_on`` after it and is not seen.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .errors import ConfigError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FORCES = PACKAGE_ROOT / "configs" / "states" / "forces.csv"
COLUMNS = ("iso3", "kind", "role", "area", "from", "to", "known_on", "source", "status")
KINDS = ("deployed", "unavailable", "announced")
NO_FORCES = {"strike_in_theatre": 0.0, "strike_unavailable_days": 0.0, "strike_rotation": 0.0, "strike_since_days": 0.0}


def _date(value, path, key):
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigError(path, key, f"not a date (YYYY-MM-DD): {str(value)[:40]!r}") from None


@lru_cache(maxsize=4)
def _rows(path: str, mtime: float) -> tuple[dict, ...]:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise ConfigError(path, "forces", f"cannot read the forces table ({type(exc).__name__})") from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(path, missing[0], "missing column of the forces table")
    rows = []
    for n, rec in enumerate(frame.to_dict("records"), start=2):
        key = f"line {n}"
        if rec["kind"] not in KINDS:
            raise ConfigError(path, f"{key}.kind", f"'{rec['kind'][:40]}' is not one of {', '.join(KINDS)}")
        if not rec["source"].strip():
            raise ConfigError(path, f"{key}.source", "every row needs its source")
        rows.append({
            "iso3": rec["iso3"].strip().upper(), "kind": rec["kind"],
            "roles": {x.strip() for x in rec["role"].split(";") if x.strip()},
            "areas": {x.strip().lower() for x in rec["area"].split(";") if x.strip()},
            "from": _date(rec["from"], path, f"{key}.from"), "to": _date(rec["to"], path, f"{key}.to"),
            "known_on": _date(rec["known_on"], path, f"{key}.known_on"),
        })
    return tuple(rows)


def _in_force(row, date) -> bool:
    known = row["known_on"] is not None and row["known_on"] <= date
    started = row["from"] is not None and row["from"] <= date
    return known and started and (row["to"] is None or date < row["to"])


@lru_cache(maxsize=4096)
def _posture(iso3: str, day: str, areas: frozenset, path: str, mtime: float) -> tuple:
    date = dt.date.fromisoformat(day)
    in_theatre, unavailable, rotation, since = 0.0, 0.0, 0.0, None
    for row in _rows(path, mtime):
        if row["iso3"] != iso3 or "strike" not in row["roles"] or not _in_force(row, date):
            continue
        if row["kind"] == "deployed" and row["areas"] & areas:
            in_theatre = 1.0
            since = row["from"] if since is None else max(since, row["from"])
        elif row["kind"] == "unavailable" and row["to"] is not None:
            unavailable = max(unavailable, float((row["to"] - date).days))
            if row["areas"] & areas:
                rotation = 1.0  # paused from this campaign, with an announced return
    if in_theatre:
        unavailable = rotation = 0.0  # some strike aircraft are there already
    since_days = float((date - since).days) if since is not None else 0.0
    return (("strike_in_theatre", in_theatre), ("strike_unavailable_days", unavailable), ("strike_rotation", rotation),
            ("strike_since_days", since_days))


def posture(iso3: str, date: dt.date, areas, path: str | Path | None = None) -> dict:
    """``strike_in_theatre``, ``strike_unavailable_days``, ``strike_rotation``
    and ``strike_since_days`` of ``iso3`` on ``date`` for a campaign over ``areas`` (country names); zeros where the
    table has no row in force."""
    p = Path(path) if path else DEFAULT_FORCES
    if not p.exists():
        return dict(NO_FORCES)
    wanted = frozenset(a.strip().lower() for a in areas if a and a.strip())
    return dict(_posture(iso3.upper(), date.isoformat(), wanted, str(p), p.stat().st_mtime))


def campaign_areas(theatres) -> tuple[str, ...]:
    """The countries of a campaign, as forces.csv names areas: the theatres'
    invited and uninvited countries."""
    return tuple(x for x in (theatres.invited, theatres.uninvited) if x)
