"""One Paris 2015 run (120 days): median wall time and agent-steps per second.

Prints figures; asserts nothing (the machines are shared and noisy).
Usage: .venv/bin/python benchmarks/bench_run.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import sim
from sim.batch import run_batch, summary_rows

PARIS = Path(__file__).resolve().parent.parent / "configs" / "scenarios" / "paris_2015.yaml"


def timed(fn, repeats: int) -> list[float]:
    out = []
    for i in range(repeats):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    scenario = sim.load_scenario(PARIS)
    model = sim.CoalitionModel(scenario, 0)
    agents, days = len(model.agents), scenario.days
    sim.run(scenario, 0)  # warm-up
    rows = [
        ("mesa engine, model only (no tables)", lambda i: sim.CoalitionModel(scenario, i).run()),
        ("mesa engine, with the three tables", lambda i: sim.run(scenario, i)),
        ("batch engine, one replicate, tables", lambda i: sim.run(scenario, i, engine="batch")),
    ]
    print(f"Paris 2015: {agents} state agents x {days} days = {agents * days:,} agent-steps per run; "
          f"{args.repeats} repeats each")
    for label, fn in rows:
        times = timed(fn, args.repeats)
        med = statistics.median(times)
        print(f"  {label:40s} median {med * 1000:7.1f} ms   {agents * days / med:10,.0f} agent-steps/s")
    batch = 2000
    for label, fn in (("batch engine, 2,000 runs, summary dicts", run_batch),
                      ("batch engine, 2,000 runs, summary table", summary_rows)):
        times = timed(lambda i: fn([scenario] * batch, list(range(i * batch, (i + 1) * batch))), 3)
        dt = statistics.median(times)
        print(f"  {label:40s} {dt / batch * 1000:7.2f} ms per run {agents * days * batch / dt:10,.0f} agent-steps/s")


if __name__ == "__main__":
    main()
