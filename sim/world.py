"""The daily process over arrays of shape (replicates, states).

:func:`compile_setup` turns one or more scenarios that share their structure
(same states, same events, same horizon; numbers may differ) into a static
:class:`Setup`; :class:`World` holds the dynamic variables; :func:`advance`
runs one day, calling the pure rules of :mod:`sim.rules`. The Mesa engine
runs it with one replicate, its agents holding their rows; the batch engine
with many. Both therefore apply the very same rules in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import draws, rules as R
from .scenario import LEVELS, STANCES, RULE_WEIGHTS, Scenario
from .states import EU_427_IN_FORCE, StatesTable, coerce_attribute, load_states

ATTACK_KINDS = ("terror_attack", "armed_attack", "invasion", "attribution")
REGIME_CODES = {"executive": 0, "convention": 1, "prior_vote": 2}
# First level that needs a parliamentary vote, per regime (7: never).
VOTE_FROM_LEVEL = np.array([7, R.STRIKES_INVITED, 2])
NUMERIC = (
    "population", "strike_aircraft", "legislature_seats", "legislature_support", "public_support",
    "threat_perception", "autonomy_preference", "casualty_aversion", "assad_stance", "west_alignment",
)
ROUTES = ("art4", "art5", "eu427", "un")
ROUTE_PROMPTS = {
    "art4": "{name}: request NATO Article 4 consultations?",
    "art5": "{name}: ask the North Atlantic Council to invoke Article 5?",
    "eu427": "{name}: invoke the EU's mutual-assistance clause (Article 42.7)?",
    "un": "{name}: seek a UN Security Council resolution?",
}
ROUTE_DECISIONS = {"art4": draws.ART4_REQUEST, "art5": draws.ART5_REQUEST,
                   "eu427": draws.EU427_REQUEST, "un": draws.UN_REQUEST}

# Log record codes (see sim.narrative for the sentences).
EVENT, ART4_REQUEST, NAC_CONSULT, ART5_REQUEST, NAC_VOTE = 1, 2, 3, 4, 5
EU427_REQUEST, EU_COUNCIL, UN_REQUEST, UNSC_VOTE = 6, 7, 8, 9
VOTE_SCHEDULED, VOTE, COMMIT_DECIDED, COMMIT_EFFECT, RETALIATE, STANCE = 10, 11, 12, 13, 14, 15


@dataclass
class CompiledEvent:
    index: int
    day: int
    known_day: int | None
    kind: str
    target: int
    perpetrator: int  # -1 when not a state of the table
    perpetrator_name: str
    state_perpetrator: bool
    non_state: bool
    accidental: bool
    location: str
    severity: np.ndarray  # (R, 1)
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
    prefers: dict[str, np.ndarray]
    nato: np.ndarray
    eu: np.ndarray
    eu427_exists: bool
    p5: np.ndarray
    neighbour: np.ndarray
    affinity: np.ndarray
    active: np.ndarray
    stance_mask: np.ndarray
    commitment0: np.ndarray
    stance0: np.ndarray
    events: list[CompiledEvent]
    route_schedule: dict[int, list[tuple[int, str]]]
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


def _state_rows(scenario: Scenario, table: StatesTable, codes: list[str]) -> list[dict]:
    rows = []
    for c in codes:
        row = dict(table.rows[c])
        for name, value in scenario.overrides.get(c, {}).items():
            row[name] = coerce_attribute(name, value, scenario.source_path, f"overrides.{c}.{name}")
        rows.append(row)
    return rows


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
            if run_states(sc, table) != codes or len(sc.events) != len(base.events) or sc.days != base.days:
                raise ValueError("scenarios in one batch must share states, events and horizon")
            unique[id(sc)] = len(distinct)
            distinct.append(sc)
        which[j] = unique[id(sc)]
    rows_u = [_state_rows(sc, table, codes) for sc in distinct]
    rows0 = rows_u[0]

    def per_replicate(values) -> np.ndarray:
        return np.asarray(values)[which]

    attr = {k: per_replicate([[row[k] for row in rows] for rows in rows_u]).astype(float) for k in NUMERIC}
    regime = per_replicate([[REGIME_CODES[row["approval_regime"]] for row in rows] for rows in rows_u])
    prefers = {
        inst: per_replicate([[row["preferred_institution"] == inst for row in rows] for rows in rows_u]).astype(float)
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

    rules = {k: per_replicate([[getattr(sc.rules, k)] for sc in distinct]).astype(float) for k in RULE_WEIGHTS}
    art5_decision = per_replicate([R.ART5_DECISION_CODES[sc.rules.art5_decision] for sc in distinct])

    events = []
    route_schedule: dict[int, list[tuple[int, str]]] = {}
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
            non_state=e.perpetrator_kind == "non_state", accidental=e.intent == "accidental",
            location=e.location, severity=severity, prox=prox, description=e.description,
            deaths=per_replicate([x.deaths for x in evs]),
        )
        events.append(ce)
        if e.kind == "un_resolution":
            continue
        decide_from = max(day, known if known is not None else day)
        for route in ROUTES:
            lag = int(getattr(base.rules, f"route_lag_{route}"))
            route_schedule.setdefault(decide_from + lag, []).append((k, route))
    first_event_day = min((ev.day for ev in events), default=0)
    return Setup(
        scenario=base, scenarios=list(scenarios), table=table, codes=codes, names=[row["name"] for row in rows0],
        legislatures=[row["legislature_name"] or "parliament" for row in rows0],
        keys=np.array([draws.state_key(c) for c in codes], dtype=np.uint64), R=r_count, days=base.days,
        attr=attr, regime=regime, prefers=prefers, nato=nato, eu=eu,
        eu427_exists=on >= EU_427_IN_FORCE, p5=np.array([row["unsc_permanent"] for row in rows0]),
        neighbour=neighbour, affinity=affinity, active=active, stance_mask=stance_mask,
        commitment0=commitment0, stance0=stance0, events=events, route_schedule=route_schedule,
        first_event_day=first_event_day, rules=rules, art5_decision=art5_decision,
        seed_keys=draws.seed_key(np.array([[int(s)] for s in seeds], dtype=object)), seeds=[int(s) for s in seeds],
    )


def _full(shape, value, dtype):
    return np.full(shape, value, dtype=dtype)


@dataclass
class World:
    """The dynamic variables of R runs; every array is (R, N) or (R,)."""

    threat: np.ndarray
    state_threat: np.ndarray
    tension: np.ndarray
    rally: np.ndarray
    commitment: np.ndarray
    pending_level: np.ndarray
    pending_stage: np.ndarray  # 0 none, 1 awaiting a vote, 2 deploying
    pending_day: np.ndarray
    pending_decided: np.ndarray
    retry_after: np.ndarray
    next_review: np.ndarray  # day a government next reviews its commitment unprompted
    next_stance_review: np.ndarray
    stance: np.ndarray
    victim: np.ndarray
    retaliated: np.ndarray
    first_strike_day: np.ndarray
    first_commitment_day: np.ndarray
    requested: dict[str, np.ndarray]
    request_event: dict[str, np.ndarray]
    meeting_day: dict[str, np.ndarray]
    art5_day: np.ndarray
    eu427_day: np.ndarray
    un_day: np.ndarray
    impact: dict[int, np.ndarray] = field(default_factory=dict)
    log: list[tuple] | None = field(default_factory=list)  # None: keep no log (summary-only sweeps)
    control: "Control | None" = None  # players' decisions (role play), run 0 only
    # Days on which some run has a parliamentary vote / a deployment due, so
    # that the other days skip the scan of every state of every run.
    vote_days: set = field(default_factory=set)
    deploy_days: set = field(default_factory=set)

    @classmethod
    def start(cls, s: Setup) -> "World":
        shape = (s.R, len(s.codes))
        neg = lambda: _full(shape, -1, np.int32)  # noqa: E731
        return cls(
            threat=np.zeros(shape), state_threat=np.zeros(shape), tension=np.zeros(shape), rally=np.zeros(shape),
            commitment=np.broadcast_to(s.commitment0, shape).copy(), pending_level=neg(),
            pending_stage=np.zeros(shape, dtype=np.int8), pending_day=neg(), pending_decided=neg(),
            retry_after=neg(), stance=np.broadcast_to(s.stance0, shape).copy(),
            next_review=review_gap(draws.uniform(s.seed_keys, 0, draws.DELIBERATE, s.keys), s.rules["review_rate"]) - 1,
            next_stance_review=review_gap(draws.uniform(s.seed_keys, 0, draws.STANCE_DELIBERATE, s.keys),
                                          s.rules["stance_review_rate"]) - 1,
            victim=np.zeros(shape, dtype=bool), retaliated=np.zeros(shape, dtype=bool),
            first_strike_day=neg(), first_commitment_day=neg(),
            requested={r: neg() for r in ROUTES}, request_event={r: neg() for r in ROUTES},
            meeting_day={r: neg() for r in ROUTES},
            art5_day=_full(s.R, -1, np.int32), eu427_day=_full(s.R, -1, np.int32), un_day=_full(s.R, -1, np.int32),
        )


def review_gap(u, rate):
    """Days until the next unprompted review: geometric with daily chance
    ``rate`` (so reviews come as if each day were a coin toss), drawn once
    per review instead of once per day."""
    rate = np.broadcast_to(rate, np.shape(u))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gap = 1 + np.floor(np.log1p(-u) / np.log1p(-np.minimum(rate, 1 - 1e-12)))
    gap = np.where(rate <= 0, 1e9, np.where(rate >= 1, 1, gap))
    return np.minimum(gap, 1e9).astype(np.int64)


@dataclass
class Question:
    """A decision a player must take for a state (role play)."""

    state: str
    day: int
    kind: str  # art4, art5, eu427, un, assent, commitment, retaliate, stance
    prompt: str
    options: list[str]
    hint: list[float]  # the model's own utility or probability per option
    model_choice: int  # what the rules would pick with this run's draw
    key: tuple


class Control:
    """Decisions taken by players instead of the rules, for run 0.

    At each decision of a player's state the engine asks :meth:`decide`: with
    an answer on record it is used (and the log says a player decided);
    without one the question is noted in ``asked`` and the rules' own choice
    is used, so a probe run of the day can collect today's questions.
    """

    def __init__(self, players, answers=None):
        self.players = set(int(i) for i in players)
        self.answers: dict[tuple, int] = answers if answers is not None else {}
        self.asked: list[Question] = []

    def decide(self, s: Setup, day: int, kind: str, i: int, extra, prompt: str, options, hint,
               model_choice: int) -> tuple[int, bool]:
        key = (day, kind, int(i), extra)
        if key in self.answers:
            return int(self.answers[key]), True
        self.asked.append(Question(s.codes[i], day, kind, prompt, list(options),
                                   [float(h) for h in hint], int(model_choice), key))
        return int(model_choice), False


def _players(w: World, mask_row: np.ndarray) -> list[int]:
    """Player states (run 0) among those the mask selects."""
    if w.control is None:
        return []
    return [i for i in sorted(w.control.players) if mask_row[i]]


def _let_players_choose(s, w, day, kind, r, i, choice, ask) -> set[int]:
    """Replace the rules' choices of the deciding player states (run 0) by
    the players' answers, in place. ``ask(k)`` gives decider k's prompt,
    options, hints and the level of its first option (``choice - offset``
    indexes the options). Returns the states whose choice a player made."""
    chosen: set[int] = set()
    if w.control is None:
        return chosen
    for k in np.nonzero(r == 0)[0]:
        if int(i[k]) not in w.control.players:
            continue
        prompt, options, hint, offset = ask(k)
        pick, by = w.control.decide(s, day, kind, int(i[k]), None, prompt, options, hint, int(choice[k]) - offset)
        choice[k] = offset + pick
        if by:
            chosen.add(int(i[k]))
    return chosen


def _by_player(data: dict | None, by_player: bool):
    if by_player:
        data = dict(data or {})
        data["by"] = "player"
    return data


def _u(s: Setup, day: int, decision: int) -> np.ndarray:
    return draws.uniform(s.seed_keys, day, decision, s.keys)


def obligation(s: Setup, w: World, day: int, r, i) -> np.ndarray:
    """Of states (r, i): 1 for NATO allies once Article 5 is invoked;
    EU_OBLIGATION for EU partners once 42.7 is; the victim owes itself nothing."""
    a5 = (w.art5_day[r] >= 0) & (w.art5_day[r] <= day) & s.nato[i] & (w.requested["art5"][r, i] < 0)
    eu = (w.eu427_day[r] >= 0) & (w.eu427_day[r] <= day) & s.eu[i] & (w.requested["eu427"][r, i] < 0)
    return np.maximum(a5 * 1.0, eu * R.EU_OBLIGATION)


def advance(s: Setup, w: World, day: int) -> None:
    """Run day ``day`` for every replicate: the ODD's process overview, in order."""
    rules = s.rules
    triggered = np.zeros((s.R, len(s.codes)), dtype=bool)
    _fire_events(s, w, day, triggered)
    _choose_routes(s, w, day)
    _institutions(s, w, day, triggered)
    _parliaments(s, w, day)
    _commitments(s, w, day, triggered)
    _deployments(s, w, day)
    _retaliation(s, w, day)
    _stances(s, w, day, triggered)
    w.threat = R.decay(w.threat, rules["threat_decay"])
    w.state_threat = R.decay(w.state_threat, rules["threat_decay"])
    w.tension = R.decay(w.tension, rules["threat_decay"])
    w.rally = R.decay(w.rally, rules["rally_decay"])


