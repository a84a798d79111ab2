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
    """Per-day arrays (days, R, N) recorded after each day's step; with
    ``states`` (codes) only those states' columns, (days, R, len(states)),
    in the setup's order (``self.columns``: their indices in the setup)."""

    def __init__(self, setup: W.Setup, states=None):
        kept = None if states is None else set(states)
        self.columns = (np.arange(len(setup.codes)) if kept is None
                        else np.array([k for k, c in enumerate(setup.codes) if c in kept], dtype=np.intp))
        shape = (setup.days, setup.R, len(self.columns))
        self.commitment = np.zeros(shape, dtype=np.int8)
        self.stance = np.zeros(shape, dtype=np.int8)
        self.threat = np.zeros(shape)
        self.public = np.zeros(shape)
        self._all = states is None

    def record(self, setup: W.Setup, world: W.World, day: int) -> None:
        if self._all:
            self.commitment[day] = world.commitment
            self.stance[day] = world.stance
            self.threat[day] = world.threat
            self.public[day] = W.public_support(setup, world)
            return
        c = self.columns
        self.commitment[day] = world.commitment[:, c]
        self.stance[day] = world.stance[:, c]
        self.threat[day] = world.threat[:, c]
        self.public[day] = W.public_support(setup, world, slice(None), c)


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


# --------------------------------------------------------------------------
# The names of the outputs (README, "The outputs"): one scheme for the run's
# JSON, RunResult.summary_frame() and a sweep's runs.parquet.
#
# Run-level fields have plain names (article5_day). Per state they are
# ``measure.STATE`` or ``measure.qualifier.STATE``; the qualifier is a level,
# a theatre or a stance. A ``..._day`` is the first day (from 0) on which the
# per-day table shows the state there (a level or a higher one, a stance or
# a closer one), None/<NA> when that day never came.

STRIKE_LEVELS = (R.STRIKES_INVITED, R.STRIKES_UNINVITED)  # the levels that strike in a theatre, invited first
DAY_LEVELS = tuple(k for k in range(1, len(LEVELS)) if k not in STRIKE_LEVELS)  # the rest: commitment_day.LEVEL
DAY_STANCES = tuple(range(1, len(STANCES)))  # every stance but the farthest (every holder is at it or closer)
# Collections a run keeps beside its columns (lists in the JSON, tables in a sweep).
COLLECTIONS = ("article4_requests", "votes", "stances_by_day")
VOTE_CODES = (W.VOTE, W.NAC_VOTE, W.EU_COUNCIL, W.UNSC_VOTE)
VOTE_COLUMNS = ("body", "state", "day", "question", "level", "yes", "no", "passed")


def split_column(col: str) -> tuple[str, str]:
    """(measure, state) of a per-state column (``strike_day.syria.GBR`` ->
    ``("strike_day.syria", "GBR")``); (col, "") for a run-level field."""
    measure, _, code = col.rpartition(".")
    return (measure, code) if measure else (col, "")


def theatre_keys(scenario: Scenario) -> dict[int, str]:
    """The key of the theatre each strike level strikes in, from the
    scenario's ``theatres`` (``invited: Iraq`` gives ``iraq``); ``invited``
    and ``uninvited`` when the scenario names none (or both alike)."""
    import re

    from .scenario import Theatres

    th, unnamed = scenario.theatres, Theatres()
    keys = {}
    for level, name, default, fallback in ((R.STRIKES_INVITED, th.invited, unnamed.invited, "invited"),
                                           (R.STRIKES_UNINVITED, th.uninvited, unnamed.uninvited, "uninvited")):
        key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        keys[level] = key if key and name != default else fallback
    if keys[R.STRIKES_INVITED] == keys[R.STRIKES_UNINVITED]:
        keys = {R.STRIKES_INVITED: "invited", R.STRIKES_UNINVITED: "uninvited"}
    return keys


