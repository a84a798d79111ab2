"""validate: run every case, score every decision, beside out-of-fold baselines,
under three protocols (in-sample, leave-one-case-out, time split)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ..errors import ConfigError
from ..scenario import Scenario
from . import baselines as B
from .cases import Case
from .scoring import Decision, case_seeds, decisions_from, headline, outcomes, score

MAX_REPLICATES = 10_000  # validate --replicates and calibrate --replicates above this are refused


def check_replicates(n: int, key: str = "--replicates") -> None:
    if not 1 <= int(n) <= MAX_REPLICATES:
        raise ConfigError(key, None, f"must be between 1 and {MAX_REPLICATES:,} (got {n})")


def with_rules(scenario: Scenario, rules: dict | None) -> Scenario:
    if not rules:
        return scenario
    merged = type(scenario.rules).model_validate({**scenario.rules.model_dump(), **rules})
    return scenario.model_copy(update={"rules": merged})


def _legacy(case: Case, out: dict) -> tuple[dict, list[Decision]]:
    """The v1 per-case fields and decisions (Article 4 per member, 5, 42.7)."""
    idx = {c: i for i, c in enumerate(out["codes"])}
    H = out["horizon"]
    f = case.facts

    def p(days):
        days = np.asarray(days)
        return float(np.mean((days >= 0) & (days < H)))

    art4 = {m: p(out["art4"][:, idx[m]]) if m in idx else 0.0 for m in case.nato_members}
    art5 = p(out["art5"])
    eu = p(out["eu427"]) if case.eu_42_7_applies else None
    decs = [Decision(case.case, f"article4:{m}", "article4", q, m in f.art4) for m, q in art4.items()]
    decs.append(Decision(case.case, "article5", "article5", art5, f.art5[0]))
    if eu is not None:
        decs.append(Decision(case.case, "eu_42_7", "eu_42_7", eu, f.eu427[0]))
    row = {"case": case.case, "title": case.title, "article4": art4, "article5": art5, "eu_42_7": eu,
           "observed": {"article4_requested_by": sorted(f.art4), "article5_invoked": f.art5[0],
                        "eu_42_7_invoked": f.eu427[0] if case.eu_42_7_applies else None}}
    return row, decs


def run_cases(cases: list[Case], replicates: int, seed: int, rules: dict | None = None,
              indices: list[int] | None = None) -> tuple[list[dict], list[Decision], list[Decision]]:
    """Run each case; return the v1 rows, v1 decisions and all decisions."""
    rows, legacy, decisions = [], [], []
    for k, case in enumerate(cases):
        index = indices[k] if indices is not None else k
        out = outcomes(case, with_rules(case.scenario, rules), case_seeds(seed, index, replicates))
        row, old = _legacy(case, out)
        decs = decisions_from(case, out)
        row["decisions"] = [decision_row(d) for d in decs]
        rows.append(row)
        legacy.extend(old)
        decisions.extend(decs)
    return rows, legacy, decisions


def decision_row(d: Decision) -> dict:
    return {"decision": d.decision, "kind": d.kind, "probability": round(d.probability, 6), "observed": d.observed,
            "observed_day": d.observed_day, "impossible": d.impossible,
            "median_day": _median_day(d.day_probs, d.probability)}


def _median_day(day_probs, p):
    if not day_probs or p <= 0:
        return None
    c = np.cumsum(day_probs) / p
    return int(np.searchsorted(c, 0.5))


def default_until(cases: list[Case]) -> dt.date:
    """The time split's default date: the median of the cases' start dates
    (cases starting on or after it are scored, those before fit)."""
    dates = sorted(c.start_date for c in cases)
    return dates[len(dates) // 2]


def compare(decisions: list[Decision], train_of) -> dict:
    """The model's headline and each baseline's on the same decisions."""
    preds = B.predictors(decisions, train_of)
    out = {"model": headline(decisions)}
    for b in B.BASELINES:
        out[b] = headline(decisions, preds[b])
    out["_seen"] = preds["_seen"]
    return out


def protocols(decisions: list[Decision], cases: list[Case], until: dt.date | None,
              loo_decisions: list[Decision] | None = None, split_decisions: list[Decision] | None = None) -> dict:
    """In-sample, leave-one-case-out and time split, side by side.

    The baselines are fitted out of fold in the last two. ``loo_decisions``
    and ``split_decisions`` (from :func:`sim.history.calibrate`) replace the
    model's decisions with those scored by weights fitted out of fold; without
    them the model's rules are fixed and only the baselines are refitted."""
    until = until or default_until(cases)
    start = {c.case: c.start_date for c in cases}
    out = {"in_sample": compare(decisions, lambda c: decisions)}
    loo = loo_decisions if loo_decisions is not None else decisions
    out["leave_one_out"] = compare(loo, lambda c: [d for d in decisions if d.case != c])
    fit_cases = sorted(c for c, s in start.items() if s < until)
    scored = [d for d in (split_decisions if split_decisions is not None else decisions) if start[d.case] >= until]
    split = compare(scored, lambda c: [d for d in decisions if start[d.case] < until]) if scored else {}
    split.update({"until": until.isoformat(), "fit_cases": fit_cases,
                  "scored_cases": sorted({d.case for d in scored})})
    out["time_split"] = split
    return out