def public_support(s: Setup, w: World, r=slice(None), i=slice(None)) -> np.ndarray:
    """Public support for strikes: the state's baseline plus the rally effect."""
    return np.clip(s.attr["public_support"][r, i] + w.rally[r, i], 0.0, 1.0)


def _log(w: World, rows, day, code, i, data=None):
    if w.log is None:
        return
    for r in np.atleast_1d(rows):
        w.log.append((int(r), day, code, int(i), data if data is None or not callable(data) else data(int(r))))


def _fire_events(s, w, day, triggered):
    for ev in s.events:
        if ev.day != day:
            continue
        _log(w, range(s.R), day, EVENT, ev.target, {"event": ev.index})
        if ev.kind == "un_resolution":
            # A draft tabled by the target state; the Council votes today.
            t = ev.target
            fresh = w.meeting_day["un"][:, t] < 0
            w.meeting_day["un"][:, t] = np.where(fresh, day, w.meeting_day["un"][:, t])
            w.request_event["un"][:, t] = np.where(fresh, ev.index, w.request_event["un"][:, t])
            continue
        impact = R.threat_impulse(ev.severity, ev.prox, s.attr["threat_perception"])
        w.impact[ev.index] = impact
        w.threat += impact
        if ev.state_perpetrator:
            w.state_threat += impact
            if ev.perpetrator >= 0 and s.nato[ev.perpetrator]:
                # An alliance member attacked a non-ally: tension with the alliance.
                w.tension[:, ev.target] += np.where(s.stance_mask[ev.target], impact[:, ev.target], 0.0)
        w.rally += s.rules["rally_weight"] * impact
        if ev.kind in ATTACK_KINDS:
            w.victim[:, ev.target] = True
        triggered |= impact > 0.01