def state_measures(theatres: dict[int, str], holder: bool) -> list[str]:
    """The per-state measures (names without the ``.STATE``), in column order;
    ``holder``: the state holds a stance (a non-ally), which adds the stances."""
    out = ["commitment"]
    out += [f"commitment_day.{LEVELS[k]}" for k in DAY_LEVELS]
    out += ["strike_day"] + [f"strike_day.{theatres[k]}" for k in STRIKE_LEVELS]
    out += ["response_day", "response_strike_day", "aircraft", "burden_share"]
    if holder:
        out += ["stance"] + [f"stance_day.{STANCES[k]}" for k in DAY_STANCES]
    return out


RUN_FIELDS = (
    "scenario", "seed", "days", "start_date", "preset", "art5_decision", "article5_requested", "article5_invoked",
    "article5_day", "eu_42_7_requested", "eu_42_7_invoked", "eu_42_7_day", "un_resolution_day",
    "coalition_size", "strike_coalition_size", "new_strikers", "first_strike_day", "first_allied_strike_day",
    "strike_capacity", "article4_requested_by", "article4_requests_count",
)


def output_names(s: W.Setup) -> list[str]:
    """Every column of a run's summary, in order: the run-level fields, then
    each state's measures (see :func:`state_measures`)."""
    theatres = theatre_keys(s.scenario)
    out = list(RUN_FIELDS)
    for i, code in enumerate(s.codes):
        out += [f"{m}.{code}" for m in state_measures(theatres, bool(s.stance_mask[i]))]
    return out


def _level_days(first: np.ndarray, theatres: dict[int, str]) -> list[tuple[str, np.ndarray]]:
    """(measure, days) for the day measures of levels, ``first`` being
    ``world.level_day[..., i, :]`` (any leading shape)."""
    out = [(f"commitment_day.{LEVELS[k]}", first[..., k]) for k in DAY_LEVELS]
    out.append(("strike_day", first[..., R.STRIKES_INVITED]))
    out += [(f"strike_day.{theatres[k]}", first[..., k]) for k in STRIKE_LEVELS]
    return out


def _shares(aircraft: np.ndarray) -> np.ndarray:
    """Each state's share of the strike aircraft committed (last axis), to 4 places."""
    total = aircraft.sum(axis=-1, keepdims=True)
    return np.round(np.divide(aircraft, total, out=np.zeros(aircraft.shape), where=total > 0), 4)


def votes_of(s: W.Setup, records: list) -> list[dict]:
    """The run's votes (parliaments, the North Atlantic Council, the Council
    of the EU, the UN Security Council) from its log records, in order."""
    votes = []
    for rec in records:
        code = rec[2]
        if code in VOTE_CODES:
            data = rec[4]
            body = s.legislatures[rec[3]] if code == W.VOTE else BODIES[code]
            votes.append({"body": body, "state": s.codes[rec[3]], "day": rec[1], "question": _question(s, code, rec),
                          "level": LEVELS[data["level"]] if code == W.VOTE else None,
                          "yes": data["yes"], "no": data["no"], "passed": data["passed"]})
    return votes


