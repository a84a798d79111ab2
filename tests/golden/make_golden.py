"""Regenerate the golden record of the model's behaviour (tests/golden/).

    .venv/bin/python tests/golden/make_golden.py        # rewrite every record
    .venv/bin/python tests/golden/make_golden.py --check  # compare, write nothing

Recorded, on both engines (each record is produced by the batch engine and
checked equal to the Mesa engine's runs before it is written):

* ``paris``: 200 runs of configs/scenarios/paris_2015.yaml (seeds 0..199);
* ``case_<name>``: every case in configs/history/, a few replicates each
  (seeds 0..REPLICATES-1 of the case's scenario);
* ``roleplay``: one Mesa run of Paris with France and Denmark played by a
  fixed policy that is not the model's (always the last option offered:
  "yes", "assent", "strike", the highest commitment level, ...).

Each record is a folder with ``summaries.json`` (the run summaries, in seed
order), ``timeseries.parquet`` and ``events.parquet`` (the per-day table and
the event log of every run, with a ``seed`` column). tests/test_golden.py
compares a fresh run with them row for row. A change of behaviour on purpose
(model v2) regenerates them with this script, and says so in its commit.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.batch import run_batch  # noqa: E402
from sim.history import load_case  # noqa: E402

HERE = Path(__file__).resolve().parent
PARIS = ROOT / "configs" / "scenarios" / "paris_2015.yaml"
PARIS_RUNS = 200
MESA_CHECK = 10  # Paris seeds also run on the Mesa engine at generation
REPLICATES = 4
PLAYERS = ("FRA", "DNK")
ROLEPLAY_SEED = 3


def last_option(question) -> int:
    return len(question.options) - 1


def play(scenario, seed, players, pick):
    model = sim.CoalitionModel(scenario, seed, players=list(players))
    guard = 0
    while model.running:
        model.step()
        if model.waiting:
            for q in model.questions:
                model.answer(q, pick(q))
        guard += 1
        if guard > 10 * scenario.days:
            raise RuntimeError("role play does not advance")
    return model.result()


def tables(results, seeds) -> dict:
    ts = pd.concat([r.timeseries.assign(seed=s) for r, s in zip(results, seeds)], ignore_index=True)
    ev = pd.concat([r.events.assign(seed=s) for r, s in zip(results, seeds)], ignore_index=True)
    return {"summaries": [r.summary for r in results], "timeseries": ts, "events": ev}


def normal(summary) -> object:
    """A summary as JSON reads it back (tuples as lists, keys as strings)."""
    return json.loads(json.dumps(summary))


def same(a: dict, b: dict) -> list[str]:
    """Differences between two records (empty when identical)."""
    diffs = []
    if [normal(x) for x in a["summaries"]] != [normal(x) for x in b["summaries"]]:
        diffs.append("summaries")
    for name in ("timeseries", "events"):
        x, y = a[name].reset_index(drop=True), b[name].reset_index(drop=True)
        try:
            pd.testing.assert_frame_equal(x, y, check_dtype=False, check_categorical=False, rtol=0, atol=0)
        except AssertionError as exc:
            diffs.append(f"{name}: {str(exc).splitlines()[0]}")
    return diffs


def batch_record(scenario, seeds, mesa_seeds=()) -> dict:
    rec = tables(run_batch([scenario] * len(seeds), list(seeds), tables=True), seeds)
    if mesa_seeds:
        mesa = tables([sim.run(scenario, s, engine="mesa") for s in mesa_seeds], list(mesa_seeds))
        n = len(mesa_seeds)
        part = {"summaries": rec["summaries"][:n],
                "timeseries": rec["timeseries"][rec["timeseries"]["seed"].isin(mesa_seeds)],
                "events": rec["events"][rec["events"]["seed"].isin(mesa_seeds)]}
        diffs = same(part, mesa)
        if diffs:
            raise RuntimeError(f"engines differ: {diffs}")
    return rec


def records(quick: bool = False):
    """(name, builder) of every record; ``quick`` keeps the Mesa check short."""
    paris = sim.load_scenario(PARIS)
    out = [("paris", lambda: batch_record(paris, list(range(PARIS_RUNS)), list(range(2 if quick else MESA_CHECK))))]
    for path in sorted((ROOT / "configs" / "history").glob("*.yaml")):
        case = load_case(path)
        seeds = list(range(REPLICATES))
        out.append((f"case_{path.stem}", lambda sc=case.scenario, seeds=seeds: batch_record(sc, seeds, seeds[:1 if quick else REPLICATES])))
    out.append(("roleplay", lambda: tables([play(paris, ROLEPLAY_SEED, PLAYERS, last_option)], [ROLEPLAY_SEED])))
    return out


def write(name: str, rec: dict) -> None:
    folder = HERE / name
    folder.mkdir(exist_ok=True)
    (folder / "summaries.json").write_text(json.dumps(rec["summaries"], indent=0) + "\n")
    rec["timeseries"].to_parquet(folder / "timeseries.parquet", index=False, compression="zstd")
    rec["events"].to_parquet(folder / "events.parquet", index=False, compression="zstd")


def read(name: str) -> dict:
    folder = HERE / name
    return {"summaries": json.loads((folder / "summaries.json").read_text()),
            "timeseries": pd.read_parquet(folder / "timeseries.parquet"),
            "events": pd.read_parquet(folder / "events.parquet")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the stored record, write nothing")
    ap.add_argument("--only", help="regenerate only this record (e.g. roleplay)")
    args = ap.parse_args(argv)
    bad = 0
    for name, build in records():
        if args.only and name != args.only:
            continue
        rec = build()
        if args.check:
            diffs = same(read(name), rec)
            print(f"{name}: {'identical' if not diffs else diffs}")
            bad += bool(diffs)
        else:
            write(name, rec)
            print(f"wrote tests/golden/{name}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
