"""Whole-process Paris 2015 sweeps: runs per second and peak memory, by design and by size.

Each measurement runs ``coalition-sim sweep`` in a child process (batch
engine, 2 local workers by default, results written to Parquet in a
temporary folder) and samples the resident memory (RSS, /proc) of the sweep
and all its workers every 0.2 s. The designs, each of --runs runs:

- ``one``: one design point with N replicates;
- ``lhs``: a Latin hypercube of N points with one replicate each (three rule
  weights: threat, solidarity, retaliation threshold);
- ``series``: ``one`` that also keeps the per-day series of three named
  states (``outputs.timeseries: [GBR, DEU, DNK]``; a tree whose sweep does not
  know named states keeps every state's series instead, and says so).

Prints, per design and size: seconds, runs per second, peak RSS of all
processes, and each size's time relative to the first size's (linear cost:
ten times the runs, ten times the time). Asserts nothing (the machines are
shared and noisy).

Usage: .venv/bin/python benchmarks/bench_sweep.py [--runs 1000,10000,100000] [--designs one,lhs,series]
       [--workers 2] [--repeats 1] [--against REV [--rev REV2]]

``--against REV`` runs every measurement on this working tree and on git
revision REV's ``sim/`` and ``configs/`` (exported to a temporary folder, as
``bench_run.py --against`` does), alternating which goes first, and prints
both with their ratio (runs per second, this tree over REV).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_memory import children, rss  # noqa: E402
from bench_run import export, short  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SERIES_STATES = ("GBR", "DEU", "DNK")
MIB = 1024 * 1024


def experiment(folder: Path, tree: Path, design: str, runs: int, named_series: bool) -> Path:
    """The experiment file of one measurement, reading ``tree``'s Paris scenario."""
    paris = tree / "configs" / "scenarios" / "paris_2015.yaml"
    head = f"name: bench_{design}_{runs}\nscenario: {paris}\nseed: 1\n"
    if design == "lhs":
        body = (f"replicates: 1\ndesign:\n  kind: lhs\n  samples: {runs}\n  parameters:\n"
                "    rules.threat_weight: {low: 1.0, high: 4.0}\n"
                "    rules.solidarity_weight: {low: 0.5, high: 2.0}\n"
                "    rules.retaliate_threshold: {low: 0.05, high: 0.2}\n")
    else:
        body = (f"replicates: {runs}\ndesign:\n  kind: grid\n  parameters:\n"
                "    rules.art5_decision: [consensus]\n")
    if design == "series":
        body += f"outputs:\n  timeseries: [{', '.join(SERIES_STATES)}]\n" if named_series else \
            "outputs:\n  timeseries: true\n"
    path = folder / f"{design}_{runs}.yaml"
    path.write_text(head + body)
    return path


def knows_named_series(tree: Path) -> bool:
    """Whether ``tree``'s experiments accept a list of states under
    ``outputs.timeseries`` (checked by loading one; older trees refuse it)."""
    with tempfile.TemporaryDirectory() as tmp:
        exp = experiment(Path(tmp), tree, "series", 1, True)
        code = f"import sim.experiment.schema as s; s.load_experiment({str(exp)!r})"
        env = {**os.environ, "PYTHONPATH": str(tree)}
        # cwd: not this checkout, whose sim/ would come first on the path
        return subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp, capture_output=True).returncode == 0


def measure(tree: Path, design: str, runs: int, workers: int, named: bool) -> dict:
    """One sweep in a child process: seconds and peak RSS of all its processes."""
    with tempfile.TemporaryDirectory() as tmp:
        exp = experiment(Path(tmp), tree, design, runs, named)
        cmd = [sys.executable, "-m", "sim.cli", "sweep", str(exp), "--out", str(Path(tmp) / "out"),
               "--workers", str(workers), "--quiet"]
        env = {**os.environ, "PYTHONPATH": str(tree)}
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=tmp)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, rss(proc.pid) + sum(rss(k) for k in children(proc.pid)))
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        if proc.returncode:
            sys.exit(f"bench_sweep: the sweep {design} x {runs:,} on {tree} failed ({proc.returncode})")
    return {"seconds": seconds, "peak": peak, "named": named or design != "series"}


def table(name: str, results: dict, sizes: list[int]) -> None:
    print(f"{name}:")
    print(f"  {'design':8s} {'runs':>10s} {'seconds':>9s} {'runs/s':>10s} {'peak RSS':>10s} {'time / first':>13s}")
    for design, by_size in results.items():
        first = statistics.median(r["seconds"] for r in by_size[sizes[0]])
        for n in sizes:
            secs = statistics.median(r["seconds"] for r in by_size[n])
            peak = max(r["peak"] for r in by_size[n])
            note = "" if all(r["named"] for r in by_size[n]) else "  (every state's series: no named states here)"
            print(f"  {design:8s} {n:>10,d} {secs:>9.1f} {n / secs:>10,.0f} {peak / MIB:>7,.0f} MiB "
                  f"{secs / first:>8.1f} x{n // sizes[0]:<4,d}{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default="1000,10000,100000", help="sizes, comma-separated")
    parser.add_argument("--designs", default="one,lhs,series")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1, help="sweeps per design and size (medians)")
    parser.add_argument("--against", metavar="REV", help="also measure git revision REV, alternating")
    parser.add_argument("--rev", metavar="REV2", help="with --against: measure REV2 instead of the working tree")
    args = parser.parse_args()
    sizes = [int(x.replace("_", "")) for x in args.runs.split(",")]
    designs = [d.strip() for d in args.designs.split(",")]
    unknown = set(designs) - {"one", "lhs", "series"}
    if unknown:
        sys.exit(f"bench_sweep: --designs: unknown {sorted(unknown)}")
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this tree": ROOT}
        if args.rev:
            (Path(tmp) / "a").mkdir()
            trees = {short(args.rev): export(args.rev, Path(tmp) / "a")}
        if args.against:
            (Path(tmp) / "b").mkdir()
            trees[short(args.against)] = export(args.against, Path(tmp) / "b")
        named = {name: knows_named_series(tree) for name, tree in trees.items()}
        results = {name: {d: {n: [] for n in sizes} for d in designs} for name in trees}
        k = 0
        for _ in range(args.repeats):
            for n in sizes:
                for d in designs:
                    order = list(trees) if k % 2 == 0 else list(reversed(trees))
                    k += 1
                    for name in order:
                        results[name][d][n].append(measure(trees[name], d, n, args.workers, named[name]))
                        r = results[name][d][n][-1]
                        print(f"  {name}: {d} x {n:,}: {r['seconds']:.1f} s", file=sys.stderr)
    print(f"Paris 2015 sweeps, batch engine, {args.workers} workers, whole process; medians of {args.repeats}")
    for name in trees:
        table(name, results[name], sizes)
    if len(trees) == 2:
        a, b = trees
        print(f"runs per second, {a} / {b}:")
        for d in designs:
            ratios = [statistics.median(r["seconds"] for r in results[b][d][n])
                      / statistics.median(r["seconds"] for r in results[a][d][n]) for n in sizes]
            print(f"  {d:8s} " + "  ".join(f"{n:,}: {x:.2f}" for n, x in zip(sizes, ratios)))


if __name__ == "__main__":
    main()
