"""Parliamentary votes on deployments: who sits in the chamber, and how a vote goes.

Two parts:

* a loader for ``configs/states/parliaments.csv``: ``composition(iso3, date)``
  returns the legislature period in force on a date (seats, government
  parties and type, main opposition, party positions coded before any vote),
  or None where the table has no row;
* pure functions of numpy arrays for a vote whose yes share follows from the
  seats of three blocs (government, main opposition, the rest), each bloc's
  prior position, its discipline, public opinion and the legal basis.

The functional form (docs/mechanisms_v2.md, "Parliaments") in brief. A member
of bloc k votes yes with probability

    pi_k = d_k * line_k + (1 - d_k) * lean

* ``line_k`` is the party line. For the government it is its coded position
  mapped to [0, 1] (a government whips for the motion it tables). For the
  opposition and the rest, the line is chosen in the light of opinion and law:
  ``sigmoid(g_pos * p_k + g_pub * (public - 0.5) + g_leg * (legal - 0.5))``
  (an opposition leader weighs the party's record against a sceptical public
  and a weak legal case: Kaarbo and Kenealy 2016 on the Commons' 2013 Syria
  vote).
* ``lean`` is what a member does when not whipped: ``sigmoid(b_pub *
  (public - 0.5) + b_leg * (legal - 0.5))``.
* ``d_k`` is discipline: a base value by the government's type (single party,
  coalition, minority; coalition partners defect and bargain more, Saideman
  and Auerswald 2012) eroded when the public is against and the legal basis
  weak (``d = d0 * (1 - erosion * (1 - public) * (1 - legal))``; backbench
  revolt against a whipped motion, Kesgin and Kaarbo 2010 on Turkey's 1 March
  2003 vote). A bloc whose position is coded 0 (split) votes freely
  (``d_k = 0``), as Labour did on 2 December 2015.

Members within a bloc are correlated (intra-bloc correlation ``icc``, a
beta-binomial variance); the margin is summed over blocs and P(pass) follows
from a normal approximation with a continuity correction. Votes can fail.

Nothing here reads a vote's result: seats and positions come from the table,
public opinion and the legal basis from the scenario, and the parameters are
global (to be calibrated, not set per state).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr, ndtri

from .errors import ConfigError
from .arrays import sum_last

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PARLIAMENTS = PACKAGE_ROOT / "configs" / "states" / "parliaments.csv"

COLUMNS = (
    "iso3", "from", "to", "chamber", "seats", "government_parties", "government_seats",
    "government_type", "opposition_party", "opposition_seats", "gov_pos_jihadist",
    "gov_pos_state", "opp_pos_jihadist", "opp_pos_state", "position_basis", "source", "status",
)
GOVERNMENT_TYPES = ("single_party", "coalition", "minority")
TARGETS = ("jihadist", "state")
# Passing rules: "cast" = more yes than no (abstentions do not count);
# "present" = yes above half of those present (an abstention counts as no;
# the Turkish Grand National Assembly, Constitution Art. 96);
# "members" = yes above half of all seats (an absolute majority).
RULES = ("cast", "present", "members")

DEFAULT_PARAMS = {
    # party line of an opposition bloc: weight of its coded position, of
    # public opinion and of the legal basis
    "line_position": 3.0,
    "line_public": 4.0,
    "line_legal": 2.0,
    # an unwhipped member's leaning
    "lean_public": 4.0,
    "lean_legal": 2.0,
    # base discipline by government type, and of the opposition and the rest
    "discipline_single_party": 0.95,
    "discipline_coalition": 0.90,
    "discipline_minority": 0.95,
    "discipline_opposition": 0.85,
    "discipline_rest": 0.80,
    # share of discipline lost when the public is wholly against and there is
    # no legal basis
    "discipline_erosion": 0.3,
    # intra-bloc correlation of members' votes
    "icc": 0.02,
    # share of members who do not vote yes and abstain or stay away
    "abstain": 0.05,
}


# --------------------------------------------------------------------------
# Loader


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # unreadable file: one line, no traceback
        raise ConfigError(path, None, f"cannot read the parliaments table: {exc}") from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(path, missing[0], f"missing column(s): {', '.join(missing)}")
    out = frame.copy()
    for i, rec in frame.iterrows():
        where = f"row {i + 2}"
        for col in ("from", "to"):
            value = rec[col].strip()
            if col == "to" and value == "":
                continue
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ConfigError(path, f"{where}.{col}", f"'{value}' is not a date (YYYY-MM-DD)") from None
        for col in ("seats", "government_seats", "opposition_seats"):
            try:
                n = int(rec[col])
            except ValueError:
                raise ConfigError(path, f"{where}.{col}", f"expected a whole number, got {rec[col]!r}") from None
            if n < 0:
                raise ConfigError(path, f"{where}.{col}", f"{n} is negative")
        if int(rec["government_seats"]) + int(rec["opposition_seats"]) > int(rec["seats"]):
            raise ConfigError(path, f"{where}.government_seats", "government and opposition seats exceed the chamber")
        if rec["government_type"] not in GOVERNMENT_TYPES:
            raise ConfigError(path, f"{where}.government_type",
                              f"'{rec['government_type']}' is not one of {', '.join(GOVERNMENT_TYPES)}")
        for col in ("gov_pos_jihadist", "gov_pos_state", "opp_pos_jihadist", "opp_pos_state"):
            if rec[col] not in ("-1", "0", "1"):
                raise ConfigError(path, f"{where}.{col}", f"expected -1, 0 or 1, got {rec[col]!r}")
        if rec["to"] and rec["to"] <= rec["from"]:
            raise ConfigError(path, f"{where}.to", f"period ends ({rec['to']}) before it starts ({rec['from']})")
    # periods of one state must not overlap
    for code, group in frame.groupby("iso3"):
        spans = sorted((r["from"], r["to"] or "9999-12-31") for _, r in group.iterrows())
        for (a0, a1), (b0, _b1) in zip(spans, spans[1:]):
            if b0 < a1:
                raise ConfigError(path, f"{code}.from", f"periods overlap ({a0}..{a1} and {b0}..)")
    return out


def load_parliaments(path: str | Path | None = None) -> pd.DataFrame:
    """The parliaments table (validated, cached by path and modification time)."""
    p = Path(path) if path else DEFAULT_PARLIAMENTS
    if not p.exists():
        raise ConfigError(str(p), None, "parliaments table not found")
    return _load_cached(str(p), p.stat().st_mtime)


def composition(iso3: str, date, path: str | Path | None = None) -> dict | None:
    """The legislature period of ``iso3`` in force on ``date`` (from <= date < to), or None.

    Numbers come back as ints; ``to`` is None for a period still open.
    """
    day = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date))
    key = day.isoformat()
    frame = load_parliaments(path)
    rows = frame[(frame["iso3"] == iso3) & (frame["from"] <= key)
                 & ((frame["to"] == "") | (frame["to"] > key))]
    if rows.empty:
        return None
    rec = dict(rows.iloc[0])
    for col in ("seats", "government_seats", "opposition_seats", "gov_pos_jihadist",
                "gov_pos_state", "opp_pos_jihadist", "opp_pos_state"):
        rec[col] = int(rec[col])
    rec["to"] = rec["to"] or None
    return rec


# A state with no row: no government bloc, every member votes by the
# unwhipped leaning (we do not invent a majority the table does not show).
NO_CHAMBER = {"government_seats": 0, "opposition_seats": 0, "government_type": "single_party",
              "government_position": 0.0, "opposition_position": 0.0}


@lru_cache(maxsize=4096)
def _chamber_cached(iso3: str, day: str, target: str, path: str | None, mtime: float) -> tuple:
    row = composition(iso3, day, path)
    if row is None:
        return ()
    return (("legislature_seats", float(row["seats"])),
            ("government_seats", float(row["government_seats"])),
            ("opposition_seats", float(row["opposition_seats"])),
            ("government_type", row["government_type"]),
            ("government_position", float(row[f"gov_pos_{target}"])),
            ("opposition_position", float(row[f"opp_pos_{target}"])))


def chamber(iso3: str, date, target: str, path: str | Path | None = None) -> dict:
    """The state attributes of ``iso3``'s chamber on ``date`` for a campaign
    against ``target`` ('jihadist' for a non-state group, 'state'):
    ``legislature_seats``, ``government_seats``, ``opposition_seats``,
    ``government_type``, ``government_position``, ``opposition_position``.
    Without a row in the table: :data:`NO_CHAMBER` (the states table's
    ``legislature_seats`` stands)."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    p = Path(path) if path else DEFAULT_PARLIAMENTS
    day = date.isoformat() if isinstance(date, dt.date) else str(date)
    found = _chamber_cached(iso3, day, target, str(p) if path else None, p.stat().st_mtime if p.exists() else 0.0)
    return dict(found) if found else dict(NO_CHAMBER)