def _eligible(s: Setup, ev: CompiledEvent, route: str) -> np.ndarray:
    n = len(s.codes)
    target = np.arange(n) == ev.target
    if route == "art4":
        # Besides the target: when a state invades or threatens another, its
        # neighbours and the target's neighbours feel threatened too.
        near = target.copy()
        if ev.state_perpetrator:
            if ev.perpetrator >= 0:
                near = near | s.neighbour[ev.perpetrator]
            if ev.kind in ("invasion", "war_threat"):
                near = near | s.neighbour[ev.target]
        return s.nato & near & (ev.prox > 0)
    if route == "art5":
        return s.nato & target & (ev.kind in ATTACK_KINDS)
    if route == "eu427":
        return s.eu & target & s.eu427_exists & (ev.kind in ATTACK_KINDS) & (ev.location == "homeland")
    return target & (ev.kind in ATTACK_KINDS)


def _assent_probability(s, w, victim, ev_index):
    """Each NATO member's probability of assenting to Article 5 for a victim."""
    ev = s.events[ev_index]
    impact = w.impact[ev_index][:, victim : victim + 1]
    util = R.assent_utility(s.affinity[:, victim], impact, ev.non_state, ev.accidental, s.rules)
    return R.sigmoid(util)


def _choose_routes(s, w, day):
    for ev_index, route in s.route_schedule.get(day, []):
        ev = s.events[ev_index]
        eligible = _eligible(s, ev, route) & (w.requested[route] < 0)
        if route == "un":
            eligible &= (w.un_day < 0)[:, None] & (w.meeting_day["un"] < 0)
        if not eligible.any():
            continue
        impact = w.impact[ev_index]
        autonomy = s.attr["autonomy_preference"]
        if route == "art4":
            util = R.art4_utility(w.state_threat, impact, autonomy, s.prefers["nato"], s.rules)
        elif route == "art5":
            voters = s.nato & (np.arange(len(s.codes)) != ev.target)
            p_ok = R.pass_probability(_assent_probability(s, w, ev.target, ev_index), voters, s.art5_decision, s.rules)
            util = R.art5_utility(impact, float(ev.state_perpetrator), autonomy, s.prefers["nato"], p_ok[:, None], s.rules)
        elif route == "eu427":
            util = R.eu427_utility(impact, autonomy, s.prefers["eu"], s.rules)
        else:
            util = R.un_utility(impact, s.prefers["un"], s.rules)
        u = _u(s, day, ROUTE_DECISIONS[route] + 64 * (ev_index + 1))
        p_ask = R.sigmoid(util)
        asks = eligible & (u < p_ask)
        chosen_by_player = set()
        for i in _players(w, eligible[0]):
            choice, by = w.control.decide(
                s, day, route, i, ev_index, ROUTE_PROMPTS[route].format(name=s.names[i]),
                ["no", "yes"], [1 - p_ask[0, i], p_ask[0, i]], int(asks[0, i]))
            asks[0, i] = bool(choice)
            if by:
                chosen_by_player.add(i)
        lag = {"art4": "nac_lag", "art5": "nac_lag", "eu427": "eu_council_lag", "un": "unsc_lag"}[route]
        meet = day + s.rules[lag].astype(np.int32)
        w.requested[route] = np.where(asks, day, w.requested[route])
        w.request_event[route] = np.where(asks, ev_index, w.request_event[route])
        w.meeting_day[route] = np.where(asks, meet, w.meeting_day[route])
        code = {"art4": ART4_REQUEST, "art5": ART5_REQUEST, "eu427": EU427_REQUEST, "un": UN_REQUEST}[route]
        for r, i in zip(*np.nonzero(asks)) if w.log is not None else ():
            data = {"event": ev_index, "p": float(p_ask[r, i])}
            w.log.append((int(r), day, code, int(i), _by_player(data, r == 0 and i in chosen_by_player)))


