"""The setup compiler: scenarios and seeds to the static arrays of a batch.

:func:`compile_setup` turns one or more scenarios that share their structure
(same states, same events, same horizon; numbers may differ) into a
:class:`Setup`: the states of the run (:func:`run_states`), their attributes
(with the scenario's overrides), memberships, borders and affinities, the
compiled events (severity and proximity per state) and the day on which each
route may be requested after each event. Nothing here changes during a run;
the run's state is :class:`sim.world.World` and the day is
:mod:`sim.process.day`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import draws, rules as R
from .scenario import LEVELS, STANCES, RULE_WEIGHTS, Scenario
from .forces import campaign_areas, posture
from .legislature import GOVERNMENT_TYPES, chamber
from .states import EU_427_IN_FORCE, StatesTable, coerce_attribute, load_states

ATTACK_KINDS = ("terror_attack", "armed_attack", "invasion", "attribution")
# A state's use or threat of military force against another's territory or
# forces (North Atlantic Treaty, Art. 4: "territorial integrity ...
# threatened"); hostile acts short of force (sabotage, cyber attacks,
# instrumentalised migration) are not among them.
FORCE_KINDS = ("armed_attack", "invasion", "war_threat", "airspace_violation")
REGIME_CODES = {"executive": 0, "convention": 1, "prior_vote": 2}
NUMERIC = (
    "population", "strike_aircraft", "legislature_seats", "government_seats", "opposition_seats",
    "government_position", "opposition_position", "strike_in_theatre", "strike_unavailable_days", "strike_rotation",
    "strike_since_days", "authorisation_days", "public_support", "threat_perception", "autonomy_preference",
    "casualty_aversion", "assad_stance", "west_alignment",
)
ROUTES = ("art4", "art5", "eu427", "un")


@dataclass
class CompiledEvent:
    index: int
    day: int
    known_day: int | None
    kind: str
    target: int
    perpetrator: int  # -1 when not a state of the table
    perpetrator_name: str
    by_adversary: bool  # the perpetrator is the campaign's adversary (theatres.adversary)
    state_perpetrator: bool
    non_state: bool
    accidental: bool
    location: str
    treaty_area: bool  # inside the North Atlantic Treaty's area (Art. 6)
    chapter_vii: bool  # a tabled draft that authorises force under Chapter VII
    severity: np.ndarray  # (R, 1)
    gravity: np.ndarray  # (R, 1), sim.rules.gravity: the factor on the victim's impulse in collective-defence routes
    prox: np.ndarray  # (R, N)
    description: str
    deaths: np.ndarray  # (R,)


@dataclass
class Setup:
    """Everything static about a batch of runs."""

    scenario: Scenario
    scenarios: list[Scenario]
    table: StatesTable
    codes: list[str]
    names: list[str]
    legislatures: list[str]
    keys: np.ndarray
    R: int
    days: int
    attr: dict[str, np.ndarray]
    regime: np.ndarray
    government_type: np.ndarray  # (R, N) index in sim.legislature.GOVERNMENT_TYPES
    prefers: dict[str, np.ndarray]
    nato: np.ndarray
    eu: np.ndarray
    eu427_exists: bool
    p5: np.ndarray
    neighbour: np.ndarray
    frontline: np.ndarray  # (N,) float, sim.setup.frontline
    affinity: np.ndarray
    active: np.ndarray
    stance_mask: np.ndarray
    commitment0: np.ndarray
    stance0: np.ndarray
    events: list[CompiledEvent]
    route_schedule: dict[int, list[tuple[int, str]]]
    request_schedule: dict
    first_event_day: int
    rules: dict[str, np.ndarray]
    art5_decision: np.ndarray
    seed_keys: np.ndarray
    seeds: list[int]
    _capability: np.ndarray | None = None
    _affinity_weight: np.ndarray | None = None

    def index(self, code: str) -> int:
        return self.codes.index(code)


def run_states(scenario: Scenario, table: StatesTable) -> list[str]:
    """The states of a run: members of NATO and the EU at the start date, the
    UN Security Council's permanent members, and every state the scenario
    names (events, commitments, stances, overrides, include, hosts)."""
    on = scenario.start_date
    named = set(scenario.include) | set(scenario.commitments) | set(scenario.stances)
    named |= set(scenario.overrides) | set(scenario.theatres.hosts)
    for e in scenario.events:
        named.add(e.target)
        if e.perpetrator_kind == "state":
            named.add(e.perpetrator.upper())
    chosen = set(table.nato_members(on)) | set(table.eu_members(on)) | named
    chosen |= {c for c, r in table.rows.items() if r["unsc_permanent"]}
    return [c for c in table.codes if c in chosen]


def campaign_target(scenario: Scenario) -> str:
    """The column of parliaments.csv the parties' positions are read from:
    'state' when the campaign fights a state, 'jihadist' (a non-state armed
    group) otherwise. The theatres' ``adversary_kind`` decides; when it is
    unknown, the first attack whose perpetrator's kind is known."""
    kind = scenario.theatres.adversary_kind
    if kind == "unknown":
        kind = next((e.perpetrator_kind for e in scenario.events
                     if e.kind in ATTACK_KINDS and e.perpetrator_kind != "unknown"), "non_state")
    return "state" if kind == "state" else "jihadist"


