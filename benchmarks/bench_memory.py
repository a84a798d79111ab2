"""Peak memory of a million-run sweep of the Paris scenario, summary outputs only.

Runs ``coalition-sim sweep`` (batch engine, 2 local workers by default) in a
child process on an experiment of --runs replicates of the Paris 2015
scenario, and samples the resident memory (RSS, from /proc) of the sweep and
of all its worker processes every 0.2 s. Prints the peak of their sum, the
peak of the main process and of the largest worker, the time, the rate and
the size of runs.parquet. Asserts nothing.

Usage: .venv/bin/python benchmarks/bench_memory.py [--runs 1000000] [--workers 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PARIS = Path(__file__).resolve().parent.parent / "configs" / "scenarios" / "paris_2015.yaml"
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    except OSError:
        pass
    return out + [g for c in out for g in children(c)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", metavar="DIR", help="write the results here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        exp = Path(tmp) / "million.yaml"
        exp.write_text(f"name: million\nscenario: {PARIS}\nreplicates: {args.runs}\nseed: 1\n"
                       "design:\n  kind: grid\n  parameters:\n    rules.art5_decision: [consensus]\n")
        out = Path(args.keep) if args.keep else Path(tmp) / "results"
        cmd = [sys.executable, "-m", "sim.cli", "sweep", str(exp), "--out", str(out), "--workers", str(args.workers),
               "--quiet"]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd)
        peak_total = peak_main = peak_worker = 0
        while proc.poll() is None:
            kids = children(proc.pid)
            main_rss = rss(proc.pid)
            worker = max((rss(k) for k in kids), default=0)
            peak_total = max(peak_total, main_rss + sum(rss(k) for k in kids))
            peak_main, peak_worker = max(peak_main, main_rss), max(peak_worker, worker)
            time.sleep(0.2)
        elapsed = time.perf_counter() - start
        if proc.returncode:
            sys.exit(f"the sweep failed ({proc.returncode})")
        size = (out / "runs.parquet").stat().st_size
    mib = 1024 * 1024
    print(f"Paris 2015, {args.runs:,} runs, summary outputs only, batch engine, {args.workers} workers")
    print(f"  time {elapsed:,.0f} s, {args.runs / elapsed:,.0f} runs/s; runs.parquet {size / mib:,.0f} MiB")
    print(f"  peak RSS: all processes {peak_total / mib:,.0f} MiB; main {peak_main / mib:,.0f} MiB; "
          f"largest worker {peak_worker / mib:,.0f} MiB")


if __name__ == "__main__":
    main()