def _institutions(s, w, day, triggered):
    n = len(s.codes)
    pop = s.attr["population"]
    for route in ROUTES:
        due = w.meeting_day[route] == day
        if not due.any():
            continue
        for victim in np.nonzero(due.any(axis=0))[0]:
            rows = np.nonzero(due[:, victim])[0]
            ev_idx = w.request_event[route][:, victim]
            if route == "art4":
                _log(w, rows, day, NAC_CONSULT, victim)
                continue
            if route == "un":
                _unsc_vote(s, w, day, victim, rows, ev_idx, triggered)
                continue
            members = s.nato if route == "art5" else s.eu
            voters = members & (np.arange(n) != victim)
            # Addressed by the victim's code, not its place in the table.
            decision_id = (draws.NAC_ASSENT if route == "art5" else draws.EU_ASSENT) + 64 * (int(s.keys[victim]) + 1)
            u = _u(s, day, decision_id)
            if route == "art5":
                p = np.ones((s.R, n))
                for e in np.unique(ev_idx[rows]):
                    these = rows[ev_idx[rows] == e]
                    p[these] = _assent_probability(s, w, victim, int(e))[these]
            else:
                p = np.broadcast_to(R.sigmoid(s.rules["eu_assent_bias"]), (s.R, n))
            assent = u < p
            if w.control is not None and due[0, victim]:
                body = "the North Atlantic Council, on Article 5" if route == "art5" else "the EU Council, on Article 42.7"
                for j in _players(w, voters):
                    choice, _ = w.control.decide(
                        s, day, "assent", j, (route, int(victim)),
                        f"{s.names[j]}: assent in {body} for {s.names[victim]}?",
                        ["object", "assent"], [1 - p[0, j], p[0, j]], int(assent[0, j]))
                    assent[0, j] = bool(choice)
            if route == "art5":
                passed = R.council_passes(assent, voters, pop, s.art5_decision, s.rules)
            else:
                passed = (assent | ~voters).all(axis=-1)
            day_arr = w.art5_day if route == "art5" else w.eu427_day
            first = rows[passed[rows] & (day_arr[rows] < 0)]
            day_arr[first] = day
            triggered[first] |= voters
            for r in rows if w.log is not None else ():
                yes = int((assent[r] & voters).sum())
                no = int((~assent[r] & voters).sum())
                objectors = [s.codes[j] for j in np.nonzero(~assent[r] & voters)[0]]
                ok = bool(passed[r])
                w.log.append((int(r), day, NAC_VOTE if route == "art5" else EU_COUNCIL, int(victim),
                              {"yes": yes, "no": no, "passed": ok, "objectors": objectors,
                               "decision": int(s.art5_decision[r]) if route == "art5" else 0}))
            w.meeting_day[route][rows, victim] = -1


