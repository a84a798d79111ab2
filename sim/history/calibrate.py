"""calibrate: fit a few global rule weights on cases, with restarts (and the
spread of each weight over them), in-sample, leave-one-case-out and by a
time split; write the fitted weights as a rules preset."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .cases import Case
from .scoring import brier, rps_days
from .validate import default_until, protocols, run_cases, verdicts, _public

# The global weights fitted on the cases, with their search ranges. They are
# few and general: how readily a threatened member asks for consultations
# (and how much threats from states count), how readily a victim asks for
# Article 5 or EU 42.7 (and how much severity counts), and the weight of
# autonomy. No weight names a state or a case.
CALIBRATED_WEIGHTS: dict[str, tuple[float, float]] = {
    "art4_bias": (-6.0, 0.0),
    "art4_state_threat": (0.0, 14.0),
    "art5_bias": (-8.0, 0.0),
    "art5_severity": (0.0, 10.0),
    "eu427_bias": (-6.0, 0.0),
    "autonomy_weight": (0.0, 6.0),
}
MAX_POINTS = 1_000  # calibrate --points above this are refused
MAX_RESTARTS = 20
# A weight is "not pinned down" when its restarts spread over more than this
# share of its search range.
PINNED_SHARE = 0.25


def check_points(n: int) -> None:
    if not 1 <= int(n) <= MAX_POINTS:
        raise ConfigError("--points", None, f"must be between 1 and {MAX_POINTS:,} (got {n})")


def objective(decisions) -> float:
    """What the fit minimises: the Brier score over every yes/no decision plus
    the mean day RPS over the dated ones (both proper scores)."""
    b = brier([d.probability for d in decisions], [d.observed for d in decisions])
    dated = [d for d in decisions if d.has_day]
    r = float(np.mean([rps_days(d.day_probs, d.observed_day, d.horizon) for d in dated])) if dated else 0.0
    return b + r


def _objective(cases, weights: dict, replicates: int, seed: int, indices=None) -> float:
    _, _, decisions = run_cases(cases, replicates, seed, weights, indices)
    return objective(decisions)


def fit(cases: list[Case], points: int = 40, replicates: int = 40, seed: int = 0, refine: int = 2,
        progress=None, executor=None, indices=None) -> tuple[dict, float]:
    """One restart: a Latin hypercube over the ranges, then ``refine`` rounds
    of a smaller hypercube around the best point (half the width each round).
    The points of a round are scored on ``executor`` (the sweep's executors)
    or here; the result is the same either way."""
    from scipy.stats import qmc

    from ..experiment import InlineExecutor

    executor = executor or InlineExecutor()
    names = list(CALIBRATED_WEIGHTS)
    lo = np.array([CALIBRATED_WEIGHTS[n][0] for n in names])
    hi = np.array([CALIBRATED_WEIGHTS[n][1] for n in names])
    best, best_score = None, np.inf
    centre, width = (lo + hi) / 2, hi - lo
    for round_ in range(refine + 1):
        sampler = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng([seed, round_]))
        low = np.maximum(lo, centre - width / 2)
        high = np.minimum(hi, centre + width / 2)
        candidates = qmc.scale(sampler.random(points), low, high)
        if best is not None:
            candidates[0] = [best[n] for n in names]
        trials = [{n: float(round(v, 3)) for n, v in zip(names, row)} for row in candidates]
        futures = [executor.submit(_objective, cases, weights, replicates, seed, indices) for weights in trials]
        for k, (weights, future) in enumerate(zip(trials, futures)):
            value = future.result()
            if value < best_score:
                best, best_score = weights, value
            if progress:
                progress(round_, k, value, best_score)
        centre, width = np.array([best[n] for n in names]), width / 2
    return best, best_score


def restart_seed(seed: int, k: int) -> int:
    return int(np.random.SeedSequence([int(seed), 7919, int(k)]).generate_state(1)[0])


def fit_restarts(cases, points, replicates, seed, refine, restarts, progress=None, executor=None, indices=None):
    """Several restarts (different hypercubes); the best fit, every fit, and
    the spread of each weight over them."""
    fits = []
    for k in range(restarts):
        w, s = fit(cases, points, replicates, restart_seed(seed, k) if k else seed, refine,
                   (lambda r, i, v, b, k=k: progress(k, r, i, v, b)) if progress else None, executor, indices)
        fits.append({"weights": w, "objective": s})
    best = min(fits, key=lambda f: f["objective"])
    spread = {}
    for name, (lo, hi) in CALIBRATED_WEIGHTS.items():
        vals = [f["weights"][name] for f in fits]
        share = (max(vals) - min(vals)) / (hi - lo)
        spread[name] = {"min": min(vals), "max": max(vals), "sd": float(np.std(vals)), "share_of_range": round(share, 3),
                        "pinned": bool(restarts > 1 and share <= PINNED_SHARE) if restarts > 1 else None}
    return best, fits, spread


def calibrate(cases: list[Case], points: int = 40, replicates: int = 40, seed: int = 0, refine: int = 2,
              score_replicates: int = 200, leave_one_out: bool = True, progress=None, workers: int = 1,
              scheduler: str | None = None, restarts: int = 3, until: dt.date | None = None) -> dict:
    """Fit on all cases (in-sample), on all but each case (leave-one-case-out:
    the held-out case scored with weights that never saw it) and on the cases
    before ``until`` (time split: scored on those on or after it)."""
    from ..experiment import open_backend

    check_points(points)
    if not 1 <= restarts <= MAX_RESTARTS:
        raise ConfigError("--restarts", None, f"must be between 1 and {MAX_RESTARTS}")
    backend = open_backend(workers, scheduler)
    try:
        return _calibrate(cases, points, replicates, seed, refine, score_replicates, leave_one_out, progress,
                          backend.executor, restarts, until)
    finally:
        backend.executor.shutdown(wait=True, cancel_futures=True)
        if backend.close:
            backend.close()


def _calibrate(cases, points, replicates, seed, refine, score_replicates, leave_one_out, progress, executor,
               restarts, until) -> dict:
    best, fits, spread = fit_restarts(cases, points, replicates, seed, refine, restarts, progress, executor)
    weights = best["weights"]
    _, _, decisions = run_cases(cases, score_replicates, seed + 1, weights)
    loo_decisions = None
    held_out_seen: dict[str, list[str]] = {}
    if leave_one_out and len(cases) > 1:
        loo_decisions = []
        for i, case in enumerate(cases):
            others = cases[:i] + cases[i + 1:]
            idx = [j for j in range(len(cases)) if j != i]
            w_i, _ = fit(others, points, replicates, seed, refine, executor=executor, indices=idx)
            held_out_seen[case.case] = [c.case for c in others]
            loo_decisions += run_cases([case], score_replicates, seed + 1, w_i, [i])[2]
    until = until or default_until(cases)
    before = [i for i, c in enumerate(cases) if c.start_date < until]
    after = [i for i, c in enumerate(cases) if c.start_date >= until]
    split_decisions, split_weights = None, None
    if before and after:
        split_weights, _ = fit([cases[i] for i in before], points, replicates, seed, refine, executor=executor,
                               indices=before)
        split_decisions = run_cases([cases[i] for i in after], score_replicates, seed + 1, split_weights, after)[2]
    protos = protocols(decisions, cases, until, loo_decisions, split_decisions)
    if loo_decisions is None:
        protos.pop("leave_one_out")
    if split_decisions is None:
        protos["time_split"] = {"until": until.isoformat(), "note": "no cases on both sides of the date"}
    ins = protos["in_sample"]["model"]["overall"]
    result = {
        "weights": weights, "objective": best["objective"], "restarts": fits, "spread": spread,
        "not_pinned": [n for n, s in spread.items() if s["pinned"] is False],
        "time_split_weights": split_weights, "held_out_fits_saw": held_out_seen,
        "protocols": _public(protos), "verdicts": verdicts({k: v for k, v in protos.items() if "model" in v}),
        "in_sample": {"brier": ins["brier"], "rps_days": ins["rps_days"], "decisions": ins["decisions"]},
        "_decisions": decisions,
    }
    if "leave_one_out" in protos:
        loo = protos["leave_one_out"]["model"]["overall"]
        result["leave_one_out"] = {"brier": loo["brier"], "rps_days": loo["rps_days"], "decisions": loo["decisions"]}
    return result


def write_preset(path: str | Path, result: dict, cases: list[Case], command: str = "") -> Path:
    """Write fitted weights as a rules preset, with the command and the scores as comments."""
    import os
    import tempfile

    path = Path(path)
    lines = [
        "# Calibrated rules: the baseline with a few global weights fitted on historical",
        f"# cases ({', '.join(c.case for c in cases)}) by `coalition-sim calibrate`",
        "# (Latin hypercube then refinement, several restarts, minimising Brier + day RPS).",
        f"# Reproduce exactly: {command}" if command else "# Reproduce: see README, History.",
    ]
    p = result["protocols"]
    for name in ("in_sample", "leave_one_out", "time_split"):
        if name in p and "model" in p[name]:
            m, br = p[name]["model"]["overall"], p[name]["base_rate"]["overall"]
            fold = "in-sample" if name == "in_sample" else "out of fold"
            lines.append(f"# {name}: model Brier {m['brier']:.4f} over {m['decisions']} informative decisions; "
                         f"baselines {fold}: base rate {br['brier']:.4f}, nothing {p[name]['nothing']['overall']['brier']:.4f}, "
                         f"logistic {p[name]['logistic']['overall']['brier']:.4f}")
    for name, s in result["spread"].items():
        flag = "" if s["pinned"] is None else (" pinned" if s["pinned"] else " NOT pinned down")
        lines.append(f"# {name}: restarts {s['min']}..{s['max']}{flag}")
    lines.append("base: baseline")
    lines += [f"{k}: {v}" for k, v in result["weights"].items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return path
