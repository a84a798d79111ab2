"""One Paris 2015 run (120 days): median wall time and agent-steps per second.

Prints figures; asserts nothing (the machines are shared and noisy).

Usage: .venv/bin/python benchmarks/bench_run.py [--repeats N]
       .venv/bin/python benchmarks/bench_run.py --against REV [--rev REV2] [--rounds K] [--repeats N]

``--against REV`` measures this working tree and the code of git revision REV
side by side in one invocation: REV's ``sim/`` and ``configs/`` are exported
to a temporary folder, and each round runs the same measurements once on
each tree, in a fresh process, alternating (this tree first on even rounds,
REV first on odd ones), so that a change in the host's load falls on both.
It prints each tree's median over all rounds and their ratio. Each tree
reads its own Paris scenario and states table. ``--rev REV2`` measures
revision REV2 in place of the working tree (both exported the same way).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 2000


def timed(fn, repeats: int) -> list[float]:
    out = []
    for i in range(repeats):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


def measure(tree: Path, repeats: int, batch_repeats: int) -> dict:
    """Times every row on the code under ``tree``; per-run seconds, one list per row."""
    sys.path.insert(0, str(tree))
    import sim
    from sim.batch import run_batch, summary_rows

    if not Path(sim.__file__).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"bench_run: imported sim from {sim.__file__}, not from {tree}")
    scenario = sim.load_scenario(tree / "configs" / "scenarios" / "paris_2015.yaml")
    agents, days = len(sim.CoalitionModel(scenario, 0).agents), scenario.days
    sim.run(scenario, 0)  # warm-up
    rows = {
        "mesa engine, model only (no tables)": timed(lambda i: sim.CoalitionModel(scenario, i).run(), repeats),
        "mesa engine, with the three tables": timed(lambda i: sim.run(scenario, i), repeats),
        "batch engine, one replicate, tables": timed(lambda i: sim.run(scenario, i, engine="batch"), repeats),
    }
    for label, fn in ((f"batch engine, {BATCH:,} runs, summary dicts", run_batch),
                      (f"batch engine, {BATCH:,} runs, summary table", summary_rows)):
        times = timed(lambda i: fn([scenario] * BATCH, list(range(i * BATCH, (i + 1) * BATCH))), batch_repeats)
        rows[label] = [t / BATCH for t in times]
    return {"agent_steps": agents * days, "agents": agents, "days": days, "rows": rows}


def print_one(result: dict, repeats: int) -> None:
    steps = result["agent_steps"]
    print(f"Paris 2015: {result['agents']} state agents x {result['days']} days = {steps:,} agent-steps per run; "
          f"{repeats} repeats each (batches: 3)")
    for label, times in result["rows"].items():
        med = statistics.median(times)
        print(f"  {label:40s} median {med * 1000:8.2f} ms per run {steps / med:12,.0f} agent-steps/s")


def export(rev: str, folder: Path) -> Path:
    tree = folder / "tree"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "sim", "configs"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def short(rev: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev],
                          check=True, capture_output=True, text=True).stdout.strip()


def side_by_side(rev: str, mine: str | None, rounds: int, repeats: int, batch_repeats: int) -> None:
    commit = short(rev)
    with tempfile.TemporaryDirectory() as tmp:
        if mine is None:
            here = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                  capture_output=True, text=True).stdout.strip() or "this-tree"
            first = (here, ROOT)
        else:
            (Path(tmp) / "a").mkdir()
            first = (short(mine), export(mine, Path(tmp) / "a"))
        (Path(tmp) / "b").mkdir()
        second = commit if commit != first[0] else f"{commit} (again)"
        trees = dict([first, (second, export(rev, Path(tmp) / "b"))])
        runs: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
        for k in range(rounds):
            order = list(trees) if k % 2 == 0 else list(reversed(trees))
            for name in order:
                out = subprocess.run([sys.executable, __file__, "--worker", str(trees[name]),
                                      "--repeats", str(repeats), "--batch-repeats", str(batch_repeats)],
                                     check=True, capture_output=True, text=True).stdout
                for label, times in json.loads(out)["rows"].items():
                    runs[name].setdefault(label, []).extend(times)
            print(f"round {k + 1} of {rounds} done", file=sys.stderr)
    a, b = trees
    print(f"Paris 2015, 120 days: {rounds} alternating rounds, {repeats} runs per round "
          f"(batches of {BATCH:,}: {batch_repeats} per round); medians per run")
    print(f"  {a + ' vs ' + b:40s} {a[:22]:>22s} {b[:22]:>22s}  ratio")
    for label in runs[a]:
        ma, mb = statistics.median(runs[a][label]), statistics.median(runs[b][label])
        print(f"  {label:40s} {ma * 1000:19.2f} ms {mb * 1000:19.2f} ms  {ma / mb:5.2f}")
    print("  (ratio = first / second; below 1: the first is faster)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=30, help="single runs per row (per round with --against)")
    parser.add_argument("--batch-repeats", type=int, default=3, help="2,000-run batches per row")
    parser.add_argument("--against", metavar="REV", help="also measure git revision REV, side by side")
    parser.add_argument("--rev", metavar="REV2", help="with --against: measure REV2 instead of the working tree")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds with --against")
    parser.add_argument("--worker", metavar="TREE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(Path(args.worker), args.repeats, args.batch_repeats)))
    elif args.against:
        side_by_side(args.against, args.rev, args.rounds, args.repeats, args.batch_repeats)
    else:
        print_one(measure(ROOT, args.repeats, args.batch_repeats), args.repeats)


if __name__ == "__main__":
    main()