def _unsc_vote(s, w, day, sponsor, rows, ev_idx, triggered):
    n = len(s.codes)
    u = _u(s, day, draws.UNSC_VETO + 64 * (int(s.keys[sponsor]) + 1))
    align = s.attr["west_alignment"]
    w.meeting_day["un"][rows, sponsor] = -1
    rows = rows[w.un_day[rows] < 0]  # a resolution already passed in these runs
    for e in np.unique(ev_idx[rows]):
        these = rows[ev_idx[rows] == e]
        ev = s.events[int(e)]
        is_perp = np.arange(n) == ev.perpetrator
        if ev.perpetrator >= 0:
            patron = np.clip(1.0 - np.abs(align[these] - align[these, ev.perpetrator : ev.perpetrator + 1]), 0.0, 1.0)
        else:
            patron = np.zeros((len(these), n))
        shared = w.threat[these] - w.state_threat[these]
        p_veto = R.veto_probability(is_perp, patron, shared, _pick_rules(s, these))
        vetoes = s.p5 & (u[these] < p_veto) & (np.arange(n) != sponsor)
        passed = ~vetoes.any(axis=-1)
        # A mandate changes every government's legal options: all reconsider.
        w.un_day[these[passed]] = day
        triggered[these[passed]] |= s.active
        for k, r in enumerate(these) if w.log is not None else ():
            w.log.append((int(r), day, UNSC_VOTE, int(sponsor), {
                "yes": 15 - int(vetoes[k].sum()), "no": int(vetoes[k].sum()), "passed": bool(passed[k]),
                "vetoes": [s.codes[j] for j in np.nonzero(vetoes[k])[0]], "event": ev.index,
            }))