def summary(s: W.Setup, w: W.World, h: History, r: int, records: list) -> dict:
    """The per-run summary as a JSON-ready dict: every column of
    :func:`output_names` under its own name, then ``article4_requests``,
    ``votes`` and ``stances_by_day`` (lists; tables in a sweep)."""
    commitment = w.commitment[r]
    theatres = theatre_keys(s.scenario)
    aircraft = R.aircraft_committed(s.attr["strike_aircraft"][r], commitment) * s.active
    total = aircraft.sum()
    shares = _shares(aircraft)
    active = s.active
    strike_days = [int(d) for d in w.first_strike_day[r][active] if d >= 0]
    allied_strikes = [int(d) for i, d in enumerate(w.first_strike_day[r])
                      if d >= 0 and active[i] and not w.victim[r, i]]
    requests = [{"state": s.codes[i], "day": int(d)} for i, d in enumerate(w.requested["art4"][r]) if d >= 0]
    out = {
        "scenario": s.scenarios[r].name,
        "seed": s.seeds[r],
        "days": s.days,
        "start_date": s.scenario.start_date.isoformat(),
        "preset": s.scenarios[r].rules.preset,
        "art5_decision": s.scenarios[r].rules.art5_decision,
        "article5_requested": bool((w.requested["art5"][r] >= 0).any()),
        "article5_invoked": bool(w.art5_day[r] >= 0),
        "article5_day": _day_or_none(w.art5_day[r]),
        "eu_42_7_requested": bool((w.requested["eu427"][r] >= 0).any()),
        "eu_42_7_invoked": bool(w.eu427_day[r] >= 0),
        "eu_42_7_day": _day_or_none(w.eu427_day[r]),
        "un_resolution_day": _day_or_none(w.un_day[r]),
        "coalition_size": int((active & (commitment >= R.SUPPORT)).sum()),
        "strike_coalition_size": int((active & (commitment >= R.STRIKES_INVITED)).sum()),
        "new_strikers": int((active & (w.first_strike_day[r] >= 0)).sum()),
        "first_strike_day": min(strike_days) if strike_days else None,
        "first_allied_strike_day": min(allied_strikes) if allied_strikes else None,
        "strike_capacity": int(total),
        "article4_requested_by": ";".join(x["state"] for x in requests),
        "article4_requests_count": len(requests),
    }
    for i, code in enumerate(s.codes):
        out[f"commitment.{code}"] = LEVELS[commitment[i]]
        for measure, day in _level_days(w.level_day[r, i], theatres):
            out[f"{measure}.{code}"] = _day_or_none(day)
        out[f"response_day.{code}"] = _day_or_none(w.first_commitment_day[r, i])
        out[f"response_strike_day.{code}"] = _day_or_none(w.first_strike_day[r, i])
        out[f"aircraft.{code}"] = int(aircraft[i])
        out[f"burden_share.{code}"] = float(shares[i])
        if s.stance_mask[i]:
            out[f"stance.{code}"] = STANCES[w.stance[r, i]]
            for k in DAY_STANCES:
                out[f"stance_day.{STANCES[k]}.{code}"] = _day_or_none(w.stance_day[r, i, k])
    out["article4_requests"] = requests
    out["votes"] = votes_of(s, records)
    out["stances_by_day"] = {s.codes[i]: [STANCES[x] for x in h.stance[:, r, i]]
                             for i in range(len(s.codes)) if s.stance_mask[i]}
    return out


def flatten_summary(summary: dict) -> dict:
    """A summary's columns (a row of a sweep's table): every field but the
    collections (votes, Article 4 requests, stances by day)."""
    return {k: v for k, v in summary.items() if k not in COLLECTIONS}


def votes_frame(votes: list[dict], run_id=None) -> pd.DataFrame:
    """Votes (dicts as in a summary's ``votes``) as a table, one row per vote;
    with ``run_id`` a first column holding it (a sweep's ``votes`` table)."""
    frame = pd.DataFrame({
        "body": pd.array([v["body"] for v in votes], dtype="string"),
        "state": pd.array([v["state"] for v in votes], dtype="string"),
        "day": pd.array([v["day"] for v in votes], dtype="int32"),
        "question": pd.array([v["question"] for v in votes], dtype="string"),
        "level": pd.Categorical([v["level"] for v in votes], categories=list(LEVELS), ordered=True),
        "yes": pd.array([v["yes"] for v in votes], dtype="int32"),
        "no": pd.array([v["no"] for v in votes], dtype="int32"),
        "passed": pd.array([bool(v["passed"]) for v in votes], dtype=bool),
    })
    if run_id is not None:
        ids = run_id if isinstance(run_id, (list, np.ndarray)) else [run_id] * len(votes)
        frame.insert(0, "run_id", pd.array(ids, dtype="int64"))
    return frame


def stances_frame(summary: dict, run_id=None) -> pd.DataFrame:
    """A summary's ``stances_by_day`` as a table: one row per non-ally per
    day (day, state, stance); with ``run_id`` a first column holding it."""
    by_day = summary["stances_by_day"]
    days = [len(v) for v in by_day.values()]
    frame = pd.DataFrame({
        "day": pd.array(np.concatenate([np.arange(n) for n in days]) if days else [], dtype="int32"),
        "state": pd.array([c for c, n in zip(by_day, days) for _ in range(n)], dtype="string"),
        "stance": pd.Categorical([x for v in by_day.values() for x in v], categories=list(STANCES), ordered=True),
    })
    if run_id is not None:
        frame.insert(0, "run_id", pd.array([run_id] * len(frame), dtype="int64"))
    return frame


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
    """Run ``r``'s per-day table: a row per day and state (those ``h`` recorded)."""
    return _per_day(s, h, [r])


