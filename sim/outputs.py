"""The three tables of a run: per-day series, per-run summary, event log."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import rules as R, world as W
from .narrative import CODE_NAMES, sentence
from .scenario import LEVELS, STANCES, Scenario

BODIES = {W.NAC_VOTE: "North Atlantic Council", W.EU_COUNCIL: "Council of the EU", W.UNSC_VOTE: "UN Security Council"}


class History:
    """Per-day arrays (days, R, N) recorded after each day's step."""

    def __init__(self, setup: W.Setup):
        shape = (setup.days, setup.R, len(setup.codes))
        self.commitment = np.zeros(shape, dtype=np.int8)
        self.stance = np.zeros(shape, dtype=np.int8)
        self.threat = np.zeros(shape)
        self.public = np.zeros(shape)

    def record(self, setup: W.Setup, world: W.World, day: int) -> None:
        self.commitment[day] = world.commitment
        self.stance[day] = world.stance
        self.threat[day] = world.threat
        self.public[day] = W.public_support(setup, world)


def _day_or_none(value) -> int | None:
    return None if value < 0 else int(value)


def _question(s: W.Setup, code: int, record) -> str:
    from .narrative import level_phrase

    data = record[4]
    if code == W.VOTE:
        return level_phrase(s, data["level"])
    if code == W.NAC_VOTE:
        return f"invoke Article 5 for {s.codes[record[3]]}"
    if code == W.EU_COUNCIL:
        return f"aid {s.codes[record[3]]} under TEU Article 42.7"
    return f"resolution tabled by {s.codes[record[3]]}"


def summary(s: W.Setup, w: W.World, h: History, r: int, records: list) -> dict:
    """The per-run summary as a JSON-ready dict (the fields the README lists)."""
    commitment = w.commitment[r]
    votes = []
    for rec in records:
        code = rec[2]
        if code in (W.VOTE, W.NAC_VOTE, W.EU_COUNCIL, W.UNSC_VOTE):
            data = rec[4]
            body = s.legislatures[rec[3]] if code == W.VOTE else BODIES[code]
            votes.append({"state": s.codes[rec[3]], "body": body, "day": rec[1], "question": _question(s, code, rec),
                          "yes": data["yes"], "no": data["no"], "passed": data["passed"]})
    aircraft = R.aircraft_committed(s.attr["strike_aircraft"][r], commitment) * s.active
    total = aircraft.sum()
    states = {}
    for i, code in enumerate(s.codes):
        entry = {
            "commitment": LEVELS[commitment[i]],
            "first_strike_day": _day_or_none(w.first_strike_day[r, i]),
            "first_commitment_day": _day_or_none(w.first_commitment_day[r, i]),
            "strike_aircraft_committed": int(aircraft[i]),
            "burden_share": round(float(aircraft[i] / total), 4) if total > 0 else 0.0,
        }
        if s.stance_mask[i]:
            entry["stance"] = STANCES[w.stance[r, i]]
        states[code] = entry
    active = s.active
    strike_days = [int(d) for d in w.first_strike_day[r][active] if d >= 0]
    allied_strikes = [int(d) for i, d in enumerate(w.first_strike_day[r])
                      if d >= 0 and active[i] and not w.victim[r, i]]
    out = {
        "scenario": s.scenarios[r].name,
        "seed": s.seeds[r],
        "days": s.days,
        "start_date": s.scenario.start_date.isoformat(),
        "preset": s.scenarios[r].rules.preset,
        "art5_decision": s.scenarios[r].rules.art5_decision,
        "article4_requests": [{"state": s.codes[i], "day": int(d)} for i, d in enumerate(w.requested["art4"][r]) if d >= 0],
        "article5_requested": bool((w.requested["art5"][r] >= 0).any()),
        "article5_invoked": bool(w.art5_day[r] >= 0),
        "article5_day": _day_or_none(w.art5_day[r]),
        "eu_42_7_requested": bool((w.requested["eu427"][r] >= 0).any()),
        "eu_42_7_invoked": bool(w.eu427_day[r] >= 0),
        "eu_42_7_day": _day_or_none(w.eu427_day[r]),
        "un_resolution_day": _day_or_none(w.un_day[r]),
        "votes": votes,
        "states": states,
        "coalition_size": int((active & (commitment >= R.SUPPORT)).sum()),
        "strike_coalition_size": int((active & (commitment >= R.STRIKES_INVITED)).sum()),
        "new_strikers": int((active & (w.first_strike_day[r] >= 0)).sum()),
        "first_strike_day": min(strike_days) if strike_days else None,
        "first_allied_strike_day": min(allied_strikes) if allied_strikes else None,
        "strike_capacity": int(total),
    }
    stance_states = [i for i in range(len(s.codes)) if s.stance_mask[i]]
    out["stances"] = {s.codes[i]: STANCES[w.stance[r, i]] for i in stance_states}
    out["stances_by_day"] = {s.codes[i]: [STANCES[x] for x in h.stance[:, r, i]] for i in stance_states}
    return out