def mandate(s, w, day, r, i):
    """Of states (r, i): a legal basis for uninvited strikes? A UN mandate,
    self-defence (it was attacked) or Article 5 (for NATO members)."""
    return ((w.un_day[r] >= 0) & (w.un_day[r] <= day)) | w.victim[r, i] | (
        (w.art5_day[r] >= 0) & (w.art5_day[r] <= day) & s.nato[i])


def legal_gap(has_mandate):
    """(..., levels): 1 where a level lacks a legal basis (uninvited strikes
    or ground forces without a mandate)."""
    levels = np.arange(len(LEVELS))
    return ((levels >= R.STRIKES_UNINVITED) & ~has_mandate[..., None]).astype(float)


def _pick(r, i, *arrays):
    """Rows (r, i) of (R, N) arrays, shaped (K, 1): the deciding states alone,
    treated as K replicates of one state (the rules broadcast either way)."""
    return [a[r, i][:, None] for a in arrays]


class RuleView:
    """Rule weights seen through a transformation (rows picked, an axis
    added), computed only for the weights a rule asks for."""

    __slots__ = ("_source", "_fn", "_cache")

    def __init__(self, source, fn):
        self._source, self._fn, self._cache = source, fn, {}

    def __getitem__(self, key):
        if key not in self._cache:
            self._cache[key] = self._fn(self._source[key])
        return self._cache[key]


def _pick_rules(s, r):
    return RuleView(s.rules, lambda v: v[r])


def _u_at(s, r, i, day, decision):
    """The draws of states (r, i) alone: the same numbers as _u(...)[r, i]."""
    return draws.uniform(s.seed_keys[r, 0], day, decision, s.keys[i])[:, None]


def _parliaments(s, w, day):
    if day not in w.vote_days:
        return
    r, i = np.nonzero((w.pending_stage == 1) & (w.pending_day == day))
    if not len(r):
        return
    rules = _pick_rules(s, r)
    level = w.pending_level[r, i]
    public = public_support(s, w, r, i)[:, None]
    oblig = obligation(s, w, day, r, i)[:, None]
    has_mandate = mandate(s, w, day, r, i)[:, None]
    support, seats = _pick(r, i, s.attr["legislature_support"], s.attr["legislature_seats"])
    level_gap = np.take_along_axis(legal_gap(has_mandate), level[:, None, None], axis=-1)[..., 0]
    share = R.vote_share(support, public, level_gap, oblig, _u_at(s, r, i, day, draws.VOTE_SHARE), rules)
    present = np.rint(seats * rules["vote_turnout"])
    yes = np.rint(present * share)[:, 0]
    no = present[:, 0] - yes
    passed = yes > no
    lag = _deploy_lag(s, w.commitment[r, i], level, r)
    for k in range(len(r)) if w.log is not None else ():
        w.log.append((int(r[k]), day, VOTE, int(i[k]), {"level": int(level[k]), "yes": int(yes[k]),
                                                        "no": int(no[k]), "passed": bool(passed[k])}))
    ok, fail = passed, ~passed
    w.pending_stage[r, i] = np.where(ok, 2, 0)
    w.pending_day[r, i] = np.where(ok, day + lag, -1)
    w.deploy_days.update(np.unique(w.pending_day[r[ok], i[ok]]).tolist())
    w.retry_after[r[fail], i[fail]] = day + s.rules["vote_retry_days"][r[fail], 0].astype(np.int32)
    w.pending_level[r[fail], i[fail]] = -1