def timeseries_table(s: W.Setup, h: History, run_ids) -> pd.DataFrame:
    """The per-day table of every run of a batch at once: each run's
    :func:`timeseries_frame`, run after run, with a ``run_id`` column
    (``run_ids``, one per run of the batch)."""
    frame = _per_day(s, h, slice(None))
    frame["run_id"] = np.repeat(np.asarray(run_ids, dtype=np.int64), s.days * len(h.columns))
    return frame


def _per_day(s: W.Setup, h: History, runs) -> pd.DataFrame:
    """Rows run-major, then day, then state (in the setup's order)."""
    days, n = s.days, len(h.columns)

    def rows(a):  # (days, R, n) -> the runs' rows
        return np.ascontiguousarray(a[:, runs, :].transpose(1, 0, 2)).reshape(-1)

    commitment, stance = rows(h.commitment), rows(h.stance)
    k = len(commitment) // (days * n) if days * n else 0
    day = np.tile(np.repeat(np.arange(days), n), k)
    dates = (pd.to_datetime(s.scenario.start_date) + pd.to_timedelta(np.arange(days), unit="D"))[day]
    return pd.DataFrame({
        "day": pd.array(day, dtype="int32"),
        "date": dates,
        "state": pd.Categorical.from_codes(np.tile(h.columns, days * k), categories=s.codes),
        "commitment": pd.Categorical.from_codes(commitment, categories=list(LEVELS), ordered=True),
        "threat": rows(h.threat),
        "public_support": rows(h.public),
        "stance": pd.Categorical.from_codes(np.where(stance < 0, -1, stance), categories=list(STANCES), ordered=True),
    })


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
        """Per state (the index), its measures as columns: the summary's
        ``measure.STATE`` fields under ``measure`` (``commitment``,
        ``strike_day.syria``, ``response_day``, ``stance``, ...; a state
        without a stance has <NA> there)."""
        codes = [k.rsplit(".", 1)[1] for k in self.summary if k.startswith("commitment.")]
        rows: dict[str, dict] = {c: {} for c in codes}
        for key, value in self.summary.items():
            measure, code = split_column(key)
            if code in rows:
                rows[code][measure] = value
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "state"
        for col in frame.columns:
            if col.endswith("_day") or "_day." in col:
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
    level_cats, stance_cats = list(LEVELS), list(STANCES)
    theatres = theatre_keys(s.scenario)
    shares = _shares(aircraft)
    for i, code in enumerate(s.codes):
        cols[f"commitment.{code}"] = pd.Categorical.from_codes(commitment[:, i], categories=level_cats, ordered=True)
        for measure, day in _level_days(w.level_day[:, i], theatres):
            cols[f"{measure}.{code}"] = _days(day)
        cols[f"response_day.{code}"] = _days(w.first_commitment_day[:, i])
        cols[f"response_strike_day.{code}"] = _days(w.first_strike_day[:, i])
        cols[f"aircraft.{code}"] = aircraft[:, i].astype(np.int64)
        cols[f"burden_share.{code}"] = shares[:, i]
        if s.stance_mask[i]:
            cols[f"stance.{code}"] = pd.Categorical.from_codes(w.stance[:, i], categories=stance_cats)
            for k in DAY_STANCES:
                cols[f"stance_day.{STANCES[k]}.{code}"] = _days(w.stance_day[:, i, k])
    return pd.DataFrame(cols)


def votes_table(s: W.Setup, w: W.World, run_ids) -> pd.DataFrame:
    """The votes of a whole batch from its event log (``run_ids[r]`` names
    run r), one row per vote, by run: the rows :func:`votes_frame` gives run
    by run."""
    records = sorted((rec for rec in w.log if rec[2] in VOTE_CODES), key=lambda rec: rec[0])  # stable: in order
    return votes_frame(votes_of(s, records), [int(run_ids[rec[0]]) for rec in records])