def in_treaty_area(event) -> bool:
    """Whether an event falls inside the North Atlantic Treaty's area
    (Art. 6): as the event says, else from its location (the target's
    homeland and its own airspace inside, forces abroad outside)."""
    if event.treaty_area is not None:
        return bool(event.treaty_area)
    return event.location in ("homeland", "airspace")


def frontline(codes, names, neighbour, alignment, allied, hosts, theatres) -> np.ndarray:
    """(N,) 1.0 for each state aligned with the West (``west_alignment`` >= 0)
    that borders a rival away from the campaign: a state outside both
    alliances whose alignment is negative, that is neither the campaign's
    adversary nor one of its hosts, while the state itself borders no host
    (a state next to the theatre defends itself there). Read from the
    states table only."""
    adversary = (np.asarray(names) == theatres.adversary) | (np.asarray(codes) == theatres.adversary.upper())
    rival = (alignment < 0) & ~allied & ~hosts & ~adversary
    near_theatre = (neighbour & hosts[None, :]).any(axis=1)
    return ((neighbour & rival[None, :]).any(axis=1) & (alignment >= 0) & ~near_theatre).astype(float)


def base_row(scenario: Scenario, table: StatesTable, code: str) -> dict:
    """A state's attributes before the scenario's overrides: its row of the
    states table, its chamber on the start date (sim.legislature.chamber) and
    its forces for the campaign on that date (sim.forces.posture)."""
    return {**table.rows[code], **chamber(code, scenario.start_date, campaign_target(scenario)),
            **posture(code, scenario.start_date, campaign_areas(scenario.theatres))}


def _state_rows(scenario: Scenario, base: list[dict], codes: list[str]) -> list[dict]:
    """Each state's attributes: its :func:`base_row` (``base``, in ``codes``'
    order), then the scenario's overrides."""
    rows = []
    for c, row in zip(codes, base):
        overrides = scenario.overrides.get(c)
        if overrides:
            row = dict(row)
            for name, value in overrides.items():
                row[name] = coerce_attribute(name, value, scenario.source_path, f"overrides.{c}.{name}")
        rows.append(row)
    return rows



# The fields that decide a run's states, events, calendar and theatres.
FRAME_FIELDS = ("states", "start_date", "days", "include", "commitments", "stances", "overrides", "theatres", "events")


def _same_frame(sc: Scenario, base: Scenario) -> bool:
    """Whether ``sc`` holds ``base``'s very objects for every field of
    :data:`FRAME_FIELDS` (a design point that changed rules only, built by
    copying the base): then it shares the base's states, events, start date,
    theatres and horizon without checking them again."""
    return all(getattr(sc, f) is getattr(base, f) for f in FRAME_FIELDS)


