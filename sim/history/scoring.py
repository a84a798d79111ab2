"""Decisions and their scores.

Each observable of a case becomes one or more *decisions*: a yes/no outcome
at the case's horizon (scored with the Brier score) and, where the record
gives the day, the distribution of days (scored with the ranked probability
score over days 0..horizon-1 plus "not by the horizon", so censored at the
horizon). The model's probabilities come from replicates of the case.

Decisions that the rules make impossible (p < IMPOSSIBLE and it did not
happen) carry no information about the rules' judgement and are listed
apart, not averaged into the headline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ..scenario import LEVELS, STANCES, Scenario
from .cases import Case

IMPOSSIBLE = 0.005  # a decision with p below this that did not happen is "impossible under the rules"
KINDS = ("article4", "article5", "eu_42_7", "un_resolution", "commitment", "vote", "stance")


@dataclass(frozen=True)
class Decision:
    case: str
    decision: str  # "article4:POL", "article5", "commitment:GBR:strikes_uninvited", ...
    kind: str  # one of KINDS
    probability: float
    observed: bool
    # The model's distribution of the day (share of runs with first day d,
    # d = 0..horizon-1; the rest is "not by the horizon"), and the observed
    # day (None: no date in the record, or it did not happen).
    day_probs: tuple[float, ...] | None = field(default=None, compare=False)
    observed_day: int | None = None
    horizon: int = 0
    features: dict = field(default_factory=dict, compare=False, hash=False)
    start_date: str = ""

    @property
    def impossible(self) -> bool:
        return self.probability < IMPOSSIBLE and not self.observed

    @property
    def has_day(self) -> bool:
        return self.observed and self.observed_day is not None and self.observed_day < self.horizon


# --------------------------------------------------------------------------
# Scoring rules


def brier(probabilities, outcomes) -> float:
    from sklearn.metrics import brier_score_loss

    p = np.asarray(probabilities, dtype=float)
    o = np.asarray(outcomes, dtype=float)
    return float(brier_score_loss(o, p, labels=[0, 1])) if len(p) else float("nan")


def accuracy(probabilities, outcomes) -> float:
    """Share of decisions where the most likely outcome (p >= 0.5) happened."""
    p = np.asarray(probabilities, dtype=float)
    o = np.asarray(outcomes, dtype=bool)
    return float(np.mean((p >= 0.5) == o)) if len(p) else float("nan")


def rps_days(day_probs, observed_day: int | None, horizon: int) -> float:
    """Ranked probability score of a distribution over days 0..horizon-1 and
    "not by the horizon" (category ``horizon``), against the observed day
    (None or >= horizon: not by the horizon). Normalised by the number of
    thresholds, so 0 is perfect and 1 the worst."""
    p = np.zeros(horizon + 1)
    given = np.asarray(day_probs, dtype=float)[:horizon]
    p[: len(given)] = given
    p[horizon] = max(0.0, 1.0 - p[:horizon].sum())
    obs = np.zeros(horizon + 1)
    obs[horizon if observed_day is None or observed_day >= horizon else observed_day] = 1.0
    cp, co = np.cumsum(p)[:-1], np.cumsum(obs)[:-1]
    return float(np.mean((cp - co) ** 2)) if horizon > 0 else 0.0


def base_rates(decisions: list[Decision]) -> dict[str, float]:
    """Frequency of each decision kind over the decisions given."""
    kinds = sorted({d.kind for d in decisions})
    return {k: float(np.mean([d.observed for d in decisions if d.kind == k])) for k in kinds}


def score(decisions: list[Decision]) -> dict[str, float]:
    """The v1 score: Brier and accuracy of the model and of the in-sample
    base rate over all decisions given (kept for old callers)."""
    rates = base_rates(decisions)
    probs = [d.probability for d in decisions]
    obs = [d.observed for d in decisions]
    base = [rates[d.kind] for d in decisions]
    return {
        "brier": brier(probs, obs), "accuracy": accuracy(probs, obs),
        "baseline_brier": brier(base, obs), "baseline_accuracy": accuracy(base, obs),
        "decisions": len(decisions),
    }


def headline(decisions: list[Decision], predict=None) -> dict:
    """Brier (yes/no) and RPS (days) over the *informative* decisions, per kind
    and overall, with counts. ``predict(d) -> (p, day_probs)`` scores another
    forecaster on the same decisions (default: the model)."""
    informative = [d for d in decisions if not d.impossible]
    out: dict = {"kinds": {}}
    groups = {k: [d for d in informative if d.kind == k] for k in KINDS}
    groups = {k: v for k, v in groups.items() if v}

    def block(ds):
        preds = [predict(d) if predict else (d.probability, d.day_probs) for d in ds]
        dated = [(d, dp) for d, (_, dp) in zip(ds, preds) if d.has_day]
        return {
            "brier": brier([p for p, _ in preds], [d.observed for d in ds]),
            "accuracy": accuracy([p for p, _ in preds], [d.observed for d in ds]),
            "decisions": len(ds), "happened": int(sum(d.observed for d in ds)),
            "rps_days": float(np.mean([rps_days(dp if dp is not None else (), d.observed_day, d.horizon)
                                       for d, dp in dated])) if dated else None,
            "dated": len(dated),
        }

    for k, ds in groups.items():
        out["kinds"][k] = block(ds)
    out["overall"] = block(informative) if informative else {"brier": None, "accuracy": None, "decisions": 0,
                                                             "happened": 0, "rps_days": None, "dated": 0}
    out["impossible"] = len(decisions) - len(informative)
    return out


# --------------------------------------------------------------------------
# From replicates to decisions


def first_days(cond: np.ndarray) -> np.ndarray:
    """First day (axis 0) where ``cond`` holds, -1 where never: (days, ...) -> (...)."""
    hit = cond.any(axis=0)
    return np.where(hit, cond.argmax(axis=0), -1)


def _dist(days: np.ndarray, horizon: int) -> tuple[float, ...]:
    days = np.asarray(days)
    ok = days[(days >= 0) & (days < horizon)]
    counts = np.bincount(ok.astype(int), minlength=horizon)[:horizon]
    return tuple(float(x) for x in counts / max(len(days), 1))


def outcomes(case: Case, scenario: Scenario, seeds: list[int]) -> dict:
    """Per-run first days of everything the cases can observe (-1: never)."""
    from .. import world as W
    from ..batch import simulate

    setup, world, history = simulate([scenario] * len(seeds), seeds)
    codes = list(setup.codes)
    R, H = setup.R, setup.days
    out = {
        "codes": codes, "runs": R, "horizon": H,
        "art4": np.asarray(world.requested["art4"]),  # (R, N)
        "art5": np.asarray(world.art5_day), "eu427": np.asarray(world.eu427_day), "un": np.asarray(world.un_day),
        "commitment": history.commitment, "stance": history.stance,  # (days, R, N)
    }
    votes: dict[tuple[int, int], list] = {}
    for rec in world.log:
        if rec[2] == W.VOTE:
            votes.setdefault((rec[0], rec[3]), []).append((rec[1], rec[4]["level"], rec[4]["passed"]))
    out["votes"] = votes
    return out


def _event_features(case: Case) -> dict:
    e = case.scenario.events[0]
    return {"event_kind": e.kind, "perpetrator_kind": e.perpetrator_kind, "intent": e.intent,
            "location": e.location, "cross_border": float(e.cross_border),
            "log_deaths": float(np.log1p(sum(x.deaths for x in case.scenario.events))),
            "log_injured": float(np.log1p(sum(x.injured for x in case.scenario.events))),
            "log_assets": float(np.log1p(sum(x.assets for x in case.scenario.events)))}


def _state_features(case: Case, code: str | None) -> dict:
    if code is None:
        return {"victim": 1.0, "nato": 1.0, "eu": 0.0, "near": 1.0}
    from ..states import load_states

    table = load_states(case.scenario.states)
    near = set()
    for v in case.victims + case.perpetrators:
        if v in table.rows:
            near |= set(table.neighbours(v))
    return {"victim": float(code in case.victims), "nato": float(code in table.nato_members(case.start_date)),
            "eu": float(code in table.eu_members(case.start_date)), "near": float(code in near)}


def decisions_from(case: Case, out: dict) -> list[Decision]:
    """Every decision the case's record supports, with the model's probability."""
    f = case.facts
    H, R, codes = out["horizon"], out["runs"], out["codes"]
    idx = {c: i for i, c in enumerate(codes)}
    base = _event_features(case)
    start = case.start_date.isoformat()
    decs: list[Decision] = []

    def add(name, kind, days, observed, obs_day, state=None, extra=None):
        days = np.asarray(days)
        p = float(np.mean((days >= 0) & (days < H)))
        decs.append(Decision(case.case, name, kind, p, bool(observed), _dist(days, H), obs_day, H,
                             {**base, **_state_features(case, state), "decision_kind": kind, **(extra or {})},
                             start))

    def by_horizon(day):  # a dated fact after the horizon did not happen by the horizon
        return day is None or day < H

    for m in case.article4_candidates:
        day = f.art4.get(m)
        asked = m in f.art4 and by_horizon(day)
        add(f"article4:{m}", "article4", out["art4"][:, idx[m]] if m in idx else np.full(R, -1), asked,
            day if asked else None, m)
    invoked, day = f.art5
    add("article5", "article5", out["art5"], invoked and by_horizon(day), day if invoked else None)
    if case.eu_42_7_applies:
        invoked, day = f.eu427
        add("eu_42_7", "eu_42_7", out["eu427"], invoked and by_horizon(day), day if invoked else None)
    if f.un is not None:
        passed, day = f.un
        add("un_resolution", "un_resolution", out["un"], passed and by_horizon(day), day if passed else None)
    for state, level, day in f.commitments:
        i = idx[state]
        days = first_days(out["commitment"][:, :, i] >= level)
        add(f"commitment:{state}:{LEVELS[level]}", "commitment", days, by_horizon(day), day, state,
            {"level": float(level)})
    for state, level in f.not_reached:
        days = first_days(out["commitment"][:, :, idx[state]] >= level)
        add(f"commitment:{state}:{LEVELS[level]}", "commitment", days, False, None, state, {"level": float(level)})
    for state, level, day, passed in f.votes:
        i = idx[state]
        lv = level if level is not None else 0
        days = np.full(R, -1)
        for r in range(R):
            hits = [d for d, L, ok in out["votes"].get((r, i), []) if ok and L >= lv]
            days[r] = min(hits) if hits else -1
        happened = passed and by_horizon(day)
        add(f"vote:{state}:{LEVELS[lv]}", "vote", days, happened, day if happened else None, state,
            {"level": float(lv)})
    for state, stance, day in f.stances:
        i = idx[state]
        days = first_days(out["stance"][:, :, i] >= stance)
        # yes/no: at or above the stance by the observed date (or the horizon)
        by = min(day, H - 1)
        add(f"stance:{state}:{STANCES[stance]}", "stance", np.where(days <= by, days, -1), True, day, state,
            {"level": float(stance)})
    return decs


def case_seeds(master: int, index: int, replicates: int) -> list[int]:
    ss = np.random.SeedSequence([int(master), int(index)])
    return [int(x) for x in ss.generate_state(replicates, dtype=np.uint64)]
