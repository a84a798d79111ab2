"""The states table: loading, attribute types, membership at a date, neighbours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError, suggest
from .legislature import GOVERNMENT_TYPES

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATES = PACKAGE_ROOT / "configs" / "states" / "states.csv"

APPROVAL_REGIMES = ("executive", "convention", "prior_vote")
INSTITUTIONS = ("nato", "eu", "un", "unilateral")

# Attributes a scenario may override, with their type and allowed range.
NUMERIC_ATTRIBUTES: dict[str, tuple[float, float]] = {
    "population": (1, 2e9),
    "milex_usd_bn": (0, 5000),
    "strike_aircraft": (0, 10000),
    "legislature_seats": (0, 5000),
    "public_support": (0, 1),
    "threat_perception": (0, 1),
    "autonomy_preference": (0, 1),
    "casualty_aversion": (0, 1),
    "assad_stance": (-1, 1),
    "west_alignment": (-1, 1),
    "authorisation_days": (0, 3650),
}
CHOICE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "approval_regime": APPROVAL_REGIMES,
    "preferred_institution": INSTITUTIONS,
}
# The chamber on a scenario's start date: not columns of the states table but
# read from configs/states/parliaments.csv (sim.legislature.chamber); a
# scenario may override them ("what if the opposition had whipped against?").
# Positions are the party line on the campaign's target, -1 against .. +1 for
# (0: split, a free vote).
PARLIAMENT_NUMERIC: dict[str, tuple[float, float]] = {
    "government_seats": (0, 5000),
    "opposition_seats": (0, 5000),
    "government_position": (-1, 1),
    "opposition_position": (-1, 1),
}
PARLIAMENT_CHOICE: dict[str, tuple[str, ...]] = {"government_type": GOVERNMENT_TYPES}
PARLIAMENT_ATTRIBUTES = tuple(PARLIAMENT_NUMERIC) + tuple(PARLIAMENT_CHOICE)
# Attributes from configs/states/forces.csv on the start date (sim.forces.posture).
FORCES_NUMERIC: dict[str, tuple[float, float]] = {
    "strike_in_theatre": (0, 1),
    "strike_unavailable_days": (0, 3650),
    "strike_rotation": (0, 1),
    "strike_since_days": (0, 36500),
}
DERIVED_NUMERIC = {**PARLIAMENT_NUMERIC, **FORCES_NUMERIC}
DATE_ATTRIBUTES = ("nato_accession", "eu_accession", "eu_exit")
TEXT_ATTRIBUTES = ("name", "legislature_name", "neighbours")
BOOL_ATTRIBUTES = ("unsc_permanent",)
TABLE_ATTRIBUTES = (
    tuple(NUMERIC_ATTRIBUTES) + tuple(CHOICE_ATTRIBUTES) + DATE_ATTRIBUTES
    + TEXT_ATTRIBUTES + BOOL_ATTRIBUTES
)
OVERRIDABLE = TABLE_ATTRIBUTES + PARLIAMENT_ATTRIBUTES + tuple(FORCES_NUMERIC)
REQUIRED_COLUMNS = ("iso3",) + TABLE_ATTRIBUTES

# Institutions exist from their own dates.
EU_427_IN_FORCE = dt.date(2009, 12, 1)  # Treaty of Lisbon, TEU Art. 42(7)
NATO_IN_FORCE = dt.date(1949, 8, 24)


def _parse_date(value, file, key) -> dt.date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigError(file, key, f"'{value}' is not a date (YYYY-MM-DD)") from None


def coerce_attribute(name: str, value, file, key):
    """Check and convert one attribute value (from the table or an override)."""
    if name in NUMERIC_ATTRIBUTES or name in DERIVED_NUMERIC:
        lo, hi = NUMERIC_ATTRIBUTES.get(name) or DERIVED_NUMERIC[name]
        if isinstance(value, bool):
            raise ConfigError(file, key, f"expected a number in [{lo:g}, {hi:g}], got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(file, key, f"expected a number in [{lo:g}, {hi:g}], got {value!r}") from None
        if not (lo <= number <= hi):
            raise ConfigError(file, key, f"{number:g} is out of range [{lo:g}, {hi:g}]")
        return number
    if name in CHOICE_ATTRIBUTES or name in PARLIAMENT_CHOICE:
        allowed = CHOICE_ATTRIBUTES.get(name) or PARLIAMENT_CHOICE[name]
        if value not in allowed:
            raise ConfigError(file, key, f"'{value}' is not one of {', '.join(allowed)}{suggest(value, allowed)}")
        return value
    if name in DATE_ATTRIBUTES:
        return _parse_date(value, file, key)
    if name in BOOL_ATTRIBUTES:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no", ""):
            return False
        raise ConfigError(file, key, f"expected true or false, got {value!r}")
    if name in TEXT_ATTRIBUTES:
        return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    raise ConfigError(file, key, f"unknown state attribute '{name}'{suggest(name, OVERRIDABLE)}")


@dataclass(frozen=True)
class StatesTable:
    """The rows of a states table, keyed by ISO3 code (immutable once loaded)."""

    path: str
    rows: dict[str, dict]

    @property
    def codes(self) -> list[str]:
        return list(self.rows)

    def nato_members(self, on: dt.date) -> list[str]:
        if on < NATO_IN_FORCE:
            return []
        return [c for c, r in self.rows.items() if r["nato_accession"] and r["nato_accession"] <= on]

    def eu_members(self, on: dt.date) -> list[str]:
        return [
            c for c, r in self.rows.items()
            if r["eu_accession"] and r["eu_accession"] <= on and not (r["eu_exit"] and r["eu_exit"] <= on)
        ]

    def neighbours(self, code: str) -> list[str]:
        return [n for n in self.rows[code]["neighbours"].split(";") if n in self.rows]

    def check_codes(self, codes, file, key) -> None:
        """Raise a ConfigError naming every code that is not in the table."""
        missing = sorted({c for c in codes if c not in self.rows})
        if missing:
            hint = suggest(missing[0], self.rows) if len(missing) == 1 else ""
            raise ConfigError(
                file, key,
                f"state{'s' if len(missing) > 1 else ''} {', '.join(missing)} not in the states table {self.path}{hint}",
            )


@lru_cache(maxsize=16)
def _load_cached(path: str, mtime: float) -> StatesTable:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, f"cannot read the states table: {exc}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(path, missing[0], f"missing column(s): {', '.join(missing)}")
    rows: dict[str, dict] = {}
    for i, record in enumerate(frame.to_dict("records")):
        code = record["iso3"].strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ConfigError(path, f"row {i + 2}.iso3", f"'{record['iso3']}' is not an ISO3 code")
        if code in rows:
            raise ConfigError(path, f"row {i + 2}.iso3", f"duplicate state {code}")
        row = {"iso3": code}
        for name in TABLE_ATTRIBUTES:
            raw = record[name].strip()
            if name in NUMERIC_ATTRIBUTES and raw == "":
                raw = "0"
            row[name] = coerce_attribute(name, raw, path, f"{code}.{name}")
        rows[code] = row
    return StatesTable(path=path, rows=rows)


def load_states(path: str | Path | None = None) -> StatesTable:
    """Load (and cache) a states table; the default is configs/states/states.csv."""
    p = Path(path) if path else DEFAULT_STATES
    if not p.is_file():
        raise ConfigError(str(p), None, "states table not found")
    return _load_cached(str(p), p.stat().st_mtime)