def _deploy_lag(s, current, target, r):
    """Days from decision (or approval) to effect, for replicates r."""
    rules = {k: v[r, 0] for k, v in s.rules.items() if k.startswith("lag_")}
    in_theatre = current >= R.STRIKES_INVITED
    strike_lag = np.where(in_theatre, rules["lag_in_theatre"], rules["lag_strikes"])
    return np.select(
        [target <= 1, target == 2, target == 3, target <= R.STRIKES_UNINVITED],
        [rules["lag_political"], rules["lag_training"], rules["lag_support"], strike_lag],
        rules["lag_ground"],
    ).astype(np.int32)


def capability(s):
    """Strike capability 0..1: log of combat aircraft, 500 or more counting as 1."""
    if s._capability is None:
        s._capability = np.minimum(1.0, np.log1p(s.attr["strike_aircraft"]) / np.log1p(500.0))
    return s._capability


def solidarity(s, w, r, i):
    """Of states (r, i): the affinity-weighted share of the others that have
    stepped up since the start (a threshold cascade, Granovetter 1978),
    scaled so that a few allies matter."""
    stepped = np.maximum(0, w.commitment - s.commitment0) * s.active  # (R, N), small integers
    weighted = (stepped[r] * s.affinity[i]).sum(axis=-1)
    if s._affinity_weight is None:
        s._affinity_weight = np.maximum(s.affinity.sum(axis=-1), 1e-9)
    return np.clip(3.0 * weighted / ((len(LEVELS) - 1) * s._affinity_weight[i]), 0.0, 1.0)


def _commitments(s, w, day, triggered):
    free = s.active & (w.pending_stage == 0) & (w.retry_after <= day)
    r, i = np.nonzero(free & (triggered | (w.next_review <= day)))
    if not len(r):
        return
    w.next_review[r, i] = day + review_gap(_u_at(s, r, i, day + 1, draws.DELIBERATE)[:, 0], s.rules["review_rate"][r, 0])
    rules = _pick_rules(s, r)
    threat, cap, casualty, support, seats, current = _pick(
        r, i, w.threat, capability(s), s.attr["casualty_aversion"], s.attr["legislature_support"],
        s.attr["legislature_seats"], w.commitment)
    public = public_support(s, w, r, i)[:, None]
    oblig = obligation(s, w, day, r, i)[:, None]
    solid = solidarity(s, w, r, i)[:, None]
    has_mandate = mandate(s, w, day, r, i)[:, None]
    gap = legal_gap(has_mandate)
    needs_vote = (np.arange(len(LEVELS)) >= VOTE_FROM_LEVEL[s.regime[r, i]][:, None, None]) & (seats > 0)[..., None]
    vote_pass = R.expected_pass(support[..., None], public[..., None], gap, oblig[..., None],
                                RuleView(rules, lambda v: v[..., None]))
    util = R.level_utilities(threat, oblig, solid, cap, public, casualty, gap, vote_pass, needs_vote, current, rules)
    choice = R.softmax_choice(util, rules["temperature"], _u_at(s, r, i, day, draws.COMMIT_CHOICE))[:, 0]

    def ask(k):
        low = int(current[k, 0])
        options = [LEVELS[lv] + (f" (needs a vote in the {s.legislatures[i[k]]})" if needs_vote[k, 0, lv] else "")
                   for lv in range(low, len(LEVELS))]
        return (f"{s.names[i[k]]}: what should the government commit? (now: {LEVELS[low]})",
                options, util[k, 0, low:], low)

    chosen_by_player = _let_players_choose(s, w, day, "commitment", r, i, choice, ask)
    rise = choice > current[:, 0]
    if not rise.any():
        return
    r, i, choice, needs_vote = r[rise], i[rise], choice[rise], needs_vote[rise][:, 0, :]
    vote = needs_vote[np.arange(len(r)), choice]
    span = s.rules["vote_delay_max"][r, 0] - s.rules["vote_delay_min"][r, 0] + 1
    delay = s.rules["vote_delay_min"][r, 0] + np.floor(_u_at(s, r, i, day, draws.VOTE_DELAY)[:, 0] * span)
    lag = _deploy_lag(s, w.commitment[r, i], choice, r)
    w.pending_level[r, i] = choice
    w.pending_stage[r, i] = np.where(vote, 1, 2)
    w.pending_day[r, i] = np.where(vote, day + delay.astype(np.int32), day + lag)
    w.vote_days.update(np.unique(w.pending_day[r[vote], i[vote]]).tolist())
    w.deploy_days.update(np.unique(w.pending_day[r[~vote], i[~vote]]).tolist())
    w.pending_decided[r, i] = day
    for k in range(len(r)) if w.log is not None else ():
        code = VOTE_SCHEDULED if vote[k] else COMMIT_DECIDED
        data = {"level": int(choice[k]), "on": int(w.pending_day[r[k], i[k]])}
        w.log.append((int(r[k]), day, code, int(i[k]), _by_player(data, r[k] == 0 and int(i[k]) in chosen_by_player)))


