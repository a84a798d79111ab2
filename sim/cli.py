"""The command line: thin; it parses arguments and calls the public API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import analyze_cli, app_cli, discover_cli, experiment_cli, report_cli
from .errors import ConfigError, check_seed, clean

EXIT_BAD_INPUT = 2


def seed_arg(text: str) -> int:
    """argparse type of --seed: a whole number in [0, 2**63 - 1] (numpy's seeds are not negative)."""
    try:
        return check_seed(text, "--seed")
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def set_arg(text: str) -> str:
    """argparse type of --set: KEY=VALUE, the key and value within the loader's bounds (checked again on load)."""
    from .scenario import parse_set

    try:
        parse_set(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--set: ")) from None
    return text


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line with exit status 2."""

    def error(self, message):  # noqa: D102
        message = clean(message, 300)
        sys.stderr.write(f"coalition-sim: {message} (see 'coalition-sim {self.prog.split()[-1]} --help')\n"
                         if " " in self.prog else f"coalition-sim: {message} (see --help)\n")
        raise SystemExit(EXIT_BAD_INPUT)


def _add_run(sub):
    p = sub.add_parser(
        "run", help="run a scenario once and print its story",
        description="Run a scenario file once: print the narrative (one sentence per decision) and a "
                    "summary table, or the summary as JSON.",
    )
    p.add_argument("scenario", help="scenario YAML file, e.g. configs/scenarios/paris_2015.yaml")
    p.add_argument("--seed", type=seed_arg, default=0, help="run seed (default 0): the same seed gives the same run")
    p.add_argument("--days", type=int, help="override the scenario's horizon (days)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", type=set_arg,
                   help="set any scenario value by dotted path, e.g. overrides.DNK.public_support=0.3, "
                        "rules.art5_decision=majority, events.0.deaths=500 (repeatable)")
    p.add_argument("--engine", choices=("mesa", "batch"), default="mesa",
                   help="mesa (default): step Mesa agents; batch: the array engine (identical results)")
    p.add_argument("--out", metavar="DIR", help="write timeseries.parquet, events.parquet, summary.json to DIR")
    p.add_argument("--json", action="store_true", help="print only the summary, as one JSON object")
    p.set_defaults(func=cmd_run)


def _add_check(sub):
    p = sub.add_parser("check", help="validate config files (scenarios, experiments, historical cases)",
                       description="Validate scenario, experiment and case files; print 'ok' per file or one "
                                   "line per error (exit status 2 if any is bad).")
    p.add_argument("files", nargs="+", help="YAML files to check")
    p.set_defaults(func=cmd_check)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="coalition-sim",
        description="coalition-sim: an agent-based simulation (Mesa) of how states decide together after "
                    "an attack: NATO Articles 4 and 5, the EU's Article 42.7, the UN Security Council, "
                    "parliaments, strike coalitions, and a non-ally's stance.",
        epilog="Bad input exits with status 2 and one line naming the file and the key.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    _add_run(sub)
    _add_check(sub)
    _add_validate(sub)
    _add_calibrate(sub)
    experiment_cli.add_parsers(sub)
    analyze_cli.add_parsers(sub)
    discover_cli.add_parsers(sub)
    report_cli.add_parsers(sub)
    app_cli.add_parsers(sub)
    return parser


def _load(args):
    from . import load_scenario

    sets = list(args.sets)
    if args.days is not None:
        sets.append(f"days={args.days}")
    return load_scenario(args.scenario, sets)


def _summary_table(result) -> str:
    s = result.summary
    lines = [
        f"Scenario {s['scenario']} (seed {s['seed']}, {s['days']} days, rules {s['preset']}, "
        f"Article 5 by {s['art5_decision']})",
        f"  Article 4 requested by: {', '.join(f'{x['state']} (day {x['day']})' for x in s['article4_requests']) or 'nobody'}",
        f"  Article 5 invoked: {'yes, day ' + str(s['article5_day']) if s['article5_invoked'] else 'no'}",
        f"  EU 42.7 invoked: {'yes, day ' + str(s['eu_42_7_day']) if s['eu_42_7_invoked'] else 'no'}",
        f"  UN resolution: {'day ' + str(s['un_resolution_day']) if s['un_resolution_day'] is not None else 'none'}",
        f"  Coalition: {s['coalition_size']} states contributing, {s['strike_coalition_size']} striking, "
        f"{s['strike_capacity']} strike aircraft committed",
    ]
    if s["russia_stance"] is not None:
        lines.append(f"  Russia's stance at the end: {s['russia_stance']}")
    frame = result.states_frame()
    moved = frame[(frame["first_strike_day"].notna()) | (frame["first_commitment_day"].notna())]
    if len(moved):
        lines.append("  States that acted after the first event:")
        lines.append("    state  commitment          first strike  first new commitment")
        for code, row in moved.iterrows():
            fs = "" if row["first_strike_day"] is None or str(row["first_strike_day"]) == "<NA>" else f"day {row['first_strike_day']}"
            fc = "" if str(row["first_commitment_day"]) == "<NA>" else f"day {row['first_commitment_day']}"
            lines.append(f"    {code:5}  {row['commitment']:18}  {fs:12}  {fc}")
    return "\n".join(lines)


def cmd_run(args) -> int:
    from . import run

    scenario = _load(args)
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not out.is_dir():
        raise ConfigError(str(out), None, "--out must be a directory")
    result = run(scenario, seed=args.seed, engine=args.engine)
    if out is not None:
        result.write(out)
    if args.json:
        print(json.dumps(result.summary))
        return 0
    print(f"{scenario.title}\n")
    for line in result.narrative():
        print(line)
    print()
    print(_summary_table(result))
    if out is not None:
        print(f"\nWrote {out}/timeseries.parquet, events.parquet, summary.json")
    return 0


def check_file(path: str) -> str:
    """Validate one config file of any kind; return its kind, or raise ConfigError."""
    from .history import is_case_file, load_case
    from .scenario import load_scenario, read_yaml

    data, _ = read_yaml(path)
    if is_case_file(data):
        load_case(path)
        return "case"
    if isinstance(data, dict) and "design" in data:
        from .experiment import load_experiment

        load_experiment(path)
        return "experiment"
    load_scenario(path)
    return "scenario"


def cmd_check(args) -> int:
    failed = 0
    for f in args.files:
        try:
            kind = check_file(f)
            print(f"{f}: ok ({kind})")
        except ConfigError as exc:
            print(f"coalition-sim: {exc}", file=sys.stderr)
            failed += 1
    return EXIT_BAD_INPUT if failed else 0


def _add_validate(sub):
    p = sub.add_parser(
        "validate", help="score the model against historical cases",
        description="Run each historical case N times and compare the model's probabilities of Article 4 "
                    "requests (per member state), Article 5 and EU 42.7 with what happened: Brier score and "
                    "accuracy, against a base-rate baseline.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="case files or folders (default: configs/history/)")
    p.add_argument("--replicates", type=int, default=200, help="runs per case (default 200)")
    p.add_argument("--seed", type=seed_arg, default=0, help="master seed (default 0)")
    p.add_argument("--rules", metavar="PRESET", help="score under this rules preset (a theory lens, e.g. realist) "
                                                     "instead of each case's own rules")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.set_defaults(func=cmd_validate)


def cmd_validate(args) -> int:
    from .history import case_paths, load_case, validate
    from .scenario import load_preset

    if args.replicates < 1:
        raise ConfigError("--replicates", None, "must be at least 1")
    cases = [load_case(p) for p in case_paths(args.paths)]
    rules = load_preset(args.rules, "--rules", "") if args.rules else None
    result = validate(cases, replicates=args.replicates, seed=args.seed, rules=rules)
    decisions = result.pop("_decisions")
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'case':14} {'decision':16} {'predicted':>9}  {'observed':8}  result")
    for d in decisions:
        if d.kind == "article4" and d.probability < 0.005 and not d.observed:
            continue
        hit = "hit" if (d.probability >= 0.5) == d.observed else "miss"
        print(f"{d.case:14} {d.decision:16} {d.probability:9.3f}  {str(d.observed).lower():8}  {hit}")
    print("(Article 4 rows with p < 0.005 that did not happen are not listed; all are scored.)")
    print(f"\nDecisions scored: {result['decisions']} over {len(cases)} cases, {args.replicates} runs each")
    print(f"Brier score: model {result['brier']:.4f}, base-rate baseline {result['baseline_brier']:.4f} (lower is better)")
    print(f"Accuracy:    model {result['accuracy']:.3f}, base-rate baseline {result['baseline_accuracy']:.3f}")
    return 0


def _add_calibrate(sub):
    p = sub.add_parser(
        "calibrate", help="fit a few global rule weights on historical cases",
        description="Fit the calibrated weights (see docs/ODD.md) on the cases by a Latin hypercube and "
                    "refinement, report in-sample and leave-one-case-out scores, and write a rules preset.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="case files or folders (default: configs/history/)")
    p.add_argument("--out", default="configs/presets/calibrated.yaml", metavar="FILE",
                   help="preset file to write (default configs/presets/calibrated.yaml)")
    p.add_argument("--points", type=int, default=40, help="hypercube points per round (default 40)")
    p.add_argument("--replicates", type=int, default=40, help="runs per case per point while fitting (default 40)")
    p.add_argument("--rounds", type=int, default=2, help="refinement rounds (default 2)")
    p.add_argument("--seed", type=seed_arg, default=0, help="master seed (default 0)")
    p.add_argument("--workers", type=experiment_cli.positive_int, default=None, metavar="N",
                   help="local worker processes scoring the points (default: the cores, at most 8)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="score the points on a Dask cluster instead")
    p.add_argument("--no-leave-one-out", action="store_true", help="skip the leave-one-case-out scores")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args) -> int:
    from .history import calibrate, case_paths, load_case, write_preset

    for name in ("points", "replicates"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name}", None, "must be at least 1")
    if args.rounds < 0:
        raise ConfigError("--rounds", None, "must be at least 0")
    cases = [load_case(p) for p in case_paths(args.paths)]

    def progress(round_, k, value, best):
        if not args.quiet and (k + 1) % 10 == 0:
            print(f"  round {round_}: {k + 1} points, best Brier {best:.4f}", file=sys.stderr, flush=True)

    result = calibrate(cases, points=args.points, replicates=args.replicates, seed=args.seed, refine=args.rounds,
                       leave_one_out=not args.no_leave_one_out, progress=progress, workers=args.workers,
                       scheduler=args.scheduler)
    path = write_preset(args.out, result, cases)
    print("Fitted weights: " + ", ".join(f"{k}={v}" for k, v in result["weights"].items()))
    for label, key in (("In-sample", "in_sample"), ("Leave-one-case-out", "leave_one_out")):
        if key in result:
            r = result[key]
            print(f"{label}: Brier {r['brier']:.4f} (base rate {r['baseline_brier']:.4f}), "
                  f"accuracy {r['accuracy']:.3f} (base rate {r['baseline_accuracy']:.3f}), {r['decisions']} decisions")
    print(f"Wrote {path}")
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"coalition-sim: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("coalition-sim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
