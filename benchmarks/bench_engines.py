"""Batch engine against Mesa engine on the same 10,000-run Paris 2015 sweep, 2 local workers each.

Both engines run the same experiment (the Paris scenario, 10,000 replicates,
all summary outputs) through the sweep machinery (``sim.sweep``: chunks on a
process pool, results written to Parquet), on one pool of worker processes
started and warmed up before the clock starts. The two results are checked
to be identical, row for row. Prints runs per second of each engine and
their ratio, measured in one invocation; asserts no time (the machines are
shared and noisy).

Usage: .venv/bin/python benchmarks/bench_engines.py [--runs 10000] [--mesa-runs N] [--workers 2]

--mesa-runs measures the Mesa engine on the first N runs only (quicker; the
ratio then compares rates, and only those N runs are compared for identity).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

import sim
from sim.experiment import _worker_init

PARIS = Path(__file__).resolve().parent.parent / "configs" / "scenarios" / "paris_2015.yaml"


def experiment(folder: Path, runs: int) -> Path:
    path = folder / f"bench_{runs}.yaml"
    path.write_text(f"name: bench_{runs}\nscenario: {PARIS}\nreplicates: {runs}\nseed: 2015\n"
                    "design:\n  kind: grid\n  parameters:\n    rules.art5_decision: [consensus]\n")
    return path


def _warm(_):
    import sim.batch  # noqa: F401 - imports everything a chunk needs

    return 0


def timed_sweep(path: Path, out: Path, engine: str, pool, chunk: int) -> tuple[float, pd.DataFrame]:
    start = time.perf_counter()
    sim.sweep(path, out, engine=engine, executor=pool, chunk_size=chunk)
    elapsed = time.perf_counter() - start
    return elapsed, pd.read_parquet(out / "runs.parquet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--mesa-runs", type=int, help="Mesa engine on the first N runs only (default: all)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    mesa_runs = min(args.mesa_runs or args.runs, args.runs)
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(
            args.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init,
            initargs=(os.getpid(),)) as pool:
        tmp = Path(tmp)
        list(pool.map(_warm, range(args.workers * 2)))
        batch_s, batch = timed_sweep(experiment(tmp, args.runs), tmp / "batch", "batch", pool, 1000)
        mesa_s, mesa = timed_sweep(experiment(tmp, mesa_runs), tmp / "mesa", "mesa", pool, 50)
    # The Mesa sweep's runs are the batch sweep's first runs (same master seed, same run ids).
    same = batch.head(mesa_runs).drop(columns=["scenario"]).equals(mesa.drop(columns=["scenario"]))
    batch_rate, mesa_rate = args.runs / batch_s, mesa_runs / mesa_s
    print(f"Paris 2015, 120 days, {args.workers} local worker processes, sweep to Parquet (sim.sweep)")
    print(f"  batch engine: {args.runs:>7,} runs in {batch_s:7.1f} s  {batch_rate:10,.0f} runs/s")
    print(f"  Mesa engine:  {mesa_runs:>7,} runs in {mesa_s:7.1f} s  {mesa_rate:10,.1f} runs/s")
    print(f"  ratio batch / Mesa: {batch_rate / mesa_rate:,.0f}x")
    print(f"  identical results on the {mesa_runs:,} runs both made: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