def compile_setup(scenarios: list[Scenario], seeds: list[int]) -> Setup:
    """Compile scenarios that share their structure into one batch."""
    base = scenarios[0]
    table = load_states(base.states)
    codes = run_states(base, table)
    n, r_count = len(codes), len(scenarios)
    # Distinct scenarios once each; replicates index into them.
    unique: dict[int, int] = {}
    distinct: list[Scenario] = []
    which = np.empty(r_count, dtype=np.int64)
    for j, sc in enumerate(scenarios):
        if id(sc) not in unique:
            if not _same_frame(sc, base) and (
                    run_states(sc, table) != codes or len(sc.events) != len(base.events) or sc.days != base.days
                    or sc.start_date != base.start_date or sc.theatres != base.theatres):
                raise ValueError("scenarios in one batch must share states, events, start date, theatres and horizon")
            unique[id(sc)] = len(distinct)
            distinct.append(sc)
        which[j] = unique[id(sc)]
    # The base rows depend on the start date and the theatres only, which the
    # scenarios of a batch share (sim.batch.structure_key): read them once.
    # Distinct scenarios that differ in rules only (a Sobol or Latin hypercube
    # design over weights) share their states' rows: one set of rows per
    # distinct set of overrides.
    base_rows = [base_row(base, table, c) for c in codes]
    row_sets: dict[str, int] = {}
    rows_u: list[list[dict]] = []
    row_of = np.empty(len(distinct), dtype=np.int64)
    for j, sc in enumerate(distinct):
        key = repr(sorted((c, sorted(a.items())) for c, a in sc.overrides.items()))
        if key not in row_sets:
            row_sets[key] = len(rows_u)
            rows_u.append(_state_rows(sc, base_rows, codes))
        row_of[j] = row_sets[key]
    rows0 = rows_u[0]
    which_rows = row_of[which]

    def per_replicate(values) -> np.ndarray:
        return np.asarray(values)[which]

    def per_rows(values) -> np.ndarray:
        return np.asarray(values)[which_rows]

    attr = {k: per_rows([[row[k] for row in rows] for rows in rows_u]).astype(float) for k in NUMERIC}
    regime = per_rows([[REGIME_CODES[row["approval_regime"]] for row in rows] for rows in rows_u])
    government_type = per_rows([[GOVERNMENT_TYPES.index(row["government_type"]) for row in rows]
                                for rows in rows_u])
    prefers = {
        inst: per_rows([[row["preferred_institution"] == inst for row in rows] for rows in rows_u]).astype(float)
        for inst in ("nato", "eu", "un", "unilateral")
    }
    on = base.start_date

    def member(row, kind):
        if kind == "nato":
            return bool(row["nato_accession"] and row["nato_accession"] <= on)
        return bool(row["eu_accession"] and row["eu_accession"] <= on and not (row["eu_exit"] and row["eu_exit"] <= on))

    nato = np.array([member(row, "nato") for row in rows0])
    eu = np.array([member(row, "eu") for row in rows0])
    idx = {c: i for i, c in enumerate(codes)}
    neighbour = np.zeros((n, n), dtype=bool)
    for i, row in enumerate(rows0):
        for nb in row["neighbours"].split(";"):
            if nb in idx:
                neighbour[i, idx[nb]] = neighbour[idx[nb], i] = True
    align = attr["west_alignment"][0]
    affinity = (
        0.6 * (nato[:, None] & nato[None, :]) + 0.3 * (eu[:, None] & eu[None, :])
        + 0.2 * neighbour + 0.3 * np.maximum(0.0, np.outer(align, align))
    )
    np.fill_diagonal(affinity, 0.0)
    hosts = np.isin(codes, base.theatres.hosts)
    stance_mask = np.isin(codes, list(base.stances))
    perpetrators = {e.perpetrator.upper() for e in base.events if e.perpetrator_kind == "state"}
    # Hosts, non-allies with a stance and hostile states outside both
    # alliances take no commitment decisions.
    outsiders = np.isin(codes, list(perpetrators)) & ~nato & ~eu
    active = ~hosts & ~stance_mask & ~outsiders
    commitment0 = np.array([LEVELS.index(base.commitments.get(c, "none")) for c in codes], dtype=np.int8)
    stance0 = np.array([STANCES.index(base.stances[c]) if c in base.stances else -1 for c in codes], dtype=np.int8)

    weights = np.array([[sc.rules.__dict__[k] for k in RULE_WEIGHTS] for sc in distinct], dtype=float)[which]
    rules = {k: weights[:, c : c + 1].copy() for c, k in enumerate(RULE_WEIGHTS)}
    art5_decision = per_replicate([R.ART5_DECISION_CODES[sc.rules.art5_decision] for sc in distinct])

    events = []
    route_schedule: dict[int, list[tuple[int, str]]] = {}
    request_schedule: dict[int, list[CompiledEvent]] = {}
    for k, e in enumerate(base.events):
        day = base.event_day(e)
        target = idx[e.target]
        perp_code = e.perpetrator.upper()
        perp = idx.get(perp_code, -1) if e.perpetrator_kind == "state" else -1
        state_perp = e.perpetrator_kind == "state"
        pops = attr["population"][:, target : target + 1]
        evs = [sc.events[k] for sc in distinct]
        if any((x.kind, x.target, x.perpetrator, x.perpetrator_kind, sc.event_day(x), x.intent) !=
               (e.kind, e.target, e.perpetrator, e.perpetrator_kind, day, e.intent) for x, sc in zip(evs, distinct)):
            raise ValueError("scenarios in one batch must share their events' structure")
        column = lambda field: per_replicate([[getattr(x, field)] for x in evs]).astype(float)  # noqa: E731
        severity = np.broadcast_to(R.event_severity(
            e.kind, state_perp, e.intent, column("deaths"), column("injured"), column("assets"), pops, rules,
        ), (r_count, 1)).astype(float)
        grave = np.broadcast_to(R.gravity(column("deaths"), column("injured"), state_perp, e.direction, rules),
                                (r_count, 1)).astype(float)
        is_target = np.arange(n) == target
        nb_perp = neighbour[perp] if perp >= 0 else np.zeros(n, dtype=bool)
        prox = R.proximity(is_target, neighbour[target], nb_perp, nato & nato[target], eu & eu[target], rules)
        if perp >= 0:
            # Nobody feels threatened by its own act, nor by an ally's.
            hostile = np.arange(n) != perp
            if nato[perp]:
                hostile &= ~nato | is_target
            prox = np.where(hostile, prox, 0.0)
        if e.claimed_day is not None:
            known = e.claimed_day
        elif e.perpetrator_kind == "unknown":
            known = None
        else:
            known = day
        ce = CompiledEvent(
            index=k, day=day, known_day=known, kind=e.kind, target=target, perpetrator=perp,
            perpetrator_name=e.perpetrator, state_perpetrator=state_perp,
            by_adversary=e.perpetrator.strip().lower() == base.theatres.adversary.strip().lower(),
            non_state=e.perpetrator_kind == "non_state", accidental=e.intent == "accidental",
            location=e.location, treaty_area=in_treaty_area(e), chapter_vii=e.chapter_vii, severity=severity,
            gravity=grave, prox=prox, description=e.description,
            deaths=per_replicate([x.deaths for x in evs]),
        )
        events.append(ce)
        if e.kind == "un_resolution":
            continue
        if e.kind in ATTACK_KINDS and ce.by_adversary and (nato[target] or eu[target]) and known is not None:
            # The campaign's adversary attacked a member: requests for help (sim.process.requests).
            request_schedule.setdefault(max(day, known) + int(base.rules.request_lag), []).append(ce)
        decide_from = max(day, known if known is not None else day)
        for route in ROUTES:
            lag = int(getattr(base.rules, f"route_lag_{route}"))
            route_schedule.setdefault(decide_from + lag, []).append((k, route))
    first_event_day = min((ev.day for ev in events), default=0)
    return Setup(
        scenario=base, scenarios=list(scenarios), table=table, codes=codes, names=[row["name"] for row in rows0],
        legislatures=[row["legislature_name"] or "parliament" for row in rows0],
        keys=np.array([draws.state_key(c) for c in codes], dtype=np.uint64), R=r_count, days=base.days,
        attr=attr, regime=regime, government_type=government_type, prefers=prefers, nato=nato, eu=eu,
        eu427_exists=on >= EU_427_IN_FORCE, p5=np.array([row["unsc_permanent"] for row in rows0]),
        neighbour=neighbour,
        frontline=frontline(codes, [row["name"] for row in rows0], neighbour, align, nato | eu, hosts, base.theatres),
        affinity=affinity, active=active, stance_mask=stance_mask,
        commitment0=commitment0, stance0=stance0, events=events, route_schedule=route_schedule,
        request_schedule=request_schedule,
        first_event_day=first_event_day, rules=rules, art5_decision=art5_decision,
        seed_keys=draws.seed_key(np.array([[int(s)] for s in seeds], dtype=object)), seeds=[int(s) for s in seeds],
    )


