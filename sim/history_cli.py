"""The `validate` and `calibrate` verbs: thin over sim.history."""

from __future__ import annotations

import datetime as dt
import json
import shlex
import sys

from .errors import ConfigError


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError("--until", None, f"'{value}' is not a date (YYYY-MM-DD)") from None


def add_parsers(sub, positive_int, seed_type=int):
    p = sub.add_parser(
        "validate", help="score the model against historical cases",
        description="Run each historical case N times and score every observable of its record (Article 4 "
                    "requests, Article 5, EU 42.7, UN resolutions, commitments, votes, stances): Brier score "
                    "for yes/no at the horizon, ranked probability score over days, over the informative "
                    "decisions, beside out-of-fold baselines (base rate, nothing happens, logistic regression), "
                    "in-sample, leave-one-case-out and by a time split.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="case files or folders (default: configs/history/)")
    p.add_argument("--replicates", type=int, default=200, help="runs per case (default 200, at most 10,000)")
    p.add_argument("--seed", type=seed_type, default=0, help="master seed (default 0)")
    p.add_argument("--rules", metavar="PRESET", help="score under this rules preset (a theory lens, e.g. realist) "
                                                     "instead of each case's own rules")
    p.add_argument("--until", metavar="DATE", help="time split: baselines fitted on cases starting before DATE, "
                                                   "cases on or after it scored (default: the median start date)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument("--report", metavar="DIR", help="also write an HTML report with figures to DIR (new or empty)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "calibrate", help="fit a few global rule weights on historical cases",
        description="Fit the calibrated weights (see docs/ODD.md) on the cases by a Latin hypercube and "
                    "refinement, with several restarts (the spread of each weight is reported); score "
                    "in-sample, leave-one-case-out and by a time split; write a rules preset.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="case files or folders (default: configs/history/)")
    p.add_argument("--out", default="configs/presets/calibrated.yaml", metavar="FILE",
                   help="preset file to write (default configs/presets/calibrated.yaml)")
    p.add_argument("--points", type=int, default=40, help="hypercube points per round (default 40, at most 1,000)")
    p.add_argument("--replicates", type=int, default=40, help="runs per case per point while fitting (default 40)")
    p.add_argument("--score-replicates", type=int, default=200, help="runs per case when scoring fits (default 200)")
    p.add_argument("--rounds", type=int, default=2, help="refinement rounds (default 2)")
    p.add_argument("--restarts", type=int, default=3, help="independent restarts of the fit (default 3, at most 20)")
    p.add_argument("--seed", type=seed_type, default=0, help="master seed (default 0)")
    p.add_argument("--until", metavar="DATE", help="time split: fit on cases before DATE, score those on or after "
                                                   "(default: the median start date)")
    p.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help="local worker processes scoring the points (default: the cores, at most 8)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="score the points on a Dask cluster instead")
    p.add_argument("--no-leave-one-out", action="store_true", help="skip the leave-one-case-out fits")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_calibrate)


def _print_scores(protos: dict):
    names = [n for n in ("in_sample", "leave_one_out", "time_split") if n in protos and "model" in protos[n]]
    print(f"\n{'observable':14} {'forecaster':10} " + " ".join(f"{n + ' Brier (n)':>24}" for n in names))
    kinds = sorted({k for n in names for k in protos[n]["model"]["kinds"]})
    for kind in ["overall", *kinds]:
        for who in ("model", "base_rate", "nothing", "logistic"):
            cells = []
            for n in names:
                blk = protos[n][who]
                s = blk["overall"] if kind == "overall" else blk["kinds"].get(kind)
                cells.append(f"{s['brier']:.4f} ({s['decisions']})" if s and s["decisions"] else "")
            print(f"{kind:14} {who:10} " + " ".join(f"{c:>24}" for c in cells))


def cmd_validate(args) -> int:
    from .history import load_cases, validate
    from .history.report import check_out_dir, write_report
    from .history.validate import check_replicates
    from .scenario import load_preset

    check_replicates(args.replicates)
    until = _date(args.until) if args.until else None
    if args.report:
        check_out_dir(args.report)
    cases = load_cases(args.paths)
    rules = load_preset(args.rules, "--rules", "") if args.rules else None
    result = validate(cases, replicates=args.replicates, seed=args.seed, rules=rules, until=until)
    if args.report:
        result["note"] = ("The model's rules are fixed here (each case's own rules, or --rules): in the "
                          "leave-one-out and time-split columns only the baselines are refitted; for the model "
                          "fitted out of fold see `coalition-sim calibrate`.")
        index = write_report(args.report, result, cases)
    decisions = result.pop("_all")
    for key in [k for k in result if k.startswith("_")]:
        result.pop(key)
    if args.json:
        result.pop("note", None)
        print(json.dumps(result))
        return 0
    print(f"{'case':14} {'decision':34} {'predicted':>9}  {'observed':8}  result")
    for d in decisions:
        if d.impossible:
            continue
        hit = "hit" if (d.probability >= 0.5) == d.observed else "miss"
        print(f"{d.case:14} {d.decision:34} {d.probability:9.3f}  {str(d.observed).lower():8}  {hit}")
    h = result["headline"]
    print(f"\n{h['impossible']} decisions impossible under the rules (p < 0.005, did not happen) are listed apart "
          f"(--json: 'impossible') and not scored in the headline.")
    o = h["overall"]
    rps = f", day RPS {o['rps_days']:.4f} over {o['dated']} dated" if o["rps_days"] is not None else ""
    print(f"Headline: {o['decisions']} informative decisions over {len(cases)} cases, {args.replicates} runs each: "
          f"Brier {o['brier']:.4f}{rps}")
    _print_scores(result["protocols"])
    print("\nModel rules fixed: in leave_one_out and time_split only the baselines are refitted "
          "(the model fitted out of fold: `coalition-sim calibrate`).")
    for line in result["verdicts"]:
        print("  " + line)
    print(f"\nv1 score (all {result['decisions']} Article 4/5/42.7 decisions, padded by impossible ones): "
          f"Brier {result['brier']:.4f}, in-sample base rate {result['baseline_brier']:.4f}")
    if args.report:
        print(f"Wrote {index}")
    return 0


def canonical_command(args) -> str:
    """The calibrate command with every option that changes the result spelled out."""
    parts = ["coalition-sim", "calibrate", *(args.paths or [])]
    parts += ["--points", args.points, "--replicates", args.replicates, "--score-replicates", args.score_replicates,
              "--rounds", args.rounds, "--restarts", args.restarts, "--seed", args.seed]
    if args.until:
        parts += ["--until", args.until]
    if args.no_leave_one_out:
        parts.append("--no-leave-one-out")
    parts += ["--out", args.out]
    return " ".join(shlex.quote(str(x)) for x in parts)


def cmd_calibrate(args) -> int:
    from .history import calibrate, load_cases, write_preset
    from .history.calibrate import MAX_RESTARTS, check_points
    from .history.validate import check_replicates

    check_points(args.points)
    check_replicates(args.replicates)
    check_replicates(args.score_replicates, "--score-replicates")
    if args.rounds < 0:
        raise ConfigError("--rounds", None, "must be at least 0")
    if not 1 <= args.restarts <= MAX_RESTARTS:
        raise ConfigError("--restarts", None, f"must be between 1 and {MAX_RESTARTS}")
    until = _date(args.until) if args.until else None
    cases = load_cases(args.paths)

    def progress(restart, round_, k, value, best):
        if not args.quiet and (k + 1) % 10 == 0:
            print(f"  restart {restart} round {round_}: {k + 1} points, best {best:.4f}", file=sys.stderr, flush=True)

    result = calibrate(cases, points=args.points, replicates=args.replicates, seed=args.seed, refine=args.rounds,
                       score_replicates=args.score_replicates, leave_one_out=not args.no_leave_one_out,
                       progress=progress, workers=args.workers, scheduler=args.scheduler, restarts=args.restarts,
                       until=until)
    command = canonical_command(args)
    path = write_preset(args.out, result, cases, command)
    print("Fitted weights: " + ", ".join(f"{k}={v}" for k, v in result["weights"].items()))
    for name, s in result["spread"].items():
        flag = "" if s["pinned"] is None else ("pinned" if s["pinned"] else "NOT pinned down")
        print(f"  {name:18} restarts {s['min']:8.3f} .. {s['max']:8.3f}  ({s['share_of_range']:.0%} of range) {flag}")
    if result["not_pinned"]:
        print(f"Not pinned down by these cases: {', '.join(result['not_pinned'])}")
    for label, key in (("In-sample", "in_sample"), ("Leave-one-case-out", "leave_one_out")):
        if key in result:
            r = result[key]
            print(f"{label}: Brier {r['brier']:.4f} over {r['decisions']} informative decisions")
    for line in result["verdicts"]:
        print("  " + line)
    print(f"Wrote {path}")
    return 0