def blocs(row: dict, target: str) -> dict:
    """The three blocs of a chamber for a vote against ``target`` ('jihadist' or 'state').

    Returns seats and coded positions of the government, the main opposition
    and the rest (whose position is unknown: 0). Input for ``vote_outcome``.
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    rest = row["seats"] - row["government_seats"] - row["opposition_seats"]
    return {
        "seats": np.array([row["government_seats"], row["opposition_seats"], rest], dtype=float),
        "position": np.array([row[f"gov_pos_{target}"], row[f"opp_pos_{target}"], 0], dtype=float),
        "government_type": row["government_type"],
    }


# --------------------------------------------------------------------------
# Pure functions (arrays in, arrays out; the last axis of seats/position is
# the bloc: 0 government, 1 opposition, 2 rest)


def _p(params) -> dict:
    """The defaults, updated by ``params`` (a dict, or any mapping such as a
    run's rules read through :func:`rule_params`). Values may be numbers or
    arrays that broadcast over the leading axes (one value per run)."""
    merged = dict(DEFAULT_PARAMS)
    if params:
        merged.update({k: params[k] for k in DEFAULT_PARAMS if k in params})
    return merged


def rule_params(rules, expand=lambda v: v) -> dict:
    """The vote's parameters from a run's rules (``vote_<name>`` for each name
    of :data:`DEFAULT_PARAMS`), each passed through ``expand`` to fit the
    caller's leading axes."""
    return {k: expand(rules[f"vote_{k}"]) for k in DEFAULT_PARAMS}


def _bloc(x) -> np.ndarray:
    """A leading-axes value with a bloc axis added (to broadcast with seats)."""
    return np.asarray(x, dtype=float)[..., None]


def base_discipline(government_type, params=None) -> np.ndarray:
    """Discipline of the government bloc by type: names (``GOVERNMENT_TYPES``)
    or their integer codes (index in ``GOVERNMENT_TYPES``) in, floats out."""
    p = _p(params)
    kinds = np.asarray(government_type)
    if kinds.dtype.kind in "iu":
        codes = kinds
    else:
        codes = np.full(kinds.shape, -1)
        for k, name in enumerate(GOVERNMENT_TYPES):
            codes = np.where(kinds == name, k, codes)
    if (codes < 0).any() or (codes >= len(GOVERNMENT_TYPES)).any():
        raise ValueError(f"government_type must be one of {GOVERNMENT_TYPES}")
    out = np.zeros(np.broadcast_shapes(codes.shape, *(np.shape(p[f"discipline_{n}"]) for n in GOVERNMENT_TYPES)))
    for k, name in enumerate(GOVERNMENT_TYPES):
        out = np.where(codes == k, p[f"discipline_{name}"], out)
    return out


def member_yes_probability(position, discipline, public, legal, params=None) -> np.ndarray:
    """P(a member votes yes), per bloc.

    ``position`` (..., 3) coded -1/0/+1; ``discipline`` (..., 3) base discipline
    of each bloc; ``public`` and ``legal`` (...) in [0, 1]. A bloc coded 0
    votes freely. The government's line is its position; the others' line
    also weighs opinion and law.
    """
    p = _p(params)
    position = np.asarray(position, dtype=float)
    discipline = np.asarray(discipline, dtype=float)
    public = _bloc(public)
    legal = _bloc(legal)
    lean = expit(_bloc(p["lean_public"]) * (public - 0.5) + _bloc(p["lean_legal"]) * (legal - 0.5))
    other_line = expit(_bloc(p["line_position"]) * position + _bloc(p["line_public"]) * (public - 0.5)
                       + _bloc(p["line_legal"]) * (legal - 0.5))
    gov_line = (1.0 + position) / 2.0
    is_gov = np.zeros(position.shape[-1], dtype=bool)
    is_gov[0] = True
    line = np.where(is_gov, gov_line, other_line)
    d = discipline * (1.0 - _bloc(p["discipline_erosion"]) * (1.0 - public) * (1.0 - legal))
    d = np.where(position == 0, 0.0, d)
    return np.clip(d * line + (1.0 - d) * lean, 0.0, 1.0)


def vote_outcome(seats, position, government_type, public, legal, rule="cast", params=None) -> dict:
    """Expected yes/no/abstain and P(pass) of a government motion to deploy.

    ``seats`` and ``position`` have the bloc on the last axis (government,
    opposition, rest); ``government_type``, ``public``, ``legal`` and any
    array parameter broadcast over the leading axes. ``rule`` is one of
    RULES. Returns arrays: ``yes``, ``no``, ``abstain`` (expected members),
    ``margin`` (expected yes minus the votes that count against), ``sd`` and
    ``p_pass``.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    p = _p(params)
    seats = np.asarray(seats, dtype=float)
    position = np.asarray(position, dtype=float)
    d_gov, d_opp, d_rest = np.broadcast_arrays(base_discipline(government_type, p),
                                               p["discipline_opposition"], p["discipline_rest"])
    d = np.stack([d_gov, d_opp, d_rest], axis=-1)
    pi = member_yes_probability(position, d, public, legal, p)
    a = _bloc(p["abstain"])
    if rule == "members":
        a = 0.0 * a  # every seat not voting yes counts against
    p_no = (1.0 - pi) * (1.0 - a)
    p_ab = (1.0 - pi) * a
    yes = seats * pi
    no = seats * p_no
    abstain = seats * p_ab
    # per member: +1 yes; -1 no; abstention -1 under "present"/"members", 0 under "cast"
    against_ab = 0.0 if rule == "cast" else 1.0
    mean_y = pi - p_no - against_ab * p_ab
    second = pi + p_no + against_ab * p_ab
    var_y = np.maximum(second - mean_y**2, 0.0)
    var = seats * var_y * (1.0 + np.maximum(seats - 1.0, 0.0) * _bloc(p["icc"]))
    margin = sum_last(seats * mean_y)
    sd = np.sqrt(sum_last(var))
    # pass needs margin >= 1 (a tie fails); continuity correction at 0.5
    p_pass = ndtr((margin - 0.5) / np.maximum(sd, 1e-9))
    return {
        "yes": sum_last(yes),
        "no": sum_last(no),
        "abstain": sum_last(abstain),
        "margin": margin,
        "sd": sd,
        "p_pass": p_pass,
    }


def draw_margin(margin, sd, u) -> np.ndarray:
    """One simulated vote's margin from a uniform draw ``u`` in (0, 1) (from sim.draws)."""
    u = np.clip(np.asarray(u, dtype=float), 1e-12, 1 - 1e-12)
    return np.asarray(margin, dtype=float) + np.asarray(sd, dtype=float) * ndtri(u)


def simulated_count(yes, no, margin, sd, u):
    """One simulated vote under the ``cast`` rule: whole yes and no counts
    whose difference is the drawn margin (:func:`draw_margin`) and whose sum
    is the expected number voting. Returns (yes, no, passed); ties fail."""
    voting = np.rint(np.asarray(yes, dtype=float) + np.asarray(no, dtype=float))
    drawn = draw_margin(margin, sd, u)
    y = np.clip(np.rint((voting + drawn) / 2.0), 0.0, voting)
    n = voting - y
    return y, n, y > n


def passes(yes, no, abstain, seats, rule="cast") -> np.ndarray:
    """Whether a recorded or simulated count passes under ``rule`` (ties fail)."""
    yes = np.asarray(yes, dtype=float)
    no = np.asarray(no, dtype=float)
    abstain = np.asarray(abstain, dtype=float)
    if rule == "cast":
        return yes > no
    if rule == "present":
        return yes > (yes + no + abstain) / 2.0
    if rule == "members":
        return yes > np.asarray(seats, dtype=float) / 2.0
    raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
