"""Batch engine against Mesa engine on the same Paris 2015 runs, 2 local workers each.

Both engines run the same (scenario, seed) pairs in chunks on a process pool
and return the same flat summary rows (a test checks they are identical);
the script prints runs per second of each and their ratio, measured in one
invocation. Prints figures; asserts nothing (the machines are shared and noisy).

Usage: .venv/bin/python benchmarks/bench_engines.py [--runs 10000] [--mesa-runs 400] [--workers 2]

The Mesa engine is measured on --mesa-runs of the runs (it needs about 30 s
per 1,000 runs per worker); its rate is what the ratio uses.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

import sim
from sim.batch import summary_rows
from sim.outputs import flatten_summary

PARIS = Path(__file__).resolve().parent.parent / "configs" / "scenarios" / "paris_2015.yaml"


def batch_chunk(seeds: list[int]) -> int:
    scenario = sim.load_scenario(PARIS)
    return len(summary_rows([scenario] * len(seeds), seeds))


def mesa_chunk(seeds: list[int]) -> int:
    scenario = sim.load_scenario(PARIS)
    rows = []
    for seed in seeds:
        model = sim.CoalitionModel(scenario, seed).run()
        rows.append(flatten_summary(model.result().summary))
    return len(pd.DataFrame(rows))


def rate(fn, runs: int, chunk: int, workers: int) -> float:
    chunks = [list(range(a, min(a + chunk, runs))) for a in range(0, runs, chunk)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(fn, [[0, 1]] * workers))  # start the workers, import everything
        start = time.perf_counter()
        done = sum(pool.map(fn, chunks))
        elapsed = time.perf_counter() - start
    assert done == runs
    return runs / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--mesa-runs", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    batch = rate(batch_chunk, args.runs, 1000, args.workers)
    mesa = rate(mesa_chunk, min(args.mesa_runs, args.runs), 50, args.workers)
    print(f"Paris 2015, 120 days, {args.workers} local worker processes")
    print(f"  batch engine: {args.runs:>7,} runs  {batch:10,.0f} runs/s")
    print(f"  Mesa engine:  {min(args.mesa_runs, args.runs):>7,} runs  {mesa:10,.1f} runs/s")
    print(f"  ratio batch / Mesa: {batch / mesa:,.0f}x")


if __name__ == "__main__":
    main()