def verdicts(protos: dict) -> list[str]:
    """Plain sentences: where the model beats each baseline on the Brier score, where not."""
    lines = []
    for name, block in protos.items():
        if "model" not in block:
            lines.append(f"{name}: no case on or after the split date; nothing scored")
            continue
        for kind in ["overall", *sorted(block["model"]["kinds"])]:
            m = block["model"]["overall"] if kind == "overall" else block["model"]["kinds"][kind]
            if not m["decisions"]:
                continue
            beaten, not_beaten = [], []
            for b in B.BASELINES:
                o = block[b]["overall"] if kind == "overall" else block[b]["kinds"][kind]
                (beaten if m["brier"] < o["brier"] else not_beaten).append(f"{b} {o['brier']:.3f}")
            what = f"{name}, {kind} ({m['decisions']} decisions, {m['happened']} happened): model Brier {m['brier']:.3f}"
            if not not_beaten:
                lines.append(f"{what} beats every baseline ({', '.join(beaten)})")
            elif not beaten:
                lines.append(f"{what} does NOT beat any baseline ({', '.join(not_beaten)})")
            else:
                lines.append(f"{what} beats {', '.join(beaten)}; does NOT beat {', '.join(not_beaten)}")
    return lines


def _public(protos: dict) -> dict:
    return {k: {kk: vv for kk, vv in v.items() if not kk.startswith("_")} for k, v in protos.items()}


def validate(cases: list[Case], replicates: int = 200, seed: int = 0, rules: dict | None = None,
             until: dt.date | None = None) -> dict:
    """Run each case ``replicates`` times; return the per-case rows, the v1
    scores (``brier``, ``accuracy``, ``baseline_*``, ``decisions``: all
    Article 4/5/42.7 decisions, in-sample base rate) and the v2 scores:
    ``headline`` (informative decisions), ``impossible`` (listed apart),
    ``protocols`` (model beside the baselines) and ``verdicts``.

    ``rules`` (optional) replaces rule weights in every case (used by calibration).
    """
    check_replicates(replicates)
    rows, legacy, decisions = run_cases(cases, replicates, seed, rules)
    protos = protocols(decisions, cases, until)
    result = {"cases": rows, **score(legacy)}
    result.update({
        "replicates": replicates, "seed": seed,
        "headline": protos["in_sample"]["model"],
        "impossible": [{"case": d.case, "decision": d.decision, "probability": d.probability}
                       for d in decisions if d.impossible],
        "protocols": _public(protos),
        "verdicts": verdicts(protos),
    })
    result["_decisions"] = legacy
    result["_all"] = decisions
    result["_seen"] = {k: v.get("_seen", {}) for k, v in protos.items()}
    return result
