"""Injected events: the teacher adds an event to the run in progress.

The run is rebuilt from a scenario with the extra event (validated by the
scenario schema's own :class:`sim.scenario.Event`) and the answers given so
far are replayed; the draws are addressed by (seed, day, decision, state),
so the days already played come out the same (the session checks it).
"""

from __future__ import annotations

from pydantic import ValidationError

from ..errors import first_error
from ..scenario import EVENT_KINDS, Event, Scenario

# The fields of an event a teacher can set, in the schema's own words
# (sim.scenario.Event): name -> (kind of input, allowed values or None).
EVENT_FIELDS: dict[str, tuple[str, tuple | None]] = {
    "kind": ("choice", EVENT_KINDS),
    "day": ("int", None),
    "target": ("state", None),
    "perpetrator": ("text", None),
    "perpetrator_kind": ("choice", ("state", "non_state", "unknown")),
    "intent": ("choice", ("deliberate", "accidental", "unclear")),
    "location": ("choice", ("homeland", "forces_abroad", "airspace")),
    "cross_border": ("bool", None),
    "deaths": ("int", None),
    "injured": ("int", None),
    "assets": ("int", None),
    "description": ("text", None),
}


def make_event(fields: dict) -> Event:
    """An Event from the teacher's fields; ValueError with one clear line."""
    unknown = sorted(set(fields) - set(EVENT_FIELDS) - {"claimed_day"})
    if unknown:
        raise ValueError(f"unknown event field {unknown[0]!r}")
    data = {k: v for k, v in fields.items() if v not in (None, "")}
    try:
        return Event.model_validate(data)
    except ValidationError as exc:
        err = first_error(exc)
        where = ".".join(str(x) for x in err["loc"]) or "event"
        raise ValueError(f"the injected event, {where}: {err['msg']}") from None


def inject_scenario(scenario: Scenario, event: Event) -> Scenario:
    """The scenario with one more event (appended: the earlier events keep
    their indexes)."""
    data = scenario.model_dump()
    data["events"] = [*data["events"], event.model_dump()]
    return Scenario.model_validate(data)
