"""The ``sweep`` verb: thin over :mod:`sim.experiment` (``analyze`` is in :mod:`sim.analyze_cli`)."""

from __future__ import annotations

import argparse
import signal
import sys
import time



def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "sweep", help="run an experiment file: a parameter sweep, in parallel, streamed to disk",
        description="Run every design point of an experiment file (replicates each) and write the results "
                    "directory: runs.parquet (a row per run), design.parquet, manifest.json, and timeseries/ "
                    "and events/ when the experiment keeps them. Finished chunks survive an interruption; "
                    "--resume runs only what is missing.",
    )
    p.add_argument("experiment", help="experiment YAML file, e.g. experiments/paris_art5_counterfactual.yaml")
    p.add_argument("--out", metavar="DIR", help="results directory (default results/<name>/)")
    p.add_argument("--workers", type=positive_int, metavar="N",
                   help="local worker processes (default: the number of cores, at most 8; 1 runs in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask distributed cluster, e.g. tcp://host:8786 (same results)")
    p.add_argument("--engine", choices=("batch", "mesa"),
                   help="batch (default, the array engine) or mesa (one agent object per state; identical results)")
    p.add_argument("--chunk-size", type=positive_int, metavar="RUNS", help="runs per job (default: chosen from the sweep's size)")
    p.add_argument("--max-runs", type=positive_int, metavar="N",
                   help="refuse a design of more than N runs before anything runs (default 10,000,000)")
    p.add_argument("--max-failures", type=int, metavar="N",
                   help="stop the sweep once more than N runs have failed (default: never; failures are kept)")
    p.add_argument("--resume", action="store_true", help="finish an interrupted sweep in DIR: run only the missing chunks")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_sweep)


class Progress:
    """A bar on a terminal (tqdm); on a pipe or a file, a plain line every
    few seconds. Off with --quiet."""

    def __init__(self, label: str, quiet: bool, stream=None):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.label = label
        self.bar = None
        self.t0 = time.monotonic()
        self.last = 0.0
        self.start_done = None

    def __call__(self, done: int, total: int) -> None:
        if self.quiet:
            return
        if self.start_done is None:
            self.start_done = done
        if self.stream.isatty():
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=total, initial=done, unit="run", desc=self.label, file=self.stream,
                                dynamic_ncols=True, smoothing=0.1)
            else:
                self.bar.update(done - self.bar.n)
            return
        now = time.monotonic()
        if done < total and now - self.last < 5 and done != self.start_done:
            return
        self.last = now
        elapsed = now - self.t0
        rate = (done - self.start_done) / elapsed if elapsed > 0 else 0.0
        left = f", about {(total - done) / rate:.0f} s left" if rate > 0 and done < total else ""
        print(f"{self.label}: {done:,}/{total:,} runs ({100 * done / max(total, 1):.0f}%), {rate:,.0f} runs/s{left}",
              file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


# Rough runs per second per worker for a 60-day horizon, for the first line's
# estimate only: the Paris scenario (120 days) runs at about 1,000 a second
# per worker on the batch engine and 15 on Mesa's (2026-12-04, bench_sweep.py
# and bench_engines.py measure them).
RATE_PER_WORKER = {"batch": 2000.0, "mesa": 30.0}


def cmd_sweep(args) -> int:
    import os
    from pathlib import Path

    from .experiment import check_size, default_chunk_size, load_experiment, sweep

    loaded = load_experiment(args.experiment)
    exp = loaded.experiment
    total = check_size(loaded, args.max_runs)
    engine = args.engine or exp.engine
    workers = args.workers or min(os.cpu_count() or 1, 8)
    size = args.chunk_size or exp.chunk_size or default_chunk_size(total, workers, engine)
    estimate = total / (RATE_PER_WORKER[engine] * (1 if args.scheduler else workers)) * (exp.days or 60) / 60
    if not args.quiet:
        print(f"{exp.name}: {total:,} runs in {-(-total // size):,} chunks of up to {size:,}; "
              f"roughly {estimate:,.0f} s{'' if args.scheduler else f' on {workers} local workers'}", flush=True)
    progress = Progress(exp.name, args.quiet)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        report = sweep(loaded, args.out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                       engine=args.engine, chunk_size=args.chunk_size, progress=progress, max_runs=args.max_runs,
                       max_failures=args.max_failures)
    except KeyboardInterrupt:
        progress.close()
        out = Path(args.out or f"results/{exp.name}")
        if (out / "manifest.json").is_file():
            print(f"coalition-sim: sweep interrupted; finished chunks are kept in {out}; "
                  f"run the same command with --resume to finish it", file=sys.stderr)
        else:
            print("coalition-sim: sweep interrupted before it began; nothing was kept", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    progress.close()
    if not args.quiet:
        if report.ran_chunks == 0 and report.seconds == 0:
            print(f"{report.out}: already complete ({report.runs:,} runs)")
        else:
            failed = f"; {report.failed:,} runs failed (see {report.out}/failures/)" if report.failed else ""
            print(f"Wrote {report.out}/runs.parquet: {report.runs - report.failed:,} of {report.runs:,} runs; "
                  f"{report.ran_chunks} of {report.chunks} chunks run now on {report.backend} in {report.seconds:.1f} s"
                  f"{failed}")
    return 1 if report.failed else 0