def flatten_summary(summary: dict) -> dict:
    """One flat row for a sweep table: nested fields become dotted columns."""
    row = {k: v for k, v in summary.items()
           if k not in ("states", "votes", "article4_requests", "stances", "stances_by_day")}
    row["article4_requested_by"] = ";".join(x["state"] for x in summary["article4_requests"])
    row["article4_requests_count"] = len(summary["article4_requests"])
    for code, entry in summary["states"].items():
        row[f"commitment.{code}"] = entry["commitment"]
        row[f"strike_day.{code}"] = entry["first_strike_day"]
        row[f"commitment_day.{code}"] = entry["first_commitment_day"]
    for code, stance in summary["stances"].items():
        row[f"stance.{code}"] = stance
    return row


def event_frame(s: W.Setup, records: list, scenario: Scenario) -> pd.DataFrame:
    rows = sorted(records, key=lambda rec: (rec[1], rec[2] == W.RETALIATE))
    frame = pd.DataFrame({
        "day": pd.array([rec[1] for rec in rows], dtype="int32"),
        "date": pd.to_datetime([scenario.date_of(rec[1]) for rec in rows]),
        "state": pd.Categorical([s.codes[rec[3]] for rec in rows], categories=s.codes),
        "kind": pd.Categorical([CODE_NAMES[rec[2]] for rec in rows], categories=list(CODE_NAMES.values())),
        "decided_by": pd.Categorical(["player" if isinstance(rec[4], dict) and rec[4].get("by") == "player"
                                      else "model" for rec in rows], categories=["model", "player"]),
        "text": [sentence(s, rec) for rec in rows],
    })
    frame["text"] = frame["text"].astype("string")
    return frame


def timeseries_frame(s: W.Setup, h: History, r: int) -> pd.DataFrame:
    days, n = s.days, len(s.codes)
    day = np.repeat(np.arange(days), n)
    dates = pd.to_datetime(s.scenario.start_date) + pd.to_timedelta(day, unit="D")
    stance = h.stance[:, r, :].reshape(-1)
    frame = pd.DataFrame({
        "day": pd.array(day, dtype="int32"),
        "date": dates,
        "state": pd.Categorical(np.tile(s.codes, days), categories=s.codes),
        "commitment": pd.Categorical.from_codes(h.commitment[:, r, :].reshape(-1), categories=list(LEVELS), ordered=True),
        "threat": h.threat[:, r, :].reshape(-1),
        "public_support": h.public[:, r, :].reshape(-1),
        "stance": pd.Categorical.from_codes(np.where(stance < 0, -1, stance), categories=list(STANCES), ordered=True),
    })
    return frame


@dataclass
class RunResult:
    """One run's three tables. ``summary`` is a dict (JSON-ready)."""

    scenario: Scenario
    seed: int
    summary: dict
    timeseries: pd.DataFrame
    events: pd.DataFrame

    def summary_row(self) -> dict:
        return flatten_summary(self.summary)

    def summary_frame(self) -> pd.DataFrame:
        """The per-run summary as a one-row DataFrame (flat columns)."""
        return pd.DataFrame([self.summary_row()])

    def states_frame(self) -> pd.DataFrame:
        """Per state: final commitment, first strike and commitment days."""
        frame = pd.DataFrame.from_dict(self.summary["states"], orient="index")
        frame.index.name = "state"
        for col in ("first_strike_day", "first_commitment_day"):
            frame[col] = pd.array(frame[col], dtype="Int32")
        return frame

    def narrative(self) -> list[str]:
        return [f"Day {d} ({dt:%d %b %Y}): {t}." for d, dt, t in
                zip(self.events["day"], self.events["date"], self.events["text"])]

    # The files write() puts in its folder (and the only ones it replaces).
    FILES = ("timeseries.parquet", "events.parquet", "summary.json", "scenario.yaml")

    def write(self, out: str | Path) -> Path:
        """Write timeseries.parquet, events.parquet, summary.json and
        scenario.yaml into the folder ``out``, each atomically (a temporary
        file, then a rename), summary.json last.

        The folder may be new, empty, or a previous run's output holding
        nothing else (see sim.experiment.folders); anything else is refused
        in one line before a file is written, and nothing is deleted."""
        from .errors import ConfigError
        from .experiment.folders import claim_output_dir, mark

        out = claim_output_dir(out, "run", replace=True, files=set(self.FILES))
        writers = [
            ("timeseries.parquet", lambda p: self.timeseries.to_parquet(p, index=False)),
            ("events.parquet", lambda p: self.events.to_parquet(p, index=False)),
            ("scenario.yaml", lambda p: p.write_text(self.scenario.source_text or "")),
            ("summary.json", lambda p: p.write_text(json.dumps(self.summary, indent=2) + "\n")),
        ]
        for name, write in writers:
            tmp = out / f".{name}.tmp"
            try:
                write(tmp)
                os.replace(tmp, out / name)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise ConfigError(str(out / name), None, f"cannot write ({exc.strerror or exc})") from None
        mark(out, "run")
        return out


