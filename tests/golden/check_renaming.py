"""One-off check (issue 15, item 3): the golden records' old summaries map,
key by key, onto today's summaries with every value unchanged.

    .venv/bin/python tests/golden/check_renaming.py

Old -> new: ``states.S.commitment`` -> ``commitment.S``,
``states.S.first_strike_day`` -> ``response_strike_day.S``,
``states.S.first_commitment_day`` -> ``response_day.S``,
``states.S.strike_aircraft_committed`` -> ``aircraft.S``,
``states.S.burden_share`` -> ``burden_share.S``, ``states.S.stance`` and
``stances.S`` -> ``stance.S``; every vote keeps its fields (``level`` is
added); the run-level fields, ``article4_requests`` and ``stances_by_day``
keep their names. The per-day tables and event logs must be identical.
Prints the differences and exits 1 when there are any.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_golden", HERE / "make_golden.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

RENAMED = {"commitment": "commitment", "first_strike_day": "response_strike_day",
           "first_commitment_day": "response_day", "strike_aircraft_committed": "aircraft",
           "burden_share": "burden_share", "stance": "stance"}


def old_to_new(old: dict) -> dict:
    """The new keys of an old summary, with its values (the fields it had)."""
    out = {k: v for k, v in old.items() if k not in ("states", "stances", "votes")}
    for code, entry in old["states"].items():
        for key, value in entry.items():
            out[f"{RENAMED[key]}.{code}"] = value
    for code, stance in old["stances"].items():
        out[f"stance.{code}"] = stance
    out["votes"] = old["votes"]
    return out


def differences(old: dict, new: dict) -> list[str]:
    diffs = []
    mapped = old_to_new(golden.normal(old))
    new = golden.normal(new)
    for key, value in mapped.items():
        if key == "votes":
            kept = [{k: v[k] for k in old_vote} for v, old_vote in zip(new["votes"], value)]
            if len(new["votes"]) != len(value) or kept != value:
                diffs.append("votes")
        elif key not in new or new[key] != value:
            diffs.append(f"{key}: {value!r} -> {new.get(key, '(missing)')!r}")
    requests = old["article4_requests"]
    if new["article4_requested_by"] != ";".join(x["state"] for x in requests) or new["article4_requests_count"] != len(requests):
        diffs.append("article4_requested_by/count")
    return diffs


def main() -> int:
    bad = 0
    for name, build in golden.records(quick=False):
        stored, fresh = golden.read(name), build()
        diffs = [d for o, n in zip(stored["summaries"], fresh["summaries"]) for d in differences(o, n)]
        if len(stored["summaries"]) != len(fresh["summaries"]):
            diffs.append("number of runs")
        diffs += [d for d in golden.same(stored, fresh) if d != "summaries"]
        print(f"{name}: {len(fresh['summaries'])} runs, {'unchanged' if not diffs else diffs[:5]}")
        bad += bool(diffs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