def _deployments(s, w, day):
    if day not in w.deploy_days:
        return
    r, i = np.nonzero((w.pending_stage == 2) & (w.pending_day <= day))
    if not len(r):
        return
    level = w.pending_level[r, i]
    counts = w.pending_decided[r, i] >= s.first_event_day
    w.commitment[r, i] = level
    first = counts & (w.first_commitment_day[r, i] < 0)
    w.first_commitment_day[r[first], i[first]] = day
    strikes = counts & (level >= R.STRIKES_INVITED) & (w.first_strike_day[r, i] < 0)
    w.first_strike_day[r[strikes], i[strikes]] = day
    for k in range(len(r)) if w.log is not None else ():
        w.log.append((int(r[k]), day, COMMIT_EFFECT, int(i[k]), {"level": int(level[k])}))
    w.pending_stage[r, i] = 0
    w.pending_level[r, i] = -1
    w.pending_day[r, i] = -1


def _retaliation(s, w, day):
    known = any(ev.known_day is not None and ev.known_day <= day and ev.kind in ATTACK_KINDS for ev in s.events)
    if not known or day < s.first_event_day:
        return
    r, i = np.nonzero(s.active & (w.commitment >= R.STRIKES_INVITED) & ~w.retaliated)
    if not len(r):
        return
    (threat,) = _pick(r, i, w.threat)
    p = R.retaliation_probability(threat, _pick_rules(s, r))
    strike = (_u_at(s, r, i, day, draws.RETALIATE) < p)[:, 0].astype(np.int8)
    chosen_by_player = _let_players_choose(
        s, w, day, "retaliate", r, i, strike,
        lambda k: (f"{s.names[i[k]]}: strike back now with the forces in theatre?",
                   ["hold", "strike"], [1 - p[k, 0], p[k, 0]], 0))
    r, i = r[strike == 1], i[strike == 1]
    w.retaliated[r, i] = True
    first = w.first_strike_day[r, i] < 0
    w.first_strike_day[r[first], i[first]] = day + 1
    for k in range(len(r)) if w.log is not None else ():
        data = {"level": int(w.commitment[r[k], i[k]])}
        w.log.append((int(r[k]), day + 1, RETALIATE, int(i[k]), _by_player(data, r[k] == 0 and int(i[k]) in chosen_by_player)))


def _stances(s, w, day, triggered):
    if not s.stance_mask.any():
        return
    r, i = np.nonzero(s.stance_mask & (triggered | (w.next_stance_review <= day)))
    if not len(r):
        return
    w.next_stance_review[r, i] = day + review_gap(_u_at(s, r, i, day + 1, draws.STANCE_DELIBERATE)[:, 0],
                                                  s.rules["stance_review_rate"][r, 0])
    committed = s.active & (w.commitment[r] >= R.SUPPORT)
    assad = s.attr["assad_stance"]
    coalition_assad = (assad[r] * committed).sum(axis=-1) / np.maximum(committed.sum(axis=-1), 1)
    gap = (np.abs(assad[r, i] - coalition_assad) / 2.0)[:, None]
    shared = (w.threat[r, i] - w.state_threat[r, i])[:, None]
    align, tension, current = _pick(r, i, s.attr["west_alignment"], w.tension, w.stance)
    rules = _pick_rules(s, r)
    util = R.stance_utilities(shared, align, gap, tension, current, rules)
    choice = R.softmax_choice(util, rules["stance_temperature"], _u_at(s, r, i, day, draws.STANCE_CHOICE))[:, 0]
    chosen_by_player = _let_players_choose(
        s, w, day, "stance", r, i, choice,
        lambda k: (f"{s.names[i[k]]}: which stance towards the coalition? (now: {STANCES[int(current[k, 0])]})",
                   list(STANCES), util[k, 0], 0))
    change = choice != current[:, 0]
    for k in np.nonzero(change)[0] if w.log is not None else ():
        data = {"stance": int(choice[k]), "was": int(current[k, 0])}
        w.log.append((int(r[k]), day, STANCE, int(i[k]), _by_player(data, r[k] == 0 and int(i[k]) in chosen_by_player)))
    w.stance[r[change], i[change]] = choice[change]