def _days(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Days as nullable integers (-1, 'never', becomes <NA>)."""
    values = np.asarray(values)
    return pd.arrays.IntegerArray(np.where(values < 0, 0, values).astype(np.int32), values < 0)


def summary_table(s: W.Setup, w: W.World) -> pd.DataFrame:
    """The flat per-run summaries of a whole batch, one row per replicate,
    computed on the arrays at once: the same values as
    ``flatten_summary(summary(...))`` row by row, without a dict per run."""
    runs = s.R
    active = s.active
    commitment = w.commitment
    aircraft = R.aircraft_committed(s.attr["strike_aircraft"], commitment) * active
    big = np.iinfo(np.int32).max
    strikes = np.where((w.first_strike_day >= 0) & active, w.first_strike_day, big)
    allied = np.where(~w.victim, strikes, big)
    first = strikes.min(axis=1)
    first_allied = allied.min(axis=1)
    art4 = w.requested["art4"] >= 0
    requested_by = np.full(runs, "", dtype=object)
    counts = art4.sum(axis=1)
    for r in np.nonzero(counts)[0]:
        requested_by[r] = ";".join(s.codes[i] for i in np.nonzero(art4[r])[0])
    cols: dict[str, object] = {
        "scenario": [sc.name for sc in s.scenarios],
        "seed": s.seeds,
        "days": np.full(runs, s.days),
        "start_date": [sc.start_date.isoformat() for sc in s.scenarios],
        "preset": [sc.rules.preset for sc in s.scenarios],
        "art5_decision": [sc.rules.art5_decision for sc in s.scenarios],
        "article5_requested": (w.requested["art5"] >= 0).any(axis=1),
        "article5_invoked": w.art5_day >= 0,
        "article5_day": _days(w.art5_day),
        "eu_42_7_requested": (w.requested["eu427"] >= 0).any(axis=1),
        "eu_42_7_invoked": w.eu427_day >= 0,
        "eu_42_7_day": _days(w.eu427_day),
        "un_resolution_day": _days(w.un_day),
        "coalition_size": (active & (commitment >= R.SUPPORT)).sum(axis=1),
        "strike_coalition_size": (active & (commitment >= R.STRIKES_INVITED)).sum(axis=1),
        "new_strikers": (active & (w.first_strike_day >= 0)).sum(axis=1),
        "first_strike_day": _days(np.where(first == big, -1, first)),
        "first_allied_strike_day": _days(np.where(first_allied == big, -1, first_allied)),
        "strike_capacity": aircraft.sum(axis=1).astype(np.int64),
    }
    cols["article4_requested_by"] = requested_by
    cols["article4_requests_count"] = counts
    level_cats = list(LEVELS)
    for i, code in enumerate(s.codes):
        cols[f"commitment.{code}"] = pd.Categorical.from_codes(commitment[:, i], categories=level_cats, ordered=True)
        cols[f"strike_day.{code}"] = _days(w.first_strike_day[:, i])
        cols[f"commitment_day.{code}"] = _days(w.first_commitment_day[:, i])
    for i in np.nonzero(s.stance_mask)[0]:
        cols[f"stance.{s.codes[i]}"] = pd.Categorical.from_codes(w.stance[:, i], categories=list(STANCES))
    return pd.DataFrame(cols)
