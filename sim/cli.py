"""The command line: thin; it parses arguments and calls the public API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import analyze_cli, app_cli, discover_cli, experiment_cli, history_cli, report_cli
from .errors import MAX_SEED, ConfigError, check_seed, clean

EXIT_BAD_INPUT = 2


def seed_arg(text: str, maximum: int = MAX_SEED) -> int:
    """argparse type of --seed: a whole number in [0, 2**63 - 1] (numpy's seeds are not negative)."""
    try:
        return check_seed(text, "--seed", maximum)
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
    p.add_argument("--plan", action="store_true", help="print the day's plan (its phases, in order) and exit")
    p.add_argument("--profile", action="store_true",
                   help="print the CPU time of each phase of the day over the run (or --runs runs) instead of the story")
    p.add_argument("--runs", type=int, default=1, metavar="N",
                   help="with --profile: time N runs (seeds --seed .. --seed+N-1; the batch engine runs them as one batch)")
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
    history_cli.add_parsers(sub, experiment_cli.positive_int, seed_arg)
    experiment_cli.add_parsers(sub)
    analyze_cli.add_parsers(sub, experiment_cli.positive_int, seed_arg)
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
    import pandas as pd

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
    stances = {k.split(".", 1)[1]: v for k, v in s.items() if k.startswith("stance.")}
    if stances:
        lines.append("  Non-allies' stances at the end: " + ", ".join(f"{c} {v}" for c, v in stances.items()))
    frame = result.states_frame()
    moved = frame[(frame["response_strike_day"].notna()) | (frame["response_day"].notna())]
    if len(moved):
        lines.append("  States that acted after the first event:")
        lines.append("    state  commitment          first strike  first new commitment")
        for code, row in moved.iterrows():
            fs = "" if pd.isna(row["response_strike_day"]) else f"day {row['response_strike_day']}"
            fc = "" if pd.isna(row["response_day"]) else f"day {row['response_day']}"
            lines.append(f"    {code:5}  {row['commitment']:18}  {fs:12}  {fc}")
    return "\n".join(lines)


def cmd_run(args) -> int:
    from . import run
    from .process import day as plan

    scenario = _load(args)
    if args.plan:
        print(plan.describe())
        return 0
    if args.profile:
        if args.runs < 1:
            raise ConfigError(args.scenario, "--runs", "must be a positive number of runs")
        timer = plan.profile(scenario, range(args.seed, args.seed + args.runs), engine=args.engine)
        print(f"{scenario.title}: {args.runs} run(s) of {scenario.days} days, {args.engine} engine\n")
        print(timer.table())
        return 0
    out = None
    if args.out:
        from .experiment.folders import check_output_dir
        from .outputs import RunResult

        # Refused before the run, and again (creating it) when written.
        out = check_output_dir(args.out, "run", replace=True, files=set(RunResult.FILES))
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
